//! From a published source to a loaded version: check a policy against the
//! catalogue, compile, load, and run its scenarios against it; build a
//! bundle on its members and run its scenarios; check a new catalogue
//! together with every policy and bundle in force and compile them all
//! again. Nothing here touches the store; the service stores what passes.
//! What goes wrong is told in the configured language (`lang`): the
//! diagnostics, the problem's message and the scenarios' differences.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use engine::{Engine, LoadedBundle, LoadedPolicy};
use rules_dsl::check::FileKind;
use rules_dsl::codegen::{self, CompileOptions};
use rules_dsl::syntax::ast::ItemKind;
use rules_dsl::{Diagnostic, Lang, SourceSet, Words, words};

use super::registry::Registry;
use crate::project;
use crate::scenario;
use crate::store::{Kind, ScenarioText};

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
                    "源文件声明的是一件事；一件事发布到`/v1/bundles/{expected_id}/versions`，这个接口只接受单个事项规则",
                    "the source declares a bundle; publish bundles at \
                     `/v1/bundles/{expected_id}/versions`, this endpoint takes one policy"
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

/// What a source declares at its top, read by the parser alone (nothing is
/// checked or compiled): enough to check a caller's rights first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    /// `Policy` or `Bundle`; `None` for a source that declares neither
    /// (a catalogue, or nothing readable).
    pub kind: Option<Kind>,
    pub id: Option<String>,
    /// The `department` line: a policy's owner, a bundle's lead department.
    pub department: Option<String>,
    /// A bundle's `member` lines.
    pub members: Vec<String>,
}

pub fn read_header(source: &str) -> Header {
    let parsed = rules_dsl::syntax::parse(source);
    let mut header = Header::default();
    for item in &parsed.file.items {
        match &item.kind {
            ItemKind::Policy { id, .. } if header.kind.is_none() => {
                header.kind = Some(Kind::Policy);
                header.id = Some(id.text.clone());
            }
            ItemKind::Bundle { id, .. } if header.kind.is_none() => {
                header.kind = Some(Kind::Bundle);
                header.id = Some(id.text.clone());
            }
            // A header's `department` line has no name; the catalogue's have one.
            ItemKind::Department { id, name: None } if header.department.is_none() => {
                header.department = Some(id.text.clone());
            }
            ItemKind::Member(name) => header.members.push(name.text.clone()),
            _ => {}
        }
    }
    header
}

/// A bundle source that checked against the catalogue and its members, built.
#[derive(Debug)]
pub struct CompiledBundle {
    pub title: String,
    /// The lead department (the source's `department` line).
    pub department: String,
    pub built: Arc<LoadedBundle>,
}

/// Checks a bundle `source` sent to `expected_id` against the catalogue and
/// the given member sources (id, source), and builds it.
pub fn compile_bundle(
    engine: &Engine,
    catalogue: &str,
    expected_id: &str,
    source: &str,
    members: &[(String, String)],
    lang: Lang,
) -> Result<CompiledBundle, SourceProblem> {
    if read_header(source).kind == Some(Kind::Policy) {
        return Err(SourceProblem::wrong(
            words!(
                "源文件声明的是事项规则；事项规则发布到`/v1/policies/<id>/versions`，这个接口只接受一件事",
                "the source declares a policy; publish policies at \
                 `/v1/policies/<id>/versions`, this endpoint takes one bundle"
            ),
            lang,
        ));
    }
    let built = build_bundle(engine, catalogue, expected_id, source, members, lang)?;
    let plan = built.plan();
    Ok(CompiledBundle {
        title: plan.title.clone(),
        department: plan.department.clone(),
        built: Arc::clone(&built),
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
        Ok(mut built) => {
            let declared = built.summaries.last().and_then(|summary| {
                (summary.kind == FileKind::Bundle)
                    .then(|| summary.id.clone())
                    .flatten()
            });
            match declared {
                Some(id) if id != bundle_id => Err(SourceProblem::wrong(
                    words!(
                        "源文件声明的一件事是`{id}`，但它被发送到了`{bundle_id}`",
                        "the source declares bundle `{id}`, but it was sent to `{bundle_id}`"
                    ),
                    lang,
                )),
                _ => built.bundles.remove(bundle_id).ok_or_else(|| {
                    SourceProblem::wrong(
                        words!(
                            "源文件没有声明一件事；它必须以`bundle <id> \"<title>\"`开头",
                            "the source declares no bundle; it must start with \
                             `bundle <id> \"<title>\"`"
                        ),
                        lang,
                    )
                }),
            }
        }
        Err(project::ProjectError::Check { sources, checked }) => Err(SourceProblem::diagnostics(
            &sources,
            &checked.diagnostics,
            lang,
        )),
        Err(project::ProjectError::Compile(message)) => Err(SourceProblem::Wrong(message)),
    }
}

/// A source in force that a new catalogue is checked against: every active
/// version of every policy, and every bundle's version in force.
#[derive(Debug, Clone)]
pub struct InForce {
    pub kind: Kind,
    pub id: String,
    pub version: i64,
    pub source: String,
}

/// A policy version or bundle in force that a new catalogue breaks.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Broken {
    /// `policy` or `bundle`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    pub id: String,
    pub version: i64,
    /// Why, in the configured language.
    pub message: String,
    /// The checker's errors with their source lines, in the configured language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
}

impl Broken {
    /// `policy `id` (version 2)`, for a message.
    pub fn name(&self) -> String {
        format!("{} `{}` (version {})", self.kind, self.id, self.version)
    }
}

/// Why a new catalogue cannot be published.
#[derive(Debug)]
pub enum CatalogueProblem {
    /// The catalogue itself has errors or is no catalogue.
    Source(SourceProblem),
    /// It is fine alone, but these in force no longer check against it.
    Breaks(Vec<Broken>),
}

/// Everything in force, compiled again against a new catalogue.
#[derive(Debug, Default)]
pub struct CatalogueBuild {
    /// Each active policy version: (id, version) → artifact and loaded policy.
    pub policies: BTreeMap<(String, i64), (Vec<u8>, Arc<LoadedPolicy>)>,
    /// Each bundle in force, built on its members' newest active versions.
    pub bundles: BTreeMap<String, Arc<LoadedBundle>>,
}

/// Checks `catalogue` together with everything in force and compiles it
/// all again: the newest active version of each policy and every bundle
/// in force in one check (so bundles see their members), each older active
/// policy version on its own. Every policy or bundle that no longer checks
/// is named with its diagnostics; nothing is half built.
pub fn build_with_catalogue(
    engine: &Engine,
    catalogue: &str,
    in_force: &[InForce],
    lang: Lang,
) -> Result<CatalogueBuild, CatalogueProblem> {
    if let Some(kind) = read_header(catalogue).kind {
        let declares = match kind {
            Kind::Bundle => words!("一件事", "a bundle"),
            Kind::Policy | Kind::Catalogue => words!("事项规则", "a policy"),
        };
        return Err(CatalogueProblem::Source(SourceProblem::wrong(
            words!(
                "源文件声明的是{declares}；目录只声明部门、共享数据、材料和工作日历",
                "the source declares {declares}; the catalogue declares departments, datasets, \
                 materials and calendars only",
                declares = declares,
            ),
            lang,
        )));
    }
    // The newest active version of each policy and every bundle, checked together.
    let mut newest: BTreeMap<(Kind, &str), &InForce> = BTreeMap::new();
    for item in in_force {
        let key = (item.kind, item.id.as_str());
        if newest
            .get(&key)
            .is_none_or(|seen| seen.version < item.version)
        {
            newest.insert(key, item);
        }
    }
    let together: Vec<&InForce> = newest.values().copied().collect();
    let mut files = vec![(PathBuf::from("catalogue.rules"), catalogue.to_string())];
    for item in &together {
        files.push((
            PathBuf::from(format!("{}.rules", item.id)),
            item.source.clone(),
        ));
    }
    let mut sources = SourceSet::new();
    for (path, text) in &files {
        sources.add(path.display().to_string(), text.clone());
    }
    let checked = rules_dsl::check(&sources);
    let errors_of = |file: usize| -> Vec<Diagnostic> {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.file == file && d.is_error())
            .cloned()
            .collect()
    };
    let own = errors_of(0);
    if !own.is_empty() {
        return Err(CatalogueProblem::Source(SourceProblem::diagnostics(
            &sources, &own, lang,
        )));
    }
    if checked.files[0].kind != FileKind::Catalogue {
        return Err(CatalogueProblem::Source(SourceProblem::wrong(
            words!(
                "源文件没有声明任何目录条目（部门、共享数据、材料、工作日历）",
                "the source declares nothing of a catalogue (departments, datasets, materials, \
                 calendars)"
            ),
            lang,
        )));
    }
    let mut broken = Vec::new();
    let broken_policies: BTreeSet<&str> = together
        .iter()
        .enumerate()
        .filter(|(index, item)| item.kind == Kind::Policy && checked.files[index + 1].has_errors)
        .map(|(_, item)| item.id.as_str())
        .collect();
    for (index, item) in together.iter().enumerate() {
        let file = index + 1;
        let errors = errors_of(file);
        if !errors.is_empty() {
            let SourceProblem::Diagnostics {
                message, rendered, ..
            } = SourceProblem::diagnostics(&sources, &errors, lang)
            else {
                continue;
            };
            broken.push(Broken {
                kind: item.kind.as_str(),
                id: item.id.clone(),
                version: item.version,
                message,
                diagnostics: Some(rendered),
            });
        } else if item.kind == Kind::Bundle
            && !checked.workspace.bundles.iter().any(|b| b.id == item.id)
        {
            // Clean itself, but a member no longer checks (reported above).
            let members = read_header(&item.source)
                .members
                .into_iter()
                .filter(|m| broken_policies.contains(m.as_str()))
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            broken.push(Broken {
                kind: item.kind.as_str(),
                id: item.id.clone(),
                version: item.version,
                message: words!(
                    "它的成员{members}不再能通过新目录的检查",
                    "its members {members} no longer check against the new catalogue"
                )
                .get(lang)
                .to_string(),
                diagnostics: None,
            });
        }
    }
    // Older active versions of a policy, each on its own with the catalogue.
    let mut build = CatalogueBuild::default();
    for item in in_force {
        let is_newest = newest
            .get(&(item.kind, item.id.as_str()))
            .is_some_and(|n| std::ptr::eq(*n, item));
        if item.kind != Kind::Policy || is_newest {
            continue;
        }
        match compile_policy(engine, catalogue, &item.source, &item.id, lang) {
            Ok(compiled) => {
                build.policies.insert(
                    (item.id.clone(), item.version),
                    (compiled.artifact, compiled.loaded),
                );
            }
            Err(problem) => {
                let (message, diagnostics) = match problem {
                    SourceProblem::Diagnostics {
                        message, rendered, ..
                    } => (message, Some(rendered)),
                    SourceProblem::Wrong(message) => (message, None),
                };
                broken.push(Broken {
                    kind: item.kind.as_str(),
                    id: item.id.clone(),
                    version: item.version,
                    message,
                    diagnostics,
                });
            }
        }
    }
    if !broken.is_empty() {
        broken.sort_by(|a, b| (a.kind, &a.id, a.version).cmp(&(b.kind, &b.id, b.version)));
        return Err(CatalogueProblem::Breaks(broken));
    }
    let mut project = project::build_checked(engine, &files, &checked)
        .map_err(|e| CatalogueProblem::Source(SourceProblem::Wrong(e.render(lang))))?;
    for item in &together {
        match item.kind {
            Kind::Policy => {
                let (Some(artifact), Some(loaded)) = (
                    project.artifacts.remove(&item.id),
                    project.policies.remove(&item.id),
                ) else {
                    continue;
                };
                build
                    .policies
                    .insert((item.id.clone(), item.version), (artifact.wasm, loaded));
            }
            Kind::Bundle => {
                if let Some(bundle) = project.bundles.remove(&item.id) {
                    build.bundles.insert(item.id.clone(), bundle);
                }
            }
            Kind::Catalogue => {}
        }
    }
    Ok(build)
}

/// One scenario that did not give what it expects.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioFailure {
    /// The policy or bundle the scenario belongs to, when a catalogue
    /// publish runs the scenarios of all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
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
    run_each(scenarios, lang, |day, request| {
        (day >= from_day).then(|| evaluate_policy(policy, request, lang))
    })
}

fn evaluate_policy(
    policy: &LoadedPolicy,
    request: &[u8],
    lang: Lang,
) -> Result<serde_json::Value, String> {
    let mut json = Vec::new();
    match policy.evaluate_json(request, &mut json) {
        Ok(_) => serde_json::from_slice(&json).map_err(|e| e.to_string()),
        Err(error) => Err(
            words!("判定失败：{error}", "the evaluation failed: {error}")
                .get(lang)
                .to_string(),
        ),
    }
}

/// Every stored scenario of every policy and bundle in `registry`, each
/// against what `registry` has in force on its application date (a policy
/// scenario dated before any version is skipped): what the service would
/// answer. The failures name their policy or bundle.
pub fn run_every_scenario(registry: &Registry, lang: Lang) -> (usize, Vec<ScenarioFailure>) {
    let mut run = 0;
    let mut failures = Vec::new();
    for ((kind, id), scenarios) in &registry.scenarios {
        let (count, found) = match kind {
            Kind::Policy => run_each(scenarios, lang, |day, request| {
                let version = registry.in_force(id, day).ok()?;
                Some(evaluate_policy(&version.loaded, request, lang))
            }),
            Kind::Bundle => match registry.bundles.get(id) {
                Some(entry) => run_bundle_scenarios(&entry.built, registry, scenarios, lang),
                None => (0, Vec::new()),
            },
            Kind::Catalogue => (0, Vec::new()),
        };
        run += count;
        failures.extend(found.into_iter().map(|failure| ScenarioFailure {
            subject: Some(id.clone()),
            ..failure
        }));
    }
    (run, failures)
}

/// Runs every scenario of a bundle against `bundle`, each member at its
/// version in force on the scenario's application date in `registry` (as
/// `POST /v1/bundles/{id}/evaluate` answers). The problems are told in `lang`.
pub fn run_bundle_scenarios(
    bundle: &LoadedBundle,
    registry: &Registry,
    scenarios: &[ScenarioText],
    lang: Lang,
) -> (usize, Vec<ScenarioFailure>) {
    run_each(scenarios, lang, |day, request| {
        Some(evaluate_bundle(bundle, registry, day, request, lang))
    })
}

/// The bundle's decision with each member at its version in force on `day`.
fn evaluate_bundle(
    bundle: &LoadedBundle,
    registry: &Registry,
    day: i64,
    request: &[u8],
    lang: Lang,
) -> Result<serde_json::Value, String> {
    let mut members = Vec::new();
    for member in &bundle.plan().members {
        let Ok(version) = registry.in_force(member, day) else {
            let date = crate::service::clock::day_text(day);
            return Err(words!(
                "成员`{member}`在{date}没有生效的版本",
                "member `{member}` has no version in force on {date}"
            )
            .get(lang)
            .to_string());
        };
        members.push(Arc::clone(&version.loaded));
    }
    match bundle.with_members(members).evaluate(request) {
        Ok(decision) => serde_json::to_value(&decision).map_err(|e| e.to_string()),
        Err(error) => Err(
            words!("判定失败：{error}", "the evaluation failed: {error}")
                .get(lang)
                .to_string(),
        ),
    }
}

/// Each scenario evaluated by `evaluate` (given the application day and
/// the request; `None`: the scenario is not run) and compared with what it
/// expects.
fn run_each(
    scenarios: &[ScenarioText],
    lang: Lang,
    evaluate: impl Fn(i64, &[u8]) -> Option<Result<serde_json::Value, String>>,
) -> (usize, Vec<ScenarioFailure>) {
    let mut run = 0;
    let mut failures = Vec::new();
    for text in scenarios {
        let parsed = match scenario::parse(&text.toml) {
            Ok(parsed) => parsed,
            Err(message) => {
                failures.push(ScenarioFailure {
                    subject: None,
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
        let Some(outcome) = evaluate(day, parsed.request_json().as_bytes()) else {
            continue;
        };
        run += 1;
        let problems = match outcome {
            Ok(actual) => parsed
                .mismatches(&actual)
                .iter()
                .map(|m| m.text(lang))
                .collect(),
            Err(problem) => vec![problem],
        };
        if !problems.is_empty() {
            failures.push(ScenarioFailure {
                subject: None,
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
