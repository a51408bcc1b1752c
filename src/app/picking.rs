//! Vertex picking: a left click (press and release without dragging, outside the panels)
//! casts a ray from the camera; the nearest triangle hit on the drawn surfaces gives the
//! selected vertex (the triangle corner closest to the hit). The ray test is the core's
//! `surface::ray_pick`, run on the positions actually drawn (morph and offsets included).

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::camera::{MainCamera, UiCapture};
use super::scene::{Drawn, ras_to_world};
use super::shared::{Notice, SceneDoc};
use crate::brain::scene::Selection;
use crate::brain::surface::{nearest_corner, ray_pick};

pub struct PickingPlugin;

impl Plugin for PickingPlugin {
    fn build(&self, app: &mut App) {
        // Update: bevy_egui clears button state later in the frame when a panel takes the
        // pointer; `UiCapture` (from the previous frame's panels) tells us the same earlier.
        app.add_systems(Update, (pick_on_click, clear_on_escape, seed_maps).chain());
    }
}

/// Largest pointer travel (logical px) between press and release that still counts as a click.
pub const CLICK_SLOP: f32 = 4.0;

#[allow(clippy::too_many_arguments)]
fn pick_on_click(
    buttons: Res<ButtonInput<MouseButton>>,
    capture: Res<UiCapture>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform), With<MainCamera>>,
    drawn: Res<Drawn>,
    mut doc: ResMut<SceneDoc>,
    mut pressed_at: Local<Option<Vec2>>,
) {
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        *pressed_at = if capture.pointer { None } else { cursor };
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(start), Some(end)) = (pressed_at.take(), cursor) else {
        return;
    };
    if start.distance(end) > CLICK_SLOP || capture.pointer {
        return;
    }
    let (cam, cam_tf) = *camera;
    if let Some(hit) = surface_hit(cam, cam_tf, end, &drawn, &doc) {
        doc.0.selection = Some(Selection {
            hemi: hit.hemi,
            vertex: nearest_corner(hit.face, hit.bary) as usize,
        });
    }
}

/// Where a ray through a window position (logical px) first meets a shown surface.
pub struct SurfaceHit {
    pub hemi: crate::brain::Hemisphere,
    /// the triangle's vertex indices and the barycentric weights of the hit
    pub face: [u32; 3],
    pub bary: [f32; 3],
}

/// The nearest hit of the camera ray through `cursor` on the drawn surfaces of the shown
/// hemispheres (morph and offsets included), in RAS.
pub fn surface_hit(
    cam: &Camera,
    cam_tf: &GlobalTransform,
    cursor: Vec2,
    drawn: &Drawn,
    doc: &SceneDoc,
) -> Option<SurfaceHit> {
    // viewport_to_world expects coordinates relative to the camera's viewport
    let offset = cam
        .logical_viewport_rect()
        .map(|r| r.min)
        .unwrap_or(Vec2::ZERO);
    let ray = cam.viewport_to_world(cam_tf, cursor - offset).ok()?;
    let to_ras = ras_to_world().to_matrix().inverse();
    let o = to_ras.transform_point3(ray.origin);
    let d = to_ras.transform_vector3(*ray.direction);
    let mut best: Option<(SurfaceHit, f32)> = None;
    for (hemi, m) in &drawn.meshes {
        if !doc.0.view.show.get(hemi).copied().unwrap_or(true) {
            continue;
        }
        if let Some((face, bary, t)) =
            ray_pick(&m.positions, &m.faces.faces, o.to_array(), d.to_array())
            && best.as_ref().is_none_or(|b| t < b.1)
        {
            let hit = SurfaceHit {
                hemi: *hemi,
                face: m.faces.faces[face],
                bary,
            };
            best = Some((hit, t));
        }
    }
    best.map(|(h, _)| h)
}

fn clear_on_escape(
    keys: Res<ButtonInput<KeyCode>>,
    capture: Res<UiCapture>,
    mut doc: ResMut<SceneDoc>,
) {
    if keys.just_pressed(KeyCode::Escape) && !capture.keyboard && doc.0.selection.is_some() {
        doc.0.selection = None;
    }
}

/// A loaded connectome (CIFTI `dconn`, …) shows the selected vertex's row as a layer: read
/// from disk when the selection moves (`Scene::update_seed_maps`).
fn seed_maps(mut doc: ResMut<SceneDoc>, mut notices: MessageWriter<Notice>) {
    let scene = &doc.bypass_change_detection().0;
    if scene.selection.is_none() || scene.connectomes.iter().all(|c| c.shown == scene.selection) {
        return;
    }
    if let Some(e) = doc.0.update_seed_maps() {
        notices.write(Notice::error(e));
    }
}
