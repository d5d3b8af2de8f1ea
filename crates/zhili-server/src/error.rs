//! Errors as the HTTP API reports them: `{"error": {"code", "message", "field"}}`, with a 4xx for
//! every mistake of the caller. This is the one place where errors become status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhili_domain::workflow::TransitionError;
use zhili_store::DbError;

#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}", field, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for AppError {}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code, e.g. `invalid_field`, `forbidden`, `not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The request field the error is about, if any.
    pub field: Option<String>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    /// A field's value is wrong.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unauthorized() -> Self {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "log in first: a bearer token or a session is needed",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(what: &str) -> Self {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(what) => AppError::not_found(what),
            DbError::Conflict { what } => AppError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            DbError::Stale => AppError::new(StatusCode::CONFLICT, "stale", e.to_string()),
            DbError::BadReference { field } => AppError::invalid(
                field,
                format!("{field} refers to nothing that can be used here"),
            ),
            other => AppError::internal(other),
        }
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        let (status, code) = match &e {
            TransitionError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            TransitionError::NotFromState { .. } => (StatusCode::CONFLICT, "invalid_transition"),
            TransitionError::UnknownAction(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_action")
            }
            TransitionError::MissingField { .. } | TransitionError::MissingEvidence(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "missing_field")
            }
            TransitionError::ExtensionCap(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "extension_refused")
            }
            TransitionError::WindowClosed { .. } => (StatusCode::CONFLICT, "window_closed"),
            TransitionError::WindowOpen { .. } => (StatusCode::CONFLICT, "window_open"),
        };
        AppError {
            status,
            code,
            message: e.to_string(),
            field: e.field().map(str::to_string),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;
