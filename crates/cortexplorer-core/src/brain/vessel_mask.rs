//! Vessels from a segmentation volume — the usual output of angiography pipelines (TOF-MRA,
//! SWI/venography, contrast T1): a binary mask, or a probability / vesselness map with a
//! threshold. The planner's constraint is the Euclidean distance (mm) from a point to the
//! nearest vessel voxel.
//!
//! **Distance transform.** Computed once per mask: the exact squared Euclidean distance
//! transform of Felzenszwalb & Huttenlocher (2012, *Theory of Computing* 8:415), run along
//! each voxel axis in turn with that axis' voxel spacing (the length of the affine's column),
//! so anisotropic voxels are measured in millimetres. Distances are between voxel centres (as
//! `scipy.ndimage.distance_transform_edt(~mask, sampling=zooms)` gives them). The field is
//! *signed*: outside the mask the distance to the nearest vessel voxel, inside minus the
//! distance to the nearest non-vessel voxel, so a contact inside a vessel is a violation and
//! its gradient points out of the vessel. Rotated (oblique) affines are exact: the voxel axes
//! stay orthogonal; a sheared affine (non-orthogonal columns, rare in practice) is measured
//! in the voxel-spacing metric, which the loader reports.
//!
//! **Sampling.** A world point is taken to voxel coordinates by the inverse affine and the
//! field interpolated trilinearly; the gradient is the trilinear derivative mapped back to
//! world coordinates (`A⁻ᵀ ∇_voxel`).

use glam::{DMat3, DMat4, DVec3};
use ndarray::{Array3, ArrayView1, ArrayView3, Axis, ShapeBuilder, Slice, Zip};

use super::Volume;

/// A signed distance field over a vessel mask.
#[derive(Clone, Debug)]
pub struct DistanceField {
    /// signed distance (mm) per voxel `[x, y, z]` (Fortran layout, as the mask)
    dist: Array3<f32>,
    world_to_voxel: DMat4,
    voxel_to_world: DMat4,
    /// A⁻ᵀ (voxel gradient → world gradient)
    grad_to_world: DMat3,
    /// vessel voxels
    pub vessel_voxels: usize,
    pub threshold: f32,
    /// voxel spacing (mm) along the three axes
    pub spacing: [f64; 3],
    /// the affine has non-orthogonal columns (distances in the voxel-spacing metric)
    pub sheared: bool,
    /// world bounding box of the vessel voxels (centres)
    pub bounds: ([f64; 3], [f64; 3]),
}

const INF: f64 = 1e20;

/// A triangle mesh of a vessel mask's wall (world mm).
#[derive(Clone, Debug, Default)]
pub struct IsoSurface {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

/// 1-D squared distance transform (Felzenszwalb & Huttenlocher 2012) of `f` sampled at
/// spacing `s`: `d[q] = min_p (s·(q − p))² + f[p]`. `v`, `z` are scratch buffers.
fn dt1(f: &[f64], s: f64, d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let s2 = s * s;
    let mut k = 0usize;
    // skip leading infinities: parabolas at infinity never win
    let Some(first) = (0..n).find(|&q| f[q] < INF) else {
        d.iter_mut().for_each(|x| *x = INF);
        return;
    };
    v[0] = first;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in first + 1..n {
        if f[q] >= INF {
            continue;
        }
        loop {
            let p = v[k];
            // intersection of the parabolas from q and p
            let sect = ((f[q] + s2 * (q * q) as f64) - (f[p] + s2 * (p * p) as f64))
                / (2.0 * s2 * (q as f64 - p as f64));
            if sect <= z[k] {
                if k == 0 {
                    v[0] = q;
                    z[1] = f64::INFINITY;
                    break;
                }
                k -= 1;
            } else {
                k += 1;
                v[k] = q;
                z[k] = sect;
                z[k + 1] = f64::INFINITY;
                break;
            }
        }
    }
    k = 0;
    for (q, out) in d.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let dq = s * (q as f64 - p as f64);
        *out = dq * dq + f[p];
    }
}

/// Squared distance (mm²) from every voxel to the nearest voxel where `seed` is true: the
/// 1-D transform along x, then y, then z (separable), every line of an axis in parallel.
fn squared_edt(seed: ArrayView3<bool>, spacing: [f64; 3]) -> Array3<f64> {
    let mut g = seed.map(|&b| if b { 0.0 } else { INF });
    for (axis, s) in spacing.into_iter().enumerate() {
        let n = g.len_of(Axis(axis));
        Zip::from(g.lanes_mut(Axis(axis))).par_for_each(|mut line| {
            let f = line.to_vec();
            let (mut d, mut v, mut z) = (vec![0f64; n], vec![0usize; n], vec![0f64; n + 1]);
            dt1(&f, s, &mut d, &mut v, &mut z);
            line.assign(&ArrayView1::from(&d));
        });
    }
    g
}

impl DistanceField {
    /// Build the field from a mask volume: voxels `> threshold` are vessel (use 0.5 for a
    /// binary mask). Refused: a 4-D series, a mask with no vessel voxel, a singular affine.
    pub fn from_mask(vol: &Volume, threshold: f32) -> Result<DistanceField, String> {
        if vol.n_frames() > 1 {
            return Err(format!(
                "a vessel mask is one 3-D volume; this one has {} frames",
                vol.n_frames()
            ));
        }
        if !threshold.is_finite() {
            return Err("the mask threshold must be a number".into());
        }
        let first = vol.frame(0);
        let seed = first.map(|&v| v > threshold);
        let vessel_voxels = seed.iter().filter(|&&b| b).count();
        if vessel_voxels == 0 {
            let max = first.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            return Err(format!(
                "the vessel mask is empty: no voxel above the threshold {threshold} (largest value {max})"
            ));
        }
        let a = DMat4::from_cols_array_2d(&vol.affine).transpose();
        let lin = DMat3::from_mat4(a);
        if lin.determinant().abs() < 1e-12 {
            return Err("the mask's affine is singular".into());
        }
        let cols = [lin.x_axis, lin.y_axis, lin.z_axis];
        let spacing = cols.map(|c| c.length());
        let sheared = (0..3).any(|i| {
            (i + 1..3).any(|j| cols[i].dot(cols[j]).abs() > 1e-3 * spacing[i] * spacing[j])
        });
        let outside = squared_edt(seed.view(), spacing);
        let inside = if vessel_voxels < seed.len() {
            squared_edt(seed.map(|b| !b).view(), spacing)
        } else {
            Array3::from_elem(seed.raw_dim(), INF)
        };
        // negative inside the vessels, in the volume's own (Fortran) layout
        let mut dist = Array3::<f32>::zeros(seed.raw_dim().f());
        Zip::from(&mut dist)
            .and(&seed)
            .and(&inside)
            .and(&outside)
            .for_each(|d, &s, &i, &o| {
                *d = if s {
                    -(i.min(INF).sqrt() as f32)
                } else {
                    o.sqrt() as f32
                }
            });
        let (mut lo, mut hi) = ([f64::MAX; 3], [f64::MIN; 3]);
        for ((x, y, z), _) in seed.indexed_iter().filter(|(_, s)| **s) {
            let w = a.transform_point3(DVec3::new(x as f64, y as f64, z as f64));
            for k in 0..3 {
                lo[k] = lo[k].min(w[k]);
                hi[k] = hi[k].max(w[k]);
            }
        }
        Ok(DistanceField {
            dist,
            world_to_voxel: a.inverse(),
            voxel_to_world: a,
            grad_to_world: lin.inverse().transpose(),
            vessel_voxels,
            threshold,
            spacing,
            sheared,
            bounds: (lo, hi),
        })
    }

    /// Distance (mm, signed) at a voxel.
    pub fn at_voxel(&self, ijk: [usize; 3]) -> f32 {
        self.dist[ijk]
    }

    pub fn dims(&self) -> [usize; 3] {
        let (x, y, z) = self.dist.dim();
        [x, y, z]
    }

    /// The vessel wall as a triangle mesh in world millimetres: the zero level of the signed
    /// field (halfway between vessel and background voxel centres) by Naive Surface Nets
    /// (`fast-surface-nets`), the volume padded by one background voxel so vessels touching
    /// its border are closed. Normals point out of the vessels.
    pub fn isosurface(&self) -> IsoSurface {
        use fast_surface_nets::ndshape::{RuntimeShape, Shape};
        let [nx, ny, nz] = self.dims();
        let p = [nx + 2, ny + 2, nz + 2];
        let outside = self.spacing.iter().copied().fold(0.0, f64::max) as f32;
        // padded by one background voxel, x fastest (the order the mesher's shape reads)
        let mut padded = Array3::from_elem((p[0], p[1], p[2]).f(), outside);
        // (`s![…]` expands to an `allow(unsafe_code)` the crate forbids)
        // row by row along x: contiguous in both arrays (a whole-view assign walks them in an
        // order that is not, and took half as long again)
        let mut inner = padded.slice_each_axis_mut(|ax| Slice::from(1..ax.len - 1));
        Zip::from(inner.lanes_mut(Axis(0)))
            .and(self.dist.lanes(Axis(0)))
            .for_each(|mut to, from| to.assign(&from));
        let sdf = padded
            .as_slice_memory_order()
            .expect("a new array is contiguous");
        let shape = RuntimeShape::<u32, 3>::new([p[0] as u32, p[1] as u32, p[2] as u32]);
        debug_assert_eq!(shape.usize(), sdf.len());
        let mut buf = fast_surface_nets::SurfaceNetsBuffer::default();
        fast_surface_nets::surface_nets(
            sdf,
            &shape,
            [0; 3],
            [p[0] as u32 - 1, p[1] as u32 - 1, p[2] as u32 - 1],
            &mut buf,
        );
        let positions = buf
            .positions
            .iter()
            .map(|q| {
                let v = DVec3::new(q[0] as f64 - 1.0, q[1] as f64 - 1.0, q[2] as f64 - 1.0);
                self.voxel_to_world.transform_point3(v).as_vec3().to_array()
            })
            .collect();
        let normals = buf
            .normals
            .iter()
            .map(|n| {
                (self.grad_to_world * DVec3::new(n[0] as f64, n[1] as f64, n[2] as f64))
                    .normalize_or_zero()
                    .as_vec3()
                    .to_array()
            })
            .collect();
        IsoSurface {
            positions,
            normals,
            indices: buf.indices,
        }
    }

    /// Signed distance (mm) at a world point and its world gradient, trilinearly interpolated;
    /// `None` outside the volume (no information there).
    pub fn sample(&self, p: DVec3) -> Option<(f64, DVec3)> {
        let q = self.world_to_voxel.transform_point3(p);
        let mut i0 = [0usize; 3];
        let mut t = [0f64; 3];
        for k in 0..3 {
            let n = self.dist.len_of(Axis(k));
            if !(q[k] >= -0.5 && q[k] <= n as f64 - 0.5) {
                return None;
            }
            if n == 1 {
                continue;
            }
            let c = q[k].clamp(0.0, (n - 1) as f64);
            let f = c.floor().min((n - 2) as f64);
            i0[k] = f as usize;
            t[k] = c - f;
        }
        let step = |k: usize| usize::from(self.dist.len_of(Axis(k)) > 1);
        let v = |dx: usize, dy: usize, dz: usize| {
            self.at_voxel([
                i0[0] + dx * step(0),
                i0[1] + dy * step(1),
                i0[2] + dz * step(2),
            ]) as f64
        };
        let c = [
            [[v(0, 0, 0), v(1, 0, 0)], [v(0, 1, 0), v(1, 1, 0)]],
            [[v(0, 0, 1), v(1, 0, 1)], [v(0, 1, 1), v(1, 1, 1)]],
        ];
        let lerp = |a: f64, b: f64, s: f64| a + (b - a) * s;
        let [tx, ty, tz] = t;
        let x00 = lerp(c[0][0][0], c[0][0][1], tx);
        let x10 = lerp(c[0][1][0], c[0][1][1], tx);
        let x01 = lerp(c[1][0][0], c[1][0][1], tx);
        let x11 = lerp(c[1][1][0], c[1][1][1], tx);
        let y0 = lerp(x00, x10, ty);
        let y1 = lerp(x01, x11, ty);
        let d = lerp(y0, y1, tz);
        let gx = lerp(
            lerp(c[0][0][1] - c[0][0][0], c[0][1][1] - c[0][1][0], ty),
            lerp(c[1][0][1] - c[1][0][0], c[1][1][1] - c[1][1][0], ty),
            tz,
        );
        let gy = lerp(x10 - x00, x11 - x01, tz);
        let gz = y1 - y0;
        let g = DVec3::new(
            gx * step(0) as f64,
            gy * step(1) as f64,
            gz * step(2) as f64,
        );
        Some((d, self.grad_to_world * g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(dims: [usize; 3], affine: [[f64; 4]; 4], on: &[[usize; 3]]) -> Volume {
        let mut data = Array3::<f32>::zeros((dims[0], dims[1], dims[2]).f());
        for &ijk in on {
            data[ijk] = 1.0;
        }
        let data = data.into_raw_vec_and_offset().0; // memory order: x fastest
        Volume {
            shape: dims.to_vec(),
            voxel_size_mm: [1.0; 3],
            affine,
            dtype: "uint8".into(),
            data: Volume::array(dims.as_slice(), data).unwrap(),
            tr_seconds: None,
        }
    }

    /// Brute force over voxel centres in world coordinates, for anisotropic voxels and an
    /// oblique (rotated) affine.
    #[test]
    fn distances_equal_brute_force() {
        // rotation about z then x, times voxel sizes 0.5, 1.2, 2.0, plus a translation
        let r = DMat3::from_rotation_x(0.7) * DMat3::from_rotation_z(0.3);
        let lin = r * DMat3::from_diagonal(DVec3::new(0.5, 1.2, 2.0));
        let mut aff = [[0.0; 4]; 4];
        for (row, a) in aff.iter_mut().enumerate().take(3) {
            for (col, x) in a.iter_mut().enumerate().take(3) {
                *x = lin.col(col)[row];
            }
        }
        aff[0][3] = -12.0;
        aff[1][3] = 4.5;
        aff[2][3] = 30.0;
        aff[3][3] = 1.0;
        let dims = [9, 7, 6];
        let on = [[1, 1, 1], [7, 5, 4], [4, 2, 5], [5, 3, 2], [5, 4, 2]];
        let v = volume(dims, aff, &on);
        let f = DistanceField::from_mask(&v, 0.5).unwrap();
        assert!(!f.sheared);
        let a = DMat4::from_cols_array_2d(&aff).transpose();
        let world =
            |p: [usize; 3]| a.transform_point3(DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64));
        for z in 0..dims[2] {
            for y in 0..dims[1] {
                for x in 0..dims[0] {
                    let p = world([x, y, z]);
                    let brute = if on.contains(&[x, y, z]) {
                        // inside: minus the distance to the nearest non-vessel voxel
                        let mut best = f64::MAX;
                        for zz in 0..dims[2] {
                            for yy in 0..dims[1] {
                                for xx in 0..dims[0] {
                                    if !on.contains(&[xx, yy, zz]) {
                                        best = best.min(world([xx, yy, zz]).distance(p));
                                    }
                                }
                            }
                        }
                        -best
                    } else {
                        on.iter()
                            .map(|&q| world(q).distance(p))
                            .fold(f64::MAX, f64::min)
                    };
                    let got = f.at_voxel([x, y, z]) as f64;
                    assert!(
                        (got - brute).abs() < 1e-4,
                        "({x},{y},{z}): {got} vs {brute}"
                    );
                    let (s, _) = f.sample(p).unwrap();
                    assert!(
                        (s - brute).abs() < 1e-4,
                        "sampled ({x},{y},{z}): {s} vs {brute}"
                    );
                }
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences_and_points_away() {
        let mut aff = [[0.0; 4]; 4];
        aff[0][0] = 0.8;
        aff[1][1] = 1.0;
        aff[2][2] = 1.5;
        aff[3][3] = 1.0;
        let v = volume([12, 12, 12], aff, &[[6, 6, 6]]);
        let f = DistanceField::from_mask(&v, 0.5).unwrap();
        let p = DVec3::new(3.3, 8.1, 11.2);
        let (d, g) = f.sample(p).unwrap();
        let h = 1e-5;
        for k in 0..3 {
            let mut e = DVec3::ZERO;
            e[k] = h;
            let num = (f.sample(p + e).unwrap().0 - f.sample(p - e).unwrap().0) / (2.0 * h);
            assert!((num - g[k]).abs() < 1e-6, "axis {k}: {num} vs {}", g[k]);
        }
        assert!(d > 0.0);
        // the gradient points away from the vessel at (4.8, 6, 9)
        assert!(g.dot(p - DVec3::new(4.8, 6.0, 9.0)) > 0.0);
        assert!(f.sample(DVec3::new(100.0, 0.0, 0.0)).is_none());
    }

    #[test]
    fn the_isosurface_wraps_the_vessel_voxels() {
        let mut aff = [[0.0; 4]; 4];
        aff[0][0] = 0.5;
        aff[1][1] = 0.5;
        aff[2][2] = 1.0;
        aff[0][3] = 10.0;
        aff[3][3] = 1.0;
        // a 3-voxel rod along x touching the border at x = 0
        let v = volume([8, 6, 6], aff, &[[0, 3, 3], [1, 3, 3], [2, 3, 3]]);
        let f = DistanceField::from_mask(&v, 0.5).unwrap();
        let iso = f.isosurface();
        assert!(!iso.indices.is_empty() && iso.indices.len().is_multiple_of(3));
        assert!(
            iso.indices
                .iter()
                .all(|&i| (i as usize) < iso.positions.len())
        );
        // every vertex lies within about a voxel of the rod, in world coordinates
        for p in &iso.positions {
            let q = DVec3::from(p.map(f64::from));
            assert!(q.x >= 10.0 - 0.6 && q.x <= 10.0 + 1.6, "{q}");
            assert!((q.y - 1.5).abs() <= 0.6 && (q.z - 3.0).abs() <= 1.1, "{q}");
            let (d, _) = f.sample(q).map_or((0.0, DVec3::ZERO), |x| x);
            assert!(d.abs() <= 0.6, "{q}: field {d}");
        }
        // normals point away from the rod's axis
        for (p, n) in iso.positions.iter().zip(&iso.normals) {
            let (p, n) = (DVec3::from(p.map(f64::from)), DVec3::from(n.map(f64::from)));
            let axis = DVec3::new(p.x, 1.5, 3.0);
            assert!(n.dot(p - axis) >= -1e-6, "{p} {n}");
        }
    }

    #[test]
    fn empty_masks_and_series_are_refused() {
        let mut aff = [[0.0; 4]; 4];
        for (i, row) in aff.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let v = volume([4, 4, 4], aff, &[]);
        let e = DistanceField::from_mask(&v, 0.5).unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let mut v = volume([4, 4, 4], aff, &[[1, 1, 1]]);
        v.shape = vec![4, 4, 2, 2];
        v.data = Volume::array(&v.shape, v.values().to_vec()).unwrap();
        let e = DistanceField::from_mask(&v, 0.5).unwrap_err();
        assert!(e.contains("frames"), "{e}");
    }
}
