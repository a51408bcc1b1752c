//! Region ↔ region routing in 3D: arcs between region centres (`routing::regions`), drawn
//! with gizmos — colour by weight (hot), brightness rising from source to target (the
//! direction), the strongest `top_k` targets of every source above a threshold — through the
//! frames of a T×N×N series, optionally through the thalamic gate whose focus is the selected
//! vertex. Arc geometry is rebuilt only when the matrix, frame, selection of arcs, gains or the
//! drawn surfaces change, into one line mesh drawn over the cortex by the surface shader
//! (`SurfaceMaterial::overlay`). On lavapipe (1280×800), 2,000 arcs cost ≈ 45 ms a frame as
//! immediate-mode gizmos, 24 ms as a retained gizmo (a quad per segment, 2.5 px wide), 11–14 ms
//! as lines in one mesh (the strongest quarter two lines wide; the cost follows their pixels).

use bevy::mesh::PrimitiveTopology;
use bevy::prelude::*;

use super::material::{SurfaceLighting, SurfaceMaterial};
use super::scene::{BrainRoot, Drawn};
use super::shared::SceneDoc;
use crate::routing::regions::{Gate, Nodes, arc};

/// What the arcs were built from: geometry rev, frame, top-k, threshold bits, matrix ^ gate
/// rev, gate on, highlight.
type ArcKey = (u64, usize, usize, u32, u64, bool, Option<usize>);

/// What the panel sets and the arcs follow.
#[derive(Resource)]
pub struct RegionView {
    pub show: bool,
    /// two lines for every arc, not only the strongest quarter (about 2 px wide, easier to
    /// see; on lavapipe 2,000 arcs cost ≈ 10 ms a frame more)
    pub thick: bool,
    pub frame: usize,
    pub playing: bool,
    /// frames per second while playing
    pub fps: f32,
    pub top_k: usize,
    pub threshold: f32,
    pub gate_on: bool,
    pub gate: Option<Gate>,
    /// the centres in use (or why there are none)
    pub nodes: Option<Result<Nodes, String>>,
    /// arcs drawn: (source, target, weight)
    pub shown: Vec<(usize, usize, f32)>,
    /// the region the pointer or selection highlights
    pub highlight: Option<usize>,
    arcs: Vec<(Vec<Vec3>, f32, bool)>,
    key: Option<ArcKey>,
    seen_matrix: Option<usize>,
    nodes_key: Option<(usize, usize, u64)>,
    gate_rev: u64,
    /// bumped when `arcs` changes
    pub arcs_rev: u64,
    clock: f32,
    pub rev: u64,
}

impl Default for RegionView {
    fn default() -> Self {
        RegionView {
            show: true,
            thick: false,
            frame: 0,
            playing: false,
            fps: 4.0,
            top_k: 10,
            threshold: 0.0,
            gate_on: false,
            gate: None,
            nodes: None,
            shown: Vec::new(),
            highlight: None,
            arcs: Vec::new(),
            key: None,
            seen_matrix: None,
            nodes_key: None,
            gate_rev: 0,
            arcs_rev: 0,
            clock: 0.0,
            rev: 0,
        }
    }
}

pub struct RegionsPlugin;

impl Plugin for RegionsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<RegionView>()
            .add_systems(Update, (update_arcs, draw_arcs).chain());
    }
}

fn update_arcs(
    time: Res<Time>,
    doc: Res<SceneDoc>,
    drawn: Res<Drawn>,
    mut view: ResMut<RegionView>,
) {
    let scene = &doc.0;
    let Some((_, m)) = &scene.region_matrix else {
        if !view.arcs.is_empty() {
            view.arcs.clear();
            view.shown.clear();
            view.arcs_rev += 1;
        }
        return;
    };
    let mptr = std::sync::Arc::as_ptr(m) as usize;
    // the centres depend on the matrix, the node file and the labels layers (color_rev)
    let nodes_key = (
        mptr,
        scene
            .region_nodes
            .as_ref()
            .map_or(0, |(_, n)| std::sync::Arc::as_ptr(n) as usize),
        scene.color_rev,
    );
    if view.seen_matrix != Some(mptr) {
        view.seen_matrix = Some(mptr);
        view.gate = Some(Gate::new(m.n()));
        view.frame = view.frame.min(m.frames() - 1);
        view.rev += 1;
    }
    if view.nodes_key != Some(nodes_key) {
        view.nodes_key = Some(nodes_key);
        view.nodes = Some(crate::routing::scene::region_centres(scene));
        view.key = None;
    }
    let Some(Ok(nodes)) = view.nodes.clone() else {
        if !view.arcs.is_empty() {
            view.arcs.clear();
            view.arcs_rev += 1;
        }
        return;
    };
    let dt = time.delta_secs();
    if view.playing && m.frames() > 1 {
        view.clock += dt * view.fps;
        if view.clock >= 1.0 {
            view.clock = 0.0;
            view.frame = (view.frame + 1) % m.frames();
        }
    }
    // the gate's focus: the selected vertex
    let focus = scene
        .selection
        .filter(|_| view.gate_on)
        .and_then(|s| scene.vertex_world(s));
    let mut moved = false;
    if let Some(g) = &mut view.gate {
        let before = g.gains.clone();
        g.step(&nodes, focus, dt as f64);
        moved = g
            .gains
            .iter()
            .zip(&before)
            .any(|(a, b)| (a - b).abs() > 1e-3);
    }
    if moved && view.gate_on {
        view.gate_rev += 1;
    }
    let key = (
        drawn.geometry_rev,
        view.frame,
        view.top_k,
        view.threshold.to_bits(),
        mptr as u64 ^ (view.gate_rev << 48),
        view.gate_on,
        view.highlight,
    );
    if view.key == Some(key) {
        return;
    }
    view.key = Some(key);
    let w = match (&view.gate, view.gate_on) {
        (Some(g), true) => g.apply(m, m.frame(view.frame)),
        _ => m.frame(view.frame).to_owned(),
    };
    let shown = m.top_k(w.view(), view.top_k, view.threshold);
    // node positions as drawn (morph and hemisphere offsets), else as given
    let pos: Vec<[f64; 3]> = (0..nodes.names.len())
        .map(|i| match (nodes.hemis[i], nodes.vertices[i]) {
            (Some(h), Some(v)) => drawn
                .meshes
                .get(&h)
                .and_then(|d| d.positions.get(v))
                .map(|p| p.map(f64::from))
                .unwrap_or(nodes.centres[i]),
            _ => nodes.centres[i],
        })
        .collect();
    let centre: [f64; 3] =
        std::array::from_fn(|k| pos.iter().map(|p| p[k]).sum::<f64>() / pos.len().max(1) as f64);
    let wmax = shown.iter().fold(0f32, |a, s| a.max(s.2.abs())).max(1e-12);
    let hl = view.highlight;
    view.arcs = shown
        .iter()
        .map(|&(i, j, x)| {
            let pts = arc(pos[i], pos[j], centre, 4.0, 12)
                .into_iter()
                .map(Vec3::from_array)
                .collect();
            (pts, x.abs() / wmax, hl.is_some_and(|h| h == i || h == j))
        })
        .collect();
    view.shown = shown;
    view.arcs_rev += 1;
}

/// The strongest this fraction of the arcs shown is drawn two lines wide (width by weight,
/// at a bounded cost).
const STRONG_FRACTION: f32 = 0.25;

/// How far apart the two lines of an arc are (mm).
const ARC_WIDTH_MM: f32 = 0.3;

/// The entity drawing the arcs and the `arcs_rev` it was built from.
#[derive(Default)]
struct ArcEntity(Option<(Entity, u64, bool)>);

/// The arcs' material: the surface shader as an unlit overlay (drawn over the cortex, as
/// connectome viewers do; top-k and the threshold keep it readable), blended by alpha.
fn arc_material() -> SurfaceMaterial {
    SurfaceMaterial {
        lighting: SurfaceLighting {
            terms: Vec4::new(1.0, 0.0, 0.0, 1.0),
            fill: Vec4::ZERO,
        },
        overlay: true,
        ..default()
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_arcs(
    mut commands: Commands,
    view: Res<RegionView>,
    root: Query<&GlobalTransform, With<BrainRoot>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<SurfaceMaterial>>,
    mut material: Local<Option<Handle<SurfaceMaterial>>>,
    mut current: Local<ArcEntity>,
) {
    let want = view.show && !view.arcs.is_empty();
    if let Some((e, rev, thick)) = current.0 {
        if want && rev == view.arcs_rev && thick == view.thick {
            return;
        }
        commands.entity(e).despawn();
        current.0 = None;
    }
    if !want {
        return;
    }
    let Ok(t) = root.single() else {
        return;
    };
    let cmap = crate::brain::colormap::Colormap::by_name("hot").expect("built in");
    let any_hl = view.highlight.is_some();
    let segments: usize = view.arcs.iter().map(|a| a.0.len().saturating_sub(1)).sum();
    let strong = {
        let mut ws: Vec<f32> = view.arcs.iter().map(|a| a.1).collect();
        ws.sort_by(|a, b| b.total_cmp(a));
        let k = ((ws.len() as f32 * STRONG_FRACTION).ceil() as usize).clamp(1, ws.len());
        ws[k - 1]
    };
    let mut positions = Vec::with_capacity(4 * segments);
    let mut colors = Vec::with_capacity(4 * segments);
    for (pts, w, hl) in &view.arcs {
        let c = cmap.at(0.35 + 0.65 * w);
        let alpha = if any_hl && !hl { 0.12 } else { 0.35 + 0.65 * w };
        let n = pts.len().max(2) - 1;
        // dim at the source, bright at the target: the direction
        let at = |k: usize| {
            let f = 0.25 + 0.75 * k as f32 / n as f32;
            Color::srgba(
                c[0] as f32 / 255.0 * f,
                c[1] as f32 / 255.0 * f,
                c[2] as f32 / 255.0 * f,
                alpha,
            )
            .to_linear()
            .to_f32_array()
        };
        let world: Vec<Vec3> = pts.iter().map(|p| t.transform_point(*p)).collect();
        // width by weight: the strongest quarter (every arc with `thick`) gets a second line
        // beside the first, along the normal of the arc's plane — about two pixels wide when
        // seen from outside the brain
        let (first, last) = (world[0], world[world.len() - 1]);
        let bow = world[world.len() / 2] - (first + last) / 2.0;
        let side = (last - first).cross(bow).normalize_or_zero() * ARC_WIDTH_MM;
        let offsets: &[Vec3] = if view.thick || *w >= strong {
            &[Vec3::ZERO, side]
        } else {
            &[Vec3::ZERO]
        };
        for &offset in offsets {
            for k in 1..world.len() {
                positions.push((world[k - 1] + offset).to_array());
                positions.push((world[k] + offset).to_array());
                colors.push(at(k - 1));
                colors.push(at(k));
            }
        }
    }
    let mut mesh = Mesh::new(
        PrimitiveTopology::LineList,
        bevy::asset::RenderAssetUsages::RENDER_WORLD,
    );
    // the shader's layout has normals; unlit lines ignore them
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_NORMAL,
        vec![[0.0f32, 0.0, 1.0]; positions.len()],
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, positions);
    mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors);
    let mat = material
        .get_or_insert_with(|| materials.add(arc_material()))
        .clone();
    let e = commands
        .spawn((
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(mat),
            Transform::IDENTITY,
        ))
        .id();
    current.0 = Some((e, view.arcs_rev, view.thick));
}
