//! Expressions: AST → typed IR, with name resolution and Kleene nullability.
//!
//! A sub-expression with an error yields `None`; its parents give up quietly,
//! so one mistake produces one message rather than a cascade.

use std::collections::{HashMap, HashSet};

use super::error::CheckError;
use crate::diagnostic::{Span, did_you_mean};
use crate::ir::{self, ArithOp, ExprKind, Literal, Rounding, SetOperand, Type};
use crate::syntax::MAX_DECIMALS;
use crate::syntax::ast::{self, AggregateKind, CompareOp, LiteralKind, TimeUnit};

/// What a name in an expression refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    Fact(ir::FactId),
    Let(ir::LetId),
    Table(ir::TableId),
    Rule(ir::RuleId),
    Param(ir::ParamId),
}

/// The type of a definition once checked; `None` while unchecked or broken.
#[derive(Debug, Clone, Copy)]
pub struct Typed {
    pub ty: Type,
    pub nullable: bool,
}

struct Var {
    name: String,
    id: ir::VarId,
    record: ir::RecordId,
    list: String,
}

/// The names and types visible to the expressions of one policy (or bundle).
#[derive(Default)]
pub struct Scope {
    pub enums: Vec<ir::EnumType>,
    pub records: Vec<ir::RecordType>,
    pub facts: Vec<ir::Fact>,
    pub symbols: HashMap<String, (Symbol, Span)>,
    pub lets: Vec<Option<Typed>>,
    pub tables: Vec<Option<Typed>>,
    pub rules: Vec<Option<Typed>>,
    pub params: Vec<(Type, bool)>,
    pub used: HashSet<Symbol>,
    pub errors: Vec<CheckError>,
    /// Set when the file has syntax errors: a name may be "unknown" only
    /// because its definition failed to parse, so such errors are not reported.
    pub quiet_unknown_names: bool,
    /// Facts whose declared type has an error: they are not in `symbols`,
    /// but their uses are not reported as unknown names (the declaration's
    /// error says everything).
    pub poisoned: HashSet<String>,
    vars: Vec<Var>,
    pub var_count: usize,
}

impl Scope {
    pub fn new(quiet_unknown_names: bool) -> Scope {
        Scope {
            quiet_unknown_names,
            ..Scope::default()
        }
    }
}

pub const FUNCTIONS: &[&str] = &[
    "age_on",
    "months_between",
    "days_between",
    "min",
    "max",
    "text",
];

impl Scope {
    /// Interns an enum by its variants, so equal enums share an id.
    /// The enum with these variants (one type however often it is
    /// declared, as long as no value is given two different titles); a
    /// title given here fills in one not given before. The same values
    /// titled differently (`yes "已婚"` beside `yes "是的"`) are another enum.
    pub fn intern_enum(
        &mut self,
        variants: Vec<String>,
        titles: Vec<Option<String>>,
    ) -> ir::EnumId {
        let compatible = |e: &ir::EnumType| {
            e.variants == variants
                && e.titles.iter().zip(&titles).all(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
        };
        if let Some(index) = self.enums.iter().position(compatible) {
            for (known, title) in self.enums[index].titles.iter_mut().zip(titles) {
                if known.is_none() {
                    *known = title;
                }
            }
            return index;
        }
        self.enums.push(ir::EnumType { variants, titles });
        self.enums.len() - 1
    }

    pub fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Money => "money".into(),
            Type::Decimal(scale) => format!("decimal({scale})"),
            Type::Date => "date".into(),
            Type::Text => "text".into(),
            Type::Set => "set of text".into(),
            Type::Enum(id) => match self.enums.get(id) {
                Some(e) => format!("enum {{ {} }}", e.variants.join(", ")),
                None => "enum".into(),
            },
            Type::List(id) => match self.records.get(id) {
                Some(r) => {
                    let fields: Vec<String> = r
                        .fields
                        .iter()
                        .map(|f| format!("{}: {}", f.name, self.type_name(f.ty)))
                        .collect();
                    format!("list of {{ {} }}", fields.join(", "))
                }
                None => "list".into(),
            },
        }
    }

    fn expr_at(&self, kind: ExprKind, ty: Type, nullable: bool) -> ir::Expr {
        ir::Expr { kind, ty, nullable }
    }

    /// Checks a condition: an expression that must be a bool.
    pub fn condition(&mut self, expr: &ast::Expr, what: &str) -> Option<ir::Expr> {
        let checked = self.expr(expr, None)?;
        if checked.ty != Type::Bool {
            self.errors.push(CheckError::NotACondition {
                what: what.to_string(),
                found: self.type_name(checked.ty),
                span: expr.span,
            });
            return None;
        }
        Some(checked)
    }

    /// Checks `expr`; `hint` is the type the context expects, which lets a
    /// bare name resolve as an enum value (`housing == rented`).
    pub fn expr(&mut self, expr: &ast::Expr, hint: Option<Type>) -> Option<ir::Expr> {
        use ast::ExprKind as A;
        let span = expr.span;
        match &expr.kind {
            A::Error => None,
            A::Literal(literal) => {
                let literal = literal_ir_as(literal, hint);
                let ty = literal_type(&literal);
                Some(self.expr_at(ExprKind::Literal(literal), ty, false))
            }
            A::Path(path) => self.path(path, span, hint),
            A::Paren(inner) => self.expr(inner, hint),
            A::Not(inner) => {
                let inner = self.condition(inner, "the operand of `not`")?;
                let nullable = inner.nullable;
                Some(self.expr_at(ExprKind::Not(Box::new(inner)), Type::Bool, nullable))
            }
            A::And(operands) | A::Or(operands) => {
                let what = if matches!(expr.kind, A::And(_)) {
                    "each side of `and`"
                } else {
                    "each side of `or`"
                };
                let mut checked = Vec::with_capacity(operands.len());
                let mut failed = false;
                for operand in operands {
                    match self.condition(operand, what) {
                        Some(c) => checked.push(c),
                        None => failed = true,
                    }
                }
                if failed {
                    return None;
                }
                let nullable = checked.iter().any(|c| c.nullable);
                let kind = if matches!(expr.kind, A::And(_)) {
                    ExprKind::And(checked)
                } else {
                    ExprKind::Or(checked)
                };
                Some(self.expr_at(kind, Type::Bool, nullable))
            }
            A::Compare { op, lhs, rhs } => self.compare(*op, lhs, rhs, span),
            A::In {
                negated,
                element,
                set,
            } => self.membership(*negated, element, set),
            A::Arith {
                op,
                lhs,
                rhs,
                rounding,
            } => self.arith(*op, lhs, rhs, *rounding, span),
            A::Neg(inner) => {
                let inner = self.expr(inner, hint)?;
                if !matches!(inner.ty, Type::Int | Type::Money | Type::Decimal(_)) {
                    self.errors.push(CheckError::BadOperator {
                        message: format!("`-` cannot negate {}", self.type_name(inner.ty)),
                        span,
                        help: None,
                    });
                    return None;
                }
                let (ty, nullable) = (inner.ty, inner.nullable);
                Some(self.expr_at(ExprKind::Neg(Box::new(inner)), ty, nullable))
            }
            A::Duration { .. } => {
                self.errors.push(CheckError::BadOperator {
                    message: "a duration can only be added to or subtracted from a date".into(),
                    span,
                    help: Some("write `some_date + 6 months`; to count time between dates use `months_between(a, b)` or `days_between(a, b)`".into()),
                });
                None
            }
            A::Index { base, key } => self.param_lookup(base, Some(key), span),
            A::If {
                condition,
                then,
                otherwise,
            } => {
                let condition = self.condition(condition, "the condition of `if`");
                let then = self.expr(then, hint);
                let otherwise = self.expr(otherwise, then.as_ref().map(|t| t.ty).or(hint));
                let (condition, then, otherwise) = (condition?, then?, otherwise?);
                let (then, otherwise) = same_scale(then, otherwise);
                if then.ty != otherwise.ty {
                    self.errors.push(CheckError::IfBranches {
                        then: self.type_name(then.ty),
                        otherwise: self.type_name(otherwise.ty),
                        span,
                    });
                    return None;
                }
                let ty = then.ty;
                let nullable = condition.nullable || then.nullable || otherwise.nullable;
                Some(self.expr_at(
                    ExprKind::If {
                        condition: Box::new(condition),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                    nullable,
                ))
            }
            A::Aggregate {
                kind,
                value,
                var,
                list,
                filter,
            } => self.aggregate(*kind, value.as_deref(), var, list, filter.as_deref(), span),
            A::Call { function, args } => self.call(function, args, span),
            A::Set(_) => {
                self.errors.push(CheckError::BadOperator {
                    message: "a set in braces can only follow `in`".into(),
                    span,
                    help: Some("write `x in {\"a\", \"b\"}`".into()),
                });
                None
            }
        }
    }

    /// Reports `name` as unknown; `expects_text` says the context wants
    /// text, where a bare word is most likely text without its quotes.
    fn unknown_name(&mut self, name: &str, span: Span, expects_text: bool) {
        if self.quiet_unknown_names || self.poisoned.contains(name) {
            return;
        }
        let mut candidates: Vec<&str> = self.symbols.keys().map(String::as_str).collect();
        candidates.push("application_date");
        for var in &self.vars {
            candidates.push(var.name.as_str());
        }
        candidates.sort_unstable();
        let suggestion = did_you_mean(name, candidates);
        self.errors.push(CheckError::UnknownName {
            name: name.to_string(),
            span,
            suggestion,
            expects_text,
        });
    }

    fn path(&mut self, path: &str, span: Span, hint: Option<Type>) -> Option<ir::Expr> {
        let first = path.split('.').next().unwrap_or(path);
        if let Some(var_index) = self.vars.iter().rposition(|v| v.name == first) {
            return self.field(var_index, path, span);
        }
        if let Some(&(symbol, _)) = self.symbols.get(path) {
            self.used.insert(symbol);
            return match symbol {
                Symbol::Fact(id) => {
                    let fact = &self.facts[id];
                    let (ty, nullable) = (fact.ty, fact.optional);
                    Some(self.expr_at(ExprKind::Fact(id), ty, nullable))
                }
                Symbol::Let(id) => {
                    let typed = self.lets.get(id).copied().flatten()?;
                    Some(self.expr_at(ExprKind::Let(id), typed.ty, typed.nullable))
                }
                Symbol::Table(id) => {
                    let typed = self.tables.get(id).copied().flatten()?;
                    Some(self.expr_at(ExprKind::Table(id), typed.ty, typed.nullable))
                }
                Symbol::Rule(id) => {
                    let typed = self.rules.get(id).copied().flatten()?;
                    Some(self.expr_at(ExprKind::Rule(id), Type::Bool, typed.nullable))
                }
                Symbol::Param(_) => self.param_lookup_by_name(path, span, None),
            };
        }
        if path == "application_date" {
            return Some(self.expr_at(ExprKind::ApplicationDate, Type::Date, false));
        }
        if let Some(Type::Enum(enum_id)) = hint {
            return self.variant(enum_id, path, span).map(|literal| {
                let ty = Type::Enum(enum_id);
                self.expr_at(ExprKind::Literal(literal), ty, false)
            });
        }
        if path == "today" {
            self.errors.push(CheckError::BadCall {
                message: "there is no `today`".into(),
                span,
                help: Some("rules use `application_date`, so the same application always gets the same decision".into()),
            });
            return None;
        }
        let bare = !path.contains('.');
        self.unknown_name(path, span, bare && hint == Some(Type::Text));
        None
    }

    /// An enum value by name, with a helpful error when it is not one.
    pub fn variant(&mut self, enum_id: ir::EnumId, name: &str, span: Span) -> Option<Literal> {
        let variants = self
            .enums
            .get(enum_id)
            .map(|e| e.variants.clone())
            .unwrap_or_default();
        match variants.iter().position(|v| v == name) {
            Some(variant) => Some(Literal::Enum {
                ty: enum_id,
                variant,
            }),
            None => {
                let suggestion = did_you_mean(name, variants.iter().map(String::as_str));
                self.errors.push(CheckError::BadEnum {
                    message: format!(
                        "`{name}` is not one of the values {}",
                        self.type_name(Type::Enum(enum_id))
                    ),
                    span,
                    help: Some(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the values are: {}", variants.join(", ")),
                    }),
                });
                None
            }
        }
    }

    fn field(&mut self, var_index: usize, path: &str, span: Span) -> Option<ir::Expr> {
        let var = &self.vars[var_index];
        let (var_id, record_id, list) = (var.id, var.record, var.list.clone());
        let mut segments = path.splitn(2, '.');
        let _ = segments.next();
        let Some(field_name) = segments.next() else {
            self.errors.push(CheckError::BadOperator {
                message: format!("`{path}` stands for a whole record of `{list}`"),
                span,
                help: Some(format!(
                    "use one of its fields, for example `{path}.{}`",
                    self.first_field(record_id)
                )),
            });
            return None;
        };
        let record = self.records.get(record_id)?;
        match record.fields.iter().position(|f| f.name == field_name) {
            Some(index) => {
                let field = &record.fields[index];
                let (ty, optional) = (field.ty, field.optional);
                Some(self.expr_at(
                    ExprKind::Field {
                        var: var_id,
                        record: record_id,
                        field: index,
                    },
                    ty,
                    optional,
                ))
            }
            None => {
                let suggestion =
                    did_you_mean(field_name, record.fields.iter().map(|f| f.name.as_str()));
                let fields = record.fields.iter().map(|f| f.name.clone()).collect();
                self.errors.push(CheckError::UnknownField {
                    list,
                    field: field_name.to_string(),
                    span,
                    suggestion,
                    fields,
                });
                None
            }
        }
    }

    fn first_field(&self, record: ir::RecordId) -> String {
        self.records
            .get(record)
            .and_then(|r| r.fields.first())
            .map(|f| f.name.clone())
            .unwrap_or_default()
    }

    fn param_lookup(
        &mut self,
        base: &ast::Expr,
        key: Option<&ast::Expr>,
        span: Span,
    ) -> Option<ir::Expr> {
        let ast::ExprKind::Path(name) = &base.kind else {
            self.errors.push(CheckError::BadParamLookup {
                message: "only a parameter can be looked up with `[…]`".into(),
                span,
                help: "declare a keyed parameter: `param name[text]: money { \"key\" from 2024-01-01 = 100.00 }`".into(),
            });
            return None;
        };
        match self.symbols.get(name.as_str()) {
            Some(&(Symbol::Param(_), _)) => self.param_lookup_by_name(name, span, key),
            Some(_) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: format!(
                        "`{name}` is not a parameter, so it cannot be looked up with `[…]`"
                    ),
                    span,
                    help: "only keyed parameters take `[key]`".into(),
                });
                None
            }
            None => {
                self.unknown_name(name, base.span, false);
                None
            }
        }
    }

    fn param_lookup_by_name(
        &mut self,
        name: &str,
        span: Span,
        key: Option<&ast::Expr>,
    ) -> Option<ir::Expr> {
        let &(symbol, _) = self.symbols.get(name)?;
        let Symbol::Param(id) = symbol else {
            return None;
        };
        self.used.insert(symbol);
        if self.poisoned.contains(name) {
            return None;
        }
        let (ty, keyed) = *self.params.get(id)?;
        match (keyed, key) {
            (true, None) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: format!("parameter `{name}` has a value per key, but no key is given"),
                    span,
                    help: format!("write `{name}[key]`, for example `{name}[applicant.county]`"),
                });
                None
            }
            (false, Some(_)) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: format!("parameter `{name}` has no keys"),
                    span,
                    help: format!("write just `{name}`"),
                });
                None
            }
            (false, None) => Some(self.expr_at(
                ExprKind::Param {
                    param: id,
                    key: None,
                },
                ty,
                true,
            )),
            (true, Some(key)) => {
                let key_expr = self.expr(key, Some(Type::Text))?;
                if key_expr.ty != Type::Text {
                    self.errors.push(CheckError::TypeMismatch {
                        expected: "text (the parameter's key)".into(),
                        found: self.type_name(key_expr.ty),
                        span: key.span,
                        help: None,
                    });
                    return None;
                }
                Some(self.expr_at(
                    ExprKind::Param {
                        param: id,
                        key: Some(Box::new(key_expr)),
                    },
                    ty,
                    true,
                ))
            }
        }
    }

    /// True when `expr` takes its type from the other side: a bare name that
    /// resolves to nothing (an enum value), or a number literal (`90` or
    /// `89.5` beside a decimal).
    fn takes_type_from_context(&self, expr: &ast::Expr) -> bool {
        match &expr.kind {
            ast::ExprKind::Literal(
                LiteralKind::Int(_) | LiteralKind::Money(_) | LiteralKind::Decimal { .. },
            ) => true,
            ast::ExprKind::Path(path) => {
                !path.contains('.')
                    && !self.symbols.contains_key(path.as_str())
                    && path != "application_date"
                    && !self.vars.iter().any(|v| &v.name == path)
            }
            ast::ExprKind::Paren(inner) => self.takes_type_from_context(inner),
            _ => false,
        }
    }

    /// Checks two operands that must agree, letting a bare enum value take its
    /// type from the other side.
    fn pair(&mut self, lhs: &ast::Expr, rhs: &ast::Expr) -> (Option<ir::Expr>, Option<ir::Expr>) {
        // A bare name may be an enum value that needs the other side's type;
        // when that side has an error of its own, the name is left unchecked
        // rather than reported as unknown.
        if self.takes_type_from_context(lhs) && !self.takes_type_from_context(rhs) {
            let r = self.expr(rhs, None);
            let l = match &r {
                Some(r) => self.expr(lhs, Some(r.ty)),
                None => None,
            };
            (l, r)
        } else {
            let l = self.expr(lhs, None);
            let r = match &l {
                None if self.takes_type_from_context(rhs) => None,
                _ => self.expr(rhs, l.as_ref().map(|l| l.ty)),
            };
            (l, r)
        }
    }

    fn compare(
        &mut self,
        op: CompareOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<ir::Expr> {
        let (l, r) = self.pair(lhs, rhs);
        let (l, r) = same_scale(l?, r?);
        if l.ty != r.ty {
            if matches!(
                (l.ty, r.ty),
                (Type::Int, Type::Money) | (Type::Money, Type::Int)
            ) {
                self.money_and_int(op.as_str(), lhs, rhs, &l, span);
            } else if let (Type::Enum(_), Type::Enum(_)) = (l.ty, r.ty) {
                self.errors.push(CheckError::BadEnum {
                    message: format!(
                        "{} and {} are different enums and cannot be compared",
                        self.type_name(l.ty),
                        self.type_name(r.ty)
                    ),
                    span,
                    help: None,
                });
            } else {
                let literal_side = match (&strip_parens(rhs).kind, &strip_parens(lhs).kind) {
                    (ast::ExprKind::Literal(literal), _) => Some((literal, l.ty)),
                    (_, ast::ExprKind::Literal(literal)) => Some((literal, r.ty)),
                    _ => None,
                };
                let help = self
                    .quoted_variant(l.ty, rhs)
                    .map(|variant| format!("an enum value is written without quotes: `{variant}`"))
                    .or_else(|| literal_side.and_then(|(literal, ty)| literal_help(literal, ty)))
                    .unwrap_or_else(|| {
                        format!("both sides of `{}` must have the same type", op.as_str())
                    });
                self.errors.push(CheckError::TypeMismatch {
                    expected: self.type_name(l.ty),
                    found: self.type_name(r.ty),
                    span: rhs.span,
                    help: Some(help),
                });
            }
            return None;
        }
        let ordering = !matches!(op, CompareOp::Eq | CompareOp::Ne);
        match l.ty {
            Type::Text if ordering => {
                self.errors.push(CheckError::TextOrdering {
                    op: op.as_str().into(),
                    span,
                });
                return None;
            }
            Type::Bool | Type::Enum(_) if ordering => {
                self.errors.push(CheckError::BadOperator {
                    message: format!(
                        "{} values have no order, so `{}` does not apply",
                        self.type_name(l.ty),
                        op.as_str()
                    ),
                    span,
                    help: Some("use `==` or `!=`".into()),
                });
                return None;
            }
            Type::Set | Type::List(_) => {
                self.errors.push(CheckError::BadOperator {
                    message: format!("{} cannot be compared with `{}`", self.type_name(l.ty), op.as_str()),
                    span,
                    help: Some("use `in` to test membership, or an aggregate such as `count(…)` over a list".into()),
                });
                return None;
            }
            _ => {}
        }
        let nullable = l.nullable || r.nullable;
        Some(self.expr_at(
            ExprKind::Compare {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            Type::Bool,
            nullable,
        ))
    }

    /// When `expr` is quoted text that names a value of the enum `ty`, that value.
    fn quoted_variant(&self, ty: Type, expr: &ast::Expr) -> Option<String> {
        let (Type::Enum(id), ast::ExprKind::Literal(LiteralKind::Text(text))) =
            (ty, &strip_parens(expr).kind)
        else {
            return None;
        };
        self.enums
            .get(id)?
            .variants
            .iter()
            .find(|v| *v == text)
            .cloned()
    }

    fn money_and_int(
        &mut self,
        op: &str,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        l: &ir::Expr,
        span: Span,
    ) {
        let int_side = if l.ty == Type::Int { lhs } else { rhs };
        let help = match &int_side.kind {
            ast::ExprKind::Literal(LiteralKind::Int(n)) => format!("write money with two decimals: `{n}.00`"),
            _ => "money is exact to the fen; multiply a number by money (`price * count`) or divide with a rounding mode".into(),
        };
        self.errors.push(CheckError::MoneyAndInt {
            op: op.into(),
            span,
            help,
        });
    }

    fn membership(
        &mut self,
        negated: bool,
        element: &ast::Expr,
        set: &ast::Expr,
    ) -> Option<ir::Expr> {
        let set_inner = match &set.kind {
            ast::ExprKind::Paren(inner) => inner.as_ref(),
            _ => set,
        };
        if let ast::ExprKind::Set(items) = &set_inner.kind {
            // A literal set: the element decides the type unless it is itself a bare enum value.
            let element_checked = self.expr(element, None)?;
            if !matches!(element_checked.ty, Type::Text | Type::Enum(_) | Type::Int) {
                self.errors.push(CheckError::BadOperator {
                    message: format!(
                        "`in` does not apply to {}",
                        self.type_name(element_checked.ty)
                    ),
                    span: element.span,
                    help: Some(
                        "`in` tests text, enum values or whole numbers against a set".into(),
                    ),
                });
                return None;
            }
            let mut literals = Vec::with_capacity(items.len());
            let mut failed = false;
            for item in items {
                let checked = self.expr(item, Some(element_checked.ty));
                match checked {
                    Some(ir::Expr {
                        kind: ExprKind::Literal(literal),
                        ty,
                        ..
                    }) if ty == element_checked.ty => literals.push(literal),
                    Some(other) if other.ty != element_checked.ty => {
                        self.errors.push(CheckError::TypeMismatch {
                            expected: self.type_name(element_checked.ty),
                            found: self.type_name(other.ty),
                            span: item.span,
                            help: Some(
                                "every value in the set must have the type of the left side".into(),
                            ),
                        });
                        failed = true;
                    }
                    Some(_) => {
                        self.errors.push(CheckError::NotASet {
                            found: "a set with a computed value".into(),
                            span: item.span,
                        });
                        failed = true;
                    }
                    None => failed = true,
                }
            }
            if failed {
                return None;
            }
            let nullable = element_checked.nullable;
            return Some(self.expr_at(
                ExprKind::In {
                    negated,
                    element: Box::new(element_checked),
                    set: SetOperand::Literals(literals),
                },
                Type::Bool,
                nullable,
            ));
        }
        let element_checked = self.expr(element, Some(Type::Text));
        let set_checked = self.expr(set, None);
        let (element_checked, set_checked) = (element_checked?, set_checked?);
        if set_checked.ty != Type::Set {
            self.errors.push(CheckError::NotASet {
                found: self.type_name(set_checked.ty),
                span: set.span,
            });
            return None;
        }
        if element_checked.ty != Type::Text {
            self.errors.push(CheckError::TypeMismatch {
                expected: "text".into(),
                found: self.type_name(element_checked.ty),
                span: element.span,
                help: Some("a `set of text` holds text".into()),
            });
            return None;
        }
        let nullable = element_checked.nullable || set_checked.nullable;
        Some(self.expr_at(
            ExprKind::In {
                negated,
                element: Box::new(element_checked),
                set: SetOperand::Value(Box::new(set_checked)),
            },
            Type::Bool,
            nullable,
        ))
    }

    fn arith(
        &mut self,
        op: ast::ArithOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        rounding: Option<ast::Rounding>,
        span: Span,
    ) -> Option<ir::Expr> {
        // `date ± n unit`
        if matches!(op, ast::ArithOp::Add | ast::ArithOp::Sub) {
            if let ast::ExprKind::Duration { amount, unit } = &strip_parens(rhs).kind {
                return self.date_add(op, lhs, amount, *unit);
            }
        }
        let (l, r) = match op {
            ast::ArithOp::Add | ast::ArithOp::Sub => self.pair(lhs, rhs),
            ast::ArithOp::Mul => self.factors(lhs, rhs),
            ast::ArithOp::Div => (self.expr(lhs, None), self.expr(rhs, None)),
        };
        let (l, r) = (l?, r?);
        let op_text = op.as_str();
        let (l_ty, r_ty) = (l.ty, r.ty);
        let mismatch = |scope: &mut Scope, help: Option<String>| {
            let message = format!(
                "`{op_text}` does not apply to {} and {}",
                scope.type_name(l_ty),
                scope.type_name(r_ty)
            );
            scope.errors.push(CheckError::BadOperator {
                message,
                span,
                help,
            });
        };
        let by_decimal = matches!(l.ty, Type::Decimal(_)) || matches!(r.ty, Type::Decimal(_));
        if rounding.is_some() && op != ast::ArithOp::Div && !(op == ast::ArithOp::Mul && by_decimal)
        {
            self.errors.push(CheckError::BadOperator {
                message: "only a division, or a product with a decimal or a percent, is rounded"
                    .into(),
                span,
                help: Some("remove `round …`: this result is exact".into()),
            });
            return None;
        }
        let arith = |op: ArithOp, lhs: ir::Expr, rhs: ir::Expr, ty: Type| {
            let nullable = lhs.nullable || rhs.nullable;
            ir::Expr {
                kind: ExprKind::Arith {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                ty,
                nullable,
            }
        };
        let divided = |lhs: ir::Expr, rhs: ir::Expr, rounding: Rounding, ty: Type| {
            let nullable = lhs.nullable || rhs.nullable;
            ir::Expr {
                kind: ExprKind::Div {
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                    rounding,
                },
                ty,
                nullable,
            }
        };
        let power = |scale: u8| ir::Expr {
            kind: ExprKind::Literal(Literal::Int(10_i64.pow(u32::from(scale)))),
            ty: Type::Int,
            nullable: false,
        };
        match op {
            ast::ArithOp::Add | ast::ArithOp::Sub => {
                let ir_op = if op == ast::ArithOp::Add {
                    ArithOp::Add
                } else {
                    ArithOp::Sub
                };
                let (l, r) = same_scale(l, r);
                match (l.ty, r.ty) {
                    (a, b) if a == b && matches!(a, Type::Int | Type::Money | Type::Decimal(_)) => {
                        Some(arith(ir_op, l, r, a))
                    }
                    (Type::Int, Type::Money) | (Type::Money, Type::Int) => {
                        self.money_and_int(op_text, lhs, rhs, &l, span);
                        None
                    }
                    (Type::Date, Type::Date) if op == ast::ArithOp::Sub => {
                        mismatch(self, Some("count the time between dates with `days_between(a, b)` or `months_between(a, b)`".into()));
                        None
                    }
                    (Type::Date, Type::Int) => {
                        mismatch(
                            self,
                            Some(
                                "say the unit: `some_date + 30 days` (or `months`, `years`)".into(),
                            ),
                        );
                        None
                    }
                    (Type::Money, Type::Decimal(_)) | (Type::Decimal(_), Type::Money) => {
                        mismatch(
                            self,
                            Some("money and a decimal measure different things; write the amount as money (`12.50`)".into()),
                        );
                        None
                    }
                    _ => {
                        mismatch(self, None);
                        None
                    }
                }
            }
            ast::ArithOp::Mul => {
                // The decimal (the factor) goes on the right, money or a whole number on the left.
                let (l, r) = match (l.ty, r.ty) {
                    (Type::Decimal(_), Type::Int | Type::Money) | (Type::Int, Type::Money) => {
                        (r, l)
                    }
                    _ => (l, r),
                };
                match (l.ty, r.ty, rounding) {
                    (Type::Int, Type::Int, _) | (Type::Money, Type::Int, _) => {
                        let ty = l.ty;
                        Some(arith(ArithOp::Mul, l, r, ty))
                    }
                    (Type::Money, Type::Money, _) => {
                        mismatch(
                            self,
                            Some("money can be multiplied by a whole number, a decimal or a percent, not by money".into()),
                        );
                        None
                    }
                    (Type::Int, Type::Decimal(scale), None) => {
                        Some(arith(ArithOp::Mul, l, r, Type::Decimal(scale)))
                    }
                    (Type::Decimal(a), Type::Decimal(b), None) => {
                        if a + b > MAX_DECIMALS {
                            self.errors.push(CheckError::BadOperator {
                                message: format!(
                                    "the product has {} decimals, more than the {MAX_DECIMALS} a number holds",
                                    a + b
                                ),
                                span,
                                help: Some("round it: `a * b round half_up` keeps the decimals of `a`".into()),
                            });
                            return None;
                        }
                        Some(arith(ArithOp::Mul, l, r, Type::Decimal(a + b)))
                    }
                    (Type::Money, Type::Decimal(_), None) => {
                        self.errors.push(CheckError::BadOperator {
                            message: "money times a decimal or a percent can leave a fraction of a fen".into(),
                            span,
                            help: Some("say how to round it to the fen: `standard * 30% round half_up` (also `down`, `up`, `half_even`)".into()),
                        });
                        None
                    }
                    // Rounded: the product keeps the type of the left operand.
                    (
                        Type::Money | Type::Int | Type::Decimal(_),
                        Type::Decimal(b),
                        Some(rounding),
                    ) => {
                        let ty = l.ty;
                        let product = arith(ArithOp::Mul, l, r, ty);
                        Some(divided(product, power(b), rounding, ty))
                    }
                    _ => {
                        mismatch(self, None);
                        None
                    }
                }
            }
            ast::ArithOp::Div => {
                // The left side is first brought to the scale that makes the
                // quotient, rounded once, land on the result's scale.
                let (ty, lift) = match (l.ty, r.ty) {
                    (Type::Int, Type::Int) | (Type::Money, Type::Money) => (Type::Int, 0),
                    (Type::Money, Type::Int) => (Type::Money, 0),
                    (Type::Decimal(a), Type::Int) => (Type::Decimal(a), 0),
                    (Type::Decimal(a), Type::Decimal(b)) => {
                        (Type::Decimal(a.max(b)), a.max(b) - a + b)
                    }
                    (Type::Int, Type::Decimal(b)) => (Type::Decimal(b), 2 * b),
                    (Type::Money, Type::Decimal(b)) => (Type::Money, b),
                    _ => {
                        mismatch(self, None);
                        return None;
                    }
                };
                let Some(rounding) = rounding else {
                    self.errors
                        .push(CheckError::DivisionWithoutRounding { span });
                    return None;
                };
                if usize::from(lift) > 18 {
                    mismatch(self, None);
                    return None;
                }
                let l = if lift == 0 {
                    l
                } else {
                    let lty = l.ty;
                    arith(ArithOp::Mul, l, power(lift), lty)
                };
                Some(divided(l, r, rounding, ty))
            }
        }
    }

    /// The operands of `*`: a number with a point beside money or a decimal
    /// value is a factor (`standard * 1.5`, `area * 1.2`); beside a whole
    /// number or a percent it is money (`count * 12.50`, `1255.00 * 30%`).
    fn factors(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> (Option<ir::Expr>, Option<ir::Expr>) {
        let is_point = |e: &ast::Expr| {
            matches!(
                strip_parens(e).kind,
                ast::ExprKind::Literal(LiteralKind::Money(_))
            )
        };
        let is_decimal_literal = |e: &ast::Expr| {
            matches!(
                strip_parens(e).kind,
                ast::ExprKind::Literal(LiteralKind::Decimal { .. })
            )
        };
        let factor_hint =
            |other: &Option<ir::Expr>, other_ast: &ast::Expr| match other.as_ref().map(|o| o.ty) {
                Some(Type::Money) => Some(Type::Decimal(2)),
                Some(Type::Decimal(_)) if !is_decimal_literal(other_ast) => Some(Type::Decimal(2)),
                _ => None,
            };
        if is_point(rhs) && !is_point(lhs) {
            let l = self.expr(lhs, None);
            let r = self.expr(rhs, factor_hint(&l, lhs));
            (l, r)
        } else if is_point(lhs) && !is_point(rhs) {
            let r = self.expr(rhs, None);
            let l = self.expr(lhs, factor_hint(&r, rhs));
            (l, r)
        } else {
            (self.expr(lhs, None), self.expr(rhs, None))
        }
    }

    fn date_add(
        &mut self,
        op: ast::ArithOp,
        date: &ast::Expr,
        amount: &ast::Expr,
        unit: TimeUnit,
    ) -> Option<ir::Expr> {
        let d = self.expr(date, None);
        let a = self.expr(amount, None);
        let (d, a) = (d?, a?);
        if d.ty != Type::Date {
            self.errors.push(CheckError::TypeMismatch {
                expected: "a date".into(),
                found: self.type_name(d.ty),
                span: date.span,
                help: Some(format!("`{}` can only be added to a date", unit.as_str())),
            });
            return None;
        }
        if a.ty != Type::Int {
            self.errors.push(CheckError::TypeMismatch {
                expected: "a whole number".into(),
                found: self.type_name(a.ty),
                span: amount.span,
                help: Some(format!(
                    "the number of {} must be a whole number",
                    unit.as_str()
                )),
            });
            return None;
        }
        let nullable = d.nullable || a.nullable;
        Some(self.expr_at(
            ExprKind::DateAdd {
                date: Box::new(d),
                amount: Box::new(a),
                unit,
                subtract: op == ast::ArithOp::Sub,
            },
            Type::Date,
            nullable,
        ))
    }

    fn call(&mut self, function: &ast::Name, args: &[ast::Expr], span: Span) -> Option<ir::Expr> {
        let name = function.text.as_str();
        if matches!(name, "count" | "sum" | "min" | "max" | "any" | "all")
            && !(matches!(name, "min" | "max") && args.len() >= 2)
        {
            let example = match name {
                "count" => "count(m in household.members where m.relation == child)".to_string(),
                _ => {
                    format!("{name}(m.income for m in household.members where m.relation == child)")
                }
            };
            self.errors.push(CheckError::BadAggregate {
                message: format!("`{name}` is an aggregate over a list"),
                span,
                help: format!("write it as `{example}`"),
            });
            return None;
        }
        let arity = |scope: &mut Scope, expected: &str| {
            scope.errors.push(CheckError::BadCall {
                message: match args.len() {
                    0 => format!("`{name}` takes {expected}, but none was given"),
                    1 => format!("`{name}` takes {expected}, but 1 was given"),
                    n => format!("`{name}` takes {expected}, but {n} were given"),
                },
                span,
                help: None,
            });
        };
        match name {
            "age_on" | "months_between" | "days_between" => {
                if args.len() != 2 {
                    arity(self, "two dates");
                    return None;
                }
                let a = self.expr(&args[0], None);
                let b = self.expr(&args[1], None);
                let (a, b) = (a?, b?);
                for (checked, arg) in [(&a, &args[0]), (&b, &args[1])] {
                    if checked.ty != Type::Date {
                        self.errors.push(CheckError::TypeMismatch {
                            expected: "a date".into(),
                            found: self.type_name(checked.ty),
                            span: arg.span,
                            help: None,
                        });
                        return None;
                    }
                }
                let nullable = a.nullable || b.nullable;
                let (a, b) = (Box::new(a), Box::new(b));
                let kind = match name {
                    "age_on" => ExprKind::AgeOn { birth: a, on: b },
                    "months_between" => ExprKind::MonthsBetween { from: a, to: b },
                    _ => ExprKind::DaysBetween { from: a, to: b },
                };
                Some(self.expr_at(kind, Type::Int, nullable))
            }
            "text" => {
                if args.len() != 1 {
                    arity(self, "one whole number");
                    return None;
                }
                let number = self.expr(&args[0], None)?;
                if number.ty != Type::Int {
                    self.errors.push(CheckError::TypeMismatch {
                        expected: "int".into(),
                        found: self.type_name(number.ty),
                        span: args[0].span,
                        help: Some("`text(n)` writes a whole number's digits: `text(applicant.grade)` is \"3\" for 3".into()),
                    });
                    return None;
                }
                let nullable = number.nullable;
                Some(self.expr_at(ExprKind::NumberText(Box::new(number)), Type::Text, nullable))
            }
            "min" | "max" => {
                // Arguments that are not number literals first: their type
                // tells a literal whether it is money or a decimal.
                let mut checked: Vec<Option<ir::Expr>> = vec![None; args.len()];
                let mut hint = None;
                for (slot, arg) in checked.iter_mut().zip(args) {
                    if !self.takes_type_from_context(arg) {
                        *slot = self.expr(arg, None);
                        hint = hint.or(slot.as_ref().map(|c| c.ty));
                    }
                }
                for (slot, arg) in checked.iter_mut().zip(args) {
                    if self.takes_type_from_context(arg) {
                        *slot = self.expr(arg, hint);
                    }
                }
                let mut checked: Vec<ir::Expr> = checked.into_iter().collect::<Option<_>>()?;
                // Whole numbers and decimals meet at the largest scale.
                let scales: Option<Vec<u8>> = checked.iter().map(|c| scale_of(c.ty)).collect();
                if let Some(top) = scales.and_then(|s| s.into_iter().max()) {
                    if checked.iter().any(|c| matches!(c.ty, Type::Decimal(_))) {
                        checked = checked
                            .into_iter()
                            .map(|c| {
                                let from = scale_of(c.ty).unwrap_or(top);
                                rescaled(c, top - from, top)
                            })
                            .collect();
                    }
                }
                let ty = checked[0].ty;
                if !matches!(ty, Type::Int | Type::Money | Type::Decimal(_) | Type::Date) {
                    self.errors.push(CheckError::BadOperator {
                        message: format!("`{name}` does not apply to {}", self.type_name(ty)),
                        span,
                        help: Some("`min` and `max` compare numbers, money or dates".into()),
                    });
                    return None;
                }
                for (c, arg) in checked.iter().zip(args) {
                    if c.ty != ty {
                        self.errors.push(CheckError::TypeMismatch {
                            expected: self.type_name(ty),
                            found: self.type_name(c.ty),
                            span: arg.span,
                            help: Some(format!(
                                "all arguments of `{name}` must have the same type"
                            )),
                        });
                        return None;
                    }
                }
                let nullable = checked.iter().any(|c| c.nullable);
                let kind = if name == "min" {
                    ExprKind::Least(checked)
                } else {
                    ExprKind::Greatest(checked)
                };
                Some(self.expr_at(kind, ty, nullable))
            }
            "today" | "now" => {
                self.errors.push(CheckError::BadCall {
                    message: format!("there is no `{name}()`"),
                    span: function.span,
                    help: Some("rules use `application_date`, so the same application always gets the same decision".into()),
                });
                None
            }
            _ => {
                let suggestion = did_you_mean(name, FUNCTIONS.iter().copied());
                self.errors.push(CheckError::BadCall {
                    message: format!("unknown function `{name}`"),
                    span: function.span,
                    help: Some(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the functions are: {}", FUNCTIONS.join(", ")),
                    }),
                });
                None
            }
        }
    }

    fn aggregate(
        &mut self,
        kind: AggregateKind,
        value: Option<&ast::Expr>,
        var: &ast::Name,
        list: &ast::Name,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> Option<ir::Expr> {
        let name = kind.as_str();
        let (list_id, record) = match self.symbols.get(list.text.as_str()) {
            Some(&(Symbol::Fact(id), _)) => match self.facts[id].ty {
                Type::List(record) => {
                    self.used.insert(Symbol::Fact(id));
                    (id, record)
                }
                other => {
                    let found = self.type_name(other);
                    self.errors.push(CheckError::BadAggregate {
                        message: format!("`{name}` needs a list, but `{}` is {found}", list.text),
                        span: list.span,
                        help: "aggregates run over facts declared as `list of { … }`".into(),
                    });
                    return None;
                }
            },
            Some(_) => {
                self.errors.push(CheckError::BadAggregate {
                    message: format!(
                        "`{name}` needs a list fact, but `{}` is a definition",
                        list.text
                    ),
                    span: list.span,
                    help: "aggregates run over facts declared as `list of { … }`".into(),
                });
                return None;
            }
            None => {
                self.unknown_name(&list.text, list.span, false);
                return None;
            }
        };
        match (kind, value) {
            (AggregateKind::Count, Some(value)) => {
                self.errors.push(CheckError::BadAggregate {
                    message: "`count` counts records and takes no value".into(),
                    span: value.span,
                    help: format!("write `count({} in {} where …)`", var.text, list.text),
                });
                return None;
            }
            (AggregateKind::Count, None) => {}
            (_, None) => {
                self.errors.push(CheckError::BadAggregate {
                    message: format!(
                        "`{name}` needs the value to {}",
                        if matches!(kind, AggregateKind::Any | AggregateKind::All) {
                            "test"
                        } else {
                            "add up or compare"
                        }
                    ),
                    span,
                    help: format!(
                        "write `{name}({}.field for {} in {})`",
                        var.text, var.text, list.text
                    ),
                });
                return None;
            }
            _ => {}
        }
        let var_id = self.var_count;
        self.var_count += 1;
        self.vars.push(Var {
            name: var.text.clone(),
            id: var_id,
            record,
            list: list.text.clone(),
        });
        let filter_checked = filter.map(|f| self.condition(f, "the `where` filter"));
        let value_checked = value.map(|v| self.expr(v, None));
        self.vars.pop();
        let filter_checked = match filter_checked {
            Some(Some(f)) => Some(Box::new(f)),
            Some(None) => return None,
            None => None,
        };
        let value_checked = match value_checked {
            Some(Some(v)) => Some(Box::new(v)),
            Some(None) => return None,
            None => None,
        };
        let (ty, value_nullable) = match (&value_checked, kind) {
            (None, _) => (Type::Int, false),
            (Some(v), AggregateKind::Sum)
                if matches!(v.ty, Type::Int | Type::Money | Type::Decimal(_)) =>
            {
                (v.ty, v.nullable)
            }
            (Some(v), AggregateKind::Min | AggregateKind::Max)
                if matches!(
                    v.ty,
                    Type::Int | Type::Money | Type::Decimal(_) | Type::Date
                ) =>
            {
                (v.ty, true)
            }
            (Some(v), AggregateKind::Any | AggregateKind::All) if v.ty == Type::Bool => {
                (Type::Bool, v.nullable)
            }
            (Some(v), _) => {
                let expected = match kind {
                    AggregateKind::Sum => "a number or money",
                    AggregateKind::Min | AggregateKind::Max => "a number, money or a date",
                    _ => "a condition",
                };
                self.errors.push(CheckError::BadAggregate {
                    message: format!("`{name}` needs {expected}, but the value is {}", self.type_name(v.ty)),
                    span: value.map_or(span, |v| v.span),
                    help: "`sum` adds numbers or money; `min`/`max` pick among numbers, money or dates; `any`/`all` test conditions".to_string(),
                });
                return None;
            }
        };
        let nullable = value_nullable || filter_checked.as_ref().is_some_and(|f| f.nullable);
        Some(self.expr_at(
            ExprKind::Aggregate {
                kind,
                list: list_id,
                var: var_id,
                filter: filter_checked,
                value: value_checked,
            },
            ty,
            nullable,
        ))
    }
}

/// The number of decimals of a whole number or a decimal; none for others.
pub(super) fn scale_of(ty: Type) -> Option<u8> {
    match ty {
        Type::Int => Some(0),
        Type::Decimal(scale) => Some(scale),
        _ => None,
    }
}

/// `expr` × 10^`by`, as a decimal of `scale` (overflow is an evaluation
/// error, as for every product).
pub(super) fn rescaled(expr: ir::Expr, by: u8, scale: u8) -> ir::Expr {
    if by == 0 {
        return ir::Expr {
            ty: Type::Decimal(scale),
            ..expr
        };
    }
    let nullable = expr.nullable;
    ir::Expr {
        kind: ExprKind::Arith {
            op: ArithOp::Mul,
            lhs: Box::new(expr),
            rhs: Box::new(ir::Expr {
                kind: ExprKind::Literal(Literal::Int(10_i64.pow(u32::from(by)))),
                ty: Type::Int,
                nullable: false,
            }),
        },
        ty: Type::Decimal(scale),
        nullable,
    }
}

/// Brings a whole number and a decimal, or two decimals, to the larger
/// scale, exactly (`90` beside `decimal(2)` is `90.00`); other pairs are
/// returned as they are.
fn same_scale(l: ir::Expr, r: ir::Expr) -> (ir::Expr, ir::Expr) {
    match (scale_of(l.ty), scale_of(r.ty)) {
        (Some(a), Some(b)) if l.ty != r.ty => {
            let scale = a.max(b);
            (rescaled(l, scale - a, scale), rescaled(r, scale - b, scale))
        }
        _ => (l, r),
    }
}

fn strip_parens(expr: &ast::Expr) -> &ast::Expr {
    match &expr.kind {
        ast::ExprKind::Paren(inner) => strip_parens(inner),
        _ => expr,
    }
}

/// How to write `literal` as a value of `ty`, when the mistake is a usual one.
pub fn literal_help(literal: &LiteralKind, ty: Type) -> Option<String> {
    match (literal, ty) {
        (LiteralKind::Int(n), Type::Money) => Some(format!("write money with two decimals: `{n}.00`")),
        (LiteralKind::Decimal { percent: true, .. }, Type::Money) => {
            Some("a percent is a share, not an amount: multiply money by it (`standard * 30% round half_up`)".into())
        }
        (LiteralKind::Decimal { .. } | LiteralKind::Money(_), Type::Money | Type::Decimal(_)) => {
            Some(match ty {
                Type::Decimal(scale) => format!("this value holds at most {scale} decimals"),
                _ => "money is counted in whole fen: two decimals at most".into(),
            })
        }
        _ => None,
    }
}

/// A literal as a value of `expected` when it is one exactly: a number with
/// a point is money or a decimal of the expected scale, a whole number is a
/// decimal. Otherwise the literal's own type, which the caller then finds
/// does not match: `1255.005` is never money, `5` never money, `30%` never
/// money.
pub fn literal_ir_as(literal: &LiteralKind, expected: Option<Type>) -> Literal {
    let at_scale = |units: i64, from: u8, to: u8| -> Option<i64> {
        if to >= from {
            units.checked_mul(10_i64.checked_pow(u32::from(to - from))?)
        } else {
            let divisor = 10_i64.checked_pow(u32::from(from - to))?;
            (units % divisor == 0).then_some(units / divisor)
        }
    };
    match (literal, expected) {
        (LiteralKind::Int(n), Some(Type::Decimal(scale))) => match at_scale(*n, 0, scale) {
            Some(units) => Literal::Decimal { units, scale },
            None => Literal::Int(*n),
        },
        (LiteralKind::Money(fen), Some(Type::Decimal(scale))) => match at_scale(*fen, 2, scale) {
            Some(units) => Literal::Decimal { units, scale },
            None => Literal::Money(*fen),
        },
        (
            LiteralKind::Decimal {
                units, scale: from, ..
            },
            Some(Type::Decimal(to)),
        ) => match at_scale(*units, *from, to) {
            Some(units) => Literal::Decimal { units, scale: to },
            None => Literal::Decimal {
                units: *units,
                scale: *from,
            },
        },
        (
            LiteralKind::Decimal {
                units,
                scale,
                percent: false,
            },
            Some(Type::Money),
        ) => match at_scale(*units, *scale, 2) {
            Some(fen) => Literal::Money(fen),
            None => Literal::Decimal {
                units: *units,
                scale: *scale,
            },
        },
        (LiteralKind::Bool(b), _) => Literal::Bool(*b),
        (LiteralKind::Int(n), _) => Literal::Int(*n),
        (LiteralKind::Money(n), _) => Literal::Money(*n),
        (LiteralKind::Decimal { units, scale, .. }, _) => Literal::Decimal {
            units: *units,
            scale: *scale,
        },
        (LiteralKind::Date(d), _) => Literal::Date(*d),
        (LiteralKind::Text(t), _) => Literal::Text(t.clone()),
    }
}

pub fn literal_type(literal: &Literal) -> Type {
    match literal {
        Literal::Bool(_) => Type::Bool,
        Literal::Int(_) => Type::Int,
        Literal::Money(_) => Type::Money,
        Literal::Decimal { scale, .. } => Type::Decimal(*scale),
        Literal::Date(_) => Type::Date,
        Literal::Text(_) => Type::Text,
        Literal::Enum { ty, .. } => Type::Enum(*ty),
    }
}

/// The names an expression refers to (for the dependency order), ignoring
/// the fields of aggregate variables.
pub fn references(expr: &ast::Expr, out: &mut Vec<(String, Span)>) {
    let mut bound: Vec<String> = Vec::new();
    collect_references(expr, &mut bound, out);
}

fn collect_references(expr: &ast::Expr, bound: &mut Vec<String>, out: &mut Vec<(String, Span)>) {
    use ast::ExprKind as A;
    match &expr.kind {
        A::Path(path) => {
            let first = path.split('.').next().unwrap_or(path);
            if !bound.iter().any(|b| b == first) {
                out.push((path.clone(), expr.span));
            }
        }
        A::Literal(_) | A::Error => {}
        A::Paren(e) | A::Not(e) | A::Neg(e) => collect_references(e, bound, out),
        A::Or(es) | A::And(es) | A::Set(es) => {
            es.iter().for_each(|e| collect_references(e, bound, out))
        }
        A::Call { args, .. } => args.iter().for_each(|e| collect_references(e, bound, out)),
        A::Compare { lhs, rhs, .. } | A::Arith { lhs, rhs, .. } => {
            collect_references(lhs, bound, out);
            collect_references(rhs, bound, out);
        }
        A::In { element, set, .. } => {
            collect_references(element, bound, out);
            collect_references(set, bound, out);
        }
        A::Index { base, key } => {
            collect_references(base, bound, out);
            collect_references(key, bound, out);
        }
        A::Duration { amount, .. } => collect_references(amount, bound, out),
        A::If {
            condition,
            then,
            otherwise,
        } => {
            collect_references(condition, bound, out);
            collect_references(then, bound, out);
            collect_references(otherwise, bound, out);
        }
        A::Aggregate {
            value,
            var,
            list,
            filter,
            ..
        } => {
            out.push((list.text.clone(), list.span));
            bound.push(var.text.clone());
            if let Some(v) = value {
                collect_references(v, bound, out);
            }
            if let Some(f) = filter {
                collect_references(f, bound, out);
            }
            bound.pop();
        }
    }
}
