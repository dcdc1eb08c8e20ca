//! The service's configuration, layered: defaults → `yici.toml` (or the
//! file given with `--config`) → `YICI_*` environment variables → command
//! line flags. Everything is validated before the server starts, and each
//! mistake names the key and where it came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
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
    /// Adds `POST /v1/_floor/parse`, which only parses an evaluation body:
    /// the load benchmark's floor. Off in production.
    pub expose_parse_floor: bool,
    pub decision_log: DecisionLogConfig,
    /// Who may call the API. Each token belongs to the platform or to one
    /// department and is stored as its SHA-256 (`yici hash-token`).
    pub tokens: Vec<TokenConfig>,
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
    /// How long the writer waits to fill a batch, in milliseconds.
    pub flush_interval_ms: u64,
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
            expose_parse_floor: false,
            decision_log: DecisionLogConfig::default(),
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
        }
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
}

impl Config {
    /// Reads the layers. `env` looks up an environment variable (tests pass
    /// their own).
    pub fn load(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let mut config = match &overrides.config {
            Some(path) => Config::from_file(path).map_err(|e| vec![e])?,
            None if Path::new(DEFAULT_FILE).is_file() => {
                Config::from_file(Path::new(DEFAULT_FILE)).map_err(|e| vec![e])?
            }
            None => Config::default(),
        };
        config.apply_env(&env, &mut errors);
        if let Some(addr) = overrides.addr {
            config.addr = addr;
        }
        if let Some(dir) = &overrides.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(dir) = &overrides.policies_dir {
            config.policies_dir = dir.clone();
        }
        errors.extend(config.problems());
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the configuration `{}`: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("in `{}`: {e}", path.display()))
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>, errors: &mut Vec<String>) {
        fn parsed<T: std::str::FromStr>(
            name: &str,
            value: &str,
            what: &str,
            errors: &mut Vec<String>,
        ) -> Option<T> {
            match value.trim().parse() {
                Ok(parsed) => Some(parsed),
                Err(_) => {
                    errors.push(format!("`{name}`: `{value}` is not {what}"));
                    None
                }
            }
        }
        if let Some(value) = env("YICI_ADDR")
            && let Some(addr) = parsed(
                "YICI_ADDR",
                &value,
                "an address like `127.0.0.1:8080`",
                errors,
            )
        {
            self.addr = addr;
        }
        if let Some(value) = env("YICI_DATA_DIR") {
            self.data_dir = PathBuf::from(value);
        }
        if let Some(value) = env("YICI_POLICIES_DIR") {
            self.policies_dir = PathBuf::from(value);
        }
        if let Some(value) = env("YICI_BODY_LIMIT_BYTES")
            && let Some(limit) = parsed("YICI_BODY_LIMIT_BYTES", &value, "a byte count", errors)
        {
            self.body_limit_bytes = limit;
        }
        if let Some(value) = env("YICI_BATCH_LIMIT")
            && let Some(limit) = parsed("YICI_BATCH_LIMIT", &value, "a count", errors)
        {
            self.batch_limit = limit;
        }
        if let Some(value) = env("YICI_KEEP_FACTS")
            && let Some(keep) = parsed("YICI_KEEP_FACTS", &value, "`true` or `false`", errors)
        {
            self.decision_log.keep_facts = keep;
        }
        if let Some(value) = env("YICI_LOG_FORMAT") {
            match value.as_str() {
                "text" => self.log_format = LogFormat::Text,
                "json" => self.log_format = LogFormat::Json,
                other => errors.push(format!(
                    "`YICI_LOG_FORMAT`: `{other}` is not `text` or `json`"
                )),
            }
        }
        if let Some(value) = env("YICI_EXPOSE_PARSE_FLOOR")
            && let Some(expose) = parsed(
                "YICI_EXPOSE_PARSE_FLOOR",
                &value,
                "`true` or `false`",
                errors,
            )
        {
            self.expose_parse_floor = expose;
        }
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
            match (&token.department, token.platform) {
                (Some(_), true) => problems.push(format!(
                    "{at}: a token is either the platform's or a department's, not both"
                )),
                (None, false) => problems.push(format!(
                    "{at}: say whom it belongs to: `department = \"…\"` or `platform = true`"
                )),
                _ => {}
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
    fn layers_override_in_order_and_report_every_mistake() {
        let env = |name: &str| match name {
            "YICI_ADDR" => Some("127.0.0.1:9999".to_string()),
            "YICI_BATCH_LIMIT" => Some("many".to_string()),
            "YICI_LOG_FORMAT" => Some("xml".to_string()),
            _ => None,
        };
        let errors = Config::load(&Overrides::default(), env).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "`YICI_BATCH_LIMIT`: `many` is not a count".to_string(),
                "`YICI_LOG_FORMAT`: `xml` is not `text` or `json`".to_string(),
            ]
        );
        let overrides = Overrides {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 1))),
            ..Overrides::default()
        };
        let env = |name: &str| (name == "YICI_ADDR").then(|| "127.0.0.1:9999".to_string());
        let config = Config::load(&overrides, env).unwrap();
        assert_eq!(config.addr.port(), 1);
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
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
