//! The surface material (`shaders/surface.wgsl`): vertex colours with a cheap head-light,
//! evaluated per vertex. Measured on Mesa lavapipe, 1280×800, both fsaverage5 hemispheres:
//! `StandardMaterial` 505 ms/frame, this shader per pixel 51 ms, per vertex with back-face
//! culling of closed meshes 26 ms.

use bevy::asset::{load_internal_asset, uuid_handle};
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, Face, RenderPipelineDescriptor, ShaderType, SpecializedMeshPipelineError,
};
use bevy::shader::{Shader, ShaderRef};

pub const SURFACE_SHADER: Handle<Shader> = uuid_handle!("6d1c8a52-3f0e-4b8e-9a51-4a1f2c7e9b10");

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

#[derive(Asset, TypePath, AsBindGroup, Debug, Clone, Default)]
#[bind_group_data(CullFaces)]
pub struct SurfaceMaterial {
    #[uniform(0)]
    pub lighting: SurfaceLighting,
    pub cull: CullFaces,
}

impl From<&SurfaceMaterial> for CullFaces {
    fn from(m: &SurfaceMaterial) -> Self {
        m.cull
    }
}

impl Material for SurfaceMaterial {
    fn vertex_shader() -> ShaderRef {
        ShaderRef::Handle(SURFACE_SHADER)
    }
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(SURFACE_SHADER)
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
        descriptor.primitive.cull_mode = match key.bind_group_data {
            CullFaces::None => None,
            CullFaces::Back => Some(Face::Back),
            CullFaces::Front => Some(Face::Front),
        };
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
    }
}
