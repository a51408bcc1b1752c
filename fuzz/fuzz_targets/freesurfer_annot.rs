#![no_main]
//! Seeds: `tests/corpus/freesurfer-annot/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.aparc.annot", cortexplorer::check::Reader::Data, data)
});
