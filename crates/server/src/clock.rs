//! The wall clock, in the forms the rest of the server uses.

use std::time::{SystemTime, UNIX_EPOCH};

use giaoban_briefing::Now;

/// The current time for the sans-IO core. The instant is tokio's, which is the system's
/// monotonic clock except in tests that pause it (virtual time).
pub fn now() -> Now {
    Now {
        instant: tokio::time::Instant::now().into_std(),
        unix_ms: unix_ms(),
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch as RFC 3339 in UTC, e.g. `2026-12-01T01:10:02.25Z`.
pub fn rfc3339_ms(ms: u64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}
