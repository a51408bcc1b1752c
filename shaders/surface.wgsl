// Cortical surface material: per-vertex colour (curvature underlay and overlays, painted on the
// CPU by brain::paint) lit by a head-light at the camera plus a fill light from above.
// Lighting is evaluated per vertex (Gouraud): cortical meshes are dense enough that it looks
// the same as per-pixel lighting, and software rasterisers (Mesa lavapipe) then shade each
// pixel with a single interpolated colour.
//
// colour = albedo · (ambient + diffuse·|n·v| + fill·max(n·up, 0)) + specular·|n·v|^shininess

#import bevy_pbr::mesh_functions::get_world_from_local
#import bevy_pbr::mesh_view_bindings::view

struct SurfaceLighting {
    // ambient, diffuse, specular, shininess
    terms: vec4<f32>,
    // fill light strength in x; yzw unused
    fill: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> lighting: SurfaceLighting;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    var out: VertexOutput;
    // Surfaces are placed by rotations and translations only, so normals transform with the
    // same matrix as positions (no inverse-transpose needed).
    let world_from_local = get_world_from_local(v.instance_index);
    let world = world_from_local * vec4<f32>(v.position, 1.0);
    out.clip_position = view.clip_from_world * world;
    let n = normalize((world_from_local * vec4<f32>(v.normal, 0.0)).xyz);
    let to_eye = normalize(view.world_position - world.xyz);
    // two-sided: light whichever side faces the viewer
    let ndv = abs(dot(n, to_eye));
    let up = select(n.y, -n.y, dot(n, to_eye) < 0.0);
    let t = lighting.terms;
    let shade = t.x + t.y * ndv + lighting.fill.x * max(up, 0.0);
    out.color = vec4<f32>(v.color.rgb * shade + vec3<f32>(t.z * pow(ndv, t.w)), 1.0);
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    return in.color;
}
