#!/usr/bin/env python3
"""Write the malformed-input corpus: for every reader, files it must refuse.

Usage: python3 tests/corpus/make_corpus.py   (standard library only; rewrites tests/corpus/*/)

Each folder holds files for one reader; the folder name says which (the test
`tests/integration/corpus.rs` maps it to `cortexplorer check --as READER`). Every file is
made from a valid one -- a small file this script writes in the format, or one of the test
files under tests/data -- by one damage: truncation, a flipped magic number, a lying count,
a negative or huge dimension, an index out of range, NaN/Inf where a value must be finite, a
wrong dtype code, a compression bomb, deep nesting, invalid UTF-8. The valid originals are
written too, as `00-valid.*`, and must load: that keeps the damage honest (a file refused
for an unrelated reason would prove nothing).

Deterministic: the same script writes the same bytes (gzip without timestamps).
"""

import gzip
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def gz(b, level=6):
    return gzip.compress(b, compresslevel=level, mtime=0)


def truncations(b, fracs=(0.0, 0.02, 0.1, 0.35, 0.5, 0.75, 0.97)):
    """Cuts at several offsets, never the whole file."""
    seen = set()
    for f in fracs:
        n = min(int(len(b) * f), len(b) - 1)
        if n not in seen:
            seen.add(n)
            yield n, b[:n]


class Folder:
    def __init__(self, name):
        self.dir = os.path.join(HERE, name)
        os.makedirs(self.dir, exist_ok=True)
        # minimised fuzzer findings (`fz-*`, committed by fuzz/run.sh) stay
        for f in os.listdir(self.dir):
            if not f.startswith("fz-"):
                os.remove(os.path.join(self.dir, f))
        self.n = 0

    def valid(self, fname, data):
        self._write("00-valid" + fname, data)

    def bad(self, desc, fname, data):
        self.n += 1
        self._write("%02d-%s%s" % (self.n, desc, fname), data)

    def _write(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- small valid geometry
ICO_V = [
    (-1, 1.618, 0), (1, 1.618, 0), (-1, -1.618, 0), (1, -1.618, 0),
    (0, -1, 1.618), (0, 1, 1.618), (0, -1, -1.618), (0, 1, -1.618),
    (1.618, 0, -1), (1.618, 0, 1), (-1.618, 0, -1), (-1.618, 0, 1),
]
ICO_F = [
    (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
    (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
    (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
]
NV = len(ICO_V)


def fs_surface(verts=ICO_V, faces=ICO_F, nv=None, nf=None, magic=b"\xff\xff\xfe"):
    out = magic + b"created by make_corpus.py\n\n"
    out += struct.pack(">ii", len(verts) if nv is None else nv, len(faces) if nf is None else nf)
    for v in verts:
        out += struct.pack(">3f", *v)
    for f in faces:
        out += struct.pack(">3i", *f)
    return out


def surfaces():
    d = Folder("freesurfer-surface")
    ok = fs_surface()
    d.valid(".lh.white", ok)
    for n, b in truncations(ok):
        d.bad("cut%d" % n, ".lh.white", b)
    d.bad("magic", ".lh.white", b"\x00" + ok[1:])
    d.bad("vertex-count-huge", ".lh.white", fs_surface(nv=100_000_000))
    d.bad("vertex-count-negative", ".lh.white", fs_surface(nv=-5))
    d.bad("face-count-huge", ".lh.white", fs_surface(nf=2_000_000_000))
    d.bad("face-count-negative", ".lh.white", fs_surface(nf=-1))
    d.bad("face-index-out-of-range", ".lh.white", fs_surface(faces=ICO_F[:-1] + [(0, 1, 99)]))
    d.bad("face-index-negative", ".lh.white", fs_surface(faces=[(-3, 1, 2)] + ICO_F[1:]))
    d.bad("nan-coordinate", ".lh.white", fs_surface(verts=[(float("nan"), 0, 0)] + ICO_V[1:]))
    d.bad("inf-coordinate", ".lh.white", fs_surface(verts=ICO_V[:-1] + [(0, float("inf"), 0)]))
    # the "created by" line never ends: the reader must not scan forever or allocate for it
    d.bad("no-header-end", ".lh.white", b"\xff\xff\xfe" + b"x" * 100_000)
    d.bad("gzip-garbage", ".lh.white", gz(b"\x13" * 5000))
    d.bad("empty", ".lh.white", b"")


def curv_file(vals, nv=None, nf=20, per=1):
    out = b"\xff\xff\xff" + struct.pack(">iii", len(vals) if nv is None else nv, nf, per)
    return out + struct.pack(">%df" % len(vals), *vals)


def curvs():
    d = Folder("freesurfer-curv")
    vals = [0.1 * i for i in range(NV)]
    ok = curv_file(vals)
    d.valid(".lh.thickness", ok)
    for n, b in truncations(ok, (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99)):
        d.bad("cut%d" % n, ".lh.thickness", b)
    d.bad("vertex-count-huge", ".lh.thickness", curv_file(vals, nv=500_000_000))
    d.bad("vertex-count-negative", ".lh.thickness", curv_file(vals, nv=-12))
    d.bad("values-per-vertex-3", ".lh.thickness", curv_file(vals, per=3))
    d.bad("values-per-vertex-0", ".lh.thickness", curv_file(vals, per=0))
    d.bad("vertex-count-one-short", ".lh.thickness", curv_file(vals, nv=NV + 1))
    d.bad("old-format-cut", ".lh.curv", struct.pack(">i", 5000)[1:] + b"\x00" * 10)
    d.bad("old-format-huge", ".lh.curv", struct.pack(">i", 0x00FFFFFF)[1:] + b"\x00\x00\x10" + b"\x00" * 64)
    d.bad("empty", ".lh.thickness", b"")


def annot_file(labels, nv=None, ctab=True, names=None, entries=None, max_name=None):
    out = struct.pack(">i", len(labels) if nv is None else nv)
    for v, l in labels:
        out += struct.pack(">ii", v, l)
    if not ctab:
        return out
    names = names or ["unknown", "cortex"]
    rgb = [(25, 5, 25), (220, 20, 10)]
    out += struct.pack(">i", 1)  # ctab present
    out += struct.pack(">i", -2)  # new format
    out += struct.pack(">i", len(names) if max_name is None else max_name)
    fname = b"colortable.txt"
    out += struct.pack(">i", len(fname) + 1) + fname + b"\x00"
    out += struct.pack(">i", len(names) if entries is None else entries)
    for i, n in enumerate(names):
        nb = n.encode() if isinstance(n, str) else n
        out += struct.pack(">i", i) + struct.pack(">i", len(nb) + 1) + nb + b"\x00"
        r, g, b = rgb[i % 2]
        out += struct.pack(">iiii", r, g, b, 0)
    return out


def annots():
    d = Folder("freesurfer-annot")
    code = lambda r, g, b: r + g * 256 + b * 65536
    labels = [(v, code(220, 20, 10) if v % 2 else code(25, 5, 25)) for v in range(NV)]
    ok = annot_file(labels)
    d.valid(".lh.aparc.annot", ok)
    for n, b in truncations(ok, (0.0, 0.05, 0.3, 0.6, 0.8, 0.95)):
        d.bad("cut%d" % n, ".lh.aparc.annot", b)
    d.bad("vertex-count-huge", ".lh.aparc.annot", annot_file(labels, nv=400_000_000))
    d.bad("vertex-count-negative", ".lh.aparc.annot", annot_file(labels, nv=-7))
    d.bad("vertex-index-out-of-range", ".lh.aparc.annot", annot_file(labels[:-1] + [(5000, labels[-1][1])]))
    d.bad("vertex-index-negative", ".lh.aparc.annot", annot_file([(-1, labels[0][1])] + labels[1:]))
    d.bad("ctab-entries-huge", ".lh.aparc.annot", annot_file(labels, entries=300_000_000))
    d.bad("ctab-entries-negative", ".lh.aparc.annot", annot_file(labels, entries=-4))
    big = annot_file(labels)
    at = big.index(b"colortable.txt") - 4
    d.bad("ctab-name-length-huge", ".lh.aparc.annot", big[:at] + struct.pack(">i", 1 << 30) + big[at + 4:])
    d.bad("ctab-name-length-negative", ".lh.aparc.annot", big[:at] + struct.pack(">i", -9) + big[at + 4:])
    d.bad("empty", ".lh.aparc.annot", b"")


def labels():
    d = Folder("freesurfer-label")
    rows = "".join("%d %.3f %.3f %.3f 0.0\n" % (i, *ICO_V[i]) for i in range(6))
    d.valid(".lh.V1.label", "#!ascii label\n6\n" + rows)
    d.bad("count-huge", ".lh.V1.label", "#!ascii label\n5000000\n" + rows)
    d.bad("count-negative", ".lh.V1.label", "#!ascii label\n-6\n" + rows)
    d.bad("count-not-a-number", ".lh.V1.label", "#!ascii label\nsix\n" + rows)
    d.bad("fewer-rows", ".lh.V1.label", "#!ascii label\n7\n" + rows)
    d.bad("short-row", ".lh.V1.label", "#!ascii label\n6\n" + rows.replace(" 0.0\n", "\n", 1))
    d.bad("vertex-negative", ".lh.V1.label", "#!ascii label\n6\n-4 0 0 0 0\n" + rows.split("\n", 1)[1])
    d.bad("vertex-not-integer", ".lh.V1.label", "#!ascii label\n6\n1.5 0 0 0 0\n" + rows.split("\n", 1)[1])
    d.bad("vertex-huge", ".lh.V1.label", "#!ascii label\n6\n99999999999999999999 0 0 0 0\n" + rows.split("\n", 1)[1])
    d.bad("vertex-overflow", ".lh.V1.label", "#!ascii label\n6\n4294967296 0 0 0 0\n" + rows.split("\n", 1)[1])
    d.bad("text-coordinate", ".lh.V1.label", "#!ascii label\n6\n0 x 0 0 0\n" + rows.split("\n", 1)[1])
    d.bad("empty", ".lh.V1.label", "")
    d.bad("header-only", ".lh.V1.label", "#!ascii label\n")
    d.bad("invalid-utf8", ".lh.V1.label", b"#!ascii label\n6\n\xff\xfe 0 0 0 0\n" + rows.split("\n", 1)[1].encode())
    d.bad("binary", ".lh.V1.label", bytes(range(256)) * 4)
    d.bad("nul-bytes", ".lh.V1.label", "#!ascii label\n1\n3\x000 0 0 0\n")


# ---------------------------------------------------------------- MGH / MGZ
def mgh_header(dims=(4, 3, 2, 1), dtype=3, goodras=1):
    h = struct.pack(">i", 1) + struct.pack(">4i", *dims) + struct.pack(">ii", dtype, 0)
    h += struct.pack(">h", goodras) + struct.pack(">3f", 1, 1, 1)
    h += struct.pack(">9f", -1, 0, 0, 0, 0, -1, 0, 1, 0) + struct.pack(">3f", 0, 0, 0)
    return h + b"\x00" * (284 - len(h))


def mgh_file(dims=(4, 3, 2, 1), dtype=3, n=None, fill=1.0):
    count = dims[0] * dims[1] * dims[2] * dims[3] if n is None else n
    body = struct.pack(">%df" % count, *([fill] * count)) if dtype == 3 else b"\x01" * count
    return mgh_header(dims, dtype) + body


def mghs():
    d = Folder("mgh")
    ok = mgh_file()
    d.valid(".mgh", ok)
    d.valid(".mgz", gz(ok))
    for n, b in truncations(ok, (0.0, 0.01, 0.5, 0.9, 0.99)):
        d.bad("cut%d" % n, ".mgh", b)
    real = gzip.decompress(open(os.path.join(DATA, "nibabel", "test.mgz"), "rb").read())
    d.bad("version-7", ".mgz", gz(struct.pack(">i", 7) + real[4:]))
    d.bad("dims-larger-than-file", ".mgh", mgh_header((2000, 2000, 1, 1)) + b"\x00" * 64)
    d.bad("dims-negative", ".mgh", mgh_file((4, -3, 2, 1), n=24))
    d.bad("dims-zero", ".mgh", mgh_file((4, 0, 2, 1), n=0))
    d.bad("dims-overflow", ".mgh", mgh_header((2**31 - 1, 2**31 - 1, 2**31 - 1, 2**31 - 1)))
    d.bad("dtype-code-unknown", ".mgh", mgh_file(dtype=9, n=24 * 4))
    # header declares 8 GiB of voxels; the gzip stream is short
    d.bad("bomb-declared-8GiB", ".mgz", gz(mgh_header((2048, 2048, 512, 1))))
    # a real bomb: 1 voxel declared, 64 MiB of zeros follow inside the gzip stream
    d.valid("-bomb-trailing-64MiB.mgz", gz(mgh_file((1, 1, 1, 1)) + b"\x00" * (64 << 20), 9))
    d.bad("bomb-lying-dims", ".mgz", gz(mgh_header((256, 256, 256, 1)) + b"\x00" * (1 << 20), 9))
    d.bad("gzip-corrupt", ".mgz", gz(ok)[:-8] + b"\x00" * 8)
    d.bad("gzip-truncated", ".mgz", gz(ok)[: len(gz(ok)) // 2])
    d.bad("empty", ".mgz", b"")


# ---------------------------------------------------------------- NIfTI
def nifti1(dims=(3, 4, 3, 2), datatype=16, bitpix=32, vox_offset=352.0, sizeof_hdr=348,
           magic=b"n+1\x00", data=None, pixdim=(1.0, 1.0, 1.0, 1.0)):
    dim = list(dims) + [1] * (8 - len(dims))
    h = struct.pack("<i", sizeof_hdr) + b"\x00" * 36
    h += struct.pack("<8h", *dim)
    h += struct.pack("<3f", 0, 0, 0)
    h += struct.pack("<hhhh", 0, datatype, bitpix, 0)
    h += struct.pack("<8f", 1.0, *pixdim, 1.0, 1.0, 1.0)[:32]
    h += struct.pack("<f", vox_offset) + struct.pack("<ff", 1.0, 0.0)
    h = h.ljust(252, b"\x00")
    h += struct.pack("<hh", 0, 1)  # qform_code, sform_code
    h += b"\x00" * 24  # quatern b c d, qoffset x y z
    h += struct.pack("<12f", 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)
    h = h.ljust(344, b"\x00") + magic
    h = h.ljust(352, b"\x00")
    if data is None:
        n = 1
        for k in range(1, dims[0] + 1):
            n *= max(dims[k], 0)
        data = struct.pack("<%df" % n, *([0.5] * n))
    return h + data


def niftis():
    d = Folder("nifti")
    ok = nifti1()
    d.valid(".nii", ok)
    d.valid(".nii.gz", gz(ok))
    for n, b in truncations(ok, (0.0, 0.1, 0.5, 0.9, 0.99)):
        d.bad("cut%d" % n, ".nii", b)
    d.bad("sizeof-hdr-wrong", ".nii", nifti1(sizeof_hdr=123))
    d.bad("magic-wrong", ".nii", nifti1(magic=b"xyz\x00"))
    d.bad("dim0-9", ".nii", nifti1(dims=(9, 4, 3, 2, 1, 1, 1, 1), data=b"\x00" * 96))
    d.bad("dim-negative", ".nii", nifti1(dims=(3, 4, -3, 2), data=b"\x00" * 96))
    d.bad("dims-larger-than-file", ".nii", nifti1(dims=(3, 30000, 30000, 2), data=b"\x00" * 96))
    d.bad("datatype-unknown", ".nii", nifti1(datatype=1234))
    d.bad("datatype-zero", ".nii", nifti1(datatype=0))
    d.bad("vox-offset-beyond-file", ".nii", nifti1(vox_offset=1e9))
    d.bad("vox-offset-nan", ".nii", nifti1(vox_offset=float("nan")))
    d.bad("bomb-declared-8GiB", ".nii.gz", gz(nifti1(dims=(3, 2048, 2048, 512), data=b"")))
    d.bad("gzip-truncated", ".nii.gz", gz(ok)[: len(gz(ok)) // 2])
    n2 = gzip.decompress(open(os.path.join(DATA, "nibabel", "example_nifti2.nii.gz"), "rb").read())
    d.bad("nifti2-cut", ".nii", n2[:600])
    bad2 = bytearray(n2)
    struct.pack_into("<q", bad2, 16 + 8, 1 << 40)  # dim[1]
    d.bad("nifti2-dim-huge", ".nii", bytes(bad2[:2000]))
    d.bad("empty", ".nii", b"")


# ---------------------------------------------------------------- GIFTI
def gifti_doc(arrays_xml, version="1.0"):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<GIFTI Version="%s" NumberOfDataArrays="%d">\n'
            '<MetaData/>\n<LabelTable/>\n%s</GIFTI>\n' % (version, arrays_xml.count("<DataArray"), arrays_xml))


def gifti_array(intent, dtype, dims, data, encoding="ASCII", extra=""):
    dim_attrs = " ".join('Dim%d="%d"' % (i, v) for i, v in enumerate(dims))
    return ('<DataArray Intent="%s" DataType="%s" ArrayIndexingOrder="RowMajorOrder" '
            'Dimensionality="%d" %s Encoding="%s" Endian="LittleEndian" ExternalFileName="" '
            'ExternalFileOffset=""%s>\n<MetaData/>\n<Data>%s</Data>\n</DataArray>\n'
            % (intent, dtype, len(dims), dim_attrs, encoding, extra, data))


def giftis():
    import base64
    d = Folder("gifti")
    pts = " ".join("%g %g %g" % v for v in ICO_V)
    tri = " ".join("%d %d %d" % f for f in ICO_F)
    surf = lambda tri=tri, pts=pts, nv=NV, nf=len(ICO_F): gifti_doc(
        gifti_array("NIFTI_INTENT_POINTSET", "NIFTI_TYPE_FLOAT32", (nv, 3), pts)
        + gifti_array("NIFTI_INTENT_TRIANGLE", "NIFTI_TYPE_INT32", (nf, 3), tri))
    ok = surf()
    d.valid(".lh.surf.gii", ok)
    for n, b in truncations(ok.encode(), (0.0, 0.2, 0.5, 0.8, 0.98)):
        d.bad("cut%d" % n, ".lh.surf.gii", b)
    d.bad("not-gifti", ".gii", "<html><body/></html>")
    d.bad("face-index-out-of-range", ".lh.surf.gii", surf(tri=tri.replace("9 8 1", "9 8 77")))
    d.bad("dims-lie", ".lh.surf.gii", surf(nv=100_000_000))
    d.bad("dims-negative", ".lh.surf.gii", surf(nv=-12))
    d.bad("nan-coordinate", ".lh.surf.gii", surf(pts="NaN " + pts.split(" ", 1)[1]))
    d.bad("text-in-data", ".lh.surf.gii", surf(pts="abc " + pts.split(" ", 1)[1]))
    raw = struct.pack("<%df" % NV, *range(NV))
    b64 = base64.b64encode(raw).decode()
    func = lambda data, enc="Base64Binary", dtype="NIFTI_TYPE_FLOAT32", dims=(NV,): gifti_doc(
        gifti_array("NIFTI_INTENT_NONE", dtype, dims, data, enc))
    d.bad("base64-invalid", ".func.gii", func("!!!" + b64[3:]))
    d.bad("base64-short", ".func.gii", func(b64[:8]))
    d.bad("encoding-unknown", ".func.gii", func(b64, "Morse"))
    d.bad("datatype-unknown", ".func.gii", func(b64, dtype="NIFTI_TYPE_COMPLEX256"))
    # zlib bomb inside a GZipBase64Binary array: 12 values declared, 64 MiB inflated
    bomb = base64.b64encode(zlib.compress(b"\x00" * (64 << 20), 9)).decode()
    d.bad("zlib-bomb-in-array", ".func.gii", func(bomb, "GZipBase64Binary"))
    # gzip bomb around the XML: 100 MiB of whitespace after the root element
    d.bad("gzip-bomb", ".func.gii.gz", gz(func(b64).encode().replace(b"</GIFTI>", b" " * (100 << 20) + b"</GIFTI>"), 9))
    d.bad("deep-nesting", ".func.gii", func(b64).replace("<MetaData/>", "<a>" * 20_000 + "</a>" * 20_000, 1))
    d.bad("huge-attribute", ".func.gii", func(b64).replace('Dim0="12"', 'Dim0="%s"' % ("9" * (1 << 16))))
    d.bad("invalid-utf8", ".func.gii", func(b64).encode().replace(b"<MetaData/>", b"<MetaData>\xff\xfe</MetaData>", 1))
    d.bad("external-file-missing", ".func.gii", func("").replace('ExternalFileName=""', 'ExternalFileName="nowhere.dat"').replace('Encoding="Base64Binary"', 'Encoding="ExternalFileBinary"').replace('ExternalFileOffset=""', 'ExternalFileOffset="0"'))
    d.bad("external-file-escapes", ".func.gii", func("").replace('ExternalFileName=""', 'ExternalFileName="/dev/zero"').replace('Encoding="Base64Binary"', 'Encoding="ExternalFileBinary"').replace('ExternalFileOffset=""', 'ExternalFileOffset="0"').replace('Dim0="12"', 'Dim0="1000000000"'))
    d.bad("empty", ".gii", b"")


# ---------------------------------------------------------------- NumPy
def npy(shape, descr="<f4", fortran=False, data=None, magic=b"\x93NUMPY", version=(1, 0), header=None):
    if header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", repr(tuple(shape)))
    hb = header.encode("latin1")
    pad = 64 - (10 + len(hb) + 1) % 64
    hb = hb + b" " * pad + b"\n"
    if data is None:
        n = 1
        for s in shape:
            n *= max(s, 0)
        data = struct.pack("<%df" % n, *([0.25] * n))
    return magic + bytes(version) + struct.pack("<H", len(hb)) + hb + data


def npys():
    d = Folder("npy")
    ok = npy((NV, 3))
    d.valid(".npy", ok)
    d.valid("-weights.npy", npy((2, 4, 5)))
    for n, b in truncations(ok, (0.0, 0.05, 0.5, 0.7, 0.99)):
        d.bad("cut%d" % n, ".npy", b)
    d.bad("magic", ".npy", b"\x93NUMPZ" + ok[6:])
    d.bad("version-9", ".npy", npy((NV,), version=(9, 0)))
    d.bad("header-length-beyond-file", ".npy", ok[:8] + struct.pack("<H", 60000) + ok[10:])
    d.bad("header-not-a-dict", ".npy", npy((NV,), header="[1, 2, 3]"))
    d.bad("header-huge-nesting", ".npy", npy((NV,), header="{'descr': " + "[" * 5000 + "]" * 5000 + "}"))
    d.bad("dtype-complex", ".npy", npy((NV,), descr="<c16"))
    d.bad("dtype-object", ".npy", npy((NV,), descr="|O"))
    d.bad("dtype-unknown", ".npy", npy((NV,), descr="<q9"))
    d.bad("shape-negative", ".npy", npy((-5, 3), data=b"\x00" * 60))
    d.bad("shape-huge", ".npy", npy((1 << 40, 1 << 20), data=b"\x00" * 64))
    d.bad("shape-overflow", ".npy", npy((1 << 62, 1 << 62, 16), data=b"\x00" * 64))
    d.bad("shape-7d", ".npy", npy((1, 1, 1, 1, 1, 1, 12)))
    d.bad("shape-empty", ".npy", npy((), data=struct.pack("<f", 1)))
    d.bad("data-short", ".npy", npy((NV, 3), data=b"\x00" * 10))
    d.bad("weights-nan", "-weights.npy", npy((2, 4, 5), data=struct.pack("<40f", *([float("nan")] + [0.1] * 39))))
    d.bad("matrix-not-square", "-matrix.npy", npy((5, 4)))
    d.bad("matrix-nan", "-matrix.npy", npy((3, 3), data=struct.pack("<9f", 1, 0, float("nan"), 0, 1, 0, 0, 0, 1)))
    d.bad("empty", ".npy", b"")


# ---------------------------------------------------------------- text tables
def tables():
    d = Folder("table")
    rows = "\n".join("%d,%g,%g" % (i, i * 0.5, -i) for i in range(NV)) + "\n"
    d.valid(".lh.series.csv", "a,b,c\n" + rows)
    d.bad("ragged-row", ".lh.series.csv", "a,b,c\n" + rows.replace("3,1.5,-3", "3,1.5", 1))
    d.bad("text-cell", ".lh.series.csv", "a,b,c\n" + rows.replace("3,1.5,-3", "3,one,-3", 1))
    d.bad("header-only", ".lh.series.csv", "a,b,c\n")
    d.bad("empty", ".lh.series.csv", "")
    d.bad("invalid-utf8", ".lh.series.csv", b"a,b,c\n" + rows.encode().replace(b"1.5", b"\xff\xfe", 1))
    d.bad("one-huge-line", ".lh.series.csv", "1," * (1 << 16) + "x\n")
    d.bad("binary", ".lh.series.csv", bytes(range(1, 256)) * 64)
    d.bad("header-in-the-middle", ".lh.series.tsv", "1\t2\na\tb\n3\t4\n")
    d.bad("ragged-tsv", ".lh.series.tsv", "1\t2\t3\n4\t5\n")
    d.bad("quote-unclosed", ".lh.series.csv", 'a,b\n"1,2\n3,4\n')
    d.bad("nul-bytes", ".lh.series.csv", "a,b\n1,\x002\n")
    d.bad("gzip-garbage", ".lh.series.csv", gz(b"\xff" * 1000))
    d.bad("only-blank-lines", ".lh.series.csv", "\n\n\n   \n")
    d.bad("more-cells-than-header", ".lh.series.csv", "a,b\n1,2,3\n")
    d.bad("hex-cell", ".lh.series.csv", "1,2\n0x10,4\n")

    c = Folder("captions")
    cap = "vertex\tcaption\tscore\n" + "".join("%d\tface of a person %d\t0.%d\n" % (i, i, i) for i in range(6))
    c.valid(".lh.captions.tsv", cap)
    c.bad("vertex-negative", ".lh.captions.tsv", cap.replace("\n3\t", "\n-3\t", 1))
    c.bad("vertex-text", ".lh.captions.tsv", cap.replace("\n3\t", "\nthree\t", 1))
    c.bad("vertex-fraction", ".lh.captions.tsv", cap.replace("\n3\t", "\n3.5\t", 1))
    c.bad("vertex-huge", ".lh.captions.tsv", cap.replace("\n3\t", "\n99999999999999999999999\t", 1))
    c.bad("caption-empty", ".lh.captions.tsv", cap.replace("face of a person 2", "", 1))
    c.bad("score-text", ".lh.captions.tsv", cap.replace("0.4", "high", 1))
    c.bad("score-nan", ".lh.captions.tsv", cap.replace("0.4", "nan", 1))
    c.bad("score-inf", ".lh.captions.tsv", cap.replace("0.4", "-inf", 1))
    c.bad("header-only", ".lh.captions.tsv", "vertex\tcaption\n")
    c.bad("hemi-unknown", ".captions.tsv", "vertex\tcaption\themi\n1\tface\tmiddle\n")
    c.bad("voxel-missing-k", ".captions.tsv", "i\tj\tcaption\n1\t2\tface\n")
    c.bad("voxel-negative", ".captions.tsv", "i\tj\tk\tcaption\n1\t-2\t3\tface\n")
    c.bad("invalid-utf8", ".lh.captions.tsv", cap.encode().replace(b"face", b"\xff\xfe", 1))
    c.bad("vertex-empty", ".lh.captions.tsv", cap.replace("\n3\t", "\n\t", 1))
    c.bad("csv-ragged", ".lh.captions.csv", "vertex,caption\n1,face,extra\n2\n")


def routing_text():
    d = Folder("nodes")
    node = "".join("%g %g %g 1 1 R%d\n" % (ICO_V[i][0] * 30, ICO_V[i][1] * 30, ICO_V[i][2] * 30, i) for i in range(NV))
    d.valid("-regions.node", node)
    d.bad("too-few-columns", "-regions.node", node.replace(" 1 1 R3", "", 1).replace("\n", "\n1 2\n", 1))
    d.bad("text-coordinate", "-regions.node", "x 2 3 1 1 A\n")
    d.bad("nan-coordinate", "-regions.node", "nan 2 3 1 1 A\n")
    d.bad("inf-coordinate", "-regions.node", "1 inf 3 1 1 A\n")
    d.bad("huge-coordinate", "-regions.node", "1 1e999 3 1 1 A\n")
    d.bad("empty", "-regions.node", "")
    d.bad("comments-only", "-regions.node", "# nothing\n# here\n")
    d.bad("invalid-utf8", "-regions.node", b"\xff\xfe 2 3 1 1 A\n")
    d.bad("binary", "-regions.node", bytes(range(1, 256)) * 16)
    d.bad("centres-short-row", "_centres.txt", "A 1 2\n")
    d.bad("centres-text", "_centres.txt", "A 1 two 3\n")
    d.bad("centres-nan", "_centres.txt", "A 1 2 NaN\n")
    d.bad("centres-empty", "_centres.txt", "\n")
    d.bad("one-value", "-regions.node", "7\n")
    d.bad("two-values", "-regions.node", "7 8\n")

    m = Folder("matrix")
    mat = "".join(" ".join("%g" % (0.1 * ((i * 7 + j) % 5)) for j in range(4)) + "\n" for i in range(4))
    m.valid("_weights.txt", mat)
    m.bad("not-square", "_weights.txt", mat.rsplit("\n", 2)[0] + "\n")
    m.bad("ragged", "_weights.txt", mat.replace("\n", " 1\n", 1))
    m.bad("nan", "_weights.txt", mat.replace("0.2", "nan", 1))
    m.bad("inf", "_weights.txt", mat.replace("0.2", "inf", 1))
    m.bad("text", "_weights.txt", mat.replace("0.2", "x0.2", 1))
    m.bad("huge-number", "_weights.txt", mat.replace("0.2", "1e999", 1))
    m.bad("one-row", "_weights.txt", "1 2 3\n")
    m.bad("npy-nan", "-connectivity.npy", npy((2, 2), data=struct.pack("<4f", 1, float("nan"), 0, 1)))
    m.bad("npy-series-short", "-connectivity.npy", npy((2, 3, 3), data=b"\x00" * 40))
    m.bad("npy-series-not-square", "-connectivity.npy", npy((3, 4, 5)))
    m.bad("npy-series-inf", "-connectivity.npy", npy((1, 2, 2), data=struct.pack("<4f", 1, float("inf"), 0, 1)))
    m.bad("npy-4d", "-connectivity.npy", npy((1, 1, 2, 2)))
    m.bad("invalid-utf8", "_weights.txt", mat.encode().replace(b"0.2", b"\xff\xfe", 1))
    m.bad("negative-size", "-connectivity.npy", npy((-2, 2), data=b""))
    m.bad("trailing-text", "_weights.txt", mat + "end\n")


# ---------------------------------------------------------------- vessels
def vessel_csv(nodes, edges):
    nh = "id;pos_x;pos_y;pos_z;degree;isAtSampleBorder\n"
    eh = "id;node1id;node2id;length;distance;curveness;volume;avgCrossSection;minRadiusAvg;minRadiusStd;avgRadiusAvg;avgRadiusStd;maxRadiusAvg;maxRadiusStd;roundnessAvg;roundnessStd;node1_degree;node2_degree;num_voxels;hasNodeAtSampleBorder\n"
    return nh + nodes, eh + edges


def vessels():
    d = Folder("vesselgraph")
    nodes = "".join("%d;%g;%g;%g;2;0\n" % (i, *ICO_V[i]) for i in range(6))
    edge = lambda i, a, b, r="1.5": "%d;%d;%d;2.0;1.9;1.05;10;3;1.0;0.1;%s;0.1;2.0;0.1;0.9;0.05;2;2;12;0\n" % (i, a, b, r)
    edges = "".join(edge(i, i, i + 1) for i in range(5))

    def pair(desc, n, e, valid=False):
        nh, eh = vessel_csv(n, e)
        if valid:
            d.valid("_nodes.csv", nh)
            d.valid("_edges.csv", eh)
            return
        d.n += 1
        stem = "%02d-%s" % (d.n, desc)
        d._write(stem + "_nodes.csv", nh)
        d._write(stem + "_edges.csv", eh)

    pair("", nodes, edges, valid=True)
    pair("edge-node-out-of-range", nodes, edges + edge(5, 2, 600))
    pair("edge-node-negative", nodes, edges + edge(5, -1, 2))
    pair("node-id-duplicate", nodes + "3;0;0;0;2;0\n", edges)
    pair("nan-position", nodes.replace("1;1;1.618;0;", "1;nan;1.618;0;", 1), edges)
    pair("radius-negative", nodes, edges.replace(";1.5;", ";-1.5;", 1))
    pair("radius-nan", nodes, edges.replace(";1.5;", ";nan;", 1))
    pair("radius-inf", nodes, edges.replace(";1.5;", ";inf;", 1))
    pair("text-in-number", nodes.replace(";2;0\n", ";two;0\n", 1), edges)
    pair("short-row", nodes, edges + "5;1;2\n")
    pair("long-row", nodes, edges.replace(";12;0\n", ";12;0;9;9\n", 1))
    pair("no-rows", "", "")
    pair("unterminated-huge-line", nodes, "9" * (1 << 16))
    pair("invalid-utf8", nodes.replace("4;", "\xff;", 1), edges)
    # the header lacks a required column
    nh, eh = vessel_csv(nodes, edges)
    d.n += 1
    d._write("%02d-missing-column_nodes.csv" % d.n, nh.replace("pos_z", "pos_q", 1))
    d._write("%02d-missing-column_edges.csv" % d.n, eh)
    d.n += 1
    d._write("%02d-edges-file-missing_nodes.csv" % d.n, nh)
    d.n += 1
    d._write("%02d-gzip-bomb_nodes.csv" % d.n, gz(nh.encode() + b"\n" * (300 << 20), 9))
    d._write("%02d-gzip-bomb_edges.csv" % d.n, eh)

    v = Folder("voreen")
    graph = {"graph": {
        "nodes": [{"id": i, "edges": [], "pos": list(ICO_V[i]), "voxels_": [], "radius": 1.0, "isAtSampleBorder": 0} for i in range(4)],
        "edges": [{"id": i, "node1": i, "node2": i + 1, "distance": 2.0,
                   "skeletonVoxels": [{"pos": [0.5, 0.5, 0.5], "minDistToSurface": 1.0, "maxDistToSurface": 1.2,
                                       "avgDistToSurface": 1.1, "numSurfaceVoxels": 4, "volume": 3.0, "nearOtherEdge": False}]}
                  for i in range(3)],
        "bounds": {"First": [0, 0, 0], "Second": [10, 10, 10]}}}
    ok = json.dumps(graph)
    v.valid(".vvg", ok)
    v.valid(".vvg.gz", gz(ok.encode()))
    for n, b in truncations(ok.encode(), (0.0, 0.1, 0.5, 0.9, 0.995)):
        v.bad("cut%d" % n, ".vvg", b)
    def mutate(f):
        g = json.loads(ok)
        f(g["graph"])
        return json.dumps(g)
    v.bad("edge-node-out-of-range", ".vvg", mutate(lambda g: g["edges"][0].update(node2=99)))
    v.bad("edge-node-negative", ".vvg", mutate(lambda g: g["edges"][0].update(node1=-1)))
    v.bad("node-id-duplicate", ".vvg", mutate(lambda g: g["nodes"].append(dict(g["nodes"][0]))))
    v.bad("pos-two-values", ".vvg", mutate(lambda g: g["nodes"][1].update(pos=[1, 2])))
    v.bad("pos-text", ".vvg", mutate(lambda g: g["nodes"][1].update(pos=["a", 2, 3])))
    v.bad("pos-nan", ".vvg", ok.replace("[1, 1.618, 0]", "[NaN, 1.618, 0]", 1))
    v.bad("no-graph", ".vvg", '{"nodes": []}')
    v.bad("deep-nesting", ".vvg", "[" * 20_000 + "]" * 20_000)
    v.bad("huge-string", ".vvg", '{"graph": "%s"}' % ("x" * (1 << 16)))
    v.bad("invalid-utf8", ".vvg", ok.encode().replace(b'"bounds"', b'"\xff\xfe"', 1))
    v.bad("gzip-bomb", ".vvg.gz", gz(ok.encode()[:-1] + b" " * (300 << 20) + b"}", 9))
    v.bad("empty", ".vvg", b"")

    t = Folder("vtk")
    pts = "\n".join("%g %g %g" % ICO_V[i] for i in range(6))
    vtk = lambda points=pts, npts=6, lines="2 6\n6 0 1 2 3 4 5\n", header="# vtk DataFile Version 3.0\n", kind="ASCII", extra="": (
        header + "centre lines\n%s\nDATASET POLYDATA\nPOINTS %d float\n%s\nLINES %s%s" % (kind, npts, points, lines, extra))
    ok = vtk(lines="1 7\n6 0 1 2 3 4 5\n", extra="POINT_DATA 6\nSCALARS radius float 1\nLOOKUP_TABLE default\n1 1 1 1 1 1\n")
    t.valid(".vtk", ok)
    for n, b in truncations(ok.encode(), (0.0, 0.1, 0.4, 0.6, 0.8)):
        t.bad("cut%d" % n, ".vtk", b)
    t.bad("not-vtk", ".vtk", "hello\n")
    t.bad("not-polydata", ".vtk", ok.replace("POLYDATA", "STRUCTURED_GRID"))
    t.bad("points-count-huge", ".vtk", vtk(npts=1_000_000_000, lines="1 7\n6 0 1 2 3 4 5\n"))
    t.bad("points-count-negative", ".vtk", vtk(npts=-6, lines="1 7\n6 0 1 2 3 4 5\n"))
    t.bad("lines-count-huge", ".vtk", vtk(lines="100000000 700000000\n6 0 1 2 3 4 5\n"))
    t.bad("line-index-out-of-range", ".vtk", vtk(lines="1 7\n6 0 1 2 3 4 50\n"))
    t.bad("line-index-negative", ".vtk", vtk(lines="1 7\n6 0 1 -2 3 4 5\n"))
    t.bad("line-length-lies", ".vtk", vtk(lines="1 7\n60 0 1 2 3 4 5\n"))
    t.bad("point-nan", ".vtk", vtk(points=pts.replace("-1 1.618 0", "nan 1.618 0", 1), lines="1 7\n6 0 1 2 3 4 5\n"))
    t.bad("point-text", ".vtk", vtk(points=pts.replace("-1 1.618 0", "a b c", 1), lines="1 7\n6 0 1 2 3 4 5\n"))
    t.bad("binary-short", ".vtk", vtk(kind="BINARY", points="\x00" * 10, lines="1 7\n"))
    t.bad("radius-negative", ".vtk", ok.replace("1 1 1 1 1 1", "1 1 -1 1 1 1"))
    t.bad("radius-count-short", ".vtk", ok.replace("1 1 1 1 1 1", "1 1"))
    t.bad("invalid-utf8", ".vtk", ok.encode().replace(b"POINTS", b"\xff\xfeINTS", 1))
    t.bad("empty", ".vtk", b"")

    s = Folder("swc")
    swc = "# id type x y z radius parent\n" + "".join("%d 3 %g %g %g 0.5 %d\n" % (i + 1, *ICO_V[i], i if i else -1) for i in range(6))
    s.valid(".swc", swc)
    s.bad("parent-missing", ".swc", swc + "7 3 0 0 0 0.5 70\n")
    s.bad("id-duplicate", ".swc", swc + "3 3 0 0 0 0.5 1\n")
    s.bad("radius-negative", ".swc", swc.replace(" 0.5 2\n", " -0.5 2\n", 1))
    s.bad("radius-nan", ".swc", swc.replace(" 0.5 2\n", " nan 2\n", 1))
    s.bad("position-inf", ".swc", swc + "7 3 inf 0 0 0.5 1\n")
    s.bad("too-few-fields", ".swc", swc + "7 3 0 0\n")
    s.bad("text-field", ".swc", swc + "7 3 x 0 0 0.5 1\n")
    s.bad("id-huge", ".swc", swc + "99999999999999999999999 3 0 0 0 0.5 1\n")
    s.bad("id-negative", ".swc", swc + "-7 3 0 0 0 0.5 1\n")
    s.bad("parent-fraction", ".swc", swc + "7 3 0 0 0 0.5 1.5\n")
    s.bad("comments-only", ".swc", "# nothing\n")
    s.bad("empty", ".swc", b"")
    s.bad("invalid-utf8", ".swc", swc.encode() + b"7 3 \xff 0 0 0.5 1\n")
    s.bad("binary", ".swc", bytes(range(1, 256)) * 16)
    s.bad("self-parent", ".swc", swc + "7 3 0 0 0 0.5 7\n")


# ---------------------------------------------------------------- app files
def deep_json(n=20_000):
    return "[" * n + "]" * n


def app_files():
    s = Folder("session")
    session = {"format": "cortexplorer-session", "version": 1, "written_by": "make_corpus.py",
               "inputs": [{"kind": "embedded", "name": "fsaverage5"}],
               "view": {"surface": "pial", "inflate": 0.0, "underlay": None, "curvature_contrast": 1.0, "show": {}},
               "layers": []}
    ok = json.dumps(session, indent=1)
    s.valid(".json", ok)
    for n, b in truncations(ok.encode(), (0.0, 0.1, 0.5, 0.9)):
        s.bad("cut%d" % n, ".json", b)
    def mut(**kw):
        x = dict(session)
        x.update(kw)
        return json.dumps(x)
    s.bad("version-99", ".json", mut(version=99))
    s.bad("version-text", ".json", mut(version="one"))
    s.bad("format-other", ".json", mut(format="cortexplorer-sessions"))
    s.bad("inputs-not-a-list", ".json", mut(inputs={"a": 1}))
    s.bad("input-kind-unknown", ".json", mut(inputs=[{"kind": "telepathy"}]))
    s.bad("camera-nan", ".json", mut(camera={"focus": [0, 0, 0], "yaw": 1e999, "pitch": 0, "radius": 300}))
    s.bad("camera-radius-negative", ".json", mut(camera={"focus": [0, 0, 0], "yaw": 0, "pitch": 0, "radius": -3}))
    s.bad("bookmark-slot-12", ".json", mut(bookmarks={"12": {"focus": [0, 0, 0], "yaw": 0, "pitch": 0, "radius": 300}}))
    s.bad("tour-time-negative", ".json", mut(tours=[{"name": "t", "keyframes": [{"at_s": -1, "camera": {"focus": [0, 0, 0], "yaw": 0, "pitch": 0, "radius": 300}}]}]))
    s.bad("blob-escapes-folder", ".json", mut(simulation={"model": "wave", "state": "../../../etc/passwd"}))
    s.bad("deep-nesting", ".json", '{"format": "cortexplorer-session", "version": 1, "x": %s}' % deep_json())
    s.bad("enormous-string", ".json", mut(inputs=[0] * 60_000))
    s.bad("invalid-utf8", ".json", ok.encode().replace(b"make_corpus.py", b"\xff\xfe", 1))
    s.bad("not-json", ".json", "cortexplorer-session but not json")

    p = Folder("plan")
    plan = {"format": "cortexplorer-plan/1"}
    p.bad("no-config", ".json", json.dumps(plan))
    p.bad("format-other", ".json", json.dumps({"format": "cortexplorer-plan/7"}))
    p.bad("not-json", ".json", "cortexplorer-plan")
    p.bad("deep-nesting", ".json", '{"format": "cortexplorer-plan/1", "x": %s}' % deep_json())
    p.bad("enormous-string", ".json", json.dumps({"format": "cortexplorer-plan/1", "x": "y" * (1 << 16)}))
    p.bad("invalid-utf8", ".json", b'{"format": "cortexplorer-plan/1", "\xff": 1}')
    p.bad("number-overflow", ".json", '{"format": "cortexplorer-plan/1", "layout": {"placements": [{"u": 1e999}]}}')
    p.bad("wrong-types", ".json", '{"format": "cortexplorer-plan/1", "config": [], "layout": "x", "electrodes": 3}')
    p.bad("empty", ".json", "")
    p.bad("array", ".json", "[]")
    p.bad("null", ".json", "null")
    p.bad("truncated", ".json", '{"format": "cortexplorer-plan/1", "config": {')
    p.bad("nul-bytes", ".json", '{"format": "cortexplorer-plan/1"\x00}')
    p.bad("duplicate-key", ".json", '{"format": "cortexplorer-plan/1", "format": "cortexplorer-plan/1"}')
    p.bad("bom-and-garbage", ".json", b"\xef\xbb\xbf\x00\x01cortexplorer-plan")

    c = Folder("plan-config")
    c.valid(".toml", open(os.path.join(HERE, "..", "..", "assets", "plan.toml"), "rb").read())
    c.bad("not-toml", ".toml", "[field\nfov_deg = ")
    c.bad("fov-zero", ".toml", "[field]\nfov_deg = 0.0\n")
    c.bad("fov-nan", ".toml", "[field]\nfov_deg = nan\n")
    c.bad("size-tiny", ".toml", "[field]\nsize = 2\n")
    c.bad("size-huge", ".toml", "[field]\nsize = 100000000\n")
    c.bad("count-zero", ".toml", "[electrodes]\ncount = 0\n")
    c.bad("count-negative", ".toml", "[electrodes]\ncount = -5\n")
    c.bad("count-huge", ".toml", "[electrodes]\ncount = 99999999999999999999999\n")
    c.bad("hemispheres-empty", ".toml", "[scene]\nhemispheres = []\n")
    c.bad("unknown-key", ".toml", "[field]\nfov_degrees = 10.0\n")
    c.bad("wrong-type", ".toml", "[field]\nfov_deg = \"wide\"\n")
    c.bad("deep-nesting", ".toml", "x = " + "[" * 20_000 + "]" * 20_000 + "\n")
    c.bad("deep-tables", ".toml", "x = " + "{a = " * 10_000 + "1" + "}" * 10_000 + "\n")
    c.bad("invalid-utf8", ".toml", b"[field]\nname = \"\xff\xfe\"\n")
    c.bad("enormous-string", ".toml", "[field]\nname = \"%s\"\n" % ("x" * (1 << 16)))
    c.bad("binary", ".toml", bytes(range(1, 256)) * 8)

    e = Folder("electrodes")
    csv = "electrode,x,y,z,current_ua\n" + "".join("E%d,%g,%g,%g,50\n" % (i, -20 - i, -90, 5 + i) for i in range(4))
    e.valid(".csv", csv)
    e.bad("missing-z", ".csv", "electrode,x,y\nE1,1,2\n")
    e.bad("nan", ".csv", csv.replace(",-90,", ",nan,", 1))
    e.bad("inf", ".csv", csv.replace(",-90,", ",inf,", 1))
    e.bad("overflow", ".csv", csv.replace(",-90,", ",1e999,", 1))
    e.bad("text", ".csv", csv.replace(",-90,", ",minus ninety,", 1))
    e.bad("current-negative", ".csv", csv.replace(",50\n", ",-50\n", 1))
    e.bad("current-text", ".csv", csv.replace(",50\n", ",lots\n", 1))
    e.bad("ragged", ".csv", csv + "E9,1\n")
    e.bad("header-only", ".csv", "electrode,x,y,z\n")
    e.bad("empty", ".csv", "")
    e.bad("invalid-utf8", ".csv", csv.encode().replace(b"E2", b"\xff\xfe", 1))
    e.bad("quote-unclosed", ".csv", csv.replace("E2", '"E2', 1))
    e.bad("one-huge-line", ".csv", "x," * (1 << 16) + "\n")
    e.bad("binary", ".csv", bytes(range(1, 256)) * 8)
    e.bad("hemisphere-unknown", ".csv", "x_mm,y_mm,hemisphere\n1,2,middle\n")

    m = Folder("markups")
    mk = {"markups": [{"type": "Fiducial", "coordinateSystem": "RAS", "controlPoints": [
        {"label": "E1", "position": [-20.0, -90.0, 5.0]}, {"label": "E2", "position": [-22.0, -88.0, 6.0]}]}]}
    m.valid(".mrk.json", json.dumps(mk))
    def mm(f):
        x = json.loads(json.dumps(mk))
        f(x)
        return json.dumps(x)
    m.bad("no-markups", ".mrk.json", "{}")
    m.bad("markups-not-list", ".mrk.json", '{"markups": 3}')
    m.bad("position-short", ".mrk.json", mm(lambda x: x["markups"][0]["controlPoints"][0].update(position=[1, 2])))
    m.bad("position-text", ".mrk.json", mm(lambda x: x["markups"][0]["controlPoints"][0].update(position=["a", 2, 3])))
    m.bad("position-overflow", ".mrk.json", json.dumps(mk).replace("-90.0", "1e999", 1))
    m.bad("coordinate-system-other", ".mrk.json", mm(lambda x: x["markups"][0].update(coordinateSystem="XYZ")))
    m.bad("no-points", ".mrk.json", mm(lambda x: x["markups"][0].update(controlPoints=[])))
    m.bad("deep-nesting", ".mrk.json", deep_json())
    m.bad("enormous-string", ".mrk.json", json.dumps({"markups": "x" * (1 << 16)}))
    m.bad("invalid-utf8", ".mrk.json", json.dumps(mk).encode().replace(b"E1", b"\xff\xfe", 1))
    m.bad("empty", ".mrk.json", "")
    m.bad("truncated", ".mrk.json", json.dumps(mk)[:40])
    m.bad("not-json", ".mrk.json", "markups")
    m.bad("points-not-objects", ".mrk.json", '{"markups": [{"controlPoints": [1, 2, 3]}]}')
    m.bad("null", ".mrk.json", "null")

    b = Folder("bids")
    tsv = "name\tx\ty\tz\tsize\n" + "".join("E%d\t%g\t-90\t%g\t0.8\n" % (i, -20 - i, 5 + i) for i in range(4))
    b.valid("_electrodes.tsv", tsv)
    b.bad("missing-z", "_electrodes.tsv", "name\tx\ty\nE1\t1\t2\n")
    b.bad("nan", "_electrodes.tsv", tsv.replace("\t-90\t", "\tnan\t", 1))
    b.bad("na", "_electrodes.tsv", tsv.replace("\t-90\t", "\tn/a\t", 1))
    b.bad("inf", "_electrodes.tsv", tsv.replace("\t-90\t", "\tinf\t", 1))
    b.bad("text", "_electrodes.tsv", tsv.replace("\t-90\t", "\tfar\t", 1))
    b.bad("ragged", "_electrodes.tsv", tsv + "E9\t1\n")
    b.bad("header-only", "_electrodes.tsv", "name\tx\ty\tz\n")
    b.bad("empty", "_electrodes.tsv", "")
    b.bad("invalid-utf8", "_electrodes.tsv", tsv.encode().replace(b"E2", b"\xff\xfe", 1))
    b.bad("comma-separated", "_electrodes.tsv", tsv.replace("\t", ","))
    b.bad("overflow", "_electrodes.tsv", tsv.replace("\t-90\t", "\t1e999\t", 1))
    b.bad("binary", "_electrodes.tsv", bytes(range(1, 256)) * 8)
    b.bad("one-huge-line", "_electrodes.tsv", "x\t" * (1 << 16))
    b.bad("no-name-column", "_electrodes.tsv", "x\ty\tz\n1\t2\t3\n")
    b.bad("blank-lines-only", "_electrodes.tsv", "\n\n\n")

def ciftis():
    """CIFTI-2: damage to the nibabel-written tests/data/cifti files (XML, indices, keys, sizes)."""
    d = Folder("cifti")
    src = lambda f: open(os.path.join(DATA, "cifti", f), "rb").read()
    ok = src("test.dscalar.nii")
    d.valid(".dscalar.nii", ok)
    d.valid("-labels.dlabel.nii", src("test.dlabel.nii"))

    def sub(b, old, new):
        assert old in b, old
        assert len(old) == len(new)
        return b.replace(old, new, 1)

    xml_end = ok.index(b"</Matrix>")
    d.bad("xml-cut", ".dscalar.nii", ok[:xml_end] + b"\x00" * 20 + ok[xml_end + 20:])
    d.bad("xml-not-xml", ".dscalar.nii", sub(ok, b"<CIFTI Version", b"<CIFTI Versi<n"))
    d.bad("index-past-data", ".dscalar.nii",
          sub(ok, b'IndexOffset="10" IndexCount="8"', b'IndexOffset="10" IndexCount="9"'))
    d.bad("models-overlap", ".dscalar.nii",
          sub(ok, b'IndexOffset="10" IndexCount="8"', b'IndexOffset="09" IndexCount="8"'))
    d.bad("vertex-past-surface", ".dscalar.nii",
          sub(ok, b'SurfaceNumberOfVertices="12"', b'SurfaceNumberOfVertices="11"'))
    d.bad("voxel-outside-volume", ".dscalar.nii", sub(ok, b'VolumeDimensions="4,5,3"', b'VolumeDimensions="4,5,2"'))
    d.bad("unknown-index-type", ".dscalar.nii", sub(ok, b"CIFTI_INDEX_TYPE_SCALARS", b"CIFTI_INDEX_TYPE_SCALERS"))
    d.bad("dimension-3", ".dscalar.nii", sub(ok, b'AppliesToMatrixDimension="0"', b'AppliesToMatrixDimension="3"'))
    d.bad("label-key-missing", ".dlabel.nii", src("bad.missing_key.dlabel.nii"))
    for n, cut in truncations(ok, (0.0, 0.1, 0.3, 0.6, 0.97)):
        d.bad("cut%d" % n, ".dscalar.nii", cut)
    hdr = bytearray(ok)
    struct.pack_into("<q", hdr, 16 + 8 * 6, 1 << 40)  # dim[6]: a trillion grayordinates
    d.bad("dims-huge", ".dscalar.nii", bytes(hdr))
    hdr = bytearray(ok)
    struct.pack_into("<q", hdr, 168, 560)  # vox_offset inside the XML
    d.bad("vox-offset-in-xml", ".dscalar.nii", bytes(hdr))
    hdr = bytearray(ok)
    struct.pack_into("<i", hdr, 544, 1 << 30)  # the extension's size past the file
    d.bad("extension-size-huge", ".dscalar.nii", bytes(hdr))
    hdr = bytearray(ok)
    hdr[540] = 0  # "no extensions"
    d.bad("no-extension", ".dscalar.nii", bytes(hdr))
    # a plain NIfTI-2 named like CIFTI
    n2 = gzip.decompress(open(os.path.join(DATA, "nibabel", "example_nifti2.nii.gz"), "rb").read())
    d.bad("plain-nifti2-named-dscalar", ".dscalar.nii", n2)


def stcs():
    """MNE .stc / .w: damage to the MNE-written tests/data/mne files."""
    d = Folder("stc")
    ok = open(os.path.join(DATA, "mne", "sparse-lh.stc"), "rb").read()
    w = open(os.path.join(DATA, "mne", "sparse-lh.w"), "rb").read()
    d.valid("-lh.stc", ok)
    d.valid("-lh.w", w)
    d.bad("vertex-count-huge", "-lh.stc", ok[:8] + struct.pack(">I", 0xFFFFFFFF) + ok[12:])
    at = 12 + 4 * 40
    d.bad("time-count-huge", "-lh.stc", ok[:at] + struct.pack(">I", 10 ** 6) + ok[at + 4:])
    d.bad("overflow", "-lh.stc", ok[:8] + struct.pack(">I", 1 << 30) + ok[12:at] + struct.pack(">I", 1 << 30) + ok[at + 4:])
    d.bad("tstep-nan", "-lh.stc", ok[:4] + struct.pack(">f", float("nan")) + ok[8:])
    d.bad("zero-times", "-lh.stc", ok[:at] + struct.pack(">I", 0) + ok[at + 4:])
    for n, cut in truncations(ok, (0.0, 0.01, 0.3, 0.9)):
        d.bad("cut%d" % n, "-lh.stc", cut)
    d.bad("w-count-huge", "-lh.w", w[:2] + b"\xff\xff\xff" + w[5:])
    d.bad("w-cut", "-lh.w", w[:3])
    d.bad("tmin-inf", "-lh.stc", struct.pack(">f", float("inf")) + ok[4:])
    d.bad("tstep-negative", "-lh.stc", ok[:4] + struct.pack(">f", -1.0) + ok[8:])
    v0 = struct.unpack(">I", ok[12:16])[0]
    d.bad("vertex-repeated", "-lh.stc", ok[:16] + struct.pack(">I", v0) + ok[20:])
    d.bad("vertex-order", "-lh.stc", ok[:12] + ok[16:20] + ok[12:16] + ok[20:])
    d.bad("w-empty", "-lh.w", w[:2] + b"\x00\x00\x00")
    d.bad("w-vertex-twice", "-lh.w", w[:12] + w[5:8] + w[15:])


def tracts():
    """Tractography: damage to the nibabel/trx-python-written tests/data/tracts files."""
    import io
    import zipfile

    d = Folder("tracts")
    tck = open(os.path.join(DATA, "tracts", "small.tck"), "rb").read()
    trk = open(os.path.join(DATA, "tracts", "small.trk"), "rb").read()
    trx = open(os.path.join(DATA, "tracts", "small.trx"), "rb").read()
    d.valid(".tck", tck)
    d.valid(".trk", trk)
    d.valid(".trx", trx)
    end = tck.index(b"\nEND\n") + 5
    head, data = tck[:end].decode(), tck[end:]

    def tck_with(header_lines, body=data):
        text = "mrtrix tracks\n" + "".join(l + "\n" for l in header_lines)
        # the offset's own digits count: settle it by iterating
        off = 0
        for _ in range(3):
            h = text + "file: . %d\nEND\n" % off
            off = len(h)
        return (text + "file: . %d\nEND\n" % off).encode() + body

    d.bad("no-magic", ".tck", b"mrtrix tr4cks" + tck[13:])
    d.bad("no-end", ".tck", head.replace("END\n", "").encode())
    d.bad("datatype-int", ".tck", tck_with(["datatype: Int32LE"]))
    d.bad("no-datatype", ".tck", tck_with([]))
    d.bad("file-elsewhere", ".tck", head.replace("file: . ", "file: tracks.dat ").encode() + data)
    d.bad("offset-past-end", ".tck", head.replace("file: . 113", "file: . 999").encode() + data)
    d.bad("offset-in-header", ".tck", head.replace("file: . 113", "file: . 010").encode() + data)
    nan = struct.pack("<f", float("nan"))
    d.bad("mixed-nan", ".tck", tck_with(["datatype: Float32LE"], struct.pack("<3f", 1, 2, 3) + nan + struct.pack("<2f", 1, 2)))
    d.bad("ends-within-point", ".tck", tck_with(["datatype: Float32LE"], struct.pack("<4f", 1, 2, 3, 4)))
    for n, cut in truncations(tck, (0.05, 0.15)):
        d.bad("cut%d" % n, ".tck", cut)

    def trk_set(at, fmt, value, b=trk):
        return b[:at] + struct.pack(fmt, value) + b[at + struct.calcsize(fmt):]

    d.bad("negative-count", ".trk", trk_set(988, "<i", -1))
    d.bad("count-huge", ".trk", trk_set(988, "<i", 10 ** 9))
    d.bad("hdr-size", ".trk", trk_set(996, "<i", 999))
    d.bad("version-9", ".trk", trk_set(992, "<i", 9))
    d.bad("negative-points", ".trk", trk_set(1000, "<i", -3))
    d.bad("points-huge", ".trk", trk_set(1000, "<i", 10 ** 8))
    d.bad("voxel-size-zero", ".trk", trk_set(12, "<f", 0.0))
    d.bad("voxel-order-xyz", ".trk", trk[:948] + b"XYZ\0" + trk[952:])
    singular = trk
    for k in range(16):
        singular = trk_set(440 + 4 * k, "<f", 1.0 if k == 15 else 0.0, singular)
    d.bad("vox-to-ras-singular", ".trk", singular)
    d.bad("vox-to-ras-nan", ".trk", trk_set(440, "<f", float("nan")))
    d.bad("scalar-name-junk", ".trk", trk[:38] + b"fa\0junk".ljust(20, b"\0") + trk[58:])
    d.bad("scalars-negative", ".trk", trk_set(36, "<h", -2))
    d.bad("cut-header", ".trk", trk[:600])
    d.bad("cut-streamline", ".trk", trk[:-8])

    src = zipfile.ZipFile(io.BytesIO(trx))
    entries = {n: src.read(n) for n in src.namelist()}

    def trx_with(change=None, drop=()):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
            # a fixed date: the corpus files are the same on every run
            def put(n, b):
                z.writestr(zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0)), b)

            for n, b in entries.items():
                if n in drop:
                    continue
                put(n, (change or {}).get(n, b))
            for n, b in (change or {}).items():
                if n not in entries:
                    put(n, b)
        return out.getvalue()

    hdr = json.loads(entries["header.json"])
    offs = next(n for n in entries if n.startswith("offsets."))
    pos = next(n for n in entries if n.startswith("positions."))
    d.bad("not-zip", ".trx", b"PK\x03\x04" + bytes(range(200)))
    d.bad("no-header", ".trx", trx_with(drop=("header.json",)))
    d.bad("header-not-json", ".trx", trx_with({"header.json": b"{NB_VERTICES: 30"}))
    d.bad("vertices-wrong", ".trx", trx_with({"header.json": json.dumps(dict(hdr, NB_VERTICES=31)).encode()}))
    d.bad("streamlines-wrong", ".trx", trx_with({"header.json": json.dumps(dict(hdr, NB_STREAMLINES=60)).encode()}))
    o = list(struct.unpack("<%dI" % (len(entries[offs]) // 4), entries[offs]))
    o[2], o[3] = o[3], o[2]
    d.bad("offsets-decreasing", ".trx", trx_with({offs: struct.pack("<%dI" % len(o), *o)}))
    d.bad("no-positions", ".trx", trx_with(drop=(pos,)))
    d.bad("positions-int", ".trx", trx_with({"positions.3.int16": entries[pos]}, drop=(pos,)))
    d.bad("dps-short", ".trx", trx_with({"dps/weight.float32": b"\0" * 8}))
    d.bad("cut", ".trx", trx[: len(trx) // 2])


def meshes():
    """Meshes: damage to the trimesh/meshio/VTK-written tests/data/meshes files."""
    d = Folder("meshes")
    m = os.path.join(DATA, "meshes")
    obj = open(os.path.join(m, "lead.obj"), "rb").read()
    ply_a = open(os.path.join(m, "implant_ascii.ply"), "rb").read()
    ply_b = open(os.path.join(m, "implant_bin.ply"), "rb").read()
    stl_b = open(os.path.join(m, "implant_bin.stl"), "rb").read()
    stl_a = open(os.path.join(m, "implant_ascii.stl"), "rb").read()
    vtk = open(os.path.join(m, "implant.vtk"), "rb").read()
    d.valid(".obj", obj)
    d.valid(".ply", ply_b)
    d.valid(".stl", stl_b)
    d.valid(".vtk", vtk)
    d.bad("face-past-vertices", ".obj", obj + b"f 1 2 999\n")
    d.bad("face-zero-index", ".obj", obj + b"f 0 1 2\n")
    d.bad("nan-vertex", ".obj", b"v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    d.bad("no-faces", ".obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    d.bad("not-ply", ".ply", b"plx" + ply_a[3:])
    d.bad("count-huge", ".ply", ply_b.replace(b"element vertex 42", b"element vertex 4200000000", 1))
    d.bad("face-past-vertices", ".ply", ply_a.replace(b"\n3 0 37 16\n", b"\n3 0 37 99\n", 1))
    d.bad("no-end-header", ".ply", ply_a.replace(b"end_header", b"end_headr", 1))
    d.bad("cut", ".ply", ply_b[: len(ply_b) * 2 // 3])
    d.bad("bad-type", ".ply", ply_a.replace(b"property float thickness", b"property flaot thickness", 1))
    d.bad("count-wrong", ".stl", stl_b[:80] + struct.pack("<I", 81) + stl_b[84:])
    d.bad("cut", ".stl", stl_b[:-20])
    d.bad("ascii-cut", ".stl", stl_a[: len(stl_a) // 2])
    d.bad("not-stl", ".stl", b"hello, this is not a mesh\n")
    d.bad("polygon-past-points", ".vtk", vtk.replace(b"POLYGONS 80 320\n3 ", b"POLYGONS 80 320\n3 999 ", 1))
    d.bad("points-short", ".vtk", vtk.replace(b"POINTS 42 float", b"POINTS 4200 float", 1))
    d.bad("polygons-count-huge", ".vtk", vtk.replace(b"POLYGONS 80 320", b"POLYGONS 80000000 320000000", 1))
    d.bad("no-polygons", ".vtk", vtk[: vtk.index(b"POLYGONS")])


def recordings():
    """EDF/BDF and BrainVision: damage to the MNE/pyedflib/pybv-written tests/data/ieeg files."""
    d = Folder("ieeg")
    src = os.path.join(DATA, "ieeg")
    edf = open(os.path.join(src, "bids/sub-01/ses-01/ieeg/sub-01_ses-01_task-rest_run-01_ieeg.edf"), "rb").read()
    bdf = open(os.path.join(src, "biosemi3.bdf"), "rb").read()
    vhdr = open(os.path.join(src, "bids/sub-01/ses-01/ieeg/sub-01_ses-01_task-rest_run-02_ieeg.vhdr"), "rb").read()
    d.valid(".edf", edf)
    d.valid(".bdf", bdf)
    ns = int(edf[252:256])

    def put(b, at, width, text):
        return b[:at] + text.encode().ljust(width) + b[at + width:]

    def sig(field_offset, width, i, text, b=edf):
        return put(b, 256 + field_offset * ns + i * width, width, text)

    d.bad("version", ".edf", put(edf, 0, 8, "1"))
    d.bad("count-disagrees", ".edf", put(edf, 236, 8, "3"))
    d.bad("count-negative", ".edf", put(edf, 236, 8, "-5"))
    d.bad("signals-zero", ".edf", put(edf, 252, 4, "0"))
    d.bad("signals-huge", ".edf", put(edf, 252, 4, "9999"))
    d.bad("header-size", ".edf", put(edf, 184, 8, "512"))
    d.bad("duration-zero", ".edf", put(edf, 244, 8, "0"))
    d.bad("discontinuous", ".edf", put(edf, 192, 44, "EDF+D"))
    d.bad("pmin-text", ".edf", sig(16 + 80 + 8, 8, 0, "abc"))
    d.bad("digital-flat", ".edf", sig(16 + 80 + 8 + 8 * 3, 8, 0, "-32767"))
    d.bad("samples-zero", ".edf", sig(16 + 80 + 8 + 8 * 4 + 80, 8, 0, "0"))
    d.bad("cut-header", ".edf", edf[:300])
    d.bad("cut-record", ".edf", edf[:-100])
    d.bad("cut", ".bdf", bdf[:-7])
    d.bad("missing-data", ".vhdr", vhdr.replace(b"DataFile=sub-01_ses-01_task-rest_run-02_ieeg.eeg", b"DataFile=nowhere.eeg"))
    d.bad("binary-format", ".vhdr", vhdr.replace(b"BinaryFormat=INT_16", b"BinaryFormat=INT_8"))
    d.bad("channel-count", ".vhdr", vhdr.replace(b"NumberOfChannels=13", b"NumberOfChannels=20"))
    d.bad("not-vhdr", ".vhdr", b"[Common Infos]\nDataFile=x.eeg\n")


def main():
    recordings()
    meshes()
    tracts()
    surfaces()
    curvs()
    annots()
    labels()
    mghs()
    niftis()
    ciftis()
    stcs()
    giftis()
    npys()
    tables()
    routing_text()
    vessels()
    app_files()


if __name__ == "__main__":
    main()
