//! The layering, kept by the crate graph: `cortexplorer-formats` depends on no other crate of
//! the workspace; `cortexplorer-core` and `cortexplorer-gpu` reach no Bevy, egui or winit (only
//! the `cortexplorer` binary crate does); the Python module `cortexplorer-py` links formats and
//! core only (no wgpu either). Checked on `cargo metadata`'s resolved graph. The
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
    // the Python module: readers and core only — no window, no GPU stack in the wheel
    let py = &reach["cortexplorer-py"];
    let heavy: Vec<&String> = py
        .iter()
        .filter(|n| ui(n) || n.starts_with("wgpu") || n.as_str() == "cortexplorer-gpu")
        .collect();
    assert!(heavy.is_empty(), "cortexplorer-py reaches {heavy:?}");
    assert_eq!(
        ours("cortexplorer-py"),
        BTreeSet::from([
            "cortexplorer-core".to_string(),
            "cortexplorer-formats".to_string()
        ])
    );
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

/// The module a source file is, as a path under its crate root: `brain/scene.rs` is
/// `brain::scene`, `app/mod.rs` is `app`; `depth` cuts it to the units the graph is kept
/// between (core: its top-level modules; the binary: `app::files`, `ui::planning`, …).
fn module_of(root: &Path, file: &Path, depth: usize) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.truncate(depth);
    parts
}

/// The paths a file names through `crate::` and `super::` (grouped imports `{a, b::c}` one level
/// deep), resolved to module paths; comments are skipped.
fn named_paths(text: &str, me: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    // a mod.rs/lib.rs names its own children bare (`files::FilesPlugin`)
    let children: Vec<String> = if is_mod_file {
        text.lines()
            .filter_map(|l| {
                let l = l
                    .trim()
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                l.strip_prefix("mod ")?
                    .strip_suffix(';')
                    .map(str::to_string)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut prefixes = vec![
        ("crate::".to_string(), Vec::new()),
        // the parent of this file's module (a mod.rs is its own module)
        (
            "super::".to_string(),
            me[..me.len().saturating_sub(1)].to_vec(),
        ),
    ];
    for c in &children {
        let mut base = me.to_vec();
        base.push(c.clone());
        prefixes.push((format!("{c}::"), base));
    }
    for (prefix, base) in prefixes {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix.as_str()) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut p = base.clone();
            expand(&mut p, rest, &mut out);
        }
    }
    out
}

/// The paths `text` (what follows `prefix::`) names: `a::b`, or a group `{a, b::{c, d}}`.
fn expand(prefix: &mut Vec<String>, text: &str, out: &mut Vec<Vec<String>>) {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let n = prefix.len();
    prefix.extend(
        text[..end]
            .split("::")
            .filter(|x| !x.is_empty())
            .map(str::to_string),
    );
    let after = &text[end..];
    if let Some(group) = after.strip_prefix('{') {
        // the items up to the matching brace, split at top-level commas
        let (mut depth, mut start) = (0usize, 0usize);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(prefix, group[start..i].trim(), out);
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(prefix, group[start..i].trim(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
    } else if prefix.len() > n {
        out.push(prefix.clone());
    }
    prefix.truncate(n);
}

/// Strongly connected components of more than one module in the `use` graph of a crate.
fn module_cycles(root: &Path, depth: usize, skip: &[&str]) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let units: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(root, f, depth))
        .filter(|m| !m.is_empty())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let full = module_of(root, f, usize::MAX);
        let me = module_of(root, f, depth);
        if me.is_empty() || skip.contains(&me[0].as_str()) {
            continue;
        }
        let is_mod = f.ends_with("mod.rs") || f.ends_with("lib.rs") || f.ends_with("main.rs");
        let text = std::fs::read_to_string(f).unwrap();
        // test modules may reach anywhere: only the code above `#[cfg(test)]` counts
        let text = text.split("#[cfg(test)]").next().unwrap();
        for p in named_paths(text, &full, is_mod) {
            // the longest unit this path lies in
            let target = (1..=p.len().min(depth))
                .rev()
                .map(|k| p[..k].to_vec())
                .find(|u| units.contains(u));
            if let Some(t) = target
                && t != me
            {
                edges.entry(me.join("::")).or_default().insert(t.join("::"));
            }
        }
    }
    // a component: the modules that reach each other (a few dozen modules: no need for Tarjan)
    let names: Vec<String> = units.iter().map(|u| u.join("::")).collect();
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(x) = stack.pop() {
            for d in edges.get(&x).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let all: BTreeMap<&String, BTreeSet<String>> = names.iter().map(|n| (n, reach(n))).collect();
    let mut comps: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for n in &names {
        if placed.contains(n) || !all[n].contains(n) {
            continue;
        }
        let comp: Vec<String> = names
            .iter()
            .filter(|m| all[n].contains(*m) && all[*m].contains(n))
            .cloned()
            .collect();
        placed.extend(comp.iter().cloned());
        // said as its edges, so the message shows what to cut
        let inner: Vec<String> = comp
            .iter()
            .flat_map(|a| {
                edges
                    .get(a)
                    .into_iter()
                    .flatten()
                    .filter(|b| comp.contains(b))
                    .map(move |b| format!("{a} → {b}"))
            })
            .collect();
        comps.push(inner);
    }
    comps
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = module_cycles(&here.join("crates/cortexplorer-core/src"), 1, &[]);
    let formats = module_cycles(&here.join("crates/cortexplorer-formats/src"), 1, &[]);
    let app = module_cycles(&here.join("src"), 2, &[]);
    assert!(
        core.is_empty() && formats.is_empty() && app.is_empty(),
        "module cycles — core: {core:?}; formats: {formats:?}; binary: {app:?}"
    );
}

/// Features may give the scene methods in their own modules (`impl Scene` in
/// `selectivity/state.rs`, the dispatch in `open.rs`); the scene's own module never calls them —
/// a method call is an import the `use` graph cannot see.
#[test]
fn the_scene_calls_no_method_a_feature_gave_it() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cortexplorer-core/src");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    let mut given = BTreeSet::new();
    for f in files.iter().filter(|f| !f.starts_with(core.join("brain"))) {
        let text = std::fs::read_to_string(f).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("impl Scene {") {
            rest = &rest[i + "impl Scene {".len()..];
            // the block: up to the brace that closes it
            let mut depth = 1usize;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(k, _)| k);
            for w in rest[..end].split("fn ").skip(1) {
                let name: String = w
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                given.insert(name);
            }
        }
    }
    assert!(
        given.contains("add") && given.contains("selectivity"),
        "{given:?}"
    );
    for f in files.iter().filter(|f| f.starts_with(core.join("brain"))) {
        let text = std::fs::read_to_string(f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for name in &given {
            assert!(
                !code.contains(&format!(".{name}(")),
                "{} calls `{name}`, which a feature gives the scene",
                f.display()
            );
        }
    }
}
