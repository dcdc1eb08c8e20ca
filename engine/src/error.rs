//! The engine's two error types: refusing an artifact, and failing an evaluation.

use contract::lang::Words;
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

impl EvalError {
    /// The message in both languages: English as `Display` gives it, and
    /// Chinese for the officers and citizens who read it (the CLI and the
    /// service choose by their `lang`).
    pub fn message(&self) -> Words {
        let zh = match self {
            EvalError::Json {
                message,
                line,
                column,
            } => format!("请求不是有效的 JSON：{message}（第 {line} 行第 {column} 列）"),
            EvalError::WrongType {
                path,
                expected,
                found,
            } => format!(
                "`{path}`：应为{}，实际为{}",
                zh_phrase(expected),
                zh_phrase(found)
            ),
            EvalError::UnknownEnumValue {
                path,
                value,
                allowed,
            } => format!(
                "`{path}`：`{value}` 不在可选值 {} 之中",
                allowed.replace(", ", "、")
            ),
            EvalError::MissingFacts { paths } => {
                format!("缺少必填的事实：{}", paths.join("、"))
            }
            EvalError::BadDate { path, value } => format!(
                "`{path}`：`{value}` 不是日期；请写作 `YYYY-MM-DD`，年份在 0001 至 9999 之间"
            ),
            EvalError::Precision {
                path,
                value,
                decimals,
            } => format!("`{path}`：`{value}` 的小数位数超过了该事实的 {decimals} 位"),
            EvalError::OutOfBounds {
                path,
                value,
                min,
                max,
            } => format!(
                "`{path}`：`{value}` 超出了该事实的取值范围（{}）",
                zh_range(min.as_deref(), max.as_deref())
            ),
            EvalError::OutOfRange { path, value } => format!("`{path}`：`{value}` 超出范围"),
            EvalError::ListTooLong { path, len, limit } => {
                format!("`{path}` 有 {len} 项，上限为 {limit} 项")
            }
            EvalError::UnknownField { path, suggestion } => format!(
                "`{path}` 不是这个事项的事实{}",
                suggestion
                    .as_ref()
                    .map(|s| format!("（是否应为 `{s}`？）"))
                    .unwrap_or_default()
            ),
            EvalError::Duplicate { path } => format!("`{path}` 给出了两次"),
            EvalError::Timeout { policy, limit_ms } => {
                format!("事项 `{policy}`：计算超过了 {limit_ms} 毫秒的时限，已停止")
            }
            EvalError::OutOfMemory { policy, limit } => {
                format!("事项 `{policy}`：计算超出了内存上限（{limit} 字节）")
            }
            EvalError::Trap { policy, reason } => format!("事项 `{policy}`：{}", zh_phrase(reason)),
        };
        Words::new(zh, self.to_string())
    }
}

/// The Chinese of the fixed phrases the encoder names types and values with
/// (`a whole number`, `one of `a`, `b``); a quoted value stays as it is.
fn zh_phrase(en: &str) -> String {
    if let Some(values) = en.strip_prefix("one of ") {
        return format!("以下之一：{}", values.replace(", ", "、"));
    }
    if let Some(rest) = en.strip_prefix("a number with at most ") {
        let decimals = rest.trim_end_matches(" decimals");
        return format!("最多 {decimals} 位小数的数");
    }
    match en {
        "true or false" | "true/false" => "是或否（true 或 false）".into(),
        "a whole number" => "整数".into(),
        "an amount of money (a number with at most two decimals)" => {
            "金额（最多两位小数的数）".into()
        }
        "a date `YYYY-MM-DD`" => "日期 `YYYY-MM-DD`".into(),
        "text" => "文本".into(),
        "a list of texts" => "文本列表".into(),
        "a list of records" => "记录列表".into(),
        "a list" => "列表".into(),
        "an object" => "对象".into(),
        "a number" => "数字".into(),
        "a number with decimals" => "带小数的数".into(),
        "null" => "null（空值）".into(),
        "an object of facts" => "由事实组成的对象".into(),
        "a list of dataset ids" => "共享数据编号的列表".into(),
        "a dataset id (text)" => "共享数据编号（文本）".into(),
        "an object with `application_date`, `facts` and `shared_available`" => {
            "含 `application_date`、`facts` 和 `shared_available` 的对象".into()
        }
        "a division by zero" => "除数为零".into(),
        "a calculation overflowed, or a date left the years 0001–9999" => {
            "计算溢出，或日期超出了 0001–9999 年".into()
        }
        "this evaluation already failed" => "这次计算已经失败".into(),
        other => other.to_string(),
    }
}

/// `1 至 4`, `不小于 0.00`, `不大于 100`.
fn zh_range(min: Option<&str>, max: Option<&str>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("{min} 至 {max}"),
        (Some(min), None) => format!("不小于 {min}"),
        (None, Some(max)) => format!("不大于 {max}"),
        (None, None) => "不限".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn is_chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Every refusal of a request reads in Chinese too, phrases included.
    #[test]
    fn every_evaluation_error_has_a_chinese_message() {
        let path = || "facts.applicant.grade".to_string();
        let errors = [
            EvalError::Json {
                message: "expected `:`".into(),
                line: 1,
                column: 2,
            },
            EvalError::WrongType {
                path: path(),
                expected: "a whole number".into(),
                found: "text".into(),
            },
            EvalError::UnknownEnumValue {
                path: path(),
                value: "x".into(),
                allowed: "`a`, `b`".into(),
            },
            EvalError::MissingFacts {
                paths: vec![path()],
            },
            EvalError::BadDate {
                path: path(),
                value: "2025-02-30".into(),
            },
            EvalError::Precision {
                path: path(),
                value: "1.234".into(),
                decimals: 2,
            },
            EvalError::OutOfBounds {
                path: path(),
                value: "7".into(),
                min: Some("1".into()),
                max: Some("4".into()),
            },
            EvalError::OutOfRange {
                path: path(),
                value: "1e400".into(),
            },
            EvalError::ListTooLong {
                path: path(),
                len: 300,
                limit: 256,
            },
            EvalError::UnknownField {
                path: path(),
                suggestion: Some("applicant.grade".into()),
            },
            EvalError::Duplicate { path: path() },
            EvalError::Timeout {
                policy: "p".into(),
                limit_ms: 50,
            },
            EvalError::OutOfMemory {
                policy: "p".into(),
                limit: 1,
            },
            EvalError::Trap {
                policy: "p".into(),
                reason: "a division by zero".into(),
            },
        ];
        for error in errors {
            let words = error.message();
            assert_eq!(words.en, error.to_string());
            assert!(is_chinese(&words.zh), "{error:?}: {}", words.zh);
        }
        let wrong = EvalError::WrongType {
            path: path(),
            expected: "a number with at most 2 decimals".into(),
            found: "true/false".into(),
        };
        assert_eq!(
            wrong.message().zh,
            "`facts.applicant.grade`：应为最多 2 位小数的数，实际为是或否（true 或 false）"
        );
    }
}
