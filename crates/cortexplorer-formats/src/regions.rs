//! Region ↔ region routing data: an N×N matrix (or a series T×N×N) of weights between
//! regions (row = source, column = target) from `.npy` or text tables, and region centres
//! from BrainNet `.node` or TVB `centres.txt` files. What the core draws from them (arcs,
//! gating) lives in its routing module.

use ndarray::{Array3, ArrayD, ArrayView2, Axis, Ix3, IxDyn};

use crate::surface::Hemisphere;

/// Routing weights between N regions over T frames: `data[[t, source, target]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionMatrix {
    pub data: Array3<f32>,
}

impl RegionMatrix {
    /// From values in C order for a shape `[N, N]` or `[T, N, N]`.
    pub fn new(shape: &[usize], data: Vec<f32>) -> Result<RegionMatrix, String> {
        let a = ArrayD::from_shape_vec(IxDyn(shape), data)
            .map_err(|e| format!("routing matrix of shape {shape:?}: {e}"))?;
        RegionMatrix::from_array(a)
    }

    /// From an `[N, N]` or `[T, N, N]` array; non-finite weights are refused (naming the
    /// first one).
    pub fn from_array(a: ArrayD<f32>) -> Result<RegionMatrix, String> {
        let shape = a.shape().to_vec();
        let a = match shape[..] {
            [x, y] if x == y => a.insert_axis(Axis(0)),
            [_, x, y] if x == y => a,
            _ => {
                return Err(format!(
                    "routing matrix of shape {shape:?}: expected [N, N] or [T, N, N]"
                ));
            }
        };
        let data = a
            .into_dimensionality::<Ix3>()
            .map_err(|e| e.to_string())?
            .as_standard_layout()
            .into_owned();
        if data.is_empty() {
            return Err("routing matrix is empty".into());
        }
        if let Some(((t, i, j), x)) = data.indexed_iter().find(|(_, x)| !x.is_finite()) {
            return Err(format!(
                "routing matrix: {x} at frame {t}, row {i}, column {j}"
            ));
        }
        Ok(RegionMatrix { data })
    }

    /// Number of regions.
    #[inline]
    pub fn n(&self) -> usize {
        self.data.len_of(Axis(1))
    }

    /// Number of frames.
    #[inline]
    pub fn frames(&self) -> usize {
        self.data.len_of(Axis(0))
    }

    /// Whitespace- or comma-separated rows of N numbers (TVB `weights.txt`); `#` comments.
    pub fn parse_text(text: &str) -> Result<RegionMatrix, String> {
        let mut data = Vec::new();
        let mut rows = 0;
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let row: Vec<f32> = line
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<f32>()
                        .map_err(|_| format!("line {}: {s:?} is not a number", k + 1))
                })
                .collect::<Result<_, _>>()?;
            if rows > 0 && row.len() * rows != data.len() {
                return Err(format!(
                    "line {}: {} numbers, the first row has {}",
                    k + 1,
                    row.len(),
                    data.len() / rows
                ));
            }
            data.extend(row);
            rows += 1;
        }
        let cols = data.len().checked_div(rows).unwrap_or(0);
        RegionMatrix::new(&[rows, cols], data)
    }

    pub fn at(&self, t: usize, i: usize, j: usize) -> f32 {
        self.data[[t, i, j]]
    }

    /// One frame, `[source, target]` (the last one for a later `t`).
    pub fn frame(&self, t: usize) -> ArrayView2<'_, f32> {
        self.data.index_axis(Axis(0), t.min(self.frames() - 1))
    }

    /// For each source, its `k` strongest targets with |w| ≥ threshold: `(i, j, w)`.
    pub fn top_k(&self, w: ArrayView2<f32>, k: usize, threshold: f32) -> Vec<(usize, usize, f32)> {
        let n = self.n();
        let mut out = Vec::new();
        let mut row: Vec<(usize, f32)> = Vec::with_capacity(n);
        for i in 0..n {
            row.clear();
            row.extend(
                (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (j, w[[i, j]]))
                    .filter(|(_, x)| x.abs() >= threshold && *x != 0.0),
            );
            row.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            out.extend(row.iter().take(k).map(|&(j, x)| (i, j, x)));
        }
        out
    }
}

/// Region centres (mm) and names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nodes {
    pub names: Vec<String>,
    pub centres: Vec<[f64; 3]>,
    /// the hemisphere and vertex of a centre taken from a parcellation (None from a node file)
    pub hemis: Vec<Option<Hemisphere>>,
    pub vertices: Vec<Option<usize>>,
}

impl Nodes {
    /// BrainNet `.node` (`x y z colour size label`) or TVB `centres.txt` (`label x y z`);
    /// `#` comments and blank lines skipped.
    pub fn parse(text: &str) -> Result<Nodes, String> {
        let mut n = Nodes::default();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
            let (name, xyz) = match f.as_slice() {
                [l, x, y, z] if num(l).is_none() => (l.to_string(), [*x, *y, *z]),
                [x, y, z, _c, _s, rest @ ..] => (rest.join(" "), [*x, *y, *z]),
                [x, y, z, ..] => (format!("node {}", n.names.len() + 1), [*x, *y, *z]),
                _ => {
                    return Err(format!(
                        "line {}: expected `x y z colour size label` or `label x y z`",
                        k + 1
                    ));
                }
            };
            let c: Vec<f64> = xyz.iter().filter_map(|s| num(s)).collect();
            let [x, y, z] = c[..] else {
                return Err(format!(
                    "line {}: coordinates {:?} are not numbers",
                    k + 1,
                    xyz
                ));
            };
            n.names.push(if name.is_empty() {
                format!("node {}", n.names.len() + 1)
            } else {
                name
            });
            n.centres.push([x, y, z]);
            n.hemis.push(None);
            n.vertices.push(None);
        }
        if n.names.is_empty() {
            return Err("no nodes".into());
        }
        Ok(n)
    }
}
