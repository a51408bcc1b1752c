//! How the viewer starts each model so that an audience sees a pattern move within seconds,
//! and a colour range that follows the activity (the Activity panel, `view --simulate`,
//! `render --simulate`). `cortexplorer simulate` keeps its documented start (a bump at vertex
//! 0, or `--initial`).
//!
//! | model | start | keeps moving because |
//! |---|---|---|
//! | diffusion | a Gaussian bump (σ 5 mm) | a pacemaker drops a new bump every 2 s, cycling over six places spread over the cortex (farthest-point order) |
//! | wave | bumps at six places spread over the cortex (farthest-point order) and at each hemisphere's occipital pole | the same places pulse every 0.5 s, each pulse zero-mean over its hemisphere (mass-weighted: a damped wave keeps its mean for ever, so plain bumps would lift the whole cortex into one colour): rings spread at c |
//! | Kuramoto | a **spiral pair** of phases (θ = 2π·φ, φ as Wilson–Cowan's), K 50 mm²/s, frequency spread 0.2 Hz | coupling strong enough for the fsaverage5 spacing holds the pattern together while every oscillator turns at ≈ 10 Hz: the spirals rotate (the old start, random phases with K 5 and a 1 Hz spread, stayed salt and pepper) |
//! | Wilson–Cowan | a **spiral pair**: each vertex on the model's own limit cycle at a phase that winds once around each of two points of the hemisphere (opposite senses), seen from the side | a phase singularity of an oscillatory medium rotates and persists |
//! | LIF | a **spiral pair** of potentials: V = 0.98·φ with φ the phase winding around two points (as Wilson–Cowan's) | every vertex fires on its own (I0 1.2, ≈ 27 Hz); the firing order keeps winding around the cores, so the firing sweeps round as rotating waves (neighbour correlation ≈ 0.9) instead of the cortex flashing as one |
//!
//! A sheet of limit-cycle oscillators coupled by diffusion (Wilson–Cowan with P = 1.25)
//! synchronises from almost any start — the whole cortex then flashes as one, which is what
//! the earlier bump start showed after a second or two. A start with phase singularities
//! cannot synchronise smoothly: each singularity is the core of a rotating spiral wave
//! (Winfree 1972; in Wilson–Cowan fields e.g. Ermentrout & Cowan 1979), so the picture keeps
//! moving for as long as the cores survive.

use super::models::{Model, WilsonCowan};
use super::setup::Setup;

/// A periodic stimulus: a Gaussian bump (σ `sigma_mm`) at each of `sites` in turn, or at all
/// of them together, every `period_s` seconds of simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacemaker {
    pub sites: Vec<usize>,
    pub period_s: f64,
    pub sigma_mm: f32,
    /// kick every site at once (true) or one site per period, cycling (false)
    pub together: bool,
    /// (first vertex, count) of each connected part whose stimulus is made zero-mean: a
    /// damped wave keeps the mean it is given for ever (the Laplacian's constant mode has
    /// no restoring force), so a bump kicked every half second would raise the whole cortex
    /// into one saturated colour. Empty: the bumps as they are.
    pub balanced: Vec<(usize, usize)>,
    /// the vertices' lumped masses (the Laplacian's: the mean a wave keeps is mass-weighted);
    /// empty weighs vertices alike
    pub mass: Vec<f64>,
}

impl Pacemaker {
    /// The bumps to kick at the `k`-th beat (a vector per vertex, 0..1).
    pub fn stimulus(&self, positions: &[[f32; 3]], beat: usize) -> Vec<f32> {
        let centres: Vec<[f32; 3]> = if self.together {
            self.sites.iter().map(|&s| positions[s]).collect()
        } else if self.sites.is_empty() {
            Vec::new()
        } else {
            vec![positions[self.sites[beat % self.sites.len()]]]
        };
        let mut b = super::point_stimulus(positions, &centres, self.sigma_mm);
        for &(off, len) in &self.balanced {
            let w = |i: usize| self.mass.get(i).copied().unwrap_or(1.0);
            let (mut num, mut den) = (0.0f64, 0.0f64);
            for (i, &v) in b.iter().enumerate().skip(off).take(len) {
                num += w(i) * v as f64;
                den += w(i);
            }
            let mean = if den > 0.0 { num / den } else { 0.0 };
            b[off..off + len].iter_mut().for_each(|v| *v -= mean as f32);
        }
        b
    }
}

/// The viewer's start of a model: its state and, for the models that come to rest, a
/// pacemaker.
#[derive(Clone, Debug)]
pub struct ShowStart {
    pub state: Vec<f32>,
    pub pacemaker: Option<Pacemaker>,
}

/// The viewer's start (see the module docs). `parts`: (first vertex, vertex count) of each
/// hemisphere in the combined mesh; `mass`: the Laplacian's lumped vertex masses (the wave's
/// pulses are made zero-mean with them; empty weighs vertices alike).
pub fn start(
    setup: &Setup,
    positions: &[[f32; 3]],
    parts: &[(usize, usize)],
    mass: &[f64],
) -> ShowStart {
    let n = positions.len();
    let poles: Vec<usize> = parts
        .iter()
        .filter(|(_, len)| *len > 0)
        .map(|&(off, len)| {
            // the occipital pole: the most posterior vertex (RAS y smallest)
            (off..off + len)
                .min_by(|&a, &b| positions[a][1].total_cmp(&positions[b][1]))
                .unwrap_or(off)
        })
        .collect();
    match setup.model {
        Model::Diffusion { .. } => {
            let sites = spread_sites(positions, 6);
            let first = sites.first().copied().unwrap_or(0);
            ShowStart {
                state: setup.initial(positions, first, None),
                pacemaker: Some(Pacemaker {
                    sites,
                    period_s: 2.0,
                    sigma_mm: 5.0,
                    together: false,
                    balanced: Vec::new(),
                    mass: Vec::new(),
                }),
            }
        }
        Model::Wave { .. } => {
            // the occipital poles and six places spread over the cortex, so rings cross
            // whatever side the camera shows
            let mut sites = spread_sites(positions, 6);
            sites.extend(
                poles
                    .iter()
                    .filter(|p| !sites.contains(p))
                    .collect::<Vec<_>>(),
            );
            let pace = Pacemaker {
                sites,
                period_s: 0.5,
                sigma_mm: 5.0,
                together: true,
                balanced: parts.iter().copied().filter(|p| p.1 > 0).collect(),
                mass: mass.to_vec(),
            };
            let first = pace.stimulus(positions, 0);
            ShowStart {
                state: setup.initial(positions, 0, Some(&first)),
                pacemaker: Some(pace),
            }
        }
        Model::WilsonCowan(w) => match w.limit_cycle(64) {
            Some(cycle) => ShowStart {
                state: spiral_pair(positions, parts, &cycle),
                pacemaker: None,
            },
            // a resting sheet (P too low): the documented bump start
            None => ShowStart {
                state: setup.initial(positions, poles.first().copied().unwrap_or(0), None),
                pacemaker: None,
            },
        },
        Model::Lif(_) => {
            // the potential climbs to threshold with the phase: firing order winds around
            // the two cores, so the volleys rotate (see the module docs)
            let v: Vec<f32> = spiral_phase(positions, parts)
                .iter()
                .map(|p| 0.98 * p)
                .collect();
            ShowStart {
                state: setup.initial(positions, 0, Some(&v)),
                pacemaker: None,
            }
        }
        Model::Kuramoto { .. } => {
            // phases winding around two cores per hemisphere: coupled oscillators rotate the
            // pattern as a spiral pair instead of starting from salt and pepper
            let theta: Vec<f32> = spiral_phase(positions, parts)
                .iter()
                .map(|p| std::f32::consts::TAU * p)
                .collect();
            ShowStart {
                state: setup.initial(positions, 0, Some(&theta)),
                pacemaker: None,
            }
        }
        _ => ShowStart {
            state: setup.initial(positions, 0, None),
            pacemaker: None,
        },
    }
    .checked(n, setup)
}

impl ShowStart {
    fn checked(self, n: usize, setup: &Setup) -> ShowStart {
        debug_assert_eq!(self.state.len(), n * setup.model.states());
        self
    }
}

/// `k` vertices spread over the mesh: farthest-point order from vertex 0.
pub fn spread_sites(positions: &[[f32; 3]], k: usize) -> Vec<usize> {
    if positions.is_empty() {
        return Vec::new();
    }
    let d2 = |a: [f32; 3], b: [f32; 3]| {
        (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
    };
    let mut sites = vec![0usize];
    let mut near: Vec<f32> = positions.iter().map(|p| d2(*p, positions[0])).collect();
    while sites.len() < k.min(positions.len()) {
        let (i, _) = near
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("non-empty");
        sites.push(i);
        for (j, p) in positions.iter().enumerate() {
            near[j] = near[j].min(d2(*p, positions[i]));
        }
    }
    sites
}

/// A phase in [0, 1) per vertex that winds once around each of two points of each
/// hemisphere, in opposite senses: `φ = (θ₁ − θ₂)/2π`, θ₁ and θ₂ the angles (seen from the
/// side, in the RAS y–z plane) about two points a third of the hemisphere's length apart on
/// its anterior–posterior axis.
pub fn spiral_phase(positions: &[[f32; 3]], parts: &[(usize, usize)]) -> Vec<f32> {
    let mut phase = vec![0.0f32; positions.len()];
    let tau = std::f32::consts::TAU;
    for &(off, len) in parts {
        if len == 0 {
            continue;
        }
        let part = &positions[off..off + len];
        let (mut lo, mut hi) = ([f32::MAX; 3], [f32::MIN; 3]);
        for p in part {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let (yc, zc, ly) = ((lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0, hi[1] - lo[1]);
        let cores = [[yc - ly / 6.0, zc], [yc + ly / 6.0, zc]];
        for (j, p) in part.iter().enumerate() {
            let a1 = (p[2] - cores[0][1]).atan2(p[1] - cores[0][0]);
            let a2 = (p[2] - cores[1][1]).atan2(p[1] - cores[1][0]);
            phase[off + j] = (a1 - a2).rem_euclid(tau) / tau;
        }
    }
    phase
}

/// E then I per vertex: each vertex on the limit cycle at its [`spiral_phase`].
fn spiral_pair(positions: &[[f32; 3]], parts: &[(usize, usize)], cycle: &[[f32; 2]]) -> Vec<f32> {
    let phase = spiral_phase(positions, parts);
    let at = |p: f32| cycle[((p * cycle.len() as f32) as usize).min(cycle.len() - 1)];
    let mut s: Vec<f32> = phase.iter().map(|&p| at(p)[0]).collect();
    s.extend(phase.iter().map(|&p| at(p)[1]));
    s
}

impl WilsonCowan {
    /// One period of a single unit's limit cycle (no coupling), `samples` points evenly spaced
    /// in time starting where E crosses its mean upwards; `None` when the unit comes to rest
    /// (e.g. P ≤ 1 with the 1972 couplings).
    pub fn limit_cycle(&self, samples: usize) -> Option<Vec<[f32; 2]>> {
        let [(ae, te), (ai, ti)] = super::models::WC_SIGMOID;
        let s = |x: f64, a: f64, t: f64| {
            1.0 / (1.0 + (-a * (x - t)).exp()) - 1.0 / (1.0 + (a * t).exp())
        };
        let (ae, te, ai, ti) = (ae as f64, te as f64, ai as f64, ti as f64);
        let w = self;
        let dt = (w.tau_e.min(w.tau_i) as f64) / 200.0;
        let f = |e: f64, i: f64| {
            let de = (-e
                + (1.0 - e) * s(w.c_ee as f64 * e - w.c_ei as f64 * i + w.p as f64, ae, te))
                / w.tau_e as f64;
            let di = (-i + (1.0 - i) * s(w.c_ie as f64 * e - w.c_ii as f64 * i, ai, ti))
                / w.tau_i as f64;
            (de, di)
        };
        let step = |(e, i): (f64, f64)| {
            // Heun's method: accurate enough for a picture's starting phases
            let (d1e, d1i) = f(e, i);
            let (d2e, d2i) = f(e + dt * d1e, i + dt * d1i);
            (e + dt * (d1e + d2e) / 2.0, i + dt * (d1i + d2i) / 2.0)
        };
        let mut x = (0.1, 0.1);
        let transient = (2.0 / dt) as usize;
        for _ in 0..transient {
            x = step(x);
        }
        // record a stretch long enough for a few periods of a slow cycle
        let len = (1.0 / dt) as usize;
        let mut trace = Vec::with_capacity(len);
        for _ in 0..len {
            x = step(x);
            trace.push(x);
        }
        let (min, max) = trace
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        if max - min < 1e-3 {
            return None;
        }
        let mid = (min + max) / 2.0;
        let ups: Vec<usize> = (1..trace.len())
            .filter(|&k| trace[k - 1].0 < mid && trace[k].0 >= mid)
            .collect();
        if ups.len() < 2 {
            return None;
        }
        let (a, b) = (ups[0], ups[1]);
        Some(
            (0..samples)
                .map(|k| {
                    let p = trace[a + (b - a) * k / samples];
                    [p.0 as f32, p.1 as f32]
                })
                .collect(),
        )
    }
}

/// The colour range of what a model shows, following the activity: the 2nd–98th percentile
/// of the shown values (of |v| for a signed quantity, drawn symmetric about 0), never
/// narrower than a tenth of the model's nominal range, eased from `previous` so the colours
/// do not flicker (a fraction `ease` of the way each update).
pub fn follow_range(
    setup: &Setup,
    shown: &[f32],
    previous: Option<(f32, f32)>,
    ease: f32,
) -> (f32, f32) {
    let (_, lo0, hi0, symmetric) = setup.display_quantity();
    let stride = (shown.len() / 8192).max(1);
    let mut v: Vec<f32> = shown
        .iter()
        .step_by(stride)
        .copied()
        .filter(|x| x.is_finite())
        .map(|x| if symmetric { x.abs() } else { x })
        .collect();
    if v.is_empty() {
        return previous.unwrap_or((lo0, hi0));
    }
    let q = |v: &mut Vec<f32>, f: f64| {
        let k = ((v.len() - 1) as f64 * f).round() as usize;
        *v.select_nth_unstable_by(k, f32::total_cmp).1
    };
    let min_span = 0.1 * (hi0 - lo0);
    let target = if symmetric {
        let m = q(&mut v, 0.98).max(min_span / 2.0);
        (-m, m)
    } else {
        let lo = q(&mut v, 0.02);
        let hi = q(&mut v, 0.98).max(lo + min_span);
        (lo, hi)
    };
    match previous {
        Some((a, b)) => (a + ease * (target.0 - a), b + ease * (target.1 - b)),
        None => target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_cowan_unit_cycles_with_the_1972_couplings_and_rests_without_drive() {
        let w = WilsonCowan::default();
        let c = w.limit_cycle(64).expect("P = 1.25 oscillates");
        assert_eq!(c.len(), 64);
        let (lo, hi) = c
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
        // the 1972 cycle: E between ≈ 0.09 and 0.28
        assert!(
            (lo - 0.1).abs() < 0.03 && (hi - 0.28).abs() < 0.03,
            "E swings {lo}..{hi}"
        );
        let rest = WilsonCowan { p: 0.0, ..w };
        assert!(rest.limit_cycle(64).is_none());
    }

    #[test]
    fn the_range_follows_the_values() {
        let s = Setup::new("wilson-cowan", &[]).unwrap();
        let v: Vec<f32> = (0..1000).map(|i| 0.1 + 0.3 * i as f32 / 999.0).collect();
        let (lo, hi) = follow_range(&s, &v, None, 1.0);
        assert!(
            (lo - 0.106).abs() < 0.01 && (hi - 0.394).abs() < 0.01,
            "{lo} {hi}"
        );
        // eased from where it was
        let (lo2, _) = follow_range(&s, &v, Some((0.0, 0.4)), 0.5);
        assert!((lo2 - 0.053).abs() < 0.01, "{lo2}");
        // a flat field keeps a minimum span
        let (lo, hi) = follow_range(&s, &[0.2; 100], None, 1.0);
        assert!(hi - lo >= 0.039, "{lo} {hi}");
        let k = Setup::new("kuramoto", &[]).unwrap();
        let (lo, hi) = follow_range(&k, &[-0.5, 0.5, 0.25], None, 1.0);
        assert!(lo == -hi && hi > 0.4);
    }

    /// Every model, started as the viewer starts it on fsaverage5 (CPU twin, pacemaker beats
    /// applied as the viewer applies them), shows a pattern that moves, after 2 s and (see
    /// below) 20 s simulated. Sampled at ten instants 93 ms apart (not a multiple of a
    /// pacemaker period or of the LIF volleys' ≈ 50 ms), each must be a pattern — not one flat
    /// or saturated field — and over the ten, in each hemisphere, the pattern must outweigh
    /// the hemisphere blinking together (the spatial spread at an instant exceeds the swing of
    /// the spatial mean: a synchronised sheet flashing as one passes any single instant but
    /// not this);
    /// and a twentieth of the pattern changes within 0.74 s.
    #[test]
    fn every_model_shows_a_moving_pattern_after_2_and_20_seconds() {
        use super::super::laplacian::Laplacian;
        let scene = crate::brain::fsaverage5::scene().unwrap();
        let (positions, faces, parts) = super::super::scene_mesh(&scene).unwrap();
        let lap = Laplacian::new(&positions, &faces).unwrap();
        let offsets: Vec<(usize, usize)> = parts.iter().map(|&(_, o, n)| (o, n)).collect();
        let n = positions.len();
        for model in ["diffusion", "wave", "kuramoto", "wilson-cowan", "lif"] {
            let setup = Setup::new(model, &[]).unwrap();
            let aux = setup.aux(n);
            let dt = setup.default_dt(&lap, &aux);
            let start = start(&setup, &positions, &offsets, &lap.mass);
            let mut state = start.state;
            let mut pace = start.pacemaker.map(|p| (p.period_s, 1usize, p));
            let mut t = 0.0f64;
            let mut advance = |state: &mut Vec<f32>, t: &mut f64, until: f64| {
                while *t < until - 0.5 * dt {
                    let mut steps = ((until - *t) / dt).round().max(1.0) as usize;
                    let beat = pace.as_ref().is_some_and(|(next, ..)| {
                        let k = ((next - *t) / dt).ceil().max(0.0) as usize;
                        if k <= steps {
                            steps = k;
                            true
                        } else {
                            false
                        }
                    });
                    setup.model.run(&lap, state, &aux, dt as f32, steps);
                    *t += steps as f64 * dt;
                    if beat && let Some((next, k, p)) = pace.as_mut() {
                        setup
                            .model
                            .kick(&mut state[..n], &p.stimulus(&positions, *k));
                        *next += p.period_s;
                        *k += 1;
                    }
                }
            };
            let mut range = None;
            // 20 s of Wilson–Cowan (dt 92 µs) and LIF (51 µs) is half a million steps each:
            // minutes in a test build, so those two are checked at 2 s here and at 20 s in the
            // presenter screenshots (docs/activity.md)
            let times: &[f64] = if matches!(model, "wilson-cowan" | "lif") {
                &[2.0]
            } else {
                &[2.0, 20.0]
            };
            let mean_sd = |v: &[f32]| {
                let m = v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64;
                let var = v.iter().map(|x| (*x as f64 - m).powi(2)).sum::<f64>() / v.len() as f64;
                (m, var.sqrt())
            };
            for &at in times {
                let (mut means, mut spreads) = (Vec::new(), Vec::new());
                let mut shown = Vec::new();
                for k in 0..10 {
                    advance(&mut state, &mut t, at + 0.093 * k as f64);
                    let a = setup.display(&state, n);
                    assert!(
                        a.iter().all(|v| v.is_finite()),
                        "{model} at {t:.2} s: not finite"
                    );
                    let (lo, hi) = follow_range(&setup, &a, range, 1.0);
                    range = Some((lo, hi));
                    let norm: Vec<f32> = a
                        .iter()
                        .map(|v| ((v - lo) / (hi - lo)).clamp(0.0, 1.0))
                        .collect();
                    let sd = mean_sd(&norm).1;
                    let saturated = norm.iter().filter(|v| **v >= 0.95).count() as f64 / n as f64;
                    assert!(
                        sd > 0.08,
                        "{model} at {t:.2} s: a flat field (sd {sd} of the range)"
                    );
                    assert!(
                        saturated < 0.5,
                        "{model} at {t:.2} s: {saturated} of the cortex saturated"
                    );
                    // per hemisphere: two hemispheres flashing out of step are no pattern
                    let (m, spread): (Vec<f64>, Vec<f64>) = offsets
                        .iter()
                        .map(|&(o, len)| mean_sd(&a[o..o + len]))
                        .unzip();
                    means.push(m);
                    spreads.push(spread);
                    shown.push(a);
                }
                for h in 0..offsets.len() {
                    let spread = spreads.iter().map(|s| s[h]).sum::<f64>() / spreads.len() as f64;
                    let m: Vec<f32> = means.iter().map(|m| m[h] as f32).collect();
                    let (_, swing) = mean_sd(&m);
                    assert!(
                        spread > swing,
                        "{model} at {at} s, hemisphere {h}: the cortex blinks as one (spatial \
                         spread {spread:.4}, swing of the mean {swing:.4})"
                    );
                }
                // how much of the pattern changed in 0.74 s (8 instants): the L1 change over the L1 size of
                // the pattern (its departure from the field's mean)
                let (a, b) = (&shown[0], &shown[8]);
                let mean_a = a.iter().sum::<f32>() / n as f32;
                let change: f32 = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum();
                let size: f32 = a.iter().map(|x| (x - mean_a).abs()).sum();
                let moved = change / size.max(1e-20);
                assert!(
                    moved > 0.05,
                    "{model} at {at} s: still ({moved} of the pattern changed in 0.74 s)"
                );
            }
        }
    }

    #[test]
    fn spread_sites_are_far_apart() {
        let pts: Vec<[f32; 3]> = (0..100).map(|i| [i as f32, 0.0, 0.0]).collect();
        let s = spread_sites(&pts, 3);
        assert_eq!(&s[..2], &[0, 99]);
        assert!(s[2] == 49 || s[2] == 50, "{s:?}");
    }
}
