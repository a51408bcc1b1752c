//! The live layer: the scene's [`Layer::live`](crate::brain::scene::Layer::live) overlay is
//! drawn by the surface shader from a value buffer ([`LIVE_VALUES`]) instead of being painted
//! into the vertex colours — so a running simulation recolours the cortex by writing one f32
//! per vertex, and a GPU simulation without any copy at all: its kernels step in that buffer.
//!
//! Who fills the buffer ([`LiveFeed`]):
//! * nobody special (the default): this plugin uploads the live layer's own values whenever
//!   they change (a new `Arc` per hemisphere) — the CPU models, and `render` of a live layer;
//! * a GPU run (`app::compute`): the buffer is the model's state; the shader reads the shown
//!   array (`base`) and, for phases, takes the sine. Nothing is uploaded here then.
//!
//! Each hemisphere's mesh carries a [`MeshTag`] with its first vertex in the buffer
//! (hemispheres in the layer's order, left first), which the shader adds to the vertex index.
//! The style (colormap, range, threshold, opacity, visibility) goes into the cortex
//! materials' [`LiveUniform`] only when it changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy::mesh::MeshTag;
use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::material::{LIVE_VALUES, LiveUniform, SurfaceMaterial, live_buffer};
use super::scene::{BrainMaterials, HemiMesh};
use super::shared::SceneDoc;
use crate::brain::Hemisphere;
use crate::brain::colormap::Colormap;
use crate::brain::data::Overlay;
use crate::brain::paint::OverlayStyle;
use crate::brain::scene::LayerData;

/// Where the live buffer's values come from.
#[derive(Resource, Default, Clone, Debug, PartialEq)]
pub struct LiveFeed {
    /// A GPU run owns the buffer: its layout.
    pub gpu: Option<GpuLayout>,
    /// Bumped when the buffer was replaced (its size changed): materials rebind.
    pub buffer_rev: u64,
}

/// How a model's state sits in the buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuLayout {
    /// index of the first value of the shown array (array index × vertices)
    pub base: u32,
    /// show sin(x) (Kuramoto phases)
    pub sine: bool,
    /// each hemisphere's first vertex
    pub offsets: Vec<(Hemisphere, u32)>,
}

pub struct LivePlugin;

impl Plugin for LivePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LiveFeed>()
            .add_systems(PostUpdate, sync_live);
    }
}

/// The shader's uniform for a style (drawn when `visible`).
pub fn live_uniform(style: &OverlayStyle, visible: bool, base: u32, sine: bool) -> LiveUniform {
    let cmap = Colormap::by_name(&style.colormap)
        .or_else(|| Colormap::by_name("viridis"))
        .expect("viridis exists");
    let mut lut = [Vec4::ZERO; 256];
    for (o, c) in lut.iter_mut().zip(&cmap.lut) {
        *o = Vec4::new(c[0] as f32, c[1] as f32, c[2] as f32, c[3] as f32) / 255.0;
    }
    LiveUniform {
        flags: UVec4::new(visible as u32, sine as u32, style.symmetric as u32, base),
        range: Vec4::new(style.min, style.max, style.threshold, style.opacity),
        lut,
    }
}

/// What was last sent to the GPU.
#[derive(Default)]
struct Applied {
    uniform: Option<LiveUniform>,
    /// the uploaded values (by identity) and how many floats the buffer holds
    values: Vec<Arc<Overlay>>,
    /// floats in the buffer as last uploaded here (None after a GPU run owned it)
    cpu_len: Option<usize>,
    buffer_rev: u64,
    /// frames left in which the materials are touched again after a buffer change (the
    /// material's bind group may have been prepared before the new buffer in that frame)
    rebind: u8,
}

fn sync_live(
    doc: Res<SceneDoc>,
    mut feed: ResMut<LiveFeed>,
    mut applied: Local<Applied>,
    brain: Option<Res<BrainMaterials>>,
    mut materials: ResMut<Assets<SurfaceMaterial>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut commands: Commands,
    meshes: Query<(Entity, &HemiMesh, Option<&MeshTag>)>,
) {
    let Some(brain) = brain else {
        return;
    };
    let layer = doc.0.live_layer();
    let per_hemi: Option<&BTreeMap<Hemisphere, Arc<Overlay>>> = layer.and_then(|l| match &l.data {
        LayerData::Overlay { per_hemi, .. } => Some(per_hemi),
        _ => None,
    });
    // each hemisphere's first vertex in the buffer
    let offsets: Vec<(Hemisphere, u32)> = match (&feed.gpu, per_hemi) {
        (Some(g), _) => g.offsets.clone(),
        (None, Some(p)) => {
            let mut off = 0u32;
            p.iter()
                .map(|(h, o)| {
                    let at = off;
                    off += o.n_vertices as u32;
                    (*h, at)
                })
                .collect()
        }
        (None, None) => Vec::new(),
    };
    for (e, h, tag) in &meshes {
        let want = offsets.iter().find(|o| o.0 == h.0).map_or(0, |o| o.1);
        if tag.map(|t| t.0) != Some(want) {
            commands.entity(e).insert(MeshTag(want));
        }
    }
    // the CPU feeds: upload the layer's values when they are new
    if feed.gpu.is_none()
        && let Some(p) = per_hemi
    {
        let same = p.len() == applied.values.len()
            && p.values()
                .zip(&applied.values)
                .all(|(a, b)| Arc::ptr_eq(a, b));
        if !same {
            let values: Vec<f32> = p
                .values()
                .flat_map(|o| o.frame(0).iter().copied())
                .collect();
            if applied.cpu_len != Some(values.len()) {
                feed.buffer_rev += 1;
                applied.cpu_len = Some(values.len());
            }
            let _ = buffers.insert(LIVE_VALUES.id(), live_buffer(&values));
            applied.values = p.values().cloned().collect();
        }
    }
    if feed.gpu.is_some() {
        applied.cpu_len = None;
        applied.values.clear();
    }
    let (base, sine) = feed.gpu.as_ref().map_or((0, false), |g| (g.base, g.sine));
    let uniform = match (layer, per_hemi) {
        (Some(l), Some(_)) => match &l.data {
            LayerData::Overlay { style, .. } => live_uniform(style, l.visible, base, sine),
            _ => LiveUniform::default(),
        },
        _ => LiveUniform::default(),
    };
    if feed.buffer_rev != applied.buffer_rev {
        applied.buffer_rev = feed.buffer_rev;
        applied.rebind = 3;
    }
    let changed = applied.uniform.as_ref() != Some(&uniform);
    if changed || applied.rebind > 0 {
        applied.rebind = applied.rebind.saturating_sub(1);
        for h in brain.all() {
            if let Some(mut m) = materials.get_mut(h) {
                m.live = uniform;
            }
        }
        applied.uniform = Some(uniform);
    }
}
