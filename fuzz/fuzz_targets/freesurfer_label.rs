#![no_main]
//! Seeds: `tests/corpus/freesurfer-label/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.fuzz.label", cortexplorer::check::Reader::Data, data)
});
