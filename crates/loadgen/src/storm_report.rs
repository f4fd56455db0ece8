//! The figures of a join storm (`--scenario join-storm`): what the points saw of the
//! signalling, `/healthz` latency during the storm and the server's memory, as a table for
//! people and as JSON for scripts. Pure: the run in `storm.rs` gathers, this file sums up.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::report::ErrorCount;

/// A whole join storm.
#[derive(Debug, Clone, Serialize)]
pub struct StormReport {
    pub target: String,
    pub scenario: String,
    /// Storm points, the host among them (the flooder and the non-reader are extra).
    pub points: usize,
    /// Seconds over which the storm points opened their WebSockets.
    pub within_s: f64,
    /// Seconds a point may wait for its `welcome` after starting to connect.
    pub join_timeout_s: f64,
    pub welcomed: usize,
    /// Storm points without a `welcome` within the join timeout (refused, closed, too slow).
    pub never_welcomed: usize,
    /// Storm points whose connection broke after their `welcome`, before the storm settled.
    pub dropped_after_welcome: usize,
    /// From the first point starting to connect until the last `welcome`, when every storm
    /// point got one.
    pub all_welcomed_s: Option<f64>,
    /// From the first point starting to connect until the last `welcome` that came.
    pub last_welcome_s: Option<f64>,
    /// From a point starting to connect (TCP, WebSocket upgrade, `hello`) to its `welcome`.
    pub welcome_p50_ms: Option<f64>,
    pub welcome_p99_ms: Option<f64>,
    pub welcome_max_ms: Option<f64>,
    /// When the per-point counters were read: this long after the last `welcome` (and after
    /// the flood's end).
    pub settle_s: f64,
    /// Seconds from the first connect to the reading of the counters.
    pub settled_at_s: f64,
    /// The first storm point (the host), connected before every other.
    pub observer: Option<PointSignalling>,
    /// Signalling received by the welcomed storm points until the storm settled.
    pub received: Option<Received>,
    pub healthz: Healthz,
    pub server: Option<ServerMemory>,
    pub flood: Option<FloodFigures>,
    /// Peak resident memory of this load generator, MB.
    pub loadgen_rss_peak_mb: Option<f64>,
    pub duration_s: f64,
    /// Why the storm ended early, if it did (`interrupted`, `server killed`, `server exited`).
    pub stopped_by: String,
    /// Errors of points, one example per kind and how many points had it.
    pub errors: Vec<ErrorCount>,
}

/// What one point received over its WebSocket: payload bytes of text and binary messages
/// (frame headers and TCP not counted) and their number.
#[derive(Debug, Clone, Serialize)]
pub struct PointSignalling {
    pub point: String,
    pub welcomed: bool,
    pub bytes: u64,
    pub messages: u64,
}

/// Signalling received per welcomed storm point.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub points: usize,
    pub bytes_mean: f64,
    pub bytes_max: u64,
    pub bytes_total: u64,
    pub messages_mean: f64,
    pub messages_max: u64,
}

/// `GET /healthz`, polled every 100 ms (one request at a time) from the first connect until
/// the storm settled.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Healthz {
    pub polls: usize,
    /// Polls without a 200 within 5 s.
    pub failures: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Resident memory of the server process (VmRSS of `/proc/<pid>/status`), sampled every
/// 100 ms from before the first connect until after every point left.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMemory {
    pub pid: u32,
    pub rss_before_mb: f64,
    pub rss_peak_mb: f64,
    /// A few seconds after every point disconnected; `None` when the server is gone.
    pub rss_after_mb: Option<f64>,
    /// The load generator killed the server (SIGKILL) past `--server-rss-limit-mb`.
    pub killed: Option<Killed>,
    /// The server process ended by itself (crash, out-of-memory kill).
    pub exited: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Killed {
    pub rss_mb: f64,
    /// Seconds after the first connect.
    pub after_s: f64,
}

/// The flooding point (`raise_hand`/`lower_hand` in turn) and the point that never reads.
#[derive(Debug, Clone, Serialize)]
pub struct FloodFigures {
    /// Messages per second asked for.
    pub rate: u32,
    pub seconds: f64,
    /// Messages the flooder wrote, and over how long.
    pub sent: u64,
    pub sent_over_s: f64,
    /// What the flooder received meanwhile (it reads).
    pub flooder: Option<PointSignalling>,
    /// The non-reader's TCP connection and WebSocket upgrade succeeded and it said `hello`.
    pub non_reader_connected: bool,
}

/// Sums up the counters of the welcomed storm points.
pub fn received(points: &[PointSignalling]) -> Option<Received> {
    let welcomed: Vec<&PointSignalling> = points.iter().filter(|p| p.welcomed).collect();
    if welcomed.is_empty() {
        return None;
    }
    let n = welcomed.len() as f64;
    let bytes_total: u64 = welcomed.iter().map(|p| p.bytes).sum();
    let messages_total: u64 = welcomed.iter().map(|p| p.messages).sum();
    Some(Received {
        points: welcomed.len(),
        bytes_mean: bytes_total as f64 / n,
        bytes_max: welcomed.iter().map(|p| p.bytes).max().unwrap_or(0),
        bytes_total,
        messages_mean: messages_total as f64 / n,
        messages_max: welcomed.iter().map(|p| p.messages).max().unwrap_or(0),
    })
}

/// The `q` quantile (0..=1, nearest rank) of `samples`, in milliseconds.
pub fn quantile_ms(samples: &mut [Duration], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    Some(samples[rank - 1].as_secs_f64() * 1000.0)
}

/// The table printed to stdout.
pub fn table(r: &StormReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "giaoban-loadgen: target {}, join storm of {} points within {:.0} s (signalling only), {:.0} s",
        r.target, r.points, r.within_s, r.duration_s
    );
    let secs = |v: Option<f64>| v.map_or("-".into(), |s| format!("{s:.2} s"));
    let ms = |v: Option<f64>| v.map_or("-".into(), |s| format!("{s:.1}"));
    let settled = r.stopped_by == "settled";
    let never = if settled {
        format!(
            "{} never (within {:.0} s)",
            r.never_welcomed, r.join_timeout_s
        )
    } else {
        format!("{} not yet when the storm was cut short", r.never_welcomed)
    };
    let _ = writeln!(
        out,
        "welcome     {}/{} welcomed, {never}, {} dropped after; all welcomed after {}, last after {}",
        r.welcomed,
        r.points,
        r.dropped_after_welcome,
        secs(r.all_welcomed_s),
        secs(r.last_welcome_s)
    );
    let _ = writeln!(
        out,
        "            connect to welcome, ms: p50 {} p99 {} max {}",
        ms(r.welcome_p50_ms),
        ms(r.welcome_p99_ms),
        ms(r.welcome_max_ms)
    );
    let until = if !settled {
        format!("cut short: {}", r.stopped_by)
    } else if r.flood.is_some() {
        format!("{:.0} s after the last welcome and the flood", r.settle_s)
    } else {
        format!("{:.0} s after the last welcome", r.settle_s)
    };
    let _ = writeln!(out, "received    until {:.1} s ({until}):", r.settled_at_s);
    if let Some(o) = &r.observer {
        let _ = writeln!(
            out,
            "            observer ({}): {} in {} messages",
            o.point,
            bytes(o.bytes as f64),
            o.messages
        );
    }
    if let Some(x) = &r.received {
        let _ = writeln!(
            out,
            "            per point ({}): mean {} / {:.0} messages, max {} / {} messages; all {}",
            x.points,
            bytes(x.bytes_mean),
            x.messages_mean,
            bytes(x.bytes_max as f64),
            x.messages_max,
            bytes(x.bytes_total as f64)
        );
    }
    let h = &r.healthz;
    let _ = writeln!(
        out,
        "/healthz    {} polls, {} failed; ms: p50 {} p99 {} max {}",
        h.polls,
        h.failures,
        ms(h.p50_ms),
        ms(h.p99_ms),
        ms(h.max_ms)
    );
    if let Some(s) = &r.server {
        let after = match (&s.killed, s.exited, s.rss_after_mb) {
            (Some(k), _, _) => format!(
                "killed at {:.2} GB after {:.1} s",
                k.rss_mb / 1024.0,
                k.after_s
            ),
            (None, true, _) => "the server exited".into(),
            (None, false, Some(a)) => format!("after {a:.0} MB"),
            (None, false, None) => "after -".into(),
        };
        let _ = writeln!(
            out,
            "server RSS  before {:.0} MB, peak {:.0} MB, {after} (pid {})",
            s.rss_before_mb, s.rss_peak_mb, s.pid
        );
    }
    if let Some(f) = &r.flood {
        let _ = writeln!(
            out,
            "flood       {} raise/lower_hand sent in {:.1} s (asked {}/s for {:.0} s); non-reader {}",
            f.sent,
            f.sent_over_s,
            f.rate,
            f.seconds,
            if f.non_reader_connected {
                "connected"
            } else {
                "did not connect"
            }
        );
        if let Some(p) = &f.flooder {
            let _ = writeln!(
                out,
                "            the flooder received {} in {} messages",
                bytes(p.bytes as f64),
                p.messages
            );
        }
    }
    if let Some(mb) = r.loadgen_rss_peak_mb {
        let _ = writeln!(out, "loadgen     RSS peak {mb:.0} MB");
    }
    for e in &r.errors {
        let _ = writeln!(out, "  {} point(s): {}", e.points, e.example);
    }
    out
}

/// Bytes in the largest unit that keeps a number of at least 1.
fn bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(welcomed: bool, bytes: u64, messages: u64) -> PointSignalling {
        PointSignalling {
            point: String::new(),
            welcomed,
            bytes,
            messages,
        }
    }

    #[test]
    fn received_counts_welcomed_points_only() {
        let r = received(&[point(true, 100, 2), point(true, 300, 4), point(false, 9, 1)])
            .expect("two welcomed points");
        assert_eq!(r.points, 2);
        assert_eq!(r.bytes_mean, 200.0);
        assert_eq!(r.bytes_max, 300);
        assert_eq!(r.bytes_total, 400);
        assert_eq!(r.messages_mean, 3.0);
        assert_eq!(r.messages_max, 4);
        assert!(received(&[point(false, 1, 1)]).is_none());
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile_ms(&mut samples, 0.5), Some(50.0));
        assert_eq!(quantile_ms(&mut samples, 0.99), Some(99.0));
        assert_eq!(quantile_ms(&mut samples, 1.0), Some(100.0));
        assert_eq!(quantile_ms(&mut [], 0.5), None);
    }

    #[test]
    fn bytes_read_in_their_unit() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(2_500.0), "2.5 kB");
        assert_eq!(bytes(3_000_000_000.0), "3.00 GB");
    }
}
