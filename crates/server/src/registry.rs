//! Who is connected to which briefing, and the channels to reach them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use giaoban_model::{BriefingId, ErrorCode, PointId, Role, ServerMsg};
use tokio::sync::mpsc::UnboundedSender;

/// What a signalling task is asked to do by others.
#[derive(Debug)]
pub enum Outbound {
    /// Send this message.
    Send(ServerMsg),
    /// Send this error and close the connection.
    Close(ErrorCode, String),
}

struct Connection {
    id: u64,
    name: String,
    role: Role,
    tx: UnboundedSender<Outbound>,
}

/// Connected points of each briefing.
type Briefings = HashMap<BriefingId, HashMap<PointId, Connection>>;

/// Connections by briefing and point. One connection per point: the newest wins.
#[derive(Default)]
pub struct Registry {
    next_id: AtomicU64,
    briefings: Mutex<Briefings>,
}

impl Registry {
    /// A fresh connection id, also used as the media peer id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers `point`'s connection. An older connection of the same point is told it was
    /// replaced. Returns whether the point was offline before.
    pub fn connect(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        name: &str,
        role: Role,
        id: u64,
        tx: UnboundedSender<Outbound>,
    ) -> bool {
        let mut briefings = self.lock();
        let points = briefings.entry(briefing.clone()).or_default();
        let connection = Connection {
            id,
            name: name.to_string(),
            role,
            tx,
        };
        let old = points.insert(point.clone(), connection);
        match old {
            Some(old) => {
                let _ = old.tx.send(Outbound::Close(
                    ErrorCode::Replaced,
                    "this point connected again from another window".into(),
                ));
                false
            }
            None => true,
        }
    }

    /// Unregisters connection `id`, unless a newer one replaced it. Returns whether the point
    /// is now offline.
    pub fn disconnect(&self, briefing: &BriefingId, point: &PointId, id: u64) -> bool {
        let mut briefings = self.lock();
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
    pub fn online(&self, briefing: &BriefingId) -> Vec<String> {
        self.lock()
            .get(briefing)
            .map(|points| points.values().map(|c| c.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Sends `msg` to every connected point of `briefing` except `except`.
    pub fn broadcast(&self, briefing: &BriefingId, except: Option<&PointId>, msg: &ServerMsg) {
        if let Some(points) = self.lock().get(briefing) {
            for (point, conn) in points {
                if Some(point) != except {
                    let _ = conn.tx.send(Outbound::Send(msg.clone()));
                }
            }
        }
    }

    /// Closes the connection of `point`, e.g. after its link was revoked.
    pub fn kick(&self, briefing: &BriefingId, point: &PointId, code: ErrorCode, message: &str) {
        if let Some(conn) = self.lock().get(briefing).and_then(|p| p.get(point)) {
            let _ = conn.tx.send(Outbound::Close(code, message.to_string()));
        }
    }

    /// Sends `msg` to the connected points of `briefing` that have `role`.
    pub fn send_to_role(&self, briefing: &BriefingId, role: Role, msg: &ServerMsg) {
        if let Some(points) = self.lock().get(briefing) {
            for conn in points.values().filter(|c| c.role == role) {
                let _ = conn.tx.send(Outbound::Send(msg.clone()));
            }
        }
    }

    /// Sends `msg` to the point called `name`; false if it is not connected.
    pub fn send_to_name(&self, briefing: &BriefingId, name: &str, msg: &ServerMsg) -> bool {
        self.lock()
            .get(briefing)
            .and_then(|points| points.values().find(|c| c.name == name))
            .is_some_and(|conn| conn.tx.send(Outbound::Send(msg.clone())).is_ok())
    }

    /// Closes the connection of the point called `name`.
    pub fn kick_name(&self, briefing: &BriefingId, name: &str, code: ErrorCode, message: &str) {
        if let Some(conn) = self
            .lock()
            .get(briefing)
            .and_then(|points| points.values().find(|c| c.name == name))
        {
            let _ = conn.tx.send(Outbound::Close(code, message.to_string()));
        }
    }

    /// Number of connected points over all briefings.
    pub fn connected(&self) -> usize {
        self.lock().values().map(|p| p.len()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Briefings> {
        self.briefings.lock().unwrap_or_else(|e| e.into_inner())
    }
}
