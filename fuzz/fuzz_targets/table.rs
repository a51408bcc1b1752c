#![no_main]
//! Seeds: `tests/corpus/table/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.fuzz.csv", cortexplorer::check::Reader::Data, data)
});
