//! The receive slot munger in virtual time: sequence numbers, timestamps and VP8 picture ids
//! stay continuous whatever source feeds the slot, and video switches only on keyframes.

use std::time::{Duration, Instant};

use giaoban_media::{Dropped, Munged, SlotConfig, SlotMunger, SlotRequest, SourcePacket};
use proptest::prelude::*;
use str0m::rtp::Vp8Descriptor;

/// The start of virtual time; nothing here waits on the real clock.
#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

/// Sources are plain numbers here; the SFU uses (point, mid, rid).
type Source = u8;

const A: Source = 1;
const B: Source = 2;
const C: Source = 3;

/// A VP8 payload (RFC 7741 §4.2) with a 15-bit picture id, TL0PICIDX and TID byte.
fn vp8_payload(picture_id: u16, tl0: u8, start: bool, keyframe: bool) -> Vec<u8> {
    let required = 0x80 | if start { 0x10 } else { 0 };
    let header = if keyframe { 0x10 } else { 0x11 };
    vec![
        required,
        0x80 | 0x40 | 0x20,
        0x80 | (picture_id >> 8) as u8,
        picture_id as u8,
        tl0,
        0x00,
        header,
        0xaa,
        0xbb,
    ]
}

/// A publisher's video stream: frames of `packets_per_frame` packets at 30 frames/s.
struct Publisher {
    seq: u64,
    ts: u32,
    picture_id: u16,
    tl0: u8,
}

impl Publisher {
    fn new(seq: u64, ts: u32, picture_id: u16, tl0: u8) -> Publisher {
        Publisher {
            seq,
            ts,
            picture_id,
            tl0,
        }
    }

    /// The packets of the next frame: (packet, payload).
    fn frame(&mut self, keyframe: bool, packets: usize) -> Vec<(SourcePacket, Vec<u8>)> {
        let frame = (0..packets)
            .map(|i| {
                let payload = vp8_payload(self.picture_id, self.tl0, i == 0, keyframe);
                let packet = SourcePacket::vp8(self.seq + i as u64, self.ts, &payload);
                (packet, payload)
            })
            .collect();
        self.seq += packets as u64;
        self.ts = self.ts.wrapping_add(3_000);
        self.picture_id = (self.picture_id + 1) % 0x8000;
        self.tl0 = self.tl0.wrapping_add(1);
        frame
    }
}

fn forward_frame(
    slot: &mut SlotMunger<Source>,
    now: Instant,
    source: Source,
    frame: &[(SourcePacket, Vec<u8>)],
) -> Vec<Result<Munged, Dropped>> {
    frame
        .iter()
        .map(|(p, _)| slot.on_packet(now, source, p))
        .collect()
}

fn ok(results: Vec<Result<Munged, Dropped>>) -> Vec<Munged> {
    results
        .into_iter()
        .map(|r| r.expect("packet forwarded"))
        .collect()
}

#[test]
fn first_packet_carries_the_initial_numbers() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 1_000, 77);
    slot.switch_to(t0, Some(A));
    let out = slot
        .on_packet(t0, A, &SourcePacket::plain(40_000, 123_456))
        .unwrap();
    assert_eq!((out.seq, out.timestamp), (1_000, 77));
    let out = slot
        .on_packet(t0, A, &SourcePacket::plain(40_001, 123_456 + 960))
        .unwrap();
    assert_eq!((out.seq, out.timestamp), (1_001, 77 + 960));
}

#[test]
fn audio_switch_continues_sequence_and_advances_timestamp_by_wall_clock() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 500, 10_000);
    slot.switch_to(t0, Some(A));
    for i in 0..10u64 {
        let now = t0 + Duration::from_millis(20 * i);
        slot.on_packet(now, A, &SourcePacket::plain(7 + i, 5_000 + 960 * i as u32))
            .unwrap();
    }
    let last_ts = 10_000 + 960 * 9;
    let switch_at = t0 + Duration::from_millis(180 + 100);
    assert_eq!(slot.switch_to(switch_at, Some(B)), None);
    // The old speaker stops at once: two voices never share a slot.
    assert_eq!(
        slot.on_packet(switch_at, A, &SourcePacket::plain(17, 5_000 + 960 * 10)),
        Err(Dropped::NotSelected)
    );
    // B's numbers are far behind A's: the slot continues from its own.
    let out = slot
        .on_packet(switch_at, B, &SourcePacket::plain(3, 1))
        .unwrap();
    assert_eq!(out.seq, 510);
    assert_eq!(
        out.timestamp,
        last_ts + 4_800,
        "100 ms at 48 kHz after the last"
    );
    let out = slot
        .on_packet(switch_at, B, &SourcePacket::plain(4, 961))
        .unwrap();
    assert_eq!((out.seq, out.timestamp), (511, last_ts + 4_800 + 960));
    assert_eq!(slot.source(), Some(B));
}

#[test]
fn sequence_wraps_at_16_bits_without_a_gap() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 65_533, 0);
    slot.switch_to(t0, Some(A));
    // The source too starts near 65,535: its extended numbers run past it.
    let wire: Vec<u16> = (65_530u64..65_540)
        .map(|seq| {
            let out = slot
                .on_packet(t0, A, &SourcePacket::plain(seq, seq as u32 * 960))
                .unwrap();
            out.seq as u16
        })
        .collect();
    assert_eq!(
        wire,
        [65_533, 65_534, 65_535, 0, 1, 2, 3, 4, 5, 6],
        "consecutive on the wire"
    );
    assert_eq!(
        slot.next_seq(),
        65_543,
        "the extended number carries the ROC"
    );
    slot.switch_to(t0, Some(B));
    let out = slot.on_packet(t0, B, &SourcePacket::plain(2, 0)).unwrap();
    assert_eq!(out.seq, 65_543);
}

#[test]
fn losses_of_the_source_stay_visible_and_nacks_map_back() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 100, 0);
    slot.switch_to(t0, Some(A));
    for seq in [1_000u64, 1_001, 1_003] {
        slot.on_packet(t0, A, &SourcePacket::plain(seq, 0)).unwrap();
    }
    // 1,002 was lost upstream: the receiver sees the gap at 102 and asks for it.
    assert_eq!(slot.source_of(102), Some((A, 1_002)));
    slot.switch_to(t0, Some(B));
    slot.on_packet(t0, B, &SourcePacket::plain(9, 0)).unwrap();
    slot.on_packet(t0, B, &SourcePacket::plain(10, 0)).unwrap();
    assert_eq!(slot.source_of(104), Some((B, 9)));
    assert_eq!(slot.source_of(105), Some((B, 10)));
    assert_eq!(
        slot.source_of(101),
        Some((A, 1_001)),
        "older numbers still map to A"
    );
    assert_eq!(slot.source_of(99), None, "before the first packet");
    assert_eq!(slot.source_of(30_000), None, "never sent");
    // A late retransmission of A's lost packet is no longer A's to send.
    assert_eq!(
        slot.on_packet(t0, A, &SourcePacket::plain(1_002, 0)),
        Err(Dropped::NotSelected)
    );
}

#[test]
fn nack_mapping_survives_the_16_bit_wrap() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 65_534, 0);
    slot.switch_to(t0, Some(A));
    for seq in 10..14u64 {
        slot.on_packet(t0, A, &SourcePacket::plain(seq, 0)).unwrap();
    }
    assert_eq!(slot.source_of(65_535), Some((A, 11)));
    assert_eq!(slot.source_of(1), Some((A, 13)));
}

#[test]
fn video_switch_waits_for_a_keyframe_of_the_new_source() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 200, 0);
    let mut a = Publisher::new(5_000, 90_000, 1_000, 10);
    let mut b = Publisher::new(60_000, 4_000_000, 30_000, 200);
    assert_eq!(slot.switch_to(t0, Some(A)), Some(SlotRequest::Keyframe(A)));
    // Delta frames of A before its keyframe cannot be decoded: dropped.
    let frame = a.frame(false, 2);
    assert_eq!(
        forward_frame(&mut slot, t0, A, &frame),
        vec![Err(Dropped::AwaitingKeyframe); 2]
    );
    let mut now = t0;
    let key = a.frame(true, 3);
    let out = ok(forward_frame(&mut slot, now, A, &key));
    assert_eq!(
        out.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [200, 201, 202]
    );
    for _ in 0..5 {
        now += Duration::from_millis(33);
        ok(forward_frame(&mut slot, now, A, &a.frame(false, 2)));
    }
    let before = slot.next_seq();
    assert_eq!(slot.switch_to(now, Some(B)), Some(SlotRequest::Keyframe(B)));
    assert_eq!(slot.source(), Some(A));
    assert_eq!(slot.pending(), Some(B));
    now += Duration::from_millis(33);
    // While B has no keyframe, A keeps the picture moving and B's delta frames are dropped.
    ok(forward_frame(&mut slot, now, A, &a.frame(false, 2)));
    assert_eq!(
        forward_frame(&mut slot, now, B, &b.frame(false, 2)),
        vec![Err(Dropped::AwaitingKeyframe); 2]
    );
    let last_a = a.picture_id - 1;
    now += Duration::from_millis(33);
    let key = b.frame(true, 4);
    let out = ok(forward_frame(&mut slot, now, B, &key));
    assert_eq!(slot.source(), Some(B));
    assert_eq!(slot.pending(), None);
    assert_eq!(out[0].seq, before + 2, "right after A's last packet");
    assert!(out.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert_eq!(out[0].picture_id, Some(last_a + 1));
    assert_eq!(out[0].tl0_pic_idx, Some(a.tl0));
    assert!(out.iter().all(|m| m.timestamp == out[0].timestamp));
    // A stops feeding the slot.
    assert_eq!(
        forward_frame(&mut slot, now, A, &a.frame(false, 1)),
        vec![Err(Dropped::NotSelected)]
    );
    now += Duration::from_millis(33);
    let next = ok(forward_frame(&mut slot, now, B, &b.frame(false, 1)));
    assert_eq!(next[0].picture_id, Some(last_a + 2));
    assert_eq!(next[0].timestamp, out[0].timestamp.wrapping_add(3_000));
}

#[test]
fn a_resync_drops_until_the_next_keyframe_and_continues_the_numbering() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 500, 0);
    let mut a = Publisher::new(9_000, 90_000, 100, 3);
    slot.switch_to(t0, Some(A));
    let mut now = t0;
    ok(forward_frame(&mut slot, now, A, &a.frame(true, 3)));
    now += Duration::from_millis(33);
    let last = ok(forward_frame(&mut slot, now, A, &a.frame(false, 2)));
    // The subscriber's queue has grown old: the slot asks for a keyframe, once.
    assert_eq!(slot.resync(now), Some(SlotRequest::Keyframe(A)));
    assert_eq!(slot.resync(now), None, "already waiting");
    assert_eq!((slot.source(), slot.pending()), (None, Some(A)));
    for _ in 0..10 {
        now += Duration::from_millis(33);
        assert_eq!(
            forward_frame(&mut slot, now, A, &a.frame(false, 2)),
            vec![Err(Dropped::AwaitingKeyframe); 2]
        );
    }
    now += Duration::from_millis(33);
    let out = ok(forward_frame(&mut slot, now, A, &a.frame(true, 3)));
    assert_eq!(slot.source(), Some(A));
    // No gap the receiver would ask for: the dropped frames never got numbers.
    assert_eq!(out[0].seq, last[1].seq + 1);
    assert_eq!(out[0].picture_id, Some(last[0].picture_id.unwrap() + 1));
    assert!(out[0].timestamp.wrapping_sub(last[0].timestamp) >= 90 * 33 * 11);
    // An audio slot and an empty slot have nothing to resync.
    let mut audio = SlotMunger::<Source>::new(SlotConfig::audio(), 1, 1);
    audio.switch_to(now, Some(B));
    assert_eq!(audio.resync(now), None);
    let mut empty = SlotMunger::<Source>::new(SlotConfig::video(), 1, 1);
    assert_eq!(empty.resync(now), None);
}

#[test]
fn the_picture_id_patch_writes_the_rewritten_values() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 0, 0);
    let mut a = Publisher::new(1, 0, 0x7ffe, 250);
    let mut b = Publisher::new(1, 0, 12, 7);
    slot.switch_to(t0, Some(A));
    ok(forward_frame(&mut slot, t0, A, &a.frame(true, 1)));
    let first = ok(forward_frame(&mut slot, t0, A, &a.frame(false, 1)));
    assert_eq!(first[0].picture_id, Some(0x7fff));
    assert_eq!(first[0].vp8_patch, None, "nothing to rewrite yet");
    slot.switch_to(t0, Some(B));
    let (packet, payload) = &b.frame(true, 1)[0];
    let out = slot.on_packet(t0, B, packet).unwrap();
    // Picture ids wrap at 15 bits, TL0PICIDX at 8.
    assert_eq!(out.picture_id, Some(0));
    assert_eq!(out.tl0_pic_idx, Some(252));
    let expected = Vp8Descriptor::parse(payload)
        .unwrap()
        .patch()
        .picture_id(0)
        .tl0_pic_idx(252)
        .build()
        .unwrap();
    assert_eq!(out.vp8_patch, Some(expected));
}

#[test]
fn a_seven_bit_picture_id_stays_seven_bits() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 0, 0);
    let mut a = Publisher::new(1, 0, 300, 0);
    slot.switch_to(t0, Some(A));
    ok(forward_frame(&mut slot, t0, A, &a.frame(true, 1)));
    slot.switch_to(t0, Some(B));
    // I=1, M=0: a one-byte picture id of 5, no TL0PICIDX; a keyframe.
    let payload = [0x90, 0x80, 0x05, 0x10, 0x00];
    let out = slot
        .on_packet(t0, B, &SourcePacket::vp8(9, 0, &payload))
        .unwrap();
    assert_eq!(out.picture_id, Some(301 & 0x7f));
    assert!(out.vp8_patch.is_some());
}

#[test]
fn keyframe_requests_repeat_and_the_switch_times_out() {
    let t0 = epoch();
    let config = SlotConfig::video();
    let (retry, timeout) = (config.keyframe_retry, config.switch_timeout);
    let mut slot = SlotMunger::new(config, 0, 0);
    let mut a = Publisher::new(1, 0, 0, 0);
    slot.switch_to(t0, Some(A));
    ok(forward_frame(&mut slot, t0, A, &a.frame(true, 1)));
    assert_eq!(slot.poll_timeout(), None, "nothing pending");
    assert_eq!(slot.switch_to(t0, Some(C)), Some(SlotRequest::Keyframe(C)));
    assert_eq!(slot.switch_to(t0, Some(C)), None, "already asked");
    assert_eq!(slot.poll_timeout(), Some(t0 + retry));
    assert_eq!(slot.handle_timeout(t0 + retry / 2), None);
    let mut requests = 0;
    let mut now;
    let outcome = loop {
        now = slot.poll_timeout().expect("a deadline while pending");
        match slot.handle_timeout(now) {
            Some(SlotRequest::Keyframe(C)) => requests += 1,
            Some(other) => break other,
            None => {}
        }
        assert!(now <= t0 + timeout, "the switch must end by its timeout");
    };
    assert_eq!(outcome, SlotRequest::SwitchAbandoned(C));
    assert_eq!(now, t0 + timeout);
    let expected = (timeout.as_millis() / retry.as_millis()) as usize - 1;
    assert_eq!(requests, expected);
    // C never sent a keyframe: the slot still shows A.
    assert_eq!(slot.source(), Some(A));
    assert_eq!(slot.pending(), None);
    assert_eq!(slot.poll_timeout(), None);
    ok(forward_frame(&mut slot, now, A, &a.frame(false, 1)));
}

#[test]
fn an_empty_slot_waiting_for_a_silent_source_stays_empty() {
    let t0 = epoch();
    let mut slot: SlotMunger<Source> = SlotMunger::new(SlotConfig::video(), 0, 0);
    slot.switch_to(t0, Some(A));
    assert_eq!(slot.keyframe_source(), Some(A));
    let end = t0 + Duration::from_secs(10);
    let mut abandoned = false;
    while let Some(at) = slot.poll_timeout().filter(|at| *at <= end) {
        abandoned |= slot.handle_timeout(at) == Some(SlotRequest::SwitchAbandoned(A));
    }
    assert!(abandoned);
    assert_eq!(slot.source(), None);
    assert_eq!(slot.keyframe_source(), None);
}

#[test]
fn switching_back_to_the_current_source_cancels_the_pending_switch() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 0, 0);
    let mut a = Publisher::new(1, 0, 0, 0);
    let mut b = Publisher::new(1, 0, 0, 0);
    slot.switch_to(t0, Some(A));
    ok(forward_frame(&mut slot, t0, A, &a.frame(true, 1)));
    slot.switch_to(t0, Some(B));
    assert_eq!(slot.switch_to(t0, Some(A)), None);
    assert_eq!(slot.pending(), None);
    assert_eq!(
        forward_frame(&mut slot, t0, B, &b.frame(true, 1)),
        vec![Err(Dropped::NotSelected)]
    );
    slot.switch_to(t0, None);
    assert_eq!(slot.source(), None);
    assert_eq!(
        forward_frame(&mut slot, t0, A, &a.frame(true, 1)),
        vec![Err(Dropped::NotSelected)]
    );
}

#[test]
fn packets_from_before_the_switch_point_are_dropped() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 0, 0);
    let mut a = Publisher::new(100, 0, 0, 0);
    let early = a.frame(false, 2);
    slot.switch_to(t0, Some(A));
    let key = a.frame(true, 2);
    ok(forward_frame(&mut slot, t0, A, &key));
    // A reordered packet of the frame before the keyframe arrives late.
    assert_eq!(
        slot.on_packet(t0, A, &early[1].0),
        Err(Dropped::Stale),
        "it would reuse a number already sent"
    );
    // A reordered packet of the keyframe itself is fine.
    let again = slot.on_packet(t0, A, &key[0].0).unwrap();
    assert_eq!(again.seq, 0);
}

#[test]
fn a_source_that_jumps_far_ahead_continues_from_the_last_number() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 10, 0);
    slot.switch_to(t0, Some(A));
    slot.on_packet(t0, A, &SourcePacket::plain(5, 0)).unwrap();
    slot.on_packet(t0, A, &SourcePacket::plain(6, 960)).unwrap();
    let now = t0 + Duration::from_millis(20);
    let out = slot
        .on_packet(now, A, &SourcePacket::plain(50_000, 7))
        .unwrap();
    assert_eq!(out.seq, 12);
    assert_eq!(out.timestamp, 960 + 960);
    // Numbers from before the jump are not sent again under new numbers.
    assert_eq!(
        slot.on_packet(now, A, &SourcePacket::plain(7, 1_920)),
        Err(Dropped::Stale)
    );
}

#[test]
fn a_restarted_source_continues_the_numbering() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::audio(), 300, 0);
    slot.switch_to(t0, Some(A));
    for seq in 40_000..40_010u64 {
        slot.on_packet(t0, A, &SourcePacket::plain(seq, 0)).unwrap();
    }
    // The point's stream starts over with a new SSRC and numbers far below.
    slot.restart(A);
    slot.restart(B);
    let now = t0 + Duration::from_millis(20);
    let out = slot.on_packet(now, A, &SourcePacket::plain(12, 5)).unwrap();
    assert_eq!((out.seq, out.timestamp), (310, 960));
    let out = slot
        .on_packet(now, A, &SourcePacket::plain(13, 965))
        .unwrap();
    assert_eq!((out.seq, out.timestamp), (311, 1_920));
    assert_eq!(slot.source_of(311), Some((A, 13)));
}

#[test]
fn malformed_vp8_payloads_are_forwarded_without_rewrite_and_never_switch() {
    let t0 = epoch();
    let mut slot = SlotMunger::new(SlotConfig::video(), 0, 0);
    slot.switch_to(t0, Some(A));
    for payload in [
        &[][..],
        &[0x90],
        &[0x90, 0x80],
        &[0x80, 0xff, 0xff],
        &[0x10],
    ] {
        let packet = SourcePacket::vp8(1, 0, payload);
        assert!(!packet.keyframe_start || payload == [0x10]);
        let _ = slot.on_packet(t0, A, &packet);
    }
    // A plain keyframe without the extension bytes starts the slot but has no picture id.
    let packet = SourcePacket::vp8(2, 0, &[0x10, 0x10, 0x00]);
    assert!(packet.keyframe_start);
    let out = slot.on_packet(t0, A, &packet).unwrap();
    assert_eq!((out.picture_id, out.vp8_patch), (None, None));
}

/// One step of a random schedule.
#[derive(Debug, Clone)]
enum Step {
    /// The source sends its next frame (`keyframe` or not), `lost` of its packets lost and
    /// the two last swapped when `reorder`.
    Frame {
        source: usize,
        keyframe: bool,
        packets: usize,
        lost: Option<usize>,
        reorder: bool,
    },
    Switch(Option<usize>),
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..3usize, prop::bool::weighted(0.15), 1..5usize, prop::option::weighted(0.1, 0..5usize), prop::bool::weighted(0.1))
            .prop_map(|(source, keyframe, packets, lost, reorder)| Step::Frame { source, keyframe, packets, lost, reorder }),
        1 => prop::option::weighted(0.9, 0..3usize).prop_map(Step::Switch),
        2 => (1..200u64).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the sources do, what leaves the slot is one stream: numbers never reused,
    /// no gaps but the sources' own losses, timestamps and picture ids that only move on at
    /// a switch, and every number maps back to the packet it came from.
    #[test]
    fn the_slot_is_one_continuous_stream(
        initial_seq in prop_oneof![Just(65_530u16), any::<u16>()],
        initial_ts in any::<u32>(),
        starts in prop::collection::vec((prop_oneof![Just(65_530u64), 0..100_000u64], any::<u32>(), 0..0x8000u16, any::<u8>()), 3),
        steps in prop::collection::vec(step(), 1..120),
    ) {
        let t0 = epoch();
        let mut now = t0;
        let mut slot = SlotMunger::new(SlotConfig::video(), initial_seq, initial_ts);
        let mut publishers: Vec<Publisher> = starts
            .iter()
            .map(|(seq, ts, pid, tl0)| Publisher::new(*seq, *ts, *pid, *tl0))
            .collect();
        // (out seq, source, source seq, timestamp, picture id, switched here)
        let mut sent: Vec<(u64, usize, u64, u32, Option<u16>, bool)> = Vec::new();
        for step in steps {
            match step {
                Step::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    while let Some(at) = slot.poll_timeout().filter(|at| *at <= now) {
                        slot.handle_timeout(at);
                    }
                }
                Step::Switch(target) => {
                    let target = target.map(|t| t as Source);
                    let request = slot.switch_to(now, target);
                    if let Some(SlotRequest::Keyframe(s)) = request {
                        prop_assert_eq!(Some(s), target);
                    }
                }
                Step::Frame { source, keyframe, packets, lost, reorder } => {
                    let mut frame = publishers[source].frame(keyframe, packets);
                    if let Some(lost) = lost.filter(|l| *l < frame.len()) {
                        frame.remove(lost);
                    }
                    if reorder && frame.len() >= 2 {
                        let n = frame.len();
                        frame.swap(n - 2, n - 1);
                    }
                    for (packet, _) in &frame {
                        let before = (slot.source(), slot.next_seq());
                        match slot.on_packet(now, source as Source, packet) {
                            Ok(m) => {
                                let switched = before.0 != Some(source as Source);
                                if switched {
                                    prop_assert!(packet.keyframe_start, "video switched on a delta frame");
                                    prop_assert_eq!(m.seq, before.1, "a switch continues the numbering");
                                }
                                prop_assert!(m.seq < 1 << 32, "within reach of the ROC");
                                sent.push((m.seq, source, packet.seq, m.timestamp, m.picture_id, switched));
                            }
                            Err(_) => prop_assert_eq!(slot.next_seq(), before.1),
                        }
                    }
                }
            }
        }
        let mut by_seq = sent.clone();
        by_seq.sort_by_key(|s| s.0);
        // Never the same number twice.
        prop_assert!(by_seq.windows(2).all(|w| w[0].0 != w[1].0));
        for w in by_seq.windows(2) {
            let (prev, next) = (&w[0], &w[1]);
            let ts_step = next.3.wrapping_sub(prev.3);
            prop_assert!(ts_step < 0x8000_0000, "timestamp went backwards: {prev:?} -> {next:?}");
            if next.5 {
                prop_assert_eq!(next.0, prev.0 + 1, "no gap at a switch");
                prop_assert!(ts_step > 0, "a new source starts after the last timestamp");
                if let (Some(a), Some(b)) = (prev.4, next.4) {
                    prop_assert!((b.wrapping_sub(a) % 0x8000) <= 1, "picture id continues: {a} -> {b}");
                }
            } else if next.1 == prev.1 {
                // Within one source, gaps are exactly the source's own.
                prop_assert_eq!(next.0 - prev.0, next.2 - prev.2);
            }
        }
        // The last packets sent map back to where they came from.
        for s in sent.iter().rev().take(50) {
            if slot.next_seq() - s.0 <= SlotConfig::video().max_seq_jump {
                prop_assert_eq!(slot.source_of(s.0 as u16), Some((s.1 as Source, s.2)));
            }
        }
    }
}
