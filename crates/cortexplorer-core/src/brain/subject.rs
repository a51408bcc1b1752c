//! A subject folder opened in one go: a FreeSurfer subject directory
//! (`SUBJECT/surf/{lh,rh}.{pial,white,sphere.reg,…}`, `SUBJECT/label/?h.aparc.annot`,
//! `SUBJECT/mri/orig.mgz`) or an fMRIPrep/BIDS-derivatives anat folder of GIFTI surfaces
//! (`sub-XX_hemi-L_pial.surf.gii`, `_white`, `_sphere.reg`/`_sphere`, `_sulc.shape.gii`, …).
//!
//! Retinotopy written into the subject by neuropythy (`surf/?h.benson14_{angle,eccen,varea,
//! sigma}.mgz`, Bayesian `?h.inferred_*.mgz`) is found and loaded with it.
//!
//! **Coordinates.** FreeSurfer surfaces are in surface ("tkregister") RAS; navigation systems
//! and 3D Slicer use the scanner RAS of the T1. The transform is read from `mri/orig.mgz`
//! (else `T1.mgz`, `brain.mgz`) as nibabel computes it: `get_affine() ·
//! get_vox2ras_tkr()⁻¹`. fMRIPrep writes its GIFTI surfaces in the T1w scanner space already,
//! so there the transform is the identity.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Hemisphere;

/// What was found in a subject folder.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectInfo {
    pub path: PathBuf,
    /// "FreeSurfer" or "fMRIPrep"
    pub layout: &'static str,
    /// files found, relative to `path`
    pub found: Vec<String>,
    /// what the planner or the viewer would have liked and did not find
    pub missing: Vec<String>,
    /// per hemisphere: is the loaded sphere the registration to fsaverage (`sphere.reg`)?
    pub registered_sphere: BTreeMap<Hemisphere, bool>,
    /// surface RAS → scanner RAS (row-major) and where it came from
    pub tkr_to_scanner: Option<([[f64; 4]; 4], String)>,
}

const HEMIS: [(Hemisphere, &str, &str); 2] = [
    (Hemisphere::Left, "lh", "hemi-L"),
    (Hemisphere::Right, "rh", "hemi-R"),
];

/// Is this folder a subject (FreeSurfer `surf/` or fMRIPrep `*_hemi-L_*.surf.gii`)?
pub fn is_subject_dir(dir: &Path) -> bool {
    dir.join("surf").is_dir() || !fmriprep_files(dir).is_empty()
}

fn fmriprep_files(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| (n.contains("hemi-L") || n.contains("hemi-R")) && n.ends_with(".gii"))
        .collect();
    names.sort();
    names
}

impl SubjectInfo {
    /// One line for the status bar and the JSON `subject` note.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} subject {} ({} files)",
            self.layout,
            self.path.display(),
            self.found.len()
        );
        if !self.missing.is_empty() {
            s.push_str(&format!("; missing: {}", self.missing.join(", ")));
        }
        s
    }

    /// The coordinate space exports use.
    pub fn coordinates(&self) -> String {
        match &self.tkr_to_scanner {
            Some((_, from)) => format!("scanner RAS ({from})"),
            None => "surface RAS".into(),
        }
    }

    /// Map a surface-RAS point to the export space.
    pub fn to_scanner(&self, p: [f64; 3]) -> [f64; 3] {
        match &self.tkr_to_scanner {
            Some((m, _)) => apply(m, p),
            None => p,
        }
    }

    /// Map an export-space point back to surface RAS.
    pub fn from_scanner(&self, p: [f64; 3]) -> [f64; 3] {
        match &self.tkr_to_scanner {
            Some((m, _)) => {
                let inv = glam::DMat4::from_cols_array_2d(m).transpose().inverse();
                let q = inv.transform_point3(glam::DVec3::from(p));
                q.to_array()
            }
            None => p,
        }
    }
}

/// Apply a row-major affine to a point.
pub fn apply(m: &[[f64; 4]; 4], p: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3])
}

/// Find the files of a subject folder (nothing is read yet but the transform's header).
pub fn discover(dir: &Path) -> Result<(Vec<PathBuf>, SubjectInfo), String> {
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    let mut files = Vec::new();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let mut registered = BTreeMap::new();
    let take = |rel: String, files: &mut Vec<PathBuf>, found: &mut Vec<String>| {
        files.push(dir.join(&rel));
        found.push(rel);
    };
    let (layout, tkr) = if dir.join("surf").is_dir() {
        let surf = dir.join("surf");
        let names: Vec<String> = std::fs::read_dir(&surf)
            .map_err(|e| format!("{}: {e}", surf.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        for (h, fs, _) in HEMIS {
            for base in ["pial", "white", "inflated", "sulc", "curv", "thickness"] {
                let name = format!("{fs}.{base}");
                if surf.join(&name).is_file() {
                    take(format!("surf/{name}"), &mut files, &mut found);
                } else {
                    missing.push(format!("surf/{name}"));
                }
            }
            let reg = format!("{fs}.sphere.reg");
            let plain = format!("{fs}.sphere");
            if surf.join(&reg).is_file() {
                take(format!("surf/{reg}"), &mut files, &mut found);
                registered.insert(h, true);
            } else if surf.join(&plain).is_file() {
                take(format!("surf/{plain}"), &mut files, &mut found);
                registered.insert(h, false);
                missing.push(format!("surf/{reg}"));
            } else {
                missing.push(format!("surf/{reg}"));
            }
            // neuropythy's retinotopy (benson14_*, inferred_*) and other per-vertex maps
            let mut retino: Vec<&String> = names
                .iter()
                .filter(|n| {
                    n.starts_with(&format!("{fs}."))
                        && (n.ends_with(".mgz") || n.ends_with(".mgh"))
                        && crate::percept::maps::role_of_layer(&super::scene::layer_name(n))
                            .is_some()
                })
                .collect();
            retino.sort();
            for n in retino {
                take(format!("surf/{n}"), &mut files, &mut found);
            }
            let annot = format!("label/{fs}.aparc.annot");
            if dir.join(&annot).is_file() {
                take(annot, &mut files, &mut found);
            }
        }
        let mut tkr = None;
        for v in ["orig.mgz", "T1.mgz", "brain.mgz"] {
            let p = dir.join("mri").join(v);
            if p.is_file() {
                let h =
                    crate::io::mgh::read_header(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                if let Some(m) = h.tkr_to_scanner() {
                    tkr = Some((m, format!("mri/{v}")));
                    break;
                }
            }
        }
        if tkr.is_none() {
            missing.push("mri/orig.mgz (scanner coordinates)".into());
        }
        ("FreeSurfer", tkr)
    } else {
        let names = fmriprep_files(dir);
        if names.is_empty() {
            return Err(format!(
                "{}: not a subject folder (no surf/ folder of a FreeSurfer subject, no *_hemi-L_*.surf.gii of fMRIPrep)",
                dir.display()
            ));
        }
        for (h, _, mark) in HEMIS {
            let of = |suffix: &str| {
                names
                    .iter()
                    .find(|n| n.contains(mark) && n.ends_with(suffix))
                    .cloned()
            };
            for suffix in [
                "_pial.surf.gii",
                "_white.surf.gii",
                "_inflated.surf.gii",
                "_sulc.shape.gii",
                "_curv.shape.gii",
                "_thickness.shape.gii",
            ] {
                match of(suffix) {
                    Some(n) => take(n, &mut files, &mut found),
                    None => missing.push(format!("*_{mark}{suffix}")),
                }
            }
            let reg = names
                .iter()
                .find(|n| {
                    n.contains(mark)
                        && (n.ends_with("_sphere.reg.surf.gii")
                            || (n.contains("desc-reg") && n.ends_with("_sphere.surf.gii")))
                })
                .cloned();
            match (reg, of("_sphere.surf.gii")) {
                (Some(n), _) => {
                    take(n, &mut files, &mut found);
                    registered.insert(h, true);
                }
                (None, Some(n)) => {
                    take(n, &mut files, &mut found);
                    registered.insert(h, false);
                    missing.push(format!("*_{mark}_sphere.reg.surf.gii"));
                }
                (None, None) => missing.push(format!("*_{mark}_sphere.surf.gii")),
            }
        }
        let identity = [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        (
            "fMRIPrep",
            Some((
                identity,
                "fMRIPrep surfaces are in the T1w scanner space".into(),
            )),
        )
    };
    if files.is_empty() {
        return Err(format!(
            "{}: a {layout} subject folder without any surface (missing: {})",
            dir.display(),
            missing.join(", ")
        ));
    }
    Ok((
        files,
        SubjectInfo {
            path: dir.to_path_buf(),
            layout,
            found,
            missing,
            registered_sphere: registered,
            tkr_to_scanner: tkr,
        },
    ))
}

/// Read every file of a subject folder (in parallel); the first file that cannot be read
/// refuses the whole subject, naming the file.
pub fn load(dir: &Path) -> Result<(Vec<crate::io::Loaded>, SubjectInfo), String> {
    use rayon::prelude::*;
    let (files, info) = discover(dir)?;
    let loaded = files
        .par_iter()
        .map(|p| crate::io::load(p).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((loaded, info))
}

/// A scene holding a subject folder (its surfaces, maps and the subject's description).
pub fn scene(dir: &Path) -> Result<super::scene::Scene, String> {
    let (loaded, info) = load(dir)?;
    let mut s = super::scene::Scene::new();
    for l in loaded {
        s.add(l)?;
    }
    if s.hemis.is_empty() {
        return Err(format!(
            "{}: no cortical surface could be read",
            dir.display()
        ));
    }
    s.set_subject(info);
    Ok(s)
}

/// Whether a scene can be planned on: both surfaces and a sphere per planned hemisphere.
pub fn plannable(scene: &super::scene::Scene, hemis: &[Hemisphere]) -> Result<(), String> {
    use super::SurfaceKind;
    let mut missing = Vec::new();
    for h in hemis {
        match scene.hemis.get(h) {
            None => missing.push(format!("{h:?} hemisphere")),
            Some(g) => {
                for k in [SurfaceKind::Pial, SurfaceKind::White, SurfaceKind::Sphere] {
                    if !g.surfaces.contains_key(&k) {
                        missing.push(format!("{h:?} {}", k.label()));
                    }
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let from = scene
        .subject
        .as_ref()
        .map_or("the scene".to_string(), |s| s.path.display().to_string());
    Err(format!(
        "{from} cannot be planned on: missing {} (planning needs pial, white and a sphere per hemisphere)",
        missing.join(", ")
    ))
}

/// Scanner offset (`c_ras`) of the generated subject's `mri/orig.mgz`.
pub const GENERATED_C_RAS: [f32; 3] = [2.5, -18.0, 12.25];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("in-memory gzip");
    enc.finish().expect("in-memory gzip")
}

/// Write a **generated** FreeSurfer subject for trying the subject workflow and for tests:
/// the embedded fsaverage5 surfaces and morphometry as `surf/?h.*`, the template's retinotopy
/// as `surf/?h.template_{angle,eccen,varea}.mgz`, a conformed 256³ `mri/orig.mgz` (empty,
/// its header places surface RAS at scanner RAS + `GENERATED_C_RAS`), and a vessel mask
/// `vessels_mask.mgz` (0.8×0.8×1.2 mm voxels, scanner RAS) rasterised from the generated
/// vessels of `seed` over the occipital lobe. A `README.txt` says it is generated.
pub fn write_generated(dir: &Path, seed: u64) -> Result<(), String> {
    use super::SurfaceKind;
    use crate::io::{freesurfer, mgh};
    let scene = super::fsaverage5::scene()?;
    let surf = dir.join("surf");
    let mri = dir.join("mri");
    for d in [&surf, &mri] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let write = |p: PathBuf, bytes: &[u8]| {
        crate::io::atomic_write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))
    };
    for (h, fs, _) in HEMIS {
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
        let m = crate::planning::template::evaluate(h, &g.surfaces[&SurfaceKind::Sphere]);
        for (name, v) in [
            ("angle", &m.angle),
            ("eccen", &m.eccen),
            ("varea", &m.varea),
        ] {
            let o = super::Overlay::new(v.len(), 1, v.clone());
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
        p_xyz_c: GENERATED_C_RAS,
    };
    write(
        mri.join("orig.mgz"),
        &gzip(&mgh::write_volume(&orig, &vec![0f32; 256 * 256 * 256])),
    )?;
    // vessel mask over the occipital lobe, in scanner RAS
    let which = [Hemisphere::Left, Hemisphere::Right];
    let g = super::vessel_gen::for_scene(&scene, &which, seed);
    let c = GENERATED_C_RAS.map(f64::from);
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
    let mut data = vec![0f32; dims[0] * dims[1] * dims[2]];
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
                            data[(z * dims[1] + y) * dims[0] + x] = 1.0;
                        }
                    }
                }
            }
        }
    }
    write(
        dir.join("vessels_mask.mgz"),
        &gzip(&mgh::write_volume(&mask_header, &data)),
    )?;
    write(
        dir.join("README.txt"),
        format!(
            "GENERATED subject written by `cortexplorer generate-subject` for trying the subject\n\
             workflow: fsaverage5 surfaces as a FreeSurfer subject, the built-in template's\n\
             retinotopy (surf/?h.template_*.mgz), an empty conformed mri/orig.mgz whose header puts\n\
             scanner RAS at surface RAS + ({}, {}, {}) mm, and vessels_mask.mgz rasterised from\n\
             generated vessels (seed {seed}). Not anatomy.\n",
            GENERATED_C_RAS[0], GENERATED_C_RAS[1], GENERATED_C_RAS[2]
        )
        .as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated subject opens with its scanner transform, and a session of it reopens the
    /// folder as a whole (the transform comes back, not only the files).
    #[test]
    fn a_subject_opens_and_round_trips_through_a_session() {
        let dir = tempfile::tempdir().unwrap();
        let subj = dir.path().join("subj");
        write_generated(&subj, 1).unwrap();
        let scene = scene(&subj).unwrap();
        let info = scene.subject.clone().unwrap();
        assert_eq!(info.layout, "FreeSurfer");
        assert_eq!(info.coordinates(), "scanner RAS (mri/orig.mgz)");
        assert!(info.registered_sphere.values().all(|&r| r));
        let p = [1.0, 2.0, 3.0];
        let q = info.to_scanner(p);
        for k in 0..3 {
            assert!((q[k] - p[k] - GENERATED_C_RAS[k] as f64).abs() < 1e-5);
        }
        let back = info.from_scanner(q);
        assert!((0..3).all(|k| (back[k] - p[k]).abs() < 1e-9));
        assert_eq!(
            scene.inputs,
            vec![super::super::scene::Input::Subject {
                path: subj.to_string_lossy().into_owned()
            }]
        );
        let session_path = dir.path().join("s.cortexplorer.json");
        let (mut s, _, _) = crate::session::Session::from_scene(&scene, &session_path);
        s.relativize(&session_path);
        let (again, notes) = crate::session::restore_scene(&s, dir.path()).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(again.layers.len(), scene.layers.len());
        assert_eq!(
            again.subject.as_ref().unwrap().tkr_to_scanner,
            info.tkr_to_scanner
        );
    }

    #[test]
    fn folders_that_are_not_subjects_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = discover(dir.path()).unwrap_err();
        assert!(e.contains("not a subject folder"), "{e}");
        std::fs::create_dir(dir.path().join("surf")).unwrap();
        let e = discover(dir.path()).unwrap_err();
        assert!(
            e.contains("without any surface") && e.contains("surf/lh.white"),
            "{e}"
        );
        let e = discover(&dir.path().join("nope")).unwrap_err();
        assert!(e.contains("not a folder"), "{e}");
    }
}
