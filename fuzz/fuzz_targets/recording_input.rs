//! What recording takes from outside: RTP packets a point sends (VP8 and Opus payloads, any
//! sequence numbers and timestamps, reordered, repeated) into frames and a WebM file, and the
//! bytes of a file a crash cut anywhere, which `recover` closes.
//!
//! The first byte chooses: even, packets (each `[seq delta: 2][timestamp: 4][flags: 1]
//! [len: 1][payload: len]`, flags bit 0 the marker, bit 1 audio); odd, a file to recover.
//! Neither may panic; a recovered file, recovered again, is unchanged.
#![no_main]

use giaoban_recording::frames::{Codec, FrameEvent, FrameStream, RtpIn};
use giaoban_recording::recover::recover_bytes;
use giaoban_recording::webm::{TrackSpec, WebmWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    if choice % 2 == 1 {
        let mut file = rest.to_vec();
        if recover_bytes(&mut file).is_ok() {
            let once = file.clone();
            let again = recover_bytes(&mut file);
            assert!(again.is_ok(), "a recovered file recovers");
            assert_eq!(file, once, "recovering twice changes nothing");
        }
        return;
    }
    let mut video = FrameStream::new(Codec::Vp8);
    let mut audio = FrameStream::new(Codec::Opus);
    let (mut writer, header) = WebmWriter::new(
        &[
            TrackSpec::Opus { channels: 2 },
            TrackSpec::Vp8 {
                width: 640,
                height: 360,
            },
        ],
        1_796_000_000_000,
    );
    let mut file = header;
    let mut seq: u64 = 1000;
    let mut now: u64 = 1_796_000_000_000;
    let mut input = rest;
    while input.len() >= 8 {
        let delta = u16::from_be_bytes([input[0], input[1]]);
        let timestamp = u32::from_be_bytes([input[2], input[3], input[4], input[5]]);
        let flags = input[6];
        let len = usize::from(input[7]).min(input.len() - 8);
        let payload = &input[8..8 + len];
        input = &input[8 + len..];
        // A delta past half the range goes back: reordered and repeated packets.
        seq = seq
            .wrapping_add(u64::from(delta))
            .wrapping_sub(32_768)
            .max(1);
        now += 7;
        let packet = RtpIn {
            seq,
            timestamp,
            marker: flags & 1 != 0,
            payload,
            arrival_unix_ms: now,
        };
        let (stream, track) = if flags & 2 != 0 {
            (&mut audio, 0)
        } else {
            (&mut video, 1)
        };
        stream.push(packet);
        while let Some(event) = stream.pop(now) {
            if let FrameEvent::Frame(frame) = event {
                let ts = frame.wall_ms.saturating_sub(1_796_000_000_000);
                if let Some(cluster) = writer.push(track, ts, frame.keyframe, &frame.data) {
                    file.extend_from_slice(&cluster);
                }
            }
        }
    }
    let finish = writer.finish();
    file.extend_from_slice(&finish.tail);
    // The file as written, cut anywhere, is closed by recover.
    let cut = file.len() * usize::from(rest.first().copied().unwrap_or(0)) / 256;
    let mut partial = file[..cut.max(1)].to_vec();
    let _ = recover_bytes(&mut partial);
});
