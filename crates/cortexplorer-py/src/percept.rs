//! The percept model (`cortexplorer.percept`): phosphenes of electrodes on the analytic V1 maps
//! and the renderer that sums them into an image — the functions `cortexplorer percept` runs.

use cortexplorer_core::percept::phosphene::{Model, Phosphene};
use cortexplorer_core::percept::render::{self, Grid};
use cortexplorer_core::percept::retinotopy::WedgeDipole;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::io::rows;
use crate::subject::parse_hemi;
use crate::value_error;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(phosphenes_flat, m)?)?;
    m.add_function(wrap_pyfunction!(render_percept, m)?)?;
    m.add_function(wrap_pyfunction!(map_names, m)?)?;
    m.add_function(wrap_pyfunction!(read_electrodes, m)?)?;
    Ok(())
}

/// One electrode as read: name, position (flat (u, v, 0) mm or RAS mm), hemisphere ("lh",
/// "rh" or None), stimulus (None: the model's default).
type Row = (String, [f64; 3], Option<&'static str>, Option<f64>);

/// Electrodes from a file, as `cortexplorer percept --electrodes` reads them: with
/// `flat=True` a CSV of x_mm,y_mm[,hemisphere][,name][,current_ua]; otherwise RAS mm from a
/// CSV (x,y,z or x_ras_mm,…), a plan (.json), 3D Slicer markups (.mrk.json) or BIDS
/// electrodes.tsv.
#[pyfunction]
fn read_electrodes(py: Python<'_>, path: std::path::PathBuf, flat: bool) -> PyResult<Vec<Row>> {
    use cortexplorer_core::brain::Hemisphere;
    use cortexplorer_formats::electrodes::{self, Coords};
    let h = |h: Option<Hemisphere>| h.map(crate::subject::hemi_name);
    let is_csv = path
        .extension()
        .is_none_or(|e| e.eq_ignore_ascii_case("csv"));
    if !flat && !is_csv {
        let pts = py
            .detach(|| cortexplorer_core::planning::export::import_points(&path))
            .map_err(crate::format_error)?;
        return Ok(pts
            .into_iter()
            .map(|p| (p.name, p.ras, None, None))
            .collect());
    }
    let coords = if flat { Coords::Flat } else { Coords::Ras };
    let list = py
        .detach(|| electrodes::read(&path, coords))
        .map_err(crate::format_error)?;
    Ok(list
        .into_iter()
        .map(|e| (e.name, e.pos, h(e.hemisphere), e.stimulus))
        .collect())
}

/// The phosphene model by name ("scoreboard" with its current spread, or "dynaphos").
pub(crate) fn model_named(model: &str, rho_um: f64) -> PyResult<Model> {
    if model == "scoreboard" && !(rho_um > 0.0 && rho_um.is_finite()) {
        return Err(value_error(format!("rho = {rho_um}: must be > 0")));
    }
    Model::named(model, rho_um)
        .ok_or_else(|| value_error(format!("model {model:?}: expected scoreboard or dynaphos")))
}

/// The analytic maps `map` may name.
#[pyfunction]
fn map_names() -> Vec<&'static str> {
    WedgeDipole::NAMES.to_vec()
}

/// Phosphene columns: x, y, sigma (deg), brightness (NaN without a phosphene), and whether
/// there is one.
pub(crate) type Columns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
);

/// Phosphenes of electrodes at flat cortical positions (u, v) mm of each hemisphere on an
/// analytic map: x, y, sigma (deg), brightness, and whether the electrode lies in V1 (the
/// others have NaN). `model` "scoreboard" (stimulus = amplitude) or "dynaphos" (µA).
#[pyfunction]
#[pyo3(signature = (hemispheres, u_mm, v_mm, stimulus, model = "scoreboard", rho_um = 200.0, map = "polimeni"))]
#[allow(clippy::too_many_arguments)]
fn phosphenes_flat<'py>(
    py: Python<'py>,
    hemispheres: Vec<String>,
    u_mm: PyReadonlyArray1<'py, f64>,
    v_mm: PyReadonlyArray1<'py, f64>,
    stimulus: PyReadonlyArray1<'py, f64>,
    model: &str,
    rho_um: f64,
    map: &str,
) -> PyResult<Columns<'py>> {
    let (u, v, s) = (u_mm.as_array(), v_mm.as_array(), stimulus.as_array());
    let n = hemispheres.len();
    if u.len() != n || v.len() != n || s.len() != n {
        return Err(value_error(format!(
            "hemispheres, u_mm, v_mm and stimulus must have one entry per electrode ({n}, {}, {}, {})",
            u.len(),
            v.len(),
            s.len()
        )));
    }
    let wedge = WedgeDipole::named(map).ok_or_else(|| {
        value_error(format!(
            "map {map:?}: expected one of {}",
            WedgeDipole::NAMES.join(", ")
        ))
    })?;
    let model = model_named(model, rho_um)?;
    let hemis = hemispheres
        .iter()
        .map(|h| parse_hemi(h))
        .collect::<PyResult<Vec<_>>>()?;
    if let Some(i) =
        (0..n).find(|&i| !(u[i].is_finite() && v[i].is_finite() && s[i].is_finite() && s[i] >= 0.0))
    {
        return Err(value_error(format!(
            "electrode {i}: position ({}, {}) mm and stimulus {} must be finite, stimulus ≥ 0",
            u[i], v[i], s[i]
        )));
    }
    let (u, v, s) = (u.to_vec(), v.to_vec(), s.to_vec());
    let out: Vec<Option<Phosphene>> = py.detach(|| {
        (0..n)
            .map(|i| {
                wedge
                    .to_field(hemis[i], u[i], v[i])
                    .map(|f| model.phosphene(&wedge, f, s[i]))
            })
            .collect()
    });
    Ok(columns(py, &out))
}

/// The columns of some electrodes' phosphenes (None: no phosphene).
pub(crate) fn columns<'py>(py: Python<'py>, out: &[Option<Phosphene>]) -> Columns<'py> {
    let col = |f: fn(&Phosphene) -> f64| -> Vec<f64> {
        out.iter().map(|p| p.as_ref().map_or(f64::NAN, f)).collect()
    };
    (
        col(|p| p.x_deg).into_pyarray(py),
        col(|p| p.y_deg).into_pyarray(py),
        col(|p| p.sigma_deg).into_pyarray(py),
        col(|p| p.brightness).into_pyarray(py),
        out.iter()
            .map(Option::is_some)
            .collect::<Vec<_>>()
            .into_pyarray(py),
    )
}

/// Sum Gaussian phosphenes into an image of `height` × `width` pixels of `pixel_deg` centred
/// at (`centre_x`, `centre_y`) deg; row 0 is the top (largest y). With `clip`, values are
/// clipped to [0, 1] (as `cortexplorer percept`); without, phosphenes add up.
#[pyfunction]
#[pyo3(signature = (x_deg, y_deg, sigma_deg, brightness, width, height, pixel_deg, centre_x, centre_y, clip = true))]
#[allow(clippy::too_many_arguments)]
fn render_percept<'py>(
    py: Python<'py>,
    x_deg: PyReadonlyArray1<'py, f64>,
    y_deg: PyReadonlyArray1<'py, f64>,
    sigma_deg: PyReadonlyArray1<'py, f64>,
    brightness: PyReadonlyArray1<'py, f64>,
    width: usize,
    height: usize,
    pixel_deg: f64,
    centre_x: f64,
    centre_y: f64,
    clip: bool,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    if !(1..=8192).contains(&width) || !(1..=8192).contains(&height) {
        return Err(value_error(format!(
            "a {width} × {height} percept: each side must be 1..8192 pixels"
        )));
    }
    if !(pixel_deg > 0.0 && pixel_deg.is_finite()) {
        return Err(value_error(format!("pixel size {pixel_deg}°: must be > 0")));
    }
    let (x, y, s, b) = (
        x_deg.as_array(),
        y_deg.as_array(),
        sigma_deg.as_array(),
        brightness.as_array(),
    );
    let n = x.len();
    if y.len() != n || s.len() != n || b.len() != n {
        return Err(value_error(
            "x_deg, y_deg, sigma_deg and brightness differ in length",
        ));
    }
    let phos: Vec<Phosphene> = (0..n)
        .filter(|&i| {
            x[i].is_finite()
                && y[i].is_finite()
                && s[i].is_finite()
                && s[i] > 0.0
                && b[i].is_finite()
        })
        .map(|i| Phosphene {
            x_deg: x[i],
            y_deg: y[i],
            sigma_deg: s[i],
            brightness: b[i],
        })
        .collect();
    let grid = Grid {
        width,
        height,
        fov_deg: pixel_deg * width as f64,
        centre: [centre_x, centre_y],
    };
    let img = py.detach(|| {
        if clip {
            render::render(&grid, &phos)
        } else {
            let mut sum = vec![0f32; grid.len()];
            render::accumulate(&grid, &phos, &mut sum);
            sum
        }
    });
    Ok(rows(py, img, width))
}
