//! How fast the decision log's store takes records: 200,000 records in
//! batches of 1,000 into a fresh SQLite store, the CPU time per record.
//! `cargo run --release -p host --example log_write`

use host::store::sqlite::SqliteStore;
use host::store::{DecisionRecord, Store};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks of 1/100 s.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            Some(
                (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
                    / 100.0,
            )
        })
        .unwrap_or(0.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("yici-log-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = SqliteStore::open(&dir).await?;
    let record = DecisionRecord {
        at: 1_790_000_000_000_000,
        kind: host::store::Kind::Policy,
        policy_id: "hz.residence_permit".into(),
        version: 2,
        hash: String::new(),
        application_date: "2026-01-15".into(),
        eligibility: "eligible".into(),
        facts_sha256: "8b37575bed28fa031eeb0e18feae44511d935da009ef91ba203158e1ac2f2fc8".into(),
        request: None,
        request_id: Some("yici-18f0c0ffee-1".into()),
    };
    let batch: Vec<DecisionRecord> = (0..1000)
        .map(|i| DecisionRecord {
            at: record.at + i,
            ..record.clone()
        })
        .collect();
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    for _ in 0..200 {
        store.append_decisions(&batch).await?;
    }
    let records = 200_000.0;
    println!(
        "{records} records: {:.2} µs wall, {:.2} µs CPU per record",
        wall.elapsed().as_secs_f64() * 1e6 / records,
        (cpu_seconds() - cpu) * 1e6 / records
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
