// Cortical surface material: per-vertex colour (curvature underlay and overlays, painted on the
// CPU by brain::paint) lit by a head-light at the camera plus a fill light from above.
// Lighting is evaluated per vertex (Gouraud): cortical meshes are dense enough that it looks
// the same as per-pixel lighting, and software rasterisers (Mesa lavapipe) then shade each
// pixel with a single interpolated colour.
//
// colour = albedo · (ambient + diffuse·|n·v| + fill·max(n·up, 0)) + specular·|n·v|^shininess
//
// The albedo is the painted vertex colour with the live layer blended over it: the value of
// this vertex in `live_values` (index = base + mesh tag + vertex; the tag is the
// hemisphere's first vertex in the buffer), optionally its sine, mapped through the layer's
// style and colormap and blended in sRGB — the CPU twin is brain::paint (OverlayStyle::position,
// Colormap::at, blend).

#import bevy_pbr::mesh_functions::{get_world_from_local, get_tag}
#import bevy_pbr::mesh_bindings::mesh
#import bevy_pbr::mesh_view_bindings::view

struct SurfaceLighting {
    // ambient, diffuse, specular, shininess
    terms: vec4<f32>,
    // fill light strength in x; yzw unused
    fill: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> lighting: SurfaceLighting;

struct Live {
    // drawn, sine, symmetric, base
    flags: vec4<u32>,
    // min, max, threshold, opacity
    range: vec4<f32>,
    // sRGB colours of the colormap
    lut: array<vec4<f32>, 256>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> live: Live;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> live_values: array<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @builtin(vertex_index) index: u32,
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) color: vec4<f32>,
};

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    return select(pow((c + 0.055) / 1.055, vec3(2.4)), c / 12.92, c <= vec3(0.04045));
}

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    return select(1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, c * 12.92, c <= vec3(0.0031308));
}

// The painted colour (linear) with the live layer over it (OverlayStyle::position + blend).
// Written without early returns (Mesa lavapipe 22.3 aborts with "stack smashing detected" on
// the early-return form): one path, the decision folded into the blend weight.
fn with_live(painted: vec3<f32>, instance: u32, vertex: u32) -> vec3<f32> {
    let len = arrayLength(&live_values);
    let i = min(live.flags.w + get_tag(instance) + vertex - mesh[instance].first_vertex_index, len - 1u);
    var x = live_values[i];
    // NaN and ±∞ are not drawn (checked on the bits: no fast-math surprises)
    let finite = (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
    x = select(x, sin(x), live.flags.y != 0u);
    let r = live.range;
    let shown = live.flags.x != 0u && finite && !(r.z > 0.0 && abs(x) < r.z);
    let m = max(abs(r.y), 1.17549435e-38);
    let span = r.y - r.x;
    let t_sym = (x + m) / (2.0 * m);
    let t_lin = select(0.5, (x - r.x) / span, abs(span) >= 1.1920929e-7);
    let t = clamp(select(t_lin, t_sym, live.flags.z != 0u), 0.0, 1.0);
    let c = live.lut[u32(floor(t * 255.0 + 0.5))];
    let a = select(0.0, clamp(r.w, 0.0, 1.0) * c.a, shown);
    let blended = mix(linear_to_srgb(painted), c.rgb, a);
    return select(painted, srgb_to_linear(blended), a > 0.0);
}

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
    // (a uniform branch: meshes without a live layer skip the lookup — vessels, plain scenes)
    var albedo = v.color.rgb;
    if (live.flags.x != 0u) {
        albedo = with_live(v.color.rgb, v.instance_index, v.index);
    }
    // overlays (routing arcs) keep the vertex alpha; surfaces are opaque
#ifdef SURFACE_OVERLAY
    let alpha = v.color.a;
#else
    let alpha = 1.0;
#endif
    out.color = vec4<f32>(albedo * shade + vec3<f32>(t.z * pow(ndv, t.w)), alpha);
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    return in.color;
}
