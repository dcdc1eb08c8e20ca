//! Measures what the console's goals name (docs/benchmarks.md): the first
//! load of `/console/` on loopback (the page and its three assets, gzip, no
//! cache) and `POST /v1/check` on a 200-rule policy (p50, p99, max over
//! 500 sequential requests, after 20 warm-up requests). Not a test: nothing
//! here asserts a time.
//!
//! `cargo run --release -p host --example console_latency`

#![allow(clippy::expect_used, clippy::unwrap_used, reason = "a measuring tool")]

use std::path::Path;
use std::time::{Duration, Instant};

use host::config::{Config, TokenConfig, hash_token};
use host::http::Server;

const TOKEN: &str = "bench-officer-token";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let store = tempfile::tempdir().unwrap();
    let config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: store.path().to_path_buf(),
        policies_dir: repository.join("policies"),
        tokens: vec![TokenConfig {
            name: "officer".into(),
            sha256: hash_token(TOKEN),
            department: Some("hz.public_security".into()),
            platform: false,
            catalogue: false,
            reviewer: false,
        }],
        ..Config::default()
    };
    let server = Server::start(config).await.expect("the service starts");
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();

    // First load: the page, then each asset it names, as a browser without a
    // cache would (gzip on the wire; the addresses read from the page once).
    let plain = client
        .get(format!("{base}/console/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let assets: Vec<String> = plain
        .split('"')
        .filter(|p| p.starts_with("assets/"))
        .map(str::to_string)
        .collect();
    assert_eq!(assets.len(), 3, "{plain}");
    let mut loads = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let fresh = reqwest::Client::new();
        let started = Instant::now();
        let mut total = 0;
        for path in std::iter::once("".to_string()).chain(assets.iter().cloned()) {
            let body = fresh
                .get(format!("{base}/console/{path}"))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            total += body.len();
        }
        loads.push(started.elapsed());
        bytes = total;
    }
    loads.sort();
    println!(
        "first load of /console/ (page + 3 assets, gzip, one connection, sequential): median {:.1} ms, max {:.1} ms, {} bytes on the wire",
        percentile(&loads, 0.5).as_secs_f64() * 1e3,
        loads.last().unwrap().as_secs_f64() * 1e3,
        bytes
    );

    // A 200-rule policy: the residence permit with 200 more rules.
    let mut source =
        std::fs::read_to_string(repository.join("policies/hz-residence-permit/policy.rules"))
            .unwrap();
    for i in 0..200 {
        source.push_str(&format!(
            "\nrule extra_{i} \"附加条件{i}\" cite \"《居住证暂行条例》第九条\":\n  months_resident >= {} and applicant.first_application\n",
            i % 24
        ));
    }
    let body = serde_json::json!({ "source": source });
    let mut times = Vec::new();
    for round in 0..520 {
        let started = Instant::now();
        let response = client
            .post(format!("{base}/v1/check"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let report: serde_json::Value = response.json().await.unwrap();
        assert_eq!(report["errors"], 0, "{report}");
        if round >= 20 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    println!(
        "POST /v1/check, 200-rule policy ({} lines, {} bytes), 500 requests: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        source.lines().count(),
        source.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
    server.shutdown().await;
}
