#!/usr/bin/env python3
"""Write the MNE source-estimate reader's test files with MNE-Python and record what MNE reads.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/mne && /tmp/mne/bin/pip install mne==1.13.2
    /tmp/mne/bin/python tests/data/make_stc.py

Writes tests/data/mne/:
* ico5-lh.stc / ico5-rh.stc — every vertex of fsaverage5 (10,242 per hemisphere, as an
  ico-5 source space on fsaverage), 3 time points from 0.1 s every 4 ms
  (`mne.SourceEstimate(...).save`);
* sparse-lh.stc / sparse-rh.stc — 40 and 30 source vertices, 4 time points, negative tmin;
* sparse-lh.w — the first time point of the sparse left estimate as a `.w` file
  (`mne.source_estimate._write_w`, what `stc.save(ftype='w')` calls);
* expected.json — `mne.read_source_estimate` / `_read_w` of each: vertices, tmin, tstep and
  every value of the sparse files, samples and sums of the ico-5 ones.
"""
import json
import os

import mne
import numpy as np
from mne.source_estimate import _read_w, _write_w

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mne")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261207)

full = [np.arange(10242), np.arange(10242)]
data = rng.normal(size=(20484, 3)).astype(np.float32) * 1e-9
mne.SourceEstimate(data, full, tmin=0.1, tstep=0.004, subject="fsaverage5").save(
    os.path.join(OUT, "ico5"), overwrite=True)
sparse = [np.sort(rng.choice(10242, 40, replace=False)), np.sort(rng.choice(10242, 30, replace=False))]
sdata = rng.normal(size=(70, 4)).astype(np.float32)
mne.SourceEstimate(sdata, sparse, tmin=-0.05, tstep=0.01, subject="fsaverage5").save(
    os.path.join(OUT, "sparse"), overwrite=True)
_write_w(os.path.join(OUT, "sparse-lh.w"), sparse[0], sdata[:40, 0])

expected = {}
for name in ["ico5", "sparse"]:
    stc = mne.read_source_estimate(os.path.join(OUT, name))
    for h, verts, d in [("lh", stc.lh_vertno, stc.lh_data), ("rh", stc.rh_vertno, stc.rh_data)]:
        e = {"n_vertices": len(verts), "tmin": float(stc.tmin), "tstep": float(stc.tstep),
             "times": len(stc.times), "sum": float(np.asarray(d, np.float64).sum())}
        if name == "sparse":
            e["vertices"] = verts.tolist()
            e["data"] = d.tolist()  # [vertex, time]
        else:
            assert (verts == np.arange(10242)).all()
            e["samples"] = [[int(v), int(t), float(d[v, t])] for v, t in [(0, 0), (5000, 1), (10241, 2)]]
        expected[f"{name}-{h}.stc"] = e
w = _read_w(os.path.join(OUT, "sparse-lh.w"))
expected["sparse-lh.w"] = {"vertices": w["vertices"].tolist(), "data": w["data"].tolist()}
with open(os.path.join(OUT, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)
print("wrote", OUT)
