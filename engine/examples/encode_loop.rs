//! Encodes one request many times, for a profiler:
//! `cargo run --release -p engine --example encode_loop`.

#![expect(
    clippy::expect_used,
    reason = "a profiling tool: a failure should stop it with the message"
)]

mod residence_permit;

fn main() {
    let (_engine, loaded) = residence_permit::loaded();
    let request = residence_permit::REQUEST;
    let mut session = loaded.session().expect("session");
    let started = std::time::Instant::now();
    let rounds = 2_000_000;
    for _ in 0..rounds {
        std::hint::black_box(
            session
                .encode(std::hint::black_box(request.as_bytes()))
                .expect("encodes"),
        );
    }
    println!("encode: {:?} per request", started.elapsed() / rounds);
}
