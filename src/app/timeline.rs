//! Playing recorded activity: a [`Playback`] follows one multi-frame overlay layer (a time
//! series from GIFTI, MGH/MGZ frames, NPY or CSV), advances its frame with the wall clock
//! (real time × speed when the file gives a TR, frames per second when not), and keeps the
//! vertices pinned for the Traces panel. The newest series layer is followed by default.

use bevy::prelude::*;

use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::timeline::Timeline;

#[derive(Resource, Default)]
pub struct Playback {
    pub timeline: Timeline,
    /// the series layer being played (None: none loaded)
    pub layer: Option<u64>,
    /// vertices whose time courses the Traces panel shows
    pub pinned: Vec<(Hemisphere, usize)>,
    /// the Traces window is open
    pub traces_open: bool,
    /// a recording's raw channels the Traces panel shows (indices into its `RawTraces`; empty:
    /// the first four), and the length of the window around the timeline's time (s; 0: 4 s)
    pub raw_channels: Vec<usize>,
    pub raw_window_s: f64,
    /// the frame last shown, to notice the layer's frame being set elsewhere (Layers panel)
    applied: Option<usize>,
}

impl Playback {
    /// The Traces window open from the start (`view --traces`).
    pub fn traces_shown() -> Playback {
        Playback {
            traces_open: true,
            ..Default::default()
        }
    }

    pub fn pin(&mut self, h: Hemisphere, v: usize) {
        if !self.pinned.contains(&(h, v)) {
            self.pinned.push((h, v));
        }
    }
}

/// A layer's series: frame count, TR and time of frame 0 (from any hemisphere's file), and
/// the frame it shows.
pub struct SeriesInfo {
    pub frames: usize,
    pub tr: Option<f32>,
    pub t0: Option<f32>,
    pub shown: usize,
}

impl SeriesInfo {
    /// The time of `frame` (s), when the file records a TR.
    pub fn seconds(&self, frame: usize) -> Option<f64> {
        Timeline::seconds(frame, self.tr, self.t0)
    }
}

pub fn series_info(scene: &crate::brain::scene::Scene, id: u64) -> Option<SeriesInfo> {
    let l = scene.layers.iter().find(|l| l.id == id)?;
    let crate::brain::scene::LayerData::Overlay {
        per_hemi, frame, ..
    } = &l.data
    else {
        return None;
    };
    Some(SeriesInfo {
        frames: l.n_frames(),
        tr: per_hemi.values().find_map(|o| o.tr_seconds),
        t0: per_hemi.values().find_map(|o| o.t0_seconds),
        shown: *frame,
    })
}

pub struct TimelinePlugin;

impl Plugin for TimelinePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Playback>().add_systems(Update, play);
    }
}

fn play(time: Res<Time>, mut doc: ResMut<SceneDoc>, mut pb: ResMut<Playback>) {
    let scene = &doc.0;
    let newest = scene
        .layers
        .iter()
        .rev()
        .find(|l| scene.is_time_series(l))
        .map(|l| l.id);
    // follow the newest series when the followed one is gone (or a newer one arrives)
    let known = pb
        .layer
        .is_some_and(|id| scene.layers.iter().any(|l| l.id == id));
    // layer ids only grow, so a larger id is a newer series
    if !known || newest > pb.layer {
        if pb.layer != newest {
            pb.timeline.position = 0.0;
            pb.timeline.playing = false;
            pb.applied = None;
        }
        pb.layer = newest;
    }
    let Some(id) = pb.layer else {
        return;
    };
    let Some(SeriesInfo {
        frames, tr, shown, ..
    }) = series_info(scene, id)
    else {
        return;
    };
    if pb.applied.is_some_and(|a| a != shown) {
        pb.timeline.position = shown as f64;
    }
    let wall = time.delta_secs_f64();
    let frame = pb.timeline.advance(wall, frames, tr);
    doc.0.set_frame(id, frame);
    pb.applied = Some(frame);
}
