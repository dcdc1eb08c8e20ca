//! The typed IR: the contract between checking and everything after it.
//!
//! Input: built by `check` from a policy that has no errors. Output: read by
//! the WebAssembly code generator and by the reference interpreter, which
//! must need nothing else. Every name is resolved to an index, every
//! expression carries its type and whether it may be unknown, literals are
//! exact (money in fen, dates as calendar dates). The IR holds no spans, so
//! two sources that differ only in layout give equal IR (the formatter's
//! meaning-preservation test relies on this).

mod dump;
pub mod words;

use jiff::civil::Date;

pub use contract::calendar::{CalendarYear, WorkCalendar};
pub use contract::manifest::Bounds;

pub use crate::syntax::ast::{
    AggregateKind, CollectOp, CompareOp, Fallback, Form, Rounding, TimeUnit,
};

/// Everything one `check` run produced without errors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workspace {
    pub catalogue: Catalogue,
    pub policies: Vec<Policy>,
    pub bundles: Vec<Bundle>,
}

impl Workspace {
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    pub fn bundle(&self, id: &str) -> Option<&Bundle> {
        self.bundles.iter().find(|b| b.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalogue {
    pub departments: Vec<Department>,
    pub datasets: Vec<Dataset>,
    pub materials: Vec<CatalogueMaterial>,
    /// Data elements (数据元): facts declared once, `use`d by policies and
    /// checked in each policy's own scope (their enums are the policy's).
    pub elements: Vec<crate::syntax::ast::FactDecl>,
    /// Parameters declared once (低保标准 by county), `use param`d by policies.
    pub params: Vec<crate::syntax::ast::ParamDecl>,
    /// The working-day calendar, by year.
    pub calendar: WorkCalendar,
}

impl Catalogue {
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn dataset(&self, id: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.id == id)
    }

    pub fn material(&self, id: &str) -> Option<&CatalogueMaterial> {
        self.materials.iter().find(|m| m.id == id)
    }

    pub fn element(&self, path: &str) -> Option<&crate::syntax::ast::FactDecl> {
        self.elements.iter().find(|e| e.name.text == path)
    }

    pub fn param(&self, name: &str) -> Option<&crate::syntax::ast::ParamDecl> {
        self.params.iter().find(|p| p.name.text == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    pub department: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueMaterial {
    pub id: String,
    pub name: String,
    pub form: Form,
    /// The department whose service issues this material (a licence, a certificate).
    pub issued_by: Option<String>,
}

pub type FactId = usize;
pub type EnumId = usize;
pub type RecordId = usize;
pub type ParamId = usize;
pub type LetId = usize;
pub type TableId = usize;
pub type RuleId = usize;
pub type StepId = usize;
/// The variable an aggregate binds to each record of its list.
pub type VarId = usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub department: String,
    pub basis: Vec<String>,
    pub version: i64,
    pub effective_from: Option<Date>,
    pub effective_until: Option<Date>,
    pub enums: Vec<EnumType>,
    pub records: Vec<RecordType>,
    pub facts: Vec<Fact>,
    pub params: Vec<Param>,
    pub lets: Vec<Let>,
    pub tables: Vec<Table>,
    /// Rules and exceptions in the order written; the decision lists them so.
    pub rules: Vec<Rule>,
    /// Lets, tables and rules, each after everything it refers to.
    pub order: Vec<Definition>,
    pub eligibility: Expr,
    pub materials: Vec<Material>,
    pub steps: Vec<Step>,
    /// How many aggregate variables the expressions bind (`VarId < var_count`).
    pub var_count: usize,
    /// The catalogue's departments and datasets this policy names, and the
    /// working-day calendar, copied so that the compiled artifact carries
    /// their names and the due dates need nothing else.
    pub departments: Vec<Department>,
    pub datasets: Vec<Dataset>,
    pub calendar: WorkCalendar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Definition {
    Let(LetId),
    Table(TableId),
    Rule(RuleId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub variants: Vec<String>,
    /// Per variant, its title when one was written (the first declaration
    /// that gives one).
    pub titles: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub title: Option<String>,
    pub ty: Type,
    pub optional: bool,
    /// For a number: the values it may take; the engine refuses others.
    pub bounds: Option<Bounds>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    /// Whole fen.
    Money,
    /// Whole units of 10^-scale: `decimal(2)` holds hundredths.
    Decimal(u8),
    Date,
    Text,
    Enum(EnumId),
    /// A set of text.
    Set,
    List(RecordId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The dotted name the request's JSON uses (`applicant.birth_date`).
    pub name: String,
    pub title: Option<String>,
    pub ty: Type,
    /// An optional fact may be absent (unknown); a required one may not.
    pub optional: bool,
    pub source: FactSource,
    /// For a number: the values it may take; the engine refuses others.
    pub bounds: Option<Bounds>,
}

/// Who answers a fact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FactSource {
    #[default]
    Applicant,
    /// A catalogue dataset the platform can fill the fact in from.
    Shared(String),
    /// The department, while processing (never asked of the applicant).
    Department,
}

/// A value chosen by the application date (and, if keyed, by one or more keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub title: Option<String>,
    pub ty: Type,
    /// The type of each key (`Text` or `Int`), in order; empty when the
    /// parameter has one value per date.
    pub keys: Vec<Type>,
    /// Sorted by key, then by `from`. The entry in force is the last one of
    /// the key whose `from` ≤ the application date; none in force is unknown.
    pub entries: Vec<ParamEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamEntry {
    /// One literal per key of the parameter.
    pub keys: Vec<Literal>,
    pub from: Date,
    pub value: Literal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Let {
    pub name: String,
    /// A titled `let` is reported in the decision's `values`.
    pub title: Option<String>,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub title: String,
    pub cite: Option<String>,
    /// For a rule: its condition. For an exception: the condition under which it applies.
    pub body: Expr,
    /// Set when this is an exception: the rule it overrides and the value it gives.
    pub overrides: Option<Override>,
    /// The exceptions to this rule, in the order written. The first whose
    /// condition holds decides; see docs/language.md ("Exceptions").
    pub exceptions: Vec<RuleId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Override {
    pub rule: RuleId,
    pub value: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// A titled table is reported in the decision's `values`.
    pub title: Option<String>,
    /// The type of each row's output.
    pub output: Type,
    /// The type of the table's value: `output`, or `Set` / `Int` for `collect`.
    pub ty: Type,
    pub hit: HitPolicy,
    pub inputs: Vec<Expr>,
    pub rows: Vec<Row>,
    pub default: Option<Literal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitPolicy {
    Unique,
    First,
    /// The matching row whose output comes first in `order` wins.
    Priority {
        order: Vec<Literal>,
    },
    /// All matching rows; `None` gathers text outputs into a set.
    Collect(Option<CollectOp>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub output: Literal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Any,
    Equals(Literal),
    Compare(CompareOp, Literal),
    /// Inclusive at both ends.
    Range(Literal, Literal),
    OneOf(Vec<Literal>),
    /// The input compared with a `let` or a parameter (`< limit`): a row
    /// whose named value is unknown is undecided, as for an unknown input.
    Named {
        op: CompareOp,
        value: Box<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// Catalogue id.
    pub id: String,
    pub name: String,
    /// `None`: always asked for.
    pub condition: Option<Expr>,
    pub form: Form,
    pub copies: u32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Applicant,
    Commitment,
    Shared { dataset: String, fallback: Fallback },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub title: String,
    pub department: String,
    pub after: Vec<StepId>,
    pub days: u32,
    pub working_days: bool,
    /// A catalogue material this step issues (a licence, a certificate).
    pub produces: Option<String>,
    /// `None`: always part of the plan.
    pub condition: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub id: String,
    pub title: String,
    pub department: String,
    pub basis: Vec<String>,
    /// Member policy ids, in the order written.
    pub members: Vec<String>,
    /// The facts the entry condition reads (a subset of the members' facts).
    pub facts: Vec<Fact>,
    pub enums: Vec<EnumType>,
    pub records: Vec<RecordType>,
    pub entry: Option<Expr>,
    pub links: Vec<Link>,
    pub var_count: usize,
}

/// What one member produces is a shared input of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub material: String,
    pub from: String,
    /// The producing member's step that issues the material.
    pub from_step: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Money(i64),
    /// `units` × 10^-`scale`.
    Decimal {
        units: i64,
        scale: u8,
    },
    Date(Date),
    Text(String),
    Enum {
        ty: EnumId,
        variant: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    /// Whether the value may be unknown (an optional fact, a parameter not in
    /// force, a table with no matching row, `min` of an empty list, …).
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Literal(Literal),
    Fact(FactId),
    /// A field of the record an aggregate is visiting.
    Field {
        var: VarId,
        record: RecordId,
        field: usize,
    },
    Let(LetId),
    /// The effective result of a rule (after its exceptions), or the
    /// condition of an exception.
    Rule(RuleId),
    Table(TableId),
    /// A parameter's value in force on the application date, for `keys`
    /// (one expression per declared key; none for an unkeyed parameter).
    Param {
        param: ParamId,
        keys: Vec<Expr>,
    },
    ApplicationDate,
    Not(Box<Expr>),
    /// Kleene: false if any operand is false, else unknown if any is unknown.
    And(Vec<Expr>),
    /// Kleene: true if any operand is true, else unknown if any is unknown.
    Or(Vec<Expr>),
    /// Both sides have the same type (`lhs.ty`).
    Compare {
        op: CompareOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// Text or enum membership in a set literal, or text in a `set of text` value.
    In {
        negated: bool,
        element: Box<Expr>,
        set: SetOperand,
    },
    /// int ± int, money ± money, int × int, money × int (money always on the left).
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// int / int → int, money / int → money, money / money → int; rounded.
    /// Division by zero is an evaluation error.
    Div {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        rounding: Rounding,
    },
    Neg(Box<Expr>),
    /// The decimal digits of a whole number as text (`3` → `"3"`), equal to
    /// the same text written in the policy or sent in a request.
    NumberText(Box<Expr>),
    /// The name of an enum value as text (`grade_band` → `"severe"`): an
    /// enum fact used as the key of a text-keyed parameter.
    EnumText(Box<Expr>),
    /// `date + n unit` (or minus); month and year steps clamp to the month's end.
    DateAdd {
        date: Box<Expr>,
        amount: Box<Expr>,
        unit: TimeUnit,
        subtract: bool,
    },
    /// Full years (周岁) on a date; a 29 February birthday is reached on 1 March in common years.
    AgeOn {
        birth: Box<Expr>,
        on: Box<Expr>,
    },
    /// Completed months (满N个月): the largest n with `from + n months <= to`.
    MonthsBetween {
        from: Box<Expr>,
        to: Box<Expr>,
    },
    /// `to - from` in days (negative when `to` is earlier).
    DaysBetween {
        from: Box<Expr>,
        to: Box<Expr>,
    },
    /// The least / greatest of two or more values of one type.
    Least(Vec<Expr>),
    Greatest(Vec<Expr>),
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Aggregate {
        kind: AggregateKind,
        list: FactId,
        var: VarId,
        filter: Option<Box<Expr>>,
        value: Option<Box<Expr>>,
    },
}

impl Expr {
    /// Calls `f` on each direct sub-expression.
    pub fn for_each_child<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Fact(_)
            | ExprKind::Field { .. }
            | ExprKind::Let(_)
            | ExprKind::Rule(_)
            | ExprKind::Table(_)
            | ExprKind::ApplicationDate => {}
            ExprKind::Param { keys, .. } => keys.iter().for_each(f),
            ExprKind::Not(e)
            | ExprKind::Neg(e)
            | ExprKind::NumberText(e)
            | ExprKind::EnumText(e) => f(e),
            ExprKind::And(es) | ExprKind::Or(es) | ExprKind::Least(es) | ExprKind::Greatest(es) => {
                es.iter().for_each(f)
            }
            ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Arith { lhs, rhs, .. }
            | ExprKind::Div { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::In { element, set, .. } => {
                f(element);
                if let SetOperand::Value(set) = set {
                    f(set);
                }
            }
            ExprKind::DateAdd { date, amount, .. } => {
                f(date);
                f(amount);
            }
            ExprKind::AgeOn { birth: a, on: b }
            | ExprKind::MonthsBetween { from: a, to: b }
            | ExprKind::DaysBetween { from: a, to: b } => {
                f(a);
                f(b);
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                f(condition);
                f(then);
                f(otherwise);
            }
            ExprKind::Aggregate { filter, value, .. } => {
                if let Some(filter) = filter {
                    f(filter);
                }
                if let Some(value) = value {
                    f(value);
                }
            }
        }
    }

    /// Whether working the expression out can never be an evaluation error:
    /// no arithmetic (it may overflow), no division, no date arithmetic (it
    /// may leave the years 0001–9999), no `sum`. Names of lets, tables and
    /// rules are values already worked out. `if` with an unknown condition
    /// works out both branches only when both cannot fail: then, when they
    /// give the same known value, so does the `if`.
    pub fn cannot_fail(&self) -> bool {
        let fails_itself = match &self.kind {
            ExprKind::Arith { .. }
            | ExprKind::Div { .. }
            | ExprKind::Neg(_)
            | ExprKind::NumberText(_)
            | ExprKind::DateAdd { .. } => true,
            ExprKind::Aggregate { kind, .. } => *kind == AggregateKind::Sum,
            _ => false,
        };
        let mut children_cannot = true;
        self.for_each_child(&mut |child| children_cannot &= child.cannot_fail());
        !fails_itself && children_cannot
    }

    /// A `count` with a filter: compared with a value, it is decided over
    /// the range the unsure records allow (docs/language.md §15.3).
    pub fn is_filtered_count(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Aggregate {
                kind: AggregateKind::Count,
                filter: Some(_),
                ..
            }
        )
    }

    /// Whether an `if` with an unknown condition compares its branches
    /// (both cannot fail, and the value is a scalar, not a set).
    pub fn compares_branches(then: &Expr, otherwise: &Expr) -> bool {
        !matches!(then.ty, Type::Set | Type::List(_))
            && then.cannot_fail()
            && otherwise.cannot_fail()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetOperand {
    Literals(Vec<Literal>),
    Value(Box<Expr>),
}

/// A value the decision reports under `values`: a titled `let` or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Let(LetId),
    Table(TableId),
}

/// The bit of a missing-facts mask that stands for "no value" rather than a
/// missing fact: a parameter not in force, a table without a matching row,
/// `min`/`max` of an empty list.
pub const NO_VALUE_BIT: u32 = 63;
/// Missing facts beyond the first 62 share this bit (the decision then lists
/// every one of them that is missing).
pub const OVERFLOW_BIT: u32 = 62;

/// A value a rule reads directly: a fact (by its dotted name) or a `let`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    Fact(String),
    Let(String),
}

impl Policy {
    /// What rule `rule` reads directly — its facts and `let`s, each once, in
    /// the order written — so that a failed scenario can show the values
    /// behind the rule's result.
    pub fn reads_of_rule(&self, rule: RuleId) -> Vec<Read> {
        let mut reads = Vec::new();
        let Some(rule) = self.rules.get(rule) else {
            return reads;
        };
        let mut pending = vec![&rule.body];
        while let Some(expr) = pending.pop() {
            let read = match &expr.kind {
                ExprKind::Fact(id) => self.facts.get(*id).map(|f| Read::Fact(f.name.clone())),
                ExprKind::Let(id) => self.lets.get(*id).map(|l| Read::Let(l.name.clone())),
                _ => None,
            };
            if let Some(read) = read {
                if !reads.contains(&read) {
                    reads.push(read);
                }
            }
            let mut children = Vec::new();
            expr.for_each_child(&mut |child| children.push(child));
            pending.extend(children.into_iter().rev());
        }
        reads
    }

    /// The facts that may be missing, in bit order of the unknown masks: each
    /// optional fact, then each optional field of a list's records as
    /// `list.field`. Slot `i` is bit `min(i, OVERFLOW_BIT)`.
    pub fn missing_slots(&self) -> Vec<String> {
        let mut slots = Vec::new();
        for fact in &self.facts {
            if fact.optional {
                slots.push(fact.name.clone());
            }
        }
        for fact in &self.facts {
            if let Type::List(record) = fact.ty {
                for field in &self.records[record].fields {
                    if field.optional {
                        slots.push(format!("{}.{}", fact.name, field.name));
                    }
                }
            }
        }
        slots
    }

    /// The mask bit of missing slot `index`.
    pub fn missing_bit(index: usize) -> u32 {
        u32::try_from(index).map_or(OVERFLOW_BIT, |i| i.min(OVERFLOW_BIT))
    }

    /// The values the decision reports, in the order written: titled lets
    /// first, then titled tables.
    pub fn reported_values(&self) -> Vec<Reported> {
        let lets = self
            .lets
            .iter()
            .enumerate()
            .filter(|(_, l)| l.title.is_some())
            .map(|(i, _)| Reported::Let(i));
        let tables = self
            .tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.title.is_some())
            .map(|(i, _)| Reported::Table(i));
        lets.chain(tables).collect()
    }
}
