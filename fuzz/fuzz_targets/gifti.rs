#![no_main]
//! Seeds: `tests/corpus/gifti/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.fuzz.gii", cortexplorer::check::Reader::Data, data)
});
