"""Shared fixtures: the repository's test data (the files the Rust tests read) and the
``cortexplorer`` program the viewer tests start."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"


@pytest.fixture
def data() -> pathlib.Path:
    return DATA


def binary() -> str | None:
    """The program: $CORTEXPLORER_BIN, else the workspace's build, else PATH."""
    env = os.environ.get("CORTEXPLORER_BIN")
    if env:
        return env
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "cortexplorer"
        if p.is_file():
            return str(p)
    return shutil.which("cortexplorer")
