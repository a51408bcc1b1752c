#!/usr/bin/env python3
"""Side-by-side percept timing: pulse2percept 0.11 and dynaphos 0.1.3 on the electrodes of
benches/planning.rs (a 40x25 lattice on one hemisphere's flat map,
u = 5 + 0.7 i mm, v = -7 + 0.58 j mm), one 256x256 frame over 16 degrees. Compare with
`cargo bench --bench planning`
(group percept_1000_phosphenes_256px).

    python3 -m venv /tmp/p2p && /tmp/p2p/bin/pip install pulse2percept==0.11.0
    python3 -m venv /tmp/dyn && /tmp/dyn/bin/pip install dynaphos==0.1.3 torch numpy matplotlib scipy opencv-python-headless
    /tmp/p2p/bin/python benches/compare_percept.py p2p
    /tmp/dyn/bin/python benches/compare_percept.py dynaphos

Both are GPL/BSD tools run only here, never shipped. Prints seconds per frame (median of 5).
"""
import statistics
import sys
import time

import numpy as np

LATTICE = [(5.0 + 0.7 * i, -7.0 + 0.58 * j) for i in range(40) for j in range(25)]


def timed(fn, n=5):
    fn()  # warm-up
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def p2p():
    import pulse2percept as p2p
    from pulse2percept.implants import DiskElectrode, ElectrodeArray
    from pulse2percept.implants.cortex import CorticalImplant
    from pulse2percept.models.cortex import DynaphosModel, ScoreboardModel
    from pulse2percept.stimuli import BiphasicPulseTrain

    els = {f"E{i}": DiskElectrode(-u * 1000 - 20000, v * 1000, 0, 100) for i, (u, v) in enumerate(LATTICE)}
    impl = CorticalImplant(ElectrodeArray(els))
    step = 16 / 255
    sb = ScoreboardModel(impl, rho=200, xrange=(-8, 8), yrange=(-8, 8), step=step)
    sb.build()
    t = timed(lambda: sb.predict_percept({k: 1.0 for k in els}))
    print(f"pulse2percept {p2p.__version__} ScoreboardModel: {t:.3f} s per 256x256 frame, {len(els)} electrodes")
    dy = DynaphosModel(impl, xrange=(-8, 8), yrange=(-8, 8), step=step)
    dy.build()
    trains = {k: BiphasicPulseTrain(freq=300, amp=100, phase_dur=0.17, stim_dur=200) for k in els}
    t = timed(lambda: dy.predict_percept(trains, t_percept=[200.0]), n=3)
    print(f"pulse2percept {p2p.__version__} DynaphosModel: {t:.3f} s per 256x256 frame (200 ms simulated)")


def dynaphos():
    import torch
    from dynaphos.cortex_models import get_mapping_from_cortex_to_visual_field
    from dynaphos.simulator import GaussianSimulator
    from dynaphos.utils import Map

    sys.path.insert(0, "tests/data")
    from make_dynaphos_reference import PARAMS

    params = {k: dict(v) for k, v in PARAMS.items()}
    params["run"]["dtype"] = "float32"
    u = np.array([e[0] for e in LATTICE])
    v = np.array([e[1] for e in LATTICE])
    z = get_mapping_from_cortex_to_visual_field(params["cortex_model"])(u + 1j * v)
    sim = GaussianSimulator(params, Map(-z.real, -z.imag), rng=np.random.default_rng(0))
    n = sim.num_phosphenes
    stim = torch.full((n,), 100e-6)
    t = timed(lambda: sim(stim))
    print(f"dynaphos GaussianSimulator (torch {torch.__version__}, CPU, {torch.get_num_threads()} threads): "
          f"{t:.3f} s per 256x256 frame, {n} phosphenes in view")


if __name__ == "__main__":
    {"p2p": p2p, "dynaphos": dynaphos}[sys.argv[1] if len(sys.argv) > 1 else "p2p"]()
