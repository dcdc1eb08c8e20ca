//! The decision: the answer the workflow platform and the tests rely on.
//! Its JSON names are fixed (docs/abi.md, "The decision").

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub policy: PolicyRef,
    pub application_date: String,
    pub eligibility: Eligibility,
    pub rules: Vec<RuleResult>,
    /// Only the unknown facts the eligibility depends on, in declaration order.
    pub missing_facts: Vec<String>,
    pub materials: Vec<MaterialNeed>,
    pub steps: Vec<PlannedStep>,
    /// The promised total: the critical path through the planned steps.
    pub total_days: u32,
    /// Titled `let`s and tables, by name; `null` when unknown.
    pub values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub id: String,
    pub version: i64,
    /// SHA-256 of the policy source.
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Eligibility {
    Eligible,
    Ineligible,
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub cite: Option<String>,
    /// `null` when unknown.
    pub result: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialNeed {
    pub id: String,
    pub name: String,
    pub form: String,
    pub copies: u32,
    pub provided_by: ProvidedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvidedBy {
    Applicant,
    Shared,
    Commitment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub department: String,
    /// The planned steps this one waits for (through any step left out).
    pub after: Vec<String>,
    pub days: u32,
    pub day_kind: DayKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    Working,
    Natural,
}
