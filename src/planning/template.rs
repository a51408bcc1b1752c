//! An approximate V1 retinotopy template for a hemisphere that has none (the embedded
//! fsaverage5 ships no retinotopy; neuropythy's Benson-2014 atlas is AGPL, so users load it
//! from their own disk). **Approximate** — labelled so in the UI and the CLI output.
//!
//! Construction (all from the hemisphere's own surfaces):
//! 1. *Landmarks.* The occipital pole is the most posterior pial vertex; the calcarine fundus
//!    is the deepest 15% (by sulcal depth) of medial occipital vertices (within 15 mm of the
//!    medial edge, within 55 mm of the pole); its anterior end is the mean of its most anterior
//!    fifth.
//! 2. *Flat coordinates.* Each vertex of the registered sphere is placed by an azimuthal
//!    equidistant projection centred on the pole, the bearing measured from the direction of
//!    the anterior calcarine, scaled to millimetres by √(white area / sphere area). This gives
//!    `(u, v)`: `u` along the calcarine (horizontal meridian) from the foveal confluence at the
//!    pole, `v` across it, signed so that the dorsal bank (cuneus) is positive.
//! 3. *Map.* The wedge-dipole map (Polimeni et al. 2006) is laid on that plane: a vertex is V1
//!    where its inverse image is a visual-field point of the hemifield within 90° eccentricity.
//!    The angle/eccentricity/area overlays use neuropythy's conventions (polar angle 0° at the
//!    upper vertical meridian, 90° horizontal, 180° lower; `varea` 1 = V1) so the same code
//!    reads this template and a user's Benson-2014 files.

use crate::brain::Hemisphere;
use crate::brain::data::Overlay;
use crate::brain::surface::Surface;
use crate::percept::retinotopy::{FieldPoint, WedgeDipole};

/// The template of one hemisphere.
#[derive(Clone, Debug)]
pub struct V1Template {
    pub hemi: Hemisphere,
    pub map: WedgeDipole,
    /// Flat map coordinates (mm) of every vertex (NaN far from the occipital pole).
    pub uv: Vec<[f64; 2]>,
    /// Visual-field position of V1 vertices.
    pub field: Vec<Option<FieldPoint>>,
    pub pole_vertex: usize,
    /// neuropythy-style overlays
    pub angle: Overlay,
    pub eccen: Overlay,
    pub varea: Overlay,
}

fn surface_area(s: &Surface) -> f64 {
    s.faces
        .iter()
        .map(|f| {
            let [a, b, c] = f.map(|i| glam::DVec3::from(s.vertices[i as usize].map(f64::from)));
            (b - a).cross(c - a).length() / 2.0
        })
        .sum()
}

/// neuropythy polar angle (0 = upper vertical meridian, 180 = lower) from a field point.
pub fn polar_angle_deg(p: FieldPoint) -> f64 {
    p.x.abs().atan2(p.y).to_degrees()
}

/// The field point of a neuropythy (angle, eccentricity) pair in a hemisphere.
pub fn field_from_angle(hemi: Hemisphere, angle_deg: f64, eccen_deg: f64) -> FieldPoint {
    let a = angle_deg.to_radians();
    let x = eccen_deg * a.sin();
    FieldPoint {
        x: if hemi == Hemisphere::Left { x } else { -x },
        y: eccen_deg * a.cos(),
    }
}

impl V1Template {
    /// Build the template from pial, white and sphere surfaces (same vertices) and sulcal depth.
    pub fn build(
        hemi: Hemisphere,
        pial: &Surface,
        white: &Surface,
        sphere: &Surface,
        sulc: &[f32],
        map: WedgeDipole,
    ) -> Result<V1Template, String> {
        let n = pial.vertices.len();
        if white.vertices.len() != n || sphere.vertices.len() != n || sulc.len() != n {
            return Err(
                "template: pial, white, sphere and sulc must have the same vertex count".into(),
            );
        }
        let (lo, hi) = pial.bbox();
        let medial = |p: &[f32; 3]| match hemi {
            Hemisphere::Left => p[0] > hi[0] - 15.0,
            Hemisphere::Right => p[0] < lo[0] + 15.0,
        };
        let pole = (0..n)
            .min_by(|&a, &b| pial.vertices[a][1].total_cmp(&pial.vertices[b][1]))
            .ok_or("empty surface")?;
        let mut cand: Vec<usize> = (0..n)
            .filter(|&i| medial(&pial.vertices[i]) && pial.vertices[i][1] < lo[1] + 55.0)
            .collect();
        if cand.len() < 20 {
            return Err("template: could not find the medial occipital cortex".into());
        }
        cand.sort_by(|&a, &b| sulc[b].total_cmp(&sulc[a]));
        cand.truncate((cand.len() * 15 / 100).max(10));
        cand.sort_by(|&a, &b| pial.vertices[b][1].total_cmp(&pial.vertices[a][1]));
        let front = &cand[..(cand.len() / 5).max(3)];

        let unit = |i: usize| glam::DVec3::from(sphere.vertices[i].map(f64::from)).normalize();
        let radius = sphere
            .vertices
            .iter()
            .map(|v| glam::DVec3::from(v.map(f64::from)).length())
            .sum::<f64>()
            / n as f64;
        let sf = unit(pole);
        let sa = front
            .iter()
            .map(|&i| unit(i))
            .sum::<glam::DVec3>()
            .normalize();
        let e1 = (sa - sf * sa.dot(sf)).normalize();
        let mut e2 = sf.cross(e1);
        let scale = (surface_area(white) / surface_area(sphere)).sqrt() * radius;
        let project = |i: usize, e2: glam::DVec3| {
            let s = unit(i);
            let gamma = s.dot(sf).clamp(-1.0, 1.0).acos();
            if gamma > 1.2 {
                return [f64::NAN, f64::NAN];
            }
            let t = s - sf * s.dot(sf);
            let t = if t.length() > 1e-12 {
                t.normalize()
            } else {
                e1
            };
            [scale * gamma * t.dot(e1), scale * gamma * t.dot(e2)]
        };
        // sign of v: the dorsal bank (higher z) positive
        let corr: f64 = (0..n)
            .filter(|&i| medial(&pial.vertices[i]) && pial.vertices[i][1] < lo[1] + 55.0)
            .map(|i| {
                project(i, e2)[1] * (pial.vertices[i][2] as f64 - pial.vertices[pole][2] as f64)
            })
            .filter(|x| x.is_finite())
            .sum();
        if corr < 0.0 {
            e2 = -e2;
        }
        let uv: Vec<[f64; 2]> = (0..n).map(|i| project(i, e2)).collect();
        let field: Vec<Option<FieldPoint>> = uv
            .iter()
            .map(|&[u, v]| {
                if u.is_finite() {
                    map.to_field(hemi, u, v)
                } else {
                    None
                }
            })
            .collect();
        let mut angle = vec![0f32; n];
        let mut eccen = vec![0f32; n];
        let mut varea = vec![0f32; n];
        for (i, f) in field.iter().enumerate() {
            if let Some(p) = f {
                angle[i] = polar_angle_deg(*p) as f32;
                eccen[i] = p.eccentricity() as f32;
                varea[i] = 1.0;
            }
        }
        let mk = |v: Vec<f32>, units: &str| {
            let mut o = Overlay::new(n, 1, v);
            o.units = Some(units.into());
            o
        };
        Ok(V1Template {
            hemi,
            map,
            uv,
            field,
            pole_vertex: pole,
            angle: mk(angle, "deg"),
            eccen: mk(eccen, "deg"),
            varea: mk(varea, "area"),
        })
    }

    /// V1 vertex count.
    pub fn v1_vertices(&self) -> usize {
        self.field.iter().filter(|f| f.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neuropythy_angle_convention() {
        let up = FieldPoint { x: 0.0, y: 5.0 };
        let right = FieldPoint { x: 5.0, y: 0.0 };
        let down = FieldPoint { x: 0.0, y: -5.0 };
        assert!((polar_angle_deg(up) - 0.0).abs() < 1e-9);
        assert!((polar_angle_deg(right) - 90.0).abs() < 1e-9);
        assert!((polar_angle_deg(down) - 180.0).abs() < 1e-9);
        let back = field_from_angle(Hemisphere::Left, 45.0, 2.0f64.sqrt());
        assert!((back.x - 1.0).abs() < 1e-9 && (back.y - 1.0).abs() < 1e-9);
        let back = field_from_angle(Hemisphere::Right, 135.0, 2.0f64.sqrt());
        assert!((back.x + 1.0).abs() < 1e-9 && (back.y + 1.0).abs() < 1e-9);
    }
}
