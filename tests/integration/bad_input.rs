//! Malformed and hostile files: every reader answers with an error naming the file and the
//! problem — no panic, no hang, no allocation the file cannot justify.

use std::io::Write;
use std::path::{Path, PathBuf};

use cortexplorer::io::{self, Limits, Source};

use crate::{data, scratch};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[track_caller]
fn expect_err(p: &Path, needle: &str) -> String {
    let e = match io::load(p) {
        Ok(l) => panic!(
            "{} loaded as {} but should fail",
            p.display(),
            l.content.kind()
        ),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains(&p.display().to_string()),
        "error names the file: {e}"
    );
    assert!(
        e.to_lowercase().contains(&needle.to_lowercase()),
        "expected {needle:?} in: {e}"
    );
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e
}

#[test]
fn truncated_files_fail_cleanly() {
    let dir = scratch("trunc");
    for (name, src) in [
        ("lh.white", data("freesurfer/lh.white")),
        ("lh.thickness", data("freesurfer/lh.thickness")),
        ("x.mgz", data("nibabel/test.mgz")),
        ("x.nii", data("nibabel/anatomical.nii")),
        ("x.nii.gz", data("nibabel/example_nifti2.nii.gz")),
        ("x.gii", data("nibabel/base64bin.gii")),
    ] {
        let full = std::fs::read(&src).unwrap();
        for frac in [0.0, 0.01, 0.1, 0.5, 0.9, 0.999] {
            let cut = ((full.len() as f64) * frac) as usize;
            let p = write(&dir, name, &full[..cut.min(full.len() - 1)]);
            assert!(
                io::load(&p).is_err(),
                "{name} cut at {cut} of {} loaded",
                full.len()
            );
        }
    }
    let annot = std::fs::read(data("freesurfer/rh.aparc.annot.gz")).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&annot[..]), &mut raw).unwrap();
    for frac in [0.0, 0.3, 0.99, 0.9999] {
        let p = write(
            &dir,
            "rh.cut.annot",
            &raw[..(raw.len() as f64 * frac) as usize],
        );
        assert!(io::load(&p).is_err(), "annot cut at {frac}");
    }
}

#[test]
fn wrong_magic() {
    let dir = scratch("magic");
    let mut s = std::fs::read(data("freesurfer/lh.white")).unwrap();
    s[2] = 0x00;
    expect_err(&write(&dir, "lh.pial", &s), "unknown file type");
    let mut m = std::fs::read(data("nibabel/test.mgz")).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&m[..]), &mut raw).unwrap();
    raw[3] = 7;
    m = gz(&raw);
    expect_err(&write(&dir, "v.mgz", &m), "version");
    let mut n = std::fs::read(data("nibabel/anatomical.nii")).unwrap();
    n[0] = 0x11;
    expect_err(&write(&dir, "a.nii", &n), "not a NIfTI");
    expect_err(&write(&dir, "x.gii", b"<html><body/></html>"), "no <GIFTI>");
}

#[test]
fn face_index_out_of_range() {
    let dir = scratch("faces");
    let mut s = std::fs::read(data("freesurfer/lh.white")).unwrap();
    let n = s.len();
    s[n - 4..].copy_from_slice(&20_000i32.to_be_bytes());
    expect_err(&write(&dir, "lh.white", &s), "outside");
    let text = std::fs::read_to_string(data("nibabel/ascii.gii")).unwrap();
    let bad = text.replace("0 1 2", "0 1 9");
    assert_ne!(bad, text);
    expect_err(&write(&dir, "a.gii", bad.as_bytes()), "outside");
}

#[test]
fn declared_counts_larger_than_the_file() {
    let dir = scratch("counts");
    // surface: vertex count far beyond the file
    let mut s = std::fs::read(data("freesurfer/lh.white")).unwrap();
    let at = s.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    s[at..at + 4].copy_from_slice(&100_000_000i32.to_be_bytes());
    expect_err(&write(&dir, "lh.white", &s), "vertex count");
    // curv
    let mut c = std::fs::read(data("freesurfer/lh.thickness")).unwrap();
    c[3..7].copy_from_slice(&500_000_000i32.to_be_bytes());
    expect_err(&write(&dir, "lh.thickness", &c), "vertex count");
    // MGH dimensions
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&std::fs::read(data("nibabel/test.mgz")).unwrap()[..]),
        &mut raw,
    )
    .unwrap();
    raw[4..8].copy_from_slice(&2_000i32.to_be_bytes());
    raw[8..12].copy_from_slice(&2_000i32.to_be_bytes());
    expect_err(&write(&dir, "big.mgh", &raw), "need");
    // NIfTI dims, uncompressed: larger than the file
    let mut n = std::fs::read(data("nibabel/anatomical.nii")).unwrap();
    n[42..44].copy_from_slice(&30_000i16.to_le_bytes()); // dim[1]
    let e = expect_err(&write(&dir, "a.nii", &n), "needs");
    assert!(e.contains("bytes"), "{e}");
    // GIFTI Base64 array declaring more than the file holds
    let text = std::fs::read_to_string(data("nibabel/base64bin.gii")).unwrap();
    let bad = text.replacen("Dim0=\"10\"", "Dim0=\"100000000\"", 1);
    expect_err(&write(&dir, "b.gii", bad.as_bytes()), "");
    // label claiming more lines than it has
    expect_err(
        &write(&dir, "lh.x.label", b"#!ascii\n5000000\n1 0 0 0 0\n"),
        "more than the file holds",
    );
    // annot: vertex count beyond the file
    let mut a = vec![0u8; 64];
    a[..4].copy_from_slice(&400_000_000i32.to_be_bytes());
    expect_err(&write(&dir, "lh.y.annot", &a), "vertex count");
}

#[test]
fn compression_bombs_stop_at_a_bound() {
    let dir = scratch("bombs");
    // .gii.gz: 200 MB of XML whitespace after the root element expands past the text budget
    // (64 MiB beyond declared arrays). Streamed: memory stays at the budget.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"<?xml version=\"1.0\"?><GIFTI Version=\"1.0\">")
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&chunk).unwrap();
    }
    enc.write_all(b"</GIFTI>").unwrap();
    let p = write(&dir, "bomb.gii.gz", &enc.finish().unwrap());
    expect_err(&p, "longer than its data arrays declare");
    // MGZ declaring 8 GB of voxels: refused from the header, before reading the data
    let mut raw = vec![0u8; 284];
    raw[..4].copy_from_slice(&1i32.to_be_bytes());
    for (k, d) in [2048i32, 2048, 512, 1].iter().enumerate() {
        raw[4 + 4 * k..8 + 4 * k].copy_from_slice(&d.to_be_bytes());
    }
    raw[20..24].copy_from_slice(&3i32.to_be_bytes());
    let p = write(&dir, "huge.mgz", &gz(&raw));
    expect_err(&p, "above the limit");
    // a tighter limit applies to every reader
    let limits = Limits { max_bytes: 1000 };
    let e = io::load_source(Source::File(data("nibabel/example4d.nii.gz")), &limits)
        .unwrap_err()
        .to_string();
    assert!(e.contains("above the limit"), "{e}");
}

#[test]
fn gifti_unknown_encoding_and_external_file_problems() {
    let dir = scratch("gifti");
    let text = std::fs::read_to_string(data("nibabel/base64bin.gii")).unwrap();
    let bad = text.replace("GIFTI_ENCODING_B64BIN", "GIFTI_ENCODING_MORSE");
    expect_err(
        &write(&dir, "e.gii", bad.as_bytes()),
        "unknown GIFTI encoding",
    );
    // external data file missing
    let ext = std::fs::read_to_string(data("nibabel/external.gii")).unwrap();
    expect_err(
        &write(&dir, "external.gii", ext.as_bytes()),
        "external data file",
    );
    // invalid UTF-8 in the XML
    let mut b = text.into_bytes();
    let at = b.windows(4).position(|w| w == b"Data").unwrap();
    b[at] = 0xFF;
    assert!(io::load(&write(&dir, "u.gii", &b)).is_err());
}

#[test]
fn nan_coordinates_are_reported() {
    let dir = scratch("nan");
    let mut s = std::fs::read(data("freesurfer/lh.white")).unwrap();
    let at = s.windows(2).position(|w| w == b"\n\n").unwrap() + 2 + 8;
    s[at..at + 4].copy_from_slice(&f32::NAN.to_be_bytes());
    expect_err(&write(&dir, "lh.white", &s), "NaN");
}

#[test]
fn pipes_vanished_files_and_files_rewritten_while_read() {
    let dir = scratch("changing");
    // a FIFO (or a device) is refused at once instead of waiting for a writer
    let fifo = dir.join("lh.white");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let t = std::time::Instant::now();
        expect_err(&fifo, "not a regular file");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }
    // a file that is not there (any more)
    expect_err(&dir.join("gone.mgz"), "no such file");
    // a surface rewritten (truncated, then written again) over and over while it is read:
    // each read gives the whole surface or a clean error naming the file
    let good = std::fs::read(data("freesurfer/lh.white")).unwrap();
    let p = dir.join("rh.white");
    std::fs::write(&p, &good).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (p, good, stop) = (p.clone(), good.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut k = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                k += 1;
                let cut = good.len() * (k % 7 + 1) / 8;
                let _ = std::fs::write(&p, &good[..cut]);
                let _ = std::fs::write(&p, &good);
            }
        })
    };
    let expected = io::load(&data("freesurfer/lh.white")).unwrap();
    let (mut whole, mut refused) = (0, 0);
    for _ in 0..300 {
        match io::load(&p) {
            Ok(l) => {
                assert_eq!(l.content.kind(), expected.content.kind());
                whole += 1;
            }
            Err(e) => {
                assert!(e.to_string().contains(&p.display().to_string()), "{e}");
                refused += 1;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    eprintln!("rewritten while read: {whole} whole, {refused} refused");
}
