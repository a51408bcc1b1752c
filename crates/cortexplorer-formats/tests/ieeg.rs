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
        Content::Recording(r) => r
            .load(&cortexplorer_formats::Limits::default())
            .map_err(|e| e.to_string()),
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

/// Reading by block (what the viewer does with an hours-long recording) gives the samples the
/// whole read gives, at any start and length, for every layout (EDF with channels at two
/// rates, BDF, BrainVision multiplexed and vectorized, a file still recording) — and an EDF
/// whose records are long is read by each channel's part of a record.
#[test]
fn blocks_equal_the_whole_read_anywhere() {
    use cortexplorer_formats::ieeg::{RecordingFile, parse_edf};
    fn check(file: &str, f: &RecordingFile) {
        let all = f.load(&cortexplorer_formats::Limits::default()).unwrap();
        let mut rng = 12345u64;
        let mut next = |m: usize| {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 33) as usize) % m.max(1)
        };
        let mut blocks = 0;
        for group in f.groups() {
            let n = f.signals[group[0]].samples;
            for _ in 0..20 {
                let start = next(n + 5);
                let len = next(n / 2 + 3);
                let got = f.read_block(&group, start, len).unwrap();
                for (&c, x) in group.iter().zip(&got) {
                    let (a, b) = (start.min(n), (start + len).min(n));
                    assert_eq!(
                        x[..],
                        all.channels[c].data[a..b],
                        "{file} ch {c} {start}+{len}"
                    );
                }
                blocks += 1;
            }
        }
        assert!(blocks >= 20, "{file}");
    }
    for rel in [
        "copied/test_generator_6rec.edf",
        "copied/test_generator_3rec.bdf",
        "biosemi3_nrec_minus1.bdf",
        "vectorized.vhdr",
        "bids/sub-01/ses-01/ieeg/sub-01_ses-01_task-rest_run-02_ieeg.vhdr",
    ] {
        let l = load(&dir().join(rel)).unwrap();
        let Content::Recording(f) = l.content else {
            panic!("{rel}: a recording")
        };
        check(rel, &f);
    }
    // one record of 400,000 samples per channel (a writer that puts the whole recording in
    // one record): a short block reads only its part of each channel
    let (ns, spr) = (2usize, 400_000usize);
    let mut h = vec![b' '; 256 * (ns + 1)];
    let mut put = |at: usize, s: &str| h[at..at + s.len()].copy_from_slice(s.as_bytes());
    put(0, "0");
    put(184, &(256 * (ns + 1)).to_string());
    put(236, "1");
    put(244, "400");
    put(252, &ns.to_string());
    for i in 0..ns {
        put(256 + i * 16, &format!("C{i}"));
        let base = 256 + ns * (16 + 80);
        put(base + i * 8, "uV");
        let b = base + ns * 8;
        put(b + i * 8, "-3276.8");
        put(b + ns * 8 + i * 8, "3276.7");
        put(b + 2 * ns * 8 + i * 8, "-32768");
        put(b + 3 * ns * 8 + i * 8, "32767");
        put(256 + ns * (16 + 80 + 8 + 32 + 80) + i * 8, &spr.to_string());
    }
    for i in 0..ns {
        for t in 0..spr {
            h.extend_from_slice(&((((t * (i + 1)) % 60_000) as i32 - 30_000) as i16).to_le_bytes());
        }
    }
    let f = parse_edf(h).unwrap();
    assert_eq!(
        (f.signals[1].samples, f.signals[1].sampling_hz),
        (spr, 1000.0)
    );
    let x = f.read_block(&[1], 123_456, 10).unwrap();
    let want: Vec<f32> = (123_456usize..123_466)
        .map(|t| ((((t * 2) % 60_000) as i32 - 30_000) as f64 * 0.1) as f32)
        .collect();
    for (a, b) in x[0].iter().zip(&want) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
    check("one long record", &f);
}

/// A header whose record duration makes an impossible rate is refused with one line (the
/// streaming pass would size frames from it).
#[test]
fn an_impossible_sampling_rate_is_refused() {
    let path = dir().join("copied/test_generator_6rec.edf");
    let mut b = std::fs::read(path).unwrap();
    for (duration, ok) in [
        ("1e-300", false),
        ("1e-9", false),
        ("1e9", false),
        ("1", true),
    ] {
        b[244..252].copy_from_slice(format!("{duration:<8}").as_bytes());
        let got = cortexplorer_formats::ieeg::parse_edf(b.clone());
        match (ok, got) {
            (true, Ok(_)) => {}
            (false, Err(e)) => assert!(e.to_string().contains("sampling rate"), "{e}"),
            (_, r) => panic!("record of {duration} s: {r:?}"),
        }
    }
}
