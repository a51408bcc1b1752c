#!/usr/bin/env python3
"""Reference phosphenes from dynaphos 0.1.3 itself (van der Grinten et al. 2024).

    python -m venv /tmp/dyn && /tmp/dyn/bin/pip install dynaphos==0.1.3 torch numpy
    /tmp/dyn/bin/python tests/data/make_dynaphos_reference.py

dynaphos is GPL-3.0: it is only run here, in a scratch venv, to produce numbers; nothing of it
is in Cortexplorer. The parameters are those of dynaphos's `config/params.yaml` (published
values), except: `fps = 50` (dt = 20 ms, Cortexplorer's default step), `gpu = None`, and a
deterministic detection threshold (`activation_threshold_sd = 0`) so the numbers are
reproducible. Electrodes are given on dynaphos's cortical plane (x, y) mm with its "dipole"
map (then flipped in x and y, as dynaphos does); the simulator is stepped for 10 frames (200 ms) of constant current, then each
phosphene's centre, sigma (deg) and brightness are read from the simulator's state and the
rendered frame. Writes tests/data/dynaphos_reference.json (numbers only).
"""
import json
import os

import numpy as np
import torch
import dynaphos
from dynaphos.cortex_models import get_mapping_from_cortex_to_visual_field
from dynaphos.simulator import GaussianSimulator
from dynaphos.utils import Map

PARAMS = {
    "run": {"resolution": [256, 256], "view_angle": 16, "origin": [0, 0], "min_angle": 0.001,
            "fps": 50, "gpu": None, "print_stats": False, "seed": 42, "dtype": "float64",
            "use_gaussian_lut": False, "batch_size": 0},
    "display": {"screen_resolution": [1920, 1080], "screen_diagonal": 13.3, "dist_to_screen": 600},
    "sampling": {"sampling_method": "center", "RF_size": 0.5, "stimulus_scale": 1.0e-4},
    "cortex_model": {"model": "dipole", "k": 17.3, "a": 0.75, "b": 120, "alpha": 0.95,
                     "dropout_rate": 0.0, "noise_scale": 0.0},
    "temporal_dynamics": {"trace_increase_rate": 13.95528162,
                          "activation_decay_per_second": 0.00012340980408667956,
                          "trace_decay_per_second": 0.99949191},
    "size": {"size_equation": "sqrt", "MD": 0.7, "I_half": 40, "slope_size": 0.08,
             "current_spread": 675.0e-6, "radius_to_sigma": 0.5},
    "brightness_saturation": {"cps_half": 1.057631326853325e-07,
                              "slope_brightness": 19152642.500946816},
    "thresholding": {"use_threshold": True, "rheobase": 23.9e-6,
                     "activation_threshold": 9.141886000943878e-08, "activation_threshold_sd": 0.0},
    "default_stim": {"relative_stim_duration": 1, "pw_default": 170.0e-6, "freq_default": 300},
    "gabor": {"gabor_filtering": False, "gamma": 1.5},
}

CORTEX = [(5.0, 1.0), (12.0, -3.0), (20.0, 6.0), (30.0, -10.0), (40.0, 4.0), (25.0, 0.5)]  # mm
CURRENTS_UA = [30.0, 60.0, 100.0, 200.0]

def main():
    out = {"_provenance": f"dynaphos {getattr(dynaphos, '__version__', '0.1.3')}; tests/data/make_dynaphos_reference.py",
           "phosphenes": []}
    xs = np.array([c[0] for c in CORTEX])
    ys = np.array([c[1] for c in CORTEX])
    # dynaphos's own cortex -> field mapping followed by its flip of both axes (as in
    # get_visual_field_coordinates_from_cortex, whose dropout step would reorder the electrodes)
    z = get_mapping_from_cortex_to_visual_field(PARAMS["cortex_model"])(xs + 1j * ys)
    fx, fy = -z.real, -z.imag
    for amp in CURRENTS_UA:
        sim = GaussianSimulator(PARAMS, Map(fx.copy(), fy.copy()), rng=np.random.default_rng(0))
        n = sim.num_phosphenes
        assert n == len(CORTEX), "all reference phosphenes must lie in the 16 deg view"
        stim = torch.full((n,), amp * 1e-6, dtype=torch.float64)
        for _ in range(10):
            frame = sim(stim)
        st = sim.get_state()
        sig = st["sigma"].reshape(-1).numpy()
        bri = st["brightness"].reshape(-1).numpy()
        act = st["activation"].reshape(-1).numpy()
        thr = st["threshold"].reshape(-1).numpy()
        for i, (u, v) in enumerate(CORTEX):
            out["phosphenes"].append({
                "u_mm": u, "v_mm": v, "current_ua": amp,
                "x_deg": float(fx[i]), "y_deg": float(fy[i]),
                "sigma_deg": float(sig[i]),
                "brightness": float(bri[i]) if act[i] > thr[i] else 0.0,
                "activation": float(act[i]),
            })
        out.setdefault("frame_max", []).append({"current_ua": amp, "max": float(frame.max())})

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dynaphos_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
