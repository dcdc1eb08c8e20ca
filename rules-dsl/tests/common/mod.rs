//! Shared helpers for the corpus, formatter and property tests.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::expect_used,
    reason = "a broken test corpus should stop the tests loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rules_dsl::check::{Checked, check_parsed};
use rules_dsl::syntax::{self, Parsed, SyntaxError};
use rules_dsl::{Diagnostic, Lang, SourceSet};

pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

/// A file's text as the CLI reads it: invalid UTF-8 becomes an E0100 error.
pub fn read_source(path: &Path) -> (String, Parsed) {
    let bytes = std::fs::read(path).expect("readable test file");
    match String::from_utf8(bytes) {
        Ok(text) => {
            let parsed = syntax::parse(&text);
            (text, parsed)
        }
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            (
                lossy,
                Parsed {
                    errors: vec![SyntaxError::InvalidUtf8 { offset }],
                    ..Parsed::default()
                },
            )
        }
    }
}

fn rules_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "rules"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

pub struct Case {
    pub source: String,
    /// The case's own diagnostics in Chinese (the default) and in English.
    pub rendered: String,
    pub rendered_en: String,
    pub ir: String,
    pub errors: usize,
    pub codes: BTreeSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Case {
    pub fn snapshot(&self) -> String {
        let mut out = format!("--- source\n{}", self.source);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        if !self.rendered.is_empty() {
            out.push_str("--- diagnostics\n");
            out.push_str(&self.rendered);
            out.push_str("--- diagnostics (en)\n");
            out.push_str(&self.rendered_en);
        }
        if !self.ir.is_empty() {
            out.push_str("--- ir\n");
            out.push_str(&self.ir);
        }
        out
    }
}

/// The files a case is checked with: the case first, then its context.
pub fn case_sources(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    if !path.starts_with(CORPUS) {
        // A shipped policy: its context is the catalogue and policies beside it.
        let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        files.extend(
            all_rules_files()
                .into_iter()
                .filter(|f| f.starts_with(&policies) && f != path),
        );
        return files;
    }
    let alone = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("no_catalogue"));
    if !alone {
        files.push(Path::new(CORPUS).join("catalogue.rules"));
        files.extend(rules_files(&Path::new(CORPUS).join("members")));
    }
    files
}

pub fn check_files(paths: &[PathBuf]) -> (SourceSet, Vec<Parsed>, Checked) {
    let mut sources = SourceSet::new();
    let mut parsed = Vec::new();
    for path in paths {
        let (text, p) = read_source(path);
        let name = path
            .strip_prefix(CORPUS)
            .unwrap_or(path)
            .display()
            .to_string();
        sources.add(name, text);
        parsed.push(p);
    }
    let checked = check_parsed(&parsed);
    (sources, parsed, checked)
}

pub fn check_case(path: &Path) -> Case {
    let (sources, _, checked) = check_files(&case_sources(path));
    let own: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.file == 0)
        .cloned()
        .collect();
    let rendered = sources.render(&own, false, Lang::Zh);
    let rendered_en = sources.render(&own, false, Lang::En);
    let mut ir = String::new();
    if let Some(id) = &checked.files[0].id {
        if let Some(policy) = checked.workspace.policy(id) {
            ir = policy.dump();
        } else if let Some(bundle) = checked.workspace.bundle(id) {
            ir = bundle.dump();
        }
    }
    Case {
        source: sources.get(0).map(|s| s.text.clone()).unwrap_or_default(),
        rendered,
        rendered_en,
        ir,
        errors: own.iter().filter(|d| d.is_error()).count(),
        codes: own.iter().map(|d| d.code.to_string()).collect(),
        diagnostics: own,
    }
}

/// Every `.rules` file of the corpus and of the repository's `policies/`.
pub fn all_rules_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["ok", "err", "members"] {
        files.extend(rules_files(&Path::new(CORPUS).join(dir)));
    }
    files.push(Path::new(CORPUS).join("catalogue.rules"));
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut stack = vec![policies];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rules") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
