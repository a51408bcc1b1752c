#!/usr/bin/env python3
"""Side by side: a surface simulation in The Virtual Brain vs Cortexplorer, same surface,
same number of steps.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tvb-library tvb-data nibabel
    cargo build --release
    /tmp/venv/bin/python benches/compare_tvb.py [STEPS]

TVB (tvb-library, GPL; installed here only to be timed, nothing of it is in this project):
Generic2dOscillator on its `cortex_16384` surface (16,384 vertices) with its precomputed local
connectivity, the 76-region connectivity for long-range coupling, Heun deterministic
integrator, a temporal-average monitor — the standard TVB surface-simulation setup.

Cortexplorer: the same surface exported to GIFTI, `simulate --model wilson-cowan` (two state
variables per vertex like the 2D oscillator, with cotangent-Laplacian surface coupling; no
region-level long-range term), CPU backend and GPU backend (lavapipe without a GPU). The
timing is the integration loop only in both (TVB's configure() and our mesh and operator
set-up are outside it). Models differ in detail; the comparison is of cost per step of a
two-variable neural field on a 16k-vertex cortex.
"""
import json, os, subprocess, sys, tempfile, time, warnings, zipfile

import numpy as np
import nibabel as nib

warnings.filterwarnings("ignore")
from tvb.simulator.lab import (connectivity, cortex, coupling, integrators, local_connectivity,
                               models, monitors, simulator)

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "cortexplorer")
dt = 2 ** -4  # ms, TVB's usual surface step

conn = connectivity.Connectivity.from_file()
ctx = cortex.Cortex.from_file()
ctx.region_mapping_data.connectivity = conn
ctx.local_connectivity = local_connectivity.LocalConnectivity.from_file()
ctx.coupling_strength = np.array([2 ** -10])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(),
    connectivity=conn,
    coupling=coupling.Linear(a=np.array([2 ** -9])),
    integrator=integrators.HeunDeterministic(dt=dt),
    monitors=(monitors.TemporalAverage(period=1.0),),
    surface=ctx,
    simulation_length=STEPS * dt,
)
sim.configure()
n_vertices = ctx.vertices.shape[0]
t = time.perf_counter()
for _ in sim():
    pass
t_tvb = time.perf_counter() - t
tvb_rate = STEPS / t_tvb

d = tempfile.mkdtemp(prefix="cx-tvb-")
gii = os.path.join(d, "cortex_16384.gii")
img = nib.gifti.GiftiImage()
img.add_gifti_data_array(nib.gifti.GiftiDataArray(ctx.vertices.astype(np.float32), intent="NIFTI_INTENT_POINTSET"))
img.add_gifti_data_array(nib.gifti.GiftiDataArray(ctx.triangles.astype(np.int32), intent="NIFTI_INTENT_TRIANGLE"))
nib.save(img, gii)

print(f"machine: {os.cpu_count()} cores; surface cortex_16384 ({n_vertices} vertices), {STEPS} steps")
print(f"TVB Generic2dOscillator + local connectivity, Heun: {t_tvb:.2f} s, {tvb_rate:.0f} steps/s")
for backend in ["cpu", "gpu"]:
    out = subprocess.run([BIN, "simulate", "--model", "wilson-cowan", "--surface", gii, "--steps",
                          str(STEPS), "--backend", backend, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"cortexplorer {backend}: failed: {out.stderr.strip()}")
        continue
    r = json.loads(out.stdout)
    print(f"cortexplorer wilson-cowan {backend} ({r.get('adapter') or 'rayon'}): {r['seconds']:.2f} s, "
          f"{r['steps_per_second']:.0f} steps/s -> {r['steps_per_second'] / tvb_rate:.1f}x TVB")
