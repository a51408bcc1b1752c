//! egui panels. They only read and write app resources (`SceneDoc`, `Loading`, camera insets)
//! and send messages (`OpenFiles`, `OpenDialog`, `SetView`, `TakeScreenshot`); they never
//! touch entities or files themselves.

mod activity;
mod colorbar;
mod egui_shader;
mod inspector;
mod layers;
mod objects;
mod planning;
mod routing;
mod selectivity;
mod session;
mod slices;
mod state;
mod tracts;
mod vessels;

use state::level_text;
pub use state::{ExportUi, NoticeLog, Outbox, UiState};

use bevy::prelude::*;
use bevy_egui::{
    EguiContexts, EguiInput, EguiPlugin, EguiPreUpdateSet, EguiPrimaryContextPass, egui,
};

use crate::app::camera::{SetView, StandardView, UiCapture, ViewportInset};
use crate::app::capture::TakeScreenshot;
use crate::app::files::{OpenDialog, OpenFiles};
use crate::app::planning::{PlanCommand, PlanState};
use crate::app::shared::Loading;
use crate::app::shared::{Level, Notice, SceneDoc};

pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default());
        egui_shader::install(app);
        app.init_resource::<NoticeLog>()
            .init_resource::<UiState>()
            .add_systems(Update, collect_notices)
            .add_systems(
                PreUpdate,
                drop_repeated_modifier_events
                    .after(EguiPreUpdateSet::ProcessInput)
                    .before(EguiPreUpdateSet::BeginPass),
            )
            .add_systems(
                EguiPrimaryContextPass,
                (
                    motion_view,
                    panels,
                    activity::activity_window,
                    activity::traces_window,
                    activity::presenter_legend,
                )
                    .chain(),
            );
    }
}

/// While the camera moves the 3D view is drawn at reduced resolution into an image, and while a
/// tool holds the view still it is shown from one drawn image (`app::motion`): show it in the
/// area the panels leave free, under the panels, with the tool's moving dots over it.
fn motion_view(
    mut contexts: EguiContexts,
    mut motion: ResMut<crate::app::motion::MotionResolution>,
    inset: Res<ViewportInset>,
    mut state: ResMut<UiState>,
) -> Result {
    match state.motion_mode {
        None => state.motion_mode = Some(motion.mode),
        Some(m) if m != motion.mode => motion.mode = m,
        _ => {}
    }
    let Some(tex) = motion.texture.filter(|_| motion.active) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let screen = ctx.viewport_rect();
    let free = egui::Rect::from_min_max(
        egui::pos2(screen.min.x + inset.left, screen.min.y + inset.top),
        egui::pos2(screen.max.x - inset.right, screen.max.y - inset.bottom),
    );
    if free.width() <= 0.0 || free.height() <= 0.0 {
        return Ok(());
    }
    // the image covers the whole window: the free area's part of it
    let to_uv = |p: egui::Pos2| ((p - screen.min) / screen.size()).to_pos2();
    let uv = egui::Rect::from_min_max(to_uv(free.min), to_uv(free.max));
    let painter = ctx.layer_painter(egui::LayerId::background());
    painter.image(tex, free, uv, egui::Color32::WHITE);
    // what a tool moves over a frozen view (an electrode drag's markers)
    let painter = painter.with_clip_rect(free);
    for d in &motion.overlay {
        let [r, g, b] = d.rgb;
        painter.circle_filled(
            egui::pos2(d.at.x, d.at.y),
            d.radius,
            egui::Color32::from_rgb(r, g, b),
        );
    }
    Ok(())
}

/// bevy_egui 0.42 sends egui a `ModifiersChanged` event every frame; egui counts any event as a
/// reason to repaint, so the app would never go idle. Pass the event on only when the
/// modifiers really change (egui keeps the last value it was told).
fn drop_repeated_modifier_events(
    mut inputs: Query<&mut EguiInput>,
    mut last: Local<Option<egui::Modifiers>>,
) {
    for mut input in &mut inputs {
        let raw = &mut input.0;
        let mut seen = *last;
        raw.events.retain(|e| match e {
            egui::Event::ModifiersChanged(m) => {
                let changed = seen != Some(*m);
                seen = Some(*m);
                changed
            }
            _ => true,
        });
        *last = seen;
    }
}

fn collect_notices(mut notices: MessageReader<Notice>, mut log: ResMut<NoticeLog>) {
    for n in notices.read() {
        match n.level {
            Level::Error => error!("{}", n.text),
            Level::Warning => warn!("{}", n.text),
            Level::Info => info!("{}", n.text),
        }
        log.entries.push((n.level, n.text.clone()));
        if n.level == Level::Error {
            log.last_error = Some((n.text.clone(), std::time::Instant::now()));
        }
        if log.entries.len() > 500 {
            log.entries.remove(0);
        }
    }
}

/// The panels' later resources, grouped (a system takes at most 16 parameters).
type MoreParams<'w> = (
    ResMut<'w, crate::app::timeline::Playback>,
    ResMut<'w, crate::app::volumes::Slices>,
    MessageWriter<'w, crate::app::files::LoadTemplate>,
    ResMut<'w, crate::app::selectivity::Hover>,
    ResMut<'w, crate::app::regions::RegionView>,
    ResMut<'w, crate::app::session::SessionState>,
    MessageWriter<'w, crate::app::session::SessionCommand>,
    ResMut<'w, crate::app::presenter::Presenter>,
    MessageWriter<'w, crate::app::presenter::PresenterCommand>,
    Res<'w, crate::app::history::History>,
    MessageWriter<'w, crate::app::history::HistoryCommand>,
    ResMut<'w, crate::app::tracts::TractView>,
);

#[allow(clippy::too_many_arguments)]
fn panels(
    mut contexts: EguiContexts,
    mut doc: ResMut<SceneDoc>,
    mut loading: ResMut<Loading>,
    mut log: ResMut<NoticeLog>,
    mut state: ResMut<UiState>,
    mut capture: ResMut<UiCapture>,
    mut inset: ResMut<ViewportInset>,
    mut open: MessageWriter<OpenFiles>,
    mut dialog: MessageWriter<OpenDialog>,
    mut views: MessageWriter<SetView>,
    mut shots: MessageWriter<TakeScreenshot>,
    mut exit: MessageWriter<AppExit>,
    mut plan: ResMut<PlanState>,
    mut plan_cmds: MessageWriter<PlanCommand>,
    mut vessel_view: ResMut<crate::app::vessels::VesselView>,
    (
        mut playback,
        mut slice_images,
        mut templates,
        mut hover,
        mut regions,
        mut sessions,
        mut session_cmds,
        mut presenter,
        mut presenter_cmds,
        history,
        mut history_cmds,
        mut tract_view,
    ): MoreParams,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut out = Outbox {
        open: Vec::new(),
        dialog: false,
        view: None,
        screenshot: None,
        quit: false,
        session_save: false,
        history: None,
        export: None,
        history_state: (history.can_undo(), history.can_redo()),
    };
    if loading.want_path_entry {
        loading.want_path_entry = false;
        state.path_entry.get_or_insert_with(String::new);
    }
    if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
        out.dialog = true;
    }
    let mut scmds = Vec::new();
    session::session_keys(&ctx, &mut scmds, &mut state);
    session::sync_panels(&mut state, &mut sessions);
    if std::mem::take(&mut presenter.toggle_help) {
        state.show_help = !state.show_help;
    }
    if (ctx.zoom_factor() - presenter.ui_scale).abs() > 1e-3 {
        ctx.set_zoom_factor(presenter.ui_scale);
    }
    session::caption_overlay(&ctx, sessions.caption.as_deref());
    if presenter.hide_panels {
        // presenter: the view alone (the caption, the key help and the session windows stay)
        let mut pcmds = Vec::new();
        help_window(&ctx, &mut state.show_help);
        session::session_windows(&ctx, &mut state, &mut sessions, &mut scmds);
        for c in scmds {
            session_cmds.write(c);
        }
        session::presenter_window(&ctx, &mut state, &mut presenter, &mut sessions, &mut pcmds);
        for c in pcmds {
            presenter_cmds.write(c);
        }
        if plan.reveal_panel {
            plan.reveal_panel = false;
            state.plan.open = true;
        }
        planning::presenter_percept(&ctx, &mut state.plan, &plan);
        let zero = ViewportInset::default();
        if *inset != zero {
            *inset = zero;
        }
        capture.pointer = ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui();
        capture.keyboard = ctx.egui_wants_keyboard_input();
        return Ok(());
    }

    let mut root = egui::Ui::new(
        ctx.clone(),
        "viewport".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );

    let top = egui::Panel::top("menu")
        .show(&mut root, |ui| {
            menu_bar(ui, &mut doc, &mut state, &mut log, &mut out)
        })
        .response
        .rect
        .height();
    let mut bottom = egui::Panel::bottom("status")
        .show(&mut root, |ui| {
            colorbar::status_bar(ui, &doc.0, &loading, &vessel_view, &mut log)
        })
        .response
        .rect
        .height();
    if playback.layer.is_some() {
        bottom += egui::Panel::bottom("timeline")
            .show(&mut root, |ui| {
                activity::timeline_strip(ui, &doc.0, &mut playback)
            })
            .response
            .rect
            .height();
    }
    let left = egui::Panel::left("layers")
        .default_size(300.0)
        .resizable(true)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                layers::layers_panel(ui, &mut doc.0, &mut state.expanded_layer)
            });
        })
        .response
        .rect
        .width();
    let right = egui::Panel::right("inspector")
        .default_size(260.0)
        .resizable(true)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| inspector::inspector_panel(ui, &doc.0));
        })
        .response
        .rect
        .width();

    // colour bar floats over the bottom of the 3D view
    colorbar::colorbar_overlay(&ctx, &doc.0, left, bottom);
    windows(&ctx, &mut state, &mut log, &mut out);
    session::session_windows(&ctx, &mut state, &mut sessions, &mut scmds);
    let mut pcmds = Vec::new();
    session::presenter_window(&ctx, &mut state, &mut presenter, &mut sessions, &mut pcmds);
    for c in pcmds {
        presenter_cmds.write(c);
    }
    if let Some(h) = out.history.take() {
        history_cmds.write(h);
    }
    if std::mem::take(&mut out.session_save) {
        scmds.push(crate::app::session::SessionCommand::Save);
    }
    if let Some(c) = out.export.take() {
        scmds.push(c);
    }
    for c in scmds {
        session_cmds.write(c);
    }
    let mut cmds = Vec::new();
    if plan.reveal_panel {
        plan.reveal_panel = false;
        state.plan.open = true;
    }
    planning::planning_window(&ctx, &mut state.plan, &mut plan, &mut cmds);
    if vessel_view.picked != state.last_picked_vessel {
        state.last_picked_vessel = vessel_view.picked;
        // a picked vessel opens its panel, unless another tool is in use (a click meant for
        // the cortex often lands on a surface vessel; it must not cover that tool)
        let busy = state.activity_open
            || state.plan.open
            || playback.traces_open
            || state.selectivity.open
            || state.routing.open;
        state.vessels_open |= vessel_view.picked.is_some() && !busy;
    }
    vessels::vessels_window(&ctx, &mut state.vessels_open, &doc.0, &mut vessel_view);
    tracts::tracts_window(&ctx, &doc.0, &mut tract_view);
    if !doc.0.objects.is_empty() {
        objects::objects_window(&ctx, &mut doc.0);
    }
    let mut ask = Vec::new();
    slices::slices_window(
        &ctx,
        &mut state.slices,
        &mut doc.0,
        &mut slice_images,
        &mut ask,
    );
    for t in ask {
        templates.write(t);
    }
    selectivity::selectivity_window(&ctx, &mut state.selectivity, &mut doc.0, &mut hover);
    if hover.reveal_routing {
        hover.reveal_routing = false;
        state.routing.open = true;
    }
    routing::routing_window(&ctx, &mut state.routing, &mut doc.0, &mut regions);
    for c in cmds {
        plan_cmds.write(c);
    }

    let new_inset = ViewportInset {
        left,
        right,
        top,
        bottom,
    };
    if *inset != new_inset {
        *inset = new_inset;
    }
    capture.pointer = ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui();
    capture.keyboard = ctx.egui_wants_keyboard_input();

    if !out.open.is_empty() {
        open.write(OpenFiles(out.open));
    }
    if out.dialog {
        dialog.write(OpenDialog);
    }
    if let Some(v) = out.view {
        views.write(SetView(v));
    }
    if let Some(p) = out.screenshot {
        shots.write(TakeScreenshot(p));
    }
    if out.quit {
        exit.write(AppExit::Success);
    }
    Ok(())
}

fn menu_bar(
    ui: &mut egui::Ui,
    doc: &mut SceneDoc,
    state: &mut UiState,
    log: &mut NoticeLog,
    out: &mut Outbox,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…  (Ctrl+O)").clicked() {
                out.dialog = true;
                ui.close();
            }
            if ui.button("Open path…").clicked() {
                state.path_entry.get_or_insert_with(String::new);
                ui.close();
            }
            ui.separator();
            session::file_menu(ui, state, out);
            ui.separator();
            if ui.button("Save screenshot  (F12)").clicked() {
                out.screenshot = Some(None);
                ui.close();
            }
            if ui.button("Save image as… (any size, transparent)").clicked() {
                state.screenshot_entry = Some("cortexplorer.png".into());
                ui.close();
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                out.quit = true;
            }
        });
        ui.menu_button("Edit", |ui| {
            use crate::app::history::HistoryCommand;
            if ui
                .add_enabled(out.history_state.0, egui::Button::new("Undo  (Ctrl+Z)"))
                .clicked()
            {
                out.history = Some(HistoryCommand::Undo);
                ui.close();
            }
            if ui
                .add_enabled(out.history_state.1, egui::Button::new("Redo  (Ctrl+Shift+Z)"))
                .clicked()
            {
                out.history = Some(HistoryCommand::Redo);
                ui.close();
            }
        });
        ui.menu_button("View", |ui| {
            if ui.button("Presenter…  (H hides all panels)").clicked() {
                state.presenter_open = true;
                ui.close();
            }
            ui.separator();
            for v in StandardView::ALL {
                if ui.button(v.label()).clicked() {
                    out.view = Some(v);
                    ui.close();
                }
            }
            ui.separator();
            for (h, show) in doc.0.view.show.iter_mut() {
                ui.checkbox(show, format!("show {:?} hemisphere", h));
            }
            ui.separator();
            if let Some(mode) = state.motion_mode.as_mut() {
                ui.label("Half resolution while the camera moves:")
                    .on_hover_text(
                        "the 3D view is drawn smaller while it moves and sharp again as soon as \
                         it stops; auto measures both and keeps whichever is faster here",
                    );
                for m in crate::app::motion::MotionMode::ALL {
                    ui.radio_value(mode, m, m.label());
                }
            }
        });
        if ui
            .button("Vessels")
            .on_hover_text("vessel graph: statistics, display, filters, picked vessel")
            .clicked()
        {
            state.vessels_open = !state.vessels_open;
        }
        if ui
            .button("Volumes")
            .on_hover_text("sagittal, coronal and axial slices linked to the cortex (MNI152 template when no volume is loaded)")
            .clicked()
        {
            state.slices.open = !state.slices.open;
        }
        if ui
            .button("Selectivity")
            .on_hover_text("category selectivity: preferred category, selectivity index, captions and search, ROI summary, preferred images (a synthetic demo in one click)")
            .clicked()
        {
            state.selectivity.open = !state.selectivity.open;
        }
        if ui
            .button("Routing")
            .on_hover_text("attention routing: where in an image a place on the cortex draws from (pRF model or weights from a file); brush the image to light up the cortex that listens")
            .clicked()
        {
            state.routing.open = !state.routing.open;
        }
        if ui
            .button("Activity")
            .on_hover_text("simulated activity on the cortex: diffusion, wave, Kuramoto, Wilson–Cowan, LIF, BOLD")
            .clicked()
        {
            state.activity_open = !state.activity_open;
        }
        if ui
            .button("Plan electrodes")
            .on_hover_text("percept-aware planning of visual-prosthesis electrodes")
            .clicked()
        {
            state.plan.open = !state.plan.open;
        }
        ui.menu_button("Help", |ui| {
            if ui.button("Mouse and keys").clicked() {
                state.show_help = true;
                ui.close();
            }
            if ui.button("Message log").clicked() {
                log.show_log = true;
                ui.close();
            }
        });
        ui.separator();
        ui.label(egui::RichText::new("Cortexplorer").strong());
    });
}

fn windows(ctx: &egui::Context, state: &mut UiState, log: &mut NoticeLog, out: &mut Outbox) {
    if let Some(mut text) = state.path_entry.take() {
        let mut keep = true;
        egui::Window::new("Open path")
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label("File paths (one per line, or separated by spaces):");
                let r = ui.add(
                    egui::TextEdit::multiline(&mut text)
                        .desired_rows(2)
                        .desired_width(420.0),
                );
                r.request_focus();
                ui.horizontal(|ui| {
                    if ui.button("Open").clicked() {
                        out.open
                            .extend(text.split_whitespace().map(std::path::PathBuf::from));
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
        if keep {
            state.path_entry = Some(text);
        }
    }
    if let Some(mut text) = state.screenshot_entry.take() {
        let mut keep = true;
        egui::Window::new("Save image")
            .collapsible(false)
            .show(ctx, |ui| {
                ui.text_edit_singleline(&mut text);
                let e = &mut state.export;
                ui.checkbox(&mut e.custom, "render at a chosen size (offscreen)");
                ui.add_enabled_ui(e.custom, |ui| {
                    ui.horizontal(|ui| {
                        ui.add(egui::DragValue::new(&mut e.width).range(16..=16384));
                        ui.label("×");
                        ui.add(egui::DragValue::new(&mut e.height).range(16..=16384));
                        ui.label("px");
                    });
                    ui.checkbox(&mut e.transparent, "transparent background");
                });
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        if e.custom {
                            out.export = Some(crate::app::session::SessionCommand::ExportImage {
                                path: text.clone().into(),
                                width: e.width,
                                height: e.height,
                                transparent: e.transparent,
                            });
                        } else {
                            out.screenshot = Some(Some(text.clone().into()));
                        }
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
        if keep {
            state.screenshot_entry = Some(text);
        }
    }
    help_window(ctx, &mut state.show_help);
    if log.show_log {
        let mut open = true;
        egui::Window::new("Messages")
            .open(&mut open)
            .default_size([520.0, 260.0])
            .show(ctx, |ui| {
                egui::ScrollArea::vertical()
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for (level, text) in &log.entries {
                            ui.label(level_text(*level, text));
                        }
                    });
            });
        log.show_log = open;
    }
}

/// The key help (`?`, Help menu).
fn help_window(ctx: &egui::Context, open: &mut bool) {
    if !*open {
        return;
    }
    egui::Window::new("Mouse and keys")
        .open(open)
        .show(ctx, |ui| {
            egui::Grid::new("keys").show(ui, |ui| {
                for (k, v) in [
                    ("left drag", "orbit"),
                    ("right drag", "pan"),
                    ("wheel", "zoom"),
                    ("left click", "select the vertex under the pointer"),
                    ("Ctrl+O", "open files (a .json session opens as a session)"),
                    ("Ctrl+S / Ctrl+Shift+S", "save the session / save it as"),
                    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo (layers, electrodes)"),
                    ("F12", "save a screenshot of the 3D view"),
                    ("F11", "fullscreen"),
                    ("H", "hide / show all panels"),
                    ("?", "this help"),
                    ("1–9 / Ctrl+1–9", "go to / save camera bookmark"),
                    (
                        "O L R D V A P",
                        "oblique, left, right, dorsal, ventral, anterior, posterior",
                    ),
                    ("M / Shift+M", "medial side of the left / right hemisphere"),
                    ("K / T", "add a tour keyframe / play or stop the tour"),
                    ("drop files", "open them"),
                ] {
                    ui.label(egui::RichText::new(k).monospace());
                    ui.label(v);
                    ui.end_row();
                }
            });
        });
}
