//! `cortexplorer.Subject`: a subject's surfaces, retinotopy and scanner transform — the scene
//! `plan --subject` builds, without a window.

use std::path::PathBuf;

use cortexplorer_core::brain::scene::Scene;
use cortexplorer_core::brain::surface::SurfaceKind;
use cortexplorer_core::brain::{Hemisphere, fsaverage5, subject};
use cortexplorer_core::percept::resolve;
use numpy::{AllowTypeChange, PyArray2, PyArrayLike2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::io::{Mesh, rows, surface_arrays};
use crate::{format_error, value_error};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Subject>()?;
    Ok(())
}

#[pyclass(module = "cortexplorer._core", frozen)]
pub struct Subject {
    pub(crate) scene: Scene,
}

pub(crate) fn parse_hemi(s: &str) -> PyResult<Hemisphere> {
    match s.to_ascii_lowercase().as_str() {
        "lh" | "left" | "l" => Ok(Hemisphere::Left),
        "rh" | "right" | "r" => Ok(Hemisphere::Right),
        _ => Err(value_error(format!(
            "hemisphere {s:?}: expected 'lh' or 'rh'"
        ))),
    }
}

fn hemi_name(h: Hemisphere) -> &'static str {
    match h {
        Hemisphere::Left => "lh",
        Hemisphere::Right => "rh",
    }
}

fn from_dir(py: Python<'_>, dir: PathBuf, want: &str) -> PyResult<Subject> {
    if !dir.is_dir() {
        return Err(format_error(format!("{}: not a folder", dir.display())));
    }
    let scene = py.detach(|| subject::scene(&dir)).map_err(format_error)?;
    let layout = scene.subject.as_ref().map_or("", |s| s.layout);
    if !want.is_empty() && layout != want {
        return Err(format_error(format!(
            "{}: a {layout} folder, not {want} (use Subject.from_{})",
            dir.display(),
            layout.to_ascii_lowercase()
        )));
    }
    Ok(Subject { scene })
}

#[pymethods]
impl Subject {
    /// The embedded fsaverage5 (both hemispheres: pial, white, inflated, sphere; curvature).
    #[staticmethod]
    fn fsaverage5(py: Python<'_>) -> PyResult<Subject> {
        let scene = py.detach(fsaverage5::scene).map_err(format_error)?;
        Ok(Subject { scene })
    }

    /// A FreeSurfer subject folder (`surf/`, `label/`, `mri/orig.mgz`; neuropythy's
    /// `benson14_*`/`inferred_*` maps when present).
    #[staticmethod]
    fn from_freesurfer(py: Python<'_>, path: PathBuf) -> PyResult<Subject> {
        from_dir(py, path, "FreeSurfer")
    }

    /// An fMRIPrep anatomical folder (`*_hemi-L_pial.surf.gii`, …).
    #[staticmethod]
    fn from_fmriprep(py: Python<'_>, path: PathBuf) -> PyResult<Subject> {
        from_dir(py, path, "fMRIPrep")
    }

    /// The subject folder, or None for the embedded fsaverage5.
    #[getter]
    fn path(&self) -> Option<String> {
        self.scene
            .subject
            .as_ref()
            .map(|s| s.path.display().to_string())
    }

    /// "lh" and/or "rh".
    #[getter]
    fn hemispheres(&self) -> Vec<&'static str> {
        self.scene.hemis.keys().map(|&h| hemi_name(h)).collect()
    }

    /// The space positions are exported in ("scanner RAS (…)" or "surface RAS").
    #[getter]
    fn coordinates(&self) -> String {
        cortexplorer_core::planning::plan::coordinates(&self.scene)
    }

    /// Which retinotopic maps each hemisphere's percepts and plans use (`auto`: its own maps,
    /// else the approximate template), by hemisphere.
    #[getter]
    fn retinotopy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for &h in self.scene.hemis.keys() {
            let note = match resolve::hemisphere(&self.scene, h, "auto", resolve::Need::Areas) {
                Ok(m) => m.source,
                Err(e) => format!("none: {e}"),
            };
            d.set_item(hemi_name(h), note)?;
        }
        Ok(d)
    }

    /// Files found and missing (what the viewer's status bar says).
    #[getter]
    fn summary(&self) -> String {
        self.scene
            .subject
            .as_ref()
            .map_or("fsaverage5 (embedded)".into(), |s| s.summary())
    }

    /// Vertices (float32, surface RAS mm) and faces (int32) of one surface of a hemisphere:
    /// kind "pial", "white", "inflated", "sphere", "sphere.reg", "midthickness", ….
    #[pyo3(signature = (hemi, kind = "pial"))]
    fn surface<'py>(&self, py: Python<'py>, hemi: &str, kind: &str) -> PyResult<Mesh<'py>> {
        let h = parse_hemi(hemi)?;
        let g = self
            .scene
            .hemis
            .get(&h)
            .ok_or_else(|| value_error(format!("the subject has no {hemi} hemisphere")))?;
        let (_, s) = g
            .surfaces
            .iter()
            .find(|(k, _)| k.label() == kind)
            .ok_or_else(|| {
                let have: Vec<&str> = g.surfaces.keys().map(|k: &SurfaceKind| k.label()).collect();
                value_error(format!(
                    "{hemi}: no {kind:?} surface (have {})",
                    have.join(", ")
                ))
            })?;
        Ok(surface_arrays(py, (**s).clone()))
    }

    /// Surface-RAS points (n, 3) in the subject's scanner RAS (mri/orig.mgz's transform; the
    /// space plans are exported in). Unchanged when the subject has no such transform.
    fn scanner_ras<'py>(
        &self,
        py: Python<'py>,
        points: PyArrayLike2<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let a = points.as_array();
        if a.ncols() != 3 {
            return Err(value_error(format!(
                "points: expected an (n, 3) array, got {:?}",
                a.shape()
            )));
        }
        let out: Vec<f64> = a
            .rows()
            .into_iter()
            .flat_map(|r| {
                let p = [r[0], r[1], r[2]];
                match &self.scene.subject {
                    Some(s) => s.to_scanner(p),
                    None => p,
                }
            })
            .collect();
        Ok(rows(py, out, 3))
    }

    fn __repr__(&self) -> String {
        format!("<Subject {}>", self.summary())
    }
}
