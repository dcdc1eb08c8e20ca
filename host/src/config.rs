//! The service's configuration, layered: defaults → `yici.toml` (or the
//! file given with `--config`) → `YICI_*` environment variables → command
//! line flags. Everything is validated before the server starts, and each
//! mistake names the key and where it came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rules_dsl::Lang;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the HTTP service listens.
    pub addr: SocketAddr,
    /// The folder of the embedded store (`yici.db`).
    pub data_dir: PathBuf,
    /// Published as the first versions when the store is empty.
    pub policies_dir: PathBuf,
    /// The largest request body accepted, in bytes (413 above it).
    pub body_limit_bytes: usize,
    /// The most evaluations in one batch request.
    pub batch_limit: usize,
    /// `text` (for people) or `json` (for log collectors).
    pub log_format: LogFormat,
    /// The language of the diagnostics in publish and preview responses:
    /// `zh` (Chinese, the default) or `en`. Codes (`E0204`) are the same in both.
    #[serde(deserialize_with = "deserialize_lang")]
    pub lang: Lang,
    /// Adds `POST /v1/_floor/parse`, which only parses an evaluation body:
    /// the load benchmark's floor. Off in production.
    pub expose_parse_floor: bool,
    pub decision_log: DecisionLogConfig,
    /// Where versions, the audit trail and the decision log are kept.
    pub store: StoreConfig,
    /// Several nodes on one PostgreSQL store: how each follows the others' publishes.
    pub cluster: ClusterConfig,
    /// Connection hygiene: timeouts, the connection limit, the shutdown deadline.
    pub http: HttpConfig,
    /// Heavy work (compiles, batches) and the engine's sandbox.
    pub limits: LimitsConfig,
    /// The citizen guide at `/guide/` (docs/guide.md).
    pub guide: GuideConfig,
    /// Who may put a version in force: with review (maker–checker), by default.
    pub publishing: PublishingConfig,
    /// Who may call the API. Each token belongs to the platform or to one
    /// department and is stored as its SHA-256 (`yici hash-token`).
    pub tokens: Vec<TokenConfig>,
}

/// `zh` or `en` in any case; anything else is refused, naming the value.
fn deserialize_lang<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Lang, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecisionLogConfig {
    /// Keep each evaluation's whole request (facts included) in the log, so
    /// that a preview can replay it. Off by default: only a hash is kept.
    pub keep_facts: bool,
    /// Decisions waiting for the writer; a full queue slows evaluations
    /// down rather than losing a record.
    pub queue_capacity: usize,
    /// The most records written in one transaction.
    pub batch_size: usize,
    /// How long the writer waits to fill a batch, in milliseconds (async mode).
    pub flush_interval_ms: u64,
    /// `durable`: a decision is answered once it is stored (group commit).
    /// `async`: answered at once, stored within `flush_interval_ms`; a crash
    /// (SIGKILL, power cut) loses what was queued.
    pub durability: Durability,
    /// Decisions older than this many days are removed; 0 keeps them forever.
    pub retain_days: u32,
    /// Kept requests (the citizens' facts) older than this many days are
    /// removed, the decision itself stays; 0 keeps them as long as the decision.
    pub keep_facts_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `postgres://user@host:port/database` for a PostgreSQL store shared by
    /// several nodes (`YICI_STORE_URL`); absent: the embedded SQLite file in
    /// `data_dir`.
    pub url: Option<String>,
    /// PostgreSQL connections of this node (the change listener takes one).
    pub max_connections: u32,
    /// How long a write waits for a connection before it fails with 503
    /// `store_unavailable`, in milliseconds.
    pub acquire_timeout_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            url: None,
            max_connections: 16,
            acquire_timeout_ms: 3_000,
        }
    }
}

impl StoreConfig {
    /// The URL with its password hidden, for logs and errors.
    pub fn shown_url(&self) -> Option<String> {
        let url = self.url.as_deref()?;
        let Some((scheme, rest)) = url.split_once("://") else {
            return Some(url.to_string());
        };
        let Some((credentials, host)) = rest.rsplit_once('@') else {
            return Some(url.to_string());
        };
        let user = credentials.split(':').next().unwrap_or("");
        Some(format!("{scheme}://{user}@{host}"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// This node's name in `GET /v1/cluster`; default `HOSTNAME:port`.
    /// Unique per node.
    pub node_id: Option<String>,
    /// A node also reads the change sequence this often, in milliseconds,
    /// so that a lost notification only delays a change.
    pub catch_up_interval_ms: u64,
    /// How often a node reports itself (applied change, listener alive), in
    /// milliseconds; it also pings its own listener.
    pub heartbeat_interval_ms: u64,
    /// A node that has not reported itself for this long is not live: a
    /// publish does not wait for it, in milliseconds.
    pub node_timeout_ms: u64,
    /// How long a publish waits for every live node to apply it before it
    /// answers naming the nodes that lag, in milliseconds.
    pub publish_wait_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> ClusterConfig {
        ClusterConfig {
            node_id: None,
            catch_up_interval_ms: 1_000,
            heartbeat_interval_ms: 1_000,
            node_timeout_ms: 5_000,
            publish_wait_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    Durable,
    Async,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// A connection must send a request's whole head within this time.
    pub header_read_timeout_ms: u64,
    /// A request's body must arrive within this time.
    pub body_read_timeout_ms: u64,
    /// A request must be answered within this time (else 503 `timeout`).
    pub request_timeout_ms: u64,
    /// A kept-alive connection with no request for this long is closed.
    pub idle_timeout_ms: u64,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// After SIGTERM, requests in flight get this long; then connections
    /// are closed, the decision log is stored and the process exits.
    pub shutdown_grace_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuideConfig {
    /// Serve `/guide/` and its open endpoints (no token needed to read
    /// policies in force or to run an interview).
    pub enabled: bool,
    /// Interviews and screenings per client address per minute on the open
    /// endpoints (429 `rate_limited` above it); 0: no limit.
    pub rate_limit_per_minute: u32,
}

impl Default for GuideConfig {
    fn default() -> GuideConfig {
        GuideConfig {
            enabled: true,
            rate_limit_per_minute: 120,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublishingConfig {
    /// A policy's or a bundle's version is put in force only when a
    /// reviewer of its department approves it (`POST /v1/reviews/{id}/approve`);
    /// a direct `POST …/versions` is refused with 403 `review_required`.
    /// `false` lets a department's token publish alone (a test bench, a
    /// deployment with one officer); the catalogue is published directly
    /// either way.
    pub review_required: bool,
}

impl Default for PublishingConfig {
    fn default() -> PublishingConfig {
        PublishingConfig {
            review_required: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Compiles, scenario runs and batches at once; 0 means one fewer than
    /// the machine's cores (at least one), so the async workers keep a core.
    pub heavy_workers: usize,
    /// Heavy jobs waiting for a worker; more are refused with 503 `busy`.
    pub heavy_queue: usize,
    /// The largest batch response, in bytes (422 `batch_response_too_large`).
    pub batch_response_limit_bytes: usize,
    /// The wall-clock bound of one evaluation, in milliseconds.
    pub evaluation_deadline_ms: u64,
    /// The most linear memory a policy's instance may have, in bytes.
    pub max_memory_bytes: u64,
    /// The most elements in one list of facts.
    pub max_list_len: u32,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            request_timeout_ms: 60_000,
            idle_timeout_ms: 75_000,
            max_connections: 10_000,
            shutdown_grace_ms: 20_000,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        let engine = engine::Limits::default();
        LimitsConfig {
            heavy_workers: 0,
            heavy_queue: 16,
            batch_response_limit_bytes: 16 * 1024 * 1024,
            evaluation_deadline_ms: u64::try_from(engine.deadline.as_millis()).unwrap_or(u64::MAX),
            max_memory_bytes: engine.max_memory_bytes,
            max_list_len: engine.max_list_len,
        }
    }
}

impl LimitsConfig {
    /// The heavy pool's workers, `0` resolved against the machine.
    pub fn heavy_workers(&self) -> usize {
        if self.heavy_workers > 0 {
            return self.heavy_workers;
        }
        std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1)
    }

    /// The engine's limits with the configured values.
    pub fn engine(&self) -> engine::Limits {
        engine::Limits {
            deadline: std::time::Duration::from_millis(self.evaluation_deadline_ms),
            max_memory_bytes: self.max_memory_bytes,
            max_list_len: self.max_list_len,
            ..engine::Limits::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Shown in the audit trail as the publisher.
    pub name: String,
    /// SHA-256 of the token, 64 hexadecimal digits.
    pub sha256: String,
    /// The department this token acts for (may publish its policies).
    pub department: Option<String>,
    /// The workflow platform: may only evaluate.
    #[serde(default)]
    pub platform: bool,
    /// May publish the catalogue (departments, datasets, materials, the
    /// working-day calendar): on a department's token, or on a token of its
    /// own. Never on the platform's, which may only evaluate.
    #[serde(default)]
    pub catalogue: bool,
    /// A department's reviewer (maker–checker): may approve or reject the
    /// versions its colleagues submit for review, never its own.
    #[serde(default)]
    pub reviewer: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("yici-data"),
            policies_dir: PathBuf::from("policies"),
            body_limit_bytes: 1024 * 1024,
            batch_limit: 1000,
            log_format: LogFormat::Text,
            lang: Lang::default(),
            expose_parse_floor: false,
            decision_log: DecisionLogConfig::default(),
            store: StoreConfig::default(),
            cluster: ClusterConfig::default(),
            http: HttpConfig::default(),
            limits: LimitsConfig::default(),
            guide: GuideConfig::default(),
            publishing: PublishingConfig::default(),
            tokens: Vec::new(),
        }
    }
}

impl Default for DecisionLogConfig {
    fn default() -> DecisionLogConfig {
        DecisionLogConfig {
            keep_facts: false,
            queue_capacity: 65_536,
            batch_size: 1000,
            flush_interval_ms: 50,
            durability: Durability::Durable,
            retain_days: 0,
            keep_facts_days: 30,
        }
    }
}

/// The short environment names documented before the keys were nested,
/// each with its key.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("keep_facts", "decision_log.keep_facts"),
    ("queue_capacity", "decision_log.queue_capacity"),
    ("log_batch_size", "decision_log.batch_size"),
    ("flush_interval_ms", "decision_log.flush_interval_ms"),
    ("durability", "decision_log.durability"),
    ("retain_days", "decision_log.retain_days"),
    ("keep_facts_days", "decision_log.keep_facts_days"),
    ("header_read_timeout_ms", "http.header_read_timeout_ms"),
    ("body_read_timeout_ms", "http.body_read_timeout_ms"),
    ("request_timeout_ms", "http.request_timeout_ms"),
    ("idle_timeout_ms", "http.idle_timeout_ms"),
    ("max_connections", "http.max_connections"),
    ("shutdown_grace_ms", "http.shutdown_grace_ms"),
    ("heavy_workers", "limits.heavy_workers"),
    ("heavy_queue", "limits.heavy_queue"),
    (
        "batch_response_limit_bytes",
        "limits.batch_response_limit_bytes",
    ),
    ("evaluation_deadline_ms", "limits.evaluation_deadline_ms"),
    ("max_memory_bytes", "limits.max_memory_bytes"),
    ("max_list_len", "limits.max_list_len"),
    ("store_url", "store.url"),
    ("node_id", "cluster.node_id"),
];

/// A figment error as `` `key` (from SOURCE): what is wrong ``.
fn config_error(error: &figment::Error) -> String {
    let key = error.path.join(".");
    let from = match &error.metadata {
        Some(metadata) if metadata.name.contains("environment") => {
            format!(
                "the environment variable `YICI_{}`",
                key.replace('.', "__").to_ascii_uppercase()
            )
        }
        Some(metadata) => match &metadata.source {
            Some(source) => format!("{} `{source}`", metadata.name),
            None => metadata.name.to_string(),
        },
        None => "the defaults".to_string(),
    };
    if key.is_empty() {
        format!("{from}: {}", error.kind)
    } else {
        format!("`{key}` (from {from}): {}", error.kind)
    }
}

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "yici.toml";

/// What the command line sets; it overrides every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub policies_dir: Option<PathBuf>,
    /// `--lang` (or `YICI_LANG`, which the environment layer reads too).
    pub lang: Option<Lang>,
}

impl Config {
    /// Reads the layers with figment: the defaults, the file (`--config`,
    /// else `./yici.toml` when it exists), every `YICI_*` environment
    /// variable (nested keys with `__`: `YICI_DECISION_LOG__RETAIN_DAYS`;
    /// the short names of docs/api.md are aliases), then the flags. Every
    /// mistake names its key and where it came from; all are listed.
    pub fn load(overrides: &Overrides) -> Result<Config, Vec<String>> {
        use figment::Figment;
        use figment::providers::{Env, Format, Toml};
        let mut figment = Figment::new();
        match &overrides.config {
            Some(path) => {
                if !path.is_file() {
                    return Err(vec![format!(
                        "cannot read the configuration `{}`: no such file",
                        path.display()
                    )]);
                }
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new(DEFAULT_FILE).is_file() => {
                figment = figment.merge(Toml::file(DEFAULT_FILE));
            }
            None => {}
        }
        figment = figment.merge(
            Env::prefixed("YICI_")
                // `YICI_LOG` is the log filter, read by the subscriber.
                .ignore(&["log"])
                .map(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    ENV_ALIASES
                        .iter()
                        .find(|(alias, _)| key == *alias)
                        .map_or_else(|| key.replace("__", ".").into(), |(_, full)| (*full).into())
                }),
        );
        let mut config: Config = figment.extract().map_err(|error| {
            error
                .into_iter()
                .map(|e| config_error(&e))
                .collect::<Vec<_>>()
        })?;
        if let Some(addr) = overrides.addr {
            config.addr = addr;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(dir) = &overrides.policies_dir {
            config.policies_dir = dir.clone();
        }
        if let Some(lang) = overrides.lang {
            config.lang = lang;
        }
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the configuration `{}`: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("in `{}`: {e}", path.display()))
    }

    /// Every inconsistency, each naming its key.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.body_limit_bytes < 1024 {
            problems.push(format!(
                "`body_limit_bytes` is {}; it must be at least 1024",
                self.body_limit_bytes
            ));
        }
        if self.batch_limit == 0 {
            problems.push("`batch_limit` must be at least 1".into());
        }
        if self.decision_log.queue_capacity == 0 {
            problems.push("`decision_log.queue_capacity` must be at least 1".into());
        }
        if self.decision_log.flush_interval_ms == 0 || self.decision_log.flush_interval_ms > 60_000
        {
            problems.push(format!(
                "`decision_log.flush_interval_ms` is {}; give 1 to 60000",
                self.decision_log.flush_interval_ms
            ));
        }
        if self.decision_log.batch_size == 0 {
            problems.push("`decision_log.batch_size` must be at least 1".into());
        }
        if self.decision_log.retain_days > 0
            && self.decision_log.keep_facts_days > self.decision_log.retain_days
        {
            problems.push(format!(
                "`decision_log.keep_facts_days` is {} but `decision_log.retain_days` is {}; facts \
                 cannot outlive their decision",
                self.decision_log.keep_facts_days, self.decision_log.retain_days
            ));
        }
        for (key, value) in [
            (
                "http.header_read_timeout_ms",
                self.http.header_read_timeout_ms,
            ),
            ("http.body_read_timeout_ms", self.http.body_read_timeout_ms),
            ("http.request_timeout_ms", self.http.request_timeout_ms),
            ("http.idle_timeout_ms", self.http.idle_timeout_ms),
            (
                "limits.evaluation_deadline_ms",
                self.limits.evaluation_deadline_ms,
            ),
        ] {
            if value == 0 || value > 3_600_000 {
                problems.push(format!(
                    "`{key}` is {value}; give 1 to 3600000 (milliseconds)"
                ));
            }
        }
        if let Some(url) = &self.store.url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            problems.push(format!(
                "`store.url` is `{}`; give a PostgreSQL URL (`postgres://user@host:5432/database`) \
                 or leave it out for the embedded SQLite store",
                self.store.shown_url().unwrap_or_default()
            ));
        }
        if self.store.max_connections < 2 {
            problems.push(
                "`store.max_connections` must be at least 2 (the change listener takes one)".into(),
            );
        }
        for (key, value) in [
            ("store.acquire_timeout_ms", self.store.acquire_timeout_ms),
            (
                "cluster.catch_up_interval_ms",
                self.cluster.catch_up_interval_ms,
            ),
            (
                "cluster.heartbeat_interval_ms",
                self.cluster.heartbeat_interval_ms,
            ),
            ("cluster.node_timeout_ms", self.cluster.node_timeout_ms),
            ("cluster.publish_wait_ms", self.cluster.publish_wait_ms),
        ] {
            if value == 0 || value > 3_600_000 {
                problems.push(format!(
                    "`{key}` is {value}; give 1 to 3600000 (milliseconds)"
                ));
            }
        }
        if self.cluster.node_timeout_ms <= self.cluster.heartbeat_interval_ms {
            problems.push(format!(
                "`cluster.node_timeout_ms` is {} but `cluster.heartbeat_interval_ms` is {}; a \
                 live node would look dead between two heartbeats",
                self.cluster.node_timeout_ms, self.cluster.heartbeat_interval_ms
            ));
        }
        if let Some(node) = &self.cluster.node_id
            && (node.is_empty() || node.len() > 200)
        {
            problems.push("`cluster.node_id` must be 1 to 200 characters".into());
        }
        if self.http.max_connections == 0 {
            problems.push("`http.max_connections` must be at least 1".into());
        }
        if self.limits.batch_response_limit_bytes < 1024 {
            problems.push("`limits.batch_response_limit_bytes` must be at least 1024".into());
        }
        let mut seen = std::collections::HashSet::new();
        for (index, token) in self.tokens.iter().enumerate() {
            let at = format!("`tokens[{index}]` (`{}`)", token.name);
            if token.name.trim().is_empty() {
                problems.push(format!("`tokens[{index}].name` is empty"));
            }
            if decode_sha256(&token.sha256).is_none() {
                problems.push(format!(
                    "{at}: `sha256` must be 64 hexadecimal digits (make one with `yici hash-token`)"
                ));
            } else if !seen.insert(token.sha256.to_ascii_lowercase()) {
                problems.push(format!("{at}: the same token is configured twice"));
            }
            match (&token.department, token.platform, token.catalogue) {
                (Some(_), true, _) => problems.push(format!(
                    "{at}: a token is either the platform's or a department's, not both"
                )),
                (None, true, true) => problems.push(format!(
                    "{at}: the platform's token may only evaluate; give `catalogue = true` to a \
                     token of its own or to a department's"
                )),
                (None, false, false) => problems.push(format!(
                    "{at}: say whom it belongs to: `department = \"…\"`, `platform = true` or \
                     `catalogue = true`"
                )),
                _ => {}
            }
            if token.reviewer && token.department.is_none() {
                problems.push(format!(
                    "{at}: `reviewer = true` needs `department = \"…\"`: a reviewer approves \
                     the versions of its own department"
                ));
            }
        }
        problems
    }
}

/// SHA-256 of a token, as stored in the configuration.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn decode_sha256(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail closure returns figment's own error"
    )]
    fn the_store_url_and_the_cluster_settings_are_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("YICI_STORE_URL", "mysql://root:secret@db/yici");
            jail.set_env("YICI_CLUSTER__HEARTBEAT_INTERVAL_MS", "6000");
            jail.set_env("YICI_STORE__MAX_CONNECTIONS", "1");
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert_eq!(errors.len(), 3, "{errors:?}");
            assert!(
                errors[0].starts_with("`store.url` is `mysql://root@db/yici`"),
                "{errors:?}"
            );
            assert!(
                !errors.join(" ").contains("secret"),
                "the password is never shown"
            );
            assert!(errors[1].contains("`store.max_connections`"), "{errors:?}");
            assert!(
                errors[2].contains("`cluster.node_timeout_ms` is 5000"),
                "{errors:?}"
            );
            jail.set_env("YICI_STORE_URL", "postgres://yici:secret@db:5432/yici");
            jail.set_env("YICI_CLUSTER__HEARTBEAT_INTERVAL_MS", "500");
            jail.set_env("YICI_STORE__MAX_CONNECTIONS", "8");
            jail.set_env("YICI_NODE_ID", "node-a");
            let config = Config::load(&Overrides::default()).unwrap();
            assert_eq!(
                config.store.url.as_deref(),
                Some("postgres://yici:secret@db:5432/yici")
            );
            assert_eq!(
                config.store.shown_url().as_deref(),
                Some("postgres://yici@db:5432/yici")
            );
            assert_eq!(config.cluster.node_id.as_deref(), Some("node-a"));
            assert_eq!(config.cluster.heartbeat_interval_ms, 500);
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail closure returns figment's own error"
    )]
    fn layers_override_in_order_and_report_every_mistake() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "yici.toml",
                "batch_limit = 5\n[decision_log]\nretain_days = 400\n",
            )?;
            jail.set_env("YICI_ADDR", "127.0.0.1:9999");
            jail.set_env("YICI_BATCH_LIMIT", "many");
            jail.set_env("YICI_LOG_FORMAT", "xml");
            jail.set_env("YICI_LOG", "debug");
            // A value of the wrong type stops the reading at that key.
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert!(
                errors[0].starts_with(
                    "`batch_limit` (from the environment variable `YICI_BATCH_LIMIT`)"
                ),
                "{errors:?}"
            );
            jail.set_env("YICI_BATCH_LIMIT", "7");
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert!(
                errors[0]
                    .starts_with("`log_format` (from the environment variable `YICI_LOG_FORMAT`)"),
                "{errors:?}"
            );
            // Values of the right type that do not fit are all listed at once.
            jail.set_env("YICI_LOG_FORMAT", "text");
            jail.set_env("YICI_BATCH_LIMIT", "0");
            jail.set_env("YICI_MAX_CONNECTIONS", "0");
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert_eq!(errors.len(), 2, "{errors:?}");
            jail.set_env("YICI_MAX_CONNECTIONS", "12");
            jail.set_env("YICI_BATCH_LIMIT", "7");
            // Nested keys, the short aliases, and tokens: every key from the environment.
            jail.set_env("YICI_DECISION_LOG__KEEP_FACTS_DAYS", "9");
            jail.set_env("YICI_DURABILITY", "async");
            jail.set_env("YICI_HTTP__IDLE_TIMEOUT_MS", "1234");
            jail.set_env(
                "YICI_TOKENS",
                "[{name=\"p\",sha256=\"0000000000000000000000000000000000000000000000000000000000000000\",platform=true}]",
            );
            let overrides = Overrides {
                addr: Some(SocketAddr::from(([127, 0, 0, 1], 1))),
                ..Overrides::default()
            };
            let config = Config::load(&overrides).unwrap();
            assert_eq!(config.addr.port(), 1, "the flag wins");
            assert_eq!(config.batch_limit, 7, "the environment over the file");
            assert_eq!(config.decision_log.retain_days, 400, "the file");
            assert_eq!(config.decision_log.keep_facts_days, 9);
            assert_eq!(config.decision_log.durability, Durability::Async);
            assert_eq!(config.http.max_connections, 12);
            assert_eq!(config.http.idle_timeout_ms, 1234);
            assert_eq!(config.tokens.len(), 1);
            assert_eq!(config.log_format, LogFormat::Text);
            // A misspelt variable is a mistake, not silence.
            jail.set_env("YICI_BATCH_LIMTI", "3");
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert!(errors[0].contains("batch_limti"), "{errors:?}");
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail closure returns figment's own error"
    )]
    fn the_language_is_chinese_unless_configured_and_an_unknown_one_is_named() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(Config::load(&Overrides::default()).unwrap().lang, Lang::Zh);
            jail.create_file("yici.toml", "lang = \"zh\"\n")?;
            jail.set_env("YICI_LANG", "EN");
            let config = Config::load(&Overrides::default()).unwrap();
            assert_eq!(config.lang, Lang::En, "the environment over the file");
            let overrides = Overrides {
                lang: Some(Lang::Zh),
                ..Overrides::default()
            };
            assert_eq!(
                Config::load(&overrides).unwrap().lang,
                Lang::Zh,
                "the flag wins"
            );
            jail.set_env("YICI_LANG", "fr");
            let errors = Config::load(&Overrides::default()).unwrap_err();
            assert!(
                errors[0].starts_with("`lang` (from the environment variable `YICI_LANG`)")
                    && errors[0].contains("`fr`"),
                "{errors:?}"
            );
            Ok(())
        });
    }

    #[test]
    fn tokens_are_validated() {
        let config: Config = toml::from_str(
            r#"
            [[tokens]]
            name = "a"
            sha256 = "zz"
            platform = true
            [[tokens]]
            name = "b"
            sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
            "#,
        )
        .unwrap();
        let problems = config.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("64 hexadecimal digits"));
        assert!(problems[1].contains("say whom it belongs to"));
        // The catalogue's right: on a department's token or one of its own,
        // never on the platform's.
        let config: Config = toml::from_str(
            r#"
            [[tokens]]
            name = "keeper"
            sha256 = "1111111111111111111111111111111111111111111111111111111111111111"
            catalogue = true
            [[tokens]]
            name = "data office"
            sha256 = "2222222222222222222222222222222222222222222222222222222222222222"
            department = "zj.big_data"
            catalogue = true
            [[tokens]]
            name = "platform"
            sha256 = "3333333333333333333333333333333333333333333333333333333333333333"
            platform = true
            catalogue = true
            "#,
        )
        .unwrap();
        let problems = config.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .starts_with("`tokens[2]` (`platform`): the platform's token may only evaluate"),
            "{problems:?}"
        );
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
