//! How many thumbnails a subscriber's link carries: the rule of `Sfu::allocate`, apart from
//! the SFU so that it can be tried against any estimate.
//!
//! Audio comes first, then the stage, then thumbnails at the low layer, as many as the rest
//! of the egress estimate carries. When the estimate shrinks, thumbnails pause at once (the
//! last of the view first): a short link gets fewer moving pictures, never a pacer queue that
//! delays everything. When it grows, they come back one at a time, each after a wait and only
//! with room for one more to spare, so that an estimate probing up and down does not make
//! them flap.
//!
//! A low estimate alone pauses nothing. str0m's estimate follows what is sent, and on a good
//! link with many receivers it can sit well below what the link carries; pausing on it would
//! take pictures away from a point that could show them. So the link must also show that it
//! is full ([`Congestion`]): loss of what the server sends, from the point's receiver reports.
//! The round-trip time is no such sign: a browser short of CPU reports round trips of 150–300
//! ms on a link that is fine (measured on loopback with six pages on two cores), and str0m
//! keeps its delay gradient to itself. A link that queues without losing is left to the
//! estimate and the pacer, as before. And a
//! link that has been calm for [`CALM_RESUME`] gets one paused thumbnail back even if the
//! estimate has not grown, which is the probe that a paused link cannot make by itself: if the
//! link is full after all, the next congestion pauses it again.

use std::time::{Duration, Instant};

/// What one slot costs, in kbit/s: a voice, a picture at the high layer, a picture at the low
/// layer (a thumbnail, or the stage on a short link).
pub const AUDIO_KBPS: u64 = 40;
pub const HIGH_KBPS: u64 = 900;
pub const LOW_KBPS: u64 = 200;

/// A paused thumbnail comes back no sooner than this after the last change.
pub const RESUME_AFTER: Duration = Duration::from_secs(2);

/// The number of thumbnails to keep moving, of `wanted` that have a point, when `active` move
/// now, the estimate is `estimate_kbps` and audio and stage take `used_kbps`. `may_resume`:
/// [`RESUME_AFTER`] has passed since the last change.
pub fn thumbnails(
    estimate_kbps: u64,
    used_kbps: u64,
    wanted: usize,
    active: usize,
    may_resume: bool,
) -> usize {
    let fits = usize::try_from(estimate_kbps.saturating_sub(used_kbps) / LOW_KBPS)
        .unwrap_or(usize::MAX)
        .min(wanted);
    let active = active.min(wanted);
    if fits < active {
        return fits;
    }
    // One more when it fits with one to spare, or when it is the last one.
    let room = fits > active + 1 || (fits == wanted && active + 1 == wanted);
    if fits > active && may_resume && room {
        active + 1
    } else {
        active
    }
}

/// Loss of what the server sends, over one statistics interval, that says the link is full.
pub const CONGESTED_LOSS: f32 = 0.05;
/// A link stays congested this long after its last sign of it.
pub const CONGESTED_FOR: Duration = Duration::from_secs(5);
/// A link calm for this long gets one paused thumbnail back, whatever its estimate.
pub const CALM_RESUME: Duration = Duration::from_secs(10);

/// Whether the link towards one subscriber shows that it is full.
#[derive(Debug, Default, Clone)]
pub struct Congestion {
    last_sign: Option<Instant>,
    since: Option<Instant>,
}

impl Congestion {
    /// Takes one statistics interval: the loss of what was sent towards the point.
    pub fn observe(&mut self, now: Instant, egress_loss: Option<f32>) {
        self.since.get_or_insert(now);
        if egress_loss.is_some_and(|l| l >= CONGESTED_LOSS) {
            tracing::debug!(loss = ?egress_loss, "the link towards a point loses what is sent");
            self.last_sign = Some(now);
        }
    }

    /// Whether the link showed it was full within [`CONGESTED_FOR`].
    pub fn congested(&self, now: Instant) -> bool {
        self.last_sign
            .is_some_and(|t| now.saturating_duration_since(t) < CONGESTED_FOR)
    }

    /// How long the link has shown no sign of being full (since it was first observed).
    pub fn calm_for(&self, now: Instant) -> Duration {
        self.last_sign
            .or(self.since)
            .map_or(Duration::ZERO, |t| now.saturating_duration_since(t))
    }
}

/// The thumbnails to keep moving: [`thumbnails`] by the estimate, where a pause needs a
/// congested link and a calm link may take one more back (see the module documentation).
pub fn gated(
    by_estimate: usize,
    wanted: usize,
    active: usize,
    congested: bool,
    calm_for: Duration,
    may_resume: bool,
) -> usize {
    let active = active.min(wanted);
    if by_estimate < active {
        return if congested { by_estimate } else { active };
    }
    if by_estimate == active && active < wanted && may_resume && calm_for >= CALM_RESUME {
        return active + 1;
    }
    by_estimate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_estimate_on_a_clean_link_pauses_nothing() {
        // The estimate carries 3 of 25, but the link loses nothing and keeps its round trip.
        assert_eq!(gated(3, 25, 25, false, Duration::ZERO, false), 25);
        // The same estimate on a congested link: down to 3 at once.
        assert_eq!(gated(3, 25, 25, true, Duration::ZERO, false), 3);
    }

    #[test]
    fn a_calm_link_takes_one_thumbnail_back_at_a_time() {
        assert_eq!(gated(3, 25, 3, false, Duration::from_secs(3), true), 3);
        assert_eq!(gated(3, 25, 3, false, CALM_RESUME, true), 4);
        assert_eq!(
            gated(3, 25, 3, false, CALM_RESUME, false),
            3,
            "not before the wait"
        );
        assert_eq!(
            gated(25, 25, 25, false, CALM_RESUME, true),
            25,
            "never more than wanted"
        );
        // What the estimate allows still comes back as before.
        assert_eq!(gated(5, 25, 4, false, Duration::ZERO, true), 5);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // any epoch will do for this test
    fn loss_of_what_is_sent_says_the_link_is_full() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = Congestion::default();
        c.observe(t0, Some(0.0));
        c.observe(t0 + s(1), Some(0.01));
        assert!(!c.congested(t0 + s(1)), "1 % loss is not congestion");
        assert_eq!(c.calm_for(t0 + s(11)), s(11));
        c.observe(t0 + s(12), Some(0.2));
        assert!(c.congested(t0 + s(12)), "20 % loss");
        assert!(c.congested(t0 + s(16)));
        assert!(!c.congested(t0 + s(17)), "it passes");
        assert_eq!(c.calm_for(t0 + s(17)), s(5));
        c.observe(t0 + s(20), None);
        assert!(!c.congested(t0 + s(20)), "no report is no sign");
    }

    #[test]
    fn a_shrinking_estimate_pauses_thumbnails_at_once() {
        // 25 thumbnails, all moving; audio and stage take 1,000 kbit/s.
        assert_eq!(thumbnails(6_000, 1_000, 25, 25, false), 25);
        assert_eq!(thumbnails(4_000, 1_000, 25, 25, false), 15);
        assert_eq!(thumbnails(1_100, 1_000, 25, 15, false), 0);
        // Below what audio and the stage take: no thumbnail, never an underflow.
        assert_eq!(thumbnails(300, 1_000, 25, 3, true), 0);
    }

    #[test]
    fn a_growing_estimate_resumes_one_at_a_time_after_a_wait() {
        assert_eq!(
            thumbnails(6_000, 1_000, 25, 10, false),
            10,
            "not before the wait"
        );
        assert_eq!(thumbnails(6_000, 1_000, 25, 10, true), 11);
        // Room for exactly one more: it waits for one to spare.
        assert_eq!(thumbnails(3_200, 1_000, 25, 10, true), 10);
        assert_eq!(thumbnails(3_400, 1_000, 25, 10, true), 11);
        // The last one needs no spare.
        assert_eq!(thumbnails(2_200, 1_000, 6, 5, true), 6);
        assert_eq!(
            thumbnails(9_000, 1_000, 6, 6, true),
            6,
            "never more than wanted"
        );
    }

    #[test]
    fn an_estimate_that_wobbles_does_not_make_thumbnails_flap() {
        // Around the edge of 10 thumbnails, with a resume allowed every time.
        let mut active = 10;
        for kbps in [3_000, 3_150, 3_050, 3_199, 3_000, 3_150] {
            active = thumbnails(kbps, 1_000, 25, active, true);
            assert_eq!(active, 10, "at {kbps} kbit/s");
        }
    }
}
