//! A loop for profilers (`perf record`, callgrind): evaluates for a while
//! after loading, so the profile is the evaluation.
//!
//! `cargo run --release -p bench --example eval_loop -- documents [ITERATIONS]`
//! evaluates every document of `bench/data` with the peer-comparison policy;
//! `... -- generated RULES MEMBERS [ITERATIONS]` one request of the scaling
//! benchmark.

use std::time::{Duration, Instant};

use bench::Evaluator;
use bench::generated::{GENERATED_ID, policy, request};
use bench::yici::Yici;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> anyhow::Result<usize> {
        Ok(match args.get(i) {
            Some(text) => text.parse()?,
            None => default,
        })
    };
    match args.first().map(String::as_str) {
        Some("documents") | None => {
            let iterations = number(1, 200_000)?;
            let documents = bench::documents()?;
            let mut yici = Yici::new()?;
            let mut eligible = 0usize;
            for i in 0..iterations {
                let document = &documents[i % documents.len()];
                eligible += usize::from(yici.eligible(std::hint::black_box(&document.json))?);
            }
            println!("{eligible} eligible of {iterations}");
        }
        Some("generated") => {
            let rules = number(1, 1000)?;
            let members = number(2, 1)?;
            let iterations = number(3, 2_000)?;
            let yici = Yici::from_source(&policy(rules, 0), GENERATED_ID)?;
            let request = request(members);
            // The stages timed apart, as the engine's `Session` allows.
            let (mut encode, mut run, mut decode) =
                (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            let mut rule_results = 0usize;
            for _ in 0..iterations {
                let mut session = yici.policy().session()?;
                let started = Instant::now();
                let meta = session.encode(std::hint::black_box(request.as_bytes()))?;
                let encoded = Instant::now();
                session.run()?;
                let ran = Instant::now();
                let mut json = Vec::with_capacity(4096);
                session.write_json(&meta, &mut json);
                rule_results += json.len();
                let decoded = Instant::now();
                encode += encoded - started;
                run += ran - encoded;
                decode += decoded - ran;
            }
            let per = |d: Duration| d.as_secs_f64() * 1e9 / iterations.max(1) as f64;
            println!(
                "{rules} rules, {members} members: encode {:.0} ns, run {:.0} ns, decode {:.0} ns per evaluation ({rule_results} bytes of decisions)",
                per(encode),
                per(run),
                per(decode)
            );
        }
        Some(other) => anyhow::bail!("unknown mode `{other}`: `documents` or `generated`"),
    }
    Ok(())
}
