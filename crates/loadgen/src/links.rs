//! Invitation links: parsing `http://HOST:PORT/j/TOKEN`, refusing anything beyond loopback,
//! reading the JSON of `giaoban briefing create --json`, or running that command.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;

use giaoban_model::Role;
use serde::Deserialize;

use crate::error::LoadgenError;

/// One parsed invitation link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    /// The server's HTTP address (WebSocket at `/ws`, API under `/api`).
    pub http: SocketAddr,
    pub token: String,
}

/// One invited point: its name, role and link. The name and role come from the links file
/// or, for bare `--link`s, from the server (`GET /api/session`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub point: String,
    pub role: Role,
    pub link: Link,
}

/// The output of `giaoban briefing create --json`.
#[derive(Debug, Deserialize)]
struct Created {
    links: Vec<CreatedLink>,
}

#[derive(Debug, Deserialize)]
struct CreatedLink {
    point: String,
    role: Role,
    url: String,
}

impl Link {
    pub fn parse(url: &str) -> Result<Link, LoadgenError> {
        let bad = |reason: &str| LoadgenError::BadLink {
            link: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("expected http://HOST:PORT/j/TOKEN (plain HTTP on loopback)"))?;
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no /j/TOKEN path"))?;
        let token = path
            .strip_prefix("j/")
            .ok_or_else(|| bad("the path must be /j/TOKEN"))?;
        if token.is_empty()
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        {
            return Err(bad("the token is empty or has characters no token has"));
        }
        let http = loopback_authority(authority)?;
        Ok(Link {
            url: url.to_string(),
            http,
            token: token.to_string(),
        })
    }
}

/// Parses `HOST[:PORT]` and checks that it is loopback.
fn loopback_authority(authority: &str) -> Result<SocketAddr, LoadgenError> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p),
        _ => (authority, "80"),
    };
    let port: u16 = port.parse().map_err(|_| LoadgenError::BadLink {
        link: authority.to_string(),
        reason: format!("{port:?} is not a port"),
    })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>()
            .map_err(|_| LoadgenError::NotLoopback(host.to_string()))?
    };
    let addr = SocketAddr::new(ip, port);
    ensure_loopback(addr)?;
    Ok(addr)
}

/// Refuses every address outside loopback.
fn ensure_loopback(addr: SocketAddr) -> Result<(), LoadgenError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(LoadgenError::NotLoopback(addr.to_string()))
    }
}

/// Reads the JSON printed by `giaoban briefing create --json`.
pub fn read_links_file(path: &Path) -> Result<Vec<Invitation>, LoadgenError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        LoadgenError::Setup(format!("cannot read links file {}: {e}", path.display()))
    })?;
    parse_created(&text).map_err(|e| {
        LoadgenError::Setup(format!(
            "{} is not the output of `giaoban briefing create --json`: {e}",
            path.display()
        ))
    })
}

fn parse_created(text: &str) -> Result<Vec<Invitation>, LoadgenError> {
    let created: Created = serde_json::from_str(text)
        .map_err(|e| LoadgenError::Setup(format!("invalid JSON: {e}")))?;
    created
        .links
        .into_iter()
        .map(|l| {
            Ok(Invitation {
                point: l.point,
                role: l.role,
                link: Link::parse(&l.url)?,
            })
        })
        .collect()
}

/// Creates a briefing of one host and `points` bridge points by running
/// `giaoban briefing create --json` on the server's data directory.
pub fn create_briefing(
    giaoban: &Path,
    data: &Path,
    points: usize,
    base_url: Option<&str>,
) -> Result<Vec<Invitation>, LoadgenError> {
    let mut command = Command::new(giaoban);
    command
        .args(["briefing", "create", "--json", "--data"])
        .arg(data)
        .args([
            "--title",
            "Giao ban tải thử (giaoban-loadgen)",
            "--host",
            HOST_NAME,
        ]);
    for i in 1..=points {
        command.arg("--point").arg(point_name(i));
    }
    if let Some(base) = base_url {
        command.args(["--base-url", base]);
    }
    let output = command.output().map_err(|e| {
        LoadgenError::Setup(format!(
            "cannot run {} (set it with --giaoban): {e}",
            giaoban.display()
        ))
    })?;
    if !output.status.success() {
        return Err(LoadgenError::Setup(format!(
            "`giaoban briefing create` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse_created(&String::from_utf8_lossy(&output.stdout))
}

/// Name of the host point of briefings the loadgen creates.
pub const HOST_NAME: &str = "Điểm cầu chủ trì";

/// Name of the `i`th bridge point (from 1) of briefings the loadgen creates.
pub fn point_name(i: usize) -> String {
    format!("Điểm cầu {i:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_loopback_links() {
        let link = Link::parse("http://127.0.0.1:8080/j/abc-DEF_1.2").unwrap();
        assert_eq!(link.http, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(link.token, "abc-DEF_1.2");
        let v6 = Link::parse("http://[::1]:9000/j/t").unwrap();
        assert_eq!(v6.http, "[::1]:9000".parse().unwrap());
        let named = Link::parse("http://localhost/j/t").unwrap();
        assert_eq!(named.http, "127.0.0.1:80".parse().unwrap());
    }

    #[test]
    fn refuses_addresses_beyond_loopback() {
        for url in [
            "http://10.0.0.5:8080/j/t",
            "http://example.org/j/t",
            "http://[2001:db8::1]:80/j/t",
        ] {
            assert!(
                matches!(Link::parse(url), Err(LoadgenError::NotLoopback(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn refuses_malformed_links() {
        for url in [
            "https://127.0.0.1/j/t",
            "http://127.0.0.1:8080/admin",
            "http://127.0.0.1:8080/j/",
            "http://127.0.0.1:8080/j/a?b",
            "http://127.0.0.1:port/j/t",
        ] {
            assert!(
                matches!(Link::parse(url), Err(LoadgenError::BadLink { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn reads_the_output_of_briefing_create() {
        let json = r#"{"id":"b1","links":[
            {"point":"Sở TT&TT","role":"host","url":"http://127.0.0.1:8080/j/h"},
            {"point":"UBND thị xã Cửa Lò","role":"point","url":"http://127.0.0.1:8080/j/p"}]}"#;
        let links = parse_created(json).unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].role, Role::Host);
        assert_eq!(links[1].point, "UBND thị xã Cửa Lò");
    }
}
