// Wilson–Cowan field on the mesh (refractory form of Wilson & Cowan 1972), one explicit
// Euler step of both populations with diffusive surface coupling:
//   E ← E + dt·((−E + (1 − E)·Se(cee·E − cei·I + P + input)) / τe + D·ΔE)
//   I ← I + dt·((−I + (1 − I)·Si(cie·E − cii·I)) / τi + D·ΔI)
// S(x) = 1/(1 + e^{−a(x−θ)}) − 1/(1 + e^{aθ}), (a, θ) = (1.3, 4) for E, (2, 3.7) for I.
// state: E = s[0..n], I = s[n..2n]; input per vertex in `aux`.
// p = (τe s, τi s, D mm²/s, P), q = (cee, cei, cie, cii).
// CPU twin: activity::models::Model::WilsonCowan. Bindings: model_common.wgsl.

fn wc_sigmoid(x: f32, a: f32, th: f32) -> f32 {
    return 1.0 / (1.0 + exp(-a * (x - th))) - 1.0 / (1.0 + exp(a * th));
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
    let se = wc_sigmoid(q.x * e - q.y * ii + p.w + aux[i], 1.3, 4.0);
    let si = wc_sigmoid(q.z * e - q.w * ii, 2.0, 3.7);
    s_out[i] = e + params.dt * ((-e + (1.0 - e) * se) / p.x + p.z * laplacian_of(i, 0u));
    s_out[n + i] = ii + params.dt * ((-ii + (1.0 - ii) * si) / p.y + p.z * laplacian_of(i, n));
}
