//! zhili's store on PostgreSQL, for production and for several app servers on one database.
//! Deadline scans claim rows with `FOR UPDATE SKIP LOCKED`, so two servers never process the
//! same case at once.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, Row};
use zhili_store::StoreResult;

#[derive(Clone, Debug)]
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    creates: zhili_store::batch::Batcher<zhili_store::NewCase, zhili_store::CreatedCase>,
}

impl PgStore {
    /// Connect and bring the schema up to date.
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = PgStore {
            read: pool.clone(),
            creates: PgStore::case_queue(pool.clone()),
            write: pool,
        };
        store.index_search_terms().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.write
    }

    /// A new, empty database on the server of `url`, for a test or a benchmark. Databases left by
    /// earlier processes that have ended are dropped first.
    pub async fn fresh(url: &str) -> StoreResult<PgStore> {
        PgStore::open(&PgStore::fresh_url(url).await?).await
    }

    /// Create a new, empty database on the server of `url` and return its URL.
    pub async fn fresh_url(url: &str) -> StoreResult<String> {
        static N: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        let name = format!("zhili_t_{pid}_{}", N.fetch_add(1, Ordering::SeqCst));
        let admin = PgConnectOptions::from_str(url)?;
        let mut conn = admin.connect().await?;
        let old = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'zhili_t_%'")
            .fetch_all(&mut conn)
            .await?;
        for r in old {
            let db: String = r.try_get("datname")?;
            let owner_pid = db.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
            if let Some(p) = owner_pid
                && p != pid
                && !std::path::Path::new(&format!("/proc/{p}")).exists()
            {
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
                )))
                .await?;
            }
        }
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await?;
        conn.close().await?;
        Ok(admin.database(&name).to_url_lossy().to_string())
    }
}

zhili_store::impl_sql_store!(
    PgStore,
    sqlx::Postgres,
    backend = "postgres",
    claim = "FOR UPDATE SKIP LOCKED",
    begin = "BEGIN",
    next_ids = "SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id FROM generate_series(1, $1::bigint) ORDER BY 1",
    parallel_batches = 2,
    // Commits are cheap next to the round trips; nothing to change.
    bulk_load = ("SELECT 1", "SELECT 1"),
    text_search = (
        from = "",
        match = ("search_tsv @@ plainto_tsquery('simple', ", ")"),
        order = "id"
    )
);
