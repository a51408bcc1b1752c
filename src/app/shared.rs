//! What the app's plugins share: the document, notices for the user, the capture hold, the
//! loading state and the look every view starts from. Plugins talk through these resources
//! and messages and through each other's public messages/resources, never by calling into
//! another plugin's systems; nothing here imports a plugin, and `app/mod.rs` only registers
//! them. (`tests/integration/architecture.rs` keeps the module graph free of cycles.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use bevy::prelude::*;

use crate::brain::scene::Scene;

/// The document every plugin works on.
#[derive(Resource, Default)]
pub struct SceneDoc(pub Scene);

/// Severity of a message shown to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// A message for the user (status line and message log in the GUI, stderr in the CLI).
#[derive(Message, Clone, Debug)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Info,
            text: text.into(),
        }
    }
    pub fn warn(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Warning,
            text: text.into(),
        }
    }
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Error,
            text: text.into(),
        }
    }
}

/// When the program started (for the time-to-first-frame figure).
#[derive(Resource, Clone, Copy)]
pub struct LaunchTime(pub Instant);

/// Work that an exit screenshot or a GUI benchmark waits for (a count of holders), e.g. the
/// start-up plan of `view --plan`.
#[derive(Resource, Default)]
pub struct CaptureHold(pub u32);

/// Background colour of the 3D view.
pub const BACKGROUND: Color = Color::srgb(0.08, 0.09, 0.11);

/// One background read: what it is and how far it got (per mille of the bytes parsed, for
/// the formats that report it; 0 otherwise).
#[derive(Clone)]
pub struct Pending {
    pub what: String,
    pub progress: Arc<Vec<AtomicU32>>,
}

impl Pending {
    pub fn new(what: String, files: usize) -> Self {
        Pending {
            what,
            progress: Arc::new((0..files.max(1)).map(|_| AtomicU32::new(0)).collect()),
        }
    }
    /// Mean progress over the files, 0..1.
    pub fn fraction(&self) -> f32 {
        let p = &self.progress;
        p.iter()
            .map(|a| a.load(Ordering::Relaxed) as f32)
            .sum::<f32>()
            / (1000.0 * p.len() as f32)
    }
}

/// Background work in progress (the UI shows it).
#[derive(Resource, Default)]
pub struct Loading {
    pub pending: Vec<Pending>,
    /// Set when the file dialog could not be shown: the UI opens the "type a path" box.
    pub want_path_entry: bool,
}

/// (Ctrl, Shift): held, or let go within this frame (a quick chord arrives in one batch of
/// events).
pub fn modifiers(keys: &ButtonInput<KeyCode>) -> (bool, bool) {
    let held = |a, b| keys.any_pressed([a, b]) || keys.any_just_released([a, b]);
    (
        held(KeyCode::ControlLeft, KeyCode::ControlRight),
        held(KeyCode::ShiftLeft, KeyCode::ShiftRight),
    )
}
