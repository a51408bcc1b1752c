//! The models that run on the mesh, each an explicit step with a checked time step and a CPU
//! twin of its WGSL kernel (`shaders/<name>.wgsl`, same bindings, same order of operations):
//!
//! * **Diffusion** — ∂u/∂t = D Δu (D mm²/s); explicit Euler, stable for dt ≤ 2/(D·λmax).
//! * **Damped wave** — ∂²u/∂t² + γ ∂u/∂t = c² Δu (c mm/s, γ 1/s); symplectic Euler
//!   (v ← v + dt(c²Δu − γv), u ← u + dt·v), stable for dt ≤ min(2/(c·√λmax), 1/γ).
//! * **Kuramoto** — dθ_i/dt = ω_i + K Σ_j w_ij sin(θ_j − θ_i), w_ij the Laplacian's
//!   off-diagonal weights (1/mm², so K in mm²/s is mesh-independent), ω_i (rad/s) per vertex;
//!   explicit Euler, stable for dt ≤ 2/(K·λmax); phases are kept in [0, 2π) after every
//!   step ([`wrap_phase`]). Readout: the order parameter
//!   R = |Σ_i A_i e^{iθ_i}| / Σ_i A_i (A_i vertex areas).
//!
//! * **Wilson–Cowan field** — excitatory/inhibitory populations E, I ∈ [0, 1] per vertex with
//!   the refractory form of Wilson & Cowan (1972, Biophys. J. 12:1):
//!   τe dE/dt = −E + (1 − E)·Se(cee·E − cei·I + P + input) + τe·D·ΔE,
//!   τi dI/dt = −I + (1 − I)·Si(cie·E − cii·I) + τi·D·ΔI,
//!   S(x) = 1/(1 + e^{−a(x−θ)}) − 1/(1 + e^{aθ}) with their (a, θ) = (1.3, 4) for E and
//!   (2, 3.7) for I, and their couplings cee 16, cei 12, cie 15, cii 3. The "local surface
//!   coupling" is diffusion of both populations along the sheet (D mm²/s). Defaults: τe = τi =
//!   10 ms, P = 1.25, where every vertex is on the 1972 limit cycle (≈ 20 Hz) and diffusion
//!   pulls neighbouring phases together, so a stimulus makes a phase wave that heals (with
//!   P ≤ 1 the sheet rests; these classic parameters do not carry travelling fronts at mesh
//!   spacings of 1–4 mm, checked on a 1-D cable). Explicit Euler;
//!   the bound uses a Gershgorin bound of the reaction Jacobian
//!   ρ ≤ max((2 + a_e/4·(cee + cei))/τe, (2 + a_i/4·(cie + cii))/τi) plus D·λmax.
//! * **LIF with gap junctions** — dimensionless membrane potential V (rest 0, threshold 1,
//!   reset 0): dV/dt = (−V + I_i)/τm + D·ΔV, I_i the drive per vertex (`aux`); at V ≥ 1 the
//!   vertex spikes, is held at 0 for t_ref, and its flash variable jumps to 1 and decays with
//!   τ_flash (what the surface shows). Gap junctions couple twice: electrotonically, the
//!   diffusion D (mm²/s), and through the spike itself — a neighbour that spiked on the last
//!   step adds a spikelet J·w_ij/Σ_j w_ij to V (J = 0.5: all neighbours firing at once lift V
//!   by half the threshold), which lets firing spread into subthreshold cortex.
//!   Explicit Euler, stable for dt ≤ 2/(1/τm + D·λmax). For D = 0 and constant I > 1 a vertex
//!   fires with period t_ref + τm·ln(I/(I − 1)) — the test.
//! * **Balloon–Windkessel** (hemodynamics, no Laplacian): neural input z (`aux`) drives the
//!   vasodilatory signal s, inflow f, volume v and deoxyhemoglobin q (Friston et al. 2000,
//!   NeuroImage 12:466; constants of Friston et al. 2003 / Stephan et al. 2007):
//!   ds/dt = z − κs − γ(f − 1), df/dt = s, τ dv/dt = f − v^{1/α},
//!   τ dq/dt = f·(1 − (1 − E0)^{1/f})/E0 − v^{1/α}·q/v, with κ 0.65/s, γ 0.41/s, τ 0.98 s,
//!   α 0.32, E0 0.34; the signal is [`bold_signal`]. Explicit Euler, dt ≤ 0.1 s (accuracy:
//!   the fastest rate is ≈ 1/(τα) ≈ 3.2/s).
//!
//! CPU implementation: each step is a rayon loop over whole slices of the sliced Laplacian
//! ([`Laplacian::slice_sums`]: eight rows summed side by side, each row in the kernel's order),
//! a few tasks per thread; [`Model::run`] runs its loop on a pool thread so each step is a
//! fork-join inside the pool. Wilson–Cowan evaluates its sigmoids over blocks of 64 vertices
//! with [`exp_f32`] (vectorised; compiled for AVX2+FMA too and picked at run time by
//! `multiversion`) — the CPU twin thus differs from the GPU's `exp` in the last bits, as any
//! two `exp`s do; the tests bound the difference (1e-4 after 500 steps; measured ≤ 1e-5).
//!
//! λmax is bounded by [`Laplacian::max_rate`] (Gershgorin). A requested dt above the bound is
//! clamped to 0.9 of it, with a warning that says so.

use rayon::prelude::*;

use super::laplacian::{LANES, Laplacian};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    Diffusion { d: f32 },
    Wave { c: f32, gamma: f32 },
    Kuramoto { k: f32 },
    WilsonCowan(WilsonCowan),
    Lif(Lif),
    Balloon,
}

/// Wilson–Cowan parameters: time constants (s), diffusion (mm²/s), drive P, couplings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WilsonCowan {
    pub tau_e: f32,
    pub tau_i: f32,
    pub d: f32,
    pub p: f32,
    pub c_ee: f32,
    pub c_ei: f32,
    pub c_ie: f32,
    pub c_ii: f32,
}

/// Sigmoid constants (a, θ) of Wilson & Cowan (1972), excitatory then inhibitory.
pub const WC_SIGMOID: [(f32, f32); 2] = [(1.3, 4.0), (2.0, 3.7)];

impl Default for WilsonCowan {
    fn default() -> Self {
        WilsonCowan {
            tau_e: 0.010,
            tau_i: 0.010,
            d: 100.0,
            p: 1.25,
            c_ee: 16.0,
            c_ei: 12.0,
            c_ie: 15.0,
            c_ii: 3.0,
        }
    }
}

/// LIF parameters: membrane time constant (s), gap-junction diffusion (mm²/s), refractory
/// period (s), flash decay time (s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lif {
    pub tau_m: f32,
    pub d: f32,
    pub t_ref: f32,
    pub tau_flash: f32,
    /// spikelet size (V units) when every neighbour spiked
    pub j: f32,
}

impl Default for Lif {
    fn default() -> Self {
        Lif {
            tau_m: 0.020,
            d: 50.0,
            t_ref: 0.002,
            tau_flash: 0.030,
            j: 0.5,
        }
    }
}

/// Balloon–Windkessel constants: κ, γ, τ, α, E0 (see the module docs).
pub const BALLOON: [f32; 5] = [0.65, 0.41, 0.98, 0.32, 0.34];

/// The BOLD signal (fraction) from volume v and deoxyhemoglobin q:
/// y = V0·(k1(1 − q) + k2(1 − q/v) + k3(1 − v)), V0 = 0.02, k1 = 7E0, k2 = 2, k3 = 2E0 − 0.2
/// (Friston et al. 2000, after Buxton et al. 1998).
pub fn bold_signal(v: f32, q: f32) -> f32 {
    let e0 = BALLOON[4];
    let (k1, k2, k3) = (7.0 * e0, 2.0, 2.0 * e0 - 0.2);
    0.02 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
}

/// e^x in f32 without a library call, so that loops over arrays vectorise: k = round(x/ln 2)
/// (the 1.5·2²³ trick), f = x − k·ln 2 ∈ [−ln2/2, ln2/2] with ln 2 in two parts, e^f by its
/// Taylor series to degree 7 (relative error < 2e-7 over the whole range, tested against
/// f64), 2^k put into the exponent bits. Inputs are clamped to [−87, 88] (no overflow, no denormals).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³
    // ln 2 in two parts (Cody & Waite): k·LN2_HI is exact for the k that occur here
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let k = (x * LOG2E + ROUND) - ROUND;
    let f = (x - k * LN2_HI) - k * LN2_LO;
    // e^f, |f| ≤ ln2/2
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0
                    + f * (1.0 / 24.0
                        + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
    let scale = f32::from_bits((((k as i32) + 127) as u32) << 23);
    p * scale
}

/// Vertices per block of the Wilson–Cowan step: the neighbour sums are gathered for a block,
/// then the sigmoids run over it as straight array code (vectorised).
const WC_BLOCK: usize = 64;

/// One Wilson–Cowan step for the vertices `first..first + e_out.len()` (see the module docs
/// for the equations; `shaders/wilson_cowan.wgsl` is the same step on the GPU).
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn wilson_cowan_rows(
    w: &WilsonCowan,
    l: &Laplacian,
    e_in: &[f32],
    i_in: &[f32],
    aux: &[f32],
    dt: f32,
    first: usize,
    e_out: &mut [f32],
    i_out: &mut [f32],
) {
    let [(ae, te), (ai, ti)] = WC_SIGMOID;
    // S(x) = 1/(1 + e^{−a(x−θ)}) − 1/(1 + e^{aθ}); the constant once
    let (oe, oi) = (1.0 / (1.0 + (ae * te).exp()), 1.0 / (1.0 + (ai * ti).exp()));
    let (ke, ki, kd) = (dt / w.tau_e, dt / w.tau_i, dt * w.d);
    let mut le = [0.0f32; WC_BLOCK];
    let mut li = [0.0f32; WC_BLOCK];
    for (b, (eo, io)) in e_out
        .chunks_mut(WC_BLOCK)
        .zip(i_out.chunks_mut(WC_BLOCK))
        .enumerate()
    {
        let start = first + b * WC_BLOCK;
        let m = eo.len();
        // Δ of both populations, a slice of rows at a time (diagonal first, as the kernel)
        for (sb, (a, c)) in le[..m]
            .chunks_mut(LANES)
            .zip(li[..m].chunks_mut(LANES))
            .enumerate()
        {
            // one array at a time: eight accumulators stay in registers (sixteen spill)
            let [se] = l.slice_sums([e_in], start / LANES + sb);
            let [si] = l.slice_sums([i_in], start / LANES + sb);
            a.copy_from_slice(&se[..a.len()]);
            c.copy_from_slice(&si[..c.len()]);
        }
        let e = &e_in[start..start + m];
        let ii = &i_in[start..start + m];
        let x = &aux[start..start + m];
        for k in 0..m {
            let (e, ii) = (e[k], ii[k]);
            let se = 1.0 / (1.0 + exp_f32(-ae * (w.c_ee * e - w.c_ei * ii + w.p + x[k] - te))) - oe;
            let si = 1.0 / (1.0 + exp_f32(-ai * (w.c_ie * e - w.c_ii * ii - ti))) - oi;
            eo[k] = e + ke * (-e + (1.0 - e) * se) + kd * le[k];
            io[k] = ii + ki * (-ii + (1.0 - ii) * si) + kd * li[k];
        }
    }
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
            Model::WilsonCowan(_) => "wilson-cowan",
            Model::Lif(_) => "lif",
            Model::Balloon => "balloon",
        }
    }

    /// State values per vertex (wave: u, v; Wilson–Cowan: E, I; LIF: V, refractory time
    /// left, flash; Balloon: s, f, v, q), stored as consecutive arrays of n.
    pub fn states(&self) -> usize {
        match self {
            Model::Wave { .. } | Model::WilsonCowan(_) => 2,
            Model::Lif(_) => 3,
            Model::Balloon => 4,
            _ => 1,
        }
    }

    /// The state a model starts from at rest, per state array (Balloon: f = v = q = 1).
    pub fn rest(&self) -> Vec<f32> {
        match self {
            Model::Balloon => vec![0.0, 1.0, 1.0, 1.0],
            _ => vec![0.0; self.states()],
        }
    }

    /// The kernel's `params.p` and `params.q`.
    pub fn params(&self) -> [f32; 8] {
        match *self {
            Model::Diffusion { d } => [d, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            Model::Wave { c, gamma } => [c, gamma, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            Model::Kuramoto { k } => [k, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            Model::WilsonCowan(w) => [w.tau_e, w.tau_i, w.d, w.p, w.c_ee, w.c_ei, w.c_ie, w.c_ii],
            Model::Lif(m) => [m.tau_m, m.d, m.t_ref, m.tau_flash, m.j, 0.0, 0.0, 0.0],
            Model::Balloon => {
                let [k, g, t, a, e] = BALLOON;
                [k, g, t, a, e, 0.0, 0.0, 0.0]
            }
        }
    }

    /// WGSL source of the kernel: the shared bindings and helpers, then the model's step.
    pub fn shader(&self) -> String {
        let body = match self {
            Model::Diffusion { .. } => include_str!("../../../../shaders/diffusion.wgsl"),
            Model::Wave { .. } => include_str!("../../../../shaders/wave.wgsl"),
            Model::Kuramoto { .. } => include_str!("../../../../shaders/kuramoto.wgsl"),
            Model::WilsonCowan(_) => include_str!("../../../../shaders/wilson_cowan.wgsl"),
            Model::Lif(_) => include_str!("../../../../shaders/lif.wgsl"),
            Model::Balloon => include_str!("../../../../shaders/balloon.wgsl"),
        };
        format!(
            "{}\n{body}",
            include_str!("../../../../shaders/model_common.wgsl")
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
            Model::WilsonCowan(w) => {
                for (name, v) in [("tau_e", w.tau_e), ("tau_i", w.tau_i)] {
                    if !(v.is_finite() && v > 0.0) {
                        return bad(name, v, "s");
                    }
                }
                for (name, v) in [
                    ("D", w.d),
                    ("c_ee", w.c_ee),
                    ("c_ei", w.c_ei),
                    ("c_ie", w.c_ie),
                    ("c_ii", w.c_ii),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("wilson-cowan parameter {name} = {v}: must be ≥ 0"));
                    }
                }
                if !w.p.is_finite() {
                    return Err(format!("wilson-cowan parameter P = {}: not a number", w.p));
                }
                Ok(())
            }
            Model::Lif(m) => {
                for (name, v) in [("tau_m", m.tau_m), ("tau_flash", m.tau_flash)] {
                    if !(v.is_finite() && v > 0.0) {
                        return bad(name, v, "s");
                    }
                }
                for (name, v) in [("D", m.d), ("t_ref", m.t_ref), ("J", m.j)] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("lif parameter {name} = {v}: must be ≥ 0"));
                    }
                }
                Ok(())
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
            Model::WilsonCowan(w) => {
                let [(ae, _), (ai, _)] = WC_SIGMOID;
                let re = (2.0 + ae / 4.0 * (w.c_ee + w.c_ei)) / w.tau_e;
                let ri = (2.0 + ai / 4.0 * (w.c_ie + w.c_ii)) / w.tau_i;
                2.0 / (re.max(ri) as f64 + w.d as f64 * lam)
            }
            Model::Lif(m) => 2.0 / (1.0 / m.tau_m as f64 + m.d as f64 * lam),
            Model::Balloon => 0.1,
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
        // Δ at a vertex: the diagonal term, then the neighbours in column order (as the kernels)
        let row = |i: usize| {
            let r = l.row_ptr[i] as usize..l.row_ptr[i + 1] as usize;
            l.vals[r.clone()].iter().zip(&l.cols[r])
        };
        let lap = |x: &[f32], i: usize| {
            let mut acc = l.diag[i] * x[i];
            for (w, &c) in row(i) {
                acc += w * x[c as usize];
            }
            acc
        };
        // Rows per rayon task: a few tasks per thread (small ones cost more to schedule than
        // they compute), whole slices of the sliced Laplacian, each task a plain loop.
        let rows = n
            .div_ceil(4 * rayon::current_num_threads())
            .max(512)
            .next_multiple_of(LANES);
        match *self {
            Model::Diffusion { d } => {
                let k = dt * d;
                out.par_chunks_mut(rows).enumerate().for_each(|(c, o)| {
                    for (sb, o) in o.chunks_mut(LANES).enumerate() {
                        let b = c * rows / LANES + sb;
                        let [lu] = l.slice_sums([s], b);
                        for (r, o) in o.iter_mut().enumerate() {
                            *o = s[b * LANES + r] + k * lu[r];
                        }
                    }
                });
            }
            Model::Wave { c, gamma } => {
                let c2 = c * c;
                let (u_out, v_out) = out.split_at_mut(n);
                u_out
                    .par_chunks_mut(rows)
                    .zip(v_out.par_chunks_mut(rows))
                    .enumerate()
                    .for_each(|(c, (uo, vo))| {
                        for (sb, (uo, vo)) in
                            uo.chunks_mut(LANES).zip(vo.chunks_mut(LANES)).enumerate()
                        {
                            let b = c * rows / LANES + sb;
                            let [lu] = l.slice_sums([&s[..n]], b);
                            for r in 0..uo.len() {
                                let i = b * LANES + r;
                                let vi = s[n + i] + dt * (c2 * lu[r] - gamma * s[n + i]);
                                vo[r] = vi;
                                uo[r] = s[i] + dt * vi;
                            }
                        }
                    });
            }
            Model::Kuramoto { k } => {
                let sl = &l.sliced;
                out.par_chunks_mut(rows).enumerate().for_each(|(c, o)| {
                    for (sb, o) in o.chunks_mut(LANES).enumerate() {
                        let b = c * rows / LANES + sb;
                        let first = b * LANES;
                        let mut th = [0.0f32; LANES];
                        th[..o.len()].copy_from_slice(&s[first..first + o.len()]);
                        // Σ_j w_ij sin(θ_j − θ_i) in column order, rows side by side (padding:
                        // weight 0 times the sine of a phase difference)
                        let mut acc = [0.0f32; LANES];
                        let start = sl.start[b] as usize;
                        let w = sl.width[b] as usize;
                        let cols = &sl.cols[start..start + w * LANES];
                        let vals = &sl.vals[start..start + w * LANES];
                        for (cc, v) in cols.chunks_exact(LANES).zip(vals.chunks_exact(LANES)) {
                            for r in 0..LANES {
                                acc[r] += v[r] * (s[cc[r] as usize] - th[r]).sin();
                            }
                        }
                        for (r, o) in o.iter_mut().enumerate() {
                            *o = wrap_phase(th[r] + dt * (aux[first + r] + k * acc[r]));
                        }
                    }
                });
            }
            Model::WilsonCowan(w) => {
                let (e_in, i_in) = s.split_at(n);
                let (e_out, i_out) = out.split_at_mut(n);
                e_out
                    .par_chunks_mut(rows)
                    .zip(i_out.par_chunks_mut(rows))
                    .enumerate()
                    .for_each(|(c, (eo, io))| {
                        wilson_cowan_rows(&w, l, e_in, i_in, aux, dt, c * rows, eo, io)
                    });
            }
            Model::Lif(m) => {
                let decay = (-dt / m.tau_flash).exp();
                let (v_out, rest) = out.split_at_mut(n);
                let (r_out, f_out) = rest.split_at_mut(n);
                v_out
                    .par_chunks_mut(rows)
                    .zip(r_out.par_chunks_mut(rows).zip(f_out.par_chunks_mut(rows)))
                    .enumerate()
                    .for_each(|(c, (vo, (ro, fo)))| {
                        let first = c * rows;
                        for j in 0..vo.len() {
                            let i = first + j;
                            let (v, r, f) = (s[i], s[n + i], s[2 * n + i]);
                            fo[j] = f * decay;
                            if r > 0.0 {
                                // refractory: held at reset
                                vo[j] = 0.0;
                                ro[j] = r - dt;
                                continue;
                            }
                            // spikelets from neighbours that spiked on the last step
                            let mut spiked = 0.0f32;
                            for (w, &c) in row(i) {
                                if s[2 * n + c as usize] == 1.0 {
                                    spiked += w;
                                }
                            }
                            let vn = v
                                + dt * ((aux[i] - v) / m.tau_m + m.d * lap(s, i))
                                + m.j * spiked / -l.diag[i];
                            if vn >= 1.0 {
                                vo[j] = 0.0;
                                ro[j] = m.t_ref;
                                fo[j] = 1.0;
                            } else {
                                vo[j] = vn;
                                ro[j] = 0.0;
                            }
                        }
                    });
            }
            Model::Balloon => {
                let [kappa, gamma, tau, alpha, e0] = BALLOON;
                let (head, q_out) = out.split_at_mut(3 * n);
                let (sf_out, v_out) = head.split_at_mut(2 * n);
                let (s_out, f_out) = sf_out.split_at_mut(n);
                s_out
                    .par_chunks_mut(rows)
                    .zip(f_out.par_chunks_mut(rows))
                    .zip(v_out.par_chunks_mut(rows).zip(q_out.par_chunks_mut(rows)))
                    .enumerate()
                    .for_each(|(c, ((so, fo), (vo, qo)))| {
                        let first = c * rows;
                        for j in 0..so.len() {
                            let i = first + j;
                            let (x, f, v, q) = (s[i], s[n + i], s[2 * n + i], s[3 * n + i]);
                            // f and v stay positive for any sane input; guard the powers anyway
                            let (fp, vp) = (f.max(1e-3), v.max(1e-3));
                            let v_alpha = (vp.ln() / alpha).exp();
                            let extraction = 1.0 - ((1.0 - e0).ln() / fp).exp();
                            so[j] = x + dt * (aux[i] - kappa * x - gamma * (f - 1.0));
                            fo[j] = f + dt * x;
                            vo[j] = v + dt * (fp - v_alpha) / tau;
                            qo[j] = q + dt * (fp * extraction / e0 - v_alpha * q / vp) / tau;
                        }
                    });
            }
        }
    }

    /// How strongly a stimulus of 1 moves the driven state: u and V by 1, E by 0.3, a
    /// Kuramoto phase by π. Stimuli act on the first state array.
    pub fn kick_gain(&self) -> f32 {
        match self {
            Model::Kuramoto { .. } => std::f32::consts::PI,
            Model::WilsonCowan(_) => 0.3,
            _ => 1.0,
        }
    }

    /// Add a stimulus (per vertex, 0..1) to the first state array: x ← x + gain·b, kept in
    /// [0, 1] for Wilson–Cowan's E and wrapped for Kuramoto's θ. The CPU twin of
    /// `shaders/kick.wgsl`.
    pub fn kick(&self, state: &mut [f32], bump: &[f32]) {
        let gain = self.kick_gain();
        for (x, b) in state.iter_mut().zip(bump) {
            *x = self.after_kick(*x + gain * b);
        }
    }

    fn after_kick(&self, x: f32) -> f32 {
        match self {
            Model::WilsonCowan(_) => x.clamp(0.0, 1.0),
            Model::Kuramoto { .. } => wrap_phase(x),
            _ => x,
        }
    }

    /// The kick kernel's mode: 0 plain, 1 clamp to [0, 1], 2 wrap a phase.
    pub fn kick_mode(&self) -> u32 {
        match self {
            Model::WilsonCowan(_) => 1,
            Model::Kuramoto { .. } => 2,
            _ => 0,
        }
    }

    /// Where the shown quantity lives in the state and how it is read: (index of the state
    /// array, sine of it?) — u, E: array 0 as is; Kuramoto: sin of θ (array 0); LIF: the
    /// flash (array 2); Balloon: s (array 0). The surface shader reads the state buffer this
    /// way; [`crate::activity::setup::Setup::display`] is its CPU twin.
    pub fn display_slot(&self) -> (usize, bool) {
        match self {
            Model::Kuramoto { .. } => (0, true),
            Model::Lif(_) => (2, false),
            _ => (0, false),
        }
    }

    /// Advance `s` by `steps` steps of `dt` (already checked).
    pub fn run(&self, l: &Laplacian, s: &mut Vec<f32>, aux: &[f32], dt: f32, steps: usize) {
        let mut out = vec![0.0f32; s.len()];
        // the loop itself runs on a pool thread: each step's parallel loop is then a
        // fork-join inside the pool, not a job injected from outside it (which wakes a
        // sleeping worker every step)
        rayon::scope(|_| {
            for _ in 0..steps {
                self.step(l, s, &mut out, aux, dt);
                std::mem::swap(s, &mut out);
            }
        });
    }
}

/// A phase brought into [0, 2π): θ − 2π·⌊θ/2π⌋, written as the kernels write it, so phases
/// keep their f32 precision however long the run (unwrapped, θ grows by 2π·f each second).
pub fn wrap_phase(x: f32) -> f32 {
    let tau = std::f32::consts::TAU;
    x - tau * (x / tau).floor()
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

    #[test]
    fn exp_f32_is_accurate_everywhere() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let got = exp_f32(x) as f64;
            worst = worst.max((got - want).abs() / want);
            x += 0.001_37;
        }
        eprintln!("exp_f32: worst relative error {worst:e} on [-87, 88]");
        assert!(worst < 2e-7, "{worst:e}");
        // clamped, never inf or NaN
        assert!(exp_f32(1e6).is_finite() && exp_f32(-1e6) > 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
    }

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
    fn wilson_cowan_cycles_as_in_1972_and_diffusion_synchronises() {
        let (v, l) = sphere();
        let n = l.len();
        let run = |m: Model, s: &mut Vec<f32>, secs: f64, probe: usize| -> (f32, f32) {
            let dt = m.check_step(&l, 2e-4).unwrap().dt;
            let steps = (secs / dt) as usize;
            let mut out = vec![0.0; s.len()];
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for _ in 0..steps {
                m.step(&l, s, &mut out, &vec![0.0; n], dt as f32);
                std::mem::swap(s, &mut out);
                lo = lo.min(s[probe]);
                hi = hi.max(s[probe]);
            }
            (lo, hi)
        };
        let rest = |m: Model| {
            let mut s = vec![0.0f32; 2 * n];
            run(m, &mut s, 0.5, 0);
            s
        };
        // a sheet at rest stays uniform (the Laplacian of a constant is zero)
        let wc = WilsonCowan::default();
        let quiet = Model::WilsonCowan(WilsonCowan { p: 0.0, ..wc });
        let s_rest = rest(quiet);
        assert!(s_rest.iter().all(|x| x.abs() < 1e-6), "rest moved");
        // on the limit cycle, the north half a time lag ahead of the south: diffusion pulls
        // the phases together (the spread across the sheet shrinks); without it the offset
        // persists (the cycle's phase is neutral)
        let spread = |s: &[f32]| {
            let m = s[..n].iter().sum::<f32>() / n as f32;
            (s[..n].iter().map(|x| (x - m).powi(2)).sum::<f32>() / n as f32).sqrt()
        };
        for coupled in [true, false] {
            let m = Model::WilsonCowan(WilsonCowan {
                d: if coupled { wc.d } else { 0.0 },
                ..wc
            });
            let mut behind = vec![0.1f32; 2 * n];
            run(m, &mut behind, 0.2, 0);
            let mut ahead = behind.clone();
            run(m, &mut ahead, 0.02, 0);
            let mut s = behind;
            for i in 0..n {
                if v[i][2] > 0.0 {
                    s[i] = ahead[i];
                    s[n + i] = ahead[n + i];
                }
            }
            // the largest spread over a cycle, early and late
            let widest = |s: &mut Vec<f32>| {
                let mut w = 0f32;
                for _ in 0..20 {
                    run(m, s, 0.01, 0);
                    w = w.max(spread(s));
                }
                w
            };
            let early = widest(&mut s);
            run(m, &mut s, 2.0, 0);
            let late = widest(&mut s);
            eprintln!(
                "wilson-cowan, D = {}: E spread {early:.4} -> {late:.4}",
                m.params()[2]
            );
            if coupled {
                assert!(early > 0.02 && late < 0.6 * early, "{early} -> {late}");
            } else {
                assert!(late > 0.9 * early, "{early} -> {late}");
            }
        }
        // P = 1.25: the 1972 limit cycle (E swings between ≈ 0.1 and ≈ 0.28)
        let osc = Model::WilsonCowan(wc);
        let mut s = vec![0.1f32; 2 * n];
        run(osc, &mut s, 0.5, 0);
        let (lo, hi) = run(osc, &mut s, 0.5, 0);
        eprintln!("wilson-cowan, P = 1.25: E in {lo:.3}..{hi:.3}");
        assert!(lo < 0.12 && hi > 0.25, "{lo}..{hi}");
    }

    #[test]
    fn lif_fires_at_the_analytic_rate_and_gap_junctions_couple() {
        let (_, l) = sphere();
        let n = l.len();
        let m = Lif {
            d: 0.0,
            j: 0.0,
            ..Lif::default()
        };
        let model = Model::Lif(m);
        // constant drive I per vertex from 1.1 to 3: period t_ref + τ ln(I/(I − 1))
        let drive: Vec<f32> = (0..n).map(|i| 1.1 + 1.9 * i as f32 / n as f32).collect();
        let dt = 1e-5f32;
        let secs = 1.0f64;
        let mut s = vec![0.0f32; 3 * n];
        let mut out = s.clone();
        let mut spikes = vec![0u32; n];
        for _ in 0..(secs / dt as f64) as usize {
            model.step(&l, &s, &mut out, &drive, dt);
            std::mem::swap(&mut s, &mut out);
            for (c, f) in spikes.iter_mut().zip(&s[2 * n..]) {
                *c += (*f == 1.0) as u32;
            }
        }
        for i in [0, n / 2, n - 1] {
            let d = drive[i] as f64;
            let period = m.t_ref as f64 + m.tau_m as f64 * (d / (d - 1.0)).ln();
            let want = secs / period;
            let got = spikes[i] as f64;
            eprintln!("lif I = {d:.2}: {got} spikes in {secs} s, analytic {want:.1}");
            assert!(
                (got - want).abs() <= want * 0.01 + 1.0,
                "I = {d}: {got} vs {want}"
            );
        }
        // a vertex below threshold never fires alone, but fires next to firing neighbours
        let sub: Vec<f32> = (0..n).map(|i| if i < n / 2 { 0.95 } else { 1.5 }).collect();
        for (j, fires) in [(0.0f32, false), (Lif::default().j, true)] {
            let model = Model::Lif(Lif {
                j,
                ..Lif::default()
            });
            let dt = model.check_step(&l, 1e-4).unwrap().dt as f32;
            let mut s = vec![0.0f32; 3 * n];
            let mut fired = 0;
            for _ in 0..(0.5 / dt) as usize {
                model.step(&l, &s, &mut out, &sub, dt);
                std::mem::swap(&mut s, &mut out);
                fired += s[2 * n..2 * n + n / 2]
                    .iter()
                    .filter(|f| **f == 1.0)
                    .count();
            }
            eprintln!("lif J = {j}: {fired} spikes among the subthreshold half");
            assert_eq!(fired > 0, fires, "J = {j}");
        }
    }

    #[test]
    fn balloon_reaches_its_steady_state_and_the_bold_response_has_its_shape() {
        let (_, l) = sphere();
        let n = l.len();
        let m = Model::Balloon;
        let [_, gamma, _, alpha, e0] = BALLOON;
        let dt = 0.01f32;
        // constant input z: s → 0, f → 1 + z/γ, v → f^α, q → v·(1 − (1 − E0)^{1/f})/E0
        let z = vec![0.3f32; n];
        let mut s: Vec<f32> = m
            .rest()
            .iter()
            .flat_map(|r| std::iter::repeat_n(*r, n))
            .collect();
        m.run(&l, &mut s, &z, dt, 20_000);
        let f = 1.0 + 0.3 / gamma;
        let v = f.powf(alpha);
        let q = v * (1.0 - (1.0 - e0).powf(1.0 / f)) / e0;
        for (got, want, what) in [(s[n], f, "f"), (s[2 * n], v, "v"), (s[3 * n], q, "q")] {
            assert!((got - want).abs() < 1e-3 * want, "{what}: {got} vs {want}");
        }
        // a 1 s pulse: the BOLD response peaks 3–7 s after onset, then undershoots
        let mut s: Vec<f32> = m
            .rest()
            .iter()
            .flat_map(|r| std::iter::repeat_n(*r, n))
            .collect();
        let (mut peak, mut t_peak, mut under) = (0f32, 0f32, 0f32);
        for k in 0..3000 {
            let t = k as f32 * dt;
            let input = vec![if t < 1.0 { 1.0 } else { 0.0 }; n];
            m.run(&l, &mut s, &input, dt, 1);
            let y = bold_signal(s[2 * n], s[3 * n]);
            if y > peak {
                (peak, t_peak) = (y, t + dt);
            }
            under = under.min(y);
        }
        eprintln!(
            "balloon: 1 s pulse → BOLD peak {peak:.4} at {t_peak:.2} s, undershoot {under:.4}"
        );
        assert!(
            (3.0..7.0).contains(&t_peak) && peak > 0.005,
            "{peak} at {t_peak}"
        );
        assert!(under < -0.05 * peak, "undershoot {under}");
    }

    #[test]
    fn unstable_steps_are_clamped_and_bad_parameters_refused() {
        let (v, f) = icosphere(8, 1.0);
        let l = Laplacian::new(&v, &f).unwrap();
        for m in [
            Model::Diffusion { d: 1.0 },
            Model::Wave { c: 1.0, gamma: 0.1 },
            Model::Kuramoto { k: 1.0 },
            Model::WilsonCowan(WilsonCowan::default()),
            Model::Lif(Lif::default()),
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
