//! `cortexplorer percept` and `cortexplorer plan`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde_json::{Value, json};

use crate::brain::Hemisphere;
use crate::brain::fsaverage5;
use crate::brain::scene::Scene;
use crate::io::{self, Content, electrodes};
use crate::percept::phosphene::{Model, Phosphene};
use crate::percept::render::{self, Grid};
use crate::percept::retinotopy::WedgeDipole;
use crate::percept::surface::SurfaceRetinotopy;
use crate::planning::plan::{self, PlanConfig};
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
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// With --map surface: the surface the RAS positions refer to (default: fsaverage5 with the
    /// approximate template on both hemispheres).
    #[arg(long)]
    surface: Option<PathBuf>,
    /// With --map surface: a FreeSurfer subject or fMRIPrep anat folder; its pial surfaces and
    /// retinotopy (neuropythy's benson14_*/inferred_* maps, else the template on sphere.reg).
    /// Positions in scanner RAS when the subject has mri/orig.mgz (as `plan --subject` exports).
    #[arg(long)]
    subject: Option<PathBuf>,
    /// With --surface: neuropythy-style polar angle, eccentricity and visual-area maps
    /// (e.g. lh.benson14_angle.mgz, lh.benson14_eccen.mgz, lh.benson14_varea.mgz).
    #[arg(long)]
    angle: Option<PathBuf>,
    /// With --surface: the eccentricity map (degrees).
    #[arg(long)]
    eccen: Option<PathBuf>,
    /// With --surface: the visual-area map (1 = V1, 2 = V2, 3 = V3).
    #[arg(long)]
    varea: Option<PathBuf>,
}

fn overlay(path: &Path) -> Result<Vec<f32>, String> {
    match io::load(path).map_err(|e| e.to_string())?.content {
        Content::Overlay(o) => Ok(o.frame(0).to_vec()),
        Content::Volume(v) if v.shape.iter().skip(1).all(|&d| d == 1) => Ok(v.values().to_vec()),
        other => Err(format!(
            "{}: expected a per-vertex map, found {}",
            path.display(),
            other.kind()
        )),
    }
}

/// Retinotopy sources for `--map surface`.
fn surface_maps(a: &PerceptArgs) -> Result<(Vec<SurfaceRetinotopy>, String, Scene), String> {
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
        return Ok((
            vec![r],
            format!("user maps on {}", s.display()),
            Scene::new(),
        ));
    }
    let scene = match &a.subject {
        Some(d) => crate::brain::subject::scene(d)?,
        None => fsaverage5::scene()?,
    };
    let (out, note) = crate::percept::surface::scene_maps(&scene)?;
    let on = match &a.subject {
        Some(d) => format!("{} pial", d.display()),
        None => "fsaverage5 pial".into(),
    };
    Ok((out, format!("{note} on {on}"), scene))
}

pub fn percept(a: PerceptArgs) -> Result<(), String> {
    let start = Instant::now();
    let model = Model::named(&a.model, a.rho_um)
        .ok_or_else(|| format!("--model {:?}: expected scoreboard or dynaphos", a.model))?;
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
    let coords = if analytic.is_some() {
        electrodes::Coords::Flat
    } else {
        electrodes::Coords::Ras
    };
    let is_csv = a
        .electrodes
        .extension()
        .is_none_or(|e| e.eq_ignore_ascii_case("csv"));
    let subject = match &a.subject {
        Some(d) if analytic.is_none() => Some(crate::brain::subject::discover(d)?.1),
        Some(_) => return Err("--subject needs --map surface".into()),
        None => None,
    };
    // positions in the subject's export space (scanner RAS) back to its surface RAS
    let to_surface = |p: [f64; 3]| subject.as_ref().map_or(p, |s| s.from_scanner(p));
    let list = if coords == electrodes::Coords::Ras && !is_csv {
        // a plan, Slicer markups or BIDS electrodes.tsv exported by `plan`
        crate::planning::export::import_points(&a.electrodes)?
            .into_iter()
            .map(|p| electrodes::ElectrodeSpec {
                name: p.name,
                pos: to_surface(p.ras),
                hemisphere: None,
                stimulus: None,
            })
            .collect()
    } else {
        let mut l = electrodes::read(&a.electrodes, coords).map_err(|e| e.to_string())?;
        if coords == electrodes::Coords::Ras {
            for e in &mut l {
                e.pos = to_surface(e.pos);
            }
        }
        l
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
            let (maps, note, _) = surface_maps(&a)?;
            retinotopy = note;
            for e in &list {
                let Some((_, hit)) = crate::percept::surface::locate_any(&maps, e.pos) else {
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
                        let p = model.phosphene_with_magnification(
                            f,
                            hit.magnification,
                            e.stimulus.unwrap_or(default_stim(&model)),
                        );
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
    /// A FreeSurfer subject directory or fMRIPrep anat folder to plan on (default: the embedded
    /// fsaverage5). Overrides `[scene] subject`.
    #[arg(long)]
    subject: Option<PathBuf>,
    /// auto | template | a group of loaded maps (benson14, inferred) | ANGLE,ECCEN,VAREA[,SIGMA]
    /// (per-vertex files: MGH/MGZ, GIFTI, curv, NPY; the other hemisphere's files are found by
    /// swapping lh/rh or hemi-L/hemi-R). Overrides `[scene] retinotopy`.
    #[arg(long)]
    retinotopy: Option<String>,
    /// generated | none | a vessel graph (VesselGraph CSV, Voreen, VTK, SWC) | a mask volume
    /// MASK.nii.gz[:THRESHOLD] (NIfTI/MGZ, vessel where > THRESHOLD, default 0.5), in the
    /// subject's scanner RAS when it has mri/orig.mgz. Overrides `[scene] vessels`.
    #[arg(long)]
    vessels: Option<String>,
    /// Target visual areas, e.g. V1 or V1,V2. Overrides `[scene] areas`.
    #[arg(long, value_delimiter = ',')]
    areas: Option<Vec<String>>,
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
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

pub fn plan(a: PlanArgs) -> Result<(), String> {
    let mut cfg = match &a.config {
        Some(p) => PlanConfig::load(p)?,
        None => PlanConfig::try_embedded_default()?,
    };
    if let Some(s) = &a.subject {
        cfg.scene.subject = Some(s.clone());
    }
    if let Some(r) = &a.retinotopy {
        cfg.scene.retinotopy = r.clone();
    }
    if let Some(v) = &a.vessels {
        cfg.scene.vessels = v.clone();
    }
    if let Some(ar) = &a.areas {
        cfg.scene.areas = ar.clone();
    }
    cfg.validate()?;
    let mut scene = match &cfg.scene.subject {
        Some(d) => crate::brain::subject::scene(d)?,
        None => fsaverage5::scene()?,
    };
    crate::brain::subject::plannable(&scene, &cfg.scene.hemispheres)?;
    let asked = cfg.scene.retinotopy.clone();
    cfg.scene.retinotopy = crate::open::load_retinotopy_files(&mut scene, &cfg.scene.retinotopy)?;
    let quiet = a.json;
    let (report, mut saved) = plan::run(
        &cfg,
        &scene,
        &mut |p| {
            if !quiet && p.iteration % 50 == 0 {
                eprintln!("iteration {:4}  loss {:.6}", p.iteration, p.loss);
            }
        },
        &|| false,
    )?;
    // the saved plan names the maps as given (files), so `evaluate` can load them again
    saved.config.scene.retinotopy = asked;
    if let Some(out) = &a.out {
        export::write_plan_json(&saved, out)?;
    }
    if let Some(p) = &a.csv {
        io::atomic_write(p, export::csv(&report.electrodes).as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(p) = &a.slicer {
        let v = export::slicer_markups(
            &report.electrodes,
            &format!("Cortexplorer plan ({})", report.coordinates),
        );
        io::atomic_write(p, serde_json::to_string_pretty(&v).unwrap().as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(prefix) = &a.bids {
        let (space, description) = plan::bids_space(&scene);
        let (tsv, coords) = export::bids(
            &report.electrodes,
            saved.layout.device.contact_area_mm2(),
            &space,
            &description,
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
        let hemis = plan::hemispheres(
            &scene,
            &cfg.scene.hemispheres,
            &cfg.scene.retinotopy,
            &cfg.areas()?,
        )?;
        let (vessels, _, _) = plan::load_vessels(&cfg, &scene)?;
        let p = plan::problem(&cfg, hemis, vessels)?;
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
            "{} iterations in {:.2} s; subject: {}; retinotopy: {}; areas: {}; vessels: {} ({}); coordinates: {}",
            report.iterations,
            report.seconds,
            report.subject,
            report.retinotopy,
            report.areas.join(","),
            report.vessels.source,
            report.vessels.detail,
            report.coordinates
        );
        println!("{}", score_table(&report));
        if let Some(r) = &report.reading {
            print!("{}", super::evaluate::text(r));
        }
    }
    Ok(())
}

/// The layouts of a report as a small aligned table: SSIM and MSE per task, vessel-margin
/// violations, the smallest contact–vessel distance (mm, 2 decimals), grey-matter violations
/// and coverage (what `plan` prints without `--json`).
pub fn score_table(report: &crate::planning::plan::Report) -> String {
    use comfy_table::{CellAlignment, Table, presets};
    let rows: Vec<(&str, &crate::planning::optimize::Scores)> = [
        ("percept-aware", &report.percept_aware),
        ("coverage", &report.coverage_baseline),
        ("random", &report.random_baseline),
    ]
    .into_iter()
    .chain(
        report
            .independent_snapped
            .as_ref()
            .map(|s| ("independent, snapped", s)),
    )
    .collect();
    let tasks: Vec<&String> = report.percept_aware.ssim.keys().collect();
    let mut table = Table::new();
    table.load_style(presets::ASCII_HORIZONTAL_ONLY);
    let mut header = vec!["layout".to_string()];
    header.extend(tasks.iter().map(|t| format!("SSIM {t}")));
    header.extend(tasks.iter().map(|t| format!("MSE {t}")));
    header.extend(
        [
            "margin viol.",
            "min vessel mm",
            "grey-matter viol.",
            "coverage",
        ]
        .map(String::from),
    );
    table.set_header(header);
    for (name, s) in rows {
        let mut row = vec![name.to_string()];
        row.extend(
            tasks
                .iter()
                .map(|t| s.ssim.get(*t).map_or("–".into(), |v| format!("{v:.3}"))),
        );
        row.extend(
            tasks
                .iter()
                .map(|t| s.mse.get(*t).map_or("–".into(), |v| format!("{v:.4}"))),
        );
        row.push(s.margin_violations.to_string());
        row.push(
            s.min_vessel_distance_mm
                .map_or("–".into(), |d| format!("{d:.2}")),
        );
        row.push(s.gray_matter_violations.to_string());
        row.push(format!("{:.1}%", 100.0 * s.coverage));
        table.add_row(row);
    }
    for c in table.column_iter_mut().skip(1) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    table.to_string()
}
