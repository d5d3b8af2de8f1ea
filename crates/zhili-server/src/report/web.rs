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
    group_label: String,
    groupings: Vec<(&'static str, &'static str)>,
    totals: Vec<(String, String)>,
    headers: Vec<&'static str>,
    rows: Vec<(String, Vec<String>, f64)>,
    as_of: String,
    /// The monthly trend for the chart, as JSON.
    trend: String,
}

const GROUPINGS: &[(&str, &str)] = &[
    ("village", "村/社区"),
    ("department", "承办部门"),
    ("category", "类别"),
    ("month", "月份"),
    ("node", "网格"),
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
                "received": v("received", 1.0),
                "closed": v("closed", 1.0),
                "closure_rate": v("closure_rate", 100.0),
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
    let shown = [
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
    let headers = shown
        .iter()
        .filter_map(|id| {
            app.indicator_defs
                .iter()
                .find(|d| d.id == *id)
                .map(|d| d.name_zh)
        })
        .collect();
    let cells = |r: &super::IndicatorRow| {
        shown
            .iter()
            .map(|id| r.display.get(*id).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let bar = |r: &super::IndicatorRow| {
        r.values
            .get("closure_rate")
            .copied()
            .flatten()
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
        totals: [
            "received",
            "closed",
            "closure_rate",
            "on_time_rate",
            "handled_rate",
            "overdue",
        ]
        .iter()
        .filter_map(|id| {
            app.indicator_defs.iter().find(|d| d.id == *id).map(|d| {
                (
                    d.name_zh.to_string(),
                    report.total.display.get(*id).cloned().unwrap_or_default(),
                )
            })
        })
        .collect(),
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
