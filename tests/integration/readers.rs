//! Every reader against the values nibabel 5.4.2 reads from the same files
//! (`tests/data/expected_nibabel.json`, produced by `tests/data/make_expected.py`).

use cortexplorer::io::{self, Content};
use serde_json::Value;

use crate::{asset, data, expected};

fn close(a: f64, b: f64, what: &str) {
    let tol = 1e-5 * b.abs().max(1.0);
    assert!(
        (a - b).abs() <= tol,
        "{what}: cortexplorer {a} vs nibabel {b}"
    );
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn check_samples(flat: &[f64], s: &Value, what: &str) {
    let idx = s["index"].as_array().unwrap();
    let val = f64s(&s["value"]);
    for (i, v) in idx.iter().zip(val) {
        let i = i.as_u64().unwrap() as usize;
        close(flat[i], v, &format!("{what}[{i}]"));
    }
}

fn check(path: std::path::PathBuf, key: &str) {
    let e = &expected()[key];
    assert!(!e.is_null(), "no expected entry for {key}");
    let l = io::load(&path).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(l.content.kind(), e["kind"].as_str().unwrap(), "{key}: kind");
    match &l.content {
        Content::Surface(s) => {
            assert_eq!(
                s.vertices.len() as u64,
                e["vertices"].as_u64().unwrap(),
                "{key}: vertices"
            );
            assert_eq!(
                s.faces.len() as u64,
                e["faces"].as_u64().unwrap(),
                "{key}: faces"
            );
            let (lo, hi) = s.bbox();
            for k in 0..3 {
                close(
                    lo[k] as f64,
                    f64s(&e["bbox_min"])[k],
                    &format!("{key} bbox_min"),
                );
                close(
                    hi[k] as f64,
                    f64s(&e["bbox_max"])[k],
                    &format!("{key} bbox_max"),
                );
            }
            let flat: Vec<f64> = s.vertices.iter().flatten().map(|&x| x as f64).collect();
            check_samples(&flat, &e["coords"], &format!("{key} coords"));
            let tri: Vec<f64> = s.faces.iter().flatten().map(|&x| x as f64).collect();
            check_samples(&tri, &e["triangles"], &format!("{key} faces"));
        }
        Content::Overlay(o) => {
            assert_eq!(
                o.n_vertices as u64,
                e["values"].as_u64().unwrap(),
                "{key}: values"
            );
            assert_eq!(
                o.n_frames as u64,
                e["frames"].as_u64().unwrap(),
                "{key}: frames"
            );
            let st = o.stats();
            close(st.min, e["min"].as_f64().unwrap(), &format!("{key} min"));
            close(st.max, e["max"].as_f64().unwrap(), &format!("{key} max"));
            close(st.mean, e["mean"].as_f64().unwrap(), &format!("{key} mean"));
            let flat: Vec<f64> = o.values.iter().map(|&x| x as f64).collect();
            check_samples(&flat, &e["data"], &format!("{key} data"));
        }
        Content::Labels(lb) => {
            assert_eq!(
                lb.len() as u64,
                e["vertices"].as_u64().unwrap(),
                "{key}: vertices"
            );
            if let Some(regions) = e["regions"].as_array() {
                let counts = lb.counts();
                assert_eq!(lb.regions.len(), regions.len(), "{key}: region count");
                for (i, r) in regions.iter().enumerate() {
                    assert_eq!(
                        lb.regions[i].name,
                        r["name"].as_str().unwrap(),
                        "{key}: name {i}"
                    );
                    assert_eq!(
                        lb.regions[i].index as i64,
                        r["index"].as_i64().unwrap(),
                        "{key}: index {i}"
                    );
                    assert_eq!(
                        counts[i] as u64,
                        r["count"].as_u64().unwrap(),
                        "{key}: count of {}",
                        r["name"]
                    );
                    if let Some(rgba) = r["rgba"].as_array() {
                        let want: Vec<u8> =
                            rgba.iter().map(|x| x.as_u64().unwrap() as u8).collect();
                        assert_eq!(lb.regions[i].rgba.to_vec(), want, "{key}: rgba {i}");
                    }
                }
            }
            if let Some(s) = e.get("label_vertices") {
                let ids: Vec<f64> = lb
                    .vertex_ids
                    .as_ref()
                    .unwrap()
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                check_samples(&ids, s, &format!("{key} vertices"));
            }
        }
        Content::Volume(v) => {
            let dims: Vec<u64> = e["dims"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(
                v.shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                dims,
                "{key}: dims"
            );
            assert_eq!(v.dtype, e["dtype"].as_str().unwrap(), "{key}: dtype");
            for r in 0..4 {
                for c in 0..4 {
                    close(
                        v.affine[r][c],
                        e["affine"][r][c].as_f64().unwrap(),
                        &format!("{key} affine[{r}][{c}]"),
                    );
                }
            }
            for k in 0..3 {
                close(
                    v.voxel_size_mm[k],
                    f64s(&e["voxel_size_mm"])[k],
                    &format!("{key} voxel size"),
                );
            }
            let st = cortexplorer::brain::Stats::of(v.values());
            close(st.min, e["min"].as_f64().unwrap(), &format!("{key} min"));
            close(st.max, e["max"].as_f64().unwrap(), &format!("{key} max"));
            close(st.mean, e["mean"].as_f64().unwrap(), &format!("{key} mean"));
            let flat: Vec<f64> = v.values().iter().map(|&x| x as f64).collect();
            check_samples(&flat, &e["data"], &format!("{key} data"));
        }
        Content::Vessels(_)
        | Content::Captions(_)
        | Content::Categories(_)
        | Content::Picture(_)
        | Content::RoutingWeights(_)
        | Content::RegionMatrix(_)
        | Content::Nodes(_)
        | Content::Cifti(_)
        | Content::SourceEstimate(_)
        | Content::Tracts(_)
        | Content::Mesh(_)
        | Content::Recording(_) => {
            panic!("{key}: no nibabel reference for {}", l.content.kind())
        }
    }
}

#[test]
fn gifti_every_encoding_matches_nibabel() {
    for f in [
        "ascii.gii",
        "gzipbase64.gii",
        "rh.aparc.annot.gii",
        "task.func.gii",
        "external.gii",
    ] {
        check(data(&format!("nibabel/{f}")), f);
    }
}

/// nibabel's `base64bin.gii` holds a 10-point POINTSET with TRIANGLE indices up to 25,602:
/// the arrays decode exactly as nibabel decodes them, but as a mesh the file is invalid, and
/// loading it says so instead of drawing garbage (a deliberate difference from nibabel, which
/// does not check indices).
#[test]
fn base64bin_arrays_match_nibabel_but_the_mesh_is_refused() {
    let path = data("nibabel/base64bin.gii");
    let e = &expected()["base64bin.gii"];
    let g = io::gifti::read(&io::Source::File(path.clone()), &io::Limits::default()).unwrap();
    let coords: Vec<f64> = g.arrays[0]
        .values
        .to_f32()
        .iter()
        .map(|&x| x as f64)
        .collect();
    check_samples(&coords, &e["coords"], "base64bin coords");
    let tri: Vec<f64> = g.arrays[1]
        .values
        .to_f32()
        .iter()
        .map(|&x| x as f64)
        .collect();
    check_samples(&tri, &e["triangles"], "base64bin triangles");
    let err = io::load(&path).unwrap_err().to_string();
    assert!(err.contains("outside 0..10"), "{err}");
}

#[test]
fn volumes_match_nibabel() {
    for f in [
        "test.mgz",
        "example4d.nii.gz",
        "example_nifti2.nii.gz",
        "standard.nii.gz",
        "anatomical.nii",
        "functional.nii",
    ] {
        check(data(&format!("nibabel/{f}")), f);
    }
}

#[test]
fn freesurfer_binaries_written_by_nibabel() {
    for f in [
        "lh.white",
        "lh.thickness",
        "rh.aparc.annot.gz",
        "lh.sample.label",
    ] {
        check(data(&format!("freesurfer/{f}")), f);
    }
}

#[test]
fn bundled_fsaverage5_matches_nibabel() {
    for f in [
        "pial_left.gii.gz",
        "white_right.gii.gz",
        "infl_left.gii.gz",
        "sphere_right.gii.gz",
        "flat_left.gii.gz",
        "sulc_left.gii.gz",
        "curv_right.gii.gz",
        "thick_left.gii.gz",
    ] {
        check(
            asset(&format!("fsaverage5/{f}")),
            &format!("fsaverage5/{f}"),
        );
    }
}

/// The bundled MNI152 template: the reader and `inspect --json` agree with nibabel (dims,
/// affine, dtype, values), and the embedded copy is the file.
#[test]
fn bundled_mni152_template_matches_nibabel() {
    let key = "mni152/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz";
    check(asset(key), key);
    let e = &expected()[key];
    let o = crate::bin()
        .args(["inspect", "--json"])
        .arg(asset(key))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["kind"], "volume");
    assert_eq!(j["dims"], e["dims"]);
    assert_eq!(j["dtype"], e["dtype"]);
    for (r, row) in e["affine"].as_array().unwrap().iter().enumerate() {
        for (c, v) in row.as_array().unwrap().iter().enumerate() {
            close(
                j["affine"][r][c].as_f64().unwrap(),
                v.as_f64().unwrap(),
                "affine",
            );
        }
    }
    for k in ["min", "max", "mean"] {
        close(j[k].as_f64().unwrap(), e[k].as_f64().unwrap(), k);
    }
    let embedded = cortexplorer::brain::mni152::load().unwrap();
    let disk = io::load(&asset(key)).unwrap();
    match (&embedded.content, &disk.content) {
        (Content::Volume(a), Content::Volume(b)) => {
            assert_eq!(a.shape, b.shape);
            assert!(a.data == b.data);
        }
        _ => panic!("not volumes"),
    }
}

#[test]
fn embedded_scene_equals_the_asset_files() {
    let embedded = cortexplorer::brain::fsaverage5::load().unwrap();
    assert_eq!(embedded.len(), 16);
    for l in &embedded {
        let from_disk = io::load(&asset(&format!("fsaverage5/{}", l.source.file_name()))).unwrap();
        match (&l.content, &from_disk.content) {
            (Content::Surface(a), Content::Surface(b)) => {
                assert_eq!(a.vertices, b.vertices);
                assert_eq!(a.faces, b.faces);
            }
            (Content::Overlay(a), Content::Overlay(b)) => assert_eq!(a.values, b.values),
            _ => panic!("{}: content differs", l.name),
        }
        assert!(l.hemisphere.is_some(), "{}: hemisphere", l.name);
    }
}

#[test]
fn neuroformats_reads_what_we_read() {
    // An independent Rust implementation as a second opinion on the FreeSurfer binaries.
    let ours = io::load(&data("freesurfer/lh.white")).unwrap();
    let theirs = neuroformats::read_surf(&data("freesurfer/lh.white")).unwrap();
    let Content::Surface(s) = ours.content else {
        panic!()
    };
    assert_eq!(
        s.vertices.iter().flatten().copied().collect::<Vec<f32>>(),
        theirs.mesh.vertices
    );
    assert_eq!(
        s.faces
            .iter()
            .flatten()
            .map(|&k| k as i32)
            .collect::<Vec<i32>>(),
        theirs.mesh.faces
    );
    let curv = neuroformats::read_curv(&data("freesurfer/lh.thickness")).unwrap();
    let Content::Overlay(o) = io::load(&data("freesurfer/lh.thickness")).unwrap().content else {
        panic!()
    };
    assert_eq!(o.values, curv.data);
}
