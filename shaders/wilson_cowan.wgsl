// Wilson–Cowan field on the mesh (refractory form of Wilson & Cowan 1972), one explicit
// Euler step of both populations with diffusive surface coupling:
//   E ← E + (dt/τe)·(−E + (1 − E)·Se(cee·E − cei·I + P + input)) + dt·D·ΔE
//   I ← I + (dt/τi)·(−I + (1 − I)·Si(cie·E − cii·I)) + dt·D·ΔI
// S(x) = 1/(1 + e^{−a(x−θ)}) − 1/(1 + e^{aθ}), (a, θ) = (1.3, 4) for E, (2, 3.7) for I.
// state: E = s[0..n], I = s[n..2n]; input per vertex in `aux`.
// p = (τe s, τi s, D mm²/s, P), q = (cee, cei, cie, cii).
// CPU twin: activity::models::Model::WilsonCowan. Bindings: model_common.wgsl.

// S(x) for (a, θ), with the constant 1/(1 + e^{aθ}) given
fn wc_sigmoid(x: f32, a: f32, th: f32, offset: f32) -> f32 {
    return 1.0 / (1.0 + exp(-a * (x - th))) - offset;
}

@compute @workgroup_size(64)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = vertex_index(id);
    let n = params.n;
    if (i >= n) {
        return;
    }
    let p = params.p;
    let q = params.q;
    let e = s_in[i];
    let ii = s_in[n + i];
    let oe = 1.0 / (1.0 + exp(1.3 * 4.0));
    let oi = 1.0 / (1.0 + exp(2.0 * 3.7));
    let se = wc_sigmoid(q.x * e - q.y * ii + p.w + aux[i], 1.3, 4.0, oe);
    let si = wc_sigmoid(q.z * e - q.w * ii, 2.0, 3.7, oi);
    // as the CPU twin: dt/τ and dt·D once
    let ke = params.dt / p.x;
    let ki = params.dt / p.y;
    let kd = params.dt * p.z;
    s_out[i] = e + ke * (-e + (1.0 - e) * se) + kd * laplacian_of(i, 0u);
    s_out[n + i] = ii + ki * (-ii + (1.0 - ii) * si) + kd * laplacian_of(i, n);
}
