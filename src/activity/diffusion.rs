//! Diffusion (the heat equation) on the cortical sheet: ∂u/∂t = D Δu, D in mm²/s.
//!
//! Explicit Euler, u ← u + dt·D·Δu, one sparse product per step — the same arithmetic as
//! `shaders/diffusion.wgsl`. Stable for dt ≤ 2 / (D·λ_max); λ_max is bounded by
//! [`Laplacian::max_rate`] (Gershgorin). A larger dt is clamped to 0.9 of the bound and a
//! warning says so. The correctness yardstick: on a sphere of radius R a degree-l spherical
//! harmonic decays as exp(−l(l+1)·D·t/R²) (tested for l = 1, 2, 3 within 2%).

use super::laplacian::Laplacian;

/// The step actually used and, if the requested one was unstable, why it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub dt: f64,
    pub warning: Option<String>,
}

/// Check `dt` (s) against the stability bound for diffusivity `d` (mm²/s) on this mesh.
pub fn stable_step(l: &Laplacian, d: f64, dt: f64) -> Result<Step, String> {
    if !(d.is_finite() && d > 0.0) {
        return Err(format!("diffusivity D = {d} mm²/s: must be > 0"));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(format!("time step dt = {dt} s: must be > 0"));
    }
    let bound = 2.0 / (d * l.max_rate());
    if dt <= bound {
        return Ok(Step { dt, warning: None });
    }
    let used = 0.9 * bound;
    Ok(Step {
        dt: used,
        warning: Some(format!(
            "dt = {dt} s is unstable for D = {d} mm²/s on this mesh (explicit Euler needs \
             dt ≤ {bound:.3e} s); using {used:.3e} s"
        )),
    })
}

/// Advance `u` by `steps` explicit steps of `dt` (already checked) with diffusivity `d`.
pub fn run(l: &Laplacian, u: &mut [f32], d: f32, dt: f32, steps: usize) {
    let mut lap = vec![0.0f32; u.len()];
    let k = d * dt;
    for _ in 0..steps {
        l.apply(u, &mut lap);
        for (x, y) in u.iter_mut().zip(&lap) {
            *x += k * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::laplacian::icosphere;
    use super::*;

    #[test]
    fn spherical_harmonics_decay_at_their_rate() {
        // sphere of radius 10 mm, D = 1 mm²/s; zonal harmonics P_l(z/R) for l = 1, 2, 3
        let r = 10.0f32;
        let (v, f) = icosphere(20, r);
        let l = Laplacian::new(&v, &f).unwrap();
        let d = 1.0;
        for (deg, p) in [
            (1.0f64, (|z: f32| z) as fn(f32) -> f32),
            (2.0, |z: f32| 1.5 * z * z - 0.5),
            (3.0, |z: f32| 2.5 * z * z * z - 1.5 * z),
        ] {
            let u0: Vec<f32> = v.iter().map(|x| p(x[2] / r)).collect();
            let rate = deg * (deg + 1.0) * d / (r as f64 * r as f64);
            let t_end = 1.0 / rate; // decay to 1/e
            let step = stable_step(&l, d, 0.01).unwrap();
            assert!(step.warning.is_none(), "{step:?}");
            let steps = (t_end / step.dt).round() as usize;
            let mut u = u0.clone();
            run(&l, &mut u, d as f32, step.dt as f32, steps);
            let t = steps as f64 * step.dt;
            let amp = l.inner(&u, &u0) / l.inner(&u0, &u0);
            let want = (-rate * t).exp();
            let err = (amp - want).abs() / want;
            eprintln!(
                "l = {deg}: amplitude {amp:.5}, analytic {want:.5}, error {:.3}%",
                err * 100.0
            );
            assert!(
                err < 0.02,
                "l = {deg}: amplitude {amp:.4}, exp(-l(l+1)Dt/R²) = {want:.4}, error {:.2}%",
                err * 100.0
            );
        }
    }

    #[test]
    fn unstable_steps_are_clamped_with_a_warning() {
        let (v, f) = icosphere(8, 1.0);
        let l = Laplacian::new(&v, &f).unwrap();
        let s = stable_step(&l, 1.0, 1.0).unwrap();
        assert!(s.dt < 1.0 && s.warning.as_deref().unwrap().contains("unstable"));
        // the clamped step really is stable: a noisy start stays bounded
        let mut u: Vec<f32> = (0..l.len())
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        run(&l, &mut u, 1.0, s.dt as f32, 2000);
        assert!(u.iter().all(|x| x.is_finite() && x.abs() <= 1.0 + 1e-3));
        assert!(stable_step(&l, -1.0, 0.1).is_err() && stable_step(&l, 1.0, f64::NAN).is_err());
    }
}
