//! Undo and redo (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y) for edits: the layer stack (layers added or
//! removed, order, visibility, colour scales, thresholds, label modes) and the electrode
//! layout (moves, imports, plan runs).
//!
//! A snapshot is taken whenever the edited state differs from the last one while no mouse
//! button is held, so a slider drag or an electrode drag is one step. Snapshots share the
//! layers' data (`Arc`), so a step costs a few hundred bytes; at most [`DEPTH`] are kept.
//! Simulation values and the camera are not edits and are not undone.

use bevy::prelude::*;

use super::camera::UiCapture;
use super::planning::PlanState;
use super::shared::SceneDoc;
use crate::brain::scene::{Layer, LayerData};
use crate::planning::optimize::Layout;

/// Steps kept.
pub const DEPTH: usize = 100;

#[derive(Clone)]
struct Snapshot {
    layers: Vec<Layer>,
    layout: Option<Layout>,
    key: String,
}

#[derive(Resource, Default)]
pub struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
    current: Option<Snapshot>,
}

impl History {
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
    /// Forget every step (a new scene replaced the edited one).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
        self.current = None;
    }
    pub fn depth(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }
}

#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryCommand {
    Undo,
    Redo,
}

pub struct HistoryPlugin;

impl Plugin for HistoryPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<History>()
            .add_message::<HistoryCommand>()
            .add_systems(PostUpdate, (keys, apply, record).chain());
    }
}

/// What identifies the edited state (not the layers' values, which simulations rewrite).
fn key(layers: &[Layer], layout: Option<&Layout>) -> String {
    use std::fmt::Write;
    let mut k = String::new();
    for l in layers {
        let _ = write!(k, "{}|{}|{}|{}|", l.id, l.name, l.visible, l.live);
        match &l.data {
            // not the frame: playing a series is not an edit
            LayerData::Overlay {
                style, auto_style, ..
            } => {
                let _ = write!(k, "{style:?}|{auto_style};");
            }
            LayerData::Labels { mode, opacity, .. } => {
                let _ = write!(k, "{mode:?}|{opacity};");
            }
        }
    }
    let _ = write!(k, "#{layout:?}");
    k
}

fn snapshot(doc: &SceneDoc, plan: &PlanState) -> Snapshot {
    Snapshot {
        layers: doc.0.layers.clone(),
        layout: plan.layout.clone(),
        key: key(&doc.0.layers, plan.layout.as_ref()),
    }
}

fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    capture: Res<UiCapture>,
    mut cmds: MessageWriter<HistoryCommand>,
) {
    if capture.keyboard {
        return;
    }
    let (ctrl, shift) = super::shared::modifiers(&keys);
    if ctrl && keys.just_pressed(KeyCode::KeyZ) {
        cmds.write(if shift {
            HistoryCommand::Redo
        } else {
            HistoryCommand::Undo
        });
    }
    if ctrl && keys.just_pressed(KeyCode::KeyY) {
        cmds.write(HistoryCommand::Redo);
    }
}

fn restore(s: &Snapshot, doc: &mut SceneDoc, plan: &mut PlanState) {
    doc.0.layers = s.layers.clone();
    doc.0.color_rev += 1;
    if plan.layout != s.layout {
        match &s.layout {
            Some(l) => plan.set_layout(l.clone()),
            None => {
                plan.layout = None;
                plan.contacts.clear();
                plan.layout_rev += 1;
            }
        }
    }
}

fn apply(
    mut cmds: MessageReader<HistoryCommand>,
    mut h: ResMut<History>,
    mut doc: ResMut<SceneDoc>,
    mut plan: ResMut<PlanState>,
    mut notices: MessageWriter<super::shared::Notice>,
) {
    for c in cmds.read() {
        let (from, to) = match c {
            HistoryCommand::Undo => (&mut h.undo, "undo"),
            HistoryCommand::Redo => (&mut h.redo, "redo"),
        };
        let Some(s) = from.pop() else {
            notices.write(super::shared::Notice::info(format!("Nothing to {to}")));
            continue;
        };
        restore(&s, &mut doc, &mut plan);
        let now = snapshot(&doc, &plan);
        if let Some(cur) = h.current.replace(now) {
            match c {
                HistoryCommand::Undo => h.redo.push(cur),
                HistoryCommand::Redo => h.undo.push(cur),
            }
        }
    }
}

fn record(
    mut h: ResMut<History>,
    doc: Res<SceneDoc>,
    plan: Res<PlanState>,
    mouse: Res<ButtonInput<MouseButton>>,
    mut seen: Local<(u64, usize, u64)>,
) {
    if mouse.get_pressed().next().is_some() || plan.dragging.is_some() {
        return;
    }
    // every edit repaints (bumps `color_rev`) or moves electrodes (bumps `layout_rev`); a
    // running simulation rewrites the live layer's values without either, so it costs nothing
    let revs = (doc.0.color_rev, doc.0.layers.len(), plan.layout_rev);
    if revs == *seen && h.current.is_some() {
        return;
    }
    *seen = revs;
    let k = key(&doc.0.layers, plan.layout.as_ref());
    if h.current.as_ref().is_some_and(|c| c.key == k) {
        return;
    }
    let now = Snapshot {
        layers: doc.0.layers.clone(),
        layout: plan.layout.clone(),
        key: k,
    };
    if let Some(prev) = h.current.replace(now)
        && !prev.layers.is_empty()
    {
        h.undo.push(prev);
        if h.undo.len() > DEPTH {
            h.undo.remove(0);
        }
        h.redo.clear();
    }
}
