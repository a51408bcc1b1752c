#![no_main]
//! Seeds: `tests/corpus/captions/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("lh.fuzz.tsv", cortexplorer::check::Reader::Data, data)
});
