//! A **generated** FreeSurfer subject for trying the subject workflow and for tests
//! (`cortexplorer generate-subject`): fsaverage5's surfaces, the template's maps, an empty
//! conformed `mri/orig.mgz` with a scanner offset, and a vessel mask rasterised from generated
//! vessels. Not anatomy; its README says so.

use std::path::{Path, PathBuf};

use crate::brain::Hemisphere;

const HEMIS: [(Hemisphere, &str); 2] = [(Hemisphere::Left, "lh"), (Hemisphere::Right, "rh")];

/// Scanner offset (`c_ras`) of the generated subject's `mri/orig.mgz`.
pub const C_RAS: [f32; 3] = [2.5, -18.0, 12.25];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("in-memory gzip");
    enc.finish().expect("in-memory gzip")
}

/// Write a **generated** FreeSurfer subject for trying the subject workflow and for tests:
/// the embedded fsaverage5 surfaces and morphometry as `surf/?h.*`, the template's retinotopy
/// as `surf/?h.template_{angle,eccen,varea}.mgz`, a conformed 256³ `mri/orig.mgz` (empty,
/// its header places surface RAS at scanner RAS + `C_RAS`), and a vessel mask
/// `vessels_mask.mgz` (0.8×0.8×1.2 mm voxels, scanner RAS) rasterised from the generated
/// vessels of `seed` over the occipital lobe. A `README.txt` says it is generated.
pub fn write(dir: &Path, seed: u64) -> Result<(), String> {
    use crate::brain::SurfaceKind;
    use crate::io::{freesurfer, mgh};
    let scene = crate::brain::fsaverage5::scene()?;
    let surf = dir.join("surf");
    let mri = dir.join("mri");
    for d in [&surf, &mri] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let write = |p: PathBuf, bytes: &[u8]| {
        crate::io::atomic_write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))
    };
    for (h, fs) in HEMIS {
        let g = &scene.hemis[&h];
        for (kind, name) in [
            (SurfaceKind::Pial, "pial"),
            (SurfaceKind::White, "white"),
            (SurfaceKind::Inflated, "inflated"),
            (SurfaceKind::Sphere, "sphere.reg"),
        ] {
            let s = &g.surfaces[&kind];
            write(
                surf.join(format!("{fs}.{name}")),
                &freesurfer::write_surface(s, "created by cortexplorer generate-subject"),
            )?;
        }
        let n_faces = g.surfaces[&SurfaceKind::Pial].faces.len();
        for name in ["sulc", "curv", "thickness"] {
            let v = scene
                .overlay_frame(name, h)
                .ok_or_else(|| format!("fsaverage5 has no {name}"))?;
            write(
                surf.join(format!("{fs}.{name}")),
                &freesurfer::write_curv(v, n_faces),
            )?;
        }
        let m = crate::percept::template::evaluate(h, &g.surfaces[&SurfaceKind::Sphere]);
        for (name, v) in [
            ("angle", &m.angle),
            ("eccen", &m.eccen),
            ("varea", &m.varea),
        ] {
            let o = crate::brain::Overlay::new(v.len(), 1, v.clone());
            write(
                surf.join(format!("{fs}.template_{name}.mgz")),
                &gzip(&mgh::write_overlay(&o)),
            )?;
        }
    }
    // conformed 256³ LIA volume, 1 mm: scanner RAS = surface RAS + c_ras
    let orig = mgh::MghHeader {
        dims: [256, 256, 256, 1],
        dtype: 3,
        good_ras: true,
        delta: [1.0; 3],
        mdc: [[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]],
        p_xyz_c: C_RAS,
    };
    write(
        mri.join("orig.mgz"),
        &gzip(&mgh::write_volume(&orig, &vec![0f32; 256 * 256 * 256])),
    )?;
    // vessel mask over the occipital lobe, in scanner RAS
    let which = [Hemisphere::Left, Hemisphere::Right];
    let g = crate::brain::vessel_gen::for_scene(&scene, &which, seed);
    let c = C_RAS.map(f64::from);
    let nodes: Vec<[f64; 3]> = g
        .nodes
        .iter()
        .map(|n| [n[0] as f64 + c[0], n[1] as f64 + c[1], n[2] as f64 + c[2]])
        .collect();
    let posterior = |n: &[f32; 3]| n[1] < -50.0;
    let (mut lo, mut hi) = ([f64::MAX; 3], [f64::MIN; 3]);
    for (n, q) in g.nodes.iter().zip(&nodes) {
        if posterior(n) {
            for k in 0..3 {
                lo[k] = lo[k].min(q[k] - 3.0);
                hi[k] = hi[k].max(q[k] + 3.0);
            }
        }
    }
    if lo[0] > hi[0] {
        return Err("no generated vessel over the occipital lobe".into());
    }
    let delta = [0.8f64, 0.8, 1.2];
    let dims: [usize; 3] =
        std::array::from_fn(|k| ((hi[k] - lo[k]) / delta[k]).ceil() as usize + 1);
    let centre: [f64; 3] = std::array::from_fn(|k| lo[k] + delta[k] * dims[k] as f64 / 2.0);
    let mask_header = mgh::MghHeader {
        dims: [dims[0], dims[1], dims[2], 1],
        dtype: 3,
        good_ras: true,
        delta: delta.map(|d| d as f32),
        mdc: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        p_xyz_c: centre.map(|x| x as f32),
    };
    // voxel (i, j, k) has its centre at lo' + delta·index, lo' = centre − delta·dims/2
    let origin: [f64; 3] = std::array::from_fn(|k| centre[k] - delta[k] * dims[k] as f64 / 2.0);
    // [x, y, z], x fastest in memory as MGH stores it
    let mut data =
        ndarray::Array3::<f32>::zeros(ndarray::ShapeBuilder::f((dims[0], dims[1], dims[2])));
    for (e, r) in g.edges.iter().zip(&g.radius) {
        let (a, b) = (nodes[e[0] as usize], nodes[e[1] as usize]);
        if !posterior(&g.nodes[e[0] as usize]) && !posterior(&g.nodes[e[1] as usize]) {
            continue;
        }
        let len = (0..3).map(|k| (b[k] - a[k]).powi(2)).sum::<f64>().sqrt();
        let steps = (len / 0.2).ceil().max(1.0) as usize;
        let reach = *r as f64 + 0.4;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let p: [f64; 3] = std::array::from_fn(|k| a[k] + (b[k] - a[k]) * t);
            let range = |k: usize| {
                let lo_i = ((p[k] - reach - origin[k]) / delta[k]).floor().max(0.0) as usize;
                let hi_i =
                    (((p[k] + reach - origin[k]) / delta[k]).ceil() as usize).min(dims[k] - 1);
                lo_i..=hi_i
            };
            for z in range(2) {
                for y in range(1) {
                    for x in range(0) {
                        let v = [x, y, z];
                        let d2: f64 = (0..3)
                            .map(|k| (origin[k] + delta[k] * v[k] as f64 - p[k]).powi(2))
                            .sum();
                        if d2 <= reach * reach {
                            data[[x, y, z]] = 1.0;
                        }
                    }
                }
            }
        }
    }
    write(
        dir.join("vessels_mask.mgz"),
        &gzip(&mgh::write_volume(
            &mask_header,
            data.as_slice_memory_order()
                .expect("a new array is contiguous"),
        )),
    )?;
    write(
        dir.join("README.txt"),
        format!(
            "GENERATED subject written by `cortexplorer generate-subject` for trying the subject\n\
             workflow: fsaverage5 surfaces as a FreeSurfer subject, the built-in template's\n\
             retinotopy (surf/?h.template_*.mgz), an empty conformed mri/orig.mgz whose header puts\n\
             scanner RAS at surface RAS + ({}, {}, {}) mm, and vessels_mask.mgz rasterised from\n\
             generated vessels (seed {seed}). Not anatomy.\n",
            C_RAS[0], C_RAS[1], C_RAS[2]
        )
        .as_bytes(),
    )?;
    Ok(())
}
