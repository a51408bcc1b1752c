//! The viewer's document: hemispheres with their surfaces, the layer stack, view settings and
//! the selection. Plain data with the rules for adding files, so the GUI, the `render` command
//! and the tests share one behaviour.
//!
//! Decisions (README, "Scene rules"):
//! * a file's hemisphere comes from its name (`lh.`, `_left`, `hemi-L`) or GIFTI metadata;
//!   a per-vertex file without one goes to the only hemisphere with a matching vertex count,
//!   or to the left one (with a note) when both match;
//! * overlays and labels with the same name on the two hemispheres form one layer
//!   (`lh.thickness` + `rh.thickness` → "thickness"), sharing one colour scale;
//! * a surface whose vertex count differs from its hemisphere's current surfaces starts a new
//!   subject for that hemisphere (its other surfaces are dropped; layers stay but are not drawn
//!   on meshes whose vertex count they do not match);
//! * inflated, sphere and flat surfaces are shown side by side: each hemisphere is shifted
//!   along x so the two do not overlap (anatomical surfaces keep their true coordinates).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::colormap::Colormap;
use super::data::{Labels, Overlay, Volume};
use super::paint::{self, LabelMode, Layer as PaintLayer, OverlayStyle};
use super::surface::{Hemisphere, Surface, SurfaceKind, blend_positions, vertex_normals};
use crate::io::{Content, Loaded};

mod cifti;
mod recording;
pub use recording::{RawTraces, summarize as summarize_recording};
mod stc;
pub use cifti::Connectome;

/// The surfaces of one hemisphere (all with the same vertex count).
#[derive(Clone, Debug, Default)]
pub struct HemiGeometry {
    pub surfaces: BTreeMap<SurfaceKind, Arc<Surface>>,
}

impl HemiGeometry {
    pub fn n_vertices(&self) -> usize {
        self.surfaces
            .values()
            .next()
            .map(|s| s.vertices.len())
            .unwrap_or(0)
    }
}

/// What a layer holds.
#[derive(Clone, Debug)]
pub enum LayerData {
    Overlay {
        per_hemi: BTreeMap<Hemisphere, Arc<Overlay>>,
        style: OverlayStyle,
        auto_style: bool,
        frame: usize,
    },
    Labels {
        per_hemi: BTreeMap<Hemisphere, Arc<Labels>>,
        mode: LabelMode,
        opacity: f32,
    },
}

/// One entry of the layer stack (drawn bottom to top).
#[derive(Clone, Debug)]
pub struct Layer {
    pub id: u64,
    pub name: String,
    pub visible: bool,
    pub units: Option<String>,
    pub sources: Vec<String>,
    pub data: LayerData,
    /// Drawn by the renderer from a value buffer it is handed (a running simulation's state,
    /// possibly on the GPU) on top of the painted layers, not painted into the vertex colours;
    /// its values here may lag what is drawn and serve the inspector and traces.
    pub live: bool,
}

impl Layer {
    pub fn n_frames(&self) -> usize {
        match &self.data {
            LayerData::Overlay { per_hemi, .. } => {
                per_hemi.values().map(|o| o.n_frames).max().unwrap_or(1)
            }
            LayerData::Labels { .. } => 1,
        }
    }
    pub fn is_overlay(&self) -> bool {
        matches!(self.data, LayerData::Overlay { .. })
    }
}

/// How the surfaces are shown.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViewSettings {
    pub surface: SurfaceKind,
    /// Morph from `surface` (0) to the inflated surface (1).
    pub inflate: f32,
    /// Layer whose values shade the underlay (FreeSurfer `curv` by default).
    pub underlay: Option<String>,
    pub curvature_contrast: f32,
    pub show: BTreeMap<Hemisphere, bool>,
}

impl ViewSettings {
    /// Show only `hemi` (None: both).
    pub fn show_only(&mut self, hemi: Option<Hemisphere>) {
        for h in [Hemisphere::Left, Hemisphere::Right] {
            self.show.insert(h, hemi.is_none_or(|x| x == h));
        }
    }
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            surface: SurfaceKind::Pial,
            inflate: 0.0,
            underlay: Some("curv".into()),
            curvature_contrast: 1.0,
            show: [(Hemisphere::Left, true), (Hemisphere::Right, true)].into(),
        }
    }
}

/// Positions after morphing, the surface giving the faces, and how strongly the hemispheres
/// should be pulled apart (0 for anatomical surfaces, 1 for inflated/sphere/flat).
type Morphed = (Vec<[f32; 3]>, Arc<Surface>, f32);

/// One overlay per hemisphere.
pub type PerHemiOverlays = BTreeMap<Hemisphere, Arc<Overlay>>;

/// A picked vertex.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selection {
    pub hemi: Hemisphere,
    pub vertex: usize,
}

/// Positions and normals to draw for one hemisphere.
pub struct DisplayMesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub faces: Arc<Surface>,
}

#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub hemis: BTreeMap<Hemisphere, HemiGeometry>,
    pub layers: Vec<Layer>,
    /// Volumes in world space, drawn on the slices bottom to top (the first is the underlay).
    pub volumes: Vec<VolumeLayer>,
    /// The 3D crosshair (RAS mm): where the slices cut, and what a slice click or a surface
    /// pick moves.
    pub crosshair: Option<[f64; 3]>,
    /// Bumped when what the slices show changes (volumes, their styles, the crosshair).
    pub volume_rev: u64,
    /// The vessel graph shown with the cortex (the default scene's is generated).
    pub vessels: Option<VesselSet>,
    pub view: ViewSettings,
    pub selection: Option<Selection>,
    /// Bumped when what is drawn changes shape (surfaces, morph, offsets).
    pub geometry_rev: u64,
    /// Bumped when colours change (layers, styles, frames, underlay).
    pub color_rev: u64,
    /// Each feature's own state (selectivity's dataset, captions and gallery, …), by type:
    /// the scene keeps and clones it without knowing what it is.
    pub features: super::features::FeatureSlots,
    /// Image-patch routing weights from a file (`crate::io::weights`, used by `crate::routing`), with their source.
    pub routing_weights: Option<(String, Arc<crate::io::weights::PatchWeights>)>,
    /// Region ↔ region routing weights and region centres from files, with their sources.
    pub region_matrix: Option<(String, Arc<crate::io::regions::RegionMatrix>)>,
    pub region_nodes: Option<(String, Arc<crate::io::regions::Nodes>)>,
    /// What the scene was built from, in order (files, embedded data, generators): replaying
    /// them rebuilds the scene (session files record them).
    pub inputs: Vec<Input>,
    /// The subject folder the surfaces came from (None: the embedded fsaverage5 or loose
    /// files): what was found, whether the sphere is registered, the scanner transform.
    pub subject: Option<std::sync::Arc<crate::brain::subject::SubjectInfo>>,
    /// A vessel segmentation (mask) shown as its wall; the planner avoids it when chosen.
    pub vessel_mask: Option<VesselMaskSet>,
    /// Connectomes (CIFTI `dconn`, …) kept on disk, read a row at a time (`scene::cifti`).
    pub connectomes: Vec<cifti::Connectome>,
    /// Streamlines (`.tck`, `.trk`, `.trx`) shown with the cortex (`brain::tracts`).
    pub tracts: Option<crate::brain::tracts::TractSet>,
    /// Meshes that are not a hemisphere (implant models, other tools' surfaces), in RAS mm.
    pub objects: Vec<crate::brain::objects::MeshObject>,
    /// Bumped when `objects` or their styles change.
    pub objects_rev: u64,
    /// Recordings' raw channels (by their layer's name), for the Traces panel.
    pub recordings: Vec<Arc<recording::RawTraces>>,
    next_id: u64,
}

/// What [`Scene::add_data`] did with a loaded file.
#[derive(Debug)]
pub enum Added {
    /// Now in the scene: a note for the user, and the per-vertex layer the data went to (a
    /// feature may build on a layer with frames, e.g. selectivity's responses).
    Data {
        note: Option<String>,
        layer: Option<String>,
    },
    /// Not the scene's data (captions, category names, pictures): handed back for a feature.
    NotSceneData(Box<Loaded>),
}

impl Added {
    fn note(n: String) -> Added {
        Added::Data {
            note: Some(n),
            layer: None,
        }
    }
}

/// Where loaded content came from, for the handlers of `Scene::add_content`.
struct Origin {
    /// the source as shown to the user
    what: String,
    /// the file's short name
    name: String,
    hemisphere: Option<Hemisphere>,
    surface_kind: Option<SurfaceKind>,
    /// compiled into the program (bundled maps start hidden)
    embedded: bool,
}

/// One thing a scene was built from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Input {
    /// A file, by the path it was opened with (sessions store it relative to themselves).
    File { path: String },
    /// Data compiled into the program (fsaverage5, the MNI152 template), by its name.
    Embedded { name: String },
    /// The generated vessel graph over the loaded hemispheres.
    GeneratedVessels { seed: u64 },
    /// The synthetic selectivity demo.
    SelectivityDemo,
    /// A subject folder (FreeSurfer or fMRIPrep), opened as a whole.
    Subject { path: String },
}

impl Input {
    /// The input a file or embedded item is.
    pub fn of(source: &crate::io::Source) -> Input {
        match source {
            crate::io::Source::File(p) => Input::File {
                path: p.to_string_lossy().into_owned(),
            },
            crate::io::Source::Embedded { name, .. } => Input::Embedded {
                name: name.to_string(),
            },
        }
    }
}

/// A volume on the slices: its data, how it is drawn (grey window/level is a `gray` style
/// whose min/max are the window's ends), which frame of a 4D volume.
#[derive(Clone, Debug)]
pub struct VolumeLayer {
    pub id: u64,
    pub name: String,
    pub source: String,
    pub volume: Arc<Volume>,
    pub visible: bool,
    pub style: OverlayStyle,
    pub frame: usize,
}

impl VolumeLayer {
    /// The value under a world point (trilinear; None outside).
    pub fn value_at(&self, p: [f64; 3]) -> Option<f64> {
        let v = &self.volume;
        let inv = super::vol2surf::world_to_voxel(v).ok()?;
        let f = self.frame.min(v.n_frames() - 1);
        let ijk = inv.transform_point3(glam::DVec3::from(p)).to_array();
        super::vol2surf::value_at(v.frame(f), ijk, super::vol2surf::Interp::Trilinear)
    }
}

/// Default style of a volume: the first one (the underlay) in grey between its 1st and 99th
/// percentiles of non-zero voxels; later ones as overlays (auto style, zero hidden).
fn volume_style(v: &Volume, underlay: bool) -> OverlayStyle {
    // percentiles from at most ~1M voxels of the first frame
    let first = v.frame_values(0);
    let stride = (first.len() / 1_000_000).max(1);
    let sample: Vec<f32> = first
        .iter()
        .step_by(stride)
        .copied()
        .filter(|x| x.is_finite() && *x != 0.0)
        .collect();
    if underlay {
        let (lo, hi) = if sample.is_empty() {
            (0.0, 1.0)
        } else {
            let mut s = sample;
            let k = |q: f64| ((s.len() - 1) as f64 * q).round() as usize;
            let (a, b) = (k(0.01), k(0.99));
            let lo = *s.select_nth_unstable_by(a, f32::total_cmp).1;
            let hi = *s.select_nth_unstable_by(b, f32::total_cmp).1;
            (lo.min(0.0), if hi > lo { hi } else { lo + 1.0 })
        };
        OverlayStyle {
            colormap: "gray".into(),
            min: lo,
            max: hi,
            threshold: 0.0,
            symmetric: false,
            opacity: 1.0,
        }
    } else {
        let mut st = OverlayStyle::auto(&sample);
        st.opacity = 0.8;
        st.threshold = if st.symmetric {
            0.1 * st.max.abs()
        } else {
            f32::MIN_POSITIVE
        };
        st
    }
}

/// A vessel graph in the scene.
#[derive(Clone, Debug)]
pub struct VesselSet {
    pub name: String,
    pub graph: Arc<crate::brain::vessels::VesselGraph>,
    /// bumped when the graph is replaced
    pub rev: u64,
}

/// A vessel mask in the scene: its distance field and wall.
#[derive(Clone, Debug)]
pub struct VesselMaskSet {
    pub name: String,
    pub field: Arc<crate::brain::vessel_mask::DistanceField>,
    pub surface: Arc<crate::brain::vessel_mask::IsoSurface>,
    /// bumped when the mask is replaced
    pub rev: u64,
}

/// Strip hemisphere markers and extensions: `lh.thickness` → `thickness`,
/// `sulc_left.gii.gz` → `sulc`, `sub-01_hemi-L_bold.func.gii` → `sub-01_bold.func`.
pub fn layer_name(file_name: &str) -> String {
    let mut n = file_name.to_string();
    for ext in [
        ".gz", ".gii", ".mgz", ".mgh", ".nii", ".annot", ".label", ".shape", ".label",
    ] {
        if let Some(s) = n.strip_suffix(ext) {
            n = s.to_string();
        }
    }
    for pre in ["lh.", "rh."] {
        if let Some(s) = n.strip_prefix(pre) {
            n = s.to_string();
        }
    }
    for mark in [
        "_left", "_right", ".left", ".right", "_hemi-L", "_hemi-R", "hemi-L_", "hemi-R_", "_lh",
        "_rh",
    ] {
        n = n.replace(mark, "");
    }
    if n.is_empty() {
        file_name.to_string()
    } else {
        n
    }
}

impl Scene {
    pub fn new() -> Scene {
        Scene::default()
    }

    fn bump_all(&mut self) {
        self.geometry_rev += 1;
        self.color_rev += 1;
    }

    /// Hemisphere for per-vertex data with `n` values.
    fn hemi_for(
        &self,
        given: Option<Hemisphere>,
        n: usize,
        what: &str,
    ) -> Result<(Hemisphere, Option<String>), String> {
        if let Some(h) = given {
            let have = self.hemis.get(&h).map(HemiGeometry::n_vertices);
            return match have {
                Some(m) if m != n => Err(format!(
                    "{what} has {n} values but the {h:?} hemisphere has {m} vertices"
                )),
                _ => Ok((h, None)),
            };
        }
        let matching: Vec<Hemisphere> = self
            .hemis
            .iter()
            .filter(|(_, g)| g.n_vertices() == n)
            .map(|(h, _)| *h)
            .collect();
        match matching.as_slice() {
            [h] => Ok((*h, None)),
            [] => Err(format!(
                "{what} has {n} values but no loaded hemisphere has that many vertices ({})",
                self.hemis
                    .iter()
                    .map(|(h, g)| format!("{h:?}: {}", g.n_vertices()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Ok((
                Hemisphere::Left,
                Some(format!(
                    "{what}: the name does not say which hemisphere; shown on the left (rename it lh.… or rh.…)"
                )),
            )),
        }
    }

    /// The scene's own part of opening a file (`Scene::add` in `crate::open` is the one
    /// entry): surfaces, per-vertex overlays and labels, volumes, vessel graphs and routing
    /// tables go into the scene; the input is recorded. Content the scene does not hold
    /// (captions, category names, pictures: features' data) is handed back untouched.
    /// On failure the scene is unchanged and the message says why.
    pub fn add_data(&mut self, loaded: Loaded) -> Result<Added, String> {
        let input = Input::of(&loaded.source);
        if matches!(
            loaded.content,
            Content::Captions(_) | Content::Categories(_) | Content::Picture(_)
        ) {
            return Ok(Added::NotSceneData(Box::new(loaded)));
        }
        let added = self.add_content(loaded)?;
        self.inputs.push(input);
        Ok(added)
    }

    /// The one dispatch over the scene's own kinds of content (features' kinds are handed
    /// back by `add_data` before this).
    fn add_content(&mut self, loaded: Loaded) -> Result<Added, String> {
        let path = match &loaded.source {
            crate::io::Source::File(p) => Some(p.clone()),
            _ => None,
        };
        let from = Origin {
            what: loaded.source.display(),
            name: loaded.name,
            hemisphere: loaded.hemisphere,
            surface_kind: loaded.surface_kind,
            embedded: matches!(loaded.source, crate::io::Source::Embedded { .. }),
        };
        match loaded.content {
            Content::Surface(s) => self.add_surface(s, &from),
            Content::Overlay(o) => self.add_overlay(o, &from),
            Content::Labels(lb) => self.add_labels(lb, &from),
            Content::Vessels(g) => self.add_vessel_graph(g, &from),
            Content::Volume(v) => self.add_volume_file(v, &from),
            Content::RegionMatrix(m) => Ok(Added::note(self.add_region_matrix(from.what, m))),
            Content::Nodes(n) => self.add_region_nodes(n, &from),
            Content::RoutingWeights(w) => self.add_routing_weights(w, &from),
            Content::Cifti(c) => self.add_cifti(*c, &from),
            Content::SourceEstimate(se) => self.add_source_estimate(*se, &from),
            Content::Tracts(t) => Ok(self.add_tracts(*t, &from)),
            Content::Mesh(m) => Ok(self.add_object(*m, &from)),
            Content::Recording(r) => self.add_recording(r, &from, path.as_deref()),
            Content::Captions(_) | Content::Categories(_) | Content::Picture(_) => {
                unreachable!("add_data hands features' content back before this")
            }
        }
    }

    /// A surface: to its hemisphere (by name, else the only one with as many vertices), under its
    /// kind; a vertex count that differs starts a new subject for that hemisphere.
    fn add_surface(&mut self, s: Surface, from: &Origin) -> Result<Added, String> {
        let what = from.what.clone();
        let kind = from.surface_kind.unwrap_or(SurfaceKind::Other);
        let n = s.vertices.len();
        let (hemi, note) = match from.hemisphere {
            Some(h) => (h, None),
            None => {
                let matching: Vec<Hemisphere> = self
                    .hemis
                    .iter()
                    .filter(|(_, g)| g.n_vertices() == n)
                    .map(|(h, _)| *h)
                    .collect();
                match matching.as_slice() {
                    [h] => (*h, None),
                    _ => (
                        Hemisphere::Left,
                        Some(format!("{what}: hemisphere unknown; shown as left")),
                    ),
                }
            }
        };
        let geo = self.hemis.entry(hemi).or_default();
        let mut note = note;
        if geo.n_vertices() != 0 && geo.n_vertices() != n {
            geo.surfaces.clear();
            note = Some(format!(
                "{what}: {n} vertices differ from the {hemi:?} hemisphere's surfaces; started a new subject for it"
            ));
        }
        geo.surfaces.insert(kind, Arc::new(s));
        if self
            .hemis
            .values()
            .all(|g| !g.surfaces.contains_key(&self.view.surface))
        {
            self.view.surface = kind;
        }
        self.bump_all();
        Ok(Added::Data { note, layer: None })
    }

    /// Per-vertex values: a layer (one per name over both hemispheres); a square table whose size
    /// is no hemisphere's vertex count is a region routing matrix.
    fn add_overlay(&mut self, o: Overlay, from: &Origin) -> Result<Added, String> {
        let what = from.what.clone();
        // a square table whose size is no hemisphere's vertex count: region routing
        let n = o.n_vertices;
        if n > 1
            && o.n_frames == n
            && from.hemisphere.is_none()
            && !self.hemis.values().any(|g| g.n_vertices() == n)
        {
            let mut data = vec![0f32; n * n];
            for f in 0..n {
                for v in 0..n {
                    data[v * n + f] = o.values[f * n + v];
                }
            }
            let m = crate::io::regions::RegionMatrix::new(&[n, n], data)
                .map_err(|e| format!("{what}: {e}"))?;
            return Ok(Added::note(self.add_region_matrix(what, m)));
        }
        let (hemi, note) = self.hemi_for(from.hemisphere, o.n_vertices, &what)?;
        let name = if from.embedded {
            from.name.clone()
        } else {
            layer_name(&from.name)
        };
        let units = o.units.clone();
        // NaN/±∞ are kept (drawn as no data) but said: a series with gaps is common,
        // a file full of NaN is a broken export
        let bad = o.values.iter().filter(|x| !x.is_finite()).count();
        let note = match (bad, note) {
            (0, note) => note,
            (b, note) => {
                let frames = if o.n_frames > 1 {
                    format!(" ({} frames)", o.n_frames)
                } else {
                    String::new()
                };
                let say = format!(
                    "{what}: {b} of {} values{frames} are NaN or infinite (drawn as no data)",
                    o.values.len()
                );
                Some(match note {
                    Some(n) => format!("{n}; {say}"),
                    None => say,
                })
            }
        };
        let o = Arc::new(o);
        match self
            .layers
            .iter_mut()
            .find(|l| l.name == name && l.is_overlay())
        {
            Some(layer) => {
                if let LayerData::Overlay {
                    per_hemi,
                    style,
                    auto_style,
                    ..
                } = &mut layer.data
                {
                    per_hemi.insert(hemi, o);
                    if *auto_style {
                        *style = style_for(&name, per_hemi);
                    }
                }
                if !from.embedded {
                    layer.visible = true; // the user asked for this data: show it
                }
                layer.sources.push(what);
            }
            None => {
                let per_hemi: BTreeMap<_, _> = [(hemi, o)].into();
                let style = style_for(&name, &per_hemi);
                self.next_id += 1;
                // Bundled maps start hidden (curv shades the underlay); user files show.
                let visible = !from.embedded;
                self.layers.push(Layer {
                    live: false,
                    id: self.next_id,
                    name: name.clone(),
                    visible,
                    units,
                    sources: vec![what],
                    data: LayerData::Overlay {
                        per_hemi,
                        style,
                        auto_style: true,
                        frame: 0,
                    },
                });
            }
        }
        self.color_rev += 1;
        Ok(Added::Data {
            note,
            layer: Some(name),
        })
    }

    /// Labels (an annotation or a sparse `.label`): a labels layer.
    fn add_labels(&mut self, lb: Labels, from: &Origin) -> Result<Added, String> {
        let what = from.what.clone();
        let n = match &lb.vertex_ids {
            None => lb.len(),
            Some(_) => {
                // sparse .label: any hemisphere whose surfaces hold every listed vertex
                let max = lb
                    .vertex_ids
                    .as_ref()
                    .unwrap()
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or(0) as usize;
                let h = from
                    .hemisphere
                    .or_else(|| self.hemis.keys().next().copied());
                let nv = h
                    .and_then(|h| self.hemis.get(&h))
                    .map(HemiGeometry::n_vertices)
                    .unwrap_or(0);
                if max >= nv {
                    return Err(format!(
                        "{what}: lists vertex {max} but the hemisphere has {nv} vertices"
                    ));
                }
                nv
            }
        };
        let (hemi, note) = self.hemi_for(from.hemisphere, n, &what)?;
        let name = layer_name(&from.name);
        let lb = Arc::new(lb);
        match self
            .layers
            .iter_mut()
            .find(|l| l.name == name && !l.is_overlay())
        {
            Some(layer) => {
                if let LayerData::Labels { per_hemi, .. } = &mut layer.data {
                    per_hemi.insert(hemi, lb);
                }
                layer.sources.push(what);
            }
            None => {
                self.next_id += 1;
                self.layers.push(Layer {
                    live: false,
                    id: self.next_id,
                    name,
                    visible: true,
                    units: None,
                    sources: vec![what],
                    data: LayerData::Labels {
                        per_hemi: [(hemi, lb)].into(),
                        mode: LabelMode::Filled,
                        opacity: 0.8,
                    },
                });
            }
        }
        self.color_rev += 1;
        Ok(Added::Data { note, layer: None })
    }

    /// A vessel graph: replaces the shown one.
    fn add_vessel_graph(
        &mut self,
        g: crate::io::vessels::VesselGraph,
        from: &Origin,
    ) -> Result<Added, String> {
        let what = from.what.clone();
        let st = g.stats();
        let rev = self.vessels.as_ref().map_or(1, |v| v.rev + 1);
        self.vessels = Some(VesselSet {
            name: from.name.clone(),
            graph: Arc::new(g),
            rev,
        });
        Ok(Added::note(format!(
            "{what}: vessel graph, {} nodes, {} segments, {} components, radius {:.3}–{:.3} mm",
            st.nodes, st.edges, st.components, st.radius_min, st.radius_max
        )))
    }

    /// A mesh that is not a hemisphere: added to the objects (a file opened again replaces its
    /// earlier copy).
    fn add_object(&mut self, m: crate::io::meshes::Mesh, from: &Origin) -> Added {
        let o = crate::brain::objects::MeshObject::new(
            from.name.clone(),
            Arc::new(m.surface),
            m.point_data,
            Default::default(),
        );
        let (lo, hi) = o.bounds();
        let note = format!(
            "{}: mesh, {} vertices, {} triangles, RAS {:.1}…{:.1}, {:.1}…{:.1}, {:.1}…{:.1} mm{}",
            from.what,
            o.surface.vertices.len(),
            o.surface.faces.len(),
            lo[0],
            hi[0],
            lo[1],
            hi[1],
            lo[2],
            hi[2],
            if o.values.is_empty() {
                String::new()
            } else {
                format!(
                    ", values: {}",
                    o.values
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        self.objects.retain(|x| x.name != o.name);
        self.objects.push(o);
        self.objects_rev += 1;
        Added::note(note)
    }

    /// Streamlines: replace the shown tractogram (one at a time, as the vessel graph).
    fn add_tracts(&mut self, t: crate::io::tracts::Tractogram, from: &Origin) -> Added {
        let st = t.stats();
        let rev = self.tracts.as_ref().map_or(1, |v| v.rev + 1);
        let values = crate::brain::tracts::value_names(&t);
        self.tracts = Some(crate::brain::tracts::TractSet {
            name: from.name.clone(),
            tracts: Arc::new(t),
            stats: st.clone(),
            rev,
        });
        Added::note(format!(
            "{}: {} streamlines, {} points, length {:.1}–{:.1} mm (median {:.1}){}",
            from.what,
            st.streamlines,
            st.points,
            st.length_mm_min,
            st.length_mm_max,
            st.length_mm_median,
            if values.is_empty() {
                String::new()
            } else {
                format!(", values: {}", values.join(", "))
            }
        ))
    }

    /// A volume: onto the slices; a series is also sampled onto the surface.
    fn add_volume_file(&mut self, v: Volume, from: &Origin) -> Result<Added, String> {
        let what = from.what.clone();
        super::vol2surf::world_to_voxel(&v).map_err(|e| format!("{what}: {e}"))?;
        // a plain volume goes on the slices (the panel opens by itself); a series is
        // also sampled onto the surface, which the note says
        let note = if v.n_frames() > 1 && !self.hemis.is_empty() {
            Some(self.add_sampled_series(&from.name, &what, &v)?)
        } else {
            None
        };
        let series = v.n_frames() > 1;
        self.add_volume(&from.name, &what, v);
        if series && note.is_some() {
            let name = format!("{} (sampled)", layer_name(&from.name));
            return Ok(Added::Data {
                note,
                layer: Some(name),
            });
        }
        Ok(Added::Data { note, layer: None })
    }

    /// Region centres (the Routing panel's arcs).
    fn add_region_nodes(
        &mut self,
        n: crate::io::regions::Nodes,
        from: &Origin,
    ) -> Result<Added, String> {
        let what = from.what.clone();
        let note = format!(
            "{what}: {} region centres (Routing panel: region arcs)",
            n.names.len()
        );
        self.region_nodes = Some((what, Arc::new(n)));
        Ok(Added::note(note))
    }

    /// Image-patch routing weights (the Routing panel).
    fn add_routing_weights(
        &mut self,
        w: crate::io::weights::PatchWeights,
        from: &Origin,
    ) -> Result<Added, String> {
        let what = from.what.clone();
        let note = format!(
            "{what}: routing weights, {} image(s) × {} queries over a {}×{} grid (Routing panel; choose a query map there)",
            w.n_images(),
            w.n_queries(),
            w.height(),
            w.width()
        );
        self.routing_weights = Some((what, Arc::new(w)));
        Ok(Added::note(note))
    }

    fn add_region_matrix(&mut self, what: String, m: crate::io::regions::RegionMatrix) -> String {
        let note = format!(
            "{what}: region routing, {} regions × {} frame(s) (Routing panel: region arcs)",
            m.n(),
            m.frames()
        );
        self.region_matrix = Some((what, Arc::new(m)));
        note
    }

    /// Put a volume on the slices (on top); the crosshair starts at its centre.
    pub fn add_volume(&mut self, name: &str, source: &str, v: Volume) -> u64 {
        // the bundled template is always the underlay, whenever it is added
        let template = name == super::mni152::NAME;
        if template && self.volumes.first().is_some_and(|u| u.name != name) {
            let below = self.volumes[0].volume.clone();
            self.volumes[0].style = volume_style(&below, false);
        }
        let style = volume_style(&v, self.volumes.is_empty() || template);
        if self.crosshair.is_none() {
            let (lo, hi) = super::slices::volume_bounds(&v);
            self.crosshair = Some(std::array::from_fn(|a| (lo[a] + hi[a]) / 2.0));
        }
        self.next_id += 1;
        let layer = VolumeLayer {
            id: self.next_id,
            name: name.to_string(),
            source: source.to_string(),
            volume: Arc::new(v),
            visible: true,
            style,
            frame: 0,
        };
        if template {
            self.volumes.insert(0, layer);
        } else {
            self.volumes.push(layer);
        }
        self.volume_rev += 1;
        self.next_id
    }

    pub fn remove_volume(&mut self, id: u64) {
        self.volumes.retain(|v| v.id != id);
        self.volume_rev += 1;
    }

    /// The anatomical surfaces of a hemisphere that live in volume space (pial and white; any
    /// other kind only when neither is loaded).
    pub fn anatomical_surfaces(&self, hemi: Hemisphere) -> Vec<(SurfaceKind, &Arc<Surface>)> {
        let Some(g) = self.hemis.get(&hemi) else {
            return Vec::new();
        };
        let a: Vec<_> = [SurfaceKind::Pial, SurfaceKind::White]
            .into_iter()
            .filter_map(|k| g.surfaces.get(&k).map(|s| (k, s)))
            .collect();
        if a.is_empty() {
            g.surfaces.iter().take(1).map(|(k, s)| (*k, s)).collect()
        } else {
            a
        }
    }

    /// Where a selected vertex is in world space: on the pial surface (else white, else the
    /// first loaded) — inflated or flat views show it elsewhere, the volume does not.
    pub fn vertex_world(&self, sel: Selection) -> Option<[f64; 3]> {
        let (_, s) = self.anatomical_surfaces(sel.hemi).into_iter().next()?;
        s.vertices.get(sel.vertex).map(|p| p.map(f64::from))
    }

    /// The vertex nearest a world point on the anatomical surfaces of the shown hemispheres,
    /// and its distance (mm).
    pub fn nearest_vertex(&self, p: [f64; 3]) -> Option<(Selection, f64)> {
        let q = p.map(|x| x as f32);
        let mut best: Option<(Selection, f64)> = None;
        for h in self.hemis.keys() {
            if !self.view.show.get(h).copied().unwrap_or(true) {
                continue;
            }
            for (_, s) in self.anatomical_surfaces(*h) {
                if let Some((i, d)) = super::surface::nearest_vertex(&s.vertices, q)
                    && best.is_none_or(|b| (d as f64) < b.1)
                {
                    best = Some((
                        Selection {
                            hemi: *h,
                            vertex: i,
                        },
                        d as f64,
                    ));
                }
            }
        }
        best
    }

    /// A click on a slice: the crosshair goes there and the nearest vertex is selected.
    pub fn click_slice(&mut self, p: [f64; 3]) -> Option<(Selection, f64)> {
        self.crosshair = Some(p);
        self.volume_rev += 1;
        let near = self.nearest_vertex(p);
        if let Some((sel, _)) = near {
            self.selection = Some(sel);
        }
        near
    }

    /// A vertex picked on the surface: the crosshair (and so the slices) follow it.
    pub fn follow_selection(&mut self) {
        if let Some(p) = self.selection.and_then(|s| self.vertex_world(s)) {
            self.crosshair = Some(p);
            self.volume_rev += 1;
        }
    }

    pub fn remove_layer(&mut self, id: u64) {
        self.layers.retain(|l| l.id != id);
        self.color_rev += 1;
        let names: Vec<&str> = self.layers.iter().map(|l| l.name.as_str()).collect();
        self.recordings
            .retain(|r| names.contains(&r.layer.as_str()));
    }

    /// The raw channels of the recording a layer shows, if it shows one.
    pub fn raw_traces(&self, layer_id: u64) -> Option<&Arc<recording::RawTraces>> {
        let name = &self.layers.iter().find(|l| l.id == layer_id)?.name;
        self.recordings.iter().find(|r| &r.layer == name)
    }

    pub fn layer_mut(&mut self, id: u64) -> Option<&mut Layer> {
        self.color_rev += 1;
        self.layers.iter_mut().find(|l| l.id == id)
    }

    /// A 4D volume (a time series) sampled onto every hemisphere as a series layer: trilinear,
    /// averaged over the ribbon (projfrac-avg 0 1 0.1) where white and pial surfaces are
    /// loaded, at the vertex of the anatomical surface otherwise (`brain::vol2surf`).
    fn add_sampled_series(&mut self, name: &str, what: &str, v: &Volume) -> Result<String, String> {
        let (per_hemi, how) = self.sample_volume(what, v)?;
        let style = auto_style_for(&per_hemi);
        self.next_id += 1;
        self.layers.push(Layer {
            live: false,
            id: self.next_id,
            name: format!("{} (sampled)", layer_name(name)),
            visible: true,
            units: None,
            sources: vec![what.to_string()],
            data: LayerData::Overlay {
                per_hemi,
                style,
                auto_style: true,
                frame: 0,
            },
        });
        self.color_rev += 1;
        Ok(format!(
            "{what}: {} frames sampled onto the surface ({}; trilinear, mean over the ribbon; outside the volume: no data)",
            v.n_frames(),
            how.join(", ")
        ))
    }

    /// The white and pial surfaces a volume is sampled between on one hemisphere (pial None:
    /// at the vertices of the one surface there is).
    pub fn ribbon_surfaces(&self, h: Hemisphere) -> Option<(&Surface, Option<&Surface>)> {
        let g = self.hemis.get(&h)?;
        Some(
            match (
                g.surfaces.get(&SurfaceKind::White),
                g.surfaces.get(&SurfaceKind::Pial),
            ) {
                (Some(w), Some(p)) => (&**w, Some(&**p)),
                (_, Some(p)) => (&**p, None),
                (Some(w), None) => (&**w, None),
                _ => (&**g.surfaces.values().next()?, None),
            },
        )
    }

    /// Every frame of a volume sampled onto each hemisphere it overlaps (trilinear, mean over
    /// the ribbon), with a note per hemisphere on how.
    pub fn sample_volume(
        &self,
        what: &str,
        v: &Volume,
    ) -> Result<(PerHemiOverlays, Vec<String>), String> {
        use super::vol2surf::{Interp, Projection, sample};
        let mut per_hemi = BTreeMap::new();
        let mut how = Vec::new();
        for h in self.hemis.keys() {
            let Some((white, pial)) = self.ribbon_surfaces(*h) else {
                continue;
            };
            let o = sample(
                v,
                &white.vertices,
                pial.map(|p| p.vertices.as_slice()),
                Projection::RIBBON_AVG,
                Interp::Trilinear,
            )
            .map_err(|e| format!("{what}: {e}"))?;
            if o.values.iter().all(|x| x.is_nan()) {
                continue;
            }
            how.push(format!(
                "{h:?} {}",
                if pial.is_some() {
                    "along the white–pial ribbon"
                } else {
                    "at the vertices"
                }
            ));
            per_hemi.insert(*h, Arc::new(o));
        }
        if per_hemi.is_empty() {
            return Err(format!(
                "{what}: a {}-frame volume that does not overlap the loaded surfaces (check that both are in the same space)",
                v.n_frames()
            ));
        }
        Ok((per_hemi, how))
    }

    /// Put a layer on top of the stack, or replace the data of the layer with this name
    /// (keeping its place and visibility). Returns its id.
    pub fn put_layer(
        &mut self,
        name: &str,
        sources: Vec<String>,
        data: LayerData,
        visible: bool,
    ) -> u64 {
        self.color_rev += 1;
        if let Some(l) = self.layers.iter_mut().find(|l| l.name == name) {
            l.data = data;
            l.sources = sources;
            return l.id;
        }
        self.next_id += 1;
        self.layers.push(Layer {
            live: false,
            id: self.next_id,
            name: name.to_string(),
            visible,
            units: None,
            sources,
            data,
        });
        self.next_id
    }

    /// Remove the layers with these names.
    pub fn remove_layers_named(&mut self, names: &[&str]) {
        let before = self.layers.len();
        self.layers.retain(|l| !names.contains(&l.name.as_str()));
        if self.layers.len() != before {
            self.color_rev += 1;
        }
    }

    /// Show frame `frame` of an overlay layer (clamped to its frames); false if no such layer.
    pub fn set_frame(&mut self, id: u64, frame: usize) -> bool {
        let Some(layer) = self.layers.iter_mut().find(|l| l.id == id) else {
            return false;
        };
        let n = layer.n_frames();
        if let LayerData::Overlay { frame: f, .. } = &mut layer.data {
            let want = frame.min(n.saturating_sub(1));
            if *f != want {
                *f = want;
                self.color_rev += 1;
            }
            return true;
        }
        false
    }

    /// One vertex's values over every frame of an overlay layer, and the layer's TR.
    pub fn vertex_series(
        &self,
        id: u64,
        h: Hemisphere,
        vertex: usize,
    ) -> Option<(Vec<f32>, Option<f32>)> {
        let layer = self.layers.iter().find(|l| l.id == id)?;
        let LayerData::Overlay { per_hemi, .. } = &layer.data else {
            return None;
        };
        let o = per_hemi.get(&h)?;
        (vertex < o.n_vertices).then(|| {
            let s = (0..o.n_frames).map(|f| o.frame(f)[vertex]).collect();
            (s, o.tr_seconds)
        })
    }

    /// Frame 0 of an overlay layer on one hemisphere (e.g. `sulc`).
    pub fn overlay_frame(&self, name: &str, h: Hemisphere) -> Option<&[f32]> {
        self.layer_by_name(name).and_then(|l| match &l.data {
            LayerData::Overlay { per_hemi, .. } => per_hemi.get(&h).map(|o| o.frame(0)),
            _ => None,
        })
    }

    /// Mark the scene as a subject's (after its files were added): the subject replaces its
    /// files among the inputs, so a session reopens the folder as a whole.
    pub fn set_subject(&mut self, info: crate::brain::subject::SubjectInfo) {
        let dir = info.path.clone();
        self.inputs.retain(|i| match i {
            Input::File { path } => !std::path::Path::new(path).starts_with(&dir),
            _ => true,
        });
        self.inputs.push(Input::Subject {
            path: dir.to_string_lossy().into_owned(),
        });
        self.subject = Some(Arc::new(info));
        // A subject's retinotopy shows as its visual areas, tinted only inside them over the
        // curvature; its angle, eccentricity and pRF-size maps start hidden (one click in the
        // Layers panel). Drawn all at once they cover the whole cortex with the top one.
        use super::retino_names::{Role, role_of_layer};
        for l in &mut self.layers {
            if let Some((role, _)) = role_of_layer(&l.name)
                && l.is_overlay()
            {
                l.visible = role == Role::Area;
            }
        }
        self.color_rev += 1;
    }

    /// Show generated vessels over every loaded hemisphere (the default scene's).
    pub fn add_generated_vessels(&mut self, seed: u64) {
        let which: Vec<Hemisphere> = self.hemis.keys().copied().collect();
        let g = crate::brain::vessel_gen::for_scene(self, &which, seed);
        self.inputs.push(Input::GeneratedVessels { seed });
        if g.edges.is_empty() {
            return;
        }
        let rev = self.vessels.as_ref().map_or(1, |v| v.rev + 1);
        self.vessels = Some(VesselSet {
            name: format!("generated vessels (seed {seed})"),
            graph: Arc::new(g),
            rev,
        });
    }

    pub fn layer_by_name(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Surface kinds available for every shown hemisphere.
    pub fn available_kinds(&self) -> Vec<SurfaceKind> {
        let mut out: Vec<SurfaceKind> = Vec::new();
        for g in self.hemis.values() {
            for k in g.surfaces.keys() {
                if !out.contains(k) {
                    out.push(*k);
                }
            }
        }
        out
    }

    pub fn set_surface(&mut self, kind: SurfaceKind) {
        if self.view.surface != kind {
            self.view.surface = kind;
            self.geometry_rev += 1;
        }
    }

    pub fn set_inflate(&mut self, t: f32) {
        let t = t.clamp(0.0, 1.0);
        if self.view.inflate != t {
            self.view.inflate = t;
            self.geometry_rev += 1;
        }
    }

    /// The surface drawn for `hemi` before morphing: the chosen kind, else pial, white, any.
    pub fn base_surface(&self, hemi: Hemisphere) -> Option<(SurfaceKind, &Arc<Surface>)> {
        let g = self.hemis.get(&hemi)?;
        [self.view.surface, SurfaceKind::Pial, SurfaceKind::White]
            .iter()
            .find_map(|k| g.surfaces.get(k).map(|s| (*k, s)))
            .or_else(|| g.surfaces.iter().next().map(|(k, s)| (*k, s)))
    }

    /// Unshifted positions: the base surface morphed towards the inflated one.
    fn morphed(&self, hemi: Hemisphere) -> Option<Morphed> {
        let (kind, base) = self.base_surface(hemi)?;
        let g = &self.hemis[&hemi];
        let t = self.view.inflate;
        let separated = |k: SurfaceKind| {
            !matches!(
                k,
                SurfaceKind::Pial | SurfaceKind::White | SurfaceKind::Other
            )
        };
        match g.surfaces.get(&SurfaceKind::Inflated) {
            Some(infl) if t > 0.0 && kind != SurfaceKind::Inflated => {
                let mut out = Vec::new();
                blend_positions(&base.vertices, &infl.vertices, t, &mut out);
                let sep = if separated(kind) { 1.0 } else { t };
                Some((out, base.clone(), sep))
            }
            _ => Some((
                base.vertices.clone(),
                base.clone(),
                if separated(kind) { 1.0 } else { 0.0 },
            )),
        }
    }

    /// x-shift per hemisphere so side-by-side surfaces do not overlap.
    fn offsets(&self, morphed: &BTreeMap<Hemisphere, Morphed>) -> BTreeMap<Hemisphere, f32> {
        let mut out: BTreeMap<Hemisphere, f32> = morphed.keys().map(|h| (*h, 0.0)).collect();
        let (Some(l), Some(r)) = (
            morphed.get(&Hemisphere::Left),
            morphed.get(&Hemisphere::Right),
        ) else {
            return out;
        };
        let xr = |v: &[[f32; 3]]| {
            v.iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| {
                    (lo.min(p[0]), hi.max(p[0]))
                })
        };
        let (_, l_max) = xr(&l.0);
        let (r_min, _) = xr(&r.0);
        let gap = 4.0;
        let overlap = l_max - r_min + gap;
        let weight = l.2.max(r.2);
        if overlap > 0.0 && weight > 0.0 {
            out.insert(Hemisphere::Left, -overlap / 2.0 * weight);
            out.insert(Hemisphere::Right, overlap / 2.0 * weight);
        }
        out
    }

    /// What to draw for every hemisphere that is shown.
    pub fn display_meshes(&self) -> BTreeMap<Hemisphere, DisplayMesh> {
        let morphed: BTreeMap<_, _> = self
            .hemis
            .keys()
            .filter_map(|h| self.morphed(*h).map(|m| (*h, m)))
            .collect();
        let offsets = self.offsets(&morphed);
        morphed
            .into_iter()
            .map(|(h, (mut pos, surf, _))| {
                let dx = offsets[&h];
                if dx != 0.0 {
                    for p in &mut pos {
                        p[0] += dx;
                    }
                }
                let normals = vertex_normals(&pos, &surf.faces);
                (
                    h,
                    DisplayMesh {
                        positions: pos,
                        normals,
                        faces: surf,
                    },
                )
            })
            .collect()
    }

    /// Per-vertex colours of one hemisphere.
    pub fn colors(&self, hemi: Hemisphere) -> Vec<[f32; 4]> {
        let n = self
            .hemis
            .get(&hemi)
            .map(HemiGeometry::n_vertices)
            .unwrap_or(0);
        let underlay = self.view.underlay.as_ref().and_then(|name| {
            self.layers
                .iter()
                .find(|l| &l.name == name)
                .and_then(|l| match &l.data {
                    LayerData::Overlay { per_hemi, .. } => per_hemi
                        .get(&hemi)
                        .filter(|o| o.n_vertices == n)
                        .map(|o| o.frame(0)),
                    _ => None,
                })
        });
        // Owned per-layer inputs in stack order, then borrowed views of them for `paint`.
        enum Prepared<'a> {
            Overlay(&'a [f32], &'a OverlayStyle, Colormap),
            Labels(Vec<i32>, Vec<[u8; 4]>, Vec<bool>, LabelMode, f32),
        }
        let faces = self
            .hemis
            .get(&hemi)
            .and_then(|g| g.surfaces.values().next())
            .map(|s| &s.faces[..])
            .unwrap_or(&[]);
        let prepared: Vec<Prepared> = self
            .layers
            .iter()
            .filter(|l| l.visible && !l.live)
            .filter_map(|l| match &l.data {
                LayerData::Overlay {
                    per_hemi,
                    style,
                    frame,
                    ..
                } => {
                    let o = per_hemi.get(&hemi).filter(|o| o.n_vertices == n)?;
                    let cmap = Colormap::by_name(&style.colormap)
                        .or_else(|| Colormap::by_name("viridis"))?;
                    Some(Prepared::Overlay(
                        o.frame((*frame).min(o.n_frames - 1)),
                        style,
                        cmap,
                    ))
                }
                LayerData::Labels {
                    per_hemi,
                    mode,
                    opacity,
                } => {
                    let lb = per_hemi.get(&hemi)?;
                    let region_of = lb.dense(n).ok()?;
                    let rgba = lb
                        .regions
                        .iter()
                        .map(|r| [r.rgba[0], r.rgba[1], r.rgba[2], 255])
                        .collect();
                    let boundary = paint::region_boundary(faces, &region_of);
                    Some(Prepared::Labels(region_of, rgba, boundary, *mode, *opacity))
                }
            })
            .collect();
        let layers: Vec<PaintLayer> = prepared
            .iter()
            .map(|p| match p {
                Prepared::Overlay(values, style, cmap) => PaintLayer::Overlay {
                    values,
                    style,
                    cmap,
                },
                Prepared::Labels(region_of, rgba, boundary, mode, opacity) => PaintLayer::Labels {
                    region_of,
                    rgba,
                    mode: *mode,
                    opacity: *opacity,
                    boundary,
                },
            })
            .collect();
        paint::paint(n, underlay, self.view.curvature_contrast, &layers)
    }

    /// The overlay layer whose scale the colour bar shows: the top-most visible one.
    pub fn colorbar_layer(&self) -> Option<&Layer> {
        self.layers
            .iter()
            .rev()
            .find(|l| l.visible && l.is_overlay())
    }

    /// Everything known at a vertex: (layer name, value text) for each layer.
    pub fn values_at(&self, sel: Selection) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for l in &self.layers {
            match &l.data {
                LayerData::Overlay {
                    per_hemi, frame, ..
                } => {
                    if let Some(o) = per_hemi.get(&sel.hemi)
                        && sel.vertex < o.n_vertices
                    {
                        let f = (*frame).min(o.n_frames - 1);
                        let v = o.values[f * o.n_vertices + sel.vertex];
                        let unit = l
                            .units
                            .as_deref()
                            .map(|u| format!(" {u}"))
                            .unwrap_or_default();
                        out.push((l.name.clone(), format!("{v:.4}{unit}")));
                    }
                }
                LayerData::Labels { per_hemi, .. } => {
                    if let Some(lb) = per_hemi.get(&sel.hemi) {
                        let n = self
                            .hemis
                            .get(&sel.hemi)
                            .map(HemiGeometry::n_vertices)
                            .unwrap_or(0);
                        let name = lb
                            .dense(n)
                            .ok()
                            .and_then(|d| d.get(sel.vertex).copied())
                            .and_then(|r| lb.regions.get(r as usize))
                            .map(|r| r.name.clone())
                            .unwrap_or_else(|| "—".into());
                        out.push((l.name.clone(), name));
                    }
                }
            }
        }
        out
    }

    /// Create or update a computed per-vertex layer (e.g. simulated activity, labelled as
    /// such by its name): one frame per hemisphere. A new layer gets `style` and is shown; an
    /// existing one keeps the style the user gave it.
    pub fn set_computed_layer(
        &mut self,
        name: &str,
        units: Option<&str>,
        per_hemi: Vec<(Hemisphere, Vec<f32>)>,
        style: OverlayStyle,
    ) {
        self.put_computed(name, units, per_hemi, style, false);
    }

    /// The same for a live layer ([`Layer::live`]): new values do not repaint the other
    /// layers (`color_rev` changes only when the layer is created). The range of `style`
    /// (min, max, threshold) replaces the layer's each time — a live layer's colour range
    /// follows what it shows (`activity::show::follow_range`) — until the user sets a style
    /// by hand in the Layers panel (`auto_style` false), which then stays.
    pub fn set_live_layer(
        &mut self,
        name: &str,
        units: Option<&str>,
        per_hemi: Vec<(Hemisphere, Vec<f32>)>,
        style: OverlayStyle,
    ) {
        self.put_computed(name, units, per_hemi, style, true);
    }

    /// The live layer drawn from the value buffer (the last one if several claim it).
    pub fn live_layer(&self) -> Option<&Layer> {
        self.layers.iter().rev().find(|l| l.live)
    }

    fn put_computed(
        &mut self,
        name: &str,
        units: Option<&str>,
        per_hemi: Vec<(Hemisphere, Vec<f32>)>,
        style: OverlayStyle,
        live: bool,
    ) {
        let per_hemi: BTreeMap<Hemisphere, Arc<Overlay>> = per_hemi
            .into_iter()
            .map(|(h, v)| {
                let mut o = Overlay::new(v.len(), 1, v);
                o.units = units.map(str::to_string);
                (h, Arc::new(o))
            })
            .collect();
        match self
            .layers
            .iter_mut()
            .find(|l| l.name == name && l.is_overlay())
        {
            Some(layer) => {
                if let LayerData::Overlay { per_hemi: p, .. } = &mut layer.data {
                    *p = per_hemi;
                }
                if live && layer.live {
                    if let LayerData::Overlay {
                        style: kept,
                        auto_style: true,
                        ..
                    } = &mut layer.data
                    {
                        (kept.min, kept.max, kept.threshold) =
                            (style.min, style.max, style.threshold);
                    }
                    return;
                }
                layer.live = live;
            }
            None => {
                self.next_id += 1;
                self.layers.push(Layer {
                    live,
                    id: self.next_id,
                    name: name.to_string(),
                    visible: true,
                    units: units.map(str::to_string),
                    sources: vec!["computed".into()],
                    data: LayerData::Overlay {
                        per_hemi,
                        style,
                        // a live layer's range follows its values (see set_live_layer)
                        auto_style: live,
                        frame: 0,
                    },
                });
            }
        }
        self.color_rev += 1;
    }

    /// Coordinates of the selected vertex on each loaded surface of its hemisphere.
    pub fn coords_at(&self, sel: Selection) -> Vec<(SurfaceKind, [f32; 3])> {
        self.hemis
            .get(&sel.hemi)
            .map(|g| {
                g.surfaces
                    .iter()
                    .filter_map(|(k, s)| s.vertices.get(sel.vertex).map(|p| (*k, *p)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The starting style of an overlay layer: a map of visual areas (`varea`, `benson14_varea`,
/// …: 0 outside the mapped areas, 1 = V1, 2 = V2, …) is drawn only where there is an area,
/// each area its own colour of `turbo`, translucent over the curvature; any other layer gets
/// [`OverlayStyle::auto`].
fn style_for(name: &str, per_hemi: &BTreeMap<Hemisphere, Arc<Overlay>>) -> OverlayStyle {
    use super::retino_names::{Role, role_of_layer};
    if matches!(role_of_layer(name), Some((Role::Area, _))) {
        let top = per_hemi
            .values()
            .flat_map(|o| o.frame(0).iter().copied())
            .filter(|v| v.is_finite())
            .fold(1.0f32, f32::max)
            .min(25.0);
        return OverlayStyle {
            colormap: "turbo".into(),
            min: 0.5,
            max: top.round() + 0.5,
            threshold: 0.5,
            symmetric: false,
            opacity: 0.45,
        };
    }
    auto_style_for(per_hemi)
}

fn auto_style_for(per_hemi: &BTreeMap<Hemisphere, Arc<Overlay>>) -> OverlayStyle {
    let all: Vec<f32> = per_hemi
        .values()
        .flat_map(|o| o.frame(0).iter().copied())
        .collect();
    OverlayStyle::auto(&all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Format, Source};

    fn loaded(name: &str, hemi: Option<Hemisphere>, content: Content) -> Loaded {
        Loaded {
            source: Source::File(name.into()),
            format: Format::Gifti,
            content,
            hemisphere: hemi,
            surface_kind: Some(SurfaceKind::guess(name)),
            name: name.into(),
        }
    }

    fn tri(dx: f32) -> Surface {
        Surface::new(
            vec![[dx, 0., 0.], [dx + 1., 0., 0.], [dx, 1., 0.]],
            vec![[0, 1, 2]],
        )
        .unwrap()
    }

    #[test]
    fn live_layers_are_drawn_by_the_renderer_not_painted() {
        let mut s = Scene::new();
        s.add(loaded(
            "lh.pial",
            Some(Hemisphere::Left),
            Content::Surface(tri(0.)),
        ))
        .unwrap();
        let before = s.colors(Hemisphere::Left);
        let style = OverlayStyle::auto(&[0.0, 1.0]);
        let rev = s.color_rev;
        s.set_live_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![0.0, 0.5, 1.0])],
            style.clone(),
        );
        assert!(s.color_rev > rev, "a new layer is announced");
        assert_eq!(s.colors(Hemisphere::Left), before, "not painted");
        assert_eq!(s.live_layer().map(|l| l.name.as_str()), Some("sim"));
        // new values: no repaint of the painted layers, but the values are there
        let rev = s.color_rev;
        s.set_live_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![1.0, 1.0, 1.0])],
            style.clone(),
        );
        assert_eq!(s.color_rev, rev);
        // the range follows the caller's (the activity's) ...
        let moved = |min: f32| OverlayStyle {
            min,
            max: 0.9,
            threshold: min + 0.01,
            ..style.clone()
        };
        let range = |s: &Scene| match s.live_layer().map(|l| &l.data) {
            Some(LayerData::Overlay { style: got, .. }) => (got.min, got.max, got.threshold),
            _ => panic!("the live layer is an overlay"),
        };
        s.set_live_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![1.0; 3])],
            moved(0.4),
        );
        assert_eq!(range(&s), (0.4, 0.9, 0.41));
        // ... until the user sets a style by hand (the Layers panel clears auto_style)
        if let Some(LayerData::Overlay { auto_style, .. }) =
            s.layers.last_mut().map(|l| &mut l.data)
        {
            *auto_style = false;
        }
        s.set_live_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![1.0; 3])],
            moved(0.2),
        );
        assert_eq!(range(&s), (0.4, 0.9, 0.41));
        let sel = Selection {
            hemi: Hemisphere::Left,
            vertex: 0,
        };
        assert_eq!(s.values_at(sel)[0].1, "1.0000");
        // the same values as a painted layer do change the colours
        s.set_computed_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![1.0, 1.0, 1.0])],
            style,
        );
        assert!(s.color_rev > rev);
        assert!(s.live_layer().is_none());
        assert_ne!(s.colors(Hemisphere::Left), before);
    }

    #[test]
    fn computed_layers_update_in_place_and_keep_the_users_style() {
        let mut s = Scene::new();
        s.add(loaded(
            "lh.pial",
            Some(Hemisphere::Left),
            Content::Surface(tri(0.)),
        ))
        .unwrap();
        let style = OverlayStyle::auto(&[0.0, 1.0]);
        let rev = s.color_rev;
        s.set_computed_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![0.0, 0.5, 1.0])],
            style,
        );
        assert!(s.color_rev > rev);
        let id = s.layer_by_name("sim").unwrap().id;
        // the user restyles it; the next update keeps that style and the same layer
        if let LayerData::Overlay { style, .. } = &mut s.layers[0].data {
            style.max = 9.0;
        }
        let style = OverlayStyle::auto(&[0.0, 1.0]);
        s.set_computed_layer(
            "sim",
            None,
            vec![(Hemisphere::Left, vec![1.0, 1.0, 1.0])],
            style,
        );
        assert_eq!(s.layers.len(), 1);
        let l = s.layer_by_name("sim").unwrap();
        assert_eq!(l.id, id);
        let LayerData::Overlay {
            style, per_hemi, ..
        } = &l.data
        else {
            panic!()
        };
        assert_eq!(style.max, 9.0);
        assert_eq!(per_hemi[&Hemisphere::Left].values, vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn a_4d_volume_becomes_a_series_sampled_over_the_ribbon() {
        let mut s = Scene::new();
        let lift = |z: f32| {
            Surface::new(vec![[0., 0., z], [1., 0., z], [0., 1., z]], vec![[0, 1, 2]]).unwrap()
        };
        for (name, z) in [("lh.white", 0.0), ("lh.pial", 1.0)] {
            s.add(loaded(
                name,
                Some(Hemisphere::Left),
                Content::Surface(lift(z)),
            ))
            .unwrap();
        }
        // identity affine, value t + x + 10 z
        let (n, nt) = (4usize, 3usize);
        let mut data = Vec::new();
        for t in 0..nt {
            for z in 0..n {
                for _y in 0..n {
                    for x in 0..n {
                        data.push((t + x + 10 * z) as f32);
                    }
                }
            }
        }
        let mut affine = [[0.0; 4]; 4];
        for (i, row) in affine.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let vol = Volume {
            shape: vec![n, n, n, nt],
            voxel_size_mm: [1.0; 3],
            affine,
            dtype: "float32".into(),
            data: Volume::array(&[n, n, n, nt], data).unwrap(),
            tr_seconds: Some(1.5),
        };
        let note = s
            .add(loaded("bold.nii.gz", None, Content::Volume(vol.clone())))
            .unwrap()
            .unwrap();
        assert!(note.contains("3 frames sampled"), "{note}");
        let l = s
            .layers
            .iter()
            .find(|l| l.n_frames() == 3)
            .expect("a series layer");
        let id = l.id;
        // vertex 1 = (1, 0, 0)…(1, 0, 1): mean over the ribbon is at z = 0.5
        let (series, tr) = s.vertex_series(id, Hemisphere::Left, 1).unwrap();
        assert_eq!(tr, Some(1.5));
        for (t, v) in series.iter().enumerate() {
            assert!((v - (t as f32 + 1.0 + 5.0)).abs() < 1e-4, "{t}: {v}");
        }
        assert!(s.set_frame(id, 2) && !s.set_frame(9999, 0));
        // a volume elsewhere in space is refused and changes nothing
        let layers = s.layers.len();
        let mut away = vol;
        away.affine[0][3] = 1000.0;
        let e = s
            .add(loaded("far.nii", None, Content::Volume(away)))
            .unwrap_err();
        assert!(e.contains("does not overlap"), "{e}");
        assert_eq!(s.layers.len(), layers);
    }

    #[test]
    fn slices_and_surface_follow_each_other() {
        let mut s = Scene::new();
        s.add(loaded(
            "lh.pial",
            Some(Hemisphere::Left),
            Content::Surface(tri(0.)),
        ))
        .unwrap();
        s.add(loaded(
            "rh.pial",
            Some(Hemisphere::Right),
            Content::Surface(tri(10.)),
        ))
        .unwrap();
        let mut affine = [[0.0; 4]; 4];
        for (i, row) in affine.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let vol = Volume {
            shape: vec![12, 2, 2],
            voxel_size_mm: [1.0; 3],
            affine,
            dtype: "float32".into(),
            data: Volume::array(&[12, 2, 2], (0..48).map(|i| i as f32).collect()).unwrap(),
            tr_seconds: None,
        };
        assert_eq!(
            s.add(loaded("t1.nii", None, Content::Volume(vol))).unwrap(),
            None,
            "a plain volume goes on the slices without a warning"
        );
        assert_eq!(s.volumes.len(), 1);
        assert!(
            s.crosshair.is_some(),
            "the crosshair starts inside the volume"
        );
        // a click on a slice near the right triangle selects its nearest vertex
        let rev = s.volume_rev;
        let (sel, d) = s.click_slice([10.9, 0.1, 0.0]).unwrap();
        assert_eq!(
            sel,
            Selection {
                hemi: Hemisphere::Right,
                vertex: 1
            }
        );
        assert!((d - (0.01f64 + 0.01).sqrt()).abs() < 1e-6, "{d}");
        assert_eq!(s.selection, Some(sel));
        assert_eq!(
            s.crosshair,
            Some([10.9, 0.1, 0.0]),
            "the crosshair stays at the click"
        );
        assert!(s.volume_rev > rev, "the slices are redrawn");
        // a vertex picked on the surface moves the crosshair onto it
        s.selection = Some(Selection {
            hemi: Hemisphere::Left,
            vertex: 2,
        });
        s.follow_selection();
        assert_eq!(s.crosshair, Some([0.0, 1.0, 0.0]));
        // the value under the crosshair is read from the volume (voxel (0, 1, 0) = 12)
        assert_eq!(s.volumes[0].value_at([0.0, 1.0, 0.0]), Some(12.0));
    }

    #[test]
    fn layer_names_drop_hemisphere_markers() {
        assert_eq!(layer_name("lh.thickness"), "thickness");
        assert_eq!(layer_name("sulc_left.gii.gz"), "sulc");
        assert_eq!(layer_name("rh.aparc.annot"), "aparc");
    }

    #[test]
    fn unnamed_hemisphere_goes_left_with_a_note() {
        let mut s = Scene::new();
        s.add(loaded(
            "lh.pial",
            Some(Hemisphere::Left),
            Content::Surface(tri(-2.)),
        ))
        .unwrap();
        s.add(loaded(
            "rh.pial",
            Some(Hemisphere::Right),
            Content::Surface(tri(1.)),
        ))
        .unwrap();
        let note = s
            .add(loaded(
                "thickness.mgh",
                None,
                Content::Overlay(Overlay::new(3, 1, vec![1., 2., 3.])),
            ))
            .unwrap();
        assert!(note.unwrap().contains("left"));
        match &s.layers[0].data {
            LayerData::Overlay { per_hemi, .. } => {
                assert!(per_hemi.contains_key(&Hemisphere::Left))
            }
            _ => panic!(),
        }
    }

    #[test]
    fn add_rules() {
        let mut s = Scene::new();
        s.add(loaded(
            "lh.pial",
            Some(Hemisphere::Left),
            Content::Surface(tri(-2.)),
        ))
        .unwrap();
        s.add(loaded(
            "rh.pial",
            Some(Hemisphere::Right),
            Content::Surface(tri(1.)),
        ))
        .unwrap();
        let o = |v: Vec<f32>| Content::Overlay(Overlay::new(v.len(), 1, v));
        s.add(loaded(
            "lh.thickness",
            Some(Hemisphere::Left),
            o(vec![1., 2., 3.]),
        ))
        .unwrap();
        s.add(loaded(
            "rh.thickness",
            Some(Hemisphere::Right),
            o(vec![4., 5., 6.]),
        ))
        .unwrap();
        assert_eq!(s.layers.len(), 1, "one layer for both hemispheres");
        // wrong count is refused and leaves the scene as it was
        let before = s.layers.len();
        let e = s
            .add(loaded("lh.curv", Some(Hemisphere::Left), o(vec![1., 2.])))
            .unwrap_err();
        assert!(e.contains("2 values"), "{e}");
        assert_eq!(s.layers.len(), before);
        // values at a vertex
        let vals = s.values_at(Selection {
            hemi: Hemisphere::Right,
            vertex: 2,
        });
        assert_eq!(vals[0].1, "6.0000");
        // colours: overlay visible on both
        assert_eq!(s.colors(Hemisphere::Left).len(), 3);
    }

    #[test]
    fn inflated_hemispheres_do_not_overlap() {
        let mut s = Scene::new();
        let h = |hemi, name: &str, dx| loaded(name, Some(hemi), Content::Surface(tri(dx)));
        s.add(h(Hemisphere::Left, "lh.pial", -1.0)).unwrap();
        s.add(h(Hemisphere::Right, "rh.pial", 0.0)).unwrap();
        s.add(h(Hemisphere::Left, "lh.inflated", 0.0)).unwrap();
        s.add(h(Hemisphere::Right, "rh.inflated", 0.0)).unwrap();
        let pial = s.display_meshes();
        assert_eq!(
            pial[&Hemisphere::Left].positions[0][0],
            -1.0,
            "pial keeps true coordinates"
        );
        s.set_inflate(1.0);
        let m = s.display_meshes();
        let lmax = m[&Hemisphere::Left]
            .positions
            .iter()
            .map(|p| p[0])
            .fold(f32::MIN, f32::max);
        let rmin = m[&Hemisphere::Right]
            .positions
            .iter()
            .map(|p| p[0])
            .fold(f32::MAX, f32::min);
        assert!(lmax < rmin, "{lmax} < {rmin}");
    }
}
