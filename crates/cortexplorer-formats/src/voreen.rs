//! Voreen vessel graphs (`.vvg`, `.vvg.gz`): the JSON that Voreen's vessel-graph extraction
//! (Drees et al. 2021, used to build VesselGraph) writes:
//!
//! ```text
//! {"graph": {"nodes": [{"id", "edges", "pos": [x,y,z], "voxels_", "radius", "isAtSampleBorder"}, …],
//!            "edges": [{"id", "node1", "node2", "distance",
//!                       "skeletonVoxels": [{"pos", "minDistToSurface", "maxDistToSurface",
//!                                           "avgDistToSurface", "numSurfaceVoxels", "volume",
//!                                           "nearOtherEdge"}, …]
//!                       or "pathProperties": {"length", "avgRadiusAvg", …}}, …],
//!            "bounds": {"First": [..], "Second": [..]}}}
//! ```
//!
//! Voreen writes non-finite floats as the bare tokens `NaN`, `Infinity` and `-Infinity`, which
//! are not JSON. They are rewritten in place (same length, no second copy of the text) into
//! short strings that the number fields accept, then the file is parsed by serde_json.
//!
//! Each edge becomes a polyline node1 → skeleton voxels → node2 (positions in Voreen's world
//! coordinates, mm). A segment's radius is the mean `avgDistToSurface` of its valid ends (a
//! skeleton voxel is valid when `numSurfaceVoxels > 0`, as in Voreen); ends without one take
//! the edge's mean over its valid voxels, else `pathProperties.avgRadiusAvg`, else the node
//! radius. The source edge id of every segment is kept as the `vvg_edge` attribute.

use serde::Deserialize;

use super::FormatError;
use crate::vessels::{VesselGraph, VesselKind};

/// A JSON number, or one of the strings non-finite tokens were rewritten into.
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(from = "NumRepr")]
struct Num(f64);

#[derive(Deserialize)]
#[serde(untagged)]
enum NumRepr {
    F(f64),
    B(bool),
    S(String),
}

impl From<NumRepr> for Num {
    fn from(r: NumRepr) -> Num {
        Num(match r {
            NumRepr::F(v) => v,
            NumRepr::B(b) => b as u8 as f64,
            NumRepr::S(s) => match s.as_str() {
                "-I" => f64::NEG_INFINITY,
                "I" => f64::INFINITY,
                _ => f64::NAN,
            },
        })
    }
}

#[derive(Deserialize)]
struct File {
    graph: Graph,
}

#[derive(Deserialize)]
struct Graph {
    nodes: Vec<Node>,
    #[serde(default)]
    edges: Vec<Edge>,
}

#[derive(Deserialize)]
struct Node {
    id: u64,
    pos: [Num; 3],
    #[serde(default)]
    radius: Num,
    #[serde(default, rename = "isAtSampleBorder")]
    border: Option<Num>,
}

#[derive(Deserialize)]
struct Edge {
    node1: u64,
    node2: u64,
    #[serde(default, rename = "skeletonVoxels")]
    voxels: Vec<Voxel>,
    #[serde(default, rename = "pathProperties")]
    props: Option<Props>,
}

#[derive(Deserialize)]
struct Voxel {
    pos: [Num; 3],
    #[serde(default, rename = "avgDistToSurface")]
    avg: Num,
    #[serde(default, rename = "numSurfaceVoxels")]
    surface_voxels: Num,
}

#[derive(Deserialize)]
struct Props {
    #[serde(default, rename = "avgRadiusAvg")]
    avg_radius: Option<Num>,
}

/// Rewrite the bare tokens `NaN`, `Infinity`, `-Infinity` outside strings into JSON strings of
/// the same length (`"N"`, `"I"     ` …), so serde_json can read the text unchanged in size.
fn quote_non_finite(text: &mut [u8]) {
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'N' if text[i..].starts_with(b"NaN") => {
                text[i..i + 3].copy_from_slice(b"\"N\"");
                i += 3;
                continue;
            }
            b'I' if text[i..].starts_with(b"Infinity") => {
                text[i..i + 8].copy_from_slice(b"\"I\"     ");
                i += 8;
                continue;
            }
            b'-' if text[i..].starts_with(b"-Infinity") => {
                text[i..i + 9].copy_from_slice(b"\"-I\"     ");
                i += 9;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// Parse a whole (decompressed) `.vvg` file.
pub fn parse(mut bytes: Vec<u8>) -> Result<VesselGraph, FormatError> {
    quote_non_finite(&mut bytes);
    let file: File = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_eof() {
            FormatError::Truncated(format!("JSON ends early ({e})"))
        } else {
            FormatError::Invalid(format!("not a Voreen vessel graph: {e}"))
        }
    })?;
    drop(bytes);
    build(file.graph)
}

fn finite3(p: &[Num; 3], what: impl Fn() -> String) -> Result<[f32; 3], FormatError> {
    if p.iter().all(|v| v.0.is_finite()) {
        Ok([p[0].0 as f32, p[1].0 as f32, p[2].0 as f32])
    } else {
        Err(FormatError::Invalid(format!(
            "{} has a NaN or infinite position",
            what()
        )))
    }
}

fn build(g: Graph) -> Result<VesselGraph, FormatError> {
    let n = g.nodes.len();
    let mut out = VesselGraph::default();
    out.nodes.reserve(n);
    // ids are positions in the list in Voreen's files; a list in another order is accepted
    let mut index = std::collections::HashMap::new();
    let dense = g.nodes.iter().enumerate().all(|(i, v)| v.id == i as u64);
    for (i, v) in g.nodes.iter().enumerate() {
        out.nodes
            .push(finite3(&v.pos, || format!("node {}", v.id))?);
        out.node_border
            .push(v.border.is_some_and(|b| b.0 != 0.0 && b.0.is_finite()));
        if !dense && index.insert(v.id, i as u32).is_some() {
            return Err(FormatError::Invalid(format!(
                "node id {} appears twice",
                v.id
            )));
        }
    }
    let node_radius: Vec<f64> = g.nodes.iter().map(|v| v.radius.0).collect();
    let lookup = |id: u64, e: usize| -> Result<u32, FormatError> {
        let hit = if dense {
            (id < n as u64).then_some(id as u32)
        } else {
            index.get(&id).copied()
        };
        hit.ok_or_else(|| {
            FormatError::Invalid(format!(
                "edge {e} refers to node {id}, which the node list does not have"
            ))
        })
    };
    let mut source = Vec::new();
    for (e, edge) in g.edges.iter().enumerate() {
        let (a, b) = (lookup(edge.node1, e)?, lookup(edge.node2, e)?);
        let valid = |v: &Voxel| v.surface_voxels.0 > 0.0 && v.avg.0.is_finite() && v.avg.0 >= 0.0;
        let good: Vec<f64> = edge
            .voxels
            .iter()
            .filter(|v| valid(v))
            .map(|v| v.avg.0)
            .collect();
        let fallback = if !good.is_empty() {
            good.iter().sum::<f64>() / good.len() as f64
        } else if let Some(r) = edge
            .props
            .as_ref()
            .and_then(|p| p.avg_radius)
            .filter(|r| r.0.is_finite() && r.0 >= 0.0)
        {
            r.0
        } else {
            let r = 0.5 * (node_radius[a as usize] + node_radius[b as usize]);
            if r.is_finite() && r >= 0.0 { r } else { 0.0 }
        };
        // the chain of points: node1, valid-position skeleton voxels, node2
        let mut chain: Vec<(u32, f64)> = vec![(a, fallback)];
        for (k, v) in edge.voxels.iter().enumerate() {
            let p = finite3(&v.pos, || format!("edge {e}, skeleton voxel {k}"))?;
            out.nodes.push(p);
            out.node_border.push(false);
            chain.push((
                (out.nodes.len() - 1) as u32,
                if valid(v) { v.avg.0 } else { fallback },
            ));
        }
        chain.push((b, fallback));
        for w in chain.windows(2) {
            out.edges.push([w[0].0, w[1].0]);
            out.radius.push((0.5 * (w[0].1 + w[1].1)) as f32);
            source.push(e as f32);
        }
    }
    out.kind = vec![VesselKind::Unknown; out.edges.len()];
    out.attributes.push(("vvg_edge".into(), source));
    out.validate().map_err(FormatError::Invalid)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"graph":{"nodes":[
      {"id":0,"edges":[0],"pos":[0,0,0],"voxels_":[],"radius":1.0,"isAtSampleBorder":false},
      {"id":1,"edges":[0,1],"pos":[3,0,0],"voxels_":[],"radius":NaN,"isAtSampleBorder":true},
      {"id":2,"edges":[1],"pos":[3,4,0],"voxels_":[],"radius":0.5,"isAtSampleBorder":false}],
     "edges":[
      {"id":0,"node1":0,"node2":1,"distance":3,"skeletonVoxels":[
         {"pos":[1,0,0],"minDistToSurface":1,"maxDistToSurface":1,"avgDistToSurface":1.0,"numSurfaceVoxels":4,"volume":1,"nearOtherEdge":false},
         {"pos":[2,0,0],"minDistToSurface":Infinity,"maxDistToSurface":0,"avgDistToSurface":-Infinity,"numSurfaceVoxels":0,"volume":0,"nearOtherEdge":false}]},
      {"id":1,"node1":1,"node2":2,"distance":4,"pathProperties":{"length":4,"avgRadiusAvg":0.25,"note":"NaN in a string stays"}}],
     "bounds":{"First":[0,0,0],"Second":[3,4,0]}}}"#;

    #[test]
    fn polylines_radii_and_non_finite_tokens() {
        let g = parse(SAMPLE.as_bytes().to_vec()).unwrap();
        // 3 nodes + 2 skeleton voxels; edge 0 → 3 segments, edge 1 → 1
        assert_eq!(g.nodes.len(), 5);
        assert_eq!(g.edges, vec![[0, 3], [3, 4], [4, 1], [1, 2]]);
        // edge 0: valid voxel radius 1.0; the invalid voxel and the nodes take the edge mean 1.0
        assert_eq!(&g.radius[..3], &[1.0, 1.0, 1.0]);
        assert_eq!(g.radius[3], 0.25);
        assert_eq!(g.node_border[..3], [false, true, false]);
        assert_eq!(g.attributes[0].1, vec![0.0, 0.0, 0.0, 1.0]);
        assert!((g.total_length() - 7.0).abs() < 1e-6);
    }

    #[test]
    fn bad_files_are_errors() {
        for (text, needle) in [
            (&SAMPLE[..200], "ends early"),
            (
                r#"{"graph":{"nodes":[{"id":0,"pos":[NaN,0,0]}],"edges":[]}}"#,
                "NaN or infinite",
            ),
            (
                r#"{"graph":{"nodes":[{"id":0,"pos":[0,0,0]}],"edges":[{"node1":0,"node2":9}]}}"#,
                "node 9",
            ),
            (r#"{"nodes":[]}"#, "not a Voreen vessel graph"),
            (
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                "not a Voreen",
            ),
        ] {
            let e = parse(text.as_bytes().to_vec()).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
    }
}
