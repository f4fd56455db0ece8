//! The server under test, seen through its signalling. This is the seam between a server's
//! protocol and the machinery every target shares.
//!
//! Shared by every target, and knowing nothing of any server's protocol:
//! - [`crate::media::MediaPoint`]: one str0m session with the synthetic publisher and the
//!   receiver statistics. It makes the publish offer, takes SDP answers and offers, and is
//!   driven with datagrams and timeouts (sans-IO).
//! - [`crate::point`]: the IO shell of one point (UDP socket, timers, the signalling loop).
//! - [`crate::run`]: joins, ramp steps, measurement windows, `/proc` figures, the report.
//!
//! Specific to a target, behind [`Target`] and [`Session`]:
//! - who a link is ([`Target::identify`]), joining ([`Target::connect`]), the publish
//!   offer/answer with the page size ([`Session::publish`]), server offers with the m-lines
//!   received ([`SignalEvent::Offer`]), which point each slot carries
//!   ([`SignalEvent::Slots`]), answers ([`Session::answer`]), the stage, presence and the
//!   thumbnails a point displays ([`Session::view`]);
//! - the host's direction of the briefing ([`Target::set_mode`], [`Target::give_floor`]) and
//!   the server's own counters ([`Target::forwarded_frames`]).
//!
//! A second target (Janus VideoRoom, in `janus.rs`) adds one variant to [`Target`] and one to
//! [`Session`] and fills in the match arms below: its publisher joins a room and sends the
//! same publish offer; its subscriber's offers arrive as [`SignalEvent::Offer`] with the
//! m-lines named after the feeds' display names ([`TrackInfo::point`]); actions Janus does not have (floor modes)
//! are no-ops, and [`Target::forwarded_frames`] may answer `None`. Outside this file only
//! the command line changes: a `TargetKind` value in `cli.rs`, its construction in `main.rs`,
//! and where its [`Invitation`]s come from (Janus has no invitation links: a run would make
//! one per point with its name and role, and the adapter would ignore `link`). Scenarios,
//! ramp, measurement and report stay as they are, so both targets are measured alike.

use std::fmt;

use std::net::{IpAddr, Ipv4Addr};

use giaoban_model::{Role, SlotFeed, TrackKind};

use crate::error::LoadgenError;
use crate::giaoban::{GiaobanSession, GiaobanTarget};
use crate::janus::{JanusSession, JanusTarget};
use crate::links::Invitation;

/// Floor modes a scenario asks for (giaoban's words; see docs/protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The host and the floor holder are heard.
    Directed,
    /// Everyone is heard.
    Open,
    /// Only the host is heard.
    Presentation,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Directed => "directed",
            Mode::Open => "open",
            Mode::Presentation => "presentation",
        }
    }
}

/// Who a link admits, as the server says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub point: String,
    pub role: Role,
    /// The briefing (room) the link belongs to.
    pub room: String,
}

/// One m-line a point receives, as a server offer lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    pub mid: String,
    pub kind: TrackKind,
    /// The point it carries all along (Janus: one feed per m-line); `None`: a receive slot
    /// whose point the server names as it switches ([`SignalEvent::Slots`], giaoban).
    pub point: Option<String>,
}

/// What a point's signalling delivers to its media loop.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SignalEvent {
    /// An offer to apply and answer. `tracks`: the m-lines this point receives once it is
    /// applied, when the offer changes them; `None` when it changes none (an ICE restart).
    Offer {
        sdp: String,
        tracks: Option<Vec<TrackInfo>>,
    },
    /// Which point some receive slots carry, from which RTP timestamp.
    Slots(Vec<SlotFeed>),
    /// What of this point's media anybody receives: send only that.
    Publish {
        video: bool,
        layers: Vec<String>,
        audio: bool,
    },
    /// The points shown large on every screen changed (host first).
    Stage(Vec<String>),
    /// Points that came online and went offline (after the whole state: every point is in
    /// one list or the other).
    Presence {
        online: Vec<String>,
        offline: Vec<String>,
    },
}

/// The server a run targets.
#[non_exhaustive]
pub enum Target {
    Giaoban(GiaobanTarget),
    Janus(JanusTarget),
}

/// One point's signalling connection.
#[non_exhaustive]
pub enum Session {
    Giaoban(GiaobanSession),
    Janus(JanusSession),
}

impl Target {
    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Giaoban(_) => "giaoban",
            Target::Janus(_) => "janus",
        }
    }

    /// The local address the points' media sockets bind.
    pub fn media_ip(&self) -> IpAddr {
        match self {
            Target::Giaoban(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Target::Janus(t) => t.media_ip(),
        }
    }

    /// Fails with a clear error when the server does not answer.
    pub async fn check_reachable(&self) -> Result<(), LoadgenError> {
        match self {
            Target::Giaoban(t) => t.check_reachable().await,
            Target::Janus(t) => t.check_reachable().await,
        }
    }

    /// Asks the server who `invitation` admits; refuses invalid links.
    pub async fn identify(&self, invitation: &Invitation) -> Result<Identity, LoadgenError> {
        match self {
            Target::Giaoban(t) => t.identify(invitation).await,
            Target::Janus(t) => t.identify(invitation).await,
        }
    }

    /// Opens the signalling of one point and completes its handshake.
    pub async fn connect(&self, invitation: &Invitation) -> Result<Session, LoadgenError> {
        match self {
            Target::Giaoban(t) => t.connect(invitation).await.map(Session::Giaoban),
            Target::Janus(t) => t.connect(invitation).await.map(Session::Janus),
        }
    }

    /// The host sets the floor mode.
    pub async fn set_mode(&self, host: &Invitation, mode: Mode) -> Result<(), LoadgenError> {
        match self {
            Target::Giaoban(t) => t.set_mode(host, mode).await,
            Target::Janus(_) => Ok(()),
        }
    }

    /// The host gives the floor to `point`.
    pub async fn give_floor(&self, host: &Invitation, point: &str) -> Result<(), LoadgenError> {
        match self {
            Target::Giaoban(t) => t.give_floor(host, point).await,
            Target::Janus(_) => Ok(()),
        }
    }

    /// The server's count of media frames written towards subscribers, if it publishes one.
    pub async fn forwarded_frames(&self) -> Option<u64> {
        match self {
            Target::Giaoban(t) => t.forwarded_frames().await,
            Target::Janus(_) => None,
        }
    }
}

impl Session {
    /// Whether this point's media starts with its own publish offer (giaoban: always;
    /// a Janus subscriber's PeerConnection starts with the server's offer instead).
    pub fn takes_publish_offer(&self) -> bool {
        match self {
            Session::Giaoban(_) => true,
            Session::Janus(s) => s.takes_publish_offer(),
        }
    }

    /// Sends the publish offer, asking for `page` thumbnails (giaoban's page slots), and
    /// waits for the answer.
    pub async fn publish(&mut self, offer: String, page: usize) -> Result<String, LoadgenError> {
        match self {
            Session::Giaoban(s) => s.publish(offer, page).await,
            Session::Janus(s) => s.publish(offer).await,
        }
    }

    /// The next event. Cancel-safe: a `select!` may drop it without losing a message.
    pub async fn next_event(&mut self) -> Result<SignalEvent, LoadgenError> {
        match self {
            Session::Giaoban(s) => s.next_event().await,
            Session::Janus(s) => s.next_event().await,
        }
    }

    /// Answers the last [`SignalEvent::Offer`].
    pub async fn answer(&mut self, sdp: String) -> Result<(), LoadgenError> {
        match self {
            Session::Giaoban(s) => s.answer(sdp).await,
            Session::Janus(s) => s.answer(sdp).await,
        }
    }

    /// Says which points' thumbnails this point displays.
    pub async fn view(&mut self, thumbnails: &[String]) -> Result<(), LoadgenError> {
        match self {
            Session::Giaoban(s) => s.view(thumbnails).await,
            Session::Janus(_) => Ok(()),
        }
    }

    /// Every invited point in the server's order (host first): the order of the grid.
    pub fn roster(&self) -> &[String] {
        match self {
            Session::Giaoban(s) => s.roster(),
            Session::Janus(_) => &[],
        }
    }

    /// Leaves politely; gives up quickly if the server does not answer.
    pub async fn close(&mut self) {
        match self {
            Session::Giaoban(s) => s.close().await,
            Session::Janus(s) => s.close().await,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
