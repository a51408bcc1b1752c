//! Intracranial recordings on the cortex (EDF/BDF, BrainVision; `crate::io::ieeg`): a BIDS
//! iEEG recording opened in the viewer becomes
//!
//! * an overlay layer `NAME` (the BIDS stem, e.g. `sub-01_ses-01_task-rest_run-01`) whose
//!   frames are the signal spread onto the pial surface, played on the timeline in real time;
//! * a mesh object `NAME contacts` (a 1.2 mm sphere per placed contact), each contact coloured
//!   by its own value of the frame the layer shows (`brain::objects::PartSeries`).
//!
//! **Placement.** Contacts come from the subject's `*_electrodes.tsv` beside the recording
//! (same `sub-`/`ses-`), in the units of its `*_coordsystem.json`. `fsaverage` spaces are the
//! surface's own coordinates; any other space is taken as scanner RAS and brought to surface
//! RAS through the subject's transform (the inverse of what plan exports apply), or used as it
//! is when the scene has no subject (the note says so). Channels marked `bad` in
//! `*_channels.tsv`, channels with no position (`n/a`) and channels at another sampling rate
//! than the most common one are left out (the note counts them).
//!
//! **Signal.** At 300 Hz and above: the high-gamma envelope — the 70–150 Hz band (a 2nd-order
//! Butterworth high-pass at 70 Hz and low-pass at 150 Hz, RBJ biquads, run forwards and
//! backwards: zero phase, −6 dB at the edges), its RMS over each frame's window; below 300 Hz,
//! the mean of the raw signal over each window. Frames are 50 ms (rounded to whole samples:
//! the layer's frame time is samples / rate); a long recording gets frames of 2, 4, … of them
//! so that the layer stays within 256 MB (RMS and means merged exactly; the note says the
//! frame length).
//!
//! **Streaming.** The samples stay on disk ([`crate::io::ieeg::RecordingFile`]). One pass
//! ([`summarize`], run by the viewer on its loading thread with a progress bar) reads the file
//! in blocks of about a minute, each filtered with 1 s of the signal on either side (the
//! filter's response has decayed by e^-300 by then, so the blocks join as the whole-signal
//! filter would: tested), and keeps per channel the frames and a min/max overview of 256-sample
//! bins — about 0.1 of a byte per sample: 51 MB for a 1-hour, 128-channel, 1 kHz recording,
//! whose samples (f32) would be 1.8 GB.
//!
//! **Spread.** Each pial vertex takes the weighted mean of the contacts within 10 mm, weight
//! 1 − d / 10 mm (d Euclidean) — MNE's `stc_near_sensors` with `mode="weighted"`,
//! `distance=0.01`; vertices farther than 10 mm from every contact have no value.
//!
//! **Raw traces.** The placed channels stay readable for the Traces panel ([`RawTraces`], by the
//! layer's name): a window of any channels around the timeline's time, at full resolution when
//! the window holds few samples (read from the file, a block of one and a half windows kept per
//! channel so that playing reads rarely), else as each screen column's minimum and maximum — from
//! the overview when a column spans 256 samples or more — so a spike is never lost by
//! decimation.

use super::{Added, Origin, Scene};
use crate::brain::data::Overlay;
use crate::brain::objects::{MeshObject, ObjectStyle};
use crate::brain::surface::{Hemisphere, Surface, SurfaceKind};
use crate::io::ieeg::{RecordingFile, Sidecars, Summary};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Spread radius (mm) and the layer's memory budget (bytes).
const RADIUS_MM: f64 = 10.0;
const BUDGET_BYTES: usize = 256 << 20;
/// Frame length (s), overview bin (samples), block length (s) and the filter's margin (s).
const FRAME_S: f64 = 0.05;
const BIN: usize = 256;
const BLOCK_S: f64 = 60.0;
const MARGIN_S: f64 = 1.0;

/// The streaming pass over a recording (once; later calls return what it found): per
/// channel, 50 ms frames of the high-gamma envelope (or the mean below 300 Hz) and the raw
/// signal's min/max per 256 samples. `progress` follows it (0..1).
pub fn summarize<'a>(
    file: &'a RecordingFile,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<&'a Summary, String> {
    file.summary
        .get_or_init(|| summary_pass(file, progress))
        .as_ref()
        .map_err(Clone::clone)
}

fn summary_pass(file: &RecordingFile, progress: &(dyn Fn(f64) + Sync)) -> Result<Summary, String> {
    let n_signals = file.signals.len();
    let mut s = Summary {
        frame_samples: vec![0; n_signals],
        frames: vec![Vec::new(); n_signals],
        high_gamma: vec![false; n_signals],
        bin: BIN,
        min: vec![Vec::new(); n_signals],
        max: vec![Vec::new(); n_signals],
    };
    let total = file
        .signals
        .iter()
        .map(|x| x.samples as f64)
        .sum::<f64>()
        .max(1.0);
    let mut done = 0.0;
    for group in file.groups() {
        let sig = &file.signals[group[0]];
        let (fs, n) = (sig.sampling_hz, sig.samples);
        let per_frame = ((FRAME_S * fs).round() as usize).max(1);
        let high_gamma = fs >= 300.0;
        let unit = per_frame / gcd(per_frame, BIN) * BIN;
        let block = unit * ((BLOCK_S * fs) as usize / unit).max(1);
        let pad = if high_gamma {
            (MARGIN_S * fs).ceil() as usize
        } else {
            0
        };
        for &c in &group {
            s.frame_samples[c] = per_frame;
            s.high_gamma[c] = high_gamma;
            s.frames[c].reserve_exact(n.div_ceil(per_frame));
            s.min[c].reserve_exact(n.div_ceil(BIN));
            s.max[c].reserve_exact(n.div_ceil(BIN));
        }
        let mut at = 0;
        while at < n {
            let a = at.saturating_sub(pad);
            let end = (at + block).min(n);
            let x = file
                .read_block(&group, a, (end + pad).min(n) - a)
                .map_err(|e| format!("{}: {e}", file.data_name))?;
            let keep = at - a..end - a;
            let parts: Vec<(Vec<f32>, Vec<f32>, Vec<f32>)> = x
                .par_iter()
                .map(|x| {
                    let mid = &x[keep.clone()];
                    let (lo, hi): (Vec<f32>, Vec<f32>) = mid
                        .chunks(BIN)
                        .map(|w| {
                            w.iter()
                                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                                    (l.min(v), h.max(v))
                                })
                        })
                        .unzip();
                    let frames = if high_gamma {
                        let y = band_pass(x, fs, 70.0, 150.0f64.min(0.45 * fs));
                        y[keep.clone()]
                            .chunks(per_frame)
                            .map(|w| {
                                (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt()
                                    as f32
                            })
                            .collect()
                    } else {
                        mid.chunks(per_frame)
                            .map(|w| {
                                (w.iter().map(|&v| v as f64).sum::<f64>() / w.len() as f64) as f32
                            })
                            .collect()
                    };
                    (frames, lo, hi)
                })
                .collect();
            for (&c, (f, lo, hi)) in group.iter().zip(parts) {
                s.frames[c].extend(f);
                s.min[c].extend(lo);
                s.max[c].extend(hi);
            }
            done += ((end - at) * group.len()) as f64;
            progress(done / total);
            at = end;
        }
    }
    Ok(s)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `frames` (of `per_frame` samples, `n` samples in all) merged `m` at a time: the RMS of
/// the merged samples for an envelope, their mean otherwise (weighted by the samples each
/// frame holds: the last one may hold fewer).
fn merge_frames(frames: &[f32], per_frame: usize, n: usize, m: usize, rms: bool) -> Vec<f32> {
    frames
        .chunks(m)
        .enumerate()
        .map(|(k, w)| {
            let (mut sum, mut count) = (0.0f64, 0.0f64);
            for (j, &v) in w.iter().enumerate() {
                let first = (k * m + j) * per_frame;
                let samples = per_frame.min(n.saturating_sub(first)).max(1) as f64;
                sum += samples * if rms { (v as f64).powi(2) } else { v as f64 };
                count += samples;
            }
            let mean = sum / count;
            (if rms { mean.sqrt() } else { mean }) as f32
        })
        .collect()
}

/// Samples read from the file: the first one's index and the samples.
type Block = (usize, Vec<f32>);

/// A recording's placed channels, in the file's units, at the common rate: read from the
/// file when drawn (see the module's "Raw traces").
#[derive(Debug)]
pub struct RawTraces {
    /// the name of the layer the recording became
    pub layer: String,
    pub sampling_hz: f64,
    pub names: Vec<String>,
    pub units: Vec<String>,
    file: Arc<RecordingFile>,
    /// the file's signal of each trace
    signals: Vec<usize>,
    samples: usize,
    /// per trace, the last block read: (its first sample, its samples)
    cache: Mutex<Vec<Option<Block>>>,
}

impl RawTraces {
    /// The traces of `signals` (which share one rate) of `file`.
    pub fn new(layer: String, file: Arc<RecordingFile>, signals: Vec<usize>) -> Self {
        let first = signals.first().map(|&c| &file.signals[c]);
        RawTraces {
            layer,
            sampling_hz: first.map_or(1.0, |s| s.sampling_hz),
            samples: first.map_or(0, |s| s.samples),
            names: signals
                .iter()
                .map(|&c| file.signals[c].name.clone())
                .collect(),
            units: signals
                .iter()
                .map(|&c| file.signals[c].unit.clone())
                .collect(),
            cache: Mutex::new(vec![None; signals.len()]),
            signals,
            file,
        }
    }

    pub fn duration_s(&self) -> f64 {
        self.samples as f64 / self.sampling_hz
    }

    /// Samples `a..b` of trace `trace` (cut at the recording's end), from the trace's cached
    /// block when it holds them, else from the file (a block half a window wider on each side).
    pub fn samples(&self, trace: usize, a: usize, b: usize) -> Result<Vec<f32>, String> {
        let Some(&signal) = self.signals.get(trace) else {
            return Err(format!(
                "trace {trace} is past the {} traces",
                self.signals.len()
            ));
        };
        let b = b.min(self.samples);
        if a >= b {
            return Ok(Vec::new());
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, x)) = &cache[trace]
            && *s <= a
            && b <= s + x.len()
        {
            return Ok(x[a - s..b - s].to_vec());
        }
        let margin = (b - a) / 2;
        let s = a.saturating_sub(margin);
        let x = self
            .file
            .read_block(&[signal], s, b + margin - s)
            .map_err(|e| format!("{}: {e}", self.file.data_name))?
            .pop()
            .unwrap_or_default();
        let out = x[a - s..(b - s).min(x.len())].to_vec();
        cache[trace] = Some((s, x));
        Ok(out)
    }

    /// Trace `trace` between `t0` and `t1` seconds as (time s, value) points, at most about
    /// `max_points`: every sample when there are fewer, else each of `max_points / 2` equal
    /// bins as its minimum and maximum (in the order they occur when read from the file; from
    /// the overview, the minimum at the bin's start and the maximum at its middle). Empty
    /// outside the recording.
    pub fn window(
        &self,
        trace: usize,
        t0: f64,
        t1: f64,
        max_points: usize,
    ) -> Result<Vec<[f64; 2]>, String> {
        let fs = self.sampling_hz;
        if !(fs > 0.0 && t1 > t0) || trace >= self.signals.len() || self.samples == 0 {
            return Ok(Vec::new());
        }
        let a = ((t0 * fs).floor().max(0.0) as usize).min(self.samples);
        let b = ((t1 * fs).ceil().max(0.0) as usize + 1).min(self.samples);
        if a >= b {
            return Ok(Vec::new());
        }
        let n = b - a;
        let bins = (max_points / 2).max(1);
        let overview = self
            .file
            .summary
            .get()
            .and_then(|s| s.as_ref().ok())
            .filter(|s| s.bin > 0 && !s.min[self.signals[trace]].is_empty());
        if let Some(o) = overview
            && n > max_points.max(2)
            && n / bins >= o.bin
        {
            let (lo, hi) = (&o.min[self.signals[trace]], &o.max[self.signals[trace]]);
            let (ba, bb) = (a / o.bin, b.div_ceil(o.bin).min(lo.len()));
            let mut out = Vec::with_capacity(2 * bins);
            for k in 0..bins {
                let (s, e) = (ba + (bb - ba) * k / bins, ba + (bb - ba) * (k + 1) / bins);
                if s >= e {
                    continue;
                }
                let l = lo[s..e].iter().copied().fold(f32::INFINITY, f32::min);
                let h = hi[s..e].iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let t = |bin: f64| bin * o.bin as f64 / fs;
                out.push([t(s as f64), l as f64]);
                out.push([t((s + e) as f64 / 2.0), h as f64]);
            }
            return Ok(out);
        }
        let x = self.samples(trace, a, b)?;
        let at = |i: usize| [(a + i) as f64 / fs, x[i] as f64];
        if n <= max_points.max(2) {
            return Ok((0..x.len()).map(at).collect());
        }
        let mut out = Vec::with_capacity(2 * bins);
        for k in 0..bins {
            let (s, e) = (n * k / bins, (n * (k + 1) / bins).min(x.len()));
            if s >= e {
                continue;
            }
            let (mut lo, mut hi) = (s, s);
            for i in s..e {
                if x[i] < x[lo] {
                    lo = i;
                }
                if x[i] > x[hi] {
                    hi = i;
                }
            }
            out.push(at(lo.min(hi)));
            if lo != hi {
                out.push(at(lo.max(hi)));
            }
        }
        Ok(out)
    }
}

impl Scene {
    pub(super) fn add_recording(
        &mut self,
        rec: Arc<RecordingFile>,
        from: &Origin,
        path: Option<&std::path::Path>,
    ) -> Result<Added, String> {
        let what = &from.what;
        let side = match path {
            Some(p) => crate::io::ieeg::sidecars(p)?,
            None => Sidecars::default(),
        };
        let Some((el_path, contacts)) = &side.electrodes else {
            return Err(format!(
                "{what}: no electrodes.tsv of its subject beside it, so its channels have no place on the cortex (BIDS iEEG: sub-…_electrodes.tsv and sub-…_coordsystem.json in the same folder)"
            ));
        };
        if self.hemis.is_empty() {
            return Err(format!(
                "{what}: no cortex is loaded to place the contacts on"
            ));
        }
        let (space, to_mm) = side.space.clone().unwrap_or(("Other".into(), 1.0));
        let own_space = space.to_ascii_lowercase().starts_with("fsaverage");
        let bad: Vec<&str> = side
            .channels
            .as_ref()
            .map(|(_, c)| {
                c.iter()
                    .filter(|c| c.bad)
                    .map(|c| c.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        // the most common sampling rate
        let mut rates: Vec<f64> = rec.signals.iter().map(|c| c.sampling_hz).collect();
        rates.sort_by(f64::total_cmp);
        let fs = rates
            .chunk_by(|a, b| a == b)
            .max_by_key(|c| c.len())
            .map(|c| c[0])
            .ok_or_else(|| format!("{what}: no channels"))?;
        let mut used = Vec::new();
        let (mut n_bad, mut n_unplaced, mut n_rate) = (0, 0, 0);
        let samples = rec
            .signals
            .iter()
            .filter(|c| c.sampling_hz == fs)
            .map(|c| c.samples)
            .max()
            .unwrap_or(0);
        for (i, c) in rec.signals.iter().enumerate() {
            if bad.contains(&c.name.as_str()) {
                n_bad += 1;
                continue;
            }
            if c.sampling_hz != fs || c.samples != samples {
                n_rate += 1;
                continue;
            }
            let Some(pos) = contacts
                .iter()
                .find(|k| k.name == c.name)
                .and_then(|k| k.pos)
            else {
                n_unplaced += 1;
                continue;
            };
            let mm = [pos[0] * to_mm, pos[1] * to_mm, pos[2] * to_mm];
            let ras = match (&self.subject, own_space) {
                (Some(s), false) => s.from_scanner(mm),
                _ => mm,
            };
            used.push((i, ras));
        }
        if used.is_empty() {
            return Err(format!(
                "{what}: none of its {} channels has a position in {} ({n_bad} bad, {n_unplaced} without a position, {n_rate} at another rate)",
                rec.signals.len(),
                el_path.display()
            ));
        }
        // frames: 50 ms, merged 2, 4, … at a time when the layer would pass the budget
        let summary = summarize(&rec, &|_| {}).map_err(|e| format!("{what}: {e}"))?;
        let n_vertices: usize = self.hemis.values().map(|g| g.n_vertices()).sum();
        let c0 = used[0].0;
        let (per_frame, high_gamma) = (summary.frame_samples[c0], summary.high_gamma[c0]);
        let n_frames = summary.frames[c0].len();
        let mut merge = 1usize;
        while n_frames.div_ceil(merge) * n_vertices * 4 > BUDGET_BYTES {
            merge *= 2;
        }
        let frame_s = (merge * per_frame) as f64 / fs;
        let signals: Vec<Vec<f32>> = used
            .iter()
            .map(|&(i, _)| merge_frames(&summary.frames[i], per_frame, samples, merge, high_gamma))
            .collect();
        let nt = signals[0].len();
        if nt == 0 {
            return Err(format!("{what}: the recording holds no samples"));
        }
        let layer = recording_stem(&from.name);
        let mut first: Option<Added> = None;
        let hemis: Vec<Hemisphere> = self.hemis.keys().copied().collect();
        for h in hemis {
            let g = &self.hemis[&h];
            let surface = g
                .surfaces
                .get(&SurfaceKind::Pial)
                .or_else(|| g.surfaces.values().next())
                .expect("a loaded hemisphere has a surface")
                .clone();
            let weights = near_weights(&surface, &used.iter().map(|u| u.1).collect::<Vec<_>>());
            if weights.iter().all(Vec::is_empty) {
                continue;
            }
            let n = surface.vertices.len();
            // frame by frame in parallel: each frame's row of vertices
            let totals: Vec<f32> = weights
                .iter()
                .map(|w| w.iter().map(|x| x.1).sum())
                .collect();
            let mut values = vec![f32::NAN; n * nt];
            values.par_chunks_mut(n).enumerate().for_each(|(t, row)| {
                for (v, w) in weights.iter().enumerate() {
                    if !w.is_empty() {
                        row[v] =
                            w.iter().map(|&(k, wt)| signals[k][t] * wt).sum::<f32>() / totals[v];
                    }
                }
            });
            let mut o = Overlay::new(n, nt, values);
            o.tr_seconds = Some(frame_s as f32);
            let origin = Origin {
                what: what.clone(),
                name: layer.clone(),
                hemisphere: Some(h),
                surface_kind: None,
                embedded: false,
            };
            let added = self.add_overlay(o, &origin)?;
            first.get_or_insert(added);
        }
        let Some(added) = first else {
            return Err(format!(
                "{what}: no contact lies within {RADIUS_MM} mm of the cortex ({} placed, space {space}{})",
                used.len(),
                if own_space || self.subject.is_some() {
                    ""
                } else {
                    ", taken as the surface's coordinates: no subject transform"
                }
            ));
        };
        // the raw channels, for the Traces panel
        let raw = RawTraces::new(
            layer.clone(),
            rec.clone(),
            used.iter().map(|&(i, _)| i).collect(),
        );
        self.recordings.retain(|r| r.layer != layer);
        self.recordings.push(Arc::new(raw));
        // the contacts, as small spheres coloured by their own signal
        let per_frame_values: Vec<f32> = (0..nt)
            .flat_map(|t| signals.iter().map(move |s| s[t]))
            .collect();
        self.add_contact_spheres(
            &format!("{layer} contacts"),
            &used,
            &layer,
            per_frame_values,
        );
        let note = format!(
            "{what}: {} channels placed from {} (space {space}{}), {} as {} frames of {:.0} ms{}",
            used.len(),
            el_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            if own_space || self.subject.is_some() {
                ""
            } else {
                ", used as surface RAS: no subject transform"
            },
            if high_gamma {
                "the 70–150 Hz envelope"
            } else {
                "the signal"
            },
            nt,
            frame_s * 1e3,
            if n_bad + n_unplaced + n_rate > 0 {
                format!(
                    "; left out: {n_bad} bad, {n_unplaced} without a position, {n_rate} at another rate"
                )
            } else {
                String::new()
            }
        );
        Ok(match added {
            Added::Data { layer, .. } => Added::Data {
                note: Some(note),
                layer,
            },
            other => other,
        })
    }

    fn add_contact_spheres(
        &mut self,
        name: &str,
        contacts: &[(usize, [f64; 3])],
        layer: &str,
        values: Vec<f32>,
    ) {
        // an octahedron subdivided once, radius 1.2 mm, per contact
        let (sv, sf) = sphere();
        let mut v = Vec::new();
        let mut f = Vec::new();
        let mut part_of = Vec::new();
        for (k, (_, p)) in contacts.iter().enumerate() {
            part_of.extend(std::iter::repeat_n(k as u32, sv.len()));
            let base = v.len() as u32;
            v.extend(sv.iter().map(|q| {
                [
                    p[0] as f32 + 1.2 * q[0],
                    p[1] as f32 + 1.2 * q[1],
                    p[2] as f32 + 1.2 * q[2],
                ]
            }));
            f.extend(sf.iter().map(|t| [t[0] + base, t[1] + base, t[2] + base]));
        }
        let Ok(surface) = Surface::new(v, f) else {
            return;
        };
        let object = MeshObject::new(
            name.to_string(),
            std::sync::Arc::new(surface),
            Vec::new(),
            ObjectStyle {
                color: [0.95, 0.85, 0.2, 1.0],
                ..Default::default()
            },
        );
        // with their signal when it fits (it does: a part per contact, a value per frame)
        let object = match crate::brain::objects::PartSeries::new(
            layer.to_string(),
            contacts.len(),
            values,
            part_of,
        )
        .and_then(|s| object.clone().with_series(s))
        {
            Ok(o) => o,
            Err(_) => object,
        };
        self.objects.retain(|o| o.name != name);
        self.objects.push(object);
        self.objects_rev += 1;
    }
}

/// The BIDS stem of a recording's file name (without `_ieeg.edf` …), else the name without
/// its extension.
pub(crate) fn recording_stem(name: &str) -> String {
    crate::io::ieeg::bids_stem(name)
        .map(str::to_string)
        .unwrap_or_else(|| {
            name.rsplit_once('.')
                .map_or(name.to_string(), |(s, _)| s.to_string())
        })
}

/// For each vertex, the contacts within `RADIUS_MM` and their weights 1 − d / radius.
fn near_weights(surface: &Surface, contacts: &[[f64; 3]]) -> Vec<Vec<(usize, f32)>> {
    surface
        .vertices
        .par_iter()
        .map(|p| {
            contacts
                .iter()
                .enumerate()
                .filter_map(|(k, c)| {
                    let d = ((p[0] as f64 - c[0]).powi(2)
                        + (p[1] as f64 - c[1]).powi(2)
                        + (p[2] as f64 - c[2]).powi(2))
                    .sqrt();
                    (d < RADIUS_MM).then(|| (k, (1.0 - d / RADIUS_MM) as f32))
                })
                .collect()
        })
        .collect()
}

/// A unit sphere: an octahedron with each face split in four, pushed out to radius 1.
fn sphere() -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let mut v: Vec<[f32; 3]> = vec![
        [1.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, -1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, -1.0],
    ];
    let faces: [[u32; 3]; 8] = [
        [0, 2, 4],
        [2, 1, 4],
        [1, 3, 4],
        [3, 0, 4],
        [2, 0, 5],
        [1, 2, 5],
        [3, 1, 5],
        [0, 3, 5],
    ];
    let mut out = Vec::new();
    let mut mid = std::collections::HashMap::new();
    let mut midpoint = |a: u32, b: u32, v: &mut Vec<[f32; 3]>| -> u32 {
        *mid.entry((a.min(b), a.max(b))).or_insert_with(|| {
            let (p, q) = (v[a as usize], v[b as usize]);
            let m = [p[0] + q[0], p[1] + q[1], p[2] + q[2]];
            let l = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
            v.push([m[0] / l, m[1] / l, m[2] / l]);
            v.len() as u32 - 1
        })
    };
    for [a, b, c] in faces {
        let ab = midpoint(a, b, &mut v);
        let bc = midpoint(b, c, &mut v);
        let ca = midpoint(c, a, &mut v);
        out.extend([[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]]);
    }
    (v, out)
}

/// Zero-phase band-pass: a 4th-order Butterworth as a high-pass and a low-pass RBJ biquad
/// pair (Q = 1/√2 each), run forwards then backwards.
pub fn band_pass(x: &[f32], fs: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut y: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let stages = [biquad(fs, lo, true), biquad(fs, hi, false)];
    for pass in 0..2 {
        if pass == 1 {
            y.reverse();
        }
        for s in &stages {
            run(s, &mut y);
        }
        if pass == 1 {
            y.reverse();
        }
    }
    y
}

/// RBJ cookbook coefficients (b0, b1, b2, a1, a2), normalised by a0.
fn biquad(fs: f64, f0: f64, high: bool) -> [f64; 5] {
    let w = 2.0 * std::f64::consts::PI * f0 / fs;
    let (sin, cos) = w.sin_cos();
    let alpha = sin / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
    let a0 = 1.0 + alpha;
    let (b0, b1) = if high {
        ((1.0 + cos) / 2.0, -(1.0 + cos))
    } else {
        ((1.0 - cos) / 2.0, 1.0 - cos)
    };
    [
        b0 / a0,
        b1 / a0,
        b0 / a0,
        -2.0 * cos / a0,
        (1.0 - alpha) / a0,
    ]
}

fn run(c: &[f64; 5], y: &mut [f64]) {
    let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
    for v in y.iter_mut() {
        let x0 = *v;
        let y0 = c[0] * x0 + c[1] * x1 + c[2] * x2 - c[3] * y1 - c[4] * y2;
        (x2, x1, y2, y1) = (x1, x0, y1, y0);
        *v = y0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/ieeg")
            .join(rel)
    }

    /// A recording of no records (a header alone) is refused with one line; the scene keeps
    /// what it had.
    #[test]
    fn an_empty_recording_is_refused() {
        let src = data("bids/sub-01/ses-01/ieeg");
        let dir = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
        let edf = dir.path().join("sub-01_ses-01_task-rest_run-01_ieeg.edf");
        let mut b = std::fs::read(&edf).unwrap();
        let header: usize = String::from_utf8_lossy(&b[184..192])
            .trim()
            .parse()
            .unwrap();
        b.truncate(header);
        b[236..244].copy_from_slice(b"0       ");
        std::fs::write(&edf, b).unwrap();
        let mut s = crate::brain::fsaverage5::scene().unwrap();
        let layers = s.layers.len();
        let err = s.add(crate::io::load(&edf).unwrap()).unwrap_err();
        assert!(err.contains("no samples"), "{err}");
        assert_eq!(s.layers.len(), layers);
    }

    #[test]
    fn a_bids_recording_lands_on_the_cortex_where_its_contacts_are() {
        use crate::brain::scene::LayerData;
        let mut s = crate::brain::fsaverage5::scene().unwrap();
        let layers = s.layers.len();
        // no electrodes beside it: refused, the scene unchanged
        let err = s
            .add(crate::io::load(&data("copied/test_generator_6rec.edf")).unwrap())
            .unwrap_err();
        assert!(err.contains("electrodes.tsv"), "{err}");
        assert_eq!(s.layers.len(), layers);
        let rec = "bids/sub-01/ses-01/ieeg/sub-01_ses-01_task-rest_run-01_ieeg.edf";
        let note = s.add(crate::io::load(&data(rec)).unwrap()).unwrap();
        let note = format!("{note:?}");
        assert!(
            note.contains("12 channels placed") && note.contains("1 bad"),
            "{note}"
        );
        let layer = s
            .layers
            .iter()
            .find(|l| l.name == "sub-01_ses-01_task-rest_run-01")
            .expect("the recording's layer");
        let layer_id = layer.id;
        let LayerData::Overlay { per_hemi, .. } = &layer.data else {
            panic!("an overlay")
        };
        let lh = &per_hemi[&Hemisphere::Left];
        // 2 s in 50 ms frames
        assert_eq!((lh.n_frames, lh.tr_seconds), (40, Some(0.05)));
        // high gamma bursts 0.40–0.55 s in G06/G07/G10/G11: the vertex under G06 is brighter
        // in a burst frame (0.45 s) than between bursts (0.8 s); far vertices have no value
        let pial = &s.hemis[&Hemisphere::Left].surfaces[&SurfaceKind::Pial];
        let side = crate::io::ieeg::sidecars(&data(rec)).unwrap();
        let g06 = side
            .electrodes
            .unwrap()
            .1
            .into_iter()
            .find(|c| c.name == "G06")
            .unwrap();
        let p = g06.pos.unwrap();
        let v = (0..pial.vertices.len())
            .min_by(|&a, &b| {
                let d = |i: usize| {
                    let q = pial.vertices[i];
                    (0..3).map(|k| (q[k] as f64 - p[k]).powi(2)).sum::<f64>()
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        let (burst, rest) = (lh.frame(9)[v], lh.frame(16)[v]);
        assert!(burst > 2.0 * rest, "burst {burst} vs rest {rest}");
        assert!(lh.frame(0).iter().filter(|x| x.is_nan()).count() > 9000);
        // the contacts follow the layer: the sphere around G06 carries G06's own envelope
        let contacts = s
            .objects
            .iter()
            .find(|o| o.name.ends_with("contacts"))
            .expect("the contacts object");
        let series = contacts.series.as_ref().expect("coloured by their signal");
        assert_eq!((series.n_parts, series.n_frames), (12, 40));
        assert_eq!(series.layer, "sub-01_ses-01_task-rest_run-01");
        let near = (0..contacts.surface.vertices.len())
            .min_by(|&a, &b| {
                let d = |i: usize| {
                    let q = contacts.surface.vertices[i];
                    (0..3).map(|k| (q[k] as f64 - p[k]).powi(2)).sum::<f64>()
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        let k = series.part_of[near] as usize;
        let at = |t: usize| series.values[t * series.n_parts + k];
        assert!(
            at(9) > 2.0 * at(16),
            "G06 burst {} vs rest {}",
            at(9),
            at(16)
        );
        assert_ne!(
            contacts.colors_at(9, None)[near],
            contacts.colors_at(16, None)[near]
        );
        // the raw channels stay for the Traces panel: the placed 12, as the reader gave them
        let raw = s
            .raw_traces(layer_id)
            .expect("the recording's raw channels");
        assert_eq!(raw.names.len(), 12);
        let g = raw.names.iter().position(|n| n == "G06").unwrap();
        let read = crate::io::load(&data(rec)).unwrap();
        let crate::io::Content::Recording(r) = read.content else {
            panic!("a recording")
        };
        let r = r.load(&crate::io::Limits::default()).unwrap();
        let src = r.channels.iter().find(|c| c.name == "G06").unwrap();
        assert_eq!(raw.samples(g, 0, usize::MAX).unwrap(), src.data);
        assert_eq!(raw.sampling_hz, src.sampling_hz);
        assert!((raw.duration_s() - 2.0).abs() < 1e-9);
        // removing the layer lets them go
        s.remove_layer(layer_id);
        assert!(s.recordings.is_empty());
    }

    #[test]
    fn a_trace_window_keeps_every_sample_or_each_column_s_extremes() {
        let fs = 1000.0;
        let mut x: Vec<f32> = (0..10_000)
            .map(|i| (i as f32 * 0.05).sin() * 10.0)
            .collect();
        x[5_432] = 1_000.0; // a spike
        x[7_001] = -900.0;
        let raw = held(fs, vec![x.clone()]);
        // few samples: all of them, at their times
        let w = raw.window(0, 1.0, 1.1, 500).unwrap();
        assert_eq!(w.len(), 101);
        assert_eq!(w[0], [1.0, x[1000] as f64]);
        assert!((w[100][0] - 1.1).abs() < 1e-12);
        // many: about max_points, in time order, the extremes kept
        let w = raw.window(0, 0.0, 10.0, 400).unwrap();
        assert!(w.len() <= 400 && w.len() >= 200, "{}", w.len());
        assert!(w.windows(2).all(|p| p[0][0] < p[1][0]));
        assert!(w.iter().any(|p| p == &[5.432, 1000.0]));
        assert!(w.iter().any(|p| p == &[7.001, -900.0]));
        // outside the recording or a wrong channel: nothing
        assert!(raw.window(0, 20.0, 30.0, 100).unwrap().is_empty());
        assert!(raw.window(1, 0.0, 1.0, 100).unwrap().is_empty());
        assert!(raw.window(0, 2.0, 1.0, 100).unwrap().is_empty());
    }

    /// Traces over a recording held as a file would be, summarised as the viewer does.
    fn held(fs: f64, data: Vec<Vec<f32>>) -> RawTraces {
        let rec = crate::io::ieeg::Recording {
            channels: data
                .into_iter()
                .enumerate()
                .map(|(i, data)| crate::io::ieeg::Channel {
                    name: format!("C{i}"),
                    unit: "uV".into(),
                    sampling_hz: fs,
                    data,
                })
                .collect(),
            start: String::new(),
        };
        let n = rec.channels.len();
        let file = Arc::new(RecordingFile::held(rec));
        summarize(&file, &|_| {}).unwrap();
        RawTraces::new("r".into(), file, (0..n).collect())
    }

    /// Ten minutes at 1 kHz: a window of the whole comes from the overview and keeps both
    /// spikes; a short window from the file, every sample; a window that moves a little is
    /// served from the block already read.
    #[test]
    fn a_long_window_is_drawn_from_the_overview_keeping_spikes() {
        let fs = 1000.0;
        let mut x: Vec<f32> = (0..600_000).map(|i| ((i as f32) * 0.01).sin()).collect();
        x[123_457] = 50.0;
        x[400_001] = -40.0;
        let raw = held(fs, vec![x.clone()]);
        let w = raw.window(0, 0.0, 600.0, 800).unwrap();
        assert!(w.len() <= 800 && w.len() >= 700, "{}", w.len());
        assert!(w.windows(2).all(|p| p[0][0] < p[1][0]));
        // each within its column (600 s / 400 columns)
        assert!(
            w.iter()
                .any(|p| p[1] == 50.0 && (p[0] - 123.457).abs() <= 1.5)
        );
        assert!(
            w.iter()
                .any(|p| p[1] == -40.0 && (p[0] - 400.001).abs() <= 1.5)
        );
        let near = raw.window(0, 123.0, 124.0, 4000).unwrap();
        assert_eq!(near.len(), 1001);
        assert_eq!(near[457], [123.457, 50.0]);
        let cached = raw.cache.lock().unwrap()[0].clone().unwrap();
        let moved = raw.window(0, 123.1, 124.1, 4000).unwrap();
        assert_eq!(moved[357], [123.457, 50.0]);
        assert_eq!(raw.cache.lock().unwrap()[0].as_ref().unwrap().0, cached.0);
    }

    /// The pass in one-minute blocks gives the frames the whole-signal filter gives (the
    /// blocks' joins are invisible), and merged frames are the RMS of their samples' envelope.
    #[test]
    fn block_frames_equal_whole_signal_frames() {
        let fs = 1000.0;
        let n = 200_000 + 37; // 3 blocks and a piece, a last frame of 37 samples
        let mut state = 7u64;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 40) as f32 / 16_777_216.0 - 0.5)
                    + (2.0 * std::f32::consts::PI * 90.0 * i as f32 / 1000.0).sin()
                        * (1.0 + (i as f32 / 20_000.0).sin())
            })
            .collect();
        let raw = held(fs, vec![x.clone()]);
        let s = raw.file.summary.get().unwrap().as_ref().unwrap();
        let whole = band_pass(&x, fs, 70.0, 150.0);
        let want: Vec<f64> = whole
            .chunks(50)
            .map(|w| (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt())
            .collect();
        assert_eq!(s.frames[0].len(), want.len());
        for (k, (a, b)) in s.frames[0].iter().zip(&want).enumerate() {
            assert!(
                (*a as f64 - b).abs() <= 1e-5 * b.max(1e-3),
                "frame {k}: {a} vs {b}"
            );
        }
        let merged = merge_frames(&s.frames[0], 50, n, 4, true);
        let w4: Vec<f64> = whole
            .chunks(200)
            .map(|w| (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt())
            .collect();
        for (a, b) in merged.iter().zip(&w4) {
            assert!((*a as f64 - b).abs() <= 1e-5 * b.max(1e-3), "{a} vs {b}");
        }
        // the overview: each 256 samples' extremes
        assert_eq!(s.min[0].len(), n.div_ceil(256));
        let k = 300;
        let w = &x[k * 256..(k + 1) * 256];
        assert_eq!(s.max[0][k], w.iter().copied().fold(f32::MIN, f32::max));
        assert_eq!(s.min[0][k], w.iter().copied().fold(f32::MAX, f32::min));
    }

    #[test]
    fn the_band_pass_keeps_high_gamma_and_drops_alpha() {
        let fs = 1000.0;
        let tone = |f: f64| -> Vec<f32> {
            (0..4000)
                .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / fs).sin() as f32)
                .collect()
        };
        let rms = |v: &[f64]| (v[500..3500].iter().map(|x| x * x).sum::<f64>() / 3000.0).sqrt();
        let pass = rms(&band_pass(&tone(100.0), fs, 70.0, 150.0));
        let stop = rms(&band_pass(&tone(10.0), fs, 70.0, 150.0));
        // a unit sine has RMS 0.707: 100 Hz keeps most of it, 10 Hz loses almost all
        // (the band edges are the −6 dB points after both passes: 100 Hz keeps 0.67)
        assert!(pass > 0.45, "{pass}");
        assert!(stop < 0.01, "{stop}");
        assert_eq!(
            recording_stem("sub-01_task-rest_ieeg.edf"),
            "sub-01_task-rest"
        );
        assert_eq!(recording_stem("x.vhdr"), "x");
    }
}
