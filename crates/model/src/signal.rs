//! Signalling messages exchanged over the WebSocket at `/ws`. See `docs/protocol.md`.

use serde::{Deserialize, Serialize};

use crate::{Role, Snapshot, StateDelta};

/// Version of the signalling protocol, sent by both sides in the handshake.
pub const PROTOCOL_VERSION: u32 = 3;

/// Largest signalling message accepted from a client. A client's SDP answer lists every
/// m-line it receives, about 1 kB each, two per other point: 1 MiB covers a briefing of
/// several hundred points; anything larger is malformed or hostile.
pub const MAX_SIGNAL_MESSAGE_BYTES: usize = 1024 * 1024;

/// A message from a browser (or any other client) to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ClientMsg {
    /// First message of every connection.
    Hello { version: u32, token: String },
    /// The client's offer to publish its camera and microphone (once per connection).
    /// `page` is how many thumbnails its grid shows at once: the number of page slots it
    /// receives (default by role, at most [`MAX_PAGE_SLOTS`]).
    ///
    /// An offer may carry a second video m-line for screen sharing; `presentation` names its
    /// mid. It sends nothing until the point presents.
    Offer {
        sdp: String,
        #[serde(default)]
        page: Option<usize>,
        #[serde(default)]
        presentation: Option<String>,
    },
    /// The client's answer to a server offer.
    Answer { sdp: String },
    /// Ask for the floor, optionally saying about what.
    RaiseHand {
        #[serde(default)]
        topic: Option<String>,
    },
    /// Withdraw the request to speak.
    LowerHand,
    /// Answer "present" to the active roll-call.
    RollCallAnswer,
    /// The points whose thumbnails the client displays now.
    View { thumbnails: Vec<String> },
    /// Receive audio only (`on: true`) on a weak link, or audio and video again. The client
    /// also stops sending its own video while it is on.
    AudioOnly { on: bool },
    /// Media stopped while this connection stayed up (a network change, a short outage): the
    /// server answers with an offer carrying new ICE credentials.
    IceRestart,
    /// The point's microphone and camera are on or off now (shown to everybody).
    Devices { mic: bool, camera: bool },
    /// Start (`on: true`) or stop presenting the screen sent on the offer's `presentation`
    /// m-line. Allowed to the host and to the floor holder, one presenter at a time.
    Present { on: bool },
    /// A written comment to the host, or to everybody (`to_all`) when the host allows it.
    Comment {
        text: String,
        #[serde(default)]
        to_all: bool,
    },
}

/// A message from the server to a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerMsg {
    /// Reply to a valid `hello`.
    Welcome {
        version: u32,
        briefing: BriefingInfo,
        point: PointInfo,
        /// TURN servers with credentials for this connection, for the client's
        /// `RTCPeerConnection` (`iceServers`); empty when the server has none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ice_servers: Vec<IceServer>,
        /// What the server accepts, for the client's inputs: it keeps no copy of its own.
        limits: Limits,
    },
    /// The server's answer to the client's publish offer.
    Answer { sdp: String },
    /// A server offer. The first one opens the client's receive slots, listed in `slots`;
    /// later ones (an ICE restart) change no m-line and list none.
    Offer { sdp: String, slots: Vec<SlotInfo> },
    /// What of this point's media anybody receives now: the client sends only that (a point
    /// nobody displays sends no video; in directed mode a point without the right to speak
    /// sends no audio). `layers` lists the simulcast RIDs wanted, empty without simulcast.
    /// Until the first one, a client sends everything.
    Publish {
        video: bool,
        layers: Vec<String>,
        audio: bool,
    },
    /// Which point each listed receive slot carries from now on. A slot's media switches to
    /// the new point at the packet whose RTP timestamp is `since_ts`: the client labels the
    /// picture from the frame it shows, never from this message's arrival.
    Slots { feeds: Vec<SlotFeed> },
    /// The briefing's whole state (floor mode, floor, stage, hands, roll-call, points), to a
    /// point that joins or whose backlog was dropped. `seq` is the number of the last
    /// `state_delta` it holds: the client ignores deltas numbered `seq` or lower.
    BriefingState { seq: u64, state: Snapshot },
    /// What changed since `state_delta` number `seq - 1`; changes of about 100 ms are sent
    /// together (a join storm arrives as a few messages).
    StateDelta { seq: u64, delta: StateDelta },
    /// Connection quality of every connected point; to the host only.
    Quality { points: Vec<QualityInfo> },
    /// The host asks this point to switch its microphone on.
    UnmuteRequest,
    /// Written comments this point may read, new or changed (answered, pinned): the host gets
    /// all of them, a point its own and those shown to everybody. On joining, all so far.
    Comments { comments: Vec<CommentInfo> },
    /// The link towards this point has carried under ~150 kbit/s for a while: the server
    /// suggests audio only (`audio_only`). Sent once per connection.
    SuggestAudioOnly { kbps: u64 },
    /// Something the host should know that no state shows, e.g. `recording_stopped_disk_full`
    /// (the disk filled up: the recording stopped); to the host only.
    Notice { code: String },
    /// Something went wrong. Fatal errors are followed by a close of the connection.
    Error { code: ErrorCode, message: String },
}

/// The briefing as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BriefingInfo {
    pub id: String,
    pub title: String,
    /// RFC 3339 timestamp of the scheduled start.
    pub scheduled_start: String,
}

/// The limits of what a client may send, as the server enforces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Characters of a request-to-speak topic.
    pub topic_chars: usize,
    /// Points a `view` may list.
    pub view_points: usize,
    /// Longest floor grant, in seconds.
    pub floor_seconds: i64,
    /// Characters of a roll-call substitute's name.
    pub substitute_chars: usize,
    /// Characters of a roll-call absence reason.
    pub reason_chars: usize,
    /// Characters of a written comment.
    pub comment_chars: usize,
}

/// A written comment as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentInfo {
    pub id: i64,
    /// The point that wrote it.
    pub point: String,
    pub text: String,
    /// Shown to every point, not only the host.
    pub to_all: bool,
    /// RFC 3339, UTC.
    pub at: String,
    pub pinned: bool,
    /// The host's answer, if any.
    pub answer: Option<String>,
    /// The concern or proposal of the dossier made from it, if any.
    pub concern: Option<i64>,
}

/// A TURN server and time-limited credentials for it, as `RTCIceServer` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

/// One invited point as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointInfo {
    pub name: String,
    pub role: Role,
}

/// Connection quality of one point as the server measures it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityInfo {
    pub point: String,
    pub rtt_ms: Option<f64>,
    /// Fraction of packets lost on the point's uplink.
    pub loss: Option<f64>,
    pub kbps_in: u64,
    pub kbps_out: u64,
}

/// Page slots a client may ask for: a 7 × 7 grid.
pub const MAX_PAGE_SLOTS: usize = 49;

/// One receive slot of a client: an m-line negotiated once, fed by whichever point the server
/// picks (see [`ServerMsg::Slots`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotInfo {
    /// The media id of the slot's m-line.
    pub mid: String,
    pub kind: TrackKind,
    pub role: SlotRole,
}

/// What a receive slot is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotRole {
    /// A point shown large: the host, the floor holder, the spotlit point (high layer).
    Stage,
    /// A shared screen.
    Presentation,
    /// A thumbnail of the grid page the client shows (low layer).
    Page,
    /// A voice: the host, the floor holder and, in open mode, the loudest points.
    Audio,
}

/// The point a receive slot carries from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotFeed {
    pub mid: String,
    /// `None`: the slot carries nothing now.
    pub point: Option<String>,
    /// RTP timestamp, as the client receives it on the slot, from which on frames are of
    /// `point` (or, for `None`, from which on nothing comes): frames before it are of the
    /// point the slot carried before. `None` when the slot never carried anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ts: Option<u32>,
    /// The slot is for `point`, but the client's link cannot carry it now: the picture is
    /// paused until it can (the client says so on the tile).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Audio,
    Video,
}

/// Stable machine-readable error codes; the `message` next to them is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The message was not valid JSON of a known type, or arrived out of order.
    BadMessage,
    /// The message exceeded [`MAX_SIGNAL_MESSAGE_BYTES`].
    TooLarge,
    /// The client speaks a protocol version the server does not.
    UnsupportedVersion,
    /// The token is missing, malformed, forged or unknown.
    InvalidToken,
    /// The token was revoked by the organiser.
    RevokedToken,
    /// The same point connected again elsewhere; this connection is replaced.
    Replaced,
    /// The SDP could not be used.
    BadSdp,
    /// The server could not complete the request.
    Internal,
    /// The action is not allowed now (e.g. the host raising a hand, no roll-call active).
    NotAllowed,
    /// The host removed this point from the briefing.
    Removed,
    /// The briefing is locked: no new joins.
    Locked,
    /// The client did not read what the server sent fast enough: its backlog overflowed
    /// twice in a row. The connection is closed; reconnecting starts afresh.
    SlowConsumer,
    /// The client sent messages faster than its rate limit; those over the limit were not
    /// processed. The connection stays open unless the flood goes on.
    RateLimited,
    /// The server or the briefing has as many WebSockets open as it accepts; try later.
    TooManyConnections,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_are_tagged_by_type() {
        let msg: ClientMsg =
            serde_json::from_str(r#"{"type":"hello","version":1,"token":"abc"}"#).unwrap();
        assert_eq!(
            msg,
            ClientMsg::Hello {
                version: 1,
                token: "abc".into()
            }
        );
    }

    #[test]
    fn unknown_fields_and_types_are_rejected() {
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"hello","version":1}"#).is_err());
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"launch"}"#).is_err());
        assert!(
            serde_json::from_str::<ClientMsg>(r#"{"type":"offer","sdp":"x","extra":1}"#).is_err()
        );
    }

    #[test]
    fn limit_error_codes_are_snake_case() {
        let codes = [
            ErrorCode::SlowConsumer,
            ErrorCode::RateLimited,
            ErrorCode::TooManyConnections,
        ];
        let json = serde_json::to_string(&codes).unwrap();
        assert_eq!(
            json,
            r#"["slow_consumer","rate_limited","too_many_connections"]"#
        );
    }

    #[test]
    fn server_offer_lists_slots_and_slot_feeds_name_points() {
        let msg = ServerMsg::Offer {
            sdp: "v=0".into(),
            slots: vec![SlotInfo {
                mid: "2".into(),
                kind: TrackKind::Video,
                role: SlotRole::Page,
            }],
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            json,
            r#"{"type":"offer","sdp":"v=0","slots":[{"mid":"2","kind":"video","role":"page"}]}"#
        );
        let msg = ServerMsg::Slots {
            feeds: vec![
                SlotFeed {
                    mid: "2".into(),
                    point: Some("UBND thị xã Cửa Lò".into()),
                    since_ts: Some(4_000_000_000),
                    paused: false,
                },
                SlotFeed {
                    mid: "3".into(),
                    point: None,
                    since_ts: None,
                    paused: false,
                },
            ],
        };
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            json,
            r#"{"type":"slots","feeds":[{"mid":"2","point":"UBND thị xã Cửa Lò","since_ts":4000000000},{"mid":"3","point":null}]}"#
        );
    }

    #[test]
    fn a_publish_offer_may_ask_for_its_page_size() {
        let msg: ClientMsg =
            serde_json::from_str(r#"{"type":"offer","sdp":"v=0","page":25}"#).unwrap();
        assert_eq!(
            msg,
            ClientMsg::Offer {
                sdp: "v=0".into(),
                page: Some(25),
                presentation: None,
            }
        );
        let msg: ClientMsg = serde_json::from_str(r#"{"type":"offer","sdp":"v=0"}"#).unwrap();
        assert_eq!(
            msg,
            ClientMsg::Offer {
                sdp: "v=0".into(),
                page: None,
                presentation: None,
            }
        );
    }
}
