//! The IO shell around the media core: the media port, the media threads and the clock.
//!
//! Each media thread runs one [`Sfu`] holding whole briefings (a briefing never spans two
//! threads: its points forward to each other), on a single-threaded runtime of its own. A
//! briefing is placed on the thread with the fewest points when it first needs one (the first
//! thread first). The first thread also reads the port and hands each other thread its
//! datagrams ([`super::dispatch`] says why); each thread sends on the shared socket itself.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use giaoban_media::{
    MediaAddress, MediaError, PeerId, PeerQuality, Protocol, RoomPolicy, Sfu, SfuConfig, SfuEvent,
    SlotCounts, Transmit, Wanted,
};
use giaoban_model::{BriefingId, SlotFeed, SlotInfo};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

use super::dispatch::{Dispatcher, Inbound, RouteUpdate, SHARD_QUEUE};
use super::record_tap::{RecordTap, RecordingInput, StageInput};
use super::route::sdp_ufrag;
use super::tcp::{self as media_tcp, TcpInput};
use super::udp_batch;

/// Most signals waiting for one point's signalling task. The loop makes one offer per
/// negotiation (a negotiation waits for the client's answer) and one `slots` message per burst
/// of slot switches, so a task that keeps up holds a few. When the queue is full the loop drops
/// its sender: the task, once it has read what is queued, closes its connection with
/// `slow_consumer`.
pub const PEER_SIGNAL_QUEUE: usize = 64;

/// What the media loop tells a point's signalling task.
#[derive(Debug)]
pub enum PeerSignal {
    Offer {
        sdp: String,
        slots: Vec<SlotInfo>,
    },
    /// Which points some of the point's receive slots carry from now on.
    Slots {
        feeds: Vec<SlotFeed>,
    },
    /// What of the point's media anybody receives now.
    Publish(Wanted),
    /// The media session died (ICE timeout, DTLS close); the client should reconnect.
    Lost,
    /// The link towards the point stays too weak for video.
    LowBandwidth {
        kbps: u64,
    },
}

enum Command {
    Join {
        peer: PeerId,
        room: BriefingId,
        label: String,
        offer: String,
        slots: SlotCounts,
        signals: mpsc::Sender<PeerSignal>,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    Answer {
        peer: PeerId,
        sdp: String,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    Leave {
        peer: PeerId,
    },
    IceRestart {
        peer: PeerId,
    },
    AudioOnly {
        peer: PeerId,
        on: bool,
    },
    Policy {
        room: BriefingId,
        policy: RoomPolicy,
    },
    View {
        peer: PeerId,
        thumbnails: Vec<String>,
    },
    Quality {
        reply: oneshot::Sender<Vec<PeerQuality>>,
    },
    RecordingKeyframe {
        peer: PeerId,
        screen: bool,
    },
}

pub use super::stats::MediaStats;

/// Most media threads, whatever the machine: beyond this the reading thread is the limit.
pub const MAX_MEDIA_THREADS: usize = 64;

/// A cheap handle to the media threads.
#[derive(Clone)]
pub struct MediaHandle {
    inner: Arc<Shards>,
    pub stats: Arc<MediaStats>,
    /// Where the media threads hand over what is recorded.
    pub recording: Arc<RecordTap>,
}

/// The media threads and which briefing lives on which.
struct Shards {
    commands: Vec<mpsc::UnboundedSender<Command>>,
    placement: Mutex<Placement>,
}

/// Briefings pinned to media threads, and the points on each thread.
///
/// A briefing is placed when it first needs a thread (its policy or its first point) on the
/// thread with the fewest points (then the fewest briefings), and stays there: its policy lives
/// in that thread's SFU. A briefing's entry is a few bytes, kept for the server's lifetime.
#[derive(Default)]
struct Placement {
    rooms: HashMap<BriefingId, usize>,
    peers: HashMap<PeerId, usize>,
    /// Points per thread.
    load: Vec<usize>,
    /// Briefings per thread.
    rooms_on: Vec<usize>,
}

impl Placement {
    fn new(threads: usize) -> Placement {
        Placement {
            load: vec![0; threads],
            rooms_on: vec![0; threads],
            ..Placement::default()
        }
    }

    fn room(&mut self, room: &BriefingId) -> usize {
        if let Some(&shard) = self.rooms.get(room) {
            return shard;
        }
        let shard = (0..self.load.len())
            .min_by_key(|&i| (self.load[i], self.rooms_on[i]))
            .unwrap_or(0);
        self.rooms.insert(room.clone(), shard);
        self.rooms_on[shard] += 1;
        info!(briefing = %room.0, thread = shard, "briefing placed on a media thread");
        shard
    }

    fn add_peer(&mut self, peer: PeerId, room: &BriefingId) -> usize {
        let shard = self.room(room);
        if let Some(old) = self.peers.insert(peer, shard) {
            self.load[old] -= 1;
        }
        self.load[shard] += 1;
        shard
    }

    fn remove_peer(&mut self, peer: PeerId) -> Option<usize> {
        let shard = self.peers.remove(&peer)?;
        self.load[shard] -= 1;
        Some(shard)
    }
}

impl MediaHandle {
    fn placement(&self) -> std::sync::MutexGuard<'_, Placement> {
        // Placement is changed by whole statements; a panic elsewhere cannot leave it torn.
        self.inner
            .placement
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn send(&self, shard: usize, command: Command) -> bool {
        self.inner
            .commands
            .get(shard)
            .is_some_and(|tx| tx.send(command).is_ok())
    }

    /// Sends a command about `peer` to its thread; a point that is not there is ignored.
    fn send_to_peer(&self, peer: PeerId, command: Command) -> bool {
        let shard = self.placement().peers.get(&peer).copied();
        shard.is_some_and(|shard| self.send(shard, command))
    }

    /// How many media threads run.
    pub fn threads(&self) -> usize {
        self.inner.commands.len()
    }

    pub async fn join(
        &self,
        peer: PeerId,
        room: BriefingId,
        label: String,
        offer: String,
        slots: SlotCounts,
        signals: mpsc::Sender<PeerSignal>,
    ) -> Result<String, MediaError> {
        let shard = self.placement().add_peer(peer, &room);
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Join {
            peer,
            room,
            label,
            offer,
            slots,
            signals,
            reply,
        };
        let result = if self.send(shard, cmd) {
            rx.await.unwrap_or(Err(MediaError::UnknownPeer))
        } else {
            Err(MediaError::UnknownPeer)
        };
        // A refused join leaves no point behind; a duplicate is the point already there.
        if result.is_err() && !matches!(result, Err(MediaError::DuplicatePeer)) {
            self.placement().remove_peer(peer);
        }
        result
    }

    pub async fn answer(&self, peer: PeerId, sdp: String) -> Result<(), MediaError> {
        let (reply, rx) = oneshot::channel();
        if !self.send_to_peer(peer, Command::Answer { peer, sdp, reply }) {
            return Err(MediaError::UnknownPeer);
        }
        rx.await.unwrap_or(Err(MediaError::UnknownPeer))
    }

    /// Sends the peer audio only, or audio and video again.
    pub fn set_audio_only(&self, peer: PeerId, on: bool) {
        self.send_to_peer(peer, Command::AudioOnly { peer, on });
    }

    /// Restarts ICE: the peer's next offer carries new credentials.
    pub fn restart_ice(&self, peer: PeerId) {
        self.send_to_peer(peer, Command::IceRestart { peer });
    }

    pub fn leave(&self, peer: PeerId) {
        if let Some(shard) = self.placement().remove_peer(peer) {
            self.send(shard, Command::Leave { peer });
        }
    }

    /// Sets who may be heard and who is on the stage in `room`.
    pub fn set_policy(&self, room: BriefingId, policy: RoomPolicy) {
        if policy.record {
            let (name, screen) = match &policy.presentation {
                Some(presenter) => (Some(presenter.clone()), true),
                None => (policy.stage.last().cloned(), false),
            };
            self.recording
                .send(RecordingInput::Stage(Box::new(StageInput {
                    room: room.clone(),
                    name,
                    screen,
                })));
        }
        let shard = self.placement().room(&room);
        self.send(shard, Command::Policy { room, policy });
    }

    /// Asks `peer` for a keyframe of its camera (or shared screen) for the recording.
    pub fn request_recording_keyframe(&self, peer: PeerId, screen: bool) {
        self.send_to_peer(peer, Command::RecordingKeyframe { peer, screen });
    }

    /// Sets the thumbnails `peer` displays.
    pub fn set_view(&self, peer: PeerId, thumbnails: Vec<String>) {
        self.send_to_peer(peer, Command::View { peer, thumbnails });
    }

    /// Connection quality of every peer, on every thread.
    pub async fn quality(&self) -> Vec<PeerQuality> {
        let mut replies = Vec::new();
        for shard in 0..self.threads() {
            let (reply, rx) = oneshot::channel();
            if self.send(shard, Command::Quality { reply }) {
                replies.push(rx);
            }
        }
        let mut all = Vec::new();
        for rx in replies {
            all.extend(rx.await.unwrap_or_default());
        }
        all
    }
}

/// Binds the media port, UDP and TCP, on every local address and starts `threads` media
/// threads (at least 1, at most [`MAX_MEDIA_THREADS`]) (the first of which reads the port), advertising
/// `addresses` (UDP; their ports are the media port) and a passive TCP candidate beside each.
pub async fn start(
    port: u16,
    addresses: Vec<MediaAddress>,
    threads: usize,
) -> std::io::Result<MediaHandle> {
    let threads = threads.clamp(1, MAX_MEDIA_THREADS);
    let socket = udp_batch::bind_media_socket(port)?;
    let local = socket.local_addr()?;
    let listener = match media_tcp::bind(local.port()) {
        Ok(listener) => Some(listener),
        // An ephemeral UDP port (tests) may find its number taken over TCP: UDP alone then.
        Err(e) if port == 0 => {
            warn!("ICE-TCP is off: cannot listen on tcp/{}: {e}", local.port());
            None
        }
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("cannot listen on tcp/{} for ICE-TCP: {e}", local.port()),
            ));
        }
    };
    let mut all = addresses.clone();
    if let Some(listener) = &listener {
        media_tcp::announce(listener);
        all.extend(addresses.iter().map(|a| MediaAddress {
            protocol: Protocol::Tcp,
            ..*a
        }));
    }
    for a in &all {
        info!(advertised = %a.advertised, local = %a.local, protocol = ?a.protocol, "media address");
    }
    info!(%local, threads, "media port open");
    let (tcp_tx, tcp_rx) = mpsc::channel(TCP_INPUTS);
    let stats = Arc::new(MediaStats::default());
    if let Some(listener) = listener {
        tokio::spawn(media_tcp::accept_loop(
            listener,
            tcp_tx,
            stats.tcp.clone(),
            media_tcp::Limits::default(),
        ));
    }
    let config = SfuConfig::with_addresses(all);
    let tcp = Arc::new(Mutex::new(TcpConnections::new()));
    let recording = Arc::new(RecordTap::default());
    let (routes_tx, routes_rx) = mpsc::unbounded_channel();
    let mut commands = Vec::with_capacity(threads);
    let mut shards = Vec::with_capacity(threads);
    let mut others = Vec::with_capacity(threads);
    for index in 0..threads {
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        // Thread 0 reads the port itself; the others are passed their datagrams.
        let inbound = if index == 0 {
            None
        } else {
            let (inbound_tx, inbound_rx) = mpsc::channel(SHARD_QUEUE);
            others.push(inbound_tx);
            Some(inbound_rx)
        };
        shards.push(Shard {
            index,
            inbound,
            commands: command_rx,
            routes: routes_tx.clone(),
            tcp: tcp.clone(),
            stats: stats.clone(),
            recording: recording.clone(),
            recorded: Vec::new(),
        });
        commands.push(command_tx);
    }
    drop(routes_tx);
    let mut reading = Some((
        socket.try_clone()?,
        tcp_rx,
        routes_rx,
        Dispatcher::new(others, stats.clone()),
    ));
    for shard in shards {
        let sfu = Sfu::new(config.clone());
        let send_socket = socket.try_clone()?;
        let reader = reading.take();
        spawn_thread(format!("gb-media-{}", shard.index), move || {
            let socket = udp_batch::SendSocket::new(send_socket)?;
            let reader = match reader {
                Some((socket, tcp_inputs, routes, dispatcher)) => Some(Reader {
                    port: socket.local_addr()?.port(),
                    socket: udp_batch::RecvSocket::new(socket)?,
                    batch: udp_batch::RecvBatch::new(),
                    tcp_inputs,
                    routes,
                    dispatcher,
                }),
                None => None,
            };
            Ok(shard.run(socket, sfu, reader))
        })?;
    }
    Ok(MediaHandle {
        inner: Arc::new(Shards {
            commands,
            placement: Mutex::new(Placement::new(threads)),
        }),
        stats,
        recording,
    })
}

/// Starts a thread running the future that `make` builds, on a runtime of its own.
fn spawn_thread<F>(
    name: String,
    make: impl FnOnce() -> std::io::Result<F> + Send + 'static,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let thread_name = name.clone();
    std::thread::Builder::new().name(name).spawn(move || {
        let _guard = runtime.enter();
        match make() {
            Ok(future) => runtime.block_on(future),
            Err(e) => error!(thread = %thread_name, "media thread cannot start: {e}"),
        }
    })?;
    Ok(())
}

/// Frames of all TCP connections waiting for the reading thread; a full queue slows the
/// connections' reading (TCP flow control), it loses nothing.
const TCP_INPUTS: usize = 1024;

/// The open TCP media connections, by (local, remote) address.
pub type TcpConnections = HashMap<(SocketAddr, SocketAddr), mpsc::Sender<Vec<u8>>>;

/// The TCP connection table; a thread that panicked while holding it left it consistent
/// (single inserts and removals), so its poison is ignored.
fn lock_tcp(tcp: &Mutex<TcpConnections>) -> std::sync::MutexGuard<'_, TcpConnections> {
    tcp.lock().unwrap_or_else(|poisoned| {
        warn!("media TCP table lock poisoned");
        poisoned.into_inner()
    })
}

/// Batches of datagrams a media thread takes before it flushes what they produced.
const BATCHES_PER_FLUSH: usize = 8;

/// One media thread: an SFU holding some briefings, and its ends of the channels.
struct Shard {
    index: usize,
    /// Datagrams the reading thread passes on; the reading thread itself has none.
    inbound: Option<mpsc::Receiver<Inbound>>,
    commands: mpsc::UnboundedReceiver<Command>,
    routes: mpsc::UnboundedSender<RouteUpdate>,
    tcp: Arc<Mutex<TcpConnections>>,
    stats: Arc<MediaStats>,
    recording: Arc<RecordTap>,
    /// Packets of recorded rooms on their way to the recording thread (kept for its buffer).
    recorded: Vec<giaoban_media::RecordedPacket>,
}

impl Shard {
    /// Runs until the handle is gone. `socket` is the media port, for sending; `reader`, on
    /// the first thread only, reads it for every thread.
    async fn run(
        mut self,
        socket: udp_batch::SendSocket,
        mut sfu: Sfu,
        mut reader: Option<Reader>,
    ) {
        let mut signals: HashMap<PeerId, mpsc::Sender<PeerSignal>> = HashMap::new();
        let mut queue: Vec<Transmit> = Vec::with_capacity(1024);
        let mut stats_at = Instant::now();
        let mut published = Published::default();
        loop {
            // Packets written while the last datagrams were handled leave on their streams'
            // timeout, due at once: it is handled here, so they go out in this flush rather
            // than after a turn of the runtime's timer.
            let now = Instant::now();
            if sfu.poll_timeout().is_some_and(|at| at <= now) {
                sfu.handle_timeout(now);
            }
            self.flush(&socket, &mut sfu, &mut signals, &mut queue)
                .await;
            // Counters visit every peer: refresh them a few times a second, not per wake-up.
            if stats_at.elapsed() >= Duration::from_millis(250) {
                published.publish(&sfu, &self.stats);
                stats_at = Instant::now();
            }
            let deadline = sfu
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                event = Reader::next(&mut reader) => {
                    if let Some(reader) = reader.as_mut() {
                        reader.handle(event, &mut sfu, &self.tcp);
                    }
                }
                batch = next_batch(&mut self.inbound) => {
                    let Some(batch) = batch else { break };
                    let now = Instant::now();
                    take(&mut sfu, now, &batch);
                    // More that waits goes in the same flush.
                    if let Some(inbound) = self.inbound.as_mut() {
                        for _ in 1..BATCHES_PER_FLUSH {
                            let Ok(batch) = inbound.try_recv() else { break };
                            take(&mut sfu, now, &batch);
                        }
                    }
                }
                command = self.commands.recv() => {
                    let Some(command) = command else { break };
                    self.handle_command(&mut sfu, &mut signals, command);
                }
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                    sfu.handle_timeout(Instant::now());
                }
            }
        }
        // The handle is gone: the server stops.
        published.retract(&self.stats);
    }

    fn handle_command(
        &self,
        sfu: &mut Sfu,
        signals: &mut HashMap<PeerId, mpsc::Sender<PeerSignal>>,
        command: Command,
    ) {
        let now = Instant::now();
        match command {
            Command::Join {
                peer,
                room,
                label,
                offer,
                slots,
                signals: tx,
                reply,
            } => {
                signals.insert(peer, tx);
                let result = sfu.add_peer(now, peer, room, label, &offer, slots);
                match &result {
                    // The reading thread learns the point's fragment before the point can
                    // use it: the answer is not sent yet.
                    Ok(answer) => self.route(peer, answer),
                    Err(_) => {
                        signals.remove(&peer);
                    }
                }
                let _ = reply.send(result);
            }
            Command::Answer { peer, sdp, reply } => {
                let _ = reply.send(sfu.handle_answer(now, peer, &sdp));
            }
            Command::Leave { peer } => {
                signals.remove(&peer);
                sfu.remove_peer(now, peer);
                let _ = self.routes.send(RouteUpdate::Gone { peer });
            }
            Command::AudioOnly { peer, on } => sfu.set_audio_only(now, peer, on),
            Command::IceRestart { peer } => {
                if let Err(e) = sfu.restart_ice(now, peer) {
                    debug!(%peer, "ICE restart refused: {e}");
                }
            }
            Command::Policy { room, policy } => sfu.set_room_policy(now, &room, policy),
            Command::View { peer, thumbnails } => sfu.set_view(now, peer, Some(thumbnails)),
            Command::Quality { reply } => {
                let _ = reply.send(sfu.quality(now));
            }
            Command::RecordingKeyframe { peer, screen } => {
                sfu.request_recording_keyframe(now, peer, screen)
            }
        }
    }

    /// Tells the reading thread that checks with the ICE fragment of `sdp` are `peer`'s.
    fn route(&self, peer: PeerId, sdp: &str) {
        match sdp_ufrag(sdp) {
            Some(ufrag) => {
                let _ = self.routes.send(RouteUpdate::Ufrag {
                    peer,
                    shard: self.index,
                    ufrag: ufrag.to_owned(),
                });
            }
            None => {
                warn!(%peer, "an SDP of ours without an ICE fragment: the point cannot connect")
            }
        }
    }

    /// Sends what the media core produced, in batches, and delivers its signalling.
    async fn flush(
        &mut self,
        socket: &udp_batch::SendSocket,
        sfu: &mut Sfu,
        signals: &mut HashMap<PeerId, mpsc::Sender<PeerSignal>>,
        queue: &mut Vec<Transmit>,
    ) {
        let mut tcp = None;
        while let Some(t) = sfu.poll_transmit() {
            if t.proto == Protocol::Udp {
                queue.push(t);
                continue;
            }
            // A full connection loses the frame as UDP would lose the datagram; a connection
            // that is gone, likewise.
            let connections = tcp.get_or_insert_with(|| lock_tcp(&self.tcp));
            let sent = connections
                .get(&(t.source, t.destination))
                .is_some_and(|conn| conn.try_send(t.contents.into()).is_ok());
            if !sent {
                self.stats
                    .tcp_frames_dropped
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        drop(tcp);
        sfu.take_recorded(&mut self.recorded);
        if !self.recorded.is_empty() {
            self.recording.send_packets(
                &mut self.recorded,
                Instant::now(),
                crate::clock::unix_ms(),
            );
        }
        if let Err(e) = udp_batch::send_all(socket, queue).await {
            warn!("media socket send error: {e}");
            queue.clear();
        }
        while let Some(event) = sfu.poll_event() {
            match event {
                SfuEvent::Offer { peer, sdp, slots } => {
                    // An ICE restart's offer carries new credentials.
                    self.route(peer, &sdp);
                    signal(signals, peer, PeerSignal::Offer { sdp, slots });
                }
                SfuEvent::Slots { peer, feeds } => {
                    signal(signals, peer, PeerSignal::Slots { feeds })
                }
                SfuEvent::Publish { peer, wanted } => {
                    signal(signals, peer, PeerSignal::Publish(wanted))
                }
                SfuEvent::Connected { peer } => debug!(%peer, "media connected"),
                SfuEvent::LowBandwidth { peer, kbps } => {
                    info!(%peer, kbps, "weak link: audio only suggested");
                    signal(signals, peer, PeerSignal::LowBandwidth { kbps });
                }
                SfuEvent::Disconnected { peer } => {
                    warn!(%peer, "media session lost");
                    signal(signals, peer, PeerSignal::Lost);
                }
                _ => {}
            }
        }
    }
}

/// The next batch passed on to this thread; never, on the reading thread.
async fn next_batch(inbound: &mut Option<mpsc::Receiver<Inbound>>) -> Option<Inbound> {
    match inbound {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What the first media thread has besides its SFU: the reading side of the media port for
/// every thread (see [`super::dispatch`]).
struct Reader {
    socket: udp_batch::RecvSocket,
    port: u16,
    batch: udp_batch::RecvBatch,
    tcp_inputs: mpsc::Receiver<TcpInput>,
    routes: mpsc::UnboundedReceiver<RouteUpdate>,
    dispatcher: Dispatcher,
}

/// Something the reading side has to handle.
enum ReadEvent {
    Route(RouteUpdate),
    Udp(std::io::Result<usize>),
    Tcp(TcpInput),
}

impl Reader {
    /// The next thing to handle; never, on a thread that does not read.
    async fn next(reader: &mut Option<Reader>) -> ReadEvent {
        let Some(r) = reader else {
            return std::future::pending().await;
        };
        tokio::select! {
            // A point's fragment is known before its first check can arrive (the thread
            // reports it before the answer goes out), as long as updates come first.
            biased;
            Some(update) = r.routes.recv() => ReadEvent::Route(update),
            result = udp_batch::recv(&r.socket, &mut r.batch) => ReadEvent::Udp(result),
            Some(input) = r.tcp_inputs.recv() => ReadEvent::Tcp(input),
        }
    }

    /// Handles `event`: this thread's datagrams at once, the others' passed on.
    fn handle(&mut self, event: ReadEvent, sfu: &mut Sfu, tcp: &Mutex<TcpConnections>) {
        let Reader {
            batch,
            port,
            dispatcher,
            ..
        } = self;
        match event {
            ReadEvent::Route(update) => dispatcher.update(update),
            ReadEvent::Udp(Ok(_)) => {
                let now = Instant::now();
                for r in batch.iter(*port) {
                    if dispatcher.take(Protocol::Udp, r.source, r.destination, r.contents) {
                        sfu.handle_datagram(
                            now,
                            Protocol::Udp,
                            r.source,
                            r.destination,
                            r.contents,
                        );
                    }
                }
                dispatcher.pass_on();
            }
            // ICMP errors (port unreachable of a departed peer) surface here on Linux.
            ReadEvent::Udp(Err(e)) => debug!("media socket receive error: {e}"),
            ReadEvent::Tcp(TcpInput::Opened {
                local,
                remote,
                outbound,
            }) => {
                lock_tcp(tcp).insert((local, remote), outbound);
            }
            ReadEvent::Tcp(TcpInput::Frame {
                local,
                remote,
                packet,
            }) => {
                if dispatcher.take(Protocol::Tcp, remote, local, &packet) {
                    sfu.handle_datagram(Instant::now(), Protocol::Tcp, remote, local, &packet);
                }
                dispatcher.pass_on();
            }
            ReadEvent::Tcp(TcpInput::Closed { local, remote }) => {
                lock_tcp(tcp).remove(&(local, remote));
            }
        }
    }
}

/// Gives the media core a batch of datagrams.
fn take(sfu: &mut Sfu, now: Instant, batch: &Inbound) {
    for d in batch.iter() {
        sfu.handle_datagram(now, d.protocol, d.source, d.destination, d.contents);
    }
}

/// Queues `msg` for `peer`'s signalling task; cuts the task off when its queue is full (see
/// [`PEER_SIGNAL_QUEUE`]).
fn signal(signals: &mut HashMap<PeerId, mpsc::Sender<PeerSignal>>, peer: PeerId, msg: PeerSignal) {
    let Some(tx) = signals.get(&peer) else { return };
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(msg) {
        warn!(%peer, "signalling task does not keep up: cut off");
        signals.remove(&peer);
    }
}

/// What one media thread has added to the shared [`MediaStats`] so far.
#[derive(Default)]
struct Published {
    received: u64,
    dropped: u64,
    forwarded: u64,
    egress_resyncs: u64,
    peers: u64,
}

impl Published {
    /// Adds what changed since the last call.
    fn publish(&mut self, sfu: &Sfu, stats: &MediaStats) {
        let c = sfu.counters();
        let peers = sfu.peer_count() as u64;
        stats
            .datagrams_received
            .fetch_add(c.datagrams_received - self.received, Ordering::Relaxed);
        stats
            .datagrams_dropped
            .fetch_add(c.datagrams_dropped - self.dropped, Ordering::Relaxed);
        stats
            .frames_forwarded
            .fetch_add(c.frames_forwarded - self.forwarded, Ordering::Relaxed);
        stats
            .egress_resyncs
            .fetch_add(c.egress_resyncs - self.egress_resyncs, Ordering::Relaxed);
        // The gauge moves by the difference, down as well as up (the addition wraps).
        stats
            .peers
            .fetch_add(peers.wrapping_sub(self.peers), Ordering::Relaxed);
        *self = Published {
            received: c.datagrams_received,
            dropped: c.datagrams_dropped,
            forwarded: c.frames_forwarded,
            egress_resyncs: c.egress_resyncs,
            peers,
        };
    }

    /// Takes this thread's points out of the gauge.
    fn retract(&self, stats: &MediaStats) {
        stats.peers.fetch_sub(self.peers, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str) -> BriefingId {
        BriefingId(name.to_owned())
    }

    #[test]
    fn briefings_spread_over_threads_and_stay_where_they_are() {
        let mut p = Placement::new(2);
        // Policies arrive before points: two briefings take one thread each.
        let (a, b, c) = (room("a"), room("b"), room("c"));
        assert_eq!(p.room(&a), 0);
        assert_eq!(p.room(&b), 1);
        // A briefing's points all go where it is.
        for i in 0..10 {
            assert_eq!(p.add_peer(PeerId(i), &a), 0);
        }
        assert_eq!(p.add_peer(PeerId(100), &b), 1);
        // A new briefing goes to the thread with fewer points.
        assert_eq!(p.room(&c), 1);
        assert_eq!(p.load, vec![10, 1]);
        // Points leaving do not move a briefing.
        for i in 0..10 {
            assert_eq!(p.remove_peer(PeerId(i)), Some(0));
        }
        assert_eq!(p.remove_peer(PeerId(5)), None);
        assert_eq!(p.add_peer(PeerId(1), &a), 0);
        assert_eq!(p.load, vec![1, 1]);
    }
}
