//! Vessel graphs: parse a 1M-edge VesselGraph CSV pair (generated, written in the format), and
//! 1M distance queries against a 1M-segment graph; the signed distance transform of a 256³
//! vessel mask (0.5×0.5×0.6 mm voxels, 400 generated vessel lines). `cargo bench --bench
//! vessels`.
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

/// A 256³ mask with 400 straight vessels 1–2 voxels thick (deterministic).
fn mask_256() -> cortexplorer::brain::Volume {
    let n = 256usize;
    let mut data = vec![0f32; n * n * n];
    let mut s = 11u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..400 {
        let a = [next(), next(), next()].map(|x| x * (n - 1) as f64);
        let b = [next(), next(), next()].map(|x| x * (n - 1) as f64);
        let steps = 400;
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            let p: [usize; 3] =
                std::array::from_fn(|i| (a[i] + (b[i] - a[i]) * t).round() as usize);
            data[(p[2] * n + p[1]) * n + p[0]] = 1.0;
            data[(p[2] * n + p[1]) * n + (p[0] + 1).min(n - 1)] = 1.0;
        }
    }
    let mut affine = [[0.0; 4]; 4];
    affine[0][0] = 0.5;
    affine[1][1] = 0.5;
    affine[2][2] = 0.6;
    affine[3][3] = 1.0;
    cortexplorer::brain::Volume {
        shape: vec![n, n, n],
        voxel_size_mm: [0.5, 0.5, 0.6],
        affine,
        dtype: "uint8".into(),
        data: cortexplorer::brain::Volume::array(&[n, n, n], data).unwrap(),
        tr_seconds: None,
    }
}

fn distance_transform(c: &mut Criterion) {
    let mask = mask_256();
    let mut grp = c.benchmark_group("vessel mask");
    grp.sample_size(10);
    grp.bench_function("signed distance transform, 256³", |b| {
        b.iter(|| cortexplorer::brain::vessel_mask::DistanceField::from_mask(&mask, 0.5).unwrap())
    });
    let f = cortexplorer::brain::vessel_mask::DistanceField::from_mask(&mask, 0.5).unwrap();
    grp.bench_function("wall isosurface, 256³", |b| b.iter(|| f.isosurface()));
    grp.finish();
}

criterion_group!(benches, bench, distance_transform);
criterion_main!(benches);
