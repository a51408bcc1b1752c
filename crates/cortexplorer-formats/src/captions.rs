//! Caption tables (BrainSCUBA / LaVCa style): what each vertex or voxel "likes", in words.
//!
//! A tab-separated (`.tsv`) or comma-separated (`.csv`) text table with a header row naming
//! its columns (any order, case-insensitive):
//! * `vertex` — a vertex index, **or** `i`, `j`, `k` — a voxel of the selectivity volume;
//! * `caption` (or `text`) — the caption;
//! * `score` — optional, a number (e.g. the caption's CLIP similarity or the voxel's response);
//! * `hemi` (or `hemisphere`) — optional, `lh`/`rh`/`left`/`right`/`L`/`R`.
//!
//! Without a `hemi` column the hemisphere comes from the file name (`lh.captions.tsv`); when
//! the name says neither, vertex indices count the left hemisphere's vertices first and then
//! the right's (the order of nilearn's and pycortex's two-hemisphere arrays) — the scene
//! checks every index against the surfaces and refuses the table, naming the row, when one does
//! not exist. Parsed by the `csv` crate; empty captions and bad numbers are reported by row.

use super::source::{Limits, Source, read_all};
use super::{Content, FormatError};
use crate::surface::Hemisphere;

/// Where a caption belongs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CaptionKey {
    /// A vertex; `hemi` None: an index over left-then-right (or the file name's hemisphere).
    Vertex {
        hemi: Option<Hemisphere>,
        vertex: usize,
    },
    /// A voxel of the volume the selectivity maps were sampled from.
    Voxel([usize; 3]),
}

/// One row.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptionRow {
    pub key: CaptionKey,
    pub text: String,
    pub score: Option<f32>,
    /// 1-based row in the file (header = 1), for messages
    pub row: usize,
}

/// A caption table as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaptionTable {
    pub rows: Vec<CaptionRow>,
}

/// Does this header row (lower-cased cells) look like a caption table?
pub fn is_caption_header(cells: &[String]) -> bool {
    cells.iter().any(|c| c == "caption" || c == "text")
        && (cells.iter().any(|c| c == "vertex")
            || ["i", "j", "k"]
                .iter()
                .all(|k| cells.contains(&k.to_string())))
}

pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let bytes = read_all(src, limits)?;
    let tab = !src.file_name().to_ascii_lowercase().contains(".csv");
    let hemi = Hemisphere::guess(&src.file_name());
    parse(&bytes, if tab { b'\t' } else { b',' }, hemi).map(Content::Captions)
}

fn parse_hemi(s: &str) -> Option<Hemisphere> {
    match s.trim().to_ascii_lowercase().as_str() {
        "lh" | "l" | "left" => Some(Hemisphere::Left),
        "rh" | "r" | "right" => Some(Hemisphere::Right),
        _ => None,
    }
}

pub fn parse(
    bytes: &[u8],
    delimiter: u8,
    file_hemi: Option<Hemisphere>,
) -> Result<CaptionTable, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(delimiter)
        .flexible(true)
        // tab-separated files have no quoting (a caption may hold a `"`)
        .quoting(delimiter != b'\t')
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| FormatError::Invalid(format!("header row: {e}")))?
        .iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let text_col = col(&["caption", "text"])
        .ok_or_else(|| FormatError::Invalid("no `caption` column in the header row".into()))?;
    let vertex_col = col(&["vertex"]);
    let ijk = [col(&["i"]), col(&["j"]), col(&["k"])];
    let voxel = ijk.iter().all(Option::is_some);
    if vertex_col.is_none() && !voxel {
        return Err(FormatError::Invalid(
            "no `vertex` column (nor `i`, `j`, `k` voxel columns) in the header row".into(),
        ));
    }
    let score_col = col(&["score"]);
    let hemi_col = col(&["hemi", "hemisphere"]);
    let mut rows = Vec::new();
    for (n, rec) in reader.records().enumerate() {
        let row = n + 2;
        let rec = rec.map_err(|e| FormatError::Invalid(format!("row {row}: {e}")))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let index = |c: usize, what: &str| -> Result<usize, FormatError> {
            cell(c).parse::<usize>().map_err(|_| {
                FormatError::Invalid(format!(
                    "row {row}: {what} {:?} is not a non-negative integer",
                    cell(c)
                ))
            })
        };
        let key = match vertex_col {
            Some(vc) => {
                let hemi = match hemi_col {
                    Some(hc) if !cell(hc).is_empty() => {
                        Some(parse_hemi(cell(hc)).ok_or_else(|| {
                            FormatError::Invalid(format!(
                                "row {row}: hemisphere {:?} is not lh or rh",
                                cell(hc)
                            ))
                        })?)
                    }
                    _ => file_hemi,
                };
                CaptionKey::Vertex {
                    hemi,
                    vertex: index(vc, "vertex")?,
                }
            }
            None => {
                let [i, j, k] = ijk.map(|c| c.unwrap_or(0));
                CaptionKey::Voxel([index(i, "i")?, index(j, "j")?, index(k, "k")?])
            }
        };
        let text = cell(text_col).to_string();
        if text.is_empty() {
            return Err(FormatError::Invalid(format!("row {row}: empty caption")));
        }
        let score =
            match score_col.map(cell) {
                None | Some("") => None,
                Some(s) => Some(s.parse::<f32>().ok().filter(|x| x.is_finite()).ok_or_else(
                    || {
                        FormatError::Invalid(format!(
                            "row {row}: score {s:?} is not a finite number"
                        ))
                    },
                )?),
            };
        rows.push(CaptionRow {
            key,
            text,
            score,
            row,
        });
    }
    if rows.is_empty() {
        return Err(FormatError::Invalid(
            "no captions (only a header row)".into(),
        ));
    }
    Ok(CaptionTable { rows })
}

/// Category names (one per volume or frame of a selectivity input), from a sidecar:
/// * `.json`: an array of strings, or an object with a `categories` (or `names`) array;
/// * `.tsv`/`.csv`/`.txt`: one name per line, or a table whose header has a `name`,
///   `category` or `label` column (other columns are ignored).
///
/// Names must be unique and non-empty; an empty list is an error.
pub fn read_names(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let bytes = read_all(src, limits)?;
    let lower = src.file_name().to_ascii_lowercase();
    let names = if lower.ends_with(".json") {
        parse_names_json(&bytes)?
    } else {
        parse_names_table(&bytes, if lower.contains(".csv") { b',' } else { b'\t' })?
    };
    Ok(Content::Categories(names))
}

fn check_names(names: Vec<String>) -> Result<Vec<String>, FormatError> {
    if names.is_empty() {
        return Err(FormatError::Invalid("the category list is empty".into()));
    }
    for (i, n) in names.iter().enumerate() {
        if n.trim().is_empty() {
            return Err(FormatError::Invalid(format!(
                "category {} has an empty name",
                i + 1
            )));
        }
        if names[..i].contains(n) {
            return Err(FormatError::Invalid(format!(
                "category {n:?} is named twice"
            )));
        }
    }
    Ok(names)
}

pub fn parse_names_json(bytes: &[u8]) -> Result<Vec<String>, FormatError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| FormatError::Invalid(format!("not JSON: {e}")))?;
    let list = match &v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("categories").or_else(|| o.get("names")) {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(FormatError::Invalid(
                    "expected an array of names or an object with a `categories` array".into(),
                ));
            }
        },
        _ => {
            return Err(FormatError::Invalid(
                "expected an array of names or an object with a `categories` array".into(),
            ));
        }
    };
    let names = list
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_str().map(str::to_string).ok_or_else(|| {
                FormatError::Invalid(format!("category {} is not a string: {x}", i + 1))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_names(names)
}

pub fn parse_names_table(bytes: &[u8], delimiter: u8) -> Result<Vec<String>, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut names = Vec::new();
    let mut col = None;
    for (n, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| FormatError::Invalid(format!("row {}: {e}", n + 1)))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if names.is_empty() && col.is_none() {
            let lower: Vec<String> = rec.iter().map(|c| c.to_ascii_lowercase()).collect();
            if let Some(c) = lower
                .iter()
                .position(|h| h == "name" || h == "category" || h == "label")
            {
                col = Some(c);
                continue;
            }
            col = Some(0);
        }
        names.push(rec.get(col.unwrap_or(0)).unwrap_or("").to_string());
    }
    check_names(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertex_and_voxel_tables_read_with_their_rows() {
        let t = parse(
            b"vertex\tcaption\tscore\themi\n3\ta smiling face\t0.8\tlh\n7\ta kitchen\t\trh\n",
            b'\t',
            None,
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(
            t.rows[0].key,
            CaptionKey::Vertex {
                hemi: Some(Hemisphere::Left),
                vertex: 3
            }
        );
        assert_eq!(t.rows[0].score, Some(0.8));
        assert_eq!(t.rows[1].score, None);
        assert_eq!(t.rows[1].row, 3);
        let v = parse(b"i,j,k,caption\n1,2,3,a bowl of noodles\n", b',', None).unwrap();
        assert_eq!(v.rows[0].key, CaptionKey::Voxel([1, 2, 3]));
    }

    #[test]
    fn bad_tables_name_the_row() {
        let e = |b: &[u8]| parse(b, b'\t', None).unwrap_err().to_string();
        assert!(e(b"vertex\tcaption\n-1\tx\n").contains("row 2: vertex \"-1\""));
        assert!(e(b"vertex\tcaption\n1\t\n").contains("row 2: empty caption"));
        assert!(e(b"vertex\tcaption\tscore\n1\tx\thigh\n").contains("score \"high\""));
        assert!(e(b"vertex\tcaption\themi\n1\tx\tmiddle\n").contains("not lh or rh"));
        assert!(e(b"vertex\tscore\n1\t2\n").contains("no `caption` column"));
        assert!(e(b"caption\nx\n").contains("no `vertex` column"));
        assert!(e(b"vertex\tcaption\n").contains("no captions"));
    }

    #[test]
    fn category_names_from_json_and_tables() {
        assert_eq!(
            parse_names_json(br#"{"categories": ["faces", "places"]}"#).unwrap(),
            ["faces", "places"]
        );
        assert_eq!(parse_names_json(br#"["a","b"]"#).unwrap(), ["a", "b"]);
        assert_eq!(
            parse_names_table(b"index\tname\n0\tfaces\n1\tbodies\n", b'\t').unwrap(),
            ["faces", "bodies"]
        );
        assert_eq!(
            parse_names_table(b"faces\nwords\n", b'\t').unwrap(),
            ["faces", "words"]
        );
        assert!(
            parse_names_json(b"[]")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(
            parse_names_table(b"name\n", b'\t')
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(
            parse_names_json(br#"["a","a"]"#)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        assert!(
            parse_names_json(br#"[1]"#)
                .unwrap_err()
                .to_string()
                .contains("not a string")
        );
    }
}
