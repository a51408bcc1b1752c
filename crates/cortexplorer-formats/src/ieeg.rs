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
//! Every sample is held (f32): a 1-hour, 128-channel, 1 kHz recording is 1.8 GB — within the
//! 4 GiB reading budget, not streamed (documented gap).

use std::path::{Path, PathBuf};

use super::FormatError;
use super::source::{Limits, Source, read_all};

/// One channel of a recording.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    pub name: String,
    /// physical unit as the file writes it (`uV`, `µV`, `mV`, `V`, …)
    pub unit: String,
    pub sampling_hz: f64,
    /// samples, in `unit`
    pub data: Vec<f32>,
}

/// A recording: its channels (each at its own rate).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Recording {
    pub channels: Vec<Channel>,
    /// start as written (`dd.mm.yy hh.mm.ss` for EDF)
    pub start: String,
}

impl Recording {
    /// Duration in seconds (the longest channel).
    pub fn duration_s(&self) -> f64 {
        self.channels
            .iter()
            .map(|c| c.data.len() as f64 / c.sampling_hz)
            .fold(0.0, f64::max)
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

/// Read an EDF, EDF+ or BDF file.
pub fn read_edf(src: &Source, limits: &Limits) -> Result<Recording, FormatError> {
    let b = read_all(src, limits)?;
    parse_edf(&b)
}

pub fn parse_edf(b: &[u8]) -> Result<Recording, FormatError> {
    if b.len() < 256 {
        return Err(FormatError::Truncated(format!(
            "an EDF header is 256 bytes, the file has {}",
            b.len()
        )));
    }
    let bdf = b[0] == 0xFF && &b[1..8] == b"BIOSEMI";
    if !bdf && field(b, 0, 8) != "0" {
        return Err(FormatError::Invalid(format!(
            "not an EDF/BDF file: version {:?} (EDF writes \"0\", BDF 0xFF \"BIOSEMI\")",
            String::from_utf8_lossy(&b[0..8])
        )));
    }
    let width = if bdf { 3 } else { 2 };
    if field(b, 192, 44).starts_with("EDF+D") || field(b, 192, 44).starts_with("BDF+D") {
        return Err(FormatError::Unsupported(
            "EDF+D (a discontinuous recording: its records are not back to back)".into(),
        ));
    }
    let start = format!("{} {}", field(b, 168, 8), field(b, 176, 8));
    let header_bytes = number(b, 184, 8, "the header size")? as i64;
    let n_records = number(b, 236, 8, "the record count")? as i64;
    let duration = number(b, 244, 8, "the record duration")?;
    let ns = number(b, 252, 4, "the signal count")? as i64;
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
    if b.len() < hb {
        return Err(FormatError::Truncated(format!(
            "the header of {ns} signals is {hb} bytes, the file has {}",
            b.len()
        )));
    }
    if duration.is_nan() || duration <= 0.0 {
        return Err(FormatError::Invalid(format!("a record lasts {duration} s")));
    }
    // per-signal fields, field-major
    let at = |offset: usize, len: usize, i: usize| 256 + offset * ns + i * len;
    let mut labels = Vec::with_capacity(ns);
    let mut units = Vec::with_capacity(ns);
    let mut scale = Vec::with_capacity(ns);
    let mut per_record = Vec::with_capacity(ns);
    for i in 0..ns {
        labels.push(field(b, at(0, 16, i), 16));
        units.push(field(b, 256 + ns * (16 + 80) + i * 8, 8));
        let base = ns * (16 + 80 + 8);
        let pmin = number(
            b,
            256 + base + i * 8,
            8,
            &format!("signal {i}'s physical minimum"),
        )?;
        let pmax = number(
            b,
            256 + base + ns * 8 + i * 8,
            8,
            &format!("signal {i}'s physical maximum"),
        )?;
        let dmin = number(
            b,
            256 + base + 2 * ns * 8 + i * 8,
            8,
            &format!("signal {i}'s digital minimum"),
        )?;
        let dmax = number(
            b,
            256 + base + 3 * ns * 8 + i * 8,
            8,
            &format!("signal {i}'s digital maximum"),
        )?;
        if dmax == dmin {
            return Err(FormatError::Invalid(format!(
                "signal {i} ({}) has digital minimum = maximum ({dmin})",
                labels[i]
            )));
        }
        let gain = (pmax - pmin) / (dmax - dmin);
        scale.push((gain, pmin - dmin * gain));
        let n = number(
            b,
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
    let record_bytes = per_record.iter().sum::<usize>() * width;
    let body = (b.len() - hb) as u64;
    let whole = body / record_bytes as u64;
    let n_records = match n_records {
        -1 => whole,
        n if n < 0 => {
            return Err(FormatError::Invalid(format!("the record count is {n}")));
        }
        n => {
            let n = n as u64;
            let need = n * record_bytes as u64;
            if need != body {
                return Err(FormatError::Invalid(format!(
                    "the header counts {n} records of {record_bytes} bytes ({need} bytes), the file holds {body} bytes after its header"
                )));
            }
            n
        }
    } as usize;
    // skip EDF+ annotation signals
    let keep: Vec<usize> = (0..ns)
        .filter(|&i| labels[i] != "EDF Annotations" && labels[i] != "BDF Annotations")
        .collect();
    let mut channels: Vec<Channel> = keep
        .iter()
        .map(|&i| Channel {
            name: labels[i].clone(),
            unit: units[i].clone(),
            sampling_hz: per_record[i] as f64 / duration,
            data: Vec::with_capacity(per_record[i] * n_records),
        })
        .collect();
    let offsets: Vec<usize> = per_record
        .iter()
        .scan(0usize, |acc, &n| {
            let o = *acc;
            *acc += n * width;
            Some(o)
        })
        .collect();
    // each channel gathers its samples from every record, channels in parallel
    use rayon::prelude::*;
    channels
        .par_iter_mut()
        .zip(keep.par_iter())
        .for_each(|(ch, &i)| {
            let (gain, offset) = scale[i];
            for r in 0..n_records {
                let at = hb + r * record_bytes + offsets[i];
                let s = &b[at..at + per_record[i] * width];
                if bdf {
                    ch.data.extend(s.chunks_exact(3).map(|x| {
                        let v = ((x[0] as i32) | ((x[1] as i32) << 8) | ((x[2] as i8 as i32) << 16))
                            as f64;
                        (v * gain + offset) as f32
                    }));
                } else {
                    ch.data.extend(
                        s.chunks_exact(2).map(|x| {
                            (i16::from_le_bytes([x[0], x[1]]) as f64 * gain + offset) as f32
                        }),
                    );
                }
            }
        });
    if channels.is_empty() {
        return Err(FormatError::Invalid(
            "the file holds annotations only, no signal".into(),
        ));
    }
    Ok(Recording { channels, start })
}

// ---------------------------------------------------------------------------------------------
// BrainVision

/// Read a BrainVision recording from its `.vhdr` header (the data file is read from beside it).
pub fn read_brainvision(src: &Source, limits: &Limits) -> Result<Recording, FormatError> {
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
    let mut res = Vec::with_capacity(n);
    let mut units = Vec::with_capacity(n);
    for (k, v) in &chans {
        let parts: Vec<&str> = v.split(',').collect();
        names.push(parts[0].replace("\\1", ","));
        let r = parts.get(2).map(|s| s.trim()).filter(|s| !s.is_empty());
        res.push(match r {
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
    let data_src = Source::File(path.clone());
    super::source::regular_file(&path).map_err(|e| {
        FormatError::Invalid(format!("the data file {data_file} next to the header: {e}"))
    })?;
    let raw = read_all(&data_src, limits)?;
    let frame = width * n;
    if raw.len() % frame != 0 {
        return Err(FormatError::Invalid(format!(
            "the data file {data_file} holds {} bytes, not a whole number of {n}-channel samples of {width} bytes",
            raw.len()
        )));
    }
    let samples = raw.len() / frame;
    let value = |c: &[u8]| -> f64 {
        match kind {
            0 => i16::from_le_bytes([c[0], c[1]]) as f64,
            1 => u16::from_le_bytes([c[0], c[1]]) as f64,
            2 => i32::from_le_bytes(c.try_into().unwrap()) as f64,
            _ => f32::from_le_bytes(c.try_into().unwrap()) as f64,
        }
    };
    let channels = (0..n)
        .map(|ch| {
            let data = (0..samples)
                .map(|t| {
                    let at = if vectorized {
                        (ch * samples + t) * width
                    } else {
                        (t * n + ch) * width
                    };
                    (value(&raw[at..at + width]) * res[ch]) as f32
                })
                .collect();
            Channel {
                name: names[ch].clone(),
                unit: units[ch].clone(),
                sampling_hz: 1e6 / interval_us,
                data,
            }
        })
        .collect();
    Ok(Recording {
        channels,
        start: String::new(),
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
