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
use super::source::{Limits, file_bytes};
use crate::vessels::{VesselGraph, VesselKind};

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

/// One parsed column: identifiers and coordinates keep f64, everything else is f32 (the
/// precision the graph stores attributes in; VesselGraph writes 6 significant digits).
enum Column {
    Exact(Vec<f64>),
    Value(Vec<f32>),
}

impl Column {
    fn get(&self, i: usize) -> f64 {
        match self {
            Column::Exact(v) => v[i],
            Column::Value(v) => v[i] as f64,
        }
    }
}

/// A parsed table: header names and one vector per column.
struct Table {
    columns: Vec<String>,
    data: Vec<Column>,
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
}

/// Columns parsed as f64: ids must stay exact beyond 2^24, positions in voxels keep precision.
const EXACT: &[&str] = &["id", "node1id", "node2id", "pos_x", "pos_y", "pos_z"];

/// Powers of ten that f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common field, `[-]digits[.digits]` with at most 15 digits, read without a general
/// float parser: the digits form an integer m < 2^53 and the value is m / 10^k, one correctly
/// rounded division of two exact f64 (Clinger 1990, "How to read floating point numbers
/// accurately"). Anything else (exponents, longer mantissas) returns None for `fast_float2`.
#[inline(always)]
fn plain_decimal(b: &[u8], mut i: usize) -> Option<(f64, usize)> {
    // append the digits at i to m; None past 15 digits in all
    fn digits(b: &[u8], i: &mut usize, m: &mut u64, count: &mut usize) -> Option<usize> {
        let start = *i;
        while let Some(d) = b.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
            *m = *m * 10 + d as u64;
            *i += 1;
            *count += 1;
            if *count > 15 {
                return None;
            }
        }
        Some(*i - start)
    }
    let neg = b.get(i) == Some(&b'-');
    i += neg as usize;
    let (mut m, mut count) = (0u64, 0usize);
    digits(b, &mut i, &mut m, &mut count)?;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(b, &mut i, &mut m, &mut count)?;
    }
    if count == 0 || matches!(b.get(i), Some(b'e' | b'E')) {
        return None;
    }
    let v = m as f64 / POW10[frac];
    Some((if neg { -v } else { v }, i))
}

/// The leading decimal digits of 8 bytes read little-endian, as (value, count 0..=8), with
/// no per-digit branch (SWAR: subtract '0' from every byte, flag bytes that are not 0..9,
/// then fold digit pairs, quads and octets with three multiplies).
#[inline(always)]
fn swar_digits(w: u64) -> (u64, usize) {
    let x = w.wrapping_sub(0x3030_3030_3030_3030);
    let flagged = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
    let n = (flagged.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // keep the n digits, shifted up so the bytes below them read as leading zeros
    let x = x << (8 * (8 - n));
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    let x = (x.wrapping_mul(10000) + (x >> 32)) & 0xFFFF_FFFF;
    (x, n)
}

const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

#[inline(always)]
fn read8(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// `plain_decimal` eight digits at a time; None near the end of a chunk (fewer than 8 bytes
/// left) or for anything it does not cover, and the caller tries the next parser.
#[inline(always)]
fn swar_decimal(b: &[u8], mut i: usize) -> Option<(f64, usize)> {
    let neg = b.get(i) == Some(&b'-');
    i += neg as usize;
    let (mut m, n) = swar_digits(read8(b, i)?);
    if n == 8 {
        return None;
    }
    i += n;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let (f, k) = swar_digits(read8(b, i)?);
        m = m * POW10_U64[k] + f;
        frac = k;
        i += k;
        if k == 8 {
            let (f, k) = swar_digits(read8(b, i)?);
            if k == 8 {
                return None;
            }
            m = m.checked_mul(POW10_U64[k])?.checked_add(f)?;
            frac += k;
            i += k;
        }
    }
    if n + frac == 0 || m >= 1 << 53 || matches!(b.get(i), Some(b'e' | b'E')) {
        return None;
    }
    // always divide (by 1 for integers): a branch on frac mispredicts on mixed columns
    let v = m as f64 / POW10[frac];
    Some((if neg { -v } else { v }, i))
}

/// One field that is not a plain number: padded with spaces, or a Python boolean.
fn slow_field(field: &[u8]) -> Option<f64> {
    let f = std::str::from_utf8(field).ok()?.trim();
    match f {
        "True" | "true" => Some(1.0),
        "False" | "false" => Some(0.0),
        f => f.parse().ok(),
    }
}

enum FieldError<'a> {
    /// the field ends where the row should not (offset of that byte)
    Count(usize),
    NotANumber(&'a [u8]),
    NotFinite(f64),
}

/// Whether the byte after a field may end it: ';' between fields, a line end after the last.
#[inline(always)]
fn field_ends(b: Option<&u8>, last: bool) -> bool {
    match b {
        Some(b';') => !last,
        None | Some(b'\n') | Some(b'\r') => last,
        _ => false,
    }
}

/// Fields `swar_decimal` does not take: near a chunk's end, exponents, long mantissas,
/// padding, Python booleans, NaN/Infinity (an error). Returns the value and its end.
#[inline(never)]
fn general_field(part: &[u8], i: usize, last: bool) -> Result<(f64, usize), FieldError<'_>> {
    let ends = |b: Option<&u8>| field_ends(b, last);
    let quick = plain_decimal(part, i).or_else(|| {
        fast_float2::parse_partial::<f64, _>(&part[i..])
            .ok()
            .filter(|&(_, n)| n > 0)
            .map(|(v, n)| (v, i + n))
    });
    let (v, next) = match quick {
        Some((v, next)) if ends(part.get(next)) => (v, next),
        _ => {
            let end = memchr::memchr2(b';', b'\n', &part[i..]).map_or(part.len(), |k| i + k);
            let field = &part[i..end];
            let field = field.strip_suffix(b"\r").unwrap_or(field);
            if !ends(part.get(end)) {
                return Err(FieldError::Count(end));
            }
            let v = slow_field(field).ok_or(FieldError::NotANumber(field))?;
            (v, i + field.len())
        }
    };
    if !v.is_finite() {
        return Err(FieldError::NotFinite(v));
    }
    Ok((v, next))
}

/// A chunk's share of one column.
enum ColMut<'a> {
    Exact(&'a mut [f64]),
    Value(&'a mut [f32]),
}

impl ColMut<'_> {
    #[inline(always)]
    fn set(&mut self, row: usize, x: f64) {
        match self {
            ColMut::Exact(v) => v[row] = x,
            ColMut::Value(v) => v[row] = x as f32,
        }
    }
}

/// Parse a table in two parallel passes over ~4 MB line-aligned chunks: count the lines of
/// each chunk, allocate every column once at its final length, then parse each chunk straight
/// into its rows (no per-chunk buffers, no copy afterwards). Each field is read in place —
/// no per-line strings, no UTF-8 pass over the body — by `plain_decimal`, then `fast_float2`,
/// then, for a field with anything around the number, a trimmed parse.
fn parse_table(
    bytes: &[u8],
    what: &str,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Table, FormatError> {
    let nl = memchr::memchr(b'\n', bytes)
        .ok_or_else(|| FormatError::Truncated(format!("{what}: no header line")))?;
    let header = std::str::from_utf8(&bytes[..nl])
        .map_err(|e| FormatError::Invalid(format!("{what}: header is not UTF-8 text ({e})")))?;
    let columns: Vec<String> = header
        .trim_end_matches('\r')
        .split(';')
        .map(|s| s.trim().to_string())
        .collect();
    let ncol = columns.len();
    let body = &bytes[nl + 1..];
    let chunk = 4 << 20;
    let mut bounds = vec![0usize];
    while *bounds.last().unwrap() < body.len() {
        let s = (*bounds.last().unwrap() + chunk).min(body.len());
        let e = memchr::memchr(b'\n', &body[s - 1..]).map_or(body.len(), |k| s + k);
        bounds.push(e);
    }
    let n_chunks = bounds.len() - 1;
    // pass 1: lines per chunk (the last line may lack its '\n')
    let lines: Vec<usize> = (0..n_chunks)
        .into_par_iter()
        .map(|ci| {
            let part = &body[bounds[ci]..bounds[ci + 1]];
            memchr::memchr_iter(b'\n', part).count() + (part.last() != Some(&b'\n')) as usize
        })
        .collect();
    let first_line: Vec<usize> = lines
        .iter()
        .scan(0, |acc, &n| {
            let s = *acc;
            *acc += n;
            Some(s)
        })
        .collect();
    let total: usize = lines.iter().sum();
    // every column at its final length: one zeroed allocation each, pages touched once
    let mut data: Vec<Column> = columns
        .iter()
        .map(|c| {
            if EXACT.contains(&c.as_str()) {
                Column::Exact(crate::huge_pages(vec![0.0; total]))
            } else {
                Column::Value(crate::huge_pages(vec![0.0; total]))
            }
        })
        .collect();
    let mut shares: Vec<Vec<ColMut>> = (0..n_chunks).map(|_| Vec::with_capacity(ncol)).collect();
    for col in data.iter_mut() {
        match col {
            Column::Exact(v) => {
                let mut rest = &mut v[..];
                for (ci, &n) in lines.iter().enumerate() {
                    let (a, b) = std::mem::take(&mut rest).split_at_mut(n);
                    shares[ci].push(ColMut::Exact(a));
                    rest = b;
                }
            }
            Column::Value(v) => {
                let mut rest = &mut v[..];
                for (ci, &n) in lines.iter().enumerate() {
                    let (a, b) = std::mem::take(&mut rest).split_at_mut(n);
                    shares[ci].push(ColMut::Value(a));
                    rest = b;
                }
            }
        }
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    // pass 2: parse; each chunk returns how many rows it filled (blank lines fill none)
    let filled: Vec<Result<usize, FormatError>> = shares
        .into_par_iter()
        .enumerate()
        .map(|(ci, mut cols)| {
            let part = &body[bounds[ci]..bounds[ci + 1]];
            let line_no = |k: usize| first_line[ci] + k + 2;
            let col_name = |c: usize| columns.get(c).map(String::as_str).unwrap_or("?");
            let (mut i, mut line, mut rows) = (0usize, 0usize, 0usize);
            while i < part.len() {
                if part[i] == b'\n' || (part[i] == b'\r' && part.get(i + 1) == Some(&b'\n')) {
                    i += if part[i] == b'\r' { 2 } else { 1 };
                    line += 1;
                    continue;
                }
                for (c, col) in cols.iter_mut().enumerate() {
                    let last = c + 1 == ncol;
                    let ends = |b: Option<&u8>| field_ends(b, last);
                    let (v, next) = match swar_decimal(part, i) {
                        Some((v, next)) if ends(part.get(next)) => (v, next),
                        _ => match general_field(part, i, last) {
                            Ok(x) => x,
                            Err(FieldError::Count(end)) => {
                                let line_end = memchr::memchr(b'\n', &part[end..])
                                    .map_or(part.len(), |k| end + k);
                                let n =
                                    c + 1 + memchr::memchr_iter(b';', &part[end..line_end]).count();
                                return Err(FormatError::Truncated(format!(
                                    "{what}: line {} has {n} fields, the header has {ncol}",
                                    line_no(line)
                                )));
                            }
                            Err(FieldError::NotANumber(field)) => {
                                return Err(FormatError::Invalid(format!(
                                    "{what}: line {}: {:?} in column {:?} is not a number",
                                    line_no(line),
                                    String::from_utf8_lossy(field),
                                    col_name(c)
                                )));
                            }
                            Err(FieldError::NotFinite(v)) => {
                                return Err(FormatError::Invalid(format!(
                                    "{what}: line {}: column {:?} is {v}",
                                    line_no(line),
                                    col_name(c)
                                )));
                            }
                        },
                    };
                    col.set(rows, v);
                    i = next + !last as usize; // past the ';'
                }
                // end of row: optional "\r", then "\n" or the end of the chunk (a lone "\r"
                // would start a row the line count has no room for)
                let cr = (part.get(i) == Some(&b'\r')) as usize;
                if !matches!(part.get(i + cr), None | Some(b'\n')) {
                    return Err(FormatError::Invalid(format!(
                        "{what}: line {}: a carriage return inside the line",
                        line_no(line)
                    )));
                }
                i += cr + 1;
                line += 1;
                rows += 1;
            }
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(d as f64 / n_chunks as f64);
            Ok(rows)
        })
        .collect();
    let mut rows = 0;
    let mut gaps = false;
    let mut starts = Vec::with_capacity(n_chunks);
    for (ci, f) in filled.into_iter().enumerate() {
        let f = f?;
        starts.push((first_line[ci], f));
        gaps |= f != lines[ci];
        rows += f;
    }
    if gaps {
        // blank lines left unfilled rows: close the gaps (rare; files rarely have blank lines)
        for col in data.iter_mut() {
            let mut to = 0;
            match col {
                Column::Exact(v) => {
                    for &(from, n) in &starts {
                        v.copy_within(from..from + n, to);
                        to += n;
                    }
                    v.truncate(rows);
                }
                Column::Value(v) => {
                    for &(from, n) in &starts {
                        v.copy_within(from..from + n, to);
                        to += n;
                    }
                    v.truncate(rows);
                }
            }
        }
    }
    Ok(Table {
        columns,
        data,
        rows,
    })
}

/// Read a node/edge pair. `voxel_mm` converts voxels to millimetres.
pub fn read_pair(path: &Path, voxel_mm: [f64; 3]) -> Result<VesselGraph, super::ReadError> {
    read_pair_with(path, voxel_mm, &Limits::default(), &|_| {})
}

/// Read with limits and a progress callback (0..1 over both files). Plain files are
/// memory-mapped, so the text is never copied into the heap.
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
        &file_bytes(&np, limits).map_err(err(&np))?,
        "node list",
        &|f| progress(f * 0.25),
    )
    .map_err(err(&np))?;
    let edges = parse_table(
        &file_bytes(&ep, limits).map_err(err(&ep))?,
        "edge list",
        &|f| progress(0.25 + f * 0.75),
    )
    .map_err(err(&ep))?;
    build(nodes, edges, voxel_mm).map_err(|e| match e {
        (true, m) => super::ReadError::new(np.display().to_string(), m),
        (false, m) => super::ReadError::new(ep.display().to_string(), m),
    })
}

fn build(nodes: Table, edges: Table, voxel: [f64; 3]) -> Result<VesselGraph, (bool, FormatError)> {
    let ncol = |n: &str| nodes.col(n, "node list").map_err(|e| (true, e));
    let ecol = |n: &str| edges.col(n, "edge list").map_err(|e| (false, e));
    let (id, x, y, z) = (ncol("id")?, ncol("pos_x")?, ncol("pos_y")?, ncol("pos_z")?);
    let (n1, n2, r) = (ecol("node1id")?, ecol("node2id")?, ecol("avgRadiusAvg")?);
    if nodes.rows == 0 {
        return Err((
            true,
            FormatError::Invalid("no nodes (only a header row)".into()),
        ));
    }
    let nd = &nodes.data;
    // ids → positions (dense when ids are 0..n−1, as VesselGraph writes them)
    let dense = (0..nodes.rows).all(|i| nd[id].get(i) == i as f64);
    let mut index = std::collections::HashMap::new();
    if !dense {
        for i in 0..nodes.rows {
            let v = nd[id].get(i);
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
            .into_par_iter()
            .map(|i| {
                [
                    (nd[x].get(i) * voxel[0]) as f32,
                    (nd[y].get(i) * voxel[1]) as f32,
                    (nd[z].get(i) * voxel[2]) as f32,
                ]
            })
            .collect(),
        ..Default::default()
    };
    if let Ok(b) = nodes.col("isAtSampleBorder", "") {
        g.node_border = (0..nodes.rows).map(|i| nd[b].get(i) != 0.0).collect();
    }
    let ed = &edges.data;
    g.edges = (0..edges.rows)
        .into_par_iter()
        .map(|e| Ok([lookup(ed[n1].get(e), e)?, lookup(ed[n2].get(e), e)?]))
        .collect::<Result<_, _>>()?;
    g.radius = (0..edges.rows)
        .into_par_iter()
        .map(|e| {
            let rad = ed[r].get(e);
            if rad < 0.0 {
                return Err((
                    false,
                    FormatError::Invalid(format!("edge list: edge {e} has negative radius {rad}")),
                ));
            }
            Ok((rad * r_scale) as f32)
        })
        .collect::<Result<_, _>>()?;
    g.kind = vec![VesselKind::Unknown; edges.rows];
    for (ci, (name, col)) in edges.columns.into_iter().zip(edges.data).enumerate() {
        if ci != n1 && ci != n2 && name != "id" {
            let values = match col {
                Column::Value(v) => v,
                Column::Exact(v) => v.into_iter().map(|x| x as f32).collect(),
            };
            g.attributes.push((name, values));
        }
    }
    Ok(g)
}

/// Write a graph as a VesselGraph node/edge pair (positions and radii divided by `voxel_mm`),
/// each number as the shortest text that reads back to the same f32 (the graph's precision).
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
            (p[0] as f64 / voxel_mm[0]) as f32,
            (p[1] as f64 / voxel_mm[1]) as f32,
            (p[2] as f64 / voxel_mm[2]) as f32,
            degree[i]
        )?;
    }
    w.flush()?;
    let r_scale = (voxel_mm[0] + voxel_mm[1] + voxel_mm[2]) / 3.0;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&ep)?);
    writeln!(w, "{}", EDGE_COLUMNS.join(";"))?;
    for (e, [a, b]) in g.edges.iter().enumerate() {
        let (pa, pb) = g.segment(e);
        let dist = (glam::Vec3::from(pa).distance(glam::Vec3::from(pb)) as f64 / r_scale) as f32;
        let r = (g.radius[e] as f64 / r_scale) as f32;
        let area = std::f32::consts::PI * r * r;
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
    fn crlf_blank_lines_padding_and_booleans() {
        let p = tmp("crlf");
        let (np, ep) = pair_paths(&p);
        let nodes = "id;pos_x;pos_y;pos_z;degree;isAtSampleBorder\r\n0; 1.5 ;0;0;1;False\r\n\r\n1;2;0;0;1;True\r\n";
        std::fs::write(&np, nodes).unwrap();
        let header = EDGE_COLUMNS.join(";");
        std::fs::write(
            &ep,
            format!("{header}\n\n0;0;1;1;1;1;1;1;1;0;2.5e-1;0;1;0;1;0;1;1;1;0"),
        )
        .unwrap();
        let g = read_pair(&p, [1.0; 3]).unwrap();
        assert_eq!(g.nodes, vec![[1.5, 0., 0.], [2., 0., 0.]]);
        assert_eq!(g.node_border, vec![false, true]);
        assert_eq!(
            (g.edges.clone(), g.radius.clone()),
            (vec![[0, 1]], vec![0.25])
        );
    }

    #[test]
    fn fast_number_paths_equal_std_parse() {
        // every fast path must give exactly what str::parse gives, whatever the digits
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut cases: Vec<String> = vec![
            "0".into(),
            "-0".into(),
            "1".into(),
            "12345678".into(),
            "123456789".into(),
            "0.1".into(),
            "0.30000001".into(),
            "9007199254740993".into(),
            "1.5e3".into(),
            "-0.00009687964".into(),
            "123456789012345.6".into(),
            "0.000000000000000000001".into(),
        ];
        for _ in 0..20_000 {
            let r = next();
            let int = (r % 10u64.pow((r >> 60) as u32 % 10)).to_string();
            let frac_len = (next() % 14) as usize;
            let frac: String = (0..frac_len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            let sign = if next() % 3 == 0 { "-" } else { "" };
            cases.push(if frac_len == 0 {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            });
            cases.push((f32::from_bits(next() as u32 & 0x7f7f_ffff)).to_string());
        }
        for c in &cases {
            let want: f64 = c.parse().unwrap();
            for tail in [";", "\n", ";0;0;0;0;0;0;0;0"] {
                let text = format!("{c}{tail}");
                let b = text.as_bytes();
                for (name, got) in [("swar", swar_decimal(b, 0)), ("plain", plain_decimal(b, 0))] {
                    if let Some((v, end)) = got {
                        assert_eq!(v.to_bits(), want.to_bits(), "{name} {c:?}");
                        assert_eq!(end, c.len(), "{name} {c:?}");
                    }
                }
                let (v, end) = general_field(b, 0, tail == "\n").ok().unwrap();
                assert_eq!((v.to_bits(), end), (want.to_bits(), c.len()), "{c:?}");
            }
        }
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
