//! The store: the versions of policies, bundles and the catalogue (source,
//! artifact, hash, effective date, status, publisher, time), the publish
//! audit trail, each policy's and bundle's scenarios and the decision log.
//!
//! Routes only see the [`Store`] trait, so a PostgreSQL store can be added
//! beside [`sqlite::SqliteStore`] without touching them. Every write that
//! belongs together (a version, its audit entry and its scenarios; a
//! catalogue version and the policy artifacts compiled again against it) is
//! one transaction: a publish is stored whole or not at all.

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
#[derive(Debug, Clone)]
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
    #[error("the store failed: {0}")]
    Database(String),
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
    /// `Conflict` if the version exists. `untested` records that the
    /// publisher chose to publish without any scenario run against it.
    async fn publish(
        &self,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<(), StoreError>;
    /// Stores a new catalogue version with its audit entry and replaces the
    /// artifact of every policy version in `rebuilt` (compiled again against
    /// it); all or nothing. `Conflict` if the version exists.
    async fn publish_catalogue(
        &self,
        document: &Document,
        rebuilt: &[Rebuilt],
    ) -> Result<(), StoreError>;
    /// Marks a version withdrawn, with its audit entry.
    async fn withdraw(
        &self,
        kind: Kind,
        id: &str,
        version: i64,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError>;
    async fn scenarios(&self) -> Result<Vec<ScenarioText>, StoreError>;
    /// The audit trail of one subject (a kind and an id), oldest first.
    async fn audit(&self, kind: Kind, id: &str) -> Result<Vec<AuditEntry>, StoreError>;
    async fn append_decisions(&self, records: &[DecisionRecord]) -> Result<(), StoreError>;
    async fn decisions(&self, query: &DecisionQuery) -> Result<Vec<DecisionRecord>, StoreError>;
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
    /// Waits for every write to reach the disk and closes the connections.
    async fn close(&self);
}
