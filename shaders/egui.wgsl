// The panels' shader (replaces bevy_egui's under its handle; see src/ui/egui_shader.rs).
//
// Same colour rule as egui's own backends: the texture (sampled linear from an sRGB image) and
// the vertex colour (sRGB gamma) are multiplied in gamma space, and the product is written to
// the sRGB target as linear. The two sRGB conversions are degree-4 polynomials instead of
// `pow`: on a software rasteriser (Mesa lavapipe) `pow` is most of a panel's fill cost.
//   gamma → linear: g < 0.04045: g / 12.92; else u² · P(u), u = (g + 0.055) / 1.055,
//                   P fitted to u^0.4 on [0.0905, 1] (relative least squares)
//   linear → gamma: x < 0.0031308: 12.92 x; else Q(x^¼), Q fitted to 1.055 x^(1/2.4) − 0.055
// A texel times a colour lands within one 8-bit level of the exact sRGB result (the CPU twin
// and its test: `ui::egui_shader`). Coefficients: computed for this project (numpy polyfit).

struct Transform {
    scale: vec2<f32>,
    translation: vec2<f32>,
}

struct VertexIn {
    @location(0) position: vec2<f32>,
    @location(1) uv: vec2<f32>,
    @location(2) color: vec4<f32>,
}

struct Varyings {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) uv: vec2<f32>,
}

@group(0) @binding(0) var<uniform> transform: Transform;

#ifdef BINDLESS
@group(1) @binding(0) var textures: binding_array<texture_2d<f32>>;
@group(1) @binding(1) var samplers: binding_array<sampler>;
struct TextureSlot {
    index: u32,
};
var<immediate> slot: TextureSlot;
#else
@group(1) @binding(0) var tex: texture_2d<f32>;
@group(1) @binding(1) var tex_sampler: sampler;
#endif

// P (gamma → linear), highest power first
const P4: f32 = -0.921011241;
const P3: f32 = 2.519197637;
const P2: f32 = -2.733056439;
const P1: f32 = 1.895528440;
const P0: f32 = 0.235671379;
// Q (linear → gamma), highest power first
const Q4: f32 = 0.065574174;
const Q3: f32 = -0.293615440;
const Q2: f32 = 1.082956924;
const Q1: f32 = 0.211893660;
const Q0: f32 = -0.066789630;

fn srgb_to_linear(g: vec3<f32>) -> vec3<f32> {
    let u = (g + vec3<f32>(0.055)) / 1.055;
    let p = (((P4 * u + P3) * u + P2) * u + P1) * u + P0;
    return select(u * u * p, g / 12.92, g < vec3<f32>(0.04045));
}

fn linear_to_srgb(x: vec3<f32>) -> vec3<f32> {
    let r = sqrt(sqrt(max(x, vec3<f32>(0.0))));
    let q = (((Q4 * r + Q3) * r + Q2) * r + Q1) * r + Q0;
    return select(q, x * 12.92, x < vec3<f32>(0.0031308));
}

@vertex
fn vs_main(v: VertexIn) -> Varyings {
    var out: Varyings;
    out.clip = vec4<f32>(v.position * transform.scale + transform.translation, 0.0, 1.0);
    // interpolated in gamma space, as egui does
    out.color = v.color;
    out.uv = v.uv;
    return out;
}

@fragment
fn fs_main(f: Varyings) -> @location(0) vec4<f32> {
#ifdef BINDLESS
    let texel = textureSample(textures[slot.index], samplers[slot.index], f.uv);
#else
    let texel = textureSample(tex, tex_sampler, f.uv);
#endif
    let gamma = linear_to_srgb(texel.rgb) * f.color.rgb;
    return vec4<f32>(srgb_to_linear(gamma), texel.a * f.color.a);
}
