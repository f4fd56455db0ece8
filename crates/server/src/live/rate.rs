//! Token buckets that limit how fast one connection's messages are processed. Sans-IO: every
//! call takes `now`.

use std::time::Instant;

/// A token bucket: `burst` tokens at most, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(per_second: f64, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            per_second,
            burst: f64::from(burst),
            tokens: f64::from(burst),
            updated: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        // A clock that steps back gives nothing, and does not move `updated` back either.
        let elapsed = now.saturating_duration_since(self.updated);
        self.updated = self.updated.max(now);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A message rate and the burst above it that is tolerated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// What to do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Process it.
    Pass,
    /// Drop it and tell the client `rate_limited`: the first refused message after one that
    /// passed.
    Refuse,
    /// Drop it silently: the client was told already.
    Drop,
    /// The client keeps sending at [`FLOOD_FACTOR`] times its rate or more: close.
    Flood,
}

/// A client sending this many times its rate for long enough is disconnected.
pub const FLOOD_FACTOR: u32 = 10;

/// The limit of one kind of message on one connection.
///
/// Refused messages draw on a second bucket that holds [`FLOOD_FACTOR`] bursts and refills at
/// `FLOOD_FACTOR - 1` times the rate: a client sending up to ten times its rate never empties
/// it (it sends the rate's worth that passes, and at most nine times the rate that is
/// refused), one sending more empties it after a while, the faster the sooner.
#[derive(Debug, Clone)]
pub struct Limiter {
    allowed: TokenBucket,
    tolerated: TokenBucket,
    refusing: bool,
}

impl Limiter {
    pub fn new(rate: Rate, now: Instant) -> Limiter {
        let factor = f64::from(FLOOD_FACTOR);
        Limiter {
            allowed: TokenBucket::new(rate.per_second, rate.burst, now),
            tolerated: TokenBucket::new(
                rate.per_second * (factor - 1.0),
                rate.burst.saturating_mul(FLOOD_FACTOR),
                now,
            ),
            refusing: false,
        }
    }

    /// Judges one message arriving at `now`.
    pub fn check(&mut self, now: Instant) -> Verdict {
        if self.allowed.take(now) {
            self.refusing = false;
            return Verdict::Pass;
        }
        if !self.tolerated.take(now) {
            return Verdict::Flood;
        }
        if std::mem::replace(&mut self.refusing, true) {
            Verdict::Drop
        } else {
            Verdict::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const RATE: Rate = Rate {
        per_second: 20.0,
        burst: 40,
    };

    /// Sends `n` messages evenly over one second from `*t`; counts each verdict.
    fn second(limiter: &mut Limiter, t: &mut Instant, n: u32) -> [u32; 4] {
        let mut counts = [0; 4];
        let step = Duration::from_secs(1) / n;
        for _ in 0..n {
            *t += step;
            let i = match limiter.check(*t) {
                Verdict::Pass => 0,
                Verdict::Refuse => 1,
                Verdict::Drop => 2,
                Verdict::Flood => 3,
            };
            counts[i] += 1;
        }
        counts
    }

    #[test]
    fn a_burst_passes_then_one_refusal_is_reported_and_the_rest_dropped() {
        let t0 = Instant::now();
        let mut limiter = Limiter::new(RATE, t0);

        let verdicts: Vec<Verdict> = (0..43).map(|_| limiter.check(t0)).collect();

        assert!(verdicts[..40].iter().all(|v| *v == Verdict::Pass));
        assert_eq!(
            verdicts[40..],
            [Verdict::Refuse, Verdict::Drop, Verdict::Drop]
        );
        assert_eq!(limiter.check(t0 + Duration::from_millis(50)), Verdict::Pass);
        assert_eq!(
            limiter.check(t0 + Duration::from_millis(50)),
            Verdict::Refuse
        );
    }

    #[test]
    fn the_sustained_rate_passes_forever() {
        let mut t = Instant::now();
        let mut limiter = Limiter::new(RATE, t);

        for _ in 0..60 {
            assert_eq!(second(&mut limiter, &mut t, 20), [20, 0, 0, 0]);
        }
    }

    #[test]
    fn up_to_ten_times_the_rate_is_refused_but_not_disconnected() {
        let mut t = Instant::now();
        let mut limiter = Limiter::new(RATE, t);

        for _ in 0..60 {
            let [passed, _, _, flood] = second(&mut limiter, &mut t, 190);
            assert!(passed >= 19, "{passed}");
            assert_eq!(flood, 0);
        }
    }

    #[test]
    fn a_flood_of_fifty_times_the_rate_is_disconnected_within_a_second() {
        let mut t = Instant::now();
        let mut limiter = Limiter::new(RATE, t);

        let [passed, refused, _, flood] = second(&mut limiter, &mut t, 1000);

        assert!(
            refused <= passed - 39,
            "one report after each message that passed, at most: {refused}"
        );
        assert!(flood > 0);
    }

    #[test]
    fn time_going_backwards_does_not_mint_tokens() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut bucket = TokenBucket::new(1.0, 1, t0);
        assert!(bucket.take(t0));

        assert!(!bucket.take(t0 - Duration::from_secs(5)));
        assert!(!bucket.take(t0 + Duration::from_millis(500)));
    }
}
