//! Activity on the cortical sheet: operators on the mesh and the models that run on them.
//!
//! Everything here is plain Rust (no Bevy, no GPU): the CPU reference ("twin") of every
//! kernel in `shaders/`, which tests compare the GPU against.
//!
//! * [`laplacian`] — the discrete Laplace–Beltrami operator (cotangent weights, lumped mass),
//!   stored row-wise (CSR) in f32 exactly as the compute kernels read it.
//! * [`models`] — diffusion, damped wave, Kuramoto: explicit steps with checked time steps,
//!   each the CPU twin of `shaders/<model>.wgsl`.

pub mod laplacian;
pub mod models;
