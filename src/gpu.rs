//! A small compute runner on `wgpu`: the same kernels run on the app's render device and on a
//! standalone (headless) device in the CLI and the tests — on Mesa lavapipe where there is no
//! GPU. No Bevy here; the app hands over its own `wgpu::Device`/`Queue`.

use wgpu::util::DeviceExt;

use crate::activity::laplacian::Laplacian;

/// A device and its queue.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// adapter name, for reports ("llvmpipe (LLVM 15…)" on lavapipe)
    pub adapter: String,
}

impl Gpu {
    /// A headless device on any Vulkan adapter, software ones included.
    pub fn headless() -> Result<Gpu, String> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::VULKAN;
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
        }))
        .map_err(|e| {
            format!(
                "no GPU adapter (is a Vulkan driver such as mesa-vulkan-drivers installed?): {e}"
            )
        })?;
        let adapter_name = adapter.get_info().name;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("cortexplorer compute"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| format!("cannot open the GPU device: {e}"))?;
        Ok(Gpu {
            device,
            queue,
            adapter: adapter_name,
        })
    }
}

const WORKGROUP: u32 = 64;
const MAX_GROUPS_X: u32 = 65535;

/// Workgroups for n invocations, spread over y when x runs out (the kernels fold y back in).
fn groups(n: u32) -> (u32, u32) {
    let g = n.div_ceil(WORKGROUP);
    if g <= MAX_GROUPS_X {
        (g.max(1), 1)
    } else {
        (MAX_GROUPS_X, g.div_ceil(MAX_GROUPS_X))
    }
}

/// The diffusion kernel (`shaders/diffusion.wgsl`) with its state on the GPU: two state
/// buffers used in turn, so a run of N steps is one submission with no read-back.
pub struct Diffusion {
    pipeline: wgpu::ComputePipeline,
    /// bind group i reads state i and writes state 1 − i
    bind: [wgpu::BindGroup; 2],
    state: [wgpu::Buffer; 2],
    params: wgpu::Buffer,
    n: u32,
    /// which state buffer holds the current values
    current: usize,
}

impl Diffusion {
    /// Upload the operator and the initial state; `k` = D·dt (already checked for stability).
    pub fn new(gpu: &Gpu, l: &Laplacian, u0: &[f32], k: f32) -> Result<Diffusion, String> {
        let n = l.len();
        if u0.len() != n {
            return Err(format!(
                "initial state has {} values, the mesh {n} vertices",
                u0.len()
            ));
        }
        let d = &gpu.device;
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("diffusion.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../shaders/diffusion.wgsl").into()),
        });
        let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("diffusion"),
            layout: None,
            module: &module,
            entry_point: Some("step"),
            compilation_options: Default::default(),
            cache: None,
        });
        let storage = |label: &str, bytes: &[u8], extra: wgpu::BufferUsages| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: wgpu::BufferUsages::STORAGE | extra,
            })
        };
        // wgpu refuses zero-sized bindings: a mesh with no edges still gets one column
        let cols: &[u32] = if l.cols.is_empty() { &[0] } else { &l.cols };
        let vals: &[f32] = if l.vals.is_empty() { &[0.0] } else { &l.vals };
        let row_ptr = storage(
            "row_ptr",
            bytemuck::cast_slice(&l.row_ptr),
            wgpu::BufferUsages::empty(),
        );
        let cols = storage(
            "cols",
            bytemuck::cast_slice(cols),
            wgpu::BufferUsages::empty(),
        );
        let vals = storage(
            "vals",
            bytemuck::cast_slice(vals),
            wgpu::BufferUsages::empty(),
        );
        let diag = storage(
            "diag",
            bytemuck::cast_slice(&l.diag),
            wgpu::BufferUsages::empty(),
        );
        let io = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let state = [
            storage("state 0", bytemuck::cast_slice(u0), io),
            storage("state 1", bytemuck::cast_slice(u0), io),
        ];
        let params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: bytemuck::cast_slice(&[n as u32, k.to_bits()]),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let bind = |from: usize| {
            let entries: Vec<wgpu::BindGroupEntry> = [
                &params,
                &row_ptr,
                &cols,
                &vals,
                &diag,
                &state[from],
                &state[1 - from],
            ]
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
            d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("diffusion"),
                layout: &layout,
                entries: &entries,
            })
        };
        let bind = [bind(0), bind(1)];
        Ok(Diffusion {
            pipeline,
            bind,
            state,
            params,
            n: n as u32,
            current: 0,
        })
    }

    /// Change k = D·dt.
    pub fn set_k(&self, gpu: &Gpu, k: f32) {
        gpu.queue.write_buffer(
            &self.params,
            0,
            bytemuck::cast_slice(&[self.n, k.to_bits()]),
        );
    }

    /// Record and submit `steps` steps (one compute pass each, in one submission).
    pub fn run(&mut self, gpu: &Gpu, steps: usize) {
        let mut enc = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("diffusion"),
            });
        let (gx, gy) = groups(self.n);
        for _ in 0..steps {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("diffusion step"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind[self.current], &[]);
            pass.dispatch_workgroups(gx, gy, 1);
            drop(pass);
            self.current = 1 - self.current;
        }
        gpu.queue.submit([enc.finish()]);
    }

    /// The buffer holding the current state (the app colours the surface from it).
    pub fn state(&self) -> &wgpu::Buffer {
        &self.state[self.current]
    }

    /// Copy the current state back (tests, CLI output).
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<f32>, String> {
        let size = self.n as u64 * 4;
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(self.state(), 0, &staging, 0, size);
        gpu.queue.submit([enc.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("GPU poll failed: {e}"))?;
        rx.recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the GPU buffer: {e}"))?;
        let out = bytemuck::cast_slice(&slice.get_mapped_range()).to_vec();
        staging.unmap();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{diffusion, laplacian};

    #[test]
    fn groups_cover_large_meshes() {
        assert_eq!(groups(1), (1, 1));
        assert_eq!(groups(64 * 65535), (65535, 1));
        let (x, y) = groups(300_000 * 64);
        assert!(x as u64 * y as u64 * 64 >= 300_000 * 64);
    }

    /// GPU = CPU (relative 1e-4) after many steps, on a sphere with a rough start.
    #[test]
    fn diffusion_gpu_matches_cpu() {
        let gpu = Gpu::headless().expect("a Vulkan adapter (lavapipe in CI)");
        let (v, f) = laplacian::icosphere(16, 10.0);
        let l = laplacian::Laplacian::new(&v, &f).unwrap();
        let u0: Vec<f32> = v
            .iter()
            .map(|p| (p[0] * 0.7).sin() + 0.5 * (p[1] * 1.3).cos() * p[2] / 10.0)
            .collect();
        let step = diffusion::stable_step(&l, 1.0, 1.0).unwrap();
        let k = step.dt as f32;
        let mut cpu = u0.clone();
        diffusion::run(&l, &mut cpu, 1.0, k, 500);
        let mut g = Diffusion::new(&gpu, &l, &u0, k).unwrap();
        g.run(&gpu, 500);
        let out = g.read(&gpu).unwrap();
        let scale = cpu.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let worst = cpu
            .iter()
            .zip(&out)
            .map(|(a, b)| (a - b).abs() / scale)
            .fold(0.0f32, f32::max);
        eprintln!(
            "500 steps: GPU vs CPU max relative difference {worst:e} on {}",
            gpu.adapter
        );
        assert!(
            worst <= 1e-4,
            "max relative difference {worst:e} on {}",
            gpu.adapter
        );
        assert!(cpu != u0, "the state moved");
    }
}
