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
const HUKOU_POLICE: &str = "test-hukou-police-token";
const BIRTH_WINDOW: &str = "test-birth-window-token";
const CATALOGUE_KEEPER: &str = "test-catalogue-token";
const PUBLIC_SECURITY_REVIEWER: &str = "test-public-security-reviewer-token";
const BIRTH_WINDOW_REVIEWER: &str = "test-birth-window-reviewer-token";

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
        catalogue: false,
        reviewer: false,
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
            token(
                "zj.hukou_police_station",
                HUKOU_POLICE,
                Some("zj.hukou_police_station"),
            ),
            token(
                "zj.birth_one_window",
                BIRTH_WINDOW,
                Some("zj.birth_one_window"),
            ),
            // Keeps the catalogue and acts for no department.
            TokenConfig {
                name: "catalogue".to_string(),
                sha256: hash_token(CATALOGUE_KEEPER),
                department: None,
                platform: false,
                catalogue: true,
                reviewer: false,
            },
            // Approves hz.public_security's submitted versions (maker–checker).
            TokenConfig {
                name: "hz.public_security.reviewer".to_string(),
                sha256: hash_token(PUBLIC_SECURITY_REVIEWER),
                department: Some("hz.public_security".to_string()),
                platform: false,
                catalogue: false,
                reviewer: true,
            },
            TokenConfig {
                name: "zj.birth_one_window.reviewer".to_string(),
                sha256: hash_token(BIRTH_WINDOW_REVIEWER),
                department: Some("zj.birth_one_window".to_string()),
                platform: false,
                catalogue: false,
                reviewer: true,
            },
        ],
        ..Config::default()
    };
    config.decision_log.keep_facts = true;
    // cases.toml tests the publish path itself, which an approval runs:
    // departments publish directly here. review_required.toml runs on the
    // default, where only an approved version is published.
    config.publishing.review_required = false;
    config
}

fn token_for(alias: &str) -> Option<&'static str> {
    match alias {
        "platform" => Some(PLATFORM),
        "hz.public_security" => Some(PUBLIC_SECURITY),
        "hz.housing_fund" => Some(HOUSING_FUND),
        "zj.hukou_police_station" => Some(HUKOU_POLICE),
        "zj.birth_one_window" => Some(BIRTH_WINDOW),
        "catalogue" => Some(CATALOGUE_KEEPER),
        "hz.public_security.reviewer" => Some(PUBLIC_SECURITY_REVIEWER),
        "zj.birth_one_window.reviewer" => Some(BIRTH_WINDOW_REVIEWER),
        "bad" => Some("not-a-configured-token"),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Extra {
    headers: std::collections::BTreeMap<String, String>,
    content_type: Option<String>,
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
        let (status, _, text) = self
            .send_with(method, path, token, body, &Extra::default())
            .await;
        (status, text)
    }

    /// A request with extra headers (and another content type); the
    /// response's status, headers and body.
    async fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
        extra: &Extra,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let url = format!("{}{path}", self.base);
        let mut request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &extra.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            request = request
                .header(
                    "content-type",
                    extra.content_type.as_deref().unwrap_or("application/json"),
                )
                .body(body);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.expect("a body"))
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
    /// The body is `{"source": …}` with this file of the repository (e.g.
    /// `policies/catalogue.rules`) as the source, after `replace`, so that
    /// a case follows the shipped sources as they change.
    source_file: Option<String>,
    /// `[from, to]` pairs applied to `source_file` in order; each `from`
    /// must occur (a case whose change no longer applies fails).
    #[serde(default)]
    replace: Vec<(String, String)>,
    /// More fields of a `source_file` body, as a JSON object.
    fields: Option<String>,
    /// `false`: not sent again to the service that keeps no facts (the
    /// answer depends on what an earlier case published).
    #[serde(default = "yes")]
    replay: bool,
    status: u16,
    code: Option<String>,
    json_path: Option<String>,
    contains: Option<String>,
    /// A text the body must not contain.
    absent: Option<String>,
    /// Extra request headers.
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    /// The body's content type (default `application/json`).
    content_type: Option<String>,
    /// `name: value` that the response must carry.
    response_header: Option<String>,
    #[serde(default)]
    eventually: bool,
}

fn yes() -> bool {
    true
}

/// A case's `source_file` body: the file's text after `replace`, as
/// `{"source": …}` with the case's other `fields`.
fn source_body(case: &Case, file: &str) -> Result<String, String> {
    let mut source = std::fs::read_to_string(repository().join(file))
        .map_err(|e| format!("cannot read `{file}`: {e}"))?;
    for (from, to) in &case.replace {
        if !source.contains(from.as_str()) {
            return Err(format!("`{file}` has no `{from}` to replace"));
        }
        source = source.replacen(from.as_str(), to, 1);
    }
    let mut body = match &case.fields {
        Some(fields) => serde_json::from_str::<Value>(fields)
            .map_err(|e| format!("`fields` is not a JSON object: {e}"))?,
        None => json!({}),
    };
    body["source"] = json!(source);
    Ok(body.to_string())
}

/// What each case sent and got: its body, status and response text.
type Answers = Vec<(Option<String>, u16, String)>;

/// Runs `cases` in order against `client`; the failures and every answer.
async fn run_cases(client: &Client, folder: &Path, cases: &Cases) -> (Vec<String>, Answers) {
    let mut failures = Vec::new();
    let mut answers: Answers = Vec::new();
    for case in &cases.case {
        let body = match (&case.body, &case.body_file, &case.source_file) {
            (Some(body), _, _) => Some(body.clone()),
            (None, Some(file), _) => Some(std::fs::read_to_string(folder.join(file)).unwrap()),
            (None, None, Some(file)) => match source_body(case, file) {
                Ok(body) => Some(body),
                Err(problem) => {
                    failures.push(format!("{}: {problem}", case.name));
                    answers.push((None, 0, String::new()));
                    continue;
                }
            },
            (None, None, None) => None,
        };
        let extra = Extra {
            headers: case.headers.clone(),
            content_type: case.content_type.clone(),
        };
        let mut attempts = if case.eventually { 100 } else { 1 };
        let (status, headers, text) = loop {
            let (status, headers, text) = client
                .send_with(
                    &case.method,
                    &case.path,
                    token_for(&case.token),
                    body.clone(),
                    &extra,
                )
                .await;
            attempts -= 1;
            let done = status == case.status
                && case
                    .contains
                    .as_ref()
                    .is_none_or(|n| text.contains(n.as_str()));
            if done || attempts == 0 {
                break (status, headers, text);
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
        if let Some(needle) = &case.absent
            && text.contains(needle.as_str())
        {
            problems.push(format!("the body contains `{needle}`"));
        }
        if let Some(expected) = &case.response_header {
            let (name, value) = expected.split_once(": ").expect("`name: value`");
            if headers.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
                problems.push(format!(
                    "header `{name}` is {:?}, expected `{value}`",
                    headers.get(name)
                ));
            }
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
    (failures, answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_error_class() {
    let server = Server::start(config("cases")).await.expect("starts");
    let client = Client::new(&server);
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http");
    let cases: Cases =
        toml::from_str(&std::fs::read_to_string(folder.join("cases.toml")).unwrap()).unwrap();
    let (mut failures, answers) = run_cases(&client, &folder, &cases).await;
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
            || !case.replay
            || !case.headers.is_empty()
            || case.content_type.is_some()
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

    // The default: a version is put in force only through an approved review.
    let mut reviewed_config = config("cases-reviewed");
    reviewed_config.publishing = Default::default();
    let reviewed = Server::start(reviewed_config).await.expect("starts");
    let reviewed_cases: Cases =
        toml::from_str(&std::fs::read_to_string(folder.join("review_required.toml")).unwrap())
            .unwrap();
    let (reviewed_failures, _) = run_cases(&Client::new(&reviewed), &folder, &reviewed_cases).await;
    failures.extend(
        reviewed_failures
            .into_iter()
            .map(|failure| format!("review_required.toml: {failure}")),
    );
    reviewed.shutdown().await;
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
    assert_eq!(policies.as_array().unwrap().len(), shipped_policy_count());
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

/// Issue 12, hole 3: a 200 means stored. The `yici` binary serves a load of
/// evaluations, each with its own `x-request-id`; it is SIGKILLed in the
/// middle, three times over one data directory, and every decision answered
/// with 200 must be in the store afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answered_decision_is_lost_to_sigkill() {
    let data_dir = std::env::temp_dir().join(format!("yici-sigkill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let config_file = data_dir.join("yici.toml");
    let body = eligible_request().to_string();
    let mut answered: Vec<String> = Vec::new();
    for round in 0..3 {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        std::fs::write(
            &config_file,
            format!(
                "addr = \"127.0.0.1:{port}\"\ndata_dir = {:?}\npolicies_dir = {:?}\n\
                 [decision_log]\nkeep_facts = false\n\
                 [[tokens]]\nname = \"platform\"\nsha256 = \"{}\"\nplatform = true\n",
                data_dir.join("store"),
                repository().join("policies"),
                hash_token(PLATFORM)
            ),
        )
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yici"))
            .args(["serve", "--config"])
            .arg(&config_file)
            .env("YICI_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("yici serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..600 {
            if http
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(up, "round {round}: the service did not come up");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut clients = Vec::new();
        for client in 0..16 {
            let http = http.clone();
            let url = format!("{base}/v1/policies/hz.residence_permit/evaluate");
            let body = body.clone();
            let stop = Arc::clone(&stop);
            clients.push(tokio::spawn(async move {
                let mut ok = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let id = format!("kill-{round}-{client}-{n}");
                    let sent = http
                        .post(&url)
                        .bearer_auth(PLATFORM)
                        .header("content-type", "application/json")
                        .header("x-request-id", &id)
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 200 => {
                            // Answered means the whole body arrived.
                            if response.bytes().await.is_ok() {
                                ok.push(id);
                            }
                        }
                        Ok(_) | Err(_) => break,
                    }
                }
                ok
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let before = answered.len();
        for client in clients {
            answered.extend(client.await.unwrap());
        }
        assert!(
            answered.len() > before,
            "round {round}: no evaluation was answered before the kill"
        );
    }
    let store = host::store::sqlite::SqliteStore::open(&data_dir.join("store"))
        .await
        .unwrap();
    use host::store::Store;
    let stored: std::collections::HashSet<String> = store
        .decisions(&host::store::DecisionQuery {
            subjects: None,
            since: None,
            limit: u32::MAX,
            with_request: false,
        })
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.request_id)
        .collect();
    store.close().await;
    let lost: Vec<&String> = answered.iter().filter(|id| !stored.contains(*id)).collect();
    eprintln!(
        "{} decisions answered over three SIGKILLed runs, {} lost",
        answered.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "answered but not stored: {lost:?}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Issue 12, hole 4: connections that stall are closed; a stalled body does
/// not hold a shutdown past its deadline; half-sent requests do not keep a
/// legitimate evaluation from being answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_shutdown_has_a_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = config("hygiene");
    config.http.header_read_timeout_ms = 500;
    config.http.body_read_timeout_ms = 1000;
    config.http.idle_timeout_ms = 1500;
    config.http.shutdown_grace_ms = 1000;
    let server = Server::start(config).await.expect("starts");
    let client = Client::new(&server);
    // Many connections that send half a request line, and never the rest.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"POST /v1/poli").await.unwrap();
        stalled.push(stream);
    }
    let (status, text) = client
        .send(
            "POST",
            "/v1/policies/hz.residence_permit/evaluate",
            Some(PLATFORM),
            Some(eligible_request().to_string()),
        )
        .await;
    assert_eq!(
        status, 200,
        "a legitimate evaluation beside 300 stalled connections: {text}"
    );
    // Each stalled connection is closed by the server (the read ends).
    for mut stream in stalled {
        let mut buffer = [0u8; 256];
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buffer))
                .await
                .expect("the server closes a connection whose request head never arrives");
        // Closed (0), reset, or a 408 answer before closing.
        if let Ok(n) = read {
            assert!(
                n == 0 || buffer[..n].starts_with(b"HTTP/1.1 408"),
                "{}",
                String::from_utf8_lossy(&buffer[..n])
            );
        }
    }
    // A request whose body stops after 19 of 1,000 bytes, then a shutdown.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(
        format!(
            "POST /v1/policies/hz.residence_permit/evaluate HTTP/1.1\r\nhost: x\r\n\
             authorization: Bearer {PLATFORM}\r\ncontent-type: application/json\r\n\
             content-length: 1000\r\n\r\n{{\"application_date\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    tokio::time::timeout(std::time::Duration::from_secs(30), server.shutdown())
        .await
        .expect("the shutdown ends despite a stalled body");
    drop(slow);
}

/// Issue 12, hole 5: batches and compiles run on the heavy pool, so
/// `/healthz` keeps answering while four maximal batches and a publish of a
/// 5,000-rule source run. The latencies are printed (docs/benchmarks.md
/// has the release figures); the test asserts that every probe answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_heavy_work_runs() {
    let mut config = config("heavy");
    config.batch_limit = 1000;
    config.body_limit_bytes = 8 * 1024 * 1024;
    config.decision_log.keep_facts = false;
    let server = Server::start(config).await.expect("starts");
    let client = Arc::new(Client::new(&server));
    let mut item = eligible_request();
    item["policy"] = json!("hz.residence_permit");
    let batch = json!({ "evaluations": vec![item; 1000] }).to_string();
    // 5,000 rules more, each its own check, none changing the eligibility.
    let extra: String = (0..5000)
        .map(|i| {
            format!(
                "rule extra_{i} \"附加检查{i}\" cite \"测试\":\n  months_resident >= {}\n\n",
                i % 100
            )
        })
        .collect();
    let big = version_3().replacen("eligible when", &format!("{extra}eligible when"), 1);
    let mut heavy = Vec::new();
    for _ in 0..4 {
        let client = Arc::clone(&client);
        let batch = batch.clone();
        heavy.push(tokio::spawn(async move {
            client
                .send("POST", "/v1/evaluate/batch", Some(PLATFORM), Some(batch))
                .await
                .0
        }));
    }
    {
        let client = Arc::clone(&client);
        heavy.push(tokio::spawn(async move {
            client
                .send(
                    "POST",
                    "/v1/policies/hz.residence_permit/versions",
                    Some(PUBLIC_SECURITY),
                    Some(json!({ "source": big }).to_string()),
                )
                .await
                .0
        }));
    }
    let mut latencies = Vec::new();
    while heavy.iter().any(|task| !task.is_finished()) {
        let sent = Instant::now();
        let (status, _) = client.send("GET", "/healthz", None, None).await;
        latencies.push(sent.elapsed());
        assert_eq!(status, 200);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut statuses = Vec::new();
    for task in heavy {
        statuses.push(task.await.unwrap());
    }
    // Each heavy job was done, or refused as busy (the pool's queue is bounded).
    assert!(
        statuses.iter().all(|s| [200, 201, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&201) || statuses.contains(&503),
        "{statuses:?}"
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    eprintln!(
        "/healthz during 4 batches of 1,000 and a 5,000-rule publish (debug build): {} probes, \
         p50 {:?}, p99 {:?}, max {:?}; heavy answers {statuses:?}",
        latencies.len(),
        at(0.5),
        at(0.99),
        latencies.last().unwrap()
    );
    server.shutdown().await;
}

/// Issue 14, item 4: the catalogue and a bundle published through the API.
/// A catalogue that breaks policies in force is refused, naming each with
/// its diagnostics (in the configured language), and nothing changes; one
/// that checks is in force for the next evaluation, with every policy
/// compiled again against it; a bundle version by its lead department is in
/// force at once; both are audited; and a restart without the `policies/`
/// folder serves the newest of each from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_and_bundle_versions_through_the_api_and_a_restart() {
    let mut config = config("catalogue");
    config.lang = rules_dsl::Lang::En;
    let server = Server::start(config.clone()).await.expect("starts");
    let client = Client::new(&server);
    let evaluate = "/v1/policies/hz.residence_permit/evaluate";
    let catalogue = std::fs::read_to_string(repository().join("policies/catalogue.rules")).unwrap();
    let lease = "material lease_contract \"房屋租赁合同（备案）\" form copy\n";
    assert!(catalogue.contains(lease));
    let (_, before) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;

    // Without a material three policies use: refused, each named, in English.
    let (status, refused) = client
        .json(
            "POST",
            "/v1/catalogue/versions",
            CATALOGUE_KEEPER,
            Some(json!({"source": catalogue.replace(lease, "")})),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("breaks_dependents")),
        "{refused}"
    );
    let broken: Vec<(String, String)> = refused["broken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["kind"].as_str().unwrap().to_string(),
                b["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("policy", "hz.residence_permit"),
        ("policy", "hz.housing_fund_rent"),
        ("policy", "zj.individual_business"),
        ("bundle", "zj.business_startup"),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string());
        assert!(broken.contains(&expected), "{expected:?} in {broken:?}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{}`", expected.1)),
            "{refused}"
        );
    }
    let residence = refused["broken"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "hz.residence_permit")
        .unwrap();
    assert_eq!(residence["message"], "the source has 1 error");
    assert!(
        residence["diagnostics"]
            .as_str()
            .unwrap()
            .contains("unknown material `lease_contract`"),
        "{residence}"
    );
    // Nothing changed: the same catalogue, the same answers, one version stored.
    let (_, versions) = client
        .json("GET", "/v1/catalogue/versions", PLATFORM, None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    let (_, unchanged) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(unchanged["policy"], before["policy"]);
    let stored = server.state.store.documents().await.unwrap();
    assert_eq!(
        stored.iter().filter(|d| d.kind == Kind::Catalogue).count(),
        1
    );

    // A new name for a department: in force for the next evaluation.
    let renamed = catalogue.replace(
        "department hz.public_security \"杭州市公安局\"",
        "department hz.public_security \"杭州市公安局（人口管理）\"",
    );
    assert_ne!(renamed, catalogue);
    let (status, published) = client
        .json(
            "POST",
            "/v1/catalogue/versions",
            CATALOGUE_KEEPER,
            Some(json!({"source": renamed, "base_version": 1})),
        )
        .await;
    assert_eq!(status, 201, "{published}");
    assert_eq!(published["version"], 2);
    assert_eq!(published["publisher"], "catalogue");
    assert!(
        published["policies_compiled"].as_u64().unwrap() >= shipped_policy_count() as u64,
        "{published}"
    );
    assert_eq!(
        published["bundles_built"].as_u64(),
        Some(shipped_bundle_count() as u64),
        "{published}"
    );
    assert!(
        published["scenarios_run"].as_u64().unwrap() > 100,
        "every policy's and bundle's scenarios: {published}"
    );
    let (_, after) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(
        after["policy"]["department"]["name"],
        "杭州市公安局（人口管理）"
    );
    assert_eq!(after["policy"]["version"], before["policy"]["version"]);

    // A bundle version by its lead department, with a scenario of its own.
    let bundle_source =
        std::fs::read_to_string(repository().join("policies/zj-birth-bundle/bundle.rules"))
            .unwrap();
    let title = "bundle zj.birth_one_thing \"出生“一件事”联办\"";
    assert!(bundle_source.contains(title));
    let scenario = std::fs::read_to_string(
        repository().join("policies/zj-birth-bundle/scenarios/eligible_all_shared_one_visit.toml"),
    )
    .unwrap();
    let (status, bundle) = client
        .json(
            "POST",
            "/v1/bundles/zj.birth_one_thing/versions",
            BIRTH_WINDOW,
            Some(json!({
                "source": bundle_source.replace(title, "bundle zj.birth_one_thing \"出生一件事（新版）\""),
                "scenarios": [{"name": "01-eligible.toml", "toml": scenario}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{bundle}");
    assert_eq!(
        (bundle["version"].as_i64(), bundle["scenarios_run"].as_i64()),
        (Some(2), Some(1))
    );
    let birth: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http/birth_bundle.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (status, decision) = client
        .json(
            "POST",
            "/v1/bundles/zj.birth_one_thing/evaluate",
            PLATFORM,
            Some(birth.clone()),
        )
        .await;
    assert_eq!(status, 200, "{decision}");
    assert_eq!(decision["bundle"]["title"], "出生一件事（新版）");

    // The audit trail: who published which version of each kind, and when.
    let (_, audit) = client
        .json("GET", "/v1/catalogue/audit", PLATFORM, None)
        .await;
    let trail = |audit: &Value| -> Vec<(String, String, i64, String)> {
        audit
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["kind"].as_str().unwrap().to_string(),
                    a["action"].as_str().unwrap().to_string(),
                    a["version"].as_i64().unwrap(),
                    a["actor"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let entry = |kind: &str, action: &str, version, actor: &str| {
        (
            kind.to_string(),
            action.to_string(),
            version,
            actor.to_string(),
        )
    };
    assert_eq!(
        trail(&audit),
        vec![
            entry("catalogue", "seed", 1, "seed"),
            entry("catalogue", "publish", 2, "catalogue"),
        ]
    );
    assert_eq!(audit[1]["hash"], published["hash"]);
    let (_, detail) = client
        .json("GET", "/v1/bundles/zj.birth_one_thing", PLATFORM, None)
        .await;
    assert_eq!(
        trail(&detail["audit"]),
        vec![
            entry("bundle", "seed", 1, "seed"),
            entry("bundle", "publish", 2, "zj.birth_one_window"),
        ]
    );
    assert_eq!(detail["scenarios"], json!(["01-eligible.toml"]));
    server.shutdown().await;

    // A restart without the folder serves what was published.
    let mut again = config.clone();
    again.policies_dir = PathBuf::from("/nonexistent");
    let server = Server::start(again).await.expect("restarts");
    let client = Client::new(&server);
    let (_, versions) = client
        .json("GET", "/v1/catalogue/versions", PLATFORM, None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2, "{versions}");
    let (_, after_restart) = client
        .json("POST", evaluate, PLATFORM, Some(eligible_request()))
        .await;
    assert_eq!(
        after_restart["policy"]["department"]["name"],
        "杭州市公安局（人口管理）"
    );
    // The policies' artifacts compiled against the new catalogue were stored
    // with it (a start loads them; it compiles nothing again).
    let stored = server.state.store.documents().await.unwrap();
    let residence = stored
        .iter()
        .rfind(|d| d.kind == Kind::Policy && d.id == "hz.residence_permit")
        .unwrap();
    let name = "杭州市公安局（人口管理）".as_bytes();
    assert!(
        residence
            .artifact
            .as_deref()
            .unwrap()
            .windows(name.len())
            .any(|w| w == name),
        "the stored artifact carries the new name"
    );
    let (_, decision) = client
        .json(
            "POST",
            "/v1/bundles/zj.birth_one_thing/evaluate",
            PLATFORM,
            Some(birth),
        )
        .await;
    assert_eq!(decision["bundle"]["title"], "出生一件事（新版）");
    let (_, bundle) = client
        .json("GET", "/v1/bundles/zj.birth_one_thing", PLATFORM, None)
        .await;
    assert_eq!(bundle["in_force"], 2, "{bundle}");
    server.shutdown().await;
}

/// The bundles the repository ships: one `bundle.rules` per bundle folder.
fn shipped_bundle_count() -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    std::fs::read_dir(root)
        .expect("policies folder")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().join("bundle.rules").is_file())
        })
        .count()
}

/// The policies the repository ships: one `policy.rules` per service folder.
fn shipped_policy_count() -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    std::fs::read_dir(root)
        .expect("policies folder")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.path().join("policy.rules").is_file())
        })
        .count()
}
