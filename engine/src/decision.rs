//! The decision as the workflow platform, a citizen's app and the tests
//! read it: the type of the JSON that `write.rs` — its one writer — produces.
//! docs/abi.md ("The decision") describes every field. The service never
//! builds this type: it answers the writer's bytes. Bundles and tests parse
//! those bytes into it ([`Decision::from_json`]); a test checks that every
//! decision of every shipped scenario parses with no field unknown or
//! missing, so this type, its OpenAPI schema and the writer agree. The
//! parts a bundle's answer repeats (named ids, missing facts, the schedule)
//! are serialised from these types by the bundle's writer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub policy: PolicyRef,
    /// `YYYY-MM-DD`.
    pub application_date: String,
    pub eligibility: Eligibility,
    /// Why the decision is not `eligible`: the rules that decided it, in
    /// reading order (for `a and (b or c)` failing, the failing `a`, or both
    /// failing `b` and `c`). Empty for an eligible decision.
    pub reasons: Vec<RuleResult>,
    /// Every rule and exception, in the order written.
    pub rules: Vec<RuleResult>,
    /// The unknown facts the eligibility waits for, by who answers them.
    pub missing_facts: MissingFacts,
    /// What to bring or what is fetched; empty when ineligible.
    pub materials: Vec<MaterialNeed>,
    /// The planned steps; empty when ineligible.
    pub steps: Vec<PlannedStep>,
    pub schedule: Schedule,
    /// The titled values (amounts, dates …), in declaration order.
    pub values: Vec<ReportedValue>,
}

impl Decision {
    /// Parses the writer's bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Decision, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// A reported value by name (`null` when unknown).
    pub fn value(&self, name: &str) -> Option<&serde_json::Value> {
        self.values
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.value)
    }
}

/// An id with its name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    pub id: String,
    pub title: String,
    pub version: i64,
    /// SHA-256 of the policy source.
    pub hash: String,
    pub department: Named,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Eligibility {
    Eligible,
    Ineligible,
    Undetermined,
}

impl Eligibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Eligible => "eligible",
            Eligibility::Ineligible => "ineligible",
            Eligibility::Undetermined => "undetermined",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleResult {
    /// The rule's id; `null` for a part of the eligibility that is not a
    /// rule (then `title` is that part in words).
    pub id: Option<String>,
    pub title: String,
    pub cite: Option<String>,
    /// `null` when unknown.
    pub result: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MissingFacts {
    /// To ask the applicant.
    pub applicant: Vec<FactRef>,
    /// For the platform to fetch from a shared dataset (then to ask the
    /// applicant if it cannot).
    pub shared: Vec<SharedFactRef>,
    /// The department determines them while processing: never asked of the
    /// applicant.
    pub department: Vec<FactRef>,
}

impl MissingFacts {
    pub fn is_empty(&self) -> bool {
        self.applicant.is_empty() && self.shared.is_empty() && self.department.is_empty()
    }

    /// Every path, applicant's first.
    pub fn paths(&self) -> Vec<&str> {
        self.applicant
            .iter()
            .map(|f| f.path.as_str())
            .chain(self.shared.iter().map(|f| f.path.as_str()))
            .chain(self.department.iter().map(|f| f.path.as_str()))
            .collect()
    }
}

/// A fact by its request path, with the member's index for a list's field
/// (`household.members[1].annual_income`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FactRef {
    pub path: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharedFactRef {
    pub path: String,
    pub title: String,
    pub dataset: Named,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MaterialNeed {
    pub id: String,
    pub name: String,
    /// `original`, `copy` or `electronic`.
    pub form: String,
    pub copies: u32,
    pub status: MaterialStatus,
    /// For a conditional material: when it is needed, in words.
    pub condition: Option<String>,
    /// For a conditional material: the unknown facts that decide it.
    pub depends_on: Vec<FactRef>,
    pub provided_by: ProvidedBy,
    /// The dataset the government fetches it from.
    pub dataset: Option<Named>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MaterialStatus {
    /// Needed for certain.
    Required,
    /// Needed if its condition holds, which waits for `depends_on`.
    Conditional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProvidedBy {
    Applicant,
    Shared,
    Commitment,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub department: Named,
    /// The planned steps this one waits for (through any step left out).
    pub after: Vec<String>,
    pub days: u32,
    pub day_kind: DayKind,
    /// When the step may start: the application date, or the day the last
    /// step it waits for is due. `null` when the calendar does not reach.
    pub start_date: Option<String>,
    /// The last day of its time limit, on the working-day calendar.
    pub due_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    Working,
    Natural,
}

/// The promised time: the critical path through the planned steps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Working days along the critical path.
    pub working_days: u32,
    /// Natural days along the critical path.
    pub natural_days: u32,
    /// When the last step is due; `null` when the calendar does not reach
    /// (then `calendar_note` says why) or nothing is planned.
    pub completion_date: Option<String>,
    pub calendar_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportedValue {
    pub name: String,
    pub title: String,
    /// Money as a decimal string (`"1255.00"`), dates as `YYYY-MM-DD`, enum
    /// values and texts as strings, sets as arrays; `null` when unknown.
    #[cfg_attr(feature = "schema", schema(value_type = Object, nullable))]
    pub value: serde_json::Value,
    /// When unknown: the facts it waits for.
    pub waits_for: Vec<FactRef>,
    /// When unknown because a keyed parameter has no entry for the key.
    pub no_entry: Vec<NoEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoEntry {
    pub parameter: String,
    pub title: String,
    pub key: String,
}
