//! Animated GIF output (the movie export when `ffmpeg` is not installed), with the `gif`
//! crate: each frame quantised to its own 256-colour palette (NeuQuant), looping forever.

use std::path::{Path, PathBuf};

/// Write PNG frames (all the same size) as an animated GIF at `fps` frames per second.
pub fn write_frames(frames: &[PathBuf], fps: f64, out: &Path) -> Result<(), String> {
    let what = out.display();
    if frames.is_empty() {
        return Err(format!("{what}: no frames to encode"));
    }
    let file = std::fs::File::create(out).map_err(|e| format!("{what}: {e}"))?;
    let writer = std::io::BufWriter::new(file);
    let mut writer = Some(writer);
    let mut size = None;
    let mut enc: Option<gif::Encoder<std::io::BufWriter<std::fs::File>>> = None;
    // GIF delays are in hundredths of a second
    let delay = (100.0 / fps.max(0.01)).round().clamp(1.0, 65_535.0) as u16;
    for f in frames {
        let img = image::open(f)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .to_rgb8();
        let (w, h) = img.dimensions();
        if w > u16::MAX as u32 || h > u16::MAX as u32 {
            return Err(format!("{}: {w}×{h} is too large for a GIF", f.display()));
        }
        match size {
            None => size = Some((w, h)),
            Some(s) if s != (w, h) => {
                return Err(format!(
                    "{}: {w}×{h} differs from the first frame's {}×{}",
                    f.display(),
                    s.0,
                    s.1
                ));
            }
            _ => {}
        }
        if enc.is_none() {
            let Some(wr) = writer.take() else {
                return Err(format!("{what}: internal: encoder gone"));
            };
            let mut e = gif::Encoder::new(wr, w as u16, h as u16, &[])
                .map_err(|e| format!("{what}: {e}"))?;
            e.set_repeat(gif::Repeat::Infinite)
                .map_err(|e| format!("{what}: {e}"))?;
            enc = Some(e);
        }
        let mut frame = gif::Frame::from_rgb_speed(w as u16, h as u16, img.as_raw(), 10);
        frame.delay = delay;
        enc.as_mut()
            .unwrap()
            .write_frame(&frame)
            .map_err(|e| format!("{what}: {e}"))?;
    }
    use std::io::Write;
    match enc {
        Some(e) => e
            .into_inner()
            .and_then(|mut w| w.flush())
            .map_err(|e| format!("{what}: {e}")),
        None => Err(format!("{what}: no frames written")),
    }
}
