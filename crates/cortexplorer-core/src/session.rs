//! Session files: everything a user set up, in one versioned, human-readable JSON file, so that
//! opening it restores the same picture (README, "Sessions").
//!
//! Decisions:
//! * **What is stored.** The scene is stored as the list of its inputs (files, embedded data,
//!   generators, in the order they were added — [`Input`]), replayed on open, plus the state the
//!   user gave it: the layer stack (order, visibility, colour scales, thresholds, frames, label
//!   modes), volumes, the surface and morph, crosshair and selection. The app adds the camera,
//!   the pinned traces, the simulation (model, parameters, speed, play state, time and its full
//!   state vector), the electrode plan (configuration and layout), open panels, camera bookmarks,
//!   tours and the caption.
//! * **Paths** of files are stored relative to the session file's folder when they can be (the
//!   folder can be moved or shared with its data), absolute otherwise.
//! * **Computed data** (simulation state, layers made in the app — ROIs, maps, sampled
//!   simulations) cannot be re-read from an input: their values go into NPY files in
//!   `<session stem>.data/` beside the session, named by a hash of their content. A save writes
//!   the new data files first and the session file last; data files no session refers to any
//!   more are removed only after the session file is in place, so a save that is killed half
//!   way leaves the previous session and everything it refers to intact.
//! * **Atomic writes**: a temporary file in the same folder, written, flushed to disk
//!   (`fsync`), then renamed over the old file ([`crate::io::atomic_write`]).
//! * **Reading validates before it trusts**: size limit ([`MAX_BYTES`]), format name and
//!   version, counts, finite numbers, vertex indices, data files only inside the data folder.
//!   Inputs that are missing on open are skipped with a note (the rest is restored).

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::brain::Hemisphere;
use crate::brain::data::Overlay;
use crate::brain::paint::{LabelMode, OverlayStyle};
use crate::brain::scene::{Input, LayerData, Scene, Selection, ViewSettings};

/// The `format` field of every session file.
pub const FORMAT: &str = "cortexplorer-session";
/// The newest version this program writes and reads.
pub const VERSION: u32 = 1;
/// Largest session file read (settings only; data live beside it).
pub const MAX_BYTES: u64 = 16 << 20;
/// Largest number of entries in any list of a session (layers, keyframes, …).
const MAX_ITEMS: usize = 100_000;

/// An orbit camera: what it looks at, its angles (radians, the panorbit convention) and its
/// distance (mm).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    pub focus: [f32; 3],
    pub yaw: f32,
    pub pitch: f32,
    pub radius: f32,
}

impl CameraPose {
    /// The pose a fraction `t` (0–1) of the way from `self` to `b`: focus linearly, the angles
    /// the shorter way round, the distance geometrically (zooming looks even).
    pub fn lerp(&self, b: &CameraPose, t: f32) -> CameraPose {
        if t.is_nan() || t <= 0.0 {
            return *self;
        }
        if t >= 1.0 {
            return *b;
        }
        let tau = std::f32::consts::TAU;
        let dyaw = (b.yaw - self.yaw + std::f32::consts::PI).rem_euclid(tau) - std::f32::consts::PI;
        let f = |a: f32, b: f32| a + (b - a) * t;
        CameraPose {
            focus: [
                f(self.focus[0], b.focus[0]),
                f(self.focus[1], b.focus[1]),
                f(self.focus[2], b.focus[2]),
            ],
            yaw: self.yaw + dyaw * t,
            pitch: f(self.pitch, b.pitch),
            radius: (self.radius.max(1e-3).ln() * (1.0 - t) + b.radius.max(1e-3).ln() * t).exp(),
        }
    }

    fn check(&self) -> Result<(), String> {
        let ok = self.focus.iter().all(|x| x.is_finite())
            && self.yaw.is_finite()
            && self.pitch.is_finite()
            && self.radius.is_finite()
            && self.radius > 0.0;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "camera pose {self:?} is not finite with a positive radius"
            ))
        }
    }
}

/// One layer of the stack as the user left it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerState {
    pub name: String,
    pub visible: bool,
    /// drawn from the live value buffer (a running simulation)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub live: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<OverlayStyle>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_style: bool,
    #[serde(default)]
    pub frame: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_mode: Option<LabelMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    /// A layer computed in the app: its values per hemisphere, NPY files (relative to the
    /// session's folder).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<Hemisphere, String>,
}

/// A volume on the slices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeState {
    pub name: String,
    pub visible: bool,
    pub style: OverlayStyle,
    #[serde(default)]
    pub frame: usize,
}

/// The activity simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationState {
    pub model: String,
    /// the model's parameters, in the order of `activity::setup::specs`
    pub values: Vec<f64>,
    pub speed: f32,
    pub running: bool,
    /// simulated time (s) and step (s)
    pub t: f64,
    pub dt: f64,
    /// the full state vector (all state variables of every vertex), NPY beside the session
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// The electrode plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSession {
    pub config: crate::planning::plan::PlanConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<crate::planning::optimize::Layout>,
    #[serde(default = "yes")]
    pub show_electrodes: bool,
}

fn yes() -> bool {
    true
}

/// One keyframe of a tour: where the camera is and what is shown, `at_s` seconds after the
/// tour starts. Values not given keep what the previous keyframe set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    pub at_s: f64,
    pub camera: CameraPose,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub visible: BTreeMap<String, bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, f32>,
    #[serde(default)]
    pub inflate: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation_running: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// A named sequence of keyframes, played with smooth interpolation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tour {
    pub name: String,
    pub keyframes: Vec<Keyframe>,
}

/// What a tour shows at one moment (interpolated between its keyframes).
#[derive(Clone, Debug, PartialEq)]
pub struct TourFrame {
    pub camera: CameraPose,
    pub inflate: f32,
    pub visible: BTreeMap<String, bool>,
    pub thresholds: BTreeMap<String, f32>,
    pub simulation_running: Option<bool>,
    pub caption: Option<String>,
}

impl Tour {
    /// A full turn of the camera about its focus (yaw +360°, pitch and distance kept) in
    /// `seconds`, with a keyframe every `1/fps` s so that frames rendered at `fps` land on
    /// keyframes and the turn runs at a constant speed (the easing between keyframes would
    /// otherwise pause it at each one).
    pub fn orbit(name: &str, camera: CameraPose, seconds: f64, fps: f64) -> Tour {
        let n = ((seconds * fps).round() as usize).clamp(4, 100_000);
        let keyframes = (0..=n)
            .map(|i| {
                let f = i as f64 / n as f64;
                let mut c = camera;
                c.yaw = camera.yaw + (std::f64::consts::TAU * f) as f32;
                Keyframe {
                    at_s: seconds * f,
                    camera: c,
                    visible: BTreeMap::new(),
                    thresholds: BTreeMap::new(),
                    inflate: 0.0,
                    simulation_running: None,
                    caption: None,
                }
            })
            .collect();
        Tour {
            name: name.to_string(),
            keyframes,
        }
    }

    /// Length in seconds (the last keyframe's time).
    pub fn duration(&self) -> f64 {
        self.keyframes.last().map_or(0.0, |k| k.at_s)
    }

    /// The state `t` seconds into the tour: camera, morph and thresholds eased (smoothstep)
    /// between the keyframes around `t`; visibility, play state and caption switch at a keyframe
    /// and hold until the next that sets them.
    pub fn at(&self, t: f64) -> Option<TourFrame> {
        let ks = &self.keyframes;
        let first = ks.first()?;
        let mut out = TourFrame {
            camera: first.camera,
            inflate: first.inflate,
            visible: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            simulation_running: None,
            caption: None,
        };
        // the discrete settings: the latest given at or before t
        for k in ks.iter().take_while(|k| k.at_s <= t + 1e-9) {
            out.visible.extend(k.visible.clone());
            out.thresholds.extend(k.thresholds.clone());
            if k.simulation_running.is_some() {
                out.simulation_running = k.simulation_running;
            }
            if k.caption.is_some() {
                out.caption = k.caption.clone();
            }
        }
        let i = ks.iter().rposition(|k| k.at_s <= t).unwrap_or(0);
        let a = &ks[i];
        let Some(b) = ks.get(i + 1) else {
            out.camera = a.camera;
            out.inflate = a.inflate;
            return Some(out);
        };
        let span = (b.at_s - a.at_s).max(1e-9);
        let u = ((t - a.at_s) / span).clamp(0.0, 1.0) as f32;
        let s = u * u * (3.0 - 2.0 * u);
        out.camera = a.camera.lerp(&b.camera, s);
        out.inflate = a.inflate + (b.inflate - a.inflate) * s;
        for (name, vb) in &b.thresholds {
            let va = out.thresholds.get(name).copied().unwrap_or(*vb);
            out.thresholds.insert(name.clone(), va + (vb - va) * s);
        }
        Some(out)
    }
}

/// A session file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub format: String,
    pub version: u32,
    /// program version that wrote it
    #[serde(default)]
    pub written_by: String,
    /// what the scene was built from, in order (file paths relative to the session's folder)
    pub inputs: Vec<Input>,
    pub view: ViewSettings,
    pub layers: Vec<LayerState>,
    #[serde(default)]
    pub volumes: Vec<VolumeState>,
    #[serde(default)]
    pub crosshair: Option<[f64; 3]>,
    #[serde(default)]
    pub selection: Option<(Hemisphere, usize)>,
    /// vertices whose traces are pinned in the Activity panel
    #[serde(default)]
    pub pinned: Vec<(Hemisphere, usize)>,
    #[serde(default)]
    pub camera: Option<CameraPose>,
    #[serde(default)]
    pub simulation: Option<SimulationState>,
    #[serde(default)]
    pub plan: Option<PlanSession>,
    /// which panels are open, by name
    #[serde(default)]
    pub panels: BTreeMap<String, bool>,
    /// camera bookmarks on the keys 1–9
    #[serde(default)]
    pub bookmarks: BTreeMap<u8, CameraPose>,
    #[serde(default)]
    pub tours: Vec<Tour>,
    /// the presenter caption (title line over the view)
    #[serde(default)]
    pub caption: Option<String>,
    /// how the tractogram is drawn (the Tractography window)
    #[serde(default)]
    pub tracts: Option<crate::brain::tracts::TractStyle>,
    /// how each mesh object is drawn, by the object's name (the Objects window)
    #[serde(default)]
    pub objects: BTreeMap<String, crate::brain::objects::ObjectStyle>,
}

/// Values a session refers to by file name (written beside it by [`save`]).
#[derive(Clone, Debug)]
pub struct Blob {
    /// path relative to the session's folder (`<stem>.data/<hash>.npy`)
    pub file: String,
    pub values: Arc<Overlay>,
}

/// The data folder of a session file: `<stem>.data` beside it.
pub fn data_dir_name(session: &Path) -> String {
    let stem = session
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".into());
    format!("{stem}.data")
}

fn blob_name(dir: &str, o: &Overlay) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (o.n_vertices, o.n_frames).hash(&mut h);
    for x in &o.values {
        x.to_bits().hash(&mut h);
    }
    format!("{dir}/{:016x}.npy", h.finish())
}

/// Is this layer re-made by replaying the inputs (every source is an input)?
fn from_inputs(sources: &[String], inputs: &[Input]) -> bool {
    !sources.is_empty()
        && sources.iter().all(|s| {
            inputs.iter().any(|i| match i {
                Input::File { path } => path == s,
                Input::Embedded { name } => s == &format!("embedded:{name}"),
                Input::Subject { path } => Path::new(s).starts_with(path),
                _ => false,
            }) || s.starts_with("generated by Cortexplorer")
        })
}

impl Session {
    /// The scene part of a session (the app fills in camera, simulation, plan, …). Layers
    /// computed in the app get their values as blobs, to be written by [`save`] for a session
    /// file at `path`. Labels computed in the app (other than the demo's) cannot be stored yet
    /// and are listed in the returned notes.
    pub fn from_scene(scene: &Scene, path: &Path) -> (Session, Vec<Blob>, Vec<String>) {
        let dir = data_dir_name(path);
        let mut blobs = Vec::new();
        let mut notes = Vec::new();
        let mut layers = Vec::new();
        for l in &scene.layers {
            let mut st = LayerState {
                name: l.name.clone(),
                visible: l.visible,
                live: l.live,
                style: None,
                auto_style: false,
                frame: 0,
                label_mode: None,
                opacity: None,
                units: l.units.clone(),
                data: BTreeMap::new(),
            };
            let computed = !from_inputs(&l.sources, &scene.inputs);
            match &l.data {
                LayerData::Overlay {
                    per_hemi,
                    style,
                    auto_style,
                    frame,
                } => {
                    st.style = Some(style.clone());
                    st.auto_style = *auto_style;
                    st.frame = *frame;
                    if computed {
                        for (h, o) in per_hemi {
                            let file = blob_name(&dir, o);
                            st.data.insert(*h, file.clone());
                            blobs.push(Blob {
                                file,
                                values: o.clone(),
                            });
                        }
                    }
                }
                LayerData::Labels { mode, opacity, .. } => {
                    st.label_mode = Some(*mode);
                    st.opacity = Some(*opacity);
                    if computed && !scene.inputs.contains(&Input::SelectivityDemo) {
                        notes.push(format!(
                            "layer {:?} (computed labels) is not stored in the session",
                            l.name
                        ));
                        continue;
                    }
                }
            }
            layers.push(st);
        }
        let volumes = scene
            .volumes
            .iter()
            .map(|v| VolumeState {
                name: v.name.clone(),
                visible: v.visible,
                style: v.style.clone(),
                frame: v.frame,
            })
            .collect();
        let session = Session {
            format: FORMAT.into(),
            version: VERSION,
            written_by: format!("cortexplorer {}", env!("CARGO_PKG_VERSION")),
            inputs: scene.inputs.clone(),
            view: scene.view.clone(),
            layers,
            volumes,
            crosshair: scene.crosshair,
            selection: scene.selection.map(|s| (s.hemi, s.vertex)),
            pinned: Vec::new(),
            camera: None,
            simulation: None,
            plan: None,
            panels: BTreeMap::new(),
            bookmarks: BTreeMap::new(),
            tours: Vec::new(),
            caption: None,
            tracts: None,
            objects: scene
                .objects
                .iter()
                .map(|o| (o.name.clone(), o.style.clone()))
                .collect(),
        };
        (session, blobs, notes)
    }

    /// Add a blob of values (e.g. the simulation state) and return its file name.
    pub fn blob(path: &Path, values: Overlay, blobs: &mut Vec<Blob>) -> String {
        let file = blob_name(&data_dir_name(path), &values);
        blobs.push(Blob {
            file: file.clone(),
            values: Arc::new(values),
        });
        file
    }

    /// Check what serde cannot: format, version, sizes, finite numbers, safe data paths.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "format is {:?}, not {FORMAT:?} (not a Cortexplorer session)",
                self.format
            ));
        }
        if self.version == 0 || self.version > VERSION {
            return Err(format!(
                "version {} is not supported (this program reads 1–{VERSION}; a newer Cortexplorer wrote it?)",
                self.version
            ));
        }
        let counts = [
            ("inputs", self.inputs.len()),
            ("layers", self.layers.len()),
            ("volumes", self.volumes.len()),
            ("pinned", self.pinned.len()),
            ("tours", self.tours.len()),
            ("objects", self.objects.len()),
        ];
        for (what, n) in counts {
            if n > MAX_ITEMS {
                return Err(format!("{n} {what} (at most {MAX_ITEMS})"));
            }
        }
        let style_ok = |s: &OverlayStyle| {
            s.min.is_finite()
                && s.max.is_finite()
                && s.threshold.is_finite()
                && s.opacity.is_finite()
        };
        for l in &self.layers {
            if let Some(s) = &l.style
                && !style_ok(s)
            {
                return Err(format!("layer {:?}: colour scale is not finite", l.name));
            }
            for f in l.data.values() {
                safe_relative(f).map_err(|e| format!("layer {:?}: {e}", l.name))?;
            }
        }
        for v in &self.volumes {
            if !style_ok(&v.style) {
                return Err(format!("volume {:?}: colour scale is not finite", v.name));
            }
        }
        if !(self.view.inflate.is_finite() && self.view.curvature_contrast.is_finite()) {
            return Err("view: morph or curvature contrast is not finite".into());
        }
        if let Some(c) = self.crosshair
            && !c.iter().all(|x| x.is_finite())
        {
            return Err("crosshair is not finite".into());
        }
        if let Some(c) = &self.camera {
            c.check()?;
        }
        if let Some(t) = &self.tracts {
            t.check().map_err(|e| format!("tracts: {e}"))?;
        }
        for (name, o) in &self.objects {
            o.check().map_err(|e| format!("object {name:?}: {e}"))?;
        }
        for (k, c) in &self.bookmarks {
            if !(1..=9).contains(k) {
                return Err(format!("bookmark key {k} (keys are 1–9)"));
            }
            c.check().map_err(|e| format!("bookmark {k}: {e}"))?;
        }
        for t in &self.tours {
            if t.keyframes.len() > MAX_ITEMS {
                return Err(format!("tour {:?}: too many keyframes", t.name));
            }
            let mut last = f64::NEG_INFINITY;
            for k in &t.keyframes {
                if !(k.at_s.is_finite() && k.at_s >= 0.0 && k.at_s >= last) {
                    return Err(format!(
                        "tour {:?}: keyframe times must be finite, ≥ 0 and increasing ({})",
                        t.name, k.at_s
                    ));
                }
                last = k.at_s;
                k.camera
                    .check()
                    .map_err(|e| format!("tour {:?}: {e}", t.name))?;
                if !k.inflate.is_finite() || k.thresholds.values().any(|x| !x.is_finite()) {
                    return Err(format!("tour {:?}: a value is not finite", t.name));
                }
            }
        }
        if let Some(s) = &self.simulation {
            if !(s.t.is_finite() && s.dt.is_finite() && s.dt > 0.0 && s.speed.is_finite()) {
                return Err("simulation: time, step or speed is not finite".into());
            }
            if s.values.iter().any(|x| !x.is_finite()) {
                return Err("simulation: a parameter is not finite".into());
            }
            if let Some(f) = &s.state {
                safe_relative(f).map_err(|e| format!("simulation state: {e}"))?;
            }
        }
        Ok(())
    }

    /// Parse and validate session text (`what` names the file in errors).
    pub fn parse(text: &str, what: &str) -> Result<Session, String> {
        let s: Session =
            serde_json::from_str(text).map_err(|e| format!("{what}: not a valid session: {e}"))?;
        s.validate().map_err(|e| format!("{what}: {e}"))?;
        Ok(s)
    }

    /// Paths of file inputs as stored: relative to the session's folder where possible.
    pub fn relativize(&mut self, session_path: &Path) {
        let base = absolute(session_path.parent().unwrap_or(Path::new(".")));
        for i in &mut self.inputs {
            if let Input::File { path } | Input::Subject { path } = i {
                let abs = absolute(Path::new(path));
                if let Some(rel) = pathdiff::diff_paths(&abs, &base) {
                    *path = rel.to_string_lossy().into_owned();
                }
            }
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// A data file name must stay inside the session's folder.
fn safe_relative(f: &str) -> Result<(), String> {
    let p = Path::new(f);
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "data file {f:?} is outside the session's folder (only names under it are allowed)"
        ));
    }
    Ok(())
}

/// Read and validate a session file (size limit before reading).
pub fn read(path: &Path) -> Result<Session, String> {
    let what = path.display().to_string();
    crate::io::source::regular_file(path).map_err(|e| format!("{what}: {e}"))?;
    let meta = std::fs::metadata(path).map_err(|e| format!("{what}: {e}"))?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{what}: {} bytes is too large for a session file (at most {MAX_BYTES})",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{what}: {e}"))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| format!("{what}: not UTF-8 text ({e}); not a session file"))?;
    Session::parse(text, &what)
}

/// Pause between writing the new session and putting it in place — only for the test that
/// kills a save half way (`CORTEXPLORER_TEST_SAVE_PAUSE_MS`).
fn test_pause() {
    if let Some(ms) = std::env::var("CORTEXPLORER_TEST_SAVE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

/// Write a session and its data files. The session's file paths are made relative to its
/// folder; data files first, the session last (atomically); stale data files are removed after.
pub fn save(path: &Path, session: &Session, blobs: &[Blob]) -> Result<(), String> {
    let what = path.display().to_string();
    let folder = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut s = session.clone();
    s.relativize(path);
    s.validate().map_err(|e| format!("{what}: {e}"))?;
    let data = folder.join(data_dir_name(path));
    let mut keep: Vec<PathBuf> = Vec::new();
    if !blobs.is_empty() {
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    }
    for b in blobs {
        let file = folder.join(&b.file);
        keep.push(file.clone());
        if file.exists() {
            continue; // named by content: already there
        }
        let mut bytes = Vec::new();
        crate::io::npy::write(&b.values, &mut bytes).map_err(|e| format!("{}: {e}", b.file))?;
        crate::io::atomic_write(&file, &bytes).map_err(|e| {
            format!(
                "{what}: not saved ({}: {e}); the previous file is unchanged",
                file.display()
            )
        })?;
    }
    let text = serde_json::to_string_pretty(&s).map_err(|e| format!("{what}: {e}"))?;
    crate::io::atomic_write_then(path, text.as_bytes(), &test_pause)
        .map_err(|e| format!("{what}: not saved ({e}); the previous file is unchanged"))?;
    // stale data files (a previous save's) go once the new session is in place
    if let Ok(rd) = std::fs::read_dir(&data) {
        for e in rd.flatten() {
            let p = e.path();
            let ours = p.extension().is_some_and(|x| x == "npy")
                && p.file_stem().is_some_and(|s| {
                    s.len() == 16 && s.to_string_lossy().bytes().all(|b| b.is_ascii_hexdigit())
                });
            if ours && !keep.contains(&p) {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    Ok(())
}

/// Read a data file a session refers to.
fn read_blob(folder: &Path, file: &str) -> Result<Overlay, String> {
    safe_relative(file)?;
    let p = folder.join(file);
    let src = crate::io::Source::File(p.clone());
    match crate::io::npy::read(&src, &crate::io::Limits::default()) {
        Ok(crate::io::Content::Overlay(o)) => Ok(o),
        Ok(_) => Err(format!("{}: not per-vertex values", p.display())),
        Err(e) => Err(format!("{}: {e}", p.display())),
    }
}

/// Rebuild the scene a session describes: replay its inputs (paths relative to `folder`),
/// then restore the layer stack, volumes, view, crosshair and selection. Inputs that fail are
/// skipped and said in the notes; a session whose scene cannot be rebuilt at all is an error.
pub fn restore_scene(s: &Session, folder: &Path) -> Result<(Scene, Vec<String>), String> {
    let mut scene = Scene::new();
    let mut notes = Vec::new();
    let mut embedded: Option<HashMap<String, crate::io::Loaded>> = None;
    for input in &s.inputs {
        match input {
            Input::File { path } => {
                let p = Path::new(path);
                let p = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    folder.join(p)
                };
                match crate::io::load(&p) {
                    Ok(l) => {
                        if let Err(e) = scene.add(l) {
                            notes.push(e);
                        }
                    }
                    Err(e) => notes.push(format!("{e} (skipped)")),
                }
            }
            Input::Embedded { name } => {
                let cache = match &mut embedded {
                    Some(c) => c,
                    None => {
                        let mut c = HashMap::new();
                        for l in crate::brain::fsaverage5::load().map_err(|e| e.to_string())? {
                            c.insert(l.source.display(), l);
                        }
                        embedded.insert(c)
                    }
                };
                let key = format!("embedded:{name}");
                let loaded = match cache.remove(&key) {
                    Some(l) => Ok(l),
                    None if name == crate::brain::mni152::NAME => {
                        crate::brain::mni152::load().map_err(|e| e.to_string())
                    }
                    None => Err(format!("{key}: no such embedded data (skipped)")),
                };
                match loaded.and_then(|l| scene.add(l)) {
                    Ok(_) => {}
                    Err(e) => notes.push(e),
                }
            }
            Input::GeneratedVessels { seed } => scene.add_generated_vessels(*seed),
            Input::Subject { path } => {
                let p = Path::new(path);
                let p = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    folder.join(p)
                };
                match crate::brain::subject::load(&p) {
                    Ok((loaded, info)) => {
                        for l in loaded {
                            if let Err(e) = scene.add(l) {
                                notes.push(e);
                            }
                        }
                        scene.set_subject(info);
                    }
                    Err(e) => notes.push(format!("{e} (skipped)")),
                }
            }
            Input::SelectivityDemo => {
                if let Err(e) = scene.open_selectivity_demo() {
                    notes.push(format!("selectivity demo: {e}"));
                }
            }
        }
    }
    if scene.hemis.is_empty()
        && scene.vessels.is_none()
        && scene.volumes.is_empty()
        && scene.objects.is_empty()
        && scene.tracts.is_none()
    {
        return Err(format!(
            "nothing of the session could be loaded{}",
            if notes.is_empty() {
                String::new()
            } else {
                format!(": {}", notes.join("; "))
            }
        ));
    }
    // view
    if scene.available_kinds().contains(&s.view.surface) {
        scene.set_surface(s.view.surface);
    } else if !scene.hemis.is_empty() {
        notes.push(format!(
            "surface {:?} is not loaded; showing {:?}",
            s.view.surface.label(),
            scene.view.surface.label()
        ));
    }
    scene.set_inflate(s.view.inflate);
    scene.view.underlay = s.view.underlay.clone();
    scene.view.curvature_contrast = s.view.curvature_contrast;
    scene.view.show = s.view.show.clone();
    scene.selection = s.selection.and_then(|(hemi, vertex)| {
        let n = scene.hemis.get(&hemi).map_or(0, |g| g.n_vertices());
        (vertex < n).then_some(Selection { hemi, vertex })
    });
    // a connectome shows the restored selection's row (what a click would show), before the
    // layers' states so that its seed layer gets its saved style
    if let Some(e) = scene.update_seed_maps() {
        notes.push(e);
    }
    // layers: computed ones from their data files, then every layer's state, in the session's
    // order; layers the user had removed are removed again
    for st in &s.layers {
        if st.data.is_empty() {
            continue;
        }
        let mut per_hemi = BTreeMap::new();
        let mut ok = true;
        for (h, f) in &st.data {
            let fits = |o: &Overlay| {
                scene
                    .hemis
                    .get(h)
                    .is_some_and(|g| g.n_vertices() == o.n_vertices)
            };
            match read_blob(folder, f) {
                Ok(mut o) if fits(&o) => {
                    o.units = st.units.clone();
                    per_hemi.insert(*h, Arc::new(o));
                }
                Ok(o) => {
                    notes.push(format!(
                        "layer {:?}: {} values do not fit the {h:?} hemisphere (skipped)",
                        st.name, o.n_vertices
                    ));
                    ok = false;
                }
                Err(e) => {
                    notes.push(format!("layer {:?}: {e} (skipped)", st.name));
                    ok = false;
                }
            }
        }
        if ok {
            let style = st.style.clone().unwrap_or_else(|| {
                let all: Vec<f32> = per_hemi.values().flat_map(|o| o.values.clone()).collect();
                OverlayStyle::auto(&all)
            });
            scene.put_layer(
                &st.name,
                vec!["session".into()],
                LayerData::Overlay {
                    per_hemi,
                    style,
                    auto_style: st.auto_style,
                    frame: 0,
                },
                st.visible,
            );
        }
    }
    let mut ordered = Vec::new();
    for st in &s.layers {
        let Some(i) = scene.layers.iter().position(|l| l.name == st.name) else {
            if st.data.is_empty() {
                notes.push(format!(
                    "layer {:?} is not in the loaded files (skipped)",
                    st.name
                ));
            }
            continue;
        };
        let mut l = scene.layers.remove(i);
        l.visible = st.visible;
        l.live = st.live;
        let n_frames = l.n_frames();
        match &mut l.data {
            LayerData::Overlay {
                style,
                auto_style,
                frame,
                ..
            } => {
                if let Some(s) = &st.style {
                    *style = s.clone();
                }
                *auto_style = st.auto_style;
                *frame = st.frame.min(n_frames.saturating_sub(1));
            }
            LayerData::Labels { mode, opacity, .. } => {
                if let Some(m) = st.label_mode {
                    *mode = m;
                }
                if let Some(o) = st.opacity {
                    *opacity = o;
                }
            }
        }
        ordered.push(l);
    }
    scene.layers = ordered;
    // volumes by name, in the session's order
    let mut vols = Vec::new();
    for st in &s.volumes {
        if let Some(i) = scene.volumes.iter().position(|v| v.name == st.name) {
            let mut v = scene.volumes.remove(i);
            v.visible = st.visible;
            v.style = st.style.clone();
            v.frame = st.frame.min(v.volume.n_frames().saturating_sub(1));
            vols.push(v);
        } else {
            notes.push(format!(
                "volume {:?} is not in the loaded files (skipped)",
                st.name
            ));
        }
    }
    scene.volumes = vols;
    // object styles by name (objects come back with the files that made them)
    for (name, style) in &s.objects {
        match scene.objects.iter_mut().find(|o| &o.name == name) {
            Some(o) => o.style = style.clone(),
            None => notes.push(format!(
                "object {name:?} is not in the loaded files (skipped)"
            )),
        }
    }
    scene.objects_rev += 1;
    scene.crosshair = s.crosshair;
    scene.color_rev += 1;
    scene.geometry_rev += 1;
    scene.volume_rev += 1;
    Ok((scene, notes))
}

/// The simulation state vector a session refers to.
pub fn read_state(s: &SimulationState, folder: &Path) -> Result<Option<Vec<f32>>, String> {
    match &s.state {
        None => Ok(None),
        Some(f) => read_blob(folder, f).map(|o| Some(o.values)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orbit_turns_once_at_a_constant_speed() {
        let c = CameraPose {
            focus: [1.0, 2.0, 3.0],
            yaw: 0.3,
            pitch: 0.2,
            radius: 300.0,
        };
        let t = Tour::orbit("orbit", c, 8.0, 10.0);
        assert_eq!(t.keyframes.len(), 81);
        assert!((t.duration() - 8.0).abs() < 1e-12);
        // frames at the fps land on keyframes: equal steps of 4.5°
        let yaw = |s: f64| t.at(s).unwrap().camera.yaw;
        for k in 0..80 {
            let step = yaw((k + 1) as f64 / 10.0) - yaw(k as f64 / 10.0);
            let step = (step + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU)
                - std::f32::consts::PI;
            assert!((step - 4.5f32.to_radians()).abs() < 1e-4, "{k}: {step}");
        }
        let end = t.at(8.0).unwrap().camera;
        assert_eq!(
            (end.pitch, end.radius, end.focus),
            (c.pitch, c.radius, c.focus)
        );
    }

    fn pose(yaw: f32) -> CameraPose {
        CameraPose {
            focus: [0.0; 3],
            yaw,
            pitch: 0.1,
            radius: 300.0,
        }
    }

    #[test]
    fn lerp_takes_the_short_way_round_and_ends_exactly() {
        let a = pose(3.0);
        let b = pose(-3.0);
        let m = a.lerp(&b, 0.5);
        // 3 → -3 the short way passes π, not 0
        assert!((m.yaw.rem_euclid(std::f32::consts::TAU) - std::f32::consts::PI).abs() < 0.01);
        let e = a.lerp(&b, 1.0);
        assert!(
            (e.yaw.rem_euclid(std::f32::consts::TAU) - b.yaw.rem_euclid(std::f32::consts::TAU))
                .abs()
                < 1e-4
        );
        assert_eq!(a.lerp(&b, 0.0), a);
    }

    #[test]
    fn tours_interpolate_and_hold_discrete_settings() {
        let t = Tour {
            name: "t".into(),
            keyframes: vec![
                Keyframe {
                    at_s: 0.0,
                    camera: pose(0.0),
                    visible: [("a".to_string(), true)].into(),
                    thresholds: [("a".to_string(), 0.0)].into(),
                    inflate: 0.0,
                    simulation_running: Some(false),
                    caption: Some("one".into()),
                },
                Keyframe {
                    at_s: 2.0,
                    camera: pose(1.0),
                    visible: [("a".to_string(), false)].into(),
                    thresholds: [("a".to_string(), 2.0)].into(),
                    inflate: 1.0,
                    simulation_running: None,
                    caption: None,
                },
            ],
        };
        let m = t.at(1.0).unwrap();
        assert!((m.camera.yaw - 0.5).abs() < 1e-5);
        assert!((m.inflate - 0.5).abs() < 1e-5);
        assert!((m.thresholds["a"] - 1.0).abs() < 1e-5);
        assert!(m.visible["a"]);
        assert_eq!(m.caption.as_deref(), Some("one"));
        let end = t.at(5.0).unwrap();
        assert_eq!(end.camera, pose(1.0));
        assert!(!end.visible["a"]);
        assert_eq!(end.simulation_running, Some(false));
        assert_eq!(t.duration(), 2.0);
    }

    /// Object and tract styles come back with the session: objects by name once their file
    /// is loaded again, the tract style as written.
    #[test]
    fn object_and_tract_styles_round_trip() {
        use crate::brain::objects::ObjectStyle;
        use crate::brain::tracts::{TractColor, TractStyle};
        let mesh =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/meshes/implant.obj");
        let mut scene = Scene::new();
        scene.add(crate::io::load(&mesh).unwrap()).unwrap();
        assert_eq!(scene.objects.len(), 1);
        let style = ObjectStyle {
            show: false,
            value: None,
            color: [0.9, 0.1, 0.2, 0.5],
            colormap: "magma".into(),
        };
        scene.objects[0].style = style.clone();
        let name = scene.objects[0].name.clone();
        let (mut s, _, _) = Session::from_scene(&scene, Path::new("/tmp/s.json"));
        // what the app records when it opens the file
        s.inputs = vec![Input::File {
            path: mesh.display().to_string(),
        }];
        s.tracts = Some(TractStyle {
            color: TractColor::Value("fa".into()),
            max_segments: 1234,
            ..TractStyle::default()
        });
        let text = serde_json::to_string(&s).unwrap();
        let back = Session::parse(&text, "s.json").unwrap();
        assert_eq!(back.tracts, s.tracts);
        let (restored, notes) = restore_scene(&back, Path::new("/tmp")).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let o = restored.objects.iter().find(|o| o.name == name).unwrap();
        assert_eq!(o.style, style);
        // a style for an object that is not there is a note, not an error
        let mut other = back.clone();
        other.objects.insert("elsewhere".into(), style);
        let (_, notes) = restore_scene(&other, Path::new("/tmp")).unwrap();
        assert!(notes.iter().any(|n| n.contains("elsewhere")), "{notes:?}");
    }

    #[test]
    fn bad_sessions_are_refused_with_the_reason() {
        let ok = Session::from_scene(&Scene::new(), Path::new("/tmp/s.json")).0;
        let text = serde_json::to_string(&ok).unwrap();
        assert!(Session::parse(&text, "s.json").is_ok());
        let cases: Vec<(String, &str)> = vec![
            (text.replace(FORMAT, "something-else"), "not a Cortexplorer session"),
            (text.replace("\"version\":1", "\"version\":99"), "version 99"),
            (text.replace("\"inflate\":0.0", "\"inflate\":1e999"), "not a valid session"),
            (text.replace("\"layers\":[]", "\"layers\":[{\"name\":\"x\",\"visible\":true,\"data\":{\"left\":\"../../etc/passwd\"}}]"), "outside the session's folder"),
            (text.replace("\"camera\":null", "\"camera\":{\"focus\":[0,0,0],\"yaw\":0,\"pitch\":0,\"radius\":-1}"), "positive radius"),
            (text.replace("\"bookmarks\":{}", "\"bookmarks\":{\"12\":{\"focus\":[0,0,0],\"yaw\":0,\"pitch\":0,\"radius\":1}}"), "keys are 1–9"),
            (text[..text.len() / 2].to_string(), "not a valid session"),
            ("[".repeat(100_000), "not a valid session"),
            (text.replace("\"inputs\"", "\"surprise\":1,\"inputs\""), "unknown field"),
            (text.replace("\"objects\":{}", "\"objects\":{\"implant\":{\"show\":true,\"value\":null,\"color\":[2,0,0,1],\"colormap\":\"viridis\"}}"), "colour outside 0..1"),
            (text.replace("\"tracts\":null", "\"tracts\":{\"show\":true,\"color\":\"direction\",\"colormap\":\"nonesuch\",\"max_segments\":10}"), "unknown colour map"),
        ];
        for (bad, needle) in cases {
            let e = Session::parse(&bad, "s.json").unwrap_err();
            assert!(
                e.starts_with("s.json: ") && e.contains(needle),
                "{e} lacks {needle:?}"
            );
        }
    }
}
