//! Who is asking: bearer tokens (API) and session cookies (web), both stored hashed; login and
//! logout; health endpoints.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use zhili_domain::org::{Grant, Role, Scope, roles_in};
use zhili_store::{Store, TokenKind, UserRow, Visibility};

use crate::App;
use crate::crypto::{csrf_for, new_token, token_hash, verify_password};
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;

pub const SESSION_COOKIE: &str = "zhili_session";

/// An authenticated user with their grants.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRow,
    pub grants: Vec<Grant>,
    pub token_id: i64,
    /// The session token when the request came with the web cookie.
    pub session_token: Option<String>,
}

impl Principal {
    /// A user with their grants, acting without a token (the CLI, the demo generator).
    pub async fn for_user<S: Store>(app: &App<S>, user: UserRow) -> AppResult<Principal> {
        let grants = app
            .store
            .user_grants(user.id)
            .await?
            .iter()
            .map(|g| g.to_grant())
            .collect();
        Ok(Principal {
            user,
            grants,
            token_id: 0,
            session_token: None,
        })
    }

    pub fn roles_in(&self, scope: Scope<'_>) -> Vec<Role> {
        roles_in(&self.grants, scope)
    }

    pub fn has_role(&self, r: Role) -> bool {
        self.grants.iter().any(|g| g.role == r)
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }

    pub fn visibility(&self) -> Visibility {
        Visibility::from_grants(&self.grants)
    }

    pub fn csrf(&self) -> String {
        self.session_token
            .as_deref()
            .map(csrf_for)
            .unwrap_or_default()
    }

    /// For web forms: the form's CSRF field must match the session.
    pub fn check_csrf(&self, given: &str) -> AppResult<()> {
        match &self.session_token {
            Some(t) if csrf_for(t) == given => Ok(()),
            Some(_) => Err(AppError::forbidden(
                "the form is stale or forged (CSRF check failed); reload the page",
            )),
            None => Ok(()),
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(AppError::forbidden("only an administrator may do this"))
        }
    }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub async fn authenticate<S: Store>(app: &App<S>, parts: &Parts) -> AppResult<Principal> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let (token, from_cookie) = match bearer {
        Some(t) => (t, false),
        None => match cookie_value(parts, SESSION_COOKIE) {
            Some(t) => (t, true),
            None => return Err(AppError::unauthorized()),
        },
    };
    let Some(found) = app.store.find_token(&token_hash(&token), app.now()).await? else {
        return Err(AppError::unauthorized());
    };
    // The API used with the web cookie must carry the CSRF header on every change.
    if from_cookie
        && parts.uri.path().starts_with("/api/")
        && !matches!(parts.method, Method::GET | Method::HEAD)
    {
        let given = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if given != csrf_for(&token) {
            return Err(AppError::forbidden("missing or wrong X-CSRF-Token header"));
        }
    }
    Ok(Principal {
        user: found.user,
        grants: found.grants.iter().map(|g| g.to_grant()).collect(),
        token_id: found.token.id,
        session_token: from_cookie.then_some(token),
    })
}

impl<S: Store> FromRequestParts<App<S>> for Principal {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> AppResult<Principal> {
        authenticate(app, parts).await
    }
}

/// A web page's user: without a session, the browser is sent to the login page.
#[derive(Debug, Clone)]
pub struct WebUser(pub Principal);

impl<S: Store> FromRequestParts<App<S>> for WebUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<WebUser, Response> {
        match authenticate(app, parts).await {
            Ok(p) => Ok(WebUser(p)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Err(Redirect::to(&format!("/login?{q}")).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Check a username and password; argon2 runs off the async threads. An unknown user costs the
/// same time as a wrong password.
pub async fn check_login<S: Store>(
    app: &App<S>,
    username: &str,
    password: &str,
) -> AppResult<UserRow> {
    // Ten wrong passwords for one username in 15 minutes lock it for the rest of them.
    let now = app.now();
    if let Err(until) = app.login_failures.check(username, now) {
        return Err(crate::throttle::refused(until).with_field("password"));
    }
    let user = match app.store.user_by_name(username).await {
        Ok(u) => Some(u),
        Err(zhili_store::DbError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &stored))
        .await
        .map_err(AppError::internal)?;
    match user {
        Some(u) if ok && !u.disabled => {
            app.login_failures.clear(username);
            Ok(u)
        }
        _ => Err({
            app.login_failures.fail(username, now);
            AppError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "wrong username or password, or the account is disabled",
            )
            .with_field("password")
        }),
    }
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Hk0Rg2iGq3XGz2mN0Hn3pbnKq3b8mI0G7u8a9m0m6vA";

/// Start a session for a user; returns the token to hand out.
pub async fn start_session<S: Store>(
    app: &App<S>,
    user: &UserRow,
) -> AppResult<(String, zhili_store::Timestamp)> {
    let token = new_token();
    let now = app.now();
    let expires = now + Duration::hours(app.settings.session_hours);
    app.store
        .create_token(
            user.id,
            TokenKind::Session,
            &token_hash(&token),
            "session",
            now,
            Some(expires),
        )
        .await?;
    Ok((token, expires))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: crate::org::api::UserView,
}

/// Log in: username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/session", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn login<S: Store>(
    State(app): State<App<S>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let user = check_login(&app, &req.username, &req.password).await?;
    let (token, expires_at) = start_session(&app, &user).await?;
    let grants = app.store.user_grants(user.id).await?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_at,
        user: crate::org::api::UserView::new(&user, &grants),
    }))
}

/// Log out: the token used for this request stops working.
#[utoipa::path(delete, path = "/api/v1/session", tag = "auth", responses((status = 204)))]
pub async fn logout<S: Store>(State(app): State<App<S>>, who: Principal) -> AppResult<StatusCode> {
    app.store.revoke_token(who.token_id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz<S: Store>(State(app): State<App<S>>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}")).into_response(),
    }
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/session", post(login::<S>).delete(logout::<S>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
}
