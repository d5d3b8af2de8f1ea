//! `/api/v1/petitions`, recusals, and the petitioner's
//! `/api/v1/public/petitions` (number + code, no login).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_store::Store;

use super::{PetitionCreated, PetitionRequest, PublicPetition, category_label};
use crate::App;
use crate::auth::Principal;
use crate::cases::api::{CaseDetail, detail};
use crate::documents::{DocumentRef, documents_of};
use crate::error::AppResult;
use crate::extract::ApiJson;

/// Register a petition (登记). The answer carries the tracking code, shown this once.
#[utoipa::path(post, path = "/api/v1/petitions", tag = "petitions", request_body = PetitionRequest,
    responses((status = 201, body = PetitionCreated), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_petition<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<PetitionRequest>,
) -> AppResult<(StatusCode, Json<PetitionCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(app.register_petition(&who, req).await?),
    ))
}

/// A petition with what the petition module keeps beside the case.
#[derive(Serialize, ToSchema)]
pub struct PetitionDetail {
    #[serde(flatten)]
    pub detail: CaseDetail,
    /// 建议意见类, 检举控告类 or 申诉求决类
    pub category_label: String,
    pub group_size: i64,
    /// The unit that first received it (首访负责).
    pub first_receiver_department_id: Option<i64>,
    /// support, explain or reject: the latest written decision.
    pub decision: Option<String>,
    /// The earlier petition of the same person on the same matter.
    pub repeat_of: Option<i64>,
    /// satisfied, basic or dissatisfied: the petitioner's rating.
    pub rating: Option<String>,
    /// While a review (复查/复核) or objection period is open, when it ends.
    pub window_ends_at: Option<DateTime<Utc>>,
    pub window_open: Option<bool>,
    /// Staff who may not act on it (回避).
    pub recused_user_ids: Vec<i64>,
    /// The caller may see the petitioners in clear (each reveal logged).
    pub may_reveal: bool,
    pub documents: Vec<DocumentRef>,
}

/// One petition.
#[utoipa::path(get, path = "/api/v1/petitions/{id}", tag = "petitions", params(("id" = i64, Path)),
    responses((status = 200, body = PetitionDetail), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_petition<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<PetitionDetail>> {
    let c = app.case_for(&who, id).await?;
    if c.kind != zhili_domain::petition::KIND {
        return Err(crate::error::AppError::not_found("petition"));
    }
    let s = |k: &str| c.details.get(k).and_then(|v| v.as_str()).map(String::from);
    let window = c.clocks.window(app.now());
    Ok(Json(PetitionDetail {
        category_label: category_label(&c),
        group_size: c
            .details
            .get("group_size")
            .and_then(|v| v.as_i64())
            .unwrap_or(1),
        first_receiver_department_id: crate::cases::first_receiver(&c),
        decision: s("decision"),
        repeat_of: c.repeat_of,
        rating: s("rating"),
        window_ends_at: window.map(|w| w.1),
        window_open: window.map(|w| w.0),
        recused_user_ids: crate::cases::recused_ids(&c),
        may_reveal: app.may_reveal(&who, &c),
        documents: documents_of(&c, &app.store.timeline(id).await?),
        detail: detail(&app, &who, &c).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecusalRequest {
    /// The staff member with an interest in the matter or the petitioner (第28条).
    pub user_id: i64,
    pub reason: String,
}

/// Mark a staff member as recused (回避): they may no longer act on the case or see its
/// parties in clear.
#[utoipa::path(post, path = "/api/v1/cases/{id}/recusals", tag = "petitions", params(("id" = i64, Path)),
    request_body = RecusalRequest,
    responses((status = 200, body = CaseDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_recusal<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RecusalRequest>,
) -> AppResult<Json<CaseDetail>> {
    let c = app.recuse(&who, id, req.user_id, &req.reason).await?;
    Ok(Json(detail(&app, &who, &c).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackRequest {
    pub case_no: String,
    /// The code given at registration.
    pub code: String,
}

/// The petitioner follows their petition (第21条) with its number and code: no login.
#[utoipa::path(post, path = "/api/v1/public/petitions/track", tag = "petitions", request_body = TrackRequest,
    responses((status = 200, body = PublicPetition), (status = 404, body = crate::error::ErrorBody)))]
pub async fn track<S: Store>(
    State(app): State<App<S>>,
    ApiJson(req): ApiJson<TrackRequest>,
) -> AppResult<Json<PublicPetition>> {
    let c = app.petition_by_code(&req.case_no, &req.code).await?;
    Ok(Json(app.public_petition(&c).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    pub case_no: String,
    pub code: String,
    /// satisfied (满意), basic (基本满意) or dissatisfied (不满意)
    pub rating: String,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The petitioner rates the handling, once, after the written reply.
#[utoipa::path(post, path = "/api/v1/public/petitions/rate", tag = "petitions", request_body = RateRequest,
    responses((status = 200, body = PublicPetition), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn rate<S: Store>(
    State(app): State<App<S>>,
    ApiJson(req): ApiJson<RateRequest>,
) -> AppResult<Json<PublicPetition>> {
    let c = app.petition_by_code(&req.case_no, &req.code).await?;
    let c = app
        .rate_petition(&c, &req.rating, req.comment.as_deref())
        .await?;
    Ok(Json(app.public_petition(&c).await?))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/petitions", post(post_petition::<S>))
        .route("/api/v1/petitions/{id}", get(get_petition::<S>))
        .route("/api/v1/cases/{id}/recusals", post(post_recusal::<S>))
        .route("/api/v1/public/petitions/track", post(track::<S>))
        .route("/api/v1/public/petitions/rate", post(rate::<S>))
}
