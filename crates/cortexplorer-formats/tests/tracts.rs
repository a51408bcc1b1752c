//! Tractography readers against nibabel 5.4.2 (TCK, TRK) and trx-python 0.6 (TRX): the files
//! in `tests/data/tracts/` and what those libraries read from them (`expected.json`, both
//! made by `tests/data/make_tracts.py`), including nibabel's own test files.

use std::path::PathBuf;

use cortexplorer_formats::{Content, load, tracts::Tractogram};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tracts")
}

fn read(name: &str) -> Result<Tractogram, String> {
    let l = load(&dir().join(name)).map_err(|e| e.to_string())?;
    match l.content {
        Content::Tracts(t) => Ok(*t),
        other => Err(format!("{name}: read as {}", other.kind())),
    }
}

/// The named per-point or per-streamline rows of nibabel (rows of width w) against ours
/// (`name` when w = 1, else `name_0` … `name_{w-1}`).
fn same_columns(file: &str, ours: &[(String, Vec<f32>)], theirs: &[Vec<f64>], name: &str) {
    let width = theirs.first().map_or(1, Vec::len);
    for c in 0..width {
        let key = if width == 1 {
            name.to_string()
        } else {
            format!("{name}_{c}")
        };
        let (_, v) = ours
            .iter()
            .find(|(n, _)| *n == key)
            .unwrap_or_else(|| panic!("{file}: no values {key:?} in {:?}", names(ours)));
        assert_eq!(v.len(), theirs.len(), "{file}: {key}");
        for (i, row) in theirs.iter().enumerate() {
            let want = row[c];
            assert!(
                (v[i] as f64 - want).abs() <= 1e-4 * want.abs().max(1.0),
                "{file}: {key}[{i}] = {} vs {want}",
                v[i]
            );
        }
    }
}

fn names(v: &[(String, Vec<f32>)]) -> Vec<&str> {
    v.iter().map(|(n, _)| n.as_str()).collect()
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn points_and_values_equal_nibabel_and_trx_python() {
    let expected: Value = serde_json::from_slice(
        &std::fs::read(dir().join("expected.json")).expect("tests/data/tracts/expected.json"),
    )
    .unwrap();
    let mut compared = 0;
    for (file, e) in expected["files"].as_object().unwrap() {
        let got = read(file);
        // nibabel's damaged files: refused here too, with the file named
        if e.get("error").is_some() && e.get("points_rasmm").is_none() {
            let err = got.expect_err(&format!("{file}: nibabel refuses it, so must we"));
            assert!(err.contains(file.rsplit('/').next().unwrap()), "{err}");
            continue;
        }
        // Float64 TCK: nibabel refuses it, MRtrix reads it; the expected points are those written
        let t = got.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            t.n_streamlines(),
            e["nb_streamlines"].as_u64().unwrap() as usize,
            "{file}"
        );
        let lengths: Vec<usize> = (0..t.n_streamlines())
            .map(|i| t.streamline(i).len())
            .collect();
        let want: Vec<usize> = e["lengths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(lengths, want, "{file}: points per streamline");
        let tol = if file.ends_with(".trk") { 1e-4 } else { 1e-5 };
        for (s, line) in e["points_rasmm"].as_array().unwrap().iter().enumerate() {
            for (k, p) in rows(line).iter().enumerate() {
                let q = t.streamline(s)[k];
                for c in 0..3 {
                    assert!(
                        (q[c] as f64 - p[c]).abs() <= tol * p[c].abs().max(1.0),
                        "{file}: streamline {s} point {k}: {q:?} vs nibabel {p:?}"
                    );
                }
            }
        }
        // per-point values: nibabel gives them per streamline, concatenated here
        let per_point = e.get("data_per_point").or_else(|| e.get("data_per_vertex"));
        if let Some(obj) = per_point.and_then(Value::as_object) {
            for (name, per_line) in obj {
                let all: Vec<Vec<f64>> = match per_line.as_array().unwrap().first() {
                    // trx-python: one row per vertex; nibabel: a list of rows per streamline
                    Some(v) if v.as_array().unwrap().first().is_some_and(Value::is_array) => {
                        per_line.as_array().unwrap().iter().flat_map(rows).collect()
                    }
                    _ => rows(per_line),
                };
                same_columns(file, &t.point_data, &all, name);
            }
        }
        if let Some(obj) = e["data_per_streamline"].as_object() {
            for (name, v) in obj {
                same_columns(file, &t.streamline_data, &rows(v), name);
            }
        }
        // TRX groups (streamline indices) and their values, as trx-python reads them
        if let Some(obj) = e["groups"].as_object() {
            assert_eq!(t.groups.len(), obj.len(), "{file}: groups");
            for (name, members) in obj {
                let want: Vec<u32> = members
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u32)
                    .collect();
                let got = &t.groups.iter().find(|(g, _)| g == name).unwrap().1;
                assert_eq!(got, &want, "{file}: group {name}");
                // and the per-streamline series that colours it
                let (_, inside) = t
                    .streamline_data
                    .iter()
                    .find(|(n, _)| *n == format!("group {name}"))
                    .unwrap();
                let ones: Vec<u32> = (0..inside.len() as u32)
                    .filter(|&i| inside[i as usize] == 1.0)
                    .collect();
                assert_eq!(ones, want, "{file}: group {name} as a series");
            }
        }
        if let Some(obj) = e["data_per_group"].as_object() {
            for (group, data) in obj {
                for (name, v) in data.as_object().unwrap() {
                    let want: Vec<f64> = rows(v).into_iter().flatten().collect();
                    let (_, _, got) = t
                        .group_data
                        .iter()
                        .find(|(g, n, _)| g == group && n == name)
                        .unwrap_or_else(|| panic!("{file}: dpg {group}/{name} missing"));
                    assert_eq!(got.len(), want.len(), "{file}: dpg {group}/{name}");
                    for (a, b) in got.iter().zip(&want) {
                        assert!((*a as f64 - b).abs() < 1e-6, "{file}: dpg {group}/{name}");
                    }
                }
            }
        }
        t.validate().unwrap();
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} files compared");
}

#[test]
fn the_trk_affine_is_nibabels_for_a_permuted_voxel_order() {
    // small_las.trk: voxel order LAS under an affine whose axes are A, I, L (a 3-cycle, the
    // case nibabel's reorientation handles in its own way); the points must still agree
    let t = read("small_las.trk").unwrap();
    assert_eq!(t.n_streamlines(), 4);
    let (affine, dims) = t.reference.unwrap();
    assert_eq!(dims, [64, 64, 40]);
    assert!(affine[3][3] == 1.0);
}

#[test]
fn a_tractogram_summary_counts_and_measures() {
    let t = read("nibabel/simple.tck").unwrap();
    let st = t.stats();
    assert_eq!((st.streamlines, st.points), (3, 8));
    // simple.tck: one point (length 0), one step of (3, 3, 3), four of (3, 3, 3)
    let len = t.lengths();
    assert!(len[0] == 0.0);
    assert!((len[1] - 27f64.sqrt()).abs() < 1e-5, "{len:?}");
    assert!((len[2] - 4.0 * 27f64.sqrt()).abs() < 1e-4, "{len:?}");
    assert!((st.length_mm_max - len.iter().cloned().fold(0.0, f64::max)).abs() < 1e-9);
}

/// small32.trx with one entry replaced (or added), rewritten as a stored zip.
fn trx_with(entry: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let src = std::fs::read(dir().join("small32.trx")).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(src)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        if name == entry {
            continue;
        }
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.start_file(name, opts).unwrap();
        out.write_all(&b).unwrap();
    }
    out.start_file(entry, opts).unwrap();
    out.write_all(bytes).unwrap();
    out.finish().unwrap().into_inner()
}

#[test]
fn trx_groups_that_name_no_streamline_are_refused() {
    let limits = cortexplorer_formats::Limits::default();
    let parse = |b: &[u8]| cortexplorer_formats::tracts::parse_trx(b, &limits);
    // small32.trx holds 6 streamlines: a member 9 names none
    let bad: Vec<u8> = [0u32, 9].iter().flat_map(|v| v.to_le_bytes()).collect();
    let e = parse(&trx_with("groups/bundle_a.uint32", &bad))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("groups/bundle_a.uint32") && e.contains("outside 0..6"),
        "{e}"
    );
    // a group of floats, and values for a group the file lacks
    let e = parse(&trx_with("groups/odd.float32", &1f32.to_le_bytes()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unsigned"), "{e}");
    let e = parse(&trx_with("dpg/nobody/x.float32", &1f32.to_le_bytes()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("a group the file does not have"), "{e}");
    // a group listed twice keeps each streamline once
    let twice: Vec<u8> = [3u32, 0, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let t = parse(&trx_with("groups/bundle_a.uint32", &twice)).unwrap();
    assert_eq!(t.groups[0].1, vec![0, 3]);
}
