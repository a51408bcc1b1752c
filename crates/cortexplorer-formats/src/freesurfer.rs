//! FreeSurfer binary surfaces, curv ("morph") data, `.annot` parcellations and `.label` files.
//!
//! Layouts follow FreeSurfer's `utils/mrisurf` writers and nibabel's `freesurfer/io.py`
//! readers (big-endian throughout):
//! * triangle surface: magic `FF FF FE`, a "created by …" line ending in `\n\n`, vertex and
//!   face counts (i32), `3·nv` f32 coordinates, `3·nf` i32 indices, optional volume-info footer;
//! * quad surface (magic `FF FF FF` old, `FF FF FD` new): 3-byte counts, coordinates as
//!   i16/100 (old) or f32 (new), 3-byte quad indices split into two triangles as nibabel does;
//! * curv, new format: magic `FF FF FF`, nv, nf, values-per-vertex (i32), `nv` f32;
//!   old format: nv and nf as 3-byte ints, then `nv` i16/100;
//! * annot: nv, `nv` (vertex, packed RGB) pairs, then a colour table (old layout or version 2);
//!   vertices whose value is 0 or matches no table entry get region -1, as in nibabel;
//! * label: ASCII, a comment line, the count, then `vertex x y z value` lines.

use super::FormatError;
use super::source::{Cursor, Limits, Source, be_f32s, be_i32s, read_all};
use crate::{Labels, Overlay, Region, Surface};

pub const TRIANGLE_MAGIC: u32 = 0xFF_FF_FE;
pub const CURV_MAGIC: u32 = 0xFF_FF_FF; // also the old quad-surface magic
pub const NEW_QUAD_MAGIC: u32 = 0xFF_FF_FD;

/// Read a FreeSurfer surface (triangle or quad).
pub fn read_surface(src: &Source, limits: &Limits) -> Result<Surface, FormatError> {
    if let Source::File(path) = src {
        // Uncompressed triangle files: read the arrays straight into their final buffers.
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(path)?;
        let len = f.metadata()?.len();
        limits.check("file", len)?;
        let mut head = Vec::with_capacity(4096);
        (&mut f).take(64 << 10).read_to_end(&mut head)?;
        if head.len() >= 3 && !super::source::is_gzip(&head) && head[..3] == [0xFF, 0xFF, 0xFE] {
            let mut c = Cursor::new(&head);
            c.skip(3, "surface magic")?;
            let (nv, nf, offset) = triangle_header(&mut c, len as usize)?;
            let mut vertices = vec![[0f32; 3]; nv];
            let mut faces = vec![[0u32; 3]; nf];
            f.seek(SeekFrom::Start(offset as u64))?;
            f.read_exact(bytemuck::cast_slice_mut(&mut vertices))?;
            f.read_exact(bytemuck::cast_slice_mut(&mut faces))?;
            return finish_triangles(vertices, faces);
        }
    }
    parse_surface(&read_all(src, limits)?)
}

/// Parse the triangle-file header after the magic: returns (vertices, faces, data offset),
/// with the counts checked against the file length.
fn triangle_header(c: &mut Cursor, file_len: usize) -> Result<(usize, usize, usize), FormatError> {
    // "created by <user> on <date>\n\n": two line reads, as FreeSurfer and nibabel do.
    c.line("'created by' line")?;
    c.line("blank line after 'created by'")?;
    let after_counts = c.pos() + 8;
    let room = file_len.saturating_sub(after_counts);
    let nv = c.be_count("vertex count", room / 12)?;
    let nf = c.be_count("face count", room / 12)?;
    if nv * 12 + nf * 12 > room {
        return Err(FormatError::Truncated(format!(
            "{nv} vertices and {nf} faces need {} bytes, the file has {room}",
            nv * 12 + nf * 12
        )));
    }
    Ok((nv, nf, after_counts))
}

/// Big-endian arrays as read from the file → native values, then validation.
fn finish_triangles(
    mut vertices: Vec<[f32; 3]>,
    mut faces: Vec<[u32; 3]>,
) -> Result<Surface, FormatError> {
    let swap = |w: &mut [u32]| {
        for x in w {
            *x = u32::from_be(*x);
        }
    };
    swap(bytemuck::cast_slice_mut(&mut vertices));
    swap(bytemuck::cast_slice_mut(&mut faces));
    Ok(Surface::new(vertices, faces)?)
}

/// Parse a FreeSurfer surface held in memory.
pub fn parse_surface(bytes: &[u8]) -> Result<Surface, FormatError> {
    let mut c = Cursor::new(bytes);
    let magic = c.be_u24("surface magic")?;
    match magic {
        TRIANGLE_MAGIC => parse_triangles(&mut c),
        CURV_MAGIC | NEW_QUAD_MAGIC => parse_quads(&mut c, magic == NEW_QUAD_MAGIC),
        _ => Err(FormatError::Invalid(format!(
            "not a FreeSurfer surface (magic {magic:#08x}, expected 0xfffffe)"
        ))),
    }
}

fn parse_triangles(c: &mut Cursor) -> Result<Surface, FormatError> {
    let (nv, nf, offset) = triangle_header(c, c.pos() + c.remaining())?;
    c.skip(offset - c.pos(), "vertex and face counts")?;
    let mut vertices = vec![[0f32; 3]; nv];
    let mut faces = vec![[0u32; 3]; nf];
    bytemuck::cast_slice_mut::<_, u8>(&mut vertices)
        .copy_from_slice(c.take(nv * 12, "vertex coordinates")?);
    bytemuck::cast_slice_mut::<_, u8>(&mut faces).copy_from_slice(c.take(nf * 12, "faces")?);
    finish_triangles(vertices, faces)
}

fn parse_quads(c: &mut Cursor, new_format: bool) -> Result<Surface, FormatError> {
    let nv = c.be_u24("vertex count")? as usize;
    let nq = c.be_u24("quad count")? as usize;
    let vbytes = if new_format { 12 } else { 6 };
    let need = nv * vbytes + nq * 12;
    if need > c.remaining() {
        return Err(FormatError::Truncated(format!(
            "{nv} vertices and {nq} quads need {need} bytes, the file has {}",
            c.remaining()
        )));
    }
    let raw = c.take(nv * vbytes, "vertex coordinates")?;
    let coords: Vec<f32> = if new_format {
        be_f32s(raw)
    } else {
        raw.chunks_exact(2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]) as f32 / 100.0)
            .collect()
    };
    let vertices: Vec<[f32; 3]> = coords.chunks_exact(3).map(|v| [v[0], v[1], v[2]]).collect();
    let q = c.take(nq * 12, "quads")?;
    let mut faces = Vec::with_capacity(2 * nq);
    for (i, quad) in q.chunks_exact(12).enumerate() {
        let k: [u32; 4] = std::array::from_fn(|j| {
            ((quad[3 * j] as u32) << 16) | ((quad[3 * j + 1] as u32) << 8) | quad[3 * j + 2] as u32
        });
        if let Some(bad) = k.iter().find(|&&x| x as usize >= nv) {
            return Err(FormatError::Invalid(format!(
                "quad {i} has vertex index {bad} outside 0..{nv}"
            )));
        }
        // The split nibabel uses (after FreeSurfer): by parity of the first index.
        if k[0].is_multiple_of(2) {
            faces.push([k[0], k[1], k[3]]);
            faces.push([k[2], k[3], k[1]]);
        } else {
            faces.push([k[0], k[1], k[2]]);
            faces.push([k[0], k[2], k[3]]);
        }
    }
    Ok(Surface::new(vertices, faces)?)
}

/// Read curv/sulc/thickness data (new or old format).
pub fn read_curv(src: &Source, limits: &Limits) -> Result<Overlay, FormatError> {
    parse_curv(&read_all(src, limits)?)
}

pub fn parse_curv(bytes: &[u8]) -> Result<Overlay, FormatError> {
    let mut c = Cursor::new(bytes);
    let magic = c.be_u24("curv magic")?;
    let values = if magic == CURV_MAGIC {
        let nv = c.be_count("vertex count", (c.remaining().saturating_sub(8)) / 4)?;
        let _nf = c.be_i32("face count")?;
        let per = c.be_i32("values per vertex")?;
        if per != 1 {
            return Err(FormatError::Unsupported(format!(
                "{per} values per vertex (only 1 is defined)"
            )));
        }
        be_f32s(c.take(nv * 4, "curv values")?)
    } else {
        let nv = magic as usize;
        let _nf = c.be_u24("face count")?;
        if nv * 2 > c.remaining() {
            return Err(FormatError::Truncated(format!(
                "old-format curv declares {nv} vertices ({} bytes), the file has {}",
                nv * 2,
                c.remaining()
            )));
        }
        let raw = c.take(nv * 2, "curv values")?;
        raw.chunks_exact(2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]) as f32 / 100.0)
            .collect()
    };
    Ok(Overlay::new(values.len(), 1, values))
}

/// Read an `.annot` parcellation.
pub fn read_annot(src: &Source, limits: &Limits) -> Result<Labels, FormatError> {
    parse_annot(&read_all(src, limits)?)
}

fn fixed_string(c: &mut Cursor, what: &str) -> Result<String, FormatError> {
    let n = c.be_count(&format!("{what} length"), c.remaining())?;
    let raw = c.take(n, what)?;
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    Ok(String::from_utf8_lossy(&raw[..end]).into_owned())
}

fn rgbt(c: &mut Cursor, what: &str) -> Result<[u8; 4], FormatError> {
    let mut out = [0u8; 4];
    for (k, slot) in out.iter_mut().enumerate() {
        let v = c.be_i32(what)?;
        if !(0..=255).contains(&v) {
            return Err(FormatError::Invalid(format!(
                "{what}: colour component {v} outside 0..255"
            )));
        }
        // FreeSurfer stores transparency (255 - alpha) in the fourth column.
        *slot = if k == 3 { 255 - v as u8 } else { v as u8 };
    }
    Ok(out)
}

pub fn parse_annot(bytes: &[u8]) -> Result<Labels, FormatError> {
    let mut c = Cursor::new(bytes);
    let nv = c.be_count("vertex count", c.remaining() / 8)?;
    let pairs = be_i32s(c.take(nv * 8, "vertex/value pairs")?);
    let has_ctab = c.be_i32("colour-table flag")?;
    if has_ctab == 0 {
        return Err(FormatError::Unsupported(
            "annotation without a colour table".into(),
        ));
    }
    let n_entries = c.be_i32("colour-table entry count")?;
    let mut regions = Vec::new();
    if n_entries > 0 {
        // Old layout: original table name, then `n_entries` (name, RGBT) in index order.
        if n_entries as usize > c.remaining() / 20 {
            return Err(FormatError::Invalid(format!(
                "colour table declares {n_entries} entries, more than the file holds"
            )));
        }
        fixed_string(&mut c, "colour-table file name")?;
        for i in 0..n_entries {
            let name = fixed_string(&mut c, "region name")?;
            let rgba = rgbt(&mut c, "region colour")?;
            regions.push(Region {
                name,
                index: i,
                rgba,
            });
        }
    } else {
        let version = -n_entries;
        if version != 2 {
            return Err(FormatError::Unsupported(format!(
                "annotation colour-table version {version}"
            )));
        }
        let max_index = c.be_i32("colour-table size")?;
        fixed_string(&mut c, "colour-table file name")?;
        let count = c.be_count("colour-table entries", c.remaining() / 24)?;
        for _ in 0..count {
            let index = c.be_i32("region index")?;
            // the table has `max_index` rows (nibabel indexes its array by it): an index
            // outside them names no row
            if !(0..max_index).contains(&index) {
                return Err(FormatError::Invalid(format!(
                    "colour-table entry index {index} outside the table's 0..{max_index}"
                )));
            }
            let name = fixed_string(&mut c, "region name")?;
            let rgba = rgbt(&mut c, "region colour")?;
            regions.push(Region { name, index, rgba });
        }
    }
    // Annotation value = R + G·2^8 + B·2^16.
    let mut by_value: Vec<(i32, i32)> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.rgba[0] as i32 | (r.rgba[1] as i32) << 8 | (r.rgba[2] as i32) << 16,
                i as i32,
            )
        })
        .collect();
    by_value.sort();
    let mut region_of = vec![-1i32; nv];
    for (k, pair) in pairs.chunks_exact(2).enumerate() {
        let (vertex, value) = (pair[0], pair[1]);
        if vertex < 0 || vertex as usize >= nv {
            return Err(FormatError::Invalid(format!(
                "entry {k} names vertex {vertex} outside 0..{nv}"
            )));
        }
        if value != 0
            && let Ok(pos) = by_value.binary_search_by_key(&value, |&(v, _)| v)
        {
            region_of[vertex as usize] = by_value[pos].1;
        }
    }
    Ok(Labels {
        vertex_ids: None,
        region_of,
        regions,
        values: None,
    })
}

/// Read an ASCII `.label` file.
pub fn read_label(src: &Source, limits: &Limits) -> Result<Labels, FormatError> {
    let bytes = read_all(src, limits)?;
    let name = src.file_name();
    parse_label(&bytes, name.trim_end_matches(".label"))
}

pub fn parse_label(bytes: &[u8], name: &str) -> Result<Labels, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| FormatError::Invalid("label file is not text".into()))?;
    let mut lines = text.lines();
    lines
        .next()
        .ok_or_else(|| FormatError::Truncated("empty label file".into()))?;
    let count_line = lines
        .next()
        .ok_or_else(|| FormatError::Truncated("no vertex count line".into()))?;
    let n: usize = count_line.trim().parse().map_err(|_| {
        FormatError::Invalid(format!("vertex count line {count_line:?} is not a count"))
    })?;
    // every entry needs at least 10 characters ("0 0 0 0 0\n")
    if n > bytes.len() / 10 {
        return Err(FormatError::Invalid(format!(
            "label declares {n} vertices, more than the file holds"
        )));
    }
    let mut ids = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for (k, line) in lines.filter(|l| !l.trim().is_empty()).enumerate() {
        if k >= n {
            return Err(FormatError::Invalid(format!(
                "label has more than the {n} declared vertices"
            )));
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 5 {
            return Err(FormatError::Invalid(format!(
                "label line {} has {} fields, expected 5",
                k + 3,
                f.len()
            )));
        }
        let v: i64 = f[0].parse().map_err(|_| {
            FormatError::Invalid(format!(
                "label line {}: vertex {:?} is not an integer",
                k + 3,
                f[0]
            ))
        })?;
        if v < 0 || v > u32::MAX as i64 {
            return Err(FormatError::Invalid(format!(
                "label line {}: vertex {v} out of range",
                k + 3
            )));
        }
        let mut nums = [0f32; 4];
        for (j, slot) in nums.iter_mut().enumerate() {
            *slot = f[j + 1].parse().map_err(|_| {
                FormatError::Invalid(format!(
                    "label line {}: {:?} is not a number",
                    k + 3,
                    f[j + 1]
                ))
            })?;
        }
        ids.push(v as u32);
        values.push(nums[3]);
    }
    if ids.len() != n {
        return Err(FormatError::Truncated(format!(
            "label declares {n} vertices but lists {}",
            ids.len()
        )));
    }
    Ok(Labels {
        region_of: vec![0; ids.len()],
        vertex_ids: Some(ids),
        regions: vec![Region {
            name: name.to_string(),
            index: 1,
            rgba: [255, 215, 0, 255],
        }],
        values: Some(values),
    })
}

/// Write a triangle surface (used by tests and for exporting generated meshes).
/// FreeSurfer "new" curv format (`lh.sulc`, `lh.thickness`): magic 0xFFFFFF, vertex and face
/// counts, values per vertex (1), then big-endian f32 values.
pub fn write_curv(values: &[f32], n_faces: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(15 + values.len() * 4);
    out.extend_from_slice(&[0xFF, 0xFF, 0xFF]);
    for n in [values.len(), n_faces, 1] {
        out.extend_from_slice(&(n as i32).to_be_bytes());
    }
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

pub fn write_surface(surface: &Surface, created_by: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + surface.vertices.len() * 12 + surface.faces.len() * 12);
    out.extend_from_slice(&[0xFF, 0xFF, 0xFE]);
    out.extend_from_slice(created_by.as_bytes());
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(&(surface.vertices.len() as i32).to_be_bytes());
    out.extend_from_slice(&(surface.faces.len() as i32).to_be_bytes());
    for v in &surface.vertices {
        for x in v {
            out.extend_from_slice(&x.to_be_bytes());
        }
    }
    for f in &surface.faces {
        for &k in f {
            out.extend_from_slice(&(k as i32).to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// A version-2 annotation of one vertex whose one colour-table entry has `index`, in a
    /// table of `max_index` rows.
    fn annot_v2(index: i32, max_index: i32) -> Vec<u8> {
        let mut b = Vec::new();
        let int = |v: i32, b: &mut Vec<u8>| b.extend_from_slice(&v.to_be_bytes());
        int(1, &mut b); // vertices
        int(0, &mut b);
        int(0x0a0b0c, &mut b); // vertex 0, value r + g·2^8 + b·2^16
        int(1, &mut b); // has a colour table
        int(-2, &mut b); // version 2
        int(max_index, &mut b);
        int(2, &mut b);
        b.extend_from_slice(b"x\0");
        int(1, &mut b); // entries
        int(index, &mut b);
        int(2, &mut b);
        b.extend_from_slice(b"r\0");
        for v in [0x0c, 0x0b, 0x0a, 0] {
            int(v, &mut b);
        }
        b
    }

    #[test]
    fn annot_indices_outside_the_table_are_refused() {
        let ok = parse_annot(&annot_v2(3, 4)).unwrap();
        assert_eq!(ok.regions[0].index, 3);
        assert_eq!(ok.region_of, vec![0]);
        for (index, max) in [(300_000_000, 4), (-5, 4), (4, 4)] {
            let e = parse_annot(&annot_v2(index, max)).unwrap_err().to_string();
            assert!(e.contains("outside the table"), "{e}");
        }
    }

    use super::*;

    fn tri() -> Surface {
        Surface::new(
            vec![[0., 0., 0.], [1., 0., 0.], [0., 1., 0.]],
            vec![[0, 1, 2]],
        )
        .unwrap()
    }

    #[test]
    fn surface_roundtrip() {
        let s = tri();
        let back = parse_surface(&write_surface(&s, "created by test")).unwrap();
        assert_eq!(back.vertices, s.vertices);
        assert_eq!(back.faces, s.faces);
    }

    #[test]
    fn surface_rejects_lies() {
        let good = write_surface(&tri(), "created by test");
        // truncated at every offset
        for cut in 0..good.len() {
            assert!(parse_surface(&good[..cut]).is_err(), "cut at {cut}");
        }
        // huge vertex count
        let mut bad = good.clone();
        let at = 3 + "created by test\n\n".len();
        bad[at..at + 4].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(parse_surface(&bad), Err(FormatError::Invalid(_))));
        // face index out of range
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&7i32.to_be_bytes());
        let e = parse_surface(&bad).unwrap_err().to_string();
        assert!(e.contains("outside"), "{e}");
        // wrong magic
        let mut bad = good;
        bad[0] = 0x12;
        assert!(
            parse_surface(&bad)
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
    }

    #[test]
    fn curv_both_formats() {
        let mut new = vec![0xFF, 0xFF, 0xFF];
        for x in [2i32, 0, 1] {
            new.extend_from_slice(&x.to_be_bytes());
        }
        new.extend_from_slice(&1.5f32.to_be_bytes());
        new.extend_from_slice(&(-2.0f32).to_be_bytes());
        assert_eq!(parse_curv(&new).unwrap().values, vec![1.5, -2.0]);
        let old = [0, 0, 2, 0, 0, 1, 0, 150, 0xFF, 0x38]; // 150/100, -200/100
        assert_eq!(parse_curv(&old).unwrap().values, vec![1.5, -2.0]);
        assert!(parse_curv(&new[..new.len() - 1]).is_err());
    }

    #[test]
    fn label_parses_and_checks() {
        let text = "#!ascii label\n2\n5 1.0 2.0 3.0 0.5\n9 0 0 0 1\n";
        let l = parse_label(text.as_bytes(), "V1").unwrap();
        assert_eq!(l.vertex_ids.as_ref().unwrap(), &vec![5, 9]);
        assert_eq!(l.values.as_ref().unwrap(), &vec![0.5, 1.0]);
        assert_eq!(l.dense(10).unwrap()[9], 0);
        assert!(l.dense(8).is_err());
        assert!(parse_label(b"#\n3\n1 0 0 0 0\n", "x").is_err());
        assert!(parse_label(b"#\n99999999\n", "x").is_err());
        assert!(parse_label(b"#\n1\n1 0 0 zero 0\n", "x").is_err());
    }
}
