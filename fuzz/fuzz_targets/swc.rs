#![no_main]
//! Seeds: `tests/corpus/swc/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.swc", cortexplorer::check::Reader::Data, data)
});
