#!/usr/bin/env python3
"""Write a GENERATED dense connectome (CIFTI-2 dconn) on fsaverage5's left hemisphere with
nibabel, to show how Cortexplorer reads a connectome a row at a time (no real connectome is
shipped: HCP's terms do not allow it).

    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel numpy
    /tmp/nib/bin/python docs/make_dconn_demo.py OUT_DIR
    cortexplorer view OUT_DIR/demo_fsaverage5.dconn.nii     # then click a vertex

10,242 × 10,242 float32 values (420 MB). "Connectivity" between vertices i and j, from their
positions on fsaverage5's sphere (unit vectors u):

    c(i, j) = 0.6 · exp(−θ²/(2 · 0.15²)) + 0.7 · Σ_k m_k(i) · m_k(j)     (θ = arccos u_i·u_j)

a local falloff plus four made-up "networks", each a sum of two or three Gaussian patches
m_k (width 0.2 rad) on the sphere, so that a seed in one patch lights its network's other
patches. It is symmetric; the diagonal is 1.3 or more.
"""
import gzip
import os
import sys

import nibabel as nib
import numpy as np
from nibabel import cifti2 as ci

out = sys.argv[1] if len(sys.argv) > 1 else "dconn_demo"
os.makedirs(out, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
sphere_file = os.path.join(here, "..", "assets", "fsaverage5", "sphere_left.gii.gz")
g = nib.gifti.GiftiImage.from_bytes(gzip.decompress(open(sphere_file, "rb").read()))
xyz = g.agg_data("NIFTI_INTENT_POINTSET").astype(np.float64)
u = xyz / np.linalg.norm(xyz, axis=1, keepdims=True)
n = len(u)


def direction(lat, lon):
    lat, lon = np.radians(lat), np.radians(lon)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


# (latitude, longitude) of each network's patches, in the sphere's own frame
networks = [
    [(10, 200), (30, 100), (-20, 150)],
    [(-40, 260), (0, 60)],
    [(50, 180), (-10, 300), (20, 20)],
    [(-50, 120), (40, 250)],
]
m = np.zeros((len(networks), n))
for k, patches in enumerate(networks):
    for lat, lon in patches:
        ang = np.arccos(np.clip(u @ direction(lat, lon), -1, 1))
        m[k] += np.exp(-ang**2 / (2 * 0.2**2))
data = np.empty((n, n), np.float32)
for a in range(0, n, 1024):
    b = min(n, a + 1024)
    ang = np.arccos(np.clip(u[a:b] @ u.T, -1, 1))
    data[a:b] = 0.6 * np.exp(-ang**2 / (2 * 0.15**2)) + 0.7 * (m[:, a:b].T @ m)
bm = ci.BrainModelAxis.from_mask(np.ones(n, bool), name="CortexLeft")
img = ci.Cifti2Image(data, header=(bm, bm))
img.nifti_header.set_intent("ConnDense")
path = os.path.join(out, "demo_fsaverage5.dconn.nii")
img.to_filename(path)
print("wrote", path, f"({n} x {n}, GENERATED)")
