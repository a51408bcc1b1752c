//! Simulated activity on the scene's cortex: any model of `activity::setup` (diffusion, wave,
//! Kuramoto, Wilson–Cowan, LIF) on the anatomical surface (pial, else the first loaded) of
//! every hemisphere as one mesh, on the CPU reference. Each frame advances simulated time by
//! `speed` × the frame time in stable explicit steps (at most 400 a frame, so a slow machine
//! slows the simulation, never the window) and writes what the model shows (u, sin θ, E, spike
//! flash) as the layer [`LAYER`]. Optional hemodynamics: a Balloon–Windkessel model per vertex
//! driven by that activity's departure from its slow baseline (see [`step_bold`]), shown as
//! [`BOLD_LAYER`] (percent signal change); the panel's
//! neural ↔ BOLD slider cross-fades the two layers' opacities.
//!
//! Clicking the cortex with "stimulate where I click" on kicks the model there (a Gaussian,
//! σ 3 mm): u, E and V rise, Kuramoto phases advance by up to π.
//!
//! *Not yet:* the app runs the CPU twin; colouring straight from the GPU state buffer
//! (the kernels exist in `shaders/` and match this path) is not wired into the surface shader.

use std::collections::VecDeque;

use bevy::prelude::*;

use super::SceneDoc;
use crate::activity::laplacian::Laplacian;
use crate::activity::models::{Model, bold_signal, order_parameter};
use crate::activity::setup::{Setup, specs};
use crate::brain::paint::OverlayStyle;
use crate::brain::{Hemisphere, SurfaceKind};

pub const LAYER: &str = "activity (simulated)";
pub const BOLD_LAYER: &str = "BOLD % (simulated)";

/// A running simulation on the current surfaces.
pub struct Sim {
    /// (hemisphere, first vertex in the combined mesh, vertex count)
    pub parts: Vec<(Hemisphere, usize, usize)>,
    positions: Vec<[f32; 3]>,
    lap: Laplacian,
    pub setup: Setup,
    pub state: Vec<f32>,
    aux: Vec<f32>,
    pub t: f64,
    pub dt: f64,
    /// Balloon–Windkessel state (s, f, v, q per vertex) when BOLD is on, and each vertex's
    /// slow baseline of the activity (the Balloon is driven by the departure from it)
    bold: Option<(Vec<f32>, Vec<f32>)>,
    /// what the surface shows, per vertex (recomputed after steps)
    pub shown: Vec<f32>,
}

impl Sim {
    pub fn n(&self) -> usize {
        self.positions.len()
    }

    /// Index in the combined mesh of a hemisphere's vertex.
    pub fn index(&self, hemi: Hemisphere, vertex: usize) -> Option<usize> {
        let &(_, off, n) = self.parts.iter().find(|p| p.0 == hemi)?;
        (vertex < n).then_some(off + vertex)
    }
}

#[derive(Resource)]
pub struct ActivityState {
    pub running: bool,
    /// the chosen model and its parameter values (in the order of its specs)
    pub model: String,
    pub values: Vec<f64>,
    /// simulated seconds per second of wall time
    pub speed: f32,
    pub stimulate_on_click: bool,
    /// the Activity panel is open (clicks only stimulate then: with it closed a click just
    /// selects a vertex)
    pub panel_open: bool,
    pub sim: Option<Sim>,
    pub message: Option<String>,
    /// explicit steps computed during the last second
    pub steps_per_s: f64,
    pub reset: bool,
    /// compute BOLD from the activity
    pub bold: bool,
    /// 0 = neural layer only, 1 = BOLD layer only
    pub bold_mix: f32,
    /// neural activity → Balloon input z
    pub bold_gain: f32,
    /// Kuramoto order parameter over time (t, R)
    pub r_history: VecDeque<[f64; 2]>,
    /// shown values at the pinned vertices over time: (t, one value per pinned vertex)
    pub pinned_history: VecDeque<(f64, Vec<f32>)>,
    step_log: VecDeque<(std::time::Instant, usize)>,
    mix_applied: f32,
}

impl Default for ActivityState {
    fn default() -> Self {
        ActivityState {
            running: false,
            model: "diffusion".into(),
            values: specs("diffusion")
                .unwrap()
                .iter()
                .map(|s| s.default)
                .collect(),
            speed: 1.0,
            stimulate_on_click: true,
            panel_open: false,
            sim: None,
            message: None,
            steps_per_s: 0.0,
            reset: false,
            bold: false,
            bold_mix: 0.0,
            bold_gain: 1.0,
            r_history: VecDeque::new(),
            pinned_history: VecDeque::new(),
            step_log: Default::default(),
            mix_applied: 0.0,
        }
    }
}

impl ActivityState {
    /// Switch model: its defaults, a fresh start, and a speed that suits its time scale.
    pub fn choose(&mut self, model: &str) {
        if let Ok(s) = specs(model) {
            self.model = model.to_string();
            self.values = s.iter().map(|s| s.default).collect();
            self.speed = match model {
                "wilson-cowan" | "lif" => 0.1,
                "kuramoto" => 0.25,
                _ => 1.0,
            };
            self.reset = true;
        }
    }

    fn setup(&self) -> Result<Setup, String> {
        let specs = specs(&self.model)?;
        let given: Vec<(String, f64)> = specs
            .iter()
            .zip(&self.values)
            .map(|(s, v)| (s.name.to_string(), *v))
            .collect();
        Setup::new(&self.model, &given)
    }
}

pub struct ActivityPlugin;

impl Plugin for ActivityPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ActivityState>()
            .add_systems(Update, step_activity);
    }
}

fn build_sim(doc: &crate::brain::scene::Scene, setup: Setup) -> Result<Sim, String> {
    // the anatomical surface of each hemisphere (pial, else the first loaded)
    let chosen: Vec<(Hemisphere, &crate::brain::surface::Surface)> = doc
        .hemis
        .iter()
        .filter_map(|(h, g)| {
            let s = g
                .surfaces
                .get(&SurfaceKind::Pial)
                .or_else(|| g.surfaces.values().next())?;
            Some((*h, s.as_ref()))
        })
        .collect();
    let (positions, faces, starts) = crate::activity::combined_mesh(chosen.iter().map(|c| c.1));
    let parts = chosen
        .iter()
        .zip(starts)
        .map(|((h, s), off)| (*h, off, s.vertices.len()))
        .collect();
    if positions.is_empty() {
        return Err("no surface loaded".into());
    }
    let lap = Laplacian::new(&positions, &faces)?;
    let n = positions.len();
    let aux = setup.aux(n);
    let dt = setup.default_dt(&lap, &aux);
    setup.model.check_step(&lap, dt)?;
    // diffusion and wave start at rest and wait for a stimulus; the others from their default
    let state = match setup.model {
        Model::Diffusion { .. } | Model::Wave { .. } => {
            setup.initial(&positions, 0, Some(&vec![0.0; n]))
        }
        _ => setup.initial(&positions, 0, None),
    };
    let shown = setup.display(&state, n);
    Ok(Sim {
        parts,
        positions,
        lap,
        setup,
        state,
        aux,
        t: 0.0,
        dt,
        bold: None,
        shown,
    })
}

fn stimulate(sim: &mut Sim, hemi: Hemisphere, vertex: usize) {
    let Some(i) = sim.index(hemi, vertex) else {
        return;
    };
    let bump = crate::activity::gaussian_bump(&sim.positions, sim.positions[i], 3.0);
    let gain = match sim.setup.model {
        Model::Kuramoto { .. } => std::f32::consts::PI,
        Model::WilsonCowan(_) => 0.3,
        _ => 1.0,
    };
    for (u, b) in sim.state.iter_mut().zip(bump) {
        *u += gain * b;
    }
    if let Model::WilsonCowan(_) = sim.setup.model {
        for e in &mut sim.state[..sim.positions.len()] {
            *e = e.clamp(0.0, 1.0);
        }
    }
}

/// Time constant of the activity baseline BOLD is measured against (simulated s).
const BOLD_BASELINE_S: f64 = 10.0;

/// Advance the Balloon model by `secs` of simulated time. Its input is the departure of
/// the activity (|u|, E, spike flash; (1 + sin θ)/2 for Kuramoto) from that vertex's slow
/// baseline (exponential mean, τ 10 s, starting at the activity when BOLD is switched on):
/// BOLD shows changes, as a scanner does, not the level of an arbitrary model variable.
fn step_bold(sim: &mut Sim, gain: f32, secs: f64) {
    let n = sim.n();
    let x: Vec<f32> = match sim.setup.model {
        Model::Kuramoto { .. } => sim.shown.iter().map(|s| 0.5 * (1.0 + s)).collect(),
        _ => sim.shown.iter().map(|s| s.abs()).collect(),
    };
    let (b, base) = sim.bold.get_or_insert_with(|| {
        let rest = Model::Balloon.rest();
        let b = rest
            .iter()
            .flat_map(|r| std::iter::repeat_n(*r, n))
            .collect();
        (b, x.clone())
    });
    let k = (secs / BOLD_BASELINE_S).min(1.0) as f32;
    let z: Vec<f32> = x
        .iter()
        .zip(base.iter_mut())
        .map(|(x, m)| {
            *m += (x - *m) * k;
            gain * (x - *m)
        })
        .collect();
    let substeps = (secs / 0.05).ceil().max(1.0) as usize;
    let dt = (secs / substeps as f64) as f32;
    Model::Balloon.run(&sim.lap, b, &z, dt, substeps);
}

fn step_activity(
    time: Res<Time>,
    mut doc: ResMut<SceneDoc>,
    mut state: ResMut<ActivityState>,
    playback: Res<super::timeline::Playback>,
    mut last_selection: Local<Option<crate::brain::scene::Selection>>,
) {
    let scene = &doc.0;
    // new parameter values keep the state (same model): only the step, the input and the
    // model change; a new model starts over
    match state.setup() {
        Ok(setup) => {
            let same_model = state.sim.as_ref().map(|s| s.setup.name == setup.name);
            if same_model == Some(false) {
                state.reset = true;
            }
            if let Some(s) = state.sim.as_mut()
                && same_model == Some(true)
                && s.setup != setup
            {
                let aux = setup.aux(s.n());
                let dt = setup.default_dt(&s.lap, &aux);
                (s.aux, s.dt, s.setup) = (aux, dt, setup);
            }
        }
        Err(e) => {
            state.message = Some(e);
            return;
        }
    }
    // rebuilt when the hemispheres or their vertex counts change
    let stale = state.sim.as_ref().is_some_and(|s| {
        s.parts.len() != scene.hemis.len()
            || s.parts
                .iter()
                .any(|(h, _, n)| scene.hemis.get(h).map(|g| g.n_vertices()) != Some(*n))
    });
    let clicked = scene.selection.filter(|s| Some(*s) != *last_selection);
    *last_selection = scene.selection;
    let stim_click = state.stimulate_on_click && state.panel_open;
    let wanted = state.running || (stim_click && clicked.is_some());
    if state.reset || stale || (state.sim.is_none() && wanted) {
        let was_reset = state.reset;
        state.reset = false;
        state.r_history.clear();
        state.pinned_history.clear();
        if was_reset {
            // a new model: its layers get its colour range
            let ids: Vec<u64> = doc
                .0
                .layers
                .iter()
                .filter(|l| l.name == LAYER || l.name == BOLD_LAYER)
                .map(|l| l.id)
                .collect();
            for id in ids {
                doc.0.remove_layer(id);
            }
        }
        let scene = &doc.0;
        if scene.hemis.is_empty() {
            state.sim = None;
            return;
        }
        match state.setup().and_then(|s| build_sim(scene, s)) {
            Ok(s) => {
                state.message = None;
                state.sim = Some(s);
            }
            Err(e) => {
                state.message = Some(e);
                state.running = false;
                state.sim = None;
                return;
            }
        }
    }
    let running = state.running;
    let (speed, bold_on, gain) = (state.speed, state.bold, state.bold_gain);
    let Some(sim) = state.sim.as_mut() else {
        return;
    };
    let mut changed = false;
    if let (true, Some(sel)) = (stim_click, clicked) {
        stimulate(sim, sel.hemi, sel.vertex);
        changed = true;
    }
    let mut steps = 0;
    if running {
        let want = (speed as f64 * time.delta_secs_f64() / sim.dt).ceil() as usize;
        steps = want.min(400);
        sim.setup
            .model
            .run(&sim.lap, &mut sim.state, &sim.aux, sim.dt as f32, steps);
        sim.t += steps as f64 * sim.dt;
        changed |= steps > 0;
    }
    let n = sim.n();
    if changed {
        sim.shown = sim.setup.display(&sim.state, n);
        if sim.shown.iter().any(|x| !x.is_finite()) {
            state.running = false;
            state.message = Some(
                "the simulation diverged (non-finite values); Reset, or lower the parameters"
                    .into(),
            );
            return;
        }
    }
    if bold_on && steps > 0 {
        step_bold(sim, gain, steps as f64 * sim.dt);
    }
    if !bold_on {
        sim.bold = None;
    }
    let t = sim.t;
    let record = running && changed;
    let r = (record && matches!(sim.setup.model, Model::Kuramoto { .. }))
        .then(|| order_parameter(&sim.lap, &sim.state[..n]));
    let pinned: Vec<f32> = playback
        .pinned
        .iter()
        .map(|&(h, v)| sim.index(h, v).map_or(f32::NAN, |i| sim.shown[i]))
        .collect();
    let layers: Option<(Vec<_>, Option<Vec<_>>, OverlayStyle)> = changed.then(|| {
        let split = |v: &[f32]| -> Vec<(Hemisphere, Vec<f32>)> {
            sim.parts
                .iter()
                .map(|&(h, off, n)| (h, v[off..off + n].to_vec()))
                .collect()
        };
        let (_, lo, hi, symmetric) = sim.setup.display_quantity();
        let bold = sim.bold.as_ref().map(|(b, _)| {
            let y: Vec<f32> = (0..n)
                .map(|i| 100.0 * bold_signal(b[2 * n + i], b[3 * n + i]))
                .collect();
            split(&y)
        });
        let style = OverlayStyle {
            colormap: if symmetric { "RdBu_r" } else { "hot" }.into(),
            min: lo,
            max: hi,
            threshold: if symmetric { 0.0 } else { 0.01 * hi },
            symmetric,
            opacity: 1.0,
        };
        (split(&sim.shown), bold, style)
    });
    if record {
        if let Some(r) = r {
            state.r_history.push_back([t, r]);
        }
        if !pinned.is_empty() {
            state.pinned_history.push_back((t, pinned));
        }
        while state.r_history.len() > 2000 {
            state.r_history.pop_front();
        }
        while state.pinned_history.len() > 2000 {
            state.pinned_history.pop_front();
        }
    }
    let mix = if state.bold { state.bold_mix } else { 0.0 };
    if let Some((neural, bold, style)) = layers {
        doc.0.set_computed_layer(
            LAYER,
            None,
            neural,
            OverlayStyle {
                opacity: 1.0 - mix,
                ..style
            },
        );
        if let Some(bold) = bold {
            doc.0.set_computed_layer(
                BOLD_LAYER,
                Some("%"),
                bold,
                OverlayStyle {
                    colormap: "RdBu_r".into(),
                    min: -2.0,
                    max: 2.0,
                    threshold: 0.0,
                    symmetric: true,
                    opacity: mix,
                },
            );
        }
    }
    if !state.bold
        && let Some(id) = doc.0.layer_by_name(BOLD_LAYER).map(|l| l.id)
    {
        doc.0.remove_layer(id);
    }
    if mix != state.mix_applied {
        state.mix_applied = mix;
        for (name, opacity) in [(LAYER, 1.0 - mix), (BOLD_LAYER, mix)] {
            if let Some(id) = doc.0.layer_by_name(name).map(|l| l.id)
                && let Some(l) = doc.0.layer_mut(id)
                && let crate::brain::scene::LayerData::Overlay { style, .. } = &mut l.data
            {
                style.opacity = opacity;
            }
        }
    }
    let now = std::time::Instant::now();
    state.step_log.push_back((now, steps));
    while state
        .step_log
        .front()
        .is_some_and(|(t, _)| now.duration_since(*t).as_secs_f64() > 1.0)
    {
        state.step_log.pop_front();
    }
    state.steps_per_s = state.step_log.iter().map(|(_, n)| *n as f64).sum();
}
