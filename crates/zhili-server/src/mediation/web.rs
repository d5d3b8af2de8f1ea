//! Mediation pages: the mediators' workbench (调解工作台: their cases and the applications waiting
//! for their committee, the most urgent first; the committees' figures), registering a dispute
//! (调解登记), the committees' register (调委会名册) and the subsidy payment ledger (以案定补台账);
//! the mediation box of a case page with the subsidy forms.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhili_domain::case::{Channel, kind_label};
use zhili_domain::mediation::{self as rules, Start};
use zhili_domain::org::Role;
use zhili_store::{CaseFilter, CaseRow, Store};

use super::{
    CommitteeRequest, KINDS, MediationFacts, MediationRequest, PaidRequest, PersonInput,
    SubsidyRequest, SubsidyRow,
};
use crate::App;
use crate::auth::{Principal, WebUser};
use crate::cases::web::{DueCells, Names, back_to_case, due_cells, status_of, urgent_first};
use crate::cases::{PartyInput, scope_of};
use crate::error::{AppError, AppResult};
use crate::report::IndicatorQuery;
use crate::web::{Layout, WebError, fmt_time, render, render_form};

/// The channels a dispute comes in by.
const CHANNELS: [Channel; 5] = [
    Channel::Visit,
    Channel::Phone,
    Channel::Letter,
    Channel::Web,
    Channel::Other,
];

fn failed(e: &AppError) -> String {
    format!(
        "{}{}",
        e.message,
        e.field
            .as_ref()
            .map(|f| format!("（{f}）"))
            .unwrap_or_default()
    )
}

// ---- the workbench -------------------------------------------------------------------------

pub struct Row {
    id: i64,
    case_no: String,
    title: String,
    category: String,
    start: String,
    committee: String,
    state: String,
    due: DueCells,
    created: String,
}

#[derive(Template)]
#[template(path = "mediation_list.html")]
struct ListPage {
    layout: Layout,
    kind: String,
    scope: String,
    open: String,
    q: String,
    /// Kind, label, open cases in the scope.
    tabs: Vec<(&'static str, &'static str, i64)>,
    overdue: usize,
    rows: Vec<Row>,
    figures: Vec<(String, String)>,
    /// This year's figures per committee (people's mediation): name, accepted, succeeded, rate,
    /// subsidy.
    committees: Vec<(String, String, String, String, String)>,
}

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    kind: Option<String>,
    scope: Option<String>,
    open: Option<String>,
    q: Option<String>,
}

/// A mediator's own cases: those they accepted, and the applications waiting in the committees
/// (or places) their mediator grants cover.
async fn mine<S: Store>(
    app: &App<S>,
    who: &Principal,
    base: &CaseFilter,
) -> AppResult<Vec<CaseRow>> {
    let mut rows = app
        .store
        .list_cases(&CaseFilter {
            handler_id: Some(who.user.id),
            ..base.clone()
        })
        .await?;
    let initial = base
        .kind
        .as_deref()
        .and_then(|k| app.workflows.for_kind(k))
        .map(|w| w.initial.clone());
    if let Some(initial) = initial.filter(|_| base.open != Some(false)) {
        for g in who.grants.iter().filter(|g| g.role == Role::Mediator) {
            let waiting = app
                .store
                .list_cases(&CaseFilter {
                    states: Some(vec![initial.clone()]),
                    department_id: g.department_id,
                    node_path: g.node_path.clone().filter(|_| g.department_id.is_none()),
                    ..base.clone()
                })
                .await?;
            for c in waiting {
                if !rows.iter().any(|r| r.id == c.id) {
                    rows.push(c);
                }
            }
        }
    }
    Ok(rows)
}

async fn list<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(p): Query<ListParams>,
) -> Response {
    list_page(&app, &who, p)
        .await
        .unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "mediation"))).into_response())
}

async fn list_page<S: Store>(app: &App<S>, who: &Principal, p: ListParams) -> AppResult<Response> {
    let kind = p
        .kind
        .filter(|k| KINDS.contains(&k.as_str()))
        .unwrap_or_else(|| rules::KIND.into());
    let is_mediator = who.roles().contains(&Role::Mediator);
    let scope = match p.scope.as_deref() {
        Some("mine") => "mine",
        Some("all") => "all",
        _ if is_mediator => "mine",
        _ => "all",
    }
    .to_string();
    let open = p.open.unwrap_or_else(|| "true".into());
    let base = |k: &str| CaseFilter {
        visibility: who.visibility(),
        kind: Some(k.into()),
        open: match open.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        text: p.q.clone().filter(|q| !q.trim().is_empty()),
        limit: 500,
        ..Default::default()
    };
    let rows_of = |k: &str| {
        let f = base(k);
        let scope = scope.clone();
        async move {
            if scope == "mine" {
                mine(app, who, &f).await
            } else {
                app.store.list_cases(&f).await.map_err(AppError::from)
            }
        }
    };
    let mut tabs = Vec::new();
    for k in KINDS {
        let n = if scope == "mine" {
            let f = CaseFilter {
                open: Some(true),
                text: None,
                ..base(k)
            };
            mine(app, who, &f).await?.len() as i64
        } else {
            app.store
                .count_cases(&CaseFilter {
                    open: Some(true),
                    text: None,
                    limit: 1,
                    ..base(k)
                })
                .await?
        };
        tabs.push((k, kind_label(k), n));
    }
    let mut cases = rows_of(&kind).await?;
    urgent_first(&mut cases);
    let names = Names::load(app).await?;
    let wf = app.workflows.for_kind(&kind);
    let overdue = cases
        .iter()
        .filter(|c| status_of(c) == zhili_domain::clock::ClockStatus::Overdue)
        .count();
    let rows = cases
        .iter()
        .map(|c| Row {
            id: c.id,
            case_no: c.case_no.clone(),
            title: c.title.clone(),
            category: c
                .category
                .as_deref()
                .and_then(rules::category_label)
                .unwrap_or("—")
                .into(),
            start: c
                .details
                .get("start")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Start>().ok())
                .map(|s| s.label_zh())
                .unwrap_or("—")
                .into(),
            committee: names.department(c.department_id),
            state: wf
                .map(|w| w.state_name(&c.state))
                .unwrap_or_else(|| c.state.clone()),
            due: due_cells(c),
            created: fmt_time(c.created_at),
        })
        .collect();
    let mut committees = Vec::new();
    if kind == rules::KIND {
        let r = app
            .indicators(
                who,
                &IndicatorQuery {
                    kind: Some(kind.clone()),
                    group_by: Some("department".into()),
                    rank_by: Some("mediation_received".into()),
                    ..Default::default()
                },
            )
            .await?;
        for row in r.rows {
            let d = |k: &str| row.display.get(k).cloned().unwrap_or_default();
            committees.push((
                row.label.clone(),
                d("mediation_received"),
                d("mediation_succeeded"),
                d("mediation_success_rate"),
                d("mediation_subsidy"),
            ));
        }
    }
    Ok(render(&ListPage {
        layout: Layout::new(who, "mediation"),
        figures: app.module_figures(who, &kind).await?,
        kind,
        scope,
        open,
        q: p.q.unwrap_or_default(),
        tabs,
        overdue,
        rows,
        committees,
    }))
}

// ---- registering a dispute ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mediation_new.html")]
struct NewPage {
    layout: Layout,
    channels: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    starts: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    nodes: Vec<(i64, String)>,
    /// Committees first, then the other units.
    departments: Vec<(i64, String)>,
    form: HashMap<String, String>,
}

impl NewPage {
    fn v(&self, k: &str) -> &str {
        self.form.get(k).map(String::as_str).unwrap_or_default()
    }
}

async fn new_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    error: Option<String>,
    form: HashMap<String, String>,
) -> AppResult<Response> {
    let nodes = crate::cases::web::places(app).await?;
    let committees = app.store.committees().await?;
    // The caller's own committees first.
    let own: Vec<i64> = who
        .grants
        .iter()
        .filter(|g| g.role == Role::Mediator)
        .filter_map(|g| g.department_id)
        .collect();
    let mut departments: Vec<(i64, String)> = committees
        .iter()
        .map(|c| (c.department.id, c.department.name.clone()))
        .collect();
    departments.sort_by_key(|d| (!own.contains(&d.0), d.0));
    for d in app.store.list_departments().await? {
        if !departments.iter().any(|x| x.0 == d.id) {
            departments.push((d.id, d.name));
        }
    }
    let mut layout = Layout::new(who, "mediation");
    layout.error = error.clone();
    let page = NewPage {
        layout,
        channels: CHANNELS
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        categories: rules::CATEGORIES.to_vec(),
        starts: Start::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_zh()))
            .collect(),
        kinds: KINDS.iter().map(|k| (*k, kind_label(k))).collect(),
        nodes,
        departments,
        form,
    };
    Ok(render_form(&page, error.is_some()))
}

async fn new_form<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    new_page(&app, &who, None, Default::default())
        .await
        .unwrap_or_else(|e| e.into_response())
}

async fn create<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Form(mut f): Form<HashMap<String, String>>,
) -> Response {
    let result: AppResult<i64> = async {
        who.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
        let get = |k: &str| {
            f.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let num = |k: &str| -> AppResult<Option<i64>> {
            get(k)
                .map(|v| {
                    v.parse()
                        .map_err(|_| AppError::invalid(k, format!("`{v}` is not a number")))
                })
                .transpose()
        };
        let kind = get("kind").unwrap_or_else(|| rules::KIND.into());
        let party = |prefix: &str, role: &str| {
            get(&format!("{prefix}_name")).map(|name| PartyInput {
                role: role.into(),
                name,
                id_number: get(&format!("{prefix}_id_number")),
                phone: get(&format!("{prefix}_phone")),
                address: get(&format!("{prefix}_address")),
            })
        };
        let start = get("start").filter(|_| kind == rules::KIND);
        // Taken up by the committee, the first side is a party, not an applicant.
        let first_role = if start.as_deref() == Some(Start::Committee.as_str()) {
            "party"
        } else {
            "applicant"
        };
        let req = MediationRequest {
            channel: get("channel")
                .unwrap_or_default()
                .parse()
                .map_err(|e: String| AppError::invalid("channel", e))?,
            category: get("category"),
            title: get("title").unwrap_or_default(),
            content: get("content").unwrap_or_default(),
            node_id: num("node_id")?
                .ok_or_else(|| AppError::invalid("node_id", "choose where the dispute is"))?,
            department_id: num("department_id")?,
            address: get("address"),
            parties: [party("a", first_role), party("b", "respondent")]
                .into_iter()
                .flatten()
                .collect(),
            attachment_ids: vec![],
            start,
            kind,
        };
        Ok(app.register_mediation(&who, req).await?.id)
    }
    .await;
    match result {
        Ok(id) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => {
            f.remove("csrf");
            new_page(&app, &who, Some(format!("登记失败：{}", failed(&e))), f)
                .await
                .unwrap_or_else(|e| e.into_response())
        }
    }
}

// ---- the committees' register ---------------------------------------------------------------

pub struct CommitteeCard {
    id: i64,
    name: String,
    place: String,
    term: String,
    /// The term has ended: the committee is due for re-election (第9条).
    expired: bool,
    /// Name, gender, chair, member (not a registered mediator), has an account.
    people: Vec<(String, &'static str, bool, bool, bool)>,
    members: usize,
    women: usize,
    registered: usize,
}

#[derive(Template)]
#[template(path = "mediation_committees.html")]
struct CommitteesPage {
    layout: Layout,
    cards: Vec<CommitteeCard>,
    may_keep: bool,
    villages: Vec<(i64, String)>,
    users: Vec<(i64, String)>,
    form: HashMap<String, String>,
}

impl CommitteesPage {
    fn v(&self, k: &str) -> &str {
        self.form.get(k).map(String::as_str).unwrap_or_default()
    }
    fn member(&self, i: &usize, k: &str) -> &str {
        self.v(&format!("m{i}_{k}"))
    }
}

/// Member rows on the form: a committee has up to nine (第9条).
const MEMBER_ROWS: usize = rules::MAX_MEMBERS;

async fn committees_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    error: Option<String>,
    form: HashMap<String, String>,
) -> AppResult<Response> {
    let names = Names::load(app).await?;
    let today = zhili_domain::clock::to_local(app.now()).date().to_string();
    let cards = app
        .store
        .committees()
        .await?
        .iter()
        .map(|c| CommitteeCard {
            id: c.id,
            name: c.department.name.clone(),
            place: names.node(c.department.node_id),
            term: format!("{} 至 {}", c.term_start, c.term_end),
            expired: c.term_end < today,
            members: c.people.iter().filter(|p| p.is_member).count(),
            women: c
                .people
                .iter()
                .filter(|p| p.is_member && p.gender == "female")
                .count(),
            registered: c.people.iter().filter(|p| !p.is_member).count(),
            people: c
                .people
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        if p.gender == "female" { "女" } else { "男" },
                        p.is_chair,
                        p.is_member,
                        p.user_id.is_some(),
                    )
                })
                .collect(),
        })
        .collect();
    let may_keep = who
        .roles()
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Leader));
    let villages = crate::cases::web::places(app).await?;
    let users = if may_keep {
        app.store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| (u.id, format!("{}（{}）", u.display_name, u.username)))
            .collect()
    } else {
        Vec::new()
    };
    let mut layout = Layout::new(who, "mediation");
    layout.error = error.clone();
    Ok(render_form(
        &CommitteesPage {
            layout,
            cards,
            may_keep,
            villages,
            users,
            form,
        },
        error.is_some(),
    ))
}

async fn committees<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    committees_page(&app, &who, None, Default::default())
        .await
        .unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "mediation"))).into_response())
}

fn person_of(
    f: &HashMap<String, String>,
    prefix: &str,
    chair: bool,
) -> AppResult<Option<PersonInput>> {
    let get = |k: &str| {
        f.get(&format!("{prefix}_{k}"))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let Some(name) = get("name") else {
        return Ok(None);
    };
    Ok(Some(PersonInput {
        name,
        gender: get("gender").unwrap_or_default(),
        user_id: get("user_id")
            .map(|v| {
                v.parse()
                    .map_err(|_| AppError::invalid(&format!("{prefix}.user_id"), "not a user"))
            })
            .transpose()?,
        chair,
    }))
}

async fn create_committee<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Form(mut f): Form<HashMap<String, String>>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
        let chair = f.get("chair").cloned().unwrap_or_default();
        let mut members = Vec::new();
        for i in 0..MEMBER_ROWS {
            if let Some(p) = person_of(&f, &format!("m{i}"), chair == i.to_string())? {
                members.push(p);
            }
        }
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        app.create_committee(
            &who,
            CommitteeRequest {
                node_id: get("node_id")
                    .parse()
                    .map_err(|_| AppError::invalid("node_id", "choose the village"))?,
                code: get("code"),
                name: get("name"),
                term_start: get("term_start"),
                members,
            },
        )
        .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/mediation/committees").into_response(),
        Err(e) => {
            f.remove("csrf");
            committees_page(&app, &who, Some(format!("未设立：{}", failed(&e))), f)
                .await
                .unwrap_or_else(|e| e.into_response())
        }
    }
}

async fn add_mediator<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
        let p = person_of(&f, "p", false)?
            .ok_or_else(|| AppError::invalid("name", "the mediator's name"))?;
        app.register_mediator(&who, id, p).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/mediation/committees#committee-{id}")).into_response(),
        Err(e) => committees_page(
            &app,
            &who,
            Some(format!("未备案：{}", failed(&e))),
            HashMap::new(),
        )
        .await
        .unwrap_or_else(|e| e.into_response()),
    }
}

// ---- the subsidy ledger ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mediation_subsidies.html")]
struct SubsidiesPage {
    layout: Layout,
    /// false (to be paid), true (paid) or all
    paid_filter: String,
    committee: String,
    committees: Vec<String>,
    /// The rows that match, before the page's cap.
    matching: usize,
    rows: Vec<SubsidyRow>,
    approved: String,
    paid: String,
    unpaid: String,
    unpaid_cases: usize,
    may_pay: bool,
    grades: Vec<(String, String)>,
}

impl SubsidiesPage {
    fn time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.map(fmt_time).unwrap_or_default()
    }
    /// A stored RFC 3339 time as shown.
    fn stamp(t: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| fmt_time(t.with_timezone(&chrono::Utc)))
            .unwrap_or_else(|_| t.to_string())
    }
}

/// The ledger shows at most this many rows at once.
const LEDGER_ROWS: usize = 300;

#[derive(Debug, Deserialize, Default)]
struct LedgerParams {
    paid: Option<String>,
    committee: Option<String>,
}

async fn subsidies_page<S: Store>(
    app: &App<S>,
    who: &Principal,
    p: LedgerParams,
    error: Option<String>,
) -> AppResult<Response> {
    let rows = app.subsidy_ledger(who).await?;
    let paid_filter = p.paid.unwrap_or_else(|| "false".into());
    let committee = p.committee.unwrap_or_default();
    let mut committees: Vec<String> = rows.iter().map(|r| r.committee.clone()).collect();
    committees.sort();
    committees.dedup();
    let shown: Vec<SubsidyRow> = rows
        .iter()
        .filter(|r| match paid_filter.as_str() {
            "false" => r.paid_at.is_none(),
            "true" => r.paid_at.is_some(),
            _ => true,
        })
        .filter(|r| committee.is_empty() || r.committee == committee)
        .cloned()
        .collect();
    let sum = |paid: Option<bool>| {
        rows.iter()
            .filter(|r| paid.is_none_or(|p| r.paid_at.is_some() == p))
            .map(|r| r.amount_fen)
            .sum::<i64>()
    };
    let mut layout = Layout::new(who, "mediation");
    layout.error = error.clone();
    let page = SubsidiesPage {
        layout,
        approved: rules::yuan(sum(None)),
        paid: rules::yuan(sum(Some(true))),
        unpaid: rules::yuan(sum(Some(false))),
        unpaid_cases: rows.iter().filter(|r| r.paid_at.is_none()).count(),
        may_pay: who
            .roles()
            .iter()
            .any(|r| matches!(r, Role::Admin | Role::Leader)),
        grades: app
            .mechanisms
            .subsidy_grades
            .iter()
            .map(|g| (g.label.clone(), rules::yuan(g.amount_fen)))
            .collect(),
        paid_filter,
        committee,
        committees,
        matching: shown.len(),
        rows: shown.into_iter().take(LEDGER_ROWS).collect(),
    };
    Ok(render_form(&page, error.is_some()))
}

async fn subsidies<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(p): Query<LedgerParams>,
) -> Response {
    subsidies_page(&app, &who, p, None)
        .await
        .unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "mediation"))).into_response())
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    csrf: String,
    note: String,
}

/// Record a payment from a form (the ledger's row or the case page).
async fn pay<S: Store>(app: &App<S>, who: &Principal, id: i64, f: NoteForm) -> AppResult<()> {
    who.check_csrf(&f.csrf)?;
    app.pay_subsidy(who, id, PaidRequest { note: f.note })
        .await?;
    Ok(())
}

async fn ledger_paid<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    let result = pay(&app, &who, id, f).await;
    match result {
        Ok(()) => Redirect::to("/mediation/subsidies?paid=all").into_response(),
        Err(e) => subsidies_page(
            &app,
            &who,
            LedgerParams::default(),
            Some(format!("未登记支付：{}", failed(&e))),
        )
        .await
        .unwrap_or_else(|e| e.into_response()),
    }
}

// ---- the case page --------------------------------------------------------------------------

/// What a case page shows of a mediation.
pub struct MediationBox {
    pub facts: MediationFacts,
    /// The judicial-confirmation period (people's mediation, after an agreement).
    pub window_end: Option<String>,
    /// A leader or admin over the case: approves and pays the subsidy.
    pub may_approve: bool,
    /// Grade id, label with amount.
    pub grades: Vec<(String, String)>,
}

pub async fn mediation_box<S: Store>(
    app: &App<S>,
    who: &Principal,
    c: &CaseRow,
) -> AppResult<Option<MediationBox>> {
    if !KINDS.contains(&c.kind.as_str()) {
        return Ok(None);
    }
    let facts = app.mediation_facts(who, c).await?;
    let window_end = match (facts.window_open, facts.window_ends_at) {
        (Some(true), Some(end)) => Some(format!("可于 {} 前共同申请（apply by）", fmt_time(end))),
        (Some(false), Some(end)) => Some(format!("申请期已于 {} 届满", fmt_time(end))),
        _ => None,
    };
    let may_approve = super::is_mediation(c)
        && who
            .roles_in(scope_of(c))
            .iter()
            .any(|r| matches!(r, Role::Leader | Role::Admin));
    Ok(Some(MediationBox {
        facts,
        window_end,
        may_approve,
        grades: app
            .mechanisms
            .subsidy_grades
            .iter()
            .map(|g| {
                (
                    g.id.clone(),
                    format!("{} {}", g.label, rules::yuan(g.amount_fen)),
                )
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
struct SubsidyForm {
    csrf: String,
    grade: String,
    note: String,
}

async fn approve<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<SubsidyForm>,
) -> Response {
    let result: AppResult<()> = async {
        who.check_csrf(&f.csrf)?;
        app.approve_subsidy(
            &who,
            id,
            SubsidyRequest {
                grade: f.grade,
                note: f.note,
            },
        )
        .await?;
        Ok(())
    }
    .await;
    back_to_case(&app, &who, id, "#mediation", result, "补贴未核定").await
}

async fn case_paid<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    let result = pay(&app, &who, id, f).await;
    back_to_case(&app, &who, id, "#mediation", result, "未登记支付").await
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/mediation", get(list::<S>).post(create::<S>))
        .route("/mediation/new", get(new_form::<S>))
        .route(
            "/mediation/committees",
            get(committees::<S>).post(create_committee::<S>),
        )
        .route(
            "/mediation/committees/{id}/mediators",
            post(add_mediator::<S>),
        )
        .route("/mediation/subsidies", get(subsidies::<S>))
        .route("/mediation/subsidies/{id}/paid", post(ledger_paid::<S>))
        .route("/cases/{id}/subsidy", post(approve::<S>))
        .route("/cases/{id}/subsidy/paid", post(case_paid::<S>))
}
