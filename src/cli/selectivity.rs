//! `cortexplorer selectivity`: category selectivity maps without a window — the same scene
//! functions as the Selectivity panel (`selectivity::state`).
//!
//! ```text
//! cortexplorer selectivity [FILES…] [--demo] [--names NAMES.tsv|.json] [--captions C.tsv]
//!     [--min-response X] [--min-index Y] [--rois LAYER] [--search TEXT [--regex]]
//!     [--out DIR] [--json]
//! ```
//! FILES are read like everywhere else (surfaces, a 4D NIfTI, several 3D NIfTIs, GIFTI/MGH/
//! NPY maps with one frame per category, category names, captions, annotations for ROIs,
//! pictures); without a surface among them they go on the embedded fsaverage5. Several 3D
//! volumes and no other input: one category per volume. `--demo`: the generated synthetic
//! demo on fsaverage5.
//!
//! JSON keys: `source`, `synthetic`, `categories`, `vertices`, `thresholds`
//! (`min_response`, `min_index`), `preferred_counts` (category → vertices), `unlabelled`,
//! `selectivity_index` (`min`, `max`, `mean`), `roi_layer`, `rois` (per region: `name`,
//! `vertices`, `mean` (category → mean response), `preferred` (its best category by mean),
//! `preferred_counts`), `captions` (`rows`, `vertices`, or null), `search` (`query`,
//! `regex`, `matches`, `rois`: `[{name, count}]`, or null), `gallery` (picture key → count),
//! `out` (files written).
//! `--out DIR` writes `lh.`/`rh.preferred.mgh` (category index, −1 none) and
//! `lh.`/`rh.selectivity_index.mgh`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::brain::data::Overlay;
use crate::selectivity::Thresholds;
use crate::selectivity::hemi_tag;

#[derive(Args)]
pub struct SelectivityArgs {
    /// Inputs (see `cortexplorer selectivity --help`)
    files: Vec<PathBuf>,
    /// Open the generated synthetic demo on fsaverage5
    #[arg(long)]
    demo: bool,
    /// Category names (.tsv/.txt one per line or a `name` column, .json list)
    #[arg(long)]
    names: Option<PathBuf>,
    /// Caption table (.tsv: vertex or i j k, caption, optional score)
    #[arg(long)]
    captions: Option<PathBuf>,
    /// A preferred category needs at least this response
    #[arg(long)]
    min_response: Option<f32>,
    /// and at least this selectivity index
    #[arg(long)]
    min_index: Option<f32>,
    /// Labels layer whose regions summarise (default: the dataset's ROIs or the first
    /// annotation)
    #[arg(long)]
    rois: Option<String>,
    /// Find vertices whose captions match these words (or a regex with --regex)
    #[arg(long)]
    search: Option<String>,
    /// Read --search as a regular expression
    #[arg(long, requires = "search")]
    regex: bool,
    /// Write the preferred category and selectivity index per hemisphere (MGH) here
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

pub fn selectivity(a: SelectivityArgs) -> Result<(), String> {
    let opts = super::scene::SceneOptions {
        no_vessels: true,
        ..Default::default()
    };
    let mut scene = super::scene::build_scene(&a.files, &opts)?;
    if let Some(n) = &a.names {
        let what = n.display().to_string();
        let src = crate::io::Source::File(n.clone());
        let names = match crate::io::captions::read_names(&src, &crate::io::Limits::default())
            .map_err(|e| format!("{what}: {e}"))?
        {
            crate::io::Content::Categories(n) => n,
            _ => unreachable!("read_names gives names"),
        };
        scene.add_category_names(&what, names)?;
    }
    if a.demo {
        scene.open_selectivity_demo()?;
    }
    if scene.selectivity().dataset.is_none() {
        let volumes3d = scene
            .volumes
            .iter()
            .filter(|v| v.volume.n_frames() == 1)
            .count();
        let vols4d = scene
            .volumes
            .iter()
            .filter(|v| v.volume.n_frames() > 1)
            .count();
        if volumes3d >= 2 || vols4d == 1 && scene.selectivity().names.is_some() {
            scene.selectivity_from_volumes(&[])?;
        } else if let Some((src, names)) = &scene.selectivity().names {
            return Err(format!(
                "{src}: {} category names but no map with {} frames was given",
                names.len(),
                names.len()
            ));
        } else {
            return Err(
                "no selectivity input: give a 4D NIfTI with a names file, several 3D NIfTIs, per-vertex maps with a names file, or --demo".into(),
            );
        }
    }
    if let Some(c) = &a.captions {
        let l = crate::io::load(c).map_err(|e| e.to_string())?;
        let what = l.source.display();
        let t = match l.content {
            crate::io::Content::Captions(t) => t,
            other => {
                return Err(format!(
                    "{what}: not a caption table (read as {}); it needs `vertex` (or i j k) and `caption` columns",
                    other.kind()
                ));
            }
        };
        scene.add_captions(&what, t)?;
    }
    if a.min_response.is_some() || a.min_index.is_some() {
        let cur = scene
            .selectivity()
            .dataset
            .as_ref()
            .map(|d| d.thresholds)
            .unwrap_or_default();
        scene.set_selectivity_thresholds(Thresholds {
            min_response: a.min_response.unwrap_or(cur.min_response),
            min_index: a.min_index.unwrap_or(cur.min_index),
        });
    }
    if let Some(r) = &a.rois {
        if !scene.layers.iter().any(|l| &l.name == r && !l.is_overlay()) {
            let have: Vec<&str> = scene
                .layers
                .iter()
                .filter(|l| !l.is_overlay())
                .map(|l| l.name.as_str())
                .collect();
            return Err(format!(
                "--rois {r:?}: no labels layer by that name (have: {})",
                have.join(", ")
            ));
        }
        scene.selectivity_mut().roi_layer = Some(r.clone());
    }
    let search = match &a.search {
        Some(q) => Some(scene.search_captions(q, a.regex)?),
        None => None,
    };
    let d = scene.selectivity().dataset.as_ref().expect("built above");
    let cats = &d.responses.categories;
    let mut written = Vec::new();
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (h, m) in &d.maps {
            let pref: Vec<f32> = m.preferred.iter().map(|&p| p as f32).collect();
            for (name, values) in [("preferred", pref), ("selectivity_index", m.index.clone())] {
                let path = dir.join(format!("{}.{name}.mgh", hemi_tag(*h)));
                let o = Overlay::new(values.len(), 1, values);
                crate::io::atomic_write(&path, &crate::io::mgh::write_overlay(&o))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                written.push(path.display().to_string());
            }
        }
    }
    let vertices: usize = d.maps.values().map(|m| m.preferred.len()).sum();
    let labelled: usize = d.counts.iter().sum();
    let st = d.index_stats();
    let (roi_layer, rois) = match scene.selectivity_summary() {
        Some((n, rows)) => (Some(n), rows),
        None => (None, Vec::new()),
    };
    let per_cat = |v: &[f64]| -> Value {
        Value::Object(
            cats.iter()
                .zip(v)
                .map(|(c, x)| {
                    (
                        c.clone(),
                        if x.is_finite() { json!(x) } else { Value::Null },
                    )
                })
                .collect(),
        )
    };
    let rois_json: Vec<Value> = rois
        .iter()
        .map(|r| {
            let best = (0..cats.len())
                .filter(|&c| r.mean[c].is_finite())
                .max_by(|&x, &y| r.mean[x].total_cmp(&r.mean[y]));
            json!({
                "name": r.name,
                "vertices": r.vertices,
                "mean": per_cat(&r.mean),
                "preferred": best.map(|c| cats[c].clone()),
                "preferred_counts": Value::Object(cats.iter().zip(&r.preferred).map(|(c, n)| (c.clone(), json!(n))).collect()),
            })
        })
        .collect();
    let mut gallery = serde_json::Map::new();
    for p in &scene.selectivity().gallery {
        let n = gallery.entry(p.key.clone()).or_insert(json!(0));
        *n = json!(n.as_u64().unwrap_or(0) + 1);
    }
    let out = json!({
        "source": d.source,
        "synthetic": d.synthetic,
        "categories": cats,
        "vertices": vertices,
        "thresholds": d.thresholds,
        "preferred_counts": Value::Object(cats.iter().zip(&d.counts).map(|(c, n)| (c.clone(), json!(n))).collect()),
        "unlabelled": vertices - labelled,
        "selectivity_index": {"min": st.min, "max": st.max, "mean": st.mean},
        "roi_layer": roi_layer,
        "rois": rois_json,
        "captions": scene.selectivity().captions.as_ref().map(|c| json!({
            "rows": c.texts.len(),
            "vertices": c.n_vertices,
        })),
        "search": search.as_ref().map(|s| json!({
            "query": s.query,
            "regex": s.regex,
            "matches": s.matches,
            "rois": s.per_roi.iter().map(|(n, k)| json!({"name": n, "count": k})).collect::<Vec<_>>(),
        })),
        "gallery": gallery,
        "out": written,
    });
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!(
        "{}{}: {} categories over {vertices} vertices (SI ≥ {}, response ≥ {})",
        d.source,
        if d.synthetic { " [synthetic demo]" } else { "" },
        cats.len(),
        d.thresholds.min_index,
        d.thresholds.min_response
    );
    for (c, n) in cats.iter().zip(&d.counts) {
        println!("  {c:<16} {n:>7} vertices prefer it");
    }
    println!("  {:<16} {:>7}", "(none)", vertices - labelled);
    if !rois.is_empty() {
        println!(
            "ROIs ({}): mean response per category",
            roi_layer.unwrap_or_default()
        );
        print!("  {:<20}", "");
        for c in cats {
            print!(" {c:>9.9}");
        }
        println!();
        for r in &rois {
            print!("  {:<20}", r.name);
            for m in &r.mean {
                print!(" {m:>9.3}");
            }
            println!();
        }
    }
    if let Some(s) = &search {
        println!("search {:?}: {} vertices", s.query, s.matches);
        for (n, k) in &s.per_roi {
            println!("  {n:<20} {k}");
        }
    }
    for w in written {
        println!("wrote {w}");
    }
    Ok(())
}
