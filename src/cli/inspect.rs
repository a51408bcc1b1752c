//! `cortexplorer inspect FILE [--json]`: what a file holds, as nibabel would describe it.

use serde_json::{Value, json};

use crate::brain::Stats;
use crate::io::{Content, Loaded};

/// JSON description of a loaded file. Keys are part of the CLI contract (see README).
pub fn describe(l: &Loaded) -> Value {
    let mut v = json!({
        "file": l.source.display(),
        "kind": l.content.kind(),
        "format": l.format.name(),
    });
    let m = v.as_object_mut().unwrap();
    if let Some(h) = l.hemisphere {
        m.insert("hemisphere".into(), json!(h));
    }
    match &l.content {
        Content::Surface(s) => {
            let (lo, hi) = s.bbox();
            m.insert("vertices".into(), json!(s.vertices.len()));
            m.insert("faces".into(), json!(s.faces.len()));
            m.insert("bbox_min".into(), json!(lo));
            m.insert("bbox_max".into(), json!(hi));
            if let Some(k) = l.surface_kind {
                m.insert("surface_kind".into(), json!(k));
            }
        }
        Content::Overlay(o) => {
            let st = o.stats();
            m.insert("values".into(), json!(o.n_vertices));
            m.insert("frames".into(), json!(o.n_frames));
            insert_stats(m, &st);
            if let Some(tr) = o.tr_seconds {
                m.insert("tr_seconds".into(), json!(tr));
            }
            if let Some(t0) = o.t0_seconds {
                m.insert("t0_seconds".into(), json!(t0));
            }
        }
        Content::Labels(lb) => {
            let counts = lb.counts();
            m.insert("vertices".into(), json!(lb.len()));
            m.insert(
                "regions".into(),
                Value::Array(
                    lb.regions
                        .iter()
                        .zip(counts)
                        .map(|(r, c)| json!({"name": r.name, "index": r.index, "rgba": r.rgba, "count": c}))
                        .collect(),
                ),
            );
            m.insert(
                "unlabelled".into(),
                json!(lb.region_of.iter().filter(|&&r| r < 0).count()),
            );
        }
        Content::Vessels(g) => {
            let st = g.stats();
            m.insert("nodes".into(), json!(st.nodes));
            m.insert("edges".into(), json!(st.edges));
            m.insert("components".into(), json!(st.components));
            m.insert("total_length_mm".into(), json!(st.total_length_mm));
            m.insert(
                "radius_mm".into(),
                json!({"min": st.radius_min, "max": st.radius_max, "mean": st.radius_mean}),
            );
            m.insert("bbox_min".into(), json!(st.bbox_min));
            m.insert("bbox_max".into(), json!(st.bbox_max));
            m.insert("degree_counts".into(), json!(st.degree_counts));
            m.insert(
                "edge_attributes".into(),
                json!(g.attributes.iter().map(|(n, _)| n).collect::<Vec<_>>()),
            );
        }
        Content::Captions(t) => {
            use crate::io::captions::CaptionKey;
            m.insert("rows".into(), json!(t.rows.len()));
            let voxels = t
                .rows
                .iter()
                .filter(|r| matches!(r.key, CaptionKey::Voxel(_)))
                .count();
            m.insert(
                "keys".into(),
                json!(if voxels > 0 { "voxel" } else { "vertex" }),
            );
            m.insert(
                "scored".into(),
                json!(t.rows.iter().filter(|r| r.score.is_some()).count()),
            );
        }
        Content::Categories(names) => {
            m.insert("categories".into(), json!(names));
        }
        Content::RegionMatrix(r) => {
            m.insert("regions".into(), json!(r.n()));
            m.insert("frames".into(), json!(r.frames()));
            insert_stats(m, &Stats::of(r.data.as_slice().expect("standard layout")));
        }
        Content::Nodes(n) => {
            m.insert("nodes".into(), json!(n.names.len()));
            m.insert("names".into(), json!(n.names));
        }
        Content::RoutingWeights(w) => {
            m.insert(
                "shape".into(),
                json!([w.n_images(), w.n_queries(), w.height(), w.width()]),
            );
        }
        Content::Picture(p) => {
            m.insert("thumbnail".into(), json!([p.width, p.height]));
            m.insert("gallery_key".into(), json!(p.key));
        }
        Content::Cifti(c) => describe_cifti(m, c),
        Content::SourceEstimate(se) => {
            m.insert("sources".into(), json!(se.vertices.len()));
            m.insert("times".into(), json!(se.n_times()));
            m.insert("tmin_s".into(), json!(se.tmin));
            m.insert("tstep_s".into(), json!(se.tstep));
            m.insert(
                "max_vertex".into(),
                json!(se.vertices.iter().max().copied().unwrap_or(0)),
            );
            insert_stats(m, &Stats::of(se.data.as_slice().unwrap_or(&[])));
        }
        Content::Tracts(t) => {
            let st = t.stats();
            m.insert("streamlines".into(), json!(st.streamlines));
            m.insert("points".into(), json!(st.points));
            m.insert(
                "length_mm".into(),
                json!({"min": st.length_mm_min, "median": st.length_mm_median,
                       "mean": st.length_mm_mean, "max": st.length_mm_max}),
            );
            m.insert("bbox_min".into(), json!(st.bbox_min));
            m.insert("bbox_max".into(), json!(st.bbox_max));
            let names =
                |v: &[(String, Vec<f32>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            m.insert("point_values".into(), json!(names(&t.point_data)));
            m.insert("streamline_values".into(), json!(names(&t.streamline_data)));
            if !t.groups.is_empty() {
                // TRX groups: members per group, and the group's own values
                let groups: serde_json::Map<String, Value> = t
                    .groups
                    .iter()
                    .map(|(g, members)| {
                        let data: serde_json::Map<String, Value> = t
                            .group_data
                            .iter()
                            .filter(|(gg, _, _)| gg == g)
                            .map(|(_, n, v)| (n.clone(), json!(v)))
                            .collect();
                        (
                            g.clone(),
                            json!({"streamlines": members.len(), "values": data}),
                        )
                    })
                    .collect();
                m.insert("groups".into(), Value::Object(groups));
            }
            if let Some((affine, dims)) = &t.reference {
                m.insert("reference_affine".into(), json!(affine));
                m.insert("reference_dims".into(), json!(dims));
            }
        }
        Content::Recording(r) => {
            m.insert("channels".into(), json!(r.signals.len()));
            m.insert(
                "channel_names".into(),
                json!(r.signals.iter().map(|c| &c.name).collect::<Vec<_>>()),
            );
            m.insert(
                "sampling_hz".into(),
                json!(r.signals.iter().map(|c| c.sampling_hz).collect::<Vec<_>>()),
            );
            m.insert(
                "units".into(),
                json!(r.signals.iter().map(|c| &c.unit).collect::<Vec<_>>()),
            );
            m.insert("duration_s".into(), json!(r.duration_s()));
            m.insert("start".into(), json!(r.start));
        }
        Content::Mesh(mesh) => {
            let s = &mesh.surface;
            let (lo, hi) = s.bbox();
            m.insert("vertices".into(), json!(s.vertices.len()));
            m.insert("faces".into(), json!(s.faces.len()));
            m.insert("bbox_min".into(), json!(lo));
            m.insert("bbox_max".into(), json!(hi));
            m.insert(
                "point_values".into(),
                json!(mesh.point_data.iter().map(|(n, _)| n).collect::<Vec<_>>()),
            );
        }
        Content::Volume(vol) => {
            m.insert("dims".into(), json!(vol.shape));
            m.insert("voxel_size_mm".into(), json!(vol.voxel_size_mm));
            m.insert("affine".into(), json!(vol.affine));
            m.insert("dtype".into(), json!(vol.dtype));
            insert_stats(m, &Stats::of(vol.values()));
            if let Some(tr) = vol.tr_seconds {
                m.insert("tr_seconds".into(), json!(tr));
            }
        }
    }
    v
}

/// A CIFTI-2 file: `cifti_kind` (dscalar, dtseries, dlabel, pscalar, ptseries, dconn, …),
/// `intent`, `shape` (dimension 0, dimension 1), `axes` (per dimension: its kind, length and
/// what it holds — brain models with structure, type, offset, count and surface vertices;
/// map names; label maps with their label counts; series start, step and unit; parcel
/// names), and the value statistics of a loaded matrix.
fn describe_cifti(m: &mut serde_json::Map<String, Value>, c: &crate::io::cifti::Cifti) {
    use crate::io::cifti::{Axis, ModelKind};
    m.insert("cifti_kind".into(), json!(c.kind()));
    m.insert("intent".into(), json!(c.intent_name()));
    m.insert("shape".into(), json!(c.data.shape()));
    let axes: Vec<Value> = c
        .axes
        .iter()
        .map(|ax| {
            let mut a = json!({"kind": ax.kind(), "length": ax.len()});
            let o = a.as_object_mut().unwrap();
            match ax {
                Axis::BrainModels(b) => {
                    let models: Vec<Value> = b
                        .models
                        .iter()
                        .map(|md| match &md.kind {
                            ModelKind::Surface { n_vertices, .. } => json!({
                                "structure": md.structure, "type": "surface",
                                "offset": md.offset, "count": md.count,
                                "surface_vertices": n_vertices,
                            }),
                            ModelKind::Voxels(_) => json!({
                                "structure": md.structure, "type": "voxels",
                                "offset": md.offset, "count": md.count,
                            }),
                        })
                        .collect();
                    o.insert("models".into(), json!(models));
                    if let Some(v) = &b.volume {
                        o.insert("volume_dims".into(), json!(v.dims));
                    }
                }
                Axis::Scalars(names) => {
                    o.insert("names".into(), json!(names));
                }
                Axis::Labels(maps) => {
                    o.insert(
                        "maps".into(),
                        json!(
                            maps.iter()
                                .map(|l| json!({"name": l.name, "labels": l.table.len()}))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                Axis::Series(sr) => {
                    let (start, step) = sr.si();
                    o.insert("start".into(), json!(start));
                    o.insert("step".into(), json!(step));
                    o.insert("unit".into(), json!(sr.unit));
                }
                Axis::Parcels(p) => {
                    o.insert(
                        "names".into(),
                        json!(p.parcels.iter().map(|x| &x.name).collect::<Vec<_>>()),
                    );
                }
            }
            a
        })
        .collect();
    m.insert("axes".into(), json!(axes));
    match c.dense() {
        Some(d) => insert_stats(m, &Stats::of(d.as_slice_memory_order().unwrap_or(&[]))),
        None => {
            m.insert("lazy".into(), json!(true));
        }
    }
}

fn insert_stats(m: &mut serde_json::Map<String, Value>, st: &Stats) {
    let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    m.insert("min".into(), num(st.min));
    m.insert("max".into(), num(st.max));
    m.insert("mean".into(), num(st.mean));
    m.insert("non_finite".into(), json!(st.non_finite));
}

/// A short human-readable summary (the non-JSON output).
pub fn summary(v: &Value) -> String {
    let mut out = String::new();
    if let Some(m) = v.as_object() {
        for (k, val) in m {
            if k == "regions" {
                let regions = val.as_array().map(|a| a.len()).unwrap_or(0);
                out.push_str(&format!("{k:>14}: {regions} (use --json for the list)\n"));
            } else {
                out.push_str(&format!("{k:>14}: {}\n", val));
            }
        }
    }
    out
}
