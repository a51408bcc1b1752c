#![no_main]
//! Seeds: `tests/corpus/mgh/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.mgh", cortexplorer::check::Reader::Data, data)
});
