//! The documentation stays true: the command-line reference is generated from the command
//! line itself, every link in the guide resolves, every command the README shows runs as
//! written (the viewer's with `--screenshot` added, so that it closes), the screenshots are the
//! ones the screenshot script makes, the desktop install works, and no package host is named
//! anywhere in the repository.
//!
//! `CORTEXPLORER_BLESS=1 cargo test docs::` rewrites docs/cli.md after a change to the CLI.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reference as the test writes it: clap-markdown's rendering of `cortexplorer::cli::command()`.
fn cli_reference() -> String {
    let opts = clap_markdown::MarkdownOptions::new()
        .title("Command-line reference".to_string())
        .show_footer(false);
    let body = clap_markdown::help_markdown_command_custom(&cortexplorer::cli::command(), &opts);
    format!(
        "<!-- Generated from the program's command line by tests/integration/docs.rs; do not edit. \
         Regenerate: CORTEXPLORER_BLESS=1 cargo test docs:: -->\n\n{body}"
    )
}

#[test]
fn the_cli_reference_is_generated_from_the_command_line() {
    let path = root().join("docs/cli.md");
    let want = cli_reference();
    if std::env::var_os("CORTEXPLORER_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/cli.md is not what the command line says; run CORTEXPLORER_BLESS=1 cargo test docs::"
    );
    // every subcommand is in it
    for sub in cortexplorer::cli::command().get_subcommands() {
        assert!(
            have.contains(&format!("`cortexplorer {}`", sub.get_name())),
            "{}",
            sub.get_name()
        );
    }
}

/// The Markdown files a reader follows: README, ARCHITECTURE, the guide, the data notes.
fn markdown_files() -> Vec<PathBuf> {
    let mut out = vec![
        root().join("README.md"),
        root().join("ARCHITECTURE.md"),
        root().join("assets/README.md"),
    ];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
    out
}

/// `[text](target)` and `![alt](target)` targets of a Markdown text (code spans and blocks
/// skipped).
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // drop inline code spans
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].trim().to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// A heading's anchor as GitHub makes it: lower case, spaces to '-', punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_link_in_the_docs_resolves() {
    let mut checked = 0;
    for md in markdown_files() {
        let text = std::fs::read_to_string(&md).unwrap();
        for t in link_targets(&text) {
            if t.starts_with("http://") || t.starts_with("https://") || t.starts_with("mailto:") {
                continue;
            }
            let (file, frag) = match t.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (t.as_str(), None),
            };
            let target = if file.is_empty() {
                md.clone()
            } else {
                md.parent().unwrap().join(file)
            };
            assert!(
                target.exists(),
                "{}: link to {t} — no such file",
                md.display()
            );
            if let Some(a) = frag
                && target.extension().is_some_and(|x| x == "md")
            {
                let body = std::fs::read_to_string(&target).unwrap();
                let found = body
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .any(|l| anchor(l.trim_start_matches('#')) == a);
                assert!(found, "{}: link to {t} — no such heading", md.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} links found");
}

/// The `cortexplorer …` command lines of the README's code blocks (a trailing `\` continues).
fn readme_commands() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        let l = line.split(" # ").next().unwrap().trim();
        if pending.is_empty() && !l.starts_with("cortexplorer") {
            continue;
        }
        pending.push_str(l.trim_end_matches('\\'));
        pending.push(' ');
        if !l.ends_with('\\') {
            out.push(pending.split_whitespace().map(str::to_string).collect());
            pending.clear();
        }
    }
    out
}

#[test]
fn every_command_in_the_readme_runs() {
    let cmds = readme_commands();
    assert!(cmds.len() >= 6, "{cmds:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut ran = Vec::new();
    for words in &cmds {
        let m = cortexplorer::cli::command()
            .try_get_matches_from(words)
            .unwrap_or_else(|e| panic!("README: `{}` does not parse: {e}", words.join(" ")));
        let sub = m.subcommand_name().unwrap_or("view");
        // every command runs, in order, in one folder (the tour's later steps use the files
        // the earlier ones wrote); the viewer's run as written plus `--screenshot`, which
        // makes the window draw, save a picture and close (with a display: CI has Xvfb)
        if sub == "view" {
            if std::env::var_os("DISPLAY").is_none() {
                continue;
            }
            let shot = dir.path().join(format!("view_{}.png", ran.len()));
            let mut args: Vec<String> = words[1..].to_vec();
            if m.subcommand_name().is_none() {
                args.insert(0, "view".into());
            }
            args.extend(["--screenshot".into(), shot.display().to_string()]);
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cortexplorer"))
                .args(&args)
                .current_dir(dir.path())
                .env("CORTEXPLORER_DATA_DIR", dir.path().join("viewer-data"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
            let status = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break st;
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("README: `{}` did not draw within 300 s", words.join(" "));
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            };
            assert!(
                status.success() && shot.is_file(),
                "README: `{}` (with --screenshot) failed: {status}",
                words.join(" ")
            );
            ran.push("view".to_string());
        } else {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_cortexplorer"))
                .args(&words[1..])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "README: `{}` failed: {}",
                words.join(" "),
                String::from_utf8_lossy(&o.stderr)
            );
            ran.push(sub.to_string());
        }
    }
    // the tour's headless steps: subject, overlay picture, plan, session, movie
    let mut want = vec!["generate-subject", "render", "plan"];
    if std::env::var_os("DISPLAY").is_some() {
        want.push("view");
    }
    for sub in want {
        assert!(ran.iter().any(|r| r == sub), "{sub} not run: {ran:?}");
    }
    for f in [
        "thickness.png",
        "plan.json",
        "plan.mrk.json",
        "talk.json",
        "talk.png",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    assert!(
        ["orbit.mp4", "orbit.gif"]
            .iter()
            .any(|f| dir.path().join(f).is_file()),
        "no movie written"
    );
}

/// Image paths the screenshot script writes (`OUT=docs/images/NAME.png` lines).
fn scripted_images() -> Vec<String> {
    let script = std::fs::read_to_string(root().join("docs/make_screenshots.sh")).unwrap();
    script
        .lines()
        .filter_map(|l| l.split("docs/images/").nth(1))
        .map(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .next()
                .unwrap()
                .to_string()
        })
        .filter(|n| n.ends_with(".png"))
        .collect()
}

#[test]
fn the_screenshots_are_the_scripts_and_its_commands_parse() {
    let made = scripted_images();
    assert!(made.len() >= 2, "{made:?}");
    // every picture the docs show is one the script makes, and exists
    for md in markdown_files() {
        let text = std::fs::read_to_string(&md).unwrap();
        for t in link_targets(&text) {
            if let Some(name) = t.split("images/").nth(1)
                && (t.contains("docs/images/") || md.starts_with(root().join("docs")))
            {
                assert!(
                    made.iter().any(|m| m == name),
                    "{}: {t} is not made by docs/make_screenshots.sh",
                    md.display()
                );
            }
        }
    }
    for name in &made {
        let p = root().join("docs/images").join(name);
        let bytes = std::fs::read(&p).unwrap_or_else(|_| panic!("{} missing", p.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is not a PNG");
        assert!(
            bytes.len() < 600_000,
            "{name}: {} bytes (keep them small)",
            bytes.len()
        );
    }
    // the script's commands are valid for the current command line
    let script = std::fs::read_to_string(root().join("docs/make_screenshots.sh")).unwrap();
    let mut n = 0;
    for line in script.lines() {
        let Some(rest) = line.trim().strip_prefix("\"$BIN\" ") else {
            continue;
        };
        let mut words = vec!["cortexplorer".to_string()];
        words.extend(rest.split_whitespace().map(|w| {
            w.trim_matches('"')
                .replace("$OUT", "x.png")
                .replace("$TMP", "/tmp")
        }));
        cortexplorer::cli::command()
            .try_get_matches_from(&words)
            .unwrap_or_else(|e| panic!("docs/make_screenshots.sh: `{line}`: {e}"));
        n += 1;
    }
    assert!(n >= made.len(), "{n} commands for {} pictures", made.len());
}

#[test]
fn no_package_host_is_named_in_the_repository() {
    // the names, in pieces so that this file does not name them either
    let hosts: Vec<String> = [
        ["py", "pi", ".org"],
        ["python", "hosted", ".org"],
        ["cra", "tes", ".io"],
        ["deb.deb", "ian", ".org"],
        ["security.deb", "ian", ".org"],
        ["ftp.deb", "ian", ".org"],
        ["registry.npm", "js", ".org"],
        ["npm", "js", ".com"],
        ["ana", "conda", ".org"],
        ["static.rust", "-lang", ".org"],
    ]
    .iter()
    .map(|p| p.concat())
    .collect();
    let files = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&files.stdout).to_string();
    let mut seen = 0;
    for f in list.split('\0').filter(|f| !f.is_empty()) {
        // Cargo writes the registry's name into its lock files; they are not ours to word
        if f.ends_with("Cargo.lock") {
            continue;
        }
        let Ok(text) = std::fs::read(root().join(f)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text).to_lowercase();
        for h in &hosts {
            assert!(!text.contains(h.as_str()), "{f} names {h}");
        }
        seen += 1;
    }
    assert!(seen > 100, "{seen} files");
}

#[test]
fn installs_like_a_desktop_app() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("share");
    let o = std::process::Command::new(root().join("packaging/install.sh"))
        .env("HOME", home.path())
        .env("PREFIX", home.path())
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("CORTEXPLORER_BIN", env!("CARGO_BIN_EXE_cortexplorer"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let bin = home.path().join("bin/cortexplorer");
    let desktop = data.join("applications/cortexplorer.desktop");
    let entry = std::fs::read_to_string(&desktop).unwrap();
    // the menu entry runs the installed binary with the files it is given
    assert!(
        entry.contains(&format!("Exec={} view %F", bin.display())),
        "{entry}"
    );
    for mime in [
        "application/x-gifti",
        "application/x-nifti",
        "application/x-mgh",
    ] {
        assert!(entry.contains(mime), "{mime}");
    }
    assert!(
        data.join("icons/hicolor/scalable/apps/cortexplorer.svg")
            .is_file()
    );
    assert!(data.join("man/man1/cortexplorer.1").is_file());
    assert!(data.join("man/man1/cortexplorer-plan.1").is_file());
    let bash =
        std::fs::read_to_string(data.join("bash-completion/completions/cortexplorer")).unwrap();
    assert!(bash.contains("generate-subject"), "bash completions");
    // with the desktop tools present (CI installs them): the entry validates and the file
    // types are registered with the glob that beats plain .gz
    if std::process::Command::new("desktop-file-validate")
        .arg("--help")
        .output()
        .is_ok()
    {
        let v = std::process::Command::new("desktop-file-validate")
            .arg(&desktop)
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    }
    if let Ok(globs) = std::fs::read_to_string(data.join("mime/globs2")) {
        assert!(globs.contains("60:application/x-nifti:*.nii.gz"), "{globs}");
        assert!(globs.contains("60:application/x-gifti:*.gii"), "{globs}");
    }
    let v = std::process::Command::new(&bin)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("cortexplorer "));
}

/// A committed picture is still what its command draws: the vessels picture is rendered again
/// with the script's command and compared (the script shrinks to a 256-colour palette, so the
/// comparison allows that much).
#[test]
fn a_screenshot_is_what_its_command_draws_now() {
    let script = std::fs::read_to_string(root().join("docs/make_screenshots.sh")).unwrap();
    let line = script
        .lines()
        .skip_while(|l| !l.starts_with("OUT=docs/images/vessels.png"))
        .nth(1)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vessels.png");
    let args: Vec<String> = line
        .trim()
        .strip_prefix("\"$BIN\" ")
        .unwrap()
        .split_whitespace()
        .map(|w| {
            w.trim_matches('"')
                .replace("$OUT", &out.display().to_string())
        })
        .collect();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cortexplorer"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let now = image::open(&out).unwrap().to_rgb8();
    let committed = image::open(root().join("docs/images/vessels.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(now.dimensions(), committed.dimensions());
    let diff: f64 = now
        .pixels()
        .zip(committed.pixels())
        .map(|(a, b)| {
            (0..3)
                .map(|c| (a[c] as f64 - b[c] as f64).abs())
                .sum::<f64>()
                / 3.0
        })
        .sum::<f64>()
        / (now.width() * now.height()) as f64;
    assert!(
        diff < 4.0,
        "docs/images/vessels.png differs from what its command draws now (mean |Δ| {diff:.2} of 255): run docs/make_screenshots.sh"
    );
}
