//! Retinotopy from per-vertex maps on a surface (neuropythy's Benson-2014 layout: polar angle
//! in degrees, 0 = upper vertical meridian, 90 = horizontal, 180 = lower; eccentricity in
//! degrees; visual area, V1 = 1). A point is located on the surface (nearest point of the
//! nearest triangles) and the maps are interpolated barycentrically in that triangle.

use glam::DVec3;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::retinotopy::FieldPoint;
use crate::brain::Hemisphere;
use crate::brain::surface::Surface;
use crate::planning::domain::closest_on_triangle;
use crate::planning::template::field_from_angle;

pub struct SurfaceRetinotopy {
    pub hemi: Hemisphere,
    surface: Surface,
    angle: Vec<f32>,
    eccen: Vec<f32>,
    varea: Vec<f32>,
    vertex_faces: Vec<Vec<u32>>,
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
            angle,
            eccen,
            varea,
            vertex_faces,
            points,
        })
    }

    /// Locate a RAS point: search the triangles around the few nearest vertices.
    pub fn locate(&self, p: [f64; 3]) -> Option<SurfaceHit> {
        let q = DVec3::from(p);
        let pf = [p[0] as f32, p[1] as f32, p[2] as f32];
        let mut best: Option<SurfaceHit> = None;
        for v in self.points.nearest_neighbor_iter(pf).take(8) {
            for &f in &self.vertex_faces[v.data as usize] {
                let tri = self.surface.faces[f as usize]
                    .map(|i| DVec3::from(self.surface.vertices[i as usize].map(f64::from)));
                let (c, bary) = closest_on_triangle(q, tri);
                let d = c.distance(q);
                if best.is_none_or(|b| d < b.distance_mm) {
                    best = Some(SurfaceHit {
                        distance_mm: d,
                        face: f,
                        bary,
                        field: None,
                    });
                }
            }
        }
        let mut hit = best?;
        let f = self.surface.faces[hit.face as usize];
        let in_v1 = f.iter().all(|&i| self.varea[i as usize] == 1.0);
        if in_v1 {
            let interp =
                |m: &[f32]| -> f64 { (0..3).map(|k| hit.bary[k] * m[f[k] as usize] as f64).sum() };
            hit.field = Some(field_from_angle(
                self.hemi,
                interp(&self.angle),
                interp(&self.eccen),
            ));
        }
        Some(hit)
    }
}
