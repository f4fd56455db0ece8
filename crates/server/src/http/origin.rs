//! Cross-site request forgery: a request that the admin cookie authorises must come from a page
//! of this server.
//!
//! The cookie is `SameSite=Strict` already; this check does not rest on the browser honouring
//! that. A state-changing request (`POST`, `PUT`, `PATCH`, `DELETE`) that carries the admin
//! cookie is refused unless its `Origin` — or, when a browser sends none, its `Referer` — is
//! this server's origin: the origin of `--base-url`, or the `Host` the request was sent to with
//! the scheme the browser used (HTTPS under the built-in TLS, or by `X-Forwarded-Proto` behind
//! a `--trust-proxy`). Accepting the `Host` cannot let a foreign page in: a browser sends the
//! cookie only to the host that set it, and a page of another site sends its own origin, which
//! is not that host.
//!
//! Requests authorised by a bearer token (an invitation link's token, or the admin session as
//! a bearer) are not checked: a browser never adds an `Authorization` header on its own, and a
//! page of another site cannot set one without a CORS preflight, which this server never
//! grants. The WebSocket is authorised by the token in its `hello`; its upgrade is still
//! refused when a browser says it comes from a foreign page ([`foreign_page`]).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use giaoban_model::ProblemCode;

use super::auth::ADMIN_COOKIE;
use super::error::ApiError;
use super::extract::cookie;
use super::transport::Transport;
use crate::state::AppState;

/// Middleware: 403 `cross_origin` for a state-changing request with the admin cookie that
/// does not come from this server's pages.
pub(crate) async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let headers = request.headers();
    if writes
        && cookie(headers, ADMIN_COOKIE).is_some()
        && !from_own_page(&state, headers, request.uri())
    {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?headers.get(header::ORIGIN),
            "refused a cookie-authorised request from a foreign page"
        );
        return cross_origin().into_response();
    }
    next.run(request).await
}

/// Whether a browser says the request comes from a page of another origin: an `Origin` header
/// that is not this server's (a `null` origin included). No `Origin` at all is not foreign:
/// programs that are not browsers send none.
pub(crate) fn foreign_page(state: &AppState, headers: &HeaderMap, uri: &Uri) -> bool {
    match headers.get(header::ORIGIN) {
        Some(origin) => !own_origins(state, headers, uri)
            .iter()
            .any(|own| origin.to_str().ok().and_then(origin_of).as_ref() == Some(own)),
        None => false,
    }
}

/// 403 `cross_origin`.
pub(crate) fn cross_origin() -> ApiError {
    ApiError::forbidden(ProblemCode::CrossOrigin)
}

/// Whether the `Origin` (else the `Referer`) is one of this server's origins. A request with
/// neither is not known to come from here.
fn from_own_page(state: &AppState, headers: &HeaderMap, uri: &Uri) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of);
    claimed.is_some_and(|claimed| own_origins(state, headers, uri).contains(&claimed))
}

/// This server's origins, normalised: that of the base URL, and that of the host the request
/// was sent to.
fn own_origins(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Vec<String> {
    let mut own: Vec<String> = origin_of(&state.base_url).into_iter().collect();
    // HTTP/2 carries the host in the `:authority` of the URI rather than a Host header.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    if let Some(host) = host {
        let scheme = scheme(state.transport, headers);
        own.extend(origin_of(&format!("{scheme}://{host}")));
    }
    own
}

fn scheme(transport: Transport, headers: &HeaderMap) -> &'static str {
    if transport.is_https(headers) {
        "https"
    } else {
        "http"
    }
}

/// The origin of an absolute `http` or `https` URL (RFC 6454 §6.2): scheme and host in lower
/// case, the port left out when it is the scheme's default. `None` for anything else, `null`
/// included.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::json;

    use super::origin_of;
    use crate::http::auth::ADMIN_COOKIE;
    use crate::http::transport::Transport;
    use crate::test_app::{Answer, TestServer};

    /// The test server's base URL is `http://giaoban.test`.
    const OWN: &str = "http://giaoban.test";

    /// `POST /api/admin/briefings` creating a briefing with the admin session in its cookie,
    /// sent to `host`, with the given `Origin` and `Referer`.
    async fn create_with_cookie(
        server: &TestServer,
        host: &str,
        origin: Option<&str>,
        referer: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::post("/api/admin/briefings")
            .header(header::HOST, host)
            .header(header::COOKIE, format!("{ADMIN_COOKIE}={}", server.admin))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(referer) = referer {
            request = request.header(header::REFERER, referer);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let body = json!({"title": "Giao ban", "host": "Sở TT&TT"});
        server
            .send_request(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    #[tokio::test]
    async fn a_cookie_request_from_a_foreign_page_is_refused_and_changes_nothing() {
        let server = TestServer::new().await;

        for (origin, referer) in [
            (Some("https://evil.example"), None),
            (Some("null"), None),
            (Some("http://giaoban.test.evil.example"), None),
            (Some("https://giaoban.test"), None),
            (None, Some("https://evil.example/giaoban.test/admin")),
            (None, None),
        ] {
            let answer = create_with_cookie(&server, "giaoban.test", origin, referer, &[]).await;

            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{origin:?} {referer:?}"
            );
            assert_eq!(answer.code(), "cross_origin", "{origin:?} {referer:?}");
        }
        assert!(server.store.list_briefings().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_cookie_request_from_the_servers_own_pages_is_served() {
        let server = TestServer::new().await;

        for (host, origin, referer) in [
            ("giaoban.test", Some(OWN), None),
            // The base URL's origin, whatever the Host header.
            ("10.0.0.1:8080", Some("HTTP://GIAOBAN.TEST:80"), None),
            // The host the browser sent the request to.
            ("127.0.0.1:8080", Some("http://127.0.0.1:8080"), None),
            // No Origin: the Referer's origin counts.
            ("giaoban.test", None, Some("http://giaoban.test/admin")),
        ] {
            let answer = create_with_cookie(&server, host, origin, referer, &[]).await;

            assert_eq!(
                answer.status,
                StatusCode::CREATED,
                "{host} {origin:?} {referer:?}: {}",
                answer.json()
            );
        }
    }

    #[tokio::test]
    async fn the_scheme_of_the_host_is_the_one_the_browser_used() {
        let plain = TestServer::new().await;
        let proxied = TestServer::with_transport(Transport {
            tls: false,
            trust_proxy: true,
        })
        .await;
        let https = "https://briefing.example";
        let forwarded = [("x-forwarded-proto", "https")];

        let behind_proxy =
            create_with_cookie(&proxied, "briefing.example", Some(https), None, &forwarded).await;
        let spoofed =
            create_with_cookie(&plain, "briefing.example", Some(https), None, &forwarded).await;
        let wrong_scheme =
            create_with_cookie(&proxied, "briefing.example", Some(https), None, &[]).await;

        assert_eq!(
            behind_proxy.status,
            StatusCode::CREATED,
            "{}",
            behind_proxy.json()
        );
        assert_eq!(spoofed.status, StatusCode::FORBIDDEN);
        assert_eq!(wrong_scheme.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn bearer_requests_and_reads_need_no_origin() {
        let server = TestServer::new().await;
        let body = json!({"title": "Giao ban", "host": "Sở TT&TT"});

        let bearer = server
            .send(
                "POST",
                "/api/admin/briefings",
                Some(&server.admin),
                Some(body),
            )
            .await;
        let read = server
            .send_request(
                Request::get("/api/admin/briefings")
                    .header(header::COOKIE, format!("{ADMIN_COOKIE}={}", server.admin))
                    .header(header::ORIGIN, "https://evil.example")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;

        assert_eq!(bearer.status, StatusCode::CREATED, "{}", bearer.json());
        assert_eq!(read.status, StatusCode::OK, "{}", read.json());
    }

    #[tokio::test]
    async fn every_cookie_route_is_guarded_including_uploads() {
        let server = TestServer::new().await;

        let units = server
            .send_request(
                Request::post("/api/admin/units/import")
                    .header(header::COOKIE, format!("{ADMIN_COOKIE}={}", server.admin))
                    .header(header::ORIGIN, "https://evil.example")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("code,name,parent_code,email\nX,Y,,\n"))
                    .unwrap(),
            )
            .await;
        let document = server
            .send_request(
                Request::post("/api/briefings/x/documents?name=a.pdf")
                    .header(header::COOKIE, format!("{ADMIN_COOKIE}={}", server.admin))
                    .header(header::ORIGIN, "https://evil.example")
                    .body(Body::from("%PDF-1.4"))
                    .unwrap(),
            )
            .await;

        assert_eq!(units.code(), "cross_origin");
        assert_eq!(document.code(), "cross_origin");
        assert!(server.store.units().unwrap().is_empty());
    }

    /// Opens `/ws` on `addr` with the given `Origin`; the HTTP status of the handshake.
    async fn open_websocket(addr: std::net::SocketAddr, origin: Option<&str>) -> u16 {
        use tokio_tungstenite::tungstenite::Error;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;

        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert(header::ORIGIN, origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((_, response)) => response.status().as_u16(),
            Err(Error::Http(response)) => response.status().as_u16(),
            Err(e) => panic!("WebSocket to {addr}: {e}"),
        }
    }

    #[tokio::test]
    async fn a_websocket_from_a_foreign_page_is_refused() {
        let server = TestServer::new().await;
        let addr = server.serve(Default::default(), None);

        let foreign = open_websocket(addr, Some("https://evil.example")).await;
        let null = open_websocket(addr, Some("null")).await;
        let own = open_websocket(addr, Some(OWN)).await;
        let by_host = open_websocket(addr, Some(&format!("http://{addr}"))).await;
        let no_browser = open_websocket(addr, None).await;

        assert_eq!(foreign, 403);
        assert_eq!(null, 403);
        assert_eq!([own, by_host, no_browser], [101; 3]);
    }

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        assert_eq!(origin_of("http://giaoban.test").as_deref(), Some(OWN));
        assert_eq!(
            origin_of("HTTP://Giaoban.Test:80/admin?x#y").as_deref(),
            Some(OWN)
        );
        assert_eq!(
            origin_of("https://giaoban.test:443/").as_deref(),
            Some("https://giaoban.test")
        );
        assert_eq!(
            origin_of("https://giaoban.test:8443").as_deref(),
            Some("https://giaoban.test:8443")
        );
        assert_eq!(
            origin_of("http://[::1]:8080/x").as_deref(),
            Some("http://[::1]:8080")
        );
        for not_an_origin in [
            "null",
            "",
            "giaoban.test",
            "file:///etc",
            "http://",
            "http://u@h",
        ] {
            assert_eq!(origin_of(not_an_origin), None, "{not_an_origin}");
        }
    }
}
