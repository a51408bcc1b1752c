//! FreeSurfer MGH/MGZ volumes and per-vertex maps.
//!
//! Layout (big-endian; FreeSurfer `utils/mghendian`, nibabel `freesurfer/mghformat.py`):
//! a 284-byte header — version (1), width, height, depth, frames, type, dof (i32),
//! goodRASFlag (i16), voxel size (3 f32), `Mdc` (9 f32, rows are the x, y, z direction
//! cosines), `Pxyz_c` (3 f32, the RAS of the volume centre) — then the data, first index
//! fastest, then an optional footer (TR ms, flip angle, TE, TI, FoV as f32).
//!
//! The affine is the one nibabel gives: `M = Mdcᵀ·diag(delta)`, translation
//! `Pxyz_c − M·dims/2`; when goodRASFlag is 0 nibabel substitutes delta = 1,
//! `Mdc = [[-1,0,0],[0,0,1],[0,-1,0]]`, `Pxyz_c = 0`, and so do we.
//!
//! A file whose second and third dimensions are 1 is a per-vertex map (an overlay with
//! `frames` = the fourth dimension); anything else is a volume.

use super::source::{
    Cursor, Limits, Source, checked_product, finish_compressed, read_exact_growing,
};
use super::{Content, FormatError};
use crate::{Overlay, Volume};

const HEADER_BYTES: usize = 284;

pub struct MghHeader {
    pub dims: [usize; 4],
    pub dtype: i32,
    pub good_ras: bool,
    pub delta: [f32; 3],
    pub mdc: [[f32; 3]; 3],
    pub p_xyz_c: [f32; 3],
}

fn bytes_per_voxel(dtype: i32) -> Result<(usize, &'static str), FormatError> {
    Ok(match dtype {
        0 => (1, "uint8"),
        1 => (4, "int32"),
        3 => (4, "float32"),
        4 => (2, "int16"),
        10 => (2, "uint16"),
        t => return Err(FormatError::Unsupported(format!("MGH data type code {t}"))),
    })
}

pub fn parse_header(bytes: &[u8]) -> Result<MghHeader, FormatError> {
    let mut c = Cursor::new(bytes);
    let version = c.be_i32("version")?;
    if version != 1 {
        return Err(FormatError::Invalid(format!(
            "not an MGH file (version field {version}, expected 1)"
        )));
    }
    let mut dims = [0usize; 4];
    for (k, d) in dims.iter_mut().enumerate() {
        let v = c.be_i32("dimension")?;
        if v <= 0 {
            return Err(FormatError::Invalid(format!(
                "dimension {k} is {v}; all must be positive"
            )));
        }
        *d = v as usize;
    }
    let dtype = c.be_i32("data type")?;
    bytes_per_voxel(dtype)?;
    let _dof = c.be_i32("dof")?;
    let good_ras = c.be_i16("goodRASFlag")? != 0;
    let mut f = [0f32; 15];
    for x in f.iter_mut() {
        *x = c.be_f32("geometry")?;
    }
    let mut h = MghHeader {
        dims,
        dtype,
        good_ras,
        delta: [f[0], f[1], f[2]],
        mdc: [[f[3], f[4], f[5]], [f[6], f[7], f[8]], [f[9], f[10], f[11]]],
        p_xyz_c: [f[12], f[13], f[14]],
    };
    if !h.good_ras {
        h.delta = [1.0; 3];
        h.mdc = [[-1., 0., 0.], [0., 0., 1.], [0., -1., 0.]];
        h.p_xyz_c = [0.0; 3];
    }
    if f.iter().any(|v| !v.is_finite()) && h.good_ras {
        return Err(FormatError::Invalid(
            "voxel size or orientation contains NaN/inf".into(),
        ));
    }
    Ok(h)
}

impl MghHeader {
    /// nibabel's `MGHHeader.get_affine()`.
    pub fn affine(&self) -> [[f64; 4]; 4] {
        // MdcD[r][c] = Mdc[c][r] * delta[c]   (columns are the scaled direction cosines)
        let mut a = [[0f64; 4]; 4];
        for (r, row) in a.iter_mut().take(3).enumerate() {
            for (col, (m, d)) in self.mdc.iter().zip(self.delta).enumerate() {
                row[col] = (m[r] * d) as f64;
            }
            let centre: f64 = (0..3)
                .map(|col| row[col] * self.dims[col] as f64)
                .sum::<f64>()
                / 2.0;
            row[3] = self.p_xyz_c[r] as f64 - centre;
        }
        a[3][3] = 1.0;
        a
    }
}

impl MghHeader {
    /// nibabel's `MGHHeader.get_vox2ras_tkr()`: voxel → FreeSurfer's surface ("tkregister")
    /// RAS, the space of `surf/?h.*` coordinates.
    pub fn vox2ras_tkr(&self) -> [[f64; 4]; 4] {
        let d = self.delta.map(f64::from);
        let n = [0, 1, 2].map(|k| self.dims[k] as f64 * d[k] / 2.0);
        [
            [-d[0], 0.0, 0.0, n[0]],
            [0.0, 0.0, d[2], -n[2]],
            [0.0, -d[1], 0.0, n[1]],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }

    /// Surface (tkregister) RAS → scanner RAS: `affine · vox2ras_tkr⁻¹`.
    pub fn tkr_to_scanner(&self) -> Option<[[f64; 4]; 4]> {
        let t = glam::DMat4::from_cols_array_2d(&self.vox2ras_tkr()).transpose();
        let a = glam::DMat4::from_cols_array_2d(&self.affine()).transpose();
        if t.determinant().abs() < 1e-12 {
            return None;
        }
        let m = (a * t.inverse()).transpose().to_cols_array_2d();
        Some(m)
    }
}

/// Read only the header of an MGH/MGZ file (bounded: 284 bytes after decompression).
pub fn read_header(path: &std::path::Path) -> Result<MghHeader, FormatError> {
    super::source::regular_file(path)?;
    let src = Source::File(path.to_path_buf());
    let (mut stream, _) = src.open()?;
    let mut buf = Vec::with_capacity(HEADER_BYTES);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut stream, HEADER_BYTES as u64),
        &mut buf,
    )?;
    parse_header(&buf)
}

fn decode(raw: &[u8], dtype: i32) -> Vec<f32> {
    match dtype {
        0 => raw.iter().map(|&b| b as f32).collect(),
        1 => raw
            .chunks_exact(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f32)
            .collect(),
        3 => super::source::be_f32s(raw),
        4 => raw
            .chunks_exact(2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]) as f32)
            .collect(),
        10 => raw
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as f32)
            .collect(),
        _ => unreachable!("checked in parse_header"),
    }
}

pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let (mut stream, file_len) = src.open()?;
    let head = read_exact_growing(&mut stream, HEADER_BYTES as u64, "MGH header")?;
    let h = parse_header(&head)?;
    let (bpv, dtype_name) = bytes_per_voxel(h.dtype)?;
    let n = checked_product("MGH data", &h.dims.map(|d| d as u64))?;
    let nbytes = checked_product("MGH data", &[n, bpv as u64])?;
    limits.check("MGH data", nbytes)?;
    if let Some(len) = file_len
        && HEADER_BYTES as u64 + nbytes > len
    {
        return Err(FormatError::Truncated(format!(
            "dimensions {:?} need {nbytes} data bytes, the file has {}",
            h.dims,
            len.saturating_sub(HEADER_BYTES as u64)
        )));
    }
    let raw = read_exact_growing(&mut stream, nbytes, "MGH data")?;
    let data = decode(&raw, h.dtype);
    drop(raw);
    // Optional footer: TR (ms) first. Compressed files are read to their end (bounded) so a
    // damaged gzip stream is reported.
    let mut footer = finish_compressed(&mut stream, file_len.is_none(), 16 << 20)?;
    if file_len.is_some() {
        std::io::Read::read_to_end(&mut std::io::Read::take(&mut stream, 4), &mut footer)?;
    }
    let tr_seconds = (footer.len() >= 4)
        .then(|| f32::from_be_bytes([footer[0], footer[1], footer[2], footer[3]]) / 1000.0)
        .filter(|t| t.is_finite() && *t > 0.0);

    if h.dims[1] == 1 && h.dims[2] == 1 {
        let mut o = Overlay::new(h.dims[0], h.dims[3], data);
        o.tr_seconds = tr_seconds;
        return Ok(Content::Overlay(o));
    }
    let mut shape = h.dims[..3].to_vec();
    if h.dims[3] > 1 {
        shape.push(h.dims[3]);
    }
    Ok(Content::Volume(Volume {
        data: Volume::array(&shape, data).map_err(FormatError::Invalid)?,
        shape,
        voxel_size_mm: h.delta.map(|d| d as f64),
        affine: h.affine(),
        dtype: dtype_name.to_string(),
        tr_seconds,
    }))
}

/// Write a per-vertex map as an uncompressed MGH file (float32, 1 × 1 × frames).
/// An MGH volume (uncompressed; gzip it for `.mgz`): float32 data, x fastest, with the
/// geometry of `header` (dims, voxel size, direction cosines, centre RAS; goodRASFlag 1).
pub fn write_volume(header: &MghHeader, data: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + data.len() * 4);
    out.extend_from_slice(&1i32.to_be_bytes());
    for d in header.dims {
        out.extend_from_slice(&(d as i32).to_be_bytes());
    }
    out.extend_from_slice(&3i32.to_be_bytes()); // float
    out.extend_from_slice(&0i32.to_be_bytes()); // dof
    out.extend_from_slice(&1i16.to_be_bytes()); // goodRASFlag
    for x in header
        .delta
        .iter()
        .chain(header.mdc.iter().flatten())
        .chain(header.p_xyz_c.iter())
    {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out.resize(HEADER_BYTES, 0);
    for v in data {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

pub fn write_overlay(overlay: &Overlay) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + overlay.values.len() * 4 + 20);
    out.extend_from_slice(&1i32.to_be_bytes());
    for d in [overlay.n_vertices, 1, 1, overlay.n_frames] {
        out.extend_from_slice(&(d as i32).to_be_bytes());
    }
    out.extend_from_slice(&3i32.to_be_bytes()); // float
    out.extend_from_slice(&0i32.to_be_bytes()); // dof
    out.extend_from_slice(&0i16.to_be_bytes()); // goodRASFlag = 0
    out.resize(HEADER_BYTES, 0);
    for v in &overlay.values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let tr_ms = overlay.tr_seconds.unwrap_or(0.0) * 1000.0;
    for x in [tr_ms, 0.0, 0.0, 0.0, 0.0] {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    #[allow(clippy::excessive_precision)]
    /// nibabel 5.4: `h.get_affine() @ inv(h.get_vox2ras_tkr())` for a 256×240×176 volume,
    /// voxels 0.9×1.0×1.1 mm, LIA rotated 0.3 rad about z, Pxyz_c (3.1, −20.2, 15.7).
    #[test]
    fn tkr_to_scanner_equals_nibabel() {
        let h = MghHeader {
            dims: [256, 240, 176, 1],
            dtype: 3,
            good_ras: true,
            delta: [0.9, 1.0, 1.1],
            mdc: [
                [-0.9553365, -0.29552022, 0.0],
                [0.0, 0.0, 1.0],
                [0.29552022, -0.9553365, 0.0],
            ],
            p_xyz_c: [3.1, -20.2, 15.7],
        };
        let nibabel = [
            [0.9553365, 0.29552022, 0.0, 3.100006],
            [0.29552022, -0.9553365, 0.0, -20.199997],
            [0.0, 0.0, -1.0, 15.699997],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let m = h.tkr_to_scanner().unwrap();
        for r in 0..4 {
            for c in 0..4 {
                assert!(
                    (m[r][c] - nibabel[r][c]).abs() < 1e-4,
                    "[{r}][{c}] {} vs {}",
                    m[r][c],
                    nibabel[r][c]
                );
            }
        }
        // and the written header reads back to the same transform
        let bytes = write_volume(&h, &[0.0; 4]);
        let back = parse_header(&bytes).unwrap();
        assert_eq!(back.tkr_to_scanner(), h.tkr_to_scanner());
    }

    use super::*;

    #[test]
    fn overlay_roundtrip_through_file() {
        let mut o = Overlay::new(3, 2, vec![1., 2., 3., 4., 5., 6.]);
        o.tr_seconds = Some(2.0);
        let dir = std::env::temp_dir().join(format!("cx-mgh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.mgh");
        std::fs::write(&p, write_overlay(&o)).unwrap();
        match read(&Source::File(p.clone()), &Limits::default()).unwrap() {
            Content::Overlay(b) => {
                assert_eq!(b.values, o.values);
                assert_eq!((b.n_vertices, b.n_frames), (3, 2));
                assert_eq!(b.tr_seconds, Some(2.0));
            }
            _ => panic!("expected overlay"),
        }
        // lying dimensions: much larger than the file
        let mut bad = write_overlay(&o);
        bad[4..8].copy_from_slice(&100_000_000i32.to_be_bytes());
        std::fs::write(&p, &bad).unwrap();
        let e = read(&Source::File(p.clone()), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("need"), "{e}");
        // compressed, with the whole footer as nibabel writes it (TR, flip, TE, TI, FoV):
        // the TR is still found
        let gz = dir.join("x.mgz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, &write_overlay(&o)).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        match read(&Source::File(gz), &Limits::default()).unwrap() {
            Content::Overlay(b) => assert_eq!(b.tr_seconds, Some(2.0)),
            _ => panic!("expected overlay"),
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
