//! The Activity panel: choose a model, run/pause, speed, diffusivity, stimulate by clicking,
//! and what the simulation is doing. It only edits `ActivityState`.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::UiState;
use crate::app::activity::{ActivityState, LAYER};

pub fn activity_window(
    mut contexts: EguiContexts,
    mut ui_state: ResMut<UiState>,
    mut state: ResMut<ActivityState>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut open = ui_state.activity_open;
    egui::Window::new("Activity")
        .open(&mut open)
        .default_width(320.0)
        .default_pos(egui::pos2(320.0, 80.0))
        .show(&ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("model");
                egui::ComboBox::from_id_salt("activity-model")
                    .selected_text("diffusion (heat equation)")
                    .show_ui(ui, |ui| {
                        let _ = ui.selectable_label(true, "diffusion (heat equation)");
                        for m in ["damped wave", "Kuramoto", "Wilson–Cowan", "LIF"] {
                            ui.add_enabled(false, egui::Button::selectable(false, format!("{m} (not yet)")));
                        }
                    });
            });
            ui.label("∂u/∂t = D Δu on the pial surface (cotangent Laplace–Beltrami), explicit Euler at half the stability bound.");
            ui.horizontal(|ui| {
                let label = if state.running { "⏸ Pause" } else { "▶ Run" };
                if ui.button(label).clicked() {
                    state.running = !state.running;
                }
                if ui.button("Reset").clicked() {
                    state.reset = true;
                }
            });
            ui.add(egui::Slider::new(&mut state.d, 0.5..=200.0).logarithmic(true).text("D (mm²/s)"));
            ui.add(egui::Slider::new(&mut state.speed, 0.05..=10.0).logarithmic(true).text("speed (sim s per s)"));
            ui.checkbox(&mut state.stimulate_on_click, "stimulate where I click (Gaussian, σ 3 mm)");
            if let Some(m) = &state.message {
                ui.colored_label(egui::Color32::from_rgb(240, 120, 100), m);
            }
            match &state.sim {
                None => {
                    ui.label("Click the cortex to stimulate, or Run.");
                }
                Some(sim) => {
                    let (lo, hi) = sim.u.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
                    egui::Grid::new("activity-readout").num_columns(2).show(ui, |ui| {
                        ui.label("simulated time");
                        ui.label(format!("{:.3} s", sim.t));
                        ui.end_row();
                        ui.label("step");
                        ui.label(format!("{:.2e} s", sim.dt));
                        ui.end_row();
                        ui.label("vertices");
                        ui.label(sim.u.len().to_string());
                        ui.end_row();
                        ui.label("steps / s (CPU)");
                        ui.label(format!("{:.0}", state.steps_per_s));
                        ui.end_row();
                        ui.label("state min / max");
                        ui.label(format!("{lo:.4} / {hi:.4}"));
                        ui.end_row();
                    });
                    ui.label(format!("Shown as the layer \"{LAYER}\" (style it in the Layers panel)."));
                }
            }
        });
    ui_state.activity_open = open;
    if state.panel_open != open {
        state.panel_open = open;
    }
    Ok(())
}
