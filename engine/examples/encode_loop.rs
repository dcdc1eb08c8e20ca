//! Encodes one request many times, for a profiler:
//! `cargo run --release -p engine --example encode_loop`.

#![expect(
    clippy::expect_used,
    reason = "a profiling tool: a failure should stop it with the message"
)]

fn main() {
    let catalogue = include_str!("../../policies/catalogue.rules");
    let policy_source = include_str!("../benches/residence_permit.rules");
    let request = r#"{"application_date":"2026-01-15","facts":{"applicant":{"birth_date":"1990-02-28","hukou_city":"宁波","residence_registered_on":"2025-06-01","housing":"rented","lease_years":2,"social_insurance_months":14,"has_labour_contract":true,"enrolled_student":false},"household":{"members":[{"relation":"spouse","income":3000.50,"disabled":false},{"relation":"child","income":0},{"relation":"parent","income":1800},{"relation":"child","income":0,"disabled":false}]}},"shared_available":["gongan.resident_id"]}"#;
    let mut sources = rules_dsl::SourceSet::new();
    sources.add("catalogue.rules", catalogue);
    sources.add("policy.rules", policy_source);
    let checked = rules_dsl::check(&sources);
    let policy = checked
        .workspace
        .policy("hz.residence_permit")
        .expect("policy");
    let artifact = rules_dsl::codegen::compile(policy, &Default::default()).expect("compiles");
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    let loaded = engine.load(&artifact.wasm).expect("loads");
    loaded.wait_optimized(std::time::Duration::from_secs(60));
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
