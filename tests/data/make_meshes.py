#!/usr/bin/env python3
"""Write the mesh readers' test files (OBJ, PLY, STL, legacy VTK) and record what the reference
libraries read back from them.

Usage (from the repository root, in a scratch virtual environment):

    python -m venv /tmp/venv
    /tmp/venv/bin/pip install trimesh==5.2.0 meshio==5.3.5 vtk==9.7.2
    /tmp/venv/bin/python tests/data/make_meshes.py

Every file is generated here from trimesh's primitives or written by hand: no third-party data.

Geometry (RAS+ millimetres):
* "implant": trimesh.creation.icosphere(subdivisions=1, radius=2.0) translated to
  (-30, -90, 5): 42 vertices, 80 triangles, closed;
* "lead": trimesh.creation.cylinder(radius=0.5, height=4.0, sections=12) translated to
  (-26, -90, 5): 26 vertices, 48 triangles, closed.
Per-vertex data on the implant: `thickness` (float32, 1.0 at the lowest z to 2.0 at the highest),
colours red/green/blue(/alpha) (uint8, from x, y, z), `label` (int32, vertex index mod 5).

Writes tests/data/meshes/:
* implant.obj — trimesh's OBJ writer with vertex normals (`vn`, faces `f a//a b//b c//c`);
* lead.obj — trimesh's OBJ writer without normals (faces `f a b c`);
* quads.obj — written by hand: comments, `o`/`g`/`s` lines, `vt`/`vn` lines, quads, a
  pentagon, the face index forms `v`, `v/vt`, `v/vt/vn`, `v//vn`, negative (relative) indices,
  a number in exponent form, a second object whose faces reach back into the first one. The expected triangles are the fan
  (v0,v1,v2),(v0,v2,v3),... of each polygon in file order; the expected vertices are the `v`
  lines in file order. trimesh reads the same triangles (checked up to a rotation of each
  triangle: trimesh splits a quad as (0,1,2),(2,3,0));
* implant_ascii.ply / implant_bin.ply — trimesh's PLY writer (ascii / binary_little_endian),
  float x y z, uchar red green blue alpha, float thickness, `list uchar int vertex_indices`;
* implant_be.ply — binary_big_endian, written by hand with numpy (neither trimesh nor meshio
  writes big-endian): float x y z, float thickness, uchar red green blue;
* implant_meshio.ply — meshio's PLY writer (binary, this machine's byte order: little):
  double x y z, float thickness, and the alternative type names `uint8`/`int32` in the face list.
  Its header comment holds a time stamp, fixed here to 2000-01-01T00:00:00;
* implant_ascii.stl / implant_bin.stl — trimesh's STL writers (export_stl_ascii / export_stl);
* lead_bin.stl — trimesh's binary STL of the lead;
* implant.vtk — legacy VTK 4.2, ASCII, DATASET POLYDATA, POINTS float, POLYGONS 80 320,
  POINT_DATA with two SCALARS sections (`thickness float 1`, `label int 1`, each with
  LOOKUP_TABLE default), written by hand (meshio cannot write POLYDATA, VTK's own writer puts
  only the active scalars under SCALARS); VTK's vtkPolyDataReader reads it back;
* implant_bin.vtk — the same as BINARY (big-endian, as legacy VTK requires), by hand;
* implant_vtk42.vtk — VTK 9.7.2's vtkPolyDataWriter, ASCII, SetFileVersion(42): POLYGONS n size,
  SCALARS thickness (no component count), the `label` array as FIELD FieldData; VTK writes
  ASCII floats with 6 significant digits, so the values read back are rounded;
* implant_vtk51.vtk / implant_vtk51_bin.vtk — vtkPolyDataWriter's default (file version 5.1):
  POLYGONS 81 240 then OFFSETS vtktypeint64 / CONNECTIVITY vtktypeint64, ASCII / BINARY;
* implant_meshio.vtk / implant_meshio_bin.vtk — meshio.write(file_format="vtk", binary=False /
  True): version 5.1, DATASET UNSTRUCTURED_GRID (CELLS with OFFSETS/CONNECTIVITY, CELL_TYPES),
  POINTS double, point data as FIELD FieldData — meshio never writes POLYDATA nor SCALARS; its
  int32 array is typed `vtktypeint32`, which VTK 9.7's legacy reader refuses (it then drops the
  whole FIELD block), so the expected values here are meshio's own reading;
* expected.json — for every file: what the reference reader reads back (trimesh.load(f,
  process=False) for OBJ/PLY/STL, VTK's vtkPolyDataReader for the POLYDATA files, meshio for
  meshio's own VTK files; meshio and VTK cross-check where they can):
  vertices (rounded to 6 decimals), triangles (0-based), point data, the writer and its version,
  header lines, notes. Never edited by hand;
* README.md — what the folder holds and where it comes from.
"""

import datetime
import io
import json
import os
import re
import sys
import unittest.mock
import warnings

import meshio
import numpy as np
import trimesh
import vtk
from vtk.util import numpy_support as vtk_np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "meshes")

IMPLANT_CENTRE = (-30.0, -90.0, 5.0)
LEAD_CENTRE = (-26.0, -90.0, 5.0)

VERSIONS = {
    "python": sys.version.split()[0],
    "numpy": np.__version__,
    "trimesh": trimesh.__version__,
    "meshio": meshio.__version__,
    "vtk": vtk.vtkVersion.GetVTKVersion(),
}

expected = {}


# ---------------------------------------------------------------------------------------------
# helpers


def r6(a):
    """A nested list of floats rounded to 6 decimals (no -0.0)."""
    a = np.round(np.asarray(a, dtype=np.float64), 6) + 0.0
    return a.tolist()


def path(name):
    return os.path.join(OUT, name)


def write_bytes(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def size(name):
    return os.path.getsize(path(name))


def head_lines(name, n):
    """The first n lines of a text file (without line ends)."""
    with open(path(name), "rb") as f:
        return f.read().decode("ascii").splitlines()[:n]


def ply_header(name):
    """The header lines of a PLY file, `ply` to `end_header`."""
    with open(path(name), "rb") as f:
        data = f.read()
    end = data.index(b"end_header") + len(b"end_header")
    return data[:end].decode("ascii").splitlines()


def vtk_keyword_lines(name):
    """The ASCII header and section lines of a legacy VTK file (for BINARY files: the lines that
    start with a keyword; the raw data between them is skipped by its known size when it is
    read, here only the keyword lines are listed for the record)."""
    with open(path(name), "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    out = [lines[i].decode("ascii") for i in range(4)]
    keywords = (b"POINTS", b"POLYGONS", b"CELLS", b"CELL_TYPES", b"OFFSETS", b"CONNECTIVITY",
                b"POINT_DATA", b"CELL_DATA", b"SCALARS", b"LOOKUP_TABLE", b"FIELD", b"METADATA")
    for line in lines[4:]:
        if line.startswith(keywords) and re.fullmatch(rb"[\x20-\x7e]*", line):
            out.append(line.decode("ascii"))
        elif re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]* \d+ \d+ [a-z_0-9]+", line):
            out.append(line.decode("ascii"))  # an array line of a FIELD block
    return out


def tri_key(tri):
    """A triangle's corner coordinates as a tuple, rotated so the smallest corner comes first
    (same orientation, any starting corner)."""
    corners = [tuple(np.round(np.asarray(c, np.float64), 6).tolist()) for c in tri]
    k = corners.index(min(corners))
    return tuple(corners[k:] + corners[:k])


def assert_same_triangles(v1, f1, v2, f2, in_order=True):
    a = [tri_key(v1[f]) for f in np.asarray(f1)]
    b = [tri_key(v2[f]) for f in np.asarray(f2)]
    if not in_order:
        a, b = sorted(a), sorted(b)
    assert a == b, "triangles differ"


def implant_mesh():
    m = trimesh.creation.icosphere(subdivisions=1, radius=2.0)
    m.apply_translation(IMPLANT_CENTRE)
    assert m.vertices.shape == (42, 3) and m.faces.shape == (80, 3) and m.is_watertight
    return m


def lead_mesh():
    m = trimesh.creation.cylinder(radius=0.5, height=4.0, sections=12)
    m.apply_translation(LEAD_CENTRE)
    assert m.vertices.shape == (26, 3) and m.faces.shape == (48, 3) and m.is_watertight
    return m


def implant_data(m):
    v = m.vertices
    lo, hi = v.min(axis=0), v.max(axis=0)
    t = ((v - lo) / (hi - lo))
    thickness = (1.0 + t[:, 2]).astype(np.float32)
    rgb = np.round(255.0 * t).astype(np.uint8)
    label = (np.arange(len(v)) % 5).astype(np.int32)
    return thickness, rgb, label


# ---------------------------------------------------------------------------------------------
# OBJ


def make_obj(implant, lead):
    text = trimesh.exchange.obj.export_obj(implant, include_normals=True)
    write_bytes("implant.obj", text.encode("ascii"))
    text = trimesh.exchange.obj.export_obj(lead, include_normals=False)
    write_bytes("lead.obj", text.encode("ascii"))

    for name, src, has_normals in (("implant.obj", implant, True), ("lead.obj", lead, False)):
        m = trimesh.load(path(name), process=False)
        assert isinstance(m, trimesh.Trimesh)
        assert m.vertices.shape == src.vertices.shape and np.array_equal(m.faces, src.faces)
        assert np.allclose(m.vertices, src.vertices, atol=1e-7)
        vn = [line for line in head_lines(name, 10**6) if line.startswith("vn ")]
        entry = {
            "format": "obj",
            "shape": "implant icosphere" if name == "implant.obj" else "lead cylinder",
            "writer": "trimesh.exchange.obj.export_obj(include_normals=%s)" % has_normals,
            "writer_version": "trimesh " + trimesh.__version__,
            "reference_reader": "trimesh.load(f, process=False)",
            "size_bytes": size(name),
            "header": head_lines(name, 3),
            "vertices": r6(m.vertices),
            "faces": m.faces.tolist(),
            "point_data": {},
            "notes": [],
        }
        if has_normals:
            assert len(vn) == len(src.vertices)
            normals = np.array([[float(x) for x in line.split()[1:]] for line in vn])
            entry["normals"] = r6(normals)
            entry["notes"].append("one `vn` per `v`, faces written as `f a//a b//b c//c`; "
                                  "`normals` are the vn lines in file order")
        else:
            assert not vn
            entry["notes"].append("positions and `f a b c` faces only")
        entry["notes"].append("trimesh writes 8 decimals; vertices are the values read back")
        expected[name] = entry


QUADS_OBJ = """\
# Cortexplorer test mesh: hand-written by make_meshes.py
# quads, a pentagon, v / v/vt / v/vt/vn / v//vn forms, negative indices, two objects
o plate
g plate_top
v 0 0 0
v 1 0 0
v 2.0 0.0 0.0
v 0 1 0
v 1 1 0
v 2 1 0
v 0 0 -1
v 1.0e0 0 -1.5e-0
vt 0 0
vt 0.5 0
vt 1 0
vt 0 1
vt 0.5 1
vt 1 1
vt 0 0.5
vt 0.5 0.5
vn 0 0 1
vn 0 -1 0
s off
# a quad with plain indices
f 1 2 5 4
# a quad with v/vt
f 2/2 3/3 6/6 5/5
g plate_side
# a quad with v/vt/vn
f 1/1/2 7/7/2 8/8/2 2/2/2
o pentagon
v 0 0 2
v 1 0 2
v 1.5 1 2
v 0.5 1.5e0 2
v -0.5 1 2
# a pentagon with negative (relative) indices and v//vn
f -5//1 -4//1 -3//1 -2//1 -1//1
# a triangle reaching back into the first object
f 9 10 3
# a quad mixing negative and positive indices
f -5 12 -1 1
"""


def make_quads_obj():
    write_bytes("quads.obj", QUADS_OBJ.encode("ascii"))

    # The expected reading, worked out from the text: v lines in order, each polygon as a fan.
    verts, polys, objects = [], [], []
    for line in QUADS_OBJ.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] == "v":
            verts.append([float(x) for x in parts[1:4]])
        elif parts[0] == "o":
            objects.append({"name": parts[1], "groups": [], "first_triangle": None})
        elif parts[0] == "g":
            objects[-1]["groups"].append(parts[1])
        elif parts[0] == "f":
            idx = []
            for p in parts[1:]:
                i = int(p.split("/")[0])
                idx.append(i - 1 if i > 0 else len(verts) + i)
            polys.append(idx)
            if objects[-1]["first_triangle"] is None:
                objects[-1]["first_triangle"] = sum(len(q) - 2 for q in polys[:-1])
    faces = [[q[0], q[k], q[k + 1]] for q in polys for k in range(1, len(q) - 1)]
    verts = np.array(verts)
    faces = np.array(faces)
    for i, o in enumerate(objects):
        end = objects[i + 1]["first_triangle"] if i + 1 < len(objects) else len(faces)
        o["triangle_count"] = end - o["first_triangle"]

    m = trimesh.load(path("quads.obj"), process=False, force="mesh")
    # trimesh keeps the v lines as they are here (no vertex is split by its vt/vn) ...
    assert np.allclose(m.vertices, verts)
    # ... and reads the same triangles in the same order, each perhaps from another corner.
    assert_same_triangles(verts, faces, m.vertices, m.faces, in_order=True)
    assert not np.array_equal(m.faces, faces)  # trimesh's quad split is (0,1,2),(2,3,0)

    expected["quads.obj"] = {
        "format": "obj",
        "shape": "hand-written plate (quads) + pentagon",
        "writer": "by hand (make_meshes.py QUADS_OBJ)",
        "writer_version": None,
        "reference_reader": "worked out from the text (fan triangulation); trimesh.load(f, "
                            "process=False, force='mesh') reads the same vertices and the same "
                            "triangles in the same order up to a rotation of each triangle",
        "size_bytes": size("quads.obj"),
        "vertices": r6(verts),
        "faces": faces.tolist(),
        "polygons": polys,
        "objects": objects,
        "trimesh_faces": m.faces.tolist(),
        "point_data": {},
        "notes": [
            "faces: every polygon (v0..vn) as the fan (v0,v1,v2),(v0,v2,v3),... in file order",
            "negative index -k means the k-th most recent v line at that point of the file",
            "vt and vn are not used for the geometry; the faces mix all four index forms",
            "trimesh_faces: trimesh's own split (quad 0,1,2 / 2,3,0; pentagon as a fan)",
            "meshio 5.3.5 cannot read this file (it requires as many vt as v)",
        ],
    }


# ---------------------------------------------------------------------------------------------
# PLY


def ply_entry(name, m, fmt, writer, writer_version, point_data, notes):
    return {
        "format": "ply " + fmt,
        "shape": "implant icosphere",
        "writer": writer,
        "writer_version": writer_version,
        "reference_reader": "trimesh.load(f, process=False); meshio.read cross-check",
        "size_bytes": size(name),
        "header": ply_header(name),
        "vertices": r6(m.vertices),
        "faces": m.faces.tolist(),
        "point_data": point_data,
        "notes": notes,
    }


def ply_raw(m):
    """trimesh's raw PLY vertex properties as {name: 1-D array} (trimesh keeps a structured
    array for binary files and a dict of (n, 1) arrays for ASCII ones)."""
    data = m.metadata["_ply_raw"]["vertex"]["data"]
    names = data.dtype.names if hasattr(data, "dtype") else list(data)
    return {k: np.asarray(data[k]).reshape(-1) for k in names}


def check_ply(name, implant, thickness, rgb, with_alpha):
    """Read a PLY back with trimesh and meshio; return trimesh's mesh and the point data."""
    m = trimesh.load(path(name), process=False)
    assert np.array_equal(m.faces, implant.faces)
    assert np.allclose(m.vertices, implant.vertices, atol=1e-5)
    raw = ply_raw(m)
    assert np.allclose(raw["thickness"], thickness, rtol=0, atol=1e-7)  # ascii: 8 decimals
    for k, ch in enumerate(("red", "green", "blue")):
        assert np.array_equal(raw[ch], rgb[:, k])
        assert np.array_equal(m.visual.vertex_colors[:, k], rgb[:, k])
    point_data = {"thickness": r6(raw["thickness"])}
    for ch in ("red", "green", "blue") + (("alpha",) if with_alpha else ()):
        point_data[ch] = raw[ch].astype(int).tolist()

    r = meshio.read(path(name))
    assert np.allclose(r.points, m.vertices) and np.array_equal(r.cells_dict["triangle"], m.faces)
    assert np.array_equal(r.point_data["thickness"], raw["thickness"])
    if "ascii" not in name:
        assert np.array_equal(raw["thickness"], thickness)
        assert np.array_equal(m.vertices, implant.vertices.astype(np.float32))
    return m, point_data


def make_ply(implant, thickness, rgb):
    m = implant.copy()
    m.visual.vertex_colors = np.column_stack([rgb, np.full(len(rgb), 255, np.uint8)])
    m.vertex_attributes["thickness"] = thickness
    write_bytes("implant_ascii.ply", trimesh.exchange.ply.export_ply(m, encoding="ascii"))
    write_bytes("implant_bin.ply", trimesh.exchange.ply.export_ply(m, encoding="binary"))

    for name, fmt in (("implant_ascii.ply", "ascii"), ("implant_bin.ply", "binary_little_endian")):
        back, point_data = check_ply(name, implant, thickness, rgb, with_alpha=True)
        assert ply_header(name)[1] == "format %s 1.0" % fmt
        expected[name] = ply_entry(
            name, back, fmt, "trimesh.exchange.ply.export_ply(encoding=%r)" %
            ("ascii" if fmt == "ascii" else "binary"), "trimesh " + trimesh.__version__,
            point_data,
            ["trimesh names the colour properties red, green, blue, alpha (uchar) and always "
             "writes alpha; the extra property `thickness` follows them",
             "positions are float32 in the file; vertices are the float32 values read back",
             "meshio 5.3.5 reads the uchar colours as int8 (values over 127 turn negative)"])

    # binary_big_endian by hand: float x y z, float thickness, uchar r g b; faces as trimesh.
    header = "\n".join([
        "ply",
        "format binary_big_endian 1.0",
        "comment Cortexplorer test mesh written by make_meshes.py (numpy, big-endian)",
        "element vertex %d" % len(implant.vertices),
        "property float x",
        "property float y",
        "property float z",
        "property float thickness",
        "property uchar red",
        "property uchar green",
        "property uchar blue",
        "element face %d" % len(implant.faces),
        "property list uchar int vertex_indices",
        "end_header",
    ]) + "\n"
    vdt = np.dtype([("x", ">f4"), ("y", ">f4"), ("z", ">f4"), ("thickness", ">f4"),
                    ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    vert = np.zeros(len(implant.vertices), vdt)
    for k, ax in enumerate("xyz"):
        vert[ax] = implant.vertices[:, k]
    vert["thickness"] = thickness
    for k, ch in enumerate(("red", "green", "blue")):
        vert[ch] = rgb[:, k]
    fdt = np.dtype([("n", "u1"), ("i", ">i4", (3,))])
    face = np.zeros(len(implant.faces), fdt)
    face["n"] = 3
    face["i"] = implant.faces
    write_bytes("implant_be.ply", header.encode("ascii") + vert.tobytes() + face.tobytes())
    back, point_data = check_ply("implant_be.ply", implant, thickness, rgb, with_alpha=False)
    expected["implant_be.ply"] = ply_entry(
        "implant_be.ply", back, "binary_big_endian",
        "by hand (numpy, make_meshes.py make_ply)", "numpy " + np.__version__, point_data,
        ["neither trimesh nor meshio writes big-endian PLY; this file copies trimesh's layout "
         "with `thickness` before the colours and no alpha",
         "vertex record: 4 x float32 BE + 3 x uchar = 19 bytes, not aligned"])

    # meshio's binary writer: double positions, uint8/int32 type names.
    mm = meshio.Mesh(implant.vertices, [("triangle", implant.faces.astype(np.int32))],
                     point_data={"thickness": thickness})
    # meshio stamps the header comment with datetime.now(); a fixed clock keeps reruns equal
    class FixedClock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2000, 1, 1, 0, 0, 0)

    with unittest.mock.patch("meshio.ply._ply.datetime.datetime", FixedClock):
        meshio.write(path("implant_meshio.ply"), mm, binary=True)
    back = trimesh.load(path("implant_meshio.ply"), process=False)
    assert np.array_equal(back.faces, implant.faces)
    assert np.array_equal(back.vertices, implant.vertices)  # doubles: exact
    raw = ply_raw(back)
    assert np.array_equal(raw["thickness"], thickness)
    r = meshio.read(path("implant_meshio.ply"))
    assert np.array_equal(r.points, implant.vertices)
    entry = ply_entry(
        "implant_meshio.ply", back, ply_header("implant_meshio.ply")[1].split()[1],
        "meshio.write(binary=True)", "meshio " + meshio.__version__,
        {"thickness": r6(raw["thickness"])},
        ["meshio writes positions as double and uses the type names uint8 / int32 in "
         "`property list uint8 int32 vertex_indices`",
         "meshio writes the machine's byte order (little here)",
         "the `comment Created by meshio ...` line holds a time stamp (datetime.now(), fixed "
         "to 2000-01-01T00:00:00 by make_meshes.py so that reruns write the same bytes)"])
    expected["implant_meshio.ply"] = entry


# ---------------------------------------------------------------------------------------------
# STL


def stl_facet_normals(name):
    with open(path(name), "rb") as f:
        data = f.read()
    if data[:5] == b"solid" and b"facet normal" in data[:300]:
        lines = [ln.split() for ln in data.decode("ascii").splitlines()]
        return np.array([[float(x) for x in ln[2:5]] for ln in lines
                         if ln[:2] == ["facet", "normal"]])
    n = int(np.frombuffer(data[80:84], "<u4")[0])
    rec = np.frombuffer(data[84:84 + 50 * n], np.dtype([("n", "<f4", (3,)), ("v", "<f4", (3, 3)),
                                                        ("attr", "<u2")]))
    assert len(data) == 84 + 50 * n
    return rec["n"]


def merge_first_occurrence(vertices, faces):
    """Merge bit-identical positions, numbering them in order of first appearance."""
    index, out_v = {}, []
    remap = np.empty(len(vertices), np.int64)
    for i, v in enumerate(vertices):
        key = tuple(v.tolist())
        if key not in index:
            index[key] = len(out_v)
            out_v.append(v)
        remap[i] = index[key]
    return np.array(out_v), remap[faces]


def make_stl(implant, lead):
    write_bytes("implant_ascii.stl",
                trimesh.exchange.stl.export_stl_ascii(implant).encode("ascii"))
    write_bytes("implant_bin.stl", trimesh.exchange.stl.export_stl(implant))
    write_bytes("lead_bin.stl", trimesh.exchange.stl.export_stl(lead))

    for name, src, writer in (
            ("implant_ascii.stl", implant, "trimesh.exchange.stl.export_stl_ascii"),
            ("implant_bin.stl", implant, "trimesh.exchange.stl.export_stl"),
            ("lead_bin.stl", lead, "trimesh.exchange.stl.export_stl")):
        m = trimesh.load(path(name), process=False)
        n = len(src.faces)
        assert m.vertices.shape == (3 * n, 3)
        assert np.array_equal(m.faces, np.arange(3 * n).reshape(n, 3))
        # the facets are written in the mesh's face order, corners in the face's order
        assert np.allclose(m.vertices, src.vertices[src.faces].reshape(-1, 3), atol=1e-5)
        merged = trimesh.load(path(name))  # process=True: merges identical positions
        assert len(merged.vertices) == len(src.vertices)
        assert_same_triangles(m.vertices, m.faces, merged.vertices, merged.faces, in_order=True)
        fo_v, fo_f = merge_first_occurrence(m.vertices, m.faces)
        assert len(fo_v) == len(src.vertices)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # its uint32 size check
                r = meshio.read(path(name))
        except ValueError as e:  # meshio 5.3.5 + numpy 2 fails on trimesh's ASCII STL
            meshio_check = "meshio.read raises ValueError: %s" % e
        else:
            assert_same_triangles(m.vertices, m.faces, r.points, r.cells_dict["triangle"],
                                  in_order=True)
            meshio_check = "meshio.read reads the same triangles in the same order (merged)"
        normals = stl_facet_normals(name)
        assert np.allclose(normals, src.face_normals, atol=1e-6)
        with open(path(name), "rb") as f:
            start = f.read(84)
        entry = {
            "format": "stl ascii" if "ascii" in name else "stl binary",
            "shape": "implant icosphere" if name.startswith("implant") else "lead cylinder",
            "writer": writer,
            "writer_version": "trimesh " + trimesh.__version__,
            "reference_reader": "trimesh.load(f, process=False) for vertices/faces; "
                                "trimesh.load(f) (process=True) for merged",
            "size_bytes": size(name),
            "vertices": r6(m.vertices),
            "faces": m.faces.tolist(),
            "facet_normals": r6(normals),
            "merged": {
                "how": "trimesh.load(f) with process=True (merge_vertices): trimesh's own order",
                "vertices": r6(merged.vertices),
                "faces": merged.faces.tolist(),
            },
            "merged_first_occurrence": {
                "how": "bit-identical positions merged, numbered by first appearance in the "
                       "file (make_meshes.py merge_first_occurrence)",
                "vertices": r6(fo_v),
                "faces": fo_f.tolist(),
            },
            "meshio_cross_check": meshio_check,
            "point_data": {},
            "notes": [
                "`vertices`/`faces` are UNMERGED: 3 vertices per facet, faces = [[0,1,2],[3,4,5],"
                "...] (trimesh.load(process=False))",
                "`merged` and `merged_first_occurrence` hold the same triangles with shared "
                "vertices (%d), numbered differently" % len(src.vertices),
                "facets are in the source mesh's face order, corners in the face's order",
            ],
        }
        if np.array_equal(merged.faces, fo_f) and np.allclose(merged.vertices, fo_v):
            entry["notes"].append("for this file trimesh's merged order happens to be the "
                                  "first-occurrence order")
        if "ascii" in name:
            entry["header"] = head_lines(name, 8)
            entry["notes"].append("trimesh writes `solid ` (trailing space, no name) ... "
                                  "`endsolid`, and full float64 repr coordinates; read back "
                                  "as float64")
        else:
            entry["header_hex"] = start[:80].hex()
            entry["triangle_count"] = int(np.frombuffer(start[80:84], "<u4")[0])
            entry["notes"].append("trimesh's 80-byte header is all zero bytes; float32 LE")
        expected[name] = entry


# ---------------------------------------------------------------------------------------------
# VTK


def fmt32(x):
    """Shortest text that reads back as the same float32."""
    return np.format_float_positional(np.float32(x), unique=True, trim="-")


def vtk_read(name, polydata=True):
    r = vtk.vtkPolyDataReader() if polydata else vtk.vtkUnstructuredGridReader()
    r.SetFileName(path(name))
    r.ReadAllScalarsOn()
    r.ReadAllFieldsOn()
    r.Update()
    assert r.GetErrorCode() == 0, name
    out = r.GetOutput()
    pts = vtk_np.vtk_to_numpy(out.GetPoints().GetData())
    if polydata:
        cells = out.GetPolys()
        assert out.GetNumberOfVerts() == out.GetNumberOfLines() == out.GetNumberOfStrips() == 0
    else:
        cells = out.GetCells()
        types = {out.GetCellType(i) for i in range(out.GetNumberOfCells())}
        assert types == {vtk.VTK_TRIANGLE}
    offsets = vtk_np.vtk_to_numpy(cells.GetOffsetsArray())
    conn = vtk_np.vtk_to_numpy(cells.GetConnectivityArray())
    assert np.all(np.diff(offsets) == 3)
    faces = conn.reshape(-1, 3)
    pd = out.GetPointData()
    arrays = {}
    for i in range(pd.GetNumberOfArrays()):
        a = pd.GetArray(i)
        arrays[a.GetName()] = (vtk_np.vtk_to_numpy(a), a.GetDataTypeAsString())
    active = pd.GetScalars().GetName() if pd.GetScalars() is not None else None
    return r, pts, faces, arrays, active


def vtk_entry(name, fmt, writer, writer_version, pts, faces, arrays, active, notes,
              reader="VTK %s vtkPolyDataReader (ReadAllScalars, ReadAllFields)" % VERSIONS["vtk"]):
    ascii_file = "BINARY" not in head_lines_raw(name, 3)[2]
    entry = {
        "format": fmt,
        "shape": "implant icosphere",
        "writer": writer,
        "writer_version": writer_version,
        "reference_reader": reader,
        "size_bytes": size(name),
        "version_line": head_lines_raw(name, 1)[0],
        "header": head_lines(name, 12) if ascii_file else vtk_keyword_lines(name),
        "sections": vtk_keyword_lines(name),
        "vertices": r6(pts),
        "faces": faces.tolist(),
        "point_data": {k: (r6(v) if v.dtype.kind == "f" else v.astype(int).tolist())
                       for k, (v, _) in arrays.items()},
        "point_data_types": {k: t for k, (_, t) in arrays.items()},
        "active_scalars": active,
        "notes": notes,
    }
    return entry


def head_lines_raw(name, n):
    with open(path(name), "rb") as f:
        return [ln.decode("ascii") for ln in f.read().split(b"\n")[:n]]


def make_vtk(implant, thickness, label):
    v32 = implant.vertices.astype(np.float32)
    nv, nf = len(v32), len(implant.faces)
    title = "Cortexplorer test mesh written by make_meshes.py"

    # --- hand-written 4.2 ASCII POLYDATA with two SCALARS sections
    lines = ["# vtk DataFile Version 4.2", title, "ASCII", "DATASET POLYDATA",
             "POINTS %d float" % nv]
    lines += [" ".join(fmt32(x) for x in p) for p in v32]
    lines.append("POLYGONS %d %d" % (nf, 4 * nf))
    lines += ["3 %d %d %d" % tuple(f) for f in implant.faces]
    lines += ["", "POINT_DATA %d" % nv, "SCALARS thickness float 1", "LOOKUP_TABLE default"]
    lines += [" ".join(fmt32(x) for x in thickness[i:i + 6]) for i in range(0, nv, 6)]
    lines += ["SCALARS label int 1", "LOOKUP_TABLE default"]
    lines += [" ".join(str(x) for x in label[i:i + 9]) for i in range(0, nv, 9)]
    write_bytes("implant.vtk", ("\n".join(lines) + "\n").encode("ascii"))

    # --- the same, BINARY (big-endian); each binary block is followed by a newline
    out = io.BytesIO()
    out.write(("# vtk DataFile Version 4.2\n%s\nBINARY\nDATASET POLYDATA\n" % title).encode())
    out.write(b"POINTS %d float\n" % nv + v32.astype(">f4").tobytes() + b"\n")
    cells = np.column_stack([np.full(nf, 3), implant.faces]).astype(">i4")
    out.write(b"POLYGONS %d %d\n" % (nf, 4 * nf) + cells.tobytes() + b"\n")
    out.write(b"POINT_DATA %d\n" % nv)
    out.write(b"SCALARS thickness float 1\nLOOKUP_TABLE default\n"
              + thickness.astype(">f4").tobytes() + b"\n")
    out.write(b"SCALARS label int 1\nLOOKUP_TABLE default\n"
              + label.astype(">i4").tobytes() + b"\n")
    write_bytes("implant_bin.vtk", out.getvalue())

    for name in ("implant.vtk", "implant_bin.vtk"):
        _, pts, faces, arrays, active = vtk_read(name)
        assert np.array_equal(pts, v32) and np.array_equal(faces, implant.faces)
        assert np.array_equal(arrays["thickness"][0], thickness)
        assert np.array_equal(arrays["label"][0], label)
        assert active == "thickness"
        try:  # meshio.read would print the error and call sys.exit(1)
            meshio.vtk.read(path(name))
        except meshio.ReadError:
            pass
        else:
            raise AssertionError("meshio read POLYDATA")
        expected[name] = vtk_entry(
            name, "vtk legacy 4.2 %s POLYDATA" % ("ASCII" if name == "implant.vtk" else
                                                  "BINARY big-endian"),
            "by hand (make_meshes.py make_vtk)", "numpy " + np.__version__,
            pts, faces, arrays, active,
            ["two SCALARS sections under POINT_DATA; VTK makes the first (thickness) the "
             "active scalars and keeps `label` as a further array",
             "values are written as shortest float32 text (ASCII) / big-endian float32 and "
             "int32 (BINARY), so they read back exactly",
             "meshio 5.3.5 cannot read POLYDATA at all (it raises ReadError)"])

    # --- VTK's own writer: 4.2 and 5.1 (default), ASCII and BINARY
    pd = vtk.vtkPolyData()
    points = vtk.vtkPoints()
    points.SetData(vtk_np.numpy_to_vtk(v32, deep=True))
    pd.SetPoints(points)
    polys = vtk.vtkCellArray()
    for f in implant.faces:
        polys.InsertNextCell(3, [int(i) for i in f])
    pd.SetPolys(polys)
    t = vtk_np.numpy_to_vtk(thickness, deep=True)
    t.SetName("thickness")
    lab = vtk_np.numpy_to_vtk(label, deep=True)
    lab.SetName("label")
    pd.GetPointData().SetScalars(t)
    pd.GetPointData().AddArray(lab)
    for name, version, binary in (("implant_vtk42.vtk", 42, False),
                                  ("implant_vtk51.vtk", None, False),
                                  ("implant_vtk51_bin.vtk", None, True)):
        w = vtk.vtkPolyDataWriter()
        w.SetInputData(pd)
        w.SetFileName(path(name))
        if binary:
            w.SetFileTypeToBinary()
        else:
            w.SetFileTypeToASCII()
        if version:
            w.SetFileVersion(version)
        assert w.Write() == 1
        _, pts, faces, arrays, active = vtk_read(name)
        assert np.array_equal(faces, implant.faces) and active == "thickness"
        if binary:
            assert np.array_equal(pts, v32)
            assert np.array_equal(arrays["thickness"][0], thickness)
        else:  # 6 significant digits in ASCII
            assert np.allclose(pts, v32, rtol=1e-5) and not np.array_equal(pts, v32)
            assert np.allclose(arrays["thickness"][0], thickness, rtol=1e-5)
        assert np.array_equal(arrays["label"][0], label)
        notes = ["written by VTK's vtkPolyDataWriter; only the active scalars (thickness) go "
                 "under SCALARS, written `SCALARS thickness float` with no component count "
                 "(and a trailing space); `label` goes into `FIELD FieldData 1` as "
                 "`label 1 42 int`"]
        if version == 42:
            notes.append("SetFileVersion(42): POLYGONS 80 320 with `3 a b c` per cell")
        else:
            notes.append("default file version 5.1: `POLYGONS 81 240` (offsets count, "
                         "connectivity size), then `OFFSETS vtktypeint64` (81 values) and "
                         "`CONNECTIVITY vtktypeint64` (240 values)")
        if binary:
            notes.append("BINARY: big-endian float32 / int64 / int32 blocks, each followed by "
                         "a newline; values read back exactly")
        else:
            notes.append("ASCII: VTK writes floats with 6 significant digits (e.g. -31.0515), "
                         "so vertices and thickness are the rounded values read back; several "
                         "values per line, lines end with a space, blank lines between sections")
        expected[name] = vtk_entry(
            name, "vtk legacy %s %s POLYDATA" % ("4.2" if version else "5.1",
                                                 "BINARY big-endian" if binary else "ASCII"),
            "vtk.vtkPolyDataWriter" + (" SetFileVersion(42)" if version else ""),
            "vtk " + VERSIONS["vtk"], pts, faces, arrays, active, notes)

    # --- meshio's writer: always UNSTRUCTURED_GRID, version 5.1, point data as FIELD
    mm = meshio.Mesh(implant.vertices, [("triangle", implant.faces)],
                     point_data={"thickness": thickness, "label": label})
    for name, binary in (("implant_meshio.vtk", False), ("implant_meshio_bin.vtk", True)):
        meshio.write(path(name), mm, file_format="vtk", binary=binary)
        r = meshio.read(path(name))
        assert np.array_equal(r.points, implant.vertices)
        assert np.array_equal(r.cells_dict["triangle"], implant.faces)
        assert np.array_equal(r.point_data["thickness"], thickness)
        assert np.array_equal(r.point_data["label"], label)
        # the reference here is meshio itself: VTK 9.7's legacy reader refuses the FIELD
        # array type name `vtktypeint32` that meshio writes for int32 data and then drops the
        # whole FIELD block (it still reads the points and cells).
        field_types = {}
        for line in vtk_keyword_lines(name):
            parts = line.split()
            if len(parts) == 4 and parts[0] in ("thickness", "label"):
                field_types[parts[0]] = parts[3]
        arrays = {k: (np.asarray(r.point_data[k]), field_types[k]) for k in ("thickness", "label")}
        vtk.vtkObject.GlobalWarningDisplayOff()
        _, vpts, vfaces, varrays, active = vtk_read(name, polydata=False)
        vtk.vtkObject.GlobalWarningDisplayOn()
        assert np.array_equal(vpts, implant.vertices) and np.array_equal(vfaces, implant.faces)
        assert field_types["label"] == "vtktypeint32" and "label" not in varrays
        assert active is None
        expected[name] = vtk_entry(
            name, "vtk legacy 5.1 %s UNSTRUCTURED_GRID" % ("BINARY big-endian" if binary
                                                         else "ASCII"),
            "meshio.write(file_format='vtk', binary=%s)" % binary,
            "meshio " + meshio.__version__, r.points, r.cells_dict["triangle"], arrays, None,
            ["meshio writes DATASET UNSTRUCTURED_GRID (never POLYDATA): `CELLS 81 240`, "
             "`OFFSETS vtktypeint64`, `CONNECTIVITY vtktypeint64`, `CELL_TYPES 80` (all 5 = "
             "triangle)",
             "points as double; point data as `FIELD FieldData 2`: `thickness 1 42 float` and "
             "`label 1 42 vtktypeint32`; no SCALARS, so no active scalars",
             "VTK %s's vtkUnstructuredGridReader reads the points and cells exactly but "
             "rejects the array type `vtktypeint32` (\"Unsupported data type\") and loses the "
             "whole FIELD block; meshio reads everything back exactly" % VERSIONS["vtk"],
             "ASCII: full double repr, all points on one line" if not binary else
             "BINARY: big-endian blocks"],
            reader="meshio.read (VTK's vtkUnstructuredGridReader agrees on points and cells)")


# ---------------------------------------------------------------------------------------------


def to_json(x, indent=0):
    """JSON with one key per line, but every list of numbers (or of lists of numbers) on one
    line, so that the file stays small and diffs stay readable."""
    def flat(v):
        return not isinstance(v, (dict, list)) or (
            isinstance(v, list) and all(not isinstance(e, (dict, list)) or
                                        (isinstance(e, list) and flat(e)) for e in v)
            and not any(isinstance(e, str) for e in v))
    pad = " " * (indent + 1)
    if isinstance(x, dict):
        if not x:
            return "{}"
        items = ["%s%s: %s" % (pad, json.dumps(k), to_json(v, indent + 1)) for k, v in x.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(x, list) and not flat(x):
        items = [pad + to_json(v, indent + 1) for v in x]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(x, separators=(",", ":"))


README = """\
# Mesh test files

Everything here is **generated** by `tests/data/make_meshes.py` (trimesh {trimesh},
meshio {meshio}, VTK {vtk}, numpy {numpy}); no third-party data. The geometry is
trimesh's `icosphere(subdivisions=1)` scaled to radius 2 mm at (-30, -90, 5) ("implant", 42
vertices, 80 triangles) and `cylinder(radius=0.5, height=4, sections=12)` at (-26, -90, 5)
("lead", 26 vertices, 48 triangles); `quads.obj` is written by hand in the script.

* OBJ: `implant.obj` (trimesh, with `vn`, `f a//a`), `lead.obj` (trimesh, `f a b c`),
  `quads.obj` (by hand: quads, a pentagon, `v/vt/vn` forms, negative indices, `o`/`g`/`s`,
  two objects; expected triangles are each polygon's fan in file order).
* PLY: `implant_ascii.ply`, `implant_bin.ply` (trimesh: float xyz, uchar red green blue alpha,
  float thickness), `implant_be.ply` (binary_big_endian, by hand with numpy),
  `implant_meshio.ply` (meshio: double xyz, `uint8`/`int32` type names; the time stamp in its
  comment is fixed by the script).
* STL: `implant_ascii.stl`, `implant_bin.stl`, `lead_bin.stl` (trimesh). STL has no shared
  vertices: `expected.json` gives the unmerged reading (3 vertices per facet) as
  `vertices`/`faces`, and merged readings under `merged` (trimesh's order) and
  `merged_first_occurrence`.
* Legacy VTK: `implant.vtk` / `implant_bin.vtk` (4.2 POLYDATA, POLYGONS, two SCALARS
  sections; by hand, read back by VTK), `implant_vtk42.vtk`, `implant_vtk51.vtk`,
  `implant_vtk51_bin.vtk` (VTK's vtkPolyDataWriter; 5.1 uses OFFSETS/CONNECTIVITY; extra
  arrays as FIELD), `implant_meshio.vtk` / `implant_meshio_bin.vtk` (meshio: 5.1
  UNSTRUCTURED_GRID with FIELD data — meshio cannot write or read POLYDATA).
* `expected.json` — what the reference readers read back from each file (trimesh.load(f,
  process=False) for OBJ/PLY/STL, VTK's vtkPolyDataReader for the POLYDATA files, meshio for
  meshio's VTK files; the other library cross-checks where it can), vertices
  rounded to 6 decimals, 0-based triangles, point data, writer versions, header lines and notes.
  Never edited by hand: rerun the script.

To regenerate (from the repository root):

    python -m venv /tmp/venv
    /tmp/venv/bin/pip install trimesh=={trimesh} meshio=={meshio} vtk=={vtk}
    /tmp/venv/bin/python tests/data/make_meshes.py
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    implant = implant_mesh()
    lead = lead_mesh()
    thickness, rgb, label = implant_data(implant)

    make_obj(implant, lead)
    make_quads_obj()
    make_ply(implant, thickness, rgb)
    make_stl(implant, lead)
    make_vtk(implant, thickness, label)

    for name in expected:
        assert size(name) < 30 * 1024, (name, size(name))

    doc = {
        "generator": "tests/data/make_meshes.py",
        "versions": VERSIONS,
        "geometry": {
            "implant": "trimesh.creation.icosphere(subdivisions=1, radius=2.0) translated to "
                       "(-30, -90, 5); 42 vertices, 80 faces",
            "lead": "trimesh.creation.cylinder(radius=0.5, height=4.0, sections=12) translated "
                    "to (-26, -90, 5); 26 vertices, 48 faces",
            "implant_point_data": "thickness = 1 + (z - zmin)/(zmax - zmin) as float32; "
                                  "red/green/blue = round(255 * (x|y|z - min)/(max - min)) as "
                                  "uint8 (alpha 255); label = vertex index mod 5 as int32",
        },
        "files": expected,
    }
    with open(path("expected.json"), "w") as f:
        f.write(to_json(doc) + "\n")
    with open(path("README.md"), "w") as f:
        f.write(README.format(**VERSIONS))
    for name in sorted(expected) + ["expected.json", "README.md"]:
        print("%8d  %s" % (size(name), name))


if __name__ == "__main__":
    main()
