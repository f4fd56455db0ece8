//! RTP packets to media frames: a reorder buffer per stream, Opus and VP8 (RFC 7741)
//! depacketising, keyframe detection, and RTP timestamps mapped to the wall clock.
//!
//! [`FrameStream`] ties these together for one stream: push packets as they arrive, then pop
//! [`FrameEvent`]s (frames in order, and for video a [`FrameEvent::KeyframeWanted`] when a loss
//! broke the picture: video then waits for the next keyframe).

use std::collections::{BTreeMap, VecDeque};

/// The most packets a reorder buffer holds while waiting for a gap to fill; when full, the
/// gap is given up at once.
pub const MAX_HELD_PACKETS: usize = 512;

/// How long a reorder buffer waits for a missing packet (a retransmission) before giving up
/// on it, in ms from the arrival of the oldest packet held behind the gap.
pub const REORDER_WAIT_MS: u64 = 400;

/// A stream's first packets are held this long (ms from the first arrival) before any is
/// released, so that a first packet that arrives after its successor is not lost.
pub const REORDER_START_MS: u64 = 100;

/// A packet whose sequence number is this far from the expected one (either way) restarts
/// the stream (a sender restart) rather than being held or dropped as late.
pub const SEQ_RESET_DISTANCE: u64 = 3_000;

/// The largest RTP payload accepted, in bytes (well above any path MTU); larger ones are
/// dropped. With [`MAX_HELD_PACKETS`] it bounds a reorder buffer's memory.
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024;

/// The largest frame assembled, in bytes; a larger one is dropped as if lost.
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// A mapped timestamp further than this from the packet's arrival (ms) re-anchors the clock.
pub const REANCHOR_MS: u64 = 1_000;

/// One RTP packet as the server receives it.
#[derive(Debug, Clone, Copy)]
pub struct RtpIn<'a> {
    /// Extended sequence number (no wrap).
    pub seq: u64,
    /// RTP timestamp.
    pub timestamp: u32,
    /// RTP marker bit (VP8: last packet of a frame).
    pub marker: bool,
    /// The payload.
    pub payload: &'a [u8],
    /// Wall-clock arrival time, Unix ms.
    pub arrival_unix_ms: u64,
}

/// A packet held or released by a [`ReorderBuffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Extended sequence number.
    pub seq: u64,
    /// RTP timestamp.
    pub timestamp: u32,
    /// RTP marker bit.
    pub marker: bool,
    /// The payload.
    pub payload: Vec<u8>,
    /// Wall-clock arrival time, Unix ms.
    pub arrival_unix_ms: u64,
}

/// What a [`ReorderBuffer`] releases, in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ordered {
    /// The next packet.
    Packet(Packet),
    /// Packets were given up (`count` of them; 0 when the stream restarted).
    Lost {
        /// How many sequence numbers were skipped.
        count: u64,
    },
}

/// Puts packets back in sequence order, waiting a bounded time for a missing one.
#[derive(Debug, Default)]
pub struct ReorderBuffer {
    next: Option<u64>,
    /// Until this time (Unix ms) nothing is released, and earlier packets are still taken.
    starting_until: Option<u64>,
    held: BTreeMap<u64, Packet>,
    give_up_now: bool,
    restarted: bool,
    duplicates: u64,
}

impl ReorderBuffer {
    /// An empty buffer; the first packet pushed sets the expected sequence number.
    pub fn new() -> ReorderBuffer {
        ReorderBuffer::default()
    }

    /// Packets dropped as duplicates or too late so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Takes a packet. Duplicates and packets older than those already released are dropped.
    pub fn push(&mut self, p: RtpIn<'_>) {
        if p.payload.len() > MAX_PAYLOAD_BYTES {
            tracing::debug!(len = p.payload.len(), "rtp: oversized payload dropped");
            return;
        }
        let packet = Packet {
            seq: p.seq,
            timestamp: p.timestamp,
            marker: p.marker,
            payload: p.payload.to_vec(),
            arrival_unix_ms: p.arrival_unix_ms,
        };
        let Some(next) = self.next else {
            self.next = Some(p.seq);
            self.starting_until = Some(p.arrival_unix_ms.saturating_add(REORDER_START_MS));
            self.held.insert(p.seq, packet);
            return;
        };
        let starting = self.starting_until.is_some();
        if starting && p.seq < next && next - p.seq <= SEQ_RESET_DISTANCE {
            // Nothing was released yet: an earlier packet is the stream's new start.
            if self.held.len() < MAX_HELD_PACKETS {
                self.next = Some(p.seq);
                self.held.insert(p.seq, packet);
            }
            return;
        }
        if p.seq.abs_diff(next) > SEQ_RESET_DISTANCE {
            self.held.clear();
            self.next = Some(p.seq);
            self.starting_until = None;
            self.held.insert(p.seq, packet);
            self.restarted = true;
            return;
        }
        if p.seq < next || self.held.contains_key(&p.seq) {
            self.duplicates += 1;
            return;
        }
        if self.held.len() >= MAX_HELD_PACKETS {
            // Full: drop this one and give up the gap that holds the others back.
            self.give_up_now = true;
            return;
        }
        self.held.insert(p.seq, packet);
    }

    /// The next packet or loss to release at wall time `now` (Unix ms), if any.
    pub fn pop(&mut self, now_unix_ms: u64) -> Option<Ordered> {
        if std::mem::take(&mut self.restarted) {
            return Some(Ordered::Lost { count: 0 });
        }
        if let Some(until) = self.starting_until {
            if now_unix_ms < until && !self.give_up_now {
                return None;
            }
            self.starting_until = None;
        }
        let next = self.next?;
        let (&first, _) = self.held.first_key_value()?;
        if first == next {
            self.next = Some(next + 1);
            return self.held.remove(&first).map(Ordered::Packet);
        }
        let oldest = self.held.values().map(|p| p.arrival_unix_ms).min()?;
        if self.give_up_now || now_unix_ms.saturating_sub(oldest) >= REORDER_WAIT_MS {
            self.give_up_now = false;
            self.next = Some(first);
            return Some(Ordered::Lost {
                count: first - next,
            });
        }
        None
    }
}

/// Maps a stream's RTP timestamps to wall-clock ms, anchored at the first packet's arrival.
#[derive(Debug, Clone)]
pub struct ClockMap {
    rate: u64,
    state: Option<ClockState>,
}

#[derive(Debug, Clone, Copy)]
struct ClockState {
    last_ts: u32,
    /// `last_ts` extended past 32-bit wraps, in clock units.
    last_ext: i64,
    anchor_ext: i64,
    anchor_wall: u64,
}

impl ClockMap {
    /// A map for a clock of `rate` Hz (Opus 48000, VP8 90000).
    pub fn new(rate: u32) -> ClockMap {
        ClockMap {
            rate: u64::from(rate.max(1)),
            state: None,
        }
    }

    /// The wall time (Unix ms) of RTP timestamp `ts` of a packet that arrived at `arrival`:
    /// `anchor_wall + (ts - anchor_ts) / rate`, the difference taken signed across wraps.
    /// Re-anchors at this packet when the result is more than [`REANCHOR_MS`] from `arrival`.
    pub fn map(&mut self, ts: u32, arrival_unix_ms: u64) -> u64 {
        let Some(s) = &mut self.state else {
            self.state = Some(ClockState {
                last_ts: ts,
                last_ext: 0,
                anchor_ext: 0,
                anchor_wall: arrival_unix_ms,
            });
            return arrival_unix_ms;
        };
        let ext = s.last_ext + i64::from(ts.wrapping_sub(s.last_ts) as i32);
        s.last_ts = ts;
        s.last_ext = ext;
        let wall = i128::from(s.anchor_wall)
            + i128::from(ext - s.anchor_ext) * 1000 / i128::from(self.rate);
        if wall < 0 || wall.abs_diff(i128::from(arrival_unix_ms)) > u128::from(REANCHOR_MS) {
            s.anchor_ext = ext;
            s.anchor_wall = arrival_unix_ms;
            return arrival_unix_ms;
        }
        u64::try_from(wall).unwrap_or(arrival_unix_ms)
    }
}

/// A malformed VP8 payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Vp8Error {
    /// The payload ends inside the payload descriptor, or holds no VP8 data.
    #[error("VP8 payload too short")]
    Truncated,
}

/// The VP8 payload descriptor (RFC 7741 section 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp8Descriptor {
    /// S: start of a VP8 partition.
    pub start: bool,
    /// N: non-reference frame.
    pub non_reference: bool,
    /// PID: partition index.
    pub partition: u8,
    /// PictureID (7 or 15 bits), if present.
    pub picture_id: Option<u16>,
    /// TL0PICIDX, if present.
    pub tl0_pic_idx: Option<u8>,
    /// TID, if present (T bit).
    pub tid: Option<u8>,
    /// KEYIDX, if present (K bit).
    pub key_idx: Option<u8>,
    /// Bytes of the descriptor: the VP8 data starts there.
    pub len: usize,
}

/// Parses a VP8 RTP payload's descriptor.
pub fn parse_vp8_descriptor(payload: &[u8]) -> Result<Vp8Descriptor, Vp8Error> {
    let b0 = *payload.first().ok_or(Vp8Error::Truncated)?;
    let mut d = Vp8Descriptor {
        start: b0 & 0x10 != 0,
        non_reference: b0 & 0x20 != 0,
        partition: b0 & 0x07,
        ..Vp8Descriptor::default()
    };
    let mut pos = 1;
    let byte = |pos: &mut usize| -> Result<u8, Vp8Error> {
        let b = *payload.get(*pos).ok_or(Vp8Error::Truncated)?;
        *pos += 1;
        Ok(b)
    };
    if b0 & 0x80 != 0 {
        let x = byte(&mut pos)?;
        if x & 0x80 != 0 {
            let p = byte(&mut pos)?;
            d.picture_id = Some(if p & 0x80 != 0 {
                let lo = byte(&mut pos)?;
                (u16::from(p & 0x7F) << 8) | u16::from(lo)
            } else {
                u16::from(p)
            });
        }
        if x & 0x40 != 0 {
            d.tl0_pic_idx = Some(byte(&mut pos)?);
        }
        if x & 0x30 != 0 {
            let tk = byte(&mut pos)?;
            if x & 0x20 != 0 {
                d.tid = Some(tk >> 6);
            }
            if x & 0x10 != 0 {
                d.key_idx = Some(tk & 0x1F);
            }
        }
    }
    if pos >= payload.len() {
        return Err(Vp8Error::Truncated);
    }
    d.len = pos;
    Ok(d)
}

/// Whether a VP8 frame is a keyframe (P bit of the frame tag clear).
pub fn vp8_is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 0x01 == 0)
}

/// A VP8 keyframe's size (width, height), from its start code header. None if `frame` is not a
/// keyframe or too short.
pub fn vp8_keyframe_size(frame: &[u8]) -> Option<(u16, u16)> {
    if !vp8_is_keyframe(frame) || frame.get(3..6)? != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let b = frame.get(6..10)?;
    let w = u16::from_le_bytes([b[0], b[1]]) & 0x3FFF;
    let h = u16::from_le_bytes([b[2], b[3]]) & 0x3FFF;
    Some((w, h))
}

/// The codec of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Opus, 48 kHz clock, one frame per packet.
    Opus,
    /// VP8, 90 kHz clock, RFC 7741.
    Vp8,
}

impl Codec {
    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Opus => 48_000,
            Codec::Vp8 => 90_000,
        }
    }
}

/// A whole media frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// RTP timestamp.
    pub rtp_ts: u32,
    /// Wall-clock time (Unix ms) mapped from the RTP timestamp.
    pub wall_ms: u64,
    /// Keyframe (always true for Opus).
    pub keyframe: bool,
    /// A VP8 keyframe's size.
    pub size: Option<(u16, u16)>,
    /// The frame's bytes (for VP8, without the payload descriptors).
    pub data: Vec<u8>,
}

/// What a [`FrameStream`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// A whole frame.
    Frame(Frame),
    /// Video lost a packet (or starts without a keyframe): ask the sender for a keyframe.
    KeyframeWanted,
}

#[derive(Debug)]
struct Partial {
    ts: u32,
    arrival: u64,
    data: Vec<u8>,
}

/// One stream's packets to frames: reorder, depacketise, map timestamps.
#[derive(Debug)]
pub struct FrameStream {
    codec: Codec,
    reorder: ReorderBuffer,
    clock: ClockMap,
    partial: Option<Partial>,
    waiting_keyframe: bool,
    /// At most two events per released packet, popped before the next packet is taken.
    out: VecDeque<FrameEvent>,
}

impl FrameStream {
    /// A stream of `codec`. Video starts waiting for a keyframe.
    pub fn new(codec: Codec) -> FrameStream {
        FrameStream {
            codec,
            reorder: ReorderBuffer::new(),
            clock: ClockMap::new(codec.clock_rate()),
            partial: None,
            waiting_keyframe: codec == Codec::Vp8,
            out: VecDeque::new(),
        }
    }

    /// The stream's codec.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Takes a packet; pop the results with [`FrameStream::pop`].
    pub fn push(&mut self, p: RtpIn<'_>) {
        self.reorder.push(p);
    }

    /// The next event at wall time `now` (Unix ms). `u64::MAX` gives up every gap (at the end).
    pub fn pop(&mut self, now_unix_ms: u64) -> Option<FrameEvent> {
        loop {
            if let Some(e) = self.out.pop_front() {
                return Some(e);
            }
            match self.reorder.pop(now_unix_ms)? {
                Ordered::Packet(p) => self.depacketise(p),
                Ordered::Lost { .. } => self.lost(),
            }
        }
    }

    fn lost(&mut self) {
        if self.codec == Codec::Vp8 {
            self.partial = None;
            if !self.waiting_keyframe {
                self.waiting_keyframe = true;
                self.out.push_back(FrameEvent::KeyframeWanted);
            }
        }
    }

    fn depacketise(&mut self, p: Packet) {
        match self.codec {
            Codec::Opus => {
                if p.payload.is_empty() {
                    return;
                }
                let wall_ms = self.clock.map(p.timestamp, p.arrival_unix_ms);
                self.out.push_back(FrameEvent::Frame(Frame {
                    rtp_ts: p.timestamp,
                    wall_ms,
                    keyframe: true,
                    size: None,
                    data: p.payload,
                }));
            }
            Codec::Vp8 => self.depacketise_vp8(p),
        }
    }

    fn depacketise_vp8(&mut self, p: Packet) {
        let Ok(d) = parse_vp8_descriptor(&p.payload) else {
            self.lost();
            return;
        };
        let body = &p.payload[d.len..];
        if d.start && d.partition == 0 {
            if self.partial.is_some() {
                // The previous frame never got its last packet.
                self.lost();
            }
            self.partial = Some(Partial {
                ts: p.timestamp,
                arrival: p.arrival_unix_ms,
                data: body.to_vec(),
            });
        } else {
            match &mut self.partial {
                Some(part)
                    if part.ts == p.timestamp
                        && part.data.len() + body.len() <= MAX_FRAME_BYTES =>
                {
                    part.data.extend_from_slice(body);
                }
                Some(_) => {
                    self.lost();
                    return;
                }
                // The frame's start was lost (already reported) or given up.
                None => return,
            }
        }
        if !p.marker {
            return;
        }
        let Some(part) = self.partial.take() else {
            return;
        };
        let keyframe = vp8_is_keyframe(&part.data);
        if self.waiting_keyframe && !keyframe {
            self.out.push_back(FrameEvent::KeyframeWanted);
            return;
        }
        self.waiting_keyframe = false;
        let wall_ms = self.clock.map(part.ts, part.arrival);
        self.out.push_back(FrameEvent::Frame(Frame {
            rtp_ts: part.ts,
            wall_ms,
            keyframe,
            size: if keyframe {
                vp8_keyframe_size(&part.data)
            } else {
                None
            },
            data: part.data,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(seq: u64, arrival: u64) -> RtpIn<'static> {
        RtpIn {
            seq,
            timestamp: seq as u32 * 960,
            marker: false,
            payload: b"x",
            arrival_unix_ms: arrival,
        }
    }

    fn drain(b: &mut ReorderBuffer, now: u64) -> Vec<Ordered> {
        std::iter::from_fn(|| b.pop(now)).collect()
    }

    fn seqs(v: &[Ordered]) -> Vec<i64> {
        v.iter()
            .map(|o| match o {
                Ordered::Packet(p) => p.seq as i64,
                Ordered::Lost { count } => -(*count as i64),
            })
            .collect()
    }

    #[test]
    fn reorder_out_of_order_and_duplicates() {
        let mut b = ReorderBuffer::new();
        b.push(pkt(10, 0));
        assert!(drain(&mut b, 99).is_empty(), "the start is held");
        assert_eq!(seqs(&drain(&mut b, 100)), [10]);
        b.push(pkt(12, 1));
        b.push(pkt(13, 2));
        assert!(drain(&mut b, 105).is_empty(), "waits for 11");
        b.push(pkt(11, 50));
        b.push(pkt(12, 51)); // duplicate while held
        assert_eq!(seqs(&drain(&mut b, 60)), [11, 12, 13]);
        b.push(pkt(12, 70)); // duplicate after release
        b.push(pkt(9, 70)); // late
        assert!(drain(&mut b, 70).is_empty());
        assert_eq!(b.duplicates(), 3);
    }

    #[test]
    fn reorder_takes_a_first_packet_that_arrives_after_its_successor() {
        let mut b = ReorderBuffer::new();
        b.push(pkt(21, 0));
        b.push(pkt(20, 3));
        b.push(pkt(19, 4));
        b.push(pkt(22, 5));
        assert!(drain(&mut b, 50).is_empty());
        assert_eq!(seqs(&drain(&mut b, 100)), [19, 20, 21, 22]);
        b.push(pkt(18, 120));
        assert!(
            drain(&mut b, 120).is_empty(),
            "after the start, late packets are dropped"
        );
        assert_eq!(b.duplicates(), 1);
    }

    #[test]
    fn reorder_gives_up_a_gap_after_400_ms() {
        let mut b = ReorderBuffer::new();
        b.push(pkt(1, 1000));
        b.push(pkt(4, 1010));
        b.push(pkt(5, 1020));
        assert_eq!(seqs(&drain(&mut b, 1100)), [1]);
        assert!(drain(&mut b, 1409).is_empty());
        assert_eq!(seqs(&drain(&mut b, 1410)), [-2, 4, 5]);
        // The retransmission of 2 arriving afterwards is dropped.
        b.push(pkt(2, 1500));
        assert!(drain(&mut b, 1500).is_empty());
    }

    #[test]
    fn reorder_is_bounded() {
        let mut b = ReorderBuffer::new();
        b.push(pkt(0, 0));
        drain(&mut b, 100);
        for s in 2..(2 + MAX_HELD_PACKETS as u64 + 10) {
            b.push(pkt(s, 0));
            assert!(b.held() <= MAX_HELD_PACKETS);
        }
        let out = drain(&mut b, 0);
        assert_eq!(seqs(&out)[0], -1, "the gap is given up at once when full");
        assert_eq!(out.len(), 1 + MAX_HELD_PACKETS);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn reorder_across_the_16_bit_wrap_and_a_restart() {
        let mut b = ReorderBuffer::new();
        b.push(pkt(65_534, 0));
        b.push(pkt(65_536, 0));
        b.push(pkt(65_535, 0));
        assert_eq!(seqs(&drain(&mut b, 100)), [65_534, 65_535, 65_536]);
        b.push(pkt(10, 5));
        assert_eq!(seqs(&drain(&mut b, 5)), [0, 10]);
        b.push(pkt(11, 6));
        assert_eq!(seqs(&drain(&mut b, 6)), [11]);
    }

    #[test]
    fn clock_maps_and_wraps() {
        let mut c = ClockMap::new(90_000);
        let start = u32::MAX - 45_000; // half a second before the wrap
        assert_eq!(c.map(start, 10_000), 10_000);
        assert_eq!(c.map(start.wrapping_add(90_000), 11_020), 11_000);
        assert_eq!(c.map(start.wrapping_add(180_000), 11_990), 12_000);
        // Late and reordered within bounds: still mapped from the anchor.
        assert_eq!(c.map(start.wrapping_add(171_000), 12_300), 11_900);
        // A sender restart: a jump far from the arrival re-anchors.
        assert_eq!(c.map(12_345, 13_000), 13_000);
        assert_eq!(c.map(12_345 + 9_000, 13_090), 13_100);
    }

    #[test]
    fn clock_long_run_crosses_wraps_without_reanchoring() {
        // 90 kHz wraps every 13.3 hours, and a signed 32-bit difference from a fixed anchor
        // would flip after 6.6 hours: 20 hours at one frame a second must map exactly.
        let mut c = ClockMap::new(90_000);
        let mut ts = 123_456u32;
        for i in 0..72_000u64 {
            assert_eq!(c.map(ts, 1_000 + i * 1_000), 1_000 + i * 1_000, "step {i}");
            ts = ts.wrapping_add(90_000);
        }
    }

    #[test]
    fn vp8_descriptor_all_extensions() {
        // No extension.
        let d = parse_vp8_descriptor(&[0x10, 0xAA]).expect("ok");
        assert!(d.start && d.partition == 0 && d.len == 1 && d.picture_id.is_none());
        // X with 7-bit picture id.
        let d = parse_vp8_descriptor(&[0x90, 0x80, 0x05, 0xAA]).expect("ok");
        assert_eq!((d.picture_id, d.len), (Some(5), 3));
        // X with 15-bit picture id.
        let d = parse_vp8_descriptor(&[0x90, 0x80, 0x81, 0x02, 0xAA]).expect("ok");
        assert_eq!((d.picture_id, d.len), (Some(0x0102), 4));
        // I, L, T and K.
        let d =
            parse_vp8_descriptor(&[0xB3, 0xF0, 0x85, 0x00, 0x07, 0b1010_0011, 0xAA]).expect("ok");
        assert_eq!(d.picture_id, Some(0x0500));
        assert_eq!(d.tl0_pic_idx, Some(7));
        assert_eq!(d.tid, Some(2));
        assert_eq!(d.key_idx, Some(3));
        assert!(d.non_reference);
        assert_eq!(d.partition, 3);
        assert_eq!(d.len, 6);
        // Only T; only K; only L.
        let d = parse_vp8_descriptor(&[0x80, 0x20, 0x40, 0xAA]).expect("ok");
        assert_eq!((d.tid, d.key_idx, d.len), (Some(1), None, 3));
        let d = parse_vp8_descriptor(&[0x80, 0x10, 0x41, 0xAA]).expect("ok");
        assert_eq!((d.tid, d.key_idx, d.len), (None, Some(1), 3));
        let d = parse_vp8_descriptor(&[0x80, 0x40, 0x09, 0xAA]).expect("ok");
        assert_eq!((d.tl0_pic_idx, d.len), (Some(9), 3));
        // X with no extension bits.
        let d = parse_vp8_descriptor(&[0x80, 0x00, 0xAA]).expect("ok");
        assert_eq!(d.len, 2);
    }

    #[test]
    fn vp8_descriptor_malformed() {
        for bad in [
            &[][..],
            &[0x10],
            &[0x90],
            &[0x90, 0x80],
            &[0x90, 0x80, 0x81],
            &[0x90, 0x80, 0x81, 0x02],
            &[0x80, 0x40],
            &[0x80, 0x30],
            &[0x80, 0xF0, 0x01, 0x02, 0x03],
        ] {
            assert_eq!(
                parse_vp8_descriptor(bad),
                Err(Vp8Error::Truncated),
                "{bad:?}"
            );
        }
    }

    fn keyframe(w: u16, h: u16) -> Vec<u8> {
        let mut f = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        f.extend_from_slice(&w.to_le_bytes());
        f.extend_from_slice(&h.to_le_bytes());
        f.extend_from_slice(&[0x55; 40]);
        f
    }

    #[test]
    fn keyframe_size() {
        assert_eq!(vp8_keyframe_size(&keyframe(640, 360)), Some((640, 360)));
        // Scaling bits (top two) are ignored.
        let mut f = keyframe(320, 240);
        f[7] |= 0xC0;
        assert_eq!(vp8_keyframe_size(&f), Some((320, 240)));
        let mut inter = keyframe(320, 240);
        inter[0] |= 1;
        assert_eq!(vp8_keyframe_size(&inter), None);
        assert!(!vp8_is_keyframe(&inter));
        assert_eq!(vp8_keyframe_size(&keyframe(1, 1)[..9]), None);
        let mut bad = keyframe(320, 240);
        bad[4] = 0;
        assert_eq!(vp8_keyframe_size(&bad), None);
    }

    /// Packetises a frame into descriptors of `chunk` bytes.
    fn packets(frame: &[u8], seq: u64, ts: u32, chunk: usize) -> Vec<(u64, u32, bool, Vec<u8>)> {
        let parts: Vec<&[u8]> = frame.chunks(chunk).collect();
        let n = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut p = vec![if i == 0 { 0x90 } else { 0x80 }, 0x80, 0x81, 0x23];
                p.extend_from_slice(c);
                (seq + i as u64, ts, i + 1 == n, p)
            })
            .collect()
    }

    fn feed(s: &mut FrameStream, pk: &[(u64, u32, bool, Vec<u8>)], now: u64) -> Vec<FrameEvent> {
        for (seq, ts, m, p) in pk {
            s.push(RtpIn {
                seq: *seq,
                timestamp: *ts,
                marker: *m,
                payload: p,
                arrival_unix_ms: now,
            });
        }
        std::iter::from_fn(|| s.pop(now)).collect()
    }

    #[test]
    fn vp8_assembles_and_waits_for_keyframe_after_loss() {
        let mut s = FrameStream::new(Codec::Vp8);
        let mut inter = vec![0x01; 30];
        inter[1] = 7;
        let k = keyframe(320, 240);
        // Sequence numbers cross 65535 (the extended number is given).
        let mut seq = 65_530;
        let mut next = |frame: &[u8], ts: u32, chunk: usize| {
            let p = packets(frame, seq, ts, chunk);
            seq += p.len() as u64;
            p
        };
        // An inter frame first: dropped, keyframe wanted (once the start hold is over).
        assert!(feed(&mut s, &next(&inter, 0, 16), 0).is_empty());
        let ev: Vec<_> = std::iter::from_fn(|| s.pop(100)).collect();
        assert_eq!(ev, [FrameEvent::KeyframeWanted]);
        let mut pk = next(&k, 3000, 16);
        assert_eq!(pk.len(), 4);
        pk.reverse(); // out of order
        let ev = feed(&mut s, &pk, 110);
        let [FrameEvent::Frame(f)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert!(f.keyframe);
        assert_eq!(f.size, Some((320, 240)));
        assert_eq!(f.data, k);
        let ev = feed(&mut s, &next(&inter, 6000, 16), 120);
        assert!(matches!(&ev[..], [FrameEvent::Frame(f)] if !f.keyframe && f.data == inter));
        // Lose the middle packet of the next frame: after 400 ms, the frame is dropped.
        let mut pk = next(&inter, 9000, 10);
        assert!(pk[0].0 > 65_535);
        pk.remove(1);
        assert!(feed(&mut s, &pk, 130).is_empty());
        let ev: Vec<_> = std::iter::from_fn(|| s.pop(1000)).collect();
        assert_eq!(ev, [FrameEvent::KeyframeWanted]);
        // Inter frames are dropped until a keyframe.
        let ev = feed(&mut s, &next(&inter, 12000, 16), 1100);
        assert_eq!(ev, [FrameEvent::KeyframeWanted]);
        let ev = feed(&mut s, &next(&k, 15000, 100), 1200);
        assert!(matches!(&ev[..], [FrameEvent::Frame(f)] if f.keyframe));
        // A frame whose last packet (marker) is lost, followed by a new frame's start.
        let mut pk = next(&inter, 18000, 16);
        pk.pop();
        pk.extend(next(&inter, 21000, 16));
        assert!(
            feed(&mut s, &pk, 1300).is_empty(),
            "waits for the missing packet"
        );
        let ev: Vec<_> = std::iter::from_fn(|| s.pop(1700)).collect();
        // The loss, then the next (inter) frame dropped while waiting for a keyframe.
        assert_eq!(ev, [FrameEvent::KeyframeWanted, FrameEvent::KeyframeWanted]);
    }

    #[test]
    fn vp8_frame_size_is_bounded() {
        let mut s = FrameStream::new(Codec::Vp8);
        let chunk = vec![0x32; MAX_PAYLOAD_BYTES - 1]; // a keyframe tag
        let n = MAX_FRAME_BYTES / chunk.len() + 2;
        let mut ev = Vec::new();
        for i in 0..n {
            let mut p = vec![if i == 0 { 0x10 } else { 0x00 }];
            p.extend_from_slice(&chunk);
            s.push(RtpIn {
                seq: i as u64,
                timestamp: 0,
                marker: i + 1 == n,
                payload: &p,
                arrival_unix_ms: 0,
            });
            ev.extend(std::iter::from_fn(|| s.pop(1_000)));
            assert!(
                s.partial
                    .as_ref()
                    .is_none_or(|p| p.data.len() <= MAX_FRAME_BYTES)
            );
        }
        // The oversized frame is dropped, never emitted.
        assert!(
            ev.iter().all(|e| *e == FrameEvent::KeyframeWanted),
            "{}",
            ev.len()
        );
    }

    #[test]
    fn opus_one_frame_per_packet() {
        let mut s = FrameStream::new(Codec::Opus);
        let mut got = Vec::new();
        for i in 0..5u64 {
            let ts = (u32::MAX - 1000).wrapping_add(i as u32 * 960);
            s.push(RtpIn {
                seq: 65_533 + i,
                timestamp: ts,
                marker: false,
                payload: &[i as u8; 3],
                arrival_unix_ms: 5_000 + i * 20 + 3,
            });
            while let Some(FrameEvent::Frame(f)) = s.pop(5_000 + i * 20 + 3) {
                got.push((f.data[0], f.wall_ms));
            }
        }
        assert!(got.is_empty(), "the first 100 ms are held");
        while let Some(FrameEvent::Frame(f)) = s.pop(5_200) {
            got.push((f.data[0], f.wall_ms));
        }
        // Held for the first 100 ms, then in order, the RTP timestamp wrapping on the way.
        assert_eq!(
            got,
            [(0, 5_003), (1, 5_023), (2, 5_043), (3, 5_063), (4, 5_083)]
        );
    }

    proptest::proptest! {
        #[test]
        fn vp8_never_panics(payloads in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..30)) {
            for p in &payloads {
                if let Ok(d) = parse_vp8_descriptor(p) {
                    proptest::prop_assert!(d.len < p.len());
                }
            }
            let mut s = FrameStream::new(Codec::Vp8);
            for (i, p) in payloads.iter().enumerate() {
                s.push(RtpIn { seq: i as u64, timestamp: (i / 3) as u32, marker: i % 3 == 2, payload: p, arrival_unix_ms: 0 });
                while s.pop(0).is_some() {}
            }
        }
    }
}
