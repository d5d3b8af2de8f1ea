//! `/api/v1/indicators`

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use zhili_store::Store;

use super::{IndicatorDefView, IndicatorQuery, IndicatorReport};
use crate::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::extract::ApiQuery;

/// Indicators for a period, optionally grouped by node, department, category, kind or month.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", params(IndicatorQuery),
    responses((status = 200, body = IndicatorReport), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn indicators<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> AppResult<Json<IndicatorReport>> {
    Ok(Json(app.indicators(&who, &q).await?))
}

/// The indicator definitions (named, versioned formulas).
#[utoipa::path(get, path = "/api/v1/indicators/definitions", tag = "indicators", responses((status = 200, body = Vec<IndicatorDefView>)))]
pub async fn definitions<S: Store>(State(app): State<App<S>>) -> Json<Vec<IndicatorDefView>> {
    Json(super::definitions(&app.indicator_defs))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/indicators", get(indicators::<S>))
        .route("/api/v1/indicators/definitions", get(definitions::<S>))
}
