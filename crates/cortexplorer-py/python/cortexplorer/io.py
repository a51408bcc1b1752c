"""Readers with nibabel's names and shapes.

Every function takes a path and raises :class:`cortexplorer.FormatError` (a ``ValueError``)
with one line naming the file and the problem when the file cannot be read. Arrays come
straight from the Rust readers without a copy; where nibabel widens the file's values
(``read_geometry``'s float64 coordinates), these keep the file's precision (float32) — the
values are the same.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _core
from ._core import Vessels

__all__ = [
    "Gifti",
    "GiftiDataArray",
    "Image",
    "Vessels",
    "load",
    "load_vessels",
    "read_annot",
    "read_geometry",
    "read_label",
    "read_morph_data",
]

PathLike = str | os.PathLike[str]


def read_geometry(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a surface.

    Parameters
    ----------
    path : str or path-like
        A FreeSurfer surface (``lh.pial``, …), a GIFTI surface, or any mesh the viewer opens.

    Returns
    -------
    coords : ndarray, shape (n_vertices, 3), float32
        Vertex positions (mm), as nibabel's ``read_geometry`` (which returns them as float64).
    faces : ndarray, shape (n_faces, 3), int32
        Vertex indices of each triangle.
    """
    return _core.read_geometry(os.fspath(path))


def read_morph_data(path: PathLike) -> np.ndarray:
    """Read a FreeSurfer curv-format file (``lh.thickness``, ``lh.curv``, ``lh.sulc``).

    Returns
    -------
    ndarray, shape (n_vertices,), float32
    """
    return _core.read_morph_data(os.fspath(path))


def read_annot(path: PathLike) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """Read a FreeSurfer annotation (``lh.aparc.annot``, gzip-compressed too).

    Returns
    -------
    labels : ndarray, shape (n_vertices,), int32
        Row of ``ctab`` of each vertex; -1 where the vertex has no label.
    ctab : ndarray, shape (n_labels, 5), int32
        Columns r, g, b, transparency, annotation value (r + g·2⁸ + b·2¹⁶), as nibabel.
    names : list of bytes
        Region names in the file's order.
    """
    return _core.read_annot(os.fspath(path))


def read_label(path: PathLike) -> np.ndarray:
    """The vertex numbers an ASCII ``.label`` file lists (int64), as nibabel's ``read_label``."""
    return _core.read_label(os.fspath(path))


class Image:
    """A volume or per-vertex data file (NIfTI-1/2, MGH/MGZ, NPY, curv, …).

    Attributes
    ----------
    shape : tuple of int
        As nibabel reports ``img.shape`` (per-vertex MGH/NIfTI files: ``(n_vertices, 1, 1)``
        or ``(n_vertices, 1, 1, n_frames)``).
    affine : ndarray (4, 4) or None
        Voxel → RAS mm, as ``img.affine``; None for per-vertex data.
    dtype : str
        The on-disk data type (volumes).
    """

    def __init__(self, d: dict[str, Any]) -> None:
        self.path: str = d["path"]
        self.kind: str = d["kind"]
        self.dtype: str | None = d.get("dtype")
        if self.kind == "volume":
            self.affine: np.ndarray | None = np.asarray(d["affine"], dtype=np.float64)
            self.shape: tuple[int, ...] = tuple(d["shape"])
            # [x, y, z, frame] in Fortran order: reshaping keeps it a view
            self._data = np.reshape(d["data"], self.shape, order="F")
            self.tr_seconds: float | None = d.get("tr_seconds")
        elif self.kind == "overlay":
            self.affine = None
            data = d["data"]  # [frame, vertex]
            n_frames, n_vertices = data.shape
            self.shape = (n_vertices, 1, 1) if n_frames == 1 else (n_vertices, 1, 1, n_frames)
            self._data = data.T.reshape(self.shape) if n_frames > 1 else data[0].reshape(self.shape)
            self.tr_seconds = d.get("tr_seconds")
        else:
            raise _core.FormatError(f"{self.path}: {self.kind} is not an image")

    @property
    def dataobj(self) -> np.ndarray:
        """The values as read (float32), without a copy."""
        return self._data

    def get_fdata(self) -> np.ndarray:
        """The values as float64, shaped as :attr:`shape` (as nibabel's ``get_fdata``). The
        reader keeps values as float32 (scaled by the header's slope and intercept): float64
        data and integers above 2**24 lose the precision float32 lacks."""
        return np.asarray(self._data, dtype=np.float64)

    def __repr__(self) -> str:
        return f"<Image {self.kind} {self.shape} {self.path}>"


class GiftiDataArray:
    """One data array of a GIFTI file (``img.darrays[i]`` in nibabel). ``data`` is float32
    for floating-point arrays and int32 (int64 for 64-bit) for integer ones, whatever the
    file's exact type."""

    def __init__(self, d: dict[str, Any]) -> None:
        intent = str(d["intent"]).upper()
        # the GIFTI file's name of the intent (the reader keeps it without the prefix)
        self.intent: str = intent if intent.startswith("NIFTI_INTENT_") else "NIFTI_INTENT_" + intent
        self.dims: list[int] = list(d["dims"])
        self.meta: dict[str, str] = dict(d["meta"])
        self.data: np.ndarray = np.reshape(d["data"], self.dims)

    def __repr__(self) -> str:
        return f"<GiftiDataArray {self.intent} {self.dims}>"


class Gifti:
    """A GIFTI file: its data arrays with their intents, metadata and label table."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.path: str = d["path"]
        self.meta: dict[str, str] = dict(d["meta"])
        self.darrays: list[GiftiDataArray] = [GiftiDataArray(a) for a in d["arrays"]]
        self.labeltable: list[tuple[int, str, tuple[int, int, int, int]]] = list(d["label_table"])

    def agg_data(self, intent: str | tuple[str, ...] | None = None) -> Any:
        """The arrays as nibabel's ``agg_data``: a time series (every array of intent
        ``NIFTI_INTENT_TIME_SERIES``) stacked as columns (n_vertices, n_frames); one array
        alone; otherwise a tuple (a surface: coordinates, faces). ``intent`` keeps the arrays of
        that intent (``"NIFTI_INTENT_POINTSET"``, or short ``"pointset"``, ``"time series"``); a
        tuple of intents gives one result per intent."""
        if isinstance(intent, tuple):
            return tuple(self.agg_data(i) for i in intent)
        arrays = self.darrays
        if intent is not None:
            want = str(intent).upper().replace(" ", "_")
            if not want.startswith("NIFTI_INTENT_"):
                want = "NIFTI_INTENT_" + want
            arrays = [a for a in arrays if a.intent == want]
        data = tuple(a.data for a in arrays)
        if arrays and {a.intent for a in arrays} == {"NIFTI_INTENT_TIME_SERIES"}:
            return np.column_stack(data)
        if len(data) == 1:
            return data[0]
        return data

    def __repr__(self) -> str:
        return f"<Gifti {len(self.darrays)} arrays {self.path}>"


def load(path: PathLike) -> Image | Gifti | dict[str, Any]:
    """Open any file the viewer opens.

    Returns
    -------
    Image
        Volumes and per-vertex data (NIfTI, MGH/MGZ, NPY, curv): ``.get_fdata()``, ``.affine``,
        ``.shape`` as nibabel.
    Gifti
        ``.gii`` files: ``.darrays``, ``.agg_data()``.
    dict
        The reader's arrays by name, with ``kind``: surfaces and meshes (``coords``, ``faces``,
        a mesh's ``point_data``), labels, vessel graphs (``nodes``, ``edges``, ``radius``),
        tractograms (``points`` in RAS mm concatenated, ``offsets`` — each streamline's start
        and the end —, ``data_per_point``, ``data_per_streamline``, TRX ``groups``), MNE source
        estimates (``data`` (n_vertices, n_times) as MNE's ``stc.data``, ``vertices``,
        ``tmin``, ``tstep``), CIFTI-2 (``data`` as nibabel's ``get_fdata()``; None for a
        connectome, which stays on disk — ``shape`` says its size), recordings (``channels``:
        name, unit, sampling_hz, data).
    """
    d = _core.load(os.fspath(path))
    if d["kind"] == "gifti":
        return Gifti(d)
    if d["kind"] in ("volume", "overlay"):
        return Image(d)
    return d


def load_vessels(path: PathLike) -> Vessels:
    """A vessel graph (VesselGraph ``…_nodes.csv``/``…_edges.csv``, Voreen, VTK, SWC) with its
    spatial index: ``.distance(points_mm)`` gives the distance (mm) to the nearest wall."""
    return _core.load_vessels(os.fspath(path))
