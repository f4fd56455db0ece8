//! What the live room shows of each point besides the floor: its microphone and camera, the
//! host's mute, and the one presentation (a shared screen) at a time.

use crate::briefing::HOST;
use crate::{Briefing, BriefingError, BriefingEvent, Now, PresentationEndReason};

impl Briefing {
    /// The point's own report of its devices: whether its microphone and camera are on. Only
    /// shown to others; forwarding does not depend on it. Kept while the point is offline.
    /// Unknown names are ignored.
    pub fn set_devices(&mut self, name: &str, mic: bool, camera: bool) {
        if let Some(&i) = self.by_name.get(name) {
            let point = &mut self.points[i];
            point.mic = mic;
            point.camera = camera;
        }
    }

    /// The host mutes a bridge point (`muted: true`), in any floor mode: its audio is no longer
    /// forwarded until the host lifts the mute ([`Briefing::ask_unmute`], or muting with
    /// `false`) or gives it the floor.
    pub fn set_muted_by_host(&mut self, name: &str, muted: bool) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if i == HOST {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" is the host and cannot be muted"
            )));
        }
        self.points[i].muted_by_host = muted;
        Ok(())
    }

    /// The host asks a point to switch its microphone on: a mute by the host is lifted. The
    /// point must be online.
    pub fn ask_unmute(&mut self, name: &str) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if !self.points[i].online {
            return Err(BriefingError::NotConnected(name.to_owned()));
        }
        self.points[i].muted_by_host = false;
        Ok(())
    }

    /// Whether the host muted the point. False for unknown names.
    pub fn is_muted_by_host(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|&i| self.points[i].muted_by_host)
    }

    /// The point starts presenting its screen. The host may always present; a bridge point
    /// only while it holds the floor. One presentation at a time: while another point
    /// presents, this is refused; presenting again is harmless.
    pub fn start_presentation(&mut self, name: &str, now: Now) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if !self.points[i].online {
            return Err(BriefingError::NotConnected(name.to_owned()));
        }
        match self.presentation {
            Some(p) if p == i => return Ok(()),
            Some(p) => {
                return Err(BriefingError::NotAllowed(format!(
                    "\"{}\" is presenting: one presentation at a time",
                    self.points[p].name
                )));
            }
            None => {}
        }
        let holds_floor = self.floor.as_ref().is_some_and(|f| f.point == i);
        if i != HOST && !holds_floor {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" may present only while it holds the floor"
            )));
        }
        self.presentation = Some(i);
        self.events.push(BriefingEvent::PresentationStarted {
            point: name.to_owned(),
            at_unix_ms: now.unix_ms,
        });
        Ok(())
    }

    /// The presenter stops presenting. Returns whether a presentation of `name` ended.
    pub fn stop_presentation(&mut self, name: &str, now: Now) -> bool {
        let presenting = self
            .presentation
            .is_some_and(|p| self.points[p].name == name);
        if presenting {
            self.end_presentation(PresentationEndReason::Stopped, now);
        }
        presenting
    }

    /// The host stops whatever presentation runs. Returns who presented.
    pub fn stop_presentation_by_host(&mut self, now: Now) -> Option<String> {
        self.end_presentation(PresentationEndReason::StoppedByHost, now)
    }

    /// Lets points write comments to everybody (`true`), or only to the host.
    pub fn set_comments_to_all(&mut self, allowed: bool) {
        self.comments_to_all = allowed;
    }

    /// Whether points may write comments to everybody.
    pub fn comments_to_all(&self) -> bool {
        self.comments_to_all
    }

    /// Says that the briefing is being recorded since `since_unix_ms`, or (`None`) that it is
    /// not. Every point's state shows it.
    pub fn set_recording(&mut self, since_unix_ms: Option<u64>) {
        self.recording_since_unix_ms = since_unix_ms;
    }

    /// When the recording running now started.
    pub fn recording_since(&self) -> Option<u64> {
        self.recording_since_unix_ms
    }

    /// The point presenting now, if any.
    pub fn presenter(&self) -> Option<&str> {
        self.presentation.map(|i| self.points[i].name.as_str())
    }

    /// Ends the presentation, if any, and logs why.
    pub(crate) fn end_presentation(
        &mut self,
        reason: PresentationEndReason,
        now: Now,
    ) -> Option<String> {
        let i = self.presentation.take()?;
        let point = self.points[i].name.clone();
        self.events.push(BriefingEvent::PresentationEnded {
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
    use crate::FloorMode;
    use crate::testing::{HOST_NAME, Later, NGHI_LOC, VINH, clock, online};

    #[test]
    fn a_point_back_as_it_left_changes_only_its_presence() {
        let mut b = online(&[VINH]);
        let before = b.snapshot(clock());
        b.set_devices(VINH, true, true); // what every client reports after joining
        b.point_left(VINH, clock());
        b.point_joined(VINH, clock()).unwrap();
        b.set_devices(VINH, true, true);
        assert_eq!(b.snapshot(clock()), before);
        b.set_devices(VINH, false, true);
        b.point_left(VINH, clock());
        let offline = b.snapshot(clock());
        let vinh = offline.points.iter().find(|p| p.name == VINH).unwrap();
        assert!(
            !vinh.online && !vinh.mic,
            "the last report is kept while offline"
        );
    }

    #[test]
    fn a_host_mute_silences_a_point_in_open_mode_until_lifted() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.set_mode(FloorMode::Open);
        assert!(b.may_send_audio(VINH));
        b.set_muted_by_host(VINH, true).unwrap();
        assert!(!b.may_send_audio(VINH));
        assert!(b.may_send_audio(NGHI_LOC), "only the muted point is silent");
        assert!(b.is_muted_by_host(VINH));
        b.ask_unmute(VINH).unwrap();
        assert!(b.may_send_audio(VINH));
        assert!(!b.is_muted_by_host(VINH));
    }

    #[test]
    fn the_floor_lifts_a_host_mute_and_the_host_cannot_be_muted() {
        let mut b = online(&[VINH]);
        b.set_muted_by_host(VINH, true).unwrap();
        b.grant_floor(VINH, None, clock()).unwrap();
        assert!(b.may_send_audio(VINH), "giving the floor means hearing it");
        assert_eq!(
            b.set_muted_by_host(HOST_NAME, true).map_err(|e| e.code()),
            Err("not_allowed")
        );
        assert!(b.set_muted_by_host("Xã Nghi Phong", true).is_err());
    }

    #[test]
    fn devices_show_in_the_snapshot() {
        let mut b = online(&[VINH]);
        b.set_devices(VINH, true, false);
        b.set_muted_by_host(VINH, true).unwrap();
        let point = b
            .snapshot(clock())
            .points
            .into_iter()
            .find(|p| p.name == VINH)
            .unwrap();
        assert!(point.mic && !point.camera && point.muted_by_host);
        b.set_devices("Xã Nghi Phong", true, true); // ignored
    }

    #[test]
    fn only_the_host_or_the_floor_holder_presents_and_one_at_a_time() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
        assert_eq!(
            b.start_presentation(VINH, t).map_err(|e| e.code()),
            Err("not_allowed")
        );
        b.grant_floor(VINH, None, t).unwrap();
        b.start_presentation(VINH, t).unwrap();
        b.start_presentation(VINH, t).unwrap(); // again: harmless
        assert_eq!(b.presenter(), Some(VINH));
        assert_eq!(b.snapshot(t).presentation.as_deref(), Some(VINH));
        let refused = b.start_presentation(HOST_NAME, t).unwrap_err();
        assert!(refused.to_string().contains(VINH), "{refused}");
        assert!(!b.stop_presentation(NGHI_LOC, t), "not its presentation");
        assert!(b.stop_presentation(VINH, t.after_secs(30)));
        b.start_presentation(HOST_NAME, t.after_secs(31)).unwrap();
        assert_eq!(
            b.stop_presentation_by_host(t.after_secs(40)),
            Some(HOST_NAME.to_owned())
        );
        assert_eq!(b.presenter(), None);
        let log: Vec<BriefingEvent> = b
            .take_events()
            .into_iter()
            .filter(|e| {
                matches!(
                    e,
                    BriefingEvent::PresentationStarted { .. }
                        | BriefingEvent::PresentationEnded { .. }
                )
            })
            .collect();
        assert_eq!(
            log,
            [
                BriefingEvent::PresentationStarted {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms
                },
                BriefingEvent::PresentationEnded {
                    point: VINH.into(),
                    at_unix_ms: t.unix_ms + 30_000,
                    reason: PresentationEndReason::Stopped
                },
                BriefingEvent::PresentationStarted {
                    point: HOST_NAME.into(),
                    at_unix_ms: t.unix_ms + 31_000
                },
                BriefingEvent::PresentationEnded {
                    point: HOST_NAME.into(),
                    at_unix_ms: t.unix_ms + 40_000,
                    reason: PresentationEndReason::StoppedByHost
                },
            ]
        );
    }

    #[test]
    fn a_presentation_ends_with_the_floor_or_the_presenter() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
        b.grant_floor(VINH, None, t).unwrap();
        b.start_presentation(VINH, t).unwrap();
        b.revoke_floor(t.after_secs(5));
        assert_eq!(b.presenter(), None);
        b.grant_floor(NGHI_LOC, None, t).unwrap();
        b.start_presentation(NGHI_LOC, t).unwrap();
        b.point_left(NGHI_LOC, t.after_secs(9));
        assert_eq!(b.presenter(), None);
        let reasons: Vec<PresentationEndReason> = b
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                BriefingEvent::PresentationEnded { reason, .. } => Some(reason),
                _ => None,
            })
            .collect();
        assert_eq!(
            reasons,
            [
                PresentationEndReason::FloorEnded,
                PresentationEndReason::Left
            ]
        );
    }
}
