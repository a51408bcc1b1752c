//! Right panel: the selected vertex — hemisphere, index, coordinates on every loaded surface,
//! and the value of every layer there.

use bevy_egui::egui;

use crate::brain::scene::Scene;

pub fn inspector_panel(ui: &mut egui::Ui, scene: &Scene) {
    ui.heading("Inspector");
    let Some(sel) = scene.selection else {
        ui.label("Click the surface to select a vertex.");
        return;
    };
    egui::Grid::new("sel")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("hemisphere");
            ui.label(format!("{:?}", sel.hemi));
            ui.end_row();
            ui.label("vertex");
            ui.label(sel.vertex.to_string());
            ui.end_row();
            for (kind, p) in scene.coords_at(sel) {
                ui.label(format!("{} RAS", kind.label()));
                ui.label(
                    egui::RichText::new(format!("{:7.2} {:7.2} {:7.2} mm", p[0], p[1], p[2]))
                        .monospace(),
                );
                ui.end_row();
            }
        });
    if let Some((text, score)) = scene
        .selectivity()
        .captions
        .as_ref()
        .and_then(|c| c.at(sel.hemi, sel.vertex))
    {
        ui.separator();
        ui.label(egui::RichText::new("Caption").strong());
        ui.label(egui::RichText::new(format!("“{text}”")).italics());
        if let Some(s) = score {
            ui.label(format!("score {s:.3}"));
        }
    }
    ui.separator();
    ui.label(egui::RichText::new("Layers at this vertex").strong());
    egui::Grid::new("vals")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (name, value) in scene.values_at(sel) {
                ui.label(name);
                ui.label(egui::RichText::new(value).monospace());
                ui.end_row();
            }
        });
}
