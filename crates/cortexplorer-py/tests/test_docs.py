"""Every Python block of docs/python.md runs, in order, in one namespace, from the
repository's root (as the page says)."""

from __future__ import annotations

import os
import re

from conftest import ROOT, binary


def test_every_block_of_the_python_page_runs(monkeypatch):
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(ROOT)
    (ROOT / "target").mkdir(exist_ok=True)
    exe = binary()
    if exe and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        monkeypatch.setenv("CORTEXPLORER_BIN", exe)
    else:
        monkeypatch.delenv("CORTEXPLORER_BIN", raising=False)
    ns: dict = {}
    for i, b in enumerate(blocks):
        try:
            exec(compile(b, f"docs/python.md block {i + 1}", "exec"), ns)
        except Exception as e:  # name the block
            raise AssertionError(f"docs/python.md block {i + 1} failed: {e!r}\n{b}") from e
    assert (ROOT / "target" / "python-plan-E.png").is_file()
