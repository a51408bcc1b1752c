//! How the app was asked to run: the GUI's start-up options and `render`'s options (filled by
//! the CLI, read by the start-up and capture plugins).

use std::path::PathBuf;

use super::{activity, camera};

/// What to show first and how the run ends.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Files to open after start-up (GUI) — errors are reported, the app keeps running.
    pub files: Vec<PathBuf>,
    /// Start with the embedded fsaverage5 scene.
    pub default_scene: bool,
    /// GUI: run this many frames after the scene is drawn, print the mean frame time, exit.
    pub bench_frames: Option<u32>,
    /// Camera preset to start from.
    pub view: Option<camera::StandardView>,
    /// Save a screenshot of the whole window once the scene is drawn, then exit.
    pub screenshot: Option<PathBuf>,
    /// Open the planning panel and run the default plan at start-up.
    pub plan: bool,
    /// The planning configuration (`view --plan-config`; None: the bundled one).
    pub plan_config: Option<crate::planning::plan::PlanConfig>,
    /// Planner overrides (`view --plan-retinotopy/--plan-vessels/--plan-areas`): the
    /// configuration's `[scene] retinotopy`, `vessels`, `areas`.
    pub plan_scene: (Option<String>, Option<String>, Option<Vec<String>>),
    /// Orbit the camera continuously (with `bench_frames`: frame times while moving).
    pub orbit: bool,
    /// With `plan`: drag a device programmatically for N frames and report the update rate.
    pub drag_bench: Option<u32>,
    /// Show only this hemisphere (e.g. with the right view, the left medial surface).
    pub hemi: Option<crate::brain::Hemisphere>,
    /// Open the Activity panel running this model.
    pub simulate: Option<activity::AutoRun>,
    /// Open the Volumes panel at start-up.
    pub volumes: bool,
    /// Open the synthetic selectivity demo and its panel at start-up.
    pub selectivity_demo: bool,
    /// Open the Routing panel with this left-hemisphere vertex selected.
    pub routing_vertex: Option<usize>,
    /// Open this session file at start.
    pub session: Option<PathBuf>,
    /// Restore the autosave at once if the last run did not end cleanly.
    pub restore_autosave: bool,
    /// Start in presenter mode (panels hidden).
    pub presenter: bool,
    /// Open the Traces window at start.
    pub traces: bool,
    /// Draw continuously for this many seconds, report memory and frame times, exit.
    pub soak: Option<f64>,
}

/// Options of `cortexplorer render`.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub out: PathBuf,
    pub width: u32,
    pub height: u32,
    pub bench_frames: Option<u32>,
    pub view: camera::StandardView,
    /// hold this camera pose instead of framing the scene (a session's camera)
    pub camera: Option<camera::CameraPose>,
    /// draw a tour frame by frame instead of one picture
    pub tour: Option<TourRender>,
    /// a transparent background (RGBA PNG)
    pub transparent: bool,
}

/// `render --tour`: a session's tour drawn frame by frame into a folder.
#[derive(Clone, Debug)]
pub struct TourRender {
    pub tour: crate::session::Tour,
    pub fps: f64,
    pub dir: PathBuf,
}

impl TourRender {
    pub fn n_frames(&self) -> usize {
        ((self.tour.duration() * self.fps).floor() as usize + 1).min(100_000)
    }
    pub fn frame_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("frame_{i:05}.png"))
    }
}
