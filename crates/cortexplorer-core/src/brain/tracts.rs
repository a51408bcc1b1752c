//! Tractography in the scene: the streamlines of a `.tck`, `.trk` or `.trx` file
//! (`cortexplorer_formats::tracts`, RAS mm) and the line geometry that draws them.
//!
//! Drawing follows the vessel renderer's line path (`vessel_mesh`): one line segment per pair
//! of consecutive points, per-vertex colour, chunked meshes with the unlit line material.
//! Colour is the local direction (the classic DEC map: RGB = |unit tangent| in x, y, z, the
//! tangent by central differences, one-sided at the ends) or a per-point / per-streamline value
//! through a colour map over its 2nd–98th percentile.
//!
//! **Level of detail.** A whole-brain tractogram has millions of streamlines and hundreds of
//! millions of points. The geometry keeps at most `max_segments` segments (default 500,000;
//! the Tractography window's slider changes it): when there are more, every k-th streamline is
//! drawn (k the smallest stride that fits, evenly over the file's order, which for tracking
//! output is unrelated to place). Measured on lavapipe (2 cores, no GPU) with a million
//! 30-point streamlines: 500,000 segments draw at 212 ms a frame (4.7 per second; 32 ms
//! without them), 1.93 million at 537 ms; a GPU draws either in a few milliseconds.

use std::sync::Arc;

use crate::brain::colormap::Colormap;
use crate::brain::vessel_mesh::robust_range;
use crate::io::tracts::Tractogram;

/// The tractogram shown with the cortex.
#[derive(Clone, Debug)]
pub struct TractSet {
    pub name: String,
    pub tracts: Arc<Tractogram>,
    /// its count, lengths and bounds (computed once: seconds for millions of streamlines)
    pub stats: crate::io::tracts::TractStats,
    /// bumped when the tractogram is replaced
    pub rev: u64,
}

/// How streamlines are coloured.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TractColor {
    /// RGB = |local direction| (x red, y green, z blue)
    Direction,
    /// a per-point value (`point_data`) or per-streamline value (`streamline_data`) by name
    Value(String),
    /// one colour
    Solid([f32; 4]),
}

/// What the tracts panel edits (sessions keep it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TractStyle {
    pub show: bool,
    pub color: TractColor,
    pub colormap: String,
    /// at most this many segments are drawn (every k-th streamline beyond it)
    pub max_segments: usize,
}

impl TractStyle {
    /// Finite colours in 0..1, a known colour map, a segment budget of 1 to 100 million.
    pub fn check(&self) -> Result<(), String> {
        if let TractColor::Solid(c) = &self.color
            && !c.iter().all(|x| (0.0..=1.0).contains(x))
        {
            return Err("tract colour outside 0..1".into());
        }
        if Colormap::by_name(&self.colormap).is_none() {
            return Err(format!("unknown colour map {:?}", self.colormap));
        }
        if !(1..=100_000_000).contains(&self.max_segments) {
            return Err(format!(
                "max_segments {} (1 to 100 million)",
                self.max_segments
            ));
        }
        Ok(())
    }
}

impl Default for TractStyle {
    fn default() -> Self {
        TractStyle {
            show: true,
            color: TractColor::Direction,
            colormap: "viridis".into(),
            max_segments: 500_000,
        }
    }
}

/// Line segments ready for a mesh: `positions`/`colors` in pairs (a line list).
#[derive(Clone, Debug, Default)]
pub struct TractGeometry {
    pub positions: Vec<[f32; 3]>,
    pub colors: Vec<[f32; 4]>,
    /// streamlines drawn / in the file
    pub drawn: usize,
    pub total: usize,
    /// the stride of the subsample (1: all)
    pub stride: usize,
    /// the value range of a value colouring (for the legend)
    pub range: Option<(f32, f32)>,
}

/// The names a tractogram can be coloured by (per point, then per streamline).
pub fn value_names(t: &Tractogram) -> Vec<String> {
    t.point_data
        .iter()
        .chain(&t.streamline_data)
        .map(|(n, _)| n.clone())
        .collect()
}

fn direction(a: [f32; 3], b: [f32; 3]) -> [f32; 4] {
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    if n > 0.0 && n.is_finite() {
        [d[0].abs() / n, d[1].abs() / n, d[2].abs() / n, 1.0]
    } else {
        [0.5, 0.5, 0.5, 1.0]
    }
}

/// The geometry of `t` under `style`.
pub fn build(t: &Tractogram, style: &TractStyle) -> TractGeometry {
    let total = t.n_streamlines();
    let segments = t.points.len().saturating_sub(total);
    let stride = if style.max_segments == 0 {
        usize::MAX
    } else {
        segments.div_ceil(style.max_segments).max(1)
    };
    // the value colouring: per point or per streamline, and its range
    enum Values<'a> {
        None,
        Point(&'a [f32]),
        Line(&'a [f32]),
    }
    let values = match &style.color {
        TractColor::Value(name) => {
            if let Some((_, v)) = t.point_data.iter().find(|(n, _)| n == name) {
                Values::Point(v)
            } else if let Some((_, v)) = t.streamline_data.iter().find(|(n, _)| n == name) {
                Values::Line(v)
            } else {
                Values::None
            }
        }
        _ => Values::None,
    };
    let range = match values {
        Values::Point(v) | Values::Line(v) => Some(robust_range(v)),
        Values::None => None,
    };
    let cmap = Colormap::by_name(&style.colormap).or_else(|| Colormap::by_name("viridis"));
    let map = |x: f32| -> [f32; 4] {
        let (lo, hi) = range.unwrap_or((0.0, 1.0));
        match (&cmap, x.is_finite()) {
            (Some(c), true) => {
                let q = c.at(((x - lo) / (hi - lo)).clamp(0.0, 1.0));
                [
                    q[0] as f32 / 255.0,
                    q[1] as f32 / 255.0,
                    q[2] as f32 / 255.0,
                    1.0,
                ]
            }
            _ => [0.5, 0.5, 0.5, 1.0],
        }
    };
    let mut g = TractGeometry {
        total,
        stride,
        range,
        ..Default::default()
    };
    if stride == usize::MAX {
        return g;
    }
    let keep = segments.div_ceil(stride);
    g.positions.reserve(2 * keep.min(style.max_segments.max(1)));
    g.colors.reserve(2 * keep.min(style.max_segments.max(1)));
    for s in (0..total).step_by(stride) {
        let pts = t.streamline(s);
        if pts.len() < 2 {
            continue;
        }
        g.drawn += 1;
        let base = t.offsets[s];
        // per-point colours first (central differences for the direction)
        let color_at = |k: usize| -> [f32; 4] {
            match (&style.color, &values) {
                (TractColor::Solid(c), _) => *c,
                (_, Values::Point(v)) => map(v[base + k]),
                (_, Values::Line(v)) => map(v[s]),
                _ => {
                    let a = pts[k.saturating_sub(1)];
                    let b = pts[(k + 1).min(pts.len() - 1)];
                    direction(a, b)
                }
            }
        };
        let mut prev = color_at(0);
        for k in 1..pts.len() {
            let c = color_at(k);
            g.positions.push(pts[k - 1]);
            g.positions.push(pts[k]);
            g.colors.push(prev);
            g.colors.push(c);
            prev = c;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fan(n: usize, len: usize) -> Tractogram {
        let mut t = Tractogram {
            offsets: vec![0],
            ..Default::default()
        };
        for s in 0..n {
            for k in 0..len {
                // streamline s runs along x (s even) or z (s odd)
                let p = if s % 2 == 0 {
                    [k as f32, s as f32, 0.0]
                } else {
                    [s as f32, 0.0, k as f32]
                };
                t.points.push(p);
            }
            t.offsets.push(t.points.len());
        }
        t.streamline_data
            .push(("id".into(), (0..n).map(|s| s as f32).collect()));
        t
    }

    fn data(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/tracts")
            .join(name)
    }

    #[test]
    fn a_tractogram_enters_the_scene_and_a_damaged_one_changes_nothing() {
        let mut s = crate::brain::scene::Scene::new();
        let note = s.add(crate::io::load(&data("small.trk")).unwrap()).unwrap();
        let set = s.tracts.clone().expect("the tractogram is in the scene");
        assert_eq!((set.tracts.n_streamlines(), set.rev), (5, 1));
        assert!(format!("{note:?}").contains("5 streamlines"), "{note:?}");
        assert_eq!(value_names(&set.tracts), ["fa", "md", "len"]);
        // one at a time: a second replaces it
        s.add(crate::io::load(&data("small.tck")).unwrap()).unwrap();
        let now = s.tracts.clone().unwrap();
        assert_eq!((now.name.as_str(), now.rev), ("small.tck", 2));
        // damaged: refused before it reaches the scene, which keeps what it had
        let bad = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/corpus/tracts/12-negative-count.trk");
        let err = crate::io::load(&bad).unwrap_err().to_string();
        assert!(err.contains("negative"), "{err}");
        assert_eq!(s.tracts.as_ref().unwrap().rev, 2);
        // and it draws: every streamline with two points or more
        let g = build(&now.tracts, &TractStyle::default());
        assert_eq!(g.drawn, 4);
        assert_eq!(g.positions.len(), 2 * (now.tracts.points.len() - 5));
    }

    #[test]
    fn direction_colours_follow_the_streamline() {
        let t = fan(2, 4);
        let g = build(&t, &TractStyle::default());
        assert_eq!(g.drawn, 2);
        assert_eq!(g.positions.len(), 2 * 2 * 3);
        // the first streamline runs along x: red; the second along z: blue
        assert!(g.colors[..6].iter().all(|c| c[0] > 0.99 && c[1] < 0.01));
        assert!(g.colors[6..].iter().all(|c| c[2] > 0.99 && c[0] < 0.01));
    }

    #[test]
    fn the_budget_subsamples_evenly_and_values_colour_by_the_colormap() {
        let t = fan(100, 11); // 1,000 segments
        let style = TractStyle {
            max_segments: 250,
            color: TractColor::Value("id".into()),
            ..Default::default()
        };
        let g = build(&t, &style);
        assert_eq!(g.stride, 4);
        assert_eq!(g.drawn, 25);
        assert!(g.positions.len() / 2 <= 250);
        let (lo, hi) = g.range.unwrap();
        assert!(lo < 5.0 && hi > 95.0, "{lo} {hi}");
        // the first drawn streamline (id 0) and the last (id 96) get the map's two ends
        let vir = Colormap::by_name("viridis").unwrap();
        let first = vir.at(0.0);
        assert!((g.colors[0][0] - first[0] as f32 / 255.0).abs() < 0.02);
        assert_ne!(g.colors[0], g.colors[g.colors.len() - 1]);
    }
}
