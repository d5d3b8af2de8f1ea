//! `/api/v1/cases/{id}/lead` (领导包案), `/api/v1/cases/{id}/ledger` (挂牌销号), the leaders'
//! lists and the ledger.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhili_domain::oversight::Criterion;
use zhili_store::{CaseRow, Store};

use super::{
    CriterionRequest, DeadlineRequest, DelistRequest, LeadReportRequest, LeadRequest, ListRequest,
    Oversight, oversight_of,
};
use crate::App;
use crate::auth::Principal;
use crate::cases::CaseView;
use crate::error::AppResult;
use crate::extract::{ApiJson, ApiQuery, empty_as_none};

/// A case with its oversight.
#[derive(Serialize, ToSchema)]
pub struct OverseenCase {
    pub case: CaseView,
    #[serde(flatten)]
    pub oversight: Oversight,
    /// Past its 包案 or ledger deadline and not yet reported / taken off.
    pub overdue: bool,
}

fn view<S: Store>(app: &App<S>, c: &CaseRow) -> OverseenCase {
    let o = oversight_of(c);
    let now = app.now();
    let lead_late = o
        .lead
        .as_ref()
        .is_some_and(|l| l.reported_at.is_none() && l.due_at < now);
    let ledger_late = o
        .ledger
        .as_ref()
        .is_some_and(|l| l.delisted_at.is_none() && l.due_at < now);
    OverseenCase {
        case: crate::cases::api::case_view(app, c),
        overdue: lead_late || ledger_late,
        oversight: o,
    }
}

macro_rules! action {
    ($name:ident, $path:literal, $req:ty, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "oversight", params(("id" = i64, Path)), request_body = $req,
            responses((status = 200, body = OverseenCase), (status = 403, body = crate::error::ErrorBody),
                (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
            security(("bearer" = [])))]
        pub async fn $name<S: Store>(
            State(app): State<App<S>>,
            who: Principal,
            Path(id): Path<i64>,
            ApiJson(req): ApiJson<$req>,
        ) -> AppResult<Json<OverseenCase>> {
            let c = app.$method(&who, id, req).await?;
            Ok(Json(view(&app, &c)))
        }
    };
}

action!(
    post_lead,
    "/api/v1/cases/{id}/lead",
    LeadRequest,
    assign_lead,
    "领导包案: put a leader in personal charge with a written plan and a deadline (a leader, petition officer or admin)."
);
action!(
    post_lead_report,
    "/api/v1/cases/{id}/lead/report",
    LeadReportRequest,
    report_lead,
    "The leader in charge hands in the closure report."
);
action!(
    post_lead_deadline,
    "/api/v1/cases/{id}/lead/deadline",
    DeadlineRequest,
    extend_lead,
    "A later 包案 deadline, with the consent of another leader or an admin and a reason."
);
action!(
    post_ledger,
    "/api/v1/cases/{id}/ledger",
    ListRequest,
    list_on_ledger,
    "挂牌: put a case on the tag-and-close ledger with its owning department and a deadline."
);
action!(
    post_criterion,
    "/api/v1/cases/{id}/ledger/criteria",
    CriterionRequest,
    meet_criterion,
    "One closure criterion met (the owning department, a petition officer or a leader)."
);
action!(
    post_delist,
    "/api/v1/cases/{id}/ledger/delist",
    DelistRequest,
    delist,
    "销号: take the case off the ledger once every criterion is met; the caller verifies it."
);

/// A case's oversight.
#[utoipa::path(get, path = "/api/v1/cases/{id}/oversight", tag = "oversight", params(("id" = i64, Path)),
    responses((status = 200, body = OverseenCase), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_oversight<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<OverseenCase>> {
    let c = app.case_for(&who, id).await?;
    Ok(Json(view(&app, &c)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadsQuery {
    /// The leader; default the caller.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub leader_id: Option<i64>,
}

/// A leader's 包案 list: open ones first, the most overdue first.
#[utoipa::path(get, path = "/api/v1/leads", tag = "oversight", params(LeadsQuery),
    responses((status = 200, body = [OverseenCase])), security(("bearer" = [])))]
pub async fn list_leads<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<LeadsQuery>,
) -> AppResult<Json<Vec<OverseenCase>>> {
    let rows = app
        .leads_of(&who, q.leader_id.unwrap_or(who.user.id))
        .await?;
    Ok(Json(rows.iter().map(|c| view(&app, c)).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// `true`: with the cases taken off (销号) too.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub all: Option<bool>,
}

/// The tag-and-close ledger (挂牌销号台账), by deadline.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "oversight", params(LedgerQuery),
    responses((status = 200, body = [OverseenCase])), security(("bearer" = [])))]
pub async fn list_ledger<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> AppResult<Json<Vec<OverseenCase>>> {
    let rows = app.ledger(&who, q.all.unwrap_or(false)).await?;
    Ok(Json(rows.iter().map(|c| view(&app, c)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct MechanismsView {
    pub first_receiver: bool,
    pub leader_ownership: bool,
    pub ledger_criteria: Vec<CriterionView>,
}

#[derive(Serialize, ToSchema)]
pub struct CriterionView {
    pub id: String,
    pub label: String,
}

impl From<&Criterion> for CriterionView {
    fn from(c: &Criterion) -> Self {
        CriterionView {
            id: c.id.clone(),
            label: c.label.clone(),
        }
    }
}

/// The local working mechanisms this deployment runs (`mechanisms_file`).
#[utoipa::path(get, path = "/api/v1/mechanisms", tag = "oversight",
    responses((status = 200, body = MechanismsView)), security(("bearer" = [])))]
pub async fn mechanisms<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> Json<MechanismsView> {
    let m = &app.mechanisms;
    Json(MechanismsView {
        first_receiver: m.first_receiver,
        leader_ownership: m.leader_ownership,
        ledger_criteria: m.ledger_criteria.iter().map(CriterionView::from).collect(),
    })
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/cases/{id}/oversight", get(get_oversight::<S>))
        .route("/api/v1/cases/{id}/lead", post(post_lead::<S>))
        .route(
            "/api/v1/cases/{id}/lead/report",
            post(post_lead_report::<S>),
        )
        .route(
            "/api/v1/cases/{id}/lead/deadline",
            post(post_lead_deadline::<S>),
        )
        .route("/api/v1/cases/{id}/ledger", post(post_ledger::<S>))
        .route(
            "/api/v1/cases/{id}/ledger/criteria",
            post(post_criterion::<S>),
        )
        .route("/api/v1/cases/{id}/ledger/delist", post(post_delist::<S>))
        .route("/api/v1/leads", get(list_leads::<S>))
        .route("/api/v1/ledger", get(list_ledger::<S>))
        .route("/api/v1/mechanisms", get(mechanisms::<S>))
}
