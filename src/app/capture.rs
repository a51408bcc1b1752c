//! Screenshots and frame timing.
//!
//! * GUI: F12 or File→Save screenshot writes a PNG of the 3D view (the window capture cropped
//!   to the area not covered by panels).
//! * `render`: once the scene has been drawn, the offscreen image is captured and written;
//!   with `--bench-frames N` the program then draws N more frames and captures again, so the
//!   mean frame time includes all GPU work (the final read-back waits for it).
//! * `view --bench-frames N`: the same timing in the window, then exit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;

use super::camera::{RenderTargetImage, ViewportInset};
use super::scene::{ContentFrames, Drawn};
use super::{
    options::RenderOptions,
    shared::{LaunchTime, Notice},
};

/// Ask for a screenshot of the 3D view (None: a time-stamped name in the current folder).
#[derive(Message, Clone)]
pub struct TakeScreenshot(pub Option<PathBuf>);

/// What `render` measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RenderReport {
    pub out: PathBuf,
    pub width: u32,
    pub height: u32,
    /// From program start to the request of the first complete frame (scene loaded, meshes
    /// uploaded, pipelines compiled, surfaces drawn).
    pub first_frame_ms: f64,
    /// Mean over `frames` frames (when benchmarking).
    pub mean_frame_ms: Option<f64>,
    pub frames: u32,
    /// the camera pose of the picture
    pub camera: Option<super::camera::CameraPose>,
    /// a tour: the frames written (PNG files in order)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tour_frames: Vec<PathBuf>,
}

/// Put the scene and the camera in the state a tour shows at `t` seconds.
pub fn apply_tour_frame(
    f: &crate::session::TourFrame,
    scene: &mut crate::brain::scene::Scene,
    pinned: &mut super::camera::PinnedPose,
) {
    use crate::brain::scene::LayerData;
    pinned.0 = Some(f.camera);
    if (scene.view.inflate - f.inflate).abs() > 1e-6 {
        scene.set_inflate(f.inflate);
    }
    let mut changed = false;
    for l in &mut scene.layers {
        if let Some(v) = f.visible.get(&l.name)
            && l.visible != *v
        {
            l.visible = *v;
            changed = true;
        }
        if let (Some(th), LayerData::Overlay { style, .. }) =
            (f.thresholds.get(&l.name), &mut l.data)
            && style.threshold != *th
        {
            style.threshold = *th;
            changed = true;
        }
    }
    if changed {
        scene.color_rev += 1;
    }
}

/// Where the render result is handed back to the caller of `run_render`.
#[derive(Resource, Clone, Default)]
pub struct RenderResult(Arc<Mutex<Option<Result<RenderReport, String>>>>);

impl RenderResult {
    pub fn take(&self) -> Result<RenderReport, String> {
        self.0
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| Err("rendering ended without producing an image".into()))
    }
    fn set(&self, r: Result<RenderReport, String>) {
        *self.0.lock().unwrap() = Some(r);
    }
}

pub struct CapturePlugin {
    pub render: Option<RenderOptions>,
    pub bench_frames: Option<u32>,
    /// GUI: save a screenshot of the whole window once the scene is drawn, then exit.
    pub exit_screenshot: Option<PathBuf>,
}

#[derive(Resource)]
struct RenderJob {
    opts: RenderOptions,
    stage: Stage,
    first_frame_ms: f64,
    attempts: u32,
    /// with a tour: the frame being drawn, and whether its state is applied
    tour_frame: usize,
    tour_applied: bool,
}

/// Captures tried before accepting whatever the target holds.
const MAX_ATTEMPTS: u32 = 120;

/// A captured frame is complete when the camera has drawn into the target (the target starts
/// pure black, the clear colour is not) and something besides the background is visible (the
/// camera frames the scene, so the surfaces are in view). Pipelines and GPU images can take a
/// few frames to become ready, more in debug builds.
fn frame_complete(img: &Image) -> bool {
    let Some(data) = img.data.as_ref() else {
        return false;
    };
    let bg = super::shared::BACKGROUND.to_srgba().to_u8_array();
    let mut drawn = false;
    let mut content = false;
    for px in data.chunks_exact(4) {
        if px[..3] != [0, 0, 0] {
            drawn = true;
        }
        if px[..3]
            .iter()
            .zip(&bg[..3])
            .any(|(a, b)| a.abs_diff(*b) > 8)
            && px[..3] != [0, 0, 0]
        {
            content = true;
        }
        if drawn && content {
            return true;
        }
    }
    false
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Stage {
    WaitForScene,
    Capturing,
    Benchmark { start: Instant, frames: u32 },
    BenchCapture { start: Instant },
    Done,
}

#[derive(Resource)]
pub(crate) struct GuiBench {
    frames: u32,
    start: Option<Instant>,
    counted: u32,
    first_frame: Option<f64>,
    screenshot: Option<PathBuf>,
    done: bool,
    /// frames drawn since held work finished
    settle: u32,
    /// reduced-resolution frames (`motion`) drawn before the measured ones
    reduced_before: u64,
}

/// Frames to wait after the meshes exist before capturing (mesh upload, pipeline warm-up).
const SETTLE_FRAMES: u32 = 3;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<TakeScreenshot>();
        match &self.render {
            Some(opts) => {
                app.insert_resource(RenderJob {
                    opts: opts.clone(),
                    stage: Stage::WaitForScene,
                    first_frame_ms: 0.0,
                    attempts: 0,
                    tour_frame: 0,
                    tour_applied: false,
                })
                .add_systems(Last, drive_render_job);
            }
            None => {
                app.add_systems(Update, (screenshot_key, take_screenshots).chain());
                if self.bench_frames.is_some() || self.exit_screenshot.is_some() {
                    app.insert_resource(GuiBench {
                        frames: self.bench_frames.unwrap_or(0),
                        start: None,
                        counted: 0,
                        first_frame: None,
                        screenshot: self.exit_screenshot.clone(),
                        done: false,
                        settle: 0,
                        reduced_before: 0,
                    })
                    .add_systems(Last, gui_bench);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn drive_render_job(
    mut commands: Commands,
    mut job: ResMut<RenderJob>,
    drawn: Res<Drawn>,
    mut frames: ResMut<ContentFrames>,
    target: Res<RenderTargetImage>,
    launch: Res<LaunchTime>,
    result: Res<RenderResult>,
    (mut doc, mut pinned, now): (
        ResMut<super::shared::SceneDoc>,
        ResMut<super::camera::PinnedPose>,
        Res<super::camera::CameraNow>,
    ),
    mut exit: MessageWriter<AppExit>,
) {
    match job.stage {
        Stage::WaitForScene => {
            if !drawn.has_content() {
                return;
            }
            if let Some(tr) = &job.opts.tour
                && !job.tour_applied
            {
                let t = job.tour_frame as f64 / tr.fps;
                if let Some(f) = tr.tour.at(t) {
                    apply_tour_frame(&f, &mut doc.0, &mut pinned);
                }
                job.tour_applied = true;
                frames.0 = 0;
                return;
            }
            if frames.0 >= SETTLE_FRAMES {
                job.stage = Stage::Capturing;
                job.attempts += 1;
                let requested_ms = launch.0.elapsed().as_secs_f64() * 1e3;
                let tour = job.opts.tour.clone();
                let frame_i = job.tour_frame;
                let out = match &tour {
                    Some(tr) => tr.frame_path(frame_i),
                    None => job.opts.out.clone(),
                };
                let camera = now.0;
                let transparent = job.opts.transparent;
                // a tour frame carries its caption, burnt in as the presenter overlay shows it
                let caption = tour
                    .as_ref()
                    .and_then(|tr| tr.tour.at(frame_i as f64 / tr.fps))
                    .and_then(|f| f.caption);
                let res = result.clone();
                let (w, h) = (job.opts.width, job.opts.height);
                let bench = job.opts.bench_frames;
                commands.spawn(Screenshot::image(target.0.clone())).observe(
                    move |ev: On<ScreenshotCaptured>, mut job: ResMut<RenderJob>| {
                        if !frame_complete(&ev.image) && job.attempts < MAX_ATTEMPTS {
                            job.stage = Stage::WaitForScene; // not drawn yet: capture again
                            return;
                        }
                        let saved = match &caption {
                            Some(c) => save_captioned(&ev.image, &out, transparent, c),
                            None if transparent => save_rgba(&ev.image, &out),
                            None => save_rgb(&ev.image, &out, None),
                        };
                        if let (Some(tr), Ok(())) = (&tour, &saved) {
                            {
                                let mut guard = res.0.lock().unwrap();
                                match guard.as_mut() {
                                    Some(Ok(r)) => r.tour_frames.push(out.clone()),
                                    _ => {
                                        job.first_frame_ms = requested_ms;
                                        *guard = Some(Ok(RenderReport {
                                            out: tr.dir.clone(),
                                            width: w,
                                            height: h,
                                            first_frame_ms: requested_ms,
                                            mean_frame_ms: None,
                                            frames: 0,
                                            camera,
                                            tour_frames: vec![out.clone()],
                                        }))
                                    }
                                }
                            }
                            if frame_i + 1 < tr.n_frames() {
                                job.tour_frame += 1;
                                job.tour_applied = false;
                                job.attempts = 0;
                                job.stage = Stage::WaitForScene;
                            } else {
                                job.stage = Stage::Done;
                            }
                            return;
                        }
                        let first = requested_ms;
                        job.first_frame_ms = first;
                        match saved {
                            Ok(()) => {
                                res.set(Ok(RenderReport {
                                    out: out.clone(),
                                    width: w,
                                    height: h,
                                    first_frame_ms: first,
                                    mean_frame_ms: None,
                                    frames: 0,
                                    camera,
                                    tour_frames: Vec::new(),
                                }));
                                job.stage = match bench {
                                    Some(n) if n > 0 => Stage::Benchmark {
                                        start: Instant::now(),
                                        frames: 0,
                                    },
                                    _ => Stage::Done,
                                };
                            }
                            Err(e) => {
                                res.set(Err(e));
                                job.stage = Stage::Done;
                            }
                        }
                    },
                );
            }
        }
        Stage::Capturing | Stage::BenchCapture { .. } => {}
        Stage::Benchmark { start, frames } => {
            let n = job.opts.bench_frames.unwrap_or(0);
            if frames + 1 < n {
                job.stage = Stage::Benchmark {
                    start,
                    frames: frames + 1,
                };
                return;
            }
            job.stage = Stage::BenchCapture { start };
            let res = result.clone();
            commands.spawn(Screenshot::image(target.0.clone())).observe(
                move |_ev: On<ScreenshotCaptured>, mut job: ResMut<RenderJob>| {
                    if let Stage::BenchCapture { start } = job.stage {
                        let ms = start.elapsed().as_secs_f64() * 1e3 / n as f64;
                        let mut guard = res.0.lock().unwrap();
                        if let Some(Ok(r)) = guard.as_mut() {
                            r.mean_frame_ms = Some(ms);
                            r.frames = n;
                        }
                    }
                    job.stage = Stage::Done;
                },
            );
        }
        Stage::Done => {
            exit.write(AppExit::Success);
        }
    }
}

pub(crate) fn gui_bench(
    mut commands: Commands,
    mut bench: ResMut<GuiBench>,
    drawn: Res<Drawn>,
    frames: Res<ContentFrames>,
    launch: Res<LaunchTime>,
    hold: Res<super::shared::CaptureHold>,
    (loading, doc, motion): (
        Res<super::shared::Loading>,
        Res<super::shared::SceneDoc>,
        Option<Res<super::motion::MotionResolution>>,
    ),
    mut exit: MessageWriter<AppExit>,
) {
    if !drawn.has_content() || bench.done {
        return;
    }
    // wait for held work (e.g. the start-up plan) and the files given at start, then let
    // their results reach the screen
    if hold.0 > 0 || !loading.pending.is_empty() {
        bench.settle = 0;
        return;
    }
    if bench.settle < 10 {
        bench.settle += 1;
        return;
    }
    if bench.first_frame.is_none() {
        bench.first_frame = Some(launch.0.elapsed().as_secs_f64() * 1e3);
    }
    // let the panels settle and the pipelines warm up
    if frames.0 < 10 {
        return;
    }
    let reduced = motion.as_ref().map_or(0, |m| m.reduced_frames);
    if bench.start.is_none() {
        bench.reduced_before = reduced;
    }
    let start = *bench.start.get_or_insert_with(Instant::now);
    if bench.counted < bench.frames {
        bench.counted += 1;
        return;
    }
    bench.done = true;
    if bench.frames > 0 {
        let ms = start.elapsed().as_secs_f64() * 1e3 / bench.counted as f64;
        println!(
            "{}",
            serde_json::json!({
                "mode": "window",
                "frames": bench.counted,
                "mean_frame_ms": ms,
                "fps": 1000.0 / ms,
                "first_frame_ms": bench.first_frame,
                "layers": doc.0.layers.len(),
                // frames drawn at reduced resolution while the camera moved, and the scale
                "reduced_frames": reduced - bench.reduced_before,
                "motion_scale": motion.as_ref().map(|m| m.scale),
                "motion_mode": motion.as_ref().map(|m| format!("{:?}", m.mode).to_lowercase()),
                // auto mode: mean frame time while moving, reduced and full, and the choice
                "motion_trial": motion.as_ref().map(|m| serde_json::json!({
                    "reduced_ms": super::motion::Trial::mean_ms(m.trial.reduced),
                    "full_ms": super::motion::Trial::mean_ms(m.trial.full),
                    "reduce": m.trial.reduce,
                })),
            })
        );
    }
    match bench.screenshot.clone() {
        Some(path) => {
            commands.spawn(Screenshot::primary_window()).observe(
                move |ev: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| match save_rgb(
                    &ev.image, &path, None,
                ) {
                    Ok(()) => {
                        exit.write(AppExit::Success);
                    }
                    Err(e) => {
                        eprintln!("cortexplorer: {e}");
                        exit.write(AppExit::error());
                    }
                },
            );
        }
        None => {
            exit.write(AppExit::Success);
        }
    }
}

fn screenshot_key(keys: Res<ButtonInput<KeyCode>>, mut shots: MessageWriter<TakeScreenshot>) {
    if keys.just_pressed(KeyCode::F12) {
        shots.write(TakeScreenshot(None));
    }
}

fn default_name() -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    PathBuf::from(format!("cortexplorer-{secs}.png"))
}

fn take_screenshots(
    mut commands: Commands,
    mut requests: MessageReader<TakeScreenshot>,
    inset: Res<ViewportInset>,
    window: Single<&Window, With<PrimaryWindow>>,
) {
    for TakeScreenshot(path) in requests.read() {
        let path = path.clone().unwrap_or_else(default_name);
        let s = window.scale_factor();
        let crop = (
            (inset.left * s) as u32,
            (inset.top * s) as u32,
            (inset.right * s) as u32,
            (inset.bottom * s) as u32,
        );
        commands.spawn(Screenshot::primary_window()).observe(
            move |ev: On<ScreenshotCaptured>, mut notices: MessageWriter<Notice>| {
                match save_rgb(&ev.image, &path, Some(crop)) {
                    Ok(()) => notices.write(Notice::info(format!(
                        "Screenshot saved to {}",
                        path.display()
                    ))),
                    Err(e) => notices.write(Notice::error(e)),
                };
            },
        );
    }
}

/// Write a captured image as PNG with a caption burnt into its bottom band.
fn save_captioned(img: &Image, path: &PathBuf, alpha: bool, caption: &str) -> Result<(), String> {
    let mut rgba = to_rgba(img)?;
    crate::brain::text::burn_caption(&mut rgba, caption)?;
    let rgba = image::DynamicImage::ImageRgba8(rgba);
    write_png(if alpha { rgba } else { rgba.to_rgb8().into() }, path)
}

/// A captured image as 8-bit RGBA.
fn to_rgba(img: &Image) -> Result<image::RgbaImage, String> {
    Ok(img
        .clone()
        .try_into_dynamic()
        .map_err(|e| format!("screenshot: cannot convert image: {e}"))?
        .to_rgba8())
}

fn write_png(image: image::DynamicImage, path: &PathBuf) -> Result<(), String> {
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("{}: cannot write PNG: {e}", path.display()))
}

/// Write a captured image as PNG with its alpha (a transparent background).
pub fn save_rgba(img: &Image, path: &PathBuf) -> Result<(), String> {
    write_png(to_rgba(img)?.into(), path)
}

/// Write a captured image as PNG (RGB), optionally cropped by (left, top, right, bottom).
pub fn save_rgb(
    img: &Image,
    path: &PathBuf,
    crop: Option<(u32, u32, u32, u32)>,
) -> Result<(), String> {
    let mut rgb = image::DynamicImage::ImageRgba8(to_rgba(img)?).to_rgb8();
    if let Some((l, t, r, b)) = crop {
        let (w, h) = rgb.dimensions();
        if l + r < w && t + b < h {
            rgb = image::imageops::crop_imm(&rgb, l, t, w - l - r, h - t - b).to_image();
        }
    }
    write_png(rgb.into(), path)
}
