//! Per-vertex colours: a curvature underlay with overlays and parcellations blended on top.
//!
//! This is the one place colours are computed, for the app (vertex colours of the mesh) and
//! for tests. The underlay follows FreeSurfer's convention (positive curvature = sulcus,
//! drawn dark; negative = gyrus, drawn light), softened by a `tanh` so that folding reads as
//! shading rather than as a binary mask.

use serde::{Deserialize, Serialize};

use super::colormap::Colormap;

/// How an overlay maps values to colours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverlayStyle {
    pub colormap: String,
    pub min: f32,
    pub max: f32,
    /// Values with |v| below this are not drawn (0 = draw everything).
    pub threshold: f32,
    /// Map [-max, max] symmetrically (for signed statistics); `min` is then ignored.
    pub symmetric: bool,
    pub opacity: f32,
}

impl OverlayStyle {
    /// A default style for data with the given range: symmetric RdBu_r for signed data that
    /// straddles zero, viridis otherwise; limits at the 2nd/98th percentiles.
    pub fn auto(values: &[f32]) -> OverlayStyle {
        let (lo, hi) = robust_range(values);
        let signed = lo < 0.0 && hi > 0.0;
        if signed {
            let m = lo.abs().max(hi.abs());
            OverlayStyle {
                colormap: "RdBu_r".into(),
                min: -m,
                max: m,
                threshold: 0.0,
                symmetric: true,
                opacity: 1.0,
            }
        } else {
            OverlayStyle {
                colormap: "viridis".into(),
                min: lo,
                max: hi,
                threshold: 0.0,
                symmetric: false,
                opacity: 1.0,
            }
        }
    }

    /// Position of `v` in the colormap (0..1), or `None` when `v` is not drawn.
    pub fn position(&self, v: f32) -> Option<f32> {
        if !v.is_finite() || (self.threshold > 0.0 && v.abs() < self.threshold) {
            return None;
        }
        let t = if self.symmetric {
            let m = self.max.abs().max(f32::MIN_POSITIVE);
            (v + m) / (2.0 * m)
        } else {
            let span = self.max - self.min;
            if span.abs() < f32::EPSILON {
                0.5
            } else {
                (v - self.min) / span
            }
        };
        Some(t.clamp(0.0, 1.0))
    }
}

/// 2nd and 98th percentiles of the finite values (min/max for tiny arrays).
pub fn robust_range(values: &[f32]) -> (f32, f32) {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    let k = |q: f64| ((v.len() - 1) as f64 * q).round() as usize;
    let (lo_i, hi_i) = (k(0.02), k(0.98));
    let lo = *v.select_nth_unstable_by(lo_i, f32::total_cmp).1;
    let hi = *v.select_nth_unstable_by(hi_i, f32::total_cmp).1;
    if hi > lo { (lo, hi) } else { (lo, lo + 1.0) }
}

/// How a parcellation is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LabelMode {
    Filled,
    Outline,
}

/// One layer to paint, borrowed from the scene.
pub enum Layer<'a> {
    Overlay {
        values: &'a [f32],
        style: &'a OverlayStyle,
        cmap: &'a Colormap,
    },
    Labels {
        region_of: &'a [i32],
        rgba: &'a [[u8; 4]],
        mode: LabelMode,
        opacity: f32,
        boundary: &'a [bool],
    },
}

/// Grey level of the curvature underlay for one vertex.
pub fn underlay(curv: f32, contrast: f32) -> f32 {
    let c = if curv.is_finite() { curv } else { 0.0 };
    0.62 - 0.17 * contrast * (c * 25.0).tanh()
}

/// Paint every vertex: underlay, then each layer in order. Output is linear-ish RGBA in 0..1
/// (sRGB values; the renderer treats them as sRGB colours).
pub fn paint(
    n: usize,
    curvature: Option<&[f32]>,
    contrast: f32,
    layers: &[Layer],
) -> Vec<[f32; 4]> {
    let mut out: Vec<[f32; 4]> = (0..n)
        .map(|i| {
            let g = curvature.map(|c| underlay(c[i], contrast)).unwrap_or(0.7);
            [g, g, g, 1.0]
        })
        .collect();
    for layer in layers {
        match layer {
            Layer::Overlay {
                values,
                style,
                cmap,
            } => {
                for (o, &v) in out.iter_mut().zip(values.iter()) {
                    if let Some(t) = style.position(v) {
                        blend(o, cmap.at(t), style.opacity);
                    }
                }
            }
            Layer::Labels {
                region_of,
                rgba,
                mode,
                opacity,
                boundary,
            } => {
                for (i, o) in out.iter_mut().enumerate() {
                    let r = region_of[i];
                    if r < 0 || r as usize >= rgba.len() {
                        continue;
                    }
                    let draw = match mode {
                        LabelMode::Filled => true,
                        LabelMode::Outline => boundary[i],
                    };
                    if draw {
                        let a = if matches!(mode, LabelMode::Filled) && boundary[i] {
                            1.0
                        } else {
                            *opacity
                        };
                        blend(o, rgba[r as usize], a);
                    }
                }
            }
        }
    }
    out
}

pub(crate) fn blend(o: &mut [f32; 4], c: [u8; 4], opacity: f32) {
    let a = opacity.clamp(0.0, 1.0) * c[3] as f32 / 255.0;
    for k in 0..3 {
        o[k] = o[k] * (1.0 - a) + (c[k] as f32 / 255.0) * a;
    }
}

/// Vertices that have a neighbour in another region (the outline of a parcellation).
pub fn region_boundary(faces: &[[u32; 3]], region_of: &[i32]) -> Vec<bool> {
    let mut b = vec![false; region_of.len()];
    for f in faces {
        let r = f.map(|i| region_of[i as usize]);
        if r[0] != r[1] || r[1] != r[2] {
            for &i in f {
                b[i as usize] = true;
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_symmetry() {
        let s = OverlayStyle {
            colormap: "RdBu_r".into(),
            min: 0.0,
            max: 4.0,
            threshold: 1.0,
            symmetric: true,
            opacity: 1.0,
        };
        assert_eq!(s.position(0.5), None);
        assert_eq!(s.position(-0.5), None);
        assert_eq!(s.position(f32::NAN), None);
        assert_eq!(s.position(4.0), Some(1.0));
        assert_eq!(s.position(-4.0), Some(0.0));
        assert_eq!(s.position(2.0), Some(0.75));
    }

    #[test]
    fn auto_style_picks_signed_map() {
        let v: Vec<f32> = (-50..=50).map(|x| x as f32).collect();
        let s = OverlayStyle::auto(&v);
        assert!(s.symmetric);
        let v: Vec<f32> = (0..100).map(|x| x as f32).collect();
        let s = OverlayStyle::auto(&v);
        assert!(!s.symmetric && s.min >= 0.0 && s.max <= 99.0);
    }

    #[test]
    fn paint_shows_sulci_darker_and_overlay_colours() {
        let curv = [0.5f32, -0.5];
        let base = paint(2, Some(&curv), 1.0, &[]);
        assert!(base[0][0] < base[1][0], "sulcus darker than gyrus");
        let cmap = Colormap::by_name("hot").unwrap();
        let style = OverlayStyle {
            colormap: "hot".into(),
            min: 0.0,
            max: 1.0,
            threshold: 0.5,
            symmetric: false,
            opacity: 1.0,
        };
        let vals = [1.0f32, 0.1];
        let out = paint(
            2,
            Some(&curv),
            1.0,
            &[Layer::Overlay {
                values: &vals,
                style: &style,
                cmap: &cmap,
            }],
        );
        assert_eq!(out[0][..3], [1.0, 1.0, 1.0]); // hot at 1 = white
        assert_eq!(out[1], base[1]); // below threshold: underlay shows
    }

    #[test]
    fn boundary_marks_region_edges() {
        let faces = [[0u32, 1, 2], [1, 3, 2]];
        let b = region_boundary(&faces, &[0, 0, 0, 1]);
        assert_eq!(b, vec![false, true, true, true]);
    }
}
