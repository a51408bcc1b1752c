//! The Activity panel (choose a model, its parameters, run/pause, speed, stimulation, BOLD,
//! readouts incl. the Kuramoto order parameter R(t)) and the Traces window (time courses of
//! pinned vertices: the played series with the timeline's cursor, and the running
//! simulation). They only edit `ActivityState` and `Playback`.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use egui_plot::{Line, Plot, PlotPoints, VLine};

use super::state::UiState;
use crate::activity::setup::{MODELS, specs};
use crate::app::activity::{ActivityState, BOLD_LAYER, Backend, LAYER};
use crate::app::compute::GpuLink;
use crate::app::shared::SceneDoc;
use crate::app::timeline::{Playback, series_info};

const EQUATIONS: &[(&str, &str)] = &[
    ("diffusion", "∂u/∂t = D Δu"),
    ("wave", "∂²u/∂t² + γ ∂u/∂t = c² Δu"),
    ("kuramoto", "dθ/dt = ω + K Σ w_ij sin(θ_j − θ_i)"),
    (
        "wilson-cowan",
        "τe dE/dt = −E + (1−E) Se(cee E − cei I + P) + τe D ΔE; same for I",
    ),
    (
        "lif",
        "dV/dt = (I − V)/τm + D ΔV + spikelets; at V ≥ 1: spike, reset",
    ),
];

#[allow(clippy::too_many_arguments)]
pub fn activity_window(
    mut contexts: EguiContexts,
    mut ui_state: ResMut<UiState>,
    mut state: ResMut<ActivityState>,
    mut playback: ResMut<Playback>,
    doc: Res<SceneDoc>,
    plan: Res<crate::app::planning::PlanState>,
    link: Option<Res<GpuLink>>,
    presenter: Res<crate::app::presenter::Presenter>,
) -> Result {
    if presenter.hide_panels {
        return Ok(());
    }
    let link = link.as_deref();
    let ctx = contexts.ctx_mut()?.clone();
    if std::mem::take(&mut state.reveal_panel) {
        ui_state.activity_open = true;
    }
    let mut open = ui_state.activity_open;
    egui::Window::new("Activity")
        .open(&mut open)
        .default_width(330.0)
        .default_pos(egui::pos2(320.0, 80.0))
        .show(&ctx, |ui| {
            let label = |m: &str| {
                MODELS
                    .iter()
                    .find(|x| x.0 == m)
                    .map_or(m, |x| x.1)
                    .to_string()
            };
            let mut chosen = None;
            ui.horizontal(|ui| {
                ui.label("model");
                egui::ComboBox::from_id_salt("activity-model")
                    .selected_text(label(&state.model))
                    .show_ui(ui, |ui| {
                        for (name, text) in MODELS {
                            if ui.selectable_label(state.model == name, text).clicked() {
                                chosen = Some(name);
                            }
                        }
                    });
            });
            if let Some(m) = chosen
                && m != state.model
            {
                state.choose(m);
            }
            let in_use = state.backend(link);
            let name = |b: Backend| match b {
                Backend::Cpu => "CPU",
                Backend::Gpu => "GPU",
            };
            let adapter = link.and_then(|l| l.adapter.clone());
            ui.horizontal(|ui| {
                ui.label("backend");
                let text = match state.backend {
                    None => format!("auto ({})", name(in_use)),
                    Some(b) => name(b).to_string(),
                };
                egui::ComboBox::from_id_salt("activity-backend")
                    .selected_text(text)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut state.backend, None, "auto")
                            .on_hover_text("GPU on a hardware adapter, CPU on a software one");
                        ui.selectable_value(&mut state.backend, Some(Backend::Cpu), "CPU")
                            .on_hover_text("the CPU twin (rayon); values uploaded each frame");
                        ui.add_enabled_ui(adapter.is_some(), |ui| {
                            ui.selectable_value(&mut state.backend, Some(Backend::Gpu), "GPU")
                                .on_hover_text(
                                    "WGSL kernels on the render device; the surface shader \
                                     reads their state buffer",
                                );
                        });
                    });
                if let Some((a, software)) = &adapter {
                    ui.label(
                        egui::RichText::new(if *software {
                            format!("{a} (software)")
                        } else {
                            a.clone()
                        })
                        .small(),
                    );
                }
            });
            if let Some((_, eq)) = EQUATIONS.iter().find(|e| e.0 == state.model) {
                ui.label(egui::RichText::new(*eq).italics());
            }
            ui.horizontal(|ui| {
                let label = if state.running {
                    "⏸ Pause"
                } else {
                    "▶ Run"
                };
                if ui.button(label).clicked() {
                    state.running = !state.running;
                }
                if ui.button("Reset").clicked() {
                    state.reset = true;
                }
            });
            ui.add(
                egui::Slider::new(&mut state.speed, 0.005..=10.0)
                    .logarithmic(true)
                    .text("speed (sim s per s)"),
            );
            egui::CollapsingHeader::new("parameters")
                .default_open(true)
                .show(ui, |ui| {
                    let model = state.model.clone();
                    if let Ok(specs) = specs(&model) {
                        for (sp, v) in specs.iter().zip(state.values.iter_mut()) {
                            let text = if sp.unit.is_empty() {
                                sp.name.to_string()
                            } else {
                                format!("{} ({})", sp.name, sp.unit)
                            };
                            ui.add(
                                egui::Slider::new(v, sp.min..=sp.max)
                                    .logarithmic(sp.log)
                                    .text(text),
                            );
                        }
                        if ui.small_button("defaults").clicked() {
                            state.values = specs.iter().map(|s| s.default).collect();
                        }
                    }
                });
            ui.checkbox(
                &mut state.stimulate_on_click,
                "stimulate where I click (Gaussian, σ 3 mm)",
            );
            // the prosthesis plan drives the model: each active contact injects a Gaussian
            // (σ 1.5 mm) around its position
            let active = plan.contacts.iter().filter(|c| c.active()).count();
            ui.add_enabled_ui(active > 0, |ui| {
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("⚡ Stimulate at the plan's {active} contacts"))
                        .on_hover_text(
                            "one pulse at every active contact of the electrode plan (σ 1.5 mm)",
                        )
                        .clicked()
                    {
                        state.electrodes_once = true;
                    }
                });
                ui.horizontal(|ui| {
                    let mut on = state.electrode_pulses.is_some();
                    ui.checkbox(&mut on, "pulse train while running");
                    let mut hz = state.electrode_pulses.unwrap_or(20.0);
                    ui.add_enabled(
                        on,
                        egui::Slider::new(&mut hz, 1.0..=200.0)
                            .logarithmic(true)
                            .text("Hz"),
                    );
                    state.electrode_pulses = on.then_some(hz);
                });
            })
            .response
            .on_disabled_hover_text("plan electrodes first (Plan electrodes → Run)");
            ui.horizontal(|ui| {
                ui.checkbox(&mut state.bold, "BOLD (Balloon–Windkessel)");
                if state.bold {
                    ui.add(
                        egui::Slider::new(&mut state.bold_gain, 0.1..=10.0)
                            .logarithmic(true)
                            .text("gain"),
                    );
                }
            });
            if state.bold {
                ui.horizontal(|ui| {
                    ui.label("neural");
                    ui.add(egui::Slider::new(&mut state.bold_mix, 0.0..=1.0).show_value(false));
                    ui.label("BOLD");
                });
            }
            if let Some(m) = &state.message {
                ui.colored_label(egui::Color32::from_rgb(240, 120, 100), m);
            }
            let Some(sim) = &state.sim else {
                ui.label("Run, or click the cortex to stimulate.");
                return;
            };
            let (what, ..) = sim.setup.display_quantity();
            let (lo, hi) = sim
                .shown
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            egui::Grid::new("activity-readout")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("simulated time");
                    ui.label(format!("{:.3} s", sim.t));
                    ui.end_row();
                    ui.label("step (explicit)");
                    ui.label(format!("{:.2e} s", sim.dt));
                    ui.end_row();
                    ui.label("vertices");
                    ui.label(sim.n().to_string());
                    ui.end_row();
                    ui.label(format!(
                        "steps / s ({})",
                        if sim.gpu.is_some() { "GPU" } else { "CPU" }
                    ));
                    ui.label(format!("{:.0}", state.steps_per_s));
                    ui.end_row();
                    if let Some(g) = &sim.gpu {
                        ui.label("readouts from");
                        ui.label(format!("{:.3} s (copied back 5×/s)", g.read_t));
                        ui.end_row();
                    }
                    ui.label(format!("{what} min / max"));
                    ui.label(format!("{lo:.4} / {hi:.4}"));
                    ui.end_row();
                    if let Some([_, r]) = state.r_history.back() {
                        ui.label("order parameter R");
                        ui.label(format!("{r:.3}"));
                        ui.end_row();
                    }
                });
            if state.r_history.len() > 1 {
                let pts: PlotPoints = state.r_history.iter().copied().collect();
                Plot::new("kuramoto-r")
                    .height(90.0)
                    .include_y(0.0)
                    .include_y(1.0)
                    .allow_scroll(false)
                    .allow_drag(false)
                    .x_axis_label("simulated s")
                    .show(ui, |p| p.line(Line::new("R(t)", pts)));
            }
            ui.label(
                egui::RichText::new(format!(
                    "Shown as the layer \"{LAYER}\"{}; style it in the Layers panel.",
                    if state.bold {
                        format!(" and \"{BOLD_LAYER}\"")
                    } else {
                        String::new()
                    }
                ))
                .small(),
            );
            if ui
                .button("Traces…")
                .on_hover_text("time courses of pinned vertices")
                .clicked()
            {
                playback.traces_open = true;
                if let Some(s) = doc.0.selection {
                    playback.pin(s.hemi, s.vertex);
                }
            }
        });
    ui_state.activity_open = open;
    if state.panel_open != open {
        state.panel_open = open;
    }
    Ok(())
}

/// The playback strip for the followed series layer (drawn by `panels` above the status bar).
pub fn timeline_strip(ui: &mut egui::Ui, scene: &crate::brain::scene::Scene, pb: &mut Playback) {
    let Some(id) = pb.layer else {
        return;
    };
    let Some(info) = series_info(scene, id) else {
        return;
    };
    let (frames, tr) = (info.frames, info.tr);
    let name = scene
        .layers
        .iter()
        .find(|l| l.id == id)
        .map_or("", |l| l.name.as_str());
    ui.horizontal(|ui| {
        let t = &mut pb.timeline;
        if ui
            .button(if t.playing { "⏸" } else { "▶" })
            .on_hover_text("play / pause")
            .clicked()
        {
            if !t.playing && t.frame() + 1 >= frames && !t.looping {
                t.position = 0.0;
            }
            t.playing = !t.playing;
        }
        if ui.button("⏮").on_hover_text("first frame").clicked() {
            t.position = 0.0;
        }
        ui.checkbox(&mut t.looping, "loop");
        let unit = if tr.is_some() {
            "× real time"
        } else {
            "frames/s"
        };
        ui.add(
            egui::Slider::new(&mut t.speed, 0.1..=50.0)
                .logarithmic(true)
                .text(unit),
        );
        let mut frame = t.frame();
        let resp = ui.add(egui::Slider::new(&mut frame, 0..=frames - 1).show_value(false));
        if resp.changed() {
            t.position = frame as f64;
        }
        let time = match info.seconds(t.frame()) {
            Some(s) => format!(" · {s:.2} s (TR {:.3} s)", tr.unwrap_or(0.0)),
            None => " · no TR in the file".into(),
        };
        ui.label(format!("{name}: frame {} / {frames}{time}", t.frame() + 1));
        if ui.button("Traces…").clicked() {
            pb.traces_open = true;
            if let Some(s) = scene.selection {
                pb.pin(s.hemi, s.vertex);
            }
        }
    });
}

pub fn traces_window(
    mut contexts: EguiContexts,
    mut pb: ResMut<Playback>,
    activity: Res<ActivityState>,
    doc: Res<SceneDoc>,
    presenter: Res<crate::app::presenter::Presenter>,
) -> Result {
    if !pb.traces_open || presenter.hide_panels {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let scene = &doc.0;
    let mut open = true;
    egui::Window::new("Traces")
        .open(&mut open)
        .default_width(420.0)
        .default_pos(egui::pos2(310.0, 36.0))
        .show(&ctx, |ui| {
            ui.horizontal(|ui| {
                let sel = scene.selection;
                if ui
                    .add_enabled(sel.is_some(), egui::Button::new("📌 Pin selected vertex"))
                    .clicked()
                    && let Some(s) = sel
                {
                    pb.pin(s.hemi, s.vertex);
                }
                if ui.button("clear").clicked() {
                    pb.pinned.clear();
                }
            });
            let mut remove = None;
            ui.horizontal_wrapped(|ui| {
                for (i, (h, v)) in pb.pinned.iter().enumerate() {
                    if ui
                        .small_button(format!("{h:?} {v} ×"))
                        .on_hover_text("unpin")
                        .clicked()
                    {
                        remove = Some(i);
                    }
                }
            });
            if let Some(i) = remove {
                pb.pinned.remove(i);
            }
            if pb.pinned.is_empty() {
                ui.label("Select a vertex on the cortex, then pin it.");
            }
            // the played series, cursor at the timeline's frame
            if let Some(id) = pb.layer
                && let Some(info) = series_info(scene, id)
                && !pb.pinned.is_empty()
            {
                let tr = info.tr;
                let x_of = |f: usize| info.seconds(f).unwrap_or(f as f64);
                let cursor = x_of(pb.timeline.frame());
                let name = scene
                    .layers
                    .iter()
                    .find(|l| l.id == id)
                    .map_or("", |l| l.name.as_str());
                ui.label(format!(
                    "{name} ({})",
                    if tr.is_some() { "s" } else { "frames" }
                ));
                let lines: Vec<(String, Vec<[f64; 2]>)> = pb
                    .pinned
                    .iter()
                    .filter_map(|&(h, v)| {
                        let (s, _) = scene.vertex_series(id, h, v)?;
                        let pts = s
                            .iter()
                            .enumerate()
                            .map(|(f, y)| [x_of(f), *y as f64])
                            .collect();
                        Some((format!("{h:?} {v}"), pts))
                    })
                    .collect();
                Plot::new("series-traces")
                    .height(140.0)
                    .legend(egui_plot::Legend::default())
                    .allow_scroll(false)
                    .show(ui, |p| {
                        for (name, pts) in lines {
                            p.line(Line::new(name, PlotPoints::from(pts)));
                        }
                        p.vline(VLine::new("now", cursor));
                    });
            }
            // a recording's raw channels around the timeline's time
            if let Some(id) = pb.layer
                && let Some(raw) = scene.raw_traces(id).cloned()
                && let Some(info) = series_info(scene, id)
            {
                let now = info.seconds(pb.timeline.frame()).unwrap_or(0.0);
                raw_traces(ui, &mut pb, &raw, now);
            }
            // the running simulation
            if activity.sim.is_some() && !activity.pinned_history.is_empty() {
                let k = activity.pinned_history.back().map_or(0, |h| h.1.len());
                ui.label("simulation (simulated s)");
                Plot::new("sim-traces")
                    .height(140.0)
                    .legend(egui_plot::Legend::default())
                    .allow_scroll(false)
                    .show(ui, |p| {
                        for j in 0..k.min(pb.pinned.len()) {
                            let pts: PlotPoints = activity
                                .pinned_history
                                .iter()
                                .filter_map(|(t, v)| v.get(j).map(|y| [*t, *y as f64]))
                                .collect();
                            let (h, v) = pb.pinned[j];
                            p.line(Line::new(format!("{h:?} {v}"), pts));
                        }
                    });
            }
        });
    pb.traces_open = open;
    Ok(())
}

/// Three significant digits, no exponent for everyday magnitudes.
fn significant(v: f64) -> String {
    let digits = (2 - v.abs().max(1e-12).log10().floor() as i32).clamp(0, 9) as usize;
    format!("{v:.digits$}")
}

/// A recording's raw channels (the ones chosen, four at first) in a window around `now`,
/// stacked as an EEG viewer stacks them: one row per channel, rows a common spacing apart.
fn raw_traces(
    ui: &mut egui::Ui,
    pb: &mut Playback,
    raw: &cortexplorer_core::brain::scene::RawTraces,
    now: f64,
) {
    let n = raw.names.len();
    pb.raw_channels.retain(|&c| c < n);
    if pb.raw_channels.is_empty() {
        pb.raw_channels = (0..n.min(4)).collect();
    }
    if pb.raw_window_s.is_nan() || pb.raw_window_s <= 0.0 {
        pb.raw_window_s = 4.0;
    }
    ui.separator();
    ui.label(format!(
        "raw channels of {} ({:.0} Hz, {:.1} s)",
        raw.layer,
        raw.sampling_hz,
        raw.duration_s()
    ));
    ui.horizontal_wrapped(|ui| {
        for (c, name) in raw.names.iter().enumerate() {
            let on = pb.raw_channels.contains(&c);
            if ui.selectable_label(on, name).clicked() {
                if on {
                    pb.raw_channels.retain(|&k| k != c);
                } else {
                    pb.raw_channels.push(c);
                    pb.raw_channels.sort_unstable();
                }
            }
        }
    });
    ui.add(
        egui::Slider::new(&mut pb.raw_window_s, 0.25..=30.0)
            .logarithmic(true)
            .text("window (s)"),
    );
    let (t0, t1) = (now - pb.raw_window_s / 2.0, now + pb.raw_window_s / 2.0);
    let width = ui.available_width().max(100.0) as usize;
    let mut failed = None;
    let lines: Vec<(String, Vec<[f64; 2]>)> = pb
        .raw_channels
        .iter()
        .map(|&c| {
            let points = raw.window(c, t0, t1, 2 * width).unwrap_or_else(|e| {
                failed = Some(e);
                Vec::new()
            });
            (raw.names[c].clone(), points)
        })
        .collect();
    if let Some(e) = failed {
        ui.colored_label(
            egui::Color32::LIGHT_RED,
            format!("cannot read the samples: {e}"),
        );
    }
    // one spacing for every row: the largest peak-to-peak in the window
    let spacing = lines
        .iter()
        .map(|(_, p)| {
            let (lo, hi) = p
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), q| {
                    (a.min(q[1]), b.max(q[1]))
                });
            if hi > lo { hi - lo } else { 0.0 }
        })
        .fold(0.0, f64::max)
        .max(1e-9);
    let unit = pb
        .raw_channels
        .first()
        .map_or("", |&c| raw.units[c].as_str());
    ui.label(format!(
        "rows {} {unit} apart; time in s",
        significant(spacing)
    ));
    let rows = lines.len();
    Plot::new("raw-traces")
        .height((40.0 * rows as f32).clamp(120.0, 360.0))
        .legend(egui_plot::Legend::default())
        .allow_scroll(false)
        .show_y(false)
        .y_axis_formatter(|_, _| String::new())
        .show(ui, |p| {
            for (k, (name, pts)) in lines.into_iter().enumerate() {
                // channel k's row: its mean at −k·spacing
                let mean = pts.iter().map(|q| q[1]).sum::<f64>() / pts.len().max(1) as f64;
                let off = -(k as f64) * spacing - mean;
                let pts: Vec<[f64; 2]> = pts.iter().map(|q| [q[0], q[1] + off]).collect();
                p.line(Line::new(name, PlotPoints::from(pts)));
            }
            p.vline(VLine::new("now", now));
        });
}

/// Presenter mode hides the panels but keeps a small legend over the view: the colour bar of
/// what is drawn and, while a model runs, its name, what is shown and the simulated time.
pub fn presenter_legend(
    mut contexts: EguiContexts,
    doc: Res<SceneDoc>,
    state: Res<ActivityState>,
    presenter: Res<crate::app::presenter::Presenter>,
) -> Result {
    if !presenter.hide_panels {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let note = state.sim.as_ref().map(|s| {
        let label = MODELS
            .iter()
            .find(|m| m.0 == s.setup.name)
            .map_or(s.setup.name.as_str(), |m| m.1);
        let (quantity, ..) = s.setup.display_quantity();
        format!(
            "{label} · {quantity} · t = {:.2} s simulated{}",
            s.t,
            if state.running { "" } else { " (paused)" }
        )
    });
    super::colorbar::colorbar_with_note(&ctx, &doc.0, 0.0, 0.0, note.as_deref());
    Ok(())
}
