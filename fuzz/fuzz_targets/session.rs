#![no_main]
//! Seeds: `tests/corpus/session/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.json", cortexplorer::check::Reader::Session, data)
});
