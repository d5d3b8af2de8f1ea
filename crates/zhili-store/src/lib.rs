//! zhili's storage: the [`Store`] trait, plain row types and the portable SQL that both backends
//! share ([`impl_sql_store!`]). Backend crates add their own migrations and the few statements
//! where the engines really differ.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zhili_domain::audit::{ChainBreak, ChainVerifier, StoredLink};
use zhili_domain::case::{CaseClocks, Channel, Priority};
use zhili_domain::indicators::Counts;
use zhili_domain::org::{Grant, NodeKind, Role};

pub use sqlx;

#[doc(hidden)]
pub mod batch;
pub mod sql;

#[cfg(feature = "conformance")]
pub mod conformance;

pub type Timestamp = DateTime<Utc>;
pub type StoreResult<T> = Result<T, DbError>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A unique value is taken (username, code ...).
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// The record changed since it was read (optimistic concurrency).
    #[error("the record was changed by someone else; reload and try again")]
    Stale,
    /// A reference to a row that does not exist.
    #[error("{field} refers to nothing")]
    BadReference { field: &'static str },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl DbError {
    /// Map a unique/foreign-key violation to a domain error.
    pub fn classify(e: sqlx::Error, what: &'static str, field: &'static str) -> DbError {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return DbError::Conflict { what };
            }
            if d.is_foreign_key_violation() {
                return DbError::BadReference { field };
            }
        }
        DbError::Db(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: NodeKind,
    pub code: String,
    pub name: String,
    pub path: String,
    /// GeoJSON geometry (WGS84), if any.
    pub geometry: Option<String>,
    /// The geometry was made up (demo), not surveyed.
    pub synthetic: bool,
}

#[derive(Debug, Clone)]
pub struct NewNode {
    pub parent_id: Option<i64>,
    pub kind: NodeKind,
    pub code: String,
    pub name: String,
    pub geometry: Option<String>,
    pub synthetic: bool,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DepartmentRow {
    pub id: i64,
    pub node_id: i64,
    pub code: String,
    pub name: String,
}

/// A person of a mediation committee: a member (委员, one of them the chair) or a registered
/// mediator (备案调解员); with a user account when they work in zhili.
#[derive(Debug, Clone, Serialize)]
pub struct MediatorRow {
    pub id: i64,
    pub committee_id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    /// female or male
    pub gender: String,
    pub is_member: bool,
    pub is_chair: bool,
    pub registered_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewMediator {
    pub user_id: Option<i64>,
    pub name: String,
    pub gender: String,
    pub is_member: bool,
    pub is_chair: bool,
}

/// A people's mediation committee (人民调解委员会): a department of its village, with a term.
#[derive(Debug, Clone, Serialize)]
pub struct CommitteeRow {
    pub id: i64,
    pub department: DepartmentRow,
    /// `YYYY-MM-DD`
    pub term_start: String,
    pub term_end: String,
    pub people: Vec<MediatorRow>,
}

#[derive(Debug, Clone)]
pub struct NewCommittee {
    pub node_id: i64,
    pub code: String,
    pub name: String,
    pub term_start: String,
    pub term_end: String,
    pub members: Vec<NewMediator>,
    pub actor_id: Option<i64>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub role: Role,
    pub node_id: Option<i64>,
    pub node_path: Option<String>,
    pub department_id: Option<i64>,
}

impl GrantRow {
    pub fn to_grant(&self) -> Grant {
        Grant {
            role: self.role,
            node_path: self.node_path.clone(),
            department_id: self.department_id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A web login session (cookie).
    Session,
    /// An API bearer token for integrations.
    Api,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: TokenKind,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A party's personal data, encrypted by the caller, with masked forms for display.
#[derive(Debug, Clone)]
pub struct NewParty {
    pub role: String,
    pub name_enc: String,
    pub name_masked: String,
    pub id_number_enc: Option<String>,
    pub id_number_masked: Option<String>,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub address_enc: Option<String>,
    pub address_masked: Option<String>,
    /// Keyed hash of the ID number (or phone) to find the same person's cases.
    pub person_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PartyRow {
    pub id: i64,
    pub case_id: i64,
    pub role: String,
    pub name_enc: String,
    pub name_masked: String,
    pub id_number_enc: Option<String>,
    pub id_number_masked: Option<String>,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub address_enc: Option<String>,
    pub address_masked: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub case_no: String,
    pub kind: String,
    pub category: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    pub state: String,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub node_id: i64,
    pub node_path: String,
    /// The village/community the case's node lies in, if any.
    pub village_id: Option<i64>,
    pub department_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: Timestamp,
    pub registered_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub version: i64,
    pub clocks: CaseClocks,
    pub reworks: i64,
    pub returns: i64,
    /// The case this one was merged into as a duplicate (合并).
    pub merged_into: Option<i64>,
    /// The earlier case of the same person on the same matter (重复信访).
    pub repeat_of: Option<i64>,
    /// The module's own fields (JSON object), `Null` when it has none.
    pub details: serde_json::Value,
    /// The leader in personal charge (领导包案), and by when it is to be settled while open.
    pub lead_id: Option<i64>,
    pub lead_due_at: Option<Timestamp>,
    /// Put on the tag-and-close ledger (挂牌), to be taken off (销号) by this deadline; it stays
    /// after 销号, which the details record.
    pub ledger_due_at: Option<Timestamp>,
    /// 以案定补: the subsidy approved for the case (fen), and when it was paid.
    pub subsidy_fen: Option<i64>,
    pub subsidy_paid_at: Option<Timestamp>,
}

/// The marks of oversight on a case that lists are filtered by: who leads it and by when, and
/// whether (and until when) it is on the ledger. [`Store::set_details`] replaces them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CaseMarks {
    pub lead_id: Option<i64>,
    pub lead_due_at: Option<Timestamp>,
    pub ledger_due_at: Option<Timestamp>,
    pub subsidy_fen: Option<i64>,
    pub subsidy_paid_at: Option<Timestamp>,
}

impl CaseMarks {
    /// The marks a case has now.
    pub fn of(c: &CaseRow) -> CaseMarks {
        CaseMarks {
            lead_id: c.lead_id,
            lead_due_at: c.lead_due_at,
            ledger_due_at: c.ledger_due_at,
            subsidy_fen: c.subsidy_fen,
            subsidy_paid_at: c.subsidy_paid_at,
        }
    }
}

impl CaseRow {
    /// The position of this case in lists (newest first), as an opaque cursor.
    pub fn cursor(&self) -> String {
        format!("{}_{}", self.created_at.timestamp_millis(), self.id)
    }
}

/// Read a cursor made by [`CaseRow::cursor`].
pub fn parse_cursor(s: &str) -> Option<(Timestamp, i64)> {
    let (ms, id) = s.split_once('_')?;
    Some((sql::ts(ms.parse().ok()?), id.parse().ok()?))
}

#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: String,
    pub category: Option<String>,
    pub channel: Channel,
    pub priority: Priority,
    pub state: String,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub node_id: i64,
    pub department_id: Option<i64>,
    pub created_by: Option<i64>,
    pub at: Timestamp,
    pub registered: bool,
    pub clocks: CaseClocks,
    pub parties: Vec<NewParty>,
    pub attachment_ids: Vec<i64>,
    /// The data of the creation event.
    pub event_data: serde_json::Value,
    /// The module's own fields.
    pub details: Option<serde_json::Value>,
    /// The earlier case of the same person on the same matter, linked as `repeat_of`.
    pub repeat_of: Option<i64>,
    /// The case it came from (a dispute put on the risk register, 转自), linked as `related`.
    pub related_to: Option<i64>,
}

/// The change a transition makes to a case, computed by the domain.
#[derive(Debug, Clone)]
pub struct CaseChange {
    pub case_id: i64,
    pub expected_version: i64,
    pub state: String,
    pub department_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub clocks: CaseClocks,
    /// The case is registered (立案) by this change, if it was not already.
    pub registered: bool,
    pub closed: bool,
    pub ended: bool,
    pub rework: bool,
    pub returned: bool,
    /// A duplicate merged into this case: linked as `duplicate_of`, left out of the counts.
    pub merged_into: Option<i64>,
    /// New module fields, replacing the old ones (`None`: unchanged).
    pub details: Option<serde_json::Value>,
    pub attachment_ids: Vec<i64>,
    pub event: NewEvent,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: String,
    pub actor_id: Option<i64>,
    pub at: Timestamp,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub seq: i64,
    pub case_id: Option<i64>,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub at: Timestamp,
    pub data: serde_json::Value,
    pub hash: String,
}

/// A link from a case to another (either direction is listed for both cases).
#[derive(Debug, Clone, Serialize)]
pub struct LinkRow {
    pub id: i64,
    pub case_id: i64,
    pub other_case_id: i64,
    pub other_case_no: String,
    pub kind: String,
    /// The link was made from the other case (`other kind this`), not from this one.
    pub incoming: bool,
    pub created_by: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentRow {
    pub id: i64,
    pub case_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub filename: String,
    pub case_id: Option<i64>,
    pub uploaded_by: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub filename: String,
    pub uploaded_by: i64,
    pub at: Timestamp,
}

/// Who may see which cases: the union of subtrees and departments. `all = true` for no limit.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    pub all: bool,
    pub node_paths: Vec<String>,
    pub department_ids: Vec<i64>,
}

impl Visibility {
    pub fn from_grants(grants: &[Grant]) -> Visibility {
        let mut v = Visibility::default();
        for g in grants {
            // A reporter (上报终端: an Open311 client, the public page) makes cases; it reads none.
            if g.role == Role::Reporter {
                continue;
            }
            if let Some(p) = &g.node_path {
                v.node_paths.push(p.clone());
            }
            if let Some(d) = g.department_id {
                v.department_ids.push(d);
            }
        }
        v.node_paths.sort();
        v.node_paths.dedup();
        v.department_ids.sort();
        v.department_ids.dedup();
        v
    }
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub visibility: Visibility,
    pub state: Option<String>,
    /// Only cases in one of these states (e.g. the states where the user has something to do).
    pub states: Option<Vec<String>>,
    /// Only cases in one of the states listed for their kind: (kind, states) pairs, e.g. the
    /// states where the user has something to do in each workflow. An empty list matches none.
    pub kind_states: Option<Vec<(String, Vec<String>)>>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub department_id: Option<i64>,
    /// Cases a leader took personal charge of (领导包案).
    pub lead_id: Option<i64>,
    /// Cases this person handles (the handler, or the mediator who accepted).
    pub handler_id: Option<i64>,
    /// Ever put on the tag-and-close ledger (true) or never (false).
    pub listed: Option<bool>,
    /// With an approved subsidy (以案定补) (true) or without (false).
    pub subsidized: Option<bool>,
    /// Cases under this org node (by path prefix).
    pub node_path: Option<String>,
    /// Only cases whose clocks are overdue (true) or not overdue (false).
    pub overdue: Option<bool>,
    /// Only open cases whose worst clock is in this status: normal, warning or overdue.
    pub clock_status: Option<String>,
    /// Only cases that are still open (not in a terminal state).
    pub open: Option<bool>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Words in the case number, title, content or address.
    pub text: Option<String>,
    /// Cases located in this box: `(min_lon, min_lat, max_lon, max_lat)`, WGS84.
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// Cases after this position in the list's order (newest first): the previous page's
    /// last `(created_at, id)`.
    pub before: Option<(Timestamp, i64)>,
    pub limit: i64,
}

/// How indicator counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    None,
    Node,
    Village,
    Department,
    Category,
    Kind,
    Month,
    /// The handler (承办人, the mediator of a mediation).
    Handler,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "none" | "" => GroupBy::None,
            "node" => GroupBy::Node,
            "village" => GroupBy::Village,
            "department" => GroupBy::Department,
            "category" => GroupBy::Category,
            "kind" => GroupBy::Kind,
            "month" => GroupBy::Month,
            "handler" => GroupBy::Handler,
            o => {
                return Err(format!(
                    "unknown grouping `{o}` (none, node, village, department, category, kind, month, handler)"
                ));
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct CountQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Counts are evaluated as of this time (end of the period, or now).
    pub as_of: Timestamp,
    pub group_by: GroupBy,
    pub node_path: Option<String>,
    pub department_id: Option<i64>,
    pub category: Option<String>,
    pub kind: Option<String>,
}

/// Counts of one group; `key` is the group's value (node id, department id, category, month).
#[derive(Debug, Clone, Serialize)]
pub struct GroupCounts {
    pub key: Option<String>,
    pub counts: Counts,
}

/// A head of an event stream, as recorded.
#[derive(Debug, Clone)]
pub struct ChainHead {
    pub stream: String,
    pub seq: i64,
    pub hash: String,
}

/// What the deadline scan decided for one case.
#[derive(Debug, Clone)]
pub struct ClockUpdate {
    pub clocks: CaseClocks,
    pub events: Vec<NewEvent>,
}

/// The storage of zhili. Both backends implement it; the server is generic over it.
pub trait Store: Clone + Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    /// Bulk loading (building the demo town): commits need not reach the disk one by one. A crash
    /// may lose the last commits, never corrupt the database. `false` restores durable commits.
    /// A no-op where each commit is cheap enough already.
    fn set_bulk_load(&self, on: bool) -> impl Future<Output = StoreResult<()>> + Send;
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;

    // Org tree
    fn create_node(&self, n: NewNode) -> impl Future<Output = StoreResult<NodeRow>> + Send;
    fn get_node(&self, id: i64) -> impl Future<Output = StoreResult<NodeRow>> + Send;
    fn list_nodes(&self) -> impl Future<Output = StoreResult<Vec<NodeRow>>> + Send;
    /// Set (or clear) a node's GeoJSON geometry; the change is an event on the system chain
    /// (with the geometry's SHA-256, not the geometry itself).
    fn set_node_geometry(
        &self,
        id: i64,
        geometry: Option<String>,
        synthetic: bool,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<NodeRow>> + Send;
    fn create_department(
        &self,
        node_id: i64,
        code: &str,
        name: &str,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<DepartmentRow>> + Send;
    fn list_departments(&self) -> impl Future<Output = StoreResult<Vec<DepartmentRow>>> + Send;

    // Users and access
    fn create_user(
        &self,
        u: NewUser,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<UserRow>> + Send;
    fn get_user(&self, id: i64) -> impl Future<Output = StoreResult<UserRow>> + Send;
    fn user_by_name(&self, username: &str) -> impl Future<Output = StoreResult<UserRow>> + Send;
    fn list_users(&self) -> impl Future<Output = StoreResult<Vec<UserRow>>> + Send;
    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn add_grant(
        &self,
        user_id: i64,
        role: Role,
        node_id: Option<i64>,
        department_id: Option<i64>,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<GrantRow>> + Send;
    fn user_grants(&self, user_id: i64) -> impl Future<Output = StoreResult<Vec<GrantRow>>> + Send;
    /// Every grant of a role (e.g. all grid workers' cells), with enabled users only.
    fn grants_with_role(
        &self,
        role: Role,
    ) -> impl Future<Output = StoreResult<Vec<GrantRow>>> + Send;
    fn create_token(
        &self,
        user_id: i64,
        kind: TokenKind,
        token_hash: &str,
        name: &str,
        at: Timestamp,
        expires_at: Option<Timestamp>,
    ) -> impl Future<Output = StoreResult<TokenRow>> + Send;
    /// The live (not revoked, not expired at `now`) token with this hash, its enabled user and
    /// the user's grants: everything a request's authentication needs, in one query.
    fn find_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<FoundToken>>> + Send;
    fn list_tokens(&self, user_id: i64) -> impl Future<Output = StoreResult<Vec<TokenRow>>> + Send;
    fn revoke_token(
        &self,
        token_id: i64,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // Cases
    fn create_case(&self, c: NewCase) -> impl Future<Output = StoreResult<CreatedCase>> + Send;
    fn get_case(&self, id: i64) -> impl Future<Output = StoreResult<CaseRow>> + Send;
    fn case_by_no(&self, case_no: &str) -> impl Future<Output = StoreResult<CaseRow>> + Send;
    fn list_cases(&self, f: &CaseFilter) -> impl Future<Output = StoreResult<Vec<CaseRow>>> + Send;
    /// How many cases match the filter (its cursor and limit are ignored).
    fn count_cases(&self, f: &CaseFilter) -> impl Future<Output = StoreResult<i64>> + Send;
    fn apply_change(&self, ch: CaseChange) -> impl Future<Output = StoreResult<CaseRow>> + Send;
    /// Replace a case's module fields and its oversight marks and write the event that says
    /// why, in one commit; a different current version is [`DbError::Stale`].
    fn set_details(
        &self,
        case_id: i64,
        expected_version: i64,
        details: serde_json::Value,
        marks: CaseMarks,
        ev: NewEvent,
    ) -> impl Future<Output = StoreResult<CaseRow>> + Send;
    /// Create a mediation committee: its department, the committee and its members, in one
    /// commit.
    fn create_committee(
        &self,
        c: NewCommittee,
    ) -> impl Future<Output = StoreResult<CommitteeRow>> + Send;
    /// Every committee with its people.
    fn committees(&self) -> impl Future<Output = StoreResult<Vec<CommitteeRow>>> + Send;
    /// Register (备案) a mediator with a committee.
    fn add_mediator(
        &self,
        committee_id: i64,
        m: NewMediator,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<MediatorRow>> + Send;
    /// Cases of a kind with a party of this person key (newest first, at most 100, merged
    /// duplicates left out): for repeat detection.
    fn person_cases(
        &self,
        kind: &str,
        person_key: &str,
    ) -> impl Future<Output = StoreResult<Vec<CaseRow>>> + Send;
    /// Write an event about a case without changing its state (comments, reveals, urging).
    fn case_event(
        &self,
        case_id: i64,
        ev: NewEvent,
    ) -> impl Future<Output = StoreResult<EventRow>> + Send;
    fn timeline(&self, case_id: i64) -> impl Future<Output = StoreResult<Vec<EventRow>>> + Send;
    fn parties(&self, case_id: i64) -> impl Future<Output = StoreResult<Vec<PartyRow>>> + Send;
    fn add_comment(
        &self,
        case_id: i64,
        author_id: i64,
        body: &str,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<CommentRow>> + Send;
    /// Link two cases; the event is written to both cases' timelines.
    fn add_link(
        &self,
        case_id: i64,
        other_case_id: i64,
        kind: &str,
        actor_id: Option<i64>,
        at: Timestamp,
    ) -> impl Future<Output = StoreResult<LinkRow>> + Send;
    /// Links from and to a case; for links to it, `case_id` is the other case.
    fn links(&self, case_id: i64) -> impl Future<Output = StoreResult<Vec<LinkRow>>> + Send;
    fn comments(&self, case_id: i64) -> impl Future<Output = StoreResult<Vec<CommentRow>>> + Send;
    fn add_attachment(
        &self,
        a: NewAttachment,
    ) -> impl Future<Output = StoreResult<AttachmentRow>> + Send;
    fn get_attachment(&self, id: i64) -> impl Future<Output = StoreResult<AttachmentRow>> + Send;
    fn attachments(
        &self,
        case_id: i64,
    ) -> impl Future<Output = StoreResult<Vec<AttachmentRow>>> + Send;

    // Clocks
    /// Claim up to `limit` cases whose next clock check is due at `now` and let `decide` update
    /// them, each in the transaction that claimed it. Returns how many were updated. Safe to run
    /// on several servers at once.
    fn scan_deadlines<F>(
        &self,
        now: Timestamp,
        limit: i64,
        decide: F,
    ) -> impl Future<Output = StoreResult<usize>> + Send
    where
        F: Fn(&CaseRow) -> Option<ClockUpdate> + Send + Sync;

    /// How many cases the deadline scan would claim at `now`.
    fn count_due(&self, now: Timestamp) -> impl Future<Output = StoreResult<i64>> + Send;

    // Indicators
    fn counts(&self, q: &CountQuery) -> impl Future<Output = StoreResult<Vec<GroupCounts>>> + Send;

    // Audit
    /// Every event in (stream, seq) order, in pages after `after` (stream, seq).
    fn chain_page(
        &self,
        after: Option<(String, i64)>,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<StoredLink>>> + Send;
    fn chain_heads(&self) -> impl Future<Output = StoreResult<Vec<ChainHead>>> + Send;
    fn case_count(&self) -> impl Future<Output = StoreResult<i64>> + Send;
}

/// A case just written, with its parties as stored.
#[derive(Debug, Clone)]
pub struct CreatedCase {
    pub case: CaseRow,
    pub parties: Vec<PartyRow>,
}

/// A live token with its user and the user's grants.
#[derive(Debug, Clone)]
pub struct FoundToken {
    pub token: TokenRow,
    pub user: UserRow,
    pub grants: Vec<GrantRow>,
}

/// What `verify_chain` checked.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ChainSummary {
    pub streams: u64,
    pub events: u64,
}

/// Verify every event stream against its hash chain and its recorded head, reading `page`
/// events at a time. Returns the first break found.
pub async fn verify_chain<S: Store>(
    s: &S,
    page: i64,
) -> StoreResult<Result<ChainSummary, ChainBreak>> {
    let heads = s.chain_heads().await?;
    let head = |stream: &str| heads.iter().find(|h| h.stream == stream);
    let mut v = ChainVerifier::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut current: Option<String> = None;
    let mut after = None;
    let finish = |v: &ChainVerifier, stream: &str| -> Result<(), ChainBreak> {
        match head(stream) {
            Some(h) => v.finish_stream(stream, h.seq, &h.hash),
            None => Err(ChainBreak {
                event_id: 0,
                stream: stream.to_string(),
                seq: 0,
                problem: "the stream has events but no recorded head".into(),
            }),
        }
    };
    loop {
        let rows = s.chain_page(after.clone(), page).await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.stream.clone(), last.seq));
        for e in &rows {
            if current.as_deref() != Some(e.stream.as_str()) {
                if let Some(prev) = &current
                    && let Err(b) = finish(&v, prev)
                {
                    return Ok(Err(b));
                }
                current = Some(e.stream.clone());
                seen.insert(e.stream.clone());
            }
            if let Err(b) = v.push(e) {
                return Ok(Err(b));
            }
        }
    }
    if let Some(prev) = &current
        && let Err(b) = finish(&v, prev)
    {
        return Ok(Err(b));
    }
    // A head with events recorded whose events are all gone.
    for h in &heads {
        if h.seq > 0 && !seen.contains(&h.stream) {
            return Ok(Err(ChainBreak {
                event_id: 0,
                stream: h.stream.clone(),
                seq: h.seq,
                problem: "every event of this stream was deleted".into(),
            }));
        }
    }
    Ok(Ok(ChainSummary {
        streams: v.streams,
        events: v.events,
    }))
}
