//! Plain data and geometry: surfaces, overlays, labels, volumes, colours. No Bevy, no egui.

#![forbid(unsafe_code)]

pub mod colormap;
pub mod features;
pub mod fsaverage5;
pub mod geometry;
pub mod mni152;
pub mod objects;
pub mod paint;
pub mod retino_names;
pub mod scene;
pub mod slices;
pub mod subject;
pub mod text;
pub mod timeline;
pub mod tracts;
pub mod vessel_gen;
pub mod vessel_mask;
pub mod vessel_mesh;
pub mod vessels;
pub mod view;
pub mod vol2surf;

/// The plain data types come from the readers' crate (`crate::io`).
pub use crate::io::{data, surface};
pub use data::{Labels, Overlay, Region, Stats, Volume};
pub use surface::{Hemisphere, Surface, SurfaceKind};
