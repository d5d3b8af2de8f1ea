//! `/api/v1/urban/taxonomy`: the component and event classes in use.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;
use zhili_domain::urban::taxonomy::{Stage, format_span};
use zhili_store::Store;

use crate::App;
use crate::auth::Principal;
use crate::error::AppResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct StageLimit {
    /// verify, register, dispatch, handle, check
    pub stage: &'static str,
    /// 核实, 立案, 派遣, 处置, 核查
    pub stage_name: &'static str,
    pub amount: u32,
    /// calendar_day, working_day, working_hour, clock_hour
    pub unit: &'static str,
    /// e.g. 4工作时
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubclassView {
    /// The category key a case stores: `event:0102`.
    pub key: String,
    /// component or event
    pub kind: &'static str,
    pub major_code: String,
    pub major_name: String,
    pub code: String,
    pub name: String,
    /// confirmed, single_source or local
    pub confidence: String,
    pub departments: Vec<String>,
    pub limits: Vec<StageLimit>,
    /// The local table the handling limit comes from, or `default`.
    pub limits_source: String,
    /// True when the limits are unconfirmed defaults.
    pub limits_unconfirmed: bool,
    pub dup_radius_m: u32,
    pub dup_window_h: u32,
}

/// Every 部件 and 事件 subclass in use, with owning departments and stage time limits.
#[utoipa::path(get, path = "/api/v1/urban/taxonomy", tag = "urban",
    responses((status = 200, body = Vec<SubclassView>)), security(("bearer" = [])))]
pub async fn taxonomy<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> AppResult<Json<Vec<SubclassView>>> {
    Ok(Json(
        app.taxonomy
            .subclasses
            .iter()
            .map(|s| SubclassView {
                key: s.key(),
                kind: s.kind.as_str(),
                major_code: s.major_code.clone(),
                major_name: s.major_name.clone(),
                code: s.code.clone(),
                name: s.name.clone(),
                confidence: serde_json::to_value(s.confidence)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                departments: s.departments.clone(),
                limits: Stage::ALL
                    .iter()
                    .map(|st| {
                        let span = s.limits[st];
                        StageLimit {
                            stage: st.as_str(),
                            stage_name: st.label_zh(),
                            amount: span.amount,
                            unit: span.unit.as_str(),
                            label: format_span(span),
                        }
                    })
                    .collect(),
                limits_source: s.limits_source.clone(),
                limits_unconfirmed: s.limits_unconfirmed(),
                dup_radius_m: s.dup_radius_m,
                dup_window_h: s.dup_window_h,
            })
            .collect(),
    ))
}

/// The taxonomy in use as a CSV table (the format `taxonomy_file` takes).
#[utoipa::path(get, path = "/api/v1/urban/taxonomy.csv", tag = "urban",
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = [])))]
pub async fn taxonomy_csv<S: Store>(State(app): State<App<S>>, _who: Principal) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        app.taxonomy.to_csv(),
    )
        .into_response()
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/urban/taxonomy", get(taxonomy::<S>))
        .route("/api/v1/urban/taxonomy.csv", get(taxonomy_csv::<S>))
}
