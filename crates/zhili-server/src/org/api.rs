//! `/api/v1/users`, `/api/v1/tokens`, `/api/v1/org/nodes`, `/api/v1/departments`, `/api/v1/me`,
//! `/api/v1/workflows`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhili_domain::org::{NodeKind, Role};
use zhili_store::{
    DbError, DepartmentRow, GrantRow, NewNode, NewUser, NodeRow, Store, TokenKind, UserRow,
};

use crate::App;
use crate::auth::Principal;
use crate::crypto::{hash_password, new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::extract::ApiJson;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantView {
    pub id: i64,
    pub role: String,
    pub role_name: String,
    pub node_id: Option<i64>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub grants: Vec<GrantView>,
}

impl UserView {
    pub fn new(u: &UserRow, grants: &[GrantRow]) -> UserView {
        UserView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
            grants: grants
                .iter()
                .map(|g| GrantView {
                    id: g.id,
                    role: g.role.as_str().into(),
                    role_name: g.role.label_zh().into(),
                    node_id: g.node_id,
                    department_id: g.department_id,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantRequest>,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// admin, dispatcher, handler, dept_head, grid_worker, leader, legal_advisor, mediator,
    /// inspector, auditor
    pub role: String,
    /// For roles on an org subtree.
    #[serde(default)]
    pub node_id: Option<i64>,
    /// For handler and dept_head.
    #[serde(default)]
    pub department_id: Option<i64>,
}

pub fn validate_username(name: &str) -> AppResult<()> {
    let ok = (2..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "username",
            "2–40 letters, digits, `_`, `-` or `.`",
        ))
    }
}

pub fn validate_password(pw: &str) -> AppResult<()> {
    if pw.chars().count() < 8 {
        return Err(AppError::invalid("password", "at least 8 characters"));
    }
    Ok(())
}

fn parse_grant(g: &GrantRequest, i: usize) -> AppResult<(Role, Option<i64>, Option<i64>)> {
    let role: Role = g
        .role
        .parse()
        .map_err(|e: String| AppError::invalid(&format!("grants[{i}].role"), e))?;
    match (role.is_departmental(), g.node_id, g.department_id) {
        (true, _, None) => Err(AppError::invalid(
            &format!("grants[{i}].department_id"),
            format!("{} is granted on a department", role.as_str()),
        )),
        (false, None, _) => Err(AppError::invalid(
            &format!("grants[{i}].node_id"),
            format!("{} is granted on an org node", role.as_str()),
        )),
        _ => Ok((role, g.node_id, g.department_id)),
    }
}

/// Create a user with grants, as an administrator (also used by the CLI and the demo).
pub async fn create_user<S: Store>(
    app: &App<S>,
    actor: Option<i64>,
    req: NewUserRequest,
) -> AppResult<UserView> {
    validate_username(&req.username)?;
    validate_password(&req.password)?;
    let display = crate::cases::text("display_name", &req.display_name, 1, 50)?;
    let grants: Vec<_> = req
        .grants
        .iter()
        .enumerate()
        .map(|(i, g)| parse_grant(g, i))
        .collect::<AppResult<_>>()?;
    for (i, (_, node, dept)) in grants.iter().enumerate() {
        if let Some(n) = node
            && let Err(DbError::NotFound(_)) = app.store.get_node(*n).await
        {
            return Err(AppError::invalid(
                &format!("grants[{i}].node_id"),
                "no such org node",
            ));
        }
        if let Some(d) = dept
            && !app
                .store
                .list_departments()
                .await?
                .iter()
                .any(|x| x.id == *d)
        {
            return Err(AppError::invalid(
                &format!("grants[{i}].department_id"),
                "no such department",
            ));
        }
    }
    let pw = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(AppError::internal)?;
    let now = app.now();
    let u = app
        .store
        .create_user(
            NewUser {
                username: req.username,
                display_name: display,
                password_hash: hash,
            },
            actor,
            now,
        )
        .await?;
    for (role, node, dept) in grants {
        app.store
            .add_grant(u.id, role, node, dept, actor, now)
            .await?;
    }
    let g = app.store.user_grants(u.id).await?;
    Ok(UserView::new(&u, &g))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserView)), security(("bearer" = [])))]
pub async fn me<S: Store>(State(app): State<App<S>>, who: Principal) -> AppResult<Json<UserView>> {
    let g = app.store.user_grants(who.user.id).await?;
    Ok(Json(UserView::new(&who.user, &g)))
}

/// All users (administrators and auditors).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<UserView>)), security(("bearer" = [])))]
pub async fn list_users<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
) -> AppResult<Json<Vec<UserView>>> {
    if !who.has_role(Role::Admin) && !who.has_role(Role::Auditor) {
        return Err(AppError::forbidden(
            "only administrators and auditors may list users",
        ));
    }
    let mut out = Vec::new();
    for u in app.store.list_users().await? {
        let g = app.store.user_grants(u.id).await?;
        out.push(UserView::new(&u, &g));
    }
    Ok(Json(out))
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_user<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    who.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(create_user(&app, Some(who.user.id), req).await?),
    ))
}

/// Grant a role (administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/grants", tag = "users", params(("id" = i64, Path)), request_body = GrantRequest,
    responses((status = 201, body = UserView)), security(("bearer" = [])))]
pub async fn post_grant<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<GrantRequest>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    who.require_admin()?;
    let u = app.store.get_user(id).await?;
    let (role, node, dept) = parse_grant(&req, 0).map_err(|mut e| {
        e.field = e.field.map(|f| f.replace("grants[0].", ""));
        e
    })?;
    app.store
        .add_grant(id, role, node, dept, Some(who.user.id), app.now())
        .await?;
    let g = app.store.user_grants(id).await?;
    Ok((StatusCode::CREATED, Json(UserView::new(&u, &g))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    pub disabled: bool,
}

/// Disable or enable a user (administrators). Disabling revokes every token of the user.
#[utoipa::path(post, path = "/api/v1/users/{id}/disabled", tag = "users", params(("id" = i64, Path)), request_body = DisableRequest,
    responses((status = 204)), security(("bearer" = [])))]
pub async fn set_disabled<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<DisableRequest>,
) -> AppResult<StatusCode> {
    who.require_admin()?;
    if id == who.user.id && req.disabled {
        return Err(AppError::invalid("disabled", "you cannot disable yourself"));
    }
    app.store
        .set_user_disabled(id, req.disabled, Some(who.user.id), app.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. the name of the integration.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenView {
    pub id: i64,
    pub name: String,
    /// Shown once; zhili keeps only its hash.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Create an API token for the caller, for an integration.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenRequest,
    responses((status = 201, body = NewTokenView)), security(("bearer" = [])))]
pub async fn post_token<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<TokenRequest>,
) -> AppResult<(StatusCode, Json<NewTokenView>)> {
    let name = crate::cases::text("name", &req.name, 1, 100)?;
    let token = new_token();
    let row = app
        .store
        .create_token(
            who.user.id,
            TokenKind::Api,
            &token_hash(&token),
            &name,
            app.now(),
            None,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            id: row.id,
            name,
            token,
        }),
    ))
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users", responses((status = 200, body = Vec<TokenView>)), security(("bearer" = [])))]
pub async fn list_tokens<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
) -> AppResult<Json<Vec<TokenView>>> {
    Ok(Json(
        app.store
            .list_tokens(who.user.id)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

/// Revoke one of the caller's API tokens (administrators: anyone's).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users", params(("id" = i64, Path)), responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke_token<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let mine = app
        .store
        .list_tokens(who.user.id)
        .await?
        .iter()
        .any(|t| t.id == id);
    if !mine {
        who.require_admin()?;
    }
    app.store.revoke_token(id, app.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct NodeView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub code: String,
    pub name: String,
    /// Whether the node has a geometry; fetch it from the GeoJSON export.
    pub has_geometry: bool,
    pub synthetic: bool,
}

impl From<&NodeRow> for NodeView {
    fn from(n: &NodeRow) -> Self {
        NodeView {
            id: n.id,
            parent_id: n.parent_id,
            kind: n.kind.as_str().into(),
            code: n.code.clone(),
            name: n.name.clone(),
            has_geometry: n.geometry.is_some(),
            synthetic: n.synthetic,
        }
    }
}

/// The org tree, in tree order.
#[utoipa::path(get, path = "/api/v1/org/nodes", tag = "org", responses((status = 200, body = Vec<NodeView>)), security(("bearer" = [])))]
pub async fn list_nodes<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> AppResult<Json<Vec<NodeView>>> {
    Ok(Json(
        app.store
            .list_nodes()
            .await?
            .iter()
            .map(NodeView::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeRequest {
    pub parent_id: Option<i64>,
    /// city, town, village, grid
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// Add an org node (administrators). A child's kind must be one level below its parent's.
#[utoipa::path(post, path = "/api/v1/org/nodes", tag = "org", request_body = NodeRequest,
    responses((status = 201, body = NodeView), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn post_node<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<NodeRequest>,
) -> AppResult<(StatusCode, Json<NodeView>)> {
    who.require_admin()?;
    let kind: NodeKind = req
        .kind
        .parse()
        .map_err(|e: String| AppError::invalid("kind", e))?;
    let code = crate::cases::text("code", &req.code, 1, 30)?;
    let name = crate::cases::text("name", &req.name, 1, 100)?;
    if let Some(p) = req.parent_id {
        let parent = match app.store.get_node(p).await {
            Ok(n) => n,
            Err(DbError::NotFound(_)) => {
                return Err(AppError::invalid("parent_id", "no such org node"));
            }
            Err(e) => return Err(e.into()),
        };
        if parent.kind.child() != Some(kind) {
            return Err(AppError::invalid(
                "kind",
                format!(
                    "a child of a {} must be a {}",
                    parent.kind.as_str(),
                    parent.kind.child().map(|k| k.as_str()).unwrap_or("nothing")
                ),
            ));
        }
    }
    let n = app
        .store
        .create_node(NewNode {
            parent_id: req.parent_id,
            kind,
            code,
            name,
            geometry: None,
            synthetic: false,
            at: app.now(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(NodeView::from(&n))))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "org", responses((status = 200, body = Vec<DepartmentView>)), security(("bearer" = [])))]
pub async fn list_departments<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> AppResult<Json<Vec<DepartmentView>>> {
    Ok(Json(
        app.store
            .list_departments()
            .await?
            .into_iter()
            .map(DepartmentView::from)
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub node_id: i64,
    pub code: String,
    pub name: String,
}

impl From<DepartmentRow> for DepartmentView {
    fn from(d: DepartmentRow) -> Self {
        DepartmentView {
            id: d.id,
            node_id: d.node_id,
            code: d.code,
            name: d.name,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRequest {
    pub node_id: i64,
    pub code: String,
    pub name: String,
}

/// Add a department attached to an org node (administrators).
#[utoipa::path(post, path = "/api/v1/departments", tag = "org", request_body = DepartmentRequest,
    responses((status = 201, body = DepartmentView)), security(("bearer" = [])))]
pub async fn post_department<S: Store>(
    State(app): State<App<S>>,
    who: Principal,
    ApiJson(req): ApiJson<DepartmentRequest>,
) -> AppResult<(StatusCode, Json<DepartmentView>)> {
    who.require_admin()?;
    let code = crate::cases::text("code", &req.code, 1, 30)?;
    let name = crate::cases::text("name", &req.name, 1, 100)?;
    let d = app
        .store
        .create_department(req.node_id, &code, &name, app.now())
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// The workflow definitions in use (states, transitions, clocks).
#[utoipa::path(get, path = "/api/v1/workflows", tag = "org", responses((status = 200, description = "the definitions")), security(("bearer" = [])))]
pub async fn workflows<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
) -> Json<serde_json::Value> {
    Json(serde_json::to_value(app.workflows.all().collect::<Vec<_>>()).unwrap_or_default())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridWorkerView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// The node the grant is on: the cell itself, or the village or town above it.
    pub granted_on: i64,
    /// True when the grant is on this node itself (the cell's own worker).
    pub own: bool,
}

/// The grid workers (网格员) of a node: those granted on it, then those granted above it.
#[utoipa::path(get, path = "/api/v1/org/nodes/{id}/grid-workers", tag = "org", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<GridWorkerView>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn grid_workers<S: Store>(
    State(app): State<App<S>>,
    _who: Principal,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<GridWorkerView>>> {
    let node = match app.store.get_node(id).await {
        Ok(n) => n,
        Err(DbError::NotFound(_)) => return Err(AppError::not_found("org node")),
        Err(e) => return Err(e.into()),
    };
    let users = app.store.list_users().await?;
    let mut out: Vec<GridWorkerView> = app
        .store
        .grants_with_role(Role::GridWorker)
        .await?
        .into_iter()
        .filter(|g| {
            g.node_path
                .as_deref()
                .is_some_and(|p| node.path.starts_with(p))
        })
        .filter_map(|g| {
            let u = users.iter().find(|u| u.id == g.user_id)?;
            Some(GridWorkerView {
                user_id: u.id,
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                granted_on: g.node_id?,
                own: g.node_id == Some(node.id),
            })
        })
        .collect();
    // The cell's own workers first, then the nearest above.
    out.sort_by_key(|w| (!w.own, std::cmp::Reverse(w.granted_on), w.user_id));
    Ok(Json(out))
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/me", get(me::<S>))
        .route("/api/v1/users", get(list_users::<S>).post(post_user::<S>))
        .route("/api/v1/users/{id}/grants", post(post_grant::<S>))
        .route("/api/v1/users/{id}/disabled", post(set_disabled::<S>))
        .route(
            "/api/v1/tokens",
            get(list_tokens::<S>).post(post_token::<S>),
        )
        .route("/api/v1/tokens/{id}", delete(revoke_token::<S>))
        .route(
            "/api/v1/org/nodes",
            get(list_nodes::<S>).post(post_node::<S>),
        )
        .route(
            "/api/v1/org/nodes/{id}/grid-workers",
            get(grid_workers::<S>),
        )
        .route(
            "/api/v1/departments",
            get(list_departments::<S>).post(post_department::<S>),
        )
        .route("/api/v1/workflows", get(workflows::<S>))
}
