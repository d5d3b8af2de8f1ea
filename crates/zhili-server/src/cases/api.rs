//! `/api/v1/cases`, comments, attachments and the timeline.

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhili_store::{AttachmentRow, CaseFilter, CommentRow, DbError, EventRow, Store};

use super::{ActionView, CaseView, CreateCaseRequest, PartyClear, PartyView, TransitionRequest};
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, empty_as_none};

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub department_id: Option<i64>,
    /// Cases in this org node's subtree.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub node_id: Option<i64>,
    /// `true`: only overdue (超期) open cases; `false`: none of them.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub overdue: Option<bool>,
    /// Only open cases whose worst clock is `normal`, `warning` (临期) or `overdue` (超期).
    pub deadline_status: Option<String>,
    /// `true`: only open cases; `false`: only ended ones.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub open: Option<bool>,
    /// Cases this leader (user id) took personal charge of (领导包案).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub lead_id: Option<i64>,
    /// Cases this person (user id) handles: the handler, or the mediator who accepted.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub handler_id: Option<i64>,
    /// `true`: cases ever put on the tag-and-close ledger (挂牌); `false`: the others.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub listed: Option<bool>,
    /// Received on or after: `YYYY-MM-DD` (China Standard Time) or RFC 3339.
    pub from: Option<String>,
    /// Received before: `YYYY-MM-DD` (that day excluded) or RFC 3339.
    pub to: Option<String>,
    /// Search: Chinese words (every word must occur in the title, content, address or category;
    /// results newest registration first) or a case number or its beginning (`2021GE…`).
    pub q: Option<String>,
    /// Cases located in a box: `min_lon,min_lat,max_lon,max_lat` (WGS84).
    pub bbox: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub limit: Option<i64>,
}

/// Parse a date (`YYYY-MM-DD`, the start of that day in China Standard Time) or an RFC 3339 time.
pub fn parse_time(field: &str, s: &str) -> AppResult<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(zhili_domain::clock::from_local(
            d.and_time(chrono::NaiveTime::MIN),
        ));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("`{s}` is not a date (YYYY-MM-DD) or an RFC 3339 time"),
            )
        })
}

impl ListQuery {
    pub async fn to_filter<S: Store>(
        &self,
        app: &App<S>,
        who: &Principal,
    ) -> AppResult<CaseFilter> {
        let node_path = match self.node_id {
            Some(id) => match app.store.get_node(id).await {
                Ok(n) => Some(n.path),
                Err(DbError::NotFound(_)) => {
                    return Err(AppError::invalid("node_id", "no such org node"));
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                "limit must be between 1 and 200",
            ));
        }
        let before = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                zhili_store::parse_cursor(c)
                    .ok_or_else(|| AppError::invalid("cursor", "not a cursor from this API"))?,
            ),
            None => None,
        };
        let opt = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        Ok(CaseFilter {
            visibility: who.visibility(),
            state: opt(&self.state),
            kind: opt(&self.kind),
            category: opt(&self.category),
            department_id: self.department_id,
            lead_id: self.lead_id,
            handler_id: self.handler_id,
            listed: self.listed,
            subsidized: None,
            node_path,
            overdue: self.overdue,
            clock_status: match opt(&self.deadline_status) {
                Some(st) => Some(
                    st.parse::<zhili_domain::clock::ClockStatus>()
                        .map_err(|e| AppError::invalid("deadline_status", e))?
                        .as_str()
                        .to_string(),
                ),
                None => None,
            },
            states: None,
            kind_states: None,
            open: self.open,
            created_from: opt(&self.from)
                .map(|s| parse_time("from", &s))
                .transpose()?,
            created_to: opt(&self.to).map(|s| parse_time("to", &s)).transpose()?,
            text: opt(&self.q),
            bbox: opt(&self.bbox).map(|b| parse_bbox(&b)).transpose()?,
            before,
            limit,
        })
    }
}

/// `min_lon,min_lat,max_lon,max_lat`.
fn parse_bbox(s: &str) -> AppResult<(f64, f64, f64, f64)> {
    let bad = || AppError::invalid("bbox", "give min_lon,min_lat,max_lon,max_lat in degrees");
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<AppResult<_>>()?;
    match v[..] {
        [x0, y0, x1, y1]
            if x0 <= x1
                && y0 <= y1
                && (-180.0..=180.0).contains(&x0)
                && (-180.0..=180.0).contains(&x1)
                && (-90.0..=90.0).contains(&y0)
                && (-90.0..=90.0).contains(&y1) =>
        {
            Ok((x0, y0, x1, y1))
        }
        _ => Err(bad()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    /// Masked unless revealed through `POST …/parties/{party_id}/reveal`.
    pub parties: Vec<PartyView>,
    /// What the caller may do now.
    pub actions: Vec<ActionView>,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub seq: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// This event's link in the audit chain.
    pub hash: String,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        EventView {
            id: e.id,
            seq: e.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            at: e.at,
            data: e.data,
            hash: e.hash,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub kind: String,
    pub kind_name: String,
    /// true: the link was made from the other case to this one.
    pub incoming: bool,
    pub other_case_id: i64,
    pub other_case_no: String,
    pub created_at: DateTime<Utc>,
}

impl From<zhili_store::LinkRow> for LinkView {
    fn from(l: zhili_store::LinkRow) -> Self {
        LinkView {
            kind_name: l
                .kind
                .parse::<zhili_domain::case::LinkKind>()
                .map(|k| k.label_zh().to_string())
                .unwrap_or_else(|_| l.kind.clone()),
            id: l.id,
            kind: l.kind,
            incoming: l.incoming,
            other_case_id: l.other_case_id,
            other_case_no: l.other_case_no,
            created_at: l.created_at,
        }
    }
}

/// Links of a case, from it and to it.
#[utoipa::path(get, path = "/api/v1/cases/{id}/links", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<LinkView>)), security(("bearer" = [])))]
pub async fn list_links<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<LinkView>>> {
    app.case_for(&who, id).await?;
    Ok(Json(
        app.store
            .links(id)
            .await?
            .into_iter()
            .map(LinkView::from)
            .collect(),
    ))
}

/// Link the case to another (written to both timelines).
#[utoipa::path(post, path = "/api/v1/cases/{id}/links", tag = "cases", params(("id" = i64, Path)),
    request_body = super::LinkRequest,
    responses((status = 201, body = LinkView), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_link<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<super::LinkRequest>,
) -> AppResult<(StatusCode, Json<LinkView>)> {
    Ok((
        StatusCode::CREATED,
        Json(app.link_cases(&who, id, req).await?.into()),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl From<CommentRow> for CommentView {
    fn from(c: CommentRow) -> Self {
        CommentView {
            id: c.id,
            author_id: c.author_id,
            author_name: c.author_name,
            body: c.body,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub filename: String,
    pub case_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The step that attached it: `created` (intake) or a transition's id.
    pub step: Option<String>,
    /// What the photo shows: `before` (处置前) or `after` (处置后) handling.
    pub evidence: Option<String>,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(a: AttachmentRow) -> Self {
        AttachmentView {
            id: a.id,
            sha256: a.sha256,
            size: a.size,
            mime: a.mime,
            filename: a.filename,
            case_id: a.case_id,
            created_at: a.created_at,
            step: None,
            evidence: None,
        }
    }
}

pub fn case_view<S: Store>(app: &App<S>, c: &zhili_store::CaseRow) -> CaseView {
    CaseView::new(c, app.workflows.for_kind(&c.kind))
}

/// List the cases the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = CaseList), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_cases<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<CaseList>> {
    let f = q.to_filter(&app, &who).await?;
    let rows = app.store.list_cases(&f).await?;
    let next_cursor = (rows.len() as i64 == f.limit)
        .then(|| rows.last().map(|c| c.cursor()))
        .flatten();
    Ok(Json(CaseList {
        items: rows.iter().map(|c| case_view(&app, c)).collect(),
        next_cursor,
    }))
}

/// Register a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CreateCaseRequest,
    responses((status = 201, body = CaseDetail), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_case<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<CreateCaseRequest>,
) -> AppResult<(StatusCode, Json<CaseDetail>)> {
    let made = app.create_case(&who, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail_with(&app, &who, &made.case, &made.parties)),
    ))
}

pub async fn detail<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &zhili_store::CaseRow,
) -> AppResult<CaseDetail> {
    let parties = app.store.parties(c.id).await?;
    Ok(detail_with(app, who, c, &parties))
}

fn detail_with<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &zhili_store::CaseRow,
    parties: &[zhili_store::PartyRow],
) -> CaseDetail {
    CaseDetail {
        case: case_view(app, c),
        parties: parties.iter().map(PartyView::from).collect(),
        actions: app
            .actions_for(who, c)
            .into_iter()
            .map(ActionView::from)
            .collect(),
    }
}

/// One case with its parties (masked) and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_case<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<CaseDetail>> {
    let c = app.case_for(&who, id).await?;
    Ok(Json(detail(&app, &who, &c).await?))
}

/// Take a transition (dispatch, sign, report, verify, close, return, extension, park …).
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses((status = 200, body = CaseDetail), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn transition<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> AppResult<Json<CaseDetail>> {
    let c = app.transition(&who, id, req).await?;
    Ok(Json(detail(&app, &who, &c).await?))
}

/// The case's timeline: every event, in order, with its audit-chain hash.
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EventView>)), security(("bearer" = [])))]
pub async fn timeline<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<EventView>>> {
    app.case_for(&who, id).await?;
    Ok(Json(
        app.store
            .timeline(id)
            .await?
            .into_iter()
            .map(EventView::from)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/comments", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommentView>)), security(("bearer" = [])))]
pub async fn list_comments<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<CommentView>>> {
    app.case_for(&who, id).await?;
    Ok(Json(
        app.store
            .comments(id)
            .await?
            .into_iter()
            .map(CommentView::from)
            .collect(),
    ))
}

/// Add a comment (also written to the timeline).
#[utoipa::path(post, path = "/api/v1/cases/{id}/comments", tag = "cases", params(("id" = i64, Path)),
    request_body = CommentRequest, responses((status = 201, body = CommentView)), security(("bearer" = [])))]
pub async fn add_comment<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<CommentRequest>,
) -> AppResult<(StatusCode, Json<CommentView>)> {
    app.case_for(&who, id).await?;
    let body = super::text("body", &req.body, 1, 5000)?;
    let c = app
        .store
        .add_comment(id, who.user.id, &body, app.now())
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>)), security(("bearer" = [])))]
pub async fn list_attachments<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<AttachmentView>>> {
    app.case_for(&who, id).await?;
    let mut steps = app.attachment_steps(id).await?;
    Ok(Json(
        app.store
            .attachments(id)
            .await?
            .into_iter()
            .map(|a| {
                let found = steps.remove(&a.id);
                let mut v = AttachmentView::from(a);
                if let Some((step, evidence)) = found {
                    v.step = Some(step);
                    v.evidence = evidence;
                }
                v
            })
            .collect(),
    ))
}

/// Reveal a party's personal data. Only roles that may see personal data; every reveal is
/// written to the case's timeline.
#[utoipa::path(post, path = "/api/v1/cases/{id}/parties/{party_id}/reveal", tag = "cases",
    params(("id" = i64, Path), ("party_id" = i64, Path)),
    responses((status = 200, body = PartyClear), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn reveal<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path((id, party_id)): Path<(i64, i64)>,
) -> AppResult<Json<PartyClear>> {
    Ok(Json(app.reveal_party(&who, id, party_id).await?))
}

/// Store an uploaded file (field `file`); the returned id goes into a case or transition's
/// `attachment_ids`. Accepted: JPEG, PNG, GIF, WebP, PDF, MP4 and ZIP-based documents.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "cases",
    request_body(content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 201, body = AttachmentView), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    mut mp: Multipart,
) -> AppResult<(StatusCode, Json<AttachmentView>)> {
    let row = store_upload(&app, &who, &mut mp).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub async fn store_upload<S: Store>(
    app: &App<S>,
    who: &Principal,
    mp: &mut Multipart,
) -> AppResult<AttachmentRow> {
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::bad_request(e.body_text()))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field
            .file_name()
            .unwrap_or("file")
            .chars()
            .take(200)
            .collect::<String>();
        let data = field.bytes().await.map_err(|e| {
            AppError::new(e.status(), "upload_rejected", e.body_text()).with_field("file")
        })?;
        return app.save_attachment(who, &filename, &data).await;
    }
    Err(AppError::invalid("file", "no `file` field in the form"))
}

/// Download an attachment: its uploader, or anyone who may see its case.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn download<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = app.store.get_attachment(id).await?;
    match a.case_id {
        Some(case_id) => {
            app.case_for(&who, case_id)
                .await
                .map_err(|_| AppError::not_found("attachment"))?;
        }
        None if a.uploaded_by == who.user.id => {}
        None => return Err(AppError::not_found("attachment")),
    }
    let data = app.blobs.get(&a.sha256).await.map_err(AppError::internal)?;
    let disposition = format!(
        "inline; filename*=UTF-8''{}",
        form_urlencoded::byte_serialize(a.filename.as_bytes()).collect::<String>()
    );
    Ok((
        [
            (header::CONTENT_TYPE, a.mime),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        data,
    )
        .into_response())
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/cases", get(list_cases::<S>).post(create_case::<S>))
        .route("/api/v1/cases/export.xlsx", get(super::export::export::<S>))
        .route("/api/v1/cases/{id}", get(get_case::<S>))
        .route("/api/v1/cases/{id}/transitions", post(transition::<S>))
        .route("/api/v1/cases/{id}/timeline", get(timeline::<S>))
        .route(
            "/api/v1/cases/{id}/comments",
            get(list_comments::<S>).post(add_comment::<S>),
        )
        .route("/api/v1/cases/{id}/attachments", get(list_attachments::<S>))
        .route(
            "/api/v1/cases/{id}/links",
            get(list_links::<S>).post(add_link::<S>),
        )
        .route(
            "/api/v1/cases/{id}/parties/{party_id}/reveal",
            post(reveal::<S>),
        )
        .route("/api/v1/attachments", post(upload::<S>))
        .route("/api/v1/attachments/{id}", get(download::<S>))
}
