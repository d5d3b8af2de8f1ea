//! The conformance suite on SQLite, each test on a fresh database file.

use zhili_store::conformance;
use zhili_store_sqlite::SqliteStore;

async fn fresh() -> (SqliteStore, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "zhili-conf-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    (SqliteStore::open(&dir.join("zhili.db")).await.unwrap(), dir)
}

macro_rules! conformance_tests {
    ($($name:ident),*) => {$(
        #[tokio::test]
        async fn $name() {
            let (s, dir) = fresh().await;
            conformance::run(stringify!($name), s).await;
            let _ = std::fs::remove_dir_all(dir);
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

/// Cases written before the search index existed get their terms when the store next opens.
#[tokio::test]
async fn search_terms_are_filled_in_on_open() {
    use zhili_store::{CaseFilter, Store, Visibility};
    let (s, dir) = fresh().await;
    let c = conformance::town_with_case(&s, "香芒东路窨井盖缺失").await;
    let by_text = CaseFilter {
        text: Some("井盖".into()),
        visibility: Visibility {
            all: true,
            ..Default::default()
        },
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.list_cases(&by_text).await.unwrap().len(), 1);
    sqlx::query("UPDATE cases SET search_terms = NULL")
        .execute(s.write_pool())
        .await
        .unwrap();
    assert!(s.list_cases(&by_text).await.unwrap().is_empty());
    drop(s);
    let s = SqliteStore::open(&dir.join("zhili.db")).await.unwrap();
    let found = s.list_cases(&by_text).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
    assert_eq!(
        s.index_search_terms().await.unwrap(),
        0,
        "nothing left to index"
    );
    let _ = std::fs::remove_dir_all(dir);
}
