//! Command line: no subcommand (or `view`) opens the GUI; `inspect` and `render` work headless.
//! Every failure is one line on stderr naming the file and the problem, with a non-zero exit.

pub mod evaluate;
pub mod inspect;
pub mod planning;
pub mod routing;
pub mod scene;
pub mod selectivity;
pub mod simulate;
pub mod vessels;
pub mod vol2surf;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::camera::StandardView;
use crate::app::{
    self,
    options::{RenderOptions, StartOptions},
};
use crate::brain::scene::Scene;
use crate::brain::{Hemisphere, SurfaceKind};
use crate::io;
pub use scene::{SceneOptions, build_scene, parse_hemi};

#[derive(Parser)]
#[command(
    name = "cortexplorer",
    version,
    about = "Explore cortical surfaces and overlays; plan visual-prosthesis electrodes."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Files to open in the viewer (same as `cortexplorer view FILES…`).
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the viewer (the default when no subcommand is given).
    View(ViewArgs),
    /// Describe any supported file (counts, ranges, affine); --json for machine-readable output.
    Inspect {
        /// Files to describe.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the result as JSON on standard output.
        #[arg(long)]
        json: bool,
        /// Voxel size (mm; `X,Y,Z` or one value) for VesselGraph CSV, whose coordinates and
        /// radii are in image voxels.
        #[arg(long, value_parser = vessels::parse_voxel, default_value = "1")]
        voxel_size: [f64; 3],
    },
    /// Read files (or every file in a folder) with the app's readers: what each holds or why it
    /// was refused, in how long, and the peak memory; --json for machine-readable output.
    Check {
        /// Files or folders to read.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Reader to use instead of the one the name picks: data, session, plan, plan-config,
        /// markups, electrodes, electrodes-flat, bids.
        #[arg(long = "as")]
        reader: Option<String>,
        /// Print the result as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Vessel graphs: generate (cortical or synthetic), distance queries.
    #[command(subcommand)]
    Vessels(vessels::VesselsCommand),
    /// Render the 3D view into a PNG without a window (works under Xvfb with lavapipe).
    Render(RenderArgs),
    /// Predict the percept of a set of electrodes (phosphene positions, sizes, brightness).
    Percept(planning::PerceptArgs),
    /// Optimise electrode placement (percept-aware) and compare with baselines.
    Plan(planning::PlanArgs),
    /// How well a saved plan lets someone read: held-out letters through the plan and its
    /// baselines (ideal and naive observers, thresholds, electrode equivalent, robustness).
    Evaluate(evaluate::EvaluateArgs),
    /// Run an activity model on a surface (CPU reference or GPU kernel); --json report.
    Simulate(simulate::SimulateArgs),
    /// Sample a volume (3D or 4D) onto a surface, along the white–pial ribbon (mri_vol2surf).
    Vol2surf(vol2surf::Vol2SurfArgs),
    /// Category selectivity: preferred category, selectivity index, ROI summary, caption search.
    Selectivity(selectivity::SelectivityArgs),
    /// Attention routing: the image region a cortical place draws from (heatmap), or the cortex
    /// that listens to an image region (--brush).
    Routing(routing::RoutingArgs),
    /// Write a GENERATED FreeSurfer subject (fsaverage5 surfaces, template retinotopy maps,
    /// an empty mri/orig.mgz with a scanner offset, a vessel mask) to try `plan --subject`.
    GenerateSubject {
        dir: PathBuf,
        /// seed of the generated vessels the mask is rasterised from
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print shell completions to standard output (e.g. `cortexplorer completions bash >
    /// ~/.local/share/bash-completion/completions/cortexplorer`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (cortexplorer.1 and one page per command) into a folder.
    Man { dir: PathBuf },
}

/// The command line as clap sees it (for completions, man pages and the generated reference,
/// docs/cli.md).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[derive(Args)]
struct ViewArgs {
    /// Files or subject folders to open (surfaces, overlays, volumes, vessel graphs, sessions,
    /// a FreeSurfer subject or fMRIPrep anat folder).
    files: Vec<PathBuf>,
    /// Do not load the embedded fsaverage5 scene.
    #[arg(long)]
    no_default: bool,
    /// Draw N frames after the scene appears, print the mean frame time as JSON, and exit.
    #[arg(long)]
    bench_frames: Option<u32>,
    /// Camera to start from.
    #[arg(long, value_enum)]
    view: Option<StandardView>,
    /// Save a screenshot of the whole window once the scene is drawn, then exit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Open the planning panel and run the default plan (assets/plan.toml) at start-up.
    #[arg(long)]
    plan: bool,
    /// The planning configuration the panel starts with (TOML, as `plan --config`; default:
    /// the bundled assets/plan.toml).
    #[arg(long)]
    plan_config: Option<PathBuf>,
    /// Planner retinotopy: auto | template | a loaded group (benson14, inferred) | A,E,V[,S]
    /// layer names.
    #[arg(long)]
    plan_retinotopy: Option<String>,
    /// Planner vessels: generated | none | a graph file | a mask MASK.nii.gz[:THRESHOLD].
    #[arg(long)]
    plan_vessels: Option<String>,
    /// Planner target areas, e.g. V1,V2.
    #[arg(long, value_delimiter = ',')]
    plan_areas: Option<Vec<String>>,
    /// With --plan: once the plan is done, drag device 0 around a 3 mm circle for N frames through
    /// the same path as a mouse drag, print the live-percept update rate as JSON, and exit.
    #[arg(long, requires = "plan")]
    drag_bench: Option<u32>,
    /// Orbit the camera one degree a frame (with --bench-frames: frame times while the camera
    /// moves, and the reduced-resolution trial; CORTEXPLORER_MOTION=auto|always|off).
    #[arg(long)]
    orbit: bool,
    /// Show only one hemisphere (left|right|lh|rh); `--hemi left --view right` shows its medial side.
    #[arg(long, value_parser = parse_hemi)]
    hemi: Option<Hemisphere>,
    /// Open the Activity panel and run this model (diffusion, wave, kuramoto, wilson-cowan,
    /// lif) from the start; with --screenshot, the picture waits for --sim-seconds of it.
    #[arg(long)]
    simulate: Option<String>,
    /// With --simulate: cpu, gpu or auto (GPU on a hardware adapter).
    #[arg(long, default_value = "auto", requires = "simulate")]
    backend: String,
    /// With --simulate and --screenshot: simulated seconds before the picture.
    #[arg(long, default_value_t = 0.5, requires = "simulate")]
    sim_seconds: f64,
    /// Open the Volumes panel (slices linked to the cortex; the MNI152 template when no volume
    /// is given); with --screenshot, the picture waits for the slices.
    #[arg(long)]
    volumes: bool,
    /// Open the synthetic selectivity demo (generated data) and the Selectivity panel.
    #[arg(long)]
    selectivity_demo: bool,
    /// Open the Routing panel with this left-hemisphere vertex selected.
    #[arg(long)]
    routing: Option<usize>,
    /// Open a session file (also: give it among FILES).
    #[arg(long)]
    session: Option<PathBuf>,
    /// If the last run did not end cleanly, restore its autosave without asking.
    #[arg(long)]
    restore_autosave: bool,
    /// Start in presenter mode: panels hidden (H shows them), the caption over the view.
    #[arg(long)]
    presenter: bool,
    /// Open the Traces window: the played series at pinned vertices and a recording's raw
    /// channels around the timeline's time.
    #[arg(long)]
    traces: bool,
    /// Draw continuously for SECONDS (with --simulate, the model runs the whole time), then
    /// print memory and frame-time figures as JSON and exit (the soak test).
    #[arg(long)]
    soak: Option<f64>,
}

#[derive(Args)]
struct SceneArgs {
    /// Files to show. If none of them is a surface, they are added to the embedded fsaverage5 scene.
    files: Vec<PathBuf>,
    /// Surface to draw: pial, white, inflated, sphere, flat.
    #[arg(long, value_parser = parse_kind)]
    surface: Option<SurfaceKind>,
    /// Morph towards the inflated surface (0–1).
    #[arg(long)]
    inflate: Option<f32>,
    /// Show this layer as an overlay (repeatable), e.g. --show thickness.
    #[arg(long)]
    show: Vec<String>,
    /// Colormap for the shown layers (matplotlib name, e.g. viridis, RdBu_r).
    #[arg(long)]
    colormap: Option<String>,
    /// Lower end of the colour range for the shown layers.
    #[arg(long, allow_hyphen_values = true)]
    vmin: Option<f32>,
    /// Upper end of the colour range for the shown layers.
    #[arg(long, allow_hyphen_values = true)]
    vmax: Option<f32>,
    /// Hide |value| below this for the shown layers.
    #[arg(long)]
    threshold: Option<f32>,
    /// Camera.
    #[arg(long, value_enum, default_value_t = StandardView::Oblique)]
    view: StandardView,
    /// Show only one hemisphere (left|right|lh|rh).
    #[arg(long, value_parser = parse_hemi)]
    hemi: Option<Hemisphere>,
}

#[derive(Args)]
struct RenderArgs {
    /// The PNG to write (a folder, .mp4 or .gif with --tour).
    #[arg(long)]
    out: PathBuf,
    /// Do not show the default scene's generated vessels.
    #[arg(long)]
    no_vessels: bool,
    /// Do not add the embedded fsaverage5 when no surface is given (e.g. a vessel graph alone).
    #[arg(long)]
    no_default: bool,
    /// Picture width in pixels.
    #[arg(long, default_value_t = 1280)]
    width: u32,
    /// Picture height in pixels.
    #[arg(long, default_value_t = 800)]
    height: u32,
    /// After the picture, draw N more frames and report the mean frame time.
    #[arg(long)]
    bench_frames: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Draw this overlay the way a running simulation is drawn: by the surface shader from a
    /// value buffer, not painted into the vertex colours (the picture should not change).
    #[arg(long)]
    live: Option<String>,
    /// Show the synthetic selectivity demo's preferred-category map (generated data).
    #[arg(long)]
    selectivity_demo: bool,
    /// Highlight the vertices whose captions match (with --selectivity-demo or a caption file).
    #[arg(long)]
    search: Option<String>,
    /// Draw the electrodes of a plan (`plan --out plan.json`, or the Planning panel's export).
    #[arg(long)]
    plan_file: Option<PathBuf>,
    /// Run an activity model (CPU reference) for --sim-steps steps and draw it as the live
    /// layer, as the Activity panel does.
    #[arg(long)]
    simulate: Option<String>,
    /// With --simulate: time steps to run before the picture.
    #[arg(long, default_value_t = 200, requires = "simulate")]
    sim_steps: usize,
    /// Open a session file (its files, layers, camera, plan, simulation) instead of building the
    /// scene from FILES and the scene options.
    #[arg(long, conflicts_with_all = ["plan_file", "simulate", "selectivity_demo"])]
    session: Option<PathBuf>,
    /// Save what is rendered as a session file (atomic write).
    #[arg(long)]
    save_session: Option<PathBuf>,
    /// With --session: render this tour of the session frame by frame; --out is a folder of
    /// PNGs, or a .mp4 (ffmpeg) or .gif file. `orbit` (unless the session has a tour of that
    /// name): a full turn around the session's camera in 8 s.
    #[arg(long, requires = "session")]
    tour: Option<String>,
    /// Frames per second of a tour.
    #[arg(long, default_value_t = 10.0, requires = "tour")]
    fps: f64,
    /// A transparent background (RGBA PNG), e.g. for slides.
    #[arg(long)]
    transparent: bool,
    #[command(flatten)]
    scene: SceneArgs,
}

fn parse_kind(s: &str) -> Result<SurfaceKind, String> {
    SurfaceKind::ALL
        .into_iter()
        .find(|k| k.label() == s.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown surface {s:?} (pial, white, inflated, sphere, flat)"))
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("cortexplorer: {msg}");
    ExitCode::from(2)
}

pub fn main() -> ExitCode {
    crate::tune_allocator();
    // One line instead of a backtrace if anything ever panics.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("cortexplorer: internal error: {msg}{at}");
    }));
    let cli = Cli::parse();
    match cli.command {
        None => view(ViewArgs {
            files: cli.files,
            no_default: false,
            bench_frames: None,
            view: None,
            screenshot: None,
            plan: false,
            plan_config: None,
            plan_retinotopy: None,
            plan_vessels: None,
            plan_areas: None,
            drag_bench: None,
            orbit: false,
            hemi: None,
            simulate: None,
            backend: "auto".into(),
            sim_seconds: 0.5,
            volumes: false,
            selectivity_demo: false,
            routing: None,
            session: None,
            restore_autosave: false,
            presenter: false,
            traces: false,
            soak: None,
        }),
        Some(Command::View(a)) => view(a),
        Some(Command::Inspect {
            files,
            json,
            voxel_size,
        }) => inspect(&files, json, voxel_size),
        Some(Command::Check {
            files,
            reader,
            json,
        }) => check(&files, reader.as_deref(), json),
        Some(Command::Vessels(c)) => vessels::run(c).map_or_else(fail, |_| ExitCode::SUCCESS),
        Some(Command::Render(a)) => render(a),
        Some(Command::Percept(a)) => planning::percept(a).map_or_else(fail, |_| ExitCode::SUCCESS),
        Some(Command::Plan(a)) => planning::plan(a).map_or_else(fail, |_| ExitCode::SUCCESS),
        Some(Command::Evaluate(a)) => {
            evaluate::evaluate(a).map_or_else(fail, |_| ExitCode::SUCCESS)
        }
        Some(Command::Simulate(a)) => {
            simulate::simulate(a).map_or_else(fail, |_| ExitCode::SUCCESS)
        }
        Some(Command::Routing(a)) => routing::routing(a).map_or_else(fail, |_| ExitCode::SUCCESS),
        Some(Command::Selectivity(a)) => {
            selectivity::selectivity(a).map_or_else(fail, |_| ExitCode::SUCCESS)
        }
        Some(Command::Vol2surf(a)) => {
            vol2surf::vol2surf(a).map_or_else(fail, |_| ExitCode::SUCCESS)
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut command(),
                "cortexplorer",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Some(Command::Man { dir }) => std::fs::create_dir_all(&dir)
            .and_then(|_| clap_mangen::generate_to(command(), &dir))
            .map_err(|e| format!("{}: {e}", dir.display()))
            .map_or_else(fail, |_| {
                println!("man pages written to {}", dir.display());
                ExitCode::SUCCESS
            }),
        Some(Command::GenerateSubject { dir, seed }) => {
            crate::planning::generated_subject::write(&dir, seed).map_or_else(fail, |_| {
                println!("generated subject written to {}", dir.display());
                ExitCode::SUCCESS
            })
        }
    }
}

fn view(a: ViewArgs) -> ExitCode {
    let simulate = match &a.simulate {
        None => None,
        Some(m) => {
            if let Err(e) = crate::activity::setup::specs(m) {
                return fail(e);
            }
            let backend = match a.backend.as_str() {
                "auto" => None,
                "cpu" => Some(app::activity::Backend::Cpu),
                "gpu" => Some(app::activity::Backend::Gpu),
                b => return fail(format!("--backend {b:?}: cpu, gpu or auto")),
            };
            if !(a.sim_seconds.is_finite() && a.sim_seconds >= 0.0) {
                return fail(format!("--sim-seconds {}: must be ≥ 0", a.sim_seconds));
            }
            Some(app::activity::AutoRun {
                model: m.clone(),
                backend,
                seconds: a.sim_seconds,
            })
        }
    };
    let plan_config = match &a.plan_config {
        Some(p) => match crate::planning::plan::PlanConfig::load(p) {
            Ok(c) => Some(c),
            Err(e) => return fail(e),
        },
        None => None,
    };
    // a session file among the files opens as the session (its own inputs, no default scene)
    let (sessions, files): (Vec<PathBuf>, Vec<PathBuf>) = a
        .files
        .iter()
        .cloned()
        .partition(|p| app::session::is_session_file(p));
    if sessions.len() > 1 {
        return fail("give at most one session file");
    }
    let session = a.session.clone().or(sessions.into_iter().next());
    if let Some(p) = &session
        && let Err(e) = crate::session::read(p)
    {
        return fail(e);
    }
    // a subject folder brings its own surfaces
    let subject = files
        .iter()
        .any(|p| crate::brain::subject::is_subject_dir(p));
    let opts = StartOptions {
        simulate,
        // a session opened at start brings its own scene
        default_scene: !(a.no_default
            || session.is_some()
            || subject
            || (a.restore_autosave && app::session::pending_recovery().is_some())),
        files,
        session,
        restore_autosave: a.restore_autosave,
        presenter: a.presenter,
        traces: a.traces,
        soak: a.soak.filter(|s| s.is_finite() && *s > 0.0),
        bench_frames: a.bench_frames,
        view: a.view,
        screenshot: a.screenshot,
        plan: a.plan,
        plan_config,
        plan_scene: (a.plan_retinotopy, a.plan_vessels, a.plan_areas),
        drag_bench: a.drag_bench,
        orbit: a.orbit,
        hemi: a.hemi,
        volumes: a.volumes,
        selectivity_demo: a.selectivity_demo,
        routing_vertex: a.routing,
    };
    match app::run_gui(opts, Scene::new(), crate::ui::UiPlugin) {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        bevy::app::AppExit::Error(_) => ExitCode::FAILURE,
    }
}

fn inspect(files: &[PathBuf], json: bool, voxel_mm: [f64; 3]) -> ExitCode {
    let mut out = Vec::new();
    let mut failed = false;
    for f in files {
        match io::load_source_with(
            io::Source::File(f.clone()),
            &io::Limits::default(),
            voxel_mm,
        ) {
            Ok(l) => out.push(inspect::describe(&l)),
            Err(e) => {
                eprintln!("cortexplorer: {e}");
                failed = true;
            }
        }
    }
    if json {
        let v = if out.len() == 1 {
            out.pop().unwrap()
        } else {
            serde_json::Value::Array(out)
        };
        if !(failed && v.as_array().is_some_and(|a| a.is_empty())) {
            println!("{}", serde_json::to_string_pretty(&v).unwrap());
        }
    } else {
        for v in &out {
            print!("{}", inspect::summary(v));
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn check(files: &[PathBuf], reader: Option<&str>, json: bool) -> ExitCode {
    use crate::check::{Reader, check, peak_rss_mib};
    let reader = match reader.map(Reader::parse).transpose() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut paths = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut inner: Vec<PathBuf> = match std::fs::read_dir(f) {
                Ok(d) => d
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect(),
                Err(e) => return fail(format!("{}: {e}", f.display())),
            };
            inner.sort();
            paths.extend(inner);
        } else {
            paths.push(f.clone());
        }
    }
    let mut outcomes = Vec::new();
    for p in &paths {
        let o = check(p, reader);
        if !json {
            match (&o.kind, &o.error) {
                (Some(k), _) => println!("ok       {} ({k}, {:.1} ms)", o.file, o.ms),
                (_, Some(e)) => println!("refused  {e} ({:.1} ms)", o.ms),
                _ => {}
            }
        }
        outcomes.push(o);
    }
    let refused = outcomes.iter().filter(|o| !o.ok).count();
    if json {
        let v = serde_json::json!({
            "files": outcomes,
            "ok": outcomes.len() - refused,
            "refused": refused,
            "peak_rss_mib": peak_rss_mib(),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
    }
    if refused > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Encode a tour's frames into `out`: MP4 with `ffmpeg` (H.264, yuv420p) when it is installed,
/// otherwise — and always for `.gif` — a GIF written by the `gif` crate.
fn encode_movie(tr: &app::options::TourRender, out: &std::path::Path) -> Result<String, String> {
    let mp4 = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mp4"));
    if mp4 {
        let status = std::process::Command::new("ffmpeg")
            .args(["-y", "-loglevel", "error", "-framerate"])
            .arg(format!("{}", tr.fps))
            .arg("-i")
            .arg(tr.dir.join("frame_%05d.png"))
            .args([
                "-vf",
                "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(out)
            .status();
        match status {
            Ok(s) if s.success() => {
                return Ok(format!(
                    "{}: MP4 from {} frames (ffmpeg)",
                    out.display(),
                    tr.n_frames()
                ));
            }
            Ok(s) => return Err(format!("{}: ffmpeg failed ({s})", out.display())),
            Err(_) => {} // no ffmpeg: a GIF instead
        }
    }
    let gif_path = if mp4 {
        out.with_extension("gif")
    } else {
        out.to_path_buf()
    };
    crate::io::gif::write_frames(
        &(0..tr.n_frames())
            .map(|i| tr.frame_path(i))
            .collect::<Vec<_>>(),
        tr.fps,
        &gif_path,
    )?;
    Ok(format!(
        "{}: GIF from {} frames{}",
        gif_path.display(),
        tr.n_frames(),
        if mp4 {
            " (ffmpeg is not installed)"
        } else {
            ""
        }
    ))
}

fn render(a: RenderArgs) -> ExitCode {
    let s = &a.scene;
    let opts = SceneOptions {
        surface: s.surface,
        inflate: s.inflate,
        show: s.show.clone(),
        colormap: s.colormap.clone(),
        vmin: s.vmin,
        vmax: s.vmax,
        threshold: s.threshold,
        hemi: s.hemi,
        no_vessels: a.no_vessels,
        no_default: a.no_default,
        live: a.live.clone(),
    };
    if a.width == 0 || a.height == 0 || a.width > 16384 || a.height > 16384 {
        return fail(format!(
            "image size {}×{} is outside 1..16384",
            a.width, a.height
        ));
    }
    let mut plan: Option<crate::session::PlanSession> = None;
    let mut simulation: Option<(crate::session::SimulationState, Vec<f32>)> = None;
    let mut camera = None;
    let mut tour = None;
    let mut from_session = None;
    let mut scene = if let Some(path) = &a.session {
        let sess = match crate::session::read(path) {
            Ok(x) => x,
            Err(e) => return fail(e),
        };
        let folder = path.parent().unwrap_or(std::path::Path::new("."));
        let (scene, notes) = match crate::session::restore_scene(&sess, folder) {
            Ok(x) => x,
            Err(e) => return fail(format!("{}: {e}", path.display())),
        };
        for n in notes {
            eprintln!("cortexplorer: note: {}: {n}", path.display());
        }
        camera = sess.camera;
        plan = sess.plan.clone();
        if let Some(name) = &a.tour {
            let orbit = sess
                .camera
                .filter(|_| name == "orbit")
                .map(|c| crate::session::Tour::orbit("orbit", c, 8.0, a.fps));
            let Some(t) = sess
                .tours
                .iter()
                .find(|t| &t.name == name)
                .or(orbit.as_ref())
            else {
                let names: Vec<&str> = sess.tours.iter().map(|t| t.name.as_str()).collect();
                return fail(format!(
                    "{}: no tour named {name:?} (have: {})",
                    path.display(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ));
            };
            if t.keyframes.is_empty() {
                return fail(format!(
                    "{}: tour {name:?} has no keyframes",
                    path.display()
                ));
            }
            if !(a.fps.is_finite() && a.fps > 0.0 && a.fps <= 240.0) {
                return fail(format!("--fps {}: must be in (0, 240]", a.fps));
            }
            tour = Some(t.clone());
        }
        from_session = Some(sess);
        scene
    } else {
        match build_scene(&s.files, &opts) {
            Ok(s) => s,
            Err(e) => return fail(e),
        }
    };
    if a.selectivity_demo
        && let Err(e) = scene.open_selectivity_demo()
    {
        return fail(e);
    }
    if let Some(q) = &a.search
        && let Err(e) = scene.search_captions(q, false)
    {
        return fail(e);
    }
    if let Some(p) = &a.plan_file {
        match crate::planning::export::read_plan_json(p) {
            Ok(saved) => {
                plan = Some(crate::session::PlanSession {
                    config: saved.config,
                    layout: Some(saved.layout),
                    show_electrodes: true,
                })
            }
            Err(e) => return fail(e),
        }
    }
    if let Some(model) = &a.simulate {
        let setup = match crate::activity::setup::Setup::new(model, &[]) {
            Ok(x) => x,
            Err(e) => return fail(e),
        };
        let run = match crate::activity::run_on_scene(&scene, &setup, a.sim_steps) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        scene.set_live_layer(
            app::activity::LAYER,
            None,
            run.per_hemi(),
            setup.display_style(),
        );
        let values = crate::activity::setup::specs(model)
            .map(|sp| sp.iter().map(|x| x.default).collect())
            .unwrap_or_default();
        simulation = Some((
            crate::session::SimulationState {
                model: model.clone(),
                values,
                speed: 1.0,
                running: true,
                t: run.t,
                dt: run.dt,
                state: None,
            },
            run.state,
        ));
    }
    let movie = tour.as_ref().map(|_| a.out.clone());
    let tour_render = match (&tour, &movie) {
        (Some(t), Some(out)) => {
            let is_movie = out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("mp4") || e.eq_ignore_ascii_case("gif"));
            let dir = if is_movie {
                out.with_extension("frames")
            } else {
                out.clone()
            };
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return fail(format!("{}: {e}", dir.display()));
            }
            Some(app::options::TourRender {
                tour: t.clone(),
                fps: a.fps,
                dir,
            })
        }
        _ => None,
    };
    let kept = a.save_session.as_ref().map(|_| scene.clone());
    let ropts = RenderOptions {
        out: a.out.clone(),
        width: a.width,
        height: a.height,
        bench_frames: a.bench_frames,
        view: s.view,
        camera,
        tour: tour_render.clone(),
        transparent: a.transparent,
    };
    let rendered = app::run_render(ropts, scene, plan.as_ref());
    let mut report = match rendered {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let (Some(tr), Some(out)) = (&tour_render, &movie)
        && out != &tr.dir
    {
        match encode_movie(tr, out) {
            Ok(how) => {
                eprintln!("cortexplorer: {how}");
                report.out = out.clone();
            }
            Err(e) => return fail(e),
        }
    }
    if let (Some(path), Some(scene)) = (&a.save_session, kept) {
        let (mut sess, mut blobs, notes) = crate::session::Session::from_scene(&scene, path);
        for n in notes {
            eprintln!("cortexplorer: note: {n}");
        }
        if let Some(old) = &from_session {
            sess.bookmarks = old.bookmarks.clone();
            sess.tours = old.tours.clone();
            sess.caption = old.caption.clone();
            sess.panels = old.panels.clone();
            sess.pinned = old.pinned.clone();
            sess.simulation = old.simulation.clone();
        }
        sess.camera = report.camera;
        sess.plan = plan.clone();
        if let Some((mut sim, state)) = simulation {
            let n = state.len();
            sim.state = Some(crate::session::Session::blob(
                path,
                crate::brain::data::Overlay::new(n, 1, state),
                &mut blobs,
            ));
            sess.simulation = Some(sim);
        }
        if let Err(e) = crate::session::save(path, &sess, &blobs) {
            return fail(e);
        }
    }
    let result: Result<app::capture::RenderReport, String> = Ok(report);
    match result {
        Ok(report) => {
            if a.json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap());
            } else {
                if !report.tour_frames.is_empty() {
                    println!("tour: {} frames", report.tour_frames.len());
                }
                println!(
                    "wrote {} ({}×{}), first frame after {:.0} ms",
                    report.out.display(),
                    report.width,
                    report.height,
                    report.first_frame_ms
                );
                if let Some(ms) = report.mean_frame_ms {
                    println!(
                        "mean frame time over {} frames: {ms:.2} ms ({:.1} fps)",
                        report.frames,
                        1000.0 / ms
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
