//! The scene a headless command works on: the files given, on fsaverage5 unless they bring a
//! surface, then the style options (shared by `render`, `routing`, `selectivity` and tests).

use std::path::PathBuf;

use crate::brain::fsaverage5;
use crate::brain::scene::{LayerData, Scene};
use crate::brain::{Hemisphere, SurfaceKind};
use crate::io::{self, Content};

/// Style options shared by `render` and tests.
#[derive(Clone, Debug, Default)]
pub struct SceneOptions {
    pub surface: Option<SurfaceKind>,
    pub inflate: Option<f32>,
    pub show: Vec<String>,
    pub colormap: Option<String>,
    pub vmin: Option<f32>,
    pub vmax: Option<f32>,
    pub threshold: Option<f32>,
    pub hemi: Option<Hemisphere>,
    pub no_vessels: bool,
    pub no_default: bool,
    /// Draw this overlay as the live layer (from the shader's value buffer, as a running
    /// simulation is drawn) instead of painting it.
    pub live: Option<String>,
}

/// Build the scene `render` (and tests) draw: the given files, on top of fsaverage5 unless
/// they include a surface; then the style options.
pub fn build_scene(files: &[PathBuf], a: &SceneOptions) -> Result<Scene, String> {
    let loaded: Vec<io::Loaded> = io::picture::expand_folders(files)
        .iter()
        .map(|f| io::load(f).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let has_surface = loaded
        .iter()
        .any(|l| matches!(l.content, Content::Surface(_)));
    let mut scene = Scene::new();
    if !has_surface && !a.no_default {
        for l in fsaverage5::load().map_err(|e| e.to_string())? {
            scene.add(l)?;
        }
        if !a.no_vessels {
            scene.add_generated_vessels(crate::brain::vessel_gen::DEFAULT_SEED);
        }
    }
    for l in loaded {
        if let Some(note) = scene.add(l)? {
            eprintln!("cortexplorer: note: {note}");
        }
    }
    if let Some(k) = a.surface {
        if !scene.available_kinds().contains(&k) {
            return Err(format!("surface {:?} is not loaded", k.label()));
        }
        scene.set_surface(k);
    }
    if let Some(t) = a.inflate {
        scene.set_inflate(t);
    }
    if a.hemi.is_some() {
        scene.view.show_only(a.hemi);
    }
    for name in &a.show {
        let Some(layer) = scene.layers.iter_mut().find(|l| &l.name == name) else {
            let names: Vec<&str> = scene.layers.iter().map(|l| l.name.as_str()).collect();
            return Err(format!(
                "no layer named {name:?} (have: {})",
                names.join(", ")
            ));
        };
        layer.visible = true;
        if let LayerData::Overlay {
            style, auto_style, ..
        } = &mut layer.data
        {
            if let Some(c) = &a.colormap {
                if crate::brain::colormap::Colormap::by_name(c).is_none() {
                    return Err(format!("unknown colormap {c:?}"));
                }
                style.colormap = c.clone();
            }
            if let Some(v) = a.vmin {
                style.min = v;
                style.symmetric = false;
            }
            if let Some(v) = a.vmax {
                style.max = v;
            }
            if let Some(v) = a.threshold {
                style.threshold = v;
            }
            *auto_style = false;
        }
    }
    if let Some(name) = &a.live {
        let Some(layer) = scene
            .layers
            .iter_mut()
            .find(|l| &l.name == name && l.is_overlay())
        else {
            return Err(format!("--live {name:?}: no overlay layer of that name"));
        };
        layer.live = true;
        scene.color_rev += 1;
    }
    Ok(scene)
}

pub fn parse_hemi(s: &str) -> Result<Hemisphere, String> {
    match s.to_ascii_lowercase().as_str() {
        "left" | "lh" | "l" => Ok(Hemisphere::Left),
        "right" | "rh" | "r" => Ok(Hemisphere::Right),
        _ => Err(format!("unknown hemisphere {s:?} (left, right)")),
    }
}
