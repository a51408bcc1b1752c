"""Cortexplorer from Python: cortical-surface readers, the phosphene percept model and
percept-aware planning of visual-prosthesis electrodes, with the Cortexplorer viewer one call
away.

The compiled part (``cortexplorer._core``) links Cortexplorer's readers and domain core only;
the viewer runs as its own process (``cortexplorer.view``), so nothing here opens a window or
an event loop inside your kernel.

Modules
-------
io
    nibabel-style readers (``read_geometry``, ``read_morph_data``, ``read_annot``,
    ``read_label``, ``load``) and vessel graphs (``load_vessels``).
percept
    pulse2percept-style ``ScoreboardModel`` / ``DynaphosModel``, ``Electrodes``, ``Percept``.
plan
    ``optimize(subject, n_electrodes=…)`` → ``Plan`` (the report ``cortexplorer plan --json``
    prints, exports to CSV, 3D Slicer, BIDS).

Examples
--------
>>> import cortexplorer as cx
>>> s = cx.Subject.fsaverage5()
>>> s.hemispheres
['lh', 'rh']
"""

from . import _core
from ._core import FormatError, Subject
from . import io, percept, plan
from ._activity import simulate
from ._viewer import ViewerHandle, screenshot, view

__version__: str = _core.__version__

__all__ = [
    "FormatError",
    "Subject",
    "ViewerHandle",
    "io",
    "percept",
    "plan",
    "screenshot",
    "simulate",
    "view",
    "__version__",
]
