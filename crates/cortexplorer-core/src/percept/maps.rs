//! Per-vertex retinotopy of one hemisphere in neuropythy's conventions: polar angle in degrees
//! (0 = upper vertical meridian, 90 = horizontal, 180 = lower vertical meridian, the same for
//! both hemispheres), eccentricity in degrees, visual area (1 = V1, 2 = V2, 3 = V3; anything
//! else is outside the early visual areas), optional pRF size `sigma` in degrees.
//!
//! The same type carries a user's maps (neuropythy's `benson14_*`/`inferred_*` files, their
//! own pRF fits) and the built-in template's ([`super::template`]), so the planner,
//! `percept --map surface` and routing treat both alike.

use super::retinotopy::FieldPoint;
use crate::brain::Hemisphere;

/// Retinotopic maps of one hemisphere (one value per vertex).
#[derive(Clone, Debug)]
pub struct RetinoMaps {
    pub hemi: Hemisphere,
    pub angle: Vec<f32>,
    pub eccen: Vec<f32>,
    pub varea: Vec<f32>,
    pub sigma: Option<Vec<f32>>,
    /// Where the maps came from (file names, or the template), for reports.
    pub source: String,
}

impl RetinoMaps {
    /// Check the maps against a surface of `n_vertices` and build them. Refused: a map whose
    /// length differs from the surface, a negative eccentricity anywhere, a non-finite angle or
    /// eccentricity inside V1–V3, a polar angle outside 0–180° there.
    pub fn new(
        hemi: Hemisphere,
        angle: Vec<f32>,
        eccen: Vec<f32>,
        varea: Vec<f32>,
        sigma: Option<Vec<f32>>,
        source: String,
        n_vertices: usize,
    ) -> Result<RetinoMaps, String> {
        for (name, len) in [
            ("polar angle", angle.len()),
            ("eccentricity", eccen.len()),
            ("visual area", varea.len()),
            ("pRF size", sigma.as_ref().map_or(n_vertices, Vec::len)),
        ] {
            if len != n_vertices {
                return Err(format!(
                    "{hemi:?} {name} map has {len} values but the surface has {n_vertices} vertices"
                ));
            }
        }
        let negative = eccen.iter().filter(|e| **e < 0.0).count();
        if negative > 0 {
            return Err(format!(
                "{hemi:?} eccentricity map has {negative} negative values (eccentricity is in degrees, ≥ 0)"
            ));
        }
        let visual = |i: usize| (1.0..=3.0).contains(&varea[i]);
        let bad = (0..n_vertices)
            .filter(|&i| visual(i) && !(angle[i].is_finite() && eccen[i].is_finite()))
            .count();
        if bad > 0 {
            return Err(format!(
                "{hemi:?} retinotopy has {bad} V1–V3 vertices whose angle or eccentricity is NaN or infinite"
            ));
        }
        let out_of_range = (0..n_vertices)
            .filter(|&i| visual(i) && !(-1.0..=181.0).contains(&angle[i]))
            .count();
        if out_of_range > 0 {
            return Err(format!(
                "{hemi:?} polar angle has {out_of_range} V1–V3 values outside 0–180° (neuropythy convention: 0 = upper vertical meridian, 180 = lower)"
            ));
        }
        Ok(RetinoMaps {
            hemi,
            angle,
            eccen,
            varea,
            sigma,
            source,
        })
    }

    pub fn len(&self) -> usize {
        self.angle.len()
    }

    pub fn is_empty(&self) -> bool {
        self.angle.is_empty()
    }

    /// Visual area of a vertex (1–3), if it is in V1–V3.
    pub fn area(&self, i: usize) -> Option<u8> {
        let a = self.varea[i];
        (a == 1.0 || a == 2.0 || a == 3.0).then_some(a as u8)
    }

    /// The visual-field position and area of a vertex in V1–V3.
    pub fn field(&self, i: usize) -> Option<(FieldPoint, u8)> {
        vertex_field(self.hemi, self.angle[i], self.eccen[i], self.varea[i])
    }

    /// Vertices per area (V1, V2, V3).
    pub fn counts(&self) -> [usize; 3] {
        let mut c = [0; 3];
        for i in 0..self.len() {
            if let Some(a) = self.area(i) {
                c[a as usize - 1] += 1;
            }
        }
        c
    }
}

/// The visual-field point and area (1–3) of one vertex's angle, eccentricity and area values,
/// when it lies in V1–V3 with a finite angle and a finite, non-negative eccentricity.
pub fn vertex_field(
    hemi: Hemisphere,
    angle: f32,
    eccen: f32,
    varea: f32,
) -> Option<(FieldPoint, u8)> {
    let area = (varea == 1.0 || varea == 2.0 || varea == 3.0).then_some(varea as u8)?;
    let (a, e) = (angle as f64, eccen as f64);
    (a.is_finite() && e.is_finite() && e >= 0.0).then(|| (field_from_angle(hemi, a, e), area))
}

/// neuropythy polar angle (0 = upper vertical meridian, 180 = lower) of a field point.
pub fn polar_angle_deg(p: FieldPoint) -> f64 {
    p.x.abs().atan2(p.y).to_degrees()
}

/// The field point of a neuropythy (angle, eccentricity) pair in a hemisphere (the left
/// hemisphere sees the right visual field, x > 0).
pub fn field_from_angle(hemi: Hemisphere, angle_deg: f64, eccen_deg: f64) -> FieldPoint {
    let a = angle_deg.to_radians();
    let x = eccen_deg * a.sin();
    FieldPoint {
        x: if hemi == Hemisphere::Left { x } else { -x },
        y: eccen_deg * a.cos(),
    }
}

/// Area of a 3-D triangle.
pub fn tri_area(a: glam::DVec3, b: glam::DVec3, c: glam::DVec3) -> f64 {
    (b - a).cross(c - a).length() / 2.0
}

/// Cortical magnification per vertex (mm of cortex per degree) from the maps' gradient on a
/// surface: `M = √(Σ A_cortex / Σ A_field)` over the adjacent triangles whose corners all lie
/// in one visual area (cortical area on `position`, visual-field area of the corners' field
/// points), clamped to 0.05–100 mm/deg. A vertex of V1–V3 without such a triangle gets its
/// area's median; vertices outside V1–V3 get NaN.
pub fn vertex_magnification(
    field: &[Option<(FieldPoint, u8)>],
    faces: &[[u32; 3]],
    position: &dyn Fn(u32) -> glam::DVec3,
) -> Vec<f64> {
    use glam::DVec3;
    let n = field.len();
    let (mut sum3, mut sumf) = (vec![0f64; n], vec![0f64; n]);
    for f in faces {
        let [Some(p0), Some(p1), Some(p2)] = f.map(|i| field[i as usize]) else {
            continue;
        };
        if p0.1 != p1.1 || p0.1 != p2.1 {
            continue;
        }
        let af = tri_area(
            DVec3::new(p0.0.x, p0.0.y, 0.0),
            DVec3::new(p1.0.x, p1.0.y, 0.0),
            DVec3::new(p2.0.x, p2.0.y, 0.0),
        );
        let ac = tri_area(position(f[0]), position(f[1]), position(f[2]));
        for &i in f {
            sum3[i as usize] += ac;
            sumf[i as usize] += af;
        }
    }
    let mut mag: Vec<f64> = (0..n)
        .map(|i| {
            if field[i].is_some() && sumf[i] > 1e-12 {
                (sum3[i] / sumf[i]).sqrt().clamp(0.05, 100.0)
            } else {
                f64::NAN
            }
        })
        .collect();
    for area in 1..=3u8 {
        let of_area = |i: usize| field[i].is_some_and(|(_, a)| a == area);
        let mut m: Vec<f64> = (0..n)
            .filter(|&i| of_area(i) && mag[i].is_finite())
            .map(|i| mag[i])
            .collect();
        if m.is_empty() {
            continue;
        }
        m.sort_by(f64::total_cmp);
        let median = m[m.len() / 2];
        for (i, x) in mag.iter_mut().enumerate() {
            if of_area(i) && !x.is_finite() {
                *x = median;
            }
        }
    }
    mag
}

pub use crate::brain::retino_names::{Role, role_of_layer};

/// A set of retinotopy layers of a scene that belong together (same name prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerGroup {
    /// `"benson14"`, `"inferred"`, `""` for plain `angle`/`eccen`, …
    pub prefix: String,
    pub angle: String,
    pub eccen: String,
    pub varea: Option<String>,
    pub sigma: Option<String>,
}

impl LayerGroup {
    fn names(&self) -> Vec<&str> {
        [
            Some(&self.angle),
            Some(&self.eccen),
            self.varea.as_ref(),
            self.sigma.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
    }

    /// How the group is called in reports and the Plan panel.
    pub fn label(&self) -> String {
        self.names().join(", ")
    }

    /// The group as a `[scene] retinotopy` value: `ANGLE,ECCEN,VAREA[,SIGMA]` layer names.
    pub fn spec(&self) -> String {
        self.names().join(",")
    }
}

/// The retinotopy layer groups of a scene (angle and eccentricity present, by neuropythy-style
/// names, see [`role_of_layer`]), best first: Bayesian `inferred_*` maps (fitted to the
/// subject's own data), then `benson14_*` (the anatomical atlas), then others by name.
pub fn layer_groups(scene: &crate::brain::scene::Scene) -> Vec<LayerGroup> {
    let mut by_prefix: std::collections::BTreeMap<String, [Option<String>; 4]> = Default::default();
    for l in &scene.layers {
        if !l.is_overlay() {
            continue;
        }
        if let Some((role, prefix)) = role_of_layer(&l.name) {
            let slot = &mut by_prefix.entry(prefix).or_default()[role as usize];
            if slot.is_none() {
                *slot = Some(l.name.clone());
            }
        }
    }
    let mut groups: Vec<LayerGroup> = by_prefix
        .into_iter()
        .filter_map(|(prefix, [a, e, v, s])| {
            Some(LayerGroup {
                prefix,
                angle: a?,
                eccen: e?,
                varea: v,
                sigma: s,
            })
        })
        .collect();
    let rank = |g: &LayerGroup| match g.prefix.as_str() {
        "inferred" => 0,
        "benson14" => 1,
        "" => 3,
        _ => 2,
    };
    groups.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.prefix.cmp(&b.prefix)));
    groups
}

/// The maps of one hemisphere from a layer group of the scene (a group without a visual-area
/// layer is refused: the planner needs to know where V1 is).
pub fn from_layers(
    scene: &crate::brain::scene::Scene,
    g: &LayerGroup,
    hemi: Hemisphere,
) -> Result<RetinoMaps, String> {
    let n = scene
        .hemis
        .get(&hemi)
        .map(|h| h.n_vertices())
        .ok_or_else(|| format!("the scene has no {hemi:?} hemisphere"))?;
    let get = |name: &str| {
        scene
            .overlay_frame(name, hemi)
            .map(<[f32]>::to_vec)
            .ok_or_else(|| format!("retinotopy layer {name:?} has no {hemi:?} hemisphere"))
    };
    let varea = g.varea.as_deref().ok_or_else(|| {
        format!(
            "retinotopy {:?} has no visual-area (varea) map: planning needs to know where V1–V3 are",
            g.label()
        )
    })?;
    let sigma = match &g.sigma {
        Some(s) => Some(get(s)?),
        None => None,
    };
    RetinoMaps::new(
        hemi,
        get(&g.angle)?,
        get(&g.eccen)?,
        get(varea)?,
        sigma,
        g.label(),
        n,
    )
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

    #[test]
    fn neuropythy_layer_names_are_recognised() {
        let r = role_of_layer;
        assert_eq!(r("benson14_angle"), Some((Role::Angle, "benson14".into())));
        assert_eq!(r("benson14_eccen"), Some((Role::Eccen, "benson14".into())));
        assert_eq!(r("benson14_varea"), Some((Role::Area, "benson14".into())));
        assert_eq!(r("benson14_sigma"), Some((Role::Sigma, "benson14".into())));
        assert_eq!(r("inferred_eccen"), Some((Role::Eccen, "inferred".into())));
        assert_eq!(r("angle"), Some((Role::Angle, String::new())));
        assert_eq!(r("eccen"), Some((Role::Eccen, String::new())));
        assert_eq!(r("prf_polar_angle"), Some((Role::Angle, String::new())));
        assert_eq!(
            r("sub01_prf_eccentricity"),
            Some((Role::Eccen, "sub01".into()))
        );
        assert_eq!(r("thickness"), None);
        assert_eq!(r("sulc"), None);
        assert_eq!(r("triangle"), None);
    }

    #[test]
    fn maps_are_validated() {
        let ok = |e: Vec<f32>, a: Vec<f32>| {
            RetinoMaps::new(
                Hemisphere::Left,
                a,
                e,
                vec![1.0, 1.0, 0.0],
                None,
                "test".into(),
                3,
            )
        };
        assert!(ok(vec![1.0, 2.0, 0.0], vec![10.0, 20.0, 0.0]).is_ok());
        // NaN outside V1–V3 is allowed (no fit there)
        assert!(ok(vec![1.0, 2.0, f32::NAN], vec![10.0, 20.0, f32::NAN]).is_ok());
        let e = ok(vec![1.0, -2.0, 0.0], vec![10.0, 20.0, 0.0]).unwrap_err();
        assert!(e.contains("negative"), "{e}");
        let e = ok(vec![f32::NAN, 2.0, 0.0], vec![10.0, 20.0, 0.0]).unwrap_err();
        assert!(e.contains("NaN"), "{e}");
        let e = ok(vec![1.0, 2.0, 0.0], vec![10.0, 250.0, 0.0]).unwrap_err();
        assert!(e.contains("0–180"), "{e}");
        let e = RetinoMaps::new(
            Hemisphere::Left,
            vec![0.0; 2],
            vec![0.0; 3],
            vec![0.0; 3],
            None,
            "t".into(),
            3,
        )
        .unwrap_err();
        assert!(e.contains("2 values but the surface has 3"), "{e}");
    }
}
