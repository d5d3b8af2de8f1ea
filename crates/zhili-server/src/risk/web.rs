//! Risk pages: the register (风险隐患台账, the most serious and escalated first) and registering
//! a risk or an unstable event (排查登记).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhili_store::Store;

use super::api::{RiskQuery, RiskView};
use super::{GradeRequest, GradeView, RiskRequest};
use crate::App;
use crate::auth::{Principal, WebUser};
use crate::cases::PartyInput;
use crate::error::{AppError, AppResult};
use crate::web::{Layout, WebError, fmt_time, render, render_form};

#[derive(Template)]
#[template(path = "risk_list.html")]
struct ListPage {
    layout: Layout,
    kind: String,
    grade: String,
    open: String,
    grades: Vec<GradeView>,
    rows: Vec<RiskView>,
    /// Open ones of each grade, most serious first.
    counts: Vec<(GradeView, usize)>,
    /// This year's figures of the kind shown.
    figures: Vec<(String, String)>,
}

impl ListPage {
    fn due(v: &RiskView) -> String {
        v.case
            .overall_due_at
            .filter(|_| v.case.closed_at.is_none())
            .map(fmt_time)
            .unwrap_or_else(|| "—".into())
    }
}

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    kind: Option<String>,
    grade: Option<String>,
    open: Option<String>,
}

async fn list<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(p): Query<ListParams>,
) -> Response {
    let result: AppResult<Response> = async {
        let kind = p
            .kind
            .clone()
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "risk".into());
        let open = p.open.clone().unwrap_or_else(|| "true".into());
        let q = RiskQuery {
            kind: Some(kind.clone()),
            grade: p.grade.clone().filter(|g| !g.is_empty()),
            open: match open.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
        };
        let rows = app.risk_register(&who, &q).await?;
        let all_open = app
            .risk_register(
                &who,
                &RiskQuery {
                    kind: Some(kind.clone()),
                    open: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        let mut grades: Vec<GradeView> = app
            .mechanisms
            .risk_grades
            .iter()
            .map(GradeView::from)
            .collect();
        grades.sort_by_key(|g| std::cmp::Reverse(g.rank));
        let counts = grades
            .iter()
            .map(|g| {
                let n = all_open
                    .iter()
                    .filter(|v| v.grade.as_ref().is_some_and(|x| x.id == g.id))
                    .count();
                (g.clone(), n)
            })
            .collect();
        let figures = app.module_figures(&who, &kind).await?;
        Ok(render(&ListPage {
            layout: Layout::new(&who, "risks"),
            kind,
            grade: p.grade.unwrap_or_default(),
            open,
            grades,
            rows,
            counts,
            figures,
        }))
    }
    .await;
    result.unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "risks"))).into_response())
}

#[derive(Template)]
#[template(path = "risk_new.html")]
struct NewPage {
    layout: Layout,
    categories: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    grades: Vec<GradeView>,
    /// Preselected: the least serious grade, so that a higher one is a choice.
    default_grade: String,
    nodes: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    leaders: Vec<(i64, String)>,
    /// The case it comes from (转自), with what it fills in.
    from: Option<From>,
}

/// A risk registered from another case: its number, and the title, details and place it fills in.
pub struct From {
    id: i64,
    case_no: String,
    title: String,
    content: String,
    node_id: i64,
}

#[derive(Debug, Deserialize, Default)]
struct NewParams {
    from: Option<i64>,
}

async fn new_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    from: Option<i64>,
    error: Option<String>,
) -> AppResult<Response> {
    let nodes = crate::cases::web::places(app).await?;
    let users = app.store.list_users().await?;
    let mut leaders = Vec::new();
    for g in app
        .store
        .grants_with_role(zhili_domain::org::Role::Leader)
        .await?
    {
        if let Some(u) = users.iter().find(|u| u.id == g.user_id && !u.disabled)
            && !leaders.iter().any(|(id, _): &(i64, String)| *id == u.id)
        {
            leaders.push((u.id, u.display_name.clone()));
        }
    }
    let mut layout = Layout::new(who, "risks");
    layout.error = error.clone();
    let page = NewPage {
        layout,
        categories: zhili_domain::risk::CATEGORIES.to_vec(),
        channels: [
            zhili_domain::case::Channel::GridPatrol,
            zhili_domain::case::Channel::Visit,
            zhili_domain::case::Channel::Phone,
            zhili_domain::case::Channel::Hotline,
            zhili_domain::case::Channel::Web,
            zhili_domain::case::Channel::Leader,
            zhili_domain::case::Channel::Other,
        ]
        .iter()
        .map(|c| (c.as_str(), c.label_zh()))
        .collect(),
        grades: app
            .mechanisms
            .risk_grades
            .iter()
            .map(GradeView::from)
            .collect(),
        default_grade: app
            .mechanisms
            .risk_grades
            .iter()
            .min_by_key(|g| g.rank)
            .map(|g| g.id.clone())
            .unwrap_or_default(),
        nodes,
        departments: app
            .store
            .list_departments()
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
        leaders,
        from: match from {
            Some(id) => {
                let c = app.case_for(who, id).await?;
                Some(From {
                    id: c.id,
                    title: format!("{}（转自{}）", c.title, c.case_no),
                    content: format!(
                        "由{} {} 转入风险排查：{}",
                        zhili_domain::case::kind_label(&c.kind),
                        c.case_no,
                        c.title
                    ),
                    node_id: c.village_id.unwrap_or(c.node_id),
                    case_no: c.case_no,
                })
            }
            None => None,
        },
    };
    Ok(render_form(&page, error.is_some()))
}

async fn new_form<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(p): Query<NewParams>,
) -> Response {
    new_page(&app, &who, p.from, None)
        .await
        .unwrap_or_else(|e| e.into_response())
}

#[derive(Debug, Deserialize)]
struct NewForm {
    csrf: String,
    kind: String,
    category: String,
    channel: String,
    grade: String,
    title: String,
    content: String,
    node_id: i64,
    #[serde(default)]
    address: String,
    #[serde(default)]
    people_involved: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    leader_id: String,
    #[serde(default)]
    party_name: String,
    #[serde(default)]
    party_phone: String,
    #[serde(default)]
    from_case_id: String,
}

async fn create<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Form(f): Form<NewForm>,
) -> Response {
    let from = f.from_case_id.trim().parse::<i64>().ok();
    let result: AppResult<i64> = async {
        who.check_csrf(&f.csrf)?;
        let opt = |field: &str, v: &str| -> AppResult<Option<i64>> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, format!("`{v}` is not a number")))
        };
        let req = RiskRequest {
            kind: f.kind,
            category: f.category,
            channel: f
                .channel
                .parse()
                .map_err(|e: String| AppError::invalid("channel", e))?,
            title: f.title,
            content: f.content,
            node_id: f.node_id,
            address: Some(f.address).filter(|a| !a.trim().is_empty()),
            grade: f.grade,
            people_involved: opt("people_involved", &f.people_involved)?
                .unwrap_or(0)
                .clamp(0, 1_000_000) as u32,
            department_id: opt("department_id", &f.department_id)?,
            leader_id: opt("leader_id", &f.leader_id)?,
            from_case_id: opt("from_case_id", &f.from_case_id)?,
            parties: if f.party_name.trim().is_empty() {
                vec![]
            } else {
                vec![PartyInput {
                    role: "party".into(),
                    name: f.party_name,
                    id_number: None,
                    phone: Some(f.party_phone).filter(|p| !p.trim().is_empty()),
                    address: None,
                }]
            },
        };
        Ok(app.register_risk(&who, req).await?.id)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => {
            let msg = format!(
                "登记失败：{}{}",
                e.message,
                e.field.map(|f| format!("（{f}）")).unwrap_or_default()
            );
            new_page(&app, &who, from, Some(msg))
                .await
                .unwrap_or_else(|e| e.into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
struct GradeForm {
    csrf: String,
    grade: String,
    reason: String,
}

async fn regrade<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<GradeForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        app.regrade_risk(
            &who,
            id,
            GradeRequest {
                grade: f.grade,
                reason: f.reason,
            },
        )
        .await?;
        Ok(())
    }
    .await;
    crate::cases::web::back_to_case(&app, &who, id, "", result, "未完成").await
}

/// What a case page shows of a risk.
pub struct RiskBox {
    pub view: RiskView,
    pub grades: Vec<GradeView>,
}

pub fn risk_box<S: Store>(app: &App<S>, c: &zhili_store::CaseRow) -> Option<RiskBox> {
    super::is_risk(c).then(|| RiskBox {
        view: super::api::risk_view(app, c),
        grades: app
            .mechanisms
            .risk_grades
            .iter()
            .map(GradeView::from)
            .collect(),
    })
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/risks", get(list::<S>).post(create::<S>))
        .route("/risks/new", get(new_form::<S>))
        .route("/risks/{id}/grade", post(regrade::<S>))
}
