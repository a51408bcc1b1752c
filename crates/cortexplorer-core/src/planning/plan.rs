//! A planning run from a TOML configuration: build the problem on a scene, optimise, run the
//! baselines, and report. Shared by `cortexplorer plan` and the planning panel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::domain::Domain;
use super::electrodes::{Device, Placement};
use super::optimize::{Layout, OptOptions, Problem, Scores, Vessels};
use super::tasks;
use crate::brain::Hemisphere;
use crate::brain::scene::Scene;
use crate::brain::surface::SurfaceKind;
use crate::brain::vessels::{VesselGraph, VesselIndex};
use crate::percept::maps::RetinoMaps;
use crate::percept::phosphene::Model;
use crate::percept::render::Grid;
use crate::percept::resolve;
use crate::percept::retinotopy::WedgeDipole;

/// The whole configuration (`assets/plan.toml` is the default). Unknown keys are errors.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanConfig {
    pub scene: SceneConfig,
    pub field: FieldConfig,
    pub model: ModelConfig,
    pub electrodes: ElectrodeConfig,
    pub constraints: Constraints,
    pub tasks: TaskConfig,
    pub optimizer: OptOptions,
    pub objective: ObjectiveConfig,
    pub evaluation: EvaluationConfig,
}

/// What the optimiser minimises (`[objective]`): weights of the terms and the reading term's
/// training distribution. See `docs/prosthesis-model.md`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObjectiveConfig {
    /// weight of the letter-discriminability term (`optimize::ReadingTask`); 0 turns it off
    pub reading: f64,
    /// weight of the letter-legibility term (the naive observer's cross-entropy on the same
    /// training conditions, `optimize::ReadingTask`); 0 turns it off
    pub legibility: f64,
    /// weight of the pixel error on `[tasks] letters`
    pub letters: f64,
    /// weight of the pixel error on the natural images (bundled and `user_images`)
    pub images: f64,
    /// reading term: training conditions (letter size and position pairs), drawn once
    pub reading_conditions: usize,
    /// reading term: letter sizes (cap height, degrees), log-uniform between these
    pub reading_sizes_deg: [f64; 2],
    /// reading term: letter centres uniform in a disc of this radius about fixation (degrees)
    pub reading_radius_deg: f64,
    /// reading term: the observer noise it assumes (per 0.05° pixel, as `[evaluation.observer]`)
    pub reading_noise: f64,
}

impl Default for ObjectiveConfig {
    fn default() -> Self {
        ObjectiveConfig {
            reading: 1.0,
            legibility: 10.0,
            letters: 0.0,
            images: 0.25,
            reading_conditions: 10,
            reading_sizes_deg: [1.5, 5.0],
            reading_radius_deg: 2.2,
            reading_noise: 1.0,
        }
    }
}

/// What the report measures besides the training tasks.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluationConfig {
    /// the `reading` block: held-out letters read by the ideal and naive observers
    /// (`planning::reading`, `planning::evaluate`)
    pub reading: bool,
    /// also the electrode equivalent and the robustness checks (jitter, dropout)
    pub full: bool,
    /// the observers, sizes, positions, trials and bootstrap
    pub observer: super::reading::ReadingOptions,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            reading: true,
            full: true,
            observer: Default::default(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SceneConfig {
    pub hemispheres: Vec<Hemisphere>,
    /// A FreeSurfer subject directory or fMRIPrep anat folder to plan on (none: the embedded
    /// fsaverage5). Read by the CLI, which loads it before planning.
    pub subject: Option<PathBuf>,
    /// "auto" (per hemisphere: its own loaded maps when it has any, else the template — the
    /// rule of `percept::resolve`),
    /// "template", a layer group ("benson14", "inferred"), or "ANGLE,ECCEN,VAREA[,SIGMA]"
    /// (layer names, or files the CLI loads)
    pub retinotopy: String,
    /// Target visual areas: "V1", "V2", "V3".
    pub areas: Vec<String>,
    /// "generated", "none", a vessel graph (VesselGraph CSV prefix `…_nodes.csv`, Voreen,
    /// VTK, SWC) or a vessel mask volume (`mask.nii.gz[:THRESHOLD]`)
    pub vessels: String,
    pub vessel_seed: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldConfig {
    pub fov_deg: f64,
    pub centre_deg: [f64; 2],
    pub size: usize,
    pub optimize_size: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// "polimeni", "dynaphos-dipole" or "p2p-dynaphos"
    pub map: String,
    /// "scoreboard" or "dynaphos"
    pub phosphene: String,
    pub rho_um: f64,
    pub max_current_ua: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElectrodeConfig {
    /// "single", "utah", "thread" or "orion"
    pub device: String,
    /// number of devices (the insertion budget for arrays and threads)
    pub count: usize,
    /// threads: contacts per thread (default 32, 50 µm apart)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constraints {
    pub margin_mm: f64,
    pub avoid_vessels: bool,
    pub vessel_weight: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskConfig {
    pub letters: Vec<String>,
    pub images: bool,
    pub user_images: Vec<PathBuf>,
}

impl Default for SceneConfig {
    fn default() -> Self {
        SceneConfig {
            hemispheres: vec![Hemisphere::Left, Hemisphere::Right],
            subject: None,
            retinotopy: "auto".into(),
            areas: vec!["V1".into()],
            vessels: "generated".into(),
            vessel_seed: 1,
        }
    }
}
impl Default for FieldConfig {
    fn default() -> Self {
        FieldConfig {
            fov_deg: 12.0,
            centre_deg: [0.0, 0.0],
            size: 128,
            optimize_size: 64,
        }
    }
}
impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            map: "polimeni".into(),
            phosphene: "scoreboard".into(),
            rho_um: 200.0,
            max_current_ua: 200.0,
        }
    }
}
impl Default for ElectrodeConfig {
    fn default() -> Self {
        ElectrodeConfig {
            device: "single".into(),
            count: 100,
            contacts: None,
        }
    }
}
impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            margin_mm: 1.0,
            avoid_vessels: true,
            vessel_weight: 0.05,
        }
    }
}
impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig {
            letters: tasks::LETTERS.iter().map(|s| s.to_string()).collect(),
            images: true,
            user_images: Vec::new(),
        }
    }
}

impl PlanConfig {
    /// `assets/plan.toml`, compiled in (the default scene's plan).
    pub const EMBEDDED: &'static str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/plan.toml"
    ));

    /// The embedded default configuration.
    pub fn try_embedded_default() -> Result<PlanConfig, String> {
        Self::from_toml(Self::EMBEDDED, "assets/plan.toml")
    }

    pub fn from_toml(text: &str, what: &str) -> Result<PlanConfig, String> {
        let c: PlanConfig = toml::from_str(text).map_err(|e| {
            format!(
                "{what}: {}",
                crate::io::one_line_message(&e.to_string(), 300)
            )
        })?;
        c.validate().map_err(|e| format!("{what}: {e}"))?;
        Ok(c)
    }
    pub fn load(path: &Path) -> Result<PlanConfig, String> {
        let text = super::export::read_text(path)?;
        PlanConfig::from_toml(&text, &path.display().to_string())
    }
    pub fn validate(&self) -> Result<(), String> {
        if self.scene.hemispheres.is_empty() {
            return Err("scene.hemispheres is empty".into());
        }
        let o = &self.objective;
        if ![
            o.reading,
            o.legibility,
            o.letters,
            o.images,
            o.reading_noise,
        ]
        .iter()
        .all(|w| w.is_finite() && *w >= 0.0)
        {
            return Err("objective weights and reading_noise must be ≥ 0".into());
        }
        if (o.reading > 0.0 || o.legibility > 0.0)
            && !(o.reading_noise > 0.0
                && (1..=64).contains(&o.reading_conditions)
                && o.reading_sizes_deg[0] > 0.05
                && o.reading_sizes_deg[1] >= o.reading_sizes_deg[0]
                && o.reading_sizes_deg[1] <= 30.0
                && (0.0..=20.0).contains(&o.reading_radius_deg))
        {
            return Err("objective: reading_conditions must be 1..64, reading_sizes_deg [lo, hi] with 0.05 < lo ≤ hi ≤ 30, reading_radius_deg 0..20, reading_noise > 0".into());
        }
        if o.reading == 0.0 && o.legibility == 0.0 && o.letters == 0.0 && o.images == 0.0 {
            return Err("objective: every weight is 0 (nothing to optimise)".into());
        }
        if !(self.field.fov_deg > 0.0 && self.field.fov_deg <= 90.0) {
            return Err(format!(
                "field.fov_deg {} must be in (0, 90]",
                self.field.fov_deg
            ));
        }
        if !(8..=1024).contains(&self.field.size) || !(8..=1024).contains(&self.field.optimize_size)
        {
            return Err("field.size and field.optimize_size must be 8..1024".into());
        }
        if self.electrodes.count == 0 || self.electrodes.count > 5000 {
            return Err(format!(
                "electrodes.count {} must be 1..5000",
                self.electrodes.count
            ));
        }
        if !(self.constraints.margin_mm >= 0.0 && self.constraints.margin_mm.is_finite()) {
            return Err("constraints.margin_mm must be ≥ 0".into());
        }
        if self.tasks.letters.is_empty() && !self.tasks.images && self.tasks.user_images.is_empty()
        {
            return Err("the task set is empty: give letters, images = true or user_images".into());
        }
        self.device()?;
        self.wedge()?;
        self.areas()?;
        self.phosphene_model()?;
        Ok(())
    }
    pub fn device(&self) -> Result<Device, String> {
        Ok(match self.electrodes.device.as_str() {
            "single" => Device::Single,
            "utah" => Device::utah(),
            "thread" => match self.electrodes.contacts {
                None => Device::thread(),
                Some(c) if (1..=256).contains(&c) => Device::Thread {
                    contacts: c,
                    spacing_mm: 0.05,
                },
                Some(c) => return Err(format!("electrodes.contacts {c} must be 1..256")),
            },
            "orion" => Device::orion(),
            d => {
                return Err(format!(
                    "electrodes.device {d:?} is not single, utah, thread or orion"
                ));
            }
        })
    }
    /// Target areas as numbers (1 = V1), from `scene.areas`.
    pub fn areas(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for a in &self.scene.areas {
            let n = match a.trim().to_ascii_uppercase().as_str() {
                "V1" | "1" => 1,
                "V2" | "2" => 2,
                "V3" | "3" => 3,
                other => {
                    return Err(format!("scene.areas: {other:?} is not V1, V2 or V3"));
                }
            };
            if !out.contains(&n) {
                out.push(n);
            }
        }
        if out.is_empty() {
            return Err("scene.areas is empty: give at least \"V1\"".into());
        }
        out.sort();
        Ok(out)
    }
    pub fn wedge(&self) -> Result<WedgeDipole, String> {
        WedgeDipole::named(&self.model.map).ok_or_else(|| {
            format!(
                "model.map {:?} is not one of {}",
                self.model.map,
                WedgeDipole::NAMES.join(", ")
            )
        })
    }
    pub fn phosphene_model(&self) -> Result<Model, String> {
        Model::named(&self.model.phosphene, self.model.rho_um).ok_or_else(|| {
            format!(
                "model.phosphene {:?} is not scoreboard or dynaphos",
                self.model.phosphene
            )
        })
    }
    pub fn grid(&self, size: usize) -> Grid {
        Grid {
            width: size,
            height: size,
            fov_deg: self.field.fov_deg,
            centre: self.field.centre_deg,
        }
    }
}

/// Per-hemisphere geometry the planner needs, taken from a scene.
pub struct Hemi {
    pub hemi: Hemisphere,
    pub maps: RetinoMaps,
    pub domain: Domain,
}

/// Area names for reports.
pub fn area_name(a: u8) -> &'static str {
    match a {
        1 => "V1",
        2 => "V2",
        3 => "V3",
        _ => "?",
    }
}

/// Build the retinotopy and planning domain of each requested hemisphere.
pub fn hemispheres(
    scene: &Scene,
    which: &[Hemisphere],
    choice: &str,
    areas: &[u8],
) -> Result<Vec<Hemi>, String> {
    which
        .iter()
        .map(|&h| {
            let g = scene
                .hemis
                .get(&h)
                .ok_or_else(|| format!("the scene has no {h:?} hemisphere"))?;
            let get = |k: SurfaceKind| {
                g.surfaces.get(&k).ok_or_else(|| {
                    format!("{h:?} hemisphere: planning needs the {} surface", k.label())
                })
            };
            let (pial, white, sphere) = (
                get(SurfaceKind::Pial)?,
                get(SurfaceKind::White)?,
                get(SurfaceKind::Sphere)?,
            );
            let maps = resolve::hemisphere(scene, h, choice, resolve::Need::Areas)?;
            let domain = Domain::new(&maps, areas, pial, white, sphere)?;
            Ok(Hemi {
                hemi: h,
                maps,
                domain,
            })
        })
        .collect()
}

/// One line naming the retinotopy of the planned hemispheres.
pub fn retinotopy_note(hemis: &[Hemi]) -> String {
    resolve::note(hemis.iter().map(|h| (h.hemi, h.maps.source.as_str())))
}

/// Generated vessels for the hemispheres of a scene (seeded); see `brain::vessel_gen`.
pub use crate::brain::vessel_gen::for_scene as generated_vessels;

/// The vessels a configuration names, in the scene's surface space: the scene's generated
/// graph, a graph file, or a mask volume (`MASK[:THRESHOLD]`, threshold 0.5 by default).
/// Vessel files of a subject with a scanner transform are taken to be in scanner RAS (as an
/// angiogram registered to the T1 is) and moved into surface RAS.
pub fn load_vessels(
    cfg: &PlanConfig,
    scene: &Scene,
) -> Result<(Option<Vessels>, VesselsNote, Option<VesselGraph>), String> {
    let spec = cfg.scene.vessels.trim();
    let to_surface = scene
        .subject
        .as_ref()
        .and_then(|s| s.tkr_to_scanner.as_ref())
        .map(|(m, _)| glam::DMat4::from_cols_array_2d(m).transpose().inverse());
    match spec {
        "none" | "" => Ok((
            None,
            VesselsNote {
                kind: "none".into(),
                source: "none".into(),
                detail: String::new(),
            },
            None,
        )),
        "generated" => {
            let g = generated_vessels(scene, &cfg.scene.hemispheres, cfg.scene.vessel_seed);
            let note = VesselsNote {
                kind: "generated".into(),
                source: format!("generated (seed {})", cfg.scene.vessel_seed),
                detail: format!("{} segments", g.edges.len()),
            };
            Ok((Some(Vessels::Graph(VesselIndex::new(&g))), note, Some(g)))
        }
        spec => {
            // MASK[:THRESHOLD] — the suffix only when it parses as a number
            let (path, threshold) = match spec.rsplit_once(':') {
                Some((p, t)) if t.trim().parse::<f32>().is_ok() => {
                    (p, Some(t.trim().parse::<f32>().unwrap()))
                }
                _ => (spec, None),
            };
            let path = Path::new(path);
            let csv_pair = path.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.ends_with("_nodes.csv") || n.ends_with("_edges.csv")
            }) || (!path.exists() && path.extension().is_none_or(|e| e != "gz"));
            let loaded = if csv_pair {
                crate::io::Content::Vessels(
                    crate::io::vesselgraph::read_pair(path, [1.0; 3]).map_err(|e| e.to_string())?,
                )
            } else {
                crate::io::load(path).map_err(|e| e.to_string())?.content
            };
            match loaded {
                crate::io::Content::Vessels(mut g) => {
                    if threshold.is_some() {
                        return Err(format!(
                            "{}: a threshold applies to a vessel mask, not a graph",
                            path.display()
                        ));
                    }
                    if let Some(m) = to_surface {
                        for n in &mut g.nodes {
                            let q = m.transform_point3(glam::DVec3::from(n.map(f64::from)));
                            *n = [q.x as f32, q.y as f32, q.z as f32];
                        }
                    }
                    let note = VesselsNote {
                        kind: "graph".into(),
                        source: path.display().to_string(),
                        detail: format!("{} segments", g.edges.len()),
                    };
                    Ok((Some(Vessels::Graph(VesselIndex::new(&g))), note, Some(g)))
                }
                crate::io::Content::Volume(mut v) => {
                    if let Some(m) = to_surface {
                        let a = m * glam::DMat4::from_cols_array_2d(&v.affine).transpose();
                        v.affine = a.transpose().to_cols_array_2d();
                    }
                    let t = threshold.unwrap_or(0.5);
                    let f = crate::brain::vessel_mask::DistanceField::from_mask(&v, t)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let note = VesselsNote {
                        kind: "mask".into(),
                        source: path.display().to_string(),
                        detail: format!(
                            "{} vessel voxels above {t} of {}×{}×{}, voxels {:.2}×{:.2}×{:.2} mm{}",
                            f.vessel_voxels,
                            f.dims()[0],
                            f.dims()[1],
                            f.dims()[2],
                            f.spacing[0],
                            f.spacing[1],
                            f.spacing[2],
                            if f.sheared {
                                " (sheared affine: distances in the voxel-spacing metric)"
                            } else {
                                ""
                            }
                        ),
                    };
                    Ok((Some(Vessels::Mask(std::sync::Arc::new(f))), note, None))
                }
                other => Err(format!(
                    "{}: vessels must be a graph or a mask volume, found {}",
                    path.display(),
                    other.kind()
                )),
            }
        }
    }
}

/// Refuse a vessel mask that lies nowhere near the planning region (wrong space or subject).
pub fn check_vessels_near(vessels: &Option<Vessels>, hemis: &[Hemi]) -> Result<(), String> {
    let Some(Vessels::Mask(f)) = vessels else {
        return Ok(());
    };
    let (lo, hi) = f.bounds;
    let mut nearest = f64::INFINITY;
    for h in hemis {
        let (blo, bhi) = h.domain.ras_bounds();
        let gap: f64 = (0..3)
            .map(|k| (blo[k] - hi[k]).max(lo[k] - bhi[k]).max(0.0).powi(2))
            .sum::<f64>()
            .sqrt();
        nearest = nearest.min(gap);
    }
    if nearest > 20.0 {
        return Err(format!(
            "the vessel mask (vessels from ({:.0}, {:.0}, {:.0}) to ({:.0}, {:.0}, {:.0}) mm) lies {nearest:.0} mm from the planned cortex: is it in this subject's space?",
            lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]
        ));
    }
    Ok(())
}

/// Build the problem.
pub fn problem(
    cfg: &PlanConfig,
    hemis: Vec<Hemi>,
    vessels: Option<Vessels>,
) -> Result<Problem, String> {
    let grid = cfg.grid(cfg.field.size);
    let opt_grid = cfg.grid(cfg.field.optimize_size);
    let make_tasks = |g: &Grid| -> Result<Vec<tasks::Task>, String> {
        let mut out = Vec::new();
        if !cfg.tasks.letters.is_empty() {
            let items: Vec<&str> = cfg.tasks.letters.iter().map(String::as_str).collect();
            out.push(tasks::letters(g, &items)?);
        }
        if cfg.tasks.images {
            out.push(tasks::images(g)?);
        }
        if !cfg.tasks.user_images.is_empty() {
            out.push(tasks::user_images(g, "user", &cfg.tasks.user_images)?);
        }
        Ok(out)
    };
    let o = &cfg.objective;
    let opt_tasks = make_tasks(&opt_grid)?;
    let task_weights = opt_tasks
        .iter()
        .map(|t| {
            if t.name == "letters" {
                o.letters
            } else {
                o.images
            }
        })
        .collect();
    let reading = (o.reading > 0.0 || o.legibility > 0.0)
        .then(|| {
            super::optimize::ReadingTask::new(
                o.reading_conditions,
                o.reading_sizes_deg,
                o.reading_radius_deg,
                cfg.field.centre_deg,
                o.reading_noise,
                [o.reading, o.legibility],
                cfg.optimizer.seed,
            )
        })
        .transpose()?;
    Ok(Problem {
        task_weights,
        reading,
        domains: hemis.into_iter().map(|h| h.domain).collect(),
        vessels,
        tasks: make_tasks(&grid)?,
        opt_tasks,
        grid,
        opt_grid,
        model: cfg.phosphene_model()?,
        max_current_ua: cfg.model.max_current_ua,
        margin_mm: cfg.constraints.margin_mm,
        avoid_vessels: cfg.constraints.avoid_vessels,
        vessel_weight: cfg.constraints.vessel_weight,
    })
}

/// One electrode of the report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElectrodeOut {
    pub id: usize,
    /// device (thread/array) index
    pub thread: usize,
    pub contact: usize,
    pub hemisphere: Hemisphere,
    /// position in the export space (see the report's `coordinates`: scanner RAS when the
    /// subject has a scanner transform, else surface RAS)
    pub ras_mm: [f64; 3],
    /// position on the planning surfaces (FreeSurfer surface RAS)
    #[serde(default)]
    pub surface_ras_mm: Option<[f64; 3]>,
    pub u_mm: f64,
    pub v_mm: f64,
    pub x_deg: Option<f64>,
    pub y_deg: Option<f64>,
    /// visual area of the phosphene ("V1", "V2", "V3")
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub eccentricity_deg: Option<f64>,
    pub depth_fraction: f64,
    pub vessel_distance_mm: Option<f64>,
    pub active: bool,
}

/// The contacts of a layout; `to_export` maps surface RAS to the export space.
pub fn electrodes_of(
    p: &Problem,
    layout: &Layout,
    to_export: &dyn Fn([f64; 3]) -> [f64; 3],
) -> Vec<ElectrodeOut> {
    p.resolve(layout)
        .iter()
        .enumerate()
        .map(|(i, c)| ElectrodeOut {
            id: i,
            thread: c.device,
            contact: c.index,
            hemisphere: c.hemi,
            ras_mm: to_export(c.ras.to_array()),
            surface_ras_mm: Some(c.ras.to_array()),
            u_mm: c.u,
            v_mm: c.v,
            x_deg: c.field.map(|f| f.x),
            y_deg: c.field.map(|f| f.y),
            area: c.area.map(|a| area_name(a).to_string()),
            eccentricity_deg: c.field.map(|f| f.eccentricity()),
            depth_fraction: c.depth_fraction,
            vessel_distance_mm: c.vessel_mm,
            active: c.active(),
        })
        .collect()
}

/// The result of a planning run (the JSON `plan` prints).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub percept_aware: Scores,
    pub coverage_baseline: Scores,
    pub random_baseline: Scores,
    /// threads only: per-contact optimisation snapped onto the same number of threads
    #[serde(skip_serializing_if = "Option::is_none")]
    pub independent_snapped: Option<Scores>,
    pub iterations: usize,
    /// the whole run: optimisation, the seed comparison and the reading evaluation
    pub seconds: f64,
    /// the one optimisation that produced the plan (the figure `docs/planning.md` quotes)
    pub optimize_seconds: f64,
    pub loss_curve: Vec<f64>,
    pub electrodes: Vec<ElectrodeOut>,
    /// the subject folder, or "fsaverage5 (embedded)"
    pub subject: String,
    /// which maps (or the approximate template)
    pub retinotopy: String,
    /// target visual areas
    pub areas: Vec<String>,
    pub vessels: VesselsNote,
    /// the space of every exported position
    pub coordinates: String,
    /// where the optimisation started
    pub start: String,
    /// paired per-target comparison with the coverage baseline over several seeds
    pub comparison: super::compare::Comparison,
    /// held-out letters and images read through every layout (`planning::evaluate`); absent
    /// when `[evaluation] reading = false`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<super::evaluate::ReadingReport>,
}

/// Which vessels constrained the plan.
#[derive(Clone, Debug, Serialize)]
pub struct VesselsNote {
    /// "generated", "graph", "mask" or "none"
    pub kind: String,
    pub source: String,
    /// size, threshold, seed
    pub detail: String,
}

/// The saved plan (`--out plan.json`): everything needed to reproduce and re-import it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    /// the space of the electrodes' `ras_mm` (absent in plans from before subjects: surface RAS)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<String>,
    pub config: PlanConfig,
    pub layout: Layout,
    pub electrodes: Vec<ElectrodeOut>,
}

/// The error of a run stopped by its caller.
pub const CANCELLED: &str = "planning cancelled";

/// Run a full plan on a scene. `progress` sees the optimisation every few iterations;
/// `cancelled` is asked between the steps and by every optimisation (the plan's and the
/// comparison's seeds): when it turns true the run stops and returns `Err(CANCELLED)`
/// (the Python module's Ctrl-C).
pub fn run(
    cfg: &PlanConfig,
    scene: &Scene,
    progress: &mut dyn FnMut(&super::optimize::Progress),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<(Report, SavedPlan), String> {
    run_keeping_problem(cfg, scene, progress, cancelled).map(|(r, s, _)| (r, s))
}

/// [`run`], also returning the problem the plan was made on (its grid, model and tasks: what
/// renders the plan's percepts afterwards, as the Python module's `Plan.percept` does).
pub fn run_keeping_problem(
    cfg: &PlanConfig,
    scene: &Scene,
    progress: &mut dyn FnMut(&super::optimize::Progress),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<(Report, SavedPlan, Problem), String> {
    let start = Instant::now();
    let areas = cfg.areas()?;
    let Built {
        problem: p,
        retinotopy: retinotopy_note,
        vessels: vessels_note,
    } = build(cfg, scene)?;
    let device = cfg.device()?;
    let n = cfg.electrodes.count;
    let coverage = p.coverage_layout(device, n);
    let random = p.random_layout(device, n, cfg.optimizer.seed);
    if coverage.placements.is_empty() {
        let names: Vec<&str> = areas.iter().map(|&a| area_name(a)).collect();
        return Err(format!(
            "no electrode fits in {} within the {}° field of view: the retinotopy ({retinotopy_note}) has no target vertex there",
            names.join("/"),
            cfg.field.fov_deg
        ));
    }
    // Threads: the joint optimisation starts from whichever is better of the coverage layout
    // and the snapped per-contact solution, so it is compared with the snapped layout it can
    // refine (the report says which start was used).
    let snapped = match device {
        Device::Thread {
            contacts,
            spacing_mm,
        } => Some(snap_to_threads(&p, &cfg.optimizer, n, contacts, spacing_mm)),
        _ => None,
    };
    let extra: Vec<(&'static str, &Layout)> = snapped
        .as_ref()
        .map(|s| ("snapped per-contact solution", s))
        .into_iter()
        .collect();
    let (start_note, start_layout) = p.start_layout(device, n, &extra);
    let t_opt = Instant::now();
    let (best, curve) = p.optimize(&start_layout, &cfg.optimizer, &mut |q| {
        progress(q);
        !cancelled()
    });
    let optimize_seconds = t_opt.elapsed().as_secs_f64();
    if cancelled() {
        return Err(CANCELLED.into());
    }
    let independent_snapped = snapped.as_ref().map(|s| p.evaluate(s));
    let comparison = super::compare::compare(
        &p,
        &coverage,
        &start_layout,
        &best,
        &cfg.optimizer,
        cancelled,
    );
    if cancelled() {
        return Err(CANCELLED.into());
    }
    let reading = if cfg.evaluation.reading {
        let extra: Vec<(&str, &Layout)> = snapped
            .as_ref()
            .map(|s| ("independent_snapped", s))
            .into_iter()
            .collect();
        let seeds: Vec<(u64, Layout)> = comparison
            .seeds
            .iter()
            .copied()
            .zip(comparison.runs.iter().cloned())
            .collect();
        Some(reading_report(cfg, &p, &best, &extra, &seeds)?)
    } else {
        None
    };
    let report = Report {
        percept_aware: p.evaluate(&best),
        coverage_baseline: p.evaluate(&coverage),
        random_baseline: p.evaluate(&random),
        independent_snapped,
        iterations: curve.len(),
        seconds: start.elapsed().as_secs_f64(),
        optimize_seconds,
        loss_curve: curve,
        electrodes: electrodes_of(&p, &best, &|q| export_point(scene, q)),
        subject: scene
            .subject
            .as_ref()
            .map_or("fsaverage5 (embedded)".into(), |s| {
                s.path.display().to_string()
            }),
        retinotopy: retinotopy_note,
        areas: areas.iter().map(|&a| area_name(a).to_string()).collect(),
        start: start_note.into(),
        vessels: vessels_note,
        coordinates: coordinates(scene),
        comparison,
        reading,
    };
    let saved = SavedPlan {
        format: "cortexplorer-plan/1".into(),
        coordinates: Some(report.coordinates.clone()),
        config: cfg.clone(),
        electrodes: report.electrodes.clone(),
        layout: best,
    };
    Ok((report, saved, p))
}

/// A planning problem built on a scene, with what it was built from.
pub struct Built {
    pub problem: Problem,
    /// which maps each hemisphere uses
    pub retinotopy: String,
    pub vessels: VesselsNote,
}

/// Build the problem a configuration describes on a scene: retinotopy and planning domain of
/// each hemisphere, the vessels (checked to lie near the cortex), the tasks.
pub fn build(cfg: &PlanConfig, scene: &Scene) -> Result<Built, String> {
    let areas = cfg.areas()?;
    let hemis = hemispheres(scene, &cfg.scene.hemispheres, &cfg.scene.retinotopy, &areas)?;
    let retinotopy = retinotopy_note(&hemis);
    let (vessels, note, _) = load_vessels(cfg, scene)?;
    check_vessels_near(&vessels, &hemis)?;
    Ok(Built {
        problem: problem(cfg, hemis, vessels)?,
        retinotopy,
        vessels: note,
    })
}

/// The reading report of a layout planned with `cfg` (its baselines built the same way as
/// the report's: coverage and random of as many devices, the lattice from the configuration's
/// cortical model).
pub fn reading_report(
    cfg: &PlanConfig,
    p: &Problem,
    layout: &Layout,
    extra: &[(&str, &Layout)],
    seeds: &[(u64, Layout)],
) -> Result<super::evaluate::ReadingReport, String> {
    use super::evaluate::{self, Depth, Layouts};
    let layouts = Layouts::standard(p, layout, cfg.optimizer.seed, &cfg.wedge()?, extra);
    let depth = if cfg.evaluation.full {
        Depth::Full
    } else {
        Depth::Main
    };
    evaluate::report(p, layout, &layouts, &cfg.evaluation.observer, depth, seeds)
}

/// Are the scene's surfaces the embedded fsaverage5's?
fn is_fsaverage5(scene: &Scene) -> bool {
    scene.subject.is_none()
        && scene.inputs.iter().any(|i| {
            matches!(i, crate::brain::scene::Input::Embedded { name } if name.starts_with("pial_"))
        })
}

/// The space exported positions are in.
pub fn coordinates(scene: &Scene) -> String {
    match &scene.subject {
        Some(s) => s.coordinates(),
        None if is_fsaverage5(scene) => "surface RAS (fsaverage5)".into(),
        None => "RAS of the loaded surfaces".into(),
    }
}

/// BIDS iEEG `iEEGCoordinateSystem` and its description for a scene's exports.
pub fn bids_space(scene: &Scene) -> (String, String) {
    match &scene.subject {
        None if is_fsaverage5(scene) => (
            "fsaverage".into(),
            "FreeSurfer surface RAS of fsaverage5 (the embedded default scene); planned positions, not localised from imaging".into(),
        ),
        None => (
            "Other".into(),
            "RAS of the surfaces loaded into Cortexplorer (not a subject folder: no scanner transform known); planned positions".into(),
        ),
        Some(s) => match &s.tkr_to_scanner {
            Some((_, from)) => (
                "ScanRAS".into(),
                format!(
                    "scanner RAS of the subject's T1 ({from}) in {}; planned positions, not localised from imaging",
                    s.path.display()
                ),
            ),
            None => (
                "Other".into(),
                format!(
                    "FreeSurfer surface (tkregister) RAS of the subject in {} (no mri/orig.mgz to reach scanner RAS); planned positions",
                    s.path.display()
                ),
            ),
        },
    }
}

/// A surface-RAS point in the export space (scanner RAS when the subject has the transform).
pub fn export_point(scene: &Scene, p: [f64; 3]) -> [f64; 3] {
    scene.subject.as_ref().map_or(p, |s| s.to_scanner(p))
}

/// The comparison the thread budget asks for: optimise `n·contacts` independent contacts,
/// then snap them onto `n` threads (k-means in the sheet; each thread along its cluster's
/// principal axis, tilted so its span matches the cluster's, capped by the thread's length).
pub fn snap_to_threads(
    p: &Problem,
    opts: &OptOptions,
    n: usize,
    contacts: usize,
    spacing: f64,
) -> Layout {
    let free = p.coverage_layout(Device::Single, n * contacts);
    let quick = OptOptions {
        max_iterations: opts.max_iterations,
        ..opts.clone()
    };
    let (opt, _) = p.optimize(&free, &quick, &mut |_| true);
    let per_hemi: Vec<Vec<[f64; 2]>> = p
        .domains
        .iter()
        .map(|d| {
            opt.placements
                .iter()
                .filter(|q| q.hemisphere == d.hemi)
                .map(|q| [q.u, q.v])
                .collect()
        })
        .collect();
    let threads = share_budget(n, &per_hemi.iter().map(Vec::len).collect::<Vec<_>>());
    let mut placements = Vec::new();
    for ((d, pts), k) in p.domains.iter().zip(per_hemi).zip(threads) {
        if k == 0 {
            continue;
        }
        // k-means (deterministic init: evenly spaced points)
        let mut centres: Vec<[f64; 2]> = (0..k).map(|i| pts[i * pts.len() / k]).collect();
        let mut assign = vec![0usize; pts.len()];
        for _ in 0..30 {
            for (i, q) in pts.iter().enumerate() {
                assign[i] = (0..k)
                    .min_by(|&a, &b| dist(q, &centres[a]).total_cmp(&dist(q, &centres[b])))
                    .unwrap();
            }
            for (c, centre) in centres.iter_mut().enumerate() {
                let members = cluster(&pts, &assign, c);
                if !members.is_empty() {
                    *centre = [
                        members.iter().map(|q| q[0]).sum::<f64>() / members.len() as f64,
                        members.iter().map(|q| q[1]).sum::<f64>() / members.len() as f64,
                    ];
                }
            }
        }
        let len = (contacts as f64 - 1.0) * spacing;
        for (c, centre) in centres.iter().enumerate() {
            let members = cluster(&pts, &assign, c);
            // principal axis
            let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
            for q in &members {
                let (dx, dy) = (q[0] - centre[0], q[1] - centre[1]);
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
            let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
            let spread = members
                .iter()
                .map(|q| {
                    ((q[0] - centre[0]) * angle.cos() + (q[1] - centre[1]) * angle.sin()).abs()
                })
                .fold(0.0, f64::max)
                * 2.0;
            let tilt = (spread.min(len) / len).asin().clamp(0.0, 1.2);
            let half = len * tilt.sin() / 2.0;
            let q = Placement {
                hemisphere: d.hemi,
                u: centre[0] - half * angle.cos(),
                v: centre[1] - half * angle.sin(),
                rotation: angle,
                depth: 0.5,
                tilt,
            };
            placements.push(q);
        }
    }
    let mut layout = Layout {
        device: Device::Thread {
            contacts,
            spacing_mm: spacing,
        },
        placements,
    };
    if p.avoid_vessels {
        p.repair(&mut layout, opts.seed);
    }
    layout
}

/// Split a budget of `n` devices over groups in proportion to their sizes (largest
/// remainder), never giving a group more devices than it has points; the total is `n`
/// whenever the groups hold at least `n` points.
fn share_budget(n: usize, sizes: &[usize]) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return vec![0; sizes.len()];
    }
    let mut k: Vec<usize> = sizes.iter().map(|&s| (n * s / total).min(s)).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((n * sizes[i]) % total));
    while k.iter().sum::<usize>() < n {
        let Some(&i) = order.iter().find(|&&i| k[i] < sizes[i]) else {
            break;
        };
        k[i] += 1;
        order.rotate_left(1);
    }
    k
}

/// The points assigned to cluster `c`.
fn cluster<'a>(pts: &'a [[f64; 2]], assign: &[usize], c: usize) -> Vec<&'a [f64; 2]> {
    pts.iter()
        .zip(assign)
        .filter(|(_, a)| **a == c)
        .map(|(q, _)| q)
        .collect()
}

fn dist(a: &[f64; 2], b: &[f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Scores as a compact map for tables.
pub fn summary(s: &Scores) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (k, v) in &s.ssim {
        m.insert(format!("SSIM {k}"), format!("{v:.3}"));
    }
    m.insert("margin violations".into(), s.margin_violations.to_string());
    m.insert("coverage".into(), format!("{:.1}%", 100.0 * s.coverage));
    m
}

#[cfg(test)]
mod budget_tests {
    use super::share_budget;

    #[test]
    fn budget_is_spent_exactly() {
        assert_eq!(share_budget(8, &[130, 126]), vec![4, 4]);
        assert_eq!(share_budget(8, &[200, 56]).iter().sum::<usize>(), 8);
        assert_eq!(share_budget(8, &[3, 100]), vec![0, 8]);
        assert_eq!(share_budget(5, &[1, 1]), vec![1, 1]);
        assert_eq!(share_budget(3, &[0, 0]), vec![0, 0]);
        for n in 1..20 {
            assert_eq!(share_budget(n, &[37, 11, 52]).iter().sum::<usize>(), n);
        }
    }
}
