//! The run's figures: one row per measurement window (one per ramp step), as a table for
//! people and as JSON for scripts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::point::PointReport;
use crate::scenario::Scenario;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: String,
    pub scenario: Scenario,
    pub simulcast: bool,
    /// Video bitrate: of the only layer, or of `h`.
    pub video_kbps: u32,
    /// Bitrate of layer `l` with simulcast.
    pub low_kbps: Option<u32>,
    pub duration_s: f64,
    /// Ramp limits, when ramping.
    pub ramp: Option<RampLimits>,
    pub steps: Vec<StepResult>,
    /// The largest N whose step stayed within the ramp's limits.
    pub capacity: Option<usize>,
    /// Why the run ended: `duration`, `max`, `interrupted`, or the verdict of the failing step.
    pub stopped_by: String,
    /// The publisher whose frames every point's report counts (the host).
    pub watched: String,
    pub points: Vec<PointReport>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct RampLimits {
    pub step: usize,
    pub step_seconds: f64,
    pub max: usize,
    pub max_loss_percent: f64,
    pub max_p99_ms: f64,
}

/// Figures of one measurement window.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The scenario's N: bridge points (`briefing`, `fanout`) or points in all (`meeting`).
    pub n: usize,
    /// Points whose media was up through the window, host included, and how many should be.
    pub connected: usize,
    pub expected: usize,
    /// Seconds this step's points took to join (until each connected or failed).
    pub join_s: f64,
    pub window_s: f64,
    /// RTP packets per second the points received from the server: its media egress.
    pub egress_pps: f64,
    /// Datagrams per second the points sent to the server.
    pub ingress_pps: f64,
    pub frames_per_s: f64,
    pub frames: u64,
    pub lost: u64,
    /// Gaps explained by forwarding decisions (paused thumbnails, layer switches, gated audio).
    pub pauses: u64,
    pub late: u64,
    /// Frames whose slot the server said carried another point than the one that sent them
    /// (as of the frame's RTP timestamp): 0 when the server labels its slots right.
    pub mislabelled: u64,
    pub loss_percent: Option<f64>,
    /// Audio frames of the host received, as a share of 50 per second per subscriber: far
    /// below 100 % when the server stops forwarding (which no sequence gap shows).
    pub host_audio_delivery_percent: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// Latency of audio frames alone (one packet per frame).
    pub audio_latency_p50_ms: Option<f64>,
    pub audio_latency_p99_ms: Option<f64>,
    /// Latency of what the host receives (stage and its page of thumbnails).
    pub host_latency_p50_ms: Option<f64>,
    pub host_latency_p99_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub server: Option<ServerFigures>,
    /// `giaoban_media_frames_forwarded_total` per second over the window, when published.
    pub server_frames_forwarded_per_s: Option<f64>,
    /// CPU of this load generator over the window, % of one core.
    pub loadgen_cpu_percent: Option<f64>,
    /// How late the load generator's frame timers fired (its own lag), p50 and p99.
    pub loadgen_lag_p50_ms: Option<f64>,
    pub loadgen_lag_p99_ms: Option<f64>,
    /// From the kernel's receipt of a datagram to the load generator reading it, p99. The
    /// latency figures start from the kernel's receipt, so this is not in them.
    pub loadgen_recv_delay_p99_ms: Option<f64>,
    /// Datagrams dropped at the points' own full socket buffers: loss the load generator
    /// caused by reading too slowly.
    pub loadgen_socket_drops: u64,
    pub send_failures: u64,
    pub keyframe_requests: u64,
    pub verdict: Verdict,
    /// Errors of points in this step, joins included: one example of each kind and how
    /// many points had it.
    pub errors: Vec<ErrorCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorCount {
    pub points: usize,
    pub example: String,
}

/// Figures of the server process, from `/proc/<pid>` only.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFigures {
    pub pid: u32,
    /// CPU over the window, % of one core (all threads).
    pub cpu_percent: f64,
    /// Server CPU-seconds per million egress RTP packets.
    pub cpu_s_per_million_egress: Option<f64>,
    /// Resident memory at the window's end.
    pub rss_mb: f64,
    /// Resident memory per connected point.
    pub rss_kb_per_point: f64,
    /// Growth of resident memory since before the first join, per connected point.
    pub rss_growth_kb_per_point: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Loss above the limit.
    Loss,
    /// Latency p99 above the limit.
    Latency,
    /// Not every point was connected through the window.
    Incomplete,
    /// No frame was received.
    NoMedia,
    /// The host's audio did not reach the subscribers all along.
    Stalled,
    /// The server labelled frames with another point than the one that sent them.
    Mislabelled,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Loss => "loss",
            Verdict::Latency => "latency",
            Verdict::Incomplete => "incomplete",
            Verdict::NoMedia => "no media",
            Verdict::Stalled => "stalled",
            Verdict::Mislabelled => "mislabelled",
        }
    }
}

/// The table printed to stdout.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let layers = match report.low_kbps {
        Some(low) => format!("simulcast l {low} / h {} kbit/s", report.video_kbps),
        None => format!("VP8 {} kbit/s", report.video_kbps),
    };
    let _ = writeln!(
        out,
        "giaoban-loadgen: target {}, scenario {}, {layers} + Opus 32 kbit/s, {:.0} s",
        report.target,
        report.scenario.as_str(),
        report.duration_s
    );
    // Columns: what, header, width.
    let _ = writeln!(
        out,
        "{:>4} {:>7} {:>5} {:>5} {:>8} {:>5} {:>7} {:>5} {:>6} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>5} {:>4}  verdict",
        "N",
        "up",
        "join",
        "win",
        "egress/s",
        "srvCPU",
        "CPUs/Me",
        "RSS",
        "RSS/pt",
        "loss%",
        "misl",
        "p50",
        "p99",
        "aud99",
        "host99",
        "jit",
        "lgCPU",
    );
    for s in &report.steps {
        let server = s.server.as_ref();
        let _ = writeln!(
            out,
            "{:>4} {:>7} {:>5.1} {:>5.1} {:>8.0} {:>5} {:>7} {:>5} {:>6} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>5} {:>4}  {}",
            s.n,
            format!("{}/{}", s.connected, s.expected),
            s.join_s,
            s.window_s,
            s.egress_pps,
            opt(server.map(|f| f.cpu_percent), 0, "%"),
            opt(server.and_then(|f| f.cpu_s_per_million_egress), 1, ""),
            opt(server.map(|f| f.rss_mb), 0, "M"),
            opt(server.map(|f| f.rss_kb_per_point / 1024.0), 2, "M"),
            opt(s.loss_percent, 3, ""),
            s.mislabelled,
            opt(s.latency_p50_ms, 1, ""),
            opt(s.latency_p99_ms, 1, ""),
            opt(s.audio_latency_p99_ms, 1, ""),
            opt(s.host_latency_p99_ms, 1, ""),
            opt(s.jitter_ms, 1, ""),
            opt(s.loadgen_cpu_percent, 0, "%"),
            s.verdict.as_str()
        );
    }
    if let Some(ramp) = &report.ramp {
        let _ = match report.capacity {
            Some(n) => writeln!(
                out,
                "capacity: N = {n} (largest step with loss <= {} % and p99 <= {} ms); stopped by {}",
                ramp.max_loss_percent, ramp.max_p99_ms, report.stopped_by
            ),
            None => writeln!(
                out,
                "capacity: below the first step of {} (stopped by {})",
                ramp.step, report.stopped_by
            ),
        };
    }
    let _ = writeln!(
        out,
        "N: bridge points (meeting: points in all); up: points connected through the window; \
         join: seconds the step's joins took; win: window, s;\negress/s: RTP packets/s the points received from the server; \
         srvCPU, RSS: the server process alone, CPU in % of one core; CPUs/Me: server \
         CPU-seconds per million egress packets;\nmisl: frames whose slot the server \
         labelled with another point than their sender; latency (ms, one way, publisher to \
         subscriber socket): p50/p99 of all frames, aud99 of audio, host99 of what the host \
         receives; jit: RFC 3550 jitter, ms;\nlgCPU: this load generator, % of one core"
    );
    for s in &report.steps {
        for e in &s.errors {
            let _ = writeln!(out, "  N = {}: {} point(s): {}", s.n, e.points, e.example);
        }
    }
    out
}

fn opt(value: Option<f64>, decimals: usize, unit: &str) -> String {
    match value {
        Some(v) => format!("{v:.decimals$}{unit}"),
        None => "-".to_string(),
    }
}
