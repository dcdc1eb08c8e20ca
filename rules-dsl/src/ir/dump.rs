//! A readable text dump of the IR, for snapshots and for `yici check --ir`.
//!
//! Expressions print as s-expressions with names resolved; a `?` after a
//! type marks a value that may be unknown.

use std::fmt::Write as _;

use super::*;

impl Policy {
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let p = Dumper {
            enums: &self.enums,
            records: &self.records,
            facts: &self.facts,
            policy: Some(self),
        };
        let _ = writeln!(
            out,
            "policy {} v{} {:?} department {}",
            self.id, self.version, self.title, self.department
        );
        for basis in &self.basis {
            let _ = writeln!(out, "  basis {basis:?}");
        }
        if self.effective_from.is_some() || self.effective_until.is_some() {
            let from = self
                .effective_from
                .map(|d| d.to_string())
                .unwrap_or_default();
            let until = self
                .effective_until
                .map(|d| d.to_string())
                .unwrap_or_default();
            let _ = writeln!(out, "  effective {from}..{until}");
        }
        out.push_str("facts\n");
        for (index, fact) in self.facts.iter().enumerate() {
            let _ = writeln!(
                out,
                "  f{index} {}: {}{}{}",
                fact.name,
                p.ty(fact.ty),
                if fact.optional { "?" } else { "" },
                bounds_text(fact.ty, fact.bounds)
            );
        }
        for param in &self.params {
            let _ = writeln!(
                out,
                "param {}{}: {}",
                param.name,
                if param.keys.is_empty() {
                    String::new()
                } else {
                    let keys: Vec<String> = param.keys.iter().map(|&k| p.ty(k)).collect();
                    format!("[{}]", keys.join(", "))
                },
                p.ty(param.ty)
            );
            for entry in &param.entries {
                let key: String = entry
                    .keys
                    .iter()
                    .map(|k| match k {
                        Literal::Text(t) => format!("{t:?} "),
                        other => format!("{} ", p.literal(other)),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "  {key}from {} = {}",
                    entry.from,
                    p.literal(&entry.value)
                );
            }
        }
        for definition in &self.order {
            match *definition {
                Definition::Let(i) => {
                    let l = &self.lets[i];
                    let title = l
                        .title
                        .as_ref()
                        .map(|t| format!(" {t:?}"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "let {}{title}: {} = {}",
                        l.name,
                        p.typed(&l.value),
                        p.expr(&l.value)
                    );
                }
                Definition::Table(i) => {
                    let t = &self.tables[i];
                    let title = t
                        .title
                        .as_ref()
                        .map(|t| format!(" {t:?}"))
                        .unwrap_or_default();
                    let hit = match &t.hit {
                        HitPolicy::Unique => "unique".to_string(),
                        HitPolicy::First => "first".to_string(),
                        HitPolicy::Priority { order } => {
                            let order: Vec<String> = order.iter().map(|l| p.literal(l)).collect();
                            format!("priority [{}]", order.join(", "))
                        }
                        HitPolicy::Collect(None) => "collect".to_string(),
                        HitPolicy::Collect(Some(op)) => format!("collect {}", op.as_str()),
                    };
                    let _ = writeln!(
                        out,
                        "table {}{title}: {} hit {hit} -> {}",
                        t.name,
                        p.ty(t.output),
                        p.ty(t.ty)
                    );
                    for input in &t.inputs {
                        let _ = writeln!(out, "  input {}", p.expr(input));
                    }
                    for row in &t.rows {
                        let cells: Vec<String> = row.cells.iter().map(|c| p.cell(c)).collect();
                        let _ = writeln!(
                            out,
                            "  row [{}] => {}",
                            cells.join(", "),
                            p.literal(&row.output)
                        );
                    }
                    if let Some(default) = &t.default {
                        let _ = writeln!(out, "  default => {}", p.literal(default));
                    }
                }
                Definition::Rule(i) => {
                    let r = &self.rules[i];
                    let kind = match r.overrides {
                        Some(o) => format!(
                            "exception (overrides {} to {})",
                            self.rules[o.rule].name, o.value
                        ),
                        None => "rule".to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "{kind} {} {:?}: {} = {}",
                        r.name,
                        r.title,
                        p.typed(&r.body),
                        p.expr(&r.body)
                    );
                    if let Some(cite) = &r.cite {
                        let _ = writeln!(out, "  cite {cite:?}");
                    }
                    if !r.exceptions.is_empty() {
                        let names: Vec<&str> = r
                            .exceptions
                            .iter()
                            .map(|&e| self.rules[e].name.as_str())
                            .collect();
                        let _ = writeln!(out, "  exceptions {}", names.join(", "));
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "eligible: {} = {}",
            p.typed(&self.eligibility),
            p.expr(&self.eligibility)
        );
        for m in &self.materials {
            let source = match &m.source {
                Source::Applicant => "applicant".to_string(),
                Source::Commitment => "commitment".to_string(),
                Source::Shared { dataset, fallback } => format!(
                    "shared {dataset} else {}",
                    match fallback {
                        Fallback::Applicant => "applicant",
                        Fallback::Commitment => "commitment",
                    }
                ),
            };
            let condition = m
                .condition
                .as_ref()
                .map_or("always".to_string(), |c| p.expr(c));
            let _ = writeln!(
                out,
                "material {} {:?} {} x{} from {source} when {condition}",
                m.id,
                m.name,
                m.form.as_str(),
                m.copies
            );
        }
        for s in &self.steps {
            let after: Vec<&str> = s
                .after
                .iter()
                .map(|&a| self.steps[a].name.as_str())
                .collect();
            let kind = if s.working_days {
                "working days"
            } else {
                "days"
            };
            let produces = s
                .produces
                .as_ref()
                .map(|m| format!(" produces {m}"))
                .unwrap_or_default();
            let condition = s
                .condition
                .as_ref()
                .map_or("always".to_string(), |c| p.expr(c));
            let _ = writeln!(
                out,
                "step {} {:?} by {} after [{}] within {} {kind}{produces} when {condition}",
                s.name,
                s.title,
                s.department,
                after.join(", "),
                s.days
            );
        }
        out
    }
}

impl Bundle {
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let p = Dumper {
            enums: &self.enums,
            records: &self.records,
            facts: &self.facts,
            policy: None,
        };
        let _ = writeln!(
            out,
            "bundle {} {:?} department {}",
            self.id, self.title, self.department
        );
        for member in &self.members {
            let _ = writeln!(out, "  member {member}");
        }
        if let Some(entry) = &self.entry {
            let _ = writeln!(out, "entry: {} = {}", p.typed(entry), p.expr(entry));
        }
        for link in &self.links {
            let _ = writeln!(
                out,
                "link {} from {}.{} to {}",
                link.material, link.from, link.from_step, link.to
            );
        }
        out
    }
}

struct Dumper<'a> {
    enums: &'a [EnumType],
    records: &'a [RecordType],
    facts: &'a [Fact],
    policy: Option<&'a Policy>,
}

impl Dumper<'_> {
    fn ty(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Money => "money".into(),
            Type::Decimal(scale) => format!("decimal({scale})"),
            Type::Date => "date".into(),
            Type::Text => "text".into(),
            Type::Set => "set of text".into(),
            Type::Enum(id) => format!(
                "enum{{{}}}",
                self.enums
                    .get(id)
                    .map(|e| e.variants.join(","))
                    .unwrap_or_default()
            ),
            Type::List(id) => {
                let fields = self
                    .records
                    .get(id)
                    .map(|r| {
                        r.fields
                            .iter()
                            .map(|f| {
                                format!(
                                    "{}: {}{}{}",
                                    f.name,
                                    self.ty(f.ty),
                                    if f.optional { "?" } else { "" },
                                    bounds_text(f.ty, f.bounds)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                format!("list of {{{fields}}}")
            }
        }
    }

    fn typed(&self, expr: &Expr) -> String {
        format!(
            "{}{}",
            self.ty(expr.ty),
            if expr.nullable { "?" } else { "" }
        )
    }

    fn literal(&self, literal: &Literal) -> String {
        match literal {
            Literal::Bool(b) => b.to_string(),
            Literal::Int(n) => n.to_string(),
            Literal::Money(fen) => crate::codec::money_text(*fen),
            Literal::Decimal { units, scale } => crate::codec::decimal_text(*units, *scale),
            Literal::Date(d) => d.to_string(),
            Literal::Text(t) => format!("{t:?}"),
            Literal::Enum { ty, variant } => self
                .enums
                .get(*ty)
                .and_then(|e| e.variants.get(*variant))
                .cloned()
                .unwrap_or_default(),
        }
    }

    fn cell(&self, cell: &Cell) -> String {
        match cell {
            Cell::Any => "-".into(),
            Cell::Named { op, value } => format!("{} {}", op.as_str(), self.expr(value)),
            Cell::Equals(l) => self.literal(l),
            Cell::Compare(op, l) => format!("{} {}", op.as_str(), self.literal(l)),
            Cell::Range(a, b) => format!("{}..{}", self.literal(a), self.literal(b)),
            Cell::OneOf(ls) => format!(
                "{{{}}}",
                ls.iter()
                    .map(|l| self.literal(l))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn list(&self, head: &str, exprs: &[&Expr]) -> String {
        let mut out = format!("({head}");
        for e in exprs {
            out.push(' ');
            out.push_str(&self.expr(e));
        }
        out.push(')');
        out
    }

    fn expr(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Literal(l) => self.literal(l),
            ExprKind::Fact(id) => self
                .facts
                .get(*id)
                .map_or("?", |f| f.name.as_str())
                .to_string(),
            ExprKind::Field { var, record, field } => {
                let name = self
                    .records
                    .get(*record)
                    .and_then(|r| r.fields.get(*field))
                    .map_or("?", |f| f.name.as_str());
                format!("v{var}.{name}")
            }
            ExprKind::Let(id) => format!(
                "let:{}",
                self.policy
                    .and_then(|p| p.lets.get(*id))
                    .map_or("?", |l| l.name.as_str())
            ),
            ExprKind::Rule(id) => {
                format!(
                    "rule:{}",
                    self.policy
                        .and_then(|p| p.rules.get(*id))
                        .map_or("?", |r| r.name.as_str())
                )
            }
            ExprKind::Table(id) => {
                format!(
                    "table:{}",
                    self.policy
                        .and_then(|p| p.tables.get(*id))
                        .map_or("?", |t| t.name.as_str())
                )
            }
            ExprKind::Param { param, keys } => {
                let name = self
                    .policy
                    .and_then(|p| p.params.get(*param))
                    .map_or("?", |p| p.name.as_str());
                if keys.is_empty() {
                    format!("param:{name}")
                } else {
                    let keys: Vec<String> = keys.iter().map(|k| self.expr(k)).collect();
                    format!("param:{name}[{}]", keys.join(", "))
                }
            }
            ExprKind::ApplicationDate => "application_date".into(),
            ExprKind::Not(e) => self.list("not", &[e]),
            ExprKind::And(es) => self.list("and", &es.iter().collect::<Vec<_>>()),
            ExprKind::Or(es) => self.list("or", &es.iter().collect::<Vec<_>>()),
            ExprKind::Compare { op, lhs, rhs } => self.list(op.as_str(), &[lhs, rhs]),
            ExprKind::In {
                negated,
                element,
                set,
            } => {
                let set_text = match set {
                    SetOperand::Literals(ls) => {
                        format!(
                            "{{{}}}",
                            ls.iter()
                                .map(|l| self.literal(l))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                    SetOperand::Value(e) => self.expr(e),
                };
                format!(
                    "({} {} {set_text})",
                    if *negated { "not-in" } else { "in" },
                    self.expr(element)
                )
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let head = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "*",
                };
                self.list(head, &[lhs, rhs])
            }
            ExprKind::Div { lhs, rhs, rounding } => {
                self.list(&format!("/ {}", rounding.as_str()), &[lhs, rhs])
            }
            ExprKind::Neg(e) => self.list("neg", &[e]),
            ExprKind::NumberText(e) => self.list("text", &[e]),
            ExprKind::EnumText(e) => self.list("name", &[e]),
            ExprKind::DateAdd {
                date,
                amount,
                unit,
                subtract,
            } => {
                let head = format!("date{}{}", if *subtract { "-" } else { "+" }, unit.as_str());
                self.list(&head, &[date, amount])
            }
            ExprKind::AgeOn { birth, on } => self.list("age_on", &[birth, on]),
            ExprKind::MonthsBetween { from, to } => self.list("months_between", &[from, to]),
            ExprKind::DaysBetween { from, to } => self.list("days_between", &[from, to]),
            ExprKind::Least(es) => self.list("min", &es.iter().collect::<Vec<_>>()),
            ExprKind::Greatest(es) => self.list("max", &es.iter().collect::<Vec<_>>()),
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => self.list("if", &[condition, then, otherwise]),
            ExprKind::Aggregate {
                kind,
                list,
                var,
                filter,
                value,
            } => {
                let list_name = self.facts.get(*list).map_or("?", |f| f.name.as_str());
                let mut out = format!("({} v{var} in {list_name}", kind.as_str());
                if let Some(filter) = filter {
                    out.push_str(&format!(" where {}", self.expr(filter)));
                }
                if let Some(value) = value {
                    out.push_str(&format!(" of {}", self.expr(value)));
                }
                out.push(')');
                out
            }
        }
    }
}

/// ` in [min, max]` in the value's own units, or nothing.
fn bounds_text(ty: Type, bounds: Option<crate::ir::Bounds>) -> String {
    let Some(bounds) = bounds else {
        return String::new();
    };
    let scale = match ty {
        Type::Money => 2,
        Type::Decimal(scale) => scale,
        _ => 0,
    };
    let show =
        |b: Option<i64>| b.map_or_else(String::new, |b| crate::codec::decimal_text(b, scale));
    format!(" in [{}, {}]", show(bounds.min), show(bounds.max))
}
