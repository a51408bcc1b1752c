//! The embedded default scene: both hemispheres of FreeSurfer's fsaverage5 (10,242 vertices
//! each) — pial, white, inflated, sphere and flat surfaces with sulc, curv and thickness —
//! compiled into the program from `assets/fsaverage5/` (provenance in `assets/README.md`).
//! Nothing is downloaded at run time.

use crate::io::{self, Limits, Loaded, ReadError, Source};

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/fsaverage5/", $name)) as &[u8])),*]
    };
}

/// (file name, gzip-compressed GIFTI bytes), surfaces first then overlays.
pub const FILES: &[(&str, &[u8])] = embed!(
    "pial_left.gii.gz",
    "pial_right.gii.gz",
    "white_left.gii.gz",
    "white_right.gii.gz",
    "infl_left.gii.gz",
    "infl_right.gii.gz",
    "sphere_left.gii.gz",
    "sphere_right.gii.gz",
    "flat_left.gii.gz",
    "flat_right.gii.gz",
    "sulc_left.gii.gz",
    "sulc_right.gii.gz",
    "curv_left.gii.gz",
    "curv_right.gii.gz",
    "thick_left.gii.gz",
    "thick_right.gii.gz",
);

/// Vertices per hemisphere.
pub const N_VERTICES: usize = 10_242;

/// The embedded files as sources, in [`FILES`] order.
pub fn sources() -> impl Iterator<Item = Source> {
    FILES
        .iter()
        .map(|(name, bytes)| Source::Embedded { name, bytes })
}

/// Read every embedded file (in parallel). Overlays get a friendly name (`sulc`, `curv`,
/// `thickness`) and thickness its unit.
/// Both pial hemispheres (left, right), the mesh the activity models run on by default.
pub fn pial_surfaces() -> Result<Vec<crate::brain::Surface>, ReadError> {
    let mut out: Vec<(Option<crate::brain::Hemisphere>, crate::brain::Surface)> = load()?
        .into_iter()
        .filter(|l| l.surface_kind == Some(crate::brain::SurfaceKind::Pial))
        .filter_map(|l| match l.content {
            io::Content::Surface(s) => Some((l.hemisphere, s)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|(h, _)| *h != Some(crate::brain::Hemisphere::Left));
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

pub fn load() -> Result<Vec<Loaded>, ReadError> {
    use rayon::prelude::*;
    let limits = Limits::default();
    let srcs: Vec<Source> = sources().collect();
    let mut out = srcs
        .into_par_iter()
        .map(|s| io::load_source(s, &limits))
        .collect::<Result<Vec<_>, _>>()?;
    for l in &mut out {
        let base = l.name.split('_').next().unwrap_or("").to_string();
        if let io::Content::Overlay(o) = &mut l.content {
            l.name = match base.as_str() {
                "thick" => {
                    o.units = Some("mm".into());
                    "thickness".into()
                }
                "sulc" => {
                    o.units = Some("mm".into());
                    base
                }
                "curv" => {
                    o.units = Some("1/mm".into());
                    base
                }
                _ => base,
            };
        }
    }
    Ok(out)
}

/// The default scene's surfaces and layers in a [`Scene`](crate::brain::scene::Scene) (no
/// vessels), for tests and headless commands.
pub fn scene() -> Result<crate::brain::scene::Scene, String> {
    let mut s = crate::brain::scene::Scene::new();
    for l in load().map_err(|e| e.to_string())? {
        s.add_data(l)?;
    }
    Ok(s)
}
