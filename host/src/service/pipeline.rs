//! From a published source to a loaded version: check it against the
//! catalogue, compile, load, and run the policy's scenarios against it.
//! Nothing here touches the store; the routes store what passes.

use std::path::PathBuf;
use std::sync::Arc;

use engine::{Engine, LoadedBundle, LoadedPolicy};
use rules_dsl::SourceSet;
use rules_dsl::check::FileKind;
use rules_dsl::codegen::{self, CompileOptions};

use crate::project;
use crate::scenario;
use crate::store::ScenarioText;

/// A policy source that checked and compiled.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub id: String,
    pub title: String,
    pub department: String,
    /// The `version` the source declares.
    pub version: i64,
    /// The `effective from` the source declares, if any.
    pub effective_from: Option<String>,
    pub hash: String,
    pub artifact: Vec<u8>,
    pub loaded: Arc<LoadedPolicy>,
}

/// Why a source cannot become a version.
#[derive(Debug)]
pub enum SourceProblem {
    /// Errors found by the checker, rendered with their source lines.
    Diagnostics { count: usize, rendered: String },
    /// The source is well formed but is not what was asked for.
    Wrong(String),
}

/// Checks `source` with the catalogue and compiles it. `expected_id` is the
/// id in the request's path.
pub fn compile_policy(
    engine: &Engine,
    catalogue: &str,
    source: &str,
    expected_id: &str,
) -> Result<CompiledPolicy, SourceProblem> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", catalogue.to_string());
    sources.add(format!("{expected_id}.rules"), source.to_string());
    let checked = rules_dsl::check(&sources);
    let errors = checked.error_count();
    if errors > 0 {
        let errors_only: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        return Err(SourceProblem::Diagnostics {
            count: errors,
            rendered: sources.render(&errors_only, false, rules_dsl::Lang::En),
        });
    }
    let summary = &checked.files[1];
    match summary.kind {
        FileKind::Policy => {}
        FileKind::Bundle => {
            return Err(SourceProblem::Wrong(
                "the source declares a bundle; bundles are published with the repository's \
                 `policies/` folder, this endpoint takes one policy"
                    .into(),
            ));
        }
        FileKind::Catalogue | FileKind::Unknown => {
            return Err(SourceProblem::Wrong(
                "the source declares no policy; it must start with `policy <id> \"<title>\"`"
                    .into(),
            ));
        }
    }
    let Some(id) = summary.id.as_deref() else {
        return Err(SourceProblem::Wrong(
            "the source declares no policy id".into(),
        ));
    };
    if id != expected_id {
        return Err(SourceProblem::Wrong(format!(
            "the source declares policy `{id}`, but it was sent to `{expected_id}`"
        )));
    }
    let Some(policy) = checked.workspace.policy(id) else {
        return Err(SourceProblem::Wrong(format!(
            "policy `{id}` could not be checked"
        )));
    };
    let hash = codegen::source_hash(source);
    let options = CompileOptions {
        source_hash: hash.clone(),
        ..CompileOptions::default()
    };
    let artifact = codegen::compile(policy, &options)
        .map_err(|e| SourceProblem::Wrong(format!("policy `{id}` cannot be compiled: {e}")))?;
    let loaded = engine
        .load(&artifact.wasm)
        .map_err(|e| SourceProblem::Wrong(format!("policy `{id}` cannot be loaded: {e}")))?;
    let info = &artifact.manifest.policy;
    Ok(CompiledPolicy {
        id: id.to_string(),
        title: info.title.clone(),
        department: info.department.clone(),
        version: info.version,
        effective_from: info.effective_from.clone(),
        hash,
        artifact: artifact.wasm,
        loaded,
    })
}

/// Builds a bundle against the given member sources (id, source).
pub fn build_bundle(
    engine: &Engine,
    catalogue: &str,
    bundle_id: &str,
    bundle_source: &str,
    members: &[(String, String)],
) -> Result<Arc<LoadedBundle>, SourceProblem> {
    let mut files = vec![(PathBuf::from("catalogue.rules"), catalogue.to_string())];
    for (id, source) in members {
        files.push((PathBuf::from(format!("{id}.rules")), source.clone()));
    }
    files.push((
        PathBuf::from(format!("{bundle_id}.rules")),
        bundle_source.to_string(),
    ));
    match project::build(engine, &files) {
        Ok(mut built) => built.bundles.remove(bundle_id).ok_or_else(|| {
            SourceProblem::Wrong(format!(
                "the source of bundle `{bundle_id}` declares no bundle"
            ))
        }),
        Err(project::ProjectError::Check { sources, checked }) => {
            let errors: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            Err(SourceProblem::Diagnostics {
                count: errors.len(),
                rendered: sources.render(&errors, false, rules_dsl::Lang::En),
            })
        }
        Err(project::ProjectError::Compile(message)) => Err(SourceProblem::Wrong(message)),
    }
}

/// One scenario that did not give what it expects.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioFailure {
    pub scenario: String,
    pub name: String,
    pub problems: Vec<String>,
}

/// Runs each scenario dated on or after `from_day` against `policy`.
/// Earlier scenarios are decided by earlier versions and are not affected.
pub fn run_scenarios(
    policy: &LoadedPolicy,
    scenarios: &[ScenarioText],
    from_day: i64,
) -> (usize, Vec<ScenarioFailure>) {
    let mut run = 0;
    let mut failures = Vec::new();
    for text in scenarios {
        let parsed = match scenario::parse(&text.toml) {
            Ok(parsed) => parsed,
            Err(message) => {
                failures.push(ScenarioFailure {
                    scenario: text.name.clone(),
                    name: text.name.clone(),
                    problems: vec![format!("the scenario file is not valid: {message}")],
                });
                continue;
            }
        };
        let day = engine::encode::parse_date(&parsed.application_date()).unwrap_or(i64::MIN);
        if day < from_day {
            continue;
        }
        run += 1;
        let mut json = Vec::new();
        let problems = match policy.evaluate_json(parsed.request_json().as_bytes(), &mut json) {
            Ok(_) => match serde_json::from_slice::<serde_json::Value>(&json) {
                Ok(actual) => parsed
                    .mismatches(&actual)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                Err(e) => vec![e.to_string()],
            },
            Err(error) => vec![format!("the evaluation failed: {error}")],
        };
        if !problems.is_empty() {
            failures.push(ScenarioFailure {
                scenario: text.name.clone(),
                name: parsed.name.clone(),
                problems,
            });
        }
    }
    (run, failures)
}

impl std::fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceProblem::Diagnostics { count, .. } => write!(
                f,
                "the source has {count} {}",
                if *count == 1 { "error" } else { "errors" }
            ),
            SourceProblem::Wrong(message) => f.write_str(message),
        }
    }
}
