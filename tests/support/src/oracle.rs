//! The reference interpreter: typed IR + input memory image → [`RawOutcome`].
//!
//! Input: a checked [`Policy`], the [`Manifest`] its compiled module carries,
//! and the module's linear memory as the host filled it (application date,
//! presence bytes, fact slots, list and set element areas). Output: the
//! answers the module would write to its output region.
//!
//! This is the test oracle for the code generator, so it follows the
//! semantics stated in `ir/mod.rs` and `calendar.rs` directly, walking the
//! expressions in Rust. It shares nothing with `codegen/expr.rs` except the
//! input layout (read from the manifest) and the calendar functions.
//!
//! Every value is a pair: the value (an i64, or for a set of text the text
//! ids it holds) and an unknown mask (0 when known; else the bits of the
//! missing facts it depends on, or [`NO_VALUE`] when there is no value).

use std::collections::HashMap;

use contract::manifest::Manifest;
use contract::{calendar, codec};
use rules_dsl::ir::{
    self, AggregateKind, ArithOp, Cell, CollectOp, CompareOp, Definition, Expr, ExprKind,
    HitPolicy, Literal, Policy, Rounding, SetOperand, TimeUnit, Type,
};
use thiserror::Error;

use engine::{RawOutcome, RawScalar, RawValue, Tri};

/// The mask of a value that does not exist (bit 63).
pub const NO_VALUE: u64 = 1 << ir::NO_VALUE_BIT;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OracleError {
    /// What the compiled module traps on: overflow, division by zero, a date
    /// out of range.
    #[error("evaluation error: {reason}")]
    Trap { reason: String },
    /// The memory image does not hold what the manifest describes.
    #[error("the input memory does not fit the manifest: {reason}")]
    Input { reason: String },
    /// The IR breaks one of its own invariants (a bug in the checker).
    #[error("the policy's IR is inconsistent: {reason}")]
    Invalid { reason: String },
}

fn trap(reason: &str) -> OracleError {
    OracleError::Trap {
        reason: reason.to_string(),
    }
}

fn invalid(reason: impl Into<String>) -> OracleError {
    OracleError::Invalid {
        reason: reason.into(),
    }
}

/// Evaluates `policy` on the input in `memory`, laid out as `manifest` says.
pub fn run(policy: &Policy, manifest: &Manifest, memory: &[u8]) -> Result<RawOutcome, OracleError> {
    let mut interpreter = Interpreter::new(policy, manifest, memory)?;
    for definition in &policy.order {
        let value = match *definition {
            Definition::Let(i) => interpreter.expr(&policy.lets[i].value)?,
            Definition::Table(i) => interpreter.table(i)?,
            Definition::Rule(i) => interpreter.rule(i)?,
        };
        interpreter.done.insert(*definition, value);
    }
    interpreter.outcome()
}

/// A value: an i64 (bool 0/1, int, fen, day number, text id, enum variant)
/// or a set of text ids.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    I64(i64),
    Set(Vec<i64>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Val {
    v: Scalar,
    /// 0 when known.
    m: u64,
}

impl Val {
    fn known(v: i64) -> Val {
        Val {
            v: Scalar::I64(v),
            m: 0,
        }
    }

    fn unknown(m: u64) -> Val {
        Val {
            v: Scalar::I64(0),
            m,
        }
    }

    fn is_known(&self) -> bool {
        self.m == 0
    }

    fn int(&self) -> Result<i64, OracleError> {
        match self.v {
            Scalar::I64(v) => Ok(v),
            Scalar::Set(_) => Err(invalid("a set where a single value was expected")),
        }
    }

    fn tri(&self) -> Tri {
        match (self.m, &self.v) {
            (0, Scalar::I64(1)) => Tri::True,
            (0, Scalar::I64(0)) => Tri::False,
            (0, _) => Tri::Unknown,
            _ => Tri::Unknown,
        }
    }

    fn raw(&self) -> RawValue {
        let value = match &self.v {
            Scalar::I64(v) => RawScalar::I64(*v),
            Scalar::Set(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                RawScalar::Set(ids)
            }
        };
        RawValue {
            value,
            mask: self.m,
        }
    }
}

struct Interpreter<'a> {
    policy: &'a Policy,
    manifest: &'a Manifest,
    memory: &'a [u8],
    date: i64,
    /// Text constant → id (its index in `manifest.texts`).
    texts: HashMap<&'a str, i64>,
    /// Mask bit of each optional fact.
    fact_bit: Vec<Option<u64>>,
    /// Mask bit of each optional field, by (list fact, field).
    field_bit: HashMap<(usize, usize), u64>,
    /// Definitions computed so far.
    done: HashMap<Definition, Val>,
    /// Aggregate variable → (list fact, address of the record it visits).
    vars: Vec<Option<(usize, usize)>>,
}

impl<'a> Interpreter<'a> {
    fn new(
        policy: &'a Policy,
        manifest: &'a Manifest,
        memory: &'a [u8],
    ) -> Result<Interpreter<'a>, OracleError> {
        if manifest.input.facts.len() != policy.facts.len() {
            return Err(invalid(
                "the manifest and the policy declare different facts",
            ));
        }
        let texts = manifest
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i64::try_from(i).unwrap_or(i64::MAX)))
            .collect();
        // Bit order as `Policy::missing_slots` documents it: optional facts,
        // then optional fields of each list's records.
        let mut slot = 0usize;
        let mut fact_bit = vec![None; policy.facts.len()];
        for (index, fact) in policy.facts.iter().enumerate() {
            if fact.optional {
                fact_bit[index] = Some(1u64 << Policy::missing_bit(slot));
                slot += 1;
            }
        }
        let mut field_bit = HashMap::new();
        for (index, fact) in policy.facts.iter().enumerate() {
            if let Type::List(record) = fact.ty {
                for (field_index, field) in policy.records[record].fields.iter().enumerate() {
                    if field.optional {
                        field_bit.insert((index, field_index), 1u64 << Policy::missing_bit(slot));
                        slot += 1;
                    }
                }
            }
        }
        let mut interpreter = Interpreter {
            policy,
            manifest,
            memory,
            date: 0,
            texts,
            fact_bit,
            field_bit,
            done: HashMap::new(),
            vars: vec![None; policy.var_count],
        };
        interpreter.date = interpreter.read_i64(manifest.input.application_date as usize)?;
        Ok(interpreter)
    }

    // ------------------------------------------------------------ memory

    fn read_i64(&self, address: usize) -> Result<i64, OracleError> {
        let bytes = address
            .checked_add(8)
            .and_then(|end| self.memory.get(address..end))
            .ok_or_else(|| OracleError::Input {
                reason: format!("reading 8 bytes at {address} leaves the memory"),
            })?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(i64::from_le_bytes(array))
    }

    fn read_u8(&self, address: usize) -> Result<u8, OracleError> {
        self.memory
            .get(address)
            .copied()
            .ok_or_else(|| OracleError::Input {
                reason: format!("reading the byte at {address} leaves the memory"),
            })
    }

    /// The element count of a list or set fact, bounded by the layout's capacity.
    fn element_count(&self, fact: usize) -> Result<usize, OracleError> {
        let slot = &self.manifest.input.facts[fact];
        let count = self.read_i64(slot.offset as usize)?;
        match usize::try_from(count) {
            Ok(count) if count <= self.manifest.input.max_list_len as usize => Ok(count),
            _ => Err(OracleError::Input {
                reason: format!("`{}` holds {count} elements", slot.name),
            }),
        }
    }

    // ------------------------------------------------------------ literals

    fn text_id(&self, text: &str) -> i64 {
        // A text that is not a constant of the policy never equals an input
        // text (inputs have ids ≥ 0); distinct such texts stay distinct.
        match self.texts.get(text) {
            Some(&id) => id,
            None => {
                if let Some(id) = codec::canonical_number(text).and_then(codec::number_text_id) {
                    return id;
                }
                let hash = text.bytes().fold(1u64, |h, b| {
                    h.wrapping_mul(1_000_003).wrapping_add(u64::from(b))
                });
                -1 - i64::try_from(hash >> 2).unwrap_or(0)
            }
        }
    }

    fn literal(&self, literal: &Literal) -> i64 {
        match literal {
            Literal::Bool(b) => i64::from(*b),
            Literal::Int(n) | Literal::Money(n) | Literal::Decimal { units: n, .. } => *n,
            Literal::Date(d) => calendar::days_from_date(*d),
            Literal::Text(t) => self.text_id(t),
            Literal::Enum { variant, .. } => i64::try_from(*variant).unwrap_or(i64::MAX),
        }
    }

    // ------------------------------------------------------------ outputs

    fn outcome(&mut self) -> Result<RawOutcome, OracleError> {
        let policy = self.policy;
        let eligibility = self.expr(&policy.eligibility)?;
        let rules = (0..policy.rules.len())
            .map(|i| self.definition(Definition::Rule(i)).map(|v| v.tri()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut materials = Vec::with_capacity(policy.materials.len());
        let mut material_masks = Vec::with_capacity(policy.materials.len());
        for material in &policy.materials {
            match &material.condition {
                Some(condition) => {
                    let value = self.expr(condition)?;
                    materials.push(value.tri());
                    material_masks.push(value.m);
                }
                None => {
                    materials.push(Tri::True);
                    material_masks.push(0);
                }
            }
        }
        let steps = policy
            .steps
            .iter()
            .map(|s| self.condition(s.condition.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let values = policy
            .reported_values()
            .into_iter()
            .map(|reported| {
                let definition = match reported {
                    ir::Reported::Let(i) => Definition::Let(i),
                    ir::Reported::Table(i) => Definition::Table(i),
                };
                self.definition(definition).map(|v| v.raw())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RawOutcome {
            eligibility: eligibility.tri(),
            mask: eligibility.m,
            rules,
            materials,
            material_masks,
            steps,
            values,
        })
    }

    fn condition(&mut self, condition: Option<&Expr>) -> Result<Tri, OracleError> {
        match condition {
            Some(expr) => Ok(self.expr(expr)?.tri()),
            None => Ok(Tri::True),
        }
    }

    fn definition(&self, definition: Definition) -> Result<Val, OracleError> {
        self.done
            .get(&definition)
            .cloned()
            .ok_or_else(|| invalid(format!("{definition:?} is used before it is computed")))
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, expr: &Expr) -> Result<Val, OracleError> {
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(Val::known(self.literal(literal))),
            ExprKind::ApplicationDate => Ok(Val::known(self.date)),
            ExprKind::Fact(id) => self.fact(*id),
            ExprKind::Field { var, field, .. } => self.field(*var, *field),
            ExprKind::Let(i) => self.definition(Definition::Let(*i)),
            ExprKind::Table(i) => self.definition(Definition::Table(*i)),
            ExprKind::Rule(i) => self.definition(Definition::Rule(*i)),
            ExprKind::Param { param, keys } => self.param(*param, keys),
            ExprKind::Not(inner) => {
                let inner = self.expr(inner)?;
                Ok(Val {
                    v: Scalar::I64(1 - inner.int()?),
                    m: inner.m,
                })
            }
            ExprKind::And(operands) => self.junction(operands, 0),
            ExprKind::Or(operands) => self.junction(operands, 1),
            ExprKind::Compare { op, lhs, rhs }
                if lhs.is_filtered_count() || rhs.is_filtered_count() =>
            {
                self.compare_count(*op, lhs, rhs)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                let m = l.m | r.m;
                let result = compare(*op, l.int()?, r.int()?);
                Ok(Val {
                    v: Scalar::I64(i64::from(result)),
                    m,
                })
            }
            ExprKind::In {
                negated,
                element,
                set,
            } => {
                let e = self.expr(element)?;
                let (found, m) = match set {
                    SetOperand::Literals(literals) => {
                        let x = e.int()?;
                        (literals.iter().any(|l| self.literal(l) == x), e.m)
                    }
                    SetOperand::Value(set) => {
                        let s = self.expr(set)?;
                        let m = e.m | s.m;
                        let found = match (&s.v, m) {
                            (_, 1..) => false,
                            (Scalar::Set(ids), 0) => ids.contains(&e.int()?),
                            (Scalar::I64(_), 0) => {
                                return Err(invalid("`in` over a value that is not a set"));
                            }
                        };
                        (found, m)
                    }
                };
                Ok(Val {
                    v: Scalar::I64(i64::from(found != *negated)),
                    m,
                })
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                if l.m | r.m != 0 {
                    return Ok(Val::unknown(l.m | r.m));
                }
                let (a, b) = (l.int()?, r.int()?);
                let result = match op {
                    ArithOp::Add => a.checked_add(b),
                    ArithOp::Sub => a.checked_sub(b),
                    ArithOp::Mul => a.checked_mul(b),
                };
                result
                    .map(Val::known)
                    .ok_or_else(|| trap("arithmetic overflow"))
            }
            ExprKind::Div { lhs, rhs, rounding } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                if l.m | r.m != 0 {
                    return Ok(Val::unknown(l.m | r.m));
                }
                let mode = match rounding {
                    Rounding::Down => 0,
                    Rounding::Up => 1,
                    Rounding::HalfUp => 2,
                    Rounding::HalfEven => 3,
                };
                calendar::div_round(l.int()?, r.int()?, mode)
                    .map(Val::known)
                    .ok_or_else(|| trap("division by zero or overflow"))
            }
            ExprKind::EnumText(inner) => {
                let x = self.expr(inner)?;
                if x.m != 0 {
                    return Ok(Val::unknown(x.m));
                }
                let name = match inner.ty {
                    Type::Enum(id) => usize::try_from(x.int()?)
                        .ok()
                        .and_then(|v| self.policy.enums.get(id)?.variants.get(v).cloned()),
                    _ => None,
                };
                match name {
                    Some(name) => Ok(Val::known(self.text_id(&name))),
                    None => Err(OracleError::Input {
                        reason: "an enum value out of its range".into(),
                    }),
                }
            }
            ExprKind::NumberText(inner) => {
                let x = self.expr(inner)?;
                if x.m != 0 {
                    return Ok(Val::unknown(x.m));
                }
                let n = x.int()?;
                let id =
                    codec::number_text_id(n).ok_or_else(|| trap("number too large for text"))?;
                let digits = n.to_string();
                Ok(Val::known(
                    self.texts.get(digits.as_str()).copied().unwrap_or(id),
                ))
            }
            ExprKind::Neg(inner) => {
                let x = self.expr(inner)?;
                if x.m != 0 {
                    return Ok(Val::unknown(x.m));
                }
                0i64.checked_sub(x.int()?)
                    .map(Val::known)
                    .ok_or_else(|| trap("arithmetic overflow"))
            }
            ExprKind::DateAdd {
                date,
                amount,
                unit,
                subtract,
            } => {
                let d = self.expr(date)?;
                let n = self.expr(amount)?;
                if d.m | n.m != 0 {
                    return Ok(Val::unknown(d.m | n.m));
                }
                let (d, n) = (d.int()?, n.int()?);
                let n = if *subtract {
                    0i64.checked_sub(n)
                        .ok_or_else(|| trap("arithmetic overflow"))?
                } else {
                    n
                };
                let result = match unit {
                    TimeUnit::Days => calendar::checked_add_days(d, n),
                    TimeUnit::Months => calendar::checked_add_months(d, n),
                    TimeUnit::Years => {
                        let months = n
                            .checked_mul(12)
                            .ok_or_else(|| trap("arithmetic overflow"))?;
                        calendar::checked_add_months(d, months)
                    }
                };
                result
                    .map(Val::known)
                    .ok_or_else(|| trap("date out of range"))
            }
            ExprKind::AgeOn { birth, on } => {
                self.binary(birth, on, |birth, on| Some(calendar::age_on(birth, on)))
            }
            ExprKind::MonthsBetween { from, to } => self.binary(from, to, |from, to| {
                Some(calendar::months_between(from, to))
            }),
            ExprKind::DaysBetween { from, to } => {
                self.binary(from, to, |from, to| to.checked_sub(from))
            }
            ExprKind::Least(operands) => self.extreme(operands, true),
            ExprKind::Greatest(operands) => self.extreme(operands, false),
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(condition)?;
                if c.m != 0 {
                    // Both branches, when neither can fail: the same known
                    // value decides whatever the condition.
                    if condition.nullable && Expr::compares_branches(then, otherwise) {
                        let t = self.expr(then)?;
                        let o = self.expr(otherwise)?;
                        if t.m == 0 && o.m == 0 && t.v == o.v {
                            return Ok(t);
                        }
                        return Ok(Val::unknown(c.m | t.m | o.m));
                    }
                    return Ok(Val::unknown(c.m));
                }
                if c.int()? != 0 {
                    self.expr(then)
                } else {
                    self.expr(otherwise)
                }
            }
            ExprKind::Aggregate {
                kind,
                list,
                var,
                filter,
                value,
            } => self.aggregate(*kind, *list, *var, filter.as_deref(), value.as_deref()),
        }
    }

    /// Both operands, then `f` when both are known (`None` traps).
    fn binary(
        &mut self,
        a: &Expr,
        b: &Expr,
        f: impl Fn(i64, i64) -> Option<i64>,
    ) -> Result<Val, OracleError> {
        let a = self.expr(a)?;
        let b = self.expr(b)?;
        if a.m | b.m != 0 {
            return Ok(Val::unknown(a.m | b.m));
        }
        f(a.int()?, b.int()?)
            .map(Val::known)
            .ok_or_else(|| trap("arithmetic overflow"))
    }

    fn extreme(&mut self, operands: &[Expr], least: bool) -> Result<Val, OracleError> {
        let values = operands
            .iter()
            .map(|o| self.expr(o))
            .collect::<Result<Vec<_>, _>>()?;
        let m = values.iter().fold(0, |m, v| m | v.m);
        if m != 0 {
            return Ok(Val::unknown(m));
        }
        let ints = values.iter().map(Val::int).collect::<Result<Vec<_>, _>>()?;
        let best = if least {
            ints.iter().min()
        } else {
            ints.iter().max()
        };
        best.copied()
            .map(Val::known)
            .ok_or_else(|| invalid("`min`/`max` without operands"))
    }

    fn fact(&self, id: usize) -> Result<Val, OracleError> {
        let fact = &self.policy.facts[id];
        let slot = &self.manifest.input.facts[id];
        let m = match self.fact_bit[id] {
            Some(bit) if self.read_u8(slot.presence as usize)? == 0 => bit,
            _ => 0,
        };
        if m != 0 {
            return Ok(Val::unknown(m));
        }
        match fact.ty {
            Type::Set => {
                let count = self.element_count(id)?;
                let area = slot.elements.as_ref().map_or(0, |e| e.area as usize);
                let ids = (0..count)
                    .map(|i| self.read_i64(area + 8 * i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Val {
                    v: Scalar::Set(ids),
                    m: 0,
                })
            }
            Type::List(_) => Err(invalid(format!("the list `{}` used as a value", fact.name))),
            _ => Ok(Val::known(self.read_i64(slot.offset as usize)?)),
        }
    }

    fn field(&self, var: usize, field: usize) -> Result<Val, OracleError> {
        let (list, address) = self
            .vars
            .get(var)
            .copied()
            .flatten()
            .ok_or_else(|| invalid(format!("variable {var} read outside its aggregate")))?;
        let slot = self.manifest.input.facts[list]
            .elements
            .as_ref()
            .and_then(|e| e.fields.get(field))
            .ok_or_else(|| invalid(format!("field {field} of a list without that field")))?;
        if let Some(&bit) = self.field_bit.get(&(list, field)) {
            if self.read_u8(address + slot.presence as usize)? == 0 {
                return Ok(Val::unknown(bit));
            }
        }
        Ok(Val::known(self.read_i64(address + slot.offset as usize)?))
    }

    fn param(&mut self, param: usize, keys: &[Expr]) -> Result<Val, OracleError> {
        let definition = &self.policy.params[param];
        // Every key is worked out; any unknown one makes the value unknown
        // for all their reasons.
        let mut values = Vec::with_capacity(keys.len());
        let mut mask = 0;
        for key in keys {
            let key = self.expr(key)?;
            mask |= key.m;
            values.push(key);
        }
        if mask != 0 {
            return Ok(Val::unknown(mask));
        }
        let values: Vec<i64> = values.iter().map(|v| v.int()).collect::<Result<_, _>>()?;
        let in_force = definition.entries.iter().rfind(|entry| {
            calendar::days_from_date(entry.from) <= self.date
                && entry.keys.len() == values.len()
                && entry
                    .keys
                    .iter()
                    .zip(&values)
                    .all(|(entry_key, &value)| self.literal(entry_key) == value)
        });
        Ok(in_force.map_or(Val::unknown(NO_VALUE), |entry| {
            Val::known(self.literal(&entry.value))
        }))
    }

    /// Kleene `and` (deciding value 0) or `or` (deciding value 1), stopping at
    /// the first known deciding operand.
    fn junction(&mut self, operands: &[Expr], deciding: i64) -> Result<Val, OracleError> {
        let mut m = 0;
        for operand in operands {
            let value = self.expr(operand)?;
            if value.is_known() {
                if value.int()? == deciding {
                    return Ok(Val::known(deciding));
                }
            } else {
                m |= value.m;
            }
        }
        Ok(if m == 0 {
            Val::known(1 - deciding)
        } else {
            Val::unknown(m)
        })
    }

    /// A `count` with a filter compared with a value: the comparison is
    /// decided when it holds for every count the unsure records allow
    /// (from those known to pass to those plus the unsure), or for none.
    fn compare_count(&mut self, op: CompareOp, lhs: &Expr, rhs: &Expr) -> Result<Val, OracleError> {
        let count_left = lhs.is_filtered_count();
        let mut range = None;
        let mut side = |this: &mut Self, e: &Expr, counted: bool| -> Result<Val, OracleError> {
            if counted {
                let (known, unsure, mask) = this.count_range(e)?;
                range = Some((known, unsure));
                return Ok(Val {
                    v: Scalar::I64(known),
                    m: mask,
                });
            }
            this.expr(e)
        };
        let l = side(self, lhs, count_left)?;
        let r = side(self, rhs, !count_left)?;
        let (count, other) = if count_left { (&l, &r) } else { (&r, &l) };
        let (known, unsure) = range.unwrap_or((0, 0));
        if other.m == 0 {
            let b = other.int()?;
            let results: Vec<bool> = (known..=known + unsure)
                .map(|x| {
                    if count_left {
                        compare(op, x, b)
                    } else {
                        compare(op, b, x)
                    }
                })
                .collect();
            if results.iter().all(|&r| r == results[0]) {
                return Ok(Val {
                    v: Scalar::I64(i64::from(results[0])),
                    m: 0,
                });
            }
        }
        Ok(Val::unknown(count.m | other.m))
    }

    /// Of a `count` with a filter: the records known to pass, the unsure
    /// ones, and the unsure ones' masks.
    fn count_range(&mut self, expr: &Expr) -> Result<(i64, i64, u64), OracleError> {
        let ExprKind::Aggregate {
            list,
            var,
            filter: Some(filter),
            ..
        } = &expr.kind
        else {
            return Err(invalid("not a count with a filter"));
        };
        let count = self.element_count(*list)?;
        let elements = self.manifest.input.facts[*list]
            .elements
            .clone()
            .ok_or_else(|| invalid("an aggregate over a fact that is not a list"))?;
        if *var >= self.vars.len() {
            return Err(invalid("variable beyond the policy's"));
        }
        let saved = self.vars[*var];
        let result = (|| {
            let (mut known, mut unsure, mut mask) = (0i64, 0i64, 0u64);
            for index in 0..count {
                self.vars[*var] = Some((
                    *list,
                    elements.area as usize + index * elements.size as usize,
                ));
                let f = self.expr(filter)?;
                if f.m != 0 {
                    unsure += 1;
                    mask |= f.m;
                } else if f.int()? != 0 {
                    known += 1;
                }
            }
            Ok((known, unsure, mask))
        })();
        self.vars[*var] = saved;
        result
    }

    fn aggregate(
        &mut self,
        kind: AggregateKind,
        list: usize,
        var: usize,
        filter: Option<&Expr>,
        value: Option<&Expr>,
    ) -> Result<Val, OracleError> {
        let count = self.element_count(list)?;
        let elements = self.manifest.input.facts[list]
            .elements
            .clone()
            .ok_or_else(|| invalid("an aggregate over a fact that is not a list"))?;
        if var >= self.vars.len() {
            return Err(invalid(format!(
                "variable {var} beyond the policy's {}",
                self.vars.len()
            )));
        }
        let saved = self.vars[var];
        let result = (|| {
            let mut acc: i64 = 0;
            let mut have = false;
            let mut m = 0u64;
            for index in 0..count {
                self.vars[var] = Some((
                    list,
                    elements.area as usize + index * elements.size as usize,
                ));
                // The filter: None when absent, else its value.
                let f = match filter {
                    Some(filter) => Some(self.expr(filter)?),
                    None => None,
                };
                if let Some(f) = &f {
                    if f.is_known() && f.int()? == 0 {
                        continue;
                    }
                }
                let filter_mask = f.map_or(0, |f| f.m);
                match kind {
                    AggregateKind::Count
                    | AggregateKind::Sum
                    | AggregateKind::Min
                    | AggregateKind::Max => {
                        if filter_mask != 0 {
                            m |= filter_mask;
                            continue;
                        }
                        if kind == AggregateKind::Count {
                            acc += 1;
                            continue;
                        }
                        let value =
                            value.ok_or_else(|| invalid("`sum`/`min`/`max` without a value"))?;
                        let x = self.expr(value)?;
                        if x.m != 0 {
                            m |= x.m;
                            continue;
                        }
                        let x = x.int()?;
                        match kind {
                            AggregateKind::Sum => {
                                acc = acc
                                    .checked_add(x)
                                    .ok_or_else(|| trap("arithmetic overflow"))?;
                            }
                            AggregateKind::Min if !have || x < acc => acc = x,
                            AggregateKind::Max if !have || x > acc => acc = x,
                            _ => {}
                        }
                        have = true;
                    }
                    AggregateKind::Any | AggregateKind::All => {
                        let deciding = i64::from(kind == AggregateKind::Any);
                        let value =
                            value.ok_or_else(|| invalid("`any`/`all` without a condition"))?;
                        let x = self.expr(value)?;
                        if filter_mask == 0 {
                            if x.is_known() {
                                if x.int()? == deciding {
                                    return Ok(Val::known(deciding));
                                }
                            } else {
                                m |= x.m;
                            }
                        } else {
                            if x.is_known() && x.int()? != deciding {
                                continue;
                            }
                            m |= filter_mask | x.m;
                        }
                    }
                }
            }
            Ok(match kind {
                AggregateKind::Any => Val {
                    v: Scalar::I64(0),
                    m,
                },
                AggregateKind::All => Val {
                    v: Scalar::I64(1),
                    m,
                },
                AggregateKind::Min | AggregateKind::Max if !have && m == 0 => {
                    Val::unknown(NO_VALUE)
                }
                _ => Val {
                    v: Scalar::I64(acc),
                    m,
                },
            })
        })();
        self.vars[var] = saved;
        result
    }

    // ------------------------------------------------------------ rules

    fn rule(&mut self, index: usize) -> Result<Val, OracleError> {
        let rule = &self.policy.rules[index];
        let mut result = self.expr(&rule.body)?;
        if rule.overrides.is_some() {
            // An exception's own value is its condition.
            return Ok(result);
        }
        for &exception in rule.exceptions.iter().rev() {
            let value = self.policy.rules[exception]
                .overrides
                .ok_or_else(|| {
                    invalid(format!(
                        "rule {exception} listed as an exception overrides nothing"
                    ))
                })?
                .value;
            let value = i64::from(value);
            let condition = self.definition(Definition::Rule(exception))?;
            if condition.is_known() {
                if condition.int()? != 0 {
                    result = Val::known(value);
                }
            } else if !(result.is_known() && result.int()? == value) {
                result = Val {
                    v: result.v,
                    m: result.m | condition.m,
                };
            }
        }
        Ok(result)
    }

    // ------------------------------------------------------------ tables

    fn table(&mut self, index: usize) -> Result<Val, OracleError> {
        let table = &self.policy.tables[index];
        let inputs = table
            .inputs
            .iter()
            .map(|i| self.expr(i))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = table
            .rows
            .iter()
            .map(|row| self.row_status(row, &inputs))
            .collect::<Result<Vec<_>, _>>()?;
        let outputs: Vec<i64> = table.rows.iter().map(|r| self.literal(&r.output)).collect();
        match &table.hit {
            HitPolicy::Unique | HitPolicy::First | HitPolicy::Priority { .. } => {
                let groups: Vec<Vec<usize>> = match &table.hit {
                    HitPolicy::Unique => vec![(0..table.rows.len()).collect()],
                    HitPolicy::First => (0..table.rows.len()).map(|r| vec![r]).collect(),
                    HitPolicy::Priority { order } => {
                        let rank = |r: usize| order.iter().position(|o| *o == table.rows[r].output);
                        let mut ranks: Vec<Option<usize>> =
                            (0..table.rows.len()).map(rank).collect();
                        ranks.sort_unstable_by_key(|r| r.unwrap_or(usize::MAX));
                        ranks.dedup();
                        ranks
                            .into_iter()
                            .map(|wanted| {
                                (0..table.rows.len())
                                    .filter(|&r| rank(r) == wanted)
                                    .collect()
                            })
                            .collect()
                    }
                    HitPolicy::Collect(_) => Vec::new(),
                };
                let mut pending = 0u64;
                for group in &groups {
                    if let Some(&r) = group.iter().find(|&&r| rows[r] == RowStatus::Matched) {
                        return Ok(Val {
                            v: Scalar::I64(outputs[r]),
                            m: pending,
                        });
                    }
                    for &r in group {
                        if let RowStatus::Undecided(mask) = rows[r] {
                            pending |= mask;
                        }
                    }
                }
                Ok(match (&table.default, pending) {
                    (Some(default), 0) => Val::known(self.literal(default)),
                    (None, 0) => Val::unknown(NO_VALUE),
                    (_, pending) => Val::unknown(pending),
                })
            }
            HitPolicy::Collect(op) => {
                let pending = rows.iter().fold(0, |m, s| match s {
                    RowStatus::Undecided(mask) => m | mask,
                    _ => m,
                });
                let matched: Vec<i64> = (0..rows.len())
                    .filter(|&r| rows[r] == RowStatus::Matched)
                    .map(|r| outputs[r])
                    .collect();
                let v = match op {
                    None => Scalar::Set(matched),
                    Some(CollectOp::Count) => {
                        Scalar::I64(i64::try_from(matched.len()).unwrap_or(i64::MAX))
                    }
                    Some(CollectOp::Sum) => Scalar::I64(
                        matched
                            .iter()
                            .try_fold(0i64, |acc, x| acc.checked_add(*x))
                            .ok_or_else(|| trap("arithmetic overflow"))?,
                    ),
                    Some(CollectOp::Min) | Some(CollectOp::Max) => {
                        let best = if *op == Some(CollectOp::Min) {
                            matched.iter().min()
                        } else {
                            matched.iter().max()
                        };
                        match (best, pending) {
                            (Some(best), _) => Scalar::I64(*best),
                            (None, 0) => return Ok(Val::unknown(NO_VALUE)),
                            (None, _) => Scalar::I64(0),
                        }
                    }
                };
                Ok(Val { v, m: pending })
            }
        }
    }

    fn row_status(&mut self, row: &ir::Row, inputs: &[Val]) -> Result<RowStatus, OracleError> {
        let mut mask = 0u64;
        let mut failed = false;
        for (cell, input) in row.cells.iter().zip(inputs) {
            if *cell == Cell::Any {
                continue;
            }
            // A cell naming a value: undecided while the value is unknown.
            let named = match cell {
                Cell::Named { value, .. } => Some(self.expr(value)?),
                _ => None,
            };
            let named_mask = named.as_ref().map_or(0, |n| n.m);
            if !input.is_known() || named_mask != 0 {
                mask |= input.m | named_mask;
                continue;
            }
            let x = input.int()?;
            let holds = match cell {
                Cell::Any => true,
                Cell::Named { op, .. } => match &named {
                    Some(n) => compare(*op, x, n.int()?),
                    None => false,
                },
                Cell::Equals(literal) => x == self.literal(literal),
                Cell::Compare(op, literal) => compare(*op, x, self.literal(literal)),
                Cell::Range(low, high) => self.literal(low) <= x && x <= self.literal(high),
                Cell::OneOf(literals) => literals.iter().any(|l| self.literal(l) == x),
            };
            failed |= !holds;
        }
        Ok(if failed {
            RowStatus::No
        } else if mask != 0 {
            RowStatus::Undecided(mask)
        } else {
            RowStatus::Matched
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowStatus {
    Matched,
    Undecided(u64),
    No,
}

fn compare(op: CompareOp, a: i64, b: i64) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
    }
}
