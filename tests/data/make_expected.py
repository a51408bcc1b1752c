#!/usr/bin/env python3
"""Regenerate the reader test data and the values nibabel reads from it.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel==5.4.2 numpy
    /tmp/nib/bin/python tests/data/make_expected.py

* copies a few files from nibabel's own test data (MIT licence) into tests/data/nibabel/;
* writes FreeSurfer binary files with nibabel's writers (write_geometry, write_morph_data,
  write_annot) from the bundled fsaverage5 surfaces and nibabel's rh.aparc.annot.gii, so the
  binary readers are checked on files produced by an independent implementation;
* writes tests/data/expected_nibabel.json: for every file, what nibabel 5 reads from it.

The Rust tests compare cortexplorer's readers with these numbers; nothing in the JSON is
typed by hand.
"""
import gzip
import json
import os
import shutil

import nibabel as nib
import numpy as np
from nibabel.freesurfer import io as fsio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NIB = os.path.dirname(nib.__file__)
OUT_NIB = os.path.join(HERE, "nibabel")
OUT_FS = os.path.join(HERE, "freesurfer")
os.makedirs(OUT_NIB, exist_ok=True)
os.makedirs(OUT_FS, exist_ok=True)

GIFTI = ["ascii.gii", "base64bin.gii", "gzipbase64.gii", "rh.aparc.annot.gii", "task.func.gii",
         "external.gii", "external.dat"]
VOLUMES = ["test.mgz", "example4d.nii.gz", "example_nifti2.nii.gz", "standard.nii.gz",
           "anatomical.nii", "functional.nii"]
for f in GIFTI:
    shutil.copy(os.path.join(NIB, "gifti", "tests", "data", f), OUT_NIB)
for f in VOLUMES:
    shutil.copy(os.path.join(NIB, "tests", "data", f), OUT_NIB)

# FreeSurfer binaries written by nibabel.
white = nib.load(os.path.join(ROOT, "assets", "fsaverage5", "white_left.gii.gz"))
coords, faces = white.darrays[0].data, white.darrays[1].data
fsio.write_geometry(os.path.join(OUT_FS, "lh.white"), coords, faces,
                    create_stamp="created by nibabel 5.4.2 from nilearn fsaverage5 white_left")
thick = nib.load(os.path.join(ROOT, "assets", "fsaverage5", "thick_left.gii.gz")).darrays[0].data
fsio.write_morph_data(os.path.join(OUT_FS, "lh.thickness"), thick)
lab = nib.load(os.path.join(NIB, "gifti", "tests", "data", "rh.aparc.annot.gii"))
keys = lab.darrays[0].data.astype(np.int32)
table = lab.labeltable.labels
# colour table rows indexed by key; labels are positions in the table (nibabel's convention)
ctab = np.zeros((len(table), 5), np.int32)
names = []
key_to_row = {}
for i, l in enumerate(table):
    ctab[i, :3] = np.round(np.array(l.rgba[:3]) * 255).astype(np.int32)
    ctab[i, 3] = 255 - int(round(l.rgba[3] * 255))
    names.append(l.label.encode())
    key_to_row[l.key] = i
rows = np.array([key_to_row.get(int(k), -1) for k in keys], np.int32)
annot_path = os.path.join(OUT_FS, "rh.aparc.annot")
fsio.write_annot(annot_path, rows, ctab, names, fill_ctab=True)
with open(annot_path, "rb") as src, gzip.open(annot_path + ".gz", "wb") as dst:
    dst.write(src.read())
os.remove(annot_path)
# A .label file in FreeSurfer's text layout (nibabel can read but not write labels).
label_vertices = np.arange(0, 10242, 97)
with open(os.path.join(OUT_FS, "lh.sample.label"), "w") as f:
    f.write("#!ascii label  , from subject fsaverage5 vox2ras=TkReg\n")
    f.write(f"{len(label_vertices)}\n")
    for v in label_vertices:
        x, y, z = coords[v]
        f.write(f"{v}  {x:.3f}  {y:.3f}  {z:.3f} {float(thick[v]):.10f}\n")


def samples(a):
    a = np.asarray(a).reshape(-1)
    idx = sorted({0, len(a) // 3, len(a) // 2, len(a) - 1})
    return {"index": idx, "value": [float(a[i]) for i in idx]}


def stats(a):
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean())}


expected = {}
for f in GIFTI[:-1]:
    path = os.path.join(OUT_NIB, f)
    g = nib.load(path)
    intents = [nib.nifti1.intent_codes.niistring[d.intent] for d in g.darrays]
    if "NIFTI_INTENT_POINTSET" in intents:
        c = g.agg_data("NIFTI_INTENT_POINTSET")
        t = g.agg_data("NIFTI_INTENT_TRIANGLE")
        expected[f] = {"kind": "surface", "vertices": int(c.shape[0]), "faces": int(t.shape[0]),
                       "bbox_min": c.min(0).tolist(), "bbox_max": c.max(0).tolist(),
                       "coords": samples(c), "triangles": samples(t)}
    elif "NIFTI_INTENT_LABEL" in intents:
        d = g.darrays[0].data
        regions = []
        for l in g.labeltable.labels:
            regions.append({"name": l.label, "index": int(l.key), "count": int((d == l.key).sum())})
        expected[f] = {"kind": "labels", "vertices": int(d.shape[0]), "regions": regions}
    else:
        frames = [d.data.reshape(d.data.shape[0], -1) for d in g.darrays]
        data = np.concatenate(frames, axis=1)
        expected[f] = {"kind": "overlay", "values": int(data.shape[0]), "frames": int(data.shape[1]),
                       **stats(data), "data": samples(data.T)}

for f in VOLUMES:
    img = nib.load(os.path.join(OUT_NIB, f))
    d = np.asanyarray(img.get_fdata())
    expected[f] = {"kind": "volume", "dims": [int(x) for x in img.shape],
                   "affine": img.affine.tolist(), "dtype": str(np.dtype(img.get_data_dtype()).newbyteorder("=")),
                   "voxel_size_mm": [float(z) for z in img.header.get_zooms()[:3]],
                   **stats(d), "data": samples(d.reshape(-1, order="F"))}

c, t = fsio.read_geometry(os.path.join(OUT_FS, "lh.white"))
expected["lh.white"] = {"kind": "surface", "vertices": int(c.shape[0]), "faces": int(t.shape[0]),
                        "bbox_min": c.min(0).tolist(), "bbox_max": c.max(0).tolist(),
                        "coords": samples(c), "triangles": samples(t)}
m = fsio.read_morph_data(os.path.join(OUT_FS, "lh.thickness"))
expected["lh.thickness"] = {"kind": "overlay", "values": int(m.shape[0]), "frames": 1, **stats(m), "data": samples(m)}
with gzip.open(annot_path + ".gz") as src, open("/tmp/_annot", "wb") as dst:
    dst.write(src.read())
labels, ctab, names = fsio.read_annot("/tmp/_annot")
expected["rh.aparc.annot.gz"] = {
    "kind": "labels", "vertices": int(labels.shape[0]),
    "regions": [{"name": n.decode(), "index": i, "rgba": [int(ctab[i, 0]), int(ctab[i, 1]), int(ctab[i, 2]), 255 - int(ctab[i, 3])],
                 "count": int((labels == i).sum())} for i, n in enumerate(names)]}
lv = fsio.read_label(os.path.join(OUT_FS, "lh.sample.label"))
expected["lh.sample.label"] = {"kind": "labels", "vertices": int(len(lv)), "label_vertices": samples(lv)}

for f in ["pial_left.gii.gz", "white_right.gii.gz", "infl_left.gii.gz", "sphere_right.gii.gz",
          "flat_left.gii.gz", "sulc_left.gii.gz", "curv_right.gii.gz", "thick_left.gii.gz"]:
    g = nib.load(os.path.join(ROOT, "assets", "fsaverage5", f))
    if len(g.darrays) == 2:
        c, t = g.darrays[0].data, g.darrays[1].data
        expected["fsaverage5/" + f] = {"kind": "surface", "vertices": int(c.shape[0]), "faces": int(t.shape[0]),
                                       "bbox_min": c.min(0).tolist(), "bbox_max": c.max(0).tolist(),
                                       "coords": samples(c), "triangles": samples(t)}
    else:
        d = g.darrays[0].data
        expected["fsaverage5/" + f] = {"kind": "overlay", "values": int(d.shape[0]), "frames": 1, **stats(d), "data": samples(d)}

# the bundled MNI152 template (the slices' default underlay)
mni = "mni152/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
img = nib.load(os.path.join(ROOT, "assets", mni))
d = np.asanyarray(img.get_fdata())
expected[mni] = {"kind": "volume", "dims": [int(x) for x in img.shape],
                 "affine": img.affine.tolist(), "dtype": str(np.dtype(img.get_data_dtype()).newbyteorder("=")),
                 "voxel_size_mm": [float(z) for z in img.header.get_zooms()[:3]],
                 **stats(d), "data": samples(d.reshape(-1, order="F"))}

expected["_provenance"] = f"nibabel {nib.__version__}, numpy {np.__version__}; generated by tests/data/make_expected.py"
with open(os.path.join(HERE, "expected_nibabel.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", len(expected) - 1, "entries")
