//! The briefing state as clients see it: the `state` of `briefing_state` messages and of
//! `GET /api/briefings/{id}/state` (`docs/protocol.md`, "State").

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{
    Briefing, FloorSnapshot, HandSnapshot, Now, PointSnapshot, RollCallEntry, RollCallSnapshot,
    Snapshot,
};

impl Briefing {
    /// The state to send to clients. `now` only computes the floor's remaining time.
    pub fn snapshot(&self, now: Now) -> Snapshot {
        let name = |i: usize| self.points[i].name.clone();
        Snapshot {
            mode: self.mode,
            floor: self.floor.as_ref().map(|f| FloorSnapshot {
                point: name(f.point),
                remaining_ms: self
                    .floor_remaining(now)
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            }),
            spotlight: self.spotlight.map(name),
            stage: self.stage(),
            hands: self
                .hands
                .iter()
                .map(|h| HandSnapshot {
                    point: name(h.point),
                    topic: h.topic.clone(),
                    raised_at: rfc3339(h.raised_at_unix_ms),
                })
                .collect(),
            locked: self.locked,
            roll_call: self.roll_call.as_ref().map(|r| RollCallSnapshot {
                active: r.active,
                started_at: rfc3339(r.started_at_unix_ms),
                answers: r
                    .answers
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| {
                        Some(RollCallEntry {
                            point: name(i),
                            answer: a.clone()?,
                        })
                    })
                    .collect(),
            }),
            points: self
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| PointSnapshot {
                    name: p.name.clone(),
                    role: p.role,
                    online: p.online,
                    may_speak: self.may_speak(i),
                    mic: p.mic,
                    camera: p.camera,
                    muted_by_host: p.muted_by_host,
                })
                .collect(),
            presentation: self.presenter().map(str::to_owned),
            comments_to_all: self.comments_to_all,
            recording: self.recording_since_unix_ms.map(rfc3339),
        }
    }
}

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC, e.g.
/// `2026-12-01T01:10:02Z`. Times beyond the year 9999, which no real clock gives, are shown
/// as the last representable moment rather than failing.
fn rfc3339(unix_ms: u64) -> String {
    let nanos = i128::from(unix_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59.999Z".to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::RollCallAnswer;
    use crate::testing::{CUA_LO, HOST_NAME, Later, NGHI_LOC, START_UNIX_MS, VINH, clock, online};

    #[test]
    fn formats_unix_milliseconds_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(START_UNIX_MS + 602_000), "2026-12-01T01:10:02Z");
        assert_eq!(rfc3339(START_UNIX_MS + 250), "2026-12-01T01:00:00.25Z");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn snapshot_serialises_as_the_protocol_state() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
        b.grant_floor(NGHI_LOC, Some(120), t).unwrap();
        b.start_presentation(NGHI_LOC, t).unwrap();
        b.set_devices(VINH, true, false);
        b.raise_hand(VINH, Some("Kinh phí CNTT".into()), t.after_secs(2))
            .unwrap();
        b.start_roll_call(t);
        b.answer_roll_call(VINH, RollCallAnswer::Present, t)
            .unwrap();
        b.answer_roll_call(
            NGHI_LOC,
            RollCallAnswer::Substitute {
                substitute: "Phó Chủ tịch".into(),
            },
            t,
        )
        .unwrap();

        let state = b.snapshot(t.after_secs(2));
        assert_eq!(
            serde_json::to_value(&state).unwrap(),
            json!({
                "mode": "directed",
                "floor": {"point": NGHI_LOC, "remaining_ms": 118000},
                "spotlight": null,
                "stage": [HOST_NAME, NGHI_LOC],
                "hands": [{"point": VINH, "topic": "Kinh phí CNTT", "raised_at": "2026-12-01T01:00:02Z"}],
                "locked": false,
                "roll_call": {"active": true, "started_at": "2026-12-01T01:00:00Z", "answers": [
                    {"point": VINH, "status": "present"},
                    {"point": NGHI_LOC, "status": "substitute", "substitute": "Phó Chủ tịch"},
                ]},
                "points": [
                    {"name": HOST_NAME, "role": "host", "online": true, "may_speak": true, "mic": true, "camera": true, "muted_by_host": false},
                    {"name": VINH, "role": "point", "online": true, "may_speak": false, "mic": true, "camera": false, "muted_by_host": false},
                    {"name": NGHI_LOC, "role": "point", "online": true, "may_speak": true, "mic": true, "camera": true, "muted_by_host": false},
                    {"name": CUA_LO, "role": "point", "online": false, "may_speak": false, "mic": true, "camera": true, "muted_by_host": false},
                ],
                "presentation": NGHI_LOC,
                "comments_to_all": false,
                "recording": null,
            })
        );
        let text = serde_json::to_string(&state).unwrap();
        let back: Snapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(back, state, "clients written in Rust can read it back");
    }

    #[test]
    fn empty_state_has_nulls() {
        let b = online(&[]);
        let value = serde_json::to_value(b.snapshot(clock())).unwrap();
        assert_eq!(value["floor"], json!(null));
        assert_eq!(value["roll_call"], json!(null));
        assert_eq!(value["hands"], json!([]));
        assert_eq!(value["stage"], json!([HOST_NAME]));
    }

    #[test]
    fn untimed_floor_has_no_remaining_time_and_overdue_floor_has_none_left() {
        let mut b = online(&[VINH]);
        b.grant_floor(VINH, None, clock()).unwrap();
        let floor = b.snapshot(clock()).floor.unwrap();
        assert_eq!(floor.remaining_ms, None);
        b.grant_floor(VINH, Some(10), clock()).unwrap();
        let floor = b.snapshot(clock().after_secs(11)).floor.unwrap();
        assert_eq!(floor.remaining_ms, Some(0));
    }
}
