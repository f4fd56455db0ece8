//! Janus VideoRoom as a [`crate::target::Target`], for the side-by-side benchmark (issue 4;
//! the API and its quirks are in docs/janus-notes.md).
//!
//! Janus has one PeerConnection for publishing and one per subscription, so the common ground
//! with giaoban is the `fanout` scenario, one point per PeerConnection:
//! - the host is the publisher: its handle creates the room (room for N + 1 publishers,
//!   VP8 and Opus, a large REMB cap), joins it as a publisher named after the host and sends
//!   the point's publish offer with `configure`; the answer comes back on the long-poll;
//! - every bridge point is a subscriber: its handle joins with `streams: [{feed}]`, Janus's
//!   offer arrives as a [`SignalEvent::Offer`] whose tracks are named after the feed's
//!   display name (the host), and the answer goes back with `start`. Such a point sends no
//!   publish offer ([`JanusSession::takes_publish_offer`]).
//!
//! Janus has no invitation links: [`invitations`] makes one per point with its name and role.
//! Floor modes do not exist there (no-ops), and Janus publishes no forwarded-frame counter.
//! Everything else (media, joins, windows, `/proc` figures, report) is the shared machinery,
//! so both servers are measured alike.
//!
//! Janus cannot do ICE with 127.0.0.1, so it runs in a network namespace on the test link
//! described in [`net`]; the points bind their sockets to this side's test address.

pub mod api;
pub mod net;

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

use giaoban_model::{Role, TrackKind};
use serde_json::{Value, json};

use crate::error::LoadgenError;
use crate::links::{Invitation, Link};
use crate::target::{Identity, SignalEvent, TrackInfo};
use api::{Api, HandleEvents};

/// REMB cap of the room, bit/s: far above what the synthetic publisher sends.
const ROOM_BITRATE: u64 = 100_000_000;
/// Name of the room's (only) publisher and of its subscribers.
const PUBLISHER_NAME: &str = "janus-publisher";
/// How often, and how far apart, a subscriber retries joining a feed Janus does not list yet.
const FEED_RETRIES: u32 = 50;
const FEED_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(100);
/// The room, as reports name it.
const ROOM_NAME: &str = "janus-videoroom";

/// A Janus server reached over its HTTP API.
pub struct JanusTarget {
    api: Rc<Api>,
    /// Publishers the room admits.
    publishers: usize,
    room: Cell<Option<u64>>,
    /// The publisher's id: the feed subscribers join.
    feed: Cell<Option<u64>>,
}

/// One point's handle (one PeerConnection).
pub struct JanusSession {
    api: Rc<Api>,
    handle: u64,
    point: String,
    publisher: bool,
    events: HandleEvents,
    queued: VecDeque<SignalEvent>,
}

/// Parses `http://HOST:PORT/PATH` into an address and base path, refusing any address beyond
/// loopback and the test link.
pub fn parse_url(url: &str) -> Result<(SocketAddr, String), LoadgenError> {
    let bad = |reason: String| LoadgenError::Setup(format!("--janus-url {url:?}: {reason}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("expected http://ADDR:PORT/janus".into()))?;
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, format!("/{}", p.trim_end_matches('/'))),
        None => (rest, "/janus".to_string()),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| bad(format!("{authority:?} is not IP:PORT")))?;
    if let Some(why) = net::refusal(addr.ip()) {
        return Err(LoadgenError::Setup(why));
    }
    Ok((addr, path))
}

/// One invitation per point of a fanout with `points` subscribers: the publisher (as host)
/// and the subscribers, all pointing at Janus.
pub fn invitations(url: &str, points: usize) -> Result<Vec<Invitation>, LoadgenError> {
    let (http, _) = parse_url(url)?;
    let link = Link {
        url: url.to_string(),
        http,
        token: String::new(),
    };
    let mut all = vec![Invitation {
        point: PUBLISHER_NAME.into(),
        role: Role::Host,
        link: link.clone(),
    }];
    all.extend((1..=points).map(|i| Invitation {
        point: format!("janus-subscriber-{i:03}"),
        role: Role::Point,
        link: link.clone(),
    }));
    Ok(all)
}

impl JanusTarget {
    /// A target for a fanout of up to `points` subscribers. Media sockets bind this side's
    /// address on the test link; loopback is useless with Janus (docs/janus-notes.md).
    pub fn new(url: &str, points: usize) -> Result<JanusTarget, LoadgenError> {
        let (addr, base) = parse_url(url)?;
        if addr.ip().is_loopback() {
            return Err(LoadgenError::Setup(format!(
                "--janus-url {url}: Janus cannot do ICE with a 127.0.0.1 peer (docs/janus-notes.md); \
                 run it on the test link as scripts/bench-vs-janus does"
            )));
        }
        let local = net::local_test_address().ok_or_else(|| {
            LoadgenError::Setup(format!(
                "no local address on a {}* interface to reach Janus at {addr} from",
                net::TEST_IF_PREFIX
            ))
        })?;
        Ok(JanusTarget {
            api: Rc::new(Api::new(addr, base, IpAddr::V4(local))),
            publishers: points + 1,
            room: Cell::new(None),
            feed: Cell::new(None),
        })
    }

    /// The address the points' media sockets bind.
    pub fn media_ip(&self) -> IpAddr {
        self.api.bind()
    }

    fn unreachable(&self, reason: String) -> LoadgenError {
        LoadgenError::Unreachable {
            addr: self.api.addr(),
            reason,
        }
    }

    pub async fn check_reachable(&self) -> Result<(), LoadgenError> {
        let info = self.api.info().await.map_err(|e| self.unreachable(e))?;
        if info["janus"] != "server_info" {
            return Err(LoadgenError::Setup(format!(
                "{} does not answer /info like Janus: {info}",
                self.api.addr()
            )));
        }
        tracing::info!(
            "Janus {} at {}",
            info["version_string"].as_str().unwrap_or("?"),
            self.api.addr()
        );
        Ok(())
    }

    pub async fn identify(&self, invitation: &Invitation) -> Result<Identity, LoadgenError> {
        Ok(Identity {
            point: invitation.point.clone(),
            role: invitation.role,
            room: ROOM_NAME.into(),
        })
    }

    pub async fn connect(&self, invitation: &Invitation) -> Result<JanusSession, LoadgenError> {
        let point = invitation.point.clone();
        let signalling = |reason: String| LoadgenError::Signalling {
            point: point.clone(),
            reason,
        };
        let (handle, events) = self.api.attach().await.map_err(signalling)?;
        let mut session = JanusSession {
            api: self.api.clone(),
            handle,
            point: point.clone(),
            publisher: invitation.role == Role::Host,
            events,
            queued: VecDeque::new(),
        };
        if session.publisher {
            let room = self.create_room(handle).await.map_err(signalling)?;
            let joined = self
                .api
                .message(
                    handle,
                    json!({"request": "join", "ptype": "publisher", "room": room,
                           "display": invitation.point}),
                    None,
                )
                .await
                .map_err(signalling)?;
            let id = joined["plugindata"]["data"]["id"]
                .as_u64()
                .ok_or_else(|| signalling(format!("join: no publisher id in {joined}")))?;
            self.feed.set(Some(id));
        } else {
            let (room, feed) = match (self.room.get(), self.feed.get()) {
                (Some(r), Some(f)) => (r, f),
                _ => return Err(signalling("no publisher in the room yet".into())),
            };
            // The publisher's media may be up on our side a moment before Janus counts its
            // feed as published: "No such feed" (428) is retried for a while.
            let mut tries = 0;
            let attached = loop {
                let join = json!({"request": "join", "ptype": "subscriber", "room": room,
                                  "streams": [{"feed": feed}]});
                match self.api.message(handle, join, None).await {
                    Ok(event) => break event,
                    Err(e) if e.contains("error 428") && tries < FEED_RETRIES => {
                        tries += 1;
                        tokio::time::sleep(FEED_RETRY_DELAY).await;
                    }
                    Err(e) => return Err(signalling(e)),
                }
            };
            let offer = offer_event(&attached)
                .ok_or_else(|| signalling(format!("join: no offer in {attached}")))?;
            session.queued.push_back(offer);
        }
        Ok(session)
    }

    async fn create_room(&self, handle: u64) -> Result<u64, String> {
        if let Some(room) = self.room.get() {
            return Ok(room);
        }
        let created = self
            .api
            .message(
                handle,
                json!({"request": "create", "description": "giaoban benchmark",
                       "publishers": self.publishers, "bitrate": ROOM_BITRATE,
                       "videocodec": "vp8", "audiocodec": "opus", "fir_freq": 0}),
                None,
            )
            .await?;
        let room = created["plugindata"]["data"]["room"]
            .as_u64()
            .ok_or_else(|| format!("create: no room in {created}"))?;
        self.room.set(Some(room));
        Ok(room)
    }
}

/// A subscriber's offer event (`attached` or `updated` with a JSEP offer), as a signal.
fn offer_event(event: &Value) -> Option<SignalEvent> {
    if event["jsep"]["type"] != "offer" {
        return None;
    }
    let sdp = event["jsep"]["sdp"].as_str()?.to_string();
    let tracks = event["plugindata"]["data"]["streams"]
        .as_array()?
        .iter()
        .filter(|s| s["active"].as_bool().unwrap_or(true))
        .filter_map(|s| {
            let kind = match s["type"].as_str()? {
                "audio" => TrackKind::Audio,
                "video" => TrackKind::Video,
                _ => return None,
            };
            Some(TrackInfo {
                mid: s["mid"].as_str()?.to_string(),
                kind,
                point: Some(s["feed_display"].as_str()?.to_string()),
            })
        })
        .collect();
    Some(SignalEvent::Offer {
        sdp,
        tracks: Some(tracks),
    })
}

impl JanusSession {
    fn signalling(&self, reason: String) -> LoadgenError {
        LoadgenError::Signalling {
            point: self.point.clone(),
            reason,
        }
    }

    /// Only the publisher's PeerConnection starts with an offer of its own; a subscriber's
    /// starts with Janus's.
    pub fn takes_publish_offer(&self) -> bool {
        self.publisher
    }

    pub async fn publish(&mut self, offer: String) -> Result<String, LoadgenError> {
        if !self.publisher {
            return Err(self.signalling("a Janus subscriber does not publish".into()));
        }
        let event = self
            .api
            .message(
                self.handle,
                json!({"request": "configure", "audio": true, "video": true}),
                Some(json!({"type": "offer", "sdp": offer, "trickle": false})),
            )
            .await
            .map_err(|e| self.signalling(e))?;
        if event["jsep"]["type"] != "answer" {
            return Err(self.signalling(format!("configure: no answer in {event}")));
        }
        tracing::debug!(point = %self.point, "Janus configured: {}", event["plugindata"]["data"]);
        event["jsep"]["sdp"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.signalling("configure: an answer without SDP".into()))
    }

    /// The next offer. Cancel-safe: only the channel's `recv` awaits.
    pub async fn next_event(&mut self) -> Result<SignalEvent, LoadgenError> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Ok(event);
            }
            let Some(event) = self.events.recv().await else {
                return Err(
                    self.signalling(format!("the Janus session at {} ended", self.api.addr()))
                );
            };
            match event["janus"].as_str().unwrap_or("") {
                "hangup" => {
                    return Err(self.signalling(format!(
                        "Janus hung up: {}",
                        event["reason"].as_str().unwrap_or("?")
                    )));
                }
                "detached" => return Err(self.signalling("Janus detached the handle".into())),
                "event" => {
                    if let Some(offer) = offer_event(&event) {
                        self.queued.push_back(offer);
                    } else if let Err(e) = check_event(&event) {
                        return Err(self.signalling(e));
                    }
                }
                other => tracing::debug!(point = %self.point, "Janus {other}: {event}"),
            }
        }
    }

    pub async fn answer(&mut self, sdp: String) -> Result<(), LoadgenError> {
        let event = self
            .api
            .message(
                self.handle,
                json!({"request": "start"}),
                Some(json!({"type": "answer", "sdp": sdp, "trickle": false})),
            )
            .await
            .map_err(|e| self.signalling(e))?;
        tracing::debug!(point = %self.point, "Janus start: {}", event["plugindata"]["data"]);
        Ok(())
    }

    pub async fn close(&mut self) {
        let api = &self.api;
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            api.handle_request(self.handle, "detach"),
        )
        .await;
    }
}

/// A VideoRoom error carried by an event no request waits for.
fn check_event(event: &Value) -> Result<(), String> {
    let data = &event["plugindata"]["data"];
    match data["error_code"].as_u64() {
        Some(code) => Err(format!(
            "VideoRoom error {code}: {}",
            data["error"].as_str().unwrap_or("?")
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_beyond_loopback_and_the_test_link_are_refused() {
        assert!(parse_url("http://192.0.2.2:8088/janus").is_err());
        assert!(parse_url("https://127.0.0.1:8088/janus").is_err());
        let (addr, base) = parse_url("http://127.0.0.1:8088/janus/").unwrap();
        assert_eq!((addr.port(), base.as_str()), (8088, "/janus"));
    }

    #[test]
    fn a_subscriber_offer_names_its_tracks_after_the_feed() {
        let event = json!({"janus": "event", "plugindata": {"data": {"videoroom": "attached",
            "streams": [
                {"type": "audio", "active": true, "mid": "0", "feed_display": "pub"},
                {"type": "video", "active": true, "mid": "1", "feed_display": "pub"},
                {"type": "data", "active": true, "mid": "2"}]}},
            "jsep": {"type": "offer", "sdp": "v=0\r\n"}});
        let Some(SignalEvent::Offer {
            sdp,
            tracks: Some(tracks),
        }) = offer_event(&event)
        else {
            panic!("an offer");
        };
        assert_eq!(sdp, "v=0\r\n");
        assert_eq!(tracks.len(), 2);
        assert_eq!(
            (tracks[1].mid.as_str(), tracks[1].kind),
            ("1", TrackKind::Video)
        );
        assert_eq!(tracks[0].point.as_deref(), Some("pub"));
    }
}
