//! The Objects window: the meshes that are not a hemisphere (`brain::objects`), each with its
//! size and place, shown or hidden, in one colour or coloured by one of its per-vertex values,
//! or removed. Edits the scene's objects and bumps `objects_rev`.

use bevy_egui::egui;

use crate::brain::colormap::NAMES;
use crate::brain::scene::Scene;

pub fn objects_window(ctx: &egui::Context, scene: &mut Scene) {
    if scene.objects.is_empty() {
        return;
    }
    let mut changed = false;
    let mut remove = None;
    egui::Window::new("Objects")
        .default_open(false)
        .default_width(320.0)
        .default_pos(egui::pos2(740.0, 460.0))
        .show(ctx, |ui| {
            for (i, o) in scene.objects.iter_mut().enumerate() {
                ui.push_id(i, |ui| {
                    ui.horizontal(|ui| {
                        changed |= ui.checkbox(&mut o.style.show, "").changed();
                        ui.strong(&o.name);
                        if ui.small_button("×").on_hover_text("remove").clicked() {
                            remove = Some(i);
                        }
                    });
                    let (lo, hi) = o.bounds();
                    ui.label(format!(
                        "{} vertices, {} triangles; {:.0}×{:.0}×{:.0} mm at ({:.1}, {:.1}, {:.1})",
                        o.surface.vertices.len(),
                        o.surface.faces.len(),
                        hi[0] - lo[0],
                        hi[1] - lo[1],
                        hi[2] - lo[2],
                        (lo[0] + hi[0]) / 2.0,
                        (lo[1] + hi[1]) / 2.0,
                        (lo[2] + hi[2]) / 2.0,
                    ));
                    let before = o.style.clone();
                    egui::ComboBox::from_label("colour")
                        .selected_text(o.style.value.clone().unwrap_or("one colour".into()))
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut o.style.value, None, "one colour");
                            for (n, _) in o.values.iter() {
                                ui.selectable_value(&mut o.style.value, Some(n.clone()), n);
                            }
                        });
                    if o.style.value.is_some() {
                        egui::ComboBox::from_label("colour map")
                            .selected_text(&o.style.colormap)
                            .show_ui(ui, |ui| {
                                for n in NAMES {
                                    ui.selectable_value(&mut o.style.colormap, n.to_string(), *n);
                                }
                            });
                    } else {
                        let mut rgb = [o.style.color[0], o.style.color[1], o.style.color[2]];
                        if ui.color_edit_button_rgb(&mut rgb).changed() {
                            o.style.color = [rgb[0], rgb[1], rgb[2], 1.0];
                        }
                    }
                    changed |= o.style != before;
                    ui.separator();
                });
            }
        });
    if let Some(i) = remove {
        scene.objects.remove(i);
        changed = true;
    }
    if changed {
        scene.objects_rev += 1;
    }
}
