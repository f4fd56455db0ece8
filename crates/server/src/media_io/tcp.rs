//! ICE over TCP on the media port (RFC 6544): for points whose network blocks UDP.
//!
//! The server offers passive TCP candidates on the media port's number; browsers connect and
//! send STUN, DTLS and SRTP in RFC 4571 frames (a 16-bit length, then the packet). Each
//! connection has one task that reads frames into the media loop and one that writes what
//! the media loop sends back. The media core sees a frame as a datagram with protocol TCP,
//! and demultiplexes it like UDP (by ICE ufrag, then by address).
//!
//! Limits: at most [`MAX_CONNECTIONS`] connections; a connection that sends nothing for
//! [`FIRST_FRAME_TIMEOUT`] after connecting, or [`IDLE_TIMEOUT`] later (ICE consent checks
//! come every few seconds), is closed; at most [`OUTBOUND_FRAMES`] frames wait to be written
//! to one connection, beyond which frames are dropped as UDP would lose them.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tracing::{debug, info, warn};

use super::udp_batch::unmapped;

/// Open TCP media connections at most; more wait in the kernel's backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;
/// Frames queued for writing to one connection at most.
pub const OUTBOUND_FRAMES: usize = 256;
/// A connection must send its first frame (a STUN request) within this time.
pub const FIRST_FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection that sends nothing for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the TCP side hands the media loop.
#[derive(Debug)]
pub enum TcpInput {
    /// A connection opened: frames for `remote` go to `outbound`.
    Opened {
        local: SocketAddr,
        remote: SocketAddr,
        outbound: mpsc::Sender<Vec<u8>>,
    },
    /// One frame's packet.
    Frame {
        local: SocketAddr,
        remote: SocketAddr,
        packet: Vec<u8>,
    },
    Closed {
        local: SocketAddr,
        remote: SocketAddr,
    },
}

/// How many connections may be open, and how long one may stay silent.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Before its first frame.
    pub first_frame: Duration,
    /// Between two frames.
    pub idle: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: MAX_CONNECTIONS,
            first_frame: FIRST_FRAME_TIMEOUT,
            idle: IDLE_TIMEOUT,
        }
    }
}

/// Counters of the TCP side, for `/metrics`.
#[derive(Debug, Default)]
pub struct TcpStats {
    pub connections: AtomicU64,
    pub connections_refused: AtomicU64,
}

/// Listens on the media port's number over TCP, on every local address.
pub fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = match Socket::new(Domain::IPV6, Type::STREAM, None).and_then(|s| {
        s.set_only_v6(false)?;
        s.set_reuse_address(true)?;
        s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
        Ok(s)
    }) {
        Ok(socket) => socket,
        Err(_) => {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
            s.set_reuse_address(true)?;
            s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
            s
        }
    };
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// Accepts connections until the media loop is gone.
pub async fn accept_loop(
    listener: TcpListener,
    inputs: mpsc::Sender<TcpInput>,
    stats: Arc<TcpStats>,
    limits: Limits,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                warn!("media TCP accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if inputs.is_closed() {
            return;
        }
        let Ok(local) = stream.local_addr() else {
            stats.connections_refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (local, remote) = (unmapped(local), unmapped(remote));
        let inputs = inputs.clone();
        let stats = stats.clone();
        tokio::spawn(async move {
            stats.connections.fetch_add(1, Ordering::Relaxed);
            debug!(%remote, %local, "media TCP connection");
            if let Err(e) = serve_connection(stream, local, remote, &inputs, limits).await {
                debug!(%remote, "media TCP connection ended: {e}");
            }
            let _ = inputs.send(TcpInput::Closed { local, remote }).await;
            stats.connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    inputs: &mpsc::Sender<TcpInput>,
    limits: Limits,
) -> io::Result<()> {
    let (mut reader, writer) = stream.into_split();
    let (outbound, mut frames) = mpsc::channel::<Vec<u8>>(OUTBOUND_FRAMES);
    let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "the media loop stopped");
    inputs
        .send(TcpInput::Opened {
            local,
            remote,
            outbound,
        })
        .await
        .map_err(|_| closed())?;
    let write = tokio::spawn(async move {
        let mut writer = BufWriter::new(writer);
        while let Some(packet) = frames.recv().await {
            write_frame(&mut writer, &packet).await?;
            // Write out what is queued together, then flush once.
            while let Ok(packet) = frames.try_recv() {
                write_frame(&mut writer, &packet).await?;
            }
            writer.flush().await?;
        }
        Ok::<_, io::Error>(())
    });
    let mut timeout = limits.first_frame;
    let result = loop {
        let packet = match tokio::time::timeout(timeout, read_frame(&mut reader)).await {
            Err(_) => {
                break Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "nothing received in time",
                ));
            }
            Ok(Err(e)) => break Err(e),
            Ok(Ok(packet)) => packet,
        };
        timeout = limits.idle;
        if packet.is_empty() {
            continue;
        }
        // Waiting here when the media loop is busy slows this connection's reading: TCP's
        // own flow control then pushes back on the sender.
        if inputs
            .send(TcpInput::Frame {
                local,
                remote,
                packet,
            })
            .await
            .is_err()
        {
            break Err(closed());
        }
    };
    write.abort();
    result
}

/// Reads one RFC 4571 frame: a 16-bit big-endian length, then that many bytes.
async fn read_frame<R: AsyncReadExt + Unpin>(reader: &mut R) -> io::Result<Vec<u8>> {
    let len = reader.read_u16().await?;
    let mut packet = vec![0; usize::from(len)];
    reader.read_exact(&mut packet).await?;
    Ok(packet)
}

async fn write_frame<W: AsyncWriteExt + Unpin>(writer: &mut W, packet: &[u8]) -> io::Result<()> {
    let len = u16::try_from(packet.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet over 65535 bytes"))?;
    writer.write_all(&len.to_be_bytes()).await?;
    writer.write_all(packet).await
}

/// Logs where ICE-TCP listens.
pub fn announce(listener: &TcpListener) {
    if let Ok(local) = listener.local_addr() {
        info!(%local, "media TCP port open (ICE-TCP)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn connect(port: u16) -> TcpStream {
        TcpStream::connect(("127.0.0.1", port)).await.unwrap()
    }

    async fn next(rx: &mut mpsc::Receiver<TcpInput>) -> TcpInput {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("an input in time")
            .expect("the acceptor is running")
    }

    fn start() -> (u16, mpsc::Receiver<TcpInput>, Arc<TcpStats>) {
        start_with(Limits {
            max_connections: 8,
            first_frame: Duration::from_millis(300),
            idle: Duration::from_secs(5),
        })
    }

    fn start_with(limits: Limits) -> (u16, mpsc::Receiver<TcpInput>, Arc<TcpStats>) {
        let listener = bind(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel(16);
        let stats = Arc::new(TcpStats::default());
        tokio::spawn(accept_loop(listener, tx, stats.clone(), limits));
        (port, rx, stats)
    }

    #[tokio::test]
    async fn frames_travel_both_ways_with_their_addresses() {
        let (port, mut rx, _) = start();
        let mut client = connect(port).await;
        let TcpInput::Opened {
            local,
            remote,
            outbound,
        } = next(&mut rx).await
        else {
            panic!("expected Opened");
        };
        assert_eq!(local, SocketAddr::from(([127, 0, 0, 1], port)));
        assert_eq!(remote, client.local_addr().unwrap());
        // Two frames in one write, the second split over two writes.
        client.write_all(&[0, 3, 1, 2, 3, 0, 2, 9]).await.unwrap();
        client.write_all(&[8]).await.unwrap();
        for want in [vec![1, 2, 3], vec![9, 8]] {
            let TcpInput::Frame { packet, .. } = next(&mut rx).await else {
                panic!("expected a frame");
            };
            assert_eq!(packet, want);
        }
        outbound.send(vec![7; 5]).await.unwrap();
        let mut got = [0u8; 7];
        client.read_exact(&mut got).await.unwrap();
        assert_eq!(got, [0, 5, 7, 7, 7, 7, 7]);
        drop(client);
        assert!(matches!(next(&mut rx).await, TcpInput::Closed { .. }));
    }

    #[tokio::test]
    async fn a_connection_that_sends_nothing_is_closed() {
        let (port, mut rx, stats) = start();
        let mut client = connect(port).await;
        assert!(matches!(next(&mut rx).await, TcpInput::Opened { .. }));
        assert_eq!(stats.connections.load(Ordering::Relaxed), 1);
        assert!(matches!(next(&mut rx).await, TcpInput::Closed { .. }));
        let mut buf = [0u8; 1];
        assert_eq!(
            client.read(&mut buf).await.unwrap(),
            0,
            "closed by the server"
        );
    }

    #[tokio::test]
    async fn connections_beyond_the_limit_wait_until_one_closes() {
        let (port, mut rx, stats) = start_with(Limits {
            max_connections: 2,
            first_frame: Duration::from_secs(5),
            idle: Duration::from_secs(5),
        });
        let first = connect(port).await;
        let _second = connect(port).await;
        for _ in 0..2 {
            assert!(matches!(next(&mut rx).await, TcpInput::Opened { .. }));
        }
        // The kernel completes the third handshake, but the server does not take it up.
        let _third = connect(port).await;
        let waited = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
        assert!(waited.is_err(), "a third connection was served: {waited:?}");
        assert_eq!(stats.connections.load(Ordering::Relaxed), 2);
        drop(first);
        assert!(matches!(next(&mut rx).await, TcpInput::Closed { .. }));
        assert!(matches!(next(&mut rx).await, TcpInput::Opened { .. }));
    }

    #[tokio::test]
    async fn garbage_is_framed_and_passed_on_and_the_connection_survives() {
        let (port, mut rx, _) = start();
        let mut client = connect(port).await;
        assert!(matches!(next(&mut rx).await, TcpInput::Opened { .. }));
        // "GET / HTTP/1.1" read as a frame length: 0x4745 bytes would follow.
        client.write_all(b"GE").await.unwrap();
        client.write_all(&vec![0xab; 0x4745]).await.unwrap();
        let TcpInput::Frame { packet, .. } = next(&mut rx).await else {
            panic!("expected a frame");
        };
        assert_eq!(packet.len(), 0x4745);
        // An empty frame is skipped; the next one still arrives.
        client.write_all(&[0, 0, 0, 1, 42]).await.unwrap();
        let TcpInput::Frame { packet, .. } = next(&mut rx).await else {
            panic!("expected a frame");
        };
        assert_eq!(packet, [42]);
    }

    #[tokio::test]
    async fn a_half_frame_then_a_close_is_a_clean_end() {
        let (port, mut rx, _) = start();
        let mut client = connect(port).await;
        assert!(matches!(next(&mut rx).await, TcpInput::Opened { .. }));
        // Says 1,000 bytes follow, sends 3, and goes away.
        client.write_all(&[0x03, 0xe8, 1, 2, 3]).await.unwrap();
        drop(client);
        assert!(matches!(next(&mut rx).await, TcpInput::Closed { .. }));
    }
}
