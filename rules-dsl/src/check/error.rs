//! The checker's errors and warnings, with their codes, and their messages,
//! labels and help lines in Chinese and English.

use std::fmt;

use crate::diagnostic::{Diagnostic, FileId, Related, Severity, Span};
use crate::lang::{Lang, Words};
use crate::words;

/// A place in another file (or this one) that explains an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    pub file: FileId,
    pub span: Span,
}

/// Everything the resolver and type checker refuse.
///
/// Where the text depends on the case, the variant carries it as [`Words`],
/// written in both languages where the error is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    NoHeader {
        span: Span,
    },
    PolicyAndBundle {
        span: Span,
        other: Span,
    },
    DeclaredTwice {
        what: String,
        span: Span,
        first: Span,
    },
    NotAllowedHere {
        keyword: String,
        /// `a policy`, `a bundle` or `the catalogue` (see [`noun`]).
        file_kind: &'static str,
        span: Span,
        help: Words,
    },
    UnknownCatalogueId {
        /// `department`, `dataset` or `material`.
        kind: &'static str,
        id: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownName {
        name: String,
        span: Span,
        suggestion: Option<String>,
        /// The context expects text, so the word is probably text without quotes.
        expects_text: bool,
    },
    DuplicateDefinition {
        name: String,
        span: Span,
        first: Span,
    },
    DefinitionCycle {
        name: String,
        cycle: String,
        span: Span,
    },
    MissingEligibility {
        span: Span,
    },
    MissingDepartment {
        /// `policy` or `bundle`.
        what: &'static str,
        span: Span,
    },
    BadCall {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    DuplicateCatalogueId {
        kind: &'static str,
        id: String,
        span: Span,
        first: Elsewhere,
    },
    DuplicateMember {
        /// `fact`, `field` or `enum value`.
        what: &'static str,
        name: String,
        span: Span,
        first: Span,
    },
    ReservedName {
        name: String,
        span: Span,
    },
    BadClause {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    NoCatalogue {
        /// `policy` or `bundle`: what is being checked.
        what: &'static str,
        span: Span,
    },
    DuplicateId {
        /// `policy` or `bundle`.
        kind: &'static str,
        id: String,
        span: Span,
        first: Elsewhere,
    },
    TypeMismatch {
        expected: Words,
        found: Words,
        span: Span,
        help: Option<Words>,
    },
    BadOperator {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    DivisionWithoutRounding {
        span: Span,
    },
    BadRange {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    BadEnum {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    NotACondition {
        /// What must be a condition: "each side of `and`".
        what: Words,
        found: Words,
        span: Span,
    },
    BadAggregate {
        message: Words,
        span: Span,
        help: Words,
    },
    UnknownField {
        list: String,
        field: String,
        span: Span,
        suggestion: Option<String>,
        /// The record's fields, listed when no name is close.
        fields: Vec<String>,
    },
    BadParamLookup {
        message: Words,
        span: Span,
        help: Words,
    },
    TextOrdering {
        op: String,
        span: Span,
    },
    MoneyAndInt {
        op: String,
        span: Span,
        help: Words,
    },
    NotASet {
        found: Words,
        span: Span,
    },
    IfBranches {
        then: Words,
        otherwise: Words,
        span: Span,
    },
    ParamOrder {
        message: Words,
        span: Span,
        first: Span,
    },
    TableOverlap {
        table: String,
        first_row: usize,
        second_row: usize,
        span: Span,
        first: Span,
        /// An input both rows match: "`x` is 3 and `y` is \"a\"".
        example: Words,
    },
    CellCount {
        expected: usize,
        found: usize,
        span: Span,
    },
    BadCell {
        message: Words,
        span: Span,
        help: Option<Words>,
    },
    BadPriority {
        message: Words,
        span: Span,
    },
    BadCollect {
        message: Words,
        span: Span,
    },
    EmptyRange {
        text: String,
        span: Span,
    },
    StepCycle {
        cycle: String,
        span: Span,
    },
    UnknownStep {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    BadCopies {
        found: i64,
        span: Span,
    },
    DuplicateMaterial {
        id: String,
        span: Span,
        first: Span,
    },
    ExceptionTarget {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownMember {
        id: String,
        span: Span,
        suggestion: Option<String>,
    },
    LinkNotProduced {
        member: String,
        material: String,
        span: Span,
    },
    LinkNotUsed {
        member: String,
        material: String,
        span: Span,
    },
    FactTypeConflict {
        fact: String,
        first_member: String,
        first_type: Words,
        second_member: String,
        second_type: Words,
        span: Span,
    },
    MemberTwice {
        id: String,
        span: Span,
        first: Span,
    },
    LinkCycle {
        cycle: String,
        span: Span,
    },
    LinkNotMember {
        id: String,
        span: Span,
    },
}

/// The words the checker uses for the kinds of things it names
/// (`department`, `fact`, `a policy` …), in both languages.
pub fn noun(word: &'static str) -> Words {
    let zh = match word {
        "department" => "部门",
        "dataset" => "共享数据",
        "material" => "材料",
        "policy" | "a policy" => "事项规则",
        "bundle" | "a bundle" => "一件事",
        "the catalogue" => "目录",
        "fact" => "事实",
        "field" => "字段",
        "enum value" => "枚举值",
        "data element" => "数据元",
        "parameter" => "参数",
        other => other,
    };
    Words::new(zh, word)
}

/// "did you mean `x`?"
pub fn did_you_mean(suggestion: &str) -> Words {
    words!("是否应为`{suggestion}`？", "did you mean `{suggestion}`?")
}

/// Names listed in each language's way: `a、b、c` or `a, b, c`.
pub fn listed(names: &[String]) -> Words {
    Words::new(names.join("、"), names.join(", "))
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

    /// The message, in both languages.
    pub fn message(&self) -> Words {
        use CheckError::*;
        match self {
            NoHeader { .. } => words!(
                "文件中没有`policy`或`bundle`声明，也没有目录条目",
                "this file declares no `policy` or `bundle`, and no catalogue entries"
            ),
            PolicyAndBundle { .. } => words!(
                "一个文件只能是事项规则或一件事，不能两者都是",
                "a file is either a policy or a bundle, not both"
            ),
            DeclaredTwice { what, .. } => {
                words!(
                    "`{what}`声明了不止一次",
                    "`{what}` is declared more than once"
                )
            }
            NotAllowedHere {
                keyword, file_kind, ..
            } => words!(
                "`{keyword}`不能写在{place}中",
                "`{keyword}` does not belong in {place}",
                place = noun(file_kind)
            ),
            UnknownCatalogueId { kind, id, .. } => words!(
                "未知的{kind}`{id}`",
                "unknown {kind} `{id}`",
                kind = noun(kind)
            ),
            UnknownName { name, .. } => {
                words!("未定义的名称`{name}`", "unknown name `{name}`")
            }
            DuplicateDefinition { name, .. } => {
                words!("`{name}`已经定义过", "`{name}` is already defined")
            }
            DefinitionCycle { name, cycle, .. } => words!(
                "`{name}`依赖于它自身：{cycle}",
                "`{name}` depends on itself: {cycle}"
            ),
            MissingEligibility { .. } => words!(
                "事项规则缺少`eligible when`行",
                "this policy has no `eligible when` line"
            ),
            MissingDepartment { what, .. } => words!(
                "{what}缺少`department`行",
                "this {what} has no `department` line",
                what = noun(what)
            ),
            BadCall { message, .. }
            | BadClause { message, .. }
            | BadOperator { message, .. }
            | BadRange { message, .. }
            | BadEnum { message, .. }
            | BadAggregate { message, .. }
            | BadParamLookup { message, .. }
            | ParamOrder { message, .. }
            | BadCell { message, .. }
            | BadPriority { message, .. }
            | BadCollect { message, .. } => message.clone(),
            DuplicateCatalogueId { kind, id, .. } => words!(
                "{kind}`{id}`在目录中声明了两次",
                "{kind} `{id}` is declared twice in the catalogue",
                kind = noun(kind)
            ),
            DuplicateMember { what, name, .. } => words!(
                "{what}`{name}`声明了两次",
                "{what} `{name}` is declared twice",
                what = noun(what)
            ),
            ReservedName { name, .. } => words!(
                "`{name}`是保留名称，不能用作定义名",
                "`{name}` is reserved and cannot name a definition"
            ),
            NoCatalogue { .. } => words!("找不到目录", "no catalogue was found"),
            DuplicateId { kind, id, .. } => words!(
                "{kind}`{id}`在另一个文件中也有声明",
                "{kind} `{id}` is also declared in another file",
                kind = noun(kind)
            ),
            TypeMismatch {
                expected, found, ..
            } => words!(
                "应为{expected}，实际为{found}",
                "expected {expected}, found {found}",
                expected = expected,
                found = found
            ),
            DivisionWithoutRounding { .. } => {
                words!("除法需要指定取整方式", "division needs a rounding mode")
            }
            NotACondition { what, found, .. } => words!(
                "{what}必须是真或假，但它是{found}",
                "{what} must be true or false, but it is {found}",
                what = what,
                found = found
            ),
            UnknownField { list, field, .. } => words!(
                "`{list}`的记录中没有字段`{field}`",
                "the records of `{list}` have no field `{field}`"
            ),
            TextOrdering { op, .. } => {
                words!(
                    "文本不能用`{op}`比较",
                    "text cannot be compared with `{op}`"
                )
            }
            MoneyAndInt { op, .. } => words!(
                "`{op}`的两边混用了金额和普通数字",
                "money and a plain number are mixed in `{op}`"
            ),
            NotASet { found, .. } => words!(
                "`in`的右边应为集合，实际为{found}",
                "`in` needs a set on its right, found {found}",
                found = found
            ),
            IfBranches {
                then, otherwise, ..
            } => words!(
                "`if`的两个分支类型不同：{then}和{otherwise}",
                "the branches of `if` differ: {then} and {otherwise}",
                then = then,
                otherwise = otherwise
            ),
            TableOverlap {
                table,
                first_row,
                second_row,
                ..
            } => words!(
                "`unique`决策表`{table}`的第{first_row}行和第{second_row}行可能同时命中",
                "rows {first_row} and {second_row} of the unique table `{table}` can both match"
            ),
            CellCount {
                expected, found, ..
            } => words!(
                "这一行有{cells}，但决策表有{inputs}",
                "this row has {cells}, but the table has {inputs}",
                cells = Words::new(format!("{found}个单元格"), count(*found, "cell", "cells")),
                inputs = Words::new(
                    format!("{expected}个输入"),
                    count(*expected, "input", "inputs")
                )
            ),
            EmptyRange { text, .. } => words!(
                "区间`{text}`为空：起点大于终点",
                "the range `{text}` is empty: its start is after its end"
            ),
            StepCycle { cycle, .. } => words!(
                "办理环节相互等待，形成循环：{cycle}",
                "steps wait for each other in a cycle: {cycle}"
            ),
            UnknownStep { name, .. } => {
                words!("未知的办理环节`{name}`", "unknown step `{name}`")
            }
            BadCopies { found, .. } => words!(
                "`copies`须在 1 到 1000 之间，实际为{found}",
                "`copies` must be from 1 to 1000, found {found}"
            ),
            DuplicateMaterial { id, .. } => {
                words!(
                    "材料`{id}`被要求了两次",
                    "material `{id}` is asked for twice"
                )
            }
            ExceptionTarget { name, .. } => words!(
                "`{name}`不是规则，例外无法覆盖它",
                "`{name}` is not a rule, so an exception cannot override it"
            ),
            UnknownMember { id, .. } => {
                words!("未知的成员事项`{id}`", "unknown member policy `{id}`")
            }
            LinkNotProduced {
                member, material, ..
            } => words!(
                "`{member}`不产生`{material}`：它的办理环节中没有`produces {material}`",
                "`{member}` does not produce `{material}`: none of its steps says `produces {material}`"
            ),
            LinkNotUsed {
                member, material, ..
            } => words!(
                "`{member}`不需要`{material}`，这个衔接不起作用",
                "`{member}` does not ask for `{material}`, so the link gives it nothing"
            ),
            FactTypeConflict {
                fact,
                first_member,
                first_type,
                second_member,
                second_type,
                ..
            } => words!(
                "事实`{fact}`在`{first_member}`中的类型是{first_type}，在`{second_member}`中却是{second_type}",
                "fact `{fact}` has type {first_type} in `{first_member}` but {second_type} in `{second_member}`",
                first_type = first_type,
                second_type = second_type
            ),
            MemberTwice { id, .. } => {
                words!("成员`{id}`列出了两次", "member `{id}` is listed twice")
            }
            LinkCycle { cycle, .. } => words!(
                "成员之间的衔接形成循环：{cycle}",
                "members are linked in a cycle: {cycle}"
            ),
            LinkNotMember { id, .. } => words!(
                "`{id}`不是这个一件事的成员",
                "`{id}` is not a member of this bundle"
            ),
        }
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        use CheckError::*;
        let here = |span: Span, label: Words| Related { file, span, label };
        let first_declared = || words!("首次声明在这里", "first declared here");
        let mut related = Vec::new();
        let mut label = Words::default();
        let mut help: Option<Words> = None;
        let span = match self {
            NoHeader { span } => {
                help = Some(words!(
                    "事项规则以`policy ID \"标题\"`开头，一件事以`bundle ID \"标题\"`开头",
                    "start a policy with `policy ID \"title\"` or a bundle with `bundle ID \"title\"`"
                ));
                *span
            }
            PolicyAndBundle { span, other } => {
                related.push(here(*other, words!("另一处声明", "the other declaration")));
                help = Some(words!(
                    "把一件事放在单独的文件中",
                    "put the bundle in a file of its own"
                ));
                *span
            }
            DeclaredTwice { span, first, .. } => {
                related.push(here(*first, first_declared()));
                label = words!("在这里再次声明", "declared again here");
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
                label = words!(
                    "目录中没有这个{kind}",
                    "not in the catalogue's {kind}s",
                    kind = noun(kind)
                );
                help = Some(match suggestion {
                    Some(s) => did_you_mean(s),
                    None => words!(
                        "在目录（policies/catalogue.rules）中用`{kind} ID \"名称\"`声明它",
                        "declare it in the catalogue (policies/catalogue.rules) with `{kind} ID \"name\"`"
                    ),
                });
                *span
            }
            UnknownName {
                span,
                suggestion,
                name,
                expects_text,
            } => {
                label = words!("未定义", "not defined");
                help = Some(match (suggestion, expects_text) {
                    (Some(s), false) => did_you_mean(s),
                    (Some(s), true) => words!(
                        "文本要加引号：`\"{name}\"`（或者是指`{s}`？）",
                        "write text in quotes: `\"{name}\"` (or did you mean `{s}`?)"
                    ),
                    (None, true) => words!(
                        "文本要加引号：`\"{name}\"`",
                        "write text in quotes: `\"{name}\"`"
                    ),
                    (None, false) => words!(
                        "事实在`facts {{ }}`中声明；值用`let`、`rule`、`table`或`param`定义",
                        "declare facts in the `facts {{ }}` block; define values with `let`, `rule`, `table` or `param`"
                    ),
                });
                *span
            }
            DuplicateDefinition { span, first, .. } => {
                related.push(here(*first, words!("首次定义在这里", "first defined here")));
                label = words!("在这里再次定义", "defined again here");
                help = Some(words!(
                    "每个定义使用各自的名称",
                    "give each definition its own name"
                ));
                *span
            }
            DefinitionCycle { span, .. } => {
                help = Some(words!(
                    "定义不能直接或经由其他定义使用它自身的值；请打破这个循环",
                    "a definition cannot use its own value, directly or through others; break the cycle"
                ));
                *span
            }
            MissingEligibility { span } => {
                help = Some(words!(
                    "写明由哪些规则决定是否符合条件：`eligible when rule_a and rule_b`",
                    "say which rules decide eligibility: `eligible when rule_a and rule_b`"
                ));
                *span
            }
            MissingDepartment { span, .. } => {
                help = Some(words!(
                    "添加`department ID`，填写目录中负责部门的编号",
                    "add `department ID` with the id of the responsible department in the catalogue"
                ));
                *span
            }
            BadCall {
                span, help: text, ..
            }
            | BadClause {
                span, help: text, ..
            }
            | BadOperator {
                span, help: text, ..
            }
            | BadRange {
                span, help: text, ..
            }
            | BadEnum {
                span, help: text, ..
            }
            | BadCell {
                span, help: text, ..
            } => {
                help = text.clone();
                *span
            }
            DuplicateCatalogueId { span, first, .. } | DuplicateId { span, first, .. } => {
                related.push(Related {
                    file: first.file,
                    span: first.span,
                    label: first_declared(),
                });
                if matches!(self, DuplicateId { .. }) {
                    help = Some(words!(
                        "每个事项规则和一件事都需要自己的编号",
                        "every policy and bundle needs its own id"
                    ));
                }
                *span
            }
            DuplicateMember { span, first, .. } => {
                related.push(here(*first, first_declared()));
                *span
            }
            ReservedName { span, .. } => {
                help = Some(words!("请换一个名称", "choose another name"));
                *span
            }
            NoCatalogue { span, what } => {
                help = Some(words!(
                    "目录（`policies/catalogue.rules`）声明部门、共享数据和材料；请把它与{what}一起检查",
                    "the catalogue (`policies/catalogue.rules`) declares the departments, datasets and materials; check it together with the {what}",
                    what = noun(what)
                ));
                *span
            }
            TypeMismatch {
                span,
                help: text,
                expected,
                ..
            } => {
                label = words!("应为{expected}", "expected {expected}", expected = expected);
                help = text.clone();
                *span
            }
            DivisionWithoutRounding { span } => {
                help = Some(words!(
                    "写明如何取整：`a / b round half_up`（也可用`down`、`up`、`half_even`）",
                    "say how to round: `a / b round half_up` (also `down`, `up`, `half_even`)"
                ));
                *span
            }
            NotACondition { span, .. } => {
                help = Some(words!(
                    "对这个值作比较才得到条件，例如`x > 0`或`x == \"杭州\"`",
                    "compare the value to get a condition, for example `x > 0` or `x == \"杭州\"`"
                ));
                *span
            }
            BadAggregate {
                span, help: text, ..
            }
            | BadParamLookup {
                span, help: text, ..
            }
            | MoneyAndInt {
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
                    Some(s) => did_you_mean(s),
                    None => words!(
                        "可用的字段有：{fields}",
                        "the fields are: {fields}",
                        fields = listed(fields)
                    ),
                });
                *span
            }
            TextOrdering { span, .. } => {
                help = Some(words!(
                    "文本只支持`==`、`!=`和`in`",
                    "text supports only `==`, `!=` and `in`"
                ));
                *span
            }
            NotASet { span, .. } => {
                help = Some(words!(
                    "把这组值写在花括号里：`x in {{\"a\", \"b\"}}`",
                    "write the set of values in braces: `x in {{\"a\", \"b\"}}`"
                ));
                *span
            }
            IfBranches { span, .. } => {
                help = Some(words!(
                    "两个分支必须给出同一类型的值",
                    "both branches must give the same type of value"
                ));
                *span
            }
            ParamOrder { span, first, .. } => {
                related.push(here(*first, words!("前一个条目", "the earlier entry")));
                help = Some(words!(
                    "同一个键的条目按`from`日期从早到晚排列",
                    "list each key's entries from the oldest `from` date to the newest"
                ));
                *span
            }
            TableOverlap {
                span,
                first,
                example,
                ..
            } => {
                related.push(here(
                    *first,
                    words!("这一行也命中", "this row also matches"),
                ));
                label = words!(
                    "当{example}时两行都命中",
                    "both rows match when {example}",
                    example = example
                );
                help = Some(words!(
                    "`unique`决策表最多只能有一行命中；请收窄单元格，如果前一行应当优先，请改用`hit first`",
                    "in a `unique` table at most one row may match; narrow the cells, or use `hit first` if the earlier row should win"
                ));
                *span
            }
            CellCount { span, .. } => {
                help = Some(words!(
                    "每个输入写一个单元格，用逗号分隔；`-`匹配任意值",
                    "write one cell per input, separated by commas; `-` matches anything"
                ));
                *span
            }
            BadPriority { span, .. } => {
                help = Some(words!(
                    "`priority`决策表在`order`中列出全部输出，最优先的在前",
                    "a `priority` table lists every output in `order`, the strongest first"
                ));
                *span
            }
            BadCollect { span, .. } => {
                help = Some(words!(
                    "`collect`把文本收集为集合；`collect sum`对数字或金额求和；`collect count`统计命中的行数；`collect min`/`max`取其中之一",
                    "`collect` gathers text into a set; `collect sum` adds numbers or money; `collect count` counts matching rows; `collect min`/`max` pick one"
                ));
                *span
            }
            EmptyRange { span, .. } => {
                help = Some(words!(
                    "先写较小的值：`18..59`",
                    "write the smaller value first: `18..59`"
                ));
                *span
            }
            StepCycle { span, .. } => {
                help = Some(words!(
                    "去掉其中一个`after`，使各环节能依次办理",
                    "remove one of the `after` links so the steps can run in some order"
                ));
                *span
            }
            UnknownStep {
                span, suggestion, ..
            }
            | ExceptionTarget {
                span, suggestion, ..
            } => {
                help = suggestion.as_deref().map(did_you_mean);
                *span
            }
            BadCopies { span, .. } => *span,
            DuplicateMaterial { span, first, .. } => {
                related.push(here(
                    *first,
                    words!("首次要求在这里", "first asked for here"),
                ));
                help = Some(words!(
                    "每种材料只要求一次；用`or`合并条件",
                    "ask for each material once; combine the conditions with `or`"
                ));
                *span
            }
            UnknownMember {
                span, suggestion, ..
            } => {
                help = Some(match suggestion {
                    Some(s) => did_you_mean(s),
                    None => words!(
                        "成员是与一件事一起检查的事项规则的编号",
                        "a member is the id of a policy checked together with the bundle"
                    ),
                });
                *span
            }
            LinkNotProduced { span, material, .. } => {
                help = Some(words!(
                    "在出具该材料的办理环节中添加`produces {material}`",
                    "add `produces {material}` to the step that issues it"
                ));
                *span
            }
            LinkNotUsed { span, .. } => {
                help = Some(words!(
                    "只衔接接收方成员需要的材料",
                    "link only materials that the receiving member asks for"
                ));
                *span
            }
            FactTypeConflict { span, .. } => {
                help = Some(words!(
                    "成员共用的事实在各处必须含义相同；请给其中一个改名",
                    "a fact shared by members must mean the same thing everywhere; rename one of them"
                ));
                *span
            }
            MemberTwice { span, first, .. } => {
                related.push(here(*first, words!("首次列出在这里", "first listed here")));
                *span
            }
            LinkCycle { span, .. } => {
                help = Some(words!(
                    "成员不能经由衔接等待它自己产生的材料",
                    "a member cannot wait, through links, for what it produces itself"
                ));
                *span
            }
            LinkNotMember { span, .. } => {
                help = Some(words!(
                    "用`member ID`把它加为成员，或只在成员之间衔接",
                    "add it with `member ID`, or link between members"
                ));
                *span
            }
        };
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            message: self.message(),
            file,
            span,
            label,
            related,
            help,
        }
    }
}

/// In the default language (Chinese); a diagnostic carries both.
impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message().get(Lang::default()))
    }
}

impl std::error::Error for CheckError {}

/// `1 cell`, `2 cells`.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What is legal but probably not meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    UnusedFact {
        name: String,
        span: Span,
    },
    UnreferencedRule {
        name: String,
        span: Span,
    },
    UnusedDefinition {
        kind: DefinitionKind,
        name: String,
        span: Span,
    },
    MissingCitation {
        name: String,
        span: Span,
    },
    MissingDefault {
        name: String,
        span: Span,
    },
    UnreachableRow {
        table: String,
        row: usize,
        span: Span,
        earlier: Span,
    },
    MissingBasis {
        span: Span,
    },
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

    /// The message, in both languages.
    pub fn message(&self) -> Words {
        match self {
            Warning::UnusedFact { name, .. } => {
                words!("事实`{name}`从未使用", "fact `{name}` is never used")
            }
            Warning::UnreferencedRule { name, .. } => {
                words!("规则`{name}`未被引用", "rule `{name}` is never referred to")
            }
            Warning::UnusedDefinition { name, .. } => {
                words!("`{name}`从未使用", "`{name}` is never used")
            }
            Warning::MissingCitation { name, .. } => {
                words!("规则`{name}`没有引用条款", "rule `{name}` has no citation")
            }
            Warning::MissingDefault { name, .. } => {
                words!(
                    "决策表`{name}`没有`default`",
                    "table `{name}` has no `default`"
                )
            }
            Warning::UnreachableRow { table, row, .. } => words!(
                "决策表`{table}`的第{row}行永远不会被选中",
                "row {row} of table `{table}` can never be chosen"
            ),
            Warning::MissingBasis { .. } => {
                words!("事项规则没有`basis`", "this policy has no `basis`")
            }
        }
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let mut related = Vec::new();
        let (span, help) = match self {
            Warning::UnusedFact { span, .. } => (
                *span,
                words!(
                    "删除它，或在规则中使用它；平台必须提供每一个必需的事实",
                    "remove it, or use it in a rule; the platform must send every required fact"
                ),
            ),
            Warning::UnreferencedRule { span, .. } => (
                *span,
                words!(
                    "在`eligible when`或其他规则中使用它，或删除它",
                    "use it in `eligible when` or in another rule, or remove it"
                ),
            ),
            Warning::UnusedDefinition { span, kind, .. } => (
                *span,
                match kind {
                    DefinitionKind::Let => words!(
                        "删除它，或给它加上标题（`let name \"标题\" = …`），在判定结果中报告它的值",
                        "remove it, or give it a title (`let name \"标题\" = …`) to report its value in the decision"
                    ),
                    DefinitionKind::Table => words!(
                        "删除它，或给它加上标题（`table name \"标题\": …`），在判定结果中报告它的值",
                        "remove it, or give it a title (`table name \"标题\": …`) to report its value in the decision"
                    ),
                    DefinitionKind::Param => words!(
                        "删除它，或在规则、`let`或决策表中使用它",
                        "remove it, or use it in a rule, `let` or table"
                    ),
                },
            ),
            Warning::MissingCitation { span, .. } => (
                *span,
                words!(
                    "添加`cite \"…\"`，写明它所依据的条款",
                    "add `cite \"…\"` naming the article it implements"
                ),
            ),
            Warning::MissingDefault { span, .. } => (
                *span,
                words!(
                    "没有任何行命中时，决策表的值为未知；请添加`default => value`",
                    "when no row matches, the table's value is unknown; add `default => value`"
                ),
            ),
            Warning::UnreachableRow { span, earlier, .. } => {
                related.push(Related {
                    file,
                    span: *earlier,
                    label: words!("前面这一行先命中", "this earlier row matches first"),
                });
                (
                    *span,
                    words!(
                        "`first`决策表中最先命中的行生效；请把这一行上移或删除",
                        "in a `first` table the earliest matching row wins; move the row up or remove it"
                    ),
                )
            }
            Warning::MissingBasis { span } => (
                *span,
                words!(
                    "添加`basis \"《…》\"`，写明法律依据",
                    "add `basis \"《…》\"` naming the legal basis"
                ),
            ),
        };
        Diagnostic {
            severity: Severity::Warning,
            code: self.code(),
            message: self.message(),
            file,
            span,
            label: Words::default(),
            related,
            help: Some(help),
        }
    }
}

/// In the default language (Chinese); a diagnostic carries both.
impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message().get(Lang::default()))
    }
}
