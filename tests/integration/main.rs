//! Integration tests, one binary (link time matters with Bevy): readers against nibabel,
//! the CLI contract, bad input, and a real render through Bevy on lavapipe.

mod architecture;
mod bad_input;
mod cli;
mod corpus;
mod docs;
mod gui;
mod percept;
mod plan;
mod readers;
mod render;
mod routing;
mod selectivity;
mod sessions;
mod setup;
mod simulate;
mod subject;
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

/// A NIfTI-1 single file (float32) with the given sform; voxel values `field(frame, world)`.
pub fn nifti_f32(
    dims: [usize; 4],
    srow: [[f32; 4]; 3],
    field: impl Fn(usize, [f64; 3]) -> f64,
) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    let put_i16 =
        |h: &mut Vec<u8>, at: usize, v: i16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 =
        |h: &mut Vec<u8>, at: usize, v: f32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    put_i16(&mut h, 40, 4);
    for (i, d) in dims.iter().enumerate() {
        put_i16(&mut h, 42 + 2 * i, *d as i16);
    }
    for i in 4..7 {
        put_i16(&mut h, 42 + 2 * i, 1);
    }
    put_i16(&mut h, 70, 16); // float32
    put_i16(&mut h, 72, 32);
    for (i, v) in [1.0f32, 1.0, 1.0, 1.0, 1.5].iter().enumerate() {
        put_f32(&mut h, 76 + 4 * i, *v);
    }
    put_f32(&mut h, 108, 352.0); // vox_offset
    put_f32(&mut h, 112, 0.0); // scl_slope 0: no scaling
    h[123] = 10 | 8; // mm, s
    put_i16(&mut h, 254, 1); // sform_code
    for (r, row) in srow.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            put_f32(&mut h, 280 + 16 * r + 4 * c, *v);
        }
    }
    h[344..348].copy_from_slice(b"n+1\0");
    let world = |i: usize, j: usize, k: usize| -> [f64; 3] {
        std::array::from_fn(|r| {
            let s = srow[r].map(f64::from);
            s[0] * i as f64 + s[1] * j as f64 + s[2] * k as f64 + s[3]
        })
    };
    for t in 0..dims[3] {
        for k in 0..dims[2] {
            for j in 0..dims[1] {
                for i in 0..dims[0] {
                    h.extend((field(t, world(i, j, k)) as f32).to_le_bytes());
                }
            }
        }
    }
    h
}
