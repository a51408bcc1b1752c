//! Selectivity in the app: the vertex under the pointer (for caption tooltips, ray-cast only
//! while captions are loaded and the pointer moves over the 3D view) and the start-up option
//! `view --selectivity-demo`. The dataset itself lives in the scene document
//! (`selectivity::state`); the panel is `ui::selectivity`.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::camera::{MainCamera, UiCapture};
use super::picking::surface_hit;
use super::scene::Drawn;
use super::shared::SceneDoc;
use crate::brain::scene::Selection;
use crate::brain::surface::nearest_corner;

/// The vertex under the pointer, and where the pointer is (logical px).
#[derive(Resource, Default)]
pub struct Hover {
    pub vertex: Option<Selection>,
    pub at: Option<Vec2>,
    /// open the Selectivity panel (start-up option)
    pub reveal: bool,
    /// open the Routing panel (start-up option `view --routing`)
    pub reveal_routing: bool,
}

pub struct SelectivityPlugin {
    /// open the synthetic demo and its panel once the default scene is loaded
    pub demo_at_start: bool,
    /// open the Routing panel at start-up with this vertex of the left hemisphere selected
    pub routing_vertex: Option<usize>,
}

impl Plugin for SelectivityPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Hover>().add_systems(Update, hover);
        if self.demo_at_start {
            app.add_systems(Update, open_demo);
        }
        if let Some(v) = self.routing_vertex {
            app.insert_resource(RoutingStart(v))
                .add_systems(Update, open_routing);
        }
    }
}

fn hover(
    capture: Res<UiCapture>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform), With<MainCamera>>,
    drawn: Res<Drawn>,
    doc: Res<SceneDoc>,
    mut hover: ResMut<Hover>,
) {
    let cursor = window.cursor_position();
    if doc.0.selectivity().captions.is_none() || capture.pointer || cursor.is_none() {
        if hover.vertex.is_some() || hover.at.is_some() {
            hover.vertex = None;
            hover.at = None;
        }
        return;
    }
    if cursor == hover.at && !doc.is_changed() {
        return;
    }
    hover.at = cursor;
    let (cam, tf) = *camera;
    hover.vertex = cursor
        .and_then(|c| surface_hit(cam, tf, c, &drawn, &doc))
        .map(|hit| Selection {
            hemi: hit.hemi,
            vertex: nearest_corner(hit.face, hit.bary) as usize,
        });
}

fn open_demo(
    mut doc: ResMut<SceneDoc>,
    mut hover: ResMut<Hover>,
    mut hold: ResMut<super::shared::CaptureHold>,
    mut notices: MessageWriter<super::shared::Notice>,
    mut stage: Local<u8>,
) {
    match *stage {
        0 => {
            hold.0 += 1;
            *stage = 1;
        }
        1 if !doc.0.hemis.is_empty() && !doc.0.layers.is_empty() => {
            match doc.0.open_selectivity_demo() {
                Ok(n) => notices.write(super::shared::Notice::info(n)),
                Err(e) => notices.write(super::shared::Notice::error(e)),
            };
            hover.reveal = true;
            hold.0 = hold.0.saturating_sub(1);
            *stage = 2;
        }
        _ => {}
    }
}

#[derive(Resource)]
struct RoutingStart(usize);

/// `view --routing V`: select left vertex V once the scene is there and open the panel.
fn open_routing(
    start: Res<RoutingStart>,
    mut doc: ResMut<SceneDoc>,
    mut hover: ResMut<Hover>,
    mut done: Local<bool>,
) {
    if *done || doc.0.hemis.is_empty() || doc.0.layers.is_empty() {
        return;
    }
    *done = true;
    doc.0.selection = Some(Selection {
        hemi: crate::brain::Hemisphere::Left,
        vertex: start.0,
    });
    hover.reveal_routing = true;
}
