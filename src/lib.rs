//! # Cortexplorer
//!
//! A desktop viewer and planner for cortical data. The crate is one library with layers that
//! only point downward:
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | readers | [`io`] — one module per file format | `brain` data types |
//! | domain core | [`brain`] — surfaces, overlays, labels, volumes, colormaps, the scene document, vessel graphs; [`percept`], [`planning`]; [`activity`] — mesh operators and models (the CPU twins of the kernels); [`selectivity`] — category preference, selectivity index, captions, ROI summaries, the synthetic demo; [`routing`] — image-patch routing (files, pRF model); [`session`] — session files (save, validate, restore the scene); [`check`] — every reader behind one call (`cortexplorer check`, the corpus, the fuzz targets) | plain Rust, `glam`, `colorgrad`, `rstar` |
//! | compute | [`gpu`] — a `wgpu` compute runner for the kernels in `shaders/` (headless device or the app's) | core, `wgpu` |
//! | app | [`app`] — Bevy plugins, one per feature (scene meshes, camera, picking, files, capture) | core, Bevy |
//! | ui | [`ui`] — egui panels; they read and write app resources and send messages, nothing else | app resources, egui |
//! | cli | [`cli`] — `inspect`, `render`, `view`, `vessels`, `percept`, `plan`, `simulate`: same functions as the GUI, JSON out | everything |
//!
//! Rule: nothing under `io/`, `brain/`, `percept/`, `planning/`, `activity/`, `selectivity/`, `routing/`, `session.rs` or in `gpu.rs`
//! imports Bevy or egui (checked by a test), so
//! everything there runs in the CLI and in unit tests without a window.

pub mod activity;
#[cfg(feature = "app")]
pub mod app;
pub mod brain;
pub mod check;
#[cfg(feature = "app")]
pub mod cli;
pub mod gpu;
pub mod io;
pub mod percept;
pub mod planning;
pub mod routing;
pub mod selectivity;
pub mod session;
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

/// Ask Linux to back a large, not yet touched allocation with transparent huge pages: a
/// zeroed `vec!` is mapped lazily, and one 2 MB fault instead of 512 small ones makes filling
/// a million-row column ~2× faster (the VesselGraph reader). Advice only; elsewhere it does
/// nothing. Kept here, beside `tune_allocator`, so the readers themselves hold no `unsafe`.
pub fn huge_pages<T>(v: Vec<T>) -> Vec<T> {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.len() * std::mem::size_of::<T>();
        let start = v.as_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        if bytes >= 2 * HUGE && aligned < start + bytes {
            let len = (start + bytes - aligned) / HUGE * HUGE;
            // SAFETY: the range lies inside the vector's allocation; madvise only changes how
            // the kernel backs those pages, never their contents.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}
