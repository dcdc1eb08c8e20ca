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

/// Every documented code is produced by at least one corpus case, and every
/// code the checker can produce is documented in docs/diagnostics.md.
#[test]
fn every_code_is_covered_and_documented() {
    let mut produced = BTreeSet::new();
    for dir in ["ok", "err"] {
        for entry in std::fs::read_dir(Path::new(CORPUS).join(dir)).expect("corpus folder") {
            let path = entry.expect("corpus entry").path();
            if path.extension().is_some_and(|e| e == "rules") {
                produced.extend(check_case(&path).codes);
            }
        }
    }
    let documented = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md"),
    )
    .expect("docs/diagnostics.md");
    let mut missing_cases = Vec::new();
    let mut missing_docs = Vec::new();
    for (code, _) in CODES {
        if !produced.contains(*code) {
            missing_cases.push(*code);
        }
        if !documented.contains(&format!("## {code}")) {
            missing_docs.push(*code);
        }
    }
    assert!(
        missing_cases.is_empty(),
        "codes without a corpus case: {missing_cases:?}"
    );
    assert!(
        missing_docs.is_empty(),
        "codes without a `## CODE` section in docs/diagnostics.md: {missing_docs:?}"
    );
    let known: BTreeSet<&str> = CODES.iter().map(|(c, _)| *c).collect();
    let unknown: Vec<&String> = produced
        .iter()
        .filter(|c| !known.contains(c.as_str()))
        .collect();
    assert!(unknown.is_empty(), "codes missing from CODES: {unknown:?}");
}
