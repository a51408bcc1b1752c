//! `cortexplorer view --soak SECONDS [--simulate MODEL]`: draw continuously (with the
//! simulation running, the surface recoloured every frame) for SECONDS, sampling the
//! process's resident memory and the frame time, then print one JSON report and exit.
//!
//! Keys: `mode` ("soak"), `seconds`, `frames`, `warmup_s`, `samples` (`t_s`, `rss_mib`,
//! `mean_frame_ms`, `max_frame_ms` per interval), `rss_warm_mib` (at the end of the warm-up),
//! `rss_end_mib`, `rss_growth_pct` (end against warm), `frame_ms_first_quarter` and
//! `frame_ms_last_quarter` (after warm-up), `frame_drift_pct`.
//! Warm-up is a tenth of the run, at least 5 s: pipelines compile, caches and the allocator's
//! pools fill, and the simulation's buffers reach their size.

use std::time::Instant;

use bevy::prelude::*;

use super::scene::{ContentFrames, Drawn};

pub struct SoakPlugin {
    pub seconds: f64,
}

#[derive(Clone, Copy, Debug, serde::Serialize)]
struct Sample {
    t_s: f64,
    rss_mib: f64,
    mean_frame_ms: f64,
    max_frame_ms: f64,
}

#[derive(Resource)]
struct Soak {
    seconds: f64,
    interval_s: f64,
    start: Option<Instant>,
    last_frame: Option<Instant>,
    interval_start: Option<Instant>,
    interval_frames: u32,
    interval_max_ms: f64,
    frames: u64,
    samples: Vec<Sample>,
    done: bool,
}

impl Plugin for SoakPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Soak {
            seconds: self.seconds,
            interval_s: (self.seconds / 120.0).clamp(1.0, 30.0),
            start: None,
            last_frame: None,
            interval_start: None,
            interval_frames: 0,
            interval_max_ms: 0.0,
            frames: 0,
            samples: Vec::new(),
            done: false,
        })
        .add_systems(Last, soak);
    }
}

/// Resident memory now (Linux `VmRSS`), MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn soak(
    mut s: ResMut<Soak>,
    drawn: Res<Drawn>,
    frames: Res<ContentFrames>,
    mut exit: MessageWriter<AppExit>,
) {
    if s.done || !drawn.has_content() || frames.0 < 10 {
        return;
    }
    let now = Instant::now();
    let start = *s.start.get_or_insert(now);
    let interval_start = *s.interval_start.get_or_insert(now);
    if let Some(last) = s.last_frame {
        let ms = now.duration_since(last).as_secs_f64() * 1e3;
        s.interval_max_ms = s.interval_max_ms.max(ms);
        s.interval_frames += 1;
        s.frames += 1;
    }
    s.last_frame = Some(now);
    let in_interval = now.duration_since(interval_start).as_secs_f64();
    if in_interval >= s.interval_s && s.interval_frames > 0 {
        let sample = Sample {
            t_s: now.duration_since(start).as_secs_f64(),
            rss_mib: rss_mib(),
            mean_frame_ms: in_interval * 1e3 / s.interval_frames as f64,
            max_frame_ms: s.interval_max_ms,
        };
        s.samples.push(sample);
        s.interval_start = Some(now);
        s.interval_frames = 0;
        s.interval_max_ms = 0.0;
    }
    if now.duration_since(start).as_secs_f64() < s.seconds {
        return;
    }
    s.done = true;
    println!("{}", serde_json::to_string(&report(&s)).unwrap());
    exit.write(AppExit::Success);
}

fn report(s: &Soak) -> serde_json::Value {
    let warmup = (s.seconds * 0.1).max(5.0);
    let after: Vec<&Sample> = s.samples.iter().filter(|x| x.t_s >= warmup).collect();
    let mean = |xs: &[&Sample]| {
        (!xs.is_empty()).then(|| xs.iter().map(|x| x.mean_frame_ms).sum::<f64>() / xs.len() as f64)
    };
    let q = after.len() / 4;
    let first_q = mean(&after[..q.max(1).min(after.len())]);
    let last_q = mean(&after[after.len().saturating_sub(q.max(1))..]);
    let warm = after.first().map(|x| x.rss_mib);
    let end = after.last().map(|x| x.rss_mib);
    let pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a > 0.0 => Some((b - a) / a * 100.0),
        _ => None,
    };
    serde_json::json!({
        "mode": "soak",
        "seconds": s.seconds,
        "frames": s.frames,
        "warmup_s": warmup,
        "samples": s.samples,
        "rss_warm_mib": warm,
        "rss_end_mib": end,
        "rss_growth_pct": pct(warm, end),
        "frame_ms_first_quarter": first_q,
        "frame_ms_last_quarter": last_q,
        "frame_drift_pct": pct(first_q, last_q),
    })
}
