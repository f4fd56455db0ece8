//! For operators: the OpenAPI description and the Prometheus metrics.

use giaoban_model::ProblemCode;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::error::ApiError;
use super::extract::bearer;
use crate::state::AppState;

/// `/healthz`, `/metrics`, `/api/openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
}

/// The OpenAPI description of the HTTP API.
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../../../docs/openapi.json"),
    )
}

/// Who may read `/metrics`: a program on the server's own machine (a loopback peer, not
/// relaying for anybody), or anybody with `Authorization: Bearer <--metrics-token>`. The
/// counters say how busy the node is and when briefings run: not for the whole Internet.
pub(crate) struct MetricsReader;

impl FromRequestParts<AppState> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        if peer.is_some_and(|p| p.ip().is_loopback()) && !relayed(&parts.headers) {
            return Ok(MetricsReader);
        }
        let given = bearer(&parts.headers);
        match (state.metrics_token.as_deref(), given) {
            (Some(token), Some(given)) if same_secret(token, given) => Ok(MetricsReader),
            (Some(_), Some(_)) => Err(ApiError::unauthorized(ProblemCode::InvalidMetricsToken)),
            _ => Err(ApiError::forbidden(ProblemCode::MetricsLocalOnly)),
        }
    }
}

/// Whether a proxy relays the request for another client: a reverse proxy on the same machine
/// connects from loopback, but says for whom in one of these headers.
fn relayed(headers: &HeaderMap) -> bool {
    ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name))
}

/// Compares two secrets in a time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn metrics(_: MetricsReader, State(state): State<AppState>) -> impl IntoResponse {
    let s = &state.live.media.stats;
    let signal = &state.live.registry.stats;
    let body = format!(
        "# HELP giaoban_media_datagrams_received_total Datagrams received on the media port.\n\
         # TYPE giaoban_media_datagrams_received_total counter\n\
         giaoban_media_datagrams_received_total {}\n\
         # HELP giaoban_media_datagrams_dropped_total Datagrams dropped: malformed or of no peer.\n\
         # TYPE giaoban_media_datagrams_dropped_total counter\n\
         giaoban_media_datagrams_dropped_total {}\n\
         # HELP giaoban_media_frames_forwarded_total Media frames written towards subscribers.\n\
         # TYPE giaoban_media_frames_forwarded_total counter\n\
         giaoban_media_frames_forwarded_total {}\n\
         # HELP giaoban_media_peers Media sessions, connected or connecting.\n\
         # TYPE giaoban_media_peers gauge\n\
         giaoban_media_peers {}\n\
         # HELP giaoban_media_threads Media threads, each carrying whole briefings.\n\
         # TYPE giaoban_media_threads gauge\n\
         giaoban_media_threads {}\n\
         # HELP giaoban_media_shard_overflows_total Batches of datagrams dropped because their media thread was behind.\n\
         # TYPE giaoban_media_shard_overflows_total counter\n\
         giaoban_media_shard_overflows_total {}\n\
         # HELP giaoban_media_egress_resyncs_total Video slots restarted at a keyframe because a point's send queue fell behind.\n\
         # TYPE giaoban_media_egress_resyncs_total counter\n\
         giaoban_media_egress_resyncs_total {}\n\
         # HELP giaoban_points_connected Points with an open signalling connection.\n\
         # TYPE giaoban_points_connected gauge\n\
         giaoban_points_connected {}\n\
         # HELP giaoban_media_tcp_connections Open ICE-TCP connections on the media port.\n\
         # TYPE giaoban_media_tcp_connections gauge\n\
         giaoban_media_tcp_connections {}\n\
         # HELP giaoban_media_tcp_frames_dropped_total Frames not written to a full or closed TCP connection.\n\
         # TYPE giaoban_media_tcp_frames_dropped_total counter\n\
         giaoban_media_tcp_frames_dropped_total {}\n\
         # HELP giaoban_signal_resyncs_total Backlogs of a slow point dropped for a fresh state.\n\
         # TYPE giaoban_signal_resyncs_total counter\n\
         giaoban_signal_resyncs_total {}\n\
         # HELP giaoban_signal_slow_consumers_total Connections closed with slow_consumer.\n\
         # TYPE giaoban_signal_slow_consumers_total counter\n\
         giaoban_signal_slow_consumers_total {}\n\
         # HELP giaoban_signal_rate_limited_total Client messages over a rate limit, not processed.\n\
         # TYPE giaoban_signal_rate_limited_total counter\n\
         giaoban_signal_rate_limited_total {}\n\
         # HELP giaoban_signal_refused_total WebSockets refused with too_many_connections.\n\
         # TYPE giaoban_signal_refused_total counter\n\
         giaoban_signal_refused_total {}\n",
        s.datagrams_received.load(Ordering::Relaxed),
        s.datagrams_dropped.load(Ordering::Relaxed),
        s.frames_forwarded.load(Ordering::Relaxed),
        s.peers.load(Ordering::Relaxed),
        state.live.media.threads(),
        s.shard_overflows.load(Ordering::Relaxed),
        s.egress_resyncs.load(Ordering::Relaxed),
        state.live.registry.connected(),
        s.tcp.connections.load(Ordering::Relaxed),
        s.tcp_frames_dropped.load(Ordering::Relaxed),
        signal.resyncs.load(Ordering::Relaxed),
        signal.slow_consumers.load(Ordering::Relaxed),
        signal.rate_limited.load(Ordering::Relaxed),
        signal.refused.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use crate::http;
    use crate::test_app::TestServer;

    const TOKEN: &str = "0123456789abcdef-metrics";

    /// `GET /metrics` from `peer` (none: a request without a known peer) with `headers`, to a
    /// server with `--metrics-token` [`TOKEN`] if `with_token`; the status and the body.
    async fn read_metrics(
        with_token: bool,
        peer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let server = TestServer::new().await;
        let mut state = server.state.clone();
        state.metrics_token = with_token.then(|| TOKEN.into());
        let mut request = Request::get("/metrics");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        if let Some(peer) = peer {
            let peer: SocketAddr = peer.parse().unwrap();
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = http::router(state).oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn metrics_are_readable_from_the_machine_itself() {
        for peer in ["127.0.0.1:40000", "[::1]:40000"] {
            let (status, body) = read_metrics(false, Some(peer), &[]).await;

            assert_eq!(status, StatusCode::OK, "{peer}: {body}");
            assert!(body.contains("\ngiaoban_points_connected 0\n"), "{body}");
        }
    }

    #[tokio::test]
    async fn metrics_are_refused_to_others_without_the_token() {
        let bearer = format!("Bearer {TOKEN}");
        for (peer, headers) in [
            (Some("203.0.113.7:40000"), vec![]),
            // The token is no use when the server has none.
            (
                Some("203.0.113.7:40000"),
                vec![("authorization", bearer.as_str())],
            ),
            // A reverse proxy on the machine relaying a client of the Internet.
            (
                Some("127.0.0.1:40000"),
                vec![("x-forwarded-for", "203.0.113.7")],
            ),
            (
                Some("127.0.0.1:40000"),
                vec![("forwarded", "for=203.0.113.7")],
            ),
            (None, vec![]),
        ] {
            let (status, body) = read_metrics(false, peer, &headers).await;

            assert_eq!(status, StatusCode::FORBIDDEN, "{peer:?} {headers:?}");
            assert!(body.contains("\"metrics_local_only\""), "{body}");
            assert!(!body.contains("giaoban_points_connected"), "{body}");
        }
    }

    #[tokio::test]
    async fn metrics_are_readable_from_anywhere_with_the_token() {
        let bearer = format!("Bearer {TOKEN}");
        let relayed = [
            ("authorization", bearer.as_str()),
            ("x-forwarded-for", "203.0.113.7"),
        ];

        let (remote, body) = read_metrics(
            true,
            Some("203.0.113.7:40000"),
            &[("authorization", &bearer)],
        )
        .await;
        let (through_proxy, _) = read_metrics(true, Some("127.0.0.1:40000"), &relayed).await;
        let (wrong, _) = read_metrics(
            true,
            Some("203.0.113.7:40000"),
            &[("authorization", "Bearer 0123456789abcdef-metricz")],
        )
        .await;
        let (missing, _) = read_metrics(true, Some("203.0.113.7:40000"), &[]).await;

        assert_eq!(remote, StatusCode::OK, "{body}");
        assert!(body.contains("giaoban_media_datagrams_received_total"));
        assert_eq!(through_proxy, StatusCode::OK);
        assert_eq!(wrong, StatusCode::UNAUTHORIZED);
        assert_eq!(missing, StatusCode::FORBIDDEN);
    }
}
