//! Yici: the policy in `bench/residence_permit.rules`, checked against the
//! shipped catalogue, compiled to WebAssembly and loaded into the engine.

use std::sync::Arc;

use engine::{Compilation, Eligibility, Engine, Limits, LoadedPolicy};
use rules_dsl::SourceSet;
use rules_dsl::codegen::{CompileOptions, compile};

use crate::Evaluator;

pub const CATALOGUE: &str = include_str!("../../policies/catalogue.rules");
pub const POLICY: &str = include_str!("../policies/residence_permit.rules");
pub const POLICY_ID: &str = "hz.residence_permit_bench";

/// Checks and compiles `policy_source` (with the shipped catalogue) into an
/// artifact; `source_hash` goes into the manifest, so different values give
/// different bytes (and different cache entries).
pub fn artifact(policy_source: &str, id: &str, source_hash: &str) -> anyhow::Result<Vec<u8>> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", policy_source);
    let checked = rules_dsl::check(&sources);
    if checked.error_count() > 0 {
        anyhow::bail!(
            "{}",
            sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
        );
    }
    let policy = checked
        .workspace
        .policy(id)
        .ok_or_else(|| anyhow::anyhow!("no policy `{id}`"))?;
    let options = CompileOptions {
        source_hash: source_hash.to_string(),
        ..CompileOptions::default()
    };
    Ok(compile(policy, &options)?.wasm)
}

/// A loaded Yici policy.
#[derive(Debug)]
pub struct Yici {
    // Kept so the engine's epoch ticker runs as in production.
    _engine: Engine,
    policy: Arc<LoadedPolicy>,
}

impl Yici {
    pub fn new() -> anyhow::Result<Yici> {
        Yici::from_source(POLICY, POLICY_ID)
    }

    pub fn from_source(policy_source: &str, id: &str) -> anyhow::Result<Yici> {
        // Optimised code only: these benchmarks time the steady state.
        let engine = Engine::new(Limits {
            compilation: Compilation::Optimized,
            ..Limits::default()
        })?;
        let policy = engine.load(&artifact(policy_source, id, "0")?)?;
        Ok(Yici {
            _engine: engine,
            policy,
        })
    }

    pub fn policy(&self) -> &LoadedPolicy {
        &self.policy
    }
}

impl Evaluator for Yici {
    fn name(&self) -> &'static str {
        "Yici"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        match self.policy.evaluate(request_json)?.eligibility {
            Eligibility::Eligible => Ok(true),
            Eligibility::Ineligible => Ok(false),
            Eligibility::Undetermined => anyhow::bail!("undetermined"),
        }
    }
}
