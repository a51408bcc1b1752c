//! Meshes in the scene that are not a hemisphere — an implant's CAD model, another tool's
//! surface (`.obj`, `.ply`, `.stl`, VTK polygons; `cortexplorer_formats::meshes`). Each is
//! drawn where its coordinates say (RAS mm, the scanner space plans are exported in), lit,
//! in one colour or coloured by one of its per-vertex values through a colour map (2nd–98th
//! percentile). They take no part in picking, planning or layers: a mesh of a hemisphere
//! belongs in FreeSurfer or GIFTI form, where it gets the layers.
//!
//! An object may also follow a layer in time ([`PartSeries`]): its vertices belong to parts
//! (an iEEG recording's contact spheres, one part per contact), each part has a value per frame
//! of the layer, and the object is painted with the value of the frame the layer shows — the
//! contacts coloured by their own signal while the timeline plays, through the layer's colour
//! map and limits (its colour bar) when given, else its own 2nd–98th percentiles over every
//! frame and part.

use std::sync::Arc;

use crate::brain::colormap::Colormap;
use crate::brain::paint::OverlayStyle;
use crate::brain::vessel_mesh::robust_range;
use crate::io::Surface;

/// A mesh shown with the cortex.
#[derive(Clone, Debug)]
pub struct MeshObject {
    pub name: String,
    pub surface: Arc<Surface>,
    /// per-vertex values (name, one per vertex)
    pub values: Arc<Vec<(String, Vec<f32>)>>,
    pub style: ObjectStyle,
    /// values that follow a layer's frames (drawn instead of `style.color` when present and no
    /// per-vertex value is chosen)
    pub series: Option<Arc<PartSeries>>,
    /// RAS mm bounds (computed once)
    bounds: ([f32; 3], [f32; 3]),
}

/// A value per part and frame of a layer, a part per vertex (see the module docs).
#[derive(Clone, Debug)]
pub struct PartSeries {
    /// the layer whose shown frame is drawn
    pub layer: String,
    pub n_parts: usize,
    pub n_frames: usize,
    /// `[frame * n_parts + part]`
    pub values: Vec<f32>,
    /// the part each vertex belongs to
    pub part_of: Vec<u32>,
    /// the colour range (over every frame and part)
    pub range: (f32, f32),
}

impl PartSeries {
    /// Checks the shapes; the range is the values' 2nd–98th percentile.
    pub fn new(
        layer: String,
        n_parts: usize,
        values: Vec<f32>,
        part_of: Vec<u32>,
    ) -> Result<PartSeries, String> {
        if n_parts == 0 || !values.len().is_multiple_of(n_parts) {
            return Err(format!(
                "{} values are not whole frames of {n_parts} parts",
                values.len()
            ));
        }
        if part_of.iter().any(|&p| p as usize >= n_parts) {
            return Err(format!("a vertex belongs to a part beyond {n_parts}"));
        }
        let range = robust_range(&values);
        Ok(PartSeries {
            layer,
            n_parts,
            n_frames: values.len() / n_parts,
            values,
            part_of,
            range,
        })
    }
}

/// How a mesh object is drawn (sessions keep it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectStyle {
    pub show: bool,
    /// `None`: `color`; `Some(name)`: that per-vertex value through `colormap`
    pub value: Option<String>,
    pub color: [f32; 4],
    pub colormap: String,
}

impl ObjectStyle {
    /// A colour in 0..1 and a known colour map.
    pub fn check(&self) -> Result<(), String> {
        if !self.color.iter().all(|x| (0.0..=1.0).contains(x)) {
            return Err("colour outside 0..1".into());
        }
        if Colormap::by_name(&self.colormap).is_none() {
            return Err(format!("unknown colour map {:?}", self.colormap));
        }
        Ok(())
    }
}

impl Default for ObjectStyle {
    fn default() -> Self {
        ObjectStyle {
            show: true,
            value: None,
            // a metallic steel blue: an implant, distinct from the cortex's greys
            color: [0.55, 0.68, 0.85, 1.0],
            colormap: "viridis".into(),
        }
    }
}

impl MeshObject {
    pub fn new(
        name: String,
        surface: Arc<Surface>,
        values: Vec<(String, Vec<f32>)>,
        style: ObjectStyle,
    ) -> MeshObject {
        let bounds = surface.bbox();
        MeshObject {
            name,
            surface,
            values: Arc::new(values),
            style,
            series: None,
            bounds,
        }
    }

    /// The object following `series` (which must have a part for each vertex).
    pub fn with_series(mut self, series: PartSeries) -> Result<MeshObject, String> {
        if series.part_of.len() != self.surface.vertices.len() {
            return Err(format!(
                "{}: {} vertices, but the series gives parts for {}",
                self.name,
                self.surface.vertices.len(),
                series.part_of.len()
            ));
        }
        self.series = Some(Arc::new(series));
        Ok(self)
    }

    /// Per-vertex colours with the series at `frame` (clamped to its frames) through `layer`'s
    /// style (the followed layer's colour map and limits; None: the object's colour map over the
    /// series' range), or [`Self::colors`] when the object has no series or a per-vertex value
    /// is chosen.
    pub fn colors_at(&self, frame: usize, layer: Option<&OverlayStyle>) -> Vec<[f32; 4]> {
        let Some(s) = self.series.as_ref().filter(|_| self.style.value.is_none()) else {
            return self.colors().0;
        };
        let f = frame.min(s.n_frames.saturating_sub(1));
        let row = &s.values[f * s.n_parts..(f + 1) * s.n_parts];
        let own = OverlayStyle {
            colormap: self.style.colormap.clone(),
            min: s.range.0,
            max: s.range.1,
            threshold: 0.0,
            symmetric: false,
            opacity: 1.0,
        };
        let style = layer.unwrap_or(&own);
        let cmap = colormap_or_viridis(&style.colormap);
        let per_part: Vec<[f32; 4]> = row
            .iter()
            .map(|&x| shade(&cmap, style.position(x)))
            .collect();
        s.part_of.iter().map(|&p| per_part[p as usize]).collect()
    }

    /// Per-vertex colours under the style, and the value range when coloured by a value.
    pub fn colors(&self) -> (Vec<[f32; 4]>, Option<(f32, f32)>) {
        let n = self.surface.vertices.len();
        let values = self
            .style
            .value
            .as_ref()
            .and_then(|name| self.values.iter().find(|(k, _)| k == name))
            .map(|(_, v)| v);
        let Some(v) = values else {
            return (vec![self.style.color; n], None);
        };
        let (lo, hi) = robust_range(v);
        let cmap = colormap_or_viridis(&self.style.colormap);
        let colors = v
            .iter()
            .map(|&x| shade(&cmap, x.is_finite().then(|| (x - lo) / (hi - lo))))
            .collect();
        (colors, Some((lo, hi)))
    }

    /// Bounds in RAS mm.
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        self.bounds
    }
}

fn colormap_or_viridis(name: &str) -> Colormap {
    Colormap::by_name(name)
        .or_else(|| Colormap::by_name("viridis"))
        .expect("viridis exists")
}

/// The colour at position `t` of the map (clamped to 0…1); grey where there is no value.
fn shade(cmap: &Colormap, t: Option<f32>) -> [f32; 4] {
    match t {
        Some(t) => {
            let q = cmap.at(t.clamp(0.0, 1.0));
            [
                q[0] as f32 / 255.0,
                q[1] as f32 / 255.0,
                q[2] as f32 / 255.0,
                1.0,
            ]
        }
        None => [0.5, 0.5, 0.5, 1.0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mesh_is_one_colour_or_its_values_through_the_map() {
        let s = Surface::new(
            vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            vec![[0, 1, 2]],
        )
        .unwrap();
        let mut o = MeshObject::new(
            "tri".into(),
            Arc::new(s),
            vec![("t".into(), vec![0.0, 5.0, 10.0])],
            ObjectStyle::default(),
        );
        let (c, r) = o.colors();
        assert!(r.is_none() && c.iter().all(|x| *x == ObjectStyle::default().color));
        o.style.value = Some("t".into());
        let (c, r) = o.colors();
        let (lo, hi) = r.unwrap();
        assert!(lo <= 0.2 && hi >= 9.8, "{lo} {hi}");
        let vir = Colormap::by_name("viridis").unwrap();
        assert!((c[0][0] - vir.at(0.0)[0] as f32 / 255.0).abs() < 0.02);
        assert!((c[2][1] - vir.at(1.0)[1] as f32 / 255.0).abs() < 0.02);
        assert_eq!(o.bounds(), ([0.0; 3], [1.0, 1.0, 0.0]));
    }

    #[test]
    fn an_object_with_a_series_shows_each_parts_value_of_the_frame() {
        let s = Surface::new(
            vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [5.0, 0.0, 0.0],
                [6.0, 0.0, 0.0],
                [5.0, 1.0, 0.0],
            ],
            vec![[0, 1, 2], [3, 4, 5]],
        )
        .unwrap();
        // two parts (a triangle each), three frames: part 0 rises, part 1 falls
        let values = vec![0.0, 10.0, 5.0, 5.0, 10.0, 0.0];
        let series = PartSeries::new("rec".into(), 2, values, vec![0, 0, 0, 1, 1, 1]).unwrap();
        assert_eq!(series.n_frames, 3);
        let o = MeshObject::new(
            "c".into(),
            Arc::new(s.clone()),
            Vec::new(),
            ObjectStyle::default(),
        )
        .with_series(series)
        .unwrap();
        let vir = Colormap::by_name("viridis").unwrap();
        let rgb = |t: f32| {
            let q = vir.at(t);
            [
                q[0] as f32 / 255.0,
                q[1] as f32 / 255.0,
                q[2] as f32 / 255.0,
            ]
        };
        let close = |c: [f32; 4], t: f32| (0..3).all(|k| (c[k] - rgb(t)[k]).abs() < 0.03);
        let first = o.colors_at(0, None);
        assert!(close(first[0], 0.0) && close(first[2], 0.0), "{first:?}");
        assert!(close(first[3], 1.0) && close(first[5], 1.0), "{first:?}");
        let last = o.colors_at(2, None);
        assert!(close(last[0], 1.0) && close(last[4], 0.0), "{last:?}");
        // past the end: the last frame
        assert_eq!(o.colors_at(99, None), last);
        // through a layer's style: its map and limits (both parts at 5 of 0..20 in frame 1)
        let grey = OverlayStyle {
            colormap: "gray".into(),
            min: 0.0,
            max: 20.0,
            threshold: 0.0,
            symmetric: false,
            opacity: 1.0,
        };
        let c = o.colors_at(1, Some(&grey));
        assert!((c[0][0] - c[0][1]).abs() < 0.02 && c[0][0] < 0.45, "{c:?}");
        assert_eq!(c[0], c[5]);
        // a series must fit the mesh and its frames
        assert!(PartSeries::new("rec".into(), 2, vec![0.0; 5], vec![0; 6]).is_err());
        assert!(PartSeries::new("rec".into(), 2, vec![0.0; 6], vec![2; 6]).is_err());
        let short = PartSeries::new("rec".into(), 1, vec![0.0; 3], vec![0; 2]).unwrap();
        let plain = MeshObject::new("c".into(), Arc::new(s), Vec::new(), ObjectStyle::default());
        assert!(plain.with_series(short).is_err());
    }
}
