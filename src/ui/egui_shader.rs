//! The panels' shader (`shaders/egui.wgsl`), installed over bevy_egui's under its handle.
//!
//! egui's colour rule — texture and vertex colour multiplied in sRGB gamma space, the product
//! written to the sRGB target as linear — needs two sRGB conversions per pixel. bevy_egui does
//! them with `pow`, which a software rasteriser evaluates per pixel at great cost: on Mesa
//! lavapipe (2 cores, 1280×800) the panels' shader was ~26 ms of a 68 ms frame with the Plan
//! panel open. The replacement computes the same rule with degree-4 polynomials (the equations
//! are in the shader's header); this module holds the coefficients, the CPU twin of the colour
//! rule and the test that the twin lands within one 8-bit level of exact sRGB arithmetic.
//! `CORTEXPLORER_EGUI_SHADER=stock` keeps bevy_egui's shader (for comparisons).

// the twin is what the tests run; the app runs the shader
#![cfg_attr(not(test), allow(dead_code))]

use bevy::prelude::*;
use bevy::shader::Shader;

/// gamma → linear: u² · P(u) with u = (g + 0.055) / 1.055 (highest power first; the digits
/// are the shader's).
#[allow(clippy::excessive_precision)]
pub const P: [f32; 5] = [
    -0.921011241,
    2.519197637,
    -2.733056439,
    1.895528440,
    0.235671379,
];
/// linear → gamma: Q(x^¼) (highest power first).
#[allow(clippy::excessive_precision)]
pub const Q: [f32; 5] = [
    0.065574174,
    -0.293615440,
    1.082956924,
    0.211893660,
    -0.066789630,
];

fn horner(c: &[f32; 5], x: f32) -> f32 {
    c.iter().fold(0.0, |acc, &k| acc * x + k)
}

/// sRGB gamma → linear, as the shader computes it.
pub fn srgb_to_linear(g: f32) -> f32 {
    if g < 0.04045 {
        g / 12.92
    } else {
        let u = (g + 0.055) / 1.055;
        u * u * horner(&P, u)
    }
}

/// linear → sRGB gamma, as the shader computes it.
pub fn linear_to_srgb(x: f32) -> f32 {
    if x < 0.003_130_8 {
        x * 12.92
    } else {
        horner(&Q, x.max(0.0).sqrt().sqrt())
    }
}

/// The fragment: a texel (linear, as sampled from an sRGB image) and a vertex colour (sRGB
/// gamma) → the linear colour written to the target.
pub fn shade(texel: [f32; 4], color: [f32; 4]) -> [f32; 4] {
    let c = |i: usize| srgb_to_linear(linear_to_srgb(texel[i]) * color[i]);
    [c(0), c(1), c(2), texel[3] * color[3]]
}

/// Put the shader in place of bevy_egui's (after `EguiPlugin` is added).
pub fn install(app: &mut App) {
    if std::env::var("CORTEXPLORER_EGUI_SHADER").as_deref() == Ok("stock") {
        return;
    }
    let shader = Shader::from_wgsl(
        include_str!("../../shaders/egui.wgsl"),
        "cortexplorer/shaders/egui.wgsl",
    );
    let Some(mut shaders) = app.world_mut().get_resource_mut::<Assets<Shader>>() else {
        return;
    };
    if let Err(e) = shaders.insert(bevy_egui::render::EGUI_SHADER_HANDLE.id(), shader) {
        warn!("the panels keep bevy_egui's shader: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_to_linear(g: f64) -> f64 {
        if g < 0.04045 {
            g / 12.92
        } else {
            ((g + 0.055) / 1.055).powf(2.4)
        }
    }
    fn exact_to_srgb(x: f64) -> f64 {
        if x < 0.003_130_8 {
            12.92 * x
        } else {
            1.055 * x.powf(1.0 / 2.4) - 0.055
        }
    }

    /// Every 8-bit texel times every 8-bit colour, written to an 8-bit sRGB target: within one
    /// level of the exact arithmetic (and only a few percent of pairs off by that level); a white
    /// texel passes the colour through and a white colour the texel, alpha is the product.
    #[test]
    fn the_polynomial_colour_rule_is_within_one_level_of_exact_srgb() {
        // what an 8-bit sRGB target stores for a linear value
        let stored = |x: f32| (exact_to_srgb(x.clamp(0.0, 1.0) as f64) * 255.0).round();
        let mut off = 0usize;
        for t in 0..=255u32 {
            let texel = exact_to_linear(t as f64 / 255.0) as f32;
            for c in 0..=255u32 {
                let colour = c as f32 / 255.0;
                let out = shade([texel, 1.0, texel, 0.5], [colour, colour, 1.0, 0.5]);
                let exact = (t as f64 * c as f64 / 255.0).round();
                let d = (stored(out[0]) - exact).abs();
                assert!(
                    d <= 1.0,
                    "texel {t}, colour {c}: {} vs {exact}",
                    stored(out[0])
                );
                off += usize::from(d > 0.0);
                assert!(
                    (stored(out[1]) - c as f64).abs() <= 1.0,
                    "white texel, colour {c}"
                );
                assert!(
                    (stored(out[2]) - t as f64).abs() <= 1.0,
                    "texel {t}, white colour"
                );
                assert_eq!(out[3], 0.25);
            }
        }
        assert!(off < 65_536 / 20, "{off} pairs one level off");
        // the extremes exactly
        assert_eq!(stored(shade([1.0; 4], [1.0; 4])[0]), 255.0);
        assert_eq!(stored(shade([0.0; 4], [1.0; 4])[0]), 0.0);
    }

    /// The fits' absolute errors: ≤ 0.004 (gamma → linear, largest near white, where the
    /// encoding is flat) and ≤ 0.0003 (linear → gamma).
    #[test]
    fn the_conversions_follow_the_srgb_curve() {
        for i in 0..=1000 {
            let x = i as f64 / 1000.0;
            assert!((srgb_to_linear(x as f32) as f64 - exact_to_linear(x)).abs() < 4e-3);
            assert!((linear_to_srgb(x as f32) as f64 - exact_to_srgb(x)).abs() < 3e-4);
        }
    }

    /// The shader and this twin use the same coefficients.
    #[test]
    fn the_shader_holds_the_twins_coefficients() {
        let src = include_str!("../../shaders/egui.wgsl");
        let read = |name: &str| -> f32 {
            let line = src
                .lines()
                .find(|l| l.starts_with(&format!("const {name}: f32 = ")))
                .unwrap_or_else(|| panic!("{name} not in the shader"));
            line.split('=')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches(';')
                .parse()
                .unwrap()
        };
        for (k, (p, q)) in P.iter().zip(Q.iter()).enumerate() {
            let power = 4 - k;
            assert_eq!(read(&format!("P{power}")), *p);
            assert_eq!(read(&format!("Q{power}")), *q);
        }
    }
}
