//! Image similarity: mean squared error and SSIM (Wang, Bovik, Sheikh & Simoncelli 2004,
//! *IEEE TIP* 13:600) with the usual constants — 11-tap Gaussian window, σ = 1.5 px,
//! C₁ = (0.01·L)², C₂ = (0.03·L)², L = 1 for images in 0..1 — averaged over the image
//! (borders use the part of the window inside the image).

pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64
}

fn gaussian_kernel() -> [f64; 11] {
    let mut k = [0.0; 11];
    let mut sum = 0.0;
    for (i, v) in k.iter_mut().enumerate() {
        let x = i as f64 - 5.0;
        *v = (-x * x / (2.0 * 1.5 * 1.5)).exp();
        sum += *v;
    }
    k.map(|v| v / sum)
}

/// Separable Gaussian blur with renormalisation at the borders.
fn blur(img: &[f64], w: usize, h: usize) -> Vec<f64> {
    let k = gaussian_kernel();
    let mut tmp = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mut s, mut n) = (0.0, 0.0);
            for (i, kv) in k.iter().enumerate() {
                let xx = x as isize + i as isize - 5;
                if xx >= 0 && (xx as usize) < w {
                    s += kv * img[y * w + xx as usize];
                    n += kv;
                }
            }
            tmp[y * w + x] = s / n;
        }
    }
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mut s, mut n) = (0.0, 0.0);
            for (i, kv) in k.iter().enumerate() {
                let yy = y as isize + i as isize - 5;
                if yy >= 0 && (yy as usize) < h {
                    s += kv * tmp[yy as usize * w + x];
                    n += kv;
                }
            }
            out[y * w + x] = s / n;
        }
    }
    out
}

/// Mean SSIM of two images of `w`×`h` pixels with values in 0..1.
pub fn ssim(a: &[f32], b: &[f32], w: usize, h: usize) -> f64 {
    ssim_in(a, b, w, h, None)
}

/// SSIM averaged over the pixels where `mask` is true (the whole image when `None`); NaN for
/// an empty mask. The local statistics still use the full window around each pixel.
pub fn ssim_in(a: &[f32], b: &[f32], w: usize, h: usize, mask: Option<&[bool]>) -> f64 {
    ssim_both(a, b, w, h, mask).1
}

/// SSIM over the whole image and over `mask` (as [`ssim_in`]) from one set of local
/// statistics.
pub fn ssim_both(a: &[f32], b: &[f32], w: usize, h: usize, mask: Option<&[bool]>) -> (f64, f64) {
    assert_eq!(a.len(), w * h);
    assert_eq!(b.len(), w * h);
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let x: Vec<f64> = a.iter().map(|&v| v as f64).collect();
    let y: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    let mx = blur(&x, w, h);
    let my = blur(&y, w, h);
    let xx: Vec<f64> = x.iter().map(|v| v * v).collect();
    let yy: Vec<f64> = y.iter().map(|v| v * v).collect();
    let xy: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p * q).collect();
    let (sxx, syy, sxy) = (blur(&xx, w, h), blur(&yy, w, h), blur(&xy, w, h));
    let (mut all, mut total, mut n) = (0.0, 0.0, 0usize);
    for i in 0..w * h {
        let vx = sxx[i] - mx[i] * mx[i];
        let vy = syy[i] - my[i] * my[i];
        let cxy = sxy[i] - mx[i] * my[i];
        let v = ((2.0 * mx[i] * my[i] + c1) * (2.0 * cxy + c2))
            / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
        all += v;
        if mask.is_none_or(|m| m[i]) {
            total += v;
            n += 1;
        }
    }
    (
        all / (w * h).max(1) as f64,
        if n == 0 { f64::NAN } else { total / n as f64 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_images_score_one() {
        let img: Vec<f32> = (0..400).map(|i| (i % 17) as f32 / 17.0).collect();
        assert!((ssim(&img, &img, 20, 20) - 1.0).abs() < 1e-12);
        assert_eq!(mse(&img, &img), 0.0);
    }

    #[test]
    fn ssim_falls_with_noise_and_inversion() {
        let img: Vec<f32> = (0..1024)
            .map(|i| if (i / 32) % 8 < 4 { 1.0 } else { 0.0 })
            .collect();
        let noisy: Vec<f32> = img
            .iter()
            .enumerate()
            .map(|(i, v)| (v + 0.3 * (((i * 7919) % 13) as f32 / 13.0 - 0.5)).clamp(0.0, 1.0))
            .collect();
        let inverted: Vec<f32> = img.iter().map(|v| 1.0 - v).collect();
        let s_noisy = ssim(&img, &noisy, 32, 32);
        let s_inv = ssim(&img, &inverted, 32, 32);
        assert!(s_noisy < 1.0 && s_noisy > s_inv, "{s_noisy} {s_inv}");
        assert!(s_inv < 0.0);
        assert!((mse(&img, &inverted) - 1.0).abs() < 1e-12);
    }
}
