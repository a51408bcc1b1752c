//! # Cortexplorer
//!
//! A desktop viewer and planner for cortical data. The crate is one library with layers that
//! only point downward:
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | readers | [`io`] — the `cortexplorer-formats` crate (`crates/`): one module per file format, with its own plain data types | nothing of this crate |
//! | domain core | [`brain`] — surfaces, overlays, labels, volumes, colormaps, the scene document, vessel graphs; [`percept`], [`planning`]; [`activity`] — mesh operators and models (the CPU twins of the kernels); [`selectivity`] — category preference, selectivity index, captions, ROI summaries, the synthetic demo; [`routing`] — image-patch routing (files, pRF model); [`session`] — session files (save, validate, restore the scene); [`check`] — every reader behind one call (`cortexplorer check`, the corpus, the fuzz targets) | plain Rust, `glam`, `colorgrad`, `rstar` |
//! | compute | [`gpu`] — a `wgpu` compute runner for the kernels in `shaders/` (headless device or the app's) | core, `wgpu` |
//! | app | [`app`] — Bevy plugins, one per feature (scene meshes, camera, picking, files, capture) | core, Bevy |
//! | ui | [`ui`] — egui panels; they read and write app resources and send messages, nothing else | app resources, egui |
//! | cli | [`cli`] — `inspect`, `render`, `view`, `vessels`, `percept`, `plan`, `simulate`: same functions as the GUI, JSON out | everything |
//!
//! Rule: nothing in `cortexplorer-formats` nor under `brain/`, `percept/`, `planning/`, `activity/`, `selectivity/`, `routing/`, `session.rs` or in `gpu.rs`
//! imports Bevy or egui (checked by a test), so
//! everything there runs in the CLI and in unit tests without a window.

pub use cortexplorer_core::{
    activity, brain, check, percept, planning, routing, selectivity, session,
};
/// The readers and writers (the `cortexplorer-formats` crate).
pub use cortexplorer_formats as io;
/// The compute runner (the `cortexplorer-gpu` crate).
pub use cortexplorer_gpu as gpu;

#[cfg(feature = "app")]
pub mod app;
#[cfg(feature = "app")]
pub mod cli;
#[cfg(feature = "app")]
pub mod ui;

/// glibc hands freed blocks above 128 KiB back to the kernel at once, so every large
/// allocation costs fresh zeroed pages: the software Vulkan driver does this each frame
/// (17% of frame time on lavapipe) and readers each time a file is loaded (a 150k-vertex
/// surface read 5× slower). Keep such blocks in the heap instead. Called first thing by the
/// program (and by the benchmarks, which measure the program's behaviour).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; it is called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Ask the kernel for transparent huge pages behind a large fresh allocation (see
/// [`io::huge_pages`]).
pub use io::huge_pages;
