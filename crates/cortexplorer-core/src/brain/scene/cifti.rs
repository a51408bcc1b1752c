//! CIFTI-2 files in the scene (`crate::io::cifti` reads them):
//! * dense and parcel maps and series (`dscalar`, `dtseries`, `pscalar`, `ptseries`) become one
//!   overlay layer per file, a frame per map or time point, scattered onto each hemisphere's
//!   vertices by vertex index (vertices outside the model — the medial wall — have no value,
//!   drawn as no data; parcels paint every vertex of the parcel); a series keeps its step as
//!   the layer's TR, so the timeline plays it in real time;
//! * label files (`dlabel`) become one labels layer per map, with the table's names and colours;
//! * the voxel part (subcortical models, parcels with voxels) becomes a volume on the slices;
//! * connectomes (`dconn`, `pconn`, …) stay on disk: the scene keeps them and
//!   [`Scene::update_seed_maps`] reads the selected grayordinate's row (one contiguous read of
//!   the file: nibabel's `dataobj[:, g]`) into a `<name> seed` layer when the selection moves.
//!
//! A file is refused, with the scene unchanged, when a hemisphere it has data for is not
//! loaded or has another vertex count than the file's `SurfaceNumberOfVertices` (CIFTI data
//! belongs to one mesh: fs_LR 32k files need the fs_LR 32k surfaces).

use std::sync::Arc;

use super::{Added, Origin, Scene, Selection, layer_name};
use crate::brain::paint::OverlayStyle;
use crate::brain::surface::Hemisphere;
use crate::io::cifti::{Axis, Cifti, Matrix, cortex};

/// A connectome kept on disk, read a row at a time for the selected vertex.
#[derive(Clone, Debug)]
pub struct Connectome {
    pub name: String,
    pub source: String,
    pub cifti: Arc<Cifti>,
    /// the selection its seed layer shows (None: not drawn yet)
    pub shown: Option<Selection>,
}

impl Scene {
    pub(super) fn add_cifti(&mut self, c: Cifti, from: &Origin) -> Result<Added, String> {
        let what = from.what.clone();
        let hemis = c.hemispheres();
        // the whole file or nothing: every hemisphere it covers must be loaded, same mesh
        for h in &hemis {
            let want = c.surface_vertices(cortex(*h)).unwrap_or(0);
            match self.hemis.get(h).map(|g| g.n_vertices()) {
                Some(n) if n == want => {}
                Some(n) => {
                    return Err(format!(
                        "{what}: {} has {want} vertices in the file but the {h:?} hemisphere's surfaces have {n} (CIFTI data belongs to one mesh: load its surfaces, e.g. fs_LR 32k, first)",
                        cortex(*h)
                    ));
                }
                None => {
                    return Err(format!(
                        "{what}: has {want}-vertex data for the {h:?} hemisphere, which is not loaded (open its surfaces first)"
                    ));
                }
            }
        }
        // `demo.dscalar`, `demo.dtseries`: the kind stays in the name, so files of one
        // subject do not merge into one layer
        let name = layer_name(&from.name);
        let kind = c.kind();
        let mut notes = Vec::new();
        let mut layer = None;
        if matches!(c.data, Matrix::Lazy(_)) {
            if hemis.is_empty() {
                return Err(format!(
                    "{what}: a {kind} without cortical surfaces (only voxels) has nothing to seed from on the cortex"
                ));
            }
            let n = c.data.shape();
            self.connectomes.push(Connectome {
                name: name.clone(),
                source: what.clone(),
                cifti: Arc::new(c),
                shown: None,
            });
            notes.push(format!(
                "{what}: a {kind} of {} × {} kept on disk — click a vertex to see its row ({name} seed)",
                n[0], n[1]
            ));
            self.update_seed_maps();
            return Ok(Added::Data {
                note: Some(notes.join("; ")),
                layer: None,
            });
        }
        let origin = |h: Hemisphere, name: String| Origin {
            what: what.clone(),
            name,
            hemisphere: Some(h),
            surface_kind: None,
            embedded: false,
        };
        match &c.axes[0] {
            Axis::Labels(maps) => {
                for h in &hemis {
                    for (m, map) in maps.iter().enumerate() {
                        let Some(lb) = c.surface_labels(*h, m) else {
                            continue;
                        };
                        let map_name = if maps.len() == 1 || map.name.is_empty() {
                            name.clone()
                        } else {
                            format!("{name} {}", map.name)
                        };
                        // one layer per map, both hemispheres in it (names say no hemisphere)
                        if let Added::Data { note, layer: l } =
                            self.add_labels(lb, &origin(*h, map_name))?
                        {
                            notes.extend(note);
                            layer = layer.or(l);
                        }
                    }
                }
            }
            _ => {
                for h in &hemis {
                    let Some(o) = c.surface_overlay(*h) else {
                        continue;
                    };
                    if let Added::Data { note, layer: l } =
                        self.add_overlay(o, &origin(*h, name.clone()))?
                    {
                        notes.extend(note.filter(|n| !n.contains("NaN")));
                        layer = layer.or(l);
                    }
                }
            }
        }
        if let Some(v) = c.volume() {
            self.add_volume(&format!("{name} (voxels)"), &what, v);
            notes.push(format!(
                "{what}: its voxels are on the slices ({name} (voxels))"
            ));
        }
        Ok(Added::Data {
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            layer,
        })
    }

    /// Draw each connectome's row for the selected vertex (a `<name> seed` layer), when the
    /// selection moved; a vertex outside the connectome's models clears nothing and says
    /// nothing (the old row stays). Returns a message when a read failed.
    pub fn update_seed_maps(&mut self) -> Option<String> {
        let sel = self.selection?;
        let mut failed = None;
        let mut layers = Vec::new();
        for con in &mut self.connectomes {
            if con.shown == Some(sel) {
                continue;
            }
            con.shown = Some(sel);
            let c = &con.cifti;
            let Some(g) = c.axes[1].index_of_vertex(cortex(sel.hemi), sel.vertex) else {
                continue;
            };
            let Matrix::Lazy(l) = &c.data else {
                continue;
            };
            match l.column(g) {
                Ok(row) => {
                    let per_hemi: Vec<(Hemisphere, Vec<f32>)> =
                        [Hemisphere::Left, Hemisphere::Right]
                            .into_iter()
                            .filter_map(|h| {
                                let nv = c.surface_vertices(cortex(h))?;
                                let mut v = vec![f32::NAN; nv];
                                for (idx, vertex) in c.axes[0].vertices(cortex(h)) {
                                    v[vertex as usize] = row[idx];
                                }
                                Some((h, v))
                            })
                            .collect();
                    layers.push((format!("{} seed", con.name), per_hemi));
                }
                Err(e) => failed = Some(format!("{}: row {g}: {e}", con.source)),
            }
        }
        for (name, per_hemi) in layers {
            let all: Vec<f32> = per_hemi.iter().flat_map(|p| p.1.iter().copied()).collect();
            self.set_computed_layer(&name, None, per_hemi, OverlayStyle::auto(&all));
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain::scene::LayerData;
    use crate::brain::surface::{Surface, SurfaceKind};
    use crate::io::{Content, Format, Loaded, Source};

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/cifti")
            .join(name)
    }

    /// A surface of `n` vertices on a line (faces join neighbours).
    fn strip(n: usize, x: f32) -> Surface {
        let v = (0..n).map(|i| [x, i as f32, (i % 2) as f32]).collect();
        let f = (0..n as u32 - 2).map(|i| [i, i + 1, i + 2]).collect();
        Surface::new(v, f).unwrap()
    }

    fn scene(left: usize, right: usize) -> Scene {
        let mut s = Scene::new();
        for (h, n, x) in [
            (Hemisphere::Left, left, -10.0),
            (Hemisphere::Right, right, 10.0),
        ] {
            s.add(Loaded {
                source: Source::File(format!("{h:?}.pial").into()),
                format: Format::Gifti,
                content: Content::Surface(strip(n, x)),
                hemisphere: Some(h),
                surface_kind: Some(SurfaceKind::Pial),
                name: format!("{h:?}.pial"),
            })
            .unwrap();
        }
        s
    }

    fn overlay<'a>(s: &'a Scene, name: &str) -> &'a LayerData {
        &s.layers
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
            .data
    }

    #[test]
    fn maps_labels_and_voxels_go_to_their_layers() {
        let mut s = scene(12, 8);
        s.add(crate::io::load(&data("test.dscalar.nii")).unwrap())
            .unwrap();
        let LayerData::Overlay { per_hemi, .. } = overlay(&s, "test.dscalar") else {
            panic!("an overlay")
        };
        let left = &per_hemi[&Hemisphere::Left];
        assert_eq!((left.n_vertices, left.n_frames), (12, 2));
        assert!(left.frame(0)[3].is_nan() && left.frame(0)[0].is_finite());
        assert_eq!(per_hemi[&Hemisphere::Right].n_vertices, 8);
        assert_eq!(s.volumes.len(), 1, "the thalamus voxels on the slices");
        s.add(crate::io::load(&data("test.dtseries.nii")).unwrap())
            .unwrap();
        let LayerData::Overlay { per_hemi, .. } = overlay(&s, "test.dtseries") else {
            panic!("an overlay")
        };
        assert_eq!(per_hemi[&Hemisphere::Left].tr_seconds, Some(0.72));
        // nibabel's SeriesAxis(start=0.5, step=0.72): the timeline counts from 0.5 s
        assert_eq!(per_hemi[&Hemisphere::Left].t0_seconds, Some(0.5));
        s.add(crate::io::load(&data("test.dlabel.nii")).unwrap())
            .unwrap();
        assert!(matches!(
            overlay(&s, "test.dlabel areas"),
            LayerData::Labels { .. }
        ));
        assert!(matches!(
            overlay(&s, "test.dlabel patches"),
            LayerData::Labels { .. }
        ));
    }

    #[test]
    fn a_cifti_on_another_mesh_is_refused_and_the_scene_kept() {
        let mut s = scene(12, 9);
        let layers = s.layers.len();
        let e = s
            .add(crate::io::load(&data("test.dscalar.nii")).unwrap())
            .unwrap_err();
        assert!(
            !e.contains('\n') && e.contains("CORTEX_RIGHT has 8") && e.contains("9"),
            "{e}"
        );
        assert_eq!(s.layers.len(), layers);
        assert!(s.volumes.is_empty());
    }

    #[test]
    fn a_connectome_shows_the_selected_vertexs_row() {
        let mut s = scene(12, 8);
        s.add(crate::io::load(&data("test.dconn.nii")).unwrap())
            .unwrap();
        assert_eq!(s.connectomes.len(), 1);
        assert!(s.layers.iter().all(|l| l.name != "test.dconn seed"));
        // left vertex 4 is grayordinate 3 (vertex 3 is the medial wall)
        s.selection = Some(Selection {
            hemi: Hemisphere::Left,
            vertex: 4,
        });
        assert!(s.update_seed_maps().is_none());
        let LayerData::Overlay { per_hemi, .. } = overlay(&s, "test.dconn seed") else {
            panic!("an overlay")
        };
        let e: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data("expected.json")).unwrap()).unwrap();
        let m = &e["test.dconn.nii"]["data"];
        // row of grayordinate 3 = nibabel's data[:, 3]; right vertex 2 is grayordinate 12
        let got = per_hemi[&Hemisphere::Right].frame(0)[2] as f64;
        let want = m[12][3].as_f64().unwrap();
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        assert!(
            per_hemi[&Hemisphere::Left].frame(0)[7].is_nan(),
            "medial wall: no data"
        );
    }

    /// A session saved with a vertex selected on a connectome opens with that vertex's row
    /// drawn, in the style it was saved with.
    #[test]
    fn a_session_brings_back_the_seed_row() {
        use crate::session::{Session, restore_scene, save};
        let dir = tempfile::tempdir().unwrap();
        let mut s = Scene::new();
        for (h, n, x, name) in [
            (Hemisphere::Left, 12, -10.0, "lh.pial"),
            (Hemisphere::Right, 8, 10.0, "rh.pial"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(
                &p,
                crate::io::freesurfer::write_surface(&strip(n, x), "test"),
            )
            .unwrap();
            s.add(crate::io::load(&p).unwrap()).unwrap();
            assert!(s.hemis.contains_key(&h));
        }
        let dconn = dir.path().join("test.dconn.nii");
        std::fs::copy(data("test.dconn.nii"), &dconn).unwrap();
        s.add(crate::io::load(&dconn).unwrap()).unwrap();
        s.selection = Some(Selection {
            hemi: Hemisphere::Left,
            vertex: 4,
        });
        s.update_seed_maps();
        let seed = s
            .layers
            .iter_mut()
            .find(|l| l.name == "test.dconn seed")
            .unwrap();
        let LayerData::Overlay {
            per_hemi, style, ..
        } = &mut seed.data
        else {
            panic!("an overlay")
        };
        style.colormap = "inferno".into();
        let want = per_hemi[&Hemisphere::Right].frame(0)[2];
        let path = dir.path().join("s.json");
        let (session, blobs, _) = Session::from_scene(&s, &path);
        save(&path, &session, &blobs).unwrap();
        let (back, _) = restore_scene(&crate::session::read(&path).unwrap(), dir.path()).unwrap();
        let seed = back
            .layers
            .iter()
            .find(|l| l.name == "test.dconn seed")
            .expect("the seed layer comes back");
        let LayerData::Overlay {
            per_hemi, style, ..
        } = &seed.data
        else {
            panic!("an overlay")
        };
        assert_eq!(style.colormap, "inferno");
        assert_eq!(per_hemi[&Hemisphere::Right].frame(0)[2], want);
    }
}
