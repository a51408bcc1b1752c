//! Percept images: the sum of the phosphenes' Gaussians over a visual-field grid, clamped to
//! 0..1, and the gradient of an image loss with respect to each phosphene's centre, size and
//! brightness.
//!
//! Each pixel holds the *mean* of a phosphene's Gaussian over the pixel's area,
//!
//! ```text
//! G(pixel) = (2πσ²/Δ²) · [Φ((x₁−x₀)/σ) − Φ((x₀'−x₀)/σ)] · [same in y]
//! ```
//!
//! which equals `exp(−d²/2σ²)` when σ ≫ Δ and stays exact for phosphenes smaller than a pixel
//! (common near the fovea: σ = ρ/M is 0.02° at 1° eccentricity). Only pixels within 4σ + 1 px
//! of a centre are touched, so a 256×256 percept of 1,000 phosphenes costs about a millisecond.

use serde::{Deserialize, Serialize};

use super::phosphene::Phosphene;

/// A square-pixel grid over the visual field, row 0 at the top.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    /// Horizontal extent in degrees; the vertical extent follows from the aspect ratio.
    pub fov_deg: f64,
    /// Centre of the grid in the visual field (deg).
    pub centre: [f64; 2],
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            width: 256,
            height: 256,
            fov_deg: 16.0,
            centre: [0.0, 0.0],
        }
    }
}

impl Grid {
    pub fn pixel_deg(&self) -> f64 {
        self.fov_deg / self.width as f64
    }
    /// Left edge (x) and top edge (y) of the grid in degrees.
    pub fn origin(&self) -> (f64, f64) {
        let d = self.pixel_deg();
        (
            self.centre[0] - d * self.width as f64 / 2.0,
            self.centre[1] + d * self.height as f64 / 2.0,
        )
    }
    /// Visual-field position of a pixel centre.
    pub fn pixel_centre(&self, col: usize, row: usize) -> (f64, f64) {
        let (x0, y0) = self.origin();
        let d = self.pixel_deg();
        (x0 + (col as f64 + 0.5) * d, y0 - (row as f64 + 0.5) * d)
    }
    /// Fractional pixel coordinates (col, row) of a field point.
    pub fn to_pixel(&self, x: f64, y: f64) -> (f64, f64) {
        let (x0, y0) = self.origin();
        let d = self.pixel_deg();
        ((x - x0) / d - 0.5, (y0 - y) / d - 0.5)
    }
    pub fn len(&self) -> usize {
        self.width * self.height
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The standard normal's distribution function Φ(t) and density φ(t) together, sharing one
/// exponential: Φ from the rational approximation of erf in Abramowitz & Stegun 7.1.26
/// (absolute error ≤ 1.5·10⁻⁷, far below the f32 images it feeds), whose e^{−x²} at
/// x = t/√2 is e^{−t²/2}, φ's own exponential.
fn cdf_pdf(t: f64) -> (f64, f64) {
    const P: f64 = 0.327_591_1;
    const A: [f64; 5] = [
        0.254_829_592,
        -0.284_496_736,
        1.421_413_741,
        -1.453_152_027,
        1.061_405_429,
    ];
    let g = (-0.5 * t * t).exp();
    let x = t.abs() * std::f64::consts::FRAC_1_SQRT_2;
    let k = 1.0 / (1.0 + P * x);
    let poly = k * (A[0] + k * (A[1] + k * (A[2] + k * (A[3] + k * A[4]))));
    let erf = 1.0 - poly * g;
    let cdf = 0.5 * (1.0 + erf.copysign(t));
    (cdf, g / (2.0 * std::f64::consts::PI).sqrt())
}

/// Per-axis pixel integrals of one phosphene: for each pixel index in `first..first+len`,
/// `Φ(t_hi) − Φ(t_lo)` and the pdf values at both edges (for derivatives).
/// (Inline up to 32 pixels: a phosphene up to σ ≈ 3.6 px needs no allocation.)
struct Axis {
    first: usize,
    mass: Lane,
    pdf_lo: Lane,
    pdf_hi: Lane,
    t_lo: Lane,
    t_hi: Lane,
}

type Lane = smallvec::SmallVec<[f64; 32]>;

/// `edge(i)` is the low edge of pixel i along the axis, increasing with i in "centre units":
/// we pass centre offsets so both axes can be handled alike.
fn axis(centre_px: f64, sigma_px: f64, n: usize) -> Option<Axis> {
    let reach = 4.0 * sigma_px + 1.0;
    let lo = (centre_px - reach).floor().max(0.0);
    let hi = (centre_px + reach).ceil().min(n as f64 - 1.0);
    if hi < lo {
        return None;
    }
    let (first, last) = (lo as usize, hi as usize);
    let len = last - first + 1;
    let mut a = Axis {
        first,
        mass: Lane::with_capacity(len),
        pdf_lo: Lane::with_capacity(len),
        pdf_hi: Lane::with_capacity(len),
        t_lo: Lane::with_capacity(len),
        t_hi: Lane::with_capacity(len),
    };
    // pixel i spans [i − 0.5, i + 0.5] in pixel-centre coordinates; neighbours share an edge,
    // so each edge's Φ and φ are evaluated once
    let edge = |i: usize| (i as f64 - 0.5 - centre_px) / sigma_px;
    let mut t_lo = edge(first);
    let (mut c_lo, mut p_lo) = cdf_pdf(t_lo);
    for i in first..=last {
        let t_hi = edge(i + 1);
        let (c_hi, p_hi) = cdf_pdf(t_hi);
        a.mass.push((c_hi - c_lo).max(0.0));
        a.pdf_lo.push(p_lo);
        a.pdf_hi.push(p_hi);
        a.t_lo.push(t_lo);
        a.t_hi.push(t_hi);
        (t_lo, c_lo, p_lo) = (t_hi, c_hi, p_hi);
    }
    Some(a)
}

/// Render phosphenes into a new image (row-major, 0..1).
pub fn render(grid: &Grid, phosphenes: &[Phosphene]) -> Vec<f32> {
    let mut sum = vec![0f32; grid.len()];
    accumulate(grid, phosphenes, &mut sum);
    for v in &mut sum {
        *v = v.clamp(0.0, 1.0);
    }
    sum
}

/// Add the unclamped phosphene sum into `out`.
pub fn accumulate(grid: &Grid, phosphenes: &[Phosphene], out: &mut [f32]) {
    let d = grid.pixel_deg();
    for p in phosphenes {
        if p.brightness == 0.0 || p.sigma_deg.is_nan() || p.sigma_deg <= 0.0 {
            continue;
        }
        let s = p.sigma_deg / d;
        let (cx, cy) = grid.to_pixel(p.x_deg, p.y_deg);
        let (Some(ax), Some(ay)) = (axis(cx, s, grid.width), axis(cy, s, grid.height)) else {
            continue;
        };
        let scale = (p.brightness * 2.0 * std::f64::consts::PI * s * s) as f32;
        let mx: smallvec::SmallVec<[f32; 32]> = ax.mass.iter().map(|&m| m as f32).collect();
        for (j, &my) in ay.mass.iter().enumerate() {
            let row = (ay.first + j) * grid.width + ax.first;
            let f = scale * my as f32;
            for (o, &m) in out[row..row + mx.len()].iter_mut().zip(&mx) {
                *o += f * m;
            }
        }
    }
}

/// Gradient of a loss with respect to one phosphene's parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhospheneGrad {
    pub x_deg: f64,
    pub y_deg: f64,
    pub sigma_deg: f64,
    pub brightness: f64,
}

/// Back-propagate `dloss_dsum` (the loss gradient with respect to the *unclamped* sum, i.e.
/// already zeroed where the clamp was active) to each phosphene.
pub fn backprop(grid: &Grid, phosphenes: &[Phosphene], dloss_dsum: &[f32]) -> Vec<PhospheneGrad> {
    let d = grid.pixel_deg();
    phosphenes
        .iter()
        .map(|p| {
            let mut g = PhospheneGrad::default();
            if p.sigma_deg.is_nan() || p.sigma_deg <= 0.0 {
                return g;
            }
            let s = p.sigma_deg / d;
            let (cx, cy) = grid.to_pixel(p.x_deg, p.y_deg);
            let (Some(ax), Some(ay)) = (axis(cx, s, grid.width), axis(cy, s, grid.height)) else {
                return g;
            };
            let c = 2.0 * std::f64::consts::PI * s * s;
            // derivatives of the axis masses with respect to the centre (pixel units) and σ
            let dmx_dc: Lane = ax
                .pdf_lo
                .iter()
                .zip(&ax.pdf_hi)
                .map(|(lo, hi)| (lo - hi) / s)
                .collect();
            let dmx_ds: Lane = (0..ax.mass.len())
                .map(|i| -(ax.pdf_hi[i] * ax.t_hi[i] - ax.pdf_lo[i] * ax.t_lo[i]) / s)
                .collect();
            let (mut gx, mut gy, mut gs, mut gb) = (0.0, 0.0, 0.0, 0.0);
            for j in 0..ay.mass.len() {
                let my = ay.mass[j];
                let dmy_dc = (ay.pdf_lo[j] - ay.pdf_hi[j]) / s;
                let dmy_ds = -(ay.pdf_hi[j] * ay.t_hi[j] - ay.pdf_lo[j] * ay.t_lo[j]) / s;
                let row = (ay.first + j) * grid.width + ax.first;
                for i in 0..ax.mass.len() {
                    let w = dloss_dsum[row + i] as f64;
                    if w == 0.0 {
                        continue;
                    }
                    let mx = ax.mass[i];
                    gb += w * c * mx * my;
                    gx += w * c * dmx_dc[i] * my;
                    gy += w * c * mx * dmy_dc;
                    gs += w * (2.0 * c / s * mx * my + c * (dmx_ds[i] * my + mx * dmy_ds));
                }
            }
            // pixel units → degrees; image rows grow downwards while y grows upwards
            g.x_deg = p.brightness * gx / d;
            g.y_deg = -p.brightness * gy / d;
            g.sigma_deg = p.brightness * gs / d;
            g.brightness = gb;
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_normal_cdf_matches_libm() {
        let mut worst = (0.0f64, 0.0f64);
        for i in -4000..=4000 {
            let t = i as f64 * 0.002;
            let (c, p) = cdf_pdf(t);
            let exact = 0.5 * (1.0 + libm::erf(t / std::f64::consts::SQRT_2));
            let pe = (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
            worst.0 = worst.0.max((c - exact).abs());
            worst.1 = worst.1.max((p - pe).abs());
        }
        assert!(worst.0 < 2e-7 && worst.1 < 1e-15, "{worst:?}");
    }

    fn ph(x: f64, y: f64, s: f64, b: f64) -> Phosphene {
        Phosphene {
            x_deg: x,
            y_deg: y,
            sigma_deg: s,
            brightness: b,
        }
    }

    #[test]
    fn large_gaussians_match_the_point_formula_and_small_ones_keep_their_mass() {
        let g = Grid {
            width: 64,
            height: 64,
            fov_deg: 8.0,
            centre: [0.0, 0.0],
        };
        let img = render(&g, &[ph(0.3, -0.2, 1.0, 0.8)]);
        for (col, row) in [(30, 30), (40, 25), (20, 45)] {
            let (x, y) = g.pixel_centre(col, row);
            let want = 0.8 * (-((x - 0.3f64).powi(2) + (y + 0.2f64).powi(2)) / 2.0).exp();
            assert!(
                (img[row * 64 + col] as f64 - want).abs() < 2e-3,
                "{col},{row}"
            );
        }
        // a phosphene much smaller than a pixel: total light = brightness · 2πσ² / pixel area
        let tiny = render(&g, &[ph(0.01, 0.02, 0.01, 1.0)]);
        let total: f64 = tiny.iter().map(|&v| v as f64).sum();
        let want = 2.0 * std::f64::consts::PI * (0.01f64 / g.pixel_deg()).powi(2);
        assert!(
            (total - want).abs() < 1e-4 * want.max(1e-6),
            "{total} vs {want}"
        );
    }

    #[test]
    fn orientation_of_the_image() {
        let g = Grid {
            width: 32,
            height: 32,
            fov_deg: 8.0,
            centre: [0.0, 0.0],
        };
        let img = render(&g, &[ph(3.0, 3.0, 0.3, 1.0)]); // upper right
        let (mut best, mut at) = (0.0, 0);
        for (i, &v) in img.iter().enumerate() {
            if v > best {
                best = v;
                at = i;
            }
        }
        let (col, row) = (at % 32, at / 32);
        assert!(
            col > 24 && row < 8,
            "upper right is top right of the image: {col},{row}"
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        let g = Grid {
            width: 48,
            height: 40,
            fov_deg: 6.0,
            centre: [0.5, -0.5],
        };
        let target: Vec<f32> = (0..g.len())
            .map(|i| ((i * 7919) % 97) as f32 / 97.0)
            .collect();
        let phos = vec![
            ph(0.2, -0.4, 0.35, 0.7),
            ph(1.1, 0.3, 0.08, 0.9),
            ph(-1.0, -1.2, 0.5, 0.5),
        ];
        // loss = Σ (S − T)² on the unclamped sum
        let loss = |ps: &[Phosphene]| -> f64 {
            let mut s = vec![0f32; g.len()];
            accumulate(&g, ps, &mut s);
            s.iter()
                .zip(&target)
                .map(|(a, b)| ((*a - *b) as f64).powi(2))
                .sum()
        };
        let mut s = vec![0f32; g.len()];
        accumulate(&g, &phos, &mut s);
        let dl: Vec<f32> = s.iter().zip(&target).map(|(a, b)| 2.0 * (a - b)).collect();
        let grads = backprop(&g, &phos, &dl);
        for k in 0..phos.len() {
            let h = 1e-3;
            // central difference along one parameter
            let fd = |f: &dyn Fn(&mut Phosphene, f64)| {
                let mut a = phos.clone();
                let mut b = phos.clone();
                f(&mut a[k], h);
                f(&mut b[k], -h);
                (loss(&a) - loss(&b)) / (2.0 * h)
            };
            let checks = [
                (
                    fd(&|p: &mut Phosphene, h| p.x_deg += h),
                    grads[k].x_deg,
                    "x",
                ),
                (
                    fd(&|p: &mut Phosphene, h| p.y_deg += h),
                    grads[k].y_deg,
                    "y",
                ),
                (
                    fd(&|p: &mut Phosphene, h| p.sigma_deg += h),
                    grads[k].sigma_deg,
                    "sigma",
                ),
                (
                    fd(&|p: &mut Phosphene, h| p.brightness += h),
                    grads[k].brightness,
                    "brightness",
                ),
            ];
            for (num, ana, what) in checks {
                assert!(
                    (num - ana).abs() < 2e-2 * ana.abs().max(1.0),
                    "phosphene {k} {what}: fd {num} vs analytic {ana}"
                );
            }
        }
    }
}
