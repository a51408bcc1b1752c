//! Plain data loaded from files: per-vertex overlays, labels/annotations and volumes.

use serde::Serialize;

/// Per-vertex values, possibly with several frames (time points, categories, …).
/// `values` is frame-major: frame `f` is `values[f * n_vertices .. (f + 1) * n_vertices]`.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    pub n_vertices: usize,
    pub n_frames: usize,
    pub values: Vec<f32>,
    /// Repetition time in seconds when the file records one.
    pub tr_seconds: Option<f32>,
    /// Time of frame 0 in seconds when the file records one (an MNE estimate's `tmin`, a
    /// CIFTI series' start); the timeline counts from it.
    pub t0_seconds: Option<f32>,
    /// Unit shown next to the colour bar (e.g. "mm").
    pub units: Option<String>,
}

impl Overlay {
    pub fn new(n_vertices: usize, n_frames: usize, values: Vec<f32>) -> Overlay {
        debug_assert_eq!(values.len(), n_vertices * n_frames);
        Overlay {
            n_vertices,
            n_frames,
            values,
            tr_seconds: None,
            t0_seconds: None,
            units: None,
        }
    }
    #[inline]
    pub fn frame(&self, f: usize) -> &[f32] {
        &self.values[f * self.n_vertices..(f + 1) * self.n_vertices]
    }
    /// Every frame as a `[frame, vertex]` matrix (a view of `values`, no copy).
    #[inline]
    pub fn matrix(&self) -> ndarray::ArrayView2<'_, f32> {
        ndarray::ArrayView2::from_shape((self.n_frames, self.n_vertices), &self.values)
            .expect("an overlay holds n_frames × n_vertices values")
    }
    /// Min, max and mean over every finite value (NaN are skipped, as nibabel users expect
    /// from `np.nanmin` and friends; `inspect` reports them separately).
    pub fn stats(&self) -> Stats {
        Stats::of(&self.values)
    }
}

/// Summary statistics over finite values.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub non_finite: usize,
}

impl Stats {
    pub fn of(values: &[f32]) -> Stats {
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut sum = 0.0f64;
        let mut n = 0usize;
        for &v in values {
            if v.is_finite() {
                let v = v as f64;
                min = min.min(v);
                max = max.max(v);
                sum += v;
                n += 1;
            }
        }
        if n == 0 {
            return Stats {
                min: f64::NAN,
                max: f64::NAN,
                mean: f64::NAN,
                non_finite: values.len(),
            };
        }
        Stats {
            min,
            max,
            mean: sum / n as f64,
            non_finite: values.len() - n,
        }
    }
}

/// A small RGBA picture (a gallery thumbnail), filed under `key` (a category or ROI name,
/// e.g. the folder it came from).
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    /// row-major, 4 bytes per pixel
    pub rgba: Vec<u8>,
    pub key: String,
    pub name: String,
}

/// One named region of a parcellation.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Region {
    pub name: String,
    /// The region's key in its file (colour-table index for `.annot`, label key for GIFTI).
    pub index: i32,
    pub rgba: [u8; 4],
}

/// A parcellation or a single label. Dense (`vertex_ids == None`: entry `i` is vertex `i`,
/// as in `.annot` and GIFTI label arrays) or sparse (`.label` files list their vertices).
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub vertex_ids: Option<Vec<u32>>,
    /// Region position in `regions` per entry; -1 = no region.
    pub region_of: Vec<i32>,
    pub regions: Vec<Region>,
    /// `.label` files: per-vertex value and coordinates.
    pub values: Option<Vec<f32>>,
}

impl Labels {
    /// Number of entries (vertices for dense labels, listed vertices for sparse ones).
    pub fn len(&self) -> usize {
        self.region_of.len()
    }
    pub fn is_empty(&self) -> bool {
        self.region_of.is_empty()
    }
    /// How many entries fall in each region.
    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.regions.len()];
        for &r in &self.region_of {
            if r >= 0 && (r as usize) < c.len() {
                c[r as usize] += 1;
            }
        }
        c
    }
    /// The region per vertex of a surface with `n` vertices (-1 outside every region).
    pub fn dense(&self, n: usize) -> Result<Vec<i32>, String> {
        match &self.vertex_ids {
            None => {
                if self.region_of.len() != n {
                    return Err(format!(
                        "labels cover {} vertices but the surface has {n}",
                        self.region_of.len()
                    ));
                }
                Ok(self.region_of.clone())
            }
            Some(ids) => {
                let mut out = vec![-1; n];
                for (&v, &r) in ids.iter().zip(&self.region_of) {
                    let slot = out.get_mut(v as usize).ok_or_else(|| {
                        format!("label lists vertex {v} but the surface has {n} vertices")
                    })?;
                    *slot = r;
                }
                Ok(out)
            }
        }
    }
}

/// A 3D or 4D image in world space: f32 values after scaling, as an ndarray indexed
/// `[x, y, z, frame]` (every dimension after the third flattened into frames, as nibabel's
/// `img.get_fdata().reshape(nx, ny, nz, -1, order="F")`). The array keeps the file's memory
/// order (first index fastest, as NIfTI and MGH store it: a Fortran-layout array), so each
/// frame is one contiguous slice ([`Volume::frame_values`]) for the sampling kernels.
#[derive(Clone, Debug)]
pub struct Volume {
    /// Shape as nibabel reports it (`img.shape`): 3 or more entries.
    pub shape: Vec<usize>,
    pub voxel_size_mm: [f64; 3],
    /// Voxel → world (RAS mm), row-major, the matrix nibabel gives as `img.affine`.
    pub affine: [[f64; 4]; 4],
    /// Name of the on-disk data type (`uint8`, `int16`, `float32`, …).
    pub dtype: String,
    /// `[x, y, z, frame]`, Fortran layout (see the type's docs).
    pub data: ndarray::Array4<f32>,
    pub tr_seconds: Option<f32>,
}

impl Volume {
    /// The `[x, y, z, frame]` array of values given in file order (first index fastest) for a
    /// nibabel `shape` (3 or more entries); the values are moved, not copied.
    pub fn array(shape: &[usize], values: Vec<f32>) -> Result<ndarray::Array4<f32>, String> {
        use ndarray::ShapeBuilder;
        if shape.len() < 3 {
            return Err(format!("a volume has 3 or more dimensions, not {shape:?}"));
        }
        let frames = shape[3..].iter().product::<usize>().max(1);
        let dims = (shape[0], shape[1], shape[2], frames);
        let n = values.len();
        ndarray::Array4::from_shape_vec(dims.f(), values)
            .map_err(|e| format!("{n} values do not fill shape {shape:?}: {e}"))
    }

    /// Every value in memory order (x fastest, then y, z, frame).
    #[inline]
    pub fn values(&self) -> &[f32] {
        self.data
            .as_slice_memory_order()
            .expect("a volume's array is contiguous")
    }

    /// One frame as a `[x, y, z]` view.
    #[inline]
    pub fn frame(&self, f: usize) -> ndarray::ArrayView3<'_, f32> {
        self.data.index_axis(ndarray::Axis(3), f)
    }

    /// One frame's values, contiguous in memory order (x fastest).
    #[inline]
    pub fn frame_values(&self, f: usize) -> &[f32] {
        self.frame(f)
            .to_slice_memory_order()
            .expect("a frame of a Fortran-layout array is contiguous")
    }

    #[inline]
    pub fn dims3(&self) -> [usize; 3] {
        let (x, y, z, _) = self.data.dim();
        [x, y, z]
    }
    #[inline]
    pub fn n_frames(&self) -> usize {
        self.data.len_of(ndarray::Axis(3))
    }
    /// World coordinates of a (fractional) voxel index.
    #[inline]
    pub fn voxel_to_world(&self, ijk: [f64; 3]) -> [f64; 3] {
        let a = &self.affine;
        std::array::from_fn(|r| a[r][0] * ijk[0] + a[r][1] * ijk[1] + a[r][2] * ijk[2] + a[r][3])
    }
}
