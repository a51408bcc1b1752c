//! The reading report of a plan (`cortexplorer evaluate`, the `reading` block of `plan
//! --json`, the Plan panel's curves): every layout the plan is compared with, read by the
//! observers of [`super::reading`] on held-out letters, plus the figures a reviewer asks for.
//!
//! Layouts: the plan (`percept_aware`), the `coverage` and `random` baselines with as many
//! devices, `coverage_central` (the coverage layout over the central half of the field of
//! view: as many devices crowded towards fixation, uniformly — the obvious hand-made
//! alternative), a plain hexagonal `lattice` of as many phosphenes over the same field of view
//! (its phosphene sizes from the configuration's cortical model at their eccentricity — no
//! cortex, no vessels: the layout a simulation study would assume), and for threads the
//! snapped per-contact solution.
//!
//! Figures:
//! - per layout and observer: accuracy per size, the Weibull fit, the 50 % threshold (deg,
//!   logMAR) with its bootstrap 95 % interval; SSIM of the noiseless percepts, whole grid and
//!   inside the letters' dilated boxes;
//! - at the size where the coverage layout's fitted ideal-observer accuracy is 50 %: every
//!   layout's accuracy there and the plan's gain over coverage and over the lattice (percentage
//!   points, paired bootstrap 95 % interval — same letters and trial redraws for both);
//! - the threshold gain in logMAR over coverage and lattice (paired bootstrap interval);
//! - **electrode equivalent**: coverage layouts of 1, 1.5, 2, 3, 4, 6, 8 and 10 times the
//!   plan's devices (100 … 1,000 for 100 electrodes) are measured; the number whose threshold
//!   equals the plan's (log–log interpolation) divided by the plan's count — against coverage
//!   of the whole field and of its central half;
//! - **robustness**: phosphene positions jittered (0.5°, 1°, 2° rms; the device still samples
//!   the image where it believes each phosphene is, the observer knows where they appear) and
//!   10 % / 20 % of electrodes dropped (three draws each), plan and coverage alike, accuracy at
//!   the coverage-50 % size;
//! - held-out natural images ([`super::tasks::HELD_OUT_IMAGES`]): SSIM and the correlation of
//!   gradient magnitudes (edges) between percept and image over the plan's field.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::optimize::{Layout, Problem};
use super::reading::{
    self, Curve, Encoding, Measured, Observe, ReadingOptions, Replicates, Site, Sites, Stimuli,
    Weibull,
};
use crate::percept::metrics;
use crate::percept::retinotopy::WedgeDipole;
use crate::rng::SplitMix;

/// One layout read by both observers.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutReading {
    /// devices (or lattice points)
    pub devices: usize,
    /// phosphenes (active contacts)
    pub phosphenes: usize,
    pub median_eccentricity_deg: f64,
    pub ideal: Curve,
    pub naive: Curve,
    /// mean SSIM of the noiseless percepts and the letters (whole grid; letter box)
    pub ssim_whole: f64,
    pub ssim_foreground: f64,
    /// where each phosphene appears (x, y degrees)
    pub phosphenes_deg: Vec<[f64; 2]>,
}

/// A paired difference with its bootstrap interval.
#[derive(Clone, Debug, Serialize)]
pub struct Paired {
    pub mean: f64,
    pub ci95: Option<[f64; 2]>,
}

/// Accuracy at the coverage layout's 50 % size.
#[derive(Clone, Debug, Serialize)]
pub struct AtCoverageThreshold {
    pub size_deg: f64,
    pub size_logmar: f64,
    /// fitted ideal-observer accuracy of every layout at that size
    pub accuracy: BTreeMap<String, f64>,
    /// the plan minus coverage / lattice, percentage points
    pub gain_vs_coverage_pp: Paired,
    pub gain_vs_lattice_pp: Paired,
}

/// How many coverage electrodes read as well as the plan.
#[derive(Clone, Debug, Serialize)]
pub struct Equivalent {
    pub coverage_devices: Vec<usize>,
    pub coverage_thresholds_deg: Vec<Option<f64>>,
    /// devices of coverage with the plan's threshold (None: beyond the largest measured)
    pub equivalent_devices: Option<f64>,
    /// `equivalent_devices / plan devices` (a lower bound when beyond the range)
    pub ratio: Option<f64>,
    pub beyond_range: bool,
}

/// One perturbation.
#[derive(Clone, Debug, Serialize)]
pub struct Robust {
    /// "jitter" (rms degrees) or "dropout" (fraction of electrodes)
    pub kind: String,
    pub amount: f64,
    pub size_deg: f64,
    pub percept_aware: f64,
    pub coverage: f64,
    /// plan minus coverage, percentage points, with a bootstrap interval over letters
    pub gain_pp: Paired,
}

/// Percept quality on a held-out image.
#[derive(Clone, Debug, Serialize)]
pub struct ImageScore {
    pub ssim: f64,
    /// correlation of gradient magnitudes of percept and image
    pub edge_r: f64,
}

/// The plan of one optimiser seed, read by the ideal observer.
#[derive(Clone, Debug, Serialize)]
pub struct SeedReading {
    pub seed: u64,
    pub threshold_deg: Option<f64>,
    pub threshold_logmar: Option<f64>,
    /// coverage's threshold minus this seed's, logMAR
    pub gain_vs_coverage_logmar: Option<f64>,
    /// fitted accuracy at the coverage layout's 50 % size
    pub accuracy_at_coverage_threshold: Option<f64>,
}

/// The spread of the plan over optimiser seeds.
#[derive(Clone, Debug, Serialize)]
pub struct Seeds {
    pub per_seed: Vec<SeedReading>,
    pub gain_vs_coverage_logmar_mean: f64,
    pub gain_vs_coverage_logmar_sd: f64,
}

/// The whole reading report.
#[derive(Clone, Debug, Serialize)]
pub struct ReadingReport {
    pub observer: ObserverNote,
    pub layouts: BTreeMap<String, LayoutReading>,
    /// the plan of every optimiser seed of the paired comparison (absent for one seed)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Seeds>,
    pub at_coverage_threshold: Option<AtCoverageThreshold>,
    /// threshold of the baseline minus the plan's, logMAR (positive: the plan reads smaller)
    pub threshold_gain_logmar: BTreeMap<String, Paired>,
    pub electrode_equivalent: Option<Equivalent>,
    /// the same against the `coverage_central` layout (devices crowded towards fixation)
    pub electrode_equivalent_central: Option<Equivalent>,
    pub robustness: Vec<Robust>,
    /// per held-out image, per layout
    pub images: BTreeMap<String, BTreeMap<String, ImageScore>>,
    pub seconds: f64,
}

/// What the observers were.
#[derive(Clone, Debug, Serialize)]
pub struct ObserverNote {
    pub test_font: String,
    pub training_font: String,
    pub options: ReadingOptions,
    pub noise_pixel_deg: f64,
    pub chance: f64,
    /// the lapse rate is fitted per curve, within 0 and this
    pub max_lapse: f64,
    pub criterion: f64,
}

/// How much of the report to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// layouts, curves, the comparison at the coverage threshold, images
    Main,
    /// also the electrode equivalent and the robustness checks
    Full,
}

/// The sites of a layout's active contacts.
pub fn sites_of(p: &Problem, layout: &Layout) -> Sites {
    let size_mm = p.encoding().at(1.0).1;
    Sites::new(
        p.resolve(layout)
            .iter()
            .filter(|c| c.active())
            .map(|c| {
                let f = c.field.expect("active");
                Site {
                    x: f.x,
                    y: f.y,
                    mag: c.magnification,
                }
            })
            .collect(),
        size_mm,
    )
}

/// A hexagonal lattice of `n` phosphenes over the problem's square field of view (the
/// spacing that gives at least `n` points, the extra ones nearest the corners dropped), sized
/// by `model`'s magnification at their eccentricity.
pub fn lattice(p: &Problem, n: usize, model: &WedgeDipole) -> Sites {
    let (x0, y0) = p.grid.origin();
    let (w, h) = (p.grid.fov_deg, p.grid.pixel_deg() * p.grid.height as f64);
    let (cx, cy) = (x0 + w / 2.0, y0 - h / 2.0);
    let points = |d: f64| -> Vec<(f64, f64)> {
        let mut v = Vec::new();
        let rows = (h / (d * 0.866)).floor() as i64;
        for r in -rows..=rows {
            let y = cy + r as f64 * d * 0.866;
            let shift = if r.rem_euclid(2) == 1 { d / 2.0 } else { 0.0 };
            let cols = (w / d).ceil() as i64 + 1;
            for c in -cols..=cols {
                let x = cx + c as f64 * d + shift;
                if (x - cx).abs() <= w / 2.0 && (y - cy).abs() <= h / 2.0 {
                    v.push((x, y));
                }
            }
        }
        v
    };
    if n == 0 {
        return Sites::default();
    }
    let (mut lo, mut hi) = (1e-3, w.max(h));
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if points(mid).len() >= n {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut pts = points(lo);
    pts.sort_by(|a, b| {
        let da = (a.0 - cx).abs().max((a.1 - cy).abs());
        let db = (b.0 - cx).abs().max((b.1 - cy).abs());
        da.total_cmp(&db)
    });
    pts.truncate(n);
    Sites::new(
        pts.into_iter()
            .map(|(x, y)| Site {
                x,
                y,
                mag: model.magnification(x.hypot(y)),
            })
            .collect(),
        p.encoding().at(1.0).1,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn reading_of(
    m: &Measured,
    sites: &Sites,
    devices: usize,
    reps: &Replicates,
) -> (LayoutReading, Vec<Option<Weibull>>) {
    let (ideal, fits) = reading::curve(m, 0, reps);
    let (naive, _) = reading::curve(m, 1, reps);
    let (ssim_whole, ssim_foreground) = m.ssim();
    (
        LayoutReading {
            devices,
            phosphenes: sites.len(),
            median_eccentricity_deg: median(sites.sites.iter().map(|s| s.x.hypot(s.y)).collect()),
            ideal,
            naive,
            ssim_whole,
            ssim_foreground,
            phosphenes_deg: sites.sites.iter().map(|s| [s.x, s.y]).collect(),
        },
        fits,
    )
}

/// Sites perturbed: positions jittered (rms `jitter` degrees; the device keeps sampling where
/// it believes each phosphene is) and a fraction `dropout` of them removed.
pub fn perturbed(s: &Sites, jitter: f64, dropout: f64, seed: u64) -> Sites {
    let mut rng = SplitMix::new(seed);
    let sd = jitter / std::f64::consts::SQRT_2;
    let mut out = Sites::default();
    for ((site, b), rf) in s.sites.iter().zip(&s.believed).zip(&s.rf) {
        if rng.unit() < dropout {
            continue;
        }
        out.sites.push(Site {
            x: site.x + sd * rng.normal(),
            y: site.y + sd * rng.normal(),
            mag: site.mag,
        });
        // the device keeps its belief: where each phosphene should be, what it stands for
        out.believed.push(*b);
        out.rf.push(*rf);
    }
    out
}

/// Accuracy of one observer over a subset of conditions, per bootstrap replicate of letters
/// (paired across layouts by the shared replicates).
fn accuracy_boot(m: &Measured, reps: &Replicates) -> Vec<f64> {
    reps.letters
        .iter()
        .map(|letters| {
            let (mut c, mut n) = (0.0, 0.0);
            for row in &m.cells {
                for cell in row {
                    for &l in letters {
                        c += cell.correct[l][0] as f64;
                        n += m.trials as f64;
                    }
                }
            }
            c / n.max(1.0)
        })
        .collect()
}

/// Correlation of gradient magnitudes (central differences) of two images.
pub fn edge_correlation(a: &[f32], b: &[f32], w: usize, h: usize) -> f64 {
    let grad = |img: &[f32]| -> Vec<f64> {
        let mut g = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let at = |xx: usize, yy: usize| img[yy * w + xx] as f64;
                let gx = at((x + 1).min(w - 1), y) - at(x.saturating_sub(1), y);
                let gy = at(x, (y + 1).min(h - 1)) - at(x, y.saturating_sub(1));
                g.push(gx.hypot(gy));
            }
        }
        g
    };
    let (ga, gb) = (grad(a), grad(b));
    let n = ga.len() as f64;
    let (ma, mb) = (ga.iter().sum::<f64>() / n, gb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ga.iter().zip(&gb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The `coverage_central` layout covers this fraction of the field of view's width and height
/// (the central 6° of the default 12°, where the letters are read): does the plan do more
/// than crowd its electrodes towards fixation?
pub const CENTRAL: f64 = 0.5;

/// The order every report and plot lists the layouts in (the plan first).
pub const LAYOUT_ORDER: [&str; 6] = [
    "percept_aware",
    "coverage",
    "coverage_central",
    "lattice",
    "random",
    "independent_snapped",
];

/// The layouts of a report, by name, with their device counts.
#[derive(Clone, Debug)]
pub struct Layouts {
    pub entries: Vec<(String, Sites, usize)>,
}

impl Layouts {
    /// The plan and its baselines: percept-aware, coverage, random (as cortical layouts), the
    /// lattice, and any extra layouts given (e.g. threads' snapped solution).
    pub fn standard(
        p: &Problem,
        plan: &Layout,
        random_seed: u64,
        model: &WedgeDipole,
        extra: &[(&str, &Layout)],
    ) -> Layouts {
        let n = plan.placements.len();
        let coverage = p.coverage_layout(plan.device, n);
        let random = p.random_layout(plan.device, n, random_seed);
        let pa = sites_of(p, plan);
        let lattice_n = pa.len().max(1);
        let central = p.coverage_layout_in(plan.device, n, CENTRAL);
        let mut entries = vec![
            ("percept_aware".to_string(), pa, n),
            ("coverage".to_string(), sites_of(p, &coverage), n),
            ("coverage_central".to_string(), sites_of(p, &central), n),
            ("random".to_string(), sites_of(p, &random), n),
            (
                "lattice".to_string(),
                lattice(p, lattice_n, model),
                lattice_n,
            ),
        ];
        for (name, l) in extra {
            entries.push((name.to_string(), sites_of(p, l), l.placements.len()));
        }
        Layouts { entries }
    }

    fn get(&self, name: &str) -> Option<&Sites> {
        self.entries.iter().find(|e| e.0 == name).map(|e| &e.1)
    }
}

/// The reading report of a plan.
pub fn report(
    p: &Problem,
    plan: &Layout,
    layouts: &Layouts,
    opts: &ReadingOptions,
    depth: Depth,
    seed_layouts: &[(u64, Layout)],
) -> Result<ReadingReport, String> {
    let start = Instant::now();
    let enc = p.encoding();
    let reps = Replicates::new(opts.bootstrap, opts.seed);
    let stimuli = Stimuli::new(opts)?;
    let all: Vec<usize> = (0..opts.sizes_deg.len()).collect();
    let measured: Vec<Measured> = layouts
        .entries
        .iter()
        .map(|(_, s, _)| reading::measure_with(s, &enc, opts, &stimuli, &all, Observe::ALL))
        .collect();
    let mut readings = BTreeMap::new();
    let mut fits: BTreeMap<String, Vec<Option<Weibull>>> = BTreeMap::new();
    for ((name, sites, devices), m) in layouts.entries.iter().zip(&measured) {
        let (r, f) = reading_of(m, sites, *devices, &reps);
        readings.insert(name.clone(), r);
        fits.insert(name.clone(), f);
    }
    let threshold = |name: &str| readings.get(name).and_then(|r| r.ideal.threshold_deg);
    let fit = |name: &str| readings.get(name).and_then(|r| r.ideal.fit);
    // at the coverage layout's 50 % size
    let at = threshold("coverage").map(|s50| {
        let accuracy = readings
            .iter()
            .filter_map(|(k, r)| r.ideal.fit.map(|f| (k.clone(), f.p(s50))))
            .collect::<BTreeMap<_, _>>();
        let paired = |other: &str| -> Paired {
            let diffs: Vec<f64> = fits["percept_aware"]
                .iter()
                .zip(&fits[other])
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => 100.0 * (a.p(s50) - b.p(s50)),
                    _ => f64::NAN,
                })
                .collect();
            Paired {
                mean: match (fit("percept_aware"), fit(other)) {
                    (Some(a), Some(b)) => 100.0 * (a.p(s50) - b.p(s50)),
                    _ => f64::NAN,
                },
                ci95: reading::interval95(diffs),
            }
        };
        AtCoverageThreshold {
            size_deg: s50,
            size_logmar: reading::logmar(s50),
            accuracy,
            gain_vs_coverage_pp: paired("coverage"),
            gain_vs_lattice_pp: paired("lattice"),
        }
    });
    let mut threshold_gain_logmar = BTreeMap::new();
    for other in ["coverage", "coverage_central", "lattice", "random"] {
        let diffs: Vec<f64> = fits["percept_aware"]
            .iter()
            .zip(&fits[other])
            .map(|(a, b)| {
                match (
                    a.and_then(|f| f.size_at(0.5)),
                    b.and_then(|f| f.size_at(0.5)),
                ) {
                    (Some(a), Some(b)) => reading::logmar(b) - reading::logmar(a),
                    _ => f64::NAN,
                }
            })
            .collect();
        let mean = match (threshold("percept_aware"), threshold(other)) {
            (Some(a), Some(b)) => reading::logmar(b) - reading::logmar(a),
            _ => f64::NAN,
        };
        threshold_gain_logmar.insert(
            other.to_string(),
            Paired {
                mean,
                ci95: reading::interval95(diffs),
            },
        );
    }
    let (electrode_equivalent, electrode_equivalent_central, robustness) = if depth == Depth::Full {
        let pa = threshold("percept_aware");
        (
            equivalent(p, plan, opts, &enc, &stimuli, pa, 1.0),
            equivalent(p, plan, opts, &enc, &stimuli, pa, CENTRAL),
            robust(layouts, opts, &enc, &stimuli, &reps, threshold("coverage")),
        )
    } else {
        (None, None, Vec::new())
    };
    let seeds = (seed_layouts.len() > 1).then(|| {
        let cov_t = threshold("coverage");
        let no_reps = Replicates {
            letters: Vec::new(),
            seeds: Vec::new(),
        };
        let per_seed: Vec<SeedReading> = seed_layouts
            .par_iter()
            .map(|(seed, l)| {
                let m = reading::measure_with(
                    &sites_of(p, l),
                    &enc,
                    opts,
                    &stimuli,
                    &all,
                    Observe::IDEAL,
                );
                let (c, _) = reading::curve(&m, 0, &no_reps);
                SeedReading {
                    seed: *seed,
                    threshold_deg: c.threshold_deg,
                    threshold_logmar: c.threshold_logmar,
                    gain_vs_coverage_logmar: match (cov_t, c.threshold_deg) {
                        (Some(a), Some(b)) => Some(reading::logmar(a) - reading::logmar(b)),
                        _ => None,
                    },
                    accuracy_at_coverage_threshold: match (cov_t, c.fit) {
                        (Some(s), Some(f)) => Some(f.p(s)),
                        _ => None,
                    },
                }
            })
            .collect();
        let gains: Vec<f64> = per_seed
            .iter()
            .filter_map(|s| s.gain_vs_coverage_logmar)
            .collect();
        let n = gains.len().max(1) as f64;
        let mean = gains.iter().sum::<f64>() / n;
        let sd = if gains.len() > 1 {
            (gains.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Seeds {
            per_seed,
            gain_vs_coverage_logmar_mean: mean,
            gain_vs_coverage_logmar_sd: sd,
        }
    });
    Ok(ReadingReport {
        seeds,
        observer: ObserverNote {
            test_font: "DejaVu Serif (held out)".into(),
            training_font: "DejaVu Sans Bold".into(),
            options: opts.clone(),
            noise_pixel_deg: reading::NOISE_PIXEL_DEG,
            chance: reading::CHANCE,
            max_lapse: reading::MAX_LAPSE,
            criterion: 0.5,
        },
        images: images(p, layouts)?,
        layouts: readings,
        at_coverage_threshold: at,
        threshold_gain_logmar,
        electrode_equivalent,
        electrode_equivalent_central,
        robustness,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Coverage layouts (over `fraction` of the field of view) of growing size, read by the ideal
/// observer: how many match the plan.
fn equivalent(
    p: &Problem,
    plan: &Layout,
    opts: &ReadingOptions,
    enc: &Encoding,
    stimuli: &Stimuli,
    plan_threshold: Option<f64>,
    fraction: f64,
) -> Option<Equivalent> {
    let target = plan_threshold?;
    let n0 = plan.placements.len();
    // the plan's count × 1, 1.5, 2, 3, 4, 6, 8, 10 (for 100 electrodes: 100 … 1,000)
    let counts: Vec<usize> = [1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|k: f64| (k * n0 as f64).round() as usize)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // only the sizes where a threshold no larger than the plan's count's can lie
    let sizes: Vec<usize> = (0..opts.sizes_deg.len())
        .filter(|&i| opts.sizes_deg[i] <= 2.5 * target)
        .collect();
    let no_reps = Replicates {
        letters: Vec::new(),
        seeds: Vec::new(),
    };
    let thresholds: Vec<Option<f64>> = counts
        .par_iter()
        .map(|&c| {
            let l = p.coverage_layout_in(plan.device, c, fraction);
            let m =
                reading::measure_with(&sites_of(p, &l), enc, opts, stimuli, &sizes, Observe::IDEAL);
            reading::curve(&m, 0, &no_reps).0.threshold_deg
        })
        .collect();
    // log–log interpolation of threshold against devices
    let mut eq = None;
    for k in 1..counts.len() {
        if let (Some(a), Some(b)) = (thresholds[k - 1], thresholds[k])
            && ((a >= target && b <= target) || (a <= target && b >= target))
            && a != b
        {
            let f = (target.ln() - a.ln()) / (b.ln() - a.ln());
            let ln_n = (counts[k - 1] as f64).ln()
                + f * ((counts[k] as f64).ln() - (counts[k - 1] as f64).ln());
            eq = Some(ln_n.exp());
            break;
        }
    }
    let beyond = eq.is_none() && thresholds.iter().flatten().all(|&t| t > target);
    let eq_or_bound = eq.or_else(|| beyond.then(|| *counts.last().expect("non-empty") as f64));
    Some(Equivalent {
        coverage_devices: counts,
        coverage_thresholds_deg: thresholds,
        equivalent_devices: eq,
        ratio: eq_or_bound.map(|e| e / n0 as f64),
        beyond_range: beyond,
    })
}

/// Jitter and dropout, plan and coverage alike, at the coverage-50 % size.
fn robust(
    layouts: &Layouts,
    opts: &ReadingOptions,
    enc: &Encoding,
    stimuli: &Stimuli,
    reps: &Replicates,
    coverage_threshold: Option<f64>,
) -> Vec<Robust> {
    let (Some(s50), Some(pa), Some(cov)) = (
        coverage_threshold,
        layouts.get("percept_aware"),
        layouts.get("coverage"),
    ) else {
        return Vec::new();
    };
    // the tested size nearest the coverage threshold
    let Some(k) = (0..opts.sizes_deg.len()).min_by(|&a, &b| {
        let (x, y) = (opts.sizes_deg[a], opts.sizes_deg[b]);
        (x.ln() - s50.ln())
            .abs()
            .total_cmp(&(y.ln() - s50.ln()).abs())
    }) else {
        return Vec::new();
    };
    let size = opts.sizes_deg[k];
    let cases: Vec<(&str, f64)> = vec![
        ("jitter", 0.5),
        ("jitter", 1.0),
        ("jitter", 2.0),
        ("dropout", 0.1),
        ("dropout", 0.2),
    ];
    let draws = 3u64;
    cases
        .par_iter()
        .map(|&(kind, amount)| {
            let (mut a_pa, mut a_cov) = (Vec::new(), Vec::new());
            let mut boots = vec![0.0; reps.letters.len()];
            for d in 0..draws {
                let seed =
                    opts.seed ^ (d + 1).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ amount.to_bits();
                let (j, o) = if kind == "jitter" {
                    (amount, 0.0)
                } else {
                    (0.0, amount)
                };
                let measure =
                    |s: &Sites| reading::measure_with(s, enc, opts, stimuli, &[k], Observe::IDEAL);
                let mp = measure(&perturbed(pa, j, o, seed));
                let mc = measure(&perturbed(cov, j, o, seed ^ 1));
                a_pa.push(mp.accuracy(0)[0]);
                a_cov.push(mc.accuracy(0)[0]);
                for (b, (x, y)) in boots.iter_mut().zip(
                    accuracy_boot(&mp, reps)
                        .into_iter()
                        .zip(accuracy_boot(&mc, reps)),
                ) {
                    *b += 100.0 * (x - y) / draws as f64;
                }
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
            Robust {
                kind: kind.to_string(),
                amount,
                size_deg: size,
                percept_aware: mean(&a_pa),
                coverage: mean(&a_cov),
                gain_pp: Paired {
                    mean: 100.0 * (mean(&a_pa) - mean(&a_cov)),
                    ci95: reading::interval95(boots),
                },
            }
        })
        .collect()
}

/// SSIM and edge correlation of each layout's percept of the held-out images (on the plan's
/// evaluation grid).
fn images(
    p: &Problem,
    layouts: &Layouts,
) -> Result<BTreeMap<String, BTreeMap<String, ImageScore>>, String> {
    let g = p.grid;
    let enc = p.encoding();
    let mut out = BTreeMap::new();
    for (name, bytes) in super::tasks::HELD_OUT_IMAGES {
        let img = super::tasks::image_from_bytes(&g, bytes, name)?;
        let mut per = BTreeMap::new();
        for (layout, sites, _) in &layouts.entries {
            let percept = sites.percept(&enc, &g, &img);
            per.insert(
                layout.clone(),
                ImageScore {
                    ssim: metrics::ssim(&percept, &img, g.width, g.height),
                    edge_r: edge_correlation(&percept, &img, g.width, g.height),
                },
            );
        }
        out.insert(name.to_string(), per);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_and_dropout_do_what_they_say() {
        let s = Sites::new(
            (0..1000)
                .map(|i| Site {
                    x: (i % 40) as f64 * 0.3,
                    y: (i / 40) as f64 * 0.3,
                    mag: 3.0,
                })
                .collect(),
            0.4,
        );
        let d = perturbed(&s, 0.0, 0.2, 1);
        assert!((d.len() as f64 - 800.0).abs() < 60.0, "{}", d.len());
        let j = perturbed(&s, 1.0, 0.0, 2);
        let rms = (j
            .sites
            .iter()
            .zip(&s.sites)
            .map(|(a, b)| (a.x - b.x).powi(2) + (a.y - b.y).powi(2))
            .sum::<f64>()
            / 1000.0)
            .sqrt();
        assert!((rms - 1.0).abs() < 0.08, "{rms}");
        // the device still samples where it believed the phosphenes were
        assert_eq!(j.believed, s.believed);
    }

    #[test]
    fn edges_correlate_with_themselves_not_with_noise() {
        let (w, h) = (32, 32);
        let img: Vec<f32> = (0..w * h)
            .map(|i| if (i % w) > 15 { 1.0 } else { 0.0 })
            .collect();
        assert!((edge_correlation(&img, &img, w, h) - 1.0).abs() < 1e-9);
        let other: Vec<f32> = (0..w * h)
            .map(|i| if (i / w) > 15 { 1.0 } else { 0.0 })
            .collect();
        assert!(edge_correlation(&img, &other, w, h) < 0.2);
    }
}

/// A held-out letter as each layout shows it (the Plan panel's "read" preview).
#[derive(Clone, Debug)]
pub struct Preview {
    pub letter: char,
    pub size_deg: f64,
    pub width: usize,
    pub height: usize,
    /// the letter (0..1, row-major)
    pub stimulus: Vec<f32>,
    /// (layout, noiseless percept)
    pub percepts: Vec<(String, Vec<f32>)>,
}

/// The letter `letter` of the held-out font at `size_deg`, at fixation, through each layout.
pub fn preview(
    p: &Problem,
    layouts: &Layouts,
    letter: char,
    size_deg: f64,
) -> Result<Preview, String> {
    let font = crate::brain::text::serif()?;
    let cond = reading::Condition {
        size_deg,
        centre: p.grid.centre,
    };
    let g = cond.grid();
    let stimulus = reading::letter_image(&font, letter, &cond);
    let enc = p.encoding();
    let percepts = layouts
        .entries
        .iter()
        .map(|(name, sites, _)| (name.clone(), sites.percept(&enc, &g, &stimulus)))
        .collect();
    Ok(Preview {
        letter,
        size_deg,
        width: g.width,
        height: g.height,
        stimulus,
        percepts,
    })
}
