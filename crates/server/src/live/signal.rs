//! One WebSocket per connected point: handshake, SDP relay, presence. See docs/protocol.md.

use std::error::Error as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use giaoban_briefing::{BriefingError, RollCallAnswer};
use giaoban_media::{MediaError, PeerId, SlotCounts};
use giaoban_model::{
    BriefingId, BriefingInfo, ClientMsg, ErrorCode, Limits, MAX_PAGE_SLOTS,
    MAX_SIGNAL_MESSAGE_BYTES, PROTOCOL_VERSION, PointInfo, Role, ServerMsg,
};
use giaoban_store::{AuthError, Invitation, Point, StoreError};
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, info_span, warn};

use super::direction::DirectionError;
use super::limits::SignalLimits;
use super::rate::{Limiter, Verdict};
use super::registry::{Outbound, Outbox, SocketSlot};
use super::{Live, comments};
use crate::clock::unix_ms;
use crate::media_io::media_loop::{PEER_SIGNAL_QUEUE, PeerSignal};

/// Most thumbnails a client may say it displays.
const MAX_VIEW: usize = 100;
/// How long a client may take to say `hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Least time between two ICE restarts a connection may ask for.
const ICE_RESTART_INTERVAL: Duration = Duration::from_secs(2);
/// Frames above this are refused by the WebSocket layer itself from their header, before
/// their payload is read; between [`MAX_SIGNAL_MESSAGE_BYTES`] and this, after reading them.
/// Both are answered `too_large` before closing.
const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// What the WebSocket layer reads from a connection at a time (tungstenite's default is
/// 128 KiB, allocated per connection: 128 KiB of memory per point). A point sends small
/// messages (an answer's SDP is a few KiB); a larger one is read in more steps.
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Longest a message may take to be written to a client before the connection counts as
/// stuck and is dropped. Large: a server offer for a big briefing is hundreds of kilobytes,
/// and a weak link carries 150 kbit/s.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest the error and close frames that end a connection may take to be written.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a socket whose message was too large stays open after the error, so that a
/// client still sending the rest can read it instead of meeting a reset connection.
const TOO_LARGE_LINGER: Duration = Duration::from_secs(1);

/// `GET /ws`.
pub fn upgrade(ws: WebSocketUpgrade, state: Live) -> Response {
    // Counted before the upgrade, so that a refused socket costs no handshake or store work.
    let slot = state.registry.open_socket(state.limits.max_connections);
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |mut socket| async move {
            match slot {
                Some(slot) => connection(socket, state, slot).await,
                None => {
                    let message = format!(
                        "this server has {} connections open, its limit; try again later",
                        state.limits.max_connections
                    );
                    close_with_error(&mut socket, ErrorCode::TooManyConnections, message).await;
                }
            }
        })
}

/// Why a connection ends.
struct Fatal(ErrorCode, String);

async fn connection(mut socket: WebSocket, state: Live, mut slot: SocketSlot) {
    let invitation = match handshake(&mut socket, &state).await {
        Ok(invitation) => invitation,
        Err(Fatal(code, message)) => {
            close_with_error(&mut socket, code, message).await;
            return;
        }
    };
    let briefing = &invitation.briefing.id;
    let invited = match state.store.points(briefing) {
        Ok(points) => points.len(),
        Err(e) => {
            warn!("cannot count the points of {briefing}: {e}");
            close_with_error(&mut socket, ErrorCode::Internal, "internal error".into()).await;
            return;
        }
    };
    let max = SignalLimits::per_briefing(invited);
    if !state.registry.enter_briefing(&mut slot, briefing, max) {
        let message =
            format!("this briefing has {max} connections open, its limit; try again later");
        close_with_error(&mut socket, ErrorCode::TooManyConnections, message).await;
        return;
    }
    let span = info_span!(
        "point",
        briefing = %invitation.briefing.id,
        point = %invitation.point.name
    );
    session(socket, state, invitation).instrument(span).await;
    drop(slot);
}

async fn handshake(socket: &mut WebSocket, state: &Live) -> Result<Invitation, Fatal> {
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

async fn session(mut socket: WebSocket, state: Live, invitation: Invitation) {
    let briefing = invitation.briefing;
    let point = invitation.point;
    if let Err(e) = state.direction.join(&briefing.id, &point.name).await {
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
    // The only sender goes to the media loop with the offer, so that the loop can cut this
    // connection off by dropping it (see `media_loop::PEER_SIGNAL_QUEUE`).
    let (sig_tx, mut sig_rx) = mpsc::channel::<PeerSignal>(PEER_SIGNAL_QUEUE);
    let mut sig_tx = Some(sig_tx);

    let outbox = state
        .registry
        .connect(&briefing.id, &point.id, &point.name, point.role, conn_id);
    let mut link = Link { socket, outbox };
    info!(conn = conn_id, "point connected");

    let welcome = match welcome(&state, &briefing, &point) {
        Ok(w) => w,
        Err(e) => {
            warn!("cannot build welcome: {e}");
            link.close(ErrorCode::Internal, "internal error".into())
                .await;
            if state.registry.disconnect(&briefing.id, &point.id, conn_id) {
                state.direction.leave(&briefing.id, &point.name).await;
            }
            if let Some(row) = session_row
                && let Err(e) = state.store.record_leave(row, unix_ms(), None)
            {
                warn!("cannot record the leave: {e}");
            }
            return;
        }
    };
    let mut alive = link.send(&welcome).await;
    if let Ok(msg) = state.direction.state(&briefing.id).await {
        alive = alive && link.send(&msg).await;
    }
    match comments::readable(&state.store, &briefing.id, &point.name, point.role) {
        Ok(list) if !list.is_empty() => {
            alive = alive && link.send(&ServerMsg::Comments { comments: list }).await;
        }
        Ok(_) => {}
        Err(e) => warn!("cannot read the comments: {e}"),
    }

    let mut published = false;
    let mut pending_view: Option<Vec<String>> = None;
    let mut last_ice_restart: Option<Instant> = None;
    let mut audio_only = false;
    let mut limiters = Limiters::new(&state.limits, Instant::now());
    while alive {
        tokio::select! {
            incoming = next_message(&mut link.socket) => {
                let msg = match incoming {
                    Ok(Some(msg)) => msg,
                    Ok(None) => break,
                    Err(Fatal(code, message)) => {
                        link.close(code, message).await;
                        break;
                    }
                };
                match limiters.check(&msg, Instant::now()) {
                    Verdict::Pass => {}
                    verdict => {
                        state.registry.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                        let message = format!("too many {} messages; slow down", kind_of(&msg));
                        alive = match verdict {
                            Verdict::Refuse => link.error(ErrorCode::RateLimited, message).await,
                            Verdict::Flood => {
                                warn!(conn = conn_id, "message flood: disconnected");
                                link.close(ErrorCode::RateLimited, message).await;
                                false
                            }
                            _ => true,
                        };
                        continue;
                    }
                }
                match msg {
                    ClientMsg::Offer { sdp, page, presentation } if !published => {
                        if let Err(message) = check_offer_mlines(&sdp, presentation.is_some()) {
                            link.close(ErrorCode::BadSdp, message).await;
                            break;
                        }
                        let Some(signals) = sig_tx.take() else {
                            break;
                        };
                        let slots = SlotCounts::with_page(page_slots(point.role, page))
                            .presenting_on(presentation);
                        match state
                            .media
                            .join(
                                peer,
                                briefing.id.clone(),
                                point.name.clone(),
                                sdp,
                                slots,
                                signals,
                            )
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
                                alive = link.send(&ServerMsg::Answer { sdp: answer }).await;
                            }
                            Err(e) => {
                                debug!("offer refused: {e}");
                                link.close(ErrorCode::BadSdp, sdp_refusal(&e)).await;
                                alive = false;
                            }
                        }
                    }
                    ClientMsg::Answer { sdp } if published => {
                        if let Err(e) = state.media.answer(peer, sdp).await {
                            debug!("answer refused: {e}");
                            link.close(ErrorCode::BadSdp, sdp_refusal(&e)).await;
                            alive = false;
                        }
                    }
                    ClientMsg::AudioOnly { on } => {
                        audio_only = on;
                        if published {
                            state.media.set_audio_only(peer, on);
                        }
                    }
                    ClientMsg::IceRestart if published => {
                        // Each restart costs an offer and an answer: one per interval at most,
                        // the rest are ignored (the client retries if media stays down).
                        if last_ice_restart.is_none_or(|t| t.elapsed() >= ICE_RESTART_INTERVAL) {
                            last_ice_restart = Some(Instant::now());
                            state.media.restart_ice(peer);
                        }
                    }
                    ClientMsg::View { thumbnails } => {
                        if thumbnails.len() > MAX_VIEW {
                            let message = format!("a view lists at most {MAX_VIEW} points");
                            alive = link.error(ErrorCode::BadMessage, message).await;
                        } else if published {
                            state.media.set_view(peer, thumbnails);
                        } else {
                            pending_view = Some(thumbnails);
                        }
                    }
                    ClientMsg::RaiseHand { topic } => {
                        let name = point.name.clone();
                        let result = state
                            .direction
                            .act(&briefing.id, move |core, now| core.raise_hand(&name, topic, now))
                            .await;
                        alive = link.report(result).await;
                    }
                    ClientMsg::LowerHand => {
                        let name = point.name.clone();
                        let result = state
                            .direction
                            .act(&briefing.id, move |core, _| core.lower_hand(&name).map(|_| ()))
                            .await;
                        alive = link.report(result).await;
                    }
                    ClientMsg::Devices { mic, camera } => {
                        let name = point.name.clone();
                        let result = state
                            .direction
                            .act(&briefing.id, move |core, _| {
                                core.set_devices(&name, mic, camera);
                                Ok(())
                            })
                            .await;
                        alive = link.report(result).await;
                    }
                    ClientMsg::Present { on } => {
                        let name = point.name.clone();
                        let result = state
                            .direction
                            .act(&briefing.id, move |core, now| {
                                if on {
                                    core.start_presentation(&name, now)
                                } else {
                                    core.stop_presentation(&name, now);
                                    Ok(())
                                }
                            })
                            .await;
                        alive = link.report(result).await;
                    }
                    ClientMsg::Comment { text, to_all } => {
                        alive = match comment(&state, &briefing.id, &point, &text, to_all).await {
                            Ok(()) => true,
                            Err((code, message)) => link.error(code, message).await,
                        };
                    }
                    ClientMsg::RollCallAnswer => {
                        let name = point.name.clone();
                        let result = state
                            .direction
                            .act(&briefing.id, move |core, now| {
                                core.answer_roll_call(&name, RollCallAnswer::Present, now)
                            })
                            .await;
                        alive = link.report(result).await;
                    }
                    other => {
                        let message = format!("unexpected message {}", unexpected(&other));
                        link.close(ErrorCode::BadMessage, message).await;
                        alive = false;
                    }
                }
            },
            outbound = link.outbox.recv() => match outbound {
                Some(Outbound::Text(text)) => alive = link.write(Message::Text(text)).await,
                Some(Outbound::Resync) => {
                    if let Ok(msg) = state.direction.state(&briefing.id).await {
                        alive = link.send(&msg).await;
                    }
                }
                Some(Outbound::Close(code, message)) => {
                    link.close(code, message).await;
                    alive = false;
                }
                None => alive = false,
            },
            signal = sig_rx.recv() => match signal {
                Some(PeerSignal::Offer { sdp, slots }) => {
                    alive = link.send(&ServerMsg::Offer { sdp, slots }).await;
                }
                Some(PeerSignal::Slots { feeds }) => {
                    alive = link.send(&ServerMsg::Slots { feeds }).await;
                }
                Some(PeerSignal::Publish(wanted)) => {
                    let msg = ServerMsg::Publish {
                        video: wanted.video,
                        layers: wanted.layers,
                        audio: wanted.audio,
                    };
                    alive = link.send(&msg).await;
                }
                Some(PeerSignal::LowBandwidth { kbps }) => {
                    alive = link.send(&ServerMsg::SuggestAudioOnly { kbps }).await;
                }
                Some(PeerSignal::Lost) => {
                    link.close(
                        ErrorCode::Internal,
                        "the media connection was lost; reconnect".into(),
                    )
                    .await;
                    alive = false;
                }
                None => {
                    // The media loop dropped the only sender: this connection left its
                    // signals unread until their queue was full.
                    state.registry.stats.slow_consumers.fetch_add(1, Ordering::Relaxed);
                    link.close(
                        ErrorCode::SlowConsumer,
                        "this connection did not keep up with the media signalling; reconnect"
                            .into(),
                    )
                    .await;
                    alive = false;
                }
            },
        }
    }
    // A close asked for while a write was under way (a revocation, a slow consumer).
    if let Some((code, message)) = link.outbox.take_close() {
        link.close(code, message).await;
    }

    if published {
        state.media.leave(peer);
    }
    let mut quality = None;
    if state.registry.disconnect(&briefing.id, &point.id, conn_id) {
        // Only the point's newest connection takes it offline.
        quality = state.direction.leave(&briefing.id, &point.name).await;
    }
    if let Some(row) = session_row
        && let Err(e) = state.store.record_leave(row, unix_ms(), quality)
    {
        warn!("cannot record the leave: {e}");
    }
    info!(conn = conn_id, "point disconnected");
}

/// A registered connection: its socket and its queue. Every write gives up when the
/// connection is asked to close, so that a client that stopped reading cannot hold a
/// revocation or a `slow_consumer` verdict back.
struct Link {
    socket: WebSocket,
    outbox: Outbox,
}

impl Link {
    async fn send(&mut self, msg: &ServerMsg) -> bool {
        match serde_json::to_string(msg) {
            Ok(text) => self.write(Message::Text(Utf8Bytes::from(text))).await,
            Err(_) => false,
        }
    }

    async fn write(&mut self, message: Message) -> bool {
        tokio::select! {
            sent = write(&mut self.socket, message) => sent,
            () = self.outbox.closing() => false,
        }
    }

    /// Sends an error that does not end the connection.
    async fn error(&mut self, code: ErrorCode, message: String) -> bool {
        self.send(&ServerMsg::Error { code, message }).await
    }

    async fn close(&mut self, code: ErrorCode, message: String) {
        close_with_error(&mut self.socket, code, message).await;
    }

    /// Reports the outcome of a point's briefing action: nothing on success (the new state is
    /// broadcast), an error message otherwise.
    async fn report(&mut self, result: Result<(), DirectionError>) -> bool {
        match result {
            Ok(()) => true,
            Err(DirectionError::Briefing(e)) => {
                let code = match e {
                    BriefingError::Invalid(_) => ErrorCode::BadMessage,
                    _ => ErrorCode::NotAllowed,
                };
                self.error(code, e.to_string()).await
            }
            Err(other) => {
                warn!("briefing action failed: {other:?}");
                self.error(ErrorCode::Internal, "internal error".into())
                    .await
            }
        }
    }
}

/// The rate limits of one connection, by kind of message.
struct Limiters {
    directing: Limiter,
    sdp: Limiter,
    comments: Limiter,
}

impl Limiters {
    fn new(limits: &SignalLimits, now: Instant) -> Limiters {
        Limiters {
            directing: Limiter::new(limits.directing, now),
            sdp: Limiter::new(limits.sdp, now),
            comments: Limiter::new(limits.comments, now),
        }
    }

    fn check(&mut self, msg: &ClientMsg, now: Instant) -> Verdict {
        match msg {
            ClientMsg::Offer { .. } | ClientMsg::Answer { .. } => self.sdp.check(now),
            ClientMsg::Comment { .. } => self.comments.check(now),
            // A second hello ends the connection anyway.
            ClientMsg::Hello { .. } => Verdict::Pass,
            _ => self.directing.check(now),
        }
    }
}

/// Stores a point's written comment and tells those who may read it.
async fn comment(
    state: &Live,
    briefing: &BriefingId,
    point: &Point,
    text: &str,
    to_all: bool,
) -> Result<(), (ErrorCode, String)> {
    let refused = |message: &str| (ErrorCode::NotAllowed, message.to_owned());
    if to_all {
        let open = state
            .direction
            .act(briefing, |core, _| Ok(core.comments_to_all()))
            .await
            .unwrap_or(false);
        if !open {
            return Err(refused(
                "the host has not opened comments to everybody: send it to the host",
            ));
        }
    }
    let written = state
        .store
        .count_comments(briefing, &point.id)
        .map_err(|e| comment_refusal(&e))?;
    if written >= comments::MAX_COMMENTS_PER_POINT {
        return Err(refused(&format!(
            "a point writes at most {} comments in a briefing",
            comments::MAX_COMMENTS_PER_POINT
        )));
    }
    let stored = state
        .store
        .add_comment(briefing, &point.id, text, to_all, unix_ms())
        .map_err(|e| comment_refusal(&e))?;
    comments::tell(&state.registry, briefing, &stored);
    Ok(())
}

/// A comment the store refused, in words for the point.
fn comment_refusal(e: &StoreError) -> (ErrorCode, String) {
    match e {
        StoreError::Invalid(m) => (ErrorCode::BadMessage, m.to_string()),
        StoreError::Conflict(m) | StoreError::NotFound(m) => (ErrorCode::NotAllowed, m.to_string()),
        other => {
            warn!("cannot store a comment: {other}");
            (
                ErrorCode::Internal,
                "the comment could not be stored".into(),
            )
        }
    }
}

/// Refuses a publish offer with more than one audio and one video m-line (two video m-lines
/// when the second carries a shared screen), before the SDP is parsed: the media session is
/// sized by what the offer lists.
fn check_offer_mlines(sdp: &str, screen: bool) -> Result<(), String> {
    let (max_video, allowed) = if screen {
        (2, "one audio and two video m-lines (camera and screen)")
    } else {
        (1, "one audio and one video m-line")
    };
    let (mut audio, mut video, mut total) = (0usize, 0usize, 0usize);
    for line in sdp.lines() {
        if let Some(media) = line.strip_prefix("m=") {
            total += 1;
            if media.starts_with("audio") {
                audio += 1;
            } else if media.starts_with("video") {
                video += 1;
            }
        }
    }
    if total > audio + video || audio > 1 || video > max_video {
        return Err(format!(
            "an offer publishes at most {allowed}; this one has {total} m-lines ({audio} \
             audio, {video} video)"
        ));
    }
    Ok(())
}

fn welcome(
    state: &Live,
    briefing: &giaoban_store::Briefing,
    point: &giaoban_store::Point,
) -> Result<ServerMsg, giaoban_store::StoreError> {
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
        ice_servers: state
            .turn
            .iter()
            .map(|turn| turn.ice_server(unix_ms() / 1000, &format!("p{}", point.id.0)))
            .collect(),
        limits: Limits {
            topic_chars: giaoban_briefing::MAX_TOPIC_CHARS,
            view_points: MAX_VIEW,
            floor_seconds: giaoban_briefing::MAX_FLOOR_SECONDS,
            substitute_chars: giaoban_briefing::MAX_SUBSTITUTE_CHARS,
            reason_chars: giaoban_briefing::MAX_REASON_CHARS,
            comment_chars: giaoban_store::MAX_COMMENT_CHARS,
        },
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
                if is_too_long(&e) {
                    return Err(Fatal(
                        ErrorCode::TooLarge,
                        format!("a message may not exceed {MAX_SIGNAL_MESSAGE_BYTES} bytes"),
                    ));
                }
                debug!("websocket error: {e}");
                return Ok(None);
            }
        };
        if text.len() > MAX_SIGNAL_MESSAGE_BYTES {
            return Err(Fatal(
                ErrorCode::TooLarge,
                format!(
                    "a message may not exceed {MAX_SIGNAL_MESSAGE_BYTES} bytes; this one has {}",
                    text.len()
                ),
            ));
        }
        return serde_json::from_str(text.as_str()).map(Some).map_err(|e| {
            let reason = crate::wording::without_type_names(&e.to_string());
            Fatal(ErrorCode::BadMessage, format!("invalid message: {reason}"))
        });
    }
}

/// Whether the WebSocket layer refused a frame or message for its size, from its header.
fn is_too_long(e: &axum::Error) -> bool {
    e.source()
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

/// Writes one message, giving up after [`SEND_TIMEOUT`].
async fn write(socket: &mut WebSocket, message: Message) -> bool {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(sent) => sent.is_ok(),
        Err(_) => {
            warn!("a message could not be written for {SEND_TIMEOUT:?}: the client is stuck");
            false
        }
    }
}

async fn send(socket: &mut WebSocket, msg: &ServerMsg) -> bool {
    let Ok(text) = serde_json::to_string(msg) else {
        return false;
    };
    write(socket, Message::Text(text.into())).await
}

/// Sends `code` and closes, within [`CLOSE_TIMEOUT`]: a client that does not read gets
/// nothing more, and its socket is dropped.
async fn close_with_error(socket: &mut WebSocket, code: ErrorCode, message: String) {
    let close_code = match code {
        ErrorCode::TooLarge => close_code::SIZE,
        ErrorCode::Internal => close_code::ERROR,
        ErrorCode::TooManyConnections => close_code::AGAIN,
        _ => close_code::POLICY,
    };
    let closing = async {
        let _ = send(socket, &ServerMsg::Error { code, message }).await;
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: close_code,
                reason: "".into(),
            })))
            .await;
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
    if code == ErrorCode::TooLarge {
        tokio::time::sleep(TOO_LARGE_LINGER).await;
    }
}

/// The kind of a message, for people.
fn kind_of(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Hello { .. } => "hello",
        ClientMsg::Offer { .. } => "offer",
        ClientMsg::Answer { .. } => "answer",
        ClientMsg::RaiseHand { .. } => "raise_hand",
        ClientMsg::LowerHand => "lower_hand",
        ClientMsg::RollCallAnswer => "roll_call_answer",
        ClientMsg::View { .. } => "view",
        ClientMsg::AudioOnly { .. } => "audio_only",
        ClientMsg::IceRestart => "ice_restart",
        ClientMsg::Devices { .. } => "devices",
        ClientMsg::Present { .. } => "present",
        ClientMsg::Comment { .. } => "comment",
        _ => "unknown",
    }
}

/// Why a message is unexpected now, for people.
fn unexpected(msg: &ClientMsg) -> &'static str {
    match msg {
        ClientMsg::Hello { .. } => "hello",
        ClientMsg::Offer { .. } => "offer (only one per connection)",
        ClientMsg::Answer { .. } => "answer (no offer outstanding)",
        ClientMsg::IceRestart => "ice_restart (nothing published yet)",
        _ => "of unknown type",
    }
}

#[cfg(test)]
mod tests;

/// Page slots a host's grid gets unless its client asks otherwise: a 5 × 5 page.
pub const HOST_PAGE_SLOTS: usize = 25;
/// Page slots a bridge point's grid gets unless its client asks otherwise.
pub const POINT_PAGE_SLOTS: usize = 6;

/// The page slots of a point: what its client asks for, within [`MAX_PAGE_SLOTS`], else the
/// default of its role.
fn page_slots(role: Role, asked: Option<usize>) -> usize {
    let default = match role {
        Role::Host => HOST_PAGE_SLOTS,
        _ => POINT_PAGE_SLOTS,
    };
    asked.unwrap_or(default).min(MAX_PAGE_SLOTS)
}

/// What a client is told when its SDP cannot be used: the reason in the server's words, not
/// the media library's.
fn sdp_refusal(e: &MediaError) -> String {
    match e {
        MediaError::MalformedSdp(_) => "the SDP could not be parsed".into(),
        MediaError::RejectedSdp(_) => {
            "the SDP offers nothing this server can use (Opus audio, VP8 video)".into()
        }
        MediaError::NoPendingOffer => "no offer of the server waits for an answer".into(),
        _ => "the media session could not be set up".into(),
    }
}
