//! `yici eval`: evaluate one application against a policy and print the decision.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{EvalArgs, compile, io_failure};

pub fn run(args: &EvalArgs, color: bool) -> ExitCode {
    if is_bundle(&args.policy) {
        return run_bundle(args, color);
    }
    let wasm = if args.policy.extension().is_some_and(|e| e == "wasm") {
        match std::fs::read(&args.policy) {
            Ok(bytes) => bytes,
            Err(e) => return io_failure(&format!("cannot read `{}`: {e}", args.policy.display())),
        }
    } else {
        match compile::compile_file(&args.policy, args.catalogue.as_deref(), color) {
            Ok(artifact) => artifact.wasm,
            Err(code) => return code,
        }
    };
    let facts = match std::fs::read(&args.facts) {
        Ok(bytes) => bytes,
        Err(e) => {
            return io_failure(&format!(
                "cannot read facts `{}`: {e}",
                args.facts.display()
            ));
        }
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(&e.to_string()),
    };
    let policy = match engine.load(&wasm) {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("error: cannot load `{}`: {e}", args.policy.display());
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
            Err(e) => io_failure(&e.to_string()),
        },
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(path) = error.path() {
                eprintln!("  at: {path} (in {})", args.facts.display());
            }
            ExitCode::from(1)
        }
    }
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
fn run_bundle(args: &EvalArgs, color: bool) -> ExitCode {
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
            "cannot find the catalogue (`catalogue.rules`) next to or above the bundle",
        );
    };
    let rules = match host::project::read_rules(root) {
        Ok(rules) => rules,
        Err(message) => return io_failure(&message),
    };
    let engine = match engine::Engine::new(engine::Limits::default()) {
        Ok(engine) => engine,
        Err(e) => return io_failure(&e.to_string()),
    };
    let project = match host::project::build(&engine, &rules) {
        Ok(project) => project,
        Err(host::project::ProjectError::Check { sources, checked }) => {
            eprint!(
                "{}",
                sources.render(&checked.diagnostics, color, rules_dsl::Lang::En)
            );
            eprintln!("cannot evaluate: fix the errors above first");
            return ExitCode::from(1);
        }
        Err(host::project::ProjectError::Compile(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    };
    let facts = match std::fs::read_to_string(&args.facts) {
        Ok(text) => text,
        Err(e) => {
            return io_failure(&format!(
                "cannot read facts `{}`: {e}",
                args.facts.display()
            ));
        }
    };
    let facts: serde_json::Value = match serde_json::from_str(&facts) {
        Ok(value) => value,
        Err(e) => {
            eprintln!("error: the facts are not valid JSON: {e}");
            return ExitCode::from(1);
        }
    };
    let request = serde_json::json!({
        "application_date": args.date.clone().unwrap_or_else(today),
        "facts": facts,
        "shared_available": args.shared,
    });
    let Some(parent) = args.policy.parent() else {
        return io_failure("cannot find the bundle's folder");
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
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
