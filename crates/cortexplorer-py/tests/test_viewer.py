"""The viewer from Python: the session handed to the program (a stub that records its
arguments), and one real screenshot through ``cortexplorer render`` (under CI's Xvfb)."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

import cortexplorer as cx
from conftest import binary


@pytest.fixture
def stub(tmp_path, monkeypatch):
    log = tmp_path / "args.txt"
    exe = tmp_path / "cortexplorer-stub"
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CORTEXPLORER_BIN", str(exe))
    return log


def test_view_writes_a_session_and_starts_the_viewer(stub, tmp_path):
    s = cx.Subject.fsaverage5()
    values = np.linspace(0, 1, 20484, dtype=np.float32)
    h = cx.view(s, overlays={"gradient": values}, vessels="generated", session=tmp_path / "s.json")
    assert h.wait(30) == 0
    args = stub.read_text().split("\n")
    assert args[:3] == ["view", "--session", str(tmp_path / "s.json")]
    sess = json.loads((tmp_path / "s.json").read_text())
    assert sess["format"] == "cortexplorer-session"
    assert {"kind": "embedded", "name": "pial_left.gii.gz"} in sess["inputs"]
    assert {"kind": "generated-vessels", "seed": 1} in sess["inputs"]
    layer = next(l for l in sess["layers"] if l["name"] == "gradient")
    # the overlay's values are stored beside the session, one NPY per hemisphere
    files = list(layer["data"].values())
    assert len(files) == 2 and all((tmp_path / f).is_file() for f in files)
    lh = np.load(tmp_path / layer["data"].get("left", files[0]))
    assert lh.size == 10242


def test_a_temporary_session_lives_as_long_as_the_viewer(stub):
    h = cx.view()
    path = stub.parent / "kept.txt"
    assert h.wait(30) == 0
    args = stub.read_text().split("\n")
    assert args[0] == "view" and args[2].endswith("session.json")
    # the handle is dropped at once in a script; the folder goes when the viewer exits
    del h
    import time

    for _ in range(100):
        if not os.path.exists(args[2]):
            break
        time.sleep(0.05)
    assert not os.path.exists(args[2])
    assert not path.exists()


def test_overlay_of_the_wrong_length(stub):
    with pytest.raises(ValueError, match="20484 vertices"):
        cx.view(cx.Subject.fsaverage5(), overlays={"bad": np.zeros(7)})
    with pytest.raises(ValueError, match="which has 10242 vertices"):
        cx.view(cx.Subject.fsaverage5(), overlays={"bad": {"lh": np.zeros(7)}})


def test_missing_program_names_both_places(monkeypatch, tmp_path):
    monkeypatch.setenv("CORTEXPLORER_BIN", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="CORTEXPLORER_BIN"):
        cx.view()
    monkeypatch.delenv("CORTEXPLORER_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CORTEXPLORER_BIN.*PATH"):
        cx.screenshot()


def test_a_real_screenshot(monkeypatch, tmp_path):
    exe = binary()
    if exe is None or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        pytest.skip("needs the built program and a display (CI runs it under Xvfb)")
    monkeypatch.setenv("CORTEXPLORER_BIN", exe)
    s = cx.Subject.fsaverage5()
    lh_x = s.surface("lh", "pial")[0][:, 1]
    rh_x = s.surface("rh", "pial")[0][:, 1]
    out = os.environ.get("CORTEXPLORER_PY_SHOT", str(tmp_path / "shot.png"))
    img = cx.screenshot(s, overlays={"y": {"lh": lh_x, "rh": rh_x}}, out=out, width=320, height=200, display=False)
    assert img.shape == (200, 320, 4) and img.dtype == np.uint8
    assert os.path.isfile(out)
    # the brain is drawn: many pixels differ from the background, in several colours
    rgb = img[:, :, :3].reshape(-1, 3)
    bg = rgb[0]
    drawn = rgb[np.any(rgb != bg, axis=1)]
    assert len(drawn) > 0.1 * len(rgb)
    assert len(np.unique(drawn // 32, axis=0)) > 5
