//! `/api/v1/mediation`: committees, mediators, the subsidy table and the payment ledger; the
//! subsidy of a case.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;
use zhili_store::{CommitteeRow, MediatorRow, Store};

use super::{
    CommitteeRequest, KINDS, MediationFacts, MediationRequest, PaidRequest, PersonInput,
    SubsidyRequest, SubsidyRow,
};
use crate::App;
use crate::auth::Principal;
use crate::cases::api::{CaseDetail, detail};
use crate::error::AppResult;
use crate::extract::ApiJson;

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub user_id: Option<i64>,
    /// 委员 (member) or 备案调解员 (registered mediator)
    pub is_member: bool,
    pub is_chair: bool,
}

impl From<&MediatorRow> for PersonView {
    fn from(m: &MediatorRow) -> Self {
        PersonView {
            id: m.id,
            name: m.name.clone(),
            gender: m.gender.clone(),
            user_id: m.user_id,
            is_member: m.is_member,
            is_chair: m.is_chair,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommitteeView {
    pub id: i64,
    /// The committee's department: its cases and figures go by it.
    pub department_id: i64,
    pub node_id: i64,
    pub name: String,
    pub term_start: String,
    pub term_end: String,
    pub people: Vec<PersonView>,
}

impl From<&CommitteeRow> for CommitteeView {
    fn from(c: &CommitteeRow) -> Self {
        CommitteeView {
            id: c.id,
            department_id: c.department.id,
            node_id: c.department.node_id,
            name: c.department.name.clone(),
            term_start: c.term_start.clone(),
            term_end: c.term_end.clone(),
            people: c.people.iter().map(PersonView::from).collect(),
        }
    }
}

/// A mediation case with what the mediation module keeps beside it.
#[derive(Serialize, ToSchema)]
pub struct MediationDetail {
    #[serde(flatten)]
    pub detail: CaseDetail,
    #[serde(flatten)]
    pub facts: MediationFacts,
}

async fn mediation_detail<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &zhili_store::CaseRow,
) -> AppResult<MediationDetail> {
    Ok(MediationDetail {
        facts: app.mediation_facts(who, c).await?,
        detail: detail(app, who, c).await?,
    })
}

/// Register a dispute for mediation (登记): how it started (当事人申请 or 调委会主动调解, 第17条),
/// the parties on both sides (encrypted, masked), the committee.
#[utoipa::path(post, path = "/api/v1/mediations", tag = "mediation", request_body = MediationRequest,
    responses((status = 201, body = MediationDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_mediation<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<MediationRequest>,
) -> AppResult<(StatusCode, Json<MediationDetail>)> {
    let c = app.register_mediation(&who, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(mediation_detail(&app, &who, &c).await?),
    ))
}

/// One mediation case (人民调解, 诉前联调 or 劳动争议仲裁).
#[utoipa::path(get, path = "/api/v1/mediations/{id}", tag = "mediation", params(("id" = i64, Path)),
    responses((status = 200, body = MediationDetail), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_mediation<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<MediationDetail>> {
    let c = app.case_for(&who, id).await?;
    if !KINDS.contains(&c.kind.as_str()) {
        return Err(crate::error::AppError::not_found("mediation"));
    }
    Ok(Json(mediation_detail(&app, &who, &c).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub id: &'static str,
    pub label: &'static str,
}

/// The kinds of dispute (纠纷类型).
#[utoipa::path(get, path = "/api/v1/mediation/categories", tag = "mediation",
    responses((status = 200, body = [CategoryView])), security(("bearer" = [])))]
pub async fn categories<S: Store>(
    State(_app): State<App<S>>,
    _who: Principal,
) -> Json<Vec<CategoryView>> {
    Json(
        zhili_domain::mediation::CATEGORIES
            .iter()
            .map(|(id, label)| CategoryView { id, label })
            .collect(),
    )
}

/// Set up a people's mediation committee (admin or leader over the place).
#[utoipa::path(post, path = "/api/v1/mediation/committees", tag = "mediation", request_body = CommitteeRequest,
    responses((status = 201, body = CommitteeView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_committee<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<CommitteeRequest>,
) -> AppResult<(StatusCode, Json<CommitteeView>)> {
    let c = app.create_committee(&who, req).await?;
    Ok((StatusCode::CREATED, Json(CommitteeView::from(&c))))
}

/// The committees with their members and registered mediators.
#[utoipa::path(get, path = "/api/v1/mediation/committees", tag = "mediation",
    responses((status = 200, body = [CommitteeView])), security(("bearer" = [])))]
pub async fn list_committees<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> AppResult<Json<Vec<CommitteeView>>> {
    Ok(Json(
        app.store
            .committees()
            .await?
            .iter()
            .map(CommitteeView::from)
            .collect(),
    ))
}

/// Register (备案) a mediator with a committee.
#[utoipa::path(post, path = "/api/v1/mediation/committees/{id}/mediators", tag = "mediation",
    params(("id" = i64, Path)), request_body = PersonInput,
    responses((status = 201, body = PersonView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_mediator<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PersonInput>,
) -> AppResult<(StatusCode, Json<PersonView>)> {
    let m = app.register_mediator(&who, id, req).await?;
    Ok((StatusCode::CREATED, Json(PersonView::from(&m))))
}

#[derive(Serialize, ToSchema)]
pub struct SubsidyGradeView {
    pub id: String,
    pub label: String,
    pub amount_fen: i64,
    pub amount: String,
}

/// The subsidy table (以案定补, the deployment's `mechanisms_file`).
#[utoipa::path(get, path = "/api/v1/mediation/subsidy-grades", tag = "mediation",
    responses((status = 200, body = [SubsidyGradeView])), security(("bearer" = [])))]
pub async fn subsidy_grades<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> Json<Vec<SubsidyGradeView>> {
    Json(
        app.mechanisms
            .subsidy_grades
            .iter()
            .map(|g| SubsidyGradeView {
                id: g.id.clone(),
                label: g.label.clone(),
                amount_fen: g.amount_fen,
                amount: zhili_domain::mediation::yuan(g.amount_fen),
            })
            .collect(),
    )
}

/// 以案定补: approve a successful case's subsidy by its grade, after the case-file review.
#[utoipa::path(post, path = "/api/v1/cases/{id}/subsidy", tag = "mediation", params(("id" = i64, Path)),
    request_body = SubsidyRequest,
    responses((status = 200, body = CaseDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_subsidy<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<SubsidyRequest>,
) -> AppResult<Json<CaseDetail>> {
    let c = app.approve_subsidy(&who, id, req).await?;
    Ok(Json(detail(&app, &who, &c).await?))
}

/// Record the payment of an approved subsidy.
#[utoipa::path(post, path = "/api/v1/cases/{id}/subsidy/paid", tag = "mediation", params(("id" = i64, Path)),
    request_body = PaidRequest,
    responses((status = 200, body = CaseDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_paid<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<PaidRequest>,
) -> AppResult<Json<CaseDetail>> {
    let c = app.pay_subsidy(&who, id, req).await?;
    Ok(Json(detail(&app, &who, &c).await?))
}

/// The payment ledger (以案定补发放台账): approved subsidies, unpaid first.
#[utoipa::path(get, path = "/api/v1/mediation/subsidies", tag = "mediation",
    responses((status = 200, body = [SubsidyRow])), security(("bearer" = [])))]
pub async fn list_subsidies<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
) -> AppResult<Json<Vec<SubsidyRow>>> {
    Ok(Json(app.subsidy_ledger(&who).await?))
}

/// The payment ledger as a spreadsheet, for the finance office (no personal data in it).
#[utoipa::path(get, path = "/api/v1/mediation/subsidies.xlsx", tag = "mediation",
    responses((status = 200, description = "the ledger", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
    security(("bearer" = [])))]
pub async fn subsidies_xlsx<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
) -> AppResult<axum::response::Response> {
    let rows = app.subsidy_ledger(&who).await?;
    let local = |t: chrono::DateTime<chrono::Utc>| crate::cases::fmt_local(t);
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.case_no.clone(),
                r.title.clone(),
                r.committee.clone(),
                r.mediator.clone(),
                r.grade.clone(),
                format!("{:.2}", r.amount_fen as f64 / 100.0),
                r.reviewed_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| local(t.with_timezone(&chrono::Utc)))
                    .unwrap_or_default(),
                r.paid_at.map(local).unwrap_or_else(|| "待支付".into()),
            ]
        })
        .collect();
    let total: i64 = rows.iter().map(|r| r.amount_fen).sum();
    let bytes = crate::cases::export::spreadsheet(
        &[
            "编号",
            "纠纷",
            "调解组织",
            "调解员",
            "补贴等级",
            "金额（元）",
            "核定时间",
            "支付时间",
        ],
        &table,
        Some(format!(
            "合计 {} 件，{}",
            rows.len(),
            zhili_domain::mediation::yuan(total)
        )),
    )?;
    let day = zhili_domain::clock::to_local(app.now()).format("%Y%m%d");
    Ok(crate::cases::export::xlsx_download(
        &format!("subsidies-{day}.xlsx"),
        bytes,
    ))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(
            "/api/v1/mediation/committees",
            get(list_committees::<S>).post(post_committee::<S>),
        )
        .route(
            "/api/v1/mediation/committees/{id}/mediators",
            post(post_mediator::<S>),
        )
        .route("/api/v1/mediations", post(post_mediation::<S>))
        .route("/api/v1/mediations/{id}", get(get_mediation::<S>))
        .route("/api/v1/mediation/categories", get(categories::<S>))
        .route("/api/v1/mediation/subsidy-grades", get(subsidy_grades::<S>))
        .route("/api/v1/mediation/subsidies", get(list_subsidies::<S>))
        .route("/api/v1/mediation/subsidies.xlsx", get(subsidies_xlsx::<S>))
        .route("/api/v1/cases/{id}/subsidy", post(post_subsidy::<S>))
        .route("/api/v1/cases/{id}/subsidy/paid", post(post_paid::<S>))
}
