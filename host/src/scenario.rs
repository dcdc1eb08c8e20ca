//! Scenario files: one applicant's facts and the expected outcome, in TOML.
//!
//! ```toml
//! name = "外地户籍、租房满一年：符合条件"
//! application_date = 2026-01-15
//! shared_available = ["gongan.resident_id"]
//!
//! [expect]
//! eligibility = "eligible"                 # or "ineligible", "undetermined"
//! missing_facts = []                        # optional, checked when given
//! reasons = ["half_year"]                   # the rules that decided a refusal
//! materials = ["id_card", { id = "lease_contract", provided_by = "applicant", status = "conditional" }]
//! steps = ["accept", "approve"]
//! working_days = 6                          # along the critical path
//! natural_days = 0
//! completion_date = 2026-01-23              # the last step's due date
//! due_dates = { accept = 2026-01-16 }
//! rules = { half_year = true, stable_job = "unknown" }
//! values = { fee = "20.00", months_resident = 7 }
//! # bundles also: entry = true, visits = 0, apply_now = [...], blocked = [...] (member ids),
//! # members = { "zj.birth_hukou" = "eligible" } (eligibility may be "partial")
//!
//! [facts.applicant]
//! birth_date = 1990-02-28
//!
//! [[facts.household.members]]
//! relation = "spouse"
//! income = 3000.50
//! ```
//!
//! Everything under `expect` but `eligibility` is optional; what is given
//! must match exactly. docs/testing.md is the testers' guide.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub application_date: toml::value::Datetime,
    #[serde(default)]
    pub shared_available: Vec<String>,
    #[serde(default)]
    pub facts: toml::Table,
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub eligibility: String,
    /// Every missing fact's path, whoever answers it (applicant's, shared,
    /// department's), as the decision lists them.
    pub missing_facts: Option<Vec<String>>,
    /// The ids of the reasons (a part of the eligibility that is not a rule
    /// by its words).
    pub reasons: Option<Vec<String>>,
    pub materials: Option<Vec<ExpectedMaterial>>,
    pub steps: Option<Vec<String>>,
    pub working_days: Option<u32>,
    pub natural_days: Option<u32>,
    pub completion_date: Option<toml::value::Datetime>,
    /// Due dates by step id.
    pub due_dates: Option<toml::Table>,
    pub rules: Option<toml::Table>,
    pub values: Option<toml::Table>,
    /// Bundles only: the entry condition's result (true, false or "unknown").
    pub entry: Option<toml::Value>,
    /// Bundles only: in-person visits still needed.
    pub visits: Option<u32>,
    /// Bundles only: each member's eligibility, by member id.
    pub members: Option<toml::Table>,
    /// Bundles only: the members that can be applied for now.
    pub apply_now: Option<Vec<String>>,
    /// Bundles only: the members waiting on a material from a refused
    /// member, by id (in the decision's order).
    pub blocked: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ExpectedMaterial {
    Id(String),
    Detail(MaterialDetail),
}

/// What to check of one material; a key not listed here is an error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialDetail {
    pub id: String,
    pub provided_by: Option<String>,
    pub copies: Option<u32>,
    pub form: Option<String>,
    pub dataset: Option<String>,
    /// `required` or `conditional`.
    pub status: Option<String>,
    /// Bundles only: the member that produces it through a link.
    pub produced_by: Option<String>,
}

impl ExpectedMaterial {
    pub fn id(&self) -> &str {
        match self {
            ExpectedMaterial::Id(id) => id,
            ExpectedMaterial::Detail(detail) => &detail.id,
        }
    }
}

/// Reads a scenario; the error names the line and the field.
pub fn parse(text: &str) -> Result<Scenario, String> {
    let scenario: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
    if !matches!(
        scenario.expect.eligibility.as_str(),
        "eligible" | "ineligible" | "undetermined" | "partial"
    ) {
        return Err(format!(
            "`expect.eligibility` is `{}`; write `eligible`, `ineligible`, `undetermined` or (bundles) `partial`",
            scenario.expect.eligibility
        ));
    }
    if scenario.application_date.date.is_none() || scenario.application_date.time.is_some() {
        return Err("`application_date` must be a date like 2026-01-15".into());
    }
    Ok(scenario)
}

impl Scenario {
    pub fn application_date(&self) -> String {
        self.application_date.to_string()
    }

    /// The request the workflow platform would send for this scenario.
    pub fn request_json(&self) -> String {
        let request = serde_json::json!({
            "application_date": self.application_date(),
            "facts": to_json(&toml::Value::Table(self.facts.clone())),
            "shared_available": self.shared_available,
        });
        request.to_string()
    }

    /// Every way `decision` (as JSON) differs from what the scenario expects.
    pub fn mismatches(&self, decision: &serde_json::Value) -> Vec<Mismatch> {
        let mut out = Vec::new();
        let expect = &self.expect;
        let mut check = |field: &str, expected: serde_json::Value, actual: &serde_json::Value| {
            if &expected != actual {
                out.push(Mismatch {
                    field: field.to_string(),
                    expected,
                    actual: actual.clone(),
                });
            }
        };
        check(
            "eligibility",
            serde_json::Value::String(expect.eligibility.clone()),
            &decision["eligibility"],
        );
        if let Some(missing) = &expect.missing_facts {
            let missing_facts = &decision["missing_facts"];
            let actual: Vec<&serde_json::Value> = ["applicant", "shared", "department"]
                .iter()
                .flat_map(|who| missing_facts[who].as_array().into_iter().flatten())
                .map(|fact| &fact["path"])
                .collect();
            check(
                "missing_facts",
                serde_json::json!(missing),
                &serde_json::json!(actual),
            );
        }
        if let Some(reasons) = &expect.reasons {
            let actual: Vec<&serde_json::Value> = decision["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    if r["id"].is_null() {
                        &r["title"]
                    } else {
                        &r["id"]
                    }
                })
                .collect();
            check(
                "reasons",
                serde_json::json!(reasons),
                &serde_json::json!(actual),
            );
        }
        if let Some(materials) = &expect.materials {
            let actual = decision["materials"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let expected_ids: Vec<&str> = materials.iter().map(ExpectedMaterial::id).collect();
            let actual_ids: Vec<&str> = actual.iter().filter_map(|m| m["id"].as_str()).collect();
            check(
                "materials",
                serde_json::json!(expected_ids),
                &serde_json::json!(actual_ids),
            );
            for material in materials {
                let ExpectedMaterial::Detail(MaterialDetail {
                    id,
                    provided_by,
                    copies,
                    form,
                    dataset,
                    status,
                    produced_by,
                }) = material
                else {
                    continue;
                };
                let Some(found) = actual.iter().find(|m| m["id"] == id.as_str()) else {
                    continue;
                };
                let fields = [
                    (
                        "provided_by",
                        provided_by.as_ref().map(|v| serde_json::json!(v)),
                    ),
                    ("copies", copies.map(|v| serde_json::json!(v))),
                    ("form", form.as_ref().map(|v| serde_json::json!(v))),
                    ("status", status.as_ref().map(|v| serde_json::json!(v))),
                    (
                        "produced_by",
                        produced_by.as_ref().map(|v| serde_json::json!(v)),
                    ),
                ];
                for (name, wanted) in fields {
                    if let Some(wanted) = wanted {
                        check(&format!("materials.{id}.{name}"), wanted, &found[name]);
                    }
                }
                if let Some(dataset) = dataset {
                    // A dataset by its id (the decision names it too).
                    let actual = match &found["dataset"] {
                        serde_json::Value::Object(named) => named["id"].clone(),
                        other => other.clone(),
                    };
                    check(
                        &format!("materials.{id}.dataset"),
                        serde_json::json!(dataset),
                        &actual,
                    );
                }
            }
        }
        if let Some(steps) = &expect.steps {
            let actual: Vec<&str> = decision["steps"]
                .as_array()
                .map(|s| s.iter().filter_map(|x| x["id"].as_str()).collect())
                .unwrap_or_default();
            check(
                "steps",
                serde_json::json!(steps),
                &serde_json::json!(actual),
            );
        }
        let schedule = &decision["schedule"];
        if let Some(days) = expect.working_days {
            check(
                "working_days",
                serde_json::json!(days),
                &schedule["working_days"],
            );
        }
        if let Some(days) = expect.natural_days {
            check(
                "natural_days",
                serde_json::json!(days),
                &schedule["natural_days"],
            );
        }
        if let Some(date) = &expect.completion_date {
            check(
                "completion_date",
                serde_json::json!(date.to_string()),
                &schedule["completion_date"],
            );
        }
        if let Some(due_dates) = &expect.due_dates {
            for (id, wanted) in due_dates {
                let actual = decision["steps"]
                    .as_array()
                    .and_then(|steps| steps.iter().find(|s| s["id"] == id.as_str()))
                    .map_or(serde_json::Value::String("(no such step)".into()), |s| {
                        s["due_date"].clone()
                    });
                check(&format!("due_dates.{id}"), to_json(wanted), &actual);
            }
        }
        if let Some(rules) = &expect.rules {
            for (id, wanted) in rules {
                let wanted = match wanted {
                    toml::Value::String(s) if s == "unknown" => serde_json::Value::Null,
                    other => to_json(other),
                };
                let actual = decision["rules"]
                    .as_array()
                    .and_then(|rules| rules.iter().find(|r| r["id"] == id.as_str()))
                    .map_or(serde_json::Value::String("(no such rule)".into()), |r| {
                        r["result"].clone()
                    });
                check(&format!("rules.{id}"), wanted, &actual);
            }
        }
        if let Some(entry) = &expect.entry {
            let wanted = match entry {
                toml::Value::String(s) if s == "unknown" => serde_json::Value::Null,
                other => to_json(other),
            };
            check("entry", wanted, &decision["entry"]);
        }
        if let Some(apply_now) = &expect.apply_now {
            check(
                "apply_now",
                serde_json::json!(apply_now),
                &decision["apply_now"],
            );
        }
        if let Some(blocked) = &expect.blocked {
            let actual: Vec<serde_json::Value> = decision["blocked"]
                .as_array()
                .map(|members| members.iter().map(|b| b["member"].clone()).collect())
                .unwrap_or_default();
            check(
                "blocked",
                serde_json::json!(blocked),
                &serde_json::Value::Array(actual),
            );
        }
        if let Some(visits) = expect.visits {
            check("visits", serde_json::json!(visits), &decision["visits"]);
        }
        if let Some(members) = &expect.members {
            for (id, wanted) in members {
                let actual = decision["members"]
                    .as_array()
                    .and_then(|ms| ms.iter().find(|m| m["policy"]["id"] == id.as_str()))
                    .map_or(serde_json::Value::String("(no such member)".into()), |m| {
                        m["eligibility"].clone()
                    });
                check(&format!("members.{id}"), to_json(wanted), &actual);
            }
        }
        if let Some(values) = &expect.values {
            for (name, wanted) in values {
                let wanted = match wanted {
                    toml::Value::String(s) if s == "unknown" => serde_json::Value::Null,
                    other => to_json(other),
                };
                let actual = decision["values"]
                    .as_array()
                    .and_then(|values| values.iter().find(|v| v["name"] == name.as_str()))
                    .map_or(serde_json::Value::String("(no such value)".into()), |v| {
                        v["value"].clone()
                    });
                check(&format!("values.{name}"), wanted, &actual);
            }
        }
        out
    }
}

/// One difference between the expected and the actual decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub field: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
}

impl Mismatch {
    /// The difference as `yici test` prints it, in `lang`.
    pub fn text(&self, lang: rules_dsl::Lang) -> String {
        let (field, expected, actual) = (&self.field, &self.expected, &self.actual);
        rules_dsl::words!(
            "{field}：\n    - 预期：{expected}\n    + 实际：{actual}",
            "{field}:\n    - expected: {expected}\n    + actual:   {actual}"
        )
        .get(lang)
        .to_string()
    }
}

/// In English; `yici test` and the service's scenario reports use `text`.
impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(rules_dsl::Lang::En))
    }
}

/// TOML → JSON; TOML dates become `YYYY-MM-DD` strings.
pub fn to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(n) => serde_json::json!(n),
        toml::Value::Float(x) => serde_json::json!(x),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            serde_json::Value::Object(table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
