//! Selectivity in the scene document: the dataset, its layers, captions, search and gallery.
//!
//! A selectivity dataset is shown as ordinary layers, so thresholds, colormaps, the inspector
//! and rendering treat it like any other data:
//! * `preferred category` — labels, one region per category (categorical colours, legend in
//!   the Selectivity panel);
//! * `category response` — an overlay with one frame per category (the per-category maps,
//!   shown by clicking a category);
//! * `selectivity index` — an overlay (module docs of `selectivity` for the definition);
//! * `ROIs` — outlines of the dataset's regions (the demo's functional ROIs), when it has them;
//! * `caption matches` — the vertices whose captions match the search.
//!
//! How inputs become a dataset (decisions, README "Selectivity"):
//! * category names (a `.json`/`.txt` list or a `name` column table) are kept until a layer
//!   with that many frames exists — a 4D NIfTI (sampled onto the surface), GIFTI DataArrays,
//!   MGH frames or NPY columns — and then build the dataset from the newest such layer; a
//!   4D volume opened after its names builds it at once;
//! * several 3D volumes become one dataset with [`Scene::selectivity_from_volumes`] (names from
//!   the names list when its length matches, else from the file names); their shapes and
//!   affines must agree;
//! * captions and pictures can come before or after the dataset; voxel (`i j k`) captions
//!   need a dataset sampled from a volume.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{
    Captions, HemiMaps, Query, Responses, RoiSummary, Rois, Thresholds, analyse, category_colour,
    matches_per_roi, preferred_counts, roi_summary,
};
use crate::brain::data::{Labels, Overlay, Picture, Region, Volume};
use crate::brain::paint::{LabelMode, OverlayStyle};
use crate::brain::scene::{LayerData, Scene, layer_name};
use crate::brain::{Hemisphere, Stats};
use crate::io::captions::CaptionTable;

pub const PREFERRED: &str = "preferred category";
pub const RESPONSE: &str = "category response";
pub const INDEX: &str = "selectivity index";
pub const ROIS: &str = "ROIs";
pub const MATCHES: &str = "caption matches";

/// Which map of the dataset is in front.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Shown {
    #[default]
    Preferred,
    Category(usize),
    Index,
}

/// Voxels of the volume a dataset was sampled from → the vertices whose mid-ribbon point
/// lies in them.
#[derive(Clone, Debug, Default)]
pub struct VoxelIndex {
    pub dims: [usize; 3],
    pub map: super::VoxelMap,
}

/// A selectivity dataset and what was derived from it.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub source: String,
    /// generated, not measured (the demo): shown as "synthetic demo" wherever it appears
    pub synthetic: bool,
    pub responses: Responses,
    pub thresholds: Thresholds,
    pub maps: BTreeMap<Hemisphere, HemiMaps>,
    pub counts: Vec<usize>,
    pub voxels: Option<VoxelIndex>,
    pub shown: Shown,
    /// the layer it was built from (its frames are categories, not time)
    pub layer: Option<u64>,
}

/// The last caption search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    pub query: String,
    pub regex: bool,
    pub matches: usize,
    pub per_roi: Vec<(String, usize)>,
}

/// Everything selectivity-related the scene holds.
#[derive(Clone, Debug, Default)]
pub struct SelectivityDoc {
    pub dataset: Option<Dataset>,
    /// category names waiting for a layer with as many frames (and where they came from)
    pub names: Option<(String, Vec<String>)>,
    /// the caption table as read (kept to re-attach when a voxel index appears) and its source
    pub table: Option<(String, CaptionTable)>,
    pub captions: Option<Captions>,
    pub search: Option<SearchResult>,
    pub gallery: Vec<Arc<Picture>>,
    /// the labels layer whose regions the ROI summary and search counts use
    pub roi_layer: Option<String>,
    /// bumped on every change the panel shows
    pub rev: u64,
}

fn stats_of(maps: &BTreeMap<Hemisphere, HemiMaps>) -> Stats {
    let all: Vec<f32> = maps
        .values()
        .flat_map(|m| m.index.iter().copied())
        .collect();
    Stats::of(&all)
}

impl Dataset {
    pub fn index_stats(&self) -> Stats {
        stats_of(&self.maps)
    }
    /// Name of the preferred category of a vertex (after thresholds).
    pub fn preferred_at(&self, h: Hemisphere, v: usize) -> Option<&str> {
        let p = *self.maps.get(&h)?.preferred.get(v)?;
        (p >= 0).then(|| self.responses.categories[p as usize].as_str())
    }
}

impl Scene {
    /// Selectivity's state kept with the scene (empty until something sets it).
    pub fn selectivity(&self) -> &SelectivityDoc {
        static EMPTY: std::sync::LazyLock<SelectivityDoc> =
            std::sync::LazyLock::new(SelectivityDoc::default);
        self.features.get().unwrap_or(&EMPTY)
    }

    /// Selectivity's state kept with the scene, for changing.
    pub fn selectivity_mut(&mut self) -> &mut SelectivityDoc {
        self.features.get_or_default()
    }

    /// A picture for the gallery (`Scene::add`).
    pub fn add_picture(&mut self, p: Picture) {
        let doc = self.selectivity_mut();
        doc.gallery.push(Arc::new(p));
        doc.rev += 1;
    }

    /// A layer with data arrived (`Scene::add`): build the selectivity dataset when category
    /// names wait for one with as many frames (or it updates the dataset's layer, e.g. its
    /// second hemisphere). The note grows by what was done.
    pub(crate) fn selectivity_layer_arrived(
        &mut self,
        name: &str,
        note: Option<String>,
    ) -> Option<String> {
        let Some(l) = self
            .layers
            .iter()
            .find(|l| l.name == name && l.is_overlay() && l.n_frames() > 1)
        else {
            return note;
        };
        let id = l.id;
        let result = match &self.selectivity().dataset {
            Some(d) if d.name == name.trim_end_matches(" (sampled)") && !d.synthetic => {
                let names = d.responses.categories.clone();
                Some(self.selectivity_from_layer(id, names, name))
            }
            _ => self.names_waiting_for(id),
        };
        let said = match result {
            None => return note,
            Some(Ok(s)) | Some(Err(s)) => s,
        };
        Some(match note {
            Some(n) => format!("{n}; {said}"),
            None => said,
        })
    }

    /// A layer whose frames are time points (the timeline plays it): several frames, and not
    /// per-category maps of the selectivity dataset.
    pub fn is_time_series(&self, l: &crate::brain::scene::Layer) -> bool {
        l.n_frames() > 1
            && l.name != RESPONSE
            && self
                .selectivity()
                .dataset
                .as_ref()
                .is_none_or(|d| d.layer != Some(l.id))
    }

    fn vertex_counts(&self) -> BTreeMap<Hemisphere, usize> {
        self.hemis
            .iter()
            .map(|(h, g)| (*h, g.n_vertices()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Make `responses` the scene's selectivity dataset and draw its layers.
    pub fn set_selectivity(
        &mut self,
        name: &str,
        source: &str,
        responses: Responses,
        synthetic: bool,
        voxels: Option<VoxelIndex>,
        thresholds: Option<Thresholds>,
    ) -> Result<String, String> {
        let counts = self.vertex_counts();
        for (h, o) in &responses.per_hemi {
            match counts.get(h) {
                Some(&n) if n == o.n_vertices => {}
                Some(&n) => {
                    return Err(format!(
                        "{source}: the {h:?} maps have {} vertices but the surface has {n}",
                        o.n_vertices
                    ));
                }
                None => return Err(format!("{source}: no {h:?} hemisphere is loaded")),
            }
        }
        // given, else the current dataset's, else the defaults
        let thresholds = thresholds
            .or(self.selectivity().dataset.as_ref().map(|d| d.thresholds))
            .unwrap_or_default();
        let maps = analyse(&responses, thresholds);
        let n_cat = responses.categories.len();
        let d = Dataset {
            name: name.to_string(),
            source: source.to_string(),
            synthetic,
            counts: preferred_counts(&maps, n_cat),
            responses,
            thresholds,
            maps,
            voxels,
            shown: Shown::Preferred,
            layer: None,
        };
        let tag = if synthetic {
            format!(" ({})", super::demo::LABEL)
        } else {
            String::new()
        };
        // per-category responses (hidden until a category is clicked) and the index
        let resp = d.responses.per_hemi.clone();
        let all: Vec<f32> = resp
            .values()
            .flat_map(|o| o.values.iter().copied())
            .collect();
        let mut style = OverlayStyle::auto(&all);
        style.colormap = "hot".into();
        self.put_layer(
            RESPONSE,
            vec![source.to_string()],
            LayerData::Overlay {
                per_hemi: resp,
                style,
                auto_style: false,
                frame: 0,
            },
            false,
        );
        let index: BTreeMap<Hemisphere, Arc<Overlay>> = d
            .maps
            .iter()
            .map(|(h, m)| {
                (
                    *h,
                    Arc::new(Overlay::new(m.index.len(), 1, m.index.clone())),
                )
            })
            .collect();
        self.put_layer(
            INDEX,
            vec![source.to_string()],
            LayerData::Overlay {
                per_hemi: index,
                style: OverlayStyle {
                    colormap: "viridis".into(),
                    min: 0.0,
                    max: 1.0,
                    threshold: 0.0,
                    symmetric: false,
                    opacity: 1.0,
                },
                auto_style: false,
                frame: 0,
            },
            false,
        );
        let counts_note = d
            .responses
            .categories
            .iter()
            .zip(&d.counts)
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let note = format!(
            "{name}{tag}: {} categories; vertices preferring each (SI ≥ {}, response ≥ {}): {counts_note}",
            n_cat, d.thresholds.min_index, d.thresholds.min_response
        );
        let doc = self.selectivity_mut();
        doc.dataset = Some(d);
        doc.names = None;
        self.redraw_preferred();
        self.show_selectivity(Shown::Preferred);
        self.reattach_captions();
        self.selectivity_mut().rev += 1;
        Ok(note)
    }

    /// The preferred-category labels layer from the current maps.
    fn redraw_preferred(&mut self) {
        let Some(d) = &self.selectivity().dataset else {
            return;
        };
        let regions: Vec<Region> = d
            .responses
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| Region {
                name: c.clone(),
                index: i as i32,
                rgba: category_colour(i),
            })
            .collect();
        let per_hemi = d
            .maps
            .iter()
            .map(|(h, m)| {
                (
                    *h,
                    Arc::new(Labels {
                        vertex_ids: None,
                        region_of: m.preferred.clone(),
                        regions: regions.clone(),
                        values: None,
                    }),
                )
            })
            .collect();
        let source = d.source.clone();
        self.put_layer(
            PREFERRED,
            vec![source],
            LayerData::Labels {
                per_hemi,
                mode: LabelMode::Filled,
                opacity: 0.9,
            },
            true,
        );
        // keep the ROI outlines and the matches above it
        for top in [ROIS, MATCHES] {
            if let Some(i) = self.layers.iter().position(|l| l.name == top) {
                let l = self.layers.remove(i);
                self.layers.push(l);
            }
        }
    }

    /// New thresholds: preferred categories and counts again.
    pub fn set_selectivity_thresholds(&mut self, th: Thresholds) {
        let Some(d) = &mut self.selectivity_mut().dataset else {
            return;
        };
        if d.thresholds == th {
            return;
        }
        d.thresholds = th;
        d.maps = analyse(&d.responses, th);
        d.counts = preferred_counts(&d.maps, d.responses.categories.len());
        self.redraw_preferred();
        self.selectivity_mut().rev += 1;
    }

    /// Bring a map to the front: the preferred categories, one category's responses, or SI.
    pub fn show_selectivity(&mut self, what: Shown) {
        let Some(d) = &mut self.selectivity_mut().dataset else {
            return;
        };
        d.shown = what;
        let resp_id = self
            .layers
            .iter()
            .find(|l| l.name == RESPONSE)
            .map(|l| l.id);
        for l in &mut self.layers {
            match l.name.as_str() {
                PREFERRED => l.visible = what == Shown::Preferred,
                RESPONSE => l.visible = matches!(what, Shown::Category(_)),
                INDEX => l.visible = what == Shown::Index,
                _ => {}
            }
        }
        if let (Shown::Category(c), Some(id)) = (what, resp_id) {
            self.set_frame(id, c);
        }
        self.color_rev += 1;
        self.selectivity_mut().rev += 1;
    }

    /// Remove the dataset and its layers (captions and pictures stay).
    pub fn clear_selectivity(&mut self) {
        self.selectivity_mut().dataset = None;
        self.remove_layers_named(&[PREFERRED, RESPONSE, INDEX]);
        self.selectivity_mut().rev += 1;
    }

    /// Category names from a sidecar: build from a matching layer now, or keep them.
    pub fn add_category_names(
        &mut self,
        source: &str,
        names: Vec<String>,
    ) -> Result<String, String> {
        let n = names.len();
        if let Some(id) = self.newest_layer_with_frames(n) {
            return self.selectivity_from_layer(id, names, source);
        }
        let doc = self.selectivity_mut();
        doc.names = Some((source.to_string(), names));
        doc.rev += 1;
        Ok(format!(
            "{source}: {n} category names; open the maps with {n} frames (a 4D NIfTI, GIFTI, MGH or NPY) to see the selectivity"
        ))
    }

    /// Category names waiting for this layer? Then build.
    pub(crate) fn names_waiting_for(&mut self, layer_id: u64) -> Option<Result<String, String>> {
        let (src, names) = self.selectivity().names.clone()?;
        let l = self.layers.iter().find(|l| l.id == layer_id)?;
        (l.n_frames() == names.len()).then(|| self.selectivity_from_layer(layer_id, names, &src))
    }

    fn newest_layer_with_frames(&self, n: usize) -> Option<u64> {
        self.layers
            .iter()
            .rev()
            .find(|l| {
                l.is_overlay()
                    && !l.live
                    && l.n_frames() == n
                    && n > 1
                    && ![RESPONSE, INDEX].contains(&l.name.as_str())
            })
            .map(|l| l.id)
    }

    /// Build the dataset from an overlay layer with one frame per category.
    pub fn selectivity_from_layer(
        &mut self,
        id: u64,
        names: Vec<String>,
        names_source: &str,
    ) -> Result<String, String> {
        let l = self
            .layers
            .iter()
            .find(|l| l.id == id)
            .ok_or("no such layer")?;
        let LayerData::Overlay { per_hemi, .. } = &l.data else {
            return Err(format!(
                "layer {:?} holds labels, not per-category maps",
                l.name
            ));
        };
        let frames = l.n_frames();
        if frames != names.len() {
            return Err(format!(
                "{names_source}: {} category names but layer {:?} has {frames} frames",
                names.len(),
                l.name
            ));
        }
        let per_hemi = per_hemi
            .iter()
            .filter(|(_, o)| o.n_frames == frames)
            .map(|(h, o)| (*h, o.clone()))
            .collect();
        let responses = Responses::new(names, per_hemi).map_err(|e| format!("{}: {e}", l.name))?;
        let name = l.name.trim_end_matches(" (sampled)").to_string();
        let source = l.sources.first().cloned().unwrap_or_default();
        // sampled from a volume on the slices? then voxel captions can be attached
        let vol = self
            .volumes
            .iter()
            .rev()
            .find(|v| v.source == source)
            .map(|v| v.volume.clone());
        let voxels = vol.and_then(|v| self.voxel_index(&v));
        let note = self.set_selectivity(&name, &source, responses, false, voxels, None)?;
        if let Some(d) = &mut self.selectivity_mut().dataset {
            d.layer = Some(id);
        }
        // its frames are now the category response layer: do not cover the preferred map
        if let Some(l) = self.layers.iter_mut().find(|l| l.id == id) {
            l.visible = false;
        }
        Ok(note)
    }

    /// Every vertex's mid-ribbon point → its voxel in `v`.
    pub fn voxel_index(&self, v: &Volume) -> Option<VoxelIndex> {
        let inv = crate::brain::vol2surf::world_to_voxel(v).ok()?;
        let d = v.dims3();
        let mut map: HashMap<[usize; 3], Vec<(Hemisphere, usize)>> = HashMap::new();
        for h in self.hemis.keys() {
            let (w, p) = self.ribbon_surfaces(*h)?;
            for (i, a) in w.vertices.iter().enumerate() {
                let b = p.map_or(*a, |p| p.vertices[i]);
                let m = glam::DVec3::new(
                    (a[0] as f64 + b[0] as f64) / 2.0,
                    (a[1] as f64 + b[1] as f64) / 2.0,
                    (a[2] as f64 + b[2] as f64) / 2.0,
                );
                let ijk = inv.transform_point3(m).round();
                if ijk.min_element() < 0.0 {
                    continue;
                }
                let ijk = [ijk.x as usize, ijk.y as usize, ijk.z as usize];
                if (0..3).all(|k| ijk[k] < d[k]) {
                    map.entry(ijk).or_default().push((*h, i));
                }
            }
        }
        Some(VoxelIndex { dims: d, map })
    }

    /// Several volumes on the slices (3D, one per category) as one dataset: same shape and
    /// affine required. `ids` empty: every 3D volume loaded. Names: the waiting names list
    /// when its length matches, else the volumes' file names.
    pub fn selectivity_from_volumes(&mut self, ids: &[u64]) -> Result<String, String> {
        let vols: Vec<_> = self
            .volumes
            .iter()
            .filter(|v| (ids.is_empty() && v.volume.n_frames() == 1) || ids.contains(&v.id))
            .collect();
        let single4d = vols.len() == 1 && vols[0].volume.n_frames() > 1;
        if vols.len() < 2 && !single4d {
            return Err(format!(
                "selectivity from volumes needs one 4D volume or at least two 3D volumes (one per category); {} loaded",
                vols.len()
            ));
        }
        let first = &vols[0];
        for v in &vols[1..] {
            if v.volume.shape != first.volume.shape {
                return Err(format!(
                    "{}: shape {:?} differs from {} {:?}",
                    v.source, v.volume.shape, first.source, first.volume.shape
                ));
            }
            let worst = (0..3)
                .flat_map(|r| (0..4).map(move |c| (r, c)))
                .map(|(r, c)| (v.volume.affine[r][c] - first.volume.affine[r][c]).abs())
                .fold(0.0, f64::max);
            if worst > 1e-4 {
                return Err(format!(
                    "{}: affine differs from {}'s (by up to {worst:.4} mm): the volumes are not on one grid",
                    v.source, first.source
                ));
            }
        }
        let n = if single4d {
            first.volume.n_frames()
        } else {
            vols.len()
        };
        let names: Vec<String> = match &self.selectivity().names {
            Some((_, names)) if names.len() == n => names.clone(),
            _ if single4d => {
                return Err(format!(
                    "{}: {n} volumes but no list of {n} category names (open a .tsv/.json of names)",
                    first.source
                ));
            }
            _ => vols.iter().map(|v| layer_name(&v.name)).collect(),
        };
        let stacked = if single4d {
            (*first.volume).clone()
        } else {
            let mut s = (*first.volume).clone();
            s.shape = vec![s.shape[0], s.shape[1], s.shape[2], n];
            // frames one after another in memory: the `[x, y, z, frame]` array of the stack
            let values = vols
                .iter()
                .flat_map(|v| v.volume.values().iter().copied())
                .collect();
            s.data = Volume::array(&s.shape, values)?;
            s
        };
        let source = if single4d {
            first.source.clone()
        } else {
            format!("{} volumes ({}, …)", n, first.source)
        };
        let (per_hemi, _) = self.sample_volume(&source, &stacked)?;
        let responses = Responses::new(names, per_hemi)?;
        let voxels = self.voxel_index(&stacked);
        self.set_selectivity("selectivity", &source, responses, false, voxels, None)
    }

    /// Attach a caption table (replacing the previous one).
    pub fn add_captions(&mut self, source: &str, table: CaptionTable) -> Result<String, String> {
        let vox = self
            .selectivity()
            .dataset
            .as_ref()
            .and_then(|d| d.voxels.as_ref());
        let c = Captions::attach(
            &table,
            &self.vertex_counts(),
            vox.map(|v| &v.map),
            vox.map(|v| v.dims),
        )
        .map_err(|e| format!("{source}: {e}"))?;
        let note = format!(
            "{source}: {} captions on {} vertices (hover the cortex to read them; search in the Selectivity panel)",
            table.rows.len(),
            c.n_vertices
        );
        let doc = self.selectivity_mut();
        doc.captions = Some(c);
        doc.table = Some((source.to_string(), table));
        doc.search = None;
        self.remove_layers_named(&[MATCHES]);
        self.selectivity_mut().rev += 1;
        Ok(note)
    }

    /// Voxel captions read before their dataset: attach them now.
    fn reattach_captions(&mut self) {
        if let Some((src, t)) = self.selectivity().table.clone()
            && (self.selectivity().captions.is_none()
                || t.rows
                    .iter()
                    .any(|r| matches!(r.key, crate::io::captions::CaptionKey::Voxel(_))))
        {
            let _ = self.add_captions(&src, t);
        }
    }

    /// The regions used for ROI summaries and search counts: the chosen labels layer, else
    /// the `ROIs` layer, else the first labels layer that is not the preferred map.
    pub fn selectivity_rois(&self) -> Option<(String, Rois)> {
        let pick = |name: &str| {
            self.layers
                .iter()
                .find(|l| l.name == name && !l.is_overlay())
        };
        let layer = self
            .selectivity()
            .roi_layer
            .as_deref()
            .and_then(pick)
            .or_else(|| pick(ROIS))
            .or_else(|| {
                self.layers
                    .iter()
                    .find(|l| !l.is_overlay() && ![PREFERRED, MATCHES].contains(&l.name.as_str()))
            })?;
        let LayerData::Labels { per_hemi, .. } = &layer.data else {
            return None;
        };
        let mut rois = Rois::default();
        for (h, lb) in per_hemi {
            let n = self.hemis.get(h).map_or(0, |g| g.n_vertices());
            if let Ok(dense) = lb.dense(n) {
                let names = lb.regions.iter().map(|r| r.name.clone()).collect();
                rois.per_hemi.insert(*h, (dense, names));
            }
        }
        Some((layer.name.clone(), rois))
    }

    /// Mean response per category per ROI.
    pub fn selectivity_summary(&self) -> Option<(String, Vec<RoiSummary>)> {
        let d = self.selectivity().dataset.as_ref()?;
        let (name, rois) = self.selectivity_rois()?;
        Some((name, roi_summary(&d.responses, &d.maps, &rois)))
    }

    /// Highlight every vertex whose caption matches; count matches per ROI.
    pub fn search_captions(&mut self, text: &str, regex: bool) -> Result<SearchResult, String> {
        let c = self
            .selectivity()
            .captions
            .as_ref()
            .ok_or("no captions loaded (open a caption .tsv, or the synthetic demo)")?;
        let q = Query::parse(text, regex)?;
        let hits = c.search(&q);
        let matches = hits
            .values()
            .map(|h| h.iter().filter(|&&x| x).count())
            .sum();
        let per_roi = self
            .selectivity_rois()
            .map(|(_, r)| matches_per_roi(&hits, &r))
            .unwrap_or_default();
        let per_hemi = hits
            .into_iter()
            .map(|(h, hit)| {
                (
                    h,
                    Arc::new(Labels {
                        vertex_ids: None,
                        region_of: hit.iter().map(|&x| if x { 0 } else { -1 }).collect(),
                        regions: vec![Region {
                            name: format!("matches {text:?}"),
                            index: 0,
                            rgba: [255, 40, 200, 255],
                        }],
                        values: None,
                    }),
                )
            })
            .collect();
        self.put_layer(
            MATCHES,
            vec![format!("search {text:?}")],
            LayerData::Labels {
                per_hemi,
                mode: LabelMode::Filled,
                opacity: 1.0,
            },
            true,
        );
        if let Some(i) = self.layers.iter().position(|l| l.name == MATCHES) {
            let l = self.layers.remove(i);
            self.layers.push(l);
        }
        let r = SearchResult {
            query: text.to_string(),
            regex,
            matches,
            per_roi,
        };
        let doc = self.selectivity_mut();
        doc.search = Some(r.clone());
        doc.rev += 1;
        Ok(r)
    }

    pub fn clear_search(&mut self) {
        self.selectivity_mut().search = None;
        self.remove_layers_named(&[MATCHES]);
        self.selectivity_mut().rev += 1;
    }

    /// Pictures filed under a category or ROI name (case-insensitive; `lh FFA` finds `FFA`).
    pub fn gallery_for(&self, key: &str) -> Vec<Arc<Picture>> {
        let k = key.to_lowercase();
        let bare = k
            .strip_prefix("lh ")
            .or_else(|| k.strip_prefix("rh "))
            .unwrap_or(&k)
            .to_string();
        self.selectivity()
            .gallery
            .iter()
            .filter(|p| {
                let pk = p.key.to_lowercase();
                pk == k || pk == bare
            })
            .cloned()
            .collect()
    }

    /// Open the synthetic demo on the loaded hemispheres (fsaverage5 in the default scene):
    /// responses, functional ROIs, captions and pictures, all labelled "synthetic demo".
    pub fn open_selectivity_demo(&mut self) -> Result<String, String> {
        use crate::brain::SurfaceKind;
        let mut hemis = BTreeMap::new();
        for (h, g) in &self.hemis {
            let Some(pial) = g
                .surfaces
                .get(&SurfaceKind::Pial)
                .or_else(|| g.surfaces.get(&SurfaceKind::White))
            else {
                continue;
            };
            hemis.insert(
                *h,
                (&**pial, g.surfaces.get(&SurfaceKind::Sphere).map(|s| &**s)),
            );
        }
        let demo = super::demo::generate(&hemis, 2025)?;
        let note = self.set_selectivity(
            "category selectivity",
            "generated by Cortexplorer (selectivity::demo)",
            demo.responses,
            true,
            None,
            Some(demo.thresholds),
        )?;
        self.inputs
            .push(crate::brain::scene::Input::SelectivityDemo);
        let rois = demo
            .rois
            .into_iter()
            .map(|(h, l)| (h, Arc::new(l)))
            .collect();
        self.put_layer(
            ROIS,
            vec![format!("functional ROIs ({})", super::demo::LABEL)],
            LayerData::Labels {
                per_hemi: rois,
                mode: LabelMode::Outline,
                opacity: 1.0,
            },
            true,
        );
        self.selectivity_mut().roi_layer = Some(ROIS.into());
        self.add_captions(&format!("captions ({})", super::demo::LABEL), demo.captions)?;
        // the demo's pictures go after any the user opened (which take precedence)
        let doc = self.selectivity_mut();
        doc.gallery.retain(|p| !p.name.contains(super::demo::LABEL));
        doc.gallery.extend(demo.pictures.into_iter().map(Arc::new));
        doc.rev += 1;
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain::surface::Surface;
    use crate::io::{Content, Format, Loaded, Source};

    fn loaded(name: &str, content: Content) -> Loaded {
        Loaded {
            source: Source::File(name.into()),
            format: Format::Gifti,
            content,
            hemisphere: Hemisphere::guess(name),
            surface_kind: Some(crate::brain::SurfaceKind::guess(name)),
            name: name.into(),
        }
    }

    /// A 4×1 strip of vertices at x = 0..3 with white at z = 0 and pial at z = 1.
    fn strip_scene() -> Scene {
        let mut s = Scene::new();
        for (name, z) in [("lh.white", 0.0f32), ("lh.pial", 1.0)] {
            let v = (0..4).map(|i| [i as f32, 0.0, z]).collect();
            let surf = Surface::new(v, vec![[0, 1, 2], [1, 3, 2]]).unwrap();
            s.add(loaded(name, Content::Surface(surf))).unwrap();
        }
        s
    }

    fn volume(value: impl Fn(usize, usize, usize) -> f32, frames: usize) -> Volume {
        let mut affine = [[0.0; 4]; 4];
        for (i, row) in affine.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let mut data = Vec::new();
        for f in 0..frames {
            for z in 0..2 {
                for y in 0..2 {
                    for x in 0..4 {
                        data.push(value(x, y, z) + if frames > 1 && x == f { 10.0 } else { 0.0 });
                    }
                }
            }
        }
        let shape = if frames > 1 {
            vec![4, 2, 2, frames]
        } else {
            vec![4, 2, 2]
        };
        Volume {
            data: Volume::array(&shape, data).unwrap(),
            shape,
            voxel_size_mm: [1.0; 3],
            affine,
            dtype: "float32".into(),
            tr_seconds: None,
        }
    }

    #[test]
    fn a_4d_volume_with_names_becomes_a_dataset_in_either_order() {
        // names first, then the 4D volume: vertex x prefers category x (x < 3)
        let mut s = strip_scene();
        let note = s
            .add(loaded(
                "cats.tsv",
                Content::Categories(vec!["a".into(), "b".into(), "c".into()]),
            ))
            .unwrap()
            .unwrap();
        assert!(note.contains("3 category names"), "{note}");
        s.add(loaded(
            "betas.nii.gz",
            Content::Volume(volume(|_, _, _| 1.0, 3)),
        ))
        .unwrap();
        let d = s.selectivity().dataset.as_ref().expect("built on arrival");
        assert_eq!(d.preferred_at(Hemisphere::Left, 0), Some("a"));
        assert_eq!(d.preferred_at(Hemisphere::Left, 2), Some("c"));
        assert_eq!(
            d.preferred_at(Hemisphere::Left, 3),
            None,
            "no preference: SI < 0.1"
        );
        assert!(
            d.voxels.is_some(),
            "sampled from a volume: voxel captions possible"
        );
        assert!(s.layers.iter().any(|l| l.name == PREFERRED && l.visible));
        // the volume first, then the names
        let mut s = strip_scene();
        s.add(loaded(
            "betas.nii.gz",
            Content::Volume(volume(|_, _, _| 1.0, 3)),
        ))
        .unwrap();
        assert!(s.selectivity().dataset.is_none());
        s.add(loaded(
            "cats.json",
            Content::Categories(vec!["a".into(), "b".into(), "c".into()]),
        ))
        .unwrap();
        assert!(s.selectivity().dataset.is_some());
        // voxel captions: voxel (1, 0, 0) holds the ribbon midpoint of vertex 1? No: z = 0.5
        // rounds to 1 (round half away from zero), so voxel (1, 0, 1)
        let t =
            crate::io::captions::parse(b"i\tj\tk\tcaption\n1\t0\t1\ta bowl of soup\n", b'\t', None)
                .unwrap();
        s.add(loaded("caps.tsv", Content::Captions(t))).unwrap();
        let c = s.selectivity().captions.as_ref().unwrap();
        assert_eq!(
            c.at(Hemisphere::Left, 1).map(|x| x.0),
            Some("a bowl of soup")
        );
        // per-category maps one click away
        s.show_selectivity(Shown::Category(2));
        let resp = s.layers.iter().find(|l| l.name == RESPONSE).unwrap();
        assert!(resp.visible);
        assert!(matches!(resp.data, LayerData::Overlay { frame: 2, .. }));
        assert!(
            !s.layers
                .iter()
                .find(|l| l.name == PREFERRED)
                .unwrap()
                .visible
        );
        // wrong number of names for the layer
        let id = s
            .layers
            .iter()
            .find(|l| l.name.contains("sampled"))
            .unwrap()
            .id;
        let e = s
            .selectivity_from_layer(id, vec!["x".into()], "one.tsv")
            .unwrap_err();
        assert!(e.contains("1 category names but layer"), "{e}");
    }

    #[test]
    fn several_3d_volumes_must_share_one_grid() {
        let mut s = strip_scene();
        for (i, name) in ["faces.nii.gz", "places.nii.gz"].iter().enumerate() {
            s.add(loaded(
                name,
                Content::Volume(volume(move |x, _, _| if x == i { 2.0 } else { 1.0 }, 1)),
            ))
            .unwrap();
        }
        let note = s.selectivity_from_volumes(&[]).unwrap();
        assert!(note.contains("2 categories"), "{note}");
        let d = s.selectivity().dataset.as_ref().unwrap();
        assert_eq!(d.responses.categories, ["faces", "places"]);
        assert_eq!(d.preferred_at(Hemisphere::Left, 0), Some("faces"));
        assert_eq!(d.preferred_at(Hemisphere::Left, 1), Some("places"));
        // a third volume on another grid
        let mut moved = volume(|_, _, _| 1.0, 1);
        moved.affine[0][3] = 0.5;
        s.add(loaded("bodies.nii.gz", Content::Volume(moved)))
            .unwrap();
        let e = s.selectivity_from_volumes(&[]).unwrap_err();
        assert!(
            e.contains("bodies.nii.gz: affine differs from faces.nii.gz"),
            "{e}"
        );
        let mut small = volume(|_, _, _| 1.0, 1);
        small.shape = vec![4, 2, 1];
        small.data = Volume::array(&small.shape, small.values()[..8].to_vec()).unwrap();
        s.volumes.retain(|v| !v.source.contains("bodies"));
        s.add(loaded("words.nii.gz", Content::Volume(small)))
            .unwrap();
        let e = s.selectivity_from_volumes(&[]).unwrap_err();
        assert!(e.contains("words.nii.gz: shape [4, 2, 1] differs"), "{e}");
    }

    #[test]
    fn the_demo_opens_with_captions_search_rois_and_pictures() {
        let mut s = crate::brain::fsaverage5::scene().unwrap();
        let note = s.open_selectivity_demo().unwrap();
        assert!(note.contains("synthetic demo"), "{note}");
        let d = s.selectivity().dataset.as_ref().unwrap();
        assert!(d.synthetic);
        let r = s.search_captions("face", false).unwrap();
        assert!(r.matches > 20, "{r:?}");
        assert!(
            r.per_roi.first().is_some_and(|(n, _)| n.ends_with("FFA")),
            "faces are found mostly in FFA: {:?}",
            r.per_roi
        );
        let r = s.search_captions("noodle|pizza", true).unwrap();
        assert!(
            r.per_roi.iter().any(|(n, _)| n.ends_with("food")),
            "{:?}",
            r.per_roi
        );
        let (roi_layer, sum) = s.selectivity_summary().unwrap();
        assert_eq!(roi_layer, ROIS);
        let ffa = sum.iter().find(|r| r.name == "lh FFA").unwrap();
        let best = (0..5)
            .max_by(|&a, &b| ffa.mean[a].total_cmp(&ffa.mean[b]))
            .unwrap();
        assert_eq!(best, 0, "FFA responds most to faces: {:?}", ffa.mean);
        assert_eq!(s.gallery_for("lh faces").len(), 3);
        assert_eq!(s.gallery_for("FACES").len(), 3);
        // thresholds change who is labelled
        let labelled = |s: &Scene| -> usize {
            s.selectivity()
                .dataset
                .as_ref()
                .unwrap()
                .counts
                .iter()
                .sum()
        };
        let before = labelled(&s);
        s.set_selectivity_thresholds(Thresholds {
            min_response: 0.0,
            min_index: 0.3,
        });
        let after = labelled(&s);
        assert!(after < before, "{after} < {before}");
        // a caption table naming a vertex that does not exist is refused, the old one stays
        let t = crate::io::captions::parse(b"vertex\tcaption\n99999\tx\n", b'\t', None).unwrap();
        let e = s.add(loaded("bad.tsv", Content::Captions(t))).unwrap_err();
        assert!(
            e.contains("bad.tsv: row 2: vertex 99999 does not exist"),
            "{e}"
        );
        assert!(s.selectivity().captions.as_ref().unwrap().n_vertices > 100);
    }
}
