//! The forwarding core: many peers, one UDP port, no IO.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use giaoban_model::{BriefingId, SlotFeed, SlotInfo, SlotRole};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::{Codec, PayloadParams};
use str0m::media::{Direction, KeyframeRequest, KeyframeRequestKind, MediaKind, Mid, Pt, Rid};
use str0m::net::{Protocol, Receive, TcpType, Transmit};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, StreamTx};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tracing::{debug, trace, warn};

use crate::MediaError;
use crate::allocator::{self, AUDIO_KBPS, HIGH_KBPS, LOW_KBPS, RESUME_AFTER};
use crate::peer::{
    Layer, LowBandwidthWatch, Peer, PeerId, RecvSlot, SlotCounts, SlotState, SourceKey, TrackIn,
    Wanted, feed_index, kind_index,
};
use crate::slot::{SlotRequest, SourcePacket};
use crate::speakers::{SpeakerConfig, SpeakerSelector};

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
    /// Send this offer to the peer and pass its answer to [`Sfu::handle_answer`]. The first
    /// one opens the peer's receive slots (`slots`); an ICE restart's lists none.
    Offer {
        peer: PeerId,
        sdp: String,
        slots: Vec<SlotInfo>,
    },
    /// The points some of the peer's slots carry from now on.
    Slots { peer: PeerId, feeds: Vec<SlotFeed> },
    /// What of the peer's media anybody receives now: it need send only that.
    Publish { peer: PeerId, wanted: Wanted },
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
    /// Receive slots that switched from one point to another (or started or stopped).
    pub slot_switches: u64,
    /// Packets of a recorded room dropped because the shell did not take them in time.
    pub recorded_dropped: u64,
    /// Video slots that stopped and waited for a keyframe because the subscriber's send
    /// queue had grown older than [`EGRESS_QUEUE_LIMIT`].
    pub egress_resyncs: u64,
}

/// Who may be heard and who is shown large in one room. Set by the briefing logic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomPolicy {
    /// Points whose audio is forwarded; `None`: everyone's.
    pub speakers: Option<HashSet<String>>,
    /// Points every subscriber shows large: forwarded at the high layer.
    pub stage: Vec<String>,
    /// The point whose shared screen every presentation slot carries.
    pub presentation: Option<String>,
    /// The room is being recorded: every point's media is handed to the shell
    /// ([`Sfu::take_recorded`]) as it arrives, and every point sends video.
    pub record: bool,
}

/// Which of a point's media a [`RecordedPacket`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordedKind {
    Audio,
    Camera,
    Screen,
}

/// One packet a point published in a room being recorded: decrypted, the first copy of it
/// (a retransmission of a lost packet arrives later with its own sequence number), of the
/// highest simulcast layer flowing. Audio a point had no right to send is not recorded.
#[derive(Debug, Clone)]
pub struct RecordedPacket {
    pub room: Arc<BriefingId>,
    pub peer: PeerId,
    /// The point's name.
    pub label: Arc<str>,
    pub kind: RecordedKind,
    /// The RTP stream: it changes when the recorded simulcast layer does, or when the point's
    /// sender starts over.
    pub ssrc: u32,
    /// Extended sequence number (no wrap) within the stream.
    pub seq: u64,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Arc<[u8]>,
    pub at: Instant,
}

/// Most recorded packets held for the shell between two [`Sfu::take_recorded`]. The shell
/// takes them after every batch of input; beyond this (a shell that does not), the newest are
/// dropped and counted.
pub const RECORDED_QUEUE: usize = 16_384;

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
    /// The loudest voices of each room in open mode.
    voices: HashMap<Arc<BriefingId>, RoomVoices>,
    /// Peers with slot changes to tell.
    to_tell: Vec<PeerId>,
    /// Deadlines of the peers, earliest first. An entry is stale when its peer left or has
    /// a newer deadline; stale entries are dropped when they reach the top. This keeps
    /// [`Sfu::poll_timeout`] and [`Sfu::handle_timeout`] from visiting every peer.
    timeouts: BinaryHeap<Reverse<(Instant, PeerId)>>,
    dirty: Vec<PeerId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SfuEvent>,
    counters: SfuCounters,
    /// Packets of rooms being recorded, for the shell.
    recorded: Vec<RecordedPacket>,
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
    /// The peer's egress estimate changed: fit its thumbnails into it.
    Allocate(PeerId),
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
            voices: HashMap::new(),
            to_tell: Vec::new(),
            timeouts: BinaryHeap::new(),
            dirty: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: SfuCounters::default(),
            recorded: Vec::new(),
        }
    }

    /// Adds a peer from its publish offer and returns our answer. The next
    /// [`SfuEvent::Offer`] opens the peer's receive `slots`; [`SfuEvent::Slots`] then says which
    /// point of `room` each one carries.
    pub fn add_peer(
        &mut self,
        now: Instant,
        id: PeerId,
        room: BriefingId,
        label: String,
        offer_sdp: &str,
        slots: SlotCounts,
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
            // can take the high simulcast layer. It starts where the slots need it (at
            // least the configured start): starting lower, the pacer would hold a host's
            // thumbnails back for seconds while the estimate climbs; a short link is found
            // out by its losses within a second.
            let start = kbps.max(slots.desired_kbps());
            builder = builder.enable_bwe(Some(Bitrate::kbps(start)));
        }
        let mut rtc = builder.build(now);
        if self.config.bwe_initial_kbps.is_some() {
            // Probe for what the slots can carry: a host's page of 25 thumbnails needs far
            // more than a bridge point's 6.
            rtc.bwe()
                .set_bitrate(Bitrate::kbps(300), Bitrate::kbps(slots.desired_kbps()));
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
        peer.screen_mid = slots.presentation_mid.as_deref().map(Mid::from);
        peer.low_bandwidth = LowBandwidthWatch::new(
            self.config.audio_only_below_kbps,
            self.config.audio_only_after,
        );
        // The receive slots: negotiated in the first offer, never changed after.
        peer.slots = slots
            .roles()
            .enumerate()
            .map(|(i, role)| {
                let kind = match role {
                    SlotRole::Audio => MediaKind::Audio,
                    _ => MediaKind::Video,
                };
                RecvSlot::new(id, i, role, kind)
            })
            .collect();
        self.rooms.entry(room.clone()).or_default().push(id);
        self.peers.insert(id, peer);
        debug!(%id, "peer added");
        self.mark_dirty(id);
        self.assign_room(now, &room);
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
        let mut opened = false;
        for slot in &mut peer.slots {
            if let SlotState::Negotiating(mid) = slot.state {
                slot.state = SlotState::Open(mid);
                opened = true;
                if slot.kind == MediaKind::Video
                    && let Some(stream) = peer.rtc.direct_api().stream_tx_by_mid(mid, None)
                {
                    // Before anything is sent on it (the cache is started over).
                    stream.set_rtx_cache(
                        self.config.video_send_buffer,
                        VIDEO_RESEND_WINDOW,
                        // str0m's default: resends are dropped past 15 % of what is sent.
                        Some(0.15),
                    );
                }
            }
        }
        if opened {
            // The slots can carry media now: fill them (a video slot asks its source for
            // the keyframe it starts on).
            let room = peer.room.clone();
            self.assign_room(now, &room);
        }
        self.mark_dirty(id);
        self.drive(now);
        Ok(())
    }

    /// Removes a peer; the slots that carried it carry other points, or nothing.
    pub fn remove_peer(&mut self, now: Instant, id: PeerId) {
        let Some(mut peer) = self.peers.remove(&id) else {
            return;
        };
        peer.rtc.disconnect();
        self.by_addr.retain(|_, p| *p != id);
        if let Some(voices) = self.voices.get_mut(&peer.room) {
            voices.selector.remove(id);
            voices.selected.retain(|p| *p != id);
        }
        if let Some(members) = self.rooms.get_mut(&peer.room) {
            members.retain(|m| *m != id);
            if members.is_empty() {
                self.rooms.remove(&peer.room);
                self.voices.remove(&peer.room);
            }
        }
        debug!(%id, "peer removed");
        // The slots that carried it get other points, or nothing.
        self.assign_room(now, &peer.room);
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
        let raw = contents;
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
        if let Some(unknown) = crate::stun_check::unknown_required(raw) {
            // str0m would skip what it does not know and answer with a success.
            let password = peer.rtc.direct_api().local_ice_credentials().pass;
            match unknown.answer(raw, &password) {
                Some(answer) => {
                    debug!(%id, %source, types = ?unknown.types, "binding request with unknown comprehension-required attributes: 420");
                    self.transmits.push_back(Transmit {
                        proto: protocol,
                        source: advertised,
                        destination: source,
                        contents: answer.into(),
                    });
                }
                None => self.counters.datagrams_dropped += 1,
            }
            return true;
        }
        if !peer.twcc.admits(raw) {
            self.counters.datagrams_dropped += 1;
            debug!(%id, %source, "RTP packet whose transport-wide sequence number wraps dropped");
            return true;
        }
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
    pub fn set_audio_only(&mut self, now: Instant, peer: PeerId, on: bool) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.audio_only = on;
            let room = p.room.clone();
            self.assign_room(now, &room);
            self.drive(now);
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
    pub fn set_room_policy(&mut self, now: Instant, room: &BriefingId, policy: RoomPolicy) {
        if self.policies.get(room) == Some(&policy) {
            return;
        }
        self.policies.insert(room.clone(), policy);
        if let Some((room, _)) = self.rooms.get_key_value(room) {
            let room = room.clone();
            self.assign_room(now, &room);
            self.drive(now);
        }
    }

    /// Sets the points whose thumbnails `peer` displays, in order (`None`: the first points
    /// of the room). Its page slots carry the first of them that publish video; names beyond
    /// its page slots, and names of no point in the room, are ignored.
    pub fn set_view(&mut self, now: Instant, peer: PeerId, thumbnails: Option<Vec<String>>) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.view == thumbnails {
            return;
        }
        let page = p.slots.iter().filter(|s| s.role == SlotRole::Page).count();
        if let Some(view) = &thumbnails
            && view.len() > page
        {
            debug!(%peer, listed = view.len(), page, "view lists more points than page slots: the first are shown");
        }
        p.view = thumbnails;
        let room = p.room.clone();
        self.assign_room(now, &room);
        self.drive(now);
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
    /// Moves the packets recorded since the last call into `out` (see [`RoomPolicy::record`]).
    pub fn take_recorded(&mut self, out: &mut Vec<RecordedPacket>) {
        out.append(&mut self.recorded);
    }

    /// Asks `peer` for a keyframe of the video it publishes (its camera, or its shared screen),
    /// on the layer being recorded. Throttled like subscribers' requests.
    pub fn request_recording_keyframe(&mut self, now: Instant, peer: PeerId, screen: bool) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        let Some(track) = p.track(MediaKind::Video, screen) else {
            return;
        };
        let layer = recorded_layer(track, now);
        self.request_keyframe(now, (peer, layer), screen, KeyframeRequestKind::Pli);
        self.drive(now);
    }

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
        self.tell_slots();
    }

    /// Tells every peer whose slots changed source which points they carry now.
    fn tell_slots(&mut self) {
        let mut changes = Vec::new();
        for id in std::mem::take(&mut self.to_tell) {
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            for slot in &mut peer.slots {
                if let (Some(since_ts), Some(mid)) = (slot.tell, slot.mid()) {
                    slot.tell = None;
                    // A paused slot names the point it waits to show.
                    let (point, paused) = match slot.paused {
                        true => (slot.want, true),
                        false => (slot.told, false),
                    };
                    changes.push((id, mid, point, since_ts, paused));
                }
            }
        }
        let mut feeds: Vec<SlotFeed> = Vec::new();
        let mut current = None;
        for (id, mid, told, since_ts, paused) in changes {
            if current.is_some_and(|c| c != id) {
                let peer = current.take().expect("checked");
                self.events.push_back(SfuEvent::Slots {
                    peer,
                    feeds: std::mem::take(&mut feeds),
                });
            }
            current = Some(id);
            feeds.push(SlotFeed {
                mid: mid.to_string(),
                point: told
                    .and_then(|p| self.peers.get(&p))
                    .map(|p| p.label.to_string()),
                since_ts,
                paused,
            });
        }
        if let Some(peer) = current {
            self.events.push_back(SfuEvent::Slots { peer, feeds });
        }
    }

    fn apply(&mut self, now: Instant, action: Action) {
        match action {
            Action::Forward(from, mid, rid, packet) => self.forward(now, from, mid, rid, packet),
            Action::KeyframeRequest(from, req) => {
                // The subscriber asks for the source and layer its slot carries now.
                let source = self.peers.get(&from).and_then(|p| p.source_of(req.mid));
                if let Some((source, screen)) = source {
                    self.request_keyframe(now, source, screen, req.kind);
                }
            }
            Action::Published(from, mid, kind, rids) => self.published(now, from, mid, kind, rids),
            Action::Allocate(id) => self.allocate(now, id),
        }
    }

    /// Fits what `id` receives into its egress estimate: audio first, then the stage (at the
    /// high layer when the estimate allows), then as many thumbnails as the rest carries, the
    /// first of its view first; the others are paused and the client says so (the rule:
    /// [`allocator::thumbnails`]).
    fn allocate(&mut self, now: Instant, id: PeerId) {
        let high_min = self.config.high_layer_min_kbps;
        let Some(peer) = self.peers.get(&id) else {
            return;
        };
        let Some(kbps) = peer.bwe_kbps else {
            return;
        };
        let mut used = 0;
        for slot in peer.slots.iter().filter(|s| s.want.is_some()) {
            used += match slot.role {
                SlotRole::Audio => AUDIO_KBPS,
                SlotRole::Page => 0,
                _ if kbps >= high_min => HIGH_KBPS,
                _ => LOW_KBPS,
            };
        }
        // Page slots with a point, the first of the view first.
        let rank = |p: PeerId| {
            let label = self.peers.get(&p).map(|p| p.label.clone());
            peer.view
                .as_ref()
                .and_then(|v| v.iter().position(|n| Some(&**n) == label.as_deref()))
                .unwrap_or(usize::MAX)
        };
        let mut page: Vec<(usize, usize)> = peer
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                (s.role == SlotRole::Page).then_some(s.want.map(|w| (rank(w), i)))?
            })
            .collect();
        page.sort_unstable();
        let active = page.iter().filter(|(_, i)| !peer.slots[*i].paused).count();
        let may_resume = peer
            .last_allocation
            .is_none_or(|t| now.saturating_duration_since(t) >= RESUME_AFTER);
        let by_estimate = allocator::thumbnails(kbps, used, page.len(), active, may_resume);
        let target = allocator::gated(
            by_estimate,
            page.len(),
            active,
            peer.congestion.congested(now),
            peer.congestion.calm_for(now),
            may_resume,
        );
        if target == active
            && page
                .iter()
                .take(target)
                .all(|(_, i)| !peer.slots[*i].paused)
        {
            return;
        }
        let Some(peer) = self.peers.get_mut(&id) else {
            return;
        };
        peer.last_allocation = Some(now);
        let mut tell = false;
        for (n, (_, index)) in page.iter().enumerate() {
            let slot = &mut peer.slots[*index];
            let pause = n >= target;
            if pause == slot.paused {
                continue;
            }
            slot.paused = pause;
            if pause {
                debug!(peer = %id, slot = index, kbps, "thumbnail paused: the link is short");
                let after = slot.munger.timestamp_after();
                slot.munger.switch_to(now, None);
                slot.note_source(after);
                // Said even when the slot had not started: the tile says why it is empty.
                slot.tell = Some(after);
                tell = true;
            } else {
                debug!(peer = %id, slot = index, kbps, "thumbnail resumed");
            }
        }
        if tell {
            self.to_tell.push(id);
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
            debug!(peer = %from, %mid, %rid, "simulcast layer not in the offer: learnt from the media");
            track.rids.push(rid);
        }
        let restarted = track.restarted(rid, packet.header.ssrc);
        if restarted {
            debug!(peer = %from, %mid, ?rid, ssrc = %packet.header.ssrc, "stream started over");
        }
        let kind = track.kind;
        let screen = track.screen;
        track.saw(rid, now);
        let low_rid = track.rid_for(Layer::Low);
        // The high layer only while it flows; a stage slot takes the low one meanwhile.
        let high_rid = recorded_layer(track, now);
        publisher.last_in[kind_index(kind)] = Some(now);
        let pt = packet.header.payload_type;
        let Some(params) = publisher.rtc.codec_config().find(|p| p.pt() == pt).copied() else {
            trace!(peer = %from, %mid, "packet of an unknown payload type dropped");
            return;
        };
        let room = publisher.room.clone();
        let policy = self.policies.get(&*room);
        let recorded_as = policy
            .is_some_and(|p| p.record)
            .then(|| (publisher.label.clone(), *packet.header.ssrc))
            .filter(|_| kind == MediaKind::Audio || rid == high_rid);
        if kind == MediaKind::Audio {
            if policy
                .and_then(|p| p.speakers.as_ref())
                .is_some_and(|speakers| !speakers.contains(&*publisher.label))
            {
                // The briefing gives this point no right to speak: the server, not the
                // client's mute button, keeps it silent.
                self.counters.audio_frames_gated += 1;
                return;
            }
            if policy.is_none_or(|p| p.speakers.is_none()) {
                self.hear(now, &room, from, packet.header.ext_vals.audio_level);
            }
        }
        if let Some((label, ssrc)) = recorded_as {
            if self.recorded.len() < RECORDED_QUEUE {
                self.recorded.push(RecordedPacket {
                    room: room.clone(),
                    peer: from,
                    label,
                    kind: match (kind, screen) {
                        (MediaKind::Audio, _) => RecordedKind::Audio,
                        (_, false) => RecordedKind::Camera,
                        (_, true) => RecordedKind::Screen,
                    },
                    ssrc,
                    seq: *packet.seq_no,
                    timestamp: packet.header.timestamp,
                    marker: packet.header.marker,
                    payload: packet.payload.clone(),
                    at: now,
                });
            } else {
                self.counters.recorded_dropped += 1;
            }
        }
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
        let Some(publisher) = self.peers.get_mut(&from) else {
            return;
        };
        let mut feeds = std::mem::take(&mut publisher.feeds[feed_index(kind, screen)]);
        let Sfu {
            peers,
            timeouts,
            counters,
            to_tell,
            ..
        } = self;
        feeds.retain(|&(member, index)| {
            let Some(peer) = peers.get_mut(&member) else {
                return false;
            };
            let high_ok = peer.bwe_kbps.is_none_or(|kbps| kbps >= min_high_kbps);
            let Some(slot) = peer.slots.get_mut(index) else {
                return false;
            };
            if slot.kind != kind
                || (slot.role == SlotRole::Presentation) != screen
                || !slot.involves(from)
            {
                return false;
            }
            let Some(out_mid) = slot.mid() else {
                return true;
            };
            if slot.paused {
                // The link is short: this thumbnail waits (see `allocate`).
                return true;
            }
            if slot.want == Some(from) {
                let layer = match kind {
                    MediaKind::Audio => None,
                    // The stage gets the high layer when the link carries it.
                    MediaKind::Video if slot.role == SlotRole::Stage && high_ok => high_rid,
                    MediaKind::Video => low_rid,
                };
                let want = Some((from, layer));
                if slot.munger.target() != want {
                    // A switch waits for a keyframe of the new layer; until then the old one
                    // keeps the picture moving.
                    if let Some(SlotRequest::Keyframe((_, layer))) =
                        slot.munger.switch_to(now, want)
                    {
                        wanted_keyframes[usize::from(layer != high_rid)] = Some(layer);
                    }
                }
            }
            if slot.munger.pending().is_some_and(|(p, _)| p == from)
                && slot.munger.poll_timeout().is_some_and(|t| t <= now)
                && let Some(SlotRequest::Keyframe((_, layer))) = slot.munger.handle_timeout(now)
            {
                wanted_keyframes[usize::from(layer != high_rid)] = Some(layer);
            }
            if restarted {
                slot.munger.restart((from, rid));
            }
            let out_pt = match slot.pt_map {
                Some((from_pt, to_pt)) if from_pt == pt => to_pt,
                _ => {
                    let Some(to_pt) = subscriber_pt(&peer.rtc, out_mid, params) else {
                        trace!(peer = %member, %out_mid, "no matching payload type: not forwarded");
                        return true;
                    };
                    slot.pt_map = Some((pt, to_pt));
                    to_pt
                }
            };
            let mut api = peer.rtc.direct_api();
            let Some(stream) = api.stream_tx_by_mid(out_mid, None) else {
                return true;
            };
            if kind == MediaKind::Video
                && egress_backlogged(stream)
                && slot.munger.target().is_some_and(|(p, _)| p == from)
            {
                // The subscriber's link does not take what this slot sends: the queue is
                // let drain and the picture starts again at a keyframe, rather than arriving
                // ever later while the queue holds it.
                if let Some(SlotRequest::Keyframe((_, layer))) = slot.munger.resync(now) {
                    debug!(peer = %member, %out_mid, "send queue over its limit: the slot waits for a keyframe");
                    wanted_keyframes[usize::from(layer != high_rid)] = Some(layer);
                    counters.egress_resyncs += 1;
                }
                return true;
            }
            let before = slot.munger.source();
            // Packets of other layers, or of the new source before its keyframe, are dropped.
            let Ok(munged) = slot.munger.on_packet(now, (from, rid), &source_packet) else {
                return true;
            };
            if before != slot.munger.source() {
                if before.is_some_and(|(p, _)| p == from) {
                    counters.layer_switches += 1;
                } else {
                    counters.slot_switches += 1;
                    if slot.note_source(Some(munged.timestamp)) {
                        to_tell.push(member);
                    }
                }
            }
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
            stream.write_rtp(write);
            if kind == MediaKind::Audio || packet.header.marker {
                counters.frames_forwarded += 1;
            }
            peer.last_out[kind_index(kind)] = Some(now);
            // str0m releases a written packet on the stream's next timeout: the subscriber is
            // woken when this batch of datagrams is done (`handle_timeout`), not polled now,
            // so that one timeout and one poll carry every packet the batch wrote for it.
            peer.wake_at(now, timeouts);
            true
        });
        if let Some(publisher) = self.peers.get_mut(&from) {
            // Slots assigned while the packet was forwarded (none today) are kept.
            let list = &mut publisher.feeds[feed_index(kind, screen)];
            feeds.append(list);
            *list = feeds;
        }
        for layer in wanted_keyframes.into_iter().flatten() {
            self.request_keyframe(now, (from, layer), screen, KeyframeRequestKind::Pli);
        }
    }

    /// Takes the RFC 6464 level of an audio packet of `from` (open mode): every so often the
    /// room's loudest voices are chosen again, and the audio slots follow.
    fn hear(&mut self, now: Instant, room: &Arc<BriefingId>, from: PeerId, level: Option<i8>) {
        let voices = self
            .voices
            .entry(room.clone())
            .or_insert_with(|| RoomVoices::new(now));
        // A source that does not tell its level competes as barely audible.
        let level = level.map_or(SILENT_LEVEL - 1, |l| l.unsigned_abs().min(127));
        voices.selector.observe(now, from, level);
        if now < voices.next_selection {
            return;
        }
        voices.next_selection = now + VOICE_SELECTION_INTERVAL;
        let pinned = self.stage_peers(room);
        let Some(voices) = self.voices.get_mut(room) else {
            return;
        };
        let selected = voices.selector.select(now, &pinned);
        if selected != voices.selected {
            voices.selected = selected;
            self.assign_room(now, room);
        }
    }

    fn published(&mut self, now: Instant, from: PeerId, mid: Mid, kind: MediaKind, rids: Vec<Rid>) {
        let Some(publisher) = self.peers.get_mut(&from) else {
            return;
        };
        let screen = publisher.screen_mid == Some(mid);
        if screen && kind != MediaKind::Video {
            return;
        }
        if publisher
            .tracks_in
            .iter()
            .any(|t| t.mid == mid || (t.kind == kind && t.screen == screen))
        {
            // One microphone, one camera and one screen per point; the signalling refuses
            // more.
            return;
        }
        publisher
            .tracks_in
            .push(TrackIn::new(mid, kind, screen, rids));
        let room = publisher.room.clone();
        self.assign_room(now, &room);
    }

    /// The peers on `room`'s stage, in the policy's order.
    fn stage_peers(&self, room: &BriefingId) -> Vec<PeerId> {
        let Some(policy) = self.policies.get(room) else {
            return Vec::new();
        };
        let members = self.rooms.get(room).map(Vec::as_slice).unwrap_or_default();
        policy
            .stage
            .iter()
            .filter_map(|name| self.newest_named(members, name))
            .collect()
    }

    /// The newest member called `name` (a point that reconnects briefly has two).
    fn newest_named(&self, members: &[PeerId], name: &str) -> Option<PeerId> {
        members
            .iter()
            .rev()
            .copied()
            .find(|m| self.peers.get(m).is_some_and(|p| *p.label == *name))
    }

    /// Decides which point each slot of each member of `room` carries: stage slots the stage,
    /// page slots the points of the member's view, the presentation slot the presenter's
    /// screen, audio slots the voices. A slot keeps its
    /// point while that point is still wanted, so that a change moves as little as possible.
    fn assign_room(&mut self, now: Instant, room: &Arc<BriefingId>) {
        let Some(members) = self.rooms.get(&**room).cloned() else {
            return;
        };
        let policy = self.policies.get(&**room);
        let publishes = |p: &PeerId, kind: MediaKind| {
            self.peers
                .get(p)
                .is_some_and(|p| p.track(kind, false).is_some())
        };
        let presenter: Option<PeerId> = policy
            .and_then(|p| p.presentation.as_deref())
            .and_then(|name| self.newest_named(&members, name))
            .filter(|p| {
                self.peers
                    .get(p)
                    .is_some_and(|p| p.track(MediaKind::Video, true).is_some())
            });
        let stage = self.stage_peers(room);
        let voices: Vec<PeerId> = match policy.and_then(|p| p.speakers.as_ref()) {
            // Directed: whoever has the right to speak, the stage first.
            Some(speakers) => {
                let mut named: Vec<PeerId> = stage.clone();
                let mut others: Vec<&String> = speakers.iter().collect();
                others.sort();
                named.extend(
                    others
                        .into_iter()
                        .filter_map(|n| self.newest_named(&members, n)),
                );
                dedup(named)
            }
            // Open: the stage, then the loudest.
            None => {
                let mut named = stage.clone();
                if let Some(v) = self.voices.get(&**room) {
                    named.extend(v.selected.iter().copied());
                }
                dedup(named)
            }
        };
        let mut plans = Vec::with_capacity(members.len());
        for &member in &members {
            let Some(peer) = self.peers.get(&member) else {
                continue;
            };
            let video_ok = !peer.audio_only;
            let stage_video: Vec<PeerId> = stage
                .iter()
                .copied()
                .filter(|p| video_ok && *p != member && publishes(p, MediaKind::Video))
                .collect();
            let listed: Vec<PeerId> = match &peer.view {
                Some(names) => names
                    .iter()
                    .filter_map(|n| self.newest_named(&members, n))
                    .collect(),
                None => members.clone(),
            };
            let page: Vec<PeerId> = dedup(listed)
                .into_iter()
                .filter(|p| {
                    video_ok && *p != member && !stage.contains(p) && publishes(p, MediaKind::Video)
                })
                .collect();
            let audio: Vec<PeerId> = voices
                .iter()
                .copied()
                .filter(|p| *p != member && publishes(p, MediaKind::Audio))
                .collect();
            let presentation: Vec<PeerId> = presenter
                .filter(|p| video_ok && *p != member)
                .into_iter()
                .collect();
            plans.push((member, [stage_video, presentation, page, audio]));
        }
        for (member, wanted) in plans {
            if self.assign_peer(now, member, &wanted) {
                self.allocate(now, member);
            }
        }
        let recorded = self.policies.get(&**room).is_some_and(|p| p.record);
        self.tell_publishers(
            &members,
            policy_speakers(self.policies.get(&**room)),
            recorded,
        );
    }

    /// Tells each publisher of `members` what of its media is received, when that changed.
    /// While the room is `recorded`, everybody's low layer at least is wanted.
    fn tell_publishers(
        &mut self,
        members: &[PeerId],
        speakers: Option<HashSet<String>>,
        recorded: bool,
    ) {
        // (high, low) wanted per publisher.
        let mut video: HashMap<PeerId, (bool, bool)> = HashMap::new();
        if recorded {
            for member in members {
                video.insert(*member, (false, true));
            }
        }
        for member in members {
            let Some(peer) = self.peers.get(member) else {
                continue;
            };
            let cameras = peer
                .slots
                .iter()
                .filter(|s| s.kind == MediaKind::Video && s.role != SlotRole::Presentation);
            for slot in cameras {
                let Some(source) = slot.want else { continue };
                let entry = video.entry(source).or_default();
                // The low layer also stands in for the high one while that does not flow.
                entry.1 = true;
                entry.0 |= slot.role == SlotRole::Stage;
            }
        }
        for member in members {
            let Some(peer) = self.peers.get_mut(member) else {
                continue;
            };
            if peer.tracks_in.is_empty() {
                // Nothing published yet: nothing to tell.
                continue;
            }
            let (high, low) = video.get(member).copied().unwrap_or_default();
            let layers = match peer.track(MediaKind::Video, false) {
                Some(track) if !track.rids.is_empty() => {
                    let (h, l) = (track.rid_for(Layer::High), track.rid_for(Layer::Low));
                    track
                        .rids
                        .iter()
                        .filter(|r| (high && Some(**r) == h) || (low && Some(**r) == l))
                        .map(|r| r.to_string())
                        .collect()
                }
                _ => Vec::new(),
            };
            let wanted = Wanted {
                video: high || low,
                layers,
                audio: speakers.as_ref().is_none_or(|s| s.contains(&*peer.label)),
            };
            if peer.wanted.as_ref() != Some(&wanted) {
                peer.wanted = Some(wanted.clone());
                self.events.push_back(SfuEvent::Publish {
                    peer: *member,
                    wanted,
                });
            }
        }
    }

    /// Points the slots of `member` at the `wanted` points of each role (stage,
    /// presentation, page, audio), keeping the slots whose point is still wanted. Returns
    /// whether any slot changed.
    fn assign_peer(&mut self, now: Instant, member: PeerId, wanted: &[Vec<PeerId>; 4]) -> bool {
        let Some(peer) = self.peers.get_mut(&member) else {
            return false;
        };
        let mut changed: Vec<(usize, Option<PeerId>, usize)> = Vec::new();
        let mut retold = false;
        for (role, wanted) in ROLES.iter().zip(wanted) {
            let indices: Vec<usize> = (0..peer.slots.len())
                .filter(|&i| peer.slots[i].role == *role)
                .collect();
            let wanted = &wanted[..wanted.len().min(indices.len())];
            let mut placed: Vec<PeerId> = Vec::with_capacity(wanted.len());
            let mut free = Vec::new();
            for &i in &indices {
                match peer.slots[i].want {
                    Some(p) if wanted.contains(&p) && !placed.contains(&p) => placed.push(p),
                    _ => free.push(i),
                }
            }
            let mut newcomers = wanted.iter().filter(|p| !placed.contains(p));
            for i in free {
                let next = newcomers.next().copied();
                if peer.slots[i].want != next {
                    peer.slots[i].want = next;
                    // A paused slot was told with the point it waited for: whatever it is for
                    // now (another point, or nothing), the client must hear it.
                    if std::mem::take(&mut peer.slots[i].paused) {
                        let after = peer.slots[i].munger.timestamp_after();
                        if peer.slots[i].retell(after) {
                            retold = true;
                        }
                    }
                    let slot = &peer.slots[i];
                    let feed = feed_index(slot.kind, slot.role == SlotRole::Presentation);
                    changed.push((i, next, feed));
                }
            }
        }
        if changed.is_empty() {
            return false;
        }
        let mut keyframes = Vec::new();
        let mut tell = retold;
        for &(index, want, _) in &changed {
            let slot = &mut peer.slots[index];
            match want {
                None => {
                    // Nothing to show: stop at once. Frames still on their way are the old
                    // point's: they come before this timestamp.
                    let after = slot.munger.timestamp_after();
                    slot.munger.switch_to(now, None);
                    tell |= slot.note_source(after);
                }
                // Audio switches on the source's next packet; video asks for a keyframe now,
                // and the first packet of the source switches the slot to the exact layer.
                Some(source) if slot.kind == MediaKind::Video && slot.mid().is_some() => {
                    keyframes.push((source, slot.role == SlotRole::Presentation));
                }
                Some(_) => {}
            }
        }
        if tell {
            self.to_tell.push(member);
        }
        for &(index, want, kind) in &changed {
            if let Some(source) = want
                && let Some(p) = self.peers.get_mut(&source)
                && !p.feeds[kind].contains(&(member, index))
            {
                p.feeds[kind].push((member, index));
            }
        }
        for (source, screen) in keyframes {
            let layer = self.peers.get(&source).and_then(|p| {
                p.track(MediaKind::Video, screen)
                    .map(|t| t.rid_for(Layer::Low))
            });
            if let Some(layer) = layer {
                self.request_keyframe(now, (source, layer), screen, KeyframeRequestKind::Pli);
            }
        }
        true
    }

    fn request_keyframe(
        &mut self,
        now: Instant,
        (source, rid): SourceKey,
        screen: bool,
        kind: KeyframeRequestKind,
    ) {
        let interval = self.config.keyframe_request_interval;
        let Some(peer) = self.peers.get_mut(&source) else {
            return;
        };
        let Some(track) = peer
            .tracks_in
            .iter_mut()
            .find(|t| t.kind == MediaKind::Video && t.screen == screen)
        else {
            return;
        };
        let mid = track.mid;
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

/// How long a video packet sent to a subscriber is kept for its NACKs (str0m keeps 3 s).
/// A receiver asks again within a few round trips and stops once the frame is past its jitter
/// buffer; a second and a half covers three tries on a 400 ms rural link, and halves the
/// memory each slot's cache takes (about 70 kB per point).
pub const VIDEO_RESEND_WINDOW: Duration = Duration::from_millis(1_500);

/// How long a packet may wait in a subscriber's send queue (str0m's pacer) before the SFU
/// stops adding to it. The pacer sends at the link's estimate; when the estimate falls, or
/// the media thread is starved of CPU, the queue grows without limit and the picture falls
/// seconds behind. A keyframe of a large picture at a modest estimate takes a few hundred
/// milliseconds: the limit stays above that.
pub const EGRESS_QUEUE_LIMIT: Duration = Duration::from_millis(1_000);

/// Packets a subscriber's send queue may hold for one slot, whatever their age (the queue's
/// age is sampled when str0m's pacer runs): about 1.4 MB of video.
pub const EGRESS_QUEUE_PACKETS: usize = 1_200;

/// Whether the send queue of the slot `mid` towards a subscriber was over its limits when
/// str0m last sampled it. The age is the sample's own (its oldest packet against the time it
/// was taken): a sample taken while a backlog drained must not keep the slot dark once the
/// queue is empty, nor drop the keyframe that restarts it.
fn egress_backlogged(stream: &StreamTx) -> bool {
    let Some(info) = stream.queue_info() else {
        return false;
    };
    info.packet_count() > EGRESS_QUEUE_PACKETS
        || info
            .first_unsent()
            .is_some_and(|at| info.created_at().saturating_duration_since(at) > EGRESS_QUEUE_LIMIT)
}

/// The layer of `track` a recording takes: the high one while it flows, else the low one.
fn recorded_layer(track: &TrackIn, now: Instant) -> Option<Rid> {
    Some(track.rid_for(Layer::High))
        .filter(|h| track.flowing(*h, now))
        .unwrap_or_else(|| track.rid_for(Layer::Low))
}

/// The points with the right to speak in directed mode; `None` in open mode.
fn policy_speakers(policy: Option<&RoomPolicy>) -> Option<HashSet<String>> {
    policy.and_then(|p| p.speakers.clone())
}

/// The slot roles in the order [`Sfu::assign_peer`] takes its wanted points.
const ROLES: [SlotRole; 4] = [
    SlotRole::Stage,
    SlotRole::Presentation,
    SlotRole::Page,
    SlotRole::Audio,
];

/// RFC 6464 levels (−dBov) at or above this are silence for the choice of voices.
const SILENT_LEVEL: u8 = 70;

/// How often a room's loudest voices are chosen again.
const VOICE_SELECTION_INTERVAL: Duration = Duration::from_millis(200);

/// The voices of one room in open mode.
struct RoomVoices {
    selector: SpeakerSelector<PeerId>,
    /// The loudest points now, besides the stage.
    selected: Vec<PeerId>,
    next_selection: Instant,
}

impl RoomVoices {
    fn new(now: Instant) -> RoomVoices {
        RoomVoices {
            // One more than a subscriber's audio slots: a subscriber does not hear itself.
            selector: SpeakerSelector::new(SpeakerConfig {
                slots: SlotCounts::with_page(0).audio + 1,
                silence_dbov: SILENT_LEVEL,
                ..SpeakerConfig::default()
            }),
            selected: Vec::new(),
            next_selection: now,
        }
    }
}

/// `points` without repeats, in their first order.
fn dedup(points: Vec<PeerId>) -> Vec<PeerId> {
    let mut seen = Vec::with_capacity(points.len());
    for p in points {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen
}

/// The payload type on `mid` of the subscriber's session that carries what `params` describes
/// in the publisher's.
fn subscriber_pt(rtc: &Rtc, mid: Mid, params: PayloadParams) -> Option<Pt> {
    let pt = rtc.codec_config().match_params(params)?.pt();
    let media = rtc.media(mid)?;
    (media.remote_pts().is_empty() || media.remote_pts().contains(&pt)).then_some(pt)
}

/// Builds the next offer for `peer`: its receive slots the first time, new ICE credentials
/// on a restart.
fn negotiate(peer: &mut Peer) -> Option<SfuEvent> {
    let mut api = peer.rtc.sdp_api();
    if std::mem::take(&mut peer.ice_restart) {
        // New credentials, the same candidates (RFC 8445 §9): the browser checks again from
        // whatever network it is on now.
        api.ice_restart(true);
    }
    for (index, slot) in peer.slots.iter_mut().enumerate() {
        if slot.state == SlotState::ToOpen {
            // msid identifiers must be SDP tokens (RFC 8830 §2): the slot's number. Which
            // point it carries travels in the signalling.
            let mid = api.add_media(
                slot.kind,
                Direction::SendOnly,
                Some("giaoban".to_string()),
                Some(format!("slot{index}")),
                None,
            );
            slot.state = SlotState::Negotiating(mid);
        }
    }
    if !api.has_changes() {
        return None;
    }
    let (offer, pending) = api.apply()?;
    peer.pending = Some(pending);
    let slots = if peer
        .slots
        .iter()
        .any(|s| matches!(s.state, SlotState::Negotiating(_)))
    {
        peer.slot_list()
    } else {
        Vec::new()
    };
    Some(SfuEvent::Offer {
        peer: peer.id,
        sdp: offer.to_sdp_string(),
        slots,
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
                    let twcc = packet.header.ext_vals.transport_cc;
                    let mid = match peer.rtc.direct_api().stream_rx(&ssrc) {
                        Some(stream) => {
                            let mid = stream.mid();
                            actions.push(Action::Forward(peer.id, mid, stream.rid(), packet));
                            Some(mid)
                        }
                        None => {
                            trace!(peer = %peer.id, %ssrc, "packet of no stream dropped");
                            None
                        }
                    };
                    peer.twcc
                        .register(mid.and_then(|m| peer.rtc.media(m)), twcc);
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
                    peer.congestion.observe(now, stats.egress_loss_fraction);
                    actions.push(Action::Allocate(peer.id));
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
                    actions.push(Action::Allocate(peer.id));
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
