//! Shared by every target: put the input in a file named as the reader expects (in a private
//! folder on tmpfs when there is one) and read it through `cortexplorer::check`, the same
//! call `cortexplorer check` and the GUI's loaders make. A panic, hang, or allocation beyond
//! libFuzzer's `-rss_limit_mb` is a finding; a refused file is the expected outcome.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cortexplorer::check::{Reader, check};

fn folder() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("cortexplorer-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// Read `data` as the file `name` with `reader`.
#[allow(dead_code)] // each target uses one of the two
pub fn run(name: &str, reader: Reader, data: &[u8]) {
    let p = folder().join(name);
    std::fs::write(&p, data).unwrap();
    let _ = check(&p, Some(reader));
}

/// A VesselGraph pair: the input up to the first NUL is the nodes file, the rest the edges.
#[allow(dead_code)]
pub fn run_pair(stem: &str, data: &[u8]) {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let nodes = folder().join(format!("{stem}_nodes.csv"));
    let edges = folder().join(format!("{stem}_edges.csv"));
    std::fs::write(&nodes, &data[..cut]).unwrap();
    std::fs::write(&edges, data.get(cut + 1..).unwrap_or(&[])).unwrap();
    let _ = check(&nodes, Some(Reader::Data));
}
