// Damped wave on the sheet, one semi-implicit (symplectic) Euler step:
//   v ← v + dt·(c²·Δu − γ·v);  u ← u + dt·v
// state: u = s[0..n], v = s[n..2n]. p.x = c (mm/s), p.y = γ (1/s).
// CPU twin: activity::models::Model::Wave. Bindings: model_common.wgsl.

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    let n = params.n;
    if (i >= n) {
        return;
    }
    let c2 = params.p.x * params.p.x;
    let v = s_in[n + i] + params.dt * (c2 * laplacian_at(i) - params.p.y * s_in[n + i]);
    s_out[n + i] = v;
    s_out[i] = s_in[i] + params.dt * v;
}
