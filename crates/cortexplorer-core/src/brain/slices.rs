//! Orthogonal slices through volumes in world space, and what is drawn on them.
//!
//! A slice is a world-aligned plane (x, y or z constant, RAS mm) through the crosshair,
//! resampled on a square grid from every volume by its own affine, so volumes with different
//! (even oblique) voxel grids line up as they do in the world. Orientation, as in freeview's
//! and FSLeyes' neurological view:
//! * **sagittal** (x constant): anterior to the right, superior up;
//! * **coronal** (y constant): the subject's right to the right, superior up;
//! * **axial** (z constant): the subject's right to the right, anterior up.
//!
//! Layers are painted bottom to top with the overlays' rules (`paint::OverlayStyle`: colormap,
//! range, threshold, opacity), the bottom one on black. A surface's intersection with the
//! plane ([`section`]) is drawn over it as line segments.

use super::colormap::Colormap;
use super::data::Volume;
use super::paint::{OverlayStyle, blend};
use super::vol2surf::{Interp, value_at, world_to_voxel};

/// Which coordinate is constant on the slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    Sagittal,
    Coronal,
    Axial,
}

impl Axis {
    pub const ALL: [Axis; 3] = [Axis::Sagittal, Axis::Coronal, Axis::Axial];

    /// The world coordinate that is constant (0 = x, 1 = y, 2 = z).
    pub fn normal(self) -> usize {
        match self {
            Axis::Sagittal => 0,
            Axis::Coronal => 1,
            Axis::Axial => 2,
        }
    }

    /// World coordinates along the image's columns (left → right) and rows (bottom → top).
    pub fn in_plane(self) -> (usize, usize) {
        match self {
            Axis::Sagittal => (1, 2),
            Axis::Coronal => (0, 2),
            Axis::Axial => (0, 1),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Axis::Sagittal => "sagittal",
            Axis::Coronal => "coronal",
            Axis::Axial => "axial",
        }
    }
}

/// The pixel grid of one slice: pixel (col, row) has its centre at world
/// `u = u0 + col·step`, `v = v1 − row·step` (row 0 at the top), and `coord` along the normal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceGrid {
    pub axis: Axis,
    pub coord: f64,
    pub u0: f64,
    pub v1: f64,
    pub step: f64,
    pub width: usize,
    pub height: usize,
}

impl SliceGrid {
    /// A grid covering `bounds` (world box) at `step` mm, at most `max_px` pixels a side (the
    /// step grows if needed).
    pub fn new(
        axis: Axis,
        coord: f64,
        bounds: ([f64; 3], [f64; 3]),
        step: f64,
        max_px: usize,
    ) -> SliceGrid {
        let (a, b) = axis.in_plane();
        let (lo, hi) = bounds;
        let span = (hi[a] - lo[a]).max(hi[b] - lo[b]).max(1e-6);
        let step = step.max(span / max_px.max(1) as f64).max(1e-6);
        let width = (((hi[a] - lo[a]) / step).ceil() as usize).clamp(1, max_px.max(1));
        let height = (((hi[b] - lo[b]) / step).ceil() as usize).clamp(1, max_px.max(1));
        SliceGrid {
            axis,
            coord,
            u0: lo[a] + step / 2.0,
            v1: hi[b] - step / 2.0,
            step,
            width,
            height,
        }
    }

    /// World point at a (fractional) pixel position; (0, 0) is the top-left pixel's centre.
    pub fn world(&self, col: f64, row: f64) -> [f64; 3] {
        let (a, b) = self.axis.in_plane();
        let mut p = [0.0; 3];
        p[self.axis.normal()] = self.coord;
        p[a] = self.u0 + col * self.step;
        p[b] = self.v1 - row * self.step;
        p
    }

    /// (col, row) of a world point (its projection onto the slice).
    pub fn pixel(&self, p: [f64; 3]) -> (f64, f64) {
        let (a, b) = self.axis.in_plane();
        ((p[a] - self.u0) / self.step, (self.v1 - p[b]) / self.step)
    }
}

/// The world box a volume covers (its voxels' outer faces).
pub fn volume_bounds(vol: &Volume) -> ([f64; 3], [f64; 3]) {
    let d = vol.dims3();
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for corner in 0..8 {
        let ijk: [f64; 3] = std::array::from_fn(|a| {
            if corner >> a & 1 == 1 {
                d[a] as f64 - 0.5
            } else {
                -0.5
            }
        });
        let w = vol.voxel_to_world(ijk);
        for a in 0..3 {
            lo[a] = lo[a].min(w[a]);
            hi[a] = hi[a].max(w[a]);
        }
    }
    (lo, hi)
}

/// One frame of a volume resampled on a slice grid (NaN outside the volume), row-major from
/// the top-left pixel.
pub fn sample_slice(
    vol: &Volume,
    frame: usize,
    grid: &SliceGrid,
    interp: Interp,
) -> Result<Vec<f32>, String> {
    let inv = world_to_voxel(vol)?;
    let data = vol.frame(frame.min(vol.n_frames() - 1));
    let mut out = Vec::with_capacity(grid.width * grid.height);
    for row in 0..grid.height {
        for col in 0..grid.width {
            let w = glam::DVec3::from(grid.world(col as f64, row as f64));
            let v = inv.transform_point3(w).to_array();
            out.push(value_at(data, v, interp).map_or(f32::NAN, |x| x as f32));
        }
    }
    Ok(out)
}

/// Paint slice layers (bottom first) into RGBA8: black, then each layer blended where its
/// style draws the value.
pub fn paint_slice(n: usize, layers: &[(&[f32], &OverlayStyle, &Colormap)]) -> Vec<[u8; 4]> {
    let mut rgb = vec![[0.0f32, 0.0, 0.0, 1.0]; n];
    for (values, style, cmap) in layers {
        for (o, &v) in rgb.iter_mut().zip(values.iter()) {
            if let Some(t) = style.position(v) {
                blend(o, cmap.at(t), style.opacity);
            }
        }
    }
    rgb.iter()
        .map(|c| {
            let q = |x: f32| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
            [q(c[0]), q(c[1]), q(c[2]), 255]
        })
        .collect()
}

/// Where a triangle mesh crosses the plane `p[axis] = coord`: one world segment per triangle
/// that straddles it (triangles lying in the plane are skipped).
pub fn section(
    vertices: &[[f32; 3]],
    faces: &[[u32; 3]],
    axis: Axis,
    coord: f64,
) -> Vec<[[f64; 3]; 2]> {
    let k = axis.normal();
    let mut out = Vec::new();
    for f in faces {
        let p: [[f64; 3]; 3] = f.map(|i| vertices[i as usize].map(f64::from));
        let d: [f64; 3] = std::array::from_fn(|j| p[j][k] - coord);
        let mut pts = Vec::with_capacity(2);
        for (a, b) in [(0, 1), (1, 2), (2, 0)] {
            // an edge crosses when its ends are on opposite sides (an end exactly on the
            // plane counts for the edge that leaves it upwards only: no double points)
            if (d[a] < 0.0) != (d[b] < 0.0) {
                let t = d[a] / (d[a] - d[b]);
                pts.push(std::array::from_fn(|c| p[a][c] + t * (p[b][c] - p[a][c])));
            }
        }
        if let [a, b] = pts[..] {
            out.push([a, b]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(affine: [[f64; 4]; 4], dims: [usize; 3], f: impl Fn([f64; 3]) -> f32) -> Volume {
        let mut v = Volume {
            shape: dims.to_vec(),
            voxel_size_mm: [1.0; 3],
            affine,
            dtype: "float32".into(),
            data: ndarray::Array4::zeros((0, 0, 0, 0)),
            tr_seconds: None,
        };
        let mut data = Vec::new();
        for z in 0..dims[2] {
            for y in 0..dims[1] {
                for x in 0..dims[0] {
                    data.push(f(v.voxel_to_world([x as f64, y as f64, z as f64])));
                }
            }
        }
        v.data = Volume::array(&v.shape, data).unwrap();
        v
    }

    #[test]
    fn pixels_and_world_points_map_back_and_forth_with_the_documented_orientation() {
        let bounds = ([-10.0, -20.0, -5.0], [30.0, 20.0, 15.0]);
        let g = SliceGrid::new(Axis::Axial, 3.0, bounds, 1.0, 512);
        assert_eq!((g.width, g.height), (40, 40));
        // top-left pixel: the subject's right-most x is on the right, so left = low x;
        // anterior (high y) at the top
        assert_eq!(g.world(0.0, 0.0), [-9.5, 19.5, 3.0]);
        let p = [12.25, -7.5, 3.0];
        let (c, r) = g.pixel(p);
        assert_eq!(g.world(c, r), p);
        let s = SliceGrid::new(Axis::Sagittal, 0.0, bounds, 1.0, 512);
        // anterior to the right, superior up
        assert!(s.pixel([0.0, 10.0, 0.0]).0 > s.pixel([0.0, -10.0, 0.0]).0);
        assert!(s.pixel([0.0, 0.0, 10.0]).1 < s.pixel([0.0, 0.0, -3.0]).1);
        // the pixel budget caps the grid
        let c = SliceGrid::new(Axis::Coronal, 0.0, bounds, 0.01, 256);
        assert!(c.width <= 256 && c.height <= 256 && c.step >= 40.0 / 256.0);
    }

    /// A slice through an oblique volume whose values are a linear function of the world
    /// position reads that function at each pixel centre (trilinear is exact there); outside
    /// the volume, no data.
    #[test]
    fn slices_of_oblique_volumes_sample_the_world() {
        let (c, s) = (0.4f64.cos(), 0.4f64.sin());
        let affine = [
            [2.0 * c, -2.0 * s, 0.0, -10.0],
            [2.0 * s, 2.0 * c, 0.0, -12.0],
            [0.0, 0.0, 1.5, -6.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let f = |p: [f64; 3]| (0.3 * p[0] - 0.7 * p[1] + 1.1 * p[2] + 2.0) as f32;
        let vol = volume(affine, [12, 12, 10], f);
        let b = volume_bounds(&vol);
        for axis in Axis::ALL {
            let centre: [f64; 3] = std::array::from_fn(|a| (b.0[a] + b.1[a]) / 2.0);
            let g = SliceGrid::new(axis, centre[axis.normal()], b, 0.7, 128);
            let img = sample_slice(&vol, 0, &g, Interp::Trilinear).unwrap();
            let (mut inside, mut outside) = (0, 0);
            for row in 0..g.height {
                for col in 0..g.width {
                    let v = img[row * g.width + col];
                    if v.is_nan() {
                        outside += 1;
                    } else {
                        inside += 1;
                        let want = f(g.world(col as f64, row as f64));
                        assert!((v - want).abs() < 1e-3, "{axis:?} {col} {row}: {v} {want}");
                    }
                }
            }
            // an oblique volume leaves corners of its bounding box empty
            assert!(inside > 100 && outside > 0, "{axis:?}: {inside} {outside}");
        }
    }

    #[test]
    fn slice_layers_paint_like_surface_overlays() {
        let grey = OverlayStyle {
            colormap: "gray".into(),
            min: 0.0,
            max: 100.0,
            threshold: 0.0,
            symmetric: false,
            opacity: 1.0,
        };
        let stat = OverlayStyle {
            colormap: "hot".into(),
            min: 2.0,
            max: 5.0,
            threshold: 2.0,
            symmetric: false,
            opacity: 1.0,
        };
        let g = Colormap::by_name("gray").unwrap();
        let h = Colormap::by_name("hot").unwrap();
        let anat = [f32::NAN, 0.0, 50.0, 100.0];
        let z = [0.0, 0.0, 1.0, 5.0];
        let px = paint_slice(4, &[(&anat, &grey, &g), (&z, &stat, &h)]);
        assert_eq!(px[0], [0, 0, 0, 255], "no data: black");
        assert_eq!(px[1], [0, 0, 0, 255], "window minimum: black");
        assert_eq!(px[2][0], 128, "mid grey, the statistic under threshold");
        assert_eq!(px[3], h.at(1.0), "above threshold: the overlay colour");
    }

    /// A plane through a sphere cuts it in a circle of radius √(R² − d²).
    #[test]
    fn sections_of_a_sphere_are_circles() {
        let (v, f) = crate::activity::laplacian::icosphere(12, 10.0);
        for (axis, d) in [
            (Axis::Sagittal, 3.0),
            (Axis::Coronal, -6.0),
            (Axis::Axial, 0.0),
        ] {
            let segs = section(&v, &f, axis, d);
            let r = (100.0f64 - d * d).sqrt();
            let mut len = 0.0;
            for [a, b] in &segs {
                for p in [a, b] {
                    assert!((p[axis.normal()] - d).abs() < 1e-9);
                    let rho = (p.iter().map(|x| x * x).sum::<f64>() - d * d).sqrt();
                    // on the polyhedron, just inside the true sphere
                    assert!(rho <= r + 1e-6 && rho > r - 0.2, "{axis:?} {rho} {r}");
                }
                len += (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f64>().sqrt();
            }
            let circ = std::f64::consts::TAU * r;
            assert!(
                (len - circ).abs() / circ < 0.01,
                "{axis:?}: {len} vs {circ}"
            );
        }
    }
}
