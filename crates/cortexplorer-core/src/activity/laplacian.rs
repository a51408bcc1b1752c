//! Discrete Laplace–Beltrami operator on a triangle mesh.
//!
//! (Δu)_i = (1 / A_i) Σ_j w_ij (u_j − u_i), with the cotangent weights
//! w_ij = (cot α_ij + cot β_ij) / 2 (α, β: the angles opposite edge ij in its two triangles;
//! one triangle on a boundary) and the lumped (barycentric) mass A_i = one third of the area of
//! the triangles around vertex i (Pinkall & Polthier 1993; Meyer, Desbrun, Schröder & Barr 2003).
//! On a sphere of radius R its eigenvalues approach −l(l+1)/R², which the tests check.
//!
//! Stored row by row (CSR) with the mass already divided in, in f32 — the layout and precision
//! the compute kernels use, so CPU and GPU run the same arithmetic. Obtuse triangles give
//! negative weights; cortical meshes have few and the heat equation stays stable under the
//! step bound of [`Laplacian::max_rate`].

/// Δ as a sparse matrix: row i holds `cols[row_ptr[i]..row_ptr[i+1]]` with weights
/// `vals[..]` (w_ij / A_i), and the diagonal −Σ_j w_ij / A_i in `diag[i]`.
#[derive(Clone, Debug)]
pub struct Laplacian {
    pub row_ptr: Vec<u32>,
    pub cols: Vec<u32>,
    pub vals: Vec<f32>,
    pub diag: Vec<f32>,
    /// lumped vertex areas (mm² on a surface in mm)
    pub mass: Vec<f64>,
    /// the off-diagonal part again, sliced for the CPU steps
    pub sliced: Sliced,
}

/// Rows per slice of [`Sliced`].
pub const LANES: usize = 8;

/// The off-diagonal entries in sliced ELLPACK (SELL-8): rows in slices of [`LANES`], each
/// slice as wide as its longest row and stored column by column, so a slice's rows are summed
/// side by side — eight independent sums the CPU overlaps, instead of one chain of dependent
/// additions per row. Entry k of row `LANES·b + r` is at `start[b] + k·LANES + r`; padding has
/// weight 0 and points at a valid vertex. Each row is still summed in CSR order (diagonal,
/// then the neighbours in column order; padding adds +0), as the kernels sum it.
#[derive(Clone, Debug, Default)]
pub struct Sliced {
    pub start: Vec<u32>,
    pub width: Vec<u32>,
    pub cols: Vec<u32>,
    pub vals: Vec<f32>,
}

impl Sliced {
    fn new(row_ptr: &[u32], cols: &[u32], vals: &[f32]) -> Sliced {
        let n = row_ptr.len() - 1;
        let blocks = n.div_ceil(LANES);
        let mut out = Sliced::default();
        for b in 0..blocks {
            let rows = b * LANES..((b + 1) * LANES).min(n);
            let w = rows
                .clone()
                .map(|i| row_ptr[i + 1] - row_ptr[i])
                .max()
                .unwrap_or(0);
            out.start.push(out.cols.len() as u32);
            out.width.push(w);
            for k in 0..w {
                for r in 0..LANES {
                    let i = b * LANES + r;
                    let (c, v) = if i < n && row_ptr[i] + k < row_ptr[i + 1] {
                        let e = (row_ptr[i] + k) as usize;
                        (cols[e], vals[e])
                    } else {
                        (rows.start as u32, 0.0)
                    };
                    out.cols.push(c);
                    out.vals.push(v);
                }
            }
        }
        out
    }
}

impl Laplacian {
    /// Build from vertices and triangles. Fails on an index out of range, a non-finite
    /// coordinate or a vertex with no area (isolated or only in degenerate triangles).
    pub fn new(vertices: &[[f32; 3]], faces: &[[u32; 3]]) -> Result<Laplacian, String> {
        let n = vertices.len();
        let p = |i: u32| -> Result<glam::DVec3, String> {
            let v = vertices
                .get(i as usize)
                .ok_or_else(|| format!("face refers to vertex {i}, the mesh has {n}"))?;
            let d = glam::DVec3::new(v[0] as f64, v[1] as f64, v[2] as f64);
            if d.is_finite() {
                Ok(d)
            } else {
                Err(format!("vertex {i} is not finite"))
            }
        };
        // (row, col, weight) for every half-edge, plus areas
        let mut entries: Vec<(u32, u32, f64)> = Vec::with_capacity(faces.len() * 6);
        let mut mass = vec![0.0f64; n];
        for f in faces {
            let x = [p(f[0])?, p(f[1])?, p(f[2])?];
            let area2 = (x[1] - x[0]).cross(x[2] - x[0]).length();
            if area2 <= 0.0 {
                continue; // degenerate: no area, no angles
            }
            for k in 0..3 {
                mass[f[k] as usize] += area2 / 6.0;
                // the angle at corner k is opposite edge (i, j)
                let (i, j) = ((k + 1) % 3, (k + 2) % 3);
                let (a, b) = (x[i] - x[k], x[j] - x[k]);
                let cot = a.dot(b) / a.cross(b).length();
                let w = cot / 2.0;
                entries.push((f[i], f[j], w));
                entries.push((f[j], f[i], w));
            }
        }
        if let Some(i) = mass.iter().position(|&m| m <= 0.0) {
            return Err(format!("vertex {i} belongs to no triangle with area"));
        }
        entries.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut row_ptr = vec![0u32; n + 1];
        let mut cols = Vec::with_capacity(entries.len() / 2);
        let mut vals = Vec::with_capacity(entries.len() / 2);
        let mut diag = vec![0.0f64; n];
        let mut k = 0;
        for (row, ptr) in row_ptr.iter_mut().enumerate().skip(1) {
            let r = (row - 1) as u32;
            while k < entries.len() && entries[k].0 == r {
                let c = entries[k].1;
                let mut w = 0.0;
                while k < entries.len() && entries[k].0 == r && entries[k].1 == c {
                    w += entries[k].2; // the edge's two triangles
                    k += 1;
                }
                let a = mass[r as usize];
                cols.push(c);
                vals.push((w / a) as f32);
                diag[r as usize] -= w / a;
            }
            *ptr = cols.len() as u32;
        }
        let sliced = Sliced::new(&row_ptr, &cols, &vals);
        Ok(Laplacian {
            row_ptr,
            cols,
            vals,
            diag: diag.into_iter().map(|d| d as f32).collect(),
            mass,
            sliced,
        })
    }

    /// (Δx)_i for the rows of slice `b` (`LANES·b ..`, fewer in the last slice; lanes past
    /// the end stay 0), for each of the `K` arrays in `xs` in one pass over the slice.
    #[inline]
    pub fn slice_sums<const K: usize>(&self, xs: [&[f32]; K], b: usize) -> [[f32; LANES]; K] {
        let n = self.len();
        let first = b * LANES;
        let m = LANES.min(n - first);
        let mut acc = [[0.0f32; LANES]; K];
        for (a, x) in acc.iter_mut().zip(&xs) {
            for r in 0..m {
                a[r] = self.diag[first + r] * x[first + r];
            }
        }
        let sl = &self.sliced;
        let start = sl.start[b] as usize;
        let w = sl.width[b] as usize;
        let cols = &sl.cols[start..start + w * LANES];
        let vals = &sl.vals[start..start + w * LANES];
        for (c, v) in cols.chunks_exact(LANES).zip(vals.chunks_exact(LANES)) {
            for (a, x) in acc.iter_mut().zip(&xs) {
                for r in 0..LANES {
                    a[r] += v[r] * x[c[r] as usize];
                }
            }
        }
        acc
    }

    pub fn len(&self) -> usize {
        self.diag.len()
    }

    pub fn is_empty(&self) -> bool {
        self.diag.is_empty()
    }

    /// y = Δx, row by row in f32 in the order the kernel sums (diagonal first, then the
    /// neighbours in column order).
    pub fn apply(&self, x: &[f32], y: &mut [f32]) {
        use rayon::prelude::*;
        y.par_chunks_mut(LANES).enumerate().for_each(|(b, yb)| {
            let [s] = self.slice_sums([x], b);
            yb.copy_from_slice(&s[..yb.len()]);
        });
    }

    /// Gershgorin bound on the largest |eigenvalue| of Δ (1/mm²): max_i |diag_i| + Σ|w_ij/A_i|.
    /// Explicit Euler for ∂u/∂t = DΔu is stable for dt ≤ 2 / (D · max_rate).
    pub fn max_rate(&self) -> f64 {
        (0..self.len())
            .map(|i| {
                let off: f64 = (self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize)
                    .map(|k| (self.vals[k] as f64).abs())
                    .sum();
                (self.diag[i] as f64).abs() + off
            })
            .fold(0.0, f64::max)
    }

    /// ⟨a, b⟩ weighted by vertex area (the discrete L² inner product on the surface).
    pub fn inner(&self, a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .zip(&self.mass)
            .map(|((x, y), m)| *x as f64 * *y as f64 * m)
            .sum()
    }
}

/// A sphere of radius `r` from a subdivided icosahedron (hexasphere): `subdivisions` = 0 gives
/// the 12-vertex icosahedron; 20 gives ≈ 4,400 vertices. For tests and demos.
pub fn icosphere(subdivisions: usize, r: f32) -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let s = hexasphere::shapes::IcoSphere::new(subdivisions, |_| ());
    let v = s
        .raw_points()
        .iter()
        .map(|p| {
            let p = p.normalize() * r;
            [p.x, p.y, p.z]
        })
        .collect();
    let f = s
        .get_all_indices()
        .chunks_exact(3)
        .map(|t| [t[0], t[1], t[2]])
        .collect();
    (v, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_in_the_kernel_and_rows_are_symmetric_in_weight() {
        let (v, f) = icosphere(6, 1.0);
        let l = Laplacian::new(&v, &f).unwrap();
        let ones = vec![1.0f32; l.len()];
        let mut y = vec![0.0; l.len()];
        l.apply(&ones, &mut y);
        assert!(y.iter().all(|x| x.abs() < 1e-3), "Δ1 = 0");
        // A_i·L_ij = A_j·L_ji (the stiffness matrix is symmetric)
        for i in 0..50 {
            for k in l.row_ptr[i] as usize..l.row_ptr[i + 1] as usize {
                let j = l.cols[k] as usize;
                let back = (l.row_ptr[j]..l.row_ptr[j + 1])
                    .find(|&q| l.cols[q as usize] as usize == i)
                    .unwrap() as usize;
                let (a, b) = (
                    l.vals[k] as f64 * l.mass[i],
                    l.vals[back] as f64 * l.mass[j],
                );
                assert!((a - b).abs() < 1e-5 * a.abs().max(1e-9), "{a} {b}");
            }
        }
        // total area: the inscribed polyhedron's, just under the unit sphere's 4π
        let area: f64 = l.mass.iter().sum();
        let sphere = 4.0 * std::f64::consts::PI;
        assert!(area < sphere && area > 0.99 * sphere, "{area}");
    }

    /// The sliced rows sum exactly what the CSR rows sum, in the same order (bit for bit),
    /// on a mesh with rows of several lengths (fsaverage5) and a partial last slice.
    #[test]
    fn sliced_rows_equal_csr_rows_bit_for_bit() {
        let surfaces = crate::brain::fsaverage5::pial_surfaces().unwrap();
        // 10,242 vertices: a last slice of 2 rows; the 12 vertices of degree 5 sit in
        // slices of width 6 (padding)
        let (v, f, _) = crate::activity::combined_mesh(&surfaces[..1]);
        let l = Laplacian::new(&v, &f).unwrap();
        let x: Vec<f32> = v.iter().map(|p| (p[0] * 0.3).sin() + p[2] * 0.01).collect();
        let y2: Vec<f32> = x.iter().map(|a| a * a).collect();
        let mut got = vec![0.0; l.len()];
        l.apply(&x, &mut got);
        let widths: std::collections::BTreeSet<u32> = (0..l.len())
            .map(|i| l.row_ptr[i + 1] - l.row_ptr[i])
            .collect();
        assert!(widths.len() >= 2, "rows of several lengths: {widths:?}");
        for i in 0..l.len() {
            let mut s = l.diag[i] * x[i];
            let mut s2 = l.diag[i] * y2[i];
            for k in l.row_ptr[i] as usize..l.row_ptr[i + 1] as usize {
                s += l.vals[k] * x[l.cols[k] as usize];
                s2 += l.vals[k] * y2[l.cols[k] as usize];
            }
            assert_eq!(got[i].to_bits(), s.to_bits(), "row {i}");
            let [a, b] = l.slice_sums([&x, &y2], i / LANES);
            assert_eq!(a[i % LANES].to_bits(), s.to_bits());
            assert_eq!(b[i % LANES].to_bits(), s2.to_bits());
        }
    }

    #[test]
    fn bad_meshes_are_refused() {
        let v = vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [5.0, 5.0, 5.0],
        ];
        assert!(
            Laplacian::new(&v, &[[0, 1, 9]])
                .unwrap_err()
                .contains("vertex 9")
        );
        assert!(
            Laplacian::new(&v, &[[0, 1, 2]])
                .unwrap_err()
                .contains("vertex 3")
        );
        let nan = vec![[f32::NAN, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert!(
            Laplacian::new(&nan, &[[0, 1, 2]])
                .unwrap_err()
                .contains("not finite")
        );
    }
}
