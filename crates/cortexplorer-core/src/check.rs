//! `cortexplorer check`: read files with the reader the app would use, report what each holds
//! or why it was refused, how long it took, and the process's peak memory. No Bevy.
//!
//! Every reader of the product is reachable here, so the malformed-input corpus
//! (`tests/corpus/`), the fuzz targets (`fuzz/`) and users checking a file before a talk all
//! exercise the same code as the GUI's File ▸ Open:
//!
//! | reader | chosen when | function |
//! |---|---|---|
//! | `data` | any other name | [`crate::io::load`] (surfaces, overlays, labels, volumes, vessels, NPY, tables, nodes, matrices, pictures) |
//! | `session` | `.json` whose first 4 KiB name `cortexplorer-session` | [`crate::session::read`] |
//! | `plan` | `.json` whose first 4 KiB name `cortexplorer-plan` | [`crate::planning::export::read_plan_json`] |
//! | `plan-config` | `.toml` | [`crate::planning::plan::PlanConfig::load`] |
//! | `markups` | `.mrk.json` | [`crate::planning::export::read_slicer_markups`] |
//! | `electrodes` | only with `--as electrodes` (a CSV looks like any table) | [`crate::io::electrodes::read`] (RAS) |
//! | `electrodes-flat` | only with `--as` | [`crate::io::electrodes::read`] (flat map) |
//! | `bids` | only with `--as bids` | [`crate::planning::export::read_bids_tsv`] |

#![forbid(unsafe_code)]

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

/// Which reader a file goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reader {
    Data,
    Session,
    Plan,
    PlanConfig,
    Markups,
    Electrodes,
    ElectrodesFlat,
    Bids,
}

impl Reader {
    pub const ALL: [Reader; 8] = [
        Reader::Data,
        Reader::Session,
        Reader::Plan,
        Reader::PlanConfig,
        Reader::Markups,
        Reader::Electrodes,
        Reader::ElectrodesFlat,
        Reader::Bids,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reader::Data => "data",
            Reader::Session => "session",
            Reader::Plan => "plan",
            Reader::PlanConfig => "plan-config",
            Reader::Markups => "markups",
            Reader::Electrodes => "electrodes",
            Reader::ElectrodesFlat => "electrodes-flat",
            Reader::Bids => "bids",
        }
    }

    pub fn parse(s: &str) -> Result<Reader, String> {
        Reader::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Reader::ALL.iter().map(|r| r.name()).collect();
                format!("unknown reader {s:?}; one of {}", names.join(", "))
            })
    }

    /// The reader the app picks for this file name (and, for `.json`, its first bytes).
    pub fn for_path(path: &Path) -> Reader {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".mrk.json") {
            return Reader::Markups;
        }
        if name.ends_with(".toml") {
            return Reader::PlanConfig;
        }
        if name.ends_with(".json") {
            let head = head(path);
            if head.contains(crate::session::FORMAT) {
                return Reader::Session;
            }
            if head.contains("cortexplorer-plan") {
                return Reader::Plan;
            }
        }
        Reader::Data
    }
}

fn head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// What one file gave.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub file: String,
    pub reader: Reader,
    pub ok: bool,
    /// what the file holds (`surface`, `volume`, `session`, …) when it was read
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// the one-line error when it was refused
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
}

/// Read one file with `reader` (or the one its name picks).
pub fn check(path: &Path, reader: Option<Reader>) -> Outcome {
    let reader = reader.unwrap_or_else(|| Reader::for_path(path));
    let t = Instant::now();
    let result: Result<String, String> = match reader {
        Reader::Data => crate::io::load(path)
            .map_err(|e| e.to_string())
            .and_then(|l| {
                // a recording's samples stay on disk when opened: read them too, as the
                // viewer's streaming pass does
                if let crate::io::Content::Recording(r) = &l.content {
                    r.load(&crate::io::Limits::default())
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
                Ok(l.content.kind().to_string())
            }),
        Reader::Session => crate::session::read(path).map(|_| "session".into()),
        Reader::Plan => crate::planning::export::read_plan_json(path).map(|_| "plan".into()),
        Reader::PlanConfig => {
            crate::planning::plan::PlanConfig::load(path).map(|_| "plan-config".into())
        }
        Reader::Markups => {
            crate::planning::export::read_slicer_markups(path).map(|_| "markups".into())
        }
        Reader::Electrodes | Reader::ElectrodesFlat => {
            let coords = if reader == Reader::Electrodes {
                crate::io::electrodes::Coords::Ras
            } else {
                crate::io::electrodes::Coords::Flat
            };
            crate::io::electrodes::read(path, coords)
                .map(|_| "electrodes".into())
                .map_err(|e| e.to_string())
        }
        Reader::Bids => crate::planning::export::read_bids_tsv(path).map(|_| "bids".into()),
    };
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let file = path.display().to_string();
    match result {
        Ok(kind) => Outcome {
            file,
            reader,
            ok: true,
            kind: Some(kind),
            error: None,
            ms,
        },
        Err(e) => Outcome {
            file,
            reader,
            ok: false,
            kind: None,
            // one line, always naming the file
            error: Some(one_line(&e, path)),
            ms,
        },
    }
}

fn one_line(e: &str, path: &Path) -> String {
    let line = crate::io::one_line_message(e, 400);
    let shown = path.display().to_string();
    if line.contains(&shown) {
        line
    } else {
        format!("{shown}: {line}")
    }
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_by_name_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "[field\n").unwrap();
        assert_eq!(Reader::for_path(&p), Reader::PlanConfig);
        let o = check(&p, None);
        assert!(!o.ok);
        let e = o.error.unwrap();
        assert!(
            e.contains(&p.display().to_string()) && !e.contains('\n'),
            "{e}"
        );
        let s = dir.path().join("s.json");
        std::fs::write(
            &s,
            r#"{"format":"cortexplorer-session","version":99,"inputs":[],"view":{"surface":"pial","inflate":0.0,"underlay":null,"curvature_contrast":1.0,"show":{}},"layers":[]}"#,
        )
        .unwrap();
        assert_eq!(Reader::for_path(&s), Reader::Session);
        assert!(check(&s, None).error.unwrap().contains("version"));
        assert_eq!(Reader::parse("bids").unwrap(), Reader::Bids);
        assert!(Reader::parse("nope").is_err());
    }
}
