"""The percept model against the pulse2percept 0.11 and dynaphos 0.1.3 reference numbers the
Rust tests hold (tests/data/*_reference.json), and against pulse2percept itself when it is
installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cortexplorer as cx
from cortexplorer.percept import DynaphosModel, Electrodes, ScoreboardModel


def _moments(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    X, Y = np.meshgrid(x, y)
    w = img / img.sum()
    cx_, cy_ = (w * X).sum(), (w * Y).sum()
    s = np.sqrt(0.5 * ((w * (X - cx_) ** 2).sum() + (w * (Y - cy_) ** 2).sum()))
    return float(cx_), float(cy_), float(s)


def test_scoreboard_matches_pulse2percept_reference(data):
    ref = json.loads((data / "p2p_reference.json").read_text())["scoreboard"]
    for e in ref:
        el = Electrodes([e["hemisphere"]], [e["u_mm"]], [e["v_mm"]])
        half = max(0.05, 12 * e["rho_um"] / 1000 / 2.0)
        m = ScoreboardModel(
            rho=e["rho_um"],
            xrange=(e["map_x_deg"] - half, e["map_x_deg"] + half),
            yrange=(e["map_y_deg"] - half, e["map_y_deg"] + half),
            xystep=half / 200,
        ).build()
        p = m.predict_percept(el)
        t = p.phosphenes
        # the phosphene's centre is pulse2percept's map, exactly
        assert abs(t["x_deg"][0] - e["map_x_deg"]) < 1e-4 and abs(t["y_deg"][0] - e["map_y_deg"]) < 1e-4
        # the rendered percept: centroid and size as pulse2percept's rendered one
        cx_, cy_, s = _moments(p.data.astype(np.float64), p.xdva, p.ydva)
        sig = e["sigma_deg"]
        assert abs(cx_ - e["x_deg"]) < 0.1 * sig + 1e-3, e
        assert abs(cy_ - e["y_deg"]) < 0.1 * sig + 1e-3, e
        assert abs(s - sig) < 0.05 * sig, (s, e)
        assert abs(float(p.data.max()) - e["peak"]) < 0.02


def test_dynaphos_matches_dynaphos_reference(data):
    ref = json.loads((data / "dynaphos_reference.json").read_text())["phosphenes"]
    # dynaphos's cortical plane is one hemisphere: Cortexplorer's right hemisphere (u, v)
    el = Electrodes(["rh"] * len(ref), [r["u_mm"] for r in ref], [r["v_mm"] for r in ref], stimulus=[r["current_ua"] for r in ref])
    p = DynaphosModel(map="dynaphos-dipole", xrange=(-10, 10), yrange=(-10, 10), xystep=0.1).predict_percept(el)
    t = p.phosphenes
    np.testing.assert_allclose(t["x_deg"], [r["x_deg"] for r in ref], atol=1e-9)
    np.testing.assert_allclose(t["y_deg"], [r["y_deg"] for r in ref], atol=1e-9)
    np.testing.assert_allclose(t["sigma_deg"], [r["sigma_deg"] for r in ref], rtol=1e-6)
    np.testing.assert_allclose(t["brightness"], [r["brightness"] for r in ref], atol=1e-9)
    assert int((t["brightness"] == 0).sum()) == 6


def test_stimulus_forms_and_errors():
    el = Electrodes(["lh", "rh"], [10.0, 10.0], [0.0, 0.0], names=["a", "b"])
    m = ScoreboardModel(xrange=(-3, 3), yrange=(-3, 3), xystep=0.05)
    only_a = m.predict_percept(el, {"a": 1.0})
    both = m.predict_percept(el)
    assert only_a.data[:, : only_a.data.shape[1] // 2].max() == 0  # b (rh: left field) is off
    assert both.data[:, : both.data.shape[1] // 2].max() > 0
    with pytest.raises(ValueError, match="no electrode of that name"):
        m.predict_percept(el, {"c": 1.0})
    with pytest.raises(ValueError, match="3 stimuli for 2"):
        m.predict_percept(el, [1, 2, 3])
    with pytest.raises(ValueError, match="rho"):
        ScoreboardModel(rho=-1)
    with pytest.raises(ValueError, match="map"):
        ScoreboardModel(map="nope")
    with pytest.raises(ValueError, match="hemisphere"):
        m.predict_percept(Electrodes(["up"], [1.0], [0.0]))
    # outside V1: no phosphene, NaN in the table
    far = m.predict_percept(Electrodes(["lh"], [500.0], [0.0]))
    assert not far.phosphenes["in_v1"][0] and np.isnan(far.phosphenes["x_deg"][0])


def test_p2p_plane_round_trip():
    el = Electrodes(["lh", "rh"], [12.0, 7.0], [-3.0, 2.0], names=["L", "R"])
    pos = el.p2p_positions()
    assert pos == {"L": (-32000.0, -3000.0), "R": (7000.0, 2000.0)}

    class E:
        def __init__(self, x, y):
            self.x, self.y = x, y

    back = Electrodes.from_p2p({n: E(*xy) for n, xy in pos.items()})
    np.testing.assert_allclose(back.u_mm, el.u_mm)
    np.testing.assert_allclose(back.v_mm, el.v_mm)
    assert back.hemisphere == el.hemisphere


def test_grid_and_clipping():
    el = Electrodes(["lh"], [10.0], [0.0], stimulus=[3.0])
    m = ScoreboardModel(rho=400, xrange=(0, 1), yrange=(-0.5, 0.5), xystep=0.3)
    p = m.predict_percept(el)
    # whole steps from the start, never past the end
    np.testing.assert_allclose(p.xdva, [0.0, 0.3, 0.6, 0.9])
    assert p.ydva[0] <= 0.5 and p.ydva[-1] >= -0.5
    fine = ScoreboardModel(rho=400, xrange=(0, 2), yrange=(-1, 1), xystep=0.01)
    unclipped = fine.predict_percept(el)
    clipped = ScoreboardModel(rho=400, xrange=(0, 2), yrange=(-1, 1), xystep=0.01, clip=True).predict_percept(el)
    assert unclipped.data.max() > 2.5 and clipped.data.max() == 1.0
    # pulse2percept's name for the pixel size is the same
    same = ScoreboardModel(rho=400, xrange=(0, 2), yrange=(-1, 1), step=0.01).predict_percept(el)
    np.testing.assert_array_equal(same.data, unclipped.data)
    with pytest.raises(ValueError, match="more than 8192"):
        ScoreboardModel(xrange=(0, 1), yrange=(0, 1), xystep=1e-9).build()
    with pytest.raises(ValueError, match="must be finite"):
        m.predict_percept(el, [np.inf])


def test_against_pulse2percept_itself():
    p2p = pytest.importorskip("pulse2percept", reason="pulse2percept is not installed: compared with its reference numbers only")
    from pulse2percept.models.cortex import ScoreboardModel as P2PScoreboard

    el = Electrodes(["lh", "lh", "rh"], [8.0, 15.0, 10.0], [1.0, -2.0, 0.5])
    implant = el.to_p2p()
    theirs = P2PScoreboard(implant, rho=200, xrange=(-4, 4), yrange=(-4, 4), step=0.05, meridian_blend=0).build()
    amps = {n: a for n, a in zip(el.names, (1.0, 2.5, 0.7))}
    tp = theirs.predict_percept(amps)
    # the implant itself, with pulse2percept's stimulus form (electrode name → amplitude)
    mine = ScoreboardModel(rho=200, xrange=(-4, 4), yrange=(-4, 4), xystep=0.05).predict_percept(implant, amps)
    a = np.asarray(tp.data)[:, :, 0]
    # pulse2percept lists ydva bottom-up but stores the image top-down (row 0 = largest y),
    # as Cortexplorer does
    y_rows = np.sort(np.asarray(tp.ydva))[::-1]
    assert a.shape == mine.data.shape
    np.testing.assert_allclose(y_rows, mine.ydva, atol=1e-9)
    np.testing.assert_allclose(np.asarray(tp.xdva), mine.xdva, atol=1e-9)
    # the same phosphenes: centroids of each hemifield agree within a pixel
    for cols in (slice(0, a.shape[1] // 2), slice(a.shape[1] // 2, None)):
        c1 = _moments(a[:, cols].astype(float), mine.xdva[cols], y_rows)
        c2 = _moments(mine.data[:, cols].astype(float), mine.xdva[cols], mine.ydva)
        assert abs(c1[0] - c2[0]) < 0.05 and abs(c1[1] - c2[1]) < 0.05, (c1, c2, p2p.__version__)

    # pixel by pixel, where the pixels resolve the phosphenes (σ 0.07–0.1°, pixels 0.01°:
    # pulse2percept samples each pixel's centre, Cortexplorer integrates over the pixel, the
    # same thing once pixels are small): amplitudes add up as in pulse2percept (no clipping)
    el = Electrodes(["lh", "lh", "rh"], [20.0, 24.0, 22.0], [1.0, -1.5, 0.5], names=["a", "b", "c"])
    implant = el.to_p2p(radius_um=10)
    amps = {"a": 1.0, "b": 2.5, "c": 0.7}
    win = dict(xrange=(-3.0, 3.5), yrange=(-0.6, 0.8))
    theirs = P2PScoreboard(implant, rho=400, step=0.01, meridian_blend=0, **win).build()
    a = np.asarray(theirs.predict_percept(amps).data)[:, :, 0]
    mine = ScoreboardModel(rho=400, xystep=0.01, **win).predict_percept(implant, amps)
    assert a.shape == mine.data.shape
    assert abs(float(a.max()) - float(mine.data.max())) < 0.03 * float(a.max()), (a.max(), mine.data.max())
    # the Gaussians differ only by the local linearisation of the map (docs/prosthesis-model.md)
    assert float(np.abs(a - mine.data).max()) < 0.1 * float(a.max()), float(np.abs(a - mine.data).max())
