//! Shared vocabulary of giaoban: identifiers, roles and the signalling protocol.
//!
//! Everything here is plain data. The words follow `ARCHITECTURE.md`: a *briefing* links a
//! *host* point with any number of bridge *points*.

mod ids;
mod problem;
mod signal;
mod state;

pub use ids::{BriefingId, PointId, Role};
pub use problem::{Field, FieldPath, Param, Problem, ProblemCode};
pub use signal::{
    BriefingInfo, ClientMsg, CommentInfo, ErrorCode, IceServer, Limits, MAX_PAGE_SLOTS,
    MAX_SIGNAL_MESSAGE_BYTES, PROTOCOL_VERSION, PointInfo, QualityInfo, ServerMsg, SlotFeed,
    SlotInfo, SlotRole, TrackKind,
};
pub use state::{
    FloorEndReason, FloorMode, FloorSnapshot, HandSnapshot, PointSnapshot, PresentationEndReason,
    RollCallAnswer, RollCallDelta, RollCallEntry, RollCallSnapshot, Snapshot, StateDelta,
};
