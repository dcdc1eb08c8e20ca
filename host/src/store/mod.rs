//! The store: the versions of policies, bundles and the catalogue (source,
//! artifact, hash, effective date, status, publisher, time), the publish
//! audit trail, each policy's and bundle's scenarios and the decision log.
//!
//! Routes only see the [`Store`] trait: [`sqlite::SqliteStore`] (embedded,
//! one node) and [`postgres::PgStore`] (several nodes on one database)
//! answer alike, and one test suite runs on both. Every write that
//! belongs together (a version, its audit entry and its scenarios; a
//! catalogue version and the policy artifacts compiled again against it) is
//! one transaction: a publish is stored whole or not at all.

pub mod postgres;
pub mod review;
pub mod sqlite;

use async_trait::async_trait;
use thiserror::Error;

/// What a stored document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Policy,
    Bundle,
    Catalogue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Bundle => "bundle",
            Kind::Catalogue => "catalogue",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "policy" => Some(Kind::Policy),
            "bundle" => Some(Kind::Bundle),
            "catalogue" => Some(Kind::Catalogue),
            _ => None,
        }
    }
}

/// Whether a version may be in force. Withdrawn versions stay stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Withdrawn => "withdrawn",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "withdrawn" => Some(Status::Withdrawn),
            _ => None,
        }
    }
}

/// One stored version of a policy, a bundle or the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: Kind,
    pub id: String,
    pub version: i64,
    pub department: String,
    pub title: String,
    pub source: String,
    /// The compiled WebAssembly (policies only).
    pub artifact: Option<Vec<u8>>,
    /// SHA-256 of the source, hex.
    pub hash: String,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    pub status: Status,
    pub publisher: String,
    /// Unix microseconds.
    pub published_at: i64,
}

/// A stored policy version compiled again, against a new catalogue (the
/// manifest carries the catalogue's names, so its artifact changes).
#[derive(Debug, Clone)]
pub struct Rebuilt {
    pub id: String,
    pub version: i64,
    pub artifact: Vec<u8>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub kind: Kind,
    pub at: i64,
    pub actor: String,
    /// `seed`, `publish` or `withdraw`.
    pub action: String,
    pub id: String,
    pub version: i64,
    pub hash: String,
    /// A publish without any scenario run, at its publisher's word (`allow_untested`).
    pub untested: bool,
    /// The reviewer who approved the publish (maker–checker), when it went through review.
    pub approver: Option<String>,
}

/// A scenario file of a policy (or a bundle), as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioText {
    /// `Policy` or `Bundle`.
    pub kind: Kind,
    pub policy_id: String,
    pub name: String,
    pub toml: String,
}

/// One logged evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// Unix microseconds.
    pub at: i64,
    /// `Policy` or `Bundle`: with `policy_id`, the subject the record belongs to.
    pub kind: Kind,
    pub policy_id: String,
    pub version: i64,
    /// The version's hash: filled when the log is read (from the stored
    /// version); not stored again with every record.
    pub hash: String,
    pub application_date: String,
    pub eligibility: String,
    pub facts_sha256: String,
    /// The whole request, only when the configuration keeps facts.
    pub request: Option<String>,
    /// The request's `x-request-id` (taken from the caller or made).
    pub request_id: Option<String>,
}

/// A read of the decision log, newest first.
#[derive(Debug, Clone, Default)]
pub struct DecisionQuery {
    /// Only these subjects, each a kind and an id (all when `None`).
    pub subjects: Option<Vec<(Kind, String)>>,
    /// Unix microseconds; only decisions at or after it.
    pub since: Option<i64>,
    pub limit: u32,
    /// Only decisions whose request was kept.
    pub with_request: bool,
}

/// What a retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Decisions removed whole.
    pub decisions: u64,
    /// Decisions whose kept request (facts) was removed.
    pub facts: u64,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// The database cannot be reached (down, restarting, connections
    /// lost): nothing was written; the same call may succeed later.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("the store failed: {0}")]
    Database(String),
}

impl StoreError {
    /// A sqlx error: connection-class failures are [`StoreError::Unavailable`].
    pub fn from_sqlx(error: sqlx::Error) -> StoreError {
        let unavailable = match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            // SQLSTATE class 08 (connection exception) and 57P0x (the
            // server shutting down or starting).
            sqlx::Error::Database(database) => database
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
            _ => false,
        };
        if unavailable {
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Database(error.to_string())
        }
    }
}

/// Commits `tx` when `outcome` is a success and rolls it back at once when
/// it is not: a transaction dropped unfinished would keep its locks (a
/// write lock on SQLite, the publish lock on PostgreSQL) until its pooled
/// connection is used again.
pub(crate) async fn finish<DB: sqlx::Database, T>(
    tx: sqlx::Transaction<'_, DB>,
    outcome: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match outcome {
        Ok(value) => {
            tx.commit().await.map_err(StoreError::from_sqlx)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(%rollback, "a refused write could not be rolled back");
            }
            Err(error)
        }
    }
}

/// One entry of the change sequence: a version stored (`seed`, `publish`)
/// or withdrawn, in commit order. It is the audit trail read by `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: Kind,
    pub id: String,
    pub version: i64,
    /// `seed`, `publish` or `withdraw`.
    pub action: String,
}

/// Every stored version of one policy, bundle or catalogue (oldest first,
/// artifacts included) and its scenarios.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub documents: Vec<Document>,
    pub scenarios: Vec<ScenarioText>,
}

/// A node serving the store, as it last reported itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeState {
    pub node: String,
    /// Where it listens (`host:port`).
    pub addr: String,
    /// Unix microseconds.
    pub started_at: i64,
    /// The last change it has applied (its registry holds every change up to it).
    pub applied_seq: i64,
    /// Unix microseconds.
    pub heartbeat_at: i64,
    /// Its change listener is connected.
    pub listening: bool,
}

/// What a change listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A change was committed with this sequence number.
    Change(i64),
    /// A node's ping came back through the listener (it is alive).
    Ping(String),
}

/// A connection that hears every committed change (PostgreSQL's
/// LISTEN/NOTIFY). Notifications sent while it is disconnected are lost:
/// the caller catches up from the sequence after each reconnect.
#[async_trait]
pub trait ChangeListener: Send {
    /// The next notice; `Ok(None)` when the connection was lost (the next
    /// call reconnects).
    async fn next(&mut self) -> Result<Option<Notice>, StoreError>;
}

/// Stores decision batches synchronously, from the decision log's writer
/// thread (durable mode): a group commit without a hop to another thread.
pub trait LogWriter: Send {
    /// Stores `records` in one transaction.
    fn append(&mut self, records: &[DecisionRecord]) -> Result<(), StoreError>;
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Every stored document, oldest version first.
    async fn documents(&self) -> Result<Vec<Document>, StoreError>;
    /// True when nothing has been stored yet (first start).
    async fn is_empty(&self) -> Result<bool, StoreError>;
    /// Stores the first versions and their scenarios in one transaction.
    async fn seed(
        &self,
        documents: &[Document],
        scenarios: &[ScenarioText],
    ) -> Result<(), StoreError>;
    /// Stores a new version with its audit entry and, when given, replaces
    /// the scenarios of its subject (kind and id); all or nothing.
    /// `Conflict` if the version, or a higher one, is stored (two nodes
    /// publishing at once: exactly one wins). `untested` records that the
    /// publisher chose to publish without any scenario run against it.
    /// Returns the change's sequence number.
    async fn publish(
        &self,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<i64, StoreError>;
    /// Stores a new catalogue version with its audit entry and replaces the
    /// artifact of every policy version in `rebuilt` (compiled again against
    /// it); all or nothing. `Conflict` if the version, or a higher one, is
    /// stored. Returns the change's sequence number.
    async fn publish_catalogue(
        &self,
        document: &Document,
        rebuilt: &[Rebuilt],
    ) -> Result<i64, StoreError>;
    /// Marks a version withdrawn, with its audit entry (`Conflict` unless
    /// it is active). Returns the change's sequence number.
    async fn withdraw(
        &self,
        kind: Kind,
        id: &str,
        version: i64,
        actor: &str,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// The newest change's sequence number (0 when nothing is stored).
    async fn latest_change(&self) -> Result<i64, StoreError>;
    /// The changes after `seq`, in order.
    async fn changes_since(&self, seq: i64) -> Result<Vec<Change>, StoreError>;
    /// Every version of one subject and its scenarios.
    async fn subject(&self, kind: Kind, id: &str) -> Result<Subject, StoreError>;
    /// Records (or refreshes) a node's state.
    async fn heartbeat(&self, node: &NodeState) -> Result<(), StoreError>;
    /// Removes a node that stops.
    async fn leave(&self, node: &str) -> Result<(), StoreError>;
    /// Every node that has reported itself, by name.
    async fn nodes(&self) -> Result<Vec<NodeState>, StoreError>;
    /// A listener for committed changes; `None` where changes can only be
    /// committed by this process (the embedded store).
    async fn listen(&self) -> Result<Option<Box<dyn ChangeListener>>, StoreError> {
        Ok(None)
    }
    /// Sends `Notice::Ping(node)` to every listener (checks one's own
    /// listener is alive); a no-op where there are none.
    async fn ping(&self, node: &str) -> Result<(), StoreError> {
        let _ = node;
        Ok(())
    }
    async fn scenarios(&self) -> Result<Vec<ScenarioText>, StoreError>;
    /// The audit trail of one subject (a kind and an id), oldest first.
    async fn audit(&self, kind: Kind, id: &str) -> Result<Vec<AuditEntry>, StoreError>;
    async fn append_decisions(&self, records: &[DecisionRecord]) -> Result<(), StoreError>;
    async fn decisions(&self, query: &DecisionQuery) -> Result<Vec<DecisionRecord>, StoreError>;
    /// How many group commits of the durable decision log may be in flight
    /// at once (a server database flushes concurrent commits together; an
    /// embedded file takes one writer).
    fn log_commits_in_flight(&self) -> usize {
        1
    }
    /// A connection of the decision log's own, used from a thread of its
    /// own; `None` where the store has none (the writer then uses
    /// [`Store::append_decisions`]).
    fn log_writer(&self) -> Result<Option<Box<dyn LogWriter>>, StoreError> {
        Ok(None)
    }
    /// Retention: removes every decision recorded before `before`, and the
    /// kept request (facts) of every decision recorded before `facts_before`.
    async fn prune_decisions(
        &self,
        before: Option<i64>,
        facts_before: Option<i64>,
    ) -> Result<Pruned, StoreError>;
    /// Stores a version submitted for review (nothing is published).
    /// Returns the review's number.
    async fn submit_review(&self, review: &review::NewReview) -> Result<i64, StoreError>;
    /// Reviews, newest first.
    async fn reviews(&self, query: &review::ReviewQuery)
    -> Result<Vec<review::Review>, StoreError>;
    /// One review (`NotFound` when there is none).
    async fn review(&self, review_id: i64) -> Result<review::Review, StoreError>;
    /// Approves a pending review and publishes `document` (as
    /// [`Store::publish`], the audit entry naming the approver) in one
    /// transaction. `Conflict` when the review is no longer pending or the
    /// version is taken. Returns the change's sequence number.
    async fn approve_review(
        &self,
        verdict: &review::Verdict,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<i64, StoreError>;
    /// Rejects a pending review (`Conflict` unless pending).
    async fn reject_review(&self, verdict: &review::Verdict) -> Result<(), StoreError>;
    /// Waits for every write to reach the disk and closes the connections.
    async fn close(&self);
}
