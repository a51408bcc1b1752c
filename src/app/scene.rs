//! Draws the scene document: one mesh entity per hemisphere under a root that turns RAS
//! (x right, y anterior, z superior) into Bevy's y-up frame. Geometry is rebuilt only when
//! `Scene::geometry_rev` changes and colours only when `color_rev` changes.

use std::collections::BTreeMap;

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

use super::material::{CullFaces, SurfaceMaterial, SurfaceMaterialPlugin};
use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::scene::DisplayMesh;
use crate::brain::surface::Winding;

/// Marks the mesh of one hemisphere.
#[derive(Component)]
pub struct HemiMesh(pub Hemisphere);

/// Parent of everything drawn in RAS coordinates.
#[derive(Component)]
pub struct BrainRoot;

/// Marks the sphere that shows the selected vertex.
#[derive(Component)]
pub struct SelectionMarker;

/// What is currently drawn (positions in RAS, before the root rotation), for picking and
/// camera framing.
#[derive(Resource, Default)]
pub struct Drawn {
    pub geometry_rev: u64,
    pub color_rev: u64,
    pub meshes: BTreeMap<Hemisphere, DisplayMesh>,
    /// bounds of a vessel graph shown without any cortex (RAS)
    pub vessel_bounds: Option<(Vec3, Vec3)>,
    /// bounds of a tractogram shown without any cortex (RAS)
    pub tract_bounds: Option<(Vec3, Vec3)>,
    /// bounds of meshes (`brain::objects`) shown without any cortex (RAS)
    pub object_bounds: Option<(Vec3, Vec3)>,
}

/// Frames drawn since the scene had content and no held work (e.g. vessels still being
/// built in the background); capture and first-frame timing use it.
#[derive(Resource, Default)]
pub struct ContentFrames(pub u32);

fn count_frames(
    drawn: Res<Drawn>,
    hold: Res<super::shared::CaptureHold>,
    mut frames: ResMut<ContentFrames>,
) {
    if hold.0 > 0 {
        frames.0 = 0;
    } else if drawn.has_content() {
        frames.0 = frames.0.saturating_add(1);
    }
}

impl Drawn {
    /// Something to look at: a surface, or a vessel graph or tractogram on its own.
    pub fn has_content(&self) -> bool {
        !self.meshes.is_empty()
            || self.vessel_bounds.is_some()
            || self.tract_bounds.is_some()
            || self.object_bounds.is_some()
    }

    /// Bounding box of what is drawn, in RAS.
    pub fn bounds(&self) -> Option<(Vec3, Vec3)> {
        let (mut lo, mut hi) = (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY));
        for (a, b) in self
            .vessel_bounds
            .iter()
            .chain(&self.tract_bounds)
            .chain(&self.object_bounds)
        {
            lo = lo.min(*a);
            hi = hi.max(*b);
        }
        for m in self.meshes.values() {
            for p in &m.positions {
                lo = lo.min(Vec3::from(*p));
                hi = hi.max(Vec3::from(*p));
            }
        }
        (lo.x <= hi.x).then_some((lo, hi))
    }
}

/// Rotation from RAS to Bevy (y up): (x, y, z) → (x, z, −y).
pub fn ras_to_world() -> Transform {
    Transform::from_rotation(crate::brain::view::ras_to_world_rotation())
}

/// One material per culling mode.
#[derive(Resource)]
pub struct BrainMaterials {
    none: Handle<SurfaceMaterial>,
    back: Handle<SurfaceMaterial>,
    front: Handle<SurfaceMaterial>,
}

impl BrainMaterials {
    /// Every cortex material (the live layer's uniform goes into each).
    pub fn all(&self) -> [&Handle<SurfaceMaterial>; 3] {
        [&self.none, &self.back, &self.front]
    }

    fn for_mesh(&self, d: &DisplayMesh) -> Handle<SurfaceMaterial> {
        match d.faces.winding() {
            Some(Winding::Outward) => self.back.clone(),
            Some(Winding::Inward) => self.front.clone(),
            None => self.none.clone(),
        }
    }
}

pub struct ScenePlugin;

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(SurfaceMaterialPlugin)
            .init_resource::<Drawn>()
            .init_resource::<ContentFrames>()
            .init_resource::<super::shared::CaptureHold>()
            .add_systems(Startup, setup)
            .add_systems(
                PostUpdate,
                (sync_meshes, sync_selection_marker, count_frames)
                    .chain()
                    .before(TransformSystems::Propagate),
            );
    }
}

fn setup(
    mut commands: Commands,
    mut surface_materials: ResMut<Assets<SurfaceMaterial>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut meshes: ResMut<Assets<Mesh>>,
) {
    // Vertex colours carry the data; the material adds head-light shading that shows folding.
    let mut mat = |cull| surface_materials.add(SurfaceMaterial { cull, ..default() });
    let (none, back, front) = (
        mat(CullFaces::None),
        mat(CullFaces::Back),
        mat(CullFaces::Front),
    );
    commands.insert_resource(BrainMaterials { none, back, front });
    let root = commands
        .spawn((BrainRoot, ras_to_world(), Visibility::default()))
        .id();
    let marker = commands
        .spawn((
            SelectionMarker,
            Mesh3d(meshes.add(Sphere::new(1.6).mesh().ico(3).unwrap())),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: Color::srgb(1.0, 0.2, 0.9),
                emissive: LinearRgba::rgb(0.6, 0.05, 0.5),
                ..default()
            })),
            Transform::default(),
            Visibility::Hidden,
        ))
        .id();
    commands.entity(root).add_child(marker);
}

/// Scene colours are sRGB (as colormaps are defined); mesh vertex colours are linear.
fn to_linear(colors: Vec<[f32; 4]>) -> Vec<[f32; 4]> {
    colors
        .into_iter()
        .map(|c| {
            Color::srgba(c[0], c[1], c[2], c[3])
                .to_linear()
                .to_f32_array()
        })
        .collect()
}

fn build_mesh(d: &DisplayMesh, colors: Vec<[f32; 4]>) -> Mesh {
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, d.positions.clone());
    mesh.insert_attribute(Mesh::ATTRIBUTE_NORMAL, d.normals.clone());
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, to_linear(colors));
    // Triangle order tuned for the post-transform vertex cache (meshoptimizer): software
    // rasterisers shade far fewer vertices. Vertex order, and so vertex ids, are unchanged.
    let flat: Vec<u32> = d.faces.faces.iter().flatten().copied().collect();
    mesh.insert_indices(Indices::U32(meshopt::optimize_vertex_cache(
        &flat,
        d.positions.len(),
    )));
    mesh
}

#[allow(clippy::too_many_arguments)]
fn sync_meshes(
    mut commands: Commands,
    doc: Res<SceneDoc>,
    mut drawn: ResMut<Drawn>,
    mut meshes: ResMut<Assets<Mesh>>,
    materials: Res<BrainMaterials>,
    root: Single<Entity, With<BrainRoot>>,
    mut existing: Query<(
        Entity,
        &HemiMesh,
        &Mesh3d,
        &mut Visibility,
        &mut MeshMaterial3d<SurfaceMaterial>,
    )>,
) {
    let scene = &doc.0;
    let geometry_changed = scene.geometry_rev != drawn.geometry_rev;
    let colors_changed = scene.color_rev != drawn.color_rev;
    if !geometry_changed && !colors_changed {
        for (_, h, _, mut vis, _) in &mut existing {
            let show = scene.view.show.get(&h.0).copied().unwrap_or(true);
            vis.set_if_neq(if show {
                Visibility::Inherited
            } else {
                Visibility::Hidden
            });
        }
        return;
    }
    if geometry_changed {
        drawn.meshes = scene.display_meshes();
        drawn.geometry_rev = scene.geometry_rev;
    }
    drawn.color_rev = scene.color_rev;
    let mut seen = Vec::new();
    for (entity, h, mesh3d, _, mut material) in &mut existing {
        match drawn.meshes.get(&h.0) {
            Some(d) => {
                seen.push(h.0);
                let colors = scene.colors(h.0);
                if let Some(mut mesh) = meshes.get_mut(&mesh3d.0) {
                    if geometry_changed {
                        *mesh = build_mesh(d, colors);
                        let m = materials.for_mesh(d);
                        if material.0 != m {
                            material.0 = m;
                        }
                    } else {
                        mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, to_linear(colors));
                    }
                }
            }
            None => commands.entity(entity).despawn(),
        }
    }
    for (hemi, d) in &drawn.meshes {
        if seen.contains(hemi) {
            continue;
        }
        let mesh = meshes.add(build_mesh(d, scene.colors(*hemi)));
        let child = commands
            .spawn((
                HemiMesh(*hemi),
                Mesh3d(mesh),
                MeshMaterial3d(materials.for_mesh(d)),
                Transform::default(),
            ))
            .id();
        commands.entity(*root).add_child(child);
    }
}

fn sync_selection_marker(
    doc: Res<SceneDoc>,
    drawn: Res<Drawn>,
    mut marker: Single<(&mut Transform, &mut Visibility), With<SelectionMarker>>,
) {
    let target = doc.0.selection.and_then(|s| {
        drawn
            .meshes
            .get(&s.hemi)
            .and_then(|m| m.positions.get(s.vertex))
            .copied()
    });
    match target {
        Some(p) => {
            marker.0.translation = Vec3::from(p);
            marker.1.set_if_neq(Visibility::Inherited);
        }
        None => {
            marker.1.set_if_neq(Visibility::Hidden);
        }
    }
}
