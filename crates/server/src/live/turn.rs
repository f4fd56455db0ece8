//! TURN servers handed to the points (`serve --turn-url … --turn-secret …`).
//!
//! giaoban does not relay itself: a point whose network lets neither UDP nor TCP to the media
//! port through reaches it through a TURN server such as coturn. Each point receives fresh,
//! time-limited credentials at every join, made with the secret the TURN server shares
//! (coturn's `use-auth-secret` / `static-auth-secret`, the "TURN REST API" scheme):
//! the username is `<expiry as Unix seconds>:<who>` and the password is
//! `base64(HMAC-SHA1(secret, username))`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use giaoban_model::IceServer;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Minutes credentials stay valid by default: a long briefing and its reconnections.
pub const DEFAULT_TTL_MINUTES: u64 = 12 * 60;

/// A `turn:` or `turns:` URL (RFC 7065), checked at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnUrl(String);

impl FromStr for TurnUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<TurnUrl, String> {
        let s = s.trim();
        let rest = s
            .strip_prefix("turns:")
            .or_else(|| s.strip_prefix("turn:"))
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a TURN URL: expected turn:HOST:PORT?transport=udp|tcp or turns:HOST:PORT"
                )
            })?;
        let (host_port, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        if host_port.is_empty() || host_port.contains(['/', '@', ' ']) {
            return Err(format!(
                "{s:?}: the TURN URL needs a host (and a port), nothing else"
            ));
        }
        if let Some(q) = query
            && q != "transport=udp"
            && q != "transport=tcp"
        {
            return Err(format!(
                "{s:?}: the only parameter a TURN URL takes is transport=udp or transport=tcp"
            ));
        }
        Ok(TurnUrl(s.to_owned()))
    }
}

impl fmt::Display for TurnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The TURN servers and the secret shared with them.
#[derive(Clone)]
pub struct Turn {
    urls: Vec<String>,
    secret: String,
    ttl: Duration,
}

impl fmt::Debug for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("Turn")
            .field("urls", &self.urls)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Turn {
    /// `None` without URLs; an error when URLs come without a secret or the secret is empty.
    pub fn new(
        urls: &[TurnUrl],
        secret: Option<&str>,
        ttl: Duration,
    ) -> Result<Option<Turn>, String> {
        if urls.is_empty() {
            return Ok(None);
        }
        let secret = secret.map(str::trim).unwrap_or_default();
        if secret.is_empty() {
            return Err(
                "--turn-url needs --turn-secret: the TURN server's static-auth-secret".into(),
            );
        }
        if ttl.is_zero() {
            return Err("--turn-ttl must be positive".into());
        }
        Ok(Some(Turn {
            urls: urls.iter().map(|u| u.0.clone()).collect(),
            secret: secret.to_owned(),
            ttl,
        }))
    }

    /// Credentials for `who` (no colon in it), valid until `now_unix + ttl`.
    pub fn ice_server(&self, now_unix: u64, who: &str) -> IceServer {
        let expiry = now_unix.saturating_add(self.ttl.as_secs());
        let username = format!("{expiry}:{}", who.replace(':', "_"));
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(username.as_bytes());
        IceServer {
            urls: self.urls.clone(),
            username,
            credential: STANDARD.encode(mac.finalize().into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(DEFAULT_TTL_MINUTES * 60);

    fn urls(list: &[&str]) -> Vec<TurnUrl> {
        list.iter().map(|u| u.parse().unwrap()).collect()
    }

    #[test]
    fn turn_urls_are_checked() {
        for good in [
            "turn:turn.example.gov.vn:3478?transport=udp",
            "turn:10.0.0.1:3478?transport=tcp",
            "turns:turn.example.gov.vn:5349",
            "turn:[fd00::1]:3478",
        ] {
            assert!(good.parse::<TurnUrl>().is_ok(), "{good}");
        }
        for bad in [
            "stun:x:3478",
            "https://turn.example",
            "turn:",
            "turn:x:3478?transport=sctp",
            "turn:user@x:3478",
        ] {
            assert!(bad.parse::<TurnUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_follow_the_turn_rest_scheme() {
        let turn = Turn::new(
            &urls(&["turn:t:3478?transport=udp"]),
            Some("north"),
            Duration::from_secs(3600),
        )
        .unwrap()
        .unwrap();
        let server = turn.ice_server(1_700_000_000, "p42");
        assert_eq!(server.username, "1700003600:p42");
        assert_eq!(server.urls, vec!["turn:t:3478?transport=udp".to_string()]);
        // HMAC-SHA1("north", "1700003600:p42"), base64: computed independently with
        // `printf %s 1700003600:p42 | openssl dgst -sha1 -hmac north -binary | base64`.
        assert_eq!(server.credential, "DrflJ1zL7PzqSN+UU2x2oUTW21s=");
    }

    #[test]
    fn urls_without_a_secret_are_refused() {
        let err = Turn::new(&urls(&["turn:t:3478"]), None, TTL).unwrap_err();
        assert!(err.contains("--turn-secret"));
        let err = Turn::new(&urls(&["turn:t:3478"]), Some("  "), TTL).unwrap_err();
        assert!(err.contains("--turn-secret"));
        assert!(Turn::new(&[], None, TTL).unwrap().is_none());
    }
}
