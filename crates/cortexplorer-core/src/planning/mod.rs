//! Percept-aware planning of visual-prosthesis electrodes: the
//! cortical sheet the electrodes live on, electrode devices, target tasks, the optimiser and
//! baselines, planning runs from TOML, and plan import/export. No Bevy, no egui.

#![forbid(unsafe_code)]

pub mod compare;
pub mod domain;
pub mod electrodes;
pub mod evaluate;
pub mod export;
pub mod generated_subject;
pub mod optimize;
pub mod plan;
pub mod reading;
pub mod tasks;
