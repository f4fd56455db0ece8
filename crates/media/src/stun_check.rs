//! Binding requests that carry attributes the server must understand but does not.
//!
//! STUN marks attributes of types below 0x8000 as comprehension-required (RFC 8489 §14): a
//! server that does not know one must not act on the request as if it did, but answer
//! "420 Unknown Attribute" listing them (§6.3.1.1). str0m's ICE agent skips every attribute it
//! does not know and would answer such a request with a success. The SFU therefore looks at a
//! binding request before str0m does: when it names unknown comprehension-required attributes
//! and its MESSAGE-INTEGRITY holds with the point's ICE password (authentication comes first,
//! §9.1.3: nobody else gets an answer), the SFU answers 420 itself and str0m never sees it.
//!
//! Sans-IO: bytes in, bytes out.

use aws_lc_rs::hmac;

/// The magic cookie of every RFC 5389/8489 message.
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const HEADER: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_ERROR_RESPONSE: u16 = 0x0111;
const USERNAME: u16 = 0x0006;
const MESSAGE_INTEGRITY: u16 = 0x0008;
const ERROR_CODE: u16 = 0x0009;
const UNKNOWN_ATTRIBUTES: u16 = 0x000A;
const FINGERPRINT: u16 = 0x8028;
/// RFC 8489 §14.7: the CRC-32 of the message is XORed with this.
const FINGERPRINT_XOR: u32 = 0x5354_554E;
const REASON: &[u8] = b"Unknown Attribute";

/// Comprehension-required attributes str0m's STUN parser reads (the ICE ones among them:
/// USERNAME, MESSAGE-INTEGRITY, PRIORITY, USE-CANDIDATE).
const KNOWN: [u16; 16] = [
    0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016,
    0x0020, 0x0022, 0x0024, 0x0025,
];

/// Unknown attributes listed in one answer: a request with more is answered with these.
const MAX_LISTED: usize = 16;

/// A binding request naming comprehension-required attributes the server does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAttributes {
    /// Their types, in the order of the request, each once, at most [`MAX_LISTED`].
    pub types: Vec<u16>,
    /// Where the request's MESSAGE-INTEGRITY attribute starts.
    integrity_at: usize,
}

/// `Some` when `datagram` is a well-formed binding request with a USERNAME and a
/// MESSAGE-INTEGRITY and, before the latter, attributes of types below 0x8000 that are not
/// [`KNOWN`] (attributes after MESSAGE-INTEGRITY do not count, RFC 8489 §14.5).
pub fn unknown_required(datagram: &[u8]) -> Option<UnknownAttributes> {
    if datagram.len() < HEADER
        || u16::from_be_bytes([datagram[0], datagram[1]]) != BINDING_REQUEST
        || datagram[4..8] != MAGIC_COOKIE
        || usize::from(u16::from_be_bytes([datagram[2], datagram[3]])) != datagram.len() - HEADER
    {
        return None;
    }
    let mut types = Vec::new();
    let mut username = false;
    let mut at = HEADER;
    while at + 4 <= datagram.len() {
        let kind = u16::from_be_bytes([datagram[at], datagram[at + 1]]);
        let len = usize::from(u16::from_be_bytes([datagram[at + 2], datagram[at + 3]]));
        let end = at + 4 + len.next_multiple_of(4);
        if end > datagram.len() {
            return None;
        }
        match kind {
            MESSAGE_INTEGRITY => {
                return (username && len == 20 && !types.is_empty()).then_some(UnknownAttributes {
                    types,
                    integrity_at: at,
                });
            }
            USERNAME => username = true,
            k if k < 0x8000
                && !KNOWN.contains(&k)
                && !types.contains(&k)
                && types.len() < MAX_LISTED =>
            {
                types.push(k);
            }
            _ => {}
        }
        at = end;
    }
    None
}

impl UnknownAttributes {
    /// The 420 answer to `request` (the datagram [`unknown_required`] looked at), signed with
    /// `password`, the point's ICE password, as the request must be: `None` when the request's
    /// MESSAGE-INTEGRITY does not hold with it.
    pub fn answer(&self, request: &[u8], password: &str) -> Option<Vec<u8>> {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
        let at = self.integrity_at;
        let mut signed = request.get(..at)?.to_vec();
        set_length(&mut signed, at + 24);
        hmac::verify(&key, &signed, request.get(at + 4..at + 24)?).ok()?;

        let mut out = Vec::with_capacity(96);
        out.extend_from_slice(&BINDING_ERROR_RESPONSE.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&request[4..HEADER]);
        // ERROR-CODE: class 4, number 20, then the reason phrase.
        attribute(&mut out, ERROR_CODE, &[&[0, 0, 4, 20], REASON]);
        let listed: Vec<u8> = self.types.iter().flat_map(|t| t.to_be_bytes()).collect();
        attribute(&mut out, UNKNOWN_ATTRIBUTES, &[&listed]);
        seal(&mut out, &key);
        Some(out)
    }
}

/// Ends a message with MESSAGE-INTEGRITY (HMAC-SHA1 with `key` of the message, its length
/// counting the attribute itself) and FINGERPRINT (RFC 8489 §14.5, §14.7).
fn seal(out: &mut Vec<u8>, key: &hmac::Key) {
    let integrity_at = out.len();
    set_length(out, integrity_at + 24);
    let tag = hmac::sign(key, out);
    attribute(out, MESSAGE_INTEGRITY, &[tag.as_ref()]);
    let fingerprint_at = out.len();
    set_length(out, fingerprint_at + 8);
    let crc = crc32fast::hash(out) ^ FINGERPRINT_XOR;
    attribute(out, FINGERPRINT, &[&crc.to_be_bytes()]);
}

/// Appends an attribute of `kind` whose value is `parts`, padded to 4 bytes.
fn attribute(out: &mut Vec<u8>, kind: u16, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
    out.resize(out.len() + (len.next_multiple_of(4) - len), 0);
}

/// Writes the header's length field for a message of `total` bytes.
fn set_length(message: &mut [u8], total: usize) {
    let len = (total - HEADER) as u16;
    message[2..4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use str0m::ice::StunMessage;

    const PASSWORD: &str = "server-ice-password-22chars";

    /// A binding request as a browser sends it, with `extra` attributes before its
    /// MESSAGE-INTEGRITY, signed with `password`, and a FINGERPRINT.
    fn request(extra: &[(u16, &[u8])], password: &str) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&MAGIC_COOKIE);
        out.extend_from_slice(b"0123456789ab");
        attribute(&mut out, USERNAME, &[b"srvf:clif"]);
        attribute(&mut out, 0x0024, &[&[0x6e, 0, 0x1e, 0xff]]);
        for (kind, value) in extra {
            attribute(&mut out, *kind, &[value]);
        }
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
        seal(&mut out, &key);
        out
    }

    #[test]
    fn a_request_with_an_unknown_required_attribute_gets_a_signed_420() {
        let request = request(&[(0x7F01, b"x"), (0x002F, b""), (0x7F01, b"yy")], PASSWORD);

        let unknown = unknown_required(&request).expect("unknown attributes found");
        let answer = unknown.answer(&request, PASSWORD).expect("an answer");
        let parsed = StunMessage::parse(&answer).expect("a well-formed STUN message");

        assert_eq!(unknown.types, [0x7F01, 0x002F]);
        assert!(!parsed.is_successful_binding_response());
        assert_eq!(parsed.error_code(), Some((420, "Unknown Attribute")));
        assert_eq!(
            parsed.trans_id(),
            StunMessage::parse(&request).unwrap().trans_id()
        );
        assert!(
            parsed.verify(PASSWORD.as_bytes(), |key, parts| {
                let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
                let mut ctx = hmac::Context::with_key(&key);
                parts.iter().for_each(|p| ctx.update(p));
                ctx.sign().as_ref().try_into().unwrap()
            }),
            "the answer's MESSAGE-INTEGRITY does not hold"
        );
        // UNKNOWN-ATTRIBUTES lists both, and FINGERPRINT closes the message.
        let listed = answer
            .windows(8)
            .any(|w| w == [0x00, 0x0A, 0x00, 0x04, 0x7F, 0x01, 0x00, 0x2F]);
        assert!(listed, "{answer:02x?}");
        let n = answer.len();
        assert_eq!(answer[n - 8..n - 4], [0x80, 0x28, 0x00, 0x04]);
        let crc = crc32fast::hash(&answer[..n - 8]) ^ FINGERPRINT_XOR;
        assert_eq!(answer[n - 4..], crc.to_be_bytes());
    }

    #[test]
    fn known_and_optional_attributes_and_strangers_get_nothing() {
        // What browsers send: USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, GOOG-*.
        let plain = request(
            &[(0x802A, &[0; 8]), (0x0025, b""), (0xC057, &[0; 4])],
            PASSWORD,
        );
        assert_eq!(unknown_required(&plain), None);

        // Signed with another password: no answer at all.
        let forged = request(&[(0x7F01, b"x")], "another-password");
        let unknown = unknown_required(&forged).expect("parsed");
        assert_eq!(unknown.answer(&forged, PASSWORD), None);

        // Cut or broken requests are not looked at.
        let good = request(&[(0x7F01, b"x")], PASSWORD);
        for n in 0..good.len() {
            assert_eq!(unknown_required(&good[..n]), None, "cut at {n}");
        }
        let mut not_binding = good.clone();
        not_binding[1] = 0x03;
        assert_eq!(unknown_required(&not_binding), None);
    }
}
