//! The conformance suite on PostgreSQL, each test on a fresh database. The server's URL comes
//! from `ZHILI_TEST_DATABASE_URL`; without it the tests skip with a notice, except under
//! `CI=true`, where a missing database is a failure.

use zhili_store::conformance;
use zhili_store_postgres::PgStore;

async fn fresh() -> Option<PgStore> {
    match std::env::var("ZHILI_TEST_DATABASE_URL") {
        Ok(url) => Some(
            PgStore::fresh(&url)
                .await
                .expect("connect to the test PostgreSQL"),
        ),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but ZHILI_TEST_DATABASE_URL is not set")
        }
        Err(_) => {
            eprintln!("skipped: ZHILI_TEST_DATABASE_URL is not set (PostgreSQL conformance)");
            None
        }
    }
}

macro_rules! conformance_tests {
    ($($name:ident),*) => {$(
        #[tokio::test]
        async fn $name() {
            if let Some(s) = fresh().await {
                conformance::run(stringify!($name), s).await;
            }
        }
    )*};
}

conformance_tests!(
    org_and_users,
    tokens,
    case_lifecycle,
    list_filters_and_visibility,
    deadline_scan,
    counts,
    audit_chain,
    concurrent_creation,
    details_and_repeats
);

#[test]
fn every_conformance_test_is_run() {
    let here = include_str!("conformance.rs");
    for t in conformance::TESTS {
        assert!(
            here.contains(&format!("    {t},")) || here.contains(&format!("    {t}\n")),
            "{t} not run"
        );
    }
}

/// Two servers scanning one database at the same time: each due case is claimed by one of
/// them, so every clock change is written exactly once.
#[tokio::test]
async fn two_scanners_share_the_work() {
    use chrono::Duration;
    use zhili_domain::builtin;
    use zhili_domain::case::{CaseClocks, Channel, Priority};
    use zhili_domain::clock::{Deadlines, OfficeHours};
    use zhili_domain::org::NodeKind;
    use zhili_store::{ClockUpdate, NewCase, NewEvent, NewNode, Store};

    let Some(s) = fresh().await else { return };
    let t0 = chrono::DateTime::parse_from_rfc3339("2021-06-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let town = s
        .create_node(NewNode {
            parent_id: None,
            kind: NodeKind::Town,
            code: "t".into(),
            name: "镇".into(),
            geometry: None,
            synthetic: true,
            at: t0,
        })
        .await
        .unwrap();
    let cal = builtin::calendar();
    let oh = OfficeHours::default();
    let dl = Deadlines::new(&cal, &oh);
    let wfs = builtin::workflows();
    let wf = wfs.for_kind("general").unwrap();
    for i in 0..300 {
        s.create_case(NewCase {
            kind: "general".into(),
            category: None,
            channel: Channel::Web,
            priority: Priority::Normal,
            state: wf.initial.clone(),
            title: format!("case {i}"),
            content: "x".into(),
            address: None,
            lat: None,
            lon: None,
            node_id: town.id,
            department_id: None,
            created_by: None,
            at: t0,
            registered: true,
            clocks: CaseClocks::start(wf, t0, &dl),
            parties: vec![],
            attachment_ids: vec![],
            event_data: serde_json::json!({}),
            details: None,
            repeat_of: None,
            related_to: None,
        })
        .await
        .unwrap();
    }
    let now = t0 + Duration::days(60);
    let decide = |row: &zhili_store::CaseRow| {
        let mut clocks = row.clocks.clone();
        let events = clocks
            .refresh(now)
            .into_iter()
            .map(|c| NewEvent {
                kind: "deadline".into(),
                actor_id: None,
                at: now,
                data: serde_json::to_value(c).unwrap(),
            })
            .collect();
        Some(ClockUpdate { clocks, events })
    };
    let (a, b) = (s.clone(), s.clone());
    let (x, y) = tokio::join!(
        async {
            let mut n = 0;
            loop {
                let k = a.scan_deadlines(now, 25, decide).await.unwrap();
                n += k;
                if k == 0 {
                    break n;
                }
            }
        },
        async {
            let mut n = 0;
            loop {
                let k = b.scan_deadlines(now, 25, decide).await.unwrap();
                n += k;
                if k == 0 {
                    break n;
                }
            }
        },
    );
    assert_eq!(x + y, 300, "every case once: {x} + {y}");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'deadline'")
        .fetch_one(s.pool())
        .await
        .unwrap();
    // Each case: the overall clock and the stage clock went overdue, once each.
    assert_eq!(events, 600);
    assert!(zhili_store::verify_chain(&s, 1000).await.unwrap().is_ok());
}
