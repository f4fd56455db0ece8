//! The command line, parsed into a validated run.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::error::LoadgenError;
use crate::media::PublishConfig;
use crate::report::RampLimits;
use crate::scenario::{Pages, Scenario};

/// Most thumbnails a page may show: the page slots a client may ask giaoban for.
const MAX_PAGE: usize = giaoban_model::MAX_PAGE_SLOTS;
/// Join and settling time allowed per ramp step in the default duration.
const RAMP_STEP_OVERHEAD_S: f64 = 20.0;

/// Headless giaoban bridge points for load tests: they join a briefing through its
/// invitation links exactly like the web client, publish synthetic Opus and VP8, and measure
/// loss, latency and jitter; with --server-pid, also the server's CPU and memory.
///
/// `--scenario join-storm` is signalling only: N points in all, the host first, open their
/// WebSocket spread over --within seconds, say hello and only read. It reports the time until every point was
/// welcomed, the signalling each received until the storm settled (--settle-seconds after
/// the last welcome), /healthz latency polled every 100 ms, and with --server-pid the
/// server's memory before, at its peak and after everyone left. --flood adds a point sending
/// raise_hand/lower_hand at --flood-rate for --flood-seconds and a point that never reads.
/// Example: giaoban-loadgen --giaoban target/release/giaoban --data /tmp/gb
///   --scenario join-storm --points 300 --within 10 --server-pid PID --server-rss-limit-mb 4096
#[derive(Debug, Parser)]
#[command(name = "giaoban-loadgen", version)]
pub struct Cli {
    /// The server under test.
    #[arg(long, value_enum, default_value_t = TargetKind::Giaoban)]
    pub target: TargetKind,
    /// With --target janus: its HTTP API, http://ADDR:PORT/janus, on the test link that
    /// scripts/bench-vs-janus sets up (Janus cannot do ICE with 127.0.0.1).
    #[arg(long, value_name = "URL")]
    pub janus_url: Option<String>,
    /// briefing: host + N points, directed; meeting: N points, open, all see all; fanout:
    /// 1 publisher + N subscribers; join-storm: N points in all, signalling only.
    #[arg(long, value_enum, default_value_t = Scenario::Briefing)]
    pub scenario: Scenario,
    /// N: bridge points besides the host (briefing, fanout) or points in all (meeting,
    /// join-storm).
    #[arg(long, default_value_t = 10)]
    pub points: usize,

    /// An invitation link; repeat for several. Names and roles come from the server.
    #[arg(long = "link", value_name = "URL", conflicts_with_all = ["links", "giaoban"])]
    pub link: Vec<String>,
    /// A file with the output of `giaoban briefing create --json`.
    #[arg(long, value_name = "FILE", conflicts_with = "giaoban")]
    pub links: Option<PathBuf>,
    /// The giaoban binary: create the run's briefing with `giaoban briefing create`.
    #[arg(long, value_name = "BIN", requires = "data")]
    pub giaoban: Option<PathBuf>,
    /// Data directory of the running server, for `giaoban briefing create`.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Base URL of the created links [default: the one the running server recorded].
    #[arg(long, value_name = "URL", requires = "giaoban")]
    pub base_url: Option<String>,

    /// Wall time of the whole run in seconds, joins included; the run always stops by then.
    /// [default: 30; with --ramp, 20 s more than --step-seconds per step]
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Add --step points every --step-seconds until a step exceeds the loss or latency limit
    /// or N reaches --max; report the last good N as the capacity.
    #[arg(long)]
    pub ramp: bool,
    #[arg(long, default_value_t = 25)]
    pub step: usize,
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub step_seconds: f64,
    /// Largest N of a ramp [default: --points].
    #[arg(long)]
    pub max: Option<usize>,
    /// A window is good up to this frame loss, percent.
    #[arg(long, default_value_t = 1.0)]
    pub max_loss_percent: f64,
    /// A window is good up to this one-way latency p99, milliseconds.
    #[arg(long, default_value_t = 50.0)]
    pub max_p99_ms: f64,

    /// Publish VP8 as two simulcast layers, RIDs `l` and `h`, like the web client.
    #[arg(long)]
    pub simulcast: bool,
    /// Video bitrate in kbit/s: of the only layer, or of layer `h`.
    #[arg(long, default_value_t = 800)]
    pub video_kbps: u32,
    /// Bitrate of simulcast layer `l` in kbit/s.
    #[arg(long, default_value_t = 150)]
    pub low_kbps: u32,
    /// Seconds between keyframes (and on every keyframe request).
    #[arg(long, default_value_t = 2.0)]
    pub keyframe_seconds: f64,

    /// Thumbnails per page: the host's grid (briefing), everyone's (meeting); the page slots
    /// the point asks for in its publish offer.
    #[arg(long, default_value_t = 25)]
    pub page_size: usize,
    /// Thumbnails a bridge point's grid shows in the briefing scenario (its page slots).
    #[arg(long, default_value_t = 0)]
    pub point_page: usize,
    /// briefing: the host gives the floor to the next point this often, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub floor_seconds: f64,
    /// Points joining at the same time.
    #[arg(long, default_value_t = 8)]
    pub join_concurrency: usize,
    /// Seconds one step's points may take to join; join-storm: seconds a point may take from
    /// its connect to its welcome.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub join_timeout: f64,
    /// A point whose signalling connection or media session is lost after it connected
    /// joins again, retrying every 0.25 s doubling up to 2 s, for at most this many seconds
    /// (then it fails). 0: a lost point fails at once.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub reconnect_seconds: f64,

    /// join-storm: seconds over which the points open their WebSockets, evenly spread.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub within: f64,
    /// join-storm: the storm has settled this long after the last welcome (and the flood's
    /// end); the points' counters are read then.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub settle_seconds: f64,
    /// join-storm: two more points join first, one sending raise_hand and lower_hand in turn,
    /// one that says hello and never reads.
    #[arg(long)]
    pub flood: bool,
    /// join-storm --flood: messages per second of the flooding point.
    #[arg(long, default_value_t = 1000)]
    pub flood_rate: u32,
    /// join-storm --flood: the flood stops after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub flood_seconds: f64,
    /// join-storm: kill the server (SIGKILL, the --server-pid) when its resident memory
    /// exceeds this many MB, and report it; the run then ends.
    #[arg(long, value_name = "MB", requires = "server_pid")]
    pub server_rss_limit_mb: Option<u64>,

    /// Pid of the server process: its CPU and memory are read from /proc/PID.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Servers the load generator speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    Giaoban,
    /// Janus VideoRoom (fanout only): see docs/janus-notes.md and scripts/bench-vs-janus.
    Janus,
}

/// Where the run's invitations come from.
#[derive(Debug, Clone)]
pub enum LinkSource {
    Links(Vec<String>),
    /// Janus has no links: one invitation per point, made up by the run.
    Janus(String),
    File(PathBuf),
    Create {
        giaoban: PathBuf,
        data: PathBuf,
        base_url: Option<String>,
    },
}

/// The validated command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: TargetKind,
    pub scenario: Scenario,
    pub source: LinkSource,
    /// N of a run without ramp; the largest N with one.
    pub n: usize,
    pub duration: Duration,
    pub ramp: Option<RampLimits>,
    pub publish: PublishConfig,
    pub pages: Pages,
    pub floor_every: Duration,
    pub join_concurrency: usize,
    pub join_timeout: Duration,
    /// How long a lost point retries joining; `None`: it fails at once.
    pub reconnect: Option<Duration>,
    pub max_loss_percent: f64,
    pub max_p99_ms: f64,
    pub server_pid: Option<u32>,
    pub json: Option<PathBuf>,
    /// Figures of the join storm, with `--scenario join-storm`.
    pub storm: Option<StormSettings>,
}

/// The validated options of a join storm.
#[derive(Debug, Clone)]
pub struct StormSettings {
    pub within: Duration,
    pub settle: Duration,
    /// Messages per second and duration of the flood, with `--flood`.
    pub flood: Option<(u32, Duration)>,
    pub server_rss_limit_kb: Option<u64>,
}

impl Settings {
    /// Bridge points the run's briefing needs: the scenario's, and the storm's flooder and
    /// non-reader.
    pub fn bridge_points(&self) -> usize {
        let extra = match &self.storm {
            Some(s) if s.flood.is_some() => 2,
            _ => 0,
        };
        self.scenario.bridge_points(self.n) + extra
    }
}

impl Cli {
    pub fn settings(&self) -> Result<Settings, LoadgenError> {
        let bad = |m: String| Err(LoadgenError::Setup(m));
        let source = if self.target == TargetKind::Janus {
            let Some(url) = &self.janus_url else {
                return bad("--target janus needs --janus-url http://ADDR:PORT/janus".into());
            };
            if self.scenario != Scenario::Fanout {
                return bad(
                    "--target janus runs the fanout scenario only (Janus publishes and \
                     subscribes on separate PeerConnections)"
                        .into(),
                );
            }
            LinkSource::Janus(url.clone())
        } else if !self.link.is_empty() {
            LinkSource::Links(self.link.clone())
        } else if let Some(file) = &self.links {
            LinkSource::File(file.clone())
        } else if let (Some(giaoban), Some(data)) = (&self.giaoban, &self.data) {
            LinkSource::Create {
                giaoban: giaoban.clone(),
                data: data.clone(),
                base_url: self.base_url.clone(),
            }
        } else {
            return bad(
                "say where the links come from: --link URL, --links FILE, or --giaoban BIN \
                 --data DIR to create a briefing"
                    .into(),
            );
        };
        let n = if self.ramp {
            self.max.unwrap_or(self.points)
        } else {
            self.points
        };
        let min_n = if self.scenario == Scenario::Meeting {
            2
        } else {
            1
        };
        if n < min_n {
            return bad(format!(
                "the {:?} scenario needs N >= {min_n}",
                self.scenario
            ));
        }
        if self.page_size > MAX_PAGE || self.point_page > MAX_PAGE {
            return bad(format!("a page shows at most {MAX_PAGE} thumbnails"));
        }
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(LoadgenError::Setup(format!(
                    "--{name} must be a positive number"
                )))
            }
        };
        let step_time = positive("step-seconds", self.step_seconds)?;
        let floor_every = positive("floor-seconds", self.floor_seconds)?;
        let keyframe_interval = positive("keyframe-seconds", self.keyframe_seconds)?;
        let join_timeout = positive("join-timeout", self.join_timeout)?;
        let reconnect = if self.reconnect_seconds == 0.0 {
            None
        } else {
            Some(positive("reconnect-seconds", self.reconnect_seconds)?)
        };
        if self.step == 0 || self.join_concurrency == 0 {
            return bad("--step and --join-concurrency must be at least 1".into());
        }
        if self.video_kbps == 0 || self.low_kbps == 0 {
            return bad("bitrates must be at least 1 kbit/s".into());
        }
        let storm = if self.scenario == Scenario::JoinStorm {
            if self.ramp {
                return bad("the join storm does not ramp: run it once per N".into());
            }
            if self.flood && self.flood_rate == 0 {
                return bad("--flood-rate must be at least 1".into());
            }
            Some(StormSettings {
                within: positive("within", self.within)?,
                settle: positive("settle-seconds", self.settle_seconds)?,
                flood: if self.flood {
                    Some((
                        self.flood_rate,
                        positive("flood-seconds", self.flood_seconds)?,
                    ))
                } else {
                    None
                },
                server_rss_limit_kb: self.server_rss_limit_mb.map(|mb| mb.saturating_mul(1024)),
            })
        } else {
            if self.flood || self.server_rss_limit_mb.is_some() {
                return bad(
                    "--flood and --server-rss-limit-mb go with --scenario join-storm".into(),
                );
            }
            None
        };
        let ramp = self.ramp.then_some(RampLimits {
            step: self.step,
            step_seconds: step_time.as_secs_f64(),
            max: n,
            max_loss_percent: self.max_loss_percent,
            max_p99_ms: self.max_p99_ms,
        });
        let duration = match (self.duration, &ramp) {
            (Some(d), _) => positive("duration", d)?,
            (None, Some(r)) => {
                let steps = n.div_ceil(r.step) as f64;
                Duration::from_secs_f64(steps * (r.step_seconds + RAMP_STEP_OVERHEAD_S) + 10.0)
            }
            (None, None) => Duration::from_secs(30),
        };
        Ok(Settings {
            target: self.target,
            scenario: self.scenario,
            source,
            n,
            duration,
            ramp,
            publish: PublishConfig {
                video_kbps: self.video_kbps,
                simulcast_low_kbps: self.simulcast.then_some(self.low_kbps),
                keyframe_interval,
            },
            pages: Pages {
                page: self.page_size,
                point_page: self.point_page,
            },
            floor_every,
            join_concurrency: self.join_concurrency,
            join_timeout,
            reconnect,
            max_loss_percent: self.max_loss_percent,
            max_p99_ms: self.max_p99_ms,
            server_pid: self.server_pid,
            json: self.json.clone(),
            storm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, LoadgenError> {
        let mut all = vec!["giaoban-loadgen"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap().settings()
    }

    #[test]
    fn ramp_defaults_its_duration_to_every_step() {
        let s = parse(&[
            "--links", "l.json", "--ramp", "--max", "100", "--step", "25",
        ])
        .unwrap();
        assert_eq!(s.n, 100);
        assert_eq!(s.duration, Duration::from_secs(4 * 30 + 10));
    }

    #[test]
    fn a_source_of_links_is_required() {
        assert!(parse(&["--points", "5"]).is_err());
    }

    #[test]
    fn creating_needs_the_data_dir() {
        let all = ["giaoban-loadgen", "--giaoban", "target/release/giaoban"];
        assert!(Cli::try_parse_from(all).is_err());
    }

    #[test]
    fn the_join_storm_counts_its_flooders_among_the_links() {
        let s = parse(&[
            "--links",
            "l.json",
            "--scenario",
            "join-storm",
            "--points",
            "300",
        ])
        .unwrap();
        assert_eq!(s.bridge_points(), 299);
        let storm = s.storm.expect("storm settings");
        assert_eq!(storm.within, Duration::from_secs(10));
        assert_eq!(storm.flood, None);
        let s = parse(&[
            "--links",
            "l.json",
            "--scenario",
            "join-storm",
            "--points",
            "5",
            "--flood",
        ])
        .unwrap();
        assert_eq!(s.bridge_points(), 6);
        assert_eq!(
            s.storm.and_then(|s| s.flood),
            Some((1000, Duration::from_secs(10)))
        );
    }

    #[test]
    fn flooding_belongs_to_the_join_storm() {
        assert!(parse(&["--links", "l.json", "--flood"]).is_err());
        assert!(parse(&["--links", "l.json", "--scenario", "join-storm", "--ramp"]).is_err());
    }

    #[test]
    fn simulcast_is_opt_in() {
        let s = parse(&["--links", "l.json"]).unwrap();
        assert_eq!(s.publish.simulcast_low_kbps, None);
        let s = parse(&["--links", "l.json", "--simulcast", "--low-kbps", "200"]).unwrap();
        assert_eq!(s.publish.simulcast_low_kbps, Some(200));
    }
}
