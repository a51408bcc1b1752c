//! Simulated activity on the scene's cortex: any model of `activity::setup` (diffusion, wave,
//! Kuramoto, Wilson–Cowan, LIF) on the anatomical surface (pial, else the first loaded) of
//! every hemisphere as one mesh. Each frame advances simulated time by `speed` × the frame
//! time in stable explicit steps (on the CPU as many as fit in 20 ms at the measured cost of
//! a step, at most [`CPU_STEPS_PER_FRAME`]; fewer on a software GPU), so a slow machine slows
//! the simulation, never the window.
//!
//! What the model shows (u, sin θ, E, spike flash) is the **live layer** [`LAYER`], drawn by
//! the surface shader from a value buffer (`app::live`):
//! * **CPU backend** — the CPU twin steps here and its shown values are uploaded (one f32 per
//!   vertex per frame; no repainting of the other layers);
//! * **GPU backend** — the WGSL kernels step on the app's own render device inside that very
//!   buffer (`app::compute`); the shader reads the state directly. A copy comes back five
//!   times a second for the inspector, traces, R(t) and the divergence check.
//!
//! "auto" picks the GPU on a hardware adapter and the CPU on a software one (Mesa lavapipe,
//! where one compute dispatch costs ≈ 2 ms and the CPU twin is 10–20× faster).
//!
//! Optional hemodynamics (CPU backend): a Balloon–Windkessel model per vertex driven by the
//! activity's departure from its slow baseline (see [`step_bold`]), shown as [`BOLD_LAYER`]
//! (percent signal change); the panel's neural ↔ BOLD slider cross-fades the two layers.
//!
//! Stimulation: clicking the cortex with "stimulate where I click" kicks the model there (a
//! Gaussian, σ 3 mm), and the electrode plan's active contacts can be pulsed (σ 1.5 mm each):
//! u, E and V rise, Kuramoto phases advance by up to π (`Model::kick`, on the GPU
//! `shaders/kick.wgsl`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::compute::{GpuCommand, GpuLink, GpuReport};
use super::live::{GpuLayout, LiveFeed};
use super::material::{LIVE_SCRATCH, LIVE_VALUES, live_buffer};
use super::shared::SceneDoc;
use crate::activity::laplacian::Laplacian;
use crate::activity::models::{Model, bold_signal, order_parameter};
use crate::activity::setup::{Setup, specs};
use crate::activity::show::{self, Pacemaker};
use crate::brain::Hemisphere;
use crate::brain::paint::OverlayStyle;

pub const LAYER: &str = "activity (simulated)";
pub const BOLD_LAYER: &str = "BOLD % (simulated)";

/// Most explicit steps a frame on the CPU (and on a hardware GPU).
pub const CPU_STEPS_PER_FRAME: usize = 400;
/// Time the CPU backend may spend stepping in a frame (the steps are capped by the measured
/// cost of one, so the window keeps its frame rate and the simulation slows instead).
const CPU_BUDGET_S: f64 = 0.020;
/// Most steps a frame on a software GPU (lavapipe: ≈ 2 ms a dispatch).
pub const SOFTWARE_GPU_STEPS_PER_FRAME: usize = 16;
/// How often a GPU run's state is copied back for readouts.
const READ_EVERY: Duration = Duration::from_millis(200);

/// Where the model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu,
    Gpu,
}

/// A GPU run of the current simulation.
pub struct GpuRun {
    pub run_id: u64,
    /// the worker has its kernel
    pub started: bool,
    read_pending: bool,
    last_read: Option<Instant>,
    /// simulated time of the state last read back
    pub read_t: f64,
}

/// A running simulation on the current surfaces.
pub struct Sim {
    /// (hemisphere, first vertex in the combined mesh, vertex count)
    pub parts: Vec<(Hemisphere, usize, usize)>,
    positions: Vec<[f32; 3]>,
    lap: Arc<Laplacian>,
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
    /// the planned contacts' stimulus for a layout revision, and when the next pulse is due
    electrodes: Option<(u64, Arc<Vec<f32>>)>,
    next_pulse: f64,
    /// Some when the kernels run on the GPU (`state` is then the last copy read back)
    pub gpu: Option<GpuRun>,
    /// measured wall time of one CPU step (moving average), 0 before the first
    step_cost_s: f64,
    /// the viewer's periodic stimulus (diffusion, wave: `activity::show`), its next beat
    /// (simulated s) and how many beats have been given
    pacemaker: Option<(Pacemaker, f64, usize)>,
    /// the colour range now (following the activity, `activity::show::follow_range`)
    range: Option<(f32, f32)>,
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
    /// None: auto (GPU on a hardware adapter, CPU on a software one)
    pub backend: Option<Backend>,
    /// open the panel (set by `view --simulate`, consumed by the panel)
    pub reveal_panel: bool,
    next_run_id: u64,
    /// stimulate at the planned electrodes once (a button sets it)
    pub electrodes_once: bool,
    /// pulse the planned electrodes periodically while running (Hz)
    pub electrode_pulses: Option<f32>,
    /// Kuramoto order parameter over time (t, R)
    pub r_history: VecDeque<[f64; 2]>,
    /// shown values at the pinned vertices over time: (t, one value per pinned vertex)
    pub pinned_history: VecDeque<(f64, Vec<f32>)>,
    step_log: VecDeque<(std::time::Instant, usize)>,
    mix_applied: f32,
    /// a session's simulation state and time, put into the next simulation built (if its size
    /// fits)
    pub restore: Option<(Vec<f32>, f64)>,
    /// the next reset keeps the activity layers (a session restored them)
    pub keep_layers: bool,
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
            backend: None,
            reveal_panel: false,
            next_run_id: 0,
            electrodes_once: false,
            electrode_pulses: None,
            r_history: VecDeque::new(),
            pinned_history: VecDeque::new(),
            step_log: Default::default(),
            mix_applied: 0.0,
            restore: None,
            keep_layers: false,
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

    /// The backend in use: the chosen one, or auto for this adapter.
    pub fn backend(&self, link: Option<&GpuLink>) -> Backend {
        self.backend
            .unwrap_or(match link.and_then(|l| l.adapter.as_ref()) {
                Some((_, false)) => Backend::Gpu,
                _ => Backend::Cpu,
            })
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

/// `view --simulate`: a model running from the start; exit screenshots wait for `seconds`
/// of simulated time.
#[derive(Resource, Clone, Debug)]
pub struct AutoRun {
    pub model: String,
    pub backend: Option<Backend>,
    pub seconds: f64,
}

#[derive(Default)]
pub struct ActivityPlugin {
    pub autorun: Option<AutoRun>,
}

impl Plugin for ActivityPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ActivityState>()
            .add_systems(Update, step_activity);
        if let Some(a) = &self.autorun {
            app.insert_resource(a.clone())
                .add_systems(Update, autorun.before(step_activity));
        }
    }
}

/// Start the `view --simulate` model once the scene is there, and hold exit screenshots and
/// benchmarks until it has run its simulated seconds (for a GPU run: until that state has
/// come back, so the readouts match the picture).
fn autorun(
    auto: Res<AutoRun>,
    doc: Res<SceneDoc>,
    mut state: ResMut<ActivityState>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut stage: Local<u8>,
) {
    match *stage {
        0 if !doc.0.hemis.is_empty() => {
            state.choose(&auto.model);
            state.backend = auto.backend;
            state.running = true;
            state.reveal_panel = true;
            hold.0 += 1;
            *stage = 1;
        }
        1 => {
            let done = state.sim.as_ref().is_some_and(|s| {
                let t = s.gpu.as_ref().map_or(s.t, |g| g.read_t);
                t >= auto.seconds
            });
            if done {
                hold.0 = hold.0.saturating_sub(1);
                *stage = 2;
            }
        }
        _ => {}
    }
}

fn build_sim(doc: &crate::brain::scene::Scene, setup: Setup) -> Result<Sim, String> {
    let (positions, faces, parts) = crate::activity::scene_mesh(doc)?;
    let lap = Arc::new(Laplacian::new(&positions, &faces)?);
    let n = positions.len();
    let aux = setup.aux(n);
    let dt = setup.default_dt(&lap, &aux);
    setup.model.check_step(&lap, dt)?;
    // a start that moves at once (a spiral pair, a pacemaker, …: `activity::show`)
    let offsets: Vec<(usize, usize)> = parts.iter().map(|&(_, off, len)| (off, len)).collect();
    let start = show::start(&setup, &positions, &offsets, &lap.mass);
    let state = start.state;
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
        electrodes: None,
        next_pulse: 0.0,
        gpu: None,
        step_cost_s: 0.0,
        pacemaker: start.pacemaker.map(|p| (p.clone(), p.period_s, 1)),
        range: None,
    })
}

/// Hand a fresh simulation to the GPU: its starting state into both value buffers, the
/// layout to the live layer, the kernel to the render world.
fn start_gpu(
    sim: &mut Sim,
    run_id: u64,
    link: &GpuLink,
    buffers: &mut Assets<ShaderBuffer>,
    feed: &mut LiveFeed,
) {
    for h in [LIVE_VALUES, LIVE_SCRATCH] {
        let _ = buffers.insert(h.id(), live_buffer(&sim.state));
    }
    let n = sim.n();
    let (slot, sine) = sim.setup.model.display_slot();
    feed.gpu = Some(GpuLayout {
        base: (slot * n) as u32,
        sine,
        offsets: sim.parts.iter().map(|p| (p.0, p.1 as u32)).collect(),
    });
    feed.buffer_rev += 1;
    link.send(GpuCommand::Start {
        run_id,
        model: sim.setup.model,
        lap: sim.lap.clone(),
        aux: sim.aux.clone(),
        dt: sim.dt as f32,
    });
    sim.gpu = Some(GpuRun {
        run_id,
        started: false,
        read_pending: false,
        last_read: None,
        read_t: sim.t,
    });
}

fn stimulate(sim: &mut Sim, hemi: Hemisphere, vertex: usize, link: Option<&GpuLink>) {
    let Some(i) = sim.index(hemi, vertex) else {
        return;
    };
    let bump = crate::activity::gaussian_bump(&sim.positions, sim.positions[i], 3.0);
    kick(sim, &Arc::new(bump), link);
}

/// Spread of the current injected at an electrode contact (σ, mm).
const CONTACT_SIGMA_MM: f32 = 1.5;

/// The kick of every active planned contact together: a Gaussian (σ 1.5 mm) around each
/// contact's position, summed and capped at 1 where contacts overlap. Contacts in the other
/// hemisphere's space fall on that hemisphere: the positions are shared world coordinates.
fn electrode_kick(sim: &Sim, contacts: &[crate::planning::optimize::Resolved]) -> Vec<f32> {
    let centres: Vec<[f32; 3]> = contacts
        .iter()
        .filter(|c| c.active())
        .map(|c| c.ras.as_vec3().to_array())
        .collect();
    crate::activity::point_stimulus(&sim.positions, &centres, CONTACT_SIGMA_MM)
}

/// Add a stimulus (0..1 per vertex) to the model's driven state: here, or on the GPU.
fn kick(sim: &mut Sim, bump: &Arc<Vec<f32>>, link: Option<&GpuLink>) {
    match (&sim.gpu, link) {
        (Some(g), Some(link)) => link.send(GpuCommand::Kick {
            run_id: g.run_id,
            bump: bump.clone(),
        }),
        _ => {
            let n = sim.n();
            sim.setup.model.kick(&mut sim.state[..n], bump);
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
    plan: Res<super::planning::PlanState>,
    link: Option<Res<GpuLink>>,
    mut feed: ResMut<LiveFeed>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut last_selection: Local<Option<crate::brain::scene::Selection>>,
) {
    let link = link.as_deref();
    let backend = state.backend(link);
    let scene = &doc.0;
    // new parameter values keep the state (same model): only the step, the input and the
    // model change; a new model or backend starts over
    match state.setup() {
        Ok(setup) => {
            let same_model = state.sim.as_ref().map(|s| s.setup.name == setup.name);
            let on_gpu = state.sim.as_ref().map(|s| s.gpu.is_some());
            if same_model == Some(false) || on_gpu.is_some_and(|g| g != (backend == Backend::Gpu)) {
                state.reset = true;
            }
            if let Some(s) = state.sim.as_mut()
                && same_model == Some(true)
                && s.setup != setup
            {
                let aux = setup.aux(s.n());
                let dt = setup.default_dt(&s.lap, &aux);
                if let (Some(g), Some(link)) = (&s.gpu, link) {
                    link.send(GpuCommand::Params {
                        run_id: g.run_id,
                        model: setup.model,
                        dt: dt as f32,
                        aux: (aux != s.aux).then(|| aux.clone()),
                    });
                }
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
    let wanted = state.running
        || state.electrodes_once
        || state.restore.is_some()
        || (stim_click && clicked.is_some());
    if state.reset || stale || (state.sim.is_none() && wanted) {
        let was_reset = state.reset;
        state.reset = false;
        state.r_history.clear();
        state.pinned_history.clear();
        if state.sim.take().is_some_and(|s| s.gpu.is_some())
            && let Some(link) = link
        {
            link.send(GpuCommand::Stop);
        }
        feed.gpu = None;
        if was_reset && !std::mem::take(&mut state.keep_layers) {
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
            return;
        }
        match state.setup().and_then(|s| build_sim(scene, s)) {
            Ok(mut s) => {
                state.message = None;
                if let Some((values, t)) = state.restore.take()
                    && values.len() == s.state.len()
                {
                    let n = s.n();
                    s.shown = s.setup.display(&values, n);
                    s.state = values;
                    s.t = t;
                }
                if let (Backend::Gpu, Some(link)) = (backend, link) {
                    state.next_run_id += 1;
                    start_gpu(&mut s, state.next_run_id, link, &mut buffers, &mut feed);
                }
                state.sim = Some(s);
            }
            Err(e) => {
                state.message = Some(e);
                state.running = false;
                return;
            }
        }
    }
    let running = state.running;
    let (speed, gain) = (state.speed, state.bold_gain);
    let software_gpu = link.and_then(|l| l.adapter.as_ref()).is_some_and(|a| a.1);
    // BOLD is computed from the state on the CPU: the CPU backend only
    let bold_on = state.bold && state.sim.as_ref().is_some_and(|s| s.gpu.is_none());
    if state.bold && !bold_on && state.message.is_none() {
        state.message = Some("BOLD runs with the CPU backend (choose CPU above)".into());
    }
    // the planned electrodes: once on request, or as a pulse train while running
    let pulses = state.electrode_pulses.filter(|hz| *hz > 0.0 && running);
    let once = std::mem::take(&mut state.electrodes_once);
    let Some(sim) = state.sim.as_mut() else {
        return;
    };
    let fresh = sim.t == 0.0 && doc.0.layer_by_name(LAYER).is_none();
    let mut changed = fresh;
    // what a GPU run sent back
    let mut read_back = None;
    if let (Some(g), Some(link)) = (sim.gpu.as_mut(), link) {
        for r in link.reports() {
            match r {
                GpuReport::Started { run_id } if run_id == g.run_id => g.started = true,
                GpuReport::State { run_id, t, values } if run_id == g.run_id => {
                    g.read_pending = false;
                    g.read_t = t;
                    read_back = Some(values);
                }
                GpuReport::Failed { run_id, error } if run_id == g.run_id => {
                    state.message = Some(format!("GPU run failed: {error}; using the CPU"));
                    state.backend = Some(Backend::Cpu);
                    state.reset = true;
                    return;
                }
                _ => {}
            }
        }
    }
    if let Some(values) = read_back {
        sim.state = values;
        changed = true;
    }
    if let (true, Some(sel)) = (stim_click, clicked) {
        stimulate(sim, sel.hemi, sel.vertex, link);
        changed = true;
    }
    let electrodes = if (once || pulses.is_some()) && !plan.contacts.is_empty() {
        if sim
            .electrodes
            .as_ref()
            .is_none_or(|e| e.0 != plan.layout_rev)
        {
            let k = Arc::new(electrode_kick(sim, &plan.contacts));
            sim.electrodes = Some((plan.layout_rev, k));
        }
        sim.electrodes.as_ref().map(|e| e.1.clone())
    } else {
        None
    };
    if let (true, Some(k)) = (once, &electrodes) {
        kick(sim, k, link);
        changed = true;
    }
    let mut steps = 0;
    if running {
        let cap = match (&sim.gpu, software_gpu) {
            (Some(_), true) => SOFTWARE_GPU_STEPS_PER_FRAME,
            (Some(_), false) => CPU_STEPS_PER_FRAME,
            // the CPU: what fits in the frame budget at the measured cost of a step
            (None, _) => {
                ((CPU_BUDGET_S / sim.step_cost_s.max(1e-7)) as usize).clamp(1, CPU_STEPS_PER_FRAME)
            }
        };
        let want = (speed as f64 * time.delta_secs_f64() / sim.dt).ceil() as usize;
        steps = want.min(cap);
        let started = Instant::now();
        // run up to each pulse, kick, go on
        let mut left = steps;
        while left > 0 {
            let mut chunk = left;
            let pulse_now = match (pulses, &electrodes) {
                (Some(_), Some(_)) => {
                    let until = ((sim.next_pulse - sim.t) / sim.dt).ceil().max(0.0) as usize;
                    chunk = chunk.min(until);
                    chunk == until
                }
                _ => false,
            };
            let beat_now = match &sim.pacemaker {
                Some((_, next, _)) => {
                    let until = ((next - sim.t) / sim.dt).ceil().max(0.0) as usize;
                    chunk = chunk.min(until);
                    chunk == until
                }
                None => false,
            };
            match (&sim.gpu, link) {
                (Some(g), Some(link)) => {
                    if chunk > 0 {
                        link.send(GpuCommand::Run {
                            run_id: g.run_id,
                            steps: chunk,
                        });
                    }
                }
                _ => sim
                    .setup
                    .model
                    .run(&sim.lap, &mut sim.state, &sim.aux, sim.dt as f32, chunk),
            }
            sim.t += chunk as f64 * sim.dt;
            left -= chunk;
            if let (true, Some(k), Some(hz)) = (pulse_now, &electrodes, pulses) {
                kick(sim, k, link);
                sim.next_pulse = sim.t + 1.0 / hz as f64;
            }
            if beat_now && let Some((p, next, beat)) = sim.pacemaker.take() {
                let bump = Arc::new(p.stimulus(&sim.positions, beat));
                kick(sim, &bump, link);
                sim.pacemaker = Some((p.clone(), next + p.period_s, beat + 1));
            }
        }
        if sim.gpu.is_none() && steps > 0 {
            let per = started.elapsed().as_secs_f64() / steps as f64;
            sim.step_cost_s = if sim.step_cost_s > 0.0 {
                0.8 * sim.step_cost_s + 0.2 * per
            } else {
                per
            };
        }
        // the CPU state changed; a GPU run's shows itself, its copy comes back later
        changed |= steps > 0 && sim.gpu.is_none();
    }
    // a GPU run: ask for a copy now and then (one at a time)
    if let (Some(g), Some(link)) = (sim.gpu.as_mut(), link) {
        let due = g.last_read.is_none_or(|t| t.elapsed() >= READ_EVERY);
        if g.started && !g.read_pending && due && (running || g.last_read.is_none() || changed) {
            link.send(GpuCommand::Read {
                run_id: g.run_id,
                t: sim.t,
            });
            g.read_pending = true;
            g.last_read = Some(Instant::now());
        }
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
    // the time the shown values belong to (a GPU copy lags the run)
    let t = sim.gpu.as_ref().map_or(sim.t, |g| g.read_t);
    let record = changed && (running || sim.gpu.is_some());
    let r = (record && matches!(sim.setup.model, Model::Kuramoto { .. }))
        .then(|| order_parameter(&sim.lap, &sim.state[..n]));
    let pinned: Vec<f32> = playback
        .pinned
        .iter()
        .map(|&(h, v)| sim.index(h, v).map_or(f32::NAN, |i| sim.shown[i]))
        .collect();
    // the colour range follows the activity (eased, so it does not flicker)
    if changed {
        sim.range = Some(show::follow_range(&sim.setup, &sim.shown, sim.range, 0.25));
    }
    let layers: Option<(Vec<_>, Option<Vec<_>>, OverlayStyle)> = changed.then(|| {
        let split = |v: &[f32]| -> Vec<(Hemisphere, Vec<f32>)> {
            sim.parts
                .iter()
                .map(|&(h, off, n)| (h, v[off..off + n].to_vec()))
                .collect()
        };
        let bold = sim.bold.as_ref().map(|(b, _)| {
            let y: Vec<f32> = (0..n)
                .map(|i| 100.0 * bold_signal(b[2 * n + i], b[3 * n + i]))
                .collect();
            split(&y)
        });
        let range = sim.range.unwrap_or((0.0, 1.0));
        let style = OverlayStyle {
            min: range.0,
            max: range.1,
            threshold: if range.0 < 0.0 {
                0.0
            } else {
                range.0 + 0.01 * (range.1 - range.0)
            },
            ..sim.setup.display_style()
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
    let mix = if bold_on { state.bold_mix } else { 0.0 };
    if let Some((neural, bold, style)) = layers {
        doc.0.set_live_layer(
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
    if !bold_on && let Some(id) = doc.0.layer_by_name(BOLD_LAYER).map(|l| l.id) {
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
    let now = Instant::now();
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
