//! `vol2surf`: a 4D NIfTI whose frames are known linear functions of world coordinates,
//! sampled along a white → pial ribbon, written as .npy, .mgh and .gii and read back.

use cortexplorer::brain::Surface;
use cortexplorer::io::{self, Content};

use crate::{bin, scratch};

/// value of frame t at world point p
fn field(t: usize, p: [f64; 3]) -> f64 {
    2.0 * t as f64 + 0.3 * p[0] - 0.7 * p[1] + 0.11 * p[2] + 5.0
}

fn nifti(dims: [usize; 4], srow: [[f32; 4]; 3]) -> Vec<u8> {
    crate::nifti_f32(dims, srow, field)
}

#[test]
fn linear_fields_are_sampled_exactly_along_the_ribbon() {
    let d = scratch("vol2surf");
    let srow = [
        [1.8, 0.3, 0.0, -10.0],
        [-0.2, 2.0, 0.1, -12.0],
        [0.0, -0.1, 2.2, -9.0],
    ];
    let vol = d.join("bold.nii");
    std::fs::write(&vol, nifti([14, 13, 12, 3], srow)).unwrap();
    // a patch of triangles inside the volume; pial 3 mm "above" white, shifted a little
    let white: Vec<[f32; 3]> = (0..25)
        .map(|i| {
            [
                -4.0 + (i % 5) as f32 * 2.1,
                -5.0 + (i / 5) as f32 * 1.9,
                0.5 + (i % 3) as f32,
            ]
        })
        .collect();
    let pial: Vec<[f32; 3]> = white
        .iter()
        .map(|p| [p[0] + 0.4, p[1] - 0.3, p[2] + 3.0])
        .collect();
    let faces: Vec<[u32; 3]> = (0..4u32)
        .flat_map(|r| {
            (0..4u32).flat_map(move |c| {
                let a = r * 5 + c;
                [[a, a + 1, a + 5], [a + 1, a + 6, a + 5]]
            })
        })
        .collect();
    for (name, v) in [("lh.white", &white), ("lh.pial", &pial)] {
        let s = Surface::new(v.clone(), faces.clone()).unwrap();
        std::fs::write(d.join(name), io::freesurfer::write_surface(&s, "test")).unwrap();
    }
    for ext in ["npy", "mgh", "gii"] {
        let out = d.join(format!("lh.bold.{ext}"));
        let o = bin()
            .args(["vol2surf", vol.to_str().unwrap(), "--white"])
            .arg(d.join("lh.white"))
            .arg("--pial")
            .arg(d.join("lh.pial"))
            .arg("--out")
            .arg(&out)
            .arg("--json")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            (j["vertices"].as_u64(), j["frames"].as_u64()),
            (Some(25), Some(3)),
            "{j}"
        );
        assert_eq!(j["outside"], 0);
        let Content::Overlay(back) = io::load(&out).unwrap().content else {
            panic!("{ext}: not an overlay")
        };
        assert_eq!((back.n_vertices, back.n_frames), (25, 3), "{ext}");
        // projfrac-avg 0..1 of a linear field = the field at the ribbon's midpoint
        for t in 0..3 {
            for (i, (w, p)) in white.iter().zip(&pial).enumerate() {
                let mid = std::array::from_fn(|a| (w[a] as f64 + p[a] as f64) / 2.0);
                let got = back.frame(t)[i] as f64;
                assert!(
                    (got - field(t, mid)).abs() < 1e-3,
                    "{ext} t {t} v {i}: {got} vs {}",
                    field(t, mid)
                );
            }
        }
    }
    // bad requests
    let e = bin()
        .args(["vol2surf", vol.to_str().unwrap(), "--white"])
        .arg(d.join("lh.white"))
        .args(["--out", "x.txt"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&e.stderr).contains(".mgh, .gii or .npy"));
}
