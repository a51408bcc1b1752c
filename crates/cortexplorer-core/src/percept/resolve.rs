//! Where each vertex of a scene sees: the retinotopy of one hemisphere, chosen by one rule that
//! the planner, `percept --map surface`, routing (and the Python package) all follow.
//!
//! A choice (`[scene] retinotopy` of a plan, `auto` elsewhere) is one of:
//! - **`auto`** — *per hemisphere*: the best group of loaded maps that has this hemisphere's
//!   polar angle and eccentricity (and visual area, when the caller needs areas), in the order
//!   of [`layer_groups`] (`inferred_*`, then `benson14_*`, then others); a hemisphere without
//!   such maps gets the built-in template ([`super::template`], needs the registered sphere).
//!   Maps loaded for one hemisphere only are used for that hemisphere and the template for the
//!   other — never the template for both because one side has no maps.
//! - **`template`** — the built-in template for every hemisphere.
//! - **a group prefix** (`benson14`, `inferred`, …) — that group; a hemisphere without it is
//!   an error (it was asked for by name).
//! - **`ANGLE,ECCEN,VAREA[,SIGMA]`** — layer names.
//!
//! Every result says where it came from ([`RetinoMaps::source`]), per hemisphere.

use super::maps::{self, LayerGroup, RetinoMaps, layer_groups};
use super::template;
use crate::brain::Hemisphere;
use crate::brain::scene::Scene;
use crate::brain::surface::SurfaceKind;

/// What the caller needs of the maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Visual areas as well (the planner and the percept: electrodes must know where V1 is).
    Areas,
    /// Positions in the field only (routing): a group without a visual-area map counts, every
    /// mapped vertex (finite angle, eccentricity > 0) is taken as V1.
    Field,
}

/// The retinotopy of one hemisphere of `scene` as `choice` asks (see the module docs).
pub fn hemisphere(
    scene: &Scene,
    hemi: Hemisphere,
    choice: &str,
    need: Need,
) -> Result<RetinoMaps, String> {
    if !scene.hemis.contains_key(&hemi) {
        return Err(format!("the scene has no {hemi:?} hemisphere"));
    }
    match choice.trim() {
        "template" => from_template(scene, hemi),
        "auto" | "" => {
            let has = |name: &str| scene.overlay_frame(name, hemi).is_some();
            let usable = |g: &&LayerGroup| {
                has(&g.angle)
                    && has(&g.eccen)
                    && match (need, &g.varea) {
                        (Need::Areas, Some(v)) => has(v),
                        (Need::Areas, None) => false,
                        (Need::Field, _) => true,
                    }
            };
            match layer_groups(scene).iter().find(usable) {
                Some(g) => from_group(scene, g, hemi, need),
                None => from_template(scene, hemi),
            }
        }
        names if names.contains(',') => {
            let parts: Vec<&str> = names.split(',').map(str::trim).collect();
            if !(3..=4).contains(&parts.len()) {
                return Err(format!(
                    "retinotopy {names:?}: give ANGLE,ECCEN,VAREA[,SIGMA]"
                ));
            }
            for p in &parts {
                if scene.layer_by_name(p).is_none() {
                    return Err(format!("retinotopy: no layer named {p:?} is loaded"));
                }
            }
            let g = LayerGroup {
                prefix: String::new(),
                angle: parts[0].into(),
                eccen: parts[1].into(),
                varea: Some(parts[2].into()),
                sigma: parts.get(3).map(|s| s.to_string()),
            };
            from_group(scene, &g, hemi, need)
        }
        prefix => {
            let groups = layer_groups(scene);
            let g = groups.iter().find(|g| g.prefix == prefix).ok_or_else(|| {
                let have: Vec<String> = groups.iter().map(|g| format!("{:?}", g.prefix)).collect();
                format!(
                    "retinotopy {prefix:?}: no such group of maps is loaded (loaded: {})",
                    if have.is_empty() {
                        "none".into()
                    } else {
                        have.join(", ")
                    }
                )
            })?;
            from_group(scene, g, hemi, need)
        }
    }
}

/// The retinotopy of each of `hemis` (in that order).
pub fn hemispheres(
    scene: &Scene,
    hemis: &[Hemisphere],
    choice: &str,
    need: Need,
) -> Result<Vec<RetinoMaps>, String> {
    hemis
        .iter()
        .map(|&h| hemisphere(scene, h, choice, need))
        .collect()
}

/// One line naming where each hemisphere's maps came from: the source alone when every
/// hemisphere has the same, else `left: …; right: …`.
pub fn note<'a>(sources: impl IntoIterator<Item = (Hemisphere, &'a str)>) -> String {
    let all: Vec<(Hemisphere, &str)> = sources.into_iter().collect();
    if all.windows(2).all(|w| w[0].1 == w[1].1) {
        return all.first().map_or(String::new(), |(_, s)| s.to_string());
    }
    all.iter()
        .map(|(h, s)| format!("{}: {s}", h.name()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn from_group(
    scene: &Scene,
    g: &LayerGroup,
    hemi: Hemisphere,
    need: Need,
) -> Result<RetinoMaps, String> {
    if need == Need::Areas || g.varea.is_some() {
        return maps::from_layers(scene, g, hemi);
    }
    // positions only: every mapped vertex counts as V1
    let n = scene.hemis[&hemi].n_vertices();
    let get = |name: &str| {
        scene
            .overlay_frame(name, hemi)
            .map(<[f32]>::to_vec)
            .ok_or_else(|| format!("retinotopy layer {name:?} has no {hemi:?} hemisphere"))
    };
    let (angle, eccen) = (get(&g.angle)?, get(&g.eccen)?);
    let varea = angle
        .iter()
        .zip(&eccen)
        .map(|(a, e)| {
            if a.is_finite() && e.is_finite() && *e > 0.0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    RetinoMaps::new(hemi, angle, eccen, varea, None, g.label(), n)
}

fn from_template(scene: &Scene, hemi: Hemisphere) -> Result<RetinoMaps, String> {
    let g = &scene.hemis[&hemi];
    let sphere = g.surfaces.get(&SurfaceKind::Sphere).ok_or_else(|| {
        format!(
            "{hemi:?} hemisphere: the retinotopy template needs the registered sphere (?h.sphere.reg)"
        )
    })?;
    if let Some(s) = &scene.subject
        && s.registered_sphere.get(&hemi) == Some(&false)
    {
        return Err(format!(
            "{hemi:?} hemisphere: the retinotopy template needs ?h.sphere.reg (the registration to fsaverage); {} has only ?h.sphere — give the subject's own maps with --retinotopy",
            s.path.display()
        ));
    }
    Ok(template::evaluate(hemi, sphere))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::brain::paint::OverlayStyle;
    use crate::brain::scene::LayerData;

    /// fsaverage5 with `benson14_*` maps on the left hemisphere only: the template's maps with
    /// the upper and lower field swapped (so the maps used can be told from the template).
    fn left_maps_only() -> (Scene, RetinoMaps) {
        let mut scene = crate::brain::fsaverage5::scene().unwrap();
        let t = from_template(&scene, Hemisphere::Left).unwrap();
        let flipped: Vec<f32> = t.angle.iter().map(|a| 180.0 - a).collect();
        for (name, v) in [
            ("benson14_angle", &flipped),
            ("benson14_eccen", &t.eccen),
            ("benson14_varea", &t.varea),
        ] {
            let o = crate::brain::Overlay::new(v.len(), 1, v.clone());
            let data = LayerData::Overlay {
                per_hemi: BTreeMap::from([(Hemisphere::Left, Arc::new(o))]),
                style: OverlayStyle::auto(v),
                auto_style: true,
                frame: 0,
            };
            scene.put_layer(name, vec![format!("lh.{name}.mgz")], data, false);
        }
        (scene, t)
    }

    #[test]
    fn each_hemisphere_uses_its_own_maps_and_the_template_elsewhere() {
        let (scene, template_lh) = left_maps_only();
        let hemis = [Hemisphere::Left, Hemisphere::Right];
        for need in [Need::Areas, Need::Field] {
            let m = hemispheres(&scene, &hemis, "auto", need).unwrap();
            assert!(m[0].source.contains("benson14_angle"), "{}", m[0].source);
            assert_eq!(m[1].source, template::SOURCE);
            // the left hemisphere's positions are the loaded maps', not the template's
            let v = (0..m[0].len())
                .find(|&i| template_lh.area(i) == Some(1) && template_lh.eccen[i] > 2.0)
                .unwrap();
            let (p, _) = m[0].field(v).unwrap();
            let (q, _) = template_lh.field(v).unwrap();
            assert!(
                (p.y + q.y).abs() < 1e-4 && (p.x - q.x).abs() < 1e-4,
                "{p:?} {q:?}"
            );
            let right = from_template(&scene, Hemisphere::Right).unwrap();
            assert_eq!(m[1].angle, right.angle);
            let n = note(m.iter().map(|x| (x.hemi, x.source.as_str())));
            assert!(
                n.starts_with("left: benson14_angle") && n.contains("; right: approximate"),
                "{n}"
            );
        }
        // asked for by name, the group must exist for the hemisphere
        let e = hemisphere(&scene, Hemisphere::Right, "benson14", Need::Areas).unwrap_err();
        assert!(e.contains("Right"), "{e}");
        assert!(hemisphere(&scene, Hemisphere::Left, "benson14", Need::Areas).is_ok());
        // "template" ignores the maps
        let t = hemisphere(&scene, Hemisphere::Left, "template", Need::Areas).unwrap();
        assert_eq!(t.source, template::SOURCE);
    }

    #[test]
    fn routing_counts_a_group_without_areas_the_planner_does_not() {
        let (mut scene, _) = left_maps_only();
        scene.remove_layers_named(&["benson14_varea"]);
        let field = hemisphere(&scene, Hemisphere::Left, "auto", Need::Field).unwrap();
        assert!(field.source.contains("benson14"), "{}", field.source);
        assert!(field.counts()[0] > 100 && field.counts()[1] == 0);
        let areas = hemisphere(&scene, Hemisphere::Left, "auto", Need::Areas).unwrap();
        assert_eq!(areas.source, template::SOURCE);
    }
}
