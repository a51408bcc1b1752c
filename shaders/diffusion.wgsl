// Diffusion (heat equation), one explicit Euler step: u ← u + dt·D·Δu.
// Δ in CSR form plus its diagonal. One invocation per vertex. CPU twin:
// activity::models::Model::Diffusion (same order: diagonal first, neighbours in column order).
// Bindings shared by every model kernel (see src/gpu.rs).

struct Params {
    n: u32,
    dt: f32,
    // p.x = D (mm²/s)
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
    if (i >= params.n) {
        return;
    }
    var s = diag[i] * s_in[i];
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        s = s + vals[k] * s_in[cols[k]];
    }
    s_out[i] = s_in[i] + (params.dt * params.p.x) * s;
}
