//! Geography (地理): areas read from GeoJSON (RFC 7946), a spatial index that places a point in
//! its grid cell (单元网格), village (村/社区) and town (镇/街道), and the 15-digit grid codes of
//! RULES.md §3.2.
//!
//! Coordinates are WGS84 longitude/latitude (EPSG:4326), as RFC 7946 requires. Chinese web maps
//! (Amap/高德, Tencent) publish GCJ-02 ("Mars") coordinates, offset from WGS84 by a few hundred
//! metres; [`gcj02_to_wgs84`] converts such data before import (see docs/geo.md).

use geo::{
    BoundingRect, ChamberlainDuquetteArea, Contains, Coord, Intersects, LineString, MultiPolygon,
    Point, Polygon, Validation,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde_json::{Map, Value};

use crate::org::NodeKind;

/// One feature of a GeoJSON file, checked.
#[derive(Debug, Clone)]
pub struct Area {
    /// Position in the file, from 0.
    pub index: usize,
    pub name: Option<String>,
    pub code: Option<String>,
    pub properties: Map<String, Value>,
    pub shape: MultiPolygon<f64>,
    /// Rings that were not closed in the file and were closed here.
    pub rings_closed: usize,
    /// Holes of no area (fewer than three distinct points) that were left out.
    pub holes_dropped: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("not GeoJSON: {0}")]
    Json(String),
    #[error("feature {index} ({name}): {problem}")]
    Feature {
        index: usize,
        name: String,
        problem: String,
    },
}

fn prop_str(props: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Read every feature of a FeatureCollection (or a single Feature or Polygon/MultiPolygon).
/// Rings whose last point is not their first are closed; anything else wrong — a missing or
/// empty geometry, a ring of fewer than three points, a coordinate outside WGS84, a ring that
/// crosses itself — is an error naming the feature.
pub fn parse_areas(text: &str) -> Result<Vec<Area>, GeoError> {
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| GeoError::Json(e.to_string()))?;
    let features: Vec<(Option<geojson::Geometry>, Map<String, Value>)> = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .map(|f| (f.geometry, f.properties.unwrap_or_default()))
            .collect(),
        geojson::GeoJson::Feature(f) => vec![(f.geometry, f.properties.unwrap_or_default())],
        geojson::GeoJson::Geometry(g) => vec![(Some(g), Map::new())],
    };
    features
        .into_iter()
        .enumerate()
        .map(|(index, (geometry, properties))| {
            let name = prop_str(&properties, &["name", "NAME", "名称"]);
            let code = prop_str(
                &properties,
                &["code", "grid_code", "adcode", "CODE", "编码"],
            );
            let fail = |problem: String| GeoError::Feature {
                index,
                name: name
                    .clone()
                    .or_else(|| code.clone())
                    .unwrap_or_else(|| "unnamed".into()),
                problem,
            };
            let geometry = geometry.ok_or_else(|| fail("no geometry".into()))?;
            let (
                shape,
                Repairs {
                    rings_closed,
                    holes_dropped,
                },
            ) = shape_of(&geometry.value).map_err(fail)?;
            Ok(Area {
                index,
                name: name.clone(),
                code: code.clone(),
                properties,
                shape,
                rings_closed,
                holes_dropped,
            })
        })
        .collect()
}

/// A stored GeoJSON geometry (as the org tree keeps it) as a shape.
pub fn shape_from_geojson(text: &str) -> Result<MultiPolygon<f64>, String> {
    let g: geojson::Geometry = serde_json::from_str(text).map_err(|e| e.to_string())?;
    shape_of(&g.value).map(|(s, _)| s)
}

/// A shape as a GeoJSON geometry (a Polygon when it has one part), coordinates to 1e-7°.
pub fn shape_to_geojson(shape: &MultiPolygon<f64>) -> String {
    let ring = |l: &LineString<f64>| -> Vec<[f64; 2]> {
        l.coords()
            .map(|c| [(c.x * 1e7).round() / 1e7, (c.y * 1e7).round() / 1e7])
            .collect()
    };
    let poly = |p: &Polygon<f64>| -> Vec<Vec<[f64; 2]>> {
        std::iter::once(ring(p.exterior()))
            .chain(p.interiors().iter().map(ring))
            .collect()
    };
    let v = if shape.0.len() == 1 {
        serde_json::json!({"type": "Polygon", "coordinates": poly(&shape.0[0])})
    } else {
        serde_json::json!({"type": "MultiPolygon", "coordinates": shape.0.iter().map(poly).collect::<Vec<_>>()})
    };
    v.to_string()
}

#[derive(Debug, Default)]
struct Repairs {
    rings_closed: usize,
    holes_dropped: usize,
}

fn shape_of(v: &geojson::GeometryValue) -> Result<(MultiPolygon<f64>, Repairs), String> {
    use geojson::GeometryValue as G;
    let polygons: Vec<&geojson::PolygonType> = match v {
        G::Polygon { coordinates } => vec![coordinates],
        G::MultiPolygon { coordinates } => coordinates.iter().collect(),
        G::Point { .. } => {
            return Err("a Point is not an area; give a Polygon or MultiPolygon".into());
        }
        G::MultiPoint { .. } => {
            return Err("a MultiPoint is not an area; give a Polygon or MultiPolygon".into());
        }
        G::LineString { .. } => {
            return Err("a LineString is not an area; give a Polygon or MultiPolygon".into());
        }
        G::MultiLineString { .. } => {
            return Err("a MultiLineString is not an area; give a Polygon or MultiPolygon".into());
        }
        G::GeometryCollection { .. } => {
            return Err(
                "a GeometryCollection is not supported; give a Polygon or MultiPolygon".into(),
            );
        }
    };
    if polygons.is_empty() {
        return Err("empty geometry".into());
    }
    let mut repairs = Repairs::default();
    let mut out = Vec::new();
    for (pi, rings) in polygons.iter().enumerate() {
        let at = |ri: usize| {
            if polygons.len() > 1 {
                format!("polygon {pi} ring {ri}")
            } else {
                format!("ring {ri}")
            }
        };
        if rings.is_empty() {
            return Err(format!("{}: empty polygon", at(0)));
        }
        let mut lines = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let mut coords = Vec::with_capacity(ring.len() + 1);
            for (k, p) in ring.iter().enumerate() {
                let s = p.as_slice();
                let (x, y) = match s {
                    [x, y, ..] => (*x, *y),
                    _ => {
                        return Err(format!(
                            "{} point {k}: a position needs longitude and latitude",
                            at(ri)
                        ));
                    }
                };
                if !(x.is_finite()
                    && y.is_finite()
                    && (-180.0..=180.0).contains(&x)
                    && (-90.0..=90.0).contains(&y))
                {
                    return Err(format!(
                        "{} point {k}: ({x}, {y}) is not a WGS84 longitude/latitude",
                        at(ri)
                    ));
                }
                coords.push(Coord { x, y });
            }
            if coords.is_empty() {
                return Err(format!("{}: empty ring", at(ri)));
            }
            let was_open = coords.first() != coords.last();
            if was_open {
                coords.push(coords[0]);
            }
            let mut distinct = coords[..coords.len() - 1].to_vec();
            distinct.dedup();
            if coords.len() < 4 || distinct.len() < 3 {
                if ri > 0 {
                    // A hole with no area holds nothing: leave it out.
                    repairs.holes_dropped += 1;
                    continue;
                }
                return Err(format!(
                    "{}: a ring needs at least three distinct points",
                    at(ri)
                ));
            }
            if was_open {
                repairs.rings_closed += 1;
            }
            lines.push(LineString::new(coords));
        }
        let exterior = lines.remove(0);
        let polygon = Polygon::new(exterior, lines);
        if let Err(e) = polygon.check_validation() {
            let which = if polygons.len() > 1 {
                format!("polygon {pi}")
            } else {
                "polygon".to_string()
            };
            return Err(format!("{which}: {e}"));
        }
        out.push(polygon);
    }
    Ok((MultiPolygon(out), repairs))
}

/// The area of a shape on the sphere (Chamberlain–Duquette; within about 0.5% of the
/// ellipsoid), in km²; either winding order.
pub fn area_km2(shape: &MultiPolygon<f64>) -> f64 {
    shape.chamberlain_duquette_unsigned_area() / 1e6
}

/// Where a point lies in the org tree. All `None`: outside every area (an explicit answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Placed {
    pub town: Option<i64>,
    pub village: Option<i64>,
    pub grid: Option<i64>,
}

impl Placed {
    pub fn is_outside(&self) -> bool {
        self.town.is_none() && self.village.is_none() && self.grid.is_none()
    }
}

struct Indexed {
    id: i64,
    kind: NodeKind,
    shape: MultiPolygon<f64>,
}

/// An R-tree of the areas' bounding boxes; a lookup tests the point against the shapes whose
/// boxes hold it.
pub struct Locator {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    areas: Vec<Indexed>,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("areas", &self.areas.len())
            .finish()
    }
}

impl Locator {
    /// Index towns, villages and grid cells (other kinds are ignored).
    pub fn new(areas: impl IntoIterator<Item = (i64, NodeKind, MultiPolygon<f64>)>) -> Locator {
        let mut list: Vec<Indexed> = areas
            .into_iter()
            .filter(|(_, k, _)| matches!(k, NodeKind::Town | NodeKind::Village | NodeKind::Grid))
            .map(|(id, kind, shape)| Indexed { id, kind, shape })
            .collect();
        // Lower ids first, so that a point on a shared border goes to the same area each time.
        list.sort_by_key(|a| a.id);
        let boxes = list
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let r = a.shape.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        Locator {
            tree: RTree::bulk_load(boxes),
            areas: list,
        }
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The town, village and grid cell that hold the point (a point on a border counts as in).
    pub fn locate(&self, lon: f64, lat: f64) -> Placed {
        let mut placed = Placed::default();
        if !(lon.is_finite() && lat.is_finite()) {
            return placed;
        }
        let p = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .tree
            .locate_all_at_point(&[lon, lat])
            .map(|g| g.data)
            .collect();
        hits.sort_unstable();
        for i in hits {
            let a = &self.areas[i];
            let slot = match a.kind {
                NodeKind::Town => &mut placed.town,
                NodeKind::Village => &mut placed.village,
                NodeKind::Grid => &mut placed.grid,
                NodeKind::City => continue,
            };
            if slot.is_none() && (a.shape.contains(&p) || a.shape.intersects(&p)) {
                *slot = Some(a.id);
            }
        }
        placed
    }

    /// How many boxes hold the point: the bounding-box lookup alone, the ceiling that
    /// `zhili bench` compares [`Locator::locate`] with.
    pub fn boxes_at(&self, lon: f64, lat: f64) -> usize {
        self.tree.locate_all_at_point(&[lon, lat]).count()
    }

    /// Areas whose boxes meet the given box (for map views).
    pub fn ids_in_box(&self, min: [f64; 2], max: [f64; 2]) -> Vec<i64> {
        let env = AABB::from_corners(min, max);
        let mut ids: Vec<i64> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|g| self.areas[g.data].id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// A unit-grid code (单元网格编码): 15 digits = 6-digit county code (GB/T 2260) + 3-digit town
/// (乡镇/街道) + 3-digit village or community + 3-digit cell number (RULES.md §3.2). The first
/// twelve digits are the village's official (NBS) code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GridCode(String);

impl GridCode {
    pub fn new(village_code: &str, seq: u32) -> Result<GridCode, String> {
        if village_code.len() != 12 || !village_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("village code {village_code} is not 12 digits"));
        }
        if !(1..=999).contains(&seq) {
            return Err(format!("cell number {seq} is not between 1 and 999"));
        }
        Ok(GridCode(format!("{village_code}{seq:03}")))
    }

    pub fn parse(s: &str) -> Result<GridCode, String> {
        let s = s.trim();
        if s.len() != 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("grid code {s} is not 15 digits"));
        }
        if &s[12..] == "000" {
            return Err(format!("grid code {s} has cell number 000"));
        }
        Ok(GridCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn county(&self) -> &str {
        &self.0[..6]
    }
    pub fn town(&self) -> &str {
        &self.0[..9]
    }
    pub fn village(&self) -> &str {
        &self.0[..12]
    }
    pub fn seq(&self) -> u32 {
        self.0[12..].parse().unwrap_or(0)
    }
}

/// Cell numbers in the standard order: north to south in rows, west to east within a row.
/// `centres` are the cells' (lon, lat); `row_height` is the band, in degrees of latitude,
/// within which cells count as one row. Returns each cell's number (from 1), in input order.
pub fn number_cells(centres: &[(f64, f64)], row_height: f64) -> Vec<u32> {
    let mut order: Vec<usize> = (0..centres.len()).collect();
    let row = |i: usize| (-(centres[i].1) / row_height.max(1e-9)).floor() as i64;
    order.sort_by(|&a, &b| {
        row(a)
            .cmp(&row(b))
            .then(centres[a].0.total_cmp(&centres[b].0))
    });
    let mut numbers = vec![0; centres.len()];
    for (n, i) in order.into_iter().enumerate() {
        numbers[i] = n as u32 + 1;
    }
    numbers
}

/// GCJ-02 (the offset coordinates of Chinese web maps) to WGS84, by the usual iteration of the
/// public forward formula; good to well under a metre inside China. Points outside China are
/// not offset and come back unchanged.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let (mut x, mut y) = (lon, lat);
    for _ in 0..10 {
        let (gx, gy) = wgs84_to_gcj02(x, y);
        x -= gx - lon;
        y -= gy - lat;
    }
    (x, y)
}

/// WGS84 to GCJ-02 (the forward formula).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let pi = std::f64::consts::PI;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * pi).sin() + 40.0 * (y / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * pi).sin() + 320.0 * (y * pi / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * pi).sin() + 40.0 * (x / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * pi).sin() + 300.0 * (x / 30.0 * pi).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * pi;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * pi);
    dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * pi);
    (lon + dlon, lat + dlat)
}

fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, d: f64, close: bool) -> String {
        let mut ring = vec![[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d]];
        if close {
            ring.push([x0, y0]);
        }
        serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string()
    }

    fn collection(geoms: &[(&str, String)]) -> String {
        let features: Vec<Value> = geoms
            .iter()
            .map(|(name, g)| {
                serde_json::json!({"type": "Feature", "properties": {"name": name},
                    "geometry": serde_json::from_str::<Value>(g).unwrap()})
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
    }

    #[test]
    fn unclosed_rings_are_closed_and_counted() {
        let areas = parse_areas(&collection(&[
            ("甲", square(114.0, 22.0, 0.1, false)),
            ("乙", square(114.1, 22.0, 0.1, true)),
        ]))
        .unwrap();
        assert_eq!(areas.len(), 2);
        assert_eq!(areas[0].rings_closed, 1);
        assert_eq!(areas[1].rings_closed, 0);
        assert_eq!(areas[0].name.as_deref(), Some("甲"));
        let ext = areas[0].shape.0[0].exterior();
        assert_eq!(ext.0.first(), ext.0.last());
        // About 11.3 km × 10.3 km at 22° N.
        let km2 = area_km2(&areas[0].shape);
        assert!((110.0..125.0).contains(&km2), "{km2}");
    }

    #[test]
    fn bad_geometry_is_an_error_naming_the_feature() {
        let bowtie = serde_json::json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]}).to_string();
        let cases = [
            (bowtie, "self-intersect"),
            (
                serde_json::json!({"type": "Polygon", "coordinates": []}).to_string(),
                "empty",
            ),
            (
                serde_json::json!({"type": "MultiPolygon", "coordinates": []}).to_string(),
                "empty",
            ),
            (
                serde_json::json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0]]]})
                    .to_string(),
                "three distinct",
            ),
            (
                serde_json::json!({"type": "Point", "coordinates": [114.0, 22.0]}).to_string(),
                "not an area",
            ),
            (square(200.0, 22.0, 0.1, true), "not a wgs84"),
        ];
        for (g, want) in cases {
            let err = parse_areas(&collection(&[("坏村", g.clone())])).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("坏村") && msg.to_lowercase().contains(want),
                "{g}: {msg}"
            );
        }
        assert!(matches!(parse_areas("{not json"), Err(GeoError::Json(_))));
        let no_geom = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"441900115200001"},"geometry":null}]}"#;
        assert_eq!(
            parse_areas(no_geom).unwrap_err().to_string(),
            "feature 0 (441900115200001): no geometry"
        );
    }

    #[test]
    fn geojson_round_trip() {
        let shape = shape_from_geojson(&square(114.0, 22.0, 0.1, false)).unwrap();
        let text = shape_to_geojson(&shape);
        assert!(
            text.starts_with(r#"{"coordinates":[[[114.0,22.0]"#) || text.contains("\"Polygon\"")
        );
        assert_eq!(shape_from_geojson(&text).unwrap(), shape);
    }

    #[test]
    fn points_are_placed_in_town_village_and_cell() {
        let s = |x, y, d| shape_from_geojson(&square(x, y, d, true)).unwrap();
        let loc = Locator::new(vec![
            (1, NodeKind::Town, s(114.0, 22.0, 1.0)),
            (2, NodeKind::Village, s(114.0, 22.0, 0.5)),
            (3, NodeKind::Grid, s(114.0, 22.0, 0.25)),
            (4, NodeKind::Grid, s(114.25, 22.0, 0.25)),
        ]);
        assert_eq!(
            loc.locate(114.1, 22.1),
            Placed {
                town: Some(1),
                village: Some(2),
                grid: Some(3)
            }
        );
        assert_eq!(
            loc.locate(114.3, 22.1),
            Placed {
                town: Some(1),
                village: Some(2),
                grid: Some(4)
            }
        );
        // On the border of cells 3 and 4: the lower id, every time.
        assert_eq!(loc.locate(114.25, 22.1).grid, Some(3));
        assert_eq!(
            loc.locate(114.9, 22.9),
            Placed {
                town: Some(1),
                village: None,
                grid: None
            }
        );
        assert!(loc.locate(120.0, 30.0).is_outside());
        assert!(loc.locate(f64::NAN, 22.0).is_outside());
        assert_eq!(loc.boxes_at(114.1, 22.1), 3);
        assert_eq!(loc.ids_in_box([114.3, 22.1], [114.4, 22.2]), vec![1, 2, 4]);
    }

    #[test]
    fn grid_codes_have_fifteen_digits() {
        let g = GridCode::new("441900115200", 7).unwrap();
        assert_eq!(g.as_str(), "441900115200007");
        assert_eq!(
            (g.county(), g.town(), g.village(), g.seq()),
            ("441900", "441900115", "441900115200", 7)
        );
        assert_eq!(GridCode::parse("441900115200007").unwrap(), g);
        assert!(GridCode::parse("44190011520000").is_err());
        assert!(GridCode::parse("441900115200000").is_err());
        assert!(GridCode::parse("44190011520000x").is_err());
        assert!(GridCode::new("4419001152", 1).is_err());
        assert!(GridCode::new("441900115200", 1000).is_err());
    }

    #[test]
    fn cells_are_numbered_north_to_south_then_west_to_east() {
        // Two rows: the northern row first, west to east.
        let centres = [
            (114.2, 22.80),
            (114.1, 22.90),
            (114.3, 22.90),
            (114.1, 22.80),
        ];
        assert_eq!(number_cells(&centres, 0.05), vec![4, 1, 2, 3]);
    }

    #[test]
    fn gcj02_round_trip_and_offset() {
        let (lon, lat) = (114.17, 22.83);
        let (gx, gy) = wgs84_to_gcj02(lon, lat);
        // The offset in Guangdong is a few hundred metres.
        let metres = ((gx - lon) * 102_000.0).hypot((gy - lat) * 111_000.0);
        assert!((200.0..800.0).contains(&metres), "{metres}");
        let (bx, by) = gcj02_to_wgs84(gx, gy);
        assert!((bx - lon).abs() < 1e-7 && (by - lat).abs() < 1e-7);
        assert_eq!(gcj02_to_wgs84(2.35, 48.85), (2.35, 48.85));
    }
}
