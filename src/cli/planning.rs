//! `cortexplorer percept` and `cortexplorer plan`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};

use crate::brain::fsaverage5;
use crate::brain::scene::Scene;
use crate::brain::surface::SurfaceKind;
use crate::brain::{Hemisphere, Surface};
use crate::io::{self, Content, electrodes};
use crate::percept::phosphene::{Dynaphos, Model, Phosphene};
use crate::percept::render::{self, Grid};
use crate::percept::retinotopy::WedgeDipole;
use crate::percept::surface::SurfaceRetinotopy;
use crate::planning::plan::{self, PlanConfig};
use crate::planning::template::V1Template;
use crate::planning::{export, tasks};

/// Field conventions, repeated in every JSON output.
pub const CONVENTIONS: &str = "visual field in degrees, x to the right, y up (pulse2percept's convention); the left hemisphere sees the right visual field (x > 0); flat cortical coordinates (x_mm, y_mm) run along the horizontal meridian from the foveal confluence (x) and across it, negative y for the upper visual field";

#[derive(Args)]
pub struct PerceptArgs {
    /// Electrodes: CSV with x_mm,y_mm[,hemisphere] for the analytic maps; for `surface`, RAS mm
    /// as CSV (x,y,z or x_ras_mm,…), a plan (.json), Slicer markups (.mrk.json) or BIDS (.tsv).
    #[arg(long)]
    electrodes: PathBuf,
    /// polimeni | dynaphos-dipole | p2p-dynaphos (analytic maps, flat mm) | surface (RAS mm)
    #[arg(long, default_value = "polimeni")]
    map: String,
    /// scoreboard | dynaphos
    #[arg(long, default_value = "scoreboard")]
    model: String,
    /// Current for every electrode without a current_ua column (dynaphos), µA.
    #[arg(long, default_value_t = 100.0)]
    current_ua: f64,
    /// Spatial decay of the scoreboard model, µm.
    #[arg(long, default_value_t = 200.0)]
    rho_um: f64,
    /// Width of the visual field shown, degrees.
    #[arg(long, default_value_t = 16.0)]
    fov_deg: f64,
    /// Percept image size (pixels, square).
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Write the percept as a PNG.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    /// With --map surface: the surface the RAS positions refer to (default: fsaverage5 with the
    /// approximate V1 template on both hemispheres).
    #[arg(long)]
    surface: Option<PathBuf>,
    /// With --surface: neuropythy-style polar angle, eccentricity and visual-area maps
    /// (e.g. lh.benson14_angle.mgz, lh.benson14_eccen.mgz, lh.benson14_varea.mgz).
    #[arg(long)]
    angle: Option<PathBuf>,
    #[arg(long)]
    eccen: Option<PathBuf>,
    #[arg(long)]
    varea: Option<PathBuf>,
}

fn overlay(path: &Path) -> Result<Vec<f32>, String> {
    match io::load(path).map_err(|e| e.to_string())?.content {
        Content::Overlay(o) => Ok(o.frame(0).to_vec()),
        Content::Volume(v) if v.shape.iter().skip(1).all(|&d| d == 1) => Ok(v.data),
        other => Err(format!(
            "{}: expected a per-vertex map, found {}",
            path.display(),
            other.kind()
        )),
    }
}

/// Retinotopy sources for `--map surface`.
fn surface_maps(
    a: &PerceptArgs,
    map: WedgeDipole,
) -> Result<(Vec<SurfaceRetinotopy>, String), String> {
    if let Some(s) = &a.surface {
        let l = io::load(s).map_err(|e| e.to_string())?;
        let hemi = l.hemisphere.unwrap_or(Hemisphere::Left);
        let Content::Surface(surf) = l.content else {
            return Err(format!("{}: not a surface", s.display()));
        };
        let need = |p: &Option<PathBuf>, what: &str| {
            p.clone().ok_or_else(|| format!("--surface needs --{what}"))
        };
        let r = SurfaceRetinotopy::new(
            hemi,
            surf,
            overlay(&need(&a.angle, "angle")?)?,
            overlay(&need(&a.eccen, "eccen")?)?,
            overlay(&need(&a.varea, "varea")?)?,
        )?;
        return Ok((vec![r], format!("user maps on {}", s.display())));
    }
    let mut scene = Scene::new();
    for l in fsaverage5::load().map_err(|e| e.to_string())? {
        scene.add(l)?;
    }
    let mut out = Vec::new();
    for h in [Hemisphere::Left, Hemisphere::Right] {
        let g = &scene.hemis[&h];
        let s = |k| g.surfaces[&k].clone();
        let pial: std::sync::Arc<Surface> = s(SurfaceKind::Pial);
        let sulc = match &scene.layer_by_name("sulc").unwrap().data {
            crate::brain::scene::LayerData::Overlay { per_hemi, .. } => per_hemi[&h].values.clone(),
            _ => unreachable!(),
        };
        let t = V1Template::build(
            h,
            &pial,
            &s(SurfaceKind::White),
            &s(SurfaceKind::Sphere),
            &sulc,
            map,
        )?;
        out.push(SurfaceRetinotopy::new(
            h,
            (*pial).clone(),
            t.angle.values,
            t.eccen.values,
            t.varea.values,
        )?);
    }
    Ok((
        out,
        "approximate V1 template on fsaverage5 pial (generated; see planning::template)".into(),
    ))
}

pub fn percept(a: PerceptArgs) -> Result<(), String> {
    let start = Instant::now();
    let model = match a.model.as_str() {
        "scoreboard" => Model::Scoreboard { rho_um: a.rho_um },
        "dynaphos" => Model::Dynaphos(Dynaphos::default()),
        m => return Err(format!("--model {m:?}: expected scoreboard or dynaphos")),
    };
    if !(a.rho_um > 0.0
        && a.current_ua >= 0.0
        && a.fov_deg > 0.0
        && a.fov_deg <= 180.0
        && (8..=4096).contains(&a.size))
    {
        return Err(
            "--rho-um must be > 0, --current-ua ≥ 0, --fov-deg in (0, 180], --size in 8..4096"
                .into(),
        );
    }
    let analytic = match a.map.as_str() {
        "surface" => None,
        m => Some(WedgeDipole::named(m).ok_or_else(|| {
            format!(
                "--map {m:?}: expected surface or one of {}",
                WedgeDipole::NAMES.join(", ")
            )
        })?),
    };
    let map = analytic.unwrap_or(WedgeDipole::POLIMENI);
    let coords = if analytic.is_some() {
        electrodes::Coords::Flat
    } else {
        electrodes::Coords::Ras
    };
    let is_csv = a
        .electrodes
        .extension()
        .is_none_or(|e| e.eq_ignore_ascii_case("csv"));
    let list = if coords == electrodes::Coords::Ras && !is_csv {
        // a plan, Slicer markups or BIDS electrodes.tsv exported by `plan`
        crate::planning::export::import_points(&a.electrodes)?
            .into_iter()
            .map(|p| electrodes::ElectrodeSpec {
                name: p.name,
                pos: p.ras,
                hemisphere: None,
                stimulus: None,
            })
            .collect()
    } else {
        electrodes::read(&a.electrodes, coords).map_err(|e| e.to_string())?
    };
    let default_stim = |m: &Model| match m {
        Model::Scoreboard { .. } => 1.0,
        Model::Dynaphos(_) => a.current_ua,
    };
    let mut phos = Vec::new();
    let mut rows = Vec::new();
    let mut without = Vec::new();
    let retinotopy;
    match analytic {
        Some(m) => {
            retinotopy = format!(
                "wedge-dipole k={} a={} b={} alpha1={}",
                m.k, m.a, m.b, m.alpha1
            );
            for e in &list {
                let hemi = e.hemisphere.unwrap_or(Hemisphere::Left);
                match m.to_field(hemi, e.pos[0], e.pos[1]) {
                    Some(f) => {
                        let p = model.phosphene(&m, f, e.stimulus.unwrap_or(default_stim(&model)));
                        rows.push((e.name.clone(), p));
                        phos.push(p);
                    }
                    None => {
                        return Err(format!(
                            "{}: electrode {} at ({}, {}) mm lies outside V1 of the map",
                            a.electrodes.display(),
                            e.name,
                            e.pos[0],
                            e.pos[1]
                        ));
                    }
                }
            }
        }
        None => {
            let (maps, note) = surface_maps(&a, map)?;
            retinotopy = note;
            for e in &list {
                let hits: Vec<_> = maps
                    .iter()
                    .filter_map(|m| m.locate(e.pos).map(|h| (m, h)))
                    .collect();
                let Some((_, hit)) = hits
                    .into_iter()
                    .min_by(|x, y| x.1.distance_mm.total_cmp(&y.1.distance_mm))
                else {
                    without
                        .push(json!({"electrode": e.name, "reason": "no cortical surface nearby"}));
                    continue;
                };
                if hit.distance_mm > 5.0 {
                    return Err(format!(
                        "{}: electrode {} at ({:.1}, {:.1}, {:.1}) is {:.1} mm from the cortical surface (outside the brain?)",
                        a.electrodes.display(),
                        e.name,
                        e.pos[0],
                        e.pos[1],
                        e.pos[2],
                        hit.distance_mm
                    ));
                }
                match hit.field {
                    Some(f) => {
                        let p =
                            model.phosphene(&map, f, e.stimulus.unwrap_or(default_stim(&model)));
                        rows.push((e.name.clone(), p));
                        phos.push(p);
                    }
                    None => without.push(json!({"electrode": e.name, "reason": "not in V1"})),
                }
            }
        }
    }
    let grid = Grid {
        width: a.size,
        height: a.size,
        fov_deg: a.fov_deg,
        centre: [0.0, 0.0],
    };
    let img = render::render(&grid, &phos);
    if let Some(out) = &a.out {
        write_grey_png(out, &img, a.size, a.size)?;
    }
    let report = json!({
        "map": a.map,
        "model": model.name(),
        "retinotopy": retinotopy,
        "conventions": CONVENTIONS,
        "field": {"fov_deg": a.fov_deg, "size": a.size},
        "phosphenes": rows.iter().map(|(n, p)| phosphene_json(n, p)).collect::<Vec<_>>(),
        "without_phosphene": without,
        "seconds": start.elapsed().as_secs_f64(),
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "{} phosphenes ({} electrodes without one); {}",
            rows.len(),
            without.len(),
            retinotopy
        );
        for (n, p) in &rows {
            println!(
                "  {n:>8}: ({:7.3}, {:7.3}) deg  σ {:.4} deg  brightness {:.3}",
                p.x_deg, p.y_deg, p.sigma_deg, p.brightness
            );
        }
        if let Some(o) = &a.out {
            println!("percept written to {}", o.display());
        }
    }
    Ok(())
}

fn phosphene_json(name: &str, p: &Phosphene) -> Value {
    json!({"electrode": name, "x_deg": p.x_deg, "y_deg": p.y_deg, "sigma_deg": p.sigma_deg, "brightness": p.brightness})
}

pub fn write_grey_png(path: &Path, img: &[f32], w: usize, h: usize) -> Result<(), String> {
    let bytes: Vec<u8> = img
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let buf = image::GrayImage::from_raw(w as u32, h as u32, bytes).ok_or("image size mismatch")?;
    buf.save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Args)]
pub struct PlanArgs {
    /// Planning configuration (TOML; default: the bundled assets/plan.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write the plan (all parameters, model, coordinates) as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the contacts as CSV, 3D Slicer markups and/or BIDS iEEG files.
    #[arg(long)]
    csv: Option<PathBuf>,
    #[arg(long)]
    slicer: Option<PathBuf>,
    /// Prefix for BIDS files: PREFIX_electrodes.tsv and PREFIX_coordsystem.json.
    #[arg(long)]
    bids: Option<PathBuf>,
    /// Write target/percept images (PNG) of the optimised plan into this folder.
    #[arg(long)]
    images: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn plan(a: PlanArgs) -> Result<(), String> {
    let cfg = match &a.config {
        Some(p) => PlanConfig::load(p)?,
        None => PlanConfig::try_embedded_default()?,
    };
    let mut scene = Scene::new();
    for l in fsaverage5::load().map_err(|e| e.to_string())? {
        scene.add(l)?;
    }
    let quiet = a.json;
    let (report, saved) = plan::run(&cfg, &scene, &mut |p| {
        if !quiet && p.iteration % 50 == 0 {
            eprintln!("iteration {:4}  loss {:.6}", p.iteration, p.loss);
        }
        true
    })?;
    if let Some(out) = &a.out {
        export::write_plan_json(&saved, out)?;
    }
    if let Some(p) = &a.csv {
        io::atomic_write(p, export::csv(&report.electrodes).as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.slicer {
        let v = export::slicer_markups(&report.electrodes, "Cortexplorer plan");
        io::atomic_write(p, serde_json::to_string_pretty(&v).unwrap().as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(prefix) = &a.bids {
        let (tsv, coords) = export::bids(
            &report.electrodes,
            saved.layout.device.contact_area_mm2(),
            "fsaverage",
        );
        let base = prefix.display().to_string();
        io::atomic_write(Path::new(&format!("{base}_electrodes.tsv")), tsv.as_bytes())
            .map_err(|e| format!("{base}_electrodes.tsv: {e}"))?;
        io::atomic_write(
            Path::new(&format!("{base}_coordsystem.json")),
            serde_json::to_string_pretty(&coords).unwrap().as_bytes(),
        )
        .map_err(|e| format!("{base}_coordsystem.json: {e}"))?;
    }
    if let Some(dir) = &a.images {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let hemis = plan::hemispheres(&scene, &cfg.scene.hemispheres, cfg.wedge()?)?;
        let vessels = (cfg.scene.vessels == "generated").then(|| {
            plan::generated_vessels(&scene, &cfg.scene.hemispheres, cfg.scene.vessel_seed)
        });
        let p = plan::problem(&cfg, hemis, vessels.as_ref())?;
        let coverage = p.coverage_layout(saved.layout.device, cfg.electrodes.count);
        for task in &p.tasks {
            for t in &task.targets {
                let safe: String = t
                    .name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                let (g, w) = (&p.grid, p.grid.width);
                write_grey_png(
                    &dir.join(format!("{}_{safe}_target.png", task.name)),
                    &t.pixels,
                    w,
                    g.height,
                )?;
                write_grey_png(
                    &dir.join(format!("{}_{safe}_percept_aware.png", task.name)),
                    &p.percept(&saved.layout, &t.pixels).0,
                    w,
                    g.height,
                )?;
                write_grey_png(
                    &dir.join(format!("{}_{safe}_coverage.png", task.name)),
                    &p.percept(&coverage, &t.pixels).0,
                    w,
                    g.height,
                )?;
            }
        }
        let _ = tasks::IMAGES;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "{} iterations in {:.2} s; retinotopy: {}; vessels: {}",
            report.iterations, report.seconds, report.retinotopy, report.vessels
        );
        for (name, s) in [
            ("percept-aware", &report.percept_aware),
            ("coverage baseline", &report.coverage_baseline),
            ("random baseline", &report.random_baseline),
        ]
        .into_iter()
        .chain(
            report
                .independent_snapped
                .as_ref()
                .map(|s| ("independent, snapped", s)),
        ) {
            println!(
                "{name:>22}: SSIM {:?}  MSE {:?}  margin violations {}  min vessel distance {:?} mm  grey-matter violations {}  coverage {:.1}%",
                s.ssim,
                s.mse,
                s.margin_violations,
                s.min_vessel_distance_mm
                    .map(|d| (d * 100.0).round() / 100.0),
                s.gray_matter_violations,
                100.0 * s.coverage
            );
        }
    }
    Ok(())
}
