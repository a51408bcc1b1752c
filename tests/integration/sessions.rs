//! Session files: a session with surfaces, an overlay from a file, vessels, an electrode plan
//! and a simulation renders to the same picture after a round trip (and after its folder is
//! moved); a tour exports to a movie; a save killed half way leaves the previous session whole;
//! broken sessions are refused with the reason.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cortexplorer::brain::data::Overlay;
use serde_json::Value;

use crate::{bin, scratch};

const W: &str = "480";
const H: &str = "300";

fn run(args: &[&str], extra: &[&Path]) -> std::process::Output {
    bin()
        .args(args)
        .args(extra)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

fn ok(args: &[&str], extra: &[&Path]) -> String {
    let o = run(args, extra);
    assert!(
        o.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn render(out: &Path, args: &[&str]) {
    let mut all = vec!["render", "--width", W, "--height", H];
    all.extend_from_slice(args);
    all.push("--out");
    ok(&all, &[out]);
}

fn pixels(p: &Path) -> image::RgbImage {
    image::open(p).unwrap().to_rgb8()
}

/// A scene file of the test's own: a per-vertex pattern for the left fsaverage5 hemisphere.
fn pattern(dir: &Path) -> PathBuf {
    let n = cortexplorer::brain::fsaverage5::N_VERTICES;
    let v: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.01).sin()).collect();
    let mut bytes = Vec::new();
    cortexplorer::io::npy::write(&Overlay::new(n, 1, v), &mut bytes).unwrap();
    let p = dir.join("lh.pattern.npy");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn plan_file(dir: &Path) -> PathBuf {
    let p = dir.join("plan.json");
    if !p.exists() {
        ok(
            &["plan", "--json", "--config"],
            &[&crate::data("plan_quick.toml"), Path::new("--out"), &p],
        );
    }
    p
}

#[test]
fn a_session_round_trips_to_the_same_picture_and_survives_a_move() {
    let root = scratch("session-roundtrip");
    let work = root.join("work");
    std::fs::create_dir_all(work.join("data")).unwrap();
    let pat = pattern(&work.join("data"));
    let plan = plan_file(&root);
    let sess = work.join("talk.json");
    let a = root.join("a.png");
    let b = root.join("b.png");
    let c = root.join("c.png");
    let plan_s = plan.to_string_lossy().into_owned();
    let pat_s = pat.to_string_lossy().into_owned();
    let sess_s = sess.to_string_lossy().into_owned();
    render(
        &a,
        &[
            &pat_s,
            "--show",
            "pattern.npy",
            "--colormap",
            "RdBu_r",
            "--vmin",
            "-1",
            "--vmax",
            "1",
            "--hemi",
            "left",
            "--view",
            "right",
            "--plan-file",
            &plan_s,
            "--simulate",
            "diffusion",
            "--sim-steps",
            "300",
            "--save-session",
            &sess_s,
        ],
    );
    // what the session holds
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&sess).unwrap()).unwrap();
    assert_eq!(s["format"], "cortexplorer-session");
    assert_eq!(s["version"], 1);
    let inputs = s["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["kind"] == "file" && i["path"] == "data/lh.pattern.npy"),
        "file paths are stored relative to the session: {inputs:?}"
    );
    assert!(inputs.iter().any(|i| i["kind"] == "generated-vessels"));
    let layers = s["layers"].as_array().unwrap();
    let pattern_layer = layers.iter().find(|l| l["name"] == "pattern.npy").unwrap();
    assert_eq!(pattern_layer["style"]["colormap"], "RdBu_r");
    assert_eq!(pattern_layer["visible"], true);
    let act = layers
        .iter()
        .find(|l| l["name"] == "activity (simulated)")
        .unwrap();
    assert_eq!(act["live"], true);
    assert!(
        act["data"]["left"]
            .as_str()
            .unwrap()
            .starts_with("talk.data/")
    );
    assert_eq!(s["view"]["show"]["right"], false);
    assert!(s["camera"]["radius"].as_f64().unwrap() > 0.0);
    assert!(s["plan"]["layout"]["placements"].as_array().unwrap().len() > 3);
    assert_eq!(s["simulation"]["model"], "diffusion");
    let state = s["simulation"]["state"].as_str().unwrap();
    assert!(work.join(state).exists());

    // the same picture from the session alone
    render(&b, &["--session", &sess_s]);
    let (pa, pb) = (pixels(&a), pixels(&b));
    assert!(pa == pb, "the session's picture differs from the original");
    // …with the electrodes, the overlay and the activity in it
    let yellow = pa
        .pixels()
        .filter(|p| p[0] > 230 && p[1] > 190 && p[1] < 235 && p[2] < 80)
        .count();
    assert!(yellow > 10, "electrode markers not drawn ({yellow} px)");

    // move the folder: relative paths still resolve, the picture is the same
    let moved = root.join("moved");
    let _ = std::fs::remove_dir_all(&moved);
    std::fs::rename(&work, &moved).unwrap();
    let moved_sess = moved.join("talk.json");
    render(&c, &["--session", &moved_sess.to_string_lossy()]);
    assert!(pixels(&c) == pa, "the moved session's picture differs");

    // re-saving an opened session keeps it (and its data files) and drops nothing it needs
    let again = moved.join("again.json");
    render(
        &c,
        &[
            "--session",
            &moved_sess.to_string_lossy(),
            "--save-session",
            &again.to_string_lossy(),
        ],
    );
    render(&b, &["--session", &again.to_string_lossy()]);
    assert!(pixels(&b) == pa, "a re-saved session's picture differs");

    // the same view larger than any window, on a transparent background
    let big = root.join("big.png");
    ok(
        &[
            "render",
            "--width",
            "1920",
            "--height",
            "1200",
            "--transparent",
            "--session",
        ],
        &[&again, Path::new("--out"), &big],
    );
    let rgba = image::open(&big).unwrap().to_rgba8();
    assert_eq!(rgba.dimensions(), (1920, 1200));
    assert_eq!(
        rgba.get_pixel(3, 3)[3],
        0,
        "the background is not transparent"
    );
    let opaque = rgba.pixels().filter(|p| p[3] == 255).count();
    assert!(
        opaque > 1920 * 1200 / 20,
        "the brain is not drawn opaque ({opaque} px)"
    );
}

#[test]
fn a_tour_exports_to_a_movie_headless() {
    let root = scratch("session-tour");
    let sess = root.join("tour.json");
    let first = root.join("first.png");
    render(
        &first,
        &[
            "--show",
            "thickness",
            "--save-session",
            &sess.to_string_lossy(),
        ],
    );
    // a tour of three keyframes: orbit half way round while inflating
    let mut s: Value = serde_json::from_str(&std::fs::read_to_string(&sess).unwrap()).unwrap();
    let cam = s["camera"].clone();
    let key = |t: f64, dyaw: f64, inflate: f64| {
        let mut c = cam.clone();
        c["yaw"] = Value::from(cam["yaw"].as_f64().unwrap() + dyaw);
        serde_json::json!({ "at_s": t, "camera": c, "inflate": inflate })
    };
    s["tours"] = serde_json::json!([{
        "name": "orbit",
        "keyframes": [key(0.0, 0.0, 0.0), key(1.0, 1.5, 0.5), key(2.0, 3.0, 1.0)]
    }]);
    // the second keyframe brings a caption, burnt into the frames from then on
    s["tours"][0]["keyframes"][1]["caption"] = Value::from("Inflating");
    std::fs::write(&sess, serde_json::to_string_pretty(&s).unwrap()).unwrap();

    let gif = root.join("orbit.gif");
    let out = ok(
        &[
            "render",
            "--width",
            "240",
            "--height",
            "150",
            "--fps",
            "5",
            "--tour",
            "orbit",
            "--session",
        ],
        &[&sess, Path::new("--out"), &gif],
    );
    assert!(out.contains("tour: 11 frames"), "{out}");
    let frames = root.join("orbit.frames");
    let f0 = pixels(&frames.join("frame_00000.png"));
    let f5 = pixels(&frames.join("frame_00005.png"));
    let f10 = pixels(&frames.join("frame_00010.png"));
    assert!(f0 != f5 && f5 != f10, "the tour's frames do not change");
    let white_in_band = |img: &image::RgbImage| {
        let (w, h) = img.dimensions();
        (h - 20..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c > 240))
            .count()
    };
    assert!(
        white_in_band(&f10) > 20 && white_in_band(&f10) > 3 * white_in_band(&f0),
        "caption burnt in: {} white pixels at the bottom of frame 10, {} of frame 0",
        white_in_band(&f10),
        white_in_band(&f0)
    );
    let bytes = std::fs::read(&gif).unwrap();
    assert!(bytes.starts_with(b"GIF89a") && bytes.len() > 10_000);
    // an animated GIF: one image descriptor per frame
    let decoder = gif::DecodeOptions::new().read_info(std::fs::File::open(&gif).unwrap());
    let mut d = decoder.unwrap();
    let mut n = 0;
    while d.read_next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 11);

    let have_ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_ffmpeg {
        let mp4 = root.join("orbit.mp4");
        ok(
            &[
                "render",
                "--width",
                "240",
                "--height",
                "150",
                "--fps",
                "5",
                "--tour",
                "orbit",
                "--session",
            ],
            &[&sess, Path::new("--out"), &mp4],
        );
        let bytes = std::fs::read(&mp4).unwrap();
        assert!(&bytes[4..8] == b"ftyp", "not an MP4");
    }

    let o = run(
        &["render", "--tour", "nope", "--out", "x.gif", "--session"],
        &[&sess],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no tour named \"nope\"") && err.contains("orbit"),
        "{err}"
    );
}

#[test]
fn killing_a_save_half_way_leaves_the_previous_session_whole() {
    let root = scratch("session-kill");
    let sess = root.join("s.json");
    let png = root.join("s.png");
    render(
        &png,
        &[
            "--simulate",
            "wave",
            "--sim-steps",
            "50",
            "--save-session",
            &sess.to_string_lossy(),
        ],
    );
    let before = std::fs::read(&sess).unwrap();
    let data_before: Vec<_> = std::fs::read_dir(root.join("s.data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    // the next save (another simulation, another view) pauses between writing the new file and
    // putting it in place; it is killed there
    let mut child = bin()
        .args([
            "render",
            "--width",
            W,
            "--height",
            H,
            "--view",
            "left",
            "--simulate",
            "wave",
            "--sim-steps",
            "80",
            "--out",
        ])
        .arg(root.join("t.png"))
        .arg("--save-session")
        .arg(&sess)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("CORTEXPLORER_TEST_SAVE_PAUSE_MS", "60000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let tmp_present = || {
        std::fs::read_dir(&root).unwrap().any(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.starts_with(".cortexplorer-") && n.ends_with(".tmp")
        })
    };
    while !tmp_present() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the save never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the save ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // the new session is written in full, not yet renamed over the old one
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(&sess).unwrap(),
        before,
        "the session file changed"
    );
    for p in &data_before {
        assert!(
            p.exists(),
            "{} (needed by the old session) is gone",
            p.display()
        );
    }
    // and it still opens to its picture
    let again = root.join("again.png");
    render(&again, &["--session", &sess.to_string_lossy()]);
    assert!(pixels(&again) == pixels(&png));
}

#[test]
fn a_full_disk_or_a_read_only_folder_keeps_the_previous_session() {
    let root = scratch("session-faults");
    let sess = root.join("s.json");
    render(
        &root.join("s.png"),
        &["--save-session", &sess.to_string_lossy()],
    );
    let before = std::fs::read(&sess).unwrap();
    // simulated faults (the tests run as root, whom permissions do not stop)
    for (fault, needle) in [
        ("disk-full", "No space left on device"),
        ("read-only", "Read-only file system"),
    ] {
        let o = bin()
            .args(["render", "--width", W, "--height", H, "--view", "left"])
            .arg("--out")
            .arg(root.join("t.png"))
            .arg("--save-session")
            .arg(&sess)
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .env("CORTEXPLORER_TEST_FAULT", fault)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{fault}: the save reported success");
        assert!(
            err.contains(&sess.display().to_string())
                && err.contains(needle)
                && err.contains("the previous file is unchanged"),
            "{fault}: {err}"
        );
        assert_eq!(std::fs::read(&sess).unwrap(), before, "{fault}");
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{fault}: {leftovers:?}");
    }
}

#[test]
fn broken_sessions_are_refused_with_the_reason() {
    let root = scratch("session-bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "not a valid session"),
        ("garbage.json", b"\x00\xff\xfe{".to_vec(), "not UTF-8"),
        (
            "other.json",
            br#"{"format":"something","version":1}"#.to_vec(),
            "not a valid session",
        ),
        (
            "future.json",
            br#"{"format":"cortexplorer-session","version":7,"inputs":[],"view":{"surface":"pial","inflate":0.0,"underlay":null,"curvature_contrast":1.0,"show":{}},"layers":[]}"#.to_vec(),
            "version 7 is not supported",
        ),
        (
            "nothing.json",
            br#"{"format":"cortexplorer-session","version":1,"inputs":[{"kind":"file","path":"missing.gii"}],"view":{"surface":"pial","inflate":0.0,"underlay":null,"curvature_contrast":1.0,"show":{}},"layers":[]}"#.to_vec(),
            "nothing of the session could be loaded",
        ),
        ("deep.json", "[".repeat(200_000).into_bytes(), "not a valid session"),
    ];
    for (name, bytes, needle) in cases {
        let p = root.join(name);
        std::fs::write(&p, bytes).unwrap();
        let o = run(&["render", "--out", "x.png", "--session"], &[&p]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(name) && err.contains(needle),
            "{name}: {err} lacks {needle:?}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
