//! Encodes (or, with `evaluate`, evaluates end to end) one request many
//! times, for a profiler:
//! `cargo run --release -p engine --example encode_loop [encode|evaluate]`.

#![expect(
    clippy::expect_used,
    reason = "a profiling tool: a failure should stop it with the message"
)]

mod residence_permit;

use std::hint::black_box;

fn main() {
    let whole = std::env::args().nth(1).as_deref() == Some("evaluate");
    let (_engine, loaded) = residence_permit::loaded();
    let request = residence_permit::REQUEST.trim().as_bytes();
    let rounds = 1_000_000;
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
    } else {
        let mut session = loaded.session().expect("session");
        for _ in 0..rounds {
            black_box(session.encode(black_box(request)).expect("encodes"));
        }
        println!("encode: {:?} per request", started.elapsed() / rounds);
    }
}
