//! The media core of giaoban: a sans-IO selective forwarding unit (SFU).
//!
//! [`Sfu`] owns one [`str0m::Rtc`] per connected point and a forwarding table. It never
//! touches a socket or a clock: the IO shell feeds it datagrams, signalling and timeouts with
//! the current time, and drains datagrams to send ([`Sfu::poll_transmit`]), signalling to
//! deliver ([`Sfu::poll_event`]) and the next deadline ([`Sfu::poll_timeout`]).
//!
//! Media is forwarded packet by packet (str0m's RTP mode): each packet a publisher sends is
//! decrypted once, its payload shared by every subscriber, and written to each subscriber's
//! m-line with that m-line's own sequence numbers, timestamps and VP8 picture ids
//! ([`SlotMunger`]). str0m answers the publisher's losses with NACKs, and keeps a send buffer
//! per subscriber so NACKs from receivers are answered by retransmission (RTX) without
//! bothering the publisher. Keyframe requests (PLI/FIR) travel from subscribers to the
//! publisher's layer they receive, throttled.
//!
//! [`SlotMunger`] is that rewriting state for one outgoing stream: whichever source or
//! simulcast layer feeds it, the subscriber sees one RTP stream with continuous sequence
//! numbers, timestamps that never go backwards and continuous VP8 picture ids, switched on
//! keyframes.

mod allocator;
mod error;
mod peer;
mod sfu;
mod slot;
mod speakers;
mod stun_check;
mod twcc_guard;

pub use error::MediaError;
pub use peer::{PeerId, SlotCounts, Wanted};
pub use sfu::{
    MediaAddress, PeerQuality, RECORDED_QUEUE, RecordedKind, RecordedPacket, RoomPolicy, Sfu,
    SfuConfig, SfuCounters, SfuEvent,
};
pub use slot::{Dropped, Munged, SlotConfig, SlotKind, SlotMunger, SlotRequest, SourcePacket};
pub use speakers::{SpeakerConfig, SpeakerSelector};
pub use str0m::net::{Protocol, Transmit};
