//! CIFTI-2 (`.dscalar.nii`, `.dtseries.nii`, `.dlabel.nii`, `.pscalar.nii`, `.ptseries.nii`,
//! `.dconn.nii`, …): a NIfTI-2 file whose header extension (code 32) holds an XML description
//! of the two matrix dimensions, read as nibabel 5's `nibabel.cifti2` reads it.
//!
//! * **Recognised** by the NIfTI-2 intent code (3000–3099, `ConnDense…`) or by a CIFTI name
//!   (`*.dscalar.nii`, …) — a file named like CIFTI without the extension is refused, never read
//!   as a 6-D volume. CIFTI-2 needs the NIfTI-2 header; NIfTI-1 is refused.
//! * **Matrix**: `dim[5]` × `dim[6]` values, the element `[i, j]` (i along dimension 0 — maps,
//!   series points or rows — and j along dimension 1) at `i + j·dim[5]` in the file, as nibabel
//!   reads it (`get_fdata()`, NIfTI order: the first index fastest), with `scl_slope`/`scl_inter`
//!   applied. A `dconn`-style file (both dimensions grayordinates or parcels) is not loaded: it
//!   is opened lazily and single columns or rows are read on demand ([`LazyMatrix`]) — HCP
//!   dense connectomes are tens of GB.
//! * **Axes** ([`Axis`]): `BrainModels` (surface models: `VertexIndices` into a surface of
//!   `SurfaceNumberOfVertices`; voxel models: `VoxelIndicesIJK` in the `Volume` whose
//!   `TransformationMatrixVoxelIndicesIJKtoXYZ` is scaled to mm by `MeterExponent`), `Scalars`
//!   (map names), `Labels` (map names and label tables: key, name, RGBA 0..1), `Series` (start,
//!   step, exponent, unit) and `Parcels` (named sets of vertices per structure and voxels).
//! * **Validated before use**: the XML (nesting, attribute syntax, numbers), every model's
//!   offset and count against the matrix dimension (models tile it in order, no gap or overlap),
//!   vertex indices against their surface's vertex count, voxel indices against the volume,
//!   label keys in the data against their table, the data size against the file.
//!
//! [`Cifti::surface_overlay`], [`Cifti::surface_labels`] and [`Cifti::volume`] scatter a
//! dense or parcel file onto a hemisphere's vertices (vertices outside the model — the medial
//! wall — get NaN, drawn as no data) and onto a volume (NaN outside the voxel models).

use std::io::Read;
use std::path::PathBuf;

use quick_xml::events::Event;

use super::nifti;
use super::source::{Limits, Source, checked_product, read_exact_growing};
use super::{FormatError, Hemisphere};
use crate::{Labels, Overlay, Region, Volume};

/// NIfTI-2 intent codes of CIFTI-2 (nibabel's `ConnDense…` names).
pub const INTENTS: &[(i32, &str)] = &[
    (3000, "ConnUnknown"),
    (3001, "ConnDense"),
    (3002, "ConnDenseSeries"),
    (3003, "ConnParcels"),
    (3004, "ConnParcelSries"),
    (3005, "ConnDenseTrajectory"),
    (3006, "ConnDenseScalar"),
    (3007, "ConnDenseLabel"),
    (3008, "ConnParcelScalr"),
    (3009, "ConnParcelDense"),
    (3010, "ConnDenseParcel"),
    (3011, "ConnParcelLabel"),
    (3012, "ConnPPSr"),
    (3013, "ConnPPSc"),
    (3014, "ConnDSr"),
];

/// Names that say "CIFTI-2" (the file is then read as CIFTI or refused, never as a volume).
pub const NAME_SUFFIXES: &[&str] = &[
    ".dscalar.nii",
    ".dtseries.nii",
    ".dlabel.nii",
    ".pscalar.nii",
    ".ptseries.nii",
    ".plabel.nii",
    ".dconn.nii",
    ".pconn.nii",
    ".pdconn.nii",
    ".dpconn.nii",
    ".pconnseries.nii",
    ".pconnscalar.nii",
    ".dfan.nii",
    ".dfibersamp.nii",
    ".dfansamp.nii",
];

/// Is this a CIFTI-2 intent code?
pub fn is_cifti_intent(code: i32) -> bool {
    (3000..=3099).contains(&code)
}

/// Is this file name a CIFTI-2 name?
pub fn is_cifti_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NAME_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// The kind of a CIFTI file as its usual extension says (`dscalar`, `dtseries`, …), from the
/// two axes.
pub fn kind_of(axes: &[Axis; 2]) -> &'static str {
    use Axis::*;
    match (&axes[0], &axes[1]) {
        (Scalars(_), BrainModels(_)) => "dscalar",
        (Series(_), BrainModels(_)) => "dtseries",
        (Labels(_), BrainModels(_)) => "dlabel",
        (Scalars(_), Parcels(_)) => "pscalar",
        (Series(_), Parcels(_)) => "ptseries",
        (Labels(_), Parcels(_)) => "plabel",
        (BrainModels(_), BrainModels(_)) => "dconn",
        (Parcels(_), Parcels(_)) => "pconn",
        (Parcels(_), BrainModels(_)) => "pdconn",
        (BrainModels(_), Parcels(_)) => "dpconn",
        _ => "cifti",
    }
}

/// A CIFTI-2 file: its two axes and its matrix.
#[derive(Clone, Debug)]
pub struct Cifti {
    pub intent_code: i32,
    /// dimension 0 (rows: maps, series points, or grayordinates/parcels of a connectome) and
    /// dimension 1 (columns)
    pub axes: [Axis; 2],
    pub data: Matrix,
}

/// The values: loaded, or opened for reading a column or row at a time.
#[derive(Clone, Debug)]
pub enum Matrix {
    /// `[dimension 0, dimension 1]`, nibabel's `get_fdata()` (as f32)
    Dense(ndarray::Array2<f32>),
    Lazy(LazyMatrix),
}

impl Matrix {
    pub fn shape(&self) -> [usize; 2] {
        match self {
            Matrix::Dense(a) => [a.nrows(), a.ncols()],
            Matrix::Lazy(l) => l.shape,
        }
    }
}

/// A matrix left on disk: single columns (contiguous in the file) or rows are read on demand.
#[derive(Clone, Debug)]
pub struct LazyMatrix {
    pub path: PathBuf,
    pub offset: u64,
    pub datatype: i16,
    pub little_endian: bool,
    pub scaling: Option<(f64, f64)>,
    pub shape: [usize; 2],
}

impl LazyMatrix {
    fn bpv(&self) -> usize {
        nifti::dtype(self.datatype).map(|d| d.0).unwrap_or(4)
    }

    fn scaled(&self, mut v: Vec<f32>) -> Vec<f32> {
        if let Some((slope, inter)) = self.scaling {
            for x in &mut v {
                *x = (*x as f64 * slope + inter) as f32;
            }
        }
        v
    }

    /// `data[:, j]`: the values of every index of dimension 0 at column `j` (one read).
    pub fn column(&self, j: usize) -> Result<Vec<f32>, FormatError> {
        use std::os::unix::fs::FileExt;
        let [n0, n1] = self.shape;
        if j >= n1 {
            return Err(FormatError::Invalid(format!(
                "column {j} is past the matrix's {n1} columns"
            )));
        }
        let bpv = self.bpv();
        let mut raw = vec![0u8; n0 * bpv];
        let f = std::fs::File::open(&self.path)?;
        f.read_exact_at(&mut raw, self.offset + (j * n0 * bpv) as u64)
            .map_err(|e| FormatError::Truncated(format!("column {j}: {e}")))?;
        Ok(self.scaled(nifti::decode(&raw, self.datatype, self.little_endian)))
    }

    /// `data[i, :]`: the values of row `i` at every column (one value per column, strided in
    /// the file; a symmetric connectome's row equals its column, which is one read).
    pub fn row(&self, i: usize) -> Result<Vec<f32>, FormatError> {
        use std::os::unix::fs::FileExt;
        let [n0, n1] = self.shape;
        if i >= n0 {
            return Err(FormatError::Invalid(format!(
                "row {i} is past the matrix's {n0} rows"
            )));
        }
        let bpv = self.bpv();
        let f = std::fs::File::open(&self.path)?;
        let mut raw = vec![0u8; n1 * bpv];
        for (j, chunk) in raw.chunks_exact_mut(bpv).enumerate() {
            f.read_exact_at(chunk, self.offset + ((i + j * n0) * bpv) as u64)
                .map_err(|e| FormatError::Truncated(format!("row {i}: {e}")))?;
        }
        Ok(self.scaled(nifti::decode(&raw, self.datatype, self.little_endian)))
    }
}

/// What one matrix dimension indexes.
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    BrainModels(BrainModels),
    /// map names
    Scalars(Vec<String>),
    Labels(Vec<LabelMap>),
    Series(Series),
    Parcels(Parcels),
}

impl Axis {
    pub fn len(&self) -> usize {
        match self {
            Axis::BrainModels(b) => b.length,
            Axis::Scalars(n) => n.len(),
            Axis::Labels(l) => l.len(),
            Axis::Series(s) => s.length,
            Axis::Parcels(p) => p.parcels.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Axis::BrainModels(_) => "brain_models",
            Axis::Scalars(_) => "scalars",
            Axis::Labels(_) => "labels",
            Axis::Series(_) => "series",
            Axis::Parcels(_) => "parcels",
        }
    }

    /// Grayordinates or parcels (a spatial axis)?
    pub fn is_spatial(&self) -> bool {
        matches!(self, Axis::BrainModels(_) | Axis::Parcels(_))
    }

    /// (index along this axis, vertex) for every vertex of `structure`'s surface the axis
    /// covers: a surface model's entries, or every vertex of each parcel. Empty for a
    /// non-spatial axis.
    pub fn vertices(&self, structure: &str) -> Vec<(usize, u32)> {
        match self {
            Axis::BrainModels(b) => b
                .models
                .iter()
                .filter(|m| m.structure == structure)
                .flat_map(|m| match &m.kind {
                    ModelKind::Surface { vertices, .. } => vertices
                        .iter()
                        .enumerate()
                        .map(|(k, &v)| (m.offset + k, v))
                        .collect::<Vec<_>>(),
                    ModelKind::Voxels(_) => Vec::new(),
                })
                .collect(),
            Axis::Parcels(p) => p
                .parcels
                .iter()
                .enumerate()
                .flat_map(|(i, parcel)| {
                    parcel
                        .vertices
                        .iter()
                        .filter(|(s, _)| s == structure)
                        .flat_map(move |(_, v)| v.iter().map(move |&v| (i, v)))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The index along this axis of a vertex of `structure` (its grayordinate, or the first
    /// parcel holding it); None when the axis does not cover it.
    pub fn index_of_vertex(&self, structure: &str, vertex: usize) -> Option<usize> {
        match self {
            Axis::BrainModels(b) => b.models.iter().find_map(|m| match &m.kind {
                ModelKind::Surface { vertices, .. } if m.structure == structure => vertices
                    .iter()
                    .position(|&v| v as usize == vertex)
                    .map(|k| m.offset + k),
                _ => None,
            }),
            Axis::Parcels(p) => p.parcels.iter().position(|parcel| {
                parcel
                    .vertices
                    .iter()
                    .any(|(s, v)| s == structure && v.iter().any(|&x| x as usize == vertex))
            }),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrainModels {
    pub models: Vec<BrainModel>,
    pub volume: Option<VolumeSpace>,
    pub length: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrainModel {
    /// e.g. `CIFTI_STRUCTURE_CORTEX_LEFT`
    pub structure: String,
    pub offset: usize,
    pub count: usize,
    pub kind: ModelKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ModelKind {
    Surface {
        /// the surface this model indexes (fs_LR 32k: 32,492)
        n_vertices: usize,
        /// the vertex of each of the model's `count` entries
        vertices: Vec<u32>,
    },
    /// the (i, j, k) voxel of each entry
    Voxels(Vec<[u32; 3]>),
}

/// The voxel grid of voxel models and parcels.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSpace {
    pub dims: [usize; 3],
    /// voxel (i, j, k) → RAS mm, row-major
    pub affine: [[f64; 4]; 4],
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelMap {
    pub name: String,
    pub table: Vec<LabelEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelEntry {
    pub key: i32,
    pub name: String,
    /// red, green, blue, alpha in 0..1
    pub rgba: [f32; 4],
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub length: usize,
    pub start: f64,
    pub step: f64,
    /// the values are `start·10^exponent`, `step·10^exponent` in `unit`
    pub exponent: i32,
    /// SECOND, HERTZ, METER or RADIAN
    pub unit: String,
}

impl Series {
    /// (start, step) in the unit (SI: seconds for a time series), the exponent applied.
    pub fn si(&self) -> (f64, f64) {
        let k = 10f64.powi(self.exponent);
        (self.start * k, self.step * k)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parcels {
    pub parcels: Vec<Parcel>,
    /// (structure, vertex count) of each surface the parcels index
    pub surfaces: Vec<(String, usize)>,
    pub volume: Option<VolumeSpace>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parcel {
    pub name: String,
    /// (structure, vertices)
    pub vertices: Vec<(String, Vec<u32>)>,
    pub voxels: Vec<[u32; 3]>,
}

/// The cortical structure of a hemisphere.
pub fn cortex(h: Hemisphere) -> &'static str {
    match h {
        Hemisphere::Left => "CIFTI_STRUCTURE_CORTEX_LEFT",
        Hemisphere::Right => "CIFTI_STRUCTURE_CORTEX_RIGHT",
    }
}

const MAX_DEPTH: usize = 32;

/// Read a CIFTI-2 file (see the module docs). Dense-by-dense and parcel-by-parcel matrices
/// of a file on disk are left there ([`Matrix::Lazy`]); the rest is loaded within `limits`.
pub fn read(src: &Source, limits: &Limits) -> Result<Cifti, FormatError> {
    let (mut stream, file_len) = src.open()?;
    let head = read_exact_growing(&mut stream, 540, "NIfTI-2 header")?;
    let s1 = i32::from_le_bytes(head[..4].try_into().unwrap());
    let s2 = i32::from_be_bytes(head[..4].try_into().unwrap());
    if s1 == 348 || s2 == 348 {
        return Err(FormatError::Invalid(
            "a NIfTI-1 header: CIFTI-2 files are NIfTI-2 (is this a CIFTI-1 file? convert it with wb_command -file-convert)".into(),
        ));
    }
    if s1 != 540 && s2 != 540 {
        return Err(FormatError::Invalid(format!(
            "not a NIfTI-2 file (sizeof_hdr is {s1}, expected 540)"
        )));
    }
    let h = nifti::header_v2(&head)?;
    // dim[0] is 6 (or 5 for a single-row file), dims 1–4 are 1
    let nd = h.dim[0];
    if !(5..=7).contains(&nd) || h.dim[1..5].iter().any(|&d| d != 1) {
        return Err(FormatError::Invalid(format!(
            "not a CIFTI-2 matrix: dim {:?}, intent code {} (CIFTI has dim[1..4] = 1, the matrix in dim[5] and dim[6], intent 3000–3099)",
            &h.dim[..nd.clamp(0, 7) as usize + 1],
            h.intent_code
        )));
    }
    let n0 = h.dim[5];
    let n1 = if nd >= 6 { h.dim[6] } else { 1 };
    if n0 <= 0 || n1 <= 0 || (nd == 7 && h.dim[7] != 1) {
        return Err(FormatError::Invalid(format!(
            "matrix dimensions {n0} × {n1} must be positive"
        )));
    }
    let (n0, n1) = (n0 as usize, n1 as usize);
    let (bpv, dtype_name) = nifti::dtype(h.datatype)?;
    let n = checked_product("CIFTI matrix", &[n0 as u64, n1 as u64])?;
    let nbytes = checked_product("CIFTI matrix", &[n, bpv as u64])?;
    if !(h.vox_offset.is_finite() && h.vox_offset >= 544.0 && h.vox_offset < 1e15) {
        return Err(FormatError::Invalid(format!(
            "vox_offset {} is not a valid data offset (a CIFTI-2 file has its XML before the data)",
            h.vox_offset
        )));
    }
    let offset = h.vox_offset as u64;
    if let Some(len) = file_len
        && offset.checked_add(nbytes).is_none_or(|end| end > len)
    {
        return Err(FormatError::Truncated(format!(
            "a {n0} × {n1} matrix of {dtype_name} needs {nbytes} bytes at offset {offset}, the file has {len}"
        )));
    }
    // the extensions: 4 bytes (extension[0] != 0), then (esize, ecode, data) up to vox_offset
    let ext_len = offset - 540;
    limits.check("CIFTI-2 header extensions", ext_len)?;
    let ext = read_exact_growing(&mut stream, ext_len, "NIfTI-2 extensions")?;
    let xml = cifti_extension(&ext, h.little_endian)?;
    let matrix_axes = parse_xml(xml, limits)?;
    let axes = assign_axes(matrix_axes, [n0, n1])?;
    validate(&axes)?;
    let spatial_both = axes[0].is_spatial() && axes[1].is_spatial();
    let data = match src {
        Source::File(p) if spatial_both => Matrix::Lazy(LazyMatrix {
            path: p.clone(),
            offset,
            datatype: h.datatype,
            little_endian: h.little_endian,
            scaling: h.scaling()?,
            shape: [n0, n1],
        }),
        _ => {
            limits.check("CIFTI matrix", nbytes)?;
            let native_f32 = h.datatype == 16 && h.little_endian == cfg!(target_endian = "little");
            let mut v = match file_len {
                // the size was checked against the file: read straight into the values
                Some(_) if native_f32 => {
                    let mut v = crate::huge_pages(vec![0f32; n as usize]);
                    stream
                        .read_exact(bytemuck::cast_slice_mut(&mut v))
                        .map_err(|e| FormatError::Truncated(format!("CIFTI matrix: {e}")))?;
                    v
                }
                _ => {
                    let raw = read_exact_growing(&mut stream, nbytes, "CIFTI matrix")?;
                    nifti::decode(&raw, h.datatype, h.little_endian)
                }
            };
            if let Some((slope, inter)) = h.scaling()? {
                use rayon::prelude::*;
                v.par_iter_mut()
                    .for_each(|x| *x = (*x as f64 * slope + inter) as f32);
            }
            use ndarray::ShapeBuilder;
            Matrix::Dense(
                ndarray::Array2::from_shape_vec((n0, n1).f(), v)
                    .map_err(|e| FormatError::Invalid(format!("CIFTI matrix: {e}")))?,
            )
        }
    };
    let c = Cifti {
        intent_code: h.intent_code,
        axes,
        data,
    };
    c.check_label_keys()?;
    Ok(c)
}

/// The XML of the CIFTI extension (code 32), trailing NULs removed.
fn cifti_extension(ext: &[u8], little: bool) -> Result<&[u8], FormatError> {
    if ext.len() < 4 || ext[0] == 0 {
        return Err(FormatError::Invalid(
            "no header extension: a NIfTI-2 file without the CIFTI-2 XML (extension code 32)"
                .into(),
        ));
    }
    let i32_at = |o: usize| {
        let a: [u8; 4] = ext[o..o + 4].try_into().unwrap();
        if little {
            i32::from_le_bytes(a)
        } else {
            i32::from_be_bytes(a)
        }
    };
    let mut at = 4usize;
    while at + 8 <= ext.len() {
        let (esize, ecode) = (i32_at(at), i32_at(at + 4));
        if esize < 8 || at + esize as usize > ext.len() {
            return Err(FormatError::Invalid(format!(
                "header extension at byte {} has size {esize}, past the data offset",
                540 + at
            )));
        }
        if ecode == 32 {
            let body = &ext[at + 8..at + esize as usize];
            let end = body.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            return Ok(&body[..end]);
        }
        at += esize as usize;
    }
    Err(FormatError::Invalid(
        "no CIFTI-2 XML among the header extensions (code 32)".into(),
    ))
}

/// A small element tree of the XML (attributes, text, children).
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, k: &str) -> Result<&str, FormatError> {
        self.attr(k)
            .ok_or_else(|| FormatError::Invalid(format!("<{}> has no {k} attribute", self.name)))
    }

    fn number<T: std::str::FromStr>(&self, k: &str) -> Result<T, FormatError> {
        let v = self.need(k)?;
        v.trim().parse().map_err(|_| {
            FormatError::Invalid(format!("<{}> {k}=\"{v}\" is not a number", self.name))
        })
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn parse_tree(xml: &[u8], limits: &Limits) -> Result<Node, FormatError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buf = Vec::new();
    let mut nodes = 0u64;
    let xml_err = |e: quick_xml::Error| FormatError::Invalid(format!("CIFTI XML: {e}"));
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(xml_err)?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                nodes += 1;
                limits.check("CIFTI XML elements", nodes * 64)?;
                if stack.len() > MAX_DEPTH {
                    return Err(FormatError::Invalid(format!(
                        "CIFTI XML nested deeper than {MAX_DEPTH} levels"
                    )));
                }
                let mut node = Node {
                    name: e.name().as_ref().to_string(),
                    ..Node::default()
                };
                for a in e.attributes() {
                    let a =
                        a.map_err(|e| FormatError::Invalid(format!("CIFTI XML attribute: {e}")))?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| FormatError::Invalid(format!("CIFTI XML attribute: {e}")))?;
                    node.attrs
                        .push((a.key.as_ref().to_string(), v.into_owned()));
                }
                if matches!(ev, Event::Empty(_)) {
                    stack.last_mut().expect("root").children.push(node);
                } else {
                    stack.push(node);
                }
            }
            Event::Text(t) => {
                let s = t.into_inner();
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::CData(t) => {
                let s = t.into_inner();
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let raw = format!("&{};", r.into_inner());
                let s = quick_xml::escape::unescape(&raw)
                    .map_err(|e| FormatError::Invalid(format!("CIFTI XML entity {raw}: {e}")))?
                    .into_owned();
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_string();
                if stack.len() < 2 || stack.last().is_some_and(|n| n.name != name) {
                    return Err(FormatError::Invalid(format!(
                        "CIFTI XML: </{name}> closes nothing open"
                    )));
                }
                let done = stack.pop().expect("checked");
                stack.last_mut().expect("root").children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if stack.len() != 1 {
        return Err(FormatError::Invalid(format!(
            "CIFTI XML ends inside <{}> (cut short?)",
            stack.last().map_or("", |n| n.name.as_str())
        )));
    }
    let mut root = stack.pop().expect("root");
    root.children
        .pop()
        .filter(|c| c.name == "CIFTI")
        .ok_or_else(|| FormatError::Invalid("the extension's XML has no <CIFTI> element".into()))
}

/// (dimensions it applies to, axis) of each MatrixIndicesMap.
fn parse_xml(xml: &[u8], limits: &Limits) -> Result<Vec<(Vec<usize>, Axis)>, FormatError> {
    let root = parse_tree(xml, limits)?;
    let version = root.attr("Version").unwrap_or("");
    if !version.starts_with('2') {
        return Err(FormatError::Unsupported(format!(
            "CIFTI version {version:?} (only CIFTI-2 is read)"
        )));
    }
    let matrix = root
        .child("Matrix")
        .ok_or_else(|| FormatError::Invalid("<CIFTI> has no <Matrix>".into()))?;
    let mut out = Vec::new();
    for m in matrix.all("MatrixIndicesMap") {
        let dims: Vec<usize> = m
            .need("AppliesToMatrixDimension")?
            .split(',')
            .map(|d| {
                d.trim().parse().map_err(|_| {
                    FormatError::Invalid(format!("AppliesToMatrixDimension {d:?} is not a number"))
                })
            })
            .collect::<Result<_, _>>()?;
        let ty = m.need("IndicesMapToDataType")?;
        let axis = match ty {
            "CIFTI_INDEX_TYPE_BRAIN_MODELS" => Axis::BrainModels(brain_models(m)?),
            "CIFTI_INDEX_TYPE_SCALARS" => {
                Axis::Scalars(m.all("NamedMap").map(map_name).collect::<Result<_, _>>()?)
            }
            "CIFTI_INDEX_TYPE_LABELS" => {
                Axis::Labels(m.all("NamedMap").map(label_map).collect::<Result<_, _>>()?)
            }
            "CIFTI_INDEX_TYPE_SERIES" => Axis::Series(Series {
                length: m.number("NumberOfSeriesPoints")?,
                start: m.number("SeriesStart")?,
                step: m.number("SeriesStep")?,
                exponent: m.number("SeriesExponent")?,
                unit: m.need("SeriesUnit")?.to_string(),
            }),
            "CIFTI_INDEX_TYPE_PARCELS" => Axis::Parcels(parcels(m)?),
            t => {
                return Err(FormatError::Unsupported(format!("CIFTI index type {t}")));
            }
        };
        out.push((dims, axis));
    }
    Ok(out)
}

fn map_name(n: &Node) -> Result<String, FormatError> {
    Ok(n.child("MapName")
        .map(|m| m.text.trim().to_string())
        .unwrap_or_default())
}

fn label_map(n: &Node) -> Result<LabelMap, FormatError> {
    let mut table = Vec::new();
    if let Some(t) = n.child("LabelTable") {
        for l in t.all("Label") {
            let c = |k: &str| -> Result<f32, FormatError> { l.number(k) };
            table.push(LabelEntry {
                key: l.number("Key")?,
                name: l.text.trim().to_string(),
                rgba: [c("Red")?, c("Green")?, c("Blue")?, c("Alpha")?],
            });
        }
    }
    Ok(LabelMap {
        name: map_name(n)?,
        table,
    })
}

fn numbers<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, FormatError> {
    text.split_ascii_whitespace()
        .map(|w| {
            w.parse()
                .map_err(|_| FormatError::Invalid(format!("{what}: {w:?} is not an index")))
        })
        .collect()
}

fn ijk(text: &str, what: &str) -> Result<Vec<[u32; 3]>, FormatError> {
    let v: Vec<u32> = numbers(text, what)?;
    if !v.len().is_multiple_of(3) {
        return Err(FormatError::Invalid(format!(
            "{what}: {} numbers is not a list of (i, j, k)",
            v.len()
        )));
    }
    Ok(v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
}

fn volume_space(m: &Node) -> Result<Option<VolumeSpace>, FormatError> {
    let Some(v) = m.child("Volume") else {
        return Ok(None);
    };
    let dims: Vec<usize> = v
        .need("VolumeDimensions")?
        .split(',')
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| FormatError::Invalid("VolumeDimensions is not three numbers".into()))?;
    if dims.len() != 3 || dims.contains(&0) {
        return Err(FormatError::Invalid(format!(
            "VolumeDimensions {dims:?} is not three positive numbers"
        )));
    }
    let t = v
        .child("TransformationMatrixVoxelIndicesIJKtoXYZ")
        .ok_or_else(|| {
            FormatError::Invalid("<Volume> has no TransformationMatrixVoxelIndicesIJKtoXYZ".into())
        })?;
    let exp: i32 = t.number("MeterExponent")?;
    let vals: Vec<f64> = numbers(&t.text, "TransformationMatrixVoxelIndicesIJKtoXYZ")?;
    if vals.len() != 16 || vals.iter().any(|v| !v.is_finite()) {
        return Err(FormatError::Invalid(format!(
            "TransformationMatrixVoxelIndicesIJKtoXYZ has {} finite numbers, not 16",
            vals.iter().filter(|v| v.is_finite()).count()
        )));
    }
    // to millimetres (MeterExponent −3 is mm); the last row stays as given
    let k = 10f64.powi(exp + 3);
    let mut affine = [[0.0; 4]; 4];
    for r in 0..4 {
        for c in 0..4 {
            affine[r][c] = vals[4 * r + c] * if r < 3 { k } else { 1.0 };
        }
    }
    Ok(Some(VolumeSpace {
        dims: [dims[0], dims[1], dims[2]],
        affine,
    }))
}

fn brain_models(m: &Node) -> Result<BrainModels, FormatError> {
    let volume = volume_space(m)?;
    let mut models = Vec::new();
    for b in m.all("BrainModel") {
        let structure = b.need("BrainStructure")?.to_string();
        let offset: usize = b.number("IndexOffset")?;
        let count: usize = b.number("IndexCount")?;
        let kind = match b.need("ModelType")? {
            "CIFTI_MODEL_TYPE_SURFACE" => {
                let n_vertices: usize = b.number("SurfaceNumberOfVertices")?;
                let vertices: Vec<u32> = match b.child("VertexIndices") {
                    Some(v) => numbers(&v.text, "VertexIndices")?,
                    // no list: the model is the whole surface
                    None => (0..count as u32).collect(),
                };
                ModelKind::Surface {
                    n_vertices,
                    vertices,
                }
            }
            "CIFTI_MODEL_TYPE_VOXELS" => ModelKind::Voxels(ijk(
                &b.child("VoxelIndicesIJK")
                    .map(|v| v.text.clone())
                    .unwrap_or_default(),
                "VoxelIndicesIJK",
            )?),
            t => return Err(FormatError::Unsupported(format!("CIFTI model type {t}"))),
        };
        models.push(BrainModel {
            structure,
            offset,
            count,
            kind,
        });
    }
    let length = models.iter().map(|m| m.offset + m.count).max().unwrap_or(0);
    Ok(BrainModels {
        models,
        volume,
        length,
    })
}

fn parcels(m: &Node) -> Result<Parcels, FormatError> {
    let volume = volume_space(m)?;
    let surfaces = m
        .all("Surface")
        .map(|s| {
            Ok((
                s.need("BrainStructure")?.to_string(),
                s.number::<usize>("SurfaceNumberOfVertices")?,
            ))
        })
        .collect::<Result<Vec<_>, FormatError>>()?;
    let parcels = m
        .all("Parcel")
        .map(|p| {
            Ok(Parcel {
                name: p.need("Name")?.to_string(),
                vertices: p
                    .all("Vertices")
                    .map(|v| {
                        Ok((
                            v.need("BrainStructure")?.to_string(),
                            numbers(&v.text, "Vertices")?,
                        ))
                    })
                    .collect::<Result<_, FormatError>>()?,
                voxels: match p.child("VoxelIndicesIJK") {
                    Some(v) => ijk(&v.text, "VoxelIndicesIJK")?,
                    None => Vec::new(),
                },
            })
        })
        .collect::<Result<Vec<_>, FormatError>>()?;
    Ok(Parcels {
        parcels,
        surfaces,
        volume,
    })
}

/// Place each map on the dimensions it applies to; each dimension needs exactly one, of the
/// matrix's length.
fn assign_axes(maps: Vec<(Vec<usize>, Axis)>, shape: [usize; 2]) -> Result<[Axis; 2], FormatError> {
    let mut slots: [Option<Axis>; 2] = [None, None];
    for (dims, axis) in maps {
        for d in dims {
            let slot = slots.get_mut(d).ok_or_else(|| {
                FormatError::Invalid(format!(
                    "a MatrixIndicesMap applies to dimension {d}; the matrix has 2"
                ))
            })?;
            if slot.is_some() {
                return Err(FormatError::Invalid(format!(
                    "two MatrixIndicesMaps apply to dimension {d}"
                )));
            }
            *slot = Some(axis.clone());
        }
    }
    let [a, b] = slots;
    let axes = [
        a.ok_or_else(|| FormatError::Invalid("no MatrixIndicesMap for dimension 0".into()))?,
        b.ok_or_else(|| FormatError::Invalid("no MatrixIndicesMap for dimension 1".into()))?,
    ];
    for (d, ax) in axes.iter().enumerate() {
        if ax.len() != shape[d] {
            return Err(FormatError::Invalid(format!(
                "dimension {d} ({}) has {} entries in the XML but {} in the data",
                ax.kind(),
                ax.len(),
                shape[d]
            )));
        }
    }
    Ok(axes)
}

fn validate(axes: &[Axis; 2]) -> Result<(), FormatError> {
    let in_volume = |v: &[[u32; 3]], space: &Option<VolumeSpace>, what: &str| {
        if v.is_empty() {
            return Ok(());
        }
        let Some(space) = space else {
            return Err(FormatError::Invalid(format!(
                "{what} has voxels but the map has no <Volume>"
            )));
        };
        match v
            .iter()
            .find(|ijk| (0..3).any(|k| ijk[k] as usize >= space.dims[k]))
        {
            Some(bad) => Err(FormatError::Invalid(format!(
                "{what}: voxel {bad:?} is outside the {:?} volume",
                space.dims
            ))),
            None => Ok(()),
        }
    };
    for ax in axes {
        match ax {
            Axis::BrainModels(b) => {
                let mut at = 0usize;
                let mut sorted: Vec<&BrainModel> = b.models.iter().collect();
                sorted.sort_by_key(|m| m.offset);
                for m in sorted {
                    if m.offset != at {
                        return Err(FormatError::Invalid(format!(
                            "BrainModel {} starts at index {}, expected {at} (models must tile the dimension)",
                            m.structure, m.offset
                        )));
                    }
                    let n = match &m.kind {
                        ModelKind::Surface {
                            n_vertices,
                            vertices,
                        } => {
                            if let Some(v) = vertices.iter().find(|&&v| v as usize >= *n_vertices) {
                                return Err(FormatError::Invalid(format!(
                                    "BrainModel {}: vertex {v} is past its surface's {n_vertices} vertices",
                                    m.structure
                                )));
                            }
                            vertices.len()
                        }
                        ModelKind::Voxels(v) => {
                            in_volume(v, &b.volume, &m.structure)?;
                            v.len()
                        }
                    };
                    if n != m.count {
                        return Err(FormatError::Invalid(format!(
                            "BrainModel {}: IndexCount {} but {n} indices listed",
                            m.structure, m.count
                        )));
                    }
                    at += m.count;
                }
            }
            Axis::Parcels(p) => {
                for parcel in &p.parcels {
                    for (s, v) in &parcel.vertices {
                        let n = p
                            .surfaces
                            .iter()
                            .find(|(name, _)| name == s)
                            .map(|x| x.1)
                            .ok_or_else(|| {
                                FormatError::Invalid(format!(
                                    "parcel {}: structure {s} has no <Surface>",
                                    parcel.name
                                ))
                            })?;
                        if let Some(bad) = v.iter().find(|&&x| x as usize >= n) {
                            return Err(FormatError::Invalid(format!(
                                "parcel {}: vertex {bad} is past {s}'s {n} vertices",
                                parcel.name
                            )));
                        }
                    }
                    in_volume(
                        &parcel.voxels,
                        &p.volume,
                        &format!("parcel {}", parcel.name),
                    )?;
                }
            }
            Axis::Series(s) if !(s.start.is_finite() && s.step.is_finite()) => {
                return Err(FormatError::Invalid(
                    "SeriesStart/SeriesStep must be finite".into(),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

impl Cifti {
    /// `dscalar`, `dtseries`, `dlabel`, `pscalar`, `ptseries`, `dconn`, …
    pub fn kind(&self) -> &'static str {
        kind_of(&self.axes)
    }

    /// nibabel's intent name of the header's code.
    pub fn intent_name(&self) -> &'static str {
        INTENTS
            .iter()
            .find(|(c, _)| *c == self.intent_code)
            .map_or("unknown", |(_, n)| n)
    }

    /// The loaded matrix of a map/series file (`None` for a lazily read connectome).
    pub fn dense(&self) -> Option<&ndarray::Array2<f32>> {
        match &self.data {
            Matrix::Dense(a) => Some(a),
            Matrix::Lazy(_) => None,
        }
    }

    /// The vertex count a structure's surface must have (from the spatial axes), if any
    /// dimension indexes it.
    pub fn surface_vertices(&self, structure: &str) -> Option<usize> {
        self.axes.iter().find_map(|ax| match ax {
            Axis::BrainModels(b) => b.models.iter().find_map(|m| match &m.kind {
                ModelKind::Surface { n_vertices, .. } if m.structure == structure => {
                    Some(*n_vertices)
                }
                _ => None,
            }),
            Axis::Parcels(p) => p.surfaces.iter().find(|(s, _)| s == structure).map(|x| x.1),
            _ => None,
        })
    }

    /// The hemispheres with cortical data.
    pub fn hemispheres(&self) -> Vec<Hemisphere> {
        [Hemisphere::Left, Hemisphere::Right]
            .into_iter()
            .filter(|h| self.surface_vertices(cortex(*h)).is_some())
            .collect()
    }

    /// The maps or series points of a dense or parcel file on a hemisphere's vertices: one
    /// frame per index of dimension 0, NaN where the file has no value (the medial wall).
    /// `None` when the file has no data for that hemisphere or is a connectome.
    pub fn surface_overlay(&self, h: Hemisphere) -> Option<Overlay> {
        let data = self.dense()?;
        if self.axes[0].is_spatial() {
            return None;
        }
        let structure = cortex(h);
        let nv = self.surface_vertices(structure)?;
        let frames = data.nrows();
        let mut values = vec![f32::NAN; nv * frames];
        for (col, v) in self.axes[1].vertices(structure) {
            for f in 0..frames {
                values[f * nv + v as usize] = data[[f, col]];
            }
        }
        let mut o = Overlay::new(nv, frames, values);
        if let Axis::Series(s) = &self.axes[0]
            && s.unit.eq_ignore_ascii_case("SECOND")
        {
            let (start, step) = s.si();
            o.tr_seconds = Some(step as f32);
            o.t0_seconds = Some(start as f32);
        }
        Some(o)
    }

    /// Map `map` of a label file on a hemisphere's vertices, with its table's names and colours
    /// (vertices outside the model: no region).
    pub fn surface_labels(&self, h: Hemisphere, map: usize) -> Option<Labels> {
        let Axis::Labels(maps) = &self.axes[0] else {
            return None;
        };
        let table = &maps.get(map)?.table;
        let data = self.dense()?;
        let nv = self.surface_vertices(cortex(h))?;
        let regions: Vec<Region> = table
            .iter()
            .map(|e| Region {
                name: e.name.clone(),
                index: e.key,
                rgba: e.rgba.map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8),
            })
            .collect();
        let mut region_of = vec![-1i32; nv];
        for (col, v) in self.axes[1].vertices(cortex(h)) {
            let key = data[[map, col]] as i32;
            region_of[v as usize] = table
                .iter()
                .position(|e| e.key == key)
                .map_or(-1, |p| p as i32);
        }
        Some(Labels {
            vertex_ids: None,
            region_of,
            regions,
            values: None,
        })
    }

    /// The voxel part as a volume (one frame per index of dimension 0, NaN outside the voxel
    /// models or parcels); `None` without voxels.
    pub fn volume(&self) -> Option<Volume> {
        let data = self.dense()?;
        if self.axes[0].is_spatial() {
            return None;
        }
        let (space, voxels): (&VolumeSpace, Vec<(usize, [u32; 3])>) = match &self.axes[1] {
            Axis::BrainModels(b) => (
                b.volume.as_ref()?,
                b.models
                    .iter()
                    .flat_map(|m| match &m.kind {
                        ModelKind::Voxels(v) => v
                            .iter()
                            .enumerate()
                            .map(|(k, ijk)| (m.offset + k, *ijk))
                            .collect::<Vec<_>>(),
                        ModelKind::Surface { .. } => Vec::new(),
                    })
                    .collect(),
            ),
            Axis::Parcels(p) => (
                p.volume.as_ref()?,
                p.parcels
                    .iter()
                    .enumerate()
                    .flat_map(|(i, parcel)| parcel.voxels.iter().map(move |v| (i, *v)))
                    .collect(),
            ),
            _ => return None,
        };
        if voxels.is_empty() {
            return None;
        }
        let [x, y, z] = space.dims;
        let frames = data.nrows();
        // file order (the first index fastest), as `Volume::array` takes it
        let mut values = vec![f32::NAN; x * y * z * frames];
        for (col, [i, j, k]) in voxels {
            let at = i as usize + x * (j as usize + y * k as usize);
            for f in 0..frames {
                values[at + f * x * y * z] = data[[f, col]];
            }
        }
        let a = space.affine;
        let voxel_size_mm = std::array::from_fn(|c| {
            (a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]).sqrt()
        });
        let tr_seconds = match &self.axes[0] {
            Axis::Series(s) if s.unit.eq_ignore_ascii_case("SECOND") => Some(s.si().1 as f32),
            _ => None,
        };
        let mut shape = vec![x, y, z];
        if frames > 1 {
            shape.push(frames);
        }
        Some(Volume {
            data: Volume::array(&shape, values).ok()?,
            shape,
            voxel_size_mm,
            affine: a,
            dtype: "float32".into(),
            tr_seconds,
        })
    }

    /// A label file whose data holds a key its map's table lacks is refused (one line: map,
    /// key, index).
    fn check_label_keys(&self) -> Result<(), FormatError> {
        let (Axis::Labels(maps), Some(data)) = (&self.axes[0], self.dense()) else {
            return Ok(());
        };
        for (m, map) in maps.iter().enumerate() {
            for (col, v) in data.row(m).iter().enumerate() {
                let key = *v as i32;
                if *v != key as f32 || !map.table.iter().any(|e| e.key == key) {
                    return Err(FormatError::Invalid(format!(
                        "label map {:?}: value {v} at index {col} is not a key of its label table",
                        map.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Is `src` a NIfTI-2 file with a CIFTI intent code? (reads the 540-byte header only)
pub fn sniff(src: &Source) -> bool {
    let Ok((mut s, _)) = src.open() else {
        return false;
    };
    let mut b = vec![0u8; 540];
    if s.read_exact(&mut b).is_err() {
        return false;
    }
    nifti::header_v2(&b).is_ok_and(|h| is_cifti_intent(h.intent_code))
}
