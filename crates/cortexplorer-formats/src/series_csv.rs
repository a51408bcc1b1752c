//! Per-vertex values in a text table (`.csv` comma-separated, `.tsv` tab-separated): one row
//! per vertex, one column per time point (a single column is a plain overlay). A first row
//! that is not all numbers is a header and is skipped; `nan`/`NaN` are accepted (no data).
//! Every row must have the same number of columns; a bad cell is reported by row and column
//! (1-based, as a spreadsheet shows them). Parsed by the `csv` crate.

use super::source::{Limits, Source, read_all};
use super::{Content, FormatError};
use crate::data::Overlay;

pub fn read(src: &Source, limits: &Limits) -> Result<Content, FormatError> {
    let bytes = read_all(src, limits)?;
    let tab = src.file_name().to_ascii_lowercase().ends_with(".tsv");
    parse(&bytes, if tab { b'\t' } else { b',' }).map(Content::Overlay)
}

pub fn parse(bytes: &[u8], delimiter: u8) -> Result<Overlay, FormatError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    // rows of values, vertex-major; transposed into frames at the end
    let mut values: Vec<f32> = Vec::new();
    let mut cols = 0usize;
    let mut rows = 0usize;
    let mut header_cells = None;
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| FormatError::Invalid(format!("row {}: {e}", i + 1)))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let parsed: Result<Vec<f32>, usize> = rec
            .iter()
            .enumerate()
            .map(|(j, c)| c.parse::<f32>().map_err(|_| j))
            .collect();
        let row = match parsed {
            Ok(r) => r,
            Err(_) if rows == 0 && i == 0 => {
                header_cells = Some(rec.len()); // header
                continue;
            }
            Err(j) => {
                return Err(FormatError::Invalid(format!(
                    "row {}, column {}: {:?} is not a number",
                    i + 1,
                    j + 1,
                    &rec[j]
                )));
            }
        };
        if rows == 0 {
            cols = row.len();
            if let Some(h) = header_cells.filter(|&h| h != cols) {
                return Err(FormatError::Invalid(format!(
                    "row {} has {cols} columns, the header row {h}",
                    i + 1
                )));
            }
        } else if row.len() != cols {
            return Err(FormatError::Invalid(format!(
                "row {} has {} columns, the first data row has {cols}",
                i + 1,
                row.len()
            )));
        }
        values.extend(row);
        rows += 1;
    }
    if rows == 0 {
        return Err(FormatError::Invalid("no rows of numbers".into()));
    }
    let mut frames = vec![0.0f32; values.len()];
    for (v, row) in values.chunks_exact(cols).enumerate() {
        for (t, x) in row.iter().enumerate() {
            frames[t * rows + v] = *x;
        }
    }
    Ok(Overlay::new(rows, cols, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_frames_and_errors() {
        let o = parse(b"t0,t1,t2\n1,2,3\n4,5,6\n", b',').unwrap();
        assert_eq!((o.n_vertices, o.n_frames), (2, 3));
        assert_eq!(o.frame(1), &[2.0, 5.0]);
        let o = parse(b"1\tnan\n2\t3\n", b'\t').unwrap();
        assert!(o.frame(1)[0].is_nan());
        let e = parse(b"1,2\n3,x\n", b',').unwrap_err().to_string();
        assert!(e.contains("row 2, column 2"), "{e}");
        let e = parse(b"1,2\n3\n", b',').unwrap_err().to_string();
        assert!(e.contains("row 2 has 1 columns"), "{e}");
        assert!(parse(b"a,b\n", b',').is_err());
    }
}
