#![no_main]
//! Seeds: `tests/corpus/voreen/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.vvg", cortexplorer::check::Reader::Data, data)
});
