//! Phosphene size and brightness.
//!
//! **Scoreboard** (pulse2percept's cortical `ScoreboardModel`, after Beyeler et al. 2019):
//! brightness falls off as a Gaussian of cortical distance with decay constant ρ (default
//! 200 µm). Seen in the visual field near the electrode's phosphene centre that is a Gaussian
//! with `σ = ρ / M(r)` degrees, `M` the radial magnification at eccentricity `r`; brightness
//! is the stimulus amplitude (clamped to 0..1 in the percept).
//!
//! **Dynaphos** (van der Grinten et al. 2024, *eLife* 13:e85812; equations as in
//! pulse2percept's `DynaphosModel`, no code copied): per electrode, with current `I` (µA),
//! pulse width `PW` (s) and frequency `f` (Hz), simulated in steps `dt`:
//!
//! ```text
//! I_eff = max(0, (I − I₀ − Q)·PW·f)                 I₀ = 23.9 µA (rheobase)
//! Q ← Q + (−Q/τ_tr + κ·I_eff)·dt                    τ_tr = 1967.66 s, κ = 13.955
//! A ← A + (−A/τ_act + I_eff·10⁻⁶)·dt                 τ_act = 111.1 ms (I_eff in A)
//! D = 2·√(I/K) mm,  P = D/M deg,  σ = P/4            K = 675 µA/mm²
//! brightness = 1/(1 + exp(−λ(A − A₅₀)))  if A ≥ A_thr, else no phosphene
//!                                                    λ = 1.915·10⁷, A₅₀ = 1.0576·10⁻⁷, A_thr = 9.142·10⁻⁸
//! ```
//! Defaults: 170 µs pulses at 300 Hz, dt = 20 ms; a still percept is the state after
//! `duration` of constant stimulation (default 200 ms).

use serde::{Deserialize, Serialize};

use super::retinotopy::{FieldPoint, WedgeDipole};

/// One phosphene in the visual field.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phosphene {
    pub x_deg: f64,
    pub y_deg: f64,
    pub sigma_deg: f64,
    pub brightness: f64,
}

/// Dynaphos parameters (SI units unless named otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dynaphos {
    pub excitability_ua_per_mm2: f64,
    pub rheobase_ua: f64,
    pub tau_act_s: f64,
    pub tau_trace_s: f64,
    pub kappa_trace: f64,
    pub sig_slope: f64,
    pub a50: f64,
    pub a_thr: f64,
    pub pulse_width_s: f64,
    pub frequency_hz: f64,
    pub dt_s: f64,
    pub duration_s: f64,
}

impl Default for Dynaphos {
    fn default() -> Self {
        Dynaphos {
            excitability_ua_per_mm2: 675.0,
            rheobase_ua: 23.9,
            tau_act_s: 0.111111111,
            tau_trace_s: 1967.65520573,
            kappa_trace: 13.95528162,
            sig_slope: 19152642.500946816,
            a50: 1.057631326853325e-07,
            a_thr: 9.141886000943878e-08,
            pulse_width_s: 170e-6,
            frequency_hz: 300.0,
            dt_s: 0.02,
            duration_s: 0.2,
        }
    }
}

/// Activation state of one electrode.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DynaphosState {
    pub activation: f64,
    pub trace: f64,
}

impl Dynaphos {
    /// One time step with current `i_ua` (µA).
    pub fn step(&self, s: &mut DynaphosState, i_ua: f64) {
        let i_eff =
            ((i_ua - self.rheobase_ua - s.trace) * self.pulse_width_s * self.frequency_hz).max(0.0);
        s.trace += (-s.trace / self.tau_trace_s + self.kappa_trace * i_eff) * self.dt_s;
        s.activation += (-s.activation / self.tau_act_s + i_eff * 1e-6) * self.dt_s;
    }

    /// State after `duration_s` of constant current (the state the still percept shows).
    pub fn settle(&self, i_ua: f64) -> DynaphosState {
        let mut s = DynaphosState::default();
        let steps = (self.duration_s / self.dt_s).round().max(1.0) as usize;
        for _ in 0..steps {
            self.step(&mut s, i_ua);
        }
        s
    }

    /// Brightness for an activation (0 below the detection threshold).
    pub fn brightness(&self, activation: f64) -> f64 {
        if activation < self.a_thr {
            0.0
        } else {
            1.0 / (1.0 + (-self.sig_slope * (activation - self.a50)).exp())
        }
    }

    /// Phosphene diameter in degrees for current `i_ua` at magnification `m` (mm/deg).
    pub fn size_deg(&self, i_ua: f64, m: f64) -> f64 {
        2.0 * (i_ua.max(0.0) / self.excitability_ua_per_mm2).sqrt() / m
    }
}

/// The phosphene model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase")]
pub enum Model {
    Scoreboard { rho_um: f64 },
    Dynaphos(Dynaphos),
}

impl Default for Model {
    fn default() -> Self {
        Model::Scoreboard { rho_um: 200.0 }
    }
}

impl Model {
    /// The model a name means ("scoreboard" with its current spread `rho_um`, or "dynaphos"
    /// with its defaults); None for another name. Callers say what was wrong in their terms.
    pub fn named(name: &str, rho_um: f64) -> Option<Model> {
        match name {
            "scoreboard" => Some(Model::Scoreboard { rho_um }),
            "dynaphos" => Some(Model::Dynaphos(Dynaphos::default())),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Model::Scoreboard { .. } => "scoreboard",
            Model::Dynaphos(_) => "dynaphos",
        }
    }

    /// Cortical size of the phosphene (mm): ρ for the scoreboard; for dynaphos the
    /// activated-tissue diameter over 4 (σ = P/4 with P = D/M).
    pub fn size_mm(&self, stimulus: f64) -> f64 {
        match self {
            Model::Scoreboard { rho_um } => rho_um / 1000.0,
            Model::Dynaphos(d) => {
                2.0 * (stimulus.max(0.0) / d.excitability_ua_per_mm2).sqrt() / 4.0
            }
        }
    }

    /// The magnification that turns the cortical size into degrees at `p`, with its gradient:
    /// the local (conformal) one for the scoreboard, whose Gaussian lives on the cortex, and
    /// the radial `M(r)` for dynaphos, as both reference implementations do.
    pub fn magnification(&self, map: &WedgeDipole, p: FieldPoint) -> (f64, [f64; 2]) {
        match self {
            Model::Scoreboard { .. } => map.local_magnification(p),
            Model::Dynaphos(_) => {
                let r = p.eccentricity();
                let (m, dm) = (map.magnification(r), map.magnification_slope(r));
                let rr = r.max(1e-12);
                (m, [dm * p.x / rr, dm * p.y / rr])
            }
        }
    }

    /// Brightness for a stimulus: the amplitude itself for the scoreboard, the steady
    /// dynaphos brightness after `duration` for a current.
    pub fn brightness(&self, stimulus: f64) -> f64 {
        match self {
            Model::Scoreboard { .. } => stimulus,
            Model::Dynaphos(d) => d.brightness(d.settle(stimulus).activation),
        }
    }

    /// The phosphene of an electrode whose cortical site maps to `p`, given the stimulus:
    /// `amplitude` (0..1) for the scoreboard model, current in µA for dynaphos.
    pub fn phosphene(&self, map: &WedgeDipole, p: FieldPoint, stimulus: f64) -> Phosphene {
        let (m, _) = self.magnification(map, p);
        self.phosphene_with_magnification(p, m, stimulus)
    }

    /// The phosphene at `p` where the cortical magnification is `m` mm/deg (from maps).
    pub fn phosphene_with_magnification(&self, p: FieldPoint, m: f64, stimulus: f64) -> Phosphene {
        Phosphene {
            x_deg: p.x,
            y_deg: p.y,
            sigma_deg: self.size_mm(stimulus) / m,
            brightness: self.brightness(stimulus),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoreboard_size_follows_magnification() {
        let map = WedgeDipole::POLIMENI;
        let m = Model::default();
        let near = m.phosphene(&map, FieldPoint { x: 1.0, y: 0.0 }, 1.0);
        let far = m.phosphene(&map, FieldPoint { x: 10.0, y: 0.0 }, 1.0);
        assert!(far.sigma_deg > 5.0 * near.sigma_deg);
        assert!(
            (near.sigma_deg - 0.2 / map.magnification(1.0)).abs() < 1e-12,
            "on the meridian local = radial"
        );
    }

    #[test]
    fn dynaphos_threshold_size_and_saturation() {
        let d = Dynaphos::default();
        // below rheobase: no effective current, no phosphene
        assert_eq!(d.brightness(d.settle(20.0).activation), 0.0);
        let weak = d.brightness(d.settle(40.0).activation);
        let strong = d.brightness(d.settle(150.0).activation);
        assert!(strong > weak, "{weak} {strong}");
        assert!(strong <= 1.0);
        // D = 2√(I/K): 675 µA → 2 mm
        assert!((d.size_deg(675.0, 1.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn magnification_gradient_matches_finite_difference() {
        for map in [WedgeDipole::POLIMENI, WedgeDipole::DYNAPHOS] {
            for model in [Model::default(), Model::Dynaphos(Dynaphos::default())] {
                let p = FieldPoint { x: 3.0, y: -2.0 };
                let (_, g) = model.magnification(&map, p);
                let h = 1e-6;
                let dx = (model
                    .magnification(
                        &map,
                        FieldPoint {
                            x: 3.0 + h,
                            y: -2.0,
                        },
                    )
                    .0
                    - model
                        .magnification(
                            &map,
                            FieldPoint {
                                x: 3.0 - h,
                                y: -2.0,
                            },
                        )
                        .0)
                    / (2.0 * h);
                let dy = (model
                    .magnification(
                        &map,
                        FieldPoint {
                            x: 3.0,
                            y: -2.0 + h,
                        },
                    )
                    .0
                    - model
                        .magnification(
                            &map,
                            FieldPoint {
                                x: 3.0,
                                y: -2.0 - h,
                            },
                        )
                        .0)
                    / (2.0 * h);
                assert!(
                    (dx - g[0]).abs() < 1e-5 && (dy - g[1]).abs() < 1e-5,
                    "{map:?} {model:?}"
                );
            }
        }
    }
}
