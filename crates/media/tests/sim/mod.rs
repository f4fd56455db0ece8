//! A deterministic network of simulated bridge points around one [`Sfu`]: str0m peers that
//! behave like the browser client (publish one audio and one video track, answer the
//! server's offers), virtual time, seeded loss. No sockets.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use giaoban_media::{MediaAddress, PeerId, Sfu, SfuConfig, SfuEvent, SlotCounts};
use giaoban_model::{BriefingId, SlotRole, TrackKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::crypto::CryptoProvider;
use str0m::format::Codec;
use str0m::media::{
    Direction, KeyframeRequestKind, MediaKind, MediaTime, Mid, Rid, Simulcast, SimulcastLayer,
};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

pub const SERVER: &str = "127.0.0.1:50000";

/// One datagram on the simulated wire.
struct InFlight {
    at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// A simulated bridge point.
pub struct Client {
    pub name: String,
    pub room: BriefingId,
    pub addr: SocketAddr,
    pub peer: PeerId,
    pub rtc: Rtc,
    pub audio_mid: Mid,
    pub video_mid: Mid,
    /// The m-line of its shared screen, if it joined able to present.
    screen_mid: Option<Mid>,
    /// Sends screen frames (marked `S` in byte 9) on `screen_mid`.
    pub presenting: bool,
    /// Screen frames received in presentation slots, by presenter.
    pub screens_received: HashMap<String, u64>,
    /// Frames in a slot of the wrong role: a screen in a camera slot or a camera in the
    /// presentation slot.
    pub crossed: u64,
    /// The receive slots, from the server's first offer: mid → (role, kind).
    pub slots: HashMap<Mid, (SlotRole, TrackKind)>,
    /// What each slot carries, from the server's `Slots` events: mid → (RTP timestamp of
    /// the first packet, point), oldest first.
    pub feeds: HashMap<Mid, Vec<(u32, Option<String>)>>,
    /// (source point, kind) → frames received. The source is read from the frame itself
    /// (every simulated publisher writes its name into its payloads).
    pub received: HashMap<(String, TrackKind), u64>,
    /// Frames whose slot, as the server described it at the frame's timestamp, named
    /// another point than the one that sent it.
    pub mislabelled: u64,
    /// Frames of slots the server never described.
    pub unlabelled: u64,
    /// Slots the server said are paused for this link now: mid → point.
    pub paused: HashMap<Mid, String>,
    /// Video frames received per simulcast layer (the byte the publisher marks it with).
    pub layers_received: HashMap<u8, u64>,
    pub keyframe_requests: u64,
    keyframe_wanted: bool,
    pub connected: bool,
    /// Whether the server said its media session ended on its own.
    pub disconnected: bool,
    /// Whether this point sends media (subscribers of a fan-out do not).
    pub publishing: bool,
    /// The RFC 6464 level of its audio (−dBov: 0 loudest, 127 silence); `None` sends none.
    pub audio_level: Option<i8>,
    /// Simulcast layers it publishes (`h` and `l`, like the browser client), if any.
    pub layers: Vec<Rid>,
    /// Server offers received.
    pub offers: u64,
    /// What of its media the server last said anybody receives.
    pub wanted: Option<giaoban_media::Wanted>,
    /// Bytes of each video frame it sends (2,400 by default: about 580 kbit/s at 30 frames a
    /// second, a stage picture; a thumbnail is about a quarter of it).
    pub video_bytes: usize,
    /// The server's ICE username fragment and password for this point, from its answer.
    pub server_ice: (String, String),
    next_timeout: Instant,
    ticks: u64,
    pub video_frames_sent: u64,
    /// The longest a camera frame took from its publisher's `write` to its last packet's
    /// arrival here (virtual time).
    pub max_video_delay: Duration,
    /// The simulation's start: frames carry their send time from it.
    epoch: Instant,
}

pub struct Sim {
    pub now: Instant,
    pub sfu: Sfu,
    pub clients: Vec<Client>,
    wire: Vec<InFlight>,
    rng: StdRng,
    /// Probability that a datagram is lost, each direction.
    pub loss: f64,
    /// Points that never answer the server's offers (a stuck or hostile browser).
    pub unanswered: std::collections::HashSet<String>,
    pub latency: Duration,
    next_peer: u64,
    next_port: u16,
    /// Wall-clock time the SFU spent on datagrams (for benchmarks): decrypt, forward,
    /// encrypt. Timers are counted apart in `sfu_busy_timers`.
    pub sfu_busy: Duration,
    pub sfu_busy_timers: Duration,
    /// Datagrams the SFU sent.
    pub sfu_transmits: u64,
    /// The SFU's media address: clients send to `advertised`, which arrives on `local` (a
    /// 1:1 NAT between them when the two differ).
    server: MediaAddress,
    /// The crypto of the points joined from now on (`None`: str0m's default); the fuzz
    /// target of SRTP gives one that keeps the DTLS session's keys.
    pub client_crypto: Option<Arc<CryptoProvider>>,
    /// Virtual time zero.
    epoch: Instant,
}

#[allow(clippy::disallowed_methods)] // measuring the SFU's CPU time in benchmarks
fn wall_clock() -> Instant {
    Instant::now()
}

fn server_addr() -> SocketAddr {
    SERVER.parse().expect("a valid address")
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        Sim::with_config(seed, SfuConfig::new(server_addr()))
    }

    pub fn with_config(seed: u64, config: SfuConfig) -> Sim {
        let server = *config.addresses.first().expect("a media address");
        #[allow(clippy::disallowed_methods)] // the epoch of virtual time
        let now = Instant::now();
        Sim {
            now,
            sfu: Sfu::new(config),
            server,
            clients: Vec::new(),
            wire: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            loss: 0.0,
            unanswered: std::collections::HashSet::new(),
            latency: Duration::from_millis(10),
            next_peer: 1,
            next_port: 40000,
            sfu_busy: Duration::ZERO,
            sfu_busy_timers: Duration::ZERO,
            sfu_transmits: 0,
            client_crypto: None,
            epoch: now,
        }
    }

    /// Joins a new point to `room`: offer, answer, like the browser.
    pub fn join(&mut self, room: &str, name: &str) -> usize {
        self.join_with(room, name, SlotCounts::with_page(6))
    }

    /// Joins a new point whose grid page shows `slots.page` thumbnails.
    pub fn join_with(&mut self, room: &str, name: &str, slots: SlotCounts) -> usize {
        self.join_full(room, name, slots, false, false)
    }

    /// Joins a point that publishes two simulcast layers, `h` and `l`, as the browser does.
    pub fn join_simulcast(&mut self, room: &str, name: &str, slots: SlotCounts) -> usize {
        self.join_full(room, name, slots, true, false)
    }

    /// Joins a point whose offer has a second video m-line for a shared screen.
    pub fn join_presenter(&mut self, room: &str, name: &str) -> usize {
        self.join_full(room, name, SlotCounts::with_page(6), false, true)
    }

    fn join_full(
        &mut self,
        room: &str,
        name: &str,
        slots: SlotCounts,
        simulcast: bool,
        screen: bool,
    ) -> usize {
        let layers: Vec<Rid> = if simulcast {
            vec!["h".into(), "l".into()]
        } else {
            Vec::new()
        };
        let addr: SocketAddr = format!("127.0.0.1:{}", self.next_port).parse().unwrap();
        self.next_port += 1;
        let peer = PeerId(self.next_peer);
        self.next_peer += 1;
        let mut builder = Rtc::builder();
        if let Some(crypto) = &self.client_crypto {
            builder = builder.set_crypto_provider(crypto.clone());
        }
        let mut rtc = builder.build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut api = rtc.sdp_api();
        let audio_mid = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let simulcast = (!layers.is_empty()).then(|| {
            let mut s = Simulcast::new();
            for rid in &layers {
                s.add_send_layer(SimulcastLayer::new(rid));
            }
            s
        });
        let video_mid = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, simulcast);
        let screen_mid =
            screen.then(|| api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
        let (offer, pending) = api.apply().unwrap();
        let slots = slots.presenting_on(screen_mid.map(|m| m.to_string()));
        let answer = self
            .sfu
            .add_peer(
                self.now,
                peer,
                BriefingId(room.into()),
                name.into(),
                &offer.to_sdp_string(),
                slots,
            )
            .unwrap();
        let ice = |key: &str| {
            answer
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .expect("ICE credentials in the answer")
                .to_string()
        };
        let server_ice = (ice("a=ice-ufrag:"), ice("a=ice-pwd:"));
        rtc.sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        self.clients.push(Client {
            name: name.into(),
            room: BriefingId(room.into()),
            addr,
            peer,
            rtc,
            audio_mid,
            video_mid,
            screen_mid,
            presenting: false,
            screens_received: HashMap::new(),
            crossed: 0,
            slots: HashMap::new(),
            feeds: HashMap::new(),
            received: HashMap::new(),
            mislabelled: 0,
            unlabelled: 0,
            paused: HashMap::new(),
            layers_received: HashMap::new(),
            keyframe_requests: 0,
            keyframe_wanted: false,
            connected: false,
            disconnected: false,
            publishing: true,
            audio_level: None,
            layers,
            offers: 0,
            wanted: None,
            video_bytes: 2400,
            server_ice,
            next_timeout: self.now,
            ticks: 0,
            video_frames_sent: 0,
            max_video_delay: Duration::ZERO,
            epoch: self.epoch,
        });
        self.handle_sfu_output();
        self.clients.len() - 1
    }

    /// The point leaves (its signalling connection closed).
    pub fn leave(&mut self, index: usize) {
        let client = self.clients.remove(index);
        self.sfu.remove_peer(self.now, client.peer);
        self.handle_sfu_output();
    }

    pub fn client(&self, name: &str) -> &Client {
        self.clients.iter().find(|c| c.name == name).unwrap()
    }

    pub fn client_mut(&mut self, name: &str) -> &mut Client {
        self.clients.iter_mut().find(|c| c.name == name).unwrap()
    }

    /// Runs the simulation for `duration` of virtual time in 1 ms steps.
    pub fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.step();
            self.now += Duration::from_millis(1);
        }
    }

    /// Runs until `cond` holds or `limit` of virtual time passes; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, mut cond: impl FnMut(&Sim) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if cond(self) {
                return true;
            }
            self.step();
            self.now += Duration::from_millis(1);
        }
        cond(self)
    }

    fn step(&mut self) {
        let now = self.now;
        // Deliver what arrived, in order of arrival.
        let mut arrived = Vec::new();
        let mut i = 0;
        while i < self.wire.len() {
            if self.wire[i].at <= now {
                arrived.push(self.wire.swap_remove(i));
            } else {
                i += 1;
            }
        }
        arrived.sort_by_key(|p| p.at);
        for packet in arrived {
            if packet.to == self.server.advertised {
                let started = wall_clock();
                self.sfu.handle_datagram(
                    now,
                    Protocol::Udp,
                    packet.from,
                    self.server.local,
                    &packet.bytes,
                );
                self.sfu_busy += started.elapsed();
            } else if let Some(client) = self.clients.iter_mut().find(|c| c.addr == packet.to)
                && let Ok(contents) = packet.bytes.as_slice().try_into()
            {
                let input = Input::Receive(
                    now,
                    Receive {
                        proto: Protocol::Udp,
                        source: packet.from,
                        destination: packet.to,
                        contents,
                    },
                );
                let _ = client.rtc.handle_input(input);
            }
        }
        // Timers.
        if self.sfu.poll_timeout().is_some_and(|t| t <= now) {
            let started = wall_clock();
            self.sfu.handle_timeout(now);
            self.sfu_busy_timers += started.elapsed();
        }
        for client in &mut self.clients {
            if client.next_timeout <= now {
                let _ = client.rtc.handle_input(Input::Timeout(now));
            }
        }
        // Synthetic media at real rates: Opus every 20 ms, VP8 at 30 fps.
        for client in &mut self.clients {
            if client.connected && client.publishing {
                client.publish(now);
            }
        }
        self.handle_sfu_output();
        self.poll_clients();
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        if self.loss > 0.0 && self.rng.random_bool(self.loss) {
            return;
        }
        self.wire.push(InFlight {
            at: self.now + self.latency,
            from,
            to,
            bytes,
        });
    }

    fn handle_sfu_output(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.sfu.poll_transmit() {
                progressed = true;
                self.sfu_transmits += 1;
                assert_eq!(
                    t.source, self.server.local,
                    "the SFU sends from the local side of its media address"
                );
                // Through the NAT, if any, the datagram leaves from the advertised address.
                self.send(self.server.advertised, t.destination, t.contents.to_vec());
            }
            while let Some(event) = self.sfu.poll_event() {
                progressed = true;
                if let SfuEvent::Slots { peer, feeds } = &event {
                    let Some(client) = self.clients.iter_mut().find(|c| c.peer == *peer) else {
                        continue;
                    };
                    for feed in feeds {
                        let mid = Mid::from(feed.mid.as_str());
                        assert!(client.slots.contains_key(&mid), "a feed of an unknown slot");
                        match (&feed.point, feed.paused) {
                            (Some(point), true) => {
                                client.paused.insert(mid, point.clone());
                            }
                            _ => {
                                client.paused.remove(&mid);
                            }
                        }
                        let timeline = client.feeds.entry(mid).or_default();
                        timeline.push((feed.since_ts.unwrap_or(0), feed.point.clone()));
                        // Enough history for the frames still in flight.
                        if timeline.len() > 8 {
                            timeline.remove(0);
                        }
                    }
                }
                if let SfuEvent::Disconnected { peer } = &event
                    && let Some(client) = self.clients.iter_mut().find(|c| c.peer == *peer)
                {
                    client.disconnected = true;
                }
                if let SfuEvent::Publish { peer, wanted } = &event
                    && let Some(client) = self.clients.iter_mut().find(|c| c.peer == *peer)
                {
                    client.wanted = Some(wanted.clone());
                }
                if let SfuEvent::Offer { peer, sdp, slots } = event {
                    let Some(client) = self.clients.iter_mut().find(|c| c.peer == peer) else {
                        continue;
                    };
                    client.offers += 1;
                    if !slots.is_empty() {
                        assert!(client.slots.is_empty(), "slots are opened once");
                        client.slots = slots
                            .into_iter()
                            .map(|s| (Mid::from(s.mid.as_str()), (s.role, s.kind)))
                            .collect();
                    }
                    if self.unanswered.contains(&client.name) {
                        continue;
                    }
                    let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
                    let answer = client.rtc.sdp_api().accept_offer(offer).unwrap();
                    self.sfu
                        .handle_answer(self.now, peer, &answer.to_sdp_string())
                        .unwrap();
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn poll_clients(&mut self) {
        let mut out = Vec::new();
        for client in &mut self.clients {
            loop {
                match client.rtc.poll_output() {
                    Ok(Output::Timeout(t)) => {
                        client.next_timeout = t;
                        break;
                    }
                    Ok(Output::Transmit(t)) => {
                        out.push((client.addr, t.destination, t.contents.to_vec()))
                    }
                    Ok(Output::Event(event)) => client.on_event(event, self.now),
                    Err(_) => break,
                }
            }
        }
        for (from, to, bytes) in out {
            self.send(from, to, bytes);
        }
    }
}

impl Client {
    fn on_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::Connected => self.connected = true,
            Event::MediaData(data) => {
                let Some((role, kind)) = self.slots.get(&data.mid) else {
                    return;
                };
                let screen_frame = *kind == TrackKind::Video && data.data.get(9) == Some(&b'S');
                if screen_frame != (*role == SlotRole::Presentation) {
                    self.crossed += 1;
                }
                let Some(sender) = sender_of(*kind, &data.data) else {
                    return;
                };
                let ts = data.time.numer() as u32;
                // The slot's point at this frame: the last feed that starts at or before it.
                let label = self.feeds.get(&data.mid).and_then(|timeline| {
                    timeline
                        .iter()
                        .rev()
                        .find(|(since, _)| ts.wrapping_sub(*since) < u32::MAX / 2)
                        .map(|(_, point)| point.clone())
                });
                match label {
                    Some(Some(point)) if point == sender => {}
                    Some(_) => self.mislabelled += 1,
                    None => self.unlabelled += 1,
                }
                if screen_frame {
                    *self.screens_received.entry(sender.clone()).or_default() += 1;
                } else if *kind == TrackKind::Video {
                    *self.layers_received.entry(data.data[9]).or_default() += 1;
                    if let Some(sent) = data.data.get(SENT_AT..SENT_AT + 8) {
                        let micros = u64::from_be_bytes(sent.try_into().expect("8 bytes"));
                        let sent = self.epoch + Duration::from_micros(micros);
                        let delay = now.saturating_duration_since(sent);
                        self.max_video_delay = self.max_video_delay.max(delay);
                    }
                }
                *self.received.entry((sender, *kind)).or_default() += 1;
            }
            Event::KeyframeRequest(_) => {
                // Like a browser: the next frame is a keyframe.
                self.keyframe_requests += 1;
                self.keyframe_wanted = true;
            }
            _ => {}
        }
    }

    /// Frames received from `point` of `kind`.
    pub fn frames_from(&self, point: &str, kind: TrackKind) -> u64 {
        self.received
            .get(&(point.to_string(), kind))
            .copied()
            .unwrap_or(0)
    }

    /// The points the video slots carry now, as the server last described them.
    pub fn carried(&self) -> Vec<String> {
        self.carried_of(TrackKind::Video)
    }

    /// The points the slots of `kind` carry now, as the server last described them.
    pub fn carried_of(&self, kind: TrackKind) -> Vec<String> {
        self.feeds
            .iter()
            .filter(|(mid, _)| self.slots.get(mid).is_some_and(|(_, k)| *k == kind))
            .filter_map(|(_, timeline)| timeline.last().and_then(|(_, p)| p.clone()))
            .collect()
    }

    /// The video slot that carries `point` now, if any.
    pub fn video_slot_of(&self, point: &str) -> Option<Mid> {
        self.feeds
            .iter()
            .filter(|(mid, _)| {
                self.slots
                    .get(mid)
                    .is_some_and(|(_, k)| *k == TrackKind::Video)
            })
            .find(|(_, timeline)| {
                timeline
                    .last()
                    .is_some_and(|(_, p)| p.as_deref() == Some(point))
            })
            .map(|(mid, _)| *mid)
    }

    /// Asks the server for a keyframe of the video it receives from `point`.
    pub fn request_keyframe_from(&mut self, point: &str) -> bool {
        let Some(mid) = self.video_slot_of(point) else {
            return false;
        };
        let Some(mut writer) = self.rtc.writer(mid) else {
            return false;
        };
        writer
            .request_keyframe(None, KeyframeRequestKind::Pli)
            .is_ok()
    }

    fn publish(&mut self, now: Instant) {
        self.ticks += 1;
        let tick = self.ticks; // one tick per millisecond
        if tick.is_multiple_of(20) {
            let mut frame = vec![0xfc; 80];
            sign(&mut frame, 1, &self.name);
            let level = self.audio_level;
            write_frame(
                &mut self.rtc,
                self.audio_mid,
                Codec::Opus,
                now,
                tick,
                frame,
                |w| match level {
                    Some(l) => w.audio_level(-l.abs(), l < 60),
                    None => w,
                },
            );
        }
        if tick.is_multiple_of(33) {
            let n = self.video_frames_sent;
            self.video_frames_sent += 1;
            let mut frame: Vec<u8> = (0..self.video_bytes).map(|i| i as u8).collect();
            // A VP8 frame header (RFC 6386 §9.1): bit 0 of the first byte is 0 on keyframes.
            let keyframe = n.is_multiple_of(60) || std::mem::take(&mut self.keyframe_wanted);
            frame[0] = if keyframe { 0x10 } else { 0x11 };
            frame[3..6].copy_from_slice(&[0x9d, 0x01, 0x2a]);
            sign(&mut frame, 10, &self.name);
            let sent = now.saturating_duration_since(self.epoch).as_micros() as u64;
            frame[SENT_AT..SENT_AT + 8].copy_from_slice(&sent.to_be_bytes());
            // One frame per simulcast layer, or the only one without simulcast.
            let layers: Vec<Option<Rid>> = match self.layers.is_empty() {
                true => vec![None],
                false => self.layers.iter().copied().map(Some).collect(),
            };
            if self.presenting
                && let Some(mid) = self.screen_mid
            {
                let mut frame = frame.clone();
                frame[9] = b'S';
                write_frame(&mut self.rtc, mid, Codec::Vp8, now, tick, frame, |w| w);
            }
            for rid in layers {
                let mut frame = frame.clone();
                if let Some(rid) = rid {
                    // Which layer, for the test to tell them apart.
                    frame[9] = rid.as_bytes()[0];
                }
                write_frame(
                    &mut self.rtc,
                    self.video_mid,
                    Codec::Vp8,
                    now,
                    tick,
                    frame,
                    |w| match rid {
                        Some(rid) => w.rid(rid),
                        None => w,
                    },
                );
            }
        }
    }
}

fn write_frame(
    rtc: &mut Rtc,
    mid: Mid,
    codec: Codec,
    now: Instant,
    tick: u64,
    data: Vec<u8>,
    with: impl FnOnce(str0m::media::Writer<'_>) -> str0m::media::Writer<'_>,
) {
    let Some(writer) = rtc.writer(mid) else {
        return;
    };
    let writer = with(writer);
    let Some(pt) = writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
    else {
        return;
    };
    let time = match codec {
        Codec::Opus => MediaTime::new(tick * 48, str0m::media::Frequency::FORTY_EIGHT_KHZ),
        _ => MediaTime::new(tick * 90, str0m::media::Frequency::NINETY_KHZ),
    };
    let _ = writer.write(pt, now, time, data);
}

/// Writes `name` into a payload at `at`: a length byte, then the name.
/// Where a video frame carries its send time (microseconds since the simulation began), after
/// the name [`sign`] writes at 10.
const SENT_AT: usize = 64;

fn sign(frame: &mut [u8], at: usize, name: &str) {
    frame[at] = name.len() as u8;
    frame[at + 1..at + 1 + name.len()].copy_from_slice(name.as_bytes());
}

/// The point that sent a frame of `kind`, from what [`sign`] wrote.
fn sender_of(kind: TrackKind, frame: &[u8]) -> Option<String> {
    let at = match kind {
        TrackKind::Audio => 1,
        TrackKind::Video => 10,
    };
    let len = usize::from(*frame.get(at)?);
    let name = frame.get(at + 1..at + 1 + len)?;
    String::from_utf8(name.to_vec()).ok()
}
