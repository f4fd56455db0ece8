//! Requests to speak ("đăng ký phát biểu"): the queue the host grants the floor from.

use crate::briefing::HOST;
use crate::{Briefing, BriefingError, BriefingEvent, Now, text};

/// The longest topic of a request to speak, in characters.
pub const MAX_TOPIC_CHARS: usize = 200;

/// One raised hand.
#[derive(Debug, Clone)]
pub(crate) struct Hand {
    pub(crate) point: usize,
    pub(crate) topic: Option<String>,
    /// When the hand first went up; raising again keeps it, and so the place in the queue.
    pub(crate) raised_at_unix_ms: u64,
}

impl Briefing {
    /// A bridge point asks for the floor, optionally saying what about. The topic is trimmed;
    /// an empty one is none. Raising again keeps the point's place and replaces the topic.
    pub fn raise_hand(
        &mut self,
        name: &str,
        topic: Option<String>,
        now: Now,
    ) -> Result<(), BriefingError> {
        let i = self.index(name)?;
        if i == HOST {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" is the host and need not ask for the floor"
            )));
        }
        if !self.points[i].online {
            return Err(BriefingError::NotConnected(name.to_owned()));
        }
        if self.floor.as_ref().is_some_and(|f| f.point == i) {
            return Err(BriefingError::NotAllowed(format!(
                "\"{name}\" already holds the floor"
            )));
        }
        let topic = text::optional(topic, MAX_TOPIC_CHARS).map_err(|len| {
            BriefingError::Invalid(format!(
                "the topic of \"{name}\" is {len} characters long; at most {MAX_TOPIC_CHARS} are allowed"
            ))
        })?;
        match self.hands.iter_mut().find(|h| h.point == i) {
            Some(hand) => hand.topic.clone_from(&topic),
            None => self.hands.push(Hand {
                point: i,
                topic: topic.clone(),
                raised_at_unix_ms: now.unix_ms,
            }),
        }
        self.events.push(BriefingEvent::HandRaised {
            point: name.to_owned(),
            topic,
            at_unix_ms: now.unix_ms,
        });
        Ok(())
    }

    /// Withdraws a point's request to speak. Returns whether it had one.
    pub fn lower_hand(&mut self, name: &str) -> Result<bool, BriefingError> {
        let i = self.index(name)?;
        let before = self.hands.len();
        self.hands.retain(|h| h.point != i);
        Ok(self.hands.len() != before)
    }

    /// The points with a raised hand, oldest request first.
    pub fn hands(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.hands
            .iter()
            .map(|h| self.points[h.point].name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CUA_LO, HOST_NAME, Later, NGHI_LOC, VINH, clock, online};

    fn queue(b: &Briefing) -> Vec<&str> {
        b.hands().collect()
    }

    #[test]
    fn hands_queue_in_the_order_they_were_raised() {
        let mut b = online(&[VINH, NGHI_LOC, CUA_LO]);
        let t = clock();
        b.raise_hand(NGHI_LOC, None, t).unwrap();
        b.raise_hand(CUA_LO, None, t.after_secs(1)).unwrap();
        b.raise_hand(VINH, None, t.after_secs(2)).unwrap();
        assert_eq!(queue(&b), [NGHI_LOC, CUA_LO, VINH]);
        assert_eq!(b.lower_hand(CUA_LO), Ok(true));
        assert_eq!(b.lower_hand(CUA_LO), Ok(false));
        assert_eq!(queue(&b), [NGHI_LOC, VINH]);
    }

    #[test]
    fn raising_twice_keeps_the_place_and_updates_the_topic() {
        let mut b = online(&[VINH, NGHI_LOC]);
        let t = clock();
        b.raise_hand(VINH, Some("Kinh phí CNTT".into()), t).unwrap();
        b.raise_hand(NGHI_LOC, None, t.after_secs(1)).unwrap();
        b.raise_hand(VINH, Some("  Hạ tầng mạng  ".into()), t.after_secs(2))
            .unwrap();
        assert_eq!(queue(&b), [VINH, NGHI_LOC]);
        assert_eq!(b.hands[0].topic.as_deref(), Some("Hạ tầng mạng"));
        assert_eq!(b.hands[0].raised_at_unix_ms, t.unix_ms);
        assert_eq!(
            b.take_events().last(),
            Some(&BriefingEvent::HandRaised {
                point: VINH.into(),
                topic: Some("Hạ tầng mạng".into()),
                at_unix_ms: t.unix_ms + 2000
            })
        );
    }

    #[test]
    fn blank_topic_is_none() {
        let mut b = online(&[VINH]);
        b.raise_hand(VINH, Some(" \n ".into()), clock()).unwrap();
        assert_eq!(b.hands[0].topic, None);
    }

    #[test]
    fn topic_of_200_characters_is_accepted_and_201_refused() {
        let mut b = online(&[VINH]);
        let ok = "ệ".repeat(MAX_TOPIC_CHARS);
        assert_eq!(b.raise_hand(VINH, Some(ok), clock()), Ok(()));
        let long = "ệ".repeat(MAX_TOPIC_CHARS + 1);
        assert_eq!(
            b.raise_hand(VINH, Some(long), clock()),
            Err(BriefingError::Invalid(format!(
                "the topic of \"{VINH}\" is 201 characters long; at most 200 are allowed"
            )))
        );
        assert_eq!(
            b.hands[0].topic.as_deref().map(|t| t.chars().count()),
            Some(200),
            "a refused raise leaves the earlier topic"
        );
    }

    #[test]
    fn hand_refused_for_host_offline_unknown_and_floor_holder() {
        let mut b = online(&[VINH]);
        let t = clock();
        assert_eq!(
            b.raise_hand(HOST_NAME, None, t).map_err(|e| e.code()),
            Err("not_allowed")
        );
        assert_eq!(
            b.raise_hand(NGHI_LOC, None, t),
            Err(BriefingError::NotConnected(NGHI_LOC.into()))
        );
        assert_eq!(
            b.raise_hand("Xã Nghi Phong", None, t),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
        b.grant_floor(VINH, None, t).unwrap();
        assert_eq!(
            b.raise_hand(VINH, None, t),
            Err(BriefingError::NotAllowed(format!(
                "\"{VINH}\" already holds the floor"
            )))
        );
        assert_eq!(queue(&b), Vec::<&str>::new());
        assert_eq!(
            b.lower_hand("Xã Nghi Phong"),
            Err(BriefingError::UnknownPoint("Xã Nghi Phong".into()))
        );
        assert_eq!(b.lower_hand(HOST_NAME), Ok(false));
    }

    #[test]
    fn leaving_lowers_the_hand() {
        let mut b = online(&[VINH, NGHI_LOC]);
        b.raise_hand(VINH, None, clock()).unwrap();
        b.raise_hand(NGHI_LOC, None, clock()).unwrap();
        b.point_left(VINH, clock());
        assert_eq!(queue(&b), [NGHI_LOC]);
        b.point_joined(VINH, clock()).unwrap();
        assert_eq!(queue(&b), [NGHI_LOC], "a hand does not come back by itself");
    }
}
