#![no_main]
//! Seeds: `tests/corpus/nodes/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.node", cortexplorer::check::Reader::Data, data)
});
