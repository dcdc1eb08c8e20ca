//! Literals: text with escapes, integers, dates and money, each validated
//! where it is written.

use jiff::civil::Date;

use super::{Builder, P, Rule};
use crate::diagnostic::Span;
use crate::syntax::ast::*;
use crate::syntax::{MAX_DECIMALS, SyntaxError};

impl Builder<'_> {
    pub(super) fn text(&mut self, pair: P<'_>) -> Text {
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

    pub(super) fn int(&mut self, pair: &P<'_>) -> Option<i64> {
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

    pub(super) fn date(&mut self, pair: P<'_>) -> Option<DateLit> {
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

    /// A number with a point or a percent sign: its digits as one integer
    /// and the number of decimals they hold (`12.5%` → 125 at scale 3).
    fn scaled(&mut self, pair: &P<'_>) -> Option<(i64, u8)> {
        let text = pair.as_str();
        let span = self.span(pair);
        let (percent, number) = match text.strip_suffix('%') {
            Some(number) => (true, number),
            None => (false, text),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let scale = fraction.len() + if percent { 2 } else { 0 };
        if scale > usize::from(MAX_DECIMALS) {
            self.errors.push(SyntaxError::MoneyPrecision {
                text: text.into(),
                span,
            });
            return None;
        }
        match format!("{whole}{fraction}").parse::<i64>() {
            // Lossless: `scale` is at most MAX_DECIMALS.
            Ok(units) => Some((units, scale as u8)),
            Err(_) => {
                self.errors.push(SyntaxError::NumberTooLarge {
                    text: text.into(),
                    span,
                });
                None
            }
        }
    }

    /// `1255.00`, `0.5` → money in fen; more decimals → a decimal.
    fn point_number(&mut self, pair: &P<'_>) -> Option<LiteralKind> {
        let (units, scale) = self.scaled(pair)?;
        if scale > 2 {
            return Some(LiteralKind::Decimal {
                units,
                scale,
                percent: false,
            });
        }
        match units.checked_mul(10_i64.pow(u32::from(2 - scale))) {
            Some(fen) => Some(LiteralKind::Money(fen)),
            None => {
                self.errors.push(SyntaxError::NumberTooLarge {
                    text: pair.as_str().into(),
                    span: self.span(pair),
                });
                None
            }
        }
    }

    pub(super) fn literal(&mut self, pair: P<'_>) -> Option<Literal> {
        let span = self.span(&pair);
        let inner = if pair.as_rule() == Rule::literal {
            pair.into_inner().next()?
        } else {
            pair
        };
        let kind = self.literal_kind(inner)?;
        Some(Literal { kind, span })
    }

    pub(super) fn literal_kind(&mut self, pair: P<'_>) -> Option<LiteralKind> {
        Some(match pair.as_rule() {
            Rule::date_lit => LiteralKind::Date(self.date(pair)?.value),
            Rule::money_lit => self.point_number(&pair)?,
            Rule::percent_lit => {
                let (units, scale) = self.scaled(&pair)?;
                LiteralKind::Decimal {
                    units,
                    scale,
                    percent: true,
                }
            }
            Rule::int_lit => LiteralKind::Int(self.int(&pair)?),
            Rule::bool_lit => LiteralKind::Bool(pair.as_str() == "true"),
            Rule::string => LiteralKind::Text(self.text(pair).value),
            _ => return None,
        })
    }
}
