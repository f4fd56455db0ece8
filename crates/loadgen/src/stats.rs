//! Measurement: the shared clock, a fixed-bucket latency histogram and the counters of one
//! measurement window. Recording never allocates.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The one clock of a run. Every point runs in this process, so the send time a publisher
/// writes in a probe and the arrival time a subscriber sees are read from the same clock.
///
/// Timers use the monotonic clock. Probes use wall-clock time (`CLOCK_REALTIME`), the clock of
/// the kernel's receive timestamps, so a frame's latency can be taken from the moment the
/// kernel received it rather than from when this process got round to reading it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch_wall_ns: u64,
}

/// A moment on both clocks.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// For timers and str0m.
    pub at: Instant,
    /// Wall-clock µs since the run's epoch: the time base of probes.
    pub wall_us: u64,
}

impl Clock {
    /// Starts the run's clock now.
    pub fn start() -> Clock {
        Clock {
            epoch_wall_ns: unix_ns(),
        }
    }

    pub fn now(&self) -> Moment {
        Moment {
            at: Instant::now(),
            wall_us: self.wall_us(unix_ns()),
        }
    }

    /// Wall-clock µs since the epoch of a time in ns since the Unix epoch.
    pub fn wall_us(&self, unix_ns: u64) -> u64 {
        unix_ns.saturating_sub(self.epoch_wall_ns) / 1000
    }
}

fn unix_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Bucket width below [`FINE_LIMIT_US`]: 10 µs.
const FINE_US: u64 = 10;
const FINE_LIMIT_US: u64 = 10_000;
/// Bucket width from [`FINE_LIMIT_US`] to [`COARSE_LIMIT_US`]: 1 ms.
const COARSE_US: u64 = 1_000;
const COARSE_LIMIT_US: u64 = 2_000_000;
const FINE_BUCKETS: usize = (FINE_LIMIT_US / FINE_US) as usize;
const BUCKETS: usize = FINE_BUCKETS + ((COARSE_LIMIT_US - FINE_LIMIT_US) / COARSE_US) as usize + 1;

/// Latencies in microseconds: 10 µs resolution up to 10 ms, 1 ms up to 2 s, then one
/// overflow bucket. Quantiles are reported at the upper edge of their bucket.
#[derive(Clone)]
pub struct Histogram {
    buckets: Box<[u64]>,
    count: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            max_us: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, us: u64) {
        let index = if us < FINE_LIMIT_US {
            (us / FINE_US) as usize
        } else if us < COARSE_LIMIT_US {
            FINE_BUCKETS + ((us - FINE_LIMIT_US) / COARSE_US) as usize
        } else {
            BUCKETS - 1
        };
        self.buckets[index] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(us);
    }

    /// The `q` quantile (0..=1) in milliseconds, `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (index, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let upper_us = if index < FINE_BUCKETS {
                    (index as u64 + 1) * FINE_US
                } else if index < BUCKETS - 1 {
                    FINE_LIMIT_US + (index - FINE_BUCKETS + 1) as u64 * COARSE_US
                } else {
                    self.max_us
                };
                return Some(upper_us.min(self.max_us) as f64 / 1000.0);
            }
        }
        Some(self.max_us as f64 / 1000.0)
    }
}

/// Counters of one measurement window, shared by every point of the run (one thread).
#[derive(Default)]
pub struct Window {
    /// Frames received that carried a probe.
    pub frames: u64,
    /// Audio frames received from the watched publisher (the host), whom every subscriber
    /// hears all along: a server that stops forwarding loses no frame in a sequence, but
    /// this falls short of 50 per second per subscriber.
    pub watched_audio_frames: u64,
    /// Frames missing from a source's sequence while it was being forwarded.
    pub lost: u64,
    /// Frames that arrived after a later one (counted neither as lost nor as received).
    pub late: u64,
    /// Gaps explained by forwarding decisions: a paused thumbnail, a layer switch, audio
    /// gated by the floor. Not loss.
    pub pauses: u64,
    /// Frames whose m-line the server said carried another point than the probe's sender
    /// (see `media/labels.rs`); 0 when the server labels its slots right.
    pub mislabelled: u64,
    /// One-way latency of every frame (publisher write to subscriber depacketisation).
    pub latency: Histogram,
    /// The same, of audio frames only: one packet each, so free of packetisation spread.
    pub latency_audio: Histogram,
    /// The same, of the frames the host receives (its stage and page of thumbnails): the
    /// heaviest subscriber of a briefing.
    pub latency_host: Histogram,
    /// Sum of the RFC 3550 interarrival jitter estimate after each frame, for the mean.
    pub jitter_sum_us: f64,
    /// RTP datagrams the subscribers received from the server: the server's egress.
    pub egress_rtp: u64,
    /// Other datagrams from the server: RTCP, STUN, DTLS.
    pub egress_other: u64,
    /// Datagrams the points sent to the server.
    pub sent: u64,
    /// Datagrams the points could not send (socket buffer full or an error).
    pub send_failures: u64,
    /// How late the load generator's own frame timers fire: its loop lag.
    pub lag: Histogram,
    /// From the kernel's receipt of a datagram to this process reading it: the load
    /// generator's receive delay, left out of the latency above.
    pub recv_delay: Histogram,
    /// Datagrams the kernel dropped because a point's socket buffer was full: loss caused
    /// by the load generator reading too slowly.
    pub socket_drops: u64,
    /// Keyframe requests the publishers received.
    pub keyframe_requests: u64,
}

impl Window {
    /// Starts a new window (once per window: allocating here is fine).
    pub fn reset(&mut self) {
        *self = Window::default();
    }

    /// Fraction of frames lost, `None` before any frame.
    pub fn loss(&self) -> Option<f64> {
        let expected = self.frames + self.lost;
        (expected > 0).then(|| self.lost as f64 / expected as f64)
    }

    pub fn jitter_ms(&self) -> Option<f64> {
        (self.frames > 0).then(|| self.jitter_sum_us / self.frames as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_report_the_upper_bucket_edge() {
        let mut h = Histogram::default();
        for us in [15, 25, 35, 45, 12_345] {
            h.record(us);
        }
        assert_eq!(h.quantile_ms(0.5), Some(0.04));
        assert_eq!(h.quantile_ms(0.99), Some(12.345));
        assert_eq!(h.quantile_ms(0.2), Some(0.02));
    }

    #[test]
    fn empty_histogram_has_no_quantiles() {
        assert_eq!(Histogram::default().quantile_ms(0.5), None);
    }

    #[test]
    fn overflow_reports_the_maximum() {
        let mut h = Histogram::default();
        h.record(5_000_000);
        assert_eq!(h.quantile_ms(0.99), Some(5000.0));
    }

    #[test]
    fn reset_keeps_nothing() {
        let mut w = Window {
            frames: 3,
            ..Window::default()
        };
        w.latency.record(100);
        w.reset();
        assert_eq!(w.frames, 0);
        assert_eq!(w.latency.quantile_ms(0.5), None);
    }
}
