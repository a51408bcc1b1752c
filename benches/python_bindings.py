#!/usr/bin/env python3
"""The Python package (`import cortexplorer`) timed against what Python users run today, in
one run, printed as a Markdown table (ratio = peer time / cortexplorer time; above 1 = faster).

    python3 -m venv bench-data/pyvenv
    bench-data/pyvenv/bin/pip install "maturin>=1.16,<2" nibabel numpy pulse2percept==0.11.0
    bench-data/pyvenv/bin/maturin build --release -m crates/cortexplorer-py/Cargo.toml -o bench-data/wheels
    bench-data/pyvenv/bin/pip install --force-reinstall bench-data/wheels/cortexplorer-*.whl
    benches/fetch_data.sh && cargo build --release
    bench-data/pyvenv/bin/python benches/python_bindings.py

What is timed (best of N, files in the page cache):
* `cortexplorer.io.read_geometry` against `nibabel.freesurfer.read_geometry` on pycortex S1's
  `lh.pia` (FreeSurfer binary, ~150k vertices);
* `cortexplorer.io.load(...).agg_data()` against `nibabel.load(...).agg_data()` on S1's
  `pia_lh.gii` (GIFTI, GZipBase64Binary);
* the percept of 1,000 electrodes (the side-by-side page's 40 x 25 lattice on the flat map),
  one 256 x 256 frame over 16 degrees: `ScoreboardModel(...).predict_percept` of this package
  against pulse2percept's `ScoreboardModel.predict_percept`, and against the CLI's in-process
  `seconds` (`cortexplorer percept --json`): the binding's own cost;
* planning: `cortexplorer.plan.optimize` (fsaverage5, 100 electrodes, the bundled
  configuration) against `cortexplorer plan --json` (the CLI process, wall clock), both from
  the embedded subject to the finished report.

pulse2percept is installed only to be timed; nothing of it is in this project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

# the side-by-side page's timing, lattice and table (one piece of code for both pages)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import BIN, LATTICE, NOTES, ROOT, ROWS, best, cli_percept_seconds, table  # noqa: E402

warnings.filterwarnings("ignore")
S1 = os.path.join(ROOT, "bench-data", "S1")


def readers(cx):
    try:
        import nibabel as nib
        from nibabel.freesurfer import io as fsio
    except ImportError:
        NOTES.append("nibabel not installed: readers skipped")
        return
    fs, gii = os.path.join(S1, "lh.pia"), os.path.join(S1, "pia_lh.gii")
    if not os.path.isfile(gii):
        NOTES.append("bench-data/S1 missing (benches/fetch_data.sh): readers skipped")
        return
    if not os.path.isfile(fs):
        # the FreeSurfer copy of the GIFTI surface, as benches/side_by_side.py writes it
        g = nib.load(gii)
        fsio.write_geometry(fs, g.darrays[0].data, g.darrays[1].data)
    ROWS.append(("read_geometry S1 lh.pia (FreeSurfer, ~150k vertices)", f"nibabel {nib.__version__}",
                 best(lambda: fsio.read_geometry(fs), 20), best(lambda: cx.io.read_geometry(fs), 20)))
    ROWS.append(("load S1 pia_lh.gii + agg_data (GIFTI GZipBase64)", f"nibabel {nib.__version__}",
                 best(lambda: nib.load(gii).agg_data(), 10), best(lambda: cx.io.load(gii).agg_data(), 10)))


def percept(cx):
    from cortexplorer.percept import Electrodes, ScoreboardModel

    el = Electrodes(["lh"] * len(LATTICE), [u for u, _ in LATTICE], [v for _, v in LATTICE])
    step = 16 / 255
    mine = ScoreboardModel(rho=200, xrange=(-8, 8), yrange=(-8, 8), xystep=step).build()
    assert mine.predict_percept(el).data.shape == (256, 256)
    t_py = best(lambda: mine.predict_percept(el), 10)
    try:
        import pulse2percept as p2p
        from pulse2percept.implants import DiskElectrode, ElectrodeArray
        from pulse2percept.implants.cortex import CorticalImplant
        from pulse2percept.models.cortex import ScoreboardModel as P2P

        els = {f"E{i}": DiskElectrode(-u * 1000 - 20000, v * 1000, 0, 100) for i, (u, v) in enumerate(LATTICE)}
        sb = P2P(CorticalImplant(ElectrodeArray(els)), rho=200, xrange=(-8, 8), yrange=(-8, 8), step=step).build()
        t = best(lambda: sb.predict_percept({k: 1.0 for k in els}), 3)
        ROWS.append(("percept, 1,000 electrodes, 256x256 (scoreboard)", f"pulse2percept {p2p.__version__}", t, t_py))
    except ImportError:
        NOTES.append("pulse2percept not installed: the percept row against it is skipped")
    if os.path.isfile(BIN):
        ROWS.append(("percept, same: the CLI in-process vs the binding", "cortexplorer percept (in-process)",
                     cli_percept_seconds(), t_py))


def planning(cx):
    if not os.path.isfile(BIN):
        NOTES.append(f"{BIN} missing: the planning overhead is skipped")
        return
    t_cli = []
    for _ in range(2):
        t = time.perf_counter()
        subprocess.run([BIN, "plan", "--json"], capture_output=True, check=True)
        t_cli.append(time.perf_counter() - t)
    t_py = []
    for _ in range(2):
        t = time.perf_counter()
        cx.plan.optimize(cx.Subject.fsaverage5(), n_electrodes=100, progress=False)
        t_py.append(time.perf_counter() - t)
    ROWS.append(("plan fsaverage5, 100 electrodes, bundled configuration (wall)", "cortexplorer plan --json",
                 min(t_cli), min(t_py)))


def main():
    import cortexplorer as cx

    parts = sys.argv[1:] or ["readers", "percept", "planning"]
    for p in parts:
        {"readers": readers, "percept": percept, "planning": planning}[p](cx)
    print(f"cortexplorer {cx.__version__} (Python package)")
    table("cortexplorer (Python)")


if __name__ == "__main__":
    main()
