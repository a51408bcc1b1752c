//! The paired comparison of percept-aware placement with the coverage baseline, so a reader
//! can tell a real gain from what another seed would change.
//!
//! For every target (each letter or word, each image) the SSIM of the percept-aware layout
//! minus the SSIM of the coverage layout on the same target is the *paired difference*. It is
//! computed for each optimiser seed: the first seed is the plan itself; each further seed
//! starts the optimiser from the same layout with every device moved by up to 0.5 mm in
//! `(u, v)` (seeded) and its own repair seed. Reported per task:
//! - `mean`: the mean paired difference over targets and seeds;
//! - `sd_over_targets`: the standard deviation over targets of the seed-averaged difference;
//! - `sd_over_seeds`: the standard deviation over seeds of the target-averaged difference;
//! - `fraction_improved`: the share of targets whose seed-averaged difference is > 0;
//! - `per_target`: each target's differences per seed.
//!
//! Both on the **whole image** and inside the **reachable region** — the pixels of the field
//! of view whose visual-field position lies on the target areas of the planned hemispheres
//! (where any electrode could put a phosphene); outside it no layout can draw anything.

use rayon::prelude::*;
use serde::Serialize;

use super::optimize::{Layout, OptOptions, Problem};
use crate::percept::metrics;
use crate::percept::retinotopy::FieldPoint;
use crate::rng::SplitMix;

/// One summary of paired differences.
#[derive(Clone, Debug, Serialize)]
pub struct Paired {
    pub mean: f64,
    pub sd_over_targets: f64,
    pub sd_over_seeds: f64,
    pub fraction_improved: f64,
    pub per_target: Vec<TargetDiff>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetDiff {
    pub target: String,
    /// percept-aware minus coverage SSIM, one per seed
    pub per_seed: Vec<f64>,
}

/// Both regions of one task.
#[derive(Clone, Debug, Serialize)]
pub struct TaskComparison {
    pub whole_image: Paired,
    pub reachable_region: Paired,
}

/// The `comparison` of a plan report.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub baseline: String,
    pub metric: String,
    pub seeds: Vec<u64>,
    /// how the reachable region is defined, and its size
    pub reachable_region: String,
    pub reachable_fraction: f64,
    pub tasks: std::collections::BTreeMap<String, TaskComparison>,
    /// the layout of each seed (the first is the plan): the reading report measures them too
    #[serde(skip)]
    pub runs: Vec<Layout>,
}

impl Problem {
    /// Pixels of the evaluation grid whose field position lies on a target area.
    pub fn reachable(&self) -> Vec<bool> {
        let g = &self.grid;
        (0..g.len())
            .map(|i| {
                let (x, y) = g.pixel_centre(i % g.width, i / g.width);
                let p = FieldPoint { x, y };
                self.domains.iter().any(|d| d.to_cortex(p).is_some())
            })
            .collect()
    }

    /// SSIM of a layout per task and target: (whole image, reachable region).
    pub fn per_target_ssim(&self, layout: &Layout, region: &[bool]) -> Vec<Vec<(f64, f64)>> {
        let (w, h) = (self.grid.width, self.grid.height);
        self.tasks
            .iter()
            .map(|task| {
                task.targets
                    .par_iter()
                    .map(|t| {
                        let (img, _) = self.percept(layout, &t.pixels);
                        (
                            metrics::ssim(&img, &t.pixels, w, h),
                            metrics::ssim_in(&img, &t.pixels, w, h, Some(region)),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    /// The layout with every device moved by up to `mm` in (u, v) (a seeded jitter; a move that
    /// would leave the sheet or the target areas is not made).
    pub fn jittered(&self, layout: &Layout, seed: u64, mm: f64) -> Layout {
        let mut rng = SplitMix::new(seed ^ 0x0A11_CE5E);
        let mut out = layout.clone();
        for p in &mut out.placements {
            let mut q = *p;
            q.u += mm * (2.0 * rng.unit() - 1.0);
            q.v += mm * (2.0 * rng.unit() - 1.0);
            if self.placement_ok(&layout.device, &q) {
                *p = q;
            }
        }
        out
    }
}

fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

fn summarise(names: &[String], diffs: &[Vec<f64>]) -> Paired {
    // diffs[seed][target]
    let n_t = names.len();
    let per_target: Vec<TargetDiff> = (0..n_t)
        .map(|t| TargetDiff {
            target: names[t].clone(),
            per_seed: diffs.iter().map(|d| d[t]).collect(),
        })
        .collect();
    let target_means: Vec<f64> = per_target
        .iter()
        .map(|t| t.per_seed.iter().sum::<f64>() / t.per_seed.len().max(1) as f64)
        .collect();
    let seed_means: Vec<f64> = diffs
        .iter()
        .map(|d| d.iter().sum::<f64>() / d.len().max(1) as f64)
        .collect();
    Paired {
        mean: target_means.iter().sum::<f64>() / n_t.max(1) as f64,
        sd_over_targets: sd(&target_means),
        sd_over_seeds: sd(&seed_means),
        fraction_improved: target_means.iter().filter(|&&d| d > 0.0).count() as f64
            / n_t.max(1) as f64,
        per_target,
    }
}

/// Optimise from `start` with the extra seeds and compare every run with `coverage`.
/// `first` is the plan's own result (seed `opts.seed`). The seeds' runs stop early when
/// `cancelled` turns true (the caller then discards the comparison).
pub fn compare(
    p: &Problem,
    coverage: &Layout,
    start: &Layout,
    first: &Layout,
    opts: &OptOptions,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Comparison {
    let seeds: Vec<u64> = (0..opts.comparison_seeds.max(1) as u64)
        .map(|k| opts.seed + k)
        .collect();
    let mut runs = vec![first.clone()];
    let more: Vec<Layout> = seeds[1..]
        .par_iter()
        .map(|&s| {
            let o = OptOptions {
                seed: s,
                ..opts.clone()
            };
            p.optimize(&p.jittered(start, s, 0.5), &o, &mut |_| !cancelled())
                .0
        })
        .collect();
    runs.extend(more);
    let region = p.reachable();
    let base = p.per_target_ssim(coverage, &region);
    let scored: Vec<Vec<Vec<(f64, f64)>>> =
        runs.iter().map(|l| p.per_target_ssim(l, &region)).collect();
    let mut tasks = std::collections::BTreeMap::new();
    for (ti, task) in p.tasks.iter().enumerate() {
        let names: Vec<String> = task.targets.iter().map(|t| t.name.clone()).collect();
        let diff = |pick: fn(&(f64, f64)) -> f64| -> Vec<Vec<f64>> {
            scored
                .iter()
                .map(|s| {
                    s[ti]
                        .iter()
                        .zip(&base[ti])
                        .map(|(a, b)| pick(a) - pick(b))
                        .collect()
                })
                .collect()
        };
        tasks.insert(
            task.name.clone(),
            TaskComparison {
                whole_image: summarise(&names, &diff(|x| x.0)),
                reachable_region: summarise(&names, &diff(|x| x.1)),
            },
        );
    }
    let n_in = region.iter().filter(|&&r| r).count();
    Comparison {
        baseline: "coverage".into(),
        metric: "SSIM of percept-aware minus SSIM of the coverage baseline, paired per target"
            .into(),
        seeds,
        reachable_region: format!(
            "pixels of the {}° field whose visual-field position lies on the target areas of the planned hemispheres: {n_in} of {}",
            p.grid.fov_deg,
            region.len()
        ),
        reachable_fraction: n_in as f64 / region.len().max(1) as f64,
        tasks,
        runs,
    }
}
