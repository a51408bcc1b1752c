//! Session windows: Save As (a path), the crash-recovery offer, the "opening…" line, and the
//! open panels kept in step with the session (saved with it, restored from it).

use bevy_egui::egui;

use super::state::{Outbox, UiState};
use crate::app::session::{SessionCommand, SessionState};

/// Panels whose open state a session records.
fn panel_flags(state: &mut UiState) -> [(&'static str, &mut bool); 7] {
    [
        ("activity", &mut state.activity_open),
        ("planning", &mut state.plan.open),
        ("vessels", &mut state.vessels_open),
        ("volumes", &mut state.slices.open),
        ("selectivity", &mut state.selectivity.open),
        ("routing", &mut state.routing.open),
        ("help", &mut state.show_help),
    ]
}

/// Keep the session's record of open panels in step (and apply a restored session's).
pub fn sync_panels(state: &mut UiState, ss: &mut SessionState) {
    if state.restored_applied != ss.restored_rev {
        state.restored_applied = ss.restored_rev;
        let want = ss.panels.clone();
        for (name, flag) in panel_flags(state) {
            *flag = want.get(name).copied().unwrap_or(false);
        }
    }
    let now: Vec<(&str, bool)> = panel_flags(state)
        .into_iter()
        .map(|(n, f)| (n, *f))
        .collect();
    for (name, open) in now {
        if ss.panels.get(name) != Some(&open) {
            ss.panels.insert(name.to_string(), open);
        }
    }
}

/// The session windows; commands go to `cmds`.
pub fn session_windows(
    ctx: &egui::Context,
    state: &mut UiState,
    ss: &mut SessionState,
    cmds: &mut Vec<SessionCommand>,
) {
    if std::mem::take(&mut ss.want_save_as) {
        state.session_entry = Some("session.json".into());
    }
    if let Some(mut text) = state.session_entry.take() {
        let mut keep = true;
        egui::Window::new("Save session as")
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label("Session file (JSON; computed data go in <name>.data beside it):");
                let r = ui.add(egui::TextEdit::singleline(&mut text).desired_width(420.0));
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() || enter {
                        cmds.push(SessionCommand::SaveAs(text.clone().into()));
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
        if keep {
            state.session_entry = Some(text);
        }
    }
    if let Some(p) = ss.recovery.clone() {
        let when = std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map(|d| format!("{} min ago", d.as_secs() / 60))
            .unwrap_or_else(|| "earlier".into());
        egui::Window::new("Restore the last session?")
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Cortexplorer did not close properly last time.");
                ui.label(format!("An autosave from {when} is available:"));
                ui.label(egui::RichText::new(p.display().to_string()).monospace());
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        cmds.push(SessionCommand::RestoreAutosave);
                    }
                    if ui.button("Discard").clicked() {
                        cmds.push(SessionCommand::DiscardAutosave);
                    }
                });
            });
    }
    if let Some(what) = ss.opening() {
        egui::Area::new("opening-session".into())
            .anchor(egui::Align2::CENTER_TOP, [0.0, 40.0])
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Opening session {what}…"));
                    });
                });
            });
    }
}

/// Ctrl+S saves, Ctrl+Shift+S asks for a new name.
pub fn session_keys(ctx: &egui::Context, cmds: &mut Vec<SessionCommand>, state: &mut UiState) {
    let shift_cmd = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
    if ctx.input_mut(|i| i.consume_key(shift_cmd, egui::Key::S)) {
        state.session_entry = Some("session.json".into());
    } else if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
        cmds.push(SessionCommand::Save);
    }
}

/// File-menu entries for sessions.
pub fn file_menu(ui: &mut egui::Ui, state: &mut UiState, out: &mut Outbox) {
    if ui.button("Open session…  (Ctrl+O, .json)").clicked() {
        out.dialog = true;
        ui.close();
    }
    if ui.button("Save session  (Ctrl+S)").clicked() {
        out.session_save = true;
        ui.close();
    }
    if ui.button("Save session as…  (Ctrl+Shift+S)").clicked() {
        state.session_entry = Some("session.json".into());
        ui.close();
    }
}

/// The presenter's caption: a title line over the top of the view.
pub fn caption_overlay(ctx: &egui::Context, caption: Option<&str>) {
    let Some(text) = caption.filter(|c| !c.trim().is_empty()) else {
        return;
    };
    egui::Area::new("caption".into())
        .anchor(egui::Align2::CENTER_TOP, [0.0, 36.0])
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(egui::Color32::from_black_alpha(150))
                .corner_radius(6.0)
                .inner_margin(egui::Margin::symmetric(16, 8))
                .show(ui, |ui| {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                    ui.label(
                        egui::RichText::new(text)
                            .size(26.0)
                            .color(egui::Color32::WHITE),
                    );
                });
        });
}

/// View→Presenter: caption, UI scale, bookmarks, tours (record, play, remove).
pub fn presenter_window(
    ctx: &egui::Context,
    state: &mut UiState,
    p: &mut crate::app::presenter::Presenter,
    ss: &mut SessionState,
    cmds: &mut Vec<crate::app::presenter::PresenterCommand>,
) {
    use crate::app::presenter::PresenterCommand as C;
    if !state.presenter_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Presenter")
        .open(&mut open)
        .default_width(340.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("Caption");
                let mut text = ss.caption.clone().unwrap_or_default();
                if ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(240.0))
                    .changed()
                {
                    ss.caption = (!text.is_empty()).then_some(text);
                }
            });
            ui.horizontal(|ui| {
                ui.label("UI scale");
                ui.add(egui::Slider::new(&mut p.ui_scale, 0.75..=2.5).step_by(0.05));
            });
            ui.horizontal(|ui| {
                if ui.button("Fullscreen (F11)").clicked() {
                    cmds.push(C::ToggleFullscreen);
                }
                if ui.button("Hide panels (H)").clicked() {
                    p.hide_panels = true;
                }
            });
            ui.separator();
            ui.label(egui::RichText::new("Camera bookmarks").strong());
            ui.horizontal_wrapped(|ui| {
                for n in 1..=9u8 {
                    let have = ss.bookmarks.contains_key(&n);
                    let b = ui
                        .add_enabled(have, egui::Button::new(n.to_string()))
                        .on_hover_text(format!("go to bookmark {n} (key {n})"));
                    if b.clicked() {
                        cmds.push(C::RecallBookmark(n));
                    }
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.label("save as");
                for n in 1..=9u8 {
                    if ui
                        .small_button(n.to_string())
                        .on_hover_text(format!("save the camera as bookmark {n} (Ctrl+{n})"))
                        .clicked()
                    {
                        cmds.push(C::SaveBookmark(n));
                    }
                }
            });
            ui.separator();
            ui.label(egui::RichText::new("Tours").strong());
            let mut remove = None;
            for (i, t) in ss.tours.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut p.tour, i, "");
                    ui.add(egui::TextEdit::singleline(&mut t.name).desired_width(120.0));
                    ui.label(format!(
                        "{} keyframes, {:.1} s",
                        t.keyframes.len(),
                        t.duration()
                    ));
                    if ui.small_button("✖").on_hover_text("remove this tour").clicked() {
                        remove = Some(i);
                    }
                });
            }
            if let Some(i) = remove {
                ss.tours.remove(i);
                p.tour = p.tour.min(ss.tours.len().saturating_sub(1));
            }
            ui.horizontal(|ui| {
                if ui.button("New tour").clicked() {
                    let name = format!("tour {}", ss.tours.len() + 1);
                    ss.tours.push(crate::session::Tour {
                        name,
                        keyframes: Vec::new(),
                    });
                    p.tour = ss.tours.len() - 1;
                }
                if ui
                    .button("Add keyframe (K)")
                    .on_hover_text("the camera, layer visibility and thresholds, morph, caption and simulation play state now")
                    .clicked()
                {
                    cmds.push(C::AddKeyframe);
                }
            });
            ui.horizontal(|ui| {
                ui.label("seconds between keyframes");
                ui.add(
                    egui::DragValue::new(&mut p.keyframe_spacing_s)
                        .range(0.2..=60.0)
                        .speed(0.1),
                );
            });
            ui.horizontal(|ui| {
                if p.playing.is_some() {
                    if ui.button("Stop (T)").clicked() {
                        cmds.push(C::StopTour);
                    }
                } else if ui.button("Play (T)").clicked() {
                    cmds.push(C::PlayTour);
                }
            });
            ui.label(
                egui::RichText::new(
                    "Tours are saved in the session; export one with\n`cortexplorer render --session S --tour NAME --out movie.mp4`",
                )
                .small()
                .weak(),
            );
        });
    state.presenter_open = open;
}
