//! The percept model against pulse2percept 0.11 and dynaphos 0.1.3 (numbers produced by
//! `tests/data/make_p2p_reference.py` and `tests/data/make_dynaphos_reference.py` in scratch
//! venvs; see those scripts for the settings).

use cortexplorer::brain::Hemisphere;
use cortexplorer::percept::phosphene::{Dynaphos, Model};
use cortexplorer::percept::retinotopy::WedgeDipole;
use serde_json::Value;

use crate::{bin, data, scratch};

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("p2p_reference.json")).unwrap()).unwrap()
}

fn hemi(v: &Value) -> Hemisphere {
    if v["hemisphere"] == "lh" {
        Hemisphere::Left
    } else {
        Hemisphere::Right
    }
}

#[test]
fn scoreboard_centres_and_sizes_match_pulse2percept() {
    let r = reference();
    for e in r["scoreboard"].as_array().unwrap() {
        let (u, v) = (e["u_mm"].as_f64().unwrap(), e["v_mm"].as_f64().unwrap());
        let rho = e["rho_um"].as_f64().unwrap();
        let f = WedgeDipole::POLIMENI.to_field(hemi(e), u, v).unwrap();
        let p = Model::Scoreboard { rho_um: rho }.phosphene(&WedgeDipole::POLIMENI, f, 1.0);
        // centre: pulse2percept's own map (exact) and its rendered centroid (within 2% of σ·10)
        assert!(
            (p.x_deg - e["map_x_deg"].as_f64().unwrap()).abs() < 1e-4,
            "{e}"
        );
        assert!(
            (p.y_deg - e["map_y_deg"].as_f64().unwrap()).abs() < 1e-4,
            "{e}"
        );
        let sig = e["sigma_deg"].as_f64().unwrap();
        assert!(
            (p.x_deg - e["x_deg"].as_f64().unwrap()).abs() < 0.1 * sig + 1e-3,
            "{e}"
        );
        assert!(
            (p.y_deg - e["y_deg"].as_f64().unwrap()).abs() < 0.1 * sig + 1e-3,
            "{e}"
        );
        // size: pulse2percept's Gaussian lives on the cortex; ours is its local linearisation
        assert!(
            (p.sigma_deg - sig).abs() < 0.03 * sig,
            "σ {} vs pulse2percept {sig} ({e})",
            p.sigma_deg
        );
    }
}

/// dynaphos itself: its cortical plane (x, y) mm is one hemisphere whose phosphenes it flips
/// into the left visual field and upside down — Cortexplorer's right hemisphere (u, v).
#[test]
fn dynaphos_centres_sizes_and_brightness_match_dynaphos() {
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(data("dynaphos_reference.json")).unwrap())
            .unwrap();
    let d = Dynaphos::default();
    let model = Model::Dynaphos(d);
    let refs = r["phosphenes"].as_array().unwrap();
    assert_eq!(refs.len(), 24);
    let mut dark = 0;
    for e in refs {
        let num = |k: &str| e[k].as_f64().unwrap();
        let f = WedgeDipole::DYNAPHOS
            .to_field(Hemisphere::Right, num("u_mm"), num("v_mm"))
            .unwrap();
        let p = model.phosphene(&WedgeDipole::DYNAPHOS, f, num("current_ua"));
        assert!(
            (p.x_deg - num("x_deg")).abs() < 1e-9,
            "x {} vs {e}",
            p.x_deg
        );
        assert!(
            (p.y_deg - num("y_deg")).abs() < 1e-9,
            "y {} vs {e}",
            p.y_deg
        );
        assert!(
            (p.sigma_deg - num("sigma_deg")).abs() < 1e-6 * num("sigma_deg"),
            "σ {} vs {e}",
            p.sigma_deg
        );
        let act = d.settle(num("current_ua")).activation;
        assert!(
            (act - num("activation")).abs() < 1e-9 * num("activation").max(1e-12),
            "A {act} vs {e}"
        );
        assert!(
            (p.brightness - num("brightness")).abs() < 1e-9,
            "b {} vs {e}",
            p.brightness
        );
        dark += (p.brightness == 0.0) as usize;
    }
    assert_eq!(dark, 6, "30 µA stays under dynaphos's detection threshold");
}

#[test]
fn dynaphos_centres_sizes_and_brightness_match_pulse2percept() {
    let r = reference();
    let model = Model::Dynaphos(Dynaphos::default());
    for e in r["dynaphos"].as_array().unwrap() {
        let (u, v) = (e["u_mm"].as_f64().unwrap(), e["v_mm"].as_f64().unwrap());
        let i = e["current_ua"].as_f64().unwrap();
        let f = WedgeDipole::P2P_DYNAPHOS.to_field(hemi(e), u, v).unwrap();
        let p = model.phosphene(&WedgeDipole::P2P_DYNAPHOS, f, i);
        let sig = e["sigma_deg"].as_f64().unwrap();
        assert!(
            (p.x_deg - e["x_deg"].as_f64().unwrap()).abs() < 0.05 * sig + 2e-3,
            "x {} vs {e}",
            p.x_deg
        );
        assert!(
            (p.y_deg - e["y_deg"].as_f64().unwrap()).abs() < 0.05 * sig + 2e-3,
            "y {} vs {e}",
            p.y_deg
        );
        assert!(
            (p.sigma_deg - sig).abs() < 0.03 * sig,
            "σ {} vs pulse2percept {sig} ({e})",
            p.sigma_deg
        );
        assert!(
            (p.brightness - e["peak"].as_f64().unwrap()).abs() < 0.01,
            "brightness {} vs {e}",
            p.brightness
        );
    }
}

#[test]
fn percept_cli_json_and_png() {
    let dir = scratch("percept-cli");
    let csv = dir.join("e.csv");
    std::fs::write(
        &csv,
        "electrode,x_mm,y_mm,hemisphere\nA,10,2,lh\nB,20,-4,rh\nC,5,0,lh\n",
    )
    .unwrap();
    let out = dir.join("p.png");
    let o = bin()
        .args(["percept", "--json", "--electrodes"])
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ph = v["phosphenes"].as_array().unwrap();
    assert_eq!(ph.len(), 3);
    for k in ["electrode", "x_deg", "y_deg", "sigma_deg", "brightness"] {
        assert!(ph[0].get(k).is_some(), "key {k}");
    }
    // left hemisphere → right visual field; negative y_mm (upper field) for B
    assert!(ph[0]["x_deg"].as_f64().unwrap() > 0.0);
    assert!(ph[1]["x_deg"].as_f64().unwrap() < 0.0 && ph[1]["y_deg"].as_f64().unwrap() > 0.0);
    let img = image::open(&out).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (256, 256));
    assert!(img.pixels().any(|p| p[0] > 0));
    // bad inputs: NaN coordinate, outside the map
    for (body, needle) in [
        ("x_mm,y_mm\nnan,1\n", "NaN"),
        ("x_mm,y_mm\n10,60\n", "outside V1"),
        ("x_mm\n1\n", "y_mm"),
    ] {
        std::fs::write(&csv, body).unwrap();
        let o = bin()
            .args(["percept", "--electrodes"])
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{needle}: {err}");
    }
}
