//! Batched UDP on Linux: many datagrams per system call (`recvmmsg(2)`, `sendmmsg(2)`).
//!
//! An SFU sends many more datagrams than it receives (each ingress packet goes to every
//! subscriber), and a system call per datagram is one of the largest costs per forwarded
//! packet. The media loop therefore drains the socket in batches and flushes everything the
//! media core produced in one go.

use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use giaoban_media::Transmit;
use socket2::SockAddr;
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams read per `recvmmsg` call.
pub const RECV_BATCH: usize = 32;
/// Datagrams written per `sendmmsg` call.
const SEND_BATCH: usize = 64;
/// Receive buffer per datagram. WebRTC datagrams stay under ~1,500 bytes; larger ones are
/// truncated (and then rejected by the media core as malformed).
const RECV_BUF: usize = 2048;

/// Reusable receive buffers for one batch.
pub struct RecvBatch {
    bufs: Vec<[u8; RECV_BUF]>,
    addrs: Vec<libc::sockaddr_storage>,
    lens: Vec<usize>,
    sources: Vec<Option<SocketAddr>>,
    count: usize,
}

impl RecvBatch {
    pub fn new() -> RecvBatch {
        RecvBatch {
            bufs: vec![[0; RECV_BUF]; RECV_BATCH],
            // SAFETY: sockaddr_storage is plain old data; all zero bytes is a valid value.
            addrs: vec![unsafe { MaybeUninit::zeroed().assume_init() }; RECV_BATCH],
            lens: vec![0; RECV_BATCH],
            sources: vec![None; RECV_BATCH],
            count: 0,
        }
    }

    /// The datagrams of the last receive, with their sources.
    pub fn iter(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> {
        (0..self.count).filter_map(|i| Some((self.sources[i]?, &self.bufs[i][..self.lens[i]])))
    }
}

/// Waits until the socket is readable, then reads up to [`RECV_BATCH`] datagrams.
pub async fn recv(socket: &UdpSocket, batch: &mut RecvBatch) -> io::Result<usize> {
    loop {
        socket.readable().await?;
        match socket.try_io(Interest::READABLE, || recv_now(socket, batch)) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

fn recv_now(socket: &UdpSocket, batch: &mut RecvBatch) -> io::Result<usize> {
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
    }
    // SAFETY: every header points at a live buffer and address of `batch` (and an iovec on
    // this stack frame) of the stated length; the kernel writes at most that much.
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
        batch.sources[i] = socket_addr(&batch.addrs[i]);
    }
    batch.count = n;
    Ok(n)
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

/// Sends every datagram of `queue`, [`SEND_BATCH`] per system call, waiting while the
/// socket buffer is full. Datagrams the kernel refuses (e.g. an unreachable destination)
/// are dropped: UDP gives no other guarantee, and str0m retransmits what matters.
pub async fn send_all(socket: &UdpSocket, queue: &mut Vec<Transmit>) -> io::Result<()> {
    let mut sent = 0;
    while sent < queue.len() {
        let chunk = &queue[sent..(sent + SEND_BATCH).min(queue.len())];
        match socket.try_io(Interest::WRITABLE, || send_now(socket, chunk)) {
            Ok(n) => sent += n.max(1),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
            Err(e) => {
                tracing::debug!("media send failed: {e}");
                sent += 1; // skip the datagram the kernel refused
            }
        }
    }
    queue.clear();
    Ok(())
}

fn send_now(socket: &UdpSocket, chunk: &[Transmit]) -> io::Result<usize> {
    let addrs: Vec<SockAddr> = chunk
        .iter()
        .map(|t| SockAddr::from(t.destination))
        .collect();
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
            msg
        })
        .collect();
    // SAFETY: each header points at an address and a datagram that outlive this call; the
    // kernel only reads them.
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
