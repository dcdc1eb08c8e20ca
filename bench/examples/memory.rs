//! Resident memory with many policy versions loaded: compiles VERSIONS
//! (default 1,000) distinct versions of `bench/policies/residence_permit.rules`
//! (each with its own version number, so each is its own artifact and
//! module), loads them all into one engine, evaluates each once, and prints
//! VmRSS before and after. Run:
//! `cargo run --release -p bench --example memory -- [VERSIONS]`.

use std::sync::Arc;

use bench::yici::{POLICY, POLICY_ID, artifact};
use engine::{Compilation, Engine, Limits, LoadedPolicy};

fn vm_rss_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/self/status"))?;
    Ok(line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?)
}

fn main() -> anyhow::Result<()> {
    let versions: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1000,
    };
    let documents = bench::documents()?;
    // Compile first, so the artifacts (and the compiler's own memory) are
    // in the "before" figure and the difference is what loading costs.
    let artifacts: Vec<Vec<u8>> = (0..versions)
        .map(|v| {
            let source = POLICY.replace("  version 1\n", &format!("  version {}\n", v + 1));
            artifact(&source, POLICY_ID, &v.to_string())
        })
        .collect::<anyhow::Result<_>>()?;
    let artifact_bytes: usize = artifacts.iter().map(Vec::len).sum();
    // Optimised code only: the steady state of a loaded version (with the
    // default, each version's quick code is dropped once the optimised is in).
    let engine = Engine::new(Limits {
        compilation: Compilation::Optimized,
        ..Limits::default()
    })?;
    let before = vm_rss_kib()?;
    let started = std::time::Instant::now();
    let loaded: Vec<Arc<LoadedPolicy>> = artifacts
        .iter()
        .map(|wasm| engine.load(wasm))
        .collect::<Result<_, _>>()?;
    let load_time = started.elapsed();
    let after_load = vm_rss_kib()?;
    for (i, policy) in loaded.iter().enumerate() {
        let document = &documents[i % documents.len()];
        let decision = policy.evaluate(&document.json)?;
        anyhow::ensure!(
            (decision.eligibility == engine::Eligibility::Eligible) == document.expected_eligible,
            "version {i} on {}",
            document.name
        );
    }
    let after_evaluate = vm_rss_kib()?;
    // Each loaded policy keeps one ready instance; a second evaluation of the
    // same policy at the same time needs another one.
    let second_session = match loaded.first() {
        Some(policy) => {
            let _first = policy.session()?;
            match policy.session() {
                Ok(_) => "ok".to_string(),
                Err(error) => format!("fails: {error}"),
            }
        }
        None => "no policy".to_string(),
    };
    println!("versions: {versions}");
    println!("artifact_bytes_each: {}", artifact_bytes / versions.max(1));
    println!("rss_before_kib: {before}");
    println!("rss_after_load_kib: {after_load}");
    println!("rss_after_evaluate_kib: {after_evaluate}");
    println!("load_ms: {}", load_time.as_millis());
    println!("second_concurrent_session: {second_session}");
    Ok(())
}
