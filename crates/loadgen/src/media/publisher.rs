//! Synthetic camera and microphone: Opus frames every 20 ms and VP8 frames at 30 per second,
//! one or two simulcast layers, each frame carrying a [`Probe`]. str0m's packetiser splits
//! the frames into RTP packets, as it would real ones.

use std::sync::Arc;
use std::time::{Duration, Instant};

use giaoban_model::TrackKind;
use str0m::Rtc;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid, Pt, Rid};

use super::probe::{self, Probe};
use crate::stats::{Moment, Window};

/// Opus at 20 ms per frame (RFC 7587 §4.2: the usual WebRTC packet time).
const AUDIO_INTERVAL: Duration = Duration::from_millis(20);
/// 80 bytes every 20 ms: 32 kbit/s, a typical Opus voice rate.
const AUDIO_FRAME_LEN: usize = 80;
/// 30 frames per second.
const VIDEO_INTERVAL: Duration = Duration::from_nanos(33_333_333);
/// A timer more than this late skips ahead instead of sending a burst of stale frames.
const MAX_CATCH_UP: Duration = Duration::from_millis(100);
/// An arbitrary picture size written in VP8 keyframe headers (640×360, little endian).
const VP8_SIZE: [u8; 4] = [0x80, 0x02, 0x68, 0x01];

/// What a publishing point sends.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// Bitrate of the video: of its only layer, or of layer `h` with simulcast.
    pub video_kbps: u32,
    /// With simulcast: the bitrate of layer `l`. `None`: one layer, no simulcast.
    pub simulcast_low_kbps: Option<u32>,
    /// A keyframe at least this often, and whenever the SFU asks for one.
    pub keyframe_interval: Duration,
}

impl PublishConfig {
    /// The RIDs announced in the publish offer, low first as browsers list them.
    pub fn rids(&self) -> Vec<&'static str> {
        match self.simulcast_low_kbps {
            Some(_) => vec!["l", "h"],
            None => Vec::new(),
        }
    }
}

/// One video layer's state.
struct Layer {
    rid: Option<Rid>,
    /// Somebody receives this layer (the server's `publish`); a layer turned off sends
    /// nothing, as a browser's inactive encoding, and starts again on a keyframe.
    active: bool,
    /// The value written in the probe's layer byte.
    probe_layer: u8,
    frame_len: usize,
    seq: u32,
    frames_since_keyframe: u64,
    keyframe_requested: bool,
}

/// Sends the synthetic frames of one point through its `Rtc`.
pub(crate) struct Publisher {
    /// This point's index in the run, written in every probe.
    source: u32,
    audio_mid: Mid,
    video_mid: Mid,
    audio_pt: Option<Pt>,
    video_pt: Option<Pt>,
    /// Next frame times; `None` until the media session is up.
    next_audio: Option<Instant>,
    next_video: Option<Instant>,
    audio_seq: u32,
    video_frame: u64,
    keyframe_every: u64,
    layers: Vec<Layer>,
    /// The layer of the current video frame to write next.
    next_layer: usize,
    /// Frame contents are built here, then copied once into the `Arc` str0m keeps.
    scratch: Vec<u8>,
    /// Somebody may hear this point (the server's `publish`).
    audio_active: bool,
}

impl Publisher {
    /// The publisher of point `source` (its index in the run).
    pub fn new(config: &PublishConfig, source: u32, audio_mid: Mid, video_mid: Mid) -> Publisher {
        let frame_len = |kbps: u32| {
            let bytes = u64::from(kbps) * 1000 / 8 / 30;
            usize::try_from(bytes)
                .unwrap_or(usize::MAX)
                .clamp(probe::min_frame_len(TrackKind::Video), 256 * 1024)
        };
        let layers = match config.simulcast_low_kbps {
            Some(low) => vec![
                Layer::new(Some("l".into()), 1, frame_len(low)),
                Layer::new(Some("h".into()), 2, frame_len(config.video_kbps)),
            ],
            None => vec![Layer::new(None, 0, frame_len(config.video_kbps))],
        };
        let max_len = layers.iter().map(|l| l.frame_len).max().unwrap_or(0);
        // Filler that does not look like anything: a counting pattern.
        let scratch = (0..max_len.max(AUDIO_FRAME_LEN)).map(|i| i as u8).collect();
        let frames_per_keyframe = config.keyframe_interval.as_nanos() / VIDEO_INTERVAL.as_nanos();
        Publisher {
            source,
            audio_mid,
            video_mid,
            audio_pt: None,
            video_pt: None,
            next_audio: None,
            next_video: None,
            audio_seq: 0,
            video_frame: 0,
            keyframe_every: u64::try_from(frames_per_keyframe)
                .unwrap_or(u64::MAX)
                .max(1),
            layers,
            next_layer: 0,
            scratch,
            audio_active: true,
        }
    }

    /// Starts sending at `first` (the media session is up).
    pub fn start(&mut self, first: Instant) {
        self.next_audio = Some(first);
        self.next_video = Some(first);
    }

    /// When a frame is due next, if sending.
    pub fn next_due(&self) -> Option<Instant> {
        match (self.next_audio, self.next_video) {
            (Some(a), Some(v)) => Some(a.min(v)),
            (a, v) => a.or(v),
        }
    }

    /// Sends only what the server says anybody receives, as the browser client does: the
    /// video layers listed (every layer when `layers` is empty), no video when `video` is
    /// false, audio only when `audio`.
    pub fn set_wanted(&mut self, video: bool, layers: &[String], audio: bool) {
        self.audio_active = audio;
        for layer in &mut self.layers {
            let on = video
                && (layers.is_empty()
                    || layer
                        .rid
                        .is_none_or(|rid| layers.iter().any(|l| **l == *rid)));
            if on && !layer.active {
                // A layer that starts again starts with a keyframe, as an encoder does.
                layer.keyframe_requested = true;
            }
            layer.active = on;
        }
    }

    /// The SFU asked for a keyframe of `mid` (of layer `rid`, or of every layer).
    pub fn keyframe_request(&mut self, mid: Mid, rid: Option<Rid>) -> bool {
        if mid != self.video_mid {
            return false;
        }
        for layer in &mut self.layers {
            if rid.is_none() || layer.rid == rid {
                layer.keyframe_requested = true;
            }
        }
        true
    }

    /// Writes one frame (audio, or one layer of video) if one is due at `now`; returns
    /// whether it did. str0m wants its output drained after every write, so the caller
    /// drains and asks again until nothing is due.
    pub fn write_due(&mut self, rtc: &mut Rtc, now: Moment, window: &mut Window) -> bool {
        if let Some(due) = self.next_audio
            && due <= now.at
        {
            window
                .lag
                .record(micros(now.at.saturating_duration_since(due)));
            self.next_audio = Some(next_after(due, AUDIO_INTERVAL, now.at));
            if self.audio_active {
                self.write_audio(rtc, now);
            }
            return true;
        }
        if let Some(due) = self.next_video
            && due <= now.at
        {
            if self.next_layer == 0 {
                window
                    .lag
                    .record(micros(now.at.saturating_duration_since(due)));
            }
            self.write_video_layer(rtc, now);
            self.next_layer += 1;
            if self.next_layer == self.layers.len() {
                // Every layer of this frame is out.
                self.next_layer = 0;
                self.video_frame += 1;
                self.next_video = Some(next_after(due, VIDEO_INTERVAL, now.at));
            }
            return true;
        }
        false
    }

    fn write_audio(&mut self, rtc: &mut Rtc, now: Moment) {
        if self.audio_pt.is_none() {
            self.audio_pt = find_pt(rtc, self.audio_mid, Codec::Opus);
        }
        let Some(pt) = self.audio_pt else {
            return;
        };
        let frame = &mut self.scratch[..AUDIO_FRAME_LEN];
        // TOC byte: CELT-only fullband 20 ms, one frame (RFC 6716 §3.1).
        frame[0] = 0xfc;
        Probe {
            source: self.source,
            layer: 0,
            seq: self.audio_seq,
            sent_us: now.wall_us,
        }
        .write(&mut frame[probe::offset(TrackKind::Audio)..]);
        let time = MediaTime::new(u64::from(self.audio_seq) * 960, Frequency::FORTY_EIGHT_KHZ);
        self.audio_seq = self.audio_seq.wrapping_add(1);
        if let Some(writer) = rtc.writer(self.audio_mid) {
            let _ = writer.write(pt, now.at, time, Arc::<[u8]>::from(&*frame));
        }
    }

    /// Writes layer `next_layer` of frame `video_frame`.
    fn write_video_layer(&mut self, rtc: &mut Rtc, now: Moment) {
        if self.video_pt.is_none() {
            self.video_pt = find_pt(rtc, self.video_mid, Codec::Vp8);
        }
        let Some(pt) = self.video_pt else {
            return;
        };
        let time = MediaTime::new(self.video_frame * 3000, Frequency::NINETY_KHZ);
        let Some(layer) = self.layers.get_mut(self.next_layer) else {
            return;
        };
        if !layer.active {
            return;
        }
        let keyframe = layer.keyframe_requested
            || layer.frames_since_keyframe == 0
            || layer.frames_since_keyframe >= self.keyframe_every;
        if keyframe {
            layer.keyframe_requested = false;
            layer.frames_since_keyframe = 0;
        }
        layer.frames_since_keyframe += 1;
        let frame = &mut self.scratch[..layer.frame_len];
        // VP8 frame tag (RFC 6386 §9.1): bit 0 clear on keyframes; version 0, shown.
        frame[0] = if keyframe { 0x10 } else { 0x11 };
        frame[1] = 0;
        frame[2] = 0;
        frame[3..6].copy_from_slice(&[0x9d, 0x01, 0x2a]);
        frame[6..10].copy_from_slice(&VP8_SIZE);
        Probe {
            source: self.source,
            layer: layer.probe_layer,
            seq: layer.seq,
            sent_us: now.wall_us,
        }
        .write(&mut frame[probe::offset(TrackKind::Video)..]);
        layer.seq = layer.seq.wrapping_add(1);
        let Some(writer) = rtc.writer(self.video_mid) else {
            return;
        };
        let writer = match layer.rid {
            Some(rid) => writer.rid(rid),
            None => writer,
        };
        let _ = writer.write(pt, now.at, time, Arc::<[u8]>::from(&*frame));
    }
}

impl Layer {
    fn new(rid: Option<Rid>, probe_layer: u8, frame_len: usize) -> Layer {
        Layer {
            rid,
            active: true,
            probe_layer,
            frame_len,
            seq: 0,
            frames_since_keyframe: 0,
            keyframe_requested: false,
        }
    }
}

/// The next frame time after `due`: one interval later, or a fresh start when the timer
/// fell far behind (a stalled loop sends no burst of stale frames).
fn next_after(due: Instant, interval: Duration, now: Instant) -> Instant {
    let next = due + interval;
    if next + MAX_CATCH_UP < now {
        now + interval
    } else {
        next
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn find_pt(rtc: &mut Rtc, mid: Mid, codec: Codec) -> Option<Pt> {
    let writer = rtc.writer(mid)?;
    writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_timer_skips_ahead() {
        let t0 = Instant::now();
        let on_time = next_after(t0, AUDIO_INTERVAL, t0 + Duration::from_millis(5));
        assert_eq!(on_time, t0 + AUDIO_INTERVAL);
        let late = t0 + Duration::from_millis(500);
        assert_eq!(next_after(t0, AUDIO_INTERVAL, late), late + AUDIO_INTERVAL);
    }

    #[test]
    fn frame_sizes_follow_the_bitrate() {
        let config = PublishConfig {
            video_kbps: 800,
            simulcast_low_kbps: Some(150),
            keyframe_interval: Duration::from_secs(2),
        };
        let publisher = Publisher::new(&config, 3, Mid::from("0"), Mid::from("1"));
        let lens: Vec<usize> = publisher.layers.iter().map(|l| l.frame_len).collect();
        assert_eq!(lens, vec![625, 3333]);
        assert_eq!(publisher.keyframe_every, 60);
    }
}
