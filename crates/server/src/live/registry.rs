//! Who is connected to which briefing, and the bounded queues to reach them.
//!
//! Each connection has a queue of [`OUTBOUND_QUEUE`] messages. A message that finds the queue
//! full is not queued: the backlog is dropped and the connection is sent a fresh
//! `briefing_state` instead (every message queued by others is state that such a snapshot
//! supersedes: the state itself, presence, quality). If [`OUTBOUND_QUEUE`] more messages find
//! the snapshot still waiting, the connection is closed with `slow_consumer`. Memory per
//! connection therefore never exceeds one full queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use giaoban_model::{BriefingId, ErrorCode, PointId, Role, ServerMsg};
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, error::TrySendError};
use tracing::{debug, warn};

/// Most messages waiting to be written to one connection. A briefing sends a few state
/// messages per second in a busy moment; 256 is a minute of that, or a burst of every point
/// of a large briefing joining at once.
pub const OUTBOUND_QUEUE: usize = 256;

/// What a signalling task takes from its [`Outbox`], in this order of priority.
#[derive(Debug)]
pub enum Outbound {
    /// Send this error and close the connection.
    Close(ErrorCode, String),
    /// The backlog was dropped: send the briefing's current state.
    Resync,
    /// Send this message, serialised once for every recipient.
    Text(Utf8Bytes),
}

/// The receiving end of one connection's queue, owned by its signalling task.
pub struct Outbox {
    rx: mpsc::Receiver<Utf8Bytes>,
    outlet: Arc<Outlet>,
}

impl Outbox {
    /// The next thing to do; `None` once the registry forgot this connection and its queue
    /// is empty.
    pub async fn recv(&mut self) -> Option<Outbound> {
        loop {
            if let Some((code, message)) = self.outlet.take_close() {
                return Some(Outbound::Close(code, message));
            }
            if self.outlet.resync.swap(false, Ordering::AcqRel) {
                // What is queued is older than the snapshot about to be sent.
                while self.rx.try_recv().is_ok() {}
                return Some(Outbound::Resync);
            }
            tokio::select! {
                biased;
                () = self.outlet.wake.notified() => continue,
                text = self.rx.recv() => return text.map(Outbound::Text),
            }
        }
    }

    /// Resolves once the connection is asked to close, without taking the reason.
    pub async fn closing(&self) {
        while !self.outlet.closing.load(Ordering::Acquire) {
            self.outlet.wake.notified().await;
        }
    }

    /// The close asked for, if any, once.
    pub fn take_close(&self) -> Option<(ErrorCode, String)> {
        self.outlet.take_close()
    }

    /// Messages waiting now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.rx.len()
    }
}

/// Counters of the signalling connections, for `/metrics`.
#[derive(Default)]
pub struct SignalStats {
    /// Backlogs dropped and replaced by a snapshot.
    pub resyncs: AtomicU64,
    /// Connections closed with `slow_consumer`.
    pub slow_consumers: AtomicU64,
    /// Client messages over a rate limit, not processed.
    pub rate_limited: AtomicU64,
    /// WebSockets refused with `too_many_connections`.
    pub refused: AtomicU64,
}

/// Connections by briefing and point. One connection per point: the newest wins.
#[derive(Default)]
pub struct Registry {
    next_id: AtomicU64,
    briefings: Mutex<Briefings>,
    /// Open WebSockets, registered or not yet.
    sockets: AtomicUsize,
    /// Open WebSockets per briefing, from the moment `hello` names it.
    sockets_per_briefing: Mutex<HashMap<BriefingId, usize>>,
    pub stats: SignalStats,
}

impl Registry {
    /// A fresh connection id, also used as the media peer id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a new WebSocket unless `max` are open already.
    pub fn open_socket(self: &Arc<Self>, max: usize) -> Option<SocketSlot> {
        let admitted = self
            .sockets
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(SocketSlot {
            registry: self.clone(),
            briefing: None,
        })
    }

    /// Counts `slot` in `briefing` unless `max` WebSockets of it are open already.
    pub fn enter_briefing(&self, slot: &mut SocketSlot, briefing: &BriefingId, max: usize) -> bool {
        let mut counts = lock(&self.sockets_per_briefing);
        let n = counts.entry(briefing.clone()).or_default();
        if *n >= max {
            if *n == 0 {
                counts.remove(briefing);
            }
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        *n += 1;
        slot.briefing = Some(briefing.clone());
        true
    }

    /// Registers `point`'s connection and returns its queue. An older connection of the same
    /// point is told it was replaced.
    pub fn connect(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        name: &str,
        role: Role,
        id: u64,
    ) -> Outbox {
        let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
        let outlet = Arc::new(Outlet {
            tx,
            resync: AtomicBool::new(false),
            skipped: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            close: Mutex::new(None),
            wake: Notify::new(),
        });
        let connection = Connection {
            id,
            name: name.to_string(),
            role,
            outlet: outlet.clone(),
        };
        let old = lock(&self.briefings)
            .entry(briefing.clone())
            .or_default()
            .insert(point.clone(), connection);
        if let Some(old) = old {
            old.outlet.close(
                ErrorCode::Replaced,
                "this point connected again from another window",
            );
        }
        Outbox { rx, outlet }
    }

    /// Unregisters connection `id`, unless a newer one replaced it. Returns whether the point
    /// is now offline.
    pub fn disconnect(&self, briefing: &BriefingId, point: &PointId, id: u64) -> bool {
        let mut briefings = lock(&self.briefings);
        let Some(points) = briefings.get_mut(briefing) else {
            return false;
        };
        if points.get(point).is_some_and(|c| c.id == id) {
            points.remove(point);
            if points.is_empty() {
                briefings.remove(briefing);
            }
            return true;
        }
        false
    }

    /// Names of the points of `briefing` that are connected now.
    #[cfg(test)]
    pub fn online(&self, briefing: &BriefingId) -> Vec<String> {
        lock(&self.briefings)
            .get(briefing)
            .map(|points| points.values().map(|c| c.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Briefings with a connected point.
    pub fn briefings(&self) -> Vec<BriefingId> {
        lock(&self.briefings).keys().cloned().collect()
    }

    /// Sends `msg` to every connected point of `briefing` except `except`.
    pub fn broadcast(&self, briefing: &BriefingId, except: Option<&PointId>, msg: &ServerMsg) {
        let Some(text) = encode(msg) else { return };
        if let Some(points) = lock(&self.briefings).get(briefing) {
            for (point, conn) in points {
                if Some(point) != except {
                    self.deliver(conn, text.clone());
                }
            }
        }
    }

    /// Closes the connection of `point`, e.g. after its link was revoked.
    pub fn kick(&self, briefing: &BriefingId, point: &PointId, code: ErrorCode, message: &str) {
        if let Some(conn) = lock(&self.briefings)
            .get(briefing)
            .and_then(|p| p.get(point))
        {
            conn.outlet.close(code, message);
        }
    }

    /// Sends `msg` to the connected points of `briefing` that have `role`.
    pub fn send_to_role(&self, briefing: &BriefingId, role: Role, msg: &ServerMsg) {
        let Some(text) = encode(msg) else { return };
        if let Some(points) = lock(&self.briefings).get(briefing) {
            for conn in points.values().filter(|c| c.role == role) {
                self.deliver(conn, text.clone());
            }
        }
    }

    /// Sends `msg` to the point called `name`; false if it is not connected.
    pub fn send_to_name(&self, briefing: &BriefingId, name: &str, msg: &ServerMsg) -> bool {
        let Some(text) = encode(msg) else {
            return false;
        };
        let briefings = lock(&self.briefings);
        let Some(conn) = briefings
            .get(briefing)
            .and_then(|points| points.values().find(|c| c.name == name))
        else {
            return false;
        };
        self.deliver(conn, text);
        true
    }

    /// The role of the connected point called `name`; `None` when it is not connected.
    pub fn role_of_name(&self, briefing: &BriefingId, name: &str) -> Option<Role> {
        lock(&self.briefings)
            .get(briefing)
            .and_then(|points| points.values().find(|c| c.name == name))
            .map(|c| c.role)
    }

    /// Closes the connection of the point called `name`.
    pub fn kick_name(&self, briefing: &BriefingId, name: &str, code: ErrorCode, message: &str) {
        if let Some(conn) = lock(&self.briefings)
            .get(briefing)
            .and_then(|points| points.values().find(|c| c.name == name))
        {
            conn.outlet.close(code, message);
        }
    }

    /// Number of connected points over all briefings.
    pub fn connected(&self) -> usize {
        lock(&self.briefings).values().map(|p| p.len()).sum()
    }

    /// Queues `text` for `conn`, or drops the backlog, or closes the connection: see the
    /// module documentation. Never waits.
    fn deliver(&self, conn: &Connection, text: Utf8Bytes) {
        let outlet = &conn.outlet;
        if outlet.resync.load(Ordering::Acquire) {
            // The snapshot still waiting will carry this message's news too.
            if outlet.skipped.fetch_add(1, Ordering::AcqRel) + 1 >= OUTBOUND_QUEUE
                && outlet.close(
                    ErrorCode::SlowConsumer,
                    "this connection did not keep up with the briefing; reconnect",
                )
            {
                warn!(conn = conn.id, point = %conn.name, "slow consumer disconnected");
                self.stats.slow_consumers.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        match outlet.tx.try_send(text) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(_)) => {
                debug!(conn = conn.id, point = %conn.name, "backlog dropped for a snapshot");
                outlet.skipped.store(0, Ordering::Release);
                outlet.resync.store(true, Ordering::Release);
                outlet.wake.notify_one();
                self.stats.resyncs.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// An open WebSocket, counted until dropped.
pub struct SocketSlot {
    registry: Arc<Registry>,
    briefing: Option<BriefingId>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.registry.sockets.fetch_sub(1, Ordering::AcqRel);
        if let Some(briefing) = self.briefing.take() {
            let mut counts = lock(&self.registry.sockets_per_briefing);
            if let Some(n) = counts.get_mut(&briefing) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&briefing);
                }
            }
        }
    }
}

struct Connection {
    id: u64,
    name: String,
    role: Role,
    outlet: Arc<Outlet>,
}

/// The side of a connection's queue that others write to.
struct Outlet {
    tx: mpsc::Sender<Utf8Bytes>,
    /// The backlog was dropped; the signalling task sends a snapshot next.
    resync: AtomicBool,
    /// Messages not queued since `resync` was set.
    skipped: AtomicUsize,
    /// Whether the connection was asked to close; the first reason wins.
    closing: AtomicBool,
    /// Why, until the signalling task takes it.
    close: Mutex<Option<(ErrorCode, String)>>,
    wake: Notify,
}

impl Outlet {
    /// Asks the signalling task to close; false if it was asked already.
    fn close(&self, code: ErrorCode, message: &str) -> bool {
        if self.closing.swap(true, Ordering::AcqRel) {
            return false;
        }
        *lock(&self.close) = Some((code, message.to_string()));
        self.wake.notify_one();
        true
    }

    /// The close asked for, once.
    fn take_close(&self) -> Option<(ErrorCode, String)> {
        lock(&self.close).take()
    }
}

/// Connected points of each briefing.
type Briefings = HashMap<BriefingId, HashMap<PointId, Connection>>;

fn encode(msg: &ServerMsg) -> Option<Utf8Bytes> {
    match serde_json::to_string(msg) {
        Ok(text) => Some(text.into()),
        Err(e) => {
            warn!("cannot serialise a message: {e}");
            None
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn briefing() -> BriefingId {
        BriefingId("b".into())
    }

    fn presence(i: usize) -> ServerMsg {
        ServerMsg::StateDelta {
            seq: i as u64,
            delta: giaoban_model::StateDelta {
                points: vec![giaoban_model::PointSnapshot {
                    name: format!("P{i}"),
                    role: Role::Point,
                    online: true,
                    may_speak: false,
                    mic: false,
                    camera: false,
                    muted_by_host: false,
                }],
                ..Default::default()
            },
        }
    }

    /// A registry with a point that reads and one that does not.
    fn two_points() -> (Registry, Outbox, Outbox) {
        let registry = Registry::default();
        let reader = registry.connect(&briefing(), &PointId("r".into()), "R", Role::Host, 1);
        let idle = registry.connect(&briefing(), &PointId("i".into()), "I", Role::Point, 2);
        (registry, reader, idle)
    }

    async fn drain(outbox: &mut Outbox) {
        while outbox.len() > 0 {
            outbox.recv().await;
        }
    }

    #[tokio::test]
    async fn a_full_queue_is_dropped_for_a_snapshot() {
        let (registry, mut reader, mut idle) = two_points();

        for i in 0..OUTBOUND_QUEUE + 10 {
            registry.broadcast(&briefing(), None, &presence(i));
            drain(&mut reader).await;
        }

        assert_eq!(idle.len(), OUTBOUND_QUEUE, "the queue stays at its bound");
        assert_eq!(registry.stats.resyncs.load(Ordering::Relaxed), 1);
        assert!(matches!(idle.recv().await, Some(Outbound::Resync)));
        assert_eq!(idle.len(), 0, "the backlog is dropped");
        registry.broadcast(&briefing(), None, &presence(0));
        assert!(matches!(idle.recv().await, Some(Outbound::Text(_))));
        assert_eq!(registry.stats.slow_consumers.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_point_that_still_does_not_read_is_closed_as_a_slow_consumer() {
        let (registry, mut reader, mut idle) = two_points();

        for i in 0..3 * OUTBOUND_QUEUE {
            registry.broadcast(&briefing(), None, &presence(i));
            drain(&mut reader).await;
            assert!(idle.len() <= OUTBOUND_QUEUE);
        }

        assert_eq!(registry.stats.slow_consumers.load(Ordering::Relaxed), 1);
        assert!(matches!(
            idle.recv().await,
            Some(Outbound::Close(ErrorCode::SlowConsumer, _))
        ));
        assert_eq!(
            registry.stats.resyncs.load(Ordering::Relaxed),
            1,
            "the reader was never resynchronised"
        );
        assert!(reader.take_close().is_none());
    }

    #[tokio::test]
    async fn a_kick_overtakes_queued_messages() {
        let (registry, _reader, mut idle) = two_points();
        registry.broadcast(&briefing(), None, &presence(1));

        registry.kick(
            &briefing(),
            &PointId("i".into()),
            ErrorCode::RevokedToken,
            "revoked",
        );

        assert!(matches!(
            idle.recv().await,
            Some(Outbound::Close(ErrorCode::RevokedToken, _))
        ));
        tokio::time::timeout(std::time::Duration::from_secs(1), idle.closing())
            .await
            .expect("closing resolves once asked");
    }

    #[test]
    fn sockets_are_counted_per_node_and_per_briefing_until_dropped() {
        let registry = Arc::new(Registry::default());
        let other = BriefingId("other".into());

        let mut a = registry.open_socket(3).unwrap();
        let mut b = registry.open_socket(3).unwrap();
        let mut c = registry.open_socket(3).unwrap();
        assert!(registry.open_socket(3).is_none(), "the node is full");
        assert!(registry.enter_briefing(&mut a, &briefing(), 2));
        assert!(registry.enter_briefing(&mut b, &briefing(), 2));
        assert!(
            !registry.enter_briefing(&mut c, &briefing(), 2),
            "the briefing is full"
        );
        assert!(
            registry.enter_briefing(&mut c, &other, 2),
            "another briefing is not"
        );
        drop(a);

        let mut d = registry.open_socket(3).unwrap();
        assert!(registry.enter_briefing(&mut d, &briefing(), 2));
        assert_eq!(registry.stats.refused.load(Ordering::Relaxed), 2);
    }
}
