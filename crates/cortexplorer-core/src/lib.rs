//! # cortexplorer-core
//!
//! The domain of Cortexplorer, without a window: the scene document, geometry and vessels
//! ([`brain`]), the activity models and their operators — the CPU twins of the kernels
//! ([`activity`]), prosthetic vision ([`percept`]), electrode planning ([`planning`]),
//! category selectivity ([`selectivity`]), attention routing ([`routing`]), session files
//! ([`session`]) and every reader behind one call ([`check`]). It reads files through
//! [`io`] (the `cortexplorer-formats` crate) and imports no Bevy, egui or winit: the crate
//! graph keeps it so. Used by the app and the CLI alike, and by the fuzz targets.

#![forbid(unsafe_code)]

/// The readers and writers (the `cortexplorer-formats` crate).
pub use cortexplorer_formats as io;

pub mod activity;
pub mod brain;
pub mod check;
pub mod open;
pub mod percept;
pub mod planning;
pub mod rng;
pub mod routing;
pub mod selectivity;
pub mod session;
