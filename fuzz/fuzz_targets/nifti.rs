#![no_main]
//! Seeds: `tests/corpus/nifti/`.
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run("fuzz.nii", cortexplorer::check::Reader::Data, data)
});
