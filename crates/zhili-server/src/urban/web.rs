//! 数字城管 pages: the command centre's dispatch board (调度台), the map (地图), the assessment
//! (综合评价), the grid worker's phone report form (巡查上报) and the citizen's page to follow a
//! report by its number (公众查询, no login).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use zhili_domain::clock::ClockStatus;
use zhili_domain::urban::taxonomy::ClassKind;
use zhili_store::{CaseFilter, Store};

use super::URBAN_KIND;
use crate::App;
use crate::auth::WebUser;
use crate::cases::web::Names;
use crate::error::AppError;
use crate::report::IndicatorQuery;
use crate::web::{Layout, WebError, fmt_time, render};

/// One case on the board.
struct Card {
    id: i64,
    case_no: String,
    title: String,
    subclass: String,
    place: String,
    status: &'static str,
    status_name: &'static str,
    due: String,
    channel: &'static str,
}

struct Column {
    state: String,
    name: String,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "urban_board.html")]
struct Board {
    layout: Layout,
    columns: Vec<Column>,
    shown: usize,
    overdue: usize,
    warning: usize,
    limit: i64,
    truncated: bool,
}

/// The most open cases the board shows (newest first).
const BOARD_LIMIT: i64 = 200;

async fn board<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    let layout = || Layout::new(&who, "board");
    let result: Result<Board, AppError> = async {
        let wf = app
            .workflows
            .for_kind(URBAN_KIND)
            .ok_or_else(|| AppError::not_found("the urban workflow"))?;
        let rows = app
            .store
            .list_cases(&CaseFilter {
                visibility: who.visibility(),
                kind: Some(URBAN_KIND.into()),
                open: Some(true),
                limit: BOARD_LIMIT,
                ..Default::default()
            })
            .await?;
        let names = Names::load(&app).await?;
        let mut columns: Vec<Column> = wf
            .states
            .iter()
            .filter(|s| !s.terminal)
            .map(|s| Column {
                state: s.id.clone(),
                name: s.name.clone(),
                cards: Vec::new(),
            })
            .collect();
        let (mut overdue, mut warning) = (0, 0);
        for c in &rows {
            let status = c.clocks.status();
            match status {
                ClockStatus::Overdue => overdue += 1,
                ClockStatus::Warning => warning += 1,
                ClockStatus::Normal => {}
            }
            let Some(col) = columns.iter_mut().find(|col| col.state == c.state) else {
                continue;
            };
            let due = c.clocks.stage.map(|s| s.due_at).or(c.clocks.overall_due());
            col.cards.push(Card {
                id: c.id,
                case_no: c.case_no.clone(),
                title: c.title.clone(),
                subclass: app
                    .taxonomy
                    .by_key(c.category.as_deref().unwrap_or_default())
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                place: names.node(c.node_id),
                status: status.as_str(),
                status_name: status.label_zh(),
                due: due.map(fmt_time).unwrap_or_default(),
                channel: c.channel.label_zh(),
            });
        }
        for col in &mut columns {
            // Most urgent first: overdue, then warning, then by due time.
            col.cards.sort_by(|a, b| {
                let rank = |s: &str| match s {
                    "overdue" => 0,
                    "warning" => 1,
                    _ => 2,
                };
                (rank(a.status), &a.due).cmp(&(rank(b.status), &b.due))
            });
        }
        Ok(Board {
            layout: layout(),
            truncated: rows.len() as i64 == BOARD_LIMIT,
            shown: rows.len(),
            columns,
            overdue,
            warning,
            limit: BOARD_LIMIT,
        })
    }
    .await;
    match result {
        Ok(b) => render(&b),
        Err(e) => WebError(e, Some(layout())).into_response(),
    }
}

#[derive(Template)]
#[template(path = "urban_map.html")]
struct MapPage {
    layout: Layout,
    majors: Vec<(String, String)>,
}

/// Every 大类 as `(code prefix of the category key, label)`, for filters.
fn majors<S: Store>(app: &App<S>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in [ClassKind::Component, ClassKind::Event] {
        for (code, name, _) in app.taxonomy.majors(kind) {
            out.push((
                format!("{}:{code}", kind.as_str()),
                format!("{}·{name}", kind.label_zh()),
            ));
        }
    }
    out
}

async fn map_page<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    render(&MapPage {
        layout: Layout::new(&who, "map"),
        majors: majors(&app),
    })
}

#[derive(Template)]
#[template(path = "urban_report.html")]
struct ReportPage {
    layout: Layout,
    channels: Vec<(&'static str, &'static str)>,
    /// The default: a grid worker's own patrol, else a hotline call taken by the centre.
    channel: &'static str,
    /// `(group label, [(key, name)])`
    groups: Vec<(String, Vec<(String, String)>)>,
}

async fn report_page<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    let groups = subclass_groups(&app);
    use zhili_domain::case::Channel;
    let channels = [
        Channel::GridPatrol,
        Channel::VideoPatrol,
        Channel::Hotline,
        Channel::Phone,
        Channel::Web,
    ]
    .iter()
    .map(|c| (c.as_str(), c.label_zh()))
    .collect();
    let channel = if who.has_role(zhili_domain::org::Role::GridWorker) {
        Channel::GridPatrol
    } else {
        Channel::Hotline
    }
    .as_str();
    render(&ReportPage {
        layout: Layout::new(&who, "report"),
        channels,
        channel,
        groups,
    })
}

#[derive(Template)]
#[template(path = "urban_assessment.html")]
struct Assessment {
    layout: Layout,
    from: String,
    to: String,
    group_by: String,
    rank_by: String,
    groupings: Vec<(&'static str, &'static str)>,
    rankings: Vec<(String, String)>,
    /// 接收, 已处理, 待处理, 办结率.
    seed: Vec<(String, String)>,
    kpis: Vec<(String, String)>,
    headers: Vec<String>,
    group_label: String,
    rows: Vec<(String, String, Vec<String>)>,
    as_of: String,
    /// The chart data, as JSON.
    chart: String,
    unconfirmed: Vec<String>,
}

/// The indicators of RULES.md §3.6 shown on the page, in order.
const SHOWN: &[&str] = &[
    "received",
    "registered",
    "register_rate",
    "dispatched",
    "accurate_dispatch_rate",
    "handled",
    "on_time_handling_rate",
    "closed",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "parked",
    "self_handled",
    "avg_handle_hours",
];

const GROUPINGS: &[(&str, &str)] = &[
    ("department", "承办部门"),
    ("village", "村/社区"),
    ("node", "网格"),
    ("category", "类别"),
    ("month", "月份"),
];

#[derive(Debug, Deserialize, Default)]
struct AssessmentQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    rank_by: Option<String>,
}

async fn assessment<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(q): Query<AssessmentQuery>,
) -> Response {
    let layout = || Layout::new(&who, "assess");
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let group_by = nonempty(&q.group_by).unwrap_or_else(|| "department".into());
    let rank_by = nonempty(&q.rank_by).unwrap_or_else(|| "on_time_handling_rate".into());
    let query = IndicatorQuery {
        from: nonempty(&q.from),
        to: nonempty(&q.to),
        group_by: Some(group_by.clone()),
        kind: Some(URBAN_KIND.into()),
        rank_by: Some(rank_by.clone()),
        ..Default::default()
    };
    let result = async {
        let report = app.indicators(&who, &query).await?;
        let monthly = app
            .indicators(
                &who,
                &IndicatorQuery {
                    group_by: Some("month".into()),
                    rank_by: None,
                    ..query.clone()
                },
            )
            .await?;
        Ok::<_, AppError>((report, monthly))
    }
    .await;
    let (report, monthly) = match result {
        Ok(r) => r,
        Err(e) => return WebError(e, Some(layout())).into_response(),
    };
    let def = |id: &str| app.indicator_defs.iter().find(|d| d.id == id);
    let name = |id: &str| def(id).map(|d| d.name_zh.to_string()).unwrap_or_default();
    let shown = |r: &crate::report::IndicatorRow| {
        SHOWN
            .iter()
            .map(|id| r.display.get(*id).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let value = |r: &crate::report::IndicatorRow, id: &str, scale: f64| match r
        .values
        .get(id)
        .copied()
        .flatten()
    {
        Some(x) => serde_json::json!((x * scale * 100.0).round() / 100.0),
        None => serde_json::Value::Null,
    };
    let rank_scale = if def(&rank_by).is_some_and(|d| d.is_rate()) {
        100.0
    } else {
        1.0
    };
    let chart = serde_json::json!({
        "ranking": {
            "name": name(&rank_by),
            "labels": report.rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>(),
            "values": report.rows.iter().map(|r| value(r, &rank_by, rank_scale)).collect::<Vec<_>>(),
            "percent": rank_scale > 1.0,
        },
        "trend": {
            "months": monthly.rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>(),
            "received": monthly.rows.iter().map(|r| value(r, "received", 1.0)).collect::<Vec<_>>(),
            "registered": monthly.rows.iter().map(|r| value(r, "registered", 1.0)).collect::<Vec<_>>(),
            "concluded": monthly.rows.iter().map(|r| value(r, "concluded", 1.0)).collect::<Vec<_>>(),
            "on_time_handling_rate": monthly.rows.iter().map(|r| value(r, "on_time_handling_rate", 100.0)).collect::<Vec<_>>(),
        },
    })
    .to_string();
    let date = |t| {
        zhili_domain::clock::to_local(t)
            .format("%Y-%m-%d")
            .to_string()
    };
    let total = |id: &str| {
        (
            name(id),
            report.total.display.get(id).cloned().unwrap_or_default(),
        )
    };
    render(&Assessment {
        layout: layout(),
        from: date(report.from),
        to: date(report.to),
        group_label: GROUPINGS
            .iter()
            .find(|g| g.0 == group_by)
            .map(|g| g.1.to_string())
            .unwrap_or_default(),
        group_by,
        rankings: SHOWN
            .iter()
            .filter_map(|id| def(id))
            .filter(|d| d.is_rate())
            .map(|d| (d.id.to_string(), d.name_zh.to_string()))
            .collect(),
        rank_by,
        groupings: GROUPINGS.to_vec(),
        seed: vec![
            ("接收".into(), total("received").1),
            ("已处理".into(), total("concluded").1),
            ("待处理".into(), total("pending").1),
            ("办结率".into(), total("handled_rate").1),
        ],
        kpis: SHOWN.iter().map(|id| total(id)).collect(),
        headers: SHOWN.iter().map(|id| name(id)).collect(),
        rows: report
            .rows
            .iter()
            .map(|r| {
                (
                    r.rank.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
                    r.label.clone(),
                    shown(r),
                )
            })
            .collect(),
        as_of: fmt_time(report.as_of),
        chart,
        unconfirmed: SHOWN
            .iter()
            .filter_map(|id| def(id))
            .filter(|d| d.unconfirmed)
            .map(|d| {
                format!(
                    "{}＝{}（v{}，{}）",
                    d.name_zh,
                    d.formula(),
                    d.version,
                    d.source
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "track.html")]
struct Track {
    no: String,
    found: Option<Vec<(&'static str, String)>>,
    steps: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct TrackQuery {
    no: Option<String>,
}

/// 公众查询: anyone may follow an urban report by its number: what the public Open311 view
/// shows, and the steps it went through (names and times only: no notes, no people).
async fn track<S: Store>(State(app): State<App<S>>, Query(q): Query<TrackQuery>) -> Response {
    let no = q.no.unwrap_or_default().trim().to_uppercase();
    let mut page = Track {
        no: no.clone(),
        found: None,
        steps: Vec::new(),
        error: None,
    };
    if no.is_empty() {
        return render(&page);
    }
    let Ok(c) = app.open311_case(&no).await else {
        page.error = Some(format!(
            "未找到编号为 {no} 的案件（No report with this number）"
        ));
        return render(&page);
    };
    let depts = match app.store.list_departments().await {
        Ok(d) => d,
        Err(e) => return AppError::from(e).into_response(),
    };
    let v = app.open311_request(&c, &depts).await.to_json();
    let s = |k: &str| v[k].as_str().unwrap_or("—").to_string();
    let when = |k: &str| {
        v[k].as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| fmt_time(t.to_utc()))
            .unwrap_or_else(|| "—".into())
    };
    page.found = Some(vec![
        ("案件编号 Number", s("service_request_id")),
        (
            "状态 Status",
            format!(
                "{}（{}）",
                s("status_notes"),
                if s("status") == "closed" {
                    "已办结"
                } else {
                    "办理中"
                }
            ),
        ),
        ("类别 Service", s("service_name")),
        ("内容 Description", s("description")),
        ("地址 Address", s("address")),
        ("承办单位 Agency", s("agency_responsible")),
        ("上报时间 Reported", when("requested_datetime")),
        ("预计办结 Expected", when("expected_datetime")),
        ("最近更新 Updated", when("updated_datetime")),
        ("时限 Notice", s("service_notice")),
    ]);
    let wf = app.workflows.for_kind(&c.kind);
    // A report merged as a duplicate goes on with the case it joined.
    let mut followed = vec![(c.id, String::new())];
    if let Some(main) = c.merged_into
        && let Ok(m) = app.store.get_case(main).await
    {
        followed.push((m.id, format!("（{}）", m.case_no)));
    }
    for (id, tag) in followed {
        let Ok(tl) = app.store.timeline(id).await else {
            continue;
        };
        for e in tl {
            let step = match e.kind.as_str() {
                "created" => "已上报 Reported".to_string(),
                "transition" => {
                    let to = e.data["to"].as_str().unwrap_or_default();
                    match wf.and_then(|w| w.state(to)) {
                        Some(st) => st.name.clone(),
                        None => continue,
                    }
                }
                _ => continue,
            };
            page.steps.push((fmt_time(e.at), format!("{tag}{step}")));
        }
    }
    page.steps.sort();
    render(&page)
}

#[derive(Template)]
#[template(path = "public_report.html")]
struct PublicReport {
    groups: Vec<(String, Vec<(String, String)>)>,
    error: Option<String>,
    made: Option<String>,
}

/// The subclasses grouped by kind and 大类, for the forms' selects.
fn subclass_groups<S: Store>(app: &App<S>) -> Vec<(String, Vec<(String, String)>)> {
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for s in &app.taxonomy.subclasses {
        let label = format!("{}·{}", s.kind.label_zh(), s.major_name);
        match groups.iter_mut().find(|g| g.0 == label) {
            Some(g) => g.1.push((s.key(), s.name.clone())),
            None => groups.push((label, vec![(s.key(), s.name.clone())])),
        }
    }
    groups
}

async fn public_report_page<S: Store>(State(app): State<App<S>>) -> Response {
    render(&PublicReport {
        groups: subclass_groups(&app),
        error: None,
        made: None,
    })
}

/// 市民上报: a citizen's report from the public page, made by the server's own reporter
/// account (上报终端 `public-web`), channel 网上; it enters the workflow awaiting 核实.
async fn public_report_post<S: Store>(
    State(app): State<App<S>>,
    mut mp: axum::extract::Multipart,
) -> Response {
    use crate::cases::web::{field_str, parse_field, read_form};
    let result: Result<String, AppError> = async {
        let (fields, file) = read_form(&mut mp).await?;
        let who = app.public_reporter().await?;
        let attachment_ids = match file {
            Some((name, data)) => vec![app.save_attachment(&who, &name, &data).await?.id],
            None => vec![],
        };
        let category = field_str(&fields, "category")
            .ok_or_else(|| AppError::invalid("category", "请选择问题类别 choose what it is"))?;
        let lon: Option<f64> = parse_field(&fields, "lon")?;
        let lat: Option<f64> = parse_field(&fields, "lat")?;
        let address = field_str(&fields, "address");
        if lon.is_none() && address.is_none() {
            return Err(AppError::invalid(
                "address",
                "请在地图上点选位置或填写地址 give the place",
            ));
        }
        let sub = app
            .taxonomy
            .by_key(&category)
            .ok_or_else(|| AppError::invalid("category", "no such class"))?;
        let parties = match field_str(&fields, "party_name") {
            Some(name) => vec![crate::cases::PartyInput {
                role: "complainant".into(),
                name,
                phone: field_str(&fields, "party_phone"),
                ..Default::default()
            }],
            None => vec![],
        };
        let node_id = match lon {
            Some(_) => None,
            None => who
                .grants
                .first()
                .and_then(|g| g.node_path.as_deref())
                .and_then(|p| p.trim_end_matches('/').rsplit('/').next()?.parse().ok()),
        };
        let made = app
            .create_case(
                &who,
                crate::cases::CreateCaseRequest {
                    kind: URBAN_KIND.into(),
                    category: Some(category.clone()),
                    channel: zhili_domain::case::Channel::Web,
                    priority: zhili_domain::case::Priority::Normal,
                    title: match &address {
                        Some(a) => format!("{}：{a}", sub.name),
                        None => sub.name.clone(),
                    },
                    content: field_str(&fields, "content").unwrap_or_else(|| sub.name.clone()),
                    address,
                    lat,
                    lon,
                    node_id,
                    department_id: None,
                    parties,
                    attachment_ids,
                },
            )
            .await?;
        Ok(made.case.case_no)
    }
    .await;
    match result {
        Ok(no) => render(&PublicReport {
            groups: subclass_groups(&app),
            error: None,
            made: Some(no),
        }),
        Err(e) => {
            let mut r = render(&PublicReport {
                groups: subclass_groups(&app),
                error: Some(format!("未能提交：{}", e.message)),
                made: None,
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

/// The villages' outlines for the public form's map (administrative boundaries are public).
async fn public_areas<S: Store>(State(app): State<App<S>>) -> Response {
    match app
        .export_geojson(zhili_domain::org::NodeKind::Village, None)
        .await
    {
        Ok(fc) => (
            [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
            fc.to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/urban/board", get(board::<S>))
        .route("/urban/map", get(map_page::<S>))
        .route("/urban/report", get(report_page::<S>))
        .route("/urban/assessment", get(assessment::<S>))
        .route("/track", get(track::<S>))
        .route("/public/areas", get(public_areas::<S>))
        .route(
            "/public/report",
            get(public_report_page::<S>).post(public_report_post::<S>),
        )
}
