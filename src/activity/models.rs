//! The models that run on the mesh, each an explicit step with a checked time step and a CPU
//! twin of its WGSL kernel (`shaders/<name>.wgsl`, same bindings, same order of operations):
//!
//! * **Diffusion** — ∂u/∂t = D Δu (D mm²/s); explicit Euler, stable for dt ≤ 2/(D·λmax).
//! * **Damped wave** — ∂²u/∂t² + γ ∂u/∂t = c² Δu (c mm/s, γ 1/s); symplectic Euler
//!   (v ← v + dt(c²Δu − γv), u ← u + dt·v), stable for dt ≤ min(2/(c·√λmax), 1/γ).
//! * **Kuramoto** — dθ_i/dt = ω_i + K Σ_j w_ij sin(θ_j − θ_i), w_ij the Laplacian's
//!   off-diagonal weights (1/mm², so K in mm²/s is mesh-independent), ω_i (rad/s) per vertex;
//!   explicit Euler, stable for dt ≤ 2/(K·λmax). Readout: the order parameter
//!   R = |Σ_i A_i e^{iθ_i}| / Σ_i A_i (A_i vertex areas).
//!
//! λmax is bounded by [`Laplacian::max_rate`] (Gershgorin). A requested dt above the bound is
//! clamped to 0.9 of it, with a warning that says so.

use rayon::prelude::*;

use super::laplacian::Laplacian;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    Diffusion { d: f32 },
    Wave { c: f32, gamma: f32 },
    Kuramoto { k: f32 },
}

/// The step actually used and, if the requested one was unstable, why it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub dt: f64,
    pub warning: Option<String>,
}

impl Model {
    pub fn name(&self) -> &'static str {
        match self {
            Model::Diffusion { .. } => "diffusion",
            Model::Wave { .. } => "wave",
            Model::Kuramoto { .. } => "kuramoto",
        }
    }

    /// State values per vertex (wave: u and v).
    pub fn states(&self) -> usize {
        match self {
            Model::Wave { .. } => 2,
            _ => 1,
        }
    }

    /// The kernel's `params.p`.
    pub fn params(&self) -> [f32; 4] {
        match *self {
            Model::Diffusion { d } => [d, 0.0, 0.0, 0.0],
            Model::Wave { c, gamma } => [c, gamma, 0.0, 0.0],
            Model::Kuramoto { k } => [k, 0.0, 0.0, 0.0],
        }
    }

    /// WGSL source of the kernel: the shared bindings and helpers, then the model's step.
    pub fn shader(&self) -> String {
        let body = match self {
            Model::Diffusion { .. } => include_str!("../../shaders/diffusion.wgsl"),
            Model::Wave { .. } => include_str!("../../shaders/wave.wgsl"),
            Model::Kuramoto { .. } => include_str!("../../shaders/kuramoto.wgsl"),
        };
        format!(
            "{}\n{body}",
            include_str!("../../shaders/model_common.wgsl")
        )
    }

    fn check_params(&self) -> Result<(), String> {
        let bad = |name: &str, v: f32, unit: &str| {
            Err(format!(
                "{} parameter {name} = {v} {unit}: must be > 0",
                self.name()
            ))
        };
        match *self {
            Model::Diffusion { d } if !(d.is_finite() && d > 0.0) => bad("D", d, "mm²/s"),
            Model::Wave { c, .. } if !(c.is_finite() && c > 0.0) => bad("c", c, "mm/s"),
            Model::Wave { gamma, .. } if !(gamma.is_finite() && gamma >= 0.0) => {
                Err(format!("wave parameter gamma = {gamma} 1/s: must be ≥ 0"))
            }
            Model::Kuramoto { k } if !(k.is_finite() && k >= 0.0) => {
                Err(format!("kuramoto parameter K = {k} mm²/s: must be ≥ 0"))
            }
            _ => Ok(()),
        }
    }

    /// Largest stable explicit step on this mesh (s).
    pub fn max_dt(&self, l: &Laplacian) -> f64 {
        let lam = l.max_rate().max(1e-12);
        match *self {
            Model::Diffusion { d } => 2.0 / (d as f64 * lam),
            Model::Wave { c, gamma } => {
                let wave = 2.0 / (c as f64 * lam.sqrt());
                if gamma > 0.0 {
                    wave.min(1.0 / gamma as f64)
                } else {
                    wave
                }
            }
            Model::Kuramoto { k } if k > 0.0 => 2.0 / (k as f64 * lam),
            Model::Kuramoto { .. } => f64::INFINITY,
        }
    }

    /// Check a requested step: parameters valid, dt positive; an unstable dt is clamped to 0.9
    /// of the bound with a warning.
    pub fn check_step(&self, l: &Laplacian, dt: f64) -> Result<Step, String> {
        self.check_params()?;
        if !(dt.is_finite() && dt > 0.0) {
            return Err(format!("time step dt = {dt} s: must be > 0"));
        }
        let bound = self.max_dt(l);
        if dt <= bound {
            return Ok(Step { dt, warning: None });
        }
        let used = 0.9 * bound;
        Ok(Step {
            dt: used,
            warning: Some(format!(
                "dt = {dt} s is unstable for {} on this mesh (the explicit step needs \
                 dt ≤ {bound:.3e} s); using {used:.3e} s",
                self.name()
            )),
        })
    }

    /// One step from `s` into `out` (both `states()·n` long); `aux` per vertex (Kuramoto: ω).
    pub fn step(&self, l: &Laplacian, s: &[f32], out: &mut [f32], aux: &[f32], dt: f32) {
        let n = l.len();
        let lap = |x: &[f32], i: usize| {
            let mut acc = l.diag[i] * x[i];
            for k in l.row_ptr[i] as usize..l.row_ptr[i + 1] as usize {
                acc += l.vals[k] * x[l.cols[k] as usize];
            }
            acc
        };
        match *self {
            Model::Diffusion { d } => {
                let k = dt * d;
                out.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, o)| *o = s[i] + k * lap(s, i));
            }
            Model::Wave { c, gamma } => {
                let c2 = c * c;
                let (u_out, v_out) = out.split_at_mut(n);
                u_out
                    .par_iter_mut()
                    .zip(v_out.par_iter_mut())
                    .enumerate()
                    .for_each(|(i, (u, v))| {
                        let vi = s[n + i] + dt * (c2 * lap(s, i) - gamma * s[n + i]);
                        *v = vi;
                        *u = s[i] + dt * vi;
                    });
            }
            Model::Kuramoto { k } => {
                out.par_iter_mut().enumerate().for_each(|(i, o)| {
                    let th = s[i];
                    let mut c = 0.0f32;
                    for q in l.row_ptr[i] as usize..l.row_ptr[i + 1] as usize {
                        c += l.vals[q] * (s[l.cols[q] as usize] - th).sin();
                    }
                    *o = th + dt * (aux[i] + k * c);
                });
            }
        }
    }

    /// Advance `s` by `steps` steps of `dt` (already checked).
    pub fn run(&self, l: &Laplacian, s: &mut Vec<f32>, aux: &[f32], dt: f32, steps: usize) {
        let mut out = vec![0.0f32; s.len()];
        for _ in 0..steps {
            self.step(l, s, &mut out, aux, dt);
            std::mem::swap(s, &mut out);
        }
    }
}

/// Kuramoto order parameter R ∈ [0, 1] (area-weighted).
pub fn order_parameter(l: &Laplacian, theta: &[f32]) -> f64 {
    let (mut re, mut im, mut a) = (0.0, 0.0, 0.0);
    for (t, m) in theta.iter().zip(&l.mass) {
        re += m * (*t as f64).cos();
        im += m * (*t as f64).sin();
        a += m;
    }
    (re * re + im * im).sqrt() / a
}

#[cfg(test)]
mod tests {
    use super::super::laplacian::icosphere;
    use super::*;

    fn sphere() -> (Vec<[f32; 3]>, Laplacian) {
        let (v, f) = icosphere(20, 10.0);
        let l = Laplacian::new(&v, &f).unwrap();
        (v, l)
    }

    #[test]
    fn diffusion_spherical_harmonics_decay_at_their_rate() {
        // sphere of radius 10 mm, D = 1 mm²/s; zonal harmonics P_l(z/R) for l = 1, 2, 3
        let (v, l) = sphere();
        let r = 10.0f64;
        let m = Model::Diffusion { d: 1.0 };
        for (deg, p) in [
            (1.0f64, (|z: f32| z) as fn(f32) -> f32),
            (2.0, |z: f32| 1.5 * z * z - 0.5),
            (3.0, |z: f32| 2.5 * z * z * z - 1.5 * z),
        ] {
            let u0: Vec<f32> = v.iter().map(|x| p(x[2] / r as f32)).collect();
            let rate = deg * (deg + 1.0) / (r * r);
            let step = m.check_step(&l, 0.01).unwrap();
            assert!(step.warning.is_none(), "{step:?}");
            let steps = (1.0 / rate / step.dt).round() as usize; // decay to about 1/e
            let mut u = u0.clone();
            m.run(&l, &mut u, &[], step.dt as f32, steps);
            let t = steps as f64 * step.dt;
            let amp = l.inner(&u, &u0) / l.inner(&u0, &u0);
            let want = (-rate * t).exp();
            let err = (amp - want).abs() / want;
            eprintln!(
                "diffusion l = {deg}: amplitude {amp:.5}, analytic {want:.5}, error {:.3}%",
                err * 100.0
            );
            assert!(err < 0.02, "l = {deg}: {amp} vs {want}");
        }
    }

    #[test]
    fn damped_wave_mode_oscillates_at_its_frequency() {
        // l = 1 mode on a 10 mm sphere: ω0 = c·√2/R; with damping γ the amplitude is
        // e^(−γt/2)·(cos ω't + (γ/2ω') sin ω't), ω' = √(ω0² − γ²/4)
        let (v, l) = sphere();
        let (c, gamma, r) = (10.0f32, 0.2f32, 10.0f64);
        let m = Model::Wave { c, gamma };
        let n = l.len();
        let u0: Vec<f32> = v.iter().map(|x| x[2] / r as f32).collect();
        let mut s = u0.clone();
        s.extend(std::iter::repeat_n(0.0, n));
        let w0 = c as f64 * 2f64.sqrt() / r;
        let g = gamma as f64;
        let w1 = (w0 * w0 - g * g / 4.0).sqrt();
        let dt = m.check_step(&l, 1e-3).unwrap().dt;
        let mut t = 0.0;
        for _ in 0..3 {
            let steps = (1.0 / dt) as usize; // a second at a time, ≈ 1.4 rad each
            m.run(&l, &mut s, &[], dt as f32, steps);
            t += steps as f64 * dt;
            let amp = l.inner(&s[..n], &u0) / l.inner(&u0, &u0);
            let want = (-g * t / 2.0).exp() * ((w1 * t).cos() + g / (2.0 * w1) * (w1 * t).sin());
            eprintln!("wave t = {t:.2} s: amplitude {amp:.4}, analytic {want:.4}");
            assert!((amp - want).abs() < 0.02, "t = {t}: {amp} vs {want}");
        }
    }

    #[test]
    fn kuramoto_coupling_synchronises_and_zero_coupling_does_not() {
        let (_, l) = sphere();
        let n = l.len();
        // phases spread over a half circle, identical frequencies
        let theta0: Vec<f32> = (0..n)
            .map(|i| (i * 7919 % 1000) as f32 / 1000.0 * 3.0)
            .collect();
        let omega = vec![6.0f32; n];
        let r0 = order_parameter(&l, &theta0);
        let free = Model::Kuramoto { k: 0.0 };
        let mut th = theta0.clone();
        free.run(&l, &mut th, &omega, 1e-3, 2000);
        assert!(
            (order_parameter(&l, &th) - r0).abs() < 1e-3,
            "K = 0 keeps R"
        );
        let coupled = Model::Kuramoto { k: 5.0 };
        let dt = coupled.check_step(&l, 0.01).unwrap().dt as f32;
        let mut th = theta0;
        coupled.run(&l, &mut th, &omega, dt, 3000);
        let r1 = order_parameter(&l, &th);
        eprintln!("kuramoto: R {r0:.3} -> {r1:.3}");
        assert!(r0 < 0.7 && r1 > 0.99, "R {r0} -> {r1}");
    }

    #[test]
    fn unstable_steps_are_clamped_and_bad_parameters_refused() {
        let (v, f) = icosphere(8, 1.0);
        let l = Laplacian::new(&v, &f).unwrap();
        for m in [
            Model::Diffusion { d: 1.0 },
            Model::Wave { c: 1.0, gamma: 0.1 },
            Model::Kuramoto { k: 1.0 },
        ] {
            let s = m.check_step(&l, 10.0).unwrap();
            assert!(s.dt < 10.0 && s.warning.as_deref().unwrap().contains("unstable"));
            // the clamped step really is stable: a rough start stays bounded
            let n = l.len();
            let mut st: Vec<f32> = (0..n * m.states())
                .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
                .collect();
            m.run(&l, &mut st, &vec![0.0; n], s.dt as f32, 3000);
            assert!(
                st.iter().all(|x| x.is_finite() && x.abs() < 10.0),
                "{}",
                m.name()
            );
        }
        assert!(Model::Diffusion { d: -1.0 }.check_step(&l, 0.1).is_err());
        assert!(
            Model::Wave {
                c: 1.0,
                gamma: f32::NAN
            }
            .check_step(&l, 0.1)
            .is_err()
        );
        assert!(Model::Kuramoto { k: 1.0 }.check_step(&l, f64::NAN).is_err());
    }
}
