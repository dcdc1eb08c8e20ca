//! Every scenario of every shipped policy and bundle: the full decision is
//! snapshotted (insta, in `snapshots/` beside this file), and what the
//! scenario expects — its eligibility and whatever else it states — is asserted.
//!
//! A tester adds `policies/<service>/scenarios/<name>.toml` and runs
//! `cargo insta test --review -p workspace-tests` (docs/testing.md).

use std::path::Path;

#[test]
fn scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    let rules = host::project::read_rules(&root).expect("readable policies");
    let project = host::project::build(&engine, &rules)
        .unwrap_or_else(|e| panic!("the policies do not build:\n{e}"));
    insta::glob!("../../policies", "**/scenarios/*.toml", |path| {
        let text = std::fs::read_to_string(path).expect("scenario file");
        let scenario =
            host::scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let folder = host::project::scenario_folder(path).expect("in a scenarios folder");
        let actual = project
            .evaluate_in(&folder, scenario.request_json().as_bytes())
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.en));
        insta::assert_json_snapshot!(actual);
        // The writer and the decision's type (its OpenAPI schema) agree:
        // every decision parses, no field unknown or missing.
        let decisions: Vec<&serde_json::Value> = match actual.get("members") {
            Some(serde_json::Value::Array(members)) => members.iter().collect(),
            _ => vec![&actual],
        };
        for decision in decisions {
            if let Err(error) = serde_json::from_value::<engine::Decision>(decision.clone()) {
                panic!("{}: the decision does not parse: {error}", path.display());
            }
        }
        let mismatches = scenario.mismatches(&actual);
        assert!(
            mismatches.is_empty(),
            "{} ({}):\n{}",
            path.display(),
            scenario.name,
            mismatches
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    });
}
