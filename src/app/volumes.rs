//! Volumes on three orthogonal slices linked to the cortex: the slice images (every visible
//! volume resampled in world space and painted with its style, `brain::slices`), the
//! surfaces' outlines on them, the crosshair drawn in 3D, and the two-way link — a click on a
//! slice moves the crosshair and selects the nearest vertex (`Scene::click_slice`, done by the
//! panel); a vertex picked on the cortex moves the crosshair to it (`Scene::follow_selection`).
//!
//! Images are rebuilt only when `Scene::volume_rev` or the surfaces change. The bundled
//! MNI152 template is loaded when the panel opens on a scene with no volume
//! ([`super::files::LoadTemplate`]).

use bevy::prelude::*;

use super::scene::BrainRoot;
use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::colormap::Colormap;
use crate::brain::scene::{Scene, Selection};
use crate::brain::slices::{Axis, SliceGrid, paint_slice, sample_slice, section, volume_bounds};
use crate::brain::surface::SurfaceKind;
use crate::brain::vol2surf::Interp;

/// Largest slice image side (pixels).
const MAX_PX: usize = 320;

/// One slice ready to show: its grid, RGBA pixels and the surfaces' outlines in pixel
/// coordinates (with their colour).
#[derive(Clone, Debug)]
pub struct SliceImage {
    pub grid: SliceGrid,
    pub rgba: Vec<u8>,
    pub outlines: Vec<([f32; 2], [f32; 2], [u8; 3])>,
}

/// What the slice panel shows; `rev` changes when the images do.
#[derive(Resource, Default)]
pub struct Slices {
    pub rev: u64,
    pub images: Vec<SliceImage>,
    /// the selection a slice click made (the crosshair stays where the click was)
    pub clicked: Option<Selection>,
    /// the panel is open (images are only made then)
    pub open: bool,
    /// ask the panel to open (start-up option `view --volumes`)
    pub reveal: bool,
    seen: (u64, u64),
    followed: Option<Selection>,
}

pub struct VolumesPlugin {
    /// open the panel at start-up and hold an exit screenshot until the slices are made
    pub open_at_start: bool,
}

impl Plugin for VolumesPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Slices {
            reveal: self.open_at_start,
            ..default()
        })
        .add_systems(Update, (follow_picks, build_slices).chain())
        .add_systems(PostUpdate, draw_crosshair);
        if self.open_at_start {
            app.add_systems(Update, hold_for_slices);
        }
    }
}

/// With `view --volumes`: an exit screenshot waits until the slice images exist.
fn hold_for_slices(
    slices: Res<Slices>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut stage: Local<u8>,
) {
    match *stage {
        0 => {
            hold.0 += 1;
            *stage = 1;
        }
        1 if !slices.images.is_empty() => {
            hold.0 = hold.0.saturating_sub(1);
            *stage = 2;
        }
        _ => {}
    }
}

/// A vertex picked on the cortex (not by a slice click) moves the crosshair to it.
fn follow_picks(mut doc: ResMut<SceneDoc>, mut slices: ResMut<Slices>) {
    let sel = doc.0.selection;
    if sel == slices.followed {
        return;
    }
    slices.followed = sel;
    if sel.is_some() && sel != slices.clicked && !doc.0.volumes.is_empty() {
        doc.0.follow_selection();
    }
}

/// Outline colours: pial yellow, white cyan.
fn outline_colour(k: SurfaceKind) -> [u8; 3] {
    match k {
        SurfaceKind::White => [80, 220, 255],
        _ => [255, 220, 60],
    }
}

/// The three slice images through the crosshair.
pub fn make_slices(scene: &Scene) -> Vec<SliceImage> {
    let shown: Vec<_> = scene.volumes.iter().filter(|v| v.visible).collect();
    let (Some(c), false) = (scene.crosshair, shown.is_empty()) else {
        return Vec::new();
    };
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    let mut step = f64::INFINITY;
    for v in &shown {
        let (a, b) = volume_bounds(&v.volume);
        for k in 0..3 {
            lo[k] = lo[k].min(a[k]);
            hi[k] = hi[k].max(b[k]);
        }
        step = step.min(
            v.volume
                .voxel_size_mm
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
        );
    }
    let step = if step.is_finite() && step > 0.0 {
        step
    } else {
        1.0
    };
    let cmaps: Vec<Colormap> = shown
        .iter()
        .map(|v| {
            Colormap::by_name(&v.style.colormap)
                .or_else(|| Colormap::by_name("gray"))
                .expect("gray exists")
        })
        .collect();
    Axis::ALL
        .into_iter()
        .map(|axis| {
            let grid = SliceGrid::new(axis, c[axis.normal()], (lo, hi), step, MAX_PX);
            let n = grid.width * grid.height;
            let values: Vec<Vec<f32>> = shown
                .iter()
                .map(|v| {
                    sample_slice(&v.volume, v.frame, &grid, Interp::Trilinear)
                        .unwrap_or_else(|_| vec![f32::NAN; n])
                })
                .collect();
            let layers: Vec<_> = values
                .iter()
                .zip(&shown)
                .zip(&cmaps)
                .map(|((vals, v), cm)| (vals.as_slice(), &v.style, cm))
                .collect();
            let rgba = paint_slice(n, &layers).into_iter().flatten().collect();
            let mut outlines = Vec::new();
            for h in [Hemisphere::Left, Hemisphere::Right] {
                if !scene.view.show.get(&h).copied().unwrap_or(true) {
                    continue;
                }
                for (kind, s) in scene.anatomical_surfaces(h) {
                    let col = outline_colour(kind);
                    for [a, b] in section(&s.vertices, &s.faces, axis, grid.coord) {
                        let (pa, pb) = (grid.pixel(a), grid.pixel(b));
                        outlines.push((
                            [pa.0 as f32, pa.1 as f32],
                            [pb.0 as f32, pb.1 as f32],
                            col,
                        ));
                    }
                }
            }
            SliceImage {
                grid,
                rgba,
                outlines,
            }
        })
        .collect()
}

fn build_slices(doc: Res<SceneDoc>, mut slices: ResMut<Slices>) {
    let key = (doc.0.volume_rev, doc.0.geometry_rev);
    if !slices.open || (key == slices.seen && !slices.images.is_empty()) {
        return;
    }
    slices.seen = key;
    slices.images = make_slices(&doc.0);
    slices.rev += 1;
}

/// Three short lines through the crosshair in the 3D view (RAS axes: red x, green y, blue z).
fn draw_crosshair(
    doc: Res<SceneDoc>,
    root: Query<&GlobalTransform, With<BrainRoot>>,
    mut gizmos: Gizmos,
) {
    let (Some(c), false) = (doc.0.crosshair, doc.0.volumes.is_empty()) else {
        return;
    };
    let Ok(t) = root.single() else {
        return;
    };
    let p = Vec3::new(c[0] as f32, c[1] as f32, c[2] as f32);
    for (axis, colour) in [
        (Vec3::X, Color::srgb(1.0, 0.3, 0.3)),
        (Vec3::Y, Color::srgb(0.3, 1.0, 0.3)),
        (Vec3::Z, Color::srgb(0.4, 0.6, 1.0)),
    ] {
        gizmos.line(
            t.transform_point(p - axis * 12.0),
            t.transform_point(p + axis * 12.0),
            colour,
        );
    }
}
