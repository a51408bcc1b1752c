//! `cortexplorer vessels generate|distance`: the vessel generator and distance queries,
//! headless. Distances are to the vessel wall (centre-line distance minus radius, negative
//! inside a vessel), in mm, exact (R-tree search, see `brain::vessels`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use crate::brain::Hemisphere;
use crate::brain::scene::Scene;
use crate::brain::vessel_gen;
use crate::brain::vessels::{VesselGraph, VesselIndex};
use crate::io;

#[derive(Subcommand)]
pub enum VesselsCommand {
    /// Generate a vessel graph: pial vasculature on a cortical surface (default: the embedded
    /// fsaverage5), or with --synthetic N a random network of N segments for benchmarks.
    Generate(GenerateArgs),
    /// Distance from points to the nearest vessel wall.
    Distance(DistanceArgs),
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Pial surface to grow vessels on (with --white); default: fsaverage5, both hemispheres.
    #[arg(long)]
    surface: Option<PathBuf>,
    /// White surface under --surface (penetrating vessels run from pial to white).
    #[arg(long, requires = "surface")]
    white: Option<PathBuf>,
    /// Sulcal depth overlay for --surface (vessels follow sulci).
    #[arg(long, requires = "surface")]
    sulc: Option<PathBuf>,
    #[arg(long, default_value_t = vessel_gen::DEFAULT_SEED)]
    seed: u64,
    /// Instead of cortical vessels: a synthetic network of exactly N segments in a cube.
    #[arg(long, conflicts_with = "surface")]
    synthetic: Option<usize>,
    /// Edge of the synthetic network's cube, mm.
    #[arg(long, default_value_t = 10.0)]
    size_mm: f32,
    /// Output: `NAME.csv`/`NAME_edges.csv` (VesselGraph CSV pair NAME_nodes.csv +
    /// NAME_edges.csv, in mm, voxel size 1) or `NAME.vtk` (legacy VTK lines).
    #[arg(long)]
    out: PathBuf,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DistanceArgs {
    /// Vessel graph (any supported format).
    #[arg(long)]
    graph: PathBuf,
    /// Voxel size for VesselGraph CSV (mm, `X,Y,Z` or one value).
    #[arg(long, value_parser = parse_voxel, default_value = "1")]
    voxel_size: [f64; 3],
    /// Points: CSV/TSV with columns x,y,z (a header is optional; extra columns are ignored).
    #[arg(long)]
    points: PathBuf,
    /// Print the result as JSON on standard output.
    #[arg(long)]
    json: bool,
}

pub fn parse_voxel(s: &str) -> Result<[f64; 3], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|_| format!("{x:?} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let v = match v[..] {
        [a] => [a, a, a],
        [a, b, c] => [a, b, c],
        _ => return Err("give one value or three (X,Y,Z)".into()),
    };
    if v.iter().all(|x| x.is_finite() && *x > 0.0) {
        Ok(v)
    } else {
        Err("voxel sizes must be positive".into())
    }
}

pub fn run(c: VesselsCommand) -> Result<(), String> {
    match c {
        VesselsCommand::Generate(a) => generate(a),
        VesselsCommand::Distance(a) => distance(a),
    }
}

fn generate(a: GenerateArgs) -> Result<(), String> {
    let t = std::time::Instant::now();
    let g = if let Some(n) = a.synthetic {
        vessel_gen::synthetic(n, a.size_mm, a.seed)
    } else {
        let mut scene = Scene::new();
        match &a.surface {
            None => {
                for l in crate::brain::fsaverage5::load().map_err(|e| e.to_string())? {
                    scene.add(l)?;
                }
            }
            Some(pial) => {
                let white = a
                    .white
                    .as_ref()
                    .ok_or("--surface needs --white (penetrating vessels run pial → white)")?;
                let mut files = vec![pial.clone(), white.clone()];
                files.extend(a.sulc.clone());
                for f in files {
                    let mut l = io::load(&f).map_err(|e| e.to_string())?;
                    // one hemisphere from the command line: the name decides, else left
                    l.hemisphere.get_or_insert(Hemisphere::Left);
                    if f == *pial {
                        l.surface_kind = Some(crate::brain::SurfaceKind::Pial);
                    } else if f == *white {
                        l.surface_kind = Some(crate::brain::SurfaceKind::White);
                    }
                    scene.add(l)?;
                }
            }
        }
        let which: Vec<Hemisphere> = scene.hemis.keys().copied().collect();
        let g = vessel_gen::for_scene(&scene, &which, a.seed);
        if g.edges.is_empty() {
            return Err("no vessels: the scene needs pial and white surfaces".into());
        }
        g
    };
    write_graph(&g, &a.out)?;
    let st = g.stats();
    if a.json {
        println!(
            "{}",
            json!({"out": a.out, "nodes": st.nodes, "edges": st.edges, "components": st.components,
                   "total_length_mm": st.total_length_mm, "seconds": t.elapsed().as_secs_f64()})
        );
    } else {
        eprintln!(
            "wrote {} nodes, {} segments ({:.1} mm of vessel) to {} in {:.2} s",
            st.nodes,
            st.edges,
            st.total_length_mm,
            a.out.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn write_graph(g: &VesselGraph, out: &Path) -> Result<(), String> {
    let name = out.to_string_lossy().to_ascii_lowercase();
    let r = if name.ends_with(".vtk") {
        std::fs::File::create(out).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            io::vtk::write_ascii(g, &mut w)?;
            std::io::Write::flush(&mut w)
        })
    } else {
        io::vesselgraph::write_pair(g, out, [1.0; 3])
    };
    r.map_err(|e| format!("{}: {e}", out.display()))
}

/// x, y, z columns of a CSV/TSV (header optional).
pub fn read_points(path: &Path) -> Result<Vec<[f32; 3]>, String> {
    let e = |m: String| format!("{}: {m}", path.display());
    let text = crate::planning::export::read_text(path)?;
    let sep = if text.lines().next().is_some_and(|l| l.contains('\t')) {
        '\t'
    } else {
        ','
    };
    let mut out = Vec::new();
    let mut cols = [0usize, 1, 2];
    for (k, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split(sep).map(str::trim).collect();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if k == 0 && f.iter().any(|x| x.parse::<f64>().is_err()) {
            let find = |n: &str| f.iter().position(|c| c.eq_ignore_ascii_case(n));
            cols = match (find("x"), find("y"), find("z")) {
                (Some(x), Some(y), Some(z)) => [x, y, z],
                _ => return Err(e(format!("header {line:?} has no x, y, z columns"))),
            };
            continue;
        }
        let mut p = [0f32; 3];
        for (i, c) in cols.iter().enumerate() {
            let v: f64 = f
                .get(*c)
                .ok_or_else(|| e(format!("line {}: too few columns", k + 1)))?
                .parse()
                .map_err(|_| e(format!("line {}: column {} is not a number", k + 1, c + 1)))?;
            if !v.is_finite() {
                return Err(e(format!("line {}: coordinate is {v}", k + 1)));
            }
            p[i] = v as f32;
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(e("no points".into()));
    }
    Ok(out)
}

fn distance(a: DistanceArgs) -> Result<(), String> {
    let loaded = io::load_source_with(
        io::Source::File(a.graph.clone()),
        &io::Limits::default(),
        a.voxel_size,
    )
    .map_err(|e| e.to_string())?;
    let io::Content::Vessels(g) = loaded.content else {
        return Err(format!("{}: not a vessel graph", a.graph.display()));
    };
    let points = read_points(&a.points)?;
    let t = std::time::Instant::now();
    let index = VesselIndex::new(&g);
    let hits = index.nearest_many(&points);
    let seconds = t.elapsed().as_secs_f64();
    if a.json {
        let rows: Vec<_> = points
            .iter()
            .zip(&hits)
            .map(|(p, h)| {
                json!({"x": p[0], "y": p[1], "z": p[2],
                       "distance_mm": h.map(|h| h.distance_mm),
                       "edge": h.map(|h| h.edge),
                       "radius_mm": h.map(|h| g.radius[h.edge as usize])})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"graph": a.graph, "points": rows, "seconds": seconds})
            )
            .unwrap()
        );
    } else {
        println!("x,y,z,distance_mm,edge");
        for (p, h) in points.iter().zip(&hits) {
            match h {
                Some(h) => println!("{},{},{},{},{}", p[0], p[1], p[2], h.distance_mm, h.edge),
                None => println!("{},{},{},,", p[0], p[1], p[2]),
            }
        }
    }
    Ok(())
}
