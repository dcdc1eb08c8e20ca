//! Where compile time goes, stage by stage: `cargo run --release -p engine --example compile_split -- 200`.
//! `OPT=none` and `REGALLOC=single_pass` set Cranelift's options for the bare
//! `Module::new` line printed for comparison.

#![expect(
    clippy::expect_used,
    reason = "a measuring tool: a failure should stop it with the message"
)]

use std::time::Instant;

#[path = "../benches/generated.rs"]
mod generated;

fn main() {
    let rules: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let catalogue = "department hz.public_security \"公安\"\n";
    let text = generated::generated(rules, 0);
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    for round in 0..7 {
        let t0 = Instant::now();
        let mut sources = rules_dsl::SourceSet::new();
        sources.add("c.rules", catalogue);
        sources.add(
            "p.rules",
            text.replace("version 1", &format!("version {}", round + 1)),
        );
        let checked = rules_dsl::check(&sources);
        let t1 = Instant::now();
        let policy = checked.workspace.policy("bench.generated").expect("policy");
        let per_function: usize = std::env::var("PER_FUNCTION")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(rules_dsl::codegen::DEFINITIONS_PER_FUNCTION);
        let options = rules_dsl::codegen::CompileOptions {
            definitions_per_function: per_function,
            ..Default::default()
        };
        let artifact = rules_dsl::codegen::compile(policy, &options).expect("compiles");
        let codegen = t1.elapsed();
        // For comparison: wasmtime's default configuration, outside the timed pipeline.
        let mut config = wasmtime::Config::new();
        config.cranelift_opt_level(match std::env::var("OPT").as_deref() {
            Ok("none") => wasmtime::OptLevel::None,
            _ => wasmtime::OptLevel::Speed,
        });
        if std::env::var("REGALLOC").as_deref() == Ok("single_pass") {
            config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
        }
        let bare = wasmtime::Engine::new(&config).expect("engine");
        let t_module = Instant::now();
        let module = wasmtime::Module::new(&bare, &artifact.wasm).expect("module");
        println!(
            "  bare Module::new: {:?} ({} functions)",
            t_module.elapsed(),
            module.exports().count()
        );
        let t2 = Instant::now();
        let loaded = engine.load(&artifact.wasm).expect("loads");
        let t3 = Instant::now();
        let tier = loaded.wait_optimized(std::time::Duration::from_secs(60));
        let t4 = Instant::now();
        println!(
            "{rules} rules: check {:?}, codegen+validate {:?} ({} bytes), quick compile+instantiate {:?}, total to ready {:?}; then {tier:?} code after {:?} more",
            t1 - t0,
            codegen,
            artifact.wasm.len(),
            t3 - t2,
            (t1 - t0) + codegen + (t3 - t2),
            t4 - t3,
        );
        drop(loaded);
    }
}
