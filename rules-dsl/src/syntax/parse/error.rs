//! pest's failures → a `SyntaxError` in the officer's words: what was
//! expected, what was found, and a hint for the usual slips.

use pest::error::{ErrorVariant, InputLocation};

use super::{Rule, trimmed_length};
use crate::diagnostic::Span;
use crate::syntax::SyntaxError;

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
        ErrorVariant::CustomError { message } => message.clone(),
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
        ("the end of the item".to_string(), 0, end)
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

/// A help line for slips that other languages or habits make likely;
/// `name_due`: only a name may stand here.
fn slip_help(rest: &str, name_due: bool) -> Option<String> {
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
            return Some(format!(
                "names are ASCII letters, digits and `_` (the request uses them as keys); the \
                 Chinese goes in the title after the name: `monthly_income \"{word}\"`"
            ));
        }
        return Some(format!("write text in quotes: `\"{word}\"`"));
    }
    Some(
        if rest.starts_with("&&") {
            "write `and` instead of `&&`"
        } else if rest.starts_with("||") {
            "write `or` instead of `||`"
        } else if rest.starts_with("!=") {
            return None;
        } else if rest.starts_with('!') {
            "write `not` to negate a condition; `!=` compares"
        } else if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") {
            "use `==` to compare"
        } else if rest.starts_with('?') {
            // `?` stands only after a single value's type.
            "only a single value can be optional (`int?`, `date?`, `enum { … }?`); a `list of` or \
             `set of` is never unknown: the request gives `[]` when there is nothing, and a \
             record's fields may be optional"
        } else {
            return None;
        }
        .into(),
    )
}

/// What stands at `position`: a word, a symbol, or the end of the text.
fn found_at(source: &str, position: usize) -> (String, usize) {
    let rest = source.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("the end of the item".into(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("the end of the line".into(), 1);
    }
    let length = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    (format!("`{}`", &rest[..length]), length)
}

fn describe_expected(rules: &[Rule]) -> String {
    // An expression may start here: its many possible first tokens read as
    // one phrase. The keywords that start items read as one phrase too.
    let expression_starts = rules.contains(&Rule::path)
        && rules
            .iter()
            .any(|r| matches!(r, Rule::kw_if | Rule::aggregate_kind | Rule::literal));
    // After a complete operand, every operator may follow: one phrase.
    let operators_follow = rules.iter().filter(|r| continues_expression(**r)).count() >= 3;
    let mut names: Vec<&str> = Vec::new();
    let mut new_declaration = false;
    for rule in rules {
        if starts_item(*rule) {
            new_declaration = true;
            continue;
        }
        let name = if operators_follow && continues_expression(*rule) {
            "an operator (`and`, `or`, `==`, `<`, `+`, `*`, …)"
        } else if expression_starts && starts_expression(*rule) {
            "an expression"
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
        names.push("a new declaration");
    }
    match names.len() {
        0 => "something else".into(),
        1 => names[0].into(),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {}", names.join(", "), last)
        }
    }
}

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

fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the item",
        rule if is_declaration(rule) => "a declaration (`rule`, `let`, `material`, `step`, …)",
        Rule::name => "a name",
        Rule::path => "a name or dotted id",
        Rule::string => "a quoted text `\"…\"`",
        Rule::date_lit => "a date `YYYY-MM-DD`",
        Rule::money_lit => "an amount of money like `1255.00`",
        Rule::int_lit => "a whole number",
        Rule::bool_lit => "`true` or `false`",
        Rule::literal | Rule::value => "a value",
        Rule::type_expr | Rule::scalar_type | Rule::base_type => {
            "a type (`bool`, `int`, `money`, `date`, `text`, `enum {…}`, `list of {…}`, `set of text`)"
        }
        Rule::enum_type => "`enum { … }`",
        Rule::list_type => "`list of { … }`",
        Rule::set_type => "`set of text`",
        Rule::field_decl => "a field `name: type`",
        Rule::optional => "`?`",
        Rule::fact_decl => "a fact `name: type`",
        Rule::enum_value => "an enum value",
        Rule::fact_source | Rule::fact_source_shared | Rule::fact_source_word => {
            "a source (`from applicant`, `from shared DATASET` or `from department`)"
        }
        Rule::calendar_entry | Rule::calendar_kind => {
            "`holiday DATE` or `workday DATE` (a range `DATE..DATE` for several days)"
        }
        Rule::param_entry => "a parameter entry `from YYYY-MM-DD = value`",
        Rule::param_key => "`[text]`",
        Rule::cite => "`cite \"…\"`",
        Rule::colon => "`:`",
        Rule::hit_policy
        | Rule::hit_unique
        | Rule::hit_first
        | Rule::hit_priority
        | Rule::hit_collect => "a hit policy (`unique`, `first`, `priority`, `collect`)",
        Rule::collect_op => "`sum`, `count`, `min` or `max`",
        Rule::table_inputs => "`inputs` followed by the expressions the rows test",
        Rule::table_order => "`order`",
        Rule::table_row => "a row `row cell, … => value`",
        Rule::table_default => "`default => value`",
        Rule::cell | Rule::cell_any | Rule::cell_range | Rule::cell_compare | Rule::cell_set => {
            "a cell (`-`, a value, `< value`, `a..b` or `{a, b}`)"
        }
        Rule::step_after => "`after`",
        Rule::day_kind | Rule::days | Rule::working => "`days` or `working days`",
        Rule::step_produces => "`produces`",
        Rule::step_when | Rule::material_when => "`when`",
        Rule::when_always | Rule::kw_always => "`always`",
        Rule::material_form | Rule::form_kind => "a form (`original`, `copy` or `electronic`)",
        Rule::material_copies => "`copies N`",
        Rule::material_source | Rule::source_shared | Rule::source_plain => {
            "a source (`applicant`, `commitment` or `shared DATASET`)"
        }
        Rule::material_issuer => "`issued by DEPARTMENT`",
        Rule::expr | Rule::paren | Rule::if_expr | Rule::aggregate | Rule::call | Rule::set_lit => {
            "an expression"
        }
        Rule::compare_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*` or `/`",
        Rule::rounding => "`round`",
        Rule::rounding_mode => "a rounding mode (`down`, `up`, `half_up`, `half_even`)",
        Rule::time_unit => "a time unit (`days`, `months`, `years`)",
        Rule::aggregate_kind => "an aggregate (`count`, `sum`, `min`, `max`, `any`, `all`)",
        Rule::index => "`[`",
        Rule::not_in => "`not in`",
        Rule::not_op | Rule::kw_not => "`not`",
        Rule::neg_op => "`-`",
        Rule::kw_after => "`after`",
        Rule::kw_and => "`and`",
        Rule::kw_basis => "`basis`",
        Rule::kw_bundle => "`bundle`",
        Rule::kw_by => "`by`",
        Rule::kw_calendar => "`calendar`",
        Rule::kw_cite => "`cite`",
        Rule::kw_copies => "`copies`",
        Rule::kw_dataset => "`dataset`",
        Rule::kw_default => "`default`",
        Rule::kw_department => "`department`",
        Rule::kw_effective => "`effective`",
        Rule::kw_eligible => "`eligible`",
        Rule::kw_else => "`else`",
        Rule::kw_entry => "`entry`",
        Rule::kw_exception => "`exception`",
        Rule::kw_facts => "`facts`",
        Rule::kw_for => "`for`",
        Rule::kw_form => "`form`",
        Rule::kw_from => "`from`",
        Rule::kw_hit => "`hit`",
        Rule::kw_if => "`if`",
        Rule::kw_in => "`in`",
        Rule::kw_inputs => "`inputs`",
        Rule::kw_issued => "`issued`",
        Rule::kw_let => "`let`",
        Rule::kw_link => "`link`",
        Rule::kw_list => "`list`",
        Rule::kw_material => "`material`",
        Rule::kw_member => "`member`",
        Rule::kw_of => "`of`",
        Rule::kw_or => "`or`",
        Rule::kw_order => "`order`",
        Rule::kw_overrides => "`overrides`",
        Rule::kw_param => "`param`",
        Rule::kw_policy => "`policy`",
        Rule::kw_produces => "`produces`",
        Rule::kw_round => "`round`",
        Rule::kw_row => "`row`",
        Rule::kw_rule => "`rule`",
        Rule::kw_set => "`set`",
        Rule::kw_source => "`source`",
        Rule::kw_step => "`step`",
        Rule::kw_table => "`table`",
        Rule::kw_then => "`then`",
        Rule::kw_to => "`to`",
        Rule::kw_until => "`until`",
        Rule::kw_version => "`version`",
        Rule::kw_when => "`when`",
        Rule::kw_where => "`where`",
        Rule::kw_within => "`within`",
        _ => "something else",
    }
}
