//! The engine's two error types: refusing an artifact, and failing an evaluation.

use thiserror::Error;

/// Why an artifact was refused.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("the module is not valid WebAssembly: {0}")]
    Invalid(String),
    #[error("the module imports `{module}.{name}`; policy modules may import nothing")]
    Import { module: String, name: String },
    #[error("the module has a start function; policy modules may not run code when loaded")]
    StartFunction,
    #[error("the module declares a table; policy modules may not")]
    Table,
    #[error("the module has no `{0}` section with its manifest")]
    NoManifest(&'static str),
    #[error("the module's manifest cannot be read: {0}")]
    BadManifest(String),
    #[error("the module's abi version is {found}, this engine runs version {supported}")]
    AbiVersion { found: u32, supported: u32 },
    #[error(
        "the module must export `memory` and `evaluate` (a function taking and returning nothing)"
    )]
    Exports,
    #[error(
        "policy `{policy}` declares {bytes} bytes of memory (or no maximum); the limit is {limit}"
    )]
    Memory {
        policy: String,
        bytes: u64,
        limit: u64,
    },
    #[error("policy `{policy}` could not be instantiated: {message}")]
    Instantiate { policy: String, message: String },
    #[error("the WebAssembly engine could not start: {0}")]
    Engine(String),
}

/// Why an evaluation failed. Input errors name the JSON path of the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EvalError {
    #[error("the request is not valid JSON: {message} (line {line}, column {column})")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("`{path}`: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: String,
        found: String,
    },
    #[error("`{path}`: `{value}` is not one of {allowed}")]
    UnknownEnumValue {
        path: String,
        value: String,
        allowed: String,
    },
    #[error("missing required {}: {}", if paths.len() == 1 { "fact" } else { "facts" }, paths.join(", "))]
    MissingFacts { paths: Vec<String> },
    #[error(
        "`{path}`: `{value}` is not a date; write `YYYY-MM-DD` between the years 0001 and 9999"
    )]
    BadDate { path: String, value: String },
    #[error("`{path}`: `{value}` has more than the {decimals} decimals this fact holds")]
    Precision {
        path: String,
        value: String,
        decimals: u8,
    },
    #[error("`{path}`: `{value}` is outside the values this fact may take ({})", allowed_range(min.as_deref(), max.as_deref()))]
    OutOfBounds {
        path: String,
        value: String,
        min: Option<String>,
        max: Option<String>,
    },
    #[error("`{path}`: `{value}` is out of range")]
    OutOfRange { path: String, value: String },
    #[error("`{path}` has {len} entries; the limit is {limit}")]
    ListTooLong {
        path: String,
        len: usize,
        limit: u32,
    },
    #[error("`{path}` is not a fact of this policy{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownField {
        path: String,
        suggestion: Option<String>,
    },
    #[error("`{path}` is given twice")]
    Duplicate { path: String },
    #[error(
        "policy `{policy}`: the evaluation took longer than the limit of {limit_ms} ms and was stopped"
    )]
    Timeout { policy: String, limit_ms: u64 },
    #[error("policy `{policy}`: the evaluation ran out of memory (limit {limit} bytes)")]
    OutOfMemory { policy: String, limit: u64 },
    #[error("policy `{policy}`: {reason}")]
    Trap { policy: String, reason: String },
}

impl EvalError {
    /// The JSON path an input error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            EvalError::WrongType { path, .. }
            | EvalError::UnknownEnumValue { path, .. }
            | EvalError::BadDate { path, .. }
            | EvalError::Precision { path, .. }
            | EvalError::OutOfBounds { path, .. }
            | EvalError::OutOfRange { path, .. }
            | EvalError::ListTooLong { path, .. }
            | EvalError::UnknownField { path, .. }
            | EvalError::Duplicate { path } => Some(path),
            EvalError::MissingFacts { paths } => paths.first().map(String::as_str),
            _ => None,
        }
    }

    /// True for mistakes in the request (4xx), false for the policy failing (its limits).
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            EvalError::Timeout { .. } | EvalError::OutOfMemory { .. } | EvalError::Trap { .. }
        )
    }
}

/// `1 to 4`, `at least 0.00`, `at most 100`.
fn allowed_range(min: Option<&str>, max: Option<&str>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any".into(),
    }
}
