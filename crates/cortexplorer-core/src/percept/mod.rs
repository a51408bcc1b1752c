//! The forward model of prosthetic vision: where a cortical electrode's phosphene appears
//! (`retinotopy`), how big and bright it is (`phosphene`), the percept image and its
//! gradients (`render`), and image similarity (`metrics`). No Bevy, no egui.

pub mod maps;
pub mod metrics;
pub mod phosphene;
pub mod render;
pub mod retinotopy;
pub mod surface;

pub use phosphene::{Dynaphos, Model, Phosphene};
pub use render::Grid;
pub use retinotopy::{FieldPoint, WedgeDipole};
