//! The planning domain of one hemisphere: the cortical sheet around V1 in the template's flat
//! coordinates `(u, v)` (mm), with the pial and white surfaces above each point.
//!
//! A point of the sheet is found by locating `(u, v)` in the flat triangulation (R-tree of
//! triangle boxes) and interpolating barycentrically; within a triangle the map to 3D is
//! affine, so its Jacobian `∂(RAS)/∂(u, v)` is exact and constant (gradients use it). A
//! contact at depth fraction `d` (0 = pial surface, 1 = white-matter boundary) lies at
//! `pial + d·(white − pial)`: between the two surfaces, i.e. in grey matter, for 0 ≤ d ≤ 1.

use glam::DVec3;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::template::V1Template;
use crate::brain::Hemisphere;
use crate::brain::surface::Surface;
use crate::percept::retinotopy::{FieldPoint, WedgeDipole};

type Tri = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// A point of the cortical sheet.
#[derive(Clone, Copy, Debug)]
pub struct SheetPoint {
    pub face: u32,
    pub bary: [f64; 3],
    pub pial: DVec3,
    pub white: DVec3,
    /// ∂pial/∂u, ∂pial/∂v
    pub dpial: [DVec3; 2],
    pub dwhite: [DVec3; 2],
}

impl SheetPoint {
    pub fn at_depth(&self, d: f64) -> DVec3 {
        self.pial + (self.white - self.pial) * d
    }
    /// ∂(position at depth d)/∂u and /∂v.
    pub fn d_at_depth(&self, d: f64) -> [DVec3; 2] {
        [
            self.dpial[0] + (self.dwhite[0] - self.dpial[0]) * d,
            self.dpial[1] + (self.dwhite[1] - self.dpial[1]) * d,
        ]
    }
    pub fn thickness(&self) -> f64 {
        (self.white - self.pial).length()
    }
    /// Unit normal pointing out of the brain (white → pial).
    pub fn outward(&self) -> DVec3 {
        (self.pial - self.white).normalize_or_zero()
    }
}

pub struct Domain {
    pub hemi: Hemisphere,
    pub map: WedgeDipole,
    uv: Vec<[f64; 2]>,
    pial: Vec<[f32; 3]>,
    white: Vec<[f32; 3]>,
    faces: Vec<[u32; 3]>,
    tree: RTree<Tri>,
    /// bounding box of V1 in (u, v)
    pub v1_bounds: ([f64; 2], [f64; 2]),
    /// template vertex of the occipital pole (for display)
    pub pole: usize,
}

impl Domain {
    pub fn new(t: &V1Template, pial: &Surface, white: &Surface) -> Domain {
        let ok = |i: u32| t.uv[i as usize][0].is_finite();
        let near_v1 = |i: u32| {
            let [u, v] = t.uv[i as usize];
            // keep a 10 mm rim around V1 so contacts slightly outside can still be located
            u.is_finite() && u > -10.0 && u < 90.0 && v.abs() < 45.0
        };
        let faces: Vec<[u32; 3]> = pial
            .faces
            .iter()
            .copied()
            .filter(|f| f.iter().all(|&i| ok(i) && near_v1(i)))
            .collect();
        let tris = faces
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let p = f.map(|i| t.uv[i as usize]);
                let lo = [
                    p[0][0].min(p[1][0]).min(p[2][0]),
                    p[0][1].min(p[1][1]).min(p[2][1]),
                ];
                let hi = [
                    p[0][0].max(p[1][0]).max(p[2][0]),
                    p[0][1].max(p[1][1]).max(p[2][1]),
                ];
                GeomWithData::new(Rectangle::from_corners(lo, hi), k as u32)
            })
            .collect();
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for (i, f) in t.field.iter().enumerate() {
            if f.is_some() {
                for k in 0..2 {
                    lo[k] = lo[k].min(t.uv[i][k]);
                    hi[k] = hi[k].max(t.uv[i][k]);
                }
            }
        }
        Domain {
            hemi: t.hemi,
            map: t.map,
            uv: t.uv.clone(),
            pial: pial.vertices.clone(),
            white: white.vertices.clone(),
            faces,
            tree: RTree::bulk_load(tris),
            v1_bounds: (lo, hi),
            pole: t.pole_vertex,
        }
    }

    /// Is `(u, v)` in V1 (maps to the hemifield within 90°)?
    pub fn field(&self, u: f64, v: f64) -> Option<FieldPoint> {
        self.map.to_field(self.hemi, u, v)
    }

    /// The sheet point above `(u, v)`, if the sheet extends there.
    pub fn locate(&self, u: f64, v: f64) -> Option<SheetPoint> {
        let q = [u, v];
        for cand in self
            .tree
            .locate_in_envelope_intersecting(AABB::from_point(q))
        {
            let f = self.faces[cand.data as usize];
            let [a, b, c] = f.map(|i| self.uv[i as usize]);
            let (e1, e2) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
            let det = e1[0] * e2[1] - e1[1] * e2[0];
            if det.abs() < 1e-12 {
                continue;
            }
            let (du, dv) = (u - a[0], v - a[1]);
            let l1 = (du * e2[1] - dv * e2[0]) / det;
            let l2 = (e1[0] * dv - e1[1] * du) / det;
            let l0 = 1.0 - l1 - l2;
            let eps = -1e-9;
            if l0 < eps || l1 < eps || l2 < eps {
                continue;
            }
            // ∂(l1, l2)/∂(u, v) = inverse of [e1 e2]
            let dl1 = [e2[1] / det, -e2[0] / det];
            let dl2 = [-e1[1] / det, e1[0] / det];
            let p = f.map(|i| DVec3::from(self.pial[i as usize].map(f64::from)));
            let w = f.map(|i| DVec3::from(self.white[i as usize].map(f64::from)));
            let interp = |x: &[DVec3; 3]| x[0] * l0 + x[1] * l1 + x[2] * l2;
            let deriv = |x: &[DVec3; 3], k: usize| (x[1] - x[0]) * dl1[k] + (x[2] - x[0]) * dl2[k];
            return Some(SheetPoint {
                face: cand.data,
                bary: [l0, l1, l2],
                pial: interp(&p),
                white: interp(&w),
                dpial: [deriv(&p, 0), deriv(&p, 1)],
                dwhite: [deriv(&w, 0), deriv(&w, 1)],
            });
        }
        None
    }

    /// `(u, v)` and depth fraction of a RAS point: the nearest point of the sheet's triangles
    /// (pial and white), depth from the distances to both.
    pub fn uv_of_ras(&self, p: DVec3) -> Option<([f64; 2], f64)> {
        let mut best: Option<(f64, [f64; 2], f64)> = None;
        for f in &self.faces {
            let uv = f.map(|i| self.uv[i as usize]);
            for (surf, depth) in [(&self.pial, 0.0), (&self.white, 1.0)] {
                let tri = f.map(|i| DVec3::from(surf[i as usize].map(f64::from)));
                let (q, bary) = closest_on_triangle(p, tri);
                let d = q.distance(p);
                if best.is_none_or(|b| d < b.0) {
                    let u = bary[0] * uv[0][0] + bary[1] * uv[1][0] + bary[2] * uv[2][0];
                    let v = bary[0] * uv[0][1] + bary[1] * uv[1][1] + bary[2] * uv[2][1];
                    best = Some((d, [u, v], depth));
                }
            }
        }
        let (_, uv, _) = best?;
        let sp = self.locate(uv[0], uv[1])?;
        // depth: projection onto the pial→white segment
        let axis = sp.white - sp.pial;
        let d = if axis.length_squared() > 0.0 {
            (p - sp.pial).dot(axis) / axis.length_squared()
        } else {
            0.0
        };
        Some((uv, d))
    }

    /// Uniform random point of V1 (rejection sampling in its (u, v) box).
    pub fn sample_v1(&self, rng: &mut crate::brain::vessel_gen::SplitMix) -> Option<[f64; 2]> {
        let (lo, hi) = self.v1_bounds;
        for _ in 0..10_000 {
            let u = lo[0] + rng.unit() * (hi[0] - lo[0]);
            let v = lo[1] + rng.unit() * (hi[1] - lo[1]);
            if self.field(u, v).is_some() && self.locate(u, v).is_some() {
                return Some([u, v]);
            }
        }
        None
    }
}

/// Closest point of a triangle to `p` and its barycentric coordinates (Ericson 2005, §5.1.5).
pub fn closest_on_triangle(p: DVec3, t: [DVec3; 3]) -> (DVec3, [f64; 3]) {
    let [a, b, c] = t;
    let (ab, ac, ap) = (b - a, c - a, p - a);
    let (d1, d2) = (ab.dot(ap), ac.dot(ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return (a, [1.0, 0.0, 0.0]);
    }
    let bp = p - b;
    let (d3, d4) = (ab.dot(bp), ac.dot(bp));
    if d3 >= 0.0 && d4 <= d3 {
        return (b, [0.0, 1.0, 0.0]);
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return (a + ab * v, [1.0 - v, v, 0.0]);
    }
    let cp = p - c;
    let (d5, d6) = (ab.dot(cp), ac.dot(cp));
    if d6 >= 0.0 && d5 <= d6 {
        return (c, [0.0, 0.0, 1.0]);
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return (a + ac * w, [1.0 - w, 0.0, w]);
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return (b + (c - b) * w, [0.0, 1.0 - w, w]);
    }
    let denom = 1.0 / (va + vb + vc);
    let (v, w) = (vb * denom, vc * denom);
    (a + ab * v + ac * w, [1.0 - v - w, v, w])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_point_regions() {
        let t = [DVec3::ZERO, DVec3::X, DVec3::Y];
        let (q, b) = closest_on_triangle(DVec3::new(0.2, 0.2, 1.0), t);
        assert!((q - DVec3::new(0.2, 0.2, 0.0)).length() < 1e-12);
        assert!((b[0] - 0.6).abs() < 1e-12);
        let (q, _) = closest_on_triangle(DVec3::new(-1.0, -1.0, 0.0), t);
        assert_eq!(q, DVec3::ZERO);
        let (q, _) = closest_on_triangle(DVec3::new(1.0, 1.0, 0.0), t);
        assert!((q - DVec3::new(0.5, 0.5, 0.0)).length() < 1e-12);
    }
}
