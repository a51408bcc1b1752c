//! Meshes that are not a hemisphere — implant CAD models, other tools' surfaces: Wavefront
//! `.obj` (the `tobj` crate), PLY ASCII and binary (`ply-rs-bw`), STL ASCII and binary
//! (`stl_io`); legacy VTK polydata `POLYGONS` are read by [`crate::vtk`] into the same
//! [`Mesh`].
//!
//! * Coordinates are taken as RAS+ millimetres (scanner space), as they are written: these
//!   formats carry no space of their own.
//! * Polygons are split into triangles as fans from their first vertex, in order (as tobj,
//!   trimesh and meshio do); OBJ groups and objects are concatenated into one mesh, per-vertex
//!   normals and texture coordinates are not kept (normals are recomputed for drawing).
//! * PLY vertex properties other than `x y z` (e.g. `thickness`, `red green blue`,
//!   `nx ny nz`) are kept as per-vertex values under their names; faces come from
//!   `vertex_indices` (or `vertex_index`).
//! * STL stores each triangle's three corners on their own; identical corners are merged into
//!   one vertex (by exact value, as `stl_io` and trimesh's default do).
//!
//! Sizes are validated before the libraries allocate: a binary STL must be exactly
//! 84 + 50 · its triangle count bytes; PLY element counts are checked against the file's size
//! (each element takes at least one byte; `ply-rs-bw` caps what it pre-allocates); indices are
//! checked against the vertex count by [`Surface::new`].

use std::io::BufRead;

use super::FormatError;
use super::source::{Limits, Source, read_all};
use crate::surface::Surface;

/// A mesh and its per-vertex values.
#[derive(Clone, Debug)]
pub struct Mesh {
    pub surface: Surface,
    /// per-vertex values (name, one value per vertex)
    pub point_data: Vec<(String, Vec<f32>)>,
}

impl Mesh {
    /// Build and check: faces index existing vertices, values have one entry per vertex.
    pub fn new(
        vertices: Vec<[f32; 3]>,
        faces: Vec<[u32; 3]>,
        point_data: Vec<(String, Vec<f32>)>,
    ) -> Result<Mesh, FormatError> {
        if let Some(i) = vertices
            .iter()
            .position(|p| p.iter().any(|c| !c.is_finite()))
        {
            return Err(FormatError::Invalid(format!(
                "vertex {i} has a NaN or infinite coordinate"
            )));
        }
        for (name, v) in &point_data {
            if v.len() != vertices.len() {
                return Err(FormatError::Invalid(format!(
                    "per-vertex values {name:?} have {} entries for {} vertices",
                    v.len(),
                    vertices.len()
                )));
            }
        }
        if faces.is_empty() {
            return Err(FormatError::Invalid("the mesh has no faces".into()));
        }
        let surface = Surface::new(vertices, faces).map_err(FormatError::Invalid)?;
        Ok(Mesh {
            surface,
            point_data,
        })
    }
}

/// Triangulate a polygon as a fan from its first vertex.
pub(crate) fn fan(poly: &[u32], out: &mut Vec<[u32; 3]>) {
    for k in 1..poly.len().saturating_sub(1) {
        out.push([poly[0], poly[k], poly[k + 1]]);
    }
}

// ---------------------------------------------------------------------------------------------
// OBJ

/// Read a Wavefront `.obj` file (geometry only; materials are not loaded).
pub fn read_obj(src: &Source, limits: &Limits) -> Result<Mesh, FormatError> {
    let b = read_all(src, limits)?;
    parse_obj(&b)
}

pub fn parse_obj(b: &[u8]) -> Result<Mesh, FormatError> {
    let opts = tobj::LoadOptions {
        single_index: false,
        triangulate: true,
        ..Default::default()
    };
    let mut reader = std::io::BufReader::new(b);
    let (models, _) =
        tobj::load_obj_buf(&mut reader, &opts, |_| Err(tobj::LoadError::OpenFileFailed))
            .map_err(|e| FormatError::Invalid(format!("OBJ: {e}")))?;
    // tobj gives each object/group its own positions; concatenate them
    let mut vertices = Vec::new();
    let mut faces = Vec::new();
    for m in &models {
        let base = vertices.len() as u64;
        let p = &m.mesh.positions;
        if p.len() % 3 != 0 {
            return Err(FormatError::Invalid(format!(
                "OBJ object {:?}: positions are not triplets",
                m.name
            )));
        }
        vertices.extend(p.chunks_exact(3).map(|c| [c[0], c[1], c[2]]));
        for t in m.mesh.indices.chunks_exact(3) {
            let f = [base + t[0] as u64, base + t[1] as u64, base + t[2] as u64];
            if f.iter().any(|&i| i > u32::MAX as u64) {
                return Err(FormatError::TooLarge("more than 4 billion vertices".into()));
            }
            faces.push([f[0] as u32, f[1] as u32, f[2] as u32]);
        }
    }
    Mesh::new(vertices, faces, Vec::new())
}

// ---------------------------------------------------------------------------------------------
// PLY

/// Read a PLY file (ASCII, binary little- or big-endian).
pub fn read_ply(src: &Source, limits: &Limits) -> Result<Mesh, FormatError> {
    let b = read_all(src, limits)?;
    parse_ply(&b)
}

pub fn parse_ply(b: &[u8]) -> Result<Mesh, FormatError> {
    use ply_rs_bw::parser::Parser;
    use ply_rs_bw::ply::{DefaultElement, Property};
    if !b.starts_with(b"ply") {
        return Err(FormatError::Invalid(
            "not a PLY file: it does not start with \"ply\"".into(),
        ));
    }
    let parser = Parser::<DefaultElement>::new();
    let header = parser
        .read_header(&mut ply_rs_bw::parser::Reader::new(
            std::io::BufReader::new(b),
        ))
        .map_err(|e| FormatError::Invalid(format!("PLY header: {}", one_line(&e.to_string()))))?;
    let end = memchr::memmem::find(b, b"end_header")
        .ok_or_else(|| FormatError::Truncated("the PLY header has no end_header line".into()))?;
    let body = (b.len() - end) as u64;
    for e in header.elements.values() {
        if e.count as u64 > body {
            return Err(FormatError::Truncated(format!(
                "the header declares {} elements '{}' but only {body} bytes follow it",
                e.count, e.name
            )));
        }
    }
    let payload = parser
        .read_ply(&mut std::io::Cursor::new(b))
        .map(|p| p.payload)
        .map_err(|e| FormatError::Invalid(format!("PLY data: {}", one_line(&e.to_string()))))?;
    let scalar = |p: &Property| -> Option<f64> {
        Some(match p {
            Property::Char(v) => *v as f64,
            Property::UChar(v) => *v as f64,
            Property::Short(v) => *v as f64,
            Property::UShort(v) => *v as f64,
            Property::Int(v) => *v as f64,
            Property::UInt(v) => *v as f64,
            Property::Float(v) => *v as f64,
            Property::Double(v) => *v,
            _ => return None,
        })
    };
    let verts = payload
        .get("vertex")
        .ok_or_else(|| FormatError::Invalid("the PLY file has no vertex element".into()))?;
    let mut vertices = Vec::with_capacity(verts.len());
    for (i, v) in verts.iter().enumerate() {
        let c = |k: &str| {
            v.get(k)
                .and_then(scalar)
                .ok_or_else(|| FormatError::Invalid(format!("PLY vertex {i} has no number {k}")))
        };
        vertices.push([c("x")? as f32, c("y")? as f32, c("z")? as f32]);
    }
    // every other scalar vertex property, in the header's order
    let mut point_data = Vec::new();
    if let Some(def) = header.elements.get("vertex") {
        for name in def.properties.keys() {
            if matches!(name.as_str(), "x" | "y" | "z") {
                continue;
            }
            let vals: Option<Vec<f32>> = verts
                .iter()
                .map(|v| v.get(name).and_then(scalar).map(|x| x as f32))
                .collect();
            if let Some(vals) = vals {
                point_data.push((name.clone(), vals));
            }
        }
    }
    let mut faces = Vec::new();
    if let Some(fs) = payload.get("face") {
        for (i, f) in fs.iter().enumerate() {
            let list = f
                .get("vertex_indices")
                .or_else(|| f.get("vertex_index"))
                .ok_or_else(|| {
                    FormatError::Invalid(format!("PLY face {i} has no vertex_indices list"))
                })?;
            let idx: Vec<i64> = match list {
                Property::ListChar(v) => v.iter().map(|&x| x as i64).collect(),
                Property::ListUChar(v) => v.iter().map(|&x| x as i64).collect(),
                Property::ListShort(v) => v.iter().map(|&x| x as i64).collect(),
                Property::ListUShort(v) => v.iter().map(|&x| x as i64).collect(),
                Property::ListInt(v) => v.iter().map(|&x| x as i64).collect(),
                Property::ListUInt(v) => v.iter().map(|&x| x as i64).collect(),
                _ => {
                    return Err(FormatError::Invalid(format!(
                        "PLY face {i}: vertex_indices is not a list of integers"
                    )));
                }
            };
            if let Some(bad) = idx.iter().find(|&&x| x < 0 || x >= vertices.len() as i64) {
                return Err(FormatError::Invalid(format!(
                    "PLY face {i} points at vertex {bad}, but there are {}",
                    vertices.len()
                )));
            }
            let poly: Vec<u32> = idx.iter().map(|&x| x as u32).collect();
            fan(&poly, &mut faces);
        }
    }
    Mesh::new(vertices, faces, point_data)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// STL

/// Read an STL file (ASCII or binary).
pub fn read_stl(src: &Source, limits: &Limits) -> Result<Mesh, FormatError> {
    let b = read_all(src, limits)?;
    parse_stl(&b)
}

pub fn parse_stl(b: &[u8]) -> Result<Mesh, FormatError> {
    // binary when the size is exactly what the triangle count says (an ASCII file starts with
    // "solid"; some binary files do too, so the size decides)
    let binary = b.len() >= 84 && {
        let n = u32::from_le_bytes(b[80..84].try_into().unwrap()) as u64;
        84 + 50 * n == b.len() as u64
    };
    if !binary {
        let head = b.iter().take(512).copied().collect::<Vec<u8>>();
        let text = String::from_utf8_lossy(&head);
        if !text.trim_start().starts_with("solid") {
            return Err(FormatError::Invalid(if b.len() >= 84 {
                format!(
                    "not an STL file: a binary STL of {} triangles is {} bytes, this one has {}, and it does not start with \"solid\"",
                    u32::from_le_bytes(b[80..84].try_into().unwrap()),
                    84 + 50 * u32::from_le_bytes(b[80..84].try_into().unwrap()) as u64,
                    b.len()
                )
            } else {
                "not an STL file: too short for a binary STL and it does not start with \"solid\""
                    .into()
            }));
        }
        // a few checks the library leaves to chance: every facet closes
        let lines = std::io::BufReader::new(b).lines().count();
        if lines < 7 {
            return Err(FormatError::Truncated(
                "the ASCII STL holds no complete facet".into(),
            ));
        }
    }
    let mut cursor = std::io::Cursor::new(b);
    let m = stl_io::read_stl(&mut cursor)
        .map_err(|e| FormatError::Invalid(format!("STL: {}", one_line(&e.to_string()))))?;
    let vertices: Vec<[f32; 3]> = m.vertices.iter().map(|v| [v[0], v[1], v[2]]).collect();
    let mut faces = Vec::with_capacity(m.faces.len());
    for f in &m.faces {
        let [a, b, c] = f.vertices;
        faces.push([a as u32, b as u32, c as u32]);
    }
    Mesh::new(vertices, faces, Vec::new())
}
