//! The forwarding core: many peers, one UDP port, no IO.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use giaoban_model::{BriefingId, TrackInfo};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::{Codec, PayloadParams};
use str0m::media::{Direction, KeyframeRequest, KeyframeRequestKind, MediaKind, Mid, Pt, Rid};
use str0m::net::{Protocol, Receive, TcpType, Transmit};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tracing::{debug, trace, warn};

use crate::MediaError;
use crate::peer::{Layer, LowBandwidthWatch, Peer, TrackIn, TrackOut, TrackOutState, kind_index};
use crate::slot::{SlotRequest, SourcePacket};

/// Identifies one signalling connection's media session. The shell assigns it; a point that
/// reconnects gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// One address the SFU takes media on: a host ICE candidate of every peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaAddress {
    /// Where peers send media: advertised as the candidate.
    pub advertised: SocketAddr,
    /// Where that media arrives on this machine, and the source of what is sent back. It
    /// differs from `advertised` behind a 1:1 NAT (the public address is advertised, the
    /// private one is on the interface).
    pub local: SocketAddr,
    /// UDP, or TCP with RFC 4571 framing (a passive candidate, RFC 6544).
    pub protocol: Protocol,
}

impl MediaAddress {
    /// A UDP address that is advertised as it is.
    pub fn udp(addr: SocketAddr) -> MediaAddress {
        MediaAddress {
            advertised: addr,
            local: addr,
            protocol: Protocol::Udp,
        }
    }

    /// A passive TCP address that is advertised as it is.
    pub fn tcp(addr: SocketAddr) -> MediaAddress {
        MediaAddress {
            protocol: Protocol::Tcp,
            ..MediaAddress::udp(addr)
        }
    }

    fn candidate(&self) -> Result<Candidate, MediaError> {
        let bad =
            |e| MediaError::RejectedSdp(format!("bad media address {}: {e}", self.advertised));
        match self.protocol {
            Protocol::Tcp => Candidate::builder()
                .tcp()
                .host(self.advertised)
                .tcptype(TcpType::Passive)
                .build()
                .map_err(bad),
            _ => Candidate::host(self.advertised, "udp").map_err(bad),
        }
    }
}

/// Simulcast layers learnt per published track at most: browsers send three.
const MAX_LAYERS: usize = 4;

/// Settings of the media core.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The addresses peers send media to, each advertised as a host ICE candidate.
    pub addresses: Vec<MediaAddress>,
    /// Minimum time between two keyframe requests sent to one publisher's track.
    pub keyframe_request_interval: Duration,
    /// Packets of video kept per subscriber to answer its NACKs by retransmission. Zero
    /// turns retransmission off (useful only to measure what it saves).
    pub video_send_buffer: usize,
    /// Below this egress estimate a subscriber gets the low layer even of stage points.
    pub high_layer_min_kbps: u64,
    /// Starting egress bandwidth estimate; `None` turns estimation (and pacing) off.
    pub bwe_initial_kbps: Option<u64>,
    /// An egress estimate under this suggests audio only ([`SfuEvent::LowBandwidth`])...
    pub audio_only_below_kbps: u64,
    /// ...once it has stayed there this long.
    pub audio_only_after: Duration,
}

impl SfuConfig {
    /// A configuration with one UDP address, advertised as it is.
    pub fn new(addr: SocketAddr) -> SfuConfig {
        SfuConfig::with_addresses(vec![MediaAddress::udp(addr)])
    }

    /// A configuration with these media addresses.
    pub fn with_addresses(addresses: Vec<MediaAddress>) -> SfuConfig {
        SfuConfig {
            addresses,
            keyframe_request_interval: Duration::from_millis(500),
            video_send_buffer: 1000,
            high_layer_min_kbps: 600,
            bwe_initial_kbps: Some(2_500),
            audio_only_below_kbps: 150,
            audio_only_after: Duration::from_secs(10),
        }
    }
}

/// What the shell must deliver on a peer's signalling connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SfuEvent {
    /// Send this offer to the peer and pass its answer to [`Sfu::handle_answer`].
    Offer {
        peer: PeerId,
        sdp: String,
        tracks: Vec<TrackInfo>,
    },
    /// ICE and DTLS are up: media can flow.
    Connected { peer: PeerId },
    /// The media session ended on its own (ICE timeout, DTLS close). The shell should remove
    /// the peer; the client reconnects.
    Disconnected { peer: PeerId },
    /// The egress estimate towards this peer stayed under
    /// [`SfuConfig::audio_only_below_kbps`] for [`SfuConfig::audio_only_after`]: suggest it
    /// receive audio only. Said once per peer.
    LowBandwidth { peer: PeerId, kbps: u64 },
}

/// Running totals, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SfuCounters {
    pub datagrams_received: u64,
    /// Datagrams that no peer accepted or that were malformed.
    pub datagrams_dropped: u64,
    /// Media frames (audio or video) written towards a subscriber: each audio packet, and
    /// each video packet that ends a frame (RTP marker bit).
    pub frames_forwarded: u64,
    /// Keyframe requests passed on to a publisher.
    pub keyframe_requests: u64,
    /// NACKs the SFU sent to publishers for packets lost on their uplink (RFC 4585 §6.2.1).
    pub nacks_sent: u64,
    /// NACKs subscribers sent to the SFU, answered from its send buffer.
    pub nacks_received: u64,
    /// Audio packets (one frame each) not forwarded because their point had no right to speak.
    pub audio_frames_gated: u64,
    /// Simulcast layer switches done on a keyframe.
    pub layer_switches: u64,
}

/// Who may be heard and who is shown large in one room. Set by the briefing logic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomPolicy {
    /// Points whose audio is forwarded; `None`: everyone's.
    pub speakers: Option<HashSet<String>>,
    /// Points every subscriber shows large: forwarded at the high layer.
    pub stage: Vec<String>,
}

/// Connection quality of one peer, for the host's grid and the trial run.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerQuality {
    pub peer: PeerId,
    pub room: BriefingId,
    pub label: String,
    pub rtt_ms: Option<f64>,
    /// Fraction of packets lost on the peer's uplink.
    pub loss: Option<f64>,
    pub kbps_in: u64,
    pub kbps_out: u64,
    /// Whether media of each kind flowed in the last statistics interval.
    pub audio_up: bool,
    pub video_up: bool,
    pub audio_down: bool,
    pub video_down: bool,
}

/// The selective forwarding unit. See the crate documentation.
pub struct Sfu {
    config: SfuConfig,
    peers: HashMap<PeerId, Peer>,
    rooms: HashMap<Arc<BriefingId>, Vec<PeerId>>,
    by_addr: HashMap<SocketAddr, PeerId>,
    policies: HashMap<BriefingId, RoomPolicy>,
    /// Deadlines of the peers, earliest first. An entry is stale when its peer left or has
    /// a newer deadline; stale entries are dropped when they reach the top. This keeps
    /// [`Sfu::poll_timeout`] and [`Sfu::handle_timeout`] from visiting every peer.
    timeouts: BinaryHeap<Reverse<(Instant, PeerId)>>,
    dirty: Vec<PeerId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SfuEvent>,
    counters: SfuCounters,
}

/// Something a peer's output asks of other peers.
// Boxing the large variant would cost an allocation per forwarded packet; the actions live in a
// reused buffer, so their size does not matter.
#[allow(clippy::large_enum_variant)]
enum Action {
    /// A packet the peer published on this mid and simulcast layer.
    Forward(PeerId, Mid, Option<Rid>, RtpPacket),
    KeyframeRequest(PeerId, KeyframeRequest),
    Published(PeerId, Mid, MediaKind, Vec<Rid>),
}

impl Sfu {
    /// Creates an empty SFU.
    pub fn new(config: SfuConfig) -> Sfu {
        static CRYPTO: Once = Once::new();
        CRYPTO.call_once(|| str0m::crypto::from_feature_flags().install_process_default());
        Sfu {
            config,
            peers: HashMap::new(),
            rooms: HashMap::new(),
            by_addr: HashMap::new(),
            policies: HashMap::new(),
            timeouts: BinaryHeap::new(),
            dirty: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: SfuCounters::default(),
        }
    }

    /// Adds a peer from its publish offer and returns our answer. The peer then receives the
    /// tracks of the other peers of `room` through [`SfuEvent::Offer`]s.
    pub fn add_peer(
        &mut self,
        now: Instant,
        id: PeerId,
        room: BriefingId,
        label: String,
        offer_sdp: &str,
    ) -> Result<String, MediaError> {
        if self.peers.contains_key(&id) {
            return Err(MediaError::DuplicatePeer);
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp)
            .map_err(|e| MediaError::MalformedSdp(e.to_string()))?;
        let mut builder = Rtc::builder()
            // A server with a known address needs no connectivity checks of its own
            // (RFC 8445 §2.5): the browser checks, we answer.
            .set_ice_lite(true)
            // Packets are forwarded as they come, rewritten per receiver (crate::slot), not
            // depacketised and packetised again for every subscriber.
            .set_rtp_mode(true)
            // The forwarding reads VP8 payload descriptors (keyframes, picture ids), so VP8
            // is the one video codec; every browser has it.
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .set_send_buffer_video(self.config.video_send_buffer)
            .set_stats_interval(Some(Duration::from_secs(1)));
        if let Some(kbps) = self.config.bwe_initial_kbps {
            // Egress estimation from transport-wide feedback decides whether a subscriber
            // can take the high simulcast layer.
            builder = builder.enable_bwe(Some(Bitrate::kbps(kbps)));
        }
        let mut rtc = builder.build(now);
        if self.config.bwe_initial_kbps.is_some() {
            rtc.bwe()
                .set_bitrate(Bitrate::kbps(300), Bitrate::kbps(5_000));
        }
        for address in &self.config.addresses {
            rtc.add_local_candidate(address.candidate()?);
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::RejectedSdp(e.to_string()))?;

        let room = match self.rooms.get_key_value(&room) {
            Some((key, _)) => key.clone(),
            None => Arc::new(room),
        };
        let mut peer = Peer::new(id, room.clone(), label.into(), rtc, now);
        peer.low_bandwidth = LowBandwidthWatch::new(
            self.config.audio_only_below_kbps,
            self.config.audio_only_after,
        );
        // Subscribe the newcomer to everything already published in the room.
        let members = self.rooms.entry(room).or_default();
        for other in members.iter().filter_map(|m| self.peers.get(m)) {
            for track in &other.tracks_in {
                peer.tracks_out.push(TrackOut::new(
                    id,
                    other.id,
                    track.mid,
                    other.label.clone(),
                    track.kind,
                ));
            }
        }
        members.push(id);
        self.peers.insert(id, peer);
        debug!(%id, "peer added");
        self.mark_dirty(id);
        self.drive(now);
        Ok(answer.to_sdp_string())
    }

    /// Applies the peer's answer to our last offer.
    pub fn handle_answer(
        &mut self,
        now: Instant,
        id: PeerId,
        answer_sdp: &str,
    ) -> Result<(), MediaError> {
        let answer = SdpAnswer::from_sdp_string(answer_sdp)
            .map_err(|e| MediaError::MalformedSdp(e.to_string()))?;
        let peer = self.peers.get_mut(&id).ok_or(MediaError::UnknownPeer)?;
        let pending = peer.pending.take().ok_or(MediaError::NoPendingOffer)?;
        peer.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| MediaError::RejectedSdp(e.to_string()))?;
        let mut opened = Vec::new();
        for track in &mut peer.tracks_out {
            if let TrackOutState::Negotiating(mid) = track.state {
                track.state = TrackOutState::Open(mid);
                if track.kind == MediaKind::Video {
                    opened.push((track.source, track.source_mid));
                }
            }
        }
        // A stopped m-line may be recycled by str0m for a later track.
        peer.tracks_out
            .retain(|t| !matches!(t.state, TrackOutState::NegotiatingStop(_)));
        // A new subscriber needs a keyframe to start decoding.
        for (source, mid) in opened {
            self.request_keyframe(now, source, mid, None, KeyframeRequestKind::Pli);
        }
        self.mark_dirty(id);
        self.drive(now);
        Ok(())
    }

    /// Removes a peer; its tracks stop at every receiver.
    pub fn remove_peer(&mut self, now: Instant, id: PeerId) {
        let Some(mut peer) = self.peers.remove(&id) else {
            return;
        };
        peer.rtc.disconnect();
        self.by_addr.retain(|_, p| *p != id);
        if let Some(members) = self.rooms.get_mut(&peer.room) {
            members.retain(|m| *m != id);
            for other in members.iter() {
                let Some(other) = self.peers.get_mut(other) else {
                    continue;
                };
                other
                    .tracks_out
                    .retain(|t| !(t.source == id && t.state == TrackOutState::ToOpen));
                for track in other.tracks_out.iter_mut().filter(|t| t.source == id) {
                    track.source_alive = false;
                }
                if !other.dirty {
                    other.dirty = true;
                    self.dirty.push(other.id);
                }
            }
            if members.is_empty() {
                self.rooms.remove(&peer.room);
            }
        }
        debug!(%id, "peer removed");
        self.drive(now);
    }

    /// Handles one datagram (or RFC 4571 frame) that arrived on a media address. `destination`
    /// is the local address it really arrived on, as the kernel reports it. Returns whether a
    /// peer took it; malformed datagrams, datagrams of no peer and datagrams to an address
    /// that is not a media address are counted and dropped.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        self.counters.datagrams_received += 1;
        // str0m only answers on an address it advertised: a datagram that arrived on the
        // private side of a 1:1 NAT is handed over as arriving on the public address.
        let Some(advertised) = self
            .config
            .addresses
            .iter()
            .find(|a| a.local == destination && a.protocol == protocol)
            .map(|a| a.advertised)
        else {
            self.counters.datagrams_dropped += 1;
            trace!(%source, %destination, "datagram to an address that is not a media address");
            return false;
        };
        let Ok(contents) = contents.try_into() else {
            self.counters.datagrams_dropped += 1;
            trace!(%source, "unrecognised datagram dropped");
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: protocol,
                source,
                destination: advertised,
                contents,
            },
        );
        let owner = match self.by_addr.get(&source) {
            Some(id) if self.peers.get(id).is_some_and(|p| p.rtc.accepts(&input)) => Some(*id),
            _ => self
                .peers
                .values()
                .find(|p| p.rtc.accepts(&input))
                .map(|p| p.id),
        };
        let Some(id) = owner else {
            self.counters.datagrams_dropped += 1;
            trace!(%source, "datagram of no peer dropped");
            return false;
        };
        self.by_addr.insert(source, id);
        let Some(peer) = self.peers.get_mut(&id) else {
            return false;
        };
        if let Err(e) = peer.rtc.handle_input(input) {
            self.counters.datagrams_dropped += 1;
            debug!(%id, %source, "datagram rejected: {e}");
        }
        self.mark_dirty(id);
        self.drive(now);
        true
    }

    /// Drives time forward: retransmissions, RTCP reports, ICE keepalives.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, id))) = self.timeouts.peek().copied() {
            if at > now {
                break;
            }
            self.timeouts.pop();
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            if peer.next_timeout != at {
                continue;
            }
            // Its entry is gone: the poll after this input queues the next deadline.
            peer.timeout_queued = false;
            if let Err(e) = peer.rtc.handle_input(Input::Timeout(now)) {
                warn!(%id, "timeout handling failed: {e}");
            }
            self.mark_dirty(id);
        }
        self.drive(now);
    }

    /// Sends `peer` audio only (`on`), or audio and video again. A point on a weak link
    /// chooses it; the video it displays then costs nothing on its link.
    pub fn set_audio_only(&mut self, peer: PeerId, on: bool) {
        if let Some(peer) = self.peers.get_mut(&peer) {
            peer.audio_only = on;
        }
    }

    /// Restarts ICE for a peer whose media stopped while its signalling stayed up: the next
    /// [`SfuEvent::Offer`] (at once, or after the answer to an offer in flight) carries new
    /// ICE credentials. A peer already declared dead is not revived.
    pub fn restart_ice(&mut self, now: Instant, id: PeerId) -> Result<(), MediaError> {
        let peer = self.peers.get_mut(&id).ok_or(MediaError::UnknownPeer)?;
        if peer.dead {
            return Err(MediaError::UnknownPeer);
        }
        peer.ice_restart = true;
        debug!(%id, "ICE restart asked");
        self.mark_dirty(id);
        self.drive(now);
        Ok(())
    }

    /// Sets who may be heard and who is on the stage in `room`.
    pub fn set_room_policy(&mut self, room: &BriefingId, policy: RoomPolicy) {
        self.policies.insert(room.clone(), policy);
    }

    /// Sets the points whose thumbnails `peer` displays (`None`: all of them).
    pub fn set_view(&mut self, peer: PeerId, thumbnails: Option<Vec<String>>) {
        if let Some(peer) = self.peers.get_mut(&peer) {
            peer.view = thumbnails;
        }
    }

    /// Connection quality of every peer. Media "flows" when a frame of it passed in the last
    /// two seconds before `now`.
    pub fn quality(&self, now: Instant) -> Vec<PeerQuality> {
        let recent = |t: Option<Instant>| {
            t.is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(2))
        };
        self.peers
            .values()
            .map(|p| {
                let (audio, video) = (kind_index(MediaKind::Audio), kind_index(MediaKind::Video));
                PeerQuality {
                    peer: p.id,
                    room: (*p.room).clone(),
                    label: p.label.to_string(),
                    rtt_ms: p.quality.rtt_ms,
                    loss: p.quality.loss,
                    kbps_in: p.quality.kbps_in,
                    kbps_out: p.quality.kbps_out,
                    audio_up: recent(p.last_in[audio]),
                    video_up: recent(p.last_in[video]),
                    audio_down: recent(p.last_out[audio]),
                    video_down: recent(p.last_out[video]),
                }
            })
            .collect()
    }

    /// The next datagram to send. Its `source` is the local address to send it from.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let mut transmit = self.transmits.pop_front()?;
        if let Some(address) = self
            .config
            .addresses
            .iter()
            .find(|a| a.advertised == transmit.source && a.protocol == transmit.proto)
        {
            transmit.source = address.local;
        }
        Some(transmit)
    }

    /// The next signalling event to deliver.
    pub fn poll_event(&mut self) -> Option<SfuEvent> {
        self.events.pop_front()
    }

    /// When [`Sfu::handle_timeout`] must be called next, if any peer is connected.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.timeouts.peek().copied() {
            if self.peers.get(&id).is_some_and(|p| p.next_timeout == at) {
                return Some(at);
            }
            self.timeouts.pop();
        }
        None
    }

    /// Running totals.
    pub fn counters(&self) -> SfuCounters {
        let mut counters = self.counters;
        for peer in self.peers.values() {
            counters.nacks_sent += peer.ingress_nacks.values().sum::<u64>();
            counters.nacks_received += peer.egress_nacks.values().sum::<u64>();
        }
        counters
    }

    /// Number of peers, connected or connecting.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    fn mark_dirty(&mut self, id: PeerId) {
        if let Some(peer) = self.peers.get_mut(&id)
            && !peer.dirty
        {
            peer.dirty = true;
            self.dirty.push(id);
        }
    }

    /// Polls every dirty peer until it has nothing more to say, carrying what one peer
    /// produces (media, keyframe requests, new tracks) to the others.
    fn drive(&mut self, now: Instant) {
        let mut actions = Vec::new();
        while let Some(id) = self.dirty.pop() {
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            peer.dirty = false;
            if peer.wants_negotiation()
                && let Some(event) = negotiate(peer)
            {
                self.events.push_back(event);
            }
            let out = Outputs {
                transmits: &mut self.transmits,
                events: &mut self.events,
                actions: &mut actions,
                timeouts: &mut self.timeouts,
            };
            poll_peer(peer, now, out);
            for action in actions.drain(..) {
                self.apply(now, action);
            }
        }
    }

    fn apply(&mut self, now: Instant, action: Action) {
        match action {
            Action::Forward(from, mid, rid, packet) => self.forward(now, from, mid, rid, packet),
            Action::KeyframeRequest(from, req) => {
                // The subscriber asks for the layer its m-line carries now.
                let source = self.peers.get(&from).and_then(|p| p.source_of(req.mid));
                if let Some((source, source_mid, layer)) = source {
                    self.request_keyframe(now, source, source_mid, layer, req.kind);
                }
            }
            Action::Published(from, mid, kind, rids) => self.published(from, mid, kind, rids),
        }
    }

    fn forward(
        &mut self,
        now: Instant,
        from: PeerId,
        mid: Mid,
        rid: Option<Rid>,
        packet: RtpPacket,
    ) {
        let Some(publisher) = self.peers.get_mut(&from) else {
            return;
        };
        let Some(track) = publisher.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if let Some(rid) = rid
            && !track.rids.contains(&rid)
        {
            if track.rids.len() >= MAX_LAYERS {
                trace!(peer = %from, %mid, %rid, "layer beyond the simulcast limit dropped");
                return;
            }
            // A layer the SDP did not announce: learn it from the media itself.
            track.rids.push(rid);
        }
        let restarted = track.restarted(rid, packet.header.ssrc);
        if restarted {
            debug!(peer = %from, %mid, ?rid, ssrc = %packet.header.ssrc, "stream started over");
        }
        let kind = track.kind;
        let high_rid = track.rid_for(Layer::High);
        let low_rid = track.rid_for(Layer::Low);
        publisher.last_in[kind_index(kind)] = Some(now);
        let pt = packet.header.payload_type;
        let Some(params) = publisher.rtc.codec_config().find(|p| p.pt() == pt).copied() else {
            trace!(peer = %from, %mid, "packet of an unknown payload type dropped");
            return;
        };
        let room = publisher.room.clone();
        let policy = self.policies.get(&*room);
        if kind == MediaKind::Audio
            && policy
                .and_then(|p| p.speakers.as_ref())
                .is_some_and(|speakers| !speakers.contains(&*publisher.label))
        {
            // The briefing gives this point no right to speak: the server, not the client's
            // mute button, keeps it silent.
            self.counters.audio_frames_gated += 1;
            return;
        }
        let on_stage = policy.is_some_and(|p| p.stage.iter().any(|s| **s == *publisher.label));
        let label = publisher.label.clone();
        let source_packet = match (kind, params.spec().codec) {
            (MediaKind::Video, Codec::Vp8) => {
                SourcePacket::vp8(*packet.seq_no, packet.header.timestamp, &packet.payload)
            }
            _ => SourcePacket::plain(*packet.seq_no, packet.header.timestamp),
        };
        // Keep RFC 6464 audio levels: receivers draw the speaking indicator from them.
        let ext_vals = ExtensionValues {
            audio_level: packet.header.ext_vals.audio_level,
            voice_activity: packet.header.ext_vals.voice_activity,
            ..Default::default()
        };
        let min_high_kbps = self.config.high_layer_min_kbps;
        let mut wanted_keyframes: [Option<Option<Rid>>; 2] = [None, None];
        let Sfu {
            rooms,
            peers,
            dirty,
            counters,
            ..
        } = self;
        let Some(members) = rooms.get(&*room) else {
            return;
        };
        for member in members.iter().filter(|m| **m != from) {
            let Some(peer) = peers.get_mut(member) else {
                continue;
            };
            let Some(index) = peer.tracks_out.iter().position(|t| {
                t.source == from && t.source_mid == mid && matches!(t.state, TrackOutState::Open(_))
            }) else {
                continue;
            };
            let want = if kind == MediaKind::Video {
                let layer = if peer.audio_only {
                    // The point chose sound alone: its link carries no video.
                    None
                } else if on_stage && peer.bwe_kbps.is_none_or(|kbps| kbps >= min_high_kbps) {
                    Some(Layer::High)
                } else if on_stage
                    || peer
                        .view
                        .as_ref()
                        .is_none_or(|v| v.iter().any(|s| **s == *label))
                {
                    Some(Layer::Low)
                } else {
                    None
                };
                // Nobody receives video it does not display.
                layer.map(|layer| match layer {
                    Layer::High => high_rid,
                    Layer::Low => low_rid,
                })
            } else {
                Some(None)
            };
            let out = &mut peer.tracks_out[index];
            if out.munger.target() != want {
                // A video layer switch waits for a keyframe of the new layer; until then the
                // old layer keeps the picture moving.
                if let Some(SlotRequest::Keyframe(layer)) = out.munger.switch_to(now, want) {
                    wanted_keyframes[usize::from(layer != high_rid)] = Some(layer);
                }
            } else if out.munger.poll_timeout().is_some_and(|t| t <= now)
                && let Some(SlotRequest::Keyframe(layer)) = out.munger.handle_timeout(now)
            {
                wanted_keyframes[usize::from(layer != high_rid)] = Some(layer);
            }
            if restarted {
                out.munger.restart(rid);
            }
            let before = out.munger.source();
            // Packets of other layers, or of the new layer before its keyframe, are dropped.
            let Ok(munged) = out.munger.on_packet(now, rid, &source_packet) else {
                continue;
            };
            if before.is_some() && before != out.munger.source() {
                counters.layer_switches += 1;
            }
            let TrackOutState::Open(out_mid) = out.state else {
                continue;
            };
            let out_pt = match out.pt_map {
                Some((from_pt, to_pt)) if from_pt == pt => to_pt,
                _ => {
                    let Some(to_pt) = subscriber_pt(&peer.rtc, out_mid, params) else {
                        trace!(peer = %member, %out_mid, "no matching payload type: not forwarded");
                        continue;
                    };
                    out.pt_map = Some((pt, to_pt));
                    to_pt
                }
            };
            let mut write = RtpWrite::new(
                out_pt,
                munged.seq.into(),
                munged.timestamp,
                packet.timestamp,
                packet.payload.clone(),
            )
            .marker(packet.header.marker)
            .ext_vals(ext_vals.clone())
            // Video losses towards the subscriber are answered from str0m's send buffer.
            .nackable(kind == MediaKind::Video);
            if let Some(patch) = munged.vp8_patch {
                write = write.vp8_patch(patch);
            }
            let mut api = peer.rtc.direct_api();
            let Some(stream) = api.stream_tx_by_mid(out_mid, None) else {
                continue;
            };
            stream.write_rtp(write);
            if kind == MediaKind::Audio || packet.header.marker {
                counters.frames_forwarded += 1;
            }
            peer.last_out[kind_index(kind)] = Some(now);
            if !peer.dirty {
                peer.dirty = true;
                dirty.push(*member);
            }
        }
        for layer in wanted_keyframes.into_iter().flatten() {
            self.request_keyframe(now, from, mid, layer, KeyframeRequestKind::Pli);
        }
    }

    fn published(&mut self, from: PeerId, mid: Mid, kind: MediaKind, rids: Vec<Rid>) {
        let Some(publisher) = self.peers.get_mut(&from) else {
            return;
        };
        if publisher.tracks_in.iter().any(|t| t.mid == mid) {
            return;
        }
        publisher.tracks_in.push(TrackIn::new(mid, kind, rids));
        let label = publisher.label.clone();
        let room = publisher.room.clone();
        let members = self.rooms.get(&*room).cloned().unwrap_or_default();
        for member in members.into_iter().filter(|m| *m != from) {
            if let Some(peer) = self.peers.get_mut(&member) {
                peer.tracks_out
                    .push(TrackOut::new(member, from, mid, label.clone(), kind));
                self.mark_dirty(member);
            }
        }
    }

    fn request_keyframe(
        &mut self,
        now: Instant,
        source: PeerId,
        mid: Mid,
        rid: Option<str0m::media::Rid>,
        kind: KeyframeRequestKind,
    ) {
        let interval = self.config.keyframe_request_interval;
        let Some(peer) = self.peers.get_mut(&source) else {
            return;
        };
        let Some(track) = peer.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if track.kind != MediaKind::Video {
            return;
        }
        if track
            .last_keyframe_request
            .iter()
            .any(|(r, t)| *r == rid && now.saturating_duration_since(*t) < interval)
        {
            return;
        }
        let mut api = peer.rtc.direct_api();
        let Some(stream) = api.stream_rx_by_mid(mid, rid) else {
            // Nothing of that layer arrived yet: there is no stream to ask.
            trace!(%source, %mid, ?rid, "keyframe request for a layer not received");
            return;
        };
        stream.request_keyframe(kind);
        track.last_keyframe_request.retain(|(r, _)| *r != rid);
        track.last_keyframe_request.push((rid, now));
        self.counters.keyframe_requests += 1;
        self.mark_dirty(source);
    }
}

/// The payload type on `mid` of the subscriber's session that carries what `params` describes
/// in the publisher's.
fn subscriber_pt(rtc: &Rtc, mid: Mid, params: PayloadParams) -> Option<Pt> {
    let pt = rtc.codec_config().match_params(params)?.pt();
    let media = rtc.media(mid)?;
    (media.remote_pts().is_empty() || media.remote_pts().contains(&pt)).then_some(pt)
}

/// Builds the next offer for `peer`: new tracks to receive, departed tracks to stop.
fn negotiate(peer: &mut Peer) -> Option<SfuEvent> {
    for track in &mut peer.tracks_out {
        if let TrackOutState::Open(mid) = track.state
            && !track.source_alive
        {
            track.state = TrackOutState::ToStop(mid);
        }
    }
    let mut api = peer.rtc.sdp_api();
    if std::mem::take(&mut peer.ice_restart) {
        // New credentials, the same candidates (RFC 8445 §9): the browser checks again from
        // whatever network it is on now.
        api.ice_restart(true);
    }
    for track in &mut peer.tracks_out {
        match track.state {
            TrackOutState::ToOpen => {
                // msid identifiers must be SDP tokens (RFC 8830 §2); point names are not, so
                // the name travels in the signalling message instead.
                let stream = format!("p{}", track.source.0);
                let track_id = format!("p{}-{}", track.source.0, track.source_mid);
                let mid = api.add_media(
                    track.kind,
                    Direction::SendOnly,
                    Some(stream),
                    Some(track_id),
                    None,
                );
                track.state = TrackOutState::Negotiating(mid);
            }
            TrackOutState::ToStop(mid) => {
                api.stop_media(mid);
                track.state = TrackOutState::NegotiatingStop(mid);
            }
            _ => {}
        }
    }
    if !api.has_changes() {
        return None;
    }
    let (offer, pending) = api.apply()?;
    peer.pending = Some(pending);
    Some(SfuEvent::Offer {
        peer: peer.id,
        sdp: offer.to_sdp_string(),
        tracks: peer.track_list(),
    })
}

/// Where [`poll_peer`] puts what a peer produces.
struct Outputs<'a> {
    transmits: &'a mut VecDeque<Transmit>,
    events: &'a mut VecDeque<SfuEvent>,
    actions: &'a mut Vec<Action>,
    timeouts: &'a mut BinaryHeap<Reverse<(Instant, PeerId)>>,
}

/// Drains one peer's output until str0m asks to be woken later.
fn poll_peer(peer: &mut Peer, now: Instant, out: Outputs<'_>) {
    let Outputs {
        transmits,
        events,
        actions,
        timeouts,
    } = out;
    if peer.dead {
        return;
    }
    loop {
        if !peer.rtc.is_alive() {
            peer.dead = true;
            events.push_back(SfuEvent::Disconnected { peer: peer.id });
            return;
        }
        let output = match peer.rtc.poll_output() {
            Ok(output) => output,
            Err(e) => {
                warn!(peer = %peer.id, "media session failed: {e}");
                peer.rtc.disconnect();
                continue;
            }
        };
        match output {
            Output::Timeout(t) => {
                let t = t.max(now);
                if t != peer.next_timeout || !peer.timeout_queued {
                    peer.next_timeout = t;
                    peer.timeout_queued = true;
                    timeouts.push(Reverse((t, peer.id)));
                }
                return;
            }
            Output::Transmit(t) => transmits.push_back(t),
            Output::Event(event) => match event {
                Event::Connected => {
                    peer.connected = true;
                    events.push_back(SfuEvent::Connected { peer: peer.id });
                }
                Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                    peer.rtc.disconnect();
                }
                Event::MediaAdded(added) => {
                    if matches!(added.direction, Direction::RecvOnly | Direction::SendRecv) {
                        // The browser's `a=simulcast:send` is our receive side.
                        let rids = added
                            .simulcast
                            .map(|s| {
                                let layers = if s.recv.is_empty() { s.send } else { s.recv };
                                layers.iter().map(|l| l.rid).collect()
                            })
                            .unwrap_or_default();
                        actions.push(Action::Published(peer.id, added.mid, added.kind, rids));
                    }
                }
                Event::RtpPacket(packet) => {
                    // Browsers stop sending the mid and rid header extensions once the SSRC is
                    // known: the stream str0m matched the packet to says which track it is.
                    let ssrc = packet.header.ssrc;
                    match peer.rtc.direct_api().stream_rx(&ssrc) {
                        Some(stream) => actions.push(Action::Forward(
                            peer.id,
                            stream.mid(),
                            stream.rid(),
                            packet,
                        )),
                        None => trace!(peer = %peer.id, %ssrc, "packet of no stream dropped"),
                    }
                }
                Event::KeyframeRequest(req) => actions.push(Action::KeyframeRequest(peer.id, req)),
                Event::MediaIngressStats(stats) => {
                    // Simulcast layers report separately; the layers of one mid add up.
                    let nacks = peer.ingress_nacks.entry(stats.mid).or_default();
                    *nacks = (*nacks).max(stats.nacks);
                    if let Some(loss) = stats.loss {
                        peer.quality.loss = Some(f64::from(loss));
                    }
                }
                Event::MediaEgressStats(stats) => {
                    peer.egress_nacks.insert(stats.mid, stats.nacks);
                }
                Event::PeerStats(stats) => {
                    let rtt = stats.rtt.map(|d| d.as_secs_f64() * 1000.0);
                    peer.quality.on_peer_stats(
                        stats.timestamp,
                        stats.peer_bytes_rx,
                        stats.peer_bytes_tx,
                        rtt,
                    );
                }
                Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                    let kbps = estimate.as_u64() / 1000;
                    peer.bwe_kbps = Some(kbps);
                    if let Some(kbps) = peer.low_bandwidth.observe(now, kbps) {
                        events.push_back(SfuEvent::LowBandwidth {
                            peer: peer.id,
                            kbps,
                        });
                    }
                }
                _ => {}
            },
        }
    }
}
