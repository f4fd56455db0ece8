//! One run: join the host, set the floor mode, join the bridge points (all at once, or step
//! by step when ramping), measure each window, stop by the deadline, report.
//!
//! A window starts once every point of the step has its media up and a settling second has
//! passed (keyframes of new subscribers, renegotiations), so joins do not count against the
//! steady state. Server figures come from `/proc/<pid>` of the server alone, sampled at the
//! window's edges; the load generator's own CPU from `/proc/self`, so each side's cost is
//! reported apart even though they share the machine.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::config::DtlsCert;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::LoadgenError;
use crate::links::Invitation;
use crate::media::PublishConfig;
use crate::point::{PointEvent, PointReport, PointSpec, Shared, run_point};
use crate::procfs::{Process, Sample};
use crate::report::{ErrorCount, RampLimits, Report, ServerFigures, StepResult, Verdict};
use crate::scenario::{Plan, Scenario};
use crate::stats::Clock;
use crate::target::Target;

/// Time after the last join before a window opens.
const SETTLE: Duration = Duration::from_secs(1);
/// Time kept at the end of the run to stop every point and report.
const TEARDOWN: Duration = Duration::from_millis(500);
/// A window shorter than this is not worth reporting.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// How long stopped points may take to leave.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the server's metrics may take to answer.
const METRICS_TIMEOUT: Duration = Duration::from_secs(1);
/// Below this share of the host's audio frames reaching the subscribers, the server stalled.
const STALL_DELIVERY_PERCENT: f64 = 95.0;
/// Kinds of point errors kept per step.
const MAX_ERRORS: usize = 5;

/// Everything a run needs besides the target.
pub struct RunConfig {
    pub scenario: Scenario,
    pub plan: Plan,
    pub publish: PublishConfig,
    /// Wall time of the whole run, joins included.
    pub duration: Duration,
    pub ramp: Option<RampLimits>,
    /// N of a run without ramp.
    pub n: usize,
    pub server_pid: Option<u32>,
    pub join_concurrency: usize,
    /// How long one step's joins may take.
    pub join_timeout: Duration,
    /// How long a lost point retries joining; `None`: it fails at once.
    pub reconnect: Option<Duration>,
    /// A window is good with at most this loss (percent) and latency p99 (ms).
    pub max_loss_percent: f64,
    pub max_p99_ms: f64,
}

/// Runs the scenario against `target` and reports.
pub async fn run(target: Target, config: RunConfig) -> Result<Report, LoadgenError> {
    let clock = Clock::start();
    let started = Instant::now();
    let deadline = started + config.duration;
    let cert = certificate()?;
    let (events_tx, events) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let target_name = target.name().to_string();
    let watched = config.plan.host.invitation.point.clone();
    let mut shared = Shared::new(
        clock,
        target,
        config.publish.clone(),
        cert,
        &config.plan,
        events_tx,
        stop_rx.clone(),
    );
    shared.reconnect = config.reconnect;
    let shared = Rc::new(shared);
    let interrupted = interrupt_watch();
    let mut run = Runner {
        shared: shared.clone(),
        events,
        interrupted,
        joins: Arc::new(Semaphore::new(config.join_concurrency.max(1))),
        handles: Vec::new(),
        connected: Rc::new(RefCell::new(vec![false; config.plan.points.len() + 1])),
        dropped: HashSet::new(),
        spawned: 0,
        errors: Vec::new(),
        fatal: None,
        limits: (config.max_loss_percent, config.max_p99_ms),
        server: config.server_pid.map(Process::Pid),
    };
    let outcome = run.steps(&config, deadline).await;
    let _ = stop_tx.send(true);
    let points = run.collect().await;
    let (steps, capacity, stopped_by) = outcome?;
    Ok(Report {
        target: target_name,
        scenario: config.scenario,
        simulcast: config.publish.simulcast_low_kbps.is_some(),
        video_kbps: config.publish.video_kbps,
        low_kbps: config.publish.simulcast_low_kbps,
        duration_s: started.elapsed().as_secs_f64(),
        ramp: config.ramp,
        steps,
        capacity,
        stopped_by,
        watched,
        points,
    })
}

/// Why waiting ended.
enum Flow {
    /// The condition holds.
    Done,
    /// The time ran out first.
    TimedOut,
    /// The user pressed Ctrl-C.
    Interrupted,
}

struct Runner {
    shared: Rc<Shared>,
    events: mpsc::UnboundedReceiver<PointEvent>,
    interrupted: watch::Receiver<bool>,
    joins: Arc<Semaphore>,
    handles: Vec<JoinHandle<PointReport>>,
    /// Per point index (0: host): media up and not failed since.
    connected: Rc<RefCell<Vec<bool>>>,
    /// Indices of points that failed.
    dropped: HashSet<usize>,
    /// Points spawned, host included.
    spawned: usize,
    /// Point errors since the current step began, by kind.
    errors: Vec<(String, ErrorCount)>,
    /// The first error no waiting cures, taken by [`Runner::check_fatal`].
    fatal: Option<LoadgenError>,
    /// Loss (percent) and latency p99 (ms) limits of a good window.
    limits: (f64, f64),
    server: Option<Process>,
}

type Outcome = (Vec<StepResult>, Option<usize>, String);

impl Runner {
    async fn steps(
        &mut self,
        config: &RunConfig,
        deadline: Instant,
    ) -> Result<Outcome, LoadgenError> {
        let rss_base = self.server.and_then(|p| p.sample().ok()).map(|s| s.rss_kb);
        let plan = &config.plan;

        // The host first: it directs.
        self.spawn(plan.host.clone()).await?;
        let host_deadline = deadline.min(Instant::now() + config.join_timeout);
        match self.wait_joined(host_deadline).await? {
            Flow::Done if !self.dropped.contains(&0) => {}
            Flow::Interrupted => return Ok((Vec::new(), None, "interrupted".into())),
            _ => {
                let why = self
                    .errors
                    .first()
                    .map(|(_, c)| c.example.clone())
                    .unwrap_or_else(|| {
                        "its media did not connect in time (is the server's media port reachable?)"
                            .into()
                    });
                return Err(LoadgenError::Media {
                    point: plan.host.invitation.point.clone(),
                    reason: why,
                });
            }
        }
        self.shared
            .target
            .set_mode(&plan.host.invitation, plan.mode)
            .await?;
        if let Some(every) = plan.floor_every {
            let names = plan
                .points
                .iter()
                .map(|p| p.invitation.point.clone())
                .collect();
            tokio::task::spawn_local(rotate_floor(
                self.shared.clone(),
                plan.host.invitation.clone(),
                names,
                self.connected.clone(),
                every,
            ));
        }

        let sizes: Vec<usize> = match &config.ramp {
            Some(ramp) => ramp_sizes(ramp.step, ramp.max),
            None => vec![config.n],
        };
        let mut results = Vec::new();
        let mut capacity = None;
        let mut stopped_by = "duration".to_string();
        for (i, &n) in sizes.iter().enumerate() {
            let want = config.scenario.bridge_points(n).min(plan.points.len());
            self.errors.clear();
            eprintln!(
                "giaoban-loadgen: N = {n}: {} more point(s) joining",
                want + 1 - self.spawned.min(want + 1)
            );
            // However slow the joins, the run keeps time for a window.
            let last_start = deadline - TEARDOWN - MIN_WINDOW;
            let joins_began = Instant::now();
            while self.spawned < want + 1 {
                let spec = plan.points[self.spawned - 1].clone();
                match tokio::time::timeout_at(last_start.into(), self.spawn(spec)).await {
                    Ok(result) => result?,
                    Err(_) => break,
                }
                self.check_fatal()?;
            }
            let join_deadline = last_start.min(Instant::now() + config.join_timeout);
            if let Flow::Interrupted = self.wait_joined(join_deadline).await? {
                stopped_by = "interrupted".into();
                break;
            }
            let join_s = joins_began.elapsed().as_secs_f64();
            if let Flow::Interrupted = self
                .pump(last_start.min(Instant::now() + SETTLE), |_| false)
                .await?
            {
                stopped_by = "interrupted".into();
                break;
            }
            let window_end = match &config.ramp {
                Some(ramp) => (Instant::now() + Duration::from_secs_f64(ramp.step_seconds))
                    .min(deadline - TEARDOWN),
                None => deadline - TEARDOWN,
            };
            if window_end <= Instant::now() {
                break;
            }
            let (mut result, flow) = self.window(n, window_end, rss_base).await?;
            result.join_s = join_s;
            eprintln!(
                "giaoban-loadgen: N = {n}: {} connected, loss {}, p99 {} ms: {}",
                result.connected,
                result
                    .loss_percent
                    .map_or("-".into(), |l| format!("{l:.3} %")),
                result
                    .latency_p99_ms
                    .map_or("-".into(), |l| format!("{l:.2}")),
                result.verdict.as_str()
            );
            let verdict = result.verdict;
            results.push(result);
            if let Flow::Interrupted = flow {
                stopped_by = "interrupted".into();
                break;
            }
            if config.ramp.is_some() {
                if verdict == Verdict::Ok {
                    capacity = Some(n);
                    if i + 1 == sizes.len() {
                        stopped_by = "max".into();
                    }
                } else {
                    stopped_by = verdict.as_str().into();
                    break;
                }
            }
            if Instant::now() + MIN_WINDOW >= deadline {
                break;
            }
        }
        Ok((results, capacity, stopped_by))
    }

    /// Measures one window from now to `end`.
    async fn window(
        &mut self,
        n: usize,
        end: Instant,
        rss_base: Option<u64>,
    ) -> Result<(StepResult, Flow), LoadgenError> {
        let expected = self.spawned;
        let up_at_start: Vec<bool> = self.connected.borrow().clone();
        let forwarded_start = self.forwarded_frames().await;
        self.shared.window.borrow_mut().reset();
        let server_start = self.server.and_then(|p| p.sample().ok());
        let me_start = Process::Myself.sample().ok();
        let started = Instant::now();

        let flow = self.pump(end, |_| false).await?;

        // Everything measured here first: the server's own counter may be slow to answer.
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        let server_end = self.server.and_then(|p| p.sample().ok());
        let me_end = Process::Myself.sample().ok();
        let connected = {
            let now_up = self.connected.borrow();
            up_at_start
                .iter()
                .zip(now_up.iter())
                .filter(|(a, b)| **a && **b)
                .count()
        };
        let host_up = up_at_start.first().copied().unwrap_or(false)
            && self.connected.borrow().first().copied().unwrap_or(false);
        let mut result = {
            let w = self.shared.window.borrow();
            let loss = w.loss();
            let p99 = w.latency.quantile_ms(0.99);
            // Every subscriber hears the host all along, 50 frames per second.
            let subscribers = connected.saturating_sub(usize::from(host_up));
            let delivery = (subscribers > 0).then(|| {
                w.watched_audio_frames as f64 / (subscribers as f64 * 50.0 * secs) * 100.0
            });
            let verdict = if w.frames == 0 {
                Verdict::NoMedia
            } else if connected < expected {
                Verdict::Incomplete
            } else if delivery.is_some_and(|d| d < STALL_DELIVERY_PERCENT) {
                Verdict::Stalled
            } else if w.mislabelled > 0 {
                Verdict::Mislabelled
            } else if loss.is_some_and(|l| l * 100.0 > self.limits.0) {
                Verdict::Loss
            } else if p99.is_some_and(|p| p > self.limits.1) {
                Verdict::Latency
            } else {
                Verdict::Ok
            };
            StepResult {
                n,
                connected,
                expected,
                join_s: 0.0,
                window_s: secs,
                egress_pps: w.egress_rtp as f64 / secs,
                ingress_pps: w.sent as f64 / secs,
                frames_per_s: w.frames as f64 / secs,
                frames: w.frames,
                lost: w.lost,
                pauses: w.pauses,
                late: w.late,
                mislabelled: w.mislabelled,
                loss_percent: loss.map(|l| l * 100.0),
                host_audio_delivery_percent: delivery,
                latency_p50_ms: w.latency.quantile_ms(0.5),
                latency_p99_ms: p99,
                audio_latency_p50_ms: w.latency_audio.quantile_ms(0.5),
                audio_latency_p99_ms: w.latency_audio.quantile_ms(0.99),
                host_latency_p50_ms: w.latency_host.quantile_ms(0.5),
                host_latency_p99_ms: w.latency_host.quantile_ms(0.99),
                jitter_ms: w.jitter_ms(),
                server: match (self.server, server_start, server_end) {
                    (Some(Process::Pid(pid)), Some(a), Some(b)) => {
                        Some(server_figures(pid, a, b, w.egress_rtp, connected, rss_base))
                    }
                    _ => None,
                },
                server_frames_forwarded_per_s: None,
                loadgen_cpu_percent: match (me_start, me_end) {
                    (Some(a), Some(b)) => Some(cpu_percent(a, b)),
                    _ => None,
                },
                loadgen_lag_p50_ms: w.lag.quantile_ms(0.5),
                loadgen_lag_p99_ms: w.lag.quantile_ms(0.99),
                loadgen_recv_delay_p99_ms: w.recv_delay.quantile_ms(0.99),
                loadgen_socket_drops: w.socket_drops,
                send_failures: w.send_failures,
                keyframe_requests: w.keyframe_requests,
                verdict,
                errors: self.errors.iter().map(|(_, c)| c.clone()).collect(),
            }
        };
        if let (Some((t0, a)), Some((t1, b))) = (forwarded_start, self.forwarded_frames().await) {
            let secs = t1.saturating_duration_since(t0).as_secs_f64().max(1e-3);
            result.server_frames_forwarded_per_s = Some(b.saturating_sub(a) as f64 / secs);
        }
        Ok((result, flow))
    }

    /// The server's count of forwarded frames and when it was read; `None` if it has none
    /// or does not answer at once.
    async fn forwarded_frames(&self) -> Option<(Instant, u64)> {
        let count = tokio::time::timeout(METRICS_TIMEOUT, self.shared.target.forwarded_frames())
            .await
            .ok()??;
        Some((Instant::now(), count))
    }

    async fn spawn(&mut self, spec: PointSpec) -> Result<(), LoadgenError> {
        let permit = self
            .joins
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| LoadgenError::Setup("the join queue closed".into()))?;
        self.spawned += 1;
        let shared = self.shared.clone();
        self.handles
            .push(tokio::task::spawn_local(run_point(shared, spec, permit)));
        Ok(())
    }

    /// Waits until every spawned point has connected or failed.
    async fn wait_joined(&mut self, until: Instant) -> Result<Flow, LoadgenError> {
        let spawned = self.spawned;
        self.pump(until, move |r: &Runner| {
            let up = r.connected.borrow().iter().filter(|c| **c).count();
            up + r.dropped.len() >= spawned
        })
        .await
    }

    /// Handles point events until `done` holds or `until` passes.
    async fn pump(
        &mut self,
        until: Instant,
        done: impl Fn(&Runner) -> bool,
    ) -> Result<Flow, LoadgenError> {
        let sleep = tokio::time::sleep_until(until.into());
        tokio::pin!(sleep);
        loop {
            self.check_fatal()?;
            if done(self) {
                return Ok(Flow::Done);
            }
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(event) => self.apply(event),
                    None => return Ok(Flow::TimedOut),
                },
                _ = self.interrupted.changed() => return Ok(Flow::Interrupted),
                _ = &mut sleep => return Ok(Flow::TimedOut),
            }
        }
    }

    fn apply(&mut self, event: PointEvent) {
        match event {
            PointEvent::Connected { index } => {
                if let Some(c) = self.connected.borrow_mut().get_mut(index) {
                    *c = true;
                }
            }
            PointEvent::Lost { index } => {
                if let Some(c) = self.connected.borrow_mut().get_mut(index) {
                    *c = false;
                }
            }
            PointEvent::Failed { index, error } => {
                if let Some(c) = self.connected.borrow_mut().get_mut(index) {
                    *c = false;
                }
                self.dropped.insert(index);
                let key = error.kind_key();
                if let Some((_, count)) = self.errors.iter_mut().find(|(k, _)| *k == key) {
                    count.points += 1;
                } else if self.errors.len() < MAX_ERRORS {
                    let example = error.to_string();
                    self.errors.push((key, ErrorCount { points: 1, example }));
                }
                if is_fatal(&error) && self.fatal.is_none() {
                    self.fatal = Some(error);
                }
            }
        }
    }

    /// Fails the run on an error that no waiting cures (invalid link, locked briefing).
    fn check_fatal(&mut self) -> Result<(), LoadgenError> {
        while let Ok(event) = self.events.try_recv() {
            self.apply(event);
        }
        match self.fatal.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Waits for every point to leave and gathers their reports.
    async fn collect(&mut self) -> Vec<PointReport> {
        let handles = std::mem::take(&mut self.handles);
        let all = futures_util::future::join_all(handles);
        match tokio::time::timeout(LEAVE_TIMEOUT, all).await {
            Ok(results) => results.into_iter().filter_map(Result::ok).collect(),
            Err(_) => Vec::new(),
        }
    }
}

fn is_fatal(error: &LoadgenError) -> bool {
    matches!(
        error,
        LoadgenError::LinkRefused { .. }
            | LoadgenError::Locked { .. }
            | LoadgenError::Unreachable { .. }
            | LoadgenError::NotLoopback(_)
            | LoadgenError::Setup(_)
    )
}

/// The sizes of a ramp: `step`, `2·step`, … up to `max`, which is always the last.
fn ramp_sizes(step: usize, max: usize) -> Vec<usize> {
    let step = step.max(1);
    let mut sizes: Vec<usize> = (1..).map(|k| k * step).take_while(|n| *n < max).collect();
    sizes.push(max);
    sizes
}

/// Gives the floor to the next connected bridge point, every `every`.
async fn rotate_floor(
    shared: Rc<Shared>,
    host: Invitation,
    names: Vec<String>,
    connected: Rc<RefCell<Vec<bool>>>,
    every: Duration,
) {
    let mut stop = shared.stop.clone();
    let mut next = 0;
    loop {
        let pick = (0..names.len())
            .map(|k| (next + k) % names.len())
            .find(|i| connected.borrow().get(i + 1).copied().unwrap_or(false));
        let wait = match pick {
            Some(i) => match shared.target.give_floor(&host, &names[i]).await {
                Ok(()) => {
                    tracing::debug!(point = %names[i], "floor given");
                    next = i + 1;
                    every
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    Duration::from_millis(500)
                }
            },
            None => Duration::from_millis(200),
        };
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Set once the user presses Ctrl-C.
fn interrupt_watch() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::task::spawn_local(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
        }
    });
    rx
}

/// One DTLS certificate for every point: generating one per point costs more than the run's
/// joins need to.
fn certificate() -> Result<DtlsCert, LoadgenError> {
    str0m::crypto::from_feature_flags()
        .dtls_provider
        .generate_certificate()
        .ok_or_else(|| LoadgenError::Setup("cannot generate a DTLS certificate".into()))
}

fn cpu_percent(a: Sample, b: Sample) -> f64 {
    let secs = b.at.saturating_duration_since(a.at).as_secs_f64().max(1e-3);
    (b.cpu_s - a.cpu_s) / secs * 100.0
}

fn server_figures(
    pid: u32,
    a: Sample,
    b: Sample,
    egress: u64,
    connected: usize,
    rss_base: Option<u64>,
) -> ServerFigures {
    let cpu_s = b.cpu_s - a.cpu_s;
    let points = connected.max(1) as f64;
    ServerFigures {
        pid,
        cpu_percent: cpu_percent(a, b),
        cpu_s_per_million_egress: (egress > 0).then(|| cpu_s / (egress as f64 / 1e6)),
        rss_mb: b.rss_kb as f64 / 1024.0,
        rss_kb_per_point: b.rss_kb as f64 / points,
        rss_growth_kb_per_point: rss_base.map(|base| b.rss_kb.saturating_sub(base) as f64 / points),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_end_at_the_maximum() {
        assert_eq!(ramp_sizes(25, 100), vec![25, 50, 75, 100]);
        assert_eq!(ramp_sizes(25, 60), vec![25, 50, 60]);
        assert_eq!(ramp_sizes(25, 10), vec![10]);
    }
}
