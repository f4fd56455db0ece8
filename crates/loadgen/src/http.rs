//! A minimal HTTP/1.1 client for the few JSON calls a run makes on loopback: one request per
//! connection (`Connection: close`), the body read to the end.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take, connect to last byte.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read; the calls we make answer a few kilobytes.
const MAX_RESPONSE: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The human message of a giaoban error body (`{"error": {"code", "message"}}`), else
    /// the start of the body.
    pub fn error_message(&self) -> String {
        let parsed: Option<(String, String)> =
            serde_json::from_str::<serde_json::Value>(&self.body)
                .ok()
                .and_then(|v| {
                    let e = v.get("error")?;
                    Some((
                        e.get("code")?.as_str()?.to_string(),
                        e.get("message")?.as_str()?.to_string(),
                    ))
                });
        match parsed {
            Some((code, message)) => format!("HTTP {} {code}: {message}", self.status),
            None => {
                let body: String = self.body.chars().take(200).collect();
                format!("HTTP {}: {body}", self.status)
            }
        }
    }
}

/// Sends one request. `json` is sent as an `application/json` body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    json: Option<&str>,
) -> io::Result<Response> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Accept: application/json\r\nUser-Agent: giaoban-loadgen\r\n"
        );
        if let Some(token) = bearer {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let body = json.unwrap_or("");
        if json.is_some() {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(body);
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE).read_to_end(&mut raw).await?;
        parse(&raw)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer within 5 s"))?
}

pub(crate) fn parse(raw: &[u8]) -> io::Result<Response> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("incomplete HTTP response"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("HTTP head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no HTTP status line"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = &raw[split + 4..];
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("malformed chunked body"))?
    } else {
        body.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body (RFC 9112 §7.1), ignoring extensions and trailers.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_json_error() {
        let raw = b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\
                    content-length: 62\r\n\r\n{\"error\":{\"code\":\"invalid_token\",\"message\":\"bad link\"}}";
        let response = parse(raw).unwrap();
        assert_eq!(response.status, 401);
        assert!(!response.ok());
        assert_eq!(response.error_message(), "HTTP 401 invalid_token: bad link");
    }

    #[test]
    fn decodes_chunked_bodies() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\n";
        assert_eq!(parse(raw).unwrap().body, "Wikipedia ");
    }

    #[test]
    fn refuses_truncated_answers() {
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Le").is_err());
    }
}
