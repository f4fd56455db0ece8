//! Roll-call ("điểm danh"): who is present, who attends instead, who is absent and why.
//!
//! The host is present by being the host: it is not asked and cannot answer. A roll-call
//! confirms what the connections show: when it ends, a bridge point that did not answer is
//! "connected but did not answer" if it has been connected during the briefing, and absent
//! otherwise. Those outcomes are read from the connections, not answers given, so they are not
//! logged as answers: the attendance record derives them again from the connection sessions.

use crate::briefing::HOST;
use crate::{Briefing, BriefingError, BriefingEvent, Now, RollCallAnswer, text};

/// The longest name of a substitute, in characters.
pub const MAX_SUBSTITUTE_CHARS: usize = 120;
/// The longest reason for an absence, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The current or last roll-call.
#[derive(Debug, Clone)]
pub(crate) struct RollCall {
    pub(crate) active: bool,
    pub(crate) started_at_unix_ms: u64,
    /// By point index, so answers are listed in invitation order whoever answered first.
    pub(crate) answers: Vec<Option<RollCallAnswer>>,
}

impl Briefing {
    /// Starts a roll-call, clearing the answers of any earlier one.
    pub fn start_roll_call(&mut self, now: Now) {
        self.roll_call = Some(RollCall {
            active: true,
            started_at_unix_ms: now.unix_ms,
            answers: vec![None; self.points.len()],
        });
        self.events.push(BriefingEvent::RollCallStarted {
            at_unix_ms: now.unix_ms,
        });
    }

    /// Records a bridge point's answer to the active roll-call, replacing an earlier one. The
    /// point need not be online: the secretariat records answers given by phone. Text is
    /// trimmed; a blank reason is none. The host is not asked: its answer is refused, and so
    /// is [`RollCallAnswer::NoAnswer`], which is an outcome, not an answer.
    pub fn answer_roll_call(
        &mut self,
        name: &str,
        answer: RollCallAnswer,
        now: Now,
    ) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if i == HOST {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" is the host: it is present by chairing and does not answer the roll-call"
            )));
        }
        let Some(roll_call) = self.roll_call.as_mut().filter(|r| r.active) else {
            return Err(BriefingError::NotAllowed(format!(
                "no roll-call is in progress, so \"{name}\" cannot answer"
            )));
        };
        let answer = normalise(name, answer)?;
        roll_call.answers[i] = Some(answer.clone());
        self.events.push(BriefingEvent::RollCallAnswered {
            point: name.to_owned(),
            answer,
            at_unix_ms: now.unix_ms,
        });
        Ok(())
    }

    /// Ends the roll-call. Every bridge point without an answer gets its outcome:
    /// [`RollCallAnswer::NoAnswer`] if it has been connected, absent without a reason if it
    /// never was. The host is left out. Returns the bridge points' answers and outcomes in
    /// invitation order. Outcomes are not logged as answers (see the module documentation).
    /// The answers stay readable in the snapshot until the next roll-call; ending again
    /// returns them unchanged, and without any roll-call there is nothing to return.
    pub fn end_roll_call(&mut self, now: Now) -> Vec<(String, RollCallAnswer)> {
        let Some(roll_call) = self.roll_call.as_mut() else {
            return Vec::new();
        };
        if roll_call.active {
            roll_call.active = false;
            for (point, answer) in self.points.iter().zip(&mut roll_call.answers).skip(1) {
                if answer.is_none() {
                    *answer = Some(if point.joined_before {
                        RollCallAnswer::NoAnswer
                    } else {
                        RollCallAnswer::Absent { reason: None }
                    });
                }
            }
            self.events.push(BriefingEvent::RollCallEnded {
                at_unix_ms: now.unix_ms,
            });
        }
        self.points
            .iter()
            .zip(&roll_call.answers)
            .filter_map(|(p, a)| Some((p.name.clone(), a.clone()?)))
            .collect()
    }

    /// Whether a roll-call is in progress.
    pub fn roll_call_active(&self) -> bool {
        self.roll_call.as_ref().is_some_and(|r| r.active)
    }
}

/// Trims the answer's text and checks its length.
fn normalise(name: &str, answer: RollCallAnswer) -> Result<RollCallAnswer, BriefingError> {
    match answer {
        RollCallAnswer::NoAnswer => Err(BriefingError::Invalid(format!(
            "\"no_answer\" is the outcome for a point that did not answer, not an answer for \"{name}\""
        ))),
        RollCallAnswer::Present => Ok(RollCallAnswer::Present),
        RollCallAnswer::Substitute { substitute } => {
            match text::optional(Some(substitute), MAX_SUBSTITUTE_CHARS) {
                Ok(Some(substitute)) => Ok(RollCallAnswer::Substitute { substitute }),
                _ => Err(BriefingError::Invalid(format!(
                    "the substitute for \"{name}\" must be named in 1 to {MAX_SUBSTITUTE_CHARS} characters"
                ))),
            }
        }
        RollCallAnswer::Absent { reason } => text::optional(reason, MAX_REASON_CHARS)
            .map(|reason| RollCallAnswer::Absent { reason })
            .map_err(|len| {
                BriefingError::Invalid(format!(
                    "the reason for the absence of \"{name}\" is {len} characters long; at most {MAX_REASON_CHARS} are allowed"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CUA_LO, HOST_NAME, Later, NGHI_LOC, VINH, briefing, clock, online};

    fn present() -> RollCallAnswer {
        RollCallAnswer::Present
    }

    fn absent() -> RollCallAnswer {
        RollCallAnswer::Absent { reason: None }
    }

    #[test]
    fn answers_before_a_roll_call_are_refused() {
        let mut b = online(&[VINH]);
        assert_eq!(
            b.answer_roll_call(VINH, present(), clock())
                .map_err(|e| e.code()),
            Err("not_allowed")
        );
        assert!(!b.roll_call_active());
        assert_eq!(b.end_roll_call(clock()), []);
    }

    #[test]
    fn end_gives_connected_points_no_answer_and_the_others_absent() {
        // Cửa Lò was connected and dropped out before the roll-call: it was connected all the
        // same. Nghi Lộc is connected and answers; Vinh answers by a substitute.
        let mut b = online(&[VINH, NGHI_LOC, CUA_LO]);
        let t = clock();
        b.point_left(CUA_LO, t);
        let mut b2 = briefing();
        b2.point_joined(HOST_NAME, t).unwrap();
        b.start_roll_call(t);
        assert!(b.roll_call_active());
        b.answer_roll_call(NGHI_LOC, present(), t).unwrap();
        let deputy = RollCallAnswer::Substitute {
            substitute: "Phó Chủ tịch Nguyễn Văn A".into(),
        };
        b.answer_roll_call(VINH, deputy.clone(), t).unwrap();
        b.take_events();

        let answers = b.end_roll_call(t.after_secs(60));
        assert!(!b.roll_call_active());
        assert_eq!(
            answers,
            [
                (VINH.to_owned(), deputy.clone()),
                (NGHI_LOC.to_owned(), present()),
                (CUA_LO.to_owned(), RollCallAnswer::NoAnswer),
            ],
            "the host is not asked"
        );
        assert_eq!(
            b.take_events(),
            [BriefingEvent::RollCallEnded {
                at_unix_ms: t.unix_ms + 60_000
            }],
            "outcomes are not logged as answers"
        );

        // Ended: answers are kept, further answers refused, ending again changes nothing.
        assert!(b.answer_roll_call(CUA_LO, present(), t).is_err());
        assert_eq!(b.end_roll_call(t.after_secs(90)), answers);
        assert!(b.take_events().is_empty());

        // Nobody but the host ever connected: every point is absent.
        b2.start_roll_call(t);
        assert!(
            b2.end_roll_call(t)
                .iter()
                .all(|(_, answer)| *answer == absent())
        );
    }

    #[test]
    fn a_point_connected_before_a_restart_did_not_answer() {
        let mut b = briefing();
        b.note_connected_before(NGHI_LOC);
        b.note_connected_before("Xã Nghi Phong"); // ignored
        b.start_roll_call(clock());
        let answers = b.end_roll_call(clock());
        assert_eq!(answers[1], (NGHI_LOC.to_owned(), RollCallAnswer::NoAnswer));
        assert_eq!(answers[0], (VINH.to_owned(), absent()));
    }

    #[test]
    fn the_host_is_not_asked() {
        let mut b = online(&[VINH]);
        b.start_roll_call(clock());
        assert_eq!(
            b.answer_roll_call(HOST_NAME, present(), clock())
                .map_err(|e| e.code()),
            Err("not_allowed")
        );
        assert_eq!(
            b.answer_roll_call(VINH, RollCallAnswer::NoAnswer, clock())
                .map_err(|e| e.code()),
            Err("invalid"),
            "no_answer is an outcome, not an answer"
        );
        assert!(b.snapshot(clock()).roll_call.unwrap().answers.is_empty());
        let answers = b.end_roll_call(clock());
        assert!(answers.iter().all(|(p, _)| p != HOST_NAME));
    }

    #[test]
    fn a_new_roll_call_clears_the_answers() {
        let mut b = briefing();
        b.start_roll_call(clock());
        b.answer_roll_call(VINH, present(), clock()).unwrap();
        b.end_roll_call(clock());
        b.start_roll_call(clock());
        assert!(b.roll_call_active());
        assert!(
            b.end_roll_call(clock())
                .iter()
                .all(|(_, answer)| *answer == absent())
        );
    }

    #[test]
    fn offline_points_may_be_answered_for_and_answers_replace() {
        let mut b = briefing();
        b.start_roll_call(clock());
        let sick = RollCallAnswer::Absent {
            reason: Some("  Ốm  ".into()),
        };
        b.answer_roll_call(CUA_LO, sick, clock()).unwrap();
        b.answer_roll_call(CUA_LO, present(), clock()).unwrap();
        b.answer_roll_call(
            VINH,
            RollCallAnswer::Absent {
                reason: Some(" ".into()),
            },
            clock(),
        )
        .unwrap();
        let answers = b.end_roll_call(clock());
        assert_eq!(
            answers[0],
            (VINH.to_owned(), absent()),
            "blank reason is none"
        );
        assert_eq!(answers[2], (CUA_LO.to_owned(), present()));
    }

    #[test]
    fn answer_text_is_trimmed_and_bounded() {
        let mut b = briefing();
        b.start_roll_call(clock());
        let sub = |s: &str| RollCallAnswer::Substitute {
            substitute: s.into(),
        };
        for bad in ["", "   ", &"a".repeat(MAX_SUBSTITUTE_CHARS + 1)] {
            assert_eq!(
                b.answer_roll_call(VINH, sub(bad), clock())
                    .map_err(|e| e.code()),
                Err("invalid"),
                "{bad:?}"
            );
        }
        b.answer_roll_call(VINH, sub(" Trần Thị B "), clock())
            .unwrap();
        let long_reason = RollCallAnswer::Absent {
            reason: Some("x".repeat(MAX_REASON_CHARS + 1)),
        };
        assert_eq!(
            b.answer_roll_call(NGHI_LOC, long_reason, clock())
                .map_err(|e| e.code()),
            Err("invalid")
        );
        assert_eq!(
            b.answer_roll_call("Xã Nghi Phong", present(), clock()),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
        assert_eq!(b.end_roll_call(clock())[0].1, sub("Trần Thị B"));
    }

    #[test]
    fn answers_serialise_with_a_status_tag() {
        let json = |a: &RollCallAnswer| serde_json::to_string(a).unwrap();
        assert_eq!(json(&present()), r#"{"status":"present"}"#);
        assert_eq!(json(&absent()), r#"{"status":"absent"}"#);
        assert_eq!(
            json(&RollCallAnswer::Absent {
                reason: Some("Ốm".into())
            }),
            r#"{"status":"absent","reason":"Ốm"}"#
        );
        assert_eq!(json(&RollCallAnswer::NoAnswer), r#"{"status":"no_answer"}"#);
        let back: RollCallAnswer = serde_json::from_str(r#"{"status":"absent"}"#).unwrap();
        assert_eq!(back, absent());
    }
}
