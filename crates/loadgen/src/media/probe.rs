//! The measurement probe inside every synthetic frame: who sent it, which layer, a sequence
//! number and the send time. The SFU forwards frames without reading them, so the probe
//! arrives as written, and a subscriber knows the sender of every frame whichever m-line
//! carried it.
//!
//! ```text
//! offset  0    1    2       3         4..8            8..16                        16..20
//!        'g'  'b'  layer   reserved  sequence (BE)   sent, µs since the run's     source (BE): the
//!                                                    epoch (BE)                   sender's point index
//! ```
//!
//! It sits after the codec header the SFU and str0m do read: the Opus TOC byte, the VP8
//! frame tag (RFC 6386 §9.1) with the keyframe start code and picture size.

use giaoban_model::TrackKind;

/// Bytes of a probe.
pub const PROBE_LEN: usize = 20;
const MAGIC: [u8; 2] = *b"gb";

/// Where the probe starts in a frame of `kind`.
pub fn offset(kind: TrackKind) -> usize {
    match kind {
        // One Opus TOC byte (RFC 6716 §3.1).
        TrackKind::Audio => 1,
        // VP8 frame tag (3 bytes), start code (3), width and height (4).
        TrackKind::Video => 10,
    }
}

/// Smallest frame that holds a probe.
pub fn min_frame_len(kind: TrackKind) -> usize {
    offset(kind) + PROBE_LEN
}

/// One frame's measurement data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The publishing point: its index in the run (0: the host).
    pub source: u32,
    /// The simulcast layer the frame belongs to: 0 without simulcast, else the layer's index.
    pub layer: u8,
    /// Per publisher, kind and layer; starts at 0.
    pub seq: u32,
    /// When the publisher wrote the frame, µs since the run's epoch.
    pub sent_us: u64,
}

impl Probe {
    /// Writes the probe at the start of `out`, which is at least [`PROBE_LEN`] long.
    pub fn write(&self, out: &mut [u8]) {
        out[..2].copy_from_slice(&MAGIC);
        out[2] = self.layer;
        out[3] = 0;
        out[4..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..16].copy_from_slice(&self.sent_us.to_be_bytes());
        out[16..20].copy_from_slice(&self.source.to_be_bytes());
    }

    /// Reads the probe of a frame of `kind`; `None` for a frame we did not write.
    pub fn read(kind: TrackKind, frame: &[u8]) -> Option<Probe> {
        let at = offset(kind);
        let bytes = frame.get(at..at + PROBE_LEN)?;
        if bytes[..2] != MAGIC {
            return None;
        }
        let seq = u32::from_be_bytes(bytes[4..8].try_into().ok()?);
        let sent_us = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
        let source = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        Some(Probe {
            source,
            layer: bytes[2],
            seq,
            sent_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_round_trips_after_the_codec_header() {
        let mut frame = vec![0u8; 40];
        frame[0] = 0x10;
        let probe = Probe {
            source: 0x2122_2324,
            layer: 2,
            seq: 0x0102_0304,
            sent_us: 0x0a0b_0c0d_0e0f_1011,
        };
        probe.write(&mut frame[offset(TrackKind::Video)..]);
        #[rustfmt::skip]
        assert_eq!(&frame[10..30], &[
            b'g', b'b', 2, 0,                                // magic, layer, reserved
            0x01, 0x02, 0x03, 0x04,                          // sequence
            0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,  // sent, µs
            0x21, 0x22, 0x23, 0x24,                          // source
        ]);
        assert_eq!(Probe::read(TrackKind::Video, &frame), Some(probe));
    }

    #[test]
    fn foreign_and_short_frames_have_no_probe() {
        assert_eq!(Probe::read(TrackKind::Audio, &[0xfc; 40]), None);
        assert_eq!(Probe::read(TrackKind::Audio, b"\xfcgb"), None);
    }
}
