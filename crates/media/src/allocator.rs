//! How many thumbnails a subscriber's link carries: the rule of `Sfu::allocate`, apart from
//! the SFU so that it can be tried against any estimate.
//!
//! Audio comes first, then the stage, then thumbnails at the low layer, as many as the rest
//! of the egress estimate carries. When the estimate shrinks, thumbnails pause at once (the
//! last of the view first): a short link gets fewer moving pictures, never a pacer queue that
//! delays everything. When it grows, they come back one at a time, each after a wait and only
//! with room for one more to spare, so that an estimate probing up and down does not make
//! them flap.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
