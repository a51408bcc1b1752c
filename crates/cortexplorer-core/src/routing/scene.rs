//! Routing models from a scene: the pRF model from each hemisphere's retinotopy (its `angle`
//! and `eccen` overlays, neuropythy conventions, with `varea` when loaded, or the built-in
//! template where a hemisphere has none — `percept::resolve`); and a file query map matched
//! against the scene.

use std::collections::BTreeMap;

use super::{PrfModel, PrfSizes, QueryMap};
use crate::brain::scene::{LayerData, Scene};
use crate::brain::{Hemisphere, SurfaceKind};
use crate::percept::resolve;

/// The pRF model of every hemisphere of the scene, each from its own retinotopy by the rule
/// of [`crate::percept::resolve`] (`auto`: its loaded maps, else the template); the model says
/// per hemisphere which was used.
pub fn prf_model(scene: &Scene, sizes: PrfSizes) -> Result<PrfModel, String> {
    let hemis: Vec<Hemisphere> = scene.hemis.keys().copied().collect();
    if hemis.is_empty() {
        return Err("the pRF routing model needs a cortical surface".into());
    }
    let mut per_hemi = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for m in resolve::hemispheres(scene, &hemis, "auto", resolve::Need::Field)? {
        per_hemi.insert(m.hemi, (0..m.len()).map(|i| m.field(i)).collect());
        sources.insert(m.hemi, m.source);
    }
    Ok(PrfModel::from_field(per_hemi, sizes, sources))
}

/// A query map from a per-vertex overlay layer of the scene.
pub fn queries_from_layer(scene: &Scene, name: &str, n_queries: usize) -> Result<QueryMap, String> {
    let l = scene
        .layers
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| format!("no layer {name:?} for the query map"))?;
    match &l.data {
        LayerData::Overlay { per_hemi, .. } => QueryMap::from_indices(
            per_hemi
                .iter()
                .map(|(h, o)| (*h, o.frame(0).to_vec()))
                .collect(),
            n_queries,
        )
        .map_err(|e| format!("{name}: {e}")),
        LayerData::Labels { .. } => Err(format!(
            "{name}: a query map is a per-vertex index overlay (or give query names with an annotation)"
        )),
    }
}

/// A query map from query names matched against a labels layer's regions.
pub fn queries_from_rois(
    scene: &Scene,
    names: Vec<String>,
    layer: Option<&str>,
) -> Result<QueryMap, String> {
    let l = scene
        .layers
        .iter()
        .find(|l| !l.is_overlay() && layer.is_none_or(|n| l.name == n))
        .ok_or("query names need an annotation or label file to match (none is loaded)")?;
    let LayerData::Labels { per_hemi, .. } = &l.data else {
        unreachable!("labels layer")
    };
    let mut regions = BTreeMap::new();
    for (h, lb) in per_hemi {
        let n = scene.hemis.get(h).map_or(0, |g| g.n_vertices());
        let dense = lb.dense(n).map_err(|e| format!("{}: {e}", l.name))?;
        regions.insert(
            *h,
            dense
                .iter()
                .map(|&r| (r >= 0).then(|| lb.regions[r as usize].name.clone()))
                .collect(),
        );
    }
    QueryMap::from_roi_names(names, &regions).map_err(|e| format!("{}: {e}", l.name))
}

/// The centres of the matrix's regions: a node file with as many nodes, else the first
/// labels layer with as many regions (that have vertices).
pub fn region_centres(scene: &Scene) -> Result<crate::io::regions::Nodes, String> {
    use super::regions::centres_from_labels;
    let (src, m) = scene
        .region_matrix
        .as_ref()
        .ok_or("no region routing matrix is loaded")?;
    if let Some((_, n)) = &scene.region_nodes
        && n.names.len() == m.n()
    {
        return Ok((**n).clone());
    }
    let mut seen = Vec::new();
    for l in &scene.layers {
        let LayerData::Labels { per_hemi, .. } = &l.data else {
            continue;
        };
        let mut input = BTreeMap::new();
        for (h, lb) in per_hemi {
            let (Some(g), true) = (scene.hemis.get(h), !lb.regions.is_empty()) else {
                continue;
            };
            let Some(pial) = g
                .surfaces
                .get(&SurfaceKind::Pial)
                .or_else(|| g.surfaces.values().next())
            else {
                continue;
            };
            if let Ok(d) = lb.dense(g.n_vertices()) {
                let names = lb.regions.iter().map(|r| r.name.clone()).collect();
                input.insert(*h, (d, names, pial.vertices.as_slice()));
            }
        }
        let nodes = centres_from_labels(&input);
        if nodes.names.len() == m.n() {
            return Ok(nodes);
        }
        seen.push(format!("{} has {}", l.name, nodes.names.len()));
    }
    if let Some((nsrc, n)) = &scene.region_nodes {
        seen.push(format!("{nsrc} has {}", n.names.len()));
    }
    Err(format!(
        "{src}: {} regions, but no parcellation or node file has as many ({})",
        m.n(),
        if seen.is_empty() {
            "none is loaded".to_string()
        } else {
            seen.join("; ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default scene's V1: ventral (lower-bank) vertices of the left hemisphere route from
    /// the upper right visual field, dorsal ones from the lower right; the right hemisphere
    /// from the left field.
    #[test]
    fn v1_vertices_route_from_the_right_part_of_the_field() {
        let scene = crate::brain::fsaverage5::scene().unwrap();
        let m = prf_model(&scene, PrfSizes::default()).unwrap();
        assert!(m.source.values().all(|s| s.contains("approximate")));
        let grid = crate::percept::render::Grid {
            width: 64,
            height: 64,
            fov_deg: 16.0,
            centre: [0.0, 0.0],
        };
        for h in [Hemisphere::Left, Hemisphere::Right] {
            let pial = &scene.hemis[&h].surfaces[&crate::brain::SurfaceKind::Pial];
            let prfs = &m.per_hemi[&h];
            let v1: Vec<usize> = (0..prfs.len())
                .filter(|&v| prfs[v].is_some_and(|p| (2.0..6.0).contains(&p.x.hypot(p.y))))
                .collect();
            assert!(v1.len() > 50, "{h:?}: {} V1 vertices at 2–6°", v1.len());
            let mut z: Vec<f32> = v1.iter().map(|&v| pial.vertices[v][2]).collect();
            z.sort_by(f32::total_cmp);
            let (lo, hi) = (z[z.len() / 5], z[z.len() * 4 / 5]);
            let (mut up, mut down, mut n_lo, mut n_hi) = (0, 0, 0, 0);
            for &v in &v1 {
                let zv = pial.vertices[v][2];
                let heat = m.heatmap(h, v, &grid).unwrap();
                let ([cx, cy], _) = heat.centroid();
                // the correct half of the field: left hemisphere → right (cx > 0.5)
                assert_eq!(
                    cx > 0.5,
                    h == Hemisphere::Left,
                    "{h:?} vertex {v}: centroid x {cx}"
                );
                if zv <= lo {
                    n_lo += 1;
                    up += (cy < 0.5) as usize; // image y down: upper field is cy < 0.5
                } else if zv >= hi {
                    n_hi += 1;
                    down += (cy > 0.5) as usize;
                }
            }
            assert!(
                up * 10 >= n_lo * 8,
                "{h:?}: ventral → upper field in {up} of {n_lo}"
            );
            assert!(
                down * 10 >= n_hi * 8,
                "{h:?}: dorsal → lower field in {down} of {n_hi}"
            );
        }
    }
}
