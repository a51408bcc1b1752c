//! Selectivity from the CLI: a real-shaped input (a 4D NIfTI on the MNI152 2 mm grid, one
//! volume per category, with a names TSV and voxel captions) mapped onto fsaverage5; the
//! synthetic demo's JSON and its rendering; and the errors for bad inputs.

use serde_json::Value;

use crate::{bin, nifti_f32, scratch};

const CATS: [&str; 5] = ["faces", "places", "bodies", "words", "food"];

/// Left-hemisphere blob centres per category (MNI mm); mirrored to the right except words.
const CENTRES: [[f64; 3]; 5] = [
    [-40.0, -52.0, -18.0],
    [-26.0, -46.0, -8.0],
    [-48.0, -72.0, 2.0],
    [-44.0, -57.0, -14.0],
    [-30.0, -62.0, -14.0],
];

/// The MNI152 2 mm grid's sform (91 × 109 × 91).
const MNI2: [[f32; 4]; 3] = [
    [-2.0, 0.0, 0.0, 90.0],
    [0.0, 2.0, 0.0, -126.0],
    [0.0, 0.0, 2.0, -72.0],
];

fn betas(c: usize, p: [f64; 3]) -> f64 {
    let mut v = 0.2;
    for (mirror, on) in [(1.0, true), (-1.0, c != 3)] {
        if !on {
            continue;
        }
        let q = [CENTRES[c][0] * mirror, CENTRES[c][1], CENTRES[c][2]];
        let d2: f64 = (0..3).map(|a| (p[a] - q[a]).powi(2)).sum();
        v += (-d2 / (2.0 * 6.0 * 6.0)).exp();
    }
    v
}

fn run(args: &[&str]) -> (bool, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_4d_nifti_with_names_and_voxel_captions_maps_onto_fsaverage5() {
    let d = scratch("selectivity-4d");
    let vol = d.join("betas.nii");
    std::fs::write(&vol, nifti_f32([91, 109, 91, 5], MNI2, betas)).unwrap();
    let names = d.join("betas_categories.tsv");
    std::fs::write(
        &names,
        format!(
            "index\tname\n{}",
            CATS.iter()
                .enumerate()
                .map(|(i, c)| format!("{i}\t{c}\n"))
                .collect::<String>()
        ),
    )
    .unwrap();
    // captions on a 5×5×5 block of voxels around the left FFA centre: (i, j, k) = (65, 37, 27)
    let mut caps = String::from("i\tj\tk\tcaption\tscore\n");
    for i in 63..=67 {
        for j in 35..=39 {
            for k in 25..=29 {
                caps += &format!("{i}\t{j}\t{k}\ta smiling face in close-up\t0.9\n");
            }
        }
    }
    let captions = d.join("captions.tsv");
    std::fs::write(&captions, caps).unwrap();
    let out = d.join("maps");
    let (ok, stdout, stderr) = run(&[
        "selectivity",
        vol.to_str().unwrap(),
        names.to_str().unwrap(),
        "--captions",
        captions.to_str().unwrap(),
        "--search",
        "face",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["synthetic"], false);
    assert_eq!(j["vertices"], 20484);
    assert_eq!(j["categories"], serde_json::json!(CATS));
    for c in CATS {
        let n = j["preferred_counts"][c].as_u64().unwrap();
        assert!(n >= 3, "{c}: {n} vertices prefer it: {j}");
    }
    assert!(j["unlabelled"].as_u64().unwrap() > 15000, "{j}");
    assert!(j["captions"]["vertices"].as_u64().unwrap() >= 3, "{j}");
    let m = j["search"]["matches"].as_u64().unwrap();
    assert!(
        m >= 3 && m == j["captions"]["vertices"].as_u64().unwrap(),
        "{j}"
    );
    assert_eq!(j["out"].as_array().unwrap().len(), 4);
    // the written maps read back: categories 0..4 or -1
    let l = cortexplorer::io::load(&out.join("lh.preferred.mgh")).unwrap();
    let cortexplorer::io::Content::Overlay(o) = l.content else {
        panic!("an overlay")
    };
    assert_eq!(o.n_vertices, 10242);
    assert!(
        o.values
            .iter()
            .all(|&v| (-1.0..=4.0).contains(&v) && v.fract() == 0.0)
    );
    assert!(o.values.contains(&3.0), "words on the left");
    let r = cortexplorer::io::load(&out.join("rh.preferred.mgh")).unwrap();
    let cortexplorer::io::Content::Overlay(o) = r.content else {
        panic!("an overlay")
    };
    assert!(!o.values.contains(&3.0), "no words on the right");
}

#[test]
fn the_synthetic_demo_reports_its_rois_and_renders_its_patches() {
    // a gallery folder with a sub-folder per ROI, from the bundled test pictures
    let g = scratch("selectivity-gallery").join("gallery");
    std::fs::create_dir_all(g.join("FFA")).unwrap();
    for f in ["astronaut.png", "camera.png"] {
        std::fs::copy(crate::asset(&format!("images/{f}")), g.join("FFA").join(f)).unwrap();
    }
    std::fs::write(g.join("FFA").join("notes.txt"), "not a picture").unwrap();
    let (ok, stdout, stderr) = run(&[
        "selectivity",
        g.to_str().unwrap(),
        "--demo",
        "--search",
        "pizza",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let j: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["synthetic"], true);
    assert_eq!(j["gallery"]["FFA"], 2, "{}", j["gallery"]);
    assert_eq!(j["gallery"]["faces"], 3, "the demo's pictograms");
    let rois = j["rois"].as_array().unwrap();
    for (roi, cat) in [
        ("lh FFA", "faces"),
        ("rh PPA", "places"),
        ("lh EBA", "bodies"),
        ("lh VWFA", "words"),
        ("rh food", "food"),
    ] {
        let r = rois
            .iter()
            .find(|r| r["name"] == roi)
            .unwrap_or_else(|| panic!("{roi} in {j}"));
        assert_eq!(r["preferred"], cat, "{r}");
    }
    assert!(!rois.iter().any(|r| r["name"] == "rh VWFA"));
    let hits = j["search"]["rois"].as_array().unwrap();
    assert!(hits[0]["name"].as_str().unwrap().ends_with("food"), "{j}");
    // the preferred map rendered from below: the category colours are on the cortex
    let png = scratch("selectivity-render").join("demo.png");
    let (ok, _, stderr) = run(&[
        "render",
        "--selectivity-demo",
        "--view",
        "ventral",
        "--no-vessels",
        "--width",
        "480",
        "--height",
        "360",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let img = image::open(&png).unwrap().to_rgb8();
    let near = |p: &image::Rgb<u8>, c: [u8; 3]| {
        // shading scales the colour: compare chromaticity
        let s = |q: [f32; 3]| {
            let t = q[0] + q[1] + q[2] + 1e-3;
            [q[0] / t, q[1] / t, q[2] / t]
        };
        let (a, b) = (s(p.0.map(f32::from)), s(c.map(f32::from)));
        (0..3).all(|k| (a[k] - b[k]).abs() < 0.04)
            && p.0.iter().map(|&x| x as u32).sum::<u32>() > 150
    };
    for (name, c) in [
        ("faces", [230, 159, 0]),
        ("places", [86, 180, 233]),
        ("food", [204, 121, 167]),
    ] {
        let n = img.pixels().filter(|p| near(p, c)).count();
        assert!(n > 100, "{name}: {n} pixels of its colour");
    }
}

#[test]
fn bad_selectivity_inputs_are_refused_with_the_reason() {
    let d = scratch("selectivity-bad");
    let one = |f: &str, shift: f32, dims: [usize; 3]| {
        let mut s = MNI2;
        s[0][3] += shift;
        let p = d.join(f);
        std::fs::write(
            &p,
            nifti_f32([dims[0], dims[1], dims[2], 1], s, |_, x| x[0].abs()),
        )
        .unwrap();
        p.to_str().unwrap().to_string()
    };
    let a = one("faces.nii", 0.0, [91, 109, 91]);
    let b = one("places.nii", 1.0, [91, 109, 91]);
    let c = one("bodies.nii", 0.0, [91, 109, 90]);
    let (ok, _, e) = run(&["selectivity", &a, &b]);
    assert!(!ok && e.contains("places.nii: affine differs from"), "{e}");
    let (ok, _, e) = run(&["selectivity", &a, &c]);
    assert!(
        !ok && e.contains("bodies.nii: shape [91, 109, 90") && e.contains("differs from"),
        "{e}"
    );
    // several 3D volumes on one grid work, named after their files
    let a2 = one("places_ok.nii", 0.0, [91, 109, 91]);
    let (ok, out, e) = run(&["selectivity", &a, &a2, "--json"]);
    assert!(ok, "{e}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["categories"], serde_json::json!(["faces", "places_ok"]));
    // an empty category list
    let empty = d.join("empty.tsv");
    std::fs::write(&empty, "name\n").unwrap();
    let (ok, _, e) = run(&["selectivity", "--names", empty.to_str().unwrap()]);
    assert!(
        !ok && e.contains("empty.tsv") && e.contains("category list is empty"),
        "{e}"
    );
    // names that match no map
    let four = d.join("four.json");
    std::fs::write(&four, r#"["a","b","c","d"]"#).unwrap();
    let (ok, _, e) = run(&["selectivity", four.to_str().unwrap()]);
    assert!(
        !ok && e.contains("4 category names but no map with 4 frames"),
        "{e}"
    );
    // captions naming a vertex fsaverage5 does not have
    let caps = d.join("caps.tsv");
    std::fs::write(&caps, "vertex\tcaption\n20484\ta face\n").unwrap();
    let (ok, _, e) = run(&[
        "selectivity",
        "--demo",
        "--captions",
        caps.to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains(
            "caps.tsv: row 2: vertex 20484 does not exist (the surfaces have 20484 vertices"
        ),
        "{e}"
    );
    // no input at all
    let (ok, _, e) = run(&["selectivity"]);
    assert!(!ok && e.contains("no selectivity input"), "{e}");
}
