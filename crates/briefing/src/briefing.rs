//! The briefing's points: who is invited, who is online, who was removed, the lock.
//!
//! The floor, hands, spotlight and roll-call are methods of the same [`Briefing`], each in its
//! own file.

use std::collections::HashMap;
use std::mem;

use giaoban_model::Role;

use crate::floor::Floor;
use crate::hands::Hand;
use crate::roll_call::RollCall;
use crate::{BriefingError, BriefingEvent, FloorEndReason, FloorMode, Now, PresentationEndReason};

/// Index of the host in [`Briefing::points`]; the host is always first.
pub(crate) const HOST: usize = 0;

/// The state of one briefing. See the crate documentation.
///
/// Invariants, kept by every method and checked by the property tests:
/// - the floor holder, if any, is an online bridge point (never the host);
/// - hands belong to online bridge points, at most one each, and never to the floor holder;
/// - the spotlight is the host or an online point.
#[derive(Debug, Clone)]
pub struct Briefing {
    /// The host first, then the bridge points in invitation order. Points are never taken out:
    /// a removed point stays, marked, so it can be refused and still appears in the minutes.
    pub(crate) points: Vec<Point>,
    pub(crate) by_name: HashMap<String, usize>,
    pub(crate) mode: FloorMode,
    pub(crate) floor: Option<Floor>,
    pub(crate) spotlight: Option<usize>,
    /// Requests to speak, oldest first.
    pub(crate) hands: Vec<Hand>,
    pub(crate) locked: bool,
    pub(crate) roll_call: Option<RollCall>,
    /// The point presenting its screen, if any.
    pub(crate) presentation: Option<usize>,
    /// Points may write comments to everybody.
    pub(crate) comments_to_all: bool,
    /// When the recording running now started (Unix ms).
    pub(crate) recording_since_unix_ms: Option<u64>,
    pub(crate) events: Vec<BriefingEvent>,
}

#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) online: bool,
    pub(crate) removed: bool,
    /// Has been connected at some time: a lock does not keep it from coming back after a
    /// dropped connection.
    pub(crate) joined_before: bool,
    /// Its microphone and camera are on, as the point last reported them; on until it says
    /// otherwise (a client joins with both on), kept while it is offline, so that a point
    /// coming back as it left changes nothing but its presence.
    pub(crate) mic: bool,
    pub(crate) camera: bool,
    /// The host muted it: its audio is not forwarded. Kept across reconnects.
    pub(crate) muted_by_host: bool,
}

impl Briefing {
    /// A briefing chaired by `host` with the invited bridge `points`, nobody online yet, in
    /// [`FloorMode::Directed`]. A point named twice, or named like the host, is invited once.
    pub fn new(host: impl Into<String>, points: impl IntoIterator<Item = String>) -> Briefing {
        let host = host.into();
        let mut by_name = HashMap::from([(host.clone(), HOST)]);
        let mut all = vec![Point::new(host, Role::Host)];
        for name in points {
            if !by_name.contains_key(&name) {
                by_name.insert(name.clone(), all.len());
                all.push(Point::new(name, Role::Point));
            }
        }
        Briefing {
            points: all,
            by_name,
            mode: FloorMode::default(),
            floor: None,
            spotlight: None,
            hands: Vec::new(),
            locked: false,
            roll_call: None,
            presentation: None,
            comments_to_all: false,
            recording_since_unix_ms: None,
            events: Vec::new(),
        }
    }

    /// The name of the host.
    pub fn host(&self) -> &str {
        &self.points[HOST].name
    }

    /// A point's signalling connection opened.
    ///
    /// A lock keeps out points that never joined; a point that was connected before may come
    /// back (a reload, a dropped network), and the host always gets in. A removed point never
    /// does.
    pub fn point_joined(&mut self, name: &str, now: Now) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        let point = &self.points[i];
        if point.removed {
            return Err(BriefingError::Removed(name.to_owned()));
        }
        if point.online {
            return Ok(());
        }
        if self.locked && i != HOST && !point.joined_before {
            return Err(BriefingError::Locked);
        }
        self.points[i].online = true;
        self.points[i].joined_before = true;
        self.events.push(BriefingEvent::PointJoined {
            point: name.to_owned(),
            at_unix_ms: now.unix_ms,
        });
        Ok(())
    }

    /// A point's signalling connection closed. Its floor ends, its hand is lowered and the
    /// spotlight on it is cleared. Unknown names and points already offline are ignored: the
    /// shell reports every close, including of connections that never got in.
    pub fn point_left(&mut self, name: &str, now: Now) {
        if let Some(&i) = self.by_name.get(name) {
            self.take_offline(i, FloorEndReason::Left, now);
        }
    }

    /// Removes a bridge point for good: it is taken offline like [`Briefing::point_left`] and
    /// [`Briefing::point_joined`] refuses it from now on. Removing it again changes nothing.
    pub fn remove_point(&mut self, name: &str, now: Now) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if i == HOST {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" is the host and cannot be removed"
            )));
        }
        if self.points[i].removed {
            return Ok(());
        }
        self.take_offline(i, FloorEndReason::Removed, now);
        self.points[i].removed = true;
        self.events.push(BriefingEvent::PointRemoved {
            point: name.to_owned(),
            at_unix_ms: now.unix_ms,
        });
        Ok(())
    }

    /// Notes that the point was connected before this state was built (its connections are
    /// recorded from before a server restart): a lock lets it back in, and a roll-call it does
    /// not answer finds it connected, not absent. Unknown names are ignored.
    pub fn note_connected_before(&mut self, name: &str) {
        if let Some(&i) = self.by_name.get(name) {
            self.points[i].joined_before = true;
        }
    }

    /// Locks the briefing (points that are not connected cannot join) or unlocks it. Points
    /// online stay, and may reconnect.
    pub fn set_locked(&mut self, locked: bool) {
        self.locked = locked;
    }

    /// Whether the briefing is locked.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Whether the point is connected now. False for unknown names.
    pub fn is_online(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|&i| self.points[i].online)
    }

    /// Whether the name is the host or one of the invited points (removed ones included).
    pub fn is_invited(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Whether the host removed the point.
    pub fn is_removed(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|&i| self.points[i].removed)
    }

    /// The role of an invited point, `None` for unknown names.
    pub fn role_of(&self, name: &str) -> Option<Role> {
        self.by_name.get(name).map(|&i| self.points[i].role)
    }

    /// The log since the last call, oldest first. The shell drains it after each change; the
    /// core keeps everything until then.
    pub fn take_events(&mut self) -> Vec<BriefingEvent> {
        mem::take(&mut self.events)
    }

    /// The index of an invited point.
    pub(crate) fn index(&self, name: &str) -> Result<usize, BriefingError> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| BriefingError::UnknownPoint(name.to_owned()))
    }

    /// Ends everything that needs the point to be present. The clean-up runs even for a point
    /// already offline so that removal of an offline point leaves nothing behind.
    fn take_offline(&mut self, i: usize, floor_reason: FloorEndReason, now: Now) {
        if self.presentation == Some(i) {
            self.end_presentation(PresentationEndReason::Left, now);
        }
        if self.floor.as_ref().is_some_and(|f| f.point == i) {
            self.end_floor(floor_reason, now);
        }
        self.hands.retain(|h| h.point != i);
        if self.spotlight == Some(i) {
            self.spotlight = None;
        }
        let point = &mut self.points[i];
        if point.online {
            point.online = false;
            self.events.push(BriefingEvent::PointLeft {
                point: point.name.clone(),
                at_unix_ms: now.unix_ms,
            });
        }
    }
}

impl Point {
    fn new(name: String, role: Role) -> Point {
        Point {
            name,
            role,
            online: false,
            joined_before: false,
            removed: false,
            mic: true,
            camera: true,
            muted_by_host: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{HOST_NAME, Later, NGHI_LOC, VINH, briefing, clock, online};

    #[test]
    fn host_comes_first_and_duplicates_are_invited_once() {
        let b = Briefing::new(
            HOST_NAME,
            [VINH, HOST_NAME, NGHI_LOC, VINH].map(String::from),
        );
        assert_eq!(b.host(), HOST_NAME);
        assert_eq!(b.role_of(HOST_NAME), Some(Role::Host));
        assert_eq!(b.role_of(VINH), Some(Role::Point));
        assert_eq!(b.role_of("UBND huyện Quỳnh Lưu"), None);
        let names: Vec<&str> = b.points.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, [HOST_NAME, VINH, NGHI_LOC]);
    }

    #[test]
    fn join_and_leave_are_logged_once_per_session() {
        let (mut b, t) = (briefing(), clock());
        b.point_joined(VINH, t).unwrap();
        b.point_joined(VINH, t.after_secs(1)).unwrap(); // a reload: same session
        b.point_left(VINH, t.after_secs(2));
        b.point_left(VINH, t.after_secs(3));
        assert_eq!(
            b.take_events(),
            [
                BriefingEvent::PointJoined {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms
                },
                BriefingEvent::PointLeft {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms + 2000
                },
            ]
        );
        assert!(b.take_events().is_empty());
    }

    #[test]
    fn unknown_points_cannot_join() {
        let mut b = briefing();
        assert_eq!(
            b.point_joined("UBND huyện Quỳnh Lưu", clock()),
            Err(BriefingError::UnknownPoint("UBND huyện Quỳnh Lưu".into()))
        );
        b.point_left("UBND huyện Quỳnh Lưu", clock()); // ignored
    }

    #[test]
    fn lock_blocks_new_joins_but_not_reconnects_nor_the_host() {
        let mut b = online(&[VINH]);
        let t = clock();
        b.set_locked(true);
        assert!(b.is_locked());
        assert_eq!(b.point_joined(NGHI_LOC, t), Err(BriefingError::Locked));
        assert!(!b.is_online(NGHI_LOC));
        assert_eq!(
            b.point_joined(VINH, t),
            Ok(()),
            "a reconnect of an online point"
        );
        b.point_left(HOST_NAME, t);
        assert_eq!(
            b.point_joined(HOST_NAME, t),
            Ok(()),
            "the host always gets in"
        );
        b.point_left(VINH, t);
        assert_eq!(
            b.point_joined(VINH, t),
            Ok(()),
            "a point that was in comes back after a dropped connection"
        );
        b.set_locked(false);
        assert_eq!(b.point_joined(NGHI_LOC, t), Ok(()));
    }

    #[test]
    fn removed_point_cannot_rejoin() {
        let mut b = online(&[VINH]);
        let t = clock();
        b.take_events();
        b.remove_point(VINH, t).unwrap();
        assert!(!b.is_online(VINH));
        assert!(b.is_removed(VINH));
        assert!(b.is_invited(VINH), "it stays in the minutes");
        assert_eq!(
            b.point_joined(VINH, t),
            Err(BriefingError::Removed(VINH.into()))
        );
        assert_eq!(
            b.remove_point(VINH, t),
            Ok(()),
            "removing twice is harmless"
        );
        assert_eq!(
            b.take_events(),
            [
                BriefingEvent::PointLeft {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms
                },
                BriefingEvent::PointRemoved {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms
                },
            ]
        );
        // Removal wins over the lock: the point learns it was removed, not that it is locked.
        b.set_locked(true);
        assert_eq!(
            b.point_joined(VINH, t),
            Err(BriefingError::Removed(VINH.into()))
        );
    }

    #[test]
    fn removing_the_host_or_a_stranger_is_refused() {
        let mut b = online(&[]);
        assert_eq!(
            b.remove_point(HOST_NAME, clock()).map_err(|e| e.code()),
            Err("not_allowed")
        );
        assert!(b.is_online(HOST_NAME));
        assert_eq!(
            b.remove_point("Xã Nghi Phong", clock()),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
    }

    #[test]
    fn an_offline_point_can_be_removed() {
        let mut b = briefing();
        b.remove_point(NGHI_LOC, clock()).unwrap();
        assert_eq!(
            b.take_events(),
            [BriefingEvent::PointRemoved {
                point: NGHI_LOC.into(),
                at_unix_ms: clock().unix_ms
            }]
        );
    }
}
