//! The IO shell of one headless point: its own UDP socket on loopback, its signalling
//! session, and the timers of its [`MediaPoint`]. Every point is a task on the run's one
//! current-thread runtime; none has a thread of its own.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use giaoban_model::{Role, TrackInfo};
use serde::Serialize;
use str0m::config::DtlsCert;
use str0m::media::Mid;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};

use crate::error::LoadgenError;
use crate::links::Invitation;
use crate::media::{MediaPoint, MediaSetup, PublishConfig};
use crate::stats::{Clock, Window};
use crate::target::{Session, SignalEvent, Target};
use crate::udp::PointSocket;

/// Largest datagram read; str0m sends at most about 1200 bytes.
const RECV_BUFFER: usize = 2048;
/// Datagrams handled per wake-up before the other sources of work get a turn.
const RECV_BATCH: usize = 64;

/// What every point of a run shares. One thread, so plain `RefCell`s.
pub struct Shared {
    pub clock: Clock,
    pub window: RefCell<Window>,
    pub target: Target,
    pub publish: PublishConfig,
    pub cert: DtlsCert,
    /// Whose frames each point's report counts (the host, or the fanout's publisher).
    pub watched: String,
    pub events: mpsc::UnboundedSender<PointEvent>,
    pub stop: watch::Receiver<bool>,
    /// Point names, shared by every point's track table.
    names: RefCell<HashMap<String, Rc<str>>>,
}

impl Shared {
    pub fn new(
        clock: Clock,
        target: Target,
        publish: PublishConfig,
        cert: DtlsCert,
        watched: String,
        events: mpsc::UnboundedSender<PointEvent>,
        stop: watch::Receiver<bool>,
    ) -> Shared {
        Shared {
            clock,
            window: RefCell::new(Window::default()),
            target,
            publish,
            cert,
            watched,
            events,
            stop,
            names: RefCell::new(HashMap::new()),
        }
    }

    fn name(&self, name: &str) -> Rc<str> {
        let mut names = self.names.borrow_mut();
        if let Some(n) = names.get(name) {
            return n.clone();
        }
        let n: Rc<str> = Rc::from(name);
        names.insert(name.to_string(), n.clone());
        n
    }
}

/// One point of a scenario.
#[derive(Debug, Clone)]
pub struct PointSpec {
    pub index: usize,
    pub invitation: Invitation,
    /// Sends audio and video (else only receives).
    pub publish: bool,
    /// Thumbnails it displays: at most this many points besides the stage.
    pub page: usize,
    /// Delay of its first frame after connecting.
    pub phase: Duration,
}

/// What a point tells the run as it goes.
#[derive(Debug)]
pub enum PointEvent {
    /// Its media session is up.
    Connected { index: usize },
    /// It stopped on an error.
    Failed { index: usize, error: LoadgenError },
}

/// What one point measured over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct PointReport {
    pub point: String,
    pub role: Role,
    /// Its media connected (at some time).
    pub connected: bool,
    pub error: Option<String>,
    pub frames: u64,
    pub lost: u64,
    /// Frames of a track no offer named, or without a probe.
    pub unknown_frames: u64,
    /// Frames received from the watched publisher (the host).
    pub watched_audio_frames: u64,
    pub watched_video_frames: u64,
    /// Sources heard and seen at least once.
    pub audio_sources: usize,
    pub video_sources: usize,
}

/// Runs one point until the run stops or it fails. `permit` is released once its media is up,
/// which paces joins.
pub async fn run_point(
    shared: Rc<Shared>,
    spec: PointSpec,
    permit: OwnedSemaphorePermit,
) -> PointReport {
    let mut report = PointReport {
        point: spec.invitation.point.clone(),
        role: spec.invitation.role,
        connected: false,
        error: None,
        frames: 0,
        lost: 0,
        unknown_frames: 0,
        watched_audio_frames: 0,
        watched_video_frames: 0,
        audio_sources: 0,
        video_sources: 0,
    };
    let mut permit = Some(permit);
    let mut media = None;
    let result = live(&shared, &spec, &mut permit, &mut media).await;
    if let Err(error) = result {
        report.error = Some(error.to_string());
        let _ = shared.events.send(PointEvent::Failed {
            index: spec.index,
            error,
        });
    }
    if let Some(media) = media {
        let (frames, lost, unknown) = media.totals();
        let watched = media.received_from(&shared.watched);
        let (audio_sources, video_sources) = media.sources();
        report.connected = media.is_connected();
        report.frames = frames;
        report.lost = lost;
        report.unknown_frames = unknown;
        report.watched_audio_frames = watched.audio;
        report.watched_video_frames = watched.video;
        report.audio_sources = audio_sources;
        report.video_sources = video_sources;
    }
    report
}

/// Joins, then loops over datagrams, signalling and timers until told to stop.
async fn live(
    shared: &Shared,
    spec: &PointSpec,
    permit: &mut Option<OwnedSemaphorePermit>,
    media_out: &mut Option<MediaPoint>,
) -> Result<(), LoadgenError> {
    let name = spec.invitation.point.clone();
    let media_error = |reason: String| LoadgenError::Media {
        point: name.clone(),
        reason,
    };
    let mut stop = shared.stop.clone();
    let join = async {
        let mut session = shared.target.connect(&spec.invitation).await?;
        let socket = PointSocket::bind(shared.target.media_ip())
            .map_err(|e| media_error(format!("cannot bind a UDP socket: {e}")))?;
        let local = socket
            .local_addr()
            .map_err(|e| media_error(e.to_string()))?;
        let watched =
            (spec.invitation.point != shared.watched).then(|| shared.name(&shared.watched));
        let (mut media, offer) = MediaPoint::new(
            Instant::now(),
            MediaSetup {
                local,
                cert: shared.cert.clone(),
                publish: spec.publish.then_some(&shared.publish),
                phase: spec.phase,
                watched,
                host: spec.invitation.role == Role::Host,
            },
        )
        .map_err(|e| media_error(e.0))?;
        if session.takes_publish_offer() {
            let answer = session.publish(offer).await?;
            media.accept_answer(&answer).map_err(|e| media_error(e.0))?;
        }
        Ok::<_, LoadgenError>((session, socket, media))
    };
    // The run may end while this point is still joining.
    let (mut session, socket, mut media) = tokio::select! {
        joined = join => joined?,
        _ = stop.changed() => return Ok(()),
    };

    let mut view = ViewState::default();
    let mut receiving = Receiving {
        buf: vec![0u8; RECV_BUFFER],
        dropped: 0,
    };
    let mut sleep = pin!(tokio::time::sleep_until(Instant::now().into()));
    let result = loop {
        let next = {
            let mut window = shared.window.borrow_mut();
            media.poll(shared.clock.now(), None, &mut window, |t| {
                socket.try_send_to(&t.contents, t.destination)
            })
        };
        if let Some(failure) = media.failure() {
            break Err(media_error(failure.0.clone()));
        }
        if permit.is_some() && media.is_connected() {
            *permit = None;
            let _ = shared
                .events
                .send(PointEvent::Connected { index: spec.index });
        }
        if let Some(thumbnails) = view.changed(&session, &name, &media, spec.page)
            && let Err(e) = session.view(&thumbnails).await
        {
            break Err(e);
        }
        sleep.as_mut().reset(next.into());
        tokio::select! {
            biased;
            _ = stop.changed() => break Ok(()),
            readable = socket.readable() => {
                if let Err(e) = readable {
                    break Err(media_error(format!("socket: {e}")));
                }
                receiving.drain(shared, &socket, &mut media);
            }
            event = session.next_event() => match event {
                Ok(SignalEvent::Offer { sdp, tracks }) => {
                    view.tracks_changed();
                    let tracks = track_table(shared, &tracks);
                    match media.accept_offer(&sdp, tracks) {
                        Ok(answer) => {
                            // Drained before waiting on the socket, as str0m asks.
                            media.poll(shared.clock.now(), None, &mut shared.window.borrow_mut(), |t| {
                                socket.try_send_to(&t.contents, t.destination)
                            });
                            if let Err(e) = session.answer(answer).await {
                                break Err(e);
                            }
                        }
                        Err(e) => break Err(media_error(e.0)),
                    }
                }
                Ok(SignalEvent::Stage(stage)) => view.set_stage(stage),
                Err(e) => break Err(e),
            },
            _ = &mut sleep => media.handle_timeout(shared.clock.now()),
        }
    };
    session.close().await;
    *media_out = Some(media);
    result
}

/// The receive side of a point's socket.
struct Receiving {
    buf: Vec<u8>,
    /// The socket's drop count when last seen.
    dropped: u32,
}

impl Receiving {
    /// Reads what the socket holds, up to a batch, draining the session after each datagram
    /// (str0m's contract), which also times a frame by the kernel's receipt of the datagram
    /// that completed it.
    fn drain(&mut self, shared: &Shared, socket: &PointSocket, media: &mut MediaPoint) {
        let mut window = shared.window.borrow_mut();
        for _ in 0..RECV_BATCH {
            let datagram = match socket.try_recv(&mut self.buf) {
                Ok(d) => d,
                // WouldBlock: drained. Other errors (ICMP reports of earlier sends, which
                // Linux surfaces here) end this batch; the next one reads on.
                Err(_) => return,
            };
            let now = shared.clock.now();
            let mut arrived = now;
            if let Some(kernel_ns) = datagram.kernel_ns {
                // The datagram arrived when the kernel took it, for our statistics and for
                // str0m's (its TWCC feedback tells the server's bandwidth estimator when
                // packets arrived; this process's scheduling delay is not the network's).
                arrived.wall_us = shared.clock.wall_us(kernel_ns).min(now.wall_us);
                let delay = now.wall_us - arrived.wall_us;
                window.recv_delay.record(delay);
                arrived.at = now
                    .at
                    .checked_sub(Duration::from_micros(delay))
                    .unwrap_or(now.at);
            }
            if let Some(total) = datagram.dropped_total
                && total > self.dropped
            {
                window.socket_drops += u64::from(total - self.dropped);
                self.dropped = total;
            }
            let Some(bytes) = self.buf.get(..datagram.len) else {
                continue;
            };
            media.handle_datagram(arrived, datagram.source, bytes, &mut window);
            // Frames written in this drain carry the true time; frames received, the arrival.
            media.poll(now, Some(arrived.wall_us), &mut window, |t| {
                socket.try_send_to(&t.contents, t.destination)
            });
        }
    }
}

/// The m-lines of a server offer, with shared point names.
fn track_table(
    shared: &Shared,
    tracks: &[TrackInfo],
) -> Vec<(Mid, Rc<str>, giaoban_model::TrackKind)> {
    tracks
        .iter()
        .map(|t| (Mid::from(t.mid.as_str()), shared.name(&t.point), t.kind))
        .collect()
}

/// The thumbnails a point displays, as the web client chooses them: the points with tracks
/// that are not on the stage, in the server's order of points, one page.
#[derive(Default)]
struct ViewState {
    stage: Vec<String>,
    sent: Option<Vec<String>>,
    dirty: bool,
}

impl ViewState {
    fn set_stage(&mut self, stage: Vec<String>) {
        if stage != self.stage {
            self.stage = stage;
            self.dirty = true;
        }
    }

    fn tracks_changed(&mut self) {
        self.dirty = true;
    }

    /// The new thumbnails, if they differ from what was sent.
    fn changed(
        &mut self,
        session: &Session,
        me: &str,
        media: &MediaPoint,
        page: usize,
    ) -> Option<Vec<String>> {
        if !self.dirty && self.sent.is_some() {
            return None;
        }
        self.dirty = false;
        let stage: HashSet<&str> = self.stage.iter().map(String::as_str).collect();
        let thumbnails: Vec<String> = if page == 0 {
            Vec::new()
        } else {
            session
                .roster()
                .iter()
                .filter(|p| p.as_str() != me && !stage.contains(p.as_str()) && media.receives(p))
                .take(page)
                .cloned()
                .collect()
        };
        if self.sent.as_ref() == Some(&thumbnails) {
            return None;
        }
        self.sent = Some(thumbnails.clone());
        Some(thumbnails)
    }
}
