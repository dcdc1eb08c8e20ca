//! Test support shared by the store and cluster suites: a PostgreSQL
//! database of its own per test, on the server `PG_TEST_URL` names
//! (default `postgres://postgres@127.0.0.1:5432/postgres`, the machine's
//! local server; `scripts/test.sh` starts it). An unreachable server fails
//! the test with what to do — no test is skipped.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server the tests create their databases on.
pub fn admin_url() -> String {
    std::env::var("PG_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..host_end])
}

async fn admin() -> PgConnection {
    let url = admin_url();
    PgConnection::connect(&url).await.unwrap_or_else(|error| {
        panic!(
            "PostgreSQL is not reachable at {url}: {error}. Start it (`scripts/test.sh` starts the \
             local cluster) or point PG_TEST_URL at a server where this user may create databases"
        )
    })
}

/// A database of one test, dropped by [`TestDatabase::remove`].
#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDatabase {
    pub async fn create(tag: &str) -> TestDatabase {
        let mut admin = admin().await;
        remove_stale(&mut admin).await;
        let name = format!(
            "yici_test_{}_{}_{}",
            std::process::id(),
            tag,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        TestDatabase {
            url: with_database(&admin_url(), &name),
            name,
        }
    }

    pub async fn remove(self) {
        let mut admin = admin().await;
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await;
    }
}

impl TestDatabase {
    /// Ends every connection of this database that LISTENs (the nodes'
    /// change listeners), as a network cut would; how many were ended.
    #[expect(
        clippy::expect_used,
        reason = "a test helper stops the test with its message"
    )]
    pub async fn cut_listeners(&self) -> usize {
        let mut admin = admin().await;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND query ILIKE 'LISTEN%'",
        )
        .bind(&self.name)
        .fetch_all(&mut admin)
        .await
        .expect("pg_stat_activity");
        ended.into_iter().filter(|ended| *ended).count()
    }
}

/// Drops the databases of test processes that are gone (a failed test
/// leaves its database behind).
async fn remove_stale(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'yici_test_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name
            .strip_prefix("yici_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

#[test]
fn urls_take_the_test_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@db:5432/x?sslmode=disable", "t2"),
        "postgres://u:p@db:5432/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgres://db", "t3"), "postgres://db/t3");
}
