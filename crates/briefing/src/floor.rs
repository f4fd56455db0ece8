//! The floor: who is heard, and for how long.

use std::time::{Duration, Instant};

use crate::briefing::HOST;
use crate::{
    Briefing, BriefingError, BriefingEvent, FloorEndReason, FloorMode, Now, PresentationEndReason,
};

/// The longest time limit the host may give with the floor: one hour.
pub const MAX_FLOOR_SECONDS: i64 = 3600;

/// The bridge point holding the floor.
#[derive(Debug, Clone)]
pub(crate) struct Floor {
    pub(crate) point: usize,
    /// When the time limit runs out; `None` without a limit.
    pub(crate) deadline: Option<Instant>,
}

impl Briefing {
    /// The floor mode.
    pub fn mode(&self) -> FloorMode {
        self.mode
    }

    /// Sets the floor mode. The floor holder keeps the floor (and its time runs on): it is
    /// heard again as soon as the briefing is back in [`FloorMode::Directed`].
    pub fn set_mode(&mut self, mode: FloorMode) {
        self.mode = mode;
    }

    /// Gives a bridge point the floor, optionally for `seconds` (1 to [`MAX_FLOOR_SECONDS`]).
    /// Its hand is lowered; the previous holder's floor ends ([`FloorEndReason::Replaced`]),
    /// also when it is the same point, which so gets a fresh time limit.
    pub fn grant_floor(
        &mut self,
        name: &str,
        seconds: Option<i64>,
        now: Now,
    ) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if i == HOST {
            return Err(BriefingError::Invalid(format!(
                "\"{name}\" is the host and always has the floor"
            )));
        }
        if !self.points[i].online {
            return Err(BriefingError::NotConnected(name.to_owned()));
        }
        let seconds = match seconds {
            None => None,
            Some(s) => Some(
                u32::try_from(s)
                    .ok()
                    .filter(|s| (1..=MAX_FLOOR_SECONDS).contains(&i64::from(*s)))
                    .ok_or(BriefingError::InvalidDuration(s))?,
            ),
        };
        self.end_floor(FloorEndReason::Replaced, now);
        self.hands.retain(|h| h.point != i);
        // Giving the floor means hearing the point: a mute by the host is lifted.
        self.points[i].muted_by_host = false;
        self.floor = Some(Floor {
            point: i,
            // Cannot overflow for an hour from any real clock; without a deadline the floor
            // would merely last until revoked.
            deadline: seconds
                .and_then(|s| now.instant.checked_add(Duration::from_secs(u64::from(s)))),
        });
        self.events.push(BriefingEvent::FloorGranted {
            point: name.to_owned(),
            at_unix_ms: now.unix_ms,
            seconds,
        });
        Ok(())
    }

    /// Takes the floor back to the host. Returns who held it.
    pub fn revoke_floor(&mut self, now: Now) -> Option<String> {
        self.end_floor(FloorEndReason::Revoked, now)
    }

    /// Ends a floor whose time limit has run out. Returns whether the state changed; the shell
    /// calls it when [`Briefing::poll_timeout`] is due, and calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Now) -> bool {
        let due = self
            .floor
            .as_ref()
            .and_then(|f| f.deadline)
            .is_some_and(|deadline| now.instant >= deadline);
        if due {
            self.end_floor(FloorEndReason::Expired, now);
        }
        due
    }

    /// When [`Briefing::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.floor.as_ref().and_then(|f| f.deadline)
    }

    /// The bridge point holding the floor, if any. The host is heard regardless.
    pub fn floor_holder(&self) -> Option<&str> {
        self.floor
            .as_ref()
            .map(|f| self.points[f.point].name.as_str())
    }

    /// Whether the SFU forwards this point's audio: the point is online, and it is the host,
    /// or the briefing is open, or it is directed and the point holds the floor. In a
    /// presentation only the host is heard. False for unknown names.
    pub fn may_send_audio(&self, name: &str) -> bool {
        self.index(name).is_ok_and(|i| self.may_speak(i))
    }

    pub(crate) fn may_speak(&self, i: usize) -> bool {
        let point = &self.points[i];
        if !point.online || point.removed {
            return false;
        }
        if i == HOST {
            return true;
        }
        if point.muted_by_host {
            return false;
        }
        match self.mode {
            FloorMode::Open => true,
            FloorMode::Directed => self.floor.as_ref().is_some_and(|f| f.point == i),
            FloorMode::Presentation => false,
        }
    }

    /// How long the floor holder has left, `None` without a limit.
    pub(crate) fn floor_remaining(&self, now: Now) -> Option<Duration> {
        self.poll_timeout()
            .map(|deadline| deadline.saturating_duration_since(now.instant))
    }

    /// Ends the current floor, if any, and logs why.
    pub(crate) fn end_floor(&mut self, reason: FloorEndReason, now: Now) -> Option<String> {
        let floor = self.floor.take()?;
        if self.presentation == Some(floor.point) {
            self.end_presentation(PresentationEndReason::FloorEnded, now);
        }
        let point = self.points[floor.point].name.clone();
        self.events.push(BriefingEvent::FloorEnded {
            point: point.clone(),
            at_unix_ms: now.unix_ms,
            reason,
        });
        Some(point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CUA_LO, HOST_NAME, Later, NGHI_LOC, VINH, clock, online};

    fn heard(b: &Briefing) -> Vec<&'static str> {
        [HOST_NAME, VINH, NGHI_LOC, CUA_LO]
            .into_iter()
            .filter(|p| b.may_send_audio(p))
            .collect()
    }

    #[test]
    fn directed_mode_hears_the_host_and_the_floor_holder() {
        let mut b = online(&[VINH, NGHI_LOC]);
        assert_eq!(b.mode(), FloorMode::Directed);
        assert_eq!(heard(&b), [HOST_NAME]);
        b.grant_floor(VINH, None, clock()).unwrap();
        assert_eq!(heard(&b), [HOST_NAME, VINH]);
    }

    #[test]
    fn open_mode_hears_every_online_point() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.set_mode(FloorMode::Open);
        assert_eq!(heard(&b), [HOST_NAME, VINH, NGHI_LOC]);
        assert!(!b.may_send_audio(CUA_LO), "offline");
        assert!(!b.may_send_audio("Xã Nghi Phong"), "unknown");
    }

    #[test]
    fn presentation_mode_hears_the_host_only_and_keeps_the_floor() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.grant_floor(VINH, None, clock()).unwrap();
        b.set_mode(FloorMode::Presentation);
        assert_eq!(heard(&b), [HOST_NAME]);
        assert_eq!(b.floor_holder(), Some(VINH));
        b.set_mode(FloorMode::Directed);
        assert_eq!(heard(&b), [HOST_NAME, VINH]);
    }

    #[test]
    fn an_offline_host_is_not_heard() {
        let mut b = online(&[VINH]);
        b.point_left(HOST_NAME, clock());
        assert_eq!(heard(&b), Vec::<&str>::new());
    }

    #[test]
    fn grant_replaces_the_previous_holder() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
        b.grant_floor(VINH, Some(120), t).unwrap();
        b.grant_floor(NGHI_LOC, None, t.after_secs(30)).unwrap();
        assert_eq!(b.floor_holder(), Some(NGHI_LOC));
        assert_eq!(heard(&b), [HOST_NAME, NGHI_LOC]);
        assert_eq!(b.poll_timeout(), None, "the new grant has no limit");
        assert_eq!(
            b.take_events(),
            [
                BriefingEvent::FloorGranted {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms,
                    seconds: Some(120)
                },
                BriefingEvent::FloorEnded {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms + 30_000,
                    reason: FloorEndReason::Replaced
                },
                BriefingEvent::FloorGranted {
                    point: NGHI_LOC.into(),
                    at_unix_ms: t.unix_ms + 30_000,
                    seconds: None
                },
            ]
        );
    }

    #[test]
    fn grant_lowers_the_hand() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.raise_hand(NGHI_LOC, None, clock()).unwrap();
        b.raise_hand(VINH, None, clock()).unwrap();
        b.grant_floor(VINH, None, clock()).unwrap();
        assert_eq!(b.hands().collect::<Vec<_>>(), [NGHI_LOC]);
    }

    #[test]
    fn revoke_returns_the_floor_to_the_host() {
        let mut b = online(&[VINH]);
        let t = clock();
        assert_eq!(b.revoke_floor(t), None);
        b.grant_floor(VINH, Some(60), t).unwrap();
        b.take_events();
        assert_eq!(b.revoke_floor(t.after_secs(5)), Some(VINH.into()));
        assert_eq!(b.floor_holder(), None);
        assert_eq!(b.poll_timeout(), None);
        assert_eq!(heard(&b), [HOST_NAME]);
        assert_eq!(
            b.take_events(),
            [BriefingEvent::FloorEnded {
                point: VINH.into(),
                at_unix_ms: t.unix_ms + 5000,
                reason: FloorEndReason::Revoked
            }]
        );
    }

    #[test]
    fn timed_floor_expires_at_its_deadline_not_before() {
        let mut b = online(&[VINH]);
        let t = clock();
        b.grant_floor(VINH, Some(120), t).unwrap();
        b.take_events();
        assert_eq!(b.poll_timeout(), Some(t.after_secs(120).instant));

        assert!(!b.handle_timeout(t.after_ms(119_999)));
        assert_eq!(b.floor_holder(), Some(VINH));
        assert!(b.take_events().is_empty());

        assert!(b.handle_timeout(t.after_secs(120)));
        assert_eq!(b.floor_holder(), None);
        assert_eq!(b.poll_timeout(), None);
        assert_eq!(
            b.take_events(),
            [BriefingEvent::FloorEnded {
                point: VINH.into(),
                at_unix_ms: t.unix_ms + 120_000,
                reason: FloorEndReason::Expired
            }]
        );
        assert!(
            !b.handle_timeout(t.after_secs(121)),
            "nothing left to expire"
        );
    }

    #[test]
    fn regrant_to_the_holder_renews_its_time() {
        let mut b = online(&[VINH]);
        let t = clock();
        b.grant_floor(VINH, Some(60), t).unwrap();
        b.grant_floor(VINH, Some(60), t.after_secs(50)).unwrap();
        assert!(!b.handle_timeout(t.after_secs(100)));
        assert!(b.handle_timeout(t.after_secs(110)));
    }

    #[test]
    fn holder_leaving_returns_the_floor_to_the_host() {
        let mut b = online(&[VINH]);
        let t = clock();
        b.grant_floor(VINH, Some(60), t).unwrap();
        b.take_events();
        b.point_left(VINH, t.after_secs(3));
        assert_eq!(b.floor_holder(), None);
        assert_eq!(b.poll_timeout(), None);
        assert_eq!(
            b.take_events()[0],
            BriefingEvent::FloorEnded {
                point: VINH.into(),
                at_unix_ms: t.unix_ms + 3000,
                reason: FloorEndReason::Left
            }
        );
        // Coming back does not give the floor back.
        b.point_joined(VINH, t.after_secs(4)).unwrap();
        assert_eq!(b.floor_holder(), None);
        assert!(!b.may_send_audio(VINH));
    }

    #[test]
    fn removing_the_holder_ends_its_floor() {
        let mut b = online(&[VINH]);
        b.grant_floor(VINH, None, clock()).unwrap();
        b.take_events();
        b.remove_point(VINH, clock()).unwrap();
        assert_eq!(b.floor_holder(), None);
        assert!(b.take_events().contains(&BriefingEvent::FloorEnded {
            point: VINH.into(),
            at_unix_ms: clock().unix_ms,
            reason: FloorEndReason::Removed
        }));
    }

    #[test]
    fn grant_refuses_bad_input_and_changes_nothing() {
        let mut b = online(&[VINH]);
        let t = clock();
        assert_eq!(
            b.grant_floor(HOST_NAME, None, t).map_err(|e| e.code()),
            Err("invalid")
        );
        assert_eq!(
            b.grant_floor("Xã Nghi Phong", None, t),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
        assert_eq!(
            b.grant_floor(NGHI_LOC, Some(60), t),
            Err(BriefingError::NotConnected(NGHI_LOC.into()))
        );
        for bad in [0, -5, 3601, 1_000_000, i64::MIN, i64::MAX] {
            assert_eq!(
                b.grant_floor(VINH, Some(bad), t),
                Err(BriefingError::InvalidDuration(bad))
            );
        }
        assert_eq!(b.floor_holder(), None);
        assert!(b.take_events().is_empty());
        assert_eq!(b.grant_floor(VINH, Some(1), t), Ok(()));
        assert_eq!(b.grant_floor(VINH, Some(3600), t), Ok(()));
    }

    #[test]
    fn bad_duration_keeps_the_current_holder() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.grant_floor(VINH, Some(60), clock()).unwrap();
        assert!(b.grant_floor(NGHI_LOC, Some(0), clock()).is_err());
        assert_eq!(b.floor_holder(), Some(VINH));
    }
}
