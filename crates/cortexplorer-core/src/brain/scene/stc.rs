//! MNE source estimates (`NAME-lh.stc` / `NAME-rh.stc`, `.w`; read by `crate::io::stc`) in
//! the scene: one overlay layer `NAME` per estimate, both hemispheres' files in the same
//! layer (the name without `-lh.stc`/`-rh.stc`), a frame per time point with the estimate's
//! `tstep` as TR and `tmin` as the time of frame 0, so the timeline plays it in real time and
//! shows MNE's times.
//!
//! * An estimate whose source vertices are every vertex of the surface (ico-5 on fsaverage or
//!   fsaverage5: 10,242 per hemisphere) maps one to one.
//! * A sparse source space (a subject's `oct-6`, 4,098 per hemisphere, …) is spread to the full
//!   surface: every vertex takes the value of its **nearest source vertex along the mesh**
//!   (multi-source Dijkstra over the edges of the hemisphere's pial surface, white if there is
//!   none, edge lengths in mm) — the patch of cortex each source stands for, as MNE's
//!   `SourceEstimate.plot` shows sparse estimates with `smoothing_steps` = nearest (`'nearest'`).
//! * Refused with one line, the scene unchanged: a name that says no hemisphere, a hemisphere
//!   not loaded, a source vertex past the surface's vertex count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Added, Origin, Scene};
use crate::brain::data::Overlay;
use crate::brain::surface::{Surface, SurfaceKind};
use crate::io::stc::SourceEstimate;

impl Scene {
    pub(super) fn add_source_estimate(
        &mut self,
        se: SourceEstimate,
        from: &Origin,
    ) -> Result<Added, String> {
        let what = &from.what;
        let Some(h) = from.hemisphere else {
            return Err(format!(
                "{what}: the name does not say the hemisphere (MNE writes NAME-lh.stc and NAME-rh.stc)"
            ));
        };
        let Some(g) = self.hemis.get(&h) else {
            return Err(format!("{what}: the {h:?} hemisphere is not loaded"));
        };
        let n = g.n_vertices();
        if let Some(v) = se.vertices.iter().find(|&&v| v as usize >= n) {
            return Err(format!(
                "{what}: source vertex {v} is past the {h:?} hemisphere's {n} vertices"
            ));
        }
        let surface = g
            .surfaces
            .get(&SurfaceKind::Pial)
            .or_else(|| g.surfaces.get(&SurfaceKind::White))
            .or_else(|| g.surfaces.values().next())
            .expect("a loaded hemisphere has a surface")
            .clone();
        let one_to_one = se.vertices.len() == n
            && se
                .vertices
                .iter()
                .enumerate()
                .all(|(i, &v)| v as usize == i);
        let nearest: Vec<u32> = if one_to_one {
            (0..n as u32).collect()
        } else {
            nearest_source(&surface, &se.vertices)
        };
        let nt = se.n_times();
        let mut values = vec![f32::NAN; n * nt];
        for (v, &k) in nearest.iter().enumerate() {
            if k == u32::MAX {
                continue; // a part of the mesh no source reaches: no data
            }
            for t in 0..nt {
                values[t * n + v] = se.data[[t, k as usize]];
            }
        }
        let mut o = Overlay::new(n, nt, values);
        if se.tstep > 0.0 {
            o.tr_seconds = Some(se.tstep as f32);
            o.t0_seconds = Some(se.tmin as f32);
        }
        let name = stem(&from.name);
        let origin = Origin {
            what: what.clone(),
            name: name.clone(),
            hemisphere: Some(h),
            surface_kind: None,
            embedded: false,
        };
        let added = self.add_overlay(o, &origin)?;
        let spread = (!one_to_one).then(|| {
            format!(
                "{what}: {} sources spread to {n} vertices (nearest source along the mesh)",
                se.vertices.len()
            )
        });
        Ok(match added {
            Added::Data { note, layer } => Added::Data {
                note: match (note, spread) {
                    (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                },
                layer,
            },
            other => other,
        })
    }
}

/// The layer name of an estimate: the file name without `-lh.stc`, `-rh.stc`, `.stc`, `.w`.
fn stem(name: &str) -> String {
    let mut s = name.to_string();
    for suffix in ["-lh.stc", "-rh.stc", ".stc", "-lh.w", "-rh.w", ".w"] {
        if let Some(t) = s.strip_suffix(suffix) {
            s = t.to_string();
            break;
        }
    }
    for prefix in ["lh.", "rh."] {
        if let Some(t) = s.strip_prefix(prefix) {
            s = t.to_string();
        }
    }
    s
}

/// For each vertex, the index (into `sources`) of the nearest source vertex along the mesh's
/// edges; `u32::MAX` where no source is connected.
pub fn nearest_source(surface: &Surface, sources: &[u32]) -> Vec<u32> {
    let n = surface.vertices.len();
    let mut adj: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    let len = |a: u32, b: u32| {
        let (p, q) = (surface.vertices[a as usize], surface.vertices[b as usize]);
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
    };
    for f in &surface.faces {
        for (a, b) in [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])] {
            let d = len(a, b);
            adj[a as usize].push((b, d));
            adj[b as usize].push((a, d));
        }
    }
    let mut dist = vec![f32::INFINITY; n];
    let mut owner = vec![u32::MAX; n];
    // (distance as ordered bits, vertex): distances are non-negative, so their bits order
    let mut heap = BinaryHeap::new();
    for (k, &s) in sources.iter().enumerate() {
        if dist[s as usize] > 0.0 {
            dist[s as usize] = 0.0;
            owner[s as usize] = k as u32;
            heap.push(Reverse((0u32, s)));
        }
    }
    while let Some(Reverse((d, v))) = heap.pop() {
        let d = f32::from_bits(d);
        if d > dist[v as usize] {
            continue;
        }
        for &(w, l) in &adj[v as usize] {
            let nd = d + l;
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                owner[w as usize] = owner[v as usize];
                heap.push(Reverse((nd.to_bits(), w)));
            }
        }
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vertex_takes_its_nearest_source_along_the_mesh() {
        // a strip 0-1-2-3-4-5 (unit spacing): sources at 0 and 5
        let v: Vec<[f32; 3]> = (0..6)
            .map(|i| [i as f32, (i % 2) as f32 * 0.0, 0.0])
            .collect();
        let f = vec![[0, 1, 2], [2, 3, 4], [3, 4, 5]];
        let s = Surface::new(v, f).unwrap();
        assert_eq!(nearest_source(&s, &[0, 5]), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(stem("sub-01_task-x-lh.stc"), "sub-01_task-x");
        assert_eq!(stem("lh.activation.w"), "activation");
    }

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/mne")
            .join(name)
    }

    #[test]
    fn ico5_estimates_map_one_to_one_and_sparse_ones_spread() {
        use crate::brain::scene::LayerData;
        use crate::brain::surface::Hemisphere;
        let mut s = crate::brain::fsaverage5::scene().unwrap();
        for f in ["ico5-lh.stc", "ico5-rh.stc"] {
            s.add(crate::io::load(&data(f)).unwrap()).unwrap();
        }
        let layer = s
            .layers
            .iter()
            .find(|l| l.name == "ico5")
            .expect("one layer, both hemispheres");
        let LayerData::Overlay { per_hemi, .. } = &layer.data else {
            panic!("an overlay")
        };
        assert_eq!(per_hemi.len(), 2);
        let lh = &per_hemi[&Hemisphere::Left];
        assert_eq!(
            (lh.n_vertices, lh.n_frames, lh.tr_seconds, lh.t0_seconds),
            (10242, 3, Some(0.004), Some(0.1))
        );
        let crate::io::Content::SourceEstimate(se) =
            crate::io::load(&data("ico5-lh.stc")).unwrap().content
        else {
            panic!("an estimate")
        };
        assert_eq!(lh.frame(1)[5000], se.data[[1, 5000]]);

        // sparse: every vertex takes a source's value, each source's own vertex its own
        s.add(crate::io::load(&data("sparse-lh.stc")).unwrap())
            .unwrap();
        let crate::io::Content::SourceEstimate(sp) =
            crate::io::load(&data("sparse-lh.stc")).unwrap().content
        else {
            panic!("an estimate")
        };
        let layer = s.layers.iter().find(|l| l.name == "sparse").unwrap();
        let LayerData::Overlay { per_hemi, .. } = &layer.data else {
            panic!("an overlay")
        };
        let o = &per_hemi[&Hemisphere::Left];
        for (k, &v) in sp.vertices.iter().enumerate() {
            assert_eq!(o.frame(2)[v as usize], sp.data[[2, k]]);
        }
        let sources: std::collections::BTreeSet<u32> =
            o.frame(0).iter().map(|x| x.to_bits()).collect();
        assert!(sources.len() <= 40 && o.frame(0).iter().all(|x| x.is_finite()));

        // a vertex past the surface: refused, nothing added
        let mut small = crate::brain::scene::Scene::new();
        small
            .add(crate::io::Loaded {
                source: crate::io::Source::File("lh.pial".into()),
                format: crate::io::Format::Gifti,
                content: crate::io::Content::Surface(
                    Surface::new(
                        vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                        vec![[0, 1, 2]],
                    )
                    .unwrap(),
                ),
                hemisphere: Some(Hemisphere::Left),
                surface_kind: Some(SurfaceKind::Pial),
                name: "lh.pial".into(),
            })
            .unwrap();
        let e = small
            .add(crate::io::load(&data("sparse-lh.stc")).unwrap())
            .unwrap_err();
        assert!(
            e.contains("is past the Left hemisphere's 3 vertices"),
            "{e}"
        );
        assert!(small.layers.is_empty());
    }
}
