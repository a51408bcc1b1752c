//! Electrode devices, their placement on the cortical sheet, and their contacts.
//!
//! A device is placed by up to five parameters `[u, v, rotation, depth, tilt]` (mm, mm, rad,
//! fraction, rad); each contact's sheet position `(u_c, v_c)` and depth fraction `d_c` follow
//! from them, with the partial derivatives the optimiser needs:
//!
//! * **single contact**: `(u, v)`, depth `d` (kept in 0.05..0.95, so in grey matter by
//!   construction);
//! * **Utah-style array** (10×10, 400 µm pitch, 1.5 mm shanks): a rigid grid centred at
//!   `(u, v)` rotated by `rotation`; tips at 1.5 mm depth, in grey matter only where the cortex
//!   is thicker than the shanks;
//! * **Neuralink-style thread** (32 contacts, 50 µm apart): entering at `(u, v)` and running at
//!   `tilt` from the surface normal towards azimuth `rotation`; contact `k` at path length
//!   `t = k·spacing` lies `t·sin(tilt)` along the sheet and `t·cos(tilt)` deep. The sheet is
//!   treated as locally flat over the thread's length (≤ 1.6 mm). Contacts deeper than the
//!   white-matter boundary do not count;
//! * **Orion-style surface grid** (6×10, 2.4 mm pitch — approximate): rigid grid on the pial
//!   surface (depth 0).

use serde::{Deserialize, Serialize};

use crate::brain::Hemisphere;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Device {
    Single,
    Utah {
        rows: usize,
        cols: usize,
        pitch_mm: f64,
        shank_mm: f64,
    },
    Thread {
        contacts: usize,
        spacing_mm: f64,
    },
    Orion {
        rows: usize,
        cols: usize,
        pitch_mm: f64,
    },
}

impl Device {
    pub fn utah() -> Device {
        Device::Utah {
            rows: 10,
            cols: 10,
            pitch_mm: 0.4,
            shank_mm: 1.5,
        }
    }
    pub fn thread() -> Device {
        Device::Thread {
            contacts: 32,
            spacing_mm: 0.05,
        }
    }
    pub fn orion() -> Device {
        Device::Orion {
            rows: 6,
            cols: 10,
            pitch_mm: 2.4,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Device::Single => "single",
            Device::Utah { .. } => "utah",
            Device::Thread { .. } => "thread",
            Device::Orion { .. } => "orion",
        }
    }
    pub fn n_contacts(&self) -> usize {
        match *self {
            Device::Single => 1,
            Device::Utah { rows, cols, .. } | Device::Orion { rows, cols, .. } => rows * cols,
            Device::Thread { contacts, .. } => contacts,
        }
    }
    /// Exposed contact area (mm²), for BIDS `size`: 2000 µm² for penetrating tips, 0.1 mm
    /// for the disc of a surface electrode (approximate).
    pub fn contact_area_mm2(&self) -> f64 {
        match self {
            Device::Orion { .. } => 0.5,
            _ => 0.002,
        }
    }
}

/// Where a device sits. Unused fields are ignored by the device (e.g. `tilt` for a grid).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    pub hemisphere: Hemisphere,
    pub u: f64,
    pub v: f64,
    #[serde(default)]
    pub rotation: f64,
    #[serde(default = "default_depth")]
    pub depth: f64,
    #[serde(default)]
    pub tilt: f64,
}

fn default_depth() -> f64 {
    0.5
}

pub const N_PARAMS: usize = 5;

/// A contact's position and its derivatives with respect to the placement parameters.
#[derive(Clone, Copy, Debug)]
pub struct Contact {
    pub u: f64,
    pub v: f64,
    /// depth fraction (0 pial, 1 white); for Utah/thread in mm until `resolve` divides by the
    /// local thickness
    pub depth_mm_or_fraction: f64,
    pub depth_is_mm: bool,
    /// ∂(u, v)/∂params
    pub du: [f64; N_PARAMS],
    pub dv: [f64; N_PARAMS],
}

impl Placement {
    pub fn params(&self) -> [f64; N_PARAMS] {
        [self.u, self.v, self.rotation, self.depth, self.tilt]
    }
    pub fn set_params(&mut self, p: [f64; N_PARAMS]) {
        [self.u, self.v, self.rotation, self.depth, self.tilt] = p;
        self.depth = self.depth.clamp(0.05, 0.95);
        self.tilt = self.tilt.clamp(0.0, 1.2);
    }

    /// Contacts of `device` at this placement (before locating them on the sheet).
    pub fn contacts(&self, device: &Device) -> Vec<Contact> {
        let (c, s) = (self.rotation.cos(), self.rotation.sin());
        let grid = |rows: usize, cols: usize, pitch: f64| {
            let mut out = Vec::with_capacity(rows * cols);
            for i in 0..rows {
                for j in 0..cols {
                    let ox = (j as f64 - (cols as f64 - 1.0) / 2.0) * pitch;
                    let oy = (i as f64 - (rows as f64 - 1.0) / 2.0) * pitch;
                    // rotate (ox, oy) by `rotation`
                    let (du_dr, dv_dr) = (-s * ox - c * oy, c * ox - s * oy);
                    out.push(Contact {
                        u: self.u + c * ox - s * oy,
                        v: self.v + s * ox + c * oy,
                        depth_mm_or_fraction: 0.0,
                        depth_is_mm: false,
                        du: [1.0, 0.0, du_dr, 0.0, 0.0],
                        dv: [0.0, 1.0, dv_dr, 0.0, 0.0],
                    });
                }
            }
            out
        };
        match *device {
            Device::Single => vec![Contact {
                u: self.u,
                v: self.v,
                depth_mm_or_fraction: self.depth,
                depth_is_mm: false,
                du: [1.0, 0.0, 0.0, 0.0, 0.0],
                dv: [0.0, 1.0, 0.0, 0.0, 0.0],
            }],
            Device::Utah {
                rows,
                cols,
                pitch_mm,
                shank_mm,
            } => {
                let mut g = grid(rows, cols, pitch_mm);
                for k in &mut g {
                    k.depth_mm_or_fraction = shank_mm;
                    k.depth_is_mm = true;
                }
                g
            }
            Device::Orion {
                rows,
                cols,
                pitch_mm,
            } => grid(rows, cols, pitch_mm),
            Device::Thread {
                contacts,
                spacing_mm,
            } => (0..contacts)
                .map(|k| {
                    let t = k as f64 * spacing_mm;
                    let (st, ct) = (self.tilt.sin(), self.tilt.cos());
                    let along = t * st;
                    Contact {
                        u: self.u + along * c,
                        v: self.v + along * s,
                        depth_mm_or_fraction: t * ct,
                        depth_is_mm: true,
                        du: [1.0, 0.0, -along * s, 0.0, t * ct * c],
                        dv: [0.0, 1.0, along * c, 0.0, t * ct * s],
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Placement {
        Placement {
            hemisphere: Hemisphere::Left,
            u: 20.0,
            v: 3.0,
            rotation: 0.4,
            depth: 0.5,
            tilt: 0.6,
        }
    }

    #[test]
    fn contact_counts_and_geometry() {
        let p = place();
        assert_eq!(p.contacts(&Device::utah()).len(), 100);
        assert_eq!(p.contacts(&Device::thread()).len(), 32);
        assert_eq!(p.contacts(&Device::orion()).len(), 60);
        let t = p.contacts(&Device::thread());
        // last contact: 31·50 µm along the thread
        let len = 31.0 * 0.05;
        let last = t[31];
        assert!(((last.u - 20.0).hypot(last.v - 3.0) - len * 0.6f64.sin()).abs() < 1e-12);
        assert!((last.depth_mm_or_fraction - len * 0.6f64.cos()).abs() < 1e-12);
        // Utah pitch is preserved by rotation
        let u = p.contacts(&Device::utah());
        assert!(((u[1].u - u[0].u).hypot(u[1].v - u[0].v) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn contact_derivatives_match_finite_differences() {
        for dev in [
            Device::Single,
            Device::utah(),
            Device::thread(),
            Device::orion(),
        ] {
            let p = place();
            let base = p.contacts(&dev);
            for k in 0..N_PARAMS {
                let h = 1e-6;
                let mut q = p;
                let mut params = q.params();
                params[k] += h;
                [q.u, q.v, q.rotation, q.depth, q.tilt] = params; // no clamping for the check
                let moved = q.contacts(&dev);
                for (a, b) in base.iter().zip(&moved) {
                    assert!(
                        ((b.u - a.u) / h - a.du[k]).abs() < 1e-5,
                        "{dev:?} param {k} du"
                    );
                    assert!(
                        ((b.v - a.v) / h - a.dv[k]).abs() < 1e-5,
                        "{dev:?} param {k} dv"
                    );
                }
            }
        }
    }
}
