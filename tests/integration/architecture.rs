//! The layering rule from `src/lib.rs`: the readers and the domain core import no Bevy/egui,
//! and use no `unsafe`.

use std::path::Path;

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
fn core_has_no_bevy_or_egui() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    // the readers' crate, but for its one allocator hint (an madvise, crate-level deny)
    let formats = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cortexplorer-formats/src");
    rust_files(&formats, &mut files);
    files.retain(|f| !f.ends_with("hint.rs"));
    for layer in [
        "brain",
        "percept",
        "planning",
        "activity",
        "selectivity",
        "routing",
    ] {
        rust_files(&root.join(layer), &mut files);
    }
    files.push(root.join("gpu.rs"));
    files.push(root.join("session.rs"));
    files.push(root.join("check.rs"));
    assert!(files.len() > 5);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for forbidden in ["bevy", "egui"] {
                assert!(
                    !(code.contains(&format!("{forbidden}::"))
                        || code.contains(&format!("use {forbidden}"))),
                    "{}:{}: the core imports {forbidden}: {line}",
                    f.display(),
                    i + 1
                );
            }
            // the readers and the core parse untrusted files: no `unsafe` there (the two
            // allocator hints live in lib.rs)
            assert!(
                !code
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "unsafe"),
                "{}:{}: `unsafe` in the core: {line}",
                f.display(),
                i + 1
            );
        }
    }
}
