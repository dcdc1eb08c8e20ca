//! How values are written as text, the same for the decision, the
//! diagnostics and the tests; and the one "did you mean" used by the
//! checker and by the request reader.

use crate::calendar;

/// Fen as an amount with two decimals (`-12.05`).
pub fn money_text(fen: i64) -> String {
    decimal_text(fen, 2)
}

/// Whole units of 10^-`scale` as a decimal with exactly `scale` decimals
/// (`8957` at scale 2 → `"89.57"`, `30` at scale 0 → `"30"`).
pub fn decimal_text(units: i64, scale: u8) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let magnitude = units.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{magnitude}");
    }
    let divisor = 10_u64.pow(u32::from(scale));
    format!(
        "{sign}{}.{:0width$}",
        magnitude / divisor,
        magnitude % divisor,
        width = usize::from(scale)
    )
}

/// Why a text is not a decimal of a given scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalProblem {
    /// Not digits with at most one point (an exponent, a letter, `1.`).
    Invalid,
    /// More decimals than the scale holds.
    Precision,
    /// Does not fit in 64 bits.
    Range,
}

/// A decimal written in JSON or a form (`"89.57"`, `89.5`, `-3`) as whole
/// units of 10^-`scale` (`"12.5"` at scale 2 → 1250).
pub fn parse_decimal(text: &str, scale: u8) -> Result<i64, DecimalProblem> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let digit_run = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digit_run(whole)
        || !digit_run(fraction)
        || (digits.contains('.') && fraction.is_empty())
    {
        return Err(DecimalProblem::Invalid);
    }
    if fraction.len() > usize::from(scale) {
        return Err(DecimalProblem::Precision);
    }
    // Signed before parsing, so the least i64 is read too.
    let sign = if negative { "-" } else { "" };
    let padded = format!(
        "{sign}{whole}{fraction:0<width$}",
        width = usize::from(scale)
    );
    padded.parse().map_err(|_| DecimalProblem::Range)
}

/// A text id for a whole number's decimal digits that is not a text of the
/// policy: `NUMBER_TEXT_BASE + n`, far below every id the policy and the
/// request's other texts take (those count up from 0), so the same digits
/// get the same id whether they come from a request or from `text(n)`.
pub const NUMBER_TEXT_BASE: i64 = -(1 << 62);

/// The most a whole number may be away from 0 for `text(n)` to have an id.
pub const NUMBER_TEXT_LIMIT: i64 = 1 << 61;

/// The text id of the canonical digits of `n` (`"42"`, `"-7"`), when `n`
/// is within [`NUMBER_TEXT_LIMIT`].
pub fn number_text_id(n: i64) -> Option<i64> {
    (n.unsigned_abs() < NUMBER_TEXT_LIMIT.unsigned_abs()).then(|| NUMBER_TEXT_BASE + n)
}

/// The whole number whose digits a text id from [`number_text_id`] stands for.
pub fn number_of_text_id(id: i64) -> Option<i64> {
    let n = id.checked_sub(NUMBER_TEXT_BASE)?;
    (n.unsigned_abs() < NUMBER_TEXT_LIMIT.unsigned_abs()).then_some(n)
}

/// The whole number `text` writes canonically (`"42"`, `"-7"`, `"0"`; not
/// `"042"`, `"+1"` or `"-0"`), so that it equals `text(n)` exactly.
pub fn canonical_number(text: &str) -> Option<i64> {
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

/// A day number as `YYYY-MM-DD` (dates stay within years 0001–9999, see
/// [`calendar::MIN_DAY`]).
pub fn date_text(days: i64) -> String {
    let (y, m, d) = calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The candidate closest to `wanted`, when it is close enough to be a typo.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(wanted, candidate);
        if score > best.map_or(0.0, |(s, _)| s) {
            best = Some((score, candidate));
        }
    }
    match best {
        Some((score, candidate)) if score >= 0.8 => Some(candidate.to_string()),
        _ => None,
    }
}
