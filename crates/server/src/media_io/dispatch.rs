//! Receiving: the first media thread reads the media port (UDP, and the frames of ICE-TCP
//! connections) for all of them, handles its own briefings' datagrams at once and hands each
//! other media thread the datagrams of its briefings.
//!
//! # Why one reader, and why on a media thread
//!
//! All media of all briefings arrives on one UDP port, and each briefing lives on one media
//! thread. The datagrams have to be sorted by briefing before anything else happens to them.
//! Two ways were open:
//!
//! - `SO_REUSEPORT`, one socket per media thread: the kernel spreads datagrams over the
//!   sockets by a hash of the addresses, not by briefing, so it takes a BPF steering program
//!   holding the address → thread map in a BPF map, kept in step with every ICE check from
//!   user space; without it half the datagrams (with two threads) land on the wrong thread
//!   and must be passed on anyway.
//! - **One reader that dispatches** (this module): it drains the socket in batches
//!   (`recvmmsg`), looks each datagram up in a small table ([`Router`]: the ICE username
//!   fragment of a check, then the source address), and passes each other media thread its
//!   share as one message per batch. The threads never contend for the socket, and the table
//!   is plain user-space state.
//!
//! The reader is the first media thread itself, not a thread of its own: a hand-over between
//! threads (a copy, a queue, a wake-up of each side) measured about a third more CPU per
//! forwarded packet for a briefing that had a node to itself, which is the common case.
//! Briefings are placed on the first thread first, so one briefing pays nothing; the
//! briefings of the other threads pay the hand-over.
//!
//! Sending needs no such care: every media thread writes to the shared socket itself
//! (`sendmmsg` is safe from several threads).
//!
//! A media thread that falls behind loses datagrams, as a full socket buffer would lose them,
//! and never holds up the others: its queue is bounded ([`SHARD_QUEUE`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use giaoban_media::{PeerId, Protocol};
use tokio::sync::mpsc;
use tracing::debug;

use super::route::Router;
use super::stats::MediaStats;

/// Batches waiting for one media thread. A batch holds what one `recvmmsg` call read for that
/// thread, up to [`udp_batch::RECV_BATCH`] datagrams.
pub const SHARD_QUEUE: usize = 256;

/// What the media threads tell the reading thread about their points.
#[derive(Debug)]
pub enum RouteUpdate {
    /// `peer`, on media thread `shard`, answers ICE checks for `ufrag`.
    Ufrag {
        peer: PeerId,
        shard: usize,
        ufrag: String,
    },
    /// `peer` left.
    Gone { peer: PeerId },
}

/// Datagrams for one media thread.
#[derive(Default)]
pub struct Inbound {
    data: Vec<u8>,
    items: Vec<Item>,
}

struct Item {
    protocol: Protocol,
    source: SocketAddr,
    destination: SocketAddr,
    end: usize,
}

/// One datagram of an [`Inbound`] batch.
pub struct Datagram<'a> {
    pub protocol: Protocol,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub contents: &'a [u8],
}

impl Inbound {
    fn push(
        &mut self,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        self.data.extend_from_slice(contents);
        self.items.push(Item {
            protocol,
            source,
            destination,
            end: self.data.len(),
        });
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> {
        let mut start = 0;
        self.items.iter().map(move |item| {
            let contents = &self.data[start..item.end];
            start = item.end;
            Datagram {
                protocol: item.protocol,
                source: item.source,
                destination: item.destination,
                contents,
            }
        })
    }
}

/// The reading thread's routing state: the table and what it gathered for the other threads.
pub struct Dispatcher {
    router: Router,
    /// The queues of the other media threads; index 0, the reading thread itself, has none.
    shards: Vec<Option<mpsc::Sender<Inbound>>>,
    pending: Vec<Inbound>,
    stats: Arc<MediaStats>,
}

impl Dispatcher {
    /// A dispatcher for the reading thread (index 0) and the queues of the others, in order.
    pub fn new(others: Vec<mpsc::Sender<Inbound>>, stats: Arc<MediaStats>) -> Dispatcher {
        let shards: Vec<Option<mpsc::Sender<Inbound>>> = std::iter::once(None)
            .chain(others.into_iter().map(Some))
            .collect();
        Dispatcher {
            router: Router::new(),
            pending: shards.iter().map(|_| Inbound::default()).collect(),
            shards,
            stats,
        }
    }

    /// Sorts one datagram: `true` when it is the reading thread's own, to handle at once;
    /// otherwise it is kept for its thread ([`Dispatcher::pass_on`]) or dropped.
    pub fn take(
        &mut self,
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        match self.router.route(protocol, source, contents) {
            Some(0) => true,
            Some(shard) if shard < self.pending.len() => {
                self.pending[shard].push(protocol, source, destination, contents);
                false
            }
            _ => {
                // Datagrams of no point: what a media thread would have dropped.
                self.stats
                    .datagrams_received
                    .fetch_add(1, Ordering::Relaxed);
                self.stats.datagrams_dropped.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(%source, "datagram of no point dropped");
                false
            }
        }
    }

    /// Hands each other media thread what [`Dispatcher::take`] gathered for it.
    pub fn pass_on(&mut self) {
        for (shard, tx) in self.shards.iter().enumerate() {
            let Some(tx) = tx else { continue };
            if self.pending[shard].len() == 0 {
                continue;
            }
            let batch = std::mem::take(&mut self.pending[shard]);
            let count = batch.len() as u64;
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(batch) {
                self.stats
                    .datagrams_received
                    .fetch_add(count, Ordering::Relaxed);
                self.stats
                    .datagrams_dropped
                    .fetch_add(count, Ordering::Relaxed);
                self.stats.shard_overflows.fetch_add(1, Ordering::Relaxed);
                debug!(shard, count, "media thread behind: datagrams dropped");
            }
        }
    }

    pub fn update(&mut self, update: RouteUpdate) {
        match update {
            RouteUpdate::Ufrag { peer, shard, ufrag } => self.router.add_ufrag(peer, shard, ufrag),
            RouteUpdate::Gone { peer } => self.router.remove(peer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_gives_back_each_datagram_with_its_addresses() {
        let mut batch = Inbound::default();
        let (a, b): (SocketAddr, SocketAddr) =
            ("10.0.0.1:1".parse().unwrap(), "10.0.0.2:2".parse().unwrap());
        batch.push(Protocol::Udp, a, b, b"first");
        batch.push(Protocol::Tcp, b, a, b"");
        batch.push(Protocol::Udp, a, a, b"third!");
        let got: Vec<_> = batch
            .iter()
            .map(|d| (d.protocol, d.source, d.destination, d.contents.to_vec()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Protocol::Udp, a, b, b"first".to_vec()),
                (Protocol::Tcp, b, a, Vec::new()),
                (Protocol::Udp, a, a, b"third!".to_vec()),
            ]
        );
    }

    #[test]
    fn a_media_thread_that_is_behind_loses_datagrams_and_holds_up_no_other() {
        // Thread 0 reads; threads 1 (never reads its queue) and 2 are passed their datagrams.
        let stats = Arc::new(MediaStats::default());
        let (slow_tx, _slow_rx) = mpsc::channel(1);
        let (fast_tx, mut fast_rx) = mpsc::channel(SHARD_QUEUE);
        let mut d = Dispatcher::new(vec![slow_tx, fast_tx], stats.clone());
        let (own, slow, fast) = (PeerId(0), PeerId(1), PeerId(2));
        for (peer, shard, ufrag) in [(own, 0, "own"), (slow, 1, "slow"), (fast, 2, "fast")] {
            d.update(RouteUpdate::Ufrag {
                peer,
                shard,
                ufrag: ufrag.into(),
            });
        }
        let slow_addr: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let fast_addr: SocketAddr = "10.0.0.2:2".parse().unwrap();
        let local: SocketAddr = "10.0.0.9:50000".parse().unwrap();
        // The reading thread's own point is handled at once, never queued.
        let own_addr: SocketAddr = "10.0.0.3:3".parse().unwrap();
        assert!(d.take(Protocol::Udp, own_addr, local, &check("own")));
        assert!(d.take(Protocol::Udp, own_addr, local, &[0x80; 100]));
        assert!(!d.take(Protocol::Udp, slow_addr, local, &check("slow")));
        assert!(!d.take(Protocol::Udp, fast_addr, local, &check("fast")));
        d.pass_on();
        // The slow thread reads nothing: its queue (1 batch) is full from now on.
        for _ in 0..100 {
            d.take(Protocol::Udp, slow_addr, local, &[0x80; 100]);
            d.take(Protocol::Udp, fast_addr, local, &[0x80; 100]);
            d.pass_on();
        }
        let mut delivered = 0;
        while let Ok(batch) = fast_rx.try_recv() {
            delivered += batch.len();
        }
        assert_eq!(delivered, 101, "every datagram of the fast thread arrives");
        assert_eq!(stats.datagrams_dropped.load(Ordering::Relaxed), 100);
        assert_eq!(stats.shard_overflows.load(Ordering::Relaxed), 100);
        // A point that left routes nowhere.
        d.update(RouteUpdate::Gone { peer: fast });
        d.take(Protocol::Udp, fast_addr, local, &[0x80; 100]);
        d.pass_on();
        assert!(fast_rx.try_recv().is_err());
        assert_eq!(stats.datagrams_dropped.load(Ordering::Relaxed), 101);
    }

    /// A minimal STUN binding request from `ufrag` (the server's fragment).
    fn check(ufrag: &str) -> Vec<u8> {
        let username = format!("{ufrag}:client");
        let mut attrs = vec![0x00, 0x06];
        attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attrs.extend_from_slice(username.as_bytes());
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        m.extend_from_slice(&[1; 12]);
        m.extend_from_slice(&attrs);
        m
    }
}
