//! The CIFTI-2 reader against nibabel 5.4.2 on files nibabel wrote
//! (`tests/data/cifti/`, made with `tests/data/make_cifti.py`, and nibabel's own
//! `row_major.dconn.nii`): values per grayordinate and parcel, axes, label tables, series
//! timing; the scatter onto vertices and voxels; and refusals of bad files.

use std::path::{Path, PathBuf};

use cortexplorer_formats::cifti::{Axis, Matrix, ModelKind};
use cortexplorer_formats::{Content, Format, Hemisphere, Limits, Source, load, load_source};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/cifti")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap()
}

fn cifti(name: &str) -> cortexplorer_formats::cifti::Cifti {
    let l = load(&dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.format, Format::Cifti2, "{name}: format");
    match l.content {
        Content::Cifti(c) => *c,
        other => panic!("{name}: read as {}", other.kind()),
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn ijks(v: &Value) -> Vec<[u32; 3]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let r = u32s(r);
            [r[0], r[1], r[2]]
        })
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: cortexplorer {a} vs nibabel {b}"
    );
}

fn check_axis(ax: &Axis, e: &Value, what: &str) {
    assert_eq!(ax.kind(), e["kind"].as_str().unwrap(), "{what}: kind");
    match ax {
        Axis::BrainModels(b) => {
            let models = e["models"].as_array().unwrap();
            assert_eq!(b.models.len(), models.len(), "{what}: models");
            for (m, em) in b.models.iter().zip(models) {
                assert_eq!(m.structure, em["structure"].as_str().unwrap());
                assert_eq!(m.offset as u64, em["offset"].as_u64().unwrap());
                assert_eq!(m.count as u64, em["count"].as_u64().unwrap());
                match &m.kind {
                    ModelKind::Surface {
                        n_vertices,
                        vertices,
                    } => {
                        assert_eq!(em["type"], "surface");
                        assert_eq!(*n_vertices as u64, em["n_vertices"].as_u64().unwrap());
                        assert_eq!(vertices, &u32s(&em["vertices"]), "{what}: vertices");
                    }
                    ModelKind::Voxels(v) => {
                        assert_eq!(em["type"], "voxels");
                        assert_eq!(v, &ijks(&em["ijk"]), "{what}: voxels");
                    }
                }
            }
            check_volume(&b.volume, e, what);
        }
        Axis::Scalars(names) => {
            let want: Vec<&str> = e["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            assert_eq!(names, &want, "{what}: map names");
        }
        Axis::Labels(maps) => {
            let names = e["names"].as_array().unwrap();
            let tables = e["tables"].as_array().unwrap();
            assert_eq!(maps.len(), names.len());
            for ((m, n), t) in maps.iter().zip(names).zip(tables) {
                assert_eq!(m.name, n.as_str().unwrap());
                let t = t.as_object().unwrap();
                assert_eq!(m.table.len(), t.len(), "{what}: table size");
                for entry in &m.table {
                    let want = &t[&entry.key.to_string()];
                    assert_eq!(entry.name, want[0].as_str().unwrap());
                    for (got, want) in entry.rgba.iter().zip(f64s(&want[1])) {
                        close(*got as f64, want, &format!("{what}: colour"));
                    }
                }
            }
        }
        Axis::Series(s) => {
            assert_eq!(s.length as u64, e["length"].as_u64().unwrap());
            let (start, step) = s.si();
            close(start, e["start"].as_f64().unwrap(), "series start");
            close(step, e["step"].as_f64().unwrap(), "series step");
            assert!(
                s.unit.eq_ignore_ascii_case(e["unit"].as_str().unwrap()),
                "{what}: unit"
            );
        }
        Axis::Parcels(p) => {
            let ps = e["parcels"].as_array().unwrap();
            assert_eq!(p.parcels.len(), ps.len());
            for (parcel, ep) in p.parcels.iter().zip(ps) {
                assert_eq!(parcel.name, ep["name"].as_str().unwrap());
                assert_eq!(parcel.voxels, ijks(&ep["ijk"]), "{what}: parcel voxels");
                let ev = ep["vertices"].as_object().unwrap();
                assert_eq!(parcel.vertices.len(), ev.len());
                for (s, v) in &parcel.vertices {
                    assert_eq!(v, &u32s(&ev[s]), "{what}: parcel vertices");
                }
            }
            for (s, n) in &p.surfaces {
                assert_eq!(*n as u64, e["n_vertices"][s].as_u64().unwrap());
            }
            check_volume(&p.volume, e, what);
        }
    }
}

fn check_volume(v: &Option<cortexplorer_formats::cifti::VolumeSpace>, e: &Value, what: &str) {
    match (v, e.get("volume_shape")) {
        (Some(v), Some(shape)) => {
            assert_eq!(
                v.dims.to_vec(),
                u32s(shape).iter().map(|&x| x as usize).collect::<Vec<_>>()
            );
            let a = e["affine"].as_array().unwrap();
            for (got, want) in v.affine.iter().zip(a) {
                for (g, w) in got.iter().zip(f64s(want)) {
                    close(*g, w, &format!("{what}: affine"));
                }
            }
        }
        (None, None) => {}
        (v, s) => panic!("{what}: volume {v:?} vs nibabel {s:?}"),
    }
}

#[test]
fn every_cifti_kind_matches_nibabel() {
    let exp = expected();
    let files = exp.as_object().unwrap();
    assert!(files.len() >= 7, "the reference has every kind");
    for (name, e) in files {
        let c = cifti(name);
        assert_eq!(
            c.intent_code as u64,
            e["intent"].as_u64().unwrap(),
            "{name}: intent"
        );
        let shape: Vec<usize> = u32s(&e["shape"]).iter().map(|&x| x as usize).collect();
        assert_eq!(c.data.shape().to_vec(), shape, "{name}: shape");
        for k in 0..2 {
            check_axis(&c.axes[k], &e["axes"][k], &format!("{name} axis {k}"));
        }
        let rows = e["data"].as_array().unwrap();
        match &c.data {
            Matrix::Dense(a) => {
                for (i, r) in rows.iter().enumerate() {
                    for (j, v) in f64s(r).into_iter().enumerate() {
                        close(a[[i, j]] as f64, v, &format!("{name}[{i}, {j}]"));
                    }
                }
            }
            Matrix::Lazy(l) => {
                // a connectome: every column (one read) and every row (strided) as nibabel
                for j in 0..shape[1] {
                    let col = l.column(j).unwrap();
                    for (i, r) in rows.iter().enumerate() {
                        close(
                            col[i] as f64,
                            r[j].as_f64().unwrap(),
                            &format!("{name}[{i}, {j}]"),
                        );
                    }
                }
                for (i, r) in rows.iter().enumerate() {
                    let row = l.row(i).unwrap();
                    for (j, v) in f64s(r).into_iter().enumerate() {
                        close(row[j] as f64, v, &format!("{name} row {i}"));
                    }
                }
                assert!(l.column(shape[1]).is_err() && l.row(shape[0]).is_err());
            }
        }
        eprintln!("{name}: {} {:?} matches nibabel", c.kind(), shape);
    }
}

#[test]
fn dense_files_scatter_onto_vertices_and_voxels() {
    let e = expected();
    let c = cifti("test.dscalar.nii");
    assert_eq!(c.kind(), "dscalar");
    assert_eq!(c.hemispheres(), vec![Hemisphere::Left, Hemisphere::Right]);
    let data = &e["test.dscalar.nii"]["data"];
    let left = c.surface_overlay(Hemisphere::Left).unwrap();
    assert_eq!((left.n_vertices, left.n_frames), (12, 2));
    // the model covers vertices 0,1,2,4,5,6,8,9,10,11 (grayordinates 0..9): 3 and 7 no data
    let model = [0usize, 1, 2, 4, 5, 6, 8, 9, 10, 11];
    for f in 0..2 {
        for (g, &v) in model.iter().enumerate() {
            close(
                left.frame(f)[v] as f64,
                data[f][g].as_f64().unwrap(),
                "left vertex",
            );
        }
        assert!(left.frame(f)[3].is_nan() && left.frame(f)[7].is_nan());
    }
    let right = c.surface_overlay(Hemisphere::Right).unwrap();
    close(
        right.frame(1)[7] as f64,
        data[1][17].as_f64().unwrap(),
        "right vertex 7",
    );
    let vol = c.volume().unwrap();
    assert_eq!(vol.shape, vec![4, 5, 3, 2]);
    // voxel (3, 4, 2) is grayordinate 22 (nibabel orders voxels i-fastest? no: as listed)
    let ijk = e["test.dscalar.nii"]["axes"][1]["models"][2]["ijk"]
        .as_array()
        .unwrap()
        .clone();
    for (k, v) in ijk.iter().enumerate() {
        let v = u32s(v);
        let got = vol.data[[v[0] as usize, v[1] as usize, v[2] as usize, 1]];
        close(got as f64, data[1][18 + k].as_f64().unwrap(), "voxel");
    }
    assert!(
        vol.data[[1, 1, 1, 0]].is_nan(),
        "outside the voxel model: no data"
    );
    close(vol.affine[0][3], -4.0, "affine");

    // a series: real time from its step
    let t = cifti("test.dtseries.nii");
    assert_eq!(t.kind(), "dtseries");
    let o = t.surface_overlay(Hemisphere::Left).unwrap();
    assert_eq!(o.n_frames, 6);
    assert_eq!(o.tr_seconds, Some(0.72));

    // labels: names and colours from the table, vertices outside the model in no region
    let l = cifti("test.dlabel.nii");
    let lab = l.surface_labels(Hemisphere::Left, 1).unwrap();
    assert_eq!(lab.region_of.len(), 12);
    assert_eq!(lab.region_of[3], -1);
    let names: Vec<&str> = lab.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["???", "MT", "FFA"]);
    assert_eq!(lab.regions[2].rgba, [128, 64, 255, 204]);
    let key = e["test.dlabel.nii"]["data"][1][0].as_f64().unwrap() as i32;
    assert_eq!(lab.regions[lab.region_of[0] as usize].index, key);

    // parcels: every vertex of a parcel gets the parcel's value
    let p = cifti("test.pscalar.nii");
    assert_eq!(p.kind(), "pscalar");
    let o = p.surface_overlay(Hemisphere::Left).unwrap();
    let a = e["test.pscalar.nii"]["data"][0][0].as_f64().unwrap();
    let cc = e["test.pscalar.nii"]["data"][0][2].as_f64().unwrap();
    for v in [0, 1, 2, 4] {
        close(o.frame(0)[v] as f64, a, "parcel A");
    }
    for v in [8, 9, 10, 11] {
        close(o.frame(0)[v] as f64, cc, "parcel C");
    }
    assert!(o.frame(0)[3].is_nan() && o.frame(0)[5].is_nan());
    let vol = p.volume().unwrap();
    close(
        vol.data[[1, 2, 0, 1]] as f64,
        e["test.pscalar.nii"]["data"][1][1].as_f64().unwrap(),
        "parcel B voxel",
    );
    let pt = cifti("test.ptseries.nii");
    assert_eq!(
        pt.surface_overlay(Hemisphere::Right).unwrap().tr_seconds,
        Some(2.0)
    );

    // a connectome is not an overlay: it is read a row at a time
    let d = cifti("test.dconn.nii");
    assert_eq!(d.kind(), "dconn");
    assert!(matches!(d.data, Matrix::Lazy(_)));
    assert!(d.surface_overlay(Hemisphere::Left).is_none());
}

/// Bytes of a good file with `edit` applied.
fn edited(name: &str, edit: impl Fn(&mut Vec<u8>)) -> Result<cortexplorer_formats::Loaded, String> {
    let mut b = std::fs::read(dir().join(name)).unwrap();
    edit(&mut b);
    load_source(
        Source::Embedded {
            name: Box::leak(name.to_string().into_boxed_str()),
            bytes: Box::leak(b.into_boxed_slice()),
        },
        &Limits::default(),
    )
    .map_err(|e| e.to_string())
}

fn replace(b: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "same length keeps the offsets");
    let at = b
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from} not in the file"));
    b[at..at + from.len()].copy_from_slice(to.as_bytes());
}

#[test]
fn bad_cifti_files_are_refused_with_one_line() {
    let one_line = |r: Result<cortexplorer_formats::Loaded, String>, want: &str| {
        let e = r.expect_err("refused");
        assert!(!e.contains('\n'), "one line: {e}");
        assert!(e.contains(want), "{e:?} should say {want:?}");
    };
    // the XML cut short (its end overwritten with NULs)
    one_line(
        edited("test.dscalar.nii", |b| {
            let at = b.windows(9).position(|w| w == b"</Matrix>").unwrap();
            for x in &mut b[at..at + 20] {
                *x = 0;
            }
        }),
        "test.dscalar.nii",
    );
    one_line(
        edited("test.dscalar.nii", |b| {
            let at = b.windows(9).position(|w| w == b"</Matrix>").unwrap();
            for x in &mut b[at..at + 20] {
                *x = 0;
            }
        }),
        "ends inside",
    );
    // a brain model whose indices run past the data
    one_line(
        edited("test.dscalar.nii", |b| {
            replace(
                b,
                "IndexOffset=\"10\" IndexCount=\"8\"",
                "IndexOffset=\"10\" IndexCount=\"9\"",
            )
        }),
        "IndexCount 9",
    );
    // a vertex past its surface
    one_line(
        edited("test.dscalar.nii", |b| {
            replace(
                b,
                "SurfaceNumberOfVertices=\"12\"",
                "SurfaceNumberOfVertices=\"11\"",
            )
        }),
        "past its surface",
    );
    // a dlabel with a key missing from its table (written by nibabel)
    one_line(
        load(&dir().join("bad.missing_key.dlabel.nii")).map_err(|e| e.to_string()),
        "not a key of its label table",
    );
    // data shorter than the matrix
    one_line(
        edited("test.dtseries.nii", |b| {
            let n = b.len();
            b.truncate(n - 8)
        }),
        "needs",
    );
    // named like CIFTI without the extension: refused, never a volume
    let plain = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/nibabel/example_nifti2.nii.gz"),
    )
    .unwrap();
    let r = load_source(
        Source::Embedded {
            name: "renamed.dscalar.nii",
            bytes: Box::leak(flate2_gunzip(&plain).into_boxed_slice()),
        },
        &Limits::default(),
    );
    let e = r
        .expect_err("a .dscalar.nii without CIFTI XML is refused")
        .to_string();
    assert!(e.contains("CIFTI"), "{e}");
}

fn flate2_gunzip(b: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn a_dscalar_is_never_read_as_a_volume() {
    for f in ["test.dscalar.nii", "test.dtseries.nii", "test.dlabel.nii"] {
        let l = load(&dir().join(f)).unwrap();
        assert_eq!(l.format, Format::Cifti2, "{f}");
        assert_eq!(l.content.kind(), "cifti", "{f}");
    }
    // by intent code alone, whatever the name
    let b = std::fs::read(dir().join("test.dscalar.nii")).unwrap();
    let l = load_source(
        Source::Embedded {
            name: "maps.nii",
            bytes: Box::leak(b.into_boxed_slice()),
        },
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(l.content.kind(), "cifti");
}
