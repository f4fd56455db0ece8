//! One connected point as the SFU sees it: its str0m session, what it publishes and what it
//! receives.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use giaoban_model::{BriefingId, SlotInfo, SlotRole, TrackKind};
use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{MediaKind, Mid, Pt, Rid};
use str0m::rtp::Ssrc;

use crate::slot::{SlotConfig, SlotMunger};
use crate::twcc_guard::TwccGuard;

/// Identifies one signalling connection's media session. The shell assigns it; a point that
/// reconnects gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// What of a publisher's media some subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wanted {
    pub video: bool,
    /// Simulcast RIDs of the video wanted; empty without simulcast.
    pub layers: Vec<String>,
    pub audio: bool,
}

pub(crate) struct Peer {
    pub id: PeerId,
    /// Shared with the room table: cloning it on the hot path costs no allocation.
    pub room: Arc<BriefingId>,
    /// The point name shown to other points, e.g. "UBND thị xã Cửa Lò".
    pub label: Arc<str>,
    pub rtc: Rtc,
    /// Tracks this peer publishes.
    pub tracks_in: Vec<TrackIn>,
    /// The publish offer's m-line for a shared screen, if it has one.
    pub screen_mid: Option<Mid>,
    /// The receive slots, negotiated once, in m-line order.
    pub slots: Vec<RecvSlot>,
    /// Slots of other peers that forward (or wait for) this peer's audio and video:
    /// (subscriber, slot index), by [`feed_index`]. Entries whose slot moved on are dropped
    /// lazily when a packet finds them.
    pub feeds: [Vec<(PeerId, usize)>; 3],
    /// Our offer that waits for the peer's answer. At most one at a time.
    pub pending: Option<SdpPendingOffer>,
    /// The client asked for an ICE restart: the next offer carries new ICE credentials.
    pub ice_restart: bool,
    pub next_timeout: Instant,
    /// Whether `next_timeout` is in the SFU's deadline heap.
    pub timeout_queued: bool,
    /// Queued for another round of polling in [`crate::Sfu`]'s drive loop.
    pub dirty: bool,
    pub connected: bool,
    /// Set once the peer is gone for str0m (ICE timeout, DTLS close, fatal error).
    pub dead: bool,
    /// Keeps packets whose transport-wide sequence number would wrap from str0m.
    pub twcc: TwccGuard,
    /// Cumulative NACK counts per media, from str0m's periodic statistics.
    pub ingress_nacks: HashMap<Mid, u64>,
    pub egress_nacks: HashMap<Mid, u64>,
    /// Points whose thumbnails this peer displays; `None` until the client says (then it
    /// gets everyone as a thumbnail).
    pub view: Option<Vec<String>>,
    /// Latest egress bandwidth estimate towards this peer.
    pub bwe_kbps: Option<u64>,
    /// Watches the estimate for a link too weak for video.
    pub low_bandwidth: LowBandwidthWatch,
    /// The point receives audio only.
    pub audio_only: bool,
    /// What of its media the peer was last told anybody receives.
    pub wanted: Option<Wanted>,
    /// When its thumbnails were last paused or resumed.
    pub last_allocation: Option<Instant>,
    /// Whether its link shows that it is full (a low estimate alone pauses nothing).
    pub congestion: crate::allocator::Congestion,
    pub quality: QualityTracker,
    /// When a frame of each kind (audio, video) last arrived from this peer, and was last
    /// written towards it: the trial run's "flows both ways".
    pub last_in: [Option<Instant>; 2],
    pub last_out: [Option<Instant>; 2],
}

/// Index of a media kind in [`Peer::last_in`] and [`Peer::last_out`].
pub(crate) fn kind_index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Audio => 0,
        MediaKind::Video => 1,
    }
}

/// Index in [`Peer::feeds`] of a track's subscribers: audio, camera, screen.
pub(crate) fn feed_index(kind: MediaKind, screen: bool) -> usize {
    if screen { 2 } else { kind_index(kind) }
}

/// Connection quality of one peer, derived from str0m's periodic statistics.
#[derive(Debug, Default, Clone)]
pub(crate) struct QualityTracker {
    pub rtt_ms: Option<f64>,
    /// Fraction of packets lost on the peer's uplink (what the SFU receives).
    pub loss: Option<f64>,
    pub kbps_in: u64,
    pub kbps_out: u64,
    last_peer_stats: Option<(Instant, u64, u64)>,
}

impl QualityTracker {
    pub fn on_peer_stats(&mut self, at: Instant, rx: u64, tx: u64, rtt_ms: Option<f64>) {
        if let Some((t0, rx0, tx0)) = self.last_peer_stats {
            let secs = at.saturating_duration_since(t0).as_secs_f64();
            if secs > 0.0 {
                self.kbps_in = ((rx.saturating_sub(rx0)) as f64 * 8.0 / 1000.0 / secs) as u64;
                self.kbps_out = ((tx.saturating_sub(tx0)) as f64 * 8.0 / 1000.0 / secs) as u64;
            }
        }
        self.last_peer_stats = Some((at, rx, tx));
        if rtt_ms.is_some() {
            self.rtt_ms = rtt_ms;
        }
    }
}

pub(crate) struct TrackIn {
    pub mid: Mid,
    pub kind: MediaKind,
    /// A shared screen, not the camera: it feeds presentation slots only.
    pub screen: bool,
    /// Simulcast layers the publisher sends, if any.
    pub rids: Vec<Rid>,
    /// When a keyframe was last requested, per layer.
    pub last_keyframe_request: Vec<(Option<Rid>, Instant)>,
    /// The SSRC each layer arrives on: a new one means the stream started over.
    pub ssrcs: Vec<(Option<Rid>, Ssrc)>,
    /// When a packet of each layer last arrived.
    pub seen: Vec<(Option<Rid>, Instant)>,
}

/// A layer that sent nothing for this long is not flowing: a browser drops its top simulcast
/// layer when its uplink is short or its camera too small.
const LAYER_IDLE: Duration = Duration::from_secs(1);

/// Layers whose SSRC is remembered per track at most.
const KNOWN_LAYERS: usize = 4;

impl TrackIn {
    pub fn new(mid: Mid, kind: MediaKind, screen: bool, rids: Vec<Rid>) -> TrackIn {
        TrackIn {
            mid,
            kind,
            screen,
            rids,
            last_keyframe_request: Vec::new(),
            ssrcs: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Notes a packet of layer `rid` at `now`.
    pub fn saw(&mut self, rid: Option<Rid>, now: Instant) {
        if let Some((_, at)) = self.seen.iter_mut().find(|(r, _)| *r == rid) {
            *at = now;
        } else if self.seen.len() < KNOWN_LAYERS {
            self.seen.push((rid, now));
        }
    }

    /// Whether layer `rid` sent something lately.
    pub fn flowing(&self, rid: Option<Rid>, now: Instant) -> bool {
        self.seen
            .iter()
            .any(|(r, at)| *r == rid && now.saturating_duration_since(*at) < LAYER_IDLE)
    }

    /// Notes the SSRC a packet of `rid` came on; true when the layer's stream started over on
    /// a new one (its sequence numbers start anew).
    pub fn restarted(&mut self, rid: Option<Rid>, ssrc: Ssrc) -> bool {
        match self.ssrcs.iter_mut().find(|(r, _)| *r == rid) {
            Some((_, known)) if *known != ssrc => {
                *known = ssrc;
                true
            }
            Some(_) => false,
            None => {
                if self.ssrcs.len() < KNOWN_LAYERS {
                    self.ssrcs.push((rid, ssrc));
                }
                false
            }
        }
    }
}

impl TrackIn {
    /// The layer to forward for `layer`: RIDs `h`/`l` by convention, else the first (high) or
    /// last (low) announced; `None` without simulcast.
    pub fn rid_for(&self, layer: Layer) -> Option<Rid> {
        let wanted: Rid = match layer {
            Layer::High => "h".into(),
            Layer::Low => "l".into(),
        };
        if self.rids.contains(&wanted) {
            return Some(wanted);
        }
        match layer {
            Layer::High => self.rids.first().copied(),
            Layer::Low => self.rids.last().copied(),
        }
    }
}

/// Which simulcast layer a subscriber should get of a publisher's video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    High,
    Low,
}

/// A source a slot can carry: a point's track, and the simulcast layer of it (`None`: the
/// only one).
pub(crate) type SourceKey = (PeerId, Option<Rid>);

/// One receive slot of a subscriber: an m-line negotiated once, fed by whichever point the
/// SFU picks for it.
pub(crate) struct RecvSlot {
    pub role: SlotRole,
    pub kind: MediaKind,
    pub state: SlotState,
    /// The point the SFU wants in this slot now.
    pub want: Option<PeerId>,
    /// Rewrites whichever source feeds the slot into the slot's one stream.
    pub munger: SlotMunger<SourceKey>,
    /// The payload type last seen from a source and the one it maps to on this m-line.
    pub pt_map: Option<(Pt, Pt)>,
    /// The point the subscriber was last told this slot carries.
    pub told: Option<PeerId>,
    /// The told point changed and the subscriber has not been told yet, with the RTP
    /// timestamp of the first packet of the new point.
    pub tell: Option<Option<u32>>,
    /// A thumbnail the subscriber's link cannot carry now (see `Sfu::allocate`).
    pub paused: bool,
}

impl RecvSlot {
    /// The `index`th slot of `subscriber`.
    pub fn new(subscriber: PeerId, index: usize, role: SlotRole, kind: MediaKind) -> RecvSlot {
        let config = match kind {
            MediaKind::Audio => SlotConfig::audio(),
            MediaKind::Video => SlotConfig::video(),
        };
        // Initial numbers differ per stream (RFC 3550 §5.1); they need not be secret, SRTP
        // protects the stream. The sequence number stays below 65,536: the receiver starts
        // with a rollover counter of zero (RFC 3711 §3.3.1).
        let seed = mix(subscriber.0 ^ mix(index as u64) ^ mix(kind_index(kind) as u64));
        RecvSlot {
            role,
            kind,
            state: SlotState::ToOpen,
            want: None,
            munger: SlotMunger::new(config, (seed >> 48) as u16 & 0x7fff, seed as u32),
            pt_map: None,
            told: None,
            tell: None,
            paused: false,
        }
    }

    /// The slot's m-line, once negotiated.
    pub fn mid(&self) -> Option<Mid> {
        match self.state {
            SlotState::Open(mid) => Some(mid),
            _ => None,
        }
    }

    /// Whether the slot forwards `source`'s packets now or waits for them.
    pub fn involves(&self, source: PeerId) -> bool {
        self.want == Some(source)
            || self.munger.source().is_some_and(|(p, _)| p == source)
            || self.munger.pending().is_some_and(|(p, _)| p == source)
    }

    /// Tells the subscriber again what the slot carries (e.g. a paused slot that is no longer
    /// paused), from `since_ts`. Returns whether the slot was not waiting to be told yet.
    pub fn retell(&mut self, since_ts: Option<u32>) -> bool {
        let first = self.tell.is_none();
        self.tell = Some(since_ts);
        first
    }

    /// Notes the point whose packets the slot forwards now; true when the subscriber must be
    /// told (it was not yet).
    pub fn note_source(&mut self, since_ts: Option<u32>) -> bool {
        let now = self.munger.source().map(|(p, _)| p);
        if now == self.told {
            return false;
        }
        self.told = now;
        let first = self.tell.is_none();
        self.tell = Some(since_ts);
        first
    }
}

/// SplitMix64's finaliser: spreads the bits of `x` over the word.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Not yet in any offer.
    ToOpen,
    /// In an offer that waits for an answer.
    Negotiating(Mid),
    /// Negotiated: media can flow.
    Open(Mid),
}

/// How many receive slots of each role a subscriber gets, and which of its own m-lines
/// carries a shared screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotCounts {
    /// Points shown large: the host and the floor holder or spotlit point.
    pub stage: usize,
    /// Shared screens.
    pub presentation: usize,
    /// Thumbnails of the page the client shows.
    pub page: usize,
    /// Voices heard at once.
    pub audio: usize,
    /// The mid of the publish offer's m-line that carries a shared screen, if any: the
    /// publisher's track on it feeds other peers' presentation slots.
    pub presentation_mid: Option<String>,
}

impl SlotCounts {
    /// The slots of a client whose grid page shows `page` thumbnails.
    pub fn with_page(page: usize) -> SlotCounts {
        SlotCounts {
            stage: 2,
            presentation: 1,
            page: page.min(giaoban_model::MAX_PAGE_SLOTS),
            audio: 4,
            presentation_mid: None,
        }
    }

    /// The same, with a shared screen published on the m-line `mid`.
    pub fn presenting_on(mut self, mid: Option<String>) -> SlotCounts {
        self.presentation_mid = mid;
        self
    }

    /// The egress bitrate these slots carry when all are full, in kbit/s: a stage or
    /// presentation picture at ~900 (the high layer), a thumbnail at ~200 (the low one), a
    /// voice at ~40, with headroom for retransmissions.
    pub fn desired_kbps(&self) -> u64 {
        let kbps = (self.stage + self.presentation) as u64 * 900
            + self.page as u64 * 200
            + self.audio as u64 * 40;
        kbps * 5 / 4
    }

    /// The slots in the order of their m-lines: stage, presentation, page, audio.
    pub(crate) fn roles(&self) -> impl Iterator<Item = SlotRole> + '_ {
        std::iter::repeat_n(SlotRole::Stage, self.stage)
            .chain(std::iter::repeat_n(
                SlotRole::Presentation,
                self.presentation,
            ))
            .chain(std::iter::repeat_n(SlotRole::Page, self.page))
            .chain(std::iter::repeat_n(SlotRole::Audio, self.audio))
    }
}

impl Peer {
    /// Puts the peer's next deadline at `at` in `timeouts` unless an earlier one is queued
    /// (an entry whose time is no longer `next_timeout` is skipped when it comes up).
    pub fn wake_at(&mut self, at: Instant, timeouts: &mut BinaryHeap<Reverse<(Instant, PeerId)>>) {
        if self.timeout_queued && self.next_timeout <= at {
            return;
        }
        self.next_timeout = at;
        self.timeout_queued = true;
        timeouts.push(Reverse((at, self.id)));
    }

    pub fn new(id: PeerId, room: Arc<BriefingId>, label: Arc<str>, rtc: Rtc, now: Instant) -> Peer {
        Peer {
            id,
            room,
            label,
            rtc,
            tracks_in: Vec::new(),
            slots: Vec::new(),
            feeds: [Vec::new(), Vec::new(), Vec::new()],
            screen_mid: None,
            pending: None,
            ice_restart: false,
            next_timeout: now,
            timeout_queued: false,
            dirty: false,
            connected: false,
            dead: false,
            twcc: TwccGuard::default(),
            ingress_nacks: HashMap::new(),
            egress_nacks: HashMap::new(),
            view: None,
            bwe_kbps: None,
            low_bandwidth: LowBandwidthWatch::default(),
            audio_only: false,
            wanted: None,
            last_allocation: None,
            congestion: crate::allocator::Congestion::default(),
            quality: QualityTracker::default(),
            last_in: [None; 2],
            last_out: [None; 2],
        }
    }

    /// The source the slot on `mid` forwards (or, while empty, waits for): where a keyframe
    /// request of this peer for that m-line goes; true for a presentation slot (the source's
    /// screen, not its camera).
    pub fn source_of(&self, mid: Mid) -> Option<(SourceKey, bool)> {
        self.slots
            .iter()
            .find(|s| matches!(s.state, SlotState::Negotiating(m) | SlotState::Open(m) if m == mid))
            .and_then(|s| {
                let screen = s.role == SlotRole::Presentation;
                s.munger.keyframe_source().map(|source| (source, screen))
            })
    }

    /// The track of `kind` this peer publishes: its camera or microphone, or (`screen`) its
    /// shared screen.
    pub fn track(&self, kind: MediaKind, screen: bool) -> Option<&TrackIn> {
        self.tracks_in
            .iter()
            .find(|t| t.kind == kind && t.screen == screen)
    }

    /// The slots, as listed in the offer that opens them.
    pub fn slot_list(&self) -> Vec<SlotInfo> {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                SlotState::Negotiating(mid) | SlotState::Open(mid) => Some(SlotInfo {
                    mid: mid.to_string(),
                    kind: track_kind(s.kind),
                    role: s.role,
                }),
                SlotState::ToOpen => None,
            })
            .collect()
    }

    /// Whether the next negotiation has anything to do.
    pub fn wants_negotiation(&self) -> bool {
        self.pending.is_none()
            && (self.ice_restart || self.slots.iter().any(|s| s.state == SlotState::ToOpen))
    }
}

pub(crate) fn track_kind(kind: MediaKind) -> TrackKind {
    match kind {
        MediaKind::Audio => TrackKind::Audio,
        MediaKind::Video => TrackKind::Video,
    }
}

/// Says once when an egress estimate has stayed under a threshold for a while.
#[derive(Debug, Default)]
pub(crate) struct LowBandwidthWatch {
    below_kbps: u64,
    after: Duration,
    since: Option<Instant>,
    said: bool,
}

impl LowBandwidthWatch {
    pub fn new(below_kbps: u64, after: Duration) -> LowBandwidthWatch {
        LowBandwidthWatch {
            below_kbps,
            after,
            since: None,
            said: false,
        }
    }

    /// Takes a new estimate; returns it the first time the estimate has stayed under the
    /// threshold for the whole wait. An estimate at or above the threshold starts the wait over.
    pub fn observe(&mut self, now: Instant, kbps: u64) -> Option<u64> {
        if kbps >= self.below_kbps {
            self.since = None;
            return None;
        }
        let since = *self.since.get_or_insert(now);
        if !self.said && now.saturating_duration_since(since) >= self.after {
            self.said = true;
            return Some(kbps);
        }
        None
    }
}

#[cfg(test)]
mod low_bandwidth_tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // any epoch will do for this test
    fn a_weak_link_is_reported_once_after_the_wait() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut watch = LowBandwidthWatch::new(150, Duration::from_secs(10));
        assert_eq!(watch.observe(at(0), 120), None);
        assert_eq!(watch.observe(at(5), 100), None);
        // Back above the threshold: the wait starts over.
        assert_eq!(watch.observe(at(6), 400), None);
        assert_eq!(watch.observe(at(7), 140), None);
        assert_eq!(watch.observe(at(16), 140), None);
        assert_eq!(watch.observe(at(17), 130), Some(130));
        assert_eq!(watch.observe(at(30), 90), None, "said once");
    }
}
