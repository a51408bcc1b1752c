//! The Slices window: sagittal, coronal and axial views through the crosshair with the
//! surfaces' outlines (pial yellow, white cyan), the crosshair, and a click that moves it and
//! selects the nearest vertex; below, each volume's drawing (visibility, colormap,
//! window/level, threshold, opacity, frame) and its value at the crosshair. Images come from
//! `app::volumes::Slices`; this only shows them and edits the scene.

use bevy_egui::egui;

use super::layers::overlay_style;
use crate::app::files::LoadTemplate;
use crate::app::volumes::Slices;
use crate::brain::scene::Scene;

/// Textures of the shown slices (egui's, rebuilt when the images change).
#[derive(Default)]
pub struct SlicesUi {
    pub open: bool,
    rev: u64,
    textures: Vec<egui::TextureHandle>,
    asked_template: bool,
    /// volumes seen: a newly added one opens the panel
    seen_volumes: usize,
    pub expanded: Option<u64>,
}

/// Side of one slice view on screen (points).
const VIEW: f32 = 250.0;

pub fn slices_window(
    ctx: &egui::Context,
    ui_state: &mut SlicesUi,
    scene: &mut Scene,
    slices: &mut Slices,
    template: &mut Vec<LoadTemplate>,
) {
    if slices.reveal || scene.volumes.len() > ui_state.seen_volumes {
        slices.reveal = false;
        ui_state.open = true;
    }
    ui_state.seen_volumes = scene.volumes.len();
    slices.open = ui_state.open;
    if !ui_state.open {
        return;
    }
    if scene.volumes.is_empty() && !ui_state.asked_template {
        // the default underlay
        ui_state.asked_template = true;
        template.push(LoadTemplate);
    }
    if ui_state.rev != slices.rev {
        ui_state.rev = slices.rev;
        ui_state.textures = slices
            .images
            .iter()
            .map(|im| {
                let img = egui::ColorImage::from_rgba_unmultiplied(
                    [im.grid.width, im.grid.height],
                    &im.rgba,
                );
                ctx.load_texture(
                    format!("slice-{:?}", im.grid.axis),
                    img,
                    egui::TextureOptions::LINEAR,
                )
            })
            .collect();
    }
    let mut open = ui_state.open;
    egui::Window::new("Slices")
        .open(&mut open)
        .default_pos(egui::pos2(310.0, 60.0))
        .default_width(3.0 * VIEW + 30.0)
        .show(ctx, |ui| {
            if scene.volumes.is_empty() {
                ui.label("Loading the MNI152 template… (or open a NIfTI / MGZ volume)");
                return;
            }
            if !scene.volumes.iter().any(|v| v.name == crate::brain::mni152::NAME)
                && ui
                    .small_button("add the MNI152 template underneath")
                    .on_hover_text("the bundled MNI152 2009c T1 as the anatomical underlay; the volumes loaded become overlays")
                    .clicked()
            {
                template.push(LoadTemplate);
            }
            ui.horizontal(|ui| {
                for (im, tex) in slices.images.iter().zip(&ui_state.textures) {
                    ui.vertical(|ui| {
                        ui.label(format!(
                            "{} {} = {:.1} mm",
                            im.grid.axis.label(),
                            ["x", "y", "z"][im.grid.axis.normal()],
                            im.grid.coord
                        ));
                        let scale = VIEW / im.grid.width.max(im.grid.height) as f32;
                        let size = egui::vec2(im.grid.width as f32, im.grid.height as f32) * scale;
                        let resp =
                            ui.add(egui::Image::new((tex.id(), size)).sense(egui::Sense::click()));
                        let r = resp.rect;
                        // pixel (col, row) centre → screen
                        let to_screen = |c: f32, row: f32| {
                            egui::pos2(r.left() + (c + 0.5) * scale, r.top() + (row + 0.5) * scale)
                        };
                        let painter = ui.painter_at(r);
                        for (a, b, col) in &im.outlines {
                            painter.line_segment(
                                [to_screen(a[0], a[1]), to_screen(b[0], b[1])],
                                egui::Stroke::new(
                                    1.2,
                                    egui::Color32::from_rgb(col[0], col[1], col[2]),
                                ),
                            );
                        }
                        if let Some(c) = scene.crosshair {
                            let (cx, cy) = im.grid.pixel(c);
                            let p = to_screen(cx as f32, cy as f32);
                            let green =
                                egui::Stroke::new(1.0, egui::Color32::from_rgb(90, 255, 120));
                            painter.line_segment(
                                [egui::pos2(r.left(), p.y), egui::pos2(r.right(), p.y)],
                                green,
                            );
                            painter.line_segment(
                                [egui::pos2(p.x, r.top()), egui::pos2(p.x, r.bottom())],
                                green,
                            );
                        }
                        if resp.clicked()
                            && let Some(pos) = resp.interact_pointer_pos()
                        {
                            let col = (pos.x - r.left()) / scale - 0.5;
                            let row = (pos.y - r.top()) / scale - 0.5;
                            let w = im.grid.world(col as f64, row as f64);
                            let near = scene.click_slice(w);
                            slices.clicked = near.map(|n| n.0);
                        }
                    });
                }
            });
            if let Some(c) = scene.crosshair {
                ui.label(format!(
                    "crosshair RAS ({:.1}, {:.1}, {:.1}) mm",
                    c[0], c[1], c[2]
                ));
                if let Some((sel, d)) = scene.nearest_vertex(c) {
                    ui.label(format!(
                        "nearest vertex: {:?} {} ({d:.1} mm away)",
                        sel.hemi, sel.vertex
                    ));
                }
            }
            ui.separator();
            let mut remove = None;
            let mut changed = false;
            let values: Vec<Option<f64>> = scene
                .volumes
                .iter()
                .map(|v| scene.crosshair.and_then(|c| v.value_at(c)))
                .collect();
            for (i, (v, val)) in scene.volumes.iter_mut().zip(values).enumerate() {
                ui.horizontal(|ui| {
                    changed |= ui.checkbox(&mut v.visible, "").changed();
                    let role = if i == 0 { "underlay" } else { "overlay" };
                    let open = ui_state.expanded == Some(v.id);
                    if ui
                        .selectable_label(open, format!("{} ({role})", v.name))
                        .on_hover_text(&v.source)
                        .clicked()
                    {
                        ui_state.expanded = if open { None } else { Some(v.id) };
                    }
                    ui.label(match val {
                        Some(x) => format!("{x:.4}"),
                        None => "outside".into(),
                    });
                    if ui.small_button("×").clicked() {
                        remove = Some(v.id);
                    }
                });
                if ui_state.expanded == Some(v.id) {
                    let before = (v.style.clone(), v.frame);
                    ui.indent(("vol", v.id), |ui| {
                        // window/level on the range: level = centre, window = width
                        let (mut level, mut window) =
                            ((v.style.min + v.style.max) / 2.0, v.style.max - v.style.min);
                        let speed = (window.abs() / 200.0).max(1e-4);
                        ui.horizontal(|ui| {
                            ui.label("level");
                            let a = ui.add(egui::DragValue::new(&mut level).speed(speed));
                            ui.label("window");
                            let b = ui.add(
                                egui::DragValue::new(&mut window)
                                    .speed(speed)
                                    .range(1e-6..=f32::MAX),
                            );
                            if a.changed() || b.changed() {
                                v.style.min = level - window / 2.0;
                                v.style.max = level + window / 2.0;
                                v.style.symmetric = false;
                            }
                        });
                        overlay_style(ui, &mut v.style, v.id);
                        let frames = v.volume.n_frames();
                        if frames > 1 {
                            ui.add(egui::Slider::new(&mut v.frame, 0..=frames - 1).text("frame"));
                        }
                        ui.label(
                            egui::RichText::new(format!(
                                "{:?} voxels of {:.2} × {:.2} × {:.2} mm, {}",
                                v.volume.shape,
                                v.volume.voxel_size_mm[0],
                                v.volume.voxel_size_mm[1],
                                v.volume.voxel_size_mm[2],
                                v.volume.dtype
                            ))
                            .small(),
                        );
                    });
                    changed |= before != (v.style.clone(), v.frame);
                }
            }
            if let Some(id) = remove {
                scene.remove_volume(id);
            }
            if changed {
                scene.volume_rev += 1;
            }
            ui.label(
                egui::RichText::new(
                    "Click a slice: the crosshair moves there and the nearest vertex is selected. \
                     Pick the cortex: the slices follow. Outlines: pial yellow, white cyan.",
                )
                .small(),
            );
        });
    ui_state.open = open;
}
