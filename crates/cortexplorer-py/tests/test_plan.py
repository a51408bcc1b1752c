"""Planning from Python against the CLI, the GIL, Ctrl-C, exports and bad configurations."""

from __future__ import annotations

import _thread
import json
import subprocess
import threading
import time

import numpy as np
import pytest

import cortexplorer as cx
from conftest import binary

QUICK = {"optimizer": {"max_iterations": 40, "comparison_seeds": 1}, "objective": {"reading_conditions": 4}, "evaluation": {"reading": False}}


@pytest.fixture(scope="module")
def fsavg():
    return cx.Subject.fsaverage5()


@pytest.fixture(scope="module")
def quick_plan(fsavg):
    return cx.plan.optimize(fsavg, n_electrodes=100, config=QUICK, progress=False)


def test_the_same_electrodes_as_the_cli(data):
    exe = binary()
    if exe is None:
        pytest.skip("the cortexplorer program is not built (cargo build): no CLI to compare with")
    r = subprocess.run([exe, "plan", "--config", str(data / "plan_quick.toml"), "--json"], capture_output=True, text=True, check=True)
    cli = json.loads(r.stdout)
    # the same configuration file, the same subject: the same run
    mine = cx.plan.optimize(cx.Subject.fsaverage5(), config=str(data / "plan_quick.toml"), progress=False).report
    assert set(mine) == set(cli), set(mine) ^ set(cli)
    a = np.array([e["ras_mm"] for e in mine["electrodes"]])
    b = np.array([e["ras_mm"] for e in cli["electrodes"]])
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    assert mine["percept_aware"] == cli["percept_aware"]
    assert mine["iterations"] == cli["iterations"]


def test_report_and_electrodes(quick_plan):
    r = quick_plan.report
    for k in ("percept_aware", "coverage_baseline", "random_baseline", "electrodes", "comparison", "coordinates", "loss_curve"):
        assert k in r
    assert r["percept_aware"]["margin_violations"] == 0
    e = quick_plan.electrodes
    n = len(e["x_ras_mm"])
    assert n == len(r["electrodes"]) == 100
    assert np.all(np.asarray(e["vessel_distance_mm"], dtype=float) >= 1.0 - 1e-9)


def test_exports(quick_plan, tmp_path):
    saved = json.loads(quick_plan.to_json(tmp_path / "plan.json"))
    assert saved["format"] == "cortexplorer-plan/1" and len(saved["electrodes"]) == 100
    tsv, coords = quick_plan.to_bids(tmp_path / "sub-01")
    lines = open(tsv).read().splitlines()
    assert lines[0].split("\t")[:4] == ["name", "x", "y", "z"] and len(lines) == 101
    assert json.load(open(coords))["iEEGCoordinateSystem"]
    markups = json.loads(quick_plan.to_slicer())
    assert len(markups["markups"][0]["controlPoints"]) == 100
    assert quick_plan.to_csv().startswith("name,id,")


def test_percept_of_the_plan(quick_plan):
    p, t = quick_plan.percept("E")
    assert p.shape == t.shape == (128, 128) and p.dtype == np.float32
    assert t.max() == 1.0 and p.max() > 0
    with pytest.raises(ValueError, match="grid is 128"):
        quick_plan.percept(np.zeros((5, 5), np.float32))


def test_the_gil_is_free_while_planning(fsavg):
    ticks = 0
    stop = threading.Event()

    def loop():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=loop)
    t.start()
    job = cx._core.plan_start(fsavg, json.dumps(cx.plan._config(QUICK, 100, None, None, None, None, None, None)))
    seen_running = 0
    while not job.done():
        before = ticks
        time.sleep(0.05)
        seen_running += ticks > before
    stop.set()
    t.join()
    job.result()
    # the Python thread advanced during the run (it would stall if the GIL were held)
    assert seen_running >= 3, seen_running


def test_ctrl_c_stops_the_planner(fsavg):
    import signal

    # long enough never to end by itself within the test, bounded if the interrupt were lost
    long = {"optimizer": {"max_iterations": 3000, "tolerance": 0.0, "comparison_seeds": 1}, "evaluation": {"reading": False}}
    # Ctrl-C is SIGINT handled by Python; a process started in the background of a
    # non-interactive shell (as CI may run this) has SIGINT ignored, where interrupt_main does
    # nothing — so the test gives Python its handler for its own duration
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            cx.plan.optimize(fsavg, n_electrodes=100, config=long, progress=False)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # a job cancelled directly: it ends, says so, and keeps saying so
    job = cx._core.plan_start(fsavg, json.dumps(cx.plan._config(long, 100, None, None, None, None, None, None)))
    assert not job.done()
    job.cancel()
    assert job.wait(float("inf"))  # no timeout to count: waits until done
    assert job.done()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="planning cancelled"):
            job.result()
    assert job.done() and job.wait(0)


def test_a_finished_job_keeps_its_result(fsavg):
    job = cx._core.plan_start(fsavg, json.dumps(cx.plan._config(QUICK, 20, None, None, None, None, None, None)))
    assert job.wait(1e300)  # too large for a timeout: taken as none
    first = job.result()
    assert job.done() and job.wait(0)
    assert job.result() is first


def test_bad_configurations(fsavg):
    with pytest.raises(ValueError, match="unknown key 'optimiser'"):
        cx.plan.optimize(fsavg, config={"optimiser": {}}, progress=False)
    with pytest.raises(ValueError, match="unknown key 'electrodes.contact'"):
        cx.plan.optimize(fsavg, config={"electrodes": {"contact": 16}}, progress=False)
    # an option the default leaves unset is a key all the same
    cfg = cx.plan._config({"electrodes": {"device": "thread", "contacts": 16}}, 4, None, None, None, None, None, None)
    assert cfg["electrodes"]["contacts"] == 16
    with pytest.raises(ValueError):
        cx.plan.optimize(fsavg, n_electrodes=0, progress=False)
    with pytest.raises(ValueError):
        cx.plan.optimize(fsavg, device="laser", progress=False)
    with pytest.raises(cx.FormatError, match="no-such.toml"):
        cx.plan.optimize(fsavg, config="no-such.toml", progress=False)


def test_the_done_when_line_runs_as_written():
    # the check, verbatim, in a fresh interpreter: the default (full) plan of 100
    # electrodes on fsaverage5 and its percept-aware scores
    import sys

    line = (
        "import cortexplorer as cx; s = cx.Subject.fsaverage5(); "
        "p = cx.plan.optimize(s, n_electrodes=100); print(p.report['percept_aware'])"
    )
    r = subprocess.run([sys.executable, "-c", line], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    scores = r.stdout.strip()
    assert scores.startswith("{'ssim'") and "'margin_violations': 0" in scores, scores


def test_exported_contacts_map_back_to_their_phosphenes(quick_plan, tmp_path, fsavg):
    # a plan's contacts, read back from each export as RAS positions and located on the same
    # cortex, give the phosphenes the planner placed (as `percept --map surface` does)
    from cortexplorer.percept import Electrodes, ScoreboardModel

    quick_plan.to_json(tmp_path / "plan.json")
    tsv, _ = quick_plan.to_bids(tmp_path / "sub-01")
    quick_plan.to_slicer(tmp_path / "plan.mrk.json")
    want = quick_plan.report["electrodes"]
    model = ScoreboardModel(rho=400, xrange=(-6, 6), yrange=(-6, 6), xystep=0.1)
    for e in (Electrodes.from_plan(tmp_path / "plan.json"), Electrodes.from_bids(tsv), Electrodes.from_slicer(tmp_path / "plan.mrk.json")):
        assert e.ras_mm is not None and len(e) == len(want)
        p = model.predict_percept(e, subject=fsavg)
        t = p.phosphenes
        assert t["in_v1"].all(), int(t["in_v1"].sum())
        np.testing.assert_allclose(t["x_deg"], [w["x_deg"] for w in want], atol=0.05)
        np.testing.assert_allclose(t["y_deg"], [w["y_deg"] for w in want], atol=0.05)
        assert [h for h in t["hemisphere"]] == [{"left": "lh", "right": "rh"}[w["hemisphere"]] for w in want]
        assert p.data.max() > 0
    # a point far from the brain has no phosphene, and says how far it is
    far = model.predict_percept(Electrodes.from_ras([[0.0, 0.0, 200.0]]), subject=fsavg)
    assert not far.phosphenes["in_v1"][0] and far.phosphenes["distance_mm"][0] > 5
    assert "template" in fsavg.percept_maps
