//! One policy file: header, facts, definitions in dependency order, tables,
//! eligibility, materials and steps → `ir::Policy`.

use std::collections::{HashMap, HashSet};

use super::error::{CheckError, DefinitionKind, Warning, noun};
use super::expr::{Scope, Symbol, Typed};
use super::{catalogue_ref, table};
use crate::diagnostic::{Span, did_you_mean};
use crate::ir::{self, Type};
use crate::lang::Words;
use crate::syntax::ast::{self, ItemKind};
use crate::words;

pub struct PolicyOutcome {
    pub id: Option<(String, Span)>,
    pub policy: Option<ir::Policy>,
    pub errors: Vec<CheckError>,
    pub warnings: Vec<Warning>,
}

/// Names that a definition may not take.
const RESERVED: &[&str] = &["application_date", "today"];

/// A let, table or rule/exception: the nodes of the dependency graph.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Node {
    Let(usize),
    Table(usize),
    Rule(usize),
}

pub fn check_policy(
    file: &ast::SourceFile,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
    quiet: bool,
) -> PolicyOutcome {
    let mut scope = Scope::new(quiet);
    let mut warnings = Vec::new();
    let header = read_header(file, &mut scope);
    let department_id = header.department_in(catalogue, catalogue_found, &mut scope);
    if !catalogue_found {
        scope.errors.push(CheckError::NoCatalogue {
            what: "policy",
            span: header.span(),
        });
    }
    if header.basis.is_empty() {
        warnings.push(Warning::MissingBasis {
            span: header.span(),
        });
    }
    let fact_spans = declare_facts(file, catalogue, catalogue_found, &mut scope);
    let definitions = Definitions::collect(file, catalogue, catalogue_found, &mut scope);
    let ir_params: Vec<ir::Param> = definitions
        .params
        .iter()
        .map(|p| check_param(&mut scope, p))
        .collect();
    scope.params = ir_params.iter().map(|p| (p.ty, p.keys.clone())).collect();
    scope.param_keys = ir_params
        .iter()
        .map(|p| p.entries.iter().map(|e| e.keys.clone()).collect())
        .collect();
    let exceptions = Exceptions::link(&definitions.rules, &mut scope);
    let (order, broken) = definitions.order(&exceptions, &mut scope);
    let checked =
        definitions.check_in_order(&order, &broken, &exceptions, &mut scope, &mut warnings);
    let eligibility = match header.eligibility {
        Some((expr, _)) => scope.condition(expr, &Words::same("`eligible when`")),
        None => {
            if !quiet {
                scope.errors.push(CheckError::MissingEligibility {
                    span: header.span(),
                });
            }
            None
        }
    };
    let materials = check_materials(&mut scope, file, catalogue, catalogue_found);
    let steps = check_steps(&mut scope, file, catalogue, catalogue_found);
    // "Unused" is only true of a clean file: with errors, the use may sit in
    // a definition that failed to parse or check.
    let clean = !quiet && scope.errors.is_empty();
    warnings.extend(definitions.unused_and_uncited(&scope, &fact_spans, clean));

    let id = header.id.map(|(id, _, _)| (id.text.clone(), id.span));
    let policy = (|| {
        if !scope.errors.is_empty() || quiet {
            return None;
        }
        let (id, title, _) = header.id?;
        Some(ir::Policy {
            id: id.text.clone(),
            title: title.value.clone(),
            department: department_id?,
            basis: header.basis,
            version: header.version.map_or(1, |(v, _)| v),
            effective_from: header.effective.map(|(from, _, _)| from.value),
            effective_until: header
                .effective
                .and_then(|(_, until, _)| until.map(|u| u.value)),
            enums: scope.enums.clone(),
            records: scope.records.clone(),
            facts: scope.facts.clone(),
            params: ir_params,
            lets: checked.lets.into_iter().collect::<Option<_>>()?,
            tables: checked.tables.into_iter().collect::<Option<_>>()?,
            rules: checked.rules.into_iter().collect::<Option<_>>()?,
            order: order
                .iter()
                .map(|node| match *node {
                    Node::Let(i) => ir::Definition::Let(i),
                    Node::Table(i) => ir::Definition::Table(i),
                    Node::Rule(i) => ir::Definition::Rule(i),
                })
                .collect(),
            eligibility: eligibility?,
            materials: materials?,
            steps: steps?,
            var_count: scope.var_count,
            departments: Vec::new(),
            datasets: Vec::new(),
            calendar: catalogue.calendar.clone(),
        })
    })()
    .map(|policy| with_catalogue_names(policy, catalogue));
    PolicyOutcome {
        id,
        policy,
        errors: std::mem::take(&mut scope.errors),
        warnings,
    }
}

/// The policy's header lines, each found at most once.
#[derive(Default)]
struct Header<'a> {
    id: Option<(&'a ast::Name, &'a ast::Text, Span)>,
    department: Option<(&'a ast::Name, Span)>,
    basis: Vec<String>,
    version: Option<(i64, Span)>,
    effective: Option<(&'a ast::DateLit, Option<&'a ast::DateLit>, Span)>,
    eligibility: Option<(&'a ast::Expr, Span)>,
}

impl Header<'_> {
    /// Where header-wide errors point: the `policy` line, or the file's start.
    fn span(&self) -> Span {
        self.id.map_or(Span::default(), |(_, _, span)| span)
    }

    /// The department's id, when it is declared and in the catalogue.
    fn department_in(
        &self,
        catalogue: &ir::Catalogue,
        catalogue_found: bool,
        scope: &mut Scope,
    ) -> Option<String> {
        match self.department {
            Some((id, _)) => catalogue_ref(
                catalogue,
                catalogue_found,
                "department",
                id,
                &mut scope.errors,
            )
            .then(|| id.text.clone()),
            None => {
                if !scope.quiet_unknown_names {
                    scope.errors.push(CheckError::MissingDepartment {
                        what: "policy",
                        span: self.span(),
                    });
                }
                None
            }
        }
    }
}

/// Reads the header lines and refuses what does not belong in a policy.
fn read_header<'a>(file: &'a ast::SourceFile, scope: &mut Scope) -> Header<'a> {
    let mut header = Header::default();
    for item in &file.items {
        match &item.kind {
            ItemKind::Policy { id, title } => match header.id {
                Some((_, _, first)) => scope.errors.push(twice("policy", item.span, first)),
                None => header.id = Some((id, title, item.span)),
            },
            ItemKind::Department { id, name } => {
                if name.is_some() {
                    scope
                        .errors
                        .push(department_with_name("policy", id, item.span));
                }
                match header.department {
                    Some((_, first)) => scope.errors.push(twice("department", item.span, first)),
                    None => header.department = Some((id, item.span)),
                }
            }
            ItemKind::Basis(text) => header.basis.push(text.value.clone()),
            ItemKind::Version { value, span } => match header.version {
                Some((_, first)) => scope.errors.push(twice("version", item.span, first)),
                None => {
                    if *value < 1 {
                        scope.errors.push(CheckError::BadClause {
                            message: words!(
                                "版本号是从 1 开始的整数，实际为{value}",
                                "a version is a number from 1 up, found {value}"
                            ),
                            span: *span,
                            help: None,
                        });
                    }
                    header.version = Some((*value, item.span));
                }
            },
            ItemKind::Effective { from, until } => match header.effective {
                Some((_, _, first)) => scope.errors.push(twice("effective", item.span, first)),
                None => {
                    if let Some(until) = until {
                        if until.value <= from.value {
                            scope.errors.push(CheckError::BadClause {
                                message: words!(
                                    "事项规则的失效日期早于生效日期",
                                    "the policy ends before it starts"
                                ),
                                span: until.span,
                                help: Some(words!(
                                    "`until`必须晚于`from`",
                                    "`until` must be later than `from`"
                                )),
                            });
                        }
                    }
                    header.effective = Some((from, until.as_ref(), item.span));
                }
            },
            ItemKind::Eligible(expr) => match header.eligibility {
                Some((_, first)) => scope.errors.push(twice("eligible when", item.span, first)),
                None => header.eligibility = Some((expr, item.span)),
            },
            ItemKind::Dataset { .. }
            | ItemKind::Member(_)
            | ItemKind::Entry(_)
            | ItemKind::Link { .. }
            | ItemKind::Calendar(_)
            | ItemKind::Element(_) => {
                let help = match &item.kind {
                    ItemKind::Element(fact) => {
                        let path = &fact.name.text;
                        words!(
                            "数据元在目录（policies/catalogue.rules）中声明；事项规则在`facts`中写`use {path}`",
                            "declare data elements in the catalogue (policies/catalogue.rules); in a policy's `facts` write `use {path}`"
                        )
                    }
                    ItemKind::Dataset { .. } => words!(
                        "共享数据在目录（policies/catalogue.rules）中声明",
                        "declare datasets in the catalogue (policies/catalogue.rules)"
                    ),
                    ItemKind::Calendar(_) => words!(
                        "工作日日历由所有事项共用：请在目录（policies/catalogue.rules）中声明",
                        "the working-day calendar is one for every service: declare it in the catalogue (policies/catalogue.rules)"
                    ),
                    _ => words!(
                        "成员、入口条件和衔接应写在以`bundle`开头的一件事文件中",
                        "members, entry conditions and links belong in a bundle file that starts with `bundle`"
                    ),
                };
                scope.errors.push(CheckError::NotAllowedHere {
                    keyword: item.kind.keyword().into(),
                    file_kind: "a policy",
                    span: item.span,
                    help,
                });
            }
            ItemKind::Material(ast::MaterialDecl {
                name: Some(name),
                id,
                ..
            }) => {
                let id = &id.text;
                scope.errors.push(CheckError::NotAllowedHere {
                    keyword: format!("material {id} \"{}\"", name.value),
                    file_kind: "a policy",
                    span: item.span,
                    help: words!(
                        "材料在目录中声明；事项规则中写`material {id} when …`",
                        "declare the material in the catalogue; in a policy write `material {id} when …`"
                    ),
                });
            }
            _ => {}
        }
    }
    header
}

/// `use PATH[?]`: the catalogue's data element of that path, as this
/// policy's fact (optional when the `use` says so), named where it is used.
fn element_as_fact(
    scope: &mut Scope,
    fact: &ast::FactDecl,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
    optional: bool,
) -> Option<ast::FactDecl> {
    let Some(element) = catalogue.element(&fact.name.text) else {
        if catalogue_found {
            let suggestion = did_you_mean(
                &fact.name.text,
                catalogue.elements.iter().map(|e| e.name.text.as_str()),
            );
            scope.errors.push(CheckError::UnknownCatalogueId {
                kind: "data element",
                id: fact.name.text.clone(),
                span: fact.name.span,
                suggestion,
            });
        }
        scope.poisoned.insert(fact.name.text.clone());
        return None;
    };
    let mut own = element.clone();
    own.name.span = fact.name.span;
    own.span = fact.span;
    if let Some(ast::FactSource::Shared(dataset)) = &mut own.source {
        dataset.span = fact.name.span;
    }
    if optional {
        if let ast::TypeExpr::Scalar { optional, .. } = &mut own.ty {
            *optional = true;
        }
    }
    Some(own)
}

/// Declares every fact of the `facts` blocks; returns each fact's span.
fn declare_facts(
    file: &ast::SourceFile,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
    scope: &mut Scope,
) -> Vec<Span> {
    let mut fact_spans = Vec::new();
    for item in &file.items {
        if let ItemKind::Facts(facts) = &item.kind {
            for fact in facts {
                let fact = match fact.ty {
                    ast::TypeExpr::Element { optional, .. } => {
                        match element_as_fact(scope, fact, catalogue, catalogue_found, optional) {
                            Some(element) => std::borrow::Cow::Owned(element),
                            None => continue,
                        }
                    }
                    _ => std::borrow::Cow::Borrowed(fact),
                };
                declare_fact(scope, &fact, &mut fact_spans);
                check_fact_source(scope, &fact, catalogue, catalogue_found);
            }
        }
    }
    fact_spans
}

/// The named definitions, in file order within each kind.
struct Definitions<'a> {
    lets: Vec<&'a ast::LetDecl>,
    tables: Vec<&'a ast::TableDecl>,
    rules: Vec<RuleSource<'a>>,
    params: Vec<&'a ast::ParamDecl>,
    /// Where each parameter is named in this file: its declaration, or the
    /// `use param` that brings it from the catalogue.
    param_names: Vec<&'a ast::Name>,
}

/// The checked definitions; `None` where one failed.
struct CheckedDefinitions {
    lets: Vec<Option<ir::Let>>,
    tables: Vec<Option<ir::Table>>,
    rules: Vec<Option<ir::Rule>>,
}

/// Which exceptions override each rule, found before ordering, since a
/// rule's value depends on its exceptions.
struct Exceptions {
    of_rule: Vec<Vec<usize>>,
    overrides: Vec<Option<ir::Override>>,
}

impl Exceptions {
    fn link(rules: &[RuleSource<'_>], scope: &mut Scope) -> Exceptions {
        let mut of_rule: Vec<Vec<usize>> = vec![Vec::new(); rules.len()];
        let mut overrides: Vec<Option<ir::Override>> = vec![None; rules.len()];
        for (index, rule) in rules.iter().enumerate() {
            let RuleSource::Exception(decl) = rule else {
                continue;
            };
            match scope.symbols.get(decl.target.text.as_str()) {
                Some(&(Symbol::Rule(target), _))
                    if matches!(rules[target], RuleSource::Rule(_)) =>
                {
                    of_rule[target].push(index);
                    overrides[index] = Some(ir::Override {
                        rule: target,
                        value: decl.value,
                    });
                }
                _ => {
                    let candidates: Vec<&str> = rules
                        .iter()
                        .filter_map(|r| match r {
                            RuleSource::Rule(d) => Some(d.name.text.as_str()),
                            RuleSource::Exception(_) => None,
                        })
                        .collect();
                    let suggestion = did_you_mean(&decl.target.text, candidates);
                    scope.errors.push(CheckError::ExceptionTarget {
                        name: decl.target.text.clone(),
                        span: decl.target.span,
                        suggestion,
                    });
                }
            }
        }
        Exceptions { of_rule, overrides }
    }
}

impl<'a> Definitions<'a> {
    /// Collects the definitions and defines their names in the scope; a
    /// `use param` brings in the catalogue's parameter of that name.
    fn collect(
        file: &'a ast::SourceFile,
        catalogue: &'a ir::Catalogue,
        catalogue_found: bool,
        scope: &mut Scope,
    ) -> Definitions<'a> {
        let mut defs = Definitions {
            lets: Vec::new(),
            tables: Vec::new(),
            rules: Vec::new(),
            params: Vec::new(),
            param_names: Vec::new(),
        };
        for item in &file.items {
            let (name, symbol) = match &item.kind {
                ItemKind::Let(decl) => {
                    defs.lets.push(decl);
                    (&decl.name, Symbol::Let(defs.lets.len() - 1))
                }
                ItemKind::Table(decl) => {
                    defs.tables.push(decl);
                    (&decl.name, Symbol::Table(defs.tables.len() - 1))
                }
                ItemKind::Rule(decl) => {
                    defs.rules.push(RuleSource::Rule(decl));
                    (&decl.name, Symbol::Rule(defs.rules.len() - 1))
                }
                ItemKind::Exception(decl) => {
                    defs.rules.push(RuleSource::Exception(decl));
                    (&decl.name, Symbol::Rule(defs.rules.len() - 1))
                }
                ItemKind::Param(decl) => {
                    defs.params.push(decl);
                    defs.param_names.push(&decl.name);
                    (&decl.name, Symbol::Param(defs.params.len() - 1))
                }
                ItemKind::UseParams(names) => {
                    for name in names {
                        match catalogue.param(&name.text) {
                            Some(decl) => {
                                defs.params.push(decl);
                                defs.param_names.push(name);
                                define(scope, name, Symbol::Param(defs.params.len() - 1));
                            }
                            None if catalogue_found => {
                                let suggestion = did_you_mean(
                                    &name.text,
                                    catalogue.params.iter().map(|p| p.name.text.as_str()),
                                );
                                scope.errors.push(CheckError::UnknownCatalogueId {
                                    kind: "parameter",
                                    id: name.text.clone(),
                                    span: name.span,
                                    suggestion,
                                });
                                scope.poisoned.insert(name.text.clone());
                            }
                            None => {
                                scope.poisoned.insert(name.text.clone());
                            }
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            define(scope, name, symbol);
        }
        scope.lets = vec![None; defs.lets.len()];
        scope.tables = vec![None; defs.tables.len()];
        scope.rules = vec![None; defs.rules.len()];
        defs
    }

    /// Lets, tables and rules in dependency order, and those on a cycle.
    fn order(&self, exceptions: &Exceptions, scope: &mut Scope) -> (Vec<Node>, HashSet<Node>) {
        let mut edges: HashMap<Node, Vec<Node>> = HashMap::new();
        let mut node_names: HashMap<Node, (String, Span)> = HashMap::new();
        let nodes: Vec<Node> = (0..self.lets.len())
            .map(Node::Let)
            .chain((0..self.tables.len()).map(Node::Table))
            .chain((0..self.rules.len()).map(Node::Rule))
            .collect();
        for &node in &nodes {
            let mut refs = Vec::new();
            let name = match node {
                Node::Let(i) => {
                    super::expr::references(&self.lets[i].value, &mut refs);
                    &self.lets[i].name
                }
                Node::Table(i) => {
                    for input in &self.tables[i].inputs {
                        super::expr::references(input, &mut refs);
                    }
                    // Cells may name a `let` or a parameter (`< limit`).
                    for cell in self.tables[i].rows.iter().flat_map(|r| &r.cells) {
                        if let ast::CellKind::Equals(ast::Value::Variant(name))
                        | ast::CellKind::Compare(_, ast::Value::Variant(name)) = &cell.kind
                        {
                            refs.push((name.text.clone(), name.span));
                        }
                    }
                    &self.tables[i].name
                }
                Node::Rule(i) => {
                    super::expr::references(self.rules[i].body(), &mut refs);
                    self.rules[i].name()
                }
            };
            node_names.insert(node, (name.text.clone(), name.span));
            let mut targets: Vec<Node> = refs
                .iter()
                .filter_map(|(r, _)| match scope.symbols.get(r.as_str()).map(|s| s.0) {
                    Some(Symbol::Let(i)) => Some(Node::Let(i)),
                    Some(Symbol::Table(i)) => Some(Node::Table(i)),
                    Some(Symbol::Rule(i)) => Some(Node::Rule(i)),
                    _ => None,
                })
                .collect();
            if let Node::Rule(i) = node {
                targets.extend(exceptions.of_rule[i].iter().map(|&e| Node::Rule(e)));
            }
            edges.insert(node, targets);
        }
        topological_order(&nodes, &edges, &node_names, &mut scope.errors)
    }

    /// Types each definition after those it reads; a definition on a cycle
    /// or reading a failed one stays `None`.
    fn check_in_order(
        &self,
        order: &[Node],
        broken: &HashSet<Node>,
        exceptions: &Exceptions,
        scope: &mut Scope,
        warnings: &mut Vec<Warning>,
    ) -> CheckedDefinitions {
        let mut checked = CheckedDefinitions {
            lets: vec![None; self.lets.len()],
            tables: vec![None; self.tables.len()],
            rules: vec![None; self.rules.len()],
        };
        let mut unreachable_rows = Vec::new();
        for &node in order {
            if broken.contains(&node) {
                continue;
            }
            match node {
                Node::Let(i) => checked.lets[i] = check_let(scope, i, self.lets[i]),
                Node::Table(i) => {
                    if let Some((table, unreachable)) =
                        table::check_table(scope, self.tables[i], warnings)
                    {
                        scope.tables[i] = Some(Typed {
                            ty: table.ty,
                            nullable: table::nullable(scope, &table),
                        });
                        unreachable_rows.extend(unreachable);
                        checked.tables[i] = Some(table);
                    }
                }
                Node::Rule(i) => {
                    checked.rules[i] = check_rule(scope, i, &self.rules[i], exceptions)
                }
            }
        }
        warnings.extend(unreachable_rows);
        checked
    }

    /// Facts, lets, parameters, tables and rules that nothing reads (only
    /// said of a `clean` file), and rules without a `cite`.
    fn unused_and_uncited(&self, scope: &Scope, fact_spans: &[Span], clean: bool) -> Vec<Warning> {
        let mut warnings = Vec::new();
        let unused = |symbol| clean && !scope.used.contains(&symbol);
        for (index, fact) in scope.facts.iter().enumerate() {
            if unused(Symbol::Fact(index)) {
                warnings.push(Warning::UnusedFact {
                    name: fact.name.clone(),
                    span: fact_spans[index],
                });
            }
        }
        let unused_definition = |kind, name: &ast::Name| Warning::UnusedDefinition {
            kind,
            name: name.text.clone(),
            span: name.span,
        };
        for (index, decl) in self.lets.iter().enumerate() {
            if decl.title.is_none() && unused(Symbol::Let(index)) {
                warnings.push(unused_definition(DefinitionKind::Let, &decl.name));
            }
        }
        for (index, name) in self.param_names.iter().enumerate() {
            if unused(Symbol::Param(index)) {
                warnings.push(unused_definition(DefinitionKind::Param, name));
            }
        }
        for (index, decl) in self.tables.iter().enumerate() {
            if decl.title.is_none() && unused(Symbol::Table(index)) {
                warnings.push(unused_definition(DefinitionKind::Table, &decl.name));
            }
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if let RuleSource::Rule(decl) = rule {
                if unused(Symbol::Rule(index)) {
                    warnings.push(Warning::UnreferencedRule {
                        name: decl.name.text.clone(),
                        span: decl.name.span,
                    });
                }
            }
            if rule.cite().is_none() {
                warnings.push(Warning::MissingCitation {
                    name: rule.name().text.clone(),
                    span: rule.name().span,
                });
            }
        }
        warnings
    }
}

/// A `let`: a single value (a list must be aggregated first).
fn check_let(scope: &mut Scope, index: usize, decl: &ast::LetDecl) -> Option<ir::Let> {
    let value = scope.expr(&decl.value, None)?;
    if let Type::List(_) = value.ty {
        scope.errors.push(CheckError::TypeMismatch {
            expected: words!("单个值", "a single value"),
            found: scope.type_name(value.ty),
            span: decl.value.span,
            help: Some(words!(
                "请先对列表作聚合：`count(…)`、`sum(…)`、`any(…)`",
                "aggregate the list instead: `count(…)`, `sum(…)`, `any(…)`"
            )),
        });
        return None;
    }
    scope.lets[index] = Some(Typed {
        ty: value.ty,
        nullable: value.nullable,
    });
    Some(ir::Let {
        name: decl.name.text.clone(),
        title: decl.title.as_ref().map(|t| t.value.clone()),
        value,
    })
}

/// A rule or an exception: a condition, unknown when its body or any of its
/// exceptions may be.
fn check_rule(
    scope: &mut Scope,
    index: usize,
    rule: &RuleSource<'_>,
    exceptions: &Exceptions,
) -> Option<ir::Rule> {
    let name = &rule.name().text;
    let what = match rule {
        RuleSource::Rule(_) => words!("规则`{name}`的条件", "the condition of rule `{name}`"),
        RuleSource::Exception(_) => {
            words!("例外`{name}`的条件", "the condition of exception `{name}`")
        }
    };
    let body = scope.condition(rule.body(), &what)?;
    let exceptions_nullable = exceptions.of_rule[index].iter().any(|&e| {
        scope
            .rules
            .get(e)
            .copied()
            .flatten()
            .is_none_or(|t| t.nullable)
    });
    scope.rules[index] = Some(Typed {
        ty: Type::Bool,
        nullable: body.nullable || exceptions_nullable,
    });
    Some(ir::Rule {
        name: rule.name().text.clone(),
        title: rule.title().value.clone(),
        cite: rule.cite().map(|c| c.value.clone()),
        body,
        overrides: exceptions.overrides[index],
        exceptions: exceptions.of_rule[index].clone(),
    })
}

enum RuleSource<'a> {
    Rule(&'a ast::RuleDecl),
    Exception(&'a ast::ExceptionDecl),
}

impl RuleSource<'_> {
    fn name(&self) -> &ast::Name {
        match self {
            RuleSource::Rule(d) => &d.name,
            RuleSource::Exception(d) => &d.name,
        }
    }
    fn title(&self) -> &ast::Text {
        match self {
            RuleSource::Rule(d) => &d.title,
            RuleSource::Exception(d) => &d.title,
        }
    }
    fn cite(&self) -> Option<&ast::Text> {
        match self {
            RuleSource::Rule(d) => d.cite.as_ref(),
            RuleSource::Exception(d) => d.cite.as_ref(),
        }
    }
    fn body(&self) -> &ast::Expr {
        match self {
            RuleSource::Rule(d) => &d.body,
            RuleSource::Exception(d) => &d.condition,
        }
    }
}

/// `department ID "名称"` in a policy or bundle (`what`), which name their
/// department by id only.
pub(super) fn department_with_name(what: &'static str, id: &ast::Name, span: Span) -> CheckError {
    let id = &id.text;
    CheckError::BadClause {
        message: words!(
            "{what}只写部门的编号",
            "a {what} names its department by id only",
            what = noun(what)
        ),
        span,
        help: Some(words!(
            "写作`department {id}`；部门名称写在目录中",
            "write `department {id}`; the department's name belongs in the catalogue"
        )),
    }
}

fn twice(what: &str, span: Span, first: Span) -> CheckError {
    CheckError::DeclaredTwice {
        what: what.into(),
        span,
        first,
    }
}

fn define(scope: &mut Scope, name: &ast::Name, symbol: Symbol) {
    if RESERVED.contains(&name.text.as_str()) {
        scope.errors.push(CheckError::ReservedName {
            name: name.text.clone(),
            span: name.span,
        });
        return;
    }
    match scope.symbols.get(name.text.as_str()) {
        Some(&(_, first)) => scope.errors.push(CheckError::DuplicateDefinition {
            name: name.text.clone(),
            span: name.span,
            first,
        }),
        None => {
            scope.symbols.insert(name.text.clone(), (symbol, name.span));
        }
    }
}

/// The source a fact declares: a shared dataset must be in the catalogue;
/// a fact the department determines must be optional, since nobody can
/// give it when the application is made.
fn check_fact_source(
    scope: &mut Scope,
    fact: &ast::FactDecl,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
) {
    let Some(id) = scope.facts.iter().position(|f| f.name == fact.name.text) else {
        return;
    };
    let source = match &fact.source {
        None | Some(ast::FactSource::Applicant) => ir::FactSource::Applicant,
        Some(ast::FactSource::Shared(dataset)) => {
            if !catalogue_ref(
                catalogue,
                catalogue_found,
                "dataset",
                dataset,
                &mut scope.errors,
            ) {
                return;
            }
            ir::FactSource::Shared(dataset.text.clone())
        }
        Some(ast::FactSource::Department) => {
            if !scope.facts[id].optional {
                let name = &fact.name.text;
                // The type as written in the source, in both languages.
                let ty = Words::same(scope.type_name(scope.facts[id].ty).en);
                scope.errors.push(CheckError::BadClause {
                    message: words!(
                        "`{name}`由部门确定，申请时还是未知的",
                        "`{name}` is determined by the department, so it is unknown when the application is made"
                    ),
                    span: fact.span,
                    help: Some(words!(
                        "把它声明为可选：`{name}: {ty}? … from department`",
                        "make it optional: `{name}: {ty}? … from department`",
                        ty = ty
                    )),
                });
                return;
            }
            ir::FactSource::Department
        }
    };
    scope.facts[id].source = source;
}

/// Copies the names of the departments and datasets the policy refers to
/// (its own department, its steps', its datasets and their owners) from the
/// catalogue into the policy.
fn with_catalogue_names(mut policy: ir::Policy, catalogue: &ir::Catalogue) -> ir::Policy {
    let mut datasets: Vec<&str> = policy
        .materials
        .iter()
        .filter_map(|m| match &m.source {
            ir::Source::Shared { dataset, .. } => Some(dataset.as_str()),
            _ => None,
        })
        .chain(policy.facts.iter().filter_map(|f| match &f.source {
            ir::FactSource::Shared(dataset) => Some(dataset.as_str()),
            _ => None,
        }))
        .collect();
    datasets.sort_unstable();
    datasets.dedup();
    let datasets: Vec<ir::Dataset> = datasets
        .into_iter()
        .filter_map(|id| catalogue.dataset(id).cloned())
        .collect();
    let mut departments: Vec<&str> = std::iter::once(policy.department.as_str())
        .chain(policy.steps.iter().map(|s| s.department.as_str()))
        .chain(datasets.iter().map(|d| d.department.as_str()))
        .collect();
    departments.sort_unstable();
    departments.dedup();
    policy.departments = departments
        .into_iter()
        .filter_map(|id| catalogue.department(id).cloned())
        .collect();
    policy.datasets = datasets;
    policy
}

/// Declares a fact or a bundle's imported fact; used by `bundle` too.
pub(super) fn declare_fact(scope: &mut Scope, fact: &ast::FactDecl, spans: &mut Vec<Span>) {
    if RESERVED.contains(&fact.name.text.as_str()) {
        scope.errors.push(CheckError::ReservedName {
            name: fact.name.text.clone(),
            span: fact.name.span,
        });
        return;
    }
    if let Some(&(_, first)) = scope.symbols.get(fact.name.text.as_str()) {
        scope.errors.push(CheckError::DuplicateMember {
            what: "fact",
            name: fact.name.text.clone(),
            span: fact.name.span,
            first,
        });
        return;
    }
    let Some((ty, optional, bounds)) = fact_type(scope, &fact.ty) else {
        scope.poisoned.insert(fact.name.text.clone());
        return;
    };
    let id = scope.facts.len();
    scope.facts.push(ir::Fact {
        name: fact.name.text.clone(),
        title: fact.title.as_ref().map(|t| t.value.clone()),
        ty,
        optional,
        source: ir::FactSource::Applicant,
        bounds,
    });
    spans.push(fact.name.span);
    scope
        .symbols
        .insert(fact.name.text.clone(), (Symbol::Fact(id), fact.name.span));
}

/// A fact's type, whether it is optional, and the values it may take.
fn fact_type(scope: &mut Scope, ty: &ast::TypeExpr) -> Option<(Type, bool, Option<ir::Bounds>)> {
    match ty {
        ast::TypeExpr::Scalar {
            ty,
            optional,
            range,
            ..
        } => {
            let ty = scalar_type(scope, ty)?;
            Some((ty, *optional, bounds(scope, ty, range.as_ref())?))
        }
        ast::TypeExpr::Element { span, .. } => {
            scope.errors.push(CheckError::NotAllowedHere {
                keyword: "use".into(),
                file_kind: "the catalogue",
                span: *span,
                help: words!(
                    "数据元在目录中用`element`声明；事项规则在`facts`中用`use 路径`引用它",
                    "declare a data element in the catalogue with `element`; a policy's `facts` refer to it with `use PATH`"
                ),
            });
            None
        }
        ast::TypeExpr::Set { element, span } => {
            if *element != ast::BaseType::Text {
                scope.errors.push(CheckError::TypeMismatch {
                    expected: Words::same("`set of text`"),
                    found: Words::same(format!("`set of {}`", element.as_str())),
                    span: *span,
                    help: Some(words!(
                        "集合中存放文本；其他类型的值请用`list of {{ … }}`",
                        "sets hold text; for other values use a `list of {{ … }}`"
                    )),
                });
                return None;
            }
            Some((Type::Set, false, None))
        }
        ast::TypeExpr::List { fields, .. } => {
            let mut record = ir::RecordType { fields: Vec::new() };
            let mut seen: HashMap<&str, Span> = HashMap::new();
            let mut failed = false;
            for field in fields {
                if let Some(&first) = seen.get(field.name.text.as_str()) {
                    scope.errors.push(CheckError::DuplicateMember {
                        what: "field",
                        name: field.name.text.clone(),
                        span: field.name.span,
                        first,
                    });
                    failed = true;
                    continue;
                }
                seen.insert(&field.name.text, field.name.span);
                let checked = scalar_type(scope, &field.ty)
                    .and_then(|ty| Some((ty, bounds(scope, ty, field.range.as_ref())?)));
                match checked {
                    Some((ty, bounds)) => record.fields.push(ir::Field {
                        name: field.name.text.clone(),
                        title: field.title.as_ref().map(|t| t.value.clone()),
                        ty,
                        optional: field.optional,
                        bounds,
                    }),
                    None => failed = true,
                }
            }
            if failed {
                return None;
            }
            scope.records.push(record);
            Some((Type::List(scope.records.len() - 1), false, None))
        }
    }
}

/// The values a number fact or field may take: its declared range, or for
/// money without one, no less than 0.00 (an income or a deposit is never
/// negative unless the policy says so). `None` when the range is wrong.
fn bounds(
    scope: &mut Scope,
    ty: Type,
    range: Option<&ast::ValueRange>,
) -> Option<Option<ir::Bounds>> {
    let Some(range) = range else {
        return Some((ty == Type::Money).then_some(ir::Bounds {
            min: Some(0),
            max: None,
        }));
    };
    if !matches!(ty, Type::Int | Type::Money | Type::Decimal(_)) {
        scope.errors.push(CheckError::BadRange {
            message: words!(
                "只有数字才有取值范围，{ty}没有",
                "only a number has a range, not {ty}",
                ty = scope.type_name(ty)
            ),
            span: range.span,
            help: Some(words!(
                "删除取值范围；`int`、`money`和`decimal(N)`才能写范围",
                "remove the range; `int`, `money` and `decimal(N)` take one"
            )),
        });
        return None;
    }
    let mut bound = |literal: &Option<ast::Literal>| -> Result<Option<i64>, ()> {
        let Some(literal) = literal else {
            return Ok(None);
        };
        let value = super::expr::literal_ir_as(&literal.kind, Some(ty));
        match value {
            ir::Literal::Int(n) | ir::Literal::Money(n) | ir::Literal::Decimal { units: n, .. }
                if super::expr::literal_type(&value) == ty =>
            {
                Ok(Some(n))
            }
            _ => {
                let help = super::expr::literal_help(&literal.kind, ty).unwrap_or_else(|| {
                    words!(
                        "范围的界值应为{ty}",
                        "the bounds of a range are {ty}",
                        ty = scope.type_name(ty)
                    )
                });
                scope.errors.push(CheckError::BadRange {
                    message: words!(
                        "应为{expected}，实际为{found}",
                        "expected {expected}, found {found}",
                        expected = scope.type_name(ty),
                        found = scope.type_name(super::expr::literal_type(&value))
                    ),
                    span: literal.span,
                    help: Some(help),
                });
                Err(())
            }
        }
    };
    let (min, max) = (bound(&range.min), bound(&range.max));
    let (Ok(min), Ok(max)) = (min, max) else {
        return None;
    };
    if let (Some(low), Some(high)) = (min, max) {
        if low > high {
            scope.errors.push(CheckError::BadRange {
                message: words!(
                    "范围为空：起点大于终点",
                    "the range is empty: its start is above its end"
                ),
                span: range.span,
                help: Some(words!(
                    "先写较小的值：`1..4`",
                    "write the smaller value first: `1..4`"
                )),
            });
            return None;
        }
    }
    Some(Some(ir::Bounds { min, max }))
}

fn scalar_type(scope: &mut Scope, ty: &ast::ScalarType) -> Option<Type> {
    match ty {
        ast::ScalarType::Base(base) => Some(base_type(*base)),
        ast::ScalarType::Enum(variants) => {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for variant in variants {
                let name = &variant.name;
                if let Some(&first) = seen.get(name.text.as_str()) {
                    scope.errors.push(CheckError::DuplicateMember {
                        what: "enum value",
                        name: name.text.clone(),
                        span: name.span,
                        first,
                    });
                    return None;
                }
                seen.insert(&name.text, name.span);
            }
            Some(Type::Enum(
                scope.intern_enum(
                    variants.iter().map(|v| v.name.text.clone()).collect(),
                    variants
                        .iter()
                        .map(|v| v.title.as_ref().map(|t| t.value.clone()))
                        .collect(),
                ),
            ))
        }
    }
}

pub(super) fn base_type(base: ast::BaseType) -> Type {
    match base {
        ast::BaseType::Bool => Type::Bool,
        ast::BaseType::Int => Type::Int,
        ast::BaseType::Money => Type::Money,
        ast::BaseType::Decimal(scale) => Type::Decimal(scale),
        ast::BaseType::Date => Type::Date,
        ast::BaseType::Text => Type::Text,
    }
}

pub(super) fn check_param(scope: &mut Scope, decl: &ast::ParamDecl) -> ir::Param {
    let ty = base_type(decl.ty);
    let key_types: Vec<Type> = decl
        .key
        .as_ref()
        .map(|k| k.types.iter().map(|&t| base_type(t)).collect())
        .unwrap_or_default();
    let keyed = !key_types.is_empty();
    if let Some(key) = &decl.key {
        if let Some(bad) = key
            .types
            .iter()
            .find(|t| !matches!(t, ast::BaseType::Text | ast::BaseType::Int))
        {
            let (found, name) = (bad.as_str(), &decl.name.text);
            scope.errors.push(CheckError::BadClause {
                message: words!(
                    "参数的键是文本或整数，实际为`{found}`",
                    "parameter keys are text or whole numbers, found `{found}`"
                ),
                span: key.span,
                help: Some(words!(
                    "写作`param {name}[text]: …`或`param {name}[text, int]: …`",
                    "write `param {name}[text]: …` or `param {name}[text, int]: …`"
                )),
            });
            // One error says it all: neither the entries nor the lookups,
            // which follow from the key, are checked.
            scope.poisoned.insert(decl.name.text.clone());
            return ir::Param {
                name: decl.name.text.clone(),
                title: decl.title.as_ref().map(|t| t.value.clone()),
                ty,
                keys: key_types,
                entries: Vec::new(),
            };
        }
    }
    let mut entries: Vec<ir::ParamEntry> = Vec::new();
    let mut last: HashMap<Vec<ir::Literal>, (jiff::civil::Date, Span)> = HashMap::new();
    for entry in &decl.entries {
        match (keyed, entry.keys.first()) {
            (true, None) => {
                let name = &decl.name.text;
                scope.errors.push(CheckError::BadClause {
                    message: words!(
                        "参数`{name}`按键取值，每个条目都要写键",
                        "parameter `{name}` has keys, so each entry needs one"
                    ),
                    span: entry.span,
                    help: Some(words!(
                        "条目以键开头：`\"上城区\" from 2024-01-01 = …`",
                        "start the entry with its key: `\"上城区\" from 2024-01-01 = …`"
                    )),
                });
                continue;
            }
            (false, Some(key)) => {
                let name = &decl.name.text;
                scope.errors.push(CheckError::BadClause {
                    message: words!("参数`{name}`没有键", "parameter `{name}` has no keys"),
                    span: key.span,
                    help: Some(words!(
                        "删除这个键，或声明为`param {name}[text]: …`",
                        "remove the key, or declare `param {name}[text]: …`"
                    )),
                });
                continue;
            }
            _ => {}
        }
        let value = super::expr::literal_ir_as(&entry.value.kind, Some(ty));
        let value_ty = super::expr::literal_type(&value);
        if value_ty != ty {
            let help = super::expr::literal_help(&entry.value.kind, ty);
            scope.errors.push(CheckError::TypeMismatch {
                expected: scope.type_name(ty),
                found: scope.type_name(value_ty),
                span: entry.value.span,
                help,
            });
            continue;
        }
        let Some(key) = entry_keys(scope, decl, entry, &key_types) else {
            continue;
        };
        if let Some(&(previous, first)) = last.get(&key) {
            if entry.from.value <= previous {
                let name = &decl.name.text;
                let message = if entry.from.value == previous {
                    words!(
                        "`{name}`有两个条目都从{previous}开始",
                        "two entries of `{name}` start on {previous}"
                    )
                } else {
                    words!(
                        "`{name}`的这个条目早于上一个条目开始",
                        "this entry of `{name}` starts before the one above it"
                    )
                };
                scope.errors.push(CheckError::ParamOrder {
                    message,
                    span: entry.from.span,
                    first,
                });
                continue;
            }
        }
        last.insert(key.clone(), (entry.from.value, entry.from.span));
        entries.push(ir::ParamEntry {
            keys: key,
            from: entry.from.value,
            value,
        });
    }
    entries.sort_by(|a, b| (&a.keys, a.from).cmp(&(&b.keys, b.from)));
    ir::Param {
        name: decl.name.text.clone(),
        title: decl.title.as_ref().map(|t| t.value.clone()),
        ty,
        keys: key_types,
        entries,
    }
}

/// An entry's keys, one per declared key and of its type (`"上城区", 2`).
fn entry_keys(
    scope: &mut Scope,
    decl: &ast::ParamDecl,
    entry: &ast::ParamEntry,
    key_types: &[Type],
) -> Option<Vec<ir::Literal>> {
    if entry.keys.len() != key_types.len() {
        let (name, expected, found) = (&decl.name.text, key_types.len(), entry.keys.len());
        scope.errors.push(CheckError::BadClause {
            message: words!(
                "参数`{name}`有{expected}个键，这个条目写了{found}个",
                "parameter `{name}` has {expected} keys, this entry gives {found}"
            ),
            span: entry.span,
            help: Some(words!(
                "按声明的顺序写出每个键，用逗号分隔：`\"上城区\", 2 from 2024-01-01 = …`",
                "give every key in the declared order, separated by commas: `\"上城区\", 2 from 2024-01-01 = …`"
            )),
        });
        return None;
    }
    let mut keys = Vec::with_capacity(key_types.len());
    for (literal, &ty) in entry.keys.iter().zip(key_types) {
        let value = super::expr::literal_ir_as(&literal.kind, Some(ty));
        let found = super::expr::literal_type(&value);
        if found != ty {
            scope.errors.push(CheckError::TypeMismatch {
                expected: scope.type_name(ty),
                found: scope.type_name(found),
                span: literal.span,
                help: Some(words!(
                    "键的类型按参数声明：`[text, int]`的条目写作`\"上城区\", 2`",
                    "keys have the types the parameter declares: for `[text, int]` write `\"上城区\", 2`"
                )),
            });
            return None;
        }
        keys.push(value);
    }
    Some(keys)
}

/// Orders definitions so each comes after what it uses; reports each cycle once.
fn topological_order(
    nodes: &[Node],
    edges: &HashMap<Node, Vec<Node>>,
    names: &HashMap<Node, (String, Span)>,
    errors: &mut Vec<CheckError>,
) -> (Vec<Node>, HashSet<Node>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: HashMap<Node, Mark> = nodes.iter().map(|&n| (n, Mark::New)).collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut broken: HashSet<Node> = HashSet::new();
    for &root in nodes {
        if marks[&root] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (node, index of the next edge).
        let mut stack: Vec<(Node, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::Open);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let targets = edges.get(&node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&target) = targets.get(*next) {
                *next += 1;
                match marks.get(&target).copied().unwrap_or(Mark::Done) {
                    Mark::New => {
                        marks.insert(target, Mark::Open);
                        stack.push((target, 0));
                    }
                    Mark::Open => {
                        let start = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let cycle: Vec<Node> = stack[start..].iter().map(|(n, _)| *n).collect();
                        if cycle.iter().all(|n| !broken.contains(n)) {
                            let mut path: Vec<String> =
                                cycle.iter().map(|n| names[n].0.clone()).collect();
                            path.push(names[&target].0.clone());
                            let (name, span) = names[&target].clone();
                            errors.push(CheckError::DefinitionCycle {
                                name,
                                cycle: path.join(" → "),
                                span,
                            });
                        }
                        broken.extend(cycle);
                    }
                    Mark::Done => {
                        if broken.contains(&target) {
                            broken.insert(node);
                        }
                    }
                }
            } else {
                marks.insert(node, Mark::Done);
                order.push(node);
                stack.pop();
                if broken.contains(&node) {
                    if let Some((parent, _)) = stack.last() {
                        broken.insert(*parent);
                    }
                }
            }
        }
    }
    (order, broken)
}

fn check_materials(
    scope: &mut Scope,
    file: &ast::SourceFile,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
) -> Option<Vec<ir::Material>> {
    let mut materials = Vec::new();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut failed = false;
    for item in &file.items {
        let ItemKind::Material(decl) = &item.kind else {
            continue;
        };
        if decl.name.is_some() {
            continue;
        }
        if let Some(&first) = seen.get(decl.id.text.as_str()) {
            scope.errors.push(CheckError::DuplicateMaterial {
                id: decl.id.text.clone(),
                span: decl.id.span,
                first,
            });
            failed = true;
            continue;
        }
        seen.insert(&decl.id.text, decl.id.span);
        let known = catalogue_ref(
            catalogue,
            catalogue_found,
            "material",
            &decl.id,
            &mut scope.errors,
        );
        let entry = catalogue.material(&decl.id.text);
        let mut condition = None;
        let mut form = entry.map(|m| m.form);
        let mut copies = 1u32;
        let mut source = ir::Source::Applicant;
        let mut given: HashMap<&'static str, Span> = HashMap::new();
        for clause in &decl.clauses {
            let clause_span = clause.span();
            if given.insert(clause.keyword(), clause_span).is_some() {
                let (keyword, id) = (clause.keyword(), &decl.id.text);
                scope.errors.push(CheckError::BadClause {
                    message: words!(
                        "材料`{id}`的`{keyword}`写了两次",
                        "`{keyword}` is given twice for material `{id}`"
                    ),
                    span: clause_span,
                    help: Some(words!("每个子句只写一次", "give each clause once")),
                });
                failed = true;
                continue;
            }
            match clause {
                ast::MaterialClause::When { when, .. } => {
                    if let Some(expr) = when.condition() {
                        let id = &decl.id.text;
                        condition = scope.condition(
                            expr,
                            &words!("材料`{id}`的条件", "the condition of material `{id}`"),
                        );
                        failed |= condition.is_none();
                    }
                }
                ast::MaterialClause::Form { form: f, .. } => form = Some(*f),
                ast::MaterialClause::Copies { copies: n, span } => {
                    if *n < 1 || *n > 1000 {
                        scope.errors.push(CheckError::BadCopies {
                            found: *n,
                            span: *span,
                        });
                        failed = true;
                    } else {
                        copies = u32::try_from(*n).unwrap_or(1);
                    }
                }
                ast::MaterialClause::Source { source: s, .. } => {
                    source = match s {
                        ast::Source::Applicant => ir::Source::Applicant,
                        ast::Source::Commitment => ir::Source::Commitment,
                        ast::Source::Shared { dataset, fallback } => {
                            if !catalogue_ref(
                                catalogue,
                                catalogue_found,
                                "dataset",
                                dataset,
                                &mut scope.errors,
                            ) {
                                failed = true;
                            }
                            ir::Source::Shared {
                                dataset: dataset.text.clone(),
                                fallback: *fallback,
                            }
                        }
                    }
                }
                ast::MaterialClause::IssuedBy { span, .. } => {
                    scope.errors.push(CheckError::BadClause {
                        message: words!(
                            "`issued by`应写在目录中",
                            "`issued by` belongs in the catalogue"
                        ),
                        span: *span,
                        help: Some(words!(
                            "在目录声明材料的地方写明由谁出具",
                            "say who issues a material where the catalogue declares it"
                        )),
                    });
                    failed = true;
                }
            }
        }
        if !known {
            failed = true;
            continue;
        }
        materials.push(ir::Material {
            id: decl.id.text.clone(),
            name: entry.map(|m| m.name.clone()).unwrap_or_default(),
            condition,
            form: form.unwrap_or(ast::Form::Original),
            copies,
            source,
        });
    }
    if failed { None } else { Some(materials) }
}

fn check_steps(
    scope: &mut Scope,
    file: &ast::SourceFile,
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
) -> Option<Vec<ir::Step>> {
    let decls: Vec<&ast::StepDecl> = file
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Step(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut failed = false;
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, decl) in decls.iter().enumerate() {
        if let Some(&first) = index.get(decl.name.text.as_str()) {
            scope.errors.push(CheckError::DuplicateDefinition {
                name: decl.name.text.clone(),
                span: decl.name.span,
                first: decls[first].name.span,
            });
            failed = true;
        } else {
            index.insert(&decl.name.text, i);
        }
    }
    let mut steps = Vec::with_capacity(decls.len());
    for decl in &decls {
        failed |= !catalogue_ref(
            catalogue,
            catalogue_found,
            "department",
            &decl.department,
            &mut scope.errors,
        );
        let mut after = Vec::new();
        for name in &decl.after {
            match index.get(name.text.as_str()) {
                Some(&i) => after.push(i),
                None => {
                    let suggestion =
                        did_you_mean(&name.text, decls.iter().map(|d| d.name.text.as_str()));
                    scope.errors.push(CheckError::UnknownStep {
                        name: name.text.clone(),
                        span: name.span,
                        suggestion,
                    });
                    failed = true;
                }
            }
        }
        if let Some(material) = &decl.produces {
            failed |= !catalogue_ref(
                catalogue,
                catalogue_found,
                "material",
                material,
                &mut scope.errors,
            );
        }
        let days = match u32::try_from(decl.days) {
            Ok(days) if days <= 3650 => days,
            _ => {
                scope.errors.push(CheckError::TypeMismatch {
                    expected: words!("0 到 3650 之间的天数", "a number of days from 0 to 3650"),
                    found: Words::same(decl.days.to_string()),
                    span: decl.days_span,
                    help: None,
                });
                failed = true;
                0
            }
        };
        let condition = match decl.condition.as_ref().and_then(ast::When::condition) {
            Some(expr) => {
                let name = &decl.name.text;
                let checked = scope.condition(
                    expr,
                    &words!("办理环节`{name}`的条件", "the condition of step `{name}`"),
                );
                failed |= checked.is_none();
                checked
            }
            None => None,
        };
        steps.push(ir::Step {
            name: decl.name.text.clone(),
            title: decl.title.value.clone(),
            department: decl.department.text.clone(),
            after,
            days,
            working_days: decl.working_days,
            produces: decl.produces.as_ref().map(|m| m.text.clone()),
            condition,
        });
    }
    if !failed {
        if let Some(cycle) = find_cycle(steps.len(), |i| steps[i].after.clone()) {
            let mut names: Vec<String> = cycle.iter().map(|&i| steps[i].name.clone()).collect();
            names.push(steps[cycle[0]].name.clone());
            scope.errors.push(CheckError::StepCycle {
                cycle: names.join(" → "),
                span: decls[cycle[0]].name.span,
            });
            failed = true;
        }
    }
    if failed { None } else { Some(steps) }
}

/// The first cycle in a graph of `count` nodes, as the nodes along it.
pub(super) fn find_cycle(count: usize, edges: impl Fn(usize) -> Vec<usize>) -> Option<Vec<usize>> {
    let mut state = vec![0u8; count]; // 0 new, 1 open, 2 done
    for root in 0..count {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(root, edges(root), 0)];
        state[root] = 1;
        while let Some((node, targets, next)) = stack.last_mut() {
            if let Some(&target) = targets.get(*next) {
                *next += 1;
                if target >= count {
                    continue;
                }
                match state[target] {
                    0 => {
                        state[target] = 1;
                        let target_edges = edges(target);
                        stack.push((target, target_edges, 0));
                    }
                    1 => {
                        let start = stack.iter().position(|(n, _, _)| *n == target).unwrap_or(0);
                        return Some(stack[start..].iter().map(|(n, _, _)| *n).collect());
                    }
                    _ => {}
                }
            } else {
                state[*node] = 2;
                stack.pop();
            }
        }
    }
    None
}
