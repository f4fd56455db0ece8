//! A join storm (`--scenario join-storm`): N points open their WebSocket at `/ws` spread over
//! a few seconds, say `hello` and then only read; no media, no offer. It measures how long
//! the server takes to welcome everyone, how much signalling each point receives until the
//! storm settles, how `/healthz` answers meanwhile, and the server's resident memory.
//!
//! With a flood, two more points join first: one sends `raise_hand` and `lower_hand` in turn
//! at a fixed rate for a bounded time (every one changes the briefing's state, which the
//! server sends to everyone), and one says `hello` and never reads a byte, so whatever the
//! server queues for it stays queued.
//!
//! Every task here stops by a deadline of its own: connects and welcomes by the join
//! timeout, the flood by its duration, the run by the settle time, leaving by
//! [`LEAVE_TIMEOUT`]. The server's memory is watched from a thread of its own, so that a load
//! generator busy reading cannot delay the kill past `--server-rss-limit-mb`.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use giaoban_model::{ClientMsg, PROTOCOL_VERSION};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::error::LoadgenError;
use crate::http;
use crate::links::Invitation;
use crate::procfs::Process;
use crate::report::ErrorCount;
use crate::storm_report::{
    self, FloodFigures, Healthz, Killed, PointSignalling, ServerMemory, StormReport,
};

/// How often `/healthz` is asked and the server's memory read.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How long points may take to close their WebSockets once the storm settled.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one point's close handshake may take before its socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long after every point left the server's memory is read again: time for its
/// connection tasks to end and free what they held.
const AFTER_WAIT: Duration = Duration::from_secs(3);
/// File descriptors kept besides one per WebSocket: the runtime, `/healthz` polls, `/proc`.
const SPARE_FDS: u64 = 64;
/// Kinds of point errors kept.
const MAX_ERRORS: usize = 8;
/// The WebSocket reading buffer of a point: small, since a thousand points only count bytes.
const READ_BUFFER: usize = 8 * 1024;
/// The flooder writes its messages in batches this often.
const FLOOD_TICK: Duration = Duration::from_millis(10);

/// Everything a storm needs.
pub struct StormConfig {
    pub http: SocketAddr,
    /// The storm points, the observer (the host) first.
    pub points: Vec<Invitation>,
    /// The flood and its two points, when asked for.
    pub flood: Option<FloodConfig>,
    pub within: Duration,
    pub join_timeout: Duration,
    pub settle: Duration,
    pub server_pid: Option<u32>,
    /// Kill the server (SIGKILL) when its resident memory exceeds this, kB.
    pub server_rss_limit_kb: Option<u64>,
}

pub struct FloodConfig {
    pub flooder: Invitation,
    pub non_reader: Invitation,
    /// Messages per second.
    pub rate: u32,
    pub duration: Duration,
}

impl StormConfig {
    /// The longest a storm can take, teardown included.
    pub fn bound(&self) -> Duration {
        let flood = self.flood.as_ref().map_or(Duration::ZERO, |f| f.duration);
        self.within + self.join_timeout + flood + self.settle + LEAVE_TIMEOUT + AFTER_WAIT
    }
}

/// Runs the storm and reports.
pub async fn run(config: StormConfig) -> Result<StormReport, LoadgenError> {
    let extra = if config.flood.is_some() { 2 } else { 0 };
    let total = config.points.len() + extra;
    raise_fd_limit(total as u64 + SPARE_FDS)?;
    let server = config.server_pid.map(Process::Pid);
    let rss_before = match server {
        Some(p) => Some(
            p.sample()
                .map_err(|e| LoadgenError::Setup(format!("cannot read the server's /proc: {e}")))?
                .rss_kb,
        ),
        None => None,
    };

    // The watcher holds one sender, the run the other, so that the receiver only wakes for
    // a real change.
    let (abort_tx, mut abort) = watch::channel(None::<String>);
    let abort_tx = Arc::new(abort_tx);
    let watcher_stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let watcher = spawn_memory_watch(
        config.server_pid,
        config.server_rss_limit_kb,
        t0,
        config.bound(),
        abort_tx.clone(),
        watcher_stop.clone(),
    );

    let (stop_tx, stop) = watch::channel(false);
    let (events_tx, mut events) = mpsc::channel(total.max(1));
    let shared = Rc::new(Shared {
        http: config.http,
        join_timeout: config.join_timeout,
        t0,
        stop,
        events: events_tx,
        counters: RefCell::new(vec![Counters::default(); total]),
        flood_sent: Cell::new(None),
    });

    let (health_stop_tx, health_stop) = watch::channel(false);
    let health = tokio::task::spawn_local(poll_health(config.http, health_stop));

    let mut handles = Vec::with_capacity(total);
    let n = config.points.len();
    if let Some(flood) = &config.flood {
        // Both join before the storm so that all of it passes them.
        handles.push(tokio::task::spawn_local(storm_point(
            shared.clone(),
            n,
            flood.flooder.clone(),
            t0,
            Kind::Flooder {
                rate: flood.rate,
                duration: flood.duration,
            },
        )));
        handles.push(tokio::task::spawn_local(storm_point(
            shared.clone(),
            n + 1,
            flood.non_reader.clone(),
            t0,
            Kind::NonReader,
        )));
    }
    for (i, invitation) in config.points.iter().enumerate() {
        let at = t0 + config.within.mul_f64(i as f64 / n.max(1) as f64);
        handles.push(tokio::task::spawn_local(storm_point(
            shared.clone(),
            i,
            invitation.clone(),
            at,
            Kind::Reader,
        )));
    }

    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut stopped_by = "settled".to_string();

    // Until every storm point was welcomed or gave up.
    let join_deadline = t0 + config.within + config.join_timeout + Duration::from_secs(1);
    let mut outcomes = 0;
    while outcomes < n {
        tokio::select! {
            event = events.recv() => match event {
                Some(index) if index < n => outcomes += 1,
                Some(_) => {}
                None => break,
            },
            _ = tokio::time::sleep_until(join_deadline.into()) => break,
            _ = abort.changed() => break,
            _ = &mut interrupt => {
                stopped_by = "interrupted".into();
                break;
            }
        }
    }

    // Until the storm settles: `settle` after the last welcome and the flood's end.
    let flood_deadline = config
        .flood
        .as_ref()
        .map(|f| t0 + config.join_timeout + f.duration + Duration::from_secs(1));
    let settle_deadline = t0 + config.bound();
    // Without any welcome, the storm settles `settle` after the joins gave up.
    let joins_over = Instant::now();
    loop {
        if stopped_by != "settled" || abort.borrow().is_some() {
            break;
        }
        let last_welcome = shared.last_welcome().map_or(joins_over, |d| t0 + d);
        let flood_over = match (&config.flood, shared.flood_sent.get()) {
            (None, _) => t0,
            (Some(_), Some((_, over))) => over,
            // Still flooding (or waiting for the flooder's welcome).
            (Some(_), None) => flood_deadline.unwrap_or(t0),
        };
        let until = (last_welcome.max(flood_over) + config.settle).min(settle_deadline);
        if Instant::now() >= until {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => {}
            _ = abort.changed() => {}
            _ = &mut interrupt => stopped_by = "interrupted".into(),
        }
    }
    if let Some(why) = abort.borrow().clone() {
        stopped_by = why;
    }
    let settled_at = t0.elapsed();
    let counters = shared.counters.borrow().clone();

    let _ = health_stop_tx.send(true);
    let healthz = health.await.unwrap_or_default();
    let _ = stop_tx.send(true);
    let leaving = futures_util::future::join_all(handles);
    if tokio::time::timeout(LEAVE_TIMEOUT, leaving).await.is_err() {
        tracing::warn!("some points did not close within {LEAVE_TIMEOUT:?}");
    }
    if abort.borrow().is_none() {
        tokio::select! {
            _ = tokio::time::sleep(AFTER_WAIT) => {}
            _ = abort.changed() => {}
        }
    }
    watcher_stop.store(true, Ordering::Relaxed);
    let memory = watcher.join().unwrap_or_default();

    let points: Vec<PointSignalling> = config
        .points
        .iter()
        .zip(&counters)
        .map(|(inv, c)| c.signalling(&inv.point))
        .collect();
    let mut welcome_times: Vec<Duration> = counters[..n].iter().filter_map(|c| c.welcome).collect();
    let welcomed = welcome_times.len();
    let last_welcome = counters[..n].iter().filter_map(|c| c.welcome_at).max();
    let report = StormReport {
        target: "giaoban".into(),
        scenario: "join_storm".into(),
        points: n,
        within_s: config.within.as_secs_f64(),
        join_timeout_s: config.join_timeout.as_secs_f64(),
        welcomed,
        never_welcomed: n - welcomed,
        dropped_after_welcome: counters[..n]
            .iter()
            .filter(|c| c.welcome.is_some() && c.ended)
            .count(),
        all_welcomed_s: (welcomed == n).then_some(last_welcome).flatten().map(secs),
        last_welcome_s: last_welcome.map(secs),
        welcome_p50_ms: storm_report::quantile_ms(&mut welcome_times, 0.5),
        welcome_p99_ms: storm_report::quantile_ms(&mut welcome_times, 0.99),
        welcome_max_ms: storm_report::quantile_ms(&mut welcome_times, 1.0),
        settle_s: config.settle.as_secs_f64(),
        settled_at_s: secs(settled_at),
        observer: points.first().cloned(),
        received: storm_report::received(&points),
        healthz,
        server: match (config.server_pid, rss_before) {
            (Some(pid), Some(before)) => Some(ServerMemory {
                pid,
                rss_before_mb: mb(before),
                rss_peak_mb: mb(memory.peak_kb.max(before)),
                rss_after_mb: match (&memory.killed, memory.exited) {
                    (None, false) => memory.last_kb.map(mb),
                    _ => None,
                },
                killed: memory.killed.clone(),
                exited: memory.exited,
            }),
            _ => None,
        },
        flood: config.flood.as_ref().map(|f| {
            let (sent, over) = shared.flood_sent.get().unwrap_or((0, t0));
            let began = counters[n].welcome_at.map_or(t0, |d| t0 + d);
            FloodFigures {
                rate: f.rate,
                seconds: f.duration.as_secs_f64(),
                sent,
                sent_over_s: secs(over.saturating_duration_since(began)),
                flooder: Some(counters[n].signalling(&f.flooder.point)),
                non_reader_connected: counters[n + 1].connected,
            }
        }),
        loadgen_rss_peak_mb: memory.own_peak_kb.map(mb),
        duration_s: secs(t0.elapsed()),
        stopped_by,
        errors: error_counts(&counters),
    };
    Ok(report)
}

/// What a point does once connected.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Reads and counts everything.
    Reader,
    /// Reads, and sends `raise_hand`/`lower_hand` in turn at `rate` per second for `duration`.
    Flooder { rate: u32, duration: Duration },
    /// Says `hello` and never reads.
    NonReader,
}

/// What every point of the storm shares. One thread, so plain cells.
struct Shared {
    http: SocketAddr,
    join_timeout: Duration,
    t0: Instant,
    stop: watch::Receiver<bool>,
    /// The index of each point that was welcomed or gave up, once.
    events: mpsc::Sender<usize>,
    counters: RefCell<Vec<Counters>>,
    /// Messages the flooder wrote and when it stopped.
    flood_sent: Cell<Option<(u64, Instant)>>,
}

/// One point's figures.
#[derive(Debug, Clone, Default)]
struct Counters {
    connected: bool,
    bytes: u64,
    messages: u64,
    /// From starting to connect to the `welcome`.
    welcome: Option<Duration>,
    /// From the storm's start to the `welcome`.
    welcome_at: Option<Duration>,
    /// The connection ended before the stop (refused, closed, timed out).
    ended: bool,
    error: Option<LoadgenError>,
}

impl Counters {
    fn signalling(&self, point: &str) -> PointSignalling {
        PointSignalling {
            point: point.to_string(),
            welcomed: self.welcome.is_some(),
            bytes: self.bytes,
            messages: self.messages,
        }
    }
}

impl Shared {
    fn with(&self, index: usize, f: impl FnOnce(&mut Counters)) {
        if let Some(c) = self.counters.borrow_mut().get_mut(index) {
            f(c);
        }
    }

    /// Records why a point ended; the first reason wins. A point not yet welcomed gave up.
    fn fail(&self, index: usize, point: &str, reason: String) {
        let mut first_outcome = false;
        self.with(index, |c| {
            if c.error.is_none() {
                c.error = Some(LoadgenError::Signalling {
                    point: point.to_string(),
                    reason,
                });
            }
            // A point not welcomed gives up once; after its welcome, an end is no outcome.
            first_outcome = c.welcome.is_none() && !c.ended;
            c.ended = true;
        });
        if first_outcome {
            // The channel holds one event per point: it cannot be full.
            let _ = self.events.try_send(index);
        }
    }

    fn welcomed(&self, index: usize, after: Duration) {
        let at = self.t0.elapsed();
        self.with(index, |c| {
            c.welcome = Some(after);
            c.welcome_at = Some(at);
        });
        let _ = self.events.try_send(index);
    }

    fn last_welcome(&self) -> Option<Duration> {
        self.counters
            .borrow()
            .iter()
            .filter_map(|c| c.welcome_at)
            .max()
    }
}

/// One point of the storm, from its start time until the stop.
async fn storm_point(
    shared: Rc<Shared>,
    index: usize,
    invitation: Invitation,
    at: Instant,
    kind: Kind,
) {
    let mut stop = shared.stop.clone();
    let point = invitation.point.as_str();
    tokio::select! {
        _ = tokio::time::sleep_until(at.into()) => {}
        _ = stop.wait_for(|s| *s) => return,
    }
    let started = Instant::now();
    let deadline = started + shared.join_timeout;
    let opened = tokio::select! {
        r = tokio::time::timeout_at(deadline.into(), open(shared.http, &invitation.link.token)) => r,
        _ = stop.wait_for(|s| *s) => return,
    };
    let ws = match opened {
        Ok(Ok(ws)) => ws,
        Ok(Err(reason)) => return shared.fail(index, point, reason),
        Err(_) => {
            let reason = format!("no WebSocket within {:?}", shared.join_timeout);
            return shared.fail(index, point, reason);
        }
    };
    shared.with(index, |c| c.connected = true);
    let (mut sink, mut stream) = ws.split();
    match kind {
        Kind::NonReader => {
            // Holds the socket unread until the stop: what the server sends it piles up in
            // the kernel's buffers, then in the server.
            let _ = stop.wait_for(|s| *s).await;
            return;
        }
        Kind::Reader => {
            read(&shared, index, point, &mut stream, started, None).await;
        }
        Kind::Flooder { rate, duration } => {
            let (welcome_tx, welcome_rx) = oneshot::channel();
            let reading = read(
                &shared,
                index,
                point,
                &mut stream,
                started,
                Some(welcome_tx),
            );
            let flooding = flood(&shared, &mut sink, welcome_rx, rate, duration);
            tokio::join!(reading, flooding);
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
}

/// Opens a point's WebSocket and says `hello`.
async fn open(http: SocketAddr, token: &str) -> Result<WebSocketStream<TcpStream>, String> {
    let tcp = TcpStream::connect(http)
        .await
        .map_err(|e| format!("TCP connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://{http}/ws");
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(READ_BUFFER);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(config))
        .await
        .map_err(|e| format!("WebSocket handshake: {e}"))?;
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token: token.to_string(),
    };
    let text = serde_json::to_string(&hello).map_err(|e| e.to_string())?;
    ws.send(Message::Text(text.into()))
        .await
        .map_err(|e| format!("sending hello: {e}"))?;
    Ok(ws)
}

/// The type of a server message, and the code and message of an `error`.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads and counts until the stop, the connection's end, or no `welcome` by the join
/// timeout. Only messages before the `welcome` are parsed; after it, only counted.
async fn read(
    shared: &Shared,
    index: usize,
    point: &str,
    stream: &mut SplitStream<WebSocketStream<TcpStream>>,
    started: Instant,
    mut on_welcome: Option<oneshot::Sender<()>>,
) {
    let mut stop = shared.stop.clone();
    let mut welcomed = false;
    let welcome_timeout = tokio::time::sleep_until((started + shared.join_timeout).into());
    tokio::pin!(welcome_timeout);
    loop {
        let msg = tokio::select! {
            msg = stream.next() => msg,
            _ = &mut welcome_timeout, if !welcomed => {
                let reason = format!("no welcome within {:?}", shared.join_timeout);
                return shared.fail(index, point, reason);
            }
            _ = stop.wait_for(|s| *s) => return,
        };
        let text = match msg {
            Some(Ok(Message::Text(text))) => {
                shared.with(index, |c| {
                    c.bytes += text.len() as u64;
                    c.messages += 1;
                });
                text
            }
            Some(Ok(Message::Binary(data))) => {
                shared.with(index, |c| {
                    c.bytes += data.len() as u64;
                    c.messages += 1;
                });
                continue;
            }
            Some(Ok(Message::Close(frame))) => {
                let why = frame
                    .map(|f| format!(" ({} {})", f.code, f.reason))
                    .unwrap_or_default();
                return shared.fail(index, point, format!("the server closed{why}"));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return shared.fail(index, point, format!("WebSocket: {e}")),
            None => return shared.fail(index, point, "the server closed".into()),
        };
        if welcomed {
            continue;
        }
        match serde_json::from_str::<Head>(text.as_str()) {
            Ok(head) if head.kind == "welcome" => {
                welcomed = true;
                shared.welcomed(index, started.elapsed());
                if let Some(tx) = on_welcome.take() {
                    let _ = tx.send(());
                }
            }
            Ok(head) if head.kind == "error" => {
                let reason = format!(
                    "{}: {}",
                    head.code.unwrap_or_default(),
                    head.message.unwrap_or_default()
                );
                return shared.fail(index, point, reason);
            }
            // Anything else before the welcome is not ours to judge; the timeout is.
            _ => {}
        }
    }
}

/// Sends `raise_hand` and `lower_hand` in turn, `rate` a second, from the flooder's
/// `welcome` for `duration` at most.
async fn flood(
    shared: &Shared,
    sink: &mut futures_util::stream::SplitSink<WebSocketStream<TcpStream>, Message>,
    welcomed: oneshot::Receiver<()>,
    rate: u32,
    duration: Duration,
) {
    let mut stop = shared.stop.clone();
    let go = tokio::select! {
        r = welcomed => r.is_ok(),
        _ = stop.wait_for(|s| *s) => false,
    };
    if !go {
        shared.flood_sent.set(Some((0, Instant::now())));
        return;
    }
    let began = Instant::now();
    let end = began + duration;
    let cap = (f64::from(rate) * duration.as_secs_f64()).ceil() as u64;
    let per_tick = u64::from(rate.div_ceil(100)).max(1);
    let texts = [ClientMsg::RaiseHand { topic: None }, ClientMsg::LowerHand]
        .map(|m| serde_json::to_string(&m).unwrap_or_default());
    let mut tick = tokio::time::interval(FLOOD_TICK);
    // Behind schedule (the server reads slowly), the flood does not burst to catch up.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent = 0u64;
    while sent < cap && Instant::now() < end {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::time::sleep_until(end.into()) => break,
            _ = stop.wait_for(|s| *s) => break,
        }
        let batch = per_tick.min(cap - sent);
        let write = async {
            for k in 0..batch {
                let text = &texts[((sent + k) % 2) as usize];
                sink.feed(Message::Text(text.as_str().into())).await?;
            }
            sink.flush().await
        };
        // A server that stops reading blocks the writes: the deadline still holds.
        match tokio::time::timeout_at(end.into(), write).await {
            Ok(Ok(())) => sent += batch,
            Ok(Err(e)) => {
                tracing::debug!("flood stopped: {e}");
                break;
            }
            Err(_) => break,
        }
    }
    shared.flood_sent.set(Some((sent, Instant::now())));
}

/// Polls `/healthz` every [`POLL_EVERY`], one request at a time, until the stop.
async fn poll_health(http: SocketAddr, mut stop: watch::Receiver<bool>) -> Healthz {
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        let asked = Instant::now();
        let answer = tokio::select! {
            a = http::request(http, "GET", "/healthz", None, None) => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        match answer {
            Ok(r) if r.ok() => latencies.push(asked.elapsed()),
            _ => failures += 1,
        }
    }
    Healthz {
        polls: latencies.len() + failures,
        failures,
        p50_ms: storm_report::quantile_ms(&mut latencies, 0.5),
        p99_ms: storm_report::quantile_ms(&mut latencies, 0.99),
        max_ms: storm_report::quantile_ms(&mut latencies, 1.0),
    }
}

/// What the memory watch saw.
#[derive(Debug, Default)]
struct Memory {
    peak_kb: u64,
    last_kb: Option<u64>,
    killed: Option<Killed>,
    exited: bool,
    own_peak_kb: Option<u64>,
}

/// Reads the server's and this process's resident memory every [`POLL_EVERY`] on a thread
/// of its own until `stop` or `bound`; kills the server past `limit_kb` and says so on
/// `abort`, as it does when the server is gone.
fn spawn_memory_watch(
    pid: Option<u32>,
    limit_kb: Option<u64>,
    t0: Instant,
    bound: Duration,
    abort: Arc<watch::Sender<Option<String>>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Memory> {
    std::thread::spawn(move || {
        let mut memory = Memory::default();
        let mut server = pid;
        while !stop.load(Ordering::Relaxed) && t0.elapsed() < bound {
            if let Ok(me) = Process::Myself.sample() {
                memory.own_peak_kb = Some(memory.own_peak_kb.unwrap_or(0).max(me.rss_kb));
            }
            if let Some(p) = server {
                match Process::Pid(p).sample() {
                    Ok(s) => {
                        memory.peak_kb = memory.peak_kb.max(s.rss_kb);
                        memory.last_kb = Some(s.rss_kb);
                        if limit_kb.is_some_and(|limit| s.rss_kb > limit) {
                            kill(p);
                            memory.killed = Some(Killed {
                                rss_mb: mb(s.rss_kb),
                                after_s: secs(t0.elapsed()),
                            });
                            let _ = abort.send(Some("server killed".into()));
                            server = None;
                        }
                    }
                    Err(_) => {
                        memory.exited = true;
                        let _ = abort.send(Some("server exited".into()));
                        server = None;
                    }
                }
            }
            std::thread::sleep(POLL_EVERY);
        }
        memory
    })
}

/// SIGKILL: a server past its memory limit may not have the memory to stop politely.
fn kill(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
    if rc != 0 {
        tracing::warn!(
            "cannot kill the server {pid}: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Raises the soft limit of open files to `need` (within the hard limit): one socket per
/// point, and the default soft limit is often 1,024.
fn raise_fd_limit(need: u64) -> Result<(), LoadgenError> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(LoadgenError::Setup(format!(
            "cannot read the open files limit: {}",
            std::io::Error::last_os_error()
        )));
    }
    if limit.rlim_cur >= need {
        return Ok(());
    }
    if limit.rlim_max < need {
        return Err(LoadgenError::Setup(format!(
            "the storm needs {need} open files, the hard limit is {}: raise it (ulimit -Hn)",
            limit.rlim_max
        )));
    }
    limit.rlim_cur = need;
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(LoadgenError::Setup(format!(
            "cannot raise the open files limit to {need}: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(())
}

/// Errors of every point, grouped by kind.
fn error_counts(counters: &[Counters]) -> Vec<ErrorCount> {
    let mut kinds: Vec<(String, ErrorCount)> = Vec::new();
    for error in counters.iter().filter_map(|c| c.error.as_ref()) {
        let key = error.kind_key();
        if let Some((_, count)) = kinds.iter_mut().find(|(k, _)| *k == key) {
            count.points += 1;
        } else if kinds.len() < MAX_ERRORS {
            kinds.push((
                key,
                ErrorCount {
                    points: 1,
                    example: error.to_string(),
                },
            ));
        }
    }
    kinds.into_iter().map(|(_, c)| c).collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
