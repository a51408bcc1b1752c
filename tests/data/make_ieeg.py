#!/usr/bin/env python3
"""Write the iEEG readers' test files (EDF/EDF+/BDF, BrainVision, BIDS iEEG) and record
what pyedflib and MNE-Python read from each.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/venv && /tmp/venv/bin/pip install mne==1.13.2 edfio==0.4.18 \
        pyedflib==0.1.42 pybv==0.8.1 mne-bids==0.20.0 nibabel==5.4.2
    /tmp/venv/bin/python tests/data/make_ieeg.py

Writes tests/data/ieeg/ (see README.md there), including expected.json and
copied/expected.json, which record what the libraries read. Everything is GENERATED from a fixed seed
except `copied/`, which holds truncated copies of two of pyedflib's own test files.
The contact positions come from the fsaverage5 left pial surface: `lh.pial` of the
subject `cortexplorer generate-subject` writes (default /tmp/tv/demo-subject/surf/lh.pial,
or $IEEG_PIAL), falling back to assets/fsaverage5/pial_left.gii.gz, which holds the same
vertices and faces.

Recording (one "recording", written three ways): 13 channels at 1000 Hz for DURATION s
(2 s, not 4 s, so that every binary file stays under 60 KB: 13 ch x 4 s x 2 bytes would
be 104 KB). G01..G12 are a 3x4 ECoG grid (5 mm spacing) on the lateral
occipito-temporal cortex; S01 is an extra ECoG contact marked bad (line noise, no
position). Signal (µV): a 10 Hz rhythm on every grid contact, Hann-tapered 100 Hz
"high gamma" bursts on G06, G07, G10, G11 at BURSTS, Gaussian noise; S01 carries
250 µV of 60 Hz plus drift.
"""
import csv
import datetime as dt
import json
import os
import re
import shutil
import sys
import warnings

import mne
import nibabel as nib
import nibabel.freesurfer as fsio
import numpy as np
import pybv
import pyedflib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "ieeg")
BIDS = os.path.join(OUT, "bids")
IEEG_DIR = os.path.join(BIDS, "sub-01", "ses-01", "ieeg")
COPIED = os.path.join(OUT, "copied")

SEED = 20261207
SFREQ = 1000
DURATION = 2.0
N = int(SFREQ * DURATION)
GRID = [f"G{i:02d}" for i in range(1, 13)]
BAD = "S01"
CH_NAMES = GRID + [BAD]
BURST_CHANNELS = ["G06", "G07", "G10", "G11"]
BURSTS = [(0.40, 0.15), (1.10, 0.15), (1.60, 0.15)]  # (onset s, duration s)
MEAS_DATE = dt.datetime(2024, 3, 14, 9, 26, 53, tzinfo=dt.timezone.utc)
TARGET = np.array([-50.0, -60.0, 0.0])
SPACING = 5.0
BASE = "sub-01_ses-01_task-rest"


def rel(p):
    return os.path.relpath(p, OUT)


# ----------------------------------------------------------------------------- signal
def make_signal():
    rng = np.random.default_rng(SEED)
    t = np.arange(N) / SFREQ
    data = np.zeros((len(CH_NAMES), N))
    for i, name in enumerate(GRID):
        amp = 20.0 + 2.0 * i
        phase = 0.3 * i
        data[i] = amp * (1 + 0.2 * np.sin(2 * np.pi * 0.5 * t)) * np.sin(
            2 * np.pi * 10 * t + phase
        )
        if name in BURST_CHANNELS:
            for onset, dur in BURSTS:
                s0, n = int(round(onset * SFREQ)), int(round(dur * SFREQ))
                data[i, s0 : s0 + n] += 8.0 * np.hanning(n) * np.sin(
                    2 * np.pi * 100 * t[s0 : s0 + n]
                )
        data[i] += rng.normal(0.0, 2.0, N)
    b = len(GRID)
    data[b] = (
        250.0 * np.sin(2 * np.pi * 60 * t)
        + 50.0 * np.sin(2 * np.pi * 0.5 * t)
        + rng.normal(0.0, 10.0, N)
    )
    return data  # µV


# ----------------------------------------------------------------------------- grid
def read_pial():
    path = os.environ.get("IEEG_PIAL", "/tmp/tv/demo-subject/surf/lh.pial")
    if os.path.exists(path):
        v, f = fsio.read_geometry(path)
        return v.astype(float), f, path
    g = nib.load(os.path.join(REPO, "assets", "fsaverage5", "pial_left.gii.gz"))
    return (
        g.darrays[0].data.astype(float),
        g.darrays[1].data,
        "assets/fsaverage5/pial_left.gii.gz",
    )


def make_grid(verts):
    d = np.linalg.norm(verts - TARGET, axis=1)
    centre_idx = int(d.argmin())
    c = verts[centre_idx]
    # smooth local normal: the least-variance direction of the pial vertices within 15 mm
    near = verts[np.linalg.norm(verts - c, axis=1) < 15.0]
    _, _, vt = np.linalg.svd(near - near.mean(0))
    n = vt[2]
    if n[0] > 0:  # left hemisphere, lateral surface: the outward normal points to -x
        n = -n
    # e1: anterior (+y) projected into the tangent plane; e2 completes a right-handed
    # frame and points roughly superior
    y = np.array([0.0, 1.0, 0.0])
    e1 = y - n * (y @ n)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    if e2[2] < 0:
        e2 = -e2
    contacts = []
    used = set()
    k = 0
    for r in range(3):  # rows, inferior -> superior
        for col in range(4):  # columns, posterior -> anterior
            k += 1
            p = c + (col - 1.5) * SPACING * e1 + (r - 1) * SPACING * e2
            dist = np.linalg.norm(verts - p, axis=1)
            order = np.argsort(dist)
            vi = int(order[0])
            collided = vi in used
            if collided:  # never happened with fsaverage5; kept as a guard
                vi = int(next(o for o in order if int(o) not in used))
            used.add(vi)
            contacts.append(
                dict(
                    name=f"G{k:02d}",
                    row=r,
                    col=col,
                    plane=[round(float(x), 4) for x in p],
                    vertex=vi,
                    position=[float(x) for x in verts[vi]],
                    snap_distance_mm=round(float(dist[vi]), 4),
                    collided=collided,
                )
            )
    frame = dict(
        target=TARGET.tolist(),
        centre_vertex=centre_idx,
        centre=[float(x) for x in c],
        normal=[float(x) for x in n],
        e1_anterior=[float(x) for x in e1],
        e2_superior=[float(x) for x in e2],
        spacing_mm=SPACING,
    )
    return contacts, frame


# ----------------------------------------------------------------------------- writers
def write_tsv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def fmt_mm(x):
    return f"{x:.4f}"


def write_bids(contacts, data_uv):
    write_json(
        os.path.join(BIDS, "dataset_description.json"),
        {
            "Name": "Cortexplorer iEEG reader fixture (GENERATED, not real data)",
            "BIDSVersion": "1.10.0",
            "DatasetType": "raw",
            "License": "CC0",
            "GeneratedBy": [
                {
                    "Name": "tests/data/make_ieeg.py",
                    "Description": "synthetic 10 Hz rhythm + 100 Hz bursts + noise",
                }
            ],
        },
    )
    write_tsv(
        os.path.join(BIDS, "participants.tsv"),
        ["participant_id", "age", "sex"],
        [["sub-01", "n/a", "n/a"]],
    )
    for run, fmtname in (("01", "EDF"), ("02", "BrainVision")):
        stem = f"{BASE}_run-{run}"
        write_json(
            os.path.join(IEEG_DIR, f"{stem}_ieeg.json"),
            {
                "TaskName": "rest",
                "TaskDescription": "GENERATED signal; no task",
                "SamplingFrequency": SFREQ,
                "PowerLineFrequency": 60,
                "SoftwareFilters": "n/a",
                "HardwareFilters": "n/a",
                "iEEGReference": "common reference, not included with data",
                "ECOGChannelCount": len(CH_NAMES),
                "SEEGChannelCount": 0,
                "RecordingDuration": DURATION,
                "RecordingType": "continuous",
                "iEEGPlacementScheme": "3x4 grid over left lateral occipito-temporal cortex",
                "iEEGElectrodeGroups": "G: 3x4 grid, 5 mm spacing; S: single contact",
                "Manufacturer": "n/a",
                "SoftwareVersions": f"make_ieeg.py; written as {fmtname}",
            },
        )
        rows = []
        for name in CH_NAMES:
            bad = name == BAD
            rows.append(
                [
                    name,
                    "ECOG",
                    "µV",
                    "n/a",
                    "n/a",
                    "n/a",
                    "G" if name in GRID else "S",
                    SFREQ,
                    "bad" if bad else "good",
                    "line noise (60 Hz)" if bad else "n/a",
                ]
            )
        write_tsv(
            os.path.join(IEEG_DIR, f"{stem}_channels.tsv"),
            [
                "name",
                "type",
                "units",
                "low_cutoff",
                "high_cutoff",
                "reference",
                "group",
                "sampling_frequency",
                "status",
                "status_description",
            ],
            rows,
        )
    erows = []
    for c in contacts:
        x, y, z = c["position"]
        erows.append(
            [c["name"], fmt_mm(x), fmt_mm(y), fmt_mm(z), 4.2, "G", "L", "platinum"]
        )
    erows.append([BAD, "n/a", "n/a", "n/a", 4.2, "S", "L", "platinum"])
    write_tsv(
        os.path.join(IEEG_DIR, "sub-01_ses-01_space-fsaverage_electrodes.tsv"),
        ["name", "x", "y", "z", "size", "group", "hemisphere", "material"],
        erows,
    )
    write_json(
        os.path.join(IEEG_DIR, "sub-01_ses-01_space-fsaverage_coordsystem.json"),
        {
            "iEEGCoordinateSystem": "fsaverage",
            "iEEGCoordinateUnits": "mm",
            "iEEGCoordinateSystemDescription": (
                "FreeSurfer fsaverage surface RAS (fsaverage5 mesh); each contact is "
                "the position of one left-pial vertex"
            ),
            "iEEGCoordinateProcessingDescription": "surface_projection",
        },
    )


def make_raw(data_uv):
    info = mne.create_info(CH_NAMES, SFREQ, ch_types="ecog")
    raw = mne.io.RawArray(data_uv * 1e-6, info, verbose="error")
    raw.set_meas_date(MEAS_DATE)
    with raw.info._unlock():
        raw.info["subject_info"] = {"his_id": "sub-01"}
        raw.info["line_freq"] = 60.0
    raw.info["bads"] = [BAD]
    raw.set_annotations(
        mne.Annotations(
            onset=[o for o, _ in BURSTS],
            duration=[d for _, d in BURSTS],
            description=["high_gamma"] * len(BURSTS),
        )
    )
    return raw


def write_vectorized(path_base, data_uv):
    """Hand-written VECTORIZED INT_16 BrainVision triplet (pybv writes MULTIPLEXED only).

    Exercises: the no-space identification line, VECTORIZED + DataPoints, per-channel
    resolutions, an empty resolution (-> 1.0), an empty unit (-> µV), a comma coded
    as \\1 in a channel name, a reference name, and a [Comment] section.
    """
    names = list(CH_NAMES)
    names[0] = "G01,a"  # stored as G01\1a
    res = np.full(len(names), 0.1)
    res[1] = 0.05
    res[-1] = 1.0  # written as an empty field (default 1.0)
    ints = np.round(data_uv / res[:, None]).astype(np.int16)
    ints.tofile(path_base + ".eeg")  # C order: all of channel 1, then channel 2, ...
    base = os.path.basename(path_base)
    lines = [
        "BrainVision Data Exchange Header File Version 1.0",
        "; GENERATED by tests/data/make_ieeg.py (hand-written, VECTORIZED)",
        "",
        "[Common Infos]",
        "Codepage=UTF-8",
        f"DataFile={base}.eeg",
        f"MarkerFile={base}.vmrk",
        "DataFormat=BINARY",
        "; Data orientation: VECTORIZED=ch1,pt1, ch1,pt2..., MULTIPLEXED=ch1,pt1, ch2,pt1 ...",
        "DataOrientation=VECTORIZED",
        f"NumberOfChannels={len(names)}",
        f"DataPoints={N}",
        "; Sampling interval in microseconds",
        f"SamplingInterval={1e6 / SFREQ:g}",
        "",
        "[Binary Infos]",
        "BinaryFormat=INT_16",
        "",
        "[Channel Infos]",
        "; Each entry: Ch<Channel number>=<Name>,<Reference channel name>,",
        '; <Resolution in "Unit">,<Unit>, Future extensions..',
        "; Fields are delimited by commas, some fields might be omitted (empty).",
        r'; Commas in channel names are coded as "\1".',
    ]
    for i, name in enumerate(names):
        n = name.replace(",", r"\1")
        if i == len(names) - 1:
            lines.append(f"Ch{i + 1}={n},,,µV")  # empty resolution -> 1.0
        elif i == 2:
            lines.append(f"Ch{i + 1}={n},REF,{res[i]:g},")  # empty unit -> µV
        else:
            lines.append(f"Ch{i + 1}={n},,{res[i]:g},µV")
    lines += ["", "[Comment]", "", "A free-text section; readers stop parsing keys here.", ""]
    with open(path_base + ".vhdr", "w", encoding="utf-8", newline="\r\n") as f:
        f.write("\n".join(lines))
    mk = [
        "BrainVision Data Exchange Marker File Version 1.0",
        "",
        "[Common Infos]",
        "Codepage=UTF-8",
        f"DataFile={base}.eeg",
        "",
        "[Marker Infos]",
        "; Each entry: Mk<Marker number>=<Type>,<Description>,<Position in data points>,",
        "; <Size in data points>, <Channel number (0 = marker is related to all channels)>",
        r'; Commas in type or description text are coded as "\1".',
        f"Mk1=New Segment,,1,1,0,{MEAS_DATE.strftime('%Y%m%d%H%M%S')}000000",
    ]
    for k, (onset, dur) in enumerate(BURSTS):
        mk.append(
            f"Mk{k + 2}=Comment,high_gamma\\1burst,{int(round(onset * SFREQ)) + 1},"
            f"{int(round(dur * SFREQ))},0"
        )
    with open(path_base + ".vmrk", "w", encoding="utf-8", newline="\r\n") as f:
        f.write("\n".join(mk) + "\n")
    return names, res


def write_bdf(path):
    """3 channels, 1 s at 2048 Hz, BioSemi-style ranges, written as digital values."""
    rng = np.random.default_rng(SEED + 1)
    fs = 2048
    t = np.arange(fs) / fs
    a1 = np.round((40 * np.sin(2 * np.pi * 10 * t) + rng.normal(0, 3, fs)) * 32).astype(
        np.int32
    )
    a2 = np.round((-25 * np.sin(2 * np.pi * 7 * t) + rng.normal(0, 3, fs)) * 32).astype(
        np.int32
    )
    a2[100] = -8388608  # the digital minimum (0x800000)
    a2[101] = 8388607  # the digital maximum (0x7FFFFF)
    status = np.zeros(fs, np.int32)
    status[512:520] = 1
    status[1536:1544] = 2
    w = pyedflib.EdfWriter(path, 3, file_type=pyedflib.FILETYPE_BDF)
    hdrs = []
    for label, dim, pmin, pmax in (
        ("A1", "uV", -262144, 262143),
        ("A2", "uV", -262144, 262143),
        ("Status", "Boolean", -8388608, 8388607),
    ):
        hdrs.append(
            dict(
                label=label,
                dimension=dim,
                sample_frequency=fs,
                physical_min=pmin,
                physical_max=pmax,
                digital_min=-8388608,
                digital_max=8388607,
                transducer="Active Electrode" if dim == "uV" else "Triggers and Status",
                prefilter="HP:DC, LP:417 Hz" if dim == "uV" else "No filtering",
            )
        )
    w.setSignalHeaders(hdrs)
    w.setStartdatetime(MEAS_DATE.replace(tzinfo=None))
    w.writeSamples([a1, a2, status], digital=True)
    w.close()
    # BioSemi ActiView writes "24BIT" in the reserved field; pyedflib leaves it blank
    with open(path, "r+b") as f:
        f.seek(192)
        f.write(b"24BIT".ljust(44))
    return dict(A1=a1, A2=a2, Status=status)


def copy_truncated(src, dst, n_records):
    """First n_records data records of a pyedflib test file; header count patched."""
    with open(src, "rb") as f:
        raw = f.read()
    hdr_bytes = int(raw[184:192])
    ns = int(raw[252:256])
    bps = 3 if raw[0] == 255 else 2
    o = 256 + ns * (16 + 80 + 8 * 5 + 80)
    spr = [int(raw[o + 8 * i : o + 8 * i + 8]) for i in range(ns)]
    rec = sum(spr) * bps
    old = raw[236:244].decode().strip()
    out = bytearray(raw[: hdr_bytes + n_records * rec])
    out[236:244] = str(n_records).ljust(8).encode()
    with open(dst, "wb") as f:
        f.write(out)
    return dict(source_records=int(old), kept_records=n_records, record_bytes=rec)


# ----------------------------------------------------------------------------- reading
def header_fields(path):
    """The EDF/BDF header exactly as stored (ASCII fields, trailing spaces removed)."""
    with open(path, "rb") as f:
        h = f.read(256)
        ns = int(h[252:256])
        s = f.read(256 * ns)
    fixed = dict(
        version=h[0:8].decode("latin-1"),
        patient=h[8:88].decode("latin-1").rstrip(),
        recording=h[88:168].decode("latin-1").rstrip(),
        startdate=h[168:176].decode(),
        starttime=h[176:184].decode(),
        header_bytes=h[184:192].decode().rstrip(),
        reserved=h[192:236].decode().rstrip(),
        n_records=h[236:244].decode().rstrip(),
        record_duration=h[244:252].decode().rstrip(),
        n_signals=h[252:256].decode().rstrip(),
    )
    widths = [
        ("label", 16),
        ("transducer", 80),
        ("physical_dimension", 8),
        ("physical_min", 8),
        ("physical_max", 8),
        ("digital_min", 8),
        ("digital_max", 8),
        ("prefiltering", 80),
        ("samples_per_record", 8),
        ("reserved", 32),
    ]
    sig = {}  # field-major, as stored: one list (one entry per signal) per field
    pos = 0
    for key, w in widths:
        sig[key] = []
        for _ in range(ns):
            sig[key].append(s[pos : pos + w].decode("latin-1").rstrip())
            pos += w
    return dict(fixed=fixed, signals=sig, file_size=os.path.getsize(path))


def num(v):
    """12 significant digits: far below every reader's rounding noise, and it keeps
    expected.json under 60 KB."""
    return float(f"{float(v):.12g}")


def samples(x):
    x = np.asarray(x, dtype=float)
    return dict(
        first20=[num(v) for v in x[:20]],
        s1000_1010=[num(v) for v in x[1000:1011]],
        mean=num(x.mean()),
        std=num(x.std()),
    )


def read_pyedflib(path):
    try:
        r = pyedflib.EdfReader(path)
    except Exception as e:  # noqa: BLE001
        return dict(error=f"{type(e).__name__}: {e}")
    try:
        n = r.signals_in_file
        nsamp = r.getNSamples()
        chans = []
        for i in range(n):
            x = r.readSignal(i, digital=False)
            d = r.readSignal(i, digital=True)
            c = dict(
                name=r.getLabel(i),
                sfreq=float(r.getSampleFrequency(i)),
                n_samples=int(nsamp[i]),
                unit=r.getPhysicalDimension(i),
                physical=samples(x),
                digital_first20=[int(v) for v in d[:20]],
            )
            chans.append(c)
        on, du, de = r.readAnnotations()
        return dict(
            unit_note="readSignal(digital=False): physical values in the header's unit",
            file_duration=float(r.getFileDuration()),
            datarecord_duration=float(r.datarecord_duration),
            datarecords_in_file=int(r.datarecords_in_file),
            channels=chans,
            annotations=[
                dict(onset=float(a), duration=float(b), text=str(c))
                for a, b, c in zip(on, du, de)
            ],
        )
    finally:
        r.close()


def read_raw_any(path, verbose="error"):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".bdf":
        return mne.io.read_raw_bdf(path, preload=True, verbose=verbose)
    if ext == ".edf":
        return mne.io.read_raw_edf(path, preload=True, verbose=verbose)
    return mne.io.read_raw_brainvision(path, preload=True, verbose=verbose)


def read_mne(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = read_raw_any(path, verbose="warning")
        except Exception as e:  # noqa: BLE001
            return dict(error=f"{type(e).__name__}: {e}")
    data = raw.get_data()
    chans = []
    for i, name in enumerate(raw.ch_names):
        chans.append(
            dict(
                name=name,
                type=raw.get_channel_types()[i],
                orig_unit=(raw._orig_units or {}).get(name),
                volts=samples(data[i]),
            )
        )
    return dict(
        unit_note="raw.get_data(): SI units (V for voltage channels; stim channels raw)",
        sfreq=float(raw.info["sfreq"]),
        n_samples=int(raw.n_times),
        meas_date=None if raw.info["meas_date"] is None else raw.info["meas_date"].isoformat(),
        channels=chans,
        annotations=[
            dict(onset=float(a["onset"]), duration=float(a["duration"]), text=a["description"])
            for a in raw.annotations
        ],
        warnings=sorted({str(w.message).split("\n")[0] for w in caught}),
    )


def _pretty(o, ind=0):
    """JSON text: a container fits on one line if it can (120 columns); lists of
    scalars always do."""
    one = json.dumps(o, ensure_ascii=False, separators=(", ", ": "))
    scalar = (str, int, float, bool, type(None))
    if not isinstance(o, (dict, list)) or len(one) + ind <= 120:
        return one
    if isinstance(o, list) and all(isinstance(x, scalar) for x in o):
        return one
    pad = " " * (ind + 1)
    if isinstance(o, list):
        items = [pad + _pretty(x, ind + 1) for x in o]
        return "[\n" + ",\n".join(items) + "\n" + " " * ind + "]"
    items = [
        pad + json.dumps(k, ensure_ascii=False) + ": " + _pretty(v, ind + 1)
        for k, v in o.items()
    ]
    return "{\n" + ",\n".join(items) + "\n" + " " * ind + "}"


def dump_json(path, obj):
    obj = json.loads(json.dumps(obj))  # tuples -> lists
    text = _pretty(obj)
    assert json.loads(text) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def read_tsv(path):
    """{"columns": header, "rows": [[cell, ...], ...]}, every cell as the string stored."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return dict(columns=rows[0], rows=rows[1:])


def read_bids_with_mne_bids():
    try:
        import mne_bids
    except ImportError:
        return dict(error="mne_bids not installed")
    out = {}
    for run, ext in (("01", ".edf"), ("02", ".vhdr")):
        bp = mne_bids.BIDSPath(
            subject="01",
            session="01",
            task="rest",
            run=run,
            datatype="ieeg",
            suffix="ieeg",
            extension=ext,
            root=BIDS,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                raw = mne_bids.read_raw_bids(bp, verbose="warning")
            except Exception as e:  # noqa: BLE001
                out[f"run-{run}"] = dict(error=f"{type(e).__name__}: {e}")
                continue
        mont = raw.get_montage()
        pos = {}
        frame = None
        if mont is not None:
            p = mont.get_positions()
            frame = p["coord_frame"]
            pos = {  # NaN (no position) -> null: strict JSON has no NaN
                k: [None if np.isnan(x) else float(x) for x in v]
                for k, v in p["ch_pos"].items()
            }
        same = [k for k, v in out.items() if v.get("montage_positions_m") == pos]
        if same:
            pos = f"identical to {same[0]}"
        out[f"run-{run}"] = dict(
            bads=list(raw.info["bads"]),
            ch_types=dict(zip(raw.ch_names, raw.get_channel_types())),
            montage_coord_frame=frame,
            montage_positions_m=pos,
            warnings=sorted({str(w.message).split("\n")[0] for w in caught}),
        )
    return out


# ----------------------------------------------------------------------------- main
def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(IEEG_DIR)
    os.makedirs(COPIED)

    data_uv = make_signal()
    verts, _faces, pial_src = read_pial()
    contacts, frame = make_grid(verts)
    write_bids(contacts, data_uv)
    raw = make_raw(data_uv)

    edf_path = os.path.join(IEEG_DIR, f"{BASE}_run-01_ieeg.edf")
    with warnings.catch_warnings(record=True) as export_warnings:
        warnings.simplefilter("always")
        mne.export.export_raw(edf_path, raw, fmt="edf", overwrite=True, verbose="warning")

    bv_res = np.full(len(CH_NAMES), 0.1)
    bv_res[-1] = 0.5
    events = [
        dict(
            onset=int(round(o * SFREQ)),
            duration=int(round(d * SFREQ)),
            description="high_gamma",
            type="Comment",
        )
        for o, d in BURSTS
    ]
    pybv.write_brainvision(
        data=data_uv * 1e-6,
        sfreq=SFREQ,
        ch_names=CH_NAMES,
        fname_base=f"{BASE}_run-02_ieeg",
        folder_out=IEEG_DIR,
        overwrite=True,
        events=events,
        resolution=bv_res,
        unit="µV",
        fmt="binary_int16",
        meas_date=MEAS_DATE,
    )
    bv_path = os.path.join(IEEG_DIR, f"{BASE}_run-02_ieeg.vhdr")
    # how pybv turned µV into int16 (it uses astype, i.e. truncation toward zero)
    stored = np.fromfile(bv_path[:-5] + ".eeg", "<i2").reshape(-1, len(CH_NAMES)).T
    scaled = data_uv / bv_res[:, None]
    pybv_conv = dict(
        equals_truncation=bool((stored == np.trunc(scaled)).all()),
        equals_rounding=bool((stored == np.round(scaled)).all()),
        fraction_differing_from_rounding=float((stored != np.round(scaled)).mean()),
    )

    vec_base = os.path.join(OUT, "vectorized")
    vec_names, vec_res = write_vectorized(vec_base, data_uv)

    bdf_path = os.path.join(OUT, "biosemi3.bdf")
    bdf_digital = write_bdf(bdf_path)
    minus1_path = os.path.join(OUT, "biosemi3_nrec_minus1.bdf")
    with open(bdf_path, "rb") as f:
        b = bytearray(f.read())
    b[236:244] = b"-1      "
    with open(minus1_path, "wb") as f:
        f.write(b)

    pyedf_data = os.path.join(os.path.dirname(pyedflib.__file__), "tests", "data")
    copies = {}
    for src, n in (("test_generator.edf", 6), ("test_generator.bdf", 3)):
        s = os.path.join(pyedf_data, src)
        if not os.path.exists(s):
            s = os.path.join(os.path.dirname(pyedflib.__file__), "data", src)
        dst = os.path.join(COPIED, src.replace(".", f"_{n}rec."))
        copies[rel(dst)] = dict(source=f"pyedflib {pyedflib.__version__} pyedflib/tests/data/{src}",
                                source_bytes=os.path.getsize(s), **copy_truncated(s, dst, n))

    # ------------------------------------------------------------------ expected
    recordings = {}
    for p in (edf_path, bdf_path, minus1_path):
        recordings[rel(p)] = dict(
            header=header_fields(p), pyedflib=read_pyedflib(p), mne=read_mne(p)
        )
    # the -1 file holds the same bytes after the header: say so instead of repeating
    m1, m0 = recordings[rel(minus1_path)]["mne"], recordings[rel(bdf_path)]["mne"]
    if m1.get("channels") == m0.get("channels"):
        m1["channels"] = f"identical to {rel(bdf_path)}"
    copied_recordings = {}
    for k in copies:
        p = os.path.join(OUT, k)
        copied_recordings[rel(p)] = dict(
            header=header_fields(p), pyedflib=read_pyedflib(p), mne=read_mne(p)
        )
    for p in (bv_path, vec_base + ".vhdr"):
        with open(p, encoding="utf-8") as f:
            vhdr_text = f.read()
        recordings[rel(p)] = dict(vhdr_first_line=vhdr_text.splitlines()[0], mne=read_mne(p))
    recordings[rel(bv_path)]["written_resolutions_uV"] = bv_res.tolist()
    recordings[rel(bv_path)]["pybv_int16_conversion"] = pybv_conv
    recordings[rel(vec_base + ".vhdr")]["written_resolutions_uV"] = vec_res.tolist()
    recordings[rel(vec_base + ".vhdr")]["conversion"] = "np.round(µV / resolution) -> int16"
    f = pyedflib.EdfReader(bdf_path)
    a2 = f.readSignal(1)[100:102]
    f.close()
    recordings[rel(bdf_path)]["A2_samples_100_101_digital_extremes"] = dict(
        digital=[int(x) for x in bdf_digital["A2"][100:102]],
        pyedflib_uV=[num(x) for x in a2],
        mne_V=[num(x) for x in read_raw_any(bdf_path).get_data()[1, 100:102]],
    )
    recordings[rel(bdf_path)]["digital_written_first20"] = {
        k: [int(x) for x in v[:20]] for k, v in bdf_digital.items()
    }

    # how far each file's values (as MNE reads them) are from the generated signal
    for p in (edf_path, bv_path, vec_base + ".vhdr"):
        back = read_raw_any(p).get_data() * 1e6
        err = np.abs(back - data_uv).max(axis=1)
        recordings[rel(p)]["max_abs_error_vs_source_uV"] = [num(x) for x in err]
        assert err.max() < 1.0, (p, err)

    sidecars = {}
    for name in sorted(os.listdir(IEEG_DIR)):
        p = os.path.join(IEEG_DIR, name)
        if name.endswith(".tsv"):
            parsed = read_tsv(p)
        elif name.endswith(".json"):
            with open(p, encoding="utf-8") as f:
                parsed = json.load(f)
        else:
            continue
        same = [k for k, v in sidecars.items() if v == parsed]
        sidecars[rel(p)] = f"identical to {same[0]}" if same else parsed
    for name in ("dataset_description.json", "participants.tsv"):
        p = os.path.join(BIDS, name)
        sidecars[rel(p)] = read_tsv(p) if name.endswith(".tsv") else json.load(open(p))

    expected = dict(
        generator="tests/data/make_ieeg.py",
        versions=dict(
            python=sys.version.split()[0],
            mne=mne.__version__,
            pyedflib=pyedflib.__version__,
            pybv=pybv.__version__,
            numpy=np.__version__,
            nibabel=nib.__version__,
        ),
        units_note=(
            "pyedflib values are physical values in each channel's header unit "
            "(uV here); mne values are what raw.get_data() returns: volts for "
            "voltage channels, stim channels (BDF 'Status') as raw integers "
            "masked to 17 bits. mne channels are resampled to the highest rate in "
            "files with mixed rates (copied/test_generator_3rec.bdf), so "
            "mne s1000_1010 indexes that common rate."
        ),
        generation=dict(
            seed=SEED,
            sfreq=SFREQ,
            duration_s=DURATION,
            n_samples=N,
            channels=CH_NAMES,
            bad_channel=BAD,
            burst_channels=BURST_CHANNELS,
            bursts_onset_duration_s=BURSTS,
            meas_date=MEAS_DATE.isoformat(),
            pial_surface=pial_src,
            grid_frame=frame,
            contacts=contacts,
            mne_export_warnings=sorted({str(w.message).split("\n")[0] for w in export_warnings}),
        ),
        copied="see copied/expected.json",
        recordings=recordings,
        bids_sidecars=sidecars,
        mne_bids=read_bids_with_mne_bids(),
    )
    dump_json(os.path.join(OUT, "expected.json"), expected)
    dump_json(
        os.path.join(COPIED, "expected.json"),
        dict(
            generator="tests/data/make_ieeg.py",
            versions=expected["versions"],
            units_note=expected["units_note"],
            copied=copies,
            recordings=copied_recordings,
        ),
    )
    write_readme(copies)

    total = 0
    for root, _, files in os.walk(OUT):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            sz = os.path.getsize(p)
            total += sz
            flag = "  <-- over 60 KB" if sz >= 60_000 else ""
            print(f"{sz:8d}  {rel(p)}{flag}")
    print(f"{total:8d}  total")


def write_readme(copies):
    text = f"""# iEEG reader test data

Made by `../make_ieeg.py` (run with MNE-Python {mne.__version__}, edfio, pyedflib
{pyedflib.__version__}, pybv {pybv.__version__}, nibabel {nib.__version__}). Re-running it
rewrites this whole folder.

## GENERATED (synthetic signals, fixed seed {SEED}; not real recordings)

One 13-channel recording (G01..G12: a 3x4 ECoG grid; S01: an extra contact marked bad),
1000 Hz, {DURATION:g} s, in µV: a 10 Hz rhythm on every grid contact, 100 Hz bursts on
G06/G07/G10/G11 at 0.40, 1.10 and 1.60 s (0.15 s each, also stored as "high_gamma"
annotations/markers), Gaussian noise; S01 carries 250 µV of 60 Hz and a drift.

* `bids/` — a BIDS iEEG dataset (GENERATED): `dataset_description.json`,
  `participants.tsv`, and in `sub-01/ses-01/ieeg/`:
  * `sub-01_ses-01_task-rest_run-01_ieeg.edf` — written by `mne.export.export_raw(...,
    fmt="edf")` (edfio underneath): EDF+C with an "EDF Annotations" signal;
  * `sub-01_ses-01_task-rest_run-02_ieeg.vhdr/.vmrk/.eeg` — the same signal written by
    `pybv.write_brainvision` (MULTIPLEXED, INT_16, resolution 0.1 µV, 0.5 µV for S01);
  * `*_ieeg.json`, `*_channels.tsv` for each run (S01 `status` = bad);
  * `sub-01_ses-01_space-fsaverage_electrodes.tsv` / `..._coordsystem.json` — contact
    positions in mm, each one the position of a vertex of the fsaverage5 left pial
    surface (the vertex indices are in `expected.json` → generation.contacts); S01 has
    `n/a` coordinates.
* `vectorized.vhdr/.vmrk/.eeg` — the same signal as a hand-written VECTORIZED INT_16
  BrainVision triplet (pybv only writes MULTIPLEXED): per-channel resolutions, an empty
  resolution field (1.0), an empty unit field (µV), the channel name `G01,a` stored as
  `G01\\1a`, CRLF line ends, a `[Comment]` section.
* `biosemi3.bdf` — 3 channels (A1, A2 in uV; Status), 1 s at 2048 Hz, written by pyedflib
  as digital values with BioSemi's ranges; the reserved field then set to `24BIT` as
  BioSemi ActiView writes it. A2 holds the digital extremes at samples 100 and 101.
* `biosemi3_nrec_minus1.bdf` — the same file with the data-record count set to `-1`
  (as while recording): MNE infers the count from the file size, pyedflib refuses it.
* `expected.json` — GENERATED by the script, never edited by hand: what pyedflib
  (`readSignal`, physical values in the header unit, e.g. µV) and MNE (`get_data()`,
  volts) read from every recording above. It also holds the raw EDF/BDF header fields
  as stored, the largest difference from the source signal, the sidecars as parsed, what
  mne-bids reads, and the grid construction (vertex indices, snap distances). Floats
  are kept to 12 significant digits.

## COPIED (truncated), BSD-3-Clause

* `copied/test_generator_6rec.edf` — the first 6 data records of pyedflib's
  `pyedflib/tests/data/test_generator.edf` (EDF+C, 11 signals at 200 Hz + "EDF
  Annotations"; 600 records, 2.7 MB originally), header record count patched to 6.
* `copied/test_generator_3rec.bdf` — the first 3 data records of pyedflib's
  `pyedflib/tests/data/test_generator.bdf` (BDF+C, 5 signals at 1000/800/500/975/999 Hz +
  "BDF Annotations"; 30 records, 390 KB originally), header record count patched to 3.

* `copied/expected.json` — the same record for the two copies (GENERATED).

Not copied: the other pyedflib test files (`test_generator.edf` untruncated 2.7 MB,
`test_legacy.edf` 2.7 MB, `test_subsecond.edf` 207 KB, `test_utf8.edf` 216 KB, the two
`test_generator_datarec_generator_*.bdf` 196/778 KB) — each is over this folder's 60 KB
per-file limit.

pyedflib is © 2015-2020 Holger Nahrstaedt, © 2011, 2015 Chris Lee-Messer,
© 2009-2020 Teunis van Beelen, under the BSD 3-Clause licence:

> Redistribution and use in source and binary forms, with or without modification, are
> permitted provided that the following conditions are met: 1. Redistributions of source
> code must retain the above copyright notice, this list of conditions and the following
> disclaimer. 2. Redistributions in binary form must reproduce the above copyright
> notice, this list of conditions and the following disclaimer in the documentation
> and/or other materials provided with the distribution. 3. Neither the name of the
> copyright holder nor the names of its contributors may be used to endorse or promote
> products derived from this software without specific prior written permission.
>
> THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY
> EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
> MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL
> THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
> SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT
> OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
> INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
> LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
> OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
