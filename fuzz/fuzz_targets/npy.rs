#![no_main]
//! Seeds: `tests/corpus/npy/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.npy", cortexplorer::check::Reader::Data, data)
});
