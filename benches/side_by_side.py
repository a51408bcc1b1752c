#!/usr/bin/env python3
"""Cortexplorer next to the tools people would otherwise use: the same work, timed in one run,
printed as a Markdown table with ratios (peer time / Cortexplorer time; above 1 = faster).

    benches/side_by_side.sh          # makes bench-data/venv, installs the peers, runs this

or by hand, in a virtual environment holding whichever peers you want compared (a missing
peer is skipped, and said):

    pip install nibabel numpy pandas mne pyedflib pulse2percept==0.11.0 tvb-library tvb-data
    pip install dynaphos==0.1.3 torch pyyaml opencv-python-headless matplotlib scipy   # optional: large (torch)
    benches/fetch_data.sh && cargo build --release
    python benches/side_by_side.py [PART…]   # loading cifti stc tracts ieeg percept simulation vessels

What is timed (best of N unless said; files in the page cache):
* surface / overlay loading — `nibabel.load` (GIFTI) or `nibabel.freesurfer.read_geometry` /
  `read_morph_data`, against the in-process time `cortexplorer check --json` reports for the
  same file read N times (the app's reader: parse, validate, build the surface);
* percept — pulse2percept `ScoreboardModel.predict_percept` and dynaphos `GaussianSimulator`
  against `cortexplorer percept --json` (its in-process `seconds`, median of 5): 1,000
  electrodes (a 40 x 25 lattice on the flat map), one 256 x 256 frame over 16 degrees;
* surface simulation — TVB `Generic2dOscillator` + local connectivity, Heun, on its
  `cortex_16384` surface, against `cortexplorer simulate --model wilson-cowan` on the same
  surface (exported to GIFTI), same number of steps, CPU;
* CIFTI-2 — `nibabel.load(...).get_fdata()` of an HCP-sized dtseries (91,282 grayordinates ×
  1,200 frames, generated into bench-data/cifti/) against `cortexplorer check` of it;
* MNE source estimates — `mne.read_source_estimate` of an ico-5 `.stc` pair (1,000 times,
  generated into bench-data/stc/) against `cortexplorer check` of both files;
* tractography — `nibabel.streamlines.load` of a million generated streamlines (30 points each)
  as TCK and as TRK against `cortexplorer check` of the same files;
* iEEG — pyedflib's `readSignal` of every channel of a generated 1-hour, 128-channel, 1 kHz
  EDF against `cortexplorer check` of it;
* vessel-graph CSV — `pandas.read_csv(sep=';')` of a generated 1M-edge VesselGraph pair
  against `cortexplorer check` of it (parse, validate, build the graph).

The peers are GPL/BSD tools installed only to be timed; nothing of them is in this project.
"""
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CORTEXPLORER_BIN", os.path.join(ROOT, "target", "release", "cortexplorer"))
ROWS = []
NOTES = []


def best(f, n):
    f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def cx_check(path, n=20):
    """Best in-process read time (s) of `path` by the app's reader."""
    out = subprocess.run([BIN, "check", "--json"] + [path] * (n + 1), capture_output=True, text=True)
    v = json.loads(out.stdout)
    bad = [f for f in v["files"] if not f["ok"]]
    if bad:
        raise RuntimeError(bad[0]["error"])
    return min(f["ms"] for f in v["files"][1:]) / 1e3


def row(work, peer, t_peer, t_cx):
    ROWS.append((work, peer, t_peer, t_cx))


def loading():
    try:
        import nibabel as nib
        from nibabel.freesurfer import io as fsio
    except ImportError:
        NOTES.append("nibabel not installed: loading skipped")
        return
    ver = f"nibabel {nib.__version__}"
    files = [
        ("fsaverage5 pial (GIFTI .gii.gz, 10,242 vertices)", f"{ROOT}/assets/fsaverage5/pial_left.gii.gz", "gii"),
        ("fsaverage5 thickness (GIFTI .gii.gz)", f"{ROOT}/assets/fsaverage5/thick_left.gii.gz", "gii"),
        ("FreeSurfer surface lh.white (10,242 vertices)", f"{ROOT}/tests/data/freesurfer/lh.white", "fs"),
        ("FreeSurfer curv lh.thickness", f"{ROOT}/tests/data/freesurfer/lh.thickness", "curv"),
        ("pycortex S1 pia (GIFTI, GZipBase64, ~150k vertices)", f"{ROOT}/bench-data/S1/pia_lh.gii", "gii"),
        ("pycortex S1 lh.pia (FreeSurfer, ~150k vertices)", f"{ROOT}/bench-data/S1/lh.pia", "fs"),
    ]
    s1 = f"{ROOT}/bench-data/S1"
    if os.path.exists(f"{s1}/pia_lh.gii") and not os.path.exists(f"{s1}/lh.pia"):
        # pycortex ships GIFTI only: the same surface in FreeSurfer's binary layout
        g = nib.load(f"{s1}/pia_lh.gii")
        fsio.write_geometry(f"{s1}/lh.pia", g.darrays[0].data, g.darrays[1].data)
    for name, path, kind in files:
        if not os.path.exists(path):
            NOTES.append(f"{path} missing (benches/fetch_data.sh fetches S1): skipped")
            continue
        if kind == "gii":
            f = lambda: [d.data for d in nib.load(path).darrays]
        elif kind == "fs":
            f = lambda: fsio.read_geometry(path)
        else:
            f = lambda: fsio.read_morph_data(path)
        row(f"load {name}", ver, best(f, 20), cx_check(path))


LATTICE = [(5.0 + 0.7 * i, -7.0 + 0.58 * j) for i in range(40) for j in range(25)]


def lattice_csv():
    """The 40 x 25 lattice as an electrode CSV for `cortexplorer percept` (left hemisphere)."""
    d = tempfile.mkdtemp(prefix="cx-sbs-")
    el = os.path.join(d, "lattice.csv")
    with open(el, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["electrode", "x_mm", "y_mm", "hemisphere"])
        for i, (u, v) in enumerate(LATTICE):
            w.writerow([f"E{i}", u, v, "lh"])
    return el


def cli_percept_seconds(model="scoreboard"):
    """`cortexplorer percept --json`'s in-process seconds for the lattice, one 256 x 256 frame
    over 16 degrees: the median of 5 runs after one warm-up."""
    el = lattice_csv()
    ts = []
    for _ in range(6):
        out = subprocess.run([BIN, "percept", "--electrodes", el, "--model", model, "--size", "256",
                              "--fov-deg", "16", "--json"], capture_output=True, text=True, check=True)
        ts.append(json.loads(out.stdout)["seconds"])
    return statistics.median(ts[1:])


def percept():
    cx = cli_percept_seconds

    try:
        import numpy as np  # noqa: F401
        import pulse2percept as p2p
        from pulse2percept.implants import DiskElectrode, ElectrodeArray
        from pulse2percept.implants.cortex import CorticalImplant
        from pulse2percept.models.cortex import ScoreboardModel

        els = {f"E{i}": DiskElectrode(-u * 1000 - 20000, v * 1000, 0, 100) for i, (u, v) in enumerate(LATTICE)}
        sb = ScoreboardModel(CorticalImplant(ElectrodeArray(els)), rho=200, xrange=(-8, 8), yrange=(-8, 8),
                             step=16 / 255)
        sb.build()
        t = best(lambda: sb.predict_percept({k: 1.0 for k in els}), 3)
        row("percept, 1,000 electrodes, 256x256 (scoreboard)", f"pulse2percept {p2p.__version__}", t, cx("scoreboard"))
    except ImportError:
        NOTES.append("pulse2percept not installed: skipped")
    try:
        import numpy as np
        import torch
        from dynaphos.cortex_models import get_mapping_from_cortex_to_visual_field
        from dynaphos.simulator import GaussianSimulator
        from dynaphos.utils import Map

        sys.path.insert(0, os.path.join(ROOT, "tests/data"))
        from make_dynaphos_reference import PARAMS

        params = {k: dict(v) for k, v in PARAMS.items()}
        params["run"]["dtype"] = "float32"
        u = np.array([e[0] for e in LATTICE])
        v = np.array([e[1] for e in LATTICE])
        z = get_mapping_from_cortex_to_visual_field(params["cortex_model"])(u + 1j * v)
        sim = GaussianSimulator(params, Map(-z.real, -z.imag), rng=np.random.default_rng(0))
        stim = torch.full((sim.num_phosphenes,), 100e-6)
        t = best(lambda: sim(stim), 3)
        row("percept, 1,000 electrodes, 256x256 (dynaphos model)", f"dynaphos (torch {torch.__version__} CPU)", t,
            cx("dynaphos"))
    except ImportError:
        NOTES.append("dynaphos/torch not installed: skipped")


def simulation(steps=1000):
    try:
        import nibabel as nib
        import numpy as np
        from tvb.simulator.lab import (connectivity, cortex, coupling, integrators, local_connectivity, models,
                                       monitors, simulator)
    except ImportError:
        NOTES.append("tvb-library / tvb-data not installed: simulation skipped")
        return
    dt = 2 ** -4
    conn = connectivity.Connectivity.from_file()
    ctx = cortex.Cortex.from_file()
    ctx.region_mapping_data.connectivity = conn
    ctx.local_connectivity = local_connectivity.LocalConnectivity.from_file()
    ctx.coupling_strength = np.array([2 ** -10])
    sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([2 ** -9])),
                              integrator=integrators.HeunDeterministic(dt=dt),
                              monitors=(monitors.TemporalAverage(period=1.0),), surface=ctx,
                              simulation_length=steps * dt)
    sim.configure()
    t = time.perf_counter()
    for _ in sim():
        pass
    t_tvb = time.perf_counter() - t
    d = tempfile.mkdtemp(prefix="cx-sbs-")
    gii = os.path.join(d, "cortex_16384.gii")
    img = nib.gifti.GiftiImage()
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(ctx.vertices.astype(np.float32), intent="NIFTI_INTENT_POINTSET"))
    img.add_gifti_data_array(nib.gifti.GiftiDataArray(ctx.triangles.astype(np.int32), intent="NIFTI_INTENT_TRIANGLE"))
    nib.save(img, gii)
    out = subprocess.run([BIN, "simulate", "--model", "wilson-cowan", "--surface", gii, "--steps", str(steps),
                          "--backend", "cpu", "--json"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    try:
        from importlib.metadata import version
        tv = version("tvb-library")
    except Exception:
        tv = "?"
    row(f"surface simulation, cortex_16384, {steps} steps (TVB 2D oscillator, Heun / Wilson-Cowan, Euler)",
        f"TVB {tv}", t_tvb, r["seconds"])


def vessels():
    try:
        import pandas as pd
    except ImportError:
        NOTES.append("pandas not installed: vessels skipped")
        return
    d = tempfile.mkdtemp(prefix="cx-sbs-")
    prefix = os.path.join(d, "synthetic_1m")
    subprocess.run([BIN, "vessels", "generate", "--synthetic", "1000000", "--out", prefix + ".csv"], check=True,
                   capture_output=True)
    nodes, edges = prefix + "_nodes.csv", prefix + "_edges.csv"
    t_pd = best(lambda: (pd.read_csv(nodes, sep=";"), pd.read_csv(edges, sep=";")), 3)
    row("VesselGraph CSV pair, 1M edges (generated)", f"pandas {pd.__version__}", t_pd, cx_check(edges, 3))


def cifti():
    """An HCP-sized dense time series (91,282 grayordinates: 29,696 + 29,716 cortical vertices
    of fs_LR 32k and 31,870 subcortical voxels of the 2 mm MNI grid, 1,200 frames of float32,
    438 MB; generated values, written once by nibabel into bench-data/cifti/): nibabel's
    `load().get_fdata()` against the app's reader (`check`: parse the XML, validate, read and
    convert the matrix)."""
    import nibabel as nib
    import numpy as np
    from nibabel import cifti2 as ci

    d = f"{ROOT}/bench-data/cifti"
    path = f"{d}/hcp91k.dtseries.nii"
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        rng = np.random.default_rng(0)
        def surf(n_in, name):
            m = np.zeros(32492, bool)
            m[np.sort(rng.choice(32492, n_in, replace=False))] = True
            return ci.BrainModelAxis.from_mask(m, name=name)
        vol = np.zeros((91, 109, 91), bool)
        vol.flat[np.sort(rng.choice(vol.size, 31870, replace=False))] = True
        aff = np.array([[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1.0]])
        bm = surf(29696, "CortexLeft") + surf(29716, "CortexRight") + ci.BrainModelAxis.from_mask(vol, name="thalamus_left", affine=aff)
        assert len(bm) == 91282
        data = rng.standard_normal((1200, len(bm)), dtype=np.float32)
        img = ci.Cifti2Image(data, header=(ci.SeriesAxis(0, 0.72, 1200, "second"), bm))
        img.nifti_header.set_intent("ConnDenseSeries")
        img.to_filename(path)
    ver = f"nibabel {nib.__version__}"
    row("read a 91k-grayordinate × 1,200-frame CIFTI-2 dtseries (438 MB, generated)", ver,
        best(lambda: nib.load(path).get_fdata(), 3), cx_check(path, 3))


def stc():
    """An ico-5 source estimate pair on fsaverage (2 × 10,242 sources × 1,000 time points,
    82 MB, generated into bench-data/stc/ by MNE): `mne.read_source_estimate` of the pair
    against the app's reader of both files (`check`)."""
    import mne
    import numpy as np

    d = f"{ROOT}/bench-data/stc"
    stem = f"{d}/ico5"
    if not os.path.exists(f"{stem}-lh.stc"):
        os.makedirs(d, exist_ok=True)
        v = [np.arange(10242), np.arange(10242)]
        data = np.random.default_rng(0).standard_normal((20484, 1000)).astype(np.float32)
        mne.SourceEstimate(data, v, tmin=0.0, tstep=0.001, subject="fsaverage").save(stem, overwrite=True, verbose=False)
    t_cx = cx_check(f"{stem}-lh.stc", 3) + cx_check(f"{stem}-rh.stc", 3)
    row("read an ico-5 .stc pair, 20,484 sources × 1,000 times (82 MB, generated)", f"MNE {mne.__version__}",
        best(lambda: mne.read_source_estimate(stem), 3), t_cx)


def tracts():
    """A million streamlines of 30 points (30 M points, generated into bench-data/tracts/):
    `nibabel.streamlines.load` of a TCK and of a TRK against the app's readers (`check`)."""
    import nibabel as nib
    import numpy as np

    d = f"{ROOT}/bench-data/tracts"
    n, k = 1_000_000, 30
    tck, trk = f"{d}/million.tck", f"{d}/million.trk"
    if not (os.path.exists(tck) and os.path.exists(trk)):
        os.makedirs(d, exist_ok=True)
        rng = np.random.default_rng(0)
        start = rng.uniform(-60, 60, (n, 1, 3)).astype(np.float32)
        pts = start + np.cumsum(rng.normal(0, 1, (n, k, 3)).astype(np.float32), axis=1)
        # TCK by hand (nibabel's writer takes minutes at this size): each streamline, a NaN row,
        # then an Inf row
        rows = np.concatenate([pts, np.full((n, 1, 3), np.nan, np.float32)], axis=1).reshape(-1, 3)
        rows = np.concatenate([rows, np.full((1, 3), np.inf, np.float32)])
        head = "mrtrix tracks\ncount: %d\ndatatype: Float32LE\nfile: . " % n
        off = len(head) + len("000\nEND\n")
        with open(tck, "wb") as f:
            f.write((head + "%03d\nEND\n" % off).encode())
            f.write(rows.astype("<f4").tobytes())
        seq = nib.streamlines.ArraySequence()
        seq._data = pts.reshape(-1, 3)
        seq._offsets = np.arange(n) * k
        seq._lengths = np.full(n, k)
        tg = nib.streamlines.Tractogram(seq, affine_to_rasmm=np.eye(4))
        nib.streamlines.TrkFile(tg).save(trk)
    ver = f"nibabel {nib.__version__}"
    row("read 1 M streamlines × 30 points, TCK (360 MB, generated)", ver,
        best(lambda: nib.streamlines.load(tck).streamlines, 2), cx_check(tck, 2))
    row("read 1 M streamlines × 30 points, TRK (364 MB, generated)", ver,
        best(lambda: nib.streamlines.load(trk).streamlines, 2), cx_check(trk, 2))


def ieeg():
    """A 1-hour, 128-channel, 1 kHz EDF (922 MB, generated into bench-data/ieeg/ with numpy:
    EDF's header and int16 records written directly): pyedflib's `readSignal` of every channel
    against the app's reader (`check`)."""
    import numpy as np
    try:
        import pyedflib
    except ImportError:
        NOTES.append("pyedflib not installed: ieeg skipped")
        return
    d = f"{ROOT}/bench-data/ieeg"
    path = f"{d}/hour128.edf"
    ns, fs, n_rec = 128, 1000, 3600
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        head = "0".ljust(8) + "X X X X".ljust(80) + "Startdate X X X X".ljust(80) + "01.01.2601.00.00"
        head += str(256 * (ns + 1)).ljust(8) + "".ljust(44) + str(n_rec).ljust(8) + "1".ljust(8) + str(ns).ljust(4)
        sig = "".join(f"C{i:03d}".ljust(16) for i in range(ns)) + "".ljust(80) * ns + "uV".ljust(8) * ns
        sig += "-3276.8".ljust(8) * ns + "3276.7".ljust(8) * ns + "-32768".ljust(8) * ns + "32767".ljust(8) * ns
        sig += "".ljust(80) * ns + str(fs).ljust(8) * ns + "".ljust(32) * ns
        rng = np.random.default_rng(0)
        with open(path, "wb") as f:
            f.write((head + sig).encode("ascii"))
            for r in range(n_rec):
                f.write(rng.integers(-2000, 2000, (ns, fs), dtype=np.int16).astype("<i2").tobytes())

    def peer():
        with pyedflib.EdfReader(path) as e:
            return [e.readSignal(i) for i in range(ns)]

    row("read a 1-hour, 128-channel, 1 kHz EDF (922 MB, generated)", f"pyedflib {pyedflib.__version__}",
        best(peer, 1), cx_check(path, 1))
    seconds, peak = hour_on_the_cortex(path, ns)
    NOTES.append(f"the same recording as BIDS iEEG on fsaverage5 (`render`: placed, its 70–150 Hz "
                 f"envelope streamed from disk, spread onto the pial surface, drawn): {seconds:.1f} s, "
                 f"peak memory {peak / 2**20:.0f} MB (its samples alone would be "
                 f"{ns * fs * n_rec * 4 / 2**20:.0f} MB as f32)")


def hour_on_the_cortex(edf, ns):
    """`cortexplorer render` of the hour-long EDF as a BIDS recording on fsaverage5 (its
    contacts spread over the left lateral pial surface): wall time and the child's peak RSS."""
    import gzip
    import numpy as np
    import nibabel as nib
    d = f"{os.path.dirname(edf)}/bids/sub-h/ieeg"
    os.makedirs(d, exist_ok=True)
    stem = f"{d}/sub-h_task-long_ieeg.edf"
    if not os.path.exists(stem):
        os.symlink(os.path.abspath(edf), stem)
    pial = f"{ROOT}/assets/fsaverage5/pial_left.gii.gz"
    xyz = nib.gifti.GiftiImage.from_bytes(gzip.decompress(open(pial, "rb").read())).agg_data(
        "NIFTI_INTENT_POINTSET")
    # lateral vertices, spread by farthest-point sampling
    cand = xyz[(xyz[:, 0] < -40) & (xyz[:, 1] > -80) & (xyz[:, 1] < 10)]
    picked = [0]
    dist = np.linalg.norm(cand - cand[0], axis=1)
    while len(picked) < ns:
        k = int(np.argmax(dist))
        picked.append(k)
        dist = np.minimum(dist, np.linalg.norm(cand - cand[k], axis=1))
    with open(f"{d}/sub-h_space-fsaverage_electrodes.tsv", "w") as f:
        f.write("name\tx\ty\tz\tsize\n")
        for i, k in enumerate(picked):
            x, y, z = cand[k]
            f.write(f"C{i:03d}\t{x:.2f}\t{y:.2f}\t{z:.2f}\t4.2\n")
    with open(f"{d}/sub-h_space-fsaverage_coordsystem.json", "w") as f:
        json.dump({"iEEGCoordinateSystem": "fsaverage", "iEEGCoordinateUnits": "mm"}, f)
    with open(f"{d}/sub-h_task-long_channels.tsv", "w") as f:
        f.write("name\ttype\tunits\tlow_cutoff\thigh_cutoff\tstatus\n")
        for i in range(ns):
            f.write(f"C{i:03d}\tECOG\tuV\tn/a\tn/a\tgood\n")
    # a fresh interpreter runs it, so that its children's peak is the render's alone
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "r.returncode); sys.stderr.write(r.stderr)")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", probe, BIN, "render", stem, "--out", f"{tmp}/hour.png"],
                             capture_output=True, text=True)
    seconds, kb, code = out.stdout.split()
    if code != "0":
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "render failed")
    return float(seconds), int(kb) * 1024


def fmt(t):
    return f"{t * 1e6:.0f} µs" if t < 1e-3 else f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def main():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: cargo build --release first")
    only = sys.argv[1:]
    for part in (loading, cifti, stc, tracts, ieeg, percept, simulation, vessels):
        if only and part.__name__ not in only:
            continue
        try:
            part()
        except Exception as e:  # a broken peer must not hide the other rows
            NOTES.append(f"{part.__name__}: {type(e).__name__}: {e}")
    table()


def table(ours="Cortexplorer"):
    """Print the machine line, ROWS as a Markdown table (ratio = peer / ours) and NOTES."""
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}\n")
    print(f"| work | peer | peer | {ours} | ratio |")
    print("|---|---|---|---|---|")
    for work, peer, tp, tc in ROWS:
        print(f"| {work} | {peer} | {fmt(tp)} | {fmt(tc)} | {tp / tc:.1f}x |")
    for n in NOTES:
        print(f"\nnote: {n}")


if __name__ == "__main__":
    main()
