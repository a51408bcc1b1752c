#![no_main]
//! Seeds: `tests/corpus/ieeg/` (EDF, BDF, BrainVision headers; the first bytes pick the name the
//! input is read as).
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(b"Brain") {
        "fuzz.vhdr"
    } else {
        "fuzz.edf"
    };
    common::run(name, cortexplorer::check::Reader::Data, data)
});
