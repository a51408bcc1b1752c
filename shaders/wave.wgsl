// Damped wave on the sheet, one semi-implicit (symplectic) Euler step:
//   v ← v + dt·(c²·Δu − γ·v);  u ← u + dt·v
// state: u = s[0..n], v = s[n..2n]. p.x = c (mm/s), p.y = γ (1/s).
// CPU twin: activity::models::Model::Wave.

struct Params {
    n: u32,
    dt: f32,
    p: vec4<f32>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;
@group(0) @binding(6) var<storage, read> s_in: array<f32>;
@group(0) @binding(7) var<storage, read_write> s_out: array<f32>;

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * 65535u * 64u;
    let n = params.n;
    if (i >= n) {
        return;
    }
    var lap = diag[i] * s_in[i];
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        lap = lap + vals[k] * s_in[cols[k]];
    }
    let c2 = params.p.x * params.p.x;
    let v = s_in[n + i] + params.dt * (c2 * lap - params.p.y * s_in[n + i]);
    s_out[n + i] = v;
    s_out[i] = s_in[i] + params.dt * v;
}
