//! The malformed-input corpus (`tests/corpus/`, written by `tests/corpus/make_corpus.py`):
//! every damaged file is refused with one line naming the file and the problem, within 2 s,
//! in a process whose address space is capped (`ulimit -v`) and whose reader budget
//! (`CORTEXPLORER_MAX_BYTES`) is 128 MiB; every `00-valid*` original still loads.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Address-space cap of the checking process (KiB): the program's own mappings (code, thread
/// stacks, allocator arenas) plus the 128 MiB reader budget, with room for one copy.
const ULIMIT_V_KIB: u64 = 2 << 20;
const BUDGET: u64 = 128 << 20;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn reader_of(folder: &str) -> &'static str {
    match folder {
        "session" => "session",
        "plan" => "plan",
        "plan-config" => "plan-config",
        "markups" => "markups",
        "electrodes" => "electrodes",
        "bids" => "bids",
        _ => "data",
    }
}

/// Run `cortexplorer check --as READER --json DIR` under the caps; kill it after `limit`.
fn check_folder(dir: &Path, reader: &str, limit: Duration) -> serde_json::Value {
    let child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ULIMIT_V_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_cortexplorer"))
        .args(["check", "--json", "--as", reader])
        .arg(dir)
        .env("CORTEXPLORER_MAX_BYTES", BUDGET.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // read the output while it runs (a full pipe would stall it), kill it after `limit`
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    let t = Instant::now();
    while !waiter.is_finished() {
        if t.elapsed() > limit {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            panic!("{}: check still running after {limit:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = waiter.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 2 = some file refused; a signal (crash, allocation failure under the cap) has no code
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}: {:?}\n{stderr}",
        dir.display(),
        out.status
    );
    assert!(!stderr.contains("internal error"), "{stderr}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: output is not JSON ({e})", dir.display()))
}

#[test]
fn every_malformed_file_is_refused_cleanly() {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() >= 20, "{} corpus folders", folders.len());
    let mut problems = Vec::new();
    let mut slowest = (0.0f64, String::new());
    for dir in &folders {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        let v = check_folder(dir, reader_of(&folder), Duration::from_secs(120));
        let files = v["files"].as_array().unwrap();
        let mut bad = 0;
        for f in files {
            let file = f["file"].as_str().unwrap();
            let name = Path::new(file).file_name().unwrap().to_string_lossy();
            let ms = f["ms"].as_f64().unwrap();
            if ms > slowest.0 {
                slowest = (ms, file.to_string());
            }
            if ms > 2000.0 {
                problems.push(format!("{file}: {ms:.0} ms"));
            }
            if name.starts_with("00-valid") {
                if f["ok"] != true {
                    problems.push(format!("valid file refused: {}", f["error"]));
                }
                continue;
            }
            bad += 1;
            if f["ok"] == true {
                problems.push(format!("{file}: loaded as {} but is damaged", f["kind"]));
                continue;
            }
            let e = f["error"].as_str().unwrap();
            let problem = e.strip_prefix(file).map(|s| s.trim_start_matches(": "));
            if !e.contains(file) || e.contains('\n') || problem.is_none_or(|p| p.len() < 8) {
                problems.push(format!(
                    "{file}: error does not name the file and a problem: {e}"
                ));
            }
        }
        // a VesselGraph case is a pair of files
        let cases = if folder == "vesselgraph" {
            bad / 2
        } else {
            bad
        };
        if cases < 15 {
            problems.push(format!("{folder}: only {cases} malformed cases"));
        }
        let peak = v["peak_rss_mib"].as_f64().unwrap_or(0.0);
        if peak > 600.0 {
            problems.push(format!("{folder}: peak memory {peak:.0} MiB"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("slowest refusal: {:.1} ms ({})", slowest.0, slowest.1);
}
