//! `cortexplorer evaluate PLAN.json`: how well the plan's layout lets someone read, on letters
//! and images it never saw, beside its baselines (`planning::evaluate`).
//!
//! ```text
//! cortexplorer evaluate plan.json [--task letters|images|all] [--quick] [--plot curves.png] [--json]
//! ```
//!
//! The plan's configuration is rebuilt on its scene (its subject folder, or fsaverage5) and
//! its layout scored. JSON: the `reading` block of `plan --json` (keys in
//! `docs/planning.md`): `observer`, `layouts` (per layout: `devices`, `phosphenes`,
//! `median_eccentricity_deg`, `ideal` and `naive` — `accuracy` per size, `fit`,
//! `threshold_deg`, `threshold_logmar`, their `…_ci95_…` intervals, `threshold_within_sizes` —
//! `ssim_whole`, `ssim_foreground`, `phosphenes_deg`), `at_coverage_threshold`,
//! `threshold_gain_logmar`, `electrode_equivalent`, `electrode_equivalent_central`,
//! `robustness`, `images`, `seconds` (and `seeds` in `plan --json`); plus
//! `plan` (the file) and `electrodes` (each layout's contacts, so any can be re-evaluated).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::brain::fsaverage5;
use crate::planning::evaluate::{ReadingReport, sites_of};
use crate::planning::export;
use crate::planning::plan;

#[derive(Args)]
pub struct EvaluateArgs {
    /// A saved plan (`plan --out plan.json`, or Export in the Plan panel).
    plan: PathBuf,
    /// letters (held-out letters read by the observers), images (held-out natural images), or
    /// all.
    #[arg(long, default_value = "all")]
    task: String,
    /// The main figures only: no electrode equivalent, no robustness checks (faster).
    #[arg(long)]
    quick: bool,
    /// Write the psychometric curves (accuracy against letter size, one line per layout) as a
    /// PNG.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Write held-out letters (E, A, R) at the size where the coverage layout reads 50 %, as
    /// each layout shows them, as a PNG: a row per letter; the letter, then each layout
    /// (each tile scaled to its brightest pixel)
    #[arg(long)]
    preview: Option<PathBuf>,
    /// The preview's letter size (cap height, degrees) instead of the coverage-50 % size.
    #[arg(long, value_name = "DEG")]
    preview_size: Option<f64>,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

pub fn evaluate(a: EvaluateArgs) -> Result<(), String> {
    if !["letters", "images", "all"].contains(&a.task.as_str()) {
        return Err(format!(
            "--task {:?}: expected letters, images or all",
            a.task
        ));
    }
    let saved = export::read_plan_json(&a.plan)?;
    let mut cfg = saved.config.clone();
    cfg.evaluation.full = !a.quick;
    cfg.validate()
        .map_err(|e| format!("{}: {e}", a.plan.display()))?;
    let mut scene = match &cfg.scene.subject {
        Some(d) => crate::brain::subject::scene(d)?,
        None => fsaverage5::scene()?,
    };
    cfg.scene.retinotopy = crate::open::load_retinotopy_files(&mut scene, &cfg.scene.retinotopy)?;
    let built = plan::build(&cfg, &scene).map_err(|e| format!("{}: {e}", a.plan.display()))?;
    let p = &built.problem;
    let mut report = plan::reading_report(&cfg, p, &saved.layout, &[], &[])?;
    if a.task == "letters" {
        report.images.clear();
    }
    if a.task == "images" {
        report.layouts.clear();
        report.at_coverage_threshold = None;
        report.threshold_gain_logmar.clear();
        report.electrode_equivalent = None;
        report.electrode_equivalent_central = None;
        report.seeds = None;
        report.robustness.clear();
    }
    if let Some(out) = &a.plot {
        plot(&report, out)?;
    }
    if let Some(out) = &a.preview {
        let layouts = crate::planning::evaluate::Layouts::standard(
            p,
            &saved.layout,
            cfg.optimizer.seed,
            &cfg.wedge()?,
            &[],
        );
        let size = match a.preview_size {
            Some(s) if (0.1..=30.0).contains(&s) => s,
            Some(s) => return Err(format!("--preview-size {s}: expected 0.1 to 30 degrees")),
            None => crate::app::planning::preview_size(&report),
        };
        write_preview(p, &layouts, size, out)?;
    }
    // every layout's contacts, in the plan's export space
    let n = saved.layout.placements.len();
    let coverage = p.coverage_layout(saved.layout.device, n);
    let random = p.random_layout(saved.layout.device, n, cfg.optimizer.seed);
    let to_export = |q| plan::export_point(&scene, q);
    let electrodes = serde_json::json!({
        "percept_aware": plan::electrodes_of(p, &saved.layout, &to_export),
        "coverage": plan::electrodes_of(p, &coverage, &to_export),
        "random": plan::electrodes_of(p, &random, &to_export),
    });
    if a.json {
        let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        let m = v.as_object_mut().expect("object");
        m.insert("plan".into(), a.plan.display().to_string().into());
        m.insert("electrodes".into(), electrodes);
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
    } else {
        println!(
            "{} ({} devices, {} phosphenes; {})",
            a.plan.display(),
            n,
            sites_of(p, &saved.layout).len(),
            built.retinotopy
        );
        print!("{}", text(&report));
        if let Some(out) = &a.plot {
            println!("psychometric curves written to {}", out.display());
        }
    }
    Ok(())
}

fn ci(c: Option<[f64; 2]>, digits: usize) -> String {
    c.map_or("–".into(), |c| {
        format!("[{:.*}, {:.*}]", digits, c[0], digits, c[1])
    })
}

/// The report as text: a table of layouts, then the comparisons.
pub fn text(r: &ReadingReport) -> String {
    use comfy_table::{CellAlignment, Table, presets};
    let mut out = String::new();
    if !r.layouts.is_empty() {
        let mut t = Table::new();
        t.load_style(presets::ASCII_HORIZONTAL_ONLY);
        t.set_header(vec![
            "layout",
            "phosphenes",
            "median ecc °",
            "threshold °",
            "95% CI °",
            "logMAR",
            "naive threshold °",
            "SSIM letter box",
        ]);
        for (name, l) in &r.layouts {
            t.add_row(vec![
                name.clone(),
                l.phosphenes.to_string(),
                format!("{:.2}", l.median_eccentricity_deg),
                l.ideal
                    .threshold_deg
                    .map_or("–".into(), |v| format!("{v:.2}")),
                ci(l.ideal.threshold_ci95_deg, 2),
                l.ideal
                    .threshold_logmar
                    .map_or("–".into(), |v| format!("{v:.2}")),
                l.naive
                    .threshold_deg
                    .map_or("–".into(), |v| format!("{v:.2}")),
                format!("{:.3}", l.ssim_foreground),
            ]);
        }
        for c in t.column_iter_mut().skip(1) {
            c.set_cell_alignment(CellAlignment::Right);
        }
        out += &format!(
            "held-out letters ({}, {} sizes × {} positions, {} trials per letter; ideal observer, noise σ {} per {}° pixel)\n{t}\n",
            r.observer.test_font,
            r.observer.options.sizes_deg.len(),
            r.observer.options.positions_deg.len(),
            r.observer.options.trials,
            r.observer.options.noise,
            r.observer.noise_pixel_deg
        );
    }
    if let Some(a) = &r.at_coverage_threshold {
        let acc: Vec<String> = a
            .accuracy
            .iter()
            .map(|(k, v)| format!("{k} {:.0}%", 100.0 * v))
            .collect();
        out += &format!(
            "at {:.2}° ({:.2} logMAR), where coverage reads 50%: {}\n  plan − coverage {:+.1} pp {}; plan − lattice {:+.1} pp {}\n",
            a.size_deg,
            a.size_logmar,
            acc.join(", "),
            a.gain_vs_coverage_pp.mean,
            ci(a.gain_vs_coverage_pp.ci95, 1),
            a.gain_vs_lattice_pp.mean,
            ci(a.gain_vs_lattice_pp.ci95, 1)
        );
    }
    for (k, g) in &r.threshold_gain_logmar {
        out += &format!(
            "threshold gain over {k}: {:+.3} logMAR {}\n",
            g.mean,
            ci(g.ci95, 3)
        );
    }
    let devices = r.layouts.get("percept_aware").map_or(0, |l| l.devices);
    for (what, e) in [
        ("coverage", &r.electrode_equivalent),
        ("central coverage", &r.electrode_equivalent_central),
    ] {
        let Some(e) = e else { continue };
        out += &match (e.equivalent_devices, e.beyond_range) {
            (Some(n), _) => format!(
                "electrode equivalent: {devices} planned ≈ {n:.0} {what} ({:.2}×)\n",
                n / devices.max(1) as f64
            ),
            (None, true) => format!(
                "electrode equivalent: {devices} planned read better than {} {what} (> {:.1}×)\n",
                e.coverage_devices.last().unwrap_or(&0),
                e.ratio.unwrap_or(f64::NAN)
            ),
            (None, false) => {
                format!("electrode equivalent: {what} of the same count already reads as well\n")
            }
        };
    }
    if let Some(s) = &r.seeds {
        let per: Vec<String> = s
            .per_seed
            .iter()
            .map(|x| x.threshold_deg.map_or("–".into(), |t| format!("{t:.2}°")))
            .collect();
        out += &format!(
            "over {} optimiser seeds: thresholds {}; gain over coverage {:.3} ± {:.3} logMAR (mean ± sd)\n",
            s.per_seed.len(),
            per.join(", "),
            s.gain_vs_coverage_logmar_mean,
            s.gain_vs_coverage_logmar_sd
        );
    }
    for x in &r.robustness {
        out += &format!(
            "{} {}: plan {:.0}% vs coverage {:.0}% at {:.2}° ({:+.1} pp {})\n",
            x.kind,
            if x.kind == "jitter" {
                format!("{}° rms", x.amount)
            } else {
                format!("{:.0}%", 100.0 * x.amount)
            },
            100.0 * x.percept_aware,
            100.0 * x.coverage,
            x.size_deg,
            x.gain_pp.mean,
            ci(x.gain_pp.ci95, 1)
        );
    }
    if !r.images.is_empty() {
        let mut t = Table::new();
        t.load_style(presets::ASCII_HORIZONTAL_ONLY);
        let layouts: Vec<String> = r
            .images
            .values()
            .next()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        // one row per layout, one column per image: "SSIM / edge r"
        let images: Vec<&String> = r.images.keys().collect();
        let mut header = vec!["held-out images: SSIM / edge r".to_string()];
        header.extend(images.iter().map(|i| i.to_string()));
        t.set_header(header);
        for l in &layouts {
            let mut row = vec![l.clone()];
            for img in &images {
                let s = &r.images[*img][l];
                row.push(format!("{:.3} / {:.3}", s.ssim, s.edge_r));
            }
            t.add_row(row);
        }
        out += &format!("{t}\n");
    }
    out
}

/// Psychometric curves: accuracy against letter size (log axis), points per tested size and
/// the fitted Weibull, one colour per layout, chance and 50 % marked.
pub fn plot(r: &ReadingReport, out: &Path) -> Result<(), String> {
    use plotters::prelude::*;
    let font = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/fonts/DejaVuSans-Bold.ttf"
    ));
    // registering twice is harmless; the error type is not Send, so map it here
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, font);
    let sizes = &r.observer.options.sizes_deg;
    let (lo, hi) = (
        sizes.first().copied().unwrap_or(0.5),
        sizes.last().copied().unwrap_or(10.0),
    );
    let e = |x: &dyn std::fmt::Display| format!("{}: {x}", out.display());
    let root = BitMapBackend::new(out, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Held-out letters (DejaVu Serif): ideal observer",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d((lo * 0.9..hi * 1.1).log_scale(), 0.0..1.0)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("letter size (cap height, degrees)")
        .y_desc("proportion correct")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|x| e(&x))?;
    let colours = [
        RGBColor(214, 39, 40),
        RGBColor(31, 119, 180),
        RGBColor(23, 190, 207),
        RGBColor(127, 127, 127),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
    ];
    let order = crate::planning::evaluate::LAYOUT_ORDER;
    let mut names: Vec<&String> = r.layouts.keys().collect();
    names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(99));
    for (i, name) in names.into_iter().enumerate() {
        let l = &r.layouts[name];
        let c = colours[i % colours.len()];
        let points: Vec<(f64, f64)> = sizes
            .iter()
            .copied()
            .zip(l.ideal.accuracy.iter().copied())
            .collect();
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, c.filled())),
            )
            .map_err(|x| e(&x))?;
        if let Some(f) = l.ideal.fit {
            let curve: Vec<(f64, f64)> = (0..200)
                .map(|k| {
                    let s = lo * 0.9 * ((hi * 1.1) / (lo * 0.9)).powf(k as f64 / 199.0);
                    (s, f.p(s))
                })
                .collect();
            let label = l.ideal.label(name);
            chart
                .draw_series(LineSeries::new(curve, c.stroke_width(2)))
                .map_err(|x| e(&x))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
        }
    }
    for (y, label) in [(crate::planning::reading::CHANCE, "chance"), (0.5, "50%")] {
        chart
            .draw_series(LineSeries::new(
                vec![(lo * 0.9, y), (hi * 1.1, y)],
                BLACK.mix(0.3).stroke_width(1),
            ))
            .map_err(|x| e(&x))?
            .label(label)
            .legend(|(x, yy)| PathElement::new(vec![(x, yy), (x + 20, yy)], BLACK.mix(0.3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The read preview as a PNG: a row per letter, the letter then each layout's noiseless
/// percept, each tile scaled to its brightest pixel.
fn write_preview(
    p: &crate::planning::optimize::Problem,
    layouts: &crate::planning::evaluate::Layouts,
    size_deg: f64,
    out: &Path,
) -> Result<(), String> {
    let rows: Vec<_> = ['E', 'A', 'R']
        .into_iter()
        .map(|c| crate::planning::evaluate::preview(p, layouts, c, size_deg))
        .collect::<Result<_, _>>()?;
    let (w, h) = (rows[0].width, rows[0].height);
    let cols = 1 + rows[0].percepts.len();
    let mut img = image::GrayImage::new((w * cols) as u32, (h * rows.len()) as u32);
    for (r, pv) in rows.iter().enumerate() {
        let tiles = std::iter::once(&pv.stimulus).chain(pv.percepts.iter().map(|(_, v)| v));
        for (c, tile) in tiles.enumerate() {
            let top = tile.iter().copied().fold(1e-6f32, f32::max);
            for (i, v) in tile.iter().enumerate() {
                let g = ((v / top).clamp(0.0, 1.0) * 255.0).round() as u8;
                img.put_pixel(
                    (c * w + i % w) as u32,
                    (r * h + i / w) as u32,
                    image::Luma([g]),
                );
            }
        }
    }
    img.save(out)
        .map_err(|e| format!("{}: cannot write the preview: {e}", out.display()))
}
