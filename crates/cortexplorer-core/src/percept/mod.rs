//! The forward model of prosthetic vision: where a cortical electrode's phosphene appears
//! (`retinotopy`; per vertex of a scene: `maps`, the built-in `template`, and `resolve`, the
//! one rule choosing a hemisphere's maps), how big and bright it is (`phosphene`), the percept image and its
//! gradients (`render`), and image similarity (`metrics`). No Bevy, no egui.

pub mod maps;
pub mod metrics;
pub mod phosphene;
pub mod render;
pub mod resolve;
pub mod retinotopy;
pub mod surface;
pub mod template;

pub use phosphene::{Dynaphos, Model, Phosphene};
pub use render::Grid;
pub use retinotopy::{FieldPoint, WedgeDipole};
