//! The command-line contract: JSON keys, exit codes, one-line errors.

use serde_json::Value;

use crate::{asset, bin, data};

fn inspect_json(path: &std::path::Path) -> Value {
    let out = bin()
        .args(["inspect", "--json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn inspect_keys_per_kind() {
    let s = inspect_json(&asset("fsaverage5/pial_left.gii.gz"));
    assert_eq!(s["kind"], "surface");
    assert_eq!(s["format"], "gifti");
    assert_eq!(s["vertices"], 10242);
    assert_eq!(s["faces"], 20480);
    assert_eq!(s["bbox_min"].as_array().unwrap().len(), 3);
    assert_eq!(s["bbox_max"].as_array().unwrap().len(), 3);

    let o = inspect_json(&data("nibabel/task.func.gii"));
    assert_eq!(o["kind"], "overlay");
    for k in ["values", "frames", "min", "max", "mean"] {
        assert!(o.get(k).is_some(), "overlay key {k}");
    }
    assert_eq!(o["frames"], 10);

    let l = inspect_json(&data("freesurfer/rh.aparc.annot.gz"));
    assert_eq!(l["kind"], "labels");
    assert_eq!(l["format"], "freesurfer_annot");
    let r = &l["regions"][1];
    for k in ["name", "index", "rgba", "count"] {
        assert!(r.get(k).is_some(), "region key {k}");
    }

    let v = inspect_json(&data("nibabel/example4d.nii.gz"));
    assert_eq!(v["kind"], "volume");
    assert_eq!(v["dims"], serde_json::json!([128, 96, 24, 2]));
    assert_eq!(v["affine"].as_array().unwrap().len(), 4);
    assert_eq!(v["affine"][0].as_array().unwrap().len(), 4);
    assert_eq!(v["dtype"], "int16");
    for k in ["voxel_size_mm", "min", "max", "mean"] {
        assert!(v.get(k).is_some(), "volume key {k}");
    }
}

#[test]
fn unreadable_file_is_one_line_naming_it() {
    let dir = crate::scratch("cli-bad");
    let p = dir.join("broken.mgz");
    std::fs::write(&p, b"definitely not an mgh file").unwrap();
    for path in [p.clone(), dir.join("missing.gii")] {
        let out = bin()
            .args(["inspect", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(&path.display().to_string()),
            "names the file: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
