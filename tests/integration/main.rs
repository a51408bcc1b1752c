//! Integration tests, one binary (link time matters with Bevy): readers against nibabel,
//! the CLI contract, bad input, and a real render through Bevy on lavapipe.

mod architecture;
mod bad_input;
mod cli;
mod gui;
mod percept;
mod plan;
mod readers;
mod render;
mod simulate;
mod vessels;
mod vol2surf;

use std::path::PathBuf;

pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub fn asset(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(rel)
}

pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(data("expected_nibabel.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A scratch directory unique to this test process and name.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cortexplorer-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_cortexplorer"))
}
