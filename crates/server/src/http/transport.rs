//! Whether a request reached the server over HTTPS, for the Strict-Transport-Security header
//! and the `Secure` attribute of the admin cookie.

use axum::http::{HeaderMap, HeaderValue, header};

/// `Strict-Transport-Security` of every response served over the built-in TLS: a year, the
/// value browsers' preload lists expect as a minimum (RFC 6797 §6.1.1).
pub const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// How browsers reach the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Transport {
    /// The server terminates TLS itself (`--tls-cert`, `--tls-key`).
    pub tls: bool,
    /// `--trust-proxy`: a reverse proxy in front of the server says in `X-Forwarded-Proto`
    /// how the browser connected. Without it the header is ignored, since any client could
    /// send it.
    pub trust_proxy: bool,
}

impl Transport {
    /// Whether the browser that sent `headers` connected over HTTPS.
    pub fn is_https(self, headers: &HeaderMap) -> bool {
        self.tls || (self.trust_proxy && forwarded_https(headers))
    }

    /// The `Strict-Transport-Security` header to add to every response, if any. Behind a
    /// proxy the proxy sets it: only it knows that every browser reaches it over HTTPS.
    pub fn hsts(self) -> Option<(header::HeaderName, HeaderValue)> {
        self.tls
            .then_some((header::STRICT_TRANSPORT_SECURITY, HSTS))
    }
}

/// `X-Forwarded-Proto: https`. Proxies in a chain append their own value, so the first one is
/// what the browser used.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get(X_FORWARDED_PROTO)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(proto: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_str(proto).unwrap());
        headers
    }

    #[test]
    fn forwarded_proto_counts_only_behind_a_trusted_proxy() {
        let plain = Transport::default();
        let proxied = Transport {
            tls: false,
            trust_proxy: true,
        };

        assert!(!plain.is_https(&forwarded("https")));
        assert!(proxied.is_https(&forwarded("https")));
        assert!(proxied.is_https(&forwarded("HTTPS, http")));
        assert!(!proxied.is_https(&forwarded("http")));
        assert!(!proxied.is_https(&forwarded("http, https")));
        assert!(!proxied.is_https(&HeaderMap::new()));
    }

    #[test]
    fn built_in_tls_is_https_whatever_the_headers_say() {
        let tls = Transport {
            tls: true,
            trust_proxy: false,
        };

        assert!(tls.is_https(&forwarded("http")));
        assert!(tls.hsts().is_some());
        assert!(Transport::default().hsts().is_none());
        assert!(
            Transport {
                tls: false,
                trust_proxy: true
            }
            .hsts()
            .is_none()
        );
    }
}
