//! `cortexplorer.Subject`: a subject's surfaces, retinotopy and scanner transform — the scene
//! `plan --subject` builds, without a window.

use std::path::PathBuf;

use cortexplorer_core::brain::scene::Scene;
use cortexplorer_core::brain::surface::SurfaceKind;
use cortexplorer_core::brain::{Hemisphere, fsaverage5, subject};
use cortexplorer_core::percept::resolve;
use std::sync::OnceLock;

use cortexplorer_core::percept::phosphene::Phosphene;
use cortexplorer_core::percept::surface::{self, SurfaceRetinotopy};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayLike2};
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
    /// the located retinotopy of each hemisphere, built on first use (RAS percepts)
    maps: OnceLock<Result<(Vec<SurfaceRetinotopy>, String), String>>,
}

impl Subject {
    pub(crate) fn new(scene: Scene) -> Subject {
        Subject {
            scene,
            maps: OnceLock::new(),
        }
    }

    /// Each hemisphere's located retinotopy and the note naming its maps (built once).
    fn located(&self) -> Result<&(Vec<SurfaceRetinotopy>, String), String> {
        self.maps
            .get_or_init(|| surface::scene_maps(&self.scene))
            .as_ref()
            .map_err(|e| e.clone())
    }
}

/// Phosphene columns of RAS electrodes: x, y, sigma, brightness (NaN without one), in V1,
/// distance to the cortex (mm), hemisphere ("lh"/"rh", "" off the cortex).
type RasColumns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<f64>>,
    Vec<&'static str>,
);

pub(crate) fn parse_hemi(s: &str) -> PyResult<Hemisphere> {
    match s.to_ascii_lowercase().as_str() {
        "lh" | "left" | "l" => Ok(Hemisphere::Left),
        "rh" | "right" | "r" => Ok(Hemisphere::Right),
        _ => Err(value_error(format!(
            "hemisphere {s:?}: expected 'lh' or 'rh'"
        ))),
    }
}

pub(crate) fn hemi_name(h: Hemisphere) -> &'static str {
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
    Ok(Subject::new(scene))
}

#[pymethods]
impl Subject {
    /// The embedded fsaverage5 (both hemispheres: pial, white, inflated, sphere; curvature).
    #[staticmethod]
    fn fsaverage5(py: Python<'_>) -> PyResult<Subject> {
        let scene = py.detach(fsaverage5::scene).map_err(format_error)?;
        Ok(Subject::new(scene))
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

    /// Vertices per hemisphere, e.g. {"lh": 10242, "rh": 10242} (what an overlay must match).
    #[getter]
    fn n_vertices(&self) -> std::collections::BTreeMap<&'static str, usize> {
        self.scene
            .hemis
            .iter()
            .map(|(&h, g)| (hemi_name(h), g.n_vertices()))
            .collect()
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

    /// Phosphenes of electrodes at RAS positions (n, 3) in the subject's export space (scanner
    /// RAS when it has `mri/orig.mgz`, as plans are exported; else surface RAS), located on
    /// its pial surfaces in depth down to white, read through each hemisphere's own maps (else
    /// the template): `percept --map surface --subject`. `model` "scoreboard" (stimulus =
    /// amplitude) or "dynaphos" (µA). Returns x, y, sigma, brightness (NaN without a
    /// phosphene), whether in V1, the distance to the cortex (mm) and the hemisphere.
    #[pyo3(signature = (points, stimulus, model = "scoreboard", rho_um = 200.0))]
    fn phosphenes_ras<'py>(
        &self,
        py: Python<'py>,
        points: PyArrayLike2<'py, f64, AllowTypeChange>,
        stimulus: PyArrayLike1<'py, f64, AllowTypeChange>,
        model: &str,
        rho_um: f64,
    ) -> PyResult<RasColumns<'py>> {
        let (a, st) = (points.as_array(), stimulus.as_array());
        if a.ncols() != 3 || st.len() != a.nrows() {
            return Err(value_error(format!(
                "points (n, 3) and stimulus (n,) expected, got {:?} and {:?}",
                a.shape(),
                st.shape()
            )));
        }
        let model = crate::percept::model_named(model, rho_um)?;
        let pts: Vec<[f64; 3]> = a.rows().into_iter().map(|r| [r[0], r[1], r[2]]).collect();
        let stim = st.to_vec();
        if let Some(i) = (0..pts.len()).find(|&i| {
            !(pts[i].iter().all(|c| c.is_finite()) && stim[i].is_finite() && stim[i] >= 0.0)
        }) {
            return Err(value_error(format!(
                "electrode {i}: position and stimulus must be finite, stimulus ≥ 0"
            )));
        }
        type Row = (Option<Phosphene>, f64, &'static str);
        let rows: Vec<Row> = py
            .detach(|| -> Result<Vec<Row>, String> {
                let (maps, _) = self.located()?;
                Ok(pts
                    .iter()
                    .zip(&stim)
                    .map(|(&p, &s)| {
                        let q = match &self.scene.subject {
                            Some(info) => info.from_scanner(p),
                            None => p,
                        };
                        match surface::locate_any(maps, q) {
                            None => (None, f64::INFINITY, ""),
                            Some((i, hit)) => {
                                let hemi = hemi_name(maps[i].hemi);
                                let p = hit.field.map(|f| {
                                    model.phosphene_with_magnification(f, hit.magnification, s)
                                });
                                (p, hit.distance_mm, hemi)
                            }
                        }
                    })
                    .collect())
            })
            .map_err(format_error)?;
        let phosphenes: Vec<Option<Phosphene>> = rows.iter().map(|r| r.0).collect();
        let (x, y, sigma, brightness, inside) = crate::percept::columns(py, &phosphenes);
        Ok((
            x,
            y,
            sigma,
            brightness,
            inside,
            rows.iter()
                .map(|r| r.1)
                .collect::<Vec<_>>()
                .into_pyarray(py),
            rows.iter().map(|r| r.2).collect(),
        ))
    }

    /// Which maps the RAS percepts read, per hemisphere (built on first use).
    #[getter]
    fn percept_maps(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.located().map(|(_, note)| note.clone()))
            .map_err(format_error)
    }
}
