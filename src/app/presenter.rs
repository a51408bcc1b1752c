//! Presenter mode: keys for showing things to an audience (README, "Presenting").
//!
//! | key | does |
//! |---|---|
//! | F11 | fullscreen on/off |
//! | H | hide/show all panels (the caption stays) |
//! | ? | the key help |
//! | 1–9 | glide to camera bookmark N; Ctrl+1–9 saves the current camera there |
//! | O L R D V A P | standard views: oblique, left/right lateral, dorsal, ventral, anterior, posterior |
//! | M / Shift+M | medial side of the left / right hemisphere (the other one hidden) |
//! | K | add the current state as a keyframe of the tour being recorded |
//! | T | play / stop the tour being recorded |
//!
//! Keys are ignored while a text field has the keyboard. A tour plays in real time: each frame
//! the camera, morph, layer visibility, thresholds, caption and simulation play state are set
//! to what the tour shows at that moment ([`crate::session::Tour::at`]); the same function
//! drives `render --tour`, so what is exported is what is played.

use std::time::Instant;

use bevy::prelude::*;
use bevy::window::{MonitorSelection, PrimaryWindow, WindowMode};

use super::activity::ActivityState;
use super::camera::{CameraNow, PinnedPose, SetPose, SetView, StandardView, UiCapture};
use super::session::SessionState;
use super::shared::{SceneDoc, modifiers};
use crate::brain::Hemisphere;
use crate::brain::scene::LayerData;
use crate::session::{Keyframe, Tour};

/// Presenter state the UI reads (panels hidden, help shown, the tour playing).
#[derive(Resource)]
pub struct Presenter {
    pub hide_panels: bool,
    pub toggle_help: bool,
    /// the tour being recorded / played (index into the session's tours)
    pub tour: usize,
    /// seconds between keyframes added with K
    pub keyframe_spacing_s: f64,
    pub playing: Option<Instant>,
    /// UI scale for the audience (egui zoom factor)
    pub ui_scale: f32,
}

impl Default for Presenter {
    fn default() -> Self {
        Presenter {
            hide_panels: false,
            toggle_help: false,
            tour: 0,
            keyframe_spacing_s: 2.0,
            playing: None,
            ui_scale: 1.0,
        }
    }
}

/// Presenter actions the panels can ask for (buttons that do what the keys do).
#[derive(Message, Clone, Copy, Debug)]
pub enum PresenterCommand {
    AddKeyframe,
    PlayTour,
    StopTour,
    SaveBookmark(u8),
    RecallBookmark(u8),
    ToggleFullscreen,
}

pub struct PresenterPlugin {
    /// start with the panels hidden (`view --presenter`)
    pub hide_panels: bool,
}

impl Plugin for PresenterPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Presenter {
            hide_panels: self.hide_panels,
            ..default()
        })
        .add_message::<PresenterCommand>()
        .add_systems(Update, (keys, commands, play_tour).chain());
    }
}

const DIGITS: [KeyCode; 9] = [
    KeyCode::Digit1,
    KeyCode::Digit2,
    KeyCode::Digit3,
    KeyCode::Digit4,
    KeyCode::Digit5,
    KeyCode::Digit6,
    KeyCode::Digit7,
    KeyCode::Digit8,
    KeyCode::Digit9,
];

#[allow(clippy::too_many_arguments)]
fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    capture: Res<UiCapture>,
    mut p: ResMut<Presenter>,
    mut doc: ResMut<SceneDoc>,
    mut cmds: MessageWriter<PresenterCommand>,
    mut views: MessageWriter<SetView>,
) {
    if capture.keyboard {
        return;
    }
    let (ctrl, shift) = modifiers(&keys);
    if keys.just_pressed(KeyCode::F11) {
        cmds.write(PresenterCommand::ToggleFullscreen);
    }
    if ctrl {
        for (i, k) in DIGITS.iter().enumerate() {
            if keys.just_pressed(*k) {
                cmds.write(PresenterCommand::SaveBookmark(i as u8 + 1));
            }
        }
        return; // Ctrl+letter belongs to the menus (Ctrl+S, Ctrl+O, Ctrl+Z)
    }
    for (i, k) in DIGITS.iter().enumerate() {
        if keys.just_pressed(*k) {
            cmds.write(PresenterCommand::RecallBookmark(i as u8 + 1));
        }
    }
    if keys.just_pressed(KeyCode::KeyH) {
        p.hide_panels = !p.hide_panels;
    }
    if keys.just_pressed(KeyCode::Slash) && shift {
        p.toggle_help = true;
    }
    let standard = [
        (KeyCode::KeyO, StandardView::Oblique),
        (KeyCode::KeyL, StandardView::Left),
        (KeyCode::KeyR, StandardView::Right),
        (KeyCode::KeyD, StandardView::Dorsal),
        (KeyCode::KeyV, StandardView::Ventral),
        (KeyCode::KeyA, StandardView::Anterior),
        (KeyCode::KeyP, StandardView::Posterior),
    ];
    for (k, v) in standard {
        if keys.just_pressed(k) {
            doc.0.view.show_only(None);
            views.write(SetView(v));
        }
    }
    if keys.just_pressed(KeyCode::KeyM) {
        // the medial side: one hemisphere, seen from the other's side
        let (hemi, view) = if shift {
            (Hemisphere::Right, StandardView::Left)
        } else {
            (Hemisphere::Left, StandardView::Right)
        };
        doc.0.view.show_only(Some(hemi));
        views.write(SetView(view));
    }
    if keys.just_pressed(KeyCode::KeyK) {
        cmds.write(PresenterCommand::AddKeyframe);
    }
    if keys.just_pressed(KeyCode::KeyT) {
        cmds.write(if p.playing.is_some() {
            PresenterCommand::StopTour
        } else {
            PresenterCommand::PlayTour
        });
    }
}

/// The keyframe the app's state makes now.
fn keyframe_now(
    at_s: f64,
    doc: &SceneDoc,
    now: &CameraNow,
    activity: &ActivityState,
    caption: &Option<String>,
) -> Option<Keyframe> {
    let camera = now.0?;
    let mut k = Keyframe {
        at_s,
        camera,
        visible: Default::default(),
        thresholds: Default::default(),
        inflate: doc.0.view.inflate,
        simulation_running: activity.sim.is_some().then_some(activity.running),
        caption: caption.clone(),
    };
    for l in &doc.0.layers {
        k.visible.insert(l.name.clone(), l.visible);
        if let LayerData::Overlay { style, .. } = &l.data {
            k.thresholds.insert(l.name.clone(), style.threshold);
        }
    }
    Some(k)
}

#[allow(clippy::too_many_arguments)]
fn commands(
    mut cmds: MessageReader<PresenterCommand>,
    mut p: ResMut<Presenter>,
    mut st: ResMut<SessionState>,
    doc: Res<SceneDoc>,
    now: Res<CameraNow>,
    activity: Res<ActivityState>,
    mut poses: MessageWriter<SetPose>,
    mut notices: MessageWriter<super::shared::Notice>,
    mut window: Query<&mut Window, With<PrimaryWindow>>,
) {
    for c in cmds.read() {
        match *c {
            PresenterCommand::ToggleFullscreen => {
                if let Ok(mut w) = window.single_mut() {
                    w.mode = match w.mode {
                        WindowMode::Windowed => {
                            WindowMode::BorderlessFullscreen(MonitorSelection::Current)
                        }
                        _ => WindowMode::Windowed,
                    };
                }
            }
            PresenterCommand::SaveBookmark(n) => {
                if let Some(pose) = now.0 {
                    st.bookmarks.insert(n, pose);
                    notices.write(super::shared::Notice::info(format!(
                        "Camera bookmark {n} saved (press {n} to return to it)"
                    )));
                }
            }
            PresenterCommand::RecallBookmark(n) => match st.bookmarks.get(&n) {
                Some(pose) => {
                    poses.write(SetPose {
                        pose: *pose,
                        smooth: true,
                    });
                }
                None => {
                    notices.write(super::shared::Notice::info(format!(
                        "No camera bookmark {n} (Ctrl+{n} saves one)"
                    )));
                }
            },
            PresenterCommand::AddKeyframe => {
                if st.tours.is_empty() {
                    st.tours.push(Tour {
                        name: "tour 1".into(),
                        keyframes: Vec::new(),
                    });
                }
                p.tour = p.tour.min(st.tours.len() - 1);
                let at = st.tours[p.tour]
                    .keyframes
                    .last()
                    .map_or(0.0, |k| k.at_s + p.keyframe_spacing_s);
                let caption = st.caption.clone();
                if let Some(k) = keyframe_now(at, &doc, &now, &activity, &caption) {
                    let i = p.tour;
                    let tour = &mut st.tours[i];
                    tour.keyframes.push(k);
                    notices.write(super::shared::Notice::info(format!(
                        "Keyframe {} of {:?} at {at:.1} s",
                        tour.keyframes.len(),
                        tour.name
                    )));
                }
            }
            PresenterCommand::PlayTour => {
                let ok = st.tours.get(p.tour).is_some_and(|t| t.keyframes.len() >= 2);
                if ok {
                    p.playing = Some(Instant::now());
                } else {
                    notices.write(super::shared::Notice::info(
                        "A tour needs two keyframes: press K at each (camera, layers, morph, caption)",
                    ));
                }
            }
            PresenterCommand::StopTour => p.playing = None,
        }
    }
}

fn play_tour(
    mut p: ResMut<Presenter>,
    mut st: ResMut<SessionState>,
    mut doc: ResMut<SceneDoc>,
    mut pinned: ResMut<PinnedPose>,
    mut activity: ResMut<ActivityState>,
    mut poses: MessageWriter<SetPose>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    let Some(start) = p.playing else { return };
    let Some(tour) = st.tours.get(p.tour).cloned() else {
        p.playing = None;
        return;
    };
    let t = start.elapsed().as_secs_f64();
    let Some(f) = tour.at(t) else {
        p.playing = None;
        return;
    };
    super::capture::apply_tour_frame(&f, &mut doc.0, &mut pinned);
    poses.write(SetPose {
        pose: f.camera,
        smooth: false,
    });
    if let Some(run) = f.simulation_running
        && activity.running != run
    {
        activity.running = run;
    }
    if f.caption.is_some() && st.caption != f.caption {
        st.caption = f.caption.clone();
    }
    redraw.write(bevy::window::RequestRedraw);
    if t > tour.duration() {
        p.playing = None;
    }
}
