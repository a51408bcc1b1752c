//! Target images for planning, on the percept grid: letters and short words drawn with the
//! bundled DejaVu Sans Bold, the bundled natural images, and user images. All are greyscale
//! in 0..1 (bright = should be seen).

use crate::brain::text;
use crate::percept::render::Grid;

/// Natural images bundled in `assets/images/` (provenance in `assets/README.md`).
pub const IMAGES: &[(&str, &[u8])] = &[
    (
        "camera",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/camera.png"
        )),
    ),
    (
        "astronaut",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/astronaut.png"
        )),
    ),
    (
        "chelsea",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/chelsea.png"
        )),
    ),
    (
        "coffee",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/coffee.png"
        )),
    ),
];

/// Natural images the planner never sees (`assets/images/held_out/`): the reading report's
/// image scores.
pub const HELD_OUT_IMAGES: &[(&str, &[u8])] = &[
    (
        "rocket",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/held_out/rocket.png"
        )),
    ),
    (
        "hubble_deep_field",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/held_out/hubble_deep_field.png"
        )),
    ),
    (
        "gravel",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/held_out/gravel.png"
        )),
    ),
    (
        "brick",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/held_out/brick.png"
        )),
    ),
    (
        "grass",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/images/held_out/grass.png"
        )),
    ),
];

/// Default reading set: single letters of varied shape and two short words.
pub const LETTERS: &[&str] = &[
    "A", "E", "H", "K", "N", "O", "R", "S", "X", "Z", "CAT", "SUN",
];

/// A named target.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub pixels: Vec<f32>,
}

/// A task: a named set of targets whose scores are averaged.
#[derive(Clone, Debug)]
pub struct Task {
    pub name: String,
    pub targets: Vec<Target>,
}

/// Draw `text` centred on the grid, its cap height `height_frac` of the grid height (words
/// are shrunk to fit 90% of the width).
pub fn text_image(grid: &Grid, text: &str, height_frac: f64) -> Result<Vec<f32>, String> {
    let font = text::font()?;
    let mut img = vec![0f32; grid.len()];
    let mut px =
        (height_frac * grid.height as f64) as f32 / text::cap_height(&font, 1000.0) * 1000.0;
    let w = text::width(&font, text, px);
    if w > grid.width as f32 * 0.9 {
        px *= grid.width as f32 * 0.9 / w;
    }
    let baseline = grid.height as f32 / 2.0 + text::cap_height(&font, px) / 2.0;
    let x = grid.width as f32 / 2.0 - text::width(&font, text, px) / 2.0;
    text::draw(&font, text, px, x, baseline, |xx, yy, cov| {
        if xx >= 0 && yy >= 0 && (xx as usize) < grid.width && (yy as usize) < grid.height {
            let p = &mut img[yy as usize * grid.width + xx as usize];
            *p = (*p + cov).min(1.0);
        }
    });
    Ok(img)
}

/// Resample an image file's bytes onto the grid (bilinear, greyscale 0..1, filling the grid).
pub fn image_from_bytes(grid: &Grid, bytes: &[u8], what: &str) -> Result<Vec<f32>, String> {
    let img = image::load_from_memory(bytes)
        .map_err(|e| format!("{what}: {e}"))?
        .to_luma32f();
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(format!("{what}: empty image"));
    }
    let mut out = vec![0f32; grid.len()];
    for row in 0..grid.height {
        for col in 0..grid.width {
            let fx = ((col as f32 + 0.5) / grid.width as f32 * w as f32 - 0.5)
                .clamp(0.0, (w - 1) as f32);
            let fy = ((row as f32 + 0.5) / grid.height as f32 * h as f32 - 0.5)
                .clamp(0.0, (h - 1) as f32);
            let (x0, y0) = (fx.floor() as u32, fy.floor() as u32);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
            let p = |x, y| img.get_pixel(x, y)[0];
            let top = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
            let bot = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
            out[row * grid.width + col] = (top * (1.0 - ty) + bot * ty).clamp(0.0, 1.0);
        }
    }
    Ok(out)
}

/// The reading task.
pub fn letters(grid: &Grid, items: &[&str]) -> Result<Task, String> {
    let targets = items
        .iter()
        .map(|t| {
            Ok(Target {
                name: t.to_string(),
                pixels: text_image(grid, t, 0.6)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Task {
        name: "letters".into(),
        targets,
    })
}

/// The natural-image task (bundled images).
pub fn images(grid: &Grid) -> Result<Task, String> {
    let targets = IMAGES
        .iter()
        .map(|(n, b)| {
            Ok(Target {
                name: n.to_string(),
                pixels: image_from_bytes(grid, b, n)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Task {
        name: "images".into(),
        targets,
    })
}

/// A task from image files on disk.
pub fn user_images(grid: &Grid, name: &str, paths: &[std::path::PathBuf]) -> Result<Task, String> {
    if paths.is_empty() {
        return Err(format!("task {name:?} lists no images"));
    }
    let targets = paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(Target {
                name: p.display().to_string(),
                pixels: image_from_bytes(grid, &bytes, &p.display().to_string())?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Task {
        name: name.into(),
        targets,
    })
}

/// Bilinear sample of a target at a field point, and its gradient (per degree).
pub fn sample(grid: &Grid, img: &[f32], x: f64, y: f64) -> (f64, [f64; 2]) {
    let (cx, cy) = grid.to_pixel(x, y);
    let (w, h) = (grid.width as f64, grid.height as f64);
    if !(cx >= 0.0 && cy >= 0.0 && cx <= w - 1.0 && cy <= h - 1.0) {
        return (0.0, [0.0, 0.0]);
    }
    let (x0, y0) = (cx.floor() as usize, cy.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(grid.width - 1), (y0 + 1).min(grid.height - 1));
    let (tx, ty) = (cx - x0 as f64, cy - y0 as f64);
    let p = |x: usize, y: usize| img[y * grid.width + x] as f64;
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let val = (a * (1.0 - tx) + b * tx) * (1.0 - ty) + (c * (1.0 - tx) + d * tx) * ty;
    let dcx = (b - a) * (1.0 - ty) + (d - c) * ty;
    let dcy = (c - a) * (1.0 - tx) + (d - b) * tx;
    let px = grid.pixel_deg();
    // columns grow with x; rows grow as y falls
    (val, [dcx / px, -dcy / px])
}

/// The stimulus as an electrode encodes it: the image averaged over a Gaussian receptive field
/// of σ `rf_deg` degrees at a field point (outside the grid counts as dark), and its gradient
/// (per degree) w.r.t. the point. Below half a pixel this is the bilinear [`sample`].
pub fn sample_rf(grid: &Grid, img: &[f32], x: f64, y: f64, rf_deg: f64) -> (f64, [f64; 2]) {
    let (v, g, _) = sample_rf_with_size(grid, img, x, y, rf_deg);
    (v, g)
}

/// [`sample_rf`] and the derivative of the value w.r.t. the field's σ (per degree; 0 below
/// half a pixel).
pub fn sample_rf_with_size(
    grid: &Grid,
    img: &[f32],
    x: f64,
    y: f64,
    rf_deg: f64,
) -> (f64, [f64; 2], f64) {
    RfWindow::new(grid, x, y, rf_deg).sample(grid, img, x, y)
}

/// A receptive field's Gaussian weights on a grid (separable: one row and one column of
/// weights), reusable for every image on that grid — the reading term samples 26 letters
/// through the same fields.
pub struct RfWindow {
    /// None: below half a pixel (bilinear sampling)
    win: Option<Window>,
}

struct Window {
    c0: i64,
    r0: i64,
    step: i64,
    /// per column / row of the window: offset from the centre (pixels) and weight
    dx: Vec<f64>,
    wx: Vec<f64>,
    dy: Vec<f64>,
    wy: Vec<f64>,
    s: f64,
    z: f64,
    zs: f64,
    d: f64,
}

impl RfWindow {
    pub fn new(grid: &Grid, x: f64, y: f64, rf_deg: f64) -> RfWindow {
        let d = grid.pixel_deg();
        // (NaN included: no window)
        if rf_deg.partial_cmp(&(0.5 * d)) != Some(std::cmp::Ordering::Greater) {
            return RfWindow { win: None };
        }
        let (cx, cy) = grid.to_pixel(x, y);
        let s = rf_deg / d;
        // a wide field is sampled every `step` pixels (a third of σ: the weights stay smooth)
        let step = ((s / 3.0).floor() as i64).max(1);
        let r = (3.0 * s / step as f64).ceil() as i64 * step;
        // the sampled columns/rows lie on the grid's own multiples of `step`, so moving the
        // field moves the weights, not the pixels sampled (smooth in the centre)
        let (c0, r0) = (
            ((cx - r as f64) / step as f64).floor() as i64 * step,
            ((cy - r as f64) / step as f64).floor() as i64 * step,
        );
        let n = (2 * r / step + 2) as usize;
        let k = 1.0 / (2.0 * s * s);
        let dx: Vec<f64> = (0..n).map(|i| (c0 + i as i64 * step) as f64 - cx).collect();
        let dy: Vec<f64> = (0..n).map(|i| (r0 + i as i64 * step) as f64 - cy).collect();
        let wx: Vec<f64> = dx.iter().map(|v| (-v * v * k).exp()).collect();
        let wy: Vec<f64> = dy.iter().map(|v| (-v * v * k).exp()).collect();
        // z = Σw and Σw·r² over the whole window (outside the grid counts as dark)
        let (sx, sy) = (wx.iter().sum::<f64>(), wy.iter().sum::<f64>());
        let sx2: f64 = wx.iter().zip(&dx).map(|(w, v)| w * v * v).sum();
        let sy2: f64 = wy.iter().zip(&dy).map(|(w, v)| w * v * v).sum();
        RfWindow {
            win: Some(Window {
                c0,
                r0,
                step,
                dx,
                wx,
                dy,
                wy,
                s,
                z: sx * sy,
                zs: sx2 * sy + sx * sy2,
                d,
            }),
        }
    }

    /// The image averaged over the field, its gradient w.r.t. the field's centre (per degree)
    /// and its derivative w.r.t. σ (per degree). (`x`, `y`) is the centre (for the bilinear
    /// case).
    pub fn sample(&self, grid: &Grid, img: &[f32], x: f64, y: f64) -> (f64, [f64; 2], f64) {
        let Some(w) = &self.win else {
            let (v, g) = sample(grid, img, x, y);
            return (v, g, 0.0);
        };
        if w.z <= 0.0 {
            return (0.0, [0.0, 0.0], 0.0);
        }
        let (gw, gh) = (grid.width as i64, grid.height as i64);
        let (mut v, mut gx, mut gy, mut vs) = (0.0, 0.0, 0.0, 0.0);
        for (j, (&wyj, &dyj)) in w.wy.iter().zip(&w.dy).enumerate() {
            let row = w.r0 + j as i64 * w.step;
            if row < 0 || row >= gh || wyj < 1e-12 {
                continue;
            }
            let line = &img[row as usize * grid.width..(row as usize + 1) * grid.width];
            // columns of the window inside the grid
            let i0 = ((-w.c0 + w.step - 1).max(0) / w.step) as usize;
            let i1 = ((gw - 1 - w.c0).div_euclid(w.step) + 1)
                .min(w.wx.len() as i64)
                .max(0) as usize;
            let (mut a, mut ax, mut ax2) = (0.0, 0.0, 0.0);
            for i in i0..i1 {
                let p = line[(w.c0 + i as i64 * w.step) as usize] as f64;
                if p == 0.0 {
                    continue;
                }
                let t = w.wx[i] * p;
                a += t;
                ax += t * w.dx[i];
                ax2 += t * w.dx[i] * w.dx[i];
            }
            v += wyj * a;
            gx += wyj * ax;
            gy += wyj * dyj * a;
            vs += wyj * (ax2 + dyj * dyj * a);
        }
        let m = v / w.z;
        let s2 = w.s * w.s;
        // ∂w/∂cx = w·dx/s² (pixels → degrees: columns grow with x, rows as y falls);
        // ∂m/∂s = (Σ w r² p − m Σ w r²) / (s³ z)
        let dm_ds = (vs - m * w.zs) / (s2 * w.s) / w.z;
        (m, [gx / s2 / w.z / w.d, -gy / s2 / w.z / w.d], dm_ds / w.d)
    }
}

/// Each electrode's receptive field (σ, degrees) for [`sample_rf`]: half the distance from its
/// phosphene to the nearest other phosphene of the layout — the share of the field it stands
/// for, as a camera image downsampled onto the implant — at least `floor[i]` (its phosphene's
/// own size) and at most 1°.
pub fn receptive_fields(points: &[(f64, f64)], floor: &[f64]) -> Vec<f64> {
    receptive_fields_nn(points, floor)
        .into_iter()
        .map(|(rf, _)| rf)
        .collect()
}

/// [`receptive_fields`] and, where the field is half the nearest-neighbour distance (not at
/// the floor or the cap), that neighbour's index (for gradients).
pub fn receptive_fields_nn(points: &[(f64, f64)], floor: &[f64]) -> Vec<(f64, Option<usize>)> {
    use rstar::RTree;
    use rstar::primitives::GeomWithData;
    // a k-d query per point (1,000 electrodes: a million distance pairs would be the brute force)
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(j, p)| GeomWithData::new([p.0, p.1], j))
            .collect(),
    );
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (nn, j) = tree
                .nearest_neighbor_iter_with_distance_2([p.0, p.1])
                .find(|(q, _)| q.data != i)
                .map_or((f64::INFINITY, usize::MAX), |(q, d2)| (d2.sqrt(), q.data));
            let f = floor.get(i).copied().unwrap_or(0.0);
            let half = 0.5 * nn;
            if half > f && half < 1.0 && nn > 0.0 {
                (half, Some(j))
            } else {
                (half.min(1.0).max(f), None)
            }
        })
        .collect()
}

/// Separable Gaussian blur (σ in pixels), used to give the optimiser a smooth encoding signal.
pub fn blur(grid: &Grid, img: &[f32], sigma_px: f64) -> Vec<f32> {
    if sigma_px < 0.3 {
        return img.to_vec();
    }
    let r = (3.0 * sigma_px).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma_px * sigma_px)).exp())
        .collect();
    let (w, h) = (grid.width, grid.height);
    let r = r as usize;
    // one line of `len` samples `stride` apart; taps outside the image are left out and the
    // kernel renormalised (no branch per tap: the valid tap range is computed per sample)
    let line = |src: &[f32], out: &mut [f32], start: usize, stride: usize, len: usize| {
        for x in 0..len {
            let lo = r.saturating_sub(x);
            let hi = (2 * r).min(len - 1 + r - x);
            let (mut s, mut n) = (0.0f64, 0.0f64);
            for (j, kv) in k.iter().enumerate().take(hi + 1).skip(lo) {
                s += kv * src[start + (x + j - r) * stride] as f64;
                n += kv;
            }
            out[start + x * stride] = (s / n) as f32;
        }
    };
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0f32; src.len()];
        if horizontal {
            for y in 0..h {
                line(src, &mut out, y * w, 1, w);
            }
        } else {
            for x in 0..w {
                line(src, &mut out, x, w, h);
            }
        }
        out
    };
    pass(&pass(img, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_drawn_centred() {
        let g = Grid {
            width: 64,
            height: 64,
            fov_deg: 10.0,
            centre: [0.0, 0.0],
        };
        let img = text_image(&g, "H", 0.6).unwrap();
        let ink: f32 = img.iter().sum();
        assert!(ink > 100.0, "ink {ink}");
        let (mut cx, mut cy) = (0.0, 0.0);
        for (i, v) in img.iter().enumerate() {
            cx += (i % 64) as f32 * v;
            cy += (i / 64) as f32 * v;
        }
        assert!((cx / ink - 31.5).abs() < 3.0 && (cy / ink - 31.5).abs() < 3.0);
        let word = text_image(&g, "CATALOGUE", 0.6).unwrap();
        // shrunk to fit: no ink in the outer columns
        for row in 0..64 {
            assert_eq!(word[row * 64], 0.0);
        }
    }

    #[test]
    fn receptive_field_sampling_averages_and_has_the_right_gradient() {
        let g = Grid {
            width: 64,
            height: 64,
            fov_deg: 8.0,
            centre: [0.0, 0.0],
        };
        // a ramp in x: the average over a symmetric field is the value at its centre
        let ramp: Vec<f32> = (0..g.len()).map(|i| (i % 64) as f32 / 63.0).collect();
        let (v, grad) = sample_rf(&g, &ramp, 0.3, 0.2, 0.5);
        let (b, _) = sample(&g, &ramp, 0.3, 0.2);
        assert!((v - b).abs() < 0.01, "{v} {b}");
        assert!(
            (grad[0] - 1.0 / 63.0 / g.pixel_deg()).abs() < 0.03 * grad[0].abs(),
            "{grad:?}"
        );
        // finite differences on a blob
        let blob: Vec<f32> = (0..g.len())
            .map(|i| {
                let (x, y) = g.pixel_centre(i % 64, i / 64);
                (-((x - 0.5).powi(2) + (y + 0.3).powi(2)) / 0.5).exp() as f32
            })
            .collect();
        let (_, gr) = sample_rf(&g, &blob, 0.1, 0.2, 0.4);
        let h = 1e-4;
        let fx = (sample_rf(&g, &blob, 0.1 + h, 0.2, 0.4).0
            - sample_rf(&g, &blob, 0.1 - h, 0.2, 0.4).0)
            / (2.0 * h);
        let fy = (sample_rf(&g, &blob, 0.1, 0.2 + h, 0.4).0
            - sample_rf(&g, &blob, 0.1, 0.2 - h, 0.4).0)
            / (2.0 * h);
        assert!(
            (gr[0] - fx).abs() < 0.02 * fx.abs().max(1e-3),
            "{gr:?} vs {fx} {fy}"
        );
        assert!(
            (gr[1] - fy).abs() < 0.02 * fy.abs().max(1e-3),
            "{gr:?} vs {fx} {fy}"
        );
        let (_, _, ds) = sample_rf_with_size(&g, &blob, 0.1, 0.2, 0.4);
        let fs = (sample_rf(&g, &blob, 0.1, 0.2, 0.4 + h).0
            - sample_rf(&g, &blob, 0.1, 0.2, 0.4 - h).0)
            / (2.0 * h);
        assert!((ds - fs).abs() < 0.02 * fs.abs().max(1e-3), "{ds} vs {fs}");
        // a thin line half a field away still lights an electrode that point sampling misses
        let line: Vec<f32> = (0..g.len())
            .map(|i| if i % 64 == 40 { 1.0 } else { 0.0 })
            .collect();
        let (x_line, _) = g.pixel_centre(40, 0);
        assert_eq!(sample(&g, &line, x_line - 0.3, 0.0).0, 0.0);
        assert!(sample_rf(&g, &line, x_line - 0.3, 0.0, 0.4).0 > 0.05);
        // receptive fields: half the nearest-neighbour distance, floored, capped
        let rf = receptive_fields(&[(0.0, 0.0), (1.0, 0.0), (5.0, 5.0)], &[0.1, 0.7, 0.0]);
        assert_eq!(rf, vec![0.5, 0.7, 1.0]);
    }

    #[test]
    fn a_receptive_field_off_the_grid_samples_nothing() {
        let g = Grid {
            width: 32,
            height: 32,
            fov_deg: 4.0,
            centre: [0.0, 0.0],
        };
        let img = vec![1f32; g.len()];
        // fields centred far outside on every side, wide (strided) and narrow
        for (x, y) in [(9.0, 0.0), (-9.0, 0.0), (0.0, 9.0), (0.0, -9.0), (2.3, 2.3)] {
            for rf in [0.2, 1.0] {
                let (v, _, _) = sample_rf_with_size(&g, &img, x, y, rf);
                assert!((0.0..=1.0).contains(&v), "{x} {y} {rf}: {v}");
            }
        }
    }

    #[test]
    fn bundled_images_load_and_sampling_has_gradients() {
        let g = Grid {
            width: 32,
            height: 32,
            fov_deg: 8.0,
            centre: [0.0, 0.0],
        };
        let t = images(&g).unwrap();
        assert_eq!(t.targets.len(), 4);
        // a ramp: brightness increasing to the right
        let ramp: Vec<f32> = (0..g.len()).map(|i| (i % 32) as f32 / 31.0).collect();
        let (v, grad) = sample(&g, &ramp, 0.0, 0.0);
        assert!((v - 0.5).abs() < 0.02);
        assert!(grad[0] > 0.0 && grad[1].abs() < 1e-9);
    }
}
