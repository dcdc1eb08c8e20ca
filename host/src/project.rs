//! A project: the catalogue, policies and bundles of a folder, checked
//! together, compiled, and loaded into one engine — what `yici test`, the
//! workspace tests (and the service) evaluate against.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::{BundlePlan, Engine, LoadedBundle, LoadedPolicy};
use rules_dsl::check::Checked;
use rules_dsl::codegen::{self, CompileOptions};
use rules_dsl::{Lang, SourceSet, Words, words};

/// What failed while building a project.
#[derive(Debug)]
pub enum ProjectError {
    /// The sources have errors; render them with `sources`.
    Check {
        sources: SourceSet,
        checked: Box<Checked>,
    },
    /// The code generator's or the engine's message (English).
    Compile(String),
}

impl ProjectError {
    /// The errors as text in `lang` (diagnostics with their source lines).
    pub fn render(&self, lang: Lang) -> String {
        match self {
            ProjectError::Check { sources, checked } => {
                sources.render(&checked.diagnostics, false, lang)
            }
            ProjectError::Compile(message) => message.clone(),
        }
    }
}

/// In the default language (Chinese).
impl std::fmt::Display for ProjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::default()))
    }
}

pub struct Project {
    pub policies: HashMap<String, Arc<LoadedPolicy>>,
    /// Each policy's compiled artifact (module bytes and manifest), kept so
    /// that the service's first start stores what was built here instead of
    /// checking and compiling every policy again.
    pub artifacts: HashMap<String, codegen::Artifact>,
    /// What each input file is (in input order): its kind and id.
    pub summaries: Vec<rules_dsl::check::FileSummary>,
    pub bundles: HashMap<String, Arc<LoadedBundle>>,
    /// Folder (canonical) → the policy or bundle id declared in it.
    pub folders: HashMap<PathBuf, String>,
    /// Per policy: each rule's name and the facts and `let`s it reads, so a
    /// failed scenario shows the values behind each rule's result.
    pub reads: HashMap<String, Vec<(String, Vec<rules_dsl::ir::Read>)>>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("folders", &self.folders)
            .finish_non_exhaustive()
    }
}

/// Checks, compiles and loads `files` (path and text of every `.rules` file).
pub fn build(engine: &Engine, files: &[(PathBuf, String)]) -> Result<Project, ProjectError> {
    let mut sources = SourceSet::new();
    for (path, text) in files {
        sources.add(path.display().to_string(), text.clone());
    }
    let checked = rules_dsl::check(&sources);
    if checked.error_count() > 0 {
        return Err(ProjectError::Check {
            sources,
            checked: Box::new(checked),
        });
    }
    build_checked(engine, files, &checked)
}

/// What of a project builds: every policy and bundle whose files have no
/// errors (a broken draft in one folder does not stop the others), and the
/// errors, when there are any, to show. `yici test` runs on it.
pub fn build_what_checks(
    engine: &Engine,
    files: &[(PathBuf, String)],
) -> Result<(Project, Option<ProjectError>), ProjectError> {
    let mut sources = SourceSet::new();
    for (path, text) in files {
        sources.add(path.display().to_string(), text.clone());
    }
    let checked = rules_dsl::check(&sources);
    let project = build_checked(engine, files, &checked)?;
    let errors = (checked.error_count() > 0).then(|| ProjectError::Check {
        sources,
        checked: Box::new(checked),
    });
    Ok((project, errors))
}

/// Compiles and loads what `checked` (the check of `files`) holds the IR
/// of: the files without errors.
pub fn build_checked(
    engine: &Engine,
    files: &[(PathBuf, String)],
    checked: &Checked,
) -> Result<Project, ProjectError> {
    let mut policies = HashMap::new();
    let mut artifacts = HashMap::new();
    let mut folders = HashMap::new();
    let mut reads = HashMap::new();
    for (index, (path, text)) in files.iter().enumerate() {
        let Some(id) = checked.files[index].id.clone() else {
            continue;
        };
        if let Some(folder) = path.parent() {
            folders.insert(canonical(folder), id.clone());
        }
        let Some(policy) = checked.workspace.policy(&id) else {
            continue;
        };
        let options = CompileOptions {
            source_hash: codegen::source_hash(text),
            ..CompileOptions::default()
        };
        let artifact =
            codegen::compile(policy, &options).map_err(|e| ProjectError::Compile(e.to_string()))?;
        let loaded = engine
            .load(&artifact.wasm)
            .map_err(|e| ProjectError::Compile(e.to_string()))?;
        let rule_reads = (0..policy.rules.len())
            .map(|i| (policy.rules[i].name.clone(), policy.reads_of_rule(i)))
            .collect();
        reads.insert(id.clone(), rule_reads);
        policies.insert(id.clone(), loaded);
        artifacts.insert(id, artifact);
    }
    let mut bundles = HashMap::new();
    for bundle in &checked.workspace.bundles {
        let artifact = codegen::compile_bundle_entry(bundle, &CompileOptions::default())
            .map_err(|e| ProjectError::Compile(e.to_string()))?;
        let entry = engine
            .load(&artifact.wasm)
            .map_err(|e| ProjectError::Compile(e.to_string()))?;
        let members: Vec<Arc<LoadedPolicy>> = bundle
            .members
            .iter()
            .filter_map(|m| policies.get(m).cloned())
            .collect();
        let plan = BundlePlan {
            id: bundle.id.clone(),
            title: bundle.title.clone(),
            department: bundle.department.clone(),
            members: bundle.members.clone(),
            links: bundle
                .links
                .iter()
                .map(|l| engine::bundle::BundleLink {
                    material: l.material.clone(),
                    from: l.from.clone(),
                    from_step: l.from_step.clone(),
                    to: l.to.clone(),
                })
                .collect(),
        };
        bundles.insert(
            bundle.id.clone(),
            Arc::new(LoadedBundle::new(plan, entry, members)),
        );
    }
    Ok(Project {
        policies,
        artifacts,
        summaries: checked.files.clone(),
        bundles,
        folders,
        reads,
    })
}

impl Project {
    /// Each rule of the policy declared in `folder` with what it reads.
    pub fn reads_in(&self, folder: &Path) -> Option<&Vec<(String, Vec<rules_dsl::ir::Read>)>> {
        let id = self.folders.get(&canonical(folder))?;
        self.reads.get(id)
    }

    /// Evaluates a request against the policy or bundle declared in `folder`,
    /// giving the decision as JSON.
    pub fn evaluate_in(
        &self,
        folder: &Path,
        request_json: &[u8],
    ) -> Result<serde_json::Value, Words> {
        let id = self.folders.get(&canonical(folder)).ok_or_else(|| {
            let folder = folder.display();
            words!(
                "`{folder}`中没有事项规则或一件事",
                "no policy or bundle in `{folder}`"
            )
        })?;
        self.evaluate(id, request_json)
    }

    /// The engine's refusals (a fact missing or malformed …) in both languages.
    pub fn evaluate(&self, id: &str, request_json: &[u8]) -> Result<serde_json::Value, Words> {
        let engine_error = |e: engine::EvalError| e.message();
        let json_error = |e: serde_json::Error| Words::same(e.to_string());
        if let Some(policy) = self.policies.get(id) {
            // The service's writer (straight from the instance's memory), so
            // the scenario snapshots check its output.
            let mut session = policy.session().map_err(engine_error)?;
            let meta = session.encode(request_json).map_err(engine_error)?;
            session.run().map_err(engine_error)?;
            let mut json = Vec::new();
            session.write_json(&meta, &mut json);
            return serde_json::from_slice(&json).map_err(json_error);
        }
        if let Some(bundle) = self.bundles.get(id) {
            let decision = bundle.evaluate(request_json).map_err(engine_error)?;
            return serde_json::to_value(&decision).map_err(json_error);
        }
        Err(words!(
            "`{id}`未能构建：它的文件有错误（见上）；它的场景无法运行",
            "`{id}` did not build: its file has errors (shown above); its scenarios cannot run"
        ))
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Every `.rules` file under `dir` with its text, sorted.
pub fn read_rules(dir: &Path) -> Result<Vec<(PathBuf, String)>, Words> {
    let paths = crate::files::walk(dir, |p| crate::files::has_extension(p, "rules"))?;
    paths
        .into_iter()
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|t| (p.clone(), t))
                .map_err(|e| {
                    let path = p.display();
                    words!("无法读取`{path}`：{e}", "cannot read `{path}`: {e}")
                })
        })
        .collect()
}

/// Every `scenarios/*.toml` under `root`, sorted.
pub fn find_scenarios(root: &Path) -> Result<Vec<PathBuf>, Words> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    crate::files::walk(root, |path| {
        crate::files::has_extension(path, "toml")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "scenarios")
    })
}

pub fn scenario_folder(scenario: &Path) -> Option<PathBuf> {
    let scenarios = scenario.parent()?;
    if scenarios.file_name()? != "scenarios" {
        return None;
    }
    scenarios.parent().map(Path::to_path_buf)
}
