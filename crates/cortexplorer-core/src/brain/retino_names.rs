//! How retinotopy layers are named: neuropythy's `benson14_angle`, `inferred_eccen`, pRF
//! tools' `prf_polar_angle`, plain `angle`/`eccen`/`varea`/`sigma`. Used by subject-folder
//! discovery and by every consumer of retinotopy (`crate::percept::maps`).

/// Which retinotopic quantity a layer holds, from its name as neuropythy and pRF tools write
/// them: `angle`, `benson14_angle`, `inferred_angle`, `prf_polar_angle`, `eccen`,
/// `benson14_eccen`, `eccentricity`, `varea`, `inferred_varea`, `sigma`, `prf_size`, … (a
/// hemisphere prefix and a `.v4_0`-style version suffix are already gone from layer names).
/// Returns the role and the group prefix (`"benson14"`, `"inferred"`, `""`).
pub fn role_of_layer(name: &str) -> Option<(Role, String)> {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .split(['.', ' '])
        .next()
        .unwrap_or(&lower)
        .trim_end_matches("_deg");
    const SUFFIXES: [(&str, Role); 9] = [
        ("polar_angle", Role::Angle),
        ("angle", Role::Angle),
        ("eccentricity", Role::Eccen),
        ("eccen", Role::Eccen),
        ("ecc", Role::Eccen),
        ("varea", Role::Area),
        ("visual_area", Role::Area),
        ("sigma", Role::Sigma),
        ("prf_size", Role::Sigma),
    ];
    for (suffix, role) in SUFFIXES {
        if stem == suffix {
            return Some((role, String::new()));
        }
        if let Some(prefix) = stem.strip_suffix(suffix)
            && let Some(prefix) = prefix.strip_suffix(['_', '-'])
        {
            let prefix = prefix.trim_end_matches("_prf").trim_end_matches("prf");
            return Some((role, prefix.trim_end_matches('_').to_string()));
        }
    }
    None
}

/// A retinotopic quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Angle = 0,
    Eccen = 1,
    Area = 2,
    Sigma = 3,
}
