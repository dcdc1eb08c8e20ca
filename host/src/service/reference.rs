//! Reference data for the apps that build forms and render decisions: the
//! catalogue with names (departments, datasets, materials, the working-day
//! calendar), and a policy's form (every fact with its path, type, title,
//! enum labels, list shape and who supplies it). Both are built from what
//! the compiler wrote (the checked catalogue, the manifest), never from a
//! second reading of the source. JSON shapes: `GET /v1/catalogue`,
//! `GET /v1/policies/{id}/form` (docs/api.md).

use std::collections::BTreeSet;

use engine::codec::{date_text, decimal_text};
use engine::contract_manifest::{Bounds, FactSlot, FieldSlot, Manifest, Supplier, ValueType};
use serde::Serialize;
use utoipa::ToSchema;

/// The catalogue as the apps read it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CatalogueView {
    pub departments: Vec<NamedDoc>,
    pub datasets: Vec<DatasetDoc>,
    pub materials: Vec<MaterialDoc>,
    /// The working-day calendar, one entry per year it covers.
    pub calendar: Vec<CalendarYearDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NamedDoc {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetDoc {
    pub id: String,
    pub name: String,
    /// The department that holds the data.
    pub department: NamedDoc,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaterialDoc {
    pub id: String,
    pub name: String,
    /// `original`, `copy` or `electronic`.
    pub form: String,
    /// The department whose service issues it (a licence, a certificate).
    pub issued_by: Option<NamedDoc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarYearDoc {
    pub year: i64,
    /// The State Council General Office's notice.
    pub notice: String,
    /// Days off (`YYYY-MM-DD`).
    pub holidays: Vec<String>,
    /// Weekend days worked instead (调休).
    pub workdays: Vec<String>,
}

impl CatalogueView {
    /// The catalogue `source` as checked (a catalogue with errors gives
    /// what could be read of it; the store only holds checked ones).
    pub fn from_source(source: &str) -> CatalogueView {
        let mut sources = rules_dsl::SourceSet::new();
        sources.add("catalogue.rules", source);
        let catalogue = rules_dsl::check(&sources).workspace.catalogue;
        let named = |id: &str| NamedDoc {
            id: id.to_string(),
            name: catalogue
                .department(id)
                .map_or_else(|| id.to_string(), |d| d.name.clone()),
        };
        CatalogueView {
            departments: catalogue
                .departments
                .iter()
                .map(|d| NamedDoc {
                    id: d.id.clone(),
                    name: d.name.clone(),
                })
                .collect(),
            datasets: catalogue
                .datasets
                .iter()
                .map(|d| DatasetDoc {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    department: named(&d.department),
                })
                .collect(),
            materials: catalogue
                .materials
                .iter()
                .map(|m| MaterialDoc {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    form: m.form.as_str().to_string(),
                    issued_by: m.issued_by.as_deref().map(named),
                })
                .collect(),
            calendar: catalogue
                .calendar
                .years
                .iter()
                .map(|y| CalendarYearDoc {
                    year: y.year,
                    notice: y.notice.clone(),
                    holidays: y.holidays.iter().map(|&d| date_text(d)).collect(),
                    workdays: y.workdays.iter().map(|&d| date_text(d)).collect(),
                })
                .collect(),
        }
    }

    /// The dataset ids: what a request's `shared_available` may name.
    pub fn dataset_ids(&self) -> BTreeSet<String> {
        self.datasets.iter().map(|d| d.id.clone()).collect()
    }
}

/// A policy's facts as a form: what to ask, how, and who answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyForm {
    pub policy: FormPolicy,
    /// In declaration order.
    pub facts: Vec<FormFact>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormPolicy {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub department: NamedDoc,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormFact {
    /// The dotted name a request's `facts` uses (`applicant.birth_date`).
    pub path: String,
    pub title: String,
    /// `bool`, `int`, `money`, `decimal`, `date`, `text`, `enum`, `set` (of
    /// text) or `list`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// May be left out (then unknown); a required fact may not.
    pub optional: bool,
    #[serde(flatten)]
    pub number: NumberDoc,
    /// For an enum: its values with their titles.
    pub values: Vec<EnumValueDoc>,
    /// For a list: the fields of each record.
    pub fields: Vec<FormField>,
    /// For a list or set: the most records it may hold.
    pub max_items: Option<u32>,
    pub supplied_by: SuppliedBy,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormField {
    pub name: String,
    pub title: String,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub optional: bool,
    #[serde(flatten)]
    pub number: NumberDoc,
    pub values: Vec<EnumValueDoc>,
}

/// For a number: how many decimals it takes and the values it may take
/// (a request outside them is refused, naming the fact).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NumberDoc {
    /// 2 for money, N for `decimal(N)`, 0 for a whole number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// The least value allowed, written with its decimals (`"0.00"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// The greatest value allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

impl NumberDoc {
    fn of(ty: &ValueType, bounds: Option<Bounds>) -> NumberDoc {
        let decimals = match ty {
            ValueType::Int => 0,
            ValueType::Money => 2,
            ValueType::Decimal { scale } => *scale,
            _ => return NumberDoc::default(),
        };
        let text = |b: Option<i64>| b.map(|b| decimal_text(b, decimals));
        NumberDoc {
            decimals: Some(decimals),
            min: text(bounds.and_then(|b| b.min)),
            max: text(bounds.and_then(|b| b.max)),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnumValueDoc {
    pub value: String,
    pub title: String,
}

/// Who answers a fact: the applicant; the platform from a shared dataset
/// (ask the applicant only when it cannot); the department, while
/// processing (never the applicant).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuppliedBy {
    /// `applicant`, `shared` or `department`.
    pub kind: &'static str,
    pub dataset: Option<NamedDoc>,
}

fn type_name(ty: &ValueType) -> &'static str {
    match ty {
        ValueType::Bool => "bool",
        ValueType::Int => "int",
        ValueType::Money => "money",
        ValueType::Decimal { .. } => "decimal",
        ValueType::Date => "date",
        ValueType::Text => "text",
        ValueType::Enum { .. } => "enum",
        ValueType::Set => "set",
        ValueType::List => "list",
    }
}

fn enum_values(ty: &ValueType) -> Vec<EnumValueDoc> {
    match ty {
        ValueType::Enum { values, titles } => values
            .iter()
            .zip(titles)
            .map(|(value, title)| EnumValueDoc {
                value: value.clone(),
                title: title.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn field(slot: &FieldSlot) -> FormField {
    FormField {
        name: slot.name.clone(),
        title: slot.title.clone(),
        ty: type_name(&slot.ty),
        optional: slot.optional,
        number: NumberDoc::of(&slot.ty, slot.bounds),
        values: enum_values(&slot.ty),
    }
}

impl PolicyForm {
    /// Fact `slot` of `manifest` as a form field.
    pub fn of_fact(manifest: &Manifest, slot: &FactSlot) -> FormFact {
        FormFact {
            path: slot.name.clone(),
            title: slot.title.clone(),
            ty: type_name(&slot.ty),
            optional: slot.optional,
            number: NumberDoc::of(&slot.ty, slot.bounds),
            values: enum_values(&slot.ty),
            fields: slot
                .elements
                .as_ref()
                .map(|e| e.fields.iter().map(field).collect())
                .unwrap_or_default(),
            max_items: slot.elements.as_ref().map(|_| manifest.input.max_list_len),
            supplied_by: match &slot.supplied_by {
                Supplier::Applicant => SuppliedBy {
                    kind: "applicant",
                    dataset: None,
                },
                Supplier::Shared { dataset } => SuppliedBy {
                    kind: "shared",
                    dataset: Some(NamedDoc {
                        id: dataset.clone(),
                        name: manifest.dataset_name(dataset).to_string(),
                    }),
                },
                Supplier::Department => SuppliedBy {
                    kind: "department",
                    dataset: None,
                },
            },
        }
    }

    pub fn of(manifest: &Manifest) -> PolicyForm {
        let fact = |slot: &FactSlot| PolicyForm::of_fact(manifest, slot);
        let policy = &manifest.policy;
        PolicyForm {
            policy: FormPolicy {
                id: policy.id.clone(),
                title: policy.title.clone(),
                version: policy.version,
                department: NamedDoc {
                    id: policy.department.clone(),
                    name: manifest.department_name(&policy.department).to_string(),
                },
            },
            facts: manifest.input.facts.iter().map(fact).collect(),
        }
    }
}
