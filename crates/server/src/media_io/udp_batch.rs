//! Batched UDP on Linux: many datagrams per system call (`recvmmsg(2)`, `sendmmsg(2)`).
//!
//! An SFU sends many more datagrams than it receives (each ingress packet goes to every
//! subscriber), and a system call per datagram is one of the largest costs per forwarded
//! packet. The media loop therefore drains the socket in batches and flushes everything the
//! media core produced in one go.
//!
//! The socket is bound to the wildcard address so that one port serves every interface, and
//! the kernel reports the local address each datagram arrived on (`IPV6_PKTINFO`, or
//! `IP_PKTINFO` where IPv6 is off): ICE answers only on an address it advertised, and replies
//! must leave from the address the peer sent to (RFC 8445 §7.3.1.1), so both travel with
//! every datagram. A dual-stack socket carries IPv4 as IPv4-mapped IPv6 addresses; they are
//! turned back into IPv4 at this edge.

use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use giaoban_media::Transmit;
use socket2::{Domain, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Datagrams read per `recvmmsg` call.
pub const RECV_BATCH: usize = 32;
/// Datagrams written per `sendmmsg` call.
const SEND_BATCH: usize = 64;
/// Receive buffer per datagram. WebRTC datagrams stay under ~1,500 bytes; larger ones are
/// truncated (and then rejected by the media core as malformed).
const RECV_BUF: usize = 2048;

/// Room for the control messages of one datagram: one packet-info message, aligned.
const CONTROL_BUF: usize = 64;
/// Kernel socket buffers asked for: bursts of a few hundred subscribers' packets.
const SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// The media socket: UDP on `port` of every local address, IPv6 and IPv4 when the machine
/// has IPv6, IPv4 alone otherwise, reporting each datagram's local address. Non-blocking; each
/// media thread registers its own handle of it ([`std::net::UdpSocket::try_clone`]) with its
/// own runtime.
pub fn bind_media_socket(port: u16) -> io::Result<std::net::UdpSocket> {
    let socket = match dual_stack_socket(port) {
        Ok(socket) => socket,
        Err(e) => {
            tracing::info!("no IPv6 on the media port ({e}): IPv4 only");
            let socket = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
            set_flag(&socket, libc::IPPROTO_IP, libc::IP_PKTINFO)?;
            socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
            socket
        }
    };
    // Larger buffers absorb bursts; the kernel may grant less (net.core.rmem_max), which
    // only costs drops under load.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER_BYTES);
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

fn dual_stack_socket(port: u16) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, None)?;
    socket.set_only_v6(false)?;
    set_flag(&socket, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
    Ok(socket)
}

fn set_flag(socket: &Socket, level: libc::c_int, name: libc::c_int) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: the option value is a c_int that lives through the call, with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reusable receive buffers for one batch.
pub struct RecvBatch {
    bufs: Vec<[u8; RECV_BUF]>,
    addrs: Vec<libc::sockaddr_storage>,
    controls: Vec<Control>,
    lens: Vec<usize>,
    sources: Vec<Option<SocketAddr>>,
    destinations: Vec<Option<IpAddr>>,
    count: usize,
}

/// A control message buffer, aligned for `cmsghdr`.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Control([u8; CONTROL_BUF]);

/// One received datagram.
pub struct Received<'a> {
    pub source: SocketAddr,
    /// The local address it arrived on.
    pub destination: SocketAddr,
    pub contents: &'a [u8],
}

impl RecvBatch {
    pub fn new() -> RecvBatch {
        RecvBatch {
            bufs: vec![[0; RECV_BUF]; RECV_BATCH],
            // SAFETY: sockaddr_storage is plain old data; all zero bytes is a valid value.
            addrs: vec![unsafe { MaybeUninit::zeroed().assume_init() }; RECV_BATCH],
            controls: vec![Control([0; CONTROL_BUF]); RECV_BATCH],
            lens: vec![0; RECV_BATCH],
            sources: vec![None; RECV_BATCH],
            destinations: vec![None; RECV_BATCH],
            count: 0,
        }
    }

    /// The datagrams of the last receive on a socket bound to `port`. A datagram whose
    /// local address the kernel did not report is left out: there is no telling which
    /// candidate it was meant for.
    pub fn iter(&self, port: u16) -> impl Iterator<Item = Received<'_>> {
        (0..self.count).filter_map(move |i| {
            Some(Received {
                source: self.sources[i]?,
                destination: SocketAddr::new(self.destinations[i]?, port),
                contents: &self.bufs[i][..self.lens[i]],
            })
        })
    }
}

/// The media port as the reading thread reads it: registered for readability only. A socket
/// registered for writability too is woken by the kernel each time a datagram it sent leaves
/// (`sock_wfree`), tens of thousands of times a second on a busy port, for nothing.
pub struct RecvSocket {
    fd: AsyncFd<std::net::UdpSocket>,
}

impl RecvSocket {
    /// Registers `socket` (non-blocking) with the current runtime.
    pub fn new(socket: std::net::UdpSocket) -> io::Result<RecvSocket> {
        // SAFETY: the AsyncFd owns the socket, so its descriptor stays open for as long as it
        // is registered (AsyncFd deregisters it before dropping the socket).
        let fd = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(RecvSocket { fd })
    }

    #[cfg(test)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get_ref().local_addr()
    }
}

/// Waits until the socket is readable, then reads up to [`RECV_BATCH`] datagrams.
pub async fn recv(socket: &RecvSocket, batch: &mut RecvBatch) -> io::Result<usize> {
    loop {
        let mut ready = socket.fd.readable().await?;
        match ready.try_io(|fd| recv_now(fd.get_ref(), batch)) {
            Ok(result) => return result,
            // Drained by now: the readiness was cleared, wait for the next datagram.
            Err(_would_block) => continue,
        }
    }
}

fn recv_now(socket: &std::net::UdpSocket, batch: &mut RecvBatch) -> io::Result<usize> {
    let mut iovecs: [libc::iovec; RECV_BATCH] = std::array::from_fn(|i| libc::iovec {
        iov_base: batch.bufs[i].as_mut_ptr().cast(),
        iov_len: RECV_BUF,
    });
    // SAFETY: mmsghdr is plain old data; all zero bytes is a valid value.
    let mut msgs: [libc::mmsghdr; RECV_BATCH] = unsafe { MaybeUninit::zeroed().assume_init() };
    for (i, msg) in msgs.iter_mut().enumerate() {
        msg.msg_hdr.msg_name = (&mut batch.addrs[i] as *mut libc::sockaddr_storage).cast();
        msg.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_hdr.msg_iov = &mut iovecs[i];
        msg.msg_hdr.msg_iovlen = 1;
        msg.msg_hdr.msg_control = batch.controls[i].0.as_mut_ptr().cast();
        msg.msg_hdr.msg_controllen = CONTROL_BUF as _;
    }
    // SAFETY: every header points at a live buffer, address and control buffer of `batch`
    // (and an iovec on this stack frame) of the stated length; the kernel writes at most that
    // much.
    let n = unsafe {
        libc::recvmmsg(
            socket.as_raw_fd(),
            msgs.as_mut_ptr(),
            RECV_BATCH as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    if n < 0 {
        batch.count = 0;
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    for (i, msg) in msgs.iter().enumerate().take(n) {
        batch.lens[i] = (msg.msg_len as usize).min(RECV_BUF);
        batch.sources[i] = socket_addr(&batch.addrs[i]).map(unmapped);
        batch.destinations[i] = packet_destination(&msg.msg_hdr).map(unmapped_ip);
    }
    batch.count = n;
    Ok(n)
}

/// The local address of a received datagram, from its `IP_PKTINFO` / `IPV6_PKTINFO`.
fn packet_destination(hdr: &libc::msghdr) -> Option<IpAddr> {
    // SAFETY: `hdr` is the header the kernel just filled: its control pointer and length
    // describe the messages it wrote, which the CMSG macros walk within those bounds.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            let (level, kind) = ((*cmsg).cmsg_level, (*cmsg).cmsg_type);
            if level == libc::IPPROTO_IPV6 && kind == libc::IPV6_PKTINFO {
                let info = libc::CMSG_DATA(cmsg)
                    .cast::<libc::in6_pktinfo>()
                    .read_unaligned();
                return Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
            }
            if level == libc::IPPROTO_IP && kind == libc::IP_PKTINFO {
                let info = libc::CMSG_DATA(cmsg)
                    .cast::<libc::in_pktinfo>()
                    .read_unaligned();
                let ip = Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr));
                return Some(IpAddr::V4(ip));
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    None
}

/// IPv4 as IPv4, not as the IPv4-mapped IPv6 address a dual-stack socket reports.
pub fn unmapped(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(unmapped_ip(addr.ip()), addr.port())
}

fn unmapped_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The address the kernel wrote into `storage`, if it is IPv4 or IPv6.
fn socket_addr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it can contain.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6, which it can contain.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::from((ip, u16::from_be(sin6.sin6_port))))
        }
        _ => None,
    }
}

/// The media port as one media thread sends on it. It is not registered with the runtime at
/// all: a socket registered for writability is woken by the kernel each time any datagram sent
/// on the port leaves (`sock_wfree`), which for several threads sharing a busy port costs more
/// than the sending. A full send buffer (rare: 4 MB) is waited out by short sleeps instead.
pub struct SendSocket {
    socket: std::net::UdpSocket,
    dual_stack: bool,
}

/// How long a media thread waits before it tries a full send buffer again.
const SEND_RETRY: std::time::Duration = std::time::Duration::from_millis(1);

impl SendSocket {
    /// Wraps `socket` (non-blocking, e.g. a [`std::net::UdpSocket::try_clone`] of the media
    /// port).
    pub fn new(socket: std::net::UdpSocket) -> io::Result<SendSocket> {
        // How addresses are written depends on the socket's family.
        let dual_stack = socket.local_addr()?.is_ipv6();
        Ok(SendSocket { socket, dual_stack })
    }
}

/// Sends every datagram of `queue`, [`SEND_BATCH`] per system call, waiting while the
/// socket buffer is full. Datagrams the kernel refuses (e.g. an unreachable destination)
/// are dropped: UDP gives no other guarantee, and str0m retransmits what matters.
pub async fn send_all(socket: &SendSocket, queue: &mut Vec<Transmit>) -> io::Result<()> {
    let mut sent = 0;
    while sent < queue.len() {
        let chunk = &queue[sent..(sent + SEND_BATCH).min(queue.len())];
        match send_now(&socket.socket, chunk, socket.dual_stack) {
            Ok(n) => sent += n.max(1),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                tokio::time::sleep(SEND_RETRY).await;
            }
            Err(e) => {
                tracing::debug!("media send failed: {e}");
                sent += 1; // skip the datagram the kernel refused
            }
        }
    }
    queue.clear();
    Ok(())
}

fn send_now(
    socket: &std::net::UdpSocket,
    chunk: &[Transmit],
    dual_stack: bool,
) -> io::Result<usize> {
    let addrs: Vec<SockAddr> = chunk
        .iter()
        .map(|t| SockAddr::from(on_socket(t.destination, dual_stack)))
        .collect();
    let mut controls: Vec<Control> = chunk.iter().map(|_| Control([0; CONTROL_BUF])).collect();
    let mut iovecs: Vec<libc::iovec> = chunk
        .iter()
        .map(|t| libc::iovec {
            iov_base: t.contents.as_ptr() as *mut libc::c_void,
            iov_len: t.contents.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = (0..chunk.len())
        .map(|i| {
            // SAFETY: mmsghdr is plain old data; all zero bytes is a valid value.
            let mut msg: libc::mmsghdr = unsafe { MaybeUninit::zeroed().assume_init() };
            msg.msg_hdr.msg_name = addrs[i].as_ptr() as *mut libc::c_void;
            msg.msg_hdr.msg_namelen = addrs[i].len();
            msg.msg_hdr.msg_iov = &mut iovecs[i];
            msg.msg_hdr.msg_iovlen = 1;
            if !chunk[i].source.ip().is_unspecified() {
                set_source(
                    &mut msg.msg_hdr,
                    &mut controls[i],
                    chunk[i].source.ip(),
                    dual_stack,
                );
            }
            msg
        })
        .collect();
    // SAFETY: each header points at an address, a control message and a datagram that
    // outlive this call; the kernel only reads them.
    let n = unsafe {
        libc::sendmmsg(
            socket.as_raw_fd(),
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `addr` as the socket takes it: IPv4-mapped on a dual-stack socket.
fn on_socket(addr: SocketAddr, dual_stack: bool) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) if dual_stack => {
            SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
        }
        other => other,
    }
}

/// Puts a packet-info control message in `hdr` that makes the datagram leave from `source`.
fn set_source(hdr: &mut libc::msghdr, control: &mut Control, source: IpAddr, dual_stack: bool) {
    hdr.msg_control = control.0.as_mut_ptr().cast();
    hdr.msg_controllen = CONTROL_BUF as _;
    // SAFETY: the control buffer is CONTROL_BUF bytes, aligned for cmsghdr, and larger than
    // CMSG_SPACE of either packet-info struct; CMSG_FIRSTHDR is non-null for such a buffer.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(hdr);
        if dual_stack {
            let ip = match source {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: ip.octets(),
                },
                ipi6_ifindex: 0,
            };
            (*cmsg).cmsg_level = libc::IPPROTO_IPV6;
            (*cmsg).cmsg_type = libc::IPV6_PKTINFO;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as _;
            libc::CMSG_DATA(cmsg)
                .cast::<libc::in6_pktinfo>()
                .write_unaligned(info);
            hdr.msg_controllen = libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as _;
        } else if let IpAddr::V4(v4) = source {
            let info = libc::in_pktinfo {
                ipi_ifindex: 0,
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(v4).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            (*cmsg).cmsg_level = libc::IPPROTO_IP;
            (*cmsg).cmsg_type = libc::IP_PKTINFO;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::in_pktinfo>() as u32) as _;
            libc::CMSG_DATA(cmsg)
                .cast::<libc::in_pktinfo>()
                .write_unaligned(info);
            hdr.msg_controllen = libc::CMSG_SPACE(size_of::<libc::in_pktinfo>() as u32) as _;
        } else {
            // An IPv6 source on an IPv4 socket cannot be: no control message.
            hdr.msg_control = std::ptr::null_mut();
            hdr.msg_controllen = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receive_one(socket: &RecvSocket, batch: &mut RecvBatch) -> Vec<(SocketAddr, SocketAddr)> {
        let port = socket.local_addr().unwrap().port();
        batch
            .iter(port)
            .map(|r| (r.source, r.destination))
            .collect()
    }

    #[tokio::test]
    async fn the_local_address_of_each_datagram_is_reported_and_replies_leave_from_it() {
        let std_media = bind_media_socket(0).unwrap();
        let sender = SendSocket::new(std_media.try_clone().unwrap()).unwrap();
        let media = RecvSocket::new(std_media).unwrap();
        let port = media.local_addr().unwrap().port();
        let mut batch = RecvBatch::new();
        for local in ["127.0.0.1", "127.0.0.2", "::1"] {
            let local: IpAddr = local.parse().unwrap();
            let peer = match std::net::UdpSocket::bind(SocketAddr::new(local, 0)) {
                Ok(p) => p,
                // A machine without IPv6 loopback: IPv4 is still checked.
                Err(_) if local.is_ipv6() => continue,
                Err(e) => panic!("cannot bind {local}: {e}"),
            };
            let to = SocketAddr::new(local, port);
            peer.send_to(b"ping", to).unwrap();
            let got = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                recv(&media, &mut batch).await.unwrap();
                receive_one(&media, &mut batch)
            })
            .await
            .expect("the datagram arrives");
            assert_eq!(got, vec![(peer.local_addr().unwrap(), to)]);
            // The reply leaves from the address the peer sent to.
            let mut queue = vec![Transmit {
                proto: giaoban_media::Protocol::Udp,
                source: to,
                destination: peer.local_addr().unwrap(),
                contents: b"pong".to_vec().into(),
            }];
            send_all(&sender, &mut queue).await.unwrap();
            let mut buf = [0u8; 16];
            peer.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (&b"pong"[..], to));
        }
    }
}
