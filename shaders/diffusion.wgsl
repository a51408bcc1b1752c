// Diffusion (heat equation), one explicit Euler step: u ← u + dt·D·Δu. p.x = D (mm²/s).
// CPU twin: activity::models::Model::Diffusion. Bindings: model_common.wgsl.

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    if (i >= params.n) {
        return;
    }
    s_out[i] = s_in[i] + (params.dt * params.p.x) * laplacian_at(i);
}
