//! `vol2surf`: a 4D NIfTI whose frames are known linear functions of world coordinates,
//! sampled along a white → pial ribbon, written as .npy, .mgh and .gii and read back.

use cortexplorer::brain::Surface;
use cortexplorer::io::{self, Content};

use crate::{bin, scratch};

/// value of frame t at world point p
fn field(t: usize, p: [f64; 3]) -> f64 {
    2.0 * t as f64 + 0.3 * p[0] - 0.7 * p[1] + 0.11 * p[2] + 5.0
}

/// A NIfTI-1 single file (float32) with an oblique sform, written field by field.
fn nifti(dims: [usize; 4], srow: [[f32; 4]; 3]) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    let put_i16 =
        |h: &mut Vec<u8>, at: usize, v: i16| h[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put_f32 =
        |h: &mut Vec<u8>, at: usize, v: f32| h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    put_i16(&mut h, 40, 4);
    for (i, d) in dims.iter().enumerate() {
        put_i16(&mut h, 42 + 2 * i, *d as i16);
    }
    for i in 4..7 {
        put_i16(&mut h, 42 + 2 * i, 1);
    }
    put_i16(&mut h, 70, 16); // float32
    put_i16(&mut h, 72, 32);
    for (i, v) in [1.0f32, 1.0, 1.0, 1.0, 1.5].iter().enumerate() {
        put_f32(&mut h, 76 + 4 * i, *v);
    }
    put_f32(&mut h, 108, 352.0); // vox_offset
    put_f32(&mut h, 112, 0.0); // scl_slope 0: no scaling
    h[123] = 10 | 8; // mm, s
    put_i16(&mut h, 254, 1); // sform_code
    for (r, row) in srow.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            put_f32(&mut h, 280 + 16 * r + 4 * c, *v);
        }
    }
    h[344..348].copy_from_slice(b"n+1\0");
    let world = |i: usize, j: usize, k: usize| -> [f64; 3] {
        std::array::from_fn(|r| {
            let s = srow[r].map(f64::from);
            s[0] * i as f64 + s[1] * j as f64 + s[2] * k as f64 + s[3]
        })
    };
    for t in 0..dims[3] {
        for k in 0..dims[2] {
            for j in 0..dims[1] {
                for i in 0..dims[0] {
                    h.extend((field(t, world(i, j, k)) as f32).to_le_bytes());
                }
            }
        }
    }
    h
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
