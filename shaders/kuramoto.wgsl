// Kuramoto oscillators on the mesh, one explicit Euler step:
//   θ_i ← θ_i + dt·(ω_i + K·Σ_j w_ij·sin(θ_j − θ_i))
// with w_ij the Laplacian's off-diagonal weights (cotangent / area, 1/mm²) — neighbour
// coupling that does not depend on how finely the sheet is meshed. ω (rad/s) in `aux`.
// p.x = K (mm²/s). CPU twin: activity::models::Model::Kuramoto.

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
    if (i >= params.n) {
        return;
    }
    let th = s_in[i];
    var c = 0.0;
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        c = c + vals[k] * sin(s_in[cols[k]] - th);
    }
    s_out[i] = th + params.dt * (aux[i] + params.p.x * c);
}
