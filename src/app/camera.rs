//! Camera: orbit/pan/zoom with bevy_panorbit_camera in the GUI (disabled while the pointer
//! is over a panel), a fixed orbit pose when rendering to an image, standard views, framing of
//! the scene, and a head-light that follows the camera so folds are always shaded.

use bevy::camera::{ImageRenderTarget, RenderTarget, SubCameraView};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::image::Image;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy_panorbit_camera::{PanOrbitCamera, PanOrbitCameraPlugin, PanOrbitCameraSystemSet};

use super::scene::Drawn;
use super::shared::SceneDoc;
use crate::brain::SurfaceKind;

pub use crate::brain::view::StandardView;
use crate::brain::view::{framing, orbit_pose};

/// Ask the camera to move to a standard view (and re-frame the scene).
#[derive(Message, Clone, Copy)]
pub struct SetView(pub StandardView);

/// Move the camera to a pose (a bookmark, a session's camera, a tour frame): at once, or
/// gliding there (`smooth`). The pose then holds: the scene is no longer re-framed when what is
/// drawn changes, until a standard view is asked for.
#[derive(Message, Clone, Copy)]
pub struct SetPose {
    pub pose: CameraPose,
    pub smooth: bool,
}

/// The pose that holds instead of automatic framing (see [`SetPose`]).
#[derive(Resource, Default, Clone, Copy)]
pub struct PinnedPose(pub Option<CameraPose>);

/// Where the main camera is now (for sessions, bookmarks and tours).
#[derive(Resource, Default, Clone, Copy)]
pub struct CameraNow(pub Option<CameraPose>);

pub use crate::session::CameraPose;

/// Space the panels take (logical pixels); the 3D view is drawn in what remains.
#[derive(Resource, Default, Clone, Copy, PartialEq)]
pub struct ViewportInset {
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

/// Whether egui is using the pointer/keyboard this frame (written by the UI plugin).
#[derive(Resource, Default, Clone, Copy)]
pub struct UiCapture {
    pub pointer: bool,
    pub keyboard: bool,
    /// a 3D tool (electrode drag) owns the pointer: the camera must not orbit
    pub tool: bool,
}

/// The main 3D camera.
#[derive(Component)]
pub struct MainCamera;

/// The image the camera renders into when there is no window.
#[derive(Resource, Clone)]
pub struct RenderTargetImage(pub Handle<Image>);

pub struct CameraPlugin {
    /// `Some((w, h))`: render into an image of that size (no window, no input).
    pub target: Option<(u32, u32)>,
    pub view: StandardView,
}

#[derive(Resource, Clone, Copy)]
struct CameraConfig {
    view: StandardView,
    /// size of the offscreen target, if any
    target: Option<(u32, u32)>,
}

/// Bounds last used to frame the camera (re-framed when the drawn geometry changes a lot).
#[derive(Resource, Default)]
struct Framed(Option<(Vec3, Vec3)>);

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(CameraConfig {
            view: self.view,
            target: self.target,
        })
        .init_resource::<ViewportInset>()
        .init_resource::<UiCapture>()
        .init_resource::<Framed>()
        .init_resource::<PinnedPose>()
        .init_resource::<CameraNow>()
        .add_message::<SetView>()
        .add_message::<SetPose>();
        if let Some((w, h)) = self.target {
            let size = (w, h);
            app.add_systems(
                Startup,
                move |commands: Commands, images: ResMut<Assets<Image>>| {
                    spawn_offscreen(commands, images, size)
                },
            );
        } else {
            app.add_plugins(PanOrbitCameraPlugin)
                .add_systems(Startup, spawn_window_camera)
                .add_systems(Update, apply_inset)
                .add_systems(PostUpdate, gate_on_ui.before(PanOrbitCameraSystemSet));
        }
        app.add_systems(
            Update,
            (frame_scene, apply_pose, track_pose, follow_surface_kind).chain(),
        );
    }
}

fn headlight() -> impl Bundle {
    (
        DirectionalLight {
            illuminance: 1_800.0,
            shadow_maps_enabled: false,
            ..default()
        },
        // from slightly above and left of the viewer
        Transform::from_rotation(Quat::from_euler(EulerRot::YXZ, -0.35, 0.45, 0.0)),
    )
}

fn spawn_window_camera(mut commands: Commands, config: Res<CameraConfig>) {
    let (yaw, pitch) = config.view.angles();
    commands
        .spawn((
            MainCamera,
            Camera3d::default(),
            Tonemapping::None,
            msaa_from_env(),
            Transform::from_xyz(0.0, 0.0, 400.0),
            PanOrbitCamera {
                focus: Vec3::ZERO,
                yaw: Some(yaw),
                pitch: Some(pitch),
                radius: Some(400.0),
                zoom_lower_limit: 5.0,
                ..default()
            },
        ))
        .with_children(|c| {
            c.spawn(headlight());
        });
    commands.insert_resource(GlobalAmbientLight {
        brightness: 380.0,
        ..default()
    });
}

/// Anti-aliasing in the window: off by default (software rasterisers pay per sample);
/// `CORTEXPLORER_MSAA=4` turns on 4× MSAA on real GPUs.
pub(crate) fn msaa_from_env() -> Msaa {
    match std::env::var("CORTEXPLORER_MSAA").ok().as_deref() {
        Some("2") => Msaa::Sample2,
        Some("4") => Msaa::Sample4,
        Some("8") => Msaa::Sample8,
        _ => Msaa::Off,
    }
}

/// An image a camera can render into (and that can be sampled, copied and read back).
pub(crate) fn target_image(size: UVec2) -> Image {
    let mut image = Image::new_fill(
        Extent3d {
            width: size.x,
            height: size.y,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 255],
        TextureFormat::Rgba8UnormSrgb,
        bevy::asset::RenderAssetUsages::default(),
    );
    image.texture_descriptor.usage = TextureUsages::TEXTURE_BINDING
        | TextureUsages::COPY_SRC
        | TextureUsages::COPY_DST
        | TextureUsages::RENDER_ATTACHMENT;
    image
}

fn spawn_offscreen(mut commands: Commands, mut images: ResMut<Assets<Image>>, (w, h): (u32, u32)) {
    let image = target_image(UVec2::new(w, h));
    let handle = images.add(image);
    commands.insert_resource(RenderTargetImage(handle.clone()));
    commands
        .spawn((
            MainCamera,
            Camera3d::default(),
            RenderTarget::Image(ImageRenderTarget {
                handle,
                scale_factor: 1.0,
            }),
            Tonemapping::None,
            msaa_from_env(),
            Transform::from_xyz(0.0, 0.0, 400.0).looking_at(Vec3::ZERO, Vec3::Y),
        ))
        .with_children(|c| {
            c.spawn(headlight());
        });
    commands.insert_resource(GlobalAmbientLight {
        brightness: 380.0,
        ..default()
    });
}

/// Camera transform for an orbit pose (the panorbit convention).
pub fn orbit_transform(focus: Vec3, yaw: f32, pitch: f32, radius: f32) -> Transform {
    let (rot, pos) = orbit_pose(focus, yaw, pitch, radius);
    Transform::from_translation(pos).with_rotation(rot)
}

#[allow(clippy::too_many_arguments)]
fn frame_scene(
    drawn: Res<Drawn>,
    mut framed: ResMut<Framed>,
    config: Res<CameraConfig>,
    inset: Res<ViewportInset>,
    windows: Query<&Window>,
    mut requests: MessageReader<SetView>,
    mut pinned: ResMut<PinnedPose>,
    mut now: ResMut<CameraNow>,
    mut cams: Query<(&mut Transform, Option<&mut PanOrbitCamera>), With<MainCamera>>,
) {
    let request = requests.read().last().map(|r| r.0);
    if request.is_some() {
        pinned.0 = None;
    }
    if pinned.0.is_some() {
        return;
    }
    if !drawn.is_changed() && request.is_none() && framed.0.is_some() {
        return;
    }
    let Some((lo, hi)) = drawn.bounds() else {
        return;
    };
    let changed = match framed.0 {
        None => true,
        Some((flo, fhi)) => {
            ((flo - lo).abs().max_element() > 20.0) || ((fhi - hi).abs().max_element() > 20.0)
        }
    };
    if !changed && request.is_none() {
        return;
    }
    framed.0 = Some((lo, hi));
    let aspect = match (config.target, windows.single()) {
        (Some((w, h)), _) => w as f32 / h as f32,
        (None, Ok(win)) => {
            let w = (win.width() - inset.left - inset.right).max(1.0);
            let h = (win.height() - inset.top - inset.bottom).max(1.0);
            w / h
        }
        _ => 1.6,
    };
    let (focus, mut radius) = framing(lo, hi, aspect);
    if drawn.meshes.is_empty() {
        // `framing` is tuned for brains (rounded: their box corners are empty); a vessel graph
        // alone often fills its box to the corners, so keep the whole box in view
        radius /= 0.75;
    }
    for (mut t, poc) in &mut cams {
        match poc {
            Some(mut p) => {
                p.target_focus = focus;
                p.target_radius = radius;
                if let Some(v) = request {
                    let (yaw, pitch) = v.angles();
                    p.target_yaw = yaw;
                    p.target_pitch = pitch;
                }
                if !p.initialized {
                    p.focus = focus;
                    p.radius = Some(radius);
                }
                p.force_update = true;
            }
            None => {
                let (yaw, pitch) = request.unwrap_or(config.view).angles();
                *t = orbit_transform(focus, yaw, pitch, radius);
                now.0 = Some(CameraPose {
                    focus: focus.to_array(),
                    yaw,
                    pitch,
                    radius,
                });
            }
        }
    }
}

/// Apply [`SetPose`] requests (and hold the pose on the offscreen camera).
fn apply_pose(
    mut requests: MessageReader<SetPose>,
    mut pinned: ResMut<PinnedPose>,
    mut now: ResMut<CameraNow>,
    mut cams: Query<(&mut Transform, Option<&mut PanOrbitCamera>), With<MainCamera>>,
) {
    let req = requests.read().last().copied();
    if let Some(r) = req {
        pinned.0 = Some(r.pose);
    }
    let Some(p) = pinned.0 else {
        return;
    };
    let focus = Vec3::from_array(p.focus);
    for (mut t, poc) in &mut cams {
        match (poc, req) {
            (Some(mut c), Some(req)) => {
                c.target_focus = focus;
                c.target_yaw = p.yaw;
                c.target_pitch = p.pitch;
                c.target_radius = p.radius;
                if !req.smooth || !c.initialized {
                    c.focus = focus;
                    c.yaw = Some(p.yaw);
                    c.pitch = Some(p.pitch);
                    c.radius = Some(p.radius);
                }
                c.force_update = true;
            }
            (Some(_), None) => {}
            (None, _) => {
                // the offscreen camera holds the pose (a render, a tour frame)
                let want = orbit_transform(focus, p.yaw, p.pitch, p.radius);
                if *t != want {
                    *t = want;
                }
                now.0 = Some(p);
            }
        }
    }
}

/// Keep [`CameraNow`] up to date from the orbit camera (the window).
fn track_pose(mut now: ResMut<CameraNow>, cams: Query<&PanOrbitCamera, With<MainCamera>>) {
    for c in &cams {
        if let (Some(yaw), Some(pitch), Some(radius)) = (c.yaw, c.pitch, c.radius) {
            let pose = CameraPose {
                focus: c.focus.to_array(),
                yaw,
                pitch,
                radius,
            };
            if now.0 != Some(pose) {
                now.0 = Some(pose);
            }
        }
    }
}

/// Flat maps are read from above: switch to the dorsal view when the flat surface is chosen.
fn follow_surface_kind(
    doc: Res<SceneDoc>,
    mut last: Local<Option<SurfaceKind>>,
    mut views: MessageWriter<SetView>,
) {
    let kind = doc.0.view.surface;
    if *last != Some(kind) {
        if kind == SurfaceKind::Flat && last.is_some() {
            views.write(SetView(StandardView::Dorsal));
        }
        *last = Some(kind);
    }
}

fn gate_on_ui(capture: Res<UiCapture>, mut cams: Query<&mut PanOrbitCamera>) {
    for mut p in &mut cams {
        p.enabled = !capture.pointer && !capture.tool;
    }
}

/// Centre the 3D view in the space the panels leave free. The camera still draws the whole
/// window (one camera, one pass: a second camera costs a full-screen composite on software
/// rasterisers); its frustum is shifted with a sub-camera view so the principal point sits in
/// the middle of the free area.
fn apply_inset(
    inset: Res<ViewportInset>,
    windows: Query<&Window>,
    mut cams: Query<&mut Camera, With<MainCamera>>,
) {
    let Ok(window) = windows.single() else { return };
    let s = window.scale_factor();
    let (w, h) = (window.physical_width(), window.physical_height());
    if w == 0 || h == 0 {
        return;
    }
    // shift of the free area's centre from the window centre, in physical pixels
    let dx = ((inset.left - inset.right) * s / 2.0).round() as i32;
    let dy = ((inset.top - inset.bottom) * s / 2.0).round() as i32;
    let view = (dx != 0 || dy != 0).then(|| SubCameraView {
        full_size: UVec2::new(w + 2 * dx.unsigned_abs(), h + 2 * dy.unsigned_abs()),
        offset: Vec2::new(
            if dx > 0 {
                0.0
            } else {
                2.0 * dx.unsigned_abs() as f32
            },
            if dy > 0 {
                0.0
            } else {
                2.0 * dy.unsigned_abs() as f32
            },
        ),
        size: UVec2::new(w, h),
    });
    for mut cam in &mut cams {
        let same = match (&cam.sub_camera_view, &view) {
            (Some(a), Some(b)) => {
                a.full_size == b.full_size && a.offset == b.offset && a.size == b.size
            }
            (None, None) => true,
            _ => false,
        };
        if !same {
            cam.sub_camera_view = view;
        }
    }
}
