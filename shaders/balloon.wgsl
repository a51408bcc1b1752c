// Balloon–Windkessel hemodynamics (Friston et al. 2000), one explicit Euler step per vertex
// from the neural input z in `aux`:
//   s ← s + dt·(z − κs − γ(f − 1));  f ← f + dt·s;
//   v ← v + dt·(f − v^{1/α})/τ;  q ← q + dt·(f·(1 − (1 − E0)^{1/f})/E0 − v^{1/α}·q/v)/τ
// state: s, f, v, q = s[0..n], s[n..2n], s[2n..3n], s[3n..4n].
// p = (κ, γ, τ, α), q.x = E0. No Laplacian.
// CPU twin: activity::models::Model::Balloon. Bindings: model_common.wgsl.

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    let n = params.n;
    if (i >= n) {
        return;
    }
    let dt = params.dt;
    let kappa = params.p.x;
    let gamma = params.p.y;
    let tau = params.p.z;
    let alpha = params.p.w;
    let e0 = params.q.x;
    let x = s_in[i];
    let f = s_in[n + i];
    let v = s_in[2u * n + i];
    let q = s_in[3u * n + i];
    let fp = max(f, 1e-3);
    let vp = max(v, 1e-3);
    let v_alpha = exp(log(vp) / alpha);
    let extraction = 1.0 - exp(log(1.0 - e0) / fp);
    s_out[i] = x + dt * (aux[i] - kappa * x - gamma * (f - 1.0));
    s_out[n + i] = f + dt * x;
    s_out[2u * n + i] = v + dt * (fp - v_alpha) / tau;
    s_out[3u * n + i] = q + dt * (fp * extraction / e0 - v_alpha * q / vp) / tau;
}
