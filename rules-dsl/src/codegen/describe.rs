//! The manifest: everything about a compiled policy that the engine needs
//! besides the code — the layouts, and the words a decision is written in
//! (titles of the policy, facts, values, rules, materials, departments and
//! datasets; conditions in Chinese; the eligibility over the rules for the
//! reasons; the keyed parameters a reported value reads; the calendar).

use std::collections::HashSet;

use super::layout::Layout;
use super::{CompileOptions, Texts, value_type};
use crate::calendar::days_from_date;
use crate::ir::{self, ExprKind, Type, words};
use crate::manifest::{self, Manifest};

pub(super) fn manifest(
    policy: &ir::Policy,
    layout: &Layout,
    texts: &Texts,
    options: &CompileOptions,
    pages: u32,
) -> Manifest {
    let rules = policy
        .rules
        .iter()
        .map(|r| manifest::RuleInfo {
            name: r.name.clone(),
            title: r.title.clone(),
            cite: r.cite.clone(),
            overrides: r.overrides.map(|o| policy.rules[o.rule].name.clone()),
            exceptions: r.exceptions.iter().map(|&e| e as u32).collect(),
        })
        .collect();
    let materials = policy
        .materials
        .iter()
        .map(|m| manifest::MaterialInfo {
            id: m.id.clone(),
            name: m.name.clone(),
            form: m.form.as_str().to_string(),
            copies: m.copies,
            source: match &m.source {
                ir::Source::Applicant => manifest::SourceInfo::Applicant,
                ir::Source::Commitment => manifest::SourceInfo::Commitment,
                ir::Source::Shared { dataset, fallback } => manifest::SourceInfo::Shared {
                    dataset: dataset.clone(),
                    fallback: match fallback {
                        ir::Fallback::Applicant => "applicant".into(),
                        ir::Fallback::Commitment => "commitment".into(),
                    },
                },
            },
            condition: m.condition.as_ref().map(|c| manifest::ConditionText {
                text: words::condition(policy, c),
            }),
        })
        .collect();
    let steps = policy
        .steps
        .iter()
        .map(|s| manifest::StepInfo {
            name: s.name.clone(),
            title: s.title.clone(),
            department: s.department.clone(),
            after: s.after.clone(),
            days: s.days,
            working_days: s.working_days,
            produces: s.produces.clone(),
        })
        .collect();
    let values = policy
        .reported_values()
        .into_iter()
        .map(|reported| {
            let (name, title, ty, uses) = match reported {
                ir::Reported::Let(i) => {
                    let l = &policy.lets[i];
                    (
                        &l.name,
                        &l.title,
                        l.value.ty,
                        keyed_params(policy, ir::Definition::Let(i)),
                    )
                }
                ir::Reported::Table(i) => {
                    let t = &policy.tables[i];
                    (
                        &t.name,
                        &t.title,
                        t.ty,
                        keyed_params(policy, ir::Definition::Table(i)),
                    )
                }
            };
            manifest::ValueInfo {
                name: name.clone(),
                title: title.clone().unwrap_or_else(|| name.clone()),
                ty: value_type(policy, ty),
                keyed_params: uses,
            }
        })
        .collect();
    Manifest {
        abi_version: manifest::ABI_VERSION,
        policy: manifest::PolicyInfo {
            id: policy.id.clone(),
            title: policy.title.clone(),
            department: policy.department.clone(),
            version: policy.version,
            effective_from: policy.effective_from.map(|d| d.to_string()),
            effective_until: policy.effective_until.map(|d| d.to_string()),
            basis: policy.basis.clone(),
        },
        source_hash: options.source_hash.clone(),
        memory_pages: pages,
        input: layout.input_layout(policy),
        output: layout.output.clone(),
        texts: texts.list.clone(),
        missing_slots: missing_slots(policy),
        rules,
        eligibility: condition(policy, &policy.eligibility),
        materials,
        steps,
        values,
        departments: policy
            .departments
            .iter()
            .map(|d| manifest::Named {
                id: d.id.clone(),
                name: d.name.clone(),
            })
            .collect(),
        datasets: policy
            .datasets
            .iter()
            .map(|d| manifest::Named {
                id: d.id.clone(),
                name: d.name.clone(),
            })
            .collect(),
        calendar: policy.calendar.clone(),
    }
}

pub(super) fn supplier(source: &ir::FactSource) -> manifest::Supplier {
    match source {
        ir::FactSource::Applicant => manifest::Supplier::Applicant,
        ir::FactSource::Shared(dataset) => manifest::Supplier::Shared {
            dataset: dataset.clone(),
        },
        ir::FactSource::Department => manifest::Supplier::Department,
    }
}

/// The missing slots in the order of [`ir::Policy::missing_slots`], with
/// titles and who supplies them (a list's field: whoever supplies the list).
fn missing_slots(policy: &ir::Policy) -> Vec<manifest::MissingSlot> {
    let mut slots = Vec::new();
    for (index, fact) in policy.facts.iter().enumerate() {
        if fact.optional {
            slots.push(manifest::MissingSlot {
                path: fact.name.clone(),
                title: fact.title.clone().unwrap_or_else(|| fact.name.clone()),
                fact: index as u32,
                field: None,
                supplied_by: supplier(&fact.source),
            });
        }
    }
    for (index, fact) in policy.facts.iter().enumerate() {
        if let Type::List(record) = fact.ty {
            for (field_index, field) in policy.records[record].fields.iter().enumerate() {
                if field.optional {
                    slots.push(manifest::MissingSlot {
                        path: format!("{}.{}", fact.name, field.name),
                        title: field.title.clone().unwrap_or_else(|| field.name.clone()),
                        fact: index as u32,
                        field: Some(field_index as u32),
                        supplied_by: supplier(&fact.source),
                    });
                }
            }
        }
    }
    debug_assert_eq!(
        slots.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        policy.missing_slots()
    );
    slots
}

/// The eligibility as a tree over the rules; anything else is a leaf in words.
fn condition(policy: &ir::Policy, expr: &ir::Expr) -> manifest::Condition {
    match &expr.kind {
        ExprKind::Rule(rule) => manifest::Condition::Rule { rule: *rule as u32 },
        ExprKind::And(all) => manifest::Condition::And {
            all: all.iter().map(|e| condition(policy, e)).collect(),
        },
        ExprKind::Or(any) => manifest::Condition::Or {
            any: any.iter().map(|e| condition(policy, e)).collect(),
        },
        ExprKind::Not(of) => manifest::Condition::Not {
            of: Box::new(condition(policy, of)),
        },
        _ => manifest::Condition::Other {
            text: words::condition(policy, expr),
        },
    }
}

/// The keyed parameters a definition reads, directly or through the lets,
/// tables and rules it refers to, in the order first met.
fn keyed_params(policy: &ir::Policy, start: ir::Definition) -> Vec<manifest::KeyedParamUse> {
    let mut seen_definitions = HashSet::new();
    let mut pending = vec![start];
    let mut uses: Vec<(usize, Vec<Option<u32>>)> = Vec::new();
    while let Some(definition) = pending.pop() {
        if !seen_definitions.insert(definition) {
            continue;
        }
        let mut exprs: Vec<&ir::Expr> = Vec::new();
        match definition {
            ir::Definition::Let(i) => exprs.push(&policy.lets[i].value),
            ir::Definition::Table(i) => exprs.extend(&policy.tables[i].inputs),
            ir::Definition::Rule(i) => exprs.push(&policy.rules[i].body),
        }
        while let Some(expr) = exprs.pop() {
            match &expr.kind {
                ExprKind::Let(i) => pending.push(ir::Definition::Let(*i)),
                ExprKind::Table(i) => pending.push(ir::Definition::Table(*i)),
                ExprKind::Rule(i) => {
                    pending.push(ir::Definition::Rule(*i));
                    for &e in &policy.rules[*i].exceptions {
                        pending.push(ir::Definition::Rule(e));
                    }
                }
                ExprKind::Param { param, keys } if !keys.is_empty() => {
                    let key_facts: Vec<Option<u32>> = keys
                        .iter()
                        .map(|key| match &key.kind {
                            ExprKind::Fact(fact) => Some(*fact as u32),
                            // A fact written as text (its value's name, its digits).
                            ExprKind::EnumText(inner) | ExprKind::NumberText(inner) => {
                                match inner.kind {
                                    ExprKind::Fact(fact) => Some(fact as u32),
                                    _ => None,
                                }
                            }
                            _ => None,
                        })
                        .collect();
                    if !uses.contains(&(*param, key_facts.clone())) {
                        uses.push((*param, key_facts));
                    }
                }
                _ => {}
            }
            expr.for_each_child(&mut |child| exprs.push(child));
        }
    }
    uses.into_iter()
        .map(|(param, key_facts)| {
            let p = &policy.params[param];
            manifest::KeyedParamUse {
                name: p.name.clone(),
                title: p.title.clone().unwrap_or_else(|| p.name.clone()),
                key_facts,
                entries: p
                    .entries
                    .iter()
                    .map(|e| manifest::KeyedEntry {
                        keys: e.keys.iter().map(key_text).collect(),
                        from: days_from_date(e.from),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A parameter key as the writer compares it with a fact's value: text as
/// it is, a whole number as its digits.
fn key_text(key: &ir::Literal) -> String {
    match key {
        ir::Literal::Text(text) => text.clone(),
        ir::Literal::Int(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}
