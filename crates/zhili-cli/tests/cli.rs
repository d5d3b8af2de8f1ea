//! The `zhili` binary end to end: the demo town, users, and `audit verify` catching a row edited
//! behind zhili's back, on SQLite and on PostgreSQL.

mod common;

use common::*;
use sqlx::Executor;

fn verify(data: &[&str]) -> (bool, String) {
    let out = zhili()
        .args(data)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn demo_and_users(data: &[&str]) {
    let out = run_ok(
        data,
        &[
            "demo",
            "--cases",
            "40",
            "--urban",
            "60",
            "--petitions",
            "20",
            "--risks",
            "10",
            "--unstable-events",
            "5",
            "--mediations",
            "30",
            "--court-mediations",
            "5",
            "--arbitrations",
            "5",
            "--year",
            "2021",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for role_user in [
        "admin",
        "dispatcher",
        "handler",
        "depthead",
        "gridworker",
        "leader",
        "legal",
        "mediator",
        "inspector",
        "auditor",
    ] {
        assert!(
            text.contains(&format!("  {role_user} ")),
            "{role_user} missing from:\n{text}"
        );
    }
    // A second demo into the same database is refused.
    let again = zhili()
        .args(data)
        .args(["demo", "--cases", "5", "--urban", "0"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    // Users from the CLI.
    let out = run_ok(
        data,
        &[
            "user",
            "add",
            "zhang",
            "--name",
            "张承办",
            "--role",
            "handler@dept:cgj",
            "--role",
            "grid_worker@441900115200",
        ],
        &[("ZHILI_PASSWORD", "zhang-password")],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("added user zhang"));
    let bad = zhili()
        .args(data)
        .args([
            "user",
            "add",
            "li",
            "--name",
            "李",
            "--role",
            "handler@dept:nope",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no department with code `nope`"));
    let list = String::from_utf8_lossy(&run_ok(data, &["user", "list"], &[]).stdout).to_string();
    assert!(
        list.contains("zhang") && list.contains("handler@dept:"),
        "{list}"
    );
    let token = String::from_utf8_lossy(
        &run_ok(data, &["user", "token", "zhang", "--name", "ci"], &[]).stdout,
    )
    .trim()
    .to_string();
    assert_eq!(token.len(), 43);
    run_ok(data, &["user", "disable", "zhang"], &[]);
    let list = String::from_utf8_lossy(&run_ok(data, &["user", "list"], &[]).stdout).to_string();
    assert!(list.contains("(disabled)"));
    // The demo's synthetic cells export as GeoJSON; the real Dongguan towns import by name.
    let cells = String::from_utf8_lossy(
        &run_ok(
            data,
            &[
                "export",
                "geojson",
                "--kind",
                "grid",
                "--parent",
                "441900115200",
            ],
            &[],
        )
        .stdout,
    )
    .to_string();
    let fc: serde_json::Value = serde_json::from_str(&cells).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 3, "{cells}");
    assert_eq!(fc["features"][0]["properties"]["synthetic"], true);
    let towns = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/geo/dongguan/dongguan-towns-32.geojson");
    if towns.exists() {
        let out = run_ok(
            data,
            &[
                "import",
                "geojson",
                towns.to_str().unwrap(),
                "--level",
                "town",
            ],
            &[],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("31 created, 1 updated; 25 unclosed ring(s) closed"),
            "{text}"
        );
    } else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but ../shared is missing"
        );
        eprintln!("skipped: ../shared/geo/dongguan not found (town import)");
    }
    let bad = zhili()
        .args(data)
        .args([
            "import",
            "geojson",
            "/dev/null",
            "--level",
            "grid",
            "--parent",
            "441900115200",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("geojson: not GeoJSON"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // The taxonomy: shown as CSV, checked, and a broken copy named by line.
    let shown =
        String::from_utf8_lossy(&run_ok(data, &["taxonomy", "show"], &[]).stdout).to_string();
    let file = std::path::Path::new(data[1]).join("taxonomy.csv");
    std::fs::write(&file, &shown).unwrap();
    let out = run_ok(data, &["taxonomy", "check", file.to_str().unwrap()], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("部件 (component): 6 大类, 85 小类"), "{text}");
    assert!(text.contains("事件 (event): 5 大类, 54 小类"), "{text}");
    std::fs::write(&file, shown.replacen(",0101,", ",0201,", 1)).unwrap();
    let bad = zhili()
        .args(data)
        .args(["taxonomy", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("taxonomy.csv:2: minor_code: 0201 does not begin with its 大类 01"),
        "{err}"
    );
    let (ok, text) = verify(data);
    assert!(ok, "{text}");
    assert!(text.contains("audit chain intact"), "{text}");
}

#[tokio::test]
async fn demo_users_and_audit_on_sqlite() {
    let dir = temp_dir("cli");
    let d = dir.0.to_str().unwrap().to_string();
    let data = ["--data-dir", d.as_str()];
    demo_and_users(&data);
    // Edit one event's data directly in the database: verify names it and fails.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{d}/zhili.db"))
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar(
        "SELECT MIN(id) FROM events WHERE kind = 'transition' AND data LIKE '%dispatch%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE events SET data = replace(data, 'dispatch', 'cancel') WHERE id = {id}"
    )))
    .await
    .unwrap();
    pool.close().await;
    let (ok, text) = verify(&data);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("event {id} ")), "{text}");
    assert!(text.contains("edited"), "{text}");
}

#[tokio::test]
async fn deletion_and_reordering_are_caught() {
    let dir = temp_dir("cli-del");
    let d = dir.0.to_str().unwrap().to_string();
    let data = ["--data-dir", d.as_str()];
    run_ok(
        &data,
        &[
            "demo",
            "--cases",
            "10",
            "--urban",
            "10",
            "--petitions",
            "20",
            "--risks",
            "10",
            "--unstable-events",
            "5",
            "--mediations",
            "30",
            "--court-mediations",
            "5",
            "--arbitrations",
            "5",
            "--year",
            "2021",
            "--quiet",
        ],
        &[],
    );
    let db = format!("{d}/zhili.db");
    let copy = |name: &str| {
        let to = format!("{d}/{name}");
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(&db, format!("{to}/zhili.db")).unwrap();
        std::fs::copy(format!("{d}/secret.key"), format!("{to}/secret.key")).unwrap();
        to
    };
    // Checkpoint the WAL so the copies hold everything.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .unwrap();
    pool.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    pool.close().await;
    for (name, sql) in [
        (
            "deleted",
            "DELETE FROM events WHERE id = (SELECT id FROM events WHERE stream = 'case:3' AND seq = 2)",
        ),
        (
            "last-deleted",
            "DELETE FROM events WHERE id = (SELECT id FROM events WHERE stream = 'case:4' ORDER BY seq DESC LIMIT 1)",
        ),
        (
            "reordered",
            "UPDATE events SET seq = -1 WHERE stream = 'case:5' AND seq = 2; \
             UPDATE events SET seq = 2 WHERE stream = 'case:5' AND seq = 3; \
             UPDATE events SET seq = 3 WHERE stream = 'case:5' AND seq = -1",
        ),
        (
            "retimed",
            "UPDATE events SET at = at - 3600000 WHERE stream = 'sys' AND seq = 5",
        ),
    ] {
        let dir = copy(name);
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{dir}/zhili.db"))
            .await
            .unwrap();
        let n = sqlx::raw_sql(sql)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        assert!(n > 0, "{name}: nothing changed");
        pool.close().await;
        let (ok, text) = verify(&["--data-dir", dir.as_str()]);
        assert!(!ok, "{name} not caught: {text}");
        assert!(text.contains("BROKEN"), "{name}: {text}");
    }
}

#[tokio::test]
async fn demo_users_and_audit_on_postgres() {
    let Some(url) = pg_url("PostgreSQL CLI test") else {
        return;
    };
    let db = zhili_store_postgres::PgStore::fresh_url(&url)
        .await
        .unwrap();
    let dir = temp_dir("cli-pg");
    let d = dir.0.to_str().unwrap().to_string();
    let data = ["--data-dir", d.as_str(), "--database", db.as_str()];
    demo_and_users(&data);
    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT MIN(id) FROM events WHERE kind = 'transition'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE events SET actor_id = actor_id + 1 WHERE id = {id}"
    )))
    .await
    .unwrap();
    pool.close().await;
    let (ok, text) = verify(&data);
    assert!(!ok && text.contains(&format!("event {id} ")), "{text}");
}
