//! The parser, checker and formatter never panic and never exhaust the
//! stack, whatever the input: arbitrary Unicode, token soup built from the
//! language's own words, and pathological nesting.

use proptest::prelude::*;
use rules_dsl::SourceSet;

/// Runs the whole front end on `text` and returns the error codes.
fn front_end(text: &str) -> Vec<&'static str> {
    let mut sources = SourceSet::new();
    sources.add("input.rules", text);
    sources.add(
        "catalogue.rules",
        "department d.x \"部门\"\ndataset s.x \"数据\" by d.x\nmaterial m.x \"材料\"\n",
    );
    let checked = rules_dsl::check(&sources);
    for lang in [rules_dsl::Lang::Zh, rules_dsl::Lang::En] {
        let _ = sources.render(&checked.diagnostics, false, lang);
    }
    let _ = rules_dsl::format::format(text);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

const TOKENS: &[&str] = &[
    "policy",
    "bundle",
    "department",
    "dataset",
    "material",
    "basis",
    "version",
    "effective",
    "from",
    "until",
    "facts",
    "param",
    "let",
    "rule",
    "exception",
    "overrides",
    "to",
    "eligible",
    "when",
    "table",
    "hit",
    "unique",
    "first",
    "priority",
    "collect",
    "sum",
    "count",
    "min",
    "max",
    "any",
    "all",
    "inputs",
    "order",
    "row",
    "default",
    "step",
    "by",
    "after",
    "within",
    "working",
    "days",
    "months",
    "years",
    "produces",
    "member",
    "entry",
    "link",
    "source",
    "shared",
    "else",
    "applicant",
    "commitment",
    "form",
    "copies",
    "original",
    "and",
    "or",
    "not",
    "in",
    "for",
    "where",
    "if",
    "then",
    "true",
    "false",
    "round",
    "half_up",
    "down",
    "cite",
    "list",
    "of",
    "set",
    "enum",
    "int",
    "money",
    "date",
    "text",
    "bool",
    "application_date",
    "age_on",
    "months_between",
    "x",
    "y.z",
    "m",
    "m.income",
    "d.x",
    "m.x",
    "s.x",
    "12",
    "0",
    "-3",
    "1255.00",
    "1.234",
    "2026-02-29",
    "2024-02-29",
    "\"杭州\"",
    "\"a\\q\"",
    "\"",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "?",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "..",
    "=>",
    "#",
    "\n",
    "\n\n",
    " ",
    "：",
    "“",
    "（",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|tokens| tokens.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,400}") {
        front_end(&text);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        front_end(&text);
    }

    #[test]
    fn token_soup_after_a_valid_header_never_panics(text in token_soup()) {
        front_end(&format!("policy p.x \"标题\"\n  department d.x\nfacts {{\n  x: int\n}}\nrule r \"规则\":\n  {text}\n"));
    }

    #[test]
    fn formatting_a_file_that_parses_is_stable(text in token_soup()) {
        if let Ok(once) = rules_dsl::format::format(&text) {
            let twice = rules_dsl::format::format(&once);
            prop_assert_eq!(Ok(once.clone()), twice, "input: {:?}", text);
        }
    }
}

fn policy_with_body(body: &str) -> String {
    format!(
        "policy p.x \"标题\"\n  department d.x\nfacts {{\n  x: int\n}}\nrule r \"规则\":\n  {body}\neligible when r\n"
    )
}

#[test]
fn ten_megabytes_of_parentheses_is_refused_with_the_limit() {
    let text = policy_with_body(&"(".repeat(10 * 1024 * 1024));
    let codes = front_end(&text);
    assert!(codes.contains(&"E0105"), "{codes:?}");
}

#[test]
fn deep_but_unbracketed_nesting_is_refused_with_the_limit() {
    for body in [
        "not ".repeat(100_000) + "x > 1",
        "-".repeat(100_000) + "x > 1",
        "x".to_string() + &" + x".repeat(100_000) + " > 1",
        "if x > 1 then ".repeat(10_000) + "true",
        "x".to_string() + &" days".repeat(100_000) + " > 1",
    ] {
        let codes = front_end(&policy_with_body(&body));
        assert!(
            codes.iter().any(|c| matches!(*c, "E0105" | "E0111")),
            "no error for a pathological body starting {:?}: {codes:?}",
            &body[..40.min(body.len())]
        );
    }
}

#[test]
fn a_long_flat_condition_is_not_too_deep() {
    // A chain is one node however long, so the depth limit (E0111) never
    // counts it; its own limit (E0112) keeps its code compilable.
    let limit = rules_dsl::syntax::MAX_CHAIN_TERMS;
    let body = "x > 1".to_string() + &" and x > 1".repeat(limit - 1);
    let codes = front_end(&policy_with_body(&body));
    assert!(codes.is_empty(), "{codes:?}");
    let body = "x > 1".to_string() + &" or x > 1".repeat(2 * limit);
    let codes = front_end(&policy_with_body(&body));
    assert_eq!(codes, vec!["E0112"]);
}

#[test]
fn nesting_at_the_limit_is_accepted() {
    let depth = rules_dsl::syntax::MAX_NESTING - 1;
    let body = format!("{}x > 1{}", "(".repeat(depth), ")".repeat(depth));
    let codes = front_end(&policy_with_body(&body));
    assert!(codes.is_empty(), "{codes:?}");
}

/// A policy of `lets` chained `let`s, `rules` rules and one `and`/`or`
/// chain of `terms` terms: whatever the sizes, a source that checks
/// compiles to a valid module (codegen splits functions by their locals),
/// and a chain over the limit is refused by the checker (E0112), never by
/// the validator.
fn sized_policy(lets: usize, rules: usize, terms: usize, or: bool) -> String {
    let mut source = String::from(
        "policy d.sized \"规模\"\n  department d.x\n  basis \"测试\"\n\nfacts {\n  a.n: int \"数\"\n  a.ok: bool \"是\"\n}\n\nlet chain_0 = a.n\n",
    );
    for i in 1..lets.max(1) {
        source.push_str(&format!("let chain_{i} = chain_{} + 1\n", i - 1));
    }
    for i in 0..rules {
        source.push_str(&format!(
            "rule r_{i} \"规则\" cite \"测试\":\n  chain_{} > {}\n",
            lets.max(1) - 1,
            i % 50
        ));
    }
    let joiner = if or { " or " } else { " and " };
    let terms: Vec<&str> = std::iter::repeat_n("a.ok", terms.max(1)).collect();
    source.push_str(&format!(
        "rule joined \"连接\" cite \"测试\":\n  {}\n\neligible when joined\n",
        terms.join(joiner)
    ));
    source
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn what_checks_compiles_however_long_the_chains(
        lets in 1usize..20_000,
        rules in 0usize..25_000,
        terms in prop_oneof![1usize..200, 9_990usize..10_010, 15_000usize..25_000],
        or in any::<bool>(),
    ) {
        let text = sized_policy(lets, rules, terms, or);
        let mut sources = SourceSet::new();
        sources.add("catalogue.rules", "department d.x \"部门\"\n");
        sources.add("sized.rules", text.as_str());
        let checked = rules_dsl::check(&sources);
        let errors: Vec<&str> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        if terms > rules_dsl::syntax::MAX_CHAIN_TERMS {
            prop_assert_eq!(errors, vec!["E0112"]);
        } else {
            prop_assert!(errors.is_empty(), "{:?}", errors);
            let policy = checked.workspace.policy("d.sized").expect("checked");
            let compiled = rules_dsl::codegen::compile(policy, &rules_dsl::codegen::CompileOptions::default());
            prop_assert!(compiled.is_ok(), "{:?}", compiled.err());
        }
    }
}
