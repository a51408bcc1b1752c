//! Retinotopy from per-vertex maps on a surface (neuropythy's Benson-2014 layout: polar angle
//! in degrees, 0 = upper vertical meridian, 90 = horizontal, 180 = lower; eccentricity in
//! degrees; visual area, V1 = 1). A point is located on the surface (nearest point of the
//! nearest triangles) and the maps' field points (Cartesian, so the polar angle needs no
//! wrapping) are interpolated barycentrically in that triangle, as the planner does; the
//! cortical magnification comes from the maps' gradient on this surface.
//!
//! **Depth.** With the white surface as well ([`SurfaceRetinotopy::with_white`]) a point is
//! located in the grey-matter column it lies in, as the planner places contacts (`pial +
//! d·(white − pial)`): each candidate triangle is tried at depths 0, 0.025, …, 1 between the
//! two surfaces and the nearest wins. On the pial surface alone a contact deep in a sulcal
//! wall can be nearer the pial triangle of the opposite bank — another visual area — than its
//! own.

use glam::DVec3;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::retinotopy::FieldPoint;
use crate::brain::Hemisphere;
use crate::brain::geometry::closest_on_triangle;
use crate::brain::surface::Surface;
use crate::percept::maps::vertex_field;

/// Depths tried between the pial and the white surface (steps of 1/40).
const DEPTH_STEPS: usize = 40;

pub struct SurfaceRetinotopy {
    pub hemi: Hemisphere,
    surface: Surface,
    /// the white surface's vertices (same mesh), when known: points are located in depth
    white: Option<Vec<[f32; 3]>>,
    /// field point and area of each V1–V3 vertex
    field: Vec<Option<(FieldPoint, u8)>>,
    vertex_faces: Vec<Vec<u32>>,
    /// cortical magnification per vertex (mm/deg on this surface; NaN outside V1–V3)
    mag: Vec<f64>,
    points: RTree<GeomWithData<[f32; 3], u32>>,
}

/// Where a point landed.
#[derive(Clone, Copy, Debug)]
pub struct SurfaceHit {
    pub distance_mm: f64,
    pub face: u32,
    pub bary: [f64; 3],
    /// Visual field position, if the point is in V1.
    pub field: Option<FieldPoint>,
    /// Cortical magnification there (mm/deg), from the maps' gradient on the surface.
    pub magnification: f64,
}

impl SurfaceRetinotopy {
    pub fn new(
        hemi: Hemisphere,
        surface: Surface,
        angle: Vec<f32>,
        eccen: Vec<f32>,
        varea: Vec<f32>,
    ) -> Result<SurfaceRetinotopy, String> {
        let n = surface.vertices.len();
        for (name, v) in [
            ("angle", &angle),
            ("eccentricity", &eccen),
            ("visual area", &varea),
        ] {
            if v.len() != n {
                return Err(format!(
                    "{name} map has {} values but the surface has {n} vertices",
                    v.len()
                ));
            }
        }
        let mut vertex_faces = vec![Vec::new(); n];
        for (k, f) in surface.faces.iter().enumerate() {
            for &i in f {
                vertex_faces[i as usize].push(k as u32);
            }
        }
        let field: Vec<Option<(FieldPoint, u8)>> = (0..n)
            .map(|i| vertex_field(hemi, angle[i], eccen[i], varea[i]))
            .collect();
        let mag = crate::percept::maps::vertex_magnification(&field, &surface.faces, &|i| {
            DVec3::from(surface.vertices[i as usize].map(f64::from))
        });
        let points = RTree::bulk_load(
            surface
                .vertices
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(*p, i as u32))
                .collect(),
        );
        Ok(SurfaceRetinotopy {
            hemi,
            surface,
            white: None,
            field,
            vertex_faces,
            mag,
            points,
        })
    }

    /// Locate points in depth between this (pial) surface and `white` (the same mesh).
    pub fn with_white(mut self, white: &Surface) -> Result<SurfaceRetinotopy, String> {
        if white.vertices.len() != self.surface.vertices.len() || white.faces != self.surface.faces
        {
            return Err("the white surface is not the pial surface's mesh".into());
        }
        // candidates are searched around the mid-thickness vertices
        self.points = RTree::bulk_load(
            self.surface
                .vertices
                .iter()
                .zip(&white.vertices)
                .enumerate()
                .map(|(i, (p, w))| {
                    GeomWithData::new(
                        [
                            (p[0] + w[0]) / 2.0,
                            (p[1] + w[1]) / 2.0,
                            (p[2] + w[2]) / 2.0,
                        ],
                        i as u32,
                    )
                })
                .collect(),
        );
        self.white = Some(white.vertices.clone());
        Ok(self)
    }

    /// Is the point at `bary` in triangle `f` in V1: every corner that carries weight is V1
    /// (a point on a V1 vertex or edge counts even when the triangle's third corner is not).
    fn in_v1(&self, f: u32, bary: [f64; 3]) -> bool {
        let corners = self.surface.faces[f as usize];
        (0..3).all(|k| {
            bary[k] <= 1e-9 || self.field[corners[k] as usize].is_some_and(|(_, a)| a == 1)
        })
    }

    /// Locate a RAS point: search the triangles around the few nearest vertices (among
    /// equally near ones, one where the point is in V1).
    pub fn locate(&self, p: [f64; 3]) -> Option<SurfaceHit> {
        let q = DVec3::from(p);
        let pf = [p[0] as f32, p[1] as f32, p[2] as f32];
        let mut best: Option<(SurfaceHit, bool)> = None;
        for v in self.points.nearest_neighbor_iter(pf).take(12) {
            for &f in &self.vertex_faces[v.data as usize] {
                let corners = self.surface.faces[f as usize];
                let pial =
                    corners.map(|i| DVec3::from(self.surface.vertices[i as usize].map(f64::from)));
                let (d, bary) = match &self.white {
                    None => {
                        let (c, bary) = closest_on_triangle(q, pial);
                        (c.distance(q), bary)
                    }
                    Some(white) => {
                        let w = corners.map(|i| DVec3::from(white[i as usize].map(f64::from)));
                        let at = |t: f64| {
                            let tri = [0, 1, 2].map(|j| pial[j] + t * (w[j] - pial[j]));
                            let (c, bary) = closest_on_triangle(q, tri);
                            (c.distance(q), bary)
                        };
                        // the best of evenly spaced depths, refined by a golden-section
                        // search between its neighbours
                        let step = 1.0 / DEPTH_STEPS as f64;
                        let (k, coarse) = (0..=DEPTH_STEPS)
                            .map(|k| (k, at(k as f64 * step)))
                            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
                            .expect("depths");
                        let (mut lo, mut hi) = (
                            (k as f64 - 1.0).max(0.0) * step,
                            (k as f64 + 1.0).min(DEPTH_STEPS as f64) * step,
                        );
                        let g = (5f64.sqrt() - 1.0) / 2.0;
                        for _ in 0..30 {
                            let (a, b) = (hi - g * (hi - lo), lo + g * (hi - lo));
                            if at(a).0 <= at(b).0 {
                                hi = b;
                            } else {
                                lo = a;
                            }
                        }
                        let refined = at((lo + hi) / 2.0);
                        if refined.0 <= coarse.0 {
                            refined
                        } else {
                            coarse
                        }
                    }
                };
                let v1 = self.in_v1(f, bary);
                let better = match &best {
                    None => true,
                    Some((b, bv1)) => {
                        d < b.distance_mm - 1e-6 || (d <= b.distance_mm + 1e-6 && v1 && !bv1)
                    }
                };
                if better {
                    let hit = SurfaceHit {
                        distance_mm: d,
                        face: f,
                        bary,
                        field: None,
                        magnification: f64::NAN,
                    };
                    best = Some((hit, v1));
                }
            }
        }
        let (mut hit, v1) = best?;
        let f = self.surface.faces[hit.face as usize];
        let corners = f.map(|i| self.field[i as usize]);
        // V1 only; Cartesian field points interpolated (no polar-angle wrap at the meridians)
        if v1 {
            let (mut x, mut y) = (0.0, 0.0);
            let mut m = 0.0;
            for (k, c) in corners.iter().enumerate() {
                if let Some((p, _)) = c
                    && hit.bary[k] > 1e-9
                {
                    x += hit.bary[k] * p.x;
                    y += hit.bary[k] * p.y;
                    m += hit.bary[k] * self.mag[f[k] as usize];
                }
            }
            hit.field = Some(FieldPoint { x, y });
            hit.magnification = m;
        }
        Some(hit)
    }
}

/// The located retinotopy of each hemisphere of a scene (a subject or fsaverage5) that has a
/// pial surface: its own maps, else the template (the one rule of `percept::resolve`), located
/// in depth down to the white surface when it has one (as the planner places contacts). Also
/// the note naming which maps each hemisphere uses. What `percept --map surface --subject`
/// and the Python module's RAS percepts use.
pub fn scene_maps(
    scene: &crate::brain::scene::Scene,
) -> Result<(Vec<SurfaceRetinotopy>, String), String> {
    use crate::brain::surface::SurfaceKind;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (&h, g) in &scene.hemis {
        let Some(pial) = g.surfaces.get(&SurfaceKind::Pial) else {
            continue;
        };
        let m = super::resolve::hemisphere(scene, h, "auto", super::resolve::Need::Areas)?;
        notes.push((h, m.source.clone()));
        let mut r = SurfaceRetinotopy::new(h, (**pial).clone(), m.angle, m.eccen, m.varea)?;
        if let Some(w) = g.surfaces.get(&SurfaceKind::White) {
            r = r.with_white(w)?;
        }
        out.push(r);
    }
    if out.is_empty() {
        return Err("no pial surface to place the electrodes on".into());
    }
    let note = super::resolve::note(notes.iter().map(|(h, s)| (*h, s.as_str())));
    Ok((out, note))
}

/// The nearest hit of a point over several hemispheres' maps, with the index of its map.
pub fn locate_any(maps: &[SurfaceRetinotopy], p: [f64; 3]) -> Option<(usize, SurfaceHit)> {
    maps.iter()
        .enumerate()
        .filter_map(|(i, m)| m.locate(p).map(|h| (i, h)))
        .min_by(|x, y| x.1.distance_mm.total_cmp(&y.1.distance_mm))
}
