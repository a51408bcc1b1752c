//! Sessions for the viewer (`cortexplorer.view`, `cortexplorer.screenshot`): a subject, overlays
//! computed in Python, vessels and a plan, written as the app writes a session (JSON and the
//! overlays as NPY beside it), so `cortexplorer view --session` / `render --session` open it.

use std::path::PathBuf;

use cortexplorer_core::brain::paint::OverlayStyle;
use cortexplorer_core::brain::scene::Scene;
use cortexplorer_core::planning::plan::SavedPlan;
use cortexplorer_core::session::{self, PlanSession, Session};
use ndarray::Array3;
use numpy::{IntoPyArray, PyArray3, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::subject::{Subject, parse_hemi};
use crate::{format_error, value_error};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(write_session, m)?)?;
    m.add_function(wrap_pyfunction!(read_png, m)?)?;
    Ok(())
}

/// One overlay: its name and its values per hemisphere ("lh"/"rh", one value per vertex).
type OverlayIn<'py> = (String, Vec<(String, PyReadonlyArray1<'py, f32>)>);

/// Write a session of `subject` with `overlays`, `vessels` ("generated", "none" or a vessel
/// file) and a plan (the saved plan's JSON); returns notes (what could not be stored).
#[pyfunction]
#[pyo3(signature = (path, subject, overlays, vessels = None, plan_json = None))]
fn write_session(
    py: Python<'_>,
    path: PathBuf,
    subject: &Subject,
    overlays: Vec<OverlayIn<'_>>,
    vessels: Option<String>,
    plan_json: Option<String>,
) -> PyResult<Vec<String>> {
    // the arrays are checked and copied while the GIL is held; the scene's work runs without
    let mut layers = Vec::new();
    for (name, parts) in overlays {
        let mut per_hemi = Vec::new();
        for (h, values) in parts {
            let hemi = parse_hemi(&h)?;
            let n = subject
                .scene
                .hemis
                .get(&hemi)
                .map(|g| g.n_vertices())
                .ok_or_else(|| value_error(format!("overlay {name:?}: the subject has no {h}")))?;
            let v = values.as_array();
            if v.len() != n {
                return Err(value_error(format!(
                    "overlay {name:?}: {} values for {h}, which has {n} vertices",
                    v.len()
                )));
            }
            per_hemi.push((hemi, v.to_vec()));
        }
        layers.push((name, per_hemi));
    }
    let scene = py.detach(|| -> PyResult<Scene> {
        let mut scene = subject.scene.clone();
        for (name, per_hemi) in layers {
            let all: Vec<f32> = per_hemi
                .iter()
                .flat_map(|(_, v)| v.iter().copied())
                .collect();
            scene.set_computed_layer(&name, None, per_hemi, OverlayStyle::auto(&all));
        }
        match vessels.as_deref().map(str::trim) {
            None | Some("none") | Some("") => {}
            Some("generated") => scene.add_generated_vessels(1),
            Some(file) => {
                let loaded =
                    cortexplorer_formats::load(std::path::Path::new(file)).map_err(format_error)?;
                scene
                    .add(loaded)
                    .map_err(|e| format_error(format!("{file}: {e}")))?;
            }
        }
        Ok(scene)
    })?;
    let plan = match plan_json {
        Some(text) => {
            let saved: SavedPlan =
                serde_json::from_str(&text).map_err(|e| value_error(format!("plan: {e}")))?;
            Some(PlanSession {
                config: saved.config,
                layout: Some(saved.layout),
                show_electrodes: true,
            })
        }
        None => None,
    };
    py.detach(|| {
        let (mut s, blobs, notes): (Session, _, _) = Session::from_scene(&scene, &path);
        s.plan = plan;
        session::save(&path, &s, &blobs).map(|_| notes)
    })
    .map_err(|e| format_error(format!("{}: {e}", path.display())))
}

/// A PNG as an (height, width, 4) uint8 array (what `screenshot` returns).
#[pyfunction]
fn read_png(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray3<u8>>> {
    let img = py
        .detach(|| image::open(&path).map(|i| i.to_rgba8()))
        .map_err(|e| format_error(format!("{}: {e}", path.display())))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let a = Array3::from_shape_vec((h, w, 4), img.into_raw()).expect("rgba buffer");
    Ok(a.into_pyarray(py))
}
