//! Roll-call ("điểm danh"): who is present, who attends instead, who is absent and why.

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

    /// Records a point's answer to the active roll-call, replacing an earlier one. The point
    /// need not be online: the secretariat records answers given by phone. Text is trimmed;
    /// a blank reason is none.
    pub fn answer_roll_call(
        &mut self,
        name: &str,
        answer: RollCallAnswer,
        now: Now,
    ) -> Result<(), BriefingError> {
        let i = self.index(name)?;
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

    /// Ends the roll-call: every invited point without an answer, the host included, is
    /// recorded absent without a reason. Returns every point's answer in invitation order.
    /// The answers stay readable in the snapshot until the next roll-call; ending again
    /// returns them unchanged, and without any roll-call there is nothing to return.
    pub fn end_roll_call(&mut self, now: Now) -> Vec<(String, RollCallAnswer)> {
        let Some(roll_call) = self.roll_call.as_mut() else {
            return Vec::new();
        };
        if roll_call.active {
            roll_call.active = false;
            for (point, answer) in self.points.iter().zip(&mut roll_call.answers) {
                if answer.is_none() {
                    let absent = RollCallAnswer::Absent { reason: None };
                    *answer = Some(absent.clone());
                    self.events.push(BriefingEvent::RollCallAnswered {
                        point: point.name.clone(),
                        answer: absent,
                        at_unix_ms: now.unix_ms,
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
    fn end_records_missing_answers_as_absent_in_invitation_order() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
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
                (HOST_NAME.to_owned(), absent()),
                (VINH.to_owned(), deputy.clone()),
                (NGHI_LOC.to_owned(), present()),
                (CUA_LO.to_owned(), absent()),
            ]
        );
        let events = b.take_events();
        assert_eq!(events.len(), 3, "two absences and the end: {events:?}");
        assert_eq!(
            events[1],
            BriefingEvent::RollCallAnswered {
                point: CUA_LO.into(),
                answer: absent(),
                at_unix_ms: t.unix_ms + 60_000
            }
        );

        // Ended: answers are kept, further answers refused, ending again changes nothing.
        assert!(b.answer_roll_call(CUA_LO, present(), t).is_err());
        assert_eq!(b.end_roll_call(t.after_secs(90)), answers);
        assert!(b.take_events().is_empty());
    }

    #[test]
    fn a_new_roll_call_clears_the_answers() {
        let mut b = online(&[VINH]);
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
            answers[1],
            (VINH.to_owned(), absent()),
            "blank reason is none"
        );
        assert_eq!(answers[3], (CUA_LO.to_owned(), present()));
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
        assert_eq!(b.end_roll_call(clock())[1].1, sub("Trần Thị B"));
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
        let back: RollCallAnswer = serde_json::from_str(r#"{"status":"absent"}"#).unwrap();
        assert_eq!(back, absent());
    }
}
