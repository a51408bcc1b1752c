#!/usr/bin/env python3
"""Write the CIFTI-2 reader's test files with nibabel and record what nibabel reads back.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel==5.4.2 numpy
    /tmp/nib/bin/python tests/data/make_cifti.py

Writes tests/data/cifti/:
* test.dscalar.nii, test.dtseries.nii, test.dlabel.nii, test.pscalar.nii, test.ptseries.nii,
  test.dconn.nii — one small grayordinate space shared by all: CORTEX_LEFT (12 vertices, 10 in
  the model: vertices 3 and 7 are the "medial wall", no data), CORTEX_RIGHT (8 vertices, all)
  and THALAMUS_LEFT (5 voxels of a 4×5×3 volume, 2 mm, with an offset);
* bad.missing_key.dlabel.nii — a dlabel whose data holds a key its table does not define;
* expected.json — for each file, nibabel's reading: get_fdata() (float64), the two axes
  (brain models with vertex/voxel indices, scalar and label map names, label tables, series
  timing, parcels) — so the Rust test compares with nibabel, not with numbers typed by hand.
Also copies nibabel's own row_major.dconn.nii (MIT licence, the NiBabel developers) next to
the others, with its reading in the same JSON.
"""
import json
import os
import shutil

import nibabel as nib
import numpy as np
from nibabel import cifti2 as ci

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cifti")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261207)

AFFINE = np.array([[2.0, 0, 0, -4.0], [0, 2.0, 0, -6.0], [0, 0, 2.0, 10.0], [0, 0, 0, 1]])
VOL_SHAPE = (4, 5, 3)
LEFT_N, RIGHT_N = 12, 8
LEFT_IN = np.array([v for v in range(LEFT_N) if v not in (3, 7)])
VOXELS = np.array([[0, 0, 0], [1, 2, 0], [3, 4, 2], [2, 1, 1], [0, 4, 1]])


def brain_models():
    left = ci.BrainModelAxis.from_mask(np.isin(np.arange(LEFT_N), LEFT_IN), name="CortexLeft")
    right = ci.BrainModelAxis.from_mask(np.ones(RIGHT_N, bool), name="CortexRight")
    mask = np.zeros(VOL_SHAPE, bool)
    for v in VOXELS:
        mask[tuple(v)] = True
    thal = ci.BrainModelAxis.from_mask(mask, name="thalamus_left", affine=AFFINE)
    return left + right + thal


def parcels():
    bm = brain_models()
    # A: left vertices 0..4 of the model; B: right 0..3 and two voxels; C: left 8..11
    names = ["A", "B", "C"]
    voxels = [np.zeros((0, 3), int), VOXELS[:2], np.zeros((0, 3), int)]
    vertices = [
        {"CIFTI_STRUCTURE_CORTEX_LEFT": np.array([0, 1, 2, 4])},
        {"CIFTI_STRUCTURE_CORTEX_RIGHT": np.array([0, 1, 2, 3])},
        {"CIFTI_STRUCTURE_CORTEX_LEFT": np.array([8, 9, 10, 11])},
    ]
    return ci.ParcelsAxis(
        names,
        voxels,
        vertices,
        affine=AFFINE,
        volume_shape=VOL_SHAPE,
        nvertices={"CIFTI_STRUCTURE_CORTEX_LEFT": LEFT_N, "CIFTI_STRUCTURE_CORTEX_RIGHT": RIGHT_N},
    )


def save(name, data, axes):
    img = ci.Cifti2Image(np.asarray(data, dtype=np.float32), header=axes)
    img.nifti_header.set_intent(
        {
            "dscalar": "ConnDenseScalar",
            "dtseries": "ConnDenseSeries",
            "dlabel": "ConnDenseLabel",
            "pscalar": "ConnParcelScalr",
            "ptseries": "ConnParcelSries",
            "dconn": "ConnDense",
        }[name.split(".")[-2]]
    )
    img.to_filename(os.path.join(OUT, name))


bm = brain_models()
n = len(bm)
save("test.dscalar.nii", rng.normal(size=(2, n)),
     (ci.ScalarAxis(["thickness-like", "myelin-like"]), bm))
save("test.dtseries.nii", rng.normal(size=(6, n)), (ci.SeriesAxis(0.5, 0.72, 6, "second"), bm))
tables = [
    {0: ("???", (0, 0, 0, 0)), 1: ("V1", (1, 0, 0, 1)), 2: ("V2", (0, 1, 0, 1)),
     3: ("V3", (0, 0, 1, 1))},
    {0: ("???", (0, 0, 0, 0)), 5: ("MT", (1, 1, 0, 1)), 7: ("FFA", (0.5, 0.25, 1, 0.8))},
]
labels = np.stack([rng.integers(0, 4, n), rng.choice([0, 5, 7], n)])
save("test.dlabel.nii", labels, (ci.LabelAxis(["areas", "patches"], tables), bm))
bad = labels.copy()
bad[1, 4] = 9  # key 9 is in no table
img = ci.Cifti2Image(bad.astype(np.float32), header=(ci.LabelAxis(["areas", "patches"], tables), bm))
img.nifti_header.set_intent("ConnDenseLabel")
img.to_filename(os.path.join(OUT, "bad.missing_key.dlabel.nii"))
pa = parcels()
save("test.pscalar.nii", rng.normal(size=(2, len(pa))), (ci.ScalarAxis(["a", "b"]), pa))
save("test.ptseries.nii", rng.normal(size=(4, len(pa))), (ci.SeriesAxis(0.0, 2.0, 4, "second"), pa))
save("test.dconn.nii", rng.normal(size=(n, n)), (bm, bm))
shutil.copy(os.path.join(os.path.dirname(nib.__file__), "tests", "data", "row_major.dconn.nii"), OUT)


def axis_json(ax):
    if isinstance(ax, ci.BrainModelAxis):
        models = []
        for name, slc, sub in ax.iter_structures():
            start, stop = slc.start or 0, slc.stop if slc.stop is not None else len(ax)
            surf = sub.surface_mask.all()
            m = {"structure": name, "offset": int(start), "count": int(stop - start),
                 "type": "surface" if surf else "voxels"}
            if surf:
                m["vertices"] = sub.vertex.tolist()
                m["n_vertices"] = int(ax.nvertices[name])
            else:
                m["ijk"] = sub.voxel.tolist()
            models.append(m)
        out = {"kind": "brain_models", "length": len(ax), "models": models}
        if ax.volume_shape is not None:
            out["volume_shape"] = list(ax.volume_shape)
            out["affine"] = ax.affine.tolist()
        return out
    if isinstance(ax, ci.ScalarAxis):
        return {"kind": "scalars", "names": list(ax.name)}
    if isinstance(ax, ci.LabelAxis):
        return {"kind": "labels", "names": list(ax.name),
                "tables": [{str(k): [v[0], list(v[1])] for k, v in t.items()} for t in ax.label]}
    if isinstance(ax, ci.SeriesAxis):
        return {"kind": "series", "length": ax.size, "start": ax.start, "step": ax.step,
                "unit": ax.unit}
    if isinstance(ax, ci.ParcelsAxis):
        ps = []
        for i, name in enumerate(ax.name):
            ps.append({"name": name, "ijk": ax.voxels[i].tolist(),
                       "vertices": {k: v.tolist() for k, v in ax.vertices[i].items()}})
        out = {"kind": "parcels", "parcels": ps,
               "n_vertices": {k: int(v) for k, v in ax.nvertices.items()}}
        if ax.volume_shape is not None:
            out["volume_shape"] = list(ax.volume_shape)
            out["affine"] = ax.affine.tolist()
        return out
    raise TypeError(ax)


expected = {}
for f in sorted(os.listdir(OUT)):
    if not f.endswith(".nii") or f.startswith("bad."):
        continue
    img = nib.load(os.path.join(OUT, f))
    expected[f] = {
        "intent": int(img.nifti_header["intent_code"]),
        "shape": list(img.shape),
        "data": img.get_fdata().tolist(),
        "axes": [axis_json(img.header.get_axis(i)) for i in range(2)],
    }
with open(os.path.join(OUT, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1)
print("wrote", OUT)
