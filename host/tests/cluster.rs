//! Three `yici serve` processes on one PostgreSQL database (a database of
//! its own per test; see `support`), on 127.0.0.1 ports: a publish on one
//! node is in force on the others when it is answered; a node killed under
//! load leaves the others answering; PostgreSQL stopped under load: the
//! nodes keep answering evaluations from the versions they hold, publishes
//! fail with 503 `store_unavailable`, and every node catches up once it is
//! back; two nodes publishing the same version at once: exactly one wins.
//! Every publish goes through review, as by default: an officer submits on
//! one node, the reviewer approves (on the same node or another).
//!
//! The tests run one at a time (one stops the database server).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers stop the test with their message"
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use host::config::hash_token;
use serde_json::{Value, json};
use support::TestDatabase;

const PLATFORM: &str = "cluster-platform-token";
const PUBLIC_SECURITY: &str = "cluster-public-security-token";
const REVIEWER: &str = "cluster-public-security-reviewer-token";

/// One test at a time: one of them stops the database server.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn residence_permit(version: i64) -> String {
    let source =
        std::fs::read_to_string(repository().join("policies/hz-residence-permit/policy.rules"))
            .unwrap();
    assert!(source.contains("  version 2\n"));
    format!(
        "# version {version}, a comment only\n{}",
        source.replace("  version 2\n", &format!("  version {version}\n"))
    )
}

fn eligible_request() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http/residence_permit_eligible.json"),
    )
    .unwrap()
}

/// A `yici serve` process.
struct Node {
    name: String,
    base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(name: &str, database: &TestDatabase) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("yici.toml");
        std::fs::write(
            &config,
            format!(
                "addr = \"127.0.0.1:{port}\"\ndata_dir = {:?}\npolicies_dir = {:?}\n\
                 [store]\nurl = {:?}\nmax_connections = 6\nacquire_timeout_ms = 1000\n\
                 [cluster]\nnode_id = \"{name}\"\nheartbeat_interval_ms = 200\n\
                 node_timeout_ms = 1500\ncatch_up_interval_ms = 500\npublish_wait_ms = 3000\n\
                 [[tokens]]\nname = \"platform\"\nsha256 = \"{}\"\nplatform = true\n\
                 [[tokens]]\nname = \"科员\"\nsha256 = \"{}\"\ndepartment = \"hz.public_security\"\n\
                 [[tokens]]\nname = \"审核人\"\nsha256 = \"{}\"\ndepartment = \"hz.public_security\"\n\
                 reviewer = true\n",
                dir.path().join("data"),
                repository().join("policies"),
                database.url,
                hash_token(PLATFORM),
                hash_token(PUBLIC_SECURITY),
                hash_token(REVIEWER),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_yici"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("YICI_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("yici serve starts");
        Node {
            name: name.to_string(),
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("log")).unwrap_or_default()
    }

    async fn wait_up(&self, http: &reqwest::Client) {
        for _ in 0..1200 {
            if http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("node {} did not come up:\n{}", self.name, self.log());
    }

    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_nodes(database: &TestDatabase, names: &[&str]) -> Vec<Node> {
    let http = reqwest::Client::new();
    // The first seeds the empty database; the others start together after.
    let first = Node::start(names[0], database);
    first.wait_up(&http).await;
    let mut nodes = vec![first];
    for name in &names[1..] {
        nodes.push(Node::start(name, database));
    }
    for node in &nodes[1..] {
        node.wait_up(&http).await;
    }
    // Every node has reported itself.
    for _ in 0..100 {
        let cluster = get_cluster(&http, &nodes[0]).await;
        if cluster["nodes"].as_array().map_or(0, Vec::len) == names.len() {
            return nodes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not every node reported itself");
}

async fn get_cluster(http: &reqwest::Client, node: &Node) -> Value {
    http.get(format!("{}/v1/cluster", node.base))
        .bearer_auth(PLATFORM)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Puts `version` in force the only way a department can (maker–checker):
/// an officer submits it on `node`, the reviewer approves it on `approver`
/// (another node: reviews live in the shared store). The approval's publish,
/// or the first refusal.
async fn publish_reviewed(
    http: &reqwest::Client,
    node: &Node,
    approver: &Node,
    version: i64,
) -> (u16, Value) {
    let response = http
        .post(format!(
            "{}/v1/policies/hz.residence_permit/reviews",
            node.base
        ))
        .bearer_auth(PUBLIC_SECURITY)
        .json(&json!({"source": residence_permit(version)}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let submitted: Value = response.json().await.unwrap_or(Value::Null);
    if status != 201 {
        return (status, submitted);
    }
    let review_id = submitted["review_id"].as_i64().unwrap();
    let response = http
        .post(format!("{}/v1/reviews/{review_id}/approve", approver.base))
        .bearer_auth(REVIEWER)
        .json(&json!({"comment": "同意"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let approved: Value = response.json().await.unwrap_or(Value::Null);
    if status == 201 {
        assert_eq!(approved["review"]["status"], "approved", "{approved}");
        (status, approved["published"].clone())
    } else {
        (status, approved)
    }
}

async fn publish(http: &reqwest::Client, node: &Node, version: i64) -> (u16, Value) {
    publish_reviewed(http, node, node, version).await
}

/// The version that answers an evaluation on `node`.
async fn version_in_force(http: &reqwest::Client, node: &Node) -> i64 {
    let response = http
        .post(format!(
            "{}/v1/policies/hz.residence_permit/evaluate",
            node.base
        ))
        .bearer_auth(PLATFORM)
        .header("content-type", "application/json")
        .body(eligible_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "evaluation on {}", node.name);
    let decision: Value = response.json().await.unwrap();
    decision["policy"]["version"].as_i64().unwrap()
}

fn names(value: &Value) -> Vec<String> {
    let mut names: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// nginx with `docs/deploy/nginx.conf`, its upstreams replaced by `nodes`.
struct Nginx {
    base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(nodes: &[&Node]) -> Nginx {
        let mut config =
            std::fs::read_to_string(repository().join("docs/deploy/nginx.conf")).unwrap();
        for (index, node) in nodes.iter().enumerate() {
            let example = format!("server 127.0.0.1:808{}", index + 1);
            assert!(config.contains(&example), "the example names {example}");
            let addr = node.base.trim_start_matches("http://");
            config = config.replace(&example, &format!("server {addr}"));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        assert!(config.contains("listen 127.0.0.1:8080;"));
        config = config.replace(
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{port};"),
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).unwrap();
        let globals = format!(
            "daemon off; master_process on; pid {}; error_log {} warn;",
            dir.path().join("nginx.pid").display(),
            dir.path().join("logs/error.log").display()
        );
        let program = if Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let child = Command::new(program)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .args(["-g", &globals])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/test.sh installs it: apt-get install nginx-light)");
        Nginx {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }

    async fn wait_up(&self, http: &reqwest::Client) {
        for _ in 0..100 {
            if http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "nginx did not come up: {}",
            std::fs::read_to_string(self._dir.path().join("logs/error.log")).unwrap_or_default()
        );
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Evaluations sent to `bases` by `clients` tasks each until `stop`:
/// (answered, failed with what).
fn load(
    bases: &[&str],
    clients: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(usize, Vec<String>)>> {
    let http = reqwest::Client::new();
    let answered = Arc::new(AtomicUsize::new(0));
    (0..clients)
        .map(|client| {
            let url = format!(
                "{}/v1/policies/hz.residence_permit/evaluate",
                bases[client % bases.len()]
            );
            let http = http.clone();
            let stop = Arc::clone(stop);
            let answered = Arc::clone(&answered);
            let body = eligible_request();
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    let sent = http
                        .post(&url)
                        .bearer_auth(PLATFORM)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 200 => {
                            ok += 1;
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(response) => failed.push(format!(
                            "{url}: {} {}",
                            response.status(),
                            response.text().await.unwrap_or_default()
                        )),
                        Err(error) => failed.push(format!("{url}: {error}")),
                    }
                }
                (ok, failed)
            })
        })
        .collect()
}

async fn finish_load(
    clients: Vec<tokio::task::JoinHandle<(usize, Vec<String>)>>,
) -> (usize, Vec<String>) {
    let (mut ok, mut failed) = (0, Vec::new());
    for client in clients {
        let (answered, failures) = client.await.unwrap();
        ok += answered;
        failed.extend(failures);
    }
    (ok, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_publish_is_in_force_on_every_node_when_answered() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create("cluster").await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(&database, &["a", "b", "c"]).await;
    for node in &nodes {
        assert_eq!(version_in_force(&http, node).await, 2);
    }
    for (version, publisher) in [(3, 0), (4, 1), (5, 2)] {
        // Submitted on one node, approved on the next.
        let approver = &nodes[(publisher + 1) % nodes.len()];
        let (status, body) = publish_reviewed(&http, &nodes[publisher], approver, version).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(names(&body["cluster"]["in_force_on"]), ["a", "b", "c"]);
        assert_eq!(body["cluster"]["lagging"], json!([]));
        // In force everywhere when answered: no waiting here.
        for node in &nodes {
            assert_eq!(
                version_in_force(&http, node).await,
                version,
                "on {}",
                node.name
            );
        }
    }
    // Every listener cut, as by a network fault, just before a publish: its
    // notification is lost to them, and still the publish is in force on
    // every node when answered (each catches up when it reconnects or on
    // its timer).
    assert_eq!(database.cut_listeners().await, 3);
    let (status, body) = publish(&http, &nodes[0], 6).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["cluster"]["lagging"], json!([]), "{body}");
    for node in &nodes {
        assert_eq!(version_in_force(&http, node).await, 6, "on {}", node.name);
    }
    // A withdrawal too.
    let withdrawn = http
        .post(format!(
            "{}/v1/policies/hz.residence_permit/versions/6/withdraw",
            nodes[1].base
        ))
        .bearer_auth(PUBLIC_SECURITY)
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let withdrawn: Value = withdrawn.json().await.unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["cluster"]["lagging"], json!([]));
    for node in &nodes {
        assert_eq!(version_in_force(&http, node).await, 5);
    }
    let cluster = get_cluster(&http, &nodes[2]).await;
    assert_eq!(cluster["node"], "c");
    let latest = cluster["latest_seq"].as_i64().unwrap();
    for node in cluster["nodes"].as_array().unwrap() {
        assert_eq!(node["applied_seq"].as_i64(), Some(latest), "{cluster}");
        assert_eq!(node["behind"], 0);
        assert_eq!(node["live"], true);
        assert_eq!(node["listening"], true);
    }
    // Who calls is checked first.
    let anonymous = http
        .get(format!("{}/v1/cluster", nodes[0].base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    drop(nodes);
    database.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_publishing_one_version_at_once_one_wins() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create("race").await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(&database, &["a", "b"]).await;
    for version in [3, 4, 5] {
        let (left, right) = tokio::join!(
            publish(&http, &nodes[0], version),
            publish(&http, &nodes[1], version)
        );
        let mut statuses = [left.0, right.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{left:?} {right:?}");
        let loser = if left.0 == 409 { &left.1 } else { &right.1 };
        assert_eq!(loser["code"], "conflict", "{loser}");
        for node in &nodes {
            assert_eq!(version_in_force(&http, node).await, version);
        }
    }
    drop(nodes);
    database.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_killed_under_load_leaves_the_others_answering() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create("kill").await;
    let http = reqwest::Client::new();
    let mut nodes = start_nodes(&database, &["a", "b", "c"]).await;
    let nginx = Nginx::start(&[&nodes[0], &nodes[1], &nodes[2]]);
    nginx.wait_up(&http).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Through nginx, as the platform calls it, and to the two that stay.
    let clients = load(
        &[
            nginx.base.as_str(),
            nodes[0].base.as_str(),
            nodes[1].base.as_str(),
        ],
        9,
        &stop,
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    nodes[2].kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A publish meanwhile: in force on the live nodes; the dead one is
    // named as lagging until it stops counting as live.
    let (status, body) = publish(&http, &nodes[0], 3).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(names(&body["cluster"]["in_force_on"]), ["a", "b"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = publish(&http, &nodes[1], 4).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["cluster"]["lagging"], json!([]), "c is no longer live");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (answered, failed) = finish_load(clients).await;
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert!(answered > 50, "only {answered} answered");
    let cluster = get_cluster(&http, &nodes[0]).await;
    let c = cluster["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node"] == "c")
        .expect("c is still listed");
    assert_eq!(c["live"], false, "{cluster}");
    // Restarted, it catches up with what it missed.
    let restarted = Node::start("c", &database);
    restarted.wait_up(&http).await;
    assert_eq!(version_in_force(&http, &restarted).await, 4);
    drop(nginx);
    drop(nodes);
    drop(restarted);
    database.remove().await;
}

/// The local PostgreSQL cluster (`pg_lsclusters`), stopped and started
/// with `pg_ctlcluster`.
fn postgres_cluster(action: &str) {
    let clusters = Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .expect("pg_lsclusters runs (the test stops and starts the local PostgreSQL)");
    let listing = String::from_utf8_lossy(&clusters.stdout);
    let mut fields = listing
        .lines()
        .find(|line| line.contains("5432"))
        .expect("a local cluster on port 5432")
        .split_whitespace();
    let (version, name) = (fields.next().unwrap(), fields.next().unwrap());
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version, name, action])
        .status()
        .expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_no_evaluation_fails() {
    let _one = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create("restart").await;
    let http = reqwest::Client::new();
    let nodes = start_nodes(&database, &["a", "b", "c"]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let bases: Vec<&str> = nodes.iter().map(|n| n.base.as_str()).collect();
    let clients = load(&bases, 9, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    postgres_cluster("stop");
    // Down: publishes fail cleanly, evaluations wait for the log.
    let (status, body) = publish(&http, &nodes[0], 3).await;
    let cluster_down = http
        .get(format!("{}/v1/cluster", nodes[1].base))
        .bearer_auth(PLATFORM)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    postgres_cluster("start");
    let back = Instant::now();
    let back_at = jiff::Timestamp::now();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "store_unavailable");
    assert_eq!(cluster_down.status(), 503);
    // Every node listens again and has applied everything.
    let mut caught_up = vec![false; nodes.len()];
    while caught_up.contains(&false) {
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "not every node caught up: {caught_up:?}"
        );
        for (index, node) in nodes.iter().enumerate() {
            if let Ok(response) = http
                .get(format!("{}/v1/cluster", node.base))
                .bearer_auth(PLATFORM)
                .send()
                .await
                && response.status() == 200
            {
                let cluster: Value = response.json().await.unwrap();
                let me = cluster["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|n| n["node"] == node.name.as_str())
                    .cloned()
                    .unwrap_or(Value::Null);
                // A report made since the database came back (the rows
                // still hold what the nodes reported before it stopped).
                let fresh = me["heartbeat_at"]
                    .as_str()
                    .and_then(|at| at.parse::<jiff::Timestamp>().ok())
                    .is_some_and(|at| at > back_at);
                caught_up[index] = fresh && me["listening"] == true && me["behind"] == 0;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "every node listening and caught up {} ms after PostgreSQL started",
        back.elapsed().as_millis()
    );
    let (status, body) = publish(&http, &nodes[2], 3).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["cluster"]["lagging"], json!([]));
    stop.store(true, Ordering::Relaxed);
    let (answered, failed) = finish_load(clients).await;
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert!(answered > 50, "only {answered} answered");
    for node in &nodes {
        assert_eq!(version_in_force(&http, node).await, 3);
    }
    drop(nodes);
    database.remove().await;
}
