// One explicit Euler step of the heat equation on a mesh: u_out = u_in + k · Δu_in, with Δ in
// CSR form (row_ptr, cols, vals) plus its diagonal, k = D·dt. One invocation per vertex.
// CPU twin: activity::diffusion::run (same order of operations: diagonal first, then the
// neighbours in column order, then u + k·s).

struct Params {
    n: u32,
    k: f32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> u_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> u_out: array<f32>;

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * 65535u * 64u;
    if (i >= params.n) {
        return;
    }
    var s = diag[i] * u_in[i];
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        s = s + vals[k] * u_in[cols[k]];
    }
    u_out[i] = u_in[i] + params.k * s;
}
