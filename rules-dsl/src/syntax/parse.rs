//! pest pairs → AST. Validates literals (dates, money precision, number
//! range, escapes) and bounds expression depth on the way.

use jiff::civil::Date;
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::*;
use super::{MAX_CHAIN_TERMS, MAX_EXPR_DEPTH, SyntaxError};
use crate::diagnostic::Span;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

type P<'a> = Pair<'a, Rule>;

pub(super) fn parse_chunk(
    text: &str,
    chunk: Span,
    items: &mut Vec<Item>,
    errors: &mut Vec<SyntaxError>,
) {
    let source = &text[chunk.range()];
    match Grammar::parse(Rule::chunk, source) {
        Ok(mut pairs) => {
            let mut builder = Builder {
                offset: chunk.start,
                errors,
            };
            if let Some(chunk_pair) = pairs.next() {
                for pair in chunk_pair.into_inner() {
                    if pair.as_rule() == Rule::EOI {
                        continue;
                    }
                    if let Some(item) = builder.item(pair) {
                        items.push(item);
                    }
                }
            }
        }
        Err(error) => errors.push(convert_error(&error, source, chunk.start)),
    }
}

fn convert_error(error: &pest::error::Error<Rule>, source: &str, offset: usize) -> SyntaxError {
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

struct Builder<'e> {
    offset: usize,
    errors: &'e mut Vec<SyntaxError>,
}

impl Builder<'_> {
    /// The pair's span without the whitespace and comments pest keeps at its end.
    fn span(&self, pair: &P<'_>) -> Span {
        let span = pair.as_span();
        let length = trimmed_length(pair.as_str());
        Span::new(
            self.offset + span.start(),
            self.offset + span.start() + length,
        )
    }

    fn name(&self, pair: P<'_>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn item(&mut self, pair: P<'_>) -> Option<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = Inner::new(pair);
        let kind = match rule {
            Rule::policy_decl => {
                inner.skip(Rule::kw_policy);
                let id = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                ItemKind::Policy { id, title }
            }
            Rule::bundle_decl => {
                inner.skip(Rule::kw_bundle);
                let id = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                ItemKind::Bundle { id, title }
            }
            Rule::department_decl => {
                inner.skip(Rule::kw_department);
                let id = self.name(inner.take()?);
                let name = inner.take_if(Rule::string).map(|p| self.text(p));
                ItemKind::Department { id, name }
            }
            Rule::dataset_decl => {
                inner.skip(Rule::kw_dataset);
                let id = self.name(inner.take()?);
                let name = self.text(inner.take()?);
                inner.skip(Rule::kw_by);
                let department = self.name(inner.take()?);
                ItemKind::Dataset {
                    id,
                    name,
                    department,
                }
            }
            Rule::material_decl => {
                inner.skip(Rule::kw_material);
                let id = self.name(inner.take()?);
                let name = inner.take_if(Rule::string).map(|p| self.text(p));
                let mut clauses = Vec::new();
                for clause in inner.rest() {
                    if let Some(clause) = self.material_clause(clause) {
                        clauses.push(clause);
                    }
                }
                ItemKind::Material(MaterialDecl { id, name, clauses })
            }
            Rule::basis_decl => {
                inner.skip(Rule::kw_basis);
                ItemKind::Basis(self.text(inner.take()?))
            }
            Rule::version_decl => {
                inner.skip(Rule::kw_version);
                let number = inner.take()?;
                let span = self.span(&number);
                ItemKind::Version {
                    value: self.int(&number)?,
                    span,
                }
            }
            Rule::effective_decl => {
                inner.skip(Rule::kw_effective);
                inner.skip(Rule::kw_from);
                let from = self.date(inner.take()?)?;
                let until = if inner.skip(Rule::kw_until) {
                    Some(self.date(inner.take()?)?)
                } else {
                    None
                };
                ItemKind::Effective { from, until }
            }
            Rule::facts_decl => {
                inner.skip(Rule::kw_facts);
                let mut facts = Vec::new();
                for fact in inner.rest() {
                    if let Some(fact) = self.fact(fact) {
                        facts.push(fact);
                    }
                }
                ItemKind::Facts(facts)
            }
            Rule::param_decl => ItemKind::Param(self.param(inner)?),
            Rule::let_decl => {
                inner.skip(Rule::kw_let);
                let name = self.name(inner.take()?);
                let title = inner.take_if(Rule::string).map(|p| self.text(p));
                let value = self.expr(inner.take()?, 0);
                ItemKind::Let(LetDecl { name, title, value })
            }
            Rule::rule_decl => {
                inner.skip(Rule::kw_rule);
                let name = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                let cite = inner.take_if(Rule::cite).and_then(|p| self.cite(p));
                inner.skip(Rule::colon);
                let body = self.expr(inner.take()?, 0);
                ItemKind::Rule(RuleDecl {
                    name,
                    title,
                    cite,
                    body,
                })
            }
            Rule::exception_decl => {
                inner.skip(Rule::kw_exception);
                let name = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                let cite = inner.take_if(Rule::cite).and_then(|p| self.cite(p));
                inner.skip(Rule::kw_overrides);
                let target = self.name(inner.take()?);
                inner.skip(Rule::kw_to);
                let value = inner.take()?.as_str() == "true";
                inner.skip(Rule::kw_when);
                let condition = self.expr(inner.take()?, 0);
                ItemKind::Exception(ExceptionDecl {
                    name,
                    title,
                    cite,
                    target,
                    value,
                    condition,
                })
            }
            Rule::eligible_decl => {
                inner.skip(Rule::kw_eligible);
                inner.skip(Rule::kw_when);
                ItemKind::Eligible(self.expr(inner.take()?, 0))
            }
            Rule::table_decl => ItemKind::Table(self.table(inner)?),
            Rule::step_decl => ItemKind::Step(self.step(inner)?),
            Rule::member_decl => {
                inner.skip(Rule::kw_member);
                ItemKind::Member(self.name(inner.take()?))
            }
            Rule::entry_decl => {
                inner.skip(Rule::kw_entry);
                inner.skip(Rule::kw_when);
                ItemKind::Entry(self.expr(inner.take()?, 0))
            }
            Rule::link_decl => {
                inner.skip(Rule::kw_link);
                let material = self.name(inner.take()?);
                inner.skip(Rule::kw_from);
                let from = self.name(inner.take()?);
                inner.skip(Rule::kw_to);
                let to = self.name(inner.take()?);
                ItemKind::Link { material, from, to }
            }
            Rule::calendar_decl => {
                inner.skip(Rule::kw_calendar);
                let year_pair = inner.take()?;
                let year_span = self.span(&year_pair);
                let year = year_pair.as_str().parse().unwrap_or(0);
                let notice = self.text(inner.take()?);
                let mut entries = Vec::new();
                for entry in inner.rest() {
                    let span = self.span(&entry);
                    let mut parts = Inner::new(entry);
                    let holiday = parts.take()?.as_str() == "holiday";
                    let from = self.date(parts.take()?)?;
                    let until = match parts.take_if(Rule::date_lit) {
                        Some(pair) => Some(self.date(pair)?),
                        None => None,
                    };
                    let note = parts.take_if(Rule::string).map(|p| self.text(p));
                    entries.push(CalendarEntry {
                        holiday,
                        from,
                        until,
                        note,
                        span,
                    });
                }
                ItemKind::Calendar(CalendarDecl {
                    year,
                    year_span,
                    notice,
                    entries,
                })
            }
            _ => return None,
        };
        Some(Item { kind, span })
    }

    /// What follows `when` on a material or step: `always` or a condition.
    fn when(&mut self, pair: P<'_>) -> When {
        match pair.as_rule() {
            Rule::when_always => When::Always(self.span(&pair)),
            _ => When::Condition(self.expr(pair, 0)),
        }
    }

    fn cite(&mut self, pair: P<'_>) -> Option<Text> {
        let mut inner = Inner::new(pair);
        inner.skip(Rule::kw_cite);
        Some(self.text(inner.take()?))
    }

    fn material_clause(&mut self, pair: P<'_>) -> Option<MaterialClause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = Inner::new(pair);
        Some(match rule {
            Rule::material_when => {
                inner.skip(Rule::kw_when);
                MaterialClause::When {
                    when: self.when(inner.take()?),
                    span,
                }
            }
            Rule::material_form => {
                inner.skip(Rule::kw_form);
                let form = match inner.take()?.as_str() {
                    "original" => Form::Original,
                    "copy" => Form::Copy,
                    _ => Form::Electronic,
                };
                MaterialClause::Form { form, span }
            }
            Rule::material_copies => {
                inner.skip(Rule::kw_copies);
                let copies = self.int(&inner.take()?)?;
                MaterialClause::Copies { copies, span }
            }
            Rule::material_issuer => {
                inner.skip(Rule::kw_issued);
                inner.skip(Rule::kw_by);
                MaterialClause::IssuedBy {
                    department: self.name(inner.take()?),
                    span,
                }
            }
            Rule::material_source => {
                inner.skip(Rule::kw_source);
                let source_pair = inner.take()?;
                let source = match source_pair.as_rule() {
                    Rule::source_shared => {
                        let mut shared = Inner::new(source_pair);
                        let dataset = self.name(shared.take()?);
                        let fallback = if shared.skip(Rule::kw_else) {
                            match shared.take()?.as_str() {
                                "commitment" => Fallback::Commitment,
                                _ => Fallback::Applicant,
                            }
                        } else {
                            Fallback::Applicant
                        };
                        Source::Shared { dataset, fallback }
                    }
                    _ => match source_pair.as_str() {
                        "commitment" => Source::Commitment,
                        _ => Source::Applicant,
                    },
                };
                MaterialClause::Source { source, span }
            }
            _ => return None,
        })
    }

    fn fact(&mut self, pair: P<'_>) -> Option<FactDecl> {
        let span = self.span(&pair);
        let mut inner = Inner::new(pair);
        let name = self.name(inner.take()?);
        let ty = self.type_expr(inner.take()?)?;
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let source = match inner.take_if(Rule::fact_source) {
            Some(pair) => {
                let mut parts = Inner::new(pair);
                parts.skip(Rule::kw_from);
                let which = parts.take()?;
                Some(match which.as_rule() {
                    Rule::fact_source_shared => {
                        let dataset = which.into_inner().next()?;
                        FactSource::Shared(self.name(dataset))
                    }
                    _ if which.as_str() == "department" => FactSource::Department,
                    _ => FactSource::Applicant,
                })
            }
            None => None,
        };
        Some(FactDecl {
            name,
            ty,
            title,
            source,
            span,
        })
    }

    fn type_expr(&mut self, pair: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut inner = Inner::new(pair);
        let first = inner.take()?;
        Some(match first.as_rule() {
            Rule::list_type => {
                let mut list = Inner::new(first);
                list.skip(Rule::kw_list);
                list.skip(Rule::kw_of);
                let mut fields = Vec::new();
                for field in list.rest() {
                    let field_span = self.span(&field);
                    let mut parts = Inner::new(field);
                    let name = self.name(parts.take()?);
                    let ty = self.scalar_type(parts.take()?)?;
                    let optional = parts.take_if(Rule::optional).is_some();
                    let title = parts.take_if(Rule::string).map(|p| self.text(p));
                    fields.push(FieldDecl {
                        name,
                        ty,
                        optional,
                        title,
                        span: field_span,
                    });
                }
                TypeExpr::List { fields, span }
            }
            Rule::set_type => {
                let mut set = Inner::new(first);
                set.skip(Rule::kw_set);
                set.skip(Rule::kw_of);
                let element = base_type(set.take()?.as_str());
                TypeExpr::Set { element, span }
            }
            _ => {
                let ty = self.scalar_type(first)?;
                let optional = inner.take_if(Rule::optional).is_some();
                TypeExpr::Scalar { ty, optional, span }
            }
        })
    }

    fn scalar_type(&mut self, pair: P<'_>) -> Option<ScalarType> {
        let inner = pair.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::enum_type => ScalarType::Enum(
                inner
                    .into_inner()
                    .filter_map(|value| {
                        let mut parts = Inner::new(value);
                        let name = self.name(parts.take()?);
                        let title = parts.take_if(Rule::string).map(|p| self.text(p));
                        Some(EnumValueDecl { name, title })
                    })
                    .collect(),
            ),
            _ => ScalarType::Base(base_type(inner.as_str())),
        })
    }

    fn param(&mut self, mut inner: Inner<'_>) -> Option<ParamDecl> {
        inner.skip(Rule::kw_param);
        let name = self.name(inner.take()?);
        let key = inner.take_if(Rule::param_key).and_then(|pair| {
            let span = self.span(&pair);
            let ty = base_type(pair.into_inner().next()?.as_str());
            Some(ParamKey { ty, span })
        });
        let ty = base_type(inner.take()?.as_str());
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let mut entries = Vec::new();
        for entry in inner.rest() {
            let span = self.span(&entry);
            let mut parts = Inner::new(entry);
            let key = parts.take_if(Rule::string).map(|p| self.text(p));
            parts.skip(Rule::kw_from);
            let Some(from) = parts.take().and_then(|p| self.date(p)) else {
                continue;
            };
            let Some(value) = parts.take().and_then(|p| self.literal(p)) else {
                continue;
            };
            entries.push(ParamEntry {
                key,
                from,
                value,
                span,
            });
        }
        Some(ParamDecl {
            name,
            key,
            ty,
            title,
            entries,
        })
    }

    fn table(&mut self, mut inner: Inner<'_>) -> Option<TableDecl> {
        inner.skip(Rule::kw_table);
        let name = self.name(inner.take()?);
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let ty_pair = inner.take()?;
        let ty_span = self.span(&ty_pair);
        let ty = base_type(ty_pair.as_str());
        inner.skip(Rule::kw_hit);
        let hit_pair = inner.take()?;
        let hit_span = self.span(&hit_pair);
        let hit_kind = hit_pair.into_inner().next()?;
        let hit = match hit_kind.as_rule() {
            Rule::hit_unique => HitPolicy::Unique,
            Rule::hit_first => HitPolicy::First,
            Rule::hit_priority => HitPolicy::Priority,
            _ => HitPolicy::Collect(hit_kind.into_inner().next().map(|op| match op.as_str() {
                "sum" => CollectOp::Sum,
                "count" => CollectOp::Count,
                "min" => CollectOp::Min,
                _ => CollectOp::Max,
            })),
        };
        let mut inputs_part = Inner::new(inner.take()?);
        inputs_part.skip(Rule::kw_inputs);
        let inputs = inputs_part.rest().map(|p| self.expr(p, 0)).collect();
        let order = match inner.take_if(Rule::table_order) {
            Some(order) => {
                let span = self.span(&order);
                let mut values = Vec::new();
                for value in Inner::new(order)
                    .rest()
                    .filter(|p| p.as_rule() == Rule::value)
                {
                    values.push(self.value(value)?);
                }
                Some(TableOrder { values, span })
            }
            None => None,
        };
        let mut rows = Vec::new();
        let mut default = None;
        for part in inner.rest() {
            match part.as_rule() {
                Rule::table_row => {
                    let span = self.span(&part);
                    let mut cells = Vec::new();
                    let mut output = None;
                    for piece in part.into_inner() {
                        match piece.as_rule() {
                            Rule::cell => cells.push(self.cell(piece)?),
                            Rule::value => output = Some(self.value(piece)?),
                            _ => {}
                        }
                    }
                    rows.push(TableRow {
                        cells,
                        output: output?,
                        span,
                    });
                }
                Rule::table_default => {
                    let value = part.into_inner().find(|p| p.as_rule() == Rule::value)?;
                    default = Some(self.value(value)?);
                }
                _ => {}
            }
        }
        Some(TableDecl {
            name,
            title,
            ty,
            ty_span,
            hit,
            hit_span,
            inputs,
            order,
            rows,
            default,
        })
    }

    fn cell(&mut self, pair: P<'_>) -> Option<Cell> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::cell_any => CellKind::Any,
            Rule::cell_range => {
                let mut parts = inner.into_inner();
                let low = self.literal(parts.next()?)?;
                let high = self.literal(parts.next()?)?;
                CellKind::Range(low, high)
            }
            Rule::cell_compare => {
                let mut parts = inner.into_inner();
                let op = compare_op(parts.next()?.as_str());
                CellKind::Compare(op, self.literal(parts.next()?)?)
            }
            Rule::cell_set => {
                let mut values = Vec::new();
                for value in inner.into_inner() {
                    values.push(self.value(value)?);
                }
                CellKind::OneOf(values)
            }
            _ => CellKind::Equals(self.value(inner)?),
        };
        Some(Cell { kind, span })
    }

    fn value(&mut self, pair: P<'_>) -> Option<Value> {
        let inner = pair.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::name => Value::Variant(self.name(inner)),
            _ => Value::Literal(self.literal(inner)?),
        })
    }

    fn step(&mut self, mut inner: Inner<'_>) -> Option<StepDecl> {
        inner.skip(Rule::kw_step);
        let name = self.name(inner.take()?);
        let title = self.text(inner.take()?);
        inner.skip(Rule::kw_by);
        let department = self.name(inner.take()?);
        let after = match inner.take_if(Rule::step_after) {
            Some(after) => Inner::new(after)
                .rest()
                .filter(|p| p.as_rule() == Rule::name)
                .map(|p| self.name(p))
                .collect(),
            None => Vec::new(),
        };
        inner.skip(Rule::kw_within);
        let days_pair = inner.take()?;
        let days_span = self.span(&days_pair);
        let days = self.int(&days_pair)?;
        let day_kind = inner.take()?;
        let working_days = day_kind.into_inner().any(|p| p.as_rule() == Rule::working);
        let produces = inner
            .take_if(Rule::step_produces)
            .and_then(|p| p.into_inner().nth(1))
            .map(|p| self.name(p));
        let condition = match inner.take_if(Rule::step_when) {
            Some(when) => Some(self.when(when.into_inner().nth(1)?)),
            None => None,
        };
        Some(StepDecl {
            name,
            title,
            department,
            after,
            days,
            days_span,
            working_days,
            produces,
            condition,
        })
    }

    // ------------------------------------------------------------ literals

    fn text(&mut self, pair: P<'_>) -> Text {
        let span = self.span(&pair);
        let body = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut value = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((index, ch)) = chars.next() {
            if ch != '\\' {
                value.push(ch);
                continue;
            }
            let Some((_, escaped)) = chars.next() else {
                break;
            };
            match escaped {
                '"' => value.push('"'),
                '\\' => value.push('\\'),
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'u' => {
                    let rest = &body[index + 2..];
                    let decoded = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .and_then(|(hex, _)| {
                            u32::from_str_radix(hex, 16).ok().map(|n| (hex.len(), n))
                        })
                        .and_then(|(len, n)| char::from_u32(n).map(|c| (len, c)));
                    match decoded {
                        Some((len, c)) => {
                            value.push(c);
                            for _ in 0..len + 2 {
                                chars.next();
                            }
                        }
                        None => {
                            let start = span.start + 1 + index;
                            self.errors.push(SyntaxError::InvalidEscape {
                                text: "\\u".into(),
                                span: Span::new(start, start + 2),
                            });
                        }
                    }
                }
                other => {
                    let start = span.start + 1 + index;
                    self.errors.push(SyntaxError::InvalidEscape {
                        text: format!("\\{other}"),
                        span: Span::new(start, start + 1 + other.len_utf8()),
                    });
                }
            }
        }
        Text { value, span }
    }

    fn int(&mut self, pair: &P<'_>) -> Option<i64> {
        match pair.as_str().parse::<i64>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.errors.push(SyntaxError::NumberTooLarge {
                    text: pair.as_str().into(),
                    span: self.span(pair),
                });
                None
            }
        }
    }

    fn date(&mut self, pair: P<'_>) -> Option<DateLit> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let mut parts = text.split('-');
        let parsed = (|| {
            let year: i16 = parts.next()?.parse().ok()?;
            let month: i8 = parts.next()?.parse().ok()?;
            let day: i8 = parts.next()?.parse().ok()?;
            Date::new(year, month, day).ok()
        })();
        match parsed {
            Some(value) => Some(DateLit { value, span }),
            None => {
                self.errors.push(SyntaxError::InvalidDate {
                    text: text.into(),
                    span,
                });
                None
            }
        }
    }

    fn money(&mut self, pair: &P<'_>) -> Option<i64> {
        let text = pair.as_str();
        let span = self.span(pair);
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (yuan, fraction) = digits.split_once('.')?;
        if fraction.len() > 2 {
            self.errors.push(SyntaxError::MoneyPrecision {
                text: text.into(),
                span,
            });
            return None;
        }
        let fen_text = format!("{fraction:0<2}");
        let value = yuan
            .parse::<i64>()
            .ok()
            .and_then(|y| y.checked_mul(100))
            .and_then(|y| fen_text.parse::<i64>().ok().and_then(|f| y.checked_add(f)));
        match value {
            Some(value) => Some(if negative { -value } else { value }),
            None => {
                self.errors.push(SyntaxError::NumberTooLarge {
                    text: text.into(),
                    span,
                });
                None
            }
        }
    }

    fn literal(&mut self, pair: P<'_>) -> Option<Literal> {
        let span = self.span(&pair);
        let inner = if pair.as_rule() == Rule::literal {
            pair.into_inner().next()?
        } else {
            pair
        };
        let kind = self.literal_kind(inner)?;
        Some(Literal { kind, span })
    }

    fn literal_kind(&mut self, pair: P<'_>) -> Option<LiteralKind> {
        Some(match pair.as_rule() {
            Rule::date_lit => LiteralKind::Date(self.date(pair)?.value),
            Rule::money_lit => LiteralKind::Money(self.money(&pair)?),
            Rule::int_lit => LiteralKind::Int(self.int(&pair)?),
            Rule::bool_lit => LiteralKind::Bool(pair.as_str() == "true"),
            Rule::string => LiteralKind::Text(self.text(pair).value),
            _ => return None,
        })
    }

    // ------------------------------------------------------------ expressions

    /// The error node for `span`, a tree over the limit; `at` is the
    /// operator that crossed it, which the error underlines.
    fn too_deep(&mut self, span: Span, at: Span) -> Expr {
        if !self
            .errors
            .iter()
            .any(|e| matches!(e, SyntaxError::ExprTooDeep { .. }))
        {
            self.errors.push(SyntaxError::ExprTooDeep {
                limit: MAX_EXPR_DEPTH,
                span: at,
            });
        }
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// Builds an expression; items call this for their top-level expressions.
    fn expr(&mut self, pair: P<'_>, _depth: usize) -> Expr {
        self.expr_with_height(pair).0
    }

    /// The error node for a chain of more than [`MAX_CHAIN_TERMS`] terms;
    /// `at` is the operator that adds one too many.
    fn chain_too_long(&mut self, span: Span, at: Span) -> (Expr, usize) {
        if !self
            .errors
            .iter()
            .any(|e| matches!(e, SyntaxError::ChainTooLong { .. }))
        {
            self.errors.push(SyntaxError::ChainTooLong {
                limit: MAX_CHAIN_TERMS,
                span: at,
            });
        }
        (
            Expr {
                kind: ExprKind::Error,
                span,
            },
            1,
        )
    }

    /// Builds the expression `pair` and returns it with its height (the
    /// longest path to a leaf). Operators are applied with an explicit stack
    /// (shunting-yard), so a long chain never recurses; a tree taller than
    /// [`MAX_EXPR_DEPTH`] is cut off with an error, so later stages, which
    /// recurse, never exhaust the stack.
    fn expr_with_height(&mut self, pair: P<'_>) -> (Expr, usize) {
        let span = self.span(&pair);
        if pair.as_rule() != Rule::expr {
            return self.atom(pair, span);
        }
        let mut operands: Vec<(Expr, usize)> = Vec::new();
        let mut operators: Vec<(Op, Span)> = Vec::new();
        for part in pair.into_inner() {
            let part_span = self.span(&part);
            let rule = part.as_rule();
            match rule {
                Rule::not_op => operators.push((Op::Not, part_span)),
                Rule::neg_op => operators.push((Op::Neg, part_span)),
                Rule::kw_or
                | Rule::kw_and
                | Rule::compare_op
                | Rule::not_in
                | Rule::kw_in
                | Rule::add_op
                | Rule::mul_op => {
                    let op = match rule {
                        Rule::kw_or => Op::Or,
                        Rule::kw_and => Op::And,
                        Rule::compare_op => Op::Compare(compare_op(part.as_str())),
                        Rule::not_in => Op::In { negated: true },
                        Rule::kw_in => Op::In { negated: false },
                        Rule::add_op if part.as_str() == "+" => Op::Arith(ArithOp::Add),
                        Rule::add_op => Op::Arith(ArithOp::Sub),
                        _ if part.as_str() == "*" => Op::Arith(ArithOp::Mul),
                        _ => Op::Arith(ArithOp::Div),
                    };
                    self.reduce_while(&mut operands, &mut operators, op.precedence());
                    operators.push((op, part_span));
                }
                Rule::index | Rule::time_unit | Rule::rounding => {
                    let precedence = if rule == Rule::rounding {
                        Op::ROUND
                    } else {
                        Op::POSTFIX
                    };
                    self.reduce_while(&mut operands, &mut operators, precedence);
                    let Some((operand, height)) = operands.pop() else {
                        continue;
                    };
                    let built = self.postfix(operand, height, part, part_span);
                    operands.push(built);
                }
                _ => {
                    let atom = self.atom(part, part_span);
                    operands.push(atom);
                }
            }
        }
        self.reduce_while(&mut operands, &mut operators, 0);
        operands.pop().unwrap_or((
            Expr {
                kind: ExprKind::Error,
                span,
            },
            1,
        ))
    }

    /// Applies stacked operators whose precedence is at least `min`.
    fn reduce_while(
        &mut self,
        operands: &mut Vec<(Expr, usize)>,
        operators: &mut Vec<(Op, Span)>,
        min: u8,
    ) {
        while let Some(&(op, op_span)) = operators.last() {
            if op.precedence() < min {
                break;
            }
            operators.pop();
            let Some((rhs, rhs_height)) = operands.pop() else {
                break;
            };
            let built = match op {
                Op::Not | Op::Neg => {
                    let span = Span::new(op_span.start, rhs.span.end);
                    let operand = Box::new(rhs);
                    let kind = if op == Op::Not {
                        ExprKind::Not(operand)
                    } else {
                        ExprKind::Neg(operand)
                    };
                    (Expr { kind, span }, rhs_height + 1)
                }
                _ => {
                    let Some((lhs, lhs_height)) = operands.pop() else {
                        operands.push((rhs, rhs_height));
                        break;
                    };
                    let span = lhs.span.to(rhs.span);
                    match (op, lhs) {
                        // `a and b and c` is one node with three operands.
                        (
                            Op::And,
                            Expr {
                                kind: ExprKind::And(mut list),
                                ..
                            },
                        ) => {
                            if list.len() == MAX_CHAIN_TERMS {
                                operands.push(self.chain_too_long(span, op_span));
                                continue;
                            }
                            list.push(rhs);
                            (
                                Expr {
                                    kind: ExprKind::And(list),
                                    span,
                                },
                                lhs_height.max(rhs_height + 1),
                            )
                        }
                        (
                            Op::Or,
                            Expr {
                                kind: ExprKind::Or(mut list),
                                ..
                            },
                        ) => {
                            if list.len() == MAX_CHAIN_TERMS {
                                operands.push(self.chain_too_long(span, op_span));
                                continue;
                            }
                            list.push(rhs);
                            (
                                Expr {
                                    kind: ExprKind::Or(list),
                                    span,
                                },
                                lhs_height.max(rhs_height + 1),
                            )
                        }
                        (op, lhs) => {
                            let (lhs, rhs) = (Box::new(lhs), Box::new(rhs));
                            let kind = match op {
                                Op::And => ExprKind::And(vec![*lhs, *rhs]),
                                Op::Or => ExprKind::Or(vec![*lhs, *rhs]),
                                Op::Compare(op) => ExprKind::Compare { op, lhs, rhs },
                                Op::In { negated } => ExprKind::In {
                                    negated,
                                    element: lhs,
                                    set: rhs,
                                },
                                Op::Arith(op) => ExprKind::Arith {
                                    op,
                                    lhs,
                                    rhs,
                                    rounding: None,
                                },
                                Op::Not | Op::Neg => ExprKind::Error,
                            };
                            (Expr { kind, span }, lhs_height.max(rhs_height) + 1)
                        }
                    }
                }
            };
            operands.push(self.bounded(built, op_span));
        }
    }

    /// Replaces a tree taller than the limit by an error node; `at` is the
    /// operator (or bracket, keyword) that made it taller.
    fn bounded(&mut self, (expr, height): (Expr, usize), at: Span) -> (Expr, usize) {
        if height > MAX_EXPR_DEPTH {
            let span = expr.span;
            (self.too_deep(span, at), 1)
        } else {
            (expr, height)
        }
    }

    /// `x[key]`, `6 months` and `a / b round half_up`.
    fn postfix(
        &mut self,
        operand: Expr,
        height: usize,
        part: P<'_>,
        part_span: Span,
    ) -> (Expr, usize) {
        let span = operand.span.to(part_span);
        let built = match part.as_rule() {
            Rule::index => {
                let (key, key_height) = match part.into_inner().next() {
                    Some(key) => self.expr_with_height(key),
                    None => (
                        Expr {
                            kind: ExprKind::Error,
                            span: part_span,
                        },
                        1,
                    ),
                };
                let height = height.max(key_height) + 1;
                (
                    Expr {
                        kind: ExprKind::Index {
                            base: Box::new(operand),
                            key: Box::new(key),
                        },
                        span,
                    },
                    height,
                )
            }
            Rule::time_unit => {
                let unit = match part.as_str() {
                    "day" | "days" => TimeUnit::Days,
                    "month" | "months" => TimeUnit::Months,
                    _ => TimeUnit::Years,
                };
                (
                    Expr {
                        kind: ExprKind::Duration {
                            amount: Box::new(operand),
                            unit,
                        },
                        span,
                    },
                    height + 1,
                )
            }
            _ => {
                let mode = part
                    .into_inner()
                    .nth(1)
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default();
                let rounding = match mode.as_str() {
                    "down" => Rounding::Down,
                    "up" => Rounding::Up,
                    "half_up" => Rounding::HalfUp,
                    _ => Rounding::HalfEven,
                };
                match operand.kind {
                    ExprKind::Arith {
                        op: ArithOp::Div,
                        lhs,
                        rhs,
                        rounding: None,
                    } => (
                        Expr {
                            kind: ExprKind::Arith {
                                op: ArithOp::Div,
                                lhs,
                                rhs,
                                rounding: Some(rounding),
                            },
                            span,
                        },
                        height,
                    ),
                    kind => {
                        self.errors.push(SyntaxError::Unexpected {
                            expected: "a division (`a / b`) before `round`".into(),
                            found: "`round`".into(),
                            span: part_span,
                            help: None,
                        });
                        (
                            Expr {
                                kind,
                                span: operand.span,
                            },
                            height,
                        )
                    }
                }
            }
        };
        self.bounded(built, part_span)
    }

    fn atom(&mut self, pair: P<'_>, span: Span) -> (Expr, usize) {
        // The atom's first token (`(`, `{`, `if`, a function's name): where
        // an over-deep atom is reported.
        let text = pair.as_str();
        let first_word = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let leading_length = match first_word {
            0 => text.chars().next().map_or(0, char::len_utf8),
            n => n,
        };
        let leading = Span::new(span.start, span.start + leading_length);
        let error = |span| {
            (
                Expr {
                    kind: ExprKind::Error,
                    span,
                },
                1,
            )
        };
        let built = match pair.as_rule() {
            Rule::paren => match pair.into_inner().next() {
                Some(inner) => {
                    let (inner, height) = self.expr_with_height(inner);
                    (
                        Expr {
                            kind: ExprKind::Paren(Box::new(inner)),
                            span,
                        },
                        height + 1,
                    )
                }
                None => error(span),
            },
            Rule::if_expr => {
                let parts: Vec<P<'_>> = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .collect();
                let mut built: Vec<(Expr, usize)> = parts
                    .into_iter()
                    .map(|p| self.expr_with_height(p))
                    .collect();
                if built.len() != 3 {
                    return error(span);
                }
                let height = built.iter().map(|b| b.1).max().unwrap_or(0) + 1;
                let otherwise = built.pop().map(|b| b.0);
                let then = built.pop().map(|b| b.0);
                let condition = built.pop().map(|b| b.0);
                match (condition, then, otherwise) {
                    (Some(condition), Some(then), Some(otherwise)) => (
                        Expr {
                            kind: ExprKind::If {
                                condition: Box::new(condition),
                                then: Box::new(then),
                                otherwise: Box::new(otherwise),
                            },
                            span,
                        },
                        height,
                    ),
                    _ => error(span),
                }
            }
            Rule::aggregate => self.aggregate(pair, span),
            Rule::call => {
                let text = pair.as_str();
                let mut parts = pair.into_inner();
                let Some(function) = parts.next() else {
                    return error(span);
                };
                let is_call = text[function.as_str().len()..]
                    .trim_start()
                    .starts_with('(');
                if !is_call {
                    return (
                        Expr {
                            kind: ExprKind::Path(function.as_str().to_string()),
                            span,
                        },
                        1,
                    );
                }
                let function = self.name(function);
                let mut height = 1;
                let mut args = Vec::new();
                for arg in parts {
                    let (arg, arg_height) = self.expr_with_height(arg);
                    height = height.max(arg_height + 1);
                    args.push(arg);
                }
                (
                    Expr {
                        kind: ExprKind::Call { function, args },
                        span,
                    },
                    height,
                )
            }
            Rule::set_lit => {
                let mut height = 1;
                let mut elements = Vec::new();
                for element in pair.into_inner() {
                    let (element, element_height) = self.expr_with_height(element);
                    height = height.max(element_height + 1);
                    elements.push(element);
                }
                (
                    Expr {
                        kind: ExprKind::Set(elements),
                        span,
                    },
                    height,
                )
            }
            Rule::literal => match pair.into_inner().next().and_then(|p| self.literal_kind(p)) {
                Some(literal) => (
                    Expr {
                        kind: ExprKind::Literal(literal),
                        span,
                    },
                    1,
                ),
                None => error(span),
            },
            Rule::path => (
                Expr {
                    kind: ExprKind::Path(pair.as_str().to_string()),
                    span,
                },
                1,
            ),
            Rule::expr => self.expr_with_height(pair),
            _ => error(span),
        };
        self.bounded(built, leading)
    }

    fn aggregate(&mut self, pair: P<'_>, span: Span) -> (Expr, usize) {
        let mut kind = None;
        let mut exprs: Vec<P<'_>> = Vec::new();
        let mut saw_for = false;
        let mut saw_where = false;
        let mut var = None;
        let mut list = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::aggregate_kind => {
                    kind = Some(match part.as_str() {
                        "count" => AggregateKind::Count,
                        "sum" => AggregateKind::Sum,
                        "min" => AggregateKind::Min,
                        "max" => AggregateKind::Max,
                        "any" => AggregateKind::Any,
                        _ => AggregateKind::All,
                    })
                }
                Rule::expr => exprs.push(part),
                Rule::kw_for => saw_for = true,
                Rule::kw_where => saw_where = true,
                Rule::name => var = Some(self.name(part)),
                Rule::path => list = Some(self.name(part)),
                _ => {}
            }
        }
        let mut height = 1;
        let mut exprs = exprs.into_iter();
        let mut next = |builder: &mut Self, wanted: bool| -> Option<Box<Expr>> {
            if !wanted {
                return None;
            }
            let (expr, h) = builder.expr_with_height(exprs.next()?);
            height = height.max(h + 1);
            Some(Box::new(expr))
        };
        let value = next(self, saw_for);
        let filter = next(self, saw_where);
        match (kind, var, list) {
            (Some(kind), Some(var), Some(list)) => (
                Expr {
                    kind: ExprKind::Aggregate {
                        kind,
                        value,
                        var,
                        list,
                        filter,
                    },
                    span,
                },
                height,
            ),
            _ => (
                Expr {
                    kind: ExprKind::Error,
                    span,
                },
                1,
            ),
        }
    }
}

/// An operator waiting on the shunting-yard stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Not,
    Compare(CompareOp),
    In { negated: bool },
    Arith(ArithOp),
    Neg,
}

impl Op {
    /// `round` binds like `*` and `/`, so `a + b / c round up` rounds `b / c`.
    const ROUND: u8 = 6;
    const POSTFIX: u8 = 8;

    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Not => 3,
            Op::Compare(_) | Op::In { .. } => 4,
            Op::Arith(ArithOp::Add | ArithOp::Sub) => 5,
            Op::Arith(ArithOp::Mul | ArithOp::Div) => 6,
            Op::Neg => 7,
        }
    }
}

/// The length of `text` without trailing whitespace and trailing comments.
fn trimmed_length(text: &str) -> usize {
    let mut text = text.trim_end();
    loop {
        let line_start = text.rfind('\n').map_or(0, |n| n + 1);
        let mut in_string = false;
        let mut escaped = false;
        let mut comment_at = None;
        for (index, ch) in text[line_start..].char_indices() {
            match ch {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    comment_at = Some(line_start + index);
                    break;
                }
                _ => {}
            }
        }
        match comment_at {
            Some(at) => text = text[..at].trim_end(),
            None => return text.len(),
        }
    }
}

fn base_type(text: &str) -> BaseType {
    match text {
        "bool" => BaseType::Bool,
        "int" => BaseType::Int,
        "money" => BaseType::Money,
        "date" => BaseType::Date,
        _ => BaseType::Text,
    }
}

fn compare_op(text: &str) -> CompareOp {
    match text {
        "==" => CompareOp::Eq,
        "!=" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        ">" => CompareOp::Gt,
        _ => CompareOp::Ge,
    }
}

/// A cursor over a pair's children that skips keywords by rule.
struct Inner<'a> {
    pairs: std::iter::Peekable<pest::iterators::Pairs<'a, Rule>>,
}

impl<'a> Inner<'a> {
    fn new(pair: P<'a>) -> Inner<'a> {
        Inner {
            pairs: pair.into_inner().peekable(),
        }
    }

    /// Skips the next child if it is `rule`; says whether it did.
    fn skip(&mut self, rule: Rule) -> bool {
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next();
            true
        } else {
            false
        }
    }

    fn take(&mut self) -> Option<P<'a>> {
        self.pairs.next()
    }

    fn take_if(&mut self, rule: Rule) -> Option<P<'a>> {
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next()
        } else {
            None
        }
    }

    fn rest(self) -> impl Iterator<Item = P<'a>> {
        self.pairs
    }
}
