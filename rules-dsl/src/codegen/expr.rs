//! Expressions and definitions → function bodies.
//!
//! Every value is a pair of i64 locals: the value, and an unknown mask (0 when
//! known; otherwise the bits of the missing facts it depends on, or
//! `NO_VALUE`). A value the IR marks as never unknown has no mask local.
//! `and`/`or` stop at the first operand that decides them, so a guard such
//! as `x != 0 and y / x > 2` never divides by zero.

use std::collections::HashMap;

use wasm_encoder::{Function, Instruction as I};

use super::Texts;
use super::asm::{Asm, Operand};
use super::layout::Layout;
use super::runtime;
use crate::calendar;
use crate::codec::{NUMBER_TEXT_BASE, NUMBER_TEXT_LIMIT, canonical_number};
use crate::ir::{
    self, AggregateKind, ArithOp, Cell, CollectOp, CompareOp, Definition, Expr, ExprKind,
    HitPolicy, Literal, SetOperand, TimeUnit, Type,
};

/// The mask of a value that does not exist (bit 63).
pub const NO_VALUE: i64 = i64::MIN;

pub struct Emitter<'a> {
    policy: &'a ir::Policy,
    layout: &'a Layout,
    texts: &'a Texts,
}

#[derive(Debug, Clone, Copy)]
struct Val {
    v: Operand,
    m: Option<u32>,
}

fn local(v: u32, m: Option<u32>) -> Val {
    Val {
        v: Operand::Local(v),
        m,
    }
}

/// A function starts anew once it holds this many locals. WebAssembly
/// validators accept 50,000 per function; one definition or output adds a
/// few, and a single expression is bounded by the syntax (E0111, E0112).
pub const LOCALS_PER_FUNCTION: usize = 20_000;

struct Fx<'e, 'a> {
    e: &'e Emitter<'a>,
    a: Asm,
    /// Aggregate variable → (i32 local holding the record's address, list fact).
    vars: HashMap<ir::VarId, (u32, ir::FactId)>,
}

impl<'a> Emitter<'a> {
    pub fn new(policy: &'a ir::Policy, layout: &'a Layout, texts: &'a Texts) -> Emitter<'a> {
        Emitter {
            policy,
            layout,
            texts,
        }
    }

    fn fx(&self) -> Fx<'_, 'a> {
        Fx {
            e: self,
            a: Asm::new(0),
            vars: HashMap::new(),
        }
    }

    /// The functions that compute a few definitions, in order, into their
    /// slots: usually one; more when the definitions need more locals than
    /// one function should hold (a new function starts after the
    /// definition that crossed [`LOCALS_PER_FUNCTION`]).
    pub fn definitions(&self, definitions: &[Definition]) -> Vec<Function> {
        let mut functions = Vec::new();
        let mut fx = self.fx();
        for &definition in definitions {
            let slot = self.layout.definition(definition);
            let value = match definition {
                Definition::Let(i) => fx.expr(&self.policy.lets[i].value),
                Definition::Table(i) => fx.table(i),
                Definition::Rule(i) => fx.rule(i),
            };
            fx.store_slot(slot, value);
            self.split_when_full(&mut fx, &mut functions);
        }
        if !fx.a.is_empty() || functions.is_empty() {
            functions.push(fx.a.finish());
        }
        functions
    }

    /// The function that finds the value in force of every parameter without
    /// a key, into its slot; `evaluate` calls it first.
    pub fn params(&self) -> Function {
        let mut fx = self.fx();
        for (index, slot) in self.layout.params.iter().enumerate() {
            if let Some(slot) = *slot {
                let value = fx.param(index, &[]);
                fx.store_slot(slot, value);
            }
        }
        fx.a.finish()
    }

    /// Finishes `fx` into `functions` and starts a new one when it holds
    /// [`LOCALS_PER_FUNCTION`] locals or more.
    fn split_when_full<'e>(&'e self, fx: &mut Fx<'e, 'a>, functions: &mut Vec<Function>) {
        if fx.a.locals_used() >= LOCALS_PER_FUNCTION {
            functions.push(std::mem::replace(fx, self.fx()).a.finish());
        }
    }

    /// The functions that write eligibility, rule results, material and step
    /// conditions and reported values to the output region: usually one;
    /// more when a policy has so many rules, materials, steps or values
    /// that one function would hold more than [`LOCALS_PER_FUNCTION`] locals.
    /// Each writes its own outputs, so their order does not matter.
    pub fn outputs(&self) -> Vec<Function> {
        let mut functions = Vec::new();
        let mut fx = self.fx();
        let out = self.layout.output.clone();
        let eligibility = fx.expr(&self.policy.eligibility);
        let tri = fx.tri(eligibility);
        fx.a.store_val_at(out.eligibility, tri);
        let mask = fx.mask_or_zero(eligibility);
        fx.a.store_at(out.mask, mask);
        for (index, _) in self.policy.rules.iter().enumerate() {
            let slot = self.layout.rules[index];
            let value = fx.load_slot(slot, true);
            let tri = fx.tri(value);
            fx.store_byte(out.rules + index as u32, tri);
            self.split_when_full(&mut fx, &mut functions);
        }
        for (index, material) in self.policy.materials.iter().enumerate() {
            let value = match material.condition.as_ref() {
                Some(condition) => fx.expr(condition),
                None => fx.constant(1),
            };
            let tri = fx.tri(value);
            fx.store_byte(out.materials + index as u32, tri);
            let mask = fx.mask_or_zero(value);
            fx.a.store_at(out.material_masks + 8 * index as u32, mask);
            self.split_when_full(&mut fx, &mut functions);
        }
        for (index, step) in self.policy.steps.iter().enumerate() {
            let tri = fx.condition_tri(step.condition.as_ref());
            fx.store_byte(out.steps + index as u32, tri);
            self.split_when_full(&mut fx, &mut functions);
        }
        for (index, reported) in self.policy.reported_values().into_iter().enumerate() {
            let slot = match reported {
                ir::Reported::Let(i) => self.layout.lets[i],
                ir::Reported::Table(i) => self.layout.tables[i],
            };
            let value = fx.load_slot(slot, true);
            fx.store_slot(out.values + 16 * index as u32, value);
            self.split_when_full(&mut fx, &mut functions);
        }
        functions.push(fx.a.finish());
        functions
    }
}

impl Fx<'_, '_> {
    // ------------------------------------------------------------ plumbing

    fn constant(&mut self, value: i64) -> Val {
        Val {
            v: Operand::Const(value),
            m: None,
        }
    }

    fn load_slot(&mut self, slot: u32, nullable: bool) -> Val {
        let v = self.a.i64();
        self.a.load_at(slot).set(v);
        let m = nullable.then(|| {
            let m = self.a.i64();
            self.a.load_at(slot + 8).set(m);
            m
        });
        local(v, m)
    }

    fn store_slot(&mut self, slot: u32, value: Val) {
        self.a.store_val_at(slot, value.v);
        let mask = self.mask_or_zero(value);
        self.a.store_at(slot + 8, mask);
    }

    fn store_byte(&mut self, address: u32, value: Operand) {
        self.a.i32_const(0).val(value).store_u8(address);
    }

    /// A local holding the mask, or 0 for a value that is always known.
    fn mask_or_zero(&mut self, value: Val) -> u32 {
        match value.m {
            Some(m) => m,
            None => {
                let m = self.a.i64();
                self.a.set_i64(m, 0);
                m
            }
        }
    }

    /// 0 / 1 / 2 (unknown) for a boolean value.
    fn tri(&mut self, value: Val) -> Operand {
        match value.m {
            Some(m) => {
                let t = self.a.i64();
                self.a
                    .i64_const(2)
                    .val(value.v)
                    .get(m)
                    .op(I::I64Eqz)
                    .op(I::I32Eqz)
                    .op(I::Select)
                    .set(t);
                Operand::Local(t)
            }
            None => value.v,
        }
    }

    fn condition_tri(&mut self, condition: Option<&Expr>) -> Operand {
        match condition {
            Some(condition) => {
                let value = self.expr(condition);
                self.tri(value)
            }
            None => Operand::Const(1),
        }
    }

    /// ORs masks into a new local (None when none may be unknown).
    fn or_masks(&mut self, masks: &[Option<u32>]) -> Option<u32> {
        let present: Vec<u32> = masks.iter().flatten().copied().collect();
        if present.is_empty() {
            return None;
        }
        let m = self.a.i64();
        self.a.get(present[0]);
        for other in &present[1..] {
            self.a.get(*other).op(I::I64Or);
        }
        self.a.set(m);
        Some(m)
    }

    /// Opens `if mask == 0` when there is a mask; returns whether it did.
    fn when_known(&mut self, mask: Option<u32>) -> bool {
        match mask {
            Some(m) => {
                self.a.get(m).op(I::I64Eqz);
                self.a.if_();
                true
            }
            None => false,
        }
    }

    fn literal_value(&self, literal: &Literal) -> i64 {
        match literal {
            Literal::Bool(b) => i64::from(*b),
            Literal::Int(n) | Literal::Money(n) | Literal::Decimal { units: n, .. } => *n,
            Literal::Date(d) => calendar::days_from_date(*d),
            Literal::Text(t) => self.e.texts.id(t),
            Literal::Enum { variant, .. } => *variant as i64,
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, expr: &Expr) -> Val {
        let value = self.expr_inner(expr);
        if expr.nullable {
            value
        } else {
            Val {
                v: value.v,
                m: None,
            }
        }
    }

    fn expr_inner(&mut self, expr: &Expr) -> Val {
        match &expr.kind {
            ExprKind::Literal(literal) => {
                let value = self.literal_value(literal);
                self.constant(value)
            }
            ExprKind::ApplicationDate => {
                let v = self.a.i64();
                self.a.load_at(0).set(v);
                local(v, None)
            }
            ExprKind::Fact(id) => self.fact(*id, expr.nullable),
            ExprKind::Field {
                var,
                record: _,
                field,
            } => self.field(*var, *field),
            ExprKind::Let(i) => self.load_slot(self.e.layout.lets[*i], expr.nullable),
            ExprKind::Table(i) => self.load_slot(self.e.layout.tables[*i], expr.nullable),
            ExprKind::Rule(i) => self.load_slot(self.e.layout.rules[*i], expr.nullable),
            ExprKind::Param { param, keys } => {
                match (keys.is_empty(), self.e.layout.params[*param]) {
                    // Found once per evaluation by `params` (below).
                    (true, Some(slot)) => self.load_slot(slot, true),
                    _ => self.param(*param, keys),
                }
            }
            ExprKind::Not(inner) => {
                let inner = self.expr(inner);
                let v = self.a.i64();
                self.a.i64_const(1).val(inner.v).op(I::I64Sub).set(v);
                local(v, inner.m)
            }
            ExprKind::And(operands) => self.junction(operands, true),
            ExprKind::Or(operands) => self.junction(operands, false),
            ExprKind::Compare { op, lhs, rhs }
                if lhs.is_filtered_count() || rhs.is_filtered_count() =>
            {
                self.compare_count(*op, lhs, rhs)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let v = self.a.i64();
                self.a.val(l.v).val(r.v);
                self.a.op(match op {
                    CompareOp::Eq => I::I64Eq,
                    CompareOp::Ne => I::I64Ne,
                    CompareOp::Lt => I::I64LtS,
                    CompareOp::Le => I::I64LeS,
                    CompareOp::Gt => I::I64GtS,
                    CompareOp::Ge => I::I64GeS,
                });
                self.a.op(I::I64ExtendI32U).set(v);
                let m = self.or_masks(&[l.m, r.m]);
                local(v, m)
            }
            ExprKind::In {
                negated,
                element,
                set,
            } => self.membership(*negated, element, set),
            ExprKind::Arith { op, lhs, rhs } => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let helper = match op {
                    ArithOp::Add => runtime::CHECKED_ADD,
                    ArithOp::Sub => runtime::CHECKED_SUB,
                    ArithOp::Mul => runtime::CHECKED_MUL,
                };
                self.guarded(&[l.m, r.m], |a, v| {
                    a.val(l.v).val(r.v).op(I::Call(helper)).set(v);
                })
            }
            ExprKind::Div { lhs, rhs, rounding } => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let mode = match rounding {
                    ir::Rounding::Down => 0,
                    ir::Rounding::Up => 1,
                    ir::Rounding::HalfUp => 2,
                    ir::Rounding::HalfEven => 3,
                };
                self.guarded(&[l.m, r.m], |a, v| {
                    a.val(l.v)
                        .val(r.v)
                        .i64_const(mode)
                        .op(I::Call(runtime::DIV_ROUND))
                        .set(v);
                })
            }
            ExprKind::EnumText(inner) => {
                let e = self.expr(inner);
                let ids: Vec<i64> = match inner.ty {
                    ir::Type::Enum(id) => self.e.policy.enums[id]
                        .variants
                        .iter()
                        .map(|name| self.e.texts.id(name))
                        .collect(),
                    _ => Vec::new(),
                };
                self.guarded(&[e.m], |a, v| {
                    for (index, id) in ids.into_iter().enumerate() {
                        a.val(e.v).i64_const(index as i64).op(I::I64Eq);
                        a.if_();
                        a.i64_const(id).set(v);
                        a.end();
                    }
                })
            }
            ExprKind::NumberText(inner) => {
                let n = self.expr(inner);
                // The policy's own texts that are a number's digits keep
                // their ids; any other number gets its digits' id.
                let numbers: Vec<(i64, i64)> = self
                    .e
                    .texts
                    .list
                    .iter()
                    .enumerate()
                    .filter_map(|(id, text)| Some((canonical_number(text)?, id as i64)))
                    .collect();
                self.guarded(&[n.m], |a, v| {
                    for (op, limit) in [
                        (I::I64GeS, NUMBER_TEXT_LIMIT),
                        (I::I64LeS, -NUMBER_TEXT_LIMIT),
                    ] {
                        a.val(n.v).i64_const(limit).op(op);
                        a.if_();
                        a.op(I::Unreachable);
                        a.end();
                    }
                    a.val(n.v).i64_const(NUMBER_TEXT_BASE).op(I::I64Add).set(v);
                    for (number, id) in numbers {
                        a.val(n.v).i64_const(number).op(I::I64Eq);
                        a.if_();
                        a.i64_const(id).set(v);
                        a.end();
                    }
                })
            }
            ExprKind::Neg(inner) => {
                let inner = self.expr(inner);
                self.guarded(&[inner.m], |a, v| {
                    a.i64_const(0)
                        .val(inner.v)
                        .op(I::Call(runtime::CHECKED_SUB))
                        .set(v);
                })
            }
            ExprKind::DateAdd {
                date,
                amount,
                unit,
                subtract,
            } => {
                let d = self.expr(date);
                let n = self.expr(amount);
                let (unit, subtract) = (*unit, *subtract);
                self.guarded(&[d.m, n.m], |a, v| {
                    let amount = a.i64();
                    if subtract {
                        a.i64_const(0)
                            .val(n.v)
                            .op(I::Call(runtime::CHECKED_SUB))
                            .set(amount);
                    } else {
                        a.val(n.v).set(amount);
                    }
                    match unit {
                        TimeUnit::Days => {
                            a.val(d.v).op(I::Call(runtime::CHECK_DAY));
                            a.get(amount)
                                .op(I::Call(runtime::CHECKED_ADD))
                                .op(I::Call(runtime::CHECK_DAY))
                                .set(v);
                        }
                        TimeUnit::Months => {
                            a.val(d.v)
                                .get(amount)
                                .op(I::Call(runtime::ADD_MONTHS))
                                .set(v);
                        }
                        TimeUnit::Years => {
                            a.val(d.v)
                                .get(amount)
                                .i64_const(12)
                                .op(I::Call(runtime::CHECKED_MUL));
                            a.op(I::Call(runtime::ADD_MONTHS)).set(v);
                        }
                    }
                })
            }
            ExprKind::AgeOn { birth, on } => self.call2(birth, on, runtime::AGE_ON, false),
            ExprKind::MonthsBetween { from, to } => {
                self.call2(from, to, runtime::MONTHS_BETWEEN, false)
            }
            ExprKind::DaysBetween { from, to } => self.call2(to, from, runtime::CHECKED_SUB, true),
            ExprKind::Least(operands) | ExprKind::Greatest(operands) => {
                let least = matches!(expr.kind, ExprKind::Least(_));
                let values: Vec<Val> = operands.iter().map(|o| self.expr(o)).collect();
                let v = self.a.i64();
                self.a.val(values[0].v).set(v);
                for other in &values[1..] {
                    // v = other < v ? other : v  (or > for greatest)
                    self.a.val(other.v).get(v).val(other.v).get(v);
                    self.a.op(if least { I::I64LtS } else { I::I64GtS });
                    self.a.op(I::Select).set(v);
                }
                let masks: Vec<Option<u32>> = values.iter().map(|x| x.m).collect();
                let m = self.or_masks(&masks);
                local(v, m)
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } if Expr::compares_branches(then, otherwise) && condition.nullable => {
                // Both branches worked out: an unknown condition gives their
                // common value when they agree (docs/language.md §15.3).
                let c = self.expr(condition);
                let t = self.expr(then);
                let o = self.expr(otherwise);
                let (v, m) = (self.a.i64(), self.a.i64());
                let tm = self.mask_or_zero(t);
                let om = self.mask_or_zero(o);
                self.a
                    .val(t.v)
                    .val(o.v)
                    .val(c.v)
                    .op(I::I32WrapI64)
                    .op(I::Select)
                    .set(v);
                self.a
                    .get(tm)
                    .get(om)
                    .val(c.v)
                    .op(I::I32WrapI64)
                    .op(I::Select)
                    .set(m);
                if let Some(cm) = c.m {
                    self.a.get(cm).op(I::I64Eqz).op(I::I32Eqz);
                    self.a.if_();
                    self.a
                        .get(tm)
                        .get(om)
                        .op(I::I64Or)
                        .op(I::I64Eqz)
                        .val(t.v)
                        .val(o.v)
                        .op(I::I64Eq)
                        .op(I::I32And);
                    self.a.if_();
                    self.a.val(t.v).set(v);
                    self.a.set_i64(m, 0);
                    self.a.else_();
                    self.a
                        .get(cm)
                        .get(tm)
                        .op(I::I64Or)
                        .get(om)
                        .op(I::I64Or)
                        .set(m);
                    self.a.end();
                    self.a.end();
                }
                local(v, Some(m))
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(condition);
                let v = self.a.i64();
                let m = self.a.i64();
                self.a.set_i64(v, 0).set_i64(m, 0);
                let opened = self.when_known(c.m);
                self.a.val(c.v).op(I::I32WrapI64);
                self.a.if_();
                let t = self.expr(then);
                self.a.val(t.v).set(v);
                if let Some(tm) = t.m {
                    self.a.get(tm).set(m);
                }
                self.a.else_();
                let o = self.expr(otherwise);
                self.a.val(o.v).set(v);
                if let Some(om) = o.m {
                    self.a.get(om).set(m);
                }
                self.a.end();
                if opened {
                    self.a.else_();
                    if let Some(cm) = c.m {
                        self.a.get(cm).set(m);
                    }
                    self.a.end();
                }
                local(v, Some(m))
            }
            ExprKind::Aggregate {
                kind,
                list,
                var,
                filter,
                value,
            } => self.aggregate(
                *kind,
                *list,
                *var,
                filter.as_deref(),
                value.as_deref(),
                None,
            ),
        }
    }

    /// A comparison one side of which is a `count` with a filter that may be
    /// unknown: the count lies between the records known to pass (`lo`) and
    /// those plus the unsure ones (`hi`); the comparison is decided when it
    /// comes out the same for every count in that range (docs/language.md
    /// §15.3). The other side must be known for that.
    fn compare_count(&mut self, op: CompareOp, lhs: &Expr, rhs: &Expr) -> Val {
        let count_left = lhs.is_filtered_count();
        let unsure = self.a.i64();
        self.a.set_i64(unsure, 0);
        let side = |fx: &mut Self, e: &Expr, counted: bool| match (&e.kind, counted) {
            (
                ExprKind::Aggregate {
                    kind,
                    list,
                    var,
                    filter,
                    value,
                },
                true,
            ) => fx.aggregate(
                *kind,
                *list,
                *var,
                filter.as_deref(),
                value.as_deref(),
                Some(unsure),
            ),
            _ => fx.expr(e),
        };
        let l = side(self, lhs, count_left);
        let r = side(self, rhs, !count_left);
        let (count, other, op) = if count_left {
            (l, r, op)
        } else {
            (r, l, op.flipped())
        };
        let cmp = match op {
            CompareOp::Eq => I::I64Eq,
            CompareOp::Ne => I::I64Ne,
            CompareOp::Lt => I::I64LtS,
            CompareOp::Le => I::I64LeS,
            CompareOp::Gt => I::I64GtS,
            CompareOp::Ge => I::I64GeS,
        };
        let (v, hi, decided) = (self.a.i64(), self.a.i64(), self.a.i32());
        self.a.val(count.v).get(unsure).op(I::I64Add).set(hi);
        self.a
            .val(count.v)
            .val(other.v)
            .op(cmp.clone())
            .op(I::I64ExtendI32U)
            .set(v);
        match op {
            CompareOp::Eq | CompareOp::Ne => {
                // Decided when the other side lies outside the range, or the range is one count.
                self.a
                    .val(other.v)
                    .val(count.v)
                    .op(I::I64LtS)
                    .val(other.v)
                    .get(hi)
                    .op(I::I64GtS)
                    .op(I::I32Or)
                    .get(unsure)
                    .op(I::I64Eqz)
                    .op(I::I32Or)
                    .set(decided);
            }
            _ => {
                // Monotone: decided when both ends of the range agree.
                self.a
                    .val(count.v)
                    .val(other.v)
                    .op(cmp.clone())
                    .get(hi)
                    .val(other.v)
                    .op(cmp)
                    .op(I::I32Eq)
                    .set(decided);
            }
        }
        let m = self.a.i64();
        let union = self.or_masks(&[count.m, other.m]).unwrap_or(m);
        if union == m {
            self.a.set_i64(m, 0);
        }
        // Unknown unless decided with the other side known.
        self.a.i64_const(0).get(union).get(decided);
        if let Some(om) = other.m {
            self.a.get(om).op(I::I64Eqz).op(I::I32And);
        }
        self.a.op(I::Select).set(m);
        local(v, Some(m))
    }

    /// Computes `v` only when every mask is zero; the mask is their union.
    fn guarded(&mut self, masks: &[Option<u32>], compute: impl FnOnce(&mut Asm, u32)) -> Val {
        let v = self.a.i64();
        self.a.set_i64(v, 0);
        let m = self.or_masks(masks);
        let opened = self.when_known(m);
        compute(&mut self.a, v);
        if opened {
            self.a.end();
        }
        local(v, m)
    }

    fn call2(&mut self, first: &Expr, second: &Expr, helper: u32, _swapped: bool) -> Val {
        let x = self.expr(first);
        let y = self.expr(second);
        self.guarded(&[x.m, y.m], |a, v| {
            a.val(x.v).val(y.v).op(I::Call(helper)).set(v);
        })
    }

    fn fact(&mut self, id: ir::FactId, nullable: bool) -> Val {
        let layout = self.e.layout;
        let fact = &self.e.policy.facts[id];
        let v = self.a.i64();
        match fact.ty {
            Type::Set => {
                let area = layout.elements[id].as_ref().map_or(0, |e| e.area);
                self.a
                    .i64_const(i64::from(area))
                    .i64_const(32)
                    .op(I::I64Shl);
                self.a.load_at(layout.fact_slot[id]).op(I::I64Or).set(v);
            }
            _ => {
                self.a.load_at(layout.fact_slot[id]).set(v);
            }
        }
        let m = match (nullable && fact.optional, layout.fact_bit[id]) {
            (true, Some(bit)) => {
                let m = self.a.i64();
                self.a.i64_const(1i64 << bit).i64_const(0);
                self.a
                    .i32_const(0)
                    .load_u8(layout.fact_presence[id])
                    .op(I::I64Eqz);
                self.a.op(I::Select).set(m);
                Some(m)
            }
            _ => None,
        };
        local(v, m)
    }

    fn field(&mut self, var: ir::VarId, field: usize) -> Val {
        let Some(&(base, list)) = self.vars.get(&var) else {
            return self.constant(0);
        };
        let layout = self.e.layout;
        let Some(elements) = layout.elements[list].as_ref() else {
            return self.constant(0);
        };
        let slot = &elements.fields[field];
        let v = self.a.i64();
        self.a.get(base).load_i64(slot.offset).set(v);
        let m = match layout.field_bit.get(&(list, field)) {
            Some(bit) if slot.optional => {
                let m = self.a.i64();
                self.a.i64_const(1i64 << bit).i64_const(0);
                self.a.get(base).load_u8(slot.presence).op(I::I64Eqz);
                self.a.op(I::Select).set(m);
                Some(m)
            }
            _ => None,
        };
        local(v, m)
    }

    fn param(&mut self, param: ir::ParamId, keys: &[Expr]) -> Val {
        let definition = &self.e.policy.params[param];
        let v = self.a.i64();
        let m = self.a.i64();
        self.a.set_i64(v, 0).set_i64(m, NO_VALUE);
        let date = self.a.i64();
        self.a.load_at(0).set(date);
        let key_values: Vec<Val> = keys.iter().map(|k| self.expr(k)).collect();
        let key_masks: Vec<Option<u32>> = key_values.iter().map(|k| k.m).collect();
        let key_mask = self.or_masks(&key_masks);
        if let Some(km) = key_mask {
            // An unknown key makes the value unknown for the key's reasons;
            // known keys leave NO_VALUE until an entry is found.
            self.a.get(km).op(I::I64Eqz).op(I::I32Eqz);
            self.a.if_();
            self.a.get(km).set(m);
            self.a.end();
        }
        let opened = self.when_known(key_mask);
        for entry in &definition.entries {
            let from = calendar::days_from_date(entry.from);
            self.a.get(date).i64_const(from).op(I::I64GeS);
            for (k, entry_key) in key_values.iter().zip(&entry.keys) {
                let key = self.literal_value(entry_key);
                self.a.val(k.v).i64_const(key).op(I::I64Eq).op(I::I32And);
            }
            self.a.if_();
            let value = self.literal_value(&entry.value);
            self.a.set_i64(v, value).set_i64(m, 0);
            self.a.end();
        }
        if opened {
            self.a.end();
        }
        local(v, Some(m))
    }

    /// Kleene `and` (`is_and`) or `or`, stopping at the first deciding operand.
    fn junction(&mut self, operands: &[Expr], is_and: bool) -> Val {
        let (deciding, other) = if is_and { (0, 1) } else { (1, 0) };
        let v = self.a.i64();
        let m = self.a.i64();
        self.a.set_i64(v, other).set_i64(m, 0);
        let done = self.a.block();
        for operand in operands {
            let value = self.expr(operand);
            let known = self.when_known(value.m);
            // A known operand equal to the deciding value decides.
            self.a.val(value.v).i64_const(deciding).op(I::I64Eq);
            self.a.if_();
            self.a.set_i64(v, deciding).set_i64(m, 0);
            self.a.br(done);
            self.a.end();
            if known {
                self.a.else_();
                if let Some(vm) = value.m {
                    self.a.get(m).get(vm).op(I::I64Or).set(m);
                }
                self.a.end();
            }
        }
        self.a.end();
        local(v, Some(m))
    }

    fn membership(&mut self, negated: bool, element: &Expr, set: &SetOperand) -> Val {
        let e = self.expr(element);
        let found = self.a.i64();
        self.a.set_i64(found, 0);
        let m = match set {
            SetOperand::Literals(literals) => {
                for literal in literals {
                    let value = self.literal_value(literal);
                    self.a
                        .get(found)
                        .val(e.v)
                        .i64_const(value)
                        .op(I::I64Eq)
                        .op(I::I64ExtendI32U)
                        .op(I::I64Or);
                    self.a.set(found);
                }
                e.m
            }
            SetOperand::Value(set) => {
                let s = self.expr(set);
                let m = self.or_masks(&[e.m, s.m]);
                let opened = self.when_known(m);
                let (address, count, index) = (self.a.i32(), self.a.i64(), self.a.i64());
                self.a
                    .val(s.v)
                    .i64_const(32)
                    .op(I::I64ShrU)
                    .op(I::I32WrapI64)
                    .set(address);
                self.a
                    .val(s.v)
                    .i64_const(0xffff_ffff)
                    .op(I::I64And)
                    .set(count);
                self.a.set_i64(index, 0);
                let done = self.a.block();
                let next = self.a.loop_();
                self.a.get(index).get(count).op(I::I64GeS).br_if(done);
                self.a
                    .get(address)
                    .get(index)
                    .op(I::I32WrapI64)
                    .i32_const(8)
                    .op(I::I32Mul)
                    .op(I::I32Add);
                self.a.load_i64(0).val(e.v).op(I::I64Eq);
                self.a.if_();
                self.a.set_i64(found, 1);
                self.a.br(done);
                self.a.end();
                self.a.get(index).i64_const(1).op(I::I64Add).set(index);
                self.a.br(next);
                self.a.end();
                self.a.end();
                if opened {
                    self.a.end();
                }
                m
            }
        };
        if negated {
            self.a.i64_const(1).get(found).op(I::I64Sub).set(found);
        }
        local(found, m)
    }

    fn aggregate(
        &mut self,
        kind: AggregateKind,
        list: ir::FactId,
        var: ir::VarId,
        filter: Option<&Expr>,
        value: Option<&Expr>,
        unsure: Option<u32>,
    ) -> Val {
        let layout = self.e.layout;
        let Some(elements) = layout.elements[list].clone() else {
            return self.constant(0);
        };
        let (acc, m, have) = (self.a.i64(), self.a.i64(), self.a.i64());
        let initial = match kind {
            AggregateKind::All => 1,
            _ => 0,
        };
        self.a.set_i64(acc, initial).set_i64(m, 0).set_i64(have, 0);
        let (count, index, base) = (self.a.i64(), self.a.i64(), self.a.i32());
        self.a.load_at(layout.fact_slot[list]).set(count);
        self.a.set_i64(index, 0);
        self.vars.insert(var, (base, list));
        let done = self.a.block();
        let next = self.a.loop_();
        self.a.get(index).get(count).op(I::I64GeS).br_if(done);
        self.a
            .i32_const(i32::try_from(elements.area).unwrap_or(i32::MAX));
        self.a
            .get(index)
            .op(I::I32WrapI64)
            .i32_const(i32::try_from(elements.size).unwrap_or(i32::MAX));
        self.a.op(I::I32Mul).op(I::I32Add).set(base);
        self.a.get(index).i64_const(1).op(I::I64Add).set(index);

        // The filter: known false skips the record; unknown is remembered.
        let filter_value = filter.map(|f| self.expr(f));
        let skip = self.a.block();
        if let Some(f) = filter_value {
            match f.m {
                Some(fm) => {
                    self.a
                        .get(fm)
                        .op(I::I64Eqz)
                        .val(f.v)
                        .op(I::I64Eqz)
                        .op(I::I32And)
                        .br_if(skip);
                }
                None => {
                    self.a.val(f.v).op(I::I64Eqz).br_if(skip);
                }
            }
        }
        let filter_mask = filter_value.and_then(|f| f.m);
        match kind {
            AggregateKind::Count | AggregateKind::Sum | AggregateKind::Min | AggregateKind::Max => {
                // An unsure record makes the result unknown.
                if let Some(fm) = filter_mask {
                    self.a.get(fm).op(I::I64Eqz).op(I::I32Eqz);
                    self.a.if_();
                    self.a.get(m).get(fm).op(I::I64Or).set(m);
                    if let Some(unsure) = unsure {
                        self.a.get(unsure).i64_const(1).op(I::I64Add).set(unsure);
                    }
                    self.a.br(skip);
                    self.a.end();
                }
                match (kind, value) {
                    (AggregateKind::Count, _) | (_, None) => {
                        self.a.get(acc).i64_const(1).op(I::I64Add).set(acc);
                    }
                    (_, Some(value)) => {
                        let x = self.expr(value);
                        if let Some(xm) = x.m {
                            self.a.get(xm).op(I::I64Eqz).op(I::I32Eqz);
                            self.a.if_();
                            self.a.get(m).get(xm).op(I::I64Or).set(m);
                            self.a.br(skip);
                            self.a.end();
                        }
                        if kind == AggregateKind::Sum {
                            self.a
                                .get(acc)
                                .val(x.v)
                                .op(I::Call(runtime::CHECKED_ADD))
                                .set(acc);
                        } else {
                            let better = if kind == AggregateKind::Min {
                                I::I64LtS
                            } else {
                                I::I64GtS
                            };
                            self.a
                                .get(have)
                                .op(I::I64Eqz)
                                .val(x.v)
                                .get(acc)
                                .op(better)
                                .op(I::I32Or);
                            self.a.if_();
                            self.a.val(x.v).set(acc).set_i64(have, 1);
                            self.a.end();
                        }
                    }
                }
            }
            AggregateKind::Any | AggregateKind::All => {
                let Some(value) = value else {
                    self.a.end();
                    self.a.br(next);
                    self.a.end();
                    self.a.end();
                    self.vars.remove(&var);
                    return local(acc, Some(m));
                };
                let x = self.expr(value);
                // Element result: any → filter AND value; all → NOT filter OR value.
                // With the filter known true it is just the value.
                let deciding = if kind == AggregateKind::Any { 1 } else { 0 };
                let element_mask = self.a.i64();
                match x.m {
                    Some(xm) => {
                        self.a.get(xm).set(element_mask);
                    }
                    None => {
                        self.a.set_i64(element_mask, 0);
                    }
                }
                // A known value equal to the deciding value decides when the filter is known;
                // with an unsure filter, a value that cannot decide drops the record.
                match filter_mask {
                    Some(fm) => {
                        self.a.get(fm).op(I::I64Eqz);
                        self.a.if_();
                        self.decide_or_remember(x.v, element_mask, deciding, acc, m, done);
                        self.a.else_();
                        // Unsure filter: any → false value makes the record false (skip);
                        // all → true value makes it true (skip). Otherwise unknown.
                        self.a
                            .get(element_mask)
                            .op(I::I64Eqz)
                            .val(x.v)
                            .i64_const(1 - deciding)
                            .op(I::I64Eq)
                            .op(I::I32And);
                        self.a.br_if(skip);
                        self.a
                            .get(m)
                            .get(fm)
                            .op(I::I64Or)
                            .get(element_mask)
                            .op(I::I64Or)
                            .set(m);
                        self.a.end();
                    }
                    None => self.decide_or_remember(x.v, element_mask, deciding, acc, m, done),
                }
            }
        }
        self.a.end(); // skip
        self.a.br(next);
        self.a.end(); // loop
        self.a.end(); // done
        self.vars.remove(&var);
        match kind {
            AggregateKind::Min | AggregateKind::Max => {
                self.no_value_if_empty(have, m);
            }
            AggregateKind::Any | AggregateKind::All => {
                // A deciding record already cleared the mask before leaving.
            }
            _ => {}
        }
        local(acc, Some(m))
    }

    /// For `any`/`all` with the filter known true: a known deciding value
    /// ends the loop with that result; an unknown value is remembered.
    fn decide_or_remember(
        &mut self,
        value: Operand,
        element_mask: u32,
        deciding: i64,
        acc: u32,
        m: u32,
        done: super::asm::Label,
    ) {
        self.a.get(element_mask).op(I::I64Eqz);
        self.a.if_();
        self.a.val(value).i64_const(deciding).op(I::I64Eq);
        self.a.if_();
        self.a.set_i64(acc, deciding).set_i64(m, 0);
        self.a.br(done);
        self.a.end();
        self.a.else_();
        self.a.get(m).get(element_mask).op(I::I64Or).set(m);
        self.a.end();
    }

    /// `min`/`max` that picked nothing, with nothing unsure, has no value:
    /// sets `mask` to NO_VALUE when both `have` and `mask` are 0.
    fn no_value_if_empty(&mut self, have: u32, mask: u32) {
        self.a
            .get(have)
            .op(I::I64Eqz)
            .get(mask)
            .op(I::I64Eqz)
            .op(I::I32And);
        self.a.if_();
        self.a.set_i64(mask, NO_VALUE);
        self.a.end();
    }

    // ------------------------------------------------------------ rules

    fn rule(&mut self, index: usize) -> Val {
        let rule = &self.e.policy.rules[index];
        let body = self.expr(&rule.body);
        let v = self.a.i64();
        let m = self.a.i64();
        self.a.val(body.v).set(v);
        match body.m {
            Some(bm) => self.a.get(bm).set(m),
            None => self.a.set_i64(m, 0),
        };
        // The first exception whose condition holds decides: fold from the last.
        for &exception in rule.exceptions.iter().rev() {
            let Some(ir::Override { value, .. }) = self.e.policy.rules[exception].overrides else {
                continue;
            };
            let value = i64::from(value);
            let condition = self.load_slot(self.e.layout.rules[exception], true);
            let cm = condition.m.unwrap_or(0);
            self.a.get(cm).op(I::I64Eqz);
            self.a.if_();
            self.a.val(condition.v).op(I::I32WrapI64);
            self.a.if_();
            self.a.set_i64(v, value).set_i64(m, 0);
            self.a.end();
            self.a.else_();
            // Unknown condition: the result stands only if it equals the exception's value.
            self.a
                .get(m)
                .op(I::I64Eqz)
                .get(v)
                .i64_const(value)
                .op(I::I64Eq)
                .op(I::I32And);
            self.a.op(I::I32Eqz);
            self.a.if_();
            self.a.get(m).get(cm).op(I::I64Or).set(m);
            self.a.end();
            self.a.end();
        }
        local(v, Some(m))
    }

    // ------------------------------------------------------------ tables

    fn table(&mut self, index: usize) -> Val {
        let table = &self.e.policy.tables[index];
        let inputs: Vec<Val> = table.inputs.iter().map(|i| self.expr(i)).collect();
        let v = self.a.i64();
        let m = self.a.i64();
        let pending = self.a.i64(); // union of undecided rows' masks
        self.a.set_i64(v, 0).set_i64(m, 0).set_i64(pending, 0);
        // Status of each row: matched (i32 1, mask 0), undecided (mask ≠ 0), or no.
        let rows: Vec<(u32, u32)> = table
            .rows
            .iter()
            .map(|row| self.row_status(row, &inputs))
            .collect();
        let outputs: Vec<i64> = table
            .rows
            .iter()
            .map(|r| self.literal_value(&r.output))
            .collect();
        match &table.hit {
            HitPolicy::Unique | HitPolicy::First | HitPolicy::Priority { .. } => {
                // Rows grouped by strength: unique and first take them in order
                // (unique rows never overlap, so order does not matter); priority
                // by the output's place in `order`, equal outputs together.
                let mut groups: Vec<Vec<usize>> = Vec::new();
                match &table.hit {
                    HitPolicy::Priority { order } => {
                        let rank = |row: &ir::Row| {
                            order
                                .iter()
                                .position(|o| *o == row.output)
                                .unwrap_or(usize::MAX)
                        };
                        let mut ranked: Vec<usize> = (0..table.rows.len()).collect();
                        ranked.sort_by_key(|&r| rank(&table.rows[r]));
                        for r in ranked {
                            match groups.last_mut() {
                                Some(group)
                                    if rank(&table.rows[group[0]]) == rank(&table.rows[r]) =>
                                {
                                    group.push(r)
                                }
                                _ => groups.push(vec![r]),
                            }
                        }
                    }
                    HitPolicy::Unique => groups.push((0..table.rows.len()).collect()),
                    _ => groups.extend((0..table.rows.len()).map(|r| vec![r])),
                }
                let done = self.a.block();
                for group in &groups {
                    for &r in group {
                        let (matched, _) = rows[r];
                        self.a.get(matched);
                        self.a.if_();
                        // A match decides unless a stronger row was undecided.
                        self.a.set_i64(v, outputs[r]).get(pending).set(m);
                        self.a.br(done);
                        self.a.end();
                    }
                    for &r in group {
                        let (_, row_mask) = rows[r];
                        self.a.get(pending).get(row_mask).op(I::I64Or).set(pending);
                    }
                }
                // No row matched.
                self.a.get(pending).op(I::I64Eqz);
                self.a.if_();
                match &table.default {
                    Some(default) => {
                        let value = self.literal_value(default);
                        self.a.set_i64(v, value).set_i64(m, 0);
                    }
                    None => {
                        self.a.set_i64(m, NO_VALUE);
                    }
                }
                self.a.else_();
                self.a.get(pending).set(m);
                self.a.end();
                self.a.end();
            }
            HitPolicy::Collect(op) => {
                let area = self.e.layout.collect_area[index];
                let (count, have) = (self.a.i64(), self.a.i64());
                self.a.set_i64(count, 0).set_i64(have, 0);
                for (r, &(matched, row_mask)) in rows.iter().enumerate() {
                    self.a.get(pending).get(row_mask).op(I::I64Or).set(pending);
                    self.a.get(matched);
                    self.a.if_();
                    match op {
                        None => {
                            let area = area.unwrap_or(0);
                            self.a
                                .get(count)
                                .op(I::I32WrapI64)
                                .i32_const(8)
                                .op(I::I32Mul);
                            self.a.i64_const(outputs[r]).store_i64(area);
                        }
                        Some(CollectOp::Sum) => {
                            self.a
                                .get(v)
                                .i64_const(outputs[r])
                                .op(I::Call(runtime::CHECKED_ADD))
                                .set(v);
                        }
                        Some(CollectOp::Count) => {}
                        Some(CollectOp::Min) | Some(CollectOp::Max) => {
                            let better = if *op == Some(CollectOp::Min) {
                                I::I64LtS
                            } else {
                                I::I64GtS
                            };
                            self.a
                                .get(have)
                                .op(I::I64Eqz)
                                .i64_const(outputs[r])
                                .get(v)
                                .op(better)
                                .op(I::I32Or);
                            self.a.if_();
                            self.a.set_i64(v, outputs[r]).set_i64(have, 1);
                            self.a.end();
                        }
                    }
                    self.a.get(count).i64_const(1).op(I::I64Add).set(count);
                    self.a.end();
                }
                match op {
                    None => {
                        let area = i64::from(area.unwrap_or(0));
                        self.a
                            .i64_const(area)
                            .i64_const(32)
                            .op(I::I64Shl)
                            .get(count)
                            .op(I::I64Or)
                            .set(v);
                    }
                    Some(CollectOp::Count) => {
                        self.a.get(count).set(v);
                    }
                    _ => {}
                }
                self.a.get(pending).set(m);
                if matches!(op, Some(CollectOp::Min) | Some(CollectOp::Max)) {
                    self.no_value_if_empty(have, m);
                }
            }
        }
        local(v, Some(m))
    }

    /// (i32 local: 1 when the row surely matches, i64 local: its undecided mask).
    /// A row with a known failing cell neither matches nor is undecided.
    fn row_status(&mut self, row: &ir::Row, inputs: &[Val]) -> (u32, u32) {
        let ok = self.a.i32();
        let mask = self.a.i64();
        self.a.i32_const(1).set(ok);
        self.a.set_i64(mask, 0);
        for (cell, input) in row.cells.iter().zip(inputs) {
            if *cell == Cell::Any {
                continue;
            }
            // A cell naming a value is undecided while that value is unknown.
            let (named, m) = match cell {
                Cell::Named { value, .. } => {
                    let named = self.expr(value);
                    (Some(named.v), self.or_masks(&[input.m, named.m]))
                }
                _ => (None, input.m),
            };
            let opened = self.when_known(m);
            match (cell, named) {
                (Cell::Named { op, .. }, Some(named)) => {
                    self.a.val(input.v).val(named).op(compare_instruction(*op));
                }
                _ => self.cell_test(cell, input.v),
            }
            self.a.get(ok).op(I::I32And).set(ok);
            if opened {
                self.a.else_();
                if let Some(m) = m {
                    self.a.get(mask).get(m).op(I::I64Or).set(mask);
                }
                self.a.end();
            }
        }
        // A known failing cell clears the mask: the row cannot match.
        self.a.get(ok).op(I::I32Eqz);
        self.a.if_();
        self.a.set_i64(mask, 0);
        self.a.end();
        let matched = self.a.i32();
        self.a
            .get(ok)
            .get(mask)
            .op(I::I64Eqz)
            .op(I::I32And)
            .set(matched);
        (matched, mask)
    }

    /// Pushes an i32: whether the known value in `value` passes the cell.
    fn cell_test(&mut self, cell: &Cell, value: Operand) {
        match cell {
            Cell::Any => {
                self.a.i32_const(1);
            }
            Cell::Equals(literal) => {
                let c = self.literal_value(literal);
                self.a.val(value).i64_const(c).op(I::I64Eq);
            }
            Cell::Compare(op, literal) => {
                let c = self.literal_value(literal);
                self.a.val(value).i64_const(c).op(compare_instruction(*op));
            }
            // Emitted by `row_status`, which evaluates the named value.
            Cell::Named { .. } => {
                self.a.i32_const(0);
            }
            Cell::Range(low, high) => {
                let (low, high) = (self.literal_value(low), self.literal_value(high));
                self.a.val(value).i64_const(low).op(I::I64GeS);
                self.a
                    .val(value)
                    .i64_const(high)
                    .op(I::I64LeS)
                    .op(I::I32And);
            }
            Cell::OneOf(literals) => {
                self.a.i32_const(0);
                for literal in literals {
                    let c = self.literal_value(literal);
                    self.a.val(value).i64_const(c).op(I::I64Eq).op(I::I32Or);
                }
            }
        }
    }
}

/// The i64 comparison that pushes an i32 for `op`.
fn compare_instruction(op: CompareOp) -> I<'static> {
    match op {
        CompareOp::Eq => I::I64Eq,
        CompareOp::Ne => I::I64Ne,
        CompareOp::Lt => I::I64LtS,
        CompareOp::Le => I::I64LeS,
        CompareOp::Gt => I::I64GtS,
        CompareOp::Ge => I::I64GeS,
    }
}
