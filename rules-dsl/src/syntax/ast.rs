//! The abstract syntax tree: what an officer wrote, with byte spans.
//!
//! Input: nothing (built by `syntax::parse`). Output: consumed by `check`
//! (resolution and types) and by `format` (the canonical layout). The tree
//! keeps everything the formatter needs to print the source back, including
//! parentheses as written; literals are already validated.

use jiff::civil::Date;

use crate::diagnostic::Span;

/// An identifier or a dotted path as written (`applicant.birth_date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A string literal with its escapes resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceFile {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    Policy {
        id: Name,
        title: Text,
    },
    Bundle {
        id: Name,
        title: Text,
    },
    Department {
        id: Name,
        name: Option<Text>,
    },
    Dataset {
        id: Name,
        name: Text,
        department: Name,
    },
    Material(MaterialDecl),
    Basis(Text),
    Version {
        value: i64,
        span: Span,
    },
    Effective {
        from: DateLit,
        until: Option<DateLit>,
    },
    Facts(Vec<FactDecl>),
    /// `element PATH: TYPE "title" from …` in the catalogue.
    Element(FactDecl),
    /// `use param NAME, …` in a policy: parameters the catalogue declares.
    UseParams(Vec<Name>),
    Param(ParamDecl),
    Let(LetDecl),
    Rule(RuleDecl),
    Exception(ExceptionDecl),
    Eligible(Expr),
    Table(TableDecl),
    Step(StepDecl),
    Member(Name),
    Entry(Expr),
    Link {
        material: Name,
        from: Name,
        to: Name,
    },
    Calendar(CalendarDecl),
}

/// One year of the working-day calendar (catalogue only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDecl {
    pub year: i64,
    pub year_span: Span,
    /// The notice that published the arrangement.
    pub notice: Text,
    pub entries: Vec<CalendarEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// `holiday` (days off) or `workday` (weekend days worked).
    pub holiday: bool,
    pub from: DateLit,
    /// The last day of a range `from..until`, inclusive.
    pub until: Option<DateLit>,
    pub note: Option<Text>,
    pub span: Span,
}

impl ItemKind {
    /// The keyword that starts the item, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            ItemKind::Policy { .. } => "policy",
            ItemKind::Bundle { .. } => "bundle",
            ItemKind::Department { .. } => "department",
            ItemKind::Dataset { .. } => "dataset",
            ItemKind::Material(_) => "material",
            ItemKind::Basis(_) => "basis",
            ItemKind::Version { .. } => "version",
            ItemKind::Effective { .. } => "effective",
            ItemKind::Facts(_) => "facts",
            ItemKind::Element(_) => "element",
            ItemKind::UseParams(_) => "use param",
            ItemKind::Param(_) => "param",
            ItemKind::Let(_) => "let",
            ItemKind::Rule(_) => "rule",
            ItemKind::Exception(_) => "exception",
            ItemKind::Eligible(_) => "eligible",
            ItemKind::Table(_) => "table",
            ItemKind::Step(_) => "step",
            ItemKind::Member(_) => "member",
            ItemKind::Entry(_) => "entry",
            ItemKind::Link { .. } => "link",
            ItemKind::Calendar(_) => "calendar",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLit {
    pub value: Date,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialDecl {
    pub id: Name,
    /// Present only in the catalogue: the material's display name.
    pub name: Option<Text>,
    pub clauses: Vec<MaterialClause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaterialClause {
    /// Each clause's span covers it from its keyword on.
    When {
        when: When,
        span: Span,
    },
    Form {
        form: Form,
        span: Span,
    },
    Copies {
        copies: i64,
        span: Span,
    },
    Source {
        source: Source,
        span: Span,
    },
    IssuedBy {
        department: Name,
        span: Span,
    },
}

/// The condition of a material or a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// `when always`: no condition, as if `when` were left out.
    Always(Span),
    Condition(Expr),
}

impl When {
    pub fn span(&self) -> Span {
        match self {
            When::Always(span) => *span,
            When::Condition(expr) => expr.span,
        }
    }

    /// The condition, or `None` for `when always`.
    pub fn condition(&self) -> Option<&Expr> {
        match self {
            When::Always(_) => None,
            When::Condition(expr) => Some(expr),
        }
    }
}

impl MaterialClause {
    pub fn keyword(&self) -> &'static str {
        match self {
            MaterialClause::When { .. } => "when",
            MaterialClause::Form { .. } => "form",
            MaterialClause::Copies { .. } => "copies",
            MaterialClause::Source { .. } => "source",
            MaterialClause::IssuedBy { .. } => "issued by",
        }
    }

    pub fn span(&self) -> Span {
        match self {
            MaterialClause::When { span, .. }
            | MaterialClause::Form { span, .. }
            | MaterialClause::Copies { span, .. }
            | MaterialClause::Source { span, .. }
            | MaterialClause::IssuedBy { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    Original,
    Copy,
    Electronic,
}

impl Form {
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Original => "original",
            Form::Copy => "copy",
            Form::Electronic => "electronic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Applicant,
    Commitment,
    Shared { dataset: Name, fallback: Fallback },
}

/// Who provides a shared material when the platform cannot fetch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fallback {
    Applicant,
    Commitment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactDecl {
    pub name: Name,
    pub ty: TypeExpr,
    pub title: Option<Text>,
    pub source: Option<FactSource>,
    pub span: Span,
}

/// `from applicant`, `from shared DATASET` or `from department`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactSource {
    Applicant,
    Shared(Name),
    Department,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    Scalar {
        ty: ScalarType,
        optional: bool,
        range: Option<ValueRange>,
        span: Span,
    },
    List {
        fields: Vec<FieldDecl>,
        span: Span,
    },
    Set {
        element: BaseType,
        span: Span,
    },
    /// `use PATH[?]` in a `facts` block: the type, title and source of the
    /// catalogue's data element of that path.
    Element {
        optional: bool,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalarType {
    Base(BaseType),
    Enum(Vec<EnumValueDecl>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValueDecl {
    pub name: Name,
    pub title: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseType {
    Bool,
    Int,
    Money,
    /// `decimal(N)`: a number with N decimals, exact.
    Decimal(u8),
    Date,
    Text,
}

impl BaseType {
    /// The type as it is written.
    pub fn as_str(self) -> std::borrow::Cow<'static, str> {
        match self {
            BaseType::Bool => "bool".into(),
            BaseType::Int => "int".into(),
            BaseType::Money => "money".into(),
            BaseType::Decimal(scale) => format!("decimal({scale})").into(),
            BaseType::Date => "date".into(),
            BaseType::Text => "text".into(),
        }
    }
}

/// The values a number fact may take: `1..4`, `>= 0.00`, `<= 100`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRange {
    pub min: Option<Literal>,
    pub max: Option<Literal>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    pub name: Name,
    pub ty: ScalarType,
    pub optional: bool,
    pub range: Option<ValueRange>,
    pub title: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamKey {
    /// One type per key: `[text, int]`.
    pub types: Vec<BaseType>,
    /// From `[` to `]`.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDecl {
    pub name: Name,
    pub key: Option<ParamKey>,
    pub ty: BaseType,
    pub title: Option<Text>,
    pub entries: Vec<ParamEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamEntry {
    /// One literal per declared key, empty for an unkeyed parameter.
    pub keys: Vec<Literal>,
    pub from: DateLit,
    pub value: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetDecl {
    pub name: Name,
    pub title: Option<Text>,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecl {
    pub name: Name,
    pub title: Text,
    pub cite: Option<Text>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionDecl {
    pub name: Name,
    pub title: Text,
    pub cite: Option<Text>,
    pub target: Name,
    pub value: bool,
    pub condition: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HitPolicy {
    Unique,
    First,
    Priority,
    Collect(Option<CollectOp>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectOp {
    Sum,
    Count,
    Min,
    Max,
}

impl CollectOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CollectOp::Sum => "sum",
            CollectOp::Count => "count",
            CollectOp::Min => "min",
            CollectOp::Max => "max",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDecl {
    pub name: Name,
    pub title: Option<Text>,
    pub ty: BaseType,
    pub ty_span: Span,
    pub hit: HitPolicy,
    pub hit_span: Span,
    pub inputs: Vec<Expr>,
    pub order: Option<TableOrder>,
    pub rows: Vec<TableRow>,
    pub default: Option<Value>,
}

/// `order a, b, c` in a `priority` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOrder {
    pub values: Vec<Value>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub cells: Vec<Cell>,
    pub output: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub kind: CellKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellKind {
    Any,
    Equals(Value),
    /// `< 18`, or `< limit` naming a parameter or a `let`.
    Compare(CompareOp, Value),
    Range(Literal, Literal),
    OneOf(Vec<Value>),
}

/// A literal, or the bare name of an enum variant (resolved by the checker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Literal(Literal),
    Variant(Name),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Literal(literal) => literal.span,
            Value::Variant(name) => name.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralKind {
    Bool(bool),
    Int(i64),
    /// A number with a point and at most two decimals (`1255.00`, `0.5`):
    /// money unless the context is a decimal; in hundredths (fen).
    Money(i64),
    /// A number with more than two decimals (`0.125`), or a percent (`30%`,
    /// `12.5%`): `units` at `scale` decimals, so `30%` is 30 at scale 2.
    Decimal {
        units: i64,
        scale: u8,
        percent: bool,
    },
    Date(Date),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDecl {
    pub name: Name,
    pub title: Text,
    pub department: Name,
    pub after: Vec<Name>,
    pub days: i64,
    pub days_span: Span,
    pub working_days: bool,
    pub produces: Option<Name>,
    pub condition: Option<When>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Literal(LiteralKind),
    /// A name or dotted path: a fact, a `let`, a rule, a table, a parameter,
    /// an enum variant, `application_date`, or a field of an aggregate's variable.
    Path(String),
    Paren(Box<Expr>),
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CompareOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        negated: bool,
        element: Box<Expr>,
        set: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        rounding: Option<Rounding>,
    },
    Neg(Box<Expr>),
    /// `rate[key]` or `rate[county, grade]`: a parameter's value by key.
    Index {
        base: Box<Expr>,
        keys: Vec<Expr>,
    },
    Duration {
        amount: Box<Expr>,
        unit: TimeUnit,
    },
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Aggregate {
        kind: AggregateKind,
        value: Option<Box<Expr>>,
        var: Name,
        list: Name,
        filter: Option<Box<Expr>>,
    },
    Call {
        function: Name,
        args: Vec<Expr>,
    },
    Set(Vec<Expr>),
    /// Placeholder for a sub-expression that already produced a diagnostic.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    /// The operator with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CompareOp {
        match self {
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
            other => other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// To nearest, ties away from zero (四舍五入).
    HalfUp,
    /// To nearest, ties to even (banker's rounding).
    HalfEven,
}

impl Rounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Down => "down",
            Rounding::Up => "up",
            Rounding::HalfUp => "half_up",
            Rounding::HalfEven => "half_even",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Days,
    Months,
    Years,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }

    /// The unit after the amount 1: `1 day`, `1 month`, `1 year`.
    pub fn singular(self) -> &'static str {
        match self {
            TimeUnit::Days => "day",
            TimeUnit::Months => "month",
            TimeUnit::Years => "year",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    Count,
    Sum,
    Min,
    Max,
    Any,
    All,
}

impl AggregateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateKind::Count => "count",
            AggregateKind::Sum => "sum",
            AggregateKind::Min => "min",
            AggregateKind::Max => "max",
            AggregateKind::Any => "any",
            AggregateKind::All => "all",
        }
    }
}
