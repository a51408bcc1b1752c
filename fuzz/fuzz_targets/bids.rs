#![no_main]
//! Seeds: `tests/corpus/bids/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz_electrodes.tsv", cortexplorer::check::Reader::Bids, data)
});
