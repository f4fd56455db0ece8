//! The briefing logic in the server: one sans-IO [`Briefing`] per active briefing, and what
//! follows each change — the SFU's forwarding policy, the state sent to every point, the
//! records kept in the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use giaoban_briefing::{Briefing, BriefingError, BriefingEvent, Now, RollCallAnswer};
use giaoban_media::RoomPolicy;
use giaoban_model::{BriefingId, PointId, QualityInfo, Role, ServerMsg};
use giaoban_store::{QualitySummary, RollCallRecord, Store, StoreError};
use tracing::{debug, warn};

use super::registry::Registry;
use crate::clock::{now, unix_ms};
use crate::media_io::media_loop::MediaHandle;

/// How often floor time limits are checked.
const TICK: Duration = Duration::from_millis(200);
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

struct Hub {
    core: Briefing,
    ids: HashMap<String, PointId>,
    /// Store row of the floor grant in progress.
    floor_record: Option<(String, i64)>,
    /// Running sums of RTT and loss per point, for the attendance quality summary.
    quality: HashMap<String, (f64, f64, u32)>,
}

pub struct Direction {
    store: Arc<Store>,
    media: MediaHandle,
    registry: Arc<Registry>,
    hubs: Mutex<HashMap<BriefingId, Hub>>,
}

/// Who hears of a change of a briefing's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tell {
    Everyone,
    Nobody,
}

impl Direction {
    pub fn new(store: Arc<Store>, media: MediaHandle, registry: Arc<Registry>) -> Arc<Direction> {
        Arc::new(Direction {
            store,
            media,
            registry,
            hubs: Mutex::new(HashMap::new()),
        })
    }

    /// Starts the timers: floor limits and quality reports.
    pub fn spawn_tasks(self: &Arc<Self>) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            loop {
                tick.tick().await;
                this.handle_timeouts();
            }
        });
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(QUALITY_INTERVAL);
            loop {
                tick.tick().await;
                this.report_quality().await;
            }
        });
    }

    /// Runs `f` on the briefing's state, then applies what changed. Loads the briefing from
    /// the store on first use.
    pub fn act<R>(
        &self,
        id: &BriefingId,
        f: impl FnOnce(&mut Briefing, Now) -> Result<R, BriefingError>,
    ) -> Result<R, DirectionError> {
        self.act_telling(id, Tell::Everyone, f)
    }

    /// [`Direction::act`], saying who hears of the change: everyone gets the new state, or
    /// nobody when the caller sends a smaller message itself (a presence change).
    fn act_telling<R>(
        &self,
        id: &BriefingId,
        tell: Tell,
        f: impl FnOnce(&mut Briefing, Now) -> Result<R, BriefingError>,
    ) -> Result<R, DirectionError> {
        let mut hubs = self.lock();
        if !hubs.contains_key(id) {
            let hub = self.load(id)?;
            hubs.insert(id.clone(), hub);
        }
        let hub = hubs.get_mut(id).ok_or(DirectionError::UnknownBriefing)?;
        let now = now();
        let result = f(&mut hub.core, now);
        self.after_change(id, hub, now, tell);
        Ok(result?)
    }

    /// Reads the briefing's state, loading it on first use; tells nobody (a read changes
    /// nothing).
    fn read<R>(
        &self,
        id: &BriefingId,
        f: impl FnOnce(&Briefing, Now) -> R,
    ) -> Result<R, DirectionError> {
        let mut hubs = self.lock();
        if !hubs.contains_key(id) {
            let hub = self.load(id)?;
            hubs.insert(id.clone(), hub);
        }
        let hub = hubs.get(id).ok_or(DirectionError::UnknownBriefing)?;
        Ok(f(&hub.core, now()))
    }

    /// The state message for `id`, for one point (that joins): nobody else is told.
    pub fn state(&self, id: &BriefingId) -> Result<ServerMsg, DirectionError> {
        self.read(id, state_msg)
    }

    /// The state message for `id` if the briefing is loaded, without telling anyone else: for
    /// one connection whose backlog was dropped.
    pub fn current_state(&self, id: &BriefingId) -> Option<ServerMsg> {
        self.lock().get(id).map(|hub| state_msg(&hub.core, now()))
    }

    /// The state as JSON (the `state` object of `briefing_state`).
    pub fn state_json(&self, id: &BriefingId) -> Result<serde_json::Value, DirectionError> {
        self.read(id, |core, now| {
            serde_json::to_value(core.snapshot(now)).unwrap_or_default()
        })
    }

    /// Point `name` connected (again). Only its presence changes: the caller tells the others
    /// with a `presence` message, not the whole state (which would make a join storm of N
    /// points cost N² state messages).
    pub fn join(&self, id: &BriefingId, name: &str) -> Result<(), DirectionError> {
        self.act_telling(id, Tell::Nobody, |core, now| core.point_joined(name, now))
    }

    /// Point `name` disconnected. Returns its quality summary for the attendance record.
    pub fn leave(&self, id: &BriefingId, name: &str) -> Option<QualitySummary> {
        let mut summary = None;
        let _ = self.act(id, |core, now| {
            core.point_left(name, now);
            Ok(())
        });
        if let Some(hub) = self.lock().get_mut(id)
            && let Some((rtt, loss, n)) = hub.quality.remove(name)
            && n > 0
        {
            summary = Some(QualitySummary {
                avg_rtt_ms: rtt / f64::from(n),
                avg_loss: loss / f64::from(n),
            });
        }
        summary
    }

    /// The host removes `name`: disconnected, link revoked for good.
    pub fn remove(&self, id: &BriefingId, name: &str) -> Result<(), DirectionError> {
        self.act(id, |core, now| core.remove_point(name, now))?;
        self.store.revoke_point(id, name)?;
        self.registry.kick_name(
            id,
            name,
            giaoban_model::ErrorCode::Removed,
            "the host removed this point from the briefing",
        );
        Ok(())
    }

    /// Locks or unlocks the briefing.
    pub fn set_locked(&self, id: &BriefingId, locked: bool) -> Result<(), DirectionError> {
        self.store.set_locked(id, locked)?;
        self.act(id, |core, _| {
            core.set_locked(locked);
            Ok(())
        })
    }

    /// Starts a roll-call; previous answers are cleared.
    pub fn start_roll_call(&self, id: &BriefingId) -> Result<(), DirectionError> {
        self.store.clear_roll_call(id)?;
        self.act(id, |core, now| {
            core.start_roll_call(now);
            Ok(())
        })
    }

    /// Ends the roll-call; points without an answer are recorded absent.
    pub fn end_roll_call(&self, id: &BriefingId) -> Result<(), DirectionError> {
        let answers = self.act(id, |core, now| Ok(core.end_roll_call(now)))?;
        let hubs = self.lock();
        let Some(hub) = hubs.get(id) else {
            return Ok(());
        };
        let at = unix_ms();
        for (name, answer) in answers {
            if let Some(point) = hub.ids.get(&name) {
                self.store
                    .record_roll_call(id, point, &record_of(&answer), at)?;
            }
        }
        Ok(())
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
        let now = now();
        for p in points.iter().filter(|p| p.revoked && p.role != Role::Host) {
            let _ = core.remove_point(&p.name, now);
        }
        let _ = core.take_events();
        Ok(Hub {
            core,
            ids: points.into_iter().map(|p| (p.name, p.id)).collect(),
            floor_record: None,
            quality: HashMap::new(),
        })
    }

    /// Applies a change: records events, updates forwarding, tells the points.
    fn after_change(&self, id: &BriefingId, hub: &mut Hub, now: Now, tell: Tell) {
        for event in hub.core.take_events() {
            if let Err(e) = self.record(id, hub, event) {
                warn!(briefing = %id, "cannot record a briefing event: {e}");
            }
        }
        let speakers = hub
            .ids
            .keys()
            .filter(|name| hub.core.may_send_audio(name))
            .cloned()
            .collect();
        let policy = RoomPolicy {
            speakers: Some(speakers),
            stage: hub.core.stage(),
        };
        self.media.set_policy(id.clone(), policy);
        if tell == Tell::Everyone {
            self.registry
                .broadcast(id, None, &state_msg(&hub.core, now));
        }
    }

    fn record(
        &self,
        id: &BriefingId,
        hub: &mut Hub,
        event: BriefingEvent,
    ) -> Result<(), StoreError> {
        match event {
            BriefingEvent::FloorGranted {
                point,
                at_unix_ms,
                seconds,
            } => {
                if let Some(pid) = hub.ids.get(&point) {
                    let row = self
                        .store
                        .record_floor_start(id, pid, at_unix_ms, seconds)?;
                    hub.floor_record = Some((point, row));
                }
            }
            BriefingEvent::FloorEnded {
                point,
                at_unix_ms,
                reason,
            } => {
                if let Some((holder, row)) = hub.floor_record.take() {
                    if holder == point {
                        let reason = format!("{reason:?}").to_lowercase();
                        self.store.record_floor_end(row, at_unix_ms, &reason)?;
                    } else {
                        hub.floor_record = Some((holder, row));
                    }
                }
            }
            BriefingEvent::RollCallAnswered {
                point,
                answer,
                at_unix_ms,
            } => {
                if let Some(pid) = hub.ids.get(&point) {
                    self.store
                        .record_roll_call(id, pid, &record_of(&answer), at_unix_ms)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn handle_timeouts(&self) {
        let mut hubs = self.lock();
        let now = now();
        for (id, hub) in hubs.iter_mut() {
            if hub.core.poll_timeout().is_some_and(|t| t <= now.instant)
                && hub.core.handle_timeout(now)
            {
                debug!(briefing = %id, "floor time is up");
                self.after_change(id, hub, now, Tell::Everyone);
            }
        }
    }

    async fn report_quality(&self) {
        let quality = self.media.quality().await;
        if quality.is_empty() {
            return;
        }
        let mut by_room: HashMap<BriefingId, Vec<QualityInfo>> = HashMap::new();
        {
            let mut hubs = self.lock();
            for q in &quality {
                if let Some(hub) = hubs.get_mut(&q.room)
                    && let (Some(rtt), Some(loss)) = (q.rtt_ms, q.loss)
                {
                    let entry = hub.quality.entry(q.label.clone()).or_default();
                    entry.0 += rtt;
                    entry.1 += loss;
                    entry.2 += 1;
                }
                by_room
                    .entry(q.room.clone())
                    .or_default()
                    .push(QualityInfo {
                        point: q.label.clone(),
                        rtt_ms: q.rtt_ms,
                        loss: q.loss,
                        kbps_in: q.kbps_in,
                        kbps_out: q.kbps_out,
                    });
            }
        }
        for (room, points) in by_room {
            self.registry
                .send_to_role(&room, Role::Host, &ServerMsg::Quality { points });
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<BriefingId, Hub>> {
        self.hubs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn state_msg(core: &Briefing, now: Now) -> ServerMsg {
    ServerMsg::BriefingState {
        state: serde_json::to_value(core.snapshot(now)).unwrap_or_default(),
    }
}

fn record_of(answer: &RollCallAnswer) -> RollCallRecord {
    match answer {
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
    }
}
