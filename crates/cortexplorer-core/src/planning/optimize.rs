//! Percept-aware placement (after Pogoncheff, Wang, Granley & Beyeler 2026): electrode
//! placements are parameters optimised end-to-end through the differentiable forward model.
//!
//! Each active contact (in grey matter and a target area) gives a phosphene at the field point
//! of its sheet position. The stimulus it carries is the image averaged over its **receptive
//! field**: a Gaussian at its phosphene of σ = half the distance to the nearest other phosphene
//! (at least the phosphene's own size, at most 1°) — the camera image downsampled onto the
//! implant (`tasks::sample_rf`; scoreboard amplitude `t`, dynaphos current `t·I_max`). The
//! percept is `P = clamp(Σ phosphenes)`. The objective:
//!
//! ```text
//! loss = w_read · mean_c L_c                          (ReadingTask: letters kept apart)
//!      + Σ_tasks w_task · mean_T MSE(P_T, T)          (pixel error: images, optionally letters)
//!      + w_v · Σ_contacts max(0, margin − d_vessel)²  (vessel margin)
//! ```
//!
//! and the gradient flows analytically through the renderer (`percept::render::backprop`), the
//! phosphene size σ(r), the encoding (image gradient, and the receptive field's size through the
//! nearest neighbour's position), the inverse retinotopic map (Jacobian), the device geometry
//! and, for the vessel term, the sheet's 3D embedding and the distance to the nearest vessel.
//! Grey-matter feasibility holds by construction for single contacts (depth kept within
//! 0.05..0.95) and is counted for arrays and threads. The reading term's conditions are taken
//! half at a time, in turn (a stochastic batch); the best layout of the final sharp stage is
//! judged on all of them.
//!
//! Optimiser: Adam (Kingma & Ba 2015) with a cosine-decaying step; the encoding samples a
//! Gaussian-blurred target whose blur shrinks from 8.5 to 0.5 px (coarse to fine), which gives a
//! signal where the target is flat. A step that would take a device off the sheet or out of
//! V1 is undone. Evaluation always uses the sharp target on the full-resolution grid.

use std::time::Instant;

use glam::DVec3;
use serde::Serialize;

use super::domain::Domain;
use super::electrodes::{Device, N_PARAMS, Placement};
use super::tasks::{self, Task};
use crate::brain::Hemisphere;
use crate::brain::vessels::VesselIndex;
use crate::percept::metrics;
use crate::percept::phosphene::{Model, Phosphene};
use crate::percept::render::{self, Grid};
use crate::percept::retinotopy::FieldPoint;
use crate::rng::SplitMix;

/// What the vessel margin is measured against.
pub enum Vessels {
    /// a vessel graph (distance to the wall: centre line minus radius)
    Graph(VesselIndex),
    /// a segmentation mask's signed distance field (distance to the nearest vessel voxel)
    Mask(std::sync::Arc<crate::brain::vessel_mask::DistanceField>),
}

impl Vessels {
    /// Signed distance (mm; < 0 inside a vessel) from a point to the nearest vessel, and the
    /// direction in which it grows fastest.
    pub fn distance(&self, q: DVec3) -> Option<(f64, DVec3)> {
        match self {
            Vessels::Graph(vi) => {
                let (hit, cp) = vi.nearest_with_point([q.x as f32, q.y as f32, q.z as f32])?;
                let dir = (q - DVec3::from(cp.map(f64::from))).normalize_or_zero();
                Some((hit.distance_mm, dir))
            }
            Vessels::Mask(f) => f.sample(q),
        }
    }
}

/// A set of devices of one kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    pub device: Device,
    pub placements: Vec<Placement>,
}

/// Everything the objective needs.
pub struct Problem {
    pub domains: Vec<Domain>,
    pub vessels: Option<Vessels>,
    /// evaluation grid and tasks on it
    pub grid: Grid,
    pub tasks: Vec<Task>,
    /// coarser grid and the same tasks on it, for optimisation
    pub opt_grid: Grid,
    pub opt_tasks: Vec<Task>,
    pub model: Model,
    pub max_current_ua: f64,
    pub margin_mm: f64,
    pub avoid_vessels: bool,
    pub vessel_weight: f64,
    /// weight of each optimisation task's pixel error (same order as `opt_tasks`)
    pub task_weights: Vec<f64>,
    /// the letter-discriminability term (`[objective] reading`), when its weight is > 0
    pub reading: Option<ReadingTask>,
}

/// The reading objective: keep the percepts of different letters apart. For each training
/// condition `c` (a letter size and position drawn once from the training distribution) the
/// 26 capitals of the *training* font are encoded and rendered, and
///
/// ```text
/// L_c = (1/26) Σ_i Σ_{j≠i} exp(−‖P_i − P_j‖² / (8σ_c²))
/// ```
///
/// is the union bound of the ideal observer's error (the chance a letter is taken for another,
/// summed over the others, `Q(d/2σ) ≤ ½·exp(−d²/8σ²)`) under the evaluation's noise model (σ_c
/// per pixel of the condition's grid, the same per unit area). The term is `weight · mean_c L_c`;
/// its gradient flows through the clamp, the renderer, the encoding and the retinotopy like
/// the pixel error's.
///
/// The **legibility** term (`[objective] legibility`) asks the same percepts to be read by the
/// *naive* observer, who does not know the layout and compares the percept with the letters
/// themselves (blurred by σ = s/8, zero mean, unit norm: `R_j`, the evaluation's references on
/// the training font). Its scores `a_ij = P_i·R_j` carry noise of σ_c each; with the Gaussian
/// noise replaced by Gumbel noise of the same variance (scale `σ_c·√6/π`) the observer's
/// choice is a softmax, and the term is its cross-entropy
///
/// ```text
/// N_c = (1/26) Σ_i [ log Σ_j exp(β a_ij) − β a_ii ],   β = π / (√6 σ_c)
/// ∂N_c/∂P_i = (β/26) (Σ_j p_ij R_j − R_i),   p_ij = softmax_j(β a_ij)
/// ```
///
/// which stays steep where the observer is wrong (a union bound of `Φ` saturates there). A
/// layout that lowers it draws each letter as a picture of the letter rather than as a code
/// only an observer trained on the layout can read. The condition's term is
/// `weight · L_c + legibility · N_c`.
pub struct ReadingTask {
    pub conditions: Vec<super::reading::Condition>,
    /// per condition, its grid: the evaluation's region on coarser pixels (`TRAIN_PIXELS`
    /// across the letter's height, at most 0.08°)
    pub grids: Vec<Grid>,
    /// per condition, the 26 training letters on its grid
    pub letters: Vec<Vec<Vec<f32>>>,
    /// observer noise per 0.05° pixel
    pub noise: f64,
    /// weight of the ideal observer's term `L_c`
    pub weight: f64,
    /// weight of the naive observer's term `N_c` (0: off)
    pub legibility: f64,
    /// per condition, the naive observer's references on its grid: the 26 training letters
    /// blurred by σ = s/8, zero mean, unit norm
    pub refs: Vec<Vec<Vec<f32>>>,
    /// conditions per optimisation step: each step uses the next `batch` of them in turn
    pub batch: usize,
}

/// Pixels across a letter's height on the reading term's grids.
pub const TRAIN_PIXELS: f64 = 24.0;

impl ReadingTask {
    /// `n` conditions: sizes log-uniform in `sizes_deg`, centres uniform in a disc of
    /// `radius_deg` about `centre` (seeded), letters of the training font (DejaVu Sans Bold);
    /// the weights of the ideal observer's and the legibility term.
    pub fn new(
        n: usize,
        sizes_deg: [f64; 2],
        radius_deg: f64,
        centre: [f64; 2],
        noise: f64,
        [weight, legibility]: [f64; 2],
        seed: u64,
    ) -> Result<ReadingTask, String> {
        let font = crate::brain::text::font()?;
        let mut rng = SplitMix::new(seed ^ 0x7EAD);
        let conditions: Vec<super::reading::Condition> = (0..n)
            .map(|_| {
                let s = sizes_deg[0] * (sizes_deg[1] / sizes_deg[0]).powf(rng.unit());
                let r = radius_deg * rng.unit().sqrt();
                let a = rng.unit() * std::f64::consts::TAU;
                super::reading::Condition {
                    size_deg: s,
                    centre: [centre[0] + r * a.cos(), centre[1] + r * a.sin()],
                }
            })
            .collect();
        let grids: Vec<Grid> = conditions
            .iter()
            .map(|c| c.grid_with((c.size_deg / TRAIN_PIXELS).min(0.08)))
            .collect();
        let letters = conditions
            .iter()
            .zip(&grids)
            .map(|(c, g)| {
                super::reading::LETTERS
                    .iter()
                    .map(|&l| super::reading::letter_image_on(&font, l, c, g))
                    .collect()
            })
            .collect();
        let refs = if legibility > 0.0 {
            conditions
                .iter()
                .zip(&grids)
                .zip(&letters)
                .map(
                    |((c, g), imgs): ((&super::reading::Condition, &Grid), &Vec<Vec<f32>>)| {
                        imgs.iter()
                            .map(|img| {
                                super::reading::reference(tasks::blur(
                                    g,
                                    img,
                                    c.size_deg / 8.0 / g.pixel_deg(),
                                ))
                            })
                            .collect()
                    },
                )
                .collect()
        } else {
            Vec::new()
        };
        Ok(ReadingTask {
            batch: n.div_ceil(2).max(1),
            conditions,
            grids,
            letters,
            noise,
            weight,
            legibility,
            refs,
        })
    }
}

/// The targets as the encoding samples them at one blur: each optimisation task's images, and
/// each reading condition's letters.
pub struct Blurred {
    pub tasks: Vec<Vec<Vec<f32>>>,
    pub reading: Vec<Vec<Vec<f32>>>,
}

/// A contact of a layout with what its derivatives need.
struct Contact {
    dev: usize,
    du: [f64; N_PARAMS],
    dv: [f64; N_PARAMS],
    depth_param: bool,
    sheet: Option<super::domain::SheetPoint>,
    depth: f64,
    field: Option<super::domain::Retino>,
}

/// Per phosphene: (Jacobian of the field point w.r.t. (u, v), ∂σ/∂(u, v), ∂σ/∂t, ∂B/∂t,
/// ∂t/∂(x, y), ∂t/∂(receptive-field σ)).
type PhosAux = ([[f64; 2]; 2], [f64; 2], f64, f64, [f64; 2], f64);

/// A contact located on the sheet.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub device: usize,
    pub index: usize,
    pub hemi: Hemisphere,
    pub u: f64,
    pub v: f64,
    pub depth_fraction: f64,
    pub ras: DVec3,
    pub in_gray: bool,
    pub field: Option<FieldPoint>,
    /// visual area (1 = V1) when the contact maps into a target area
    pub area: Option<u8>,
    /// cortical magnification there (mm/deg)
    pub magnification: f64,
    pub vessel_mm: Option<f64>,
}

impl Resolved {
    /// Produces a phosphene: in grey matter and in V1.
    pub fn active(&self) -> bool {
        self.in_gray && self.field.is_some()
    }
}

/// Scores of one layout.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    pub ssim: std::collections::BTreeMap<String, f64>,
    pub mse: std::collections::BTreeMap<String, f64>,
    pub margin_violations: usize,
    pub min_vessel_distance_mm: Option<f64>,
    pub gray_matter_violations: usize,
    pub coverage: f64,
    pub active_contacts: usize,
}

/// Progress of a run (sent to the UI).
#[derive(Clone, Debug)]
pub struct Progress {
    pub iteration: usize,
    pub loss: f64,
    pub layout: Layout,
}

/// Optimisation settings.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptOptions {
    pub max_iterations: usize,
    pub step_mm: f64,
    pub step_rad: f64,
    pub tolerance: f64,
    pub seed: u64,
    /// optimiser seeds of the paired comparison (`seed`, `seed + 1`, …): each seed after the
    /// first starts from the same layout jittered by 0.5 mm (see `planning::compare`)
    pub comparison_seeds: usize,
}

impl Default for OptOptions {
    fn default() -> Self {
        OptOptions {
            max_iterations: 300,
            step_mm: 0.5,
            step_rad: 0.08,
            tolerance: 1e-4,
            seed: 7,
            comparison_seeds: 3,
        }
    }
}

impl Problem {
    /// The stimulus encoding of this problem's phosphene model (for the reading evaluation).
    pub fn encoding(&self) -> super::reading::Encoding {
        super::reading::Encoding {
            model: self.model,
            max_current_ua: self.max_current_ua,
        }
    }

    fn domain(&self, h: Hemisphere) -> Option<&Domain> {
        self.domains.iter().find(|d| d.hemi == h)
    }

    /// Locate every contact of a layout.
    pub fn resolve(&self, layout: &Layout) -> Vec<Resolved> {
        let mut out = Vec::new();
        for (di, p) in layout.placements.iter().enumerate() {
            let Some(dom) = self.domain(p.hemisphere) else {
                continue;
            };
            for (ci, c) in p.contacts(&layout.device).iter().enumerate() {
                let Some(sp) = dom.locate(c.u, c.v) else {
                    out.push(Resolved {
                        device: di,
                        index: ci,
                        hemi: p.hemisphere,
                        u: c.u,
                        v: c.v,
                        depth_fraction: f64::NAN,
                        ras: DVec3::NAN,
                        in_gray: false,
                        field: None,
                        area: None,
                        magnification: f64::NAN,
                        vessel_mm: None,
                    });
                    continue;
                };
                let th = sp.thickness().max(1e-3);
                let d = if c.depth_is_mm {
                    c.depth_mm_or_fraction / th
                } else {
                    c.depth_mm_or_fraction
                };
                let ras = sp.at_depth(d.min(1.5));
                let vessel_mm = self
                    .vessels
                    .as_ref()
                    .and_then(|v| v.distance(ras))
                    .map(|(d, _)| d);
                let r = dom.retino(&sp);
                out.push(Resolved {
                    device: di,
                    index: ci,
                    hemi: p.hemisphere,
                    u: c.u,
                    v: c.v,
                    depth_fraction: d,
                    ras,
                    in_gray: (0.0..=1.0).contains(&d),
                    field: r.map(|r| r.field),
                    area: r.map(|r| r.area),
                    magnification: r.map_or(f64::NAN, |r| r.mag),
                    vessel_mm,
                });
            }
        }
        out
    }

    /// Stimulus encoding: (brightness, σ numerator in mm) and their derivatives w.r.t. the
    /// target sample `t`.
    fn encode(&self, t: f64) -> (f64, f64, f64, f64) {
        match self.model {
            Model::Scoreboard { rho_um } => (t, 1.0, rho_um / 1000.0, 0.0),
            Model::Dynaphos(_) => {
                let f = |t: f64| {
                    let i = t.clamp(0.0, 1.0) * self.max_current_ua;
                    (self.model.brightness(i), self.model.size_mm(i))
                };
                let h = 1e-3;
                let (b, s) = f(t);
                let (b1, s1) = f(t + h);
                let (b0, s0) = f(t - h);
                (b, (b1 - b0) / (2.0 * h), s, (s1 - s0) / (2.0 * h))
            }
        }
    }

    /// Phosphenes of the active contacts for one target (`blurred` is what the encoding
    /// samples, over each electrode's receptive field: [`tasks::receptive_fields`]).
    pub fn phosphenes(
        &self,
        contacts: &[Resolved],
        grid: &Grid,
        blurred: &[f32],
    ) -> Vec<(usize, Phosphene)> {
        let active: Vec<usize> = (0..contacts.len())
            .filter(|&i| contacts[i].active())
            .collect();
        let rf = self.receptive_fields(
            &active
                .iter()
                .map(|&i| {
                    let f = contacts[i].field.unwrap();
                    (f.x, f.y, contacts[i].magnification)
                })
                .collect::<Vec<_>>(),
        );
        active
            .iter()
            .zip(rf)
            .map(|(&i, rf)| {
                let c = &contacts[i];
                let p = c.field.unwrap();
                let (t, _) = tasks::sample_rf(grid, blurred, p.x, p.y, rf);
                let (b, _, s_mm, _) = self.encode(t);
                let m = c.magnification;
                (
                    i,
                    Phosphene {
                        x_deg: p.x,
                        y_deg: p.y,
                        sigma_deg: s_mm / m,
                        brightness: b,
                    },
                )
            })
            .collect()
    }

    /// The receptive field of each phosphene (x, y, magnification): half the distance to its
    /// nearest neighbour, at least its own size (`tasks::receptive_fields`).
    pub fn receptive_fields(&self, points: &[(f64, f64, f64)]) -> Vec<f64> {
        let (_, _, s_mm, _) = self.encode(1.0);
        let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
        let floor: Vec<f64> = points.iter().map(|p| s_mm / p.2.max(1e-6)).collect();
        tasks::receptive_fields(&xy, &floor)
    }

    /// Every contact of a layout, located, and which of them give a phosphene.
    fn contacts(&self, layout: &Layout) -> (Vec<Contact>, Vec<usize>) {
        let mut cs = Vec::new();
        for (di, p) in layout.placements.iter().enumerate() {
            let Some(dom) = self.domain(p.hemisphere) else {
                continue;
            };
            for c in p.contacts(&layout.device) {
                let sheet = dom.locate(c.u, c.v);
                let depth = match &sheet {
                    Some(sp) if c.depth_is_mm => c.depth_mm_or_fraction / sp.thickness().max(1e-3),
                    _ => c.depth_mm_or_fraction,
                };
                let field = match &sheet {
                    Some(sp) if (0.0..=1.0).contains(&depth) => dom.retino(sp),
                    _ => None,
                };
                cs.push(Contact {
                    dev: di,
                    du: c.du,
                    dv: c.dv,
                    depth_param: !c.depth_is_mm && matches!(layout.device, Device::Single),
                    sheet,
                    depth,
                    field,
                });
            }
        }
        let active = (0..cs.len()).filter(|&i| cs[i].field.is_some()).collect();
        (cs, active)
    }

    /// The phosphenes of `which` contacts for an encoding image on `grid`, with what the chain
    /// rule needs and the contact of each. A contact whose receptive field sees only dark
    /// pixels is left out: it draws nothing and every derivative through it is zero.
    /// `windows`: the receptive fields of `which` on `grid`, when they are reused for many
    /// images (else computed here).
    fn phosphenes_for(
        &self,
        cs: &[Contact],
        which: &[usize],
        grid: &Grid,
        enc: &[f32],
        rf: &[f64],
        windows: Option<&[tasks::RfWindow]>,
    ) -> (Vec<Phosphene>, Vec<PhosAux>, Vec<usize>) {
        let mut phos = Vec::with_capacity(which.len());
        let mut aux = Vec::with_capacity(which.len());
        let mut lit = Vec::with_capacity(which.len());
        for (k, &i) in which.iter().enumerate() {
            let r = cs[i].field.expect("active");
            let (p, jac) = (r.field, r.jac);
            let (t, dt, dt_drf) = match windows {
                Some(w) => w[k].sample(grid, enc, p.x, p.y),
                None => tasks::sample_rf_with_size(grid, enc, p.x, p.y, rf[i]),
            };
            if t <= 0.0 && dt == [0.0, 0.0] && dt_drf == 0.0 {
                continue;
            }
            lit.push(i);
            let (b, db, s_mm, ds) = self.encode(t);
            let (m, gm) = (r.mag, r.dmag);
            phos.push(Phosphene {
                x_deg: p.x,
                y_deg: p.y,
                sigma_deg: s_mm / m,
                brightness: b,
            });
            // ∂σ/∂(u, v) through the magnification, and dσ/dt, dB/dt through the encoding
            let dsig = [-s_mm * gm[0] / (m * m), -s_mm * gm[1] / (m * m)];
            aux.push((jac, dsig, ds / m, db, dt, dt_drf));
        }
        (phos, aux, lit)
    }

    /// Add `scale` × the gradient of a pixel loss (`dl` per pixel) through the renderer, the
    /// encoding and the retinotopy to the placements' gradients, and its derivative w.r.t. each
    /// contact's receptive field to `rf_grad` (distributed over positions by [`Self::rf_chain`]).
    #[allow(clippy::too_many_arguments)]
    fn chain(
        &self,
        cs: &[Contact],
        which: &[usize],
        grid: &Grid,
        phos: &[Phosphene],
        aux: &[PhosAux],
        dl: &[f32],
        scale: f64,
        grad: &mut [[f64; N_PARAMS]],
        rf_grad: &mut [f64],
    ) {
        let g = render::backprop(grid, phos, dl);
        for (j, &i) in which.iter().enumerate() {
            let (jac, dsig, dsig_dt, db_dt, dt, dt_drf) = aux[j];
            let gp = g[j];
            rf_grad[i] += (gp.brightness * db_dt + gp.sigma_deg * dsig_dt) * dt_drf * scale;
            let gx = gp.x_deg + (gp.brightness * db_dt + gp.sigma_deg * dsig_dt) * dt[0];
            let gy = gp.y_deg + (gp.brightness * db_dt + gp.sigma_deg * dsig_dt) * dt[1];
            let gu = (gx * jac[0][0] + gy * jac[1][0] + gp.sigma_deg * dsig[0]) * scale;
            let gv = (gx * jac[0][1] + gy * jac[1][1] + gp.sigma_deg * dsig[1]) * scale;
            let c = &cs[i];
            for (k, g) in grad[c.dev].iter_mut().enumerate() {
                *g += gu * c.du[k] + gv * c.dv[k];
            }
        }
    }

    /// Loss and gradient w.r.t. every placement's parameters: the weighted pixel error of the
    /// tasks, the reading term (every condition), the vessel margin.
    pub fn loss_and_grad(
        &self,
        layout: &Layout,
        blur_px: f64,
        blurred: &Blurred,
    ) -> (f64, Vec<[f64; N_PARAMS]>) {
        self.loss_and_grad_batch(layout, blur_px, blurred, None)
    }

    /// [`Self::loss_and_grad`] with the reading term on the `step`-th batch of its conditions
    /// (`None`: all of them).
    pub fn loss_and_grad_batch(
        &self,
        layout: &Layout,
        blur_px: f64,
        blurred: &Blurred,
        step: Option<usize>,
    ) -> (f64, Vec<[f64; N_PARAMS]>) {
        let grid = &self.opt_grid;
        let mut grad = vec![[0.0; N_PARAMS]; layout.placements.len()];
        let _ = blur_px;
        let (cs, active) = self.contacts(layout);
        // receptive fields from this layout's phosphenes: half the distance to the nearest
        // neighbour (whose position therefore enters the gradient, `rf_chain`)
        let mut rf = vec![0.0; cs.len()];
        let mut nn: Vec<Option<usize>> = vec![None; cs.len()];
        let (_, _, s_mm, _) = self.encode(1.0);
        let xy: Vec<(f64, f64)> = active
            .iter()
            .map(|&i| {
                let r = cs[i].field.expect("active");
                (r.field.x, r.field.y)
            })
            .collect();
        let floor: Vec<f64> = active
            .iter()
            .map(|&i| s_mm / cs[i].field.expect("active").mag.max(1e-6))
            .collect();
        for (&i, (v, j)) in active.iter().zip(tasks::receptive_fields_nn(&xy, &floor)) {
            rf[i] = v;
            nn[i] = j.map(|j| active[j]);
        }
        let mut rf_grad = vec![0.0; cs.len()];
        let mut total = 0.0;
        // the pixel-error tasks, every target in parallel (each its own gradient, summed)
        let targets: Vec<(usize, usize, f64)> = self
            .opt_tasks
            .iter()
            .enumerate()
            .filter_map(|(ti, task)| {
                let w = self.task_weights.get(ti).copied().unwrap_or(1.0);
                (w > 0.0).then(|| (0..task.targets.len()).map(move |k| (ti, k, w)))
            })
            .flatten()
            .collect();
        type Part = (f64, Vec<[f64; N_PARAMS]>, Vec<f64>);
        let parts: Vec<Part> = {
            use rayon::prelude::*;
            targets
                .par_iter()
                .map(|&(ti, k, w)| {
                    let task = &self.opt_tasks[ti];
                    let target = &task.targets[k];
                    let n_targets = task.targets.len() as f64 / w;
                    let (phos, aux, lit) =
                        self.phosphenes_for(&cs, &active, grid, &blurred.tasks[ti][k], &rf, None);
                    let mut sum = vec![0f32; grid.len()];
                    render::accumulate(grid, &phos, &mut sum);
                    let n = grid.len() as f32;
                    let mut dl = vec![0f32; grid.len()];
                    let mut loss = 0.0f64;
                    for i in 0..sum.len() {
                        let p = sum[i].clamp(0.0, 1.0);
                        let e = p - target.pixels[i];
                        loss += (e * e) as f64;
                        dl[i] = if sum[i] > 0.0 && sum[i] < 1.0 {
                            2.0 * e / n
                        } else if (sum[i] >= 1.0 && e < 0.0) || (sum[i] <= 0.0 && e > 0.0) {
                            0.0
                        } else {
                            2.0 * e / n
                        };
                    }
                    let mut g = vec![[0.0; N_PARAMS]; grad.len()];
                    let mut gr = vec![0.0; rf_grad.len()];
                    self.chain(
                        &cs,
                        &lit,
                        grid,
                        &phos,
                        &aux,
                        &dl,
                        1.0 / n_targets,
                        &mut g,
                        &mut gr,
                    );
                    (loss / n as f64 / n_targets, g, gr)
                })
                .collect()
        };
        total += sum_parts(parts, &mut grad, &mut rf_grad);
        if let Some(r) = &self.reading {
            let n = r.conditions.len();
            let subset: Vec<usize> = match step {
                None => (0..n).collect(),
                Some(k) => {
                    let b = r.batch.clamp(1, n.max(1));
                    let batches = n.div_ceil(b).max(1);
                    let first = (k % batches) * b;
                    (first..(first + b).min(n)).collect()
                }
            };
            total += self.reading_term(
                r,
                &subset,
                &cs,
                &active,
                &rf,
                &blurred.reading,
                &mut grad,
                &mut rf_grad,
            );
        }
        self.rf_chain(&cs, &nn, &rf_grad, &mut grad);
        // vessel margin
        if self.avoid_vessels
            && let Some(vi) = &self.vessels
        {
            for c in &cs {
                let Some(sp) = &c.sheet else { continue };
                let d = c.depth.clamp(0.0, 1.0);
                let q = sp.at_depth(d);
                let Some((distance, dir)) = vi.distance(q) else {
                    continue;
                };
                // aim 0.1 mm beyond the margin so the final layout clears it
                let short = self.margin_mm + 0.1 - distance;
                if short <= 0.0 {
                    continue;
                }
                total += self.vessel_weight * short * short;
                let coef = -2.0 * self.vessel_weight * short; // d(penalty)/d(distance)
                let [dqu, dqv] = sp.d_at_depth(d);
                let (gu, gv) = (coef * dir.dot(dqu), coef * dir.dot(dqv));
                for (k, g) in grad[c.dev].iter_mut().enumerate() {
                    *g += gu * c.du[k] + gv * c.dv[k];
                }
                if c.depth_param {
                    grad[c.dev][3] += coef * dir.dot(sp.white - sp.pial);
                }
            }
        }
        (total, grad)
    }

    /// A receptive field is half the distance between a phosphene and its nearest neighbour:
    /// its derivative moves both field points, and through each one's Jacobian its contact.
    fn rf_chain(
        &self,
        cs: &[Contact],
        nn: &[Option<usize>],
        rf_grad: &[f64],
        grad: &mut [[f64; N_PARAMS]],
    ) {
        for (i, g) in rf_grad.iter().enumerate() {
            let (Some(j), true) = (nn[i], *g != 0.0) else {
                continue;
            };
            let (a, b) = (cs[i].field.expect("active"), cs[j].field.expect("active"));
            let (dx, dy) = (a.field.x - b.field.x, a.field.y - b.field.y);
            let d = dx.hypot(dy);
            if d <= 0.0 {
                continue;
            }
            // ∂rf_i/∂p_i = ½ (p_i − p_j)/d, ∂rf_i/∂p_j = −the same
            let (gx, gy) = (0.5 * g * dx / d, 0.5 * g * dy / d);
            for (k, sign, r) in [(i, 1.0, a), (j, -1.0, b)] {
                let jac = r.jac;
                let gu = sign * (gx * jac[0][0] + gy * jac[1][0]);
                let gv = sign * (gx * jac[0][1] + gy * jac[1][1]);
                let c = &cs[k];
                for (p, v) in grad[c.dev].iter_mut().enumerate() {
                    *v += gu * c.du[p] + gv * c.dv[p];
                }
            }
        }
    }

    /// The reading term (see [`ReadingTask`]): its value, its gradient added to `grad` (and to
    /// `rf_grad` through the receptive fields). The conditions run in parallel, each on the
    /// contacts whose receptive field reaches its grid.
    #[allow(clippy::too_many_arguments)]
    fn reading_term(
        &self,
        r: &ReadingTask,
        subset: &[usize],
        cs: &[Contact],
        active: &[usize],
        rf: &[f64],
        letters: &[Vec<Vec<f32>>],
        grad: &mut [[f64; N_PARAMS]],
        rf_grad: &mut [f64],
    ) -> f64 {
        use rayon::prelude::*;
        let n_cond = subset.len().max(1) as f64;
        type Part = (f64, Vec<[f64; N_PARAMS]>, Vec<f64>);
        let parts: Vec<Part> = subset
            .par_iter()
            .map(|&c| {
                let (g, imgs) = (r.grids[c], &letters[c]);
                let mut local = vec![[0.0; N_PARAMS]; grad.len()];
                let mut local_rf = vec![0.0; rf_grad.len()];
                let (x0, y0) = g.origin();
                let (x1, y1) = (x0 + g.fov_deg, y0 - g.pixel_deg() * g.height as f64);
                let which: Vec<usize> = active
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let p = cs[i].field.expect("active").field;
                        let m = 3.0 * rf[i];
                        p.x >= x0 - m && p.x <= x1 + m && p.y <= y0 + m && p.y >= y1 - m
                    })
                    .collect();
                let k = imgs.len();
                let mut sums = Vec::with_capacity(k);
                let mut phs = Vec::with_capacity(k);
                let windows: Vec<tasks::RfWindow> = which
                    .iter()
                    .map(|&i| {
                        let p = cs[i].field.expect("active").field;
                        tasks::RfWindow::new(&g, p.x, p.y, rf[i])
                    })
                    .collect();
                for img in imgs {
                    let (phos, aux, lit) =
                        self.phosphenes_for(cs, &which, &g, img, rf, Some(&windows));
                    let mut sum = vec![0f32; g.len()];
                    render::accumulate(&g, &phos, &mut sum);
                    sums.push(sum);
                    phs.push((phos, aux, lit));
                }
                // the pixels any letter's percept touches (most of the grid is dark for all)
                let support: Vec<usize> = (0..g.len())
                    .filter(|&px| sums.iter().any(|s| s[px] > 0.0))
                    .collect();
                let ps: Vec<Vec<f32>> = sums
                    .iter()
                    .map(|s| support.iter().map(|&px| s[px].clamp(0.0, 1.0)).collect())
                    .collect();
                let sigma = super::reading::pixel_noise(r.noise, &g);
                let inv = 1.0 / (8.0 * sigma * sigma);
                // ideal observer: pairwise weights e_ij = exp(−d²/8σ²)
                let mut e = vec![0.0f64; k * k];
                let mut ideal = 0.0;
                if r.weight > 0.0 {
                    for i in 0..k {
                        for j in (i + 1)..k {
                            let d2: f64 = ps[i]
                                .iter()
                                .zip(&ps[j])
                                .map(|(a, b)| ((a - b) * (a - b)) as f64)
                                .sum();
                            let v = (-d2 * inv).exp();
                            e[i * k + j] = v;
                            e[j * k + i] = v;
                            ideal += 2.0 * v;
                        }
                    }
                    ideal /= k as f64;
                }
                // naive observer: softmax over β·P_i·R_j (the references on the support;
                // outside it every percept is 0)
                let rs: Vec<Vec<f32>> = if r.legibility > 0.0 {
                    r.refs[c]
                        .iter()
                        .map(|rj| support.iter().map(|&px| rj[px]).collect())
                        .collect()
                } else {
                    Vec::new()
                };
                let beta = std::f64::consts::PI / (6f64.sqrt() * sigma);
                let mut soft = vec![0.0f64; if rs.is_empty() { 0 } else { k * k }];
                let mut naive = 0.0;
                if !rs.is_empty() {
                    for i in 0..k {
                        let z: Vec<f64> = rs
                            .iter()
                            .map(|rj| beta * super::reading::dot(&ps[i], rj))
                            .collect();
                        let top = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let lse = top + z.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
                        naive += lse - z[i];
                        for j in 0..k {
                            soft[i * k + j] = (z[j] - lse).exp();
                        }
                    }
                    naive /= k as f64;
                }
                // ∂L/∂P_i = −(1/k)(1/2σ²) Σ_j e_ij (P_i − P_j), through the clamp
                let coef = -(1.0 / k as f64) * 4.0 * inv * r.weight;
                let ncoef = r.legibility * beta / k as f64;
                let mut compact = vec![0f32; support.len()];
                let mut dl = vec![0f32; g.len()];
                for i in 0..k {
                    compact.iter_mut().for_each(|d| *d = 0.0);
                    let mut any = false;
                    for j in 0..k {
                        let w = e[i * k + j];
                        if j == i || w < 1e-12 {
                            continue;
                        }
                        any = true;
                        let w = (coef * w) as f32;
                        for ((d, a), b) in compact.iter_mut().zip(&ps[i]).zip(&ps[j]) {
                            *d += w * (a - b);
                        }
                    }
                    if !rs.is_empty() {
                        any = true;
                        for (j, rj) in rs.iter().enumerate() {
                            let w = soft[i * k + j] - if j == i { 1.0 } else { 0.0 };
                            if w.abs() < 1e-12 {
                                continue;
                            }
                            let w = (ncoef * w) as f32;
                            for (d, v) in compact.iter_mut().zip(rj) {
                                *d += w * v;
                            }
                        }
                    }
                    if !any {
                        continue;
                    }
                    for (&px, d) in support.iter().zip(&compact) {
                        let s = sums[i][px];
                        dl[px] = if s > 0.0 && s < 1.0 { *d } else { 0.0 };
                    }
                    let (phos, aux, lit) = &phs[i];
                    self.chain(
                        cs,
                        lit,
                        &g,
                        phos,
                        aux,
                        &dl,
                        1.0 / n_cond,
                        &mut local,
                        &mut local_rf,
                    );
                    for &px in &support {
                        dl[px] = 0.0;
                    }
                }
                let loss = r.weight * ideal + r.legibility * naive;
                (loss / n_cond, local, local_rf)
            })
            .collect();
        sum_parts(parts, grad, rf_grad)
    }

    /// Blurred copies of the optimisation targets (σ in pixels of the optimisation grid; the
    /// reading letters get the same blur in degrees).
    pub fn blurred_targets(&self, sigma_px: f64) -> Blurred {
        self.blurred(sigma_px)
    }

    fn blurred(&self, sigma_px: f64) -> Blurred {
        use rayon::prelude::*;
        let tasks = self
            .opt_tasks
            .iter()
            .map(|t| {
                t.targets
                    .par_iter()
                    .map(|x| tasks::blur(&self.opt_grid, &x.pixels, sigma_px))
                    .collect()
            })
            .collect();
        // the reading letters get the same blur in degrees (at most a quarter of the letter, so
        // they stay letters): early on it reaches electrodes far from the letters and draws
        // them in; below a tenth of a degree the letters are left sharp
        let blur_deg = sigma_px * self.opt_grid.pixel_deg();
        let reading = self.reading.as_ref().map_or(Vec::new(), |r| {
            r.conditions
                .par_iter()
                .zip(&r.grids)
                .zip(&r.letters)
                .map(|((c, g), imgs)| {
                    let deg = blur_deg.min(c.size_deg / 4.0);
                    if deg < 0.1 {
                        return imgs.clone();
                    }
                    imgs.iter()
                        .map(|img| tasks::blur(g, img, deg / g.pixel_deg()))
                        .collect()
                })
                .collect()
        });
        Blurred { tasks, reading }
    }

    /// Is every contact of a placement on the sheet, and its centre in V1?
    pub(crate) fn placement_ok(&self, device: &Device, p: &Placement) -> bool {
        let Some(dom) = self.domain(p.hemisphere) else {
            return false;
        };
        dom.field(p.u, p.v).is_some()
            && p.contacts(device)
                .iter()
                .all(|c| dom.locate(c.u, c.v).is_some())
    }

    /// Run the optimiser from `init`; `progress` is called every few iterations and returns
    /// `false` to stop early.
    pub fn optimize(
        &self,
        init: &Layout,
        opts: &OptOptions,
        progress: &mut dyn FnMut(&Progress) -> bool,
    ) -> (Layout, Vec<f64>) {
        let mut layout = init.clone();
        let n = layout.placements.len();
        let (mut m1, mut m2) = (vec![[0.0; N_PARAMS]; n], vec![[0.0; N_PARAMS]; n]);
        let (b1, b2, eps) = (0.9, 0.999, 1e-12);
        let step = [
            opts.step_mm,
            opts.step_mm,
            opts.step_rad,
            0.05,
            opts.step_rad,
        ];
        let mut curve = Vec::new();
        let mut blur_cache: Option<(f64, Blurred)> = None;
        let mut best = (f64::INFINITY, layout.clone());
        for it in 0..opts.max_iterations {
            let frac = it as f64 / opts.max_iterations.max(1) as f64;
            // blur 8 px → 0.5 px in steps (recomputing the blur only when it changes)
            let blur = (8.0 * (1.0 - frac).powi(2) + 0.5).max(0.5);
            let blur = (blur * 4.0).round() / 4.0;
            if blur_cache.as_ref().is_none_or(|(b, _)| *b != blur) {
                blur_cache = Some((blur, self.blurred(blur)));
            }
            let blurred = &blur_cache.as_ref().unwrap().1;
            let (loss, grad) = self.loss_and_grad_batch(&layout, blur, blurred, Some(it));
            curve.push(loss);
            // losses at different blurs are not comparable: keep the best of the sharp stage,
            // judged on every reading condition (a step's batch is only part of them)
            if blur <= 0.5 && (it % 10 == 0 || it + 1 == opts.max_iterations) {
                let full = if self.reading.is_some() {
                    self.loss_and_grad(&layout, blur, blurred).0
                } else {
                    loss
                };
                if full < best.0 {
                    best = (full, layout.clone());
                }
            }
            if it % 5 == 0
                && !progress(&Progress {
                    iteration: it,
                    loss,
                    layout: layout.clone(),
                })
            {
                break;
            }
            if it > 60 {
                let old = curve[it - 50];
                if (old - loss).abs() <= opts.tolerance * old.abs().max(1e-12) && frac > 0.5 {
                    break;
                }
            }
            let lr = 0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos());
            let t = (it + 1) as i32;
            for d in 0..n {
                let mut params = layout.placements[d].params();
                for k in 0..N_PARAMS {
                    let g = grad[d][k];
                    m1[d][k] = b1 * m1[d][k] + (1.0 - b1) * g;
                    m2[d][k] = b2 * m2[d][k] + (1.0 - b2) * g * g;
                    let mh = m1[d][k] / (1.0 - b1.powi(t));
                    let vh = m2[d][k] / (1.0 - b2.powi(t));
                    params[k] -= lr * step[k] * mh / (vh.sqrt() + eps);
                }
                let mut trial = layout.placements[d];
                trial.set_params(params);
                if self.placement_ok(&layout.device, &trial) {
                    layout.placements[d] = trial;
                } else {
                    m1[d] = [0.0; N_PARAMS];
                    m2[d] = [0.0; N_PARAMS];
                }
            }
        }
        // the best layout seen (the last steps can overshoot), never worse than the start
        let sharp = self.blurred(0.5);
        let (final_loss, _) = self.loss_and_grad(&layout, 0.5, &sharp);
        if final_loss > best.0 && best.0.is_finite() {
            layout = best.1;
        }
        let (start_loss, _) = self.loss_and_grad(init, 0.5, &sharp);
        if start_loss < final_loss.min(best.0) {
            layout = init.clone();
        }
        if self.avoid_vessels {
            self.repair(&mut layout, opts.seed);
        }
        (layout, curve)
    }

    /// Does any contact of this placement lie within the vessel margin?
    fn violates(&self, device: &Device, p: &Placement) -> bool {
        let l = Layout {
            device: *device,
            placements: vec![*p],
        };
        self.resolve(&l)
            .iter()
            .any(|c| c.vessel_mm.is_some_and(|d| d < self.margin_mm))
    }

    /// Make the margin a hard constraint: a device still inside it after optimisation moves to
    /// the nearest feasible position found by a widening random search around it (deterministic
    /// seed); if none exists within 6 mm it keeps its place and is reported as a violation.
    pub fn repair(&self, layout: &mut Layout, seed: u64) {
        let mut rng = SplitMix::new(seed ^ 0x5EED);
        let device = layout.device;
        for i in 0..layout.placements.len() {
            let p = layout.placements[i];
            if !self.violates(&device, &p) {
                continue;
            }
            'search: for ring in 1..=30 {
                let radius = 0.2 * ring as f64;
                for _ in 0..24 {
                    let a = rng.unit() * std::f64::consts::TAU;
                    let r = radius * (0.5 + 0.5 * rng.unit());
                    let mut q = p;
                    q.u += r * a.cos();
                    q.v += r * a.sin();
                    if self.placement_ok(&device, &q) && !self.violates(&device, &q) {
                        layout.placements[i] = q;
                        break 'search;
                    }
                }
            }
        }
    }

    /// Percept of a layout for one target on the evaluation grid.
    pub fn percept(&self, layout: &Layout, target: &[f32]) -> (Vec<f32>, Vec<Phosphene>) {
        let contacts = self.resolve(layout);
        let phos: Vec<Phosphene> = self
            .phosphenes(&contacts, &self.grid, target)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        (render::render(&self.grid, &phos), phos)
    }

    /// Scores on the evaluation grid with sharp targets.
    pub fn evaluate(&self, layout: &Layout) -> Scores {
        let contacts = self.resolve(layout);
        let mut ssim = std::collections::BTreeMap::new();
        let mut mse = std::collections::BTreeMap::new();
        for task in &self.tasks {
            let (mut s, mut e) = (0.0, 0.0);
            for t in &task.targets {
                let phos: Vec<Phosphene> = self
                    .phosphenes(&contacts, &self.grid, &t.pixels)
                    .into_iter()
                    .map(|(_, p)| p)
                    .collect();
                let img = render::render(&self.grid, &phos);
                s += metrics::ssim(&img, &t.pixels, self.grid.width, self.grid.height);
                e += metrics::mse(&img, &t.pixels);
            }
            let n = task.targets.len().max(1) as f64;
            ssim.insert(task.name.clone(), s / n);
            mse.insert(task.name.clone(), e / n);
        }
        // coverage: share of the grid within 2σ of an active phosphene (all electrodes on)
        let all_on: Vec<Phosphene> = contacts
            .iter()
            .filter(|c| c.active())
            .map(|c| {
                let p = c.field.unwrap();
                let (_, _, s_mm, _) = self.encode(1.0);
                Phosphene {
                    x_deg: p.x,
                    y_deg: p.y,
                    sigma_deg: s_mm / c.magnification,
                    brightness: 1.0,
                }
            })
            .collect();
        let mut covered = vec![false; self.grid.len()];
        let px = self.grid.pixel_deg();
        for p in &all_on {
            let reach = (2.0 * p.sigma_deg).max(px * 0.5);
            let (cx, cy) = self.grid.to_pixel(p.x_deg, p.y_deg);
            let r = (reach / px).ceil() as i64 + 1;
            for row in (cy.round() as i64 - r)..=(cy.round() as i64 + r) {
                for col in (cx.round() as i64 - r)..=(cx.round() as i64 + r) {
                    if row < 0
                        || col < 0
                        || row >= self.grid.height as i64
                        || col >= self.grid.width as i64
                    {
                        continue;
                    }
                    let (x, y) = self.grid.pixel_centre(col as usize, row as usize);
                    if (x - p.x_deg).hypot(y - p.y_deg) <= reach {
                        covered[row as usize * self.grid.width + col as usize] = true;
                    }
                }
            }
        }
        let coverage = covered.iter().filter(|&&c| c).count() as f64 / covered.len() as f64;
        let distances: Vec<f64> = contacts.iter().filter_map(|c| c.vessel_mm).collect();
        Scores {
            ssim,
            mse,
            margin_violations: distances.iter().filter(|&&d| d < self.margin_mm).count(),
            min_vessel_distance_mm: distances.iter().copied().reduce(f64::min),
            gray_matter_violations: contacts
                .iter()
                .filter(|c| !c.in_gray && !matches!(layout.device, Device::Thread { .. }))
                .count(),
            coverage,
            active_contacts: contacts.iter().filter(|c| c.active()).count(),
        }
    }

    /// Hemispheres planned, and how many devices each gets (split as evenly as possible).
    fn split(&self, n: usize) -> Vec<(Hemisphere, usize)> {
        let k = self.domains.len().max(1);
        self.domains
            .iter()
            .enumerate()
            .map(|(i, d)| (d.hemi, n / k + usize::from(i < n % k)))
            .collect()
    }

    /// Where an optimisation starts: the coverage layout over the whole field, over its central
    /// half (where letters are read) and any `extra` start (threads: the snapped per-contact
    /// solution), whichever the objective scores best at the sharp stage; with its name.
    pub fn start_layout(
        &self,
        device: Device,
        n: usize,
        extra: &[(&'static str, &Layout)],
    ) -> (&'static str, Layout) {
        let coverage = self.coverage_layout(device, n);
        let central = self.coverage_layout_in(device, n, super::evaluate::CENTRAL);
        let mut starts: Vec<(&'static str, &Layout)> = vec![("coverage layout", &coverage)];
        if !central.placements.is_empty() {
            starts.push(("coverage layout over the central half", &central));
        }
        starts.extend_from_slice(extra);
        let sharp = self.blurred(0.5);
        starts
            .iter()
            .map(|(name, l)| (*name, *l, self.loss_and_grad(l, 0.5, &sharp).0))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(name, l, _)| (name, l.clone()))
            .expect("the coverage layout is always a start")
    }

    /// Coverage baseline: devices at visual-field points spread evenly over the task field
    /// (a hexagonal lattice, thinned by farthest-point sampling), mapped onto V1 — uniform
    /// coverage of the field, blind to the task and to vessels.
    pub fn coverage_layout(&self, device: Device, n: usize) -> Layout {
        self.coverage_layout_in(device, n, 1.0)
    }

    /// The coverage layout over the central `fraction` of the field of view (the same centre,
    /// `fraction` of its width and height): uniform coverage of a smaller field.
    pub fn coverage_layout_in(&self, device: Device, n: usize, fraction: f64) -> Layout {
        let mut placements = Vec::new();
        let field = Grid {
            fov_deg: self.grid.fov_deg * fraction,
            ..self.grid
        };
        let (x0, y0) = field.origin();
        let (w, h) = (field.fov_deg, field.pixel_deg() * field.height as f64);
        for (hemi, count) in self.split(n) {
            let Some(dom) = self.domain(hemi) else {
                continue;
            };
            // candidate lattice in this hemifield
            let mut cand = Vec::new();
            let step = ((w * h / 2.0) / (count.max(1) as f64 * 4.0))
                .sqrt()
                .max(0.05);
            let mut row = 0;
            let mut y = y0 - step / 2.0;
            while y > y0 - h {
                let mut x = x0 + step / 2.0 + if row % 2 == 1 { step / 2.0 } else { 0.0 };
                while x < x0 + w {
                    let p = FieldPoint { x, y };
                    if p.hemisphere() == hemi
                        && let Some([u, v]) = dom.to_cortex(p)
                        && self.placement_ok(&device, &self.default_placement(hemi, u, v))
                    {
                        cand.push((p, u, v));
                    }
                    x += step;
                }
                y -= step * 0.866;
                row += 1;
            }
            // farthest-point sampling in the field
            let mut chosen: Vec<usize> = Vec::new();
            let mut dmin = vec![f64::INFINITY; cand.len()];
            if let Some(first) = (0..cand.len()).min_by(|&a, &b| {
                cand[a]
                    .0
                    .eccentricity()
                    .total_cmp(&cand[b].0.eccentricity())
            }) {
                chosen.push(first);
            }
            while chosen.len() < count.min(cand.len()) {
                let last = cand[*chosen.last().unwrap()].0;
                for (i, c) in cand.iter().enumerate() {
                    dmin[i] = dmin[i].min((c.0.x - last.x).hypot(c.0.y - last.y));
                }
                let next = (0..cand.len())
                    .filter(|i| !chosen.contains(i))
                    .max_by(|&a, &b| dmin[a].total_cmp(&dmin[b]));
                match next {
                    Some(i) => chosen.push(i),
                    None => break,
                }
            }
            for i in chosen {
                let (_, u, v) = cand[i];
                placements.push(self.default_placement(hemi, u, v));
            }
        }
        Layout { device, placements }
    }

    /// A device at (u, v) in its default pose (mid-depth; threads tilted 0.6 rad).
    fn default_placement(&self, hemisphere: Hemisphere, u: f64, v: f64) -> Placement {
        Placement {
            hemisphere,
            u,
            v,
            rotation: 0.0,
            depth: 0.5,
            tilt: 0.6,
        }
    }

    /// Random feasible baseline: uniform in V1, rejecting placements within the vessel margin.
    pub fn random_layout(&self, device: Device, n: usize, seed: u64) -> Layout {
        let mut rng = SplitMix::new(seed);
        let mut placements = Vec::new();
        for (hemi, count) in self.split(n) {
            let Some(dom) = self.domain(hemi) else {
                continue;
            };
            let mut tries = 0;
            while placements
                .iter()
                .filter(|p: &&Placement| p.hemisphere == hemi)
                .count()
                < count
                && tries < 100_000
            {
                tries += 1;
                let Some([u, v]) = dom.sample_target(&mut rng) else {
                    break;
                };
                let p = Placement {
                    hemisphere: hemi,
                    u,
                    v,
                    rotation: rng.unit() * std::f64::consts::TAU,
                    depth: 0.2 + 0.6 * rng.unit(),
                    tilt: 0.2 + 0.8 * rng.unit(),
                };
                if !self.placement_ok(&device, &p) {
                    continue;
                }
                let l = Layout {
                    device,
                    placements: vec![p],
                };
                let ok = self
                    .resolve(&l)
                    .iter()
                    .all(|c| c.vessel_mm.is_none_or(|d| d >= self.margin_mm));
                if ok || !self.avoid_vessels {
                    placements.push(p);
                }
            }
        }
        Layout { device, placements }
    }
}

/// Timing helper for reports.
pub fn seconds_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Sum per-target (or per-condition) parts computed in parallel — (loss, device gradient,
/// receptive-field gradient) — into the shared gradients; returns the summed loss.
fn sum_parts(
    parts: Vec<(f64, Vec<[f64; N_PARAMS]>, Vec<f64>)>,
    grad: &mut [[f64; N_PARAMS]],
    rf_grad: &mut [f64],
) -> f64 {
    let mut total = 0.0;
    for (l, g, gr) in parts {
        total += l;
        for (a, b) in grad.iter_mut().zip(g) {
            for k in 0..N_PARAMS {
                a[k] += b[k];
            }
        }
        for (a, b) in rf_grad.iter_mut().zip(gr) {
            *a += b;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::plan::{self, PlanConfig};

    /// The analytic gradient through the map-based retinotopy (positions, piecewise-constant
    /// Jacobians, magnification), the pixel error, the reading term and the vessel margin
    /// equals central finite differences.
    #[test]
    fn gradient_through_map_retinotopy_matches_finite_differences() {
        // every term together, then the naive observer's legibility term alone
        gradient_matches(1.0, 1.0, 1.0);
        gradient_matches(0.0, 0.0, 1.0);
    }

    fn gradient_matches(letters: f64, reading: f64, legibility: f64) {
        let scene = crate::brain::fsaverage5::scene().unwrap();
        let mut cfg = PlanConfig::try_embedded_default().unwrap();
        cfg.tasks.images = false;
        cfg.tasks.letters = vec!["A".into(), "O".into()];
        cfg.objective.letters = letters;
        cfg.objective.reading = reading;
        cfg.objective.legibility = legibility;
        cfg.objective.reading_conditions = 4;
        cfg.field.size = 48;
        cfg.field.optimize_size = 48;
        cfg.electrodes.count = 12;
        let areas = cfg.areas().unwrap();
        let hemis = plan::hemispheres(&scene, &cfg.scene.hemispheres, "template", &areas).unwrap();
        let (vessels, _, _) = plan::load_vessels(&cfg, &scene).unwrap();
        let p = plan::problem(&cfg, hemis, vessels).unwrap();
        let layout = p.coverage_layout(Device::Single, 12);
        assert_eq!(layout.placements.len(), 12);
        let blurred = p.blurred_targets(2.0);
        let (loss, grad) = p.loss_and_grad(&layout, 2.0, &blurred);
        assert!(loss > 0.0, "loss {loss}");
        // the percept is f32: a step much below 1e-3 mm drowns in its rounding (3 µm stays
        // inside fsaverage5's ~3 mm triangles almost always)
        let h = 3e-3;
        let (mut checked, mut agree) = (0, 0);
        for (d, g) in grad.iter().enumerate() {
            for k in [0usize, 1, 3] {
                let at = |delta: f64| {
                    let mut l = layout.clone();
                    let mut q = l.placements[d].params();
                    q[k] += delta;
                    l.placements[d].set_params(q);
                    p.loss_and_grad(&l, 2.0, &blurred).0
                };
                let num = (at(h) - at(-h)) / (2.0 * h);
                let ana = g[k];
                if num.abs().max(ana.abs()) < 1e-9 {
                    continue;
                }
                checked += 1;
                // a step can cross a triangle edge (the Jacobian jumps) or change the nearest
                // vessel segment: allow a few
                if (num - ana).abs() <= 0.02 * num.abs().max(ana.abs()) + 1e-9 {
                    agree += 1;
                }
            }
        }
        assert!(
            checked >= 8,
            "{checked} derivatives checked ({letters}, {reading}, {legibility})"
        );
        assert!(
            agree as f64 >= 0.9 * checked as f64,
            "{agree} of {checked} derivatives agree with finite differences ({letters}, {reading}, {legibility})"
        );
    }

    /// Field points move continuously across the vertical meridian between V1 and V2 and
    /// between the hemifields: interpolation is in Cartesian degrees, not in polar angle.
    #[test]
    fn map_positions_have_no_wrap_at_the_meridians() {
        let scene = crate::brain::fsaverage5::scene().unwrap();
        let hemis = plan::hemispheres(
            &scene,
            &[
                crate::brain::Hemisphere::Left,
                crate::brain::Hemisphere::Right,
            ],
            "template",
            &[1, 2],
        )
        .unwrap();
        for h in &hemis {
            let d = &h.domain;
            let (lo, hi) = d.target_bounds;
            let mut worst: f64 = 0.0;
            let mut seen = 0;
            // walk straight lines across the sheet: neighbouring samples stay close in the field
            for row in 0..40 {
                let v = lo[1] + (hi[1] - lo[1]) * (row as f64 + 0.5) / 40.0;
                let mut prev: Option<FieldPoint> = None;
                for col in 0..400 {
                    let u = lo[0] + (hi[0] - lo[0]) * col as f64 / 400.0;
                    let f = d.field(u, v);
                    if let (Some(a), Some(b)) = (prev, f)
                        && a.eccentricity() < 8.0
                    {
                        worst = worst.max((a.x - b.x).hypot(a.y - b.y));
                        seen += 1;
                    }
                    prev = f;
                }
            }
            assert!(seen > 500, "{seen}");
            assert!(
                worst < 2.0,
                "{:?}: a jump of {worst}° between neighbouring samples",
                h.hemi
            );
            // each hemisphere keeps to its hemifield (x = 0 allowed at the vertical meridian)
            for (x, _) in d.target_field_points().iter().map(|p| (p[0], p[1])) {
                let ok = match h.hemi {
                    crate::brain::Hemisphere::Left => x >= -1e-6,
                    crate::brain::Hemisphere::Right => x <= 1e-6,
                };
                assert!(ok, "{:?} has a field point at x = {x}", h.hemi);
            }
        }
    }
}
#[cfg(test)]
mod retino_tests {
    use crate::planning::plan::{self, PlanConfig};

    /// Position, Jacobian, magnification and its gradient from the maps are exact within a
    /// triangle: central differences agree to 1e-5 relative (but where a step crosses an edge).
    #[test]
    fn retinotopy_derivatives_match_finite_differences() {
        let scene = crate::brain::fsaverage5::scene().unwrap();
        let cfg = PlanConfig::try_embedded_default().unwrap();
        let hemis = plan::hemispheres(&scene, &cfg.scene.hemispheres, "template", &[1]).unwrap();
        let (mut n, mut ok) = (0, 0);
        for h in &hemis {
            let d = &h.domain;
            let (lo, hi) = d.target_bounds;
            for i in 0..200 {
                let u = lo[0] + (hi[0] - lo[0]) * ((i * 37 % 200) as f64 + 0.5) / 200.0;
                let v = lo[1] + (hi[1] - lo[1]) * ((i * 91 % 200) as f64 + 0.5) / 200.0;
                let Some(r) = d.retino_at(u, v) else { continue };
                let e = 1e-5;
                for (c, (du, dv)) in [(e, 0.0), (0.0, e)].into_iter().enumerate() {
                    let (Some(a), Some(b)) =
                        (d.retino_at(u + du, v + dv), d.retino_at(u - du, v - dv))
                    else {
                        continue;
                    };
                    let close =
                        |num: f64, ana: f64| (num - ana).abs() <= 1e-5 * ana.abs().max(1e-2);
                    n += 1;
                    ok += usize::from(
                        close((a.field.x - b.field.x) / (2.0 * e), r.jac[0][c])
                            && close((a.field.y - b.field.y) / (2.0 * e), r.jac[1][c])
                            && close((a.mag - b.mag) / (2.0 * e), r.dmag[c]),
                    );
                }
            }
        }
        assert!(n > 200, "{n} points checked");
        assert!(ok as f64 >= 0.98 * n as f64, "{ok} of {n} agree");
    }
}
