#![no_main]
//! Seeds: `tests/corpus/plan-config/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.toml", cortexplorer::check::Reader::PlanConfig, data)
});
