//! `yici check`: report every mistake in the given policies.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use rules_dsl::check::check_parsed;
use rules_dsl::syntax::{self, Parsed, SyntaxError};
use rules_dsl::{SourceSet, Words, words};

use super::files::{self, Contents};
use super::{CheckArgs, Output, io_failure};

pub fn run(args: &CheckArgs, output: Output) -> ExitCode {
    let requested = match files::collect(&args.paths) {
        Ok(files) => files,
        Err(message) => return io_failure(output, &message),
    };
    // The catalogue and the policies beside it are context: bundles need
    // their members, policies need the catalogue. Only the requested files'
    // diagnostics are shown.
    let catalogue = match &args.catalogue {
        Some(path) if !path.is_file() => {
            return io_failure(output, &files::no_catalogue_file(path));
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
                Err(message) => return io_failure(output, &message),
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
            Err(message) => return io_failure(output, &message),
        }
    }
    let checked = check_parsed(&parsed);
    let shown: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| requested_set.contains(&canonical(&all[d.file])))
        .cloned()
        .collect();
    eprint!("{}", output.render(&sources, &shown));
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
        "{}",
        output.say(&summary(requested.len(), errors, warnings))
    );
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The last line: `checked 2 files: 1 error, 0 warnings`.
fn summary(files: usize, errors: usize, warnings: usize) -> Words {
    let (file_s, error_s, warning_s) = (plural(files), plural(errors), plural(warnings));
    words!(
        "已检查{files}个文件：{errors}个错误，{warnings}个警告",
        "checked {files} file{file_s}: {errors} error{error_s}, {warnings} warning{warning_s}"
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
