//! Distance-to-vessel-surface queries on vessel graphs through an R-tree (rstar) of
//! segments. The graph itself is plain data from the readers (`crate::io::vessels`).
//!
//! The distance from a point to a vessel is `|p − segment| − radius` (negative inside the
//! vessel). The nearest vessel by that measure is found exactly: candidate segments come out
//! of the R-tree in order of centre-line distance `d`, and the search stops once
//! `d − r_max` cannot beat the best surface distance found.

use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, RTree};
use serde::Serialize;

pub use crate::io::vessels::{GraphStats, VesselGraph, VesselKind};

type Seg = GeomWithData<Line<[f32; 3]>, u32>;

/// Nearest vessel to a point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct VesselHit {
    /// Distance to the vessel wall in mm (centre-line distance minus radius; < 0 inside).
    pub distance_mm: f64,
    pub edge: u32,
}

/// Spatial index over a graph's segments.
pub struct VesselIndex {
    tree: RTree<Seg>,
    ends: Vec<([f32; 3], [f32; 3])>,
    radius: Vec<f32>,
    r_max: f32,
}

impl VesselIndex {
    pub fn new(g: &VesselGraph) -> VesselIndex {
        let segs: Vec<Seg> = (0..g.edges.len())
            .map(|e| {
                let (a, b) = g.segment(e);
                GeomWithData::new(Line::new(a, b), e as u32)
            })
            .collect();
        let r_max = g.radius.iter().copied().fold(0.0, f32::max);
        let ends = (0..g.edges.len()).map(|e| g.segment(e)).collect();
        VesselIndex {
            tree: RTree::bulk_load(segs),
            ends,
            radius: g.radius.clone(),
            r_max,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.radius.is_empty()
    }

    /// Exact nearest vessel wall (see module docs). `None` for an empty graph.
    pub fn nearest(&self, p: [f32; 3]) -> Option<VesselHit> {
        let mut best: Option<VesselHit> = None;
        for (seg, d2) in self.tree.nearest_neighbor_iter_with_distance_2(p) {
            let d = (d2 as f64).sqrt();
            if let Some(b) = best
                && d - self.r_max as f64 >= b.distance_mm
            {
                break;
            }
            let surface = d - self.radius[seg.data as usize] as f64;
            if best.is_none_or(|b| surface < b.distance_mm) {
                best = Some(VesselHit {
                    distance_mm: surface,
                    edge: seg.data,
                });
            }
        }
        best
    }

    /// Nearest vessel wall and the closest point on that vessel's centre line (the distance
    /// grows along `p − closest`, which gives its gradient).
    pub fn nearest_with_point(&self, p: [f32; 3]) -> Option<(VesselHit, [f32; 3])> {
        let hit = self.nearest(p)?;
        let (a, b) = self.ends[hit.edge as usize];
        let (a, b) = (
            glam::DVec3::from(a.map(f64::from)),
            glam::DVec3::from(b.map(f64::from)),
        );
        let q = glam::DVec3::from(p.map(f64::from));
        let ab = b - a;
        let t = if ab.length_squared() > 0.0 {
            ((q - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let c = a + ab * t;
        Some((hit, [c.x as f32, c.y as f32, c.z as f32]))
    }

    /// Many points at once (in parallel).
    pub fn nearest_many(&self, points: &[[f32; 3]]) -> Vec<Option<VesselHit>> {
        use rayon::prelude::*;
        points.par_iter().map(|p| self.nearest(*p)).collect()
    }

    /// Nearest vessel wall to a line segment (for electrode threads): the minimum over the
    /// segment, found by testing the vessels whose boxes come within `reach` of it.
    pub fn nearest_to_segment(&self, a: [f32; 3], b: [f32; 3], reach: f32) -> Option<VesselHit> {
        let lo = [
            a[0].min(b[0]) - reach,
            a[1].min(b[1]) - reach,
            a[2].min(b[2]) - reach,
        ];
        let hi = [
            a[0].max(b[0]) + reach,
            a[1].max(b[1]) + reach,
            a[2].max(b[2]) + reach,
        ];
        let mut best: Option<VesselHit> = None;
        for seg in self
            .tree
            .locate_in_envelope_intersecting(AABB::from_corners(lo, hi))
        {
            let (p, q) = (seg.geom().from, seg.geom().to);
            let d = segment_segment_distance(a, b, p, q) - self.radius[seg.data as usize] as f64;
            if best.is_none_or(|h| d < h.distance_mm) {
                best = Some(VesselHit {
                    distance_mm: d,
                    edge: seg.data,
                });
            }
        }
        best.or_else(|| {
            // nothing within reach: fall back to the nearest to the midpoint (a lower bound is not
            // needed by callers that only ask "closer than reach?")
            let m = [
                (a[0] + b[0]) / 2.0,
                (a[1] + b[1]) / 2.0,
                (a[2] + b[2]) / 2.0,
            ];
            self.nearest(m)
        })
    }
}

impl VesselIndex {
    /// The vessel a ray meets first: segments whose wall comes within `tol` mm of the ray
    /// `origin + t·dir` (`dir` unit, 0 ≤ t ≤ `length`); returns the edge and the ray parameter
    /// of the closest approach.
    pub fn ray_pick(
        &self,
        origin: [f32; 3],
        dir: [f32; 3],
        length: f32,
        tol: f32,
    ) -> Option<(u32, f32)> {
        let o = glam::Vec3::from(origin);
        let d = glam::Vec3::from(dir);
        // walk the ray in pieces so each box query stays small
        let step = (tol + self.r_max).max(1e-3) * 8.0;
        let pieces = ((length / step).ceil() as usize).clamp(1, 100_000);
        let reach = tol + self.r_max;
        for k in 0..pieces {
            let (t0, t1) = (
                k as f32 * length / pieces as f32,
                (k + 1) as f32 * length / pieces as f32,
            );
            let (a, b) = (o + d * t0, o + d * t1);
            let lo = a.min(b) - glam::Vec3::splat(reach);
            let hi = a.max(b) + glam::Vec3::splat(reach);
            let mut best: Option<(u32, f32)> = None;
            for seg in self
                .tree
                .locate_in_envelope_intersecting(AABB::from_corners(lo.to_array(), hi.to_array()))
            {
                let (p, q) = (
                    glam::Vec3::from(seg.geom().from),
                    glam::Vec3::from(seg.geom().to),
                );
                let (s, t) = closest_params(a, b, p, q);
                let (x, y) = (a + (b - a) * s, p + (q - p) * t);
                if x.distance(y) <= self.radius[seg.data as usize] + tol {
                    let tray = t0 + s * (t1 - t0);
                    if best.is_none_or(|(_, bt)| tray < bt) {
                        best = Some((seg.data, tray));
                    }
                }
            }
            if best.is_some() {
                return best;
            }
        }
        None
    }
}

/// Parameters (s, t) in [0, 1]² of the closest points of segments ab and cd.
fn closest_params(a: glam::Vec3, b: glam::Vec3, c: glam::Vec3, d: glam::Vec3) -> (f32, f32) {
    let (u, v, w) = (b - a, d - c, a - c);
    let (aa, bb, cc, dd, ee) = (u.dot(u), u.dot(v), v.dot(v), u.dot(w), v.dot(w));
    let den = aa * cc - bb * bb;
    let mut s = if den > 1e-12 {
        ((bb * ee - cc * dd) / den).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut t = if cc > 1e-12 {
        ((bb * s + ee) / cc).clamp(0.0, 1.0)
    } else {
        0.0
    };
    if aa > 1e-12 {
        s = ((bb * t - dd) / aa).clamp(0.0, 1.0);
    }
    if cc > 1e-12 {
        t = ((bb * s + ee) / cc).clamp(0.0, 1.0);
    }
    (s, t)
}

/// Distance from point `p` to segment `ab`.
pub fn point_segment_distance(p: [f32; 3], a: [f32; 3], b: [f32; 3]) -> f64 {
    let (p, a, b) = (
        glam::DVec3::from(p.map(f64::from)),
        glam::DVec3::from(a.map(f64::from)),
        glam::DVec3::from(b.map(f64::from)),
    );
    let ab = b - a;
    let t = if ab.length_squared() > 0.0 {
        ((p - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t).distance(p)
}

/// Closest distance between segments `ab` and `cd` (Lumelsky-style clamped solution).
pub fn segment_segment_distance(a: [f32; 3], b: [f32; 3], c: [f32; 3], d: [f32; 3]) -> f64 {
    let v = |x: [f32; 3]| glam::DVec3::from(x.map(f64::from));
    let (p1, q1, p2, q2) = (v(a), v(b), v(c), v(d));
    let d1 = q1 - p1;
    let d2 = q2 - p2;
    let r = p1 - p2;
    let (a_, e, f) = (d1.length_squared(), d2.length_squared(), d2.dot(r));
    let eps = 1e-12;
    let (s, t);
    if a_ <= eps && e <= eps {
        return p1.distance(p2);
    }
    if a_ <= eps {
        s = 0.0;
        t = (f / e).clamp(0.0, 1.0);
    } else {
        let c_ = d1.dot(r);
        if e <= eps {
            t = 0.0;
            s = (-c_ / a_).clamp(0.0, 1.0);
        } else {
            let b_ = d1.dot(d2);
            let denom = a_ * e - b_ * b_;
            let mut s0 = if denom > eps {
                ((b_ * f - c_ * e) / denom).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let mut t0 = (b_ * s0 + f) / e;
            if t0 < 0.0 {
                t0 = 0.0;
                s0 = (-c_ / a_).clamp(0.0, 1.0);
            } else if t0 > 1.0 {
                t0 = 1.0;
                s0 = ((b_ - c_) / a_).clamp(0.0, 1.0);
            }
            s = s0;
            t = t0;
        }
    }
    (p1 + d1 * s).distance(p2 + d2 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f32) / (1u64 << 31) as f32
    }

    fn random_graph(n: usize, seed: &mut u64) -> VesselGraph {
        let mut g = VesselGraph::default();
        for _ in 0..n {
            let a = [lcg(seed) * 50.0, lcg(seed) * 50.0, lcg(seed) * 50.0];
            let b = [
                a[0] + lcg(seed) * 4.0 - 2.0,
                a[1] + lcg(seed) * 4.0 - 2.0,
                a[2] + lcg(seed) * 4.0 - 2.0,
            ];
            let i = g.nodes.len() as u32;
            g.nodes.push(a);
            g.nodes.push(b);
            g.edges.push([i, i + 1]);
            g.radius.push(lcg(seed) * 0.8);
            g.kind.push(VesselKind::Unknown);
        }
        g
    }

    /// Property: the indexed query equals brute force on random points and graphs.
    #[test]
    fn nearest_is_exact_against_brute_force() {
        let mut seed = 7;
        for round in 0..5 {
            let g = random_graph(300 + 100 * round, &mut seed);
            g.validate().unwrap();
            let idx = VesselIndex::new(&g);
            for _ in 0..400 {
                let p = [
                    lcg(&mut seed) * 60.0 - 5.0,
                    lcg(&mut seed) * 60.0 - 5.0,
                    lcg(&mut seed) * 60.0 - 5.0,
                ];
                let hit = idx.nearest(p).unwrap();
                let brute = (0..g.edges.len())
                    .map(|e| {
                        let (a, b) = g.segment(e);
                        point_segment_distance(p, a, b) - g.radius[e] as f64
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    (hit.distance_mm - brute).abs() < 1e-4,
                    "{} vs {brute}",
                    hit.distance_mm
                );
            }
        }
    }

    #[test]
    fn segment_distances() {
        let d = segment_segment_distance([0., 0., 0.], [1., 0., 0.], [0.5, 1., 0.], [0.5, 2., 0.]);
        assert!((d - 1.0).abs() < 1e-9);
        let crossing =
            segment_segment_distance([0., 0., 0.], [2., 0., 0.], [1., -1., 0.5], [1., 1., 0.5]);
        assert!((crossing - 0.5).abs() < 1e-9);
        assert!(
            (point_segment_distance([3., 0., 0.], [0., 0., 0.], [1., 0., 0.]) - 2.0).abs() < 1e-12
        );
    }

    #[test]
    fn validation_names_the_problem() {
        let mut g = random_graph(3, &mut 1);
        g.edges[1] = [0, 99];
        assert!(g.validate().unwrap_err().contains("edge 1"));
        let mut g = random_graph(3, &mut 1);
        g.radius[2] = -1.0;
        assert!(g.validate().unwrap_err().contains("radius"));
    }
}
