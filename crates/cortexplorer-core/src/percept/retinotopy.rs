//! Where on the cortex a point of the visual field lands, and back.
//!
//! **Wedge-dipole map** (Polimeni, Balasubramanian & Schwartz 2006, *Vision Res.* 46:3336;
//! the "V1" part of pulse2percept's `Polimeni2006Map`): for a visual-field point at eccentricity
//! `r` (deg) and polar angle `θ`, with `z = r·e^{iα₁θ}`,
//!
//! ```text
//! w = k·log((z + a)/(z + b)) − k·log(a/b)          (mm, w = u + i·v)
//! z = (a − a·e^{w/k}) / ((a/b)·e^{w/k} − 1)          (inverse)
//! M(r) = k·(b − a) / ((r + a)(r + b))               (mm/deg, radial magnification)
//! ```
//!
//! Presets: pulse2percept's defaults `k = 15 mm, a = 0.69°, b = 80°, α₁ = 1`, and dynaphos's
//! "dipole" model `k = 17.3, a = 0.75, b = 120, α₁ = 0.95` (van der Grinten et al. 2024, as
//! pulse2percept's `DynaphosModel` sets it).
//!
//! **Conventions** (pulse2percept's): visual field x to the right, y up, degrees; the left
//! hemisphere sees the right visual field. Each hemisphere has its own flat map coordinates
//! `(u, v)` in mm: `u` runs along the horizontal meridian from the foveal confluence (u = 0)
//! to the periphery, `v` across it, negative for the upper visual field (the lower bank of
//! the calcarine sulcus) and positive for the lower field. pulse2percept draws both
//! hemispheres in one plane: its right hemisphere is `(u, v)`, its left `(−u − 20 mm, v)`.

use serde::{Deserialize, Serialize};

use crate::brain::Hemisphere;

/// A point of the visual field in degrees (x right, y up).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldPoint {
    pub x: f64,
    pub y: f64,
}

impl FieldPoint {
    pub fn eccentricity(self) -> f64 {
        self.x.hypot(self.y)
    }
    /// Hemisphere that represents this point (x = 0 goes to the left hemisphere).
    pub fn hemisphere(self) -> Hemisphere {
        if self.x >= 0.0 {
            Hemisphere::Left
        } else {
            Hemisphere::Right
        }
    }
}

/// Parameters of the wedge-dipole map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WedgeDipole {
    pub k: f64,
    pub a: f64,
    pub b: f64,
    pub alpha1: f64,
}

/// Complex numbers are needed only here; a tiny local type keeps the core dependency-free.
#[derive(Clone, Copy, Debug, PartialEq)]
struct C(f64, f64);

impl C {
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn sub(self, o: C) -> C {
        C(self.0 - o.0, self.1 - o.1)
    }
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn div(self, o: C) -> C {
        let d = o.0 * o.0 + o.1 * o.1;
        C(
            (self.0 * o.0 + self.1 * o.1) / d,
            (self.1 * o.0 - self.0 * o.1) / d,
        )
    }
    fn scale(self, s: f64) -> C {
        C(self.0 * s, self.1 * s)
    }
    fn exp(self) -> C {
        let m = self.0.exp();
        C(m * self.1.cos(), m * self.1.sin())
    }
    fn ln(self) -> C {
        C(self.0.hypot(self.1).ln(), self.1.atan2(self.0))
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
    fn arg(self) -> f64 {
        self.1.atan2(self.0)
    }
}

/// Jacobian ∂(x, y)/∂(u, v) of the inverse map at a cortical point, for gradients.
pub type Jacobian = [[f64; 2]; 2];

impl WedgeDipole {
    /// pulse2percept 0.11 `Polimeni2006Map` defaults.
    pub const POLIMENI: WedgeDipole = WedgeDipole {
        k: 15.0,
        a: 0.69,
        b: 80.0,
        alpha1: 1.0,
    };
    /// dynaphos 0.1.3's "dipole" cortical map (its default). dynaphos's configuration also
    /// lists `alpha: 0.95`, but its dipole model has no wedge term, so α₁ = 1 here.
    pub const DYNAPHOS: WedgeDipole = WedgeDipole {
        k: 17.3,
        a: 0.75,
        b: 120.0,
        alpha1: 1.0,
    };
    /// pulse2percept 0.11's `DynaphosModel` map: dynaphos's constants in a wedge-dipole with
    /// α₁ = 0.95 (`--map p2p-dynaphos`).
    pub const P2P_DYNAPHOS: WedgeDipole = WedgeDipole {
        alpha1: 0.95,
        ..WedgeDipole::DYNAPHOS
    };

    /// The named analytic maps, as the CLI and `plan.toml` spell them.
    pub const NAMES: [&str; 3] = ["polimeni", "dynaphos-dipole", "p2p-dynaphos"];

    /// Look a map up by name (see [`WedgeDipole::NAMES`]).
    pub fn named(name: &str) -> Option<WedgeDipole> {
        match name {
            "polimeni" => Some(WedgeDipole::POLIMENI),
            "dynaphos-dipole" | "dynaphos" => Some(WedgeDipole::DYNAPHOS),
            "p2p-dynaphos" => Some(WedgeDipole::P2P_DYNAPHOS),
            _ => None,
        }
    }

    /// Radial magnification at eccentricity `r` (mm per degree).
    pub fn magnification(&self, r: f64) -> f64 {
        self.k * (self.b - self.a) / ((r + self.a) * (r + self.b))
    }

    /// d M / d r.
    pub fn magnification_slope(&self, r: f64) -> f64 {
        let m = self.magnification(r);
        -m * (1.0 / (r + self.a) + 1.0 / (r + self.b))
    }

    /// Local (areal) magnification at a field point, mm/deg, with its gradient. For α₁ = 1 the
    /// map is conformal and this is `|dw/dz| = k(b−a)/(|z+a|·|z+b|)` with `z = |x| − i·y`: the
    /// scale a cortical distance has in every direction around the point (what pulse2percept's
    /// cortical scoreboard, which measures distance on the cortex, effectively uses). For
    /// α₁ ≠ 1 the radial `M(r)` is returned.
    pub fn local_magnification(&self, p: FieldPoint) -> (f64, [f64; 2]) {
        let r = p.eccentricity();
        if (self.alpha1 - 1.0).abs() > 1e-12 {
            let m = self.magnification(r);
            let dm = self.magnification_slope(r);
            let rr = r.max(1e-12);
            return (m, [dm * p.x / rr, dm * p.y / rr]);
        }
        let ax = p.x.abs();
        let sx = if p.x >= 0.0 { 1.0 } else { -1.0 };
        let qa = (ax + self.a).powi(2) + p.y * p.y;
        let qb = (ax + self.b).powi(2) + p.y * p.y;
        let m = self.k * (self.b - self.a) / (qa * qb).sqrt();
        // d m / d q = −m / (2q)
        let dqa = [2.0 * (ax + self.a) * sx, 2.0 * p.y];
        let dqb = [2.0 * (ax + self.b) * sx, 2.0 * p.y];
        let g = |i: usize| -m / 2.0 * (dqa[i] / qa + dqb[i] / qb);
        (m, [g(0), g(1)])
    }

    /// Visual field → (hemisphere, u, v) in mm. Points beyond 90° eccentricity give `None`.
    pub fn to_cortex(&self, p: FieldPoint) -> Option<(Hemisphere, f64, f64)> {
        let r = p.eccentricity();
        if !(r.is_finite() && r <= 90.0) {
            return None;
        }
        let hemi = p.hemisphere();
        // angle above the horizontal meridian of the hemifield, in (−π/2, π/2]
        let elevation = p.y.atan2(p.x.abs());
        let theta = -elevation; // pulse2percept: upper field → negative v
        let w = self.dipole(r, self.alpha1 * theta);
        Some((hemi, w.0, w.1))
    }

    /// (hemisphere, u, v) → visual field. `None` outside the map (|angle| ≥ 90°, r > 90°).
    pub fn to_field(&self, hemi: Hemisphere, u: f64, v: f64) -> Option<FieldPoint> {
        let (z, _) = self.inverse_z(u, v)?;
        let r = z.abs();
        let theta = z.arg() / self.alpha1;
        if r > 90.0 || (r > 0.0 && theta.abs() >= std::f64::consts::FRAC_PI_2) {
            return None;
        }
        let elevation = -theta;
        let x = r * elevation.cos();
        let y = r * elevation.sin();
        Some(FieldPoint {
            x: if hemi == Hemisphere::Left { x } else { -x },
            y,
        })
    }

    /// (hemisphere, u, v) → visual field and visual area (1 = V1, 2 = V2, 3 = V3) for the
    /// banded wedge model of Polimeni et al. (2006): the complex plane before the dipole is cut
    /// into angular bands, V1 the hemifield scaled by `bands[0]`, then on each side V2 (from the
    /// vertical meridian back to the horizontal, scaled by `bands[1]`) and V3 (from the
    /// horizontal meridian out to the vertical, `bands[2]`). The dorsal bands (v > 0) carry the
    /// lower visual field, the ventral ones the upper. `None` beyond V3 or 90°.
    pub fn to_field_banded(
        &self,
        bands: [f64; 3],
        hemi: Hemisphere,
        u: f64,
        v: f64,
    ) -> Option<(FieldPoint, u8)> {
        let (z, _) = self.inverse_z(u, v)?;
        let (r, phi) = (z.abs(), z.arg());
        let h = std::f64::consts::FRAC_PI_2;
        let [a1, a2, a3] = bands;
        let (ap, upper) = (phi.abs(), phi < 0.0);
        let sign = if upper { 1.0 } else { -1.0 };
        let (elevation, area) = if ap <= a1 * h {
            (-phi / a1, 1)
        } else if ap <= (a1 + a2) * h {
            (sign * (h - (ap - a1 * h) / a2), 2)
        } else if ap <= (a1 + a2 + a3) * h {
            (sign * (ap - (a1 + a2) * h) / a3, 3)
        } else {
            return None;
        };
        if r.is_nan() || r > 90.0 {
            return None;
        }
        let x = r * elevation.cos();
        Some((
            FieldPoint {
                x: if hemi == Hemisphere::Left { x } else { -x },
                y: r * elevation.sin(),
            },
            area,
        ))
    }

    /// Visual field point in a given area → flat (u, v) of the banded model (the inverse of
    /// [`WedgeDipole::to_field_banded`]).
    pub fn to_cortex_banded(&self, bands: [f64; 3], p: FieldPoint, area: u8) -> Option<(f64, f64)> {
        let r = p.eccentricity();
        if !(r.is_finite() && r <= 90.0 && (1..=3).contains(&area)) {
            return None;
        }
        let h = std::f64::consts::FRAC_PI_2;
        let [a1, a2, a3] = bands;
        let elevation = p.y.atan2(p.x.abs());
        let ae = elevation.abs();
        let sign = if elevation >= 0.0 { -1.0 } else { 1.0 };
        let phi = match area {
            1 => -elevation * a1,
            2 => sign * (a1 * h + a2 * (h - ae)),
            _ => sign * ((a1 + a2) * h + a3 * ae),
        };
        let w = self.dipole(r, phi);
        Some((w.0, w.1))
    }

    /// The dipole of `z = r·e^{iφ}`: `w = k·log((z + a)/(z + b)) − k·log(a/b)`.
    fn dipole(&self, r: f64, phi: f64) -> C {
        let z = C(r, 0.0).mul(C(0.0, phi).exp());
        z.add(C(self.a, 0.0))
            .div(z.add(C(self.b, 0.0)))
            .ln()
            .scale(self.k)
            .sub(C(self.k * (self.a / self.b).ln(), 0.0))
    }

    /// Inverse map and dz/dw at a cortical point.
    fn inverse_z(&self, u: f64, v: f64) -> Option<(C, C)> {
        if !(u.is_finite() && v.is_finite()) || v.abs() >= self.k * std::f64::consts::PI {
            return None;
        }
        let e = C(u / self.k, v / self.k).exp();
        let num = C(self.a, 0.0).sub(e.scale(self.a));
        let den = e.scale(self.a / self.b).sub(C(1.0, 0.0));
        if den.abs() < 1e-300 {
            return None;
        }
        let z = num.div(den);
        // dz/dw = (a/k)·e·(1 − a/b) / den²   (quotient rule; the map is holomorphic)
        let dzdw = e
            .scale(self.a / self.k * (1.0 - self.a / self.b))
            .div(den.mul(den));
        Some((z, dzdw))
    }

    /// Visual-field point and the Jacobian ∂(x, y)/∂(u, v) (for gradient-based planning).
    pub fn to_field_with_jacobian(
        &self,
        hemi: Hemisphere,
        u: f64,
        v: f64,
    ) -> Option<(FieldPoint, Jacobian)> {
        let p = self.to_field(hemi, u, v)?;
        let (z, dzdw) = self.inverse_z(u, v)?;
        // For α₁ = 1 the field point is z reflected: (x, y) = (±Re z, −Im z). For α₁ ≠ 1 the
        // angle is rescaled; differentiate through polar coordinates.
        let sign = if hemi == Hemisphere::Left { 1.0 } else { -1.0 };
        let jac = if (self.alpha1 - 1.0).abs() < 1e-12 {
            // d(Re z)/du = Re(dz/dw), d(Re z)/dv = −Im(dz/dw), d(Im z)/du = Im, d(Im z)/dv = Re
            [[sign * dzdw.0, -sign * dzdw.1], [-dzdw.1, -dzdw.0]]
        } else {
            let r = z.abs().max(1e-12);
            let phi = z.arg();
            // dr/dw and dφ/dw from z = r e^{iφ}: dz = e^{iφ}(dr + i r dφ)
            let rot = C(phi.cos(), -phi.sin()).mul(dzdw); // e^{−iφ} dz/dw
            let (dr_du, dphi_du) = (rot.0, rot.1 / r);
            let (dr_dv, dphi_dv) = (-rot.1, rot.0 / r);
            let el = -phi / self.alpha1;
            let (c, s) = (el.cos(), el.sin());
            let del_du = -dphi_du / self.alpha1;
            let del_dv = -dphi_dv / self.alpha1;
            [
                [
                    sign * (dr_du * c - r * s * del_du),
                    sign * (dr_dv * c - r * s * del_dv),
                ],
                [dr_du * s + r * c * del_du, dr_dv * s + r * c * del_dv],
            ]
        };
        Some((p, jac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_hemispheres() {
        for map in [WedgeDipole::POLIMENI, WedgeDipole::DYNAPHOS] {
            for &(x, y) in &[
                (2.0, 1.0),
                (-3.0, -4.0),
                (10.0, -0.5),
                (-0.3, 0.2),
                (40.0, 30.0),
            ] {
                let (h, u, v) = map.to_cortex(FieldPoint { x, y }).unwrap();
                let back = map.to_field(h, u, v).unwrap();
                assert!(
                    (back.x - x).abs() < 1e-9 && (back.y - y).abs() < 1e-9,
                    "{x} {y} → {back:?}"
                );
            }
        }
    }

    #[test]
    fn banded_round_trip_and_borders() {
        let m = WedgeDipole::POLIMENI;
        let bands = [1.0, 0.45, 0.25];
        for area in 1..=3u8 {
            for &(x, y) in &[(2.0, 1.0), (-3.0, -4.0), (10.0, -0.5), (-0.3, 0.2)] {
                let p = FieldPoint { x, y };
                let (u, v) = m.to_cortex_banded(bands, p, area).unwrap();
                let (q, a) = m.to_field_banded(bands, p.hemisphere(), u, v).unwrap();
                assert_eq!(a, area);
                assert!(
                    (q.x - x).abs() < 1e-9 && (q.y - y).abs() < 1e-9,
                    "{area} {p:?} {q:?}"
                );
            }
        }
        // V1 of the banded model is the plain wedge-dipole
        let p = FieldPoint { x: 4.0, y: -1.5 };
        let (_, u, v) = m.to_cortex(p).unwrap();
        assert_eq!(m.to_cortex_banded(bands, p, 1), Some((u, v)));
        // the upper vertical meridian is shared by V1 and (ventral) V2, the horizontal by V2 and V3
        let up = FieldPoint { x: 0.0, y: 3.0 };
        let (a, b) = (
            m.to_cortex_banded(bands, up, 1).unwrap(),
            m.to_cortex_banded(bands, up, 2).unwrap(),
        );
        assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9 && a.1 < 0.0);
        let hm = FieldPoint { x: 3.0, y: 1e-12 };
        let (a, b) = (
            m.to_cortex_banded(bands, hm, 2).unwrap(),
            m.to_cortex_banded(bands, hm, 3).unwrap(),
        );
        assert!((a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6);
    }

    #[test]
    fn conventions() {
        let m = WedgeDipole::POLIMENI;
        // right visual field → left hemisphere; upper field → negative v (lower bank)
        let (h, u, v) = m.to_cortex(FieldPoint { x: 5.0, y: 2.0 }).unwrap();
        assert_eq!(h, Hemisphere::Left);
        assert!(u > 0.0 && v < 0.0);
        let (h, _, v) = m.to_cortex(FieldPoint { x: -5.0, y: -2.0 }).unwrap();
        assert_eq!(h, Hemisphere::Right);
        assert!(v > 0.0);
        // fovea at the origin, periphery far along u
        let (_, u0, _) = m.to_cortex(FieldPoint { x: 0.0, y: 0.0 }).unwrap();
        assert!(u0.abs() < 1e-12);
        let (_, u90, _) = m.to_cortex(FieldPoint { x: 90.0, y: 0.0 }).unwrap();
        assert!((u90 - 15.0 * ((90.69f64 / 170.0) / (0.69 / 80.0)).ln()).abs() < 1e-9);
    }

    #[test]
    fn magnification_matches_the_radial_derivative() {
        let m = WedgeDipole::POLIMENI;
        for r in [0.5, 2.0, 10.0, 40.0] {
            let h = 1e-6;
            let (_, u1, _) = m.to_cortex(FieldPoint { x: r + h, y: 0.0 }).unwrap();
            let (_, u0, _) = m.to_cortex(FieldPoint { x: r - h, y: 0.0 }).unwrap();
            let numeric = (u1 - u0) / (2.0 * h);
            assert!((numeric - m.magnification(r)).abs() < 1e-6 * numeric.max(1.0));
            let dm = (m.magnification(r + h) - m.magnification(r - h)) / (2.0 * h);
            assert!((dm - m.magnification_slope(r)).abs() < 1e-5 * dm.abs().max(1e-3));
        }
    }

    #[test]
    fn local_magnification_is_the_conformal_scale() {
        let m = WedgeDipole::POLIMENI;
        for &(x, y) in &[(2.0, 1.5), (-3.0, -2.0), (0.5, 4.0)] {
            let p = FieldPoint { x, y };
            let (mag, grad) = m.local_magnification(p);
            // cortical displacement for a small field step in any direction
            let (h, u, v) = m.to_cortex(p).unwrap();
            for ang in [0.0f64, 1.0, 2.5] {
                let e = 1e-5;
                let q = FieldPoint {
                    x: x + e * ang.cos(),
                    y: y + e * ang.sin(),
                };
                let (_, u2, v2) = m.to_cortex(q).unwrap();
                assert!(
                    (((u2 - u).hypot(v2 - v)) / e - mag).abs() < 1e-3 * mag,
                    "{h:?} {x},{y} dir {ang}"
                );
            }
            let e = 1e-6;
            let gx = (m.local_magnification(FieldPoint { x: x + e, y }).0
                - m.local_magnification(FieldPoint { x: x - e, y }).0)
                / (2.0 * e);
            let gy = (m.local_magnification(FieldPoint { x, y: y + e }).0
                - m.local_magnification(FieldPoint { x, y: y - e }).0)
                / (2.0 * e);
            assert!(
                (gx - grad[0]).abs() < 1e-5 * gx.abs().max(1.0)
                    && (gy - grad[1]).abs() < 1e-5 * gy.abs().max(1.0)
            );
        }
        // on the horizontal meridian it equals the radial M(r)
        assert!(
            (m.local_magnification(FieldPoint { x: 4.0, y: 0.0 }).0 - m.magnification(4.0)).abs()
                < 1e-12
        );
    }

    #[test]
    fn jacobian_matches_finite_differences() {
        for map in [
            WedgeDipole::POLIMENI,
            WedgeDipole {
                alpha1: 0.8,
                ..WedgeDipole::DYNAPHOS
            },
        ] {
            for hemi in [Hemisphere::Left, Hemisphere::Right] {
                for &(u, v) in &[(20.0, 3.0), (35.0, -8.0), (5.0, 1.0)] {
                    let (_, jac) = map.to_field_with_jacobian(hemi, u, v).unwrap();
                    let h = 1e-6;
                    let f = |u, v| map.to_field(hemi, u, v).unwrap();
                    let (pu1, pu0) = (f(u + h, v), f(u - h, v));
                    let (pv1, pv0) = (f(u, v + h), f(u, v - h));
                    let num = [
                        [(pu1.x - pu0.x) / (2.0 * h), (pv1.x - pv0.x) / (2.0 * h)],
                        [(pu1.y - pu0.y) / (2.0 * h), (pv1.y - pv0.y) / (2.0 * h)],
                    ];
                    for r in 0..2 {
                        for c in 0..2 {
                            assert!(
                                (num[r][c] - jac[r][c]).abs() < 1e-5 * num[r][c].abs().max(1e-2),
                                "{map:?} {hemi:?} ({u},{v}) [{r}][{c}]: {} vs {}",
                                num[r][c],
                                jac[r][c]
                            );
                        }
                    }
                }
            }
        }
    }
}
