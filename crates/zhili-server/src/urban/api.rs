//! `/api/v1/urban/taxonomy`: the component and event classes in use.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;
use zhili_domain::urban::taxonomy::{Stage, Subclass, format_span};
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

impl SubclassView {
    pub fn of(s: &Subclass) -> SubclassView {
        SubclassView {
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
        }
    }
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
            .map(SubclassView::of)
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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    /// The subclass key, e.g. `event:0102`.
    pub category: String,
    pub lon: f64,
    pub lat: f64,
    /// What the new report says.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateView {
    pub case: crate::cases::CaseView,
    pub distance_m: f64,
    pub hours_apart: f64,
    /// Share of words in common, 0–1.
    pub text_similarity: f64,
    /// 0–1, best first.
    pub score: f64,
}

/// Likely duplicates (疑似重复) of a report about to be made: earlier reports of the same
/// subclass within its radius and time window, best first.
#[utoipa::path(get, path = "/api/v1/urban/duplicates", tag = "urban", params(DuplicatesQuery),
    responses((status = 200, body = Vec<DuplicateView>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn duplicates<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<DuplicatesQuery>,
) -> AppResult<Json<Vec<DuplicateView>>> {
    let found = app
        .likely_duplicates(&who, &q.category, q.lon, q.lat, &q.text)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(c, row)| DuplicateView {
                case: crate::cases::api::case_view(&app, &row),
                distance_m: c.distance_m,
                hours_apart: c.hours_apart,
                text_similarity: c.text_similarity,
                score: c.score,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DispatchSuggestion {
    /// The case's subclass (absent for a category not in the taxonomy).
    pub subclass: Option<SubclassView>,
    /// The owning department a 派遣 goes to unless another is chosen.
    pub department: Option<DepartmentRef>,
}

/// Where an urban case goes by default (派遣建议): its subclass's first owning department,
/// preferring one of the case's town. A 派遣 without `department_id` goes there.
#[utoipa::path(get, path = "/api/v1/urban/cases/{id}/suggestion", tag = "urban",
    params(("id" = i64, Path)),
    responses((status = 200, body = DispatchSuggestion), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn suggestion<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> AppResult<Json<DispatchSuggestion>> {
    let case = app.case_for(&who, id).await?;
    let sub = app.urban_subclass(&case.kind, case.category.as_deref());
    let department = match sub {
        Some(s) => {
            let path = app.node_ref(case.node_id).await?.path;
            app.suggested_department(&s.key(), &path).await?
        }
        None => None,
    };
    Ok(Json(DispatchSuggestion {
        subclass: sub.map(SubclassView::of),
        department: department.map(|d| DepartmentRef {
            id: d.id,
            code: d.code,
            name: d.name,
        }),
    }))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/urban/duplicates", get(duplicates::<S>))
        .route("/api/v1/urban/cases/{id}/suggestion", get(suggestion::<S>))
        .route("/api/v1/urban/taxonomy", get(taxonomy::<S>))
        .route("/api/v1/urban/taxonomy.csv", get(taxonomy_csv::<S>))
}
