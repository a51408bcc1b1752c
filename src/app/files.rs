//! Getting files in: paths from the command line, File→Open (rfd dialog through the desktop
//! portal, or a typed path when no portal answers), and drag-and-drop onto the window.
//! Files are read on a background thread; results are added to the scene in the order given.
//! A file that fails to read becomes an error notice: nothing already loaded is touched.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future};
use bevy::window::FileDragAndDrop;

use super::options::StartOptions;
use super::shared::{LaunchTime, Loading, Notice, Pending, SceneDoc};
use crate::brain::fsaverage5;
use crate::io::{self, Loaded, ReadError};

/// Start-up options (files from the command line, default scene).
#[derive(Resource, Clone)]
pub struct Startup(pub StartOptions);

/// Ask to open these files.
#[derive(Message, Clone)]
pub struct OpenFiles(pub Vec<PathBuf>);

/// Ask to show the system file dialog.
#[derive(Message, Clone, Copy)]
pub struct OpenDialog;

/// Ask to load the bundled MNI152 T1 template (the slices' default underlay).
#[derive(Message, Clone, Copy)]
pub struct LoadTemplate;

type LoadResult = Vec<(String, Result<Loaded, ReadError>)>;

#[derive(Component)]
struct LoadTask {
    what: String,
    task: Task<LoadResult>,
}

/// A subject folder being read (FreeSurfer or fMRIPrep): it replaces the scene when done.
#[derive(Component)]
struct SubjectTask {
    what: String,
    task: Task<Result<(Vec<Loaded>, crate::brain::subject::SubjectInfo), String>>,
    /// files opened with the subject: read once it is the scene (a recording or overlay
    /// opened beside a subject belongs on that subject, not on the scene it replaces)
    then: Vec<PathBuf>,
}

#[derive(Component)]
struct DialogTask {
    started: Instant,
    task: Task<Option<Vec<PathBuf>>>,
}

pub struct FilesPlugin;

impl Plugin for FilesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Loading>()
            .add_message::<OpenFiles>()
            .add_message::<OpenDialog>()
            .add_message::<LoadTemplate>()
            .add_systems(bevy::app::Startup, start_up)
            .add_systems(
                Update,
                (
                    drag_and_drop,
                    open_dialog,
                    poll_dialogs,
                    spawn_loads,
                    poll_loads,
                    poll_subjects,
                )
                    .chain(),
            );
    }
}

/// Read files in parallel, keeping their order; `progress[i]` follows file i (per mille).
pub fn read_files(paths: &[PathBuf], progress: &[AtomicU32]) -> LoadResult {
    use rayon::prelude::*;
    let paths = io::picture::expand_folders(paths);
    paths
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let report = |f: f64| {
                if let Some(a) = progress.get(i) {
                    a.store((f * 1000.0) as u32, Ordering::Relaxed);
                }
            };
            let r = io::load_source_progress(
                io::Source::File(p.clone()),
                &io::Limits::default(),
                [1.0; 3],
                &report,
            );
            // a recording's streaming pass (its envelope and overview) runs here, with the
            // bar, not on the frame that adds it to the scene; a failure is said there
            if let Ok(io::Loaded {
                content: io::Content::Recording(file),
                ..
            }) = &r
            {
                let _ = crate::brain::scene::summarize_recording(file, &|f| report(0.1 + 0.9 * f));
            }
            report(1.0);
            (p.display().to_string(), r)
        })
        .collect()
}

fn start_up(
    mut commands: Commands,
    startup: Res<Startup>,
    mut loading: ResMut<Loading>,
    doc: Res<SceneDoc>,
) {
    let pool = AsyncComputeTaskPool::get();
    if startup.0.default_scene && doc.0.hemis.is_empty() {
        let task = pool.spawn(async move {
            match fsaverage5::load() {
                Ok(v) => v.into_iter().map(|l| (l.source.display(), Ok(l))).collect(),
                Err(e) => vec![("fsaverage5".to_string(), Err(e))],
            }
        });
        loading
            .pending
            .push(Pending::new("fsaverage5 (embedded)".into(), 1));
        commands.spawn(LoadTask {
            what: "fsaverage5 (embedded)".into(),
            task,
        });
    }
    let (subjects, files): (Vec<PathBuf>, Vec<PathBuf>) = startup
        .0
        .files
        .iter()
        .cloned()
        .partition(|p| crate::brain::subject::is_subject_dir(p));
    let mut files = files;
    let n = subjects.len();
    for (k, dir) in subjects.into_iter().enumerate() {
        let then = if k + 1 == n {
            std::mem::take(&mut files)
        } else {
            Vec::new()
        };
        spawn_subject(&mut commands, &mut loading, dir, then);
    }
    if !files.is_empty() {
        let what = format!("{} file(s) from the command line", files.len());
        let pending = Pending::new(what.clone(), files.len());
        let progress = pending.progress.clone();
        loading.pending.push(pending);
        commands.spawn(LoadTask {
            what,
            task: pool.spawn(async move { read_files(&files, &progress) }),
        });
    }
}

fn drag_and_drop(mut dropped: MessageReader<FileDragAndDrop>, mut open: MessageWriter<OpenFiles>) {
    let paths: Vec<PathBuf> = dropped
        .read()
        .filter_map(|e| match e {
            FileDragAndDrop::DroppedFile { path_buf, .. } => Some(path_buf.clone()),
            _ => None,
        })
        .collect();
    if !paths.is_empty() {
        open.write(OpenFiles(paths));
    }
}

fn open_dialog(
    mut commands: Commands,
    mut requests: MessageReader<OpenDialog>,
    mut loading: ResMut<Loading>,
    mut notices: MessageWriter<Notice>,
) {
    if requests.read().count() == 0 {
        return;
    }
    // The xdg portal talks over the D-Bus session bus; without one no dialog can appear.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        notices.write(Notice::warn("No desktop file dialog is available (no D-Bus session / xdg portal). Type a path instead."));
        loading.want_path_entry = true;
        return;
    }
    let task = AsyncComputeTaskPool::get().spawn(async move {
        rfd::AsyncFileDialog::new()
            .set_title("Open brain data")
            .add_filter(
                "Brain data",
                &[
                    "gii",
                    "gz",
                    "mgh",
                    "mgz",
                    "nii",
                    "annot",
                    "label",
                    "pial",
                    "white",
                    "inflated",
                    "sphere",
                    "curv",
                    "sulc",
                    "thickness",
                    "stc",
                    "w",
                    "npy",
                    "csv",
                    "tsv",
                ],
            )
            .add_filter("Tractography", &["tck", "trk", "trx"])
            .add_filter("Meshes", &["obj", "ply", "stl", "vtk"])
            .add_filter("Vessel graphs", &["csv", "vvg", "vtk", "swc"])
            .add_filter("All files", &["*"])
            .pick_files()
            .await
            .map(|files| files.into_iter().map(|f| f.path().to_path_buf()).collect())
    });
    commands.spawn(DialogTask {
        started: Instant::now(),
        task,
    });
}

fn poll_dialogs(
    mut commands: Commands,
    mut tasks: Query<(Entity, &mut DialogTask)>,
    mut open: MessageWriter<OpenFiles>,
    mut loading: ResMut<Loading>,
    mut notices: MessageWriter<Notice>,
) {
    for (e, mut t) in &mut tasks {
        if let Some(result) = block_on(future::poll_once(&mut t.task)) {
            commands.entity(e).despawn();
            match result {
                Some(paths) if !paths.is_empty() => {
                    open.write(OpenFiles(paths));
                }
                _ if t.started.elapsed() < Duration::from_millis(300) => {
                    // Answered faster than a person can: no portal behind it.
                    notices.write(Notice::warn("The file dialog could not be shown (no xdg desktop portal). Type a path instead."));
                    loading.want_path_entry = true;
                }
                _ => {}
            }
        }
    }
}

fn spawn_loads(
    mut commands: Commands,
    mut requests: MessageReader<OpenFiles>,
    mut template: MessageReader<LoadTemplate>,
    mut loading: ResMut<Loading>,
    mut session_cmds: MessageWriter<super::session::SessionCommand>,
) {
    if template.read().count() > 0 {
        let what = "MNI152 template (embedded)".to_string();
        if !loading.pending.iter().any(|p| p.what == what) {
            loading.pending.push(Pending::new(what.clone(), 1));
            let task = AsyncComputeTaskPool::get().spawn(async move {
                let l = crate::brain::mni152::load();
                vec![(crate::brain::mni152::NAME.to_string(), l)]
            });
            commands.spawn(LoadTask { what, task });
        }
    }
    for OpenFiles(paths) in requests.read() {
        // session files are opened as sessions, subject folders replace the scene, the rest
        // is loaded into the scene
        let (sessions, paths): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .iter()
            .cloned()
            .partition(|p| super::session::is_session_file(p));
        for p in sessions {
            session_cmds.write(super::session::SessionCommand::Open(p));
        }
        let (subjects, paths): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .into_iter()
            .partition(|p| crate::brain::subject::is_subject_dir(p));
        let mut paths = paths;
        let n = subjects.len();
        for (k, dir) in subjects.into_iter().enumerate() {
            let then = if k + 1 == n {
                std::mem::take(&mut paths)
            } else {
                Vec::new()
            };
            spawn_subject(&mut commands, &mut loading, dir, then);
        }
        if !paths.is_empty() {
            spawn_files(&mut commands, &mut loading, paths);
        }
    }
}

fn spawn_subject(commands: &mut Commands, loading: &mut Loading, dir: PathBuf, then: Vec<PathBuf>) {
    let what = format!("subject {}", dir.display());
    loading.pending.push(Pending::new(what.clone(), 1));
    let task = AsyncComputeTaskPool::get().spawn(async move { crate::brain::subject::load(&dir) });
    commands.spawn(SubjectTask { what, task, then });
}

/// Read files into the scene in the background (one task for them all).
fn spawn_files(commands: &mut Commands, loading: &mut Loading, paths: Vec<PathBuf>) {
    let what = if paths.len() == 1 {
        paths[0].display().to_string()
    } else {
        format!("{} files", paths.len())
    };
    let pending = Pending::new(what.clone(), paths.len());
    let progress = pending.progress.clone();
    loading.pending.push(pending);
    let task = AsyncComputeTaskPool::get().spawn(async move { read_files(&paths, &progress) });
    commands.spawn(LoadTask { what, task });
}

/// A subject read: it becomes the scene (the view settings stay); a subject that cannot be
/// read leaves the scene as it was.
fn poll_subjects(
    mut commands: Commands,
    mut tasks: Query<(Entity, &mut SubjectTask)>,
    mut doc: ResMut<SceneDoc>,
    mut loading: ResMut<Loading>,
    mut notices: MessageWriter<Notice>,
) {
    for (e, mut t) in &mut tasks {
        let Some(result) = block_on(future::poll_once(&mut t.task)) else {
            continue;
        };
        commands.entity(e).despawn();
        if let Some(i) = loading.pending.iter().position(|p| p.what == t.what) {
            loading.pending.remove(i);
        }
        // the files opened with it follow (onto the subject, or onto what stays shown)
        let then = std::mem::take(&mut t.then);
        if !then.is_empty() {
            spawn_files(&mut commands, &mut loading, then);
        }
        let built = result.and_then(|(loaded, info)| {
            let mut s = crate::brain::scene::Scene::new();
            s.view = doc.0.view.clone();
            for l in loaded {
                s.add(l)?;
            }
            if s.hemis.is_empty() {
                return Err(format!(
                    "{}: no cortical surface could be read",
                    info.path.display()
                ));
            }
            s.set_subject(info);
            Ok(s)
        });
        match built {
            Ok(s) => {
                let summary = s.subject.as_ref().map(|i| i.summary()).unwrap_or_default();
                doc.0 = s;
                doc.0.geometry_rev += 1;
                doc.0.color_rev += 1;
                notices.write(Notice::info(format!("Opened {summary}")));
            }
            Err(err) => {
                notices.write(Notice::error(format!(
                    "Subject not opened (kept what was shown): {err}"
                )));
            }
        }
    }
}

fn poll_loads(
    mut commands: Commands,
    mut tasks: Query<(Entity, &mut LoadTask)>,
    mut doc: ResMut<SceneDoc>,
    mut loading: ResMut<Loading>,
    mut notices: MessageWriter<Notice>,
    launch: Res<LaunchTime>,
) {
    for (e, mut t) in &mut tasks {
        let Some(results) = block_on(future::poll_once(&mut t.task)) else {
            continue;
        };
        commands.entity(e).despawn();
        if let Some(i) = loading.pending.iter().position(|p| p.what == t.what) {
            loading.pending.remove(i);
        }
        let mut ok = 0;
        // said after the "Loaded" line, so the status line shows the warning or error
        let mut said = Vec::new();
        for (what, r) in results {
            match r {
                Ok(l) => match doc.0.add(l) {
                    Ok(note) => {
                        ok += 1;
                        if let Some(n) = note {
                            said.push(Notice::warn(n));
                        }
                    }
                    Err(msg) => {
                        said.push(Notice::error(msg));
                    }
                },
                Err(err) => {
                    said.push(Notice::error(err.to_string()));
                    info!("{what}: not loaded");
                }
            }
        }
        if ok > 0 && t.what == "fsaverage5 (embedded)" && doc.0.vessels.is_none() {
            // the default scene's vessels: generated (fsaverage5 ships none), labelled as such
            doc.0
                .add_generated_vessels(crate::brain::vessel_gen::DEFAULT_SEED);
        }
        if ok > 0 {
            notices.write(Notice::info(format!(
                "Loaded {} ({ok} file(s)) at {:.2} s",
                t.what,
                launch.0.elapsed().as_secs_f32()
            )));
        }
        notices.write_batch(said);
    }
}
