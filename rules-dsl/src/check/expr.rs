//! Expressions: AST → typed IR, with name resolution and Kleene nullability.
//!
//! A sub-expression with an error yields `None`; its parents give up quietly,
//! so one mistake produces one message rather than a cascade.

use std::collections::{HashMap, HashSet};

use super::error::{CheckError, did_you_mean as suggest, listed};
use crate::diagnostic::{Span, did_you_mean};
use crate::ir::{self, ArithOp, ExprKind, Literal, Rounding, SetOperand, Type};
use crate::lang::Words;
use crate::syntax::MAX_DECIMALS;
use crate::syntax::ast::{self, AggregateKind, CompareOp, LiteralKind, TimeUnit};
use crate::words;

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
    /// Each parameter's type and the types of its keys.
    pub params: Vec<(Type, Vec<Type>)>,
    /// Each parameter's entries' keys, to check an enum used as a text key.
    pub param_keys: Vec<Vec<Vec<Literal>>>,
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

    /// A type as messages name it: `金额` / `money`, `枚举 { a, b }` /
    /// `enum { a, b }`.
    pub fn type_name(&self, ty: Type) -> Words {
        match ty {
            Type::Bool => Words::new("布尔值", "bool"),
            Type::Int => Words::new("整数", "int"),
            Type::Money => Words::new("金额", "money"),
            Type::Decimal(scale) => words!("小数（{scale}位）", "decimal({scale})"),
            Type::Date => Words::new("日期", "date"),
            Type::Text => Words::new("文本", "text"),
            Type::Set => Words::new("文本集合", "set of text"),
            Type::Enum(id) => match self.enums.get(id) {
                Some(e) => {
                    let variants = e.variants.join(", ");
                    words!("枚举 {{ {variants} }}", "enum {{ {variants} }}")
                }
                None => Words::new("枚举", "enum"),
            },
            Type::List(id) => match self.records.get(id) {
                Some(r) => Words::by(|lang| {
                    let fields: Vec<String> = r
                        .fields
                        .iter()
                        .map(|f| format!("{}: {}", f.name, self.type_name(f.ty).get(lang)))
                        .collect();
                    match lang {
                        crate::lang::Lang::Zh => format!("列表 {{ {} }}", fields.join(", ")),
                        crate::lang::Lang::En => format!("list of {{ {} }}", fields.join(", ")),
                    }
                }),
                None => Words::new("列表", "list"),
            },
        }
    }

    fn expr_at(&self, kind: ExprKind, ty: Type, nullable: bool) -> ir::Expr {
        ir::Expr { kind, ty, nullable }
    }

    /// Checks a condition: an expression that must be a bool.
    /// `what` names it in the message: "each side of `and`".
    pub fn condition(&mut self, expr: &ast::Expr, what: &Words) -> Option<ir::Expr> {
        let checked = self.expr(expr, None)?;
        if checked.ty != Type::Bool {
            self.errors.push(CheckError::NotACondition {
                what: what.clone(),
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
                let what = words!("`not`的操作数", "the operand of `not`");
                let inner = self.condition(inner, &what)?;
                let nullable = inner.nullable;
                Some(self.expr_at(ExprKind::Not(Box::new(inner)), Type::Bool, nullable))
            }
            A::And(operands) | A::Or(operands) => {
                let what = if matches!(expr.kind, A::And(_)) {
                    words!("`and`的每一边", "each side of `and`")
                } else {
                    words!("`or`的每一边", "each side of `or`")
                };
                let mut checked = Vec::with_capacity(operands.len());
                let mut failed = false;
                for operand in operands {
                    match self.condition(operand, &what) {
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
                        message: words!(
                            "`-`不能用于{ty}",
                            "`-` cannot negate {ty}",
                            ty = self.type_name(inner.ty)
                        ),
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
                    message: words!(
                        "时长只能加到日期上或从日期中减去",
                        "a duration can only be added to or subtracted from a date"
                    ),
                    span,
                    help: Some(words!(
                        "写作`some_date + 6 months`；计算两个日期之间的时间请用`months_between(a, b)`或`days_between(a, b)`",
                        "write `some_date + 6 months`; to count time between dates use `months_between(a, b)` or `days_between(a, b)`"
                    )),
                });
                None
            }
            A::Index { base, keys } => self.param_lookup(base, keys, span),
            A::If {
                condition,
                then,
                otherwise,
            } => {
                let condition =
                    self.condition(condition, &words!("`if`的条件", "the condition of `if`"));
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
                    message: words!(
                        "花括号中的集合只能写在`in`后面",
                        "a set in braces can only follow `in`"
                    ),
                    span,
                    help: Some(words!(
                        "写作`x in {{\"a\", \"b\"}}`",
                        "write `x in {{\"a\", \"b\"}}`"
                    )),
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
                Symbol::Param(_) => self.param_lookup_by_name(path, span, &[]),
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
                message: words!("没有`today`", "there is no `today`"),
                span,
                help: Some(same_decision()),
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
                    message: words!(
                        "`{name}`不是{ty}中的值",
                        "`{name}` is not one of the values {ty}",
                        ty = self.type_name(Type::Enum(enum_id))
                    ),
                    span,
                    help: Some(match suggestion {
                        Some(s) => suggest(&s),
                        None => words!(
                            "可用的值有：{values}",
                            "the values are: {values}",
                            values = listed(&variants)
                        ),
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
            let field = self.first_field(record_id);
            self.errors.push(CheckError::BadOperator {
                message: words!(
                    "`{path}`代表`{list}`中的一整条记录",
                    "`{path}` stands for a whole record of `{list}`"
                ),
                span,
                help: Some(words!(
                    "请使用它的某个字段，例如`{path}.{field}`",
                    "use one of its fields, for example `{path}.{field}`"
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
        keys: &[ast::Expr],
        span: Span,
    ) -> Option<ir::Expr> {
        let ast::ExprKind::Path(name) = &base.kind else {
            self.errors.push(CheckError::BadParamLookup {
                message: words!(
                    "只有参数可以用`[…]`查询",
                    "only a parameter can be looked up with `[…]`"
                ),
                span,
                help: words!(
                    "声明一个按键取值的参数：`param name[text]: money {{ \"key\" from 2024-01-01 = 100.00 }}`",
                    "declare a keyed parameter: `param name[text]: money {{ \"key\" from 2024-01-01 = 100.00 }}`"
                ),
            });
            return None;
        };
        match self.symbols.get(name.as_str()) {
            Some(&(Symbol::Param(_), _)) => self.param_lookup_by_name(name, span, keys),
            Some(_) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: words!(
                        "`{name}`不是参数，不能用`[…]`查询",
                        "`{name}` is not a parameter, so it cannot be looked up with `[…]`"
                    ),
                    span,
                    help: words!(
                        "只有按键取值的参数才能写`[key]`",
                        "only keyed parameters take `[key]`"
                    ),
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
        keys: &[ast::Expr],
    ) -> Option<ir::Expr> {
        let &(symbol, _) = self.symbols.get(name)?;
        let Symbol::Param(id) = symbol else {
            return None;
        };
        self.used.insert(symbol);
        if self.poisoned.contains(name) {
            return None;
        }
        let (ty, key_types) = self.params.get(id)?.clone();
        match (key_types.len(), keys.len()) {
            (0, 0) => Some(self.expr_at(
                ExprKind::Param {
                    param: id,
                    keys: Vec::new(),
                },
                ty,
                true,
            )),
            (expected, 0) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: words!(
                        "参数`{name}`按键取值，但没有给出键",
                        "parameter `{name}` has a value per key, but no key is given"
                    ),
                    span,
                    help: if expected == 1 {
                        words!(
                            "写作`{name}[key]`，例如`{name}[applicant.county]`",
                            "write `{name}[key]`, for example `{name}[applicant.county]`"
                        )
                    } else {
                        words!(
                            "写出全部{expected}个键，例如`{name}[applicant.county, applicant.grade]`",
                            "give all {expected} keys, for example `{name}[applicant.county, applicant.grade]`"
                        )
                    },
                });
                None
            }
            (0, _) => {
                self.errors.push(CheckError::BadParamLookup {
                    message: words!("参数`{name}`没有键", "parameter `{name}` has no keys"),
                    span,
                    help: words!("直接写`{name}`", "write just `{name}`"),
                });
                None
            }
            (expected, given) if expected != given => {
                self.errors.push(CheckError::BadParamLookup {
                    message: words!(
                        "参数`{name}`有{expected}个键，这里给出了{given}个",
                        "parameter `{name}` has {expected} keys, {given} given here"
                    ),
                    span,
                    help: words!(
                        "按声明的顺序写出每个键，用逗号分隔",
                        "give every key in the declared order, separated by commas"
                    ),
                });
                None
            }
            _ => {
                let mut checked = Vec::with_capacity(keys.len());
                for (position, (key, &key_ty)) in keys.iter().zip(&key_types).enumerate() {
                    let key_expr = self.expr(key, Some(key_ty))?;
                    // An enum value keys a text-keyed parameter by its name;
                    // every entry's key must then be one of the names.
                    if let (Type::Text, Type::Enum(enum_id)) = (key_ty, key_expr.ty) {
                        let variants = self.enums[enum_id].variants.clone();
                        let stray = self.param_keys.get(id).and_then(|entries| {
                            entries.iter().find_map(|keys| match keys.get(position) {
                                Some(Literal::Text(text)) if !variants.contains(text) => {
                                    Some(text.clone())
                                }
                                _ => None,
                            })
                        });
                        if let Some(stray) = stray {
                            self.errors.push(CheckError::BadParamLookup {
                                message: words!(
                                    "参数`{name}`的键\"{stray}\"不是{ty}的值",
                                    "the key \"{stray}\" of parameter `{name}` is not a value of {ty}",
                                    ty = self.type_name(key_expr.ty)
                                ),
                                span: key.span,
                                help: words!(
                                    "用枚举值的名称作键，如\"{first}\"",
                                    "key the entries by the enum's value names, such as \"{first}\"",
                                    first = variants.first().cloned().unwrap_or_default()
                                ),
                            });
                            return None;
                        }
                        let nullable = key_expr.nullable;
                        checked.push(self.expr_at(
                            ExprKind::EnumText(Box::new(key_expr)),
                            Type::Text,
                            nullable,
                        ));
                        continue;
                    }
                    if key_expr.ty != key_ty {
                        let help = (key_ty == Type::Text && key_expr.ty == Type::Int).then(|| {
                            words!(
                                "键是文本：用`text(n)`把整数写成文本",
                                "the key is text: write a whole number as text with `text(n)`"
                            )
                        });
                        self.errors.push(CheckError::TypeMismatch {
                            expected: words!(
                                "{ty}（参数的键）",
                                "{ty} (the parameter's key)",
                                ty = self.type_name(key_ty)
                            ),
                            found: self.type_name(key_expr.ty),
                            span: key.span,
                            help,
                        });
                        return None;
                    }
                    checked.push(key_expr);
                }
                Some(self.expr_at(
                    ExprKind::Param {
                        param: id,
                        keys: checked,
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
            } else if let Some((name, kind, at)) = self
                .shadowed_variant(l.ty, rhs)
                .or_else(|| self.shadowed_variant(r.ty, lhs))
            {
                // `housing == rented` where a `let rented` hides the enum value.
                self.errors.push(CheckError::BadEnum {
                    message: words!(
                        "这里的`{name}`是{kind}，它遮住了同名的枚举值`{name}`",
                        "`{name}` here is {kind}, which hides the enum value `{name}`",
                        kind = kind
                    ),
                    span: at,
                    help: Some(words!(
                        "给这个定义换一个名称（如`{name}_amount`），枚举值`{name}`就能直接使用",
                        "rename the definition (say `{name}_amount`) so that `{name}` means the enum value again"
                    )),
                });
            } else if let (Type::Enum(_), Type::Enum(_)) = (l.ty, r.ty) {
                self.errors.push(CheckError::BadEnum {
                    message: words!(
                        "{left}和{right}是不同的枚举，不能比较",
                        "{left} and {right} are different enums and cannot be compared",
                        left = self.type_name(l.ty),
                        right = self.type_name(r.ty)
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
                let op = op.as_str();
                let help = self
                    .quoted_variant(l.ty, rhs)
                    .map(|variant| {
                        words!(
                            "枚举值不加引号：`{variant}`",
                            "an enum value is written without quotes: `{variant}`"
                        )
                    })
                    .or_else(|| literal_side.and_then(|(literal, ty)| literal_help(literal, ty)))
                    .unwrap_or_else(|| {
                        words!(
                            "`{op}`两边的类型必须相同",
                            "both sides of `{op}` must have the same type"
                        )
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
                let op = op.as_str();
                self.errors.push(CheckError::BadOperator {
                    message: words!(
                        "{ty}没有大小之分，不能用`{op}`",
                        "{ty} values have no order, so `{op}` does not apply",
                        ty = self.type_name(l.ty)
                    ),
                    span,
                    help: Some(words!("请用`==`或`!=`", "use `==` or `!=`")),
                });
                return None;
            }
            Type::Set | Type::List(_) => {
                let op = op.as_str();
                self.errors.push(CheckError::BadOperator {
                    message: words!(
                        "{ty}不能用`{op}`比较",
                        "{ty} cannot be compared with `{op}`",
                        ty = self.type_name(l.ty)
                    ),
                    span,
                    help: Some(words!(
                        "用`in`判断是否属于集合，或对列表使用`count(…)`等聚合",
                        "use `in` to test membership, or an aggregate such as `count(…)` over a list"
                    )),
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

    /// When `expr` is a bare name that is a definition (a `let`, a rule, a
    /// table, a parameter) and also a value of the enum `ty`: the name, what
    /// it is, and where.
    fn shadowed_variant(&self, ty: Type, expr: &ast::Expr) -> Option<(String, Words, Span)> {
        let Type::Enum(id) = ty else {
            return None;
        };
        let expr = strip_parens(expr);
        let ast::ExprKind::Path(name) = &expr.kind else {
            return None;
        };
        if !self.enums.get(id)?.variants.contains(name) {
            return None;
        }
        let kind = match self.symbols.get(name.as_str())?.0 {
            Symbol::Let(_) => words!("一个`let`", "a `let`"),
            Symbol::Rule(_) => words!("一条规则", "a rule"),
            Symbol::Table(_) => words!("一张决策表", "a table"),
            Symbol::Param(_) => words!("一个参数", "a parameter"),
            Symbol::Fact(_) => return None,
        };
        Some((name.clone(), kind, expr.span))
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
            ast::ExprKind::Literal(LiteralKind::Int(n)) => money_with_decimals(*n),
            _ => words!(
                "金额精确到分；可以用数字乘以金额（`price * count`），或用带取整方式的除法",
                "money is exact to the fen; multiply a number by money (`price * count`) or divide with a rounding mode"
            ),
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
                    message: words!(
                        "`in`不适用于{ty}",
                        "`in` does not apply to {ty}",
                        ty = self.type_name(element_checked.ty)
                    ),
                    span: element.span,
                    help: Some(words!(
                        "`in`判断文本、枚举值或整数是否属于一个集合",
                        "`in` tests text, enum values or whole numbers against a set"
                    )),
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
                            help: Some(words!(
                                "集合中的每个值都必须与左边的类型相同",
                                "every value in the set must have the type of the left side"
                            )),
                        });
                        failed = true;
                    }
                    Some(_) => {
                        self.errors.push(CheckError::NotASet {
                            found: words!("含有计算值的集合", "a set with a computed value"),
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
                expected: self.type_name(Type::Text),
                found: self.type_name(element_checked.ty),
                span: element.span,
                help: Some(words!(
                    "`set of text`中存放的是文本",
                    "a `set of text` holds text"
                )),
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
        let mismatch = |scope: &mut Scope, help: Option<Words>| {
            let message = words!(
                "`{op_text}`不适用于{left}和{right}",
                "`{op_text}` does not apply to {left} and {right}",
                left = scope.type_name(l_ty),
                right = scope.type_name(r_ty)
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
                message: words!(
                    "只有除法、或乘以小数或百分比的乘法才需要取整",
                    "only a division, or a product with a decimal or a percent, is rounded"
                ),
                span,
                help: Some(words!(
                    "删除`round …`：这个结果是精确的",
                    "remove `round …`: this result is exact"
                )),
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
                        mismatch(
                            self,
                            Some(words!(
                                "计算两个日期之间的时间请用`days_between(a, b)`或`months_between(a, b)`",
                                "count the time between dates with `days_between(a, b)` or `months_between(a, b)`"
                            )),
                        );
                        None
                    }
                    (Type::Date, Type::Int) => {
                        mismatch(
                            self,
                            Some(words!(
                                "写明单位：`some_date + 30 days`（或`months`、`years`）",
                                "say the unit: `some_date + 30 days` (or `months`, `years`)"
                            )),
                        );
                        None
                    }
                    (Type::Money, Type::Decimal(_)) | (Type::Decimal(_), Type::Money) => {
                        mismatch(
                            self,
                            Some(words!(
                                "金额和小数计量的不是同一种东西；金额请写成金额（`12.50`）",
                                "money and a decimal measure different things; write the amount as money (`12.50`)"
                            )),
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
                            Some(words!(
                                "金额只能乘以整数、小数或百分比，不能乘以金额",
                                "money can be multiplied by a whole number, a decimal or a percent, not by money"
                            )),
                        );
                        None
                    }
                    (Type::Int, Type::Decimal(scale), None) => {
                        Some(arith(ArithOp::Mul, l, r, Type::Decimal(scale)))
                    }
                    (Type::Decimal(a), Type::Decimal(b), None) => {
                        if a + b > MAX_DECIMALS {
                            self.errors.push(CheckError::BadOperator {
                                message: {
                                    let digits = a + b;
                                    words!(
                                        "乘积有{digits}位小数，超过了数值最多的{MAX_DECIMALS}位",
                                        "the product has {digits} decimals, more than the {MAX_DECIMALS} a number holds"
                                    )
                                },
                                span,
                                help: Some(words!(
                                    "请取整：`a * b round half_up`保留`a`的小数位数",
                                    "round it: `a * b round half_up` keeps the decimals of `a`"
                                )),
                            });
                            return None;
                        }
                        Some(arith(ArithOp::Mul, l, r, Type::Decimal(a + b)))
                    }
                    (Type::Money, Type::Decimal(_), None) => {
                        self.errors.push(CheckError::BadOperator {
                            message: words!(
                                "金额乘以小数或百分比可能出现不足一分的零头",
                                "money times a decimal or a percent can leave a fraction of a fen"
                            ),
                            span,
                            help: Some(words!(
                                "写明如何取整到分：`standard * 30% round half_up`（也可用`down`、`up`、`half_even`）",
                                "say how to round it to the fen: `standard * 30% round half_up` (also `down`, `up`, `half_even`)"
                            )),
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
            let unit = unit.as_str();
            self.errors.push(CheckError::TypeMismatch {
                expected: words!("日期", "a date"),
                found: self.type_name(d.ty),
                span: date.span,
                help: Some(words!(
                    "`{unit}`只能加到日期上",
                    "`{unit}` can only be added to a date"
                )),
            });
            return None;
        }
        if a.ty != Type::Int {
            let unit = unit.as_str();
            self.errors.push(CheckError::TypeMismatch {
                expected: words!("整数", "a whole number"),
                found: self.type_name(a.ty),
                span: amount.span,
                help: Some(words!(
                    "`{unit}`的数量必须是整数",
                    "the number of {unit} must be a whole number"
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
                message: words!(
                    "`{name}`是对列表的聚合",
                    "`{name}` is an aggregate over a list"
                ),
                span,
                help: words!("写作`{example}`", "write it as `{example}`"),
            });
            return None;
        }
        let arity = |scope: &mut Scope, expected: Words| {
            let given = args.len();
            scope.errors.push(CheckError::BadCall {
                message: match given {
                    0 => words!(
                        "`{name}`需要{expected}，但没有给出参数",
                        "`{name}` takes {expected}, but none was given",
                        expected = expected
                    ),
                    1 => words!(
                        "`{name}`需要{expected}，但只给出了 1 个",
                        "`{name}` takes {expected}, but 1 was given",
                        expected = expected
                    ),
                    n => words!(
                        "`{name}`需要{expected}，但给出了{n}个",
                        "`{name}` takes {expected}, but {n} were given",
                        expected = expected
                    ),
                },
                span,
                help: None,
            });
        };
        match name {
            "age_on" | "months_between" | "days_between" => {
                if args.len() != 2 {
                    arity(self, words!("两个日期", "two dates"));
                    return None;
                }
                let a = self.expr(&args[0], None);
                let b = self.expr(&args[1], None);
                let (a, b) = (a?, b?);
                for (checked, arg) in [(&a, &args[0]), (&b, &args[1])] {
                    if checked.ty != Type::Date {
                        self.errors.push(CheckError::TypeMismatch {
                            expected: words!("日期", "a date"),
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
                    arity(self, words!("一个整数", "one whole number"));
                    return None;
                }
                let number = self.expr(&args[0], None)?;
                if number.ty != Type::Int {
                    self.errors.push(CheckError::TypeMismatch {
                        expected: self.type_name(Type::Int),
                        found: self.type_name(number.ty),
                        span: args[0].span,
                        help: Some(words!(
                            "`text(n)`把整数写成数字文本：等级为 3 时`text(applicant.grade)`是\"3\"",
                            "`text(n)` writes a whole number's digits: `text(applicant.grade)` is \"3\" for 3"
                        )),
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
                        message: words!(
                            "`{name}`不适用于{ty}",
                            "`{name}` does not apply to {ty}",
                            ty = self.type_name(ty)
                        ),
                        span,
                        help: Some(words!(
                            "`min`和`max`比较的是数字、金额或日期",
                            "`min` and `max` compare numbers, money or dates"
                        )),
                    });
                    return None;
                }
                for (c, arg) in checked.iter().zip(args) {
                    if c.ty != ty {
                        self.errors.push(CheckError::TypeMismatch {
                            expected: self.type_name(ty),
                            found: self.type_name(c.ty),
                            span: arg.span,
                            help: Some(words!(
                                "`{name}`的所有参数类型必须相同",
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
                    message: words!("没有`{name}()`", "there is no `{name}()`"),
                    span: function.span,
                    help: Some(same_decision()),
                });
                None
            }
            _ => {
                let suggestion = did_you_mean(name, FUNCTIONS.iter().copied());
                let functions: Vec<String> = FUNCTIONS.iter().map(|f| f.to_string()).collect();
                self.errors.push(CheckError::BadCall {
                    message: words!("未知的函数`{name}`", "unknown function `{name}`"),
                    span: function.span,
                    help: Some(match suggestion {
                        Some(s) => suggest(&s),
                        None => words!(
                            "可用的函数有：{functions}",
                            "the functions are: {functions}",
                            functions = listed(&functions)
                        ),
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
                    let list_name = &list.text;
                    self.errors.push(CheckError::BadAggregate {
                        message: words!(
                            "`{name}`需要列表，但`{list_name}`是{found}",
                            "`{name}` needs a list, but `{list_name}` is {found}",
                            found = self.type_name(other)
                        ),
                        span: list.span,
                        help: aggregates_over_lists(),
                    });
                    return None;
                }
            },
            Some(_) => {
                let list_name = &list.text;
                self.errors.push(CheckError::BadAggregate {
                    message: words!(
                        "`{name}`需要列表类型的事实，但`{list_name}`是一个定义",
                        "`{name}` needs a list fact, but `{list_name}` is a definition"
                    ),
                    span: list.span,
                    help: aggregates_over_lists(),
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
                let (var, list) = (&var.text, &list.text);
                self.errors.push(CheckError::BadAggregate {
                    message: words!(
                        "`count`统计记录条数，不需要值",
                        "`count` counts records and takes no value"
                    ),
                    span: value.span,
                    help: words!(
                        "写作`count({var} in {list} where …)`",
                        "write `count({var} in {list} where …)`"
                    ),
                });
                return None;
            }
            (AggregateKind::Count, None) => {}
            (_, None) => {
                let (var, list) = (&var.text, &list.text);
                self.errors.push(CheckError::BadAggregate {
                    message: if matches!(kind, AggregateKind::Any | AggregateKind::All) {
                        words!(
                            "`{name}`需要写出要检验的值",
                            "`{name}` needs the value to test"
                        )
                    } else {
                        words!(
                            "`{name}`需要写出要累加或比较的值",
                            "`{name}` needs the value to add up or compare"
                        )
                    },
                    span,
                    help: words!(
                        "写作`{name}({var}.field for {var} in {list})`",
                        "write `{name}({var}.field for {var} in {list})`"
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
        let filter_checked =
            filter.map(|f| self.condition(f, &words!("`where`筛选条件", "the `where` filter")));
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
                    AggregateKind::Sum => words!("数字或金额", "a number or money"),
                    AggregateKind::Min | AggregateKind::Max => {
                        words!("数字、金额或日期", "a number, money or a date")
                    }
                    _ => words!("条件", "a condition"),
                };
                self.errors.push(CheckError::BadAggregate {
                    message: words!(
                        "`{name}`需要{expected}，但这个值是{found}",
                        "`{name}` needs {expected}, but the value is {found}",
                        expected = expected,
                        found = self.type_name(v.ty)
                    ),
                    span: value.map_or(span, |v| v.span),
                    help: words!(
                        "`sum`对数字或金额求和；`min`/`max`在数字、金额或日期中取值；`any`/`all`检验条件",
                        "`sum` adds numbers or money; `min`/`max` pick among numbers, money or dates; `any`/`all` test conditions"
                    ),
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
pub fn literal_help(literal: &LiteralKind, ty: Type) -> Option<Words> {
    match (literal, ty) {
        (LiteralKind::Int(n), Type::Money) => Some(money_with_decimals(*n)),
        (LiteralKind::Decimal { percent: true, .. }, Type::Money) => Some(words!(
            "百分比是比例，不是金额：用金额乘以它（`standard * 30% round half_up`）",
            "a percent is a share, not an amount: multiply money by it (`standard * 30% round half_up`)"
        )),
        (LiteralKind::Decimal { .. } | LiteralKind::Money(_), Type::Decimal(scale)) => {
            Some(words!(
                "这个值最多{scale}位小数",
                "this value holds at most {scale} decimals"
            ))
        }
        (LiteralKind::Decimal { .. } | LiteralKind::Money(_), Type::Money) => Some(words!(
            "金额以分为单位：最多两位小数",
            "money is counted in whole fen: two decimals at most"
        )),
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
        A::Index { base, keys } => {
            collect_references(base, bound, out);
            keys.iter().for_each(|k| collect_references(k, bound, out));
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
/// The help for `today` and `now`.
fn same_decision() -> Words {
    words!(
        "规则使用`application_date`，这样同一申请总能得到相同的判定结果",
        "rules use `application_date`, so the same application always gets the same decision"
    )
}

/// The help for an aggregate over something that is not a list.
fn aggregates_over_lists() -> Words {
    words!(
        "聚合只能作用于声明为`list of {{ … }}`的事实",
        "aggregates run over facts declared as `list of {{ … }}`"
    )
}

/// The help for a whole number where money is due: `write 100.00`.
pub fn money_with_decimals(n: i64) -> Words {
    words!(
        "金额要写两位小数：`{n}.00`",
        "write money with two decimals: `{n}.00`"
    )
}
