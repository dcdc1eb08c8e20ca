//! The embedded store: one SQLite file in the data directory, WAL mode,
//! migrations from `host/migrations/` applied at open.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    AuditEntry, DecisionQuery, DecisionRecord, Document, Kind, ScenarioText, Status, Store,
    StoreError,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn database(error: sqlx::Error) -> StoreError {
    StoreError::Database(error.to_string())
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
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Database(format!("cannot open `{}`: {e}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("cannot migrate the store: {e}")))?;
        Ok(SqliteStore { pool })
    }
}

async fn insert_document(
    tx: &mut sqlx::SqliteConnection,
    document: &Document,
    action: &str,
) -> Result<(), StoreError> {
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
    sqlx::query(
        "INSERT INTO audit (at, actor, action, id, version, hash) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(document.published_at)
    .bind(&document.publisher)
    .bind(action)
    .bind(&document.id)
    .bind(document.version)
    .bind(&document.hash)
    .execute(&mut *tx)
    .await
    .map_err(database)?;
    Ok(())
}

async fn replace_scenarios(
    tx: &mut sqlx::SqliteConnection,
    policy_id: &str,
    scenarios: &[ScenarioText],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM scenarios WHERE policy_id = ?")
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
        sqlx::query("INSERT INTO scenarios (policy_id, name, toml) VALUES (?, ?, ?)")
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
        rows.into_iter()
            .map(|row| {
                let kind: String = row.get("kind");
                let status: String = row.get("status");
                Ok(Document {
                    kind: Kind::parse(&kind).ok_or_else(|| {
                        StoreError::Database(format!("unknown document kind `{kind}`"))
                    })?,
                    id: row.get("id"),
                    version: row.get("version"),
                    department: row.get("department"),
                    title: row.get("title"),
                    source: row.get("source"),
                    artifact: row.get("artifact"),
                    hash: row.get("hash"),
                    effective_from: row.get("effective_from"),
                    status: Status::parse(&status).ok_or_else(|| {
                        StoreError::Database(format!("unknown status `{status}`"))
                    })?,
                    publisher: row.get("publisher"),
                    published_at: row.get("published_at"),
                })
            })
            .collect()
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
        for document in documents {
            insert_document(&mut tx, document, "seed").await?;
        }
        insert_scenarios(&mut tx, scenarios).await?;
        tx.commit().await.map_err(database)
    }

    async fn publish(
        &self,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(database)?;
        insert_document(&mut tx, document, "publish").await?;
        if let Some(scenarios) = scenarios {
            replace_scenarios(&mut tx, &document.id, scenarios).await?;
        }
        tx.commit().await.map_err(database)
    }

    async fn withdraw(
        &self,
        kind: Kind,
        id: &str,
        version: i64,
        actor: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(database)?;
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
        sqlx::query(
            "INSERT INTO audit (at, actor, action, id, version, hash)
             VALUES (?, ?, 'withdraw', ?, ?, ?)",
        )
        .bind(at)
        .bind(actor)
        .bind(id)
        .bind(version)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        tx.commit().await.map_err(database)
    }

    async fn scenarios(&self) -> Result<Vec<ScenarioText>, StoreError> {
        let rows =
            sqlx::query("SELECT policy_id, name, toml FROM scenarios ORDER BY policy_id, name")
                .fetch_all(&self.pool)
                .await
                .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|row| ScenarioText {
                policy_id: row.get("policy_id"),
                name: row.get("name"),
                toml: row.get("toml"),
            })
            .collect())
    }

    async fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, id, version, hash FROM audit WHERE id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                at: row.get("at"),
                actor: row.get("actor"),
                action: row.get("action"),
                id: row.get("id"),
                version: row.get("version"),
                hash: row.get("hash"),
            })
            .collect())
    }

    async fn append_decisions(&self, records: &[DecisionRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // One multi-row INSERT per chunk: each statement is a round trip to
        // SQLite's worker thread, so rows per statement is what makes the log cheap.
        const ROWS_PER_STATEMENT: usize = 500; // 8 binds a row, far below SQLite's 32,766
        let mut tx = self.pool.begin().await.map_err(database)?;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO decisions (at, policy_id, version, application_date, \
                 eligibility, facts_sha256, request) ",
            );
            insert.push_values(chunk, |mut row, record| {
                // `&str`, not `&String`: sqlx then borrows the text instead of copying it.
                row.push_bind(record.at)
                    .push_bind(record.policy_id.as_str())
                    .push_bind(record.version)
                    .push_bind(record.application_date.as_str())
                    .push_bind(record.eligibility.as_str())
                    .push_bind(record.facts_sha256.as_str())
                    .push_bind(record.request.as_deref());
            });
            insert.build().execute(&mut *tx).await.map_err(database)?;
        }
        tx.commit().await.map_err(database)
    }

    async fn decisions(&self, query: &DecisionQuery) -> Result<Vec<DecisionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.at, l.policy_id, l.version, COALESCE(d.hash, '') AS hash, l.application_date,
                    l.eligibility, l.facts_sha256, l.request
             FROM decisions l
             LEFT JOIN documents d
               ON d.kind IN ('policy', 'bundle') AND d.id = l.policy_id AND d.version = l.version
             WHERE (?1 IS NULL OR l.policy_id IN (SELECT value FROM json_each(?1)))
               AND (?2 IS NULL OR l.at >= ?2)
               AND (?3 = 0 OR l.request IS NOT NULL)
             ORDER BY l.seq DESC
             LIMIT ?4",
        )
        .bind(
            query
                .policies
                .as_ref()
                .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into())),
        )
        .bind(query.since)
        .bind(query.with_request)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(database)?;
        Ok(rows
            .into_iter()
            .map(|row| DecisionRecord {
                at: row.get("at"),
                policy_id: row.get("policy_id"),
                version: row.get("version"),
                hash: row.get("hash"),
                application_date: row.get("application_date"),
                eligibility: row.get("eligibility"),
                facts_sha256: row.get("facts_sha256"),
                request: row.get("request"),
            })
            .collect())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
