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
pub mod show;

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

/// A stimulus from several point sources (e.g. electrode contacts): the sum of their Gaussians
/// (σ in mm), capped at 1 where they overlap.
pub fn point_stimulus(positions: &[[f32; 3]], centres: &[[f32; 3]], sigma_mm: f32) -> Vec<f32> {
    let mut sum = vec![0.0f32; positions.len()];
    for c in centres {
        for (s, b) in sum.iter_mut().zip(gaussian_bump(positions, *c, sigma_mm)) {
            *s += b;
        }
    }
    sum.iter_mut().for_each(|s| *s = s.min(1.0));
    sum
}

/// A model run on a scene's surfaces (see [`run_on_scene`]).
pub struct SceneRun {
    /// (hemisphere, first vertex in the combined mesh, vertex count)
    pub parts: Vec<(crate::brain::Hemisphere, usize, usize)>,
    pub state: Vec<f32>,
    /// what the surface shows, per vertex of the combined mesh
    pub shown: Vec<f32>,
    pub t: f64,
    pub dt: f64,
}

impl SceneRun {
    /// The shown values split per hemisphere.
    pub fn per_hemi(&self) -> Vec<(crate::brain::Hemisphere, Vec<f32>)> {
        self.parts
            .iter()
            .map(|&(h, off, n)| (h, self.shown[off..off + n].to_vec()))
            .collect()
    }
}

/// Mesh and parts of a combined mesh: (hemisphere, first vertex, vertex count).
pub type SceneMesh = (
    Vec<[f32; 3]>,
    Vec<[u32; 3]>,
    Vec<(crate::brain::Hemisphere, usize, usize)>,
);

/// The mesh the models run on: each hemisphere's anatomical surface (pial, else the first
/// loaded) combined into one.
pub fn scene_mesh(scene: &crate::brain::scene::Scene) -> Result<SceneMesh, String> {
    use crate::brain::SurfaceKind;
    let chosen: Vec<(crate::brain::Hemisphere, &Surface)> = scene
        .hemis
        .iter()
        .filter_map(|(h, g)| {
            let s = g
                .surfaces
                .get(&SurfaceKind::Pial)
                .or_else(|| g.surfaces.values().next())?;
            Some((*h, s.as_ref()))
        })
        .collect();
    let (positions, faces, starts) = combined_mesh(chosen.iter().map(|c| c.1));
    if positions.is_empty() {
        return Err("no surface loaded to simulate on".into());
    }
    let parts = chosen
        .iter()
        .zip(starts)
        .map(|((h, s), off)| (*h, off, s.vertices.len()))
        .collect();
    Ok((positions, faces, parts))
}

/// Run a model on the scene's anatomical surface of each hemisphere (pial, else the first
/// loaded) for `steps` CPU steps of the default step, from the start the Activity panel uses
/// (diffusion and wave at rest but for a bump at vertex 0; the others from their default).
pub fn run_on_scene(
    scene: &crate::brain::scene::Scene,
    setup: &setup::Setup,
    steps: usize,
) -> Result<SceneRun, String> {
    let (positions, faces, parts) = scene_mesh(scene)?;
    let lap = laplacian::Laplacian::new(&positions, &faces)?;
    let n = positions.len();
    let aux = setup.aux(n);
    let dt = setup.default_dt(&lap, &aux);
    setup.model.check_step(&lap, dt)?;
    let mut state = setup.initial(&positions, 0, None);
    setup.model.run(&lap, &mut state, &aux, dt as f32, steps);
    let shown = setup.display(&state, n);
    Ok(SceneRun {
        parts,
        state,
        shown,
        t: steps as f64 * dt,
        dt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_stimuli_add_up_to_a_cap() {
        let line: Vec<[f32; 3]> = (0..21).map(|i| [i as f32, 0.0, 0.0]).collect();
        let one = point_stimulus(&line, &[[5.0, 0.0, 0.0]], 1.5);
        assert_eq!(one[5], 1.0);
        assert!((one[6] - (-1.0f32 / 4.5).exp()).abs() < 1e-6);
        assert!(one[15] < 1e-9);
        // two sources 1 mm apart overlap and are capped; a far one adds its own bump
        let many = point_stimulus(
            &line,
            &[[5.0, 0.0, 0.0], [6.0, 0.0, 0.0], [15.0, 0.0, 0.0]],
            1.5,
        );
        assert_eq!((many[5], many[6], many[15]), (1.0, 1.0, 1.0));
        // below the cap the bumps add: at x = 10 the sources are 5, 4 and 5 mm away
        let g = |d: f32| (-d * d / 4.5).exp();
        assert!((many[10] - (g(5.0) + g(4.0) + g(5.0))).abs() < 1e-6);
        assert!(point_stimulus(&line, &[], 1.5).iter().all(|x| *x == 0.0));
    }
}
