//! Sessions in the viewer: Save (Ctrl+S), Save As, Open (a session file through File→Open,
//! drag and drop or the command line), an autosave every N seconds and on exit, and crash
//! recovery (README, "Sessions").
//!
//! * What is stored and how is [`crate::session`]'s business; this module gathers the app's
//!   part (camera, simulation, plan, pinned traces, panels, bookmarks, tours, caption) and puts
//!   it back.
//! * Opening reads and rebuilds the scene on a worker thread (the window stays responsive; the
//!   status line shows it); if it fails, the app keeps what it had and says why.
//! * Autosave: `autosave.json` in the data folder (`$CORTEXPLORER_DATA_DIR`, else
//!   `$XDG_DATA_HOME/cortexplorer`, else `~/.local/share/cortexplorer`), every
//!   `$CORTEXPLORER_AUTOSAVE_S` seconds (default 60; 0 turns it off) when something changed, and
//!   on a clean exit. A `running.lock` file holds the process id while the app runs; at start, a
//!   lock left by a process that is gone means the last run crashed or was killed, and the app
//!   offers to restore the autosave (`view --restore-autosave` accepts at once).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bevy::prelude::*;
use crossbeam_channel::{Receiver, bounded};

use super::activity::ActivityState;
use super::camera::{CameraNow, SetPose};
use super::planning::PlanState;
use super::shared::{Notice, SceneDoc};
use super::timeline::Playback;
use crate::brain::scene::Scene;
use crate::session::{CameraPose, Session, SimulationState, Tour};

/// Ask for a session operation.
#[derive(Message, Clone, Debug)]
pub enum SessionCommand {
    /// Save to the current session file (Save As when there is none yet).
    Save,
    SaveAs(PathBuf),
    Open(PathBuf),
    /// Restore the autosave offered after a crash.
    RestoreAutosave,
    /// Forget the offered autosave.
    DiscardAutosave,
    /// Render the current view offscreen at any size (larger than the window), optionally on a
    /// transparent background: the state goes into a temporary session that a `render`
    /// process draws, so the picture is what `render --session` gives.
    ExportImage {
        path: PathBuf,
        width: u32,
        height: u32,
        transparent: bool,
    },
}

/// What the panels show and edit of sessions and the presenter's state.
#[derive(Resource)]
pub struct SessionState {
    /// the session file being edited (Save writes here)
    pub path: Option<PathBuf>,
    pub autosave_every_s: f64,
    /// an autosave left by a run that did not end cleanly, offered for restore
    pub recovery: Option<PathBuf>,
    pub bookmarks: BTreeMap<u8, CameraPose>,
    pub tours: Vec<Tour>,
    pub caption: Option<String>,
    /// panels open, by name (the UI keeps this in step; a restored session sets it)
    pub panels: BTreeMap<String, bool>,
    /// bumped when a session is restored (the UI then applies `panels`)
    pub restored_rev: u64,
    /// ask the UI for a path (Save As with no dialog)
    pub want_save_as: bool,
    /// a session being opened on the worker thread, and what
    loading: Option<(String, Receiver<Opened>)>,
    last_autosave: Instant,
    /// a cheap fingerprint of what an autosave would hold, to skip unchanged autosaves
    last_saved_key: Option<u64>,
    data_dir: Option<PathBuf>,
    restore_at_start: bool,
    /// image exports running in a `render` process
    exports: Vec<Receiver<Result<String, String>>>,
}

impl SessionState {
    pub fn opening(&self) -> Option<&str> {
        self.loading.as_ref().map(|l| l.0.as_str())
    }
}

type Opened = Result<(Session, Scene, Vec<String>, PathBuf), String>;

/// Where autosave and the lock live.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CORTEXPLORER_DATA_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("cortexplorer"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/cortexplorer"))
}

pub fn autosave_path(dir: &Path) -> PathBuf {
    dir.join("autosave.json")
}

fn lock_path(dir: &Path) -> PathBuf {
    dir.join("running.lock")
}

/// Is a process with this id running? (Linux: `/proc/<pid>`; elsewhere assumed alive, so no
/// restore is offered by mistake.)
fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    if Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The autosave of a run that did not end cleanly (its lock is there, its process is gone).
pub fn pending_recovery() -> Option<PathBuf> {
    let d = data_dir()?;
    let text = std::fs::read_to_string(lock_path(&d)).ok()?;
    let pid: i32 = text.trim().parse().unwrap_or(0);
    let auto = autosave_path(&d);
    (!pid_alive(pid) && auto.exists()).then_some(auto)
}

pub struct SessionPlugin {
    /// open this session at start
    pub open: Option<PathBuf>,
    /// accept the crash-recovery offer at once
    pub restore_autosave: bool,
}

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        let every = std::env::var("CORTEXPLORER_AUTOSAVE_S")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(60.0);
        let dir = data_dir();
        let recovery = pending_recovery();
        if let Some(d) = &dir
            && std::fs::create_dir_all(d).is_ok()
        {
            let _ = std::fs::write(lock_path(d), std::process::id().to_string());
        }
        app.insert_resource(SessionState {
            path: None,
            autosave_every_s: every,
            recovery,
            bookmarks: BTreeMap::new(),
            tours: Vec::new(),
            caption: None,
            panels: BTreeMap::new(),
            restored_rev: 0,
            want_save_as: false,
            loading: None,
            last_autosave: Instant::now(),
            last_saved_key: None,
            data_dir: dir,
            restore_at_start: self.restore_autosave,
            exports: Vec::new(),
        })
        .add_message::<SessionCommand>()
        .add_systems(Startup, {
            let open = self.open.clone();
            move |mut cmds: MessageWriter<SessionCommand>, mut st: ResMut<SessionState>| {
                if let Some(p) = &open {
                    cmds.write(SessionCommand::Open(p.clone()));
                } else if st.restore_at_start && st.recovery.is_some() {
                    st.restore_at_start = false;
                    cmds.write(SessionCommand::RestoreAutosave);
                }
            }
        })
        .add_systems(Update, (handle_commands, poll_open, autosave).chain())
        .add_systems(Last, on_exit.after(super::capture::gui_bench));
    }
}

/// What a session captures of the app (read only).
#[derive(bevy::ecs::system::SystemParam)]
pub struct Captured<'w> {
    doc: Res<'w, SceneDoc>,
    now: Res<'w, CameraNow>,
    activity: Res<'w, ActivityState>,
    plan: Res<'w, PlanState>,
    playback: Res<'w, Playback>,
    tracts: Res<'w, super::tracts::TractView>,
}

impl Captured<'_> {
    /// Gather and write the whole state to `path`; the notes say what could not be stored.
    fn save(&self, path: &Path, st: &SessionState) -> Result<Vec<String>, String> {
        let (s, blobs, notes) = gather(path, self, st);
        crate::session::save(path, &s, &blobs)?;
        Ok(notes)
    }

    /// The autosave (in the data folder).
    fn autosave(&self, st: &SessionState) -> Result<(), String> {
        let Some(dir) = &st.data_dir else {
            return Err("no data folder (set HOME or CORTEXPLORER_DATA_DIR)".into());
        };
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        self.save(&autosave_path(dir), st).map(|_| ())
    }
}

/// The app's whole state as a session for `path` (and the data files it refers to).
fn gather(
    path: &Path,
    c: &Captured,
    st: &SessionState,
) -> (Session, Vec<crate::session::Blob>, Vec<String>) {
    let (activity, plan, playback) = (&*c.activity, &*c.plan, &*c.playback);
    let (mut s, mut blobs, notes) = Session::from_scene(&c.doc.0, path);
    s.camera = c.now.0;
    s.pinned = playback.pinned.clone();
    s.plan = super::planning::plan_session(plan);
    s.simulation = activity.sim.as_ref().map(|sim| {
        let n = sim.state.len();
        SimulationState {
            model: activity.model.clone(),
            values: activity.values.clone(),
            speed: activity.speed,
            running: activity.running,
            t: sim.gpu.as_ref().map_or(sim.t, |g| g.read_t),
            dt: sim.dt,
            state: Some(Session::blob(
                path,
                crate::brain::data::Overlay::new(n, 1, sim.state.clone()),
                &mut blobs,
            )),
        }
    });
    s.panels = st.panels.clone();
    s.bookmarks = st.bookmarks.clone();
    s.tours = st.tours.clone();
    s.caption = st.caption.clone();
    s.tracts = c.doc.0.tracts.as_ref().map(|_| c.tracts.style.clone());
    (s, blobs, notes)
}

/// The state-changing part of the app that autosave watches (revisions and small values).
fn fingerprint(c: &Captured, st: &SessionState) -> u64 {
    use std::hash::{Hash, Hasher};
    let (scene, camera, activity, plan) = (&c.doc.0, c.now.0, &*c.activity, &*c.plan);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        scene.color_rev,
        scene.geometry_rev,
        scene.volume_rev,
        scene.inputs.len(),
    )
        .hash(&mut h);
    if let Some(c) = camera {
        for x in c.focus.iter().chain([c.yaw, c.pitch, c.radius].iter()) {
            x.to_bits().hash(&mut h);
        }
    }
    activity.running.hash(&mut h);
    activity.model.hash(&mut h);
    if let Some(s) = &activity.sim {
        s.t.to_bits().hash(&mut h);
    }
    plan.layout_rev.hash(&mut h);
    (c.tracts.style_rev, scene.objects_rev).hash(&mut h);
    (st.bookmarks.len(), st.tours.len(), &st.caption, &st.panels).hash(&mut h);
    for t in &st.tours {
        t.keyframes.len().hash(&mut h);
    }
    h.finish()
}

fn handle_commands(
    mut cmds: MessageReader<SessionCommand>,
    mut st: ResMut<SessionState>,
    app: Captured,
    mut notices: MessageWriter<Notice>,
) {
    for c in cmds.read() {
        match c {
            SessionCommand::Save | SessionCommand::SaveAs(_) => {
                let path = match c {
                    SessionCommand::SaveAs(p) => p.clone(),
                    _ => match &st.path {
                        Some(p) => p.clone(),
                        None => {
                            st.want_save_as = true;
                            continue;
                        }
                    },
                };
                match app.save(&path, &st) {
                    Ok(notes) => {
                        notices.write(Notice::info(format!("Session saved to {}", path.display())));
                        for n in notes {
                            notices.write(Notice::warn(n));
                        }
                        st.path = Some(path);
                    }
                    Err(e) => {
                        notices.write(Notice::error(format!("Session not saved: {e}")));
                    }
                }
            }
            SessionCommand::Open(path) => start_open(&mut st, path.clone(), &mut notices),
            SessionCommand::RestoreAutosave => {
                if let Some(p) = st.recovery.take() {
                    start_open(&mut st, p, &mut notices);
                }
            }
            SessionCommand::DiscardAutosave => {
                st.recovery = None;
            }
            SessionCommand::ExportImage {
                path,
                width,
                height,
                transparent,
            } => {
                let tmp = std::env::temp_dir().join(format!(
                    "cortexplorer-export-{}-{}.json",
                    std::process::id(),
                    st.exports.len()
                ));
                if let Err(e) = app.save(&tmp, &st) {
                    notices.write(Notice::error(format!("Image not exported: {e}")));
                    continue;
                }
                let (tx, rx) = bounded(1);
                let (path, w, h, transparent) = (path.clone(), *width, *height, *transparent);
                std::thread::spawn(move || {
                    let r = (|| {
                        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
                        let mut cmd = std::process::Command::new(exe);
                        cmd.arg("render")
                            .arg("--session")
                            .arg(&tmp)
                            .args(["--width", &w.to_string(), "--height", &h.to_string()])
                            .arg("--out")
                            .arg(&path);
                        if transparent {
                            cmd.arg("--transparent");
                        }
                        let o = cmd.output().map_err(|e| e.to_string())?;
                        let _ = std::fs::remove_file(&tmp);
                        let _ = std::fs::remove_dir_all(tmp.with_extension("data"));
                        if o.status.success() {
                            Ok(format!("Image saved to {} ({w}×{h})", path.display()))
                        } else {
                            let err = String::from_utf8_lossy(&o.stderr);
                            Err(err
                                .lines()
                                .rfind(|l| l.starts_with("cortexplorer:"))
                                .unwrap_or("render failed")
                                .to_string())
                        }
                    })();
                    let _ = tx.send(r);
                });
                st.exports.push(rx);
                notices.write(Notice::info(format!("Rendering {w}×{h}…")));
            }
        }
    }
}

fn start_open(st: &mut SessionState, path: PathBuf, notices: &mut MessageWriter<Notice>) {
    if st.loading.is_some() {
        notices.write(Notice::warn("A session is already being opened"));
        return;
    }
    let (tx, rx) = bounded(1);
    let p = path.clone();
    std::thread::spawn(move || {
        let r = (|| {
            let s = crate::session::read(&p)?;
            let folder = p.parent().unwrap_or(Path::new(".")).to_path_buf();
            let (scene, notes) = crate::session::restore_scene(&s, &folder)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((s, scene, notes, folder))
        })();
        let _ = tx.send(r);
    });
    st.loading = Some((path.display().to_string(), rx));
}

#[allow(clippy::too_many_arguments)]
fn poll_open(
    mut st: ResMut<SessionState>,
    mut doc: ResMut<SceneDoc>,
    mut activity: ResMut<ActivityState>,
    mut plan: ResMut<PlanState>,
    mut playback: ResMut<Playback>,
    mut poses: MessageWriter<SetPose>,
    mut notices: MessageWriter<Notice>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut holding: Local<bool>,
    mut history: ResMut<super::history::History>,
    mut tract_view: ResMut<super::tracts::TractView>,
) {
    // exit screenshots and benchmarks wait for a session being opened
    if st.loading.is_some() != *holding {
        *holding = st.loading.is_some();
        if *holding {
            hold.0 += 1;
        } else {
            hold.0 = hold.0.saturating_sub(1);
        }
    }
    st.exports.retain(|rx| match rx.try_recv() {
        Ok(r) => {
            notices.write(match r {
                Ok(m) => Notice::info(m),
                Err(e) => Notice::error(format!("Image not exported: {e}")),
            });
            false
        }
        Err(crossbeam_channel::TryRecvError::Empty) => true,
        Err(_) => false,
    });
    let Some((what, rx)) = &st.loading else {
        return;
    };
    let Ok(result) = rx.try_recv() else {
        return;
    };
    let what = what.clone();
    st.loading = None;
    let (s, scene, notes, folder) = match result {
        Ok(x) => x,
        Err(e) => {
            notices.write(Notice::error(format!(
                "Session not opened (kept what was shown): {e}"
            )));
            return;
        }
    };
    doc.0 = scene;
    // edits of the scene that was shown cannot be undone into this one
    history.clear();
    for n in notes {
        notices.write(Notice::warn(format!("{what}: {n}")));
    }
    if let Some(c) = s.camera {
        poses.write(SetPose {
            pose: c,
            smooth: false,
        });
    }
    playback.pinned = s.pinned.clone();
    if let Some(t) = &s.tracts {
        tract_view.style = t.clone();
        tract_view.style_rev += 1;
    }
    // the simulation: model, parameters, play state, and its state vector put back on the
    // next step (the rebuilt simulation takes it if the mesh is the same)
    match &s.simulation {
        Some(sim) => {
            if crate::activity::setup::specs(&sim.model).is_ok() {
                activity.choose(&sim.model);
                activity.values = sim.values.clone();
                activity.speed = sim.speed;
                activity.running = sim.running;
                match crate::session::read_state(sim, &folder) {
                    Ok(Some(state)) => activity.restore = Some((state, sim.t)),
                    Ok(None) => {}
                    Err(e) => {
                        notices.write(Notice::warn(format!("{what}: simulation state: {e}")));
                    }
                }
                activity.reset = true;
                activity.keep_layers = true;
            } else {
                notices.write(Notice::warn(format!(
                    "{what}: unknown simulation model {:?}",
                    sim.model
                )));
            }
        }
        None => {
            activity.running = false;
            activity.sim = None;
        }
    }
    match &s.plan {
        Some(ps) => {
            if let Err(e) = super::planning::restore_plan(&mut plan, ps, &mut doc) {
                notices.write(Notice::warn(format!("{what}: plan: {e}")));
            }
        }
        None => {
            plan.layout = None;
            plan.contacts.clear();
            plan.layout_rev += 1;
        }
    }
    st.panels = s.panels.clone();
    st.bookmarks = s.bookmarks.clone();
    st.tours = s.tours.clone();
    st.caption = s.caption.clone();
    st.restored_rev += 1;
    let is_autosave = st
        .data_dir
        .as_ref()
        .is_some_and(|d| Path::new(&what) == autosave_path(d));
    if !is_autosave {
        st.path = Some(PathBuf::from(&what));
    }
    notices.write(Notice::info(format!("Session opened: {what}")));
    eprintln!("cortexplorer: session restored from {what}");
}

fn autosave(mut st: ResMut<SessionState>, app: Captured, mut notices: MessageWriter<Notice>) {
    if st.autosave_every_s <= 0.0
        || st.last_autosave.elapsed().as_secs_f64() < st.autosave_every_s
        || st.loading.is_some()
        || st.recovery.is_some()
        || app.doc.0.hemis.is_empty()
    {
        return;
    }
    st.last_autosave = Instant::now();
    let key = fingerprint(&app, &st);
    if st.last_saved_key == Some(key) {
        return;
    }
    if let Err(e) = app.autosave(&st) {
        notices.write(Notice::warn(format!("Autosave failed: {e}")));
    } else {
        st.last_saved_key = Some(key);
    }
}

/// A clean exit: the last autosave, then the lock goes (the next start offers nothing).
fn on_exit(mut exits: MessageReader<AppExit>, st: Res<SessionState>, app: Captured) {
    if exits.read().count() == 0 {
        return;
    }
    let Some(dir) = &st.data_dir else { return };
    if st.autosave_every_s > 0.0 && !app.doc.0.hemis.is_empty() && st.recovery.is_none() {
        let _ = app.autosave(&st);
    }
    let _ = std::fs::remove_file(lock_path(dir));
}

/// Does this file look like a session (a JSON object naming the session format)?
pub fn is_session_file(p: &Path) -> bool {
    if !p
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return false;
    }
    use std::io::Read;
    let mut head = [0u8; 4096];
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains(crate::session::FORMAT)
}
