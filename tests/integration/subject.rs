//! Planning on a subject folder: a generated FreeSurfer subject (fsaverage5 surfaces, the
//! template's maps as MGZ, a scanner offset in `mri/orig.mgz`, a rasterised vessel mask)
//! plans exactly like the embedded scene, plans around a vessel mask, exports scanner RAS that
//! comes back through Slicer markups, and refuses bad inputs with one line.

use std::path::{Path, PathBuf};

use cortexplorer::brain::Overlay;
use cortexplorer::planning::generated_subject::C_RAS as GENERATED_C_RAS;
use serde_json::Value;

use crate::{bin, nifti_f32, scratch};

fn run(args: &[&str]) -> (bool, Value, String) {
    let o = bin().args(args).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (
        o.status.success(),
        v,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn generated(name: &str) -> PathBuf {
    let dir = scratch(name).join("subj");
    let o = bin()
        .args(["generate-subject", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_subject_plans_like_the_embedded_scene_and_exports_scanner_ras() {
    let subj = generated("subject-same");
    let quick = crate::data("plan_quick.toml");
    let (ok, sub, e) = run(&[
        "plan",
        "--json",
        "--config",
        s(&quick),
        "--subject",
        s(&subj),
    ]);
    assert!(ok, "{e}");
    let (ok, emb, e) = run(&["plan", "--json", "--config", s(&quick)]);
    assert!(ok, "{e}");
    assert_eq!(sub["subject"], s(&subj));
    assert!(
        sub["retinotopy"]
            .as_str()
            .unwrap()
            .contains("template_angle")
    );
    assert_eq!(sub["coordinates"], "scanner RAS (mri/orig.mgz)");
    // same maps, same surfaces: the same plan and scores
    for k in ["percept_aware", "coverage_baseline", "random_baseline"] {
        assert_eq!(sub[k]["ssim"], emb[k]["ssim"], "{k}");
        assert_eq!(sub[k]["margin_violations"], emb[k]["margin_violations"]);
    }
    let (a, b) = (
        sub["electrodes"].as_array().unwrap(),
        emb["electrodes"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x["surface_ras_mm"], y["surface_ras_mm"]);
        assert_eq!(x["area"], "V1");
        assert!(f(&x["eccentricity_deg"]) >= 0.0);
        // exports are in scanner RAS: surface RAS + c_ras of the generated orig.mgz
        for k in 0..3 {
            let d = f(&x["ras_mm"][k]) - f(&x["surface_ras_mm"][k]);
            assert!((d - GENERATED_C_RAS[k] as f64).abs() < 1e-4, "{d}");
        }
    }
}

#[test]
fn a_subject_plans_around_a_vessel_mask_and_round_trips_through_slicer() {
    let subj = generated("subject-mask");
    let dir = subj.parent().unwrap().to_path_buf();
    let (mrk, bids, out) = (
        dir.join("plan.mrk.json"),
        dir.join("sub-01_space-ScanRAS"),
        dir.join("plan.json"),
    );
    let mask = subj.join("vessels_mask.mgz");
    let (ok, r, e) = run(&[
        "plan",
        "--json",
        "--subject",
        s(&subj),
        "--vessels",
        s(&mask),
        "--slicer",
        s(&mrk),
        "--bids",
        s(&bids),
        "--out",
        s(&out),
    ]);
    assert!(ok, "{e}");
    assert_eq!(r["vessels"]["kind"], "mask");
    let (pa, cov) = (&r["percept_aware"], &r["coverage_baseline"]);
    // held-out letters read better through the plan than through coverage, for every seed
    let reading = &r["reading"];
    let gain = &reading["threshold_gain_logmar"]["coverage"];
    assert!(
        f(&gain["mean"]) >= 0.1 && f(&gain["ci95"][0]) > 0.0,
        "{gain}"
    );
    let seeds = reading["seeds"]["per_seed"].as_array().unwrap();
    assert_eq!(seeds.len(), 3);
    for sd in seeds {
        assert!(f(&sd["gain_vs_coverage_logmar"]) > 0.0, "{sd}");
    }
    // measured in the mask's distance field
    assert_eq!(pa["margin_violations"], 0);
    assert!(f(&pa["min_vessel_distance_mm"]) >= 1.0);
    assert!(
        f(&cov["margin_violations"]) > 0.0,
        "the mask constrains the plan"
    );
    let coords: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("sub-01_space-ScanRAS_coordsystem.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(coords["iEEGCoordinateSystem"], "ScanRAS");
    // Slicer markups in scanner RAS come back onto the subject's surface with the same
    // phosphenes the planner predicted
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&mrk).unwrap()).unwrap();
    assert_eq!(m["markups"][0]["coordinateSystem"], "RAS");
    let p0 = &m["markups"][0]["controlPoints"][0]["position"];
    let e0 = &r["electrodes"][0]["ras_mm"];
    for k in 0..3 {
        assert!((f(&p0[k]) - f(&e0[k])).abs() < 1e-6);
    }
    let (ok, per, e) = run(&[
        "percept",
        "--map",
        "surface",
        "--subject",
        s(&subj),
        "--json",
        "--electrodes",
        s(&mrk),
    ]);
    assert!(ok, "{e}");
    let phos = per["phosphenes"].as_array().unwrap();
    let els = r["electrodes"].as_array().unwrap();
    assert_eq!(phos.len(), 100, "every contact maps back into V1");
    let mut err: Vec<f64> = phos
        .iter()
        .map(|p| {
            let i: usize = p["electrode"].as_str().unwrap()[1..].parse().unwrap();
            (f(&p["x_deg"]) - f(&els[i]["x_deg"])).hypot(f(&p["y_deg"]) - f(&els[i]["y_deg"]))
        })
        .collect();
    err.sort_by(f64::total_cmp);
    assert!(err[err.len() / 2] < 0.5, "median {}", err[err.len() / 2]);
}

/// Write a per-vertex MGZ map.
fn write_map(p: &Path, v: Vec<f32>) {
    let o = Overlay::new(v.len(), 1, v);
    std::fs::write(p, cortexplorer::io::mgh::write_overlay(&o)).unwrap();
}

#[test]
fn bad_subject_inputs_get_one_clear_line() {
    let subj = generated("subject-bad");
    let dir = subj.parent().unwrap().to_path_buf();
    let expect_err = |args: &[&str], needle: &str| {
        let (ok, _, e) = run(args);
        assert!(!ok, "{args:?} should fail");
        assert!(e.contains(needle), "expected {needle:?} in: {e}");
        assert!(e.trim().lines().count() <= 2, "one clear line: {e}");
    };
    // a folder without surfaces
    let empty = dir.join("empty");
    std::fs::create_dir_all(empty.join("surf")).unwrap();
    expect_err(
        &["plan", "--json", "--subject", s(&empty)],
        "without any surface",
    );
    // maps whose vertex count differs from the surface
    let n = 10_242;
    let (a, e, v) = (
        dir.join("lh.a.mgz"),
        dir.join("lh.e.mgz"),
        dir.join("lh.v.mgz"),
    );
    write_map(&a, vec![90.0; 100]);
    write_map(&e, vec![5.0; 100]);
    write_map(&v, vec![1.0; 100]);
    let spec = format!("{},{},{}", s(&a), s(&e), s(&v));
    expect_err(
        &[
            "plan",
            "--json",
            "--subject",
            s(&subj),
            "--retinotopy",
            &spec,
        ],
        "100 values",
    );
    // an eccentricity map with NaN or negative values
    write_map(&a, vec![90.0; n]);
    write_map(&v, vec![1.0; n]);
    let mut ecc = vec![5.0f32; n];
    ecc[7] = -1.0;
    write_map(&e, ecc.clone());
    let left_only = dir.join("left.toml");
    std::fs::write(&left_only, "[scene]\nhemispheres = [\"left\"]\n").unwrap();
    let plan_left = |spec: &str| {
        vec![
            "plan".to_string(),
            "--json".into(),
            "--config".into(),
            s(&left_only).into(),
            "--subject".into(),
            s(&subj).into(),
            "--retinotopy".into(),
            spec.into(),
        ]
    };
    let args = plan_left(&spec);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    expect_err(&args, "negative");
    ecc[7] = f32::NAN;
    write_map(&e, ecc);
    expect_err(&args, "NaN");
    // a retinotopy with no V1 vertex inside the field of view: V1 only beyond 40°
    write_map(&e, vec![45.0; n]);
    expect_err(&args, "no electrode fits in V1");
    // an empty mask, and a mask nowhere near the cortex
    let zeros = dir.join("empty_mask.nii");
    let srow = [
        [1.0, 0.0, 0.0, -40.0],
        [0.0, 1.0, 0.0, -120.0],
        [0.0, 0.0, 1.0, -30.0],
    ];
    std::fs::write(&zeros, nifti_f32([20, 20, 20, 1], srow, |_, _| 0.0)).unwrap();
    expect_err(
        &[
            "plan",
            "--json",
            "--subject",
            s(&subj),
            "--vessels",
            s(&zeros),
        ],
        "the vessel mask is empty",
    );
    let far = dir.join("far_mask.nii");
    let srow_far = [
        [1.0, 0.0, 0.0, 400.0],
        [0.0, 1.0, 0.0, 400.0],
        [0.0, 0.0, 1.0, 400.0],
    ];
    std::fs::write(
        &far,
        nifti_f32([20, 20, 20, 1], srow_far, |_, p| {
            f64::from(p[0] > 409.0 && p[0] < 411.0)
        }),
    )
    .unwrap();
    expect_err(
        &[
            "plan",
            "--json",
            "--subject",
            s(&subj),
            "--vessels",
            s(&far),
        ],
        "from the planned cortex",
    );
    // a threshold above every value is an empty mask too
    let thr = format!("{}:2.5", s(&subj.join("vessels_mask.mgz")));
    expect_err(
        &["plan", "--json", "--subject", s(&subj), "--vessels", &thr],
        "no voxel above the threshold 2.5",
    );
}

/// An fMRIPrep anat folder (GIFTI surfaces named the BIDS-derivatives way, here fsaverage5's)
/// opens as a subject: found files and missing ones are reported, surfaces are taken to be in
/// the T1w scanner space, and the registered sphere carries the template.
#[test]
fn an_fmriprep_anat_folder_is_a_subject() {
    use cortexplorer::brain::fsaverage5::FILES;
    let dir = scratch("subject-fmriprep").join("anat");
    std::fs::create_dir_all(&dir).unwrap();
    let name = |file: &str| -> Option<String> {
        let (kind, side) = file.trim_end_matches(".gii.gz").split_once('_')?;
        let hemi = if side == "left" { "L" } else { "R" };
        Some(match kind {
            "pial" | "white" => format!("sub-01_hemi-{hemi}_{kind}.surf.gii"),
            "infl" => format!("sub-01_hemi-{hemi}_inflated.surf.gii"),
            "sphere" => format!("sub-01_hemi-{hemi}_space-fsaverage_desc-reg_sphere.surf.gii"),
            "sulc" | "curv" => format!("sub-01_hemi-{hemi}_{kind}.shape.gii"),
            "thick" => format!("sub-01_hemi-{hemi}_thickness.shape.gii"),
            _ => return None,
        })
    };
    for (file, bytes) in FILES {
        if let Some(n) = name(file) {
            std::fs::write(dir.join(n), bytes).unwrap();
        }
    }
    let (files, info) = cortexplorer::brain::subject::discover(&dir).unwrap();
    assert_eq!(info.layout, "fMRIPrep");
    assert_eq!(files.len(), 14, "{:?}", info.found);
    assert!(info.registered_sphere.values().all(|&r| r));
    assert!(info.missing.is_empty(), "{:?}", info.missing);
    let cfg = scratch("subject-fmriprep").join("quick.toml");
    std::fs::write(
        &cfg,
        "[tasks]\nletters = [\"A\"]\nimages = false\n[objective]\nreading = 0.0\nletters = 1.0\n\
         [optimizer]\nmax_iterations = 40\ncomparison_seeds = 1\n[evaluation]\nreading = false\n",
    )
    .unwrap();
    let (ok, r, e) = run(&["plan", "--json", "--config", s(&cfg), "--subject", s(&dir)]);
    assert!(ok, "{e}");
    assert!(
        r["retinotopy"]
            .as_str()
            .unwrap()
            .contains("approximate template")
    );
    assert!(
        r["coordinates"]
            .as_str()
            .unwrap()
            .contains("fMRIPrep surfaces are in the T1w scanner space")
    );
    let e0 = &r["electrodes"][0];
    assert_eq!(e0["ras_mm"], e0["surface_ras_mm"]);
}

/// Layers named the way neuropythy names them (`lh.benson14_angle.mgz` → "benson14_angle")
/// are retinotopy for routing too (it used to fall back to the template silently).
#[test]
fn neuropythy_named_maps_drive_routing() {
    let subj = generated("subject-routing");
    let dir = subj.parent().unwrap().join("maps");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for h in ["lh", "rh"] {
        for k in ["angle", "eccen", "varea"] {
            let to = dir.join(format!("{h}.benson14_{k}.mgz"));
            std::fs::copy(subj.join(format!("surf/{h}.template_{k}.mgz")), &to).unwrap();
            files.push(to);
        }
    }
    let out = dir.join("heat.png");
    let mut args = vec!["routing".to_string()];
    args.extend(files.iter().map(|p| s(p).to_string()));
    args.extend(["--vertex", "3920", "--json", "--out", s(&out)].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, j, e) = run(&args);
    assert!(ok, "{e}");
    for h in ["left", "right"] {
        assert!(
            j["model"][h].as_str().unwrap().contains("benson14_angle"),
            "{j}"
        );
    }
    assert_eq!(j["prf"]["area"], 1);
    // the template's V1 vertex 3920 sees the upper right field
    assert!(f(&j["prf"]["x"]) > 0.0 && f(&j["prf"]["y"]) > 0.0, "{j}");
}

/// A subject with retinotopy for its left hemisphere only: the planner and `percept --map
/// surface` use the left maps for the left hemisphere and the template for the right (one
/// rule, `percept::resolve`), and say so per hemisphere.
#[test]
fn maps_for_one_hemisphere_plan_and_percept_per_hemisphere() {
    let subj = generated("subject-one-hemi");
    for name in ["angle", "eccen", "varea"] {
        std::fs::remove_file(subj.join(format!("surf/rh.template_{name}.mgz"))).unwrap();
    }
    let dir = subj.parent().unwrap().to_path_buf();
    let cfg = dir.join("quick.toml");
    std::fs::write(
        &cfg,
        "[field]\nsize = 64\noptimize_size = 32\n[tasks]\nletters = [\"A\"]\nimages = false\n\
         [objective]\nreading = 0.0\nletters = 1.0\n\
         [optimizer]\nmax_iterations = 3\ncomparison_seeds = 1\n[evaluation]\nreading = false\n",
    )
    .unwrap();
    let out = dir.join("plan.json");
    let (ok, r, e) = run(&[
        "plan",
        "--json",
        "--config",
        s(&cfg),
        "--subject",
        s(&subj),
        "--out",
        s(&out),
    ]);
    assert!(ok, "{e}");
    let note = r["retinotopy"].as_str().unwrap();
    assert!(
        note.starts_with("left: template_angle") && note.contains("right: approximate template"),
        "{note}"
    );
    let hemis: Vec<&str> = r["electrodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["hemisphere"].as_str().unwrap())
        .collect();
    assert!(
        hemis.contains(&"left") && hemis.contains(&"right"),
        "{hemis:?}"
    );
    let (ok, p, e) = run(&[
        "percept",
        "--map",
        "surface",
        "--subject",
        s(&subj),
        "--electrodes",
        s(&out),
        "--json",
    ]);
    assert!(ok, "{e}");
    let note = p["retinotopy"].as_str().unwrap();
    assert!(
        note.starts_with("left: template_angle") && note.contains("right: approximate template"),
        "{note}"
    );
    assert!(p["phosphenes"].as_array().unwrap().len() >= 50, "{p}");
}
