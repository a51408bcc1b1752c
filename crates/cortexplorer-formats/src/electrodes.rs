//! Electrode lists for `cortexplorer percept`: CSV with a header.
//!
//! * flat cortical coordinates (analytic maps): `x_mm`, `y_mm` (the hemisphere's map
//!   coordinates, see `percept::retinotopy`) and optionally `hemisphere` (`lh`/`rh`/`left`/
//!   `right`, default `lh`);
//! * surface coordinates: `x`, `y`, `z` (or `x_ras_mm`, `y_ras_mm`, `z_ras_mm`), RAS mm;
//!
//! optional `electrode` (or `name`/`id`) and a per-electrode stimulus: `current_ua` (dynaphos)
//! or `amplitude` (scoreboard). Every value is checked: NaN, missing columns and empty files
//! are errors naming the file, line and column.

use std::path::Path;

use super::ReadError;
use crate::surface::Hemisphere;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coords {
    Flat,
    Ras,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ElectrodeSpec {
    pub name: String,
    /// (x_mm, y_mm, 0) for flat maps, RAS for surfaces
    pub pos: [f64; 3],
    pub hemisphere: Option<Hemisphere>,
    pub stimulus: Option<f64>,
}

pub fn read(path: &Path, coords: Coords) -> Result<Vec<ElectrodeSpec>, ReadError> {
    let file = path.display().to_string();
    let e = |m: String| ReadError::new(file.clone(), super::FormatError::Invalid(m));
    super::source::regular_file(path).map_err(|x| ReadError::new(file.clone(), x))?;
    let meta = std::fs::metadata(path).map_err(|x| ReadError::new(file.clone(), x))?;
    if meta.len() > 64 << 20 {
        return Err(e("electrode list larger than 64 MB".into()));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|x| e(x.to_string()))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|x| e(x.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| header.iter().position(|h| h == n))
    };
    let cols: Vec<usize> = match coords {
        Coords::Flat => vec![
            find(&["x_mm", "x"])
                .ok_or_else(|| e("missing column x_mm (flat cortical coordinates)".into()))?,
            find(&["y_mm", "y"]).ok_or_else(|| e("missing column y_mm".into()))?,
        ],
        Coords::Ras => vec![
            find(&["x", "x_ras_mm", "r"]).ok_or_else(|| e("missing column x (RAS mm)".into()))?,
            find(&["y", "y_ras_mm", "a"]).ok_or_else(|| e("missing column y (RAS mm)".into()))?,
            find(&["z", "z_ras_mm", "s"]).ok_or_else(|| e("missing column z (RAS mm)".into()))?,
        ],
    };
    let name_col = find(&["electrode", "name", "id", "label"]);
    let hemi_col = find(&["hemisphere", "hemi"]);
    let stim_col = find(&["current_ua", "amplitude", "stimulus"]);
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let line = k + 2;
        let rec = rec.map_err(|x| e(format!("line {line}: {x}")))?;
        let num = |i: usize, what: &str| -> Result<f64, ReadError> {
            let s = rec.get(i).unwrap_or("");
            let v: f64 = s
                .parse()
                .map_err(|_| e(format!("line {line}: {what} {s:?} is not a number")))?;
            if !v.is_finite() {
                return Err(e(format!("line {line}: {what} is {s} (NaN/inf)")));
            }
            Ok(v)
        };
        let mut pos = [0.0; 3];
        for (j, &c) in cols.iter().enumerate() {
            pos[j] = num(c, &header[c])?;
        }
        let hemisphere = match hemi_col.map(|c| rec.get(c).unwrap_or("").to_ascii_lowercase()) {
            None => None,
            Some(h) if h.is_empty() => None,
            Some(h) if h == "lh" || h == "left" || h == "l" => Some(Hemisphere::Left),
            Some(h) if h == "rh" || h == "right" || h == "r" => Some(Hemisphere::Right),
            Some(h) => return Err(e(format!("line {line}: hemisphere {h:?} is not lh or rh"))),
        };
        let stimulus = match stim_col {
            Some(c) => {
                let v = num(c, &header[c])?;
                if v < 0.0 {
                    return Err(e(format!("line {line}: {} is negative", header[c])));
                }
                Some(v)
            }
            None => None,
        };
        let name = name_col
            .and_then(|c| rec.get(c))
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("E{k}"));
        out.push(ElectrodeSpec {
            name,
            pos,
            hemisphere,
            stimulus,
        });
    }
    if out.is_empty() {
        return Err(e("no electrodes".into()));
    }
    Ok(out)
}
