//! Colormaps by their matplotlib names, built from the `colorgrad` presets.
//!
//! Every map is sampled once into a 256-entry lookup table, so colouring a vertex is an
//! index, on the CPU or in a shader. Any name takes the matplotlib `_r` suffix for the
//! reversed map. `hot` and `coolwarm` are not colorgrad presets; they are built with
//! colorgrad's `GradientBuilder` from their published anchor colours (matplotlib's `hot`
//! break points 0.365/0.746; Moreland 2009 for `coolwarm`).

use colorgrad::Gradient;

/// Names offered in the UI, sequential first, then diverging.
pub const NAMES: &[&str] = &[
    "viridis",
    "inferno",
    "magma",
    "plasma",
    "cividis",
    "turbo",
    "hot",
    "gray",
    "Greys",
    "Reds",
    "Blues",
    "Greens",
    "YlOrRd",
    "RdBu_r",
    "RdBu",
    "coolwarm",
    "RdYlBu_r",
    "Spectral_r",
    "PuOr",
    "BrBG",
];

/// A 256-entry RGBA lookup table.
#[derive(Clone, Debug, PartialEq)]
pub struct Colormap {
    pub name: String,
    pub lut: Vec<[u8; 4]>,
}

fn builder(colors: &[[u8; 3]], pos: &[f32]) -> colorgrad::LinearGradient {
    let cols: Vec<colorgrad::Color> = colors
        .iter()
        .map(|c| colorgrad::Color::from_rgba8(c[0], c[1], c[2], 255))
        .collect();
    colorgrad::GradientBuilder::new()
        .colors(&cols)
        .domain(pos)
        .build::<colorgrad::LinearGradient>()
        .expect("static gradient definition")
}

impl Colormap {
    /// Look a map up by matplotlib name (case-insensitive; `_r` reverses).
    pub fn by_name(name: &str) -> Option<Colormap> {
        let (base, reversed) = match name.strip_suffix("_r") {
            Some(b) => (b, true),
            None => (name, false),
        };
        use colorgrad::preset as p;
        let g: Box<dyn Gradient> = match base.to_ascii_lowercase().as_str() {
            "viridis" => Box::new(p::viridis()),
            "inferno" => Box::new(p::inferno()),
            "magma" => Box::new(p::magma()),
            "plasma" => Box::new(p::plasma()),
            "cividis" => Box::new(p::cividis()),
            "turbo" => Box::new(p::turbo()),
            "greys" => Box::new(p::greys()),
            "gray" | "grey" => Box::new(builder(&[[0, 0, 0], [255, 255, 255]], &[0.0, 1.0])),
            "reds" => Box::new(p::reds()),
            "blues" => Box::new(p::blues()),
            "greens" => Box::new(p::greens()),
            "oranges" => Box::new(p::oranges()),
            "purples" => Box::new(p::purples()),
            "ylorrd" => Box::new(p::yl_or_rd()),
            "rdbu" => Box::new(p::rd_bu()),
            "rdylbu" => Box::new(p::rd_yl_bu()),
            "spectral" => Box::new(p::spectral()),
            "puor" => Box::new(p::pu_or()),
            "brbg" => Box::new(p::br_bg()),
            "piyg" => Box::new(p::pi_yg()),
            "hot" => Box::new(builder(
                &[[10, 0, 0], [255, 0, 0], [255, 255, 0], [255, 255, 255]],
                &[0.0, 0.365, 0.746, 1.0],
            )),
            "coolwarm" => Box::new(builder(
                &[[59, 76, 192], [221, 221, 221], [180, 4, 38]],
                &[0.0, 0.5, 1.0],
            )),
            _ => return None,
        };
        let lut = (0..256)
            .map(|i| {
                let t = i as f32 / 255.0;
                g.at(if reversed { 1.0 - t } else { t }).to_rgba8()
            })
            .collect();
        Some(Colormap {
            name: name.to_string(),
            lut,
        })
    }

    /// Colour at `t` in 0..=1 (clamped; NaN maps to 0).
    pub fn at(&self, t: f32) -> [u8; 4] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        self.lut[(t * 255.0).round() as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_name_resolves() {
        for n in NAMES {
            let c = Colormap::by_name(n).unwrap_or_else(|| panic!("{n}"));
            assert_eq!(c.lut.len(), 256);
        }
        assert!(Colormap::by_name("nope").is_none());
    }

    #[test]
    fn endpoints_match_matplotlib_conventions() {
        let v = Colormap::by_name("viridis").unwrap();
        assert_eq!(v.at(0.0)[..3], [0x44, 0x01, 0x54]); // dark purple
        assert!(v.at(1.0)[1] > 200); // yellow
        let r = Colormap::by_name("RdBu_r").unwrap();
        assert!(r.at(0.0)[2] > r.at(0.0)[0]); // blue at low values
        assert!(r.at(1.0)[0] > r.at(1.0)[2]); // red at high values
        let g = Colormap::by_name("gray").unwrap();
        assert_eq!(g.at(0.0)[..3], [0, 0, 0]);
        assert_eq!(g.at(1.0)[..3], [255, 255, 255]);
    }
}
