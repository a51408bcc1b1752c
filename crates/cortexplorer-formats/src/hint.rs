//! The one `unsafe` of this crate: an `madvise` hint for large fresh allocations.

#![allow(unsafe_code)]

/// Ask Linux to back a large, not yet touched allocation with transparent huge pages: a
/// zeroed `vec!` is mapped lazily, and one 2 MB fault instead of 512 small ones makes filling
/// a million-row column ~2× faster (the VesselGraph reader). Advice only; elsewhere it does
/// nothing. Kept in its own module, so the readers themselves hold no `unsafe` (the crate denies it).
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
