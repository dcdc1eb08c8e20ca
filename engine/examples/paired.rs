//! End to end against the floor, paired: rounds of the hand-written floor
//! (serde_json into borrowed structs + the rules in Rust) and of the engine
//! (JSON bytes → `Decision` on optimised code) alternate on the same bytes,
//! so both see the same load of a shared machine; prints the median and the
//! fastest round of each and the median of the per-round ratios; and the
//! service's path, the request's bytes to the decision's JSON bytes.
//! `cargo run --release -p engine --example paired [ROUNDS]`

#![allow(
    dead_code,
    reason = "the floor's outcome has fields only the benchmark reads"
)]
#![expect(
    clippy::expect_used,
    reason = "a measuring tool: a failure should stop it with the message"
)]

use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/floor_rules.rs"]
mod floor;

mod residence_permit;
use residence_permit::REQUEST;

const PER_ROUND: u32 = 2_000;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let (_engine, loaded) = residence_permit::loaded();
    let request = REQUEST.trim().as_bytes();

    let time_floor = || {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let parsed: floor::Request<'_> =
                serde_json::from_slice(black_box(request)).expect("parses");
            black_box(floor::decide(&parsed).eligible);
        }
        started.elapsed().as_secs_f64() * 1e9 / f64::from(PER_ROUND)
    };
    let time_engine = || {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let decision = loaded.evaluate(black_box(request)).expect("evaluates");
            black_box(decision.eligibility);
        }
        started.elapsed().as_secs_f64() * 1e9 / f64::from(PER_ROUND)
    };
    // What the service does: the request's bytes to the decision's JSON,
    // written straight from the instance's memory.
    let mut json = Vec::with_capacity(4096);
    let mut time_service = || {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let mut session = loaded.session().expect("session");
            let meta = session.encode(black_box(request)).expect("encodes");
            session.run().expect("runs");
            json.clear();
            black_box(session.write_json(&meta, &mut json));
        }
        started.elapsed().as_secs_f64() * 1e9 / f64::from(PER_ROUND)
    };
    let (mut floors, mut engines, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut services, mut service_ratios) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (f, e, s) = if round % 2 == 0 {
            let f = time_floor();
            let e = time_engine();
            (f, e, time_service())
        } else {
            let s = time_service();
            let e = time_engine();
            (time_floor(), e, s)
        };
        floors.push(f);
        engines.push(e);
        services.push(s);
        ratios.push(e / f);
        service_ratios.push(s / f);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let fastest = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{} bytes, {rounds} rounds × {PER_ROUND}: floor median {:.0} ns (fastest round {:.0}), engine median {:.0} ns (fastest round {:.0}); engine/floor per round: median {:.2}",
        request.len(),
        median(&mut floors),
        fastest(&floors),
        median(&mut engines),
        fastest(&engines),
        median(&mut ratios),
    );
    println!(
        "to the decision's JSON (the service's path): median {:.0} ns (fastest round {:.0}); ÷ floor per round: median {:.2}",
        median(&mut services),
        fastest(&services),
        median(&mut service_ratios),
    );
}
