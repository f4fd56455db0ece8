//! The current time, as the shell passes it in.

use std::time::{Duration, Instant};

/// The current time in the two forms the core needs: a monotonic instant for deadlines (a
/// floor time limit must not jump when the wall clock is corrected) and the wall clock in
/// milliseconds since the Unix epoch for what people read (`raised_at`, the minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub instant: Instant,
    pub unix_ms: u64,
}

impl Now {
    /// The same clock `elapsed` later. Simulations and tests advance virtual time with it.
    pub fn after(self, elapsed: Duration) -> Now {
        Now {
            instant: self.instant.checked_add(elapsed).unwrap_or(self.instant),
            unix_ms: self
                .unix_ms
                .saturating_add(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}
