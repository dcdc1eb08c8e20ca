//! `yici test`: run every scenario under a folder and report each failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use host::project::{self, Project, ProjectError};
use host::scenario;

use super::{TestArgs, files, io_failure};

pub fn run(args: &TestArgs, color: bool) -> ExitCode {
    let root = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("policies"));
    if !root.exists() {
        return io_failure(&format!(
            "cannot read `{}`: no such file or folder",
            root.display()
        ));
    }
    let scenario_files = match project::find_scenarios(&root) {
        Ok(found) => found,
        Err(message) => return io_failure(&message),
    };
    // The whole project the catalogue belongs to: bundles need their members.
    let project_root = files::find_catalogue(&root)
        .and_then(|c| c.parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let rules = match project::read_rules(&project_root) {
        Ok(rules) => rules,
        Err(message) => return io_failure(&message),
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(&e.to_string()),
    };
    // What builds is tested: a broken draft in another folder is shown,
    // not a reason to stop; the scenarios of a broken policy fail.
    let project = match project::build_what_checks(&engine, &rules) {
        Ok((project, errors)) => {
            if let Some(ProjectError::Check { sources, checked }) = errors {
                eprint!(
                    "{}",
                    sources.render(&checked.diagnostics, color, rules_dsl::Lang::En)
                );
                eprintln!(
                    "some files have errors (above): their scenarios fail, the others are run"
                );
            }
            project
        }
        Err(ProjectError::Check { sources, checked }) => {
            eprint!(
                "{}",
                sources.render(&checked.diagnostics, color, rules_dsl::Lang::En)
            );
            return ExitCode::from(1);
        }
        Err(ProjectError::Compile(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &scenario_files {
        match run_one(path, &project) {
            Ok(()) => passed += 1,
            Err(problems) => {
                failed += 1;
                println!("FAIL {}", files::display(path));
                for line in problems.iter().flat_map(|p| p.lines()) {
                    println!("  {line}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_one(path: &Path, project: &Project) -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("cannot read the scenario: {e}")])?;
    let scenario =
        scenario::parse(&text).map_err(|e| vec![format!("the scenario file is not valid: {e}")])?;
    let folder = project::scenario_folder(path)
        .ok_or_else(|| vec!["a scenario lives in `<policy folder>/scenarios/`".to_string()])?;
    let actual = project
        .evaluate_in(&folder, scenario.request_json().as_bytes())
        .map_err(|e| vec![format!("{}: {e}", scenario.name)])?;
    let mismatches = scenario.mismatches(&actual);
    if mismatches.is_empty() {
        return Ok(());
    }
    let mut problems = vec![scenario.name.clone()];
    problems.extend(mismatches.iter().map(ToString::to_string));
    // Which rule went which way, to see why.
    if let Some(rules) = actual["rules"].as_array() {
        let results: Vec<String> = rules
            .iter()
            .map(|rule| {
                let result = match rule["result"].as_bool() {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "unknown",
                };
                format!("{} = {result}", rule["id"].as_str().unwrap_or("?"))
            })
            .collect();
        problems.push(format!("rules: {}", results.join(", ")));
    }
    Err(problems)
}
