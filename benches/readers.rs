//! Reader throughput. Run `benches/fetch_data.sh` first for the ~150k-vertex pycortex S1
//! surfaces (without them only the bundled fsaverage5 files are measured). Compare with
//! nibabel on the same files: `benches/side_by_side.sh`.

use std::path::{Path, PathBuf};

use cortexplorer::io::{self, Content, Limits, Source};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vertices(p: &Path) -> u64 {
    match io::load(p).unwrap().content {
        Content::Surface(s) => s.vertices.len() as u64,
        Content::Overlay(o) => o.n_vertices as u64,
        _ => 1,
    }
}

fn bench_file(c: &mut Criterion, name: &str, path: &Path) {
    let n = vertices(path);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(n));
    g.bench_function("cortexplorer", |b| {
        b.iter(|| io::load_source(Source::File(path.to_path_buf()), &Limits::default()).unwrap())
    });
    g.bench_function("raw read (bytes only)", |b| {
        b.iter(|| std::fs::read(path).unwrap())
    });
    g.finish();
}

fn readers(c: &mut Criterion) {
    cortexplorer::tune_allocator();
    let fs5 = root().join("assets/fsaverage5");
    bench_file(
        c,
        "fsaverage5 pial_left.gii.gz",
        &fs5.join("pial_left.gii.gz"),
    );
    bench_file(
        c,
        "fsaverage5 sulc_left.gii.gz",
        &fs5.join("sulc_left.gii.gz"),
    );

    // an HCP-sized CIFTI-2 dtseries, written by `benches/side_by_side.py cifti` (nibabel)
    let dt = root().join("bench-data/cifti/hcp91k.dtseries.nii");
    if dt.exists() {
        bench_file(c, "CIFTI-2 dtseries 91,282 × 1,200", &dt);
    } else {
        eprintln!("bench-data/cifti missing: `benches/side_by_side.py cifti` writes it");
    }

    // source estimates and tractograms, written by `benches/side_by_side.py stc tracts`
    for (name, file) in [
        ("MNE .stc 10,242 × 1,000", "bench-data/stc/ico5-lh.stc"),
        ("TCK 1 M streamlines × 30", "bench-data/tracts/million.tck"),
        ("TRK 1 M streamlines × 30", "bench-data/tracts/million.trk"),
    ] {
        let p = root().join(file);
        if p.exists() {
            bench_file(c, name, &p);
        } else {
            eprintln!("{file} missing: `benches/side_by_side.py stc tracts` writes it");
        }
    }

    let s1 = root().join("bench-data/S1/pia_lh.gii");
    if !s1.exists() {
        eprintln!("bench-data/S1 missing: run benches/fetch_data.sh for the 150k-vertex surfaces");
        return;
    }
    bench_file(c, "S1 pia_lh.gii (GZipBase64Binary)", &s1);
    // The same surface as a FreeSurfer binary, written by our writer into bench-data/.
    let fs_bin = root().join("bench-data/S1/lh.pia");
    if !fs_bin.exists() {
        let Content::Surface(s) = io::load(&s1).unwrap().content else {
            panic!("not a surface")
        };
        std::fs::write(
            &fs_bin,
            io::freesurfer::write_surface(&s, "created by cortexplorer bench"),
        )
        .unwrap();
    }
    bench_file(c, "S1 lh.pia (FreeSurfer binary)", &fs_bin);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = readers
}
criterion_main!(benches);
