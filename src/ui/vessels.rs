//! The Vessels panel: what the graph is (generated or loaded), its statistics with a radius
//! histogram and degree counts, display style and filters, and the picked vessel's attributes.
//! It only reads the scene and edits `VesselView`.

use bevy_egui::egui;
use egui_plot::{Bar, BarChart, Plot};

use crate::app::vessels::VesselView;
use crate::brain::scene::Scene;
use crate::brain::vessel_mesh::VesselColor;
use crate::brain::vessels::VesselKind;

pub fn vessels_window(ctx: &egui::Context, open: &mut bool, scene: &Scene, view: &mut VesselView) {
    let mut changed = false;
    egui::Window::new("Vessels")
        .open(open)
        .default_width(360.0)
        .default_pos(egui::pos2(300.0, 60.0))
        .show(ctx, |ui| {
            let Some(set) = &scene.vessels else {
                ui.label("No vessel graph. File → Open a VesselGraph CSV (…_nodes.csv/…_edges.csv), a Voreen .vvg, a VTK polydata or an SWC file.");
                return;
            };
            let g = &set.graph;
            ui.horizontal(|ui| {
                ui.strong(&set.name);
                if g.generated {
                    ui.colored_label(egui::Color32::from_rgb(240, 190, 60), "generated (not anatomy)");
                }
            });
            if view.preparing {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("computing statistics and components of {} segments…", g.edges.len()));
                });
            } else if view.index.is_none() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("building the spatial index (clicking a vessel works when it is done)…");
                });
            }
            if let Some(st) = &view.stats {
                egui::Grid::new("vessel-stats").num_columns(2).striped(true).show(ui, |ui| {
                    ui.label("nodes / segments");
                    ui.label(format!("{} / {}", st.nodes, st.edges));
                    ui.end_row();
                    ui.label("connected components");
                    ui.label(st.components.to_string());
                    ui.end_row();
                    ui.label("total length");
                    ui.label(format!("{:.1} mm", st.total_length_mm));
                    ui.end_row();
                    ui.label("radius min / mean / max");
                    ui.label(format!("{:.4} / {:.4} / {:.4} mm", st.radius_min, st.radius_mean, st.radius_max));
                    ui.end_row();
                    ui.label("nodes by degree");
                    let deg: Vec<String> = st.degree_counts.iter().enumerate().filter(|(_, c)| **c > 0).take(8).map(|(d, c)| format!("{d}:{c}")).collect();
                    ui.label(deg.join("  "));
                    ui.end_row();
                });
                let bars: Vec<Bar> = view.radius_hist.iter().map(|&(x, c, w)| Bar::new(x, c).width(w * 0.95)).collect();
                Plot::new("radius-hist")
                    .height(110.0)
                    .allow_scroll(false)
                    .allow_drag(false)
                    .x_axis_label("radius (mm)")
                    .show(ui, |p| p.bar_chart(BarChart::new("segments", bars)));
            }
            ui.separator();
            changed |= ui.checkbox(&mut view.show, "show vessels").changed();
            let label = |c: &VesselColor| match c {
                VesselColor::Radius => "radius".to_string(),
                VesselColor::Kind => "kind (artery/vein/penetrating)".to_string(),
                VesselColor::Component => "connected component".to_string(),
                VesselColor::Attribute(n) => n.clone(),
                VesselColor::Distance { .. } => "distance to the selected electrode".to_string(),
            };
            egui::ComboBox::from_label("colour by")
                .selected_text(label(&view.style.color))
                .show_ui(ui, |ui| {
                    let mut options = vec![VesselColor::Radius, VesselColor::Kind, VesselColor::Component];
                    options.extend(g.attributes.iter().map(|(n, _)| VesselColor::Attribute(n.clone())));
                    for o in options {
                        let text = label(&o);
                        changed |= ui.selectable_value(&mut view.style.color, o, text).changed();
                    }
                    let is_distance = matches!(view.style.color, VesselColor::Distance { .. });
                    if ui.selectable_label(is_distance, "distance to the selected electrode").clicked() && !is_distance {
                        // the planner fills in the contacts (see app::planning)
                        view.style.color = VesselColor::Distance { points: Vec::new(), max_mm: 3.0 };
                        changed = true;
                    }
                });
            if let VesselColor::Distance { points, max_mm } = &mut view.style.color {
                ui.horizontal(|ui| {
                    ui.label("bright at the wall, dark from");
                    changed |= ui.add(egui::DragValue::new(max_mm).speed(0.05).range(0.1..=50.0).suffix(" mm")).changed();
                });
                if points.is_empty() {
                    ui.label("No electrodes yet: plan electrodes (Plan electrodes) and grab one to select it.");
                } else if let Some(from) = &view.distance_from {
                    ui.label(format!("from {from}"));
                }
            }
            ui.horizontal(|ui| {
                ui.label("radius from");
                let (mut lo, mut hi) = view.style.radius_range;
                let max = view.stats.as_ref().map_or(1.0, |s| s.radius_max as f32);
                if !hi.is_finite() {
                    hi = max;
                }
                changed |= ui.add(egui::DragValue::new(&mut lo).speed(0.001).range(0.0..=max).suffix(" mm")).changed();
                ui.label("to");
                changed |= ui.add(egui::DragValue::new(&mut hi).speed(0.001).range(lo..=max.max(lo)).suffix(" mm")).changed();
                view.style.radius_range = (lo, hi);
            });
            let has_border = g.node_border.iter().any(|&b| b);
            ui.add_enabled_ui(has_border, |ui| {
                changed |= ui.checkbox(&mut view.style.hide_border, "hide edges at the sample border").changed();
            });
            let picked_comp = view.picked.and_then(|e| view.components.get(g.edges[e as usize][0] as usize).copied());
            let mut only = view.style.only_component.is_some();
            ui.add_enabled_ui(picked_comp.is_some() || only, |ui| {
                if ui.checkbox(&mut only, "only the picked vessel's component").changed() {
                    view.style.only_component = if only { picked_comp } else { None };
                    changed = true;
                }
            });
            ui.horizontal(|ui| {
                ui.label("tubes for the thickest");
                changed |= ui.add(egui::DragValue::new(&mut view.style.tube_budget).range(0..=2_000_000).speed(1000)).changed();
                ui.label("segments, lines for the rest");
            });
            ui.label(format!("drawn: {} tubes + {} lines (built in {:.0} ms)", view.n_tubes, view.n_lines, view.build_ms));
            if view.n_shells > 0 {
                ui.label(format!("keep-out shells around {} segments near the electrodes (Plan electrodes → show vessel margin)", view.n_shells));
            }
            ui.separator();
            match view.picked {
                None => {
                    ui.label("Click a vessel to see its attributes.");
                }
                Some(e) => {
                    let e = e as usize;
                    let [a, b] = g.edges[e];
                    let (pa, pb) = g.segment(e);
                    let len = glam::Vec3::from(pa).distance(glam::Vec3::from(pb));
                    egui::Grid::new("vessel-picked").num_columns(2).striped(true).show(ui, |ui| {
                        ui.strong("segment");
                        ui.label(e.to_string());
                        ui.end_row();
                        ui.label("nodes");
                        ui.label(format!("{a} to {b}"));
                        ui.end_row();
                        ui.label("radius");
                        ui.label(format!("{:.4} mm", g.radius[e]));
                        ui.end_row();
                        ui.label("segment length");
                        ui.label(format!("{len:.4} mm"));
                        ui.end_row();
                        ui.label("kind");
                        ui.label(match g.kind[e] {
                            VesselKind::Artery => "artery",
                            VesselKind::Vein => "vein",
                            VesselKind::Penetrating => "penetrating",
                            VesselKind::Unknown => "—",
                        });
                        ui.end_row();
                        for (name, v) in &g.attributes {
                            ui.label(name);
                            ui.label(format!("{}", v[e]));
                            ui.end_row();
                        }
                    });
                }
            }
        });
    if changed {
        view.style_rev += 1;
    }
}
