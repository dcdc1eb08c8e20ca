//! `yici eval`: evaluate one application against a policy and print the decision.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{EvalArgs, compile, io_failure};

pub fn run(args: &EvalArgs, color: bool) -> ExitCode {
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
    match policy.evaluate_facts(&facts, &date, &shared) {
        Ok(decision) => match serde_json::to_string_pretty(&decision) {
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
    engine::decode::date_text(days)
}
