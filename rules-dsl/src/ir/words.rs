//! An expression in words, for applicants and clerks: a material's
//! condition ("住房情况为租赁住房"), a part of the eligibility that is not a
//! rule. Built from the titles the officer wrote (facts, list fields, enum
//! values, lets, tables, parameters, rules); a name without a title is shown
//! as written. The wording is plain and regular rather than literary: it must
//! never say something the expression does not.

use super::{
    AggregateKind, ArithOp, CompareOp, Expr, ExprKind, Literal, Policy, SetOperand, TimeUnit,
};
use crate::codec::{date_text, money_text};

/// `expr` in Chinese.
pub fn condition(policy: &Policy, expr: &Expr) -> String {
    let mut out = String::new();
    Words { policy }.write(&mut out, expr, false);
    out
}

struct Words<'p> {
    policy: &'p Policy,
}

fn title_or<'a>(title: &'a Option<String>, name: &'a str) -> &'a str {
    title.as_deref().unwrap_or(name)
}

impl Words<'_> {
    /// Writes `expr`; `nested` puts a group (and, or, if) in brackets.
    fn write(&self, out: &mut String, expr: &Expr, nested: bool) {
        let policy = self.policy;
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(out, literal),
            ExprKind::Fact(id) => {
                let fact = &policy.facts[*id];
                out.push_str(title_or(&fact.title, &fact.name));
            }
            ExprKind::Field { record, field, .. } => {
                let field = &policy.records[*record].fields[*field];
                out.push_str(title_or(&field.title, &field.name));
            }
            ExprKind::Let(id) => {
                let l = &policy.lets[*id];
                out.push_str(title_or(&l.title, &l.name));
            }
            ExprKind::Rule(id) => out.push_str(&policy.rules[*id].title),
            ExprKind::Table(id) => {
                let t = &policy.tables[*id];
                out.push_str(title_or(&t.title, &t.name));
            }
            ExprKind::Param { param, keys } => {
                let p = &policy.params[*param];
                out.push_str(title_or(&p.title, &p.name));
                if !keys.is_empty() {
                    out.push('（');
                    for (index, key) in keys.iter().enumerate() {
                        if index > 0 {
                            out.push('、');
                        }
                        self.write(out, key, false);
                    }
                    out.push('）');
                }
            }
            ExprKind::ApplicationDate => out.push_str("申请日期"),
            ExprKind::Not(inner) => {
                out.push_str("并非");
                self.write(out, inner, true);
            }
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let joint = if matches!(expr.kind, ExprKind::And(_)) {
                    "，且"
                } else {
                    "，或"
                };
                if nested {
                    out.push('（');
                }
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(joint);
                    }
                    self.write(out, part, true);
                }
                if nested {
                    out.push('）');
                }
            }
            ExprKind::Compare { op, lhs, rhs } => {
                self.write(out, lhs, true);
                out.push_str(match op {
                    CompareOp::Eq => "为",
                    CompareOp::Ne => "不为",
                    CompareOp::Lt => "小于",
                    CompareOp::Le => "不超过",
                    CompareOp::Gt => "大于",
                    CompareOp::Ge => "不少于",
                });
                self.write(out, rhs, true);
            }
            ExprKind::In {
                negated,
                element,
                set,
            } => {
                self.write(out, element, true);
                out.push_str(if *negated { "不为" } else { "为" });
                match set {
                    SetOperand::Literals(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if i > 0 {
                                out.push('、');
                            }
                            self.literal(out, item);
                        }
                        out.push_str("之一");
                    }
                    SetOperand::Value(set) => {
                        self.write(out, set, true);
                        out.push_str("中的一项");
                    }
                }
            }
            ExprKind::Arith { op, lhs, rhs } => {
                self.write(out, lhs, true);
                out.push_str(match op {
                    ArithOp::Add => "加",
                    ArithOp::Sub => "减",
                    ArithOp::Mul => "乘以",
                });
                self.write(out, rhs, true);
            }
            ExprKind::Div { lhs, rhs, .. } => {
                self.write(out, lhs, true);
                out.push_str("除以");
                self.write(out, rhs, true);
            }
            ExprKind::Neg(inner) => {
                out.push('负');
                self.write(out, inner, true);
            }
            ExprKind::NumberText(inner) | ExprKind::EnumText(inner) => {
                self.write(out, inner, nested)
            }
            ExprKind::DateAdd {
                date,
                amount,
                unit,
                subtract,
            } => {
                self.write(out, date, true);
                out.push_str(if *subtract { "前" } else { "后" });
                self.write(out, amount, true);
                out.push_str(match unit {
                    TimeUnit::Days => "天",
                    TimeUnit::Months => "个月",
                    TimeUnit::Years => "年",
                });
            }
            ExprKind::AgeOn { birth, on } => {
                out.push('按');
                self.write(out, birth, true);
                out.push_str("计算到");
                self.write(out, on, true);
                out.push_str("的周岁");
            }
            ExprKind::MonthsBetween { from, to } => {
                self.write(out, from, true);
                out.push('至');
                self.write(out, to, true);
                out.push_str("的整月数");
            }
            ExprKind::DaysBetween { from, to } => {
                self.write(out, from, true);
                out.push('至');
                self.write(out, to, true);
                out.push_str("的天数");
            }
            ExprKind::Least(parts) | ExprKind::Greatest(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push('、');
                    }
                    self.write(out, part, true);
                }
                out.push_str(if matches!(expr.kind, ExprKind::Least(_)) {
                    "中较小者"
                } else {
                    "中较大者"
                });
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                if nested {
                    out.push('（');
                }
                out.push('若');
                self.write(out, condition, true);
                out.push('则');
                self.write(out, then, true);
                out.push_str("，否则");
                self.write(out, otherwise, true);
                if nested {
                    out.push('）');
                }
            }
            ExprKind::Aggregate {
                kind,
                list,
                filter,
                value,
                ..
            } => {
                let fact = &policy.facts[*list];
                out.push_str(title_or(&fact.title, &fact.name));
                out.push('中');
                let filter_words = |out: &mut String| {
                    if let Some(filter) = filter {
                        self.write(out, filter, true);
                        out.push('的');
                    }
                };
                match kind {
                    AggregateKind::Count => {
                        filter_words(out);
                        out.push_str("项数");
                    }
                    AggregateKind::Any => {
                        out.push_str("有一项");
                        self.element(out, filter.as_deref(), value.as_deref(), "且");
                    }
                    AggregateKind::All => {
                        if let Some(filter) = filter {
                            out.push('凡');
                            self.write(out, filter, true);
                            out.push_str("的项都");
                        } else {
                            out.push_str("每一项都");
                        }
                        self.element(out, None, value.as_deref(), "");
                    }
                    AggregateKind::Sum | AggregateKind::Min | AggregateKind::Max => {
                        filter_words(out);
                        if let Some(value) = value {
                            self.write(out, value, true);
                        }
                        out.push_str(match kind {
                            AggregateKind::Sum => "之和",
                            AggregateKind::Min => "的最小值",
                            _ => "的最大值",
                        });
                    }
                }
            }
        }
    }

    /// What an element of `any`/`all` must satisfy: its filter and its
    /// value, joined by `joint`.
    fn element(&self, out: &mut String, filter: Option<&Expr>, value: Option<&Expr>, joint: &str) {
        match (filter, value) {
            (Some(filter), Some(value)) => {
                self.write(out, filter, true);
                out.push_str(joint);
                self.write(out, value, true);
            }
            (Some(only), None) | (None, Some(only)) => self.write(out, only, true),
            (None, None) => out.push_str("存在"),
        }
    }

    fn literal(&self, out: &mut String, literal: &Literal) {
        match literal {
            Literal::Bool(true) => out.push('是'),
            Literal::Bool(false) => out.push('否'),
            Literal::Int(n) => out.push_str(&n.to_string()),
            Literal::Money(fen) => {
                out.push_str(&money_text(*fen));
                out.push('元');
            }
            Literal::Decimal { units, scale } => {
                out.push_str(&crate::codec::decimal_text(*units, *scale))
            }
            Literal::Date(date) => {
                let days = crate::calendar::days_from_date(*date);
                let text = date_text(days);
                let mut parts = text.split('-');
                let (y, m, d) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default().trim_start_matches('0'),
                    parts.next().unwrap_or_default().trim_start_matches('0'),
                );
                out.push_str(&format!("{y}年{m}月{d}日"));
            }
            Literal::Text(text) => {
                out.push('“');
                out.push_str(text);
                out.push('”');
            }
            Literal::Enum { ty, variant } => {
                let e = &self.policy.enums[*ty];
                let name = &e.variants[*variant];
                out.push_str(title_or(&e.titles[*variant], name));
            }
        }
    }
}
