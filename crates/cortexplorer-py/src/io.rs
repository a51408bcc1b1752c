//! Readers: `cortexplorer.io` (shapes and dtypes as nibabel's functions return them).

use std::path::{Path, PathBuf};

use cortexplorer_core::brain::vessels::VesselIndex;
use cortexplorer_formats::{self as formats, Content, Limits, Source};
use ndarray::{Array2, Array4};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::{format_error, value_error};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_geometry, m)?)?;
    m.add_function(wrap_pyfunction!(read_morph_data, m)?)?;
    m.add_function(wrap_pyfunction!(read_annot, m)?)?;
    m.add_function(wrap_pyfunction!(read_label, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(load_vessels, m)?)?;
    m.add_class::<Vessels>()?;
    Ok(())
}

/// `file: problem`, the line the CLI prints.
fn named(path: &Path, e: impl std::fmt::Display) -> PyErr {
    format_error(format!("{}: {e}", path.display()))
}

/// A flat buffer as an (n, k) array, moved into numpy without a copy.
pub(crate) fn rows<T: numpy::Element>(
    py: Python<'_>,
    flat: Vec<T>,
    k: usize,
) -> Bound<'_, PyArray2<T>> {
    let n = flat.len() / k.max(1);
    Array2::from_shape_vec((n, k), flat)
        .expect("length is a multiple of the row size")
        .into_pyarray(py)
}

/// Vertices (float32) and faces (int32) of a surface.
pub(crate) type Mesh<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<i32>>);

/// Vertices and faces of a surface as nibabel's `read_geometry` returns them.
pub(crate) fn surface_arrays(py: Python<'_>, s: formats::Surface) -> Mesh<'_> {
    let mut s = s;
    let v: Vec<f32> = bytemuck::allocation::cast_vec(std::mem::take(&mut s.vertices));
    let f: Vec<u32> = bytemuck::allocation::cast_vec(std::mem::take(&mut s.faces));
    // face indices are checked against the vertex count (< 2^31 for any readable file)
    let f: Vec<i32> = bytemuck::allocation::cast_vec(f);
    (rows(py, v, 3), rows(py, f, 3))
}

/// Read a surface (FreeSurfer binary, GIFTI, or any mesh format the app opens).
#[pyfunction]
fn read_geometry(py: Python<'_>, path: PathBuf) -> PyResult<Mesh<'_>> {
    let loaded = py.detach(|| formats::load(&path)).map_err(format_error)?;
    match loaded.content {
        Content::Surface(s) => Ok(surface_arrays(py, s)),
        other => Err(named(
            &path,
            format!("not a surface (found {})", other.kind()),
        )),
    }
}

/// Per-vertex values of a FreeSurfer curv file (`lh.thickness`, `lh.curv`, …).
#[pyfunction]
fn read_morph_data(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray1<f32>>> {
    let o = py
        .detach(|| formats::freesurfer::read_curv(&Source::File(path.clone()), &Limits::default()))
        .map_err(|e| named(&path, e))?;
    Ok(o.values.into_pyarray(py))
}

/// `.annot`: labels (row of the colour table per vertex, -1 without one), the colour table
/// (rows r, g, b, transparency, annotation value) and the names (bytes), as nibabel.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn read_annot(
    py: Python<'_>,
    path: PathBuf,
) -> PyResult<(
    Bound<'_, PyArray1<i32>>,
    Bound<'_, PyArray2<i32>>,
    Bound<'_, PyList>,
)> {
    let l = py
        .detach(|| formats::freesurfer::read_annot(&Source::File(path.clone()), &Limits::default()))
        .map_err(|e| named(&path, e))?;
    // the colour table has a row per index (0..=max index), as nibabel builds it
    let n_rows = l
        .regions
        .iter()
        .map(|r| r.index.max(0) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut ctab = vec![0i32; n_rows * 5];
    for r in &l.regions {
        let row = &mut ctab[r.index.max(0) as usize * 5..][..5];
        let [red, g, b, a] = r.rgba.map(i32::from);
        row.copy_from_slice(&[red, g, b, 255 - a, red | g << 8 | b << 16]);
    }
    let labels: Vec<i32> = l
        .region_of
        .iter()
        .map(|&k| {
            if k < 0 {
                -1
            } else {
                l.regions[k as usize].index
            }
        })
        .collect();
    let names = PyList::new(
        py,
        l.regions
            .iter()
            .map(|r| PyBytes::new(py, r.name.as_bytes())),
    )?;
    Ok((labels.into_pyarray(py), rows(py, ctab, 5), names))
}

/// `.label`: the vertex numbers it lists (as nibabel's `read_label`).
#[pyfunction]
fn read_label(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let l = py
        .detach(|| formats::freesurfer::read_label(&Source::File(path.clone()), &Limits::default()))
        .map_err(|e| named(&path, e))?;
    let ids: Vec<i64> = l
        .vertex_ids
        .unwrap_or_default()
        .into_iter()
        .map(i64::from)
        .collect();
    Ok(ids.into_pyarray(py))
}

/// Any file the app opens, as a dict: `kind` and the arrays of that kind (see `_core.pyi`).
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let is_gifti = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".gii"));
    let d = PyDict::new(py);
    d.set_item("path", path.display().to_string())?;
    if is_gifti {
        // GIFTI keeps every data array with its intent, as nibabel's `darrays`
        let g = py
            .detach(|| formats::gifti::read(&Source::File(path.clone()), &Limits::default()))
            .map_err(|e| named(&path, e))?;
        d.set_item("kind", "gifti")?;
        d.set_item("meta", g.meta.into_iter().collect::<Vec<_>>())?;
        let arrays = PyList::empty(py);
        for a in g.arrays {
            let e = PyDict::new(py);
            e.set_item("intent", a.intent)?;
            e.set_item("dims", a.dims.clone())?;
            e.set_item("meta", a.meta)?;
            match a.values {
                formats::gifti::Values::Float(v) => e.set_item("data", v.into_pyarray(py))?,
                formats::gifti::Values::Int(v) => e.set_item("data", v.into_pyarray(py))?,
                formats::gifti::Values::Int64(v) => e.set_item("data", v.into_pyarray(py))?,
            }
            arrays.append(e)?;
        }
        d.set_item("arrays", arrays)?;
        let table = PyList::empty(py);
        for r in g.label_table {
            table.append((r.index, r.name, r.rgba))?;
        }
        d.set_item("label_table", table)?;
        return Ok(d);
    }
    let loaded = py.detach(|| formats::load(&path)).map_err(format_error)?;
    d.set_item("kind", loaded.content.kind())?;
    d.set_item("format", format!("{:?}", loaded.format))?;
    match loaded.content {
        Content::Surface(s) => {
            let (v, f) = surface_arrays(py, s);
            d.set_item("coords", v)?;
            d.set_item("faces", f)?;
        }
        Content::Overlay(o) => {
            d.set_item("n_vertices", o.n_vertices)?;
            d.set_item("n_frames", o.n_frames)?;
            d.set_item("tr_seconds", o.tr_seconds)?;
            d.set_item("t0_seconds", o.t0_seconds)?;
            d.set_item("units", o.units.clone())?;
            // [frame, vertex], the overlay's own layout
            d.set_item("data", rows(py, o.values, o.n_vertices))?;
        }
        Content::Volume(v) => {
            d.set_item("shape", v.shape.clone())?;
            d.set_item("affine", v.affine)?;
            d.set_item("dtype", v.dtype.clone())?;
            d.set_item("voxel_size_mm", v.voxel_size_mm)?;
            d.set_item("tr_seconds", v.tr_seconds)?;
            // [x, y, z, frame] in Fortran order: numpy keeps the strides (no copy)
            let a: Array4<f32> = v.data;
            d.set_item("data", a.into_pyarray(py))?;
        }
        Content::Labels(l) => {
            let region_of: Vec<i32> = l.region_of;
            d.set_item("region_of", region_of.into_pyarray(py))?;
            d.set_item(
                "vertex_ids",
                l.vertex_ids
                    .map(|v| v.into_iter().map(i64::from).collect::<Vec<_>>()),
            )?;
            let table = PyList::empty(py);
            for r in l.regions {
                table.append((r.index, r.name, r.rgba))?;
            }
            d.set_item("regions", table)?;
        }
        Content::Vessels(g) => {
            let n: Vec<f32> = bytemuck::allocation::cast_vec(g.nodes);
            let e: Vec<u32> = bytemuck::allocation::cast_vec(g.edges);
            d.set_item("nodes", rows(py, n, 3))?;
            d.set_item("edges", rows(py, e, 2))?;
            d.set_item("radius", g.radius.into_pyarray(py))?;
        }
        Content::Tracts(t) => {
            let t = *t;
            // streamlines concatenated, with where each starts (and the end), as TRX stores them
            let p: Vec<f32> = bytemuck::allocation::cast_vec(t.points);
            d.set_item("points", rows(py, p, 3))?;
            let offsets: Vec<u64> = t.offsets.iter().map(|&o| o as u64).collect();
            d.set_item("offsets", offsets.into_pyarray(py))?;
            let per = PyDict::new(py);
            for (n, v) in t.point_data {
                per.set_item(n, v.into_pyarray(py))?;
            }
            d.set_item("data_per_point", per)?;
            let per = PyDict::new(py);
            for (n, v) in t.streamline_data {
                per.set_item(n, v.into_pyarray(py))?;
            }
            d.set_item("data_per_streamline", per)?;
            let groups = PyDict::new(py);
            for (n, v) in t.groups {
                groups.set_item(n, v.into_pyarray(py))?;
            }
            d.set_item("groups", groups)?;
            d.set_item("affine", t.reference.map(|r| r.0))?;
            d.set_item("dimensions", t.reference.map(|r| r.1))?;
        }
        Content::Mesh(m) => {
            let m = *m;
            let (v, f) = surface_arrays(py, m.surface);
            d.set_item("coords", v)?;
            d.set_item("faces", f)?;
            let per = PyDict::new(py);
            for (n, v) in m.point_data {
                per.set_item(n, v.into_pyarray(py))?;
            }
            d.set_item("point_data", per)?;
        }
        Content::SourceEstimate(e) => {
            // MNE's layout: data (n_vertices, n_times), vertices, tmin, tstep
            let e = *e;
            d.set_item("vertices", e.vertices.into_pyarray(py))?;
            d.set_item("tmin", e.tmin)?;
            d.set_item("tstep", e.tstep)?;
            let data = e.data.reversed_axes();
            d.set_item("data", data.into_pyarray(py))?;
            d.set_item(
                "hemisphere",
                loaded.hemisphere.map(crate::subject::hemi_name),
            )?;
        }
        Content::Recording(file) => {
            // every sample, as pyedflib and MNE's preload give them
            let r = py
                .detach(|| file.load(&formats::Limits::default()))
                .map_err(|e| named(&path, e))?;
            let chans = PyList::empty(py);
            for c in r.channels {
                let e = PyDict::new(py);
                e.set_item("name", c.name)?;
                e.set_item("unit", c.unit)?;
                e.set_item("sampling_hz", c.sampling_hz)?;
                e.set_item("data", c.data.into_pyarray(py))?;
                chans.append(e)?;
            }
            d.set_item("channels", chans)?;
            d.set_item("start", r.start)?;
        }
        Content::Cifti(c) => {
            // the matrix as nibabel's get_fdata() ([dimension 0, dimension 1]); a connectome
            // stays on disk (tens of GB): its shape only
            let c = *c;
            d.set_item("intent_code", c.intent_code)?;
            d.set_item("shape", c.data.shape())?;
            match c.data {
                formats::cifti::Matrix::Dense(a) => d.set_item("data", a.into_pyarray(py))?,
                formats::cifti::Matrix::Lazy(_) => d.set_item("data", py.None())?,
            }
        }
        other => {
            return Err(named(
                &path,
                format!(
                    "{} files are not offered to Python yet (surfaces, meshes, per-vertex data, labels, volumes, GIFTI, CIFTI matrices, MNE estimates, tractograms, recordings and vessel graphs are)",
                    other.kind()
                ),
            ));
        }
    }
    Ok(d)
}

/// A vessel graph with its segment index (`cortexplorer.io.load_vessels`).
#[pyclass(module = "cortexplorer._core", frozen)]
pub struct Vessels {
    pub(crate) graph: formats::vessels::VesselGraph,
    index: VesselIndex,
    source: String,
}

#[pymethods]
impl Vessels {
    /// Distance (mm) from each point (n, 3) to the nearest vessel wall (negative inside a
    /// vessel; inf for an empty graph). Any array-like of numbers.
    fn distance<'py>(
        &self,
        py: Python<'py>,
        points_mm: PyArrayLike2<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let a = points_mm.as_array();
        if a.ncols() != 3 {
            return Err(value_error(format!(
                "points_mm: expected an (n, 3) array, got {:?}",
                a.shape()
            )));
        }
        let pts: Vec<[f32; 3]> = a
            .rows()
            .into_iter()
            .map(|r| [r[0] as f32, r[1] as f32, r[2] as f32])
            .collect();
        let out: Vec<f64> = py.detach(|| {
            self.index
                .nearest_many(&pts)
                .into_iter()
                .map(|h| h.map_or(f64::INFINITY, |h| h.distance_mm))
                .collect()
        });
        Ok(out.into_pyarray(py))
    }

    #[getter]
    fn nodes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        rows(py, self.graph.nodes.concat(), 3)
    }

    #[getter]
    fn edges<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        rows(py, self.graph.edges.concat(), 2)
    }

    #[getter]
    fn radius<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        self.graph.radius.clone().into_pyarray(py)
    }

    #[getter]
    fn source(&self) -> String {
        self.source.clone()
    }

    fn __len__(&self) -> usize {
        self.graph.edges.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Vessels {}: {} nodes, {} segments>",
            self.source,
            self.graph.nodes.len(),
            self.graph.edges.len()
        )
    }
}

impl Vessels {
    pub(crate) fn new(graph: formats::vessels::VesselGraph, source: String) -> Vessels {
        let index = VesselIndex::new(&graph);
        Vessels {
            graph,
            index,
            source,
        }
    }
}

/// A vessel graph (VesselGraph CSV, Voreen, VTK, SWC) with its spatial index.
#[pyfunction]
fn load_vessels(py: Python<'_>, path: PathBuf) -> PyResult<Vessels> {
    let loaded = py.detach(|| formats::load(&path)).map_err(format_error)?;
    match loaded.content {
        Content::Vessels(g) => Ok(py.detach(|| Vessels::new(g, path.display().to_string()))),
        other => Err(named(
            &path,
            format!("not a vessel graph (found {})", other.kind()),
        )),
    }
}
