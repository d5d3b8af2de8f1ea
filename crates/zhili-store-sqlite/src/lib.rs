//! zhili's store on SQLite: one file under the data directory, WAL, durable commits
//! (`synchronous = FULL`). The default backend, so that one command runs everything.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use zhili_store::StoreResult;

/// The SQLite store. Writes go through a single connection (SQLite has one writer at a time;
/// queueing in the pool avoids busy errors), reads through several.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    creates: zhili_store::batch::Batcher<zhili_store::NewCase, zhili_store::CreatedCase>,
}

impl SqliteStore {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(true))
            .await?;
        let store = SqliteStore {
            read,
            creates: SqliteStore::case_queue(write.clone()),
            write,
        };
        store.index_search_terms().await?;
        Ok(store)
    }

    /// The pool that writes, for tests that tamper with rows directly.
    pub fn write_pool(&self) -> &SqlitePool {
        &self.write
    }
}

// New cases take their ids inside an immediate (write-locked) transaction: the next ids after
// the largest ever given (AUTOINCREMENT keeps it in sqlite_sequence).
zhili_store::impl_sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    backend = "sqlite",
    claim = "",
    begin = "BEGIN IMMEDIATE",
    next_ids = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) \
                SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cases'), 0), \
                coalesce((SELECT max(id) FROM cases), 0)) + i AS id FROM s ORDER BY i",
    parallel_batches = 1,
    // The single writing connection: WAL with `synchronous = NORMAL` syncs at checkpoints only.
    bulk_load = ("PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL"),
    text_search = (
        from = "JOIN cases_fts ON cases_fts.rowid = cases.id",
        match = ("cases_fts MATCH ", ""),
        order = "cases_fts.rowid"
    )
);
