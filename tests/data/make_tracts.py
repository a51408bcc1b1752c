#!/usr/bin/env python3
"""Write the tractography readers' test files (TCK, TRK, TRX) and record what the reference
libraries read from them.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/venv && /tmp/venv/bin/pip install nibabel==5.4.2 trx-python==0.6
    /tmp/venv/bin/python tests/data/make_tracts.py

Writes tests/data/tracts/:
* small.tck — 5 streamlines (1, 2, 7, 13 and 4 points), written by nibabel's TckFile
  (Float32LE, nibabel's own header layout: count, datatype, extra keys, file, END);
* small_be.tck — the same streamlines as Float32BE. nibabel always writes Float32LE, so the
  header and data are put together here by hand in nibabel's layout; nibabel reads it back;
* mrtrix_style.tck — the same streamlines laid out the way MRtrix3's writer lays a file out:
  magic line padded with spaces, repeated keys, `file:` before `count:`/`total_count:`, NUL
  bytes between END and the 4-byte-aligned data offset, a -inf terminator and a negative
  quiet NaN separator (what MATLAB writes); nibabel reads it back;
* small_f64le.tck / small_f64be.tck — Float64LE / Float64BE files (MRtrix3 reads them,
  nibabel refuses them with HeaderError); the expected points are the values written;
* small.trk — nibabel's TrkFile, voxel order LPS with a matching LPS vox_to_ras, voxel size
  2 x 2 x 2.5, 64 x 64 x 40 voxels, scalars `fa` and `md` (1 value each), property `len`;
* small_las.trk — voxel order LAS in the header but a rotated, axis-permuted vox_to_ras
  (axis codes AIL), so nibabel's orientation transform is not the identity; scalars
  `colors` (3 values, packed as "colors\\0" "3") and `fa`, properties `len` and
  `weights` (2 values);
* small.trx — trx-python, float16 positions, uint32 offsets, dpv `fa` (float16), dps
  `weight` (float32), zip entries stored (not compressed);
* small32.trx — trx-python, float32 positions, uint64 offsets, dpv `color` (3 x uint8),
  dps `weight` (float64), a group `bundle_a` with dpg `mean_fa`, zip entries deflated;
* nibabel/ — every .tck and .trk file of nibabel's own test data (nibabel/tests/data/ of
  the installed wheel, MIT licence), copied unchanged;
* expected.json — for every file: what nibabel.streamlines.load (TCK, TRK) or
  trx.trx_file_memmap.load (TRX) reads: number of streamlines, points per streamline, the
  points in RAS+ mm rounded to 5 decimals, per-point and per-streamline data, header
  values, warnings; or the exception it raises. Never edited by hand;
* README.md — what the folder holds and where it comes from.

numpy's seed is fixed, so reruns write the same points (the TRX zips differ only in their
entries' timestamps and order).
"""
import json
import os
import shutil
import warnings
import zipfile

import nibabel as nib
import numpy as np
import trx
from nibabel.streamlines import Tractogram
from nibabel.streamlines.header import Field
from nibabel.streamlines.tck import TckFile
from nibabel.streamlines.trk import TrkFile, get_affine_trackvis_to_rasmm
from trx import trx_file_memmap as tmm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tracts")
OUT_NIB = os.path.join(OUT, "nibabel")
NIB_DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")
os.makedirs(OUT_NIB, exist_ok=True)
rng = np.random.default_rng(20260714)


def r5(x):
    """Round (nested) numbers to 5 decimals as plain Python floats/lists."""
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        return a.tolist()
    return np.round(a.astype(np.float64), 5).tolist()


def seq(arr_seq):
    """An ArraySequence (or list of arrays) as nested lists rounded to 5 decimals."""
    return [r5(np.asarray(s)) for s in arr_seq]


# ---------------------------------------------------------------------------------------------
# TCK
# ---------------------------------------------------------------------------------------------
TCK_LENGTHS = [1, 2, 7, 13, 4]


def walk(n, start, step=1.5):
    steps = rng.normal(scale=step, size=(n, 3))
    steps[0] = 0
    return (np.asarray(start) + np.cumsum(steps, axis=0)).astype(np.float32)


tck_streamlines = [walk(n, rng.uniform(-60, 60, size=3)) for n in TCK_LENGTHS]
TckFile(Tractogram(tck_streamlines, affine_to_rasmm=np.eye(4)),
        header={"step_size": "1.5", "method": "synthetic random walk"}).save(
    os.path.join(OUT, "small.tck"))


def nibabel_style_header(datatype, count, extra=()):
    """nibabel's TCK header layout, with the data right after END\\n."""
    head = ["mrtrix tracks", f"count: {count:010}", f"datatype: {datatype}"]
    head += [f"{k}: {v}" for k, v in extra]
    text = "\n".join(head) + "\nfile: . "
    tail = "\nEND\n"
    n = len(text) + len(tail)
    offset = n + len(str(n))
    if len(str(offset)) != len(str(n)):
        offset = n + len(str(offset))
    out = (text + str(offset) + tail).encode()
    assert len(out) == offset
    return out


def tck_data(streamlines, dtype, sep=np.nan, end=np.inf):
    parts = []
    for s in streamlines:
        parts.append(np.asarray(s, dtype=np.float64))
        parts.append(np.full((1, 3), sep))
    parts.append(np.full((1, 3), end))
    return np.concatenate(parts).astype(dtype).tobytes()


with open(os.path.join(OUT, "small_be.tck"), "wb") as f:
    f.write(nibabel_style_header("Float32BE", len(tck_streamlines)))
    f.write(tck_data(tck_streamlines, ">f4"))

# MRtrix3-like layout (dwi/tractography/file_base.h): the first line is written last as
# "mrtrix tracks" + 4 spaces over "mrtrix tracks\nEND", properties follow, then datatype and
# file; the data offset is (position after the datatype line + 65) rounded up to a multiple
# of 4; count/total_count/END are rewritten after the tracks; the gap up to the data is NUL.
props = [("command_history", "tckgen fod.mif tracks.tck -select 5"),
         ("command_history", "tckedit tracks.tck small.tck"),
         ("method", "iFOD2"), ("step_size", "0.625"), ("timestamp", "1760000000.123456")]
head = "mrtrix tracks    \n" + "".join(f"{k}: {v}\n" for k, v in props) + "datatype: Float32LE\n"
data_offset = len(head) + 65
data_offset += (4 - data_offset % 4) % 4
head += f"file: . {data_offset}\ncount: {len(tck_streamlines)}\ntotal_count: 9\nEND\n"
head = head.encode().ljust(data_offset, b"\0")
body = bytearray()
for s in tck_streamlines:
    body += s.astype("<f4").tobytes()
    body += bytes.fromhex("0000c0ff") * 3          # negative quiet NaN (as MATLAB writes)
body += np.full(3, -np.inf, "<f4").tobytes()       # -inf terminator
with open(os.path.join(OUT, "mrtrix_style.tck"), "wb") as f:
    f.write(head + bytes(body))

for name, dt, code in [("small_f64le.tck", "<f8", "Float64LE"), ("small_f64be.tck", ">f8", "Float64BE")]:
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(nibabel_style_header(code, len(tck_streamlines)))
        f.write(tck_data(tck_streamlines, dt))

# ---------------------------------------------------------------------------------------------
# TRK
# ---------------------------------------------------------------------------------------------
DIMS = (64, 64, 40)
VOX = (2.0, 2.0, 2.5)
AFF_LPS = np.array([[-2.0, 0, 0, 63.0],
                    [0, -2.0, 0, 70.0],
                    [0, 0, 2.5, -45.0],
                    [0, 0, 0, 1]])


def vox_walk(n, dims, step=1.2):
    start = rng.uniform(8, np.asarray(dims) - 8)
    steps = rng.normal(scale=step, size=(n, 3))
    steps[0] = 0
    return start + np.cumsum(steps, axis=0)


def to_ras(aff, ijk):
    return (ijk @ aff[:3, :3].T + aff[:3, 3]).astype(np.float32)


trk_lengths = [6, 1, 9, 3, 12]
trk_streamlines = [to_ras(AFF_LPS, vox_walk(n, DIMS)) for n in trk_lengths]
dpp = {"fa": [rng.uniform(0, 1, size=(n, 1)).astype(np.float32) for n in trk_lengths],
       "md": [rng.uniform(0.5e-3, 1.5e-3, size=(n, 1)).astype(np.float32) for n in trk_lengths]}
dps = {"len": np.array([[float(n) * 0.8] for n in trk_lengths], dtype=np.float32)}
hdr = {Field.VOXEL_TO_RASMM: AFF_LPS, Field.VOXEL_SIZES: np.array(VOX),
       Field.DIMENSIONS: np.array(DIMS), Field.VOXEL_ORDER: "LPS"}
TrkFile(Tractogram(trk_streamlines, data_per_streamline=dps, data_per_point=dpp,
                   affine_to_rasmm=np.eye(4)), header=hdr).save(os.path.join(OUT, "small.trk"))

# LAS voxel order in the header, but a vox_to_ras whose axes are (A, I, L), rotated by 12
# degrees about z: nibabel has to go through ornt_transform / inv_ornt_aff.
th = np.deg2rad(12.0)
rot = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
perm = np.array([[0, 0, -2.5], [2.0, 0, 0], [0, -2.0, 0]])
AFF_ROT = np.eye(4)
AFF_ROT[:3, :3] = rot @ perm
AFF_ROT[:3, 3] = [48.0, -60.0, 55.0]
assert "".join(nib.orientations.aff2axcodes(AFF_ROT)) == "AIL"
las_lengths = [4, 10, 1, 7]
las_streamlines = [to_ras(AFF_ROT, vox_walk(n, DIMS)) for n in las_lengths]
dpp = {"colors": [rng.integers(0, 256, size=(n, 3)).astype(np.float32) for n in las_lengths],
       "fa": [rng.uniform(0, 1, size=(n, 1)).astype(np.float32) for n in las_lengths]}
dps = {"len": np.array([[float(n)] for n in las_lengths], dtype=np.float32),
       "weights": rng.uniform(-1, 1, size=(len(las_lengths), 2)).astype(np.float32)}
hdr = {Field.VOXEL_TO_RASMM: AFF_ROT, Field.VOXEL_SIZES: np.array(VOX),
       Field.DIMENSIONS: np.array(DIMS), Field.VOXEL_ORDER: "LAS"}
TrkFile(Tractogram(las_streamlines, data_per_streamline=dps, data_per_point=dpp,
                   affine_to_rasmm=np.eye(4)), header=hdr).save(os.path.join(OUT, "small_las.trk"))

# ---------------------------------------------------------------------------------------------
# TRX
# ---------------------------------------------------------------------------------------------
trx_lengths = [5, 1, 8, 3, 11, 2]
trx_streamlines = [to_ras(AFF_LPS, vox_walk(n, DIMS)) for n in trx_lengths]
ref = nib.Nifti1Image(np.zeros(DIMS, dtype=np.uint8), AFF_LPS)
tg = Tractogram(trx_streamlines,
                data_per_point={"fa": [rng.uniform(0, 1, size=(n, 1)) for n in trx_lengths]},
                data_per_streamline={"weight": rng.uniform(0, 2, size=(len(trx_lengths), 1))},
                affine_to_rasmm=np.eye(4))
t = tmm.TrxFile.from_tractogram(tg, ref, dtype_dict={
    "positions": np.float16, "offsets": np.uint32,
    "dpv": {"fa": np.float16}, "dps": {"weight": np.float32}})
tmm.save(t, os.path.join(OUT, "small.trx"), compression_standard=zipfile.ZIP_STORED)
t.close()

tg = Tractogram(trx_streamlines,
                data_per_point={"color": [rng.integers(0, 256, size=(n, 3)) for n in trx_lengths]},
                data_per_streamline={"weight": rng.uniform(0, 2, size=(len(trx_lengths), 1))},
                affine_to_rasmm=np.eye(4))
t = tmm.TrxFile.from_tractogram(tg, ref, dtype_dict={
    "positions": np.float32, "offsets": np.uint64,
    "dpv": {"color": np.uint8}, "dps": {"weight": np.float64}})
t.groups["bundle_a"] = np.array([0, 2, 3], dtype=np.uint32)
t.data_per_group["bundle_a"] = {"mean_fa": np.array([0.625], dtype=np.float32)}
tmm.save(t, os.path.join(OUT, "small32.trx"), compression_standard=zipfile.ZIP_DEFLATED)
t.close()

# ---------------------------------------------------------------------------------------------
# nibabel's own test files
# ---------------------------------------------------------------------------------------------
NIB_FILES = sorted(f for f in os.listdir(NIB_DATA) if f.endswith((".tck", ".trk")))
for f in NIB_FILES:
    shutil.copy(os.path.join(NIB_DATA, f), OUT_NIB)

# ---------------------------------------------------------------------------------------------
# Expected values
# ---------------------------------------------------------------------------------------------


def tck_header_text(path):
    raw = open(path, "rb").read()
    end = raw.find(b"\nEND\n")
    return raw[:end + 5].decode("latin1") if end >= 0 else None


def plain(v):
    if isinstance(v, bytes):
        return v.decode("latin1")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "SV":
            return [plain(x) for x in v.tolist()]
        if v.dtype.kind in "iu":
            return v.tolist()
        return r5(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(np.round(v, 5))
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def nib_entry(path):
    entry = {"size_bytes": os.path.getsize(path)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tf = nib.streamlines.load(path)
        except Exception as e:  # noqa: BLE001 - record whatever nibabel raises
            entry["error"] = {"type": type(e).__name__, "message": str(e)}
            tf = None
    entry["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    if path.endswith(".tck"):
        entry["header_text"] = tck_header_text(path)
    if tf is None:
        return entry
    sl = tf.streamlines
    entry["nb_streamlines"] = len(sl)
    entry["lengths"] = [int(n) for n in sl._lengths]
    entry["points_rasmm"] = seq(sl)
    h = tf.header
    if path.endswith(".trk"):
        entry["header"] = {k: plain(h[k]) for k in (
            Field.DIMENSIONS, Field.VOXEL_SIZES, Field.ORIGIN, Field.VOXEL_TO_RASMM,
            Field.VOXEL_ORDER, "version", "hdr_size", Field.ENDIANNESS,
            Field.NB_SCALARS_PER_POINT, Field.NB_PROPERTIES_PER_STREAMLINE,
            "scalar_name", "property_name")}
        entry["header"]["n_count_in_file"] = int(np.frombuffer(
            open(path, "rb").read()[988:992], h[Field.ENDIANNESS] + "i4")[0])
        entry["affine_trackvis_to_rasmm"] = r5(get_affine_trackvis_to_rasmm(h))
    else:
        entry["header"] = {k: plain(v) for k, v in h.items()
                           if not k.startswith("_") and k != Field.VOXEL_TO_RASMM}
    entry["data_per_point"] = {k: seq(v) for k, v in tf.tractogram.data_per_point.items()}
    entry["data_per_streamline"] = {k: r5(v) for k, v in
                                    tf.tractogram.data_per_streamline.items()}
    return entry


def trx_entry(path):
    entry = {"size_bytes": os.path.getsize(path)}
    with zipfile.ZipFile(path) as zf:
        entry["zip_entries"] = [{"name": i.filename, "compress_type": i.compress_type,
                                 "file_size": i.file_size, "compress_size": i.compress_size}
                                for i in sorted(zf.infolist(), key=lambda i: i.filename)]
        entry["header_json"] = json.loads(zf.read("header.json"))
        off_name = next(n for n in zf.namelist() if n.startswith("offsets."))
        entry["offsets_file"] = {"name": off_name,
                                 "values": np.frombuffer(zf.read(off_name),
                                                         "<" + off_name.split(".")[-1][0]
                                                         + str(np.dtype(off_name.split(".")[-1]).itemsize)
                                                         ).tolist()}
    t = tmm.load(path)
    sl = t.streamlines
    entry["nb_streamlines"] = len(sl)
    entry["lengths"] = [int(n) for n in sl._lengths]
    entry["positions_dtype"] = sl._data.dtype.name
    entry["points_rasmm"] = seq(sl)
    entry["data_per_vertex"] = {k: seq(v) for k, v in t.data_per_vertex.items()}
    entry["data_per_vertex_dtype"] = {k: v._data.dtype.name for k, v in t.data_per_vertex.items()}
    entry["data_per_streamline"] = {k: r5(v) for k, v in t.data_per_streamline.items()}
    entry["data_per_streamline_dtype"] = {k: v.dtype.name for k, v in t.data_per_streamline.items()}
    entry["groups"] = {k: np.asarray(v).tolist() for k, v in t.groups.items()}
    entry["data_per_group"] = {g: {k: r5(v) for k, v in d.items()}
                               for g, d in t.data_per_group.items()}
    t.close()
    return entry


expected = {
    "generator": {
        "script": "tests/data/make_tracts.py",
        "nibabel": nib.__version__,
        "trx-python": trx.__version__ if hasattr(trx, "__version__") else "unknown",
        "numpy": np.__version__,
        "note": "points_rasmm are nibabel.streamlines.load(f).streamlines (TCK, TRK) or "
                "trx.trx_file_memmap.load(f).streamlines (TRX), rounded to 5 decimals",
    },
    "files": {},
}
files = expected["files"]
for name in ["small.tck", "small_be.tck", "mrtrix_style.tck", "small.trk", "small_las.trk"]:
    files[name] = nib_entry(os.path.join(OUT, name))
for name in ["small_f64le.tck", "small_f64be.tck"]:
    e = nib_entry(os.path.join(OUT, name))
    assert "error" in e, "nibabel was expected to refuse Float64 TCK"
    e["note"] = ("nibabel refuses Float64 TCK files (MRtrix3 reads them); nb_streamlines, "
                 "lengths and points_rasmm are the values this script wrote")
    e["nb_streamlines"] = len(tck_streamlines)
    e["lengths"] = TCK_LENGTHS
    e["points_rasmm"] = seq(tck_streamlines)
    files[name] = e
for name in ["small.trx", "small32.trx"]:
    files[name] = trx_entry(os.path.join(OUT, name))
for f in NIB_FILES:
    files["nibabel/" + f] = nib_entry(os.path.join(OUT_NIB, f))

# Cross-checks: every file we wrote reads back as the streamlines we put in it.
for name in ["small.tck", "small_be.tck", "mrtrix_style.tck"]:
    got = files[name]["points_rasmm"]
    assert got == seq(tck_streamlines), name
for name, ref_sl in [("small.trk", trk_streamlines), ("small_las.trk", las_streamlines)]:
    for a, b in zip(files[name]["points_rasmm"], ref_sl):
        assert np.allclose(a, b, atol=2e-4), name
for a, b in zip(files["small32.trx"]["points_rasmm"], trx_streamlines):
    assert np.allclose(a, b, atol=1e-5)
for a, b in zip(files["small.trx"]["points_rasmm"], trx_streamlines):
    assert np.allclose(a, b.astype(np.float16).astype(np.float64), rtol=0, atol=6e-6)
assert files["small.trx"]["offsets_file"]["values"][-1] == sum(trx_lengths)
assert len(files["small.trx"]["offsets_file"]["values"]) == len(trx_lengths) + 1


def dump(obj, level=0):
    """JSON with dicts indented and every list of numbers/strings on one line."""
    pad = " " * level
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {dump(v, level + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(x, dict) for x in obj):
        return "[\n" + ",\n".join(pad + " " + json.dumps(x, separators=(",", ":"))
                                   for x in obj) + "\n" + pad + "]"
    return json.dumps(obj, separators=(",", ":"))


with open(os.path.join(OUT, "expected.json"), "w") as f:
    f.write(dump(expected) + "\n")

README = """# Tractography test data

Made by `tests/data/make_tracts.py` (never edited by hand); rerun it to regenerate:

    /tmp/venv/bin/python tests/data/make_tracts.py   # venv with nibabel {nib} and trx-python {trx}

* `small.tck` — written by nibabel {nib}'s `TckFile` (Float32LE).
* `small_be.tck` — the same streamlines, Float32BE (nibabel cannot write big-endian TCK, so the
  script writes nibabel's header layout by hand; nibabel reads it back).
* `mrtrix_style.tck` — the same streamlines in MRtrix3's writer layout (padded magic line,
  repeated keys, `file` before `count`/`total_count`, NUL gap before a 4-byte-aligned data
  offset, negative-NaN separators, a `-inf` terminator); nibabel reads it back.
* `small_f64le.tck`, `small_f64be.tck` — Float64 TCK (MRtrix3 reads these; nibabel refuses them).
* `small.trk`, `small_las.trk` — written by nibabel's `TrkFile` (LPS; LAS header voxel order
  with a rotated, axis-permuted vox_to_ras).
* `small.trx` (float16, stored) and `small32.trx` (float32, uint64 offsets, a group and dpg,
  deflated) — written by trx-python {trx}.
* `nibabel/` — nibabel's own tractography test files, copied unchanged by the script from the
  installed nibabel {nib} wheel (`nibabel/tests/data/`). NiBabel test data, MIT licence,
  © the NiBabel developers (see nibabel's COPYING).
* `expected.json` — what nibabel (`nibabel.streamlines.load`) and trx-python
  (`trx.trx_file_memmap.load`) read from every file above: streamline counts, points per
  streamline, points in RAS+ mm (5 decimals), per-point / per-streamline data, header values,
  warnings, or the error raised.
""".format(nib=nib.__version__, trx=expected["generator"]["trx-python"])
with open(os.path.join(OUT, "README.md"), "w") as f:
    f.write(README)

for root, _, names in sorted(os.walk(OUT)):
    for n in sorted(names):
        p = os.path.join(root, n)
        print(f"{os.path.getsize(p):7d}  {os.path.relpath(p, HERE)}")
