//! One live task per active briefing. The task owns the sans-IO [`Briefing`] core, the store
//! rows of what is in progress and the state last sent to the points; HTTP handlers and
//! signalling sessions send it commands ([`Direction::act`] and friends) and await its reply.
//!
//! After each change the task records the core's events in the store (in the task: no lock
//! is shared with other briefings), updates the SFU's forwarding policy and schedules a
//! *flush*: at most once per [`COALESCE`] it compares the core's snapshot with the one last
//! sent and broadcasts the difference as one numbered `state_delta`. A burst of changes (300
//! points joining) therefore reaches every point as a few small messages. A point that joins,
//! or whose backlog was dropped, gets the last sent snapshot with its number instead
//! ([`Direction::state`]); deltas it then receives with that number or lower are older than
//! what it holds and are ignored (`docs/protocol.md`, "State").
//!
//! Timers come from the core's `poll_timeout` and from the pending flush, not from a tick.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use giaoban_briefing::{Briefing, BriefingError, BriefingEvent, Now, RollCallAnswer};
use giaoban_media::RoomPolicy;
use giaoban_model::{BriefingId, PointId, QualityInfo, Role, ServerMsg, Snapshot, StateDelta};
use giaoban_store::{QualitySummary, RollCallRecord, Store, StoreError};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use super::registry::Registry;
use crate::clock::now;
use crate::media_io::media_loop::MediaHandle;

/// Changes closer together than this go out as one `state_delta`.
pub const COALESCE: Duration = Duration::from_millis(100);
/// Commands waiting for one briefing's task. Senders wait when it is full (the HTTP handlers
/// and sessions are rate-limited; this only smooths a burst).
const COMMAND_QUEUE: usize = 1024;
/// How often the host gets quality figures.
const QUALITY_INTERVAL: Duration = Duration::from_secs(2);

/// Errors of briefing actions.
#[derive(Debug)]
pub enum DirectionError {
    Briefing(BriefingError),
    Store(StoreError),
    UnknownBriefing,
}

impl From<BriefingError> for DirectionError {
    fn from(e: BriefingError) -> Self {
        DirectionError::Briefing(e)
    }
}

impl From<StoreError> for DirectionError {
    fn from(e: StoreError) -> Self {
        DirectionError::Store(e)
    }
}

/// A command for a briefing's task.
type Command = Box<dyn FnOnce(&mut Hub) + Send>;

/// What a briefing's task owns.
struct Hub {
    id: BriefingId,
    core: Briefing,
    ids: HashMap<String, PointId>,
    /// Store row of the floor grant in progress.
    floor_record: Option<(String, i64)>,
    /// The presentation running, with its row in the store.
    presentation_record: Option<(String, i64)>,
    /// Running sums of RTT and loss per point, for the attendance quality summary.
    quality: HashMap<String, (f64, f64, u32)>,
    /// The state as the points last heard it, and its number.
    sent: Snapshot,
    seq: u64,
    /// The floor was granted since the last flush (its holder may be the same).
    floor_changed: bool,
    last_flush: Option<Instant>,
    /// When the next flush is due; `None` when nothing changed.
    flush_at: Option<Instant>,
    store: Arc<Store>,
    media: MediaHandle,
    registry: Arc<Registry>,
}

/// The handle of every briefing's task.
pub struct Direction {
    store: Arc<Store>,
    media: MediaHandle,
    registry: Arc<Registry>,
    tasks: Mutex<HashMap<BriefingId, mpsc::Sender<Command>>>,
}

impl Direction {
    pub fn new(store: Arc<Store>, media: MediaHandle, registry: Arc<Registry>) -> Arc<Direction> {
        Arc::new(Direction {
            store,
            media,
            registry,
            tasks: Mutex::new(HashMap::new()),
        })
    }

    /// Starts the quality reports to the hosts.
    pub fn spawn_tasks(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(QUALITY_INTERVAL);
            loop {
                tick.tick().await;
                this.report_quality().await;
            }
        });
    }

    /// Runs `f` on the briefing's core in its task, then records, forwards and tells what
    /// changed. Loads the briefing from the store on first use.
    pub async fn act<R: Send + 'static>(
        &self,
        id: &BriefingId,
        f: impl FnOnce(&mut Briefing, Now) -> Result<R, BriefingError> + Send + 'static,
    ) -> Result<R, DirectionError> {
        self.call(id, move |hub| {
            let now = now();
            let result = f(&mut hub.core, now);
            hub.after_change(now);
            result.map_err(DirectionError::from)
        })
        .await
    }

    /// Runs `f` on the task's whole state and returns its result.
    async fn call<R: Send + 'static>(
        &self,
        id: &BriefingId,
        f: impl FnOnce(&mut Hub) -> Result<R, DirectionError> + Send + 'static,
    ) -> Result<R, DirectionError> {
        let (reply, answer) = oneshot::channel();
        let command: Command = Box::new(move |hub| {
            let _ = reply.send(f(hub));
        });
        self.task(id)?
            .send(command)
            .await
            .map_err(|_| DirectionError::UnknownBriefing)?;
        answer.await.map_err(|_| DirectionError::UnknownBriefing)?
    }

    /// The sender of the briefing's task, started (after loading it) on first use.
    fn task(&self, id: &BriefingId) -> Result<mpsc::Sender<Command>, DirectionError> {
        let mut tasks = self.lock();
        if let Some(tx) = tasks.get(id)
            && !tx.is_closed()
        {
            return Ok(tx.clone());
        }
        let hub = self.load(id)?;
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(run(hub, rx));
        tasks.insert(id.clone(), tx.clone());
        Ok(tx)
    }

    /// The state message for a point that joins or resynchronises: the state as last sent,
    /// with its number, the floor's time left as of now.
    pub async fn state(&self, id: &BriefingId) -> Result<ServerMsg, DirectionError> {
        self.call(id, |hub| {
            let mut state = hub.sent.clone();
            if let (Some(sent), Some(now)) = (&mut state.floor, hub.core.snapshot(now()).floor)
                && sent.point == now.point
            {
                sent.remaining_ms = now.remaining_ms;
            }
            Ok(ServerMsg::BriefingState {
                seq: hub.seq,
                state,
            })
        })
        .await
    }

    /// The state as of now, for `GET …/state`; tells nobody (a read changes nothing).
    pub async fn snapshot(&self, id: &BriefingId) -> Result<Snapshot, DirectionError> {
        self.call(id, |hub| Ok(hub.core.snapshot(now()))).await
    }

    /// Point `name` connected (again). The others hear of it in the next `state_delta`.
    pub async fn join(&self, id: &BriefingId, name: &str) -> Result<(), DirectionError> {
        let name = name.to_owned();
        self.act(id, move |core, now| core.point_joined(&name, now))
            .await
    }

    /// Point `name` disconnected. Returns its quality summary for the attendance record.
    pub async fn leave(&self, id: &BriefingId, name: &str) -> Option<QualitySummary> {
        let name = name.to_owned();
        self.call(id, move |hub| {
            let now = now();
            hub.core.point_left(&name, now);
            hub.after_change(now);
            Ok(hub.quality.remove(&name).and_then(|(rtt, loss, n)| {
                (n > 0).then(|| QualitySummary {
                    avg_rtt_ms: rtt / f64::from(n),
                    avg_loss: loss / f64::from(n),
                })
            }))
        })
        .await
        .ok()
        .flatten()
    }

    /// The host removes `name`: disconnected, link revoked for good.
    pub async fn remove(&self, id: &BriefingId, name: &str) -> Result<(), DirectionError> {
        let name = name.to_owned();
        self.call(id, move |hub| {
            let now = now();
            let removed = hub.core.remove_point(&name, now);
            hub.after_change(now);
            removed?;
            hub.store.revoke_point(&hub.id, &name)?;
            hub.registry.kick_name(
                &hub.id,
                &name,
                giaoban_model::ErrorCode::Removed,
                "the host removed this point from the briefing",
            );
            Ok(())
        })
        .await
    }

    /// Locks or unlocks the briefing.
    pub async fn set_locked(&self, id: &BriefingId, locked: bool) -> Result<(), DirectionError> {
        self.call(id, move |hub| {
            hub.store.set_locked(&hub.id, locked)?;
            hub.core.set_locked(locked);
            hub.after_change(now());
            Ok(())
        })
        .await
    }

    /// Starts a roll-call; previous answers are cleared.
    pub async fn start_roll_call(&self, id: &BriefingId) -> Result<(), DirectionError> {
        self.call(id, |hub| {
            let now = now();
            hub.store.start_roll_call(&hub.id, now.unix_ms)?;
            hub.core.start_roll_call(now);
            hub.after_change(now);
            Ok(())
        })
        .await
    }

    /// Ends the roll-call. The answers given are stored as they come; the outcome of a point
    /// that did not answer is derived from its connections by the attendance record.
    pub async fn end_roll_call(&self, id: &BriefingId) -> Result<(), DirectionError> {
        self.call(id, |hub| {
            let now = now();
            hub.core.end_roll_call(now);
            hub.after_change(now);
            Ok(())
        })
        .await
    }

    fn load(&self, id: &BriefingId) -> Result<Hub, DirectionError> {
        if self.store.briefing(id)?.is_none() {
            return Err(DirectionError::UnknownBriefing);
        }
        let points = self.store.points(id)?;
        let host = points
            .iter()
            .find(|p| p.role == Role::Host)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let others: Vec<String> = points
            .iter()
            .filter(|p| p.role != Role::Host)
            .map(|p| p.name.clone())
            .collect();
        let mut core = Briefing::new(host, others);
        core.set_locked(self.store.is_locked(id)?);
        if let Some(recording) = self.store.running_recording(id)? {
            core.set_recording(Some(recording.started_at_ms));
        }
        let now = now();
        for p in points.iter().filter(|p| p.revoked && p.role != Role::Host) {
            let _ = core.remove_point(&p.name, now);
        }
        // Connections recorded before this state was built (a restart) count for the roll-call.
        for row in self.store.attendance(id, now.unix_ms)? {
            if !row.sessions.is_empty() {
                core.note_connected_before(&row.point);
            }
        }
        let _ = core.take_events();
        Ok(Hub {
            id: id.clone(),
            sent: core.snapshot(now),
            core,
            ids: points.into_iter().map(|p| (p.name, p.id)).collect(),
            floor_record: None,
            presentation_record: None,
            quality: HashMap::new(),
            seq: 0,
            floor_changed: false,
            last_flush: None,
            flush_at: None,
            store: self.store.clone(),
            media: self.media.clone(),
            registry: self.registry.clone(),
        })
    }

    async fn report_quality(&self) {
        let quality = self.media.quality().await;
        if quality.is_empty() {
            return;
        }
        let mut by_room: HashMap<BriefingId, Vec<QualityInfo>> = HashMap::new();
        for q in quality {
            by_room
                .entry(q.room.clone())
                .or_default()
                .push(QualityInfo {
                    point: q.label,
                    rtt_ms: q.rtt_ms,
                    loss: q.loss,
                    kbps_in: q.kbps_in,
                    kbps_out: q.kbps_out,
                });
        }
        for (room, points) in by_room {
            let Some(task) = self.lock().get(&room).cloned() else {
                continue;
            };
            let sums: Vec<(String, f64, f64)> = points
                .iter()
                .filter_map(|p| Some((p.point.clone(), p.rtt_ms?, p.loss?)))
                .collect();
            let command: Command = Box::new(move |hub| {
                for (point, rtt, loss) in sums {
                    let entry = hub.quality.entry(point).or_default();
                    entry.0 += rtt;
                    entry.1 += loss;
                    entry.2 += 1;
                }
            });
            // A full queue skips one report rather than holding up the others.
            let _ = task.try_send(command);
            self.registry
                .send_to_role(&room, Role::Host, &ServerMsg::Quality { points });
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<BriefingId, mpsc::Sender<Command>>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The task of one briefing: commands in, timers from the core and the pending flush.
async fn run(mut hub: Hub, mut commands: mpsc::Receiver<Command>) {
    loop {
        let wake = [hub.core.poll_timeout(), hub.flush_at]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => command(&mut hub),
                None => return,
            },
            () = sleep_until(wake) => {
                let now = now();
                if hub.core.poll_timeout().is_some_and(|t| t <= now.instant)
                    && hub.core.handle_timeout(now)
                {
                    debug!(briefing = %hub.id, "floor time is up");
                    hub.after_change(now);
                }
                if hub.flush_at.is_some_and(|t| t <= now.instant) {
                    hub.flush(now);
                }
            }
        }
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

impl Hub {
    /// Applies a change: records events, updates forwarding, schedules telling the points.
    fn after_change(&mut self, now: Now) {
        for event in self.core.take_events() {
            if let Err(e) = self.record(event) {
                warn!(briefing = %self.id, "cannot record a briefing event: {e}");
            }
        }
        let speakers = self
            .ids
            .keys()
            .filter(|name| self.core.may_send_audio(name))
            .cloned()
            .collect();
        let policy = RoomPolicy {
            speakers: Some(speakers),
            stage: self.core.stage(),
            presentation: self.core.presenter().map(str::to_owned),
            record: self.core.recording_since().is_some(),
        };
        self.media.set_policy(self.id.clone(), policy);
        self.schedule_flush(now);
    }

    /// The first change after a quiet [`COALESCE`] goes out at once; later ones wait for the
    /// rest of it.
    fn schedule_flush(&mut self, now: Now) {
        if self.flush_at.is_some() {
            return;
        }
        match self.last_flush {
            Some(last) if now.instant < last + COALESCE => self.flush_at = Some(last + COALESCE),
            _ => self.flush(now),
        }
    }

    /// Sends what changed since the last flush, if anything did.
    fn flush(&mut self, now: Now) {
        self.flush_at = None;
        self.last_flush = Some(now.instant);
        let state = self.core.snapshot(now);
        let delta = StateDelta::between(&self.sent, &state, self.floor_changed);
        self.floor_changed = false;
        self.sent = state;
        if delta.is_empty() {
            return;
        }
        self.seq += 1;
        let msg = ServerMsg::StateDelta {
            seq: self.seq,
            delta,
        };
        self.registry.broadcast(&self.id, None, &msg);
    }

    fn record(&mut self, event: BriefingEvent) -> Result<(), StoreError> {
        match event {
            BriefingEvent::FloorGranted {
                point,
                at_unix_ms,
                seconds,
            } => {
                self.floor_changed = true;
                if let Some(pid) = self.ids.get(&point) {
                    let row = self
                        .store
                        .record_floor_start(&self.id, pid, at_unix_ms, seconds)?;
                    self.floor_record = Some((point, row));
                }
            }
            BriefingEvent::FloorEnded {
                point,
                at_unix_ms,
                reason,
            } => {
                self.floor_changed = true;
                if let Some((holder, row)) = self.floor_record.take() {
                    if holder == point {
                        self.store
                            .record_floor_end(row, at_unix_ms, reason.as_str())?;
                    } else {
                        self.floor_record = Some((holder, row));
                    }
                }
            }
            BriefingEvent::PresentationStarted { point, at_unix_ms } => {
                if let Some(pid) = self.ids.get(&point) {
                    let row = self
                        .store
                        .record_presentation_start(&self.id, pid, at_unix_ms)?;
                    self.presentation_record = Some((point, row));
                }
            }
            BriefingEvent::PresentationEnded {
                point,
                at_unix_ms,
                reason,
            } => {
                if let Some((presenter, row)) = self.presentation_record.take() {
                    if presenter == point {
                        self.store
                            .record_presentation_end(row, at_unix_ms, reason.as_str())?;
                    } else {
                        self.presentation_record = Some((presenter, row));
                    }
                }
            }
            BriefingEvent::RollCallAnswered {
                point,
                answer,
                at_unix_ms,
            } => {
                if let (Some(pid), Some(record)) = (self.ids.get(&point), record_of(&answer)) {
                    self.store
                        .record_roll_call(&self.id, pid, &record, at_unix_ms)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The stored form of an answer; `None` for the outcome of a point that did not answer,
/// which is derived, not stored.
fn record_of(answer: &RollCallAnswer) -> Option<RollCallRecord> {
    Some(match answer {
        RollCallAnswer::Present => RollCallRecord {
            status: "present".into(),
            substitute: None,
            reason: None,
        },
        RollCallAnswer::Substitute { substitute } => RollCallRecord {
            status: "substitute".into(),
            substitute: Some(substitute.clone()),
            reason: None,
        },
        RollCallAnswer::Absent { reason } => RollCallRecord {
            status: "absent".into(),
            substitute: None,
            reason: reason.clone(),
        },
        RollCallAnswer::NoAnswer => return None,
    })
}

#[cfg(test)]
mod tests {
    use giaoban_model::{PointId, Snapshot};
    use giaoban_store::NewBriefing;

    use super::*;
    use crate::live::registry::{Outbound, Outbox};
    use crate::test_app::TestServer;

    /// A briefing of `n` points on a fresh server; its id and the points' names.
    async fn briefing(n: usize) -> (TestServer, BriefingId, Vec<String>) {
        let server = TestServer::new().await;
        let names: Vec<String> = (1..=n).map(|i| format!("Xã {i:03}")).collect();
        let b = server
            .store
            .create_briefing(&NewBriefing {
                title: "Giao ban tỉnh với xã".into(),
                scheduled_start: Some("2099-06-30 08:00".into()),
                host: "Sở".into(),
                points: names.clone(),
                ..NewBriefing::default()
            })
            .unwrap();
        (server, b.id, names)
    }

    /// An observer's queue in the registry, as a signalling session has.
    fn observe(server: &TestServer, id: &BriefingId) -> Outbox {
        server.state.live.registry.connect(
            id,
            &PointId("observer".into()),
            "Sở",
            Role::Host,
            u64::MAX,
        )
    }

    /// The messages waiting in `outbox` now.
    async fn drain(outbox: &mut Outbox) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        while let Ok(Some(next)) =
            tokio::time::timeout(Duration::from_millis(20), outbox.recv()).await
        {
            match next {
                Outbound::Text(text) => out.push(serde_json::from_str(text.as_str()).unwrap()),
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    /// Applies the deltas numbered after `seq` that reach `outbox` to `state` until `done`
    /// holds, waiting at most 5 s; checks they are numbered one by one and leaves `seq` at the
    /// last. Returns how many messages came.
    async fn follow(
        outbox: &mut Outbox,
        seq: &mut u64,
        state: &mut Snapshot,
        done: impl Fn(&Snapshot) -> bool,
    ) -> usize {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut messages = 0;
        while !done(state) {
            let next = tokio::time::timeout_at(deadline, outbox.recv())
                .await
                .expect("the change arrives within 5 s");
            let Some(Outbound::Text(text)) = next else {
                panic!("unexpected {next:?}");
            };
            messages += 1;
            match serde_json::from_str(text.as_str()).unwrap() {
                ServerMsg::StateDelta { seq: n, delta } if n > *seq => {
                    assert_eq!(n, *seq + 1, "numbered one by one");
                    *seq = n;
                    delta.apply(state);
                }
                ServerMsg::StateDelta { .. } => {}
                other => panic!("only deltas: {other:?}"),
            }
        }
        messages
    }

    /// The snapshot and number of a `briefing_state`.
    fn snapshot_of(msg: ServerMsg) -> (u64, Snapshot) {
        match msg {
            ServerMsg::BriefingState { seq, state } => (seq, state),
            other => panic!("not a state: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_burst_of_joins_reaches_an_observer_as_a_few_deltas() {
        let (server, id, names) = briefing(60).await;
        let direction = &server.state.live.direction;
        let (mut seq, mut state) = snapshot_of(direction.state(&id).await.unwrap());
        let mut outbox = observe(&server, &id);
        for name in &names {
            direction.join(&id, name).await.unwrap();
        }
        let messages = follow(&mut outbox, &mut seq, &mut state, |s| {
            s.points.iter().skip(1).all(|p| p.online)
        })
        .await;
        assert!(
            messages <= names.len() / 4,
            "{} joins came as {messages} messages",
            names.len()
        );
        assert_eq!(state, direction.snapshot(&id).await.unwrap());
    }

    /// Virtual time: joins every 10 ms for 600 ms come as the first join at once, then one
    /// delta per 100 ms.
    #[tokio::test(start_paused = true)]
    async fn joins_every_ten_milliseconds_are_sent_ten_times_a_second() {
        let (server, id, names) = briefing(60).await;
        let direction = &server.state.live.direction;
        direction.state(&id).await.unwrap();
        let mut outbox = observe(&server, &id);
        for name in &names {
            direction.join(&id, name).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(COALESCE * 2).await;
        let deltas: Vec<usize> = drain(&mut outbox)
            .await
            .into_iter()
            .map(|m| match m {
                ServerMsg::StateDelta { delta, .. } => delta.online.len(),
                other => panic!("only deltas: {other:?}"),
            })
            .collect();
        assert_eq!(deltas.iter().sum::<usize>(), names.len(), "{deltas:?}");
        assert_eq!(deltas[0], 1, "the first join goes out at once: {deltas:?}");
        assert!((6..=8).contains(&deltas.len()), "{deltas:?}");
    }

    #[tokio::test]
    async fn deltas_after_a_snapshot_rebuild_the_state_and_reads_tell_nobody() {
        let (server, id, names) = briefing(5).await;
        let direction = &server.state.live.direction;
        for name in &names[..3] {
            direction.join(&id, name).await.unwrap();
        }
        let mut outbox = observe(&server, &id);
        tokio::time::sleep(COALESCE * 2).await;
        drain(&mut outbox).await;
        let (mut seq, mut state) = snapshot_of(direction.state(&id).await.unwrap());

        let (a, b) = (names[0].clone(), names[1].clone());
        direction
            .act(&id, move |core, now| core.raise_hand(&a, None, now))
            .await
            .unwrap();
        direction
            .act(&id, move |core, now| core.grant_floor(&b, Some(60), now))
            .await
            .unwrap();
        direction.start_roll_call(&id).await.unwrap();
        let c = names[2].clone();
        direction
            .act(&id, move |core, now| {
                core.answer_roll_call(&c, RollCallAnswer::Present, now)
            })
            .await
            .unwrap();
        direction.leave(&id, &names[2]).await;
        direction.set_locked(&id, true).await.unwrap();

        let now = direction.snapshot(&id).await.unwrap();
        // The floor's time left runs down between two snapshots: compare its holder.
        let same = |s: &Snapshot| {
            let mut s = s.clone();
            if let (Some(mine), Some(theirs)) = (&mut s.floor, &now.floor) {
                mine.remaining_ms = theirs.remaining_ms;
            }
            s == now
        };
        follow(&mut outbox, &mut seq, &mut state, same).await;
        assert_eq!(state.floor.as_ref().map(|f| &f.point), Some(&names[1]));

        // Reading the state sends nothing to anybody.
        direction.snapshot(&id).await.unwrap();
        direction.state(&id).await.unwrap();
        tokio::time::sleep(COALESCE * 2).await;
        assert!(drain(&mut outbox).await.is_empty());
    }

    #[tokio::test]
    async fn floor_time_running_out_is_told_without_a_tick() {
        let (server, id, names) = briefing(1).await;
        let direction = &server.state.live.direction;
        direction.join(&id, &names[0]).await.unwrap();
        let mut outbox = observe(&server, &id);
        let (mut seq, mut state) = snapshot_of(direction.state(&id).await.unwrap());
        let name = names[0].clone();
        direction
            .act(&id, move |core, now| core.grant_floor(&name, Some(1), now))
            .await
            .unwrap();
        follow(&mut outbox, &mut seq, &mut state, |s| s.floor.is_some()).await;
        // Nothing but the core's deadline ends it.
        follow(&mut outbox, &mut seq, &mut state, |s| s.floor.is_none()).await;
        assert!(direction.snapshot(&id).await.unwrap().floor.is_none());
    }

    #[tokio::test]
    async fn an_unknown_briefing_is_refused_and_starts_no_task() {
        let server = TestServer::new().await;
        let direction = &server.state.live.direction;
        let id = BriefingId("no-such-briefing".into());
        assert!(matches!(
            direction.join(&id, "X").await,
            Err(DirectionError::UnknownBriefing)
        ));
        assert!(direction.lock().is_empty());
    }
}
