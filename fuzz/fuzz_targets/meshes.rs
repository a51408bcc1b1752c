#![no_main]
//! Seeds: `tests/corpus/meshes/` (OBJ, PLY, STL, VTK polygons; the input's first bytes pick the
//! name it is read as, so one target covers the four readers).
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(b"ply") {
        "fuzz.ply"
    } else if data.starts_with(b"# vtk") {
        "fuzz.vtk"
    } else if data.starts_with(b"solid") || data.first() == Some(&0) {
        "fuzz.stl"
    } else {
        "fuzz.obj"
    };
    common::run(name, cortexplorer::check::Reader::Data, data)
});
