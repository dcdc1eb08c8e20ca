//! Yici against its peers, end to end from the same JSON bytes. Run with
//! `cargo bench -p bench --features peers --bench peers` (or `bench/run.sh`,
//! which writes the table into docs/benchmarks.md).
//!
//! Every benchmark evaluates all the documents of `bench/data/` once per
//! iteration (the per-evaluation figure is that time divided by their
//! number), after checking that the engine gives each its expected
//! eligibility.
//!
//! - `end_to_end/*`: each engine from the bytes to the eligibility.
//! - `stages/*`: Yici's encode, run and decode apart, and the floor's rules
//!   on already-parsed facts (the run part the goal compares with).

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops on a broken setup with its message"
)]

use bench::{Document, Evaluator, disagreements, documents};

fn main() {
    divan::main();
}

fn checked_documents(evaluator: &mut dyn Evaluator) -> Vec<Document> {
    let documents = documents().expect("documents");
    let problems = disagreements(evaluator, &documents);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    documents
}

fn bench_evaluator(bencher: divan::Bencher, mut evaluator: impl Evaluator) {
    let documents = checked_documents(&mut evaluator);
    bencher.bench_local(|| {
        let mut eligible = 0;
        for document in &documents {
            eligible += usize::from(
                evaluator
                    .eligible(divan::black_box(&document.json))
                    .expect("evaluates"),
            );
        }
        eligible
    });
}

mod end_to_end {
    use super::*;
    use bench::peers;

    #[divan::bench]
    fn yici(bencher: divan::Bencher) {
        bench_evaluator(bencher, bench::yici::Yici::new().expect("loads"));
    }

    #[divan::bench]
    fn floor(bencher: divan::Bencher) {
        bench_evaluator(bencher, bench::floor::Floor);
    }

    #[divan::bench]
    fn rego_interpreter(bencher: divan::Bencher) {
        bench_evaluator(bencher, peers::rego::RegoInterpreter::new().expect("loads"));
    }

    #[divan::bench]
    fn rego_rvm(bencher: divan::Bencher) {
        bench_evaluator(bencher, peers::rego::RegoVm::new().expect("loads"));
    }

    #[divan::bench]
    fn cedar(bencher: divan::Bencher) {
        bench_evaluator(bencher, peers::cedar::Cedar::new().expect("loads"));
    }

    #[divan::bench]
    fn zen(bencher: divan::Bencher) {
        bench_evaluator(bencher, peers::zen::Zen::new().expect("loads"));
    }

    #[divan::bench]
    fn cel(bencher: divan::Bencher) {
        bench_evaluator(bencher, peers::cel::Cel::new().expect("loads"));
    }
}

mod stages {
    use super::*;
    use bench::floor;
    use bench::yici::Yici;

    #[divan::bench]
    fn yici_encode(bencher: divan::Bencher) {
        let mut yici = Yici::new().expect("loads");
        let documents = checked_documents(&mut yici);
        let mut session = yici.policy().session().expect("session");
        bencher.bench_local(|| {
            for document in &documents {
                session
                    .encode(divan::black_box(&document.json))
                    .expect("encodes");
            }
        });
    }

    /// One session per document, encoded beforehand: only `evaluate` runs.
    #[divan::bench]
    fn yici_run(bencher: divan::Bencher) {
        let mut yici = Yici::new().expect("loads");
        let documents = checked_documents(&mut yici);
        let mut sessions: Vec<_> = documents
            .iter()
            .map(|document| {
                let mut session = yici.policy().session().expect("session");
                session.encode(&document.json).expect("encodes");
                session
            })
            .collect();
        bencher.bench_local(|| {
            for session in &mut sessions {
                session.run().expect("runs");
            }
        });
    }

    #[divan::bench]
    fn yici_decode(bencher: divan::Bencher) {
        let mut yici = Yici::new().expect("loads");
        let documents = checked_documents(&mut yici);
        let prepared: Vec<_> = documents
            .iter()
            .map(|document| {
                let mut session = yici.policy().session().expect("session");
                let meta = session.encode(&document.json).expect("encodes");
                session.run().expect("runs");
                (session, meta)
            })
            .collect();
        bencher.bench_local(|| {
            let mut days = 0;
            for (session, meta) in &prepared {
                days += session.decode(divan::black_box(meta)).total_days;
            }
            days
        });
    }

    /// The floor's rules on facts already parsed into structs.
    #[divan::bench]
    fn floor_run(bencher: divan::Bencher) {
        let documents = checked_documents(&mut floor::Floor);
        let requests: Vec<floor::Request<'_>> = documents
            .iter()
            .map(|document| serde_json::from_slice(&document.json).expect("parses"))
            .collect();
        bencher.bench_local(|| {
            let mut eligible = 0;
            for request in &requests {
                eligible += usize::from(floor::decide(divan::black_box(request)).expect("decides"));
            }
            eligible
        });
    }
}
