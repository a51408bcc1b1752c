//! Playing a time series: the position (in frames, fractional between them), play/pause,
//! speed and looping. With a repetition time (TR) the speed is a multiple of real time
//! (1× plays one TR of data per second of TR), without one it is frames per second.

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub playing: bool,
    pub looping: bool,
    /// × real time when the series has a TR, frames per second when it has none
    pub speed: f32,
    /// current position in frames
    pub position: f64,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            playing: false,
            looping: true,
            speed: 1.0,
            position: 0.0,
        }
    }
}

impl Timeline {
    /// Frames advanced per second of wall time.
    pub fn frames_per_second(&self, tr: Option<f32>) -> f64 {
        match tr {
            Some(tr) if tr > 0.0 => self.speed as f64 / tr as f64,
            _ => self.speed as f64,
        }
    }

    /// Advance by `wall` seconds over a series of `n_frames`; returns the frame to show.
    /// At the end it wraps when looping, else stops on the last frame and pauses.
    pub fn advance(&mut self, wall: f64, n_frames: usize, tr: Option<f32>) -> usize {
        let n = n_frames.max(1) as f64;
        if self.playing {
            self.position += wall * self.frames_per_second(tr);
            if self.position >= n {
                if self.looping {
                    self.position %= n;
                } else {
                    self.position = n - 1.0;
                    self.playing = false;
                }
            }
        }
        self.position = self.position.clamp(0.0, n - 1.0);
        self.frame()
    }

    pub fn frame(&self) -> usize {
        self.position.floor().max(0.0) as usize
    }

    /// Time of a frame in seconds when the TR is known.
    /// The time of `frame` (s): `t0 + frame · tr`, t0 the file's time of frame 0 (0 when it
    /// records none); None without a TR.
    pub fn seconds(frame: usize, tr: Option<f32>, t0: Option<f32>) -> Option<f64> {
        tr.filter(|t| *t > 0.0)
            .map(|t| t0.unwrap_or(0.0) as f64 + frame as f64 * t as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_in_real_time_loops_and_stops() {
        let mut t = Timeline {
            playing: true,
            ..Default::default()
        };
        // TR 2 s at 1×: 3 s of wall time is 1.5 frames
        assert_eq!(t.advance(3.0, 10, Some(2.0)), 1);
        assert!((t.position - 1.5).abs() < 1e-12);
        // without a TR, speed is frames per second; it wraps at the end
        t.speed = 4.0;
        assert_eq!(t.advance(2.5, 10, None), 1); // 1.5 + 10 = 11.5 → 1.5
        t.looping = false;
        assert_eq!(t.advance(10.0, 10, None), 9);
        assert!(!t.playing);
        // paused: nothing moves; a shorter series clamps the position
        assert_eq!(t.advance(5.0, 4, None), 3);
        assert_eq!(
            Timeline::seconds(3, Some(0.8), None),
            Some(3.0 * 0.8f32 as f64)
        );
        assert_eq!(Timeline::seconds(3, None, Some(1.0)), None);
        // an MNE estimate from tmin = -0.1 s in 10 ms steps: frame 10 is at 0 s
        let t = Timeline::seconds(10, Some(0.01), Some(-0.1)).unwrap();
        assert!(t.abs() < 1e-6, "{t}");
    }
}
