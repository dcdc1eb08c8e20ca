//! The service end to end over real TCP (127.0.0.1, an ephemeral port): the
//! request/response cases of `tests/http/cases.toml`, publishing and
//! withdrawing, publishing under load, and a restart.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers stop the test with their message"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use host::config::{Config, TokenConfig, hash_token};
use host::http::Server;
use host::store::Kind;
use serde::Deserialize;
use serde_json::{Value, json};

const PLATFORM: &str = "test-platform-token";
const PUBLIC_SECURITY: &str = "test-public-security-token";
const HOUSING_FUND: &str = "test-housing-fund-token";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config(name: &str) -> Config {
    let data_dir = std::env::temp_dir().join(format!("yici-service-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let token = |name: &str, token: &str, department: Option<&str>| TokenConfig {
        name: name.to_string(),
        sha256: hash_token(token),
        department: department.map(str::to_string),
        platform: department.is_none(),
    };
    let mut config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir,
        policies_dir: repository().join("policies"),
        batch_limit: 10,
        body_limit_bytes: 64 * 1024,
        tokens: vec![
            token("platform", PLATFORM, None),
            token(
                "hz.public_security",
                PUBLIC_SECURITY,
                Some("hz.public_security"),
            ),
            token("hz.housing_fund", HOUSING_FUND, Some("hz.housing_fund")),
        ],
        ..Config::default()
    };
    config.decision_log.keep_facts = true;
    config
}

fn token_for(alias: &str) -> Option<&'static str> {
    match alias {
        "platform" => Some(PLATFORM),
        "hz.public_security" => Some(PUBLIC_SECURITY),
        "hz.housing_fund" => Some(HOUSING_FUND),
        "bad" => Some("not-a-configured-token"),
        _ => None,
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("http://{}", server.addr),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let mut request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    async fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, text) = self
            .send(method, path, Some(token), body.map(|b| b.to_string()))
            .await;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        (status, value)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    token: String,
    body: Option<String>,
    body_file: Option<String>,
    status: u16,
    code: Option<String>,
    json_path: Option<String>,
    contains: Option<String>,
    #[serde(default)]
    eventually: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_error_class() {
    let server = Server::start(config("cases")).await.expect("starts");
    let client = Client::new(&server);
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http");
    let cases: Cases =
        toml::from_str(&std::fs::read_to_string(folder.join("cases.toml")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for case in &cases.case {
        let body = match (&case.body, &case.body_file) {
            (Some(body), _) => Some(body.clone()),
            (None, Some(file)) => Some(std::fs::read_to_string(folder.join(file)).unwrap()),
            (None, None) => None,
        };
        let mut attempts = if case.eventually { 100 } else { 1 };
        let (status, text) = loop {
            let (status, text) = client
                .send(
                    &case.method,
                    &case.path,
                    token_for(&case.token),
                    body.clone(),
                )
                .await;
            attempts -= 1;
            let done = status == case.status
                && case
                    .contains
                    .as_ref()
                    .is_none_or(|n| text.contains(n.as_str()));
            if done || attempts == 0 {
                break (status, text);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let mut problems = Vec::new();
        if status != case.status {
            problems.push(format!("status {status}, expected {}", case.status));
        }
        if case.code.is_some() || case.json_path.is_some() {
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if let Some(code) = &case.code
                && value["code"].as_str() != Some(code.as_str())
            {
                problems.push(format!("code {}, expected `{code}`", value["code"]));
            }
            if let Some(path) = &case.json_path
                && value["path"].as_str() != Some(path.as_str())
            {
                problems.push(format!("path {}, expected `{path}`", value["path"]));
            }
            if value["message"].as_str().is_none_or(str::is_empty) {
                problems.push("no message".into());
            }
        }
        if let Some(needle) = &case.contains
            && !text.contains(needle.as_str())
        {
            problems.push(format!("the body does not contain `{needle}`"));
        }
        answers.push((body.clone(), status, text.clone()));
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({} {}): {}\n  body: {}",
                case.name,
                case.method,
                case.path,
                problems.join("; "),
                text.chars().take(400).collect::<String>()
            ));
        }
    }
    // Cases the data file cannot express: sizes.
    let large = format!(
        "{{\"application_date\":\"2026-01-15\",\"facts\":{{\"applicant\":{{\"hukou_city\":\"{}\"}}}}}}",
        "x".repeat(100 * 1024)
    );
    let (status, text) = client
        .send(
            "POST",
            "/v1/policies/hz.residence_permit/evaluate",
            Some(PLATFORM),
            Some(large),
        )
        .await;
    if status != 413 || !text.contains("body_too_large") {
        failures.push(format!("a body over the limit: {status} {text}"));
    }
    let request: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("residence_permit_eligible.json")).unwrap(),
    )
    .unwrap();
    let mut item = request.clone();
    item["policy"] = json!("hz.residence_permit");
    let batch = json!({ "evaluations": vec![item; 11] });
    let (status, value) = client
        .json("POST", "/v1/evaluate/batch", PLATFORM, Some(batch))
        .await;
    if status != 422 || value["code"] != "batch_too_large" {
        failures.push(format!("a batch over the limit: {status} {value}"));
    }
    server.shutdown().await;

    // The same evaluations where the log keeps no requests: the engine then
    // reads a single evaluation's body once (the fast path); every answer and
    // every error must be the one above, byte for byte.
    let mut fast_config = config("cases-fast");
    fast_config.decision_log.keep_facts = false;
    let fast = Server::start(fast_config).await.expect("starts");
    let fast_client = Client::new(&fast);
    for (case, (body, status, text)) in cases.case.iter().zip(&answers) {
        if case.method != "POST"
            || !case.path.starts_with("/v1/policies/")
            || !case.path.ends_with("/evaluate")
        {
            continue;
        }
        let (fast_status, fast_text) = fast_client
            .send(
                &case.method,
                &case.path,
                token_for(&case.token),
                body.clone(),
            )
            .await;
        if (fast_status, &fast_text) != (*status, text) {
            failures.push(format!(
                "{} without kept facts: {fast_status} {fast_text}\n  with kept facts: {status} {text}",
                case.name
            ));
        }
    }
    fast.shutdown().await;
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn residence_permit_source() -> String {
    std::fs::read_to_string(repository().join("policies/hz-residence-permit/policy.rules")).unwrap()
}

/// The shipped residence permit as version 3, with a comment so its hash differs.
fn version_3() -> String {
    let source = residence_permit_source();
    assert!(source.contains("  version 2\n"));
    format!(
        "# v3: a comment only\n{}",
        source.replace("  version 2\n", "  version 3\n")
    )
}

fn eligible_request() -> Value {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http");
    serde_json::from_str(
        &std::fs::read_to_string(folder.join("residence_permit_eligible.json")).unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_preview_and_withdraw() {
    let server = Server::start(config("publish")).await.expect("starts");
    let client = Client::new(&server);
    let evaluate = "/v1/policies/hz.residence_permit/evaluate";
    let versions = "/v1/policies/hz.residence_permit/versions";
    // A decision to replay in the preview.
    let (status, before) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["policy"]["version"], 2);

    // The log is written off the request path: wait until the decision is stored.
    for _ in 0..100 {
        let (_, logged) = client
            .json("GET", "/v1/decisions", PUBLIC_SECURITY, None)
            .await;
        if let Some(first) = logged.as_array().and_then(|l| l.first()) {
            // The log keeps the version; its hash comes from the stored version.
            assert_eq!(first["hash"], before["policy"]["hash"], "{first}");
            assert_eq!(first["version"], 2);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A change that breaks the scenarios: six months of residence become sixty.
    let stricter = residence_permit_source()
        .replace("  version 2\n", "  version 3\n")
        .replace("from 2016-01-01 = 6\n", "from 2016-01-01 = 60\n");
    assert_ne!(stricter, residence_permit_source());
    let (status, preview) = client
        .json(
            "POST",
            "/v1/policies/hz.residence_permit/preview",
            PUBLIC_SECURITY,
            Some(json!({"source": stricter})),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert!(
        preview["summary"]["scenarios"].as_u64().unwrap() > 5,
        "{preview}"
    );
    assert!(
        preview["summary"]["scenarios_changed"].as_u64().unwrap() > 0,
        "{preview}"
    );
    assert_eq!(preview["summary"]["decisions"], 1, "{preview}");
    assert_eq!(
        preview["decisions"][0]["current"]["eligibility"],
        "eligible"
    );
    assert_eq!(
        preview["decisions"][0]["proposed"]["eligibility"],
        "ineligible"
    );
    let (status, rejected) = client
        .json(
            "POST",
            versions,
            PUBLIC_SECURITY,
            Some(json!({"source": stricter})),
        )
        .await;
    assert_eq!(status, 422, "{rejected}");
    assert_eq!(rejected["code"], "scenarios_failed");
    assert!(!rejected["failures"].as_array().unwrap().is_empty());
    // Nothing was stored: still one version.
    let (_, list) = client.json("GET", versions, PLATFORM, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // The effective date in the body must agree with the source's.
    let (status, error) = client
        .json(
            "POST",
            versions,
            PUBLIC_SECURITY,
            Some(json!({"source": version_3(), "effective_from": "2030-01-01"})),
        )
        .await;
    assert_eq!(
        (status, error["path"].as_str()),
        (422, Some("effective_from")),
        "{error}"
    );
    // Sent to the wrong id.
    let (status, error) = client
        .json(
            "POST",
            "/v1/policies/hz.housing_fund_rent/versions",
            HOUSING_FUND,
            Some(json!({"source": version_3()})),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (422, Some("invalid_source")),
        "{error}"
    );

    let started = Instant::now();
    let (status, published) = client
        .json(
            "POST",
            versions,
            PUBLIC_SECURITY,
            Some(json!({"source": version_3()})),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    assert_eq!(published["version"], 3);
    assert_eq!(published["publisher"], "hz.public_security");
    assert!(published["scenarios_run"].as_u64().unwrap() > 5);
    let (_, after) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(
        after["policy"]["version"], 3,
        "in force for the next request"
    );
    eprintln!("publish to in force: {:?} (debug build)", started.elapsed());
    assert_ne!(after["policy"]["hash"], before["policy"]["hash"]);

    // The same version again is a conflict that says which number is next.
    let (status, conflict) = client
        .json(
            "POST",
            versions,
            PUBLIC_SECURITY,
            Some(json!({"source": version_3()})),
        )
        .await;
    assert_eq!(status, 409, "{conflict}");
    assert!(
        conflict["message"].as_str().unwrap().contains("version 4"),
        "{conflict}"
    );

    // Roll back: withdraw 3, and 2 is in force again.
    let (status, withdrawn) = client
        .json(
            "POST",
            &format!("{versions}/3/withdraw"),
            PUBLIC_SECURITY,
            None,
        )
        .await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["status"], "withdrawn");
    let (_, rolled_back) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(rolled_back["policy"]["version"], 2);
    let (status, again) = client
        .json(
            "POST",
            &format!("{versions}/3/withdraw"),
            PUBLIC_SECURITY,
            None,
        )
        .await;
    assert_eq!(status, 409, "{again}");

    // Who did what, and when.
    let (_, detail) = client
        .json("GET", "/v1/policies/hz.residence_permit", PLATFORM, None)
        .await;
    let actions: Vec<(String, i64, String)> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_string(),
                a["version"].as_i64().unwrap(),
                a["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("seed".to_string(), 2, "seed".to_string()),
            ("publish".to_string(), 3, "hz.public_security".to_string()),
            ("withdraw".to_string(), 3, "hz.public_security".to_string()),
        ]
    );
    let (_, metrics) = client.send("GET", "/metrics", None, None).await;
    assert!(
        metrics.contains(
            r#"yici_publishes_total{policy="hz.residence_permit",outcome="published"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(r#"yici_publishes_total{policy="hz.residence_permit",outcome="rejected"} 3"#),
        "{metrics}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn publishing_under_load_then_restart() {
    // Without kept requests, as the service runs by default: single
    // evaluations take the engine's one-read path.
    let mut config = config("load");
    config.decision_log.keep_facts = false;
    let server = Server::start(config.clone()).await.expect("starts");
    let client = Arc::new(Client::new(&server));
    let body = eligible_request().to_string();
    let published_at: Arc<std::sync::OnceLock<Instant>> = Arc::new(std::sync::OnceLock::new());
    let mut clients = Vec::new();
    for _ in 0..8 {
        let client = Arc::clone(&client);
        let body = body.clone();
        let published_at = Arc::clone(&published_at);
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::with_capacity(2000);
            for _ in 0..2000 {
                let sent = Instant::now();
                let (status, text) = client
                    .send(
                        "POST",
                        "/v1/policies/hz.residence_permit/evaluate",
                        Some(PLATFORM),
                        Some(body.clone()),
                    )
                    .await;
                assert_eq!(status, 200, "{text}");
                let value: Value = serde_json::from_str(&text).unwrap();
                let version = value["policy"]["version"].as_i64().unwrap();
                // Sent after the publish answered: the new version must answer.
                if published_at.get().is_some_and(|at| sent > *at) {
                    assert_eq!(
                        version, 3,
                        "a request sent after the publish got version {version}"
                    );
                }
                seen.push(version);
            }
            seen
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, published) = client
        .json(
            "POST",
            "/v1/policies/hz.residence_permit/versions",
            PUBLIC_SECURITY,
            Some(json!({"source": version_3()})),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    published_at.set(Instant::now()).unwrap();
    let mut total = 0;
    for task in clients {
        let seen = task.await.expect("a client finished");
        assert!(seen.iter().all(|v| *v == 2 || *v == 3));
        // Once a client sees the new version it never sees the old one again.
        let first_new = seen.iter().position(|v| *v == 3).unwrap_or(seen.len());
        assert!(
            seen[first_new..].iter().all(|v| *v == 3),
            "went back to version 2"
        );
        total += seen.len();
    }
    assert_eq!(total, 16_000);
    // Every evaluation counted once, by outcome, across both versions.
    let (_, metrics) = client.send("GET", "/metrics", None, None).await;
    for expected in [
        r#"yici_evaluations_total{policy="hz.residence_permit",outcome="eligible"} 16000"#,
        r#"yici_evaluations_total{policy="hz.residence_permit",outcome="error"} 0"#,
        r#"yici_evaluation_duration_seconds_count{policy="hz.residence_permit"} 16000"#,
    ] {
        assert!(metrics.contains(expected), "{expected} in {metrics}");
    }
    server.shutdown().await;

    // A restart keeps every version and every logged decision.
    let mut again = config.clone();
    again.policies_dir = PathBuf::from("/nonexistent");
    let server = Server::start(again).await.expect("restarts");
    let client = Client::new(&server);
    let (_, list) = client
        .json(
            "GET",
            "/v1/policies/hz.residence_permit/versions",
            PLATFORM,
            None,
        )
        .await;
    let numbers: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 3]);
    let (_, decision) = client
        .json(
            "POST",
            "/v1/policies/hz.residence_permit/evaluate",
            PLATFORM,
            Some(eligible_request()),
        )
        .await;
    assert_eq!(decision["policy"]["version"], 3);
    let (_, policies) = client.json("GET", "/v1/policies", PLATFORM, None).await;
    assert_eq!(policies.as_array().unwrap().len(), 11);
    let stored = server
        .state
        .store
        .decisions(&host::store::DecisionQuery {
            subjects: Some(vec![(Kind::Policy, "hz.residence_permit".into())]),
            since: None,
            limit: 100_000,
            with_request: false,
        })
        .await
        .unwrap();
    // The 16,000 under load, and the one just made may still be queued.
    assert!(stored.len() >= 16_000, "{} decisions stored", stored.len());
    server.shutdown().await;
    let store = host::store::sqlite::SqliteStore::open(&config.data_dir)
        .await
        .unwrap();
    use host::store::Store;
    let stored = store
        .decisions(&host::store::DecisionQuery {
            subjects: None,
            since: None,
            limit: 100_000,
            with_request: false,
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 16_001);
    // Each record hashes the facts exactly as sent.
    let facts_sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            eligible_request()["facts"].to_string(),
        ))
    };
    assert!(
        stored
            .iter()
            .all(|r| r.facts_sha256 == facts_sha256 && r.request.is_none()),
        "{:?}",
        stored.first()
    );
    store.close().await;
}
