//! One-thing bundles (一件事): evaluate every member on one request and merge
//! their answers into one application — materials asked once, one plan of
//! steps across departments, and the number of visits still needed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use contract::codec::date_text;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::decision::{DayKind, Decision, Eligibility, MissingFacts, Named, ProvidedBy, Schedule};
use crate::error::EvalError;
use crate::load::LoadedPolicy;
use crate::write;

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

/// A bundle's answer: the entry condition, each member's own decision, and
/// the merged application. Its JSON is written by serde from this type; the
/// members' decisions are the decision writer's bytes as they are.
#[derive(Debug, Clone, Serialize)]
pub struct BundleDecision {
    pub bundle: BundleRef,
    pub application_date: String,
    /// Whether the applicant may use the bundle at all (its entry condition).
    pub entry: Option<bool>,
    /// `eligible` when the entry condition holds and every member is;
    /// `partial` when it holds, none is undetermined, some are eligible and
    /// some not (or blocked); `ineligible` when the entry condition or every
    /// member fails; else `undetermined`.
    pub eligibility: BundleEligibility,
    /// The members that can be applied for now: eligible, with the entry
    /// condition holding, and receiving nothing from a member that cannot.
    pub apply_now: Vec<String>,
    /// Members that cannot go ahead because a member they receive a
    /// material from through a link does not (it is refused, or itself
    /// blocked): counted as ineligible here, whatever their own decision.
    pub blocked: Vec<BlockedMember>,
    /// The missing facts of the entry condition and of every undetermined
    /// member, once each.
    pub missing_facts: MissingFacts,
    /// Each member's own decision; a material another member produces for
    /// it through a link shows as `shared`.
    pub members: Vec<Box<RawValue>>,
    /// Each material of the members taking part (not ineligible), once, by
    /// catalogue id. Empty when the entry condition fails.
    pub materials: Vec<BundleMaterial>,
    /// The planned steps of the members taking part, as `member/step`, with
    /// the links' waits.
    pub steps: Vec<BundleStep>,
    pub schedule: Schedule,
    /// In-person visits the applicant still needs: 0 when everything is
    /// shared, electronic or produced inside the bundle; 1 to hand in paper;
    /// one more for each paper a member issues that another member asks of
    /// the applicant without a link. More than 1 breaks "at most one visit".
    pub visits: u32,
    pub one_visit: bool,
}

/// `member` waits for `material` from `by`, which does not go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockedMember {
    pub member: String,
    pub by: String,
    pub material: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleEligibility {
    Eligible,
    Partial,
    Ineligible,
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleMaterial {
    pub id: String,
    pub name: String,
    pub form: String,
    pub copies: u32,
    pub provided_by: ProvidedBy,
    pub dataset: Option<Named>,
    /// The member that produces it, when links make it a shared input of
    /// every member that asks for it.
    pub produced_by: Option<String>,
    /// The members that ask for it.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleStep {
    pub id: String,
    pub member: String,
    pub title: String,
    pub department: Named,
    pub after: Vec<String>,
    pub days: u32,
    pub day_kind: DayKind,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
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

    /// The entry condition, compiled as a policy of its own (the guide asks
    /// its facts too).
    pub fn entry(&self) -> &Arc<LoadedPolicy> {
        &self.entry
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
    pub fn evaluate(&self, request_json: &[u8]) -> Result<BundleDecision, EvalError> {
        // The entry module declares every member's facts, so it also rejects
        // unknown and ill-typed facts for the whole bundle.
        let entry = self.entry.evaluate(request_json)?;
        let mut sessions = Vec::with_capacity(self.members.len());
        let mut decisions = Vec::with_capacity(self.members.len());
        for member in &self.members {
            let mut session = member.session()?;
            let meta = session.encode_lenient(request_json)?;
            session.run()?;
            decisions.push(session.decode(&meta)?);
            sessions.push((session, meta));
        }
        let application_date = sessions
            .first()
            .map_or(0, |(_, meta)| meta.application_date);
        let mut merged = self.merge(entry, &decisions, application_date);
        // Each member's decision, with what links deliver to it shown as shared.
        for (i, (session, meta)) in sessions.iter().enumerate() {
            let member = self.plan.members[i].as_str();
            let linked: Vec<&str> = merged
                .linked
                .iter()
                .filter(|(to, _)| *to == member)
                .map(|(_, material)| material.as_str())
                .collect();
            let mut json = Vec::with_capacity(4096);
            session.write_json_linked(meta, &linked, &mut json);
            let text = String::from_utf8(json).unwrap_or_default();
            let raw = RawValue::from_string(text).map_err(|e| EvalError::Trap {
                policy: member.to_string(),
                reason: format!("the member's decision is not JSON: {e}"),
            })?;
            merged.decision.members.push(raw);
        }
        Ok(merged.decision)
    }

    fn merge(&self, entry: Decision, members: &[Decision], application_date: i64) -> Merged {
        let entry_result = match entry.eligibility {
            Eligibility::Eligible => Some(true),
            Eligibility::Ineligible => Some(false),
            Eligibility::Undetermined => None,
        };
        let member_index: HashMap<&str, usize> = self
            .plan
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.as_str(), i))
            .collect();
        // Members taking part: not ineligible, the entry condition not
        // failing, and nothing they receive through a link coming from a
        // member that does not take part (no licence, no seal).
        let mut taking_part: Vec<bool> = members
            .iter()
            .map(|m| entry_result != Some(false) && m.eligibility != Eligibility::Ineligible)
            .collect();
        let mut blocked: Vec<BlockedMember> = Vec::new();
        for _ in 0..=members.len() {
            let mut changed = false;
            for link in &self.plan.links {
                let (Some(&from), Some(&to)) = (
                    member_index.get(link.from.as_str()),
                    member_index.get(link.to.as_str()),
                ) else {
                    continue;
                };
                if !taking_part[from] && taking_part[to] {
                    taking_part[to] = false;
                    blocked.push(BlockedMember {
                        member: link.to.clone(),
                        by: link.from.clone(),
                        material: link.material.clone(),
                    });
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let effective: Vec<Eligibility> = members
            .iter()
            .zip(&taking_part)
            .map(|(m, &part)| {
                if part {
                    m.eligibility
                } else {
                    Eligibility::Ineligible
                }
            })
            .collect();
        let count = |e: Eligibility| effective.iter().filter(|&&m| m == e).count();
        let (eligible, ineligible, undetermined) = (
            count(Eligibility::Eligible),
            count(Eligibility::Ineligible),
            count(Eligibility::Undetermined),
        );
        let eligibility = if entry_result == Some(false) || ineligible == members.len() {
            BundleEligibility::Ineligible
        } else if entry_result.is_none() || undetermined > 0 {
            BundleEligibility::Undetermined
        } else if eligible == members.len() {
            BundleEligibility::Eligible
        } else {
            BundleEligibility::Partial
        };
        let apply_now = if entry_result == Some(true) {
            effective
                .iter()
                .zip(&self.plan.members)
                .filter(|(e, _)| **e == Eligibility::Eligible)
                .map(|(_, id)| id.clone())
                .collect()
        } else {
            Vec::new()
        };
        let mut missing_facts = MissingFacts {
            applicant: Vec::new(),
            shared: Vec::new(),
            department: Vec::new(),
        };
        let undetermined_members = members
            .iter()
            .filter(|m| m.eligibility == Eligibility::Undetermined);
        for facts in std::iter::once(&entry.missing_facts)
            .chain(undetermined_members.map(|m| &m.missing_facts))
        {
            for fact in &facts.applicant {
                if !missing_facts.applicant.contains(fact) {
                    missing_facts.applicant.push(fact.clone());
                }
            }
            for fact in &facts.shared {
                if !missing_facts.shared.contains(fact) {
                    missing_facts.shared.push(fact.clone());
                }
            }
            for fact in &facts.department {
                if !missing_facts.department.contains(fact) {
                    missing_facts.department.push(fact.clone());
                }
            }
        }
        // A link delivers only when its producer takes part and plans the producing step.
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

        // Materials, once each. A need that a link fills counts as produced;
        // the merged entry is produced only when every member's need is, so a
        // member's own input of the same material is never hidden.
        let mut materials: Vec<BundleMaterial> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        // Per merged entry: the members whose need no link fills.
        let mut unfilled: Vec<Vec<&str>> = Vec::new();
        for (member_index, decision) in members.iter().enumerate() {
            if !taking_part[member_index] {
                continue;
            }
            let member_id = self.plan.members[member_index].as_str();
            for need in &decision.materials {
                let produced_by = produced.get(&(member_id, need.id.as_str())).copied();
                let (provided_by, dataset) = match produced_by {
                    Some(_) => (ProvidedBy::Shared, None),
                    None => (need.provided_by, need.dataset.clone()),
                };
                match index.get(need.id.as_str()) {
                    Some(&at) => {
                        let merged = &mut materials[at];
                        merged.copies = merged.copies.max(need.copies);
                        merged.members.push(member_id.to_string());
                        if strength(&need.form) > strength(&merged.form) {
                            merged.form = need.form.clone();
                        }
                        if produced_by.is_none() {
                            if unfilled[at].is_empty() {
                                // The first unfilled need replaces the produced entry.
                                merged.provided_by = provided_by;
                                merged.dataset = dataset;
                                merged.produced_by = None;
                            } else if burden(provided_by) < burden(merged.provided_by) {
                                // Unfilled needs: the lightest burden wins (shared, then commitment).
                                merged.provided_by = provided_by;
                                merged.dataset = dataset;
                            }
                            unfilled[at].push(member_id);
                        }
                    }
                    None => {
                        index.insert(need.id.as_str(), materials.len());
                        unfilled.push(if produced_by.is_none() {
                            vec![member_id]
                        } else {
                            Vec::new()
                        });
                        materials.push(BundleMaterial {
                            id: need.id.clone(),
                            name: need.name.clone(),
                            form: need.form.clone(),
                            copies: need.copies,
                            provided_by,
                            dataset,
                            produced_by: produced_by.map(str::to_string),
                            members: vec![member_id.to_string()],
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
                    title: step.title.clone(),
                    department: step.department.clone(),
                    after,
                    days: step.days,
                    day_kind: step.day_kind,
                    start_date: None,
                    due_date: None,
                });
            }
        }
        // A wait on a step that is not planned is dropped.
        let position: HashMap<String, usize> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        for step in &mut steps {
            step.after.retain(|a| position.contains_key(a));
        }
        let calendar = self
            .members
            .first()
            .map(|m| m.manifest().calendar.clone())
            .unwrap_or_default();
        let table = contract::calendar::WorkingDays::new(&calendar);
        let planned = vec![true; steps.len()];
        let waits: Vec<Vec<usize>> = steps
            .iter()
            .map(|s| {
                s.after
                    .iter()
                    .filter_map(|a| position.get(a).copied())
                    .collect()
            })
            .collect();
        let timing = write::Schedule::new(
            &table,
            application_date,
            &write::StepsView {
                planned: &planned,
                waits: &waits,
                days: &|i| steps[i].days,
                working: &|i| steps[i].day_kind == DayKind::Working,
            },
        );
        for (i, step) in steps.iter_mut().enumerate() {
            let (start, due) = timing.dates(i);
            step.start_date = start.map(date_text);
            step.due_date = due.map(date_text);
        }
        let schedule = Schedule {
            working_days: timing.working_days,
            natural_days: timing.natural_days,
            completion_date: timing.completion.map(date_text),
            calendar_note: timing.beyond.map(|day| write::beyond_note(&calendar, day)),
        };

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
                    .filter(move |s| decision.steps.iter().any(|p| p.id == s.name))
                    .filter_map(move |s| s.produces.as_deref().map(|m| (m, member)))
            })
            .collect();
        let round_trips = materials
            .iter()
            .zip(&unfilled)
            .filter(|(m, _)| m.provided_by == ProvidedBy::Applicant)
            .filter(|(m, askers)| {
                issued_inside
                    .get(m.id.as_str())
                    .is_some_and(|issuer| askers.iter().any(|asker| asker != issuer))
            })
            .count();
        let visits =
            u32::from(paper_from_applicant) + u32::try_from(round_trips).unwrap_or(u32::MAX);
        let linked = produced
            .keys()
            .map(|(to, material)| (to.to_string(), material.to_string()))
            .collect();
        Merged {
            decision: BundleDecision {
                bundle: BundleRef {
                    id: self.plan.id.clone(),
                    title: self.plan.title.clone(),
                },
                application_date: entry.application_date.clone(),
                entry: entry_result,
                eligibility,
                apply_now,
                blocked,
                missing_facts,
                members: Vec::with_capacity(members.len()),
                materials,
                steps,
                schedule,
                visits,
                one_visit: visits <= 1,
            },
            linked,
        }
    }
}

/// A merged bundle decision before its members' decisions are written, and
/// the materials links deliver, as (receiving member, material).
struct Merged {
    decision: BundleDecision,
    linked: Vec<(String, String)>,
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
