//! The IO shell of one headless point: its own UDP socket on loopback, its signalling
//! session, and the timers of its [`MediaPoint`]. Every point is a task on the run's one
//! current-thread runtime; none has a thread of its own.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use giaoban_model::{Role, SlotFeed};
use serde::Serialize;
use str0m::config::DtlsCert;
use str0m::media::Mid;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};

use crate::error::LoadgenError;
use crate::links::Invitation;
use crate::media::{MediaPoint, MediaSetup, PublishConfig};
use crate::scenario::Plan;
use crate::stats::{Clock, Window};
use crate::target::{Session, SignalEvent, Target, TrackInfo};
use crate::udp::PointSocket;

/// Largest datagram read; str0m sends at most about 1200 bytes.
const RECV_BUFFER: usize = 2048;
/// Datagrams handled per wake-up before the other sources of work get a turn.
const RECV_BATCH: usize = 64;
/// The index of a point the server names that this run does not drive: no probe carries it.
const OUTSIDER: u32 = u32::MAX;
/// First and longest wait between two attempts of a lost point to join again.
const RECONNECT_FIRST_WAIT: Duration = Duration::from_millis(250);
const RECONNECT_LONGEST_WAIT: Duration = Duration::from_secs(2);

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
    /// How long a lost point retries joining; `None` (the default): it fails at once.
    pub reconnect: Option<Duration>,
    /// The index of every point of the run by name: what probes carry.
    indices: HashMap<String, u32>,
}

impl Shared {
    /// The run of `plan`, whose host is watched.
    pub fn new(
        clock: Clock,
        target: Target,
        publish: PublishConfig,
        cert: DtlsCert,
        plan: &Plan,
        events: mpsc::UnboundedSender<PointEvent>,
        stop: watch::Receiver<bool>,
    ) -> Shared {
        let points = std::iter::once(&plan.host).chain(&plan.points);
        Shared {
            clock,
            window: RefCell::new(Window::default()),
            target,
            publish,
            cert,
            watched: plan.host.invitation.point.clone(),
            events,
            stop,
            reconnect: None,
            indices: points
                .map(|p| (p.invitation.point.clone(), probe_index(p.index)))
                .collect(),
        }
    }

    /// The index probes carry for the point named `name`.
    fn index(&self, name: &str) -> u32 {
        self.indices.get(name).copied().unwrap_or(OUTSIDER)
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
    /// Its media session is up (again, after [`PointEvent::Lost`]).
    Connected { index: usize },
    /// Its signalling connection or media session was lost; it is joining again.
    Lost { index: usize },
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
    /// Times it joined again after losing its connection (with `--reconnect-seconds`); the
    /// frame counts are those of its last connection.
    pub reconnects: u32,
    /// The longest time from a loss to its media connected again, seconds.
    pub longest_outage_s: Option<f64>,
    pub error: Option<String>,
    pub frames: u64,
    pub lost: u64,
    /// Frames whose slot the server said carried another point than the one that sent them.
    pub mislabelled: u64,
    /// Frames of an m-line no offer opened, or without a probe.
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
        reconnects: 0,
        longest_outage_s: None,
        error: None,
        frames: 0,
        lost: 0,
        mislabelled: 0,
        unknown_frames: 0,
        watched_audio_frames: 0,
        watched_video_frames: 0,
        audio_sources: 0,
        video_sources: 0,
    };
    let mut permit = Some(permit);
    let mut media = None;
    // While joining again: when the connection was lost, and the next wait.
    let mut lost: Option<Instant> = None;
    let mut wait = RECONNECT_FIRST_WAIT;
    let mut stop = shared.stop.clone();
    let result = loop {
        let mut attempt = None;
        let mut connected = None;
        let result = live(&shared, &spec, &mut permit, &mut attempt, &mut connected).await;
        if attempt.is_some() {
            media = attempt;
        }
        if let Some(up) = connected
            && let Some(at) = lost.take()
        {
            report.reconnects += 1;
            let outage = up.saturating_duration_since(at).as_secs_f64();
            report.longest_outage_s = Some(report.longest_outage_s.unwrap_or(0.0).max(outage));
            wait = RECONNECT_FIRST_WAIT;
        }
        let Err(error) = result else { break Ok(()) };
        let Some(within) = shared.reconnect else {
            break Err(error);
        };
        // A point that never connected, or one the server refuses, fails as without
        // reconnection; a lost one retries within its time.
        if refused(&error) || (lost.is_none() && connected.is_none()) {
            break Err(error);
        }
        let since = *lost.get_or_insert_with(|| {
            tracing::info!(point = %spec.invitation.point, "{error}; joining again");
            let _ = shared.events.send(PointEvent::Lost { index: spec.index });
            Instant::now()
        });
        if since.elapsed() + wait > within {
            break Err(error);
        }
        tokio::select! {
            _ = stop.changed() => break Ok(()),
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(RECONNECT_LONGEST_WAIT);
    };
    if let Err(error) = result {
        report.error = Some(error.to_string());
        let _ = shared.events.send(PointEvent::Failed {
            index: spec.index,
            error,
        });
    }
    if let Some(media) = media {
        let totals = media.totals();
        let watched = media.received_from(shared.index(&shared.watched));
        let (audio_sources, video_sources) = media.sources();
        report.connected = media.is_connected();
        report.frames = totals.frames;
        report.lost = totals.lost;
        report.mislabelled = totals.mislabelled;
        report.unknown_frames = totals.unknown;
        report.watched_audio_frames = watched.audio;
        report.watched_video_frames = watched.video;
        report.audio_sources = audio_sources;
        report.video_sources = video_sources;
    }
    report
}

/// Whether the server refused the point itself: joining again would not help.
fn refused(error: &LoadgenError) -> bool {
    matches!(
        error,
        LoadgenError::LinkRefused { .. }
            | LoadgenError::Locked { .. }
            | LoadgenError::NotLoopback(_)
            | LoadgenError::Setup(_)
    )
}

/// Joins, then loops over datagrams, signalling and timers until told to stop; `connected`
/// is set to when its media came up.
async fn live(
    shared: &Shared,
    spec: &PointSpec,
    permit: &mut Option<OwnedSemaphorePermit>,
    media_out: &mut Option<MediaPoint>,
    connected: &mut Option<Instant>,
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
            (spec.invitation.point != shared.watched).then(|| shared.index(&shared.watched));
        let (mut media, offer) = MediaPoint::new(
            Instant::now(),
            MediaSetup {
                local,
                cert: shared.cert.clone(),
                publish: spec.publish.then_some(&shared.publish),
                index: probe_index(spec.index),
                phase: spec.phase,
                watched,
                host: spec.invitation.role == Role::Host,
            },
        )
        .map_err(|e| media_error(e.0))?;
        if session.takes_publish_offer() {
            let answer = session.publish(offer, spec.page).await?;
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
        if connected.is_none() && media.is_connected() {
            *connected = Some(Instant::now());
            *permit = None;
            let _ = shared
                .events
                .send(PointEvent::Connected { index: spec.index });
        }
        if let Some(thumbnails) = view.changed(&session, &name, spec.page)
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
                    let tracks = tracks.map(|t| track_table(shared, &t));
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
                Ok(SignalEvent::Slots(feeds)) => {
                    apply_feeds(shared, &mut media, &feeds);
                }
                Ok(SignalEvent::Publish { video, layers, audio }) => {
                    media.set_wanted(video, &layers, audio);
                }
                Ok(SignalEvent::Stage(stage)) => view.set_stage(stage),
                Ok(SignalEvent::Presence { online, offline }) => view.set_presence(online, offline),
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

/// The index a probe carries for the point of `spec_index`.
fn probe_index(spec_index: usize) -> u32 {
    u32::try_from(spec_index).unwrap_or(OUTSIDER)
}

/// The m-lines of a server offer, with the indices of the points they carry all along.
fn track_table(
    shared: &Shared,
    tracks: &[TrackInfo],
) -> Vec<(Mid, giaoban_model::TrackKind, Option<u32>)> {
    tracks
        .iter()
        .map(|t| {
            let point = t.point.as_deref().map(|p| shared.index(p));
            (Mid::from(t.mid.as_str()), t.kind, point)
        })
        .collect()
}

/// Notes which point each slot of a `slots` message carries from which RTP timestamp.
fn apply_feeds(shared: &Shared, media: &mut MediaPoint, feeds: &[SlotFeed]) {
    let now = shared.clock.now();
    let mut window = shared.window.borrow_mut();
    for feed in feeds {
        let point = feed.point.as_deref().map(|p| shared.index(p));
        media.slot_feed(
            now,
            Mid::from(feed.mid.as_str()),
            point,
            feed.since_ts,
            &mut window,
        );
    }
}

/// The thumbnails a point displays, as the web client chooses them: one page of the points
/// online and not on the stage, in the server's order of points. The server fills the
/// point's page slots with the first of them.
#[derive(Default)]
struct ViewState {
    stage: Vec<String>,
    online: HashSet<String>,
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

    fn set_presence(&mut self, online: Vec<String>, offline: Vec<String>) {
        for name in offline {
            self.dirty |= self.online.remove(&name);
        }
        for name in online {
            self.dirty |= self.online.insert(name);
        }
    }

    /// The new thumbnails, if they differ from what was sent.
    fn changed(&mut self, session: &Session, me: &str, page: usize) -> Option<Vec<String>> {
        if !self.dirty && self.sent.is_some() {
            return None;
        }
        self.dirty = false;
        let thumbnails = self.page(session.roster(), me, page);
        if self.sent.as_ref() == Some(&thumbnails) {
            return None;
        }
        self.sent = Some(thumbnails.clone());
        Some(thumbnails)
    }

    /// The first `page` points of `roster` that are online, not on the stage and not `me`.
    fn page(&self, roster: &[String], me: &str, page: usize) -> Vec<String> {
        let stage: HashSet<&str> = self.stage.iter().map(String::as_str).collect();
        roster
            .iter()
            .filter(|p| p.as_str() != me && !stage.contains(p.as_str()) && self.online.contains(*p))
            .take(page)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_page_lists_online_points_off_the_stage_in_roster_order() {
        let roster = names(&["host", "a", "b", "c", "d", "e"]);
        let mut view = ViewState::default();
        view.set_presence(names(&["e", "host", "a", "b", "d"]), names(&["c"]));
        view.set_stage(names(&["host", "b"]));
        assert_eq!(view.page(&roster, "host", 2), names(&["a", "d"]));
        assert_eq!(view.page(&roster, "a", 25), names(&["d", "e"]));
        view.set_presence(names(&["c"]), names(&["d"]));
        assert_eq!(view.page(&roster, "host", 25), names(&["a", "c", "e"]));
        assert_eq!(view.page(&roster, "host", 0), Vec::<String>::new());
    }
}
