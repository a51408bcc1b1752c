//! The windowed viewer starts under X (Xvfb in CI), loads the embedded scene, draws panels
//! and surfaces, and exits after a screenshot.

use std::process::{Child, Command};

use crate::{bin, scratch};

/// A private Xvfb when no display is set (the README's test command sets one up anyway).
struct Display {
    name: String,
    server: Option<Child>,
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

fn display() -> Display {
    if let Ok(d) = std::env::var("DISPLAY")
        && !d.is_empty()
    {
        return Display {
            name: d,
            server: None,
        };
    }
    let n = 90 + (std::process::id() % 8);
    let name = format!(":{n}");
    // the previous test's server was killed (SIGKILL): its socket stays behind, and a viewer
    // started before the new server listens would connect to nothing
    let socket = format!("/tmp/.X11-unix/X{n}");
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
    let server = Command::new("Xvfb")
        .args([
            name.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .spawn()
        .expect("no DISPLAY and Xvfb cannot be started: install xvfb (see README)");
    for _ in 0..100 {
        if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Display {
        name,
        server: Some(server),
    }
}

/// Run the viewer on a fresh display with these arguments; the JSON report it prints last.
/// One viewer at a time: every test in this process would pick the same Xvfb display
/// number, and one test's server going away under another's window fails that test.
static ONE_VIEWER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_view(args: &[&str]) -> serde_json::Value {
    run_view_logged(args).0
}

/// As `run_view`, with what the viewer logged (stderr).
fn run_view_logged(args: &[&str]) -> (serde_json::Value, String) {
    run_view_with(args, &[])
}

/// As `run_view_logged`, with these environment variables set.
fn run_view_with(args: &[&str], envs: &[(&str, &str)]) -> (serde_json::Value, String) {
    let _one = ONE_VIEWER.lock().unwrap_or_else(|e| e.into_inner());
    let d = display();
    let o = bin()
        .arg("view")
        .args(args)
        .envs(envs.iter().copied())
        .env("DISPLAY", &d.name)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("CORTEXPLORER_DATA_DIR", scratch("gui-data"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "viewer failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    (
        serde_json::from_str(stdout.lines().last().unwrap()).unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Malformed files given with a good one: each is refused with its own error, the good one
/// loads, and the scene keeps everything it had.
#[test]
fn malformed_files_are_refused_and_the_scene_keeps_what_it_had() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut bad = Vec::new();
    for folder in [
        "freesurfer-surface",
        "freesurfer-curv",
        "mgh",
        "nifti",
        "gifti",
        "npy",
        "vtk",
        "swc",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(folder))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("00-"))
            .collect();
        files.sort();
        bad.extend(files.into_iter().take(2));
    }
    let n = cortexplorer::brain::fsaverage5::N_VERTICES;
    let good = scratch("gui-bad").join("lh.good.npy");
    let mut bytes = Vec::new();
    let values = (0..n).map(|i| (i % 97) as f32).collect();
    cortexplorer::io::npy::write(
        &cortexplorer::brain::data::Overlay::new(n, 1, values),
        &mut bytes,
    )
    .unwrap();
    std::fs::write(&good, bytes).unwrap();
    let before = run_view(&["--bench-frames", "3"]);
    let mut args: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
    args.push(good.display().to_string());
    args.extend(["--bench-frames".into(), "3".into()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (after, log) = run_view_logged(&argv);
    assert_eq!(
        after["layers"].as_u64().unwrap(),
        before["layers"].as_u64().unwrap() + 1,
        "the good file is added and nothing is lost:\n{log}"
    );
    for p in &bad {
        let name = p.display().to_string();
        assert!(
            log.lines()
                .any(|l| l.contains("ERROR") && l.contains(&name)),
            "no error for {name}:\n{log}"
        );
    }
}

#[test]
fn viewer_window_draws_panels_and_brain() {
    let out = scratch("gui").join("window.png");
    let report = run_view(&["--bench-frames", "5", "--screenshot", out.to_str().unwrap()]);
    assert!(report["mean_frame_ms"].as_f64().unwrap() > 0.0);
    assert_brain_and_panels(&out);
}

/// A window screenshot shows the brain in the middle and the left panel with its text.
fn assert_brain_and_panels(png: &std::path::Path) {
    let img = image::open(png).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    // the middle of the window is the 3D view with the brain in it: light grey cortex
    let centre = img.get_pixel(w / 2, h / 2);
    assert!(
        centre[0] > 60 && centre[1] > 60,
        "brain at the centre: {centre:?}"
    );
    // the left panel is egui's flat panel colour, different from the 3D background
    let panel = img.get_pixel(150, h / 2);
    let bg = img.get_pixel(w / 2, 40);
    assert_ne!(panel, bg, "panel and 3D background differ");
    // text in the left panel: some bright pixels in its top rows
    let text = (0..300)
        .flat_map(|x| (30..60).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y)[0] > 110)
        .count();
    assert!(text > 50, "panel text drawn ({text} bright pixels)");
}

/// Reduced resolution while the camera moves (`app::motion`). `always`: every measured frame
/// of an orbit is drawn at half resolution, and the picture still shows the brain in the free
/// area with sharp panels around it. `auto` (the default): a trial measures both modes while
/// orbiting and decides; `off`: no frame is reduced.
#[test]
fn an_orbiting_camera_draws_at_reduced_resolution() {
    let run = |mode: &str, frames: &str, shot: Option<&str>| {
        let mut args = vec!["--bench-frames", frames, "--orbit"];
        if let Some(p) = shot {
            args.extend(["--screenshot", p]);
        }
        run_view_with(&args, &[("CORTEXPLORER_MOTION", mode)]).0
    };
    let out = scratch("gui").join("orbit.png");
    let report = run("always", "12", Some(out.to_str().unwrap()));
    assert_eq!(report["motion_mode"], "always", "{report}");
    assert_eq!(report["motion_scale"].as_f64(), Some(0.5), "{report}");
    let reduced = report["reduced_frames"].as_u64().unwrap();
    assert!(reduced >= 12, "all measured frames reduced: {report}");
    assert_brain_and_panels(&out);

    // auto: both modes measured while moving, then a decision
    let auto = run("auto", "80", None);
    let trial = &auto["motion_trial"];
    assert!(trial["reduced_ms"].as_f64().unwrap() > 0.0, "{auto}");
    assert!(trial["full_ms"].as_f64().unwrap() > 0.0, "{auto}");
    assert!(trial["reduce"].is_boolean(), "decided: {auto}");

    let off = run("off", "6", None);
    assert_eq!(off["reduced_frames"].as_u64(), Some(0), "{off}");
}

/// A region matrix with a node file draws its arcs over the cortex: the window with them differs
/// from the window without them only along the arcs (same view, panels hidden).
#[test]
fn region_arcs_are_drawn_over_the_cortex() {
    let d = scratch("gui-arcs");
    let m = d.join("conn.npy");
    let w = [0.0, 1.0, 0.5, 0.8, 0.0, 0.6, 0.7, 0.9, 0.0];
    std::fs::write(&m, crate::routing::npy(&[3, 3], &w)).unwrap();
    let nodes = d.join("three.node");
    std::fs::write(
        &nodes,
        "-45 -20 30 1 1 A\n45 -20 30 1 1 B\n0 -80 10 1 1 C\n",
    )
    .unwrap();
    let with = d.join("with.png");
    let without = d.join("without.png");
    run_view(&[
        "--presenter",
        "--bench-frames",
        "3",
        "--screenshot",
        with.to_str().unwrap(),
        m.to_str().unwrap(),
        nodes.to_str().unwrap(),
    ]);
    run_view(&[
        "--presenter",
        "--bench-frames",
        "3",
        "--screenshot",
        without.to_str().unwrap(),
    ]);
    let a = image::open(&with).unwrap().to_rgb8();
    let b = image::open(&without).unwrap().to_rgb8();
    assert_eq!(a.dimensions(), b.dimensions());
    let changed = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0).any(|(x, y)| x.abs_diff(y) > 40))
        .count();
    let total = (a.width() * a.height()) as usize;
    // six arcs, a pixel wide, each some hundred pixels long: more than a few hundred pixels,
    // far less than the picture
    assert!(
        changed > 300 && changed < total / 20,
        "{changed} of {total} pixels changed"
    );
}

/// `view --plan --drag-bench`: after the start-up plan, device 0 is moved frame by frame through
/// the mouse-drag path; the live percept follows it (off the render path) and ends current.
#[test]
fn dragging_an_electrode_updates_the_live_percept() {
    let quick = crate::data("plan_quick.toml");
    let r = run_view(&[
        "--plan",
        "--plan-config",
        quick.to_str().unwrap(),
        "--hemi",
        "left",
        "--view",
        "right",
        "--drag-bench",
        "12",
    ]);
    assert_eq!(r["drag_frames"], 12);
    assert_eq!(r["electrodes"], 100);
    // each step moves device 0; the live-percept worker answers the newest layout (under load
    // a step whose percept was not started before the next one is skipped), and the percept
    // shown at the end is the final layout's
    assert!(
        r["percepts_changed"].as_u64().unwrap() >= 6,
        "percept follows the drag: {r}"
    );
    assert_eq!(r["final_percept_current"], true, "{r}");
    assert!(r["mean_percept_ms"].as_f64().unwrap() > 0.0);
    // the drag holds the 3D view still: every drag frame is shown from the frozen image, which
    // the scene was drawn into once (the camera does not move), not once a frame
    let frozen = r["frozen_frames"].as_u64().unwrap();
    let draws = r["scene_draws_while_frozen"].as_u64().unwrap();
    assert!(frozen >= 12, "{r}");
    assert!(draws >= 1 && draws * 2 < frozen, "{r}");
}

/// Presenter mode while planning: the panels are hidden, the target and the live percept stay
/// visible as an inset at the bottom right (the target letter's white pixels are there).
#[test]
fn presenter_mode_shows_the_live_percept_inset() {
    let quick = crate::data("plan_quick.toml");
    let out = scratch("gui-presenter").join("window.png");
    run_view(&[
        "--plan",
        "--plan-config",
        quick.to_str().unwrap(),
        "--presenter",
        "--hemi",
        "left",
        "--view",
        "right",
        "--bench-frames",
        "3",
        "--screenshot",
        out.to_str().unwrap(),
    ]);
    let img = image::open(&out).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let white = img
        .enumerate_pixels()
        .filter(|(x, y, p)| *x > w * 2 / 3 && *y > h * 2 / 3 && p.0 == [255, 255, 255])
        .count();
    assert!(
        white > 2_000,
        "the target letter in the inset: {white} white pixels"
    );
}

/// `view --selectivity-demo`: the demo opens with its panel (labelled "synthetic demo") and the
/// preferred-category map is drawn on the cortex.
#[test]
fn the_selectivity_demo_opens_in_the_window() {
    let out = scratch("gui-selectivity").join("window.png");
    let report = run_view(&[
        "--selectivity-demo",
        "--view",
        "ventral",
        "--bench-frames",
        "3",
        "--screenshot",
        out.to_str().unwrap(),
    ]);
    assert!(report["mean_frame_ms"].as_f64().unwrap() > 0.0);
    let img = image::open(&out).unwrap().to_rgb8();
    let count = |c: [i32; 3], tol: i32| {
        img.pixels()
            .filter(|p| (0..3).all(|k| (p[k] as i32 - c[k]).abs() <= tol))
            .count()
    };
    // the "synthetic demo" label in the panel (its text colour, anti-aliased: the core pixels)
    let label = count([240, 190, 60], 6);
    assert!(label > 20, "synthetic demo label: {label} pixels");
    // the legend swatches are drawn in the category colours exactly
    for (name, c) in [
        ("faces", [230, 159, 0]),
        ("places", [86, 180, 233]),
        ("food", [204, 121, 167]),
    ] {
        let n = count(c, 2);
        assert!(n > 60, "{name} swatch: {n} pixels");
    }
}

/// `view --routing V`: the Routing panel opens with left vertex V selected and draws its
/// heatmap over the stimulus.
#[test]
fn the_routing_panel_draws_the_selected_vertex_heatmap() {
    let out = scratch("gui-routing").join("window.png");
    let report = run_view(&[
        "--routing",
        "3920",
        "--hemi",
        "left",
        "--view",
        "right",
        "--bench-frames",
        "3",
        "--screenshot",
        out.to_str().unwrap(),
    ]);
    assert!(report["mean_frame_ms"].as_f64().unwrap() > 0.0);
    let img = image::open(&out).unwrap().to_rgb8();
    // the stimulus is grey; the heatmap adds hot (red/yellow) pixels inside the panel, in
    // the upper right of the stimulus (the vertex sees the upper right field)
    let hot: Vec<(u32, u32)> = img
        .enumerate_pixels()
        .filter(|(x, y, p)| {
            (330..700).contains(x)
                && (185..555).contains(y)
                && p[0] as i32 - p[2] as i32 > 80
                && p[1] > 60
        })
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(hot.len() > 40, "{} hot pixels", hot.len());
    let n = hot.len() as f64;
    let mx = hot.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = hot.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    // the stimulus is drawn 380 px wide from x ≈ 345, y ≈ 200 (the panel's default place)
    assert!(mx > 535.0 && my < 390.0, "heatmap at ({mx:.0}, {my:.0})");
}

#[test]
fn after_a_kill_the_next_start_restores_the_autosave() {
    let _one = ONE_VIEWER.lock().unwrap_or_else(|e| e.into_inner());
    let d = display();
    let data = scratch("gui-autosave");
    let _ = std::fs::remove_file(data.join("autosave.json"));
    let _ = std::fs::remove_file(data.join("running.lock"));
    // a viewer showing only the left hemisphere from the right (its medial side), autosaving
    // every second; killed once it has autosaved
    let mut child = bin()
        .args([
            "view",
            "--hemi",
            "left",
            "--view",
            "right",
            "--bench-frames",
            "100000",
        ])
        .env("DISPLAY", &d.name)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("CORTEXPLORER_DATA_DIR", &data)
        .env("CORTEXPLORER_AUTOSAVE_S", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let auto = data.join("autosave.json");
    let started = std::time::Instant::now();
    while !auto.exists() {
        assert!(
            started.elapsed().as_secs() < 180,
            "no autosave within 180 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the viewer ended early"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        data.join("running.lock").exists(),
        "a killed run leaves its lock"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&auto).unwrap()).unwrap();
    assert_eq!(saved["view"]["show"]["right"], false);

    // the next start finds the lock of a process that is gone and restores the autosave
    let shot = scratch("gui-autosave-shot").join("restored.png");
    let o = bin()
        .args(["view", "--restore-autosave", "--screenshot"])
        .arg(&shot)
        .env("DISPLAY", &d.name)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("CORTEXPLORER_DATA_DIR", &data)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("session restored from"), "{err}");
    // the clean exit removed the lock and autosaved the restored state
    assert!(!data.join("running.lock").exists());
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&auto).unwrap()).unwrap();
    assert_eq!(again["view"]["show"]["right"], false);
    let img = image::open(&shot).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1280, 800));
}

/// The short soak: 40 s of continuous drawing with the wave model running. Memory after the
/// warm-up must not grow (the 60-minute figures are in the README).
#[test]
fn a_short_soak_keeps_memory_flat() {
    let r = run_view(&["--simulate", "wave", "--soak", "40"]);
    assert_eq!(r["mode"], "soak");
    let samples = r["samples"].as_array().unwrap();
    assert!(samples.len() >= 20, "{} samples", samples.len());
    assert!(r["frames"].as_u64().unwrap() > 20);
    // A leak grows steadily. A one-off step (an allocator arena, lavapipe taking another
    // chunk: 12 MiB once, at a different moment each run, then flat) is not one, so the growth
    // over the second half leaves out the largest single step — up to 32 MiB; a larger jump
    // counts in full.
    let rss = |x: &serde_json::Value| x["rss_mib"].as_f64().unwrap();
    let half: Vec<f64> = samples
        .iter()
        .filter(|x| x["t_s"].as_f64().unwrap() >= 20.0)
        .map(rss)
        .collect();
    let step = half
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max)
        .clamp(0.0, 32.0);
    let growth = (half[half.len() - 1] - half[0] - step) / half[0] * 100.0;
    assert!(
        growth < 1.0,
        "memory grew {growth:.2}% over the second half: {samples:?}"
    );
}

/// `view SUBJECT --plan --plan-vessels MASK`: the subject replaces the default scene, the
/// planner runs on its maps around the mask, and the mask's wall is drawn (it changes many
/// pixels of the 3D view against the same plan with the generated vessels hidden).
#[test]
fn a_subject_with_a_vessel_mask_plans_and_draws_the_wall() {
    let dir = scratch("gui-subject").join("subj");
    let o = bin()
        .args(["generate-subject", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let mask = dir.join("vessels_mask.mgz");
    let shot = |vessels: &str, name: &str| {
        let out = scratch("gui-subject").join(name);
        let quick = crate::data("plan_quick.toml");
        let (report, log) = run_view_logged(&[
            dir.to_str().unwrap(),
            "--plan",
            "--plan-config",
            quick.to_str().unwrap(),
            "--plan-vessels",
            vessels,
            "--hemi",
            "left",
            "--view",
            "right",
            "--bench-frames",
            "3",
            "--screenshot",
            out.to_str().unwrap(),
        ]);
        assert!(report["layers"].as_u64().unwrap() >= 3, "{report}");
        assert!(log.contains("Opened FreeSurfer subject"), "{log}");
        assert!(log.contains("Optimisation finished"), "{log}");
        image::open(&out).unwrap().to_rgb8()
    };
    let with_mask = shot(mask.to_str().unwrap(), "mask.png");
    let without = shot("none", "none.png");
    // the 3D view (left of the planning window, right of the side panel)
    let changed = with_mask
        .enumerate_pixels()
        .filter(|(x, y, p)| {
            (300..700).contains(x) && (40..760).contains(y) && {
                let q = without.get_pixel(*x, *y);
                (0..3)
                    .map(|k| (p[k] as i32 - q[k] as i32).abs())
                    .sum::<i32>()
                    > 60
            }
        })
        .count();
    assert!(
        changed > 5_000,
        "{changed} pixels changed by the mask's wall"
    );
}
