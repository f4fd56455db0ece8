//! HTTP routes: pages, the point API, the admin API, health and metrics.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{BriefingId, ErrorCode, Role};
use giaoban_store::{Invitation, NewBriefing};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use crate::access::json_body;
use crate::assets;
use crate::cli;
use crate::error::{ApiError, too_large_as_json};
use crate::https::Transport;
use crate::signal;
use crate::state::AppState;

pub(crate) const ADMIN_COOKIE: &str = "giaoban_admin";
/// Request bodies are small JSON documents.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// 413 for a JSON body over [`MAX_BODY_BYTES`].
pub(crate) fn body_too_large() -> ApiError {
    ApiError::too_large(format!(
        "a request body is at most {} KiB",
        MAX_BODY_BYTES / 1024
    ))
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let transport = state.transport;
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/j/{token}", get(|| async { assets::page("index.html") }))
        .route("/d/{token}", get(|| async { assets::page("dossier.html") }))
        .route("/admin", get(admin_page))
        .route("/admin/login", get(admin_login))
        .route("/assets/{*path}", get(assets::asset))
        .route("/api/session", get(session))
        .route("/api/briefings/{id}", get(briefing))
        .route("/api/admin/briefings", get(admin_list).post(admin_create))
        .route("/api/admin/briefings/{id}/revoke", post(admin_revoke))
        .route("/ws", get(signal::upgrade))
        .route("/api/openapi.json", get(openapi))
        .merge(crate::host_api::routes())
        .merge(crate::mail_api::routes())
        .merge(crate::agenda_api::routes())
        .merge(crate::reports_api::routes())
        .merge(crate::statistics_api::routes())
        .merge(crate::follow_up_api::routes())
        .merge(crate::minutes_api::routes())
        .fallback(|| async { ApiError::not_found("no such page") })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(|response| async {
            too_large_as_json(response, body_too_large)
        }))
        // Added after the 256 KiB limit, which applies only to the routes above: a units file
        // is larger and has its own limit.
        .merge(crate::units_api::routes())
        // Documents have their own, larger limit too.
        .merge(crate::documents_api::routes())
        .layer(axum::middleware::map_response(move |response| async move {
            security_headers(response, transport)
        }))
        .with_state(state)
}

fn security_headers(mut response: Response, transport: Transport) -> Response {
    let headers = response.headers_mut();
    if let Some((name, value)) = transport.hsts() {
        headers.insert(name, value);
    }
    // Join links carry the token in the path: never leak it in a Referer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self' blob: mediastream:; style-src 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// A point authenticated by the bearer token of its invitation link.
pub struct PointAuth(pub Invitation);

impl FromRequestParts<AppState> for PointAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token>"))?;
        Ok(PointAuth(state.store.verify_token(token)?))
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The organiser, authenticated by the session cookie set at `/admin/login`.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = cookie(&parts.headers, ADMIN_COOKIE).or_else(|| bearer(&parts.headers));
        match session {
            Some(s) if state.store.verify_admin_session(s, unix_now()) => Ok(AdminAuth),
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_session",
                "the admin session is invalid or expired; log in again",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no_session",
                "log in with the admin login URL first",
            )),
        }
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `?format=` of an answer given as JSON or as a CSV file.
#[derive(Deserialize)]
pub(crate) struct FormatQuery {
    format: Option<String>,
}

/// The form of such an answer.
pub(crate) enum Format {
    Json,
    Csv,
}

impl FormatQuery {
    /// The form asked for, JSON when none is; 422 for anything but `json` and `csv`.
    pub fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::invalid(format!(
                "format must be json or csv, not {other:?}"
            ))),
        }
    }
}

/// A CSV file to download as `file_name`, which is printable ASCII.
pub(crate) fn csv_file(file_name: &str, csv: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        csv,
    )
        .into_response()
}

#[derive(Serialize)]
struct SessionInfo {
    briefing: BriefingView,
    point: SessionPoint,
}

#[derive(Serialize)]
struct BriefingView {
    id: String,
    title: String,
    scheduled_start: String,
    series: Option<String>,
    report_deadline: Option<String>,
}

#[derive(Serialize)]
struct SessionPoint {
    id: String,
    name: String,
    role: Role,
    unit_code: Option<String>,
}

#[derive(Serialize)]
struct PointView {
    name: String,
    role: Role,
}

async fn session(PointAuth(inv): PointAuth) -> Json<SessionInfo> {
    Json(SessionInfo {
        briefing: BriefingView {
            id: inv.briefing.id.0,
            title: inv.briefing.title,
            scheduled_start: inv.briefing.scheduled_start,
            series: inv.briefing.series,
            report_deadline: inv.briefing.report_deadline,
        },
        point: SessionPoint {
            id: inv.point.id.0,
            name: inv.point.name,
            role: inv.point.role,
            unit_code: inv.point.unit_code.map(|c| c.as_str().to_owned()),
        },
    })
}

async fn briefing(
    State(state): State<AppState>,
    PointAuth(inv): PointAuth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if inv.briefing.id.0 != id {
        return Err(ApiError::forbidden(
            "this invitation link is for another briefing",
        ));
    }
    let points: Vec<PointView> = state
        .store
        .points(&inv.briefing.id)?
        .into_iter()
        .filter(|p| !p.revoked)
        .map(|p| PointView {
            name: p.name,
            role: p.role,
        })
        .collect();
    Ok(Json(json!({
        "id": inv.briefing.id.0,
        "title": inv.briefing.title,
        "scheduled_start": inv.briefing.scheduled_start,
        "points": points,
    })))
}

async fn admin_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match cookie(&headers, ADMIN_COOKIE) {
        Some(s) if state.store.verify_admin_session(s, unix_now()) => assets::page("admin.html"),
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><meta charset=utf-8><title>giaoban</title>\
             <p>Chưa đăng nhập. Mở liên kết đăng nhập quản trị do máy chủ in ra \
             (<code>giaoban admin-url</code>).</p>\
             <p>Not logged in. Open the admin login URL printed by the server \
             (<code>giaoban admin-url</code>).</p>",
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    code: Option<String>,
}

async fn admin_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let code = q.code.unwrap_or_default();
    if code.is_empty() || code.len() > 256 || !state.store.redeem_admin_login_code(&code)? {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_login_code",
            "this login link is invalid, expired or already used; run `giaoban admin-url` for a new one",
        ));
    }
    let session = state.store.admin_session_token(unix_now());
    // Secure keeps the session off plain HTTP; over plain HTTP a browser would drop such a
    // cookie, so it is set only when the browser did connect over HTTPS.
    let secure = if state.transport.is_https(&headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{ADMIN_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        giaoban_store::ADMIN_SESSION_TTL_SECS
    );
    let mut response = Redirect::to("/admin").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Serialize)]
struct AdminBriefing {
    id: String,
    title: String,
    scheduled_start: String,
    links: Vec<AdminLink>,
}

#[derive(Serialize)]
struct AdminLink {
    point: String,
    role: Role,
    url: String,
    revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_code: Option<String>,
}

async fn admin_list(
    _: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Vec<AdminBriefing>>, ApiError> {
    let mut out = Vec::new();
    for b in state.store.list_briefings()? {
        let links = state
            .store
            .points(&b.id)?
            .iter()
            .map(|p| AdminLink {
                point: p.name.clone(),
                role: p.role,
                url: format!("{}/j/{}", state.base_url, state.store.token_for(p)),
                revoked: p.revoked,
                unit_code: p.unit_code.as_ref().map(ToString::to_string),
            })
            .collect();
        out.push(AdminBriefing {
            id: b.id.0,
            title: b.title,
            scheduled_start: b.scheduled_start,
            links,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    title: String,
    #[serde(default)]
    scheduled_start: Option<String>,
    /// Required unless `host_unit` is given.
    #[serde(default)]
    host: String,
    #[serde(default)]
    host_unit: Option<String>,
    #[serde(default)]
    points: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    series: Option<String>,
    #[serde(default)]
    report_deadline: Option<String>,
}

async fn admin_create(
    _: AdminAuth,
    State(state): State<AppState>,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body)?;
    let new = NewBriefing {
        title: req.title,
        scheduled_start: req.scheduled_start,
        host: req.host,
        host_unit: req.host_unit,
        points: req.points,
        units: req.units,
        series: req.series,
        report_deadline: req.report_deadline,
    };
    let briefing = state.store.create_briefing(&new)?;
    let links = cli::links_of(&state.store, &briefing.id, &state.base_url).map_err(|e| {
        tracing::error!("links of a new briefing: {e:#}");
        ApiError::internal()
    })?;
    let body = cli::Created {
        id: briefing.id.0,
        links,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    point: String,
}

async fn admin_revoke(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RevokeRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let req = json_body(body)?;
    let id = BriefingId(id);
    state.store.revoke_point(&id, &req.point)?;
    if let Some(point) = state.store.point_by_name(&id, &req.point)? {
        state.registry.kick(
            &id,
            &point.id,
            ErrorCode::RevokedToken,
            "this invitation link has been revoked",
        );
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The OpenAPI description of the HTTP API.
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../../docs/openapi.json"),
    )
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let s = &state.media.stats;
    let signal = &state.registry.stats;
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
        state.registry.connected(),
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
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::json;

    use crate::https::Transport;
    use crate::test_app::TestServer;

    const PLAIN: Transport = Transport {
        tls: false,
        trust_proxy: false,
    };
    const PROXIED: Transport = Transport {
        tls: false,
        trust_proxy: true,
    };
    const TLS: Transport = Transport {
        tls: true,
        trust_proxy: false,
    };

    /// `GET path` with `X-Forwarded-Proto: forwarded_proto` if given.
    fn get(path: &str, forwarded_proto: Option<&str>) -> Request<Body> {
        let mut request = Request::get(path);
        if let Some(proto) = forwarded_proto {
            request = request.header("x-forwarded-proto", proto);
        }
        request.body(Body::empty()).unwrap()
    }

    /// The `Set-Cookie` of a login with a fresh code over `transport`.
    async fn login_cookie(transport: Transport, forwarded_proto: Option<&str>) -> String {
        let server = TestServer::with_transport(transport).await;
        let code = server.store.create_admin_login_code().unwrap();
        let answer = server
            .send_request(get(&format!("/admin/login?code={code}"), forwarded_proto))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        answer.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[tokio::test]
    async fn the_admin_cookie_is_secure_when_the_browser_came_over_https() {
        let plain = login_cookie(PLAIN, None).await;
        let spoofed = login_cookie(PLAIN, Some("https")).await;
        let proxied_https = login_cookie(PROXIED, Some("https")).await;
        let proxied_http = login_cookie(PROXIED, Some("http")).await;
        let proxied_bare = login_cookie(PROXIED, None).await;
        let tls = login_cookie(TLS, None).await;

        for insecure in [&plain, &spoofed, &proxied_http, &proxied_bare] {
            assert!(insecure.starts_with("giaoban_admin="), "{insecure}");
            assert!(!insecure.contains("Secure"), "{insecure}");
        }
        for secure in [&proxied_https, &tls] {
            assert!(secure.ends_with("; Secure"), "{secure}");
            assert!(secure.contains("HttpOnly; SameSite=Strict"), "{secure}");
        }
    }

    #[tokio::test]
    async fn hsts_is_on_every_response_over_built_in_tls_only() {
        let tls = TestServer::with_transport(TLS).await;
        let proxied = TestServer::with_transport(PROXIED).await;

        for path in ["/healthz", "/admin", "/nowhere", "/api/session", "/j/x.y"] {
            let answer = tls.send_request(get(path, None)).await;
            assert_eq!(
                answer.headers[header::STRICT_TRANSPORT_SECURITY],
                "max-age=31536000",
                "{path}: {}",
                answer.status
            );
            let answer = proxied.send_request(get(path, Some("https"))).await;
            assert!(
                !answer
                    .headers
                    .contains_key(header::STRICT_TRANSPORT_SECURITY),
                "{path} behind a proxy"
            );
        }
    }

    #[tokio::test]
    async fn the_admin_creates_a_briefing_in_a_series_with_a_report_deadline() {
        let server = TestServer::new().await;
        let body = json!({
            "title": "Giao ban quý I",
            "scheduled_start": "2099-03-31 08:00",
            "host": "Sở TT&TT",
            "points": ["UBND huyện Kỳ Sơn"],
            "series": "giao-ban-quy",
            "report_deadline": "2099-03-30 17:00",
        });

        let created = server
            .send(
                "POST",
                "/api/admin/briefings",
                Some(&server.admin),
                Some(body.clone()),
            )
            .await;

        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
        let url = created.json()["links"][0]["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = url.rsplit_once("/j/").unwrap().1;
        let session = server.send("GET", "/api/session", Some(token), None).await;
        assert_eq!(session.json()["briefing"]["series"], "giao-ban-quy");
        assert_eq!(
            session.json()["briefing"]["report_deadline"],
            "2099-03-30T17:00:00+07:00"
        );
        assert_eq!(session.json()["point"]["role"], "host");

        let mut past = body;
        past["report_deadline"] = json!("2001-01-01 08:00");
        let refused = server
            .send(
                "POST",
                "/api/admin/briefings",
                Some(&server.admin),
                Some(past),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.message().contains("in the past"),
            "{}",
            refused.message()
        );
    }

    /// Every route the server declares, as `(method, path)` with `{*path}` written `{path}`:
    /// read from the `.route("PATH", get(..).post(..))` calls of this crate's sources.
    fn declared_routes() -> BTreeSet<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut routes = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            // Only the code above the tests: test modules build requests, not routes.
            let code = source.split("#[cfg(test)]\nmod tests").next().unwrap();
            for call in code.split(".route(").skip(1) {
                let call: String = call.split_whitespace().collect::<Vec<_>>().join(" ");
                let Some(rest) = call.strip_prefix('"') else {
                    continue;
                };
                let (route, after) = rest.split_once('"').unwrap();
                // The handlers: up to the parenthesis that closes `.route(`.
                let mut depth = 1;
                let end = after
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(after.len(), |(i, _)| i);
                let handlers = &after[..end];
                let route = route.replace("{*", "{");
                for method in ["get", "post", "put", "patch", "delete"] {
                    if handlers.contains(&format!(" {method}("))
                        || handlers.contains(&format!(",{method}("))
                        || handlers.contains(&format!(".{method}("))
                    {
                        routes.insert((method.to_owned(), route.clone()));
                    }
                }
            }
        }
        routes
    }

    #[test]
    fn every_route_is_described_in_the_openapi_document() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let routes = declared_routes();
        assert!(routes.len() > 40, "too few routes found: {routes:?}");

        let missing: Vec<_> = routes
            .iter()
            .filter(|(method, path)| doc["paths"][path.as_str()][method.as_str()].is_null())
            .collect();

        assert!(missing.is_empty(), "not in docs/openapi.json: {missing:?}");
    }
}
