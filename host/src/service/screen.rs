//! One interview across several policies: a policy alone, the members of a
//! bundle (一件事), or every policy in force (the screener, 我能办什么). Input:
//! the policies and the answers so far; output: each policy's
//! [`Assessment`] and the questions still worth asking, best first. A fact is
//! one question however many policies declare it: policies share facts by
//! their paths (the catalogue's data elements, `use applicant.hukou_county`,
//! give the same path everywhere). No HTTP, nothing stored.
//!
//! The next question across policies: each policy ranks its own open
//! questions (`interview`'s rule); a question scores 1/(1+rank) in every
//! policy that waits for it, and the highest total comes first — the fact
//! that settles the most policies, each weighted by how much it settles
//! there. Ties go to the order in which the policies and their facts come.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use engine::{BundleDecision, LoadedBundle, LoadedPolicy};
use serde::Serialize;
use utoipa::ToSchema;

use super::interview::{Answers, Assessment, Depth, InterviewError, Question, Subject, question};

/// The interview's answer: what to ask next and where each policy stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InterviewAnswer {
    /// `eligible`, `ineligible` or `undetermined`: for one policy its status;
    /// for several, `eligible` when one qualifies, `undetermined` when one
    /// may, else `ineligible`.
    pub status: &'static str,
    /// The questions still worth asking, best first; empty when nothing
    /// answerable can change the result.
    pub questions: Vec<Question>,
    /// How many facts were answered (不知道 included).
    pub answered: usize,
    /// Each policy, in the order given (a bundle: its members').
    pub results: Vec<Assessment>,
    /// How many policies are eligible, undetermined and ineligible.
    pub counts: Counts,
    /// A bundle's merged decision, once every member could be evaluated.
    #[schema(value_type = Option<Object>)]
    pub bundle: Option<BundleDecision>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Counts {
    pub eligible: usize,
    pub undetermined: usize,
    pub ineligible: usize,
}

/// A question's score, the order it was first seen in, and the policies
/// (indices) that wait for it.
type Score = (f64, usize, Vec<usize>);

/// Every fact path the policies declare.
pub fn known_paths(policies: &[Arc<LoadedPolicy>]) -> BTreeSet<&str> {
    policies
        .iter()
        .flat_map(|p| p.manifest().input.facts.iter().map(|f| f.name.as_str()))
        .collect()
}

/// Assesses every policy and picks the questions (see the module's doc).
pub fn interview(
    policies: &[Arc<LoadedPolicy>],
    answers: &Answers,
    lang: rules_dsl::Lang,
    depth: Depth,
    scope: &str,
) -> Result<InterviewAnswer, InterviewError> {
    super::interview::check_paths(answers, &known_paths(policies), scope)?;
    let mut results = Vec::with_capacity(policies.len());
    for policy in policies {
        let subject = Subject::new(policy, answers, lang);
        results.push(subject.assess(depth)?);
    }
    let mut scores: BTreeMap<&str, Score> = BTreeMap::new();
    let mut seen = 0;
    for (index, result) in results.iter().enumerate() {
        for (rank, path) in result.open_questions.iter().enumerate() {
            let entry = scores.entry(path.as_str()).or_insert_with(|| {
                seen += 1;
                (0.0, seen, Vec::new())
            });
            entry.0 += 1.0 / (1.0 + rank as f64);
            entry.2.push(index);
        }
    }
    let mut ranked: Vec<(&str, Score)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    let questions = ranked
        .into_iter()
        .filter_map(|(path, (_, _, waiting))| {
            let first = *waiting.first()?;
            let manifest = policies[first].manifest();
            let slot = manifest.input.facts.iter().find(|s| s.name == path)?;
            let needed_by = waiting
                .iter()
                .map(|&i| results[i].policy.name.clone())
                .collect();
            Some(question(manifest, slot, needed_by))
        })
        .collect();
    let mut counts = Counts::default();
    for result in &results {
        match result.status {
            "eligible" => counts.eligible += 1,
            "ineligible" => counts.ineligible += 1,
            _ => counts.undetermined += 1,
        }
    }
    let status = if counts.eligible > 0 {
        "eligible"
    } else if counts.undetermined > 0 {
        "undetermined"
    } else {
        "ineligible"
    };
    Ok(InterviewAnswer {
        status,
        questions,
        answered: answers.values.len() + answers.unknown.len(),
        results,
        counts,
        bundle: None,
    })
}

/// A bundle's interview: its members' interview, and the bundle's merged
/// decision once every member could be evaluated (a required fact answered
/// 不知道 leaves it out; the members' results still stand).
pub fn bundle_interview(
    bundle: &LoadedBundle,
    members: Vec<Arc<LoadedPolicy>>,
    answers: &Answers,
    lang: rules_dsl::Lang,
) -> Result<InterviewAnswer, InterviewError> {
    let depth = Depth {
        rank: true,
        earliest: false,
    };
    // The entry condition is asked like a member, but is no service of its own.
    let mut asked = members.clone();
    asked.push(Arc::clone(bundle.entry()));
    let mut answer = interview(&asked, answers, lang, depth, "本一件事各成员事项")?;
    if let Some(entry) = answer.results.pop() {
        match entry.status {
            "eligible" => answer.counts.eligible -= 1,
            "ineligible" => answer.counts.ineligible -= 1,
            _ => answer.counts.undetermined -= 1,
        }
        for question in &mut answer.questions {
            question.needed_by.retain(|t| *t != entry.policy.name);
            if question.needed_by.is_empty() {
                question.needed_by.push(bundle.plan().title.clone());
            }
        }
    }
    let all_known = answer.results.iter().all(|r| r.decision.is_some());
    if all_known {
        let shared: Vec<String> = if answers.fetched_at_application {
            let all: BTreeSet<&str> = members
                .iter()
                .flat_map(|m| m.manifest().datasets.iter().map(|d| d.id.as_str()))
                .collect();
            all.into_iter().map(str::to_string).collect()
        } else {
            answers.shared_available.clone()
        };
        let built = bundle.with_members(members);
        let facts: Vec<(&str, &serde_json::Value)> = answers
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        let request = serde_json::json!({
            "application_date": answers.application_date,
            "facts": serde_json::from_slice::<serde_json::Value>(&super::interview::facts_json_of(&facts))
                .unwrap_or_default(),
            "shared_available": shared,
        });
        let body = serde_json::to_vec(&request).unwrap_or_default();
        if let Ok(decision) = built.evaluate(&body) {
            answer.status = match decision.eligibility {
                engine::BundleEligibility::Eligible | engine::BundleEligibility::Partial => {
                    "eligible"
                }
                engine::BundleEligibility::Ineligible => "ineligible",
                engine::BundleEligibility::Undetermined => "undetermined",
            };
            answer.bundle = Some(decision);
        }
    }
    Ok(answer)
}
