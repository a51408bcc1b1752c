//! The scene's vessel graph in 3D: radius-true tubes for the thickest segments and lines for
//! the rest (`brain::vessel_mesh`), rebuilt when the graph, the style or the shown hemispheres
//! change; clicking a vessel picks it (its attributes appear in the Vessels panel).

use std::sync::Arc;

use bevy::asset::RenderAssetUsages;
use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::camera::{MainCamera, UiCapture};
use super::material::{CullFaces, SurfaceLighting, SurfaceMaterial};
use super::picking::CLICK_SLOP;
use super::scene::{BrainRoot, Drawn, ras_to_world};
use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::vessel_mesh::{self, VesselGeometry, VesselStyle};
use crate::brain::vessels::{GraphStats, VesselGraph, VesselIndex};
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};

/// What the Vessels panel edits and shows.
#[derive(Resource)]
pub struct VesselView {
    pub show: bool,
    pub style: VesselStyle,
    /// bumped by the panel when `style` or `show` changes
    pub style_rev: u64,
    pub picked: Option<u32>,
    /// derived from the current graph (rebuilt when its rev changes)
    pub graph_rev: u64,
    pub stats: Option<GraphStats>,
    /// radius histogram: (bin centre mm, count, bin width mm)
    pub radius_hist: Vec<(f64, f64, f64)>,
    pub components: Arc<Vec<u32>>,
    pub index: Option<Arc<VesselIndex>>,
    /// what the last rebuild drew
    pub n_tubes: usize,
    pub n_lines: usize,
    pub build_ms: f64,
    /// statistics and index of a new graph are being computed (in the background)
    pub preparing: bool,
    /// geometry is being built (in the background)
    pub building: bool,
    /// keep-out shells drawn (around vessels near the electrodes)
    pub n_shells: usize,
    /// what "distance to the selected electrode" measures from (set by the planner)
    pub distance_from: Option<String>,
}

impl Default for VesselView {
    fn default() -> Self {
        VesselView {
            show: true,
            style: VesselStyle::default(),
            style_rev: 0,
            picked: None,
            graph_rev: 0,
            stats: None,
            radius_hist: Vec::new(),
            components: Arc::new(Vec::new()),
            index: None,
            n_tubes: 0,
            n_lines: 0,
            build_ms: 0.0,
            preparing: false,
            building: false,
            n_shells: 0,
            distance_from: None,
        }
    }
}

#[derive(Component, Clone)]
struct VesselMesh;

/// The wall of the scene's vessel mask.
#[derive(Component)]
struct MaskMesh;

/// Tubes and lines use the cortex's small per-vertex shader (on lavapipe `StandardMaterial`
/// cost 650 ms a frame for 100k tubes, 1.98 s for 1M segments); lines with its lighting
/// switched off (ambient 1, no diffuse, specular or fill), i.e. their colour as is.
#[derive(Resource)]
struct VesselMaterials {
    tubes: Handle<SurfaceMaterial>,
    lines: Handle<SurfaceMaterial>,
    /// keep-out shells: translucent amber, seen from inside and out
    shells: Handle<StandardMaterial>,
    /// a mask's wall: lit, both sides (the surface's winding follows the voxel grid)
    mask: Handle<SurfaceMaterial>,
}

pub struct VesselsPlugin {
    /// a window with a pointer (picking)
    pub interactive: bool,
}

impl Plugin for VesselsPlugin {
    fn build(&self, app: &mut App) {
        if self.interactive {
            app.add_systems(Update, pick_vessel);
        }
        app.init_resource::<VesselView>()
            .init_resource::<VesselJobs>()
            .add_systems(Startup, setup)
            .add_systems(Update, derive_graph_data)
            .add_systems(
                PostUpdate,
                draw_mask.before(bevy::transform::TransformSystems::Propagate),
            )
            .add_systems(
                PostUpdate,
                draw_vessels.before(bevy::transform::TransformSystems::Propagate),
            );
    }
}

fn setup(
    mut commands: Commands,
    mut mats: ResMut<Assets<StandardMaterial>>,
    mut surface_mats: ResMut<Assets<SurfaceMaterial>>,
) {
    commands.insert_resource(VesselMaterials {
        // tubes are outward-wound open cylinders: the far half never shows
        tubes: surface_mats.add(SurfaceMaterial {
            cull: CullFaces::Back,
            ..default()
        }),
        lines: surface_mats.add(unlit_lines()),
        mask: surface_mats.add(SurfaceMaterial {
            cull: CullFaces::None,
            ..default()
        }),
        shells: mats.add(StandardMaterial {
            base_color: Color::srgba(1.0, 0.72, 0.1, 0.28),
            alpha_mode: AlphaMode::Blend,
            unlit: true,
            cull_mode: None,
            double_sided: true,
            ..default()
        }),
    });
}

/// What is derived once per graph before drawing: statistics, radius histogram, components.
/// The spatial index (picking only; seconds for millions of segments) follows separately.
struct Derived {
    rev: u64,
    stats: GraphStats,
    radius_hist: Vec<(f64, f64, f64)>,
    components: Arc<Vec<u32>>,
}

fn derive(rev: u64, g: &VesselGraph) -> Derived {
    let st = g.stats();
    let (lo, hi) = (st.radius_min, st.radius_max.max(st.radius_min + 1e-6));
    let bins = 40;
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &r in &g.radius {
        counts[(((r as f64 - lo) / w) as usize).min(bins - 1)] += 1.0;
    }
    let components = Arc::new(g.components().0);
    Derived {
        rev,
        radius_hist: counts
            .into_iter()
            .enumerate()
            .map(|(i, c)| (lo + (i as f64 + 0.5) * w, c, w))
            .collect(),
        stats: st,
        components,
    }
}

/// Background work of this plugin: deriving a new graph's data, building its geometry. A
/// million-segment graph takes seconds; the window keeps drawing meanwhile, and a result
/// that is no longer wanted (the graph or style changed again) is dropped.
#[derive(Resource, Default)]
struct VesselJobs {
    derive: Option<Task<Derived>>,
    /// on its own thread: the task pool has few threads and this can take seconds
    index: Option<(u64, std::thread::JoinHandle<Arc<VesselIndex>>)>,
    build: Option<(BuildKey, Task<(VesselGeometry, f64)>)>,
}

/// What a geometry build depends on.
type BuildKey = (u64, u64, bool, (bool, bool));

/// A newly loaded graph: reset the view, derive its data in the background.
fn derive_graph_data(
    doc: Res<SceneDoc>,
    mut view: ResMut<VesselView>,
    mut jobs: ResMut<VesselJobs>,
) {
    let rev = doc.0.vessels.as_ref().map_or(0, |v| v.rev);
    if let Some(t) = jobs.derive.as_mut()
        && let Some(d) = block_on(future::poll_once(t))
    {
        jobs.derive = None;
        if d.rev == view.graph_rev {
            view.stats = Some(d.stats);
            view.radius_hist = d.radius_hist;
            view.components = d.components;
            view.preparing = false;
            view.style_rev += 1;
        }
    }
    if jobs.index.as_ref().is_some_and(|(_, h)| h.is_finished())
        && let Some((r, h)) = jobs.index.take()
        && let Ok(index) = h.join()
        && r == view.graph_rev
    {
        view.index = Some(index);
    }
    if rev == view.graph_rev {
        return;
    }
    view.graph_rev = rev;
    view.picked = None;
    view.style.only_component = None;
    view.stats = None;
    view.radius_hist.clear();
    view.components = Arc::new(Vec::new());
    view.index = None;
    match &doc.0.vessels {
        Some(v) => {
            let g = v.graph.clone();
            view.style.radius_range = (0.0, f32::INFINITY);
            // a loaded real graph is best read by radius; the generated one by kind
            view.style.color = if g.generated {
                vessel_mesh::VesselColor::Kind
            } else {
                vessel_mesh::VesselColor::Radius
            };
            view.preparing = true;
            let pool = AsyncComputeTaskPool::get();
            let g2 = g.clone();
            jobs.index = Some((
                rev,
                std::thread::spawn(move || {
                    let t = std::time::Instant::now();
                    let index = Arc::new(VesselIndex::new(&g2));
                    info!(
                        "vessels: R-tree of {} segments in {:.2?}",
                        g2.edges.len(),
                        t.elapsed()
                    );
                    index
                }),
            ));
            jobs.derive = Some(pool.spawn(async move {
                let t = std::time::Instant::now();
                let d = derive(rev, &g);
                info!("vessels: statistics and components in {:.2?}", t.elapsed());
                d
            }));
        }
        None => {
            view.preparing = false;
            jobs.derive = None;
            jobs.index = None;
        }
    }
    view.style_rev += 1;
}

/// Rebuild the geometry in the background when the graph, the style or the shown hemispheres
/// change; swap the meshes in when the build for the current state arrives.
#[allow(clippy::too_many_arguments)]
fn draw_vessels(
    mut commands: Commands,
    doc: Res<SceneDoc>,
    mut view: ResMut<VesselView>,
    mut jobs: ResMut<VesselJobs>,
    mats: Option<Res<VesselMaterials>>,
    mut meshes: ResMut<Assets<Mesh>>,
    root: Single<Entity, With<BrainRoot>>,
    existing: Query<Entity, With<VesselMesh>>,
    mut drawn: ResMut<Drawn>,
    mut last: Local<BuildKey>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut holding: Local<bool>,
    mut shown_rev: Local<u64>,
    camera: Query<(&Camera, &GlobalTransform, &Projection), With<MainCamera>>,
) {
    // screenshots and benchmarks wait for a new graph's first geometry (not for rebuilds after
    // a style change, e.g. the keep-out shells following a dragged electrode)
    let graph_rev = doc.0.vessels.as_ref().map_or(0, |v| v.rev);
    let busy = jobs.derive.is_some() || (jobs.build.is_some() && *shown_rev != graph_rev);
    if view.building != jobs.build.is_some() {
        view.building = jobs.build.is_some();
    }
    if busy != *holding {
        *holding = busy;
        if busy {
            hold.0 += 1;
        } else {
            hold.0 = hold.0.saturating_sub(1);
        }
    }
    let Some(mats) = mats else { return };
    // screen-size level of detail: the size of a pixel at the graph's centre, in powers of 2
    // (zooming by less than 2× keeps the geometry)
    let pixel_mm = view.stats.as_ref().and_then(|st| {
        let (cam, tf, proj) = camera.single().ok()?;
        let centre = ras_to_world()
            .transform_point((Vec3::from(st.bbox_min) + Vec3::from(st.bbox_max)) / 2.0);
        let h = cam.logical_viewport_size()?.y.max(1.0);
        let px = match proj {
            Projection::Perspective(p) => {
                2.0 * tf.translation().distance(centre) * (p.fov / 2.0).tan() / h
            }
            Projection::Orthographic(o) => o.area.height() / h,
            _ => return None,
        };
        (px.is_finite() && px > 0.0).then(|| 2f32.powi(px.log2().round() as i32))
    });
    if view.style.pixel_mm != pixel_mm {
        view.style.pixel_mm = pixel_mm;
        view.style_rev += 1;
    }
    let scene = &doc.0;
    let shown = |h: Hemisphere| scene.view.show.get(&h).copied().unwrap_or(true);
    // generated vessels lie on the anatomical surfaces: hide them on inflated/sphere/flat
    let generated = scene.vessels.as_ref().is_some_and(|v| v.graph.generated);
    let anatomical = matches!(
        scene.view.surface,
        crate::brain::SurfaceKind::Pial | crate::brain::SurfaceKind::White
    ) && scene.view.inflate == 0.0;
    let visible = view.show && (!generated || anatomical || scene.hemis.is_empty());
    let key: BuildKey = (
        scene.vessels.as_ref().map_or(0, |v| v.rev),
        view.style_rev,
        visible,
        (shown(Hemisphere::Left), shown(Hemisphere::Right)),
    );
    // a finished build is shown if it is still what is wanted; a newer request waits for the
    // running build (never two at once: each can take a second at millions of segments)
    if let Some((k, task)) = jobs.build.as_mut()
        && let Some((geo, ms)) = block_on(future::poll_once(task))
    {
        let stale = *k != key;
        let k_rev = k.0;
        jobs.build = None;
        info!(
            "vessels: geometry ({} tubes, {} lines) in {ms:.0} ms{}",
            geo.n_tubes,
            geo.n_lines,
            if stale { ", stale" } else { "" }
        );
        if !stale {
            *shown_rev = k_rev;
            show_geometry(
                &mut commands,
                &mut meshes,
                &mats,
                *root,
                &existing,
                &mut view,
                geo,
                ms,
            );
        }
    }
    if key != *last && jobs.build.is_none() {
        *last = key;
        // a graph alone (no cortex) is framed by its own bounds
        drawn.vessel_bounds = view
            .stats
            .as_ref()
            .filter(|_| scene.vessels.is_some() && scene.hemis.is_empty())
            .map(|st| (Vec3::from(st.bbox_min), Vec3::from(st.bbox_max)));
        match scene
            .vessels
            .as_ref()
            // derive_graph_data has seen this graph (not a frame before it) and finished it
            .filter(|v| visible && !view.preparing && v.rev == view.graph_rev)
        {
            Some(set) => {
                let g = set.graph.clone();
                let style = view.style.clone();
                let comps = view.components.clone();
                let (l, r) = key.3;
                jobs.build = Some((
                    key,
                    AsyncComputeTaskPool::get().spawn(async move {
                        let t = std::time::Instant::now();
                        // generated vessels go with their hemisphere (split at the RAS midline)
                        let side_ok = |e: usize| {
                            if !generated || (l && r) {
                                return true;
                            }
                            let [a, b] = g.edges[e];
                            let left = g.nodes[a as usize][0] + g.nodes[b as usize][0] < 0.0;
                            if left { l } else { r }
                        };
                        let geo = vessel_mesh::build(
                            &g,
                            &style,
                            Some(&comps[..]).filter(|c| !c.is_empty()),
                            &side_ok,
                        );
                        (geo, t.elapsed().as_secs_f64() * 1e3)
                    }),
                ));
            }
            None => {
                jobs.build = None;
                for e in &existing {
                    commands.entity(e).despawn();
                }
                view.n_tubes = 0;
                view.n_lines = 0;
                view.n_shells = 0;
            }
        }
    }
}

/// Swap the drawn vessel meshes for a finished build.
#[allow(clippy::too_many_arguments)]
fn show_geometry(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    mats: &VesselMaterials,
    root: Entity,
    existing: &Query<Entity, With<VesselMesh>>,
    view: &mut VesselView,
    geo: VesselGeometry,
    ms: f64,
) {
    for e in existing {
        commands.entity(e).despawn();
    }
    view.n_tubes = geo.n_tubes;
    view.n_lines = geo.n_lines;
    view.build_ms = ms;
    let usage = RenderAssetUsages::RENDER_WORLD;
    enum Part {
        Tubes,
        Shells,
    }
    let mut spawn = |mesh: Mesh, part: Part| {
        let mut e = commands.spawn((VesselMesh, Mesh3d(meshes.add(mesh)), Transform::default()));
        match part {
            Part::Tubes => e.insert(MeshMaterial3d(mats.tubes.clone())),
            Part::Shells => e.insert(MeshMaterial3d(mats.shells.clone())),
        };
        let child = e.id();
        commands.entity(root).add_child(child);
    };
    view.n_shells = geo.n_shells;
    for c in geo.shells {
        if c.indices.is_empty() {
            continue;
        }
        let mut m = Mesh::new(PrimitiveTopology::TriangleList, usage);
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, c.positions);
        m.insert_attribute(Mesh::ATTRIBUTE_NORMAL, c.normals);
        m.insert_indices(bevy::mesh::Indices::U32(c.indices));
        spawn(m, Part::Shells);
    }
    for c in geo.tubes {
        if c.indices.is_empty() {
            continue;
        }
        let mut m = Mesh::new(PrimitiveTopology::TriangleList, usage);
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, c.positions);
        m.insert_attribute(Mesh::ATTRIBUTE_NORMAL, c.normals);
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, c.colors);
        m.insert_indices(bevy::mesh::Indices::U32(c.indices));
        spawn(m, Part::Tubes);
    }
    spawn_lines(
        commands,
        meshes,
        &mats.lines,
        root,
        VesselMesh,
        &geo.line_positions,
        &geo.line_colors,
    );
}

/// The material of lines drawn as they are coloured: the surface shader with its lighting off
/// (ambient 1, no diffuse, specular or fill), both sides.
pub(super) fn unlit_lines() -> SurfaceMaterial {
    SurfaceMaterial {
        lighting: SurfaceLighting {
            terms: Vec4::new(1.0, 0.0, 0.0, 1.0),
            fill: Vec4::ZERO,
        },
        cull: CullFaces::None,
        ..default()
    }
}

/// Spawn a line list (`positions`/`colors` in pairs) under `root` as meshes of at most 262,144
/// segments, each with its own bounds for frustum culling, tagged `marker`. Vessels and
/// tractography draw their lines through this.
pub(super) fn spawn_lines<M: Component + Clone>(
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    material: &Handle<SurfaceMaterial>,
    root: Entity,
    marker: M,
    positions: &[[f32; 3]],
    colors: &[[f32; 4]],
) {
    const LINES_PER_CHUNK: usize = 262_144;
    for (p, c) in positions
        .chunks(2 * LINES_PER_CHUNK)
        .zip(colors.chunks(2 * LINES_PER_CHUNK))
    {
        let mut m = Mesh::new(PrimitiveTopology::LineList, RenderAssetUsages::RENDER_WORLD);
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, p.to_vec());
        // the shader's layout has normals; unlit lines ignore them
        m.insert_attribute(Mesh::ATTRIBUTE_NORMAL, vec![[0.0f32, 0.0, 1.0]; p.len()]);
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, c.to_vec());
        let child = commands
            .spawn((
                marker.clone(),
                Mesh3d(meshes.add(m)),
                MeshMaterial3d(material.clone()),
                Transform::default(),
            ))
            .id();
        commands.entity(root).add_child(child);
    }
}

/// A click (not a drag) on a vessel picks it; the nearest wall within a few pixels wins.
#[allow(clippy::too_many_arguments)]
fn pick_vessel(
    buttons: Res<ButtonInput<MouseButton>>,
    capture: Res<UiCapture>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform, &Projection), With<MainCamera>>,
    mut view: ResMut<VesselView>,
    mut pressed_at: Local<Option<Vec2>>,
) {
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        *pressed_at = if capture.pointer { None } else { cursor };
    }
    if !buttons.just_released(MouseButton::Left) || !view.show {
        return;
    }
    let (Some(start), Some(end)) = (pressed_at.take(), cursor) else {
        return;
    };
    if start.distance(end) > CLICK_SLOP || capture.pointer || capture.tool {
        return;
    }
    let (Some(index), Some(st)) = (view.index.clone(), view.stats.clone()) else {
        return;
    };
    let (cam, cam_tf, proj) = *camera;
    let offset = cam
        .logical_viewport_rect()
        .map(|r| r.min)
        .unwrap_or(Vec2::ZERO);
    let Ok(ray) = cam.viewport_to_world(cam_tf, end - offset) else {
        return;
    };
    let to_ras = ras_to_world().to_matrix().inverse();
    let o = to_ras.transform_point3(ray.origin);
    let d = to_ras.transform_vector3(*ray.direction).normalize();
    // tolerance: about 4 px at the distance of the graph's centre
    let centre = (Vec3::from(st.bbox_min) + Vec3::from(st.bbox_max)) / 2.0;
    let dist = o.distance(centre).max(1.0);
    let fov = match proj {
        Projection::Perspective(p) => p.fov,
        _ => 0.8,
    };
    let px = 2.0 * dist * (fov / 2.0).tan() / window.height().max(1.0);
    let length = dist + Vec3::from(st.bbox_max).distance(Vec3::from(st.bbox_min));
    if let Some((edge, _)) = index.ray_pick(o.to_array(), d.to_array(), length, 4.0 * px) {
        view.picked = Some(edge);
    }
}

/// Draw the scene's vessel mask as its wall, coloured by distance to the selected electrode
/// when the Vessels panel colours by it (the planner fills in the contacts), rebuilt when the
/// mask, the contacts or the visibility change.
#[allow(clippy::too_many_arguments)]
fn draw_mask(
    mut commands: Commands,
    doc: Res<SceneDoc>,
    view: Res<VesselView>,
    mats: Option<Res<VesselMaterials>>,
    mut meshes: ResMut<Assets<Mesh>>,
    root: Single<Entity, With<BrainRoot>>,
    existing: Query<Entity, With<MaskMesh>>,
    mut last: Local<(u64, u64, bool)>,
) {
    let Some(mats) = mats else { return };
    let mask = doc.0.vessel_mask.as_ref();
    let anatomical = matches!(
        doc.0.view.surface,
        crate::brain::SurfaceKind::Pial | crate::brain::SurfaceKind::White
    ) && doc.0.view.inflate == 0.0;
    let key = (
        mask.map_or(0, |m| m.rev),
        view.style_rev,
        view.show && anatomical,
    );
    if key == *last {
        return;
    }
    *last = key;
    for e in &existing {
        commands.entity(e).despawn();
    }
    let Some(m) = mask.filter(|_| key.2) else {
        return;
    };
    let iso = &m.surface;
    if iso.indices.is_empty() {
        return;
    }
    let (points, max_mm) = match &view.style.color {
        vessel_mesh::VesselColor::Distance { points, max_mm } => (&points[..], *max_mm),
        _ => (&[][..], 3.0),
    };
    let colors = vessel_mesh::mask_colors(iso, points, max_mm, &view.style.colormap);
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, iso.positions.clone());
    mesh.insert_attribute(Mesh::ATTRIBUTE_NORMAL, iso.normals.clone());
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
    mesh.insert_indices(bevy::mesh::Indices::U32(iso.indices.clone()));
    let child = commands
        .spawn((
            MaskMesh,
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(mats.mask.clone()),
            Transform::default(),
        ))
        .id();
    commands.entity(*root).add_child(child);
}
