//! Bounded byte sources shared by every reader.
//!
//! Rules every reader follows (see `io/mod.rs`):
//! * a size declared inside a file is checked against what the file can hold (its length, or
//!   for a compressed stream the [`Limits`]) **before** anything of that size is allocated;
//! * compressed streams are decompressed through [`read_bounded`], which never reads past a
//!   bound, so a gzip bomb costs at most the bound;
//! * every failure is a [`FormatError`] naming the problem; `io::load` adds the file name.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::FormatError;

/// Resource limits applied while reading. The defaults suit a desktop with a few GiB free;
/// `CORTEXPLORER_MAX_BYTES` overrides `max_bytes` (in bytes).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest payload (decoded array, decompressed stream, file) any reader will hold.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let max_bytes = std::env::var("CORTEXPLORER_MAX_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4 << 30);
        Limits { max_bytes }
    }
}

impl Limits {
    /// Check a declared payload size against the limit.
    pub fn check(&self, what: &str, bytes: u64) -> Result<(), FormatError> {
        if bytes > self.max_bytes {
            return Err(FormatError::TooLarge(format!(
                "{what} declares {bytes} bytes, above the limit of {} bytes",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

/// `true` when the bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Multiply element counts without overflow, naming what overflowed.
pub fn checked_product(what: &str, factors: &[u64]) -> Result<u64, FormatError> {
    factors.iter().try_fold(1u64, |acc, &f| {
        acc.checked_mul(f)
            .ok_or_else(|| FormatError::TooLarge(format!("{what}: size overflows")))
    })
}

/// Read at most `bound` bytes from `reader`; more data than that is an error, so the
/// memory used is never above `bound` whatever the stream expands to.
pub fn read_bounded(reader: &mut dyn Read, bound: u64, what: &str) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::new();
    reader
        .take(bound.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| FormatError::Invalid(format!("{what}: {e}")))?;
    if out.len() as u64 > bound {
        return Err(FormatError::TooLarge(format!(
            "{what} expands past {bound} bytes (compression bomb or wrong size)"
        )));
    }
    Ok(out)
}

/// Read exactly `n` bytes (validated by the caller) without trusting `n` for the allocation:
/// the buffer grows with the data actually present, so a lying count on a short stream fails
/// with `Truncated` instead of allocating `n` bytes.
pub fn read_exact_growing(
    reader: &mut dyn Read,
    n: u64,
    what: &str,
) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(n.min(1 << 24) as usize);
    reader
        .take(n)
        .read_to_end(&mut out)
        .map_err(|e| FormatError::Invalid(format!("{what}: {e}")))?;
    if (out.len() as u64) < n {
        return Err(FormatError::Truncated(format!(
            "{what}: expected {n} bytes, found {}",
            out.len()
        )));
    }
    Ok(out)
}

/// For compressed streams, read what follows the declared data (at most `bound` bytes) so the
/// gzip trailer and CRC are checked: a truncated or corrupt `.mgz`/`.nii.gz` is an error even
/// when the declared data happened to decompress before the damage.
pub fn finish_compressed(
    stream: &mut dyn Read,
    compressed: bool,
    bound: u64,
) -> Result<Vec<u8>, FormatError> {
    if !compressed {
        return Ok(Vec::new());
    }
    let mut rest = Vec::new();
    stream.take(bound).read_to_end(&mut rest).map_err(|e| {
        FormatError::Truncated(format!("compressed stream ends early or is corrupt ({e})"))
    })?;
    Ok(rest)
}

/// Where a file's bytes come from: the disk, or data embedded in the program (the default
/// scene). Readers only see a `Source`, so both paths share every check.
#[derive(Clone, Debug)]
pub enum Source {
    File(PathBuf),
    Embedded {
        name: &'static str,
        bytes: &'static [u8],
    },
}

impl Source {
    /// The name shown to users and used in errors.
    pub fn display(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Embedded { name, .. } => format!("embedded:{name}"),
        }
    }
    /// File name without directories.
    pub fn file_name(&self) -> String {
        match self {
            Source::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Source::Embedded { name, .. } => name.rsplit('/').next().unwrap_or(name).to_string(),
        }
    }
    /// Directory for files referenced relatively (GIFTI external data).
    pub fn dir(&self) -> PathBuf {
        match self {
            Source::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            Source::Embedded { .. } => PathBuf::new(),
        }
    }
    /// Open as a stream, decompressing gzip transparently. Returns the stream and, for
    /// uncompressed data, the total size (which bounds every declared size).
    pub fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), FormatError> {
        match self {
            Source::Embedded { bytes, .. } => {
                if is_gzip(bytes) {
                    Ok((Box::new(flate2::read::MultiGzDecoder::new(*bytes)), None))
                } else {
                    Ok((Box::new(*bytes), Some(bytes.len() as u64)))
                }
            }
            Source::File(path) => {
                let mut file = std::fs::File::open(path).map_err(FormatError::Io)?;
                let len = file.metadata().map_err(FormatError::Io)?.len();
                let mut magic = [0u8; 2];
                let got = read_up_to(&mut file, &mut magic).map_err(FormatError::Io)?;
                let head = std::io::Cursor::new(magic[..got].to_vec());
                let chained = head.chain(file);
                if is_gzip(&magic[..got]) {
                    let decoder =
                        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(chained));
                    Ok((Box::new(decoder), None))
                } else {
                    Ok((
                        Box::new(std::io::BufReader::with_capacity(1 << 16, chained)),
                        Some(len),
                    ))
                }
            }
        }
    }
}

/// Fill `buf` as far as the stream goes; the count read.
pub(crate) fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Refuse what is not a regular file before opening it: opening a FIFO blocks until a
/// writer appears, and a device (`/dev/zero`) never ends.
pub fn regular_file(path: &Path) -> Result<(), FormatError> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(FormatError::Invalid("is a directory".into()));
    }
    if !meta.is_file() {
        return Err(FormatError::Unsupported(
            "not a regular file (a pipe, socket or device)".into(),
        ));
    }
    Ok(())
}

/// Read a file whole (size checked against the limit first); gzip files are decompressed,
/// bounded. Read rather than memory-mapped: a mapped file that another program truncates while
/// it is parsed kills the process (SIGBUS), and this module uses no `unsafe`.
pub fn file_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, FormatError> {
    regular_file(path)?;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    limits.check("file", len)?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len as usize)
        .map_err(|_| FormatError::TooLarge(format!("{len} bytes do not fit in memory")))?;
    // at most the size seen above (plus one byte to notice growth): a file that grows while it
    // is read cannot push the allocation past the limit
    (&mut file).take(len + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(FormatError::Invalid(format!(
            "the file changed while it was read ({len} bytes, then {})",
            bytes.len()
        )));
    }
    if is_gzip(&bytes) {
        let mut d = flate2::read::MultiGzDecoder::new(&bytes[..]);
        return read_bounded(&mut d, limits.max_bytes, "decompressed file");
    }
    Ok(bytes)
}

/// Read a whole source, refusing files above the limit, and decompress it if it is gzip
/// (bounded by the limit). For formats without declared sizes (XML, text).
pub fn read_all(source: &Source, limits: &Limits) -> Result<Vec<u8>, FormatError> {
    match source {
        // uncompressed file: one allocation of the file's size and one read
        Source::File(path) => {
            let len = std::fs::metadata(path)?.len();
            limits.check("file", len)?;
            let bytes = std::fs::read(path)?;
            if is_gzip(&bytes) {
                let mut d = flate2::read::MultiGzDecoder::new(&bytes[..]);
                return read_bounded(&mut d, limits.max_bytes, "decompressed file");
            }
            Ok(bytes)
        }
        Source::Embedded { .. } => {
            let (mut stream, _) = source.open()?;
            read_bounded(&mut stream, limits.max_bytes, "decompressed file")
        }
    }
}

/// A checked cursor over a byte slice: every read names what it was reading when the data
/// ends early.
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FormatError> {
        if self.remaining() < n {
            return Err(FormatError::Truncated(format!(
                "{what}: needs {n} bytes at offset {}, only {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub fn skip(&mut self, n: usize, what: &str) -> Result<(), FormatError> {
        self.take(n, what).map(|_| ())
    }
    pub fn u8(&mut self, what: &str) -> Result<u8, FormatError> {
        Ok(self.take(1, what)?[0])
    }
    pub fn be_i32(&mut self, what: &str) -> Result<i32, FormatError> {
        Ok(i32::from_be_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    pub fn be_i16(&mut self, what: &str) -> Result<i16, FormatError> {
        Ok(i16::from_be_bytes(self.take(2, what)?.try_into().unwrap()))
    }
    pub fn be_f32(&mut self, what: &str) -> Result<f32, FormatError> {
        Ok(f32::from_be_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    pub fn be_u24(&mut self, what: &str) -> Result<u32, FormatError> {
        let b = self.take(3, what)?;
        Ok(((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32)
    }
    /// A count field: a big-endian i32 that must be non-negative and at most `max`.
    pub fn be_count(&mut self, what: &str, max: usize) -> Result<usize, FormatError> {
        let v = self.be_i32(what)?;
        if v < 0 {
            return Err(FormatError::Invalid(format!("{what} is negative ({v})")));
        }
        let v = v as usize;
        if v > max {
            return Err(FormatError::Invalid(format!(
                "{what} is {v} but the file can hold at most {max}"
            )));
        }
        Ok(v)
    }
    /// Read up to and including the next `\n`, returning the line without it.
    pub fn line(&mut self, what: &str) -> Result<&'a [u8], FormatError> {
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos += i + 1;
                Ok(&rest[..i])
            }
            None => Err(FormatError::Truncated(format!("{what}: no end of line"))),
        }
    }
}

/// Decode `n` big-endian f32 values from a byte slice of exactly `4n` bytes.
pub fn be_f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Decode big-endian i32 values.
pub fn be_i32s(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks_exact(4)
        .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
