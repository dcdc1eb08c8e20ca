//! Requests as data: each `tests/requests/*.json` is a request body (valid
//! or not) for `tests/requests/policy.rules`; its snapshot shows the body and
//! what the engine made of it — the decision's outline, or the error with
//! its JSON path or position. A new case is a new file.

#![allow(
    clippy::expect_used,
    reason = "test helpers stop the test with their message"
)]

use std::sync::OnceLock;

use engine::{Compilation, Engine, Limits, LoadedPolicy};
use rules_dsl::SourceSet;
use rules_dsl::codegen::{CompileOptions, compile};

fn policy() -> &'static LoadedPolicy {
    static POLICY: OnceLock<(Engine, std::sync::Arc<LoadedPolicy>)> = OnceLock::new();
    let (_, policy) = POLICY.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/requests");
        let mut sources = SourceSet::new();
        for file in ["catalogue.rules", "policy.rules"] {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).expect("policy file");
            sources.add(file, &text);
        }
        let checked = rules_dsl::check(&sources);
        assert_eq!(
            checked.error_count(),
            0,
            "{}",
            sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
        );
        let policy = checked.workspace.policy("t.allowance").expect("policy");
        let wasm = compile(policy, &CompileOptions::default())
            .expect("compiles")
            .wasm;
        let engine = Engine::new(Limits {
            compilation: Compilation::Quick,
            ..Limits::default()
        })
        .expect("engine");
        let loaded = engine.load(&wasm).expect("loads");
        (engine, loaded)
    });
    policy
}

#[test]
fn each_request_is_encoded_or_refused_with_its_path() {
    insta::glob!("requests/*.json", |path| {
        let body = std::fs::read(path).expect("request file");
        let outcome = match policy().evaluate(&body) {
            Ok(decision) => {
                // What the service reads without parsing the body: the date
                // (when it is plain text) and where the facts are.
                let request: serde_json::Value =
                    serde_json::from_slice(&body).expect("an accepted body is JSON");
                if let Some(date) = engine::encode::application_date(&body) {
                    assert_eq!(Some(date), request["application_date"].as_str());
                }
                let mut session = policy().session().expect("session");
                let meta = session.encode(&body).expect("encodes");
                let facts = meta.facts.clone().expect("the facts' place");
                let facts: serde_json::Value =
                    serde_json::from_slice(&body[facts]).expect("the facts' bytes are JSON");
                assert_eq!(facts, request["facts"]);
                session.run().expect("runs");
                let mut direct = Vec::new();
                let eligibility = session.write_json(&meta, &mut direct);
                assert_eq!(eligibility, decision.eligibility);
                drop(session);
                // One writer: what the service answers parses back to the
                // decision `evaluate` gives.
                let parsed = engine::Decision::from_json(&direct).expect("the decision parses");
                assert_eq!(parsed, decision);
                format!(
                    "eligibility: {:?}\nmissing_facts: {:?}\nvalues: {}\nmaterials: {}",
                    decision.eligibility,
                    decision.missing_facts.paths(),
                    serde_json::to_string(
                        &decision
                            .values
                            .iter()
                            .map(|v| (&v.name, &v.value))
                            .collect::<Vec<_>>()
                    )
                    .expect("values"),
                    decision
                        .materials
                        .iter()
                        .map(|m| format!("{}={:?}", m.id, m.provided_by))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            Err(error) => format!(
                "error ({}): {error}",
                if error.is_input_error() {
                    "input"
                } else {
                    "engine"
                }
            ),
        };
        let shown = String::from_utf8_lossy(&body);
        let shown: String = if shown.len() > 600 {
            format!(
                "{} … ({} bytes)",
                &shown[..shown.floor_char_boundary(600)],
                shown.len()
            )
        } else {
            shown.into_owned()
        };
        insta::assert_snapshot!(format!("{shown}\n---\n{outcome}"));
    });
}
