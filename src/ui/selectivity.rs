//! The Selectivity panel: the dataset (or a one-click synthetic demo), thresholds, the
//! category legend with per-category maps, the selected vertex's caption, responses and
//! preferred images, caption search with matches per ROI, and the ROI summary as a table and
//! a grouped bar chart. Plus the caption tooltip under the pointer. It edits the scene
//! document only through `selectivity::state`.

use std::collections::HashMap;
use std::sync::Arc;

use bevy_egui::egui;
use egui_plot::{Bar, BarChart, Legend, Plot};

use crate::app::selectivity::Hover;
use crate::brain::data::Picture;
use crate::brain::scene::Scene;
use crate::selectivity::category_colour;
use crate::selectivity::demo::LABEL;
use crate::selectivity::state::Shown;

#[derive(Default)]
pub struct SelectivityUi {
    pub open: bool,
    query: String,
    regex: bool,
    error: Option<String>,
    /// gallery key picked in the ROI table (else the selected vertex's ROI / category)
    picked_roi: Option<String>,
    textures: HashMap<usize, egui::TextureHandle>,
    rev: u64,
    /// the ROIs and their summary, remade only when the scene's selectivity or layers change
    /// (not every frame)
    cache: Option<((u64, u64), Arc<RoiCache>)>,
}

#[derive(Default)]
struct RoiCache {
    rois: Option<(String, crate::selectivity::Rois)>,
    summary: Vec<crate::selectivity::RoiSummary>,
}

impl SelectivityUi {
    fn rois(&mut self, scene: &Scene) -> Arc<RoiCache> {
        let key = (scene.selectivity().rev, scene.color_rev);
        if let Some((k, c)) = &self.cache
            && *k == key
        {
            return c.clone();
        }
        let rois = scene.selectivity_rois();
        let summary = match (&rois, &scene.selectivity().dataset) {
            (Some((_, r)), Some(d)) => crate::selectivity::roi_summary(&d.responses, &d.maps, r),
            _ => Vec::new(),
        };
        let c = Arc::new(RoiCache { rois, summary });
        self.cache = Some((key, c.clone()));
        c
    }
}

const SYNTH: egui::Color32 = egui::Color32::from_rgb(240, 190, 60);

fn swatch(ui: &mut egui::Ui, rgba: [u8; 4]) {
    let (r, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    ui.painter()
        .rect_filled(r, 2.0, egui::Color32::from_rgb(rgba[0], rgba[1], rgba[2]));
}

impl SelectivityUi {
    fn texture(&mut self, ctx: &egui::Context, p: &Arc<Picture>) -> egui::TextureHandle {
        let key = Arc::as_ptr(p) as usize;
        self.textures
            .entry(key)
            .or_insert_with(|| {
                let img = egui::ColorImage::from_rgba_unmultiplied([p.width, p.height], &p.rgba);
                ctx.load_texture(format!("gallery-{key}"), img, egui::TextureOptions::LINEAR)
            })
            .clone()
    }
}

pub fn selectivity_window(
    ctx: &egui::Context,
    st: &mut SelectivityUi,
    scene: &mut Scene,
    hover: &mut Hover,
) {
    if hover.reveal {
        hover.reveal = false;
        st.open = true;
    }
    if st.rev != scene.selectivity().rev {
        st.rev = scene.selectivity().rev;
        // pictures may have been replaced: drop textures of pictures no longer held
        let live: Vec<usize> = scene
            .selectivity()
            .gallery
            .iter()
            .map(|p| Arc::as_ptr(p) as usize)
            .collect();
        st.textures.retain(|k, _| live.contains(k));
    }
    caption_tooltip(ctx, scene, hover);
    if !st.open {
        return;
    }
    let mut open = st.open;
    egui::Window::new("Selectivity")
        .open(&mut open)
        .default_width(440.0)
        .default_height(660.0)
        .default_pos(egui::pos2(310.0, 40.0))
        .vscroll(true)
        .show(ctx, |ui| body(ui, ctx, st, scene));
    st.open = open;
}

fn body(ui: &mut egui::Ui, ctx: &egui::Context, st: &mut SelectivityUi, scene: &mut Scene) {
    if scene.selectivity().dataset.is_none() {
        ui.label("Which category does each place prefer — faces, places, bodies, words, food?");
        if ui
            .button("Open the synthetic demo")
            .on_hover_text("generated category-selective patches at the literature locations of FFA, PPA, EBA, VWFA and ventral food cortex, with captions and pictures — not measured data")
            .clicked()
        {
            match scene.open_selectivity_demo() {
                Ok(_) => st.error = None,
                Err(e) => st.error = Some(e),
            }
        }
        ui.small("Real data: File → Open a 4D NIfTI (one volume per category) with its names (.tsv/.json), GIFTI/MGH/NPY maps with one frame per category and their names, or several 3D NIfTIs (one per category) and then:");
        let n3 = scene
            .volumes
            .iter()
            .filter(|v| v.volume.n_frames() == 1)
            .count();
        if ui
            .add_enabled(
                n3 >= 2,
                egui::Button::new(format!("Use the {n3} loaded 3D volumes as categories")),
            )
            .clicked()
        {
            match scene.selectivity_from_volumes(&[]) {
                Ok(_) => st.error = None,
                Err(e) => st.error = Some(e),
            }
        }
        if let Some((src, names)) = &scene.selectivity().names {
            ui.label(format!(
                "{} category names from {src} wait for maps with {} frames.",
                names.len(),
                names.len()
            ));
        }
        if let Some(e) = &st.error {
            ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
        }
        return;
    }
    let d = scene.selectivity().dataset.as_ref().expect("checked");
    ui.horizontal_wrapped(|ui| {
        ui.strong(&d.name);
        if d.synthetic {
            ui.colored_label(SYNTH, LABEL).on_hover_text(
                "generated by Cortexplorer at approximate literature locations; not measured data",
            );
        }
        ui.small(&d.source);
    });
    let cats = d.responses.categories.clone();
    let counts = d.counts.clone();
    let shown = d.shown;
    let mut th = d.thresholds;
    let synthetic = d.synthetic;
    ui.horizontal(|ui| {
        ui.label("SI ≥");
        let a = ui.add(egui::Slider::new(&mut th.min_index, -1.0..=1.0).step_by(0.01));
        ui.label("response ≥");
        let b = ui.add(egui::DragValue::new(&mut th.min_response).speed(0.01));
        if a.changed() || b.changed() {
            scene.set_selectivity_thresholds(th);
        }
    })
    .response
    .on_hover_text("SI = (r_pref − mean of the others) / (|r_pref| + |mean of the others|); a vertex is labelled with its preferred category when both thresholds are met");
    // legend: categories with counts, each one click from its own map
    ui.separator();
    let mut want = None;
    egui::Grid::new("sel-legend")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            for (c, name) in cats.iter().enumerate() {
                swatch(ui, category_colour(c));
                ui.label(name);
                ui.label(format!("{} vertices", counts[c]));
                if ui
                    .selectable_label(shown == Shown::Category(c), "map")
                    .on_hover_text(format!("show the response to {name} on the cortex"))
                    .clicked()
                {
                    want = Some(Shown::Category(c));
                }
                ui.end_row();
            }
        });
    ui.horizontal(|ui| {
        if ui
            .selectable_label(shown == Shown::Preferred, "preferred category")
            .clicked()
        {
            want = Some(Shown::Preferred);
        }
        if ui
            .selectable_label(shown == Shown::Index, "selectivity index")
            .clicked()
        {
            want = Some(Shown::Index);
        }
    });
    if let Some(w) = want {
        scene.show_selectivity(w);
    }
    // ROI source
    let labels: Vec<String> = scene
        .layers
        .iter()
        .filter(|l| {
            !l.is_overlay()
                && l.name != crate::selectivity::state::PREFERRED
                && l.name != crate::selectivity::state::MATCHES
        })
        .map(|l| l.name.clone())
        .collect();
    let rois = st.rois(scene).rois.as_ref().map(|(n, _)| n.clone());
    ui.horizontal(|ui| {
        ui.label("ROIs from");
        egui::ComboBox::from_id_salt("roi-layer")
            .selected_text(
                rois.clone()
                    .unwrap_or_else(|| "(open an annotation)".into()),
            )
            .show_ui(ui, |ui| {
                for n in &labels {
                    if ui.selectable_label(rois.as_ref() == Some(n), n).clicked() {
                        scene.selectivity_mut().roi_layer = Some(n.clone());
                        scene.selectivity_mut().rev += 1;
                    }
                }
            });
    });
    selected_vertex(ui, ctx, st, scene, &cats);
    search(ui, st, scene);
    roi_summary(ui, ctx, st, scene, &cats, synthetic);
}

/// The selected vertex: caption, preferred category, responses, its pictures.
fn selected_vertex(
    ui: &mut egui::Ui,
    ctx: &egui::Context,
    st: &mut SelectivityUi,
    scene: &Scene,
    cats: &[String],
) {
    ui.separator();
    let Some(sel) = scene.selection else {
        ui.small("Click the cortex: the vertex's caption, responses and preferred images appear here; hover it to read captions.");
        return;
    };
    let d = scene.selectivity().dataset.as_ref().expect("checked");
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("{:?} vertex {}", sel.hemi, sel.vertex));
        match d.preferred_at(sel.hemi, sel.vertex) {
            Some(p) => ui.label(format!("prefers {p}")),
            None => ui.label("no preferred category (below threshold)"),
        };
        if let Some(si) = d.maps.get(&sel.hemi).and_then(|m| m.index.get(sel.vertex)) {
            ui.label(format!("SI {si:.2}"));
        }
    });
    if let Some((text, score)) = scene
        .selectivity()
        .captions
        .as_ref()
        .and_then(|c| c.at(sel.hemi, sel.vertex))
    {
        ui.label(egui::RichText::new(format!("“{text}”")).italics());
        if let Some(s) = score {
            ui.small(format!("score {s:.3}"));
        }
    }
    if let Some(r) = d.responses.at(sel.hemi, sel.vertex) {
        let bars: Vec<Bar> = r
            .iter()
            .enumerate()
            .map(|(c, &v)| {
                let [cr, cg, cb, _] = category_colour(c);
                Bar::new(c as f64, v as f64)
                    .name(&cats[c])
                    .fill(egui::Color32::from_rgb(cr, cg, cb))
                    .width(0.7)
            })
            .collect();
        let names = cats.to_vec();
        Plot::new("vertex-responses")
            .height(90.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .show_axes([true, true])
            .x_axis_formatter(move |m, _| name_at(&names, m.value))
            .show(ui, |p| p.bar_chart(BarChart::new("response", bars)));
    }
    // gallery: the ROI picked in the table, else the vertex's ROI, else its category
    let cache = st.rois(scene);
    let roi = cache.rois.as_ref().and_then(|(_, r)| {
        let (region_of, names) = r.per_hemi.get(&sel.hemi)?;
        let k = *region_of.get(sel.vertex)?;
        (k >= 0).then(|| names[k as usize].clone())
    });
    let key = st
        .picked_roi
        .clone()
        .or(roi)
        .or_else(|| d.preferred_at(sel.hemi, sel.vertex).map(str::to_string));
    gallery(ui, ctx, st, scene, key.as_deref());
}

fn gallery(
    ui: &mut egui::Ui,
    ctx: &egui::Context,
    st: &mut SelectivityUi,
    scene: &Scene,
    key: Option<&str>,
) {
    let Some(key) = key else {
        return;
    };
    let mut pics = scene.gallery_for(key);
    if pics.is_empty() {
        // an ROI without its own folder: the pictures of the category it prefers
        let cache = st.rois(scene);
        if let Some(best) = Some(&cache.summary).and_then(|rows| {
            let r = rows
                .iter()
                .find(|r| r.name == key || r.name.ends_with(&format!(" {key}")))?;
            let c = (0..r.mean.len()).max_by(|&a, &b| r.mean[a].total_cmp(&r.mean[b]))?;
            scene
                .selectivity()
                .dataset
                .as_ref()
                .map(|d| d.responses.categories[c].clone())
        }) {
            pics = scene.gallery_for(&best);
        }
    }
    if pics.is_empty() {
        if !scene.selectivity().gallery.is_empty() {
            ui.small(format!("no pictures filed under {key:?}"));
        }
        return;
    }
    ui.label(format!("Preferred images: {key}"));
    ui.horizontal_wrapped(|ui| {
        for p in &pics {
            let t = st.texture(ctx, p);
            ui.add(egui::Image::new(&t).fit_to_exact_size(egui::vec2(72.0, 72.0)))
                .on_hover_text(&p.name);
        }
    });
}

fn search(ui: &mut egui::Ui, st: &mut SelectivityUi, scene: &mut Scene) {
    ui.separator();
    if scene.selectivity().captions.is_none() {
        ui.small("No captions: File → Open a caption table (.tsv with vertex — or i j k — and caption columns, optional score).");
        return;
    }
    let mut go = false;
    ui.horizontal(|ui| {
        let r = ui.add(
            egui::TextEdit::singleline(&mut st.query)
                .hint_text("search captions, e.g. face, kitchen")
                .desired_width(220.0),
        );
        go |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        go |= ui.button("find").clicked();
        ui.checkbox(&mut st.regex, "regex");
        if ui.button("clear").clicked() {
            scene.clear_search();
            st.error = None;
        }
    });
    if go && !st.query.trim().is_empty() {
        match scene.search_captions(&st.query.clone(), st.regex) {
            Ok(_) => st.error = None,
            Err(e) => st.error = Some(e),
        }
    }
    if let Some(e) = &st.error {
        ui.colored_label(egui::Color32::from_rgb(255, 110, 110), e);
    }
    if let Some(s) = &scene.selectivity().search {
        ui.label(format!(
            "{} vertices match {:?} (highlighted in magenta)",
            s.matches, s.query
        ));
        let rows = s.per_roi.clone();
        ui.horizontal_wrapped(|ui| {
            for (name, n) in rows {
                if ui
                    .selectable_label(
                        st.picked_roi.as_deref() == Some(&name),
                        format!("{name}: {n}"),
                    )
                    .clicked()
                {
                    st.picked_roi = Some(name);
                }
            }
        });
    }
}

fn roi_summary(
    ui: &mut egui::Ui,
    ctx: &egui::Context,
    st: &mut SelectivityUi,
    scene: &Scene,
    cats: &[String],
    synthetic: bool,
) {
    let cache = st.rois(scene);
    let (Some((layer, _)), rows) = (&cache.rois, &cache.summary) else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    ui.separator();
    ui.label(
        egui::RichText::new(format!(
            "Mean response per ROI ({layer}{})",
            if synthetic { ", synthetic demo" } else { "" }
        ))
        .strong(),
    );
    egui::Grid::new("roi-table").striped(true).show(ui, |ui| {
        ui.label("");
        for c in cats {
            ui.label(egui::RichText::new(c).small());
        }
        ui.end_row();
        for r in rows.iter() {
            let picked = st.picked_roi.as_deref() == Some(r.name.as_str());
            if ui
                .selectable_label(picked, &r.name)
                .on_hover_text(format!("{} vertices; click for its pictures", r.vertices))
                .clicked()
            {
                st.picked_roi = if picked { None } else { Some(r.name.clone()) };
            }
            let best = (0..cats.len()).max_by(|&a, &b| r.mean[a].total_cmp(&r.mean[b]));
            for (c, m) in r.mean.iter().enumerate() {
                let t = egui::RichText::new(format!("{m:.2}")).monospace();
                ui.label(if Some(c) == best { t.strong() } else { t });
            }
            ui.end_row();
        }
    });
    let n = cats.len() as f64;
    let width = 0.8 / n;
    let charts: Vec<BarChart> = cats
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let [cr, cg, cb, _] = category_colour(c);
            let bars = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    Bar::new(i as f64 - 0.4 + width * (c as f64 + 0.5), r.mean[c])
                        .width(width * 0.95)
                        .name(format!("{} {name}", r.name))
                })
                .collect();
            BarChart::new(name.as_str(), bars).color(egui::Color32::from_rgb(cr, cg, cb))
        })
        .collect();
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    Plot::new("roi-bars")
        .height(150.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_drag(false)
        .x_axis_formatter(move |m, _| name_at(&names, m.value))
        .show(ui, |p| {
            for ch in charts {
                p.bar_chart(ch);
            }
        });
    if scene.selection.is_none()
        && let Some(k) = st.picked_roi.clone()
    {
        gallery(ui, ctx, st, scene, Some(&k));
    }
}

/// Axis label: the name at an integer position (bars sit at 0, 1, 2, …), nothing between.
fn name_at(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// The caption of the vertex under the pointer, next to it.
fn caption_tooltip(ctx: &egui::Context, scene: &Scene, hover: &Hover) {
    let (Some(v), Some(at)) = (hover.vertex, hover.at) else {
        return;
    };
    let Some(c) = &scene.selectivity().captions else {
        return;
    };
    let Some((text, score)) = c.at(v.hemi, v.vertex) else {
        return;
    };
    let pref = scene
        .selectivity()
        .dataset
        .as_ref()
        .and_then(|d| d.preferred_at(v.hemi, v.vertex).map(str::to_string));
    egui::Area::new(egui::Id::new("caption-tooltip"))
        .order(egui::Order::Tooltip)
        .fixed_pos(egui::pos2(at.x + 16.0, at.y + 16.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(280.0);
                ui.label(egui::RichText::new(format!("“{text}”")).italics());
                let mut line = format!("{:?} {}", v.hemi, v.vertex);
                if let Some(p) = pref {
                    line += &format!(" · prefers {p}");
                }
                if let Some(s) = score {
                    line += &format!(" · score {s:.2}");
                }
                ui.small(line);
            });
        });
}
