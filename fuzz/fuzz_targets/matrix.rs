#![no_main]
//! Seeds: `tests/corpus/matrix/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz_weights.txt", cortexplorer::check::Reader::Data, data)
});
