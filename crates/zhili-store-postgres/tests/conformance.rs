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
    audit_chain
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
