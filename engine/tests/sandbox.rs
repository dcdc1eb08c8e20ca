//! The sandbox: hostile modules are refused or stopped, each with its own
//! error, and the same engine goes on evaluating a normal policy correctly;
//! nothing from one evaluation can be seen by the next.

#![allow(
    clippy::expect_used,
    reason = "test helpers stop the test with their message"
)]

use std::sync::Arc;
use std::time::Duration;

use engine::{Compilation, Engine, EvalError, Limits, LoadError, LoadedPolicy};
use rules_dsl::SourceSet;
use rules_dsl::codegen::{CompileOptions, compile};

const CATALOGUE: &str = r#"
department t.office "测试部门"
dataset t.ids "身份信息" by t.office
material t.id_card "身份证"
material t.photo "照片"
"#;

const POLICY: &str = r#"
policy t.allowance "测试津贴"
  department t.office
  basis "《测试办法》"

facts {
  applicant.birth_date: date
  applicant.city: text
  applicant.income: money?
  household.members: list of { relation: enum { spouse, child }, income: money, disabled: bool? }
  applicant.permits: set of text
}

let members "家庭人数" = count(m in household.members)
let household_income "家庭收入" = sum(m.income for m in household.members)

rule adult "成年" cite "第一条":
  age_on(applicant.birth_date, application_date) >= 18
rule local "本市" cite "第二条":
  applicant.city == "杭州"
rule poor "低收入" cite "第三条":
  applicant.income < 2000.00 and household_income < 5000.00
rule permitted "许可" cite "第四条":
  "营业执照" in applicant.permits or any(m.disabled for m in household.members)

eligible when adult and local and (poor or permitted)

material t.id_card source shared t.ids else applicant
material t.photo when applicant.income > 1000.00

step accept "受理" by t.office within 1 working day
step decide "决定" by t.office after accept within 10 days
"#;

fn normal_artifact() -> Vec<u8> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", POLICY);
    let checked = rules_dsl::check(&sources);
    assert_eq!(
        checked.error_count(),
        0,
        "{}",
        sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
    );
    let policy = checked
        .workspace
        .policy("t.allowance")
        .expect("checked policy");
    compile(policy, &CompileOptions::default())
        .expect("compiles")
        .wasm
}

fn manifest_section(wasm: &[u8]) -> Vec<u8> {
    // Copy the real manifest, so hostile modules pass the manifest checks and
    // reach the checks under test.
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::CustomSection(section)) = payload {
            if section.name() == rules_dsl::manifest::SECTION {
                return custom_section(section.name(), section.data());
            }
        }
    }
    panic!("no manifest")
}

fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    leb(&mut body, name.len() as u64);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    let mut section = vec![0u8];
    leb(&mut section, body.len() as u64);
    section.extend(body);
    section
}

fn leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A hand-written module with the normal policy's manifest appended.
fn hostile(wat_text: &str) -> Vec<u8> {
    let mut wasm = wat::parse_str(wat_text).expect("valid WAT");
    wasm.extend(manifest_section(&normal_artifact()));
    wasm
}

const FACTS: &str = r#"{
  "application_date": "2026-03-01",
  "facts": {
    "applicant": {"birth_date": "2000-02-29", "city": "杭州", "income": 1500, "permits": []},
    "household": {"members": [{"relation": "spouse", "income": 1200.50}]}
  },
  "shared_available": ["t.ids"]
}"#;

fn engine(limits: Limits) -> Engine {
    Engine::new(limits).expect("engine starts")
}

/// After any hostile module, the same engine still evaluates correctly.
fn still_works(engine: &Engine) {
    let policy = engine
        .load(&normal_artifact())
        .expect("normal policy loads");
    let decision = policy
        .evaluate(FACTS.as_bytes())
        .expect("normal policy evaluates");
    assert_eq!(decision.eligibility, engine::Eligibility::Eligible);
    assert_eq!(
        decision.value("household_income"),
        Some(&serde_json::json!("1200.50"))
    );
}

#[test]
fn an_infinite_loop_is_stopped_by_the_deadline() {
    // In both kinds of code: the epoch check is compiled into each.
    for compilation in [Compilation::Quick, Compilation::Optimized] {
        let engine = engine(Limits {
            deadline: Duration::from_millis(30),
            compilation,
            ..Limits::default()
        });
        let policy = engine
            .load(&hostile(
                r#"(module (memory (export "memory") 1 1) (func (export "evaluate") (loop (br 0))))"#,
            ))
            .expect("loads: it is only caught when it runs");
        let started = std::time::Instant::now();
        let error = policy.evaluate(FACTS.as_bytes()).expect_err("stopped");
        assert!(
            matches!(error, EvalError::Timeout { ref policy, limit_ms: 30 } if policy == "t.allowance"),
            "{compilation:?}: {error:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stopped promptly"
        );
        still_works(&engine);
    }
}

/// A policy answers from quick code at once and from optimised code once it
/// is compiled; an instance in flight across the switch finishes on its own
/// code, and the answers are the same.
#[test]
fn the_optimized_code_replaces_the_quick_code() {
    let engine = engine(Limits::default());
    let policy = engine.load(&normal_artifact()).expect("loads");
    let mut in_flight = policy.session().expect("an instance");
    let first = policy.evaluate(FACTS.as_bytes()).expect("evaluates");
    assert_eq!(
        policy.wait_optimized(Duration::from_secs(60)),
        engine::Tier::Optimized,
        "{:?}",
        policy.optimize_failure()
    );
    assert_eq!(policy.optimize_failure(), None);
    let meta = in_flight.encode(FACTS.as_bytes()).expect("encodes");
    in_flight.run().expect("the quick instance still runs");
    assert_eq!(in_flight.decode(&meta).expect("decodes"), first);
    drop(in_flight);
    for _ in 0..3 {
        let again = policy.evaluate(FACTS.as_bytes()).expect("evaluates");
        assert_eq!(again, first);
    }
    assert_eq!(policy.tier(), engine::Tier::Optimized);

    // Without background compilation there is nothing to wait for.
    let quick = Engine::new(Limits {
        compilation: Compilation::Quick,
        ..Limits::default()
    })
    .expect("engine");
    let policy = quick.load(&normal_artifact()).expect("loads");
    assert_eq!(
        policy.wait_optimized(Duration::from_secs(60)),
        engine::Tier::Quick
    );
    assert_eq!(policy.evaluate(FACTS.as_bytes()).expect("evaluates"), first);
}

#[test]
fn a_memory_grow_bomb_traps() {
    let engine = engine(Limits::default());
    let policy = engine
        .load(&hostile(
            r#"(module (memory (export "memory") 1 1)
                 (func (export "evaluate") (loop (drop (memory.grow (i32.const 1000))) (br 0))))"#,
        ))
        .expect("loads");
    let error = policy
        .evaluate(FACTS.as_bytes())
        .expect_err("the grow fails and traps");
    assert!(!error.is_input_error(), "{error:?}");
    assert!(error.to_string().contains("t.allowance"), "{error}");
    still_works(&engine);
}

#[test]
fn a_memory_larger_than_the_limit_is_refused() {
    let engine = engine(Limits {
        max_memory_bytes: 16 * 65_536,
        ..Limits::default()
    });
    let error = engine
        .load(&hostile(
            r#"(module (memory (export "memory") 17 17) (func (export "evaluate")))"#,
        ))
        .expect_err("refused");
    assert!(
        matches!(error, LoadError::Memory { bytes, limit, .. } if bytes == 17 * 65_536 && limit == 16 * 65_536)
    );
    let error = engine
        .load(&hostile(
            r#"(module (memory (export "memory") 1) (func (export "evaluate")))"#,
        ))
        .expect_err("a memory without a maximum is refused");
    assert!(matches!(error, LoadError::Memory { .. }), "{error:?}");
}

#[test]
fn a_huge_data_segment_is_refused() {
    // 4 MiB of data into a memory of one page: instantiation fails at load.
    let data = "\\00".repeat(4 * 1024 * 1024);
    let engine = engine(Limits::default());
    let error = engine
        .load(&hostile(&format!(
            r#"(module (memory (export "memory") 1 1) (data (i32.const 0) "{data}") (func (export "evaluate")))"#
        )))
        .expect_err("refused");
    assert!(
        matches!(error, LoadError::Instantiate { .. } | LoadError::Invalid(_)),
        "{error:?}"
    );
    still_works(&engine);
}

#[test]
fn an_import_is_refused() {
    let engine = engine(Limits::default());
    let error = engine
        .load(&hostile(
            r#"(module (import "env" "read_file" (func $f)) (memory (export "memory") 1 1)
                 (func (export "evaluate") (call $f)))"#,
        ))
        .expect_err("refused");
    assert!(
        matches!(error, LoadError::Import { ref module, ref name } if module == "env" && name == "read_file")
    );
    still_works(&engine);
}

#[test]
fn a_start_function_is_refused() {
    let engine = engine(Limits::default());
    let error = engine
        .load(&hostile(
            r#"(module (memory (export "memory") 1 1) (func $boot) (start $boot) (func (export "evaluate")))"#,
        ))
        .expect_err("refused");
    assert!(matches!(error, LoadError::StartFunction), "{error:?}");
    still_works(&engine);
}

#[test]
fn a_trap_is_an_error_naming_the_policy() {
    let engine = engine(Limits::default());
    let policy = engine
        .load(&hostile(
            r#"(module (memory (export "memory") 1 1) (func (export "evaluate") unreachable))"#,
        ))
        .expect("loads");
    let error = policy.evaluate(FACTS.as_bytes()).expect_err("traps");
    assert!(
        matches!(error, EvalError::Trap { ref policy, .. } if policy == "t.allowance"),
        "{error:?}"
    );
    // A trapped instance is thrown away; the next call gets a fresh one and traps the same way.
    let again = policy.evaluate(FACTS.as_bytes()).expect_err("traps again");
    assert_eq!(error, again);
    still_works(&engine);
}

#[test]
fn an_unknown_abi_version_and_a_missing_manifest_are_refused() {
    let engine = engine(Limits::default());
    let mut wasm =
        wat::parse_str(r#"(module (memory (export "memory") 1 1) (func (export "evaluate")))"#)
            .expect("wat");
    let bare = wasm.clone();
    assert!(matches!(engine.load(&bare), Err(LoadError::NoManifest(_))));
    wasm.extend(custom_section(
        rules_dsl::manifest::SECTION,
        br#"{"abi_version": 99}"#,
    ));
    assert!(matches!(
        engine.load(&wasm),
        Err(LoadError::AbiVersion {
            found: 99,
            supported: rules_dsl::manifest::ABI_VERSION
        })
    ));
    assert!(matches!(
        engine.load(b"not wasm at all"),
        Err(LoadError::Invalid(_))
    ));
}

#[test]
fn nothing_from_one_evaluation_is_seen_by_the_next() {
    // One pooled instance, so every call reuses the same memory.
    let engine = engine(Limits {
        pool_size: 1,
        ..Limits::default()
    });
    let policy: Arc<LoadedPolicy> = engine.load(&normal_artifact()).expect("loads");
    let full = r#"{"application_date": "2026-03-01", "facts": {
        "applicant": {"birth_date": "1990-01-01", "city": "杭州", "income": 900, "permits": ["营业执照", "食品经营许可"]},
        "household": {"members": [
            {"relation": "spouse", "income": 800, "disabled": true},
            {"relation": "child", "income": 10, "disabled": false},
            {"relation": "child", "income": 20}
        ]}}, "shared_available": ["t.ids"]}"#;
    let sparse = r#"{"application_date": "2026-03-01", "facts": {
        "applicant": {"birth_date": "1990-01-01", "city": "宁波", "permits": []},
        "household": {"members": []}}}"#;
    let fresh_engine = engine::Engine::new(Limits::default()).expect("engine");
    let fresh = fresh_engine.load(&normal_artifact()).expect("loads");
    let expected = fresh.evaluate(sparse.as_bytes()).expect("evaluates");
    for _ in 0..3 {
        let _ = policy.evaluate(full.as_bytes()).expect("evaluates");
        let after_full = policy.evaluate(sparse.as_bytes()).expect("evaluates");
        assert_eq!(
            after_full, expected,
            "the sparse request saw something of the full one"
        );
        // A request that fails half-way leaves nothing behind either.
        let broken = r#"{"application_date": "2026-03-01", "facts": {"applicant": {"birth_date": "1990-01-01", "city": 5}}}"#;
        assert!(policy.evaluate(broken.as_bytes()).is_err());
        assert_eq!(
            policy.evaluate(sparse.as_bytes()).expect("evaluates"),
            expected
        );
    }
    assert_eq!(expected.eligibility, engine::Eligibility::Ineligible);
    assert!(expected.missing_facts.is_empty());
    assert_eq!(expected.value("members"), Some(&serde_json::json!(0)));
}

#[test]
fn loading_the_same_bytes_twice_compiles_once() {
    let engine = engine(Limits::default());
    let first = engine.load(&normal_artifact()).expect("loads");
    let second = engine.load(&normal_artifact()).expect("loads");
    assert!(Arc::ptr_eq(&first, &second));
}
