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
//! backwards: zero phase, −6 dB at the edges), its RMS over each frame's window; below 300 Hz, the mean of the raw signal over each window. Frames are
//! 50 ms (20 per second); a long recording gets longer frames so that the layer stays within
//! 256 MB (the note says the frame length).
//!
//! **Spread.** Each pial vertex takes the weighted mean of the contacts within 10 mm, weight
//! 1 − d / 10 mm (d Euclidean) — MNE's `stc_near_sensors` with `mode="weighted"`,
//! `distance=0.01`; vertices farther than 10 mm from every contact have no value.
//!
//! **Raw traces.** The placed channels' samples stay with the scene ([`RawTraces`], by the
//! layer's name) for the Traces panel: a window of any channels around the timeline's time, at
//! full resolution when the window holds few samples, else as each screen column's minimum and
//! maximum (so a spike is never lost by decimation). They are the samples the reader returned
//! (4 bytes each: a 1-hour, 128-channel, 1 kHz recording holds 1.8 GB); nothing is streamed
//! from disk yet.

use super::{Added, Origin, Scene};
use crate::brain::data::Overlay;
use crate::brain::objects::{MeshObject, ObjectStyle};
use crate::brain::surface::{Hemisphere, Surface, SurfaceKind};
use crate::io::ieeg::{Recording, Sidecars};

/// Spread radius (mm) and the layer's memory budget (bytes).
const RADIUS_MM: f64 = 10.0;
const BUDGET_BYTES: usize = 256 << 20;

/// A recording's placed channels, in the file's units, at the common rate.
#[derive(Debug, Default)]
pub struct RawTraces {
    /// the name of the layer the recording became
    pub layer: String,
    pub sampling_hz: f64,
    pub names: Vec<String>,
    pub units: Vec<String>,
    /// samples per channel (same order as `names`)
    pub data: Vec<Vec<f32>>,
}

impl RawTraces {
    pub fn duration_s(&self) -> f64 {
        self.data.iter().map(Vec::len).max().unwrap_or(0) as f64 / self.sampling_hz
    }

    /// Channel `channel` between `t0` and `t1` seconds as (time s, value) points, at most about
    /// `max_points`: every sample when there are fewer, else each of `max_points / 2` equal
    /// bins as its minimum and maximum in the order they occur. Empty outside the recording.
    pub fn window(&self, channel: usize, t0: f64, t1: f64, max_points: usize) -> Vec<[f64; 2]> {
        let Some(x) = self.data.get(channel) else {
            return Vec::new();
        };
        let fs = self.sampling_hz;
        if !(fs > 0.0 && t1 > t0) || x.is_empty() {
            return Vec::new();
        }
        let a = ((t0 * fs).floor().max(0.0) as usize).min(x.len());
        let b = ((t1 * fs).ceil().max(0.0) as usize + 1).min(x.len());
        if a >= b {
            return Vec::new();
        }
        let n = b - a;
        let at = |i: usize| [i as f64 / fs, x[i] as f64];
        let bins = (max_points / 2).max(1);
        if n <= max_points.max(2) {
            return (a..b).map(at).collect();
        }
        let mut out = Vec::with_capacity(2 * bins);
        for k in 0..bins {
            let (s, e) = (a + n * k / bins, a + n * (k + 1) / bins);
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
        out
    }
}

impl Scene {
    pub(super) fn add_recording(
        &mut self,
        mut rec: Recording,
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
        let mut rates: Vec<f64> = rec.channels.iter().map(|c| c.sampling_hz).collect();
        rates.sort_by(f64::total_cmp);
        let fs = rates
            .chunk_by(|a, b| a == b)
            .max_by_key(|c| c.len())
            .map(|c| c[0])
            .ok_or_else(|| format!("{what}: no channels"))?;
        let mut used = Vec::new();
        let (mut n_bad, mut n_unplaced, mut n_rate) = (0, 0, 0);
        for (i, c) in rec.channels.iter().enumerate() {
            if bad.contains(&c.name.as_str()) {
                n_bad += 1;
                continue;
            }
            if c.sampling_hz != fs {
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
                rec.channels.len(),
                el_path.display()
            ));
        }
        // frames: 50 ms, longer when the layer would pass the budget
        let n_vertices: usize = self.hemis.values().map(|g| g.n_vertices()).sum();
        let duration = rec.duration_s();
        let mut frame_s = 0.05f64;
        while (duration / frame_s).ceil() as usize * n_vertices * 4 > BUDGET_BYTES {
            frame_s *= 2.0;
        }
        let per_frame = ((frame_s * fs).round() as usize).max(1);
        let high_gamma = fs >= 300.0;
        use rayon::prelude::*;
        let signals: Vec<Vec<f32>> = used
            .par_iter()
            .map(|&(i, _)| {
                let x = &rec.channels[i].data;
                let band = if high_gamma {
                    band_pass(x, fs, 70.0, 150.0f64.min(0.45 * fs))
                } else {
                    x.iter().map(|&v| v as f64).collect()
                };
                band.chunks(per_frame)
                    .map(|w| {
                        if high_gamma {
                            (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt() as f32
                        } else {
                            (w.iter().sum::<f64>() / w.len() as f64) as f32
                        }
                    })
                    .collect()
            })
            .collect();
        let nt = signals[0].len();
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
            let mut values = vec![f32::NAN; n * nt];
            for (v, w) in weights.iter().enumerate() {
                if w.is_empty() {
                    continue;
                }
                let total: f32 = w.iter().map(|x| x.1).sum();
                for t in 0..nt {
                    values[t * n + v] =
                        w.iter().map(|&(k, wt)| signals[k][t] * wt).sum::<f32>() / total;
                }
            }
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
        let raw = RawTraces {
            layer: layer.clone(),
            sampling_hz: fs,
            names: used
                .iter()
                .map(|&(i, _)| rec.channels[i].name.clone())
                .collect(),
            units: used
                .iter()
                .map(|&(i, _)| rec.channels[i].unit.clone())
                .collect(),
            data: used
                .iter()
                .map(|&(i, _)| std::mem::take(&mut rec.channels[i].data))
                .collect(),
        };
        self.recordings.retain(|r| r.layer != layer);
        self.recordings.push(std::sync::Arc::new(raw));
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
    use rayon::prelude::*;
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
        let src = r.channels.iter().find(|c| c.name == "G06").unwrap();
        assert_eq!(raw.data[g], src.data);
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
        let raw = RawTraces {
            layer: "r".into(),
            sampling_hz: fs,
            names: vec!["A".into()],
            units: vec!["uV".into()],
            data: vec![x.clone()],
        };
        // few samples: all of them, at their times
        let w = raw.window(0, 1.0, 1.1, 500);
        assert_eq!(w.len(), 101);
        assert_eq!(w[0], [1.0, x[1000] as f64]);
        assert!((w[100][0] - 1.1).abs() < 1e-12);
        // many: about max_points, in time order, the extremes kept
        let w = raw.window(0, 0.0, 10.0, 400);
        assert!(w.len() <= 400 && w.len() >= 200, "{}", w.len());
        assert!(w.windows(2).all(|p| p[0][0] < p[1][0]));
        assert!(w.iter().any(|p| p == &[5.432, 1000.0]));
        assert!(w.iter().any(|p| p == &[7.001, -900.0]));
        // outside the recording or a wrong channel: nothing
        assert!(raw.window(0, 20.0, 30.0, 100).is_empty());
        assert!(raw.window(1, 0.0, 1.0, 100).is_empty());
        assert!(raw.window(0, 2.0, 1.0, 100).is_empty());
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
