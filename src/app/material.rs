//! The surface material (`shaders/surface.wgsl`): vertex colours with a cheap head-light,
//! evaluated per vertex. Measured on Mesa lavapipe, 1280×800, both fsaverage5 hemispheres:
//! `StandardMaterial` 505 ms/frame, this shader per pixel 51 ms, per vertex with back-face
//! culling of closed meshes 26 ms.
//!
//! The material also draws the scene's **live layer** straight from a value buffer
//! ([`LIVE_VALUES`], a [`ShaderBuffer`] every surface material binds): a running simulation's
//! state, written there by the GPU kernels themselves or uploaded from the CPU model. The
//! shader picks the vertex's value (`base + mesh tag + vertex`, optionally its sine), maps it
//! through the layer's style and colormap exactly as `brain::paint` does (the CPU twin) and
//! blends it over the painted colour in sRGB. See `app::live`.

use bevy::asset::{load_internal_asset, uuid_handle};
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, CompareFunction, Face, RenderPipelineDescriptor, ShaderType,
    SpecializedMeshPipelineError,
};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::{Shader, ShaderRef};

pub const SURFACE_SHADER: Handle<Shader> = uuid_handle!("6d1c8a52-3f0e-4b8e-9a51-4a1f2c7e9b10");

/// The live layer's values (see the module docs); every surface material binds it.
pub const LIVE_VALUES: Handle<ShaderBuffer> = uuid_handle!("0b7e3c8e-8a55-4d5f-9d0e-4f6a3b1c2d21");
/// The second state buffer GPU kernels step into (they copy back into [`LIVE_VALUES`]).
pub const LIVE_SCRATCH: Handle<ShaderBuffer> = uuid_handle!("5f2a9d14-7c63-4e0b-8b1a-2e9c4d7f6a30");

/// How the shader draws the live layer.
#[derive(Clone, Copy, Debug, ShaderType, PartialEq)]
pub struct LiveUniform {
    /// drawn (0/1), sine of the value (0/1), symmetric range (0/1), first value of the array
    pub flags: UVec4,
    /// min, max, threshold, opacity (as `OverlayStyle`)
    pub range: Vec4,
    /// the colormap's 256 sRGB colours (0..1)
    pub lut: [Vec4; 256],
}

impl Default for LiveUniform {
    fn default() -> Self {
        LiveUniform {
            flags: UVec4::ZERO,
            range: Vec4::ZERO,
            lut: [Vec4::ZERO; 256],
        }
    }
}

/// Lighting terms of the surface shader.
#[derive(Clone, Copy, Debug, ShaderType)]
pub struct SurfaceLighting {
    /// ambient, diffuse, specular, shininess
    pub terms: Vec4,
    /// fill light strength (x)
    pub fill: Vec4,
}

impl Default for SurfaceLighting {
    fn default() -> Self {
        SurfaceLighting {
            terms: Vec4::new(0.28, 0.72, 0.06, 24.0),
            fill: Vec4::new(0.12, 0.0, 0.0, 0.0),
        }
    }
}

/// Which faces to drop (closed meshes: the ones facing away; open patches: none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CullFaces {
    #[default]
    None,
    /// counter-clockwise triangles face the viewer (FreeSurfer's outward winding)
    Back,
    Front,
}

/// What the pipeline is specialised on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SurfaceKey {
    cull: CullFaces,
    overlay: bool,
}

#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
#[bind_group_data(SurfaceKey)]
pub struct SurfaceMaterial {
    #[uniform(0)]
    pub lighting: SurfaceLighting,
    #[uniform(1)]
    pub live: LiveUniform,
    #[storage(2, read_only)]
    pub values: Handle<ShaderBuffer>,
    pub cull: CullFaces,
    /// Drawn over everything (no depth test or write) and blended by the vertex colours' alpha
    /// (shader def `SURFACE_OVERLAY`) — routing arcs, as connectome viewers draw them. On
    /// lavapipe (1280×800) 2,000 arcs as 1-pixel lines this way cost 11–14 ms a frame, as
    /// retained gizmo lines (a quad per segment) 24 ms.
    pub overlay: bool,
}

impl Default for SurfaceMaterial {
    fn default() -> Self {
        SurfaceMaterial {
            lighting: SurfaceLighting::default(),
            live: LiveUniform::default(),
            values: LIVE_VALUES,
            cull: CullFaces::None,
            overlay: false,
        }
    }
}

impl From<&SurfaceMaterial> for SurfaceKey {
    fn from(m: &SurfaceMaterial) -> Self {
        SurfaceKey {
            cull: m.cull,
            overlay: m.overlay,
        }
    }
}

impl Material for SurfaceMaterial {
    fn vertex_shader() -> ShaderRef {
        ShaderRef::Handle(SURFACE_SHADER)
    }
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(SURFACE_SHADER)
    }
    fn alpha_mode(&self) -> AlphaMode {
        if self.overlay {
            AlphaMode::Blend
        } else {
            AlphaMode::Opaque
        }
    }
    fn specialize(
        _pipeline: &MaterialPipeline,
        descriptor: &mut RenderPipelineDescriptor,
        layout: &MeshVertexBufferLayoutRef,
        key: MaterialPipelineKey<Self>,
    ) -> Result<(), SpecializedMeshPipelineError> {
        let vertex_layout = layout.0.get_layout(&[
            Mesh::ATTRIBUTE_POSITION.at_shader_location(0),
            Mesh::ATTRIBUTE_NORMAL.at_shader_location(1),
            Mesh::ATTRIBUTE_COLOR.at_shader_location(2),
        ])?;
        descriptor.vertex.buffers = vec![vertex_layout];
        // Culling halves the triangles a software rasteriser sets up.
        descriptor.primitive.cull_mode = match key.bind_group_data.cull {
            CullFaces::None => None,
            CullFaces::Back => Some(Face::Back),
            CullFaces::Front => Some(Face::Front),
        };
        if key.bind_group_data.overlay {
            descriptor.vertex.shader_defs.push("SURFACE_OVERLAY".into());
            if let Some(ds) = descriptor.depth_stencil.as_mut() {
                ds.depth_compare = Some(CompareFunction::Always);
                ds.depth_write_enabled = Some(false);
            }
        }
        Ok(())
    }
}

pub struct SurfaceMaterialPlugin;

impl Plugin for SurfaceMaterialPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(
            app,
            SURFACE_SHADER,
            "../../shaders/surface.wgsl",
            Shader::from_wgsl
        );
        app.add_plugins(MaterialPlugin::<SurfaceMaterial>::default());
        // the value buffers exist from the start (one value; grown by `app::live`)
        let mut buffers = app.world_mut().resource_mut::<Assets<ShaderBuffer>>();
        for h in [LIVE_VALUES, LIVE_SCRATCH] {
            let _ = buffers.insert(h.id(), live_buffer(&[0.0]));
        }
    }
}

/// A value buffer for the live layer: storage, copyable both ways (the kernels step in it,
/// read-backs copy out of it), with these values.
pub fn live_buffer(values: &[f32]) -> ShaderBuffer {
    let mut b = ShaderBuffer::new(
        bytemuck::cast_slice(values),
        bevy::asset::RenderAssetUsages::RENDER_WORLD,
    );
    b.buffer_description.label = Some("live values");
    b.buffer_description.size = std::mem::size_of_val(values) as u64;
    b.buffer_description.usage = crate::gpu::STATE_USAGE;
    b
}
