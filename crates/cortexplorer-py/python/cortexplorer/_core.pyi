# Type stubs of the compiled module (crates/cortexplorer-py/src), written by hand and checked
# against it by `python -m mypy.stubtest cortexplorer._core` (tests/test_stubs.py).
from os import PathLike
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str
__all__ = [
    "__version__",
    "FormatError",
    "read_geometry",
    "read_morph_data",
    "read_annot",
    "read_label",
    "load",
    "load_vessels",
    "Vessels",
    "Subject",
    "phosphenes_flat",
    "render_percept",
    "map_names",
    "read_electrodes",
    "default_config",
    "load_config",
    "check_config",
    "plan_start",
    "PlanJob",
    "PlanResult",
    "write_session",
    "read_png",
    "simulate",
    "model_params",
]

_Path = str | PathLike[str]
_F32 = npt.NDArray[np.float32]
_F64 = npt.NDArray[np.float64]
_I32 = npt.NDArray[np.int32]
_I64 = npt.NDArray[np.int64]

class FormatError(ValueError): ...

def read_geometry(path: _Path) -> tuple[_F32, _I32]: ...
def read_morph_data(path: _Path) -> _F32: ...
def read_annot(path: _Path) -> tuple[_I32, _I32, list[bytes]]: ...
def read_label(path: _Path) -> _I64: ...
def load(path: _Path) -> dict[str, Any]: ...
def load_vessels(path: _Path) -> Vessels: ...

@final
class Vessels:
    def distance(self, points_mm: npt.ArrayLike) -> _F64: ...
    @property
    def nodes(self) -> _F32: ...
    @property
    def edges(self) -> npt.NDArray[np.uint32]: ...
    @property
    def radius(self) -> _F32: ...
    @property
    def source(self) -> str: ...
    def __len__(self) -> int: ...

@final
class Subject:
    @staticmethod
    def fsaverage5() -> Subject: ...
    @staticmethod
    def from_freesurfer(path: _Path) -> Subject: ...
    @staticmethod
    def from_fmriprep(path: _Path) -> Subject: ...
    @property
    def path(self) -> str | None: ...
    @property
    def hemispheres(self) -> list[str]: ...
    @property
    def coordinates(self) -> str: ...
    @property
    def retinotopy(self) -> dict[str, str]: ...
    @property
    def summary(self) -> str: ...
    def surface(self, hemi: str, kind: str = "pial") -> tuple[_F32, _I32]: ...
    def scanner_ras(self, points: npt.ArrayLike) -> _F64: ...
    def phosphenes_ras(
        self,
        points: npt.ArrayLike,
        stimulus: npt.ArrayLike,
        model: str = "scoreboard",
        rho_um: float = 200.0,
    ) -> tuple[_F64, _F64, _F64, _F64, npt.NDArray[np.bool_], _F64, list[str]]: ...
    @property
    def percept_maps(self) -> str: ...

def map_names() -> list[str]: ...
def phosphenes_flat(
    hemispheres: list[str],
    u_mm: npt.NDArray[np.float64],
    v_mm: npt.NDArray[np.float64],
    stimulus: npt.NDArray[np.float64],
    model: str = "scoreboard",
    rho_um: float = 200.0,
    map: str = "polimeni",
) -> tuple[_F64, _F64, _F64, _F64, npt.NDArray[np.bool_]]: ...
def render_percept(
    x_deg: npt.NDArray[np.float64],
    y_deg: npt.NDArray[np.float64],
    sigma_deg: npt.NDArray[np.float64],
    brightness: npt.NDArray[np.float64],
    width: int,
    height: int,
    pixel_deg: float,
    centre_x: float,
    centre_y: float,
    clip: bool = True,
) -> _F32: ...
def read_electrodes(
    path: _Path, flat: bool
) -> list[tuple[str, list[float], str | None, float | None]]: ...

def default_config() -> str: ...
def load_config(path: _Path) -> str: ...
def check_config(json: str) -> str: ...
def plan_start(subject: Subject, config_json: str) -> PlanJob: ...

@final
class PlanJob:
    @property
    def iteration(self) -> int: ...
    @property
    def max_iterations(self) -> int: ...
    @property
    def loss(self) -> float: ...
    def done(self) -> bool: ...
    def cancel(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def result(self) -> PlanResult: ...

@final
class PlanResult:
    @property
    def report_json(self) -> str: ...
    @property
    def saved_json(self) -> str: ...
    @property
    def grid(self) -> tuple[int, int, float, float, float]: ...
    def to_csv(self) -> str: ...
    def to_slicer(self) -> str: ...
    def to_bids(self) -> tuple[str, str]: ...
    def percept(self, target: str | _F32, height_frac: float = 0.4) -> tuple[_F32, _F32]: ...

def model_params(model: str) -> list[tuple[str, float]]: ...
def simulate(
    vertices: _F32,
    faces: npt.NDArray[np.int64],
    model: str,
    steps: int,
    params: list[tuple[str, float]],
    initial: _F32 | None = None,
    dt: float | None = None,
) -> tuple[_F32, float, str | None]: ...

def write_session(
    path: _Path,
    subject: Subject,
    overlays: list[tuple[str, list[tuple[str, _F32]]]],
    vessels: str | None = None,
    plan_json: str | None = None,
) -> list[str]: ...
def read_png(path: _Path) -> npt.NDArray[np.uint8]: ...
