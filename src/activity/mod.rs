//! Activity on the cortical sheet: operators on the mesh and the models that run on them.
//!
//! Everything here is plain Rust (no Bevy, no GPU): the CPU reference ("twin") of every
//! kernel in `shaders/`, which tests compare the GPU against.
//!
//! * [`laplacian`] — the discrete Laplace–Beltrami operator (cotangent weights, lumped mass),
//!   stored row-wise (CSR) in f32 exactly as the compute kernels read it.
//! * [`models`] — diffusion, damped wave, Kuramoto, Wilson–Cowan, LIF, Balloon–Windkessel:
//!   explicit steps with checked time steps, each the CPU twin of `shaders/<model>.wgsl`.
//! * [`setup`] — models from names and `name=value` parameters, their inputs and starting
//!   states (one table for the CLI and the panel).

pub mod laplacian;
pub mod models;
pub mod setup;

use crate::brain::surface::Surface;

/// Several surfaces (e.g. both hemispheres) as one mesh for the models: vertices appended in
/// order, faces re-indexed. Returns the mesh and each surface's first vertex.
pub fn combined_mesh<'a>(
    surfaces: impl IntoIterator<Item = &'a Surface>,
) -> (Vec<[f32; 3]>, Vec<[u32; 3]>, Vec<usize>) {
    let (mut v, mut f, mut starts) = (Vec::new(), Vec::new(), Vec::new());
    for s in surfaces {
        let off = v.len();
        starts.push(off);
        f.extend(s.faces.iter().map(|t| t.map(|i| i + off as u32)));
        v.extend_from_slice(&s.vertices);
    }
    (v, f, starts)
}

/// exp(−|x − centre|² / 2σ²) at every position (σ in mm): the models' stimulus and default start.
pub fn gaussian_bump(positions: &[[f32; 3]], centre: [f32; 3], sigma_mm: f32) -> Vec<f32> {
    let c = glam::Vec3::from(centre);
    let k = 1.0 / (2.0 * sigma_mm * sigma_mm);
    positions
        .iter()
        .map(|p| (-(glam::Vec3::from(*p) - c).length_squared() * k).exp())
        .collect()
}
