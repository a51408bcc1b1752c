//! The Routing panel: a stimulus image with the selected vertex's routing heatmap over it
//! (the built-in pRF model, or weights from a file with a query map), and a brush — drag a
//! rectangle on the image and the cortex is coloured by how much of each vertex's routing
//! weight falls inside it (layer `routing: brush`, styled like any overlay).

use std::sync::Arc;

use bevy_egui::egui;

use crate::brain::Hemisphere;
use crate::brain::data::Picture;
use crate::brain::paint::OverlayStyle;
use crate::brain::scene::Scene;
use crate::percept::render::Grid;
use crate::routing::scene::{prf_model, queries_from_layer};
use crate::routing::{Brush, Heatmap, PatchWeightsExt, PrfModel, PrfSizes};

pub const BRUSH_LAYER: &str = "routing: brush";

/// The default stimulus (scikit-image's `chelsea`, public domain; `assets/README.md`).
const DEFAULT_STIMULUS: &[u8] = include_bytes!("../../assets/images/chelsea.png");

#[derive(Default)]
pub struct RoutingUi {
    pub open: bool,
    model: Option<Result<Arc<PrfModel>, String>>,
    use_file: bool,
    query_layer: Option<String>,
    image_index: usize,
    /// 0: the default stimulus; i > 0: gallery picture i − 1
    stimulus: usize,
    default_pic: Option<Arc<Picture>>,
    stim_tex: Option<(usize, egui::TextureHandle)>,
    heat_tex: Option<egui::TextureHandle>,
    heat_key: Option<String>,
    heat_note: String,
    drag_from: Option<egui::Pos2>,
    brush: Option<Brush>,
    error: Option<String>,
    seen_matrix: u64,
    matrix_key: Option<(usize, usize, bool, u64)>,
    model_key: Option<(u64, usize)>,
    #[allow(clippy::type_complexity)]
    queries: Option<(
        (String, usize, u64),
        Result<Arc<crate::routing::QueryMap>, String>,
    )>,
    matrix_tex: Option<egui::TextureHandle>,
    pinned_region: Option<usize>,
}

fn grid_for(pic: &Picture, fov: f64) -> Grid {
    Grid {
        width: 64,
        height: ((64 * pic.height) / pic.width.max(1)).max(1),
        fov_deg: fov,
        centre: [0.0, 0.0],
    }
}

const FOV: f64 = 16.0;

fn default_picture() -> Arc<Picture> {
    let img = image::load_from_memory(DEFAULT_STIMULUS)
        .expect("bundled picture")
        .to_rgba8();
    Arc::new(Picture {
        width: img.width() as usize,
        height: img.height() as usize,
        rgba: img.into_raw(),
        key: String::new(),
        name: "chelsea (scikit-image)".into(),
    })
}

fn heat_image(h: &Heatmap) -> egui::ColorImage {
    let cmap = crate::brain::colormap::Colormap::by_name("hot").expect("built in");
    let max = h.values.iter().fold(0f32, |m, &x| m.max(x)).max(1e-12);
    let mut rgba = Vec::with_capacity(h.values.len() * 4);
    for &v in &h.values {
        let t = v / max;
        let c = cmap.at(t);
        rgba.extend([c[0], c[1], c[2], (t * 0.85 * 255.0) as u8]);
    }
    egui::ColorImage::from_rgba_unmultiplied([h.width, h.height], &rgba)
}

pub fn routing_window(
    ctx: &egui::Context,
    st: &mut RoutingUi,
    scene: &mut Scene,
    regions: &mut crate::app::regions::RegionView,
) {
    if scene.region_matrix.is_some() && st.seen_matrix != regions.rev {
        // a newly loaded matrix opens the panel on its section
        st.seen_matrix = regions.rev;
        st.open = true;
    }
    if !st.open {
        return;
    }
    let mut open = st.open;
    egui::Window::new("Routing")
        .open(&mut open)
        .default_width(420.0)
        // a matrix alone needs less room (the window covers less of the brain); the patch
        // section, when opened, scrolls
        .default_height(if scene.region_matrix.is_some() {
            480.0
        } else {
            700.0
        })
        .default_pos(egui::pos2(320.0, 60.0))
        .vscroll(true)
        .show(ctx, |ui| {
            if scene.region_matrix.is_some() {
                egui::CollapsingHeader::new("Region ↔ region")
                    .default_open(true)
                    .show(ui, |ui| region_section(ui, ctx, st, scene, regions));
                ui.separator();
            }
            egui::CollapsingHeader::new("Cortex ↔ image patches")
                .default_open(scene.region_matrix.is_none())
                .show(ui, |ui| body(ui, ctx, st, scene));
        });
    st.open = open;
}

fn region_section(
    ui: &mut egui::Ui,
    ctx: &egui::Context,
    st: &mut RoutingUi,
    scene: &Scene,
    v: &mut crate::app::regions::RegionView,
) {
    let (src, m) = scene.region_matrix.clone().expect("checked");
    ui.small(format!(
        "{src}: {} regions × {} frame(s)",
        m.n(),
        m.frames()
    ));
    let nodes = match &v.nodes {
        Some(Ok(n)) => n.clone(),
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
            ui.small("Open the parcellation (.annot) or a node file (BrainNet .node, TVB centres.txt) with as many regions.");
            return;
        }
        None => return,
    };
    ui.horizontal(|ui| {
        ui.checkbox(&mut v.show, "arcs");
        ui.checkbox(&mut v.thick, "thick")
            .on_hover_text("every arc two lines wide (otherwise the strongest quarter): easier to see, slower on software renderers");
        ui.add(
            egui::DragValue::new(&mut v.top_k)
                .range(1..=50)
                .prefix("top "),
        );
        ui.label("per region,");
        ui.add(
            egui::DragValue::new(&mut v.threshold)
                .speed(0.01)
                .range(0.0..=f32::MAX)
                .prefix("|w| ≥ "),
        );
    });
    if m.frames() > 1 {
        ui.horizontal(|ui| {
            if ui.button(if v.playing { "⏸" } else { "▶" }).clicked() {
                v.playing = !v.playing;
            }
            ui.add(egui::Slider::new(&mut v.frame, 0..=m.frames() - 1).text("frame"));
            ui.add(
                egui::DragValue::new(&mut v.fps)
                    .range(0.1..=60.0)
                    .suffix(" frames/s"),
            );
        });
    }
    ui.checkbox(&mut v.gate_on, "thalamic gate: the selected vertex is the attention focus")
        .on_hover_text("gains g = 1 + 2·exp(−d²/2·25²) per region (d: distance from the focus, mm), relaxing with τ = 0.2 s; effective routing g_i·W_ij·g_j, each source's outflow renormalised");
    if v.gate_on && scene.selection.is_none() {
        ui.small("Click the cortex to place the focus.");
    }
    ui.small(format!("{} arcs shown", v.shown.len()));
    // the matrix, linked to the arcs: hover a cell to highlight its source region
    // the arcs are rebuilt whenever the gated weights move: redraw the matrix with them
    let key = (
        v.frame,
        std::sync::Arc::as_ptr(&m) as usize,
        v.gate_on,
        if v.gate_on { v.arcs_rev } else { 0 },
    );
    if st.matrix_key != Some(key) {
        st.matrix_key = Some(key);
        let w = match (&v.gate, v.gate_on) {
            (Some(g), true) => g.apply(&m, m.frame(v.frame)),
            _ => m.frame(v.frame).to_owned(),
        };
        let max = w.iter().fold(0f32, |a, &x| a.max(x.abs())).max(1e-12);
        let cmap = crate::brain::colormap::Colormap::by_name("hot").expect("built in");
        let rgba: Vec<u8> = w
            .iter()
            .flat_map(|&x| cmap.at((x.abs() / max).sqrt()))
            .collect();
        let img = egui::ColorImage::from_rgba_unmultiplied([m.n(), m.n()], &rgba);
        st.matrix_tex = Some(ctx.load_texture("region-matrix", img, egui::TextureOptions::NEAREST));
    }
    if let Some(t) = &st.matrix_tex {
        let side = 220.0;
        let resp =
            ui.add(egui::Image::new((t.id(), egui::vec2(side, side))).sense(egui::Sense::click()));
        let cell = resp.hover_pos().map(|p| {
            let f = (p - resp.rect.min) / side;
            (
                ((f.y * m.n() as f32) as usize).min(m.n() - 1),
                ((f.x * m.n() as f32) as usize).min(m.n() - 1),
            )
        });
        v.highlight = cell.map(|c| c.0).or(st.pinned_region);
        if let Some((i, j)) = cell {
            resp.clone().on_hover_text(format!(
                "{} -> {}: {:.4}",
                nodes.names[i],
                nodes.names[j],
                m.at(v.frame, i, j)
            ));
            if resp.clicked() {
                st.pinned_region = if st.pinned_region == Some(i) {
                    None
                } else {
                    Some(i)
                };
            }
        }
        ui.small(
            "rows: source, columns: target; hover a row to highlight its arcs, click to keep it",
        );
    }
}

fn body(ui: &mut egui::Ui, ctx: &egui::Context, st: &mut RoutingUi, scene: &mut Scene) {
    if scene.hemis.is_empty() {
        ui.label("Load a cortical surface first.");
        return;
    }
    let file = scene.routing_weights.clone();
    ui.horizontal(|ui| {
        ui.selectable_value(&mut st.use_file, false, "pRF model");
        ui.add_enabled_ui(file.is_some(), |ui| {
            ui.selectable_value(&mut st.use_file, true, "weights file")
                .on_disabled_hover_text(
                    "File → Open an .npy of shape [queries, h, w] or [images, queries, h, w]",
                );
        });
    });
    if file.is_none() {
        st.use_file = false;
    }
    // the source of routing weights
    let model = if st.use_file {
        None
    } else {
        // remade when surfaces or layers (a retinotopy) change
        let key = (scene.geometry_rev, scene.layers.len());
        if st.model_key != Some(key) {
            st.model_key = Some(key);
            st.model = Some(prf_model(scene, PrfSizes::default()).map(Arc::new));
        }
        match st.model.as_ref().expect("made") {
            Ok(m) => Some(m.clone()),
            Err(e) => {
                ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
                return;
            }
        }
    };
    if let Some(m) = &model {
        ui.small(format!(
            "{}; σ = {:.1}° + {:.2}·eccentricity (V1); the image spans {FOV}°",
            m.source_note(),
            m.sizes.v1[0],
            m.sizes.v1[1]
        ));
    }
    let mut qmap = None;
    if st.use_file {
        let (src, w) = file.as_ref().expect("checked");
        ui.small(format!(
            "{src}: {} image(s) × {} queries, {}×{} grid",
            w.n_images(),
            w.n_queries(),
            w.height(),
            w.width()
        ));
        let layers: Vec<String> = scene
            .layers
            .iter()
            .filter(|l| l.is_overlay() && l.n_frames() == 1)
            .map(|l| l.name.clone())
            .collect();
        ui.horizontal(|ui| {
            ui.label("query map");
            egui::ComboBox::from_id_salt("query-layer")
                .selected_text(
                    st.query_layer
                        .clone()
                        .unwrap_or_else(|| "(a per-vertex index overlay)".into()),
                )
                .show_ui(ui, |ui| {
                    for n in &layers {
                        if ui
                            .selectable_label(st.query_layer.as_ref() == Some(n), n)
                            .clicked()
                        {
                            st.query_layer = Some(n.clone());
                        }
                    }
                });
            if w.n_images() > 1 {
                ui.add(
                    egui::DragValue::new(&mut st.image_index)
                        .range(0..=w.n_images() - 1)
                        .prefix("image "),
                );
            }
        });
        match &st.query_layer {
            Some(n) => {
                // remade when the layer, the weights or the layers' data change
                let key = (n.clone(), Arc::as_ptr(w) as usize, scene.color_rev);
                if st.queries.as_ref().is_none_or(|(k, _)| *k != key) {
                    let q = queries_from_layer(scene, n, w.n_queries()).map(Arc::new);
                    st.queries = Some((key, q));
                }
                match &st.queries.as_ref().expect("made").1 {
                    Ok(q) => qmap = Some(q.clone()),
                    Err(e) => {
                        ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
                    }
                }
            }
            None => {
                ui.small("Open a per-vertex overlay whose values are query indices, then choose it here.");
            }
        }
    }
    // stimulus
    let gallery = scene.selectivity().gallery.clone();
    let pic = if st.stimulus == 0 || st.stimulus > gallery.len() {
        st.stimulus = 0;
        st.default_pic.get_or_insert_with(default_picture).clone()
    } else {
        gallery[st.stimulus - 1].clone()
    };
    egui::ComboBox::from_label("stimulus")
        .selected_text(pic.name.clone())
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut st.stimulus, 0, "chelsea (scikit-image)");
            for (i, p) in gallery.iter().enumerate() {
                ui.selectable_value(&mut st.stimulus, i + 1, &p.name);
            }
        });
    let key = Arc::as_ptr(&pic) as usize;
    if st.stim_tex.as_ref().is_none_or(|(k, _)| *k != key) {
        let img = egui::ColorImage::from_rgba_unmultiplied([pic.width, pic.height], &pic.rgba);
        st.stim_tex = Some((
            key,
            ctx.load_texture("routing-stimulus", img, egui::TextureOptions::LINEAR),
        ));
    }
    let grid = grid_for(&pic, FOV);
    // the heatmap of the selected vertex
    let sel = scene.selection;
    let heat_key = format!(
        "{sel:?}/{}/{:?}/{}/{key}",
        st.use_file, st.query_layer, st.image_index
    );
    if st.heat_key.as_deref() != Some(heat_key.as_str()) {
        st.heat_key = Some(heat_key);
        let heat = sel.and_then(|s| match (&model, &file, &qmap) {
            (Some(m), _, _) => m.heatmap(s.hemi, s.vertex, &grid).map(|h| {
                let p = m.prf(s.hemi, s.vertex).expect("has one");
                (
                    h,
                    format!("pRF at ({:.1}°, {:.1}°), σ {:.2}°", p.x, p.y, p.sigma),
                )
            }),
            (None, Some((_, w)), Some(q)) => q.query(s.hemi, s.vertex).and_then(|qi| {
                w.heatmap(st.image_index, qi)
                    .map(|h| (h, format!("query {qi}")))
            }),
            _ => None,
        });
        st.heat_note = match (&heat, sel) {
            (Some((_, n)), Some(s)) => format!("{:?} vertex {}: {n}", s.hemi, s.vertex),
            (None, Some(s)) => format!(
                "{:?} vertex {} has no routing weights here{}",
                s.hemi,
                s.vertex,
                if st.use_file {
                    " (no query)"
                } else {
                    " (outside the mapped visual cortex or the image)"
                }
            ),
            (_, None) => {
                "Click the cortex (e.g. V1 on the medial occipital lobe) to see where it looks."
                    .into()
            }
        };
        st.heat_tex = heat.map(|(h, _)| {
            ctx.load_texture("routing-heat", heat_image(&h), egui::TextureOptions::LINEAR)
        });
    }
    ui.small(&st.heat_note);
    // image, heatmap and brush
    let w = 380.0f32;
    let size = egui::vec2(w, w * pic.height as f32 / pic.width.max(1) as f32);
    let (rect, resp) = ui.allocate_exact_size(size, egui::Sense::drag());
    let painter = ui.painter_at(rect);
    let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    if let Some((_, t)) = &st.stim_tex {
        painter.image(t.id(), rect, uv, egui::Color32::from_gray(170));
    }
    if let Some(t) = &st.heat_tex {
        painter.image(t.id(), rect, uv, egui::Color32::WHITE);
    }
    // fixation cross (the pRF model's field centre)
    let c = rect.center();
    let stroke = egui::Stroke::new(1.0, egui::Color32::from_white_alpha(120));
    painter.line_segment([c - egui::vec2(6.0, 0.0), c + egui::vec2(6.0, 0.0)], stroke);
    painter.line_segment([c - egui::vec2(0.0, 6.0), c + egui::vec2(0.0, 6.0)], stroke);
    let frac = |p: egui::Pos2| {
        (
            ((p.x - rect.min.x) / rect.width()).clamp(0.0, 1.0) as f64,
            ((p.y - rect.min.y) / rect.height()).clamp(0.0, 1.0) as f64,
        )
    };
    if resp.drag_started() {
        st.drag_from = resp.interact_pointer_pos();
    }
    let live = match (st.drag_from, resp.interact_pointer_pos()) {
        (Some(a), Some(b)) if resp.dragged() => Some((a, b)),
        _ => None,
    };
    if let Some((a, b)) = live {
        painter.rect_stroke(
            egui::Rect::from_two_pos(a, b),
            0.0,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(80, 220, 255)),
            egui::StrokeKind::Inside,
        );
    }
    if resp.drag_stopped()
        && let (Some(a), Some(b)) = (st.drag_from.take(), resp.interact_pointer_pos())
    {
        let ((x0, y0), (x1, y1)) = (frac(a), frac(b));
        match Brush::parse(&format!("{x0},{y0},{x1},{y1}"), 1, 1) {
            Ok(br) => {
                st.brush = Some(br);
                apply_brush(
                    scene,
                    br,
                    model.as_deref(),
                    &grid,
                    file.as_ref().map(|f| &*f.1),
                    qmap.as_deref(),
                    st.image_index,
                );
                st.error = None;
            }
            Err(e) => st.error = Some(e),
        }
    }
    if let Some(b) = st.brush {
        let r = egui::Rect::from_min_max(
            egui::pos2(
                rect.min.x + b.x0 as f32 * rect.width(),
                rect.min.y + b.y0 as f32 * rect.height(),
            ),
            egui::pos2(
                rect.min.x + b.x1 as f32 * rect.width(),
                rect.min.y + b.y1 as f32 * rect.height(),
            ),
        );
        painter.rect_stroke(
            r,
            0.0,
            egui::Stroke::new(1.5, egui::Color32::from_rgb(80, 220, 255)),
            egui::StrokeKind::Inside,
        );
    }
    ui.small("Drag on the image: the cortex shows how much of each vertex's routing weight falls in the rectangle (layer \"routing: brush\").");
    if let Some(e) = &st.error {
        ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
    }
}

fn apply_brush(
    scene: &mut Scene,
    b: Brush,
    model: Option<&PrfModel>,
    grid: &Grid,
    weights: Option<&crate::routing::PatchWeights>,
    q: Option<&crate::routing::QueryMap>,
    image: usize,
) {
    let per_hemi = match (model, weights, q) {
        (Some(m), _, _) => m.brush(&b, grid),
        (None, Some(w), Some(q)) => q.spread(&w.brush(image, &b)),
        _ => return,
    };
    let max = per_hemi
        .values()
        .flatten()
        .fold(0f32, |m, &x| m.max(x))
        .max(1e-6);
    let per_hemi: Vec<(Hemisphere, Vec<f32>)> = per_hemi.into_iter().collect();
    scene.set_computed_layer(
        BRUSH_LAYER,
        Some("fraction"),
        per_hemi,
        OverlayStyle {
            colormap: "hot".into(),
            min: 0.0,
            max,
            threshold: 0.02 * max,
            symmetric: false,
            opacity: 1.0,
        },
    );
}
