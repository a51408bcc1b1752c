//! Attention routing between cortex and an image (cf. transformer brain encoders whose
//! per-voxel queries attend over image patches): for a place on the cortex, which part of the
//! image it draws from (a heatmap over the patch grid); for a region of the image, how much of
//! each vertex's routing weight falls in it (an overlay).
//!
//! Two sources of routing weights:
//! * **files** ([`PatchWeights`]): an NPY array `[n_queries, grid_h, grid_w]` or
//!   `[n_images, n_queries, grid_h, grid_w]`, with a query map giving each vertex its query
//!   (a per-vertex index overlay; −1 or NaN: none) or each query an ROI (a names list matched
//!   against an annotation's regions). Weights are used as given, normalised per query to
//!   sum 1 for display and brushing; NaN or negative weights are refused;
//! * **the built-in pRF model** ([`PrfModel`]): population receptive fields from retinotopy
//!   — a circular Gaussian at the vertex's visual-field position (x, y) with size
//!   σ = σ₀ + s·eccentricity — evaluated over the stimulus grid (the image spans `fov_deg`
//!   horizontally, centred on fixation) and normalised to sum 1. Positions come from the
//!   hemisphere's `angle`/`eccen` overlays when it has them (neuropythy's conventions, e.g. a
//!   user's Benson-2014 maps, with `varea` 1–3 for V1–V3), else from the approximate V1–V3
//!   template (`percept::template`), per hemisphere (`percept::resolve`). Default sizes, approximately the linear
//!   size–eccentricity fits of Dumoulin & Wandell (2008, NeuroImage 39:647, Fig. 9) — V1
//!   σ = 0.5° + 0.10·ecc, V2 0.6° + 0.15·ecc, V3 0.8° + 0.25·ecc — adjustable.

#![forbid(unsafe_code)]

pub mod regions;
pub mod scene;

use std::collections::BTreeMap;

use crate::brain::Hemisphere;
use crate::percept::render::Grid;
use crate::percept::retinotopy::FieldPoint;

/// A rectangle of the image in fractions of its width and height (origin top-left).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Brush {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Brush {
    /// `x0,y0,x1,y1`: fractions (all ≤ 1) or pixels of an image `w`×`h`.
    pub fn parse(s: &str, w: usize, h: usize) -> Result<Brush, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("brush {s:?}: expected x0,y0,x1,y1"))?;
        let [a, b, c, d] = v[..] else {
            return Err(format!("brush {s:?}: expected four numbers x0,y0,x1,y1"));
        };
        if v.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Err(format!("brush {s:?}: coordinates must be ≥ 0"));
        }
        let (sx, sy) = if v.iter().all(|x| *x <= 1.0) {
            (1.0, 1.0)
        } else {
            (w.max(1) as f64, h.max(1) as f64)
        };
        let r = Brush {
            x0: (a.min(c) / sx).min(1.0),
            y0: (b.min(d) / sy).min(1.0),
            x1: (a.max(c) / sx).min(1.0),
            y1: (b.max(d) / sy).min(1.0),
        };
        if r.x1 <= r.x0 || r.y1 <= r.y0 {
            return Err(format!("brush {s:?}: an empty rectangle"));
        }
        Ok(r)
    }

    /// Fraction of grid cell (row, col) of a `gh`×`gw` grid covered by the brush.
    pub fn coverage(&self, row: usize, col: usize, gh: usize, gw: usize) -> f64 {
        let (cx0, cx1) = (col as f64 / gw as f64, (col + 1) as f64 / gw as f64);
        let (cy0, cy1) = (row as f64 / gh as f64, (row + 1) as f64 / gh as f64);
        let ox = (cx1.min(self.x1) - cx0.max(self.x0)).max(0.0);
        let oy = (cy1.min(self.y1) - cy0.max(self.y0)).max(0.0);
        ox * oy * (gw * gh) as f64
    }
}

/// A heatmap over a patch grid (row-major, sums to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

impl Heatmap {
    fn normalised(height: usize, width: usize, mut values: Vec<f32>) -> Option<Heatmap> {
        let s: f64 = values.iter().map(|&x| x as f64).sum();
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        for x in &mut values {
            *x = (*x as f64 / s) as f32;
        }
        Some(Heatmap {
            height,
            width,
            values,
        })
    }
    /// The strongest cell (row, col).
    pub fn peak(&self) -> (usize, usize) {
        let i = (0..self.values.len())
            .max_by(|&a, &b| self.values[a].total_cmp(&self.values[b]))
            .unwrap_or(0);
        (i / self.width, i % self.width)
    }
    /// Weighted centre (x, y) in fractions of the width and height (origin top-left) and the
    /// weighted spread (root mean square distance, in fractions of the width).
    pub fn centroid(&self) -> ([f64; 2], f64) {
        let (mut sx, mut sy) = (0.0, 0.0);
        for (i, &w) in self.values.iter().enumerate() {
            sx += w as f64 * ((i % self.width) as f64 + 0.5) / self.width as f64;
            sy += w as f64 * ((i / self.width) as f64 + 0.5) / self.height as f64;
        }
        let mut var = 0.0;
        for (i, &w) in self.values.iter().enumerate() {
            let dx = ((i % self.width) as f64 + 0.5) / self.width as f64 - sx;
            let dy = (((i / self.width) as f64 + 0.5) / self.height as f64 - sy)
                * self.height as f64
                / self.width as f64;
            var += w as f64 * (dx * dx + dy * dy);
        }
        ([sx, sy], var.sqrt())
    }
    /// Fraction of the weight inside a brush.
    pub fn in_brush(&self, b: &Brush) -> f64 {
        let mut s = 0.0;
        for r in 0..self.height {
            for c in 0..self.width {
                let cov = b.coverage(r, c, self.height, self.width);
                if cov > 0.0 {
                    s += cov * self.values[r * self.width + c] as f64;
                }
            }
        }
        s
    }
}

/// One population receptive field (degrees).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prf {
    pub x: f64,
    pub y: f64,
    pub sigma: f64,
    /// visual area (1 = V1)
    pub area: u8,
}

/// Size–eccentricity lines per visual area: σ = intercept + slope·ecc (deg).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PrfSizes {
    pub v1: [f64; 2],
    pub v2: [f64; 2],
    pub v3: [f64; 2],
}

impl Default for PrfSizes {
    fn default() -> Self {
        PrfSizes {
            v1: [0.5, 0.10],
            v2: [0.6, 0.15],
            v3: [0.8, 0.25],
        }
    }
}

impl PrfSizes {
    pub fn sigma(&self, area: u8, ecc: f64) -> f64 {
        let [a, b] = match area {
            2 => self.v2,
            3 => self.v3,
            _ => self.v1,
        };
        a + b * ecc
    }
}

/// pRFs per vertex.
#[derive(Clone, Debug, Default)]
pub struct PrfModel {
    pub per_hemi: BTreeMap<Hemisphere, Vec<Option<Prf>>>,
    /// where the positions came from, per hemisphere
    pub source: BTreeMap<Hemisphere, String>,
    pub sizes: PrfSizes,
}

impl PrfModel {
    /// From visual-field positions (and areas) per vertex.
    pub fn from_field(
        per_hemi: BTreeMap<Hemisphere, Vec<Option<(FieldPoint, u8)>>>,
        sizes: PrfSizes,
        source: BTreeMap<Hemisphere, String>,
    ) -> PrfModel {
        let per_hemi = per_hemi
            .into_iter()
            .map(|(h, f)| {
                let p = f
                    .into_iter()
                    .map(|x| {
                        x.map(|(p, area)| Prf {
                            x: p.x,
                            y: p.y,
                            sigma: sizes.sigma(area, p.eccentricity()),
                            area,
                        })
                    })
                    .collect();
                (h, p)
            })
            .collect();
        PrfModel {
            per_hemi,
            source,
            sizes,
        }
    }

    /// Where the positions came from, in one line (see `percept::resolve::note`).
    pub fn source_note(&self) -> String {
        crate::percept::resolve::note(self.source.iter().map(|(h, s)| (*h, s.as_str())))
    }

    pub fn prf(&self, h: Hemisphere, v: usize) -> Option<Prf> {
        *self.per_hemi.get(&h)?.get(v)?
    }

    /// The routing heatmap of a vertex over the stimulus grid, normalised over the grid (None
    /// off the maps, or when less than 1% of its receptive field lies on the image).
    pub fn heatmap(&self, h: Hemisphere, v: usize, grid: &Grid) -> Option<Heatmap> {
        let p = self.prf(h, v)?;
        let g = gaussian(p, grid);
        if mass(&g, p, grid) < 0.01 {
            return None;
        }
        Heatmap::normalised(grid.height, grid.width, g)
    }

    /// Per vertex, the fraction of its whole receptive field (the Gaussian's full integral, not
    /// only the part on the image) inside the brush; 0 off the maps.
    pub fn brush(&self, b: &Brush, grid: &Grid) -> BTreeMap<Hemisphere, Vec<f32>> {
        use rayon::prelude::*;
        let cell = grid.pixel_deg().powi(2);
        self.per_hemi
            .iter()
            .map(|(h, prfs)| {
                let vals = prfs
                    .par_iter()
                    .map(|p| {
                        p.map_or(0.0, |p| {
                            let g = gaussian(p, grid);
                            let mut s = 0.0;
                            for r in 0..grid.height {
                                for c in 0..grid.width {
                                    let cov = b.coverage(r, c, grid.height, grid.width);
                                    if cov > 0.0 {
                                        s += cov * g[r * grid.width + c] as f64;
                                    }
                                }
                            }
                            (s * cell / (2.0 * std::f64::consts::PI * p.sigma * p.sigma)) as f32
                        })
                    })
                    .collect();
                (*h, vals)
            })
            .collect()
    }
}

/// The fraction of a pRF's integral that lies on the grid.
fn mass(g: &[f32], p: Prf, grid: &Grid) -> f64 {
    g.iter().map(|&x| x as f64).sum::<f64>() * grid.pixel_deg().powi(2)
        / (2.0 * std::f64::consts::PI * p.sigma * p.sigma)
}

/// A pRF's Gaussian sampled at the grid's pixel centres (separable).
fn gaussian(p: Prf, grid: &Grid) -> Vec<f32> {
    let s2 = 2.0 * p.sigma * p.sigma;
    let gx: Vec<f64> = (0..grid.width)
        .map(|c| {
            let (x, _) = grid.pixel_centre(c, 0);
            (-(x - p.x).powi(2) / s2).exp()
        })
        .collect();
    let mut out = Vec::with_capacity(grid.len());
    for r in 0..grid.height {
        let (_, y) = grid.pixel_centre(0, r);
        let gy = (-(y - p.y).powi(2) / s2).exp();
        out.extend(gx.iter().map(|&g| (g * gy) as f32));
    }
    out
}

pub use crate::io::weights::PatchWeights;

/// What routing does with file weights (the weights themselves are plain data from the
/// readers).
pub trait PatchWeightsExt {
    /// The normalised heatmap of one query of one image.
    fn heatmap(&self, image: usize, query: usize) -> Option<Heatmap>;
    /// Fraction of each query's weight inside the brush.
    fn brush(&self, image: usize, b: &Brush) -> Vec<f32>;
}

impl PatchWeightsExt for PatchWeights {
    fn heatmap(&self, image: usize, query: usize) -> Option<Heatmap> {
        if image >= self.n_images() || query >= self.n_queries() {
            return None;
        }
        let grid = self.grid(image, query);
        Heatmap::normalised(self.height(), self.width(), grid.iter().copied().collect())
    }

    fn brush(&self, image: usize, b: &Brush) -> Vec<f32> {
        (0..self.n_queries())
            .map(|q| self.heatmap(image, q).map_or(0.0, |m| m.in_brush(b) as f32))
            .collect()
    }
}

/// Which query each vertex uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryMap {
    /// query per vertex (−1: none)
    pub per_hemi: BTreeMap<Hemisphere, Vec<i32>>,
    /// query names when queries are ROIs (query i = names[i])
    pub names: Option<Vec<String>>,
}

impl QueryMap {
    /// From a per-vertex index overlay (values are query indices; NaN or < 0: none).
    pub fn from_indices(
        per_hemi: BTreeMap<Hemisphere, Vec<f32>>,
        n_queries: usize,
    ) -> Result<QueryMap, String> {
        let mut out = BTreeMap::new();
        for (h, vals) in per_hemi {
            let mut q = Vec::with_capacity(vals.len());
            for (v, &x) in vals.iter().enumerate() {
                if x.is_nan() || x < 0.0 {
                    q.push(-1);
                    continue;
                }
                if x.fract() != 0.0 || x as usize >= n_queries {
                    return Err(format!(
                        "query map: vertex {v} ({h:?}) has query {x}, but the weights have queries 0..{}",
                        n_queries.saturating_sub(1)
                    ));
                }
                q.push(x as i32);
            }
            out.insert(h, q);
        }
        Ok(QueryMap {
            per_hemi: out,
            names: None,
        })
    }

    /// From query names matched (case-insensitively) against regions of labels: `regions`
    /// gives, per hemisphere, each vertex's region name (None outside every region). A name
    /// that matches no region is an error listing the regions there are.
    pub fn from_roi_names(
        names: Vec<String>,
        regions: &BTreeMap<Hemisphere, Vec<Option<String>>>,
    ) -> Result<QueryMap, String> {
        let mut known: Vec<String> = regions
            .values()
            .flat_map(|r| r.iter().flatten().cloned())
            .collect();
        known.sort();
        known.dedup();
        for n in &names {
            if !known.iter().any(|k| k.eq_ignore_ascii_case(n)) {
                return Err(format!(
                    "query ROI {n:?} is not a region of the annotation (it has: {})",
                    known.join(", ")
                ));
            }
        }
        let per_hemi = regions
            .iter()
            .map(|(h, r)| {
                let q = r
                    .iter()
                    .map(|name| {
                        name.as_ref()
                            .and_then(|n| names.iter().position(|q| q.eq_ignore_ascii_case(n)))
                            .map_or(-1, |i| i as i32)
                    })
                    .collect();
                (*h, q)
            })
            .collect();
        Ok(QueryMap {
            per_hemi,
            names: Some(names),
        })
    }

    pub fn query(&self, h: Hemisphere, v: usize) -> Option<usize> {
        let q = *self.per_hemi.get(&h)?.get(v)?;
        (q >= 0).then_some(q as usize)
    }

    /// The query of an ROI by name.
    pub fn roi_query(&self, name: &str) -> Option<usize> {
        self.names
            .as_ref()?
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
    }

    /// Per-vertex values from per-query values.
    pub fn spread(&self, per_query: &[f32]) -> BTreeMap<Hemisphere, Vec<f32>> {
        self.per_hemi
            .iter()
            .map(|(h, q)| {
                let v = q
                    .iter()
                    .map(|&q| if q >= 0 { per_query[q as usize] } else { 0.0 })
                    .collect();
                (*h, v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn array(shape: Vec<usize>, data: Vec<f32>) -> ArrayD<f32> {
        ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap()
    }

    fn grid() -> Grid {
        Grid {
            width: 32,
            height: 32,
            fov_deg: 16.0,
            centre: [0.0, 0.0],
        }
    }

    #[test]
    fn a_prf_heatmap_peaks_at_its_field_position() {
        let p = FieldPoint { x: 4.0, y: 2.0 };
        let m = PrfModel::from_field(
            [(Hemisphere::Left, vec![Some((p, 1)), None])].into(),
            PrfSizes::default(),
            [(Hemisphere::Left, "test".to_string())].into(),
        );
        let g = grid();
        let h = m.heatmap(Hemisphere::Left, 0, &g).unwrap();
        let s: f32 = h.values.iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
        let (r, c) = h.peak();
        let (x, y) = g.pixel_centre(c, r);
        assert!((x - 4.0).abs() <= 0.5 && (y - 2.0).abs() <= 0.5, "{x} {y}");
        // centroid: right of centre, above it (y down in image fractions)
        let ([cx, cy], spread) = h.centroid();
        assert!(cx > 0.7 && cy < 0.5, "{cx} {cy}");
        // σ = 0.5 + 0.1·√20 ≈ 0.95°: spread ≈ √2·σ / 16° of the width
        assert!(
            (spread - 2f64.sqrt() * 0.947 / 16.0).abs() < 0.01,
            "{spread}"
        );
        assert!(m.heatmap(Hemisphere::Left, 1, &g).is_none());
        // brushing the right half takes nearly all of its weight, the left half none
        let right = Brush::parse("0.5,0,1,1", 0, 0).unwrap();
        let left = Brush::parse("0,0,16,32", 32, 32).unwrap();
        let b = m.brush(&right, &g);
        assert!(b[&Hemisphere::Left][0] > 0.99 && b[&Hemisphere::Left][1] == 0.0);
        assert!(m.brush(&left, &g)[&Hemisphere::Left][0] < 1e-3);
    }

    #[test]
    fn file_weights_queries_and_their_errors() {
        // 2 queries on a 2×2 grid: query 0 looks top-left, query 1 bottom-right
        let a = array(vec![2, 2, 2], vec![3.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0]);
        let w = PatchWeights::from_array(a.clone()).unwrap();
        let h = w.heatmap(0, 0).unwrap();
        assert_eq!(h.values, vec![0.75, 0.0, 0.0, 0.25]);
        let b = Brush::parse("0,0,0.5,0.5", 0, 0).unwrap();
        assert_eq!(w.brush(0, &b), vec![0.75, 0.0]);
        let q = QueryMap::from_indices(
            [(Hemisphere::Left, vec![0.0, 1.0, f32::NAN, -1.0])].into(),
            2,
        )
        .unwrap();
        assert_eq!(q.query(Hemisphere::Left, 1), Some(1));
        assert_eq!(q.query(Hemisphere::Left, 2), None);
        assert_eq!(
            q.spread(&[0.75, 0.0])[&Hemisphere::Left],
            vec![0.75, 0.0, 0.0, 0.0]
        );
        let e = QueryMap::from_indices([(Hemisphere::Left, vec![2.0])].into(), 2).unwrap_err();
        assert!(
            e.contains("query 2, but the weights have queries 0..1"),
            "{e}"
        );
        let mut bad = a.clone();
        bad[[1, 0, 1]] = f32::NAN;
        let e = PatchWeights::from_array(bad).unwrap_err();
        assert!(
            e.contains("NaN at image 0, query 1, row 0, column 1"),
            "{e}"
        );
        let e = PatchWeights::from_array(array(vec![4, 4], vec![0.0; 16])).unwrap_err();
        assert!(e.contains("expected [n_queries, grid_h, grid_w]"), "{e}");
        // ROI-named queries
        let regions: BTreeMap<_, _> = [(
            Hemisphere::Left,
            vec![Some("V1".to_string()), Some("FFA".into()), None],
        )]
        .into();
        let q = QueryMap::from_roi_names(vec!["ffa".into(), "v1".into()], &regions).unwrap();
        assert_eq!(q.per_hemi[&Hemisphere::Left], vec![1, 0, -1]);
        assert_eq!(q.roi_query("FFA"), Some(0));
        let e = QueryMap::from_roi_names(vec!["PPA".into()], &regions).unwrap_err();
        assert!(
            e.contains("\"PPA\" is not a region") && e.contains("FFA, V1"),
            "{e}"
        );
        assert!(Brush::parse("1,2,3", 10, 10).is_err());
        assert!(Brush::parse("0.5,0.5,0.5,0.9", 10, 10).is_err());
    }
}
