//! Meshes that are not a hemisphere (`brain::objects`): each drawn where its RAS coordinates
//! say, lit by the cortex's shader from both sides, in its style's colours; rebuilt when
//! `scene.objects_rev` changes (the Objects window edits the styles through the scene). An
//! object that follows a layer (`brain::objects::PartSeries`: an iEEG recording's contacts) is
//! repainted when the frame that layer shows changes.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;

use super::material::{CullFaces, SurfaceMaterial};
use super::scene::{BrainRoot, Drawn};
use super::shared::SceneDoc;

/// A drawn object: its index in `scene.objects`, and the frame of its series it shows with the
/// followed layer's style (a change of either repaints it).
#[derive(Component)]
struct ObjectMesh {
    index: usize,
    shown: Option<(usize, crate::brain::paint::OverlayStyle)>,
}

#[derive(Resource)]
struct ObjectMaterial(Handle<SurfaceMaterial>);

pub struct ObjectsPlugin;

impl Plugin for ObjectsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, setup).add_systems(
            PostUpdate,
            (draw_objects, follow_frames)
                .chain()
                .before(bevy::transform::TransformSystems::Propagate),
        );
    }
}

fn setup(mut commands: Commands, mut mats: ResMut<Assets<SurfaceMaterial>>) {
    commands.insert_resource(ObjectMaterial(mats.add(SurfaceMaterial {
        cull: CullFaces::None,
        ..default()
    })));
}

#[allow(clippy::too_many_arguments)]
fn draw_objects(
    mut commands: Commands,
    doc: Res<SceneDoc>,
    mat: Option<Res<ObjectMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
    root: Single<Entity, With<BrainRoot>>,
    existing: Query<Entity, With<ObjectMesh>>,
    mut drawn: ResMut<Drawn>,
    mut last: Local<u64>,
) {
    let Some(mat) = mat else { return };
    let scene = &doc.0;
    if scene.objects_rev == *last {
        return;
    }
    *last = scene.objects_rev;
    for e in &existing {
        commands.entity(e).despawn();
    }
    let mut bounds: Option<(Vec3, Vec3)> = None;
    for (index, o) in scene
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.style.show)
    {
        let s = &o.surface;
        let shown = series_frame(scene, o).map(|(f, st)| (f, st.clone()));
        let colors = match &shown {
            Some((f, st)) => o.colors_at(*f, Some(st)),
            None => o.colors().0,
        };
        // a mesh repainted as the timeline plays keeps its data in the main world too
        let usage = if o.series.is_some() {
            RenderAssetUsages::default()
        } else {
            RenderAssetUsages::RENDER_WORLD
        };
        let mut m = Mesh::new(PrimitiveTopology::TriangleList, usage);
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, s.vertices.clone());
        m.insert_attribute(Mesh::ATTRIBUTE_NORMAL, s.vertex_normals());
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
        m.insert_indices(bevy::mesh::Indices::U32(
            s.faces.iter().flatten().copied().collect(),
        ));
        let child = commands
            .spawn((
                ObjectMesh { index, shown },
                Mesh3d(meshes.add(m)),
                MeshMaterial3d(mat.0.clone()),
                Transform::default(),
            ))
            .id();
        commands.entity(*root).add_child(child);
        let (lo, hi) = o.bounds();
        let (lo, hi) = (Vec3::from(lo), Vec3::from(hi));
        bounds = Some(match bounds {
            Some((a, b)) => (a.min(lo), b.max(hi)),
            None => (lo, hi),
        });
    }
    // objects alone (no cortex) are framed by their own bounds
    drawn.object_bounds = bounds.filter(|_| scene.hemis.is_empty());
}

/// The frame the layer an object follows shows, and that layer's style (None: no series, or
/// its layer is gone).
fn series_frame<'a>(
    scene: &'a crate::brain::scene::Scene,
    o: &crate::brain::objects::MeshObject,
) -> Option<(usize, &'a crate::brain::paint::OverlayStyle)> {
    let s = o.series.as_ref()?;
    match &scene.layer_by_name(&s.layer)?.data {
        crate::brain::scene::LayerData::Overlay { frame, style, .. } => Some((*frame, style)),
        _ => None,
    }
}

/// Repaint the objects that follow a layer when its frame changes (the timeline plays).
fn follow_frames(
    doc: Res<SceneDoc>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut drawn: Query<(&mut ObjectMesh, &Mesh3d)>,
) {
    let scene = &doc.0;
    for (mut om, mesh) in &mut drawn {
        let Some(o) = scene.objects.get(om.index) else {
            continue;
        };
        let Some((frame, style)) = series_frame(scene, o) else {
            continue;
        };
        if om
            .shown
            .as_ref()
            .is_some_and(|(f, st)| *f == frame && st == style)
        {
            continue;
        }
        om.shown = Some((frame, style.clone()));
        if let Some(mut m) = meshes.get_mut(&mesh.0) {
            m.insert_attribute(Mesh::ATTRIBUTE_COLOR, o.colors_at(frame, Some(style)));
        }
    }
}
