//! The residence-permit policy and request of `benches/evaluate.rs`, loaded
//! on optimised code: the shared setup of the measuring examples.

use std::sync::Arc;
use std::time::Duration;

const CATALOGUE: &str = include_str!("../../../policies/catalogue.rules");
const POLICY: &str = include_str!("../../benches/residence_permit.rules");
pub const REQUEST: &str = include_str!("../../benches/residence_permit_request.json");

/// The policy, answering from optimised code, and the engine that holds it.
pub fn loaded() -> (engine::Engine, Arc<engine::LoadedPolicy>) {
    let mut sources = rules_dsl::SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", POLICY);
    let checked = rules_dsl::check(&sources);
    let policy = checked
        .workspace
        .policy("hz.residence_permit")
        .expect("policy");
    let artifact = rules_dsl::codegen::compile(policy, &Default::default()).expect("compiles");
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    let loaded = engine.load(&artifact.wasm).expect("loads");
    loaded.wait_optimized(Duration::from_secs(60));
    (engine, loaded)
}
