//! pest's failures → a `SyntaxError` in the officer's words, in Chinese and
//! English: what was expected, what was found, and a hint for the usual slips.

use pest::error::{ErrorVariant, InputLocation};

use super::{Rule, trimmed_length};
use crate::diagnostic::Span;
use crate::lang::{Lang, Words};
use crate::syntax::SyntaxError;
use crate::words;

pub(super) fn convert_error(
    error: &pest::error::Error<Rule>,
    source: &str,
    offset: usize,
) -> SyntaxError {
    let position = match error.location {
        InputLocation::Pos(position) => position,
        InputLocation::Span((start, _)) => start,
    };
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        ErrorVariant::CustomError { message } => Words::same(message.clone()),
    };
    // Where a name (of a fact, a rule, a `let` …) is due and nothing else
    // may stand, a Chinese word is a name written in Chinese, not text.
    let only_a_name = matches!(
        &error.variant,
        ErrorVariant::ParsingError { positives, .. }
            if !positives.is_empty()
                && positives.iter().all(|r| matches!(r, Rule::name | Rule::path))
    );
    // Nothing but blanks and comments is left: the item ended too early.
    // Point just after its last token, not at the start of the next item.
    let at_end = source
        .get(position..)
        .is_none_or(|rest| trimmed_length(rest) == 0);
    let (found, length, position) = if at_end {
        let end = trimmed_length(source).min(position);
        (end_of_item(), 0, end)
    } else {
        let (found, length) = found_at(source, position);
        (found, length, position)
    };
    SyntaxError::Unexpected {
        expected,
        found,
        span: Span::new(offset + position, offset + position + length),
        help: slip_help(source.get(position..).unwrap_or(""), only_a_name),
    }
}

fn end_of_item() -> Words {
    words!("声明的结尾", "the end of the item")
}

/// A help line for slips that other languages or habits make likely;
/// `name_due`: only a name may stand here.
fn slip_help(rest: &str, name_due: bool) -> Option<Words> {
    let word_end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    if word
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && !c.is_ascii())
    {
        if name_due {
            return Some(words!(
                "名称只能由英文字母、数字和`_`组成（申请数据以名称为键）；中文写在名称后的标题里：\
                 `monthly_income \"{word}\"`",
                "names are ASCII letters, digits and `_` (the request uses them as keys); the \
                 Chinese goes in the title after the name: `monthly_income \"{word}\"`"
            ));
        }
        return Some(words!(
            "文本要加引号：`\"{word}\"`",
            "write text in quotes: `\"{word}\"`"
        ));
    }
    Some(if rest.starts_with("&&") {
        words!("请用`and`代替`&&`", "write `and` instead of `&&`")
    } else if rest.starts_with("||") {
        words!("请用`or`代替`||`", "write `or` instead of `||`")
    } else if rest.starts_with("!=") {
        return None;
    } else if rest.starts_with('!') {
        words!(
            "否定条件请写`not`；`!=`用于比较",
            "write `not` to negate a condition; `!=` compares"
        )
    } else if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") {
        words!("比较请用`==`", "use `==` to compare")
    } else if rest.starts_with('?') {
        // `?` stands only after a single value's type.
        words!(
            "只有单个值可以是可选的（`int?`、`date?`、`enum {{ … }}?`）；`list of`和`set of`不会\
             是未知的：没有内容时申请数据给出`[]`，记录中的字段可以是可选的",
            "only a single value can be optional (`int?`, `date?`, `enum {{ … }}?`); a `list of` or \
             `set of` is never unknown: the request gives `[]` when there is nothing, and a \
             record's fields may be optional"
        )
    } else {
        return None;
    })
}

/// What stands at `position`: a word, a symbol, or the end of the text.
fn found_at(source: &str, position: usize) -> (Words, usize) {
    let rest = source.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (end_of_item(), 0);
    };
    if first == '\n' || first == '\r' {
        return (words!("行尾", "the end of the line"), 1);
    }
    let length = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    (Words::same(format!("`{}`", &rest[..length])), length)
}

/// A phrase in Chinese and English: (zh, en).
type Phrase = (&'static str, &'static str);

/// Code that reads the same in both languages.
const fn code(text: &'static str) -> Phrase {
    (text, text)
}

fn describe_expected(rules: &[Rule]) -> Words {
    // An expression may start here: its many possible first tokens read as
    // one phrase. The keywords that start items read as one phrase too.
    let expression_starts = rules.contains(&Rule::path)
        && rules
            .iter()
            .any(|r| matches!(r, Rule::kw_if | Rule::aggregate_kind | Rule::literal));
    // After a complete operand, every operator may follow: one phrase.
    let operators_follow = rules.iter().filter(|r| continues_expression(**r)).count() >= 3;
    let mut names: Vec<Phrase> = Vec::new();
    let mut new_declaration = false;
    for rule in rules {
        if starts_item(*rule) {
            new_declaration = true;
            continue;
        }
        let name = if operators_follow && continues_expression(*rule) {
            (
                "运算符（`and`、`or`、`==`、`<`、`+`、`*` 等）",
                "an operator (`and`, `or`, `==`, `<`, `+`, `*`, …)",
            )
        } else if expression_starts && starts_expression(*rule) {
            EXPRESSION
        } else {
            describe(*rule)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if new_declaration {
        // "the end of the item" says no more than "a new declaration".
        names.retain(|n| *n != describe(Rule::EOI));
        names.push(("新的声明", "a new declaration"));
    }
    Words::by(|lang| {
        let pick = |phrase: &Phrase| match lang {
            Lang::Zh => phrase.0,
            Lang::En => phrase.1,
        };
        let (comma, or) = match lang {
            Lang::Zh => ("、", "或"),
            Lang::En => (", ", " or "),
        };
        match names.split_last() {
            None => pick(&("其他内容", "something else")).to_string(),
            Some((last, [])) => pick(last).to_string(),
            Some((last, rest)) => {
                let rest: Vec<&str> = rest.iter().map(pick).collect();
                format!("{}{or}{}", rest.join(comma), pick(last))
            }
        }
    })
}

const EXPRESSION: Phrase = ("表达式", "an expression");

/// The item rules themselves.
fn is_declaration(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::policy_decl
            | Rule::bundle_decl
            | Rule::department_decl
            | Rule::dataset_decl
            | Rule::material_decl
            | Rule::basis_decl
            | Rule::version_decl
            | Rule::effective_decl
            | Rule::facts_decl
            | Rule::param_decl
            | Rule::let_decl
            | Rule::rule_decl
            | Rule::exception_decl
            | Rule::eligible_decl
            | Rule::table_decl
            | Rule::step_decl
            | Rule::member_decl
            | Rule::entry_decl
            | Rule::link_decl
            | Rule::calendar_decl
            | Rule::element_decl
            | Rule::use_decl
    )
}

/// The rules whose first token starts an item: a new item may follow here.
fn starts_item(rule: Rule) -> bool {
    is_declaration(rule)
        || matches!(
            rule,
            Rule::kw_policy
                | Rule::kw_bundle
                | Rule::kw_department
                | Rule::kw_dataset
                | Rule::kw_material
                | Rule::kw_basis
                | Rule::kw_version
                | Rule::kw_effective
                | Rule::kw_facts
                | Rule::kw_param
                | Rule::kw_let
                | Rule::kw_rule
                | Rule::kw_exception
                | Rule::kw_eligible
                | Rule::kw_table
                | Rule::kw_step
                | Rule::kw_member
                | Rule::kw_entry
                | Rule::kw_link
                | Rule::kw_calendar
                | Rule::kw_element
                | Rule::kw_use
        )
}

/// The rules that continue an expression after an operand.
fn continues_expression(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_and
            | Rule::kw_or
            | Rule::kw_in
            | Rule::kw_not
            | Rule::not_in
            | Rule::compare_op
            | Rule::add_op
            | Rule::mul_op
            | Rule::kw_round
            | Rule::rounding
            | Rule::index
            | Rule::time_unit
    )
}

/// The rules whose first token starts an expression.
fn starts_expression(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr
            | Rule::name
            | Rule::path
            | Rule::kw_if
            | Rule::if_expr
            | Rule::not_op
            | Rule::kw_not
            | Rule::neg_op
            | Rule::literal
            | Rule::value
            | Rule::date_lit
            | Rule::money_lit
            | Rule::int_lit
            | Rule::bool_lit
            | Rule::string
            | Rule::paren
            | Rule::call
            | Rule::set_lit
            | Rule::aggregate
            | Rule::aggregate_kind
    )
}

fn describe(rule: Rule) -> Phrase {
    match rule {
        Rule::EOI => ("声明的结尾", "the end of the item"),
        rule if is_declaration(rule) => (
            "声明（`rule`、`let`、`material`、`step` 等）",
            "a declaration (`rule`, `let`, `material`, `step`, …)",
        ),
        Rule::name => ("名称", "a name"),
        Rule::path => ("名称或带点的编号", "a name or dotted id"),
        Rule::string => ("带引号的文本`\"…\"`", "a quoted text `\"…\"`"),
        Rule::date_lit => ("日期`YYYY-MM-DD`", "a date `YYYY-MM-DD`"),
        Rule::money_lit => ("金额，如`1255.00`", "an amount of money like `1255.00`"),
        Rule::int_lit => ("整数", "a whole number"),
        Rule::bool_lit => ("`true`或`false`", "`true` or `false`"),
        Rule::literal | Rule::value => ("值", "a value"),
        Rule::type_expr | Rule::scalar_type | Rule::base_type => (
            "类型（`bool`、`int`、`money`、`date`、`text`、`enum {…}`、`list of {…}`、`set of text`）",
            "a type (`bool`, `int`, `money`, `date`, `text`, `enum {…}`, `list of {…}`, `set of text`)",
        ),
        Rule::enum_type => code("`enum { … }`"),
        Rule::list_type => code("`list of { … }`"),
        Rule::set_type => code("`set of text`"),
        Rule::field_decl => ("字段`name: type`", "a field `name: type`"),
        Rule::optional => code("`?`"),
        Rule::fact_decl => ("事实`name: type`", "a fact `name: type`"),
        Rule::enum_value => ("枚举值", "an enum value"),
        Rule::fact_source | Rule::fact_source_shared | Rule::fact_source_word => (
            "来源（`from applicant`、`from shared DATASET`或`from department`）",
            "a source (`from applicant`, `from shared DATASET` or `from department`)",
        ),
        Rule::calendar_entry | Rule::calendar_kind => (
            "`holiday DATE`或`workday DATE`（多天可写作区间`DATE..DATE`）",
            "`holiday DATE` or `workday DATE` (a range `DATE..DATE` for several days)",
        ),
        Rule::param_entry => (
            "参数条目`from YYYY-MM-DD = value`",
            "a parameter entry `from YYYY-MM-DD = value`",
        ),
        Rule::param_key => code("`[text]`"),
        Rule::cite => code("`cite \"…\"`"),
        Rule::colon => code("`:`"),
        Rule::hit_policy
        | Rule::hit_unique
        | Rule::hit_first
        | Rule::hit_priority
        | Rule::hit_collect => (
            "命中策略（`unique`、`first`、`priority`、`collect`）",
            "a hit policy (`unique`, `first`, `priority`, `collect`)",
        ),
        Rule::collect_op => (
            "`sum`、`count`、`min`或`max`",
            "`sum`, `count`, `min` or `max`",
        ),
        Rule::table_inputs => (
            "`inputs`及各行要检验的表达式",
            "`inputs` followed by the expressions the rows test",
        ),
        Rule::table_order => code("`order`"),
        Rule::table_row => ("一行`row cell, … => value`", "a row `row cell, … => value`"),
        Rule::table_default => code("`default => value`"),
        Rule::cell | Rule::cell_any | Rule::cell_range | Rule::cell_compare | Rule::cell_set => (
            "单元格（`-`、值、`< value`、`a..b`或`{a, b}`）",
            "a cell (`-`, a value, `< value`, `a..b` or `{a, b}`)",
        ),
        Rule::step_after => code("`after`"),
        Rule::day_kind | Rule::days | Rule::working => {
            ("`days`或`working days`", "`days` or `working days`")
        }
        Rule::step_produces => code("`produces`"),
        Rule::step_when | Rule::material_when => code("`when`"),
        Rule::when_always | Rule::kw_always => code("`always`"),
        Rule::material_form | Rule::form_kind => (
            "形式（`original`、`copy`或`electronic`）",
            "a form (`original`, `copy` or `electronic`)",
        ),
        Rule::material_copies => code("`copies N`"),
        Rule::material_source | Rule::source_shared | Rule::source_plain => (
            "来源（`applicant`、`commitment`或`shared DATASET`）",
            "a source (`applicant`, `commitment` or `shared DATASET`)",
        ),
        Rule::material_issuer => code("`issued by DEPARTMENT`"),
        Rule::expr | Rule::paren | Rule::if_expr | Rule::aggregate | Rule::call | Rule::set_lit => {
            EXPRESSION
        }
        Rule::compare_op => (
            "比较运算符（`==`、`!=`、`<`、`<=`、`>`、`>=`）",
            "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        ),
        Rule::add_op => ("`+`或`-`", "`+` or `-`"),
        Rule::mul_op => ("`*`或`/`", "`*` or `/`"),
        Rule::rounding => code("`round`"),
        Rule::rounding_mode => (
            "取整方式（`down`、`up`、`half_up`、`half_even`）",
            "a rounding mode (`down`, `up`, `half_up`, `half_even`)",
        ),
        Rule::time_unit => (
            "时间单位（`days`、`months`、`years`）",
            "a time unit (`days`, `months`, `years`)",
        ),
        Rule::aggregate_kind => (
            "聚合（`count`、`sum`、`min`、`max`、`any`、`all`）",
            "an aggregate (`count`, `sum`, `min`, `max`, `any`, `all`)",
        ),
        Rule::index => code("`[`"),
        Rule::not_in => code("`not in`"),
        Rule::not_op | Rule::kw_not => code("`not`"),
        Rule::neg_op => code("`-`"),
        Rule::kw_after => code("`after`"),
        Rule::kw_and => code("`and`"),
        Rule::kw_basis => code("`basis`"),
        Rule::kw_bundle => code("`bundle`"),
        Rule::kw_by => code("`by`"),
        Rule::kw_calendar => code("`calendar`"),
        Rule::kw_cite => code("`cite`"),
        Rule::kw_copies => code("`copies`"),
        Rule::kw_dataset => code("`dataset`"),
        Rule::kw_default => code("`default`"),
        Rule::kw_department => code("`department`"),
        Rule::kw_effective => code("`effective`"),
        Rule::kw_eligible => code("`eligible`"),
        Rule::kw_else => code("`else`"),
        Rule::kw_entry => code("`entry`"),
        Rule::kw_exception => code("`exception`"),
        Rule::kw_facts => code("`facts`"),
        Rule::kw_element => code("`element`"),
        Rule::kw_use | Rule::kw_use_element | Rule::fact_use => code("`use`"),
        Rule::kw_for => code("`for`"),
        Rule::kw_form => code("`form`"),
        Rule::kw_from => code("`from`"),
        Rule::kw_hit => code("`hit`"),
        Rule::kw_if => code("`if`"),
        Rule::kw_in => code("`in`"),
        Rule::kw_inputs => code("`inputs`"),
        Rule::kw_issued => code("`issued`"),
        Rule::kw_let => code("`let`"),
        Rule::kw_link => code("`link`"),
        Rule::kw_list => code("`list`"),
        Rule::kw_material => code("`material`"),
        Rule::kw_member => code("`member`"),
        Rule::kw_of => code("`of`"),
        Rule::kw_or => code("`or`"),
        Rule::kw_order => code("`order`"),
        Rule::kw_overrides => code("`overrides`"),
        Rule::kw_param => code("`param`"),
        Rule::kw_policy => code("`policy`"),
        Rule::kw_produces => code("`produces`"),
        Rule::kw_round => code("`round`"),
        Rule::kw_row => code("`row`"),
        Rule::kw_rule => code("`rule`"),
        Rule::kw_set => code("`set`"),
        Rule::kw_source => code("`source`"),
        Rule::kw_step => code("`step`"),
        Rule::kw_table => code("`table`"),
        Rule::kw_then => code("`then`"),
        Rule::kw_to => code("`to`"),
        Rule::kw_until => code("`until`"),
        Rule::kw_version => code("`version`"),
        Rule::kw_when => code("`when`"),
        Rule::kw_where => code("`where`"),
        Rule::kw_within => code("`within`"),
        _ => ("其他内容", "something else"),
    }
}
