//! Differential test: random well-typed policies, compiled to WebAssembly and
//! run by the engine, must give the same raw outcome as the reference
//! interpreter (`test_support::oracle`) on the same input memory — and a trap in one
//! must be a trap in the other.
//!
//! The generator writes policy SOURCE TEXT (so the parser and checker are
//! exercised too) from a stream of choices that proptest shrinks toward 0,
//! and 0 always picks the simplest option: a failing case shrinks to a small
//! policy. The normal run checks 2,000 policies with several requests each;
//! for a long run:
//!
//!     PROPTEST_CASES=100000 cargo test --release -p engine --test differential -- --nocapture

#![allow(
    clippy::expect_used,
    reason = "test helpers stop the test with their message"
)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use engine::encode::encode_request;
use engine::{Compilation, Engine, EvalError, Limits, RawOutcome, Tri};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use test_support::generate::{Choices, generate, request};
use test_support::oracle::{self, OracleError};
use test_support::policy::{compile, request_json, try_check};

// ---------------------------------------------------------------- the property

/// Two engines, one per code tier (quick and optimised Cranelift output);
/// policies alternate between them, so both tiers meet the oracle.
fn engine(case: usize) -> &'static Engine {
    static ENGINES: OnceLock<[Engine; 2]> = OnceLock::new();
    let engines = ENGINES.get_or_init(|| {
        [Compilation::Quick, Compilation::Optimized].map(|compilation| {
            Engine::new(Limits {
                compilation,
                ..Limits::default()
            })
            .expect("the engine starts")
        })
    });
    &engines[case % 2]
}

static POLICIES: AtomicUsize = AtomicUsize::new(0);
static REQUESTS: AtomicUsize = AtomicUsize::new(0);
static TRAPS: AtomicUsize = AtomicUsize::new(0);
static ELIGIBILITY: [AtomicUsize; 3] = [
    AtomicUsize::new(0),
    AtomicUsize::new(0),
    AtomicUsize::new(0),
];
static UNKNOWN_VALUES: AtomicUsize = AtomicUsize::new(0);

const REQUESTS_PER_POLICY: usize = 6;
const MAX_LIST_LEN: u32 = 8;

fn describe(result: &Result<RawOutcome, String>) -> String {
    match result {
        Ok(outcome) => format!("{outcome:#?}"),
        Err(error) => error.clone(),
    }
}

fn one_case(data: &[u32]) -> Result<(), TestCaseError> {
    let mut c = Choices { data, position: 0 };
    let generated = generate(&mut c);
    let source = &generated.source;
    if let Err(diagnostics) = try_check(source) {
        return Err(TestCaseError::fail(format!(
            "the generated policy has errors:\n{diagnostics}\n--- source\n{source}"
        )));
    }
    let (policy, artifact) = compile(source, MAX_LIST_LEN);
    let manifest = &artifact.manifest;
    let loaded = engine(POLICIES.load(Ordering::Relaxed))
        .load(&artifact.wasm)
        .map_err(|e| {
            TestCaseError::fail(format!(
                "the engine refused the module: {e}\n--- source\n{source}"
            ))
        })?;
    POLICIES.fetch_add(1, Ordering::Relaxed);
    for _ in 0..REQUESTS_PER_POLICY {
        let request = request(&mut c, &generated);
        let json = request_json(&request);
        let encoded =
            encode_request(manifest, json.as_bytes(), &Limits::default()).map_err(|e| {
                TestCaseError::fail(format!(
                    "the request was refused: {e}\n--- request\n{json}\n--- source\n{source}"
                ))
            })?;
        REQUESTS.fetch_add(1, Ordering::Relaxed);
        let expected = match oracle::run(&policy, manifest, &encoded.memory) {
            Ok(outcome) => Ok(outcome),
            Err(OracleError::Trap { reason }) => Err(format!("trap: {reason}")),
            Err(other) => {
                return Err(TestCaseError::fail(format!(
                    "the oracle failed: {other}\n--- request\n{json}\n--- source\n{source}"
                )));
            }
        };
        let actual = match loaded.run_raw(&encoded.memory) {
            Ok(outcome) => Ok(outcome),
            Err(EvalError::Trap { reason, .. }) => Err(format!("trap: {reason}")),
            Err(other) => {
                return Err(TestCaseError::fail(format!(
                    "the module failed: {other}\n--- request\n{json}\n--- source\n{source}"
                )));
            }
        };
        let agree = match (&expected, &actual) {
            (Ok(e), Ok(a)) => e.agrees_with(a),
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !agree {
            return Err(TestCaseError::fail(format!(
                "the module and the oracle disagree\n--- source\n{source}\n--- request\n{json}\n--- oracle\n{}\n--- module\n{}",
                describe(&expected),
                describe(&actual)
            )));
        }
        match &expected {
            Err(_) => {
                TRAPS.fetch_add(1, Ordering::Relaxed);
            }
            Ok(outcome) => {
                let index = match outcome.eligibility {
                    Tri::False => 0,
                    Tri::True => 1,
                    Tri::Unknown => 2,
                };
                ELIGIBILITY[index].fetch_add(1, Ordering::Relaxed);
                UNKNOWN_VALUES.fetch_add(
                    outcome.values.iter().filter(|v| v.mask != 0).count(),
                    Ordering::Relaxed,
                );
            }
        }
    }
    Ok(())
}

#[test]
fn compiled_policies_agree_with_the_reference_interpreter() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 1000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = prop::collection::vec(any::<u32>(), 0..1500);
    let result = runner.run(&strategy, |data| one_case(&data));
    let load = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    println!(
        "differential: {} policies, {} requests; traps {}, eligibility false {} / true {} / unknown {}; unknown reported values {}",
        load(&POLICIES),
        load(&REQUESTS),
        load(&TRAPS),
        load(&ELIGIBILITY[0]),
        load(&ELIGIBILITY[1]),
        load(&ELIGIBILITY[2]),
        load(&UNKNOWN_VALUES),
    );
    match result {
        Ok(()) => {}
        Err(proptest::test_runner::TestError::Fail(reason, data)) => {
            panic!("minimal failing case ({} choices):\n{reason}", data.len())
        }
        Err(error) => panic!("{error}"),
    }
}
