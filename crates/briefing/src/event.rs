//! The log of what happened, for the minutes and the attendance record.

use crate::{FloorEndReason, PresentationEndReason, RollCallAnswer};

/// One entry of the briefing's log, drained with [`Briefing::take_events`].
///
/// Every `FloorGranted` is followed by exactly one `FloorEnded` for the same point before the
/// next `FloorGranted`, and every `PointJoined` by one `PointLeft` before the point's next
/// `PointJoined`, so the minutes and the attendance can pair them without guessing.
///
/// [`Briefing::take_events`]: crate::Briefing::take_events
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BriefingEvent {
    /// The point came online (its first connection, or its return after leaving).
    PointJoined { point: String, at_unix_ms: u64 },
    /// The point went offline.
    PointLeft { point: String, at_unix_ms: u64 },
    /// The host removed the point for good.
    PointRemoved { point: String, at_unix_ms: u64 },
    /// The host gave the point the floor, with a time limit in seconds or none.
    FloorGranted {
        point: String,
        at_unix_ms: u64,
        seconds: Option<u32>,
    },
    /// The point's floor ended; the floor is back with the host.
    FloorEnded {
        point: String,
        at_unix_ms: u64,
        reason: FloorEndReason,
    },
    /// The point asked for the floor, or changed the topic of its request.
    HandRaised {
        point: String,
        topic: Option<String>,
        at_unix_ms: u64,
    },
    /// A roll-call began; earlier answers were cleared.
    RollCallStarted { at_unix_ms: u64 },
    /// The point's roll-call answer was recorded. The outcomes the end of a roll-call gives
    /// points that did not answer are not logged: the attendance record derives them.
    RollCallAnswered {
        point: String,
        answer: RollCallAnswer,
        at_unix_ms: u64,
    },
    /// The roll-call ended.
    RollCallEnded { at_unix_ms: u64 },
    /// The point began presenting its screen.
    PresentationStarted { point: String, at_unix_ms: u64 },
    /// The point's presentation ended.
    PresentationEnded {
        point: String,
        at_unix_ms: u64,
        reason: PresentationEndReason,
    },
}
