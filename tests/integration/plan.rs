//! `cortexplorer plan` on the embedded scene: the report contract, the claims of the planning
//! issue (percept-aware beats coverage on both tasks with zero margin violations; thread
//! co-optimisation beats per-contact placement snapped to threads), the exports and their
//! round trip, and bad input.

use std::path::Path;

use cortexplorer::planning::export;
use serde_json::Value;

use crate::{asset, bin, scratch};

#[track_caller]
fn run_ok(args: &[&str], extra: &[&Path]) -> Value {
    let o = bin().args(args).args(extra).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[track_caller]
fn run_err(args: &[&str], extra: &[&Path], needle: &str) {
    let o = bin().args(args).args(extra).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?} should fail");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn default_plan_beats_coverage_and_exports_round_trip() {
    let dir = scratch("plan-default");
    let (out, csv, mrk, bids, imgs) = (
        dir.join("plan.json"),
        dir.join("plan.csv"),
        dir.join("plan.mrk.json"),
        dir.join("sub-01_space-fsaverage5"),
        dir.join("images"),
    );
    let r = run_ok(
        &["plan", "--json", "--out"],
        &[
            &out,
            Path::new("--csv"),
            &csv,
            Path::new("--slicer"),
            &mrk,
            Path::new("--bids"),
            &bids,
            Path::new("--images"),
            &imgs,
        ],
    );
    for k in ["percept_aware", "coverage_baseline", "random_baseline"] {
        let s = &r[k];
        for key in [
            "margin_violations",
            "min_vessel_distance_mm",
            "gray_matter_violations",
            "coverage",
        ] {
            assert!(s.get(key).is_some(), "{k}.{key}");
        }
        for t in ["letters", "images"] {
            assert!(
                s["ssim"][t].is_number() && s["mse"][t].is_number(),
                "{k} {t}"
            );
        }
    }
    assert!(f(&r["iterations"]) >= 1.0 && f(&r["seconds"]) > 0.0);
    let (pa, cov) = (&r["percept_aware"], &r["coverage_baseline"]);
    for t in ["letters", "images"] {
        assert!(
            f(&pa["ssim"][t]) > f(&cov["ssim"][t]),
            "{t}: SSIM {} vs coverage {}",
            pa["ssim"][t],
            cov["ssim"][t]
        );
        assert!(f(&pa["mse"][t]) < f(&cov["mse"][t]), "{t}: MSE");
    }
    assert_eq!(pa["margin_violations"], 0);
    assert_eq!(pa["gray_matter_violations"], 0);
    // the paired, per-target comparison (whole image and reachable region, three seeds)
    let c = &r["comparison"];
    for t in ["letters", "images"] {
        for region in ["whole_image", "reachable_region"] {
            let x = &c["tasks"][t][region];
            assert!(f(&x["mean"]) > 0.0, "{t} {region}: {x}");
            assert_eq!(x["per_target"][0]["per_seed"].as_array().unwrap().len(), 3);
        }
    }
    assert!((0.0..=1.0).contains(&f(&c["reachable_fraction"])));
    assert!(f(&pa["min_vessel_distance_mm"]) >= 1.0);
    assert!(r["retinotopy"].as_str().unwrap().contains("approximate"));
    assert_eq!(r["vessels"]["kind"], "generated");
    assert_eq!(r["subject"], "fsaverage5 (embedded)");
    assert_eq!(r["areas"], serde_json::json!(["V1"]));
    assert!(r["coordinates"].as_str().unwrap().contains("surface RAS"));
    let els = r["electrodes"].as_array().unwrap();
    assert_eq!(els.len(), 100);
    for e in els {
        for k in [
            "id",
            "thread",
            "ras_mm",
            "x_deg",
            "y_deg",
            "depth_fraction",
            "vessel_distance_mm",
        ] {
            assert!(e.get(k).is_some(), "electrode key {k}");
        }
        let d = f(&e["depth_fraction"]);
        assert!((0.0..=1.0).contains(&d));
        if e["active"] == true {
            assert!(f(&e["vessel_distance_mm"]) >= 1.0, "{e}");
        }
    }
    for name in [
        "letters_A_target.png",
        "letters_A_percept_aware.png",
        "images_camera_coverage.png",
    ] {
        let p = imgs.join(name);
        assert!(p.exists(), "{}", p.display());
    }

    // exports: all four carry the same points, and `percept --map surface` reads each
    let coordsystem: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("sub-01_space-fsaverage5_coordsystem.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(coordsystem["iEEGCoordinateUnits"], "mm");
    let tsv = dir.join("sub-01_space-fsaverage5_electrodes.tsv");
    let mrk_v: Value = serde_json::from_str(&std::fs::read_to_string(&mrk).unwrap()).unwrap();
    let m = &mrk_v["markups"][0];
    assert_eq!(m["type"], "Fiducial");
    assert_eq!(m["coordinateSystem"], "RAS");
    assert_eq!(m["controlPoints"].as_array().unwrap().len(), 100);
    let reference: Vec<[f64; 3]> = els
        .iter()
        .map(|e| {
            let a = e["ras_mm"].as_array().unwrap();
            [f(&a[0]), f(&a[1]), f(&a[2])]
        })
        .collect();
    let mut percepts = Vec::new();
    for file in [&out, &mrk, &tsv, &csv] {
        let pts = export::import_points(file).unwrap();
        assert_eq!(pts.len(), 100, "{}", file.display());
        for (i, (p, q)) in pts.iter().zip(&reference).enumerate() {
            assert_eq!(p.name, format!("E{i}"), "{}", file.display());
            assert!(
                p.ras.iter().zip(q).all(|(a, b)| (a - b).abs() < 1e-4),
                "{}: {p:?}",
                file.display()
            );
        }
        let v = run_ok(
            &["percept", "--map", "surface", "--json", "--electrodes"],
            &[file],
        );
        percepts.push(v["phosphenes"].as_array().unwrap().clone());
    }
    assert!(percepts[0].len() >= 90, "most planned contacts map into V1");
    for p in &percepts[1..] {
        assert_eq!(p.len(), percepts[0].len());
        for (a, b) in p.iter().zip(&percepts[0]) {
            assert_eq!(a["electrode"], b["electrode"]);
            assert!((f(&a["x_deg"]) - f(&b["x_deg"])).abs() < 1e-3);
            assert!((f(&a["y_deg"]) - f(&b["y_deg"])).abs() < 1e-3);
        }
    }
    // the surface-map percept puts each phosphene near where the planner put it
    let mut err: Vec<f64> = percepts[0]
        .iter()
        .map(|p| {
            let i: usize = p["electrode"].as_str().unwrap()[1..].parse().unwrap();
            let e = &els[i];
            (f(&p["x_deg"]) - f(&e["x_deg"])).hypot(f(&p["y_deg"]) - f(&e["y_deg"]))
        })
        .collect();
    err.sort_by(f64::total_cmp);
    assert!(
        err[err.len() / 2] < 0.5,
        "median {} deg",
        err[err.len() / 2]
    );
}

#[test]
fn thread_co_optimisation_beats_snapped_per_contact_placement() {
    let r = run_ok(
        &["plan", "--json", "--config"],
        &[&asset("plan_threads.toml")],
    );
    let (co, snap) = (&r["percept_aware"], &r["independent_snapped"]);
    assert_eq!(co["margin_violations"], 0);
    assert_eq!(snap["margin_violations"], 0);
    assert!(f(&co["ssim"]["letters"]) > f(&snap["ssim"]["letters"]));
    assert!(f(&co["mse"]["letters"]) < f(&snap["mse"]["letters"]));
    // images: the joint optimisation trades a little of one task for the other; within 1%
    assert!(f(&co["mse"]["images"]) <= 1.01 * f(&snap["mse"]["images"]));
    // the budget: 8 threads of 32 contacts
    let els = r["electrodes"].as_array().unwrap();
    assert_eq!(els.len(), 8 * 32);
    let threads: std::collections::BTreeSet<u64> =
        els.iter().map(|e| e["thread"].as_u64().unwrap()).collect();
    assert_eq!(threads.len(), 8);
}

#[test]
fn plan_and_percept_reject_bad_input_clearly() {
    let dir = scratch("plan-bad");
    let base = std::fs::read_to_string(asset("plan.toml")).unwrap();
    let cases = [
        (
            base.replace("margin_mm = 1.0", "margin_mm = 1.0\nmargn = 2"),
            "margn",
        ),
        (
            base.replace(
                "letters = [\"A\", \"E\", \"H\", \"K\", \"N\", \"O\", \"R\", \"S\", \"X\", \"Z\", \"CAT\", \"SUN\"]",
                "letters = []",
            )
            .replace("images = true ", "images = false"),
            "task set is empty",
        ),
        (base.replace("margin_mm = 1.0", "margin_mm = nan"), "margin"),
        (base.replace("count = 100", "count = 0"), "count"),
        (
            base.replace("user_images = []", "user_images = [\"/nonexistent/cat.png\"]"),
            "/nonexistent/cat.png",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        assert_ne!(text, &base, "case {i} must change the config");
        let p = dir.join(format!("bad{i}.toml"));
        std::fs::write(&p, text).unwrap();
        run_err(&["plan", "--config"], &[&p], needle);
    }
    run_err(
        &["plan", "--config"],
        &[&dir.join("missing.toml")],
        "missing.toml",
    );
    // electrodes outside the brain / NaN coordinates on the surface map
    let csv = dir.join("far.csv");
    std::fs::write(&csv, "x,y,z\n0,-100,5\n200,200,200\n").unwrap();
    run_err(
        &["percept", "--map", "surface", "--electrodes"],
        &[&csv],
        "outside the brain",
    );
    std::fs::write(&csv, "x,y,z\n0,nan,5\n").unwrap();
    run_err(
        &["percept", "--map", "surface", "--electrodes"],
        &[&csv],
        "NaN",
    );
    // a plan or markups file with a NaN/garbage does not import
    let mrk = dir.join("bad.mrk.json");
    std::fs::write(
        &mrk,
        r#"{"markups":[{"type":"Fiducial","coordinateSystem":"RAS","controlPoints":[{"position":[1,"x",3]}]}]}"#,
    )
    .unwrap();
    run_err(
        &["percept", "--map", "surface", "--electrodes"],
        &[&mrk],
        "position",
    );
    let pj = dir.join("bad.json");
    std::fs::write(&pj, r#"{"format":"something-else"}"#).unwrap();
    run_err(
        &["percept", "--map", "surface", "--electrodes"],
        &[&pj],
        "bad.json",
    );
}
