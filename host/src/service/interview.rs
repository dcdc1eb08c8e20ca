//! The guided interview (掌上办): answers so far → the questions still worth
//! asking, best first, and the decision so far. Input: one compiled policy
//! (or several: a bundle's members, every policy in force for the screener)
//! and an [`Answers`]; output: an [`Assessment`] per policy, which
//! `service::screen` merges. No HTTP, nothing stored.
//!
//! What is asked. A fact is asked of the applicant when the applicant
//! supplies it, or when it comes from a shared dataset that the platform
//! cannot fetch for this applicant (`shared_available` does not name it — the
//! same fallback as a material's `source shared … else applicant`). A fact
//! from an available dataset, or one the department determines, is never
//! asked: it stays unknown here and is listed in `verified_by_department`.
//!
//! The order (docs/guide.md, "Which question comes next").
//! 1. A required fact that is not answered is asked first, in the order the
//!    policy declares its facts: the compiled policy cannot decide anything
//!    without it — unless no answer of it changes the eligibility or the
//!    facts it waits for. Each is tried with stand-in values (every value of
//!    a closed type; dates from a month to 85 years before the application
//!    date and a year after; a few numbers within its bounds), the others
//!    held at a stand-in; one that changes nothing is asked last, once the
//!    eligibility is decided (the materials and steps still need it).
//! 2. Then the unknown facts the eligibility still waits for (the decision's
//!    `missing_facts`). Each one of a closed type (yes/no, choices) is probed:
//!    the policy is evaluated once per possible answer, and the fact whose
//!    answers leave the fewest facts still missing on average comes first
//!    (it can settle the most; an answer that decides the eligibility leaves
//!    none). Facts of an open type (dates, numbers, texts) cannot be probed
//!    and keep the number missing now. Ties go to the order of declaration.
//!
//! "不知道". A fact answered 不知道 (`unknown`) is never asked again. An
//! optional one is left out of the facts (unknown, Kleene logic carries it);
//! the result then says on what it depends: for a closed type, each answer
//! that would make the applicant eligible ("若「…」为「…」，则符合"); else the
//! rules still open. A required one of a closed type (or a text, whose
//! behaviour is fixed by the policy's text constants plus any other text) is
//! tried with every value; the decision stands if they all agree, else the
//! result names the values that qualify. A required date or number answered
//! 不知道 blocks the decision (`blocked_by`).
//!
//! The earliest date. A refusal is searched forward: the same facts at later
//! application dates (every month of the first year, then every six months up
//! to ten years; then day by day back to the first one) with the same compiled
//! version. When a later date is no longer refused (eligible, or waiting only
//! for facts answered 不知道), the refusal is one of time only and the answer
//! says from when.

use std::collections::{BTreeMap, BTreeSet};

use engine::contract_manifest::{Condition, FactSlot, Manifest, Supplier, ValueType};
use engine::{Decision, Eligibility, LoadedPolicy};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::reference::{FormFact, NamedDoc, PolicyForm};

/// The most combinations of values tried for required facts answered 不知道.
const MAX_VARIANTS: usize = 16;
/// How far ahead the earliest eligible date is searched, in months.
const EARLIEST_MONTHS: i64 = 120;

/// What the applicant said so far.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    /// `YYYY-MM-DD`.
    pub application_date: String,
    /// By fact path (`applicant.lease_filed`); a list as an array of records.
    pub values: BTreeMap<String, Value>,
    /// Facts answered 不知道.
    pub unknown: BTreeSet<String>,
    /// Datasets the platform fetches for this applicant: their facts are
    /// not asked.
    pub shared_available: Vec<String>,
    /// The citizen guide: nothing is fetched now (every shared fact is
    /// asked), but at the application the department fetches what it can,
    /// so materials are evaluated with every dataset available (免提交,
    /// with the fallback named).
    pub fetched_at_application: bool,
}

/// A mistake in the answers; the service maps it to a 422 naming the field.
#[derive(Debug, thiserror::Error)]
pub enum InterviewError {
    #[error("`{path}` 不是{scope}的事实{suggestion}")]
    UnknownFact {
        /// `answers.applicant.x` or `unknown[2]`.
        path: String,
        scope: String,
        suggestion: String,
    },
    #[error("`{fact}` 既有回答又标为不知道：二者只能选一")]
    AnsweredAndUnknown { path: String, fact: String },
    /// The engine refused the facts (a wrong type, a bad date …).
    #[error("{message}")]
    Facts {
        path: Option<String>,
        message: String,
    },
    /// The policy exceeded its limits.
    #[error("{message}")]
    Evaluation { message: String },
}

impl InterviewError {
    fn from_eval(error: &engine::EvalError, lang: rules_dsl::Lang) -> InterviewError {
        let message = error.message().get(lang).to_string();
        if error.is_input_error() || matches!(error, engine::EvalError::Json { .. }) {
            InterviewError::Facts {
                path: error
                    .path()
                    .map(|p| format!("answers.{}", p.strip_prefix("facts.").unwrap_or(p))),
                message,
            }
        } else {
            InterviewError::Evaluation { message }
        }
    }
}

/// A question: the fact as a form field, with why it is asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Question {
    #[serde(flatten)]
    pub fact: FormFact,
    /// For money: `元`.
    pub unit: Option<&'static str>,
    /// Required facts must be known to decide anything.
    pub required: bool,
    /// The policies (titles) that wait for it.
    pub needed_by: Vec<String>,
}

/// A fact by its path and title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FactDoc {
    pub path: String,
    pub title: String,
    /// For a fact verified through shared data: the dataset.
    pub dataset: Option<NamedDoc>,
}

/// One policy's state after the answers so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub policy: NamedDoc,
    pub department: NamedDoc,
    /// `eligible`, `ineligible` or `undetermined` (符合 / 不符合 / 还需补充).
    pub status: &'static str,
    /// The questions this policy still waits for, best first (paths).
    pub open_questions: Vec<String>,
    /// "若…则符合": what an undetermined result depends on.
    pub conditions: Vec<String>,
    /// Why not, with citations (rule titles), for a refusal.
    pub reasons: Vec<Reason>,
    /// Required facts answered 不知道 without which nothing is decided.
    pub blocked_by: Vec<FactDoc>,
    /// Facts not asked: the department verifies them (shared data, its own assessment).
    pub verified_by_department: Vec<FactDoc>,
    /// Undetermined only for facts the department determines or fetches
    /// (nothing is left to ask the applicant, nothing was answered 不知道):
    /// the applicant's answers qualify, pending the department's check.
    pub awaits_department: bool,
    /// For a refusal of time only: the first application date that qualifies.
    pub earliest_date: Option<String>,
    /// The same in words: `2026年3月1日起可申请`.
    pub earliest_text: Option<String>,
    /// The decision so far (the evaluate API's), when one could be made.
    #[schema(value_type = Option<engine::Decision>)]
    pub decision: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reason {
    pub title: String,
    pub cite: Option<String>,
}

/// How much work an assessment does.
#[derive(Debug, Clone, Copy)]
pub struct Depth {
    /// Probe the open facts to rank them (else declaration order).
    pub rank: bool,
    /// Search the earliest eligible date of a refusal.
    pub earliest: bool,
}

/// A policy's facts that the applicant is asked (see the module's doc).
pub fn askable(slot: &FactSlot, shared_available: &[String]) -> bool {
    match &slot.supplied_by {
        Supplier::Applicant => true,
        Supplier::Shared { dataset } => !shared_available.iter().any(|d| d == dataset),
        Supplier::Department => false,
    }
}

/// The question for fact `slot` of `manifest`.
pub fn question(manifest: &Manifest, slot: &FactSlot, needed_by: Vec<String>) -> Question {
    let form = PolicyForm::of_fact(manifest, slot);
    Question {
        unit: matches!(slot.ty, ValueType::Money).then_some("元"),
        required: !slot.optional,
        fact: form,
        needed_by,
    }
}

/// Every value a closed fact can take, as JSON, with its title.
fn closed_values(slot: &FactSlot, manifest: &Manifest) -> Option<Vec<(Value, String)>> {
    match &slot.ty {
        ValueType::Bool => Some(vec![
            (Value::Bool(true), "是".to_string()),
            (Value::Bool(false), "否".to_string()),
        ]),
        ValueType::Enum { values, titles } => Some(
            values
                .iter()
                .zip(titles)
                .map(|(v, t)| (Value::String(v.clone()), t.clone()))
                .collect(),
        ),
        // A text is only compared for equality and membership: the policy's
        // constants and one text that is none of them cover every outcome.
        ValueType::Text if !slot.optional => {
            let mut values: Vec<(Value, String)> = manifest
                .texts
                .iter()
                .take(MAX_VARIANTS - 1)
                .map(|t| (Value::String(t.clone()), t.clone()))
                .collect();
            values.push((Value::String("（其他）".to_string()), "其他".to_string()));
            Some(values)
        }
        _ => None,
    }
}

/// Stand-in values of a required fact not asked yet: every value of a
/// closed type; for a date, days around the application date and ages from
/// a month to 85 years; a few numbers within the fact's bounds. Empty for a
/// set or a list (never stood in for).
fn probe_values(slot: &FactSlot, manifest: &Manifest, date: &str) -> Vec<Value> {
    if let Some(values) = closed_values(slot, manifest) {
        return values.into_iter().map(|(v, _)| v).collect();
    }
    let within = |n: i64, scale: i64| slot.bounds.is_none_or(|b| b.contains(n * scale));
    match &slot.ty {
        ValueType::Date => {
            let Ok(day) = jiff::civil::Date::strptime("%Y-%m-%d", date) else {
                return Vec::new();
            };
            [-1, -7, -24, -120, -204, -360, -780, -1020, 12]
                .iter()
                .filter_map(|&months| day.checked_add(jiff::Span::new().months(months)).ok())
                .map(|d| Value::String(d.to_string()))
                .collect()
        }
        ValueType::Int => [0, 1, 5, 12, 20, 60, 1000]
            .into_iter()
            .filter(|&n| within(n, 1))
            .map(Value::from)
            .collect(),
        ValueType::Money => [0, 1_000, 100_000]
            .into_iter()
            .filter(|&n| within(n, 100))
            .map(|n| Value::String(format!("{n}.00")))
            .collect(),
        ValueType::Decimal { scale } => [0, 50, 1_000]
            .into_iter()
            .filter(|&n| within(n, 10_i64.pow(u32::from(*scale))))
            .map(|n| Value::String(n.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds the nested facts object from dotted paths.
pub fn facts_json_of(values: &[(&str, &Value)]) -> Vec<u8> {
    fn insert(object: &mut Map<String, Value>, parts: &[&str], value: &Value) {
        match parts {
            [] => {}
            [last] => {
                object.insert((*last).to_string(), value.clone());
            }
            [first, rest @ ..] => {
                let entry = object
                    .entry((*first).to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(next) = entry {
                    insert(next, rest, value);
                }
            }
        }
    }
    let mut root = Map::new();
    for (path, value) in values {
        let parts: Vec<&str> = path.split('.').collect();
        insert(&mut root, &parts, value);
    }
    serde_json::to_vec(&Value::Object(root)).unwrap_or_else(|_| b"{}".to_vec())
}

/// A policy with the answers that concern it.
#[derive(Debug)]
pub struct Subject<'a> {
    pub policy: &'a LoadedPolicy,
    pub answers: &'a Answers,
    pub lang: rules_dsl::Lang,
    /// Stand-in values of required facts not asked yet because no answer
    /// of theirs changes the eligibility (asked last; see the module's doc).
    placeholders: Vec<(String, Value)>,
}

struct Run {
    eligibility: Eligibility,
    json: Vec<u8>,
    decision: Decision,
}

impl<'a> Subject<'a> {
    pub fn new(policy: &'a LoadedPolicy, answers: &'a Answers, lang: rules_dsl::Lang) -> Self {
        Subject {
            policy,
            answers,
            lang,
            placeholders: Vec::new(),
        }
    }

    fn manifest(&self) -> &Manifest {
        self.policy.manifest()
    }

    /// The datasets of the request this policy knows.
    fn shared(&self) -> Vec<&str> {
        let manifest = self.manifest();
        if self.answers.fetched_at_application {
            return manifest.datasets.iter().map(|d| d.id.as_str()).collect();
        }
        self.answers
            .shared_available
            .iter()
            .map(String::as_str)
            .filter(|d| manifest.datasets.iter().any(|known| known.id == *d))
            .collect()
    }

    /// Evaluates the answers with `overrides` (fact path → value) on `date`.
    fn run(&self, overrides: &[(&str, &Value)], date: &str) -> Result<Run, InterviewError> {
        let manifest = self.manifest();
        let mut values: Vec<(&str, &Value)> = Vec::new();
        for slot in &manifest.input.facts {
            if let Some((_, v)) = overrides.iter().find(|(p, _)| *p == slot.name) {
                values.push((slot.name.as_str(), v));
            } else if let Some(v) = self.answers.values.get(&slot.name) {
                values.push((slot.name.as_str(), v));
            } else if let Some((_, v)) = self.placeholders.iter().find(|(p, _)| *p == slot.name) {
                values.push((slot.name.as_str(), v));
            }
        }
        let facts = facts_json_of(&values);
        let mut json = Vec::with_capacity(4096);
        let eligibility = self
            .policy
            .evaluate_facts_json(&facts, date, &self.shared(), &mut json)
            .map_err(|e| InterviewError::from_eval(&e, self.lang))?;
        let decision = Decision::from_json(&json).map_err(|e| InterviewError::Evaluation {
            message: format!("the decision could not be read back: {e}"),
        })?;
        Ok(Run {
            eligibility,
            json,
            decision,
        })
    }

    /// The facts of the decision still to ask (top-level fact names, in
    /// declaration order), leaving out those answered 不知道.
    fn still_open(&self, decision: &Decision) -> Vec<String> {
        let manifest = self.manifest();
        let missing: BTreeSet<&str> = decision
            .missing_facts
            .applicant
            .iter()
            .map(|f| f.path.as_str())
            .chain(
                decision
                    .missing_facts
                    .shared
                    .iter()
                    .map(|f| f.path.as_str()),
            )
            .map(top_level)
            .collect();
        manifest
            .input
            .facts
            .iter()
            .filter(|slot| missing.contains(slot.name.as_str()))
            .filter(|slot| askable(slot, &self.answers.shared_available))
            .filter(|slot| !self.answers.unknown.contains(&slot.name))
            .filter(|slot| !self.answers.values.contains_key(&slot.name))
            .map(|slot| slot.name.clone())
            .collect()
    }

    /// Assesses the policy: see the module's doc.
    pub fn assess(&self, depth: Depth) -> Result<Assessment, InterviewError> {
        let manifest = self.manifest();
        let date = self.answers.application_date.as_str();
        let mut assessment = Assessment {
            policy: NamedDoc {
                id: manifest.policy.id.clone(),
                name: manifest.policy.title.clone(),
            },
            department: NamedDoc {
                id: manifest.policy.department.clone(),
                name: manifest
                    .department_name(&manifest.policy.department)
                    .to_string(),
            },
            status: "undetermined",
            open_questions: Vec::new(),
            conditions: Vec::new(),
            reasons: Vec::new(),
            blocked_by: Vec::new(),
            verified_by_department: Vec::new(),
            awaits_department: false,
            earliest_date: None,
            earliest_text: None,
            decision: None,
        };
        // Required facts first.
        let mut variants: Vec<(&FactSlot, Vec<(Value, String)>)> = Vec::new();
        for slot in &manifest.input.facts {
            if slot.optional || self.answers.values.contains_key(&slot.name) {
                continue;
            }
            let asked = askable(slot, &self.answers.shared_available);
            if asked && !self.answers.unknown.contains(&slot.name) {
                assessment.open_questions.push(slot.name.clone());
                continue;
            }
            match closed_values(slot, manifest) {
                Some(values) => variants.push((slot, values)),
                None => assessment.blocked_by.push(fact_doc(manifest, slot)),
            }
        }
        for slot in &manifest.input.facts {
            if !askable(slot, &self.answers.shared_available)
                && !self.answers.values.contains_key(&slot.name)
            {
                assessment
                    .verified_by_department
                    .push(fact_doc(manifest, slot));
            }
        }
        if !assessment.blocked_by.is_empty() {
            return Ok(assessment);
        }
        // Required facts whose answers change nothing of the eligibility are
        // asked last: tried with stand-in values, one at a time.
        let mut deferred = Vec::new();
        if !assessment.open_questions.is_empty() {
            if !variants.is_empty() {
                return Ok(assessment);
            }
            let pending = std::mem::take(&mut assessment.open_questions);
            let Some(stand_ins) = pending
                .iter()
                .map(|p| {
                    let slot = manifest.input.facts.iter().find(|s| &s.name == p)?;
                    let probes = probe_values(slot, manifest, date);
                    Some((p.clone(), probes))
                })
                .collect::<Option<Vec<(String, Vec<Value>)>>>()
                .filter(|all| all.iter().all(|(_, probes)| !probes.is_empty()))
            else {
                assessment.open_questions = pending;
                return Ok(assessment);
            };
            let mut inner = Subject {
                placeholders: stand_ins
                    .iter()
                    .map(|(p, probes)| (p.clone(), probes[0].clone()))
                    .collect(),
                ..Subject::new(self.policy, self.answers, self.lang)
            };
            // Hopeful stand-ins: each in turn the value that goes furthest
            // (eligible over undetermined over ineligible, then the most
            // rules holding), so that a fact is not taken for irrelevant only
            // because another stand-in already refuses.
            for (index, (_, probes)) in stand_ins.iter().enumerate() {
                let mut best: Option<((u8, usize), Value)> = None;
                for probe in probes {
                    inner.placeholders[index].1 = probe.clone();
                    let Ok(run) = inner.run(&[], date) else {
                        continue;
                    };
                    let score = (
                        match run.eligibility {
                            Eligibility::Eligible => 2,
                            Eligibility::Undetermined => 1,
                            Eligibility::Ineligible => 0,
                        },
                        run.decision
                            .rules
                            .iter()
                            .filter(|r| r.result == Some(true))
                            .count(),
                    );
                    if best.as_ref().is_none_or(|(b, _)| score > *b) {
                        best = Some((score, probe.clone()));
                    }
                }
                if let Some((_, value)) = best {
                    inner.placeholders[index].1 = value;
                }
            }
            for (path, probes) in &stand_ins {
                if inner.matters(path, probes, date)? {
                    assessment.open_questions.push(path.clone());
                } else {
                    deferred.push(path.clone());
                }
            }
            if !assessment.open_questions.is_empty() {
                return Ok(assessment);
            }
            return inner.decide(assessment, depth, deferred);
        }
        let combinations = combinations(&variants);
        if combinations.len() > MAX_VARIANTS {
            assessment.blocked_by = variants
                .iter()
                .map(|(s, _)| fact_doc(manifest, s))
                .collect();
            return Ok(assessment);
        }
        let mut runs = Vec::with_capacity(combinations.len());
        for combination in &combinations {
            let overrides: Vec<(&str, &Value)> = combination
                .iter()
                .map(|&(slot, value, _)| (slot.name.as_str(), value))
                .collect();
            runs.push(self.run(&overrides, date)?);
        }
        let Some(first) = runs.first() else {
            return Ok(assessment);
        };
        let agree = runs.iter().all(|r| r.eligibility == first.eligibility);
        if !agree {
            // A required fact answered 不知道 decides it: name what qualifies.
            for (combination, run) in combinations.iter().zip(&runs) {
                if run.eligibility == Eligibility::Eligible {
                    let words: Vec<String> = combination
                        .iter()
                        .map(|(slot, _, title)| format!("「{}」为「{title}」", slot.title))
                        .collect();
                    assessment
                        .conditions
                        .push(format!("若{}，则符合", words.join("且")));
                }
            }
            if assessment.conditions.is_empty() {
                assessment
                    .conditions
                    .push("还需补充信息才能判断".to_string());
            }
            return Ok(assessment);
        }
        let run = runs.swap_remove(0);
        self.finish(assessment, depth, run, Vec::new())
    }

    /// Evaluates with the stand-ins and finishes the assessment; the deferred
    /// required facts are asked after every other.
    fn decide(
        &self,
        assessment: Assessment,
        depth: Depth,
        deferred: Vec<String>,
    ) -> Result<Assessment, InterviewError> {
        let run = self.run(&[], &self.answers.application_date)?;
        self.finish(assessment, depth, run, deferred)
    }

    /// Whether some answer of required fact `path` changes the eligibility
    /// or what it still waits for.
    fn matters(&self, path: &str, probes: &[Value], date: &str) -> Result<bool, InterviewError> {
        let mut seen: Option<(Eligibility, Vec<String>)> = None;
        for probe in probes {
            let run = match self.run(&[(path, probe)], date) {
                Ok(run) => run,
                // A stand-in out of the fact's bounds: not an answer to try.
                Err(InterviewError::Facts { .. }) => continue,
                Err(other) => return Err(other),
            };
            let now = (run.eligibility, self.still_open(&run.decision));
            match &seen {
                None => seen = Some(now),
                Some(first) if *first != now => return Ok(true),
                Some(_) => {}
            }
        }
        Ok(false)
    }

    fn finish(
        &self,
        mut assessment: Assessment,
        depth: Depth,
        run: Run,
        deferred: Vec<String>,
    ) -> Result<Assessment, InterviewError> {
        let date = self.answers.application_date.as_str();
        assessment.status = run.eligibility.as_str();
        assessment.reasons = run
            .decision
            .reasons
            .iter()
            .map(|r| Reason {
                title: r.title.clone(),
                cite: r.cite.clone(),
            })
            .collect();
        let open = self.still_open(&run.decision);
        assessment.open_questions = if depth.rank {
            self.rank(open, &run.decision, date)?
        } else {
            open
        };
        let stand_ins = !deferred.is_empty();
        assessment.open_questions.extend(deferred);
        if run.eligibility == Eligibility::Undetermined {
            assessment.conditions = self.conditions(&run.decision, date)?;
            let manifest = self.manifest();
            assessment.awaits_department = run
                .decision
                .missing_facts
                .paths()
                .into_iter()
                .map(top_level)
                .all(|path| {
                    manifest.input.facts.iter().any(|slot| {
                        slot.name == path
                            && !askable(slot, &self.answers.shared_available)
                            && !self.answers.unknown.contains(&slot.name)
                    })
                });
        }
        if stand_ins {
            // The materials and the steps may still depend on them.
            return Ok(assessment);
        }
        if run.eligibility == Eligibility::Ineligible && depth.earliest {
            if let Some(day) = self.earliest(date)? {
                assessment.earliest_text = Some(date_words(&day));
                assessment.earliest_date = Some(day);
            }
        }
        assessment.decision = serde_json::value::RawValue::from_string(
            String::from_utf8(run.json).unwrap_or_default(),
        )
        .ok();
        Ok(assessment)
    }

    /// Orders `open` best first (the module's doc, step 2).
    fn rank(
        &self,
        open: Vec<String>,
        decision: &Decision,
        date: &str,
    ) -> Result<Vec<String>, InterviewError> {
        let manifest = self.manifest();
        let now = open.len() as f64;
        let _ = decision;
        let mut scored: Vec<(f64, usize, String)> = Vec::with_capacity(open.len());
        for (order, path) in open.into_iter().enumerate() {
            let slot = manifest.input.facts.iter().find(|s| s.name == path);
            let score = match slot.and_then(|s| closed_values(s, manifest)) {
                Some(values) if !values.is_empty() => {
                    let mut left = 0.0;
                    for (value, _) in &values {
                        let run = self.run(&[(path.as_str(), value)], date)?;
                        if run.eligibility == Eligibility::Undetermined {
                            left += self.still_open(&run.decision).len() as f64;
                        }
                    }
                    left / values.len() as f64
                }
                _ => now,
            };
            scored.push((score, order, path));
        }
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Ok(scored.into_iter().map(|(_, _, p)| p).collect())
    }

    /// "若…则符合" for an undetermined decision.
    fn conditions(&self, decision: &Decision, date: &str) -> Result<Vec<String>, InterviewError> {
        let manifest = self.manifest();
        let mut out = Vec::new();
        let waiting: BTreeSet<&str> = decision
            .missing_facts
            .paths()
            .into_iter()
            .map(top_level)
            .collect();
        for slot in &manifest.input.facts {
            if !waiting.contains(slot.name.as_str()) || !self.answers.unknown.contains(&slot.name) {
                continue;
            }
            if let Some(values) = closed_values(slot, manifest) {
                for (value, title) in &values {
                    let run = self.run(&[(slot.name.as_str(), value)], date)?;
                    if run.eligibility == Eligibility::Eligible {
                        out.push(format!("若「{}」为「{title}」，则符合", slot.title));
                    }
                }
            }
        }
        if out.is_empty()
            && let Known::Open(words) = open_words(manifest, decision, &manifest.eligibility)
        {
            out.push(format!("若{words}成立，则符合"));
        }
        Ok(out)
    }

    /// The first later application date on which the same facts qualify.
    fn earliest(&self, date: &str) -> Result<Option<String>, InterviewError> {
        let Some(start) = jiff::civil::Date::strptime("%Y-%m-%d", date).ok() else {
            return Ok(None);
        };
        let eligible_on = |day: jiff::civil::Date| -> Result<bool, InterviewError> {
            let text = day.to_string();
            match self.run(&[], &text) {
                // No longer refused: eligible, or waiting only for what
                // the person did not know.
                Ok(run) => Ok(run.eligibility != Eligibility::Ineligible),
                // A date the calendar or a parameter does not reach.
                Err(InterviewError::Evaluation { .. }) => Ok(false),
                Err(other) => Err(other),
            }
        };
        let mut before = start;
        // Every month of the first year, then every half year: a refusal of
        // time (满六个月, 满一年, 周岁) turns at a month's or a year's mark.
        let marks = (1..=12).chain((18..=EARLIEST_MONTHS).step_by(6));
        for months in marks {
            let Ok(day) = start.checked_add(jiff::Span::new().months(months)) else {
                break;
            };
            if eligible_on(day)? {
                // Bisect the days between the last refusal and this month.
                let (mut low, mut high) = (before, day);
                while low.until(high).map(|s| s.get_days()).unwrap_or(0) > 1 {
                    let days = i64::from(low.until(high).map(|s| s.get_days()).unwrap_or(0));
                    let Ok(middle) = low.checked_add(jiff::Span::new().days(days / 2)) else {
                        break;
                    };
                    if eligible_on(middle)? {
                        high = middle;
                    } else {
                        low = middle;
                    }
                }
                return Ok(Some(high.to_string()));
            }
            before = day;
        }
        Ok(None)
    }
}

/// A part of the eligibility: known, or open with its open rules in words.
enum Known {
    True,
    False,
    Open(String),
}

/// The open part of `condition` in words: its unknown rules joined by 且
/// and 或 as the eligibility joins them (a part already true in an `or`, or
/// false in an `and`, settles it).
fn open_words(manifest: &Manifest, decision: &Decision, condition: &Condition) -> Known {
    let joined = |parts: Vec<String>, word: &str| {
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("（{}）", parts.join(word))
        }
    };
    match condition {
        Condition::Rule { rule } => {
            let Some(info) = manifest.rules.get(*rule as usize) else {
                return Known::Open(String::new());
            };
            let result = decision
                .rules
                .iter()
                .find(|r| r.id.as_deref() == Some(info.name.as_str()))
                .and_then(|r| r.result);
            match result {
                Some(true) => Known::True,
                Some(false) => Known::False,
                None => Known::Open(format!("「{}」", info.title)),
            }
        }
        Condition::And { all } => {
            let mut open = Vec::new();
            for part in all {
                match open_words(manifest, decision, part) {
                    Known::False => return Known::False,
                    Known::True => {}
                    Known::Open(words) => open.push(words),
                }
            }
            if open.is_empty() {
                Known::True
            } else {
                Known::Open(joined(open, "且"))
            }
        }
        Condition::Or { any } => {
            let mut open = Vec::new();
            for part in any {
                match open_words(manifest, decision, part) {
                    Known::True => return Known::True,
                    Known::False => {}
                    Known::Open(words) => open.push(words),
                }
            }
            if open.is_empty() {
                Known::False
            } else {
                Known::Open(joined(open, "或"))
            }
        }
        Condition::Not { of } => match open_words(manifest, decision, of) {
            Known::True => Known::False,
            Known::False => Known::True,
            Known::Open(words) => Known::Open(format!("不属于{words}")),
        },
        Condition::Other { text } => Known::Open(format!("「{text}」")),
    }
}

/// `household.members[1].income` → `household.members`.
fn top_level(path: &str) -> &str {
    path.split_once('[').map_or(path, |(head, _)| head)
}

fn fact_doc(manifest: &Manifest, slot: &FactSlot) -> FactDoc {
    FactDoc {
        path: slot.name.clone(),
        title: slot.title.clone(),
        dataset: match &slot.supplied_by {
            Supplier::Shared { dataset } => Some(NamedDoc {
                id: dataset.clone(),
                name: manifest.dataset_name(dataset).to_string(),
            }),
            _ => None,
        },
    }
}

type Combination<'s> = Vec<(&'s FactSlot, &'s Value, &'s str)>;

/// Every combination of the values of `variants` (one empty combination
/// when there are none).
fn combinations<'s>(variants: &'s [(&'s FactSlot, Vec<(Value, String)>)]) -> Vec<Combination<'s>> {
    let mut out: Vec<Combination<'s>> = vec![Vec::new()];
    for (slot, values) in variants {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for partial in &out {
            for (value, title) in values {
                let mut extended = partial.clone();
                extended.push((*slot, value, title.as_str()));
                next.push(extended);
            }
            if next.len() > MAX_VARIANTS {
                return next;
            }
        }
        out = next;
    }
    out
}

/// `2026-03-01` → `2026年3月1日起可申请`.
pub fn date_words(date: &str) -> String {
    match jiff::civil::Date::strptime("%Y-%m-%d", date) {
        Ok(d) => format!("{}年{}月{}日起可申请", d.year(), d.month(), d.day()),
        Err(_) => format!("{date}起可申请"),
    }
}

/// Checks that every answered or unknown path is a fact of one of `known`
/// (the policies concerned), with "did you mean".
pub fn check_paths(
    answers: &Answers,
    known: &BTreeSet<&str>,
    scope: &str,
) -> Result<(), InterviewError> {
    let suggest = |path: &str| {
        known
            .iter()
            .min_by_key(|k| strsim::levenshtein(k, path))
            .filter(|k| strsim::levenshtein(k, path) <= 3)
            .map(|k| format!("（是否应为 `{k}`？）"))
            .unwrap_or_default()
    };
    for path in answers.values.keys() {
        if !known.contains(path.as_str()) {
            return Err(InterviewError::UnknownFact {
                path: format!("answers.{path}"),
                scope: scope.to_string(),
                suggestion: suggest(path),
            });
        }
    }
    for (index, path) in answers.unknown.iter().enumerate() {
        if !known.contains(path.as_str()) {
            return Err(InterviewError::UnknownFact {
                path: format!("unknown[{index}]"),
                scope: scope.to_string(),
                suggestion: suggest(path),
            });
        }
        if answers.values.contains_key(path) {
            return Err(InterviewError::AnsweredAndUnknown {
                path: format!("unknown[{index}]"),
                fact: path.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_facts_from_paths() {
        let a = Value::Bool(true);
        let b = Value::String("x".into());
        let json = facts_json_of(&[("applicant.owns_home", &a), ("applicant.city", &b)]);
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"applicant":{"owns_home":true,"city":"x"}}"#
        );
    }

    #[test]
    fn date_in_words() {
        assert_eq!(date_words("2026-03-01"), "2026年3月1日起可申请");
    }

    #[test]
    fn list_member_paths_are_their_list() {
        assert_eq!(
            top_level("household.members[1].income"),
            "household.members"
        );
        assert_eq!(top_level("applicant.owns_home"), "applicant.owns_home");
    }
}
