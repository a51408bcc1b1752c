//! Camera geometry shared by the app and the tests: standard views, framing a bounding box,
//! and the orbit pose. RAS (x right, y anterior, z superior) is drawn in a y-up world by the
//! rotation (x, y, z) → (x, z, −y); the orbit convention is bevy_panorbit_camera's (yaw about
//! the world y axis, pitch up, the camera at `focus + R(yaw, pitch)·(0, 0, radius)`).

use glam::{Mat4, Quat, Vec3};

/// Vertical field of view of the 3D view (Bevy's default perspective).
pub const FOV_Y: f32 = std::f32::consts::FRAC_PI_4;

/// Standard camera directions (anatomical names; the camera looks *at* that side).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum StandardView {
    /// Three-quarter view from the left, front and above (the start-up view).
    #[default]
    Oblique,
    Left,
    Right,
    Dorsal,
    Ventral,
    Anterior,
    Posterior,
}

impl StandardView {
    pub const ALL: [StandardView; 7] = [
        StandardView::Oblique,
        StandardView::Left,
        StandardView::Right,
        StandardView::Dorsal,
        StandardView::Ventral,
        StandardView::Anterior,
        StandardView::Posterior,
    ];
    /// (yaw, pitch) in radians: yaw 0 looks from posterior (world +z is RAS −y), positive
    /// yaw moves the camera to the right, pitch raises it.
    pub fn angles(self) -> (f32, f32) {
        use std::f32::consts::{FRAC_PI_2, PI};
        let top = FRAC_PI_2 - 0.01;
        match self {
            StandardView::Oblique => (-2.2, 0.55),
            StandardView::Left => (-FRAC_PI_2, 0.0),
            StandardView::Right => (FRAC_PI_2, 0.0),
            StandardView::Dorsal => (0.0, top),
            StandardView::Ventral => (PI, -top),
            StandardView::Anterior => (PI, 0.0),
            StandardView::Posterior => (0.0, 0.0),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            StandardView::Oblique => "oblique",
            StandardView::Left => "left lateral",
            StandardView::Right => "right lateral",
            StandardView::Dorsal => "dorsal",
            StandardView::Ventral => "ventral",
            StandardView::Anterior => "anterior",
            StandardView::Posterior => "posterior",
        }
    }
}

/// RAS → world rotation.
pub fn ras_to_world_rotation() -> Quat {
    Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2)
}

/// Focus (world) and orbit radius that frame a RAS bounding box in a view of the given
/// aspect ratio (width / height): the box's half-diagonal, shrunk by 0.75 because cortex
/// fills its box loosely, must fit the narrower of the two fields of view.
pub fn framing(lo: Vec3, hi: Vec3, aspect: f32) -> (Vec3, f32) {
    let centre = ras_to_world_rotation() * ((lo + hi) / 2.0);
    let half_diag = (hi - lo).length().max(1.0) / 2.0;
    let tan_v = (FOV_Y / 2.0).tan();
    let tan = tan_v.min(tan_v * aspect.max(0.1));
    (centre, 0.75 * half_diag / tan)
}

/// Camera rotation and position for an orbit pose.
pub fn orbit_pose(focus: Vec3, yaw: f32, pitch: f32, radius: f32) -> (Quat, Vec3) {
    let rot = Quat::from_rotation_y(yaw) * Quat::from_rotation_x(-pitch);
    (rot, focus + rot * Vec3::new(0.0, 0.0, radius))
}

/// Pixel position (x right, y down) of a RAS point seen by an orbit camera, with its depth.
pub fn project(ras: Vec3, pose: (Quat, Vec3), width: u32, height: u32) -> Option<(f32, f32)> {
    let world = ras_to_world_rotation() * ras;
    let view = Mat4::from_rotation_translation(pose.0, pose.1).inverse();
    let proj = Mat4::perspective_rh(FOV_Y, width as f32 / height as f32, 0.1, 10_000.0);
    let clip = proj * view * world.extend(1.0);
    if clip.w <= 0.0 {
        return None;
    }
    let ndc = clip.truncate() / clip.w;
    Some((
        (ndc.x + 1.0) / 2.0 * width as f32,
        (1.0 - ndc.y) / 2.0 * height as f32,
    ))
}

/// The camera ray (origin, direction) in RAS for a pose.
pub fn camera_ray_ras(pose: (Quat, Vec3), target_ras: Vec3) -> (Vec3, Vec3) {
    let inv = ras_to_world_rotation().inverse();
    let origin = inv * pose.1;
    (origin, (target_ras - origin).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_projects_to_the_centre() {
        let (focus, r) = framing(Vec3::splat(-10.0), Vec3::splat(10.0), 2.0);
        for v in StandardView::ALL {
            let (yaw, pitch) = v.angles();
            let pose = orbit_pose(focus, yaw, pitch, r);
            let (x, y) = project(Vec3::ZERO, pose, 200, 100).unwrap();
            assert!(
                (x - 100.0).abs() < 1e-3 && (y - 50.0).abs() < 1e-3,
                "{v:?}: {x} {y}"
            );
        }
    }

    #[test]
    fn left_view_sees_left_side() {
        // From the left, anterior (+y) appears on the left of the image.
        let pose = orbit_pose(Vec3::ZERO, StandardView::Left.angles().0, 0.0, 100.0);
        let (xa, _) = project(Vec3::new(0.0, 10.0, 0.0), pose, 200, 200).unwrap();
        let (xp, _) = project(Vec3::new(0.0, -10.0, 0.0), pose, 200, 200).unwrap();
        assert!(xa < xp);
        // superior is up
        let (_, ys) = project(Vec3::new(0.0, 0.0, 10.0), pose, 200, 200).unwrap();
        assert!(ys < 100.0);
    }
}
