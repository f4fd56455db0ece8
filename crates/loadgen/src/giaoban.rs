//! giaoban's signalling, as the web client speaks it (docs/protocol.md, docs/http.md):
//! `GET /api/session` to learn who a link is, one WebSocket at `/ws` per point (`hello` →
//! `welcome`, the publish offer with the page size → answer, the server offer that opens the
//! receive slots → answer, `slots` feeds, `briefing_state` and deltas, `view`), and the host
//! API for the floor.

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use giaoban_model::{ClientMsg, ErrorCode, PROTOCOL_VERSION, Role, ServerMsg};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::error::LoadgenError;
use crate::http;
use crate::links::Invitation;
use crate::target::{Identity, Mode, SignalEvent, TrackInfo};

/// How long the server may take to welcome a point or answer its offer.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// A giaoban server on loopback.
pub struct GiaobanTarget {
    http: SocketAddr,
    /// The briefing of the run's links, learnt from the first link checked.
    briefing: OnceCell<String>,
}

/// One point's WebSocket. A task of its own reads it, so that the point's media loop, which
/// wakes for every datagram and timer, polls only a channel.
pub struct GiaobanSession {
    sink: SplitSink<WebSocketStream<TcpStream>, Message>,
    incoming: mpsc::UnboundedReceiver<Result<ServerMsg, LoadgenError>>,
    reader: JoinHandle<()>,
    point: String,
    roster: Vec<String>,
    /// Events that arrived while waiting for something else.
    queued: VecDeque<SignalEvent>,
}

#[derive(Deserialize)]
struct SessionInfo {
    briefing: BriefingRef,
    point: PointRef,
}

#[derive(Deserialize)]
struct BriefingRef {
    id: String,
}

#[derive(Deserialize)]
struct PointRef {
    name: String,
    role: Role,
}

/// An `error` message whose code this build does not know.
#[derive(Deserialize)]
struct AnyError {
    #[serde(rename = "type")]
    kind: String,
    code: String,
    message: String,
}

impl GiaobanTarget {
    pub fn new(http: SocketAddr) -> GiaobanTarget {
        GiaobanTarget {
            http,
            briefing: OnceCell::new(),
        }
    }

    pub async fn check_reachable(&self) -> Result<(), LoadgenError> {
        let response = http::request(self.http, "GET", "/healthz", None, None)
            .await
            .map_err(|e| self.unreachable(e))?;
        if !response.ok() {
            return Err(LoadgenError::Setup(format!(
                "{} answers /healthz with {}: is it a giaoban server?",
                self.http,
                response.error_message()
            )));
        }
        Ok(())
    }

    pub async fn identify(&self, invitation: &Invitation) -> Result<Identity, LoadgenError> {
        let response = http::request(
            self.http,
            "GET",
            "/api/session",
            Some(&invitation.link.token),
            None,
        )
        .await
        .map_err(|e| self.unreachable(e))?;
        if response.status == 401 || response.status == 403 {
            return Err(LoadgenError::LinkRefused {
                point: describe(invitation),
                reason: response.error_message(),
            });
        }
        if !response.ok() {
            return Err(LoadgenError::Signalling {
                point: describe(invitation),
                reason: format!("GET /api/session: {}", response.error_message()),
            });
        }
        let info: SessionInfo =
            serde_json::from_str(&response.body).map_err(|e| LoadgenError::Signalling {
                point: describe(invitation),
                reason: format!("unexpected /api/session answer: {e}"),
            })?;
        let briefing = self.briefing.get_or_init(|| info.briefing.id.clone());
        if *briefing != info.briefing.id {
            return Err(LoadgenError::Setup(format!(
                "the links belong to different briefings ({briefing} and {}); a run drives one",
                info.briefing.id
            )));
        }
        Ok(Identity {
            point: info.point.name,
            role: info.point.role,
            room: info.briefing.id,
        })
    }

    pub async fn connect(&self, invitation: &Invitation) -> Result<GiaobanSession, LoadgenError> {
        let point = invitation.point.clone();
        let signalling = |reason: String| LoadgenError::Signalling {
            point: point.clone(),
            reason,
        };
        let tcp = TcpStream::connect(self.http)
            .await
            .map_err(|e| self.unreachable(e))?;
        let _ = tcp.set_nodelay(true);
        let url = format!("ws://{}/ws", self.http);
        let (ws, _) = tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            tokio_tungstenite::client_async(url.as_str(), tcp),
        )
        .await
        .map_err(|_| signalling(format!("no WebSocket handshake at {url} within 15 s")))?
        .map_err(|e| signalling(format!("WebSocket handshake at {url}: {e}")))?;
        let (sink, stream) = ws.split();
        let (tx, incoming) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_messages(stream, point.clone(), tx));
        let mut session = GiaobanSession {
            sink,
            incoming,
            reader,
            point: point.clone(),
            roster: Vec::new(),
            queued: VecDeque::new(),
        };
        session
            .send(&ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                token: invitation.link.token.clone(),
            })
            .await?;
        // The roster comes with the whole state, which follows the welcome.
        let welcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            loop {
                match session.receive().await? {
                    ServerMsg::BriefingState { state, .. } => {
                        let names = state.points.iter().map(|p| p.name.clone()).collect();
                        session.keep(ServerMsg::BriefingState { seq: 0, state });
                        return Ok(names);
                    }
                    other => session.keep(other),
                }
            }
        })
        .await
        .map_err(|_| signalling("no welcome and state within 15 s".into()))?;
        session.roster = welcome?;
        Ok(session)
    }

    pub async fn set_mode(&self, host: &Invitation, mode: Mode) -> Result<(), LoadgenError> {
        let body = serde_json::json!({ "mode": mode.as_str() }).to_string();
        self.host_call(host, "mode", &body).await
    }

    pub async fn give_floor(&self, host: &Invitation, point: &str) -> Result<(), LoadgenError> {
        let body = serde_json::json!({ "point": point }).to_string();
        self.host_call(host, "floor", &body).await
    }

    pub async fn forwarded_frames(&self) -> Option<u64> {
        let response = http::request(self.http, "GET", "/metrics", None, None)
            .await
            .ok()?;
        response
            .body
            .lines()
            .find_map(|l| l.strip_prefix("giaoban_media_frames_forwarded_total "))
            .and_then(|v| v.trim().parse().ok())
    }

    async fn host_call(
        &self,
        host: &Invitation,
        action: &str,
        body: &str,
    ) -> Result<(), LoadgenError> {
        let Some(briefing) = self.briefing.get() else {
            return Err(LoadgenError::Control {
                action: action.into(),
                reason: "the briefing is not known yet".into(),
            });
        };
        let path = format!("/api/briefings/{briefing}/{action}");
        let response = http::request(self.http, "POST", &path, Some(&host.link.token), Some(body))
            .await
            .map_err(|e| self.unreachable(e))?;
        if response.ok() {
            Ok(())
        } else {
            Err(LoadgenError::Control {
                action: format!("POST {path} {body}"),
                reason: response.error_message(),
            })
        }
    }

    fn unreachable(&self, e: std::io::Error) -> LoadgenError {
        LoadgenError::Unreachable {
            addr: self.http,
            reason: e.to_string(),
        }
    }
}

impl GiaobanSession {
    /// Sends the publish offer, asking for `page` page slots (the thumbnails of its grid).
    pub async fn publish(&mut self, offer: String, page: usize) -> Result<String, LoadgenError> {
        self.send(&ClientMsg::Offer {
            sdp: offer,
            page: Some(page),
            // The simulated points share no screen.
            presentation: None,
        })
        .await?;
        let point = self.point.clone();
        tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            loop {
                match self.receive().await? {
                    ServerMsg::Answer { sdp } => return Ok(sdp),
                    other => self.keep(other),
                }
            }
        })
        .await
        .map_err(|_| LoadgenError::Signalling {
            point,
            reason: "no answer to the publish offer within 15 s".into(),
        })?
    }

    pub async fn next_event(&mut self) -> Result<SignalEvent, LoadgenError> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Ok(event);
            }
            let msg = self.receive().await?;
            self.keep(msg);
        }
    }

    pub async fn answer(&mut self, sdp: String) -> Result<(), LoadgenError> {
        self.send(&ClientMsg::Answer { sdp }).await
    }

    pub async fn view(&mut self, thumbnails: &[String]) -> Result<(), LoadgenError> {
        self.send(&ClientMsg::View {
            thumbnails: thumbnails.to_vec(),
        })
        .await
    }

    pub fn roster(&self) -> &[String] {
        &self.roster
    }

    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.sink.close()).await;
        self.reader.abort();
    }

    /// Queues what the media loop needs of a message; drops the rest (other state, quality).
    fn keep(&mut self, msg: ServerMsg) {
        match msg {
            // The first offer opens the slots; later ones (ICE restarts) list none and change
            // no m-line.
            ServerMsg::Offer { sdp, slots } => {
                let tracks = (!slots.is_empty()).then(|| {
                    slots
                        .into_iter()
                        .map(|s| TrackInfo {
                            mid: s.mid,
                            kind: s.kind,
                            point: None,
                        })
                        .collect()
                });
                self.queued.push_back(SignalEvent::Offer { sdp, tracks });
            }
            ServerMsg::Slots { feeds } => self.queued.push_back(SignalEvent::Slots(feeds)),
            ServerMsg::Publish {
                video,
                layers,
                audio,
            } => self.queued.push_back(SignalEvent::Publish {
                video,
                layers,
                audio,
            }),
            ServerMsg::BriefingState { state, .. } => {
                let (online, offline) = state
                    .points
                    .into_iter()
                    .partition::<Vec<_>, _>(|p| p.online);
                self.queued.push_back(SignalEvent::Presence {
                    online: online.into_iter().map(|p| p.name).collect(),
                    offline: offline.into_iter().map(|p| p.name).collect(),
                });
                self.queued.push_back(SignalEvent::Stage(state.stage));
            }
            // A delta carries the whole stage when it changed, and presence by name.
            ServerMsg::StateDelta { delta, .. } => {
                let mut online = delta.online;
                let mut offline = delta.offline;
                for p in delta.points {
                    if p.online {
                        online.push(p.name);
                    } else {
                        offline.push(p.name);
                    }
                }
                if !online.is_empty() || !offline.is_empty() {
                    self.queued
                        .push_back(SignalEvent::Presence { online, offline });
                }
                if let Some(stage) = delta.stage {
                    self.queued.push_back(SignalEvent::Stage(stage));
                }
            }
            _ => {}
        }
    }

    /// The next server message; a fatal `error` or a close becomes an error.
    async fn receive(&mut self) -> Result<ServerMsg, LoadgenError> {
        match self.incoming.recv().await {
            Some(msg) => msg,
            None => Err(self.failed("the server closed the connection".into())),
        }
    }

    fn failed(&self, reason: String) -> LoadgenError {
        LoadgenError::Signalling {
            point: self.point.clone(),
            reason,
        }
    }

    async fn send(&mut self, msg: &ClientMsg) -> Result<(), LoadgenError> {
        let text = serde_json::to_string(msg).map_err(|e| self.failed(e.to_string()))?;
        let point = self.point.clone();
        self.sink
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| LoadgenError::Signalling {
                point,
                reason: format!("WebSocket send: {e}"),
            })
    }
}

impl Drop for GiaobanSession {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Reads a point's WebSocket until it closes or the session is gone: server messages, with
/// a fatal `error` or a close turned into an error (the last item).
async fn read_messages(
    mut stream: SplitStream<WebSocketStream<TcpStream>>,
    point: String,
    tx: mpsc::UnboundedSender<Result<ServerMsg, LoadgenError>>,
) {
    let failed = |reason: String| LoadgenError::Signalling {
        point: point.clone(),
        reason,
    };
    loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                let why = frame
                    .map(|f| format!(" ({} {})", f.code, f.reason))
                    .unwrap_or_default();
                let _ = tx.send(Err(failed(format!(
                    "the server closed the connection{why}"
                ))));
                return;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                let _ = tx.send(Err(failed(format!("WebSocket error: {e}"))));
                return;
            }
            None => {
                let _ = tx.send(Err(failed("the server closed the connection".into())));
                return;
            }
        };
        let item = match serde_json::from_str::<ServerMsg>(text.as_str()) {
            Ok(ServerMsg::Error { code, message }) => match server_error(&point, code, &message) {
                Some(e) => Err(e),
                None => continue,
            },
            Ok(msg) => Ok(msg),
            Err(_) => match serde_json::from_str::<AnyError>(text.as_str()) {
                // An error code newer than this build is still an error to report.
                Ok(e) if e.kind == "error" => Err(failed(format!("{}: {}", e.code, e.message))),
                // Other message types a newer server may send are not ours to judge.
                _ => continue,
            },
        };
        let fatal = item.is_err();
        if tx.send(item).is_err() || fatal {
            return;
        }
    }
}

/// The error to end with for a server `error`; `None` for those that do not close.
fn server_error(point: &str, code: ErrorCode, message: &str) -> Option<LoadgenError> {
    let point = point.to_string();
    Some(match code {
        ErrorCode::NotAllowed | ErrorCode::RateLimited => return None,
        ErrorCode::Locked => LoadgenError::Locked { point },
        ErrorCode::InvalidToken | ErrorCode::RevokedToken | ErrorCode::Removed => {
            LoadgenError::LinkRefused {
                point,
                reason: format!("{}: {message}", code_name(code)),
            }
        }
        ErrorCode::Replaced => LoadgenError::Signalling {
            point,
            reason: "the same link connected again elsewhere (is another browser or loadgen \
                     using it?)"
                .into(),
        },
        other => LoadgenError::Signalling {
            point,
            reason: format!("{}: {message}", code_name(other)),
        },
    })
}

/// The JSON name of an error code.
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{code:?}"))
}

fn describe(invitation: &Invitation) -> String {
    if invitation.point.is_empty() {
        invitation.link.url.clone()
    } else {
        format!("{} ({})", invitation.point, invitation.link.url)
    }
}
