//! The visible state of a briefing, as every client sees it: the full [`Snapshot`] a point gets
//! when it (re)joins, and the [`StateDelta`]s that follow it. See "State" in `docs/protocol.md`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::Role;

/// Who is heard. Audio from a point without the right is not forwarded; video is unaffected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FloorMode {
    /// Every connected point.
    Open,
    /// The host and the point holding the floor.
    #[default]
    Directed,
    /// The host only.
    Presentation,
}

/// A point's roll-call answer, or the outcome for a point that did not answer. In JSON:
/// `{"status": "present"}`, `{"status": "substitute", "substitute": "…"}`,
/// `{"status": "absent", "reason": "…"}` (`reason` left out when unknown) or
/// `{"status": "no_answer"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RollCallAnswer {
    /// The responsible official attends.
    Present,
    /// Someone attends instead; `substitute` names them.
    Substitute { substitute: String },
    /// Nobody attends.
    Absent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The point has been connected but did not answer before the roll-call ended ("có kết
    /// nối, không trả lời"). Only the end of a roll-call gives this outcome; it is not an
    /// answer a point or the host can give.
    NoAnswer,
}

/// Why a presentation (a shared screen) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PresentationEndReason {
    /// The presenter stopped it.
    Stopped,
    /// The host stopped it.
    StoppedByHost,
    /// The presenter's floor ended.
    FloorEnded,
    /// The presenter disconnected or was removed.
    Left,
}

impl PresentationEndReason {
    /// The stable lowercase name used in JSON and in the record, e.g. `stopped_by_host`.
    pub fn as_str(self) -> &'static str {
        match self {
            PresentationEndReason::Stopped => "stopped",
            PresentationEndReason::StoppedByHost => "stopped_by_host",
            PresentationEndReason::FloorEnded => "floor_ended",
            PresentationEndReason::Left => "left",
        }
    }
}

/// Why a point's floor ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FloorEndReason {
    /// The host took it back.
    Revoked,
    /// Its time limit ran out.
    Expired,
    /// The point disconnected.
    Left,
    /// The host gave the floor to another point, or to the same point again with a new limit.
    Replaced,
    /// The host removed the point.
    Removed,
}

impl FloorEndReason {
    /// The stable lowercase name used in JSON and in the minutes, e.g. `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            FloorEndReason::Revoked => "revoked",
            FloorEndReason::Expired => "expired",
            FloorEndReason::Left => "left",
            FloorEndReason::Replaced => "replaced",
            FloorEndReason::Removed => "removed",
        }
    }
}

/// The whole visible state of a briefing at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub mode: FloorMode,
    /// `null` when nobody but the host holds the floor.
    pub floor: Option<FloorSnapshot>,
    pub spotlight: Option<String>,
    /// The points every screen shows large, host first.
    pub stage: Vec<String>,
    /// Requests to speak, oldest first.
    pub hands: Vec<HandSnapshot>,
    pub locked: bool,
    /// `null` when no roll-call was ever started.
    pub roll_call: Option<RollCallSnapshot>,
    /// Every invited point, the host first, then in invitation order.
    pub points: Vec<PointSnapshot>,
    /// The point presenting its screen (the presentation slot carries it), `null` when none.
    #[serde(default)]
    pub presentation: Option<String>,
    /// Points may address written comments to everybody, not only to the host.
    #[serde(default)]
    pub comments_to_all: bool,
    /// When the recording running now started (RFC 3339, UTC); `null` when the briefing is
    /// not being recorded. Every point shows that it is.
    #[serde(default)]
    pub recording: Option<String>,
}

/// The bridge point holding the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorSnapshot {
    pub point: String,
    /// Time left when the snapshot was taken; `null` without a limit. Clients count down from
    /// the moment they receive it.
    pub remaining_ms: Option<u64>,
}

/// One request to speak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandSnapshot {
    pub point: String,
    pub topic: Option<String>,
    /// RFC 3339, UTC.
    pub raised_at: String,
}

/// The current or last roll-call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCallSnapshot {
    pub active: bool,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// The answers given so far, in invitation order.
    pub answers: Vec<RollCallEntry>,
}

/// One point's roll-call answer: `{"point": "…", "status": "…", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCallEntry {
    pub point: String,
    #[serde(flatten)]
    pub answer: RollCallAnswer,
}

/// One invited point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointSnapshot {
    pub name: String,
    pub role: Role,
    pub online: bool,
    /// Whether its audio is forwarded now ([`Briefing::may_send_audio`]).
    pub may_speak: bool,
    /// Its microphone is on, as the point last reported it: on until it says otherwise (a
    /// client joins with both on), unchanged while it is offline.
    #[serde(default)]
    pub mic: bool,
    /// Its camera is on, as the point last reported it (like `mic`).
    #[serde(default)]
    pub camera: bool,
    /// The host muted it: its audio is not forwarded whatever the mode.
    #[serde(default)]
    pub muted_by_host: bool,
}

/// What changed in a briefing's state since the message numbered `seq - 1`: the `delta` of
/// `state_delta`. A part left out did not change; `null` in `floor`, `spotlight` clears it.
/// Applying a delta twice, or one that a later snapshot already holds, changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FloorMode>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub floor: Option<Option<FloorSnapshot>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub spotlight: Option<Option<String>>,
    /// The whole stage, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Vec<String>>,
    /// Every request to speak, when any changed (the list is short: one per point at most).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hands: Option<Vec<HandSnapshot>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// The presenter; `null` ends the presentation.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub presentation: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments_to_all: Option<bool>,
    /// When the recording started; `null`: it stopped.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub recording: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_call: Option<RollCallDelta>,
    /// Points that came online, and that went offline, with nothing else of theirs changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub online: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offline: Vec<String>,
    /// Points whose entry changed otherwise (the right to speak) or that are new, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<PointSnapshot>,
}

/// A change of the roll-call: its status, and the answers given since the last delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCallDelta {
    pub active: bool,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// `true` for a new roll-call: the answers of the earlier one are gone.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restarted: bool,
    /// Answers new or changed since the last delta (all of them when `restarted`), by point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<RollCallEntry>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Reads a field that is present (possibly `null`) as `Some`, so that `null` and a missing
/// field differ.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

impl StateDelta {
    /// What turns `old` into `new`. The floor's remaining time runs down by itself, so the
    /// floor is in the delta only when its holder changed or `floor_changed` says that it was
    /// granted again (a new limit).
    pub fn between(old: &Snapshot, new: &Snapshot, floor_changed: bool) -> StateDelta {
        let holder = |s: &Snapshot| s.floor.as_ref().map(|f| f.point.clone());
        let (mut online, mut offline, mut points) = (Vec::new(), Vec::new(), Vec::new());
        for (i, p) in new.points.iter().enumerate() {
            // Entries keep their order; a name elsewhere is a new or moved entry.
            let was = old.points.get(i).filter(|o| o.name == p.name);
            match was {
                Some(o) if o == p => {}
                Some(o)
                    if *o
                        == PointSnapshot {
                            online: o.online,
                            ..p.clone()
                        } =>
                {
                    if p.online {
                        online.push(p.name.clone());
                    } else {
                        offline.push(p.name.clone());
                    }
                }
                _ => points.push(p.clone()),
            }
        }
        StateDelta {
            mode: (old.mode != new.mode).then_some(new.mode),
            floor: (floor_changed || holder(old) != holder(new)).then(|| new.floor.clone()),
            spotlight: (old.spotlight != new.spotlight).then(|| new.spotlight.clone()),
            stage: (old.stage != new.stage).then(|| new.stage.clone()),
            hands: (old.hands != new.hands).then(|| new.hands.clone()),
            locked: (old.locked != new.locked).then_some(new.locked),
            presentation: (old.presentation != new.presentation).then(|| new.presentation.clone()),
            comments_to_all: (old.comments_to_all != new.comments_to_all)
                .then_some(new.comments_to_all),
            recording: (old.recording != new.recording).then(|| new.recording.clone()),
            roll_call: roll_call_delta(old.roll_call.as_ref(), new.roll_call.as_ref()),
            online,
            offline,
            points,
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == StateDelta::default()
    }

    /// Applies the delta to `state` (as a client does).
    pub fn apply(&self, state: &mut Snapshot) {
        if let Some(mode) = self.mode {
            state.mode = mode;
        }
        if let Some(floor) = &self.floor {
            state.floor.clone_from(floor);
        }
        if let Some(spotlight) = &self.spotlight {
            state.spotlight.clone_from(spotlight);
        }
        if let Some(stage) = &self.stage {
            state.stage.clone_from(stage);
        }
        if let Some(hands) = &self.hands {
            state.hands.clone_from(hands);
        }
        if let Some(locked) = self.locked {
            state.locked = locked;
        }
        if let Some(presentation) = &self.presentation {
            state.presentation.clone_from(presentation);
        }
        if let Some(to_all) = self.comments_to_all {
            state.comments_to_all = to_all;
        }
        if let Some(recording) = &self.recording {
            state.recording.clone_from(recording);
        }
        if let Some(delta) = &self.roll_call {
            let call = state.roll_call.get_or_insert_with(|| RollCallSnapshot {
                active: delta.active,
                started_at: delta.started_at.clone(),
                answers: Vec::new(),
            });
            if delta.restarted {
                call.answers.clear();
            }
            call.active = delta.active;
            call.started_at.clone_from(&delta.started_at);
            for answer in &delta.answers {
                match call.answers.iter_mut().find(|a| a.point == answer.point) {
                    Some(a) => *a = answer.clone(),
                    None => call.answers.push(answer.clone()),
                }
            }
        }
        for point in &self.points {
            match state.points.iter_mut().find(|p| p.name == point.name) {
                Some(p) => *p = point.clone(),
                None => state.points.push(point.clone()),
            }
        }
        for (names, online) in [(&self.online, true), (&self.offline, false)] {
            for name in names {
                if let Some(p) = state.points.iter_mut().find(|p| &p.name == name) {
                    p.online = online;
                }
            }
        }
    }
}

fn roll_call_delta(
    old: Option<&RollCallSnapshot>,
    new: Option<&RollCallSnapshot>,
) -> Option<RollCallDelta> {
    let new = new?;
    let restarted = old.is_none_or(|o| o.started_at != new.started_at);
    let answers: Vec<RollCallEntry> = match old {
        Some(old) if !restarted => new
            .answers
            .iter()
            .filter(|a| !old.answers.contains(a))
            .cloned()
            .collect(),
        _ => new.answers.clone(),
    };
    let unchanged = !restarted && old.is_some_and(|o| o.active == new.active);
    (!unchanged || !answers.is_empty()).then(|| RollCallDelta {
        active: new.active,
        started_at: new.started_at.clone(),
        restarted,
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, online: bool) -> PointSnapshot {
        PointSnapshot {
            name: name.into(),
            role: if name == "Sở" {
                Role::Host
            } else {
                Role::Point
            },
            online,
            may_speak: name == "Sở",
            mic: false,
            camera: false,
            muted_by_host: false,
        }
    }

    fn state(online: &[&str]) -> Snapshot {
        Snapshot {
            mode: FloorMode::Directed,
            floor: None,
            spotlight: None,
            stage: vec!["Sở".into()],
            hands: vec![],
            locked: false,
            roll_call: None,
            points: ["Sở", "Vinh", "Cửa Lò", "Nghi Lộc"]
                .iter()
                .map(|n| point(n, online.contains(n)))
                .collect(),
            presentation: None,
            comments_to_all: false,
            recording: None,
        }
    }

    /// `old` with the delta to `new` applied, checked against `new`; returns the delta.
    fn round_trip(old: &Snapshot, new: &Snapshot) -> StateDelta {
        let delta = StateDelta::between(old, new, false);
        let text = serde_json::to_string(&delta).unwrap();
        let back: StateDelta = serde_json::from_str(&text).unwrap();
        assert_eq!(back, delta, "{text}");
        let mut applied = old.clone();
        back.apply(&mut applied);
        assert_eq!(&applied, new, "{text}");
        delta
    }

    #[test]
    fn reason_names_match_their_json() {
        for reason in [
            FloorEndReason::Revoked,
            FloorEndReason::Expired,
            FloorEndReason::Left,
            FloorEndReason::Replaced,
            FloorEndReason::Removed,
        ] {
            let json = serde_json::to_string(&reason).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
        }
    }

    #[test]
    fn a_join_is_one_point_entry() {
        let old = state(&["Sở"]);
        let new = state(&["Sở", "Vinh"]);
        let delta = round_trip(&old, &new);
        assert_eq!(delta.online, vec!["Vinh".to_owned()]);
        assert_eq!(
            serde_json::to_value(&delta).unwrap(),
            serde_json::json!({"online": ["Vinh"]})
        );
        let left = round_trip(&new, &old);
        assert_eq!(
            serde_json::to_value(&left).unwrap(),
            serde_json::json!({"offline": ["Vinh"]})
        );

        // The right to speak changes with the floor: the whole entry goes.
        let mut speaking = new.clone();
        speaking.points[1].may_speak = true;
        let delta = round_trip(&new, &speaking);
        assert_eq!(delta.points, vec![speaking.points[1].clone()]);
        assert!(delta.online.is_empty());
    }

    #[test]
    fn nothing_changed_is_empty() {
        let s = state(&["Sở"]);
        assert!(StateDelta::between(&s, &s, false).is_empty());
        assert_eq!(serde_json::to_string(&StateDelta::default()).unwrap(), "{}");
    }

    #[test]
    fn floor_and_spotlight_set_and_cleared_with_null() {
        let old = state(&["Sở", "Vinh"]);
        let mut new = old.clone();
        new.floor = Some(FloorSnapshot {
            point: "Vinh".into(),
            remaining_ms: Some(120_000),
        });
        new.spotlight = Some("Vinh".into());
        new.stage.push("Vinh".into());
        new.mode = FloorMode::Open;
        new.locked = true;
        new.hands.push(HandSnapshot {
            point: "Cửa Lò".into(),
            topic: None,
            raised_at: "2026-12-01T01:00:00Z".into(),
        });
        round_trip(&old, &new);
        let cleared = round_trip(&new, &old);
        let json = serde_json::to_value(&cleared).unwrap();
        assert_eq!(json["floor"], serde_json::Value::Null);
        assert!(json.as_object().unwrap().contains_key("floor"));
        assert!(json.as_object().unwrap().contains_key("spotlight"));
    }

    #[test]
    fn floor_time_running_down_is_no_change_but_a_new_grant_is() {
        let mut old = state(&["Sở", "Vinh"]);
        old.floor = Some(FloorSnapshot {
            point: "Vinh".into(),
            remaining_ms: Some(120_000),
        });
        let mut new = old.clone();
        new.floor.as_mut().unwrap().remaining_ms = Some(119_000);
        assert!(StateDelta::between(&old, &new, false).is_empty());
        let regranted = StateDelta::between(&old, &new, true);
        assert_eq!(regranted.floor, Some(new.floor.clone()));
    }

    #[test]
    fn roll_call_sends_only_new_answers_and_a_restart_forgets_the_old_ones() {
        let mut old = state(&["Sở", "Vinh", "Cửa Lò"]);
        old.roll_call = Some(RollCallSnapshot {
            active: true,
            started_at: "2026-12-01T01:00:00Z".into(),
            answers: vec![RollCallEntry {
                point: "Vinh".into(),
                answer: RollCallAnswer::Present,
            }],
        });
        let mut new = old.clone();
        new.roll_call.as_mut().unwrap().answers.push(RollCallEntry {
            point: "Cửa Lò".into(),
            answer: RollCallAnswer::Absent { reason: None },
        });
        let delta = round_trip(&old, &new);
        let call = delta.roll_call.unwrap();
        assert_eq!(call.answers.len(), 1, "only the new answer");
        assert!(!call.restarted);

        let mut again = new.clone();
        again.roll_call = Some(RollCallSnapshot {
            active: true,
            started_at: "2026-12-01T02:00:00Z".into(),
            answers: vec![],
        });
        let delta = round_trip(&new, &again);
        assert!(delta.roll_call.unwrap().restarted);

        let mut ended = again.clone();
        ended.roll_call.as_mut().unwrap().active = false;
        let delta = round_trip(&again, &ended);
        assert!(!delta.roll_call.unwrap().active);
    }
}
