//! What a subscriber measures on the frames it receives: loss (gaps in each source's probe
//! sequence), one-way latency and interarrival jitter (RFC 3550 §6.4.1).
//!
//! Not every gap is loss. The SFU stops forwarding video a subscriber does not display, gates
//! the audio of points without the floor and switches simulcast layers; each of these shows
//! up as a gap. Those resume on a keyframe (video) after a pause of the sender's clock, so a
//! gap is counted as a pause when the source's send time jumped by more than
//! [`PAUSE_GAP`] and the frame that ends it could start a stream: any audio frame, a video
//! keyframe. Everything else missing is loss.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use giaoban_model::TrackKind;
use str0m::media::Mid;

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

/// One track this subscriber receives.
struct Stream {
    source: Rc<str>,
    kind: TrackKind,
    /// Layer of the last probe; a change starts a new sequence.
    layer: Option<u8>,
    next_seq: u32,
    last_sent_us: u64,
    /// Transit time (arrival − send) of the last frame, for jitter.
    last_transit_us: i64,
    jitter_us: f64,
}

/// The subscriber side of one point.
pub(crate) struct Receiver {
    /// See [`super::MediaSetup::watched`].
    watched: Option<Rc<str>>,
    /// This is the host: its latency is also recorded apart.
    host: bool,
    streams: HashMap<Mid, Stream>,
    /// The sources of `streams`.
    sources: HashSet<Rc<str>>,
    received: HashMap<Rc<str>, Received>,
    /// Frames whose mid no server offer named, or without a probe.
    pub unknown_frames: u64,
    /// Frames lost and received by this point over the whole run.
    pub lost: u64,
    pub frames: u64,
}

impl Receiver {
    pub fn new(watched: Option<Rc<str>>, host: bool) -> Receiver {
        Receiver {
            watched,
            host,
            streams: HashMap::new(),
            sources: HashSet::new(),
            received: HashMap::new(),
            unknown_frames: 0,
            lost: 0,
            frames: 0,
        }
    }

    /// Sets the tracks this point receives (from a server offer). Streams that continue keep
    /// their sequence state.
    pub fn set_tracks(&mut self, tracks: impl IntoIterator<Item = (Mid, Rc<str>, TrackKind)>) {
        let mut next = HashMap::new();
        self.sources.clear();
        for (mid, source, kind) in tracks {
            self.sources.insert(source.clone());
            let stream = match self.streams.remove(&mid) {
                Some(s) if s.source == source && s.kind == kind => s,
                _ => Stream {
                    source,
                    kind,
                    layer: None,
                    next_seq: 0,
                    last_sent_us: 0,
                    last_transit_us: 0,
                    jitter_us: 0.0,
                },
            };
            next.insert(mid, stream);
        }
        self.streams = next;
    }

    /// Whether any track comes from `source`.
    pub fn has_source(&self, source: &str) -> bool {
        self.sources.contains(source)
    }

    /// Accounts one received frame.
    pub fn on_frame(
        &mut self,
        mid: Mid,
        frame: &[u8],
        keyframe: bool,
        arrived_us: u64,
        window: &mut Window,
    ) {
        let Some(stream) = self.streams.get_mut(&mid) else {
            self.unknown_frames += 1;
            return;
        };
        let Some(probe) = Probe::read(stream.kind, frame) else {
            self.unknown_frames += 1;
            return;
        };
        let transit = arrived_us as i64 - probe.sent_us as i64;
        match stream.layer {
            Some(layer) if layer == probe.layer => {
                let gap = probe.seq.wrapping_sub(stream.next_seq);
                if gap > u32::MAX / 2 {
                    // Older than the last frame: reordered or duplicated.
                    window.late += 1;
                    return;
                }
                if gap > 0 {
                    let paused = probe.sent_us.saturating_sub(stream.last_sent_us) > PAUSE_GAP_US
                        && (stream.kind == TrackKind::Audio || keyframe);
                    if paused {
                        window.pauses += 1;
                    } else {
                        window.lost += u64::from(gap);
                        self.lost += u64::from(gap);
                    }
                }
                let d = (transit - stream.last_transit_us).unsigned_abs() as f64;
                stream.jitter_us += (d - stream.jitter_us) / 16.0;
            }
            Some(_) => window.pauses += 1,
            None => {}
        }
        stream.layer = Some(probe.layer);
        stream.next_seq = probe.seq.wrapping_add(1);
        stream.last_sent_us = probe.sent_us;
        stream.last_transit_us = transit;
        window.frames += 1;
        let latency_us = u64::try_from(transit).unwrap_or(0);
        window.latency.record(latency_us);
        if self.host {
            window.latency_host.record(latency_us);
        }
        if stream.kind == TrackKind::Audio {
            window.latency_audio.record(latency_us);
            if self.watched.as_ref() == Some(&stream.source) {
                window.watched_audio_frames += 1;
            }
        }
        window.jitter_sum_us += stream.jitter_us;
        self.frames += 1;
        let received = self.received.entry(stream.source.clone()).or_default();
        match stream.kind {
            TrackKind::Audio => received.audio += 1,
            TrackKind::Video => received.video += 1,
        }
    }

    /// Frames received from `source` over the whole run.
    pub fn received_from(&self, source: &str) -> Received {
        self.received.get(source).copied().unwrap_or_default()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::probe::{self, Probe};

    fn frame(kind: TrackKind, layer: u8, seq: u32, sent_us: u64) -> Vec<u8> {
        let mut f = vec![0u8; probe::min_frame_len(kind)];
        Probe {
            layer,
            seq,
            sent_us,
        }
        .write(&mut f[probe::offset(kind)..]);
        f
    }

    fn receiver(kind: TrackKind) -> Receiver {
        let mut r = Receiver::new(Some(Rc::from("Sở TT&TT")), false);
        r.set_tracks([(Mid::from("2"), Rc::from("Sở TT&TT"), kind)]);
        r
    }

    #[test]
    fn gaps_in_a_running_stream_are_loss() {
        let mut r = receiver(TrackKind::Audio);
        let mut w = Window::default();
        for seq in [0, 1, 2, 5, 6] {
            let f = frame(TrackKind::Audio, 0, seq, u64::from(seq) * 20_000);
            r.on_frame(
                Mid::from("2"),
                &f,
                false,
                u64::from(seq) * 20_000 + 900,
                &mut w,
            );
        }
        assert_eq!((w.frames, w.lost, w.pauses), (5, 2, 0));
        assert_eq!(w.watched_audio_frames, 5);
        assert_eq!(w.latency.quantile_ms(0.5), Some(0.9));
        assert_eq!(r.received_from("Sở TT&TT").audio, 5);
    }

    #[test]
    fn a_long_pause_ending_on_a_keyframe_is_not_loss() {
        let mut r = receiver(TrackKind::Video);
        let mut w = Window::default();
        let a = frame(TrackKind::Video, 1, 10, 0);
        r.on_frame(Mid::from("2"), &a, true, 500, &mut w);
        // 300 frames later (10 s): the thumbnail was hidden, then shown again.
        let b = frame(TrackKind::Video, 1, 310, 10_000_000);
        r.on_frame(Mid::from("2"), &b, true, 10_000_500, &mut w);
        assert_eq!((w.frames, w.lost, w.pauses), (2, 0, 1));
    }

    #[test]
    fn a_gap_ending_on_a_delta_frame_is_loss_however_long() {
        let mut r = receiver(TrackKind::Video);
        let mut w = Window::default();
        r.on_frame(
            Mid::from("2"),
            &frame(TrackKind::Video, 0, 0, 0),
            true,
            1,
            &mut w,
        );
        let late = frame(TrackKind::Video, 0, 30, 1_000_000);
        r.on_frame(Mid::from("2"), &late, false, 1_000_001, &mut w);
        assert_eq!(w.lost, 29);
    }

    #[test]
    fn a_layer_switch_starts_a_new_sequence() {
        let mut r = receiver(TrackKind::Video);
        let mut w = Window::default();
        r.on_frame(
            Mid::from("2"),
            &frame(TrackKind::Video, 1, 40, 0),
            true,
            1,
            &mut w,
        );
        r.on_frame(
            Mid::from("2"),
            &frame(TrackKind::Video, 2, 7, 33_000),
            true,
            33_001,
            &mut w,
        );
        r.on_frame(
            Mid::from("2"),
            &frame(TrackKind::Video, 2, 8, 66_000),
            false,
            66_001,
            &mut w,
        );
        assert_eq!((w.frames, w.lost, w.pauses), (3, 0, 1));
    }

    #[test]
    fn frames_of_unknown_mids_are_counted_apart() {
        let mut r = receiver(TrackKind::Audio);
        let mut w = Window::default();
        r.on_frame(
            Mid::from("9"),
            &frame(TrackKind::Audio, 0, 0, 0),
            false,
            1,
            &mut w,
        );
        assert_eq!((r.unknown_frames, w.frames), (1, 0));
    }
}
