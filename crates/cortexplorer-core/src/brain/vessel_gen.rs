//! A deterministic generator of plausible pial vasculature on a cortical surface.
//!
//! No human cortical vessel graph in millimetres can be shipped, so the default scene uses
//! this one, always labelled *generated*. The recipe (documented, seeded, repeatable):
//!
//! 1. **Trunks.** Arteries enter where the anterior, middle and posterior cerebral arteries
//!    reach the cortex (medial frontal, Sylvian fissure, medial occipito-temporal); veins leave
//!    toward the superior sagittal and transverse sinuses (dorsal midline, lateral occipital).
//!    Each root is the pial vertex nearest a fixed point in fsaverage space.
//! 2. **Trees.** Attractor vertices are drawn area-weighted over the surface; a multi-source
//!    Dijkstra on the mesh (edge cost = length × (1 − 0.5·sulcal depth), so paths run along
//!    sulci) assigns each to its nearest root, and the union of the shortest paths forms the
//!    trees.
//! 3. **Radii by Murray's law** (r³ of a parent = Σ r³ of its children): with `n` attractors
//!    downstream, `r = r_leaf·n^{1/3}`, clamped to 1 mm — 0.1–1 mm for arteries, veins 20%
//!    wider.
//! 4. **Penetrating vessels.** From a random half of the tree vertices an arteriole/venule branches
//!    off the surface vessel and runs
//!    from the pial vertex to the same vertex on the white surface (the cortical column),
//!    radius 30–60 µm.
//!
//! Vessels sit on the pial surface, lifted by their radius along the normal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Hemisphere;
use super::surface::Surface;
use super::vessels::{VesselGraph, VesselKind};
use crate::rng::SplitMix;

/// Generator settings.
#[derive(Clone, Debug)]
pub struct VesselParams {
    pub seed: u64,
    pub arterial_attractors: usize,
    pub venous_attractors: usize,
    pub leaf_radius_mm: f32,
    pub penetrating_fraction: f64,
}

impl Default for VesselParams {
    fn default() -> Self {
        VesselParams {
            seed: 1,
            arterial_attractors: 260,
            venous_attractors: 160,
            leaf_radius_mm: 0.1,
            penetrating_fraction: 0.5,
        }
    }
}

#[derive(PartialEq)]
struct Entry(f64, u32);
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

fn adjacency(s: &Surface) -> Vec<Vec<u32>> {
    let mut adj = vec![Vec::new(); s.vertices.len()];
    for f in &s.faces {
        for (a, b) in [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])] {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
    }
    for l in &mut adj {
        l.sort_unstable();
        l.dedup();
    }
    adj
}

fn nearest_vertex(s: &Surface, p: [f32; 3]) -> u32 {
    super::surface::nearest_vertex(&s.vertices, p)
        .map(|(i, _)| i as u32)
        .unwrap_or(0)
}

/// Vertex areas (a third of each incident face) for area-weighted sampling.
fn vertex_areas(s: &Surface) -> Vec<f64> {
    let mut a = vec![0.0; s.vertices.len()];
    for f in &s.faces {
        let [p, q, r] = f.map(|i| glam::Vec3::from(s.vertices[i as usize]));
        let area = (q - p).cross(r - p).length() as f64 / 2.0;
        for &i in f {
            a[i as usize] += area / 3.0;
        }
    }
    a
}

/// Build one kind of tree (arteries or veins) from `roots` to `n` attractors.
#[allow(clippy::too_many_arguments)]
fn grow(
    pial: &Surface,
    adj: &[Vec<u32>],
    cost_scale: &[f64],
    cumulative_area: &[f64],
    roots: &[u32],
    n: usize,
    rng: &mut SplitMix,
    leaf_radius: f32,
) -> (Vec<(u32, u32, f32)>, Vec<u32>) {
    let nv = pial.vertices.len();
    let mut dist = vec![f64::INFINITY; nv];
    let mut pred = vec![u32::MAX; nv];
    let mut heap = BinaryHeap::new();
    for &r in roots {
        dist[r as usize] = 0.0;
        heap.push(Entry(0.0, r));
    }
    while let Some(Entry(d, v)) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        let pv = glam::Vec3::from(pial.vertices[v as usize]);
        for &w in &adj[v as usize] {
            let len = pv.distance(glam::Vec3::from(pial.vertices[w as usize])) as f64;
            let nd = d + len * 0.5 * (cost_scale[v as usize] + cost_scale[w as usize]);
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                pred[w as usize] = v;
                heap.push(Entry(nd, w));
            }
        }
    }
    // attractors, area-weighted; count how many lie downstream of each vertex
    let total = *cumulative_area.last().unwrap_or(&0.0);
    let mut downstream = vec![0u32; nv];
    for _ in 0..n {
        let x = rng.unit() * total;
        let mut v = cumulative_area.partition_point(|&c| c < x).min(nv - 1) as u32;
        if !dist[v as usize].is_finite() {
            continue;
        }
        loop {
            downstream[v as usize] += 1;
            let p = pred[v as usize];
            if p == u32::MAX {
                break;
            }
            v = p;
        }
    }
    let mut edges = Vec::new();
    let mut tree_vertices = Vec::new();
    for v in 0..nv {
        let p = pred[v];
        if downstream[v] > 0 {
            tree_vertices.push(v as u32);
            if p != u32::MAX {
                // Murray's law: r³ ∝ flow ∝ number of attractors served
                let r = (leaf_radius * (downstream[v] as f32).cbrt()).min(1.0);
                edges.push((p, v as u32, r));
            }
        }
    }
    (edges, tree_vertices)
}

/// Generate vessels for one hemisphere. `white` gives the depth of penetrating vessels and
/// `sulc` (FreeSurfer convention, positive in sulci) steers trunks into sulci.
pub fn generate(
    pial: &Surface,
    white: &Surface,
    sulc: Option<&[f32]>,
    hemi: Hemisphere,
    params: &VesselParams,
) -> VesselGraph {
    let mut rng = SplitMix::new(params.seed ^ if hemi == Hemisphere::Left { 0x1F } else { 0x2E });
    let adj = adjacency(pial);
    let nv = pial.vertices.len();
    let cost_scale: Vec<f64> = match sulc {
        Some(s) if s.len() == nv => {
            let (lo, hi) = s
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
            s.iter()
                .map(|&x| 1.0 - 0.5 * ((x - lo) / (hi - lo).max(1e-6)) as f64)
                .collect()
        }
        _ => vec![1.0; nv],
    };
    let areas = vertex_areas(pial);
    let mut cumulative = Vec::with_capacity(nv);
    let mut acc = 0.0;
    for a in &areas {
        acc += a;
        cumulative.push(acc);
    }
    let sx = if hemi == Hemisphere::Left { -1.0 } else { 1.0 };
    let at = |x: f32, y: f32, z: f32| nearest_vertex(pial, [sx * x, y, z]);
    // ACA, MCA, PCA entry points; sinus exits (fsaverage coordinates, mm)
    let arteries = [
        at(4.0, 30.0, 10.0),
        at(45.0, 5.0, -8.0),
        at(12.0, -45.0, -8.0),
    ];
    let veins = [
        at(4.0, -25.0, 72.0),
        at(4.0, 35.0, 58.0),
        at(38.0, -78.0, -8.0),
    ];

    let normals = pial.vertex_normals();
    let mut g = VesselGraph {
        generated: true,
        ..Default::default()
    };
    let mut node_of: std::collections::HashMap<(u8, u32), u32> = Default::default();
    let mut node = |g: &mut VesselGraph, tag: u8, v: u32, lift: f32| -> u32 {
        *node_of.entry((tag, v)).or_insert_with(|| {
            let p = glam::Vec3::from(pial.vertices[v as usize])
                + glam::Vec3::from(normals[v as usize]) * lift;
            g.nodes.push(p.to_array());
            (g.nodes.len() - 1) as u32
        })
    };
    let mut tree_vertices = Vec::new();
    for (tag, roots, n, leaf, kind) in [
        (
            0u8,
            &arteries[..],
            params.arterial_attractors,
            params.leaf_radius_mm,
            VesselKind::Artery,
        ),
        (
            1u8,
            &veins[..],
            params.venous_attractors,
            params.leaf_radius_mm * 1.2,
            VesselKind::Vein,
        ),
    ] {
        let (edges, verts) = grow(
            pial,
            &adj,
            &cost_scale,
            &cumulative,
            roots,
            n,
            &mut rng,
            leaf,
        );
        for (a, b, r) in edges {
            let (na, nb) = (
                node(&mut g, tag, a, r + 0.05),
                node(&mut g, tag, b, r + 0.05),
            );
            g.edges.push([na, nb]);
            g.radius.push(r);
            g.kind.push(kind);
        }
        tree_vertices.extend(verts.into_iter().map(|v| (tag, v)));
    }
    // penetrating arterioles/venules along the trees, pial → white through the column
    if white.vertices.len() == nv {
        for (tag, v) in tree_vertices {
            if rng.unit() >= params.penetrating_fraction {
                continue;
            }
            let top = glam::Vec3::from(pial.vertices[v as usize]);
            let bottom = glam::Vec3::from(white.vertices[v as usize]);
            let r = 0.03 + 0.03 * rng.unit() as f32;
            let mid = (top + bottom) / 2.0;
            // it branches off the surface vessel's node above this vertex (one tree, not
            // islands): root (on the surface vessel) → pial vertex → mid-column → white
            let i = g.nodes.len() as u32;
            g.nodes
                .extend([top.to_array(), mid.to_array(), bottom.to_array()]);
            let root = node_of.get(&(tag, v)).map(|&root| [root, i]);
            for e in root.into_iter().chain([[i, i + 1], [i + 1, i + 2]]) {
                g.edges.push(e);
                g.radius.push(r);
                g.kind.push(VesselKind::Penetrating);
            }
        }
    }
    g
}

/// A synthetic vessel network of exactly `n_edges` segments for benchmarks and tests (not
/// anatomy): random branching walks from 64 roots inside a `size_mm` cube, each step 20–60 µm
/// long with a small random turn; a walk branches with probability 0.06 per step, children get
/// Murray-law radii (parent·2^{-1/3}), radii start at 30 µm and stop shrinking at 2 µm —
/// the scale of a light-sheet mouse-brain graph like VesselGraph's. Seeded and deterministic.
pub fn synthetic(n_edges: usize, size_mm: f32, seed: u64) -> VesselGraph {
    let mut rng = SplitMix::new(seed);
    let mut g = VesselGraph {
        generated: true,
        ..Default::default()
    };
    g.nodes.reserve(n_edges + 64);
    g.edges.reserve(n_edges);
    g.radius.reserve(n_edges);
    let u = |r: &mut SplitMix| r.unit() as f32;
    // active tips: (node, direction, radius)
    let mut tips: Vec<(u32, [f32; 3], f32)> = Vec::new();
    for _ in 0..64 {
        let p = [
            u(&mut rng) * size_mm,
            u(&mut rng) * size_mm,
            u(&mut rng) * size_mm,
        ];
        g.nodes.push(p);
        let d = unit3([u(&mut rng) - 0.5, u(&mut rng) - 0.5, u(&mut rng) - 0.5]);
        tips.push(((g.nodes.len() - 1) as u32, d, 0.03));
    }
    let mut k = 0usize;
    while g.edges.len() < n_edges {
        if tips.is_empty() {
            let p = [
                u(&mut rng) * size_mm,
                u(&mut rng) * size_mm,
                u(&mut rng) * size_mm,
            ];
            g.nodes.push(p);
            tips.push(((g.nodes.len() - 1) as u32, [1.0, 0.0, 0.0], 0.03));
        }
        k = (k + 1) % tips.len();
        let (node, dir, r) = tips[k];
        let step = 0.02 + 0.04 * u(&mut rng);
        let turn = [u(&mut rng) - 0.5, u(&mut rng) - 0.5, u(&mut rng) - 0.5];
        let mut d = unit3([
            dir[0] + 0.6 * turn[0],
            dir[1] + 0.6 * turn[1],
            dir[2] + 0.6 * turn[2],
        ]);
        let p0 = g.nodes[node as usize];
        let mut p = [
            p0[0] + d[0] * step,
            p0[1] + d[1] * step,
            p0[2] + d[2] * step,
        ];
        for c in 0..3 {
            // reflect at the walls of the cube
            if p[c] < 0.0 || p[c] > size_mm {
                d[c] = -d[c];
                p[c] = p0[c] + d[c] * step;
            }
        }
        g.nodes.push(p);
        let new = (g.nodes.len() - 1) as u32;
        g.edges.push([node, new]);
        g.radius.push(r);
        if u(&mut rng) < 0.06 && r > 0.002 {
            let child = r * 0.7937; // 2^{-1/3}: two equal children conserve r³
            tips[k] = (new, d, child);
            let side = unit3([d[1] - d[2], d[2] - d[0], d[0] - d[1]]);
            tips.push((
                new,
                unit3([d[0] + side[0], d[1] + side[1], d[2] + side[2]]),
                child,
            ));
        } else {
            tips[k] = (new, d, r);
        }
    }
    g.kind = vec![VesselKind::Unknown; g.edges.len()];
    g
}

fn unit3(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-9);
    [v[0] / n, v[1] / n, v[2] / n]
}

/// The seed of the default scene's vessels (and of `assets/plan.toml`).
pub const DEFAULT_SEED: u64 = 1;

/// Generated vessels over the given hemispheres of a scene (pial + white surfaces needed;
/// sulcal depth from a `sulc` overlay when loaded), labelled generated.
pub fn for_scene(scene: &super::scene::Scene, which: &[Hemisphere], seed: u64) -> VesselGraph {
    use super::SurfaceKind;
    let mut all = VesselGraph {
        generated: true,
        ..Default::default()
    };
    for &h in which {
        let Some(g) = scene.hemis.get(&h) else {
            continue;
        };
        let (Some(pial), Some(white)) = (
            g.surfaces.get(&SurfaceKind::Pial),
            g.surfaces.get(&SurfaceKind::White),
        ) else {
            continue;
        };
        let sulc = scene.overlay_frame("sulc", h);
        let part = generate(
            pial,
            white,
            sulc,
            h,
            &VesselParams {
                seed,
                ..Default::default()
            },
        );
        let off = all.nodes.len() as u32;
        all.nodes.extend(part.nodes);
        all.edges
            .extend(part.edges.iter().map(|[a, b]| [a + off, b + off]));
        all.radius.extend(part.radius);
        all.kind.extend(part.kind);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_uniform() {
        let mut a = SplitMix::new(42);
        let mut b = SplitMix::new(42);
        let xs: Vec<f64> = (0..10_000).map(|_| a.unit()).collect();
        assert!(
            xs.iter()
                .zip((0..10_000).map(|_| b.unit()))
                .all(|(x, y)| *x == y)
        );
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    }
}
