//! Model kernels on the app's own GPU device: the render world runs `gpu::ModelKernel` on
//! Bevy's `RenderDevice`/`RenderQueue`, stepping in the live layer's value buffers
//! ([`LIVE_VALUES`] and [`LIVE_SCRATCH`]), so the surface shader draws the state the kernels
//! wrote — no per-frame copy to the CPU.
//!
//! The main world talks to it through channels ([`GpuLink`]): `Start` (a model on a mesh;
//! the initial state is already in both buffers, uploaded as assets), `Params`, `Kick`,
//! `Run` (N steps, then the state settles in `LIVE_VALUES`), `Read` (a copy back, a few
//! times a second, for the inspector, traces, R(t) and the divergence check) and `Stop`.
//! Commands run in order, in the render schedule after the assets are prepared; a `Start`
//! whose buffers are not the right size yet waits for the next frame.

use std::collections::VecDeque;
use std::sync::Arc;

use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice, RenderQueue};
use bevy::render::storage::GpuShaderBuffer;
use bevy::render::{Render, RenderApp, RenderSystems};
use crossbeam_channel::{Receiver, Sender, unbounded};

use super::material::{LIVE_SCRATCH, LIVE_VALUES};
use crate::activity::laplacian::Laplacian;
use crate::activity::models::Model;
use crate::gpu::{Gpu, ModelKernel, PendingRead};

/// What the main world asks of the GPU run `run_id`.
pub enum GpuCommand {
    Start {
        run_id: u64,
        model: Model,
        lap: Arc<Laplacian>,
        aux: Vec<f32>,
        dt: f32,
    },
    /// new parameters of the same model, and its per-vertex input when that changed
    Params {
        run_id: u64,
        model: Model,
        dt: f32,
        aux: Option<Vec<f32>>,
    },
    Kick {
        run_id: u64,
        bump: Arc<Vec<f32>>,
    },
    Run {
        run_id: u64,
        steps: usize,
    },
    /// copy the state back, tagged with the simulated time it belongs to
    Read {
        run_id: u64,
        t: f64,
    },
    Stop,
}

/// What comes back.
pub enum GpuReport {
    Started {
        run_id: u64,
    },
    Failed {
        run_id: u64,
        error: String,
    },
    State {
        run_id: u64,
        t: f64,
        values: Vec<f32>,
    },
}

/// The main world's end of the channels, and what the adapter is.
#[derive(Resource)]
pub struct GpuLink {
    tx: Sender<GpuCommand>,
    rx: Receiver<GpuReport>,
    /// adapter name and whether it is a CPU (software) device such as lavapipe
    pub adapter: Option<(String, bool)>,
}

impl GpuLink {
    pub fn send(&self, c: GpuCommand) {
        let _ = self.tx.send(c);
    }
    pub fn reports(&self) -> impl Iterator<Item = GpuReport> + '_ {
        self.rx.try_iter()
    }
}

/// The render world's end.
#[derive(Resource)]
struct GpuWorker {
    rx: Receiver<GpuCommand>,
    tx: Sender<GpuReport>,
    gpu: Option<Gpu>,
    run: Option<(u64, Model, ModelKernel)>,
    /// commands waiting for a `Start` whose buffers are not ready
    backlog: VecDeque<GpuCommand>,
    reads: Vec<(u64, f64, PendingRead)>,
}

pub struct ComputePlugin;

impl Plugin for ComputePlugin {
    fn build(&self, _app: &mut App) {}

    // after the renderer exists (RenderPlugin::finish puts the adapter's info in both worlds)
    fn finish(&self, app: &mut App) {
        let (tx, rx_cmd) = unbounded();
        let (tx_rep, rx) = unbounded();
        let adapter = app
            .world()
            .get_resource::<RenderAdapterInfo>()
            .map(|i| (i.name.clone(), i.device_type == wgpu::DeviceType::Cpu));
        app.insert_resource(GpuLink { tx, rx, adapter });
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .insert_resource(GpuWorker {
                rx: rx_cmd,
                tx: tx_rep,
                gpu: None,
                run: None,
                backlog: VecDeque::new(),
                reads: Vec::new(),
            })
            .add_systems(Render, step_on_gpu.in_set(RenderSystems::PrepareResources));
    }
}

fn step_on_gpu(
    mut w: ResMut<GpuWorker>,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    info: Res<RenderAdapterInfo>,
    buffers: Res<RenderAssets<GpuShaderBuffer>>,
) {
    let w = &mut *w;
    let gpu = w.gpu.get_or_insert_with(|| {
        let q: &wgpu::Queue = &queue.0;
        Gpu {
            device: device.wgpu_device().clone(),
            queue: q.clone(),
            adapter: info.name.clone(),
        }
    });
    // finished copies go to the main world
    let _ = gpu.device.poll(wgpu::PollType::Poll);
    w.reads.retain(|(run_id, t, r)| match r.try_take() {
        None => true,
        Some(Ok(values)) => {
            let _ = w.tx.send(GpuReport::State {
                run_id: *run_id,
                t: *t,
                values,
            });
            false
        }
        Some(Err(error)) => {
            let _ = w.tx.send(GpuReport::Failed {
                run_id: *run_id,
                error,
            });
            false
        }
    });
    w.backlog.extend(w.rx.try_iter());
    while let Some(c) = w.backlog.pop_front() {
        let current = w.run.as_ref().map(|r| r.0);
        match c {
            GpuCommand::Start {
                run_id,
                model,
                lap,
                aux,
                dt,
            } => {
                let want = (lap.len() * model.states() * 4) as u64;
                let (Some(a), Some(b)) = (
                    buffers.get(LIVE_VALUES.id()),
                    buffers.get(LIVE_SCRATCH.id()),
                ) else {
                    w.backlog.push_front(GpuCommand::Start {
                        run_id,
                        model,
                        lap,
                        aux,
                        dt,
                    });
                    return;
                };
                if a.buffer.size() != want || b.buffer.size() != want {
                    // the new buffers arrive with a later frame
                    w.backlog.push_front(GpuCommand::Start {
                        run_id,
                        model,
                        lap,
                        aux,
                        dt,
                    });
                    return;
                }
                let state = [(*a.buffer).clone(), (*b.buffer).clone()];
                match ModelKernel::with_state(gpu, &model, &lap, &aux, dt, state) {
                    Ok(k) => {
                        w.run = Some((run_id, model, k));
                        let _ = w.tx.send(GpuReport::Started { run_id });
                    }
                    Err(error) => {
                        w.run = None;
                        let _ = w.tx.send(GpuReport::Failed { run_id, error });
                    }
                }
            }
            GpuCommand::Stop => w.run = None,
            GpuCommand::Params {
                run_id,
                model,
                dt,
                aux,
            } if current == Some(run_id) => {
                if let Some((_, m, k)) = w.run.as_mut() {
                    k.set_params(gpu, &model, dt);
                    *m = model;
                    if let Some(aux) = aux
                        && let Err(error) = k.set_aux(gpu, &aux)
                    {
                        let _ = w.tx.send(GpuReport::Failed { run_id, error });
                    }
                }
            }
            GpuCommand::Kick { run_id, bump } if current == Some(run_id) => {
                if let Some((_, m, k)) = w.run.as_mut()
                    && let Err(error) = k.kick(gpu, m, &bump)
                {
                    let _ = w.tx.send(GpuReport::Failed { run_id, error });
                }
            }
            GpuCommand::Run { run_id, steps } if current == Some(run_id) => {
                if let Some((_, _, k)) = w.run.as_mut() {
                    k.run(gpu, steps);
                    k.settle(gpu);
                }
            }
            GpuCommand::Read { run_id, t } if current == Some(run_id) => {
                if let Some((_, _, k)) = w.run.as_ref() {
                    w.reads.push((run_id, t, k.request_read(gpu)));
                }
            }
            // for a run that has ended
            _ => {}
        }
    }
}
