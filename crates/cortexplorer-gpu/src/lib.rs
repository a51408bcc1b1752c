#![forbid(unsafe_code)]

//! A small compute runner on `wgpu`: the same kernels run on the app's render device and on a
//! standalone (headless) device in the CLI and the tests — on Mesa lavapipe where there is no
//! GPU. No Bevy here; the app hands over its own `wgpu::Device`/`Queue`.

use wgpu::util::DeviceExt;

use cortexplorer_core::activity::laplacian::Laplacian;
use cortexplorer_core::activity::models::Model;

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
    aux: wgpu::Buffer,
    n: u32,
    len: u64,
    /// which state buffer holds the current values
    current: usize,
    /// `shaders/kick.wgsl`, made on the first stimulus
    kick: Option<Kick>,
}

/// The stimulus kernel: its pipeline, the stimulus buffer, its uniform and one bind group per
/// state buffer (it works in place on the current one).
struct Kick {
    pipeline: wgpu::ComputePipeline,
    bump: wgpu::Buffer,
    uniform: wgpu::Buffer,
    bind: [wgpu::BindGroup; 2],
}

/// Usage the state buffers need: kernels read and write them, reads and `settle` copy them.
pub const STATE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// A copy of a GPU buffer on its way back to the CPU: ask with [`PendingRead::try_take`]
/// (after the device has been polled) or wait with [`PendingRead::wait`].
pub struct PendingRead {
    staging: wgpu::Buffer,
    /// 0 pending, 1 mapped, 2 failed
    status: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

impl PendingRead {
    /// The values, once the copy has arrived (None while it is on its way).
    pub fn try_take(&self) -> Option<Result<Vec<f32>, String>> {
        use std::sync::atomic::Ordering;
        match self.status.load(Ordering::Acquire) {
            0 => None,
            1 => {
                let out = bytemuck::cast_slice(&self.staging.slice(..).get_mapped_range()).to_vec();
                self.staging.unmap();
                self.status.store(3, Ordering::Release);
                Some(Ok(out))
            }
            2 => Some(Err("cannot read the GPU buffer back".into())),
            _ => Some(Err("read already taken".into())),
        }
    }

    /// Block until the copy has arrived.
    pub fn wait(self, gpu: &Gpu) -> Result<Vec<f32>, String> {
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("GPU poll failed: {e}"))?;
        self.try_take()
            .unwrap_or_else(|| Err("the GPU read did not finish".into()))
    }
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
        let buffer = |label: &str| {
            gpu.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents: bytemuck::cast_slice(state0),
                    usage: STATE_USAGE,
                })
        };
        let state = [buffer("state 0"), buffer("state 1")];
        ModelKernel::with_state(gpu, model, l, aux, dt, state)
    }

    /// The same on state buffers someone else owns (the app's: the surface shader reads
    /// buffer 0), each `states()·n` f32 long with [`STATE_USAGE`] and the initial state in
    /// buffer 0. After [`ModelKernel::settle`] the current state is in buffer 0.
    pub fn with_state(
        gpu: &Gpu,
        model: &Model,
        l: &Laplacian,
        aux: &[f32],
        dt: f32,
        state: [wgpu::Buffer; 2],
    ) -> Result<ModelKernel, String> {
        let n = l.len();
        let len = (n * model.states()) as u64;
        for b in &state {
            if b.size() != len * 4 || !b.usage().contains(STATE_USAGE) {
                return Err(format!(
                    "state buffer of {} bytes ({:?}); {} on {n} vertices needs {} bytes with \
                     STORAGE | COPY_SRC | COPY_DST",
                    b.size(),
                    b.usage(),
                    model.name(),
                    len * 4
                ));
            }
        }
        if aux.len() != n && !aux.is_empty() {
            return Err(format!("aux has {} values for {n} vertices", aux.len()));
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
        let aux = storage(
            "aux",
            bytemuck::cast_slice(&or_one(aux)),
            wgpu::BufferUsages::COPY_DST,
        );
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
            aux,
            n: n as u32,
            len,
            current: 0,
            kick: None,
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

    /// Replace the per-vertex input (same length as at the start).
    pub fn set_aux(&self, gpu: &Gpu, aux: &[f32]) -> Result<(), String> {
        if aux.len() as u64 * 4 != self.aux.size() {
            return Err(format!(
                "aux has {} values; the kernel was made with {}",
                aux.len(),
                self.aux.size() / 4
            ));
        }
        gpu.queue
            .write_buffer(&self.aux, 0, bytemuck::cast_slice(aux));
        Ok(())
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

    /// The buffer holding the current state.
    pub fn state(&self) -> &wgpu::Buffer {
        &self.state[self.current]
    }

    /// Make buffer 0 hold the current state (a GPU-side copy after an odd number of steps).
    pub fn settle(&mut self, gpu: &Gpu) {
        if self.current == 1 {
            let mut enc = gpu.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(&self.state[1], 0, &self.state[0], 0, self.len * 4);
            gpu.queue.submit([enc.finish()]);
            self.current = 0;
        }
    }

    /// Add a stimulus (one value per vertex) to the current state, in place: the GPU twin of
    /// [`Model::kick`].
    pub fn kick(&mut self, gpu: &Gpu, model: &Model, bump: &[f32]) -> Result<(), String> {
        if bump.len() != self.n as usize {
            return Err(format!(
                "stimulus has {} values for {} vertices",
                bump.len(),
                self.n
            ));
        }
        if self.kick.is_none() {
            self.kick = Some(self.kick_kernel(gpu));
        }
        let k = self.kick.as_ref().expect("made above");
        let uniform = [self.n, model.kick_mode(), model.kick_gain().to_bits(), 0u32];
        gpu.queue
            .write_buffer(&k.uniform, 0, bytemuck::cast_slice(&uniform));
        gpu.queue
            .write_buffer(&k.bump, 0, bytemuck::cast_slice(bump));
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&k.pipeline);
            pass.set_bind_group(0, &k.bind[self.current], &[]);
            let (gx, gy) = groups(self.n);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        gpu.queue.submit([enc.finish()]);
        Ok(())
    }

    fn kick_kernel(&self, gpu: &Gpu) -> Kick {
        let d = &gpu.device;
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("kick"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../../shaders/kick.wgsl").into()),
        });
        let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("kick"),
            layout: None,
            module: &module,
            entry_point: Some("add"),
            compilation_options: Default::default(),
            cache: None,
        });
        let bump = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("stimulus"),
            size: self.n as u64 * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let uniform = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kick"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let bind = |i: usize| {
            d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("kick"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: bump.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        // the first state array only
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &self.state[i],
                            offset: 0,
                            size: std::num::NonZeroU64::new(self.n as u64 * 4),
                        }),
                    },
                ],
            })
        };
        let bind = [bind(0), bind(1)];
        Kick {
            pipeline,
            bump,
            uniform,
            bind,
        }
    }

    /// Start copying the current state back; the copy arrives as the device is polled.
    pub fn request_read(&self, gpu: &Gpu) -> PendingRead {
        use std::sync::atomic::{AtomicU8, Ordering};
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
        let status = std::sync::Arc::new(AtomicU8::new(0));
        let done = status.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            done.store(if r.is_ok() { 1 } else { 2 }, Ordering::Release);
        });
        PendingRead { staging, status }
    }

    /// Copy the current state back and wait for it (tests, CLI output).
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<f32>, String> {
        self.request_read(gpu).wait(gpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortexplorer_core::activity::laplacian;

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
        let surfaces = cortexplorer_core::brain::fsaverage5::pial_surfaces().unwrap();
        let (v, f, _) = cortexplorer_core::activity::combined_mesh(&surfaces);
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
            // phases are wrapped into [0, 2π): compare them around the circle
            let wrapped = matches!(model, Model::Kuramoto { .. });
            let worst = cpu
                .iter()
                .zip(&out)
                .map(|(a, b)| {
                    let d = (a - b).abs();
                    let d = if wrapped {
                        d.min(std::f32::consts::TAU - d)
                    } else {
                        d
                    };
                    d / scale
                })
                .fold(0.0f32, f32::max);
            if wrapped {
                assert!(out.iter().all(|t| (0.0..std::f32::consts::TAU).contains(t)));
            }
            eprintln!(
                "{}: 500 steps, GPU vs CPU max relative difference {worst:e} on {}",
                model.name(),
                gpu.adapter
            );
            assert!(worst <= 1e-4, "{}: {worst:e}", model.name());
            assert!(cpu != s0, "{}: the state moved", model.name());
        }
    }

    /// The stimulus kernel is Model::kick (clamped for Wilson–Cowan, wrapped for Kuramoto),
    /// on the first state array only; after an odd number of steps `settle` leaves the state
    /// in buffer 0, where the app's surface shader reads it.
    #[test]
    fn kicks_match_the_cpu_and_settle_keeps_the_state() {
        let gpu = Gpu::headless().expect("a Vulkan adapter (lavapipe in CI)");
        let (v, f) = laplacian::icosphere(8, 10.0);
        let l = laplacian::Laplacian::new(&v, &f).unwrap();
        let n = l.len();
        let bump = cortexplorer_core::activity::gaussian_bump(&v, v[0], 4.0);
        for model in [
            Model::Diffusion { d: 1.0 },
            Model::Kuramoto { k: 1.0 },
            Model::WilsonCowan(Default::default()),
        ] {
            let mut s0: Vec<f32> = (0..n).map(|i| 5.0 + (i % 7) as f32 * 0.13).collect();
            if let Model::WilsonCowan(_) = model {
                s0.iter_mut().for_each(|x| *x = (*x - 5.0) * 1.2);
            }
            s0.extend(std::iter::repeat_n(0.1, n * (model.states() - 1)));
            let aux = vec![3.0f32; n];
            let dt = model.check_step(&l, 1e-3).unwrap().dt as f32;
            let mut cpu = s0.clone();
            model.kick(&mut cpu[..n], &bump);
            model.run(&l, &mut cpu, &aux, dt, 3);
            let mut g = ModelKernel::new(&gpu, &model, &l, &s0, &aux, dt).unwrap();
            g.kick(&gpu, &model, &bump).unwrap();
            g.run(&gpu, 3);
            g.settle(&gpu);
            assert!(std::ptr::eq(g.state(), &g.state[0]));
            let out = g.read(&gpu).unwrap();
            let worst = cpu
                .iter()
                .zip(&out)
                .map(|(a, b)| {
                    let d = (a - b).abs();
                    d.min(std::f32::consts::TAU - d)
                })
                .fold(0.0f32, f32::max);
            eprintln!("{} kick + 3 steps: GPU vs CPU {worst:e}", model.name());
            assert!(worst < 1e-4, "{}: {worst}", model.name());
            // the kick did something where the bump is
            assert!((cpu[0] - s0[0]).abs() > 0.1, "{}", model.name());
        }
        // the wrong size is refused
        let m = Model::Diffusion { d: 1.0 };
        let mut g = ModelKernel::new(&gpu, &m, &l, &vec![0.0; n], &[], 0.01).unwrap();
        assert!(g.kick(&gpu, &m, &[1.0]).unwrap_err().contains("stimulus"));
    }
}
