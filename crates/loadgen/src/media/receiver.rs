//! What a subscriber measures on the frames it receives: loss (gaps in each source's probe
//! sequence), one-way latency and interarrival jitter (RFC 3550 §6.4.1), and whether the
//! server labelled each frame with its true sender ([`super::labels`]).
//!
//! Frames are accounted per sender, kind and simulcast layer, as the probe names them,
//! whichever m-line carried them: a giaoban receive slot carries one point after another, and
//! a point may move from one slot to another (a thumbnail that goes on stage).
//!
//! Not every gap is loss. The SFU stops forwarding video a subscriber does not display, gates
//! the audio of points without the floor and switches simulcast layers; each of these shows
//! up as a gap in one sender's sequence. Those resume on a keyframe (video) after a pause of
//! the sender's clock, so a gap is counted as a pause when the source's send time jumped by
//! more than [`PAUSE_GAP_US`] and the frame that ends it could start a stream: any audio
//! frame, a video keyframe. Everything else missing is loss.

use std::collections::HashMap;

use giaoban_model::TrackKind;
use str0m::media::Mid;

use super::labels::Labels;
use super::probe::Probe;
use crate::stats::Window;

/// A jump of the sender's clock between two received frames longer than this, ending on a
/// frame that can start a stream, is a pause in forwarding rather than loss.
const PAUSE_GAP_US: u64 = 250_000;

/// Frames one subscriber received from one source, for the run's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    pub audio: u64,
    pub video: u64,
}

/// A sender's point index, a kind, and the probe's layer: one sequence of probes.
type StreamKey = (u32, TrackKind, u8);

/// One sequence of probes this subscriber receives.
struct Stream {
    next_seq: u32,
    last_sent_us: u64,
    /// Transit time (arrival − send) of the last frame, for jitter.
    last_transit_us: i64,
    jitter_us: f64,
}

/// One received frame, as str0m gives it.
pub(crate) struct Frame<'a> {
    pub mid: Mid,
    /// The RTP timestamp of its packets, as received on the m-line.
    pub rtp_ts: u32,
    pub data: &'a [u8],
    pub keyframe: bool,
    /// When it arrived, µs since the run's epoch.
    pub arrived_us: u64,
}

/// The subscriber side of one point.
pub(crate) struct Receiver {
    /// See [`super::MediaSetup::watched`].
    watched: Option<u32>,
    /// This is the host: its latency is also recorded apart.
    host: bool,
    /// The kind of every m-line the server's offers opened.
    mids: HashMap<Mid, TrackKind>,
    streams: HashMap<StreamKey, Stream>,
    labels: Labels,
    received: HashMap<u32, Received>,
    /// Frames whose mid no server offer named, or without a probe.
    pub unknown_frames: u64,
    /// Frames lost and received by this point over the whole run.
    pub lost: u64,
    pub frames: u64,
    /// Frames whose m-line the server said carried another point (see [`super::labels`]).
    pub mislabelled: u64,
}

impl Receiver {
    pub fn new(watched: Option<u32>, host: bool) -> Receiver {
        Receiver {
            watched,
            host,
            mids: HashMap::new(),
            streams: HashMap::new(),
            labels: Labels::default(),
            received: HashMap::new(),
            unknown_frames: 0,
            lost: 0,
            frames: 0,
            mislabelled: 0,
        }
    }

    /// Sets the m-lines this point receives (from a server offer), with the point each one
    /// carries all along if the offer names it (Janus), else `None` (a giaoban slot).
    pub fn set_mids(&mut self, mids: impl IntoIterator<Item = (Mid, TrackKind, Option<u32>)>) {
        self.mids.clear();
        for (mid, kind, fixed) in mids {
            self.mids.insert(mid, kind);
            if let Some(point) = fixed {
                self.labels.fix(mid, point);
            }
        }
    }

    /// The server says `mid` carries `point` from RTP timestamp `since_ts` on.
    pub fn slot_feed(
        &mut self,
        mid: Mid,
        point: Option<u32>,
        since_ts: Option<u32>,
        now_us: u64,
        window: &mut Window,
    ) {
        self.labels.switch(mid, point, since_ts);
        let mislabelled = self.labels.settle(now_us);
        self.count_mislabelled(mislabelled, window);
    }

    /// Accounts one received frame.
    pub fn on_frame(&mut self, frame: Frame<'_>, window: &mut Window) {
        let Some(&kind) = self.mids.get(&frame.mid) else {
            self.unknown_frames += 1;
            return;
        };
        let Some(probe) = Probe::read(kind, frame.data) else {
            self.unknown_frames += 1;
            return;
        };
        let mislabelled =
            self.labels
                .check(frame.mid, frame.rtp_ts, probe.source, frame.arrived_us);
        self.count_mislabelled(mislabelled, window);
        let transit = frame.arrived_us as i64 - probe.sent_us as i64;
        match self.streams.get_mut(&(probe.source, kind, probe.layer)) {
            Some(stream) => {
                let gap = probe.seq.wrapping_sub(stream.next_seq);
                if gap > u32::MAX / 2 {
                    // Older than the last frame: reordered or duplicated.
                    window.late += 1;
                    return;
                }
                if gap > 0 {
                    let paused = probe.sent_us.saturating_sub(stream.last_sent_us) > PAUSE_GAP_US
                        && (kind == TrackKind::Audio || frame.keyframe);
                    if paused {
                        window.pauses += 1;
                    } else {
                        window.lost += u64::from(gap);
                        self.lost += u64::from(gap);
                    }
                }
                let d = (transit - stream.last_transit_us).unsigned_abs() as f64;
                stream.jitter_us += (d - stream.jitter_us) / 16.0;
                stream.next_seq = probe.seq.wrapping_add(1);
                stream.last_sent_us = probe.sent_us;
                stream.last_transit_us = transit;
                window.jitter_sum_us += stream.jitter_us;
            }
            None => {
                self.streams.insert(
                    (probe.source, kind, probe.layer),
                    Stream {
                        next_seq: probe.seq.wrapping_add(1),
                        last_sent_us: probe.sent_us,
                        last_transit_us: transit,
                        jitter_us: 0.0,
                    },
                );
            }
        }
        window.frames += 1;
        let latency_us = u64::try_from(transit).unwrap_or(0);
        window.latency.record(latency_us);
        if self.host {
            window.latency_host.record(latency_us);
        }
        if kind == TrackKind::Audio {
            window.latency_audio.record(latency_us);
            if self.watched == Some(probe.source) {
                window.watched_audio_frames += 1;
            }
        }
        self.frames += 1;
        let received = self.received.entry(probe.source).or_default();
        match kind {
            TrackKind::Audio => received.audio += 1,
            TrackKind::Video => received.video += 1,
        }
    }

    /// Frames received from point `source` over the whole run.
    pub fn received_from(&self, source: u32) -> Received {
        self.received.get(&source).copied().unwrap_or_default()
    }

    /// Sources this point received at least one frame of `kind` from.
    pub fn sources(&self, kind: TrackKind) -> usize {
        self.received
            .values()
            .filter(|r| match kind {
                TrackKind::Audio => r.audio > 0,
                TrackKind::Video => r.video > 0,
            })
            .count()
    }

    fn count_mislabelled(&mut self, n: u64, window: &mut Window) {
        self.mislabelled += n;
        window.mislabelled += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::labels::GRACE_US;
    use crate::media::probe::{self, Probe};

    const HOST: u32 = 0;
    const POINT: u32 = 7;

    fn bytes(kind: TrackKind, source: u32, layer: u8, seq: u32, sent_us: u64) -> Vec<u8> {
        let mut f = vec![0u8; probe::min_frame_len(kind)];
        Probe {
            source,
            layer,
            seq,
            sent_us,
        }
        .write(&mut f[probe::offset(kind)..]);
        f
    }

    fn frame<'a>(
        mid: &str,
        rtp_ts: u32,
        data: &'a [u8],
        keyframe: bool,
        arrived_us: u64,
    ) -> Frame<'a> {
        Frame {
            mid: Mid::from(mid),
            rtp_ts,
            data,
            keyframe,
            arrived_us,
        }
    }

    /// A subscriber with one slot on mid 2, fed by the host from timestamp 0.
    fn receiver(kind: TrackKind) -> (Receiver, Window) {
        let mut r = Receiver::new(Some(HOST), false);
        let mut w = Window::default();
        r.set_mids([(Mid::from("2"), kind, None)]);
        r.slot_feed(Mid::from("2"), Some(HOST), Some(0), 0, &mut w);
        (r, w)
    }

    #[test]
    fn gaps_in_a_running_stream_are_loss() {
        let (mut r, mut w) = receiver(TrackKind::Audio);
        for seq in [0, 1, 2, 5, 6] {
            let f = bytes(TrackKind::Audio, HOST, 0, seq, u64::from(seq) * 20_000);
            let arrived = u64::from(seq) * 20_000 + 900;
            r.on_frame(frame("2", seq * 960, &f, false, arrived), &mut w);
        }
        assert_eq!((w.frames, w.lost, w.pauses, w.mislabelled), (5, 2, 0, 0));
        assert_eq!(w.watched_audio_frames, 5);
        assert_eq!(w.latency.quantile_ms(0.5), Some(0.9));
        assert_eq!(r.received_from(HOST).audio, 5);
    }

    #[test]
    fn a_long_pause_ending_on_a_keyframe_is_not_loss() {
        let (mut r, mut w) = receiver(TrackKind::Video);
        let a = bytes(TrackKind::Video, HOST, 1, 10, 0);
        r.on_frame(frame("2", 0, &a, true, 500), &mut w);
        // 300 frames later (10 s): the thumbnail was hidden, then shown again.
        let b = bytes(TrackKind::Video, HOST, 1, 310, 10_000_000);
        r.on_frame(frame("2", 3000, &b, true, 10_000_500), &mut w);
        assert_eq!((w.frames, w.lost, w.pauses), (2, 0, 1));
    }

    #[test]
    fn a_gap_ending_on_a_delta_frame_is_loss_however_long() {
        let (mut r, mut w) = receiver(TrackKind::Video);
        let a = bytes(TrackKind::Video, HOST, 0, 0, 0);
        r.on_frame(frame("2", 0, &a, true, 1), &mut w);
        let late = bytes(TrackKind::Video, HOST, 0, 30, 1_000_000);
        r.on_frame(frame("2", 90_000, &late, false, 1_000_001), &mut w);
        assert_eq!(w.lost, 29);
    }

    #[test]
    fn each_layer_is_a_sequence_of_its_own() {
        let (mut r, mut w) = receiver(TrackKind::Video);
        let low = bytes(TrackKind::Video, HOST, 1, 40, 0);
        r.on_frame(frame("2", 0, &low, true, 1), &mut w);
        let high = bytes(TrackKind::Video, HOST, 2, 7, 33_000);
        r.on_frame(frame("2", 3000, &high, true, 33_001), &mut w);
        let high = bytes(TrackKind::Video, HOST, 2, 8, 66_000);
        r.on_frame(frame("2", 6000, &high, false, 66_001), &mut w);
        assert_eq!((w.frames, w.lost, w.pauses), (3, 0, 0));
    }

    #[test]
    fn a_slot_switch_between_sources_is_neither_loss_nor_mislabelling() {
        let (mut r, mut w) = receiver(TrackKind::Video);
        for seq in 0..3 {
            let f = bytes(TrackKind::Video, HOST, 1, seq, u64::from(seq) * 33_000);
            r.on_frame(frame("2", seq * 3000, &f, seq == 0, 1), &mut w);
        }
        // The slot switches to POINT, whose sequence is far ahead, from timestamp 9000; its
        // first frame arrives before the message that says so.
        let f = bytes(TrackKind::Video, POINT, 1, 500, 100_000);
        r.on_frame(frame("2", 9000, &f, true, 100_001), &mut w);
        r.slot_feed(Mid::from("2"), Some(POINT), Some(9000), 100_002, &mut w);
        let f = bytes(TrackKind::Video, POINT, 1, 501, 133_000);
        r.on_frame(frame("2", 12_000, &f, false, 133_001), &mut w);
        r.slot_feed(Mid::from("2"), None, None, GRACE_US * 2, &mut w);
        assert_eq!((w.frames, w.lost, w.pauses, w.mislabelled), (5, 0, 0, 0));
        assert_eq!(r.received_from(POINT).video, 2);
        assert_eq!(r.sources(TrackKind::Video), 2);
    }

    #[test]
    fn a_point_moving_to_another_slot_keeps_its_sequence() {
        let mut r = Receiver::new(None, true);
        let mut w = Window::default();
        r.set_mids([
            (Mid::from("0"), TrackKind::Audio, None),
            (Mid::from("1"), TrackKind::Audio, None),
        ]);
        r.slot_feed(Mid::from("0"), Some(POINT), Some(0), 0, &mut w);
        r.slot_feed(Mid::from("1"), Some(POINT), Some(960), 0, &mut w);
        let a = bytes(TrackKind::Audio, POINT, 0, 0, 0);
        r.on_frame(frame("0", 0, &a, false, 10), &mut w);
        let b = bytes(TrackKind::Audio, POINT, 0, 2, 40_000);
        r.on_frame(frame("1", 960, &b, false, 40_010), &mut w);
        assert_eq!((w.frames, w.lost, w.mislabelled), (2, 1, 0));
        assert_eq!(w.latency_host.quantile_ms(0.5), Some(0.01));
    }

    #[test]
    fn a_frame_of_another_point_than_told_is_mislabelled() {
        let (mut r, mut w) = receiver(TrackKind::Audio);
        let f = bytes(TrackKind::Audio, POINT, 0, 0, 0);
        r.on_frame(frame("2", 960, &f, false, 1), &mut w);
        assert_eq!(w.mislabelled, 0, "it may still be explained");
        let g = bytes(TrackKind::Audio, HOST, 0, 0, GRACE_US);
        r.on_frame(frame("2", 1920, &g, false, GRACE_US + 1), &mut w);
        assert_eq!((w.mislabelled, r.mislabelled), (1, 1));
        // Counted as received all the same: the probe says who sent it.
        assert_eq!(r.received_from(POINT).audio, 1);
    }

    #[test]
    fn frames_of_unknown_mids_are_counted_apart() {
        let (mut r, mut w) = receiver(TrackKind::Audio);
        let f = bytes(TrackKind::Audio, HOST, 0, 0, 0);
        r.on_frame(frame("9", 0, &f, false, 1), &mut w);
        assert_eq!((r.unknown_frames, w.frames), (1, 0));
    }
}
