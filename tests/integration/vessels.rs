//! Vessel graphs end to end: generated graphs written in each format and read back through the
//! CLI, the real VesselGraph sample (when `../shared` is present), distances against brute
//! force, malformed files.

use std::process::Command;

use cortexplorer::brain::vessel_gen;
use cortexplorer::brain::vessels::{VesselIndex, point_segment_distance};
use cortexplorer::io::{self, Content};

use super::{bin, scratch};

fn json_of(o: &std::process::Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn generated_graph_round_trips_through_every_writer_and_inspect() {
    let d = scratch("vessels-rt");
    let g = vessel_gen::synthetic(5_000, 5.0, 7);
    let st = g.stats();
    io::vesselgraph::write_pair(&g, &d.join("syn"), [0.5, 0.5, 0.5]).unwrap();
    let mut vtk = Vec::new();
    io::vtk::write_ascii(&g, &mut vtk).unwrap();
    std::fs::write(d.join("syn.vtk"), vtk).unwrap();
    for (file, voxel) in [("syn_edges.csv", "0.5"), ("syn.vtk", "1")] {
        let v = json_of(
            &bin()
                .args(["inspect", "--json", "--voxel-size", voxel])
                .arg(d.join(file))
                .output()
                .unwrap(),
        );
        assert_eq!(v["kind"], "vessel_graph", "{file}");
        assert_eq!(v["nodes"], st.nodes, "{file}");
        assert_eq!(v["edges"], st.edges, "{file}");
        assert_eq!(v["components"], st.components, "{file}");
        let tl = v["total_length_mm"].as_f64().unwrap();
        assert!((tl - st.total_length_mm).abs() < 1e-3 * tl, "{file}: {tl}");
        for k in ["min", "max", "mean"] {
            assert!(
                v["radius_mm"][k].as_f64().unwrap() > 0.0,
                "{file} radius {k}"
            );
        }
        assert!(
            (v["radius_mm"]["max"].as_f64().unwrap() - st.radius_max).abs() < 1e-6,
            "{file}"
        );
        assert_eq!(v["bbox_min"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn real_vesselgraph_sample_matches_its_csv() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/vesselgraph");
    let edges = dir.join("example_edges.csv");
    if !edges.exists() {
        eprintln!("skipped: {} is not on this machine", edges.display());
        return;
    }
    let l = io::load(&edges).unwrap();
    let Content::Vessels(g) = l.content else {
        panic!("not a vessel graph")
    };
    assert_eq!((g.nodes.len(), g.edges.len()), (2970, 3062));
    // radii and lengths are the CSV's own columns, row by row
    let text = std::fs::read_to_string(&edges).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (r, len) = (col("avgRadiusAvg"), col("length"));
    let length_attr = &g.attributes.iter().find(|(n, _)| n == "length").unwrap().1;
    for (e, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(';').collect();
        assert_eq!(g.radius[e], f[r].parse::<f32>().unwrap(), "edge {e} radius");
        assert_eq!(
            length_attr[e],
            f[len].parse::<f32>().unwrap(),
            "edge {e} length"
        );
    }
}

#[test]
fn default_scene_vessels_cli_generate_and_distance_agree_with_brute_force() {
    let d = scratch("vessels-cli");
    let out = d.join("fs5.csv");
    let v = json_of(
        &bin()
            .args(["vessels", "generate", "--seed", "1", "--json", "--out"])
            .arg(&out)
            .output()
            .unwrap(),
    );
    assert!(v["edges"].as_u64().unwrap() > 5_000, "{v}");
    // a handful of points around the brain
    let pts = [
        [-30.0f32, -80.0, 0.0],
        [40.0, -20.0, 30.0],
        [0.0, 0.0, 0.0],
        [-10.0, -95.0, 5.0],
    ];
    let csv: String = std::iter::once("x,y,z\n".to_string())
        .chain(pts.iter().map(|p| format!("{},{},{}\n", p[0], p[1], p[2])))
        .collect();
    std::fs::write(d.join("pts.csv"), csv).unwrap();
    let r = json_of(
        &bin()
            .args(["vessels", "distance", "--json", "--graph"])
            .arg(d.join("fs5_edges.csv"))
            .arg("--points")
            .arg(d.join("pts.csv"))
            .output()
            .unwrap(),
    );
    let Content::Vessels(g) = io::load(&d.join("fs5_edges.csv")).unwrap().content else {
        panic!()
    };
    for (i, p) in pts.iter().enumerate() {
        let brute = (0..g.edges.len())
            .map(|e| {
                let (a, b) = g.segment(e);
                point_segment_distance(*p, a, b) - g.radius[e] as f64
            })
            .fold(f64::INFINITY, f64::min);
        let got = r["points"][i]["distance_mm"].as_f64().unwrap();
        assert!((got - brute).abs() < 1e-4, "point {i}: {got} vs {brute}");
    }
}

/// Property: on random graphs with random radii the index's nearest wall distance equals brute
/// force for random points, inside and outside vessels (many seeds).
#[test]
fn distance_query_is_exact_against_brute_force() {
    let mut s = 0x5eed_u64;
    let mut rnd = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 40) as f32 / (1u64 << 24) as f32
    };
    for seed in 0..40 {
        let n = 50 + seed * 37;
        let mut g = vessel_gen::synthetic(n, 2.0, seed as u64);
        for r in &mut g.radius {
            *r = 0.3 * rnd(); // wide spread of radii, so the pruning bound matters
        }
        let index = VesselIndex::new(&g);
        for _ in 0..60 {
            let p = [rnd() * 3.0 - 0.5, rnd() * 3.0 - 0.5, rnd() * 3.0 - 0.5];
            let (brute, _) = (0..g.edges.len())
                .map(|e| {
                    let (a, b) = g.segment(e);
                    (point_segment_distance(p, a, b) - g.radius[e] as f64, e)
                })
                .fold((f64::INFINITY, 0), |m, x| if x.0 < m.0 { x } else { m });
            let hit = index.nearest(p).unwrap();
            assert!(
                (hit.distance_mm - brute).abs() < 1e-5,
                "seed {seed}: {} vs {brute}",
                hit.distance_mm
            );
        }
    }
}

#[test]
fn malformed_vessel_files_give_named_errors() {
    let d = scratch("vessels-bad");
    let nodes = "id;pos_x;pos_y;pos_z;degree;isAtSampleBorder\n0;0;0;0;1;0\n1;1;0;0;1;0\n";
    let header = io::vesselgraph::EDGE_COLUMNS.join(";");
    let row =
        |a: &str, b: &str, r: &str| format!("0;{a};{b};1;1;1;1;1;1;0;{r};0;1;0;1;0;1;1;1;0\n");
    let cases: Vec<(&str, String, &str)> = vec![
        ("missing_edges.csv", "id;node1id;length\n0;0;1\n".into(), "missing column"),
        ("ghost_edges.csv", format!("{header}\n{}", row("0", "9", "1")), "node 9"),
        ("neg_edges.csv", format!("{header}\n{}", row("0", "1", "-1")), "negative radius"),
        ("nan_edges.csv", format!("{header}\n{}", row("0", "1", "NaN")), "NaN"),
        ("cut_edges.csv", format!("{header}\n0;0;1;1;1"), "fields"),
        ("lying.vtk", "# vtk DataFile Version 3.0\nx\nASCII\nDATASET POLYDATA\nPOINTS 900000000 float\n0 0 0\n".into(), "only"),
        ("cut.vvg", "{\"graph\":{\"nodes\":[{\"id\":0,\"pos\":[0,0".into(), "ends early"),
        ("orphan.swc", "1 1 0 0 0 1 -1\n2 1 1 0 0 1 7\n".into(), "parent 7"),
    ];
    for (name, text, needle) in cases {
        let p = d.join(name);
        if name.ends_with("_edges.csv") {
            std::fs::write(d.join(name.replace("_edges", "_nodes")), nodes).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_cortexplorer"))
            .args(["inspect", "--json"])
            .arg(&p)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(needle) && err.contains(name), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
