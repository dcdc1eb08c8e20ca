//! `yici check`: report every mistake in the given policies.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use rules_dsl::SourceSet;
use rules_dsl::check::check_parsed;
use rules_dsl::syntax::{self, Parsed, SyntaxError};

use super::files::{self, Contents};
use super::{CheckArgs, io_failure};

pub fn run(args: &CheckArgs, color: bool) -> ExitCode {
    let requested = match files::collect(&args.paths) {
        Ok(files) => files,
        Err(message) => return io_failure(&message),
    };
    // The catalogue and the policies beside it are context: bundles need
    // their members, policies need the catalogue. Only the requested files'
    // diagnostics are shown.
    let catalogue = match &args.catalogue {
        Some(path) if !path.is_file() => {
            return io_failure(&format!(
                "cannot read catalogue `{}`: no such file",
                path.display()
            ));
        }
        Some(path) => Some(path.clone()),
        None => args.paths.iter().find_map(|p| files::find_catalogue(p)),
    };
    let mut context: Vec<PathBuf> = Vec::new();
    if let Some(catalogue) = &catalogue {
        context.push(catalogue.clone());
        if let Some(dir) = files::folder_of(catalogue) {
            match files::collect(&[dir]) {
                Ok(found) => context.extend(found),
                Err(message) => return io_failure(&message),
            }
        }
    }
    let canonical = |p: &PathBuf| fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    let requested_set: HashSet<PathBuf> = requested.iter().map(canonical).collect();
    let mut all: Vec<PathBuf> = requested.clone();
    let mut seen: HashSet<PathBuf> = requested_set.clone();
    for path in context {
        if seen.insert(canonical(&path)) {
            all.push(path);
        }
    }

    let mut sources = SourceSet::new();
    let mut parsed: Vec<Parsed> = Vec::with_capacity(all.len());
    for path in &all {
        match files::read(path) {
            Ok(Contents::Text(text)) => {
                parsed.push(syntax::parse(&text));
                sources.add(files::display(path), text);
            }
            Ok(Contents::NotUtf8 { lossy, offset }) => {
                parsed.push(Parsed {
                    errors: vec![SyntaxError::InvalidUtf8 { offset }],
                    ..Parsed::default()
                });
                sources.add(files::display(path), lossy);
            }
            Err(message) => return io_failure(&message),
        }
    }
    let checked = check_parsed(&parsed);
    let shown: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| requested_set.contains(&canonical(&all[d.file])))
        .cloned()
        .collect();
    eprint!("{}", sources.render(&shown, color, rules_dsl::Lang::En));
    let errors = shown.iter().filter(|d| d.is_error()).count();
    let warnings = shown.len() - errors;
    if args.ir {
        for (file, summary) in checked.files.iter().enumerate() {
            if !requested_set.contains(&canonical(&all[file])) {
                continue;
            }
            let Some(id) = &summary.id else { continue };
            if let Some(policy) = checked.workspace.policy(id) {
                println!("{}", policy.dump());
            } else if let Some(bundle) = checked.workspace.bundle(id) {
                println!("{}", bundle.dump());
            }
        }
    }
    eprintln!(
        "checked {} file{}: {} error{}, {} warning{}",
        requested.len(),
        plural(requested.len()),
        errors,
        plural(errors),
        warnings,
        plural(warnings)
    );
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
