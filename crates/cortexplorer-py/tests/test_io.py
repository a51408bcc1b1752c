"""Readers against nibabel on the repository's real test files (the files the Rust reader
tests use), and the errors of bad input."""

from __future__ import annotations

import gzip
import shutil

import nibabel as nib
import numpy as np
import pytest
from nibabel.freesurfer import io as fsio

import cortexplorer as cx


def test_read_geometry_matches_nibabel(data):
    v, f = cx.io.read_geometry(data / "freesurfer" / "lh.white")
    nv, nf = fsio.read_geometry(str(data / "freesurfer" / "lh.white"))
    assert v.dtype == np.float32 and f.dtype == np.int32
    np.testing.assert_array_equal(v.astype(np.float64), nv)
    np.testing.assert_array_equal(f, nf)



def test_read_morph_data_matches_nibabel(data):
    a = cx.io.read_morph_data(data / "freesurfer" / "lh.thickness")
    b = fsio.read_morph_data(str(data / "freesurfer" / "lh.thickness"))
    np.testing.assert_array_equal(a, b)


def test_read_annot_matches_nibabel(data, tmp_path):
    plain = tmp_path / "rh.aparc.annot"
    with gzip.open(data / "freesurfer" / "rh.aparc.annot.gz", "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    labels, ctab, names = cx.io.read_annot(plain)
    nl, nc, nn = fsio.read_annot(str(plain))
    np.testing.assert_array_equal(labels, nl)
    np.testing.assert_array_equal(ctab, nc)
    assert names == nn
    # the compressed file reads the same
    labels_gz, _, _ = cx.io.read_annot(data / "freesurfer" / "rh.aparc.annot.gz")
    np.testing.assert_array_equal(labels_gz, nl)


def test_read_label_matches_nibabel(data):
    a = cx.io.read_label(data / "freesurfer" / "lh.sample.label")
    b = fsio.read_label(str(data / "freesurfer" / "lh.sample.label"))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "name", ["anatomical.nii", "functional.nii", "example4d.nii.gz", "example_nifti2.nii.gz", "standard.nii.gz", "test.mgz"]
)
def test_volumes_match_nibabel(data, name):
    img = cx.io.load(data / "nibabel" / name)
    ref = nib.load(str(data / "nibabel" / name))
    assert img.shape == ref.shape
    np.testing.assert_allclose(img.affine, ref.affine, rtol=0, atol=1e-5)
    np.testing.assert_allclose(img.get_fdata(), ref.get_fdata(dtype=np.float32), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["ascii.gii", "base64bin.gii", "gzipbase64.gii", "external.gii", "task.func.gii", "rh.aparc.annot.gii"])
def test_gifti_matches_nibabel(data, name):
    g = cx.io.load(data / "nibabel" / name)
    ref = nib.load(str(data / "nibabel" / name))
    assert [a.intent for a in g.darrays] == [nib.nifti1.intent_codes.niistring[a.intent] for a in ref.darrays]
    for mine, theirs in zip(g.darrays, ref.darrays):
        np.testing.assert_array_equal(mine.data, theirs.data)
    a, b = g.agg_data(), ref.agg_data()
    if isinstance(b, tuple):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    else:
        np.testing.assert_array_equal(a, b)


def test_agg_data_by_intent_as_nibabel(data):
    g = cx.io.load(data / "nibabel" / "ascii.gii")
    ref = nib.load(str(data / "nibabel" / "ascii.gii"))
    for intent in ("pointset", "NIFTI_INTENT_TRIANGLE", "time series", ("pointset", "triangle")):
        a, b = g.agg_data(intent), ref.agg_data(intent)
        if isinstance(b, tuple):
            assert isinstance(a, tuple) and len(a) == len(b)
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_array_equal(a, b)
    f = cx.io.load(data / "nibabel" / "task.func.gii").agg_data("time series")
    assert f.shape == nib.load(str(data / "nibabel" / "task.func.gii")).agg_data("time series").shape


def test_annot_index_outside_its_table(tmp_path):
    import struct

    def annot(index, max_index):
        b = struct.pack(">iii", 1, 0, 0x0A0B0C) + struct.pack(">iii", 1, -2, max_index)
        b += struct.pack(">i", 2) + b"x\0" + struct.pack(">ii", 1, index) + struct.pack(">i", 2) + b"r\0"
        return b + struct.pack(">iiii", 0x0C, 0x0B, 0x0A, 0)

    good = tmp_path / "good.annot"
    good.write_bytes(annot(3, 4))
    labels, ctab, names = cx.io.read_annot(good)
    assert labels.tolist() == [3] and ctab.shape == (4, 5) and names == [b"r"]
    for i, (index, max_index) in enumerate([(300_000_000, 4), (-5, 4)]):
        bad = tmp_path / f"bad{i}.annot"
        bad.write_bytes(annot(index, max_index))
        with pytest.raises(cx.FormatError, match="outside the table"):
            cx.io.read_annot(bad)


def test_arrays_are_not_copied(data):
    v, _ = cx.io.read_geometry(data / "freesurfer" / "lh.white")
    # numpy does not own the buffer: it is the Rust reader's, handed over
    assert not v.flags["OWNDATA"] and v.base is not None


def test_vessel_distance(tmp_path):
    nodes = tmp_path / "g_nodes.csv"
    edges = tmp_path / "g_edges.csv"
    nodes.write_text("id;pos_x;pos_y;pos_z\n0;0;0;0\n1;10;0;0\n")
    edges.write_text("id;node1id;node2id;avgRadiusAvg\n0;0;1;1.0\n")
    g = cx.io.load_vessels(nodes)
    d = g.distance(np.array([[5.0, 3.0, 0.0], [5.0, 0.5, 0.0], [-4.0, 0.0, 0.0]]))
    np.testing.assert_allclose(d, [2.0, -0.5, 3.0], atol=1e-5)
    # lists and integer arrays are numbers too
    np.testing.assert_allclose(g.distance([[5, 3, 0]]), [2.0], atol=1e-5)
    np.testing.assert_allclose(g.distance(np.array([[5, 3, 0]], dtype=np.int64)), [2.0], atol=1e-5)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        g.distance([[1.0, 2.0]])
    assert len(g) == 1


def test_truncated_gifti_is_a_format_error(data, tmp_path):
    bad = tmp_path / "cut.gii"
    bad.write_bytes((data / "nibabel" / "ascii.gii").read_bytes()[:300])
    with pytest.raises(cx.FormatError) as e:
        cx.io.load(bad)
    msg = str(e.value)
    assert "cut.gii" in msg and "\n" not in msg
    assert isinstance(e.value, ValueError)


def test_missing_and_wrong_files(data, tmp_path):
    with pytest.raises(cx.FormatError, match="nothing-here"):
        cx.io.read_geometry(tmp_path / "nothing-here")
    with pytest.raises(cx.FormatError, match="not a surface"):
        cx.io.read_geometry(data / "freesurfer" / "lh.thickness")
    junk = tmp_path / "lh.curv"
    junk.write_bytes(b"\xff\xff\xff\x00\x00")
    with pytest.raises(cx.FormatError, match="lh.curv"):
        cx.io.read_morph_data(junk)


def test_subject_folder_without_surfaces(tmp_path):
    (tmp_path / "surf").mkdir()
    with pytest.raises(cx.FormatError) as e:
        cx.Subject.from_freesurfer(tmp_path)
    assert str(tmp_path) in str(e.value) or "surf" in str(e.value)
    with pytest.raises(cx.FormatError, match="not a folder"):
        cx.Subject.from_freesurfer(tmp_path / "absent")


def test_fsaverage5_subject():
    s = cx.Subject.fsaverage5()
    assert s.hemispheres == ["lh", "rh"]
    v, f = s.surface("lh", "pial")
    assert v.shape == (10242, 3) and f.shape == (20480, 3)
    assert set(s.retinotopy) == {"lh", "rh"} and "template" in s.retinotopy["lh"]
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(s.scanner_ras(p), p)  # no scanner transform
    with pytest.raises(ValueError, match="no \"bent\" surface"):
        s.surface("lh", "bent")


def test_other_kinds_as_their_reference_readers(data):
    import json

    # tractography: trx-python's reading of small32.trx (points in RAS mm, groups)
    tex = json.loads((data / "tracts" / "expected.json").read_text())["files"]["small32.trx"]
    t = cx.io.load(data / "tracts" / "small32.trx")
    assert t["kind"] == "tractogram" and len(t["offsets"]) == tex["nb_streamlines"] + 1
    assert np.diff(t["offsets"]).tolist() == tex["lengths"]
    first = np.asarray(tex["points_rasmm"][0])
    np.testing.assert_allclose(t["points"][: len(first)], first, atol=1e-5)
    assert t["groups"]["bundle_a"].tolist() == tex["groups"]["bundle_a"]
    assert t["data_per_streamline"]["group bundle_a"].tolist() == [1, 0, 1, 1, 0, 0]
    # MNE source estimate: MNE's layout (n_vertices, n_times), tmin/tstep, sampled values
    sex = json.loads((data / "mne" / "expected.json").read_text())["ico5-lh.stc"]
    e = cx.io.load(data / "mne" / "ico5-lh.stc")
    assert e["data"].shape == (sex["n_vertices"], sex["times"])
    assert e["tmin"] == pytest.approx(sex["tmin"]) and e["tstep"] == pytest.approx(sex["tstep"])
    for v, k, value in sex["samples"]:
        assert e["data"][v, k] == pytest.approx(value, rel=1e-6)
    # a mesh (an implant model): the same triangles as the reference reader (vertex order may
    # differ: the OBJ reader merges its index streams)
    mex = json.loads((data / "meshes" / "expected.json").read_text())["files"]["implant.obj"]
    m = cx.io.load(data / "meshes" / "implant.obj")

    def triangles(v, f):
        tri = np.round(np.asarray(v, dtype=np.float64)[np.asarray(f)], 4)  # (m, 3, 3)
        return sorted(tuple(map(tuple, sorted(map(tuple, t)))) for t in tri)

    assert triangles(m["coords"], m["faces"]) == triangles(mex["vertices"], mex["faces"])
    # CIFTI-2: nibabel's get_fdata()
    for name in ("test.dscalar.nii", "test.dtseries.nii", "test.pscalar.nii"):
        c = cx.io.load(data / "cifti" / name)
        ref = nib.load(str(data / "cifti" / name)).get_fdata()
        assert tuple(c["shape"]) == ref.shape
        np.testing.assert_allclose(c["data"], ref, rtol=1e-6, atol=1e-6)
    # a recording (BIDS iEEG EDF): channels with their rates and samples
    edf = data / "ieeg" / "bids" / "sub-01" / "ses-01" / "ieeg" / "sub-01_ses-01_task-rest_run-01_ieeg.edf"
    r = cx.io.load(edf)
    assert r["kind"] == "recording" and len(r["channels"]) > 0
    ch = r["channels"][0]
    assert ch["sampling_hz"] > 0 and ch["data"].dtype == np.float32 and ch["data"].size > 0
