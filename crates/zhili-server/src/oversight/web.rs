//! Oversight on the pages: the box on a case page (包案 and 挂牌销号 with their forms), a leader's
//! 包案 list (我的包案) and the ledger (挂牌销号台账).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhili_domain::org::Role;
use zhili_store::{CaseRow, Store};

use super::{
    CriterionRequest, DeadlineRequest, DelistRequest, LeadReportRequest, LeadRequest, ListRequest,
    Oversight, oversight_of,
};
use crate::App;
use crate::auth::{Principal, WebUser};
use crate::cases::scope_of;
use crate::error::{AppError, AppResult};
use crate::web::{Layout, WebError, fmt_time, render};

/// What the case page shows of oversight, and which forms the user gets.
pub struct OversightBox {
    pub o: Oversight,
    pub lead_due: String,
    pub lead_overdue: bool,
    pub ledger_due: String,
    pub ledger_overdue: bool,
    pub may_assign: bool,
    pub may_report: bool,
    pub may_meet: bool,
    pub leaders: Vec<(i64, String)>,
    pub departments: Vec<(i64, String)>,
}

/// The box for a case, when the deployment runs the mechanisms.
pub async fn oversight_box<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &CaseRow,
) -> AppResult<Option<OversightBox>> {
    let m = &app.mechanisms;
    if !m.leader_ownership && m.ledger_criteria.is_empty() {
        return Ok(None);
    }
    let o = oversight_of(c);
    let now = app.now();
    let roles = who.roles_in(scope_of(c));
    let recused = crate::cases::recused_ids(c).contains(&who.user.id);
    let may_assign = !recused
        && roles
            .iter()
            .any(|r| matches!(r, Role::Leader | Role::PetitionOfficer | Role::Admin));
    let open_lead = o.lead.as_ref().filter(|l| l.reported_at.is_none());
    let open_ledger = o.ledger.as_ref().filter(|l| l.delisted_at.is_none());
    let may_meet = !recused
        && open_ledger.is_some_and(|l| {
            who.grants.iter().any(|g| {
                (g.department_id == Some(l.owner_department_id)
                    && matches!(g.role, Role::Handler | Role::DeptHead))
                    || (matches!(g.role, Role::PetitionOfficer | Role::Leader | Role::Admin)
                        && g.covers(scope_of(c)))
            })
        });
    let mut leaders = Vec::new();
    if may_assign && open_lead.is_none() && m.leader_ownership {
        let users = app.store.list_users().await?;
        for g in app.store.grants_with_role(Role::Leader).await? {
            if g.to_grant().covers(scope_of(c))
                && let Some(u) = users.iter().find(|u| u.id == g.user_id && !u.disabled)
                && !leaders.iter().any(|(id, _)| *id == u.id)
            {
                leaders.push((u.id, u.display_name.clone()));
            }
        }
    }
    Ok(Some(OversightBox {
        lead_due: o
            .lead
            .as_ref()
            .map(|l| fmt_time(l.due_at))
            .unwrap_or_default(),
        lead_overdue: open_lead.is_some_and(|l| l.due_at < now),
        ledger_due: o
            .ledger
            .as_ref()
            .map(|l| fmt_time(l.due_at))
            .unwrap_or_default(),
        ledger_overdue: open_ledger.is_some_and(|l| l.due_at < now),
        may_report: !recused && open_lead.is_some_and(|l| l.leader_id == who.user.id),
        may_assign: may_assign && m.leader_ownership,
        may_meet,
        leaders,
        departments: if may_assign {
            app.store
                .list_departments()
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect()
        } else {
            Vec::new()
        },
        o,
    }))
}

#[derive(Deserialize)]
struct OversightForm {
    csrf: String,
    #[serde(default)]
    leader_id: Option<i64>,
    #[serde(default)]
    owner_department_id: Option<i64>,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    criterion: String,
}

async fn act<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<OversightForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        let need = |v: Option<i64>, field: &str| {
            v.ok_or_else(|| AppError::invalid(field, format!("choose the {field}")))
        };
        match action.as_str() {
            "lead" => app
                .assign_lead(
                    &who,
                    id,
                    LeadRequest {
                        leader_id: need(f.leader_id, "leader_id")?,
                        plan: f.text,
                        deadline: f.deadline,
                    },
                )
                .await
                .map(drop),
            "report" => app
                .report_lead(&who, id, LeadReportRequest { report: f.text })
                .await
                .map(drop),
            "deadline" => app
                .extend_lead(
                    &who,
                    id,
                    DeadlineRequest {
                        deadline: f.deadline,
                        reason: f.text,
                    },
                )
                .await
                .map(drop),
            "list" => app
                .list_on_ledger(
                    &who,
                    id,
                    ListRequest {
                        owner_department_id: need(f.owner_department_id, "owner_department_id")?,
                        deadline: f.deadline,
                        reason: f.text,
                    },
                )
                .await
                .map(drop),
            "criterion" => app
                .meet_criterion(
                    &who,
                    id,
                    CriterionRequest {
                        criterion: f.criterion,
                        note: f.text,
                    },
                )
                .await
                .map(drop),
            "delist" => app
                .delist(&who, id, DelistRequest { note: f.text })
                .await
                .map(drop),
            _ => Err(AppError::not_found("action")),
        }
    }
    .await;
    crate::cases::web::back_to_case(&app, &who, id, "#oversight", result, "未完成").await
}

pub struct Row {
    id: i64,
    case_no: String,
    /// 信访, 风险隐患 …
    kind: String,
    title: String,
    who: String,
    due: String,
    overdue: bool,
    progress: String,
    done: bool,
}

#[derive(Template)]
#[template(path = "oversight_list.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    title_en: &'static str,
    who_header: &'static str,
    progress_header: &'static str,
    rows: Vec<Row>,
}

async fn leads<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    let result: AppResult<Response> = async {
        let now = app.now();
        let mut rows: Vec<Row> = app
            .leads_of(&who, who.user.id)
            .await?
            .iter()
            .filter_map(|c| {
                let l = oversight_of(c).lead?;
                Some(Row {
                    id: c.id,
                    case_no: c.case_no.clone(),
                    kind: zhili_domain::case::kind_label(&c.kind).to_string(),
                    title: c.title.clone(),
                    who: l.plan.chars().take(40).collect(),
                    due: fmt_time(l.due_at),
                    overdue: l.reported_at.is_none() && l.due_at < now,
                    progress: match l.reported_at {
                        Some(t) if t > l.due_at => format!("已报结 {}（逾期）", fmt_time(t)),
                        Some(t) => format!("已报结 {}", fmt_time(t)),
                        None => "办理中".into(),
                    },
                    done: l.reported_at.is_some(),
                })
            })
            .collect();
        // Open ones first, the overdue among them first.
        rows.sort_by_key(|r| (r.done, !r.overdue));
        Ok(render(&ListPage {
            layout: Layout::new(&who, "petitions"),
            title: "我的包案",
            title_en: "Cases I lead",
            who_header: "包案方案",
            progress_header: "进度",
            rows,
        }))
    }
    .await;
    result.unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "petitions"))).into_response())
}

async fn ledger<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    let result: AppResult<Response> = async {
        let now = app.now();
        let mut rows: Vec<Row> = app
            .ledger(&who, true)
            .await?
            .iter()
            .filter_map(|c| {
                let l = oversight_of(c).ledger?;
                let met = l.criteria.iter().filter(|k| k.met).count();
                Some(Row {
                    id: c.id,
                    case_no: c.case_no.clone(),
                    kind: zhili_domain::case::kind_label(&c.kind).to_string(),
                    title: c.title.clone(),
                    who: l.owner_name.clone(),
                    due: fmt_time(l.due_at),
                    overdue: l.delisted_at.is_none() && l.due_at < now,
                    progress: match l.delisted_at {
                        Some(t) => format!("已销号 {}", fmt_time(t)),
                        None => format!("{met}/{} 项达标", l.criteria.len()),
                    },
                    done: l.delisted_at.is_some(),
                })
            })
            .collect();
        rows.sort_by_key(|r| (r.done, !r.overdue));
        Ok(render(&ListPage {
            layout: Layout::new(&who, "petitions"),
            title: "挂牌销号台账",
            title_en: "Tag-and-close ledger",
            who_header: "责任单位",
            progress_header: "销号条件",
            rows,
        }))
    }
    .await;
    result.unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "petitions"))).into_response())
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/cases/{id}/oversight/{action}", post(act::<S>))
        .route("/petitions/leads", get(leads::<S>))
        .route("/petitions/ledger", get(ledger::<S>))
}
