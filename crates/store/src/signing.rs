//! The signed-string format shared by invitation tokens and admin sessions:
//! `base64url(payload) "." base64url(HMAC-SHA-256(secret, domain || payload))`, unpadded.
//!
//! The domain string keeps the two uses apart: an invitation token can never pass as an admin
//! session or the other way round, even though both are signed with the same secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest signed string accepted. Real ones are about 100 bytes; the limit bounds the work an
/// attacker can cause before the signature is checked.
pub const MAX_TOKEN_LEN: usize = 512;

/// Length of an HMAC-SHA-256 tag in bytes.
const TAG_LEN: usize = 32;

/// Why a signed string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unsealed {
    Malformed,
    Forged,
}

/// Signs `payload` for `domain`.
pub(crate) fn seal(secret: &[u8], domain: &[u8], payload: &[u8]) -> String {
    let mac = mac(secret, domain, payload).finalize().into_bytes();
    let mut out = URL_SAFE_NO_PAD.encode(payload);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(mac, &mut out);
    out
}

/// Checks a string made by [`seal`] for the same domain and returns its payload.
pub(crate) fn unseal(secret: &[u8], domain: &[u8], token: &str) -> Result<Vec<u8>, Unsealed> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Unsealed::Malformed);
    }
    let (payload, tag) = token.split_once('.').ok_or(Unsealed::Malformed)?;
    // The decoder refuses non-canonical trailing bits, so each payload has one encoding.
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Unsealed::Malformed)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| Unsealed::Malformed)?;
    if tag.len() != TAG_LEN {
        return Err(Unsealed::Malformed);
    }
    // `verify_slice` compares in constant time, so timing reveals nothing about the right tag.
    mac(secret, domain, &payload)
        .verify_slice(&tag)
        .map_err(|_| Unsealed::Forged)?;
    Ok(payload)
}

fn mac(secret: &[u8], domain: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(domain);
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = &[7; 32];

    #[test]
    fn sealed_payload_round_trips() {
        let token = seal(SECRET, b"d\0", b"hello|world");

        assert_eq!(unseal(SECRET, b"d\0", &token).unwrap(), b"hello|world");
    }

    #[test]
    fn another_domain_or_secret_is_forged() {
        let token = seal(SECRET, b"one\0", b"payload");

        assert_eq!(unseal(SECRET, b"two\0", &token), Err(Unsealed::Forged));
        assert_eq!(unseal(&[8; 32], b"one\0", &token), Err(Unsealed::Forged));
    }

    #[test]
    fn shapes_other_than_payload_dot_tag_are_malformed() {
        let token = seal(SECRET, b"d\0", b"payload");
        let too_long = format!("{token}{}", "A".repeat(MAX_TOKEN_LEN));

        for bad in ["", ".", "abc", "a.b.c", "é.é", "a b.c", &too_long] {
            assert_eq!(
                unseal(SECRET, b"d\0", bad),
                Err(Unsealed::Malformed),
                "{bad}"
            );
        }
    }
}
