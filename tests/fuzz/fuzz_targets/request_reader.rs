//! Request bytes encoded for the shipped residence-permit policy: the
//! encoder never panics, and it reads as JSON exactly what serde_json
//! reads — a request it accepts is JSON, one it calls malformed is not, and
//! one serde_json refuses it refuses too. Seeds: engine/tests/requests and
//! the HTTP cases' bodies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const CATALOGUE: &str = include_str!("../../../policies/catalogue.rules");
const POLICY: &str = include_str!("../../../policies/hz-residence-permit/policy.rules");

fn manifest() -> &'static rules_dsl::manifest::Manifest {
    static MANIFEST: OnceLock<rules_dsl::manifest::Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let mut sources = rules_dsl::SourceSet::new();
        sources.add("catalogue.rules", CATALOGUE);
        sources.add("policy.rules", POLICY);
        let checked = rules_dsl::check(&sources);
        let policy = checked
            .workspace
            .policy("hz.residence_permit")
            .expect("the shipped policy checks");
        rules_dsl::codegen::compile(policy, &rules_dsl::codegen::CompileOptions::default())
            .expect("the shipped policy compiles")
            .manifest
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = engine::Limits::default();
    let encoded = engine::encode::encode_request(manifest(), data, &limits);
    let json = serde_json::from_slice::<serde_json::Value>(data);
    match (&encoded, &json) {
        (Ok(_), Err(error)) => panic!("accepted what serde_json refuses: {error}"),
        (Err(engine::EvalError::Json { message, .. }), Ok(_)) => {
            panic!("called valid JSON malformed: {message}")
        }
        _ => {}
    }
});
