//! `cortexplorer simulate`: run an activity model on a surface without a window, on the CPU
//! reference or the GPU kernel, and report (JSON keys as issue 5 specifies).
//!
//! Models (CPU and GPU): `diffusion`, `wave`, `kuramoto`, `wilson-cowan`, `lif`; their
//! parameters (`--param name=value`), defaults and starting states are those of
//! `activity::setup` (the Activity panel uses the same table).
//!
//! Surface: `--surface FILE` (any surface format), or the default scene — both fsaverage5 pial
//! hemispheres as one mesh (20,484 vertices; the hemispheres do not touch, so nothing diffuses
//! between them). Initial state: `--initial OVERLAY` (one value per vertex: u, θ, E or V), or
//! the model's default (see `activity::setup`). Output: the first state array (u, θ, E, V).

use std::path::PathBuf;

use clap::Args;

use crate::activity::laplacian::Laplacian;
use crate::activity::models::{Model, order_parameter};
use crate::activity::setup::Setup;
use crate::brain::fsaverage5;
use crate::io::{self, Content};

#[derive(Args)]
pub struct SimulateArgs {
    /// diffusion, wave, kuramoto, wilson-cowan, lif
    #[arg(long)]
    model: String,
    /// surface file (default: both fsaverage5 pial hemispheres)
    #[arg(long)]
    surface: Option<PathBuf>,
    /// initial state, one value per vertex (default: a Gaussian bump at vertex 0)
    #[arg(long)]
    initial: Option<PathBuf>,
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// time step in seconds (default: half the stability bound); an unstable one is clamped
    #[arg(long)]
    dt: Option<f64>,
    /// cpu (reference) or gpu (compute shader; lavapipe without a GPU)
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// model parameters, `name=value`: diffusion D (mm²/s); wave c (mm/s), gamma (1/s);
    /// kuramoto K (mm²/s), f (Hz), spread (Hz); wilson-cowan tau_e, tau_i (s), D (mm²/s), P,
    /// c_ee, c_ei, c_ie, c_ii; lif tau_m (s), D (mm²/s), t_ref, tau_flash (s), J, I0, spread
    #[arg(long = "param")]
    params: Vec<String>,
    /// write the final state: .npy (float32, one value per vertex)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

type Mesh = (Vec<[f32; 3]>, Vec<[u32; 3]>);

/// The mesh: vertices and faces of every surface given, concatenated.
fn mesh(a: &SimulateArgs) -> Result<Mesh, String> {
    let surfaces = match &a.surface {
        Some(p) => match io::load(p).map_err(|e| e.to_string())?.content {
            Content::Surface(s) => vec![s],
            _ => return Err(format!("{}: not a surface", p.display())),
        },
        None => fsaverage5::pial_surfaces().map_err(|e| e.to_string())?,
    };
    let (v, f, _) = crate::activity::combined_mesh(&surfaces);
    if v.is_empty() {
        return Err("no surface to simulate on".into());
    }
    Ok((v, f))
}

/// `--param name=value` pairs.
fn given(a: &SimulateArgs) -> Result<Vec<(String, f64)>, String> {
    a.params
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--param {p:?}: expected name=value"))?;
            let x = v
                .trim()
                .parse()
                .map_err(|_| format!("--param {p:?}: {v:?} is not a number"))?;
            Ok((k.trim().to_string(), x))
        })
        .collect()
}

pub fn simulate(a: SimulateArgs) -> Result<(), String> {
    let setup = Setup::new(&a.model, &given(&a)?)?;
    let model = setup.model;
    if a.backend != "cpu" && a.backend != "gpu" {
        return Err(format!("--backend {:?}: cpu or gpu", a.backend));
    }
    let (v, f) = mesh(&a)?;
    let l = Laplacian::new(&v, &f)?;
    let n = l.len();
    let first = match &a.initial {
        Some(p) => {
            let loaded = io::load(p).map_err(|e| e.to_string())?;
            let Content::Overlay(o) = loaded.content else {
                return Err(format!("{}: not per-vertex values", p.display()));
            };
            if o.values.len() != n {
                return Err(format!(
                    "{}: {} values, the surface has {n} vertices",
                    p.display(),
                    o.values.len()
                ));
            }
            if let Some(i) = o.values.iter().position(|x| !x.is_finite()) {
                return Err(format!("{}: value {i} is {}", p.display(), o.values[i]));
            }
            Some(o.values)
        }
        None => None,
    };
    let s0 = setup.initial(&v, 0, first.as_deref());
    let aux = setup.aux(n);
    let want = a.dt.unwrap_or_else(|| setup.default_dt(&l, &aux));
    let step = model.check_step(&l, want)?;
    if let Some(w) = &step.warning {
        eprintln!("cortexplorer: warning: {w}");
    }
    let dt = step.dt as f32;
    // timed: the steps (and, on the GPU, reading the result back); not device or
    // pipeline creation
    let (state, adapter, secs) = match a.backend.as_str() {
        "gpu" => {
            let gpu = crate::gpu::Gpu::headless()?;
            let mut k = crate::gpu::ModelKernel::new(&gpu, &model, &l, &s0, &aux, dt)?;
            k.run(&gpu, 1); // warm-up: pipeline compiled and buffers resident
            let _ = k.read(&gpu)?;
            let mut k = crate::gpu::ModelKernel::new(&gpu, &model, &l, &s0, &aux, dt)?;
            let t = std::time::Instant::now();
            k.run(&gpu, a.steps);
            let u = k.read(&gpu)?;
            (u, Some(gpu.adapter), t.elapsed().as_secs_f64())
        }
        _ => {
            let mut u = s0;
            let t = std::time::Instant::now();
            model.run(&l, &mut u, &aux, dt, a.steps);
            (u, None, t.elapsed().as_secs_f64())
        }
    };
    // the first state per vertex (u; θ for Kuramoto)
    let u = &state[..n];
    if let Some(out) = &a.out {
        if out.extension().and_then(|e| e.to_str()) != Some("npy") {
            return Err(format!(
                "--out {}: only .npy is written so far",
                out.display()
            ));
        }
        let o = crate::brain::Overlay::new(n, 1, u.to_vec());
        std::fs::File::create(out)
            .map(std::io::BufWriter::new)
            .and_then(|mut f| crate::io::npy::write(&o, &mut f))
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let mean = u.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    let var = u.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    let (lo, hi) = u
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let mut report = serde_json::json!({
        "model": a.model,
        "backend": a.backend,
        "adapter": adapter,
        "vertices": n,
        "steps": a.steps,
        "dt": step.dt,
        "seconds": secs,
        "steps_per_second": a.steps as f64 / secs.max(1e-12),
        "final": {"min": lo, "max": hi, "mean": mean, "std": var.sqrt()},
        "warning": step.warning,
    });
    if let Model::Kuramoto { .. } = model {
        report["order_parameter"] = serde_json::json!(order_parameter(&l, u));
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "{} on {n} vertices ({}): {} steps of {:.3e} s in {secs:.3} s ({:.0} steps/s); final min {lo:.4} max {hi:.4} mean {mean:.4}",
            a.model,
            a.backend,
            a.steps,
            step.dt,
            a.steps as f64 / secs.max(1e-12)
        );
    }
    Ok(())
}
