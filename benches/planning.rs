//! Planning benchmarks (figures in README "Performance"):
//! * percept of 1,000 phosphenes to a 256×256 image over 16° (scoreboard and dynaphos sizes),
//!   and its gradient (the backward pass the optimiser runs);
//! * one percept-aware optimisation, 100 single electrodes, letters task, on the embedded
//!   fsaverage5 scene with the generated vessels, to convergence (`assets/plan.toml`
//!   settings, images off).
//!
//! Side by side with pulse2percept and dynaphos on the same 1,000 electrodes:
//! `benches/side_by_side.py` (`benches/side_by_side.sh` makes the venv).

use cortexplorer::brain::Hemisphere;
use cortexplorer::brain::fsaverage5;
use cortexplorer::brain::scene::Scene;
use cortexplorer::percept::phosphene::{Dynaphos, Model, Phosphene};
use cortexplorer::percept::render::{self, Grid};
use cortexplorer::percept::retinotopy::WedgeDipole;
use cortexplorer::planning::plan::{self, PlanConfig};
use criterion::{Criterion, criterion_group, criterion_main};

/// The 1,000 electrodes shared with `benches/side_by_side.py`: a 40×25 lattice on the left
/// hemisphere's flat map, u = 5 + 0.7·i mm, v = −7 + 0.58·j mm (all inside the 16° field
/// for both maps).
pub fn electrodes() -> Vec<(f64, f64)> {
    let mut e = Vec::with_capacity(1000);
    for i in 0..40 {
        for j in 0..25 {
            e.push((5.0 + 0.7 * i as f64, -7.0 + 0.58 * j as f64));
        }
    }
    e
}

fn phosphenes(model: &Model, map: &WedgeDipole, stimulus: f64) -> Vec<Phosphene> {
    electrodes()
        .into_iter()
        .filter_map(|(u, v)| map.to_field(Hemisphere::Left, u, v))
        .map(|f| model.phosphene(map, f, stimulus))
        .collect()
}

fn percept(c: &mut Criterion) {
    let grid = Grid::default(); // 256×256 over 16°
    let mut g = c.benchmark_group("percept_1000_phosphenes_256px");
    let sb = phosphenes(
        &Model::Scoreboard { rho_um: 200.0 },
        &WedgeDipole::POLIMENI,
        1.0,
    );
    let dy = phosphenes(
        &Model::Dynaphos(Dynaphos::default()),
        &WedgeDipole::DYNAPHOS,
        100.0,
    );
    assert_eq!((sb.len(), dy.len()), (1000, 1000));
    g.bench_function("scoreboard", |b| b.iter(|| render::render(&grid, &sb)));
    g.bench_function("dynaphos", |b| b.iter(|| render::render(&grid, &dy)));
    let upstream = vec![1e-3f32; grid.len()];
    g.bench_function("scoreboard gradient", |b| {
        b.iter(|| render::backprop(&grid, &sb, &upstream))
    });
    g.finish();
}

fn optimisation(c: &mut Criterion) {
    let mut scene = Scene::new();
    for l in fsaverage5::load().unwrap() {
        scene.add(l).unwrap();
    }
    let mut cfg = PlanConfig::try_embedded_default().unwrap();
    cfg.tasks.images = false;
    let hemis = plan::hemispheres(
        &scene,
        &cfg.scene.hemispheres,
        &cfg.scene.retinotopy,
        &cfg.areas().unwrap(),
    )
    .unwrap();
    let (vessels, _, _) = plan::load_vessels(&cfg, &scene).unwrap();
    let problem = plan::problem(&cfg, hemis, vessels).unwrap();
    let device = cfg.device().unwrap();
    let start = problem.coverage_layout(device, cfg.electrodes.count);
    let mut g = c.benchmark_group("optimise_100_single_letters");
    g.sample_size(10);
    g.bench_function("to convergence", |b| {
        b.iter(|| problem.optimize(&start, &cfg.optimizer, &mut |_| true))
    });
    g.finish();
}

/// A ~150k-vertex subject: pycortex's S1 (pia, wm; `benches/fetch_data.sh`). S1 ships no
/// sphere, so its inflated surface pushed onto a 100 mm sphere about its centroid stands in
/// for `sphere.reg` and the template gives it maps: the timing is that of a real subject's
/// mesh size, the retinotopy is not S1's.
fn s1_scene() -> Option<Scene> {
    use cortexplorer::brain::SurfaceKind;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data/S1");
    if !root.join("pia_lh.gii").exists() {
        eprintln!("bench-data/S1 missing: run benches/fetch_data.sh for the S1 planning benches");
        return None;
    }
    let mut scene = Scene::new();
    for (name, kind) in [
        ("pia", SurfaceKind::Pial),
        ("wm", SurfaceKind::White),
        ("inflated", SurfaceKind::Sphere),
    ] {
        for (side, hemi) in [("lh", Hemisphere::Left), ("rh", Hemisphere::Right)] {
            let mut l = cortexplorer::io::load(&root.join(format!("{name}_{side}.gii"))).unwrap();
            if kind == SurfaceKind::Sphere
                && let cortexplorer::io::Content::Surface(s) = &mut l.content
            {
                let n = s.vertices.len() as f32;
                let c = s.vertices.iter().fold([0f32; 3], |a, v| {
                    [a[0] + v[0] / n, a[1] + v[1] / n, a[2] + v[2] / n]
                });
                for v in &mut s.vertices {
                    let d = [v[0] - c[0], v[1] - c[1], v[2] - c[2]];
                    let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-6);
                    *v = [100.0 * d[0] / r, 100.0 * d[1] / r, 100.0 * d[2] / r];
                }
            }
            l.hemisphere = Some(hemi);
            l.surface_kind = Some(kind);
            scene.add(l).unwrap();
        }
    }
    Some(scene)
}

fn subject_planning(c: &mut Criterion) {
    let Some(scene) = s1_scene() else { return };
    let mut cfg = PlanConfig::try_embedded_default().unwrap();
    cfg.tasks.images = false;
    cfg.scene.vessels = "none".into();
    let areas = cfg.areas().unwrap();
    let build = || {
        let hemis = plan::hemispheres(
            &scene,
            &cfg.scene.hemispheres,
            &cfg.scene.retinotopy,
            &areas,
        )
        .unwrap();
        plan::problem(&cfg, hemis, None).unwrap()
    };
    let mut g = c.benchmark_group("S1 subject (~150k vertices per hemisphere)");
    g.sample_size(10);
    g.bench_function("build the planning problem", |b| b.iter(build));
    let problem = build();
    let device = cfg.device().unwrap();
    let start = problem.coverage_layout(device, cfg.electrodes.count);
    eprintln!(
        "S1: {} devices placed, {} target vertices",
        start.placements.len(),
        problem
            .domains
            .iter()
            .map(|d| d.target_vertices())
            .sum::<usize>()
    );
    g.bench_function("optimise 100 single electrodes (letters)", |b| {
        b.iter(|| problem.optimize(&start, &cfg.optimizer, &mut |_| true))
    });
    g.finish();
}

criterion_group!(benches, percept, optimisation, subject_planning);
criterion_main!(benches);
