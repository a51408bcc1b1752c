#![no_main]
//! Seeds: `tests/corpus/tracts/` (TCK, TRK and TRX; the input's first bytes pick the name it is
//! read as, so one target covers the three readers).
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(b"TRACK") {
        "fuzz.trk"
    } else if data.starts_with(b"PK") {
        "fuzz.trx"
    } else {
        "fuzz.tck"
    };
    common::run(name, cortexplorer::check::Reader::Data, data)
});
