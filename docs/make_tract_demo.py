#!/usr/bin/env python3
"""Write a GENERATED tractogram (MRtrix .tck, nibabel's writer) that fits fsaverage5: a
demo of the tractography view where no real tractogram can be shipped. It is not anatomy:
the bundles are smooth curves between cortical points, shaped like the large bundles.

    cortexplorer generate-subject demo-subject        # fsaverage5 surfaces (generated subject)
    python -m venv /tmp/nib && /tmp/nib/bin/pip install nibabel numpy
    /tmp/nib/bin/python docs/make_tract_demo.py demo-subject demo.tck
    cortexplorer view --hemi left --view right demo.tck

Three families of streamlines, each a quadratic Bézier curve sampled every ~1 mm between two
white-surface vertices (with a little jitter along the way):
* callosal: a vertex of the left hemisphere's upper half to the same vertex of the right
  (fsaverage's hemispheres share their vertex numbering), through the midline above the
  ventricles (z ≈ 20 mm);
* association (arcuate/longitudinal-like): an occipital or temporal vertex (y < −40) to a
  frontal one (y > 10) of the same hemisphere, bowed towards the hemisphere's middle;
* projection (corticospinal-like): a vertex near the top (z > 45) down to the brainstem
  (x ≈ ±8, y ≈ −25, z ≈ −45).
"""
import sys

import nibabel as nib
import numpy as np
from nibabel.freesurfer import read_geometry

subject = sys.argv[1] if len(sys.argv) > 1 else "demo-subject"
out = sys.argv[2] if len(sys.argv) > 2 else "demo.tck"
N = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
rng = np.random.default_rng(7)
lh, _ = read_geometry(f"{subject}/surf/lh.white")
rh, _ = read_geometry(f"{subject}/surf/rh.white")


def curve(a, c, b, jitter=0.6):
    """Points every ~1 mm along the Bézier curve a → b with control point c."""
    n = max(3, int(np.linalg.norm(b - a) * 1.2))
    t = np.linspace(0.0, 1.0, n)[:, None]
    p = (1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b
    # a smooth wobble (cumulative noise, pinned to zero at both ends)
    w = np.cumsum(rng.normal(0.0, jitter, (n, 3)), axis=0)
    w -= t * w[-1]
    return (p + w * 0.3).astype(np.float32)


lines = []
# callosal: upper half of the left hemisphere to its homologue
upper = np.flatnonzero((lh[:, 2] > 5) & (lh[:, 1] > -85) & (lh[:, 1] < 45))
for v in rng.choice(upper, N * 4 // 10):
    a, b = lh[v], rh[v]
    c = np.array([0.0, 0.8 * (a[1] + b[1]) / 2 - 5.0, 18.0 + rng.normal(0, 2)])
    lines.append(curve(a, c, b))
# association: posterior to frontal, per hemisphere
for side in (lh, rh):
    back = np.flatnonzero(side[:, 1] < -40)
    front = np.flatnonzero(side[:, 1] > 10)
    for _ in range(N * 2 // 10):
        a, b = side[rng.choice(back)], side[rng.choice(front)]
        c = (a + b) / 2
        c[0] *= 0.55
        lines.append(curve(a, c, b))
# projection: the top of each hemisphere down to the brainstem
for side, x in ((lh, -8.0), (rh, 8.0)):
    top = np.flatnonzero(side[:, 2] > 45)
    for _ in range(N // 10):
        a = side[rng.choice(top)]
        b = np.array([x, -25.0, -45.0]) + rng.normal(0, 1.5, 3)
        c = np.array([0.55 * a[0] + 0.45 * x, -15.0, 5.0])
        lines.append(curve(a, c, b))

tg = nib.streamlines.Tractogram(lines, affine_to_rasmm=np.eye(4))
hdr = {"comment": "generated demo (docs/make_tract_demo.py), not anatomy"}
nib.streamlines.TckFile(tg, header=hdr).save(out)
print(f"{out}: {len(lines)} generated streamlines, {sum(len(p) for p in lines)} points")
