//! Region ↔ region routing: an N×N matrix (or a series T×N×N) of routing weights between
//! regions — row = source, column = target — drawn as arcs between region centres.
//!
//! * Matrices: `.npy` `[N, N]` or `[T, N, N]`, or a `.csv`/`.tsv` N×N table; NaN/∞ refused
//!   naming (t, row, column).
//! * Region centres: from a parcellation in the scene (the mean pial position of each
//!   region's vertices, moved to its nearest vertex so arcs leave from the cortex), or from a
//!   node file — BrainNet Viewer `.node` (`x y z colour size label` per line) or TVB
//!   `centres.txt` (`label x y z`). N must equal the number of regions.
//! * Shown: for each source its `top_k` strongest targets with |w| ≥ `threshold` (self-loops
//!   skipped), as quadratic Bézier arcs lifted away from the brain's centre by
//!   `lift + 0.25·distance`, width and colour by weight.
//! * **Thalamic gating** ([`Gate`]): an attention focus (a point on the cortex) sets a target
//!   gain per region `g* = 1 + a·exp(−d²/2σ²)` (d: distance of the region centre from the focus;
//!   a = 2, σ = 25 mm by default); gains follow with `dg/dt = (g* − g)/τ` (τ = 0.2 s), and the
//!   effective routing is `W_eff(i, j) = g_i·W(i, j)·g_j / Σ_k g_i·W(i, k)·g_k` (each source's
//!   outflow renormalised, so the focus *redistributes* routing rather than adding to it) — a
//!   minimal model of a pulvinar/thalamic gate modulating cortico-cortical transmission (cf.
//!   Saalmann et al. 2012, Science 337:753), documented as a model, not a fit.

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView2};

use crate::brain::Hemisphere;

pub use crate::io::regions::{Nodes, RegionMatrix};

/// A quadratic Bézier arc from `a` to `b` bowed away from `centre` (mm), `segments` pieces.
pub fn arc(
    a: [f64; 3],
    b: [f64; 3],
    centre: [f64; 3],
    lift: f64,
    segments: usize,
) -> Vec<[f32; 3]> {
    let m = [
        (a[0] + b[0]) / 2.0,
        (a[1] + b[1]) / 2.0,
        (a[2] + b[2]) / 2.0,
    ];
    let d = ((0..3).map(|k| (b[k] - a[k]).powi(2)).sum::<f64>()).sqrt();
    let mut out_dir = [m[0] - centre[0], m[1] - centre[1], m[2] - centre[2]];
    let len = (out_dir.iter().map(|x| x * x).sum::<f64>()).sqrt();
    if len < 1e-9 {
        out_dir = [0.0, 0.0, 1.0];
    } else {
        out_dir.iter_mut().for_each(|x| *x /= len);
    }
    let h = lift + 0.25 * d;
    let c = [
        m[0] + out_dir[0] * h,
        m[1] + out_dir[1] * h,
        m[2] + out_dir[2] * h,
    ];
    (0..=segments.max(1))
        .map(|s| {
            let t = s as f64 / segments.max(1) as f64;
            let u = 1.0 - t;
            std::array::from_fn(|k| (u * u * a[k] + 2.0 * u * t * c[k] + t * t * b[k]) as f32)
        })
        .collect()
}

/// The thalamic gate (module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub gains: Vec<f64>,
    pub amplitude: f64,
    pub sigma_mm: f64,
    pub tau_s: f64,
}

impl Gate {
    pub fn new(n: usize) -> Gate {
        Gate {
            gains: vec![1.0; n],
            amplitude: 2.0,
            sigma_mm: 25.0,
            tau_s: 0.2,
        }
    }

    /// Advance the gains by `dt` seconds towards the targets set by `focus` (None: all 1).
    pub fn step(&mut self, nodes: &Nodes, focus: Option<[f64; 3]>, dt: f64) {
        let k = (dt / self.tau_s).clamp(0.0, 1.0);
        for (g, c) in self.gains.iter_mut().zip(&nodes.centres) {
            let target = match focus {
                Some(f) => {
                    let d2: f64 = (0..3).map(|a| (c[a] - f[a]).powi(2)).sum();
                    1.0 + self.amplitude * (-d2 / (2.0 * self.sigma_mm * self.sigma_mm)).exp()
                }
                None => 1.0,
            };
            *g += (target - *g) * k;
        }
    }

    /// The effective routing of one frame: `g_i W_ij g_j`, each source's outflow (Σ|·|)
    /// renormalised to the original's.
    pub fn apply(&self, m: &RegionMatrix, w: ArrayView2<f32>) -> Array2<f32> {
        let n = m.n();
        let mut out = Array2::zeros((n, n));
        for (i, (src, mut dst)) in w.outer_iter().zip(out.outer_iter_mut()).enumerate() {
            let orig: f64 = src.iter().map(|x| x.abs() as f64).sum();
            let row: Vec<f64> = (0..n)
                .map(|j| self.gains[i] * src[j] as f64 * self.gains[j])
                .collect();
            let s: f64 = row.iter().map(|x| x.abs()).sum();
            let k = if s > 0.0 { orig / s } else { 0.0 };
            for (d, r) in dst.iter_mut().zip(&row) {
                *d = (r * k) as f32;
            }
        }
        out
    }
}

/// One hemisphere's parcellation: region per vertex, region names, vertex positions.
pub type LabelledVertices<'a> = (Vec<i32>, Vec<String>, &'a [[f32; 3]]);

/// Region centres from a parcellation: per hemisphere the mean pial position of each
/// region's vertices, snapped to the region's vertex nearest that mean. Regions with no
/// vertex are skipped; names are `lh NAME` / `rh NAME` when both hemispheres are present.
pub fn centres_from_labels(per_hemi: &BTreeMap<Hemisphere, LabelledVertices<'_>>) -> Nodes {
    let both = per_hemi.len() > 1;
    let mut n = Nodes::default();
    for (h, (region_of, names, pos)) in per_hemi {
        for (r, name) in names.iter().enumerate() {
            let vs: Vec<usize> = region_of
                .iter()
                .enumerate()
                .filter(|(_, x)| **x == r as i32)
                .map(|(v, _)| v)
                .collect();
            if vs.is_empty() {
                continue;
            }
            let mean: [f64; 3] = std::array::from_fn(|k| {
                vs.iter().map(|&v| pos[v][k] as f64).sum::<f64>() / vs.len() as f64
            });
            let best = vs
                .iter()
                .copied()
                .min_by(|&a, &b| {
                    let d = |v: usize| {
                        (0..3)
                            .map(|k| (pos[v][k] as f64 - mean[k]).powi(2))
                            .sum::<f64>()
                    };
                    d(a).total_cmp(&d(b))
                })
                .expect("non-empty");
            n.names.push(if both {
                format!("{} {name}", crate::selectivity::hemi_tag(*h))
            } else {
                name.clone()
            });
            n.centres.push(pos[best].map(f64::from));
            n.hemis.push(Some(*h));
            n.vertices.push(Some(best));
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_top_k_nodes_arcs_and_the_gate() {
        let m =
            RegionMatrix::new(&[3, 3], vec![0.0, 0.5, 0.1, 0.2, 9.0, 0.0, 0.3, 0.4, 0.0]).unwrap();
        let top = m.top_k(m.frame(0), 1, 0.15);
        assert_eq!(
            top,
            vec![(0, 1, 0.5), (1, 0, 0.2), (2, 1, 0.4)],
            "self-loops skipped"
        );
        assert!(
            RegionMatrix::new(&[2, 3], vec![0.0; 6])
                .unwrap_err()
                .contains("expected [N, N]")
        );
        let e = RegionMatrix::new(
            &[2, 2, 2],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0],
        )
        .unwrap_err();
        assert!(e.contains("NaN at frame 1, row 0, column 1"), "{e}");
        let brainnet =
            Nodes::parse("# BrainNet\n-40 -60 -10 1 1 lFFA\n40 -60 -10 1 1 rFFA\n").unwrap();
        assert_eq!(brainnet.names, ["lFFA", "rFFA"]);
        let tvb = Nodes::parse("lh_V1 -10.0 -90.0 0.0\nrh_V1 10.0 -90.0 0.0\n").unwrap();
        assert_eq!(tvb.centres[1], [10.0, -90.0, 0.0]);
        assert!(
            Nodes::parse("a b c d\n")
                .unwrap_err()
                .contains("not numbers")
        );
        // arcs start and end at the nodes and bow away from the centre
        let a = arc(
            [-10.0, 0.0, 0.0],
            [10.0, 0.0, 0.0],
            [0.0, 0.0, -50.0],
            5.0,
            8,
        );
        assert_eq!(a.len(), 9);
        assert_eq!(a[0], [-10.0, 0.0, 0.0]);
        assert_eq!(a[8], [10.0, 0.0, 0.0]);
        assert!(a[4][2] > 4.0, "lifted: {:?}", a[4]);
        // the gate: a focus at node 0 raises its gain and shifts routing towards it
        let mut g = Gate::new(3);
        let nodes = Nodes {
            names: vec!["a".into(), "b".into(), "c".into()],
            centres: vec![[0.0; 3], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0]],
            hemis: vec![None; 3],
            vertices: vec![None; 3],
        };
        for _ in 0..100 {
            g.step(&nodes, Some([0.0; 3]), 0.05);
        }
        assert!((g.gains[0] - 3.0).abs() < 1e-3 && (g.gains[1] - 1.0).abs() < 1e-3);
        let w = vec![0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let m = RegionMatrix::new(&[3, 3], w).unwrap();
        let e = g.apply(&m, m.frame(0));
        // node 2's outflow now goes mostly to node 0; totals per row are kept
        assert!(e[[2, 0]] > 2.0 * e[[2, 1]], "{e:?}");
        for i in 0..3 {
            let s: f32 = (0..3).map(|j| e[[i, j]]).sum();
            assert!((s - 2.0).abs() < 1e-5);
        }
    }
}
