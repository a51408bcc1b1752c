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
    /// the read preview's textures (letter, then one per layout) and the preview they show
    preview_tex: Vec<(String, egui::TextureHandle)>,
    preview_key: Option<(char, u64)>,
    shown: (u64, usize, usize),
    export_dir: String,
    import_path: String,
    /// the panel shows the reading report (true) or the live percept (false)
    pub reading_tab: bool,
    /// the reading report last switched to (a new one brings its tab forward)
    reading_seen: usize,
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

/// Put `img` into the texture in `slot` (made on first use). A texture of the same size is
/// written in place: replacing it whole makes bevy_egui upload a new image each time, which is
/// not drawn until a later frame — so a percept renewed every frame of a drag was never seen.
fn show_grey(
    ctx: &egui::Context,
    slot: &mut Option<egui::TextureHandle>,
    name: &str,
    img: egui::ColorImage,
) {
    let opts = egui::TextureOptions::NEAREST;
    match slot {
        Some(tex) if tex.size() == img.size => tex.set_partial([0, 0], img, opts),
        Some(tex) => tex.set(img, opts),
        None => *slot = Some(ctx.load_texture(name, img, opts)),
    }
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

/// Bring the target and live-percept textures up to the current percept and target.
fn percept_textures(
    ctx: &egui::Context,
    ui_state: &mut PlanUi,
    state: &PlanState,
    problem: &crate::planning::optimize::Problem,
) {
    let (w, h) = (problem.grid.width, problem.grid.height);
    let key = (state.percept_rev, state.task, state.target);
    if ui_state.shown != key || ui_state.target_tex.is_none() {
        let target_moved = (ui_state.shown.1, ui_state.shown.2) != (key.1, key.2);
        ui_state.shown = key;
        if let Some(t) = state
            .target_pixels()
            .filter(|_| target_moved || ui_state.target_tex.is_none())
        {
            show_grey(
                ctx,
                &mut ui_state.target_tex,
                "plan-target",
                grey_image(t, w, h),
            );
        }
        if state.percept.len() == w * h {
            show_grey(
                ctx,
                &mut ui_state.percept_tex,
                "plan-percept",
                grey_image(&state.percept, w, h),
            );
        }
    }
}

/// Presenter mode (panels hidden): while planning, the target and the live percept as a small
/// inset at the bottom right, so a drag shows what the patient would see as it moves (drawn
/// from the same textures as the Plan panel: 2 × 160 px, a small part of the frame).
pub fn presenter_percept(ctx: &egui::Context, ui_state: &mut PlanUi, state: &PlanState) {
    let Some(problem) = state.problem.clone() else {
        return;
    };
    if !ui_state.open || state.percept.is_empty() {
        return;
    }
    percept_textures(ctx, ui_state, state, &problem);
    let size = egui::vec2(160.0, 160.0);
    egui::Area::new("presenter-percept".into())
        .anchor(egui::Align2::RIGHT_BOTTOM, [-12.0, -12.0])
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    if let Some(t) = &ui_state.target_tex {
                        ui.image((t.id(), size));
                    }
                    if let Some(t) = &ui_state.percept_tex {
                        ui.image((t.id(), size));
                    }
                });
                ui.label(
                    egui::RichText::new(format!(
                        "target · predicted percept ({} updates/s)",
                        state.updates_per_second()
                    ))
                    .small(),
                );
            });
        });
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
            if ui.button("🎥 look at electrodes").on_hover_text("camera on the electrodes: posterior-medial view of the planned hemisphere (the other hidden), or from behind for both").clicked() {
                out.push(PlanCommand::ShowElectrodes);
            }
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
        // a new reading report brings its tab forward; dragging brings the live percept back
        let seen = state.reading.as_ref().map_or(0, |r| std::sync::Arc::as_ptr(r) as usize);
        if seen != 0 && seen != ui_state.reading_seen {
            ui_state.reading_seen = seen;
            ui_state.reading_tab = true;
        }
        if state.drag_mode {
            ui_state.reading_tab = false;
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.selectable_value(&mut ui_state.reading_tab, false, "live percept");
            ui.selectable_value(&mut ui_state.reading_tab, true, "reading (held-out letters)");
        });
        if ui_state.reading_tab {
            reading_section(ui, ctx, state, ui_state, out);
        } else {
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
            percept_textures(ctx, ui_state, state, &problem);
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

/// Colours of the layouts in the reading plots.
fn layout_colour(name: &str) -> egui::Color32 {
    match name {
        "percept_aware" => egui::Color32::from_rgb(230, 70, 60),
        "coverage" => egui::Color32::from_rgb(80, 150, 230),
        "lattice" => egui::Color32::from_rgb(170, 170, 170),
        "random" => egui::Color32::from_rgb(90, 190, 90),
        "coverage_central" => egui::Color32::from_rgb(60, 200, 210),
        _ => egui::Color32::from_rgb(170, 120, 220),
    }
}

/// Reading: psychometric curves of the held-out letters per layout (ideal observer), the
/// electrode-equivalent line, and a held-out letter as each layout shows it.
fn reading_section(
    ui: &mut egui::Ui,
    ctx: &egui::Context,
    state: &mut PlanState,
    ui_state: &mut PlanUi,
    out: &mut Vec<PlanCommand>,
) {
    use egui_plot::{HLine, Legend, Points, VLine};
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong("Reading (held-out letters)");
        if state.reading_running {
            ui.spinner();
            ui.label("measuring…");
        } else if ui
            .button("Measure")
            .on_hover_text("26 capitals of a font the planner never saw (DejaVu Serif), 14 sizes × 3 positions, read by an ideal observer through this layout and its baselines")
            .clicked()
        {
            out.push(PlanCommand::MeasureReading);
        }
    });
    let Some(view) = state.reading.clone() else {
        ui.label("Run a plan, or press Measure, to see how the layout reads.");
        return;
    };
    if state.layout.as_ref() != Some(&view.layout) {
        ui.colored_label(
            egui::Color32::from_rgb(230, 180, 80),
            "measured on an earlier layout: press Measure again",
        );
    }
    let r = &view.report;
    // the read preview
    if let Some(pv) = &view.preview {
        let key = (pv.letter, pv.size_deg.to_bits());
        if ui_state.preview_key != Some(key) {
            ui_state.preview_key = Some(key);
            ui_state.preview_tex.clear();
            let mut add = |name: &str, px: &[f32]| {
                // each percept stretched to its own brightest pixel (a dim layout's dots are
                // seen, as a patient's gain would be set)
                let top = px.iter().fold(0f32, |m, v| m.max(*v));
                let scaled: Vec<f32> = if top > 0.0 {
                    px.iter().map(|v| v / top).collect()
                } else {
                    px.to_vec()
                };
                let img = grey_image(&scaled, pv.width, pv.height);
                let tex =
                    ctx.load_texture(format!("read-{name}"), img, egui::TextureOptions::LINEAR);
                ui_state.preview_tex.push((name.to_string(), tex));
            };
            add("letter", &pv.stimulus);
            for name in ["percept_aware", "coverage", "lattice"] {
                if let Some((_, px)) = pv.percepts.iter().find(|(n, _)| n == name) {
                    add(name, px);
                }
            }
        }
        ui.horizontal(|ui| {
            ui.label(format!("a held-out letter at {:.2}°:", pv.size_deg));
            egui::ComboBox::from_id_salt("preview-letter")
                .selected_text(pv.letter.to_string())
                .width(40.0)
                .show_ui(ui, |ui| {
                    for c in crate::planning::reading::LETTERS {
                        if ui.selectable_label(pv.letter == c, c.to_string()).clicked() {
                            out.push(PlanCommand::PreviewLetter(c));
                        }
                    }
                });
        });
        ui.horizontal(|ui| {
            for (name, tex) in &ui_state.preview_tex {
                ui.vertical(|ui| {
                    let label = match name.as_str() {
                        "letter" => "the letter".to_string(),
                        "percept_aware" => "this layout".to_string(),
                        n => n.to_string(),
                    };
                    ui.label(egui::RichText::new(label).color(if name == "letter" {
                        egui::Color32::WHITE
                    } else {
                        layout_colour(name)
                    }));
                    ui.image((tex.id(), egui::vec2(110.0, 110.0)));
                });
            }
        });
    }
    let sizes = &r.observer.options.sizes_deg;
    // the single-contact layouts (the panel does not draw the snapped thread layout)
    let order = &crate::planning::evaluate::LAYOUT_ORDER[..5];
    Plot::new("reading")
        .height(170.0)
        .allow_scroll(false)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_label("letter size, log₁₀ degrees")
        .y_axis_label("correct")
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |p| {
            for &name in order {
                let Some(l) = r.layouts.get(name) else {
                    continue;
                };
                let c = layout_colour(name);
                let pts: PlotPoints = sizes
                    .iter()
                    .zip(&l.ideal.accuracy)
                    .map(|(s, a)| [s.log10(), *a])
                    .collect();
                // one legend entry per layout: its points, curve and threshold share the label
                let label = l.ideal.label(name);
                p.points(Points::new(label.clone(), pts).color(c).radius(2.5));
                if let Some(f) = l.ideal.fit {
                    let (lo, hi) = (sizes[0].log10(), sizes[sizes.len() - 1].log10());
                    let curve: PlotPoints = (0..100)
                        .map(|k| {
                            let x = lo + (hi - lo) * k as f64 / 99.0;
                            [x, f.p(10f64.powf(x))]
                        })
                        .collect();
                    p.line(Line::new(label.clone(), curve).color(c));
                }
                if let Some(t) = l.ideal.threshold_deg {
                    p.vline(VLine::new(label.clone(), t.log10()).color(c.gamma_multiply(0.5)));
                }
            }
            p.hline(HLine::new("50%", 0.5).color(egui::Color32::GRAY));
        });
    if let Some(a) = &r.at_coverage_threshold {
        ui.label(format!(
            "At {:.2}° ({:.2} logMAR), where coverage reads 50%: this layout {:.0}% ({:+.1} pp, 95% CI {}), the lattice {:.0}%.",
            a.size_deg,
            a.size_logmar,
            100.0 * a.accuracy.get("percept_aware").copied().unwrap_or(f64::NAN),
            a.gain_vs_coverage_pp.mean,
            a.gain_vs_coverage_pp.ci95.map_or("–".into(), |c| format!("{:+.1} to {:+.1}", c[0], c[1])),
            100.0 * a.accuracy.get("lattice").copied().unwrap_or(f64::NAN),
        ));
    }
    // the electrode-equivalent line: coverage thresholds against devices, and the plan's
    if let Some(e) = &r.electrode_equivalent {
        let plan_t = r
            .layouts
            .get("percept_aware")
            .and_then(|l| l.ideal.threshold_deg);
        let pts: Vec<[f64; 2]> = e
            .coverage_devices
            .iter()
            .zip(&e.coverage_thresholds_deg)
            .filter_map(|(n, t)| t.map(|t| [*n as f64, t]))
            .collect();
        if !pts.is_empty() {
            Plot::new("equivalent")
                .height(110.0)
                .allow_scroll(false)
                .x_axis_label("coverage electrodes")
                .y_axis_label("threshold °")
                .show(ui, |p| {
                    p.line(
                        Line::new("coverage", PlotPoints::from(pts.clone()))
                            .color(layout_colour("coverage")),
                    );
                    p.points(
                        Points::new("coverage points", PlotPoints::from(pts))
                            .color(layout_colour("coverage"))
                            .radius(3.0),
                    );
                    if let Some(t) = plan_t {
                        p.hline(HLine::new("this layout", t).color(layout_colour("percept_aware")));
                    }
                    if let Some(n) = e.equivalent_devices {
                        p.vline(
                            VLine::new("equivalent", n)
                                .color(layout_colour("percept_aware").gamma_multiply(0.6)),
                        );
                    }
                });
        }
        let devices = r.layouts.get("percept_aware").map_or(0, |l| l.devices);
        ui.label(match (e.equivalent_devices, e.beyond_range) {
            (Some(n), _) => format!(
                "{devices} planned electrodes read like {n:.0} coverage electrodes ({:.2}×)",
                n / devices.max(1) as f64
            ),
            (None, true) => format!(
                "{devices} planned read better than {} coverage electrodes",
                e.coverage_devices.last().unwrap_or(&0)
            ),
            (None, false) => "coverage electrodes of the same count already read as well".into(),
        });
    }
}
