//! The Tractography window: what the tractogram is (count, points, lengths), how it is coloured
//! (local direction, a per-point or per-streamline value through a colour map, one colour) and
//! how many segments are drawn at most. It only reads the scene and edits `TractView`.

use bevy_egui::egui;

use crate::app::tracts::TractView;
use crate::brain::colormap::NAMES;
use crate::brain::scene::Scene;
use crate::brain::tracts::{TractColor, value_names};

pub fn tracts_window(ctx: &egui::Context, scene: &Scene, view: &mut TractView) {
    let Some(set) = &scene.tracts else { return };
    let mut style = view.style.clone();
    // no close button: it folds to its title (there is no other way back to it)
    egui::Window::new("Tractography")
        .default_width(320.0)
        .default_pos(egui::pos2(320.0, 80.0))
        .show(ctx, |ui| {
            let t = &set.tracts;
            ui.strong(&set.name);
            let st = &set.stats;
            egui::Grid::new("tract-stats")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    ui.label("streamlines / points");
                    ui.label(format!("{} / {}", st.streamlines, st.points));
                    ui.end_row();
                    ui.label("length min / median / max");
                    ui.label(format!(
                        "{:.1} / {:.1} / {:.1} mm",
                        st.length_mm_min, st.length_mm_median, st.length_mm_max
                    ));
                    ui.end_row();
                    ui.label("drawn");
                    ui.label(if view.building {
                        "building…".to_string()
                    } else if view.stride > 1 {
                        format!(
                            "{} streamlines (1 in {}), {} segments",
                            view.drawn, view.stride, view.segments
                        )
                    } else {
                        format!("{} streamlines, {} segments", view.drawn, view.segments)
                    });
                    ui.end_row();
                });
            ui.checkbox(&mut style.show, "show");
            let values = value_names(t);
            let label = match &style.color {
                TractColor::Direction => "direction (RGB = |x y z|)".to_string(),
                TractColor::Value(n) => n.clone(),
                TractColor::Solid(_) => "one colour".to_string(),
            };
            egui::ComboBox::from_label("colour by")
                .selected_text(label)
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut style.color,
                        TractColor::Direction,
                        "direction (RGB = |x y z|)",
                    );
                    for n in &values {
                        ui.selectable_value(&mut style.color, TractColor::Value(n.clone()), n);
                    }
                    ui.selectable_value(
                        &mut style.color,
                        TractColor::Solid([0.95, 0.85, 0.55, 1.0]),
                        "one colour",
                    );
                });
            if let TractColor::Value(_) = style.color {
                egui::ComboBox::from_label("colour map")
                    .selected_text(&style.colormap)
                    .show_ui(ui, |ui| {
                        for n in NAMES {
                            ui.selectable_value(&mut style.colormap, n.to_string(), *n);
                        }
                    });
                if let Some((lo, hi)) = view.range {
                    ui.label(format!("range {lo:.3} – {hi:.3} (2nd–98th percentile)"));
                }
            }
            let mut budget = style.max_segments as f64 / 1e6;
            ui.add(
                egui::Slider::new(&mut budget, 0.1..=10.0)
                    .logarithmic(true)
                    .text("segments drawn at most (millions)"),
            );
            style.max_segments = (budget * 1e6) as usize;
        });
    if style != view.style {
        view.style = style;
        view.style_rev += 1;
    }
}
