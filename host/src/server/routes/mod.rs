//! The routes, one module per resource; each exposes `router()`.

pub mod decisions;
pub mod evaluate;
pub mod operations;
pub mod policies;

/// Set by a handler on its response so the metrics layer can label the
/// request with the policy it was about.
#[derive(Debug, Clone)]
pub struct PolicyLabel(pub super::metrics::Label);

/// Unix microseconds → RFC 3339 in UTC.
pub fn timestamp_text(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| micros.to_string())
}
