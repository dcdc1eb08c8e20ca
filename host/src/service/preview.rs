//! Preview: what a proposed source would change, before it is published.
//! Only the policy's own department may preview it (checked before the
//! source is compiled or the log read); the comparison replays the policy's
//! scenarios and its recent logged decisions whose facts were kept — never
//! another kind's or another department's.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::Service;
use super::clock::timestamp_text;
use super::error::ServiceError;
use super::registry::PolicyVersion;
use super::rights::{Action, Principal};
use crate::store::{DecisionQuery, Kind};

/// The part of a decision a change is judged by.
#[derive(Debug, serde::Serialize, PartialEq, utoipa::ToSchema)]
pub struct Outline {
    pub version: Option<i64>,
    pub eligibility: String,
    /// Material ids, each with who provides it.
    pub materials: Vec<String>,
    pub steps: Vec<String>,
    /// The computed values (amounts, counts, dates) that are known, by name.
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, Value>,
    /// The ids of the reasons (why not, why not yet).
    pub reasons: Vec<String>,
}

/// Changes of one kind, counted over the logged decisions (real
/// applicants) or over the scenarios, never both together, with a few examples.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImpactGroup {
    /// `decisions` (recent logged applications) or `scenarios`.
    pub among: &'static str,
    /// `newly_ineligible`, `newly_eligible`, `eligibility`, `amounts`,
    /// `materials`, `steps` or `failed`.
    pub change: &'static str,
    /// For a refusal: the rule (reason) that refuses; for amounts: the value's id.
    pub cause: Option<String>,
    pub count: usize,
    /// Of how many decisions (or scenarios) compared.
    pub of: usize,
    /// In words, e.g. `近期 480 份申请中 12 份将新被拒绝：规则 registered_half_year`.
    pub text: String,
    /// Up to three cases (scenario names or decision times).
    pub examples: Vec<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The scenario's file name, or the logged decision's time.
    pub case: String,
    pub application_date: String,
    /// `null` when no version is in force on that date (or the evaluation fails).
    pub current: Option<Outline>,
    pub proposed: Option<Outline>,
    pub changed: bool,
    /// Why an evaluation failed, when it did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PreviewReport {
    pub policy: String,
    pub proposed_version: i64,
    pub proposed_hash: String,
    pub scenarios: Vec<Comparison>,
    pub decisions: Vec<Comparison>,
    /// `{scenarios, scenarios_changed, decisions, decisions_changed}`.
    #[schema(value_type = Object)]
    pub summary: BTreeMap<&'static str, usize>,
    /// The changes grouped by kind and cause, largest first: among the
    /// logged decisions, then among the scenarios.
    pub groups: Vec<ImpactGroup>,
}

/// The most logged decisions one preview replays.
pub const PREVIEW_DECISIONS_LIMIT: u32 = 1000;

fn outline(decision: &Value) -> Outline {
    let ids = |key: &str, with_provider: bool| -> Vec<String> {
        decision[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let id = item["id"].as_str().unwrap_or_default();
                        match item["provided_by"].as_str() {
                            Some(by) if with_provider => format!("{id} ({by})"),
                            _ => id.to_string(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Outline {
        version: decision["policy"]["version"].as_i64(),
        eligibility: decision["eligibility"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        materials: ids("materials", true),
        steps: ids("steps", false),
        values: decision["values"]
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .filter(|v| !v["value"].is_null())
                    .filter_map(|v| Some((v["name"].as_str()?.to_string(), v["value"].clone())))
                    .collect()
            })
            .unwrap_or_default(),
        reasons: decision["reasons"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The kinds of change one comparison shows, each with its cause.
fn changes(comparison: &Comparison) -> Vec<(&'static str, Option<String>)> {
    let (Some(a), Some(b)) = (&comparison.current, &comparison.proposed) else {
        return if comparison.current.is_some() || comparison.proposed.is_some() {
            vec![("failed", comparison.errors.first().cloned())]
        } else {
            Vec::new()
        };
    };
    let mut found = Vec::new();
    if a.eligibility != b.eligibility {
        match b.eligibility.as_str() {
            "ineligible" => found.push(("newly_ineligible", b.reasons.first().cloned())),
            "eligible" => found.push(("newly_eligible", None)),
            _ => found.push((
                "eligibility",
                Some(format!("{} → {}", a.eligibility, b.eligibility)),
            )),
        }
    }
    let keys: std::collections::BTreeSet<&String> =
        a.values.keys().chain(b.values.keys()).collect();
    for key in keys {
        if a.values.get(key) != b.values.get(key) {
            found.push(("amounts", Some(key.clone())));
        }
    }
    // A refusal asks for no material and plans no step: those follow the
    // eligibility and are not counted again.
    if a.eligibility == b.eligibility {
        if a.materials != b.materials {
            found.push(("materials", None));
        }
        if a.steps != b.steps {
            found.push(("steps", None));
        }
    }
    found
}

fn describe(among: &str, change: &str, cause: Option<&str>, count: usize, of: usize) -> String {
    let whole = if among == "scenarios" {
        format!("{of} 个场景中 {count} 个")
    } else {
        format!("近期 {of} 份申请中 {count} 份")
    };
    let cause_text = cause.map(|c| format!("：{c}")).unwrap_or_default();
    match change {
        "newly_ineligible" => format!(
            "{whole}将新被拒绝{}",
            cause.map(|c| format!("：规则 {c}")).unwrap_or_default()
        ),
        "newly_eligible" => format!("{whole}将新符合条件"),
        "eligibility" => format!("{whole}判定结果改变{cause_text}"),
        "amounts" => format!("{whole}金额或数值改变{cause_text}"),
        "materials" => format!("{whole}所需材料改变"),
        "steps" => format!("{whole}办理环节改变"),
        _ => format!("{whole}无法判定{cause_text}"),
    }
}

/// A kind of change and its cause.
type ChangeKey = (&'static str, Option<String>);

/// Groups the changes of every comparison `among` the decisions or the
/// scenarios by kind and cause.
pub fn group_changes<'a>(
    among: &'static str,
    rows: impl Iterator<Item = &'a Comparison>,
) -> Vec<ImpactGroup> {
    let mut of = 0;
    let mut groups: BTreeMap<ChangeKey, (usize, Vec<String>)> = BTreeMap::new();
    for row in rows {
        of += 1;
        for key in changes(row) {
            let entry = groups.entry(key).or_default();
            entry.0 += 1;
            if entry.1.len() < 3 {
                entry.1.push(row.case.clone());
            }
        }
    }
    let mut list: Vec<ImpactGroup> = groups
        .into_iter()
        .map(|((change, cause), (count, examples))| ImpactGroup {
            text: describe(among, change, cause.as_deref(), count, of),
            among,
            change,
            cause,
            count,
            of,
            examples,
        })
        .collect();
    list.sort_by_key(|g| std::cmp::Reverse(g.count));
    list
}

fn compare(
    case: String,
    date: &str,
    request: &[u8],
    current: Option<&Arc<PolicyVersion>>,
    proposed: &engine::LoadedPolicy,
) -> Comparison {
    let mut errors = Vec::new();
    let run = |policy: &engine::LoadedPolicy| {
        let mut json = Vec::new();
        policy
            .evaluate_json(request, &mut json)
            .map(|_| serde_json::from_slice::<serde_json::Value>(&json))
    };
    let mut run = |policy: &engine::LoadedPolicy| match run(policy) {
        Ok(decision) => decision.ok().map(|v| outline(&v)),
        Err(error) => {
            errors.push(error.to_string());
            None
        }
    };
    let current = current.and_then(|v| run(&v.loaded));
    let proposed = run(proposed);
    let changed = match (&current, &proposed) {
        (Some(a), Some(b)) => {
            a.eligibility != b.eligibility
                || a.materials != b.materials
                || a.steps != b.steps
                || a.values != b.values
        }
        (None, None) => false,
        _ => true,
    };
    Comparison {
        case,
        application_date: date.to_string(),
        current,
        proposed,
        changed,
        errors,
    }
}

impl Service {
    pub async fn preview(
        &self,
        caller: &Principal,
        id: &str,
        source: String,
        decisions: u32,
    ) -> Result<PreviewReport, ServiceError> {
        self.require_policy_rights(caller, Action::Preview, id)?;
        let compiled = self.compile(id, source).await?;
        caller.require_source_department(Action::Preview, &compiled.department)?;
        // The rights again: the id may have changed hands while compiling.
        self.require_policy_rights(caller, Action::Preview, id)?;
        let registry = self.registry.load_full();
        let logged = if decisions == 0 || !registry.policies.contains_key(id) {
            Vec::new()
        } else {
            self.store
                .decisions(&DecisionQuery {
                    subjects: Some(vec![(Kind::Policy, id.to_string())]),
                    since: None,
                    limit: decisions.min(PREVIEW_DECISIONS_LIMIT),
                    with_request: true,
                })
                .await?
        };
        let scenarios = registry
            .scenarios
            .get(&(Kind::Policy, id.to_string()))
            .cloned()
            .unwrap_or_default();
        let proposed = Arc::clone(&compiled.loaded);
        let policy = id.to_string();
        let (scenario_rows, decision_rows) = self
            .heavy
            .run(move || {
                let mut scenario_rows = Vec::new();
                for text in &scenarios {
                    let Ok(parsed) = crate::scenario::parse(&text.toml) else {
                        continue;
                    };
                    let date = parsed.application_date();
                    let day = engine::encode::parse_date(&date).unwrap_or(i64::MIN);
                    let current = registry.in_force(&policy, day).ok();
                    scenario_rows.push(compare(
                        text.name.clone(),
                        &date,
                        parsed.request_json().as_bytes(),
                        current,
                        &proposed,
                    ));
                }
                let mut decision_rows = Vec::new();
                for record in &logged {
                    let Some(request) = &record.request else {
                        continue;
                    };
                    let day =
                        engine::encode::parse_date(&record.application_date).unwrap_or(i64::MIN);
                    let current = registry.in_force(&policy, day).ok();
                    decision_rows.push(compare(
                        timestamp_text(record.at),
                        &record.application_date,
                        request.as_bytes(),
                        current,
                        &proposed,
                    ));
                }
                (scenario_rows, decision_rows)
            })
            .await?;
        let mut summary = BTreeMap::new();
        summary.insert("scenarios", scenario_rows.len());
        summary.insert(
            "scenarios_changed",
            scenario_rows.iter().filter(|c| c.changed).count(),
        );
        summary.insert("decisions", decision_rows.len());
        summary.insert(
            "decisions_changed",
            decision_rows.iter().filter(|c| c.changed).count(),
        );
        // Real applicants first, then the officers' own examples.
        let mut groups = group_changes("decisions", decision_rows.iter());
        groups.extend(group_changes("scenarios", scenario_rows.iter()));
        Ok(PreviewReport {
            groups,
            policy: id.to_string(),
            proposed_version: compiled.version,
            proposed_hash: compiled.hash,
            scenarios: scenario_rows,
            decisions: decision_rows,
            summary,
        })
    }
}
