//! `/api/v1/cases/{id}/documents`: the documents (文书) a case issued, and each as Word.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;
use zhili_store::Store;

use super::DocumentRef;
use crate::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::extract::ApiQuery;

/// The documents (文书) a case issued: a petition's notices and decisions, a mediation agreement.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = [DocumentRef]), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_documents<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<DocumentRef>>> {
    Ok(Json(app.documents(&who, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `true`: the parties' names in clear (roles that may see them; logged).
    #[serde(default)]
    pub reveal: bool,
}

/// One document as Word (.docx).
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents/{event_id}", tag = "cases",
    params(("id" = i64, Path), ("event_id" = i64, Path), DocumentQuery),
    responses((status = 200, description = "the .docx file", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_document<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path((id, event_id)): Path<(i64, i64)>,
    ApiQuery(q): ApiQuery<DocumentQuery>,
) -> AppResult<Response> {
    let (name, bytes) = app.document_docx(&who, id, event_id, q.reveal).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    .to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/cases/{id}/documents", get(list_documents::<S>))
        .route(
            "/api/v1/cases/{id}/documents/{event_id}",
            get(get_document::<S>),
        )
}
