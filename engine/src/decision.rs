//! The decision: the answer the workflow platform and the tests rely on.
//! Its JSON names are fixed (docs/abi.md, "The decision").
//!
//! A decision borrows its texts (titles, citations, names) from the loaded
//! policy's manifest, so building one allocates little; serialise it, or
//! call [`Decision::to_json`], while the policy is alive.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::decode::{date_text, money_text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision<'p> {
    pub policy: PolicyRef<'p>,
    #[serde(serialize_with = "serialize_date")]
    pub application_date: i64,
    pub eligibility: Eligibility,
    pub rules: Vec<RuleResult<'p>>,
    /// Only the unknown facts the eligibility depends on, in declaration order.
    pub missing_facts: Vec<&'p str>,
    pub materials: Vec<MaterialNeed<'p>>,
    pub steps: Vec<PlannedStep<'p>>,
    /// The promised total: the critical path through the planned steps.
    pub total_days: u32,
    /// Titled `let`s and tables, by name; `null` when unknown.
    pub values: Values<'p>,
}

impl Decision<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A reported value by name.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values
            .0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Day numbers serialise as `YYYY-MM-DD`.
pub(crate) fn serialize_date<S: Serializer>(days: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&date_text(*days))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef<'p> {
    pub id: &'p str,
    pub version: i64,
    /// SHA-256 of the policy source.
    pub hash: &'p str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Eligibility {
    Eligible,
    Ineligible,
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult<'p> {
    pub id: &'p str,
    pub title: &'p str,
    pub cite: Option<&'p str>,
    /// `null` when unknown.
    pub result: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialNeed<'p> {
    pub id: &'p str,
    pub name: &'p str,
    pub form: &'p str,
    pub copies: u32,
    pub provided_by: ProvidedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<&'p str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvidedBy {
    Applicant,
    Shared,
    Commitment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep<'p> {
    pub id: &'p str,
    pub title: &'p str,
    pub department: &'p str,
    /// The planned steps this one waits for (through any step left out).
    pub after: Vec<&'p str>,
    pub days: u32,
    pub day_kind: DayKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    Working,
    Natural,
}

/// Reported values, serialised as a JSON object in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Values<'p>(pub Vec<(&'p str, Value)>);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A reported value: money as a decimal string (`"1255.00"`), dates as
/// `YYYY-MM-DD`, enums and texts as strings, sets as arrays, unknown as null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Unknown,
    Bool(bool),
    Int(i64),
    Money(i64),
    Date(i64),
    Text(String),
    Set(Vec<String>),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Unknown => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::Money(fen) => serializer.serialize_str(&money_text(*fen)),
            Value::Date(days) => serializer.serialize_str(&date_text(*days)),
            Value::Text(text) => serializer.serialize_str(text),
            Value::Set(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        match self {
            Value::Money(fen) => money_text(*fen) == *other,
            Value::Date(days) => date_text(*days) == *other,
            Value::Text(text) => text == other,
            _ => false,
        }
    }
}

impl PartialEq<i64> for Value {
    fn eq(&self, other: &i64) -> bool {
        matches!(self, Value::Int(n) if n == other)
    }
}
