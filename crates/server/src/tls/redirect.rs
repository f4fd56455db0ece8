//! `--redirect-http ADDR`: a plain-HTTP listener that sends every request to HTTPS.

use axum::Router;
use axum::http::uri::{Authority, PathAndQuery};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Answers every request with 308 to the same host, path and query over HTTPS on
/// `https_port`. 308 rather than 301 so that a POST stays a POST (RFC 9110 §15.4.9). No
/// Strict-Transport-Security here: browsers ignore it over plain HTTP (RFC 6797 §8.1).
pub fn redirect_router(https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        redirect(&headers, &uri, https_port)
    })
}

fn redirect(headers: &HeaderMap, uri: &Uri, https_port: u16) -> Response {
    // HTTP/1.1 clients send Host (RFC 9112 §3.2); a request in absolute form names it too.
    let host = uri
        .authority()
        .map(Authority::as_str)
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    match host.and_then(|h| https_url(h, uri.path_and_query(), https_port)) {
        Some(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            "a Host header naming this server is required\n",
        )
            .into_response(),
    }
}

/// `https://HOST[:PORT]/PATH?QUERY` for a request to `host` (with or without its own port);
/// the port is left out when it is 443. `None` if `host` is no host.
fn https_url(host: &str, path_and_query: Option<&PathAndQuery>, https_port: u16) -> Option<String> {
    let authority: Authority = host.parse().ok()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let path = path_and_query.map_or("/", PathAndQuery::as_str);
    Some(format!("https://{}{port}{path}", authority.host()))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn the_url_keeps_host_path_and_query_and_takes_the_https_port() {
        let pq = |s: &str| s.parse::<PathAndQuery>().unwrap();
        assert_eq!(
            https_url("giaoban.example.gov.vn", Some(&pq("/j/abc?x=1&y")), 443).as_deref(),
            Some("https://giaoban.example.gov.vn/j/abc?x=1&y")
        );
        assert_eq!(
            https_url("127.0.0.1:8080", Some(&pq("/admin")), 8443).as_deref(),
            Some("https://127.0.0.1:8443/admin")
        );
        assert_eq!(
            https_url("[::1]:80", None, 8443).as_deref(),
            Some("https://[::1]:8443/")
        );
        assert_eq!(https_url("user@evil.example", None, 443), None);
        assert_eq!(https_url("", None, 443), None);
        assert_eq!(https_url("a b", None, 443), None);
    }

    #[tokio::test]
    async fn every_request_is_answered_308_to_https() {
        let request = Request::post("/api/session?next=%2Fadmin")
            .header(header::HOST, "giaoban.test:80")
            .body(Body::empty())
            .unwrap();

        let response = redirect_router(443).oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            response.headers()[header::LOCATION],
            "https://giaoban.test/api/session?next=%2Fadmin"
        );
        assert!(
            !response
                .headers()
                .contains_key(header::STRICT_TRANSPORT_SECURITY)
        );
    }

    #[tokio::test]
    async fn a_request_without_host_is_refused() {
        let request = Request::get("/").body(Body::empty()).unwrap();

        let response = redirect_router(443).oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}
