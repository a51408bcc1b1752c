"""The hand-written stubs match the compiled module; the package type-checks with them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_stubtest():
    pytest.importorskip("mypy")
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "cortexplorer._core"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_package_type_checks():
    pytest.importorskip("mypy")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental", "-p", "cortexplorer"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
