//! Legacy VTK polydata (`.vtk`): lines as VTK's legacy writer and ParaView produce for vessel
//! centre lines (a vessel graph), or polygons and triangle strips (a mesh, [`parse_any`]): `DATASET POLYDATA`, `POINTS n type`, and lines either in the old layout
//! (`LINES n size`, each cell `k i0 … ik−1`) or in the 5.1 layout (`LINES nOffsets nConn`, then
//! `OFFSETS type` and `CONNECTIVITY type` arrays). ASCII and BINARY (big-endian, as the
//! format specifies) are read.
//!
//! The radius comes from a `POINT_DATA` or `CELL_DATA` array (`SCALARS` or a `FIELD` member)
//! whose name contains "radius" (case-insensitive); failing that, one containing "diameter",
//! halved. A segment's radius is the mean of its two points' radii (per-point) or its cell's
//! radius (per-cell). Files without either load with radius 0 (centre lines only; distances are
//! then to the centre line). Every count is checked against the bytes left before anything is
//! allocated, every index against the point count.

use super::FormatError;
use crate::vessels::{VesselGraph, VesselKind};

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    binary: bool,
}

fn invalid(m: impl Into<String>) -> FormatError {
    FormatError::Invalid(m.into())
}

impl<'a> Reader<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// The next whitespace-separated word (ASCII), or None at the end.
    fn word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.b.len() && !self.b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        (self.pos > start)
            .then(|| std::str::from_utf8(&self.b[start..self.pos]).ok())
            .flatten()
    }

    fn need(&mut self, what: &str) -> Result<&'a str, FormatError> {
        self.word()
            .ok_or_else(|| FormatError::Truncated(format!("file ends before {what}")))
    }

    fn count(&mut self, what: &str) -> Result<usize, FormatError> {
        let w = self.need(what)?;
        let v: i64 = w
            .parse()
            .map_err(|_| invalid(format!("{what}: {w:?} is not a count")))?;
        usize::try_from(v).map_err(|_| invalid(format!("{what} is negative ({v})")))
    }

    /// Skip to the start of the next line (binary data begins there).
    fn next_line(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
            self.pos += 1;
        }
        self.pos = (self.pos + 1).min(self.b.len());
    }

    fn line(&mut self) -> &'a str {
        let start = self.pos;
        self.next_line();
        std::str::from_utf8(&self.b[start..self.pos])
            .unwrap_or("")
            .trim()
    }

    /// `n` values of a VTK type as f64, validated against the bytes left.
    fn values(&mut self, n: usize, ty: &str, what: &str) -> Result<Vec<f64>, FormatError> {
        let size = match ty {
            "float" => 4,
            "double" => 8,
            "int" | "unsigned_int" | "vtktypeint32" => 4,
            "long" | "unsigned_long" | "vtktypeint64" | "vtkIdType" => 8,
            "short" | "unsigned_short" => 2,
            "char" | "unsigned_char" | "bit" => 1,
            _ => {
                return Err(FormatError::Unsupported(format!(
                    "{what}: data type {ty:?}"
                )));
            }
        };
        let left = self.b.len() - self.pos;
        if self.binary {
            if n.checked_mul(size).is_none_or(|need| need > left) {
                return Err(FormatError::Truncated(format!(
                    "{what}: {n} {ty} values need {} bytes, {left} are left",
                    n.saturating_mul(size)
                )));
            }
            self.next_line_if_at_eol();
            let mut out = Vec::with_capacity(n);
            let bytes = &self.b[self.pos..];
            if bytes.len() < n * size {
                return Err(FormatError::Truncated(format!("{what}: data ends early")));
            }
            for c in bytes[..n * size].chunks_exact(size) {
                out.push(match (ty, size) {
                    ("float", _) => f32::from_be_bytes(c.try_into().unwrap()) as f64,
                    ("double", _) => f64::from_be_bytes(c.try_into().unwrap()),
                    ("unsigned_int", _) => u32::from_be_bytes(c.try_into().unwrap()) as f64,
                    (_, 4) => i32::from_be_bytes(c.try_into().unwrap()) as f64,
                    ("unsigned_long", _) => u64::from_be_bytes(c.try_into().unwrap()) as f64,
                    (_, 8) => i64::from_be_bytes(c.try_into().unwrap()) as f64,
                    ("unsigned_short", _) => u16::from_be_bytes(c.try_into().unwrap()) as f64,
                    (_, 2) => i16::from_be_bytes(c.try_into().unwrap()) as f64,
                    ("char", _) => c[0] as i8 as f64,
                    _ => c[0] as f64,
                });
            }
            self.pos += n * size;
            Ok(out)
        } else {
            // each ASCII value takes at least two bytes (a digit and a separator)
            if n > left / 2 + 1 {
                return Err(FormatError::Truncated(format!(
                    "{what}: {n} values announced, only {left} bytes are left"
                )));
            }
            let mut out = Vec::with_capacity(n);
            for k in 0..n {
                let w = self.word().ok_or_else(|| {
                    FormatError::Truncated(format!("{what}: file ends after {k} of {n} values"))
                })?;
                out.push(
                    w.parse().map_err(|_| {
                        invalid(format!("{what}: value {k} ({w:?}) is not a number"))
                    })?,
                );
            }
            Ok(out)
        }
    }

    /// After a header line in binary files the data starts on the next line.
    fn next_line_if_at_eol(&mut self) {
        if self.pos > 0 && self.b[self.pos - 1] == b'\n' {
            return; // already at the start of the data line
        }
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\r') {
            self.pos += 1;
        }
        if self.pos < self.b.len() && self.b[self.pos] == b'\n' {
            self.pos += 1;
        }
    }
}

/// Radius candidates found in the file: (name, per point?, values).
type Arrays = Vec<(String, bool, Vec<f64>)>;

/// What a legacy VTK polydata file holds: lines (a vessel graph) or polygons (a mesh).
pub enum Parsed {
    Vessels(VesselGraph),
    Mesh(Box<crate::meshes::Mesh>),
}

/// Read vessel lines; a file of polygons only is refused (see [`parse_any`]).
pub fn parse(bytes: &[u8]) -> Result<VesselGraph, FormatError> {
    match parse_any(bytes)? {
        Parsed::Vessels(g) => Ok(g),
        Parsed::Mesh(_) => Err(invalid("no LINES: nothing to read as vessels")),
    }
}

/// Read a legacy VTK polydata file: its `LINES` as a vessel graph, or, when it has none, its
/// `POLYGONS` (fans from each polygon's first point) and `TRIANGLE_STRIPS` as a mesh whose
/// `POINT_DATA` arrays (`SCALARS`, `FIELD` members; first component) are per-vertex values.
pub fn parse_any(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut r = Reader {
        b: bytes,
        pos: 0,
        binary: false,
    };
    let first = r.line();
    if !first.starts_with("# vtk DataFile") {
        return Err(invalid(
            "not a legacy VTK file (no \"# vtk DataFile\" line)",
        ));
    }
    let _title = r.line();
    match r.line().to_ascii_uppercase().as_str() {
        "ASCII" => {}
        "BINARY" => r.binary = true,
        other => {
            return Err(invalid(format!(
                "expected ASCII or BINARY, found {other:?}"
            )));
        }
    }
    let mut points: Vec<f64> = Vec::new();
    let mut lines: Vec<Vec<u32>> = Vec::new();
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    let mut grid_cells: Vec<Vec<u32>> = Vec::new();
    let mut arrays: Arrays = Vec::new();
    let mut n_points = 0usize;
    let mut n_cells = 0usize;
    let mut section_points: Option<bool> = None; // POINT_DATA / CELL_DATA
    let mut saw_dataset = false;
    while let Some(key) = r.word() {
        match key.to_ascii_uppercase().as_str() {
            "DATASET" => {
                let kind = r.need("the dataset type")?;
                if !kind.eq_ignore_ascii_case("POLYDATA")
                    && !kind.eq_ignore_ascii_case("UNSTRUCTURED_GRID")
                {
                    return Err(FormatError::Unsupported(format!(
                        "dataset {kind}; POLYDATA and UNSTRUCTURED_GRID are read"
                    )));
                }
                saw_dataset = true;
            }
            "POINTS" => {
                n_points = r.count("the POINTS count")?;
                let ty = r.need("the POINTS type")?;
                let n3 = n_points
                    .checked_mul(3)
                    .ok_or_else(|| invalid("POINTS count overflows"))?;
                points = r.values(n3, ty, "POINTS")?;
                if points.iter().any(|v| !v.is_finite()) {
                    return Err(invalid("POINTS has a NaN or infinite coordinate"));
                }
            }
            "LINES" => {
                let a = r.count("the LINES cell count")?;
                let b = r.count("the LINES size")?;
                lines = read_lines(&mut r, a, b, n_points)?;
            }
            "POLYGONS" | "TRIANGLE_STRIPS" => {
                let a = r.count("a cell count")?;
                let b = r.count("a cell size")?;
                let strips = key.eq_ignore_ascii_case("TRIANGLE_STRIPS");
                for (k, c) in read_cells(&mut r, a, b, key)?.iter().enumerate() {
                    if let Some(&bad) = c.iter().find(|&&i| i as usize >= n_points) {
                        return Err(invalid(format!(
                            "{key}: cell {k} uses point {bad}, but there are {n_points} points"
                        )));
                    }
                    if strips {
                        // a strip's triangle k is (k, k+1, k+2), every other one turned
                        for j in 0..c.len().saturating_sub(2) {
                            triangles.push(if j % 2 == 0 {
                                [c[j], c[j + 1], c[j + 2]]
                            } else {
                                [c[j + 1], c[j], c[j + 2]]
                            });
                        }
                    } else {
                        crate::meshes::fan(c, &mut triangles);
                    }
                }
            }
            "CELLS" => {
                // an unstructured grid's cells; CELL_TYPES says which are lines or faces
                let a = r.count("the CELLS count")?;
                let b = r.count("the CELLS size")?;
                grid_cells = read_cells(&mut r, a, b, "CELLS")?;
            }
            "CELL_TYPES" => {
                let n = r.count("the CELL_TYPES count")?;
                if n != grid_cells.len() {
                    return Err(invalid(format!(
                        "CELL_TYPES counts {n} cells, CELLS {}",
                        grid_cells.len()
                    )));
                }
                let types = r.values(n, "int", "CELL_TYPES")?;
                for (k, (c, t)) in grid_cells.iter().zip(types).enumerate() {
                    if let Some(&bad) = c.iter().find(|&&i| i as usize >= n_points) {
                        return Err(invalid(format!(
                            "CELLS: cell {k} uses point {bad}, but there are {n_points} points"
                        )));
                    }
                    // VTK cell types: 3 line, 4 poly-line, 5 triangle, 6 strip, 7 polygon,
                    // 9 quad; others (vertices, volumes) are not drawn
                    match t as i64 {
                        3 | 4 => lines.push(c.clone()),
                        5 | 7 | 9 => crate::meshes::fan(c, &mut triangles),
                        6 => {
                            for j in 0..c.len().saturating_sub(2) {
                                triangles.push(if j % 2 == 0 {
                                    [c[j], c[j + 1], c[j + 2]]
                                } else {
                                    [c[j + 1], c[j], c[j + 2]]
                                });
                            }
                        }
                        _ => {}
                    }
                }
                grid_cells = Vec::new();
            }
            "VERTICES" => {
                // skipped, but their sizes are honoured (old or new layout)
                let a = r.count("a cell count")?;
                let b = r.count("a cell size")?;
                read_cells(&mut r, a, b, key)?;
            }
            "POINT_DATA" => {
                r.count("the POINT_DATA count")?;
                section_points = Some(true);
            }
            "CELL_DATA" => {
                n_cells = r.count("the CELL_DATA count")?;
                section_points = Some(false);
            }
            "SCALARS" => {
                let name = r.need("the SCALARS name")?.to_string();
                let ty = r.need("the SCALARS type")?;
                // optional component count on the same line
                let rest = r.line();
                let ncomp: usize = rest
                    .split_whitespace()
                    .next()
                    .and_then(|w| w.parse().ok())
                    .unwrap_or(1);
                let per_point = section_points
                    .ok_or_else(|| invalid("SCALARS outside POINT_DATA/CELL_DATA"))?;
                // LOOKUP_TABLE line (optional in 5.1 binary)
                let save = r.pos;
                match r.word() {
                    Some(w) if w.eq_ignore_ascii_case("LOOKUP_TABLE") => {
                        r.line();
                    }
                    _ => r.pos = save,
                }
                let n = if per_point { n_points } else { n_cells };
                let v = r.values(
                    n.saturating_mul(ncomp.max(1)),
                    ty,
                    &format!("SCALARS {name}"),
                )?;
                arrays.push((
                    name,
                    per_point,
                    v.into_iter().step_by(ncomp.max(1)).collect(),
                ));
            }
            "FIELD" => {
                r.need("the FIELD name")?;
                let k = r.count("the FIELD array count")?;
                let per_point =
                    section_points.ok_or_else(|| invalid("FIELD outside POINT_DATA/CELL_DATA"))?;
                for _ in 0..k {
                    let name = r.need("a FIELD array name")?.to_string();
                    let ncomp = r.count("a FIELD component count")?.max(1);
                    let ntup = r.count("a FIELD tuple count")?;
                    let ty = r.need("a FIELD array type")?;
                    let n = ncomp
                        .checked_mul(ntup)
                        .ok_or_else(|| invalid(format!("FIELD {name}: size overflows")))?;
                    let v = r.values(n, ty, &format!("FIELD {name}"))?;
                    arrays.push((name, per_point, v.into_iter().step_by(ncomp).collect()));
                    // 5.1 writers may put a METADATA block after an array
                    let save = r.pos;
                    match r.word() {
                        Some(w) if w.eq_ignore_ascii_case("METADATA") => skip_metadata(&mut r),
                        _ => r.pos = save,
                    }
                }
            }
            "METADATA" => skip_metadata(&mut r),
            "VECTORS" | "NORMALS" | "TEXTURE_COORDINATES" | "TENSORS" | "COLOR_SCALARS" => {
                // not needed; their sizes follow from the section counts
                let name = r.need("an array name")?.to_string();
                let per_point = section_points.unwrap_or(true);
                let n = if per_point { n_points } else { n_cells };
                let (ncomp, ty) = match key.to_ascii_uppercase().as_str() {
                    "TENSORS" => (9, r.need("a type")?),
                    "TEXTURE_COORDINATES" => {
                        let d = r.count("a dimension")?;
                        (d, r.need("a type")?)
                    }
                    "COLOR_SCALARS" => {
                        let d = r.count("a component count")?;
                        (d, if r.binary { "unsigned_char" } else { "float" })
                    }
                    _ => (3, r.need("a type")?),
                };
                r.values(n.saturating_mul(ncomp), ty, &name)?;
            }
            other => {
                return Err(invalid(format!(
                    "unexpected keyword {other:?} at byte {}",
                    r.pos
                )));
            }
        }
    }
    if !saw_dataset {
        return Err(invalid("no DATASET POLYDATA or UNSTRUCTURED_GRID section"));
    }
    if lines.is_empty() {
        if triangles.is_empty() {
            return Err(invalid(
                "no LINES and no POLYGONS: neither vessels nor a mesh to read",
            ));
        }
        let vertices: Vec<[f32; 3]> = points
            .chunks_exact(3)
            .map(|c| [c[0] as f32, c[1] as f32, c[2] as f32])
            .collect();
        let point_data = arrays
            .iter()
            .filter(|(_, per_point, v)| *per_point && v.len() == n_points)
            .map(|(n, _, v)| (n.clone(), v.iter().map(|&x| x as f32).collect()))
            .collect();
        return Ok(Parsed::Mesh(Box::new(crate::meshes::Mesh::new(
            vertices, triangles, point_data,
        )?)));
    }
    build(points, &lines, &arrays, n_points).map(Parsed::Vessels)
}

fn skip_metadata(r: &mut Reader) {
    // a METADATA block ends at the first empty line
    loop {
        if r.pos >= r.b.len() {
            return;
        }
        if r.line().is_empty() {
            return;
        }
    }
}

/// Cells in the old (`n size`, then `k i…` per cell) or the 5.1 layout (`OFFSETS`/`CONNECTIVITY`).
fn read_cells(
    r: &mut Reader,
    a: usize,
    b: usize,
    what: &str,
) -> Result<Vec<Vec<u32>>, FormatError> {
    let save = r.pos;
    let next = r.word();
    if next.is_some_and(|w| w.eq_ignore_ascii_case("OFFSETS")) {
        let ty = r.need("the OFFSETS type")?;
        let offsets = r.values(a, ty, &format!("{what} OFFSETS"))?;
        let w = r.need("CONNECTIVITY")?;
        if !w.eq_ignore_ascii_case("CONNECTIVITY") {
            return Err(invalid(format!(
                "{what}: expected CONNECTIVITY, found {w:?}"
            )));
        }
        let ty = r.need("the CONNECTIVITY type")?;
        let conn = r.values(b, ty, &format!("{what} CONNECTIVITY"))?;
        let mut cells = Vec::with_capacity(a.saturating_sub(1));
        for (k, w) in offsets.windows(2).enumerate() {
            let (s, e) = (w[0], w[1]);
            if !(s >= 0.0 && e >= s && e <= conn.len() as f64) {
                return Err(invalid(format!(
                    "{what}: cell {k} spans offsets {s}..{e} outside the {} connectivity entries",
                    conn.len()
                )));
            }
            cells.push(
                conn[s as usize..e as usize]
                    .iter()
                    .map(|&v| v as u32)
                    .collect(),
            );
        }
        // indices are checked by the caller against the point count (as u32 of a negative → huge)
        if conn.iter().any(|&v| v < 0.0 || v >= u32::MAX as f64) {
            return Err(invalid(format!("{what}: negative or huge point index")));
        }
        Ok(cells)
    } else {
        r.pos = save;
        let flat = r.values(b, "int", what)?;
        let mut cells = Vec::with_capacity(a.min(flat.len()));
        let mut i = 0;
        for k in 0..a {
            let Some(&n) = flat.get(i) else {
                return Err(FormatError::Truncated(format!(
                    "{what}: {a} cells announced, the list ends after {k}"
                )));
            };
            let n = n as i64;
            if n < 0 || i + 1 + n as usize > flat.len() {
                return Err(invalid(format!(
                    "{what}: cell {k} claims {n} points, more than the list holds"
                )));
            }
            let ids = &flat[i + 1..i + 1 + n as usize];
            if ids.iter().any(|&v| v < 0.0 || v >= u32::MAX as f64) {
                return Err(invalid(format!(
                    "{what}: cell {k} has a negative point index"
                )));
            }
            cells.push(ids.iter().map(|&v| v as u32).collect());
            i += 1 + n as usize;
        }
        Ok(cells)
    }
}

fn read_lines(
    r: &mut Reader,
    a: usize,
    b: usize,
    n_points: usize,
) -> Result<Vec<Vec<u32>>, FormatError> {
    let cells = read_cells(r, a, b, "LINES")?;
    for (k, c) in cells.iter().enumerate() {
        if let Some(&bad) = c.iter().find(|&&i| i as usize >= n_points) {
            return Err(invalid(format!(
                "LINES: cell {k} uses point {bad}, but there are {n_points} points"
            )));
        }
    }
    Ok(cells)
}

fn build(
    points: Vec<f64>,
    lines: &[Vec<u32>],
    arrays: &Arrays,
    n_points: usize,
) -> Result<VesselGraph, FormatError> {
    let pick = |needle: &str| {
        arrays
            .iter()
            .find(|(n, _, _)| n.to_ascii_lowercase().contains(needle))
    };
    let (radius, per_point) = match (pick("radius"), pick("diameter")) {
        (Some((_, pp, v)), _) => (v.clone(), *pp),
        (None, Some((_, pp, v))) => (v.iter().map(|d| d / 2.0).collect(), *pp),
        _ => (Vec::new(), true),
    };
    if !radius.is_empty() {
        if let Some(bad) = radius.iter().find(|r| !(r.is_finite() && **r >= 0.0)) {
            return Err(invalid(format!(
                "radius array has value {bad}; radii must be finite and ≥ 0"
            )));
        }
        let need = if per_point { n_points } else { lines.len() };
        if radius.len() < need {
            return Err(FormatError::Truncated(format!(
                "radius array has {} values for {need} {}",
                radius.len(),
                if per_point { "points" } else { "cells" }
            )));
        }
    }
    let mut g = VesselGraph {
        nodes: points
            .chunks_exact(3)
            .map(|p| [p[0] as f32, p[1] as f32, p[2] as f32])
            .collect(),
        ..Default::default()
    };
    let mut cell_of = Vec::new();
    for (c, ids) in lines.iter().enumerate() {
        for w in ids.windows(2) {
            g.edges.push([w[0], w[1]]);
            let r = if radius.is_empty() {
                0.0
            } else if per_point {
                0.5 * (radius[w[0] as usize] + radius[w[1] as usize])
            } else {
                radius[c]
            };
            g.radius.push(r as f32);
            cell_of.push(c as f32);
        }
    }
    g.kind = vec![VesselKind::Unknown; g.edges.len()];
    g.attributes.push(("vtk_cell".into(), cell_of));
    g.validate().map_err(invalid)?;
    Ok(g)
}

/// Write a graph as legacy VTK ASCII polydata (one line cell per edge, per-cell `radius`);
/// used by tests and by `vessels generate --out x.vtk`.
pub fn write_ascii(g: &VesselGraph, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "# vtk DataFile Version 3.0\nCortexplorer vessel graph\nASCII\nDATASET POLYDATA"
    )?;
    writeln!(w, "POINTS {} float", g.nodes.len())?;
    for p in &g.nodes {
        writeln!(w, "{} {} {}", p[0], p[1], p[2])?;
    }
    writeln!(w, "LINES {} {}", g.edges.len(), g.edges.len() * 3)?;
    for [a, b] in &g.edges {
        writeln!(w, "2 {a} {b}")?;
    }
    writeln!(
        w,
        "CELL_DATA {}\nSCALARS radius float 1\nLOOKUP_TABLE default",
        g.edges.len()
    )?;
    for r in &g.radius {
        writeln!(w, "{r}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be_f32(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }
    fn be_i32(v: &[i32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }
    fn be_i64(v: &[i64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    const PTS: [f32; 9] = [0., 0., 0., 1., 0., 0., 1., 2., 0.];

    #[test]
    fn ascii_old_layout_point_radius() {
        let text = "# vtk DataFile Version 3.0\nvessels\nASCII\nDATASET POLYDATA\nPOINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 4\n3 0 1 2\nPOINT_DATA 3\nSCALARS Radius float\nLOOKUP_TABLE default\n0.5 0.3 0.1\n";
        let g = parse(text.as_bytes()).unwrap();
        assert_eq!(g.edges, vec![[0, 1], [1, 2]]);
        assert_eq!(g.radius, vec![0.4, 0.2]);
        assert!((g.total_length() - 3.0).abs() < 1e-6);
    }

    #[test]
    fn binary_old_and_new_layouts_cell_radius() {
        // old layout, per-cell diameter in a FIELD
        let mut b =
            b"# vtk DataFile Version 3.0\nv\nBINARY\nDATASET POLYDATA\nPOINTS 3 float\n".to_vec();
        b.extend(be_f32(&PTS));
        b.extend(b"\nLINES 2 6\n");
        b.extend(be_i32(&[2, 0, 1, 2, 1, 2]));
        b.extend(b"\nCELL_DATA 2\nFIELD FieldData 1\nDiameter 1 2 float\n");
        b.extend(be_f32(&[1.0, 0.5]));
        b.push(b'\n');
        let g = parse(&b).unwrap();
        assert_eq!(g.edges, vec![[0, 1], [1, 2]]);
        assert_eq!(g.radius, vec![0.5, 0.25]);
        // 5.1 layout
        let mut b =
            b"# vtk DataFile Version 5.1\nv\nBINARY\nDATASET POLYDATA\nPOINTS 3 float\n".to_vec();
        b.extend(be_f32(&PTS));
        b.extend(b"\nLINES 2 3\nOFFSETS vtktypeint64\n");
        b.extend(be_i64(&[0, 3]));
        b.extend(b"\nCONNECTIVITY vtktypeint64\n");
        b.extend(be_i64(&[0, 1, 2]));
        b.extend(b"\nCELL_DATA 1\nSCALARS radius float 1\nLOOKUP_TABLE default\n");
        b.extend(be_f32(&[0.7]));
        let g = parse(&b).unwrap();
        assert_eq!(g.edges, vec![[0, 1], [1, 2]]);
        assert_eq!(g.radius, vec![0.7, 0.7]);
    }

    #[test]
    fn roundtrip_through_writer() {
        let g0 = parse(b"# vtk DataFile Version 3.0\nv\nASCII\nDATASET POLYDATA\nPOINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 4\n3 0 1 2\n").unwrap();
        assert_eq!(g0.radius, vec![0.0, 0.0]);
        let mut out = Vec::new();
        write_ascii(&g0, &mut out).unwrap();
        let g1 = parse(&out).unwrap();
        assert_eq!(g1.edges, g0.edges);
        assert_eq!(g1.nodes, g0.nodes);
    }

    #[test]
    fn lying_counts_and_bad_indices() {
        let head = "# vtk DataFile Version 3.0\nv\nASCII\nDATASET POLYDATA\n";
        for (body, needle) in [
            ("POINTS 1000000000 float\n0 0 0\n", "only"),
            ("POINTS -3 float\n", "negative"),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 4\n3 0 1 7\n",
                "point 7",
            ),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 5 4\n3 0 1 2\n",
                "cells",
            ),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 40000000\n3 0 1 2\n",
                "only",
            ),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 nan 0\nLINES 1 3\n2 0 1\n",
                "NaN",
            ),
            ("POINTS 3 float\n0 0 0 1 0 0 1 2 0\n", "no LINES"),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 4\n3 0 1 2\nPOINT_DATA 3\nSCALARS radius float\nLOOKUP_TABLE default\n1 -1 1\n",
                "radii must be",
            ),
            (
                "POINTS 3 float\n0 0 0 1 0 0 1 2 0\nLINES 1 4\n3 0 1 2\nPOINT_DATA 3\nSCALARS radius float\nLOOKUP_TABLE default\n1 1\n",
                "ends after",
            ),
            ("POINTS 3 blob\n", "data type"),
        ] {
            let e = parse(format!("{head}{body}").as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        let e = parse(
            b"# vtk DataFile Version 3.0\nv\nBINARY\nDATASET POLYDATA\nPOINTS 99999999 float\n\0\0",
        )
        .unwrap_err();
        assert!(e.to_string().contains("bytes"), "{e}");
        assert!(
            parse(b"hello")
                .unwrap_err()
                .to_string()
                .contains("not a legacy VTK")
        );
    }
}
