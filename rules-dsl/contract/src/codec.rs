//! How values are written as text, the same for the decision, the
//! diagnostics and the tests; and the one "did you mean" used by the
//! checker and by the request reader.

use crate::calendar;

/// Fen as an amount with two decimals (`-12.05`).
pub fn money_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        fen.unsigned_abs() / 100,
        fen.unsigned_abs() % 100
    )
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
