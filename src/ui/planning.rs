//! The planning panel: configuration, run/stop with progress and loss curve, target and live
//! percept side by side, baseline table, export/import. Reads and writes `PlanState`, sends
//! `PlanCommand`s.

use bevy_egui::egui;
use egui_plot::{Line, Plot, PlotPoints};

use crate::app::planning::{PlanCommand, PlanState};
use crate::brain::Hemisphere;

#[derive(Default)]
pub struct PlanUi {
    pub open: bool,
    target_tex: Option<egui::TextureHandle>,
    percept_tex: Option<egui::TextureHandle>,
    shown: (u64, usize, usize),
    export_dir: String,
    import_path: String,
}

fn grey_image(pixels: &[f32], w: usize, h: usize) -> egui::ColorImage {
    let rgba: Vec<egui::Color32> = pixels
        .iter()
        .map(|&v| {
            let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            egui::Color32::from_rgb(g, g, g)
        })
        .collect();
    egui::ColorImage::new([w, h], rgba)
}

/// The visual field: where the target areas reach (grey, one dot per vertex of the maps) and
/// each electrode's phosphene (yellow; red within the vessel margin), with the task's field of
/// view.
fn field_plot(ui: &mut egui::Ui, state: &PlanState, fov: f64, centre: [f64; 2]) {
    use egui_plot::{Points, Polygon};
    let h = fov / 2.0;
    let span = h * 1.6;
    let inside =
        |p: &[f64; 2]| (p[0] - centre[0]).abs() <= span && (p[1] - centre[1]).abs() <= span;
    let reach: PlotPoints = state.field_cloud.iter().copied().filter(inside).collect();
    let margin = state.config.constraints.margin_mm;
    let (mut ok, mut near) = (Vec::new(), Vec::new());
    for c in &state.contacts {
        if let (true, Some(f)) = (c.active(), c.field) {
            if c.vessel_mm.is_some_and(|d| d < margin) {
                near.push([f.x, f.y]);
            } else {
                ok.push([f.x, f.y]);
            }
        }
    }
    let square: PlotPoints = vec![
        [centre[0] - h, centre[1] - h],
        [centre[0] + h, centre[1] - h],
        [centre[0] + h, centre[1] + h],
        [centre[0] - h, centre[1] + h],
    ]
    .into();
    ui.label(format!(
        "visual field (deg): target areas' reach · {} phosphenes",
        ok.len() + near.len()
    ));
    Plot::new("plan-field")
        .height(230.0)
        .data_aspect(1.0)
        .allow_scroll(false)
        .default_x_bounds(centre[0] - span, centre[0] + span)
        .default_y_bounds(centre[1] - span, centre[1] + span)
        .x_axis_label("x (deg)")
        .y_axis_label("y (deg)")
        .show(ui, |p| {
            p.polygon(
                Polygon::new("field of view", square)
                    .fill_color(egui::Color32::TRANSPARENT)
                    .stroke(egui::Stroke::new(1.0, egui::Color32::from_gray(150))),
            );
            p.points(
                Points::new("reach", reach)
                    .radius(1.2)
                    .color(egui::Color32::from_rgb(90, 110, 140)),
            );
            p.points(
                Points::new("phosphenes", PlotPoints::from(ok))
                    .radius(3.0)
                    .color(egui::Color32::from_rgb(255, 215, 40)),
            );
            if !near.is_empty() {
                p.points(
                    Points::new("within the vessel margin", PlotPoints::from(near))
                        .radius(3.0)
                        .color(egui::Color32::from_rgb(255, 60, 40)),
                );
            }
        });
}

/// Which retinotopy, vessels and coordinate space the plan uses (amber while the retinotopy
/// is the approximate template or the vessels are generated).
fn sources_line(ui: &mut egui::Ui, state: &PlanState) {
    let amber = egui::Color32::from_rgb(240, 200, 90);
    let plain = ui.visuals().weak_text_color();
    if state.problem.is_none() {
        ui.label(
            egui::RichText::new(format!(
                "Retinotopy: {} · vessels: {} (prepare to resolve)",
                state.config.scene.retinotopy, state.config.scene.vessels
            ))
            .small()
            .color(plain),
        );
        return;
    }
    let approx = |t: &str| t.contains("approximate") || t.contains("generated");
    for (what, text) in [
        ("Retinotopy", &state.retinotopy),
        ("Vessels", &state.vessels_note),
        ("Coordinates", &state.coordinates),
    ] {
        ui.label(
            egui::RichText::new(format!("{what}: {text}"))
                .small()
                .color(if approx(text) { amber } else { plain }),
        );
    }
}

pub fn planning_window(
    ctx: &egui::Context,
    ui_state: &mut PlanUi,
    state: &mut PlanState,
    out: &mut Vec<PlanCommand>,
) {
    if !ui_state.open {
        return;
    }
    let mut open = ui_state.open;
    // start at the right edge, over the inspector, so the 3D view stays visible
    let right = ctx.content_rect().right();
    egui::Window::new("Electrode planning")
        .open(&mut open)
        .default_width(560.0)
        .default_pos([(right - 580.0).max(0.0), 28.0])
        .show(ctx, |ui| {
        sources_line(ui, state);
        egui::CollapsingHeader::new("Configuration").default_open(state.problem.is_none()).show(ui, |ui| {
            let c = &mut state.config;
            egui::Grid::new("plancfg").num_columns(2).show(ui, |ui| {
                ui.label("device");
                egui::ComboBox::from_id_salt("device").selected_text(&c.electrodes.device).show_ui(ui, |ui| {
                    for d in ["single", "utah", "thread", "orion"] {
                        ui.selectable_value(&mut c.electrodes.device, d.to_string(), d);
                    }
                });
                ui.end_row();
                ui.label("count (budget)");
                ui.add(egui::DragValue::new(&mut c.electrodes.count).range(1..=2000));
                ui.end_row();
                ui.label("hemispheres");
                ui.horizontal(|ui| {
                    for h in [Hemisphere::Left, Hemisphere::Right] {
                        let mut on = c.scene.hemispheres.contains(&h);
                        if ui.checkbox(&mut on, format!("{h:?}")).changed() {
                            c.scene.hemispheres.retain(|x| *x != h);
                            if on {
                                c.scene.hemispheres.push(h);
                            }
                        }
                    }
                });
                ui.end_row();
                ui.label("vessel margin (mm)");
                ui.add(egui::Slider::new(&mut c.constraints.margin_mm, 0.0..=3.0));
                ui.end_row();
                ui.label("avoid vessels");
                ui.checkbox(&mut c.constraints.avoid_vessels, "");
                ui.end_row();
                ui.label("retinotopy");
                let current = state
                    .retinotopy_choices
                    .iter()
                    .find(|(v, _)| *v == c.scene.retinotopy)
                    .map_or(c.scene.retinotopy.clone(), |(_, l)| l.clone());
                egui::ComboBox::from_id_salt("retinotopy").selected_text(current).width(260.0).show_ui(ui, |ui| {
                    for (v, l) in &state.retinotopy_choices {
                        ui.selectable_value(&mut c.scene.retinotopy, v.clone(), l);
                    }
                });
                ui.end_row();
                ui.label("target areas");
                ui.horizontal(|ui| {
                    for a in ["V1", "V2", "V3"] {
                        let mut on = c.scene.areas.iter().any(|x| x == a);
                        if ui.checkbox(&mut on, a).changed() {
                            c.scene.areas.retain(|x| x != a);
                            if on {
                                c.scene.areas.push(a.to_string());
                            }
                        }
                    }
                });
                ui.end_row();
                ui.label("vessels");
                ui.add(egui::TextEdit::singleline(&mut c.scene.vessels).desired_width(260.0))
                    .on_hover_text("generated | none | a vessel graph file | a mask volume MASK.nii.gz[:THRESHOLD] (in the subject's scanner RAS when it has mri/orig.mgz)");
                ui.end_row();
                ui.label("phosphene model");
                egui::ComboBox::from_id_salt("model").selected_text(&c.model.phosphene).show_ui(ui, |ui| {
                    for m in ["scoreboard", "dynaphos"] {
                        ui.selectable_value(&mut c.model.phosphene, m.to_string(), m);
                    }
                });
                ui.end_row();
                ui.label("ρ (µm) / I max (µA)");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut c.model.rho_um).range(10.0..=3000.0));
                    ui.add(egui::DragValue::new(&mut c.model.max_current_ua).range(0.0..=1000.0));
                });
                ui.end_row();
                ui.label("field (deg)");
                ui.add(egui::DragValue::new(&mut c.field.fov_deg).range(1.0..=60.0));
                ui.end_row();
                ui.label("iterations");
                ui.add(egui::DragValue::new(&mut c.optimizer.max_iterations).range(1..=5000));
                ui.end_row();
            });
            if ui.button("Prepare (rebuild from the scene)").clicked() {
                out.push(PlanCommand::Prepare);
            }
        });
        ui.horizontal(|ui| {
            if state.running {
                if ui.button("⏹ Stop").clicked() {
                    out.push(PlanCommand::Stop);
                }
                ui.add(egui::ProgressBar::new(state.iteration as f32 / state.config.optimizer.max_iterations.max(1) as f32).desired_width(160.0).text(format!("iteration {}", state.iteration)));
            } else {
                if ui.button("▶ Run").clicked() {
                    out.push(PlanCommand::Run);
                }
                if ui.button("coverage layout").clicked() {
                    out.push(PlanCommand::ResetToCoverage);
                }
                if ui.button("random layout").clicked() {
                    out.push(PlanCommand::ResetToRandom);
                }
                if ui.button("Evaluate").on_hover_text("SSIM/MSE per task, vessels, coverage — this layout vs both baselines").clicked() {
                    out.push(PlanCommand::Evaluate);
                }
            }
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut state.drag_mode, "drag electrodes").on_hover_text("press on an electrode in the 3D view and move it over the cortex");
            ui.checkbox(&mut state.show_electrodes, "show electrodes");
            ui.checkbox(&mut state.show_margin, "show vessel margin")
                .on_hover_text("translucent keep-out shells (vessel radius + margin) around the vessels near the contacts");
        });
        if let Some((i, p)) = state.dragging.and_then(|i| state.layout.as_ref()?.placements.get(i).map(|p| (i, p))) {
            ui.label(format!("dragging device {i} to ({:.1}, {:.1}) mm on the sheet", p.u, p.v));
        }
        if !state.curve.is_empty() {
            let pts: PlotPoints = state.curve.iter().enumerate().map(|(i, &l)| [i as f64, l]).collect();
            Plot::new("loss").height(110.0).allow_scroll(false).show(ui, |p| p.line(Line::new("loss", pts)));
        }
        // targets and live percept
        if let Some(problem) = state.problem.clone() {
            ui.separator();
            ui.horizontal(|ui| {
                for (i, t) in problem.tasks.iter().enumerate() {
                    if ui.selectable_label(state.task == i, &t.name).clicked() {
                        state.task = i;
                        state.target = 0;
                    }
                }
                let n = problem.tasks.get(state.task).map(|t| t.targets.len()).unwrap_or(1);
                ui.add(egui::Slider::new(&mut state.target, 0..=n.saturating_sub(1)).text("target"));
            });
            let (w, h) = (problem.grid.width, problem.grid.height);
            let key = (state.percept_rev, state.task, state.target);
            if ui_state.shown != key || ui_state.target_tex.is_none() {
                ui_state.shown = key;
                if let Some(t) = state.target_pixels() {
                    let img = grey_image(t, w, h);
                    match &mut ui_state.target_tex {
                        Some(tex) => tex.set(img, egui::TextureOptions::NEAREST),
                        None => ui_state.target_tex = Some(ctx.load_texture("plan-target", img, egui::TextureOptions::NEAREST)),
                    }
                }
                if state.percept.len() == w * h {
                    let img = grey_image(&state.percept, w, h);
                    match &mut ui_state.percept_tex {
                        Some(tex) => tex.set(img, egui::TextureOptions::NEAREST),
                        None => ui_state.percept_tex = Some(ctx.load_texture("plan-percept", img, egui::TextureOptions::NEAREST)),
                    }
                }
            }
            let size = egui::vec2(256.0, 256.0);
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    ui.label("target");
                    if let Some(t) = &ui_state.target_tex {
                        ui.image((t.id(), size));
                    }
                });
                ui.vertical(|ui| {
                    ui.label(format!("predicted percept ({:.1} ms, {} updates/s)", state.percept_ms, state.updates_per_second()));
                    if let Some(t) = &ui_state.percept_tex {
                        ui.image((t.id(), size));
                    }
                });
            });
            field_plot(ui, state, problem.grid.fov_deg, problem.grid.centre);
            let active = state.contacts.iter().filter(|c| c.active()).count();
            let violating = state.contacts.iter().filter(|c| c.vessel_mm.is_some_and(|d| d < problem.margin_mm)).count();
            ui.label(format!("{} contacts, {active} active (grey matter, target areas), {violating} within the vessel margin", state.contacts.len()));
        } else {
            ui.label("Press Prepare or Run to build the plan on the current scene.");
        }
        if let Some((pa, cov, rnd)) = &state.scores {
            ui.separator();
            egui::Grid::new("scores").striped(true).num_columns(4).show(ui, |ui| {
                ui.strong("");
                ui.strong("this layout");
                ui.strong("coverage");
                ui.strong("random");
                ui.end_row();
                let tasks: Vec<String> = pa.ssim.keys().cloned().collect();
                for t in &tasks {
                    ui.label(format!("SSIM {t}"));
                    for s in [pa, cov, rnd] {
                        ui.label(format!("{:.3}", s.ssim.get(t).copied().unwrap_or(f64::NAN)));
                    }
                    ui.end_row();
                    ui.label(format!("MSE {t}"));
                    for s in [pa, cov, rnd] {
                        ui.label(format!("{:.4}", s.mse.get(t).copied().unwrap_or(f64::NAN)));
                    }
                    ui.end_row();
                }
                ui.label("margin violations");
                for s in [pa, cov, rnd] {
                    ui.label(s.margin_violations.to_string());
                }
                ui.end_row();
                ui.label("min vessel distance");
                for s in [pa, cov, rnd] {
                    ui.label(s.min_vessel_distance_mm.map(|d| format!("{d:.2} mm")).unwrap_or("—".into()));
                }
                ui.end_row();
                ui.label("grey-matter violations");
                for s in [pa, cov, rnd] {
                    ui.label(s.gray_matter_violations.to_string());
                }
                ui.end_row();
                ui.label("coverage");
                for s in [pa, cov, rnd] {
                    ui.label(format!("{:.1}%", 100.0 * s.coverage));
                }
                ui.end_row();
            });
        }
        ui.separator();
        ui.horizontal(|ui| {
            if ui_state.export_dir.is_empty() {
                ui_state.export_dir = "plan-export".into();
            }
            ui.label("export to folder");
            ui.text_edit_singleline(&mut ui_state.export_dir);
            if ui.button("Export").on_hover_text("plan.json, plan.csv, plan.mrk.json (3D Slicer), BIDS electrodes.tsv + coordsystem.json").clicked() {
                out.push(PlanCommand::Export(ui_state.export_dir.clone().into()));
            }
        });
        ui.horizontal(|ui| {
            ui.label("import");
            ui.text_edit_singleline(&mut ui_state.import_path);
            if ui.button("Import").on_hover_text("plan.json, .mrk.json, BIDS _electrodes.tsv or plan CSV").clicked() && !ui_state.import_path.is_empty() {
                out.push(PlanCommand::Import(ui_state.import_path.clone().into()));
            }
        });
    });
    ui_state.open = open;
}
