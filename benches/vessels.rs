//! Vessel graphs: parse a 1M-edge VesselGraph CSV pair (generated, written in the format), and
//! 1M distance queries against a 1M-segment graph. `cargo bench --bench vessels`.
//! Side by side with pandas: `benches/side_by_side.py`.

use criterion::{Criterion, criterion_group, criterion_main};

use cortexplorer::brain::vessel_gen;
use cortexplorer::brain::vessels::VesselIndex;
use cortexplorer::io::vesselgraph;

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("cortexplorer-bench-vessels");
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = dir.join("synthetic_1m_f32");
    let g = vessel_gen::synthetic(1_000_000, 10.0, 1);
    if !vesselgraph::pair_paths(&prefix).1.exists() {
        vesselgraph::write_pair(&g, &prefix, [1.0; 3]).unwrap();
    }
    let mut grp = c.benchmark_group("vessels");
    grp.sample_size(10);
    grp.bench_function("parse VesselGraph CSV, 1M edges", |b| {
        b.iter(|| vesselgraph::read_pair(&prefix, [1.0; 3]).unwrap())
    });
    grp.bench_function("build R-tree, 1M segments", |b| {
        b.iter(|| VesselIndex::new(&g))
    });
    let index = VesselIndex::new(&g);
    let mut s = 7u64;
    let points: Vec<[f32; 3]> = (0..1_000_000)
        .map(|_| {
            let mut u = || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 40) as f32 / (1u64 << 24) as f32 * 10.0
            };
            [u(), u(), u()]
        })
        .collect();
    grp.bench_function("1M distance queries, 1M segments", |b| {
        b.iter(|| index.nearest_many(&points))
    });
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
