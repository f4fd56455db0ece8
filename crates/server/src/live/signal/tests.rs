//! WebSocket tests of the signalling limits, against the router on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use giaoban_model::{QualityInfo, ServerMsg};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::check_offer_mlines;
use crate::live::limits::SignalLimits;
use crate::live::rate::Rate;
use crate::live::registry::OUTBOUND_QUEUE;
use crate::live::revocation;
use crate::test_app::TestApp;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest any test waits for something to happen.
const DEADLINE: Duration = Duration::from_secs(20);

/// Opens a socket and says hello with `token`.
async fn hello(addr: SocketAddr, token: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "hello", "version": giaoban_model::PROTOCOL_VERSION, "token": token}),
    )
    .await;
    ws
}

/// Says hello with `token` and reads up to `welcome`.
async fn join(addr: SocketAddr, token: &str) -> Ws {
    let mut ws = hello(addr, token).await;
    let welcome = next(&mut ws).await.expect("a welcome");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    // The client learns what the server accepts from the welcome, not from copies.
    assert_eq!(
        welcome["limits"]["topic_chars"],
        giaoban_briefing::MAX_TOPIC_CHARS,
        "{welcome}"
    );
    assert_eq!(
        welcome["limits"]["floor_seconds"],
        giaoban_briefing::MAX_FLOOR_SECONDS,
        "{welcome}"
    );
    ws
}

async fn send(ws: &mut Ws, msg: Value) {
    ws.send(WsMessage::text(msg.to_string())).await.unwrap();
}

/// The next message; `None` once the server closed.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("the server answers in time");
        match frame {
            Some(Ok(WsMessage::Text(text))) => return serde_json::from_str(&text).ok(),
            Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// Reads up to the next error; its code and message. Panics if the socket ends first.
async fn next_error(ws: &mut Ws) -> (String, String) {
    while let Some(msg) = next(ws).await {
        if msg["type"] == "error" {
            let text = |key: &str| msg[key].as_str().unwrap_or_default().to_owned();
            return (text("code"), text("message"));
        }
    }
    panic!("the socket closed without an error");
}

/// Reads up to a `state_delta` with a raised hand. Panics if the socket ends first.
async fn hand_raised(ws: &mut Ws) {
    while let Some(msg) = next(ws).await {
        if msg["type"] == "state_delta"
            && msg["delta"]["hands"]
                .as_array()
                .is_some_and(|h| !h.is_empty())
        {
            return;
        }
    }
    panic!("the socket closed before a hand was raised");
}

/// Reads to the end; true if the server closed within the deadline.
async fn ends(ws: &mut Ws) -> bool {
    while next(ws).await.is_some() {}
    true
}

/// Waits for `condition`, polling, up to the deadline.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn unlimited() -> SignalLimits {
    let rate = Rate {
        per_second: 1e9,
        burst: u32::MAX / 16,
    };
    SignalLimits {
        directing: rate,
        sdp: rate,
        ..SignalLimits::default()
    }
}

#[tokio::test]
async fn a_point_that_never_reads_is_resynced_then_closed_as_a_slow_consumer() {
    let app = TestApp::new().await;
    // Small socket buffers: the kernel holds a few messages for the idle point, not thousands.
    let addr = app.serve(unlimited(), Some(4096));
    let registry = app.state.live.registry.clone();
    let stats = || {
        (
            registry.stats.resyncs.load(Ordering::Relaxed),
            registry.stats.slow_consumers.load(Ordering::Relaxed),
        )
    };
    let idle = join(addr, &app.nghiloc).await;
    let mut other = join(addr, &app.other_cualo).await;
    let (mut flooder_tx, mut flooder_rx) = join(addr, &app.cualo).await.split();
    // The flooder reads everything, so that only the idle point falls behind.
    let reader = tokio::spawn(async move { while flooder_rx.next().await.is_some() {} });

    // Changes of the state are coalesced (a flood of hands is a few deltas a second), so the
    // busy briefing is played by the registry: quality reports of a large briefing, as many
    // as the reading points take.
    let report = ServerMsg::Quality {
        points: (0..200)
            .map(|i| QualityInfo {
                point: format!("UBND xã số {i}"),
                rtt_ms: Some(42.0),
                loss: Some(0.01),
                kbps_in: 900,
                kbps_out: 1800,
            })
            .collect(),
    };
    let mut rounds = 0;
    while stats().1 == 0 {
        rounds += 1;
        assert!(
            rounds < 100 * OUTBOUND_QUEUE,
            "the idle point was never closed"
        );
        registry.broadcast(&app.briefing_id(), None, &report);
        if rounds % 16 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    let (resyncs, slow) = stats();
    assert_eq!(slow, 1);
    // The idle task may take a snapshot before its writes block for good.
    assert!(resyncs >= 1, "a snapshot was tried before closing");
    eventually("the idle point is offline", || {
        !registry
            .online(&app.briefing_id())
            .contains(&"UBND huyện Nghi Lộc".to_owned())
    })
    .await;
    drop(idle);
    // The flooder is still served, and another briefing never noticed.
    flooder_tx
        .send(WsMessage::text(json!({"type": "lower_hand"}).to_string()))
        .await
        .unwrap();
    assert_eq!(registry.online(&app.briefing_id()).len(), 1);
    send(&mut other, json!({"type": "raise_hand"})).await;
    hand_raised(&mut other).await;
    reader.abort();
}

#[tokio::test]
async fn a_flooding_point_is_told_rate_limited_then_disconnected() {
    let app = TestApp::new().await;
    let addr = app.serve(SignalLimits::default(), None);
    let mut bystander = join(addr, &app.nghiloc).await;
    let (mut tx, mut rx) = join(addr, &app.cualo).await.split();

    let flood = tokio::spawn(async move {
        for i in 0..5_000 {
            let kind = if i % 2 == 0 {
                "raise_hand"
            } else {
                "lower_hand"
            };
            let msg = json!({ "type": kind }).to_string();
            if tx.send(WsMessage::text(msg)).await.is_err() {
                break;
            }
        }
    });
    let mut errors = Vec::new();
    while let Some(Ok(frame)) = tokio::time::timeout(DEADLINE, rx.next()).await.unwrap() {
        if let WsMessage::Text(text) = frame {
            let msg: Value = serde_json::from_str(&text).unwrap();
            if msg["type"] == "error" {
                errors.push(msg["code"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    let _ = flood.await;

    assert!(errors.len() >= 2, "{errors:?}");
    assert!(errors.iter().all(|c| c == "rate_limited"), "{errors:?}");
    let limited = app
        .state
        .live
        .registry
        .stats
        .rate_limited
        .load(Ordering::Relaxed);
    assert!(limited > 100, "{limited}");
    // The other point of the briefing is still served.
    send(&mut bystander, json!({"type": "raise_hand"})).await;
    hand_raised(&mut bystander).await;
}

#[tokio::test]
async fn the_node_cap_refuses_before_hello() {
    let app = TestApp::new().await;
    let limits = SignalLimits {
        max_connections: 1,
        ..SignalLimits::default()
    };
    let addr = app.serve(limits, None);
    let _first = join(addr, &app.cualo).await;

    let (mut second, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();

    let (code, message) = next_error(&mut second).await;
    assert_eq!(code, "too_many_connections");
    assert!(message.contains("1 connections"), "{message}");
    assert!(ends(&mut second).await);
    assert_eq!(
        app.state
            .live
            .registry
            .stats
            .refused
            .load(Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn the_briefing_cap_refuses_after_hello_and_spares_other_briefings() {
    let app = TestApp::new().await;
    let addr = app.serve(SignalLimits::default(), None);
    let registry = &app.state.live.registry;
    let invited = app.store.points(&app.briefing_id()).unwrap().len();
    // Sockets of the briefing held open elsewhere, up to its cap.
    let held: Vec<_> = (0..SignalLimits::per_briefing(invited))
        .map(|_| {
            let mut slot = registry.open_socket(usize::MAX).unwrap();
            assert!(registry.enter_briefing(&mut slot, &app.briefing_id(), usize::MAX));
            slot
        })
        .collect();

    let mut refused = hello(addr, &app.cualo).await;
    let _other = join(addr, &app.other_cualo).await;

    let (code, _) = next_error(&mut refused).await;
    assert_eq!(code, "too_many_connections");
    drop(held);
    let _admitted = join(addr, &app.cualo).await;
}

#[tokio::test]
async fn an_offer_with_three_m_lines_is_refused_bad_sdp() {
    let app = TestApp::new().await;
    let addr = app.serve(SignalLimits::default(), None);
    let mut ws = join(addr, &app.cualo).await;
    let sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
               m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
               m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";

    send(&mut ws, json!({"type": "offer", "sdp": sdp})).await;

    let (code, message) = next_error(&mut ws).await;
    assert_eq!(code, "bad_sdp");
    assert!(
        message.contains("at most one audio and one video"),
        "{message}"
    );
    assert!(ends(&mut ws).await);
}

#[test]
fn offers_are_counted_by_m_line_kind() {
    let two = "v=0\r\nm=audio 9 X 0\r\nm=video 9 X 0\r\n";
    let two_audio = "v=0\nm=audio 9 X 0\nm=audio 9 X 0\n";
    let three = "m=audio 9 X 0\nm=video 9 X 0\nm=application 9 X 0\n";

    let screen = "m=audio 9 X 0\nm=video 9 X 0\nm=video 9 X 0\n";

    assert!(check_offer_mlines(two, false).is_ok());
    assert!(check_offer_mlines("v=0\r\n", false).is_ok());
    assert!(check_offer_mlines(two_audio, false).is_err());
    assert!(check_offer_mlines(three, false).is_err());
    assert!(
        check_offer_mlines(three, true).is_err(),
        "a screen is video"
    );
    assert!(check_offer_mlines(screen, false).is_err());
    assert!(check_offer_mlines(screen, true).is_ok());
}

#[tokio::test]
async fn a_ten_megabyte_frame_is_answered_too_large() {
    let app = TestApp::new().await;
    let addr = app.serve(SignalLimits::default(), None);
    let mut ws = join(addr, &app.cualo).await;

    // The header of a masked text frame of 10 MiB, then the start of its payload: the server
    // judges it by its header.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(10u64 * 1024 * 1024).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    header.extend_from_slice(&[b'x'; 1024]);
    let MaybeTlsStream::Plain(tcp) = ws.get_mut() else {
        panic!("a plain socket");
    };
    tcp.write_all(&header).await.unwrap();

    let (code, message) = next_error(&mut ws).await;
    assert_eq!(code, "too_large");
    assert!(message.contains("1048576"), "{message}");
}

#[tokio::test]
async fn a_revocation_in_the_store_closes_the_live_socket_within_two_seconds() {
    let app = TestApp::new().await;
    let addr = app.serve(SignalLimits::default(), None);
    let registry = app.state.live.registry.clone();
    revocation::spawn(
        app.store.clone(),
        Arc::clone(&registry),
        revocation::REVOCATION_POLL,
    );
    let mut cualo = join(addr, &app.cualo).await;
    let mut nghiloc = join(addr, &app.nghiloc).await;
    let mut other_cualo = join(addr, &app.other_cualo).await;

    // As `giaoban briefing revoke` does, from another process.
    app.store
        .revoke_point(&app.briefing_id(), "UBND thị xã Cửa Lò")
        .unwrap();

    let closed = tokio::time::timeout(Duration::from_secs(2), next_error(&mut cualo))
        .await
        .expect("closed within 2 s");
    assert_eq!(closed.0, "revoked_token");
    assert!(ends(&mut cualo).await);
    // The same unit in another briefing, and the other point, stay.
    send(&mut other_cualo, json!({"type": "raise_hand"})).await;
    hand_raised(&mut other_cualo).await;
    send(&mut nghiloc, json!({"type": "raise_hand"})).await;
    assert!(next(&mut nghiloc).await.is_some());
    assert_eq!(registry.connected(), 2);
}

#[test]
fn page_slots_default_by_role_and_stay_within_the_grid_limit() {
    use giaoban_model::{MAX_PAGE_SLOTS, Role};

    use super::{HOST_PAGE_SLOTS, POINT_PAGE_SLOTS, page_slots};
    assert_eq!(page_slots(Role::Host, None), HOST_PAGE_SLOTS);
    assert_eq!(page_slots(Role::Point, None), POINT_PAGE_SLOTS);
    assert_eq!(page_slots(Role::Point, Some(9)), 9);
    assert_eq!(page_slots(Role::Host, Some(10_000)), MAX_PAGE_SLOTS);
}

#[test]
fn sdp_refusals_are_the_servers_own_words() {
    use giaoban_media::MediaError;

    use super::sdp_refusal;
    for e in [
        MediaError::MalformedSdp("str0m: parse error at a=candidate".into()),
        MediaError::RejectedSdp("str0m: no matching codec for mid 0".into()),
    ] {
        let text = sdp_refusal(&e);
        assert!(!text.contains("str0m") && !text.contains("mid 0"), "{text}");
    }
}
