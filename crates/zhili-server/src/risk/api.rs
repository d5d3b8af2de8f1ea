//! `/api/v1/risks`: the risk register (风险隐患台账), grading and escalation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhili_store::{CaseFilter, CaseRow, Store};

use super::{GradeRequest, GradeView, RiskRequest};
use crate::App;
use crate::auth::Principal;
use crate::cases::CaseView;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, empty_as_none};

/// A risk in the register.
#[derive(Serialize, ToSchema)]
pub struct RiskView {
    pub case: CaseView,
    pub grade: Option<GradeView>,
    pub category_label: String,
    pub people_involved: i64,
    /// The most serious grade and no leader in charge yet (待领导包保).
    pub needs_leader: bool,
    /// The leader in charge (包保领导), if any.
    pub leader_name: Option<String>,
    /// Times the grade rose (升级).
    pub escalations: usize,
}

pub fn risk_view<S: Store>(app: &App<S>, c: &CaseRow) -> RiskView {
    let grades = c.details.get("grades").and_then(|g| g.as_array());
    let ranks: Vec<u32> = grades
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("grade").and_then(|v| v.as_str()))
        .filter_map(|g| app.mechanisms.grade(g).map(|x| x.rank))
        .collect();
    RiskView {
        case: crate::cases::api::case_view(app, c),
        grade: app.risk_grade(c).map(GradeView::from),
        category_label: c
            .category
            .as_deref()
            .and_then(zhili_domain::risk::category_label)
            .unwrap_or("—")
            .to_string(),
        people_involved: c
            .details
            .get("people_involved")
            .and_then(|v| v.as_i64())
            .unwrap_or(0),
        needs_leader: c
            .details
            .get("needs_leader")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        leader_name: crate::oversight::oversight_of(c)
            .lead
            .filter(|l| l.reported_at.is_none())
            .map(|l| l.leader_name),
        escalations: ranks.windows(2).filter(|w| w[1] > w[0]).count(),
    }
}

/// Register a risk or an unstable event (排查登记).
#[utoipa::path(post, path = "/api/v1/risks", tag = "risks", request_body = RiskRequest,
    responses((status = 201, body = RiskView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_risk<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<RiskRequest>,
) -> AppResult<(StatusCode, Json<RiskView>)> {
    let c = app.register_risk(&who, req).await?;
    Ok((StatusCode::CREATED, Json(risk_view(&app, &c))))
}

/// A new grade (研判): a rise is an escalation (升级).
#[utoipa::path(post, path = "/api/v1/risks/{id}/grade", tag = "risks", params(("id" = i64, Path)),
    request_body = GradeRequest,
    responses((status = 200, body = RiskView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_grade<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<GradeRequest>,
) -> AppResult<Json<RiskView>> {
    let c = app.regrade_risk(&who, id, req).await?;
    Ok(Json(risk_view(&app, &c)))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RiskQuery {
    /// `risk` (default) or `unstable_event`.
    pub kind: Option<String>,
    /// Only this grade.
    pub grade: Option<String>,
    /// `true`: open ones only; `false`: ended ones.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub open: Option<bool>,
}

/// The register, the most serious and escalated first.
#[utoipa::path(get, path = "/api/v1/risks", tag = "risks", params(RiskQuery),
    responses((status = 200, body = [RiskView]), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_risks<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<RiskQuery>,
) -> AppResult<Json<Vec<RiskView>>> {
    Ok(Json(app.risk_register(&who, &q).await?))
}

impl<S: Store> App<S> {
    pub async fn risk_register(&self, who: &Principal, q: &RiskQuery) -> AppResult<Vec<RiskView>> {
        let kind = q
            .kind
            .clone()
            .unwrap_or_else(|| zhili_domain::risk::KIND.into());
        if kind != zhili_domain::risk::KIND && kind != zhili_domain::risk::EVENT_KIND {
            return Err(AppError::invalid("kind", "risk or unstable_event"));
        }
        if let Some(g) = q.grade.as_deref().filter(|g| !g.is_empty())
            && self.mechanisms.grade(g).is_none()
        {
            return Err(AppError::invalid("grade", format!("unknown grade `{g}`")));
        }
        let rows = self
            .store
            .list_cases(&CaseFilter {
                visibility: who.visibility(),
                kind: Some(kind),
                open: q.open,
                limit: 1000,
                ..Default::default()
            })
            .await?;
        let mut out: Vec<RiskView> = rows
            .iter()
            .map(|c| risk_view(self, c))
            .filter(|v| match q.grade.as_deref().filter(|g| !g.is_empty()) {
                Some(g) => v.grade.as_ref().is_some_and(|x| x.id == g),
                None => true,
            })
            .collect();
        out.sort_by_key(|v| {
            (
                v.case.closed_at.is_some()
                    || v.case.state == "cancelled"
                    || v.case.state == "transferred",
                !v.needs_leader,
                std::cmp::Reverse(v.grade.as_ref().map_or(0, |g| g.rank)),
                std::cmp::Reverse(v.escalations),
                v.case.id,
            )
        });
        Ok(out)
    }
}

/// The deployment's grading scheme (风险分级).
#[utoipa::path(get, path = "/api/v1/risks/grades", tag = "risks",
    responses((status = 200, body = [GradeView])), security(("bearer" = [])))]
pub async fn grades<S: Store>(State(app): State<App<S>>, _who: Principal) -> Json<Vec<GradeView>> {
    Json(
        app.mechanisms
            .risk_grades
            .iter()
            .map(GradeView::from)
            .collect(),
    )
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/risks", get(list_risks::<S>).post(post_risk::<S>))
        .route("/api/v1/risks/grades", get(grades::<S>))
        .route("/api/v1/risks/{id}/grade", post(post_grade::<S>))
}
