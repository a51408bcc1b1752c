"""Percept-aware planning of visual-prosthesis electrodes.

:func:`optimize` runs exactly what ``cortexplorer plan`` runs — the same configuration
(``assets/plan.toml`` by default), the same optimiser, the same report — on a
:class:`cortexplorer.Subject`. The optimisation runs on a thread of its own: the GIL is free
for your other threads, a progress bar shows the iterations (tqdm when installed), and
Ctrl-C stops it cleanly (``KeyboardInterrupt`` is raised once the planner has stopped).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import numpy as np

from . import _core
from ._core import Subject

__all__ = ["Plan", "default_config", "optimize"]


def default_config() -> dict[str, Any]:
    """The bundled configuration (``assets/plan.toml``) as a nested dict."""
    return json.loads(_core.default_config())


#: keys the configuration takes that its serialised default leaves out (unset options)
_OPTIONAL = {"electrodes.": {"contacts"}, "scene.": {"subject"}}


def _merge(base: dict[str, Any], over: dict[str, Any], where: str = "") -> None:
    for k, v in over.items():
        if k not in base and k not in _OPTIONAL.get(where, set()):
            known = sorted(set(base) | _OPTIONAL.get(where, set()))
            raise ValueError(f"config: unknown key '{where}{k}' (known: {', '.join(known)})")
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v, f"{where}{k}.")
        else:
            base[k] = v


def _config(
    config: str | os.PathLike[str] | dict[str, Any] | None,
    n_electrodes: int | None,
    device: str | None,
    areas: list[str] | str | None,
    vessels: str | os.PathLike[str] | None,
    margin_mm: float | None,
    seed: int | None,
    retinotopy: str | None,
) -> dict[str, Any]:
    if config is None:
        cfg = default_config()
    elif isinstance(config, dict):
        cfg = default_config()
        _merge(cfg, config)
    else:
        cfg = json.loads(_core.load_config(os.fspath(config)))
    if n_electrodes is not None:
        cfg["electrodes"]["count"] = int(n_electrodes)
    if device is not None:
        cfg["electrodes"]["device"] = device
    if areas is not None:
        cfg["scene"]["areas"] = [areas] if isinstance(areas, str) else list(areas)
    if vessels is not None:
        cfg["scene"]["vessels"] = os.fspath(vessels)
    if margin_mm is not None:
        cfg["constraints"]["margin_mm"] = float(margin_mm)
    if seed is not None:
        cfg["optimizer"]["seed"] = int(seed)
    if retinotopy is not None:
        cfg["scene"]["retinotopy"] = retinotopy
    return json.loads(_core.check_config(json.dumps(cfg)))


class Plan:
    """A finished plan.

    Attributes
    ----------
    report : dict
        The report, key for key as ``cortexplorer plan --json`` prints it (``percept_aware``,
        ``coverage_baseline``, ``random_baseline``, ``electrodes``, ``comparison``,
        ``reading``, …).
    electrodes : pandas.DataFrame or dict of ndarray
        One row per contact (``name``, ``hemisphere``, ``x_ras_mm`` …, ``u_mm``, ``v_mm``,
        ``x_deg``, ``y_deg``, ``depth_fraction``, ``vessel_distance_mm``, ``active``); a
        DataFrame when pandas is installed.
    config : dict
        The configuration it was made with.
    """

    def __init__(self, result: Any, config: dict[str, Any]) -> None:
        self._r = result
        self.report: dict[str, Any] = json.loads(result.report_json)
        self.config = config
        self.electrodes = _table(self.report["electrodes"])

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The saved plan (``plan --out plan.json``): re-openable in the viewer and by
        ``cortexplorer evaluate``. Written to ``path`` when given."""
        text = self._r.saved_json
        if path is not None:
            _write(path, text)
        return text

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """The contacts as ``plan --csv`` writes them."""
        text = self._r.to_csv()
        if path is not None:
            _write(path, text)
        return text

    def to_slicer(self, path: str | os.PathLike[str] | None = None) -> str:
        """3D Slicer markups (``.mrk.json``) of the contacts, as ``plan --slicer``."""
        text = self._r.to_slicer()
        if path is not None:
            _write(path, text)
        return text

    def to_bids(self, prefix: str | os.PathLike[str]) -> tuple[str, str]:
        """Write ``PREFIX_electrodes.tsv`` and ``PREFIX_coordsystem.json`` (BIDS iEEG), as
        ``plan --bids PREFIX``; returns the two paths."""
        tsv, coords = self._r.to_bids()
        base = os.fspath(prefix)
        a, b = f"{base}_electrodes.tsv", f"{base}_coordsystem.json"
        _write(a, tsv)
        _write(b, coords)
        return a, b

    def percept(self, target: str | np.ndarray, height_frac: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
        """The percept of ``target`` through the plan on its evaluation grid (the report's):
        text (a letter or word, ``height_frac`` of the field high) or a float32 image of the
        grid's shape in [0, 1]. Returns (percept, target) images, row 0 at the top."""
        if not isinstance(target, str):
            target = np.ascontiguousarray(target, dtype=np.float32)
        return self._r.percept(target, height_frac)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The evaluation grid's extent in degrees, for ``imshow(…, extent=plan.extent)``."""
        w, h, d, cx, cy = self._r.grid
        return (cx - w * d / 2, cx + w * d / 2, cy - h * d / 2, cy + h * d / 2)

    def __repr__(self) -> str:
        ssim = self.report["percept_aware"]["ssim"]
        scores = ", ".join(f"{k} {v:.3f}" for k, v in ssim.items())
        return f"<Plan {len(self.report['electrodes'])} contacts on {self.report['subject']}; SSIM {scores}>"


def _write(path: str | os.PathLike[str], text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _table(rows: list[dict[str, Any]]) -> Any:
    cols: dict[str, list[Any]] = {}
    for r in rows:
        flat = dict(r)
        for key, (x, y, z) in (("ras_mm", ("x_ras_mm", "y_ras_mm", "z_ras_mm")), ("surface_ras_mm", ("x_surface_mm", "y_surface_mm", "z_surface_mm"))):
            p = flat.pop(key, None)
            flat[x], flat[y], flat[z] = (p if p is not None else (np.nan, np.nan, np.nan))
        for k, v in flat.items():
            cols.setdefault(k, []).append(v)
    try:
        import pandas as pd
    except ImportError:
        return {k: np.asarray(v) for k, v in cols.items()}
    return pd.DataFrame(cols)


class _Bar:
    """tqdm when installed, else a line on stderr every 10 %. It moves with the optimiser's
    iterations; once they stop, the run is comparing seeds and reading letters (the report's
    evaluation), which the bar says."""

    def __init__(self, total: int, show: bool) -> None:
        self.total, self.show, self.last, self.bar = total, show, -1, None
        self.it, self.since, self.evaluating = -1, time.monotonic(), False
        if show:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="planning", unit="it")
            except ImportError:
                self.bar = None

    def update(self, it: int, loss: float) -> None:
        if not self.show or (it == 0 and loss == 0.0):  # nothing reported yet
            return
        now = time.monotonic()
        if it == self.it:
            if not self.evaluating and it > 0 and now - self.since > 1.0:
                self.evaluating = True
                if self.bar is not None:
                    self.bar.set_description("planning: evaluating")
                else:
                    print("planning: optimised; comparing seeds and evaluating", file=sys.stderr)
            return
        self.it, self.since = it, now
        if self.bar is not None:
            self.bar.n = it
            self.bar.set_postfix(loss=f"{loss:.5f}", refresh=True)
        elif it * 10 // max(self.total, 1) > self.last:
            self.last = it * 10 // max(self.total, 1)
            print(f"planning: iteration {it}/{self.total}, loss {loss:.5f}", file=sys.stderr)

    def close(self, note: str | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.show and note:
            print(f"planning: {note}", file=sys.stderr)


def optimize(
    subject: Subject,
    n_electrodes: int | None = None,
    device: str | None = None,
    areas: list[str] | str | None = None,
    vessels: str | os.PathLike[str] | None = None,
    margin_mm: float | None = None,
    seed: int | None = None,
    config: str | os.PathLike[str] | dict[str, Any] | None = None,
    progress: bool = True,
    retinotopy: str | None = None,
) -> Plan:
    """Plan electrodes on a subject's visual cortex so that what the implant user sees reads
    best — what ``cortexplorer plan`` does.

    Parameters
    ----------
    subject : Subject
        ``Subject.fsaverage5()``, ``Subject.from_freesurfer(dir)`` or
        ``Subject.from_fmriprep(dir)``; it needs pial, white and sphere surfaces.
    n_electrodes : int, optional
        Devices to place (the insertion budget for arrays and threads); default 100.
    device : str, optional
        "single" (default), "utah", "thread" or "orion".
    areas : list of str, optional
        Target visual areas, e.g. ``["V1"]`` (default) or ``["V1", "V2"]``.
    vessels : str, optional
        "generated" (default: the seeded generator — not anatomy), "none", a vessel graph file
        or a mask volume ``mask.nii.gz[:THRESHOLD]``.
    margin_mm : float, optional
        Least distance from a contact to a vessel wall (default 1 mm); kept as a hard
        constraint.
    seed : int, optional
        The optimiser's seed (default 7).
    config : str, path or dict, optional
        A configuration file (TOML, as ``plan --config``) or a dict of overrides of the
        bundled one (``{"optimizer": {"max_iterations": 100}}``). The keyword arguments
        above override it.
    progress : bool
        Show a progress bar (tqdm when installed).
    retinotopy : str, optional
        "auto" (default: the subject's own maps, else the template), "template", a group
        ("benson14", "inferred") or "ANGLE,ECCEN,VAREA[,SIGMA]" files.

    Returns
    -------
    Plan

    Raises
    ------
    FormatError
        The subject cannot be planned on (missing surfaces) or a named file is unreadable.
    ValueError
        A bad configuration.
    RuntimeError
        The planner failed (the message says why).
    KeyboardInterrupt
        Ctrl-C: the planner was stopped.

    Examples
    --------
    >>> import cortexplorer as cx
    >>> p = cx.plan.optimize(cx.Subject.fsaverage5(), n_electrodes=100, progress=False)  # doctest: +SKIP
    >>> p.report["percept_aware"]["letters"]["ssim"]  # doctest: +SKIP
    """
    cfg = _config(config, n_electrodes, device, areas, vessels, margin_mm, seed, retinotopy)
    job = None
    bar = None
    try:
        job = _core.plan_start(subject, json.dumps(cfg))
        bar = _Bar(job.max_iterations, progress)
        while not job.wait(0.1):
            bar.update(job.iteration, job.loss)
        bar.close("done")
        return Plan(job.result(), cfg)
    except BaseException:
        # Ctrl-C (or anything else): stop the planner and wait for it, staying interruptible
        # (a job lost before it was named here is cancelled when it is dropped)
        if job is not None:
            job.cancel()
            while not job.wait(0.1):
                pass
        if bar is not None:
            bar.close("cancelled")
        raise
