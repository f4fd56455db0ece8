//! HTTP routes: pages, the point API, the admin API, health and metrics.

mod accounts;
mod actor;
mod admin;
mod agenda;
mod assets;
mod audit;
pub(crate) mod auth;
mod comments;
mod documents;
pub(crate) mod error;
mod error_page;
pub(crate) mod extract;
mod follow_up;
mod host;
mod login;
mod mail;
mod minutes;
mod ops;
mod origin;
mod recordings;
mod reports;
mod session;
mod statistics;
pub(crate) mod throttle;
pub mod transport;
mod units;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;

use self::error::{ApiError, too_large_as_json};
use self::error_page::Refusal;
use self::transport::Transport;
use crate::live::signal;
use crate::state::AppState;
use giaoban_store::AuthError;

/// Request bodies are small JSON documents.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// 413 for a JSON body over [`MAX_BODY_BYTES`].
pub(crate) fn body_too_large() -> ApiError {
    ApiError::too_large(
        giaoban_model::Problem::new(giaoban_model::ProblemCode::BodyTooLarge)
            .with("max", MAX_BODY_BYTES / 1024),
    )
}

/// `GET /j/{token}`: the live room, or a page saying why the link is refused.
async fn room_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    invitation_page(&state, &token, "index.html")
}

/// `GET /d/{token}`: the dossier, or a page saying why the link is refused.
async fn dossier_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    invitation_page(&state, &token, "dossier.html")
}

/// `page` for a valid invitation link. A bad or revoked one gets a page in the site's style
/// instead of a client that would only find out from the API.
fn invitation_page(state: &AppState, token: &str, page: &str) -> Response {
    match state.store.verify_token(token) {
        Ok(_) => assets::page(page),
        Err(AuthError::Revoked) => Refusal::RevokedLink.into_response(),
        Err(AuthError::Store(e)) => {
            tracing::error!("invitation link not checked: {e}");
            Refusal::Internal.into_response()
        }
        Err(_) => Refusal::InvalidLink.into_response(),
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let transport = state.transport;
    let origin_guard =
        axum::middleware::from_fn_with_state(state.clone(), origin::same_origin_writes);
    let audit_log = axum::middleware::from_fn_with_state(state.clone(), audit::middleware);
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route("/j/{token}", get(room_page))
        .route("/d/{token}", get(dossier_page))
        .route("/assets/{*path}", get(assets::asset))
        .route("/ws", get(upgrade))
        .merge(ops::routes())
        .merge(login::routes())
        .merge(accounts::routes())
        .merge(audit::routes())
        .merge(admin::routes())
        .merge(session::routes())
        .merge(host::routes())
        .merge(comments::routes())
        .merge(mail::routes())
        .merge(agenda::routes())
        .merge(reports::routes())
        .merge(statistics::routes())
        .merge(follow_up::routes())
        .merge(minutes::routes())
        .merge(recordings::routes())
        .fallback(|| async { ApiError::not_found(giaoban_model::ProblemCode::NoSuchPage) })
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(|response| async {
            too_large_as_json(response, body_too_large)
        }))
        // Added after the 256 KiB limit, which applies only to the routes above: a units file
        // is larger and has its own limit.
        .merge(units::routes())
        // Documents have their own, larger limit too.
        .merge(documents::routes())
        .layer(audit_log)
        .layer(origin_guard)
        .layer(axum::middleware::map_response(error::plain_errors_as_json))
        .layer(axum::middleware::map_response(move |response| async move {
            security_headers(response, transport)
        }))
        .with_state(state)
}

/// `GET /ws`: a signalling session; 403 `cross_origin` when a browser opens it from a page of
/// another site (the point is admitted by its token, but no foreign page has any business
/// here).
async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if origin::foreign_page(&state, &headers, &uri) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "refused a WebSocket from a foreign page");
        return origin::cross_origin().into_response();
    }
    signal::upgrade(ws, state.live.clone())
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::json;

    use super::transport::Transport;
    use crate::test_app::{TestApp, TestServer};

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

    /// Dates are taken in the years 2000 to 2100: a briefing's start and report deadline, a
    /// task's deadline when created or changed. Outside, 422 `out_of_range` naming the field,
    /// and nothing is stored.
    #[tokio::test]
    async fn dates_outside_the_years_2000_to_2100_are_refused() {
        let app = TestApp::new().await;
        let briefing = app.briefing_id();
        let task = app.task(&briefing, "Rà soát", &["UBND-CUALO"]);
        let create = |field: &str, value: &str| {
            let mut body = json!({"title": "Giao ban", "host": "Sở TT&TT",
                                  "scheduled_start": "2099-03-31 08:00"});
            body[field] = json!(value);
            body
        };
        let calls = [
            (
                "POST",
                "/api/admin/briefings".to_owned(),
                &app.admin,
                create("scheduled_start", "1999-12-31 08:00"),
                "scheduled_start",
            ),
            (
                "POST",
                "/api/admin/briefings".to_owned(),
                &app.admin,
                create("scheduled_start", "9999-12-31T23:30:00-05:00"),
                "scheduled_start",
            ),
            (
                "POST",
                "/api/admin/briefings".to_owned(),
                &app.admin,
                create("report_deadline", "1/1/2101 08:00"),
                "report_deadline",
            ),
            (
                "POST",
                app.path("/tasks"),
                &app.host,
                json!({"text": "Việc", "owners": ["UBND-CUALO"], "deadline": "2101-01-01"}),
                "deadline",
            ),
            (
                "PATCH",
                app.path(&format!("/tasks/{task}")),
                &app.host,
                json!({"deadline": "31/12/9999"}),
                "deadline",
            ),
        ];

        for (method, path, token, body, field) in calls {
            let answer = app
                .send(method, &path, Some(token), Some(body.clone()))
                .await;

            assert_eq!(
                (answer.status, answer.problem()),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ("out_of_range".to_owned(), field.to_owned())
                ),
                "{method} {path} {body}"
            );
            assert!(
                answer
                    .message()
                    .ends_with("is out of range; give 2000 to 2100"),
                "{}",
                answer.message()
            );
        }
        assert_eq!(app.store.list_briefings().unwrap().len(), 2);
        let tasks = app.store.tasks(&briefing).unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].deadline, "2099-12-31");
    }

    /// Every route the server declares, as `(method, path)` with `{*path}` written `{path}`:
    /// read from the `.route("PATH", get(..).post(..))` calls of this crate's sources.
    fn declared_routes() -> BTreeSet<(String, String)> {
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut routes = BTreeSet::new();
        for path in files {
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
                        || handlers.contains(&format!("::{method}("))
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
            serde_json::from_str(include_str!("../../../../docs/openapi.json")).unwrap();
        let routes = declared_routes();
        assert!(routes.len() > 40, "too few routes found: {routes:?}");

        let missing: Vec<_> = routes
            .iter()
            .filter(|(method, path)| doc["paths"][path.as_str()][method.as_str()].is_null())
            .collect();

        assert!(missing.is_empty(), "not in docs/openapi.json: {missing:?}");
    }
}
