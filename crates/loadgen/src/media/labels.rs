//! What the server says each received m-line carries, checked against the probes.
//!
//! giaoban opens a fixed set of receive slots and names, in `slots` messages, the point each
//! slot carries from the packet whose RTP timestamp is `since_ts`. A client labels a picture
//! from the frame it shows: the frame's label is the point of the last feed of its slot whose
//! `since_ts` is at or before the frame's timestamp (modulo 2^32). The probe says who really
//! sent the frame; a frame whose label names another point is mislabelled. Janus names the
//! feed of each m-line in its offer, once, for all the m-line's frames.
//!
//! The server switches a slot at a packet it forwards and tells the subscriber afterwards,
//! so the first frames of a new point usually arrive before the message that names it. A
//! frame whose label disagrees with its probe therefore waits, up to [`GRACE_US`] after its
//! arrival, for a feed that explains it; only then is it counted.

use std::collections::{HashMap, VecDeque};

use str0m::media::Mid;

/// How long a frame may wait for the message that names its sender. The server sends that
/// message right after the slot's first packet of the new point; this leaves room for a
/// loaded signalling path.
pub const GRACE_US: u64 = 3_000_000;
/// Feeds remembered per m-line: enough for frames still in flight over several switches.
const FEEDS_KEPT: usize = 8;
/// Frames waiting at once; past this the oldest is settled at once.
const MAX_WAITING: usize = 4096;

/// The timelines of one subscriber's m-lines, and the frames waiting for a feed.
#[derive(Default)]
pub(crate) struct Labels {
    timelines: HashMap<Mid, VecDeque<Feed>>,
    waiting: VecDeque<Waiting>,
}

/// From which frame a feed applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Since {
    /// Every frame of the m-line (a feed named in the offer).
    Always,
    /// Frames whose RTP timestamp is this or later.
    Ts(u32),
}

#[derive(Debug, Clone, Copy)]
struct Feed {
    since: Since,
    /// `None`: the slot carries nothing.
    point: Option<u32>,
}

/// A frame whose label did not match its sender when it arrived.
#[derive(Debug, Clone)]
struct Waiting {
    mid: Mid,
    ts: u32,
    source: u32,
    arrived_us: u64,
}

impl Labels {
    /// `mid` carries `point` all along (a Janus subscription: one feed per m-line).
    pub fn fix(&mut self, mid: Mid, point: u32) {
        let timeline = self.timelines.entry(mid).or_default();
        timeline.clear();
        timeline.push_back(Feed {
            since: Since::Always,
            point: Some(point),
        });
        self.explain(mid);
    }

    /// `mid` carries `point` (`None`: nothing) from the frame whose RTP timestamp is
    /// `since_ts` on (a giaoban `slots` feed); frames before it keep the previous label. A
    /// feed without `since_ts` (a slot that never carried anything) labels nothing.
    pub fn switch(&mut self, mid: Mid, point: Option<u32>, since_ts: Option<u32>) {
        let Some(ts) = since_ts else {
            return;
        };
        let timeline = self.timelines.entry(mid).or_default();
        if timeline.len() == FEEDS_KEPT {
            timeline.pop_front();
        }
        timeline.push_back(Feed {
            since: Since::Ts(ts),
            point,
        });
        self.explain(mid);
    }

    /// Checks the label of a frame of `source` on `mid` with RTP timestamp `ts`, which
    /// arrived at `arrived_us`; returns how many frames turned out mislabelled (this one
    /// waits when it does not match yet).
    pub fn check(&mut self, mid: Mid, ts: u32, source: u32, arrived_us: u64) -> u64 {
        let mut mislabelled = self.settle(arrived_us);
        if self.label(mid, ts) == Some(Some(source)) {
            return mislabelled;
        }
        if self.waiting.len() == MAX_WAITING {
            mislabelled += self.settle_oldest();
        }
        self.waiting.push_back(Waiting {
            mid,
            ts,
            source,
            arrived_us,
        });
        mislabelled
    }

    /// Counts the frames that waited [`GRACE_US`] by `now_us` without a feed that names
    /// their sender, and forgets them.
    pub fn settle(&mut self, now_us: u64) -> u64 {
        let mut mislabelled = 0;
        while self
            .waiting
            .front()
            .is_some_and(|w| w.arrived_us.saturating_add(GRACE_US) <= now_us)
        {
            mislabelled += self.settle_oldest();
        }
        mislabelled
    }

    /// Frames still waiting for a feed.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The point the server says `mid` carries at RTP timestamp `ts`: `None` when no feed
    /// covers it, `Some(None)` when the slot carries nothing.
    fn label(&self, mid: Mid, ts: u32) -> Option<Option<u32>> {
        self.timelines
            .get(&mid)?
            .iter()
            .rev()
            .find(|f| match f.since {
                Since::Always => true,
                Since::Ts(since) => at_or_before(since, ts),
            })
            .map(|f| f.point)
    }

    /// Settles the oldest waiting frame now: 1 if it is mislabelled.
    fn settle_oldest(&mut self) -> u64 {
        match self.waiting.pop_front() {
            Some(w) => u64::from(self.label(w.mid, w.ts) != Some(Some(w.source))),
            None => 0,
        }
    }

    /// Drops the waiting frames of `mid` that its timeline now explains.
    fn explain(&mut self, mid: Mid) {
        let waiting = std::mem::take(&mut self.waiting);
        self.waiting = waiting
            .into_iter()
            .filter(|w| w.mid != mid || self.label(w.mid, w.ts) != Some(Some(w.source)))
            .collect();
    }
}

/// Whether RTP timestamp `a` is at or before `b`, modulo 2^32 (RFC 3550 §5.1: timestamps
/// wrap; the nearer direction wins).
fn at_or_before(a: u32, b: u32) -> bool {
    b.wrapping_sub(a) < 1 << 31
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u32 = 1;
    const B: u32 = 2;

    fn mid() -> Mid {
        Mid::from("4")
    }

    #[test]
    fn a_frame_is_labelled_by_the_last_feed_at_or_before_its_timestamp() {
        let mut l = Labels::default();
        l.switch(mid(), Some(A), Some(1_000));
        l.switch(mid(), Some(B), Some(5_000));
        // A's last frames, arriving after the switch was told, keep A's label.
        assert_eq!(l.check(mid(), 4_000, A, 0), 0);
        assert_eq!(l.check(mid(), 5_000, B, 0), 0);
        assert_eq!(l.waiting(), 0);
    }

    #[test]
    fn timestamps_compare_across_the_wrap() {
        let mut l = Labels::default();
        l.switch(mid(), Some(A), Some(u32::MAX - 100));
        l.switch(mid(), Some(B), Some(200));
        assert_eq!(l.check(mid(), u32::MAX - 1, A, 0), 0);
        assert_eq!(l.check(mid(), 3, A, 0), 0);
        assert_eq!(l.check(mid(), 300, B, 0), 0);
        assert_eq!(l.waiting(), 0);
    }

    #[test]
    fn a_frame_before_the_message_that_names_its_sender_waits_for_it() {
        let mut l = Labels::default();
        l.switch(mid(), Some(A), Some(0));
        // B's first frame overtakes the `slots` message.
        assert_eq!(l.check(mid(), 9_000, B, 10), 0);
        assert_eq!(l.waiting(), 1);
        l.switch(mid(), Some(B), Some(9_000));
        assert_eq!(l.waiting(), 0);
        assert_eq!(l.settle(10 + GRACE_US), 0);
    }

    #[test]
    fn a_frame_no_feed_explains_within_the_grace_is_mislabelled() {
        let mut l = Labels::default();
        l.switch(mid(), Some(A), Some(0));
        assert_eq!(l.check(mid(), 9_000, B, 10), 0);
        assert_eq!(l.settle(10 + GRACE_US - 1), 0);
        // The server named A for B's frames: one mislabelled, told when the grace ends.
        l.switch(mid(), Some(A), Some(8_000));
        assert_eq!(l.settle(10 + GRACE_US), 1);
        assert_eq!(l.waiting(), 0);
    }

    #[test]
    fn frames_on_a_slot_never_labelled_are_mislabelled() {
        let mut l = Labels::default();
        l.check(mid(), 1, A, 0);
        assert_eq!(l.check(mid(), 2, A, GRACE_US + 1), 1);
    }

    #[test]
    fn an_emptied_slot_labels_nothing_from_its_end_on() {
        let mut l = Labels::default();
        l.switch(mid(), Some(A), Some(0));
        l.switch(mid(), None, Some(3_000));
        // A's last frame, arriving after the slot was emptied, keeps A's label.
        assert_eq!(l.check(mid(), 2_000, A, 0), 0);
        // A frame past the end is labelled with nobody.
        l.check(mid(), 3_000, A, 0);
        assert_eq!(l.settle(GRACE_US), 1);
        // A feed without a timestamp labels nothing.
        l.switch(mid(), None, None);
        assert_eq!(l.check(mid(), 100, A, GRACE_US), 0);
    }

    #[test]
    fn a_fixed_feed_labels_every_frame() {
        let mut l = Labels::default();
        l.fix(mid(), A);
        assert_eq!(l.check(mid(), 0, A, 0), 0);
        assert_eq!(l.check(mid(), u32::MAX, A, 0), 0);
        l.check(mid(), 7, B, 0);
        assert_eq!(l.settle(GRACE_US), 1);
    }
}
