//! One WebSocket per connected point: handshake, SDP relay, presence. See docs/protocol.md.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use giaoban_briefing::{BriefingError, RollCallAnswer};
use giaoban_media::PeerId;
use giaoban_model::{
    BriefingInfo, ClientMsg, ErrorCode, MAX_SIGNAL_MESSAGE_BYTES, PROTOCOL_VERSION, PointInfo,
    PresenceInfo, ServerMsg,
};
use giaoban_store::{AuthError, Invitation};
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::direction::{DirectionError, unix_ms};
use crate::media_loop::PeerSignal;
use crate::registry::Outbound;
use crate::state::AppState;

/// Most thumbnails a client may say it displays.
const MAX_VIEW: usize = 100;
/// How long a client may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Least time between two ICE restarts a connection may ask for.
const ICE_RESTART_INTERVAL: Duration = Duration::from_secs(2);
/// Frames above this are refused by the WebSocket layer itself; between
/// [`MAX_SIGNAL_MESSAGE_BYTES`] and this, we answer `too_large` before closing.
const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// `GET /ws`.
pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| connection(socket, state))
}

/// Why a connection ends.
struct Fatal(ErrorCode, String);

async fn connection(mut socket: WebSocket, state: AppState) {
    let invitation = match handshake(&mut socket, &state).await {
        Ok(invitation) => invitation,
        Err(Fatal(code, message)) => {
            close_with_error(&mut socket, code, message).await;
            return;
        }
    };
    let span = info_span!(
        "point",
        briefing = %invitation.briefing.id,
        point = %invitation.point.name
    );
    session(socket, state, invitation).instrument(span).await;
}

async fn handshake(socket: &mut WebSocket, state: &AppState) -> Result<Invitation, Fatal> {
    let first = tokio::time::timeout(HELLO_TIMEOUT, next_message(socket))
        .await
        .map_err(|_| {
            Fatal(
                ErrorCode::BadMessage,
                "no hello within 10 seconds".to_string(),
            )
        })?;
    let Some(msg) = first? else {
        return Err(Fatal(ErrorCode::BadMessage, "closed before hello".into()));
    };
    let ClientMsg::Hello { version, token } = msg else {
        return Err(Fatal(
            ErrorCode::BadMessage,
            "the first message must be hello".into(),
        ));
    };
    if version != PROTOCOL_VERSION {
        return Err(Fatal(
            ErrorCode::UnsupportedVersion,
            format!("this server speaks protocol version {PROTOCOL_VERSION}, not {version}"),
        ));
    }
    state.store.verify_token(&token).map_err(|e| match e {
        AuthError::Revoked => Fatal(
            ErrorCode::RevokedToken,
            "this invitation link has been revoked".into(),
        ),
        AuthError::Store(e) => {
            warn!("store failure during hello: {e}");
            Fatal(
                ErrorCode::Internal,
                "the server could not check the link".into(),
            )
        }
        _ => Fatal(
            ErrorCode::InvalidToken,
            "the invitation token is invalid".into(),
        ),
    })
}

async fn session(mut socket: WebSocket, state: AppState, invitation: Invitation) {
    let briefing = invitation.briefing;
    let point = invitation.point;
    if let Err(e) = state.direction.join(&briefing.id, &point.name) {
        let (code, message) = match e {
            DirectionError::Briefing(BriefingError::Locked) => (
                ErrorCode::Locked,
                "the briefing is locked: no new joins".to_string(),
            ),
            DirectionError::Briefing(BriefingError::Removed(_)) => (
                ErrorCode::Removed,
                "the host removed this point from the briefing".to_string(),
            ),
            other => {
                warn!("cannot join: {other:?}");
                (
                    ErrorCode::Internal,
                    "the server could not admit this point".to_string(),
                )
            }
        };
        close_with_error(&mut socket, code, message).await;
        return;
    }
    let session_row = match state.store.record_join(&briefing.id, &point.id, unix_ms()) {
        Ok(row) => Some(row),
        Err(e) => {
            warn!("cannot record the join: {e}");
            None
        }
    };
    let conn_id = state.registry.next_id();
    let peer = PeerId(conn_id);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outbound>();
    let (sig_tx, mut sig_rx) = mpsc::unbounded_channel::<PeerSignal>();

    let came_online = state.registry.connect(
        &briefing.id,
        &point.id,
        &point.name,
        point.role,
        conn_id,
        out_tx,
    );
    info!(conn = conn_id, "point connected");

    let welcome = match welcome(&state, &briefing, &point) {
        Ok(w) => w,
        Err(e) => {
            warn!("cannot build welcome: {e}");
            close_with_error(&mut socket, ErrorCode::Internal, "internal error".into()).await;
            if state.registry.disconnect(&briefing.id, &point.id, conn_id) {
                state.direction.leave(&briefing.id, &point.name);
            }
            if let Some(row) = session_row
                && let Err(e) = state.store.record_leave(row, unix_ms(), None)
            {
                warn!("cannot record the leave: {e}");
            }
            return;
        }
    };
    let mut alive = send(&mut socket, &welcome).await;
    if let Ok(msg) = state.direction.state(&briefing.id) {
        alive = alive && send(&mut socket, &msg).await;
    }
    if came_online {
        let presence = ServerMsg::Presence {
            point: point.name.clone(),
            online: true,
        };
        state
            .registry
            .broadcast(&briefing.id, Some(&point.id), &presence);
    }

    let mut published = false;
    let mut pending_view: Option<Vec<String>> = None;
    let mut last_ice_restart: Option<std::time::Instant> = None;
    let mut audio_only = false;
    while alive {
        tokio::select! {
            incoming = next_message(&mut socket) => match incoming {
                Ok(Some(ClientMsg::Offer { sdp })) if !published => {
                    match state
                        .media
                        .join(peer, briefing.id.clone(), point.name.clone(), sdp, sig_tx.clone())
                        .await
                    {
                        Ok(answer) => {
                            published = true;
                            if let Some(view) = pending_view.take() {
                                state.media.set_view(peer, view);
                            }
                            if audio_only {
                                state.media.set_audio_only(peer, true);
                            }
                            alive = send(&mut socket, &ServerMsg::Answer { sdp: answer }).await;
                        }
                        Err(e) => {
                            debug!("offer refused: {e}");
                            close_with_error(&mut socket, ErrorCode::BadSdp, e.to_string()).await;
                            alive = false;
                        }
                    }
                }
                Ok(Some(ClientMsg::Answer { sdp })) if published => {
                    if let Err(e) = state.media.answer(peer, sdp).await {
                        debug!("answer refused: {e}");
                        close_with_error(&mut socket, ErrorCode::BadSdp, e.to_string()).await;
                        alive = false;
                    }
                }
                Ok(Some(ClientMsg::AudioOnly { on })) => {
                    audio_only = on;
                    if published {
                        state.media.set_audio_only(peer, on);
                    }
                }
                Ok(Some(ClientMsg::IceRestart)) if published => {
                    // Each restart costs an offer and an answer: one per interval at most,
                    // the rest are ignored (the client retries if media stays down).
                    if last_ice_restart.is_none_or(|t| t.elapsed() >= ICE_RESTART_INTERVAL) {
                        last_ice_restart = Some(std::time::Instant::now());
                        state.media.restart_ice(peer);
                    }
                }
                Ok(Some(ClientMsg::View { thumbnails })) => {
                    if thumbnails.len() > MAX_VIEW {
                        let message = format!("a view lists at most {MAX_VIEW} points");
                        alive = send_error(&mut socket, ErrorCode::BadMessage, message).await;
                    } else if published {
                        state.media.set_view(peer, thumbnails);
                    } else {
                        pending_view = Some(thumbnails);
                    }
                }
                Ok(Some(ClientMsg::RaiseHand { topic })) => {
                    let result = state.direction.act(&briefing.id, |core, now| {
                        core.raise_hand(&point.name, topic, now)
                    });
                    alive = report(&mut socket, result).await;
                }
                Ok(Some(ClientMsg::LowerHand)) => {
                    let result = state
                        .direction
                        .act(&briefing.id, |core, _| core.lower_hand(&point.name).map(|_| ()));
                    alive = report(&mut socket, result).await;
                }
                Ok(Some(ClientMsg::RollCallAnswer)) => {
                    let result = state.direction.act(&briefing.id, |core, now| {
                        core.answer_roll_call(&point.name, RollCallAnswer::Present, now)
                    });
                    alive = report(&mut socket, result).await;
                }
                Ok(Some(other)) => {
                    let message = format!("unexpected message {}", kind_of(&other));
                    close_with_error(&mut socket, ErrorCode::BadMessage, message).await;
                    alive = false;
                }
                Ok(None) => alive = false,
                Err(Fatal(code, message)) => {
                    close_with_error(&mut socket, code, message).await;
                    alive = false;
                }
            },
            outbound = out_rx.recv() => match outbound {
                Some(Outbound::Send(msg)) => alive = send(&mut socket, &msg).await,
                Some(Outbound::Close(code, message)) => {
                    close_with_error(&mut socket, code, message).await;
                    alive = false;
                }
                None => alive = false,
            },
            signal = sig_rx.recv() => match signal {
                Some(PeerSignal::Offer { sdp, tracks }) => {
                    alive = send(&mut socket, &ServerMsg::Offer { sdp, tracks }).await;
                }
                Some(PeerSignal::LowBandwidth { kbps }) => {
                    alive = send(&mut socket, &ServerMsg::SuggestAudioOnly { kbps }).await;
                }
                Some(PeerSignal::Lost) => {
                    close_with_error(
                        &mut socket,
                        ErrorCode::Internal,
                        "the media connection was lost; reconnect".into(),
                    )
                    .await;
                    alive = false;
                }
                None => alive = false,
            },
        }
    }

    if published {
        state.media.leave(peer);
    }
    let mut quality = None;
    if state.registry.disconnect(&briefing.id, &point.id, conn_id) {
        // Only the point's newest connection takes it offline.
        quality = state.direction.leave(&briefing.id, &point.name);
        let presence = ServerMsg::Presence {
            point: point.name.clone(),
            online: false,
        };
        state.registry.broadcast(&briefing.id, None, &presence);
    }
    if let Some(row) = session_row
        && let Err(e) = state.store.record_leave(row, unix_ms(), quality)
    {
        warn!("cannot record the leave: {e}");
    }
    info!(conn = conn_id, "point disconnected");
}

fn welcome(
    state: &AppState,
    briefing: &giaoban_store::Briefing,
    point: &giaoban_store::Point,
) -> Result<ServerMsg, giaoban_store::StoreError> {
    let online = state.registry.online(&briefing.id);
    let points = state
        .store
        .points(&briefing.id)?
        .into_iter()
        .filter(|p| !p.revoked)
        .map(|p| PresenceInfo {
            online: online.contains(&p.name),
            name: p.name,
            role: p.role,
        })
        .collect();
    Ok(ServerMsg::Welcome {
        version: PROTOCOL_VERSION,
        briefing: BriefingInfo {
            id: briefing.id.0.clone(),
            title: briefing.title.clone(),
            scheduled_start: briefing.scheduled_start.clone(),
        },
        point: PointInfo {
            name: point.name.clone(),
            role: point.role,
        },
        points,
        ice_servers: state
            .turn
            .iter()
            .map(|turn| turn.ice_server(unix_ms() / 1000, &format!("p{}", point.id.0)))
            .collect(),
    })
}

/// Reads the next client message. `Ok(None)` when the peer closed.
async fn next_message(socket: &mut WebSocket) -> Result<Option<ClientMsg>, Fatal> {
    loop {
        let Some(frame) = socket.recv().await else {
            return Ok(None);
        };
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Binary(_)) => {
                return Err(Fatal(
                    ErrorCode::BadMessage,
                    "binary frames are not part of the protocol".into(),
                ));
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) => return Ok(None),
            Err(e) => {
                debug!("websocket error: {e}");
                return Ok(None);
            }
        };
        if text.len() > MAX_SIGNAL_MESSAGE_BYTES {
            return Err(Fatal(
                ErrorCode::TooLarge,
                format!(
                    "message of {} bytes exceeds the limit of {MAX_SIGNAL_MESSAGE_BYTES}",
                    text.len()
                ),
            ));
        }
        return serde_json::from_str(text.as_str())
            .map(Some)
            .map_err(|e| Fatal(ErrorCode::BadMessage, format!("invalid message: {e}")));
    }
}

/// Sends an error that does not end the connection.
async fn send_error(socket: &mut WebSocket, code: ErrorCode, message: String) -> bool {
    send(socket, &ServerMsg::Error { code, message }).await
}

/// Reports the outcome of a point's briefing action: nothing on success (the new state is
/// broadcast), an error message otherwise.
async fn report(socket: &mut WebSocket, result: Result<(), DirectionError>) -> bool {
    match result {
        Ok(()) => true,
        Err(DirectionError::Briefing(e)) => {
            let code = match e {
                BriefingError::Invalid(_) => ErrorCode::BadMessage,
                _ => ErrorCode::NotAllowed,
            };
            send_error(socket, code, e.to_string()).await
        }
        Err(other) => {
            warn!("briefing action failed: {other:?}");
            send_error(socket, ErrorCode::Internal, "internal error".into()).await
        }
    }
}

async fn send(socket: &mut WebSocket, msg: &ServerMsg) -> bool {
    let Ok(text) = serde_json::to_string(msg) else {
        return false;
    };
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn close_with_error(socket: &mut WebSocket, code: ErrorCode, message: String) {
    let _ = send(socket, &ServerMsg::Error { code, message }).await;
    let close_code = match code {
        ErrorCode::TooLarge => close_code::SIZE,
        ErrorCode::Internal => close_code::ERROR,
        _ => close_code::POLICY,
    };
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: close_code,
            reason: "".into(),
        })))
        .await;
}

fn kind_of(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Hello { .. } => "hello",
        ClientMsg::Offer { .. } => "offer (only one per connection)",
        ClientMsg::Answer { .. } => "answer (no offer outstanding)",
        ClientMsg::IceRestart => "ice_restart (nothing published yet)",
        _ => "of unknown type",
    }
}
