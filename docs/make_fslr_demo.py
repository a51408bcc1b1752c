#!/usr/bin/env python3
"""Write a GENERATED HCP-style CIFTI-2 demo with nibabel: fs_LR-32k-sized surfaces and
dscalar / dtseries / dlabel files on them (no HCP data is shipped: its terms do not
allow it).

    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel numpy
    /tmp/nib/bin/python docs/make_fslr_demo.py OUT_DIR
    cortexplorer view --no-default OUT_DIR/demo.L.midthickness.32k_fs_LR.surf.gii \
        OUT_DIR/demo.R.midthickness.32k_fs_LR.surf.gii OUT_DIR/demo.dscalar.nii

The surfaces are ellipsoids with 32,492 vertices each (fs_LR 32k's count: a UV sphere of
171 rings × 190 segments plus two poles), tagged CortexLeft/CortexRight in their GIFTI
metadata; the grayordinates leave out a "medial wall" (the 2,796 vertices nearest the
midline of each hemisphere), so 29,696 per hemisphere as in HCP files. Values are smooth
functions of position (maps), a travelling wave (series, TR 0.72 s) and octant parcels
(labels).
"""
import os
import sys

import nibabel as nib
import numpy as np
from nibabel import cifti2 as ci

out = sys.argv[1] if len(sys.argv) > 1 else "fslr_demo"
os.makedirs(out, exist_ok=True)
RINGS, SEGS = 171, 190
N = RINGS * SEGS + 2
assert N == 32492
MEDIAL = 2796


def hemisphere(side):
    theta = np.linspace(0, np.pi, RINGS + 2)[1:-1]
    phi = np.linspace(0, 2 * np.pi, SEGS, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    unit = np.vstack([[0, 0, 1], unit, [0, 0, -1]])
    # a hemisphere-like ellipsoid: 35 mm wide, 85 long, 60 high, 40 mm off the midline,
    # with gentle "gyri" so shading shows the shape
    wobble = 1 + 0.04 * np.sin(9 * unit[:, 1]) * np.cos(7 * unit[:, 2])
    xyz = unit * np.array([35.0, 85.0, 60.0]) * wobble[:, None]
    xyz[:, 0] += 40.0 * side
    faces = []
    idx = lambda r, s: 1 + r * SEGS + (s % SEGS)
    for s in range(SEGS):
        faces.append([0, idx(0, s + 1), idx(0, s)])
        faces.append([N - 1, idx(RINGS - 1, s), idx(RINGS - 1, s + 1)])
    for r in range(RINGS - 1):
        for s in range(SEGS):
            a, b, c, d = idx(r, s), idx(r, s + 1), idx(r + 1, s), idx(r + 1, s + 1)
            faces += [[a, b, d], [a, d, c]]
    faces = np.array(faces, np.int32)
    if side < 0:  # keep outward normals after the mirror
        faces = faces[:, ::-1]
    return xyz.astype(np.float32), faces, unit


def save_surface(name, xyz, faces, structure):
    meta = nib.gifti.GiftiMetaData({"AnatomicalStructurePrimary": structure})
    g = nib.gifti.GiftiImage(meta=meta)
    g.add_gifti_data_array(nib.gifti.GiftiDataArray(xyz, intent="NIFTI_INTENT_POINTSET",
                                                    datatype="NIFTI_TYPE_FLOAT32"))
    g.add_gifti_data_array(nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE",
                                                    datatype="NIFTI_TYPE_INT32"))
    nib.save(g, os.path.join(out, name))


hemis = {}
for side, tag, structure in [(-1, "L", "CortexLeft"), (1, "R", "CortexRight")]:
    xyz, faces, unit = hemisphere(side)
    save_surface(f"demo.{tag}.midthickness.32k_fs_LR.surf.gii", xyz, faces, structure)
    medial = np.argsort(unit[:, 0] * side)[:MEDIAL]  # the side facing the midline
    keep = np.ones(N, bool)
    keep[medial] = False
    hemis[tag] = (xyz, unit, keep)

bm = (ci.BrainModelAxis.from_mask(hemis["L"][2], name="CortexLeft")
      + ci.BrainModelAxis.from_mask(hemis["R"][2], name="CortexRight"))
pos = np.vstack([hemis[t][0][hemis[t][2]] for t in "LR"])
unit = np.vstack([hemis[t][1][hemis[t][2]] for t in "LR"])


def save(name, data, axes, intent):
    img = ci.Cifti2Image(np.asarray(data, np.float32), header=axes)
    img.nifti_header.set_intent(intent)
    img.to_filename(os.path.join(out, name))


myelin = 1.2 + 0.4 * np.tanh(-pos[:, 1] / 30) + 0.1 * np.sin(pos[:, 2] / 6)
thick = 2.5 + 0.5 * np.cos(pos[:, 1] / 15) * np.sin(pos[:, 2] / 12)
save("demo.dscalar.nii", np.stack([myelin, thick]),
     (ci.ScalarAxis(["MyelinMap (generated)", "thickness (generated)"]), bm), "ConnDenseScalar")
T = 120
t = np.arange(T)[:, None] * 0.72
series = np.sin(2 * np.pi * (0.08 * t - pos[None, :, 1] / 60.0)) + 0.1 * np.random.default_rng(1).normal(size=(T, len(pos)))
save("demo.dtseries.nii", series, (ci.SeriesAxis(0.0, 0.72, T, "second"), bm), "ConnDenseSeries")
octant = (unit[:, 0] > 0) * 4 + (unit[:, 1] > 0) * 2 + (unit[:, 2] > 0) + 1
table = {0: ("???", (0, 0, 0, 0))}
colours = [(0.9, 0.2, 0.2), (0.2, 0.7, 0.3), (0.2, 0.4, 0.9), (0.9, 0.8, 0.2),
           (0.7, 0.3, 0.8), (0.2, 0.8, 0.8), (0.95, 0.5, 0.1), (0.6, 0.6, 0.6)]
for k in range(8):
    table[k + 1] = (f"octant {k + 1} (generated)", colours[k] + (1.0,))
save("demo.dlabel.nii", octant[None, :], (ci.LabelAxis(["octants (generated)"], [table]), bm),
     "ConnDenseLabel")
print("wrote", out)
