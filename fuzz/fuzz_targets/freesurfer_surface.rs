#![no_main]
//! Seeds: `tests/corpus/freesurfer-surface/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.fuzz.white", cortexplorer::check::Reader::Data, data)
});
