//! One-thing bundles (一件事): evaluate every member on one request and merge
//! their answers into one application — materials asked once, one plan of
//! steps across departments, and the number of visits still needed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::decision::{DayKind, Decision, Eligibility, ProvidedBy};
use crate::error::EvalError;
use crate::load::LoadedPolicy;

/// What the bundle declares: its members and the links between them.
#[derive(Debug, Clone)]
pub struct BundlePlan {
    pub id: String,
    pub title: String,
    pub department: String,
    /// Member policy ids, in the order written.
    pub members: Vec<String>,
    pub links: Vec<BundleLink>,
}

/// `material`, issued by `from`'s step `from_step`, is a shared input of `to`.
#[derive(Debug, Clone)]
pub struct BundleLink {
    pub material: String,
    pub from: String,
    pub from_step: String,
    pub to: String,
}

/// A bundle ready to evaluate: its entry module and its loaded members.
#[derive(Debug)]
pub struct LoadedBundle {
    plan: BundlePlan,
    entry: Arc<LoadedPolicy>,
    members: Vec<Arc<LoadedPolicy>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleDecision<'p> {
    pub bundle: BundleRef<'p>,
    #[serde(serialize_with = "crate::decision::serialize_date")]
    pub application_date: i64,
    /// Whether the applicant may use the bundle at all (its entry condition).
    pub entry: Option<bool>,
    /// Eligible when every member is, ineligible when the entry condition or
    /// any member fails, else undetermined.
    pub eligibility: Eligibility,
    /// When undetermined: the missing facts of the entry condition and of
    /// every undetermined member, once each.
    pub missing_facts: Vec<&'p str>,
    /// Each member's own decision; a material another member produces for
    /// it through a link shows as `shared`.
    pub members: Vec<Decision<'p>>,
    /// Each material of the members that are not ineligible, once, by catalogue id.
    /// Empty when the entry condition fails.
    pub materials: Vec<BundleMaterial<'p>>,
    /// The planned steps of the members that are not ineligible, as
    /// `member/step`, with the links' waits.
    pub steps: Vec<BundleStep>,
    pub total_days: u32,
    /// In-person visits the applicant still needs: 0 when everything is
    /// shared, electronic or produced inside the bundle; 1 to hand in paper;
    /// one more for each paper a member issues that another member asks of
    /// the applicant without a link. More than 1 breaks "at most one visit".
    pub visits: u32,
    pub one_visit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleRef<'p> {
    pub id: &'p str,
    pub title: &'p str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleMaterial<'p> {
    pub id: &'p str,
    pub name: &'p str,
    pub form: &'p str,
    pub copies: u32,
    pub provided_by: ProvidedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<&'p str>,
    /// The member that produces it, when a link makes it a shared input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced_by: Option<&'p str>,
    /// The members that ask for it.
    pub members: Vec<&'p str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleStep {
    pub id: String,
    pub member: String,
    pub title: String,
    pub department: String,
    pub after: Vec<String>,
    pub days: u32,
    pub day_kind: DayKind,
}

impl LoadedBundle {
    /// `entry` is the bundle's entry module (`codegen::compile_bundle_entry`);
    /// `members` are the loaded member policies, in `plan.members` order.
    pub fn new(
        plan: BundlePlan,
        entry: Arc<LoadedPolicy>,
        members: Vec<Arc<LoadedPolicy>>,
    ) -> LoadedBundle {
        LoadedBundle {
            plan,
            entry,
            members,
        }
    }

    pub fn plan(&self) -> &BundlePlan {
        &self.plan
    }

    /// The members, in `plan.members` order.
    pub fn members(&self) -> &[Arc<LoadedPolicy>] {
        &self.members
    }

    /// The same bundle over other versions of its members (in `plan.members`
    /// order): the service picks each member's version in force on the
    /// application date.
    pub fn with_members(&self, members: Vec<Arc<LoadedPolicy>>) -> LoadedBundle {
        LoadedBundle {
            plan: self.plan.clone(),
            entry: Arc::clone(&self.entry),
            members,
        }
    }

    /// Evaluates a request `{application_date, facts, shared_available}`
    /// whose facts are those of all members.
    pub fn evaluate(&self, request_json: &[u8]) -> Result<BundleDecision<'_>, EvalError> {
        // The entry module declares every member's facts, so it also rejects
        // unknown and ill-typed facts for the whole bundle.
        let entry = self.entry.evaluate(request_json)?;
        let mut members = Vec::with_capacity(self.members.len());
        for member in &self.members {
            members.push(member.evaluate_lenient(request_json)?);
        }
        Ok(self.merge(entry, members))
    }

    fn merge<'p>(
        &'p self,
        entry: Decision<'p>,
        mut members: Vec<Decision<'p>>,
    ) -> BundleDecision<'p> {
        let entry_result = match entry.eligibility {
            Eligibility::Eligible => Some(true),
            Eligibility::Ineligible => Some(false),
            Eligibility::Undetermined => None,
        };
        let eligibility = if entry_result == Some(false)
            || members
                .iter()
                .any(|m| m.eligibility == Eligibility::Ineligible)
        {
            Eligibility::Ineligible
        } else if entry_result == Some(true)
            && members
                .iter()
                .all(|m| m.eligibility == Eligibility::Eligible)
        {
            Eligibility::Eligible
        } else {
            Eligibility::Undetermined
        };
        let mut missing_facts: Vec<&'p str> = Vec::new();
        if eligibility == Eligibility::Undetermined {
            for fact in entry
                .missing_facts
                .iter()
                .chain(members.iter().flat_map(|m| m.missing_facts.iter()))
            {
                if !missing_facts.contains(fact) {
                    missing_facts.push(fact);
                }
            }
        }
        // Members taking part: not ineligible, and only when the entry condition does not fail.
        let taking_part: Vec<bool> = members
            .iter()
            .map(|m| entry_result != Some(false) && m.eligibility != Eligibility::Ineligible)
            .collect();

        // A link delivers only when its producer takes part and plans the producing step.
        let member_index: HashMap<&str, usize> = self
            .plan
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.as_str(), i))
            .collect();
        let mut produced: HashMap<(&str, &str), &str> = HashMap::new();
        // The planned steps that issue each linked material, by (receiver, material).
        let mut producing_steps: HashMap<(&str, &str), Vec<String>> = HashMap::new();
        for link in &self.plan.links {
            let Some(&from) = member_index.get(link.from.as_str()) else {
                continue;
            };
            if !taking_part[from] {
                continue;
            }
            let issuing: Vec<String> = self.members[from]
                .manifest()
                .steps
                .iter()
                .filter(|s| s.produces.as_deref() == Some(link.material.as_str()))
                .filter(|s| members[from].steps.iter().any(|p| p.id == s.name))
                .map(|s| format!("{}/{}", link.from, s.name))
                .collect();
            if !issuing.is_empty() {
                produced.insert(
                    (link.to.as_str(), link.material.as_str()),
                    link.from.as_str(),
                );
                producing_steps
                    .entry((link.to.as_str(), link.material.as_str()))
                    .or_default()
                    .extend(issuing);
            }
        }
        // The receiving member's own decision shows the material as shared.
        for (i, decision) in members.iter_mut().enumerate() {
            let member_id = self.plan.members[i].as_str();
            for need in &mut decision.materials {
                if produced.contains_key(&(member_id, need.id)) {
                    need.provided_by = ProvidedBy::Shared;
                    need.dataset = None;
                }
            }
        }

        // Materials, once each. A need that a link fills counts as produced;
        // the merged entry is produced only when every member's need is, so a
        // member's own input of the same material is never hidden.
        let mut materials: Vec<BundleMaterial<'p>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        // Per merged entry: whether some need is not filled by a link.
        let mut unfilled: Vec<bool> = Vec::new();
        for (member_index, decision) in members.iter().enumerate() {
            if !taking_part[member_index] {
                continue;
            }
            let member_id = self.plan.members[member_index].as_str();
            for need in &decision.materials {
                let produced_by = produced.get(&(member_id, need.id)).copied();
                let (provided_by, dataset) = match produced_by {
                    Some(_) => (ProvidedBy::Shared, None),
                    None => (need.provided_by, need.dataset),
                };
                match index.get(need.id) {
                    Some(&at) => {
                        let merged = &mut materials[at];
                        merged.copies = merged.copies.max(need.copies);
                        merged.members.push(member_id);
                        if strength(need.form) > strength(merged.form) {
                            merged.form = need.form;
                        }
                        match (produced_by, unfilled[at]) {
                            // Still only produced needs: keep the producer.
                            (Some(_), false) => {}
                            // A produced need beside an unfilled one: the unfilled one rules.
                            (Some(_), true) => {}
                            // The first unfilled need replaces the produced entry.
                            (None, false) => {
                                unfilled[at] = true;
                                merged.provided_by = provided_by;
                                merged.dataset = dataset;
                                merged.produced_by = None;
                            }
                            // Unfilled needs: the lightest burden wins (shared, then commitment).
                            (None, true) => {
                                if burden(provided_by) < burden(merged.provided_by) {
                                    merged.provided_by = provided_by;
                                    merged.dataset = dataset;
                                }
                            }
                        }
                    }
                    None => {
                        index.insert(need.id, materials.len());
                        unfilled.push(produced_by.is_none());
                        materials.push(BundleMaterial {
                            id: need.id,
                            name: need.name,
                            form: need.form,
                            copies: need.copies,
                            provided_by,
                            dataset,
                            produced_by,
                            members: vec![member_id],
                        });
                    }
                }
            }
        }

        // One plan: member steps, plus each link's wait on the producing step.
        let mut steps: Vec<BundleStep> = Vec::new();
        for (member_index, decision) in members.iter().enumerate() {
            if !taking_part[member_index] {
                continue;
            }
            let member_id = &self.plan.members[member_index];
            let waits_on_links: Vec<String> = self
                .plan
                .links
                .iter()
                .filter(|l| &l.to == member_id)
                .flat_map(|l| {
                    producing_steps
                        .get(&(l.to.as_str(), l.material.as_str()))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            for step in &decision.steps {
                let mut after: Vec<String> = step
                    .after
                    .iter()
                    .map(|a| format!("{member_id}/{a}"))
                    .collect();
                if step.after.is_empty() {
                    after.extend(waits_on_links.iter().cloned());
                }
                steps.push(BundleStep {
                    id: format!("{member_id}/{}", step.id),
                    member: member_id.clone(),
                    title: step.title.to_string(),
                    department: step.department.to_string(),
                    after,
                    days: step.days,
                    day_kind: step.day_kind,
                });
            }
        }
        // A wait on a step that is not planned is dropped.
        let planned: std::collections::HashSet<String> =
            steps.iter().map(|s| s.id.clone()).collect();
        for step in &mut steps {
            step.after.retain(|a| planned.contains(a));
        }
        let total_days = critical_path(&steps);

        // Visits: one to hand in paper, plus one per paper a member issues
        // that another member asks of the applicant without a link.
        let paper_from_applicant = materials
            .iter()
            .any(|m| m.provided_by == ProvidedBy::Applicant && m.form != "electronic");
        let issued_inside: BTreeMap<&str, &str> = members
            .iter()
            .enumerate()
            .filter(|(i, _)| taking_part[*i])
            .flat_map(|(i, decision)| {
                let manifest = self.members[i].manifest();
                let member = self.plan.members[i].as_str();
                manifest
                    .steps
                    .iter()
                    .zip(decision_step_tris(decision, manifest))
                    .filter(|(_, planned)| *planned)
                    .filter_map(move |(s, _)| s.produces.as_deref().map(|m| (m, member)))
            })
            .collect();
        let round_trips = materials
            .iter()
            .filter(|m| m.provided_by == ProvidedBy::Applicant && m.produced_by.is_none())
            .filter(|m| {
                issued_inside
                    .get(m.id)
                    .is_some_and(|issuer| m.members.iter().any(|asker| asker != issuer))
            })
            .count();
        let visits =
            u32::from(paper_from_applicant) + u32::try_from(round_trips).unwrap_or(u32::MAX);

        BundleDecision {
            bundle: BundleRef {
                id: &self.plan.id,
                title: &self.plan.title,
            },
            application_date: entry.application_date,
            entry: entry_result,
            eligibility,
            missing_facts,
            members,
            materials,
            steps,
            total_days,
            visits,
            one_visit: visits <= 1,
        }
    }
}

/// Which of a member's steps its decision planned.
fn decision_step_tris<'a>(
    decision: &'a Decision<'_>,
    manifest: &'a rules_dsl::manifest::Manifest,
) -> impl Iterator<Item = bool> + 'a {
    manifest
        .steps
        .iter()
        .map(move |s| decision.steps.iter().any(|p| p.id == s.name))
}

fn strength(form: &str) -> u8 {
    match form {
        "original" => 2,
        "copy" => 1,
        _ => 0,
    }
}

fn burden(provided_by: ProvidedBy) -> u8 {
    match provided_by {
        ProvidedBy::Shared => 0,
        ProvidedBy::Commitment => 1,
        ProvidedBy::Applicant => 2,
    }
}

/// The longest path of days through the steps (their waits form a DAG).
fn critical_path(steps: &[BundleStep]) -> u32 {
    let position: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut finish: Vec<Option<u32>> = vec![None; steps.len()];
    // Iterate to a fixed point; at most `steps.len()` rounds for a DAG.
    for _ in 0..=steps.len() {
        let mut changed = false;
        for (i, step) in steps.iter().enumerate() {
            let waits: Option<Vec<u32>> = step
                .after
                .iter()
                .map(|a| position.get(a.as_str()).and_then(|&p| finish[p]))
                .collect();
            if let Some(waits) = waits {
                let total = waits
                    .into_iter()
                    .max()
                    .unwrap_or(0)
                    .saturating_add(step.days);
                if finish[i] != Some(total) {
                    finish[i] = Some(total);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    finish.into_iter().flatten().max().unwrap_or(0)
}
