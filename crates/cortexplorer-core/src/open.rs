//! The one way a loaded file enters the scene: [`Scene::add`].
//!
//! A reader (`crate::io`) turns bytes into a [`Content`]; this dispatch decides who keeps it.
//! The scene document keeps its own kinds (surfaces, overlays, labels, volumes, vessel graphs,
//! routing tables: [`Scene::add_data`]); a feature's kinds go to the feature, which keeps them
//! in its slot on the scene (`crate::brain::features`). A layer with frames is offered to the
//! features that build on one (selectivity's responses). A new kind of file therefore adds a
//! reader in `cortexplorer-formats`, a `Content` variant, and a handler with one arm — here
//! for a feature's kind, in `Scene::add_content` (`brain/scene.rs`) for the scene's own — and
//! the scene never imports a feature.

use crate::brain::scene::{Added, Input, Scene};
use crate::io::{Content, Loaded};
use std::path::{Path, PathBuf};

impl Scene {
    /// Add a loaded file. Returns a note for the user on success; on failure the scene is
    /// unchanged and the message says why.
    pub fn add(&mut self, loaded: Loaded) -> Result<Option<String>, String> {
        let loaded = match self.add_data(loaded)? {
            Added::Data {
                note,
                layer: Some(name),
            } => return Ok(self.selectivity_layer_arrived(&name, note)),
            Added::Data { note, layer: None } => return Ok(note),
            Added::NotSceneData(l) => *l,
        };
        let input = Input::of(&loaded.source);
        let what = loaded.source.display();
        let note = match loaded.content {
            Content::Captions(t) => Some(self.add_captions(&what, t)?),
            Content::Categories(names) => Some(self.add_category_names(&what, names)?),
            Content::Picture(p) => {
                self.add_picture(p);
                None
            }
            other => {
                return Err(format!(
                    "{what}: no part of the program keeps {} data",
                    other.kind()
                ));
            }
        };
        self.inputs.push(input);
        Ok(note)
    }
}

/// The other hemisphere's file of a per-vertex map (`lh.x` ↔ `rh.x`, `hemi-L` ↔ `hemi-R`,
/// `_left` ↔ `_right`), when it exists.
fn other_hemisphere(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let swapped = [
        ("lh.", "rh."),
        ("rh.", "lh."),
        ("hemi-L", "hemi-R"),
        ("hemi-R", "hemi-L"),
        ("_left", "_right"),
        ("_right", "_left"),
    ]
    .iter()
    .find_map(|(a, b)| name.contains(a).then(|| name.replacen(a, b, 1)))?;
    let p = path.with_file_name(swapped);
    p.is_file().then_some(p)
}

/// A retinotopy choice `ANGLE,ECCEN,VAREA[,SIGMA]` naming files (`plan --retinotopy`, the
/// Python `plan.optimize(retinotopy=…)`): load them (and the other hemisphere's) into the
/// scene as layers `retinotopy angle`, … and return the choice by those layer names. Any other
/// choice (`auto`, `template`, a group, layer names) is returned as it is.
pub fn load_retinotopy_files(scene: &mut Scene, spec: &str) -> Result<String, String> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    if !parts.iter().any(|p| Path::new(p).is_file()) {
        return Ok(spec.to_string());
    }
    if !(3..=4).contains(&parts.len()) {
        return Err(format!(
            "--retinotopy {spec:?}: give ANGLE,ECCEN,VAREA[,SIGMA] files"
        ));
    }
    let mut names = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let path = Path::new(part);
        let role = ["angle", "eccen", "varea", "sigma"][k];
        let mut name = None;
        for p in std::iter::once(path.to_path_buf()).chain(other_hemisphere(path)) {
            let mut l = crate::io::load(&p).map_err(|e| e.to_string())?;
            if let Content::Volume(v) = &l.content
                && v.shape.iter().skip(1).all(|&d| d == 1)
            {
                let mut o = crate::brain::Overlay::new(v.shape[0], 1, v.values().to_vec());
                o.units = Some("deg".into());
                l.content = Content::Overlay(o);
            }
            if !matches!(l.content, Content::Overlay(_)) {
                return Err(format!(
                    "{}: the {role} map must be a per-vertex map, found {}",
                    p.display(),
                    l.content.kind()
                ));
            }
            // one layer per map (both hemispheres), named after its role
            let layer = format!("retinotopy {role}");
            l.name = layer.clone();
            scene.add(l).map_err(|e| format!("{}: {e}", p.display()))?;
            name = Some(layer);
        }
        names.push(name.unwrap());
    }
    Ok(names.join(","))
}
