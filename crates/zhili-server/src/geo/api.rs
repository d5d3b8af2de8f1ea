//! `/api/v1/geo/…`: import and export areas as GeoJSON, and place a point.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhili_domain::org::NodeKind;
use zhili_store::Store;

use super::{ImportOptions, ImportReport};
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::ApiQuery;

fn kind_param(field: &str, s: &str) -> AppResult<NodeKind> {
    s.parse().map_err(|e: String| AppError::invalid(field, e))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// town, village or grid
    pub level: String,
    /// The node the areas belong under (default for towns: the city).
    pub parent_id: Option<i64>,
    /// The geometry is made up rather than surveyed.
    #[serde(default)]
    pub synthetic: bool,
}

/// Import town, village or grid-cell polygons (administrators). The body is a GeoJSON
/// FeatureCollection (RFC 7946, WGS84); unclosed rings are closed, and a feature with bad
/// geometry rejects the file with an error naming it.
#[utoipa::path(post, path = "/api/v1/geo/import", tag = "geo", params(ImportQuery),
    request_body(content = String, content_type = "application/geo+json"),
    responses((status = 200, body = ImportReport), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: String,
) -> AppResult<Json<ImportReport>> {
    let opts = ImportOptions {
        level: kind_param("level", &q.level)?,
        parent_id: q.parent_id,
        synthetic: q.synthetic,
    };
    Ok(Json(app.import_geojson(&who, &body, &opts).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// town, village or grid
    pub kind: String,
    /// Only the areas under this node.
    pub parent_id: Option<i64>,
}

/// The areas of a kind as a GeoJSON FeatureCollection (WGS84).
#[utoipa::path(get, path = "/api/v1/geo/areas", tag = "geo", params(ExportQuery),
    responses((status = 200, content_type = "application/geo+json", body = Object)),
    security(("bearer" = [])))]
pub async fn areas<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let fc = app
        .export_geojson(kind_param("kind", &q.kind)?, q.parent_id)
        .await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/geo+json")],
        fc.to_string(),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    /// WGS84 longitude
    pub lon: f64,
    /// WGS84 latitude
    pub lat: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaBrief {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Location {
    /// True when the point is in no town, village or cell.
    pub outside: bool,
    pub town: Option<AreaBrief>,
    pub village: Option<AreaBrief>,
    pub grid: Option<AreaBrief>,
}

/// The town, village and grid cell of a point (WGS84).
#[utoipa::path(get, path = "/api/v1/geo/locate", tag = "geo", params(LocateQuery),
    responses((status = 200, body = Location), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn locate<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> AppResult<Json<Location>> {
    let placed = app.locate(q.lon, q.lat).await?;
    let brief = |id: Option<i64>| {
        let app = app.clone();
        async move {
            match id {
                Some(id) => {
                    let n = app.store.get_node(id).await?;
                    Ok::<_, AppError>(Some(AreaBrief {
                        id,
                        code: n.code,
                        name: n.name,
                    }))
                }
                None => Ok(None),
            }
        }
    };
    Ok(Json(Location {
        outside: placed.is_outside(),
        town: brief(placed.town).await?,
        village: brief(placed.village).await?,
        grid: brief(placed.grid).await?,
    }))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/geo/import", post(import::<S>))
        .route("/api/v1/geo/areas", get(areas::<S>))
        .route("/api/v1/geo/locate", get(locate::<S>))
}
