//! Text drawn into pixel buffers with the bundled fonts (`ab_glyph`): DejaVu Sans Bold for the
//! letters and words the planner trains on and the captions burnt into exported tour frames;
//! DejaVu Serif (a different design: thin strokes, serifs) for the held-out letters of the
//! reading evaluation, which the planner never sees.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

const FONT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/fonts/DejaVuSans-Bold.ttf"
));

const SERIF: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/fonts/DejaVuSerif.ttf"
));

pub fn font() -> Result<FontRef<'static>, String> {
    FontRef::try_from_slice(FONT).map_err(|e| format!("bundled font: {e}"))
}

/// DejaVu Serif: the held-out font of the reading evaluation.
pub fn serif() -> Result<FontRef<'static>, String> {
    FontRef::try_from_slice(SERIF).map_err(|e| format!("bundled serif font: {e}"))
}

/// Rasterise one letter as text is set: its advance box centred horizontally on `cx`, the
/// cap-height box (baseline to the top of "H") centred vertically on `cy` — so letters share a
/// baseline (Q's tail and J's descent go below it, as in print) and letters that differ only
/// in one part (P/R, O/Q) are drawn alike elsewhere. `cap_px` is the cap height in pixels;
/// `plot(x, y, coverage)` for every covered pixel.
pub fn draw_letter(
    font: &FontRef<'_>,
    c: char,
    cap_px: f32,
    cx: f32,
    cy: f32,
    plot: impl FnMut(i64, i64, f32),
) {
    let em = cap_px / cap_ratio(font);
    let mut buf = [0u8; 4];
    let s: &str = c.encode_utf8(&mut buf);
    let x0 = cx - width(font, s, em) / 2.0;
    draw(font, s, em, x0, cy + cap_px / 2.0, plot);
}

/// The cap height of a font per pixel of em: the height of the ink of "H".
pub fn cap_ratio(font: &FontRef<'_>) -> f32 {
    let id = font.glyph_id('H');
    let g = id.with_scale_and_position(PxScale::from(1000.0), ab_glyph::point(0.0, 0.0));
    font.outline_glyph(g)
        .map(|o| {
            let b = o.px_bounds();
            (b.max.y - b.min.y) / 1000.0
        })
        .unwrap_or(0.72)
        .max(0.1)
}

/// Advance width of `text` at `px` pixels per em.
pub fn width(font: &FontRef<'_>, text: &str, px: f32) -> f32 {
    let f = font.as_scaled(PxScale::from(px));
    text.chars().map(|c| f.h_advance(font.glyph_id(c))).sum()
}

/// Cap height of the font at `px` (≈ 0.72 of the ascent).
pub fn cap_height(font: &FontRef<'_>, px: f32) -> f32 {
    font.as_scaled(PxScale::from(px)).ascent() * 0.72
}

/// Rasterise `text` from `x` on `baseline`; `plot(x, y, coverage)` for every covered pixel
/// (coordinates may be outside the caller's image).
pub fn draw(
    font: &FontRef<'_>,
    text: &str,
    px: f32,
    mut x: f32,
    baseline: f32,
    mut plot: impl FnMut(i64, i64, f32),
) {
    let scaled = font.as_scaled(PxScale::from(px));
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(PxScale::from(px), ab_glyph::point(x, baseline));
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                plot(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, cov)
            });
        }
        x += scaled.h_advance(id);
    }
}

/// Burn a caption into the bottom of an image as the presenter overlay shows it: white text,
/// centred, on a dark translucent band, its size a 24th of the image height (shrunk to fit
/// 90% of the width).
pub fn burn_caption(img: &mut image::RgbaImage, text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    let font = font()?;
    let (w, h) = img.dimensions();
    let mut px = (h as f32 / 24.0).max(10.0);
    let tw = width(&font, text, px);
    if tw > w as f32 * 0.9 {
        px *= w as f32 * 0.9 / tw;
    }
    let cap = cap_height(&font, px);
    let band_top = (h as f32 - cap * 3.2).max(0.0) as u32;
    for y in band_top..h {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            for c in 0..3 {
                p[c] = (p[c] as f32 * 0.45) as u8;
            }
            p[3] = p[3].max(200);
        }
    }
    let baseline = h as f32 - cap * 1.1;
    let x0 = (w as f32 - width(&font, text, px)) / 2.0;
    draw(&font, text, px, x0, baseline, |x, y, cov| {
        if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
            let p = img.get_pixel_mut(x as u32, y as u32);
            let a = cov.clamp(0.0, 1.0);
            for c in 0..3 {
                p[c] = (p[c] as f32 * (1.0 - a) + 255.0 * a) as u8;
            }
            p[3] = 255;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caption_is_burnt_into_the_bottom_band() {
        let mut img = image::RgbaImage::from_pixel(400, 240, image::Rgba([100, 100, 100, 255]));
        burn_caption(&mut img, "Primary visual cortex").unwrap();
        let bright = |y0: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (0..400).map(move |x| (x, y)))
                .filter(|&(x, y)| img.get_pixel(x, y)[0] > 200)
                .count()
        };
        assert!(bright(200, 240) > 100, "text in the band");
        assert_eq!(bright(0, 150), 0, "nothing above it");
        assert!(img.get_pixel(2, 238)[0] < 60, "the band darkens");
        assert_eq!(
            img.get_pixel(2, 10)[0],
            100,
            "the picture above is untouched"
        );
    }
}
