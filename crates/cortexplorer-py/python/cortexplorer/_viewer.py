"""The viewer from Python: a session file handed to the ``cortexplorer`` program.

The viewer is its own process (winit cannot run a second event loop inside a Jupyter kernel,
and the module stays free of the GPU stack): :func:`view` writes a session — the subject, your
overlays (as NPY files beside it), vessels and a plan — and starts
``cortexplorer view --session``; :func:`screenshot` runs ``cortexplorer render --session`` and
returns the picture. The program is found through ``$CORTEXPLORER_BIN``, then ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any

import numpy as np

from . import _core
from ._core import Subject

__all__ = ["ViewerHandle", "find_binary", "screenshot", "view", "write_session"]


def find_binary() -> str:
    """The ``cortexplorer`` program: ``$CORTEXPLORER_BIN``, else ``cortexplorer`` on ``PATH``.

    Raises
    ------
    FileNotFoundError
        Naming both places looked in.
    """
    env = os.environ.get("CORTEXPLORER_BIN")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise FileNotFoundError(f"CORTEXPLORER_BIN={env!r} is not an executable file")
    found = shutil.which("cortexplorer")
    if found:
        return found
    raise FileNotFoundError(
        "the cortexplorer program was not found: set CORTEXPLORER_BIN to its path, or put it on PATH "
        "(cargo build --release builds target/release/cortexplorer)"
    )


def _overlays(subject: Subject, overlays: dict[str, Any] | None) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    out = []
    hemis = subject.hemispheres
    counts = subject.n_vertices
    sizes = [counts[h] for h in hemis]
    for name, value in (overlays or {}).items():
        if isinstance(value, dict):
            parts = [(str(h), np.ascontiguousarray(v, dtype=np.float32).reshape(-1)) for h, v in value.items()]
        else:
            a = np.ascontiguousarray(value, dtype=np.float32).reshape(-1)
            if a.size != sum(sizes):
                raise ValueError(
                    f"overlay {name!r}: {a.size} values; the subject has {sum(sizes)} vertices "
                    f"({', '.join(f'{h} {n}' for h, n in zip(hemis, sizes))}); give one value per vertex "
                    "(hemispheres in this order) or a dict {'lh': …, 'rh': …}"
                )
            parts, start = [], 0
            for h, n in zip(hemis, sizes):
                parts.append((h, a[start : start + n]))
                start += n
        out.append((str(name), parts))
    return out


def write_session(
    path: str | os.PathLike[str],
    subject: Subject,
    overlays: dict[str, Any] | None = None,
    plan: Any = None,
    vessels: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Write a viewer session: ``subject`` with ``overlays`` ({name: values}: one value per
    vertex, hemispheres in ``subject.hemispheres`` order, or {name: {"lh": …, "rh": …}}), a
    ``plan`` (from :func:`cortexplorer.plan.optimize`) and ``vessels`` ("generated", "none" or a
    vessel file). Returns notes on what could not be stored."""
    plan_json = plan.to_json() if plan is not None else None
    return _core.write_session(
        os.fspath(path),
        subject,
        _overlays(subject, overlays),
        None if vessels is None else os.fspath(vessels),
        plan_json,
    )


class ViewerHandle:
    """A running viewer: ``.process`` (``subprocess.Popen``), ``.session`` (the file it opened),
    ``.wait()``, ``.close()``."""

    def __init__(self, process: subprocess.Popen[bytes], session: str, tmp: tempfile.TemporaryDirectory[str] | None):
        self.process = process
        self.session = session
        self._tmp = tmp
        if tmp is not None:
            # the temporary session lives as long as the viewer, not as long as this handle
            threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        self.process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        """Stop the viewer (if it still runs)."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __repr__(self) -> str:
        state = "running" if self.running() else f"exited {self.process.returncode}"
        return f"<ViewerHandle pid {self.process.pid} ({state}) {self.session}>"


def view(
    subject: Subject | None = None,
    overlays: dict[str, Any] | None = None,
    plan: Any = None,
    vessels: str | os.PathLike[str] | None = None,
    session: str | os.PathLike[str] | None = None,
) -> ViewerHandle:
    """Open the Cortexplorer viewer on ``subject`` (default fsaverage5) with ``overlays``, a
    ``plan`` and ``vessels`` (see :func:`write_session`), as its own process.

    The session is written to ``session`` (kept) or a temporary folder (removed when the
    viewer exits). Returns a :class:`ViewerHandle`.
    """
    subject = subject if subject is not None else Subject.fsaverage5()
    binary = find_binary()
    tmp = None
    if session is None:
        tmp = tempfile.TemporaryDirectory(prefix="cortexplorer-")
        session = os.path.join(tmp.name, "session.json")
    write_session(session, subject, overlays, plan, vessels)
    p = subprocess.Popen([binary, "view", "--session", os.fspath(session)])
    return ViewerHandle(p, os.fspath(session), tmp)


def screenshot(
    subject: Subject | None = None,
    overlays: dict[str, Any] | None = None,
    plan: Any = None,
    vessels: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    width: int = 1280,
    height: int = 800,
    display: bool = True,
) -> np.ndarray:
    """Render the scene :func:`view` would show into a PNG (``cortexplorer render``, no
    window: works on headless machines under Xvfb) and return it as an (height, width, 4)
    uint8 array; shown inline in Jupyter when ``display``.
    """
    subject = subject if subject is not None else Subject.fsaverage5()
    binary = find_binary()
    with tempfile.TemporaryDirectory(prefix="cortexplorer-") as tmp:
        session = os.path.join(tmp, "session.json")
        write_session(session, subject, overlays, plan, vessels)
        png = os.fspath(out) if out is not None else os.path.join(tmp, "screenshot.png")
        r = subprocess.run(
            [binary, "render", "--session", session, "--out", png, "--width", str(int(width)), "--height", str(int(height))],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(f"cortexplorer render failed ({r.returncode}): {r.stderr.strip()}")
        img = _core.read_png(png)
        if display:
            _display(png)
    return img


def _display(png: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Image(filename=png))
