//! Vessel graphs as plain data: nodes in mm, edges as straight segments with a radius and a
//! kind, extra per-edge attributes, sample-border flags; validation, statistics and
//! connected components. Spatial queries (distance to the nearest vessel) live in the core.

use serde::{Deserialize, Serialize};

/// What a vessel segment is (for colouring and filtering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VesselKind {
    Artery,
    Vein,
    /// penetrating arteriole or venule, running into the cortex
    Penetrating,
    Unknown,
}

/// A vessel graph. Edge `e` joins `edges[e].0` and `edges[e].1` with radius `radius[e]` (mm).
#[derive(Clone, Debug, Default)]
pub struct VesselGraph {
    pub nodes: Vec<[f32; 3]>,
    pub edges: Vec<[u32; 2]>,
    pub radius: Vec<f32>,
    pub kind: Vec<VesselKind>,
    /// True for graphs made by the generator (shown as "generated" in the UI).
    pub generated: bool,
    /// Extra per-edge columns from the file (name, values), e.g. VesselGraph's `curveness`.
    pub attributes: Vec<(String, Vec<f32>)>,
    /// Nodes at the border of the imaged sample (VesselGraph `isAtSampleBorder`).
    pub node_border: Vec<bool>,
}

impl VesselGraph {
    /// Check indices and values; the error names the first bad edge or node.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.nodes.len() as u32;
        if self.radius.len() != self.edges.len() || self.kind.len() != self.edges.len() {
            return Err("edge attribute arrays differ in length".into());
        }
        if let Some(i) = self
            .nodes
            .iter()
            .position(|p| p.iter().any(|c| !c.is_finite()))
        {
            return Err(format!("node {i} has a NaN or infinite coordinate"));
        }
        for (e, [a, b]) in self.edges.iter().enumerate() {
            if *a >= n || *b >= n {
                return Err(format!(
                    "edge {e} joins node {} but there are only {n} nodes",
                    a.max(b)
                ));
            }
            let r = self.radius[e];
            if !(r.is_finite() && r >= 0.0) {
                return Err(format!(
                    "edge {e} has radius {r}; radii must be finite and ≥ 0"
                ));
            }
        }
        Ok(())
    }

    pub fn segment(&self, e: usize) -> ([f32; 3], [f32; 3]) {
        let [a, b] = self.edges[e];
        (self.nodes[a as usize], self.nodes[b as usize])
    }

    pub fn total_length(&self) -> f64 {
        (0..self.edges.len())
            .map(|e| {
                let (a, b) = self.segment(e);
                glam::Vec3::from(a).distance(glam::Vec3::from(b)) as f64
            })
            .sum()
    }
}

/// Summary of a graph for `inspect` and the vessel panel.
#[derive(Clone, Debug, Serialize)]
pub struct GraphStats {
    pub nodes: usize,
    pub edges: usize,
    pub components: usize,
    pub total_length_mm: f64,
    /// radius over edges: min, max, mean (mm)
    pub radius_min: f64,
    pub radius_max: f64,
    pub radius_mean: f64,
    pub bbox_min: [f32; 3],
    pub bbox_max: [f32; 3],
    /// `degree_counts[d]` = nodes of degree d
    pub degree_counts: Vec<usize>,
}

impl VesselGraph {
    /// Connected component of every node (0-based, numbered in order of first node), and
    /// their count. Union–find from petgraph.
    pub fn components(&self) -> (Vec<u32>, usize) {
        let mut uf = petgraph::unionfind::UnionFind::<u32>::new(self.nodes.len());
        for [a, b] in &self.edges {
            uf.union(*a, *b);
        }
        let roots = uf.into_labeling();
        let mut number = vec![u32::MAX; self.nodes.len()];
        let mut next = 0u32;
        let comp = roots
            .iter()
            .map(|&r| {
                let n = &mut number[r as usize];
                if *n == u32::MAX {
                    *n = next;
                    next += 1;
                }
                *n
            })
            .collect();
        (comp, next as usize)
    }

    pub fn degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.nodes.len()];
        for [a, b] in &self.edges {
            d[*a as usize] += 1;
            d[*b as usize] += 1;
        }
        d
    }

    pub fn stats(&self) -> GraphStats {
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.nodes {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        if self.nodes.is_empty() {
            (lo, hi) = ([0.0; 3], [0.0; 3]);
        }
        let n = self.radius.len().max(1) as f64;
        let mut degree_counts = Vec::new();
        for d in self.degrees() {
            let d = d as usize;
            if degree_counts.len() <= d {
                degree_counts.resize(d + 1, 0);
            }
            degree_counts[d] += 1;
        }
        GraphStats {
            nodes: self.nodes.len(),
            edges: self.edges.len(),
            components: self.components().1,
            total_length_mm: self.total_length(),
            radius_min: if self.radius.is_empty() {
                0.0
            } else {
                self.radius.iter().copied().fold(f32::INFINITY, f32::min) as f64
            },
            radius_max: self.radius.iter().copied().fold(0.0, f32::max) as f64,
            radius_mean: self.radius.iter().map(|&r| r as f64).sum::<f64>() / n,
            bbox_min: lo,
            bbox_max: hi,
            degree_counts,
        }
    }
}
