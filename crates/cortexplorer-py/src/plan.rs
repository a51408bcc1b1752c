//! Planning (`cortexplorer.plan`): `plan::run` — the function `cortexplorer plan` runs — on a
//! thread of its own, so Python keeps its GIL and its Ctrl-C: the Python layer polls the job
//! (progress bar) and cancels it on KeyboardInterrupt; the run stops at its next check
//! (`planning::plan::run`'s `cancelled`, asked every few optimiser iterations).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cortexplorer_core::planning::export;
use cortexplorer_core::planning::optimize::{Layout, Problem};
use cortexplorer_core::planning::plan::{self, ElectrodeOut, PlanConfig};
use cortexplorer_core::planning::tasks;
use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::io::rows;
use crate::subject::Subject;
use crate::{format_error, runtime_error, value_error};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(load_config, m)?)?;
    m.add_function(wrap_pyfunction!(check_config, m)?)?;
    m.add_function(wrap_pyfunction!(plan_start, m)?)?;
    m.add_class::<PlanJob>()?;
    m.add_class::<PlanResult>()?;
    Ok(())
}

/// The default configuration (`assets/plan.toml`) as JSON.
#[pyfunction]
fn default_config() -> PyResult<String> {
    let cfg = PlanConfig::try_embedded_default().map_err(runtime_error)?;
    Ok(serde_json::to_string(&cfg).expect("a configuration serialises"))
}

/// A configuration file (TOML, as `plan --config`) as JSON.
#[pyfunction]
fn load_config(path: std::path::PathBuf) -> PyResult<String> {
    let cfg = PlanConfig::load(&path).map_err(format_error)?;
    Ok(serde_json::to_string(&cfg).expect("a configuration serialises"))
}

fn parse_config(json: &str) -> PyResult<PlanConfig> {
    let cfg: PlanConfig =
        serde_json::from_str(json).map_err(|e| value_error(format!("config: {e}")))?;
    cfg.validate().map_err(value_error)?;
    Ok(cfg)
}

/// Check a configuration (JSON) as `plan` does; returns it normalised.
#[pyfunction]
fn check_config(json: &str) -> PyResult<String> {
    let cfg = parse_config(json)?;
    Ok(serde_json::to_string(&cfg).expect("a configuration serialises"))
}

type Outcome = Result<PlanResult, String>;

#[derive(Default)]
struct Shared {
    iteration: AtomicUsize,
    loss_bits: std::sync::atomic::AtomicU64,
    cancel: AtomicBool,
    outcome: Mutex<Option<Outcome>>,
    finished: Condvar,
}

/// A planning run on its own thread.
#[pyclass(module = "cortexplorer._core", frozen)]
pub struct PlanJob {
    shared: Arc<Shared>,
    max_iterations: usize,
}

/// Start planning `subject` with a configuration (JSON, as `default_config` gives it).
#[pyfunction]
fn plan_start(subject: &Subject, config_json: &str) -> PyResult<PlanJob> {
    let mut cfg = parse_config(config_json)?;
    let mut scene = subject.scene.clone();
    if let Some(s) = &scene.subject {
        cfg.scene.subject = Some(s.path.clone());
    }
    cortexplorer_core::brain::subject::plannable(&scene, &cfg.scene.hemispheres)
        .map_err(format_error)?;
    let asked = cfg.scene.retinotopy.clone();
    cfg.scene.retinotopy =
        cortexplorer_core::open::load_retinotopy_files(&mut scene, &cfg.scene.retinotopy)
            .map_err(format_error)?;
    let shared = Arc::new(Shared::default());
    let max_iterations = cfg.optimizer.max_iterations;
    let s = shared.clone();
    std::thread::Builder::new()
        .name("cortexplorer-plan".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                plan::run_keeping_problem(
                    &cfg,
                    &scene,
                    &mut |p| {
                        s.iteration.store(p.iteration, Ordering::Relaxed);
                        s.loss_bits.store(p.loss.to_bits(), Ordering::Relaxed);
                    },
                    &|| s.cancel.load(Ordering::Relaxed),
                )
            }))
            .unwrap_or_else(|_| Err("the planner failed (a bug: please report it)".into()))
            .map(|(report, mut saved, problem)| {
                saved.config.scene.retinotopy = asked.clone();
                PlanResult {
                    report: serde_json::to_string(&report).expect("a report serialises"),
                    saved: serde_json::to_string(&saved).expect("a plan serialises"),
                    electrodes: report.electrodes,
                    layout: saved.layout,
                    problem,
                    bids_space: plan::bids_space(&scene),
                }
            });
            *s.outcome.lock().unwrap() = Some(outcome);
            s.finished.notify_all();
        })
        .map_err(runtime_error)?;
    Ok(PlanJob {
        shared,
        max_iterations,
    })
}

#[pymethods]
impl PlanJob {
    /// The optimiser's iteration (updated every few iterations).
    #[getter]
    fn iteration(&self) -> usize {
        self.shared.iteration.load(Ordering::Relaxed)
    }

    /// The configuration's iteration limit (the optimiser may stop earlier, converged).
    #[getter]
    fn max_iterations(&self) -> usize {
        self.max_iterations
    }

    /// The loss at the last progress report.
    #[getter]
    fn loss(&self) -> f64 {
        f64::from_bits(self.shared.loss_bits.load(Ordering::Relaxed))
    }

    fn done(&self) -> bool {
        self.shared.outcome.lock().unwrap().is_some()
    }

    /// Ask the run to stop (it does at its next check; `wait` for it).
    fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// Wait up to `timeout` seconds (None: until done) without holding the GIL; True when done.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> bool {
        py.detach(|| {
            let guard = self.shared.outcome.lock().unwrap();
            match timeout {
                None => self
                    .shared
                    .finished
                    .wait_while(guard, |o| o.is_none())
                    .unwrap()
                    .is_some(),
                Some(t) => self
                    .shared
                    .finished
                    .wait_timeout_while(guard, Duration::from_secs_f64(t.max(0.0)), |o| o.is_none())
                    .unwrap()
                    .0
                    .is_some(),
            }
        })
    }

    /// The finished plan (waits for it); raises RuntimeError with the planner's message, or
    /// KeyboardInterrupt-worthy "planning cancelled" after `cancel`.
    fn result(&self, py: Python<'_>) -> PyResult<PlanResult> {
        self.wait(py, None);
        match self.shared.outcome.lock().unwrap().take() {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(runtime_error(e)),
            None => Err(runtime_error("the result was already taken")),
        }
    }
}

/// A finished plan: its report and saved plan (JSON), and what renders its percepts.
#[pyclass(module = "cortexplorer._core", frozen)]
pub struct PlanResult {
    report: String,
    saved: String,
    electrodes: Vec<ElectrodeOut>,
    layout: Layout,
    problem: Problem,
    bids_space: (String, String),
}

#[pymethods]
impl PlanResult {
    /// The report, exactly as `plan --json` prints it (JSON text).
    #[getter]
    fn report_json(&self) -> String {
        self.report.clone()
    }

    /// The saved plan, as `plan --out plan.json` writes it (JSON text).
    #[getter]
    fn saved_json(&self) -> String {
        self.saved.clone()
    }

    /// The contacts as `plan --csv` writes them.
    fn to_csv(&self) -> String {
        export::csv(&self.electrodes)
    }

    /// 3D Slicer markups (JSON text), as `plan --slicer`.
    fn to_slicer(&self) -> String {
        let coords = serde_json::from_str::<serde_json::Value>(&self.report)
            .ok()
            .and_then(|r| r["coordinates"].as_str().map(str::to_string))
            .unwrap_or_default();
        let v = export::slicer_markups(&self.electrodes, &format!("Cortexplorer plan ({coords})"));
        serde_json::to_string_pretty(&v).expect("markups serialise")
    }

    /// BIDS iEEG `electrodes.tsv` and `coordsystem.json` texts, as `plan --bids`.
    fn to_bids(&self) -> (String, String) {
        let (tsv, coords) = export::bids(
            &self.electrodes,
            self.layout.device.contact_area_mm2(),
            &self.bids_space.0,
            &self.bids_space.1,
        );
        (
            tsv,
            serde_json::to_string_pretty(&coords).expect("coordsystem serialises"),
        )
    }

    /// The evaluation grid: (width, height, pixel size in degrees, centre x, centre y).
    #[getter]
    fn grid(&self) -> (usize, usize, f64, f64, f64) {
        let g = &self.problem.grid;
        (g.width, g.height, g.pixel_deg(), g.centre[0], g.centre[1])
    }

    /// The percept of `target` through the plan on the evaluation grid: `target` is text (a
    /// letter or word drawn at `height_frac` of the field, as the planner's tasks) or an image
    /// (height, width) in [0, 1] on the grid. Returns (percept, target) images.
    #[pyo3(signature = (target, height_frac = 0.4))]
    #[allow(clippy::type_complexity)]
    fn percept<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyAny>,
        height_frac: f64,
    ) -> PyResult<(Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<f32>>)> {
        let g = &self.problem.grid;
        let img: Vec<f32> = if let Ok(text) = target.extract::<String>() {
            if !(height_frac > 0.0 && height_frac <= 1.0) {
                return Err(value_error(format!(
                    "height_frac {height_frac}: must be in (0, 1]"
                )));
            }
            tasks::text_image(g, &text, height_frac).map_err(value_error)?
        } else {
            let a: PyReadonlyArray2<'py, f32> = target
                .extract()
                .map_err(|_| value_error("target: a string or a float32 (height, width) array"))?;
            let a = a.as_array();
            if a.shape() != [g.height, g.width] {
                return Err(value_error(format!(
                    "target: a {:?} image, the plan's grid is {} × {}",
                    a.shape(),
                    g.height,
                    g.width
                )));
            }
            a.iter().map(|v| v.clamp(0.0, 1.0)).collect()
        };
        let (percept, _) = py.detach(|| self.problem.percept(&self.layout, &img));
        Ok((rows(py, percept, g.width), rows(py, img, g.width)))
    }
}
