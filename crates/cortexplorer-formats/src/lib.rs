//! # cortexplorer-formats
//!
//! Neuroimaging file readers and writers with their own plain data types — the nibabel of
//! Cortexplorer, usable by any Rust program: FreeSurfer surfaces, curv/morphometry, annot and
//! label files; MGH/MGZ; GIFTI (every encoding; there is no other GIFTI crate); NIfTI-1/2;
//! CIFTI-2; MNE `.stc`/`.w`; tractography (TCK, TRK, TRX); meshes (OBJ, PLY, STL, VTK polygons); recordings (EDF/BDF, BrainVision) and BIDS iEEG sidecars; NPY; CSV/TSV time series and tables; vessel graphs (VesselGraph CSV, Voreen, VTK, SWC);
//! electrode lists; captions; pictures; region matrices and node files. It knows nothing of
//! scenes, routing or planning. No Bevy, no egui.
//!
//! ```no_run
//! use cortexplorer_formats::{Content, load};
//!
//! let l = load(std::path::Path::new("lh.pial")).expect("readable surface");
//! if let Content::Surface(s) = l.content {
//!     println!("{} vertices, {} faces", s.vertices.len(), s.faces.len());
//! }
//! ```
//!
//! Every reader returns plain data from this crate ([`data`], [`surface`], [`vessels`],
//! [`weights`], [`regions`]) and follows the same rules:
//! declared sizes are validated against the file (or the [`Limits`]) before allocation,
//! indices against counts, and every failure is a [`ReadError`] whose message names the file
//! and the problem in one line. Values equal what nibabel 5 reads from the same file; the
//! tests compare against numbers nibabel produced (`tests/data/expected_nibabel.json`).
//!
//! Why hand-written FreeSurfer/MGH/GIFTI parsing: no GIFTI crate exists; `neuroformats`
//! (used in the tests as an independent writer/reader) sizes its buffers from unchecked header
//! counts and reads element by element, which misses both the robustness rule and the speed
//! target (FreeSurfer surfaces within 1.5× of the raw file read). NIfTI-1 headers are parsed by
//! the `nifti` crate; it has no NIfTI-2 support, so that 540-byte header is decoded here.

#![deny(unsafe_code)]

pub mod data;
mod hint;
pub mod regions;
pub mod surface;
pub mod vessels;
pub mod weights;

pub use data::{Labels, Overlay, Picture, Region, Stats, Volume};
pub use hint::huge_pages;
/// The N-dimensional arrays volumes, NPY arrays and routing weights are held in.
pub use ndarray;
pub use surface::{Hemisphere, Surface, SurfaceKind};

pub mod captions;
pub mod cifti;
pub mod electrodes;
pub mod freesurfer;
pub mod gif;
pub mod gifti;
pub mod ieeg;
pub mod meshes;
pub mod mgh;
pub mod nifti;
pub mod npy;
pub mod picture;
pub mod series_csv;
pub mod source;
pub mod stc;
pub mod swc;
pub mod tracts;
pub mod vesselgraph;
pub mod voreen;
pub mod vtk;

use std::path::Path;

pub use source::{Limits, Source};

/// What went wrong inside a file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("{0}")]
    Invalid(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<String> for FormatError {
    fn from(s: String) -> Self {
        FormatError::Invalid(s)
    }
}

/// A failed read: the file and the problem, printable as one line.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {source}")]
pub struct ReadError {
    pub file: String,
    #[source]
    pub source: FormatError,
}

impl ReadError {
    pub fn new(file: impl Into<String>, source: impl Into<FormatError>) -> ReadError {
        ReadError {
            file: file.into(),
            source: source.into(),
        }
    }
}

/// The supported formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    FreeSurferSurface,
    FreeSurferCurv,
    FreeSurferAnnot,
    FreeSurferLabel,
    Mgh,
    Gifti,
    Nifti1,
    Nifti2,
    /// CIFTI-2 (`.dscalar.nii`, `.dtseries.nii`, `.dlabel.nii`, …): NIfTI-2 with the CIFTI XML
    Cifti2,
    /// MNE source estimate `-lh.stc` / `-rh.stc`
    Stc,
    /// FreeSurfer/MNE `.w` values at vertices
    WFile,
    /// MRtrix tractography `.tck`
    Tck,
    /// TrackVis tractography `.trk`
    Trk,
    /// TRX tractography `.trx` (zip)
    Trx,
    /// EDF/EDF+/BDF recording
    Edf,
    /// BrainVision recording (`.vhdr` + data file)
    BrainVision,
    /// Wavefront `.obj` mesh
    Obj,
    /// PLY mesh (ASCII or binary)
    Ply,
    /// STL mesh (ASCII or binary)
    Stl,
    /// VesselGraph `*_nodes.csv` + `*_edges.csv`
    VesselGraphCsv,
    /// Voreen `.vvg` / `.vvg.gz`
    Voreen,
    /// legacy VTK polydata lines
    VtkPolyData,
    Swc,
    /// NumPy `.npy`, vertices × time
    Npy,
    /// `.csv`/`.tsv` table, vertices × time
    SeriesTable,
    /// `.tsv`/`.csv` with `vertex` (or `i j k`) and `caption` columns
    Captions,
    /// category names: `.json`, `.txt`, or a one-column / `name` column table
    CategoryNames,
    /// PNG or JPEG picture (gallery)
    Picture,
    /// BrainNet `.node` or TVB `centres.txt`
    Nodes,
    /// whitespace-separated N×N numbers (TVB `weights.txt`, `tract_lengths.txt`)
    MatrixText,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::FreeSurferSurface => "freesurfer_surface",
            Format::FreeSurferCurv => "freesurfer_curv",
            Format::FreeSurferAnnot => "freesurfer_annot",
            Format::FreeSurferLabel => "freesurfer_label",
            Format::Mgh => "mgh",
            Format::Gifti => "gifti",
            Format::Nifti1 => "nifti1",
            Format::Nifti2 => "nifti2",
            Format::Cifti2 => "cifti2",
            Format::Stc => "mne_stc",
            Format::WFile => "w",
            Format::Tck => "tck",
            Format::Trk => "trk",
            Format::Trx => "trx",
            Format::Edf => "edf",
            Format::BrainVision => "brainvision",
            Format::Obj => "obj",
            Format::Ply => "ply",
            Format::Stl => "stl",
            Format::VesselGraphCsv => "vesselgraph_csv",
            Format::Voreen => "voreen_vvg",
            Format::VtkPolyData => "vtk_polydata",
            Format::Swc => "swc",
            Format::Npy => "npy",
            Format::SeriesTable => "csv_table",
            Format::Captions => "captions_table",
            Format::CategoryNames => "category_names",
            Format::Picture => "picture",
            Format::Nodes => "region_nodes",
            Format::MatrixText => "matrix_text",
        }
    }
}

/// What a file holds once read.
#[derive(Clone, Debug)]
pub enum Content {
    Surface(Surface),
    Overlay(Overlay),
    Labels(Labels),
    Volume(Volume),
    Vessels(crate::vessels::VesselGraph),
    Captions(captions::CaptionTable),
    /// names of the categories of a selectivity input
    Categories(Vec<String>),
    Picture(crate::data::Picture),
    /// image-patch routing weights (`.npy` with 3 or 4 dimensions)
    RoutingWeights(crate::weights::PatchWeights),
    /// region ↔ region routing weights (N×N or T×N×N)
    RegionMatrix(crate::regions::RegionMatrix),
    /// region centres (BrainNet `.node`, TVB `centres.txt`)
    Nodes(crate::regions::Nodes),
    /// a CIFTI-2 file: grayordinate or parcel maps, series, labels or a connectome
    Cifti(Box<cifti::Cifti>),
    /// values at a hemisphere's source vertices over time (MNE `.stc`, `.w`)
    SourceEstimate(Box<stc::SourceEstimate>),
    /// streamlines in RAS mm (`.tck`, `.trk`, `.trx`)
    Tracts(Box<tracts::Tractogram>),
    /// a mesh that is not a hemisphere (`.obj`, `.ply`, `.stl`, VTK polygons)
    Mesh(Box<meshes::Mesh>),
    /// channels over time (EDF, BDF, BrainVision): the header; the samples stay on disk
    Recording(std::sync::Arc<ieeg::RecordingFile>),
}

impl Content {
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Surface(_) => "surface",
            Content::Overlay(_) => "overlay",
            Content::Labels(_) => "labels",
            Content::Volume(_) => "volume",
            Content::Vessels(_) => "vessel_graph",
            Content::Captions(_) => "captions",
            Content::Categories(_) => "category_names",
            Content::Picture(_) => "picture",
            Content::RoutingWeights(_) => "routing_weights",
            Content::RegionMatrix(_) => "region_matrix",
            Content::Nodes(_) => "region_nodes",
            Content::Cifti(_) => "cifti",
            Content::SourceEstimate(_) => "source_estimate",
            Content::Tracts(_) => "tractogram",
            Content::Mesh(_) => "mesh",
            Content::Recording(_) => "recording",
        }
    }
}

/// A loaded file with what could be learnt about it from its name and metadata.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub source: Source,
    pub format: Format,
    pub content: Content,
    pub hemisphere: Option<Hemisphere>,
    pub surface_kind: Option<SurfaceKind>,
    /// Short display name (file name without directories).
    pub name: String,
}

/// FreeSurfer per-vertex "morph" data names (`lh.curv`, `rh.thickness`, …).
const CURV_NAMES: &[&str] = &[
    "curv",
    "sulc",
    "thickness",
    "area",
    "volume",
    "jacobian_white",
    "avg_curv",
    "inflated.h",
    "inflated.k",
    "pial.h",
    "pial.k",
    "white.h",
    "white.k",
    "w-g.pct",
    "area.pial",
    "area.mid",
];

/// Decide the format from the name, then from the first bytes.
pub fn detect(src: &Source) -> Result<Format, FormatError> {
    let lower = src.file_name().to_ascii_lowercase();
    let name = lower.strip_suffix(".gz").unwrap_or(&lower);
    if name.ends_with(".gii") {
        return Ok(Format::Gifti);
    }
    if name.ends_with(".mgh") || name.ends_with(".mgz") {
        return Ok(Format::Mgh);
    }
    if name.ends_with(".annot") {
        return Ok(Format::FreeSurferAnnot);
    }
    if name.ends_with(".label") {
        return Ok(Format::FreeSurferLabel);
    }
    if name.ends_with(".nii") {
        // CIFTI-2 by its name or its intent code: never a 6-D volume
        if cifti::is_cifti_name(name) || cifti::sniff(src) {
            return Ok(Format::Cifti2);
        }
        return nifti::sniff_version(src);
    }
    if name.ends_with(".stc") {
        return Ok(Format::Stc);
    }
    if name.ends_with(".w") {
        return Ok(Format::WFile);
    }
    if name.ends_with(".tck") {
        return Ok(Format::Tck);
    }
    if name.ends_with(".trk") {
        return Ok(Format::Trk);
    }
    if name.ends_with(".trx") {
        return Ok(Format::Trx);
    }
    if name.ends_with(".obj") {
        return Ok(Format::Obj);
    }
    if name.ends_with(".edf") || name.ends_with(".bdf") {
        return Ok(Format::Edf);
    }
    if name.ends_with(".vhdr") {
        return Ok(Format::BrainVision);
    }
    if name.ends_with(".ply") {
        return Ok(Format::Ply);
    }
    if name.ends_with(".stl") {
        return Ok(Format::Stl);
    }
    if name.ends_with("_nodes.csv") || name.ends_with("_edges.csv") {
        return Ok(Format::VesselGraphCsv);
    }
    if name.ends_with(".vvg") {
        return Ok(Format::Voreen);
    }
    if name.ends_with(".vtk") {
        return Ok(Format::VtkPolyData);
    }
    if name.ends_with(".swc") {
        return Ok(Format::Swc);
    }
    if name.ends_with(".npy") {
        return Ok(Format::Npy);
    }
    if name.ends_with(".csv") || name.ends_with(".tsv") {
        return sniff_table(src, if name.ends_with(".csv") { b',' } else { b'\t' });
    }
    if name.ends_with(".node")
        || (name.ends_with(".txt") && (name.contains("centres") || name.contains("centers")))
    {
        return Ok(Format::Nodes);
    }
    let matrix_named = ["weights", "tract_lengths", "matrix", "connectivity"]
        .iter()
        .any(|k| name.contains(k));
    if name.ends_with(".txt") && (matrix_named || sniff_numeric_rows(src)?) {
        return Ok(Format::MatrixText);
    }
    if name.ends_with(".json") || name.ends_with(".txt") {
        return Ok(Format::CategoryNames);
    }
    if name.ends_with(".png") || name.ends_with(".jpg") || name.ends_with(".jpeg") {
        return Ok(Format::Picture);
    }
    // FreeSurfer binaries have no extension: decide by magic and name.
    let (mut stream, _) = src.open()?;
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut stream, 3), &mut head)?;
    if head.len() < 3 {
        return Err(FormatError::Truncated(
            "file is shorter than any magic number".into(),
        ));
    }
    let magic = ((head[0] as u32) << 16) | ((head[1] as u32) << 8) | head[2] as u32;
    // `lh.thickness`, also when renamed (`sub-01.lh.thickness`)
    let curv_named = name.ends_with(".curv")
        || CURV_NAMES.iter().any(|c| {
            name.strip_suffix(c)
                .is_some_and(|head| head.is_empty() || head.ends_with('.'))
        });
    match magic {
        freesurfer::TRIANGLE_MAGIC | freesurfer::NEW_QUAD_MAGIC => Ok(Format::FreeSurferSurface),
        freesurfer::CURV_MAGIC if curv_named => Ok(Format::FreeSurferCurv),
        freesurfer::CURV_MAGIC => Ok(Format::FreeSurferSurface), // quad surface
        _ if curv_named => Ok(Format::FreeSurferCurv),             // old-format curv
        _ => Err(FormatError::Unsupported(
            "unknown file type (expected .gii, .mgh/.mgz, .nii/.nii.gz, .npy, .csv/.tsv, .annot, .label, a vessel graph or a FreeSurfer surface/curv file)".into(),
        )),
    }
}

/// A text table is a caption table when its header names `vertex` (or `i j k`) and
/// `caption` columns, a list of category names when its header is `name`/`category`/`label`
/// or its first two rows are single words, and per-vertex values otherwise.
fn sniff_table(src: &Source, delimiter: u8) -> Result<Format, FormatError> {
    let (stream, _) = src.open()?;
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(stream, 64 << 10), &mut head)?;
    let text = String::from_utf8_lossy(&head);
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let cells = |l: &str| -> Vec<String> {
        l.split(delimiter as char)
            .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
            .collect()
    };
    let Some(first) = lines.next().map(cells) else {
        return Ok(Format::SeriesTable);
    };
    if captions::is_caption_header(&first) {
        return Ok(Format::Captions);
    }
    let word = |c: &[String]| c.len() == 1 && c[0].parse::<f64>().is_err() && !c[0].is_empty();
    let named = first
        .iter()
        .any(|h| h == "name" || h == "category" || h == "label");
    let second = lines.next().map(cells);
    if named && first.iter().all(|c| c.parse::<f64>().is_err())
        || word(&first) && second.as_deref().is_some_and(word)
    {
        return Ok(Format::CategoryNames);
    }
    Ok(Format::SeriesTable)
}

/// Does the first non-comment line hold two or more numbers (a matrix written as text)?
fn sniff_numeric_rows(src: &Source) -> Result<bool, FormatError> {
    let (stream, _) = src.open()?;
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(stream, 64 << 10), &mut head)?;
    let text = String::from_utf8_lossy(&head);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    Ok(first.is_some_and(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 2 && f.iter().all(|x| x.parse::<f64>().is_ok())
    }))
}

/// Read a file from disk with default limits.
pub fn load(path: &Path) -> Result<Loaded, ReadError> {
    load_source(Source::File(path.to_path_buf()), &Limits::default())
}

/// Read any supported source.
pub fn load_source(src: Source, limits: &Limits) -> Result<Loaded, ReadError> {
    load_source_with(src, limits, [1.0; 3])
}

/// Read any supported source; `voxel_mm` scales VesselGraph CSV coordinates and radii (given
/// in image voxels) to millimetres. Other formats are already in world units.
pub fn load_source_with(
    src: Source,
    limits: &Limits,
    voxel_mm: [f64; 3],
) -> Result<Loaded, ReadError> {
    load_source_progress(src, limits, voxel_mm, &|_| {})
}

/// As `load_source_with`, reporting progress (0..1) for formats read in parallel chunks
/// (VesselGraph CSV); other formats read fast enough to report nothing.
pub fn load_source_progress(
    src: Source,
    limits: &Limits,
    voxel_mm: [f64; 3],
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Loaded, ReadError> {
    let err = |e: FormatError| ReadError::new(src.display(), e);
    if let Source::File(p) = &src {
        source::regular_file(p).map_err(err)?;
    }
    let format = detect(&src).map_err(err)?;
    let name = src.file_name();
    let mut hemisphere = Hemisphere::guess(&name);
    let mut surface_kind = None;
    let content = match format {
        Format::FreeSurferSurface => {
            Content::Surface(freesurfer::read_surface(&src, limits).map_err(err)?)
        }
        Format::FreeSurferCurv => {
            Content::Overlay(freesurfer::read_curv(&src, limits).map_err(err)?)
        }
        Format::FreeSurferAnnot => {
            Content::Labels(freesurfer::read_annot(&src, limits).map_err(err)?)
        }
        Format::FreeSurferLabel => {
            Content::Labels(freesurfer::read_label(&src, limits).map_err(err)?)
        }
        Format::Mgh => mgh::read(&src, limits).map_err(err)?,
        Format::Nifti1 | Format::Nifti2 => nifti::read(&src, limits).map_err(err)?,
        Format::Cifti2 => Content::Cifti(Box::new(cifti::read(&src, limits).map_err(err)?)),
        Format::Stc => Content::SourceEstimate(Box::new(stc::read_stc(&src, limits).map_err(err)?)),
        Format::WFile => Content::SourceEstimate(Box::new(stc::read_w(&src, limits).map_err(err)?)),
        Format::Tck => Content::Tracts(Box::new(tracts::read_tck(&src, limits).map_err(err)?)),
        Format::Trk => Content::Tracts(Box::new(tracts::read_trk(&src, limits).map_err(err)?)),
        Format::Trx => Content::Tracts(Box::new(tracts::read_trx(&src, limits).map_err(err)?)),
        Format::Edf => Content::Recording(std::sync::Arc::new(ieeg::open_edf(&src).map_err(err)?)),
        Format::BrainVision => Content::Recording(std::sync::Arc::new(
            ieeg::open_brainvision(&src, limits).map_err(err)?,
        )),
        Format::Obj => Content::Mesh(Box::new(meshes::read_obj(&src, limits).map_err(err)?)),
        Format::Ply => Content::Mesh(Box::new(meshes::read_ply(&src, limits).map_err(err)?)),
        Format::Stl => Content::Mesh(Box::new(meshes::read_stl(&src, limits).map_err(err)?)),
        Format::Gifti => {
            let g = gifti::read(&src, limits).map_err(err)?;
            if hemisphere.is_none() {
                hemisphere = g.hemisphere();
            }
            g.into_content().map_err(err)?
        }
        Format::VesselGraphCsv => match &src {
            Source::File(p) => {
                Content::Vessels(vesselgraph::read_pair_with(p, voxel_mm, limits, progress)?)
            }
            _ => {
                return Err(err(FormatError::Unsupported(
                    "a VesselGraph CSV pair must be read from disk (nodes and edges files)".into(),
                )));
            }
        },
        Format::Voreen => Content::Vessels(
            voreen::parse(source::read_all(&src, limits).map_err(err)?).map_err(err)?,
        ),
        Format::VtkPolyData => {
            match vtk::parse_any(&source::read_all(&src, limits).map_err(err)?).map_err(err)? {
                vtk::Parsed::Vessels(g) => Content::Vessels(g),
                vtk::Parsed::Mesh(m) => Content::Mesh(m),
            }
        }
        Format::Swc => Content::Vessels(
            swc::parse(&source::read_all(&src, limits).map_err(err)?).map_err(err)?,
        ),
        Format::Npy => npy::read(&src, limits).map_err(err)?,
        Format::SeriesTable => series_csv::read(&src, limits).map_err(err)?,
        Format::Captions => captions::read(&src, limits).map_err(err)?,
        Format::CategoryNames => captions::read_names(&src, limits).map_err(err)?,
        Format::Picture => picture::read(&src, limits).map_err(err)?,
        Format::Nodes => {
            let b = source::read_all(&src, limits).map_err(err)?;
            Content::Nodes(
                crate::regions::Nodes::parse(&String::from_utf8_lossy(&b))
                    .map_err(|e| err(FormatError::Invalid(e)))?,
            )
        }
        Format::MatrixText => {
            let b = source::read_all(&src, limits).map_err(err)?;
            Content::RegionMatrix(
                crate::regions::RegionMatrix::parse_text(&String::from_utf8_lossy(&b))
                    .map_err(|e| err(FormatError::Invalid(e)))?,
            )
        }
    };
    if let Content::Surface(_) = content {
        surface_kind = Some(SurfaceKind::guess(&name));
    }
    Ok(Loaded {
        source: src,
        format,
        content,
        hemisphere,
        surface_kind,
        name,
    })
}

/// A parser's error message on one line, whitespace collapsed, at most `max_chars` characters
/// (then " …"): parsers that quote the offending line (TOML, XML) can quote a whole file.
pub fn one_line_message(message: &str, max_chars: usize) -> String {
    let mut line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = line.char_indices().nth(max_chars) {
        line.truncate(cut);
        line.push_str(" …");
    }
    line
}

/// Write a file atomically: to a temporary file in the same folder, flushed to disk, then
/// renamed over the target (and the folder flushed, so the rename is durable). A crash, a kill
/// or a full disk never leaves a half-written file behind: the previous file stays as it was.
/// The new file keeps the permissions of the one it replaces (else `rw-r--r--`).
///
/// A test hook, read from the environment: `CORTEXPLORER_TEST_FAULT` simulates a failing
/// disk: `disk-full` (ENOSPC half way through the data) or `read-only` (EROFS when the
/// temporary file is created).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_write_then(path, bytes, &|| {})
}

/// As [`atomic_write`], calling `before_rename` once the new file is on disk and not yet in
/// place (the session's kill-during-save test pauses there).
pub fn atomic_write_then(
    path: &Path,
    bytes: &[u8],
    before_rename: &dyn Fn(),
) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fault = std::env::var("CORTEXPLORER_TEST_FAULT").unwrap_or_default();
    if fault == "read-only" {
        return Err(std::io::Error::from_raw_os_error(30)); // EROFS
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".cortexplorer-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    if fault == "disk-full" {
        tmp.write_all(&bytes[..bytes.len() / 2])?;
        return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC; `tmp` is removed on drop
    }
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    before_rename();
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
