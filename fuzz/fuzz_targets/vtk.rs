#![no_main]
//! Seeds: `tests/corpus/vtk/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.vtk", cortexplorer::check::Reader::Data, data)
});
