#![no_main]
//! Seeds: `tests/corpus/stc/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz-lh.stc", cortexplorer::check::Reader::Data, data)
});
