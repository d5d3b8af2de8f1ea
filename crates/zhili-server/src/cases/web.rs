//! Case pages: the workbench, registering a case, case detail with its actions and timeline.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhili_domain::case::{CaseClocks, Channel, Priority};
use zhili_domain::clock::ClockStatus;
use zhili_domain::org::NodeKind;
use zhili_domain::workflow::{EvidenceKind, Field, WindowRule};
use zhili_store::{CaseRow, EventRow, Store};

use super::api::ListQuery;
use super::{CreateCaseRequest, PartyInput, TransitionRequest, scope_of};
use crate::App;
use crate::auth::{Principal, WebUser};
use crate::error::{AppError, AppResult};
use crate::web::{Layout, WebError, fmt_time, render, render_form};

#[derive(Debug, Deserialize, Default)]
pub struct WorkQuery {
    todo: Option<String>,
    q: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    open: Option<String>,
    department_id: Option<String>,
    node_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

pub struct FilterView {
    todo: bool,
    q: String,
    state: String,
    overdue: String,
    open: String,
    department_id: String,
    node_id: String,
    from: String,
    to: String,
}

pub struct Row {
    id: i64,
    case_no: String,
    title: String,
    node: String,
    state: String,
    department: String,
    status: &'static str,
    status_label: &'static str,
    due: String,
    created: String,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    layout: Layout,
    f: FilterView,
    states: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    villages: Vec<(String, String)>,
    rows: Vec<Row>,
    next: Option<String>,
    kpi_todo: i64,
    kpi_open: i64,
    kpi_warning: i64,
    kpi_overdue: i64,
}

/// Names of nodes and departments, for pages.
pub struct Names {
    pub nodes: BTreeMap<i64, (String, NodeKind)>,
    pub departments: BTreeMap<i64, String>,
}

impl Names {
    pub async fn load<S: Store>(app: &App<S>) -> AppResult<Names> {
        Ok(Names {
            nodes: app
                .store
                .list_nodes()
                .await?
                .into_iter()
                .map(|n| (n.id, (n.name, n.kind)))
                .collect(),
            departments: app
                .store
                .list_departments()
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
        })
    }
    pub fn node(&self, id: i64) -> String {
        self.nodes.get(&id).map(|n| n.0.clone()).unwrap_or_default()
    }
    pub fn department(&self, id: Option<i64>) -> String {
        id.and_then(|d| self.departments.get(&d).cloned())
            .unwrap_or_else(|| "—".into())
    }
}

/// The town and its villages for a form's place select, with their kind: `清溪镇（镇/街道）`.
pub(crate) async fn places<S: Store>(app: &App<S>) -> AppResult<Vec<(i64, String)>> {
    let mut nodes: Vec<(i64, String)> = app
        .store
        .list_nodes()
        .await?
        .into_iter()
        .filter(|n| matches!(n.kind, NodeKind::Town | NodeKind::Village))
        .map(|n| (n.id, format!("{}（{}）", n.name, n.kind.label_zh())))
        .collect();
    nodes.sort_by_key(|n| n.0);
    Ok(nodes)
}

/// A case's deadline status; an ended case is no longer running late.
pub(crate) fn status_of(c: &CaseRow) -> ClockStatus {
    if c.ended_at.is_some() {
        ClockStatus::Normal
    } else {
        c.clocks.status()
    }
}

/// When the case's next step is due: its stage (not a period the parties have), else the overall
/// clock while it is not closed.
pub(crate) fn next_due(c: &CaseRow) -> Option<chrono::DateTime<chrono::Utc>> {
    c.clocks
        .stage
        .filter(|s| !s.window)
        .map(|s| s.due_at)
        .or(if c.closed_at.is_none() {
            c.clocks.overall_due()
        } else {
            None
        })
}

/// A list row's deadline cells: the status (its CSS class and label, 已结束 once ended) and when
/// the next step is due.
pub(crate) struct DueCells {
    pub status: &'static str,
    pub label: &'static str,
    pub at: String,
}

pub(crate) fn due_cells(c: &CaseRow) -> DueCells {
    let st = status_of(c);
    DueCells {
        status: st.as_str(),
        label: if c.ended_at.is_some() {
            "已结束"
        } else {
            st.label_zh()
        },
        at: next_due(c)
            .filter(|_| c.ended_at.is_none())
            .map(fmt_time)
            .unwrap_or_else(|| "—".into()),
    }
}

/// The most urgent first: overdue, then due soon, then by when it is due.
pub(crate) fn urgent_first(cases: &mut [CaseRow]) {
    cases.sort_by_key(|c| {
        (
            std::cmp::Reverse(status_of(c)),
            next_due(c).map_or(i64::MAX, |t| t.timestamp()),
        )
    });
}

/// The states in which the user's roles have something to do.
/// Per case kind: a state of one workflow may share its name with another's where the user
/// does nothing.
fn todo_states<S: Store>(app: &App<S>, who: &Principal) -> Vec<(String, Vec<String>)> {
    let roles = who.roles();
    let mut pairs = Vec::new();
    for wf in app.workflows.all() {
        let mut states: Vec<String> = wf
            .transitions
            .iter()
            .filter(|t| t.roles.iter().any(|r| roles.contains(r)))
            .flat_map(|t| t.from.iter().cloned())
            .collect();
        states.sort();
        states.dedup();
        if !states.is_empty() {
            for kind in &wf.kinds {
                pairs.push((kind.clone(), states.clone()));
            }
        }
    }
    pairs
}

async fn workbench<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(q): Query<WorkQuery>,
) -> Response {
    match workbench_page(&app, &who, q).await {
        Ok(r) => r,
        Err(e) => WebError(e, Some(Layout::new(&who, "work"))).into_response(),
    }
}

async fn workbench_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    q: WorkQuery,
) -> AppResult<Response> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let todo = q.todo.as_deref() != Some("0");
    let list = ListQuery {
        state: q.state.clone(),
        department_id: parse_opt("department_id", q.department_id.as_deref())?,
        node_id: parse_opt("node_id", q.node_id.as_deref())?,
        overdue: q
            .overdue
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| v == "true"),
        open: q
            .open
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| v == "true"),
        from: q.from.clone(),
        to: q.to.clone(),
        q: q.q.clone(),
        cursor: q.cursor.clone(),
        limit: Some(50),
        ..Default::default()
    };
    let mut filter = list.to_filter(app, who).await?;
    let todo_states = todo_states(app, who);
    if todo {
        // Open cases in a state of their kind's workflow where the user's roles act.
        filter.kind_states = Some(todo_states.clone());
        filter.open = Some(true);
    }
    let rows = app.store.list_cases(&filter).await?;
    let names = Names::load(app).await?;
    let wf = app.workflows.for_kind("general");
    // Key figures over everything the user may see that is open.
    let base = zhili_store::CaseFilter {
        visibility: who.visibility(),
        open: Some(true),
        limit: 1,
        ..Default::default()
    };
    let kpi_open = app.store.count_cases(&base).await?;
    let kpi_overdue = app
        .store
        .count_cases(&zhili_store::CaseFilter {
            overdue: Some(true),
            ..base.clone()
        })
        .await?;
    let kpi_todo = app
        .store
        .count_cases(&zhili_store::CaseFilter {
            kind_states: Some(todo_states),
            ..base.clone()
        })
        .await?;
    let kpi_warning = app
        .store
        .count_cases(&zhili_store::CaseFilter {
            clock_status: Some("warning".into()),
            ..base.clone()
        })
        .await?;
    let next = (rows.len() as i64 == filter.limit).then(|| {
        let last = rows.last().map(|c| c.cursor()).unwrap_or_default();
        let mut pairs: Vec<(&str, String)> = vec![("todo", if todo { "1" } else { "0" }.into())];
        for (k, v) in [
            ("q", &q.q),
            ("state", &q.state),
            ("overdue", &q.overdue),
            ("open", &q.open),
            ("department_id", &q.department_id),
            ("node_id", &q.node_id),
            ("from", &q.from),
            ("to", &q.to),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                pairs.push((k, v.clone()));
            }
        }
        pairs.push(("cursor", last));
        format!(
            "/?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let page = Workbench {
        layout: Layout::new(who, "work"),
        f: FilterView {
            todo,
            q: s(&q.q),
            state: s(&q.state),
            overdue: s(&q.overdue),
            open: s(&q.open),
            department_id: s(&q.department_id),
            node_id: s(&q.node_id),
            from: s(&q.from),
            to: s(&q.to),
        },
        states: wf
            .map(|w| {
                w.states
                    .iter()
                    .map(|st| (st.id.clone(), st.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        departments: names
            .departments
            .iter()
            .map(|(id, n)| (id.to_string(), n.clone()))
            .collect(),
        villages: names
            .nodes
            .iter()
            .filter(|(_, n)| n.1 == NodeKind::Village)
            .map(|(id, n)| (id.to_string(), n.0.clone()))
            .collect(),
        rows: rows
            .iter()
            .map(|c| {
                let st = status_of(c);
                Row {
                    id: c.id,
                    case_no: c.case_no.clone(),
                    title: c.title.clone(),
                    node: names.node(c.node_id),
                    state: app
                        .workflows
                        .for_kind(&c.kind)
                        .map(|w| w.state_name(&c.state))
                        .unwrap_or_else(|| c.state.clone()),
                    department: names.department(c.department_id),
                    status: st.as_str(),
                    status_label: st.label_zh(),
                    due: c.clocks.overall_due().map(fmt_time).unwrap_or_default(),
                    created: fmt_time(c.created_at),
                }
            })
            .collect(),
        next,
        kpi_todo,
        kpi_open,
        kpi_warning,
        kpi_overdue,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    layout: Layout,
    channels: Vec<(&'static str, &'static str)>,
    priorities: Vec<(&'static str, &'static str)>,
    nodes: Vec<(String, String)>,
}

async fn new_case<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    match new_case_page(&app, &who, None).await {
        Ok(r) => r,
        Err(e) => WebError(e, Some(Layout::new(&who, "new"))).into_response(),
    }
}

async fn new_case_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    error: Option<String>,
) -> AppResult<Response> {
    let nodes = app.store.list_nodes().await?;
    // Nodes where the user may register: village and grid level, inside their grants.
    let nodes: Vec<(String, String)> = nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Village | NodeKind::Grid | NodeKind::Town))
        .filter(|n| {
            who.roles_in(zhili_domain::org::Scope {
                node_path: &n.path,
                department_id: None,
            })
            .iter()
            .any(|r| r.may_register())
        })
        .map(|n| {
            let indent = match n.kind {
                NodeKind::Grid => "　　",
                NodeKind::Village => "　",
                _ => "",
            };
            (n.id.to_string(), format!("{indent}{}", n.name))
        })
        .collect();
    let mut layout = Layout::new(who, "new");
    layout.error = error.clone();
    let page = NewCasePage {
        layout,
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_zh()))
            .collect(),
        nodes,
    };
    Ok(render_form(&page, error.is_some()))
}

/// A multipart form's text fields and its `file`, if one was chosen.
pub(crate) async fn read_form(
    mp: &mut Multipart,
) -> AppResult<(HashMap<String, String>, Option<(String, Vec<u8>)>)> {
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::bad_request(e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("file").to_string();
            let data = field.bytes().await.map_err(|e| {
                AppError::new(e.status(), "upload_rejected", e.body_text()).with_field("file")
            })?;
            if !data.is_empty() {
                file = Some((filename, data.to_vec()));
            }
        } else {
            let v = field
                .text()
                .await
                .map_err(|e| AppError::bad_request(e.body_text()))?;
            fields.insert(name, v);
        }
    }
    Ok((fields, file))
}

pub(crate) fn field_str(fields: &HashMap<String, String>, k: &str) -> Option<String> {
    fields
        .get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A form or query value: empty is none, anything else must parse.
fn parse_opt<T: std::str::FromStr>(k: &str, v: Option<&str>) -> AppResult<Option<T>> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| AppError::invalid(k, format!("`{v}` is not valid for {k}")))
        })
        .transpose()
}

pub(crate) fn parse_field<T: std::str::FromStr>(
    fields: &HashMap<String, String>,
    k: &str,
) -> AppResult<Option<T>> {
    parse_opt(k, fields.get(k).map(String::as_str))
}

async fn create_case<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    mut mp: Multipart,
) -> Response {
    let result: AppResult<i64> = async {
        let (fields, file) = read_form(&mut mp).await?;
        who.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
        let attachment_ids = match file {
            Some((name, data)) => vec![app.save_attachment(&who, &name, &data).await?.id],
            None => vec![],
        };
        let party_name = field_str(&fields, "party_name");
        let parties = match party_name {
            Some(name) => vec![PartyInput {
                role: "complainant".into(),
                name,
                id_number: field_str(&fields, "party_id_number"),
                phone: field_str(&fields, "party_phone"),
                address: None,
            }],
            None => vec![],
        };
        let req = CreateCaseRequest {
            kind: "general".into(),
            category: field_str(&fields, "category"),
            channel: field_str(&fields, "channel")
                .unwrap_or_default()
                .parse()
                .map_err(|e: String| AppError::invalid("channel", e))?,
            priority: field_str(&fields, "priority")
                .unwrap_or_else(|| "normal".into())
                .parse()
                .map_err(|e: String| AppError::invalid("priority", e))?,
            title: fields.get("title").cloned().unwrap_or_default(),
            content: fields.get("content").cloned().unwrap_or_default(),
            address: field_str(&fields, "address"),
            lat: None,
            lon: None,
            node_id: Some(
                parse_field(&fields, "node_id")?
                    .ok_or_else(|| AppError::invalid("node_id", "choose a location"))?,
            ),
            department_id: None,
            parties,
            attachment_ids,
        };
        Ok(app.create_case(&who, req).await?.case.id)
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
            new_case_page(&app, &who, Some(msg))
                .await
                .unwrap_or_else(|e| e.into_response())
        }
    }
}

pub struct DeadlineRow {
    name: &'static str,
    span: String,
    due: String,
    status: &'static str,
    status_label: &'static str,
}

pub struct ActionForm {
    id: String,
    name: String,
    letter: bool,
    agreement: bool,
    /// Why it may (not) be taken now: the window it needs.
    window_note: String,
    department: bool,
    note: bool,
    reason: bool,
    extension: bool,
    merge: bool,
    evidence: bool,
}

pub struct PartyRowView {
    id: i64,
    role: String,
    name: String,
    phone: String,
    id_number: String,
}

pub struct TimelineItem {
    kind: String,
    seq: i64,
    at: String,
    actor: String,
    title: String,
    detail: String,
    hash: String,
}

#[derive(Template)]
#[template(path = "case_detail.html")]
struct DetailPage {
    layout: Layout,
    c: super::CaseView,
    status: &'static str,
    status_label: &'static str,
    category: String,
    channel: &'static str,
    priority: &'static str,
    node: String,
    address: String,
    department: String,
    created: String,
    deadlines: Vec<DeadlineRow>,
    paused: bool,
    parties: Vec<PartyRowView>,
    may_reveal: bool,
    attachments: Vec<(i64, String, String)>,
    actions: Vec<ActionForm>,
    departments: Vec<(i64, String)>,
    extension_unit: &'static str,
    comments: Vec<(String, String, String)>,
    timeline: Vec<TimelineItem>,
    links: Vec<(String, i64, String)>,
    may_link: bool,
    link_kinds: Vec<(&'static str, &'static str)>,
    petition: Option<PetitionBox>,
    oversight: Option<crate::oversight::web::OversightBox>,
    risk: Option<crate::risk::web::RiskBox>,
    mediation: Option<crate::mediation::web::MediationBox>,
    documents: Vec<crate::documents::DocumentRef>,
}

/// What the petition module shows on a case page.
pub struct PetitionBox {
    group_size: i64,
    first_receiver: String,
    decision: String,
    rating: String,
    window: String,
    recused: Vec<(String, String)>,
    /// The user may mark staff as recused (回避).
    may_recuse: bool,
    users: Vec<(i64, String)>,
    decisions: Vec<(&'static str, &'static str)>,
}

fn deadline_rows(
    clocks: &CaseClocks,
    ended: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<DeadlineRow> {
    let mut out = Vec::new();
    for (name, c) in [("办理时限", clocks.overall), ("环节时限", clocks.stage)] {
        let Some(c) = c else { continue };
        let closed = name == "办理时限" && clocks.closed_at.is_some();
        let (name, status, status_label) = if c.window {
            // A period for someone to act in (申请期/异议期): open or passed, never overdue.
            let open = now <= c.due_at || clocks.paused_since.is_some();
            ("期间", "normal", if open { "期间内" } else { "已届满" })
        } else if closed {
            let st = if clocks.on_time() == Some(false) {
                ClockStatus::Overdue
            } else {
                ClockStatus::Normal
            };
            (
                name,
                st.as_str(),
                if st == ClockStatus::Overdue {
                    "已办结（超期）"
                } else {
                    "已办结（按期）"
                },
            )
        } else if ended {
            (name, "normal", "已结束")
        } else {
            (name, c.status.as_str(), c.status.label_zh())
        };
        out.push(DeadlineRow {
            name,
            span: c.span.to_string(),
            due: fmt_time(c.due_at),
            status,
            status_label,
        });
    }
    out
}

fn timeline_item<S: Store>(app: &App<S>, names: &Names, kind: &str, e: &EventRow) -> TimelineItem {
    let d = &e.data;
    let s = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let wf = app.workflows.for_kind(kind);
    let state_name = |k: &str| wf.map(|w| w.state_name(&s(k))).unwrap_or_else(|| s(k));
    let (title, detail) = match e.kind.as_str() {
        "created" => (
            "登记".to_string(),
            format!("{}（{}）", s("title"), state_name("state")),
        ),
        "transition" => {
            let mut parts = vec![format!("{} → {}", state_name("from"), state_name("to"))];
            if let Some(dep) = d
                .get("department_id")
                .and_then(|v| v.as_i64())
                .filter(|_| s("action") == "dispatch")
            {
                parts.push(format!("派往 {}", names.department(Some(dep))));
            }
            for k in ["note", "reason"] {
                if !s(k).is_empty() {
                    parts.push(s(k));
                }
            }
            if let Some(x) = d.get("extension").and_then(|v| v.as_u64()) {
                parts.push(format!("延期 {x}"));
            }
            if let Some(dec) = d
                .get("letter")
                .and_then(|l| l.get("decision"))
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<zhili_domain::petition::Decision>().ok())
            {
                parts.push(format!("处理意见：{}", dec.label_zh()));
            }
            if !s("notice").is_empty() {
                parts.push(format!("已告知当事人：{}", s("notice")));
            }
            (s("action_name"), parts.join("；"))
        }
        "urged" => ("催办".into(), s("note")),
        "comment" => ("留言".into(), s("body")),
        "deadline_warning" => (
            format!("临期提醒（{}）", s("clock_name")),
            format!(
                "截止 {}",
                d.get("due_at")
                    .and_then(|v| v.as_str())
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| fmt_time(t.with_timezone(&chrono::Utc)))
                    .unwrap_or_default()
            ),
        ),
        "deadline_overdue" => (
            format!("超期（{}）", s("clock_name")),
            "已升级通报部门负责人、指挥中心和镇领导".into(),
        ),
        "linked" => (
            "关联案件".into(),
            format!(
                "{}{} #{}",
                if s("direction") == "from" {
                    "被关联："
                } else {
                    ""
                },
                s("kind")
                    .parse::<zhili_domain::case::LinkKind>()
                    .map(|k| k.label_zh())
                    .unwrap_or_default(),
                d.get("other_case_id")
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default()
            ),
        ),
        "recused" => ("回避".into(), format!("{}：{}", s("username"), s("reason"))),
        "lead_assigned" => (
            "领导包案".into(),
            format!("{}：{}", s("leader_name"), s("plan")),
        ),
        "lead_extended" => ("包案延期".into(), s("reason")),
        "risk_escalated" => (
            "风险升级".into(),
            format!("{} → {}：{}", s("from_label"), s("to_label"), s("reason")),
        ),
        "risk_regraded" => (
            "风险降级".into(),
            format!("{} → {}：{}", s("from_label"), s("to_label"), s("reason")),
        ),
        "lead_reported" => ("包案报结".into(), s("report")),
        "ledger_listed" => (
            "挂牌".into(),
            format!("责任单位 {}：{}", s("owner_name"), s("reason")),
        ),
        "ledger_criterion_met" => (
            "销号条件达标".into(),
            format!("{}：{}", s("label"), s("note")),
        ),
        "ledger_delisted" => ("销号".into(), s("note")),
        "rated" => (
            "信访人评价".into(),
            s("rating")
                .parse::<zhili_domain::petition::Rating>()
                .map(|r| r.label_zh().to_string())
                .unwrap_or_default(),
        ),
        "personal_data_revealed" => (
            "查看个人信息".into(),
            format!(
                "当事人 #{}",
                d.get("party_id")
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default()
            ),
        ),
        other => (other.to_string(), String::new()),
    };
    TimelineItem {
        kind: e.kind.clone(),
        seq: e.seq,
        at: fmt_time(e.at),
        actor: e.actor_name.clone().unwrap_or_else(|| "系统".into()),
        title,
        detail,
        hash: e.hash[..16].to_string(),
    }
}

pub async fn detail_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    id: i64,
    error: Option<String>,
) -> AppResult<Response> {
    let c = app.case_for(who, id).await?;
    let names = Names::load(app).await?;
    let wf = app.workflows.for_kind(&c.kind);
    let roles = who.roles_in(scope_of(&c));
    let parties = app.store.parties(id).await?;
    let events = app.store.timeline(id).await?;
    let st = status_of(&c);
    let mut layout = Layout::new(who, "work");
    layout.error = error.clone();
    let page = DetailPage {
        layout,
        status: st.as_str(),
        status_label: if c.ended_at.is_some() {
            "已结束"
        } else {
            st.label_zh()
        },
        category: super::category_label(app, &c),
        channel: c.channel.label_zh(),
        priority: c.priority.label_zh(),
        node: names.node(c.node_id),
        address: c.address.clone().unwrap_or_else(|| "—".into()),
        department: names.department(c.department_id),
        created: fmt_time(c.created_at),
        deadlines: deadline_rows(&c.clocks, c.ended_at.is_some(), app.now()),
        paused: c.clocks.paused_since.is_some(),
        parties: parties
            .iter()
            .map(|p| PartyRowView {
                id: p.id,
                role: zhili_domain::case::party_role_label_in(&c.kind, &p.role).to_string(),
                name: p.name_masked.clone(),
                phone: p.phone_masked.clone().unwrap_or_default(),
                id_number: p.id_number_masked.clone().unwrap_or_default(),
            })
            .collect(),
        may_reveal: app.may_reveal(who, &c),
        attachments: {
            let steps = app.attachment_steps(id).await?;
            app.store
                .attachments(id)
                .await?
                .into_iter()
                .map(|a| {
                    let shows = match steps.get(&a.id).and_then(|s| s.1.as_deref()) {
                        Some("before") => EvidenceKind::Before.label_zh(),
                        Some("after") => EvidenceKind::After.label_zh(),
                        _ => "",
                    };
                    (
                        a.id,
                        a.filename,
                        format!("{shows} {} · {} KB", a.mime, (a.size + 1023) / 1024)
                            .trim()
                            .to_string(),
                    )
                })
                .collect()
        },
        actions: app
            .actions_for(who, &c)
            .into_iter()
            .map(|t| ActionForm {
                id: t.id.clone(),
                name: t.name.clone(),
                letter: t.requires.contains(&Field::Letter),
                agreement: t.requires.contains(&Field::Agreement),
                window_note: match (t.window, c.clocks.window(app.now())) {
                    (Some(WindowRule::Open), Some((_, end))) => {
                        format!("期限至 {}（within the period）", fmt_time(end))
                    }
                    (Some(WindowRule::Closed), Some((_, end))) => {
                        format!("{} 后方可办理（after the period）", fmt_time(end))
                    }
                    _ => String::new(),
                },
                department: t.requires.contains(&Field::Department),
                note: t.requires.contains(&Field::Note),
                reason: t.requires.contains(&Field::Reason),
                extension: t.requires.contains(&Field::Extension),
                merge: t.requires.contains(&Field::MergeInto),
                evidence: t.evidence,
            })
            .collect(),
        departments: {
            // An urban case's suggested department (派遣建议) comes first, preselected.
            let suggested = match app.urban_subclass(&c.kind, c.category.as_deref()) {
                Some(sub) => app.suggested_department(&sub.key(), &c.node_path).await?,
                None => None,
            };
            let mut ds: Vec<(i64, String)> = names
                .departments
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            if let Some(d) = suggested
                && let Some(i) = ds.iter().position(|x| x.0 == d.id)
            {
                let (id, name) = ds.remove(i);
                ds.insert(0, (id, format!("{name}（建议 suggested）")));
            }
            ds
        },
        extension_unit: wf
            .and_then(|w| w.extension)
            .map(|e| e.unit.label_zh())
            .unwrap_or("日"),
        comments: app
            .store
            .comments(id)
            .await?
            .into_iter()
            .map(|m| (m.author_name, fmt_time(m.created_at), m.body))
            .collect(),
        timeline: events
            .iter()
            .map(|e| timeline_item(app, &names, &c.kind, e))
            .collect(),
        links: app
            .store
            .links(id)
            .await?
            .into_iter()
            .map(|l| {
                let name = l
                    .kind
                    .parse::<zhili_domain::case::LinkKind>()
                    .map(|k| k.label_zh())
                    .unwrap_or_default();
                let label = if l.incoming {
                    format!("被关联（对方{name}本案）")
                } else {
                    name.to_string()
                };
                (label, l.other_case_id, l.other_case_no)
            })
            .collect(),
        may_link: roles.iter().any(|r| r.may_register()),
        link_kinds: zhili_domain::case::LinkKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_zh()))
            .collect(),
        petition: petition_box(app, who, &c, &names).await?,
        oversight: crate::oversight::web::oversight_box(app, who, &c).await?,
        risk: crate::risk::web::risk_box(app, &c),
        mediation: crate::mediation::web::mediation_box(app, who, &c).await?,
        documents: crate::documents::documents_of(&c, &events),
        c: super::api::case_view(app, &c),
    };
    Ok(render_form(&page, error.is_some()))
}

async fn petition_box<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &CaseRow,
    names: &Names,
) -> AppResult<Option<PetitionBox>> {
    use zhili_domain::org::Role;
    use zhili_domain::petition::{Decision, Rating};
    if c.kind != zhili_domain::petition::KIND {
        return Ok(None);
    }
    let s = |k: &str| {
        c.details
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let roles = who.roles_in(scope_of(c));
    let may_recuse = roles.iter().any(|r| {
        matches!(
            r,
            Role::Leader | Role::PetitionOfficer | Role::Dispatcher | Role::Admin
        )
    });
    let window = match (c.clocks.window(app.now()), c.state.as_str()) {
        (Some((true, end)), "replied") => format!("复查申请期至 {}", fmt_time(end)),
        (Some((true, end)), "reviewed") => format!("复核申请期至 {}", fmt_time(end)),
        (Some((true, end)), _) => format!("异议期至 {}", fmt_time(end)),
        (Some((false, end)), _) => format!("期间已于 {} 届满", fmt_time(end)),
        (None, _) => "—".into(),
    };
    Ok(Some(PetitionBox {
        group_size: c
            .details
            .get("group_size")
            .and_then(|v| v.as_i64())
            .unwrap_or(1),
        first_receiver: match super::first_receiver(c) {
            Some(d) => names.department(Some(d)),
            None => "信访部门 Petition office".into(),
        },
        decision: s("decision")
            .parse::<Decision>()
            .map(|d| d.label_zh().to_string())
            .unwrap_or_else(|_| "—".into()),
        rating: s("rating")
            .parse::<Rating>()
            .map(|r| r.label_zh().to_string())
            .unwrap_or_else(|_| "未评价".into()),
        window,
        recused: c
            .details
            .get("recused")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .map(|r| {
                let g = |k: &str| {
                    r.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                (g("username"), g("reason"))
            })
            .collect(),
        may_recuse,
        users: if may_recuse {
            app.store
                .list_users()
                .await?
                .into_iter()
                .filter(|u| !u.disabled)
                .map(|u| (u.id, format!("{}（{}）", u.display_name, u.username)))
                .collect()
        } else {
            Vec::new()
        },
        decisions: Decision::ALL
            .iter()
            .map(|d| (d.as_str(), d.label_zh()))
            .collect(),
    }))
}

#[derive(Deserialize)]
struct RecusalForm {
    csrf: String,
    user_id: i64,
    reason: String,
}

async fn recusal<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<RecusalForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        app.recuse(&who, id, f.user_id, &f.reason).await?;
        Ok(())
    }
    .await;
    back_to_case(&app, &who, id, "", result, "回避未登记").await
}

/// After a form on a case's page: back to the page (at `anchor`), or the page again with what
/// went wrong; a case the user may not see is an error page.
pub(crate) async fn back_to_case<S: Store>(
    app: &App<S>,
    who: &Principal,
    id: i64,
    anchor: &str,
    result: AppResult<()>,
    failed: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/cases/{id}{anchor}")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            WebError(e, Some(Layout::new(who, "work"))).into_response()
        }
        Err(e) => detail_page(app, who, id, Some(format!("{failed}：{}", e.message)))
            .await
            .unwrap_or_else(|e| e.into_response()),
    }
}

async fn case_detail<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
) -> Response {
    detail_page(&app, &who, id, None)
        .await
        .unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "work"))).into_response())
}

async fn transition<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Response {
    let result: AppResult<()> = async {
        let (fields, file) = read_form(&mut mp).await?;
        who.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
        let attachment_ids = match file {
            Some((name, data)) => vec![app.save_attachment(&who, &name, &data).await?.id],
            None => vec![],
        };
        let req = TransitionRequest {
            action: field_str(&fields, "action").unwrap_or_default(),
            version: parse_field(&fields, "version")?,
            department_id: parse_field(&fields, "department_id")?,
            handler_id: parse_field(&fields, "handler_id")?,
            note: field_str(&fields, "note"),
            reason: field_str(&fields, "reason"),
            extension: parse_field(&fields, "extension")?,
            merge_into: field_str(&fields, "merge_into"),
            letter: field_str(&fields, "letter_decision").map(|decision| super::LetterInput {
                request: field_str(&fields, "letter_request").unwrap_or_default(),
                facts: field_str(&fields, "letter_facts").unwrap_or_default(),
                decision,
                basis: field_str(&fields, "letter_basis").unwrap_or_default(),
            }),
            agreement: field_str(&fields, "agreement_content").map(|content| {
                super::AgreementInput {
                    facts: field_str(&fields, "agreement_facts").unwrap_or_default(),
                    content,
                    performance: field_str(&fields, "agreement_performance").unwrap_or_default(),
                    deadline: field_str(&fields, "agreement_deadline").unwrap_or_default(),
                    oral: field_str(&fields, "agreement_oral").is_some(),
                }
            }),
            attachment_ids,
        };
        app.transition(&who, id, req).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            WebError(e, Some(Layout::new(&who, "work"))).into_response()
        }
        Err(e) => {
            let msg = format!("操作未完成：{}", e.message);
            detail_page(&app, &who, id, Some(msg))
                .await
                .unwrap_or_else(|e| e.into_response())
        }
    }
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    kind: String,
    other_case_no: String,
}

async fn link<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        let req = super::LinkRequest {
            kind: f.kind,
            other_case_id: None,
            other_case_no: Some(f.other_case_no),
        };
        app.link_cases(&who, id, req).await?;
        Ok(())
    }
    .await;
    back_to_case(&app, &who, id, "", result, "关联未完成").await
}

#[derive(Deserialize)]
struct CommentForm {
    csrf: String,
    body: String,
}

async fn comment<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        app.case_for(&who, id).await?;
        let body = super::text("body", &f.body, 1, 5000)?;
        app.store
            .add_comment(id, who.user.id, &body, app.now())
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => WebError(e, Some(Layout::new(&who, "work"))).into_response(),
    }
}

/// htmx: a party's row with the personal data in clear (the reveal is logged).
async fn reveal<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    headers: HeaderMap,
    Path((id, pid)): Path<(i64, i64)>,
) -> Response {
    let csrf = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Err(e) = who.check_csrf(csrf) {
        return e.into_response();
    }
    match app.reveal_party(&who, id, pid).await {
        Ok(p) => {
            let kind = match app.case_for(&who, id).await {
                Ok(c) => c.kind,
                Err(e) => return e.into_response(),
            };
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
            };
            Html(format!(
                "<tr id=\"party-{}\" class=\"revealed\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"notice\">已记录查看</td></tr>",
                p.id,
                esc(zhili_domain::case::party_role_label_in(&kind, &p.role)),
                esc(&p.name),
                esc(p.phone.as_deref().unwrap_or_default()),
                esc(p.id_number.as_deref().unwrap_or_default()),
            ))
            .into_response()
        }
        Err(e) => (
            e.status,
            Html(format!(
                "<tr><td colspan=\"5\" class=\"error\">{}</td></tr>",
                e.message.replace('<', "&lt;")
            )),
        )
            .into_response(),
    }
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/", get(workbench::<S>))
        .route("/cases/new", get(new_case::<S>))
        .route("/cases", post(create_case::<S>))
        .route("/cases/{id}", get(case_detail::<S>))
        .route("/cases/{id}/transitions", post(transition::<S>))
        .route("/cases/{id}/comments", post(comment::<S>))
        .route("/cases/{id}/links", post(link::<S>))
        .route("/cases/{id}/recusals", post(recusal::<S>))
        .route("/cases/{id}/parties/{pid}/reveal", post(reveal::<S>))
}
