//! The briefing core of giaoban: who is heard, who is shown large, who asked to speak and who
//! is present. See "Directing the briefing" in `docs/protocol.md`.
//!
//! [`Briefing`] is a sans-IO state machine in the manner of `giaoban-media`: it never reads a
//! clock and never touches a socket. The IO shell calls its methods with the current time
//! ([`Now`]) when a point connects or disconnects, when the host or a point sends a command,
//! and when the deadline from [`Briefing::poll_timeout`] passes; after each change it reads
//! [`Briefing::snapshot`] for the clients and [`Briefing::may_send_audio`] for the forwarding
//! table, and drains [`Briefing::take_events`] into the minutes and the attendance record.
//!
//! Points are named by their display name, unique within a briefing, exactly as they appear in
//! the signalling protocol and the host API.

mod briefing;
mod error;
mod event;
mod floor;
mod hands;
mod now;
mod roll_call;
mod room;
mod snapshot;
mod stage;
mod text;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testing;

pub use briefing::Briefing;
pub use error::BriefingError;
pub use event::BriefingEvent;
pub use floor::MAX_FLOOR_SECONDS;
pub use giaoban_model::{
    FloorEndReason, FloorMode, FloorSnapshot, HandSnapshot, PointSnapshot, PresentationEndReason,
    RollCallAnswer, RollCallEntry, RollCallSnapshot, Snapshot,
};
pub use hands::MAX_TOPIC_CHARS;
pub use now::Now;
pub use roll_call::{MAX_REASON_CHARS, MAX_SUBSTITUTE_CHARS};
