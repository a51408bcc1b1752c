//! Recordings against pyedflib 0.1.42 and MNE 1.13.2 on files they (and pybv 0.8.1) wrote, and
//! on pyedflib's own test files (shortened): `tests/data/ieeg/`, made with its
//! `expected.json` files by `tests/data/make_ieeg.py`. pyedflib gives physical values in the
//! header's unit, MNE volts; both are compared.

use std::path::PathBuf;

use cortexplorer_formats::ieeg::{Recording, sidecars, volts_per_unit};
use cortexplorer_formats::{Content, load};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/ieeg")
}

fn read(rel: &str) -> Result<Recording, String> {
    let l = load(&dir().join(rel)).map_err(|e| e.to_string())?;
    match l.content {
        Content::Recording(r) => Ok(*r),
        other => Err(format!("{rel}: read as {}", other.kind())),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

/// One recording against a reference's channel list (`physical` in the unit, or `volts`).
fn compare(file: &str, r: &Recording, chans: &Value, volts: bool, mne_rate: Option<f64>) {
    let chans = chans.as_array().unwrap();
    // MNE lists annotation channels nowhere; pyedflib neither: same count as ours
    assert_eq!(r.channels.len(), chans.len(), "{file}: channels");
    for (c, e) in r.channels.iter().zip(chans) {
        let what = format!("{file} {}", c.name);
        assert_eq!(c.name, e["name"].as_str().unwrap(), "{what}");
        // MNE resamples channels recorded at a lower rate to the highest one: those differ
        if mne_rate.is_some_and(|f| f != c.sampling_hz) {
            continue;
        }
        let fs = e["sfreq"].as_f64().unwrap_or(c.sampling_hz);
        close(c.sampling_hz, fs, 1e-9, &format!("{what} rate"));
        if let Some(n) = e["n_samples"].as_u64() {
            assert_eq!(c.data.len() as u64, n, "{what}: samples");
        }
        let (block, k) = if volts {
            (&e["volts"], volts_per_unit(&c.unit))
        } else {
            (&e["physical"], 1.0)
        };
        let tol = 1e-5;
        for (i, want) in nums(&block["first20"]).iter().enumerate() {
            close(c.data[i] as f64 * k, *want, tol, &format!("{what}[{i}]"));
        }
        if let Some(s) = block.get("s1000_1010") {
            for (i, want) in nums(s).iter().enumerate() {
                close(
                    c.data[1000 + i] as f64 * k,
                    *want,
                    tol,
                    &format!("{what}[{}]", 1000 + i),
                );
            }
        }
        let mean = c.data.iter().map(|&x| x as f64).sum::<f64>() / c.data.len() as f64;
        let scale = block["std"].as_f64().unwrap().abs().max(1e-12);
        assert!(
            (mean * k - block["mean"].as_f64().unwrap()).abs() < 1e-4 * scale,
            "{what}: mean {} vs {}",
            mean * k,
            block["mean"]
        );
    }
}

#[test]
fn recordings_equal_pyedflib_and_mne() {
    let mut compared = 0;
    for manifest in ["expected.json", "copied/expected.json"] {
        let e: Value =
            serde_json::from_slice(&std::fs::read(dir().join(manifest)).unwrap()).unwrap();
        for (file, x) in e["recordings"].as_object().unwrap() {
            let r = read(file).unwrap_or_else(|e| panic!("{e}"));
            if let Some(p) = x["pyedflib"]["channels"].as_array() {
                compare(file, &r, &Value::Array(p.clone()), false, None);
                compared += 1;
            }
            if let Some(m) = x["mne"]["channels"].as_array() {
                compare(
                    file,
                    &r,
                    &Value::Array(m.clone()),
                    true,
                    x["mne"]["sfreq"].as_f64(),
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 10, "{compared} comparisons");
}

#[test]
fn bids_sidecars_place_and_mark_the_channels() {
    let rec = dir().join("bids/sub-01/ses-01/ieeg/sub-01_ses-01_task-rest_run-01_ieeg.edf");
    let s = sidecars(&rec).unwrap();
    let (_, ch) = s.channels.unwrap();
    assert_eq!(ch.len(), 13);
    assert_eq!(
        ch.iter()
            .filter(|c| c.bad)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["S01"]
    );
    let (_, el) = s.electrodes.unwrap();
    assert!(el.iter().filter(|c| c.pos.is_some()).count() >= 12);
    assert_eq!(s.space, Some(("fsaverage".to_string(), 1.0)));
}
