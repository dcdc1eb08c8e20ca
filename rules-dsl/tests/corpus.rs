//! The corpus: every `.rules` file under `corpus/ok` and `corpus/err` is
//! checked together with `corpus/catalogue.rules` and the member policies in
//! `corpus/members/`, and snapshotted with its source. A new case is a new
//! file; `cargo insta test --review` shows the result.
//!
//! Conventions: `ok/` files have no errors (warnings are shown); `err/` files
//! have at least one. A file named `no_catalogue*` is checked without the
//! catalogue.

#![allow(
    clippy::expect_used,
    reason = "a broken test corpus should stop the tests loudly"
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{CORPUS, check_case};
use rules_dsl::diagnostic::CODES;
use rules_dsl::{Diagnostic, Words};

#[test]
fn ok_cases_check_cleanly() {
    insta::glob!("corpus/ok/*.rules", |path| {
        let case = check_case(path);
        assert_eq!(
            case.errors,
            0,
            "{} should have no errors:\n{}",
            path.display(),
            case.rendered
        );
        insta::assert_snapshot!(case.snapshot());
    });
}

#[test]
fn err_cases_report_errors() {
    insta::glob!("corpus/err/*.rules", |path| {
        let case = check_case(path);
        assert!(case.errors > 0, "{} should have errors", path.display());
        insta::assert_snapshot!(case.snapshot());
    });
}

/// Every documented code is produced by at least one corpus case; every
/// code the checker can produce is documented in English
/// (docs/diagnostics.md) and in Chinese (docs/diagnostics.zh.md); and every
/// diagnostic the corpus produces says everything in both languages.
#[test]
fn every_code_is_covered_and_documented() {
    let mut produced = BTreeSet::new();
    let mut untranslated = Vec::new();
    for dir in ["ok", "err"] {
        for entry in std::fs::read_dir(Path::new(CORPUS).join(dir)).expect("corpus folder") {
            let path = entry.expect("corpus entry").path();
            if path.extension().is_some_and(|e| e == "rules") {
                let case = check_case(&path);
                produced.extend(case.codes);
                for diagnostic in &case.diagnostics {
                    untranslated.extend(
                        in_both_languages(diagnostic)
                            .into_iter()
                            .map(|part| format!("{}: {} {part}", path.display(), diagnostic.code)),
                    );
                }
            }
        }
    }
    assert!(
        untranslated.is_empty(),
        "texts missing in one language:\n{}",
        untranslated.join("\n")
    );
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let english =
        std::fs::read_to_string(docs.join("diagnostics.md")).expect("docs/diagnostics.md");
    let chinese =
        std::fs::read_to_string(docs.join("diagnostics.zh.md")).expect("docs/diagnostics.zh.md");
    let mut missing_cases = Vec::new();
    let mut missing_docs = Vec::new();
    let mut missing_docs_zh = Vec::new();
    for code in CODES {
        let section = format!("## {}", code.code);
        if !produced.contains(code.code) {
            missing_cases.push(code.code);
        }
        if !english.contains(&section) {
            missing_docs.push(code.code);
        }
        if !chinese.contains(&section) {
            missing_docs_zh.push(code.code);
        }
        assert!(
            has_chinese(code.zh) && !code.en.is_empty(),
            "{}: a summary in both languages in CODES",
            code.code
        );
    }
    assert!(
        missing_cases.is_empty(),
        "codes without a corpus case: {missing_cases:?}"
    );
    assert!(
        missing_docs.is_empty(),
        "codes without a `## CODE` section in docs/diagnostics.md: {missing_docs:?}"
    );
    assert!(
        missing_docs_zh.is_empty(),
        "codes without a `## CODE` section in docs/diagnostics.zh.md: {missing_docs_zh:?}"
    );
    let known: BTreeSet<&str> = CODES.iter().map(|c| c.code).collect();
    let unknown: Vec<&String> = produced
        .iter()
        .filter(|c| !known.contains(c.as_str()))
        .collect();
    assert!(unknown.is_empty(), "codes missing from CODES: {unknown:?}");
}

/// The parts of a diagnostic that say something in English but not in
/// Chinese: the message, the label, each related label and the help. A
/// Chinese text must hold Chinese words (not only the English copied).
fn in_both_languages(diagnostic: &Diagnostic) -> Vec<String> {
    let mut parts: Vec<(&str, Option<&Words>)> = vec![
        ("message", Some(&diagnostic.message)),
        ("label", Some(&diagnostic.label)),
        ("help", diagnostic.help.as_ref()),
    ];
    parts.extend(
        diagnostic
            .related
            .iter()
            .map(|related| ("related label", Some(&related.label))),
    );
    let mut missing = Vec::new();
    for (part, words) in parts {
        let Some(words) = words else { continue };
        let required = part == "message" || !words.en.is_empty();
        if required && (words.en.is_empty() || !has_chinese(&words.zh)) {
            missing.push(format!("{part}: zh {:?} / en {:?}", words.zh, words.en));
        }
    }
    missing
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}
