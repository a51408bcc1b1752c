//! The MNI ICBM 2009a T1 template (1 mm), compiled into the program from `assets/mni152/`
//! (provenance and the template's licence notice in `assets/README.md`): the slices' default
//! anatomical underlay, loaded when the slice views open with no volume.

use crate::io::{self, Limits, Loaded, ReadError, Source};

pub const NAME: &str = "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz";
const BYTES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/mni152/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
));

pub fn source() -> Source {
    Source::Embedded {
        name: NAME,
        bytes: BYTES,
    }
}

/// Read the template (≈ 0.2 s: 8.7 M voxels).
pub fn load() -> Result<Loaded, ReadError> {
    io::load_source(source(), &Limits::default())
}
