#![no_main]
//! Seeds: `tests/corpus/cifti/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.dscalar.nii", cortexplorer::check::Reader::Data, data)
});
