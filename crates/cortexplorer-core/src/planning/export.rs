//! Plan export and import: the plan JSON (everything, round-trips exactly), a CSV of contacts,
//! 3D Slicer markups (`.mrk.json`, schema v1.0.3, RAS millimetres) and BIDS iEEG
//! (`*_electrodes.tsv` + `*_coordsystem.json`, BIDS 1.9). Every importer validates what it
//! reads and names the file and the problem.

use std::path::Path;

use serde_json::{Value, json};

use super::plan::{ElectrodeOut, SavedPlan};

/// A named point in RAS mm (what the interchange formats carry).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedPoint {
    pub name: String,
    pub ras: [f64; 3],
}

fn err(path: &Path, msg: impl std::fmt::Display) -> String {
    format!("{}: {msg}", path.display())
}

/// Interchange files are small; anything beyond this is refused before it is read.
const MAX_TEXT_BYTES: u64 = 64 << 20;

pub fn read_text(path: &Path) -> Result<String, String> {
    crate::io::source::regular_file(path).map_err(|e| err(path, e))?;
    let len = std::fs::metadata(path).map_err(|e| err(path, e))?.len();
    if len > MAX_TEXT_BYTES {
        return Err(err(
            path,
            format!("{len} bytes; plans and electrode lists are limited to 64 MB"),
        ));
    }
    std::fs::read_to_string(path).map_err(|e| err(path, e))
}

pub fn write_plan_json(plan: &SavedPlan, path: &Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(plan).map_err(|e| err(path, e))?;
    crate::io::atomic_write(path, text.as_bytes()).map_err(|e| err(path, e))
}

pub fn read_plan_json(path: &Path) -> Result<SavedPlan, String> {
    let text = read_text(path)?;
    let plan: SavedPlan = serde_json::from_str(&text)
        .map_err(|e| err(path, format!("not a Cortexplorer plan ({e})")))?;
    if plan.format != "cortexplorer-plan/1" {
        return Err(err(path, format!("unknown plan format {:?}", plan.format)));
    }
    for p in &plan.layout.placements {
        if ![p.u, p.v, p.rotation, p.depth, p.tilt]
            .iter()
            .all(|x| x.is_finite())
        {
            return Err(err(path, "a placement has a NaN or infinite parameter"));
        }
    }
    plan.config.validate().map_err(|e| err(path, e))?;
    Ok(plan)
}

pub fn csv(electrodes: &[ElectrodeOut]) -> String {
    let mut s = String::from(
        "name,id,device,contact,hemisphere,x_ras_mm,y_ras_mm,z_ras_mm,u_mm,v_mm,x_deg,y_deg,depth_fraction,vessel_distance_mm,active\n",
    );
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    for e in electrodes {
        s += &format!(
            "E{},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{},{},{:.4},{},{}\n",
            e.id,
            e.id,
            e.thread,
            e.contact,
            e.hemisphere.short(),
            e.ras_mm[0],
            e.ras_mm[1],
            e.ras_mm[2],
            e.u_mm,
            e.v_mm,
            opt(e.x_deg),
            opt(e.y_deg),
            e.depth_fraction,
            opt(e.vessel_distance_mm),
            e.active
        );
    }
    s
}

/// 3D Slicer markups JSON: one `Fiducial` markup, a control point per contact.
pub fn slicer_markups(electrodes: &[ElectrodeOut], name: &str) -> Value {
    let points: Vec<Value> = electrodes
        .iter()
        .map(|e| {
            json!({
                "id": (e.id + 1).to_string(),
                "label": format!("E{}", e.id),
                "description": format!("device {} contact {}{}", e.thread, e.contact, if e.active { "" } else { " (inactive)" }),
                "associatedNodeID": "",
                "position": e.ras_mm,
                "orientation": [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0],
                "selected": true,
                "locked": false,
                "visibility": true,
                "positionStatus": "defined"
            })
        })
        .collect();
    json!({
        "@schema": "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#",
        "markups": [{
            "type": "Fiducial",
            "name": name,
            "coordinateSystem": "RAS",
            "coordinateUnits": "mm",
            "locked": false,
            "fixedNumberOfControlPoints": false,
            "labelFormat": "%N-%d",
            "lastUsedControlPointNumber": electrodes.len(),
            "controlPoints": points,
            "measurements": [],
            "display": {"visibility": true, "opacity": 1.0, "color": [1.0, 0.85, 0.1], "glyphType": "Sphere3D", "glyphSize": 1.0, "useGlyphScale": false}
        }]
    })
}

pub fn read_slicer_markups(path: &Path) -> Result<Vec<NamedPoint>, String> {
    let text = read_text(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| err(path, format!("not JSON ({e})")))?;
    let markups = v
        .get("markups")
        .and_then(Value::as_array)
        .ok_or_else(|| err(path, "no \"markups\" array"))?;
    let mut out = Vec::new();
    for m in markups {
        let cs = m
            .get("coordinateSystem")
            .and_then(Value::as_str)
            .unwrap_or("LPS");
        let flip = match cs {
            "RAS" => 1.0,
            "LPS" => -1.0,
            other => return Err(err(path, format!("unknown coordinateSystem {other:?}"))),
        };
        let scale = match m
            .get("coordinateUnits")
            .and_then(Value::as_str)
            .unwrap_or("mm")
        {
            "mm" => 1.0,
            "um" => 1e-3,
            other => return Err(err(path, format!("unknown coordinateUnits {other:?}"))),
        };
        for (i, cp) in m
            .get("controlPoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let pos = cp
                .get("position")
                .and_then(Value::as_array)
                .filter(|a| a.len() == 3)
                .and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
                .ok_or_else(|| {
                    err(
                        path,
                        format!("control point {i} has no numeric 3-element position"),
                    )
                })?;
            if pos.iter().any(|x| !x.is_finite()) {
                return Err(err(
                    path,
                    format!("control point {i} has a non-finite position"),
                ));
            }
            let name = cp
                .get("label")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("E{i}"));
            out.push(NamedPoint {
                name,
                ras: [pos[0] * flip * scale, pos[1] * flip * scale, pos[2] * scale],
            });
        }
    }
    if out.is_empty() {
        return Err(err(path, "no control points"));
    }
    Ok(out)
}

/// BIDS iEEG `electrodes.tsv` (required columns name, x, y, z, size; plus hemisphere, group,
/// type) and the matching `coordsystem.json`.
pub fn bids(
    electrodes: &[ElectrodeOut],
    contact_area_mm2: f64,
    space: &str,
    description: &str,
) -> (String, Value) {
    let mut tsv = String::from("name\tx\ty\tz\tsize\themisphere\tgroup\ttype\n");
    for e in electrodes {
        tsv += &format!(
            "E{}\t{:.4}\t{:.4}\t{:.4}\t{}\t{}\tdevice{}\t{}\n",
            e.id,
            e.ras_mm[0],
            e.ras_mm[1],
            e.ras_mm[2],
            contact_area_mm2,
            if e.hemisphere == crate::brain::Hemisphere::Left {
                "L"
            } else {
                "R"
            },
            e.thread,
            if e.depth_fraction > 0.0 {
                "depth"
            } else {
                "surface"
            }
        );
    }
    let coords = json!({
        "iEEGCoordinateSystem": space,
        "iEEGCoordinateUnits": "mm",
        "iEEGCoordinateSystemDescription": description,
        "iEEGCoordinateProcessingDescription": "Planned by Cortexplorer percept-aware placement"
    });
    (tsv, coords)
}

pub fn read_bids_tsv(path: &Path) -> Result<Vec<NamedPoint>, String> {
    let text = read_text(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| err(path, "empty file"))?
        .split('\t')
        .collect();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h.trim() == n)
            .ok_or_else(|| err(path, format!("missing column {n:?}")))
    };
    let (ni, xi, yi, zi) = (col("name")?, col("x")?, col("y")?, col("z")?);
    let mut out = Vec::new();
    for (k, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != header.len() {
            return Err(err(
                path,
                format!(
                    "row {} has {} columns, the header {}",
                    k + 2,
                    f.len(),
                    header.len()
                ),
            ));
        }
        let num = |i: usize| -> Result<f64, String> {
            let v: f64 = f[i].trim().parse().map_err(|_| {
                err(
                    path,
                    format!(
                        "row {}: {:?} is not a number (BIDS writes n/a for unknown positions)",
                        k + 2,
                        f[i]
                    ),
                )
            })?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(err(path, format!("row {}: non-finite coordinate", k + 2)))
            }
        };
        out.push(NamedPoint {
            name: f[ni].to_string(),
            ras: [num(xi)?, num(yi)?, num(zi)?],
        });
    }
    if out.is_empty() {
        return Err(err(path, "no electrodes"));
    }
    Ok(out)
}

/// Read any of the interchange formats back as named RAS points, by file name: a plan
/// (`.json`), 3D Slicer markups (`.mrk.json`), BIDS iEEG (`.tsv`) or CSV (anything else, read
/// by [`crate::io::electrodes`]: `x_ras_mm`/`y_ras_mm`/`z_ras_mm` or `x`/`y`/`z`).
pub fn import_points(path: &Path) -> Result<Vec<NamedPoint>, String> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".mrk.json") {
        read_slicer_markups(path)
    } else if name.ends_with(".json") {
        Ok(read_plan_json(path)?
            .electrodes
            .iter()
            .map(|e| NamedPoint {
                name: format!("E{}", e.id),
                ras: e.ras_mm,
            })
            .collect())
    } else if name.ends_with(".tsv") {
        read_bids_tsv(path)
    } else {
        let list = crate::io::electrodes::read(path, crate::io::electrodes::Coords::Ras)
            .map_err(|e| e.to_string())?;
        Ok(list
            .into_iter()
            .map(|e| NamedPoint {
                name: e.name,
                ras: e.pos,
            })
            .collect())
    }
}
