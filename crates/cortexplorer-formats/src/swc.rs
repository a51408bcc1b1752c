//! SWC morphology/vascular trees (Cannon et al. 1998; the format NeuroMorpho.Org and vessel
//! tracers write): one sample per line, `id type x y z radius parent`, `#` comments, parent
//! `-1` for a root. Each sample with a parent gives one segment parent → sample whose radius
//! is the mean of the two samples' radii. Ids may be in any order and need not be contiguous;
//! every parent must exist, ids must be unique, radii finite and ≥ 0.

use super::FormatError;
use crate::vessels::{VesselGraph, VesselKind};

pub fn parse(bytes: &[u8]) -> Result<VesselGraph, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| FormatError::Invalid(format!("not UTF-8 text ({e})")))?;
    let mut ids = Vec::new();
    let mut types = Vec::new();
    let mut nodes = Vec::new();
    let mut radius = Vec::new();
    let mut parents = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            return Err(FormatError::Truncated(format!(
                "line {}: {} fields, SWC needs 7 (id type x y z radius parent)",
                k + 1,
                f.len()
            )));
        }
        let num = |i: usize, what: &str| -> Result<f64, FormatError> {
            let v: f64 = f[i].parse().map_err(|_| {
                FormatError::Invalid(format!("line {}: {what} {:?} is not a number", k + 1, f[i]))
            })?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(FormatError::Invalid(format!(
                    "line {}: {what} is {v}",
                    k + 1
                )))
            }
        };
        let int = |i: usize, what: &str| -> Result<i64, FormatError> {
            f[i].parse().map_err(|_| {
                FormatError::Invalid(format!(
                    "line {}: {what} {:?} is not an integer",
                    k + 1,
                    f[i]
                ))
            })
        };
        let id = int(0, "id")?;
        if id < 0 {
            return Err(FormatError::Invalid(format!(
                "line {}: sample id {id} is negative (-1 is only for a root's parent)",
                k + 1
            )));
        }
        ids.push(id);
        types.push(int(1, "type")?);
        nodes.push([
            num(2, "x")? as f32,
            num(3, "y")? as f32,
            num(4, "z")? as f32,
        ]);
        let r = num(5, "radius")?;
        if r < 0.0 {
            return Err(FormatError::Invalid(format!(
                "line {}: negative radius {r}",
                k + 1
            )));
        }
        radius.push(r);
        let parent = int(6, "parent")?;
        if parent == id {
            return Err(FormatError::Invalid(format!(
                "line {}: sample {id} is its own parent",
                k + 1
            )));
        }
        parents.push((parent, k + 1));
    }
    if ids.is_empty() {
        return Err(FormatError::Invalid("no samples".into()));
    }
    let mut index = std::collections::HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if index.insert(*id, i as u32).is_some() {
            return Err(FormatError::Invalid(format!(
                "sample id {id} appears twice"
            )));
        }
    }
    let mut g = VesselGraph {
        nodes,
        ..Default::default()
    };
    let mut sample_type = Vec::new();
    for (i, (p, line)) in parents.iter().enumerate() {
        if *p < 0 {
            continue;
        }
        let Some(&j) = index.get(p) else {
            return Err(FormatError::Invalid(format!(
                "line {line}: parent {p} of sample {} does not exist",
                ids[i]
            )));
        };
        g.edges.push([j, i as u32]);
        g.radius
            .push((0.5 * (radius[i] + radius[j as usize])) as f32);
        sample_type.push(types[i] as f32);
    }
    g.kind = vec![VesselKind::Unknown; g.edges.len()];
    g.attributes.push(("swc_type".into(), sample_type));
    g.validate().map_err(FormatError::Invalid)?;
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_with_unordered_ids() {
        let text = "# a vessel tree\n10 1 0 0 0 1.0 -1\n30 3 3 4 0 0.2 20\n20 3 3 0 0 0.6 10\n";
        let g = parse(text.as_bytes()).unwrap();
        assert_eq!(g.edges, vec![[2, 1], [0, 2]]);
        assert_eq!(g.radius, vec![0.4, 0.8]);
        assert!((g.total_length() - 7.0).abs() < 1e-6);
    }

    #[test]
    fn malformed() {
        for (text, needle) in [
            ("1 1 0 0 0 1 -1\n2 1 0 0 1 1 5\n", "parent 5"),
            ("1 1 0 0 0 1\n", "7"),
            ("1 1 0 0 0 -1 -1\n", "negative radius"),
            ("1 1 0 nan 0 1 -1\n", "NaN"),
            ("1 1 0 0 0 1 -1\n1 1 0 0 0 1 -1\n", "twice"),
            ("# nothing\n", "no samples"),
            ("1 1 0 x 0 1 -1\n", "not a number"),
        ] {
            let e = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
    }
}
