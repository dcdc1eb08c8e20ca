//! Where compile time goes, stage by stage: `cargo run --release -p engine --example compile_split -- 200`.

#![expect(
    clippy::expect_used,
    reason = "a measuring tool: a failure should stop it with the message"
)]

use std::time::Instant;

fn main() {
    let rules: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let catalogue = "department hz.public_security \"公安\"\n";
    let mut text = String::from(
        "policy bench.generated \"生成\"\n  department hz.public_security\n  basis \"b\"\n\nfacts {\n",
    );
    for i in 0..50 {
        text.push_str(&format!(
            "  applicant.number_{i}: int{}\n",
            if i % 5 == 0 { "?" } else { "" }
        ));
    }
    text.push_str(
        "  applicant.birth_date: date\n  applicant.income: money\n  applicant.city: text\n",
    );
    text.push_str("  household.members: list of { relation: enum { spouse, child, parent }, income: money }\n}\n\n");
    text.push_str("param threshold: money {\n  from 2020-01-01 = 1000.00\n}\n\nlet age = age_on(applicant.birth_date, application_date)\n\n");
    for i in 0..rules {
        text.push_str(&format!(
            "rule rule_{i} \"第{i}条\" cite \"第{i}条\":\n  applicant.number_{} >= {i} and (applicant.income > threshold or age >= 18) and count(m in household.members where m.income > {i}.00) < 5 and applicant.city != \"杭州\"\n\n",
            i % 50
        ));
    }
    let names: Vec<String> = (0..rules).map(|i| format!("rule_{i}")).collect();
    text.push_str(&format!("eligible when {}\n", names.join(" and ")));
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    for round in 0..7 {
        let t0 = Instant::now();
        let mut sources = rules_dsl::SourceSet::new();
        sources.add("c.rules", catalogue);
        sources.add(
            "p.rules",
            text.replace("basis \"b\"", &format!("basis \"b{round}\"")),
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
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
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
        println!(
            "{rules} rules: check {:?}, codegen+validate {:?} ({} bytes), wasmtime compile+instantiate {:?}, total {:?}",
            t1 - t0,
            codegen,
            artifact.wasm.len(),
            t3 - t2,
            (t1 - t0) + codegen + (t3 - t2)
        );
        drop(loaded);
    }
}
