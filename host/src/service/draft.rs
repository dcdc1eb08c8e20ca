//! A draft as the console runs it on every edit, nothing stored: the
//! formatter's layout of a source, and a policy draft compiled and run
//! against its scenarios (pass or fail, each failure's differences and the
//! draft's rule results) and, when asked, one application (the scenario
//! builder's decision as a citizen would read it, a logged decision
//! replayed against the draft).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::Service;
use super::error::ServiceError;
use super::publish::{ScenarioUpload, validate_scenarios};
use super::rights::{Action, Principal};
use crate::store::Kind;
use rules_dsl::words;

/// The formatter's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormatReport {
    /// The source in the canonical layout; `null` when it does not parse
    /// (the diagnostics of `POST /v1/check` say where).
    pub formatted: Option<String>,
    /// The layout changed.
    pub changed: bool,
    /// Syntax errors that stop the formatter.
    pub errors: usize,
}

/// One scenario against the draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftScenario {
    /// The scenario's file name.
    pub scenario: String,
    /// Its `name` line.
    pub name: String,
    pub application_date: String,
    pub passed: bool,
    /// Each difference between the expectation and the draft's decision.
    pub problems: Vec<String>,
    /// The draft's rule results (`id`, `title`, `cite`, `result`), for a failed scenario.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftReport {
    pub policy: String,
    pub version: i64,
    pub hash: String,
    pub scenarios: Vec<DraftScenario>,
    pub passed: usize,
    pub failed: usize,
    /// The draft's decision of `evaluate`, when one was sent.
    #[schema(value_type = Option<Object>)]
    pub decision: Option<Value>,
    /// Why `evaluate` could not be decided (a missing fact, a wrong type).
    pub evaluation_error: Option<String>,
}

impl Service {
    /// The canonical layout of `source` (any department's token or the
    /// catalogue's keeper, as for checking).
    pub fn format_draft(&self, source: &str) -> FormatReport {
        match rules_dsl::format::format(source) {
            Ok(formatted) => FormatReport {
                changed: formatted != source,
                formatted: Some(formatted),
                errors: 0,
            },
            Err(errors) => FormatReport {
                formatted: None,
                changed: false,
                errors: errors.len(),
            },
        }
    }

    /// Compiles a draft of policy `id` and runs its scenarios (the ones
    /// sent, else the stored ones) and `evaluate` against it.
    pub async fn run_draft(
        &self,
        caller: &Principal,
        id: &str,
        source: String,
        scenarios: Option<Vec<ScenarioUpload>>,
        evaluate: Option<Value>,
    ) -> Result<DraftReport, ServiceError> {
        self.require_policy_rights(caller, Action::Preview, id)?;
        if let Some(uploads) = &scenarios {
            validate_scenarios(uploads)?;
        }
        let compiled = self.compile(id, source).await?;
        caller.require_source_department(Action::Preview, &compiled.department)?;
        let texts: Vec<(String, String)> = match scenarios {
            Some(list) => list.into_iter().map(|s| (s.name, s.toml)).collect(),
            None => self
                .registry
                .load()
                .scenarios
                .get(&(Kind::Policy, id.to_string()))
                .map(|list| {
                    list.iter()
                        .map(|s| (s.name.clone(), s.toml.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let loaded = Arc::clone(&compiled.loaded);
        let lang = self.config.lang;
        let (rows, decision, evaluation_error) = self
            .heavy
            .run(move || {
                let run = |request: &[u8]| -> Result<Value, String> {
                    let mut json = Vec::new();
                    loaded
                        .evaluate_json(request, &mut json)
                        .map_err(|e| e.message().get(lang).to_string())?;
                    serde_json::from_slice(&json).map_err(|e| e.to_string())
                };
                let mut rows = Vec::new();
                for (file, toml) in &texts {
                    let parsed = match crate::scenario::parse(toml) {
                        Ok(parsed) => parsed,
                        Err(message) => {
                            rows.push(DraftScenario {
                                scenario: file.clone(),
                                name: file.clone(),
                                application_date: String::new(),
                                passed: false,
                                problems: vec![
                                    words!(
                                        "场景文件无效：{message}",
                                        "the scenario file is not valid: {message}"
                                    )
                                    .get(lang)
                                    .to_string(),
                                ],
                                rules: Vec::new(),
                            });
                            continue;
                        }
                    };
                    let (problems, rules) = match run(parsed.request_json().as_bytes()) {
                        Ok(actual) => {
                            let problems: Vec<String> = parsed
                                .mismatches(&actual)
                                .iter()
                                .map(|m| m.text(lang))
                                .collect();
                            let rules = if problems.is_empty() {
                                Vec::new()
                            } else {
                                actual["rules"].as_array().cloned().unwrap_or_default()
                            };
                            (problems, rules)
                        }
                        Err(problem) => (vec![problem], Vec::new()),
                    };
                    rows.push(DraftScenario {
                        scenario: file.clone(),
                        name: parsed.name.clone(),
                        application_date: parsed.application_date(),
                        passed: problems.is_empty(),
                        problems,
                        rules,
                    });
                }
                let (decision, evaluation_error) = match evaluate {
                    None => (None, None),
                    Some(request) => match run(request.to_string().as_bytes()) {
                        Ok(decision) => (Some(decision), None),
                        Err(error) => (None, Some(error)),
                    },
                };
                (rows, decision, evaluation_error)
            })
            .await?;
        let passed = rows.iter().filter(|r| r.passed).count();
        Ok(DraftReport {
            policy: id.to_string(),
            version: compiled.version,
            hash: compiled.hash,
            failed: rows.len() - passed,
            passed,
            scenarios: rows,
            decision,
            evaluation_error,
        })
    }
}
