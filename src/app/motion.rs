//! Lower resolution while the camera moves, full resolution at rest.
//!
//! On a software rasteriser (and on small GPUs driving large screens) a frame costs in
//! proportion to its pixels: the default scene in a 1280×800 window takes 77 ms a frame on
//! Mesa 25's lavapipe, a 640×400 one 39 ms. So while the camera orbits, pans, zooms or glides
//! (a bookmark, a tour), the 3D view is drawn into an image at `scale` of the window's
//! resolution (default ½ in each direction) which egui stretches into the free area behind the
//! panels; [`REST_FRAMES`] frames after the camera stops, the camera draws into the window again
//! at full resolution. Panels stay sharp throughout: only the 3D view is scaled.
//!
//! How it is drawn: a second 3D camera, a child of the main one (so it has its pose), is active
//! only while moving. It renders the scene into the image; its scale factor is the window's
//! times `scale`, so its *logical* viewport is the window's and it takes the main camera's
//! projection and panel inset (a sub-camera view, in proportions) unchanged. Meanwhile the main
//! camera still targets the window — it keeps egui, the orbit controller's input, picking and
//! the projected labels — but sees no render layer, so it draws nothing but its clear. At rest
//! the second camera is inactive (costs nothing) and the main camera sees everything again: the
//! frame at rest is exactly what it was without this feature.
//!
//! **When it is used.** Whether a smaller 3D pass makes the frame faster depends on the machine:
//! on a 2-core Mesa 25 lavapipe under Xvfb the default scene orbits at 37 ms a frame at full
//! resolution and 41 ms at half (the frame is bound by fixed per-frame work, and the reduced path
//! adds the main camera's empty passes and the stretched image), with 4× MSAA 75 vs 71 ms. So the
//! default mode, *auto*, measures both while the camera moves — the first [`TRIAL_FRAMES`] moving
//! frames reduced, the next as many at full resolution — and then keeps reducing only if that
//! was at least 15% faster; it measures again every [`RETRIAL_FRAMES`] moving frames (the scene
//! may have changed). *always* and *off* (View menu, or `CORTEXPLORER_MOTION=auto|always|off`)
//! fix the choice; `CORTEXPLORER_MOTION_SCALE` sets `scale` (0.25–1, default ½).
//! `view --bench-frames N --orbit` prints the frame times of both and the choice.
//!
//! **Held still by a tool.** While a tool moves a few things over a still scene (an electrode
//! drag), [`MotionResolution::freeze`] draws the 3D view once, at full resolution, into the same
//! image and then shows it from there: the second camera is active only on the frames that
//! draw it (the first, after the camera moved, and when the tool asks with
//! [`MotionResolution::refresh`]), and the moving things are drawn over it as
//! [`MotionResolution::overlay`] dots by egui. A frozen frame costs the panels and one textured
//! rectangle instead of the scene: on lavapipe the electrode drag goes from 7 to over 30 updates a
//! second (docs/benchmarks.md). The tool hides the moving things in the 3D scene meanwhile, so
//! the image does not show them twice.

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraUpdateSystems, ImageRenderTarget, RenderTarget};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::prelude::*;
use bevy::window::{PrimaryWindow, RequestRedraw};
use bevy_egui::{EguiPostUpdateSet, EguiTextureHandle, EguiUserTextures, egui};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraSystemSet};

use super::camera::MainCamera;

/// Frames without camera motion before the full-resolution view comes back.
pub const REST_FRAMES: u32 = 4;

/// The default scale while moving (of the window's width and height).
pub const DEFAULT_SCALE: f32 = 0.5;

/// Moving frames measured per mode in a trial (after [`SETTLE`] frames of each).
pub const TRIAL_FRAMES: u32 = 24;
/// Frames after a switch of mode that are not measured (texture allocation, first use).
const SETTLE: u32 = 4;
/// Moving frames between trials.
pub const RETRIAL_FRAMES: u64 = 1_800;

/// When to draw the 3D view at reduced resolution while the camera moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MotionMode {
    /// when it was measured to be faster on this machine and scene
    #[default]
    Auto,
    Always,
    Off,
}

impl MotionMode {
    pub const ALL: [MotionMode; 3] = [MotionMode::Auto, MotionMode::Always, MotionMode::Off];
    pub fn label(self) -> &'static str {
        match self {
            MotionMode::Auto => "auto (when measured faster)",
            MotionMode::Always => "always",
            MotionMode::Off => "off",
        }
    }
    fn from_env() -> MotionMode {
        match std::env::var("CORTEXPLORER_MOTION").ok().as_deref() {
            Some("always") => MotionMode::Always,
            Some("off") => MotionMode::Off,
            _ => MotionMode::Auto,
        }
    }
}

/// The auto mode's measurements: mean frame time while moving, per mode.
#[derive(Clone, Copy, Debug, Default)]
pub struct Trial {
    /// (frames counted, total ms) at reduced and at full resolution
    pub reduced: (u32, f64),
    pub full: (u32, f64),
    /// frames since the mode last switched (the first [`SETTLE`] are not counted)
    since_switch: u32,
    /// the decision, once both are measured
    pub reduce: Option<bool>,
    /// moving frames since the decision
    since_decision: u64,
}

impl Trial {
    pub fn mean_ms(c: (u32, f64)) -> Option<f64> {
        (c.0 > 0).then(|| c.1 / c.0 as f64)
    }
    /// Whether to reduce this moving frame, having drawn the last one in `last_reduced` mode
    /// taking `ms`.
    fn next(&mut self, last_reduced: Option<bool>, ms: f64) -> bool {
        if let Some(r) = last_reduced {
            self.since_switch += 1;
            if self.reduce.is_none() && self.since_switch > SETTLE {
                let c = if r { &mut self.reduced } else { &mut self.full };
                c.0 += 1;
                c.1 += ms;
            }
        }
        if let Some(d) = self.reduce {
            self.since_decision += 1;
            if self.since_decision < RETRIAL_FRAMES {
                return d;
            }
            *self = Trial::default();
        }
        let want = if self.reduced.0 < TRIAL_FRAMES {
            true
        } else if self.full.0 < TRIAL_FRAMES {
            false
        } else {
            let (r, f) = (
                Trial::mean_ms(self.reduced).unwrap_or(f64::MAX),
                Trial::mean_ms(self.full).unwrap_or(0.0),
            );
            let d = r < 0.85 * f;
            self.reduce = Some(d);
            self.since_decision = 0;
            d
        };
        if last_reduced != Some(want) {
            self.since_switch = 0;
        }
        want
    }
}

/// A dot egui draws over the frozen view (window coordinates, logical pixels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlayDot {
    pub at: Vec2,
    pub radius: f32,
    pub rgb: [u8; 3],
}

/// What the UI needs to know (and may change) about motion resolution.
#[derive(Resource)]
pub struct MotionResolution {
    /// a tool holds the view still: draw the scene once into the image and show it from there
    pub freeze: bool,
    /// while frozen: draw the image again this frame (cleared once done)
    pub refresh: bool,
    /// while frozen: what moves, drawn over the image
    pub overlay: Vec<OverlayDot>,
    /// frames shown from the frozen image, and how many of them drew it
    pub frozen_frames: u64,
    pub frozen_draws: u64,
    /// the image holds the frozen view (drawn since the freeze began)
    frozen_valid: bool,
    /// the 3D view's resolution while moving, as a fraction of the window's (1: no change)
    pub scale: f32,
    pub mode: MotionMode,
    /// the auto mode's measurements
    pub trial: Trial,
    /// the mode the last moving frame was drawn in
    last_reduced: Option<bool>,
    /// this frame the 3D view is drawn into [`Self::texture`] (the UI must show it)
    pub active: bool,
    /// the reduced-resolution image as an egui texture
    pub texture: Option<egui::TextureId>,
    /// frames drawn at reduced resolution since start (for tests and the bench report)
    pub reduced_frames: u64,
    still: u32,
    last: Option<GlobalTransform>,
    image: Option<(Handle<Image>, UVec2)>,
}

impl Default for MotionResolution {
    fn default() -> Self {
        MotionResolution {
            freeze: false,
            refresh: false,
            overlay: Vec::new(),
            frozen_frames: 0,
            frozen_draws: 0,
            frozen_valid: false,
            scale: scale_from_env(),
            mode: MotionMode::from_env(),
            trial: Trial::default(),
            last_reduced: None,
            active: false,
            texture: None,
            reduced_frames: 0,
            still: REST_FRAMES,
            last: None,
            image: None,
        }
    }
}

impl MotionResolution {
    /// Frames since the camera last moved.
    pub fn still_frames(&self) -> u32 {
        self.still
    }
}

/// `CORTEXPLORER_MOTION_SCALE`, clamped to 0.25–1 (unset or unreadable: the default).
fn scale_from_env() -> f32 {
    std::env::var("CORTEXPLORER_MOTION_SCALE")
        .ok()
        .and_then(|s| s.trim().parse::<f32>().ok())
        .filter(|s| s.is_finite())
        .map_or(DEFAULT_SCALE, |s| s.clamp(0.25, 1.0))
}

/// The reduced image's size for a window of `w`×`h` physical pixels.
pub fn reduced_size(w: u32, h: u32, scale: f32) -> UVec2 {
    UVec2::new(
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    )
}

pub struct MotionPlugin {
    /// orbit the camera continuously (for `view --bench-frames N --orbit`)
    pub orbit: bool,
}

impl Plugin for MotionPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<MotionResolution>().add_systems(
            PostUpdate,
            switch_target
                .after(PanOrbitCameraSystemSet)
                .after(TransformSystems::Propagate)
                .before(CameraUpdateSystems)
                .before(EguiPostUpdateSet::EndPass),
        );
        if self.orbit {
            app.add_systems(Update, bench_orbit);
        }
    }
}

/// The camera that draws the scene at reduced resolution while the view moves.
#[derive(Component)]
pub struct MotionCamera;

type MainQuery<'w, 's> = Query<
    'w,
    's,
    (
        Entity,
        &'static GlobalTransform,
        &'static Camera,
        &'static Projection,
        Option<&'static RenderLayers>,
    ),
    (With<MainCamera>, Without<MotionCamera>),
>;

type MotionQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static mut Camera,
        &'static mut RenderTarget,
        &'static mut Projection,
    ),
    (With<MotionCamera>, Without<MainCamera>),
>;

#[allow(clippy::too_many_arguments)]
fn switch_target(
    mut commands: Commands,
    mut state: ResMut<MotionResolution>,
    time: Res<Time<Real>>,
    main: MainQuery,
    mut motion: MotionQuery,
    window: Query<&Window, With<PrimaryWindow>>,
    mut images: ResMut<Assets<Image>>,
    mut egui_textures: ResMut<EguiUserTextures>,
    mut redraw: MessageWriter<RequestRedraw>,
) {
    let (Ok((main_e, tf, main_cam, main_proj, layers)), Ok(win)) = (main.single(), window.single())
    else {
        return;
    };
    let moved = state.last.is_some_and(|l| l != *tf);
    state.last = Some(*tf);
    state.still = if moved {
        0
    } else {
        state.still.saturating_add(1)
    };
    let (w, h) = (win.physical_width(), win.physical_height());
    if state.freeze && w > 0 && h > 0 {
        // draw the still scene once (and again after the camera moved or when asked)
        let draw = !state.frozen_valid || state.refresh || moved;
        state.refresh = false;
        state.frozen_valid = true;
        state.frozen_frames += 1;
        state.frozen_draws += u64::from(draw);
        let mut to_image =
            ToImage::new(&mut commands, &mut images, &mut egui_textures, &mut motion);
        to_image.show(
            &mut state,
            main_e,
            main_cam,
            main_proj,
            layers,
            win,
            UVec2::new(w, h),
            draw,
        );
        return;
    }
    state.frozen_valid = false;
    let moving = state.still < REST_FRAMES && w > 0 && h > 0;
    let ms = time.delta_secs_f64() * 1e3;
    let reduce = moving
        && state.scale < 1.0
        && match state.mode {
            MotionMode::Off => false,
            MotionMode::Always => true,
            MotionMode::Auto => {
                let last = state.last_reduced;
                state.trial.next(last, ms)
            }
        };
    state.last_reduced = moving.then_some(reduce);
    let sees_nothing = layers.is_some_and(|l| *l == RenderLayers::none());
    if !reduce {
        if sees_nothing {
            commands.entity(main_e).remove::<RenderLayers>();
        }
        for (mut cam, _, _) in &mut motion {
            if cam.is_active {
                cam.is_active = false;
            }
        }
        state.active = false;
        return;
    }
    let size = reduced_size(w, h, state.scale);
    let mut to_image = ToImage::new(&mut commands, &mut images, &mut egui_textures, &mut motion);
    to_image.show(
        &mut state, main_e, main_cam, main_proj, layers, win, size, true,
    );
    state.reduced_frames += 1;
    // frames must keep coming until the view is back at full resolution
    redraw.write(RequestRedraw);
}

/// What drawing the 3D view into the image (instead of the window) needs.
struct ToImage<'a, 'w, 's, 'qw, 'qs> {
    commands: &'a mut Commands<'w, 's>,
    images: &'a mut Assets<Image>,
    egui_textures: &'a mut EguiUserTextures,
    motion: &'a mut MotionQuery<'qw, 'qs>,
}

impl<'a, 'w, 's, 'qw, 'qs> ToImage<'a, 'w, 's, 'qw, 'qs> {
    fn new(
        commands: &'a mut Commands<'w, 's>,
        images: &'a mut Assets<Image>,
        egui_textures: &'a mut EguiUserTextures,
        motion: &'a mut MotionQuery<'qw, 'qs>,
    ) -> Self {
        ToImage {
            commands,
            images,
            egui_textures,
            motion,
        }
    }

    /// Show the 3D view through the image of `size` physical pixels: the main camera sees
    /// nothing, the motion camera (made on first use, a child of the main one) draws the scene
    /// into the image on this frame when `draw`, and the UI shows the image.
    #[allow(clippy::too_many_arguments)]
    fn show(
        &mut self,
        state: &mut MotionResolution,
        main_e: Entity,
        main_cam: &Camera,
        main_proj: &Projection,
        layers: Option<&RenderLayers>,
        win: &Window,
        size: UVec2,
        draw: bool,
    ) {
        let w = win.physical_width();
        if state.image.as_ref().is_none_or(|(_, s)| *s != size) {
            if let Some((old, _)) = state.image.take() {
                self.egui_textures.remove_image(old.id());
                self.images.remove(old.id());
            }
            let mut image = super::camera::target_image(size);
            if size.x == w {
                // one texel per pixel: nearest is exact, and a software rasteriser samples it
                // at a fraction of a filtered lookup's cost
                image.sampler = bevy::image::ImageSampler::nearest();
            }
            let handle = self.images.add(image);
            state.texture = Some(
                self.egui_textures
                    .add_image(EguiTextureHandle::Strong(handle.clone())),
            );
            state.image = Some((handle, size));
        }
        let handle = state.image.as_ref().expect("made above").0.clone();
        // logical size = the window's: physical / (window scale × actual reduction)
        let target = RenderTarget::Image(ImageRenderTarget {
            handle,
            scale_factor: win.scale_factor() * size.x as f32 / w as f32,
        });
        match self.motion.single_mut() {
            Ok((mut cam, mut current, mut proj)) => {
                let same = matches!((&*current, &target), (RenderTarget::Image(a), RenderTarget::Image(b)) if a == b);
                if !same {
                    *current = target;
                    // Bevy recomputes a camera's target size on window/image events, not when
                    // the target component changes: a changed projection makes it do so
                    proj.set_changed();
                }
                if cam.is_active != draw {
                    cam.is_active = draw;
                    if draw {
                        proj.set_changed();
                    }
                }
                if cam.sub_camera_view != main_cam.sub_camera_view {
                    cam.sub_camera_view = main_cam.sub_camera_view;
                }
                if let (Projection::Perspective(a), Projection::Perspective(b)) =
                    (&*proj, main_proj)
                    && a.fov != b.fov
                {
                    *proj = main_proj.clone();
                }
            }
            Err(_) => {
                let child = self
                    .commands
                    .spawn((
                        MotionCamera,
                        Camera3d::default(),
                        Camera {
                            order: -1,
                            is_active: draw,
                            sub_camera_view: main_cam.sub_camera_view,
                            ..default()
                        },
                        target,
                        main_proj.clone(),
                        Tonemapping::None,
                        super::camera::msaa_from_env(),
                        Transform::IDENTITY,
                    ))
                    .id();
                self.commands.entity(main_e).add_child(child);
            }
        }
        if layers.is_none_or(|l| *l != RenderLayers::none()) {
            self.commands.entity(main_e).insert(RenderLayers::none());
        }
        state.active = true;
    }
}

/// `--orbit`: turn the camera about the scene, one degree a frame.
fn bench_orbit(mut cams: Query<&mut PanOrbitCamera, With<MainCamera>>) {
    for mut p in &mut cams {
        p.target_yaw += 1f32.to_radians();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drive the trial with frame times per mode; the decision after both are measured.
    fn decide(reduced_ms: f64, full_ms: f64) -> (Trial, u32) {
        let mut t = Trial::default();
        let mut last = None;
        for n in 0..1000 {
            let ms = match last {
                Some(true) => reduced_ms,
                Some(false) => full_ms,
                None => 0.0,
            };
            last = Some(t.next(last, ms));
            if t.reduce.is_some() {
                return (t, n);
            }
        }
        panic!("no decision");
    }

    #[test]
    fn auto_keeps_the_reduced_view_only_when_it_is_clearly_faster() {
        let (t, frames) = decide(20.0, 40.0);
        assert_eq!(t.reduce, Some(true));
        assert_eq!(Trial::mean_ms(t.reduced), Some(20.0));
        assert_eq!(Trial::mean_ms(t.full), Some(40.0));
        // both modes measured, each after its settling frames
        assert!((2 * TRIAL_FRAMES..=2 * (TRIAL_FRAMES + SETTLE) + 2).contains(&frames));
        // slower, or faster by less than 15%: full resolution
        assert_eq!(decide(41.0, 40.0).0.reduce, Some(false));
        assert_eq!(decide(36.0, 40.0).0.reduce, Some(false));
        assert_eq!(decide(33.0, 40.0).0.reduce, Some(true));
    }

    #[test]
    fn auto_measures_again_after_a_while() {
        let (mut t, _) = decide(20.0, 40.0);
        for _ in 0..RETRIAL_FRAMES - 1 {
            assert!(t.next(Some(true), 20.0));
        }
        // a new trial starts with the reduced view, measured afresh
        assert!(t.next(Some(true), 20.0));
        assert_eq!(t.reduce, None);
        assert_eq!(t.reduced.0, 0);
    }

    #[test]
    fn the_reduced_image_keeps_the_window_aspect() {
        assert_eq!(reduced_size(1280, 800, 0.5), UVec2::new(640, 400));
        assert_eq!(reduced_size(1, 1, 0.25), UVec2::new(1, 1));
        assert_eq!(reduced_size(1917, 1001, 0.5), UVec2::new(959, 501));
    }
}
