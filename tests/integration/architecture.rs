//! The layering, kept by the crate graph: `cortexplorer-formats` depends on no other crate of
//! the workspace; `cortexplorer-core` and `cortexplorer-gpu` reach no Bevy, egui or winit (only
//! the `cortexplorer` binary crate does). Checked on `cargo metadata`'s resolved graph. The
//! readers, the core and the compute runner use no `unsafe` (also `forbid`/`deny` in their
//! crate roots; the one allocator hint of the readers' crate lives in its `hint.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn metadata() -> serde_json::Value {
    // this platform's graph only (other platforms' crates are never downloaded here)
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .unwrap();
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Every package a package reaches through normal (non-dev, non-build) dependencies.
fn closure(meta: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    let name_of: BTreeMap<String, String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut direct: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in meta["resolve"]["nodes"].as_array().unwrap() {
        let deps = n["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap().to_string())
            .collect();
        direct.insert(n["id"].as_str().unwrap().to_string(), deps);
    }
    let mut out = BTreeMap::new();
    for id in direct.keys() {
        let mut seen = BTreeSet::new();
        let mut stack = vec![id.clone()];
        while let Some(x) = stack.pop() {
            for d in direct.get(&x).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        out.insert(
            name_of[id].clone(),
            seen.iter().map(|d| name_of[d].clone()).collect(),
        );
    }
    out
}

#[test]
fn the_crate_graph_keeps_the_layers() {
    let meta = metadata();
    let reach = closure(&meta);
    let ui = |n: &String| n.starts_with("bevy") || n.contains("egui") || n.starts_with("winit");
    for krate in [
        "cortexplorer-formats",
        "cortexplorer-core",
        "cortexplorer-gpu",
    ] {
        let r = &reach[krate];
        let bad: Vec<&String> = r.iter().filter(|n| ui(n)).collect();
        assert!(bad.is_empty(), "{krate} reaches {bad:?}");
    }
    let ours = |k: &str| -> BTreeSet<String> {
        reach[k]
            .iter()
            .filter(|n| n.starts_with("cortexplorer"))
            .cloned()
            .collect()
    };
    assert!(ours("cortexplorer-formats").is_empty());
    assert_eq!(
        ours("cortexplorer-core"),
        BTreeSet::from(["cortexplorer-formats".to_string()])
    );
    assert!(ours("cortexplorer-gpu").contains("cortexplorer-core"));
    // the binary crate is where Bevy and egui come in
    assert!(reach["cortexplorer"].iter().any(|n| n == "bevy"));
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn readers_core_and_compute_use_no_unsafe() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut files = Vec::new();
    for k in [
        "cortexplorer-formats",
        "cortexplorer-core",
        "cortexplorer-gpu",
    ] {
        rust_files(&crates.join(k).join("src"), &mut files);
    }
    files.retain(|f| !f.ends_with("cortexplorer-formats/src/hint.rs"));
    assert!(files.len() > 50);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            assert!(
                !code
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "unsafe"),
                "{}:{}: `unsafe`: {line}",
                f.display(),
                i + 1
            );
        }
    }
}
