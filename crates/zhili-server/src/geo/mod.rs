//! Geography service (地理): import and export of town, village and grid-cell polygons as
//! GeoJSON, and placing a point in its grid cell, village and town. The rules (checking and
//! repairing geometry, grid codes, cell numbering) are in `zhili_domain::geo`.

pub mod api;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use utoipa::ToSchema;
use zhili_domain::geo::{
    GridCode, Locator, Placed, parse_areas, shape_from_geojson, shape_to_geojson,
};
use zhili_domain::org::NodeKind;
use zhili_store::{NewNode, NodeRow, Store};

use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// How long a server trusts its spatial index before reading the nodes again (changes made
/// through this server rebuild it at once; this bounds how stale another server's can be).
const LOCATOR_TTL: Duration = Duration::from_secs(60);

/// The cached spatial index.
#[derive(Default)]
pub struct LocatorCache(std::sync::RwLock<Option<(Instant, Arc<Locator>)>>);

impl std::fmt::Debug for LocatorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocatorCache")
    }
}

/// What an import did with one feature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportedArea {
    /// Position of the feature in the file, from 0.
    pub feature: usize,
    pub node_id: i64,
    pub code: String,
    pub name: String,
    /// `created` or `updated`.
    pub action: &'static str,
    pub area_km2: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// Rings that were not closed in the file and were closed.
    pub rings_closed: usize,
    /// Holes of no area that were left out.
    pub holes_dropped: usize,
    pub areas: Vec<ImportedArea>,
}

/// Options of an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The kind of node every feature is: town, village or grid.
    pub level: NodeKind,
    /// The node the areas belong under (the city for towns; required for villages and cells).
    pub parent_id: Option<i64>,
    /// The geometry is made up (demo) rather than surveyed.
    pub synthetic: bool,
}

impl<S: Store> App<S> {
    /// The spatial index of every node with a geometry.
    pub async fn locator(&self) -> AppResult<Arc<Locator>> {
        if let Some((at, l)) = self.locator_cache.0.read().expect("locator cache").as_ref()
            && at.elapsed() < LOCATOR_TTL
        {
            return Ok(l.clone());
        }
        let nodes = self.store.list_nodes().await?;
        let areas = nodes.iter().filter_map(|n| {
            let g = n.geometry.as_deref()?;
            match shape_from_geojson(g) {
                Ok(s) => Some((n.id, n.kind, s)),
                Err(e) => {
                    tracing::warn!("org node {} ({}) has a bad geometry: {e}", n.id, n.code);
                    None
                }
            }
        });
        let l = Arc::new(Locator::new(areas));
        *self.locator_cache.0.write().expect("locator cache") = Some((Instant::now(), l.clone()));
        Ok(l)
    }

    fn forget_locator(&self) {
        *self.locator_cache.0.write().expect("locator cache") = None;
    }

    /// Where a point lies: its town, village and grid cell (all absent outside every area).
    pub async fn locate(&self, lon: f64, lat: f64) -> AppResult<Placed> {
        if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
            return Err(AppError::invalid(
                "lon",
                "longitude must be between -180 and 180",
            ));
        }
        if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
            return Err(AppError::invalid(
                "lat",
                "latitude must be between -90 and 90",
            ));
        }
        Ok(self.locator().await?.locate(lon, lat))
    }

    /// Import areas from a GeoJSON text: every feature is checked first (a bad one rejects the
    /// whole file, naming the feature); then each feature updates the node with its code (or,
    /// without a code, the node of that name under the parent) or creates one. Towns without a
    /// code take their official code from `data/geo/admin-codes.csv`; grid cells without a
    /// code are numbered north to south, west to east after the village's existing cells.
    pub async fn import_geojson(
        &self,
        who: &Principal,
        text: &str,
        opts: &ImportOptions,
    ) -> AppResult<ImportReport> {
        who.require_admin()?;
        if !matches!(
            opts.level,
            NodeKind::Town | NodeKind::Village | NodeKind::Grid
        ) {
            return Err(AppError::invalid(
                "level",
                "import towns, villages or grid cells",
            ));
        }
        let areas = parse_areas(text).map_err(|e| AppError::invalid("geojson", e.to_string()))?;
        if areas.is_empty() {
            return Err(AppError::invalid("geojson", "the file has no features"));
        }
        let nodes = self.store.list_nodes().await?;
        let parent = match opts.parent_id {
            Some(id) => Some(
                nodes
                    .iter()
                    .find(|n| n.id == id)
                    .ok_or_else(|| AppError::invalid("parent_id", "no such org node"))?
                    .clone(),
            ),
            None if opts.level == NodeKind::Town => {
                nodes.iter().find(|n| n.kind == NodeKind::City).cloned()
            }
            None => None,
        };
        if let Some(p) = &parent
            && p.kind.child() != Some(opts.level)
        {
            return Err(AppError::invalid(
                "parent_id",
                format!(
                    "a {} cannot hold a {}",
                    p.kind.as_str(),
                    opts.level.as_str()
                ),
            ));
        }
        let admin_codes = zhili_domain::builtin::admin_codes();
        // Decide every feature's node before writing anything.
        enum Target {
            Update(NodeRow),
            Create {
                code: Option<String>,
                name: Option<String>,
            },
        }
        let mut plans = Vec::with_capacity(areas.len());
        for a in &areas {
            let fail = |m: String| {
                AppError::invalid(
                    "geojson",
                    format!(
                        "feature {} ({}): {m}",
                        a.index,
                        a.name.clone().or(a.code.clone()).unwrap_or_default()
                    ),
                )
            };
            // A town known by name only takes its official code.
            let known = a.code.clone().or_else(|| {
                let name = a.name.as_deref()?;
                (opts.level == NodeKind::Town)
                    .then(|| {
                        admin_codes
                            .iter()
                            .find(|(_, n)| *n == name)
                            .map(|(c, _)| c.to_string())
                    })
                    .flatten()
            });
            let existing = match (&known, &a.name) {
                (Some(code), _) => nodes.iter().find(|n| &n.code == code),
                (None, Some(name)) => nodes.iter().find(|n| {
                    n.kind == opts.level
                        && &n.name == name
                        && parent.as_ref().is_none_or(|p| n.parent_id == Some(p.id))
                }),
                (None, None) if opts.level != NodeKind::Grid => {
                    return Err(fail("a feature needs a code or a name".into()));
                }
                (None, None) => None,
            };
            let target = match existing {
                Some(n) if n.kind != opts.level => {
                    return Err(fail(format!(
                        "node {} is a {}, not a {}",
                        n.code,
                        n.kind.as_str(),
                        opts.level.as_str()
                    )));
                }
                Some(n) => Target::Update(n.clone()),
                None => {
                    if parent.is_none() {
                        return Err(AppError::invalid(
                            "parent_id",
                            "give the node the new areas belong under",
                        ));
                    }
                    let name = a.name.clone().or(a.code.clone());
                    let code = known;
                    match (&code, opts.level) {
                        (Some(c), NodeKind::Grid) => {
                            GridCode::parse(c).map_err(fail)?;
                        }
                        (None, NodeKind::Grid) => {}
                        (None, _) => {
                            return Err(fail("no code, and none is known for this name".into()));
                        }
                        _ => {}
                    }
                    Target::Create { code, name }
                }
            };
            plans.push(target);
        }
        // Number new cells that came without a code.
        let mut numbers = vec![None; areas.len()];
        if opts.level == NodeKind::Grid
            && let Some(p) = &parent
        {
            let uncoded: Vec<usize> = plans
                .iter()
                .enumerate()
                .filter(|(_, t)| matches!(t, Target::Create { code: None, .. }))
                .map(|(i, _)| i)
                .collect();
            if !uncoded.is_empty() {
                let used = nodes
                    .iter()
                    .filter(|n| n.parent_id == Some(p.id))
                    .filter_map(|n| GridCode::parse(&n.code).ok().map(|g| g.seq()))
                    .max()
                    .unwrap_or(0);
                use geo::Centroid;
                let centres: Vec<(f64, f64)> = uncoded
                    .iter()
                    .map(|&i| {
                        areas[i]
                            .shape
                            .centroid()
                            .map(|c| (c.x(), c.y()))
                            .unwrap_or_default()
                    })
                    .collect();
                for (k, n) in zhili_domain::geo::number_cells(&centres, 0.0009)
                    .into_iter()
                    .enumerate()
                {
                    let code = GridCode::new(&p.code, used + n)
                        .map_err(|e| AppError::invalid("parent_id", e))?;
                    numbers[uncoded[k]] = Some(code.as_str().to_string());
                }
            }
        }
        let now = self.now();
        let mut report = ImportReport {
            created: 0,
            updated: 0,
            rings_closed: areas.iter().map(|a| a.rings_closed).sum(),
            holes_dropped: areas.iter().map(|a| a.holes_dropped).sum(),
            areas: Vec::new(),
        };
        for ((a, plan), number) in areas.iter().zip(plans).zip(numbers) {
            let geometry = shape_to_geojson(&a.shape);
            let (node, action) = match plan {
                Target::Update(n) => {
                    let n = self
                        .store
                        .set_node_geometry(
                            n.id,
                            Some(geometry),
                            opts.synthetic,
                            Some(who.user.id),
                            now,
                        )
                        .await?;
                    report.updated += 1;
                    (n, "updated")
                }
                Target::Create { code, name } => {
                    let code = code.or(number).unwrap_or_default();
                    // An unnamed cell is called after its village and number (罗马村003号网格).
                    let name = name.unwrap_or_else(|| match (GridCode::parse(&code), &parent) {
                        (Ok(g), Some(p)) => format!("{}{:03}号网格", p.name, g.seq()),
                        _ => code.clone(),
                    });
                    let n = self
                        .store
                        .create_node(NewNode {
                            parent_id: parent.as_ref().map(|p| p.id),
                            kind: opts.level,
                            code,
                            name,
                            geometry: Some(geometry),
                            synthetic: opts.synthetic,
                            at: now,
                        })
                        .await?;
                    report.created += 1;
                    (n, "created")
                }
            };
            report.areas.push(ImportedArea {
                feature: a.index,
                node_id: node.id,
                code: node.code,
                name: node.name,
                action,
                area_km2: (zhili_domain::geo::area_km2(&a.shape) * 1000.0).round() / 1000.0,
            });
        }
        self.forget_locator();
        Ok(report)
    }

    /// The nodes of a kind (under a parent, if given) with their geometry, as a GeoJSON
    /// FeatureCollection.
    pub async fn export_geojson(
        &self,
        kind: NodeKind,
        parent_id: Option<i64>,
    ) -> AppResult<serde_json::Value> {
        let nodes = self.store.list_nodes().await?;
        let parent_path = match parent_id {
            Some(id) => Some(
                nodes
                    .iter()
                    .find(|n| n.id == id)
                    .ok_or_else(|| AppError::invalid("parent_id", "no such org node"))?
                    .path
                    .clone(),
            ),
            None => None,
        };
        let features: Vec<serde_json::Value> = nodes
            .iter()
            .filter(|n| {
                n.kind == kind
                    && parent_path
                        .as_ref()
                        .is_none_or(|p| n.path.starts_with(p.as_str()))
            })
            .filter_map(|n| {
                let g: serde_json::Value = serde_json::from_str(n.geometry.as_deref()?).ok()?;
                Some(serde_json::json!({
                    "type": "Feature",
                    "id": n.id,
                    "geometry": g,
                    "properties": {
                        "id": n.id, "code": n.code, "name": n.name, "kind": n.kind.as_str(),
                        "parent_id": n.parent_id, "synthetic": n.synthetic,
                    },
                }))
            })
            .collect();
        Ok(serde_json::json!({"type": "FeatureCollection", "features": features}))
    }
}
