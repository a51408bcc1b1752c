//! # Cortexplorer
//!
//! A desktop viewer and planner for cortical data. The crate is one library with layers that
//! only point downward:
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | readers | [`io`] — one module per file format | `brain` data types |
//! | domain core | [`brain`] — surfaces, overlays, labels, volumes, colormaps, the scene document | plain Rust, `glam`, `colorgrad` |
//! | app | [`app`] — Bevy plugins, one per feature (scene meshes, camera, picking, files, capture) | core, Bevy |
//! | ui | [`ui`] — egui panels; they read and write app resources and send messages, nothing else | app resources, egui |
//! | cli | [`cli`] — `inspect`, `render`, `view`: same functions as the GUI, JSON out | everything |
//!
//! Rule: nothing under `io/` or `brain/` imports Bevy or egui (checked by a test), so
//! everything there runs in the CLI and in unit tests without a window.

pub mod app;
pub mod brain;
pub mod cli;
pub mod io;
pub mod ui;
