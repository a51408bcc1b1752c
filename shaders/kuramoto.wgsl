// Kuramoto oscillators on the mesh, one explicit Euler step:
//   θ_i ← θ_i + dt·(ω_i + K·Σ_j w_ij·sin(θ_j − θ_i))
// with w_ij the Laplacian's off-diagonal weights (cotangent / area, 1/mm²) — neighbour
// coupling that does not depend on how finely the sheet is meshed. ω (rad/s) in `aux`.
// θ is kept in [0, 2π) (θ − 2π⌊θ/2π⌋, as activity::models::wrap_phase).
// p.x = K (mm²/s). CPU twin: activity::models::Model::Kuramoto. Bindings: model_common.wgsl.

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    if (i >= params.n) {
        return;
    }
    let th = s_in[i];
    var c = 0.0;
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        c = c + vals[k] * sin(s_in[cols[k]] - th);
    }
    let t = th + params.dt * (aux[i] + params.p.x * c);
    let tau = 6.28318530717958647692;
    s_out[i] = t - tau * floor(t / tau);
}
