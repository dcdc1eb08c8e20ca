//! pest pairs → AST. Validates literals (dates, money precision, number
//! range, escapes) and bounds expression depth on the way.
//!
//! One job per module: `error` turns pest's failures into prose with hints,
//! `items` builds declarations, `literals` validates text, numbers, dates and
//! money, `expressions` builds operator trees with bounded depth. This file
//! holds the entry point and the cursor they share.

mod error;
mod expressions;
mod items;
mod literals;

use pest::Parser as _;
use pest::iterators::Pair;

use super::ast::*;
use super::{MAX_DECIMALS, SyntaxError};
use crate::diagnostic::Span;
use error::convert_error;

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

struct Builder<'e> {
    offset: usize,
    errors: &'e mut Vec<SyntaxError>,
}

impl Builder<'_> {
    /// The pair's span without the whitespace and comments pest keeps at its end.
    pub(super) fn span(&self, pair: &P<'_>) -> Span {
        let span = pair.as_span();
        let length = trimmed_length(pair.as_str());
        Span::new(
            self.offset + span.start(),
            self.offset + span.start() + length,
        )
    }

    pub(super) fn name(&self, pair: P<'_>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }
}

/// The length of `text` without trailing whitespace and trailing comments.
pub(super) fn trimmed_length(text: &str) -> usize {
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

impl Builder<'_> {
    /// `int`, `money`, `decimal(2)` …; a decimal with more than
    /// [`MAX_DECIMALS`] decimals is refused.
    fn base_type(&mut self, pair: &P<'_>) -> Option<BaseType> {
        let text = pair.as_str();
        Some(match text {
            "bool" => BaseType::Bool,
            "int" => BaseType::Int,
            "money" => BaseType::Money,
            "date" => BaseType::Date,
            "text" => BaseType::Text,
            _ => {
                let digits = text.trim_start_matches("decimal(").trim_end_matches(')');
                match digits.parse::<u8>() {
                    Ok(scale) if scale <= MAX_DECIMALS => BaseType::Decimal(scale),
                    _ => {
                        self.errors.push(SyntaxError::MoneyPrecision {
                            text: text.into(),
                            span: self.span(pair),
                        });
                        return None;
                    }
                }
            }
        })
    }
}

/// A cursor over a pair's children that skips keywords by rule.
struct Inner<'a> {
    pairs: std::iter::Peekable<pest::iterators::Pairs<'a, Rule>>,
}

impl<'a> Inner<'a> {
    pub(super) fn new(pair: P<'a>) -> Inner<'a> {
        Inner {
            pairs: pair.into_inner().peekable(),
        }
    }

    /// Skips the next child if it is `rule`; says whether it did.
    pub(super) fn skip(&mut self, rule: Rule) -> bool {
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next();
            true
        } else {
            false
        }
    }

    pub(super) fn take(&mut self) -> Option<P<'a>> {
        self.pairs.next()
    }

    pub(super) fn take_if(&mut self, rule: Rule) -> Option<P<'a>> {
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next()
        } else {
            None
        }
    }

    pub(super) fn rest(self) -> impl Iterator<Item = P<'a>> {
        self.pairs
    }
}
