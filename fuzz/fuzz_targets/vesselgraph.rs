#![no_main]
//! Seeds: `tests/corpus/vesselgraph/` (a nodes file, a NUL byte, an edges file).
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run_pair("fuzz", data));
