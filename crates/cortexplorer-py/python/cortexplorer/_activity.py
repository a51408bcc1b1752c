"""Activity models on a surface (the CPU reference of the viewer's compute kernels)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _core


def simulate(
    surface: Any,
    model: str = "wave",
    steps: int = 100,
    params: dict[str, float] | None = None,
    initial: Any = None,
    dt: float | None = None,
) -> np.ndarray:
    """Run an activity model on a surface, as ``cortexplorer simulate --backend cpu``.

    Parameters
    ----------
    surface : (coords, faces) tuple, or Subject
        A mesh (as ``io.read_geometry`` returns it) or a subject (both pial hemispheres as one
        mesh, left first).
    model : str
        "diffusion", "wave", "kuramoto", "wilson-cowan" or "lif".
    steps : int
        Time steps.
    params : dict, optional
        Model parameters by name (``cortexplorer.simulate`` lists them; see
        ``_core.model_params(model)`` for the defaults).
    initial : array-like, optional
        The first state per vertex (default: the model's own start).
    dt : float, optional
        Time step (default: the model's stable step).

    Returns
    -------
    ndarray, shape (n_vertices,), float32
        The first state variable per vertex after ``steps`` steps (u, θ, E or V).
    """
    if isinstance(surface, _core.Subject):
        parts = [surface.surface(h, "pial") for h in surface.hemispheres]
        offs = np.cumsum([0] + [len(v) for v, _ in parts])
        coords = np.concatenate([v for v, _ in parts])
        faces = np.concatenate([f.astype(np.int64) + o for (_, f), o in zip(parts, offs)])
    else:
        coords, faces = surface
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps {steps}: must be ≥ 0")
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    init = None if initial is None else np.ascontiguousarray(initial, dtype=np.float32)
    state, used, warning = _core.simulate(coords, faces, model, steps, list((params or {}).items()), init, dt)
    if warning:
        warnings.warn(f"simulate: {warning} (time step {used:.4g} s)", RuntimeWarning, stacklevel=2)
    return state
