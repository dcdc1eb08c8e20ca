//! `yici eval`: evaluate one application against a policy and print the decision.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use rules_dsl::{Words, words};

use super::{EvalArgs, Output, compile, files, io_failure};

pub fn run(args: &EvalArgs, output: Output) -> ExitCode {
    if is_bundle(&args.policy) {
        return run_bundle(args, output);
    }
    let wasm = if args.policy.extension().is_some_and(|e| e == "wasm") {
        match std::fs::read(&args.policy) {
            Ok(bytes) => bytes,
            Err(e) => return io_failure(output, &files::cannot_read(&args.policy, &e)),
        }
    } else {
        match compile::compile_file(&args.policy, args.catalogue.as_deref(), output) {
            Ok(artifact) => artifact.wasm,
            Err(code) => return code,
        }
    };
    let facts = match std::fs::read(&args.facts) {
        Ok(bytes) => bytes,
        Err(e) => return io_failure(output, &cannot_read_facts(&args.facts, &e)),
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(output, &Words::same(e.to_string())),
    };
    let policy = match engine.load(&wasm) {
        Ok(policy) => policy,
        Err(e) => {
            let path = args.policy.display();
            output.error(&words!(
                "无法加载`{path}`：{e}",
                "cannot load `{path}`: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    let date = args.date.clone().unwrap_or_else(today);
    let shared: Vec<&str> = args.shared.iter().map(String::as_str).collect();
    let mut json = Vec::new();
    match policy.evaluate_facts_json(&facts, &date, &shared, &mut json) {
        // Indented for a person: the writer's JSON, re-laid out.
        Ok(_) => match serde_json::from_slice::<serde_json::Value>(&json)
            .and_then(|decision| serde_json::to_string_pretty(&decision))
        {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => io_failure(output, &Words::same(e.to_string())),
        },
        Err(error) => {
            // The engine's message names the fact and what is wrong with it.
            output.error(&error.message());
            if let Some(path) = error.path() {
                let facts = args.facts.display();
                eprintln!(
                    "{}",
                    output.say(&words!(
                        "  位置：{path}（在 {facts} 中）",
                        "  at: {path} (in {facts})"
                    ))
                );
            }
            ExitCode::from(1)
        }
    }
}

fn cannot_read_facts(path: &std::path::Path, error: &std::io::Error) -> Words {
    let path = path.display();
    words!(
        "无法读取事实文件`{path}`：{error}",
        "cannot read facts `{path}`: {error}"
    )
}

/// Today's date in UTC+8 (China Standard Time), as `YYYY-MM-DD`.
fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from((seconds + 8 * 3600) / 86_400).unwrap_or(0);
    engine::codec::date_text(days)
}

/// Whether a `.rules` file declares a bundle (its first declaration is `bundle`).
fn is_bundle(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "rules")
        && std::fs::read_to_string(path).is_ok_and(|text| {
            rules_dsl::syntax::parse(&text)
                .file
                .items
                .iter()
                .any(|i| matches!(i.kind, rules_dsl::syntax::ast::ItemKind::Bundle { .. }))
        })
}

/// A bundle needs its members: the whole project around the catalogue is built.
fn run_bundle(args: &EvalArgs, output: Output) -> ExitCode {
    let catalogue = args
        .catalogue
        .clone()
        .or_else(|| super::files::find_catalogue(&args.policy));
    let Some(root) = catalogue.as_ref().and_then(|c| c.parent()).map(|p| {
        if p.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            p
        }
    }) else {
        return io_failure(
            output,
            &words!(
                "在一件事所在的文件夹及其上级文件夹中找不到目录（`catalogue.rules`）",
                "cannot find the catalogue (`catalogue.rules`) next to or above the bundle"
            ),
        );
    };
    let rules = match host::project::read_rules(root) {
        Ok(rules) => rules,
        Err(message) => return io_failure(output, &message),
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(output, &Words::same(e.to_string())),
    };
    let project = match host::project::build(&engine, &rules) {
        Ok(project) => project,
        Err(host::project::ProjectError::Check { sources, checked }) => {
            eprint!("{}", output.render(&sources, &checked.diagnostics));
            eprintln!(
                "{}",
                output.say(&words!(
                    "无法判定：请先修正上面的错误",
                    "cannot evaluate: fix the errors above first"
                ))
            );
            return ExitCode::from(1);
        }
        Err(host::project::ProjectError::Compile(message)) => {
            output.error(&Words::same(message));
            return ExitCode::from(1);
        }
    };
    let facts = match std::fs::read_to_string(&args.facts) {
        Ok(text) => text,
        Err(e) => return io_failure(output, &cannot_read_facts(&args.facts, &e)),
    };
    let facts: serde_json::Value = match serde_json::from_str(&facts) {
        Ok(value) => value,
        Err(e) => {
            output.error(&words!(
                "事实文件不是有效的 JSON：{e}",
                "the facts are not valid JSON: {e}"
            ));
            return ExitCode::from(1);
        }
    };
    let request = serde_json::json!({
        "application_date": args.date.clone().unwrap_or_else(today),
        "facts": facts,
        "shared_available": args.shared,
    });
    let Some(parent) = args.policy.parent() else {
        return io_failure(
            output,
            &words!(
                "找不到一件事所在的文件夹",
                "cannot find the bundle's folder"
            ),
        );
    };
    let folder = if parent.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        parent
    };
    match project.evaluate_in(folder, request.to_string().as_bytes()) {
        Ok(decision) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&decision).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            output.error(&message);
            ExitCode::from(1)
        }
    }
}
