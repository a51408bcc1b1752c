//! Simulated activity on the scene's cortex (issue 5, first slice: diffusion on the CPU
//! reference). The model runs on the anatomical (pial, else the first loaded) surface of every
//! hemisphere as one mesh; each frame advances simulated time by `speed` × the frame time in
//! stable explicit steps and writes the state as the layer "activity: diffusion (simulated)".
//! Clicking the cortex with "stimulate where I click" on adds a Gaussian bump (σ 3 mm) there.
//!
//! *Not yet:* colouring straight from the GPU state buffer (the GPU kernel exists and matches
//! this CPU path; the app does not bind it yet), the other models.

use bevy::prelude::*;

use super::SceneDoc;
use crate::activity::laplacian::Laplacian;
use crate::activity::models::Model;
use crate::brain::paint::OverlayStyle;
use crate::brain::{Hemisphere, SurfaceKind};

pub const LAYER: &str = "activity: diffusion (simulated)";

/// A running simulation on the current surfaces.
pub struct Sim {
    /// (hemisphere, first vertex in the combined mesh, vertex count)
    parts: Vec<(Hemisphere, usize, usize)>,
    positions: Vec<[f32; 3]>,
    lap: Laplacian,
    pub u: Vec<f32>,
    pub t: f64,
    pub dt: f64,
    d: f32,
}

#[derive(Resource)]
pub struct ActivityState {
    pub running: bool,
    /// diffusivity, mm²/s
    pub d: f32,
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
    step_log: std::collections::VecDeque<(std::time::Instant, usize)>,
}

impl Default for ActivityState {
    fn default() -> Self {
        ActivityState {
            running: false,
            d: 20.0,
            speed: 1.0,
            stimulate_on_click: true,
            panel_open: false,
            sim: None,
            message: None,
            steps_per_s: 0.0,
            reset: false,
            step_log: Default::default(),
        }
    }
}

pub struct ActivityPlugin;

impl Plugin for ActivityPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ActivityState>()
            .add_systems(Update, step_activity);
    }
}

fn build_sim(doc: &crate::brain::scene::Scene, d: f32) -> Result<Sim, String> {
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
    // half the explicit-Euler bound: stable with room to spare
    let model = Model::Diffusion { d };
    let dt = 0.5 * model.max_dt(&lap);
    model.check_step(&lap, dt)?;
    Ok(Sim {
        parts,
        u: vec![0.0; positions.len()],
        positions,
        lap,
        t: 0.0,
        dt,
        d,
    })
}

fn stimulate(sim: &mut Sim, hemi: Hemisphere, vertex: usize) {
    let Some(&(_, off, n)) = sim.parts.iter().find(|p| p.0 == hemi) else {
        return;
    };
    if vertex >= n {
        return;
    }
    let bump = crate::activity::gaussian_bump(&sim.positions, sim.positions[off + vertex], 3.0);
    for (u, b) in sim.u.iter_mut().zip(bump) {
        *u += b;
    }
}

fn step_activity(
    time: Res<Time>,
    mut doc: ResMut<SceneDoc>,
    mut state: ResMut<ActivityState>,
    mut last_selection: Local<Option<crate::brain::scene::Selection>>,
) {
    let scene = &doc.0;
    // a new D keeps the state: only the step changes
    let d = state.d;
    if let Some(s) = state.sim.as_mut()
        && s.d != d
    {
        s.d = d;
        s.dt = 0.5 * Model::Diffusion { d }.max_dt(&s.lap);
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
        state.reset = false;
        if scene.hemis.is_empty() {
            state.sim = None;
            return;
        }
        match build_sim(scene, state.d) {
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
    let speed = state.speed;
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
        // at most 400 steps a frame: a slow frame slows the simulation, never the window
        let want = (speed as f64 * time.delta_secs_f64() / sim.dt).ceil() as usize;
        steps = want.min(400);
        Model::Diffusion { d: sim.d }.run(&sim.lap, &mut sim.u, &[], sim.dt as f32, steps);
        sim.t += steps as f64 * sim.dt;
        changed |= steps > 0;
    }
    if changed {
        let per_hemi = sim
            .parts
            .iter()
            .map(|&(h, off, n)| (h, sim.u[off..off + n].to_vec()))
            .collect();
        doc.0.set_computed_layer(
            LAYER,
            None,
            per_hemi,
            OverlayStyle {
                colormap: "hot".into(),
                min: 0.0,
                max: 0.5,
                threshold: 0.01,
                symmetric: false,
                opacity: 1.0,
            },
        );
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
