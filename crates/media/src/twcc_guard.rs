//! A guard in front of str0m's register of transport-wide sequence numbers (TWCC,
//! draft-holmer-rmcat-transport-wide-cc-extensions-01).
//!
//! str0m 0.25 extends the 16-bit transport-wide sequence number of each RTP packet it receives
//! to 64 bits from the highest one it has registered. While that is below 2^15, a number more
//! than 2^15 above it is taken as having wrapped backwards past 0 and becomes nearly 2^64; the
//! next feedback str0m builds then counts every number in between as missing, one entry per
//! 8,192 of them, and exhausts the node's memory. Two packets of one connected point (numbers
//! 0 and 40,000) are enough; browsers count up from 1 and never do it.
//!
//! The SFU asks [`TwccGuard::admits`] before str0m sees an RTP packet, and drops one whose
//! number would wrap. The highest number it judges by is that of the packets str0m
//! authenticated and passed on ([`TwccGuard::register`]), never of raw datagrams, which an
//! outsider can forge with a point's address. It may lag str0m's (str0m also registers
//! packets it passes on to nobody, such as padding): a lower number only makes the guard
//! stricter, and what it then drops in addition is a packet more than 2^15 ahead of the
//! point's own media, which no browser sends.

use str0m::media::Media;
use str0m::rtp::Extension;

/// Half the sequence number space: str0m's boundary between ahead and behind.
const HALF: u64 = 1 << 15;

/// The transport-wide sequence numbers of one peer, as far as the guard needs them.
#[derive(Debug, Default)]
pub(crate) struct TwccGuard {
    /// The header extension id of transport-wide sequence numbers, once negotiated.
    id: Option<u8>,
    /// The highest number of the packets str0m authenticated, extended as str0m does.
    max: Option<u64>,
}

impl TwccGuard {
    /// Whether str0m may see `datagram`. Anything that is not an RTP packet carrying a
    /// transport-wide sequence number is admitted.
    ///
    /// Before any packet with a number was passed on, the guard judges as if the highest were
    /// 0: str0m may have registered numbers of packets it passed on to nobody (padding, a
    /// payload type nobody receives), and browsers count up from 1.
    pub fn admits(&self, datagram: &[u8]) -> bool {
        let Some(id) = self.id else {
            return true;
        };
        match transport_sequence_number(datagram, id) {
            Some(seq) => !wraps_backwards(self.max.unwrap_or(0), seq),
            None => true,
        }
    }

    /// Notes a packet str0m authenticated and passed on, with the media it belongs to.
    pub fn register(&mut self, media: Option<&Media>, seq: Option<u16>) {
        if self.id.is_none() {
            self.id =
                media.and_then(|m| m.remote_extmap().id_of(Extension::TransportSequenceNumber));
        }
        if let Some(seq) = seq {
            let extended = extend(self.max, seq);
            self.max = Some(self.max.map_or(extended, |m| m.max(extended)));
        }
    }
}

/// Whether str0m would extend `seq` past 0 backwards, given `max` (str0m's `extend_u16`: a
/// rollover count of 0, the last number in the lower half, and `seq` more than half the space
/// above it).
fn wraps_backwards(max: u64, seq: u16) -> bool {
    max < HALF && u64::from(seq) > HALF + max
}

/// `seq` extended to 64 bits next to `prev`, as str0m does (RFC 3711 appendix A), for numbers
/// that do not wrap backwards past 0.
fn extend(prev: Option<u64>, seq: u16) -> u64 {
    let seq = u64::from(seq);
    let Some(prev) = prev else {
        return seq;
    };
    let roc = prev >> 16;
    let last = prev & 0xffff;
    let roc = if last < HALF {
        if seq > HALF + last {
            roc.saturating_sub(1)
        } else {
            roc
        }
    } else if last > seq + HALF {
        roc + 1
    } else {
        roc
    };
    (roc << 16) + seq
}

/// The transport-wide sequence number of an RTP packet (RFC 3550 §5.1) in the header
/// extension `id` (RFC 8285, one- or two-byte form); `None` for anything else. The header of
/// an SRTP packet is not encrypted (RFC 3711 §3.1).
fn transport_sequence_number(packet: &[u8], id: u8) -> Option<u16> {
    let first = *packet.first()?;
    // Version 2; RTCP (RFC 5761 §4: payload types 64–95 with the marker bit) is not RTP.
    if first >> 6 != 2 || (192..=223).contains(packet.get(1)?) || first & 0x10 == 0 {
        return None;
    }
    let csrcs = usize::from(first & 0x0f);
    let at = 12 + 4 * csrcs;
    let profile = u16::from_be_bytes([*packet.get(at)?, *packet.get(at + 1)?]);
    let words = usize::from(u16::from_be_bytes([
        *packet.get(at + 2)?,
        *packet.get(at + 3)?,
    ]));
    let block = packet.get(at + 4..at + 4 + 4 * words)?;
    let two_byte = match profile {
        0xbede => false,
        p if p & 0xfff0 == 0x1000 => true,
        _ => return None,
    };
    let mut i = 0;
    while i < block.len() {
        let (element, len, header) = if two_byte {
            let element = block[i];
            if element == 0 {
                i += 1;
                continue;
            }
            (element, usize::from(*block.get(i + 1)?), 2)
        } else {
            let element = block[i] >> 4;
            if element == 0 {
                i += 1;
                continue;
            }
            if element == 15 {
                return None;
            }
            (element, usize::from(block[i] & 0x0f) + 1, 1)
        };
        let value = block.get(i + header..i + header + len)?;
        if element == id {
            return match value {
                [a, b] => Some(u16::from_be_bytes([*a, *b])),
                _ => None,
            };
        }
        i += header + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RTP packet with one header extension block.
    fn packet(csrcs: u8, extension: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x90 | csrcs, // V=2, X=1, CC
            0x6f,         // PT 111 (Opus)
            0x00,
            0x01, // sequence number
            0x00,
            0x00,
            0x03,
            0xc0, // timestamp
            0x12,
            0x34,
            0x56,
            0x78, // SSRC
        ];
        for c in 0..csrcs {
            p.extend([0, 0, 0, c]);
        }
        p.extend(extension);
        p.extend([0xfc, 0xff, 0xfe]); // payload
        p
    }

    #[test]
    fn the_sequence_number_is_read_in_the_one_byte_form() {
        let ext = [
            0xbe, 0xde, 0x00, 0x02, // one-byte form, two words
            0x10, 0xff, // id 1, audio level, 1 byte
            0x00, // padding
            0x31, 0x9c, 0x40, // id 3, 2 bytes: 40,000
            0x00, 0x00, // padding
        ];
        assert_eq!(transport_sequence_number(&packet(0, &ext), 3), Some(40_000));
        assert_eq!(transport_sequence_number(&packet(2, &ext), 3), Some(40_000));
        assert_eq!(transport_sequence_number(&packet(0, &ext), 5), None);
    }

    #[test]
    fn the_sequence_number_is_read_in_the_two_byte_form() {
        let ext = [
            0x10, 0x00, 0x00, 0x02, // two-byte form, two words
            0x04, 0x01, 0x68, // id 4, 1 byte: rid "h"
            0x03, 0x02, 0x00, 0x07, // id 3, 2 bytes: 7
            0x00, // padding
        ];
        assert_eq!(transport_sequence_number(&packet(0, &ext), 3), Some(7));
    }

    #[test]
    fn truncated_and_foreign_packets_have_no_sequence_number() {
        let ext = [0xbe, 0xde, 0x00, 0x01, 0x31, 0x9c, 0x40, 0x00];
        let whole = packet(0, &ext);
        for len in 0..16 {
            assert_eq!(transport_sequence_number(&whole[..len], 3), None, "{len}");
        }
        let mut no_x = whole.clone();
        no_x[0] = 0x80;
        assert_eq!(transport_sequence_number(&no_x, 3), None);
        let mut rtcp = whole.clone();
        rtcp[1] = 0xc9; // a receiver report
        assert_eq!(transport_sequence_number(&rtcp, 3), None);
        let mut too_long = whole;
        too_long[15] = 0x40; // 0x40 words announced
        assert_eq!(transport_sequence_number(&too_long, 3), None);
        // STUN and DTLS do not start with version 2.
        assert_eq!(transport_sequence_number(&[0x00, 0x01, 0, 0], 3), None);
        assert_eq!(transport_sequence_number(&[0x16, 0xfe, 0xfd], 3), None);
    }

    #[test]
    fn a_number_that_would_wrap_backwards_past_0_is_refused() {
        let twcc = |seq: u16| {
            packet(
                0,
                &[
                    0xbe,
                    0xde,
                    0x00,
                    0x01,
                    0x31,
                    (seq >> 8) as u8,
                    seq as u8,
                    0x00,
                ],
            )
        };
        let mut guard = TwccGuard {
            id: Some(3),
            max: None,
        };
        // Nothing passed on yet: judged as from 0, since str0m may have registered a number
        // of a packet it passed on to nobody (found by fuzzing: a padding packet numbered 0,
        // then one numbered 40,000, and str0m's next feedback took a gigabyte).
        assert!(guard.admits(&twcc(1)));
        assert!(guard.admits(&twcc(32_768)));
        assert!(!guard.admits(&twcc(40_000)), "nothing passed on yet");

        guard.register(None, Some(0));
        assert!(guard.admits(&twcc(1)));
        assert!(guard.admits(&twcc(32_768)));
        assert!(
            !guard.admits(&twcc(32_769)),
            "str0m would make it 2^64 - 32,767"
        );
        assert!(!guard.admits(&twcc(65_535)));
        assert!(
            guard.admits(&packet(0, &[0xbe, 0xde, 0x00, 0x00])),
            "no number"
        );

        // Counting up past half the space, wrapping around 0 is forwards again.
        for seq in (0..=40_000).step_by(1000) {
            guard.register(None, Some(seq));
        }
        assert_eq!(guard.max, Some(40_000));
        assert!(guard.admits(&twcc(65_535)));
        guard.register(None, Some(65_535));
        guard.register(None, Some(3));
        assert_eq!(guard.max, Some(65_536 + 3));
        assert!(guard.admits(&twcc(40_000)));
    }

    #[test]
    fn the_extension_agrees_with_str0m_where_it_does_not_wrap() {
        assert_eq!(extend(None, 5), 5);
        assert_eq!(extend(Some(0), 1), 1);
        assert_eq!(extend(Some(65_535), 0), 65_536);
        assert_eq!(extend(Some(65_500), 2), 65_538);
        assert_eq!(extend(Some(2), 1), 1);
        assert_eq!(extend(Some(65_538), 1), 65_537);
        assert_eq!(extend(Some(65_500), 65_500), 65_500);
        assert_eq!(extend(Some(3 * 65_536 + 10), 65_000), 2 * 65_536 + 65_000);
    }
}
