//! The SQL both backends share. Every statement here runs unchanged on SQLite and PostgreSQL
//! (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the backend crates invoke
//! [`impl_sql_store!`](crate::impl_sql_store) with their database type and the few fragments
//! where the engines differ.

use chrono::{TimeZone, Utc};
use zhili_domain::indicators::Measure;

use crate::{DbError, GroupBy, StoreResult, Timestamp};

pub fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub fn ts(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| Utc.timestamp_millis_opt(0).single().expect("epoch"))
}

pub fn opt_ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(ts)
}

pub fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> StoreResult<T> {
    s.parse().map_err(DbError::Corrupt)
}

/// `YYYY-MM` of a time in China Standard Time, stored with each case for monthly grouping.
pub fn month_of(t: Timestamp) -> String {
    zhili_domain::clock::to_local(t).format("%Y-%m").to_string()
}

/// The full-text terms a case is indexed under (`cases.search_terms`).
pub fn search_terms(
    title: &str,
    content: &str,
    address: Option<&str>,
    category: Option<&str>,
) -> String {
    zhili_domain::text::index_terms(&[
        title,
        content,
        address.unwrap_or_default(),
        category.unwrap_or_default(),
    ])
}

/// How a list's text filter is searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextQuery {
    /// A case number or its beginning (`2021GN…`): a range on the unique index.
    CaseNo(String),
    /// Words, through the full-text index (every term required).
    Terms(String),
    /// Only symbols, no words: looked for literally in titles.
    Literal(String),
}

impl TextQuery {
    pub fn of(f: &crate::CaseFilter) -> Option<TextQuery> {
        let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        let b = text.as_bytes();
        if b.len() >= 6
            && b.iter().all(u8::is_ascii_alphanumeric)
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6].iter().all(u8::is_ascii_alphabetic)
        {
            return Some(TextQuery::CaseNo(text.to_ascii_uppercase()));
        }
        let terms = zhili_domain::text::query_terms(text);
        if terms.is_empty() {
            Some(TextQuery::Literal(text.to_string()))
        } else {
            Some(TextQuery::Terms(zhili_domain::text::match_expression(
                &terms,
            )))
        }
    }
}

/// Escape a user's words for `LIKE … ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut s = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// The SQL expression a grouping selects as its key.
pub fn group_expr(g: GroupBy) -> &'static str {
    match g {
        GroupBy::None => "CAST(NULL AS TEXT)",
        GroupBy::Node => "CAST(node_id AS TEXT)",
        GroupBy::Village => "CAST(village_id AS TEXT)",
        GroupBy::Department => "CAST(department_id AS TEXT)",
        GroupBy::Category => "category",
        GroupBy::Kind => "kind",
        GroupBy::Month => "created_month",
        GroupBy::Handler => "CAST(handler_id AS TEXT)",
    }
}

/// The one place where each [`Measure`] becomes SQL over the `cases` table: a value per case
/// that the counts add up (1 or 0 for counts). `{as_of}` stands for the bound evaluation time;
/// the cohort (cases received in the period) is the WHERE clause.
pub fn measure_value(m: Measure) -> &'static str {
    match m {
        Measure::Received => "1",
        Measure::Registered => {
            "CASE WHEN registered_at IS NOT NULL AND registered_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::Closed => {
            "CASE WHEN registered_at IS NOT NULL AND closed_at IS NOT NULL AND closed_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::ClosedOnTime => {
            "CASE WHEN registered_at IS NOT NULL AND closed_at IS NOT NULL AND closed_at <= {as_of} AND closed_on_time = TRUE THEN 1 ELSE 0 END"
        }
        Measure::DueForClosing => {
            "CASE WHEN registered_at IS NOT NULL AND ((closed_at IS NOT NULL AND closed_at <= {as_of}) OR (overall_due_at IS NOT NULL AND overall_due_at <= {as_of} AND (ended_at IS NULL OR ended_at > {as_of} OR closed_at IS NOT NULL))) THEN 1 ELSE 0 END"
        }
        Measure::Overdue => {
            "CASE WHEN registered_at IS NOT NULL AND ((closed_at IS NOT NULL AND closed_at <= {as_of} AND closed_on_time = FALSE) OR ((ended_at IS NULL OR ended_at > {as_of}) AND overall_due_at IS NOT NULL AND overall_due_at <= {as_of})) THEN 1 ELSE 0 END"
        }
        Measure::Open => {
            "CASE WHEN registered_at IS NOT NULL AND registered_at <= {as_of} AND (ended_at IS NULL OR ended_at > {as_of}) THEN 1 ELSE 0 END"
        }
        Measure::Concluded => {
            "CASE WHEN ended_at IS NOT NULL AND ended_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::Pending => "CASE WHEN ended_at IS NULL OR ended_at > {as_of} THEN 1 ELSE 0 END",
        Measure::Dispatched => {
            "CASE WHEN dispatched_at IS NOT NULL AND dispatched_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::DispatchedAccurately => {
            "CASE WHEN dispatched_at IS NOT NULL AND dispatched_at <= {as_of} AND returns = 0 THEN 1 ELSE 0 END"
        }
        Measure::Handled => {
            "CASE WHEN handled_at IS NOT NULL AND handled_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::HandledOnTime => {
            "CASE WHEN handled_at IS NOT NULL AND handled_at <= {as_of} AND handled_on_time = TRUE THEN 1 ELSE 0 END"
        }
        Measure::Reworked => {
            "CASE WHEN handled_at IS NOT NULL AND handled_at <= {as_of} AND reworks > 0 THEN 1 ELSE 0 END"
        }
        Measure::Parked => "CASE WHEN pauses > 0 THEN 1 ELSE 0 END",
        Measure::SelfHandled => {
            "CASE WHEN registered_at IS NULL AND closed_at IS NOT NULL AND closed_at <= {as_of} THEN 1 ELSE 0 END"
        }
        Measure::Repeated => "CASE WHEN repeat_of IS NOT NULL THEN 1 ELSE 0 END",
        Measure::SubsidyFen => "COALESCE(subsidy_fen, 0)",
        Measure::HandleMinutes => {
            "CASE WHEN handled_at IS NOT NULL AND handled_at <= {as_of} AND dispatched_at IS NOT NULL THEN (handled_at - dispatched_at) / 60000 ELSE 0 END"
        }
    }
}

/// The columns of a case that `case_from_row` reads.
#[macro_export]
#[doc(hidden)]
macro_rules! case_columns {
    () => {
        "id, case_no, kind, category, channel, priority, state, title, content, address, lat, lon, \
         node_id, node_path, village_id, department_id, handler_id, created_by, created_at, registered_at, closed_at, \
         ended_at, updated_at, version, clocks, reworks, returns, merged_into, repeat_of, details, lead_id, lead_due_at, ledger_due_at, subsidy_fen, subsidy_paid_at"
    };
}

/// `SELECT <case columns> FROM cases <rest>`.
#[macro_export]
#[doc(hidden)]
macro_rules! case_select {
    ($($rest:literal),*) => {
        concat!("SELECT ", $crate::case_columns!(), " FROM cases ", $($rest),*)
    };
}

/// Implements [`Store`](crate::Store) for a struct with `read` and `write` pools of `$db`.
/// `$claim` is appended to the deadline-scan query (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
#[macro_export]
#[doc(hidden)]
macro_rules! impl_sql_store {
    ($ty:ty, $db:ty, backend = $backend:literal, claim = $claim:literal, begin = $begin:literal,
     next_ids = $next_ids:literal, parallel_batches = $parallel:literal,
     bulk_load = ($bulk_on:literal, $bulk_off:literal),
     text_search = (from = $text_from:literal, match = ($text_pre:literal, $text_post:literal), order = $text_order:literal)) => {
        const _: () = {
            use $crate::sql::{ms, opt_ts, parse, ts};
            use $crate::sqlx::{self, Row};
            use $crate::*;
            use zhili_domain::audit::{self as audit, StoredLink};
            use zhili_domain::indicators::{Counts, Measure};

            type Conn = <$db as sqlx::Database>::Connection;
            type DbRow = <$db as sqlx::Database>::Row;

            fn case_from_row(r: &DbRow) -> StoreResult<CaseRow> {
                let clocks: String = r.try_get("clocks")?;
                Ok(CaseRow {
                    id: r.try_get("id")?,
                    case_no: r.try_get::<Option<String>, _>("case_no")?.unwrap_or_default(),
                    kind: r.try_get("kind")?,
                    category: r.try_get("category")?,
                    channel: parse(&r.try_get::<String, _>("channel")?)?,
                    priority: parse(&r.try_get::<String, _>("priority")?)?,
                    state: r.try_get("state")?,
                    title: r.try_get("title")?,
                    content: r.try_get("content")?,
                    address: r.try_get("address")?,
                    lat: r.try_get("lat")?,
                    lon: r.try_get("lon")?,
                    node_id: r.try_get("node_id")?,
                    node_path: r.try_get("node_path")?,
                    village_id: r.try_get("village_id")?,
                    department_id: r.try_get("department_id")?,
                    handler_id: r.try_get("handler_id")?,
                    created_by: r.try_get("created_by")?,
                    created_at: ts(r.try_get("created_at")?),
                    registered_at: opt_ts(r.try_get("registered_at")?),
                    closed_at: opt_ts(r.try_get("closed_at")?),
                    ended_at: opt_ts(r.try_get("ended_at")?),
                    updated_at: ts(r.try_get("updated_at")?),
                    version: r.try_get("version")?,
                    clocks: serde_json::from_str(&clocks)
                        .map_err(|e| DbError::Corrupt(format!("case clocks: {e}")))?,
                    reworks: r.try_get("reworks")?,
                    returns: r.try_get("returns")?,
                    merged_into: r.try_get("merged_into")?,
                    repeat_of: r.try_get("repeat_of")?,
                    lead_id: r.try_get("lead_id")?,
                    lead_due_at: opt_ts(r.try_get("lead_due_at")?),
                    ledger_due_at: opt_ts(r.try_get("ledger_due_at")?),
                    subsidy_fen: r.try_get("subsidy_fen")?,
                    subsidy_paid_at: opt_ts(r.try_get("subsidy_paid_at")?),
                    details: match r.try_get::<Option<String>, _>("details")? {
                        Some(d) => serde_json::from_str(&d)
                            .map_err(|e| DbError::Corrupt(format!("case details: {e}")))?,
                        None => serde_json::Value::Null,
                    },
                })
            }

            fn node_from_row(r: &DbRow) -> StoreResult<NodeRow> {
                Ok(NodeRow {
                    id: r.try_get("id")?,
                    parent_id: r.try_get("parent_id")?,
                    kind: parse(&r.try_get::<String, _>("kind")?)?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    path: r.try_get("path")?,
                    geometry: r.try_get("geometry")?,
                    synthetic: r.try_get("synthetic")?,
                })
            }

            fn user_from_row(r: &DbRow) -> StoreResult<UserRow> {
                Ok(UserRow {
                    id: r.try_get("id")?,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    password_hash: r.try_get("password_hash")?,
                    disabled: r.try_get("disabled")?,
                    created_at: ts(r.try_get("created_at")?),
                })
            }

            fn token_from_row(r: &DbRow) -> StoreResult<TokenRow> {
                let kind: String = r.try_get("kind")?;
                Ok(TokenRow {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    kind: if kind == "api" { TokenKind::Api } else { TokenKind::Session },
                    name: r.try_get("name")?,
                    created_at: ts(r.try_get("created_at")?),
                    expires_at: opt_ts(r.try_get("expires_at")?),
                    revoked_at: opt_ts(r.try_get("revoked_at")?),
                })
            }

            fn grant_from_row(r: &DbRow) -> StoreResult<GrantRow> {
                Ok(GrantRow {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    role: parse(&r.try_get::<String, _>("role")?)?,
                    node_id: r.try_get("node_id")?,
                    node_path: r.try_get("node_path")?,
                    department_id: r.try_get("department_id")?,
                })
            }

            fn event_from_row(r: &DbRow) -> StoreResult<EventRow> {
                let data: String = r.try_get("data")?;
                Ok(EventRow {
                    id: r.try_get("id")?,
                    seq: r.try_get("seq")?,
                    case_id: r.try_get("case_id")?,
                    kind: r.try_get("kind")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("actor_name")?,
                    at: ts(r.try_get("at")?),
                    data: serde_json::from_str(&data)
                        .map_err(|e| DbError::Corrupt(format!("event data: {e}")))?,
                    hash: r.try_get("hash")?,
                })
            }

            fn attachment_from_row(r: &DbRow) -> StoreResult<AttachmentRow> {
                Ok(AttachmentRow {
                    id: r.try_get("id")?,
                    sha256: r.try_get("sha256")?,
                    size: r.try_get("size")?,
                    mime: r.try_get("mime")?,
                    filename: r.try_get("filename")?,
                    case_id: r.try_get("case_id")?,
                    uploaded_by: r.try_get("uploaded_by")?,
                    created_at: ts(r.try_get("created_at")?),
                })
            }

            fn mediator_from_row(r: &DbRow) -> StoreResult<MediatorRow> {
                Ok(MediatorRow {
                    id: r.try_get("id")?,
                    committee_id: r.try_get("committee_id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    gender: r.try_get("gender")?,
                    is_member: r.try_get("is_member")?,
                    is_chair: r.try_get("is_chair")?,
                    registered_at: ts(r.try_get("registered_at")?),
                })
            }

            async fn insert_mediator(conn: &mut Conn, committee_id: i64, m: &NewMediator, at: Timestamp) -> StoreResult<MediatorRow> {
                let r = sqlx::query(
                    "INSERT INTO mediators (committee_id, user_id, name, gender, is_member, is_chair, registered_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                )
                .bind(committee_id)
                .bind(m.user_id)
                .bind(&m.name)
                .bind(&m.gender)
                .bind(m.is_member)
                .bind(m.is_chair)
                .bind(ms(at))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| DbError::classify(e, "mediator", "user_id"))?;
                mediator_from_row(&r)
            }

            fn party_from_row(r: &DbRow) -> StoreResult<PartyRow> {
                Ok(PartyRow {
                    id: r.try_get("id")?,
                    case_id: r.try_get("case_id")?,
                    role: r.try_get("role")?,
                    name_enc: r.try_get("name_enc")?,
                    name_masked: r.try_get("name_masked")?,
                    id_number_enc: r.try_get("id_number_enc")?,
                    id_number_masked: r.try_get("id_number_masked")?,
                    phone_enc: r.try_get("phone_enc")?,
                    phone_masked: r.try_get("phone_masked")?,
                    address_enc: r.try_get("address_enc")?,
                    address_masked: r.try_get("address_masked")?,
                })
            }

            /// Append an event to a stream's hash chain, in the caller's transaction.
            async fn append(
                conn: &mut Conn,
                stream: &str,
                case_id: Option<i64>,
                ev: &NewEvent,
            ) -> StoreResult<EventRow> {
                // Read the stream's head under its row lock, so that two writers cannot both
                // extend the same head. A new stream starts at the genesis hash.
                const LOCK_HEAD: &str = "UPDATE chain_heads SET seq = seq WHERE stream = $1 RETURNING seq, hash";
                let head = match sqlx::query(LOCK_HEAD).bind(stream).fetch_optional(&mut *conn).await? {
                    Some(h) => h,
                    None => {
                        sqlx::query(
                            "INSERT INTO chain_heads (stream, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (stream) DO NOTHING",
                        )
                        .bind(stream)
                        .bind(audit::GENESIS)
                        .execute(&mut *conn)
                        .await?;
                        sqlx::query(LOCK_HEAD).bind(stream).fetch_one(&mut *conn).await?
                    }
                };
                let prev_seq: i64 = head.try_get("seq")?;
                let prev_hash: String = head.try_get("hash")?;
                let e = write_event(conn, stream, case_id, ev, prev_seq, &prev_hash).await?;
                sqlx::query("UPDATE chain_heads SET seq = $1, hash = $2 WHERE stream = $3")
                    .bind(e.seq)
                    .bind(&e.hash)
                    .bind(stream)
                    .execute(&mut *conn)
                    .await?;
                Ok(e)
            }

            /// Insert an event after `(prev_seq, prev_hash)`; the caller updates the head.
            async fn write_event(
                conn: &mut Conn,
                stream: &str,
                case_id: Option<i64>,
                ev: &NewEvent,
                prev_seq: i64,
                prev_hash: &str,
            ) -> StoreResult<EventRow> {
                let seq = prev_seq + 1;
                let data = ev.data.to_string();
                let at_ms = ms(ev.at);
                let hash = audit::link_hash(
                    prev_hash,
                    &audit::ChainLink {
                        stream,
                        seq,
                        kind: &ev.kind,
                        actor_id: ev.actor_id,
                        at_ms,
                        data: &data,
                    },
                );
                let id: i64 = sqlx::query(
                    "INSERT INTO events (stream, seq, case_id, kind, actor_id, at, data, prev_hash, hash, alg) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(stream)
                .bind(seq)
                .bind(case_id)
                .bind(&ev.kind)
                .bind(ev.actor_id)
                .bind(at_ms)
                .bind(&data)
                .bind(prev_hash)
                .bind(&hash)
                .bind(audit::HASH_ALG)
                .fetch_one(&mut *conn)
                .await?
                .try_get("id")?;
                Ok(EventRow {
                    id,
                    seq,
                    case_id,
                    kind: ev.kind.clone(),
                    actor_id: ev.actor_id,
                    actor_name: None,
                    at: ev.at,
                    data: ev.data.clone(),
                    hash,
                })
            }

            impl $ty {
                /// The group-commit queue that new cases go through (see [`batch`]).
                fn case_queue(write: sqlx::Pool<$db>) -> $crate::batch::Batcher<NewCase, CreatedCase> {
                    $crate::batch::Batcher::spawn(64, $parallel, move |items| {
                        let write = write.clone();
                        async move { create_cases(&write, items).await }
                    })
                }
            }

            impl $ty {
                /// Give full-text terms to the cases that have none (made before the search
                /// index existed). Returns how many were indexed.
                pub async fn index_search_terms(&self) -> StoreResult<u64> {
                    let mut total = 0;
                    loop {
                        let rows = sqlx::query(
                            "SELECT id, title, content, address, category FROM cases WHERE search_terms IS NULL ORDER BY id LIMIT 500",
                        )
                        .fetch_all(&self.write)
                        .await?;
                        if rows.is_empty() {
                            return Ok(total);
                        }
                        let mut tx = self.write.begin().await?;
                        for r in &rows {
                            let terms = $crate::sql::search_terms(
                                &r.try_get::<String, _>("title")?,
                                &r.try_get::<String, _>("content")?,
                                r.try_get::<Option<String>, _>("address")?.as_deref(),
                                r.try_get::<Option<String>, _>("category")?.as_deref(),
                            );
                            sqlx::query("UPDATE cases SET search_terms = $1 WHERE id = $2")
                                .bind(terms)
                                .bind(r.try_get::<i64, _>("id")?)
                                .execute(&mut *tx)
                                .await?;
                        }
                        tx.commit().await?;
                        total += rows.len() as u64;
                    }
                }
            }

            /// Create a batch of cases in one transaction. When the batch fails, each case is
            /// tried alone, so that a bad one fails by itself with its own error.
            async fn create_cases(
                pool: &sqlx::Pool<$db>,
                items: Vec<NewCase>,
            ) -> Vec<StoreResult<CreatedCase>> {
                if items.len() > 1
                    && let Ok(rows) = create_batch(pool, &items).await
                {
                    return rows.into_iter().map(Ok).collect();
                }
                let mut out = Vec::with_capacity(items.len());
                for c in &items {
                    out.push(
                        create_batch(pool, std::slice::from_ref(c))
                            .await
                            .map(|mut rows| rows.remove(0)),
                    );
                }
                out
            }

            /// Insert cases with their parties, attachments, and the first event of each one's
            /// audit chain: a few multi-row statements for the whole batch, one commit.
            async fn create_batch(pool: &sqlx::Pool<$db>, items: &[NewCase]) -> StoreResult<Vec<CreatedCase>> {
                use std::collections::HashMap;
                let mut tx = pool.begin_with($begin).await?;
                // Each node's path and the village it lies in.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT n.id, n.path, (SELECT v.id FROM org_nodes v WHERE v.kind = 'village' AND n.path LIKE v.path || '%') AS village_id \
                     FROM org_nodes n WHERE n.id IN (",
                );
                let mut sep = qb.separated(", ");
                for c in items {
                    sep.push_bind(c.node_id);
                }
                qb.push(")");
                let mut nodes: HashMap<i64, (String, Option<i64>)> = HashMap::new();
                for r in qb.build().fetch_all(&mut *tx).await? {
                    nodes.insert(r.try_get("id")?, (r.try_get("path")?, r.try_get("village_id")?));
                }
                let ids: Vec<i64> = sqlx::query($next_ids)
                    .bind(items.len() as i64)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("id"))
                    .collect::<Result<_, _>>()?;
                if ids.len() != items.len() {
                    return Err(DbError::Corrupt("case id allocation returned too few ids".into()));
                }
                struct Prepared<'a> {
                    id: i64,
                    case_no: String,
                    c: &'a NewCase,
                    path: &'a str,
                    village_id: Option<i64>,
                    clocks: (String, &'static str, Option<i64>, Option<i64>),
                    search_terms: String,
                }
                let mut prepared = Vec::with_capacity(items.len());
                for (c, &id) in items.iter().zip(&ids) {
                    let (path, village_id) = nodes
                        .get(&c.node_id)
                        .ok_or(DbError::BadReference { field: "node_id" })?;
                    let year = chrono::Datelike::year(&zhili_domain::clock::to_local(c.at));
                    prepared.push(Prepared {
                        id,
                        case_no: zhili_domain::case::CaseNo::new(year, &c.kind, id).as_str().to_string(),
                        c,
                        path,
                        village_id: *village_id,
                        clocks: clock_columns(&c.clocks)?,
                        search_terms: $crate::sql::search_terms(&c.title, &c.content, c.address.as_deref(), c.category.as_deref()),
                    });
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO cases (id, case_no, kind, category, channel, priority, state, title, content, address, lat, lon, \
                     node_id, node_path, department_id, created_by, created_at, created_month, registered_at, updated_at, \
                     version, clocks, clock_status, overall_due_at, next_check_at, reworks, returns, village_id, search_terms, \
                     details, repeat_of) ",
                );
                qb.push_values(&prepared, |mut b, p| {
                    let at = ms(p.c.at);
                    b.push_bind(p.id)
                        .push_bind(p.case_no.clone())
                        .push_bind(p.c.kind.clone())
                        .push_bind(p.c.category.clone())
                        .push_bind(p.c.channel.as_str())
                        .push_bind(p.c.priority.as_str())
                        .push_bind(p.c.state.clone())
                        .push_bind(p.c.title.clone())
                        .push_bind(p.c.content.clone())
                        .push_bind(p.c.address.clone())
                        .push_bind(p.c.lat)
                        .push_bind(p.c.lon)
                        .push_bind(p.c.node_id)
                        .push_bind(p.path.to_string())
                        .push_bind(p.c.department_id)
                        .push_bind(p.c.created_by)
                        .push_bind(at)
                        .push_bind($crate::sql::month_of(p.c.at))
                        .push_bind(p.c.registered.then_some(at))
                        .push_bind(at)
                        .push_bind(1i64)
                        .push_bind(p.clocks.0.clone())
                        .push_bind(p.clocks.1)
                        .push_bind(p.clocks.2)
                        .push_bind(p.clocks.3)
                        .push_bind(0i64)
                        .push_bind(0i64)
                        .push_bind(p.village_id)
                        .push_bind(p.search_terms.clone())
                        .push_bind(p.c.details.as_ref().map(|d| d.to_string()))
                        .push_bind(p.c.repeat_of);
                });
                qb.push(concat!(" RETURNING ", $crate::case_columns!()));
                let mut rows: HashMap<i64, CaseRow> = HashMap::new();
                for r in qb
                    .build()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "case", "department_id"))?
                {
                    let c = case_from_row(&r)?;
                    rows.insert(c.id, c);
                }
                let parties: Vec<(i64, &NewParty)> = prepared
                    .iter()
                    .flat_map(|p| p.c.parties.iter().map(move |party| (p.id, party)))
                    .collect();
                let mut party_rows: HashMap<i64, Vec<PartyRow>> = HashMap::new();
                if !parties.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO case_parties (case_id, role, name_enc, name_masked, id_number_enc, id_number_masked, \
                         phone_enc, phone_masked, address_enc, address_masked, person_key) ",
                    );
                    qb.push_values(&parties, |mut b, (id, p)| {
                        b.push_bind(*id)
                            .push_bind(p.role.clone())
                            .push_bind(p.name_enc.clone())
                            .push_bind(p.name_masked.clone())
                            .push_bind(p.id_number_enc.clone())
                            .push_bind(p.id_number_masked.clone())
                            .push_bind(p.phone_enc.clone())
                            .push_bind(p.phone_masked.clone())
                            .push_bind(p.address_enc.clone())
                            .push_bind(p.address_masked.clone())
                            .push_bind(p.person_key.clone());
                    });
                    qb.push(" RETURNING *");
                    for r in qb.build().fetch_all(&mut *tx).await? {
                        let p = party_from_row(&r)?;
                        party_rows.entry(p.case_id).or_default().push(p);
                    }
                }
                for p in &prepared {
                    link_attachments(&mut tx, p.id, &p.c.attachment_ids).await?;
                    if let Some(other) = p.c.repeat_of {
                        // The same person on the same matter again (重复信访), linked in the same commit.
                        sqlx::query(
                            "INSERT INTO case_links (case_id, other_case_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(p.id)
                        .bind(other)
                        .bind(zhili_domain::case::LinkKind::RepeatOf.as_str())
                        .bind(p.c.created_by)
                        .bind(ms(p.c.at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| DbError::classify(e, "link", "repeat_of"))?;
                    }
                    if let Some(other) = p.c.related_to {
                        // The case it came from (转自), linked in the same commit.
                        sqlx::query(
                            "INSERT INTO case_links (case_id, other_case_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(p.id)
                        .bind(other)
                        .bind(zhili_domain::case::LinkKind::Related.as_str())
                        .bind(p.c.created_by)
                        .bind(ms(p.c.at))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| DbError::classify(e, "link", "related_to"))?;
                    }
                }
                // Each case's audit chain starts with its creation event.
                let events: Vec<(String, &Prepared, String, String)> = prepared
                    .iter()
                    .map(|p| {
                        let mut data = p.c.event_data.clone();
                        data["case_no"] = serde_json::json!(p.case_no);
                        let data = data.to_string();
                        let stream = case_stream(p.id);
                        let hash = audit::link_hash(
                            audit::GENESIS,
                            &audit::ChainLink {
                                stream: &stream,
                                seq: 1,
                                kind: "created",
                                actor_id: p.c.created_by,
                                at_ms: ms(p.c.at),
                                data: &data,
                            },
                        );
                        (stream, p, data, hash)
                    })
                    .collect();
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO events (stream, seq, case_id, kind, actor_id, at, data, prev_hash, hash, alg) ",
                );
                qb.push_values(&events, |mut b, (stream, p, data, hash)| {
                    b.push_bind(stream.clone())
                        .push_bind(1i64)
                        .push_bind(p.id)
                        .push_bind("created")
                        .push_bind(p.c.created_by)
                        .push_bind(ms(p.c.at))
                        .push_bind(data.clone())
                        .push_bind(audit::GENESIS)
                        .push_bind(hash.clone())
                        .push_bind(audit::HASH_ALG);
                });
                qb.build().execute(&mut *tx).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO chain_heads (stream, seq, hash) ");
                qb.push_values(&events, |mut b, (stream, _, _, hash)| {
                    b.push_bind(stream.clone()).push_bind(1i64).push_bind(hash.clone());
                });
                qb.build().execute(&mut *tx).await?;
                tx.commit().await?;
                ids.iter()
                    .map(|id| {
                        let case = rows
                            .remove(id)
                            .ok_or(DbError::Corrupt(format!("case {id} was not returned")))?;
                        let mut parties = party_rows.remove(id).unwrap_or_default();
                        parties.sort_by_key(|p| p.id);
                        Ok(CreatedCase { case, parties })
                    })
                    .collect()
            }

            /// An event on the system stream (users, grants, org changes, API tokens).
            async fn sys_event(
                conn: &mut Conn,
                kind: &str,
                actor_id: Option<i64>,
                at: Timestamp,
                data: serde_json::Value,
            ) -> StoreResult<()> {
                append(conn, SYS, None, &NewEvent { kind: kind.into(), actor_id, at, data }).await?;
                Ok(())
            }

            fn case_stream(id: i64) -> String {
                format!("case:{id}")
            }

            const SYS: &str = "sys";

            async fn node_path(conn: &mut Conn, node_id: i64, field: &'static str) -> StoreResult<String> {
                sqlx::query("SELECT path FROM org_nodes WHERE id = $1")
                    .bind(node_id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .map(|r| r.try_get::<String, _>("path"))
                    .transpose()?
                    .ok_or(DbError::BadReference { field })
            }

            /// Mark a case as touched by an event that does not change it (a comment, a reveal):
            /// its row lock is taken and `updated_at` moves, but its version stays, so that forms
            /// open elsewhere remain valid.
            async fn touch_case(conn: &mut Conn, case_id: i64, at: Timestamp) -> StoreResult<()> {
                let n = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                    .bind(ms(at))
                    .bind(case_id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(DbError::NotFound("case"));
                }
                Ok(())
            }

            async fn link_attachments(
                conn: &mut Conn,
                case_id: i64,
                ids: &[i64],
            ) -> StoreResult<()> {
                for id in ids {
                    let n = sqlx::query(
                        "UPDATE attachments SET case_id = $1 WHERE id = $2 AND (case_id IS NULL OR case_id = $1)",
                    )
                    .bind(case_id)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Err(DbError::BadReference { field: "attachment_ids" });
                    }
                }
                Ok(())
            }

            fn clock_columns(c: &zhili_domain::case::CaseClocks) -> StoreResult<(String, &'static str, Option<i64>, Option<i64>)> {
                Ok((
                    serde_json::to_string(c).map_err(|e| DbError::Corrupt(e.to_string()))?,
                    c.status().as_str(),
                    c.overall_due().map(ms),
                    c.next_check().map(ms),
                ))
            }

            /// The WHERE conditions of a case filter (after `WHERE 1 = 1`).
            /// The filter's conditions; `text` is `TextQuery::of(f)`, worked out once by the caller.
            fn push_case_filter(qb: &mut sqlx::QueryBuilder<$db>, f: &CaseFilter, text: Option<$crate::sql::TextQuery>) {
                    if !f.visibility.all {
                    let v = &f.visibility;
                    if v.node_paths.is_empty() && v.department_ids.is_empty() {
                        qb.push(" AND 1 = 0");
                    } else {
                        qb.push(" AND (1 = 0");
                        for p in &v.node_paths {
                            qb.push(" OR node_path LIKE ");
                            qb.push_bind(format!("{p}%"));
                        }
                        for d in &v.department_ids {
                            qb.push(" OR department_id = ");
                            qb.push_bind(*d);
                        }
                        qb.push(")");
                    }
                }
                if let Some(s) = &f.state {
                    qb.push(" AND state = ");
                    qb.push_bind(s.clone());
                }
                if let Some(k) = &f.kind {
                    qb.push(" AND kind = ");
                    qb.push_bind(k.clone());
                }
                if let Some(l) = f.lead_id {
                    qb.push(" AND lead_id = ");
                    qb.push_bind(l);
                }
                if let Some(h) = f.handler_id {
                    qb.push(" AND handler_id = ");
                    qb.push_bind(h);
                }
                match f.listed {
                    Some(true) => { qb.push(" AND ledger_due_at IS NOT NULL"); }
                    Some(false) => { qb.push(" AND ledger_due_at IS NULL"); }
                    None => {}
                }
                match f.subsidized {
                    Some(true) => { qb.push(" AND subsidy_fen IS NOT NULL"); }
                    Some(false) => { qb.push(" AND subsidy_fen IS NULL"); }
                    None => {}
                }
                if let Some(c) = &f.category {
                    qb.push(" AND category = ");
                    qb.push_bind(c.clone());
                }
                if let Some(d) = f.department_id {
                    qb.push(" AND department_id = ");
                    qb.push_bind(d);
                }
                if let Some(p) = &f.node_path {
                    qb.push(" AND node_path LIKE ");
                    qb.push_bind(format!("{p}%"));
                }
                match f.overdue {
                    Some(true) => {
                        qb.push(" AND clock_status = 'overdue' AND ended_at IS NULL");
                    }
                    Some(false) => {
                        qb.push(" AND clock_status <> 'overdue'");
                    }
                    None => {}
                }
                match f.open {
                    Some(true) => {
                        qb.push(" AND ended_at IS NULL");
                    }
                    Some(false) => {
                        qb.push(" AND ended_at IS NOT NULL");
                    }
                    None => {}
                }
                if let Some(t) = f.created_from {
                    qb.push(" AND created_at >= ");
                    qb.push_bind(ms(t));
                }
                if let Some(t) = f.created_to {
                    qb.push(" AND created_at < ");
                    qb.push_bind(ms(t));
                }
                match text {
                    None => {}
                    Some($crate::sql::TextQuery::CaseNo(no)) => {
                        qb.push(" AND case_no >= ");
                        qb.push_bind(no.clone());
                        qb.push(" AND case_no < ");
                        qb.push_bind(format!("{no}~"));
                    }
                    Some($crate::sql::TextQuery::Terms(expr)) => {
                        qb.push(" AND ");
                        qb.push($text_pre);
                        qb.push_bind(expr);
                        qb.push($text_post);
                    }
                    Some($crate::sql::TextQuery::Literal(text)) => {
                        qb.push(" AND title LIKE ");
                        qb.push_bind($crate::sql::like_pattern(&text));
                        qb.push(" ESCAPE '\\'");
                    }
                }
                if let Some((x0, y0, x1, y1)) = f.bbox {
                    qb.push(" AND lon >= ");
                    qb.push_bind(x0);
                    qb.push(" AND lon <= ");
                    qb.push_bind(x1);
                    qb.push(" AND lat >= ");
                    qb.push_bind(y0);
                    qb.push(" AND lat <= ");
                    qb.push_bind(y1);
                }
                if let Some(st) = &f.clock_status {
                    qb.push(" AND ended_at IS NULL AND clock_status = ");
                    qb.push_bind(st.clone());
                }
                if let Some(states) = &f.states {
                    // `''` is no state: an empty list matches nothing.
                    qb.push(" AND state IN (''");
                    for st in states {
                        qb.push(", ");
                        qb.push_bind(st.clone());
                    }
                    qb.push(")");
                }
                if let Some(pairs) = &f.kind_states {
                    qb.push(" AND (1 = 0");
                    for (kind, states) in pairs {
                        qb.push(" OR (kind = ");
                        qb.push_bind(kind.clone());
                        qb.push(" AND state IN (''");
                        for st in states {
                            qb.push(", ");
                            qb.push_bind(st.clone());
                        }
                        qb.push("))");
                    }
                    qb.push(")");
                }
            }

            impl Store for $ty {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn set_bulk_load(&self, on: bool) -> StoreResult<()> {
                    sqlx::query(if on { $bulk_on } else { $bulk_off })
                        .execute(&self.write)
                        .await?;
                    Ok(())
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(&self.read).await?;
                    Ok(())
                }

                async fn create_node(&self, n: NewNode) -> StoreResult<NodeRow> {
                    let mut tx = self.write.begin().await?;
                    let parent_path = match n.parent_id {
                        Some(p) => node_path(&mut tx, p, "parent_id").await?,
                        None => "/".to_string(),
                    };
                    let id: i64 = sqlx::query(
                        "INSERT INTO org_nodes (parent_id, kind, code, name, path, geometry, synthetic) \
                         VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
                    )
                    .bind(n.parent_id)
                    .bind(n.kind.as_str())
                    .bind(&n.code)
                    .bind(&n.name)
                    .bind(&n.geometry)
                    .bind(n.synthetic)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "org node code", "code"))?
                    .try_get("id")?;
                    let path = zhili_domain::org::child_path(&parent_path, id);
                    sqlx::query("UPDATE org_nodes SET path = $1 WHERE id = $2")
                        .bind(&path)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sys_event(&mut tx, "node_created", None, n.at, serde_json::json!({"node_id": id, "code": n.code, "name": n.name, "kind": n.kind})).await?;
                    tx.commit().await?;
                    self.get_node(id).await
                }

                async fn set_node_geometry(
                    &self,
                    id: i64,
                    geometry: Option<String>,
                    synthetic: bool,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<NodeRow> {
                    let mut tx = self.write.begin().await?;
                    let r = sqlx::query("UPDATE org_nodes SET geometry = $1, synthetic = $2 WHERE id = $3 RETURNING *")
                        .bind(&geometry)
                        .bind(synthetic)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(DbError::NotFound("org node"))?;
                    let node = node_from_row(&r)?;
                    let digest = geometry.as_deref().map(audit::sha256_hex);
                    sys_event(
                        &mut tx,
                        "node_geometry_set",
                        actor_id,
                        at,
                        serde_json::json!({"node_id": id, "code": node.code, "synthetic": synthetic, "geometry_sha256": digest}),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(node)
                }

                async fn get_node(&self, id: i64) -> StoreResult<NodeRow> {
                    let r = sqlx::query("SELECT * FROM org_nodes WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("org node"))?;
                    node_from_row(&r)
                }

                async fn list_nodes(&self) -> StoreResult<Vec<NodeRow>> {
                    sqlx::query("SELECT * FROM org_nodes ORDER BY path")
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(node_from_row)
                        .collect()
                }

                async fn create_department(
                    &self,
                    node_id: i64,
                    code: &str,
                    name: &str,
                    at: Timestamp,
                ) -> StoreResult<DepartmentRow> {
                    let mut tx = self.write.begin().await?;
                    node_path(&mut tx, node_id, "node_id").await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO departments (node_id, code, name) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(node_id)
                    .bind(code)
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "department code", "code"))?
                    .try_get("id")?;
                    sys_event(&mut tx, "department_created", None, at, serde_json::json!({"department_id": id, "code": code, "name": name})).await?;
                    tx.commit().await?;
                    Ok(DepartmentRow { id, node_id, code: code.into(), name: name.into() })
                }

                async fn list_departments(&self) -> StoreResult<Vec<DepartmentRow>> {
                    let rows = sqlx::query("SELECT id, node_id, code, name FROM departments ORDER BY id")
                        .fetch_all(&self.read)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(DepartmentRow {
                                id: r.try_get("id")?,
                                node_id: r.try_get("node_id")?,
                                code: r.try_get("code")?,
                                name: r.try_get("name")?,
                            })
                        })
                        .collect()
                }

                async fn create_user(
                    &self,
                    u: NewUser,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<UserRow> {
                    let mut tx = self.write.begin().await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO users (username, display_name, password_hash, disabled, created_at) \
                         VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
                    )
                    .bind(&u.username)
                    .bind(&u.display_name)
                    .bind(&u.password_hash)
                    .bind(ms(at))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "username", "username"))?
                    .try_get("id")?;
                    sys_event(&mut tx, "user_created", actor_id, at, serde_json::json!({"user_id": id, "username": u.username})).await?;
                    tx.commit().await?;
                    self.get_user(id).await
                }

                async fn get_user(&self, id: i64) -> StoreResult<UserRow> {
                    let r = sqlx::query("SELECT * FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("user"))?;
                    user_from_row(&r)
                }

                async fn user_by_name(&self, username: &str) -> StoreResult<UserRow> {
                    let r = sqlx::query("SELECT * FROM users WHERE username = $1")
                        .bind(username)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("user"))?;
                    user_from_row(&r)
                }

                async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
                    sqlx::query("SELECT * FROM users ORDER BY id")
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(user_from_row)
                        .collect()
                }

                async fn set_user_disabled(
                    &self,
                    id: i64,
                    disabled: bool,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    let n = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                        .bind(disabled)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(DbError::NotFound("user"));
                    }
                    if disabled {
                        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                            .bind(ms(at))
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sys_event(&mut tx, if disabled { "user_disabled" } else { "user_enabled" }, actor_id, at, serde_json::json!({"user_id": id})).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn set_password(
                    &self,
                    id: i64,
                    password_hash: &str,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(password_hash)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(DbError::NotFound("user"));
                    }
                    // A new password ends every web session of the user.
                    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND kind = 'session' AND revoked_at IS NULL")
                        .bind(ms(at))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sys_event(&mut tx, "password_changed", actor_id, at, serde_json::json!({"user_id": id})).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn add_grant(
                    &self,
                    user_id: i64,
                    role: zhili_domain::org::Role,
                    node_id: Option<i64>,
                    department_id: Option<i64>,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<GrantRow> {
                    let mut tx = self.write.begin().await?;
                    let path = match node_id {
                        Some(n) => Some(node_path(&mut tx, n, "node_id").await?),
                        None => None,
                    };
                    let id: i64 = sqlx::query(
                        "INSERT INTO grants (user_id, role, node_id, node_path, department_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(user_id)
                    .bind(role.as_str())
                    .bind(node_id)
                    .bind(&path)
                    .bind(department_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "grant", "department_id"))?
                    .try_get("id")?;
                    sys_event(&mut tx, "grant_added", actor_id, at, serde_json::json!({"user_id": user_id, "role": role, "node_id": node_id, "department_id": department_id})).await?;
                    tx.commit().await?;
                    Ok(GrantRow { id, user_id, role, node_id, node_path: path, department_id })
                }

                async fn grants_with_role(&self, role: zhili_domain::org::Role) -> StoreResult<Vec<GrantRow>> {
                    sqlx::query(
                        "SELECT g.* FROM grants g JOIN users u ON u.id = g.user_id \
                         WHERE g.role = $1 AND u.disabled = FALSE ORDER BY g.id",
                    )
                    .bind(role.as_str())
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(grant_from_row)
                    .collect()
                }

                async fn user_grants(&self, user_id: i64) -> StoreResult<Vec<GrantRow>> {
                    sqlx::query("SELECT * FROM grants WHERE user_id = $1 ORDER BY id")
                        .bind(user_id)
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(grant_from_row)
                        .collect()
                }

                async fn create_token(
                    &self,
                    user_id: i64,
                    kind: TokenKind,
                    token_hash: &str,
                    name: &str,
                    at: Timestamp,
                    expires_at: Option<Timestamp>,
                ) -> StoreResult<TokenRow> {
                    let mut tx = self.write.begin().await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO tokens (user_id, kind, token_hash, name, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(user_id)
                    .bind(kind.as_str())
                    .bind(token_hash)
                    .bind(name)
                    .bind(ms(at))
                    .bind(expires_at.map(ms))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "token", "user_id"))?
                    .try_get("id")?;
                    if kind == TokenKind::Api {
                        sys_event(&mut tx, "api_token_created", Some(user_id), at, serde_json::json!({"token_id": id, "user_id": user_id, "name": name})).await?;
                    }
                    tx.commit().await?;
                    Ok(TokenRow { id, user_id, kind, name: name.into(), created_at: at, expires_at, revoked_at: None })
                }

                async fn find_token(
                    &self,
                    token_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<FoundToken>> {
                    let rows = sqlx::query(
                        "SELECT t.id, t.user_id, t.kind, t.name, t.created_at, t.expires_at, t.revoked_at, \
                         u.username, u.display_name, u.password_hash, u.disabled, u.created_at AS user_created_at, \
                         g.id AS grant_id, g.role, g.node_id, g.node_path, g.department_id \
                         FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN grants g ON g.user_id = u.id \
                         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
                         AND u.disabled = FALSE ORDER BY g.id",
                    )
                    .bind(token_hash)
                    .bind(ms(now))
                    .fetch_all(&self.read)
                    .await?;
                    let Some(r) = rows.first() else {
                        return Ok(None);
                    };
                    let token = token_from_row(r)?;
                    let user = UserRow {
                        id: token.user_id,
                        username: r.try_get("username")?,
                        display_name: r.try_get("display_name")?,
                        password_hash: r.try_get("password_hash")?,
                        disabled: r.try_get("disabled")?,
                        created_at: ts(r.try_get("user_created_at")?),
                    };
                    let mut grants = Vec::new();
                    for r in &rows {
                        if let Some(id) = r.try_get::<Option<i64>, _>("grant_id")? {
                            grants.push(GrantRow {
                                id,
                                user_id: token.user_id,
                                role: parse(&r.try_get::<String, _>("role")?)?,
                                node_id: r.try_get("node_id")?,
                                node_path: r.try_get("node_path")?,
                                department_id: r.try_get("department_id")?,
                            });
                        }
                    }
                    Ok(Some(FoundToken { token, user, grants }))
                }

                async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<TokenRow>> {
                    sqlx::query("SELECT * FROM tokens WHERE user_id = $1 AND kind = 'api' ORDER BY id")
                        .bind(user_id)
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(token_from_row)
                        .collect()
                }

                async fn revoke_token(&self, token_id: i64, at: Timestamp) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    let r = sqlx::query("SELECT kind, user_id FROM tokens WHERE id = $1")
                        .bind(token_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(DbError::NotFound("token"))?;
                    let kind: String = r.try_get("kind")?;
                    let user_id: i64 = r.try_get("user_id")?;
                    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                        .bind(ms(at))
                        .bind(token_id)
                        .execute(&mut *tx)
                        .await?;
                    if kind == "api" {
                        sys_event(&mut tx, "api_token_revoked", Some(user_id), at, serde_json::json!({"token_id": token_id})).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_case(&self, c: NewCase) -> StoreResult<CreatedCase> {
                    self.creates.submit(c).await
                }

                async fn get_case(&self, id: i64) -> StoreResult<CaseRow> {
                    let r = sqlx::query($crate::case_select!("WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("case"))?;
                    case_from_row(&r)
                }

                async fn case_by_no(&self, case_no: &str) -> StoreResult<CaseRow> {
                    let r = sqlx::query($crate::case_select!("WHERE case_no = $1"))
                        .bind(case_no)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("case"))?;
                    case_from_row(&r)
                }

                async fn list_cases(&self, f: &CaseFilter) -> StoreResult<Vec<CaseRow>> {
                    let text = $crate::sql::TextQuery::of(f);
                    let words = matches!(text, Some($crate::sql::TextQuery::Terms(_)));
                    let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", $crate::case_columns!(), " FROM cases "));
                    if words {
                        qb.push($text_from);
                    }
                    qb.push(" WHERE 1 = 1");
                    push_case_filter(&mut qb, f, text);
                    if words {
                        // Found by words: newest registration first, in the index's own order,
                        // so that a common word stops after one page instead of sorting all hits.
                        if let Some((_, id)) = f.before {
                            qb.push(concat!(" AND ", $text_order, " < "));
                            qb.push_bind(id);
                        }
                        qb.push(concat!(" ORDER BY ", $text_order, " DESC LIMIT "));
                    } else if let Some((t, id)) = f.before {
                        qb.push(" AND (created_at < ");
                        qb.push_bind(ms(t));
                        qb.push(" OR (created_at = ");
                        qb.push_bind(ms(t));
                        qb.push(" AND id < ");
                        qb.push_bind(id);
                        qb.push("))");
                    }
                    if !words {
                        qb.push(" ORDER BY created_at DESC, id DESC LIMIT ");
                    }
                    qb.push_bind(f.limit.clamp(1, 1000));
                    qb.build()
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(case_from_row)
                        .collect()
                }

                async fn count_cases(&self, f: &CaseFilter) -> StoreResult<i64> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) AS n FROM cases ");
                    let text = $crate::sql::TextQuery::of(f);
                    if matches!(text, Some($crate::sql::TextQuery::Terms(_))) {
                        qb.push($text_from);
                    }
                    qb.push(" WHERE 1 = 1");
                    push_case_filter(&mut qb, f, text);
                    Ok(qb.build().fetch_one(&self.read).await?.try_get("n")?)
                }

                async fn apply_change(&self, ch: CaseChange) -> StoreResult<CaseRow> {
                    let mut tx = self.write.begin().await?;
                    let (clocks, status, overall_due, next_check) = clock_columns(&ch.clocks)?;
                    let at = ms(ch.event.at);
                    let updated = sqlx::query(concat!(
                        "UPDATE cases SET state = $1, department_id = $2, handler_id = $3, clocks = $4, clock_status = $5, \
                         overall_due_at = $6, next_check_at = $7, updated_at = $8, version = version + 1, \
                         closed_at = CASE WHEN $9 THEN $8 ELSE closed_at END, \
                         ended_at = CASE WHEN $10 THEN $8 ELSE ended_at END, \
                         closed_on_time = CASE WHEN $9 THEN $11 ELSE closed_on_time END, \
                         reworks = reworks + $12, returns = returns + $13, \
                         registered_at = CASE WHEN $16 AND registered_at IS NULL THEN $8 ELSE registered_at END, \
                         dispatched_at = $17, handled_at = $18, handled_on_time = $19, pauses = $20, \
                         merged_into = COALESCE($21, merged_into), details = COALESCE($22, details) \
                         WHERE id = $14 AND version = $15 RETURNING ",
                        $crate::case_columns!()
                    ))
                    .bind(&ch.state)
                    .bind(ch.department_id)
                    .bind(ch.handler_id)
                    .bind(&clocks)
                    .bind(status)
                    .bind(overall_due)
                    .bind(next_check)
                    .bind(at)
                    .bind(ch.closed)
                    .bind(ch.ended)
                    .bind(ch.clocks.on_time())
                    .bind(i64::from(ch.rework))
                    .bind(i64::from(ch.returned))
                    .bind(ch.case_id)
                    .bind(ch.expected_version)
                    .bind(ch.registered)
                    .bind(ch.clocks.dispatched_at.map(ms))
                    .bind(ch.clocks.handled_at.map(ms))
                    .bind(ch.clocks.handled_on_time)
                    .bind(i64::from(ch.clocks.pauses))
                    .bind(ch.merged_into)
                    .bind(ch.details.as_ref().map(|d| d.to_string()))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "case", "department_id"))?;
                    let Some(updated) = updated else {
                        let exists = sqlx::query("SELECT id FROM cases WHERE id = $1")
                            .bind(ch.case_id)
                            .fetch_optional(&mut *tx)
                            .await?
                            .is_some();
                        return Err(if exists { DbError::Stale } else { DbError::NotFound("case") });
                    };
                    let updated = case_from_row(&updated)?;
                    link_attachments(&mut tx, ch.case_id, &ch.attachment_ids).await?;
                    append(&mut tx, &case_stream(ch.case_id), Some(ch.case_id), &ch.event).await?;
                    if let Some(other) = ch.merged_into {
                        // The duplicate link, and the event on the case it joins, in the same commit.
                        let kind = zhili_domain::case::LinkKind::DuplicateOf.as_str();
                        let link_id: i64 = sqlx::query(
                            "INSERT INTO case_links (case_id, other_case_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (case_id, other_case_id, kind) DO UPDATE SET created_at = excluded.created_at RETURNING id",
                        )
                        .bind(ch.case_id)
                        .bind(other)
                        .bind(kind)
                        .bind(ch.event.actor_id)
                        .bind(at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| DbError::classify(e, "link", "merged_into"))?
                        .try_get("id")?;
                        touch_case(&mut tx, other, ch.event.at).await?;
                        append(
                            &mut tx,
                            &case_stream(other),
                            Some(other),
                            &NewEvent {
                                kind: "linked".into(),
                                actor_id: ch.event.actor_id,
                                at: ch.event.at,
                                data: serde_json::json!({"link_id": link_id, "kind": kind, "direction": "from", "other_case_id": ch.case_id, "merged": true}),
                            },
                        )
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(updated)
                }

                async fn set_details(
                    &self,
                    case_id: i64,
                    expected_version: i64,
                    details: serde_json::Value,
                    marks: CaseMarks,
                    ev: NewEvent,
                ) -> StoreResult<CaseRow> {
                    let mut tx = self.write.begin().await?;
                    let updated = sqlx::query(concat!(
                        "UPDATE cases SET details = $1, updated_at = $2, version = version + 1, \
                         lead_id = $5, lead_due_at = $6, ledger_due_at = $7, subsidy_fen = $8, subsidy_paid_at = $9 \
                         WHERE id = $3 AND version = $4 RETURNING ",
                        $crate::case_columns!()
                    ))
                    .bind(details.to_string())
                    .bind(ms(ev.at))
                    .bind(case_id)
                    .bind(expected_version)
                    .bind(marks.lead_id)
                    .bind(marks.lead_due_at.map(ms))
                    .bind(marks.ledger_due_at.map(ms))
                    .bind(marks.subsidy_fen)
                    .bind(marks.subsidy_paid_at.map(ms))
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(updated) = updated else {
                        let exists = sqlx::query("SELECT id FROM cases WHERE id = $1")
                            .bind(case_id)
                            .fetch_optional(&mut *tx)
                            .await?
                            .is_some();
                        return Err(if exists { DbError::Stale } else { DbError::NotFound("case") });
                    };
                    let updated = case_from_row(&updated)?;
                    append(&mut tx, &case_stream(case_id), Some(case_id), &ev).await?;
                    tx.commit().await?;
                    Ok(updated)
                }

                async fn create_committee(&self, c: NewCommittee) -> StoreResult<CommitteeRow> {
                    let mut tx = self.write.begin().await?;
                    node_path(&mut tx, c.node_id, "node_id").await?;
                    let at = ms(c.at);
                    let department_id: i64 = sqlx::query(
                        "INSERT INTO departments (node_id, code, name) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(c.node_id)
                    .bind(&c.code)
                    .bind(&c.name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "department code", "code"))?
                    .try_get("id")?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO mediation_committees (department_id, term_start, term_end, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(department_id)
                    .bind(&c.term_start)
                    .bind(&c.term_end)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    let mut people = Vec::new();
                    for m in &c.members {
                        people.push(insert_mediator(&mut tx, id, m, c.at).await?);
                    }
                    sys_event(&mut tx, "committee_created", c.actor_id, c.at,
                        serde_json::json!({"committee_id": id, "department_id": department_id, "name": c.name, "members": people.len()})).await?;
                    tx.commit().await?;
                    Ok(CommitteeRow {
                        id,
                        department: DepartmentRow { id: department_id, node_id: c.node_id, code: c.code, name: c.name },
                        term_start: c.term_start,
                        term_end: c.term_end,
                        people,
                    })
                }

                async fn committees(&self) -> StoreResult<Vec<CommitteeRow>> {
                    let rows = sqlx::query(
                        "SELECT m.id, m.term_start, m.term_end, d.id AS department_id, d.node_id, d.code, d.name \
                         FROM mediation_committees m JOIN departments d ON d.id = m.department_id ORDER BY m.id",
                    )
                    .fetch_all(&self.read)
                    .await?;
                    let people = sqlx::query("SELECT * FROM mediators ORDER BY id")
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(mediator_from_row)
                        .collect::<StoreResult<Vec<_>>>()?;
                    rows.iter()
                        .map(|r| {
                            let id: i64 = r.try_get("id")?;
                            Ok(CommitteeRow {
                                id,
                                department: DepartmentRow {
                                    id: r.try_get("department_id")?,
                                    node_id: r.try_get("node_id")?,
                                    code: r.try_get("code")?,
                                    name: r.try_get("name")?,
                                },
                                term_start: r.try_get("term_start")?,
                                term_end: r.try_get("term_end")?,
                                people: people.iter().filter(|p| p.committee_id == id).cloned().collect(),
                            })
                        })
                        .collect()
                }

                async fn add_mediator(&self, committee_id: i64, m: NewMediator, at: Timestamp) -> StoreResult<MediatorRow> {
                    let mut tx = self.write.begin().await?;
                    let row = insert_mediator(&mut tx, committee_id, &m, at).await?;
                    sys_event(&mut tx, "mediator_registered", None, at,
                        serde_json::json!({"committee_id": committee_id, "mediator_id": row.id, "name": row.name})).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn person_cases(&self, kind: &str, person_key: &str) -> StoreResult<Vec<CaseRow>> {
                    sqlx::query($crate::case_select!(
                        "WHERE kind = $1 AND merged_into IS NULL AND id IN \
                         (SELECT case_id FROM case_parties WHERE person_key = $2) ORDER BY id DESC LIMIT 100"
                    ))
                    .bind(kind)
                    .bind(person_key)
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(case_from_row)
                    .collect()
                }

                async fn case_event(&self, case_id: i64, ev: NewEvent) -> StoreResult<EventRow> {
                    let mut tx = self.write.begin().await?;
                    touch_case(&mut tx, case_id, ev.at).await?;
                    let e = append(&mut tx, &case_stream(case_id), Some(case_id), &ev).await?;
                    tx.commit().await?;
                    Ok(e)
                }

                async fn timeline(&self, case_id: i64) -> StoreResult<Vec<EventRow>> {
                    sqlx::query(
                        "SELECT e.id, e.seq, e.case_id, e.kind, e.actor_id, u.display_name AS actor_name, e.at, e.data, e.hash \
                         FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.stream = $1 ORDER BY e.seq",
                    )
                    .bind(case_stream(case_id))
                    .fetch_all(&self.read)
                    .await?
                    .iter()
                    .map(event_from_row)
                    .collect()
                }

                async fn parties(&self, case_id: i64) -> StoreResult<Vec<PartyRow>> {
                    sqlx::query("SELECT * FROM case_parties WHERE case_id = $1 ORDER BY id")
                        .bind(case_id)
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(party_from_row)
                        .collect()
                }

                async fn add_comment(
                    &self,
                    case_id: i64,
                    author_id: i64,
                    body: &str,
                    at: Timestamp,
                ) -> StoreResult<CommentRow> {
                    let mut tx = self.write.begin().await?;
                    touch_case(&mut tx, case_id, at).await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO comments (case_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(case_id)
                    .bind(author_id)
                    .bind(body)
                    .bind(ms(at))
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    append(
                        &mut tx,
                        &case_stream(case_id),
                        Some(case_id),
                        &NewEvent {
                            kind: "comment".into(),
                            actor_id: Some(author_id),
                            at,
                            data: serde_json::json!({"comment_id": id, "body": body}),
                        },
                    )
                    .await?;
                    tx.commit().await?;
                    let author = self.get_user(author_id).await?;
                    Ok(CommentRow { id, case_id, author_id, author_name: author.display_name, body: body.into(), created_at: at })
                }

                async fn add_link(
                    &self,
                    case_id: i64,
                    other_case_id: i64,
                    kind: &str,
                    actor_id: Option<i64>,
                    at: Timestamp,
                ) -> StoreResult<LinkRow> {
                    if case_id == other_case_id {
                        return Err(DbError::BadReference { field: "other_case_id" });
                    }
                    let mut tx = self.write.begin().await?;
                    // Both cases are touched (and locked) in one statement, in id order.
                    let touched = sqlx::query(
                        "UPDATE cases SET updated_at = $1 WHERE id IN ($2, $3) RETURNING id, case_no",
                    )
                    .bind(ms(at))
                    .bind(case_id.min(other_case_id))
                    .bind(case_id.max(other_case_id))
                    .fetch_all(&mut *tx)
                    .await?;
                    if touched.len() != 2 {
                        let field = if touched.iter().any(|r| r.try_get::<i64, _>("id").ok() == Some(case_id)) { "other_case_id" } else { "case_id" };
                        return Err(DbError::BadReference { field });
                    }
                    let other_no: String = touched
                        .iter()
                        .find(|r| r.try_get::<i64, _>("id").ok() == Some(other_case_id))
                        .map(|r| r.try_get::<Option<String>, _>("case_no"))
                        .transpose()?
                        .flatten()
                        .unwrap_or_default();
                    let id: i64 = sqlx::query(
                        "INSERT INTO case_links (case_id, other_case_id, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(case_id)
                    .bind(other_case_id)
                    .bind(kind)
                    .bind(actor_id)
                    .bind(ms(at))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| DbError::classify(e, "link", "other_case_id"))?
                    .try_get("id")?;
                    for (this, other, dir) in [(case_id, other_case_id, "to"), (other_case_id, case_id, "from")] {
                        append(
                            &mut tx,
                            &case_stream(this),
                            Some(this),
                            &NewEvent {
                                kind: "linked".into(),
                                actor_id,
                                at,
                                data: serde_json::json!({"link_id": id, "kind": kind, "direction": dir, "other_case_id": other}),
                            },
                        )
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(LinkRow { id, case_id, other_case_id, other_case_no: other_no, kind: kind.into(), incoming: false, created_by: actor_id, created_at: at })
                }

                async fn links(&self, case_id: i64) -> StoreResult<Vec<LinkRow>> {
                    let rows = sqlx::query(
                        "SELECT l.id, l.case_id, l.other_case_id, c.case_no AS other_no, l.kind, CAST(0 AS BIGINT) AS incoming, l.created_by, l.created_at \
                         FROM case_links l JOIN cases c ON c.id = l.other_case_id WHERE l.case_id = $1 \
                         UNION ALL \
                         SELECT l.id, l.other_case_id, l.case_id, c.case_no, l.kind, CAST(1 AS BIGINT), l.created_by, l.created_at \
                         FROM case_links l JOIN cases c ON c.id = l.case_id WHERE l.other_case_id = $1 ORDER BY 1",
                    )
                    .bind(case_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(LinkRow {
                                id: r.try_get("id")?,
                                case_id: r.try_get("case_id")?,
                                other_case_id: r.try_get("other_case_id")?,
                                other_case_no: r.try_get::<Option<String>, _>("other_no")?.unwrap_or_default(),
                                kind: r.try_get("kind")?,
                                incoming: r.try_get::<i64, _>("incoming")? == 1,
                                created_by: r.try_get("created_by")?,
                                created_at: ts(r.try_get("created_at")?),
                            })
                        })
                        .collect()
                }

                async fn comments(&self, case_id: i64) -> StoreResult<Vec<CommentRow>> {
                    let rows = sqlx::query(
                        "SELECT c.id, c.case_id, c.author_id, u.display_name, c.body, c.created_at FROM comments c \
                         JOIN users u ON u.id = c.author_id WHERE c.case_id = $1 ORDER BY c.id",
                    )
                    .bind(case_id)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(CommentRow {
                                id: r.try_get("id")?,
                                case_id: r.try_get("case_id")?,
                                author_id: r.try_get("author_id")?,
                                author_name: r.try_get("display_name")?,
                                body: r.try_get("body")?,
                                created_at: ts(r.try_get("created_at")?),
                            })
                        })
                        .collect()
                }

                async fn add_attachment(&self, a: NewAttachment) -> StoreResult<AttachmentRow> {
                    let id: i64 = sqlx::query(
                        "INSERT INTO attachments (sha256, size, mime, filename, uploaded_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(&a.sha256)
                    .bind(a.size)
                    .bind(&a.mime)
                    .bind(&a.filename)
                    .bind(a.uploaded_by)
                    .bind(ms(a.at))
                    .fetch_one(&self.write)
                    .await
                    .map_err(|e| DbError::classify(e, "attachment", "uploaded_by"))?
                    .try_get("id")?;
                    self.get_attachment(id).await
                }

                async fn get_attachment(&self, id: i64) -> StoreResult<AttachmentRow> {
                    let r = sqlx::query("SELECT * FROM attachments WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.read)
                        .await?
                        .ok_or(DbError::NotFound("attachment"))?;
                    attachment_from_row(&r)
                }

                async fn attachments(&self, case_id: i64) -> StoreResult<Vec<AttachmentRow>> {
                    sqlx::query("SELECT * FROM attachments WHERE case_id = $1 ORDER BY id")
                        .bind(case_id)
                        .fetch_all(&self.read)
                        .await?
                        .iter()
                        .map(attachment_from_row)
                        .collect()
                }

                async fn scan_deadlines<F>(&self, now: Timestamp, limit: i64, decide: F) -> StoreResult<usize>
                where
                    F: Fn(&CaseRow) -> Option<ClockUpdate> + Send + Sync,
                {
                    let mut tx = self.write.begin().await?;
                    let rows = sqlx::query($crate::case_select!(
                        "WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2 ",
                        $claim
                    ))
                    .bind(ms(now))
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut updated = 0;
                    for r in &rows {
                        let c = case_from_row(r)?;
                        let Some(u) = decide(&c) else { continue };
                        let (clocks, status, overall_due, next_check) = clock_columns(&u.clocks)?;
                        sqlx::query(
                            "UPDATE cases SET clocks = $1, clock_status = $2, overall_due_at = $3, next_check_at = $4, \
                             version = version + 1, updated_at = $5 WHERE id = $6",
                        )
                        .bind(&clocks)
                        .bind(status)
                        .bind(overall_due)
                        .bind(next_check)
                        .bind(ms(now))
                        .bind(c.id)
                        .execute(&mut *tx)
                        .await?;
                        for ev in &u.events {
                            append(&mut tx, &case_stream(c.id), Some(c.id), ev).await?;
                        }
                        updated += 1;
                    }
                    tx.commit().await?;
                    Ok(updated)
                }

                async fn count_due(&self, now: Timestamp) -> StoreResult<i64> {
                    Ok(sqlx::query("SELECT COUNT(*) AS n FROM cases WHERE next_check_at <= $1")
                        .bind(ms(now))
                        .fetch_one(&self.read)
                        .await?
                        .try_get("n")?)
                }

                async fn counts(&self, q: &CountQuery) -> StoreResult<Vec<GroupCounts>> {
                    let key = $crate::sql::group_expr(q.group_by);
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT ");
                    qb.push(key);
                    qb.push(" AS k");
                    for m in Measure::ALL {
                        qb.push(", CAST(SUM(");
                        let cond = $crate::sql::measure_value(m);
                        let mut parts = cond.split("{as_of}").peekable();
                        while let Some(p) = parts.next() {
                            qb.push(p);
                            if parts.peek().is_some() {
                                qb.push_bind(ms(q.as_of));
                            }
                        }
                        qb.push(") AS BIGINT) AS ");
                        qb.push(m.as_str());
                    }
                    // A duplicate merged into another case is counted once, there.
                    qb.push(" FROM cases WHERE merged_into IS NULL AND created_at >= ");
                    qb.push_bind(ms(q.from));
                    qb.push(" AND created_at < ");
                    qb.push_bind(ms(q.to));
                    if let Some(p) = &q.node_path {
                        qb.push(" AND node_path LIKE ");
                        qb.push_bind(format!("{p}%"));
                    }
                    if let Some(d) = q.department_id {
                        qb.push(" AND department_id = ");
                        qb.push_bind(d);
                    }
                    if let Some(c) = &q.category {
                        qb.push(" AND category = ");
                        qb.push_bind(c.clone());
                    }
                    if let Some(k) = &q.kind {
                        qb.push(" AND kind = ");
                        qb.push_bind(k.clone());
                    }
                    if q.group_by != GroupBy::None {
                        qb.push(" GROUP BY ");
                        qb.push(key);
                        qb.push(" ORDER BY ");
                        qb.push(key);
                    }
                    let rows = qb.build().fetch_all(&self.read).await?;
                    let mut out = Vec::new();
                    for r in &rows {
                        let mut counts = Counts::default();
                        for m in Measure::ALL {
                            counts.set(m, r.try_get::<Option<i64>, _>(m.as_str())?.unwrap_or(0));
                        }
                        out.push(GroupCounts { key: r.try_get("k")?, counts });
                    }
                    Ok(out)
                }

                async fn chain_page(
                    &self,
                    after: Option<(String, i64)>,
                    limit: i64,
                ) -> StoreResult<Vec<StoredLink>> {
                    let (s, q) = after.unwrap_or_default();
                    let rows = sqlx::query(
                        "SELECT id, stream, seq, kind, actor_id, at, data, prev_hash, hash, alg FROM events \
                         WHERE stream > $1 OR (stream = $1 AND seq > $2) ORDER BY stream, seq LIMIT $3",
                    )
                    .bind(s)
                    .bind(q)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(StoredLink {
                                id: r.try_get("id")?,
                                stream: r.try_get("stream")?,
                                seq: r.try_get("seq")?,
                                kind: r.try_get("kind")?,
                                actor_id: r.try_get("actor_id")?,
                                at_ms: r.try_get("at")?,
                                data: r.try_get("data")?,
                                prev_hash: r.try_get("prev_hash")?,
                                hash: r.try_get("hash")?,
                                alg: r.try_get("alg")?,
                            })
                        })
                        .collect()
                }

                async fn chain_heads(&self) -> StoreResult<Vec<ChainHead>> {
                    let rows = sqlx::query("SELECT stream, seq, hash FROM chain_heads ORDER BY stream")
                        .fetch_all(&self.read)
                        .await?;
                    rows.iter()
                        .map(|r| Ok(ChainHead { stream: r.try_get("stream")?, seq: r.try_get("seq")?, hash: r.try_get("hash")? }))
                        .collect()
                }

                async fn case_count(&self) -> StoreResult<i64> {
                    Ok(sqlx::query("SELECT COUNT(*) AS n FROM cases")
                        .fetch_one(&self.read)
                        .await?
                        .try_get("n")?)
                }
            }
        };
    };
}
