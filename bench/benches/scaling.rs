//! How Yici scales. Run with `cargo bench -p bench --bench scaling` (or
//! `bench/run.sh`, which writes the tables into docs/benchmarks.md).
//!
//! - `evaluate/RULES/MEMBERS`: one evaluation end to end (JSON bytes →
//!   `Decision`) of a generated policy (`bench::generated`) of RULES rules,
//!   each with an aggregate over the household, on a request with MEMBERS
//!   household members.
//! - `compile/RULES`: source → checked → WebAssembly → a ready module, fresh
//!   bytes every iteration so the engine's cache never answers.

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops on a broken setup with its message"
)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bench::generated::{GENERATED_ID, policy, request};
use bench::yici::{Yici, artifact};
use engine::{Eligibility, Engine, Limits, LoadedPolicy};

fn main() {
    divan::main();
}

/// Each generated policy is compiled once for all its list lengths.
fn loaded(rules: usize) -> &'static Yici {
    static LOADED: OnceLock<Mutex<HashMap<usize, &'static Yici>>> = OnceLock::new();
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned");
    loaded.entry(rules).or_insert_with(|| {
        let yici = Yici::from_source(&policy(rules, 0), GENERATED_ID).expect("compiles");
        Box::leak(Box::new(yici))
    })
}

#[divan::bench(consts = [10, 100, 1000, 5000], args = [1, 10, 100])]
fn evaluate<const RULES: usize>(bencher: divan::Bencher, members: usize) {
    let yici = loaded(RULES);
    let request = request(members);
    let decision = yici
        .policy()
        .evaluate(request.as_bytes())
        .expect("evaluates");
    assert_eq!(decision.eligibility, Eligibility::Eligible);
    assert_eq!(decision.rules.len(), RULES);
    bencher.bench_local(|| {
        yici.policy()
            .evaluate(divan::black_box(request.as_bytes()))
            .map(|d| d.eligibility)
    });
}

static SALT: AtomicU64 = AtomicU64::new(1);

#[divan::bench(args = [10, 100, 1000], sample_count = 10, sample_size = 1)]
fn compile(bencher: divan::Bencher, rules: usize) {
    let engine = Engine::new(Limits::default()).expect("engine");
    // Until the policy answers (quick code). The previous iteration's
    // background optimising compile is waited for outside the timing, so it
    // does not take a core from this one.
    let previous: RefCell<Option<Arc<LoadedPolicy>>> = RefCell::new(None);
    bencher
        .with_inputs(|| {
            if let Some(loaded) = previous.borrow_mut().take() {
                loaded.wait_optimized(Duration::from_secs(60));
            }
            policy(rules, SALT.fetch_add(1, Ordering::Relaxed))
        })
        .bench_local_refs(|source| {
            let wasm = artifact(source, GENERATED_ID, "0").expect("compiles");
            let loaded = engine.load(&wasm).expect("loads");
            *previous.borrow_mut() = Some(Arc::clone(&loaded));
            loaded
        });
}
