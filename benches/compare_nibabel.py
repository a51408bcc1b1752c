#!/usr/bin/env python3
"""Side-by-side surface loading: nibabel vs `cortexplorer` on the same files.

    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel numpy
    benches/fetch_data.sh && cargo build --release
    /tmp/nib/bin/python benches/compare_nibabel.py

nibabel is timed in-process (best of 20 loads, file in page cache); cortexplorer's in-process
figure comes from `cargo bench --bench readers` (criterion, same files).
"""
import os
import statistics
import time

import nibabel as nib
from nibabel.freesurfer import io as fsio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = [
    ("fsaverage5 pial_left.gii.gz", os.path.join(ROOT, "assets/fsaverage5/pial_left.gii.gz"), "gifti"),
    ("S1 pia_lh.gii (GZipBase64Binary)", os.path.join(ROOT, "bench-data/S1/pia_lh.gii"), "gifti"),
    ("S1 lh.pia (FreeSurfer binary)", os.path.join(ROOT, "bench-data/S1/lh.pia"), "fs"),
]


def load(path, kind):
    if kind == "gifti":
        g = nib.load(path)
        return [d.data for d in g.darrays]
    return fsio.read_geometry(path)


for name, path, kind in FILES:
    if not os.path.exists(path):
        print(f"{name}: missing (run benches/fetch_data.sh, then cargo bench once to write lh.pia)")
        continue
    times = []
    for _ in range(20):
        t = time.perf_counter()
        load(path, kind)
        times.append(time.perf_counter() - t)
    raw = []
    for _ in range(20):
        t = time.perf_counter()
        with open(path, "rb") as f:
            f.read()
        raw.append(time.perf_counter() - t)
    print(f"{name}: nibabel best {min(times)*1e3:.2f} ms, median {statistics.median(times)*1e3:.2f} ms; "
          f"raw read {min(raw)*1e3:.2f} ms")
