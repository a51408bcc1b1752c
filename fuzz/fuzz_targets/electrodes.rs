#![no_main]
//! Seeds: `tests/corpus/electrodes/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.csv", cortexplorer::check::Reader::Electrodes, data)
});
