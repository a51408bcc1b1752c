//! Triangle meshes of the cortex and the geometry computed on them.

use serde::Serialize;

/// Which hemisphere a surface or overlay belongs to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Hemisphere {
    Left,
    Right,
}

impl Hemisphere {
    /// `"left"` or `"right"` (the JSON and TOML spelling).
    pub fn name(self) -> &'static str {
        match self {
            Hemisphere::Left => "left",
            Hemisphere::Right => "right",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Hemisphere::Left => "lh",
            Hemisphere::Right => "rh",
        }
    }
    /// Guess the hemisphere from a file name (`lh.pial`, `pial_left.gii`, `…hemi-L…`) or from
    /// GIFTI metadata (`CortexLeft`). `None` when nothing says.
    pub fn guess(text: &str) -> Option<Hemisphere> {
        let t = text.to_ascii_lowercase();
        let name = t.rsplit(['/', '\\']).next().unwrap_or(&t);
        let left = name.starts_with("lh.")
            || name.contains("left")
            || name.contains("hemi-l")
            || name.contains("_lh")
            || name.contains(".lh.")
            || name.contains(".l.")
            || name.contains("-lh.");
        let right = name.starts_with("rh.")
            || name.contains("right")
            || name.contains("hemi-r")
            || name.contains("_rh")
            || name.contains(".rh.")
            || name.contains(".r.")
            || name.contains("-rh.");
        match (left, right) {
            (true, false) => Some(Hemisphere::Left),
            (false, true) => Some(Hemisphere::Right),
            _ => None,
        }
    }
}

/// The standard FreeSurfer surface kinds; the morph slider blends between any two.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SurfaceKind {
    Pial,
    White,
    Inflated,
    Sphere,
    Flat,
    Other,
}

impl SurfaceKind {
    pub const ALL: [SurfaceKind; 5] = [
        SurfaceKind::Pial,
        SurfaceKind::White,
        SurfaceKind::Inflated,
        SurfaceKind::Sphere,
        SurfaceKind::Flat,
    ];
    pub fn label(self) -> &'static str {
        match self {
            SurfaceKind::Pial => "pial",
            SurfaceKind::White => "white",
            SurfaceKind::Inflated => "inflated",
            SurfaceKind::Sphere => "sphere",
            SurfaceKind::Flat => "flat",
            SurfaceKind::Other => "other",
        }
    }
    /// Guess from a file name or GIFTI `AnatomicalStructureSecondary`/`GeometricType`.
    pub fn guess(text: &str) -> SurfaceKind {
        let t = text.to_ascii_lowercase();
        let name = t.rsplit(['/', '\\']).next().unwrap_or(&t);
        if name.contains("infl") {
            SurfaceKind::Inflated
        } else if name.contains("sphere") {
            SurfaceKind::Sphere
        } else if name.contains("flat") {
            SurfaceKind::Flat
        } else if name.contains("white") || name.contains("smoothwm") || name.contains("gray_white")
        {
            SurfaceKind::White
        } else if name.contains("pial") || name.contains("pia_") || name.contains("midthickness") {
            SurfaceKind::Pial
        } else {
            SurfaceKind::Other
        }
    }
}

/// Which way a closed mesh's triangles wind, seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Winding {
    /// counter-clockwise from outside (normals by the right-hand rule point out)
    Outward,
    Inward,
}

/// A triangle mesh: vertex coordinates in surface RAS millimetres and zero-based faces.
#[derive(Clone, Debug, Default)]
pub struct Surface {
    pub vertices: Vec<[f32; 3]>,
    pub faces: Vec<[u32; 3]>,
    winding: std::sync::OnceLock<Option<Winding>>,
}

impl Surface {
    /// Build a surface, checking every face index against the vertex count and every
    /// coordinate for NaN/inf.
    pub fn new(vertices: Vec<[f32; 3]>, faces: Vec<[u32; 3]>) -> Result<Surface, String> {
        use rayon::prelude::*;
        // chunked folds (not per-element `all`/`max`) so the inner loops vectorise
        let flat: &[f32] = bytemuck::cast_slice(&vertices);
        let finite = flat
            .par_chunks(1 << 16)
            .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()));
        if !finite {
            let i = vertices
                .iter()
                .position(|v| v.iter().any(|c| !c.is_finite()))
                .unwrap();
            return Err(format!("vertex {i} has a NaN or infinite coordinate"));
        }
        let n = vertices.len() as u32;
        let idx: &[u32] = bytemuck::cast_slice(&faces);
        // negative i32 indices reinterpreted as u32 are huge, so this catches them too
        let max = idx
            .par_chunks(1 << 16)
            .map(|c| c.iter().copied().fold(0, u32::max))
            .max();
        if max.is_some_and(|m| m >= n) {
            let i = faces
                .iter()
                .position(|f| f.iter().any(|&k| k >= n))
                .unwrap();
            let k = faces[i].iter().copied().find(|&k| k >= n).unwrap();
            return Err(format!(
                "face {i} has vertex index {} outside 0..{n}",
                k as i32
            ));
        }
        Ok(Surface {
            vertices,
            faces,
            winding: Default::default(),
        })
    }

    /// Winding of a closed mesh (every edge shared by exactly two faces), from the sign of
    /// its enclosed volume; `None` for open meshes such as flat patches. Renderers may cull
    /// back faces of closed meshes. Computed once.
    pub fn winding(&self) -> Option<Winding> {
        *self.winding.get_or_init(|| {
            let mut edges: std::collections::HashMap<(u32, u32), u32> =
                std::collections::HashMap::with_capacity(self.faces.len() * 2);
            for f in &self.faces {
                for (a, b) in [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])] {
                    *edges.entry((a.min(b), a.max(b))).or_insert(0) += 1;
                }
            }
            if self.faces.is_empty() || edges.values().any(|&c| c != 2) {
                return None;
            }
            let volume: f64 = self
                .faces
                .iter()
                .map(|f| {
                    let [a, b, c] =
                        f.map(|i| glam::DVec3::from(self.vertices[i as usize].map(f64::from)));
                    a.dot(b.cross(c))
                })
                .sum();
            if volume > 0.0 {
                Some(Winding::Outward)
            } else if volume < 0.0 {
                Some(Winding::Inward)
            } else {
                None
            }
        })
    }

    pub fn bbox(&self) -> ([f32; 3], [f32; 3]) {
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for v in &self.vertices {
            for k in 0..3 {
                lo[k] = lo[k].min(v[k]);
                hi[k] = hi[k].max(v[k]);
            }
        }
        if self.vertices.is_empty() {
            return ([0.0; 3], [0.0; 3]);
        }
        (lo, hi)
    }

    /// Area-weighted vertex normals (unit length; zero for isolated vertices).
    pub fn vertex_normals(&self) -> Vec<[f32; 3]> {
        vertex_normals(&self.vertices, &self.faces)
    }
}

/// Area-weighted vertex normals for any positions sharing this connectivity.
pub fn vertex_normals(vertices: &[[f32; 3]], faces: &[[u32; 3]]) -> Vec<[f32; 3]> {
    let mut n = vec![glam::Vec3::ZERO; vertices.len()];
    for f in faces {
        let [a, b, c] = f.map(|i| glam::Vec3::from(vertices[i as usize]));
        let w = (b - a).cross(c - a); // length = 2 × area, so the sum is area-weighted
        for &i in f {
            n[i as usize] += w;
        }
    }
    n.into_iter()
        .map(|v| v.normalize_or_zero().to_array())
        .collect()
}

/// Linear blend of two vertex sets with the same count (`t = 0` → `a`, `t = 1` → `b`).
pub fn blend_positions(a: &[[f32; 3]], b: &[[f32; 3]], t: f32, out: &mut Vec<[f32; 3]>) {
    out.clear();
    out.extend(a.iter().zip(b).map(|(p, q)| {
        [
            p[0] + (q[0] - p[0]) * t,
            p[1] + (q[1] - p[1]) * t,
            p[2] + (q[2] - p[2]) * t,
        ]
    }));
}

/// The vertex of `face` closest to the hit point given by barycentric coordinates
/// (weights of the face's three vertices).
pub fn nearest_corner(face: [u32; 3], barycentric: [f32; 3]) -> u32 {
    let mut best = 0;
    for k in 1..3 {
        if barycentric[k] > barycentric[best] {
            best = k;
        }
    }
    face[best]
}

/// Nearest vertex to a point by brute force (used for picking on a CPU copy and in tests).
pub fn nearest_vertex(vertices: &[[f32; 3]], p: [f32; 3]) -> Option<(usize, f32)> {
    let p = glam::Vec3::from(p);
    vertices
        .iter()
        .enumerate()
        .map(|(i, v)| (i, glam::Vec3::from(*v).distance_squared(p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, d)| (i, d.sqrt()))
}

/// Intersect a ray with a mesh; returns (face index, barycentric weights, distance) of the
/// nearest hit. Möller–Trumbore, both faces of each triangle.
pub fn ray_pick(
    vertices: &[[f32; 3]],
    faces: &[[u32; 3]],
    origin: [f32; 3],
    dir: [f32; 3],
) -> Option<(usize, [f32; 3], f32)> {
    let o = glam::Vec3::from(origin);
    let d = glam::Vec3::from(dir).normalize_or_zero();
    let mut best: Option<(usize, [f32; 3], f32)> = None;
    for (fi, f) in faces.iter().enumerate() {
        let [a, b, c] = f.map(|i| glam::Vec3::from(vertices[i as usize]));
        let e1 = b - a;
        let e2 = c - a;
        let p = d.cross(e2);
        let det = e1.dot(p);
        if det.abs() < 1e-12 {
            continue;
        }
        let inv = 1.0 / det;
        let s = o - a;
        let u = s.dot(p) * inv;
        if !(0.0..=1.0).contains(&u) {
            continue;
        }
        let q = s.cross(e1);
        let v = d.dot(q) * inv;
        if v < 0.0 || u + v > 1.0 {
            continue;
        }
        let t = e2.dot(q) * inv;
        if t > 0.0 && best.is_none_or(|b| t < b.2) {
            best = Some((fi, [1.0 - u - v, u, v], t));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tetra() -> Surface {
        Surface::new(
            vec![[0., 0., 0.], [1., 0., 0.], [0., 1., 0.], [0., 0., 1.]],
            vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]],
        )
        .unwrap()
    }

    #[test]
    fn winding_of_closed_and_open_meshes() {
        assert_eq!(tetra().winding(), Some(Winding::Outward));
        let mut flipped = tetra();
        for f in &mut flipped.faces {
            f.swap(1, 2);
        }
        let flipped = Surface::new(flipped.vertices, flipped.faces).unwrap();
        assert_eq!(flipped.winding(), Some(Winding::Inward));
        let open =
            Surface::new(vec![[0.; 3], [1., 0., 0.], [0., 1., 0.]], vec![[0, 1, 2]]).unwrap();
        assert_eq!(open.winding(), None);
    }

    #[test]
    fn rejects_bad_faces_and_nan() {
        assert!(Surface::new(vec![[0.; 3]; 2], vec![[0, 1, 2]]).is_err());
        assert!(Surface::new(vec![[f32::NAN, 0., 0.]], vec![]).is_err());
    }

    #[test]
    fn normals_point_outwards_on_tetrahedron() {
        let s = tetra();
        let n = s.vertex_normals();
        // vertex 3 is at +z; its normal must have positive z and positive x+y
        assert!(n[3][2] > 0.0);
        let c = glam::Vec3::splat(0.25);
        for (v, nn) in s.vertices.iter().zip(&n) {
            assert!((glam::Vec3::from(*v) - c).dot(glam::Vec3::from(*nn)) > 0.0);
        }
    }

    #[test]
    fn ray_pick_hits_nearest_face() {
        let s = tetra();
        let hit = ray_pick(&s.vertices, &s.faces, [0.2, 0.2, 5.0], [0., 0., -1.]).unwrap();
        assert_eq!(hit.0, 3); // the slanted face x+y+z=1 is hit first
        assert!((hit.2 - 4.4).abs() < 1e-5);
        let v = nearest_corner(s.faces[hit.0], hit.1);
        assert_eq!(v, 3);
    }

    #[test]
    fn guesses_names() {
        assert_eq!(Hemisphere::guess("/x/lh.pial"), Some(Hemisphere::Left));
        assert_eq!(
            Hemisphere::guess("pial_right.gii.gz"),
            Some(Hemisphere::Right)
        );
        assert_eq!(Hemisphere::guess("foo.gii"), None);
        assert_eq!(
            SurfaceKind::guess("infl_left.gii.gz"),
            SurfaceKind::Inflated
        );
        assert_eq!(SurfaceKind::guess("lh.white"), SurfaceKind::White);
    }
}
