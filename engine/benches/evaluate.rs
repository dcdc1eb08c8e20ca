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

const CATALOGUE: &str = include_str!("../../policies/catalogue.rules");
const POLICY: &str = include_str!("residence_permit.rules");

/// A realistic request (about 500 bytes).
const REQUEST: &str = r#"{"application_date":"2026-01-15","facts":{"applicant":{"birth_date":"1990-02-28","hukou_city":"宁波","residence_registered_on":"2025-06-01","housing":"rented","lease_years":2,"social_insurance_months":14,"has_labour_contract":true,"enrolled_student":false},"household":{"members":[{"relation":"spouse","income":3000.50,"disabled":false},{"relation":"child","income":0},{"relation":"parent","income":1800},{"relation":"child","income":0,"disabled":false}]}},"shared_available":["gongan.resident_id"]}"#;

fn artifact(policy_source: &str, id: &str, version_salt: u64) -> Vec<u8> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", policy_source);
    let checked = rules_dsl::check(&sources);
    assert_eq!(
        checked.error_count(),
        0,
        "{}",
        sources.render(&checked.diagnostics, false)
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
    bencher
        .with_inputs(|| generated(rules, SALT.fetch_add(1, Ordering::Relaxed)))
        .bench_local_refs(|source| {
            let wasm = artifact(source, "bench.generated", 0);
            engine.load(&wasm).expect("loads")
        });
}

mod residence_permit {
    use super::*;

    #[divan::bench]
    fn end_to_end(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let request = REQUEST.as_bytes();
        assert_eq!(
            policy.evaluate(request).expect("evaluates").eligibility,
            engine::Eligibility::Eligible
        );
        bencher.bench_local(|| {
            policy
                .evaluate(divan::black_box(request))
                .map(|d| d.total_days)
        });
    }

    #[divan::bench]
    fn encode(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        bencher.bench_local(|| {
            session
                .encode(divan::black_box(REQUEST.as_bytes()))
                .map(|m| m.application_date)
        });
    }

    #[divan::bench]
    fn run(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        session.encode(REQUEST.as_bytes()).expect("encodes");
        bencher.bench_local(|| session.run());
    }

    #[divan::bench]
    fn decode(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let mut session = policy.session().expect("session");
        let meta = session.encode(REQUEST.as_bytes()).expect("encodes");
        session.run().expect("runs");
        bencher.bench_local(|| session.decode(divan::black_box(&meta)).total_days);
    }

    #[divan::bench]
    fn decision_to_json(bencher: divan::Bencher) {
        let (_engine, policy) = optimized_policy();
        let decision = policy.evaluate(REQUEST.as_bytes()).expect("evaluates");
        bencher.bench_local(|| divan::black_box(&decision).to_json());
    }
}

/// The same rules by hand: the floor.
mod floor {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Request<'a> {
        #[serde(borrow)]
        pub application_date: &'a str,
        #[serde(borrow)]
        pub facts: Facts<'a>,
        #[serde(borrow, default)]
        pub shared_available: Vec<&'a str>,
    }

    #[derive(Deserialize)]
    pub struct Facts<'a> {
        #[serde(borrow)]
        pub applicant: Applicant<'a>,
        pub household: Household,
    }

    #[derive(Deserialize)]
    pub struct Applicant<'a> {
        pub birth_date: &'a str,
        pub hukou_city: &'a str,
        pub residence_registered_on: &'a str,
        pub housing: &'a str,
        pub lease_years: Option<i64>,
        pub social_insurance_months: Option<i64>,
        pub has_labour_contract: bool,
        pub enrolled_student: Option<bool>,
    }

    #[derive(Deserialize)]
    pub struct Household {
        pub members: Vec<Member>,
    }

    #[derive(Deserialize)]
    pub struct Member {
        pub relation: String,
        pub income: f64,
        pub disabled: Option<bool>,
    }

    fn day(text: &str) -> i64 {
        engine::encode::parse_date(text).unwrap_or(0)
    }

    /// Kleene and/or over Option<bool>.
    fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
        match (a, b) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }

    fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
        match (a, b) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }

    pub struct Outcome {
        pub household_income: i64,
        pub eligible: Option<bool>,
        pub fee: i64,
        pub months: i64,
    }

    pub fn decide(request: &Request<'_>) -> Outcome {
        use rules_dsl::calendar::{add_months, age_on, months_between};
        let today = day(request.application_date);
        let a = &request.facts.applicant;
        let registered = day(a.residence_registered_on);
        let not_local = Some(a.hukou_city != "杭州");
        let mut half_year = Some(add_months(registered, 6) <= today);
        let mut veteran = Some(false);
        for member in &request.facts.household.members {
            veteran = or(veteran, member.disabled);
        }
        if veteran == Some(true) {
            half_year = Some(true);
        } else if veteran.is_none() && half_year != Some(true) {
            half_year = None;
        }
        let stable_job = and(
            a.social_insurance_months.map(|m| m >= 12),
            Some(a.has_labour_contract),
        );
        let stable_home = or(
            Some(a.housing == "owned"),
            and(Some(a.housing == "rented"), a.lease_years.map(|y| y >= 1)),
        );
        let age = age_on(day(a.birth_date), today);
        let adult = Some(age >= 16);
        let eligible = and(
            and(
                and(not_local, half_year),
                or(or(stable_job, stable_home), a.enrolled_student),
            ),
            adult,
        );
        let fee = if age < 16 {
            0
        } else if (16..=59).contains(&age) && a.housing == "owned" {
            1000
        } else if age >= 60 {
            0
        } else {
            2000
        };
        // The policy also computes the household's income (a `let`), and the
        // engine reads every fact; so does the floor.
        let household_income: i64 = request
            .facts
            .household
            .members
            .iter()
            .filter(|m| m.relation != "parent")
            .map(|m| (m.income * 100.0).round() as i64)
            .sum();
        Outcome {
            eligible,
            fee,
            months: months_between(registered, today),
            household_income,
        }
    }

    #[divan::bench]
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

    #[divan::bench]
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
