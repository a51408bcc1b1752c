#![no_main]
//! Seeds: `tests/corpus/markups/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.mrk.json", cortexplorer::check::Reader::Markups, data)
});
