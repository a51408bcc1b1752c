//! # Cortexplorer
//!
//! The desktop viewer and planner for cortical data: this binary crate holds the Bevy
//! plugins ([`app`]), the egui panels ([`ui`]) and the command line ([`cli`]), and re-exports
//! the workspace's library crates under one set of paths — [`io`] (`cortexplorer-formats`),
//! [`brain`], [`activity`], [`percept`], [`planning`], [`selectivity`], [`routing`],
//! [`session`], [`check`] (`cortexplorer-core`) and [`gpu`] (`cortexplorer-gpu`). The crates,
//! their one-way dependencies, the data flows and the rules are described in ARCHITECTURE.md
//! at the root of the repository.

pub use cortexplorer_core::{
    activity, brain, check, open, percept, planning, rng, routing, selectivity, session,
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
