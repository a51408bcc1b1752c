//! `routing` from the CLI: the pRF model on the default scene (a V1 vertex of the left
//! hemisphere looks at the right visual field; brushing a quadrant lights up the hemisphere
//! that sees it), routing weights from NPY files with per-vertex and ROI-named query maps, and
//! the errors for bad inputs.

use serde_json::Value;

use crate::{bin, scratch};

fn run(args: &[&str]) -> (bool, Value, String) {
    let o = bin().arg("routing").args(args).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    (
        o.status.success(),
        serde_json::from_str(&out).unwrap_or(Value::Null),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A float32 .npy (C order).
pub(crate) fn npy(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut h = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    for x in data {
        b.extend(x.to_le_bytes());
    }
    b
}

#[test]
fn the_prf_model_routes_v1_to_the_opposite_visual_field() {
    let d = scratch("routing-prf");
    // the left hemisphere's upper-right field: which vertices listen?
    let o = d.join("upper_right.npy");
    let (ok, j, e) = run(&[
        "--brush",
        "0.65,0.2,0.9,0.45",
        "--out",
        o.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    // (a pRF on the vertical meridian spills a little into the other half)
    let (lh, rh) = (
        j["vertices"]["lh"].as_u64().unwrap(),
        j["vertices"]["rh"].as_u64().unwrap(),
    );
    assert!(lh >= 10 && rh * 10 <= lh, "{j}");
    let (ok, j, e) = run(&[
        "--brush",
        "0,0,0.35,1",
        "--out",
        d.join("left.npy").to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    assert!(
        j["vertices"]["rh"].as_u64().unwrap() >= 10 && j["vertices"]["lh"] == 0,
        "{j}"
    );
    // the vertex that listens most to the upper right: its heatmap is compact and there
    let l = cortexplorer::io::load(&o).unwrap();
    let cortexplorer::io::Content::Overlay(ov) = l.content else {
        panic!()
    };
    assert_eq!(ov.n_vertices, 20484);
    let v = (0..10242)
        .max_by(|&a, &b| ov.values[a].total_cmp(&ov.values[b]))
        .unwrap();
    let png = d.join("heat.png");
    let (ok, j, e) = run(&[
        "--vertex",
        &v.to_string(),
        "--hemi",
        "lh",
        "--image",
        crate::asset("images/chelsea.png").to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    let [x, y] = [
        j["centroid_deg"][0].as_f64().unwrap(),
        j["centroid_deg"][1].as_f64().unwrap(),
    ];
    assert!(x > 0.0 && y > 0.0, "right upper field: {j}");
    assert!(j["spread"].as_f64().unwrap() < 0.15, "compact: {j}");
    let c = &j["centroid"];
    assert!(
        c[0].as_f64().unwrap() > 0.5 && c[1].as_f64().unwrap() < 0.5,
        "{j}"
    );
    // the PNG has the heatmap's hot colours around the centroid (the stimulus is grey)
    let img = image::open(&png).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let (cx, cy) = (
        c[0].as_f64().unwrap() * w as f64,
        c[1].as_f64().unwrap() * h as f64,
    );
    let hot: Vec<(u32, u32)> = img
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] as i32 - p[2] as i32 > 60)
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(hot.len() > 50, "{} hot pixels", hot.len());
    let far = hot
        .iter()
        .filter(|(x, y)| (*x as f64 - cx).hypot(*y as f64 - cy) > 0.25 * w as f64)
        .count();
    assert!(
        far * 20 < hot.len(),
        "hot pixels gather at the centroid: {far} of {} far",
        hot.len()
    );
    // a vertex outside the mapped cortex
    let (ok, _, e) = run(&["--vertex", "0", "--out", png.to_str().unwrap()]);
    assert!(!ok && e.contains("has no receptive field"), "{e}");
}

#[test]
fn weights_from_files_with_vertex_and_roi_queries() {
    let d = scratch("routing-files");
    // 3 queries on a 4×4 grid, one hot cell each: (0,0), (1,2), (3,3)
    let mut w = vec![0.0f32; 3 * 16];
    for (q, (r, c)) in [(0, 0), (1, 2), (3, 3)].into_iter().enumerate() {
        w[q * 16 + r * 4 + c] = 1.0;
    }
    let wf = d.join("weights.npy");
    std::fs::write(&wf, npy(&[3, 4, 4], &w)).unwrap();
    let mut q = vec![-1.0f32; 10242];
    q[5] = 2.0;
    q[6] = 1.0;
    let qf = d.join("lh.queries.npy");
    std::fs::write(&qf, npy(&[10242], &q)).unwrap();
    let (ok, j, e) = run(&[
        "--weights",
        wf.to_str().unwrap(),
        "--queries",
        qf.to_str().unwrap(),
        "--vertex",
        "5",
        "--out",
        d.join("q.png").to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    assert_eq!(j["query"], 2);
    assert_eq!(j["peak"], serde_json::json!({"row": 3, "col": 3}));
    assert_eq!(j["source"], "weights");
    // brushing the bottom-right cell lights vertex 5 only
    let out = d.join("brush.npy");
    let (ok, j, e) = run(&[
        "--weights",
        wf.to_str().unwrap(),
        "--queries",
        qf.to_str().unwrap(),
        "--brush",
        "3,3,4,4",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    assert_eq!(j["vertices"]["lh"], 1, "{j}");
    let l = cortexplorer::io::load(&out).unwrap();
    let cortexplorer::io::Content::Overlay(ov) = l.content else {
        panic!()
    };
    assert_eq!(ov.n_vertices, 10242);
    assert!((ov.values[5] - 1.0).abs() < 1e-6 && ov.values[6] == 0.0);
    // queries named after ROIs of a label file
    let label = d.join("lh.V1roi.label");
    let mut text = String::from("#!ascii label\n3\n");
    for v in [3919, 3920, 3921] {
        text += &format!("{v} 0 0 0 0\n");
    }
    std::fs::write(&label, text).unwrap();
    let names = d.join("queries.json");
    std::fs::write(&names, r#"["lh.V1roi", "other", "third"]"#).unwrap();
    let (ok, _, e) = run(&[
        label.to_str().unwrap(),
        "--weights",
        wf.to_str().unwrap(),
        "--queries",
        names.to_str().unwrap(),
        "--roi",
        "lh.V1roi",
        "--out",
        d.join("roi.png").to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains("\"other\" is not a region") && e.contains("lh.V1roi"),
        "{e}"
    );
    // errors: NaN weights, a query index past the weights, unknown ROI, wrong shape
    let mut bad = w.clone();
    bad[17] = f32::NAN;
    let bf = d.join("nan.npy");
    std::fs::write(&bf, npy(&[3, 4, 4], &bad)).unwrap();
    let (ok, _, e) = run(&[
        "--weights",
        bf.to_str().unwrap(),
        "--queries",
        qf.to_str().unwrap(),
        "--vertex",
        "5",
        "--out",
        d.join("x.png").to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains("NaN at image 0, query 1, row 0, column 1"),
        "{e}"
    );
    let two = d.join("two.npy");
    std::fs::write(&two, npy(&[2, 4, 4], &w[..32])).unwrap();
    let (ok, _, e) = run(&[
        "--weights",
        two.to_str().unwrap(),
        "--queries",
        qf.to_str().unwrap(),
        "--vertex",
        "5",
        "--out",
        d.join("x.png").to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains("has query 2, but the weights have queries 0..1"),
        "{e}"
    );
    let flat = d.join("flat.npy");
    std::fs::write(&flat, npy(&[16, 3], &w)).unwrap();
    let (ok, _, e) = run(&[
        "--weights",
        flat.to_str().unwrap(),
        "--queries",
        qf.to_str().unwrap(),
        "--vertex",
        "5",
        "--out",
        d.join("x.png").to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains("expected [n_queries, grid_h, grid_w]"),
        "{e}"
    );
    let (ok, _, e) = run(&[
        label.to_str().unwrap(),
        "--roi",
        "V2",
        "--out",
        d.join("x.png").to_str().unwrap(),
    ]);
    assert!(
        !ok && e.contains("ROI \"V2\" is not a region") && e.contains("lh.V1roi"),
        "{e}"
    );
    // the pRF model over the label's vertices works
    let (ok, j, e) = run(&[
        label.to_str().unwrap(),
        "--roi",
        "lh.V1roi",
        "--out",
        d.join("roi.png").to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{e}");
    assert!(j["centroid_deg"][0].as_f64().unwrap() > 0.0, "{j}");
}

#[test]
fn region_matrices_with_node_files_and_their_errors() {
    let d = scratch("routing-regions");
    // 2 frames × 3 regions; frame 1 reverses the strongest link of region 0
    let w = [
        0.0, 0.9, 0.1, 0.2, 0.0, 0.7, 0.3, 0.4, 0.0, //
        0.0, 0.1, 0.9, 0.2, 0.0, 0.7, 0.3, 0.4, 0.0,
    ];
    let m = d.join("conn_series.npy");
    std::fs::write(&m, npy(&[2, 3, 3], &w)).unwrap();
    let nodes = d.join("three.node");
    std::fs::write(
        &nodes,
        "-40 -60 -10 1 1 lFFA\n40 -60 -10 1 1 rFFA\n0 -90 0 1 1 V1\n",
    )
    .unwrap();
    let arcs = |frame: &str| {
        let (ok, j, e) = run(&[
            "--matrix",
            m.to_str().unwrap(),
            "--nodes",
            nodes.to_str().unwrap(),
            "--frame",
            frame,
            "--top-k",
            "1",
            "--json",
        ]);
        assert!(ok, "{e}");
        j
    };
    let j = arcs("0");
    assert_eq!(
        (j["regions"].as_u64(), j["frames"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(j["arcs"][0]["source"], "lFFA");
    assert_eq!(j["arcs"][0]["target"], "rFFA");
    assert_eq!(arcs("1")["arcs"][0]["target"], "V1");
    // TVB text files
    let wt = d.join("weights.txt");
    std::fs::write(&wt, "0 1 2\n1 0 3\n2 3 0\n").unwrap();
    let ct = d.join("centres.txt");
    std::fs::write(&ct, "lV1 -10 -90 0\nrV1 10 -90 0\nMT 45 -70 5\n").unwrap();
    let (ok, j, e) = run(&[
        "--matrix",
        wt.to_str().unwrap(),
        "--nodes",
        ct.to_str().unwrap(),
        "--top-k",
        "1",
        "--json",
    ]);
    assert!(ok, "{e}");
    assert_eq!(j["arcs"][0]["target"], "MT");
    // errors: node count, NaN, a non-square table, a frame past the series
    let four = d.join("four.node");
    std::fs::write(
        &four,
        "0 0 0 1 1 a\n1 0 0 1 1 b\n2 0 0 1 1 c\n3 0 0 1 1 d\n",
    )
    .unwrap();
    let (ok, _, e) = run(&[
        "--matrix",
        m.to_str().unwrap(),
        "--nodes",
        four.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        !ok && e.contains("3 regions, but no parcellation or node file has as many")
            && e.contains("four.node has 4"),
        "{e}"
    );
    let mut bad = w;
    bad[13] = f32::NAN;
    let bm = d.join("bad_conn.npy");
    std::fs::write(&bm, npy(&[2, 3, 3], &bad)).unwrap();
    let (ok, _, e) = run(&[
        "--matrix",
        bm.to_str().unwrap(),
        "--nodes",
        nodes.to_str().unwrap(),
    ]);
    assert!(!ok && e.contains("NaN at frame 1, row 1, column 1"), "{e}");
    let rect = d.join("rect.txt");
    std::fs::write(&rect, "0 1 2\n1 0 3\n").unwrap();
    let (ok, _, e) = run(&[
        "--matrix",
        rect.to_str().unwrap(),
        "--nodes",
        nodes.to_str().unwrap(),
    ]);
    assert!(!ok && e.contains("expected [N, N] or [T, N, N]"), "{e}");
    let (ok, _, e) = run(&[
        "--matrix",
        m.to_str().unwrap(),
        "--nodes",
        nodes.to_str().unwrap(),
        "--frame",
        "5",
    ]);
    assert!(
        !ok && e.contains("--frame 5") && e.contains("2 frame(s)"),
        "{e}"
    );
}

/// `routing lh.benson14_*.mgz …`: maps for the left hemisphere only are used for the left
/// hemisphere (not the template for both because the right has none), and the JSON says per
/// hemisphere which maps each used.
#[test]
fn maps_for_one_hemisphere_are_used_for_that_hemisphere() {
    use cortexplorer::brain::{Hemisphere, Overlay, SurfaceKind};
    let d = scratch("routing-one-hemi");
    let scene = cortexplorer::brain::fsaverage5::scene().unwrap();
    let t = cortexplorer::percept::template::evaluate(
        Hemisphere::Left,
        &scene.hemis[&Hemisphere::Left].surfaces[&SurfaceKind::Sphere],
    );
    // the template's maps with the upper and lower field swapped: told apart from the template
    let flipped: Vec<f32> = t.angle.iter().map(|a| 180.0 - a).collect();
    let mut files = Vec::new();
    for (name, v) in [
        ("angle", &flipped),
        ("eccen", &t.eccen),
        ("varea", &t.varea),
    ] {
        let p = d.join(format!("lh.benson14_{name}.mgz"));
        let o = Overlay::new(v.len(), 1, v.clone());
        std::fs::write(&p, cortexplorer::io::mgh::write_overlay(&o)).unwrap();
        files.push(p.to_str().unwrap().to_string());
    }
    // a V1 vertex of the upper field at 3–5° (template): the maps put it in the lower field
    let v = (0..t.len())
        .find(|&i| {
            t.area(i) == Some(1)
                && (3.0..5.0).contains(&t.eccen[i])
                && t.field(i).is_some_and(|(p, _)| p.y > 1.5)
        })
        .unwrap();
    let (ty, tx) = {
        let (p, _) = t.field(v).unwrap();
        (p.y, p.x)
    };
    let vs = v.to_string();
    let out = d.join("heat.png");
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend([
        "--vertex",
        &vs,
        "--hemi",
        "lh",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let (ok, j, e) = run(&args);
    assert!(ok, "{e}");
    assert!(
        j["model"]["left"]
            .as_str()
            .unwrap()
            .contains("benson14_angle"),
        "{j}"
    );
    assert!(
        j["model"]["right"].as_str().unwrap().contains("template"),
        "{j}"
    );
    let (x, y) = (
        j["prf"]["x"].as_f64().unwrap(),
        j["prf"]["y"].as_f64().unwrap(),
    );
    assert!(
        (y + ty).abs() < 0.05 && (x - tx).abs() < 0.05,
        "{j} vs template ({tx}, {ty})"
    );
}
