//! Meshes in the scene that are not a hemisphere — an implant's CAD model, another tool's
//! surface (`.obj`, `.ply`, `.stl`, VTK polygons; `cortexplorer_formats::meshes`). Each is
//! drawn where its coordinates say (RAS mm, the scanner space plans are exported in), lit,
//! in one colour or coloured by one of its per-vertex values through a colour map (2nd–98th
//! percentile). They take no part in picking, planning or layers: a mesh of a hemisphere
//! belongs in FreeSurfer or GIFTI form, where it gets the layers.

use std::sync::Arc;

use crate::brain::colormap::Colormap;
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
    /// RAS mm bounds (computed once)
    bounds: ([f32; 3], [f32; 3]),
}

/// How a mesh object is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectStyle {
    pub show: bool,
    /// `None`: `color`; `Some(name)`: that per-vertex value through `colormap`
    pub value: Option<String>,
    pub color: [f32; 4],
    pub colormap: String,
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
            bounds,
        }
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
        let cmap = Colormap::by_name(&self.style.colormap)
            .or_else(|| Colormap::by_name("viridis"))
            .expect("viridis exists");
        let colors = v
            .iter()
            .map(|&x| {
                if x.is_finite() {
                    let q = cmap.at(((x - lo) / (hi - lo)).clamp(0.0, 1.0));
                    [
                        q[0] as f32 / 255.0,
                        q[1] as f32 / 255.0,
                        q[2] as f32 / 255.0,
                        1.0,
                    ]
                } else {
                    [0.5, 0.5, 0.5, 1.0]
                }
            })
            .collect();
        (colors, Some((lo, hi)))
    }

    /// Bounds in RAS mm.
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        self.bounds
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
}
