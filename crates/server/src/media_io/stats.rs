//! The media threads' counters for `/metrics`, shared by the threads and the HTTP side.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::tcp::TcpStats;

/// Counters published by the media threads for `/metrics`, summed over the threads.
#[derive(Default)]
pub struct MediaStats {
    pub datagrams_received: AtomicU64,
    pub datagrams_dropped: AtomicU64,
    pub frames_forwarded: AtomicU64,
    pub peers: AtomicU64,
    /// Frames for a TCP connection that was full or gone.
    pub tcp_frames_dropped: AtomicU64,
    /// Batches of datagrams dropped because their media thread's queue was full.
    pub shard_overflows: AtomicU64,
    /// Video slots restarted at a keyframe because a subscriber's send queue grew too old.
    pub egress_resyncs: AtomicU64,
    pub tcp: Arc<TcpStats>,
}
