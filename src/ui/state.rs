//! The panels' own state (not part of the document): which windows are open, what is being
//! typed, the message log, and the messages a frame's panels send. Panel modules take what they
//! need from here; nothing here calls a panel.

use bevy::prelude::*;
use bevy_egui::egui;

use super::{planning, routing, selectivity, slices};
use crate::app::camera::StandardView;
use crate::app::shared::Level;

/// Messages shown to the user (newest last).
#[derive(Resource, Default)]
pub struct NoticeLog {
    pub entries: Vec<(Level, String)>,
    pub show_log: bool,
    /// The latest error and when it came: the status line keeps it in view for a while even
    /// if other messages follow.
    pub last_error: Option<(String, std::time::Instant)>,
}

/// Panel state that is not part of the document.
#[derive(Resource, Default)]
pub struct UiState {
    pub activity_open: bool,
    pub path_entry: Option<String>,
    pub screenshot_entry: Option<String>,
    pub expanded_layer: Option<u64>,
    pub show_help: bool,
    pub plan: planning::PlanUi,
    pub vessels_open: bool,
    pub last_picked_vessel: Option<u32>,
    pub slices: slices::SlicesUi,
    pub selectivity: selectivity::SelectivityUi,
    pub routing: routing::RoutingUi,
    /// Save session as: the path being typed
    pub session_entry: Option<String>,
    /// the session restore last applied to the panels
    pub restored_applied: u64,
    pub presenter_open: bool,
    pub export: ExportUi,
    /// View menu: reduced resolution while the camera moves (`app::motion`); None until the
    /// app's setting (from the environment) has been read
    pub motion_mode: Option<crate::app::motion::MotionMode>,
}

/// Save image: size and background of an offscreen render.
pub struct ExportUi {
    pub custom: bool,
    pub width: u32,
    pub height: u32,
    pub transparent: bool,
}

impl Default for ExportUi {
    fn default() -> Self {
        ExportUi {
            custom: false,
            width: 3840,
            height: 2400,
            transparent: false,
        }
    }
}

/// Messages the panels may send this frame.
pub struct Outbox {
    pub open: Vec<std::path::PathBuf>,
    pub dialog: bool,
    pub view: Option<StandardView>,
    pub screenshot: Option<Option<std::path::PathBuf>>,
    pub quit: bool,
    pub session_save: bool,
    pub history: Option<crate::app::history::HistoryCommand>,
    pub export: Option<crate::app::session::SessionCommand>,
    /// (can undo, can redo) for the Edit menu
    pub history_state: (bool, bool),
}

pub fn level_text(level: Level, text: &str) -> egui::RichText {
    match level {
        Level::Error => {
            egui::RichText::new(format!("✖ {text}")).color(egui::Color32::from_rgb(255, 110, 100))
        }
        Level::Warning => {
            egui::RichText::new(format!("⚠ {text}")).color(egui::Color32::from_rgb(240, 200, 90))
        }
        Level::Info => egui::RichText::new(text),
    }
}
