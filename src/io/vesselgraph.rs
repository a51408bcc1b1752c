//! VesselGraph CSV (Paetzold et al. 2021): a `;`-separated node list
//! `id;pos_x;pos_y;pos_z;degree;isAtSampleBorder` and an edge list
//! `id;node1id;node2id;length;distance;curveness;volume;avgCrossSection;minRadiusAvg;…;
//! avgRadiusAvg;…;num_voxels;hasNodeAtSampleBorder`, both in image voxels.
//!
//! Columns are found by name (extra columns are kept as edge attributes, missing required
//! ones are an error). Files are read once and parsed in parallel line-aligned chunks; node
//! ids are checked, radii must be finite and ≥ 0, every row must have every column. Positions
//! are scaled by the voxel size (mm per voxel, per axis) and radii by the mean voxel size.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::FormatError;
use super::source::{Limits, Source, read_all};
use crate::brain::vessels::{VesselGraph, VesselKind};

pub const NODE_COLUMNS: &[&str] = &[
    "id",
    "pos_x",
    "pos_y",
    "pos_z",
    "degree",
    "isAtSampleBorder",
];
pub const EDGE_COLUMNS: &[&str] = &[
    "id",
    "node1id",
    "node2id",
    "length",
    "distance",
    "curveness",
    "volume",
    "avgCrossSection",
    "minRadiusAvg",
    "minRadiusStd",
    "avgRadiusAvg",
    "avgRadiusStd",
    "maxRadiusAvg",
    "maxRadiusStd",
    "roundnessAvg",
    "roundnessStd",
    "node1_degree",
    "node2_degree",
    "num_voxels",
    "hasNodeAtSampleBorder",
];

/// The two files of a graph, from either file's path or their common prefix.
pub fn pair_paths(path: &Path) -> (PathBuf, PathBuf) {
    let s = path.to_string_lossy();
    let prefix = s
        .strip_suffix("_nodes.csv")
        .or_else(|| s.strip_suffix("_edges.csv"))
        .or_else(|| s.strip_suffix(".csv"))
        .unwrap_or(&s)
        .to_string();
    (
        PathBuf::from(format!("{prefix}_nodes.csv")),
        PathBuf::from(format!("{prefix}_edges.csv")),
    )
}

/// A parsed table: header names and a row-major block of numbers.
struct Table {
    columns: Vec<String>,
    values: Vec<f64>,
    rows: usize,
}

impl Table {
    fn col(&self, name: &str, what: &str) -> Result<usize, FormatError> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            FormatError::Invalid(format!(
                "{what}: missing column {name:?} (have: {})",
                self.columns.join(";")
            ))
        })
    }
    fn get(&self, row: usize, col: usize) -> f64 {
        self.values[row * self.columns.len() + col]
    }
}

fn parse_table(
    bytes: &[u8],
    what: &str,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Table, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| FormatError::Invalid(format!("{what}: not UTF-8 text ({e})")))?;
    let (header, body) = text
        .split_once('\n')
        .ok_or_else(|| FormatError::Truncated(format!("{what}: no header line")))?;
    let columns: Vec<String> = header
        .trim_end_matches('\r')
        .split(';')
        .map(|s| s.trim().to_string())
        .collect();
    let ncol = columns.len();
    // split the body into ~4 MB chunks at line ends
    let b = body.as_bytes();
    let mut bounds = vec![0usize];
    let chunk = 4 << 20;
    while *bounds.last().unwrap() < b.len() {
        let mut e = (*bounds.last().unwrap() + chunk).min(b.len());
        while e < b.len() && b[e - 1] != b'\n' {
            e += 1;
        }
        bounds.push(e);
    }
    let n_chunks = bounds.len() - 1;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Result<(Vec<f64>, usize), FormatError>> = (0..n_chunks)
        .into_par_iter()
        .map(|ci| {
            let part = &body[bounds[ci]..bounds[ci + 1]];
            // absolute line numbers are only needed for error messages: count them then
            let line0 = || body[..bounds[ci]].bytes().filter(|&c| c == b'\n').count() + 2;
            let mut vals = Vec::with_capacity(part.len() / 6);
            let mut rows = 0;
            for (k, line) in part.split('\n').enumerate() {
                let line = line.trim_end_matches('\r');
                if line.is_empty() {
                    continue;
                }
                let mut n = 0;
                for field in line.split(';') {
                    let v: f64 = match field.trim() {
                        "True" | "true" => 1.0,
                        "False" | "false" => 0.0,
                        f => f.parse().map_err(|_| {
                            FormatError::Invalid(format!(
                                "{what}: line {}: {:?} in column {:?} is not a number",
                                line0() + k,
                                f,
                                columns.get(n).map(String::as_str).unwrap_or("?")
                            ))
                        })?,
                    };
                    if !v.is_finite() {
                        return Err(FormatError::Invalid(format!(
                            "{what}: line {}: column {:?} is {v}",
                            line0() + k,
                            columns.get(n).map(String::as_str).unwrap_or("?")
                        )));
                    }
                    vals.push(v);
                    n += 1;
                }
                if n != ncol {
                    return Err(FormatError::Truncated(format!(
                        "{what}: line {} has {n} fields, the header has {ncol}",
                        line0() + k
                    )));
                }
                rows += 1;
            }
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(d as f64 / n_chunks as f64);
            Ok((vals, rows))
        })
        .collect();
    let mut values = Vec::new();
    let mut rows = 0;
    for p in parts {
        let (v, r) = p?;
        values.extend(v);
        rows += r;
    }
    Ok(Table {
        columns,
        values,
        rows,
    })
}

/// Read a node/edge pair. `voxel_mm` converts voxels to millimetres.
pub fn read_pair(path: &Path, voxel_mm: [f64; 3]) -> Result<VesselGraph, super::ReadError> {
    read_pair_with(path, voxel_mm, &Limits::default(), &|_| {})
}

/// Read with limits and a progress callback (0..1 per file).
pub fn read_pair_with(
    path: &Path,
    voxel_mm: [f64; 3],
    limits: &Limits,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<VesselGraph, super::ReadError> {
    let (np, ep) = pair_paths(path);
    let err = |p: &Path| {
        let name = p.display().to_string();
        move |e: FormatError| super::ReadError::new(name, e)
    };
    let nodes = parse_table(
        &read_all(&Source::File(np.clone()), limits).map_err(err(&np))?,
        "node list",
        &|f| progress(f / 2.0),
    )
    .map_err(err(&np))?;
    let edges = parse_table(
        &read_all(&Source::File(ep.clone()), limits).map_err(err(&ep))?,
        "edge list",
        &|f| progress(0.5 + f / 2.0),
    )
    .map_err(err(&ep))?;
    build(&nodes, &edges, voxel_mm).map_err(|e| match e {
        (true, m) => super::ReadError::new(np.display().to_string(), m),
        (false, m) => super::ReadError::new(ep.display().to_string(), m),
    })
}

fn build(
    nodes: &Table,
    edges: &Table,
    voxel: [f64; 3],
) -> Result<VesselGraph, (bool, FormatError)> {
    let ncol = |n: &str| nodes.col(n, "node list").map_err(|e| (true, e));
    let ecol = |n: &str| edges.col(n, "edge list").map_err(|e| (false, e));
    let (id, x, y, z) = (ncol("id")?, ncol("pos_x")?, ncol("pos_y")?, ncol("pos_z")?);
    let (n1, n2, r) = (ecol("node1id")?, ecol("node2id")?, ecol("avgRadiusAvg")?);
    // ids → positions (dense when ids are 0..n−1, as VesselGraph writes them)
    let dense = (0..nodes.rows).all(|i| nodes.get(i, id) == i as f64);
    let mut index = std::collections::HashMap::new();
    if !dense {
        for i in 0..nodes.rows {
            let v = nodes.get(i, id);
            if index.insert(v as i64, i as u32).is_some() {
                return Err((
                    true,
                    FormatError::Invalid(format!("node list: id {v} appears twice")),
                ));
            }
        }
    }
    let lookup = |v: f64, e: usize| -> Result<u32, (bool, FormatError)> {
        let hit = if dense {
            (v >= 0.0 && v < nodes.rows as f64 && v.fract() == 0.0).then_some(v as u32)
        } else {
            index.get(&(v as i64)).copied()
        };
        hit.ok_or_else(|| {
            (
                false,
                FormatError::Invalid(format!(
                    "edge list: edge {e} refers to node {v}, which the node list does not have"
                )),
            )
        })
    };
    let r_scale = (voxel[0] + voxel[1] + voxel[2]) / 3.0;
    let mut g = VesselGraph {
        nodes: (0..nodes.rows)
            .map(|i| {
                [
                    (nodes.get(i, x) * voxel[0]) as f32,
                    (nodes.get(i, y) * voxel[1]) as f32,
                    (nodes.get(i, z) * voxel[2]) as f32,
                ]
            })
            .collect(),
        ..Default::default()
    };
    g.edges.reserve(edges.rows);
    g.radius.reserve(edges.rows);
    for e in 0..edges.rows {
        g.edges
            .push([lookup(edges.get(e, n1), e)?, lookup(edges.get(e, n2), e)?]);
        let rad = edges.get(e, r);
        if rad < 0.0 {
            return Err((
                false,
                FormatError::Invalid(format!("edge list: edge {e} has negative radius {rad}")),
            ));
        }
        g.radius.push((rad * r_scale) as f32);
    }
    g.kind = vec![VesselKind::Unknown; edges.rows];
    for (ci, name) in edges.columns.iter().enumerate() {
        if ci != n1 && ci != n2 && name != "id" {
            g.attributes.push((
                name.clone(),
                (0..edges.rows).map(|e| edges.get(e, ci) as f32).collect(),
            ));
        }
    }
    if let Ok(b) = nodes.col("isAtSampleBorder", "") {
        g.node_border = (0..nodes.rows).map(|i| nodes.get(i, b) != 0.0).collect();
    }
    Ok(g)
}

/// Write a graph as a VesselGraph node/edge pair (positions and radii divided by `voxel_mm`).
pub fn write_pair(g: &VesselGraph, prefix: &Path, voxel_mm: [f64; 3]) -> std::io::Result<()> {
    use std::io::Write;
    let (np, ep) = pair_paths(prefix);
    let mut degree = vec![0u32; g.nodes.len()];
    for [a, b] in &g.edges {
        degree[*a as usize] += 1;
        degree[*b as usize] += 1;
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(&np)?);
    writeln!(w, "{}", NODE_COLUMNS.join(";"))?;
    for (i, p) in g.nodes.iter().enumerate() {
        let border = g.node_border.get(i).copied().unwrap_or(false) as u8;
        writeln!(
            w,
            "{i};{};{};{};{};{border}",
            p[0] as f64 / voxel_mm[0],
            p[1] as f64 / voxel_mm[1],
            p[2] as f64 / voxel_mm[2],
            degree[i]
        )?;
    }
    w.flush()?;
    let r_scale = (voxel_mm[0] + voxel_mm[1] + voxel_mm[2]) / 3.0;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&ep)?);
    writeln!(w, "{}", EDGE_COLUMNS.join(";"))?;
    for (e, [a, b]) in g.edges.iter().enumerate() {
        let (pa, pb) = g.segment(e);
        let dist = glam::Vec3::from(pa).distance(glam::Vec3::from(pb)) as f64 / r_scale;
        let r = g.radius[e] as f64 / r_scale;
        let area = std::f64::consts::PI * r * r;
        writeln!(
            w,
            "{e};{a};{b};{dist};{dist};1;{};{area};{r};0;{r};0;{r};0;1;0;{};{};{};0",
            area * dist,
            degree[*a as usize],
            degree[*b as usize],
            (area * dist).round()
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cx-vg-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn graph() -> VesselGraph {
        VesselGraph {
            nodes: vec![[0., 0., 0.], [2., 0., 0.], [2., 2., 0.]],
            edges: vec![[0, 1], [1, 2]],
            radius: vec![0.5, 0.25],
            kind: vec![VesselKind::Unknown; 2],
            ..Default::default()
        }
    }

    #[test]
    fn roundtrip_with_voxel_size() {
        let p = tmp("g");
        write_pair(&graph(), &p, [0.5, 0.5, 0.5]).unwrap();
        let back = read_pair(&p, [0.5, 0.5, 0.5]).unwrap();
        assert_eq!(back.nodes, graph().nodes);
        assert_eq!(back.edges, graph().edges);
        assert!((back.radius[0] - 0.5).abs() < 1e-6 && (back.radius[1] - 0.25).abs() < 1e-6);
        assert!(back.attributes.iter().any(|(n, _)| n == "length"));
    }

    #[test]
    fn malformed_inputs_are_named() {
        let p = tmp("bad");
        let (np, ep) = pair_paths(&p);
        let nodes = "id;pos_x;pos_y;pos_z;degree;isAtSampleBorder\n0;0;0;0;1;0\n1;1;0;0;1;0\n";
        std::fs::write(&np, nodes).unwrap();
        let header = EDGE_COLUMNS.join(";");
        let row =
            |a: &str, b: &str, r: &str| format!("0;{a};{b};1;1;1;1;1;1;0;{r};0;1;0;1;0;1;1;1;0\n");
        for (edges, needle) in [
            (format!("{header}\n{}", row("0", "7", "1")), "node 7"),
            (
                format!("{header}\n{}", row("0", "1", "-2")),
                "negative radius",
            ),
            (format!("{header}\n{}", row("0", "1", "nan")), "NaN"),
            (format!("{header}\n0;0;1;1\n"), "fields"),
            (
                "id;node1id;length\n0;0;1\n".to_string(),
                "missing column \"node2id\"",
            ),
        ] {
            std::fs::write(&ep, edges).unwrap();
            let e = read_pair(&p, [1.0; 3]).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
            assert!(e.contains("bad_edges.csv"), "names the file: {e}");
        }
    }
}
