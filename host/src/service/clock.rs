//! The service's clock: times are Unix microseconds; "today" is the date in
//! China Standard Time (UTC+8, no daylight saving), where every service runs.

/// Now, in Unix microseconds.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Today in China Standard Time, as days since 1970-01-01.
pub fn today_day() -> i64 {
    (now_micros() / 1_000_000 + 8 * 3600).div_euclid(86_400)
}

/// Unix microseconds → RFC 3339 in UTC.
pub fn timestamp_text(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| micros.to_string())
}

/// Days since 1970-01-01 → `YYYY-MM-DD`.
pub fn day_text(day: i64) -> String {
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(day))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| day.to_string())
}
