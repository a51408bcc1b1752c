//! Intracranial (and scalp) recordings: EDF/EDF+ and BDF, BrainVision (`.vhdr` + `.eeg`), and
//! the BIDS iEEG sidecars that place and describe their channels (`*_channels.tsv`,
//! `*_electrodes.tsv`, `*_coordsystem.json`).
//!
//! * **EDF/BDF**: a 256-byte header (record count, record duration, signal count), 256 bytes
//!   per signal in field-major order (label, transducer, physical dimension, physical and
//!   digital minimum and maximum, prefiltering, samples per record), then records holding each
//!   signal's samples in turn — 16-bit (EDF) or 24-bit (BDF) little-endian integers. Physical
//!   value = (digital − dmin) · (pmax − pmin) / (dmax − dmin) + pmin, in the signal's physical
//!   dimension (`uV`, `mV`, …), as pyedflib gives them (MNE gives the same in volts). EDF+
//!   `EDF Annotations` signals are not data and are skipped. The record count must agree with
//!   the file's size (−1, "still recording", takes the whole records the file holds).
//! * **BrainVision**: the `.vhdr` INI header (`DataFile`, `DataFormat=BINARY`,
//!   `DataOrientation=MULTIPLEXED|VECTORIZED`, `NumberOfChannels`, `SamplingInterval` in µs,
//!   `BinaryFormat=INT_16|INT_32|UINT_16|IEEE_FLOAT_32`, `ChN=name,reference,resolution,unit`
//!   with `\1` for a comma in names), the data file next to it; value = raw × resolution, in
//!   the channel's unit (µV when none is given), as pybv writes and MNE reads them.
//!
//! **Streaming.** Opening a recording reads its header only ([`RecordingFile`]); the samples
//! stay on disk and are read by time block ([`RecordingFile::read_block`]: one read per block
//! of EDF records or BrainVision samples, decoded for the channels asked for), so an hours-long
//! recording is never held: a program that shows one keeps a [`Summary`] (one streaming pass:
//! frames and a min/max overview, a few bytes per hundred samples) and reads the window it
//! draws. [`RecordingFile::load`] reads every sample (what pyedflib and MNE's `preload` do),
//! within the reading budget.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::FormatError;
use super::source::{Limits, Source, read_all};

/// One channel of a recording, with its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    pub name: String,
    /// physical unit as the file writes it (`uV`, `µV`, `mV`, `V`, …)
    pub unit: String,
    pub sampling_hz: f64,
    /// samples, in `unit`
    pub data: Vec<f32>,
}

/// A recording held in memory: its channels (each at its own rate).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Recording {
    pub channels: Vec<Channel>,
    /// start as written (`dd.mm.yy hh.mm.ss` for EDF)
    pub start: String,
}

/// One channel of a recording as its header describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub name: String,
    /// physical unit as the file writes it
    pub unit: String,
    pub sampling_hz: f64,
    /// how many samples the file holds
    pub samples: usize,
}

/// What one streaming pass over a recording found (the core's `recording::summarize` makes
/// it; it is kept with the file so that the pass runs once, where the caller chooses — a
/// loading thread with a progress bar). Per signal, in the file's order; every vector of a
/// signal that was not summarised (another rate than the one asked for) is empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// samples per frame, per signal
    pub frame_samples: Vec<usize>,
    /// one value per frame (the band envelope's RMS, or the frame's mean), per signal
    pub frames: Vec<Vec<f32>>,
    /// whether `frames` are the 70–150 Hz envelope (else the mean of the raw signal)
    pub high_gamma: Vec<bool>,
    /// samples per overview bin
    pub bin: usize,
    /// each overview bin's minimum and maximum of the raw signal, per signal
    pub min: Vec<Vec<f32>>,
    pub max: Vec<Vec<f32>>,
}

/// Where a recording's samples are.
enum Bytes {
    File(std::fs::File),
    Embedded(&'static [u8]),
    Owned(Vec<u8>),
}

impl Bytes {
    fn read_at(&self, at: u64, buf: &mut [u8]) -> Result<(), FormatError> {
        let n = buf.len();
        let short = |e: String| {
            FormatError::Truncated(format!(
                "{n} bytes at offset {at}: {e} (the file changed or is cut)"
            ))
        };
        match self {
            Bytes::File(file) => {
                use std::os::unix::fs::FileExt;
                file.read_exact_at(buf, at)
                    .map_err(|e| short(e.to_string()))
            }
            Bytes::Embedded(b) => slice(b, at, buf).ok_or_else(|| short("past the end".into())),
            Bytes::Owned(b) => slice(b, at, buf).ok_or_else(|| short("past the end".into())),
        }
    }
}

fn slice(b: &[u8], at: u64, buf: &mut [u8]) -> Option<()> {
    let s = usize::try_from(at).ok()?;
    let src = b.get(s..s.checked_add(buf.len())?)?;
    buf.copy_from_slice(src);
    Some(())
}

/// How the samples are laid out (per kept signal where a vector).
enum Layout {
    Edf {
        data_at: u64,
        record_bytes: usize,
        /// 2 (EDF) or 3 (BDF)
        width: usize,
        per_record: Vec<usize>,
        /// byte offset of each signal inside a record
        offsets: Vec<usize>,
        /// physical = digital · gain + offset
        scale: Vec<(f64, f64)>,
    },
    BrainVision {
        n: usize,
        width: usize,
        /// 0 INT_16, 1 UINT_16, 2 INT_32, 3 IEEE_FLOAT_32
        kind: u8,
        vectorized: bool,
        samples: usize,
        resolution: Vec<f64>,
    },
    /// samples a program made (no file)
    Held(Vec<Vec<f32>>),
}

/// A recording whose samples stay on disk: the header's signals, and reads by block.
pub struct RecordingFile {
    pub signals: Vec<Signal>,
    /// start as written (`dd.mm.yy hh.mm.ss` for EDF)
    pub start: String,
    /// the file the samples are read from (shown in errors)
    pub data_name: String,
    bytes: Bytes,
    layout: Layout,
    /// the streaming pass, once made (`Err` keeps why it failed)
    pub summary: OnceLock<Result<Summary, String>>,
}

impl std::fmt::Debug for RecordingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingFile")
            .field("signals", &self.signals)
            .field("start", &self.start)
            .field("data_name", &self.data_name)
            .finish_non_exhaustive()
    }
}

impl RecordingFile {
    /// A recording made by a program: its channels' samples are held.
    pub fn held(rec: Recording) -> Self {
        let signals = rec
            .channels
            .iter()
            .map(|c| Signal {
                name: c.name.clone(),
                unit: c.unit.clone(),
                sampling_hz: c.sampling_hz,
                samples: c.data.len(),
            })
            .collect();
        RecordingFile {
            signals,
            start: rec.start,
            data_name: "(held in memory)".into(),
            bytes: Bytes::Owned(Vec::new()),
            layout: Layout::Held(rec.channels.into_iter().map(|c| c.data).collect()),
            summary: OnceLock::new(),
        }
    }

    /// Duration in seconds (the longest channel).
    pub fn duration_s(&self) -> f64 {
        self.signals
            .iter()
            .map(|c| c.samples as f64 / c.sampling_hz)
            .fold(0.0, f64::max)
    }

    /// Samples `start .. start + len` (cut at the end of the recording) of each of `channels`,
    /// which must share one sampling rate; one read of the file for the block (BrainVision
    /// VECTORIZED: one per channel), decoded in parallel.
    pub fn read_block(
        &self,
        channels: &[usize],
        start: usize,
        len: usize,
    ) -> Result<Vec<Vec<f32>>, FormatError> {
        use rayon::prelude::*;
        let Some(&first) = channels.first() else {
            return Ok(Vec::new());
        };
        for &c in channels {
            let Some(s) = self.signals.get(c) else {
                return Err(FormatError::Invalid(format!(
                    "channel {c} is past the recording's {} channels",
                    self.signals.len()
                )));
            };
            if s.sampling_hz != self.signals[first].sampling_hz
                || s.samples != self.signals[first].samples
            {
                return Err(FormatError::Invalid(format!(
                    "channels {} and {} are read in one block but differ in rate or length",
                    self.signals[first].name, s.name
                )));
            }
        }
        let total = self.signals[first].samples;
        let start = start.min(total);
        let end = start.saturating_add(len).min(total);
        if start == end {
            return Ok(vec![Vec::new(); channels.len()]);
        }
        match &self.layout {
            Layout::Held(data) => Ok(channels
                .iter()
                .map(|&c| data[c][start..end].to_vec())
                .collect()),
            Layout::Edf {
                data_at,
                record_bytes,
                width,
                per_record,
                offsets,
                scale,
            } => {
                let spr = per_record[first];
                let (r0, r1) = (start / spr, end.div_ceil(spr));
                let bdf = *width == 3;
                let decode = |c: usize, s: &[u8], out: &mut Vec<f32>| {
                    let (gain, offset) = scale[c];
                    if bdf {
                        out.extend(s.chunks_exact(3).map(|x| {
                            let v = ((x[0] as i32)
                                | ((x[1] as i32) << 8)
                                | ((x[2] as i8 as i32) << 16))
                                as f64;
                            (v * gain + offset) as f32
                        }));
                    } else {
                        out.extend(s.chunks_exact(2).map(|x| {
                            (i16::from_le_bytes([x[0], x[1]]) as f64 * gain + offset) as f32
                        }));
                    }
                };
                let whole = (r1 - r0) * record_bytes;
                let need = channels.len() * (end - start) * width;
                if whole > 4 * need + (1 << 20) {
                    // long records, few samples asked: each channel's part of each record
                    return channels
                        .iter()
                        .map(|&c| {
                            let mut out = Vec::with_capacity(end - start);
                            for r in r0..r1 {
                                let a = start.max(r * spr) - r * spr;
                                let b = end.min((r + 1) * spr) - r * spr;
                                let mut raw = vec![0u8; (b - a) * width];
                                self.bytes.read_at(
                                    data_at + (r * record_bytes + offsets[c] + a * width) as u64,
                                    &mut raw,
                                )?;
                                decode(c, &raw, &mut out);
                            }
                            Ok(out)
                        })
                        .collect();
                }
                let mut raw = vec![0u8; whole];
                self.bytes
                    .read_at(data_at + (r0 * record_bytes) as u64, &mut raw)?;
                Ok(channels
                    .par_iter()
                    .map(|&c| {
                        let mut out = Vec::with_capacity((r1 - r0) * spr);
                        for rec in raw.chunks_exact(*record_bytes) {
                            decode(c, &rec[offsets[c]..offsets[c] + spr * width], &mut out);
                        }
                        out.drain(..start - r0 * spr);
                        out.truncate(end - start);
                        out
                    })
                    .collect())
            }
            Layout::BrainVision {
                n,
                width,
                kind,
                vectorized,
                samples,
                resolution,
            } => {
                let value = |c: &[u8]| -> f64 {
                    match kind {
                        0 => i16::from_le_bytes([c[0], c[1]]) as f64,
                        1 => u16::from_le_bytes([c[0], c[1]]) as f64,
                        2 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                        _ => f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                    }
                };
                if *vectorized {
                    channels
                        .iter()
                        .map(|&c| {
                            let mut raw = vec![0u8; (end - start) * width];
                            self.bytes
                                .read_at(((c * samples + start) * width) as u64, &mut raw)?;
                            Ok(raw
                                .chunks_exact(*width)
                                .map(|x| (value(x) * resolution[c]) as f32)
                                .collect())
                        })
                        .collect()
                } else {
                    let frame = width * n;
                    let mut raw = vec![0u8; (end - start) * frame];
                    self.bytes.read_at((start * frame) as u64, &mut raw)?;
                    Ok(channels
                        .par_iter()
                        .map(|&c| {
                            raw.chunks_exact(frame)
                                .map(|f| {
                                    (value(&f[c * width..(c + 1) * width]) * resolution[c]) as f32
                                })
                                .collect()
                        })
                        .collect())
                }
            }
        }
    }

    /// Every sample of every channel (checked against the reading budget first), read in
    /// blocks of about 32 MB of the file.
    pub fn load(&self, limits: &Limits) -> Result<Recording, FormatError> {
        let total: u64 = self.signals.iter().map(|s| s.samples as u64 * 4).sum();
        limits.check("the recording's samples", total)?;
        let mut channels: Vec<Channel> = self
            .signals
            .iter()
            .map(|s| Channel {
                name: s.name.clone(),
                unit: s.unit.clone(),
                sampling_hz: s.sampling_hz,
                data: Vec::with_capacity(s.samples),
            })
            .collect();
        for group in self.groups() {
            let s = &self.signals[group[0]];
            let bytes_per_sample = self.signals.len().max(1) * 4;
            let block = ((32usize << 20) / bytes_per_sample).max(1024);
            let mut at = 0;
            while at < s.samples {
                let got = self.read_block(&group, at, block)?;
                for (&c, x) in group.iter().zip(got) {
                    channels[c].data.extend(x);
                }
                at += block;
            }
        }
        Ok(Recording {
            channels,
            start: self.start.clone(),
        })
    }

    /// The channels grouped by sampling rate and length (each group can be read in blocks).
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, s) in self.signals.iter().enumerate() {
            match groups.iter_mut().find(|g| {
                let f = &self.signals[g[0]];
                f.sampling_hz == s.sampling_hz && f.samples == s.samples
            }) {
                Some(g) => g.push(i),
                None => groups.push(vec![i]),
            }
        }
        groups
    }
}

/// The factor from a unit to volts (1 for an unknown unit).
pub fn volts_per_unit(unit: &str) -> f64 {
    match unit.trim() {
        "V" => 1.0,
        "mV" => 1e-3,
        "uV" | "µV" | "μV" => 1e-6,
        "nV" => 1e-9,
        _ => 1.0,
    }
}

fn field(b: &[u8], at: usize, len: usize) -> String {
    String::from_utf8_lossy(&b[at..at + len]).trim().to_string()
}

fn number(b: &[u8], at: usize, len: usize, what: &str) -> Result<f64, FormatError> {
    let s = field(b, at, len);
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| FormatError::Invalid(format!("{what} is {s:?}, not a number")))
}

/// Rates from 1 sample a day to 1 MHz are recordings; anything else is a damaged header (and
/// would make frame and block lengths overflow downstream).
fn rate(hz: f64, what: &str) -> Result<f64, FormatError> {
    if hz.is_finite() && (1.0 / 86_400.0..=1e6).contains(&hz) {
        Ok(hz)
    } else {
        Err(FormatError::Invalid(format!(
            "{what}: a sampling rate of {hz} Hz (1/day to 1 MHz is read)"
        )))
    }
}

/// Open a file's bytes for reading by offset: its length and where they are.
fn open_bytes(src: &Source) -> Result<(Bytes, u64), FormatError> {
    match src {
        Source::File(path) => {
            super::source::regular_file(path)?;
            let file = std::fs::File::open(path)?;
            let len = file.metadata()?.len();
            Ok((Bytes::File(file), len))
        }
        Source::Embedded { bytes, .. } => {
            if super::source::is_gzip(bytes) {
                return Err(FormatError::Unsupported(
                    "a compressed recording (EDF/BDF are read uncompressed)".into(),
                ));
            }
            Ok((Bytes::Embedded(bytes), bytes.len() as u64))
        }
    }
}

/// The first `n` bytes (fewer when the file is shorter).
fn head(bytes: &Bytes, len: u64, n: usize) -> Result<Vec<u8>, FormatError> {
    let mut b = vec![0u8; (n as u64).min(len) as usize];
    bytes.read_at(0, &mut b)?;
    Ok(b)
}

/// Open an EDF, EDF+ or BDF file: its header, checked against the file's size; the samples
/// stay on disk.
pub fn open_edf(src: &Source) -> Result<RecordingFile, FormatError> {
    let (bytes, len) = open_bytes(src)?;
    edf_file(bytes, len, src.display())
}

/// An EDF/BDF file held in memory (what the fuzz targets feed).
pub fn parse_edf(b: Vec<u8>) -> Result<RecordingFile, FormatError> {
    let len = b.len() as u64;
    edf_file(Bytes::Owned(b), len, "(memory)".into())
}

fn edf_file(bytes: Bytes, len: u64, data_name: String) -> Result<RecordingFile, FormatError> {
    let b = head(&bytes, len, 256)?;
    if b.len() < 256 {
        return Err(FormatError::Truncated(format!(
            "an EDF header is 256 bytes, the file has {}",
            b.len()
        )));
    }
    let bdf = b[0] == 0xFF && &b[1..8] == b"BIOSEMI";
    if !bdf && field(&b, 0, 8) != "0" {
        return Err(FormatError::Invalid(format!(
            "not an EDF/BDF file: version {:?} (EDF writes \"0\", BDF 0xFF \"BIOSEMI\")",
            String::from_utf8_lossy(&b[0..8])
        )));
    }
    let width = if bdf { 3 } else { 2 };
    if field(&b, 192, 44).starts_with("EDF+D") || field(&b, 192, 44).starts_with("BDF+D") {
        return Err(FormatError::Unsupported(
            "EDF+D (a discontinuous recording: its records are not back to back)".into(),
        ));
    }
    let start = format!("{} {}", field(&b, 168, 8), field(&b, 176, 8));
    let header_bytes = number(&b, 184, 8, "the header size")? as i64;
    let n_records = number(&b, 236, 8, "the record count")? as i64;
    let duration = number(&b, 244, 8, "the record duration")?;
    let ns = number(&b, 252, 4, "the signal count")? as i64;
    if !(1..=4096).contains(&ns) {
        return Err(FormatError::Invalid(format!(
            "{ns} signals is not a signal count"
        )));
    }
    let ns = ns as usize;
    if header_bytes != 256 * (ns as i64 + 1) {
        return Err(FormatError::Invalid(format!(
            "the header size says {header_bytes} bytes, {ns} signals make {}",
            256 * (ns + 1)
        )));
    }
    let hb = header_bytes as usize;
    if len < hb as u64 {
        return Err(FormatError::Truncated(format!(
            "the header of {ns} signals is {hb} bytes, the file has {len}"
        )));
    }
    let b = head(&bytes, len, hb)?;
    if duration.is_nan() || duration <= 0.0 {
        return Err(FormatError::Invalid(format!("a record lasts {duration} s")));
    }
    // per-signal fields, field-major
    let mut labels = Vec::with_capacity(ns);
    let mut units = Vec::with_capacity(ns);
    let mut scale = Vec::with_capacity(ns);
    let mut per_record = Vec::with_capacity(ns);
    for i in 0..ns {
        labels.push(field(&b, 256 + i * 16, 16));
        units.push(field(&b, 256 + ns * (16 + 80) + i * 8, 8));
        let base = ns * (16 + 80 + 8);
        let at = |k: usize| 256 + base + k * ns * 8 + i * 8;
        let pmin = number(&b, at(0), 8, &format!("signal {i}'s physical minimum"))?;
        let pmax = number(&b, at(1), 8, &format!("signal {i}'s physical maximum"))?;
        let dmin = number(&b, at(2), 8, &format!("signal {i}'s digital minimum"))?;
        let dmax = number(&b, at(3), 8, &format!("signal {i}'s digital maximum"))?;
        if dmax == dmin {
            return Err(FormatError::Invalid(format!(
                "signal {i} ({}) has digital minimum = maximum ({dmin})",
                labels[i]
            )));
        }
        let gain = (pmax - pmin) / (dmax - dmin);
        scale.push((gain, pmin - dmin * gain));
        let n = number(
            &b,
            256 + ns * (16 + 80 + 8 + 8 * 4 + 80) + i * 8,
            8,
            &format!("signal {i}'s samples per record"),
        )?;
        if !((1.0..=1e7).contains(&n) && n.fract() == 0.0) {
            return Err(FormatError::Invalid(format!(
                "signal {i} has {n} samples per record"
            )));
        }
        per_record.push(n as usize);
    }
    for (i, &n) in per_record.iter().enumerate() {
        rate(n as f64 / duration, &format!("signal {i} ({})", labels[i]))?;
    }
    let record_bytes = per_record.iter().sum::<usize>() * width;
    let body = len - hb as u64;
    let whole = body / record_bytes as u64;
    let n_records = match n_records {
        -1 => whole,
        n if n < 0 => {
            return Err(FormatError::Invalid(format!("the record count is {n}")));
        }
        n => {
            let n = n as u64;
            let need = n.checked_mul(record_bytes as u64);
            if need != Some(body) {
                return Err(FormatError::Invalid(format!(
                    "the header counts {n} records of {record_bytes} bytes ({} bytes), the file holds {body} bytes after its header",
                    need.map_or("too many".into(), |v| v.to_string())
                )));
            }
            n
        }
    } as usize;
    let offsets: Vec<usize> = per_record
        .iter()
        .scan(0usize, |acc, &n| {
            let o = *acc;
            *acc += n * width;
            Some(o)
        })
        .collect();
    // EDF+ annotation signals are not data
    let keep: Vec<usize> = (0..ns)
        .filter(|&i| labels[i] != "EDF Annotations" && labels[i] != "BDF Annotations")
        .collect();
    if keep.is_empty() {
        return Err(FormatError::Invalid(
            "the file holds annotations only, no signal".into(),
        ));
    }
    let signals = keep
        .iter()
        .map(|&i| Signal {
            name: labels[i].clone(),
            unit: units[i].clone(),
            sampling_hz: per_record[i] as f64 / duration,
            samples: per_record[i] * n_records,
        })
        .collect();
    let pick = |v: &[usize]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    Ok(RecordingFile {
        signals,
        start,
        data_name,
        layout: Layout::Edf {
            data_at: hb as u64,
            record_bytes,
            width,
            per_record: pick(&per_record),
            offsets: pick(&offsets),
            scale: keep.iter().map(|&i| scale[i]).collect(),
        },
        bytes,
        summary: OnceLock::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// BrainVision

/// Open a BrainVision recording from its `.vhdr` header: the header is read, the data file
/// beside it checked against it; the samples stay on disk.
pub fn open_brainvision(src: &Source, limits: &Limits) -> Result<RecordingFile, FormatError> {
    let text = String::from_utf8_lossy(&read_all(src, limits)?).into_owned();
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches('\u{feff}');
    if !(first.contains("Brain Vision Data Exchange Header File")
        || first.contains("BrainVision Data Exchange Header File"))
    {
        return Err(FormatError::Invalid(
            "not a BrainVision header: its first line is not \"Brain Vision Data Exchange Header File …\""
                .into(),
        ));
    }
    let mut section = String::new();
    let mut common = std::collections::HashMap::new();
    let mut binary = std::collections::HashMap::new();
    let mut chans: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(';') || line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match section.as_str() {
            "Common Infos" => {
                common.insert(k.trim().to_string(), v.trim().to_string());
            }
            "Binary Infos" => {
                binary.insert(k.trim().to_string(), v.trim().to_string());
            }
            "Channel Infos" => {
                if let Some(n) = k.trim().strip_prefix("Ch").and_then(|n| n.parse().ok()) {
                    chans.push((n, v.to_string()));
                }
            }
            _ => {}
        }
    }
    let get = |k: &str| {
        common
            .get(k)
            .cloned()
            .ok_or_else(|| FormatError::Invalid(format!("[Common Infos] has no {k}")))
    };
    let n: usize = get("NumberOfChannels")?
        .parse()
        .ok()
        .filter(|n| (1..=4096).contains(n))
        .ok_or_else(|| FormatError::Invalid("NumberOfChannels is not a channel count".into()))?;
    let interval_us: f64 = get("SamplingInterval")?
        .parse()
        .ok()
        .filter(|v: &f64| *v > 0.0 && v.is_finite())
        .ok_or_else(|| FormatError::Invalid("SamplingInterval is not a positive number".into()))?;
    if !get("DataFormat")?.eq_ignore_ascii_case("BINARY") {
        return Err(FormatError::Unsupported(
            "DataFormat other than BINARY (ASCII BrainVision data)".into(),
        ));
    }
    let vectorized = match common
        .get("DataOrientation")
        .map(|s| s.to_ascii_uppercase())
    {
        None => false,
        Some(o) if o == "MULTIPLEXED" => false,
        Some(o) if o == "VECTORIZED" => true,
        Some(o) => {
            return Err(FormatError::Invalid(format!("DataOrientation {o}")));
        }
    };
    let (width, kind) = match binary
        .get("BinaryFormat")
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        Some("INT_16") => (2, 0),
        Some("UINT_16") => (2, 1),
        Some("INT_32") => (4, 2),
        Some("IEEE_FLOAT_32") => (4, 3),
        other => {
            return Err(FormatError::Unsupported(format!(
                "BinaryFormat {} (INT_16, UINT_16, INT_32, IEEE_FLOAT_32 are read)",
                other.unwrap_or("missing")
            )));
        }
    };
    chans.sort_by_key(|(k, _)| *k);
    if chans.len() != n || chans.iter().enumerate().any(|(i, (k, _))| *k != i + 1) {
        return Err(FormatError::Invalid(format!(
            "[Channel Infos] lists {} channels (Ch1…Ch{n} expected)",
            chans.len()
        )));
    }
    let mut names = Vec::with_capacity(n);
    let mut resolution = Vec::with_capacity(n);
    let mut units = Vec::with_capacity(n);
    for (k, v) in &chans {
        let parts: Vec<&str> = v.split(',').collect();
        names.push(parts[0].replace("\\1", ","));
        let r = parts.get(2).map(|s| s.trim()).filter(|s| !s.is_empty());
        resolution.push(match r {
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    FormatError::Invalid(format!("Ch{k}'s resolution {s:?} is not a number"))
                })?,
            None => 1.0,
        });
        units.push(
            parts
                .get(3)
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .unwrap_or("µV")
                .to_string(),
        );
    }
    let data_file = get("DataFile")?;
    let path: PathBuf = src.dir().join(&data_file);
    let (bytes, len) = open_bytes(&Source::File(path.clone())).map_err(|e| {
        FormatError::Invalid(format!("the data file {data_file} next to the header: {e}"))
    })?;
    let frame = (width * n) as u64;
    if len % frame != 0 {
        return Err(FormatError::Invalid(format!(
            "the data file {data_file} holds {len} bytes, not a whole number of {n}-channel samples of {width} bytes"
        )));
    }
    let samples = (len / frame) as usize;
    let sampling_hz = rate(1e6 / interval_us, "SamplingInterval")?;
    Ok(RecordingFile {
        signals: (0..n)
            .map(|c| Signal {
                name: names[c].clone(),
                unit: units[c].clone(),
                sampling_hz,
                samples,
            })
            .collect(),
        start: String::new(),
        data_name: path.display().to_string(),
        bytes,
        layout: Layout::BrainVision {
            n,
            width,
            kind,
            vectorized,
            samples,
            resolution,
        },
        summary: OnceLock::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// BIDS sidecars

/// A row of `*_channels.tsv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelInfo {
    pub name: String,
    pub kind: String,
    pub units: String,
    /// `status` is `bad`
    pub bad: bool,
}

/// A contact of `*_electrodes.tsv` (`None` where the table says `n/a`).
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub name: String,
    pub pos: Option<[f64; 3]>,
}

/// The sidecars found for a recording.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sidecars {
    pub channels: Option<(PathBuf, Vec<ChannelInfo>)>,
    pub electrodes: Option<(PathBuf, Vec<Contact>)>,
    /// `iEEGCoordinateSystem` and the factor from `iEEGCoordinateUnits` to mm
    pub space: Option<(String, f64)>,
}

fn tsv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > 64 << 20 {
        return Err(format!("{}: larger than 64 MB", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| format!("{}: empty", path.display()))?
        .split('\t')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .enumerate()
        .map(|(k, l)| {
            let f: Vec<String> = l.split('\t').map(|s| s.trim().to_string()).collect();
            if f.len() == header.len() {
                Ok(f)
            } else {
                Err(format!(
                    "{}: row {} has {} columns, the header {}",
                    path.display(),
                    k + 2,
                    f.len(),
                    header.len()
                ))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok((header, rows))
}

/// The BIDS stem of a recording: `sub-01_ses-01_task-rest_run-01` of
/// `sub-01_ses-01_task-rest_run-01_ieeg.edf`.
pub fn bids_stem(file_name: &str) -> Option<&str> {
    let i = file_name.rfind('_')?;
    file_name[i..]
        .starts_with("_ieeg.")
        .then_some(&file_name[..i])
        .or_else(|| {
            file_name[i..]
                .starts_with("_eeg.")
                .then_some(&file_name[..i])
        })
}

/// Find and read the sidecars of a BIDS recording: `STEM_channels.tsv` beside it; the
/// `electrodes.tsv` and `coordsystem.json` of the same subject (and session) in the same
/// folder (any `space-` label; the first in name order when there are several).
pub fn sidecars(recording: &Path) -> Result<Sidecars, String> {
    let mut out = Sidecars::default();
    let name = recording
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = bids_stem(&name) else {
        return Ok(out);
    };
    let dir = recording.parent().unwrap_or(Path::new("."));
    let ch = dir.join(format!("{stem}_channels.tsv"));
    if ch.is_file() {
        let (h, rows) = tsv(&ch)?;
        let col = |n: &str| h.iter().position(|c| c == n);
        let ni = col("name").ok_or_else(|| format!("{}: no name column", ch.display()))?;
        let list = rows
            .iter()
            .map(|r| ChannelInfo {
                name: r[ni].clone(),
                kind: col("type").map(|i| r[i].clone()).unwrap_or_default(),
                units: col("units").map(|i| r[i].clone()).unwrap_or_default(),
                bad: col("status").is_some_and(|i| r[i].eq_ignore_ascii_case("bad")),
            })
            .collect();
        out.channels = Some((ch, list));
    }
    // the subject and session entities the electrodes must share
    let entities: Vec<&str> = stem
        .split('_')
        .filter(|e| e.starts_with("sub-") || e.starts_with("ses-"))
        .collect();
    let prefix = entities.join("_");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&prefix) && n.ends_with("_electrodes.tsv")
            })
        })
        .collect();
    found.sort();
    if let Some(el) = found.first() {
        let (h, rows) = tsv(el)?;
        let col = |n: &str| {
            h.iter()
                .position(|c| c == n)
                .ok_or_else(|| format!("{}: no {n} column", el.display()))
        };
        let (ni, xi, yi, zi) = (col("name")?, col("x")?, col("y")?, col("z")?);
        let mut list = Vec::with_capacity(rows.len());
        for (k, r) in rows.iter().enumerate() {
            let num = |i: usize| -> Result<Option<f64>, String> {
                if r[i] == "n/a" {
                    return Ok(None);
                }
                r[i].parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| {
                        format!(
                            "{}: row {}: {:?} is not a number or n/a",
                            el.display(),
                            k + 2,
                            r[i]
                        )
                    })
            };
            let (x, y, z) = (num(xi)?, num(yi)?, num(zi)?);
            list.push(Contact {
                name: r[ni].clone(),
                pos: match (x, y, z) {
                    (Some(x), Some(y), Some(z)) => Some([x, y, z]),
                    _ => None,
                },
            });
        }
        // its coordsystem.json: the same name up to `_electrodes.tsv`
        let el_name = el.file_name().unwrap().to_string_lossy().into_owned();
        let cs = dir.join(el_name.replace("_electrodes.tsv", "_coordsystem.json"));
        if cs.is_file() {
            let v: serde_json::Value = serde_json::from_slice(
                &std::fs::read(&cs).map_err(|e| format!("{}: {e}", cs.display()))?,
            )
            .map_err(|e| format!("{}: {e}", cs.display()))?;
            let system = v["iEEGCoordinateSystem"]
                .as_str()
                .unwrap_or("Other")
                .to_string();
            let factor = match v["iEEGCoordinateUnits"].as_str().unwrap_or("mm") {
                "m" => 1000.0,
                "cm" => 10.0,
                "mm" => 1.0,
                other => {
                    return Err(format!(
                        "{}: iEEGCoordinateUnits {other:?} cannot place contacts in mm",
                        cs.display()
                    ));
                }
            };
            out.space = Some((system, factor));
        }
        out.electrodes = Some((el.clone(), list));
    }
    Ok(out)
}
