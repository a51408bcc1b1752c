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

/// Separable Gaussian blur (σ in pixels), used to give the optimiser a smooth encoding signal.
pub fn blur(grid: &Grid, img: &[f32], sigma_px: f64) -> Vec<f32> {
    if sigma_px < 0.3 {
        return img.to_vec();
    }
    let r = (3.0 * sigma_px).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma_px * sigma_px)).exp())
        .collect();
    let (w, h) = (grid.width as i64, grid.height as i64);
    let pass = |src: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0f32; src.len()];
        for y in 0..h {
            for x in 0..w {
                let (mut s, mut n) = (0.0, 0.0);
                for (j, kv) in k.iter().enumerate() {
                    let o = j as i64 - r;
                    let (xx, yy) = if horizontal { (x + o, y) } else { (x, y + o) };
                    if xx >= 0 && yy >= 0 && xx < w && yy < h {
                        s += kv * src[(yy * w + xx) as usize] as f64;
                        n += kv;
                    }
                }
                out[(y * w + x) as usize] = (s / n) as f32;
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
