#!/usr/bin/env python3
"""Reference phosphenes from pulse2percept 0.11 for the percept-model tests.

    python -m venv /tmp/p2p && /tmp/p2p/bin/pip install pulse2percept==0.11.0
    /tmp/p2p/bin/python tests/data/make_p2p_reference.py

For electrodes given in Cortexplorer's per-hemisphere flat coordinates (u, v) mm, this converts
to pulse2percept's single plane (right hemisphere (u, v); left hemisphere (-u - 20 mm, v), µm),
renders single-electrode percepts and records each phosphene's centre (brightness-weighted
centroid), size (second moment, deg) and peak brightness:
* ScoreboardModel (Polimeni2006Map defaults, rho = 200 and 400 µm, meridian_blend = 0);
* DynaphosModel (its defaults: Polimeni2006Map(k=17.3, a=0.75, b=120, alpha1=0.95), 300 Hz,
  170 µs, dt = 20 ms) with biphasic trains of 100 and 200 µA, percept at t = 200 ms.
Writes tests/data/p2p_reference.json (numbers only).
"""
import json
import os

import numpy as np
import pulse2percept as p2p
from pulse2percept.implants import DiskElectrode, ElectrodeArray
from pulse2percept.implants.cortex import CorticalImplant
from pulse2percept.models.cortex import DynaphosModel, ScoreboardModel
from pulse2percept.stimuli import BiphasicPulseTrain
from pulse2percept.topography.cortex.polimeni2006 import Polimeni2006Map

ELECTRODES = [  # (hemisphere, u_mm, v_mm)
    ("lh", 5.0, 1.0), ("lh", 12.0, -3.0), ("lh", 20.0, 6.0), ("lh", 30.0, -10.0),
    ("rh", 8.0, 2.0), ("rh", 16.0, -5.0), ("rh", 25.0, 9.0), ("rh", 35.0, 0.5),
]


def to_p2p(h, u, v):
    return (-u * 1000 - 20000 if h == "lh" else u * 1000, v * 1000)


def moments(frame, g):
    w = frame / frame.sum()
    cx, cy = (w * g.x).sum(), (w * g.y).sum()
    s = np.sqrt(0.5 * ((w * (g.x - cx) ** 2).sum() + (w * (g.y - cy) ** 2).sum()))
    return float(cx), float(cy), float(s), float(frame.max())


out = {"_provenance": f"pulse2percept {p2p.__version__}; tests/data/make_p2p_reference.py", "scoreboard": [], "dynaphos": []}
for h, u, v in ELECTRODES:
    x, y = to_p2p(h, u, v)
    impl = CorticalImplant(ElectrodeArray({"E": DiskElectrode(x, y, 0, 100)}))
    for rho in (200, 400):
        cx0, cy0 = Polimeni2006Map().v1_to_dva(x, y)
        # a window around the phosphene, fine enough for its size
        half = max(0.05, 12 * rho / 1000 / 2.0)
        model = ScoreboardModel(impl, rho=rho, meridian_blend=0, xrange=(float(cx0) - half, float(cx0) + half),
                                yrange=(float(cy0) - half, float(cy0) + half), step=half / 200)
        model.build()
        frame = np.asarray(model.predict_percept({"E": 1}).data)[:, :, 0]
        cx, cy, s, peak = moments(frame, model.spatial.grid["dva"])
        out["scoreboard"].append({"hemisphere": h, "u_mm": u, "v_mm": v, "rho_um": rho, "x_deg": cx, "y_deg": cy, "sigma_deg": s, "peak": peak,
                                  "map_x_deg": float(cx0), "map_y_deg": float(cy0)})
    for amp in (100.0, 200.0):
        cx0, cy0 = Polimeni2006Map(k=17.3, a=0.75, b=120, alpha1=0.95).v1_to_dva(x, y)
        half = 1.5
        model = DynaphosModel(impl, xrange=(float(cx0) - half, float(cx0) + half), yrange=(float(cy0) - half, float(cy0) + half), step=half / 150)
        model.build()
        src = {"E": BiphasicPulseTrain(freq=300, amp=amp, phase_dur=0.17, stim_dur=300)}
        frame = np.asarray(model.predict_percept(src, t_percept=[200.0]).data)[:, :, 0]
        cx, cy, s, peak = moments(frame, model.grid["dva"]) if frame.sum() > 0 else (None, None, None, 0.0)
        out["dynaphos"].append({"hemisphere": h, "u_mm": u, "v_mm": v, "current_ua": amp, "x_deg": cx, "y_deg": cy, "sigma_deg": s, "peak": peak})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "p2p_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
