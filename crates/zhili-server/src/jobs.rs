//! Background jobs. The deadline scan marks clocks warning (临期) and overdue (超期) and writes an
//! escalation event for each change. It claims cases in the store's transaction (`SKIP LOCKED`
//! on PostgreSQL), looks only at cases whose next check is due, and is idempotent.

use std::time::Duration;

use zhili_domain::case::ClockKind;
use zhili_domain::clock::ClockStatus;
use zhili_store::{ClockUpdate, NewEvent, Store, StoreResult, Timestamp};

use crate::App;

const BATCH: i64 = 500;

/// What the scan decides for one case: the refreshed clocks and one event per change.
pub fn decide(row: &zhili_store::CaseRow, now: Timestamp) -> Option<ClockUpdate> {
    let mut clocks = row.clocks.clone();
    let changes = clocks.refresh(now);
    let events = changes
        .iter()
        .map(|ch| NewEvent {
            kind: match ch.status {
                ClockStatus::Overdue => "deadline_overdue",
                _ => "deadline_warning",
            }
            .into(),
            actor_id: None,
            at: now,
            data: serde_json::json!({
                "clock": ch.clock,
                "clock_name": match ch.clock { ClockKind::Overall => "办理时限", ClockKind::Stage => "环节时限" },
                "status": ch.status,
                "status_name": ch.status.label_zh(),
                "due_at": ch.due_at,
                "state": row.state,
                // Who is told: the owner department, and the command centre and leaders above it.
                "escalate_to": match ch.status {
                    ClockStatus::Overdue => vec!["dept_head", "dispatcher", "leader"],
                    _ => vec!["handler", "dispatcher"],
                },
            }),
        })
        .collect();
    Some(ClockUpdate { clocks, events })
}

/// Run the scan until nothing more is due now. Returns how many cases were updated.
pub async fn scan_once<S: Store>(app: &App<S>) -> StoreResult<usize> {
    let now = app.now();
    let mut total = 0;
    loop {
        let n = app
            .store
            .scan_deadlines(now, BATCH, |row| decide(row, now))
            .await?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Run the scan every `scan_interval_secs` for as long as the server runs.
pub fn spawn_deadline_scan<S: Store>(app: App<S>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(app.settings.scan_interval_secs.max(1));
        loop {
            app.metrics.scan_runs.inc();
            match scan_once(&app).await {
                Ok(0) => {}
                Ok(n) => {
                    app.metrics.deadline_changes.inc_by(n as u64);
                    tracing::info!("deadline scan: {n} case(s) changed status");
                }
                Err(e) => {
                    app.metrics.scan_failures.inc();
                    tracing::error!("deadline scan failed: {e}");
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}
