//! The Bevy application: one plugin per feature, sharing what [`shared`] defines (the
//! [`SceneDoc`](shared::SceneDoc) resource holding the core
//! [`Scene`](crate::brain::scene::Scene), notices, the capture hold, the loading state) and
//! each other's public messages. This file only registers the plugins; the panels
//! ([`crate::ui`]) are handed to [`run_gui`] by its caller, so the app never imports them.
//!
//! Two ways to run: [`run_gui`] opens the window with panels; [`run_render`] renders the same
//! scene with no window into an image (a camera with an image render target) and writes a PNG,
//! which works under Xvfb or with no display at all, on Mesa's CPU Vulkan driver (lavapipe).

// Bevy systems take their resources as parameters; long lists are normal here.
#![allow(clippy::too_many_arguments)]

pub mod activity;
pub mod camera;
pub mod capture;
pub mod compute;
pub mod files;
pub mod history;
pub mod live;
pub mod material;
pub mod motion;
pub mod objects;
pub mod options;
pub mod picking;
pub mod planning;
pub mod presenter;
pub mod regions;
pub mod scene;
pub mod selectivity;
pub mod session;
pub mod shared;
pub mod soak;
pub mod timeline;
pub mod tracts;
pub mod vessels;
pub mod volumes;

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::RenderCreation;
use bevy::window::{ExitCondition, PresentMode, RequestRedraw, WindowResolution};
use bevy::winit::WinitSettings;

use crate::brain::scene::Scene;
use options::{RenderOptions, StartOptions};
use shared::{BACKGROUND, CaptureHold, LaunchTime, Notice, SceneDoc};

fn render_plugin() -> RenderPlugin {
    RenderPlugin {
        render_creation: RenderCreation::Automatic(Box::default()),
        // lavapipe compiles pipelines slowly: compile them before the first frame so the
        // first frames are not blank.
        synchronous_pipeline_compilation: true,
        ..default()
    }
}

/// Open the viewer window.
pub fn run_gui(opts: StartOptions, mut scene: Scene, panels: impl Plugin) -> AppExit {
    if opts.hemi.is_some() {
        scene.view.show_only(opts.hemi);
    }
    let mut app = App::new();
    app.insert_resource(LaunchTime(Instant::now()))
        .insert_resource(ClearColor(BACKGROUND))
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "Cortexplorer".into(),
                        resolution: WindowResolution::new(1280, 800),
                        present_mode: PresentMode::AutoNoVsync,
                        ..default()
                    }),
                    ..default()
                })
                .set(render_plugin()),
        )
        .insert_resource(SceneDoc(scene))
        .init_resource::<CaptureHold>()
        .insert_resource(files::Startup(opts.clone()))
        // A desktop app draws when something changes, not 60 times a second; benchmarks and
        // exit screenshots draw continuously.
        .insert_resource(
            if opts.bench_frames.is_some()
                || opts.screenshot.is_some()
                || opts.drag_bench.is_some()
                || opts.orbit
                || opts.simulate.is_some()
                || opts.soak.is_some()
            {
                WinitSettings::continuous()
            } else {
                WinitSettings::desktop_app()
            },
        )
        .add_systems(Last, keep_drawing_while_busy)
        .add_message::<Notice>()
        .add_plugins((
            (scene::ScenePlugin, live::LivePlugin),
            camera::CameraPlugin {
                target: None,
                view: opts.view.unwrap_or_default(),
            },
            picking::PickingPlugin,
            (
                vessels::VesselsPlugin { interactive: true },
                tracts::TractsPlugin,
                objects::ObjectsPlugin,
            ),
            (
                compute::ComputePlugin,
                activity::ActivityPlugin {
                    autorun: opts.simulate.clone(),
                },
            ),
            timeline::TimelinePlugin,
            (
                volumes::VolumesPlugin {
                    open_at_start: opts.volumes,
                },
                selectivity::SelectivityPlugin {
                    demo_at_start: opts.selectivity_demo,
                    routing_vertex: opts.routing_vertex,
                },
                regions::RegionsPlugin,
            ),
            files::FilesPlugin,
            capture::CapturePlugin {
                render: None,
                bench_frames: opts.bench_frames,
                exit_screenshot: opts.screenshot.clone(),
            },
            planning::PlanningPlugin {
                autostart: opts.plan,
                drag_bench: opts.drag_bench,
                config: opts.plan_config.clone(),
                scene: opts.plan_scene.clone(),
            },
            (
                session::SessionPlugin {
                    open: opts.session.clone(),
                    restore_autosave: opts.restore_autosave,
                },
                presenter::PresenterPlugin {
                    hide_panels: opts.presenter,
                },
                history::HistoryPlugin,
            ),
            panels,
        ));
    app.add_plugins(motion::MotionPlugin { orbit: opts.orbit });
    if opts.traces {
        app.insert_resource(timeline::Playback::traces_shown());
    }
    if let Some(seconds) = opts.soak {
        app.add_plugins(soak::SoakPlugin { seconds });
    }
    app.run()
}

/// Render the scene into a PNG with no window. Returns the mean frame time when benchmarking.
pub fn run_render(
    opts: RenderOptions,
    mut scene: Scene,
    plan: Option<&crate::session::PlanSession>,
) -> Result<capture::RenderReport, String> {
    let mut app = App::new();
    // the electrodes of a plan: its problem rebuilt on this scene, the layout resolved on it
    let plan_state = match plan {
        Some(ps) => {
            let mut st = planning::PlanState::default();
            let mut doc = SceneDoc(std::mem::take(&mut scene));
            let r = planning::restore_plan(&mut st, ps, &mut doc);
            scene = doc.0;
            r?;
            Some(st)
        }
        None => None,
    };
    if let Some(st) = plan_state {
        app.insert_resource(st);
    }
    app.insert_resource(camera::PinnedPose(opts.camera));
    let report = capture::RenderResult::default();
    app.insert_resource(LaunchTime(Instant::now()))
        .insert_resource(ClearColor(if opts.transparent {
            Color::NONE
        } else {
            BACKGROUND
        }))
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .set(render_plugin())
                .disable::<bevy::winit::WinitPlugin>(),
        )
        .add_plugins(bevy::app::ScheduleRunnerPlugin::run_loop(Duration::ZERO))
        .insert_resource(SceneDoc(scene))
        .insert_resource(report.clone())
        .add_message::<Notice>()
        .add_plugins((
            (scene::ScenePlugin, live::LivePlugin),
            (
                vessels::VesselsPlugin { interactive: false },
                tracts::TractsPlugin,
                objects::ObjectsPlugin,
            ),
            camera::CameraPlugin {
                target: Some((opts.width, opts.height)),
                view: opts.view,
            },
            capture::CapturePlugin {
                render: Some(opts),
                bench_frames: None,
                exit_screenshot: None,
            },
            planning::MarkersPlugin,
        ));
    app.run();
    report.take()
}

/// In the reactive (desktop) mode, ask for more frames while something is in motion: files
/// loading, background work others wait for (vessel geometry, the start-up plan), the camera
/// gliding to its target, the scene changing.
fn keep_drawing_while_busy(
    loading: Res<shared::Loading>,
    hold: Res<CaptureHold>,
    doc: Res<SceneDoc>,
    moved: Query<(), (With<camera::MainCamera>, Changed<Transform>)>,
    playback: Res<timeline::Playback>,
    activity: Res<activity::ActivityState>,
    mut seen: Local<(u64, u64)>,
    mut redraw: MessageWriter<RequestRedraw>,
) {
    let revs = (doc.0.geometry_rev, doc.0.color_rev);
    let changed = revs != *seen;
    *seen = revs;
    let animating = playback.timeline.playing || activity.running;
    if !loading.pending.is_empty() || hold.0 > 0 || changed || !moved.is_empty() || animating {
        redraw.write(RequestRedraw);
    }
}
