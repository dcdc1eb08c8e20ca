//! The PostgreSQL store, for several nodes on one database
//! (`store.url = "postgres://…"`): migrations from
//! `host/migrations/postgres/` applied at open (sqlx takes an advisory lock,
//! so nodes starting together migrate once).
//!
//! Every write of a version (seed, publish, withdraw, catalogue) holds one
//! transaction-scoped advisory lock, numbers its change `MAX(seq) + 1` in the
//! audit trail and sends `NOTIFY yici_changes, '<seq>'`, delivered at
//! commit. Numbers are thus given and committed in one order without gaps,
//! and a node that has applied change N has applied every change before it.
//!
//! The decision log is one row per evaluation, inserted a batch at a time
//! with one `INSERT … SELECT FROM UNNEST(arrays)` (one round trip, one
//! statement however large the batch), in monthly partitions that
//! retention drops whole.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Acquire, Row};

use super::review::{self, NewReview, Review, ReviewQuery, ReviewStatus, Verdict};
use super::{
    AuditEntry, Change, ChangeListener, DecisionQuery, DecisionRecord, Document, Kind, NodeState,
    Notice, Pruned, Rebuilt, ScenarioText, Status, Store, StoreError, Subject,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel every change is announced on.
const CHANNEL: &str = "yici_changes";
/// The advisory lock every write of a version holds (`yici` in ASCII).
const WRITE_LOCK: i64 = 0x7969_6369;
/// A ping's payload prefix: `ping:<node>`.
const PING: &str = "ping:";

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// The months whose decision partition is known to exist.
    partitions: Mutex<HashSet<i64>>,
}

fn database(error: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(error)
}

/// The settings of [`PgStore::open`].
#[derive(Debug, Clone)]
pub struct PgSettings {
    pub url: String,
    pub max_connections: u32,
    /// How long a caller waits for a connection before `Unavailable`.
    pub acquire_timeout: Duration,
}

impl PgStore {
    /// Connects and migrates. The URL's password is never logged or shown.
    pub async fn open(settings: &PgSettings) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(&settings.url).map_err(|e| {
            StoreError::Database(format!("`store.url` is not a PostgreSQL URL: {e}"))
        })?;
        let shown = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let options = options.application_name("yici");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to {shown}: {e}")))?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Database(format!("cannot migrate the store at {shown}: {e}"))
        })?;
        let store = PgStore {
            pool,
            partitions: Mutex::new(HashSet::new()),
        };
        let now = super::super::service::clock::now_micros();
        store
            .ensure_partitions(&[now, now + 31 * MICROS_PER_DAY])
            .await?;
        Ok(store)
    }

    fn known_partitions(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.partitions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates the monthly partitions that hold `ats` (unix microseconds).
    async fn ensure_partitions(&self, ats: &[i64]) -> Result<(), StoreError> {
        let mut missing: Vec<Month> = Vec::new();
        {
            let known = self.known_partitions();
            for &at in ats {
                let month = Month::of(at)?;
                if !known.contains(&month.start) && !missing.contains(&month) {
                    missing.push(month);
                }
            }
        }
        for month in missing {
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF decisions FOR VALUES FROM ({}) TO ({})",
                month.table(),
                month.start,
                month.end
            );
            match sqlx::query(&sql).execute(&self.pool).await {
                Ok(_) => {}
                // Two nodes creating the same month at once: one wins.
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("42P07" | "23505")) => {}
                Err(e) => return Err(database(e)),
            }
            self.known_partitions().insert(month.start);
        }
        Ok(())
    }

    /// The decision partitions, each with its month.
    async fn partition_months(&self) -> Result<Vec<(String, Month)>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits i
             JOIN pg_class c ON c.oid = i.inhrelid
             JOIN pg_class p ON p.oid = i.inhparent
             WHERE p.relname = 'decisions' AND p.relnamespace = current_schema()::regnamespace",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(names
            .into_iter()
            .filter_map(|name| Month::from_table(&name).map(|month| (name, month)))
            .collect())
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A calendar month (UTC) as a range of unix microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Month {
    year: i16,
    month: i8,
    start: i64,
    end: i64,
}

impl Month {
    fn of(at: i64) -> Result<Month, StoreError> {
        let timestamp = jiff::Timestamp::from_microsecond(at)
            .map_err(|e| StoreError::Database(format!("a decision's time {at}: {e}")))?;
        let date = jiff::tz::Offset::UTC.to_datetime(timestamp).date();
        Month::starting(date.year(), date.month())
    }

    fn starting(year: i16, month: i8) -> Result<Month, StoreError> {
        let micros = |year: i16, month: i8| -> Result<i64, StoreError> {
            let date = jiff::civil::Date::new(year, month, 1)
                .map_err(|e| StoreError::Database(format!("month {year}-{month}: {e}")))?;
            let timestamp = jiff::tz::Offset::UTC
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .map_err(|e| StoreError::Database(format!("month {year}-{month}: {e}")))?;
            Ok(timestamp.as_microsecond())
        };
        let (next_year, next_month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        Ok(Month {
            year,
            month,
            start: micros(year, month)?,
            end: micros(next_year, next_month)?,
        })
    }

    fn table(&self) -> String {
        format!("decisions_y{:04}m{:02}", self.year, self.month)
    }

    fn from_table(name: &str) -> Option<Month> {
        let rest = name.strip_prefix("decisions_y")?;
        let (year, month) = rest.split_once('m')?;
        Month::starting(year.parse().ok()?, month.parse().ok()?).ok()
    }
}

/// Takes the write lock and gives the next change its number.
async fn next_seq(tx: &mut sqlx::PgConnection) -> Result<i64, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit")
        .fetch_one(&mut *tx)
        .await
        .map_err(database)
}

/// Announces change `seq` to every listener (delivered at commit).
async fn notify(tx: &mut sqlx::PgConnection, seq: i64) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(seq.to_string())
        .execute(&mut *tx)
        .await
        .map_err(database)?;
    Ok(())
}

/// Stores `document` with its audit entry numbered `seq`.
async fn insert_document(
    tx: &mut sqlx::PgConnection,
    seq: i64,
    document: &Document,
    action: &str,
    untested: bool,
) -> Result<(), StoreError> {
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM documents WHERE kind = $1 AND id = $2")
            .bind(document.kind.as_str())
            .bind(&document.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(database)?;
    match newest {
        Some(newest) if newest == document.version => {
            return Err(StoreError::Conflict(format!(
                "version {} of `{}` already exists",
                document.version, document.id
            )));
        }
        Some(newest) if newest > document.version => {
            return Err(StoreError::Conflict(format!(
                "version {newest} of `{}` is stored, newer than {}",
                document.id, document.version
            )));
        }
        _ => {}
    }
    sqlx::query(
        "INSERT INTO documents (kind, id, version, department, title, source, artifact, hash,
                                effective_from, status, publisher, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(document.kind.as_str())
    .bind(&document.id)
    .bind(document.version)
    .bind(&document.department)
    .bind(&document.title)
    .bind(&document.source)
    .bind(document.artifact.as_deref())
    .bind(&document.hash)
    .bind(&document.effective_from)
    .bind(document.status.as_str())
    .bind(&document.publisher)
    .bind(document.published_at)
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    sqlx::query(
        "INSERT INTO audit (seq, kind, at, actor, action, id, version, hash, untested)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(document.kind.as_str())
    .bind(document.published_at)
    .bind(&document.publisher)
    .bind(action)
    .bind(&document.id)
    .bind(document.version)
    .bind(&document.hash)
    .bind(untested)
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    Ok(())
}

async fn insert_scenarios(
    tx: &mut sqlx::PgConnection,
    scenarios: &[ScenarioText],
) -> Result<(), StoreError> {
    if scenarios.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&ScenarioText) -> &str| -> Vec<&str> { scenarios.iter().map(f).collect() };
    sqlx::query(
        "INSERT INTO scenarios (kind, policy_id, name, toml)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(column(|s| s.kind.as_str()))
    .bind(column(|s| s.policy_id.as_str()))
    .bind(column(|s| s.name.as_str()))
    .bind(column(|s| s.toml.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    Ok(())
}

fn kind_of(row: &PgRow) -> Result<Kind, StoreError> {
    let kind: &str = row.get("kind");
    Kind::parse(kind).ok_or_else(|| StoreError::Database(format!("unknown kind `{kind}`")))
}

fn document_of(row: &PgRow) -> Result<Document, StoreError> {
    let status: &str = row.get("status");
    Ok(Document {
        kind: kind_of(row)?,
        id: row.get("id"),
        version: row.get("version"),
        department: row.get("department"),
        title: row.get("title"),
        source: row.get("source"),
        artifact: row.get("artifact"),
        hash: row.get("hash"),
        effective_from: row.get("effective_from"),
        status: Status::parse(status)
            .ok_or_else(|| StoreError::Database(format!("unknown status `{status}`")))?,
        publisher: row.get("publisher"),
        published_at: row.get("published_at"),
    })
}

fn scenario_of(row: &PgRow) -> Result<ScenarioText, StoreError> {
    Ok(ScenarioText {
        kind: kind_of(row)?,
        policy_id: row.get("policy_id"),
        name: row.get("name"),
        toml: row.get("toml"),
    })
}

const DOCUMENT_COLUMNS: &str = "kind, id, version, department, title, source, artifact, hash,
                                effective_from, status, publisher, published_at";

#[async_trait]
impl Store for PgStore {
    async fn documents(&self) -> Result<Vec<Document>, StoreError> {
        sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY kind, id, version"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(document_of)
        .collect()
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents)")
            .fetch_one(&self.pool)
            .await
            .map_err(database)?;
        Ok(!any)
    }

    async fn seed(
        &self,
        documents: &[Document],
        scenarios: &[ScenarioText],
    ) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        let outcome = async {
            let mut seq = next_seq(&mut tx).await?;
            // Nodes started together on an empty database: the first seeds,
            // the others find it done under the lock.
            let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents)")
                .fetch_one(&mut *tx)
                .await
                .map_err(database)?;
            if any {
                return Ok(());
            }
            for document in documents {
                insert_document(&mut tx, seq, document, "seed", false).await?;
                seq += 1;
            }
            insert_scenarios(&mut tx, scenarios).await?;
            notify(&mut tx, seq - 1).await
        }
        .await;
        super::finish(tx, outcome).await
    }

    async fn publish(
        &self,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<i64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        let outcome = async {
            let seq = next_seq(&mut tx).await?;
            insert_document(&mut tx, seq, document, "publish", untested).await?;
            if let Some(scenarios) = scenarios {
                sqlx::query("DELETE FROM scenarios WHERE kind = $1 AND policy_id = $2")
                    .bind(document.kind.as_str())
                    .bind(&document.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(database)?;
                insert_scenarios(&mut tx, scenarios).await?;
            }
            notify(&mut tx, seq).await?;
            Ok(seq)
        }
        .await;
        super::finish(tx, outcome).await
    }

    async fn publish_catalogue(
        &self,
        document: &Document,
        rebuilt: &[Rebuilt],
    ) -> Result<i64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        let outcome = async {
            let seq = next_seq(&mut tx).await?;
            insert_document(&mut tx, seq, document, "publish", false).await?;
            for policy in rebuilt {
                let updated = sqlx::query(
                    "UPDATE documents SET artifact = $1
                     WHERE kind = 'policy' AND id = $2 AND version = $3",
                )
                .bind(policy.artifact.as_slice())
                .bind(&policy.id)
                .bind(policy.version)
                .execute(&mut *tx)
                .await
                .map_err(database)?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::NotFound(format!(
                        "version {} of policy `{}` is not stored",
                        policy.version, policy.id
                    )));
                }
            }
            notify(&mut tx, seq).await?;
            Ok(seq)
        }
        .await;
        super::finish(tx, outcome).await
    }

    async fn withdraw(
        &self,
        kind: Kind,
        id: &str,
        version: i64,
        actor: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        let outcome = async {
            let seq = next_seq(&mut tx).await?;
            let hash: Option<String> = sqlx::query_scalar(
                "UPDATE documents SET status = 'withdrawn'
                 WHERE kind = $1 AND id = $2 AND version = $3 AND status = 'active'
                 RETURNING hash",
            )
            .bind(kind.as_str())
            .bind(id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(database)?;
            let Some(hash) = hash else {
                return Err(StoreError::Conflict(format!(
                    "version {version} of `{id}` is not an active version"
                )));
            };
            sqlx::query(
                "INSERT INTO audit (seq, kind, at, actor, action, id, version, hash)
                 VALUES ($1, $2, $3, $4, 'withdraw', $5, $6, $7)",
            )
            .bind(seq)
            .bind(kind.as_str())
            .bind(at)
            .bind(actor)
            .bind(id)
            .bind(version)
            .bind(&hash)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
            notify(&mut tx, seq).await?;
            Ok(seq)
        }
        .await;
        super::finish(tx, outcome).await
    }

    fn log_commits_in_flight(&self) -> usize {
        // Measured in docs/benchmarks.md ("Many nodes on PostgreSQL").
        4
    }

    async fn latest_change(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit")
            .fetch_one(&self.pool)
            .await
            .map_err(database)
    }

    async fn changes_since(&self, seq: i64) -> Result<Vec<Change>, StoreError> {
        sqlx::query("SELECT seq, kind, id, version, action FROM audit WHERE seq > $1 ORDER BY seq")
            .bind(seq)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?
            .iter()
            .map(|row| {
                Ok(Change {
                    seq: row.get("seq"),
                    kind: kind_of(row)?,
                    id: row.get("id"),
                    version: row.get("version"),
                    action: row.get("action"),
                })
            })
            .collect()
    }

    async fn subject(&self, kind: Kind, id: &str) -> Result<Subject, StoreError> {
        let documents = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE kind = $1 AND id = $2 ORDER BY version"
        ))
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(document_of)
        .collect::<Result<Vec<_>, _>>()?;
        let scenarios = sqlx::query(
            "SELECT kind, policy_id, name, toml FROM scenarios
             WHERE kind = $1 AND policy_id = $2 ORDER BY name",
        )
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(scenario_of)
        .collect::<Result<Vec<_>, _>>()?;
        Ok(Subject {
            documents,
            scenarios,
        })
    }

    async fn heartbeat(&self, node: &NodeState) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO nodes (node, addr, started_at, applied_seq, heartbeat_at, listening)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (node) DO UPDATE SET addr = excluded.addr,
                 started_at = excluded.started_at, applied_seq = excluded.applied_seq,
                 heartbeat_at = excluded.heartbeat_at, listening = excluded.listening",
        )
        .bind(&node.node)
        .bind(&node.addr)
        .bind(node.started_at)
        .bind(node.applied_seq)
        .bind(node.heartbeat_at)
        .bind(node.listening)
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn leave(&self, node: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM nodes WHERE node = $1")
            .bind(node)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<NodeState>, StoreError> {
        Ok(sqlx::query(
            "SELECT node, addr, started_at, applied_seq, heartbeat_at, listening
             FROM nodes ORDER BY node",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(|row| NodeState {
            node: row.get("node"),
            addr: row.get("addr"),
            started_at: row.get("started_at"),
            applied_seq: row.get("applied_seq"),
            heartbeat_at: row.get("heartbeat_at"),
            listening: row.get("listening"),
        })
        .collect())
    }

    async fn listen(&self) -> Result<Option<Box<dyn ChangeListener>>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(database)?;
        listener.listen(CHANNEL).await.map_err(database)?;
        Ok(Some(Box::new(PgChangeListener { listener })))
    }

    async fn ping(&self, node: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{PING}{node}"))
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }

    async fn scenarios(&self) -> Result<Vec<ScenarioText>, StoreError> {
        sqlx::query(
            "SELECT kind, policy_id, name, toml FROM scenarios ORDER BY kind, policy_id, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(scenario_of)
        .collect()
    }

    async fn audit(&self, kind: Kind, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query(
            "SELECT kind, at, actor, action, id, version, hash, untested, approver FROM audit
             WHERE kind = $1 AND id = $2 ORDER BY seq",
        )
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                kind: kind_of(row)?,
                at: row.get("at"),
                actor: row.get("actor"),
                action: row.get("action"),
                id: row.get("id"),
                version: row.get("version"),
                hash: row.get("hash"),
                untested: row.get("untested"),
                approver: row.get("approver"),
            })
        })
        .collect()
    }

    async fn append_decisions(&self, records: &[DecisionRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let ats: Vec<i64> = records.iter().map(|r| r.at).collect();
        self.ensure_partitions(&ats).await?;
        let text =
            |f: fn(&DecisionRecord) -> &str| -> Vec<&str> { records.iter().map(f).collect() };
        let optional = |f: fn(&DecisionRecord) -> Option<&str>| -> Vec<Option<&str>> {
            records.iter().map(f).collect()
        };
        sqlx::query(
            "INSERT INTO decisions (at, kind, policy_id, version, application_date, eligibility,
                                    facts_sha256, request, request_id)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                  $6::text[], $7::text[], $8::text[], $9::text[])",
        )
        .bind(&ats)
        .bind(text(|r| r.kind.as_str()))
        .bind(text(|r| r.policy_id.as_str()))
        .bind(records.iter().map(|r| r.version).collect::<Vec<i64>>())
        .bind(text(|r| r.application_date.as_str()))
        .bind(text(|r| r.eligibility.as_str()))
        .bind(text(|r| r.facts_sha256.as_str()))
        .bind(optional(|r| r.request.as_deref()))
        .bind(optional(|r| r.request_id.as_deref()))
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn decisions(&self, query: &DecisionQuery) -> Result<Vec<DecisionRecord>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let (kinds, ids): (Option<Vec<&str>>, Option<Vec<&str>>) = match &query.subjects {
            Some(subjects) => (
                Some(subjects.iter().map(|(kind, _)| kind.as_str()).collect()),
                Some(subjects.iter().map(|(_, id)| id.as_str()).collect()),
            ),
            None => (None, None),
        };
        sqlx::query(
            "SELECT d.at, d.kind, d.policy_id, d.version, COALESCE(doc.hash, '') AS hash,
                    d.application_date, d.eligibility, d.facts_sha256, d.request, d.request_id
             FROM decisions d
             LEFT JOIN documents doc
                    ON doc.kind = d.kind AND doc.id = d.policy_id AND doc.version = d.version
             WHERE ($1::text[] IS NULL
                    OR (d.kind, d.policy_id) IN (SELECT * FROM UNNEST($1::text[], $2::text[])))
               AND ($3::bigint IS NULL OR d.at >= $3)
               AND (NOT $4 OR d.request IS NOT NULL)
             ORDER BY d.at DESC, d.seq DESC
             LIMIT $5",
        )
        .bind(kinds)
        .bind(ids)
        .bind(query.since)
        .bind(query.with_request)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(|row| {
            Ok(DecisionRecord {
                at: row.get("at"),
                kind: kind_of(row)?,
                policy_id: row.get("policy_id"),
                version: row.get("version"),
                hash: row.get("hash"),
                application_date: row.get("application_date"),
                eligibility: row.get("eligibility"),
                facts_sha256: row.get("facts_sha256"),
                request: row.get("request"),
                request_id: row.get("request_id"),
            })
        })
        .collect()
    }

    async fn prune_decisions(
        &self,
        before: Option<i64>,
        facts_before: Option<i64>,
    ) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        if let Some(before) = before {
            // Whole months before the cut are dropped; the month the cut
            // falls in loses its older rows.
            for (table, month) in self.partition_months().await? {
                if month.end <= before {
                    let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(database)?;
                    sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                        .execute(&self.pool)
                        .await
                        .map_err(database)?;
                    self.known_partitions().remove(&month.start);
                    pruned.decisions += u64::try_from(count).unwrap_or(0);
                }
            }
            let deleted = sqlx::query("DELETE FROM decisions WHERE at < $1")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(database)?;
            pruned.decisions += deleted.rows_affected();
        }
        if let Some(facts_before) = facts_before {
            let forgotten = sqlx::query(
                "UPDATE decisions SET request = NULL WHERE at < $1 AND request IS NOT NULL",
            )
            .bind(facts_before)
            .execute(&self.pool)
            .await
            .map_err(database)?;
            pruned.facts += forgotten.rows_affected();
        }
        Ok(pruned)
    }

    async fn submit_review(&self, review: &NewReview) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO reviews (kind, id, department, version, title, source, effective_from,
                                  scenarios, allow_untested, note, submitted_by, submitted_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending')
             RETURNING review_id",
        )
        .bind(review.kind.as_str())
        .bind(&review.id)
        .bind(&review.department)
        .bind(review.version)
        .bind(&review.title)
        .bind(&review.source)
        .bind(review.effective_from.as_deref())
        .bind(review::scenarios_json(review.scenarios.as_deref()))
        .bind(review.allow_untested)
        .bind(&review.note)
        .bind(&review.submitted_by)
        .bind(review.submitted_at)
        .fetch_one(&self.pool)
        .await
        .map_err(database)
    }

    async fn reviews(&self, query: &ReviewQuery) -> Result<Vec<Review>, StoreError> {
        let (kind, id) = match &query.subject {
            Some((kind, id)) => (Some(kind.as_str()), Some(id.as_str())),
            None => (None, None),
        };
        sqlx::query(
            "SELECT * FROM reviews
             WHERE ($1::TEXT IS NULL OR department = $1) AND ($2::TEXT IS NULL OR kind = $2)
               AND ($3::TEXT IS NULL OR id = $3) AND ($4::TEXT IS NULL OR status = $4)
             ORDER BY review_id DESC LIMIT $5",
        )
        .bind(query.department.as_deref())
        .bind(kind)
        .bind(id)
        .bind(query.status.map(ReviewStatus::as_str))
        .bind(i64::from(query.limit.max(1)))
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(review_of)
        .collect()
    }

    async fn review(&self, review_id: i64) -> Result<Review, StoreError> {
        let row = sqlx::query("SELECT * FROM reviews WHERE review_id = $1")
            .bind(review_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?
            .ok_or_else(|| review::unknown(review_id))?;
        review_of(&row)
    }

    async fn approve_review(
        &self,
        verdict: &Verdict,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<i64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        let seq = next_seq(&mut tx).await?;
        insert_document(&mut tx, seq, document, "publish", untested).await?;
        if let Some(scenarios) = scenarios {
            sqlx::query("DELETE FROM scenarios WHERE kind = $1 AND policy_id = $2")
                .bind(document.kind.as_str())
                .bind(&document.id)
                .execute(&mut *tx)
                .await
                .map_err(database)?;
            insert_scenarios(&mut tx, scenarios).await?;
        }
        sqlx::query("UPDATE audit SET approver = $1 WHERE seq = $2")
            .bind(&verdict.reviewer)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        decide(&mut tx, verdict, ReviewStatus::Approved, Some(seq)).await?;
        notify(&mut tx, seq).await?;
        tx.commit().await.map_err(database)?;
        Ok(seq)
    }

    async fn reject_review(&self, verdict: &Verdict) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await.map_err(database)?;
        let mut tx = connection.begin().await.map_err(database)?;
        decide(&mut tx, verdict, ReviewStatus::Rejected, None).await?;
        tx.commit().await.map_err(database)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// Records a reviewer's decision on a pending review.
async fn decide(
    tx: &mut sqlx::PgConnection,
    verdict: &Verdict,
    status: ReviewStatus,
    seq: Option<i64>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE reviews SET status = $1, reviewed_by = $2, reviewed_at = $3, comment = $4,
                            published_seq = $5
         WHERE review_id = $6 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(&verdict.reviewer)
    .bind(verdict.at)
    .bind(&verdict.comment)
    .bind(seq)
    .bind(verdict.review_id)
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    if updated.rows_affected() == 1 {
        return Ok(());
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT review_id FROM reviews WHERE review_id = $1")
            .bind(verdict.review_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(database)?;
    Err(match exists {
        Some(_) => review::not_pending(verdict.review_id),
        None => review::unknown(verdict.review_id),
    })
}

fn review_of(row: &PgRow) -> Result<Review, StoreError> {
    let kind = kind_of(row)?;
    let id: String = row.get("id");
    let status: String = row.get("status");
    Ok(Review {
        review_id: row.get("review_id"),
        submitted: NewReview {
            kind,
            scenarios: review::scenarios_of(
                row.get::<Option<String>, _>("scenarios").as_deref(),
                kind,
                &id,
            )?,
            id,
            department: row.get("department"),
            version: row.get("version"),
            title: row.get("title"),
            source: row.get("source"),
            effective_from: row.get("effective_from"),
            allow_untested: row.get("allow_untested"),
            note: row.get("note"),
            submitted_by: row.get("submitted_by"),
            submitted_at: row.get("submitted_at"),
        },
        status: ReviewStatus::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("a review's status `{status}`")))?,
        reviewed_by: row.get("reviewed_by"),
        reviewed_at: row.get("reviewed_at"),
        comment: row.get("comment"),
        published_seq: row.get("published_seq"),
    })
}

/// A connection of its own that LISTENs on the change channel.
struct PgChangeListener {
    listener: PgListener,
}

#[async_trait]
impl ChangeListener for PgChangeListener {
    async fn next(&mut self) -> Result<Option<Notice>, StoreError> {
        loop {
            match self.listener.try_recv().await.map_err(database)? {
                None => return Ok(None),
                Some(notification) => {
                    let payload = notification.payload();
                    if let Some(node) = payload.strip_prefix(PING) {
                        return Ok(Some(Notice::Ping(node.to_string())));
                    }
                    if let Ok(seq) = payload.parse() {
                        return Ok(Some(Notice::Change(seq)));
                    }
                    // Anything else on the channel is not ours: ignored.
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        let month = Month::starting(2026, 12).expect("month");
        assert_eq!(month.table(), "decisions_y2026m12");
        assert_eq!(Month::of(month.start).expect("start"), month);
        assert_eq!(Month::of(month.end - 1).expect("last micro"), month);
        let january = Month::of(month.end).expect("next");
        assert_eq!((january.year, january.month), (2027, 1));
        assert_eq!(Month::from_table("decisions_y2027m01"), Some(january));
        assert_eq!(Month::from_table("decisions_default"), None);
    }
}
