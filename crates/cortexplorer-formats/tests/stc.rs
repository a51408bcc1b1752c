//! The MNE `.stc` / `.w` readers against MNE-Python 1.13.2 on files it wrote
//! (`tests/data/mne/`, made by `tests/data/make_stc.py`): vertices, times and values equal.

use std::path::{Path, PathBuf};

use cortexplorer_formats::{Content, Format, Hemisphere, Limits, Source, load, load_source};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/mne")
}

fn read(
    name: &str,
) -> (
    cortexplorer_formats::stc::SourceEstimate,
    Option<Hemisphere>,
) {
    let l = load(&dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(l.format, Format::Stc | Format::WFile));
    match l.content {
        Content::SourceEstimate(se) => (*se, l.hemisphere),
        other => panic!("{name}: read as {}", other.kind()),
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1e-12),
        "{what}: cortexplorer {a} vs MNE {b}"
    );
}

#[test]
fn stc_and_w_match_mne() {
    let e: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap())
            .unwrap();
    for (name, hemi) in [
        ("ico5-lh.stc", Hemisphere::Left),
        ("ico5-rh.stc", Hemisphere::Right),
        ("sparse-lh.stc", Hemisphere::Left),
        ("sparse-rh.stc", Hemisphere::Right),
    ] {
        let x = &e[name];
        let (se, h) = read(name);
        assert_eq!(h, Some(hemi), "{name}: hemisphere from -lh/-rh");
        close(se.tmin, x["tmin"].as_f64().unwrap(), "tmin");
        close(se.tstep, x["tstep"].as_f64().unwrap(), "tstep");
        assert_eq!(se.n_times() as u64, x["times"].as_u64().unwrap());
        assert_eq!(se.vertices.len() as u64, x["n_vertices"].as_u64().unwrap());
        let sum: f64 = se.data.iter().map(|v| *v as f64).sum();
        assert!(
            (sum - x["sum"].as_f64().unwrap()).abs() < 1e-4 * (1.0 + sum.abs()),
            "{name}: sum"
        );
        if let Some(v) = x.get("vertices") {
            let want: Vec<u32> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect();
            assert_eq!(se.vertices, want, "{name}: vertices");
            for (k, row) in x["data"].as_array().unwrap().iter().enumerate() {
                for (t, val) in row.as_array().unwrap().iter().enumerate() {
                    close(
                        se.data[[t, k]] as f64,
                        val.as_f64().unwrap(),
                        &format!("{name}[{k}, {t}]"),
                    );
                }
            }
        } else {
            assert!(
                se.vertices
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| v as usize == i)
            );
            for s in x["samples"].as_array().unwrap() {
                let (v, t) = (
                    s[0].as_u64().unwrap() as usize,
                    s[1].as_u64().unwrap() as usize,
                );
                close(se.data[[t, v]] as f64, s[2].as_f64().unwrap(), name);
            }
        }
    }
    let (w, h) = read("sparse-lh.w");
    assert_eq!(h, Some(Hemisphere::Left));
    let x = &e["sparse-lh.w"];
    let want: Vec<u32> = x["vertices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(w.vertices, want);
    for (k, v) in x["data"].as_array().unwrap().iter().enumerate() {
        close(w.data[[0, k]] as f64, v.as_f64().unwrap(), ".w value");
    }
}

#[test]
fn bad_stc_files_are_refused_with_one_line() {
    let good = std::fs::read(dir().join("sparse-lh.stc")).unwrap();
    let try_bytes = |b: Vec<u8>, name: &'static str| {
        load_source(
            Source::Embedded {
                name,
                bytes: Box::leak(b.into_boxed_slice()),
            },
            &Limits::default(),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    // a vertex count past the file
    let mut b = good.clone();
    b[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    let e = try_bytes(b, "bad-lh.stc").unwrap_err();
    assert!(
        e.contains("source vertices need") && !e.contains('\n'),
        "{e}"
    );
    // a time count past the file
    let mut b = good.clone();
    let at = 12 + 4 * 40;
    b[at..at + 4].copy_from_slice(&1_000_000u32.to_be_bytes());
    let e = try_bytes(b, "bad-lh.stc").unwrap_err();
    assert!(e.contains("time points need"), "{e}");
    // cut
    let e = try_bytes(good[..7].to_vec(), "bad-lh.stc").unwrap_err();
    assert!(e.contains("12 header bytes"), "{e}");
    // NaN tstep
    let mut b = good.clone();
    b[4..8].copy_from_slice(&f32::NAN.to_be_bytes());
    assert!(
        try_bytes(b, "bad-lh.stc")
            .unwrap_err()
            .contains("not finite")
    );
    // .w with a count past the file
    let mut w = std::fs::read(dir().join("sparse-lh.w")).unwrap();
    w[2..5].copy_from_slice(&[0xff, 0xff, 0xff]);
    assert!(
        try_bytes(w, "bad-lh.w")
            .unwrap_err()
            .contains("vertices need")
    );
}
