//! Activity models on a surface (`cortexplorer.simulate`): the CPU reference of the kernels,
//! as `cortexplorer simulate --backend cpu` runs them.

use cortexplorer_core::activity::laplacian::Laplacian;
use cortexplorer_core::activity::setup::{Setup, specs};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::value_error;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(model_params, m)?)?;
    Ok(())
}

/// The parameters a model takes: (name, default) pairs.
#[pyfunction]
fn model_params(model: &str) -> PyResult<Vec<(String, f64)>> {
    Ok(specs(model)
        .map_err(value_error)?
        .iter()
        .map(|s| (s.name.to_string(), s.default))
        .collect())
}

/// Run `model` for `steps` steps on the mesh (vertices (n, 3), faces (m, 3)); returns the first
/// state per vertex (u; θ for Kuramoto; E; V), the time step used and the model's warning
/// when it had to change the step asked for (too large to be stable).
#[pyfunction]
#[pyo3(signature = (vertices, faces, model, steps, params, initial = None, dt = None))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    vertices: PyReadonlyArray2<'py, f32>,
    faces: PyReadonlyArray2<'py, i64>,
    model: &str,
    steps: usize,
    params: Vec<(String, f64)>,
    initial: Option<PyReadonlyArray1<'py, f32>>,
    dt: Option<f64>,
) -> PyResult<(Bound<'py, PyArray1<f32>>, f64, Option<String>)> {
    let (v, f) = (vertices.as_array(), faces.as_array());
    if v.ncols() != 3 || f.ncols() != 3 {
        return Err(value_error(format!(
            "vertices (n, 3) and faces (m, 3) expected, got {:?} and {:?}",
            v.shape(),
            f.shape()
        )));
    }
    let n = v.nrows();
    let verts: Vec<[f32; 3]> = v.rows().into_iter().map(|r| [r[0], r[1], r[2]]).collect();
    let mut tris = Vec::with_capacity(f.nrows());
    for (k, r) in f.rows().into_iter().enumerate() {
        let t = [r[0], r[1], r[2]];
        if t.iter().any(|&i| i < 0 || i as usize >= n) {
            return Err(value_error(format!(
                "face {k} names a vertex outside 0..{n}: {t:?}"
            )));
        }
        tris.push(t.map(|i| i as u32));
    }
    let first = match initial {
        Some(a) => {
            let a = a.as_array();
            if a.len() != n {
                return Err(value_error(format!(
                    "initial: {} values, the surface has {n} vertices",
                    a.len()
                )));
            }
            if let Some(i) = a.iter().position(|x| !x.is_finite()) {
                return Err(value_error(format!("initial: value {i} is {}", a[i])));
            }
            Some(a.to_vec())
        }
        None => None,
    };
    let setup = Setup::new(model, &params).map_err(value_error)?;
    type Run = (Vec<f32>, f64, Option<String>);
    let (state, dt, warning) = py
        .detach(|| -> Result<Run, String> {
            let l = Laplacian::new(&verts, &tris)?;
            let s0 = setup.initial(&verts, 0, first.as_deref());
            let aux = setup.aux(n);
            let want = dt.unwrap_or_else(|| setup.default_dt(&l, &aux));
            let step = setup.model.check_step(&l, want)?;
            let mut u = s0;
            setup.model.run(&l, &mut u, &aux, step.dt as f32, steps);
            u.truncate(n);
            Ok((u, step.dt, step.warning))
        })
        .map_err(value_error)?;
    Ok((state.into_pyarray(py), dt, warning))
}
