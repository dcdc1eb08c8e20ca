//! Evaluation and compilation benchmarks. Run:
//! `cargo bench -p engine --bench evaluate`. Figures: docs/benchmarks.md.
//!
//! - `compile_to_ready_module/*`: source → checked → WebAssembly → a module
//!   that answers (quick code), for generated policies of 20, 200 and 2,000
//!   rules (fresh bytes every iteration, so the engine's cache never
//!   answers); `compile_to_optimized_module/*`: the same until optimised code.
//! - `residence_permit/*`: the shipped Hangzhou residence-permit policy on a
//!   ~500-byte request: end to end (JSON bytes → `Decision`), then each stage,
//!   on optimised code.
//! - `floor/*`: the same rules written by hand in Rust, from the same bytes
//!   (serde_json into structs) and from already-parsed facts.

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops on a broken setup with its message"
)]

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use engine::{Compilation, Engine, Limits, LoadedPolicy, Tier};
use rules_dsl::SourceSet;
use rules_dsl::codegen::{CompileOptions, compile};

mod generated;

use generated::generated;

fn main() {
    divan::main();
}

// The evaluation benchmarks time 1,000 calls per sample: one call (~1 µs)
// is too short for a sample of its own (the timer's cost and a cold cache
// would show in it).

const CATALOGUE: &str = include_str!("../../policies/catalogue.rules");
const POLICY: &str = include_str!("residence_permit.rules");

/// A realistic request (about 500 bytes).
const REQUEST: &str = include_str!("residence_permit_request.json");

fn artifact(policy_source: &str, id: &str, version_salt: u64) -> Vec<u8> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", policy_source);
    let checked = rules_dsl::check(&sources);
    assert_eq!(
        checked.error_count(),
        0,
        "{}",
        sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
    );
    let policy = checked.workspace.policy(id).expect("policy");
    let options = CompileOptions {
        source_hash: format!("{version_salt}"),
        ..CompileOptions::default()
    };
    compile(policy, &options).expect("compiles").wasm
}

/// The residence-permit policy, loaded and answering from optimised code.
fn optimized_policy() -> (Engine, Arc<LoadedPolicy>) {
    let engine = Engine::new(Limits::default()).expect("engine");
    let policy = engine
        .load(&artifact(POLICY, "hz.residence_permit", 0))
        .expect("loads");
    assert_eq!(
        policy.wait_optimized(Duration::from_secs(60)),
        Tier::Optimized
    );
    (engine, policy)
}

static SALT: AtomicU64 = AtomicU64::new(0);

/// Until the policy can answer: from quick code (the default; the optimised
/// code follows in the background).
#[divan::bench(args = [20, 200, 2000], sample_count = 10, sample_size = 1)]
fn compile_to_ready_module(bencher: divan::Bencher, rules: usize) {
    compile_with(bencher, rules, Compilation::QuickThenOptimized);
}

/// Until the policy answers from optimised code (`Compilation::Optimized`).
#[divan::bench(args = [20, 200, 2000], sample_count = 10, sample_size = 1)]
fn compile_to_optimized_module(bencher: divan::Bencher, rules: usize) {
    compile_with(bencher, rules, Compilation::Optimized);
}

fn compile_with(bencher: divan::Bencher, rules: usize, compilation: Compilation) {
    let engine = Engine::new(Limits {
        compilation,
        ..Limits::default()
    })
    .expect("engine");
    // The previous iteration's optimised compile (in the background with
    // the default) is waited for outside the timing: it would otherwise take
    // a core from the next iteration, which a single publish does not meet.
    let previous: RefCell<Option<Arc<LoadedPolicy>>> = RefCell::new(None);
    bencher
        .with_inputs(|| {
            if let Some(policy) = previous.borrow_mut().take() {
                policy.wait_optimized(Duration::from_secs(60));
            }
            generated(rules, SALT.fetch_add(1, Ordering::Relaxed))
        })
        .bench_local_refs(|source| {
            let wasm = artifact(source, "bench.generated", 0);
            let policy = engine.load(&wasm).expect("loads");
            *previous.borrow_mut() = Some(Arc::clone(&policy));
            policy
        });
}

mod residence_permit {
    use super::*;

    #[divan::bench(sample_size = 1000)]
    fn end_to_end(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let request = REQUEST.as_bytes();
        assert_eq!(
            policy.evaluate(request).expect("evaluates").eligibility,
            engine::Eligibility::Eligible
        );
        let mut out = Vec::with_capacity(4096);
        bencher.bench_local(|| {
            out.clear();
            policy.evaluate_json(divan::black_box(request), &mut out)
        });
    }

    #[divan::bench(sample_size = 1000)]
    fn encode(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        bencher.bench_local(|| {
            session
                .encode(divan::black_box(REQUEST.as_bytes()))
                .map(|m| m.application_date)
        });
    }

    #[divan::bench(sample_size = 1000)]
    fn run(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        session.encode(REQUEST.as_bytes()).expect("encodes");
        bencher.bench_local(|| session.run());
    }

    /// What the service sends: the decision's JSON, written from the
    /// instance's memory with the parts rendered at load.
    #[divan::bench(sample_size = 1000)]
    fn write_json(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        let meta = session.encode(REQUEST.as_bytes()).expect("encodes");
        session.run().expect("runs");
        let mut out = Vec::with_capacity(4096);
        bencher.bench_local(|| {
            out.clear();
            session.write_json(divan::black_box(&meta), &mut out)
        });
    }
}

/// The same rules by hand: the floor.
mod floor {
    include!("floor_rules.rs");

    #[divan::bench(sample_size = 1000)]
    fn end_to_end_from_json(bencher: divan::Bencher) {
        bencher.bench_local(|| {
            let request: Request<'_> =
                serde_json::from_slice(divan::black_box(super::REQUEST.as_bytes()))
                    .expect("parses");
            let outcome = decide(&request);
            (
                outcome.eligible,
                outcome.fee,
                outcome.months,
                request.shared_available.len(),
            )
        });
    }

    #[divan::bench(sample_size = 1000)]
    fn run_on_parsed_facts(bencher: divan::Bencher) {
        let request: Request<'_> =
            serde_json::from_slice(super::REQUEST.as_bytes()).expect("parses");
        assert_eq!(decide(&request).eligible, Some(true));
        bencher.bench_local(|| {
            let outcome = decide(divan::black_box(&request));
            (
                outcome.eligible,
                outcome.fee,
                outcome.months,
                outcome.household_income,
            )
        });
    }
}
