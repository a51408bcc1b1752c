//! Meshes that are not a hemisphere (`brain::objects`): each drawn where its RAS coordinates
//! say, lit by the cortex's shader from both sides, in its style's colours; rebuilt when
//! `scene.objects_rev` changes (the Objects window edits the styles through the scene).

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;

use super::material::{CullFaces, SurfaceMaterial};
use super::scene::{BrainRoot, Drawn};
use super::shared::SceneDoc;

#[derive(Component)]
struct ObjectMesh;

#[derive(Resource)]
struct ObjectMaterial(Handle<SurfaceMaterial>);

pub struct ObjectsPlugin;

impl Plugin for ObjectsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, setup).add_systems(
            PostUpdate,
            draw_objects.before(bevy::transform::TransformSystems::Propagate),
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
    for o in scene.objects.iter().filter(|o| o.style.show) {
        let s = &o.surface;
        let (colors, _) = o.colors();
        let mut m = Mesh::new(
            PrimitiveTopology::TriangleList,
            RenderAssetUsages::RENDER_WORLD,
        );
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, s.vertices.clone());
        m.insert_attribute(Mesh::ATTRIBUTE_NORMAL, s.vertex_normals());
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
        m.insert_indices(bevy::mesh::Indices::U32(
            s.faces.iter().flatten().copied().collect(),
        ));
        let child = commands
            .spawn((
                ObjectMesh,
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
