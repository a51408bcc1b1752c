//! Image-patch routing weights as plain data (`[images, queries, rows, cols]`), read from NPY
//! files by [`crate::npy`]. What they mean (heatmaps, brushing) lives in the core's routing.

/// Routing weights from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchWeights {
    pub n_images: usize,
    pub n_queries: usize,
    pub height: usize,
    pub width: usize,
    /// `[image][query][row][col]`
    pub data: Vec<f32>,
}

impl PatchWeights {
    /// From an NPY array of shape `[q, h, w]` or `[i, q, h, w]`; NaN, ∞ and negative weights
    /// are refused (naming the first one).
    pub fn from_array(a: crate::npy::Array) -> Result<PatchWeights, String> {
        let (ni, nq, h, w) = match a.shape[..] {
            [q, h, w] => (1, q, h, w),
            [i, q, h, w] => (i, q, h, w),
            _ => {
                return Err(format!(
                    "routing weights of shape {:?}: expected [n_queries, grid_h, grid_w] or [n_images, n_queries, grid_h, grid_w]",
                    a.shape
                ));
            }
        };
        if let Some(i) = a.data.iter().position(|x| !x.is_finite() || *x < 0.0) {
            let cell = h * w;
            return Err(format!(
                "routing weights: {} at image {}, query {}, row {}, column {} (weights must be finite and ≥ 0)",
                a.data[i],
                i / (nq * cell),
                i / cell % nq,
                i % cell / w,
                i % w
            ));
        }
        Ok(PatchWeights {
            n_images: ni,
            n_queries: nq,
            height: h,
            width: w,
            data: a.data,
        })
    }
}
