//! The artifact's manifest: what the engine needs to feed a compiled policy
//! and to read its answers, stored as JSON in the module's custom section
//! [`SECTION`]. docs/abi.md describes every field and the memory layout.
//!
//! The manifest is versioned by [`ABI_VERSION`]; the engine refuses any other.

use serde::{Deserialize, Serialize};

/// Raised whenever the layout or the meaning of a field changes.
pub const ABI_VERSION: u32 = 3;

/// The custom section that holds the manifest.
pub const SECTION: &str = "yici.manifest";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub abi_version: u32,
    pub policy: PolicyInfo,
    /// SHA-256 of the policy source, hex.
    pub source_hash: String,
    /// The memory's fixed size, in 64 KiB pages (minimum = maximum).
    pub memory_pages: u32,
    pub input: InputLayout,
    pub output: OutputLayout,
    /// Text constants of the policy; constant `i` has text id `i`. The host
    /// gives any other input text a fresh id from `texts.len()` up.
    pub texts: Vec<String>,
    /// The facts that may be missing, in bit order of the unknown masks
    /// (slot `i` is bit `min(i, 62)`; bit 63 means "no value").
    pub missing_slots: Vec<MissingSlot>,
    pub rules: Vec<RuleInfo>,
    /// The eligibility over the rules, for the reasons of a decision.
    pub eligibility: Condition,
    pub materials: Vec<MaterialInfo>,
    pub steps: Vec<StepInfo>,
    pub values: Vec<ValueInfo>,
    /// The catalogue's departments the policy names (its own, its steps',
    /// its datasets' owners), with their names.
    pub departments: Vec<Named>,
    /// The catalogue's datasets the policy names (materials, facts).
    pub datasets: Vec<Named>,
    /// The working-day calendar the steps' due dates are counted on.
    pub calendar: crate::calendar::WorkCalendar,
}

/// An id with its name in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A fact (or a list's field) that may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingSlot {
    /// `applicant.income`, or for a list's field `household.members.income`.
    pub path: String,
    pub title: String,
    /// The fact in `input.facts`.
    pub fact: u32,
    /// For a list's field: the field in the fact's element layout.
    pub field: Option<u32>,
    pub supplied_by: Supplier,
}

/// Who answers a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Supplier {
    /// The applicant (the default).
    Applicant,
    /// A shared dataset: the platform can fill it in before asking.
    Shared { dataset: String },
    /// The department determines it while processing (an assessment, an
    /// inspection): never asked of the applicant.
    Department,
}

/// The eligibility expression as far as it is made of rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// Rule `rule` of `rules` (its effective result).
    Rule {
        rule: u32,
    },
    And {
        all: Vec<Condition>,
    },
    Or {
        any: Vec<Condition>,
    },
    Not {
        of: Box<Condition>,
    },
    /// Anything else (a comparison written straight into `eligible when`),
    /// in words.
    Other {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    pub id: String,
    pub title: String,
    pub department: String,
    pub version: i64,
    pub effective_from: Option<String>,
    pub effective_until: Option<String>,
    pub basis: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputLayout {
    /// Offset of the application date (i64, days since 1970-01-01).
    pub application_date: u32,
    pub facts: Vec<FactSlot>,
    /// The longest list (or set) any fact may hold.
    pub max_list_len: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactSlot {
    pub name: String,
    /// The fact's title, or its name when it has none.
    pub title: String,
    pub supplied_by: Supplier,
    pub ty: ValueType,
    pub optional: bool,
    /// For a number: the values it may take (a request outside is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Bounds>,
    /// Byte that is 1 when the fact is present, 0 when it is unknown.
    pub presence: u32,
    /// The i64 slot: the value, or for a list or set the element count.
    pub offset: u32,
    /// For lists and sets: where the elements go.
    pub elements: Option<ElementLayout>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementLayout {
    /// Offset of element 0; element `i` is at `area + i * size`.
    pub area: u32,
    pub size: u32,
    /// For lists: the record's fields (a set's element is one i64 text id).
    pub fields: Vec<FieldSlot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSlot {
    pub name: String,
    /// The field's title, or its name when it has none.
    pub title: String,
    pub ty: ValueType,
    pub optional: bool,
    /// For a number: the values it may take (a request outside is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Bounds>,
    /// Presence byte, relative to the element.
    pub presence: u32,
    /// i64 slot, relative to the element.
    pub offset: u32,
}

/// The values a number may take, inclusive, in the units of its slot (fen
/// for money, 10^-scale for a decimal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Bounds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

impl Bounds {
    pub fn contains(&self, value: i64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

/// How a value is encoded in its i64 slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueType {
    /// 0 or 1.
    Bool,
    Int,
    /// Whole fen.
    Money,
    /// Whole units of 10^-scale (`decimal(2)`: hundredths).
    Decimal {
        scale: u8,
    },
    /// Days since 1970-01-01.
    Date,
    /// A text id.
    Text,
    /// The index of the value in `values`; `titles` are their titles in the
    /// same order (the value itself when it has none).
    Enum {
        values: Vec<String>,
        titles: Vec<String>,
    },
    /// A set of text: `(offset << 32) | count` of an array of i64 text ids.
    Set,
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLayout {
    /// i64: 0 ineligible, 1 eligible, 2 undetermined.
    pub eligibility: u32,
    /// i64: the unknown mask of the eligibility (bits of `missing_slots`).
    pub mask: u32,
    /// One byte per rule: 0 false, 1 true, 2 unknown.
    pub rules: u32,
    /// One byte per material: its condition, 0 / 1 / 2.
    pub materials: u32,
    /// One byte per step: its condition, 0 / 1 / 2.
    pub steps: u32,
    /// One i64 per material: the unknown mask of its condition (0 unless
    /// the condition is unknown).
    pub material_masks: u32,
    /// 16 bytes per reported value: the i64 value, then its i64 unknown mask.
    pub values: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub name: String,
    pub title: String,
    pub cite: Option<String>,
    /// For an exception: the rule it overrides.
    pub overrides: Option<String>,
    /// For a rule: its exceptions (indices in `rules`), in the order written;
    /// the first that holds decides.
    pub exceptions: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialInfo {
    pub id: String,
    pub name: String,
    pub form: String,
    pub copies: u32,
    pub source: SourceInfo,
    /// `None`: always asked for.
    pub condition: Option<ConditionText>,
}

/// A condition in words, for the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionText {
    /// In Chinese, from the titles of the facts, values and rules it reads.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    Applicant,
    Commitment,
    /// Fetched from `dataset` when the platform has it for this applicant,
    /// otherwise provided by `fallback` (`applicant` or `commitment`).
    Shared {
        dataset: String,
        fallback: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    pub name: String,
    pub title: String,
    pub department: String,
    /// Indices of the steps this one waits for.
    pub after: Vec<usize>,
    pub days: u32,
    pub working_days: bool,
    pub produces: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueInfo {
    pub name: String,
    pub title: String,
    pub ty: ValueType,
    /// The keyed parameters the value reads, to say which key has no entry
    /// when it has no value.
    pub keyed_params: Vec<KeyedParamUse>,
}

/// A keyed parameter as a reported value reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedParamUse {
    pub name: String,
    pub title: String,
    /// For each key, the fact (in `input.facts`) it is read from, when the
    /// key is a fact as it stands (`standard[applicant.county]`).
    pub key_facts: Vec<Option<u32>>,
    /// Every entry: its keys (as text: `"上城区"`, `"2"`) and the first day
    /// it is in force.
    pub entries: Vec<KeyedEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedEntry {
    pub keys: Vec<String>,
    pub from: i64,
}

impl Manifest {
    /// The name of department or dataset `id` (the id itself when the
    /// manifest does not hold it).
    pub fn department_name<'m>(&'m self, id: &'m str) -> &'m str {
        self.departments
            .iter()
            .find(|d| d.id == id)
            .map_or(id, |d| d.name.as_str())
    }

    pub fn dataset_name<'m>(&'m self, id: &'m str) -> &'m str {
        self.datasets
            .iter()
            .find(|d| d.id == id)
            .map_or(id, |d| d.name.as_str())
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Manifest, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
