//! NIfTI-1 and NIfTI-2 single-file images (`.nii`, `.nii.gz`).
//!
//! NIfTI-1 headers are decoded by the `nifti` crate (which also detects the byte order);
//! NIfTI-2 (540-byte header, 64-bit dims) is decoded here from the published layout. Both feed
//! one [`Header`] so data, scaling and affines follow a single path, matching nibabel 5:
//! * affine: sform if `sform_code != 0`, else qform if `qform_code != 0` (quaternion with
//!   `qfac = pixdim[0]`, an invalid qfac taken as 1 as nibabel's header check does), else the
//!   "base" affine `diag(-dx, dy, dz)` centred on `(shape − 1)/2`;
//! * scaling: `scl_slope` 0 or non-finite means unscaled; otherwise `v·slope + inter`;
//! * data types: every real numeric type (u8 … f64); complex and RGB are refused.

use std::io::Read;

use super::source::{Limits, Source, checked_product, finish_compressed, read_exact_growing};
use super::{Content, Format, FormatError};
use crate::{Overlay, Volume};

/// The fields of a NIfTI-1 or -2 header this program uses, widened to 64 bits.
#[derive(Clone, Debug)]
pub struct Header {
    pub version: u8,
    pub little_endian: bool,
    pub dim: [i64; 8],
    pub datatype: i16,
    pub pixdim: [f64; 8],
    pub vox_offset: f64,
    pub scl_slope: f64,
    pub scl_inter: f64,
    pub qform_code: i32,
    pub sform_code: i32,
    pub quatern: [f64; 3],
    pub qoffset: [f64; 3],
    pub srow: [[f64; 4]; 3],
    pub xyzt_units: i32,
    /// NIFTI_INTENT_* code (CIFTI-2 files use 3000–3099)
    pub intent_code: i32,
}

/// Which NIfTI version a file is, from its `sizeof_hdr` field.
pub fn sniff_version(src: &Source) -> Result<Format, FormatError> {
    let (mut s, _) = src.open()?;
    let mut b = [0u8; 4];
    s.read_exact(&mut b)
        .map_err(|_| FormatError::Truncated("file is shorter than a NIfTI header".into()))?;
    match (i32::from_le_bytes(b), i32::from_be_bytes(b)) {
        (348, _) | (_, 348) => Ok(Format::Nifti1),
        (540, _) | (_, 540) => Ok(Format::Nifti2),
        (v, _) => Err(FormatError::Invalid(format!(
            "not a NIfTI file (sizeof_hdr is {v}, expected 348 or 540)"
        ))),
    }
}

fn header_v1(bytes: &[u8]) -> Result<Header, FormatError> {
    let h = nifti::NiftiHeader::from_reader(bytes)
        .map_err(|e| FormatError::Invalid(format!("NIfTI-1 header: {e}")))?;
    Ok(Header {
        version: 1,
        little_endian: h.endianness == nifti::Endianness::Little,
        dim: h.dim.map(|d| d as i16 as i64),
        datatype: h.datatype,
        pixdim: h.pixdim.map(|p| p as f64),
        vox_offset: h.vox_offset as f64,
        scl_slope: h.scl_slope as f64,
        scl_inter: h.scl_inter as f64,
        qform_code: h.qform_code as i32,
        sform_code: h.sform_code as i32,
        quatern: [h.quatern_b, h.quatern_c, h.quatern_d].map(|q| q as f64),
        qoffset: [h.quatern_x, h.quatern_y, h.quatern_z].map(|q| q as f64),
        srow: [h.srow_x, h.srow_y, h.srow_z].map(|r| r.map(|x| x as f64)),
        xyzt_units: h.xyzt_units as i32,
        intent_code: h.intent_code as i32,
    })
}

pub(crate) fn header_v2(b: &[u8]) -> Result<Header, FormatError> {
    if b.len() < 540 {
        return Err(FormatError::Truncated(
            "NIfTI-2 header needs 540 bytes".into(),
        ));
    }
    let little = i32::from_le_bytes(b[0..4].try_into().unwrap()) == 540;
    let i16_at = |o: usize| {
        let a = [b[o], b[o + 1]];
        if little {
            i16::from_le_bytes(a)
        } else {
            i16::from_be_bytes(a)
        }
    };
    let i32_at = |o: usize| {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap();
        if little {
            i32::from_le_bytes(a)
        } else {
            i32::from_be_bytes(a)
        }
    };
    let i64_at = |o: usize| {
        let a: [u8; 8] = b[o..o + 8].try_into().unwrap();
        if little {
            i64::from_le_bytes(a)
        } else {
            i64::from_be_bytes(a)
        }
    };
    let f64_at = |o: usize| {
        let a: [u8; 8] = b[o..o + 8].try_into().unwrap();
        if little {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        }
    };
    if &b[4..7] != b"n+2" && &b[4..7] != b"ni2" {
        return Err(FormatError::Invalid("NIfTI-2 magic is not 'n+2'".into()));
    }
    Ok(Header {
        version: 2,
        little_endian: little,
        dim: std::array::from_fn(|k| i64_at(16 + 8 * k)),
        datatype: i16_at(12),
        pixdim: std::array::from_fn(|k| f64_at(104 + 8 * k)),
        vox_offset: i64_at(168) as f64,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        qform_code: i32_at(344),
        sform_code: i32_at(348),
        quatern: [f64_at(352), f64_at(360), f64_at(368)],
        qoffset: [f64_at(376), f64_at(384), f64_at(392)],
        srow: std::array::from_fn(|r| std::array::from_fn(|c| f64_at(400 + 32 * r + 8 * c))),
        xyzt_units: i32_at(500),
        intent_code: i32_at(504),
    })
}

/// (bytes per value, nibabel dtype name) for a NIfTI datatype code.
pub(crate) fn dtype(code: i16) -> Result<(usize, &'static str), FormatError> {
    Ok(match code {
        2 => (1, "uint8"),
        4 => (2, "int16"),
        8 => (4, "int32"),
        16 => (4, "float32"),
        64 => (8, "float64"),
        256 => (1, "int8"),
        512 => (2, "uint16"),
        768 => (4, "uint32"),
        1024 => (8, "int64"),
        1280 => (8, "uint64"),
        32 | 1792 | 2048 => return Err(FormatError::Unsupported("complex NIfTI data".into())),
        128 | 2304 => return Err(FormatError::Unsupported("RGB NIfTI data".into())),
        c => return Err(FormatError::Unsupported(format!("NIfTI datatype code {c}"))),
    })
}

pub(crate) fn decode(raw: &[u8], code: i16, little: bool) -> Vec<f32> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            raw.chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().unwrap();
                    (if little {
                        <$t>::from_le_bytes(a)
                    } else {
                        <$t>::from_be_bytes(a)
                    }) as f32
                })
                .collect()
        };
    }
    match code {
        2 => raw.iter().map(|&b| b as f32).collect(),
        256 => raw.iter().map(|&b| b as i8 as f32).collect(),
        4 => conv!(i16, 2),
        512 => conv!(u16, 2),
        8 => conv!(i32, 4),
        768 => conv!(u32, 4),
        16 => conv!(f32, 4),
        64 => conv!(f64, 8),
        1024 => conv!(i64, 8),
        1280 => conv!(u64, 8),
        _ => unreachable!("checked by dtype()"),
    }
}

impl Header {
    pub fn shape(&self) -> Result<Vec<usize>, FormatError> {
        let nd = self.dim[0];
        if !(1..=7).contains(&nd) {
            return Err(FormatError::Invalid(format!(
                "dim[0] is {nd}; must be 1..7"
            )));
        }
        let mut shape = Vec::new();
        for k in 1..=nd as usize {
            let d = self.dim[k];
            if d <= 0 {
                return Err(FormatError::Invalid(format!(
                    "dimension {k} is {d}; all must be positive"
                )));
            }
            shape.push(d as usize);
        }
        Ok(shape)
    }

    /// nibabel's `get_best_affine()`.
    pub fn affine(&self, shape: &[usize]) -> Result<[[f64; 4]; 4], FormatError> {
        let mut a = [[0.0; 4]; 4];
        a[3][3] = 1.0;
        if self.sform_code != 0 {
            a[..3].copy_from_slice(&self.srow);
        } else if self.qform_code != 0 {
            let [b, c, d] = self.quatern;
            let w2 = 1.0 - (b * b + c * c + d * d);
            let w = if w2 < 0.0 {
                if w2 < -3.0 * f32::EPSILON as f64 {
                    return Err(FormatError::Invalid(
                        "qform quaternion has norm above 1".into(),
                    ));
                }
                0.0
            } else {
                w2.sqrt()
            };
            let r = quat_to_mat(w, b, c, d);
            let vox = [self.pixdim[1], self.pixdim[2], self.pixdim[3]];
            if vox.iter().any(|v| *v < 0.0) {
                return Err(FormatError::Invalid(
                    "qform: pixdim[1..3] must be positive".into(),
                ));
            }
            let qfac = if self.pixdim[0] == -1.0 { -1.0 } else { 1.0 };
            let s = [vox[0], vox[1], vox[2] * qfac];
            for (row, out) in r.iter().zip(a.iter_mut()) {
                for col in 0..3 {
                    out[col] = row[col] * s[col];
                }
            }
            for (k, out) in a.iter_mut().take(3).enumerate() {
                out[3] = self.qoffset[k];
            }
        } else {
            let mut zooms = [1.0f64; 3];
            let mut dims = [1usize; 3];
            let nd = shape.len().min(3);
            zooms[..nd].copy_from_slice(&self.pixdim[1..=nd]);
            dims[..nd].copy_from_slice(&shape[..nd]);
            zooms[0] = -zooms[0];
            for k in 0..3 {
                a[k][k] = zooms[k];
                a[k][3] = -((dims[k] as f64 - 1.0) / 2.0) * zooms[k];
            }
        }
        if a.iter().flatten().any(|v| !v.is_finite()) {
            return Err(FormatError::Invalid("affine contains NaN/inf".into()));
        }
        Ok(a)
    }

    /// (slope, intercept) as nibabel applies them, or `None` for unscaled data.
    pub fn scaling(&self) -> Result<Option<(f64, f64)>, FormatError> {
        if self.scl_slope == 0.0 || !self.scl_slope.is_finite() {
            return Ok(None);
        }
        if !self.scl_inter.is_finite() {
            return Err(FormatError::Invalid(format!(
                "valid scl_slope but invalid scl_inter {}",
                self.scl_inter
            )));
        }
        Ok(Some((self.scl_slope, self.scl_inter)))
    }
}

/// Rotation matrix of a unit quaternion (w, x, y, z), as in nibabel's `quat2mat`.
fn quat_to_mat(w: f64, x: f64, y: f64, z: f64) -> [[f64; 3]; 3] {
    let nq = w * w + x * x + y * y + z * z;
    if nq < f64::EPSILON {
        return [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]];
    }
    let s = 2.0 / nq;
    let (xs, ys, zs) = (x * s, y * s, z * s);
    let (wx, wy, wz) = (w * xs, w * ys, w * zs);
    let (xx, xy, xz) = (x * xs, x * ys, x * zs);
    let (yy, yz, zz) = (y * ys, y * zs, z * zs);
    [
        [1.0 - (yy + zz), xy - wz, xz + wy],
        [xy + wz, 1.0 - (xx + zz), yz - wx],
        [xz - wy, yz + wx, 1.0 - (xx + yy)],
    ]
}

/// Read a `.nii` / `.nii.gz` file.
pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let (mut stream, file_len) = src.open()?;
    let first = read_exact_growing(&mut stream, 4, "NIfTI header")?;
    let v2 = matches!(
        (
            i32::from_le_bytes(first[..4].try_into().unwrap()),
            i32::from_be_bytes(first[..4].try_into().unwrap())
        ),
        (540, _) | (_, 540)
    );
    let hsize = if v2 { 540 } else { 348 };
    let mut head = first;
    head.extend(read_exact_growing(&mut stream, hsize - 4, "NIfTI header")?);
    let h = if v2 {
        header_v2(&head)?
    } else {
        header_v1(&head)?
    };
    let shape = h.shape()?;
    let (bpv, dtype_name) = dtype(h.datatype)?;
    let n = checked_product(
        "NIfTI data",
        &shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
    )?;
    let nbytes = checked_product("NIfTI data", &[n, bpv as u64])?;
    limits.check("NIfTI data", nbytes)?;
    if !(h.vox_offset.is_finite() && h.vox_offset >= hsize as f64 && h.vox_offset < 1e12) {
        return Err(FormatError::Invalid(format!(
            "vox_offset {} is not a valid data offset",
            h.vox_offset
        )));
    }
    let offset = h.vox_offset as u64;
    if let Some(len) = file_len
        && offset + nbytes > len
    {
        return Err(FormatError::Truncated(format!(
            "shape {shape:?} of {dtype_name} needs {nbytes} bytes at offset {offset}, the file has {len}"
        )));
    }
    // Skip extensions up to the data.
    let skip = offset - hsize;
    let skipped = std::io::copy(&mut (&mut stream).take(skip), &mut std::io::sink())?;
    if skipped < skip {
        return Err(FormatError::Truncated("file ends before vox_offset".into()));
    }
    let raw = read_exact_growing(&mut stream, nbytes, "NIfTI data")?;
    finish_compressed(&mut stream, file_len.is_none(), 16 << 20)?;
    let mut data = decode(&raw, h.datatype, h.little_endian);
    drop(raw);
    if let Some((slope, inter)) = h.scaling()? {
        for v in &mut data {
            *v = (*v as f64 * slope + inter) as f32;
        }
    }
    let affine = h.affine(&shape)?;
    // Time unit: xyzt_units bits 3..5 (8 = s, 16 = ms, 24 = µs).
    let tr_seconds = (shape.len() >= 4 && h.pixdim[4] > 0.0).then(|| {
        let scale = match h.xyzt_units & 0x38 {
            16 => 1e-3,
            24 => 1e-6,
            _ => 1.0,
        };
        (h.pixdim[4] * scale) as f32
    });
    let dims3 = [
        shape[0],
        *shape.get(1).unwrap_or(&1),
        *shape.get(2).unwrap_or(&1),
    ];
    if dims3[1] == 1 && dims3[2] == 1 && shape.len() <= 4 {
        let frames = shape.get(3).copied().unwrap_or(1);
        let mut o = Overlay::new(dims3[0], frames, data);
        o.tr_seconds = tr_seconds;
        return Ok(Content::Overlay(o));
    }
    let voxel_size_mm = std::array::from_fn(|k| {
        if k < shape.len() {
            h.pixdim[k + 1]
        } else {
            1.0
        }
    });
    Ok(Content::Volume(Volume {
        data: Volume::array(&shape, data).map_err(FormatError::Invalid)?,
        shape,
        voxel_size_mm,
        affine,
        dtype: dtype_name.into(),
        tr_seconds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quaternion_identity_and_flip() {
        let r = quat_to_mat(1.0, 0.0, 0.0, 0.0);
        assert_eq!(r, [[1., 0., 0.], [0., 1., 0.], [0., 0., 1.]]);
        // 180° about z: (w=0, z=1)
        let r = quat_to_mat(0.0, 0.0, 0.0, 1.0);
        assert_eq!(r[0][0], -1.0);
        assert_eq!(r[1][1], -1.0);
        assert_eq!(r[2][2], 1.0);
    }

    #[test]
    fn base_affine_is_centred_and_x_flipped() {
        let h = Header {
            version: 1,
            little_endian: true,
            dim: [3, 4, 5, 7, 1, 1, 1, 1],
            datatype: 2,
            pixdim: [1., 2., 3., 4., 1., 1., 1., 1.],
            vox_offset: 352.,
            scl_slope: 0.,
            scl_inter: 0.,
            qform_code: 0,
            sform_code: 0,
            quatern: [0.; 3],
            qoffset: [0.; 3],
            srow: [[0.; 4]; 3],
            xyzt_units: 0,
            intent_code: 0,
        };
        let a = h.affine(&[4, 5, 7]).unwrap();
        assert_eq!(a[0], [-2., 0., 0., 3.]);
        assert_eq!(a[1], [0., 3., 0., -6.]);
        assert_eq!(a[2], [0., 0., 4., -12.]);
        assert_eq!(h.scaling().unwrap(), None);
    }
}
