//! The Open311 routes (`/open311/v2/…`, outside `/api/v1` as the specification names them) and
//! the administrators' API that issues client keys (`/api/v1/open311/clients`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::org::Role;
use zhili_store::{Store, TokenKind};

use super::format::{Fmt, Open311Error, V};
use super::{PostedRequest, RequestsQuery};
use crate::App;
use crate::auth::Principal;
use crate::error::AppResult;
use crate::extract::ApiJson;
use crate::org::api::{GrantRequest, NewUserRequest};

/// The 404 the specification asks for when the suffix names no format (in XML, the required
/// format).
fn unknown_format(file: &str) -> Response {
    Open311Error::not_found(format!("`{file}`: add .xml or .json to choose the format"))
        .respond(Fmt::Xml)
}

fn reply(r: Result<V, Open311Error>, root: &str, fmt: Fmt) -> Response {
    match r {
        Ok(v) => v.respond(root, fmt, StatusCode::OK),
        Err(e) => e.respond(fmt),
    }
}

fn jurisdiction(q: &Option<String>) -> Option<String> {
    form_urlencoded::parse(q.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "jurisdiction_id")
        .map(|(_, v)| v.into_owned())
}

/// `GET /open311/v2/discovery.{fmt}`, `services.{fmt}`, `requests.{fmt}`.
#[utoipa::path(get, path = "/open311/v2/{file}", tag = "open311",
    params(("file" = String, Path, description = "discovery.xml|json, services.xml|json or requests.xml|json"),
        ("jurisdiction_id" = Option<String>, Query), ("service_request_id" = Option<String>, Query),
        ("service_code" = Option<String>, Query), ("start_date" = Option<String>, Query),
        ("end_date" = Option<String>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, description = "The document, in the format of the suffix"),
        (status = 400, description = "errors/error[]"), (status = 404, description = "errors/error[]")))]
pub async fn get_root<S: Store>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((what, fmt)) = Fmt::split(&file) else {
        return unknown_format(&file);
    };
    match what {
        "discovery" => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            app.open311_discovery(&format!("http://{host}")).respond(
                "discovery",
                fmt,
                StatusCode::OK,
            )
        }
        "services" => {
            let r = app
                .open311_jurisdiction(jurisdiction(&q).as_deref())
                .map(|()| {
                    V::List(
                        "service",
                        app.taxonomy.subclasses.iter().map(super::service).collect(),
                    )
                });
            reply(r, "services", fmt)
        }
        "requests" => {
            let query: Result<RequestsQuery, _> =
                serde_urlencoded::from_str(q.as_deref().unwrap_or_default());
            let r = match query {
                Ok(query) => app.open311_query(&query).await,
                Err(e) => Err(Open311Error::bad(format!("bad query: {e}"))),
            };
            reply(r, "service_requests", fmt)
        }
        other => Open311Error::not_found(format!("no resource `{other}`")).respond(fmt),
    }
}

/// `POST /open311/v2/requests.{fmt}`: form fields in the body (`api_key` may also be in the
/// query string).
#[utoipa::path(post, path = "/open311/v2/{file}", tag = "open311",
    params(("file" = String, Path, description = "requests.xml or requests.json")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "api_key, service_code, lat+long or address_string or address_id, description, first_name, last_name, phone, media_url, attribute[CODE]"),
    responses((status = 200, description = "service_requests/request[] with service_request_id"),
        (status = 400, description = "errors/error[]"), (status = 403, description = "Invalid api_key"),
        (status = 404, description = "Unknown service_code or jurisdiction_id")))]
pub async fn post_root<S: Store>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((what, fmt)) = Fmt::split(&file) else {
        return unknown_format(&file);
    };
    if what != "requests" {
        return Open311Error::not_found(format!("no resource `{what}` to post to")).respond(fmt);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Open311Error::bad("post the fields as application/x-www-form-urlencoded")
            .respond(fmt);
    }
    let query = q.unwrap_or_default();
    let pairs = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(&body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    let posted = PostedRequest::from_pairs(pairs);
    reply(app.open311_post(posted).await, "service_requests", fmt)
}

/// `GET /open311/v2/services/{service_code}.{fmt}`.
#[utoipa::path(get, path = "/open311/v2/services/{file}", tag = "open311",
    params(("file" = String, Path, description = "{service_code}.xml or .json, e.g. event:0102.json")),
    responses((status = 200, description = "service_definition with attributes"), (status = 404, description = "errors/error[]")))]
pub async fn get_service<S: Store>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, fmt)) = Fmt::split(&file) else {
        return unknown_format(&file);
    };
    let r = app
        .open311_jurisdiction(jurisdiction(&q).as_deref())
        .and_then(|()| app.open311_service(code))
        .map(super::service_definition);
    reply(r, "service_definition", fmt)
}

/// `GET /open311/v2/requests/{service_request_id}.{fmt}`.
#[utoipa::path(get, path = "/open311/v2/requests/{file}", tag = "open311",
    params(("file" = String, Path, description = "{service_request_id}.xml or .json")),
    responses((status = 200, description = "service_requests/request[]"), (status = 404, description = "errors/error[]")))]
pub async fn get_request<S: Store>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, fmt)) = Fmt::split(&file) else {
        return unknown_format(&file);
    };
    let r = match app.open311_jurisdiction(jurisdiction(&q).as_deref()) {
        Ok(()) => match app.open311_case(id).await {
            Ok(c) => match app.store.list_departments().await {
                Ok(depts) => Ok(V::List(
                    "request",
                    vec![app.open311_request(&c, &depts).await],
                )),
                Err(e) => Err(crate::error::AppError::from(e).into()),
            },
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    reply(r, "service_requests", fmt)
}

/// `GET /open311/v2/tokens/{token}.{fmt}`: zhili answers at once (`realtime`), so a request's
/// token is its id, the case number.
#[utoipa::path(get, path = "/open311/v2/tokens/{file}", tag = "open311",
    params(("file" = String, Path, description = "{token}.xml or .json")),
    responses((status = 200, description = "service_requests/request[] with service_request_id and token"), (status = 404, description = "errors/error[]")))]
pub async fn get_token<S: Store>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((token, fmt)) = Fmt::split(&file) else {
        return unknown_format(&file);
    };
    let r = app
        .open311_jurisdiction(jurisdiction(&q).as_deref())
        .map(|()| token);
    let r = match r {
        Ok(t) => match app.open311_case(t).await {
            Ok(c) => Ok(V::List(
                "request",
                vec![V::Obj(vec![
                    ("service_request_id", V::s(&c.case_no)),
                    ("token", V::s(t)),
                ])],
            )),
            Err(_) => Err(Open311Error::not_found(format!("token `{t}` not found"))),
        },
        Err(e) => Err(e),
    };
    reply(r, "service_requests", fmt)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    /// The client's account name, e.g. `citizen-app`.
    pub username: String,
    /// What the client is, e.g. 市民随手拍小程序.
    pub display_name: String,
    /// The area the client reports in (the town); requests without coordinates go here.
    pub node_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewClientView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub node_id: i64,
    /// The Open311 `api_key`: shown once, zhili keeps only its hash. Revoke it with
    /// `DELETE /api/v1/tokens/{token_id}`.
    pub api_key: String,
    pub token_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub node_id: Option<i64>,
    /// Keys not revoked.
    pub active_keys: usize,
    pub created_at: DateTime<Utc>,
}

/// Issue an Open311 client: an account with the reporter role (上报终端) in an area, and its
/// `api_key`. Administrators only.
#[utoipa::path(post, path = "/api/v1/open311/clients", tag = "open311",
    request_body = NewClientRequest,
    responses((status = 201, body = NewClientView), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_client<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<NewClientRequest>,
) -> AppResult<(StatusCode, Json<NewClientView>)> {
    who.require_admin()?;
    let user = crate::org::api::create_user(
        &app,
        Some(who.user.id),
        NewUserRequest {
            username: req.username,
            display_name: req.display_name,
            // Nobody logs in as a client: a long random password nobody knows.
            password: crate::crypto::new_token(),
            grants: vec![GrantRequest {
                role: Role::Reporter.as_str().into(),
                node_id: Some(req.node_id),
                department_id: None,
            }],
        },
    )
    .await?;
    let key = crate::crypto::new_token();
    let token = app
        .store
        .create_token(
            user.id,
            TokenKind::Api,
            &crate::crypto::token_hash(&key),
            "Open311 api_key",
            app.now(),
            None,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewClientView {
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            node_id: req.node_id,
            api_key: key,
            token_id: token.id,
        }),
    ))
}

/// The Open311 clients (accounts with the reporter role) and how many live keys each has.
#[utoipa::path(get, path = "/api/v1/open311/clients", tag = "open311",
    responses((status = 200, body = Vec<ClientView>)), security(("bearer" = [])))]
pub async fn list_clients<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
) -> AppResult<Json<Vec<ClientView>>> {
    who.require_admin()?;
    let mut out = Vec::new();
    for g in app.store.grants_with_role(Role::Reporter).await? {
        let u = app.store.get_user(g.user_id).await?;
        let keys = app.store.list_tokens(u.id).await?;
        out.push(ClientView {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
            node_id: g.node_id,
            active_keys: keys.iter().filter(|t| t.revoked_at.is_none()).count(),
            created_at: u.created_at,
        });
    }
    Ok(Json(out))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(get_root::<S>).post(post_root::<S>),
        )
        .route("/open311/v2/services/{file}", get(get_service::<S>))
        .route("/open311/v2/requests/{file}", get(get_request::<S>))
        .route("/open311/v2/tokens/{file}", get(get_token::<S>))
        .route(
            "/api/v1/open311/clients",
            get(list_clients::<S>).post(post_client::<S>),
        )
}
