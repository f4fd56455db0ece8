//! One receive slot of a subscriber: a fixed outgoing RTP stream fed by whichever source the
//! SFU picks, rewritten so that the subscriber sees one continuous stream.
//!
//! A subscriber negotiates its slots once. When the SFU moves a slot from one source (a point's
//! camera, one simulcast layer of it, a point's microphone) to another, the receiver must not
//! notice anything but a new picture or voice:
//!
//! - **sequence numbers** continue from the last one sent (RFC 3550 §5.1: a jump looks like
//!   loss and makes the receiver NACK packets that never existed). Within one source, gaps are
//!   kept: they are real losses, and the subscriber's NACK for them maps back to the source
//!   ([`SlotMunger::source_of`]). Output numbers are extended (`u64`): the low 16 bits go on the
//!   wire, the rest is the SRTP rollover counter (RFC 3711 §3.3.1), so they start below 65,536;
//! - **timestamps** never go backwards: the first packet of a new source is placed after the
//!   last one sent by the wall-clock time between them (at least one tick), so the receiver's
//!   jitter buffer and its playout clock keep running;
//! - **VP8 picture id and TL0PICIDX** (RFC 7741 §4.2) continue from the last ones sent, so the
//!   decoder does not see a reference to a picture it never had;
//! - a **video** slot switches only on a keyframe of the new source (its first packet: S bit
//!   set, partition 0, P bit clear). Until then the old source keeps the picture moving and the
//!   slot asks for a keyframe ([`SlotRequest::Keyframe`]), again every
//!   [`SlotConfig::keyframe_retry`], and gives up after [`SlotConfig::switch_timeout`]
//!   ([`SlotRequest::SwitchAbandoned`]). An audio slot switches on the next packet.
//!
//! The munger is sans-IO: it takes packets and `now` and returns the numbers to write. It holds
//! a fixed amount of state, whatever the sources send.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use str0m::rtp::{Vp8Descriptor, Vp8Patch, Vp8PatchError};
use tracing::debug;

/// What a slot carries: decides whether switching waits for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotKind {
    Audio,
    Video,
}

/// Settings of one slot.
#[derive(Debug, Clone)]
pub struct SlotConfig {
    pub kind: SlotKind,
    /// RTP clock rate of the slot's codec: 48,000 for Opus, 90,000 for video.
    pub clock_rate: u32,
    /// How often a pending switch asks the new source for a keyframe again.
    pub keyframe_retry: Duration,
    /// How long a pending switch waits for the new source's keyframe before giving up.
    pub switch_timeout: Duration,
    /// A source whose sequence number jumps further than this ahead restarted (or lost more
    /// than any receiver would retransmit): the slot continues from its last number instead
    /// of reproducing the jump. Packets this far behind the newest are dropped as stale.
    pub max_seq_jump: u64,
}

impl SlotConfig {
    /// An audio slot at 48 kHz.
    pub fn audio() -> SlotConfig {
        SlotConfig {
            kind: SlotKind::Audio,
            clock_rate: 48_000,
            keyframe_retry: Duration::from_millis(500),
            switch_timeout: Duration::from_secs(3),
            max_seq_jump: 3_000,
        }
    }

    /// A video slot at 90 kHz.
    pub fn video() -> SlotConfig {
        SlotConfig {
            kind: SlotKind::Video,
            clock_rate: 90_000,
            ..SlotConfig::audio()
        }
    }
}

/// What the munger needs to know of one incoming packet. Built once per ingress packet and
/// shared by every slot it feeds.
#[derive(Debug, Clone, Copy)]
pub struct SourcePacket {
    /// Extended sequence number of the packet in its source stream.
    pub seq: u64,
    /// RTP timestamp as sent by the source.
    pub timestamp: u32,
    /// The packet starts a keyframe: a video slot may switch to its source here.
    pub keyframe_start: bool,
    /// The VP8 payload descriptor, when the payload is VP8 and the descriptor parsed.
    pub vp8: Option<Vp8Descriptor>,
}

impl SourcePacket {
    /// A packet whose payload is not inspected (audio).
    pub fn plain(seq: u64, timestamp: u32) -> SourcePacket {
        SourcePacket {
            seq,
            timestamp,
            keyframe_start: false,
            vp8: None,
        }
    }

    /// A VP8 packet. A payload whose descriptor does not parse is still forwarded, but never
    /// counts as a keyframe and gets no picture id rewrite.
    pub fn vp8(seq: u64, timestamp: u32, payload: &[u8]) -> SourcePacket {
        let vp8 = Vp8Descriptor::parse(payload).ok();
        SourcePacket {
            seq,
            timestamp,
            keyframe_start: vp8.is_some_and(|d| d.starts_keyframe(payload)),
            vp8,
        }
    }
}

/// The numbers to write a forwarded packet with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Munged {
    /// Extended outgoing sequence number (low 16 bits on the wire, the rest is the ROC).
    pub seq: u64,
    pub timestamp: u32,
    /// Rewritten VP8 picture id, when the packet has one.
    pub picture_id: Option<u16>,
    /// Rewritten VP8 TL0PICIDX, when the packet has one.
    pub tl0_pic_idx: Option<u8>,
    /// The descriptor patch that writes `picture_id` and `tl0_pic_idx` into the payload, when
    /// they differ from what the source sent.
    pub vp8_patch: Option<Vp8Patch>,
}

/// Why a packet was not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dropped {
    /// The packet's source does not feed this slot.
    NotSelected,
    /// The source is pending and this is not the keyframe the switch waits for.
    AwaitingKeyframe,
    /// The packet is older than the point where its source started feeding the slot, or
    /// further behind than [`SlotConfig::max_seq_jump`].
    Stale,
}

/// Something the slot asks of the SFU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotRequest<S> {
    /// Ask this source for a keyframe (PLI): a switch to it is waiting.
    Keyframe(S),
    /// The source sent no keyframe within [`SlotConfig::switch_timeout`]: the switch is
    /// abandoned and the slot keeps its current source (or stays empty).
    SwitchAbandoned(S),
}

/// The rewriting state of one slot. `S` identifies a source (a point's track and layer).
#[derive(Debug, Clone)]
pub struct SlotMunger<S> {
    config: SlotConfig,
    active: Option<Active<S>>,
    pending: Option<Pending<S>>,
    /// The extended number the next new packet gets: one above the highest sent.
    next_seq: u64,
    /// The highest timestamp sent and when it was sent; before the first packet, the
    /// timestamp the slot starts at.
    last_ts: u32,
    last_ts_at: Option<Instant>,
    last_picture_id: Option<u16>,
    last_tl0: Option<u8>,
    /// Where each recent source started in the outgoing numbering, oldest first, to map a
    /// subscriber's NACK back to the packet of the source it asks for.
    segments: VecDeque<Segment<S>>,
}

/// Segments remembered for NACK mapping: the current source and the few before it.
const SEGMENTS: usize = 8;

/// 15-bit VP8 picture ids (RFC 7741 §4.2, M = 1).
const PICTURE_ID_MOD: u16 = 0x8000;

#[derive(Debug, Clone, Copy)]
struct Active<S> {
    source: S,
    /// The first packet of the source this slot forwards; anything older is dropped.
    anchor: u64,
    highest: u64,
    /// `out = in + seq_offset` (wrapping).
    seq_offset: u64,
    ts_offset: u32,
    picture_id_offset: u16,
    tl0_offset: u8,
    /// The source's stream started over: anchor again at its next packet.
    restarted: bool,
}

#[derive(Debug, Clone, Copy)]
struct Pending<S> {
    source: S,
    since: Instant,
    last_request: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Segment<S> {
    source: S,
    out_start: u64,
    seq_offset: u64,
}

impl<S: Copy + Eq + fmt::Debug> SlotMunger<S> {
    /// An empty slot whose first packet will carry `initial_seq` and `initial_ts` (random
    /// values, RFC 3550 §5.1).
    pub fn new(config: SlotConfig, initial_seq: u16, initial_ts: u32) -> SlotMunger<S> {
        SlotMunger {
            config,
            active: None,
            pending: None,
            next_seq: u64::from(initial_seq),
            last_ts: initial_ts,
            last_ts_at: None,
            last_picture_id: None,
            last_tl0: None,
            segments: VecDeque::with_capacity(SEGMENTS),
        }
    }

    /// The source whose packets the slot forwards now.
    pub fn source(&self) -> Option<S> {
        self.active.map(|a| a.source)
    }

    /// The source a switch waits for, if any.
    pub fn pending(&self) -> Option<S> {
        self.pending.map(|p| p.source)
    }

    /// The source the slot will show: the pending one, else the current one.
    pub fn target(&self) -> Option<S> {
        self.pending().or(self.source())
    }

    /// Where a subscriber's keyframe request for this slot should go: the current source,
    /// or, while the slot is empty, the source it waits for.
    pub fn keyframe_source(&self) -> Option<S> {
        self.source().or(self.pending())
    }

    /// The extended sequence number the next new packet will carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// A timestamp after every one sent so far, `None` before the first packet: where a
    /// receiver can tell "what came before" from "what comes after" a change of source.
    pub fn timestamp_after(&self) -> Option<u32> {
        self.last_ts_at.map(|_| self.last_ts.wrapping_add(1))
    }

    /// Points the slot at `source` (`None` empties it). An audio slot switches on the next
    /// packet of the new source and drops the old one at once (two voices never share a
    /// slot). A video slot keeps forwarding the old source until the new one's keyframe and
    /// returns the keyframe request to send.
    pub fn switch_to(&mut self, now: Instant, source: Option<S>) -> Option<SlotRequest<S>> {
        let Some(source) = source else {
            self.active = None;
            self.pending = None;
            return None;
        };
        if self.source() == Some(source) {
            self.pending = None;
            return None;
        }
        if self.pending() == Some(source) {
            return None;
        }
        self.pending = Some(Pending {
            source,
            since: now,
            last_request: now,
        });
        match self.config.kind {
            SlotKind::Audio => {
                self.active = None;
                None
            }
            SlotKind::Video => Some(SlotRequest::Keyframe(source)),
        }
    }

    /// Decides what to do with a packet of `source` arriving at `now`.
    pub fn on_packet(
        &mut self,
        now: Instant,
        source: S,
        packet: &SourcePacket,
    ) -> Result<Munged, Dropped> {
        if let Some(pending) = self.pending
            && pending.source == source
        {
            // A pending source never is the active one (`switch_to` keeps them apart).
            if self.config.kind == SlotKind::Video && !packet.keyframe_start {
                return Err(Dropped::AwaitingKeyframe);
            }
            self.pending = None;
            self.start(now, source, packet);
        }
        let Some(active) = self.active.as_mut().filter(|a| a.source == source) else {
            return Err(Dropped::NotSelected);
        };
        if active.restarted {
            self.start(now, source, packet);
            return Ok(self.rewrite(now, packet));
        }
        if packet.seq < active.anchor
            || active.highest.saturating_sub(packet.seq) > self.config.max_seq_jump
        {
            return Err(Dropped::Stale);
        }
        if packet.seq > active.highest.saturating_add(self.config.max_seq_jump) {
            debug!(
                ?source,
                from = active.highest,
                to = packet.seq,
                "source sequence jumped: slot continues from its last number"
            );
            self.start(now, source, packet);
        }
        Ok(self.rewrite(now, packet))
    }

    /// Asks again for a keyframe of a pending source, or abandons the switch.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<SlotRequest<S>> {
        let pending = self.pending.as_mut()?;
        if self.config.kind != SlotKind::Video {
            return None;
        }
        if now >= pending.since + self.config.switch_timeout {
            let source = pending.source;
            self.pending = None;
            debug!(?source, "no keyframe arrived: switch abandoned");
            return Some(SlotRequest::SwitchAbandoned(source));
        }
        if now >= pending.last_request + self.config.keyframe_retry {
            pending.last_request = now;
            return Some(SlotRequest::Keyframe(pending.source));
        }
        None
    }

    /// The subscriber's link cannot take what the slot forwards (its send queue has grown
    /// old): a video slot stops forwarding and starts again at the next keyframe of the
    /// source it shows (or is switching to), as after a switch. Returns the keyframe request
    /// to send; `None` when already waiting, for an audio slot, or for an empty slot.
    pub fn resync(&mut self, now: Instant) -> Option<SlotRequest<S>> {
        if self.config.kind != SlotKind::Video || (self.active.is_none() && self.pending.is_some())
        {
            return None;
        }
        let source = self.target()?;
        self.active = None;
        self.pending = Some(Pending {
            source,
            since: now,
            last_request: now,
        });
        Some(SlotRequest::Keyframe(source))
    }

    /// The source started its stream over (a new SSRC: its numbers start anew): its next
    /// packet continues the slot's numbering as if the slot had switched to it.
    pub fn restart(&mut self, source: S) {
        if let Some(active) = self.active.as_mut()
            && active.source == source
        {
            active.restarted = true;
        }
    }

    /// When [`SlotMunger::handle_timeout`] has something to do next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pending = self.pending.as_ref()?;
        (self.config.kind == SlotKind::Video).then(|| {
            (pending.last_request + self.config.keyframe_retry)
                .min(pending.since + self.config.switch_timeout)
        })
    }

    /// Maps the sequence number of a packet the subscriber asks for (a NACK, RFC 4585 §6.2.1)
    /// back to the source and the source's extended sequence number. `None` when the number
    /// was never sent or belongs to a source forgotten since.
    pub fn source_of(&self, seq: u16) -> Option<(S, u64)> {
        // The extended number closest below the next one with these low 16 bits.
        let newest = self.next_seq.checked_sub(1)?;
        let back = u64::from((newest as u16).wrapping_sub(seq));
        if back > self.config.max_seq_jump {
            // Not a packet any receiver still waits for (or one never sent).
            return None;
        }
        let out = newest.checked_sub(back)?;
        let segment = self.segments.iter().rev().find(|s| s.out_start <= out)?;
        Some((segment.source, out.wrapping_sub(segment.seq_offset)))
    }

    /// Anchors `source` at `packet`: the packet gets the next sequence number, a timestamp
    /// after the last one sent, and the next picture id.
    fn start(&mut self, now: Instant, source: S, packet: &SourcePacket) {
        let timestamp = match self.last_ts_at {
            None => self.last_ts,
            Some(at) => {
                let elapsed = now.saturating_duration_since(at);
                let ticks = elapsed.as_nanos() * u128::from(self.config.clock_rate) / 1_000_000_000;
                // Half the timestamp space would read as going backwards (RFC 3550 §5.1).
                let ticks = u32::try_from(ticks)
                    .unwrap_or(u32::MAX)
                    .clamp(1, i32::MAX as u32);
                self.last_ts.wrapping_add(ticks)
            }
        };
        let (picture_id_offset, tl0_offset) = match packet.vp8 {
            Some(d) => (
                match (self.last_picture_id, d.picture_id()) {
                    (Some(last), Some(first)) => {
                        last.wrapping_add(1).wrapping_sub(first) % PICTURE_ID_MOD
                    }
                    _ => 0,
                },
                match (self.last_tl0, d.tl0_pic_idx()) {
                    (Some(last), Some(first)) => last.wrapping_add(1).wrapping_sub(first),
                    _ => 0,
                },
            ),
            None => (0, 0),
        };
        let seq_offset = self.next_seq.wrapping_sub(packet.seq);
        self.active = Some(Active {
            source,
            anchor: packet.seq,
            highest: packet.seq,
            seq_offset,
            ts_offset: timestamp.wrapping_sub(packet.timestamp),
            picture_id_offset,
            tl0_offset,
            restarted: false,
        });
        if self.segments.len() == SEGMENTS {
            self.segments.pop_front();
        }
        self.segments.push_back(Segment {
            source,
            out_start: self.next_seq,
            seq_offset,
        });
    }

    fn rewrite(&mut self, now: Instant, packet: &SourcePacket) -> Munged {
        let active = self
            .active
            .as_mut()
            .expect("rewrite is called only with an active source");
        active.highest = active.highest.max(packet.seq);
        let seq = packet.seq.wrapping_add(active.seq_offset);
        let timestamp = packet.timestamp.wrapping_add(active.ts_offset);
        let mut munged = Munged {
            seq,
            timestamp,
            picture_id: None,
            tl0_pic_idx: None,
            vp8_patch: None,
        };
        if let Some(d) = packet.vp8 {
            let (picture_id_offset, tl0_offset) = (active.picture_id_offset, active.tl0_offset);
            munged.picture_id = d
                .picture_id()
                .map(|id| id.wrapping_add(picture_id_offset) % PICTURE_ID_MOD);
            munged.tl0_pic_idx = d.tl0_pic_idx().map(|t| t.wrapping_add(tl0_offset));
            if picture_id_offset != 0 || tl0_offset != 0 {
                let patch = |picture_id: Option<u16>| {
                    let mut builder = d.patch();
                    if let Some(id) = picture_id {
                        builder = builder.picture_id(id);
                    }
                    if let Some(t) = munged.tl0_pic_idx {
                        builder = builder.tl0_pic_idx(t);
                    }
                    builder.build()
                };
                munged.vp8_patch = match patch(munged.picture_id) {
                    Err(Vp8PatchError::PictureIdTooLarge) => {
                        // A 7-bit picture id stays 7 bits: the descriptor has no room for more.
                        munged.picture_id = munged.picture_id.map(|id| id & 0x7f);
                        patch(munged.picture_id).ok()
                    }
                    result => result.ok(),
                };
            }
            if let Some(id) = munged.picture_id
                && self
                    .last_picture_id
                    .is_none_or(|last| newer_picture_id(id, last))
            {
                self.last_picture_id = Some(id);
            }
            if let Some(t) = munged.tl0_pic_idx
                && self
                    .last_tl0
                    .is_none_or(|last| t != last && t.wrapping_sub(last) < 0x80)
            {
                self.last_tl0 = Some(t);
            }
        }
        if seq >= self.next_seq {
            self.next_seq = seq + 1;
        }
        if self.last_ts_at.is_none() || newer_timestamp(timestamp, self.last_ts) {
            self.last_ts = timestamp;
            self.last_ts_at = Some(now);
        } else if timestamp == self.last_ts {
            self.last_ts_at = Some(now);
        }
        munged
    }
}

/// `a` is after `b` in the 32-bit timestamp space (RFC 3550 §5.1 arithmetic).
fn newer_timestamp(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000_0000
}

/// `a` is after `b` in the 15-bit picture id space.
fn newer_picture_id(a: u16, b: u16) -> bool {
    let diff = a.wrapping_sub(b) % PICTURE_ID_MOD;
    diff != 0 && diff < PICTURE_ID_MOD / 2
}
