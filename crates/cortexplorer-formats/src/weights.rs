//! Image-patch routing weights as plain data (`[images, queries, rows, cols]`), read from NPY
//! files by [`crate::npy`]. What they mean (heatmaps, brushing) lives in the core's routing.

use ndarray::{Array4, ArrayD, ArrayView2, Axis, Ix4};

/// Routing weights from a file: `data[[image, query, row, col]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchWeights {
    pub data: Array4<f32>,
}

impl PatchWeights {
    /// From an NPY array of shape `[q, h, w]` or `[i, q, h, w]`; NaN, ∞ and negative weights
    /// are refused (naming the first one).
    pub fn from_array(a: ArrayD<f32>) -> Result<PatchWeights, String> {
        let a = match a.ndim() {
            3 => a.insert_axis(Axis(0)),
            4 => a,
            _ => {
                return Err(format!(
                    "routing weights of shape {:?}: expected [n_queries, grid_h, grid_w] or [n_images, n_queries, grid_h, grid_w]",
                    a.shape()
                ));
            }
        };
        let data = a
            .into_dimensionality::<Ix4>()
            .map_err(|e| e.to_string())?
            .as_standard_layout()
            .into_owned();
        if let Some(((i, q, r, c), x)) = data
            .indexed_iter()
            .find(|(_, x)| !x.is_finite() || **x < 0.0)
        {
            return Err(format!(
                "routing weights: {x} at image {i}, query {q}, row {r}, column {c} (weights must be finite and ≥ 0)"
            ));
        }
        Ok(PatchWeights { data })
    }

    #[inline]
    pub fn n_images(&self) -> usize {
        self.data.len_of(Axis(0))
    }
    #[inline]
    pub fn n_queries(&self) -> usize {
        self.data.len_of(Axis(1))
    }
    #[inline]
    pub fn height(&self) -> usize {
        self.data.len_of(Axis(2))
    }
    #[inline]
    pub fn width(&self) -> usize {
        self.data.len_of(Axis(3))
    }
    /// The `[row, col]` grid of one image and query.
    pub fn grid(&self, image: usize, query: usize) -> ArrayView2<'_, f32> {
        self.data
            .index_axis(Axis(0), image)
            .index_axis_move(Axis(0), query)
    }
}
