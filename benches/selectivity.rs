//! Volumes and selectivity on fsaverage5: a 4D NIfTI on the MNI152 2 mm grid (91 × 109 × 91,
//! five category volumes) sampled onto both pial hemispheres (trilinear, at the vertex; the
//! ribbon average costs 11 samples per vertex — `compare_vol2surf.py` times that); the MNI152
//! template read (gzip); the three slice images through it; preferred category + selectivity index for 20,484 vertices × 5 categories; the
//! synthetic demo generated; a caption search. `cargo bench --bench selectivity`.
//! Side by side with nilearn's `vol_to_surf`: `benches/compare_vol2surf.py`.

use criterion::{Criterion, criterion_group, criterion_main};

use cortexplorer::brain::Volume;
use cortexplorer::brain::slices::{Axis, SliceGrid, sample_slice};
use cortexplorer::brain::vol2surf::{Interp, Projection, sample};
use cortexplorer::selectivity::{Thresholds, analyse};

fn mni_betas() -> Volume {
    let (nx, ny, nz, nt) = (91usize, 109usize, 91usize, 5usize);
    let mut data = Vec::with_capacity(nx * ny * nz * nt);
    for t in 0..nt {
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    data.push(((i * 7 + j * 3 + k + t * 11) % 97) as f32 / 97.0);
                }
            }
        }
    }
    Volume {
        shape: vec![nx, ny, nz, nt],
        voxel_size_mm: [2.0; 3],
        affine: [
            [-2.0, 0.0, 0.0, 90.0],
            [0.0, 2.0, 0.0, -126.0],
            [0.0, 0.0, 2.0, -72.0],
            [0.0, 0.0, 0.0, 1.0],
        ],
        dtype: "float32".into(),
        data: Volume::array(&[nx, ny, nz, nt], data).unwrap(),
        tr_seconds: None,
    }
}

fn bench(c: &mut Criterion) {
    let mut scene = cortexplorer::brain::fsaverage5::scene().unwrap();
    let pial = cortexplorer::brain::fsaverage5::pial_surfaces().unwrap();
    let vol = mni_betas();
    let mut g = c.benchmark_group("selectivity fsaverage5");
    g.sample_size(20);
    g.bench_function("vol2surf 4D MNI 2mm x5 -> 20k vertices (trilinear)", |b| {
        b.iter(|| {
            for s in &pial {
                sample(
                    &vol,
                    &s.vertices,
                    None,
                    Projection::RIBBON_AVG,
                    Interp::Trilinear,
                )
                .unwrap();
            }
        })
    });
    g.bench_function("read MNI152 template (1.6 MB gzip)", |b| {
        b.iter(|| cortexplorer::brain::mni152::load().unwrap())
    });
    let t1 = match cortexplorer::brain::mni152::load().unwrap().content {
        cortexplorer::io::Content::Volume(v) => v,
        _ => unreachable!(),
    };
    let (lo, hi) = cortexplorer::brain::slices::volume_bounds(&t1);
    g.bench_function("three slices through MNI152 (trilinear)", |b| {
        b.iter(|| {
            for (axis, at) in [
                (Axis::Sagittal, 0.0),
                (Axis::Coronal, -18.0),
                (Axis::Axial, 18.0),
            ] {
                let grid = SliceGrid::new(axis, at, (lo, hi), 1.0, 320);
                sample_slice(&t1, 0, &grid, Interp::Trilinear).unwrap();
            }
        })
    });
    scene.open_selectivity_demo().unwrap();
    let resp = scene
        .selectivity()
        .dataset
        .as_ref()
        .unwrap()
        .responses
        .clone();
    g.bench_function("preferred category + SI, 20k x 5", |b| {
        b.iter(|| analyse(&resp, Thresholds::default()))
    });
    g.bench_function(
        "synthetic demo (responses, ROIs, captions, pictures)",
        |b| b.iter(|| scene.open_selectivity_demo().unwrap()),
    );
    g.bench_function("caption search (words) + matches per ROI", |b| {
        b.iter(|| scene.search_captions("face", false).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
