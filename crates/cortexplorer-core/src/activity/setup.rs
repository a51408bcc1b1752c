//! Setting a model up from names and numbers — shared by `cortexplorer simulate` and the
//! Activity panel, so both take the same parameters with the same defaults and start from the
//! same state.
//!
//! Each model has a table of [`ParamSpec`]s (name, default, slider range, unit). Besides the
//! model's own parameters some set up its per-vertex input (`aux`): Kuramoto's natural
//! frequencies `f` ± `spread` (Hz, seeded normal), LIF's drive `I0` ± `spread` (threshold 1).
//!
//! Default starting states: diffusion and wave, a Gaussian bump (σ 5 mm) at a vertex (wave
//! starts at rest, v = 0); Kuramoto, seeded random phases; Wilson–Cowan, E = I = 0.1 plus
//! 0.2 × the bump, so the bump's cortex starts a little ahead on the cycle (a phase wave);
//! LIF, seeded random potentials in [0, 1) so vertices do not all fire together.

use super::laplacian::Laplacian;
use super::models::{Lif, Model, WilsonCowan};

/// One parameter: what the CLI calls it (`--param name=value`), its default and the range
/// the panel's slider spans.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
    pub log: bool,
}

const fn p(
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    unit: &'static str,
    log: bool,
) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min,
        max,
        unit,
        log,
    }
}

/// The models the CLI and the panel offer, with a label for people.
pub const MODELS: [(&str, &str); 5] = [
    ("diffusion", "diffusion (heat equation)"),
    ("wave", "damped wave"),
    ("kuramoto", "Kuramoto oscillators"),
    ("wilson-cowan", "Wilson–Cowan E/I field"),
    ("lif", "LIF spiking sheet (gap junctions)"),
];

const DIFFUSION: &[ParamSpec] = &[p("D", 20.0, 0.5, 500.0, "mm²/s", true)];
const WAVE: &[ParamSpec] = &[
    p("c", 100.0, 5.0, 1000.0, "mm/s", true),
    p("gamma", 2.0, 0.0, 50.0, "1/s", false),
];
const KURAMOTO: &[ParamSpec] = &[
    p("K", 50.0, 0.0, 200.0, "mm²/s", false),
    p("f", 10.0, 0.5, 60.0, "Hz", false),
    p("spread", 0.2, 0.0, 10.0, "Hz", false),
];
const WILSON_COWAN: &[ParamSpec] = &[
    p("tau_e", 0.010, 0.002, 0.1, "s", true),
    p("tau_i", 0.010, 0.002, 0.1, "s", true),
    p("D", 100.0, 0.0, 1000.0, "mm²/s", false),
    p("P", 1.25, 0.0, 3.0, "", false),
    p("c_ee", 16.0, 0.0, 30.0, "", false),
    p("c_ei", 12.0, 0.0, 30.0, "", false),
    p("c_ie", 15.0, 0.0, 30.0, "", false),
    p("c_ii", 3.0, 0.0, 30.0, "", false),
];
const LIF: &[ParamSpec] = &[
    p("tau_m", 0.020, 0.002, 0.2, "s", true),
    p("D", 50.0, 0.0, 2000.0, "mm²/s", false),
    p("t_ref", 0.002, 0.0, 0.02, "s", false),
    p("tau_flash", 0.030, 0.005, 0.3, "s", true),
    p("J", 0.5, 0.0, 1.5, "", false),
    p("I0", 1.2, 0.0, 3.0, "", false),
    p("spread", 0.05, 0.0, 0.5, "", false),
];

/// A model's parameters, or a message listing the models there are.
pub fn specs(model: &str) -> Result<&'static [ParamSpec], String> {
    Ok(match model {
        "diffusion" => DIFFUSION,
        "wave" => WAVE,
        "kuramoto" => KURAMOTO,
        "wilson-cowan" => WILSON_COWAN,
        "lif" => LIF,
        m => {
            let names: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
            return Err(format!(
                "unknown model {m:?}; available: {}",
                names.join(", ")
            ));
        }
    })
}

/// A model with every parameter resolved (given or default), in the order of its specs.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    pub name: String,
    pub model: Model,
    pub values: Vec<f64>,
}

impl Setup {
    /// Build from `name=value` pairs; a name the model does not take is an error naming the
    /// ones it does, a non-finite value too. Parameter ranges are checked by the model.
    pub fn new(model: &str, given: &[(String, f64)]) -> Result<Setup, String> {
        let specs = specs(model)?;
        let mut values: Vec<f64> = specs.iter().map(|s| s.default).collect();
        for (k, v) in given {
            let Some(i) = specs.iter().position(|s| s.name == k) else {
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                return Err(format!(
                    "parameter {k:?}: {model} takes {}",
                    names.join(", ")
                ));
            };
            if !v.is_finite() {
                return Err(format!("parameter {k} = {v}: not a number"));
            }
            values[i] = *v;
        }
        Ok(Setup {
            name: model.to_string(),
            model: model_from(model, &values),
            values,
        })
    }

    /// The value of a parameter by name (its default if the model has no such name).
    pub fn get(&self, name: &str) -> f64 {
        specs(&self.name)
            .ok()
            .and_then(|s| s.iter().position(|s| s.name == name))
            .map_or(0.0, |i| self.values[i])
    }

    /// Per-vertex input: Kuramoto ω (rad/s), LIF drive; zero for the others.
    pub fn aux(&self, n: usize) -> Vec<f32> {
        match self.model {
            Model::Kuramoto { .. } => {
                let (f, spread) = (self.get("f"), self.get("spread"));
                normals(n, 2)
                    .iter()
                    .map(|z| (std::f64::consts::TAU * (f + spread * *z as f64)) as f32)
                    .collect()
            }
            Model::Lif(_) => {
                let (i0, spread) = (self.get("I0"), self.get("spread"));
                normals(n, 3)
                    .iter()
                    .map(|z| (i0 + spread * *z as f64) as f32)
                    .collect()
            }
            _ => vec![0.0; n],
        }
    }

    /// The whole starting state (`states()·n` values). `first`, if given, replaces the
    /// default of the first state array (u, θ, E or V); `centre` is where the default bump sits.
    pub fn initial(
        &self,
        positions: &[[f32; 3]],
        centre: usize,
        first: Option<&[f32]>,
    ) -> Vec<f32> {
        let n = positions.len();
        let bump = || super::gaussian_bump(positions, positions[centre.min(n - 1)], 5.0);
        let mut s: Vec<f32> = match (first, self.model) {
            (Some(f), _) => f.to_vec(),
            (None, Model::Kuramoto { .. }) => normals(n, 1)
                .iter()
                .map(|z| (z.abs() * 1e3).fract() * std::f32::consts::TAU)
                .collect(),
            (None, Model::WilsonCowan(_)) => bump().iter().map(|b| 0.1 + 0.2 * b).collect(),
            (None, Model::Lif(_)) => normals(n, 4)
                .iter()
                .map(|z| (z.abs() * 1e3).fract())
                .collect(),
            (None, _) => bump(),
        };
        match self.model {
            Model::WilsonCowan(_) => s.extend(std::iter::repeat_n(0.1, n)),
            m => {
                for r in &m.rest()[1..] {
                    s.extend(std::iter::repeat_n(*r, n));
                }
            }
        }
        s
    }

    /// Default step: half the stability bound; Kuramoto also resolves its fastest
    /// oscillator (50 steps a cycle), which stability alone does not (K = 0 has no bound).
    pub fn default_dt(&self, l: &Laplacian, aux: &[f32]) -> f64 {
        let mut dt = 0.5 * self.model.max_dt(l);
        if let Model::Kuramoto { .. } = self.model {
            let f_max =
                aux.iter().fold(0.0f32, |m, w| m.max(w.abs())) as f64 / std::f64::consts::TAU;
            if f_max > 0.0 {
                dt = dt.min(1.0 / (50.0 * f_max));
            }
        }
        dt.min(1.0)
    }

    /// What the surface shows, per vertex: u, sin θ, E, or the LIF flash (the CPU twin of the
    /// surface shader reading the state buffer, see [`Model::display_slot`]).
    pub fn display(&self, state: &[f32], n: usize) -> Vec<f32> {
        let (slot, sine) = self.model.display_slot();
        let x = &state[slot * n..(slot + 1) * n];
        if sine {
            x.iter().map(|t| t.sin()).collect()
        } else {
            x.to_vec()
        }
    }

    /// How the shown quantity is drawn (the Activity panel's and `render --simulate`'s layer):
    /// signed quantities in RdBu_r around 0, others in `hot` with near-zero hidden.
    pub fn display_style(&self) -> crate::brain::paint::OverlayStyle {
        let (_, lo, hi, symmetric) = self.display_quantity();
        crate::brain::paint::OverlayStyle {
            colormap: if symmetric { "RdBu_r" } else { "hot" }.into(),
            min: lo,
            max: hi,
            threshold: if symmetric { 0.0 } else { 0.01 * hi },
            symmetric,
            opacity: 1.0,
        }
    }

    /// Name of what [`Setup::display`] shows, and a sensible colour range for it.
    pub fn display_quantity(&self) -> (&'static str, f32, f32, bool) {
        match self.model {
            Model::Diffusion { .. } => ("u", 0.0, 0.5, false),
            Model::Wave { .. } => ("u", -0.3, 0.3, true),
            Model::Kuramoto { .. } => ("sin θ", -1.0, 1.0, true),
            Model::WilsonCowan(_) => ("E", 0.0, 0.4, false),
            Model::Lif(_) => ("spike flash", 0.0, 1.0, false),
            Model::Balloon => ("BOLD", -0.02, 0.02, true),
        }
    }
}

fn model_from(name: &str, v: &[f64]) -> Model {
    let f = |i: usize| v[i] as f32;
    match name {
        "diffusion" => Model::Diffusion { d: f(0) },
        "wave" => Model::Wave {
            c: f(0),
            gamma: f(1),
        },
        "kuramoto" => Model::Kuramoto { k: f(0) },
        "wilson-cowan" => Model::WilsonCowan(WilsonCowan {
            tau_e: f(0),
            tau_i: f(1),
            d: f(2),
            p: f(3),
            c_ee: f(4),
            c_ei: f(5),
            c_ie: f(6),
            c_ii: f(7),
        }),
        _ => Model::Lif(Lif {
            tau_m: f(0),
            d: f(1),
            t_ref: f(2),
            tau_flash: f(3),
            j: f(4),
        }),
    }
}

/// Normal deviates from a seeded generator (Box–Muller on an LCG): reproducible runs.
pub fn normals(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut u = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| ((-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos()) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_names_and_refusals() {
        for (name, _) in MODELS {
            let s = Setup::new(name, &[]).unwrap();
            assert_eq!(s.model.name(), name);
            // every default is inside its slider range and accepted by the model
            for sp in specs(name).unwrap() {
                assert!(
                    (sp.min..=sp.max).contains(&sp.default),
                    "{name} {}",
                    sp.name
                );
            }
        }
        let w = Setup::new("wilson-cowan", &[("P".into(), 0.5)]).unwrap();
        assert!(matches!(w.model, Model::WilsonCowan(m) if m.p == 0.5 && m.c_ee == 16.0));
        let e = Setup::new("wave", &[("K".into(), 1.0)]).unwrap_err();
        assert!(e.contains("wave takes c, gamma"), "{e}");
        assert!(Setup::new("bold", &[]).unwrap_err().contains("available"));
        assert!(Setup::new("lif", &[("J".into(), f64::NAN)]).is_err());
    }
}
