//! `cortexplorer routing`: where in the image a place on the cortex draws from, and which
//! cortex listens to a region of the image (`crate::routing`).
//!
//! ```text
//! cortexplorer routing [FILES…] [--weights W.npy --queries Q] [--image IMG] [--image-index N]
//!     [--fov-deg 16] [--grid 64]
//!     (--vertex V [--hemi lh|rh] | --roi NAME) --out heatmap.png [--json]
//! cortexplorer routing … --brush x0,y0,x1,y1 --out overlay.npy|.mgh [--json]
//! ```
//! FILES go into the scene as usual (on fsaverage5 unless a surface is among them): an
//! annotation for `--roi`, retinotopy overlays (`angle`, `eccen`, `varea`). Without
//! `--weights` the built-in pRF model routes (over a `--grid`² grid spanning `--fov-deg`).
//! `--queries`: a per-vertex index overlay (any per-vertex format; −1/NaN = none) or a list of
//! query names (`.json`/`.txt`/names table) matched against the annotation's regions.
//! `--brush`: fractions of the image (all ≤ 1) or its pixels (origin top-left); `--out` gets
//! the per-vertex fraction of routing weight inside the brush, left hemisphere then right
//! (`.npy`) or the left hemisphere's values (`.mgh`, `lh.`/`rh.` files when the name starts
//! with neither… see README).
//!
//! JSON keys — heatmap: `source` (`prf` | `weights`), `model` (where the pRFs came from, per
//! hemisphere: `{"left": …, "right": …}`, each the hemisphere's own maps or the template),
//! `hemisphere`, `vertex`, `roi`, `query`, `grid` ([rows, cols]), `peak` ({`row`, `col`}),
//! `centroid` ([x, y] in fractions of the image, origin top-left), `spread` (RMS radius in
//! fractions of the width), and for the pRF model `peak_deg` / `centroid_deg` ([x, y] in the
//! visual field, y up) and `prf` ({`x`, `y`, `sigma`, `area`}); `out`. Brush: `source`,
//! `brush` ({x0, y0, x1, y1} fractions), `vertices` (per hemisphere: count with weight
//! fraction ≥ 0.1), `max`, `out`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::brain::Hemisphere;
use crate::brain::scene::{LayerData, Scene};
use crate::percept::render::Grid;
use crate::routing::scene::{prf_model, queries_from_layer, queries_from_rois};
use crate::routing::{Brush, Heatmap, PatchWeights, PatchWeightsExt, PrfModel, PrfSizes, QueryMap};

#[derive(Args)]
pub struct RoutingArgs {
    /// Scene files (annotation, retinotopy overlays, surfaces)
    files: Vec<PathBuf>,
    /// Routing weights .npy: [n_queries, h, w] or [n_images, n_queries, h, w]
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Query map: per-vertex query indices, or query names matched to the annotation
    #[arg(long, requires = "weights")]
    queries: Option<PathBuf>,
    /// Stimulus image (PNG/JPEG) shown under the heatmap
    #[arg(long)]
    image: Option<PathBuf>,
    /// Which image of a [n_images, …] weights file
    #[arg(long, default_value_t = 0)]
    image_index: usize,
    /// pRF model: the image's horizontal extent in degrees (centred on fixation)
    #[arg(long, default_value_t = 16.0)]
    fov_deg: f64,
    /// pRF model: grid cells per side
    #[arg(long, default_value_t = 64)]
    grid: usize,
    /// Heatmap of the image region this vertex draws from
    #[arg(long, conflicts_with_all = ["roi", "brush"])]
    vertex: Option<usize>,
    /// lh or rh (with --vertex; default lh)
    #[arg(long, default_value = "lh")]
    hemi: String,
    /// Heatmap of a region (by name) of the annotation among FILES
    #[arg(long, conflicts_with = "brush")]
    roi: Option<String>,
    /// The cortex that listens to an image region `x0,y0,x1,y1`: fractions of the image (all
    /// ≤ 1) or its pixels (origin top-left)
    #[arg(long)]
    brush: Option<String>,
    /// Region routing matrix (.npy [N,N]/[T,N,N] or an N×N text table): list the arcs shown
    #[arg(long, conflicts_with_all = ["weights", "vertex", "roi", "brush"])]
    matrix: Option<PathBuf>,
    /// Region centres for --matrix (BrainNet .node, TVB centres.txt); else a parcellation
    /// among FILES
    #[arg(long, requires = "matrix")]
    nodes: Option<PathBuf>,
    /// --matrix: frame of a T×N×N series
    #[arg(long, default_value_t = 0)]
    frame: usize,
    /// --matrix: strongest targets per source
    #[arg(long, default_value_t = 10)]
    top_k: usize,
    /// --matrix: smallest |weight| shown
    #[arg(long, default_value_t = 0.0)]
    threshold: f32,
    /// heatmap PNG, or the brush overlay (.npy/.mgh); not needed with --matrix
    #[arg(long, required_unless_present = "matrix")]
    out: Option<PathBuf>,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

enum Source {
    Prf(PrfModel, Grid),
    Weights(PatchWeights, QueryMap),
}

pub fn routing(a: RoutingArgs) -> Result<(), String> {
    let opts = super::scene::SceneOptions {
        no_vessels: true,
        ..Default::default()
    };
    let mut scene = super::scene::build_scene(&a.files, &opts)?;
    if let Some(m) = &a.matrix {
        return region_arcs(&a, &mut scene, m);
    }
    let out_path = a.out.clone().ok_or("--out is required")?;
    let hemi = super::scene::parse_hemi(&a.hemi)?;
    let image = match &a.image {
        Some(p) => Some(
            image::open(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .to_rgb8(),
        ),
        None => None,
    };
    if !(a.fov_deg.is_finite() && a.fov_deg > 0.0) || a.grid == 0 || a.grid > 1024 {
        return Err("--fov-deg must be > 0 and --grid within 1..1024".into());
    }
    let source = match &a.weights {
        None => {
            let (w, h) = image
                .as_ref()
                .map_or((1, 1), |i| (i.width() as usize, i.height() as usize));
            let grid = Grid {
                width: a.grid,
                height: ((a.grid * h) / w.max(1)).max(1),
                fov_deg: a.fov_deg,
                centre: [0.0, 0.0],
            };
            Source::Prf(prf_model(&scene, PrfSizes::default())?, grid)
        }
        Some(p) => {
            let what = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| format!("{what}: {e}"))?;
            let arr = crate::io::npy::parse_array(&bytes, 4).map_err(|e| format!("{what}: {e}"))?;
            let w = PatchWeights::from_array(arr).map_err(|e| format!("{what}: {e}"))?;
            if a.image_index >= w.n_images() {
                return Err(format!(
                    "--image-index {}: {what} has {} image(s)",
                    a.image_index,
                    w.n_images()
                ));
            }
            let qpath = a
                .queries
                .as_ref()
                .ok_or("--weights needs --queries (a per-vertex query index map or query names)")?;
            let l = crate::io::load(qpath).map_err(|e| e.to_string())?;
            let qwhat = l.source.display();
            let q = match l.content {
                crate::io::Content::Categories(names) => {
                    if names.len() != w.n_queries() {
                        return Err(format!(
                            "{qwhat}: {} query names but {what} has {} queries",
                            names.len(),
                            w.n_queries()
                        ));
                    }
                    queries_from_rois(&scene, names, None).map_err(|e| format!("{qwhat}: {e}"))?
                }
                crate::io::Content::Overlay(_) => {
                    let name = l.name.clone();
                    let layer = crate::brain::scene::layer_name(&name);
                    scene.add(l)?;
                    queries_from_layer(&scene, &layer, w.n_queries())?
                }
                other => {
                    return Err(format!(
                        "{qwhat}: a query map is per-vertex indices or a list of names, not {}",
                        other.kind()
                    ));
                }
            };
            Source::Weights(w, q)
        }
    };
    if let Some(b) = &a.brush {
        let (iw, ih) = match (&image, &source) {
            (Some(i), _) => (i.width() as usize, i.height() as usize),
            (None, Source::Prf(_, g)) => (g.width, g.height),
            (None, Source::Weights(w, _)) => (w.width(), w.height()),
        };
        let brush = Brush::parse(b, iw, ih)?;
        let per_hemi = match &source {
            Source::Prf(m, g) => m.brush(&brush, g),
            Source::Weights(w, q) => q.spread(&w.brush(a.image_index, &brush)),
        };
        return write_brush(&a, &out_path, &source, brush, per_hemi);
    }
    let (heat, sel): (Heatmap, Value) = match (&source, a.vertex, &a.roi) {
        (Source::Prf(m, g), Some(v), _) => {
            let heat = m.heatmap(hemi, v, g).ok_or_else(|| {
                format!(
                    "{hemi:?} vertex {v} has no receptive field in this model (outside the mapped visual cortex, or its field is off the {}° image)",
                    a.fov_deg
                )
            })?;
            let p = m.prf(hemi, v).expect("has a heatmap");
            (
                heat,
                json!({"hemisphere": hemi, "vertex": v, "prf": {"x": p.x, "y": p.y, "sigma": p.sigma, "area": p.area}}),
            )
        }
        (Source::Prf(m, g), None, Some(roi)) => {
            let verts = roi_vertices(&scene, roi)?;
            let mut acc = vec![0f32; g.len()];
            let mut n = 0;
            for (h, v) in &verts {
                if let Some(x) = m.heatmap(*h, *v, g) {
                    n += 1;
                    acc.iter_mut().zip(&x.values).for_each(|(a, b)| *a += b);
                }
            }
            if n == 0 {
                return Err(format!(
                    "ROI {roi:?}: none of its {} vertices has a receptive field in this model",
                    verts.len()
                ));
            }
            let heat = Heatmap {
                height: g.height,
                width: g.width,
                values: acc.iter().map(|x| x / n as f32).collect(),
            };
            (heat, json!({"roi": roi, "vertices": n}))
        }
        (Source::Weights(w, q), Some(v), _) => {
            let qi = q
                .query(hemi, v)
                .ok_or_else(|| format!("{hemi:?} vertex {v} has no query in the query map"))?;
            let heat = w
                .heatmap(a.image_index, qi)
                .ok_or_else(|| format!("query {qi} has no weight on image {}", a.image_index))?;
            (heat, json!({"hemisphere": hemi, "vertex": v, "query": qi}))
        }
        (Source::Weights(w, q), None, Some(roi)) => {
            let qi = q.roi_query(roi).ok_or_else(|| {
                let names = q
                    .names
                    .as_ref()
                    .map(|n| n.join(", "))
                    .unwrap_or_else(|| "none: the query map is per vertex".into());
                format!("ROI {roi:?} is not one of the queries ({names})")
            })?;
            let heat = w
                .heatmap(a.image_index, qi)
                .ok_or_else(|| format!("query {qi} has no weight on image {}", a.image_index))?;
            (heat, json!({"roi": roi, "query": qi}))
        }
        _ => return Err("give --vertex V, --roi NAME or --brush x0,y0,x1,y1".into()),
    };
    // small stimuli are enlarged so the heatmap reads
    let shown = image.as_ref().map(|i| {
        let k = (512 / i.width().max(i.height()).max(1)).max(1);
        if k > 1 {
            image::imageops::resize(
                i,
                i.width() * k,
                i.height() * k,
                image::imageops::FilterType::Triangle,
            )
        } else {
            i.clone()
        }
    });
    let png = heatmap_png(&heat, shown.as_ref());
    png.save_with_format(&out_path, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", out_path.display()))?;
    let (r, c) = heat.peak();
    let (centroid, spread) = heat.centroid();
    let mut out = json!({
        "source": match source { Source::Prf(..) => "prf", Source::Weights(..) => "weights" },
        "grid": [heat.height, heat.width],
        "peak": {"row": r, "col": c},
        "centroid": centroid,
        "spread": spread,
        "out": out_path.display().to_string(),
    });
    let m = out.as_object_mut().expect("object");
    for (k, v) in sel.as_object().expect("object") {
        m.insert(k.clone(), v.clone());
    }
    if let Source::Prf(model, g) = &source {
        let (px, py) = g.pixel_centre(c, r);
        let (x0, y0) = g.origin();
        let span = [g.fov_deg, g.pixel_deg() * g.height as f64];
        // per hemisphere: its own maps or the template (`percept::resolve`)
        let per_hemi: serde_json::Map<String, Value> = model
            .source
            .iter()
            .map(|(h, s)| (h.name().to_string(), json!(s)))
            .collect();
        m.insert("model".into(), Value::Object(per_hemi));
        m.insert("peak_deg".into(), json!([px, py]));
        m.insert(
            "centroid_deg".into(),
            json!([x0 + centroid[0] * span[0], y0 - centroid[1] * span[1]]),
        );
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "wrote {} (peak at row {r}, column {c} of {}×{}; centre {:.2}, {:.2} of the image)",
            out_path.display(),
            heat.height,
            heat.width,
            centroid[0],
            centroid[1]
        );
    }
    Ok(())
}

/// `--matrix`: the arcs the viewer would draw (JSON: `matrix`, `regions`, `frames`, `frame`,
/// `nodes` (where the centres came from), `top_k`, `threshold`, `arcs`: `[{source, target,
/// weight}]` by region name).
fn region_arcs(a: &RoutingArgs, scene: &mut Scene, m: &std::path::Path) -> Result<(), String> {
    for f in std::iter::once(m).chain(a.nodes.as_deref()) {
        let l = crate::io::load(f).map_err(|e| e.to_string())?;
        let what = l.source.display();
        match (&l.content, f == m) {
            (crate::io::Content::RegionMatrix(_), true) | (crate::io::Content::Nodes(_), false) => {
            }
            (crate::io::Content::Overlay(o), true) if o.n_vertices == o.n_frames => {}
            (c, true) => {
                return Err(format!(
                    "{what}: not a region routing matrix (read as {}; name it …matrix.npy or give N×N numbers)",
                    c.kind()
                ));
            }
            (c, false) => return Err(format!("{what}: not a node file (read as {})", c.kind())),
        }
        scene.add(l)?;
    }
    let (src, mat) = scene.region_matrix.clone().ok_or("no region matrix")?;
    let nodes = crate::routing::scene::region_centres(scene)?;
    if a.frame >= mat.frames() {
        return Err(format!(
            "--frame {}: {src} has {} frame(s)",
            a.frame,
            mat.frames()
        ));
    }
    let arcs = mat.top_k(mat.frame(a.frame), a.top_k, a.threshold);
    let out = json!({
        "matrix": src,
        "regions": mat.n(),
        "frames": mat.frames(),
        "frame": a.frame,
        "nodes": scene.region_nodes.as_ref().filter(|(_, n)| n.names.len() == mat.n()).map_or("parcellation".to_string(), |(s, _)| s.clone()),
        "top_k": a.top_k,
        "threshold": a.threshold,
        "arcs": arcs.iter().map(|&(i, j, w)| json!({"source": nodes.names[i], "target": nodes.names[j], "weight": w})).collect::<Vec<_>>(),
    });
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{src}: {} regions, frame {}: {} arcs (top {} per region, |w| ≥ {})",
            mat.n(),
            a.frame,
            arcs.len(),
            a.top_k,
            a.threshold
        );
    }
    Ok(())
}

/// Vertices of the region `name` in the scene's labels layers (`lh NAME` / `rh NAME` restrict
/// the hemisphere).
fn roi_vertices(scene: &Scene, name: &str) -> Result<Vec<(Hemisphere, usize)>, String> {
    let (only, bare) = match name.split_once(' ') {
        Some(("lh", r)) => (Some(Hemisphere::Left), r),
        Some(("rh", r)) => (Some(Hemisphere::Right), r),
        _ => (None, name),
    };
    let mut out = Vec::new();
    let mut known = Vec::new();
    for l in &scene.layers {
        let LayerData::Labels { per_hemi, .. } = &l.data else {
            continue;
        };
        for (h, lb) in per_hemi {
            known.extend(lb.regions.iter().map(|r| r.name.clone()));
            if only.is_some_and(|o| o != *h) {
                continue;
            }
            let n = scene.hemis.get(h).map_or(0, |g| g.n_vertices());
            let Ok(dense) = lb.dense(n) else { continue };
            for (v, &r) in dense.iter().enumerate() {
                if r >= 0 && lb.regions[r as usize].name.eq_ignore_ascii_case(bare) {
                    out.push((*h, v));
                }
            }
        }
    }
    if out.is_empty() {
        known.sort();
        known.dedup();
        return Err(if known.is_empty() {
            format!("ROI {name:?}: no annotation or label file is loaded")
        } else {
            format!(
                "ROI {name:?} is not a region of the loaded labels (they have: {})",
                known.join(", ")
            )
        });
    }
    Ok(out)
}

fn write_brush(
    a: &RoutingArgs,
    out_path: &std::path::Path,
    source: &Source,
    brush: Brush,
    per_hemi: BTreeMap<Hemisphere, Vec<f32>>,
) -> Result<(), String> {
    let lower = out_path.to_string_lossy().to_ascii_lowercase();
    let mut written = Vec::new();
    if lower.ends_with(".npy") {
        let all: Vec<f32> = per_hemi.values().flatten().copied().collect();
        let o = crate::brain::data::Overlay::new(all.len(), 1, all);
        let mut buf = Vec::new();
        crate::io::npy::write(&o, &mut buf).map_err(|e| e.to_string())?;
        crate::io::atomic_write(out_path, &buf)
            .map_err(|e| format!("{}: {e}", out_path.display()))?;
        written.push(out_path.display().to_string());
    } else if lower.ends_with(".mgh") || lower.ends_with(".mgz") {
        let dir = out_path.parent().map(PathBuf::from).unwrap_or_default();
        let name = out_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (h, v) in &per_hemi {
            let p = dir.join(format!("{}.{name}", crate::selectivity::hemi_tag(*h)));
            let o = crate::brain::data::Overlay::new(v.len(), 1, v.clone());
            crate::io::atomic_write(&p, &crate::io::mgh::write_overlay(&o))
                .map_err(|e| format!("{}: {e}", p.display()))?;
            written.push(p.display().to_string());
        }
    } else {
        return Err(format!(
            "{}: the brush overlay is written as .npy or .mgh",
            out_path.display()
        ));
    }
    let max = per_hemi.values().flatten().fold(0f32, |m, &x| m.max(x));
    let counts: serde_json::Map<String, Value> = per_hemi
        .iter()
        .map(|(h, v)| {
            (
                crate::selectivity::hemi_tag(*h).to_string(),
                json!(v.iter().filter(|&&x| x >= 0.1).count()),
            )
        })
        .collect();
    let out = json!({
        "source": match source { Source::Prf(..) => "prf", Source::Weights(..) => "weights" },
        "brush": brush,
        "vertices": counts,
        "max": max,
        "out": written,
    });
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "wrote {}; vertices with ≥ 10% of their weight in the brush: {}",
            written.join(", "),
            Value::Object(counts)
        );
    }
    Ok(())
}

/// The heatmap over the image (or a dark background), hot colours with opacity by value.
pub fn heatmap_png(h: &Heatmap, image: Option<&image::RgbImage>) -> image::RgbImage {
    let cmap = crate::brain::colormap::Colormap::by_name("hot").expect("built in");
    let (w, ht) = match image {
        Some(i) => (i.width(), i.height()),
        None => (512, ((512 * h.height) / h.width.max(1)).max(1) as u32),
    };
    let max = h.values.iter().fold(0f32, |m, &x| m.max(x)).max(1e-12);
    image::RgbImage::from_fn(w, ht, |x, y| {
        // bilinear in the grid
        let fx =
            ((x as f32 + 0.5) / w as f32 * h.width as f32 - 0.5).clamp(0.0, (h.width - 1) as f32);
        let fy = ((y as f32 + 0.5) / ht as f32 * h.height as f32 - 0.5)
            .clamp(0.0, (h.height - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(h.width - 1), (y0 + 1).min(h.height - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let at = |r: usize, c: usize| h.values[r * h.width + c];
        let v = (at(y0, x0) * (1.0 - tx) + at(y0, x1) * tx) * (1.0 - ty)
            + (at(y1, x0) * (1.0 - tx) + at(y1, x1) * tx) * ty;
        let t = v / max;
        let base = image.map_or([30u8, 30, 34], |i| {
            let p = i.get_pixel(x, y).0;
            // dim the stimulus so the heatmap reads
            p.map(|c| (c as f32 * 0.6) as u8)
        });
        let c = cmap.at(t);
        let a = (t * 0.85).clamp(0.0, 0.85);
        image::Rgb(std::array::from_fn(|k| {
            (base[k] as f32 * (1.0 - a) + c[k] as f32 * a) as u8
        }))
    })
}
