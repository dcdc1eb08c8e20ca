//! One-thing bundles (一件事): members, the entry condition over the members'
//! facts, and links from what one member produces to another's input.

use std::collections::HashMap;

use super::catalogue_ref;
use super::error::CheckError;
use super::expr::{Scope, Symbol};
use super::policy::{department_with_name, find_cycle};
use crate::diagnostic::{Span, did_you_mean};
use crate::ir::{self, Type};
use crate::lang::Words;
use crate::syntax::ast::{self, ItemKind};
use crate::words;

pub struct BundleContext<'a> {
    pub catalogue: &'a ir::Catalogue,
    pub catalogue_found: bool,
    /// Policies that checked without errors.
    pub policies: &'a [ir::Policy],
    /// Every policy id declared in the run, with or without errors.
    pub known_policies: &'a [String],
}

pub struct BundleOutcome {
    pub id: Option<(String, Span)>,
    pub bundle: Option<ir::Bundle>,
    pub errors: Vec<CheckError>,
}

pub fn check_bundle(
    file: &ast::SourceFile,
    context: &BundleContext<'_>,
    quiet: bool,
) -> BundleOutcome {
    let mut scope = Scope::new(quiet);
    let mut header: Option<(&ast::Name, &ast::Text, Span)> = None;
    let mut department: Option<(&ast::Name, Span)> = None;
    let mut basis = Vec::new();
    let mut entry: Option<(&ast::Expr, Span)> = None;
    let mut members: Vec<&ast::Name> = Vec::new();
    let mut member_spans: HashMap<&str, Span> = HashMap::new();
    let mut links = Vec::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Bundle { id, title } => match header {
                Some((_, _, first)) => scope.errors.push(CheckError::DeclaredTwice {
                    what: "bundle".into(),
                    span: item.span,
                    first,
                }),
                None => header = Some((id, title, item.span)),
            },
            ItemKind::Department { id, name } => {
                if name.is_some() {
                    scope.errors.push(department_with_name("bundle", id, item.span));
                }
                match department {
                    Some((_, first)) => scope.errors.push(CheckError::DeclaredTwice {
                        what: "department".into(),
                        span: item.span,
                        first,
                    }),
                    None => department = Some((id, item.span)),
                }
            }
            ItemKind::Basis(text) => basis.push(text.value.clone()),
            ItemKind::Member(name) => match member_spans.get(name.text.as_str()) {
                Some(&first) => scope.errors.push(CheckError::MemberTwice {
                    id: name.text.clone(),
                    span: name.span,
                    first,
                }),
                None => {
                    member_spans.insert(&name.text, name.span);
                    members.push(name);
                }
            },
            ItemKind::Entry(expr) => match entry {
                Some((_, first)) => scope.errors.push(CheckError::DeclaredTwice {
                    what: "entry when".into(),
                    span: item.span,
                    first,
                }),
                None => entry = Some((expr, item.span)),
            },
            ItemKind::Link { material, from, to } => links.push((material, from, to)),
            other => scope.errors.push(CheckError::NotAllowedHere {
                keyword: other.keyword().into(),
                file_kind: "a bundle",
                span: item.span,
                help: words!(
                    "一件事列出`member`、`entry when`条件和`link`；规则、事实、材料和办理环节写在成员事项规则中",
                    "a bundle lists `member`s, an `entry when` condition and `link`s; rules, facts, materials and steps belong in the member policies"
                ),
            }),
        }
    }
    let id = header.map(|(id, _, _)| (id.text.clone(), id.span));
    let header_span = header.map_or(Span::default(), |(_, _, s)| s);
    let department_id = match department {
        Some((id, _)) => catalogue_ref(
            context.catalogue,
            context.catalogue_found,
            "department",
            id,
            &mut scope.errors,
        )
        .then(|| id.text.clone()),
        None => {
            if !quiet {
                scope.errors.push(CheckError::MissingDepartment {
                    what: "bundle",
                    span: header_span,
                });
            }
            None
        }
    };
    if !context.catalogue_found {
        scope.errors.push(CheckError::NoCatalogue {
            what: "bundle",
            span: header_span,
        });
    }

    // Members and their facts, which share one namespace in a bundle request.
    let mut member_policies: Vec<&ir::Policy> = Vec::new();
    let mut incomplete = false;
    let mut fact_owner: HashMap<String, String> = HashMap::new();
    for member in &members {
        match context.policies.iter().find(|p| p.id == member.text) {
            Some(policy) => {
                member_policies.push(policy);
                for fact in &policy.facts {
                    let ty = import_type(&mut scope, policy, fact.ty);
                    match scope.symbols.get(fact.name.as_str()) {
                        Some(&(Symbol::Fact(existing), _)) => {
                            let previous = &scope.facts[existing];
                            if previous.ty != ty || previous.optional != fact.optional {
                                let first_type = describe(&scope, previous.ty, previous.optional);
                                let second_type = describe(&scope, ty, fact.optional);
                                scope.errors.push(CheckError::FactTypeConflict {
                                    fact: fact.name.clone(),
                                    first_member: fact_owner
                                        .get(&fact.name)
                                        .cloned()
                                        .unwrap_or_default(),
                                    first_type,
                                    second_member: policy.id.clone(),
                                    second_type,
                                    span: member.span,
                                });
                            }
                        }
                        _ => {
                            let index = scope.facts.len();
                            scope.facts.push(ir::Fact { ty, ..fact.clone() });
                            scope
                                .symbols
                                .insert(fact.name.clone(), (Symbol::Fact(index), member.span));
                            fact_owner.insert(fact.name.clone(), policy.id.clone());
                        }
                    }
                }
            }
            None if context.known_policies.contains(&member.text) => incomplete = true,
            None => {
                let suggestion = did_you_mean(
                    &member.text,
                    context.known_policies.iter().map(String::as_str),
                );
                scope.errors.push(CheckError::UnknownMember {
                    id: member.text.clone(),
                    span: member.span,
                    suggestion,
                });
            }
        }
    }

    let entry_ir = match entry {
        Some((expr, _)) if !incomplete => {
            scope.condition(expr, &words!("入口条件", "the entry condition"))
        }
        _ => None,
    };

    let mut ir_links = Vec::new();
    let member_index: HashMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.text.as_str(), i))
        .collect();
    let mut link_edges: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut link_spans: Vec<Span> = vec![Span::default(); members.len()];
    for (material, from, to) in links {
        let material_known = catalogue_ref(
            context.catalogue,
            context.catalogue_found,
            "material",
            material,
            &mut scope.errors,
        );
        let mut endpoints_ok = true;
        for end in [from, to] {
            if !member_index.contains_key(end.text.as_str()) {
                scope.errors.push(CheckError::LinkNotMember {
                    id: end.text.clone(),
                    span: end.span,
                });
                endpoints_ok = false;
            }
        }
        if !endpoints_ok || !material_known {
            continue;
        }
        let producer = context.policies.iter().find(|p| p.id == from.text);
        let consumer = context.policies.iter().find(|p| p.id == to.text);
        let (Some(producer), Some(consumer)) = (producer, consumer) else {
            continue; // a member with errors of its own
        };
        let step = producer
            .steps
            .iter()
            .find(|s| s.produces.as_deref() == Some(material.text.as_str()));
        let Some(step) = step else {
            scope.errors.push(CheckError::LinkNotProduced {
                member: from.text.clone(),
                material: material.text.clone(),
                span: from.span,
            });
            continue;
        };
        if !consumer.materials.iter().any(|m| m.id == material.text) {
            scope.errors.push(CheckError::LinkNotUsed {
                member: to.text.clone(),
                material: material.text.clone(),
                span: to.span,
            });
            continue;
        }
        let (f, t) = (
            member_index[from.text.as_str()],
            member_index[to.text.as_str()],
        );
        link_edges[f].push(t);
        link_spans[f] = from.span;
        ir_links.push(ir::Link {
            material: material.text.clone(),
            from: from.text.clone(),
            from_step: step.name.clone(),
            to: to.text.clone(),
        });
    }
    if let Some(cycle) = find_cycle(members.len(), |i| link_edges[i].clone()) {
        let mut names: Vec<String> = cycle.iter().map(|&i| members[i].text.clone()).collect();
        names.push(members[cycle[0]].text.clone());
        scope.errors.push(CheckError::LinkCycle {
            cycle: names.join(" → "),
            span: link_spans[cycle[0]],
        });
    }

    let bundle = (|| {
        if !scope.errors.is_empty() || quiet || incomplete {
            return None;
        }
        let (id, title, _) = header?;
        Some(ir::Bundle {
            id: id.text.clone(),
            title: title.value.clone(),
            department: department_id?,
            basis,
            members: members.iter().map(|m| m.text.clone()).collect(),
            facts: scope.facts.clone(),
            enums: scope.enums.clone(),
            records: scope.records.clone(),
            entry: match entry {
                Some(_) => Some(entry_ir?),
                None => None,
            },
            links: ir_links,
            var_count: scope.var_count,
        })
    })();
    BundleOutcome {
        id,
        bundle,
        errors: std::mem::take(&mut scope.errors),
    }
}

fn describe(scope: &Scope, ty: Type, optional: bool) -> Words {
    let name = scope.type_name(ty);
    if optional {
        words!("{name}（可选）", "{name}?", name = name)
    } else {
        name
    }
}

/// Re-creates a member's type in the bundle's own enum and record tables.
fn import_type(scope: &mut Scope, policy: &ir::Policy, ty: Type) -> Type {
    match ty {
        Type::Enum(id) => {
            let (variants, titles) = policy
                .enums
                .get(id)
                .map(|e| (e.variants.clone(), e.titles.clone()))
                .unwrap_or_default();
            Type::Enum(scope.intern_enum(variants, titles))
        }
        Type::List(id) => {
            let fields = policy
                .records
                .get(id)
                .map(|r| r.fields.clone())
                .unwrap_or_default();
            let fields: Vec<ir::Field> = fields
                .into_iter()
                .map(|f| ir::Field {
                    ty: import_type(scope, policy, f.ty),
                    ..f
                })
                .collect();
            let record = ir::RecordType { fields };
            match scope.records.iter().position(|r| *r == record) {
                Some(existing) => Type::List(existing),
                None => {
                    scope.records.push(record);
                    Type::List(scope.records.len() - 1)
                }
            }
        }
        other => other,
    }
}
