"""The phosphene percept model, with pulse2percept's names.

Electrodes sit on the flat cortical sheet of each hemisphere's V1, (u, v) mm: u along the
horizontal meridian from the foveal confluence, v across it (negative v: the upper visual
field), as the Cortexplorer CLI's ``percept --map polimeni`` takes them. The left hemisphere
sees the right visual field (x > 0). The visual field is in degrees, x to the right, y up.

pulse2percept puts both hemispheres on one plane in µm, the left hemisphere shifted by
−20 mm (``x_p2p = −u·1000 − 20000``); :meth:`Electrodes.from_p2p` and
:meth:`Electrodes.to_p2p` convert.

Examples
--------
>>> from cortexplorer.percept import Electrodes, ScoreboardModel
>>> e = Electrodes(["lh", "lh"], [10.0, 20.0], [0.0, 2.0])
>>> p = ScoreboardModel(rho=200, xrange=(-4, 4), yrange=(-4, 4), xystep=0.05).build().predict_percept(e)
>>> p.data.shape
(161, 161)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import _core

__all__ = ["DynaphosModel", "Electrodes", "Percept", "ScoreboardModel", "P2P_LEFT_OFFSET_UM"]

#: pulse2percept's shift of the left hemisphere on its single cortical plane (µm).
P2P_LEFT_OFFSET_UM = 20000.0


class Electrodes:
    """Electrodes on the flat V1 sheet — hemisphere ("lh"/"rh"), (u, v) mm — or at positions in
    RAS mm on a subject's cortex (:meth:`from_ras`, :meth:`from_slicer`, :meth:`from_bids`,
    ``from_csv(path, ras=True)``: ``ras_mm`` set, ``u_mm``/``v_mm`` NaN), with names and
    stimulus.

    Parameters
    ----------
    hemisphere : sequence of str
        "lh" or "rh" per electrode.
    u_mm, v_mm : array-like
        Flat cortical coordinates (mm).
    names : sequence of str, optional
        Default "E0", "E1", ….
    stimulus : array-like, optional
        Per-electrode amplitude (scoreboard) or current in µA (dynaphos); NaN = the model's
        default.
    """

    def __init__(
        self,
        hemisphere: Sequence[str],
        u_mm: Any,
        v_mm: Any,
        names: Sequence[str] | None = None,
        stimulus: Any = None,
    ) -> None:
        self.hemisphere = [str(h) for h in hemisphere]
        self.u_mm = np.asarray(u_mm, dtype=np.float64).reshape(-1)
        self.v_mm = np.asarray(v_mm, dtype=np.float64).reshape(-1)
        n = len(self.hemisphere)
        if self.u_mm.size != n or self.v_mm.size != n:
            raise ValueError(
                f"hemisphere, u_mm and v_mm need one entry per electrode ({n}, {self.u_mm.size}, {self.v_mm.size})"
            )
        self.names = list(names) if names is not None else [f"E{i}" for i in range(n)]
        if len(self.names) != n:
            raise ValueError(f"{len(self.names)} names for {n} electrodes")
        self.stimulus = (
            np.full(n, np.nan) if stimulus is None else np.asarray(stimulus, dtype=np.float64).reshape(-1)
        )
        if self.stimulus.size != n:
            raise ValueError(f"{self.stimulus.size} stimuli for {n} electrodes")
        #: positions in RAS mm (the subject's export space) for electrodes given so, else None
        self.ras_mm: np.ndarray | None = None

    @classmethod
    def from_ras(cls, points_mm: Any, names: Sequence[str] | None = None, stimulus: Any = None) -> Electrodes:
        """Electrodes at RAS positions (n, 3) mm in a subject's export space (scanner RAS when it
        has ``mri/orig.mgz``, as plans are exported; else surface RAS): their percepts are read
        on the subject's own cortex (``predict_percept(e, subject=…)``)."""
        p = np.asarray(points_mm, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != 3:
            raise ValueError(f"points_mm: expected an (n, 3) array, got shape {p.shape}")
        n = p.shape[0]
        e = cls([""] * n, np.full(n, np.nan), np.full(n, np.nan), names=names, stimulus=stimulus)
        e.ras_mm = p
        return e

    @classmethod
    def _from_rows(cls, rows: list[Any]) -> Electrodes:
        return cls.from_ras(
            [r[1] for r in rows] if rows else np.zeros((0, 3)),
            names=[r[0] for r in rows],
            stimulus=[np.nan if r[3] is None else r[3] for r in rows],
        )

    @classmethod
    def from_slicer(cls, path: str | os.PathLike[str]) -> Electrodes:
        """3D Slicer markups (``.mrk.json``, as ``plan --slicer`` writes them): RAS positions."""
        return cls._from_rows(_core.read_electrodes(os.fspath(path), False))

    @classmethod
    def from_bids(cls, path: str | os.PathLike[str]) -> Electrodes:
        """A BIDS iEEG ``*_electrodes.tsv`` (as ``plan --bids`` writes it): RAS positions."""
        return cls._from_rows(_core.read_electrodes(os.fspath(path), False))

    @classmethod
    def from_plan(cls, path: str | os.PathLike[str]) -> Electrodes:
        """A saved plan (``plan --out plan.json``, ``Plan.to_json``): its contacts' RAS positions."""
        return cls._from_rows(_core.read_electrodes(os.fspath(path), False))

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        where = "in RAS" if self.ras_mm is not None else "on the flat V1 sheet"
        return f"<Electrodes {len(self)} {where}>"

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], ras: bool = False) -> Electrodes:
        """A CSV of ``x_mm,y_mm[,hemisphere][,name][,current_ua]`` on the flat sheet (the CLI's
        ``percept`` input), or with ``ras=True`` of RAS positions (``x,y,z`` or
        ``x_ras_mm,…``)."""
        rows = _core.read_electrodes(os.fspath(path), not ras)
        if ras:
            return cls._from_rows(rows)
        return cls(
            [r[2] or "lh" for r in rows],
            [r[1][0] for r in rows],
            [r[1][1] for r in rows],
            names=[r[0] for r in rows],
            stimulus=[np.nan if r[3] is None else r[3] for r in rows],
        )

    @classmethod
    def from_p2p(cls, implant: Any) -> Electrodes:
        """From a pulse2percept cortical implant (or any object whose ``electrodes`` map names
        to objects with ``x``, ``y`` in µm on pulse2percept's plane: x < 0 is the left
        hemisphere, shifted by −20 mm)."""
        items = implant.electrodes.items() if hasattr(implant, "electrodes") else implant.items()
        hemi, u, v, names = [], [], [], []
        for name, e in items:
            x, y = float(e.x), float(e.y)
            if x < 0:
                hemi.append("lh")
                u.append((-x - P2P_LEFT_OFFSET_UM) / 1000.0)
            else:
                hemi.append("rh")
                u.append(x / 1000.0)
            v.append(y / 1000.0)
            names.append(str(name))
        return cls(hemi, u, v, names=names)

    def p2p_positions(self) -> dict[str, tuple[float, float]]:
        """pulse2percept plane positions (µm) by name."""
        if self.ras_mm is not None:
            raise ValueError("electrodes in RAS have no flat-sheet position for pulse2percept")
        out = {}
        for n, h, u, v in zip(self.names, self.hemisphere, self.u_mm, self.v_mm):
            x = -u * 1000.0 - P2P_LEFT_OFFSET_UM if h == "lh" else u * 1000.0
            out[n] = (float(x), float(v * 1000.0))
        return out

    def to_p2p(self, radius_um: float = 50.0) -> Any:
        """A pulse2percept ``CorticalImplant`` of disk electrodes (needs pulse2percept)."""
        try:
            from pulse2percept.implants import DiskElectrode, ElectrodeArray
            from pulse2percept.implants.cortex import CorticalImplant
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Electrodes.to_p2p needs pulse2percept (pip install pulse2percept)") from e
        arr = ElectrodeArray({n: DiskElectrode(x, y, 0, radius_um) for n, (x, y) in self.p2p_positions().items()})
        return CorticalImplant(arr)


class Percept:
    """A percept image: ``data`` (Y, X) — one frame, where pulse2percept's is (Y, X, T) —
    row 0 at the top (largest y, as pulse2percept stores it); ``xdva``, ``ydva`` the pixel
    centres in degrees, ``ydva`` listed top-down (pulse2percept lists it bottom-up);
    ``phosphenes`` the table it was drawn from."""

    def __init__(self, data: np.ndarray, xdva: np.ndarray, ydva: np.ndarray, phosphenes: dict[str, Any]):
        self.data = data
        self.xdva = xdva
        self.ydva = ydva
        self.phosphenes = phosphenes

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """For ``matplotlib.pyplot.imshow(p.data, extent=p.extent)``."""
        d = float(self.xdva[1] - self.xdva[0]) if self.xdva.size > 1 else 1.0
        return (
            float(self.xdva[0] - d / 2),
            float(self.xdva[-1] + d / 2),
            float(self.ydva[-1] - d / 2),
            float(self.ydva[0] + d / 2),
        )

    def __repr__(self) -> str:
        return f"<Percept {self.data.shape}>"


#: the largest side of a percept (pixels)
MAX_SIDE = 8192


def _axis(r: tuple[float, float], step: float, what: str) -> np.ndarray:
    """Pixel centres lo, lo + step, … up to hi: pulse2percept's grid when the range is a
    whole number of steps; otherwise the last centre stops short of hi (pixels stay square)."""
    lo, hi = float(r[0]), float(r[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"{what} {r}: expected (low, high) with high > low")
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    if n > MAX_SIDE:
        raise ValueError(f"{what} {r} in steps of {step}: {n} pixels, more than {MAX_SIDE}")
    return lo + step * np.arange(n)


class _Model:
    _kind = "scoreboard"
    _default_stim = 1.0

    def __init__(
        self, xrange: tuple[float, float], yrange: tuple[float, float], xystep: float, map: str, rho: float, clip: bool
    ) -> None:
        if not (np.isfinite(xystep) and xystep > 0):
            raise ValueError(f"xystep {xystep}: must be > 0")
        if map not in _core.map_names():
            raise ValueError(f"map {map!r}: expected one of {', '.join(_core.map_names())}")
        self.xrange, self.yrange, self.xystep, self.map, self.rho = xrange, yrange, float(xystep), map, float(rho)
        self.clip = bool(clip)
        self._built = False

    def build(self) -> _Model:
        """Check the grid (pulse2percept's call; nothing is precomputed)."""
        self._x = _axis(self.xrange, self.xystep, "xrange")
        self._y = _axis(self.yrange, self.xystep, "yrange")[::-1].copy()
        self._built = True
        return self

    def _stimulus(self, e: Electrodes, stim: Any) -> np.ndarray:
        s = np.where(np.isnan(e.stimulus), self._default_stim, e.stimulus)
        if stim is None:
            return s
        if isinstance(stim, Mapping):
            s = np.zeros(len(e))
            index = {n: i for i, n in enumerate(e.names)}
            for k, val in stim.items():
                if k not in index:
                    raise ValueError(f"stimulus for {k!r}: no electrode of that name")
                s[index[k]] = float(val)
            return s
        a = np.asarray(stim, dtype=np.float64)
        if a.ndim == 0:
            return np.full(len(e), float(a))
        if a.size != len(e):
            raise ValueError(f"{a.size} stimuli for {len(e)} electrodes")
        return a.reshape(-1)

    def predict_percept(self, electrodes: Electrodes | Any, stim: Any = None, subject: Any = None) -> Percept:
        """The percept of ``electrodes`` (an :class:`Electrodes`, or a pulse2percept implant, whose
        ``stim`` is used when ``stim`` is None and the implant holds one: pulse2percept < 0.11)
        for ``stim``: None (every electrode at the model's default), a number, a sequence (one
        per electrode) or a dict name → amplitude (others off). Electrodes in RAS are read on
        ``subject``'s cortex (default: fsaverage5 with the template maps): located on its pial
        surface in depth down to white, through each hemisphere's own maps (as
        ``cortexplorer percept --map surface --subject``); those more than 5 mm from the
        cortex or outside V1 have no phosphene (``in_v1`` False, ``distance_mm`` says how far)."""
        if not self._built:
            self.build()
        e = electrodes if isinstance(electrodes, Electrodes) else Electrodes.from_p2p(electrodes)
        if stim is None and not isinstance(electrodes, Electrodes) and getattr(electrodes, "stim", None) is not None:
            stim = _p2p_stim(electrodes.stim)
        s = self._stimulus(e, stim)
        table: dict[str, Any]
        if e.ras_mm is not None:
            subj = subject if subject is not None else _core.Subject.fsaverage5()
            x, y, sig, b, inside, dist, hemi = subj.phosphenes_ras(e.ras_mm, s, self._kind, self.rho)
            far = dist > 5.0
            x, y, sig, b = (np.where(far, np.nan, c) for c in (x, y, sig, b))
            inside = inside & ~far
            table = {"distance_mm": dist, "hemisphere": hemi}
        else:
            x, y, sig, b, inside = _core.phosphenes_flat(e.hemisphere, e.u_mm, e.v_mm, s, self._kind, self.rho, self.map)
            table = {}
        cx = 0.5 * (self._x[0] + self._x[-1])
        cy = 0.5 * (self._y[0] + self._y[-1])
        img = _core.render_percept(x, y, sig, b, self._x.size, self._y.size, self.xystep, cx, cy, self.clip)
        table = {"electrode": e.names, "x_deg": x, "y_deg": y, "sigma_deg": sig, "brightness": b, "in_v1": inside, **table}
        return Percept(img, self._x, self._y, table)


class ScoreboardModel(_Model):
    """Gaussian phosphenes whose size is the current spread ``rho`` (µm) over the local
    cortical magnification (pulse2percept's cortical ``ScoreboardModel``).

    Parameters
    ----------
    rho : float
        Current spread on the cortex (µm).
    xrange, yrange : (float, float)
        Visual field shown (degrees); pixel centres at ``xrange[0] + k·xystep``.
    xystep : float
        Pixel size (degrees); ``step`` (pulse2percept 0.11's name) is the same.
    map : str
        The V1 map: "polimeni" (pulse2percept's ``Polimeni2006Map`` defaults), "dynaphos-dipole"
        or "p2p-dynaphos".
    clip : bool
        Clip the image to [0, 1] (``cortexplorer percept`` does); by default phosphenes add
        up, as in pulse2percept.
    """

    _kind = "scoreboard"
    _default_stim = 1.0

    def __init__(
        self,
        rho: float = 200.0,
        xrange: tuple[float, float] = (-8.0, 8.0),
        yrange: tuple[float, float] = (-8.0, 8.0),
        xystep: float | None = None,
        map: str = "polimeni",
        clip: bool = False,
        step: float | None = None,
    ) -> None:
        if not rho > 0:
            raise ValueError(f"rho {rho}: must be > 0")
        super().__init__(xrange, yrange, _step(xystep, step), map, rho, clip)


class DynaphosModel(_Model):
    """Dynaphos (van der Grinten et al. 2024): current (µA) → activation → brightness and
    size, at the end of a 200 ms, 300 Hz, 170 µs biphasic train (pulse2percept's
    ``DynaphosModel`` defaults; map "p2p-dynaphos" = its ``Polimeni2006Map(k=17.3, a=0.75,
    b=120, alpha1=0.95)``). Stimulus in µA, default 100."""

    _kind = "dynaphos"
    _default_stim = 100.0

    def __init__(
        self,
        xrange: tuple[float, float] = (-8.0, 8.0),
        yrange: tuple[float, float] = (-8.0, 8.0),
        xystep: float | None = None,
        map: str = "p2p-dynaphos",
        clip: bool = False,
        step: float | None = None,
    ) -> None:
        super().__init__(xrange, yrange, _step(xystep, step), map, 200.0, clip)


def _step(xystep: float | None, step: float | None) -> float:
    if xystep is not None and step is not None and xystep != step:
        raise ValueError(f"xystep {xystep} and step {step}: give one")
    s = xystep if xystep is not None else step
    return 0.0625 if s is None else float(s)


def _p2p_stim(stim: Any) -> Any:
    """Amplitudes by electrode name from a pulse2percept ``Stimulus`` (its first frame), or a
    dict/array given as is."""
    if isinstance(stim, Mapping):
        return dict(stim)
    names = getattr(stim, "electrodes", None)
    data = getattr(stim, "data", None)
    if names is None or data is None:
        return stim
    a = np.asarray(data, dtype=np.float64)
    a = a[:, 0] if a.ndim == 2 else a.reshape(-1)
    return {str(n): float(v) for n, v in zip(names, a)}
