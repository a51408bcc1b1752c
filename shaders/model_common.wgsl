// Shared by every model kernel (prepended to shaders/<model>.wgsl by activity::models): the
// parameters, the bindings the runner in src/gpu.rs creates, the vertex index and Δ at a
// vertex. Δ is in CSR form plus its diagonal; summed diagonal first, then the neighbours in
// column order, exactly as the CPU twin does.

struct Params {
    n: u32,
    dt: f32,
    // model parameters (see each kernel)
    p: vec4<f32>,
    q: vec4<f32>,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(2) var<storage, read> cols: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<f32>;
@group(0) @binding(4) var<storage, read> diag: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;
@group(0) @binding(6) var<storage, read> s_in: array<f32>;
@group(0) @binding(7) var<storage, read_write> s_out: array<f32>;

// workgroups spill over y past 65,535 in x (see gpu::groups)
fn vertex_index(id: vec3<u32>) -> u32 {
    return id.x + id.y * 65535u * 64u;
}

// (Δx)_i for the state array starting at `off` (0: the first, n: the second, …)
fn laplacian_of(i: u32, off: u32) -> f32 {
    var s = diag[i] * s_in[off + i];
    for (var k = row_ptr[i]; k < row_ptr[i + 1u]; k = k + 1u) {
        s = s + vals[k] * s_in[off + cols[k]];
    }
    return s;
}

// (Δu)_i for the first state array
fn laplacian_at(i: u32) -> f32 {
    return laplacian_of(i, 0u);
}
