//! The embedded store: one SQLite file in the data directory, WAL mode,
//! migrations from `host/migrations/` applied at open.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::review::{self, NewReview, Review, ReviewQuery, ReviewStatus, Verdict};
use super::{
    AuditEntry, Change, DecisionQuery, DecisionRecord, Document, Kind, LogWriter, NodeState,
    Pruned, Rebuilt, ScenarioText, Status, Store, StoreError, Subject,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The database file, for the decision log's own connection.
    path: std::path::PathBuf,
}

fn database(error: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(error)
}

impl SqliteStore {
    /// Opens (creating if needed) `yici.db` in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Database(format!(
                "cannot create the data directory `{}`: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join("yici.db");
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(database)?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL is durable across a process crash; a power cut
            // may lose the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // An embedded file does not drop connections; the ping before
            // each acquire was one more round trip to the database thread
            // per group commit (docs/benchmarks.md).
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Database(format!("cannot open `{}`: {e}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("cannot migrate the store: {e}")))?;
        Ok(SqliteStore { pool, path })
    }
}

impl SqliteStore {
    /// The `seq` of the first batch whose newest record is at or after `at`
    /// (one past the last batch when none is), by bisection over `seq`.
    async fn first_batch_ending_at_or_after(&self, at: i64) -> Result<i64, StoreError> {
        let bounds: (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(seq), MAX(seq) FROM decision_batches")
                .fetch_one(&self.pool)
                .await
                .map_err(database)?;
        let (Some(mut low), Some(high)) = bounds else {
            return Ok(0);
        };
        let mut high = high + 1;
        while low < high {
            let middle = low + (high - low) / 2;
            // The batch at or after `middle` (seq may have gaps).
            let found: Option<(i64, i64)> = sqlx::query_as(
                "SELECT seq, last_at FROM decision_batches WHERE seq >= ? ORDER BY seq LIMIT 1",
            )
            .bind(middle)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
            match found {
                Some((seq, last_at)) if last_at < at => low = seq + 1,
                _ => high = middle,
            }
        }
        // `low` may fall in a gap of `seq`: the batch itself is the next one.
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM decision_batches WHERE seq >= ?")
                .bind(low)
                .fetch_one(&self.pool)
                .await
                .map_err(database)?;
        Ok(next.unwrap_or(low))
    }
}

async fn insert_document(
    tx: &mut sqlx::SqliteConnection,
    document: &Document,
    action: &str,
    untested: bool,
) -> Result<i64, StoreError> {
    // The write comes first: it takes SQLite's write lock (waiting out the
    // decision log's commits), where a read first would have to upgrade a
    // stale snapshot and fail at once (SQLITE_BUSY_SNAPSHOT) when the log
    // committed in between.
    let inserted = sqlx::query(
        "INSERT INTO documents (kind, id, version, department, title, source, artifact, hash,
                                effective_from, status, publisher, published_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, id, version) DO NOTHING",
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
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "version {} of `{}` already exists",
            document.version, document.id
        )));
    }
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM documents WHERE kind = ? AND id = ?")
            .bind(document.kind.as_str())
            .bind(&document.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(database)?;
    if let Some(newest) = newest.filter(|newest| *newest > document.version) {
        return Err(StoreError::Conflict(format!(
            "version {newest} of `{}` is stored, newer than {}",
            document.id, document.version
        )));
    }
    sqlx::query_scalar(
        "INSERT INTO audit (kind, at, actor, action, id, version, hash, untested)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(document.kind.as_str())
    .bind(document.published_at)
    .bind(&document.publisher)
    .bind(action)
    .bind(&document.id)
    .bind(document.version)
    .bind(&document.hash)
    .bind(untested)
    .fetch_one(&mut *tx)
    .await
    .map_err(database)
}

async fn replace_scenarios(
    tx: &mut sqlx::SqliteConnection,
    kind: Kind,
    policy_id: &str,
    scenarios: &[ScenarioText],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM scenarios WHERE kind = ? AND policy_id = ?")
        .bind(kind.as_str())
        .bind(policy_id)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
    insert_scenarios(tx, scenarios).await
}

async fn insert_scenarios(
    tx: &mut sqlx::SqliteConnection,
    scenarios: &[ScenarioText],
) -> Result<(), StoreError> {
    for scenario in scenarios {
        sqlx::query("INSERT INTO scenarios (kind, policy_id, name, toml) VALUES (?, ?, ?, ?)")
            .bind(scenario.kind.as_str())
            .bind(&scenario.policy_id)
            .bind(&scenario.name)
            .bind(&scenario.toml)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn documents(&self) -> Result<Vec<Document>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, id, version, department, title, source, artifact, hash,
                    effective_from, status, publisher, published_at
             FROM documents ORDER BY kind, id, version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        rows.iter().map(document_of).collect()
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
            .fetch_one(&self.pool)
            .await
            .map_err(database)?;
        Ok(count == 0)
    }

    async fn seed(
        &self,
        documents: &[Document],
        scenarios: &[ScenarioText],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(database)?;
        let outcome = async {
            for document in documents {
                insert_document(&mut tx, document, "seed", false).await?;
            }
            insert_scenarios(&mut tx, scenarios).await
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
        let mut tx = self.pool.begin().await.map_err(database)?;
        let outcome = async {
            let seq = insert_document(&mut tx, document, "publish", untested).await?;
            if let Some(scenarios) = scenarios {
                replace_scenarios(&mut tx, document.kind, &document.id, scenarios).await?;
            }
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
        let mut tx = self.pool.begin().await.map_err(database)?;
        let outcome = async {
            let seq = insert_document(&mut tx, document, "publish", false).await?;
            for policy in rebuilt {
                let updated = sqlx::query(
                    "UPDATE documents SET artifact = ? WHERE kind = 'policy' AND id = ? AND version = ?",
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
        let mut tx = self.pool.begin().await.map_err(database)?;
        let outcome = async {
            let hash: Option<String> = sqlx::query_scalar(
                "UPDATE documents SET status = 'withdrawn'
                 WHERE kind = ? AND id = ? AND version = ? AND status = 'active'
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
            sqlx::query_scalar(
                "INSERT INTO audit (kind, at, actor, action, id, version, hash)
                 VALUES (?, ?, ?, 'withdraw', ?, ?, ?) RETURNING seq",
            )
            .bind(kind.as_str())
            .bind(at)
            .bind(actor)
            .bind(id)
            .bind(version)
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await
            .map_err(database)
        }
        .await;
        super::finish(tx, outcome).await
    }

    async fn latest_change(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit")
            .fetch_one(&self.pool)
            .await
            .map_err(database)
    }

    async fn changes_since(&self, seq: i64) -> Result<Vec<Change>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, id, version, action FROM audit WHERE seq > ? ORDER BY seq",
        )
        .bind(seq)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        rows.iter()
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
        let rows = sqlx::query(
            "SELECT kind, id, version, department, title, source, artifact, hash,
                    effective_from, status, publisher, published_at
             FROM documents WHERE kind = ? AND id = ? ORDER BY version",
        )
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        let documents = rows
            .iter()
            .map(document_of)
            .collect::<Result<Vec<_>, _>>()?;
        let scenarios = sqlx::query(
            "SELECT kind, policy_id, name, toml FROM scenarios
             WHERE kind = ? AND policy_id = ? ORDER BY name",
        )
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        .iter()
        .map(|row| {
            Ok(ScenarioText {
                kind: kind_of(row)?,
                policy_id: row.get("policy_id"),
                name: row.get("name"),
                toml: row.get("toml"),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Subject {
            documents,
            scenarios,
        })
    }

    async fn heartbeat(&self, node: &NodeState) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO nodes (node, addr, started_at, applied_seq, heartbeat_at, listening)
             VALUES (?, ?, ?, ?, ?, ?)
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
        sqlx::query("DELETE FROM nodes WHERE node = ?")
            .bind(node)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<NodeState>, StoreError> {
        let rows = sqlx::query(
            "SELECT node, addr, started_at, applied_seq, heartbeat_at, listening
             FROM nodes ORDER BY node",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
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

    async fn scenarios(&self) -> Result<Vec<ScenarioText>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, policy_id, name, toml FROM scenarios ORDER BY kind, policy_id, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        rows.into_iter()
            .map(|row| {
                Ok(ScenarioText {
                    kind: kind_of(&row)?,
                    policy_id: row.get("policy_id"),
                    name: row.get("name"),
                    toml: row.get("toml"),
                })
            })
            .collect()
    }

    async fn audit(&self, kind: Kind, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, at, actor, action, id, version, hash, untested, approver FROM audit
             WHERE kind = ? AND id = ? ORDER BY seq",
        )
        .bind(kind.as_str())
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        rows.into_iter()
            .map(|row| {
                Ok(AuditEntry {
                    kind: kind_of(&row)?,
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
        let rows = batch_rows(records)?;
        // One statement for every subject's row: a single round trip to the
        // database thread and an implicit transaction (atomic).
        let sql = insert_batches_sql(rows.len());
        let mut query = sqlx::query(&sql);
        for row in rows {
            query = query
                .bind(row.kind.as_str())
                .bind(row.policy_id)
                .bind(row.first_at)
                .bind(row.last_at)
                .bind(row.count)
                .bind(row.kept)
                .bind(row.records);
        }
        query.execute(&self.pool).await.map_err(database)?;
        Ok(())
    }

    fn log_writer(&self) -> Result<Option<Box<dyn LogWriter>>, StoreError> {
        let connection = rusqlite::Connection::open(&self.path).map_err(|e| {
            StoreError::Database(format!("cannot open `{}`: {e}", self.path.display()))
        })?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| StoreError::Database(e.to_string()))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(Some(Box::new(SqliteLogWriter { connection })))
    }

    async fn decisions(&self, query: &DecisionQuery) -> Result<Vec<DecisionRecord>, StoreError> {
        let limit = query.limit as usize;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let subjects = query.subjects.as_ref().map(|subjects| {
            let pairs: Vec<(&str, &str)> = subjects
                .iter()
                .map(|(kind, id)| (kind.as_str(), id.as_str()))
                .collect();
            serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
        });
        // Newest first in the order written, as a row per record read:
        // batches by `seq` descending, each batch's records from its last.
        // (Records of one write are grouped by policy, so across policies the
        // order within one write — one flush interval — is by policy.)
        let mut found: Vec<DecisionRecord> = Vec::new();
        let mut before = i64::MAX;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT seq, kind, policy_id, records FROM decision_batches
                 WHERE seq < ?1
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(?2) s
                                              WHERE s.value ->> 0 = kind
                                                AND s.value ->> 1 = policy_id))
                   AND (?3 IS NULL OR last_at >= ?3)
                   AND (?4 = 0 OR kept > 0)
                 ORDER BY seq DESC
                 LIMIT 16",
            )
            .bind(before)
            .bind(subjects.as_deref())
            .bind(query.since)
            .bind(query.with_request)
            .fetch_all(&self.pool)
            .await
            .map_err(database)?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                before = row.get("seq");
                let kind = kind_of(&row)?;
                let policy_id: String = row.get("policy_id");
                let text: &str = row.get("records");
                let records: Vec<StoredRecord> = serde_json::from_str(text).map_err(|e| {
                    StoreError::Database(format!("a decision log batch of `{policy_id}`: {e}"))
                })?;
                for StoredRecord(
                    at,
                    version,
                    application_date,
                    eligibility,
                    facts_sha256,
                    request,
                    request_id,
                ) in records.into_iter().rev()
                {
                    if query.since.is_some_and(|since| at < since)
                        || (query.with_request && request.is_none())
                    {
                        continue;
                    }
                    found.push(DecisionRecord {
                        at,
                        kind,
                        policy_id: policy_id.clone(),
                        version,
                        hash: String::new(),
                        application_date,
                        eligibility,
                        facts_sha256,
                        request,
                        request_id,
                    });
                    if found.len() == limit {
                        break 'pages;
                    }
                }
            }
        }
        found.truncate(limit);
        // The versions' hashes, joined here rather than stored with every record.
        let mut hashes: HashMap<(Kind, String, i64), String> = HashMap::new();
        for row in sqlx::query(
            "SELECT kind, id, version, hash FROM documents WHERE kind IN ('policy', 'bundle')",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(database)?
        {
            hashes.insert(
                (kind_of(&row)?, row.get("id"), row.get("version")),
                row.get("hash"),
            );
        }
        for record in &mut found {
            if let Some(hash) = hashes.get(&(record.kind, record.policy_id.clone(), record.version))
            {
                record.hash.clone_from(hash);
            }
        }
        Ok(found)
    }

    async fn prune_decisions(
        &self,
        before: Option<i64>,
        facts_before: Option<i64>,
    ) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        // Batches are written in time order, so the first batch that ends at
        // or after a cut is found by bisecting `seq` (rowid lookups, no index
        // on time to maintain with every commit).
        if let Some(before) = before {
            let first_kept = self.first_batch_ending_at_or_after(before).await?;
            let removed: i64 = sqlx::query_scalar(
                "SELECT COALESCE(SUM(count), 0) FROM decision_batches WHERE seq < ?",
            )
            .bind(first_kept)
            .fetch_one(&self.pool)
            .await
            .map_err(database)?;
            sqlx::query("DELETE FROM decision_batches WHERE seq < ?")
                .bind(first_kept)
                .execute(&self.pool)
                .await
                .map_err(database)?;
            pruned.decisions += u64::try_from(removed).unwrap_or(0);
        }
        // Batches with records to drop or facts to forget, rewritten one at a time.
        let cut = before.unwrap_or(i64::MIN);
        let facts_cut = facts_before.unwrap_or(i64::MIN).max(cut);
        if facts_cut == i64::MIN {
            return Ok(pruned);
        }
        // Every batch that starts before the cut ends before the first one
        // that ends at or after it, or is that one.
        let last_candidate = self.first_batch_ending_at_or_after(facts_cut).await?;
        let rows = sqlx::query(
            "SELECT seq, records FROM decision_batches
             WHERE seq <= ?3 AND (first_at < ?1 OR (kept > 0 AND first_at < ?2))",
        )
        .bind(cut)
        .bind(facts_cut)
        .bind(last_candidate)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        for row in rows {
            let seq: i64 = row.get("seq");
            let text: &str = row.get("records");
            let records: Vec<StoredRecord> = serde_json::from_str(text)
                .map_err(|e| StoreError::Database(format!("a decision log batch {seq}: {e}")))?;
            let before_count = records.len();
            let mut kept_records = Vec::with_capacity(records.len());
            for mut record in records {
                if record.0 < cut {
                    pruned.decisions += 1;
                    continue;
                }
                if record.0 < facts_cut && record.5.is_some() {
                    record.5 = None;
                    pruned.facts += 1;
                }
                kept_records.push(record);
            }
            let _ = before_count;
            if kept_records.is_empty() {
                sqlx::query("DELETE FROM decision_batches WHERE seq = ?")
                    .bind(seq)
                    .execute(&self.pool)
                    .await
                    .map_err(database)?;
                continue;
            }
            let first_at = kept_records.iter().map(|r| r.0).min().unwrap_or(0);
            let kept = kept_records.iter().filter(|r| r.5.is_some()).count() as i64;
            let text = serde_json::to_string(&kept_records)
                .map_err(|e| StoreError::Database(format!("a decision log batch {seq}: {e}")))?;
            sqlx::query(
                "UPDATE decision_batches SET records = ?, first_at = ?, count = ?, kept = ?
                 WHERE seq = ?",
            )
            .bind(text)
            .bind(first_at)
            .bind(kept_records.len() as i64)
            .bind(kept)
            .bind(seq)
            .execute(&self.pool)
            .await
            .map_err(database)?;
        }
        Ok(pruned)
    }

    async fn submit_review(&self, review: &NewReview) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO reviews (kind, id, department, version, title, source, effective_from,
                                  scenarios, allow_untested, note, submitted_by, submitted_at, status)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING review_id",
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
        let rows = sqlx::query(
            "SELECT * FROM reviews
             WHERE (?1 IS NULL OR department = ?1) AND (?2 IS NULL OR kind = ?2)
               AND (?3 IS NULL OR id = ?3) AND (?4 IS NULL OR status = ?4)
             ORDER BY review_id DESC LIMIT ?5",
        )
        .bind(query.department.as_deref())
        .bind(kind)
        .bind(id)
        .bind(query.status.map(ReviewStatus::as_str))
        .bind(i64::from(query.limit.max(1)))
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        rows.iter().map(review_of).collect()
    }

    async fn review(&self, review_id: i64) -> Result<Review, StoreError> {
        let row = sqlx::query("SELECT * FROM reviews WHERE review_id = ?")
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
        let mut tx = self.pool.begin().await.map_err(database)?;
        let seq = insert_document(&mut tx, document, "publish", untested).await?;
        if let Some(scenarios) = scenarios {
            replace_scenarios(&mut tx, document.kind, &document.id, scenarios).await?;
        }
        sqlx::query("UPDATE audit SET approver = ? WHERE seq = ?")
            .bind(&verdict.reviewer)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        decide(&mut tx, verdict, ReviewStatus::Approved, Some(seq)).await?;
        tx.commit().await.map_err(database)?;
        Ok(seq)
    }

    async fn reject_review(&self, verdict: &Verdict) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(database)?;
        decide(&mut tx, verdict, ReviewStatus::Rejected, None).await?;
        tx.commit().await.map_err(database)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// Records a reviewer's decision on a pending review.
async fn decide(
    tx: &mut sqlx::SqliteConnection,
    verdict: &Verdict,
    status: ReviewStatus,
    seq: Option<i64>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE reviews SET status = ?, reviewed_by = ?, reviewed_at = ?, comment = ?,
                            published_seq = ?
         WHERE review_id = ? AND status = 'pending'",
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
        sqlx::query_scalar("SELECT review_id FROM reviews WHERE review_id = ?")
            .bind(verdict.review_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(database)?;
    Err(match exists {
        Some(_) => review::not_pending(verdict.review_id),
        None => review::unknown(verdict.review_id),
    })
}

fn review_of(row: &sqlx::sqlite::SqliteRow) -> Result<Review, StoreError> {
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

/// One `decision_batches` row.
struct BatchRow<'r> {
    kind: Kind,
    policy_id: &'r str,
    first_at: i64,
    last_at: i64,
    count: i64,
    kept: i64,
    records: String,
}

/// The rows that store `records`: one per subject (kind and id), its
/// records one JSON text (see migrations/0002_decision_batches.sql): the
/// cost of a row is paid once for hundreds of records.
fn batch_rows(records: &[DecisionRecord]) -> Result<Vec<BatchRow<'_>>, StoreError> {
    let mut by_subject: Vec<((Kind, &str), Vec<&DecisionRecord>)> = Vec::new();
    for record in records {
        let subject = (record.kind, record.policy_id.as_str());
        match by_subject.iter_mut().find(|(s, _)| *s == subject) {
            Some((_, list)) => list.push(record),
            None => by_subject.push((subject, vec![record])),
        }
    }
    let mut rows = Vec::with_capacity(by_subject.len());
    for ((kind, policy_id), list) in by_subject {
        let mut text = Vec::with_capacity(list.len() * 140);
        text.push(b'[');
        let (mut first_at, mut last_at, mut kept) = (i64::MAX, i64::MIN, 0_i64);
        for (index, record) in list.iter().enumerate() {
            if index > 0 {
                text.push(b',');
            }
            first_at = first_at.min(record.at);
            last_at = last_at.max(record.at);
            kept += i64::from(record.request.is_some());
            // `[at, version, date, eligibility, facts_sha256, request]`,
            // written directly (serde_json's string escaping was a
            // visible share of the writer's time).
            let mut number = itoa::Buffer::new();
            text.push(b'[');
            text.extend_from_slice(number.format(record.at).as_bytes());
            text.push(b',');
            text.extend_from_slice(number.format(record.version).as_bytes());
            for field in [
                &record.application_date,
                &record.eligibility,
                &record.facts_sha256,
            ] {
                text.push(b',');
                json_string(&mut text, field);
            }
            text.push(b',');
            match &record.request {
                Some(request) => json_string(&mut text, request),
                None => text.extend_from_slice(b"null"),
            }
            if let Some(request_id) = &record.request_id {
                text.push(b',');
                json_string(&mut text, request_id);
            }
            text.push(b']');
        }
        text.push(b']');
        let text = String::from_utf8(text)
            .map_err(|e| StoreError::Database(format!("a log record: {e}")))?;
        rows.push(BatchRow {
            kind,
            policy_id,
            first_at,
            last_at,
            count: list.len() as i64,
            kept,
            records: text,
        });
    }
    Ok(rows)
}

/// `INSERT` of `rows` batch rows in one statement.
fn insert_batches_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO decision_batches (kind, policy_id, first_at, last_at, count, kept, records) VALUES ",
    );
    for index in 0..rows {
        if index > 0 {
            sql.push(',');
        }
        sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
    }
    sql
}

/// The decision log's own connection, used from the log's writer thread:
/// a group commit is one statement on this thread, with no hop to another.
struct SqliteLogWriter {
    connection: rusqlite::Connection,
}

impl LogWriter for SqliteLogWriter {
    fn append(&mut self, records: &[DecisionRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let rows = batch_rows(records)?;
        let sql = insert_batches_sql(rows.len());
        let mut statement = self
            .connection
            .prepare_cached(&sql)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let mut values: Vec<Box<dyn rusqlite::ToSql + '_>> = Vec::with_capacity(rows.len() * 7);
        for row in rows {
            values.push(Box::new(row.kind.as_str()));
            values.push(Box::new(row.policy_id));
            values.push(Box::new(row.first_at));
            values.push(Box::new(row.last_at));
            values.push(Box::new(row.count));
            values.push(Box::new(row.kept));
            values.push(Box::new(row.records));
        }
        statement
            .execute(rusqlite::params_from_iter(values.iter()))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(())
    }
}

/// One record inside a `decision_batches` row: at, version, application
/// date, eligibility, facts hash, request, and (since migration 0003, when
/// there was one) the request id.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct StoredRecord(
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] Option<String>,
);

fn document_of(row: &sqlx::sqlite::SqliteRow) -> Result<Document, StoreError> {
    let kind: String = row.get("kind");
    let status: String = row.get("status");
    Ok(Document {
        kind: Kind::parse(&kind)
            .ok_or_else(|| StoreError::Database(format!("unknown document kind `{kind}`")))?,
        id: row.get("id"),
        version: row.get("version"),
        department: row.get("department"),
        title: row.get("title"),
        source: row.get("source"),
        artifact: row.get("artifact"),
        hash: row.get("hash"),
        effective_from: row.get("effective_from"),
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("unknown status `{status}`")))?,
        publisher: row.get("publisher"),
        published_at: row.get("published_at"),
    })
}

fn kind_of(row: &sqlx::sqlite::SqliteRow) -> Result<Kind, StoreError> {
    let kind: &str = row.get("kind");
    Kind::parse(kind).ok_or_else(|| StoreError::Database(format!("unknown kind `{kind}`")))
}

/// `text` as a JSON string: copied when nothing needs escaping (dates,
/// outcomes, hashes), through serde_json otherwise.
fn json_string(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing a `str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(policy: &str, at: i64, kept: bool) -> DecisionRecord {
        DecisionRecord {
            at,
            kind: Kind::Policy,
            policy_id: policy.into(),
            version: 1,
            hash: String::new(),
            application_date: "2026-01-15".into(),
            eligibility: if at % 2 == 0 {
                "eligible"
            } else {
                "ineligible"
            }
            .into(),
            facts_sha256: format!("{at:064x}"),
            request: kept.then(|| format!("{{\"n\":{at}}}")),
            request_id: (at % 3 == 0).then(|| format!("req-{at}")),
        }
    }

    fn ats(records: &[DecisionRecord]) -> Vec<(String, i64)> {
        records
            .iter()
            .map(|r| (r.policy_id.clone(), r.at))
            .collect()
    }

    /// Batches of two policies written by three writes read back newest
    /// first, filtered and limited like the old row table.
    #[tokio::test]
    async fn the_log_reads_back_newest_first_across_batches() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("store");
        // Interleaved policies within each write; times increase overall.
        let writes = [
            vec![
                record("a", 1, false),
                record("b", 2, true),
                record("a", 3, true),
            ],
            vec![record("b", 4, false), record("a", 5, false)],
            vec![
                record("a", 6, true),
                record("b", 7, false),
                record("b", 8, true),
            ],
        ];
        for write in &writes {
            store.append_decisions(write).await.expect("append");
        }
        let all = store
            .decisions(&DecisionQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .expect("read");
        // Newest write first; within a write, each policy's records newest
        // first, policies in the reverse order of their batches.
        let expected: Vec<(String, i64)> = [8, 7, 6, 5, 4, 2, 3, 1]
            .into_iter()
            .map(|at| {
                (
                    if [2, 4, 7, 8].contains(&at) { "b" } else { "a" }.to_string(),
                    at,
                )
            })
            .collect();
        assert_eq!(ats(&all), expected);
        assert_eq!(
            all[0],
            record("b", 8, true),
            "fields survive the round trip"
        );

        let newest_three = store
            .decisions(&DecisionQuery {
                limit: 3,
                ..Default::default()
            })
            .await
            .expect("read");
        assert_eq!(ats(&newest_three), expected[..3].to_vec());

        let a_since_3_kept = store
            .decisions(&DecisionQuery {
                subjects: Some(vec![(Kind::Policy, "a".into())]),
                since: Some(3),
                limit: 10,
                with_request: true,
            })
            .await
            .expect("read");
        assert_eq!(ats(&a_since_3_kept), vec![("a".into(), 6), ("a".into(), 3)]);

        let none = store
            .decisions(&DecisionQuery {
                subjects: Some(vec![(Kind::Policy, "c".into())]),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("read");
        assert!(none.is_empty());
        store.close().await;
    }

    /// A store created before the log was batched keeps its records.
    #[tokio::test]
    async fn the_batches_migration_keeps_old_records() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("yici.db");
        let options = SqliteConnectOptions::from_str("sqlite:")
            .expect("options")
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.expect("pool");
        let mut first_only = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/sqlite"
        )))
        .await
        .expect("migrations");
        first_only.migrations = first_only.migrations[..1].to_vec().into();
        first_only.run(&pool).await.expect("0001");
        for at in [10_i64, 20] {
            sqlx::query(
                "INSERT INTO decisions (at, policy_id, version, application_date, eligibility, \
                 facts_sha256, request) VALUES (?, 'a', 1, '2026-01-15', 'eligible', 'ff', ?)",
            )
            .bind(at)
            .bind((at == 20).then_some("{}"))
            .execute(&pool)
            .await
            .expect("old row");
        }
        pool.close().await;

        let store = SqliteStore::open(dir.path()).await.expect("store migrates");
        let records = store
            .decisions(&DecisionQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("read");
        assert_eq!(ats(&records), vec![("a".into(), 20), ("a".into(), 10)]);
        assert_eq!(records[0].request.as_deref(), Some("{}"));
        assert_eq!(records[1].request, None);
        assert_eq!(records[1].facts_sha256, "ff");
        store.close().await;
    }

    /// Retention removes decisions before one cut and kept facts before
    /// another, rewriting the batches that straddle a cut.
    #[tokio::test]
    async fn retention_removes_old_decisions_and_old_facts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("store");
        // Two batches: 1..=5 and 6..=10, every record keeping its request,
        // with a gap in `seq` between them (a batch written and removed).
        let first: Vec<DecisionRecord> = (1..=5).map(|at| record("a", at, true)).collect();
        let second: Vec<DecisionRecord> = (6..=10).map(|at| record("a", at, true)).collect();
        store.append_decisions(&first).await.expect("append");
        for _ in 0..3 {
            store
                .append_decisions(&[record("gone", 5, false)])
                .await
                .expect("append");
        }
        sqlx::query("DELETE FROM decision_batches WHERE policy_id = 'gone'")
            .execute(&store.pool)
            .await
            .expect("gap");
        store.append_decisions(&second).await.expect("append");
        let pruned = store
            .prune_decisions(Some(4), Some(8))
            .await
            .expect("prune");
        assert_eq!(
            pruned,
            Pruned {
                decisions: 3,
                facts: 4
            }
        );
        let left = store
            .decisions(&DecisionQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .expect("read");
        let kept: Vec<(i64, bool)> = left.iter().map(|r| (r.at, r.request.is_some())).collect();
        assert_eq!(
            kept,
            vec![
                (10, true),
                (9, true),
                (8, true),
                (7, false),
                (6, false),
                (5, false),
                (4, false)
            ]
        );
        // Nothing more to do the second time.
        let again = store
            .prune_decisions(Some(4), Some(8))
            .await
            .expect("prune");
        assert_eq!(again, Pruned::default());
        store.close().await;
    }
}
