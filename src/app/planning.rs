//! Planning in the viewer: builds the planning problem from the scene, runs the optimiser on
//! a worker thread (progress and the loss curve stream back), keeps the live percept of the
//! selected target up to date, draws electrodes and vessels in 3D, and lets the user drag an
//! electrode over the cortex (the percept follows the pointer).
//!
//! Panels (`ui::planning`) only read and write [`PlanState`] and send [`PlanCommand`]s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;
use bevy::window::RequestRedraw;
use crossbeam_channel::{Receiver, unbounded};

use super::camera::{MainCamera, UiCapture};
use super::scene::{BrainRoot, Drawn, ras_to_world};
use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::vessels::{VesselGraph, VesselIndex};
use crate::planning::electrodes::Device;
use crate::planning::optimize::{Layout, Problem, Resolved, Scores, Vessels};
use crate::planning::plan::{self, PlanConfig};

/// Requests from the planning panel.
#[derive(Message, Clone, Debug)]
pub enum PlanCommand {
    /// (Re)build the problem from the scene and the configuration; start from the layout
    /// `Problem::start_layout` picks (the coverage layout over the whole field or its central half).
    Prepare,
    Run,
    Stop,
    /// Evaluate the current layout and both baselines.
    Evaluate,
    ResetToCoverage,
    ResetToRandom,
    Export(std::path::PathBuf),
    Import(std::path::PathBuf),
    /// Put the camera on the electrodes: posterior-medial view of the planned hemisphere (the
    /// other hidden), or posterior for both.
    ShowElectrodes,
    /// Measure how the current layout reads held-out letters (the reading report).
    MeasureReading,
    /// Show another held-out letter in the read preview.
    PreviewLetter(char),
}

/// Result of a finished worker run.
enum Worker {
    Progress {
        iteration: usize,
        loss: f64,
        layout: Layout,
    },
    Done {
        layout: Layout,
        curve: Vec<f64>,
        seconds: f64,
        /// the result and both baselines, scored as the CLI report does
        scores: Box<(Scores, Scores, Scores)>,
    },
    /// the reading report of the layout (held-out letters; measured after the run or on
    /// Evaluate, on the worker)
    Reading(Result<Box<ReadingView>, String>),
}

/// What the Plan panel shows of the reading report: the report, its layouts, and the read
/// preview (a held-out letter through each layout).
pub struct ReadingView {
    pub report: crate::planning::evaluate::ReadingReport,
    pub layouts: crate::planning::evaluate::Layouts,
    /// the layout it was measured on (stale once the layout changes)
    pub layout: Layout,
    pub preview: Option<crate::planning::evaluate::Preview>,
}

#[derive(Resource)]
pub struct PlanState {
    pub config: PlanConfig,
    pub problem: Option<Arc<Problem>>,
    pub vessels: Option<Arc<VesselGraph>>,
    /// which retinotopy and vessels the prepared problem uses (shown in the panel)
    pub retinotopy: String,
    pub vessels_note: String,
    pub coordinates: String,
    /// the scene the problem was prepared on (subject folder, vertices per hemisphere)
    prepared_on: Option<SceneKey>,
    /// the vessel mask the problem avoids (drawn as an isosurface by the vessels plugin)
    pub mask: Option<Arc<crate::brain::vessel_mask::DistanceField>>,
    /// the visual-field points of the target areas' vertices (the panel's field plot)
    pub field_cloud: Vec<[f64; 2]>,
    /// retinotopy choices for the panel: (value for `[scene] retinotopy`, label)
    pub retinotopy_choices: Vec<(String, String)>,
    /// per hemisphere: chart (u, v) per vertex, for dragging on any displayed surface
    pub uv: Vec<(Hemisphere, Vec<[f64; 2]>)>,
    pub layout: Option<Layout>,
    pub contacts: Vec<Resolved>,
    pub curve: Vec<f64>,
    pub iteration: usize,
    pub running: bool,
    stop: Arc<AtomicBool>,
    rx: Option<Receiver<Worker>>,
    pub task: usize,
    pub target: usize,
    /// live percept of the selected target (and the target itself), row-major 0..1
    pub percept: Vec<f32>,
    pub percept_ms: f64,
    /// when the last percepts were computed (for the updates/s readout)
    pub percept_times: std::collections::VecDeque<std::time::Instant>,
    pub scores: Option<(Scores, Scores, Scores)>,
    pub message: Option<String>,
    pub show_electrodes: bool,
    /// bumped when the layout changes (3D electrodes and percept are refreshed)
    pub layout_rev: u64,
    pub percept_rev: u64,
    pub drag_mode: bool,
    pub dragging: Option<usize>,
    /// the device last grabbed (vessels can be coloured by their distance to it)
    pub selected: Option<usize>,
    /// draw the vessel margin as translucent keep-out shells around vessels near the contacts
    pub show_margin: bool,
    /// ask the UI to open the planning panel
    pub reveal_panel: bool,
    /// the reading report of the layout (None until measured)
    pub reading: Option<Arc<ReadingView>>,
    /// a reading measurement is running on a worker
    pub reading_running: bool,
    /// the held-out letter the preview shows
    pub preview_letter: char,
}

impl Default for PlanState {
    fn default() -> Self {
        PlanState {
            config: PlanConfig::try_embedded_default().unwrap_or_default(),
            problem: None,
            vessels: None,
            retinotopy: String::new(),
            vessels_note: String::new(),
            coordinates: String::new(),
            prepared_on: None,
            mask: None,
            field_cloud: Vec::new(),
            retinotopy_choices: Vec::new(),
            uv: Vec::new(),
            layout: None,
            contacts: Vec::new(),
            curve: Vec::new(),
            iteration: 0,
            running: false,
            stop: Arc::new(AtomicBool::new(false)),
            rx: None,
            task: 0,
            target: 0,
            percept: Vec::new(),
            percept_ms: 0.0,
            percept_times: Default::default(),
            scores: None,
            message: None,
            show_electrodes: true,
            layout_rev: 0,
            percept_rev: 0,
            drag_mode: false,
            dragging: None,
            selected: None,
            show_margin: true,
            reveal_panel: false,
            reading: None,
            reading_running: false,
            preview_letter: 'E',
        }
    }
}

impl PlanState {
    /// Percepts computed during the last second (the live-update rate while dragging).
    pub fn updates_per_second(&self) -> usize {
        let now = std::time::Instant::now();
        self.percept_times
            .iter()
            .filter(|t| now.duration_since(**t).as_secs_f64() <= 1.0)
            .count()
    }

    pub fn set_layout(&mut self, l: Layout) {
        if let Some(p) = &self.problem {
            self.contacts = p.resolve(&l);
        }
        self.layout = Some(l);
        self.layout_rev += 1;
    }
    pub fn target_pixels(&self) -> Option<&[f32]> {
        let p = self.problem.as_ref()?;
        Some(&p.tasks.get(self.task)?.targets.get(self.target)?.pixels)
    }
}

/// What identifies the geometry a problem was prepared on.
type SceneKey = (Option<std::path::PathBuf>, Vec<usize>);

fn scene_key(scene: &crate::brain::scene::Scene) -> SceneKey {
    (
        scene.subject.as_ref().map(|s| s.path.clone()),
        scene.hemis.values().map(|g| g.n_vertices()).collect(),
    )
}

/// Is the scene still the one of `key` (checked every frame: no allocation)?
fn same_scene(key: &SceneKey, scene: &crate::brain::scene::Scene) -> bool {
    key.0.as_deref() == scene.subject.as_ref().map(|s| s.path.as_path())
        && key.1.len() == scene.hemis.len()
        && key
            .1
            .iter()
            .zip(scene.hemis.values())
            .all(|(&n, g)| n == g.n_vertices())
}

/// The retinotopy the panel offers: auto, the template, and each group of loaded maps.
fn list_retinotopy(mut state: ResMut<PlanState>, doc: Res<SceneDoc>, mut seen: Local<u64>) {
    if *seen == doc.0.color_rev && !state.retinotopy_choices.is_empty() {
        return;
    }
    *seen = doc.0.color_rev;
    let mut choices = vec![
        (
            "auto".to_string(),
            "auto (loaded maps, else the template)".to_string(),
        ),
        ("template".to_string(), "approximate template".to_string()),
    ];
    for g in crate::percept::maps::layer_groups(&doc.0) {
        let value = if g.prefix.is_empty() || g.varea.is_none() {
            g.spec()
        } else {
            g.prefix.clone()
        };
        let label = if g.varea.is_some() {
            g.label()
        } else {
            format!("{} (no varea: cannot plan)", g.label())
        };
        choices.push((value, label));
    }
    if state.retinotopy_choices != choices {
        state.retinotopy_choices = choices;
    }
}

/// A new subject (or other surfaces) makes the prepared problem meaningless: drop it, and
/// prepare again if electrodes were shown.
fn drop_stale_problem(
    mut state: ResMut<PlanState>,
    doc: Res<SceneDoc>,
    mut cmds: MessageWriter<PlanCommand>,
) {
    let Some(key) = &state.prepared_on else {
        return;
    };
    if same_scene(key, &doc.0) || state.running {
        return;
    }
    let had_layout = state.layout.is_some();
    state.prepared_on = None;
    state.problem = None;
    state.layout = None;
    state.contacts.clear();
    state.curve.clear();
    state.scores = None;
    state.mask = None;
    state.layout_rev += 1;
    if had_layout && !doc.0.hemis.is_empty() {
        cmds.write(PlanCommand::Prepare);
    }
}

#[derive(Component)]
struct ElectrodeMarker(usize);

#[derive(Resource)]
struct MarkerAssets {
    mesh: Handle<Mesh>,
    active: Handle<StandardMaterial>,
    inactive: Handle<StandardMaterial>,
    violating: Handle<StandardMaterial>,
}

pub struct PlanningPlugin {
    /// Open the panel and run the default plan as soon as the scene is loaded (`view --plan`).
    pub autostart: bool,
    /// `view --plan --drag-bench N`
    pub drag_bench: Option<u32>,
    /// `view --plan-config FILE` (None: the bundled configuration)
    pub config: Option<PlanConfig>,
    /// overrides of `[scene] retinotopy`, `vessels`, `areas`
    pub scene: (Option<String>, Option<String>, Option<Vec<String>>),
}

/// `--drag-bench`: frames still to drag, when it started, time spent resolving layouts.
#[derive(Resource)]
struct DragBench {
    frames: u32,
    done: u32,
    start: Option<std::time::Instant>,
    origin: (f64, f64),
    update_ms: f64,
    percept_ms: f64,
    /// the last percept seen, how many arrived and how many differed from the one before
    last: Vec<f32>,
    changed: u32,
    percepts: u32,
    /// the percept revision last counted; the seconds the drag frames took
    rev: u64,
    drawn: Option<f64>,
}

/// `view --plan`: run once the scene is there; hold exit screenshots until the run is done.
#[derive(Resource)]
struct AutoPlan {
    pending: bool,
    holding: bool,
}

/// Only the electrode markers of a [`PlanState`] (the `render` command: no planning, no
/// dragging).
pub struct MarkersPlugin;

impl Plugin for MarkersPlugin {
    fn build(&self, app: &mut App) {
        if !app.world().contains_resource::<PlanState>() {
            app.init_resource::<PlanState>();
        }
        app.add_systems(Startup, setup).add_systems(
            PostUpdate,
            draw_electrodes.before(TransformSystems::Propagate),
        );
    }
}

/// Put a saved plan (a session's) into `state`: its configuration, the problem rebuilt on the
/// scene (which then shows the plan's vessels), and its layout.
pub fn restore_plan(
    state: &mut PlanState,
    ps: &crate::session::PlanSession,
    doc: &mut SceneDoc,
) -> Result<(), String> {
    state.config = ps.config.clone();
    prepare(state, doc)?;
    if let Some(l) = &ps.layout {
        state.set_layout(l.clone());
    }
    state.show_electrodes = ps.show_electrodes;
    Ok(())
}

/// What a session records of the plan (None when nothing is planned).
pub fn plan_session(state: &PlanState) -> Option<crate::session::PlanSession> {
    state.layout.as_ref().map(|l| crate::session::PlanSession {
        config: state.config.clone(),
        layout: Some(l.clone()),
        show_electrodes: state.show_electrodes,
    })
}

impl Plugin for PlanningPlugin {
    fn build(&self, app: &mut App) {
        let mut state = PlanState::default();
        if let Some(c) = &self.config {
            state.config = c.clone();
        }
        let (r, v, a) = &self.scene;
        if let Some(r) = r {
            state.config.scene.retinotopy = r.clone();
        }
        if let Some(v) = v {
            state.config.scene.vessels = v.clone();
        }
        if let Some(a) = a {
            state.config.scene.areas = a.clone();
        }
        app.insert_resource(state)
            .insert_resource(AutoPlan {
                pending: self.autostart,
                holding: false,
            })
            .insert_resource(DragBench {
                frames: self.drag_bench.unwrap_or(0),
                done: 0,
                start: None,
                origin: (0.0, 0.0),
                update_ms: 0.0,
                percept_ms: 0.0,
                last: Vec::new(),
                changed: 0,
                percepts: 0,
                rev: 0,
                drawn: None,
            })
            .insert_resource(LivePercept::start())
            .init_resource::<DragFreeze>()
            .add_message::<PlanCommand>()
            .add_systems(Startup, setup)
            .add_systems(
                Update,
                drag_bench.after(refresh_percept).before(freeze_for_drag),
            )
            .add_systems(
                Update,
                (
                    list_retinotopy,
                    drop_stale_problem,
                    autostart,
                    handle_commands,
                    poll_worker,
                    drag_electrode,
                    refresh_percept,
                    freeze_for_drag,
                    feed_vessel_view,
                )
                    .chain(),
            )
            .add_systems(
                PostUpdate,
                draw_electrodes.before(TransformSystems::Propagate),
            );
    }
}

fn setup(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut mats: ResMut<Assets<StandardMaterial>>,
) {
    let unlit = |[r, g, b]: [u8; 3]| StandardMaterial {
        base_color: Color::srgb_u8(r, g, b),
        unlit: true,
        ..default()
    };
    commands.insert_resource(MarkerAssets {
        mesh: meshes.add(Sphere::new(MARKER_RADIUS_MM).mesh().ico(2).unwrap()),
        active: mats.add(unlit(MARKER_RGB[1])),
        inactive: mats.add(unlit(MARKER_RGB[2])),
        violating: mats.add(unlit(MARKER_RGB[0])),
    });
}

fn autostart(
    mut auto: ResMut<AutoPlan>,
    mut state: ResMut<PlanState>,
    doc: Res<SceneDoc>,
    loading: Res<super::shared::Loading>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut cmds: MessageWriter<PlanCommand>,
) {
    if auto.pending && !doc.0.hemis.is_empty() && loading.pending.is_empty() {
        auto.pending = false;
        auto.holding = true;
        hold.0 += 1;
        state.reveal_panel = true;
        cmds.write(PlanCommand::Run);
    } else if auto.holding && !state.running && state.rx.is_none() && !state.curve.is_empty() {
        auto.holding = false;
        hold.0 = hold.0.saturating_sub(1);
    }
}

fn prepare(state: &mut PlanState, doc: &mut SceneDoc) -> Result<(), String> {
    let cfg = state.config.clone();
    cfg.validate()?;
    let areas = cfg.areas()?;
    let hemis = plan::hemispheres(
        &doc.0,
        &cfg.scene.hemispheres,
        &cfg.scene.retinotopy,
        &areas,
    )?;
    state.retinotopy = plan::retinotopy_note(&hemis);
    state.coordinates = plan::coordinates(&doc.0);
    state.prepared_on = Some(scene_key(&doc.0));
    state.field_cloud = hemis
        .iter()
        .flat_map(|h| h.domain.target_field_points())
        .collect();
    state.uv = hemis
        .iter()
        .map(|h| (h.hemi, h.domain.uv.clone()))
        .collect();
    // The vessels avoided are the vessels shown: a graph the user loaded into the scene wins;
    // otherwise the configuration's (generated with its seed, a graph file or a mask volume),
    // which then replaces what the scene shows.
    let scene_graph = doc.0.vessels.as_ref().map(|v| v.graph.clone());
    let (avoid, vessels): (Option<Vessels>, Option<Arc<VesselGraph>>) =
        match (&scene_graph, cfg.scene.vessels.as_str()) {
            (_, "none") => {
                state.vessels_note = "none".into();
                (None, None)
            }
            (Some(g), _) if !g.generated => {
                state.vessels_note = doc
                    .0
                    .vessels
                    .as_ref()
                    .map_or(String::new(), |v| v.name.clone());
                (
                    Some(Vessels::Graph(VesselIndex::new(g))),
                    scene_graph.clone(),
                )
            }
            // the mask already shown: its distance field is reused, not read and transformed again
            (_, spec) if doc.0.vessel_mask.as_ref().is_some_and(|m| m.name == spec) => {
                let m = doc.0.vessel_mask.as_ref().expect("checked");
                state.vessels_note =
                    format!("{} ({} vessel voxels)", m.name, m.field.vessel_voxels);
                (Some(Vessels::Mask(m.field.clone())), None)
            }
            _ => {
                let (v, note, g) = plan::load_vessels(&cfg, &doc.0)?;
                state.vessels_note = format!("{} ({})", note.source, note.detail);
                (v, g.map(Arc::new))
            }
        };
    state.mask = match &avoid {
        Some(Vessels::Mask(f)) => Some(f.clone()),
        _ => None,
    };
    plan::check_vessels_near(&avoid, &hemis)?;
    // a mask is shown as its wall instead of the generated graph
    match &state.mask {
        Some(f) => {
            let same = doc
                .0
                .vessel_mask
                .as_ref()
                .is_some_and(|m| Arc::ptr_eq(&m.field, f));
            if !same {
                let rev = doc.0.vessel_mask.as_ref().map_or(1, |m| m.rev + 1);
                doc.0.vessel_mask = Some(crate::brain::scene::VesselMaskSet {
                    name: cfg.scene.vessels.clone(),
                    surface: Arc::new(f.isosurface()),
                    field: f.clone(),
                    rev,
                });
            }
            if doc.0.vessels.as_ref().is_some_and(|v| v.graph.generated) {
                doc.0.vessels = None;
            }
        }
        None => doc.0.vessel_mask = None,
    }
    let problem = plan::problem(&cfg, hemis, avoid)?;
    let (_, layout) = problem.start_layout(cfg.device()?, cfg.electrodes.count, &[]);
    if let Some(v) = &vessels
        && !scene_graph.as_ref().is_some_and(|g| Arc::ptr_eq(g, v))
    {
        let rev = doc.0.vessels.as_ref().map_or(1, |s| s.rev + 1);
        doc.0.vessels = Some(crate::brain::scene::VesselSet {
            name: if v.generated {
                format!("generated vessels (seed {})", cfg.scene.vessel_seed)
            } else {
                cfg.scene.vessels.clone()
            },
            graph: v.clone(),
            rev,
        });
    }
    state.vessels = vessels;
    state.problem = Some(Arc::new(problem));
    state.curve.clear();
    state.scores = None;
    state.task = 0;
    state.target = 0;
    state.set_layout(layout);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn handle_commands(
    mut cmds: MessageReader<PlanCommand>,
    mut state: ResMut<PlanState>,
    mut doc: ResMut<SceneDoc>,
    mut notices: MessageWriter<super::shared::Notice>,
    mut poses: MessageWriter<super::camera::SetPose>,
    windows: Query<&Window>,
    inset: Res<super::camera::ViewportInset>,
) {
    let aspect = windows.single().map_or(1.6, |w| {
        (w.width() - inset.left - inset.right).max(1.0)
            / (w.height() - inset.top - inset.bottom).max(1.0)
    });
    for c in cmds.read() {
        let result: Result<Option<String>, String> = match c {
            PlanCommand::Prepare => prepare(&mut state, &mut doc).map(|_| {
                Some(format!(
                    "Planning problem ready (retinotopy: {}; vessels: {})",
                    state.retinotopy, state.vessels_note
                ))
            }),
            PlanCommand::Run => {
                if state.problem.is_none()
                    && let Err(e) = prepare(&mut state, &mut doc)
                {
                    notices.write(super::shared::Notice::error(e));
                    continue;
                }
                let (Some(p), Some(init)) = (state.problem.clone(), state.layout.clone()) else {
                    continue;
                };
                let (tx, rx) = unbounded();
                let stop = Arc::new(AtomicBool::new(false));
                state.stop = stop.clone();
                state.rx = Some(rx);
                state.running = true;
                state.curve.clear();
                let opts = state.config.optimizer.clone();
                let n = state.config.electrodes.count;
                let cfg = state.config.clone();
                let letter = state.preview_letter;
                state.reading_running = cfg.evaluation.reading;
                std::thread::spawn(move || {
                    let t = std::time::Instant::now();
                    let (layout, curve) = p.optimize(&init, &opts, &mut |pr| {
                        let _ = tx.send(Worker::Progress {
                            iteration: pr.iteration,
                            loss: pr.loss,
                            layout: pr.layout.clone(),
                        });
                        !stop.load(Ordering::Relaxed)
                    });
                    let seconds = t.elapsed().as_secs_f64();
                    let scores = Box::new((
                        p.evaluate(&layout),
                        p.evaluate(&p.coverage_layout(layout.device, n)),
                        p.evaluate(&p.random_layout(layout.device, n, opts.seed)),
                    ));
                    let _ = tx.send(Worker::Done {
                        layout: layout.clone(),
                        curve,
                        seconds,
                        scores,
                    });
                    if cfg.evaluation.reading {
                        let r = measure_reading(&p, &cfg, &layout, letter).map(Box::new);
                        let _ = tx.send(Worker::Reading(r));
                    }
                });
                Ok(None)
            }
            PlanCommand::MeasureReading => match (state.problem.clone(), state.layout.clone()) {
                (Some(p), Some(l)) if !state.running && !state.reading_running => {
                    let (tx, rx) = unbounded();
                    state.rx = Some(rx);
                    state.reading_running = true;
                    let cfg = state.config.clone();
                    let letter = state.preview_letter;
                    std::thread::spawn(move || {
                        let r = measure_reading(&p, &cfg, &l, letter).map(Box::new);
                        let _ = tx.send(Worker::Reading(r));
                    });
                    Ok(Some(
                        "Measuring how the layout reads held-out letters…".into(),
                    ))
                }
                (Some(_), Some(_)) => Ok(None),
                _ => Err("prepare a plan first".into()),
            },
            PlanCommand::PreviewLetter(c) => {
                state.preview_letter = *c;
                match (state.problem.clone(), state.reading.clone()) {
                    (Some(p), Some(view)) => {
                        let size = preview_size(&view.report);
                        crate::planning::evaluate::preview(&p, &view.layouts, *c, size).map(
                            |preview| {
                                state.reading = Some(Arc::new(ReadingView {
                                    report: view.report.clone(),
                                    layouts: view.layouts.clone(),
                                    layout: view.layout.clone(),
                                    preview: Some(preview),
                                }));
                                None
                            },
                        )
                    }
                    _ => Ok(None),
                }
            }
            PlanCommand::Stop => {
                state.stop.store(true, Ordering::Relaxed);
                Ok(None)
            }
            PlanCommand::Evaluate => match (state.problem.clone(), state.layout.clone()) {
                (Some(p), Some(l)) => {
                    let device = l.device;
                    let n = state.config.electrodes.count;
                    let seed = state.config.optimizer.seed;
                    state.scores = Some((
                        p.evaluate(&l),
                        p.evaluate(&p.coverage_layout(device, n)),
                        p.evaluate(&p.random_layout(device, n, seed)),
                    ));
                    Ok(None)
                }
                _ => Err("prepare a plan first".into()),
            },
            PlanCommand::ResetToCoverage | PlanCommand::ResetToRandom => {
                match state.problem.clone() {
                    Some(p) => {
                        let device = state.config.device().unwrap_or(Device::Single);
                        let n = state.config.electrodes.count;
                        let l = if matches!(c, PlanCommand::ResetToCoverage) {
                            p.coverage_layout(device, n)
                        } else {
                            p.random_layout(device, n, state.config.optimizer.seed)
                        };
                        state.set_layout(l);
                        state.curve.clear();
                        Ok(None)
                    }
                    None => Err("prepare a plan first".into()),
                }
            }
            PlanCommand::Export(dir) => export(&state, &doc.0, dir).map(Some),
            PlanCommand::Import(path) => import(&mut state, &mut doc, path).map(|m| {
                show_electrodes(&state, &mut doc, aspect, &mut poses);
                Some(m)
            }),
            PlanCommand::ShowElectrodes => {
                if show_electrodes(&state, &mut doc, aspect, &mut poses) {
                    Ok(None)
                } else {
                    Err("no electrode to show: prepare or run a plan".into())
                }
            }
        };
        match result {
            Ok(Some(m)) => {
                notices.write(super::shared::Notice::info(m));
            }
            Ok(None) => {}
            Err(e) => {
                notices.write(super::shared::Notice::error(e));
            }
        }
    }
}

fn export(
    state: &PlanState,
    scene: &crate::brain::scene::Scene,
    dir: &std::path::Path,
) -> Result<String, String> {
    let (Some(p), Some(l)) = (&state.problem, &state.layout) else {
        return Err("nothing to export: prepare or run a plan".into());
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let electrodes = plan::electrodes_of(p, l, &|q| plan::export_point(scene, q));
    let saved = plan::SavedPlan {
        format: "cortexplorer-plan/1".into(),
        coordinates: Some(plan::coordinates(scene)),
        config: state.config.clone(),
        layout: l.clone(),
        electrodes: electrodes.clone(),
    };
    use crate::planning::export as ex;
    ex::write_plan_json(&saved, &dir.join("plan.json"))?;
    let w = |name: &str, bytes: &[u8]| {
        crate::io::atomic_write(&dir.join(name), bytes)
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    w("plan.csv", ex::csv(&electrodes).as_bytes())?;
    w(
        "plan.mrk.json",
        serde_json::to_string_pretty(&ex::slicer_markups(&electrodes, "Cortexplorer plan"))
            .unwrap()
            .as_bytes(),
    )?;
    let (space, description) = plan::bids_space(scene);
    let (tsv, coords) = ex::bids(
        &electrodes,
        l.device.contact_area_mm2(),
        &space,
        &description,
    );
    w("sub-01_electrodes.tsv", tsv.as_bytes())?;
    w(
        "sub-01_coordsystem.json",
        serde_json::to_string_pretty(&coords).unwrap().as_bytes(),
    )?;
    Ok(format!(
        "Plan exported to {} (plan.json, plan.csv, plan.mrk.json, BIDS electrodes/coordsystem; {})",
        dir.display(),
        plan::coordinates(scene)
    ))
}

/// Import a plan (its layout) or points (Slicer markups, BIDS, CSV: in the scene's export
/// space — scanner RAS for a subject with a scanner transform — placed back on the sheet).
fn import(
    state: &mut PlanState,
    doc: &mut SceneDoc,
    path: &std::path::Path,
) -> Result<String, String> {
    use crate::planning::export as ex;
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with("plan.json") || (name.ends_with(".json") && !name.ends_with(".mrk.json")) {
        // the plan's own configuration, the problem rebuilt on this scene, its layout
        let saved = ex::read_plan_json(path)?;
        let session = crate::session::PlanSession {
            config: saved.config.clone(),
            layout: Some(saved.layout.clone()),
            show_electrodes: true,
        };
        restore_plan(state, &session, doc)?;
        return Ok(format!(
            "Plan opened from {} ({} devices)",
            path.display(),
            saved.layout.placements.len()
        ));
    }
    let scene = &doc.0;
    let points = ex::import_points(path)?;
    let p = state
        .problem
        .clone()
        .ok_or("prepare a plan first (imported points are placed on its cortical sheet)")?;
    let mut placements = Vec::new();
    for pt in &points {
        let ras = scene
            .subject
            .as_ref()
            .map_or(pt.ras, |s| s.from_scanner(pt.ras));
        let q = glam::DVec3::from(ras);
        let best = p
            .domains
            .iter()
            .filter_map(|d| {
                d.uv_of_ras(q).map(|(uv, depth)| {
                    (
                        d.hemi,
                        uv,
                        depth,
                        d.locate(uv[0], uv[1])
                            .map(|s| s.at_depth(depth.clamp(0.0, 1.0)).distance(q)),
                    )
                })
            })
            .filter_map(|(h, uv, d, dist)| dist.map(|x| (h, uv, d, x)))
            .min_by(|a, b| a.3.total_cmp(&b.3));
        match best {
            Some((h, uv, d, dist)) if dist < 5.0 => {
                placements.push(crate::planning::electrodes::Placement {
                    hemisphere: h,
                    u: uv[0],
                    v: uv[1],
                    rotation: 0.0,
                    depth: d.clamp(0.05, 0.95),
                    tilt: 0.0,
                })
            }
            _ => {
                return Err(format!(
                    "{}: electrode {} at {:?} is not on the planning surface (outside the brain?)",
                    path.display(),
                    pt.name,
                    pt.ras
                ));
            }
        }
    }
    let n = placements.len();
    state.set_layout(Layout {
        device: Device::Single,
        placements,
    });
    Ok(format!("Imported {n} electrodes from {}", path.display()))
}

fn poll_worker(
    mut state: ResMut<PlanState>,
    mut notices: MessageWriter<super::shared::Notice>,
    mut redraw: MessageWriter<RequestRedraw>,
    mut cmds: MessageWriter<PlanCommand>,
) {
    let Some(rx) = state.rx.clone() else { return };
    // the optimiser runs on a worker thread: keep frames coming so progress shows
    redraw.write(RequestRedraw);
    let mut latest = None;
    while let Ok(msg) = rx.try_recv() {
        match msg {
            Worker::Progress {
                iteration,
                loss,
                layout,
            } => {
                state.iteration = iteration;
                state.curve.push(loss);
                latest = Some(layout);
            }
            Worker::Reading(r) => {
                state.reading_running = false;
                if !state.running {
                    state.rx = None;
                }
                match r {
                    Ok(v) => {
                        let view = *v;
                        if let Some(a) = &view.report.at_coverage_threshold {
                            notices.write(super::shared::Notice::info(format!(
                                "Reading (held-out letters): at {:.2}°, where coverage reads 50%, this layout reads {:.0}% ({:+.1} pp)",
                                a.size_deg,
                                100.0 * a.accuracy.get("percept_aware").copied().unwrap_or(f64::NAN),
                                a.gain_vs_coverage_pp.mean
                            )));
                        }
                        state.reading = Some(Arc::new(view));
                    }
                    Err(e) => {
                        notices.write(super::shared::Notice::error(format!(
                            "reading measurement: {e}"
                        )));
                    }
                }
            }
            Worker::Done {
                layout,
                curve,
                seconds,
                scores,
            } => {
                let n = curve.len();
                state.curve = curve;
                state.scores = Some(*scores);
                state.running = false;
                if !state.reading_running {
                    state.rx = None;
                }
                latest = Some(layout);
                notices.write(super::shared::Notice::info(format!(
                    "Optimisation finished: {n} iterations in {seconds:.1} s"
                )));
                // the result is worth seeing: the camera goes to the electrodes
                cmds.write(PlanCommand::ShowElectrodes);
            }
        }
    }
    if let Some(l) = latest {
        state.set_layout(l);
    }
}

/// What the planner hands the Vessels view: the contacts for "colour by distance to the
/// selected electrode" (the selected device's, or every contact while none is selected), and
/// the keep-out shells (the planner's vessel margin around vessels within 2 mm of a shell
/// reaching a contact), whenever they change.
fn feed_vessel_view(
    state: Res<PlanState>,
    doc: Res<SceneDoc>,
    view: Option<ResMut<super::vessels::VesselView>>,
    mut restyled: Local<Option<std::time::Instant>>,
    freeze: Res<DragFreeze>,
) {
    use crate::brain::vessel_mesh::{Shell, VesselColor};
    let Some(mut view) = view else { return };
    // while a device is dragged the view is frozen (freeze_for_drag): the vessel mesh (shells,
    // distance colours) follows when the pointer rests, and then at most at 4 Hz — rebuilding
    // it every frame would hold the drag to the mesh rebuild's rate
    if state.dragging.is_some()
        && (!freeze.resting || restyled.is_some_and(|t| t.elapsed().as_secs_f64() < 0.25))
    {
        return;
    }
    let rev = view.style_rev;
    // a vessel mask's wall is coloured by distance to the selected electrode from the start
    if doc.0.vessel_mask.is_some()
        && doc.0.vessels.is_none()
        && !matches!(view.style.color, VesselColor::Distance { .. })
    {
        view.style.color = VesselColor::Distance {
            points: Vec::new(),
            max_mm: 3.0,
        };
        view.style_rev += 1;
    }
    let contacts = |device: Option<usize>| -> Vec<[f32; 3]> {
        state
            .contacts
            .iter()
            .filter(|c| c.ras.is_finite() && device.is_none_or(|i| c.device == i))
            .map(|c| c.ras.as_vec3().to_array())
            .collect()
    };
    let margin = state.config.constraints.margin_mm as f32;
    let shell =
        (state.show_margin && state.show_electrodes && !state.contacts.is_empty()).then(|| Shell {
            margin_mm: margin,
            near: contacts(None),
            within_mm: margin + 2.0,
        });
    if view.style.shell != shell {
        view.style.shell = shell;
        view.style_rev += 1;
    }
    if view.style_rev != rev {
        *restyled = Some(std::time::Instant::now());
    }
    let VesselColor::Distance { points, .. } = &view.style.color else {
        return;
    };
    let selected = state
        .selected
        .filter(|&i| state.contacts.iter().any(|c| c.device == i));
    let now = contacts(selected);
    if &now == points {
        return;
    }
    let from = match selected {
        Some(i) => format!("device {i} ({} contact(s))", now.len()),
        None => format!(
            "the nearest of all {} contacts (grab a device to select it)",
            now.len()
        ),
    };
    if let VesselColor::Distance { points, .. } = &mut view.style.color {
        *points = now;
    }
    view.distance_from = Some(from);
    view.style_rev += 1;
    *restyled = Some(std::time::Instant::now());
}

/// Drag mode: press on an electrode, move over the cortex; the electrode follows, the percept
/// updates.
fn drag_electrode(
    buttons: Res<ButtonInput<MouseButton>>,
    mut capture: ResMut<UiCapture>,
    windows: Query<&Window>,
    camera: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    drawn: Res<Drawn>,
    mut state: ResMut<PlanState>,
    mut notices: MessageWriter<super::shared::Notice>,
    doc: Res<SceneDoc>,
) {
    capture.tool = state.drag_mode && state.dragging.is_some();
    if !state.drag_mode || state.running {
        state.dragging = None;
        return;
    }
    let (Ok(window), Ok((cam, cam_tf))) = (windows.single(), camera.single()) else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    if buttons.just_released(MouseButton::Left) {
        state.dragging = None;
        return;
    }
    if buttons.just_pressed(MouseButton::Left) && !capture.pointer {
        // the device whose marker is drawn nearest the pointer on screen
        state.dragging = state
            .contacts
            .iter()
            .filter(|c| c.ras.is_finite() && hemi_shown(&doc, c.hemi))
            .filter_map(|c| {
                let (_, px) = marker_on_screen(&state, cam, cam_tf, c)?;
                Some((c.device, px.distance(cursor)))
            })
            .filter(|(_, d)| *d <= GRAB_PX)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        capture.tool = state.dragging.is_some();
        if let Some(i) = state.dragging {
            state.selected = Some(i);
            notices.write(super::shared::Notice::info(format!("Dragging device {i}")));
        }
        return;
    }
    let Some(super::picking::SurfaceHit { hemi, face, bary }) =
        super::picking::surface_hit(cam, cam_tf, cursor, &drawn, &doc)
    else {
        return;
    };
    let Some(uv) = state.uv.iter().find(|(h, _)| *h == hemi).map(|(_, uv)| uv) else {
        return;
    };
    let c = face.map(|i| uv[i as usize]);
    if c.iter().any(|p| !p[0].is_finite()) {
        return;
    }
    let (u, v) = (
        bary[0] as f64 * c[0][0] + bary[1] as f64 * c[1][0] + bary[2] as f64 * c[2][0],
        bary[0] as f64 * c[0][1] + bary[1] as f64 * c[1][1] + bary[2] as f64 * c[2][1],
    );
    let Some(i) = state.dragging else { return };
    if !buttons.pressed(MouseButton::Left) {
        return;
    }
    let Some(mut l) = state.layout.clone() else {
        return;
    };
    let p = &mut l.placements[i];
    if p.hemisphere != hemi || (p.u == u && p.v == v) {
        return;
    }
    p.u = u;
    p.v = v;
    state.set_layout(l);
}

/// The live percept's worker thread: the frame sends the newest layout and goes on; the
/// worker computes the percept off the render path (a newer request replaces one not yet
/// started) and the frame picks the result up when it is there.
#[derive(Resource)]
struct LivePercept {
    tx: crossbeam_channel::Sender<PerceptJob>,
    rx: Receiver<PerceptDone>,
    /// requests sent and the last one answered (idle when equal)
    sent: u64,
    answered: u64,
}

struct PerceptJob {
    id: u64,
    problem: Arc<Problem>,
    layout: Layout,
    target: Vec<f32>,
}

struct PerceptDone {
    id: u64,
    image: Vec<f32>,
    ms: f64,
}

impl LivePercept {
    fn start() -> Self {
        let (tx, jobs) = unbounded::<PerceptJob>();
        let (done, rx) = unbounded();
        std::thread::Builder::new()
            .name("live-percept".into())
            .spawn(move || {
                while let Ok(mut job) = jobs.recv() {
                    // only the newest layout matters
                    while let Ok(newer) = jobs.try_recv() {
                        job = newer;
                    }
                    let t = std::time::Instant::now();
                    let (image, _) = job.problem.percept(&job.layout, &job.target);
                    let ms = t.elapsed().as_secs_f64() * 1e3;
                    if done
                        .send(PerceptDone {
                            id: job.id,
                            image,
                            ms,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .expect("spawn the live-percept thread");
        LivePercept {
            tx,
            rx,
            sent: 0,
            answered: 0,
        }
    }
    fn idle(&self) -> bool {
        self.sent == self.answered
    }
}

fn refresh_percept(
    mut state: ResMut<PlanState>,
    mut live: ResMut<LivePercept>,
    mut last: Local<(u64, usize, usize)>,
) {
    let key = (state.layout_rev, state.task, state.target);
    if key != *last {
        *last = key;
        if let (Some(problem), Some(layout), Some(target)) = (
            state.problem.clone(),
            state.layout.clone(),
            state.target_pixels().map(|t| t.to_vec()),
        ) {
            live.sent += 1;
            let id = live.sent;
            let _ = live.tx.send(PerceptJob {
                id,
                problem,
                layout,
                target,
            });
        }
    }
    let newest = live.rx.try_iter().last();
    let Some(done) = newest else { return };
    live.answered = done.id;
    let now = std::time::Instant::now();
    state.percept_times.push_back(now);
    while state
        .percept_times
        .front()
        .is_some_and(|t| now.duration_since(*t).as_secs_f64() > 1.0)
    {
        state.percept_times.pop_front();
    }
    state.percept_ms = done.ms;
    state.percept = done.image;
    state.percept_rev += 1;
}

/// The size the read preview shows a letter at: where the coverage layout reads 50 % (else the
/// plan's own threshold, else 3°).
pub fn preview_size(r: &crate::planning::evaluate::ReadingReport) -> f64 {
    r.at_coverage_threshold
        .as_ref()
        .map(|a| a.size_deg)
        .or_else(|| {
            r.layouts
                .get("percept_aware")
                .and_then(|l| l.ideal.threshold_deg)
        })
        .unwrap_or(3.0)
}

/// The reading report of a layout with its preview (on a worker thread: seconds).
fn measure_reading(
    p: &Problem,
    cfg: &PlanConfig,
    layout: &Layout,
    letter: char,
) -> Result<ReadingView, String> {
    use crate::planning::evaluate::{self, Depth, Layouts};
    let layouts = Layouts::standard(p, layout, cfg.optimizer.seed, &cfg.wedge()?, &[]);
    let depth = if cfg.evaluation.full {
        Depth::Full
    } else {
        Depth::Main
    };
    let report = evaluate::report(p, layout, &layouts, &cfg.evaluation.observer, depth, &[])?;
    let preview = evaluate::preview(p, &layouts, letter, preview_size(&report))?;
    Ok(ReadingView {
        report,
        layouts,
        layout: layout.clone(),
        preview: Some(preview),
    })
}

/// Frame the electrodes (see [`crate::brain::view::electrodes_pose`]); with one hemisphere
/// planned the other is hidden so its medial side can be seen. False when there is nothing.
fn show_electrodes(
    state: &PlanState,
    doc: &mut SceneDoc,
    aspect: f32,
    poses: &mut MessageWriter<super::camera::SetPose>,
) -> bool {
    let points: Vec<Vec3> = state
        .contacts
        .iter()
        .filter(|c| c.ras.is_finite())
        .map(|c| marker_ras(state, c))
        .collect();
    let has = |h: Hemisphere| {
        state
            .contacts
            .iter()
            .any(|c| c.hemi == h && c.ras.is_finite())
    };
    let (left, right) = (has(Hemisphere::Left), has(Hemisphere::Right));
    let Some((focus, yaw, pitch, radius)) =
        crate::brain::view::electrodes_pose(&points, left, right, aspect, 50.0)
    else {
        return false;
    };
    match (left, right) {
        (true, false) => doc.0.view.show_only(Some(Hemisphere::Left)),
        (false, true) => doc.0.view.show_only(Some(Hemisphere::Right)),
        _ => doc.0.view.show_only(None),
    }
    poses.write(super::camera::SetPose {
        pose: crate::session::CameraPose {
            focus: focus.to_array(),
            yaw,
            pitch,
            radius,
        },
        smooth: true,
    });
    true
}

/// Moves device 0 one step around a 3 mm circle per frame, the way `drag_electrode` moves a
/// device under the mouse (new layout → contacts resolved → percept requested from the
/// live-percept worker), then reports how many drag updates per second the window drew and how
/// many live percepts arrived.
fn drag_bench(
    mut bench: ResMut<DragBench>,
    mut state: ResMut<PlanState>,
    live: Res<LivePercept>,
    hold: Res<super::shared::CaptureHold>,
    mut exit: MessageWriter<AppExit>,
    motion: Option<Res<super::motion::MotionResolution>>,
) {
    // the reading report the run starts is measured in the background: wait for it, so the
    // figure is the drag's alone
    if bench.frames == 0 || hold.0 > 0 || state.running || state.reading_running {
        return;
    }
    // and for the camera to settle on the electrodes (it glides there after the run, starting
    // a frame or two after it), as a hand would
    if bench.start.is_none() && motion.as_ref().is_some_and(|m| m.still_frames() < 30) {
        return;
    }
    let Some(mut l) = state.layout.clone() else {
        return;
    };
    if bench.start.is_none() {
        // the state a press on device 0's marker leaves (drag_electrode)
        state.drag_mode = true;
        state.dragging = Some(0);
        state.selected = Some(0);
        bench.start = Some(std::time::Instant::now());
        bench.origin = (l.placements[0].u, l.placements[0].v);
        bench.rev = state.percept_rev;
    }
    if state.percept_rev != bench.rev {
        // a percept of this drag arrived (refresh_percept picked it up)
        bench.rev = state.percept_rev;
        bench.percept_ms += state.percept_ms;
        bench.percepts += 1;
        if state.percept != bench.last {
            bench.changed += 1;
            bench.last.clone_from(&state.percept);
        }
    }
    if bench.done == bench.frames {
        let elapsed = bench
            .start
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let s = *bench.drawn.get_or_insert(elapsed);
        // the last percepts may still be on the worker: wait for them (at most 10 s)
        let waited = elapsed - s;
        if !live.idle() && waited < 10.0 {
            return;
        }
        let total = s + waited;
        let n = bench.frames as f64;
        // the percept shown at the end is the final layout's (computed here again to check)
        let current = match (&state.problem, &state.layout, state.target_pixels()) {
            (Some(p), Some(l), Some(t)) => live.idle() && p.percept(l, t).0 == state.percept,
            _ => false,
        };
        println!(
            "{}",
            serde_json::json!({
                "drag_frames": bench.frames,
                "electrodes": state.contacts.len(),
                "updates_per_s": n / s,
                "percepts_per_s": bench.percepts as f64 / total,
                "mean_frame_ms": s * 1e3 / n,
                "mean_resolve_ms": bench.update_ms / n,
                "mean_percept_ms": bench.percept_ms / (bench.percepts.max(1) as f64),
                "percepts": bench.percepts,
                "percepts_changed": bench.changed,
                "final_percept_current": current,
                "frozen_frames": motion.as_ref().map_or(0, |m| m.frozen_frames),
                "scene_draws_while_frozen": motion.as_ref().map_or(0, |m| m.frozen_draws),
            })
        );
        bench.frames = 0;
        exit.write(AppExit::Success);
        return;
    }
    let a = bench.done as f64 * 0.2;
    l.placements[0].u = bench.origin.0 + 3.0 * a.cos();
    l.placements[0].v = bench.origin.1 + 3.0 * a.sin();
    let t = std::time::Instant::now();
    state.set_layout(l);
    bench.update_ms += t.elapsed().as_secs_f64() * 1e3;
    bench.done += 1;
}

/// Where a contact's marker is drawn (RAS mm). Contacts sit inside grey matter, under the pial
/// surface that hides them; the marker shows the contact's cortical column where it meets the
/// pial surface (lifted 0.3 mm).
fn marker_ras(state: &PlanState, c: &Resolved) -> Vec3 {
    let column = state.problem.as_ref().and_then(|p| {
        let d = p.domains.iter().find(|d| d.hemi == c.hemi)?;
        let sp = d.locate(c.u, c.v)?;
        Some(sp.pial + (sp.pial - sp.white).normalize_or_zero() * 0.3)
    });
    let at = column.unwrap_or(c.ras);
    Vec3::new(at.x as f32, at.y as f32, at.z as f32)
}

/// Whether electrode markers are drawn: they sit at RAS positions, which are the drawn
/// positions only on the anatomical surfaces, uninflated.
fn markers_shown(state: &PlanState, doc: &SceneDoc) -> bool {
    let kind_ok = matches!(
        doc.0.view.surface,
        crate::brain::SurfaceKind::Pial | crate::brain::SurfaceKind::White
    );
    state.show_electrodes && kind_ok && doc.0.view.inflate == 0.0
}

/// The marker colours (sRGB): within the vessel margin, active, inactive.
const MARKER_RGB: [[u8; 3]; 3] = [[255, 26, 26], [255, 217, 26], [115, 115, 128]];

/// How a drag holds the view still: the layout revision last seen, since when it is unchanged,
/// whether vessel geometry was being built.
#[derive(Resource, Default)]
pub struct DragFreeze {
    rev: u64,
    since: Option<std::time::Instant>,
    /// frames drawn since the layout last changed
    still_frames: u32,
    building: bool,
    /// the pointer has rested (no layout change for [`REST_S`] and [`REST_FRAMES`]): slow work
    /// may follow it
    pub resting: bool,
}

/// Seconds without a layout change after which a drag counts as resting …
const REST_S: f64 = 0.2;
/// … and as many frames at least: on a machine slower than a frame per 0.2 s a moving drag is
/// not taken for a rest.
const REST_FRAMES: u32 = 2;

/// While a device is dragged, the 3D view is frozen (`app::motion`): drawn once, then shown
/// from an image while the dragged device's contacts move over it as dots, so a drag frame
/// costs the panels and the live percept, not the scene (on lavapipe the scene is ~100 ms a
/// frame with vessels, shells and markers). When the pointer rests ([`REST_S`]) the vessels
/// restyle (`feed_vessel_view`) and the frozen view is drawn again once they are rebuilt; on
/// release the scene is drawn live again.
fn freeze_for_drag(
    state: Res<PlanState>,
    doc: Res<SceneDoc>,
    motion: Option<ResMut<super::motion::MotionResolution>>,
    camera: Query<(&Camera, &GlobalTransform), With<MainCamera>>,
    view: Option<Res<super::vessels::VesselView>>,
    mut freeze: ResMut<DragFreeze>,
    mut redraw: MessageWriter<RequestRedraw>,
) {
    let Some(mut motion) = motion else { return };
    let Some(device) = state.dragging else {
        if motion.freeze {
            motion.freeze = false;
            motion.overlay.clear();
        }
        freeze.since = None;
        freeze.resting = false;
        return;
    };
    motion.freeze = true;
    let now = std::time::Instant::now();
    if freeze.since.is_none() || freeze.rev != state.layout_rev {
        freeze.rev = state.layout_rev;
        freeze.since = Some(now);
        freeze.still_frames = 0;
        freeze.resting = false;
    } else if !freeze.resting {
        freeze.still_frames += 1;
        if freeze.still_frames >= REST_FRAMES
            && freeze
                .since
                .is_some_and(|t| (now - t).as_secs_f64() >= REST_S)
        {
            freeze.resting = true;
            motion.refresh = true;
        }
    }
    // vessel geometry rebuilt while frozen (after a rest): draw the view again
    let building = view.as_ref().is_some_and(|v| v.building);
    if freeze.building && !building {
        motion.refresh = true;
    }
    freeze.building = building;
    // a pointer held still sends no events: keep frames coming until the rest has been seen
    // and the vessels rebuilt (the desktop app otherwise draws only on input)
    if !freeze.resting || building || motion.refresh {
        redraw.write(RequestRedraw);
    }
    motion.overlay.clear();
    let Ok((cam, cam_tf)) = camera.single() else {
        return;
    };
    if !markers_shown(&state, &doc) {
        return;
    }
    let margin = state.problem.as_ref().map(|p| p.margin_mm).unwrap_or(1.0);
    // the marker spheres' radius (setup), seen at the contact's distance
    let side = cam_tf.right().as_vec3() * MARKER_RADIUS_MM;
    let dots = state
        .contacts
        .iter()
        .filter(|c| c.device == device && c.ras.is_finite() && hemi_shown(&doc, c.hemi))
        .filter_map(|c| {
            let (at, px) = marker_on_screen(&state, cam, cam_tf, c)?;
            let edge = cam.world_to_viewport(cam_tf, at + side).ok()?;
            let rgb = if c.vessel_mm.is_some_and(|d| d < margin) {
                MARKER_RGB[0]
            } else if c.active() {
                MARKER_RGB[1]
            } else {
                MARKER_RGB[2]
            };
            // edge is relative to the camera's viewport, px to the window
            let offset = cam.logical_viewport_rect().map_or(Vec2::ZERO, |r| r.min);
            Some(super::motion::OverlayDot {
                at: px,
                radius: (px - offset).distance(edge).max(1.5),
                rgb,
            })
        })
        .collect();
    motion.overlay = dots;
}

/// Whether a hemisphere is shown.
fn hemi_shown(doc: &SceneDoc, h: Hemisphere) -> bool {
    doc.0.view.show.get(&h).copied().unwrap_or(true)
}

/// A contact's marker in the world and where it is seen in the window (logical px), when the
/// camera sees it.
fn marker_on_screen(
    state: &PlanState,
    cam: &Camera,
    cam_tf: &GlobalTransform,
    c: &Resolved,
) -> Option<(Vec3, Vec2)> {
    let at = ras_to_world().transform_point(marker_ras(state, c));
    // world_to_viewport gives coordinates relative to the camera's viewport
    let offset = cam.logical_viewport_rect().map_or(Vec2::ZERO, |r| r.min);
    Some((at, cam.world_to_viewport(cam_tf, at).ok()? + offset))
}

/// Radius of an electrode marker's sphere (mm).
const MARKER_RADIUS_MM: f32 = 0.6;

/// Largest distance (logical px) between the pointer and a marker that still grabs it.
const GRAB_PX: f32 = 12.0;

/// What the markers were last drawn for: layout revision, shown, inflation, hemispheres shown,
/// the device drawn over a frozen view instead.
type MarkerKey = (u64, bool, f32, (bool, bool), Option<usize>);

fn draw_electrodes(
    mut commands: Commands,
    state: Res<PlanState>,
    assets: Res<MarkerAssets>,
    root: Single<Entity, With<BrainRoot>>,
    mut markers: Query<(
        Entity,
        &ElectrodeMarker,
        &mut Transform,
        &mut MeshMaterial3d<StandardMaterial>,
    )>,
    mut last: Local<MarkerKey>,
    doc: Res<SceneDoc>,
    motion: Option<Res<super::motion::MotionResolution>>,
) {
    let inflate = doc.0.view.inflate;
    let shown = |h: Hemisphere| hemi_shown(&doc, h);
    // a dragged device over a frozen view is drawn by egui (freeze_for_drag), not here
    let overlaid = state.dragging.filter(|_| motion.is_some_and(|m| m.freeze));
    let key = (
        state.layout_rev,
        markers_shown(&state, &doc),
        inflate,
        (shown(Hemisphere::Left), shown(Hemisphere::Right)),
        overlaid,
    );
    if key == *last {
        return;
    }
    *last = key;
    let margin = state.problem.as_ref().map(|p| p.margin_mm).unwrap_or(1.0);
    // contact index → (position, material) of every marker to draw
    let wanted: Vec<(usize, Vec3, Handle<StandardMaterial>)> = if key.1 {
        state
            .contacts
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.ras.is_finite() && shown(c.hemi) && overlaid.is_none_or(|d| c.device != d)
            })
            .map(|(i, c)| {
                let mat = if c.vessel_mm.is_some_and(|d| d < margin) {
                    &assets.violating
                } else if c.active() {
                    &assets.active
                } else {
                    &assets.inactive
                };
                (i, marker_ras(&state, c), mat.clone())
            })
            .collect()
    } else {
        Vec::new()
    };
    // a drag moves markers: update them in place (spawning a hundred entities per frame would
    // cost the drag its frame rate); respawn only when the set of markers changes
    let mut slot = vec![None; state.contacts.len()];
    for (k, w) in wanted.iter().enumerate() {
        slot[w.0] = Some(k);
    }
    let same: bool = markers.iter().count() == wanted.len()
        && markers
            .iter()
            .all(|(_, m, _, _)| slot.get(m.0).is_some_and(|s| s.is_some()));
    if same {
        for (_, m, mut t, mut mat) in &mut markers {
            if let Some((_, pos, h)) = slot[m.0].map(|k| &wanted[k]) {
                if t.translation != *pos {
                    t.translation = *pos;
                }
                if mat.0 != *h {
                    mat.0 = h.clone();
                }
            }
        }
        return;
    }
    for (e, ..) in &markers {
        commands.entity(e).despawn();
    }
    for (i, pos, mat) in wanted {
        let child = commands
            .spawn((
                ElectrodeMarker(i),
                Mesh3d(assets.mesh.clone()),
                MeshMaterial3d(mat),
                Transform::from_translation(pos),
            ))
            .id();
        commands.entity(*root).add_child(child);
    }
}
