// Leaky integrate-and-fire sheet with gap junctions, one explicit Euler step:
//   V ← V + dt·((I − V)/τm + D·ΔV) + J·Σ_j w_ij·[j spiked] / Σ_j w_ij; at V ≥ 1: V ← 0, refractory for t_ref, flash ← 1.
// A refractory vertex is held at 0 while its time left runs down; the flash decays by
// e^{−dt/τ_flash} a step (the surface shows it). Dimensionless V: rest 0, threshold 1.
// state: V = s[0..n], refractory time left = s[n..2n], flash = s[2n..3n]; drive I in `aux`.
// p = (τm s, D mm²/s, t_ref s, τ_flash s), q.x = J (spikelet when every neighbour spiked).
// CPU twin: activity::models::Model::Lif. Bindings: model_common.wgsl.

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    let n = params.n;
    if (i >= n) {
        return;
    }
    let dt = params.dt;
    let p = params.p;
    let r = s_in[n + i];
    s_out[2u * n + i] = s_in[2u * n + i] * exp(-dt / p.w);
    if (r > 0.0) {
        s_out[i] = 0.0;
        s_out[n + i] = r - dt;
        return;
    }
    let v = s_in[i];
    // spikelets from neighbours that spiked on the last step
    var spiked = 0.0;
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        if (s_in[2u * n + cols[k]] == 1.0) {
            spiked = spiked + vals[k];
        }
    }
    let vn = v + dt * ((aux[i] - v) / p.x + p.y * laplacian_at(i)) + params.q.x * spiked / -diag[i];
    if (vn >= 1.0) {
        s_out[i] = 0.0;
        s_out[n + i] = p.z;
        s_out[2u * n + i] = 1.0;
    } else {
        s_out[i] = vn;
        s_out[n + i] = 0.0;
    }
}
