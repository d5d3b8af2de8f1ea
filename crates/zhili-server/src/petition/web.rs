//! Petition pages: the petition officers' workbench (信访工作台), intake (信访登记), and the
//! petitioner's own page (信访查询与评价) with the number and code they were given.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use zhili_domain::petition::{Category, KIND};
use zhili_store::{CaseFilter, Store};

use super::{CHANNELS, PetitionCreated, PetitionRequest, PublicPetition};
use crate::App;
use crate::auth::{Principal, WebUser};
use crate::cases::PartyInput;
use crate::cases::web::{
    DueCells, Names, due_cells, field_str, parse_field, read_form, urgent_first,
};
use crate::error::{AppError, AppResult};
use crate::web::{Layout, WebError, fmt_time, render, render_form};

/// The workbench's tabs: which states each shows.
const BUCKETS: &[(&str, &str, &[&str])] = &[
    ("routing", "待分流/待受理", &["registered", "assigned"]),
    (
        "handling",
        "办理中",
        &["accepted", "handling", "extension_requested"],
    ),
    (
        "review",
        "复查/复核",
        &["replied", "reviewing", "reviewed", "rereviewing", "hearing"],
    ),
];

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    bucket: Option<String>,
    q: Option<String>,
}

pub struct Row {
    id: i64,
    case_no: String,
    title: String,
    category: String,
    channel: &'static str,
    state: String,
    due: DueCells,
    created: String,
}

#[derive(Template)]
#[template(path = "petition_list.html")]
struct ListPage {
    layout: Layout,
    bucket: String,
    q: String,
    tabs: Vec<(&'static str, &'static str, i64)>,
    overdue: i64,
    rows: Vec<Row>,
    /// This year's figures (信访 indicators).
    figures: Vec<(String, String)>,
}

async fn list<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(p): Query<ListParams>,
) -> Response {
    list_page(&app, &who, p)
        .await
        .unwrap_or_else(|e| WebError(e, Some(Layout::new(&who, "petitions"))).into_response())
}

async fn list_page<S: Store>(app: &App<S>, who: &Principal, p: ListParams) -> AppResult<Response> {
    let bucket = p.bucket.unwrap_or_else(|| "handling".into());
    let base = CaseFilter {
        visibility: who.visibility(),
        kind: Some(KIND.into()),
        limit: 1,
        ..Default::default()
    };
    let mut tabs = Vec::new();
    for (id, label, states) in BUCKETS {
        let n = app
            .store
            .count_cases(&CaseFilter {
                states: Some(states.iter().map(|s| s.to_string()).collect()),
                ..base.clone()
            })
            .await?;
        tabs.push((*id, *label, n));
    }
    let ended = CaseFilter {
        open: Some(false),
        ..base.clone()
    };
    tabs.push(("ended", "已结束", app.store.count_cases(&ended).await?));
    let overdue = app
        .store
        .count_cases(&CaseFilter {
            overdue: Some(true),
            ..base.clone()
        })
        .await?;
    let mut filter = CaseFilter {
        text: p.q.clone().filter(|q| !q.trim().is_empty()),
        limit: 200,
        ..base.clone()
    };
    match BUCKETS.iter().find(|b| b.0 == bucket) {
        Some((_, _, states)) => {
            filter.states = Some(states.iter().map(|s| s.to_string()).collect())
        }
        None if bucket == "ended" => filter.open = Some(false),
        None => {}
    }
    let wf = app.workflows.for_kind(KIND);
    let mut cases = app.store.list_cases(&filter).await?;
    urgent_first(&mut cases);
    let rows = cases
        .iter()
        .map(|c| Row {
            id: c.id,
            case_no: c.case_no.clone(),
            title: c.title.clone(),
            category: super::category_label(c),
            channel: c.channel.label_zh(),
            state: wf
                .map(|w| w.state_name(&c.state))
                .unwrap_or_else(|| c.state.clone()),
            due: due_cells(c),
            created: fmt_time(c.created_at),
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(who, "petitions"),
        bucket,
        q: p.q.unwrap_or_default(),
        tabs,
        overdue,
        rows,
        figures: app.module_figures(who, KIND).await?,
    }))
}

#[derive(Template)]
#[template(path = "petition_new.html")]
struct NewPage {
    layout: Layout,
    channels: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    nodes: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    created: Option<PetitionCreated>,
    /// The form's values, kept when it comes back with an error.
    form: std::collections::HashMap<String, String>,
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
    created: Option<PetitionCreated>,
    form: std::collections::HashMap<String, String>,
) -> AppResult<Response> {
    let names = Names::load(app).await?;
    let nodes = crate::cases::web::places(app).await?;
    let mut layout = Layout::new(who, "petitions");
    layout.error = error.clone();
    let page = NewPage {
        layout,
        channels: CHANNELS
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        nodes,
        departments: names
            .departments
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect(),
        created,
        form,
    };
    Ok(render_form(&page, error.is_some()))
}

async fn new_form<S: Store>(State(app): State<App<S>>, WebUser(who): WebUser) -> Response {
    new_page(&app, &who, None, None, Default::default())
        .await
        .unwrap_or_else(|e| e.into_response())
}

async fn create<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    mut mp: Multipart,
) -> Response {
    let mut kept = std::collections::HashMap::new();
    let result: AppResult<PetitionCreated> = async {
        let (fields, file) = read_form(&mut mp).await?;
        kept = fields.clone();
        kept.remove("csrf");
        who.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
        let attachment_ids = match file {
            Some((name, data)) => vec![app.save_attachment(&who, &name, &data).await?.id],
            None => vec![],
        };
        let person = |prefix: &str| {
            field_str(&fields, &format!("{prefix}_name")).map(|name| PartyInput {
                role: String::new(),
                name,
                id_number: field_str(&fields, &format!("{prefix}_id_number")),
                phone: field_str(&fields, &format!("{prefix}_phone")),
                address: field_str(&fields, &format!("{prefix}_address")),
            })
        };
        let req = PetitionRequest {
            channel: field_str(&fields, "channel")
                .unwrap_or_default()
                .parse()
                .map_err(|e: String| AppError::invalid("channel", e))?,
            category: field_str(&fields, "category").unwrap_or_default(),
            title: fields.get("title").cloned().unwrap_or_default(),
            content: fields.get("content").cloned().unwrap_or_default(),
            node_id: parse_field(&fields, "node_id")?
                .ok_or_else(|| AppError::invalid("node_id", "choose where the matter is"))?,
            address: field_str(&fields, "address"),
            department_id: parse_field(&fields, "department_id")?,
            petitioners: person("petitioner").into_iter().collect(),
            group_size: parse_field(&fields, "group_size")?.unwrap_or(1),
            representatives: (1..=6).filter_map(|i| person(&format!("rep{i}"))).collect(),
            attachment_ids,
        };
        app.register_petition(&who, req).await
    }
    .await;
    match result {
        Ok(made) => new_page(&app, &who, None, Some(made), Default::default()).await,
        Err(e) => {
            let msg = format!(
                "登记失败：{}{}",
                e.message,
                e.field.map(|f| format!("（{f}）")).unwrap_or_default()
            );
            new_page(&app, &who, Some(msg), None, kept).await
        }
    }
    .unwrap_or_else(|e| e.into_response())
}

#[derive(Template)]
#[template(path = "petition_public.html")]
struct PublicPage {
    case_no: String,
    code: String,
    found: Option<PublicPetition>,
    error: Option<String>,
    notice: Option<String>,
}

impl PublicPage {
    fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
        fmt_time(*t)
    }
    fn opt_time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.map(fmt_time).unwrap_or_else(|| "—".into())
    }
}

#[derive(Debug, Deserialize, Default)]
struct PublicForm {
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    rating: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

async fn public_get() -> Response {
    render(&PublicPage {
        case_no: String::new(),
        code: String::new(),
        found: None,
        error: None,
        notice: None,
    })
}

/// The petitioner's page: number and code in a POST form (never in a URL that a proxy or a
/// browser history would keep); with `rating`, the rating is given first.
async fn public_post<S: Store>(State(app): State<App<S>>, Form(f): Form<PublicForm>) -> Response {
    let mut page = PublicPage {
        case_no: f.case_no.trim().to_uppercase(),
        code: f.code.trim().to_uppercase(),
        found: None,
        error: None,
        notice: None,
    };
    let result: AppResult<PublicPetition> = async {
        let mut c = app.petition_by_code(&page.case_no, &page.code).await?;
        if let Some(r) = f.rating.as_deref().filter(|r| !r.is_empty()) {
            c = app.rate_petition(&c, r, f.comment.as_deref()).await?;
            page.notice = Some("感谢您的评价。Thank you for your rating.".into());
        }
        app.public_petition(&c).await
    }
    .await;
    match result {
        Ok(p) => page.found = Some(p),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
            page.error = Some("编号或查询码不正确（No petition with this number and code）".into())
        }
        Err(e) => page.error = Some(e.message),
    }
    render(&page)
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/petitions", get(list::<S>).post(create::<S>))
        .route("/petitions/new", get(new_form::<S>))
        .route("/public/petition", get(public_get).post(public_post::<S>))
}
