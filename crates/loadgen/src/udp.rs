//! A point's UDP socket on loopback: non-blocking, polled by the tokio reactor, read with
//! `recvmsg` so that each datagram comes with the kernel's receive time (`SO_TIMESTAMPNS`)
//! and the socket's count of datagrams dropped on a full receive buffer (`SO_RXQ_OVFL`),
//! see socket(7).
//!
//! The kernel's time is when the datagram reached the socket, before this process got round
//! to reading it: latency measured from it leaves out the load generator's own scheduling
//! delay on the receiving side, which is reported apart. The drop count tells loss caused by
//! a load generator that read too slowly from loss upstream.

use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};

use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Receive buffer asked for (the kernel caps it at `net.core.rmem_max`).
const RECV_BUFFER_BYTES: libc::c_int = 1 << 20;

/// One datagram read into the caller's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Datagram {
    pub len: usize,
    pub source: SocketAddr,
    /// When the kernel received it: nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    pub kernel_ns: Option<u64>,
    /// Datagrams this socket's full buffer has dropped since it was opened.
    pub dropped_total: Option<u32>,
}

pub struct PointSocket {
    socket: UdpSocket,
    /// The same socket for sending: a plain non-blocking `sendto`, which does not wait for
    /// the reactor to have seen the socket writable.
    sender: std::net::UdpSocket,
}

impl PointSocket {
    /// A socket on a free loopback port, with receive timestamps and drop counts on. Must be
    /// called within the runtime.
    #[cfg(test)]
    pub fn bind_loopback() -> io::Result<PointSocket> {
        PointSocket::bind(Ipv4Addr::LOCALHOST.into())
    }

    /// The same on a free port of `ip` (loopback, or this side of the Janus test link).
    pub fn bind(ip: std::net::IpAddr) -> io::Result<PointSocket> {
        let std_socket = std::net::UdpSocket::bind((ip, 0))?;
        std_socket.set_nonblocking(true)?;
        let sender = std_socket.try_clone()?;
        let socket = UdpSocket::from_std(std_socket)?;
        let fd = socket.as_raw_fd();
        set_option(fd, libc::SO_TIMESTAMPNS, 1)?;
        set_option(fd, libc::SO_RXQ_OVFL, 1)?;
        // Best effort: a larger buffer rides out a busy moment of the load generator.
        let _ = set_option(fd, libc::SO_RCVBUF, RECV_BUFFER_BYTES);
        Ok(PointSocket { socket, sender })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Waits until a datagram may be read.
    pub async fn readable(&self) -> io::Result<()> {
        self.socket.readable().await
    }

    /// Reads one datagram without waiting (`WouldBlock` when there is none).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Datagram> {
        let fd = self.socket.as_raw_fd();
        self.socket
            .try_io(Interest::READABLE, || recv_with_time(fd, buf))
    }

    /// Sends without waiting; `false` when the datagram could not leave.
    pub fn try_send_to(&self, contents: &[u8], destination: SocketAddr) -> bool {
        self.sender.send_to(contents, destination).is_ok()
    }
}

fn set_option(fd: RawFd, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `fd` is an open socket owned by the caller; the option value is a c_int whose
    // size is passed along.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&value as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Control buffer for one timestamp and one drop counter, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Control([u8; 128]);

fn recv_with_time(fd: RawFd, buf: &mut [u8]) -> io::Result<Datagram> {
    let mut addr = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut control = Control([0; 128]);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_name = addr.as_mut_ptr().cast();
    msg.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len() as _;
    // SAFETY: `msg` points at live buffers of the sizes it states.
    let n = unsafe { libc::recvmsg(fd, &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut kernel_ns = None;
    let mut dropped_total = None;
    // SAFETY: the kernel filled `msg_control` with `msg_controllen` bytes of cmsgs; the
    // CMSG_* macros walk them within those bounds, and the data is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            if header.cmsg_level == libc::SOL_SOCKET {
                let data = libc::CMSG_DATA(cmsg);
                if header.cmsg_type == libc::SCM_TIMESTAMPNS {
                    let ts: libc::timespec = std::ptr::read_unaligned(data.cast());
                    let ns = u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000
                        + u64::try_from(ts.tv_nsec).unwrap_or(0);
                    kernel_ns = (ns > 0).then_some(ns);
                } else if header.cmsg_type == libc::SO_RXQ_OVFL {
                    dropped_total = Some(std::ptr::read_unaligned(data.cast::<u32>()));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    // SAFETY: recvmsg wrote a socket address of `msg_namelen` bytes (or left zeros).
    let source = unsafe { to_socket_addr(addr.assume_init_ref()) }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unknown address family"))?;
    Ok(Datagram {
        len: usize::try_from(n).unwrap_or(0),
        source,
        kernel_ns,
        dropped_total,
    })
}

/// # Safety
/// `storage` holds a `sockaddr_in` or `sockaddr_in6` as its family says.
unsafe fn to_socket_addr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in, which fits in the storage.
            let a =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6, which fits in the storage.
            let a = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                a.sin6_addr.s6_addr.into(),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn datagrams_come_with_their_kernel_time_and_source() {
        let a = PointSocket::bind_loopback().unwrap();
        let b = PointSocket::bind_loopback().unwrap();
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(a.try_send_to(b"ping", b.local_addr().unwrap()));
        b.readable().await.unwrap();
        let mut buf = [0u8; 16];
        let d = b.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..d.len], b"ping");
        assert_eq!(d.source, a.local_addr().unwrap());
        let kernel = d.kernel_ns.expect("a receive timestamp");
        assert!(kernel >= before - 1_000_000 && kernel < before + 1_000_000_000);
        assert_eq!(d.dropped_total.unwrap_or(0), 0);
        let again = b.try_recv(&mut buf).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::WouldBlock);
    }
}
