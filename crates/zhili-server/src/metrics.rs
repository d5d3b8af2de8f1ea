//! Prometheus metrics at `GET /metrics` (OpenMetrics text): HTTP traffic by route, the case
//! engine's work (cases registered, transitions by action, personal-data reveals) and the
//! deadline scan (runs, clock changes, failures), plus whether the database answers.
//! Each server process has its own registry (no global state, so tests can run several).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use zhili_store::Store;

use crate::App;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route's template (`/api/v1/cases/{id}`), never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    pub kind: String,
    pub action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms … about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: HistogramFamily<RouteLabels>,
    pub cases_created: Family<KindLabels, Counter>,
    pub transitions: Family<TransitionLabels, Counter>,
    pub reveals: Counter,
    pub scan_runs: Counter,
    pub scan_failures: Counter,
    pub deadline_changes: Counter,
    db_up: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("zhili");
        let m = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_histogram),
            cases_created: Family::default(),
            transitions: Family::default(),
            reveals: Counter::default(),
            scan_runs: Counter::default(),
            scan_failures: Counter::default(),
            deadline_changes: Counter::default(),
            db_up: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            m.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            m.http_duration.clone(),
        );
        registry.register(
            "cases_created",
            "Cases received (登记) by this server, by kind",
            m.cases_created.clone(),
        );
        registry.register(
            "transitions",
            "Workflow transitions taken, by case kind and action",
            m.transitions.clone(),
        );
        registry.register(
            "personal_data_reveals",
            "Reveals of a party's personal data (each also in the case's audit chain)",
            m.reveals.clone(),
        );
        registry.register(
            "deadline_scan_runs",
            "Runs of the deadline scan",
            m.scan_runs.clone(),
        );
        registry.register(
            "deadline_scan_failures",
            "Runs of the deadline scan that failed",
            m.scan_failures.clone(),
        );
        registry.register(
            "deadline_clock_changes",
            "Cases whose clock the deadline scan moved to warning (临期) or overdue (超期)",
            m.deadline_changes.clone(),
        );
        registry.register(
            "database_up",
            "1 when the database answered the last scrape's ping, else 0",
            m.db_up.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Middleware counting every request by its route template and timing it.
pub async fn track<S: Store>(State(app): State<App<S>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    app.metrics
        .http_duration
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    app.metrics
        .http_requests
        .get_or_create(&HttpLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}

/// `GET /metrics`.
pub async fn metrics<S: Store>(State(app): State<App<S>>) -> Response {
    let up = app.store.ping().await.is_ok();
    app.metrics.db_up.set(i64::from(up));
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
