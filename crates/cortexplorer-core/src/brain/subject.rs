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
                        && super::retino_names::role_of_layer(&super::scene::layer_name(n))
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
        s.add_data(l)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated subject opens with its scanner transform, and a session of it reopens the
    /// folder as a whole (the transform comes back, not only the files).
    #[test]
    fn a_subject_opens_and_round_trips_through_a_session() {
        let dir = tempfile::tempdir().unwrap();
        let subj = dir.path().join("subj");
        crate::planning::generated_subject::write(&subj, 1).unwrap();
        let scene = scene(&subj).unwrap();
        let info = scene.subject.clone().unwrap();
        assert_eq!(info.layout, "FreeSurfer");
        assert_eq!(info.coordinates(), "scanner RAS (mri/orig.mgz)");
        assert!(info.registered_sphere.values().all(|&r| r));
        let p = [1.0, 2.0, 3.0];
        let q = info.to_scanner(p);
        for k in 0..3 {
            assert!(
                (q[k] - p[k] - crate::planning::generated_subject::C_RAS[k] as f64).abs() < 1e-5
            );
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

    /// Opening a subject shows its visual areas only inside V1–V3 (outside them the cortex keeps
    /// the curvature underlay's colour), and hides its angle and eccentricity maps.
    #[test]
    fn a_subjects_visual_areas_tint_only_v1_to_v3() {
        use crate::brain::Hemisphere;
        let dir = tempfile::tempdir().unwrap();
        let subj = dir.path().join("subj");
        crate::planning::generated_subject::write(&subj, 1).unwrap();
        let scene = scene(&subj).unwrap();
        let h = Hemisphere::Left;
        let names: Vec<(&str, bool)> = scene
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.visible))
            .collect();
        let shown = |needle: &str| {
            names
                .iter()
                .find(|(n, _)| n.contains(needle))
                .unwrap_or_else(|| panic!("no {needle} layer in {names:?}"))
                .1
        };
        assert!(shown("varea"), "{names:?}");
        assert!(!shown("angle") && !shown("eccen"), "{names:?}");
        let varea_name = names.iter().find(|(n, _)| n.contains("varea")).unwrap().0;
        let varea = scene.overlay_frame(varea_name, h).unwrap().to_vec();
        let with = scene.colors(h);
        // the same scene with the visual areas hidden: the underlay alone
        let mut bare = scene.clone();
        for l in &mut bare.layers {
            if l.name == varea_name {
                l.visible = false;
            }
        }
        let under = bare.colors(h);
        let (mut inside, mut outside, mut tinted, mut kept) = (0, 0, 0, 0);
        for (i, &v) in varea.iter().enumerate() {
            let same = (0..3).all(|k| (with[i][k] - under[i][k]).abs() < 1e-6);
            if v >= 0.5 {
                inside += 1;
                tinted += usize::from(!same);
            } else {
                outside += 1;
                kept += usize::from(same);
            }
        }
        assert!(inside > 100 && outside > 1000, "{inside} / {outside}");
        assert_eq!(kept, outside, "outside V1–V3 the underlay shows");
        assert_eq!(tinted, inside, "inside V1–V3 the areas tint the cortex");
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
