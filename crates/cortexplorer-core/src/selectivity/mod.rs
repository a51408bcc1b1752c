//! Category selectivity of cortex (cf. BrainDiVE, BrainSCUBA, LaVCa): which category each
//! vertex prefers, how selectively, what its captions say, and a summary per region.
//!
//! ## Definitions (README, "Selectivity")
//! * **Responses** `r[c][v]`: one value per category `c` and vertex `v` — betas, t-values or
//!   encoding-model predictions sampled onto the surface (a 4D NIfTI with one volume per
//!   category, several 3D NIfTIs, or per-vertex maps with one frame per category).
//! * **Preferred category**: `argmax_c r[c][v]` (the first on ties).
//! * **Selectivity index**: `SI = (r_pref − r_rest) / (|r_pref| + |r_rest|)`, where `r_rest`
//!   is the mean response to the other categories. SI is in [−1, 1]; 0 means no preference,
//!   1/3 means the preferred response is twice the others' mean (for positive responses), 1
//!   means only the preferred category drives the vertex. It is the "preferred versus mean
//!   of the others" contrast normalised like the classic selectivity indices of face-patch
//!   physiology (Tsao et al. 2006 use `(r_face − r_object)/(r_face + r_object)`); the
//!   absolute values keep it bounded for signed responses. A vertex whose every response is 0
//!   has SI 0; one with a NaN response has no preferred category and SI NaN.
//! * **Thresholds**: a vertex gets a preferred category only if `r_pref ≥ min_response` and
//!   `SI ≥ min_index` (defaults 0 and 0.1); others are drawn without a label.
//! * **Caption search**: case-insensitive; each word of the query must begin a word of the
//!   caption (`face` finds "faces" and "face-like", not "surface"); or a regular expression
//!   (the `regex` crate's syntax, case-insensitive).

#![forbid(unsafe_code)]

pub mod demo;
pub mod state;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::brain::Hemisphere;
use crate::brain::data::Overlay;
use crate::io::captions::{CaptionKey, CaptionTable};

/// Responses per category and vertex; every hemisphere's overlay has one frame per category.
#[derive(Clone, Debug)]
pub struct Responses {
    pub categories: Vec<String>,
    pub per_hemi: BTreeMap<Hemisphere, Arc<Overlay>>,
}

impl Responses {
    /// Check that every hemisphere has one frame per category.
    pub fn new(
        categories: Vec<String>,
        per_hemi: BTreeMap<Hemisphere, Arc<Overlay>>,
    ) -> Result<Responses, String> {
        if categories.is_empty() {
            return Err("the category list is empty".into());
        }
        if per_hemi.is_empty() {
            return Err("no responses on any hemisphere".into());
        }
        for (h, o) in &per_hemi {
            if o.n_frames != categories.len() {
                return Err(format!(
                    "{} categories named but the {h:?} maps have {} frames",
                    categories.len(),
                    o.n_frames
                ));
            }
        }
        Ok(Responses {
            categories,
            per_hemi,
        })
    }

    /// One hemisphere's `[category, vertex]` response matrix (a view, no copy).
    pub fn matrix(&self, h: Hemisphere) -> Option<ndarray::ArrayView2<'_, f32>> {
        self.per_hemi.get(&h).map(|o| o.matrix())
    }

    /// The responses of one vertex, category by category.
    pub fn at(&self, h: Hemisphere, v: usize) -> Option<Vec<f32>> {
        let m = self.matrix(h)?;
        (v < m.ncols()).then(|| m.column(v).to_vec())
    }
}

/// When a vertex counts as selective.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// the preferred response must be at least this
    pub min_response: f32,
    /// and the selectivity index at least this
    pub min_index: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_response: 0.0,
            min_index: 0.1,
        }
    }
}

/// The selectivity index of `r` for category `pref` (module docs).
pub fn selectivity_index(r: &[f32], pref: usize) -> f32 {
    let rp = r[pref];
    if r.len() < 2 {
        return if rp.is_nan() { f32::NAN } else { 0.0 };
    }
    let rest = (r.iter().sum::<f32>() - rp) / (r.len() - 1) as f32;
    let den = rp.abs() + rest.abs();
    if den == 0.0 { 0.0 } else { (rp - rest) / den }
}

/// Preferred category (before thresholds) and selectivity index; None/NaN with a NaN.
pub fn classify(r: &[f32]) -> (Option<usize>, f32) {
    if r.is_empty() || r.iter().any(|x| x.is_nan()) {
        return (None, f32::NAN);
    }
    let mut best = 0;
    for (c, &x) in r.iter().enumerate() {
        if x > r[best] {
            best = c;
        }
    }
    (Some(best), selectivity_index(r, best))
}

/// Per-vertex results on one hemisphere.
#[derive(Clone, Debug, Default)]
pub struct HemiMaps {
    /// preferred category after thresholds, −1 for none
    pub preferred: Vec<i32>,
    /// selectivity index (before thresholds)
    pub index: Vec<f32>,
}

/// Preferred category and SI for every vertex.
pub fn analyse(resp: &Responses, th: Thresholds) -> BTreeMap<Hemisphere, HemiMaps> {
    resp.per_hemi
        .iter()
        .map(|(h, o)| {
            let m = o.matrix();
            let (preferred, index): (Vec<i32>, Vec<f32>) = (0..m.ncols())
                .into_par_iter()
                .map_init(
                    || vec![0f32; m.nrows()],
                    |r, v| {
                        for (x, y) in r.iter_mut().zip(m.column(v)) {
                            *x = *y;
                        }
                        let (p, si) = classify(r);
                        let keep = p.filter(|&p| r[p] >= th.min_response && si >= th.min_index);
                        (keep.map_or(-1, |p| p as i32), si)
                    },
                )
                .unzip();
            (*h, HemiMaps { preferred, index })
        })
        .collect()
}

/// How many vertices prefer each category (after thresholds), over all hemispheres.
pub fn preferred_counts(maps: &BTreeMap<Hemisphere, HemiMaps>, n_categories: usize) -> Vec<usize> {
    let mut n = vec![0; n_categories];
    for m in maps.values() {
        for &p in &m.preferred {
            if p >= 0 && (p as usize) < n_categories {
                n[p as usize] += 1;
            }
        }
    }
    n
}

/// Distinct colours for categories: the Okabe & Ito (2008) colour-blind-safe palette, then
/// further hues.
pub fn category_colour(c: usize) -> [u8; 4] {
    const P: [[u8; 3]; 10] = [
        [230, 159, 0],   // orange
        [86, 180, 233],  // sky blue
        [0, 158, 115],   // bluish green
        [240, 228, 66],  // yellow
        [204, 121, 167], // reddish purple
        [0, 114, 178],   // blue
        [213, 94, 0],    // vermillion
        [160, 160, 160], // grey
        [120, 80, 200],  // violet
        [120, 200, 80],  // leaf green
    ];
    let [r, g, b] = P[c % P.len()];
    [r, g, b, 255]
}

/// Regions per vertex on each hemisphere, with the regions' names.
#[derive(Clone, Debug, Default)]
pub struct Rois {
    pub per_hemi: BTreeMap<Hemisphere, (Vec<i32>, Vec<String>)>,
}

/// One row of the ROI summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RoiSummary {
    /// `lh FFA`, `rh fusiform`, …
    pub name: String,
    pub hemi: Hemisphere,
    pub vertices: usize,
    /// mean response per category (NaN skipped)
    pub mean: Vec<f64>,
    /// vertices preferring each category (after thresholds)
    pub preferred: Vec<usize>,
}

/// Mean response per category and preferred counts in every region that has vertices.
pub fn roi_summary(
    resp: &Responses,
    maps: &BTreeMap<Hemisphere, HemiMaps>,
    rois: &Rois,
) -> Vec<RoiSummary> {
    let nc = resp.categories.len();
    let mut out = Vec::new();
    for (h, (region_of, names)) in &rois.per_hemi {
        let Some(o) = resp.per_hemi.get(h) else {
            continue;
        };
        let mut sum = vec![vec![0f64; nc]; names.len()];
        let mut cnt = vec![vec![0usize; nc]; names.len()];
        let mut verts = vec![0usize; names.len()];
        let mut pref = vec![vec![0usize; nc]; names.len()];
        let m = o.matrix();
        for (v, &r) in region_of.iter().enumerate().take(m.ncols()) {
            if r < 0 || r as usize >= names.len() {
                continue;
            }
            let r = r as usize;
            verts[r] += 1;
            for (c, &x) in m.column(v).iter().enumerate() {
                if x.is_finite() {
                    sum[r][c] += x as f64;
                    cnt[r][c] += 1;
                }
            }
            if let Some(p) = maps.get(h).and_then(|m| m.preferred.get(v))
                && *p >= 0
            {
                pref[r][*p as usize] += 1;
            }
        }
        for (r, name) in names.iter().enumerate() {
            if verts[r] == 0 {
                continue;
            }
            out.push(RoiSummary {
                name: format!("{} {name}", hemi_tag(*h)),
                hemi: *h,
                vertices: verts[r],
                mean: (0..nc)
                    .map(|c| {
                        if cnt[r][c] == 0 {
                            f64::NAN
                        } else {
                            sum[r][c] / cnt[r][c] as f64
                        }
                    })
                    .collect(),
                preferred: pref[r].clone(),
            });
        }
    }
    out
}

pub fn hemi_tag(h: Hemisphere) -> &'static str {
    match h {
        Hemisphere::Left => "lh",
        Hemisphere::Right => "rh",
    }
}

/// Voxel → the vertices sampled from it.
pub type VoxelMap = HashMap<[usize; 3], Vec<(Hemisphere, usize)>>;

/// Captions attached to vertices.
#[derive(Clone, Debug, Default)]
pub struct Captions {
    /// caption entry per vertex
    pub per_hemi: BTreeMap<Hemisphere, Vec<Option<u32>>>,
    pub texts: Vec<String>,
    pub scores: Vec<Option<f32>>,
    lowered: Vec<String>,
    /// vertices captioned
    pub n_vertices: usize,
}

impl Captions {
    /// Attach a table to surfaces with the given vertex counts. `voxel_vertices` maps a
    /// voxel of the selectivity volume to the vertices sampled from it (for `i j k` tables).
    /// A vertex or voxel that does not exist is an error naming its row.
    pub fn attach(
        table: &CaptionTable,
        counts: &BTreeMap<Hemisphere, usize>,
        voxel_vertices: Option<&VoxelMap>,
        voxel_dims: Option<[usize; 3]>,
    ) -> Result<Captions, String> {
        let mut per_hemi: BTreeMap<Hemisphere, Vec<Option<u32>>> =
            counts.iter().map(|(h, &n)| (*h, vec![None; n])).collect();
        let n_left = counts.get(&Hemisphere::Left).copied().unwrap_or(0);
        let total: usize = counts.values().sum();
        let mut c = Captions::default();
        for row in &table.rows {
            let id = c.texts.len() as u32;
            let mut targets: Vec<(Hemisphere, usize)> = Vec::new();
            match row.key {
                CaptionKey::Vertex {
                    hemi: Some(h),
                    vertex,
                } => {
                    let n = counts
                        .get(&h)
                        .copied()
                        .ok_or_else(|| format!("row {}: no {h:?} hemisphere is loaded", row.row))?;
                    if vertex >= n {
                        return Err(format!(
                            "row {}: vertex {vertex} does not exist ({h:?} has {n} vertices)",
                            row.row
                        ));
                    }
                    targets.push((h, vertex));
                }
                CaptionKey::Vertex { hemi: None, vertex } => {
                    if vertex >= total {
                        return Err(format!(
                            "row {}: vertex {vertex} does not exist (the surfaces have {total} vertices{})",
                            row.row,
                            if counts.len() > 1 {
                                ", left then right"
                            } else {
                                ""
                            }
                        ));
                    }
                    let first = *counts.keys().next().expect("counted");
                    if counts.len() > 1 && vertex >= n_left {
                        targets.push((Hemisphere::Right, vertex - n_left));
                    } else {
                        targets.push((first, vertex));
                    }
                }
                CaptionKey::Voxel(ijk) => {
                    let (Some(map), Some(d)) = (voxel_vertices, voxel_dims) else {
                        return Err(format!(
                            "row {}: voxel captions (i j k) need the selectivity volume they index; load a volume-based selectivity map first",
                            row.row
                        ));
                    };
                    if (0..3).any(|a| ijk[a] >= d[a]) {
                        return Err(format!(
                            "row {}: voxel {ijk:?} is outside the volume {d:?}",
                            row.row
                        ));
                    }
                    if let Some(vs) = map.get(&ijk) {
                        targets.extend(vs.iter().copied());
                    }
                }
            }
            for (h, v) in targets {
                if let Some(slot) = per_hemi.get_mut(&h).and_then(|x| x.get_mut(v)) {
                    if slot.is_none() {
                        c.n_vertices += 1;
                    }
                    *slot = Some(id);
                }
            }
            c.lowered.push(row.text.to_lowercase());
            c.texts.push(row.text.clone());
            c.scores.push(row.score);
        }
        c.per_hemi = per_hemi;
        Ok(c)
    }

    /// The caption (and score) of a vertex.
    pub fn at(&self, h: Hemisphere, v: usize) -> Option<(&str, Option<f32>)> {
        let id = (*self.per_hemi.get(&h)?.get(v)?)? as usize;
        Some((self.texts[id].as_str(), self.scores[id]))
    }

    /// Which vertices' captions match.
    pub fn search(&self, q: &Query) -> BTreeMap<Hemisphere, Vec<bool>> {
        let hit: Vec<bool> = self.lowered.iter().map(|t| q.matches(t)).collect();
        self.per_hemi
            .iter()
            .map(|(h, ids)| {
                (
                    *h,
                    ids.iter()
                        .map(|id| id.is_some_and(|i| hit[i as usize]))
                        .collect(),
                )
            })
            .collect()
    }
}

/// A caption query (module docs).
#[derive(Clone, Debug)]
pub enum Query {
    Words(Vec<String>),
    Regex(regex::Regex),
}

impl Query {
    pub fn parse(text: &str, regex: bool) -> Result<Query, String> {
        if regex {
            return regex::RegexBuilder::new(text)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map(Query::Regex)
                .map_err(|e| format!("search {text:?}: {e}"));
        }
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return Err(format!("search {text:?}: no words"));
        }
        Ok(Query::Words(words))
    }

    /// Does a lower-cased caption match?
    pub fn matches(&self, lowered: &str) -> bool {
        match self {
            Query::Regex(r) => r.is_match(lowered),
            Query::Words(ws) => ws.iter().all(|w| {
                lowered
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|cw| cw.starts_with(w.as_str()))
            }),
        }
    }
}

/// Matches per region: `(name, count)` for regions with at least one match, most first.
pub fn matches_per_roi(
    hits: &BTreeMap<Hemisphere, Vec<bool>>,
    rois: &Rois,
) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (h, (region_of, names)) in &rois.per_hemi {
        let Some(hit) = hits.get(h) else { continue };
        let mut n = vec![0usize; names.len()];
        for (v, &r) in region_of.iter().enumerate() {
            if r >= 0 && (r as usize) < n.len() && hit.get(v).copied().unwrap_or(false) {
                n[r as usize] += 1;
            }
        }
        for (r, k) in n.into_iter().enumerate() {
            if k > 0 {
                out.push((format!("{} {}", hemi_tag(*h), names[r]), k));
            }
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::captions::parse;

    #[test]
    fn index_follows_the_documented_definition() {
        // preferred 1.0, others' mean 0.5 -> (1 - 0.5) / 1.5 = 1/3
        let (p, si) = classify(&[0.5, 1.0, 0.5]);
        assert_eq!(p, Some(1));
        assert!((si - 1.0 / 3.0).abs() < 1e-6, "{si}");
        assert_eq!(classify(&[2.0, 0.0, 0.0]).1, 1.0);
        assert_eq!(classify(&[1.0, 1.0]).1, 0.0, "ties: no preference");
        assert_eq!(classify(&[1.0, 1.0]).0, Some(0), "ties: the first");
        assert_eq!(classify(&[0.0, 0.0]).1, 0.0);
        assert!(classify(&[1.0, f32::NAN]).0.is_none());
        // signed responses stay within [-1, 1]
        let si = classify(&[-1.0, -3.0, -3.0]).1;
        assert!((-1.0..=1.0).contains(&si) && si > 0.0, "{si}");
    }

    fn two_vertex_responses() -> Responses {
        // vertex 0 prefers "b" strongly, vertex 1 weakly prefers "a"
        let o = Overlay::new(2, 2, vec![0.1, 1.0, 1.0, 0.9]);
        Responses::new(
            vec!["a".into(), "b".into()],
            [(Hemisphere::Left, Arc::new(o))].into(),
        )
        .unwrap()
    }

    #[test]
    fn thresholds_decide_who_gets_a_label_and_rois_summarise() {
        let r = two_vertex_responses();
        let m = analyse(&r, Thresholds::default());
        assert_eq!(m[&Hemisphere::Left].preferred, vec![1, -1], "SI 0.05 < 0.1");
        let m0 = analyse(
            &r,
            Thresholds {
                min_response: 0.0,
                min_index: 0.0,
            },
        );
        assert_eq!(m0[&Hemisphere::Left].preferred, vec![1, 0]);
        assert_eq!(preferred_counts(&m0, 2), vec![1, 1]);
        let rois = Rois {
            per_hemi: [(Hemisphere::Left, (vec![0, 0], vec!["both".into()]))].into(),
        };
        let s = roi_summary(&r, &m0, &rois);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "lh both");
        assert_eq!(s[0].vertices, 2);
        assert!((s[0].mean[0] - 0.55).abs() < 1e-6 && (s[0].mean[1] - 0.95).abs() < 1e-6);
        assert_eq!(s[0].preferred, vec![1, 1]);
        assert!(Responses::new(vec![], r.per_hemi.clone()).is_err());
        assert!(
            Responses::new(vec!["x".into()], r.per_hemi.clone())
                .unwrap_err()
                .contains("1 categories named but the Left maps have 2 frames")
        );
    }

    #[test]
    fn captions_attach_search_and_refuse_missing_vertices() {
        let counts: BTreeMap<_, _> = [(Hemisphere::Left, 3), (Hemisphere::Right, 2)].into();
        let t = parse(
            b"vertex\tcaption\tscore\n0\tA smiling FACE\t0.9\n4\ta kitchen interior\t0.5\n2\tsurface texture\t\n",
            b'\t',
            None,
        )
        .unwrap();
        let c = Captions::attach(&t, &counts, None, None).unwrap();
        assert_eq!(
            c.at(Hemisphere::Left, 0),
            Some(("A smiling FACE", Some(0.9)))
        );
        assert_eq!(
            c.at(Hemisphere::Right, 1).map(|x| x.0),
            Some("a kitchen interior")
        );
        assert_eq!(c.at(Hemisphere::Left, 1), None);
        assert_eq!(c.n_vertices, 3);
        let hits = c.search(&Query::parse("face", false).unwrap());
        assert_eq!(
            hits[&Hemisphere::Left],
            vec![true, false, false],
            "not 'surface'"
        );
        let hits = c.search(&Query::parse("Smiling faces", false).unwrap());
        assert!(!hits[&Hemisphere::Left][0], "every word must match");
        let hits = c.search(&Query::parse("kitch|smil", true).unwrap());
        assert!(hits[&Hemisphere::Left][0]);
        assert!(hits[&Hemisphere::Right][1]);
        assert!(Query::parse("(", true).is_err());
        assert!(Query::parse("  ", false).is_err());
        let rois = Rois {
            per_hemi: [(Hemisphere::Right, (vec![-1, 0], vec!["PPA".into()]))].into(),
        };
        assert_eq!(
            matches_per_roi(&hits, &rois),
            vec![("rh PPA".to_string(), 1)]
        );
        // vertex 5 of 3 + 2
        let bad = parse(b"vertex\tcaption\n5\tx\n", b'\t', None).unwrap();
        let e = Captions::attach(&bad, &counts, None, None).unwrap_err();
        assert!(e.contains("row 2: vertex 5 does not exist"), "{e}");
        let bad = parse(b"vertex\tcaption\themi\n3\tx\tlh\n", b'\t', None).unwrap();
        let e = Captions::attach(&bad, &counts, None, None).unwrap_err();
        assert!(e.contains("Left has 3 vertices"), "{e}");
        let vox = parse(b"i\tj\tk\tcaption\n1\t1\t1\tx\n", b'\t', None).unwrap();
        assert!(
            Captions::attach(&vox, &counts, None, None)
                .unwrap_err()
                .contains("need the selectivity volume")
        );
        let map: HashMap<[usize; 3], Vec<(Hemisphere, usize)>> = [(
            [1, 1, 1],
            vec![(Hemisphere::Left, 2), (Hemisphere::Right, 0)],
        )]
        .into();
        let c = Captions::attach(&vox, &counts, Some(&map), Some([2, 2, 2])).unwrap();
        assert_eq!(c.n_vertices, 2);
        let e = Captions::attach(&vox, &counts, Some(&map), Some([1, 2, 2])).unwrap_err();
        assert!(e.contains("outside the volume"), "{e}");
    }
}
