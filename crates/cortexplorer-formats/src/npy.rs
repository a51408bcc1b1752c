//! NumPy `.npy` per-vertex data (issue 5, recorded activity): a 1-D array (one value per
//! vertex) or a 2-D array read as **vertices × time points** (one frame per column), in any
//! float (f2, f4, f8) or integer dtype, either byte order, C or Fortran order — converted to
//! f32 as `numpy.asarray(a, dtype=float32)` would. The header (via `npyz`) is checked against
//! the file's length before anything is allocated. Rows are vertices: a time × vertices array
//! loads with the wrong vertex count, which the scene refuses when the layer is attached,
//! saying how many values it found (transpose it with `a.T`).

use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use npyz::{NpyFile, Order, TypeChar};

use super::source::{Limits, Source, read_all};
use super::{Content, FormatError};
use crate::data::Overlay;

/// A 1-D/2-D array is per-vertex data; a 3-D `[queries, h, w]` or 4-D `[images, queries, h, w]`
/// array is image-patch routing weights ([`crate::weights`]); a file whose name says `matrix`,
/// `connectivity`, `conn` or `regions` holding `[N, N]` or `[T, N, N]` is a region routing
/// matrix ([`crate::regions`]).
pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let bytes = read_all(src, limits)?;
    let a = parse_array(&bytes, 4)?;
    let lower = src.file_name().to_ascii_lowercase();
    let regional = ["matrix", "connectivity", "conn", "regions"]
        .iter()
        .any(|k| lower.contains(k));
    if regional {
        if !(a.ndim() == 3 || a.ndim() == 2) {
            return Err(FormatError::Invalid(format!(
                "the name says region matrix, which is [N, N] or [T, N, N]; this array is {:?}",
                a.shape()
            )));
        }
        return crate::regions::RegionMatrix::from_array(a)
            .map(Content::RegionMatrix)
            .map_err(FormatError::Invalid);
    }
    if a.ndim() >= 3 {
        return crate::weights::PatchWeights::from_array(a)
            .map(Content::RoutingWeights)
            .map_err(FormatError::Invalid);
    }
    parse(&bytes).map(Content::Overlay)
}

/// Before the header is parsed: a plain-number array's header is a flat dict holding one
/// tuple, so brackets nest at most a few levels; a header nesting deeper (a hostile file)
/// would cost the parser time exponential in the depth.
fn check_header_text(bytes: &[u8]) -> Result<(), FormatError> {
    let (len, start) = match bytes.get(6) {
        Some(1) if bytes.len() >= 10 => {
            (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize)
        }
        Some(2 | 3) if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Ok(()), // npyz reports the version or the truncation
    };
    let header = &bytes[start..(start.saturating_add(len)).min(bytes.len())];
    let mut depth = 0usize;
    for &b in header {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > 8 {
                    return Err(FormatError::Invalid(
                        "bad .npy header: brackets nest more than 8 deep".into(),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // the element count must fit in 64 bits (npyz multiplies the shape unchecked)
    let text = String::from_utf8_lossy(header);
    if let Some(at) = text.find("'shape'")
        && let Some(open) = text[at..].find('(').map(|i| at + i + 1)
        && let Some(close) = text[open..].find(')').map(|i| open + i)
    {
        let mut count: u64 = 1;
        for d in text[open..close]
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            if let Ok(d) = d.parse::<u64>() {
                count = count.checked_mul(d).ok_or_else(|| {
                    FormatError::Invalid(format!(
                        "bad .npy header: shape ({}) overflows",
                        &text[open..close]
                    ))
                })?;
            }
        }
    }
    Ok(())
}

/// Any plain-number .npy array (f2/f4/f8, integers; either order, either byte order) with at
/// most `max_dims` dimensions, converted to f32 — an ndarray indexed as NumPy indexes it, in
/// the file's memory order (a Fortran-order file gives a Fortran-layout array); the header is
/// checked against the data length before anything is allocated.
pub fn parse_array(bytes: &[u8], max_dims: usize) -> Result<ArrayD<f32>, FormatError> {
    if !bytes.starts_with(b"\x93NUMPY") {
        return Err(FormatError::Invalid(
            "not a NumPy .npy file (no \\x93NUMPY magic)".into(),
        ));
    }
    check_header_text(bytes)?;
    let mut data = bytes;
    let header = npyz::NpyHeader::from_reader(&mut data)
        .map_err(|e| FormatError::Invalid(format!("bad .npy header: {e}")))?;
    let npy = NpyFile::with_header(header, data);
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    if shape.is_empty() || shape.len() > max_dims {
        return Err(FormatError::Unsupported(format!(
            "array of shape {shape:?}: expected 1 to {max_dims} dimensions"
        )));
    }
    let npyz::DType::Plain(ty) = npy.dtype() else {
        return Err(FormatError::Unsupported(
            "structured or array dtype: expected plain numbers".into(),
        ));
    };
    let size = ty.size_field() as usize;
    let supported = matches!(
        (ty.type_char(), size),
        (TypeChar::Float, 2 | 4 | 8) | (TypeChar::Int | TypeChar::Uint, 1 | 2 | 4 | 8)
    );
    if !supported {
        return Err(FormatError::Unsupported(format!(
            "dtype {ty}: expected a float (f2, f4, f8) or integer type"
        )));
    }
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|c| c.checked_mul(size).is_some())
        .ok_or_else(|| FormatError::Invalid(format!("shape {shape:?} overflows")))?;
    let have = data.len() as u64;
    if (count * size) as u64 > have {
        return Err(FormatError::Truncated(format!(
            "shape {shape:?} of {ty} needs {} bytes of data, the file has {have}",
            count * size
        )));
    }
    if count == 0 {
        return Err(FormatError::Invalid(format!(
            "empty array, shape {shape:?}"
        )));
    }
    let order = npy.order();
    let values: Vec<f32> = match (ty.type_char(), size) {
        (TypeChar::Float, 2) => convert::<npyz::half::f16>(npy, |x| x.to_f32())?,
        (TypeChar::Float, 4) => convert::<f32>(npy, |x| x)?,
        (TypeChar::Float, 8) => convert::<f64>(npy, |x| x as f32)?,
        (TypeChar::Int, 1) => convert::<i8>(npy, |x| x as f32)?,
        (TypeChar::Int, 2) => convert::<i16>(npy, |x| x as f32)?,
        (TypeChar::Int, 4) => convert::<i32>(npy, |x| x as f32)?,
        (TypeChar::Int, _) => convert::<i64>(npy, |x| x as f32)?,
        (TypeChar::Uint, 1) => convert::<u8>(npy, |x| x as f32)?,
        (TypeChar::Uint, 2) => convert::<u16>(npy, |x| x as f32)?,
        (TypeChar::Uint, 4) => convert::<u32>(npy, |x| x as f32)?,
        (_, _) => convert::<u64>(npy, |x| x as f32)?,
    };
    let dims = IxDyn(&shape).set_f(order == Order::Fortran);
    ArrayD::from_shape_vec(dims, values)
        .map_err(|e| FormatError::Invalid(format!("shape {shape:?}: {e}")))
}

pub fn parse(bytes: &[u8]) -> Result<Overlay, FormatError> {
    let a = parse_array(bytes, 2).map_err(|e| match e {
        FormatError::Unsupported(m) if m.contains("dimensions") => {
            FormatError::Unsupported(m.replace(
                "expected 1 to 2 dimensions",
                "expected (vertices,) or (vertices, time points)",
            ))
        }
        e => e,
    })?;
    let (nv, nt) = match a.shape() {
        [v] => (*v, 1),
        [v, t] => (*v, *t),
        _ => unreachable!("at most 2 dimensions"),
    };
    // an overlay stores its frames one after another: the (time, vertex) transpose in order
    let frames: Vec<f32> = a.t().iter().copied().collect();
    Ok(Overlay::new(nv, nt, frames))
}

/// Write per-vertex values as .npy, float32: shape (vertices,) for one frame, (vertices,
/// time points) for a series — what [`parse`] reads back.
pub fn write(o: &Overlay, w: &mut impl std::io::Write) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let shape: Vec<u64> = if o.n_frames > 1 {
        vec![o.n_vertices as u64, o.n_frames as u64]
    } else {
        vec![o.n_vertices as u64]
    };
    let mut out = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&shape)
        .writer(w)
        .begin_nd()?;
    for v in 0..o.n_vertices {
        for t in 0..o.n_frames {
            out.push(&o.frame(t)[v])?;
        }
    }
    out.finish()
}

fn convert<T: npyz::Deserialize>(
    npy: NpyFile<&[u8]>,
    f: impl Fn(T) -> f32,
) -> Result<Vec<f32>, FormatError> {
    let data = npy
        .data::<T>()
        .map_err(|e| FormatError::Invalid(format!("dtype: {e}")))?;
    data.map(|x| {
        x.map(&f)
            .map_err(|e| FormatError::Truncated(format!("data: {e}")))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An .npy as numpy writes it (format 1.0, header padded to 64 bytes).
    fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn hostile_headers_are_refused_before_the_parser() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let t = std::time::Instant::now();
        let e = parse_array(&npy(&deep, false, "(3,)", &[0; 12]), 4).unwrap_err();
        assert!(e.to_string().contains("nest"), "{e}");
        assert!(t.elapsed().as_secs() < 1);
        let big = 1u64 << 62;
        let e = parse_array(
            &npy("<f4", false, &format!("({big}, {big}, 16)"), &[0; 64]),
            4,
        )
        .unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
    }

    #[test]
    fn dtypes_orders_and_refusals() {
        // 2 vertices × 3 time points [[0, 1, 2], [10, 11, 12]] as little-endian f4, C order
        let c: Vec<u8> = [0f32, 1., 2., 10., 11., 12.]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let o = parse(&npy("<f4", false, "(2, 3)", &c)).unwrap();
        assert_eq!((o.n_vertices, o.n_frames), (2, 3));
        assert_eq!(o.frame(1), &[1.0, 11.0]);
        // the same array big-endian f8 in Fortran order (column by column)
        let f: Vec<u8> = [0f64, 10., 1., 11., 2., 12.]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect();
        let o2 = parse(&npy(">f8", true, "(2, 3)", &f)).unwrap();
        assert_eq!(o2.values, o.values);
        // half floats and integers, one value per vertex
        let h: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| npyz::half::f16::from_f32(*x).to_le_bytes())
            .collect();
        assert_eq!(
            parse(&npy("<f2", false, "(2,)", &h)).unwrap().values,
            [1.5, -2.0]
        );
        let i: Vec<u8> = [-3i16, 7].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(
            parse(&npy("<i2", false, "(2,)", &i)).unwrap().values,
            [-3.0, 7.0]
        );
        // refusals name the problem
        let err = |b: &[u8]| parse(b).unwrap_err().to_string();
        assert!(err(&npy("<f4", false, "(2, 3)", &c[..20])).contains("needs 24 bytes"));
        assert!(err(&npy("<f4", false, "(4000000000, 4000000000)", &c)).contains("overflows"));
        assert!(err(&npy("<f4", false, "(1, 2, 3)", &c)).contains("expected (vertices,)"));
        assert!(err(&npy("<U4", false, "(2,)", &c)).contains("dtype"));
        assert!(err(b"PK\x03\x04").contains("magic"));
        assert!(err(&npy("<f4", false, "(0,)", &[])).contains("empty"));
        // what write() writes, parse() reads back
        let mut buf = Vec::new();
        write(&o, &mut buf).unwrap();
        assert_eq!(parse(&buf).unwrap().values, o.values);
    }
}
