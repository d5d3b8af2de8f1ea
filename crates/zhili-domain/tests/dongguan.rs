//! The real Dongguan town boundaries in `../shared/geo/dongguan/` (third-party data, read in
//! place, never copied into the project): every town imports, unclosed rings and all.
//! Without `../shared` the test skips with a notice; under `CI=true` that is a failure.

use std::path::PathBuf;

use zhili_domain::geo::{Locator, area_km2, parse_areas};
use zhili_domain::org::NodeKind;

fn shared() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geo/dongguan");
    if root.exists() {
        return Some(root);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "CI=true but ../shared/geo/dongguan is missing"
    );
    eprintln!("skipped: ../shared/geo/dongguan not found");
    None
}

#[test]
fn all_32_towns_import_with_their_unclosed_rings() {
    let Some(dir) = shared() else { return };
    let text = std::fs::read_to_string(dir.join("dongguan-towns-32.geojson")).unwrap();
    let areas = parse_areas(&text).unwrap();
    assert_eq!(areas.len(), 32);
    let closed: usize = areas.iter().map(|a| a.rings_closed).sum();
    assert!(closed >= 25, "{closed} rings closed");
    let liaobu = areas
        .iter()
        .find(|a| a.name.as_deref() == Some("寮步镇"))
        .unwrap();
    assert_eq!(liaobu.holes_dropped, 1, "寮步镇 has a two-point hole");
    let total: f64 = areas.iter().map(|a| area_km2(&a.shape)).sum();
    assert!((2300.0..2550.0).contains(&total), "{total} km²");
    let qx = areas
        .iter()
        .find(|a| a.name.as_deref() == Some("清溪镇"))
        .unwrap();
    let km2 = area_km2(&qx.shape);
    assert!((130.0..146.0).contains(&km2), "清溪镇 {km2} km²");
    // Every town's own interior point is placed in it, and only there.
    let loc = Locator::new(
        areas
            .iter()
            .map(|a| (a.index as i64, NodeKind::Town, a.shape.clone())),
    );
    use geo::InteriorPoint;
    for a in &areas {
        let p = a.shape.interior_point().unwrap();
        assert_eq!(
            loc.locate(p.x(), p.y()).town,
            Some(a.index as i64),
            "{:?}",
            a.name
        );
    }
    assert!(
        loc.locate(116.4, 39.9).is_outside(),
        "Beijing is not in Dongguan"
    );
}

#[test]
fn the_33_town_multipolygon_file_imports() {
    let Some(dir) = shared() else { return };
    let text = std::fs::read_to_string(dir.join("dongguan-towns-33-poi86.geojson")).unwrap();
    let areas = parse_areas(&text).unwrap();
    assert_eq!(areas.len(), 33);
    assert!(
        areas
            .iter()
            .any(|a| a.name.as_deref() == Some("松山湖管委会"))
    );
}

#[test]
fn a_broken_copy_fails_naming_the_feature() {
    let Some(dir) = shared() else { return };
    let text = std::fs::read_to_string(dir.join("dongguan-towns-32.geojson")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Cut 清溪镇's ring down to two points.
    let f = v["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["properties"]["name"] == "清溪镇")
        .unwrap();
    let ring = f["geometry"]["coordinates"][0].as_array_mut().unwrap();
    ring.truncate(2);
    let err = parse_areas(&v.to_string()).unwrap_err().to_string();
    assert!(
        err.contains("清溪镇") && err.contains("three distinct points"),
        "{err}"
    );
}
