//! From a published source to a loaded version: check it against the
//! catalogue, compile, load, and run the policy's scenarios against it.
//! Nothing here touches the store; the routes store what passes. What goes
//! wrong is told in the configured language (`lang`): the diagnostics, the
//! problem's message and the scenarios' differences.

use std::path::PathBuf;
use std::sync::Arc;

use engine::{Engine, LoadedBundle, LoadedPolicy};
use rules_dsl::check::FileKind;
use rules_dsl::codegen::{self, CompileOptions};
use rules_dsl::{Diagnostic, Lang, SourceSet, Words, words};

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

/// Why a source cannot become a version, in the configured language.
#[derive(Debug)]
pub enum SourceProblem {
    /// Errors found by the checker: `message` says how many, `rendered`
    /// shows each with its source lines.
    Diagnostics {
        count: usize,
        message: String,
        rendered: String,
    },
    /// The source is well formed but is not what was asked for.
    Wrong(String),
}

impl SourceProblem {
    /// The checker's errors (warnings are left out) rendered in `lang`.
    fn diagnostics(sources: &SourceSet, diagnostics: &[Diagnostic], lang: Lang) -> SourceProblem {
        let errors: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let count = errors.len();
        let plural = if count == 1 { "error" } else { "errors" };
        SourceProblem::Diagnostics {
            count,
            message: words!("源文件有{count}个错误", "the source has {count} {plural}")
                .get(lang)
                .to_string(),
            rendered: sources.render(&errors, false, lang),
        }
    }

    fn wrong(words: Words, lang: Lang) -> SourceProblem {
        SourceProblem::Wrong(words.get(lang).to_string())
    }
}

/// Checks `source` with the catalogue and compiles it. `expected_id` is the
/// id in the request's path.
pub fn compile_policy(
    engine: &Engine,
    catalogue: &str,
    source: &str,
    expected_id: &str,
    lang: Lang,
) -> Result<CompiledPolicy, SourceProblem> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", catalogue.to_string());
    sources.add(format!("{expected_id}.rules"), source.to_string());
    let checked = rules_dsl::check(&sources);
    if checked.error_count() > 0 {
        return Err(SourceProblem::diagnostics(
            &sources,
            &checked.diagnostics,
            lang,
        ));
    }
    let summary = &checked.files[1];
    match summary.kind {
        FileKind::Policy => {}
        FileKind::Bundle => {
            return Err(SourceProblem::wrong(
                words!(
                    "源文件声明的是一件事；一件事随代码库的`policies/`文件夹发布，这个接口只接受单个事项规则",
                    "the source declares a bundle; bundles are published with the repository's \
                     `policies/` folder, this endpoint takes one policy"
                ),
                lang,
            ));
        }
        FileKind::Catalogue | FileKind::Unknown => {
            return Err(SourceProblem::wrong(
                words!(
                    "源文件没有声明事项规则；它必须以`policy <id> \"<title>\"`开头",
                    "the source declares no policy; it must start with `policy <id> \"<title>\"`"
                ),
                lang,
            ));
        }
    }
    let Some(id) = summary.id.as_deref() else {
        return Err(SourceProblem::wrong(
            words!(
                "源文件没有声明事项规则的编号",
                "the source declares no policy id"
            ),
            lang,
        ));
    };
    if id != expected_id {
        return Err(SourceProblem::wrong(
            words!(
                "源文件声明的事项规则是`{id}`，但它被发送到了`{expected_id}`",
                "the source declares policy `{id}`, but it was sent to `{expected_id}`"
            ),
            lang,
        ));
    }
    let Some(policy) = checked.workspace.policy(id) else {
        return Err(SourceProblem::wrong(
            words!(
                "事项规则`{id}`无法检查",
                "policy `{id}` could not be checked"
            ),
            lang,
        ));
    };
    let hash = codegen::source_hash(source);
    let options = CompileOptions {
        source_hash: hash.clone(),
        ..CompileOptions::default()
    };
    // The code generator's and the engine's reasons are their own, in English.
    let artifact = codegen::compile(policy, &options).map_err(|e| {
        SourceProblem::wrong(
            words!(
                "事项规则`{id}`无法编译：{e}",
                "policy `{id}` cannot be compiled: {e}"
            ),
            lang,
        )
    })?;
    let loaded = engine.load(&artifact.wasm).map_err(|e| {
        SourceProblem::wrong(
            words!(
                "事项规则`{id}`无法加载：{e}",
                "policy `{id}` cannot be loaded: {e}"
            ),
            lang,
        )
    })?;
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
    lang: Lang,
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
            SourceProblem::wrong(
                words!(
                    "一件事`{bundle_id}`的源文件没有声明一件事",
                    "the source of bundle `{bundle_id}` declares no bundle"
                ),
                lang,
            )
        }),
        Err(project::ProjectError::Check { sources, checked }) => Err(SourceProblem::diagnostics(
            &sources,
            &checked.diagnostics,
            lang,
        )),
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
/// The problems are told in `lang`.
pub fn run_scenarios(
    policy: &LoadedPolicy,
    scenarios: &[ScenarioText],
    from_day: i64,
    lang: Lang,
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
                    problems: vec![
                        words!(
                            "场景文件无效：{message}",
                            "the scenario file is not valid: {message}"
                        )
                        .get(lang)
                        .to_string(),
                    ],
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
                    .map(|m| m.text(lang))
                    .collect(),
                Err(e) => vec![e.to_string()],
            },
            Err(error) => vec![
                words!("判定失败：{error}", "the evaluation failed: {error}")
                    .get(lang)
                    .to_string(),
            ],
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
            SourceProblem::Diagnostics { message, .. } | SourceProblem::Wrong(message) => {
                f.write_str(message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnostics, the problem's message and its count follow `lang`.
    #[test]
    fn a_source_with_errors_is_told_in_the_language_asked_for() {
        let engine = Engine::new(engine::Limits::default()).expect("engine");
        let catalogue = "department d.x \"部门\"\n";
        let source = "policy p.x \"事项\"\n  department d.x\n\nfacts {\n  applicant.age: int\n}\n\nrule adult \"成年\" cite \"第一条\":\n  applicant.agee >= 18\n\neligible when adult\n";
        for (lang, message, diagnostic) in [
            (
                Lang::Zh,
                "源文件有 1 个错误",
                "未定义的名称 `applicant.agee`",
            ),
            (
                Lang::En,
                "the source has 1 error",
                "unknown name `applicant.agee`",
            ),
        ] {
            let Err(problem) = compile_policy(&engine, catalogue, source, "p.x", lang) else {
                panic!("the source has an error");
            };
            let SourceProblem::Diagnostics { rendered, .. } = &problem else {
                panic!("diagnostics, not {problem}");
            };
            assert_eq!(problem.to_string(), message);
            assert!(rendered.contains(diagnostic), "{rendered}");
        }
    }
}
