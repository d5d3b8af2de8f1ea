//! The staff web UI's frame: login, logout, the page layout, static assets, HTML errors.
//! Pages are server-rendered (askama) with htmx for partial updates; every asset is embedded.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhili_store::Store;

use crate::App;
use crate::auth::{Principal, SESSION_COOKIE, WebUser, check_login, start_session};
use crate::error::AppError;

/// What every page's frame shows.
pub struct Layout {
    pub user_name: String,
    pub roles: String,
    pub csrf: String,
    pub nav: &'static str,
    pub error: Option<String>,
}

impl Layout {
    pub fn new(who: &Principal, nav: &'static str) -> Layout {
        Layout {
            user_name: who.user.display_name.clone(),
            roles: who
                .roles()
                .iter()
                .map(|r| r.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            csrf: who.csrf(),
            nav,
            error: None,
        }
    }
}

/// An error shown as a page.
pub struct WebError(pub AppError, pub Option<Layout>);

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let WebError(e, layout) = self;
        let title = match e.status {
            StatusCode::NOT_FOUND => "找不到 Not found",
            StatusCode::FORBIDDEN => "无权操作 Forbidden",
            s if s.is_client_error() => "无法完成 Cannot do that",
            _ => "出错了 Error",
        };
        match layout {
            Some(layout) => {
                let page = ErrorPage {
                    layout,
                    title: title.into(),
                    message: e.message.clone(),
                };
                (e.status, render(&page)).into_response()
            }
            None => (e.status, e.message).into_response(),
        }
    }
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::internal(e).into_response(),
    }
}

/// A form page: 422 when it comes back with an error, 200 otherwise.
pub fn render_form<T: Template>(t: &T, failed: bool) -> Response {
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, render(t)).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site: no `//host` or `scheme:` redirects.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

async fn login_page(Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage {
        next: safe_next(q.next.as_deref()),
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_post<S: Store>(State(app): State<App<S>>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let user = match check_login(&app, f.username.trim(), &f.password).await {
        Ok(u) => u,
        Err(e) => {
            let page = LoginPage {
                next,
                error: Some(if e.status == StatusCode::TOO_MANY_REQUESTS {
                    format!("登录失败：{}", e.message)
                } else {
                    format!("登录失败：用户名或密码错误。{}", e.message)
                }),
            };
            return (e.status, render(&page)).into_response();
        }
    };
    match start_session(&app, &user).await {
        Ok((token, _)) => {
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
                app.settings.session_hours * 3600
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout_post<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(e) = who.check_csrf(&f.csrf) {
        return WebError(e, Some(Layout::new(&who, ""))).into_response();
    }
    if let Err(e) = app.store.revoke_token(who.token_id, app.now()).await {
        return AppError::from(e).into_response();
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx.min.js"),
    ),
    (
        "echarts.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/echarts.min.js"),
    ),
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/dashboard.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/leaflet.css"),
    ),
    (
        "urban-map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/urban-map.js"),
    ),
    (
        "urban-report.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/urban-report.js"),
    ),
    (
        "public-report.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/public-report.js"),
    ),
    (
        "assessment.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/assessment.js"),
    ),
];

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/login", get(login_page).post(login_post::<S>))
        .route("/logout", post(logout_post::<S>))
        .route("/static/{name}", get(asset))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// Local time as people read it.
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    zhili_domain::clock::to_local(t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
