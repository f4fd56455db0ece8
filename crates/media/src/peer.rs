//! One connected point as the SFU sees it: its str0m session, what it publishes and what it
//! receives.

use std::collections::HashMap;
use std::time::Instant;

use giaoban_model::{BriefingId, TrackInfo, TrackKind};
use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{MediaKind, Mid};

use crate::sfu::PeerId;

pub(crate) struct Peer {
    pub id: PeerId,
    pub room: BriefingId,
    /// The point name shown to other points, e.g. "UBND thị xã Cửa Lò".
    pub label: String,
    pub rtc: Rtc,
    /// Tracks this peer publishes.
    pub tracks_in: Vec<TrackIn>,
    /// Tracks of other peers this peer receives.
    pub tracks_out: Vec<TrackOut>,
    /// Our offer that waits for the peer's answer. At most one at a time.
    pub pending: Option<SdpPendingOffer>,
    pub next_timeout: Instant,
    /// Queued for another round of polling in [`crate::Sfu`]'s drive loop.
    pub dirty: bool,
    pub connected: bool,
    /// Set once the peer is gone for str0m (ICE timeout, DTLS close, fatal error).
    pub dead: bool,
    /// Cumulative NACK counts per media, from str0m's periodic statistics.
    pub ingress_nacks: HashMap<Mid, u64>,
    pub egress_nacks: HashMap<Mid, u64>,
}

pub(crate) struct TrackIn {
    pub mid: Mid,
    pub kind: MediaKind,
    pub last_keyframe_request: Option<Instant>,
}

pub(crate) struct TrackOut {
    pub source: PeerId,
    pub source_mid: Mid,
    pub source_label: String,
    pub kind: MediaKind,
    pub state: TrackOutState,
    /// False once the source peer left; the m-line is then stopped at the next negotiation.
    pub source_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackOutState {
    /// Not yet in any offer.
    ToOpen,
    /// In an offer that waits for an answer.
    Negotiating(Mid),
    /// Negotiated: media flows.
    Open(Mid),
    /// To be stopped in the next offer.
    ToStop(Mid),
    /// Stopped in an offer that waits for an answer.
    NegotiatingStop(Mid),
}

impl Peer {
    pub fn new(id: PeerId, room: BriefingId, label: String, rtc: Rtc, now: Instant) -> Peer {
        Peer {
            id,
            room,
            label,
            rtc,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            pending: None,
            next_timeout: now,
            dirty: false,
            connected: false,
            dead: false,
            ingress_nacks: HashMap::new(),
            egress_nacks: HashMap::new(),
        }
    }

    /// The mid on which this peer receives `source_mid` of `source`, if media may flow on it.
    pub fn open_mid_for(&self, source: PeerId, source_mid: Mid) -> Option<Mid> {
        self.tracks_out.iter().find_map(|t| match t.state {
            TrackOutState::Open(mid) if t.source == source && t.source_mid == source_mid => {
                Some(mid)
            }
            _ => None,
        })
    }

    /// The source of the track this peer receives on `mid`.
    pub fn source_of(&self, mid: Mid) -> Option<(PeerId, Mid)> {
        self.tracks_out.iter().find_map(|t| match t.state {
            TrackOutState::Negotiating(m) | TrackOutState::Open(m) if m == mid => {
                Some((t.source, t.source_mid))
            }
            _ => None,
        })
    }

    /// Every track this peer receives once its outstanding offer is answered.
    pub fn track_list(&self) -> Vec<TrackInfo> {
        self.tracks_out
            .iter()
            .filter_map(|t| match t.state {
                TrackOutState::Negotiating(mid) | TrackOutState::Open(mid) => Some(TrackInfo {
                    mid: mid.to_string(),
                    point: t.source_label.clone(),
                    kind: track_kind(t.kind),
                }),
                _ => None,
            })
            .collect()
    }

    /// Whether the next negotiation has anything to do.
    pub fn wants_negotiation(&self) -> bool {
        self.pending.is_none()
            && self.tracks_out.iter().any(|t| {
                matches!(t.state, TrackOutState::ToOpen | TrackOutState::ToStop(_))
                    || (matches!(t.state, TrackOutState::Open(_)) && !t.source_alive)
            })
    }
}

pub(crate) fn track_kind(kind: MediaKind) -> TrackKind {
    match kind {
        MediaKind::Audio => TrackKind::Audio,
        MediaKind::Video => TrackKind::Video,
    }
}
