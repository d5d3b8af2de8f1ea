//! Request extractors whose failures are the API's JSON errors, naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// JSON body. Malformed JSON, unknown fields, wrong types and oversized bodies are 4xx errors
/// that name the field.
pub struct ApiJson<T>(pub T);

fn field_of_message(msg: &str) -> Option<String> {
    let start = msg.find("field `")? + 7;
    let end = msg[start..].find('`')? + start;
    Some(msg[start..end].to_string())
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let ct = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !ct.starts_with("application/json") {
            return Err(AppError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::new(e.status(), "body_rejected", e.body_text()))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let msg = inner.to_string();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(AppError::bad_request(format!("malformed JSON: {msg}")));
                }
                let at_root = path == "." || path.is_empty();
                // The path names the field for wrong types; serde_path_to_error repeats an
                // unknown field's name (`colour.colour`); a missing field is named in the
                // message, under its parent's path.
                let field = match field_of_message(&msg) {
                    Some(f) if msg.contains("missing field") && !at_root => {
                        Some(format!("{path}.{f}"))
                    }
                    Some(f) if msg.contains("missing field") => Some(f),
                    Some(f) if msg.contains("unknown field") && !at_root => Some(
                        path.strip_suffix(&format!(".{f}"))
                            .unwrap_or(&path)
                            .to_string(),
                    ),
                    _ if !at_root => Some(path),
                    other => other,
                };
                let mut err = AppError::invalid("", msg);
                err.field = field;
                Err(err)
            }
        }
    }
}

/// Query string parameters, with errors that name the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(e) => {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                let field = field_of_message(&msg).unwrap_or(path);
                Err(AppError::invalid(&field, format!("query parameter: {msg}")))
            }
        }
    }
}

/// For query and form fields: an empty value is no value (`?department_id=` from a form's
/// "any" option).
pub fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}
