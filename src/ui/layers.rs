//! Left panel: surface choice and morph, underlay, and the layer stack with per-layer styles.

use bevy_egui::egui;

use crate::brain::SurfaceKind;
use crate::brain::colormap::NAMES;
use crate::brain::paint::{LabelMode, OverlayStyle};
use crate::brain::scene::{LayerData, Scene};

/// `expanded`: the layer whose settings are open (one at a time).
pub fn layers_panel(ui: &mut egui::Ui, scene: &mut Scene, expanded_layer: &mut Option<u64>) {
    ui.heading("Surface");
    let kinds = scene.available_kinds();
    if kinds.is_empty() {
        ui.label("Nothing loaded yet.");
    }
    ui.horizontal_wrapped(|ui| {
        for k in SurfaceKind::ALL.iter().chain([SurfaceKind::Other].iter()) {
            if kinds.contains(k)
                && ui
                    .selectable_label(scene.view.surface == *k, k.label())
                    .clicked()
            {
                scene.set_surface(*k);
            }
        }
    });
    if kinds.contains(&SurfaceKind::Inflated) && scene.view.surface != SurfaceKind::Inflated {
        let mut t = scene.view.inflate;
        if ui
            .add(egui::Slider::new(&mut t, 0.0..=1.0).text("inflate"))
            .changed()
        {
            scene.set_inflate(t);
        }
    }
    let overlay_names: Vec<String> = scene
        .layers
        .iter()
        .filter(|l| l.is_overlay())
        .map(|l| l.name.clone())
        .collect();
    ui.horizontal(|ui| {
        ui.label("underlay");
        let current = scene.view.underlay.clone().unwrap_or_else(|| "none".into());
        egui::ComboBox::from_id_salt("underlay")
            .selected_text(current)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(scene.view.underlay.is_none(), "none")
                    .clicked()
                {
                    scene.view.underlay = None;
                    scene.color_rev += 1;
                }
                for n in &overlay_names {
                    if ui
                        .selectable_label(scene.view.underlay.as_ref() == Some(n), n)
                        .clicked()
                    {
                        scene.view.underlay = Some(n.clone());
                        scene.color_rev += 1;
                    }
                }
            });
    });
    if ui
        .add(
            egui::Slider::new(&mut scene.view.curvature_contrast, 0.0..=2.0)
                .text("folding contrast"),
        )
        .changed()
    {
        scene.color_rev += 1;
    }

    ui.separator();
    ui.heading("Layers");
    if scene.layers.is_empty() {
        ui.label("Open overlays or annotations (File → Open, or drop files here).");
    }
    let mut remove = None;
    let mut changed = false;
    // top of the stack first, as in image editors
    for layer in scene.layers.iter_mut().rev() {
        let id = layer.id;
        ui.horizontal(|ui| {
            changed |= ui.checkbox(&mut layer.visible, "").changed();
            let expanded = *expanded_layer == Some(id);
            let kind = if layer.is_overlay() { "map" } else { "labels" };
            if ui
                .selectable_label(expanded, &layer.name)
                .on_hover_text(format!("{kind}: click for settings"))
                .clicked()
            {
                *expanded_layer = if expanded { None } else { Some(id) };
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.small_button("×").on_hover_text("remove layer").clicked() {
                    remove = Some(id);
                }
            });
        });
        if *expanded_layer == Some(id) {
            let frames = layer.n_frames();
            ui.indent(id, |ui| {
                for s in &layer.sources {
                    ui.label(egui::RichText::new(s).small().weak());
                }
                match &mut layer.data {
                    LayerData::Overlay {
                        per_hemi,
                        style,
                        auto_style,
                        frame,
                    } => {
                        let all: Vec<f32> = per_hemi
                            .values()
                            .flat_map(|o| o.frame(0).iter().copied())
                            .collect();
                        let before = style.clone();
                        overlay_style(ui, style, id);
                        if frames > 1 {
                            changed |= ui
                                .add(egui::Slider::new(frame, 0..=frames - 1).text("frame"))
                                .changed();
                        }
                        if ui.button("auto range").clicked() {
                            *style = OverlayStyle {
                                colormap: style.colormap.clone(),
                                opacity: style.opacity,
                                ..OverlayStyle::auto(&all)
                            };
                        }
                        if *style != before {
                            *auto_style = false;
                            changed = true;
                        }
                    }
                    LayerData::Labels {
                        per_hemi,
                        mode,
                        opacity,
                    } => {
                        ui.horizontal(|ui| {
                            changed |= ui.radio_value(mode, LabelMode::Filled, "filled").changed();
                            changed |= ui
                                .radio_value(mode, LabelMode::Outline, "outline")
                                .changed();
                        });
                        changed |= ui
                            .add(egui::Slider::new(opacity, 0.0..=1.0).text("opacity"))
                            .changed();
                        let n: usize = per_hemi
                            .values()
                            .map(|l| l.regions.len())
                            .max()
                            .unwrap_or(0);
                        ui.label(format!("{n} regions"));
                    }
                }
            });
        }
    }
    if let Some(id) = remove {
        scene.remove_layer(id);
        if *expanded_layer == Some(id) {
            *expanded_layer = None;
        }
    }
    if changed {
        scene.color_rev += 1;
    }
    if !scene.volumes.is_empty() {
        ui.separator();
        ui.heading("Volumes");
        for v in &scene.volumes {
            ui.label(format!(
                "{}: {:?} {}",
                v.name, v.volume.shape, v.volume.dtype
            ));
        }
    }
}

pub(crate) fn overlay_style(ui: &mut egui::Ui, style: &mut OverlayStyle, id: u64) {
    egui::ComboBox::from_id_salt(("cmap", id))
        .selected_text(&style.colormap)
        .show_ui(ui, |ui| {
            for n in NAMES {
                ui.selectable_value(&mut style.colormap, n.to_string(), *n);
            }
        });
    ui.checkbox(&mut style.symmetric, "symmetric ±");
    let speed = ((style.max - style.min).abs() / 200.0).max(1e-4);
    ui.horizontal(|ui| {
        if !style.symmetric {
            ui.label("min");
            ui.add(egui::DragValue::new(&mut style.min).speed(speed));
        }
        ui.label(if style.symmetric { "±max" } else { "max" });
        ui.add(egui::DragValue::new(&mut style.max).speed(speed));
    });
    ui.horizontal(|ui| {
        ui.label("threshold |v| ≥");
        ui.add(
            egui::DragValue::new(&mut style.threshold)
                .speed(speed)
                .range(0.0..=f32::MAX),
        );
    });
    ui.add(egui::Slider::new(&mut style.opacity, 0.0..=1.0).text("opacity"));
}
