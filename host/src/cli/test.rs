//! `yici test`: run every scenario under a folder and report each failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use host::scenario;
use rules_dsl::codegen::{self, CompileOptions};

use super::{TestArgs, files, io_failure, workspace};

pub fn run(args: &TestArgs, color: bool) -> ExitCode {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("policies"));
    if !root.exists() {
        return io_failure(&format!("cannot read `{}`: no such file or folder", root.display()));
    }
    let scenario_files = match find_scenarios(&root) {
        Ok(found) => found,
        Err(message) => return io_failure(&message),
    };
    let rules_root = if root.is_dir() { root.clone() } else { policy_folder(&root).unwrap_or_else(|| PathBuf::from(".")) };
    let rule_files = match files::collect(&[rules_root]) {
        Ok(found) => found,
        Err(message) => return io_failure(&message),
    };
    let loaded = match workspace::load(&rule_files, None) {
        Ok(loaded) => loaded,
        Err(message) => return io_failure(&message),
    };
    let (rendered, errors, _) = loaded.render_requested(color);
    if errors > 0 {
        eprint!("{rendered}");
        eprintln!("the policies have errors; fix them before running scenarios");
        return ExitCode::from(1);
    }
    // Which policy each folder holds.
    let mut folder_policy: HashMap<PathBuf, String> = HashMap::new();
    for (index, path) in rule_files.iter().enumerate() {
        if let (Some(id), Some(folder)) = (loaded.checked.files.get(index).and_then(|f| f.id.clone()), path.parent()) {
            folder_policy.insert(canonical(folder), id);
        }
    }
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(&e.to_string()),
    };
    let mut compiled: HashMap<String, std::sync::Arc<engine::LoadedPolicy>> = HashMap::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &scenario_files {
        let shown = files::display(path);
        let outcome = run_one(path, &loaded, &folder_policy, &engine, &mut compiled);
        match outcome {
            Ok(()) => passed += 1,
            Err(problems) => {
                failed += 1;
                println!("FAIL {shown}");
                for problem in problems {
                    for line in problem.lines() {
                        println!("  {line}");
                    }
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn run_one(
    path: &Path,
    loaded: &workspace::Loaded,
    folder_policy: &HashMap<PathBuf, String>,
    engine: &engine::Engine,
    compiled: &mut HashMap<String, std::sync::Arc<engine::LoadedPolicy>>,
) -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("cannot read the scenario: {e}")])?;
    let scenario = scenario::parse(&text).map_err(|e| vec![format!("the scenario file is not valid: {e}")])?;
    let folder = policy_folder(path).ok_or_else(|| vec!["a scenario lives in `<policy folder>/scenarios/`".to_string()])?;
    let id = folder_policy
        .get(&canonical(&folder))
        .ok_or_else(|| vec![format!("no policy in `{}`", folder.display())])?;
    if !compiled.contains_key(id) {
        let Some(policy) = loaded.checked.workspace.policy(id) else {
            return Err(vec![format!("`{id}` is a bundle; bundle scenarios are not supported yet")]);
        };
        let source = loaded
            .checked
            .files
            .iter()
            .position(|f| f.id.as_deref() == Some(id.as_str()))
            .and_then(|i| loaded.sources.get(i))
            .map(|s| s.text.clone())
            .unwrap_or_default();
        let options = CompileOptions { source_hash: codegen::source_hash(&source), ..CompileOptions::default() };
        let artifact = codegen::compile(policy, &options).map_err(|e| vec![e.to_string()])?;
        let policy = engine.load(&artifact.wasm).map_err(|e| vec![e.to_string()])?;
        compiled.insert(id.clone(), policy);
    }
    let policy = &compiled[id];
    let decision = policy.evaluate(scenario.request_json().as_bytes()).map_err(|e| vec![format!("{}: {e}", scenario.name)])?;
    let actual = serde_json::to_value(&decision).map_err(|e| vec![e.to_string()])?;
    let mismatches = scenario.mismatches(&actual);
    if mismatches.is_empty() {
        return Ok(());
    }
    let mut problems = vec![format!("{}", scenario.name)];
    problems.extend(mismatches.iter().map(ToString::to_string));
    Err(problems)
}

/// `policies/x/scenarios/a.toml` → `policies/x`.
fn policy_folder(scenario: &Path) -> Option<PathBuf> {
    let scenarios = scenario.parent()?;
    if scenarios.file_name()? != "scenarios" {
        return None;
    }
    scenarios.parent().map(Path::to_path_buf)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Every `scenarios/*.toml` under `root` (or `root` itself if it is one).
fn find_scenarios(root: &Path) -> Result<Vec<PathBuf>, String> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read folder `{}`: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml")
                && path.parent().and_then(Path::file_name).is_some_and(|n| n == "scenarios")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}
