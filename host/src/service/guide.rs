//! The citizen guide's reading side (掌上办, `/guide/`): every policy and
//! bundle in force as a service page — conditions in words with citations,
//! materials by who provides them, steps with departments and time limits —
//! built from the manifests the compiler wrote; the life events a service
//! is found under; and the per-client rate limit of the guide's open
//! endpoints. No HTTP: `http::routes::guide` serves these shapes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use engine::contract_manifest::{Condition, Manifest, SourceInfo};
use serde::Serialize;
use utoipa::ToSchema;

use super::reference::{FormFact, NamedDoc, PolicyForm};
use super::registry::Registry;

/// One service in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub id: String,
    /// `policy` or `bundle` (一件事).
    pub kind: &'static str,
    pub title: String,
    pub department: NamedDoc,
    /// The life events it is found under (出生, 居住, 住房 …).
    pub life_events: Vec<&'static str>,
    /// A bundle's members (ids).
    pub members: Vec<String>,
}

/// A policy's page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServicePage {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    pub version: i64,
    pub effective_from: Option<String>,
    /// The legal basis (设定依据 and 实施依据 as written).
    pub basis: Vec<String>,
    /// The eligibility over the rules, as nested conditions.
    pub conditions: ConditionDoc,
    pub materials: Vec<MaterialPage>,
    pub steps: Vec<StepPage>,
    /// Every fact, as the interview asks it.
    pub facts: Vec<FormFact>,
}

/// The eligibility in words: `all` / `any` of parts, `not`, a `rule` (with
/// its citation) or `other` (a condition written straight into the policy).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConditionDoc {
    pub kind: &'static str,
    pub title: Option<String>,
    pub cite: Option<String>,
    #[schema(no_recursion)]
    pub parts: Vec<ConditionDoc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaterialPage {
    pub id: String,
    pub name: String,
    /// `original`, `copy` or `electronic`.
    pub form: String,
    pub copies: u32,
    /// When it is needed, in words; `None`: always.
    pub condition: Option<String>,
    /// `applicant`, `shared` (免提交 when the data can be fetched) or `commitment` (告知承诺).
    pub source: &'static str,
    pub dataset: Option<NamedDoc>,
    /// For `shared`: who provides it when the data cannot be fetched.
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepPage {
    pub id: String,
    pub title: String,
    pub department: NamedDoc,
    /// Titles of the steps it waits for.
    pub after: Vec<String>,
    pub days: u32,
    /// `working` (工作日) or `natural` (自然日).
    pub day_kind: &'static str,
}

/// A bundle's page: its members' pages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BundlePage {
    #[serde(flatten)]
    pub summary: ServiceSummary,
    pub members: Vec<ServicePage>,
}

/// The life events of a service, from its title and its bundles. Policies
/// declare no life event yet; until they do, these words decide.
pub fn life_events(title: &str, bundles: &[String]) -> Vec<&'static str> {
    const EVENTS: &[(&str, &[&str])] = &[
        ("出生", &["出生", "新生儿", "接种", "生育"]),
        ("居住", &["居住证", "户口", "落户"]),
        ("住房", &["住房", "租", "公积金"]),
        (
            "就业创业",
            &[
                "个体",
                "企业",
                "开办",
                "印章",
                "发票",
                "用人单位",
                "社会保险登记",
            ],
        ),
        ("养老", &["养老", "高龄", "老年"]),
        ("社会救助", &["低保", "最低生活保障", "救助"]),
        ("残疾人服务", &["残疾"]),
    ];
    let mut out: Vec<&'static str> = EVENTS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| title.contains(w)))
        .map(|(event, _)| *event)
        .collect();
    for bundle in bundles {
        for (event, words) in EVENTS {
            if words.iter().any(|w| bundle.contains(w)) && !out.contains(event) {
                out.push(event);
            }
        }
    }
    out
}

fn department(manifest: &Manifest, id: &str) -> NamedDoc {
    NamedDoc {
        id: id.to_string(),
        name: manifest.department_name(id).to_string(),
    }
}

fn condition_doc(manifest: &Manifest, condition: &Condition) -> ConditionDoc {
    let leaf = |kind, title: Option<String>, cite| ConditionDoc {
        kind,
        title,
        cite,
        parts: Vec::new(),
    };
    match condition {
        Condition::Rule { rule } => match manifest.rules.get(*rule as usize) {
            Some(info) => leaf("rule", Some(info.title.clone()), info.cite.clone()),
            None => leaf("other", None, None),
        },
        Condition::And { all } => ConditionDoc {
            kind: "all",
            title: None,
            cite: None,
            parts: all.iter().map(|c| condition_doc(manifest, c)).collect(),
        },
        Condition::Or { any } => ConditionDoc {
            kind: "any",
            title: None,
            cite: None,
            parts: any.iter().map(|c| condition_doc(manifest, c)).collect(),
        },
        Condition::Not { of } => ConditionDoc {
            kind: "not",
            title: None,
            cite: None,
            parts: vec![condition_doc(manifest, of)],
        },
        Condition::Other { text } => leaf("other", Some(text.clone()), None),
    }
}

/// The titles of the bundles `policy` is a member of.
fn bundle_titles(registry: &Registry, policy: &str) -> Vec<String> {
    registry
        .bundles_with_member(policy)
        .iter()
        .filter_map(|b| registry.bundles.get(b))
        .map(|b| b.built.plan().title.clone())
        .collect()
}

/// A policy's page from its manifest.
pub fn policy_page(registry: &Registry, manifest: &Manifest) -> ServicePage {
    let policy = &manifest.policy;
    ServicePage {
        summary: ServiceSummary {
            id: policy.id.clone(),
            kind: "policy",
            title: policy.title.clone(),
            department: department(manifest, &policy.department),
            life_events: life_events(&policy.title, &bundle_titles(registry, &policy.id)),
            members: Vec::new(),
        },
        version: policy.version,
        effective_from: policy.effective_from.clone(),
        basis: policy.basis.clone(),
        conditions: condition_doc(manifest, &manifest.eligibility),
        materials: manifest
            .materials
            .iter()
            .map(|m| {
                let (source, dataset, fallback) = match &m.source {
                    SourceInfo::Applicant => ("applicant", None, None),
                    SourceInfo::Commitment => ("commitment", None, None),
                    SourceInfo::Shared { dataset, fallback } => (
                        "shared",
                        Some(NamedDoc {
                            id: dataset.clone(),
                            name: manifest.dataset_name(dataset).to_string(),
                        }),
                        Some(fallback.clone()),
                    ),
                };
                MaterialPage {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    form: m.form.clone(),
                    copies: m.copies,
                    condition: m.condition.as_ref().map(|c| c.text.clone()),
                    source,
                    dataset,
                    fallback,
                }
            })
            .collect(),
        steps: manifest
            .steps
            .iter()
            .map(|s| StepPage {
                id: s.name.clone(),
                title: s.title.clone(),
                department: department(manifest, &s.department),
                after: s
                    .after
                    .iter()
                    .filter_map(|&i| manifest.steps.get(i).map(|a| a.title.clone()))
                    .collect(),
                days: s.days,
                day_kind: if s.working_days { "working" } else { "natural" },
            })
            .collect(),
        facts: PolicyForm::of(manifest).facts,
    }
}

/// Every policy in force on `day` and every bundle in force, policies first.
pub fn services(registry: &Registry, day: i64) -> Vec<ServiceSummary> {
    let mut out = Vec::new();
    for id in registry.policies.keys() {
        if let Ok(version) = registry.in_force(id, day) {
            out.push(policy_page(registry, version.loaded.manifest()).summary);
        }
    }
    for (id, entry) in &registry.bundles {
        out.push(bundle_summary(registry, id, entry));
    }
    out
}

fn bundle_summary(
    registry: &Registry,
    id: &str,
    entry: &super::registry::BundleEntry,
) -> ServiceSummary {
    let plan = entry.built.plan();
    let lead = registry
        .bundle_versions
        .get(id)
        .and_then(|v| v.last())
        .map_or(plan.department.clone(), |d| d.department.clone());
    let lead_name = registry
        .catalogue_view
        .departments
        .iter()
        .find(|d| d.id == lead)
        .map_or(lead.clone(), |d| d.name.clone());
    ServiceSummary {
        id: id.to_string(),
        kind: "bundle",
        title: plan.title.clone(),
        department: NamedDoc {
            id: lead,
            name: lead_name,
        },
        life_events: life_events(&plan.title, &[]),
        members: plan.members.clone(),
    }
}

/// A bundle's page with its members in force on `day`.
pub fn bundle_page(registry: &Registry, id: &str, day: i64) -> Option<BundlePage> {
    let entry = registry.bundles.get(id)?;
    let members = entry
        .built
        .plan()
        .members
        .iter()
        .filter_map(|m| registry.in_force(m, day).ok())
        .map(|v| policy_page(registry, v.loaded.manifest()))
        .collect();
    Some(BundlePage {
        summary: bundle_summary(registry, id, entry),
        members,
    })
}

/// Requests per client address per minute on the guide's open endpoints:
/// a fixed window per address, the table cleared when it grows past
/// `MAX_CLIENTS` (a flood of addresses then costs memory, never refusals).
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    clients: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

const MAX_CLIENTS: usize = 100_000;

impl RateLimit {
    pub fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `client` at `now_micros`; `Err(seconds)` to wait
    /// when over the limit (0 means no limit).
    pub fn check(&self, client: IpAddr, now_micros: i64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let minute = now_micros.div_euclid(60_000_000);
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() > MAX_CLIENTS {
            clients.clear();
        }
        let entry = clients.entry(client).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= self.per_minute {
            let wait = 60 - (now_micros.div_euclid(1_000_000)).rem_euclid(60);
            return Err(u64::try_from(wait).unwrap_or(60).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_per_client_and_per_minute() {
        let limit = RateLimit::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let t = 1_000 * 60_000_000 + 15_000_000;
        assert_eq!(limit.check(a, t), Ok(()));
        assert_eq!(limit.check(a, t), Ok(()));
        assert_eq!(limit.check(a, t), Err(45));
        assert_eq!(limit.check(b, t), Ok(()));
        assert_eq!(limit.check(a, t + 60_000_000), Ok(()));
        assert_eq!(RateLimit::new(0).check(a, t), Ok(()));
    }

    #[test]
    fn life_events_from_titles_and_bundles() {
        assert_eq!(life_events("杭州市居住证申领", &[]), vec!["居住"]);
        assert_eq!(
            life_events("新生儿出生登记", &["出生“一件事”联办".to_string()]),
            vec!["出生"]
        );
    }
}
