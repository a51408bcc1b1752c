//! Sampling a volume (3D or 4D) onto a surface, after FreeSurfer's `mri_vol2surf`:
//!
//! * **where**: with a white and a pial surface, along the ribbon between a vertex's white and
//!   pial positions — `projfrac f` samples at white + f·(pial − white), `projfrac-avg a b s`
//!   averages the samples at f = a, a + s, …, b (FreeSurfer's defaults for the average are
//!   0, 1, 0.1). FreeSurfer steps along the white surface's normal by f × thickness; the
//!   straight white → pial segment used here has the same end points and differs only where the
//!   pial vertex is not straight above its white vertex. With one surface, at the vertex.
//! * **how**: `nearest` (the voxel containing the point: index rounded) or `trilinear`
//!   (exact for fields linear in world coordinates — the test).
//! * Points outside the volume give NaN (no data), and `projfrac-avg` averages the samples
//!   that are inside; FreeSurfer writes 0 there instead.
//!
//! Surface coordinates are taken as world (RAS mm) coordinates as they are stored: FreeSurfer
//! binary surfaces hold tkregister RAS, so a scanner-space volume of the same subject needs its
//! c_ras offset; GIFTI and the bundled fsaverage5 are in the template's RAS.

use ndarray::ArrayView3;

use super::data::{Overlay, Volume};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interp {
    Nearest,
    Trilinear,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Projection {
    /// one fraction of the ribbon (0 = white, 1 = pial)
    Frac(f64),
    /// mean over fractions from, from + step, …, to
    FracAvg { from: f64, to: f64, step: f64 },
}

impl Projection {
    /// FreeSurfer's `--projfrac-avg 0 1 0.1`.
    pub const RIBBON_AVG: Projection = Projection::FracAvg {
        from: 0.0,
        to: 1.0,
        step: 0.1,
    };

    fn fractions(&self) -> Result<Vec<f64>, String> {
        match *self {
            Projection::Frac(f) if f.is_finite() => Ok(vec![f]),
            Projection::FracAvg { from, to, step }
                if from.is_finite() && to.is_finite() && step > 0.0 && to >= from =>
            {
                let n = ((to - from) / step + 1e-9).floor() as usize + 1;
                if n > 10_000 {
                    return Err(format!("projfrac-avg {from} {to} {step}: too many samples"));
                }
                Ok((0..n).map(|i| from + i as f64 * step).collect())
            }
            p => Err(format!("bad projection {p:?}")),
        }
    }
}

/// World → voxel index: the inverse of the volume's affine.
pub fn world_to_voxel(vol: &Volume) -> Result<glam::DMat4, String> {
    let a = &vol.affine;
    let m = glam::DMat4::from_cols_array_2d(&[
        [a[0][0], a[1][0], a[2][0], a[3][0]],
        [a[0][1], a[1][1], a[2][1], a[3][1]],
        [a[0][2], a[1][2], a[2][2], a[3][2]],
        [a[0][3], a[1][3], a[2][3], a[3][3]],
    ]);
    let det = m.determinant();
    if !(det.is_finite() && det.abs() > 1e-12) {
        return Err(format!(
            "the volume's affine is singular (determinant {det})"
        ));
    }
    Ok(m.inverse())
}

/// Sample every frame of `vol` at each vertex (one surface: `pial` None) or along the ribbon.
pub fn sample(
    vol: &Volume,
    white: &[[f32; 3]],
    pial: Option<&[[f32; 3]]>,
    projection: Projection,
    interp: Interp,
) -> Result<Overlay, String> {
    if let Some(p) = pial
        && p.len() != white.len()
    {
        return Err(format!(
            "white and pial surfaces differ: {} and {} vertices",
            white.len(),
            p.len()
        ));
    }
    let inv = world_to_voxel(vol)?;
    let fracs = match pial {
        Some(_) => projection.fractions()?,
        None => vec![0.0],
    };
    let frames = vol.n_frames();
    let n = white.len();
    // [frame, vertex]: an overlay's frames one after another
    let mut out = ndarray::Array2::from_elem((frames, n), f32::NAN);
    // voxel coordinates of every sample point, then each frame reads them
    let points: Vec<Vec<[f64; 3]>> = (0..n)
        .map(|i| {
            let w = glam::DVec3::from(white[i].map(f64::from));
            let p = pial.map_or(w, |p| glam::DVec3::from(p[i].map(f64::from)));
            fracs
                .iter()
                .map(|f| inv.transform_point3(w + (p - w) * *f).to_array())
                .collect()
        })
        .collect();
    for (t, mut row) in out.outer_iter_mut().enumerate() {
        let frame = vol.frame(t);
        for (i, pts) in points.iter().enumerate() {
            let (mut sum, mut k) = (0.0f64, 0usize);
            for v in pts {
                if let Some(x) = value_at(frame, *v, interp).filter(|x| x.is_finite()) {
                    sum += x;
                    k += 1;
                }
            }
            if k > 0 {
                row[i] = (sum / k as f64) as f32;
            }
        }
    }
    let mut o = Overlay::new(n, frames, out.into_raw_vec_and_offset().0);
    o.tr_seconds = vol.tr_seconds;
    Ok(o)
}

/// A frame's value at a continuous voxel index (None outside the volume): the voxel the point
/// falls in (index rounded), or trilinear.
pub fn value_at(frame: ArrayView3<f32>, v: [f64; 3], interp: Interp) -> Option<f64> {
    match interp {
        Interp::Nearest => {
            let (nx, ny, nz) = frame.dim();
            let r = v.map(|c| c.round());
            r.iter()
                .zip([nx, ny, nz])
                .all(|(c, d)| *c >= 0.0 && *c < d as f64)
                .then(|| frame[[r[0] as usize, r[1] as usize, r[2] as usize]] as f64)
        }
        Interp::Trilinear => trilinear(frame, v),
    }
}

/// Trilinear interpolation at a continuous voxel index; None outside [0, d − 1] on any axis
/// (a single-voxel axis only accepts 0).
fn trilinear(frame: ArrayView3<f32>, v: [f64; 3]) -> Option<f64> {
    let (nx, ny, nz) = frame.dim();
    let dims = [nx, ny, nz];
    let mut lo = [0usize; 3];
    let mut w = [0.0f64; 3];
    for a in 0..3 {
        let d = dims[a];
        if !(v[a] >= -1e-9 && v[a] <= (d - 1) as f64 + 1e-9) {
            return None;
        }
        let c = v[a].clamp(0.0, (d - 1) as f64);
        let l = (c.floor() as usize).min(d.saturating_sub(2));
        lo[a] = l;
        w[a] = if d == 1 { 0.0 } else { c - l as f64 };
    }
    let mut s = 0.0;
    for corner in 0..8 {
        let o = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
        let mut weight = 1.0;
        let mut idx = [0usize; 3];
        for a in 0..3 {
            let step = if dims[a] == 1 { 0 } else { o[a] };
            idx[a] = lo[a] + step;
            weight *= if o[a] == 1 { w[a] } else { 1.0 - w[a] };
        }
        if weight != 0.0 {
            s += weight * frame[idx] as f64;
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4-frame volume whose frame t holds f_t(x, y, z) = t + 0.5x − 2y + 0.25z + 3 at each
    /// voxel's world position, with an oblique, anisotropic affine.
    fn linear_volume() -> (Volume, impl Fn(usize, [f64; 3]) -> f64) {
        let (nx, ny, nz, nt) = (12, 10, 9, 4);
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let affine = [
            [1.5 * c, -2.0 * s, 0.0, -8.0],
            [1.5 * s, 2.0 * c, 0.0, -6.0],
            [0.0, 0.0, 1.2, -4.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let f = |t: usize, p: [f64; 3]| t as f64 + 0.5 * p[0] - 2.0 * p[1] + 0.25 * p[2] + 3.0;
        let mut vol = Volume {
            shape: vec![nx, ny, nz, nt],
            voxel_size_mm: [1.5, 2.0, 1.2],
            affine,
            dtype: "float32".into(),
            data: ndarray::Array4::zeros((0, 0, 0, 0)),
            tr_seconds: Some(2.0),
        };
        let mut data = Vec::with_capacity(nx * ny * nz * nt);
        for t in 0..nt {
            for z in 0..nz {
                for y in 0..ny {
                    for x in 0..nx {
                        data.push(f(t, vol.voxel_to_world([x as f64, y as f64, z as f64])) as f32);
                    }
                }
            }
        }
        vol.data = Volume::array(&vol.shape, data).unwrap();
        (vol, f)
    }

    #[test]
    fn trilinear_is_exact_for_linear_fields() {
        let (vol, f) = linear_volume();
        // points inside the volume, off the grid
        let pts: Vec<[f32; 3]> = (0..50)
            .map(|i| {
                let ijk = [
                    1.3 + (i % 9) as f64,
                    2.7 + (i % 6) as f64,
                    0.4 + (i % 7) as f64,
                ];
                vol.voxel_to_world(ijk).map(|x| x as f32)
            })
            .collect();
        let o = sample(&vol, &pts, None, Projection::Frac(0.0), Interp::Trilinear).unwrap();
        assert_eq!((o.n_vertices, o.n_frames, o.tr_seconds), (50, 4, Some(2.0)));
        for t in 0..4 {
            for (i, p) in pts.iter().enumerate() {
                let want = f(t, p.map(f64::from));
                assert!((o.frame(t)[i] as f64 - want).abs() < 1e-3, "{t} {i}");
            }
        }
        // outside: no data
        let far = [[500.0f32, 0.0, 0.0]];
        let o = sample(&vol, &far, None, Projection::Frac(0.0), Interp::Trilinear).unwrap();
        assert!(o.values.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn ribbon_fraction_average_matches_a_hand_computation() {
        let (vol, f) = linear_volume();
        let white = vol.voxel_to_world([3.0, 3.0, 3.0]);
        let pial = vol.voxel_to_world([5.0, 4.0, 3.5]);
        let (w, p) = ([white.map(|x| x as f32)], [pial.map(|x| x as f32)]);
        let avg = sample(
            &vol,
            &w,
            Some(&p),
            Projection::RIBBON_AVG,
            Interp::Trilinear,
        )
        .unwrap();
        // a linear field averaged over 0, 0.1, …, 1 of a segment is its value at the middle
        let mid = std::array::from_fn(|a| (white[a] + pial[a]) / 2.0);
        assert!((avg.frame(1)[0] as f64 - f(1, mid)).abs() < 1e-3);
        let frac = sample(
            &vol,
            &w,
            Some(&p),
            Projection::Frac(0.25),
            Interp::Trilinear,
        )
        .unwrap();
        let q = std::array::from_fn(|a| white[a] + 0.25 * (pial[a] - white[a]));
        assert!((frac.frame(0)[0] as f64 - f(0, q)).abs() < 1e-3);
        // nearest reads the voxel the point falls in: at a voxel centre, its value
        let near = sample(&vol, &w, None, Projection::Frac(0.0), Interp::Nearest).unwrap();
        assert!((near.frame(2)[0] as f64 - f(2, white)).abs() < 1e-3);
        assert!(
            sample(
                &vol,
                &w,
                Some(&[[0.0; 3], [0.0; 3]]),
                Projection::Frac(0.5),
                Interp::Nearest
            )
            .is_err()
        );
    }
}
