//! The scene's tractogram in 3D: the vessel renderer's line path (unlit per-vertex-coloured
//! line lists in chunks, `vessels::spawn_lines`), geometry from `brain::tracts::build` on a
//! background task, rebuilt when the tractogram or the style changes. The Tractography window
//! (`ui::tracts`) edits `TractView`.

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};

use super::material::SurfaceMaterial;
use super::scene::{BrainRoot, Drawn};
use super::shared::SceneDoc;
use crate::brain::tracts::{self, TractGeometry, TractStyle};

/// What the Tractography window edits and shows.
#[derive(Resource, Default)]
pub struct TractView {
    pub style: TractStyle,
    /// bumped by the window when `style` changes
    pub style_rev: u64,
    /// what the last build drew
    pub drawn: usize,
    pub total: usize,
    pub stride: usize,
    pub segments: usize,
    pub range: Option<(f32, f32)>,
    pub build_ms: f64,
    pub building: bool,
}

#[derive(Component, Clone)]
struct TractMesh;

#[derive(Resource)]
struct TractMaterial(Handle<SurfaceMaterial>);

/// (tractogram rev, style rev)
type Key = (u64, u64);

#[derive(Resource, Default)]
struct TractJob(Option<(Key, Task<(TractGeometry, f64)>)>);

pub struct TractsPlugin;

impl Plugin for TractsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<TractView>()
            .init_resource::<TractJob>()
            .add_systems(Startup, setup)
            .add_systems(
                PostUpdate,
                draw_tracts.before(bevy::transform::TransformSystems::Propagate),
            );
    }
}

fn setup(mut commands: Commands, mut mats: ResMut<Assets<SurfaceMaterial>>) {
    commands.insert_resource(TractMaterial(mats.add(super::vessels::unlit_lines())));
}

#[allow(clippy::too_many_arguments)]
fn draw_tracts(
    mut commands: Commands,
    doc: Res<SceneDoc>,
    mut view: ResMut<TractView>,
    mut job: ResMut<TractJob>,
    mat: Option<Res<TractMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
    root: Single<Entity, With<BrainRoot>>,
    existing: Query<Entity, With<TractMesh>>,
    mut drawn: ResMut<Drawn>,
    mut last: Local<Key>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut holding: Local<bool>,
) {
    let Some(mat) = mat else { return };
    let scene = &doc.0;
    let rev = scene.tracts.as_ref().map_or(0, |t| t.rev);
    let key: Key = (rev, view.style_rev);
    // screenshots wait for the geometry of what is shown
    let busy = job.0.is_some();
    if busy != *holding {
        *holding = busy;
        if busy {
            hold.0 += 1;
        } else {
            hold.0 = hold.0.saturating_sub(1);
        }
    }
    view.building = busy;
    if let Some((k, task)) = job.0.as_mut()
        && let Some((geo, ms)) = block_on(future::poll_once(task))
    {
        let stale = *k != key;
        job.0 = None;
        if !stale {
            info!(
                "tracts: {} of {} streamlines, {} segments in {ms:.0} ms",
                geo.drawn,
                geo.total,
                geo.positions.len() / 2
            );
            for e in &existing {
                commands.entity(e).despawn();
            }
            view.drawn = geo.drawn;
            view.total = geo.total;
            view.stride = geo.stride;
            view.segments = geo.positions.len() / 2;
            view.range = geo.range;
            view.build_ms = ms;
            super::vessels::spawn_lines(
                &mut commands,
                &mut meshes,
                &mat.0,
                *root,
                TractMesh,
                &geo.positions,
                &geo.colors,
            );
        }
    }
    if key == *last || job.0.is_some() {
        return;
    }
    *last = key;
    // tracts alone (no cortex) are framed by their own bounds
    drawn.tract_bounds = match (&scene.tracts, scene.hemis.is_empty()) {
        (Some(set), true) => Some((
            Vec3::from(set.stats.bbox_min),
            Vec3::from(set.stats.bbox_max),
        )),
        _ => None,
    };
    match scene.tracts.as_ref().filter(|_| view.style.show) {
        Some(set) => {
            let t = set.tracts.clone();
            let style = view.style.clone();
            job.0 = Some((
                key,
                AsyncComputeTaskPool::get().spawn(async move {
                    let start = std::time::Instant::now();
                    let geo = tracts::build(&t, &style);
                    (geo, start.elapsed().as_secs_f64() * 1e3)
                }),
            ));
        }
        None => {
            for e in &existing {
                commands.entity(e).despawn();
            }
            view.drawn = 0;
            view.segments = 0;
        }
    }
}
