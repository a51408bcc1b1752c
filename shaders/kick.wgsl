// A stimulus added to the first state array in place: x ← x + gain·bump, then kept in range
// by the model's mode (0 as is, 1 clamped to [0, 1] — Wilson–Cowan's E, 2 wrapped into
// [0, 2π) — Kuramoto's θ). CPU twin: activity::models::Model::kick.

struct Kick {
    n: u32,
    mode: u32,
    gain: f32,
    pad: f32,
};

@group(0) @binding(0) var<uniform> kick: Kick;
@group(0) @binding(1) var<storage, read> bump: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * 65535u * 64u;
    if (i >= kick.n) {
        return;
    }
    var x = state[i] + kick.gain * bump[i];
    if (kick.mode == 1u) {
        x = clamp(x, 0.0, 1.0);
    } else if (kick.mode == 2u) {
        let tau = 6.28318530717958647692;
        x = x - tau * floor(x / tau);
    }
    state[i] = x;
}
