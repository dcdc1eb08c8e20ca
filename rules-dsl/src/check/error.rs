//! The checker's errors and warnings, with their codes, labels and help lines.

use thiserror::Error;

use crate::diagnostic::{Diagnostic, FileId, Related, Severity, Span};

/// A place in another file (or this one) that explains an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    pub file: FileId,
    pub span: Span,
}

/// Everything the resolver and type checker refuse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    #[error("this file declares no `policy` or `bundle`, and no catalogue entries")]
    NoHeader { span: Span },
    #[error("a file is either a policy or a bundle, not both")]
    PolicyAndBundle { span: Span, other: Span },
    #[error("`{what}` is declared more than once")]
    DeclaredTwice {
        what: String,
        span: Span,
        first: Span,
    },
    #[error("`{keyword}` does not belong in {file_kind}")]
    NotAllowedHere {
        keyword: String,
        file_kind: &'static str,
        span: Span,
        help: String,
    },
    #[error("unknown {kind} `{id}`")]
    UnknownCatalogueId {
        kind: &'static str,
        id: String,
        span: Span,
        suggestion: Option<String>,
    },
    #[error("unknown name `{name}`")]
    UnknownName {
        name: String,
        span: Span,
        suggestion: Option<String>,
        /// The context expects text, so the word is probably text without quotes.
        expects_text: bool,
    },
    #[error("`{name}` is already defined")]
    DuplicateDefinition {
        name: String,
        span: Span,
        first: Span,
    },
    #[error("`{name}` depends on itself: {cycle}")]
    DefinitionCycle {
        name: String,
        cycle: String,
        span: Span,
    },
    #[error("this policy has no `eligible when` line")]
    MissingEligibility { span: Span },
    #[error("this {what} has no `department` line")]
    MissingDepartment { what: &'static str, span: Span },
    #[error("{message}")]
    BadCall {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("{kind} `{id}` is declared twice in the catalogue")]
    DuplicateCatalogueId {
        kind: &'static str,
        id: String,
        span: Span,
        first: Elsewhere,
    },
    #[error("{what} `{name}` is declared twice")]
    DuplicateMember {
        what: &'static str,
        name: String,
        span: Span,
        first: Span,
    },
    #[error("`{name}` is reserved and cannot name a definition")]
    ReservedName { name: String, span: Span },
    #[error("{message}")]
    BadClause {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("no catalogue was found")]
    NoCatalogue {
        /// `policy` or `bundle`: what is being checked.
        what: &'static str,
        span: Span,
    },
    #[error("{kind} `{id}` is also declared in another file")]
    DuplicateId {
        kind: &'static str,
        id: String,
        span: Span,
        first: Elsewhere,
    },
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        expected: String,
        found: String,
        span: Span,
        help: Option<String>,
    },
    #[error("{message}")]
    BadOperator {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("{message}")]
    BadRange {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("division needs a rounding mode")]
    DivisionWithoutRounding { span: Span },
    #[error("{message}")]
    BadEnum {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("{what} must be true or false, but it is {found}")]
    NotACondition {
        what: String,
        found: String,
        span: Span,
    },
    #[error("{message}")]
    BadAggregate {
        message: String,
        span: Span,
        help: String,
    },
    #[error("the records of `{list}` have no field `{field}`")]
    UnknownField {
        list: String,
        field: String,
        span: Span,
        suggestion: Option<String>,
        /// The record's fields, listed when no name is close.
        fields: Vec<String>,
    },
    #[error("{message}")]
    BadParamLookup {
        message: String,
        span: Span,
        help: String,
    },
    #[error("text cannot be compared with `{op}`")]
    TextOrdering { op: String, span: Span },
    #[error("money and a plain number are mixed in `{op}`")]
    MoneyAndInt {
        op: String,
        span: Span,
        help: String,
    },
    #[error("`in` needs a set on its right, found {found}")]
    NotASet { found: String, span: Span },
    #[error("the branches of `if` differ: {then} and {otherwise}")]
    IfBranches {
        then: String,
        otherwise: String,
        span: Span,
    },
    #[error("{message}")]
    ParamOrder {
        message: String,
        span: Span,
        first: Span,
    },
    #[error("rows {first_row} and {second_row} of the unique table `{table}` can both match")]
    TableOverlap {
        table: String,
        first_row: usize,
        second_row: usize,
        span: Span,
        first: Span,
        example: String,
    },
    #[error(
        "this row has {}, but the table has {}",
        count(*found, "cell", "cells"),
        count(*expected, "input", "inputs")
    )]
    CellCount {
        expected: usize,
        found: usize,
        span: Span,
    },
    #[error("{message}")]
    BadCell {
        message: String,
        span: Span,
        help: Option<String>,
    },
    #[error("{message}")]
    BadPriority { message: String, span: Span },
    #[error("{message}")]
    BadCollect { message: String, span: Span },
    #[error("the range `{text}` is empty: its start is after its end")]
    EmptyRange { text: String, span: Span },
    #[error("steps wait for each other in a cycle: {cycle}")]
    StepCycle { cycle: String, span: Span },
    #[error("unknown step `{name}`")]
    UnknownStep {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    #[error("`copies` must be from 1 to 1000, found {found}")]
    BadCopies { found: i64, span: Span },
    #[error("material `{id}` is asked for twice")]
    DuplicateMaterial { id: String, span: Span, first: Span },
    #[error("`{name}` is not a rule, so an exception cannot override it")]
    ExceptionTarget {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    #[error("unknown member policy `{id}`")]
    UnknownMember {
        id: String,
        span: Span,
        suggestion: Option<String>,
    },
    #[error(
        "`{member}` does not produce `{material}`: none of its steps says `produces {material}`"
    )]
    LinkNotProduced {
        member: String,
        material: String,
        span: Span,
    },
    #[error("`{member}` does not ask for `{material}`, so the link gives it nothing")]
    LinkNotUsed {
        member: String,
        material: String,
        span: Span,
    },
    #[error(
        "fact `{fact}` has type {first_type} in `{first_member}` but {second_type} in `{second_member}`"
    )]
    FactTypeConflict {
        fact: String,
        first_member: String,
        first_type: String,
        second_member: String,
        second_type: String,
        span: Span,
    },
    #[error("member `{id}` is listed twice")]
    MemberTwice { id: String, span: Span, first: Span },
    #[error("members are linked in a cycle: {cycle}")]
    LinkCycle { cycle: String, span: Span },
    #[error("`{id}` is not a member of this bundle")]
    LinkNotMember { id: String, span: Span },
}

impl CheckError {
    pub fn code(&self) -> &'static str {
        use CheckError::*;
        match self {
            NoHeader { .. } | PolicyAndBundle { .. } => "E0200",
            DeclaredTwice { .. } => "E0201",
            NotAllowedHere { .. } => "E0202",
            UnknownCatalogueId { .. } => "E0203",
            UnknownName { .. } => "E0204",
            DuplicateDefinition { .. } => "E0205",
            DefinitionCycle { .. } => "E0206",
            MissingEligibility { .. } => "E0207",
            MissingDepartment { .. } => "E0208",
            BadCall { .. } => "E0209",
            DuplicateCatalogueId { .. } => "E0210",
            DuplicateMember { .. } => "E0211",
            ReservedName { .. } => "E0212",
            BadClause { .. } => "E0213",
            NoCatalogue { .. } => "E0214",
            DuplicateId { .. } => "E0215",
            TypeMismatch { .. } => "E0300",
            BadOperator { .. } => "E0301",
            DivisionWithoutRounding { .. } => "E0302",
            BadEnum { .. } => "E0303",
            NotACondition { .. } => "E0304",
            BadAggregate { .. } => "E0305",
            UnknownField { .. } => "E0306",
            BadParamLookup { .. } => "E0307",
            TextOrdering { .. } => "E0308",
            MoneyAndInt { .. } => "E0309",
            NotASet { .. } => "E0310",
            IfBranches { .. } => "E0311",
            BadRange { .. } => "E0312",
            ParamOrder { .. } => "E0350",
            TableOverlap { .. } => "E0400",
            CellCount { .. } => "E0401",
            BadCell { .. } => "E0402",
            BadPriority { .. } => "E0403",
            BadCollect { .. } => "E0404",
            EmptyRange { .. } => "E0405",
            StepCycle { .. } => "E0450",
            UnknownStep { .. } => "E0451",
            BadCopies { .. } => "E0460",
            DuplicateMaterial { .. } => "E0461",
            ExceptionTarget { .. } => "E0470",
            UnknownMember { .. } => "E0500",
            LinkNotProduced { .. } => "E0501",
            LinkNotUsed { .. } => "E0502",
            FactTypeConflict { .. } => "E0503",
            MemberTwice { .. } => "E0504",
            LinkCycle { .. } => "E0505",
            LinkNotMember { .. } => "E0506",
        }
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        use CheckError::*;
        let here = |span: Span| Related {
            file,
            span,
            label: String::new(),
        };
        let mut related = Vec::new();
        let mut label = String::new();
        let mut help: Option<String> = None;
        let span = match self {
            NoHeader { span } => {
                help = Some("start a policy with `policy ID \"title\"` or a bundle with `bundle ID \"title\"`".into());
                *span
            }
            PolicyAndBundle { span, other } => {
                related.push(Related {
                    label: "the other declaration".into(),
                    ..here(*other)
                });
                help = Some("put the bundle in a file of its own".into());
                *span
            }
            DeclaredTwice { span, first, .. } => {
                related.push(Related {
                    label: "first declared here".into(),
                    ..here(*first)
                });
                label = "declared again here".into();
                *span
            }
            NotAllowedHere {
                span, help: text, ..
            } => {
                help = Some(text.clone());
                *span
            }
            UnknownCatalogueId {
                span,
                suggestion,
                kind,
                ..
            } => {
                label = format!("not in the catalogue's {kind}s");
                help = suggestion.as_ref().map(|s| format!("did you mean `{s}`?")).or_else(|| {
                    Some(format!("declare it in the catalogue (policies/catalogue.rules) with `{kind} ID \"name\"`"))
                });
                *span
            }
            UnknownName {
                span,
                suggestion,
                name,
                expects_text,
            } => {
                label = "not defined".into();
                help = Some(match (suggestion, expects_text) {
                    (Some(s), false) => format!("did you mean `{s}`?"),
                    (Some(s), true) => format!("write text in quotes: `\"{name}\"` (or did you mean `{s}`?)"),
                    (None, true) => format!("write text in quotes: `\"{name}\"`"),
                    (None, false) => "declare facts in the `facts { }` block; define values with `let`, `rule`, `table` or `param`".into(),
                });
                *span
            }
            DuplicateDefinition { span, first, .. } => {
                related.push(Related {
                    label: "first defined here".into(),
                    ..here(*first)
                });
                label = "defined again here".into();
                help = Some("give each definition its own name".into());
                *span
            }
            DefinitionCycle { span, .. } => {
                help = Some("a definition cannot use its own value, directly or through others; break the cycle".into());
                *span
            }
            MissingEligibility { span } => {
                help = Some(
                    "say which rules decide eligibility: `eligible when rule_a and rule_b`".into(),
                );
                *span
            }
            MissingDepartment { span, .. } => {
                help = Some("add `department ID` with the id of the responsible department in the catalogue".into());
                *span
            }
            BadCall {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            DuplicateCatalogueId { span, first, .. } => {
                related.push(Related {
                    file: first.file,
                    span: first.span,
                    label: "first declared here".into(),
                });
                *span
            }
            DuplicateMember { span, first, .. } => {
                related.push(Related {
                    label: "first declared here".into(),
                    ..here(*first)
                });
                *span
            }
            ReservedName { span, .. } => {
                help = Some("choose another name".into());
                *span
            }
            BadClause {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            NoCatalogue { span, what } => {
                help = Some(format!(
                    "the catalogue (`policies/catalogue.rules`) declares the departments, datasets and materials; check it together with the {what}"
                ));
                *span
            }
            DuplicateId { span, first, .. } => {
                related.push(Related {
                    file: first.file,
                    span: first.span,
                    label: "first declared here".into(),
                });
                help = Some("every policy and bundle needs its own id".into());
                *span
            }
            TypeMismatch {
                span,
                help: text,
                expected,
                ..
            } => {
                label = format!("expected {expected}");
                help = text.clone();
                *span
            }
            BadOperator {
                span, help: text, ..
            }
            | BadRange {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            DivisionWithoutRounding { span } => {
                help = Some(
                    "say how to round: `a / b round half_up` (also `down`, `up`, `half_even`)"
                        .into(),
                );
                *span
            }
            BadEnum {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            NotACondition { span, .. } => {
                help = Some(
                    "compare the value to get a condition, for example `x > 0` or `x == \"杭州\"`"
                        .into(),
                );
                *span
            }
            BadAggregate {
                span, help: text, ..
            } => {
                help = Some(text.clone());
                *span
            }
            UnknownField {
                span,
                suggestion,
                fields,
                ..
            } => {
                help = Some(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the fields are: {}", fields.join(", ")),
                });
                *span
            }
            BadParamLookup {
                span, help: text, ..
            } => {
                help = Some(text.clone());
                *span
            }
            TextOrdering { span, .. } => {
                help = Some("text supports only `==`, `!=` and `in`".into());
                *span
            }
            MoneyAndInt {
                span, help: text, ..
            } => {
                help = Some(text.clone());
                *span
            }
            NotASet { span, .. } => {
                help = Some("write the set of values in braces: `x in {\"a\", \"b\"}`".into());
                *span
            }
            IfBranches { span, .. } => {
                help = Some("both branches must give the same type of value".into());
                *span
            }
            ParamOrder { span, first, .. } => {
                related.push(Related {
                    label: "the earlier entry".into(),
                    ..here(*first)
                });
                help = Some(
                    "list each key's entries from the oldest `from` date to the newest".into(),
                );
                *span
            }
            TableOverlap {
                span,
                first,
                example,
                ..
            } => {
                related.push(Related {
                    label: "this row also matches".into(),
                    ..here(*first)
                });
                label = format!("both rows match when {example}");
                help = Some("in a `unique` table at most one row may match; narrow the cells, or use `hit first` if the earlier row should win".into());
                *span
            }
            CellCount { span, .. } => {
                help = Some(
                    "write one cell per input, separated by commas; `-` matches anything".into(),
                );
                *span
            }
            BadCell {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            BadPriority { span, .. } => {
                help = Some(
                    "a `priority` table lists every output in `order`, the strongest first".into(),
                );
                *span
            }
            BadCollect { span, .. } => {
                help = Some("`collect` gathers text into a set; `collect sum` adds numbers or money; `collect count` counts matching rows; `collect min`/`max` pick one".into());
                *span
            }
            EmptyRange { span, .. } => {
                help = Some("write the smaller value first: `18..59`".into());
                *span
            }
            StepCycle { span, .. } => {
                help = Some(
                    "remove one of the `after` links so the steps can run in some order".into(),
                );
                *span
            }
            UnknownStep {
                span, suggestion, ..
            } => {
                help = suggestion.as_ref().map(|s| format!("did you mean `{s}`?"));
                *span
            }
            BadCopies { span, .. } => *span,
            DuplicateMaterial { span, first, .. } => {
                related.push(Related {
                    label: "first asked for here".into(),
                    ..here(*first)
                });
                help = Some("ask for each material once; combine the conditions with `or`".into());
                *span
            }
            ExceptionTarget {
                span, suggestion, ..
            } => {
                help = suggestion.as_ref().map(|s| format!("did you mean `{s}`?"));
                *span
            }
            UnknownMember {
                span, suggestion, ..
            } => {
                help = suggestion
                    .as_ref()
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(
                            "a member is the id of a policy checked together with the bundle"
                                .into(),
                        )
                    });
                *span
            }
            LinkNotProduced { span, material, .. } => {
                help = Some(format!(
                    "add `produces {material}` to the step that issues it"
                ));
                *span
            }
            LinkNotUsed { span, .. } => {
                help = Some("link only materials that the receiving member asks for".into());
                *span
            }
            FactTypeConflict { span, .. } => {
                help = Some("a fact shared by members must mean the same thing everywhere; rename one of them".into());
                *span
            }
            MemberTwice { span, first, .. } => {
                related.push(Related {
                    label: "first listed here".into(),
                    ..here(*first)
                });
                *span
            }
            LinkCycle { span, .. } => {
                help =
                    Some("a member cannot wait, through links, for what it produces itself".into());
                *span
            }
            LinkNotMember { span, .. } => {
                help = Some("add it with `member ID`, or link between members".into());
                *span
            }
        };
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            message: self.to_string(),
            file,
            span,
            label,
            related,
            help,
        }
    }
}

/// `1 cell`, `2 cells`.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What is legal but probably not meant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Warning {
    #[error("fact `{name}` is never used")]
    UnusedFact { name: String, span: Span },
    #[error("rule `{name}` is never referred to")]
    UnreferencedRule { name: String, span: Span },
    #[error("`{name}` is never used")]
    UnusedDefinition {
        kind: DefinitionKind,
        name: String,
        span: Span,
    },
    #[error("rule `{name}` has no citation")]
    MissingCitation { name: String, span: Span },
    #[error("table `{name}` has no `default`")]
    MissingDefault { name: String, span: Span },
    #[error("row {row} of table `{table}` can never be chosen")]
    UnreachableRow {
        table: String,
        row: usize,
        span: Span,
        earlier: Span,
    },
    #[error("this policy has no `basis`")]
    MissingBasis { span: Span },
}

/// What an unused definition is, for a help line that fits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    Let,
    Param,
    Table,
}

impl Warning {
    pub fn code(&self) -> &'static str {
        match self {
            Warning::UnusedFact { .. } => "W0001",
            Warning::UnreferencedRule { .. } => "W0002",
            Warning::UnusedDefinition { .. } => "W0003",
            Warning::MissingCitation { .. } => "W0004",
            Warning::MissingDefault { .. } => "W0005",
            Warning::UnreachableRow { .. } => "W0006",
            Warning::MissingBasis { .. } => "W0007",
        }
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let mut related = Vec::new();
        let (span, help) = match self {
            Warning::UnusedFact { span, .. } => (
                *span,
                "remove it, or use it in a rule; the platform must send every required fact",
            ),
            Warning::UnreferencedRule { span, .. } => (
                *span,
                "use it in `eligible when` or in another rule, or remove it",
            ),
            Warning::UnusedDefinition { span, kind, .. } => (
                *span,
                match kind {
                    DefinitionKind::Let => {
                        "remove it, or give it a title (`let name \"标题\" = …`) to report its value in the decision"
                    }
                    DefinitionKind::Table => {
                        "remove it, or give it a title (`table name \"标题\": …`) to report its value in the decision"
                    }
                    DefinitionKind::Param => "remove it, or use it in a rule, `let` or table",
                },
            ),
            Warning::MissingCitation { span, .. } => {
                (*span, "add `cite \"…\"` naming the article it implements")
            }
            Warning::MissingDefault { span, .. } => (
                *span,
                "when no row matches, the table's value is unknown; add `default => value`",
            ),
            Warning::UnreachableRow { span, earlier, .. } => {
                related.push(Related {
                    file,
                    span: *earlier,
                    label: "this earlier row matches first".into(),
                });
                (
                    *span,
                    "in a `first` table the earliest matching row wins; move the row up or remove it",
                )
            }
            Warning::MissingBasis { span } => {
                (*span, "add `basis \"《…》\"` naming the legal basis")
            }
        };
        Diagnostic {
            severity: Severity::Warning,
            code: self.code(),
            message: self.to_string(),
            file,
            span,
            label: String::new(),
            related,
            help: Some(help.to_string()),
        }
    }
}
