//! PNG/JPEG pictures for the preferred-image gallery, decoded by the `image` crate with its
//! allocation limits set (the declared size is checked before any pixel buffer is made) and
//! shrunk to a thumbnail of at most [`THUMB`] pixels a side. The picture is filed under its
//! folder's name (`gallery/FFA/01.png` → `FFA`), so a folder per ROI or per category makes a
//! gallery.

use super::source::{Limits, Source, read_all};
use super::{Content, FormatError};
use crate::data::Picture;

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

/// Most pictures taken from one folder.
pub const MAX_FOLDER_PICTURES: usize = 2000;

fn is_picture(p: &std::path::Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// Replace every folder among `paths` by the pictures in it and in its sub-folders one level
/// down (`gallery/FFA/*.png`, `gallery/faces/*.jpg`), sorted, at most
/// [`MAX_FOLDER_PICTURES`] per folder; other paths are kept as they are. A folder without
/// pictures stays (and is reported as a folder by the loader).
pub fn expand_folders(paths: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let list = |d: &std::path::Path| -> Vec<std::path::PathBuf> {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            v.sort();
            v
        };
        let mut found = Vec::new();
        for e in list(p) {
            if e.is_dir() {
                found.extend(list(&e).into_iter().filter(|f| is_picture(f)));
            } else if is_picture(&e) {
                found.push(e);
            }
            if found.len() >= MAX_FOLDER_PICTURES {
                break;
            }
        }
        found.truncate(MAX_FOLDER_PICTURES);
        if found.is_empty() {
            out.push(p.clone());
        } else {
            out.extend(found);
        }
    }
    out
}
