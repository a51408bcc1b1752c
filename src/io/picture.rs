//! PNG/JPEG pictures for the preferred-image gallery, decoded by the `image` crate with its
//! allocation limits set (the declared size is checked before any pixel buffer is made) and
//! shrunk to a thumbnail of at most [`THUMB`] pixels a side. The picture is filed under its
//! folder's name (`gallery/FFA/01.png` → `FFA`), so a folder per ROI or per category makes a
//! gallery.

use super::source::{Limits, Source, read_all};
use super::{Content, FormatError};
use crate::brain::data::Picture;

/// Thumbnail side (pixels).
pub const THUMB: u32 = 128;

/// Largest picture accepted (pixels a side).
pub const MAX_SIDE: u32 = 16384;

pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let bytes = read_all(src, limits)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(FormatError::Io)?;
    let mut lim = image::Limits::default();
    lim.max_image_width = Some(MAX_SIDE);
    lim.max_image_height = Some(MAX_SIDE);
    lim.max_alloc = Some(limits.max_bytes.min(1 << 30));
    reader.limits(lim);
    let img = reader
        .decode()
        .map_err(|e| FormatError::Invalid(format!("not a readable picture: {e}")))?;
    let thumb = img.thumbnail(THUMB, THUMB).to_rgba8();
    let (w, h) = thumb.dimensions();
    let key = match src {
        Source::File(p) => p
            .parent()
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Content::Picture(Picture {
        width: w as usize,
        height: h as usize,
        rgba: thumb.into_raw(),
        key,
        name: src.file_name(),
    }))
}
