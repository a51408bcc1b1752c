//! Tractography: MRtrix `.tck`, TrackVis `.trk` (v1/v2) and `.trx` (TRX, a zip of arrays).
//!
//! Every reader returns a [`Tractogram`] whose points are **RAS+ millimetres**, the space
//! `nibabel.streamlines.load(f).streamlines` gives for TCK and TRK and `trx-python` for TRX:
//!
//! * **TCK** stores world (scanner RAS) millimetres as they are: a text header (`mrtrix
//!   tracks`, `key: value` lines, `END`) whose `file: . OFFSET` gives where the binary triplets
//!   start; `datatype` is `Float32LE`, `Float32BE`, `Float64LE` or `Float64BE`. A triplet of NaN
//!   ends a streamline, a triplet of ±Inf ends the file; points after the last NaN and before
//!   the end (or the end of the file) are kept as a last streamline (nibabel refuses such a
//!   file, MRtrix drops the points; a tracking run cut short writes them). Empty streamlines
//!   (two separators in a row) are dropped, as nibabel drops them. Float64 data are read
//!   (MRtrix writes them; nibabel refuses them). `count` is not trusted: the data decide.
//! * **TRK** stores "voxmm" (voxel index × voxel size, the voxel's corner at 0). The header's
//!   `vox_to_ras` maps voxel centres to RAS; nibabel's conversion is followed step by step:
//!   divide by the voxel size, subtract half a voxel, reorient from the header's
//!   `voxel_order` to the orientation `vox_to_ras` implies (flips about the grid's centre,
//!   axis swaps), then apply `vox_to_ras`. Byte order is whatever makes `hdr_size` 1000.
//!   Per-point scalars and per-streamline properties keep their names; a name written as
//!   `name\0N` stands for N consecutive values (`name_0` … `name_{N-1}`), as nibabel packs them.
//! * **TRX** is a zip (stored or deflated) of `header.json` (`NB_STREAMLINES`, `NB_VERTICES`,
//!   `VOXEL_TO_RASMM`, `DIMENSIONS`), `positions.3.<dtype>` (float16/32/64, RAS mm),
//!   `offsets.<dtype>` (uint32/uint64 starts of each streamline), and optional `dpv/`
//!   (per vertex) and `dps/` (per streamline) arrays `name[.N].<dtype>`, all little-endian;
//!   `groups/NAME.<uint dtype>` (the streamlines of a group, by index) become
//!   [`Tractogram::groups`] and a per-streamline series `group NAME` each, and
//!   `dpg/GROUP/NAME.<dtype>` (values per group) [`Tractogram::group_data`].
//!
//! Sizes written in headers are checked against the file before anything is allocated.

use std::io::Read;

use super::FormatError;
use super::source::{Limits, Source, read_all};

/// Streamlines in RAS+ mm, concatenated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tractogram {
    /// every streamline's points, one after the other
    pub points: Vec<[f32; 3]>,
    /// where each streamline starts in `points`, and the end: `n_streamlines() + 1` entries
    pub offsets: Vec<usize>,
    /// values per point (name, one value per point)
    pub point_data: Vec<(String, Vec<f32>)>,
    /// values per streamline (name, one value per streamline)
    pub streamline_data: Vec<(String, Vec<f32>)>,
    /// the reference image's voxel → RAS mm affine and grid, when the file gives them
    pub reference: Option<([[f64; 4]; 4], [u32; 3])>,
    /// named groups of streamlines (TRX `groups/`): the streamlines' indices, ascending. Each
    /// group is also a per-streamline series `group NAME` (1 in the group, 0 outside), so a
    /// bundle can be coloured or thresholded like any value
    pub groups: Vec<(String, Vec<u32>)>,
    /// values per group (TRX `dpg/GROUP/NAME`): (group, name, values)
    pub group_data: Vec<(String, String, Vec<f32>)>,
}

/// Count and lengths of a tractogram (for `inspect`).
#[derive(Clone, Debug, PartialEq)]
pub struct TractStats {
    pub streamlines: usize,
    pub points: usize,
    pub length_mm_min: f64,
    pub length_mm_median: f64,
    pub length_mm_mean: f64,
    pub length_mm_max: f64,
    pub bbox_min: [f32; 3],
    pub bbox_max: [f32; 3],
}

impl Tractogram {
    pub fn n_streamlines(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The points of streamline `i`.
    pub fn streamline(&self, i: usize) -> &[[f32; 3]] {
        &self.points[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Length of each streamline in mm (sum of its segments).
    pub fn lengths(&self) -> Vec<f64> {
        (0..self.n_streamlines())
            .map(|i| {
                self.streamline(i)
                    .windows(2)
                    .map(|w| {
                        let d = [
                            (w[1][0] - w[0][0]) as f64,
                            (w[1][1] - w[0][1]) as f64,
                            (w[1][2] - w[0][2]) as f64,
                        ];
                        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
                    })
                    .sum()
            })
            .collect()
    }

    pub fn stats(&self) -> TractStats {
        let mut len = self.lengths();
        len.sort_by(f64::total_cmp);
        let n = len.len();
        let median = match n {
            0 => 0.0,
            _ if n % 2 == 1 => len[n / 2],
            _ => (len[n / 2 - 1] + len[n / 2]) / 2.0,
        };
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.points {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        if self.points.is_empty() {
            (lo, hi) = ([0.0; 3], [0.0; 3]);
        }
        TractStats {
            streamlines: n,
            points: self.points.len(),
            length_mm_min: len.first().copied().unwrap_or(0.0),
            length_mm_median: median,
            length_mm_mean: if n == 0 {
                0.0
            } else {
                len.iter().sum::<f64>() / n as f64
            },
            length_mm_max: len.last().copied().unwrap_or(0.0),
            bbox_min: lo,
            bbox_max: hi,
        }
    }

    /// Check the arrays agree with each other; the error names the first disagreement.
    pub fn validate(&self) -> Result<(), String> {
        if self.offsets.first() != Some(&0) {
            return Err("the first streamline does not start at point 0".into());
        }
        if let Some(i) = self.offsets.windows(2).position(|w| w[1] < w[0]) {
            return Err(format!("streamline {i} ends before it starts"));
        }
        if self.offsets.last() != Some(&self.points.len()) {
            return Err(format!(
                "the streamlines cover {} points but there are {}",
                self.offsets.last().unwrap_or(&0),
                self.points.len()
            ));
        }
        if let Some(i) = self
            .points
            .iter()
            .position(|p| p.iter().any(|c| !c.is_finite()))
        {
            return Err(format!("point {i} has a NaN or infinite coordinate"));
        }
        for (name, v) in &self.point_data {
            if v.len() != self.points.len() {
                return Err(format!(
                    "per-point values {name:?} have {} entries for {} points",
                    v.len(),
                    self.points.len()
                ));
            }
        }
        for (name, v) in &self.streamline_data {
            if v.len() != self.n_streamlines() {
                return Err(format!(
                    "per-streamline values {name:?} have {} entries for {} streamlines",
                    v.len(),
                    self.n_streamlines()
                ));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// TCK

/// Read an MRtrix `.tck` file.
pub fn read_tck(src: &Source, limits: &Limits) -> Result<Tractogram, FormatError> {
    let b = read_all(src, limits)?;
    parse_tck(&b)
}

/// Parse the bytes of a `.tck` file.
pub fn parse_tck(b: &[u8]) -> Result<Tractogram, FormatError> {
    const MAGIC: &[u8] = b"mrtrix tracks";
    if !b.starts_with(MAGIC) {
        return Err(FormatError::Invalid(
            "not a TCK file: it does not start with \"mrtrix tracks\"".into(),
        ));
    }
    let end = memchr::memmem::find(b, b"\nEND\n")
        .or_else(|| memchr::memmem::find(b, b"\nEND\r\n"))
        .ok_or_else(|| FormatError::Truncated("the TCK header has no END line".into()))?;
    let header = String::from_utf8_lossy(&b[..end]);
    let mut datatype = None;
    let mut offset = None;
    for line in header.lines().skip(1) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "datatype" => datatype = Some(value.to_string()),
            "file" => {
                let mut parts = value.split_whitespace();
                if parts.next() != Some(".") {
                    return Err(FormatError::Unsupported(format!(
                        "the track data is in another file ({value}); only `file: . OFFSET` is read"
                    )));
                }
                let off = parts
                    .next()
                    .and_then(|o| o.parse::<u64>().ok())
                    .ok_or_else(|| {
                        FormatError::Invalid(format!("`file: {value}` has no byte offset"))
                    })?;
                offset = Some(off);
            }
            _ => {}
        }
    }
    let datatype =
        datatype.ok_or_else(|| FormatError::Invalid("the TCK header has no datatype".into()))?;
    let (width, big) = match datatype.as_str() {
        "Float32LE" => (4, false),
        "Float32BE" => (4, true),
        "Float64LE" => (8, false),
        "Float64BE" => (8, true),
        other => {
            return Err(FormatError::Unsupported(format!(
                "TCK datatype {other} (Float32LE/BE or Float64LE/BE are read)"
            )));
        }
    };
    let offset = offset
        .ok_or_else(|| FormatError::Invalid("the TCK header has no `file: . OFFSET`".into()))?;
    let header_end = (end + 5) as u64;
    if offset < header_end || offset > b.len() as u64 {
        return Err(FormatError::Invalid(format!(
            "the data offset {offset} is not between the header's end ({header_end}) and the file's end ({})",
            b.len()
        )));
    }
    let data = &b[offset as usize..];
    let triplet = 3 * width;
    let whole = data.len() / triplet;
    let value = |c: &[u8]| -> f32 {
        match (width, big) {
            (4, false) => f32::from_le_bytes(c.try_into().unwrap()),
            (4, true) => f32::from_be_bytes(c.try_into().unwrap()),
            (_, false) => f64::from_le_bytes(c.try_into().unwrap()) as f32,
            (_, true) => f64::from_be_bytes(c.try_into().unwrap()) as f32,
        }
    };
    let mut points = Vec::with_capacity(whole);
    let mut offsets = vec![0usize];
    let mut ended = false;
    for (k, t) in data.chunks_exact(triplet).enumerate() {
        let p = [
            value(&t[..width]),
            value(&t[width..2 * width]),
            value(&t[2 * width..]),
        ];
        if p.iter().all(|c| c.is_nan()) {
            // two separators in a row: an empty streamline, dropped (as nibabel does)
            if *offsets.last().unwrap() != points.len() {
                offsets.push(points.len());
            }
            continue;
        }
        if p.iter().all(|c| c.is_infinite()) {
            ended = true;
            break;
        }
        if p.iter().any(|c| !c.is_finite()) {
            return Err(FormatError::Invalid(format!(
                "triplet {k} of the track data mixes numbers with NaN or Inf"
            )));
        }
        points.push(p);
    }
    if !ended && !data.len().is_multiple_of(triplet) {
        return Err(FormatError::Truncated(format!(
            "the track data ends within a point ({} bytes after the last whole triplet, no end marker)",
            data.len() % triplet
        )));
    }
    // points after the last separator are a last streamline
    if *offsets.last().unwrap() != points.len() {
        offsets.push(points.len());
    }
    Ok(Tractogram {
        points,
        offsets,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// TRK

/// Read a TrackVis `.trk` file.
pub fn read_trk(src: &Source, limits: &Limits) -> Result<Tractogram, FormatError> {
    let b = read_all(src, limits)?;
    parse_trk(&b)
}

struct TrkHeader {
    dims: [i16; 3],
    voxel_size: [f32; 3],
    scalar_names: Vec<String>,
    property_names: Vec<String>,
    vox_to_ras: [[f64; 4]; 4],
    voxel_order: String,
    n_count: i32,
    order: ByteOrder,
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// A TRK name field (10 slots of 20 bytes) describing `n` values, as nibabel reads it: an
/// empty slot is unused; `name` is one value, `name\0K` (K a number) K values (`name_0` …);
/// values the names leave over are `fallback` (`scalars` / `properties`).
fn trk_names(field: &[u8], n: usize, fallback: &str) -> Result<Vec<String>, FormatError> {
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    let numbered = |out: &mut Vec<String>, name: &str, count: usize| {
        if count == 1 {
            out.push(name.to_string());
        } else {
            out.extend((0..count).map(|k| format!("{name}_{k}")));
        }
    };
    for slot in field.chunks_exact(20) {
        let end = slot.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
        if end == 0 {
            continue;
        }
        let parts: Vec<&[u8]> = slot[..end].split(|&c| c == 0).collect();
        let name = latin1(parts[0]);
        let count = match parts.as_slice() {
            [_] => 1,
            [_, k] => std::str::from_utf8(k)
                .ok()
                .and_then(|k| k.trim().parse::<usize>().ok())
                .ok_or_else(|| {
                    FormatError::Invalid(format!(
                        "{fallback} name {name:?} is followed by {:?}, not a count",
                        latin1(k)
                    ))
                })?,
            _ => {
                return Err(FormatError::Invalid(format!(
                    "{fallback} name slot {name:?} has characters after its count"
                )));
            }
        };
        let take = count.min(n - out.len());
        numbered(&mut out, &name, take);
        if out.len() == n {
            break;
        }
    }
    let left = n - out.len();
    if left > 0 {
        numbered(&mut out, fallback, left);
    }
    Ok(out)
}

fn parse_trk_header(b: &[u8]) -> Result<TrkHeader, FormatError> {
    if b.len() < 1000 {
        return Err(FormatError::Truncated(format!(
            "a TRK header is 1000 bytes, the file has {}",
            b.len()
        )));
    }
    if &b[..5] != b"TRACK" {
        return Err(FormatError::Invalid(
            "not a TRK file: it does not start with \"TRACK\"".into(),
        ));
    }
    let le = i32::from_le_bytes(b[996..1000].try_into().unwrap());
    let be = i32::from_be_bytes(b[996..1000].try_into().unwrap());
    let big = match (le, be) {
        (1000, _) => false,
        (_, 1000) => true,
        _ => {
            return Err(FormatError::Invalid(format!(
                "hdr_size is {le}, not 1000, in either byte order"
            )));
        }
    };
    let order = ByteOrder { big };
    let i16_at = |at| order.i16(b, at);
    let i32_at = |at| order.i32(b, at);
    let f32_at = |at| order.f32(b, at);
    let version = i32_at(992);
    // version 3 is read as 2 (nibabel does the same, with a warning)
    if !(1..=3).contains(&version) {
        return Err(FormatError::Unsupported(format!(
            "TRK version {version} (versions 1 and 2 are read, and 3 as 2)"
        )));
    }
    let dims = [i16_at(6), i16_at(8), i16_at(10)];
    let voxel_size = [f32_at(12), f32_at(16), f32_at(20)];
    if voxel_size.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(FormatError::Invalid(format!(
            "voxel sizes {voxel_size:?} are not positive numbers"
        )));
    }
    if dims.iter().any(|d| *d <= 0) {
        return Err(FormatError::Invalid(format!(
            "grid dimensions {dims:?} are not positive"
        )));
    }
    let n_scalars = i16_at(36);
    let n_properties = i16_at(238);
    if !(0..=1000).contains(&n_scalars) || !(0..=1000).contains(&n_properties) {
        return Err(FormatError::Invalid(format!(
            "{n_scalars} scalars per point / {n_properties} properties per streamline is not a count"
        )));
    }
    let scalar_names = trk_names(&b[38..238], n_scalars as usize, "scalars")?;
    let property_names = trk_names(&b[240..440], n_properties as usize, "properties")?;
    let mut vox_to_ras = [[0f64; 4]; 4];
    for (r, row) in vox_to_ras.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = f32_at(440 + 4 * (4 * r + c)) as f64;
        }
    }
    if version == 1 {
        // no matrix in a version 1 header: those bytes are reserved
        vox_to_ras = [[0.0; 4]; 4];
    }
    if vox_to_ras.iter().flatten().any(|v| !v.is_finite()) {
        return Err(FormatError::Invalid(
            "vox_to_ras holds NaN or infinite numbers".into(),
        ));
    }
    // version 1 files (and some writers) leave vox_to_ras zero: nibabel takes the identity
    if vox_to_ras[3][3] == 0.0 {
        vox_to_ras = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
    }
    let order_end = b[948..952].iter().position(|&c| c == 0).unwrap_or(4);
    let mut voxel_order = String::from_utf8_lossy(&b[948..948 + order_end])
        .trim()
        .to_ascii_uppercase();
    if voxel_order.is_empty() {
        voxel_order = "LPS".into();
    }
    Ok(TrkHeader {
        dims,
        voxel_size,
        scalar_names,
        property_names,
        vox_to_ras,
        voxel_order,
        n_count: i32_at(988),
        order: ByteOrder { big },
    })
}

/// Numbers in a TRK file's byte order (whatever makes `hdr_size` 1000).
#[derive(Clone, Copy)]
struct ByteOrder {
    big: bool,
}

impl ByteOrder {
    fn bytes<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
        b[at..at + N].try_into().unwrap()
    }
    fn i16(self, b: &[u8], at: usize) -> i16 {
        let v = Self::bytes(b, at);
        if self.big {
            i16::from_be_bytes(v)
        } else {
            i16::from_le_bytes(v)
        }
    }
    fn i32(self, b: &[u8], at: usize) -> i32 {
        let v = Self::bytes(b, at);
        if self.big {
            i32::from_be_bytes(v)
        } else {
            i32::from_le_bytes(v)
        }
    }
    fn f32(self, b: &[u8], at: usize) -> f32 {
        let v = Self::bytes(b, at);
        if self.big {
            f32::from_be_bytes(v)
        } else {
            f32::from_le_bytes(v)
        }
    }
}

/// An orientation as nibabel's `ornt`: for each voxel axis, (RAS axis, +1/−1).
type Ornt = [(usize, f64); 3];

fn axcodes_to_ornt(codes: &str) -> Result<Ornt, FormatError> {
    let chars: Vec<char> = codes.chars().collect();
    if chars.len() != 3 {
        return Err(FormatError::Invalid(format!(
            "voxel order {codes:?} is not three axis letters"
        )));
    }
    let mut o = [(0usize, 1f64); 3];
    for (k, c) in chars.iter().enumerate() {
        o[k] = match c {
            'L' => (0, -1.0),
            'R' => (0, 1.0),
            'P' => (1, -1.0),
            'A' => (1, 1.0),
            'I' => (2, -1.0),
            'S' => (2, 1.0),
            _ => {
                return Err(FormatError::Invalid(format!(
                    "voxel order {codes:?} has a letter other than L/R, P/A, I/S"
                )));
            }
        };
    }
    let mut seen = [false; 3];
    for (ax, _) in o {
        if std::mem::replace(&mut seen[ax], true) {
            return Err(FormatError::Invalid(format!(
                "voxel order {codes:?} names an axis twice"
            )));
        }
    }
    Ok(o)
}

/// The orientation an affine's voxel axes have (nibabel's `io_orientation`): the rotation
/// part without zooms, made orthogonal (its polar factor), each voxel axis then assigned the
/// world axis it is closest to, in order, each world axis used once.
fn affine_ornt(a: &[[f64; 4]; 4]) -> Result<Ornt, FormatError> {
    let mut r = [[0f64; 3]; 3];
    for c in 0..3 {
        let zoom = (0..3).map(|k| a[k][c] * a[k][c]).sum::<f64>().sqrt();
        let zoom = if zoom == 0.0 { 1.0 } else { zoom };
        for k in 0..3 {
            r[k][c] = a[k][c] / zoom;
        }
    }
    // the orthogonal polar factor by Newton's iteration R ← (R + R⁻ᵀ)/2
    let m = glam::DMat3::from_cols_array_2d(&r).transpose();
    let mut q = m;
    if m.determinant().abs() > 1e-9 {
        for _ in 0..100 {
            let next = (q + q.inverse().transpose()) * 0.5;
            let done = (next - q).to_cols_array().iter().all(|d| d.abs() < 1e-14);
            q = next;
            if done {
                break;
            }
        }
    }
    // q's column c is voxel axis c in world coordinates; columns are assigned in order of
    // their largest squared entry, largest first (ties keep their order), as nibabel does
    let mut cols = q.to_cols_array_2d();
    let mut order = [0usize, 1, 2];
    let peak = |c: &[f64; 3]| c.iter().map(|v| v * v).fold(0.0, f64::max);
    order.sort_by(|&i, &j| peak(&cols[j]).total_cmp(&peak(&cols[i])));
    let mut o = [(0usize, 1f64); 3];
    for c in order {
        let col = cols[c];
        if col.iter().all(|v| v.abs() < 1e-12) {
            return Err(FormatError::Invalid(
                "vox_to_ras is singular: its voxel axes have no orientation".into(),
            ));
        }
        let ax = (0..3)
            .max_by(|&i, &j| col[i].abs().total_cmp(&col[j].abs()))
            .unwrap();
        o[c] = (ax, if col[ax] < 0.0 { -1.0 } else { 1.0 });
        for other in cols.iter_mut() {
            other[ax] = 0.0;
        }
    }
    Ok(o)
}

/// The voxmm → RAS mm affine of a TRK header (see the module documentation).
fn trk_to_rasmm(h: &TrkHeader) -> Result<glam::DMat4, FormatError> {
    let scale = glam::DMat4::from_scale(glam::DVec3::new(
        1.0 / h.voxel_size[0] as f64,
        1.0 / h.voxel_size[1] as f64,
        1.0 / h.voxel_size[2] as f64,
    ));
    let half = glam::DMat4::from_translation(glam::DVec3::splat(-0.5));
    let from = axcodes_to_ornt(&h.voxel_order)?;
    let to = affine_ornt(&h.vox_to_ras)?;
    // nibabel's ornt_transform(from, to): for each input axis, where it goes and with which sign
    let mut ornt = [(0usize, 1f64); 3];
    for (to_in, (to_out, to_flip)) in to.iter().enumerate() {
        let k = from.iter().position(|(a, _)| a == to_out).ok_or_else(|| {
            FormatError::Invalid("voxel order and vox_to_ras disagree on the axes".into())
        })?;
        ornt[k] = (to_in, if from[k].1 == *to_flip { 1.0 } else { -1.0 });
    }
    // nibabel's inv_ornt_aff(ornt, dims): undo the flips (about the grid's centre) after
    // undoing the axis reordering
    let mut reorder = glam::DMat4::ZERO;
    let mut flip = glam::DMat4::IDENTITY;
    for (i, &(ax, sign)) in ornt.iter().enumerate() {
        // row i of the reordering is the unit row `ax`
        reorder.col_mut(ax)[i] = 1.0;
        let centre = -(h.dims[i] as f64 - 1.0) / 2.0;
        flip.col_mut(i)[i] = sign;
        flip.col_mut(3)[i] = sign * centre - centre;
    }
    reorder.col_mut(3)[3] = 1.0;
    let m = flip * reorder;
    let v2r = glam::DMat4::from_cols_array_2d(&h.vox_to_ras).transpose();
    Ok(v2r * m * half * scale)
}

/// Parse the bytes of a `.trk` file.
pub fn parse_trk(b: &[u8]) -> Result<Tractogram, FormatError> {
    let h = parse_trk_header(b)?;
    if h.n_count < 0 {
        return Err(FormatError::Invalid(format!(
            "the header's streamline count is negative ({})",
            h.n_count
        )));
    }
    let affine = trk_to_rasmm(&h)?;
    let ns = h.scalar_names.len();
    let np = h.property_names.len();
    let data = &b[1000..];
    let f = |at: usize| h.order.f32(data, at);
    // a streamline is at least 4 bytes: the count bounds what may be reserved
    if h.n_count as u64 * 4 > data.len() as u64 {
        return Err(FormatError::Truncated(format!(
            "the header counts {} streamlines but only {} bytes of data follow",
            h.n_count,
            data.len()
        )));
    }
    let per_point = 3 + ns;
    let mut points = Vec::new();
    let mut offsets = Vec::with_capacity(h.n_count as usize + 1);
    offsets.push(0);
    let mut scalars: Vec<Vec<f32>> = vec![Vec::new(); ns];
    let mut props: Vec<Vec<f32>> = vec![Vec::new(); np];
    let mut at = 0usize;
    // n_count 0 means "not counted": read to the end, as nibabel does
    while (h.n_count == 0 && at < data.len()) || offsets.len() <= h.n_count as usize {
        let s = offsets.len() - 1;
        if at + 4 > data.len() {
            return Err(FormatError::Truncated(format!(
                "streamline {s} of {}: the file ends before its point count",
                h.n_count
            )));
        }
        let n = h.order.i32(data, at);
        at += 4;
        if n < 0 {
            return Err(FormatError::Invalid(format!(
                "streamline {s} has a negative point count ({n})"
            )));
        }
        let need = (n as u64 * per_point as u64 + np as u64) * 4;
        if need > (data.len() - at) as u64 {
            return Err(FormatError::Truncated(format!(
                "streamline {s} has {n} points ({need} bytes) but {} bytes are left",
                data.len() - at
            )));
        }
        for _ in 0..n {
            let v = glam::DVec3::new(f(at) as f64, f(at + 4) as f64, f(at + 8) as f64);
            let p = affine.transform_point3(v);
            points.push([p.x as f32, p.y as f32, p.z as f32]);
            for (k, col) in scalars.iter_mut().enumerate() {
                col.push(f(at + 12 + 4 * k));
            }
            at += 4 * per_point;
        }
        for (k, col) in props.iter_mut().enumerate() {
            col.push(f(at + 4 * k));
        }
        at += 4 * np;
        offsets.push(points.len());
    }
    let t = Tractogram {
        points,
        offsets,
        point_data: h.scalar_names.into_iter().zip(scalars).collect(),
        streamline_data: h.property_names.into_iter().zip(props).collect(),
        reference: Some((
            h.vox_to_ras,
            [h.dims[0] as u32, h.dims[1] as u32, h.dims[2] as u32],
        )),
        ..Default::default()
    };
    t.validate().map_err(FormatError::Invalid)?;
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// TRX

/// Read a `.trx` file (a zip archive; a TRX directory is not read).
pub fn read_trx(src: &Source, limits: &Limits) -> Result<Tractogram, FormatError> {
    let b = read_all(src, limits)?;
    parse_trx(&b, limits)
}

/// The element type of a TRX array file, from its extension.
fn trx_dtype(ext: &str) -> Option<(usize, &'static str)> {
    Some(match ext {
        "float16" => (2, "float16"),
        "float32" => (4, "float32"),
        "float64" => (8, "float64"),
        "uint8" => (1, "uint8"),
        "uint16" => (2, "uint16"),
        "uint32" => (4, "uint32"),
        "uint64" => (8, "uint64"),
        "int8" => (1, "int8"),
        "int16" => (2, "int16"),
        "int32" => (4, "int32"),
        "int64" => (8, "int64"),
        _ => return None,
    })
}

/// Little-endian values of a TRX array as f64.
fn trx_values(bytes: &[u8], dtype: &str) -> Vec<f64> {
    match dtype {
        "float16" => bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f64())
            .collect(),
        "float32" => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        "float64" => bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        "uint8" => bytes.iter().map(|&v| v as f64).collect(),
        "int8" => bytes.iter().map(|&v| v as i8 as f64).collect(),
        "uint16" => bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]) as f64)
            .collect(),
        "int16" => bytes
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]) as f64)
            .collect(),
        "uint32" => bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        "int32" => bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        "uint64" => bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
    }
}

/// A TRX array entry's name split as `name[.N].dtype`.
fn trx_split(file: &str) -> Option<(&str, usize, &'static str, usize)> {
    let (rest, ext) = file.rsplit_once('.')?;
    let (width, dtype) = trx_dtype(ext)?;
    match rest.rsplit_once('.') {
        Some((name, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => {
            Some((name, n.parse().ok()?, dtype, width))
        }
        _ => Some((rest, 1, dtype, width)),
    }
}

/// Parse the bytes of a `.trx` zip.
pub fn parse_trx(b: &[u8], limits: &Limits) -> Result<Tractogram, FormatError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(b))
        .map_err(|e| FormatError::Invalid(format!("not a TRX zip archive: {e}")))?;
    // every entry by its path (a TRX zip may hold its arrays under one top-level folder)
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| FormatError::Invalid(format!("the TRX archive's entry names: {e}")))?;
    let root = names
        .iter()
        .find_map(|n| n.strip_suffix("header.json"))
        .filter(|r| r.is_empty() || r.ends_with('/'))
        .ok_or_else(|| FormatError::Invalid("the TRX archive has no header.json".into()))?
        .to_string();
    let mut read_entry = |name: &str, what: &str| -> Result<Vec<u8>, FormatError> {
        let mut f = zip
            .by_name(name)
            .map_err(|e| FormatError::Invalid(format!("{what} ({name}): {e}")))?;
        let size = f.size();
        limits.check(what, size)?;
        let mut out = Vec::with_capacity(size.min(b.len() as u64 * 1100) as usize);
        (&mut f)
            .take(size)
            .read_to_end(&mut out)
            .map_err(|e| FormatError::Invalid(format!("{what} ({name}): {e}")))?;
        if out.len() as u64 != size {
            return Err(FormatError::Truncated(format!(
                "{what} ({name}) holds {} of its {size} bytes",
                out.len()
            )));
        }
        Ok(out)
    };
    let header: serde_json::Value =
        serde_json::from_slice(&read_entry(&format!("{root}header.json"), "header.json")?)
            .map_err(|e| FormatError::Invalid(format!("header.json: {e}")))?;
    let count = |key: &str| -> Result<usize, FormatError> {
        header[key]
            .as_u64()
            .map(|v| v as usize)
            .ok_or_else(|| FormatError::Invalid(format!("header.json has no count {key}")))
    };
    let nb_streamlines = count("NB_STREAMLINES")?;
    let nb_vertices = count("NB_VERTICES")?;
    let mut reference = None;
    if let (Some(a), Some(d)) = (
        header["VOXEL_TO_RASMM"].as_array(),
        header["DIMENSIONS"].as_array(),
    ) {
        let mut m = [[0f64; 4]; 4];
        let rows_ok = a.len() == 4
            && a.iter().enumerate().all(|(r, row)| {
                row.as_array().is_some_and(|row| {
                    row.len() == 4
                        && row
                            .iter()
                            .enumerate()
                            .all(|(c, v)| v.as_f64().map(|v| m[r][c] = v).is_some())
                })
            });
        let dims: Vec<u32> = d
            .iter()
            .filter_map(|v| v.as_u64())
            .map(|v| v as u32)
            .collect();
        if rows_ok && dims.len() == 3 {
            reference = Some((m, [dims[0], dims[1], dims[2]]));
        }
    }
    let in_root: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix(root.as_str()))
        .map(str::to_string)
        .collect();
    let find = |prefix: &str| in_root.iter().find(|n| n.starts_with(prefix)).cloned();
    let pos_name = find("positions.")
        .ok_or_else(|| FormatError::Invalid("the TRX archive has no positions array".into()))?;
    let (_, n3, pdtype, pwidth) = trx_split(&pos_name)
        .filter(|(_, n, d, _)| *n == 3 && d.starts_with("float"))
        .ok_or_else(|| {
            FormatError::Invalid(format!(
                "{pos_name}: positions must be positions.3.float16/32/64"
            ))
        })?;
    let pos_bytes = read_entry(&format!("{root}{pos_name}"), "positions")?;
    if pos_bytes.len() as u64 != nb_vertices as u64 * (n3 * pwidth) as u64 {
        return Err(FormatError::Invalid(format!(
            "positions hold {} bytes, NB_VERTICES {nb_vertices} needs {}",
            pos_bytes.len(),
            nb_vertices as u64 * (n3 * pwidth) as u64
        )));
    }
    let pv = trx_values(&pos_bytes, pdtype);
    drop(pos_bytes);
    let points: Vec<[f32; 3]> = pv
        .chunks_exact(3)
        .map(|c| [c[0] as f32, c[1] as f32, c[2] as f32])
        .collect();
    drop(pv);
    let off_name = find("offsets.")
        .ok_or_else(|| FormatError::Invalid("the TRX archive has no offsets array".into()))?;
    let (_, _, odtype, owidth) = trx_split(&off_name)
        .filter(|(_, n, d, _)| *n == 1 && d.starts_with("uint"))
        .ok_or_else(|| {
            FormatError::Invalid(format!("{off_name}: offsets must be unsigned integers"))
        })?;
    let off_bytes = read_entry(&format!("{root}{off_name}"), "offsets")?;
    let n_off = off_bytes.len() / owidth;
    if off_bytes.len() % owidth != 0 || (n_off != nb_streamlines && n_off != nb_streamlines + 1) {
        return Err(FormatError::Invalid(format!(
            "offsets hold {} values for NB_STREAMLINES {nb_streamlines}",
            off_bytes.len() as f64 / owidth as f64
        )));
    }
    let mut offsets: Vec<usize> = trx_values(&off_bytes, odtype)
        .into_iter()
        .map(|v| v as usize)
        .collect();
    if offsets.len() == nb_streamlines {
        offsets.push(nb_vertices);
    }
    let mut t = Tractogram {
        points,
        offsets,
        reference,
        ..Default::default()
    };
    // per-vertex and per-streamline arrays, each column its own named series
    for (folder, per, n_items) in [("dpv/", true, nb_vertices), ("dps/", false, nb_streamlines)] {
        let entries: Vec<String> = in_root
            .iter()
            .filter(|n| n.starts_with(folder) && !n.ends_with('/'))
            .cloned()
            .collect();
        for e in entries {
            let file = &e[folder.len()..];
            let Some((name, cols, dtype, width)) = trx_split(file) else {
                continue;
            };
            let bytes = read_entry(&format!("{root}{e}"), folder.trim_end_matches('/'))?;
            if bytes.len() as u64 != (n_items * cols * width) as u64 {
                return Err(FormatError::Invalid(format!(
                    "{e}: {} bytes for {n_items} items × {cols} values of {dtype}",
                    bytes.len()
                )));
            }
            let v = trx_values(&bytes, dtype);
            for c in 0..cols {
                let col: Vec<f32> = v.iter().skip(c).step_by(cols).map(|&x| x as f32).collect();
                let label = if cols == 1 {
                    name.to_string()
                } else {
                    format!("{name}_{c}")
                };
                if per {
                    t.point_data.push((label, col));
                } else {
                    t.streamline_data.push((label, col));
                }
            }
        }
    }
    // groups: streamline indices per group, then values per group
    let mut group_files: Vec<String> = in_root
        .iter()
        .filter(|n| n.starts_with("groups/") && !n.ends_with('/'))
        .cloned()
        .collect();
    group_files.sort();
    for e in group_files {
        let file = &e["groups/".len()..];
        let Some((name, 1, dtype, width)) = trx_split(file) else {
            return Err(FormatError::Invalid(format!(
                "{e}: a group is one column of unsigned integers"
            )));
        };
        if !dtype.starts_with("uint") {
            return Err(FormatError::Invalid(format!(
                "{e}: group members must be unsigned integers, not {dtype}"
            )));
        }
        let bytes = read_entry(&format!("{root}{e}"), "groups")?;
        if bytes.len() % width != 0 {
            return Err(FormatError::Invalid(format!(
                "{e}: {} bytes is not a whole number of {dtype}",
                bytes.len()
            )));
        }
        let mut members = Vec::with_capacity(bytes.len() / width);
        for v in trx_values(&bytes, dtype) {
            if !(v >= 0.0 && (v as usize) < nb_streamlines) {
                return Err(FormatError::Invalid(format!(
                    "{e}: streamline {v} outside 0..{nb_streamlines}"
                )));
            }
            members.push(v as u32);
        }
        members.sort_unstable();
        members.dedup();
        let mut inside = vec![0f32; nb_streamlines];
        for &m in &members {
            inside[m as usize] = 1.0;
        }
        t.streamline_data.push((format!("group {name}"), inside));
        t.groups.push((name.to_string(), members));
    }
    let mut dpg: Vec<String> = in_root
        .iter()
        .filter(|n| n.starts_with("dpg/") && !n.ends_with('/'))
        .cloned()
        .collect();
    dpg.sort();
    for e in dpg {
        let Some((group, file)) = e["dpg/".len()..].split_once('/') else {
            continue;
        };
        if !t.groups.iter().any(|(g, _)| g == group) {
            return Err(FormatError::Invalid(format!(
                "{e}: values for a group the file does not have"
            )));
        }
        let Some((name, cols, dtype, width)) = trx_split(file) else {
            continue;
        };
        let bytes = read_entry(&format!("{root}{e}"), "dpg")?;
        if bytes.len() != cols * width {
            return Err(FormatError::Invalid(format!(
                "{e}: {} bytes for {cols} values of {dtype}",
                bytes.len()
            )));
        }
        let v: Vec<f32> = trx_values(&bytes, dtype)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        t.group_data.push((group.to_string(), name.to_string(), v));
    }
    t.validate().map_err(FormatError::Invalid)?;
    Ok(t)
}
