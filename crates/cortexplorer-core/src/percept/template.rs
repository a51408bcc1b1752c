//! The built-in retinotopy template: V1, V2 and V3 for a hemisphere that has no maps of its
//! own (the embedded fsaverage5 ships none; neuropythy's Benson-2014 atlas is AGPL, so users
//! load it from their own disk). **Approximate** — labelled so in the UI and the CLI output.
//!
//! Model (equations from the literature, a handful of fitted numbers):
//! - *Visual field → flat cortex:* the banded wedge-dipole of Polimeni, Balasubramanian &
//!   Schwartz (2006) with their published `k = 15 mm, a = 0.69°, b = 80°` and V1 band α₁ = 1;
//!   V2 and V3 are the next angular bands (α₂ = 0.45, α₃ = 0.25, chosen from a small grid by
//!   the fit below), see [`WedgeDipole::to_field_banded`].
//! - *Flat cortex → registered sphere:* FreeSurfer registers every subject to fsaverage
//!   (`?h.sphere.reg`), so the template is defined on that sphere, as Benson et al. (2014) do:
//!   each vertex's unit position is projected azimuthal-equidistantly about a centre near the
//!   foveal confluence (`P, Q` in mm on a 100 mm sphere, the axis `e₁` the anterior direction),
//!   and a bivariate polynomial of degree 4 in `(P/30, Q/30)` gives the flat coordinates
//!   `(u, v)`; the banded model turns those into angle, eccentricity and area. A vertex is
//!   outside the template when it lies farther from the centre than the fitted region or where
//!   the polynomial folds (its Jacobian changes sign).
//! - *Fit:* per hemisphere, linear least squares of the polynomial coefficients so that the
//!   fsaverage5 vertices of V1–V3 (0.2–30° eccentricity) of neuropythy's Benson-2014 v4.0
//!   fsaverage atlas land on the model's `(u, v)` of their atlas position. Only the resulting
//!   coefficients are here; no atlas value is in the repository (the atlas is AGPL-3).
//!
//! Measured against that atlas on fsaverage5 (see `docs`/`assets/README.md` and the
//! `template_matches_benson14` test, which reads the atlas from `$CORTEXPLORER_BENSON14` when
//! present): V1 Dice within 8° 0.89 (left) / 0.92 (right); median position error of atlas-V1
//! vertices within 8° 0.57° / 0.63°; every atlas-V1 vertex at 1–6° is V1 in the template.
//! The previous landmark template (wedge-dipole placed at the occipital pole) missed 13 of 20
//! such vertices and was off by a median 4.8°.
//!
//! The template covers eccentricities up to about 30° (the fitted region).

use super::maps::{RetinoMaps, polar_angle_deg};
use crate::brain::Hemisphere;
use crate::brain::surface::Surface;
use crate::percept::retinotopy::WedgeDipole;

/// The cortical model of the template (Polimeni et al. 2006 constants).
pub const MODEL: WedgeDipole = WedgeDipole::POLIMENI;
/// Angular bands of V1, V2, V3.
pub const BANDS: [f64; 3] = [1.0, 0.45, 0.25];
/// Polynomial degree of the sphere → flat map.
const DEGREE: usize = 4;
const N_COEF: usize = (DEGREE + 1) * (DEGREE + 2) / 2;
/// Tangent coordinates are divided by this before the polynomial (mm).
const SCALE: f64 = 30.0;
/// Radius the registered sphere is scaled to (FreeSurfer's is 100 mm).
const RADIUS: f64 = 100.0;

/// The fitted placement of the model on one hemisphere's registered sphere.
struct Fit {
    /// unit vector of the projection centre (near the foveal confluence)
    centre: [f64; 3],
    /// polynomial coefficients for u and v, monomials `P^i Q^j` ordered by i then j (i + j ≤ 4)
    u: [f64; N_COEF],
    v: [f64; N_COEF],
    /// farthest fitted vertex from the centre (mm on the 100 mm sphere)
    r_max: f64,
    /// sign of the polynomial's Jacobian where it is not folded
    orientation: f64,
}

const LEFT: Fit = Fit {
    centre: [-0.0102164003100058, -0.829998579419446, -0.5576719316286299],
    u: [
        3.143681153687514,
        32.865178003800565,
        4.023350149341772,
        -14.333794869655081,
        5.377122928519854,
        -11.25160127012455,
        -4.4234528333912895,
        12.759942779994859,
        -5.28529717640742,
        12.422807780137347,
        -15.89420409287594,
        8.19576894885968,
        9.757940712972,
        -5.476211338986132,
        1.329127593472382,
    ],
    v: [
        -1.7657333408855624,
        -3.073553912514116,
        13.761510015353611,
        -8.310437342507774,
        1.6993122433706966,
        -39.778327845529795,
        -2.2709582543777156,
        14.753824110942148,
        -4.611786572432091,
        -1.3309958301011728,
        -5.438550521795434,
        2.2115560883803744,
        6.358656339267782,
        -2.684392460720675,
        1.741162119897438,
    ],
    r_max: 63.12897811905964,
    orientation: 1.0,
};

const RIGHT: Fit = Fit {
    centre: [-0.2904846715074757, -0.7570725713485099, -0.585200629981675],
    u: [
        3.1397254075269996,
        -32.48190917005558,
        6.010920056662154,
        14.220656360691065,
        5.18040206219877,
        5.571462233489472,
        7.861736080479119,
        0.8732234330274692,
        0.5085249076667795,
        12.489872286941296,
        16.38917332221199,
        6.226658625661646,
        -0.46498814141190786,
        -2.9619148701773605,
        0.21893195107636435,
    ],
    v: [
        -2.2851976248968255,
        -16.308876734313554,
        11.206906098099346,
        15.643499968221318,
        4.554538679950884,
        -37.379214752051055,
        -12.340081262972266,
        2.9452798927864596,
        2.2881550384698364,
        2.021603773202058,
        6.875062072572676,
        3.042819107573155,
        3.9527770522457217,
        2.4251054508331777,
        0.18066123555227792,
    ],
    r_max: 65.20208331541862,
    orientation: -1.0,
};

/// What the template is called in reports.
pub const SOURCE: &str = "approximate template (V1–V3: Polimeni wedge-dipole on the registered sphere, fitted to Benson-2014 on fsaverage; generated)";

impl Fit {
    /// Azimuthal-equidistant tangent coordinates (mm on a 100 mm sphere) of a sphere point.
    fn tangent(&self, p: [f32; 3]) -> Option<(f64, f64)> {
        let c = glam::DVec3::from(self.centre);
        let s = glam::DVec3::from(p.map(f64::from)).try_normalize()?;
        let e1 = (glam::DVec3::Y - c * c.y).normalize();
        let e2 = c.cross(e1);
        let gamma = s.dot(c).clamp(-1.0, 1.0).acos();
        let t = s - c * s.dot(c);
        let t = t.try_normalize().unwrap_or(e1);
        Some((RADIUS * gamma * t.dot(e1), RADIUS * gamma * t.dot(e2)))
    }

    /// (u, v) and the Jacobian determinant of the polynomial at tangent point (P, Q).
    fn flat(&self, p: f64, q: f64) -> (f64, f64, f64) {
        let (x, y) = (p / SCALE, q / SCALE);
        let (mut u, mut v) = (0.0, 0.0);
        let (mut ux, mut uy, mut vx, mut vy) = (0.0, 0.0, 0.0, 0.0);
        let mut k = 0;
        for i in 0..=DEGREE {
            for j in 0..=DEGREE - i {
                let m = x.powi(i as i32) * y.powi(j as i32);
                let mx = if i > 0 {
                    i as f64 * x.powi(i as i32 - 1) * y.powi(j as i32)
                } else {
                    0.0
                };
                let my = if j > 0 {
                    j as f64 * x.powi(i as i32) * y.powi(j as i32 - 1)
                } else {
                    0.0
                };
                u += self.u[k] * m;
                v += self.v[k] * m;
                ux += self.u[k] * mx;
                uy += self.u[k] * my;
                vx += self.v[k] * mx;
                vy += self.v[k] * my;
                k += 1;
            }
        }
        (u, v, ux * vy - uy * vx)
    }
}

/// The template's maps of a hemisphere from its registered sphere (`?h.sphere.reg`; for
/// fsaverage and fsaverage5 the sphere itself). Vertices outside the template get angle 0,
/// eccentricity 0 and area 0, as neuropythy writes them.
pub fn evaluate(hemi: Hemisphere, sphere_reg: &Surface) -> RetinoMaps {
    let fit = match hemi {
        Hemisphere::Left => &LEFT,
        Hemisphere::Right => &RIGHT,
    };
    let n = sphere_reg.vertices.len();
    let (mut angle, mut eccen, mut varea) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    for (i, p) in sphere_reg.vertices.iter().enumerate() {
        let Some((tp, tq)) = fit.tangent(*p) else {
            continue;
        };
        if tp.hypot(tq) > fit.r_max {
            continue;
        }
        let (u, v, det) = fit.flat(tp, tq);
        if det * fit.orientation <= 0.0 {
            continue;
        }
        if let Some((f, area)) = MODEL.to_field_banded(BANDS, hemi, u, v) {
            angle[i] = polar_angle_deg(f) as f32;
            eccen[i] = f.eccentricity() as f32;
            varea[i] = area as f32;
        }
    }
    RetinoMaps {
        hemi,
        angle,
        eccen,
        varea,
        sigma: None,
        source: SOURCE.into(),
    }
}

/// Agreement of the template with reference maps on the same vertices (the measurement the
/// docs report against Benson-2014): V1 Dice within `max_ecc` degrees, the median and 90th
/// percentile distance (degrees) between template and reference field positions of the
/// reference's V1 vertices within `max_ecc` that the template places in V1–V3, and how many
/// reference V1 vertices at 1–6° the template does not call V1.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Agreement {
    pub v1_dice: f64,
    pub median_error_deg: f64,
    pub p90_error_deg: f64,
    pub v1_1_to_6: usize,
    pub v1_1_to_6_missed: usize,
}

/// Compare template maps with reference maps (neuropythy conventions, same vertices).
pub fn agreement(template: &RetinoMaps, reference: &RetinoMaps, max_ecc: f64) -> Agreement {
    let n = template.len().min(reference.len());
    let (mut both, mut t1, mut r1) = (0usize, 0usize, 0usize);
    let mut errors = Vec::new();
    let (mut band, mut missed) = (0, 0);
    for i in 0..n {
        let t = template.field(i);
        let r = reference.field(i);
        let t_v1 = t.is_some_and(|(p, a)| a == 1 && p.eccentricity() <= max_ecc);
        let r_v1 = r.is_some_and(|(p, a)| a == 1 && p.eccentricity() <= max_ecc);
        t1 += usize::from(t_v1);
        r1 += usize::from(r_v1);
        both += usize::from(t_v1 && r_v1);
        if r_v1 && let (Some((tp, _)), Some((rp, _))) = (t, r) {
            errors.push((tp.x - rp.x).hypot(tp.y - rp.y));
        }
        if let Some((rp, 1)) = r
            && (1.0..=6.0).contains(&rp.eccentricity())
        {
            band += 1;
            missed += usize::from(t.is_none_or(|(_, a)| a != 1));
        }
    }
    errors.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        errors
            .get(((errors.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Agreement {
        v1_dice: 2.0 * both as f64 / (t1 + r1).max(1) as f64,
        median_error_deg: pick(0.5),
        p90_error_deg: pick(0.9),
        v1_1_to_6: band,
        v1_1_to_6_missed: missed,
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn fsaverage5_spheres() -> [(Hemisphere, Surface); 2] {
        let loaded = crate::brain::fsaverage5::load().unwrap();
        let sphere = |side: &str| {
            loaded
                .iter()
                .find(|l| l.name.starts_with("sphere") && l.name.contains(side))
                .and_then(|l| match &l.content {
                    crate::io::Content::Surface(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap()
        };
        [
            (Hemisphere::Left, sphere("left")),
            (Hemisphere::Right, sphere("right")),
        ]
    }

    /// The measurement against neuropythy's Benson-2014 v4.0 atlas on fsaverage (AGPL, never in
    /// the repository): `.ci/bootstrap test` fetches the neuropythy sdist with pip and points
    /// `CORTEXPLORER_BENSON14` at the folder holding `?h.benson14_{angle,eccen,varea}.v4_0.mgz`.
    /// fsaverage5's vertices are the first 10,242 of fsaverage's. Without the folder the test
    /// says so and checks nothing.
    #[test]
    fn template_matches_benson14() {
        let Some(dir) = std::env::var_os("CORTEXPLORER_BENSON14").filter(|d| !d.is_empty()) else {
            eprintln!("CORTEXPLORER_BENSON14 not set: the Benson-2014 comparison did not run");
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        for (hemi, sphere) in fsaverage5_spheres() {
            let h = if hemi == Hemisphere::Left { "lh" } else { "rh" };
            let read = |what: &str| -> Vec<f32> {
                let p = dir.join(format!("{h}.benson14_{what}.v4_0.mgz"));
                match crate::io::load(&p).unwrap().content {
                    crate::io::Content::Overlay(o) => o.values[..10_242].to_vec(),
                    crate::io::Content::Volume(v) => v.values()[..10_242].to_vec(),
                    other => panic!("{}: {}", p.display(), other.kind()),
                }
            };
            let reference = RetinoMaps::new(
                hemi,
                read("angle"),
                read("eccen"),
                read("varea"),
                None,
                "Benson-2014".into(),
                10_242,
            )
            .unwrap();
            let a = agreement(&evaluate(hemi, &sphere), &reference, 8.0);
            eprintln!("{hemi:?}: {a:?}");
            assert!(a.v1_dice >= 0.8, "{hemi:?} V1 Dice {}", a.v1_dice);
            assert!(
                a.median_error_deg <= 1.0,
                "{hemi:?} median {}",
                a.median_error_deg
            );
            assert_eq!(a.v1_1_to_6_missed, 0, "{hemi:?}");
        }
    }

    /// The Rust evaluation equals the fitting script's (values computed there for a few
    /// fsaverage5 vertices and the per-area counts).
    #[test]
    fn template_on_fsaverage5_matches_the_fit() {
        let [(_, left), (_, right)] = fsaverage5_spheres();
        let lh = evaluate(Hemisphere::Left, &left);
        let rh = evaluate(Hemisphere::Right, &right);
        assert_eq!(lh.counts(), [196, 139, 128]);
        // the fitting script counts 147 V2 vertices on the right: one lies on a band border
        assert_eq!(rh.counts(), [211, 146, 152]);
        let check = |m: &RetinoMaps, i: usize, a: f32, e: f32, area: f32| {
            assert_eq!(m.varea[i], area, "vertex {i}");
            assert!((m.angle[i] - a).abs() < 1e-3, "{i}: {} vs {a}", m.angle[i]);
            assert!((m.eccen[i] - e).abs() < 1e-4, "{i}: {} vs {e}", m.eccen[i]);
        };
        check(&lh, 348, 42.171143, 5.292547, 1.0);
        check(&lh, 627, 68.335573, 22.837532, 2.0);
        check(&lh, 305, 139.895135, 3.010984, 3.0);
        check(&lh, 2746, 108.238486, 5.596835, 1.0);
        check(&rh, 437, 49.946412, 24.780665, 1.0);
        check(&rh, 550, 112.697662, 3.520846, 2.0);
        check(&rh, 286, 126.64089, 26.042479, 3.0);
        check(&rh, 2738, 80.106559, 8.921251, 1.0);
    }
}
