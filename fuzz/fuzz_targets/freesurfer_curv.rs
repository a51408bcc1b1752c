#![no_main]
//! Seeds: `tests/corpus/freesurfer-curv/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.thickness", cortexplorer::check::Reader::Data, data)
});
