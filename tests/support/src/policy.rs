//! Shared helpers for the oracle and differential tests: check and compile a
//! policy from source, describe a request's facts, and turn them into a
//! memory image (by hand, per the manifest's input layout) or request JSON.

use std::collections::HashMap;

pub use contract::codec::{date_text, money_text};
use rules_dsl::SourceSet;
use rules_dsl::calendar;
use rules_dsl::codegen::{self, CompileOptions};
use rules_dsl::ir::Policy;
use rules_dsl::manifest::{Manifest, ValueType};

/// The catalogue every test policy is checked with.
pub const CATALOGUE: &str = r#"
department t.dept "测试部门"
department t.office "测试窗口"
dataset t.data "测试数据" by t.dept
material doc_a "材料甲" form original
material doc_b "材料乙" form copy
material doc_c "材料丙" form electronic
material doc_d "材料丁" form original
"#;

/// Checks `source` with the test catalogue; `Err` holds the rendered
/// diagnostics when there is any error.
pub fn try_check(source: &str) -> Result<Policy, String> {
    let mut sources = SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("policy.rules", source);
    let checked = rules_dsl::check(&sources);
    if checked.error_count() > 0 {
        return Err(sources.render(&checked.diagnostics, false, rules_dsl::Lang::default()));
    }
    checked
        .workspace
        .policies
        .first()
        .cloned()
        .ok_or_else(|| "no policy in the source".to_string())
}

/// Checks and compiles `source` (panics with the diagnostics on any error).
pub fn compile(source: &str, max_list_len: u32) -> (Policy, codegen::Artifact) {
    let policy = match try_check(source) {
        Ok(policy) => policy,
        Err(diagnostics) => panic!("the policy has errors:\n{diagnostics}\n--- source\n{source}"),
    };
    let options = CompileOptions {
        max_list_len,
        ..CompileOptions::default()
    };
    let artifact =
        codegen::compile(&policy, &options).unwrap_or_else(|e| panic!("{e}\n--- source\n{source}"));
    (policy, artifact)
}

/// One fact's value in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum In {
    Bool(bool),
    Int(i64),
    /// Fen.
    Money(i64),
    /// Whole units at a scale (`decimal(3)`: thousandths).
    Decimal(i64, u8),
    /// Days since 1970-01-01.
    Date(i64),
    Text(String),
    Enum(String),
    Set(Vec<String>),
    /// Records: each field by name, `None` (or left out) when absent.
    List(Vec<Vec<(String, Option<In>)>>),
}

/// The facts of one request; a fact left out, or `None`, is absent.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub date: i64,
    pub facts: Vec<(String, Option<In>)>,
}

impl Request {
    pub fn new(date: &str) -> Request {
        Request {
            date: day(date),
            facts: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, value: In) -> Request {
        self.facts.push((name.to_string(), Some(value)));
        self
    }

    pub fn absent(mut self, name: &str) -> Request {
        self.facts.push((name.to_string(), None));
        self
    }
}

/// `YYYY-MM-DD` → day number.
pub fn day(text: &str) -> i64 {
    let parts: Vec<i64> = text.split('-').map(|p| p.parse().unwrap_or(0)).collect();
    calendar::days_from_civil(parts[0], parts[1], parts[2])
}

/// Text ids as the host assigns them: the policy's constants first, then
/// fresh ids in the order the texts are first met.
#[derive(Debug, Default)]
pub struct TextIds {
    ids: HashMap<String, i64>,
    next: i64,
}

impl TextIds {
    pub fn new(manifest: &Manifest) -> TextIds {
        let ids: HashMap<String, i64> = manifest
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as i64))
            .collect();
        TextIds {
            next: manifest.texts.len() as i64,
            ids,
        }
    }

    pub fn id(&mut self, text: &str) -> i64 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        if let Some(id) =
            contract::codec::canonical_number(text).and_then(contract::codec::number_text_id)
        {
            return id;
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert(text.to_string(), id);
        id
    }
}

fn put_i64(memory: &mut [u8], address: usize, value: i64) {
    memory[address..address + 8].copy_from_slice(&value.to_le_bytes());
}

fn scalar(value: &In, ty: &ValueType, texts: &mut TextIds) -> i64 {
    match (value, ty) {
        (In::Bool(b), _) => i64::from(*b),
        (In::Int(n), _) | (In::Money(n), _) | (In::Date(n), _) | (In::Decimal(n, _), _) => *n,
        (In::Text(t), _) => texts.id(t),
        (In::Enum(v), ValueType::Enum { values, .. }) => values
            .iter()
            .position(|x| x == v)
            .unwrap_or_else(|| panic!("`{v}` is not a variant"))
            as i64,
        (other, ty) => panic!("{other:?} does not fit {ty:?}"),
    }
}

/// The memory image of `request`, written by hand per the manifest's layout.
pub fn image(manifest: &Manifest, request: &Request) -> Vec<u8> {
    let mut memory = vec![0u8; manifest.memory_pages as usize * 65_536];
    let mut texts = TextIds::new(manifest);
    put_i64(
        &mut memory,
        manifest.input.application_date as usize,
        request.date,
    );
    for slot in &manifest.input.facts {
        let Some((_, Some(value))) = request.facts.iter().find(|(name, _)| *name == slot.name)
        else {
            assert!(
                slot.optional,
                "required fact `{}` missing from the request",
                slot.name
            );
            continue;
        };
        memory[slot.presence as usize] = 1;
        match value {
            In::Set(items) => {
                let elements = slot.elements.as_ref().expect("a set has an element area");
                put_i64(&mut memory, slot.offset as usize, items.len() as i64);
                for (i, item) in items.iter().enumerate() {
                    let id = texts.id(item);
                    put_i64(&mut memory, elements.area as usize + 8 * i, id);
                }
            }
            In::List(records) => {
                let elements = slot.elements.as_ref().expect("a list has an element area");
                put_i64(&mut memory, slot.offset as usize, records.len() as i64);
                for (i, record) in records.iter().enumerate() {
                    let base = elements.area as usize + i * elements.size as usize;
                    for field in &elements.fields {
                        let given = record.iter().find(|(name, _)| *name == field.name);
                        let Some((_, Some(value))) = given else {
                            assert!(field.optional, "required field `{}` missing", field.name);
                            continue;
                        };
                        memory[base + field.presence as usize] = 1;
                        let v = scalar(value, &field.ty, &mut texts);
                        put_i64(&mut memory, base + field.offset as usize, v);
                    }
                }
            }
            value => {
                let v = scalar(value, &slot.ty, &mut texts);
                put_i64(&mut memory, slot.offset as usize, v);
            }
        }
    }
    memory
}

fn json_value(value: &In) -> serde_json::Value {
    use serde_json::Value;
    match value {
        In::Bool(b) => Value::Bool(*b),
        In::Int(n) => Value::from(*n),
        In::Money(fen) => Value::String(money_text(*fen)),
        In::Decimal(units, scale) => Value::String(contract::codec::decimal_text(*units, *scale)),
        In::Date(days) => Value::String(date_text(*days)),
        In::Text(t) | In::Enum(t) => Value::String(t.clone()),
        In::Set(items) => Value::Array(items.iter().map(|t| Value::String(t.clone())).collect()),
        In::List(records) => Value::Array(
            records
                .iter()
                .map(|record| {
                    let mut object = serde_json::Map::new();
                    for (name, value) in record {
                        object.insert(name.clone(), value.as_ref().map_or(Value::Null, json_value));
                    }
                    Value::Object(object)
                })
                .collect(),
        ),
    }
}

/// The request as the platform would send it.
pub fn request_json(request: &Request) -> String {
    let mut facts = serde_json::Map::new();
    for (name, value) in &request.facts {
        facts.insert(
            name.clone(),
            value.as_ref().map_or(serde_json::Value::Null, json_value),
        );
    }
    let json = serde_json::json!({
        "application_date": date_text(request.date),
        "facts": facts,
        "shared_available": [],
    });
    json.to_string()
}
