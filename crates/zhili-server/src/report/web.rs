//! The dashboard: indicators for a period, grouped, from the same definitions as the API.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhili_store::Store;

use super::IndicatorQuery;
use crate::App;
use crate::auth::WebUser;
use crate::web::{Layout, WebError, fmt_time, render};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    period: String,
    from: String,
    to: String,
    group_by: String,
    /// The case kind whose own indicators are shown; empty: all cases.
    kind: String,
    /// Kinds with their own indicators.
    kinds: Vec<(&'static str, String)>,
    group_label: String,
    groupings: Vec<(&'static str, &'static str)>,
    totals: Vec<(String, String)>,
    headers: Vec<&'static str>,
    rows: Vec<(String, Vec<String>, f64)>,
    as_of: String,
    /// The rate the bars show.
    rate_label: String,
    kind_label: String,
    /// The monthly trend for the chart, as JSON.
    trend: String,
}

const GROUPINGS: &[(&str, &str)] = &[
    ("village", "村/社区"),
    ("department", "承办部门"),
    ("category", "类别"),
    ("month", "月份"),
    ("node", "网格"),
    ("handler", "承办人/调解员"),
    ("none", "不分组"),
];

async fn dashboard<S: Store>(
    State(app): State<App<S>>,
    WebUser(who): WebUser,
    Query(mut q): Query<IndicatorQuery>,
) -> Response {
    if q.group_by.as_deref().unwrap_or_default().is_empty() {
        q.group_by = Some("village".into());
    }
    let report = match app.indicators(&who, &q).await {
        Ok(r) => r,
        Err(e) => return WebError(e, Some(Layout::new(&who, "dash"))).into_response(),
    };
    let monthly = IndicatorQuery {
        group_by: Some("month".into()),
        ..q.clone()
    };
    let kind = q.kind.clone().unwrap_or_default();
    // A kind's own indicators (信访, 调解 …) when one is chosen, else the general ones.
    let own: Vec<&zhili_domain::indicators::IndicatorDef> = app
        .indicator_defs
        .iter()
        .filter(|d| !kind.is_empty() && !d.kinds.is_empty() && d.applies_to(&kind))
        .collect();
    let general = [
        "received",
        "registered",
        "due_for_closing",
        "closed",
        "closed_on_time",
        "overdue",
        "open",
        "closure_rate",
        "on_time_rate",
        "handled_rate",
    ];
    let shown: Vec<&'static str> = if own.is_empty() {
        general.to_vec()
    } else {
        own.iter().map(|d| d.id).collect()
    };
    // The chart: two counts as bars and a rate as the line.
    let counts: Vec<&'static str> = if own.is_empty() {
        vec!["received", "closed"]
    } else {
        own.iter()
            .filter(|d| d.unit == zhili_domain::indicators::Unit::Count)
            .map(|d| d.id)
            .take(2)
            .collect()
    };
    let rate = if own.is_empty() {
        Some("closure_rate")
    } else {
        own.iter().find(|d| d.is_rate()).map(|d| d.id)
    };
    let name = |id: &str| {
        app.indicator_defs
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name_zh)
            .unwrap_or_default()
    };
    let trend = match app.indicators(&who, &monthly).await {
        Ok(r) => {
            let v = |id: &str, scale: f64| -> Vec<serde_json::Value> {
                r.rows
                    .iter()
                    .map(|row| match row.values.get(id).copied().flatten() {
                        Some(x) => serde_json::json!((x * scale * 100.0).round() / 100.0),
                        None => serde_json::Value::Null,
                    })
                    .collect()
            };
            serde_json::json!({
                "months": r.rows.iter().map(|row| row.label.clone()).collect::<Vec<_>>(),
                "bars": counts.iter().map(|id| serde_json::json!({"name": name(id), "data": v(id, 1.0)})).collect::<Vec<_>>(),
                "line": rate.map(|id| serde_json::json!({"name": name(id), "data": v(id, 100.0)})),
            })
            .to_string()
        }
        Err(e) => return WebError(e, Some(Layout::new(&who, "dash"))).into_response(),
    };
    let date = |t| {
        zhili_domain::clock::to_local(t)
            .format("%Y-%m-%d")
            .to_string()
    };
    let group_by = q.group_by.clone().unwrap_or_default();
    let headers = shown.iter().map(|id| name(id)).collect();
    let cells = |r: &super::IndicatorRow| {
        shown
            .iter()
            .map(|id| r.display.get(*id).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let bar = |r: &super::IndicatorRow| {
        rate.and_then(|id| r.values.get(id).copied().flatten())
            .unwrap_or(0.0)
            * 100.0
    };
    let mut rows: Vec<_> = report
        .rows
        .iter()
        .map(|r| (r.label.clone(), cells(r), bar(r)))
        .collect();
    rows.push((
        "合计 Total".into(),
        cells(&report.total),
        bar(&report.total),
    ));
    let page = Dashboard {
        layout: Layout::new(&who, "dash"),
        period: format!("{} 至 {}", date(report.from), date(report.to)),
        from: q
            .from
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| date(report.from)),
        to: q
            .to
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| date(report.to)),
        group_label: GROUPINGS
            .iter()
            .find(|g| g.0 == group_by)
            .map(|g| g.1)
            .unwrap_or("分组")
            .into(),
        group_by,
        groupings: GROUPINGS.to_vec(),
        totals: if own.is_empty() {
            vec![
                "received",
                "closed",
                "closure_rate",
                "on_time_rate",
                "handled_rate",
                "overdue",
            ]
        } else {
            shown.clone()
        }
        .iter()
        .map(|id| {
            (
                name(id).to_string(),
                report.total.display.get(*id).cloned().unwrap_or_default(),
            )
        })
        .collect(),
        rate_label: rate.map(name).unwrap_or_default().to_string(),
        kind_label: zhili_domain::case::kind_label(&kind).to_string(),
        kinds: {
            let mut ks: Vec<&'static str> = Vec::new();
            for d in app.indicator_defs.iter() {
                for k in d.kinds {
                    if !ks.contains(k) {
                        ks.push(k);
                    }
                }
            }
            ks.into_iter()
                .map(|k| (k, zhili_domain::case::kind_label(k).to_string()))
                .collect()
        },
        kind,
        headers,
        rows,
        as_of: fmt_time(report.as_of),
        trend,
    };
    render(&page)
}

pub fn routes<S: Store>() -> Router<App<S>> {
    Router::new().route("/dashboard", get(dashboard::<S>))
}
