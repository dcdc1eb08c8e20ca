//! Prints the WebAssembly text of a compiled policy:
//! `cargo run -p rules-dsl --example wat -- CATALOGUE POLICY`.

#![expect(
    clippy::expect_used,
    reason = "a developer tool: a failure should stop it with the message"
)]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sources = rules_dsl::SourceSet::new();
    for path in &args {
        sources.add(
            path.clone(),
            std::fs::read_to_string(path).expect("readable file"),
        );
    }
    let checked = rules_dsl::check(&sources);
    eprint!(
        "{}",
        sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
    );
    for policy in &checked.workspace.policies {
        let artifact = rules_dsl::codegen::compile(policy, &Default::default()).expect("compiles");
        println!(
            "{}",
            wasmprinter::print_bytes(&artifact.wasm).expect("prints")
        );
    }
}
