//! The colour bar of the top-most visible overlay, and the status line.

use bevy_egui::egui;

use super::state::{NoticeLog, level_text};
use crate::app::shared::Loading;
use crate::brain::colormap::Colormap;
use crate::brain::scene::{LayerData, Scene};

pub fn colorbar_overlay(ctx: &egui::Context, scene: &Scene, left: f32, bottom: f32) {
    colorbar_with_note(ctx, scene, left, bottom, None);
}

/// The colour bar, with a line under its title (presenter mode: the model and the simulated
/// time).
pub fn colorbar_with_note(
    ctx: &egui::Context,
    scene: &Scene,
    left: f32,
    bottom: f32,
    note: Option<&str>,
) {
    let Some(layer) = scene.colorbar_layer() else {
        return;
    };
    let LayerData::Overlay { style, .. } = &layer.data else {
        return;
    };
    let Some(cmap) = Colormap::by_name(&style.colormap) else {
        return;
    };
    let (lo, hi) = if style.symmetric {
        (-style.max.abs(), style.max.abs())
    } else {
        (style.min, style.max)
    };
    egui::Area::new(egui::Id::new("colorbar"))
        .anchor(
            egui::Align2::LEFT_BOTTOM,
            egui::vec2(left + 16.0, -(bottom + 16.0)),
        )
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                let units = layer
                    .units
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                ui.label(egui::RichText::new(format!("{}{units}", layer.name)).strong());
                if let Some(n) = note {
                    ui.label(n);
                }
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(240.0, 14.0), egui::Sense::hover());
                let n = 64;
                for i in 0..n {
                    let t0 = i as f32 / n as f32;
                    let c = cmap.at((i as f32 + 0.5) / n as f32);
                    let x0 = rect.left() + rect.width() * t0;
                    let x1 = rect.left() + rect.width() * (i + 1) as f32 / n as f32 + 0.5;
                    ui.painter().rect_filled(
                        egui::Rect::from_min_max(
                            egui::pos2(x0, rect.top()),
                            egui::pos2(x1, rect.bottom()),
                        ),
                        0.0,
                        egui::Color32::from_rgb(c[0], c[1], c[2]),
                    );
                }
                ui.horizontal(|ui| {
                    ui.set_width(240.0);
                    // an end within a thousandth of the range of 0 is 0 (a range that follows
                    // the activity can end at −7.5e-31)
                    let tiny = 1e-3 * (hi - lo).abs();
                    let end = |v: f32| if v.abs() < tiny { 0.0 } else { v };
                    ui.label(fmt(end(lo)));
                    if style.threshold > 0.0 {
                        ui.label(
                            egui::RichText::new(format!("|v| < {} hidden", fmt(style.threshold)))
                                .small()
                                .weak(),
                        );
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.label(fmt(end(hi)))
                    });
                });
            });
        });
}

fn fmt(v: f32) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        format!("{v:.2e}")
    } else {
        format!("{v:.2}")
    }
}

pub fn status_bar(
    ui: &mut egui::Ui,
    scene: &Scene,
    loading: &Loading,
    vessels: &crate::app::vessels::VesselView,
    log: &mut NoticeLog,
) {
    ui.horizontal(|ui| {
        if vessels.preparing || vessels.building {
            ui.spinner();
            ui.label(if vessels.preparing {
                "vessels: statistics and components…"
            } else {
                "vessels: building geometry…"
            });
            ui.separator();
        }
        if !loading.pending.is_empty() {
            ui.spinner();
            for p in &loading.pending {
                ui.label(format!("loading {}", p.what));
                let f = p.fraction();
                if f > 0.0 {
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(120.0)
                            .show_percentage(),
                    );
                }
            }
            ui.separator();
        }
        let nv: usize = scene.hemis.values().map(|g| g.n_vertices()).sum();
        let vessel_text = scene
            .vessels
            .as_ref()
            .map(|v| format!(", {} vessel segments", v.graph.edges.len()))
            .unwrap_or_default();
        ui.label(format!(
            "{} hemisphere(s), {nv} vertices, {} layer(s){vessel_text}",
            scene.hemis.len(),
            scene.layers.len()
        ));
        // the latest error stays in view for 20 s even if other messages follow it
        let recent_error = log
            .last_error
            .as_ref()
            .filter(|(_, at)| at.elapsed() < std::time::Duration::from_secs(20))
            .map(|(t, _)| (crate::app::shared::Level::Error, t.clone()));
        if let Some((level, text)) = recent_error.or_else(|| log.entries.last().cloned()) {
            ui.separator();
            if ui
                .link(level_text(level, &text))
                .on_hover_text("show all messages")
                .clicked()
            {
                log.show_log = true;
            }
        }
    });
}
