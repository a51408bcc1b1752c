//! A small compute runner on `wgpu`: the same kernels run on the app's render device and on a
//! standalone (headless) device in the CLI and the tests — on Mesa lavapipe where there is no
//! GPU. No Bevy here; the app hands over its own `wgpu::Device`/`Queue`.

use wgpu::util::DeviceExt;

use crate::activity::laplacian::Laplacian;
use crate::activity::models::Model;

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

impl Gpu {
    /// Block until the queue has finished everything submitted (for timing).
    pub fn wait(&self) -> Result<(), String> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| format!("GPU poll failed: {e}"))
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

/// A model's kernel with its state on the GPU: two state buffers used in turn, so a run of N
/// steps is one submission with no read-back. Every kernel has the same bindings: params
/// (n, dt, p), the Laplacian in CSR (row_ptr, cols, vals, diag), `aux` (per vertex, e.g.
/// Kuramoto's ω), state in, state out (`states()·n` values).
pub struct ModelKernel {
    pipeline: wgpu::ComputePipeline,
    /// bind group i reads state i and writes state 1 − i
    bind: [wgpu::BindGroup; 2],
    state: [wgpu::Buffer; 2],
    params: wgpu::Buffer,
    n: u32,
    len: u64,
    /// which state buffer holds the current values
    current: usize,
}

/// `Params` of model_common.wgsl: n, dt, two pad words (vec4 alignment), p, q.
fn params_bytes(n: u32, dt: f32, p: [f32; 8]) -> [u32; 12] {
    let mut out = [0u32; 12];
    out[0] = n;
    out[1] = dt.to_bits();
    for (o, v) in out[4..].iter_mut().zip(p) {
        *o = v.to_bits();
    }
    out
}

impl ModelKernel {
    /// Upload the operator, `aux` and the initial state; `dt` already checked for stability.
    pub fn new(
        gpu: &Gpu,
        model: &Model,
        l: &Laplacian,
        state0: &[f32],
        aux: &[f32],
        dt: f32,
    ) -> Result<ModelKernel, String> {
        let n = l.len();
        if state0.len() != n * model.states() {
            return Err(format!(
                "initial state has {} values, {} needs {} per vertex × {n} vertices",
                state0.len(),
                model.name(),
                model.states()
            ));
        }
        let d = &gpu.device;
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(model.name()),
            source: wgpu::ShaderSource::Wgsl(model.shader().into()),
        });
        // one explicit layout for every kernel (an automatic one drops bindings a kernel
        // does not read, e.g. `aux` in diffusion)
        let entry = |binding: u32| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match binding {
                    0 => wgpu::BufferBindingType::Uniform,
                    7 => wgpu::BufferBindingType::Storage { read_only: false },
                    _ => wgpu::BufferBindingType::Storage { read_only: true },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let entries: Vec<wgpu::BindGroupLayoutEntry> = (0..8).map(entry).collect();
        let layout = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("model kernel"),
            entries: &entries,
        });
        let pipeline_layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("model kernel"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(model.name()),
            layout: Some(&pipeline_layout),
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
        // wgpu refuses zero-sized bindings: empty arrays get one element
        let or_one = |v: &[f32]| {
            if v.is_empty() {
                vec![0.0f32]
            } else {
                v.to_vec()
            }
        };
        let cols: &[u32] = if l.cols.is_empty() { &[0] } else { &l.cols };
        let none = wgpu::BufferUsages::empty();
        let row_ptr = storage("row_ptr", bytemuck::cast_slice(&l.row_ptr), none);
        let cols = storage("cols", bytemuck::cast_slice(cols), none);
        let vals = storage("vals", bytemuck::cast_slice(&or_one(&l.vals)), none);
        let diag = storage("diag", bytemuck::cast_slice(&l.diag), none);
        let aux = storage("aux", bytemuck::cast_slice(&or_one(aux)), none);
        let io = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let state = [
            storage("state 0", bytemuck::cast_slice(state0), io),
            storage("state 1", bytemuck::cast_slice(state0), io),
        ];
        let params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: bytemuck::cast_slice(&params_bytes(n as u32, dt, model.params())),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let bind = |from: usize| {
            let entries: Vec<wgpu::BindGroupEntry> = [
                &params,
                &row_ptr,
                &cols,
                &vals,
                &diag,
                &aux,
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
                label: Some(model.name()),
                layout: &layout,
                entries: &entries,
            })
        };
        let bind = [bind(0), bind(1)];
        Ok(ModelKernel {
            pipeline,
            bind,
            state,
            params,
            n: n as u32,
            len: state0.len() as u64,
            current: 0,
        })
    }

    /// Change the step or the model's parameters (same model).
    pub fn set_params(&self, gpu: &Gpu, model: &Model, dt: f32) {
        gpu.queue.write_buffer(
            &self.params,
            0,
            bytemuck::cast_slice(&params_bytes(self.n, dt, model.params())),
        );
    }

    /// Record and submit `steps` steps (one compute pass each, in one submission).
    pub fn run(&mut self, gpu: &Gpu, steps: usize) {
        let mut enc = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("model"),
            });
        let (gx, gy) = groups(self.n);
        for _ in 0..steps {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("model step"),
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

    /// The buffer holding the current state (the app can colour the surface from it).
    pub fn state(&self) -> &wgpu::Buffer {
        &self.state[self.current]
    }

    /// Copy the current state back (tests, CLI output).
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<f32>, String> {
        let size = self.len * 4;
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
    use crate::activity::laplacian;

    #[test]
    fn groups_cover_large_meshes() {
        assert_eq!(groups(1), (1, 1));
        assert_eq!(groups(64 * 65535), (65535, 1));
        let (x, y) = groups(300_000 * 64);
        assert!(x as u64 * y as u64 * 64 >= 300_000 * 64);
    }

    /// The yardstick on the GPU: zonal harmonics of degree l on a 10 mm sphere decay as
    /// exp(−l(l+1)·D·t/R²) (within 2 %).
    #[test]
    fn gpu_diffusion_decays_spherical_harmonics_at_their_rate() {
        let gpu = Gpu::headless().expect("a Vulkan adapter (lavapipe in CI)");
        let (v, f) = laplacian::icosphere(20, 10.0);
        let l = laplacian::Laplacian::new(&v, &f).unwrap();
        let m = Model::Diffusion { d: 1.0 };
        type Harmonic = (f64, fn(f32) -> f32);
        let harmonics: [Harmonic; 3] = [
            (1.0, |z| z),
            (2.0, |z| 1.5 * z * z - 0.5),
            (3.0, |z| 2.5 * z * z * z - 1.5 * z),
        ];
        for (deg, p) in harmonics {
            let u0: Vec<f32> = v.iter().map(|x| p(x[2] / 10.0)).collect();
            let rate = deg * (deg + 1.0) / 100.0;
            let dt = m.check_step(&l, 0.01).unwrap().dt;
            let steps = (1.0 / rate / dt).round() as usize;
            let mut k = ModelKernel::new(&gpu, &m, &l, &u0, &[], dt as f32).unwrap();
            k.run(&gpu, steps);
            let u = k.read(&gpu).unwrap();
            let amp = l.inner(&u, &u0) / l.inner(&u0, &u0);
            let want = (-rate * steps as f64 * dt).exp();
            eprintln!("GPU diffusion l = {deg}: {amp:.5} vs analytic {want:.5}");
            assert!(
                (amp - want).abs() / want < 0.02,
                "l = {deg}: {amp} vs {want}"
            );
        }
    }

    /// GPU = CPU (relative 1e-4) after many steps, for every model, on fsaverage5 (both pial
    /// hemispheres, 20,484 vertices) with a rough start.
    #[test]
    fn every_model_gpu_matches_cpu() {
        let gpu = Gpu::headless().expect("a Vulkan adapter (lavapipe in CI)");
        let surfaces = crate::brain::fsaverage5::pial_surfaces().unwrap();
        let (v, f, _) = crate::activity::combined_mesh(&surfaces);
        assert_eq!(v.len(), 20484);
        let l = laplacian::Laplacian::new(&v, &f).unwrap();
        let n = l.len();
        let bump: Vec<f32> = v
            .iter()
            .map(|p| (p[0] * 0.7).sin() + 0.5 * (p[1] * 1.3).cos() * p[2] / 10.0)
            .collect();
        let omega: Vec<f32> = (0..n).map(|i| 6.0 + (i % 17) as f32 * 0.05).collect();
        for model in [
            Model::Diffusion { d: 1.0 },
            Model::Wave { c: 5.0, gamma: 0.3 },
            Model::Kuramoto { k: 2.0 },
            Model::WilsonCowan(Default::default()),
            Model::Lif(Default::default()),
            Model::Balloon,
        ] {
            // the first state from the bump, the others at rest
            let mut s0 = bump.iter().map(|b| b.abs() * 0.5).collect::<Vec<_>>();
            for r in &model.rest()[1..] {
                s0.extend(std::iter::repeat_n(*r, n));
            }
            let aux: Vec<f32> = match model {
                Model::Kuramoto { .. } => omega.clone(),
                // drive around threshold: some vertices fire, gap junctions pull the rest
                Model::Lif(_) => omega.iter().map(|w| w / 6.0 - 0.05).collect(),
                Model::Balloon => bump.iter().map(|b| b.abs()).collect(),
                _ => vec![0.0; n],
            };
            let omega = &aux;
            let dt = model.check_step(&l, 1.0).unwrap().dt as f32;
            let mut cpu = s0.clone();
            model.run(&l, &mut cpu, omega, dt, 500);
            let mut g = ModelKernel::new(&gpu, &model, &l, &s0, omega, dt).unwrap();
            g.run(&gpu, 500);
            let out = g.read(&gpu).unwrap();
            let scale = cpu.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let worst = cpu
                .iter()
                .zip(&out)
                .map(|(a, b)| (a - b).abs() / scale)
                .fold(0.0f32, f32::max);
            eprintln!(
                "{}: 500 steps, GPU vs CPU max relative difference {worst:e} on {}",
                model.name(),
                gpu.adapter
            );
            assert!(worst <= 1e-4, "{}: {worst:e}", model.name());
            assert!(cpu != s0, "{}: the state moved", model.name());
        }
    }
}
