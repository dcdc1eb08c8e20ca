//! `yici test`: run every scenario under a folder and report each failure.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use host::project::{self, Project, ProjectError};
use host::scenario;
use rules_dsl::{Lang, Words, words};

use super::{Output, TestArgs, files, io_failure};

pub fn run(args: &TestArgs, output: Output) -> ExitCode {
    let root = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("policies"));
    if !root.exists() {
        let shown = root.display();
        return io_failure(
            output,
            &words!(
                "无法读取`{shown}`：文件或文件夹不存在",
                "cannot read `{shown}`: no such file or folder"
            ),
        );
    }
    let scenario_files = match project::find_scenarios(&root) {
        Ok(found) => found,
        Err(message) => return io_failure(output, &message),
    };
    // The whole project the catalogue belongs to: bundles need their members.
    let project_root = files::find_catalogue(&root)
        .and_then(|c| c.parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let rules = match project::read_rules(&project_root) {
        Ok(rules) => rules,
        Err(message) => return io_failure(output, &message),
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(output, &Words::same(e.to_string())),
    };
    // What builds is tested: a broken draft in another folder is shown,
    // not a reason to stop; the scenarios of a broken policy fail.
    let project = match project::build_what_checks(&engine, &rules) {
        Ok((project, errors)) => {
            if let Some(ProjectError::Check { sources, checked }) = errors {
                eprint!("{}", output.render(&sources, &checked.diagnostics));
                eprintln!(
                    "{}",
                    output.say(&words!(
                        "部分文件有错误（见上）：这些文件的场景记为未通过，其余场景照常运行",
                        "some files have errors (above): their scenarios fail, the others are run"
                    ))
                );
            }
            project
        }
        Err(ProjectError::Check { sources, checked }) => {
            eprint!("{}", output.render(&sources, &checked.diagnostics));
            return ExitCode::from(1);
        }
        Err(ProjectError::Compile(message)) => {
            output.error(&Words::same(message));
            return ExitCode::from(1);
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &scenario_files {
        match run_one(path, &project, output.lang) {
            Ok(()) => passed += 1,
            Err(problems) => {
                failed += 1;
                let path = files::display(path);
                println!("{}", output.say(&words!("未通过 {path}", "FAIL {path}")));
                for line in problems.iter().flat_map(|p| p.lines()) {
                    println!("  {line}");
                }
            }
        }
    }
    println!(
        "{}",
        output.say(&words!(
            "{passed}个通过，{failed}个未通过",
            "{passed} passed, {failed} failed"
        ))
    );
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One scenario: nothing when it passes, else its problems in `lang`.
fn run_one(path: &Path, project: &Project, lang: Lang) -> Result<(), Vec<String>> {
    let fail = |words: Words| vec![words.get(lang).to_string()];
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(words!(
            "无法读取场景文件：{e}",
            "cannot read the scenario: {e}"
        ))
    })?;
    // The reader's own message (which line, which field) is in English.
    let scenario = scenario::parse(&text).map_err(|e| {
        fail(words!(
            "场景文件无效：{e}",
            "the scenario file is not valid: {e}"
        ))
    })?;
    let folder = project::scenario_folder(path).ok_or_else(|| {
        fail(words!(
            "场景文件应放在`<事项文件夹>/scenarios/`中",
            "a scenario lives in `<policy folder>/scenarios/`"
        ))
    })?;
    let actual = project
        .evaluate_in(&folder, scenario.request_json().as_bytes())
        .map_err(|e| vec![format!("{}: {}", scenario.name, e.get(lang))])?;
    let mismatches = scenario.mismatches(&actual);
    if mismatches.is_empty() {
        return Ok(());
    }
    let mut problems = vec![scenario.name.clone()];
    problems.extend(mismatches.iter().map(|m| m.text(lang)));
    // Which rule went which way, and on what values, to see why.
    if let Some(rules) = actual["rules"].as_array() {
        problems.push(words!("规则：", "rules:").get(lang).to_string());
        let reads = project.reads_in(&folder);
        let request: serde_json::Value =
            serde_json::from_str(&scenario.request_json()).unwrap_or_default();
        for rule in rules {
            let id = rule["id"].as_str().unwrap_or("?");
            let result = match rule["result"].as_bool() {
                Some(true) => "true",
                Some(false) => "false",
                None => "unknown",
            };
            let read = reads
                .and_then(|rules| rules.iter().find(|(name, _)| name == id))
                .map(|(_, reads)| values_read(reads, &request["facts"], &actual["values"], lang))
                .unwrap_or_default();
            problems.push(format!("  {id} = {result}{read}"));
        }
    }
    Err(problems)
}

/// `（读取：applicant.age = 33，months_resident = 7）`: the facts a rule reads
/// as the scenario gives them, and its `let`s as the decision reports them
/// (a `let` without a title is not reported, so not shown).
fn values_read(
    reads: &[rules_dsl::ir::Read],
    facts: &serde_json::Value,
    values: &serde_json::Value,
    lang: Lang,
) -> String {
    let shown: Vec<String> = reads
        .iter()
        .filter_map(|read| match read {
            rules_dsl::ir::Read::Fact(path) => {
                let value = path
                    .split('.')
                    .try_fold(facts, |node, key| node.get(key))
                    .or_else(|| facts.get(path.as_str()));
                Some(match value {
                    Some(value) => format!("{path} = {value}"),
                    None => match lang {
                        Lang::Zh => format!("{path} 未给出"),
                        Lang::En => format!("{path} not given"),
                    },
                })
            }
            rules_dsl::ir::Read::Let(name) => values
                .as_array()?
                .iter()
                .find(|v| v["name"] == name.as_str())
                .map(|v| format!("{name} = {}", v["value"])),
        })
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    let shown = shown.join(match lang {
        Lang::Zh => "，",
        Lang::En => ", ",
    });
    match lang {
        Lang::Zh => format!("（读取：{shown}）"),
        Lang::En => format!(" (read: {shown})"),
    }
}
