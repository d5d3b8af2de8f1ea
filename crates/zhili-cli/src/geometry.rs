//! Synthetic geometry for the demo town: an outline of about the real extent of 清溪镇 (about
//! 140 km² around 22.83° N, 114.17° E), cut into village wedges and grid cells. None of it is
//! surveyed; every node made from it is marked synthetic. Coordinates are WGS84.

use std::f64::consts::TAU;

pub const CENTER: (f64, f64) = (114.17, 22.83);
/// Radius in km of a circle of 140 km².
const RADIUS_KM: f64 = 6.68;
const KM_PER_DEG_LAT: f64 = 111.0;

fn km_per_deg_lon() -> f64 {
    KM_PER_DEG_LAT * CENTER.1.to_radians().cos()
}

/// The outline's radius (km) at angle `a`: a circle made irregular.
fn radius(a: f64) -> f64 {
    RADIUS_KM * (1.0 + 0.14 * (3.0 * a).sin() + 0.07 * (5.0 * a + 1.0).cos())
}

/// The point at angle `a` and `frac` of the outline's radius, as (lon, lat).
pub fn point(a: f64, frac: f64) -> (f64, f64) {
    let r = radius(a) * frac;
    (
        CENTER.0 + r * a.cos() / km_per_deg_lon(),
        CENTER.1 + r * a.sin() / KM_PER_DEG_LAT,
    )
}

fn ring_json(points: &[(f64, f64)]) -> serde_json::Value {
    let mut ring: Vec<[f64; 2]> = points
        .iter()
        .map(|(x, y)| [(x * 1e6).round() / 1e6, (y * 1e6).round() / 1e6])
        .collect();
    ring.push(ring[0]);
    serde_json::json!({"type": "Polygon", "coordinates": [ring]})
}

/// The part of sector `[a0, a1]` between `f0` and `f1` of the radius (`f0 = 0` is a wedge).
pub fn sector(a0: f64, a1: f64, f0: f64, f1: f64) -> String {
    let steps = 6;
    let mut pts = Vec::new();
    for i in 0..=steps {
        let a = a0 + (a1 - a0) * f64::from(i) / f64::from(steps);
        pts.push(point(a, f1));
    }
    if f0 <= 0.0 {
        pts.push(CENTER);
    } else {
        for i in (0..=steps).rev() {
            let a = a0 + (a1 - a0) * f64::from(i) / f64::from(steps);
            pts.push(point(a, f0));
        }
    }
    ring_json(&pts).to_string()
}

pub fn town_outline() -> String {
    let pts: Vec<_> = (0..72)
        .map(|i| point(TAU * f64::from(i) / 72.0, 1.0))
        .collect();
    ring_json(&pts).to_string()
}

/// Angles of village `i` of `n`.
pub fn village_angles(i: usize, n: usize) -> (f64, f64) {
    (TAU * i as f64 / n as f64, TAU * (i + 1) as f64 / n as f64)
}

/// Shoelace area in km² of a polygon given as GeoJSON text (first ring).
#[cfg(test)]
pub fn area_km2(geojson: &str) -> f64 {
    let v: serde_json::Value = serde_json::from_str(geojson).unwrap_or_default();
    let ring = v["coordinates"][0].as_array().cloned().unwrap_or_default();
    let pts: Vec<(f64, f64)> = ring
        .iter()
        .filter_map(|p| {
            Some((
                p[0].as_f64()? * km_per_deg_lon(),
                p[1].as_f64()? * KM_PER_DEG_LAT,
            ))
        })
        .collect();
    let mut s = 0.0;
    for w in pts.windows(2) {
        s += w[0].0 * w[1].1 - w[1].0 * w[0].1;
    }
    (s / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_has_about_the_real_extent() {
        let a = area_km2(&town_outline());
        assert!((125.0..155.0).contains(&a), "{a} km²");
        // Village wedges and their grid rings tile the town.
        let n = 22;
        let mut total = 0.0;
        for i in 0..n {
            let (a0, a1) = village_angles(i, n);
            for (f0, f1) in [(0.0, 0.4), (0.4, 0.75), (0.75, 1.0)] {
                total += area_km2(&sector(a0, a1, f0, f1));
            }
        }
        assert!((total - a).abs() / a < 0.05, "{total} vs {a}");
    }
}
