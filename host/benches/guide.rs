//! The guide's costs. Run: `cargo bench -p host --bench guide`. Figures:
//! docs/benchmarks.md ("The citizen guide").
//!
//! - `screen_engine_100`: one person against 100 policies (the shipped ones,
//!   repeated to 100), engine time only: each policy's facts (from its first
//!   scenario) already cut out, then evaluate → the decision's JSON, 100 times.
//! - `screen_interview_100`: the same person through the screener's whole
//!   work (`service::screen::interview`: every policy's facts cut out of the
//!   answers, evaluated, its decision read back, the open facts ranked).
//! - `next_question_residence_permit`: the interview of one policy with the
//!   required facts answered: every open yes/no fact probed to rank them.
//! - `next_question_screener`: the screener over the shipped policies after
//!   three answers (ranking only); `…_with_earliest` adds the earliest-date
//!   search of every refusal, as the service answers.

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops on a broken setup with its message"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use engine::LoadedPolicy;
use host::service::interview::{Answers, Depth, facts_json_of};
use host::service::screen;
use serde_json::Value;

fn main() {
    divan::main();
}

struct Setup {
    /// The shipped policies, repeated to 100.
    hundred: Vec<Arc<LoadedPolicy>>,
    shipped: Vec<Arc<LoadedPolicy>>,
    /// One person's facts: the first scenario of every policy, merged (a
    /// list of records left out: two policies' household lists differ in
    /// their fields).
    person: BTreeMap<String, Value>,
    /// Each policy's facts from its own first scenario (the engine's part).
    own: BTreeMap<String, Vec<u8>>,
    date: String,
}

fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::String(format!("{f:.2}")),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies"));
    let engine = Box::leak(Box::new(
        engine::Engine::new(engine::Limits::default()).expect("engine"),
    ));
    let files = host::project::read_rules(root).expect("policies");
    let project = host::project::build(engine, &files).expect("the shipped policies build");
    let mut shipped: Vec<(String, Arc<LoadedPolicy>)> = project
        .policies
        .iter()
        .map(|(id, p)| (id.clone(), Arc::clone(p)))
        .collect();
    shipped.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, policy) in &shipped {
        policy.wait_optimized(std::time::Duration::from_secs(60));
    }
    let mut person = BTreeMap::new();
    let mut own = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for path in host::project::find_scenarios(root).expect("scenarios") {
        let folder = host::project::scenario_folder(&path)
            .expect("folder")
            .canonicalize()
            .expect("a folder");
        let Some(id) = project.folders.get(&folder) else {
            continue;
        };
        let Some(policy) = project.policies.get(id) else {
            continue;
        };
        if !seen.insert(id.clone()) {
            continue;
        }
        let scenario = host::scenario::parse(&std::fs::read_to_string(&path).expect("read"))
            .expect("scenario");
        let mut mine = Vec::new();
        for slot in &policy.manifest().input.facts {
            let mut parts = slot.name.split('.');
            let first = parts.next().expect("a name");
            let mut value = scenario.facts.get(first);
            for part in parts {
                value = value.and_then(|v| v.as_table()).and_then(|t| t.get(part));
            }
            if let Some(value) = value {
                let value = toml_to_json(value);
                mine.push((slot.name.clone(), value.clone()));
                if slot.elements.is_none() {
                    person.entry(slot.name.clone()).or_insert(value);
                }
            }
        }
        let facts: Vec<(&str, &Value)> = mine.iter().map(|(k, v)| (k.as_str(), v)).collect();
        own.insert(id.clone(), facts_json_of(&facts));
    }
    let shipped: Vec<Arc<LoadedPolicy>> = shipped.into_iter().map(|(_, p)| p).collect();
    let hundred = shipped.iter().cycle().take(100).cloned().collect();
    Setup {
        hundred,
        shipped,
        person,
        own,
        date: "2026-01-15".into(),
    }
});

fn answers(values: BTreeMap<String, Value>) -> Answers {
    Answers {
        application_date: SETUP.date.clone(),
        values,
        fetched_at_application: true,
        ..Answers::default()
    }
}

#[divan::bench]
fn screen_engine_100(bencher: divan::Bencher<'_, '_>) {
    let setup = &*SETUP;
    let requests: Vec<(Arc<LoadedPolicy>, Vec<u8>)> = setup
        .hundred
        .iter()
        .map(|policy| {
            let facts = setup.own[&policy.manifest().policy.id].clone();
            (Arc::clone(policy), facts)
        })
        .collect();
    let mut out = Vec::with_capacity(8192);
    bencher.bench_local(|| {
        let mut decided = 0;
        for (policy, facts) in &requests {
            out.clear();
            if policy
                .evaluate_facts_json(facts, &setup.date, &[], &mut out)
                .is_ok()
            {
                decided += 1;
            }
        }
        assert_eq!(decided, 100);
    });
}

#[divan::bench]
fn screen_interview_100(bencher: divan::Bencher<'_, '_>) {
    let setup = &*SETUP;
    let answers = answers(setup.person.clone());
    let depth = Depth {
        rank: true,
        earliest: false,
    };
    bencher.bench_local(|| {
        screen::interview(
            &setup.hundred,
            &answers,
            rules_dsl::Lang::Zh,
            depth,
            "bench",
        )
        .expect("an answer")
    });
}

#[divan::bench]
fn next_question_residence_permit(bencher: divan::Bencher<'_, '_>) {
    let setup = &*SETUP;
    let policy = setup
        .shipped
        .iter()
        .find(|p| p.manifest().policy.id == "hz.residence_permit")
        .expect("the residence permit");
    let required: BTreeMap<String, Value> = [
        ("applicant.birth_date", Value::from("1992-05-10")),
        ("applicant.hukou_city", Value::from("宁波")),
        (
            "applicant.residence_registered_on",
            Value::from("2025-06-01"),
        ),
        ("applicant.first_application", Value::from(true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let answers = answers(required);
    let depth = Depth {
        rank: true,
        earliest: false,
    };
    let policies = [Arc::clone(policy)];
    bencher.bench_local(|| {
        let answer = screen::interview(&policies, &answers, rules_dsl::Lang::Zh, depth, "bench")
            .expect("an answer");
        assert!(!answer.questions.is_empty());
        answer
    });
}

#[divan::bench]
fn next_question_screener(bencher: divan::Bencher<'_, '_>) {
    let setup = &*SETUP;
    let some: BTreeMap<String, Value> = [
        ("applicant.birth_date", Value::from("1992-05-10")),
        ("applicant.hukou_city", Value::from("宁波")),
        (
            "applicant.residence_registered_on",
            Value::from("2025-06-01"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let answers = answers(some);
    let depth = Depth {
        rank: true,
        earliest: false,
    };
    bencher.bench_local(|| {
        screen::interview(
            &setup.shipped,
            &answers,
            rules_dsl::Lang::Zh,
            depth,
            "bench",
        )
        .expect("an answer")
    });
}

/// The same with the earliest-date search of every refusal (what the
/// service answers: the screener's result shows it).
#[divan::bench]
fn next_question_screener_with_earliest(bencher: divan::Bencher<'_, '_>) {
    let setup = &*SETUP;
    let some: BTreeMap<String, Value> = [
        ("applicant.birth_date", Value::from("1992-05-10")),
        ("applicant.hukou_city", Value::from("宁波")),
        (
            "applicant.residence_registered_on",
            Value::from("2025-06-01"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let answers = answers(some);
    let depth = Depth {
        rank: true,
        earliest: true,
    };
    bencher.bench_local(|| {
        screen::interview(
            &setup.shipped,
            &answers,
            rules_dsl::Lang::Zh,
            depth,
            "bench",
        )
        .expect("an answer")
    });
}
