//! For operators: the OpenAPI description and the Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
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
