//! `cortexplorer vol2surf`: sample a volume (3D or 4D) onto a surface, after FreeSurfer's
//! `mri_vol2surf` (`brain::vol2surf` documents the conventions and where they differ):
//!
//! ```text
//! cortexplorer vol2surf VOLUME --white lh.white [--pial lh.pial]
//!     [--interp trilinear|nearest] [--projfrac F | --projfrac-avg A,B,S]
//!     --out lh.values.mgh|.gii|.npy [--json]
//! ```
//! With `--pial` the samples lie along the white → pial ribbon (default `--projfrac-avg
//! 0,1,0.1`); without it, at the `--white` surface's vertices (any surface may be given there).
//! A 4D volume gives one frame per volume (`.npy`: vertices × frames). JSON: `volume`,
//! `surface`, `vertices`, `frames`, `method`, `projection`, `outside` (vertices with no data),
//! `min`, `max`, `mean`, `out`.

use std::path::PathBuf;

use clap::Args;

use crate::brain::vol2surf::{Interp, Projection, sample};
use crate::io::{self, Content};

#[derive(Args)]
pub struct Vol2SurfArgs {
    /// NIfTI-1/2 or MGH/MGZ volume (3D or 4D)
    volume: PathBuf,
    /// white surface (or the only surface: sampled at its vertices)
    #[arg(long)]
    white: PathBuf,
    /// pial surface: sample along the ribbon between white and pial
    #[arg(long)]
    pial: Option<PathBuf>,
    /// trilinear or nearest
    #[arg(long, default_value = "trilinear")]
    interp: String,
    /// one fraction of the ribbon (0 white, 1 pial)
    #[arg(long, conflicts_with = "projfrac_avg")]
    projfrac: Option<f64>,
    /// mean over fractions: FROM,TO,STEP (default 0,1,0.1 with --pial)
    #[arg(long)]
    projfrac_avg: Option<String>,
    /// output: .mgh, .gii or .npy
    #[arg(long)]
    out: PathBuf,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

fn surface(p: &std::path::Path) -> Result<crate::brain::Surface, String> {
    match io::load(p).map_err(|e| e.to_string())?.content {
        Content::Surface(s) => Ok(s),
        c => Err(format!("{}: a {}, not a surface", p.display(), c.kind())),
    }
}

pub fn vol2surf(a: Vol2SurfArgs) -> Result<(), String> {
    let interp = match a.interp.as_str() {
        "trilinear" => Interp::Trilinear,
        "nearest" => Interp::Nearest,
        m => return Err(format!("--interp {m:?}: trilinear or nearest")),
    };
    let projection = match (&a.projfrac, &a.projfrac_avg) {
        (Some(f), _) => Projection::Frac(*f),
        (None, Some(s)) => {
            let v: Vec<f64> = s
                .split(',')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| format!("--projfrac-avg {s:?}: expected FROM,TO,STEP"))?;
            let [from, to, step] = v[..] else {
                return Err(format!("--projfrac-avg {s:?}: expected FROM,TO,STEP"));
            };
            Projection::FracAvg { from, to, step }
        }
        (None, None) => Projection::RIBBON_AVG,
    };
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("mgh" | "gii" | "npy")) {
        return Err(format!(
            "--out {}: the output must end in .mgh, .gii or .npy",
            a.out.display()
        ));
    }
    let vol = match io::load(&a.volume).map_err(|e| e.to_string())?.content {
        Content::Volume(v) => v,
        c => {
            return Err(format!(
                "{}: a {}, not a volume",
                a.volume.display(),
                c.kind()
            ));
        }
    };
    let white = surface(&a.white)?;
    let pial = a.pial.as_deref().map(surface).transpose()?;
    let o = sample(
        &vol,
        &white.vertices,
        pial.as_ref().map(|p| p.vertices.as_slice()),
        projection,
        interp,
    )
    .map_err(|e| format!("{}: {e}", a.volume.display()))?;
    let bytes = match ext.as_deref() {
        Some("mgh") => io::mgh::write_overlay(&o),
        Some("gii") => io::gifti::write_overlay(&o),
        _ => {
            let mut b = Vec::new();
            io::npy::write(&o, &mut b).map_err(|e| e.to_string())?;
            b
        }
    };
    io::atomic_write(&a.out, &bytes).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let outside = (0..o.n_vertices)
        .filter(|&i| o.frame(0)[i].is_nan())
        .count();
    let finite: Vec<f64> = o
        .values
        .iter()
        .filter(|v| v.is_finite())
        .map(|&v| v as f64)
        .collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let proj = match (pial.is_some(), projection) {
        (false, _) => "vertex".to_string(),
        (true, Projection::Frac(f)) => format!("projfrac {f}"),
        (true, Projection::FracAvg { from, to, step }) => {
            format!("projfrac-avg {from} {to} {step}")
        }
    };
    if a.json {
        let report = serde_json::json!({
            "volume": a.volume.display().to_string(),
            "surface": a.white.display().to_string(),
            "vertices": o.n_vertices,
            "frames": o.n_frames,
            "method": a.interp,
            "projection": proj,
            "outside": outside,
            "min": (!finite.is_empty()).then_some(lo),
            "max": (!finite.is_empty()).then_some(hi),
            "mean": (!finite.is_empty()).then_some(mean),
            "out": a.out.display().to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "{} vertices × {} frames ({}, {proj}); {outside} outside the volume; written to {}",
            o.n_vertices,
            o.n_frames,
            a.interp,
            a.out.display()
        );
    }
    Ok(())
}
