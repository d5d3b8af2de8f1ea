//! Open311 GeoReport v2 at `/open311/v2` (see `shared/domain/OPEN311.md`): discovery, the
//! services of the urban taxonomy with their definitions, requests posted by clients holding
//! an `api_key` issued by an administrator, and public queries. A posted request is an urban
//! case like any other: channel `open311`, placed by its location, awaiting 核实.
//!
//! Service codes are the taxonomy's category keys (`event:0102`); a request's
//! `service_request_id` is its case number, which is also its token (zhili is `realtime`).

pub mod api;
pub mod format;

use axum::http::StatusCode;
use chrono::Duration;
use zhili_domain::case::Channel;
use zhili_domain::clock::Timestamp;
use zhili_domain::org::Role;
use zhili_domain::urban::taxonomy::{ClassKind, Stage, Subclass, format_span};
use zhili_store::{CaseFilter, CaseRow, DepartmentRow, Store, Visibility};

use crate::App;
use crate::auth::Principal;
use crate::cases::{CreateCaseRequest, PartyInput};
use crate::error::AppError;
use format::{Open311Error, V};

/// The longest `start_date`–`end_date` span, and the default window (GeoReport v2).
pub const MAX_SPAN_DAYS: i64 = 90;
/// The most requests one query returns.
pub const MAX_REQUESTS: i64 = 1000;
/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;
/// A posted `media_url` is kept on its own last line of the case content, after this.
const MEDIA_LINE: &str = "\n照片链接：";

type O311<T> = Result<T, Open311Error>;

/// `service_notice`: what the reporter can expect, from the subclass's limits.
fn notice(sub: &Subclass) -> String {
    format!(
        "{}内核实，立案后{}内处置",
        format_span(sub.limits[&Stage::Verify]),
        format_span(sub.limits[&Stage::Handle])
    )
}

/// One service (`services/service`).
pub fn service(sub: &Subclass) -> V {
    V::Obj(vec![
        ("service_code", V::s(sub.key())),
        ("service_name", V::s(&sub.name)),
        (
            "description",
            V::s(format!("{}。{}", sub.path(), notice(sub))),
        ),
        ("metadata", V::Bool(true)),
        ("type", V::s("realtime")),
        (
            "keywords",
            V::s(format!(
                "{},{},{}",
                sub.kind.label_zh(),
                sub.major_name,
                sub.name
            )),
        ),
        (
            "group",
            V::s(format!("{}/{}", sub.kind.label_zh(), sub.major_name)),
        ),
    ])
}

/// The attributes of every urban service: the time limits (information only), the urgency,
/// and for 部件 the 16-digit component code (部件标识码, RULES.md §3.3).
pub fn service_definition(sub: &Subclass) -> V {
    let limits = Stage::ALL
        .iter()
        .map(|st| format!("{} {}", st.label_zh(), format_span(sub.limits[st])))
        .collect::<Vec<_>>()
        .join("，");
    let attr = |variable: bool,
                code: &str,
                datatype: &str,
                required: bool,
                dt_desc: &str,
                order: i64,
                description: String,
                values: Vec<(&str, &str)>| {
        let mut f = vec![
            ("variable", V::Bool(variable)),
            ("code", V::s(code)),
            ("datatype", V::s(datatype)),
            ("required", V::Bool(required)),
            ("datatype_description", V::s(dt_desc)),
            ("order", V::Int(order)),
            ("description", V::s(description)),
        ];
        if !values.is_empty() {
            f.push((
                "values",
                V::List(
                    "value",
                    values
                        .into_iter()
                        .map(|(k, n)| V::Obj(vec![("key", V::s(k)), ("name", V::s(n))]))
                        .collect(),
                ),
            ));
        }
        V::Obj(f)
    };
    let mut attributes = vec![
        attr(
            false,
            "limits",
            "string",
            false,
            "",
            1,
            format!(
                "办理时限：{limits}{}",
                if sub.limits_unconfirmed() {
                    "（默认值，待确认）"
                } else {
                    ""
                }
            ),
            vec![],
        ),
        attr(
            true,
            "urgency",
            "singlevaluelist",
            false,
            "",
            2,
            "紧急程度 (urgency)".into(),
            URGENCY.to_vec(),
        ),
    ];
    if sub.kind == ClassKind::Component {
        attributes.push(attr(
            true,
            "component_id",
            "string",
            false,
            "16 digits: area code (6) + class (2) + subclass (2) + serial (6)",
            3,
            "部件标识码 (component code), if the component is labelled".into(),
            vec![],
        ));
    }
    V::Obj(vec![
        ("service_code", V::s(sub.key())),
        ("attributes", V::List("attribute", attributes)),
    ])
}

const URGENCY: [(&str, &str); 2] = [("normal", "一般"), ("urgent", "紧急")];

/// `open` or `closed`: a request is closed once its case has ended (结案, 不予立案, 撤销).
fn status(c: &CaseRow) -> &'static str {
    if c.ended_at.is_some() {
        "closed"
    } else {
        "open"
    }
}

/// A posted request, from its form fields.
#[derive(Debug, Default)]
pub struct PostedRequest {
    pub jurisdiction_id: Option<String>,
    pub api_key: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    pub attributes: Vec<(String, String)>,
}

impl PostedRequest {
    /// From `application/x-www-form-urlencoded` pairs; an empty value is an absent one.
    pub fn from_pairs<'a>(pairs: impl Iterator<Item = (String, String)> + 'a) -> PostedRequest {
        let mut r = PostedRequest::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            if let Some(code) = k.strip_prefix("attribute[") {
                let code = code.trim_end_matches("[]").trim_end_matches(']');
                r.attributes.push((code.to_string(), v));
                continue;
            }
            let slot = match k.as_str() {
                "jurisdiction_id" => &mut r.jurisdiction_id,
                "api_key" => &mut r.api_key,
                "service_code" => &mut r.service_code,
                "lat" => &mut r.lat,
                "long" => &mut r.long,
                "address_string" => &mut r.address_string,
                "address_id" => &mut r.address_id,
                "email" => &mut r.email,
                "device_id" => &mut r.device_id,
                "account_id" => &mut r.account_id,
                "first_name" => &mut r.first_name,
                "last_name" => &mut r.last_name,
                "phone" => &mut r.phone,
                "description" => &mut r.description,
                "media_url" => &mut r.media_url,
                _ => continue,
            };
            *slot = Some(v);
        }
        r
    }
}

/// Query parameters of `GET requests`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RequestsQuery {
    pub jurisdiction_id: Option<String>,
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
}

fn parse_date(field: &str, v: &str) -> O311<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.to_utc())
        .map_err(|_| {
            Open311Error::bad(format!(
                "{field} `{v}` is not a W3C date-time with a time zone (e.g. 2021-09-29T09:00:00+08:00)"
            ))
        })
}

fn comma_list(v: &Option<String>) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        let status = match e.status {
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
            s if s.is_server_error() => s,
            _ => StatusCode::BAD_REQUEST,
        };
        let description = match &e.field {
            Some(f) => format!("{f}: {}", e.message),
            None => e.message.clone(),
        };
        Open311Error::new(status, description)
    }
}

impl<S: Store> App<S> {
    /// A `jurisdiction_id`, when given, must be this server's.
    pub fn open311_jurisdiction(&self, given: Option<&str>) -> O311<()> {
        match (
            given.map(str::trim).filter(|g| !g.is_empty()),
            &self.settings.open311_jurisdiction,
        ) {
            (Some(g), Some(ours)) if g != ours => Err(Open311Error::not_found(format!(
                "jurisdiction_id `{g}` not found"
            ))),
            _ => Ok(()),
        }
    }

    /// The subclass of a service code, or the spec's 404.
    pub fn open311_service(&self, code: &str) -> O311<&Subclass> {
        self.taxonomy
            .by_key(code)
            .ok_or_else(|| Open311Error::not_found(format!("service_code `{code}` not found")))
    }

    /// The client behind an `api_key`: a user with the reporter role (or any role that may
    /// register cases).
    async fn open311_client(&self, key: Option<&str>) -> O311<(Principal, Option<i64>)> {
        let invalid = || {
            Open311Error::new(
                StatusCode::FORBIDDEN,
                "Invalid api_key received -- can't proceed with create_request.",
            )
        };
        let key = key.ok_or_else(invalid)?;
        let found = self
            .store
            .find_token(&crate::crypto::token_hash(key), self.now())
            .await
            .map_err(AppError::from)?
            .ok_or_else(invalid)?;
        if found.user.disabled || !found.grants.iter().any(|g| g.role.may_register()) {
            return Err(invalid());
        }
        let home = found
            .grants
            .iter()
            .find(|g| g.role == Role::Reporter)
            .or_else(|| found.grants.iter().find(|g| g.role.may_register()))
            .and_then(|g| g.node_id);
        Ok((
            Principal {
                grants: found.grants.iter().map(|g| g.to_grant()).collect(),
                user: found.user,
                token_id: found.token.id,
                session_token: None,
            },
            home,
        ))
    }

    /// `POST requests`: check the form as the specification says, then register the case.
    pub async fn open311_post(&self, r: PostedRequest) -> O311<V> {
        self.open311_jurisdiction(r.jurisdiction_id.as_deref())?;
        let (who, home) = self.open311_client(r.api_key.as_deref()).await?;
        let code = r
            .service_code
            .as_deref()
            .ok_or_else(|| Open311Error::bad("service_code was not provided"))?;
        let sub = self.open311_service(code)?;
        let coord = |field: &str, v: &Option<String>| -> O311<Option<f64>> {
            v.as_deref()
                .map(|s| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| Open311Error::bad(format!("{field} `{s}` is not a number")))
                })
                .transpose()
        };
        let (lat, lon) = (coord("lat", &r.lat)?, coord("long", &r.long)?);
        let location = match (lat, lon) {
            (Some(_), Some(_)) => true,
            (Some(_), None) | (None, Some(_)) => {
                return Err(Open311Error::bad("lat and long must be given together"));
            }
            (None, None) => false,
        };
        if !location && r.address_string.is_none() && r.address_id.is_none() {
            return Err(Open311Error::bad(
                "a location is required: lat and long, address_string or address_id",
            ));
        }
        let mut priority = zhili_domain::case::Priority::Normal;
        let mut component_id = None;
        for (code, value) in &r.attributes {
            match code.as_str() {
                "urgency" => {
                    if !URGENCY.iter().any(|(k, _)| k == value) {
                        return Err(Open311Error::bad(format!(
                            "attribute[urgency] must be normal or urgent, not `{value}`"
                        )));
                    }
                    if value == "urgent" {
                        priority = zhili_domain::case::Priority::Urgent;
                    }
                }
                "component_id" if sub.kind == ClassKind::Component => {
                    if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(Open311Error::bad(
                            "attribute[component_id] must be 16 digits",
                        ));
                    }
                    component_id = Some(value.clone());
                }
                other => {
                    return Err(Open311Error::bad(format!(
                        "attribute[{other}] is not an attribute of service {}",
                        sub.key()
                    )));
                }
            }
        }
        let description = r.description.clone().unwrap_or_else(|| sub.name.clone());
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(Open311Error::bad(format!(
                "description is longer than {MAX_DESCRIPTION} characters"
            )));
        }
        if let Some(url) = &r.media_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(Open311Error::bad("media_url must be an http(s) URL"));
        }
        let mut content = description;
        if let Some(c) = &component_id {
            content.push_str(&format!("\n部件标识码：{c}"));
        }
        if let Some(url) = &r.media_url {
            content.push_str(MEDIA_LINE);
            content.push_str(url);
        }
        let name = [r.last_name.as_deref(), r.first_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<String>();
        let parties = if name.is_empty() && r.phone.is_none() {
            vec![]
        } else {
            vec![PartyInput {
                role: "complainant".into(),
                name: if name.is_empty() {
                    "匿名".into()
                } else {
                    name
                },
                phone: r.phone.clone(),
                ..Default::default()
            }]
        };
        let address = r
            .address_string
            .clone()
            .or_else(|| r.address_id.as_ref().map(|a| format!("地址编码 {a}")));
        let made = self
            .create_case(
                &who,
                CreateCaseRequest {
                    kind: crate::urban::URBAN_KIND.into(),
                    category: Some(sub.key()),
                    channel: Channel::Open311,
                    priority,
                    title: match &address {
                        Some(a) => format!("{}：{a}", sub.name),
                        None => sub.name.clone(),
                    },
                    content,
                    address,
                    lat,
                    lon,
                    node_id: if location { None } else { home },
                    department_id: None,
                    parties,
                    attachment_ids: vec![],
                },
            )
            .await?;
        Ok(V::List(
            "request",
            vec![V::Obj(vec![
                ("service_request_id", V::s(&made.case.case_no)),
                ("service_notice", V::s(notice(sub))),
                ("account_id", V::opt_s(r.account_id)),
            ])],
        ))
    }

    /// One request (`service_requests/request`) as the public sees it: no personal data; the
    /// description only for requests that came in through Open311 itself. `depts`: the
    /// departments, read once per answer.
    pub async fn open311_request(&self, c: &CaseRow, depts: &[DepartmentRow]) -> V {
        // A duplicate merged into another case reports that case's progress.
        let merged = match c.merged_into {
            Some(id) => self.store.get_case(id).await.ok(),
            None => None,
        };
        let main = merged.as_ref().unwrap_or(c);
        let sub = self
            .taxonomy
            .by_key(c.category.as_deref().unwrap_or_default());
        let wf = self.workflows.for_kind(&c.kind);
        let mut state_name = wf
            .and_then(|w| w.state(&main.state))
            .map_or(main.state.clone(), |s| s.name.clone());
        if let Some(m) = &merged {
            state_name = format!("已并入 {}：{state_name}", m.case_no);
        }
        let agency = main
            .department_id
            .and_then(|d| depts.iter().find(|x| x.id == d))
            .map(|d| d.name.clone());
        let (description, media) = if c.channel == Channel::Open311 {
            match c.content.split_once(MEDIA_LINE) {
                Some((d, url)) => (d.to_string(), Some(url.to_string())),
                None => (c.content.clone(), None),
            }
        } else {
            (c.title.clone(), None)
        };
        let expected = main
            .clocks
            .overall_due()
            .or(main.clocks.stage.map(|s| s.due_at))
            .filter(|_| main.ended_at.is_none());
        V::Obj(vec![
            ("service_request_id", V::s(&c.case_no)),
            ("status", V::s(status(main))),
            ("status_notes", V::s(state_name)),
            ("service_name", V::opt_s(sub.map(|s| s.name.clone()))),
            ("service_code", V::opt_s(c.category.clone())),
            ("description", V::s(description)),
            ("agency_responsible", V::opt_s(agency)),
            ("service_notice", V::opt_s(sub.map(notice))),
            ("requested_datetime", V::time(c.created_at)),
            (
                "updated_datetime",
                V::time(main.ended_at.unwrap_or(main.updated_at)),
            ),
            ("expected_datetime", V::opt_time(expected)),
            ("address", V::opt_s(c.address.clone())),
            ("address_id", V::Null),
            ("zipcode", V::Null),
            ("lat", V::opt_num(c.lat)),
            ("long", V::opt_num(c.lon)),
            ("media_url", V::opt_s(media)),
        ])
    }

    /// A request by its id (the case number); only urban cases are Open311 requests.
    pub async fn open311_case(&self, id: &str) -> O311<CaseRow> {
        match self.store.case_by_no(id).await {
            Ok(c) if c.kind == crate::urban::URBAN_KIND => Ok(c),
            _ => Err(Open311Error::not_found(format!(
                "service_request_id `{id}` not found"
            ))),
        }
    }

    /// `GET requests` with its filters and limits.
    pub async fn open311_query(&self, q: &RequestsQuery) -> O311<V> {
        self.open311_jurisdiction(q.jurisdiction_id.as_deref())?;
        let ids = comma_list(&q.service_request_id);
        let mut rows = Vec::new();
        if !ids.is_empty() {
            // service_request_id overrides every other parameter.
            for id in ids.iter().take(MAX_REQUESTS as usize) {
                if let Ok(c) = self.open311_case(id).await {
                    rows.push(c);
                }
            }
        } else {
            let codes = comma_list(&q.service_code);
            for c in &codes {
                self.open311_service(c)?;
            }
            let statuses = comma_list(&q.status);
            for s in &statuses {
                if s != "open" && s != "closed" {
                    return Err(Open311Error::bad(format!(
                        "status `{s}` is not open or closed"
                    )));
                }
            }
            let open = match (
                statuses.iter().any(|s| s == "open"),
                statuses.iter().any(|s| s == "closed"),
            ) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            };
            let span = Duration::days(MAX_SPAN_DAYS);
            let start = q
                .start_date
                .as_deref()
                .map(|v| parse_date("start_date", v))
                .transpose()?;
            let end = q
                .end_date
                .as_deref()
                .map(|v| parse_date("end_date", v))
                .transpose()?;
            let (from, to) = match (start, end) {
                (Some(s), Some(e)) => (s, e),
                (Some(s), None) => (s, s + span),
                (None, Some(e)) => (e - span, e),
                (None, None) => {
                    let now = self.now();
                    (now - span, now)
                }
            };
            if to < from {
                return Err(Open311Error::bad("end_date is before start_date"));
            }
            if to - from > span {
                return Err(Open311Error::bad(format!(
                    "start_date and end_date are more than {MAX_SPAN_DAYS} days apart"
                )));
            }
            let filter = |category: Option<String>| CaseFilter {
                visibility: Visibility {
                    all: true,
                    ..Default::default()
                },
                kind: Some(crate::urban::URBAN_KIND.into()),
                category,
                open,
                created_from: Some(from),
                // end_date is inclusive; the store's bound is not (milliseconds).
                created_to: Some(to + Duration::milliseconds(1)),
                limit: MAX_REQUESTS,
                ..Default::default()
            };
            if codes.is_empty() {
                rows = self
                    .store
                    .list_cases(&filter(None))
                    .await
                    .map_err(AppError::from)?;
            } else {
                for c in codes {
                    rows.extend(
                        self.store
                            .list_cases(&filter(Some(c)))
                            .await
                            .map_err(AppError::from)?,
                    );
                }
                rows.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
                rows.truncate(MAX_REQUESTS as usize);
            }
        }
        let depts = self
            .store
            .list_departments()
            .await
            .map_err(AppError::from)?;
        let mut items = Vec::with_capacity(rows.len());
        for c in &rows {
            items.push(self.open311_request(c, &depts).await);
        }
        Ok(V::List("request", items))
    }

    /// The discovery document.
    pub fn open311_discovery(&self, base: &str) -> V {
        V::Obj(vec![
            ("changeset", V::s("2026-11-26T00:00:00+08:00")),
            ("contact", V::s("数字城管指挥中心 (zhili)")),
            (
                "key_service",
                V::s("api_key 由系统管理员签发：POST /api/v1/open311/clients"),
            ),
            (
                "endpoints",
                V::List(
                    "endpoint",
                    vec![V::Obj(vec![
                        (
                            "specification",
                            V::s("http://wiki.open311.org/GeoReport_v2"),
                        ),
                        ("url", V::s(format!("{base}/open311/v2"))),
                        ("changeset", V::s("2026-11-26T00:00:00+08:00")),
                        ("type", V::s("production")),
                        (
                            "formats",
                            V::List("format", vec![V::s("text/xml"), V::s("application/json")]),
                        ),
                    ])],
                ),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_and_attributes() {
        let body = "api_key=k&service_code=component%3A0101&lat=22.8&long=114.1&description=%E4%BA%95%E7%9B%96&attribute[urgency]=urgent&attribute%5Bcomponent_id%5D=4419001150101000001&email=&attribute[tags][]=a";
        let r = PostedRequest::from_pairs(
            form_urlencoded::parse(body.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
        assert_eq!(r.service_code.as_deref(), Some("component:0101"));
        assert_eq!(r.description.as_deref(), Some("井盖"));
        assert_eq!(r.email, None, "an empty value is an absent one");
        assert_eq!(
            r.attributes,
            [
                ("urgency".into(), "urgent".into()),
                ("component_id".into(), "4419001150101000001".into()),
                ("tags".into(), "a".into())
            ]
        );
    }
}
