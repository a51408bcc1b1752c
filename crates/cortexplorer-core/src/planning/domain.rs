//! The planning domain of one hemisphere: the cortical sheet around the target visual areas,
//! charted by flat coordinates `(u, v)` (mm), with the pial and white surfaces above each point
//! and the retinotopy of the maps the plan uses.
//!
//! **Chart.** Each vertex of the sphere (the registered one when there is one) is placed by an
//! azimuthal-equidistant projection about the centre of the target areas' foveal vertices
//! (eccentricity < 3°), `u` pointing towards the periphery, `v` across the horizontal meridian,
//! positive for the lower visual field (dorsal). The chart is scaled so that the target areas
//! have the same area as on the mid-thickness surface, so `(u, v)` steps are about millimetres
//! of cortex. A point of the sheet is found by locating `(u, v)` in the chart's triangulation
//! (R-tree of triangle boxes) and interpolating barycentrically; within a triangle every
//! quantity is affine in `(u, v)`, so Jacobians are exact and constant per triangle.
//!
//! **Retinotopy from maps.** Each vertex of V1–V3 has its visual-field point (angle and
//! eccentricity turned into Cartesian `x, y` degrees first, so the polar angle has no wrap to
//! handle: the vertical meridian is `x = 0` from either side). A point's phosphene position is
//! the barycentric interpolation of the field points of the triangle under it, when all three
//! corners lie in target areas; its Jacobian `∂(x, y)/∂(u, v)` is piecewise constant. Cortical
//! magnification (mm of cortex per degree) comes from the maps' gradient on the surface: per
//! vertex, `M = √(Σ A_cortex / Σ A_field)` over the adjacent triangles of one area (mid-thickness
//! area over visual-field area), interpolated barycentrically, so `∂M/∂(u, v)` is also exact
//! per triangle. The inverse (field point → sheet) searches the target triangles in field space.
//!
//! A contact at depth fraction `d` (0 = pial surface, 1 = white-matter boundary) lies at
//! `pial + d·(white − pial)`: between the two surfaces, i.e. in grey matter, for 0 ≤ d ≤ 1.

use glam::DVec3;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::brain::Hemisphere;
use crate::brain::surface::Surface;
use crate::percept::maps::RetinoMaps;
use crate::percept::retinotopy::FieldPoint;

type Tri = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// A point of the cortical sheet.
#[derive(Clone, Copy, Debug)]
pub struct SheetPoint {
    pub face: u32,
    pub bary: [f64; 3],
    /// ∂bary/∂(u, v) per corner
    pub dbary: [[f64; 2]; 3],
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

/// The retinotopy at a point of the sheet.
#[derive(Clone, Copy, Debug)]
pub struct Retino {
    pub field: FieldPoint,
    /// ∂(x, y)/∂(u, v): `jac[row][col]`, rows x and y, columns u and v
    pub jac: [[f64; 2]; 2],
    /// cortical magnification, mm/deg
    pub mag: f64,
    /// ∂M/∂(u, v)
    pub dmag: [f64; 2],
    /// visual area (1 = V1) of the nearest corner
    pub area: u8,
}

pub struct Domain {
    pub hemi: Hemisphere,
    /// chart coordinates per vertex (NaN outside the chart)
    pub uv: Vec<[f64; 2]>,
    pial: Vec<[f32; 3]>,
    white: Vec<[f32; 3]>,
    faces: Vec<[u32; 3]>,
    tree: RTree<Tri>,
    /// visual-field point and area of each V1–V3 vertex
    field: Vec<Option<(FieldPoint, u8)>>,
    /// cortical magnification per vertex (mm/deg; NaN outside V1–V3)
    mag: Vec<f64>,
    /// target areas (V1, V2, V3)
    targets: [bool; 3],
    /// target triangles by their box in the visual field
    field_tree: RTree<Tri>,
    /// bounding box of the target areas in (u, v)
    pub target_bounds: ([f64; 2], [f64; 2]),
    /// vertex at the chart's centre (for display)
    pub pole: usize,
    /// RAS bounding box of the target areas on the pial surface
    ras_bounds: ([f64; 3], [f64; 3]),
    /// where the maps came from
    pub source: String,
}

use crate::percept::maps::tri_area;

fn box_of(p: [[f64; 2]; 3], data: u32) -> Tri {
    let lo = [
        p[0][0].min(p[1][0]).min(p[2][0]),
        p[0][1].min(p[1][1]).min(p[2][1]),
    ];
    let hi = [
        p[0][0].max(p[1][0]).max(p[2][0]),
        p[0][1].max(p[1][1]).max(p[2][1]),
    ];
    GeomWithData::new(Rectangle::from_corners(lo, hi), data)
}

/// Barycentric coordinates of `q` in triangle `t` (2-D) and ∂(l1, l2)/∂q, or `None` when the
/// triangle is degenerate or `q` lies outside it.
fn bary2(t: [[f64; 2]; 3], q: [f64; 2]) -> Option<([f64; 3], [[f64; 2]; 3])> {
    let [a, b, c] = t;
    let (e1, e2) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
    let det = e1[0] * e2[1] - e1[1] * e2[0];
    if det.abs() < 1e-12 {
        return None;
    }
    let (du, dv) = (q[0] - a[0], q[1] - a[1]);
    let l1 = (du * e2[1] - dv * e2[0]) / det;
    let l2 = (e1[0] * dv - e1[1] * du) / det;
    let l0 = 1.0 - l1 - l2;
    let eps = -1e-9;
    if l0 < eps || l1 < eps || l2 < eps {
        return None;
    }
    let dl1 = [e2[1] / det, -e2[0] / det];
    let dl2 = [-e1[1] / det, e1[0] / det];
    let dl0 = [-dl1[0] - dl2[0], -dl1[1] - dl2[1]];
    Some(([l0, l1, l2], [dl0, dl1, dl2]))
}

impl Domain {
    /// Chart the sheet of one hemisphere for the target `areas` (1 = V1, 2 = V2, 3 = V3) of
    /// `maps`. `sphere` charts the sheet (any sphere with the surface's vertices).
    pub fn new(
        maps: &RetinoMaps,
        areas: &[u8],
        pial: &Surface,
        white: &Surface,
        sphere: &Surface,
    ) -> Result<Domain, String> {
        let hemi = maps.hemi;
        let n = pial.vertices.len();
        if white.vertices.len() != n || sphere.vertices.len() != n || maps.len() != n {
            return Err(format!(
                "{hemi:?}: pial ({n}), white ({}), sphere ({}) and retinotopy ({}) must have the same vertex count",
                white.vertices.len(),
                sphere.vertices.len(),
                maps.len()
            ));
        }
        let mut targets = [false; 3];
        for &a in areas {
            if (1..=3).contains(&a) {
                targets[a as usize - 1] = true;
            }
        }
        let field: Vec<Option<(FieldPoint, u8)>> = (0..n).map(|i| maps.field(i)).collect();
        let is_target = |i: usize| field[i].is_some_and(|(_, a)| targets[a as usize - 1]);
        let in_target: Vec<usize> = (0..n).filter(|&i| is_target(i)).collect();
        if in_target.is_empty() {
            return Err(format!(
                "{hemi:?}: the retinotopy ({}) has no vertex in the target areas",
                maps.source
            ));
        }
        let unit: Vec<DVec3> = sphere
            .vertices
            .iter()
            .map(|v| DVec3::from(v.map(f64::from)).normalize_or_zero())
            .collect();
        let radius = sphere
            .vertices
            .iter()
            .map(|v| DVec3::from(v.map(f64::from)).length())
            .sum::<f64>()
            / n as f64;
        let ecc = |i: usize| field[i].map_or(f64::NAN, |(p, _)| p.eccentricity());
        let foveal: DVec3 = in_target
            .iter()
            .filter(|&&i| ecc(i) < 3.0)
            .map(|&i| unit[i])
            .sum();
        let c = foveal
            .try_normalize()
            .or_else(|| {
                in_target
                    .iter()
                    .map(|&i| unit[i])
                    .sum::<DVec3>()
                    .try_normalize()
            })
            .ok_or_else(|| format!("{hemi:?}: degenerate sphere under the target areas"))?;
        let outward: DVec3 = in_target.iter().map(|&i| unit[i] * ecc(i)).sum();
        let e1 = (outward - c * outward.dot(c))
            .try_normalize()
            .unwrap_or_else(|| c.any_orthonormal_vector());
        let mut e2 = c.cross(e1);
        let gamma: Vec<f64> = unit
            .iter()
            .map(|s| s.dot(c).clamp(-1.0, 1.0).acos())
            .collect();
        let tangent = |i: usize, e2: DVec3| {
            let t = (unit[i] - c * unit[i].dot(c)).try_normalize().unwrap_or(e1);
            [radius * gamma[i] * t.dot(e1), radius * gamma[i] * t.dot(e2)]
        };
        // v positive for the lower visual field
        let corr: f64 = in_target
            .iter()
            .map(|&i| tangent(i, e2)[1] * field[i].unwrap().0.y)
            .sum();
        if corr > 0.0 {
            e2 = -e2;
        }
        // scale: target areas as large on the chart as on the mid-thickness surface
        let mid = |i: u32| {
            (DVec3::from(pial.vertices[i as usize].map(f64::from))
                + DVec3::from(white.vertices[i as usize].map(f64::from)))
                / 2.0
        };
        let raw: Vec<[f64; 2]> = (0..n).map(|i| tangent(i, e2)).collect();
        let (mut a3, mut a2) = (0.0, 0.0);
        for f in &pial.faces {
            if f.iter().all(|&i| is_target(i as usize)) {
                a3 += tri_area(mid(f[0]), mid(f[1]), mid(f[2]));
                let p = f.map(|i| {
                    let [x, y] = raw[i as usize];
                    DVec3::new(x, y, 0.0)
                });
                a2 += tri_area(p[0], p[1], p[2]);
            }
        }
        let scale = if a2 > 0.0 && a3 > 0.0 {
            (a3 / a2).sqrt()
        } else {
            1.0
        };
        let reach = in_target.iter().map(|&i| gamma[i]).fold(0.0, f64::max);
        let limit = (reach + 10.0 / (radius * scale).max(1e-9)).min(1.3);
        let uv: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                if gamma[i] <= limit {
                    [raw[i][0] * scale, raw[i][1] * scale]
                } else {
                    [f64::NAN; 2]
                }
            })
            .collect();
        let faces: Vec<[u32; 3]> = pial
            .faces
            .iter()
            .copied()
            .filter(|f| f.iter().all(|&i| uv[i as usize][0].is_finite()))
            .collect();
        let tree = RTree::bulk_load(
            faces
                .iter()
                .enumerate()
                .map(|(k, f)| box_of(f.map(|i| uv[i as usize]), k as u32))
                .collect(),
        );
        let mag = crate::percept::maps::vertex_magnification(&field, &faces, &mid);
        let field_tree = RTree::bulk_load(
            faces
                .iter()
                .enumerate()
                .filter(|(_, f)| f.iter().all(|&i| is_target(i as usize)))
                .map(|(k, f)| {
                    box_of(
                        f.map(|i| {
                            let p = field[i as usize].unwrap().0;
                            [p.x, p.y]
                        }),
                        k as u32,
                    )
                })
                .collect(),
        );
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for &i in &in_target {
            for k in 0..2 {
                if uv[i][k].is_finite() {
                    lo[k] = lo[k].min(uv[i][k]);
                    hi[k] = hi[k].max(uv[i][k]);
                }
            }
        }
        let pole = (0..n)
            .min_by(|&a, &b| gamma[a].total_cmp(&gamma[b]))
            .unwrap_or(0);
        let (mut rlo, mut rhi) = ([f64::MAX; 3], [f64::MIN; 3]);
        for &i in &in_target {
            for k in 0..3 {
                rlo[k] = rlo[k].min(pial.vertices[i][k] as f64);
                rhi[k] = rhi[k].max(pial.vertices[i][k] as f64);
            }
        }
        Ok(Domain {
            hemi,
            uv,
            pial: pial.vertices.clone(),
            white: white.vertices.clone(),
            faces,
            tree,
            field,
            mag,
            targets,
            field_tree,
            target_bounds: (lo, hi),
            pole,
            ras_bounds: (rlo, rhi),
            source: maps.source.clone(),
        })
    }

    /// RAS bounding box of the target areas (pial surface).
    pub fn ras_bounds(&self) -> ([f64; 3], [f64; 3]) {
        self.ras_bounds
    }

    /// Visual-field points of the target-area vertices (the field the implant can reach).
    pub fn target_field_points(&self) -> Vec<[f64; 2]> {
        self.field
            .iter()
            .filter_map(|f| *f)
            .filter(|(_, a)| self.targets[*a as usize - 1])
            .map(|(p, _)| [p.x, p.y])
            .collect()
    }

    /// Vertices in the target areas.
    pub fn target_vertices(&self) -> usize {
        self.field
            .iter()
            .filter(|f| f.is_some_and(|(_, a)| self.targets[a as usize - 1]))
            .count()
    }

    /// The visual-field point of `(u, v)` if it lies in a target area.
    pub fn field(&self, u: f64, v: f64) -> Option<FieldPoint> {
        self.retino_at(u, v).map(|r| r.field)
    }

    /// Retinotopy at `(u, v)`: position, Jacobian, magnification, area.
    pub fn retino_at(&self, u: f64, v: f64) -> Option<Retino> {
        self.retino(&self.locate(u, v)?)
    }

    /// Retinotopy at a located sheet point, if all corners of its triangle are in target areas.
    pub fn retino(&self, sp: &SheetPoint) -> Option<Retino> {
        let f = self.faces[sp.face as usize];
        let mut corners = [(FieldPoint { x: 0.0, y: 0.0 }, 0u8); 3];
        for k in 0..3 {
            let c = self.field[f[k] as usize]?;
            if !self.targets[c.1 as usize - 1] {
                return None;
            }
            corners[k] = c;
        }
        let (b, db) = (sp.bary, sp.dbary);
        let mut field = FieldPoint { x: 0.0, y: 0.0 };
        let mut jac = [[0.0; 2]; 2];
        let (mut mag, mut dmag) = (0.0, [0.0; 2]);
        for k in 0..3 {
            let (p, m) = (corners[k].0, self.mag[f[k] as usize]);
            field.x += b[k] * p.x;
            field.y += b[k] * p.y;
            mag += b[k] * m;
            for c in 0..2 {
                jac[0][c] += db[k][c] * p.x;
                jac[1][c] += db[k][c] * p.y;
                dmag[c] += db[k][c] * m;
            }
        }
        let nearest = (0..3).max_by(|&a, &c| b[a].total_cmp(&b[c])).unwrap();
        Some(Retino {
            field,
            jac,
            mag,
            dmag,
            area: corners[nearest].1,
        })
    }

    /// Where on the sheet a visual-field point lands (V1 preferred where areas overlap).
    pub fn to_cortex(&self, p: FieldPoint) -> Option<[f64; 2]> {
        let q = [p.x, p.y];
        let mut best: Option<(u8, [f64; 2])> = None;
        for cand in self
            .field_tree
            .locate_in_envelope_intersecting(AABB::from_point(q))
        {
            let f = self.faces[cand.data as usize];
            let corners = f.map(|i| self.field[i as usize].unwrap());
            let Some((b, _)) = bary2(corners.map(|(c, _)| [c.x, c.y]), q) else {
                continue;
            };
            let area = corners.iter().map(|c| c.1).min().unwrap();
            if best.is_some_and(|(a, _)| a <= area) {
                continue;
            }
            let uv = f.map(|i| self.uv[i as usize]);
            best = Some((
                area,
                [
                    b[0] * uv[0][0] + b[1] * uv[1][0] + b[2] * uv[2][0],
                    b[0] * uv[0][1] + b[1] * uv[1][1] + b[2] * uv[2][1],
                ],
            ));
        }
        best.map(|(_, uv)| uv)
    }

    /// The sheet point above `(u, v)`, if the sheet extends there.
    pub fn locate(&self, u: f64, v: f64) -> Option<SheetPoint> {
        let q = [u, v];
        for cand in self
            .tree
            .locate_in_envelope_intersecting(AABB::from_point(q))
        {
            let f = self.faces[cand.data as usize];
            let Some((bary, dbary)) = bary2(f.map(|i| self.uv[i as usize]), q) else {
                continue;
            };
            let p = f.map(|i| DVec3::from(self.pial[i as usize].map(f64::from)));
            let w = f.map(|i| DVec3::from(self.white[i as usize].map(f64::from)));
            let interp = |x: &[DVec3; 3]| x[0] * bary[0] + x[1] * bary[1] + x[2] * bary[2];
            let deriv = |x: &[DVec3; 3], k: usize| {
                x[0] * dbary[0][k] + x[1] * dbary[1][k] + x[2] * dbary[2][k]
            };
            return Some(SheetPoint {
                face: cand.data,
                bary,
                dbary,
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

    /// Uniform random point of the target areas (rejection sampling in their (u, v) box).
    pub fn sample_target(&self, rng: &mut crate::rng::SplitMix) -> Option<[f64; 2]> {
        let (lo, hi) = self.target_bounds;
        for _ in 0..10_000 {
            let u = lo[0] + rng.unit() * (hi[0] - lo[0]);
            let v = lo[1] + rng.unit() * (hi[1] - lo[1]);
            if self.field(u, v).is_some() {
                return Some([u, v]);
            }
        }
        None
    }
}

pub use crate::brain::geometry::closest_on_triangle;

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
