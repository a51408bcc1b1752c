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

/// Where to look at a set of electrodes (RAS mm) of the given hemispheres: (focus in world
/// coordinates, yaw, pitch, radius). Electrodes of one hemisphere are seen posterior-medially
/// (the camera behind and on the other hemisphere's side, a little below: the calcarine cortex
/// and the occipital pole face it — hide the other hemisphere to see them); of both
/// hemispheres, from behind. The radius fits the electrodes' bounding sphere, at least
/// `context_mm` across, in a view of the given aspect ratio.
pub fn electrodes_pose(
    points: &[Vec3],
    left: bool,
    right: bool,
    aspect: f32,
    context_mm: f32,
) -> Option<(Vec3, f32, f32, f32)> {
    if points.is_empty() {
        return None;
    }
    let centre = points.iter().copied().sum::<Vec3>() / points.len() as f32;
    let reach = points
        .iter()
        .map(|p| p.distance(centre))
        .fold(0.0f32, f32::max)
        .max(context_mm / 2.0);
    let (yaw, pitch) = match (left, right) {
        (true, false) => (0.95, -0.15),
        (false, true) => (-0.95, -0.15),
        _ => (0.0, 0.05),
    };
    let tan_v = (FOV_Y / 2.0).tan();
    let tan = tan_v.min(tan_v * aspect.max(0.1));
    // the bounding sphere fits the narrower field of view with a 15 % margin
    let radius = 1.15 * reach / tan.atan().sin();
    Some((ras_to_world_rotation() * centre, yaw, pitch, radius))
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
    fn the_electrodes_pose_keeps_every_electrode_in_the_picture() {
        // a cluster on the left occipital pole, medial side
        let pts: Vec<Vec3> = (0..50)
            .map(|i| {
                let a = i as f32 * 0.7;
                Vec3::new(
                    -8.0 + 3.0 * a.cos(),
                    -95.0 + 10.0 * a.sin(),
                    2.0 + 8.0 * (0.3 * a).sin(),
                )
            })
            .collect();
        let (w, h) = (1280u32, 800u32);
        let (focus, yaw, pitch, r) =
            electrodes_pose(&pts, true, false, w as f32 / h as f32, 40.0).unwrap();
        let pose = orbit_pose(focus, yaw, pitch, r);
        for p in &pts {
            let (x, y) = project(*p, pose, w, h).unwrap();
            assert!(
                (0.0..w as f32).contains(&x) && (0.0..h as f32).contains(&y),
                "{x} {y}"
            );
        }
        // the camera is behind (posterior) and on the medial (right) side of the left hemisphere
        let (origin, _) = camera_ray_ras(pose, pts[0]);
        let c = pts.iter().copied().sum::<Vec3>() / pts.len() as f32;
        assert!(origin.y < c.y - 10.0 && origin.x > c.x + 10.0, "{origin:?}");
        // not absurdly far: the cluster fills a fair part of the view
        let xs: Vec<f32> = pts
            .iter()
            .map(|p| project(*p, pose, w, h).unwrap().0)
            .collect();
        let span = xs.iter().cloned().fold(f32::MIN, f32::max)
            - xs.iter().cloned().fold(f32::MAX, f32::min);
        assert!(span > 0.1 * w as f32, "{span}");
        assert!(electrodes_pose(&[], true, false, 1.6, 40.0).is_none());
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
