//! Activity models: steps per second for every model on fsaverage5 (both pial hemispheres,
//! 20,484 vertices) and on a ~300k-vertex mesh (an icosphere of 299,292 vertices, the size of
//! both full-resolution fsaverage hemispheres; cost per step depends on vertices and their
//! neighbours, not on the shape), on the CPU reference (rayon) and the GPU kernel (lavapipe
//! here: no GPU on the bench machine). Throughput is reported in "elements" = steps.
//! `cargo bench --bench activity`. Side by side with The Virtual Brain:
//! `benches/side_by_side.py`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cortexplorer::activity::laplacian::{Laplacian, icosphere};
use cortexplorer::activity::setup::{MODELS, Setup};
use cortexplorer::gpu::{Gpu, ModelKernel};

fn fsaverage5() -> (Vec<[f32; 3]>, Vec<[u32; 3]>) {
    let surfaces = cortexplorer::brain::fsaverage5::pial_surfaces().unwrap();
    let (v, f, _) = cortexplorer::activity::combined_mesh(&surfaces);
    (v, f)
}

fn bench(c: &mut Criterion) {
    let gpu = Gpu::headless().ok();
    let meshes = [
        ("fsaverage5 20k", fsaverage5(), 100usize),
        ("icosphere 299k", icosphere(172, 80.0), 10),
    ];
    for (mesh, (v, f), steps) in meshes {
        let l = Laplacian::new(&v, &f).unwrap();
        eprintln!("{mesh}: {} vertices", v.len());
        let mut grp = c.benchmark_group(format!("activity {mesh}"));
        grp.sample_size(10);
        grp.throughput(Throughput::Elements(steps as u64));
        for (name, _) in MODELS {
            let setup = Setup::new(name, &[]).unwrap();
            let aux = setup.aux(v.len());
            let s0 = setup.initial(&v, 0, None);
            let dt = setup.default_dt(&l, &aux) as f32;
            let m = setup.model;
            grp.bench_function(format!("{name} cpu"), |b| {
                let mut s = s0.clone();
                b.iter(|| m.run(&l, &mut s, &aux, dt, steps))
            });
            if let Some(gpu) = &gpu {
                let mut k = ModelKernel::new(gpu, &m, &l, &s0, &aux, dt).unwrap();
                grp.bench_function(format!("{name} gpu"), |b| {
                    b.iter(|| {
                        k.run(gpu, steps);
                        gpu.wait()
                    })
                });
            }
        }
        grp.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
