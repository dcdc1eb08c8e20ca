//! The formatter's two promises, over every file of the corpus and `policies/`:
//! formatting twice changes nothing, and formatting never changes meaning
//! (the typed IR, and the diagnostic codes, are the same before and after).

#![allow(
    clippy::expect_used,
    reason = "a test should stop loudly on a broken fixture"
)]

mod common;

use std::path::PathBuf;

use common::{all_rules_files, case_sources, check_files};

#[test]
fn formatting_is_idempotent_and_keeps_meaning() {
    let mut formatted_count = 0;
    for path in all_rules_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not UTF-8: the corpus case for E0100
        };
        let Ok(once) = rules_dsl::format::format(&text) else {
            continue; // syntax errors: the formatter refuses, as tested below
        };
        let twice = rules_dsl::format::format(&once).expect("formatted output parses");
        assert_eq!(
            once,
            twice,
            "formatting {} twice changed it",
            path.display()
        );
        formatted_count += 1;

        // Same meaning: check the file and its formatted copy with the same context.
        let context = case_sources(&path);
        let (_, _, before) = check_files(&context);
        let copy = std::env::temp_dir().join(format!(
            "yici-fmt-{}-{}",
            std::process::id(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        std::fs::write(&copy, &once).expect("temp file");
        let mut with_copy: Vec<PathBuf> = context.clone();
        with_copy[0] = copy.clone();
        let (_, _, after) = check_files(&with_copy);
        let _ = std::fs::remove_file(&copy);
        let codes = |c: &rules_dsl::Checked| -> Vec<&'static str> {
            c.diagnostics
                .iter()
                .filter(|d| d.file == 0)
                .map(|d| d.code)
                .collect()
        };
        assert_eq!(
            codes(&before),
            codes(&after),
            "formatting {} changed its diagnostics",
            path.display()
        );
        assert_eq!(
            before.workspace,
            after.workspace,
            "formatting {} changed its IR",
            path.display()
        );
    }
    assert!(
        formatted_count >= 20,
        "the corpus should hold at least 20 formattable files, found {formatted_count}"
    );
}

#[test]
fn formatter_refuses_files_with_syntax_errors() {
    let broken = "policy x \"t\"\nrule a \"b\": (1 +\n";
    let errors = rules_dsl::format::format(broken).expect_err("a syntax error stops the formatter");
    assert!(!errors.is_empty());
}

/// `1 year` stays singular, like `within 1 day` on a step.
#[test]
fn formatter_keeps_singular_units_after_one() {
    let text = std::fs::read_to_string(
        std::path::Path::new(common::CORPUS).join("ok/unemployment_dates.rules"),
    )
    .expect("corpus file");
    let formatted = rules_dsl::format::format(&text).expect("formats");
    assert!(
        formatted.contains("applicant.insured_from + 1 year <= "),
        "{formatted}"
    );
    assert!(
        formatted.contains("applicant.retirement_date - 1 day)"),
        "{formatted}"
    );
    assert!(formatted.contains("+ benefit_months months"), "{formatted}");
}

/// Space-like and invisible characters inside strings are written as escapes,
/// so a reviewer sees them; the value is unchanged.
#[test]
fn formatter_escapes_invisible_characters_in_strings() {
    let text = std::fs::read_to_string(
        std::path::Path::new(common::CORPUS).join("ok/invisible_characters_in_text.rules"),
    )
    .expect("corpus file");
    let formatted = rules_dsl::format::format(&text).expect("formats");
    assert!(formatted.contains(r#""杭州\u{3000}""#), "{formatted}");
    assert!(formatted.contains(r#""上城区\u{a0}""#), "{formatted}");
    assert!(formatted.contains(r#""西湖\u{200b}区""#), "{formatted}");
    assert!(
        !formatted.contains(['\u{3000}', '\u{a0}', '\u{200b}']),
        "{formatted}"
    );
}
