//! Login throttling: failed logins are counted per account name and per client address in a
//! window; past the limit, logins for that name or from that address are refused until the
//! window ends. Sans-IO: every call takes `now`.
//!
//! Both maps are bounded ([`MAX_KEYS`]): when one is full, expired counts go first, then the
//! oldest. Flooding the name map with made-up names frees a name's count early, but the
//! address's count still holds the flooder back.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How long failed logins are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins for one name within [`WINDOW`] before that name is refused.
pub const MAX_FAILURES_PER_NAME: u32 = 5;
/// Failed logins from one address within [`WINDOW`] before that address is refused.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// Names, and addresses, remembered at most.
pub const MAX_KEYS: usize = 10_000;

/// The counts of failed logins.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    names: Counts,
    addresses: Counts,
}

impl LoginThrottle {
    /// `Err(wait)` when a login for `name` from `address` is refused now, with how long
    /// until it is allowed again.
    pub fn check(&self, name: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let by_name = self
            .names
            .blocked(&name_key(name), MAX_FAILURES_PER_NAME, now);
        let by_address = address.and_then(|a| {
            self.addresses
                .blocked(&a.to_string(), MAX_FAILURES_PER_ADDRESS, now)
        });
        match by_name.max(by_address) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed login.
    pub fn failed(&mut self, name: &str, address: Option<IpAddr>, now: Instant) {
        self.names.add(name_key(name), now);
        if let Some(address) = address {
            self.addresses.add(address.to_string(), now);
        }
    }

    /// Forgets the failures of `name` after it logged in; the address's stay counted.
    pub fn succeeded(&mut self, name: &str) {
        self.names.map.remove(&name_key(name));
    }

    #[cfg(test)]
    fn keys(&self) -> (usize, usize) {
        (self.names.map.len(), self.addresses.map.len())
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// When the window of a key began, and its failures since.
    map: HashMap<String, (Instant, u32)>,
}

impl Counts {
    fn blocked(&self, key: &str, limit: u32, now: Instant) -> Option<Duration> {
        let &(first, count) = self.map.get(key)?;
        let ends = first + WINDOW;
        (count >= limit && now < ends).then(|| ends.saturating_duration_since(now))
    }

    fn add(&mut self, key: String, now: Instant) {
        if !self.map.contains_key(&key) && self.map.len() >= MAX_KEYS {
            self.map
                .retain(|_, (first, _)| now.saturating_duration_since(*first) < WINDOW);
            if self.map.len() >= MAX_KEYS
                && let Some(oldest) = self
                    .map
                    .iter()
                    .min_by_key(|(_, (first, _))| *first)
                    .map(|(k, _)| k.clone())
            {
                self.map.remove(&oldest);
            }
        }
        let entry = self.map.entry(key).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

/// Names are compared trimmed and without regard to case, like the store does; a huge name
/// is cut so that it cannot make a huge key.
fn name_key(name: &str) -> String {
    name.trim()
        .chars()
        .take(100)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)));

    #[test]
    fn a_name_is_refused_after_five_failures_until_the_window_ends() {
        let t0 = Instant::now();
        let mut throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES_PER_NAME {
            assert!(throttle.check("An", None, t0).is_ok(), "attempt {i}");
            throttle.failed("An", None, t0);
        }

        let wait = throttle.check(" an ", ADDRESS, t0 + Duration::from_secs(60));

        assert_eq!(wait, Err(WINDOW - Duration::from_secs(60)));
        assert!(throttle.check("bình", ADDRESS, t0).is_ok());
        assert!(throttle.check("an", None, t0 + WINDOW).is_ok());
    }

    #[test]
    fn an_address_is_refused_after_twenty_failures_whatever_the_name() {
        let t0 = Instant::now();
        let mut throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.failed(&format!("name {i}"), ADDRESS, t0);
        }

        assert!(throttle.check("an", ADDRESS, t0).is_err());
        assert!(throttle.check("an", None, t0).is_ok());
    }

    #[test]
    fn a_success_forgets_the_name_but_not_the_address() {
        let t0 = Instant::now();
        let mut throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES_PER_NAME {
            throttle.failed("an", ADDRESS, t0);
        }
        throttle.succeeded("an");

        assert!(throttle.check("an", ADDRESS, t0).is_ok());
        assert_eq!(throttle.keys(), (0, 1));
    }

    #[test]
    fn the_maps_stay_bounded() {
        let t0 = Instant::now();
        let mut throttle = LoginThrottle::default();
        for i in 0..MAX_KEYS + 50 {
            let address = IpAddr::V6(std::net::Ipv6Addr::from(i as u128));
            throttle.failed(&format!("name {i}"), Some(address), t0);
        }

        assert_eq!(throttle.keys(), (MAX_KEYS, MAX_KEYS));
    }
}
