#!/usr/bin/env python3
"""Side by side: volume -> surface sampling in nilearn vs Cortexplorer, same volume, same
surfaces, same sampling (mean of 11 trilinear samples from white to pial).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install nilearn nibabel
    cargo build --release
    /tmp/venv/bin/python benches/compare_vol2surf.py

The volume is a 4D NIfTI on the MNI152 2 mm grid (91 x 109 x 91, 5 frames, float32) whose
values are a linear function of world coordinates plus 10 x frame — trilinear sampling is
exact for it, so both tools must give the same numbers (printed as the largest difference).
Surfaces: nilearn's bundled fsaverage5 white and pial (10,242 vertices per hemisphere).

nilearn: `surface.vol_to_surf(img, pial, inner_mesh=white, kind='depth', n_samples=11,
interpolation='linear')` per hemisphere, on the image already in memory ('line' would
sample along the normal, ignoring the white mesh).
Cortexplorer: `cortexplorer vol2surf VOL --white W --pial P --projfrac-avg 0,1,0.1 --out .npy`
per hemisphere — a whole process each time, reading the volume (gzip) and surfaces from disk
and writing the result, timed from outside (so it pays for more than nilearn does).
"""
import os, subprocess, tempfile, time, warnings

import numpy as np
import nibabel as nib

warnings.filterwarnings("ignore")
from nilearn import datasets, surface

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "cortexplorer")
REPEAT = 5

affine = np.array([[-2.0, 0, 0, 90], [0, 2.0, 0, -126], [0, 0, 2.0, -72], [0, 0, 0, 1]])
i, j, k = np.meshgrid(np.arange(91), np.arange(109), np.arange(91), indexing="ij")
x = affine[0, 0] * i + affine[0, 3]
y = affine[1, 1] * j + affine[1, 3]
z = affine[2, 2] * k + affine[2, 3]
base = 0.3 * x - 0.7 * y + 0.11 * z + 5.0
data = np.stack([base + 10 * t for t in range(5)], axis=-1).astype(np.float32)
d = tempfile.mkdtemp(prefix="cx-v2s-")
vol = os.path.join(d, "betas.nii.gz")
img = nib.Nifti1Image(data, affine)
nib.save(img, vol)
img = nib.load(vol)
img.get_fdata()  # in memory for nilearn

fs = datasets.fetch_surf_fsaverage("fsaverage5")
rows = []
worst = 0.0
for hemi in ("left", "right"):
    pial, white = fs[f"pial_{hemi}"], fs[f"white_{hemi}"]
    best_nl = 1e9
    for _ in range(REPEAT):
        t = time.perf_counter()
        nl = surface.vol_to_surf(img, pial, inner_mesh=white, kind="depth", n_samples=11,
                                 interpolation="linear")
        best_nl = min(best_nl, time.perf_counter() - t)
    out = os.path.join(d, f"{hemi}.npy")
    best_cx = 1e9
    for _ in range(REPEAT):
        t = time.perf_counter()
        subprocess.run([BIN, "vol2surf", vol, "--white", white, "--pial", pial,
                        "--projfrac-avg", "0,1,0.1", "--out", out, "--json"],
                       check=True, capture_output=True, text=True)
        best_cx = min(best_cx, time.perf_counter() - t)
    cx = np.load(out)
    cx = cx.reshape(nl.shape) if cx.size == nl.size else cx
    ok = np.isfinite(nl) & np.isfinite(cx)
    worst = max(worst, float(np.max(np.abs(nl[ok] - cx[ok]))))
    rows.append((hemi, nl.shape, best_nl, best_cx))

print(f"{'hemisphere':<10} {'shape':<12} {'nilearn s':>10} {'cortexplorer s (process)':>25} {'ratio':>7}")
for hemi, shape, a, b in rows:
    print(f"{hemi:<10} {str(shape):<12} {a:>10.3f} {b:>25.3f} {a / b:>6.1f}x")
print(f"largest difference between the two: {worst:.2e} (values ~{np.abs(data).max():.0f})")
