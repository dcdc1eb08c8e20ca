//! Encodes (or, with `evaluate`, evaluates end to end; with `write`, writes
//! the decision's JSON) one request many times, for a profiler:
//! `cargo run --release -p engine --example encode_loop [encode|evaluate|write] [ROUNDS]`.

#![expect(
    clippy::expect_used,
    reason = "a profiling tool: a failure should stop it with the message"
)]

mod residence_permit;

use std::hint::black_box;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let whole = mode == "evaluate";
    let (_engine, loaded) = residence_permit::loaded();
    let request = residence_permit::REQUEST.trim().as_bytes();
    // A second argument sets the rounds (fewer under valgrind).
    let rounds: u32 = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let started = std::time::Instant::now();
    if whole {
        for _ in 0..rounds {
            let mut json = Vec::with_capacity(4096);
            let eligibility = loaded
                .evaluate_json(black_box(request), &mut json)
                .expect("evaluates");
            black_box((eligibility, json));
        }
        println!("evaluate: {:?} per request", started.elapsed() / rounds);
    } else if mode == "write" {
        let mut session = loaded.session().expect("session");
        let meta = session.encode(request).expect("encodes");
        session.run().expect("runs");
        let mut json = Vec::with_capacity(8192);
        for _ in 0..rounds * 5 {
            json.clear();
            black_box(session.write_json(black_box(&meta), &mut json));
        }
        println!(
            "write: {:?} per decision of {} bytes",
            started.elapsed() / (rounds * 5),
            json.len()
        );
    } else {
        let mut session = loaded.session().expect("session");
        for _ in 0..rounds {
            black_box(session.encode(black_box(request)).expect("encodes"));
        }
        println!("encode: {:?} per request", started.elapsed() / rounds);
    }
}
