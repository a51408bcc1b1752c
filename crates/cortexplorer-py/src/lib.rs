//! `cortexplorer._core`: the compiled half of the Python package `cortexplorer`.
//!
//! It links `cortexplorer-formats` and `cortexplorer-core` only — no Bevy, winit or wgpu (the
//! viewer runs as its own process, started by the pure-Python layer). Every function releases
//! the GIL while it computes; arrays leave Rust without a copy (a `Vec` becomes the numpy
//! array's buffer). Errors: a reader's error is `cortexplorer.FormatError` (a `ValueError`)
//! carrying the one line the CLI prints; a bad argument is a `ValueError`; a planning failure
//! a `RuntimeError`. The Python layer (`python/cortexplorer/`) gives these the shapes users know
//! from nibabel and pulse2percept; `_core.pyi` types them.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

mod io;
mod percept;
mod plan;
mod session;
mod simulate;
mod subject;

pyo3::create_exception!(
    _core,
    FormatError,
    PyValueError,
    "A file could not be read: the message names the file and the problem."
);

/// A reader's error as `FormatError`.
pub(crate) fn format_error(e: impl std::fmt::Display) -> PyErr {
    FormatError::new_err(e.to_string())
}

/// A bad argument as `ValueError`.
pub(crate) fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A failure of a computation as `RuntimeError`.
pub(crate) fn runtime_error(e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// glibc's allocator as the program sets it (`cortexplorer::tune_allocator`): blocks below
/// 32 MB come from the heap rather than fresh `mmap`s, whose page faults made a 150k-vertex
/// surface read several times slower and the planner's per-iteration buffers slower too. The
/// heap is trimmed above 256 MB of free top (the program keeps 1 GB; a notebook process lives
/// longer). Process-wide: said in docs/python.md.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables (thread-safe in glibc).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    tune_allocator();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FormatError", m.py().get_type::<FormatError>())?;
    io::register(m)?;
    subject::register(m)?;
    percept::register(m)?;
    plan::register(m)?;
    session::register(m)?;
    simulate::register(m)?;
    Ok(())
}
