//! MNE-Python surface source estimates: `NAME-lh.stc` / `NAME-rh.stc` (one file per
//! hemisphere) and FreeSurfer/MNE `.w` value files, read as `mne.read_source_estimate` and
//! `mne.read_w` read them.
//!
//! * `.stc` (big-endian): `tmin` (f32, ms), `tstep` (f32, ms), vertex count (u32), the source
//!   vertices (u32 each, indices into the hemisphere's surface), time count (u32), then the
//!   values as f32, time-major (all vertices of the first time point, then the next): MNE
//!   reshapes them to `[time, vertex]` and transposes. Times are `tmin + k·tstep` seconds.
//! * `.w` (big-endian): 2 bytes of latency (ignored, as MNE does), the vertex count as a 3-byte
//!   integer, then per vertex a 3-byte vertex index and an f32 value — one time point.
//!
//! Validated before allocating: the counts against the file's size; trailing bytes are allowed
//! (MNE reads by count). The vertex indices are checked against the surface when the estimate
//! is placed on a hemisphere (the scene), where sparse source spaces are spread to every vertex.

use super::FormatError;
use super::source::{Limits, Source, read_bounded, read_up_to};

/// Values at a hemisphere's source vertices over time.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceEstimate {
    /// indices into the hemisphere's surface
    pub vertices: Vec<u32>,
    /// seconds
    pub tmin: f64,
    /// seconds (0 for a `.w` file's single time point)
    pub tstep: f64,
    /// `[time, vertex]` (the transpose of MNE's `stc.data`), time-major as on disk
    pub data: ndarray::Array2<f32>,
}

impl SourceEstimate {
    pub fn n_times(&self) -> usize {
        self.data.nrows()
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn be_f32(b: &[u8], at: usize) -> f32 {
    f32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn be_u24(b: &[u8], at: usize) -> u32 {
    ((b[at] as u32) << 16) | ((b[at + 1] as u32) << 8) | b[at + 2] as u32
}

/// Read an `.stc` file: the header, then the values straight into their array (one pass,
/// one allocation; byte order swapped in place).
pub fn read_stc(src: &Source, limits: &Limits) -> Result<SourceEstimate, FormatError> {
    let (mut s, len) = src.open()?;
    let bound = len.unwrap_or(limits.max_bytes);
    limits.check("STC file", bound)?;
    let mut head = [0u8; 12];
    let got = read_up_to(&mut s, &mut head)?;
    if got < 12 {
        return Err(FormatError::Truncated(format!(
            "an STC file starts with 12 header bytes, this one has {got}"
        )));
    }
    let (tmin_ms, tstep_ms) = (be_f32(&head, 0), be_f32(&head, 4));
    if !(tmin_ms.is_finite() && tstep_ms.is_finite() && tstep_ms >= 0.0) {
        return Err(FormatError::Invalid(format!(
            "tmin {tmin_ms} ms / tstep {tstep_ms} ms are not finite (or tstep is negative)"
        )));
    }
    let nv = be_u32(&head, 8) as u64;
    let after_vertices = 12 + 4 * nv;
    if after_vertices + 4 > bound {
        return Err(FormatError::Truncated(format!(
            "{nv} source vertices need {} bytes, the file has {bound}",
            after_vertices + 4
        )));
    }
    let nv = nv as usize;
    let mut vb = vec![0u8; 4 * nv + 4];
    let got = read_up_to(&mut s, &mut vb)?;
    if got < vb.len() {
        return Err(FormatError::Truncated(format!(
            "{nv} source vertices need {} bytes, the file has {}",
            after_vertices + 4,
            12 + got
        )));
    }
    let vertices: Vec<u32> = (0..nv).map(|k| be_u32(&vb, 4 * k)).collect();
    let nt = be_u32(&vb, 4 * nv) as u64;
    let need = (nv as u64)
        .checked_mul(nt)
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| FormatError::TooLarge(format!("{nv} vertices × {nt} times overflows")))?;
    let have = bound - after_vertices - 4;
    if need > have {
        return Err(FormatError::Truncated(format!(
            "{nv} vertices × {nt} time points need {need} bytes of values, the file has {have}"
        )));
    }
    if nt == 0 || nv == 0 {
        return Err(FormatError::Invalid(format!(
            "an estimate of {nv} vertices × {nt} time points holds nothing"
        )));
    }
    increasing(&vertices, "STC")?;
    let nt = nt as usize;
    let mut values = crate::huge_pages(vec![0f32; nv * nt]);
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
    let got = read_up_to(&mut s, bytes)?;
    if got < bytes.len() {
        return Err(FormatError::Truncated(format!(
            "{nv} vertices × {nt} time points need {need} bytes of values, the file has {got}"
        )));
    }
    for v in values.iter_mut() {
        *v = f32::from_bits(u32::from_be(v.to_bits()));
    }
    Ok(SourceEstimate {
        vertices,
        tmin: tmin_ms as f64 / 1000.0,
        tstep: tstep_ms as f64 / 1000.0,
        data: ndarray::Array2::from_shape_vec((nt, nv), values)
            .map_err(|e| FormatError::Invalid(format!("STC values: {e}")))?,
    })
}

/// MNE keeps an estimate's vertex numbers strictly increasing (its `SourceEstimate` refuses
/// anything else); a file that breaks the order is damaged.
fn increasing(vertices: &[u32], what: &str) -> Result<(), FormatError> {
    match vertices.windows(2).position(|w| w[1] <= w[0]) {
        Some(k) => Err(FormatError::Invalid(format!(
            "{what} vertex numbers must increase: vertex {} follows {} at position {}",
            vertices[k + 1],
            vertices[k],
            k + 1
        ))),
        None => Ok(()),
    }
}

/// Read a `.w` file (one time point).
pub fn read_w(src: &Source, limits: &Limits) -> Result<SourceEstimate, FormatError> {
    let (mut s, len) = src.open()?;
    let bound = len.unwrap_or(limits.max_bytes);
    limits.check(".w file", bound)?;
    let b = read_bounded(&mut s, bound, ".w file")?;
    if b.len() < 5 {
        return Err(FormatError::Truncated(format!(
            "a .w file starts with 5 header bytes, this one has {}",
            b.len()
        )));
    }
    let nv = be_u24(&b, 2) as usize;
    let need = 5 + 7 * nv;
    if need > b.len() {
        return Err(FormatError::Truncated(format!(
            "{nv} vertices need {need} bytes, the file has {}",
            b.len()
        )));
    }
    if nv == 0 {
        return Err(FormatError::Invalid(
            "a .w file of 0 vertices holds nothing".into(),
        ));
    }
    let mut vertices = Vec::with_capacity(nv);
    let mut values = Vec::with_capacity(nv);
    for k in 0..nv {
        let at = 5 + 7 * k;
        vertices.push(be_u24(&b, at));
        values.push(be_f32(&b, at + 3));
    }
    // a .w file need not be sorted (FreeSurfer writes label order), but one vertex twice is
    // two values for one place
    let mut sorted = vertices.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(FormatError::Invalid(format!(
            "vertex {} appears twice in the .w file",
            w[0]
        )));
    }
    Ok(SourceEstimate {
        vertices,
        tmin: 0.0,
        tstep: 0.0,
        data: ndarray::Array2::from_shape_vec((1, nv), values)
            .map_err(|e| FormatError::Invalid(format!(".w values: {e}")))?,
    })
}
