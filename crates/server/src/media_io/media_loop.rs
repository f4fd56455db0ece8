//! The IO shell around the media core: one UDP socket, one task, the clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use giaoban_media::{
    MediaAddress, MediaError, PeerId, PeerQuality, Protocol, RoomPolicy, Sfu, SfuConfig, SfuEvent,
    SlotCounts, Transmit, Wanted,
};
use giaoban_model::{BriefingId, SlotFeed, SlotInfo};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::tcp::{self as media_tcp, TcpInput, TcpStats};
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
}

/// Counters published by the media loop for `/metrics`.
#[derive(Default)]
pub struct MediaStats {
    pub datagrams_received: AtomicU64,
    pub datagrams_dropped: AtomicU64,
    pub frames_forwarded: AtomicU64,
    pub peers: AtomicU64,
    /// Frames for a TCP connection that was full or gone.
    pub tcp_frames_dropped: AtomicU64,
    pub tcp: Arc<TcpStats>,
}

/// A cheap handle to the media loop.
#[derive(Clone)]
pub struct MediaHandle {
    tx: mpsc::UnboundedSender<Command>,
    pub stats: Arc<MediaStats>,
}

impl MediaHandle {
    pub async fn join(
        &self,
        peer: PeerId,
        room: BriefingId,
        label: String,
        offer: String,
        slots: SlotCounts,
        signals: mpsc::Sender<PeerSignal>,
    ) -> Result<String, MediaError> {
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
        if self.tx.send(cmd).is_err() {
            return Err(MediaError::UnknownPeer);
        }
        rx.await.unwrap_or(Err(MediaError::UnknownPeer))
    }

    pub async fn answer(&self, peer: PeerId, sdp: String) -> Result<(), MediaError> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::Answer { peer, sdp, reply }).is_err() {
            return Err(MediaError::UnknownPeer);
        }
        rx.await.unwrap_or(Err(MediaError::UnknownPeer))
    }

    /// Sends the peer audio only, or audio and video again.
    pub fn set_audio_only(&self, peer: PeerId, on: bool) {
        let _ = self.tx.send(Command::AudioOnly { peer, on });
    }

    /// Restarts ICE: the peer's next offer carries new credentials.
    pub fn restart_ice(&self, peer: PeerId) {
        let _ = self.tx.send(Command::IceRestart { peer });
    }

    pub fn leave(&self, peer: PeerId) {
        let _ = self.tx.send(Command::Leave { peer });
    }

    /// Sets who may be heard and who is on the stage in `room`.
    pub fn set_policy(&self, room: BriefingId, policy: RoomPolicy) {
        let _ = self.tx.send(Command::Policy { room, policy });
    }

    /// Sets the thumbnails `peer` displays.
    pub fn set_view(&self, peer: PeerId, thumbnails: Vec<String>) {
        let _ = self.tx.send(Command::View { peer, thumbnails });
    }

    /// Connection quality of every peer.
    pub async fn quality(&self) -> Vec<PeerQuality> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Command::Quality { reply }).is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }
}

/// Binds the media port, UDP and TCP, on every local address and starts the loop,
/// advertising `addresses` (UDP; their ports are the media port) and a passive TCP candidate
/// beside each.
pub async fn start(port: u16, addresses: Vec<MediaAddress>) -> std::io::Result<MediaHandle> {
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
    info!(%local, "media port open");
    let (tx, rx) = mpsc::unbounded_channel();
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
    tokio::spawn(run(socket, tcp_rx, Sfu::new(config), rx, stats.clone()));
    Ok(MediaHandle { tx, stats })
}

/// Frames of all TCP connections waiting for the media loop; a full queue slows the
/// connections' reading (TCP flow control), it loses nothing.
const TCP_INPUTS: usize = 1024;

/// The open TCP media connections, by (local, remote) address.
type TcpConnections = HashMap<(SocketAddr, SocketAddr), mpsc::Sender<Vec<u8>>>;

async fn run(
    socket: UdpSocket,
    mut tcp_inputs: mpsc::Receiver<TcpInput>,
    mut sfu: Sfu,
    mut commands: mpsc::UnboundedReceiver<Command>,
    stats: Arc<MediaStats>,
) {
    let mut signals: HashMap<PeerId, mpsc::Sender<PeerSignal>> = HashMap::new();
    let mut received = udp_batch::RecvBatch::new();
    let mut queue: Vec<Transmit> = Vec::with_capacity(1024);
    let mut stats_at = Instant::now();
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
    let mut tcp = TcpConnections::new();
    loop {
        flush(&socket, &mut sfu, &mut signals, &tcp, &stats, &mut queue).await;
        // Counters visit every peer: refresh them a few times a second, not per wake-up.
        if stats_at.elapsed() >= Duration::from_millis(250) {
            publish_stats(&sfu, &stats);
            stats_at = Instant::now();
        }
        let deadline = sfu
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            result = udp_batch::recv(&socket, &mut received) => match result {
                Ok(_) => {
                    let now = Instant::now();
                    for r in received.iter(port) {
                        sfu.handle_datagram(now, Protocol::Udp, r.source, r.destination, r.contents);
                    }
                }
                // ICMP errors (port unreachable of a departed peer) surface here on Linux.
                Err(e) => debug!("media socket receive error: {e}"),
            },
            Some(input) = tcp_inputs.recv() => match input {
                TcpInput::Opened { local, remote, outbound } => {
                    tcp.insert((local, remote), outbound);
                }
                TcpInput::Frame { local, remote, packet } => {
                    sfu.handle_datagram(Instant::now(), Protocol::Tcp, remote, local, &packet);
                }
                TcpInput::Closed { local, remote } => {
                    tcp.remove(&(local, remote));
                }
            },
            command = commands.recv() => {
                let Some(command) = command else {
                    return;
                };
                handle_command(&mut sfu, &mut signals, command);
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                sfu.handle_timeout(Instant::now());
            }
        }
    }
}

fn handle_command(
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
            if result.is_err() {
                signals.remove(&peer);
            }
            let _ = reply.send(result);
        }
        Command::Answer { peer, sdp, reply } => {
            let _ = reply.send(sfu.handle_answer(now, peer, &sdp));
        }
        Command::Leave { peer } => {
            signals.remove(&peer);
            sfu.remove_peer(now, peer);
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
    }
}

/// Sends what the media core produced, in batches, and delivers its signalling.
async fn flush(
    socket: &UdpSocket,
    sfu: &mut Sfu,
    signals: &mut HashMap<PeerId, mpsc::Sender<PeerSignal>>,
    tcp: &TcpConnections,
    stats: &MediaStats,
    queue: &mut Vec<Transmit>,
) {
    while let Some(t) = sfu.poll_transmit() {
        if t.proto == Protocol::Udp {
            queue.push(t);
            continue;
        }
        // A full connection loses the frame as UDP would lose the datagram; a connection
        // that is gone, likewise.
        let sent = tcp
            .get(&(t.source, t.destination))
            .is_some_and(|conn| conn.try_send(t.contents.into()).is_ok());
        if !sent {
            stats.tcp_frames_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
    if let Err(e) = udp_batch::send_all(socket, queue).await {
        warn!("media socket send error: {e}");
        queue.clear();
    }
    while let Some(event) = sfu.poll_event() {
        match event {
            SfuEvent::Offer { peer, sdp, slots } => {
                signal(signals, peer, PeerSignal::Offer { sdp, slots });
            }
            SfuEvent::Slots { peer, feeds } => signal(signals, peer, PeerSignal::Slots { feeds }),
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

/// Queues `msg` for `peer`'s signalling task; cuts the task off when its queue is full (see
/// [`PEER_SIGNAL_QUEUE`]).
fn signal(signals: &mut HashMap<PeerId, mpsc::Sender<PeerSignal>>, peer: PeerId, msg: PeerSignal) {
    let Some(tx) = signals.get(&peer) else { return };
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(msg) {
        warn!(%peer, "signalling task does not keep up: cut off");
        signals.remove(&peer);
    }
}

fn publish_stats(sfu: &Sfu, stats: &MediaStats) {
    let c = sfu.counters();
    stats
        .datagrams_received
        .store(c.datagrams_received, Ordering::Relaxed);
    stats
        .datagrams_dropped
        .store(c.datagrams_dropped, Ordering::Relaxed);
    stats
        .frames_forwarded
        .store(c.frames_forwarded, Ordering::Relaxed);
    stats
        .peers
        .store(sfu.peer_count() as u64, Ordering::Relaxed);
}
