//! The setup's apt logic (`.ci/apt.sh`) against fixture apt directories: the developers'
//! machines never reach the backports branch, so only these tests see it. Each case writes an
//! apt configuration the way a real machine has it (fake host names) and runs the shell
//! functions the bootstrap runs, with `APT_ETC` pointing at it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An apt directory with the given files (path relative to it → text).
fn apt_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = crate::scratch(&format!("apt-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sources.list.d")).unwrap();
    for (rel, text) in files {
        std::fs::write(dir.join(rel), text).unwrap();
    }
    dir
}

/// Run `script` in bash after sourcing `.ci/apt.sh`, with `set -euo pipefail` as the bootstrap
/// has it. Returns (success, stdout + stderr).
fn run(etc: &Path, script: &str, path_prefix: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new("bash");
    cmd.current_dir(root())
        .arg("-c")
        .arg(format!("set -euo pipefail; . .ci/apt.sh; {script}"))
        .env("APT_ETC", etc)
        .env("DEBIAN_CODENAME", "bookworm");
    if let Some(p) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", p.display()));
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn chosen(etc: &Path) -> String {
    let (ok, out) = run(etc, "backports_sources \"$APT_ETC\" bookworm", None);
    assert!(ok, "backports_sources failed: {out}");
    out
}

const DEBIAN_822: &str = "Types: deb
# a snapshot comment
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

#[test]
fn the_debian_archive_is_found_past_third_party_and_disabled_sources() {
    // what the failing machine had: third-party sources sorting before debian.sources, one of
    // them a disabled deb822 file, one a disabled one-line file, one enabled
    let etc = apt_dir(
        "third-party",
        &[
            (
                "sources.list.d/aaa-cloud.list",
                "deb https://cloud.example.com/apt cloud-sdk-bookworm main\n",
            ),
            (
                "sources.list.d/0-nodesource.sources.disabled-by-farm",
                "Types: deb\nURIs: https://node.example.com/node_20.x\nSuites: bookworm\nComponents: main\n",
            ),
            (
                "sources.list.d/00-old.list.disabled",
                "deb http://wrong.example.org/debian bookworm main\n",
            ),
            (
                "sources.list.d/0-node.sources",
                "Types: deb\nURIs: https://node.example.com/node_20.x\nSuites: nodistro\nComponents: main\n",
            ),
            ("sources.list.d/debian.sources", DEBIAN_822),
        ],
    );
    let out = chosen(&etc);
    assert!(
        out.contains("URIs: http://mirror.example.org/debian\n"),
        "{out}"
    );
    assert!(out.contains("Suites: bookworm-backports\n"), "{out}");
    assert!(out.contains("Components: main\n"), "{out}");
    assert!(
        out.contains("Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"),
        "{out}"
    );
    assert!(
        !out.contains("example.com") && !out.contains("wrong"),
        "{out}"
    );
}

#[test]
fn a_one_line_sources_list_alone_is_read_with_its_options() {
    let etc = apt_dir(
        "one-line",
        &[(
            "sources.list",
            "# deb http://commented.example.org/debian bookworm main\n\
             deb-src http://src.example.org/debian bookworm main\n\
             deb http://mirror.example.org/debian-security bookworm-security main\n\
             deb [ arch=amd64 signed-by=/etc/apt/keyrings/debian.gpg ] http://mirror.example.org/debian bookworm main contrib # trailing\n",
        )],
    );
    let out = chosen(&etc);
    assert!(
        out.contains("URIs: http://mirror.example.org/debian\n"),
        "{out}"
    );
    assert!(
        out.contains("Signed-By: /etc/apt/keyrings/debian.gpg\n"),
        "{out}"
    );
    // without options, no Signed-By line is invented
    let etc = apt_dir(
        "one-line-plain",
        &[(
            "sources.list",
            "deb https://mirror.example.org/debian/ bookworm non-free main\n",
        )],
    );
    let out = chosen(&etc);
    assert!(
        out.contains("URIs: https://mirror.example.org/debian/\n"),
        "{out}"
    );
    assert!(!out.contains("Signed-By"), "{out}");
}

#[test]
fn disabled_stanzas_other_releases_and_missing_main_are_skipped() {
    let key = "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL0BUBEADmW5NdOOHwPIJlgPu6JDcKw\n -----END PGP PUBLIC KEY BLOCK-----\n";
    let etc = apt_dir(
        "stanzas",
        &[(
            "sources.list.d/debian.sources",
            &format!(
                "Types: deb\nURIs: http://off.example.org/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n\
                 Types: deb\nURIs: http://old.example.org/debian\nSuites: bullseye\nComponents: main\n\n\
                 Types: deb\nURIs: http://contrib.example.org/debian\nSuites: bookworm\nComponents: contrib non-free\n\n\
                 Types: deb-src deb\nURIs: cdrom:/media/ http://mirror.example.org/debian\n\
                 Suites: bookworm\nComponents:\n main\n{key}"
            ),
        )],
    );
    let out = chosen(&etc);
    assert!(
        out.contains("URIs: http://mirror.example.org/debian\n"),
        "{out}"
    );
    // an embedded key keeps its lines
    assert!(
        out.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n"),
        "{out}"
    );
    assert!(out.contains(" -----END PGP PUBLIC KEY BLOCK-----"), "{out}");
}

/// Stub `apt-get`, `apt-cache` and `tee`-free commands in a directory put first on PATH: each
/// call is logged; `update` fails when told to; the policy lists backports when told to.
fn stub_apt(name: &str, update_ok: bool, backports_known: bool) -> PathBuf {
    let dir = crate::scratch(&format!("apt-stubs-{name}"));
    let log = dir.join("calls.log");
    let _ = std::fs::remove_file(&log);
    let write = |file: &str, body: String| {
        let p = dir.join(file);
        std::fs::write(&p, body).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    };
    write(
        "apt-get",
        format!(
            "#!/bin/sh\necho \"apt-get $*\" >> '{}'\ncase \"$*\" in *update*) exit {};; esac\nexit 0\n",
            log.display(),
            if update_ok { 0 } else { 100 }
        ),
    );
    let policy = if backports_known {
        " 100 http://mirror.example.org/debian bookworm-backports/main amd64 Packages\n     release o=Debian Backports,a=stable-backports,n=bookworm-backports,l=Debian Backports,c=main,b=amd64\n"
    } else {
        ""
    };
    write(
        "apt-cache",
        format!(
            "#!/bin/sh\necho \"apt-cache $*\" >> '{}'\nprintf '%s' '{policy} 500 http://mirror.example.org/debian bookworm/main amd64 Packages\n     release v=12.11,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64\n'\n",
            log.display()
        ),
    );
    dir
}

fn calls(stubs: &Path) -> String {
    std::fs::read_to_string(stubs.join("calls.log")).unwrap_or_default()
}

#[test]
fn a_stale_backports_list_is_rewritten_and_backports_installed() {
    let etc = apt_dir(
        "stale",
        &[
            // what the old setup wrote from a third-party URL
            (
                "sources.list.d/cortexplorer-backports.list",
                "deb https://node.example.com/node_20.x bookworm-backports main\n",
            ),
            ("sources.list.d/debian.sources", DEBIAN_822),
        ],
    );
    let stubs = stub_apt("stale", true, true);
    let (ok, out) = run(&etc, "mesa_from_backports '' 22.3.6", Some(&stubs));
    assert!(ok, "{out}");
    assert!(
        !etc.join("sources.list.d/cortexplorer-backports.list")
            .exists()
    );
    let written =
        std::fs::read_to_string(etc.join("sources.list.d/cortexplorer-backports.sources")).unwrap();
    assert!(
        written.contains("URIs: http://mirror.example.org/debian\n"),
        "{written}"
    );
    assert!(!written.contains("node"), "{written}");
    let log = calls(&stubs);
    assert!(log.contains("apt-get update"), "{log}");
    assert!(
        log.contains("-t bookworm-backports mesa-vulkan-drivers"),
        "{log}"
    );
    assert!(!out.contains("keeping Mesa"), "{out}");
}

#[test]
fn without_backports_the_setup_keeps_mesa_and_goes_on() {
    // no Debian source at all: nothing is written, apt is not called, one line is printed
    let etc = apt_dir(
        "no-debian",
        &[(
            "sources.list.d/node.list",
            "deb https://node.example.com/node_20.x nodistro main\n",
        )],
    );
    let stubs = stub_apt("no-debian", true, true);
    let (ok, out) = run(
        &etc,
        "mesa_from_backports '' 22.3.6; echo after",
        Some(&stubs),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("keeping Mesa 22.3.6: long sessions without a GPU will grow in memory; see"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("after"), "{out}");
    assert_eq!(calls(&stubs), "");
    assert!(
        !etc.join("sources.list.d/cortexplorer-backports.sources")
            .exists()
    );

    // a Debian source, but backports cannot be fetched (update fails, apt does not know it):
    // the written source is taken back, the install is not attempted, the script goes on
    let etc = apt_dir(
        "unreachable",
        &[("sources.list.d/debian.sources", DEBIAN_822)],
    );
    let stubs = stub_apt("unreachable", false, false);
    let (ok, out) = run(
        &etc,
        "mesa_from_backports '' 22.3.6; echo after",
        Some(&stubs),
    );
    assert!(ok, "{out}");
    assert!(out.contains("keeping Mesa 22.3.6"), "{out}");
    assert!(
        out.contains("bookworm-backports could not be fetched"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("after"), "{out}");
    assert!(!calls(&stubs).contains("install"), "{}", calls(&stubs));
    assert!(
        !etc.join("sources.list.d/cortexplorer-backports.sources")
            .exists()
    );
}

#[test]
fn the_bootstrap_calls_the_tested_functions() {
    // the functions above are what the bootstrap runs, in a condition (set -e cannot end it)
    let text = std::fs::read_to_string(root().join(".ci/bootstrap")).unwrap();
    assert!(text.contains(". .ci/apt.sh"));
    assert!(text.contains("mesa_from_backports \"$sudo\" \"${mesa%%-*}\" || keep_mesa"));
    assert!(!text.contains("grep -rhE"), "the old mirror guess is back");
    assert!(text.contains(". .ci/python.sh"));
    assert!(text.contains("\n    python_tests\n"));
    assert!(text.contains("python3-venv"));
    let run_text = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(run_text.contains("bootstrap\" test"));
}

/// Run `.ci/python.sh`'s `python_tests` with stub commands first on PATH.
fn run_python_tests(stubs: &Path, venv: &Path) -> (bool, String) {
    let path = std::env::var("PATH").unwrap_or_default();
    let out = Command::new("bash")
        .current_dir(root())
        .arg("-c")
        .arg("set -euo pipefail; . .ci/python.sh; python_tests")
        .env("PATH", format!("{}:{path}", stubs.display()))
        .env("PY_VENV", venv)
        .env_remove("CORTEXPLORER_BIN")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/usr/bin/env bash\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn python_tests_name_the_missing_venv_module() {
    // a fresh machine without python3-venv: `python3 -m venv` fails
    let dir = crate::scratch("py-novenv");
    let _ = std::fs::remove_dir_all(&dir);
    script(
        &dir.join("stubs/python3"),
        "echo 'The virtual environment was not created successfully because ensurepip is not available.' >&2; exit 1",
    );
    let (ok, out) = run_python_tests(&dir.join("stubs"), &dir.join("venv"));
    assert!(!ok, "{out}");
    assert!(out.contains("install python3-venv"), "{out}");
}

#[test]
fn python_tests_build_install_and_run_pytest_in_order() {
    let dir = crate::scratch("py-flow");
    let _ = std::fs::remove_dir_all(&dir);
    let calls = dir.join("calls.txt");
    let log = format!("echo \"$(basename \"$0\") $*\" >> '{}'", calls.display());
    // the venv exists already: its python and maturin are stubs that record their calls
    script(&dir.join("venv/bin/python"), &log);
    script(
        &dir.join("venv/bin/maturin"),
        &format!(
            "{log}\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && {{ mkdir -p \"$2\"; touch \"$2/cortexplorer-0.1.0-cp311-abi3-linux_x86_64.whl\"; }}; shift; done"
        ),
    );
    let (ok, out) = run_python_tests(&dir.join("stubs"), &dir.join("venv"));
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&calls).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("python -m pip install --quiet maturin>=1.16,<2 pytest"),
        "{text}"
    );
    assert_eq!(
        lines[1], "python -m pip install --quiet pulse2percept==0.11.0",
        "{text}"
    );
    assert!(
        lines[2].starts_with(
            "maturin build --profile dev --quiet -m crates/cortexplorer-py/Cargo.toml"
        ),
        "{text}"
    );
    assert!(
        lines[3].contains("pip install --quiet --force-reinstall --no-deps target/py-wheels/cortexplorer-0.1.0-cp311-abi3-linux_x86_64.whl"),
        "{text}"
    );
    assert_eq!(
        lines[4], "python -m pytest -q -rs crates/cortexplorer-py/tests",
        "{text}"
    );
    let _ = std::fs::remove_dir_all(root().join("target/py-wheels"));
}
