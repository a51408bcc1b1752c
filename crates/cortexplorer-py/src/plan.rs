//! Planning (`cortexplorer.plan`): `plan::run` — the function `cortexplorer plan` runs — on a
//! thread of its own, so Python keeps its GIL and its Ctrl-C: the Python layer polls the job
//! (progress bar) and cancels it on KeyboardInterrupt; the run stops at its next check
//! (`planning::plan::run`'s `cancelled`, asked every few optimiser iterations).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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

/// Where a job is: running, finished (its outcome not yet asked for), or delivered (the
/// result handed to Python, kept so asking again gives the same object or error).
enum State {
    Running,
    Finished(Result<Box<PlanResult>, String>),
    Delivered(Result<Py<PlanResult>, String>),
}

struct Shared {
    iteration: AtomicUsize,
    loss_bits: std::sync::atomic::AtomicU64,
    cancel: AtomicBool,
    state: Mutex<State>,
    finished: Condvar,
}

/// The lock, also after a panic elsewhere (the state is replaced whole, never half-written).
fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A planning run on its own thread. Dropping the job cancels the run.
#[pyclass(module = "cortexplorer._core", frozen)]
pub struct PlanJob {
    shared: Arc<Shared>,
    max_iterations: usize,
}

impl Drop for PlanJob {
    fn drop(&mut self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }
}

/// Start planning `subject` with a configuration (JSON, as `default_config` gives it).
#[pyfunction]
fn plan_start(py: Python<'_>, subject: &Subject, config_json: &str) -> PyResult<PlanJob> {
    let mut cfg = parse_config(config_json)?;
    let (scene, asked) = py
        .detach(|| -> Result<_, String> {
            let mut scene = subject.scene.clone();
            if let Some(s) = &scene.subject {
                cfg.scene.subject = Some(s.path.clone());
            }
            cortexplorer_core::brain::subject::plannable(&scene, &cfg.scene.hemispheres)?;
            let asked = cfg.scene.retinotopy.clone();
            cfg.scene.retinotopy =
                cortexplorer_core::open::load_retinotopy_files(&mut scene, &cfg.scene.retinotopy)?;
            Ok((scene, asked))
        })
        .map_err(format_error)?;
    let shared = Arc::new(Shared {
        iteration: AtomicUsize::new(0),
        loss_bits: Default::default(),
        cancel: AtomicBool::new(false),
        state: Mutex::new(State::Running),
        finished: Condvar::new(),
    });
    let max_iterations = cfg.optimizer.max_iterations;
    let s = shared.clone();
    std::thread::Builder::new()
        .name("cortexplorer-plan".into())
        .spawn(move || {
            // everything inside: whatever happens, an outcome is stored and waiters wake
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let (report, mut saved, problem) = plan::run_keeping_problem(
                    &cfg,
                    &scene,
                    &mut |p| {
                        s.iteration.store(p.iteration, Ordering::Relaxed);
                        s.loss_bits.store(p.loss.to_bits(), Ordering::Relaxed);
                    },
                    &|| s.cancel.load(Ordering::Relaxed),
                )?;
                saved.config.scene.retinotopy = asked.clone();
                Ok(Box::new(PlanResult {
                    report: serde_json::to_string(&report).map_err(|e| e.to_string())?,
                    saved: serde_json::to_string(&saved).map_err(|e| e.to_string())?,
                    electrodes: report.electrodes,
                    layout: saved.layout,
                    problem,
                    bids_space: plan::bids_space(&scene),
                }))
            }))
            .unwrap_or_else(|_| Err("the planner failed (a bug: please report it)".into()));
            *lock(&s.state) = State::Finished(outcome);
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

    /// Has the run ended (finished, failed or cancelled)?
    fn done(&self) -> bool {
        !matches!(*lock(&self.shared.state), State::Running)
    }

    /// Ask the run to stop (it does at its next check; `wait` for it).
    fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// Wait up to `timeout` seconds (None, or too large to count: until done) without holding
    /// the GIL; True when done.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> bool {
        let limit = timeout.and_then(|t| Duration::try_from_secs_f64(t.max(0.0)).ok());
        let running = |st: &mut State| matches!(st, State::Running);
        py.detach(|| {
            let guard = lock(&self.shared.state);
            let guard = match limit {
                None => self
                    .shared
                    .finished
                    .wait_while(guard, running)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    self.shared
                        .finished
                        .wait_timeout_while(guard, d, running)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            !matches!(*guard, State::Running)
        })
    }

    /// The finished plan (waits for it, so call `wait` in a loop to stay interruptible);
    /// raises RuntimeError with the planner's message ("planning cancelled" after `cancel`).
    /// Asked again, the same plan or the same error.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PlanResult>> {
        self.wait(py, None);
        let mut g = lock(&self.shared.state);
        if matches!(*g, State::Finished(_)) {
            let State::Finished(r) = std::mem::replace(&mut *g, State::Running) else {
                unreachable!("checked above")
            };
            *g = State::Delivered(match r {
                Ok(p) => Py::new(py, *p).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            });
        }
        match &*g {
            State::Delivered(Ok(p)) => Ok(p.clone_ref(py)),
            State::Delivered(Err(e)) => Err(runtime_error(e)),
            _ => Err(runtime_error("the run has not ended")),
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
