//! Mesh readers against trimesh 5.2, meshio 5.3 and VTK 9.7 on files they wrote (and a few
//! written by hand where no library writes the layout): `tests/data/meshes/`, made with its
//! `expected.json` by `tests/data/make_meshes.py`.

use std::path::PathBuf;

use cortexplorer_formats::{Content, load, meshes::Mesh};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/meshes")
}

fn read(name: &str) -> Mesh {
    let l = load(&dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    match l.content {
        Content::Mesh(m) => *m,
        other => panic!("{name}: read as {}", other.kind()),
    }
}

fn triples<T: Copy>(v: &Value, f: impl Fn(&Value) -> T) -> Vec<[T; 3]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_array().unwrap();
            [f(&r[0]), f(&r[1]), f(&r[2])]
        })
        .collect()
}

#[test]
fn vertices_faces_and_values_equal_the_reference_readers() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap();
    let mut compared = 0;
    for (file, e) in expected["files"].as_object().unwrap() {
        let m = read(file);
        // STL: corners merged by exact value, numbered by first appearance (stl_io, trimesh)
        let e = if file.ends_with(".stl") {
            &e["merged_first_occurrence"]
        } else {
            e
        };
        let want_v = triples(&e["vertices"], |x| x.as_f64().unwrap());
        let want_f = triples(&e["faces"], |x| x.as_u64().unwrap() as u32);
        if file.ends_with(".obj") {
            // tobj numbers an object's vertices by first use (and copies vertices an object
            // borrows from another): compare each triangle's corners, in order
            assert_eq!(m.surface.faces.len(), want_f.len(), "{file}: triangles");
            for (t, (f, g)) in m.surface.faces.iter().zip(&want_f).enumerate() {
                for c in 0..3 {
                    let p = m.surface.vertices[f[c] as usize];
                    let q = want_v[g[c] as usize];
                    for k in 0..3 {
                        assert!(
                            (p[k] as f64 - q[k]).abs() < 1e-5 * q[k].abs().max(1.0),
                            "{file}: triangle {t} corner {c}: {p:?} vs {q:?}"
                        );
                    }
                }
            }
            compared += 1;
            continue;
        }
        assert_eq!(m.surface.vertices.len(), want_v.len(), "{file}: vertices");
        for (i, (p, q)) in m.surface.vertices.iter().zip(&want_v).enumerate() {
            for k in 0..3 {
                assert!(
                    (p[k] as f64 - q[k]).abs() < 1e-5 * q[k].abs().max(1.0),
                    "{file}: vertex {i}: {p:?} vs {q:?}"
                );
            }
        }
        assert_eq!(m.surface.faces, want_f, "{file}: faces");
        if let Some(obj) = e.get("point_data").and_then(Value::as_object) {
            for (name, vals) in obj {
                let (_, got) = m
                    .point_data
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{file}: no values {name:?}"));
                for (i, (a, b)) in got.iter().zip(vals.as_array().unwrap()).enumerate() {
                    let b = b.as_f64().unwrap();
                    assert!(
                        (*a as f64 - b).abs() < 1e-5 * b.abs().max(1.0),
                        "{file}: {name}[{i}] {a} vs {b}"
                    );
                }
            }
        }
        compared += 1;
    }
    assert!(compared >= 17, "{compared} files");
}

#[test]
fn polygons_become_fans_and_objects_join() {
    // quads.obj: quads, a pentagon with negative indices, a second object
    let m = read("quads.obj");
    assert_eq!(m.surface.faces.len(), 12);
    // the first quad 0 1 4 3 as (0 1 4), (0 4 3): the second triangle shares the first's
    // first and last corners
    let f = &m.surface.faces;
    assert_eq!((f[1][0], f[1][1]), (f[0][0], f[0][2]));
}
