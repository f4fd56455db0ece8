//! The recording thread: packets in, WebM files out.
//!
//! Each point of a recorded briefing gets a [`SourceRecorder`] for its camera and microphone
//! and one for its shared screen; the frames of whoever is on the stage also go to the
//! briefing's [`StageRecorder`], the archive copy's picture. Files are registered in the store
//! as they open and close, so that a crash leaves a list of what to recover.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use giaoban_media::{PeerId, RecordedKind, RecordedPacket};
use giaoban_model::BriefingId;
use giaoban_recording::frames::{RtpIn, parse_vp8_descriptor, vp8_is_keyframe};
use giaoban_recording::source::{SourceEvent, SourceRecorder};
use giaoban_recording::stage::StageRecorder;
use giaoban_store::{ActorKind, AuditEntry, Store};
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, info, warn};

use super::{Control, RecordingConfig, StoppedByServer, free_mb};
use crate::clock::unix_ms;
use crate::media_io::media_loop::MediaHandle;
use crate::media_io::record_tap::{RecordingInput, StageInput};

/// How often open files are ticked (clusters flushed, keyframes asked again).
const TICK: Duration = Duration::from_millis(500);
/// How often the free disk space is checked while something records.
const DISK_CHECK: Duration = Duration::from_secs(5);
/// A source that sent nothing for this long (its point left) is closed; if it comes back, a
/// new file opens.
const SOURCE_IDLE: Duration = Duration::from_secs(30);
/// The stage track's file name in a recording's directory.
pub const STAGE_FILE: &str = "stage.webm";

pub(super) struct Worker {
    config: RecordingConfig,
    store: Arc<Store>,
    media: MediaHandle,
    archives: Sender<i64>,
    stopped: UnboundedSender<StoppedByServer>,
    rooms: HashMap<BriefingId, Room>,
}

/// One briefing being recorded.
struct Room {
    recording: i64,
    dir: PathBuf,
    sources: HashMap<(PeerId, bool), Source>,
    stage: StageRecorder,
    stage_file: Option<i64>,
    /// Whom the stage shows: a point's name, and whether its screen.
    stage_target: Option<(String, bool)>,
    /// The source the stage takes its frames from.
    stage_source: Option<(PeerId, bool)>,
}

/// One point's camera and microphone, or its screen.
struct Source {
    label: Arc<str>,
    recorder: SourceRecorder,
    /// Store ids of the files, by path.
    files: HashMap<PathBuf, i64>,
    video: StreamJoin,
    last_packet: Instant,
}

impl Worker {
    pub(super) fn new(
        config: RecordingConfig,
        store: Arc<Store>,
        media: MediaHandle,
        archives: Sender<i64>,
        stopped: UnboundedSender<StoppedByServer>,
    ) -> Worker {
        Worker {
            config,
            store,
            media,
            archives,
            stopped,
            rooms: HashMap::new(),
        }
    }

    /// Runs until the media side and the control side are both gone.
    pub(super) fn run(mut self, inputs: Receiver<RecordingInput>, control: Receiver<Control>) {
        let mut next_tick = Instant::now() + TICK;
        let mut next_disk = Instant::now() + DISK_CHECK;
        loop {
            // Control first: a start is always handled before the packets it lets through.
            loop {
                match control.try_recv() {
                    Ok(c) => self.control(c),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        self.finish_all();
                        return;
                    }
                }
            }
            let wait = next_tick.saturating_duration_since(Instant::now());
            match inputs.recv_timeout(wait.min(Duration::from_millis(100))) {
                Ok(input) => {
                    while let Ok(c) = control.try_recv() {
                        self.control(c);
                    }
                    self.input(input);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.finish_all();
                    return;
                }
            }
            let now = Instant::now();
            if now >= next_tick {
                next_tick = now + TICK;
                self.tick();
            }
            if now >= next_disk {
                next_disk = now + DISK_CHECK;
                self.check_disk();
            }
        }
    }

    fn control(&mut self, control: Control) {
        match control {
            Control::Start {
                recording,
                briefing,
                dir,
                started_ms,
            } => {
                let stage_path = dir.join(STAGE_FILE);
                let stage_file = self
                    .store
                    .add_recording_file(recording, "stage", None, STAGE_FILE, started_ms, true)
                    .map_err(|e| warn!(recording, "cannot register the stage file: {e}"))
                    .ok();
                let room = Room {
                    recording,
                    dir,
                    sources: HashMap::new(),
                    stage: StageRecorder::new(stage_path, started_ms),
                    stage_file,
                    stage_target: None,
                    stage_source: None,
                };
                if let Some(old) = self.rooms.insert(briefing.clone(), room) {
                    warn!(%briefing, "a recording started while another ran: the old one ends");
                    self.finish_room(old);
                }
            }
            Control::Stop { briefing } => {
                if let Some(room) = self.rooms.remove(&briefing) {
                    self.finish_room(room);
                }
            }
        }
    }

    fn input(&mut self, input: RecordingInput) {
        match input {
            RecordingInput::Packet(packet) => {
                let (packet, wall_ms) = *packet;
                self.packet(packet, wall_ms)
            }
            RecordingInput::Stage(stage) => {
                let StageInput { room, name, screen } = *stage;
                let Some(r) = self.rooms.get_mut(&room) else {
                    return;
                };
                r.stage_target = name.map(|n| (n, screen));
                let source = r.stage_target.as_ref().and_then(|(name, screen)| {
                    r.sources
                        .iter()
                        .find(|((_, s), src)| s == screen && &*src.label == name.as_str())
                        .map(|(key, _)| *key)
                });
                set_stage(r, source, &self.media);
            }
        }
    }

    fn packet(&mut self, packet: RecordedPacket, wall_ms: u64) {
        let Some(room) = self.rooms.get_mut(&packet.room) else {
            return;
        };
        let screen = packet.kind == RecordedKind::Screen;
        let key = (packet.peer, screen);
        if !room.sources.contains_key(&key) {
            let stem = if screen {
                format!("screen-{}", packet.peer)
            } else {
                format!("point-{}", packet.peer)
            };
            debug!(point = %packet.label, screen, "recording a new source");
            room.sources.insert(
                key,
                Source {
                    label: packet.label.clone(),
                    recorder: SourceRecorder::new(room.dir.clone(), stem, !screen),
                    files: HashMap::new(),
                    video: StreamJoin::default(),
                    last_packet: Instant::now(),
                },
            );
            let on_stage = room
                .stage_target
                .as_ref()
                .is_some_and(|(n, s)| *s == screen && n.as_str() == &*packet.label);
            if on_stage {
                set_stage(room, Some(key), &self.media);
            }
        }
        let Some(source) = room.sources.get_mut(&key) else {
            return;
        };
        source.last_packet = Instant::now();
        let result = match packet.kind {
            RecordedKind::Audio => source.recorder.push_audio(RtpIn {
                seq: packet.seq,
                timestamp: packet.timestamp,
                marker: packet.marker,
                payload: &packet.payload,
                arrival_unix_ms: wall_ms,
            }),
            RecordedKind::Camera | RecordedKind::Screen => {
                match source.video.map(packet.ssrc, packet.seq, &packet.payload) {
                    Joined::Packet(seq) => source.recorder.push_video(RtpIn {
                        seq,
                        timestamp: packet.timestamp,
                        marker: packet.marker,
                        payload: &packet.payload,
                        arrival_unix_ms: wall_ms,
                    }),
                    Joined::WaitKeyframe { ask } => {
                        if ask {
                            self.media.request_recording_keyframe(packet.peer, screen);
                        }
                        Ok(())
                    }
                }
            }
        };
        if let Err(e) = result {
            warn!(briefing = %packet.room, point = %packet.label, "recording write failed: {e}");
            let briefing = (*packet.room).clone();
            self.stop_by_server(&briefing, "write_failed");
            return;
        }
        let Some(room) = self.rooms.get_mut(&packet.room) else {
            return;
        };
        drain(room, key, &self.store, &self.media);
    }

    fn tick(&mut self) {
        let now = unix_ms();
        let mut failed = Vec::new();
        for (briefing, room) in &mut self.rooms {
            close_idle(room, now, &self.store, &self.media);
            let keys: Vec<(PeerId, bool)> = room.sources.keys().copied().collect();
            for key in keys {
                if let Some(source) = room.sources.get_mut(&key)
                    && let Err(e) = source.recorder.tick(now)
                {
                    warn!(%briefing, "recording write failed: {e}");
                    failed.push(briefing.clone());
                }
                drain(room, key, &self.store, &self.media);
            }
            match room.stage.tick(now) {
                Ok(true) => {
                    if let Some((peer, screen)) = room.stage_source {
                        self.media.request_recording_keyframe(peer, screen);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    warn!(%briefing, "recording the stage failed: {e}");
                    failed.push(briefing.clone());
                }
            }
        }
        for briefing in failed {
            self.stop_by_server(&briefing, "write_failed");
        }
    }

    fn check_disk(&mut self) {
        if self.rooms.is_empty() {
            return;
        }
        let free = match free_mb(&self.config.dir) {
            Ok(free) => free,
            Err(e) => {
                warn!("cannot read the free disk space: {e}");
                return;
            }
        };
        if free >= self.config.min_free_mb {
            return;
        }
        warn!(
            free_mb = free,
            min_mb = self.config.min_free_mb,
            "the disk is nearly full: every recording stops"
        );
        let all: Vec<BriefingId> = self.rooms.keys().cloned().collect();
        for briefing in all {
            self.stop_by_server(&briefing, "disk_full");
        }
    }

    /// Stops `briefing`'s recording on the server's own account and says so.
    fn stop_by_server(&mut self, briefing: &BriefingId, reason: &'static str) {
        let Some(room) = self.rooms.remove(briefing) else {
            return;
        };
        let now = unix_ms();
        if let Err(e) = self.store.end_recording(room.recording, now, reason) {
            warn!(%briefing, "cannot record the end of the recording: {e}");
        }
        let entry = AuditEntry {
            actor_kind: ActorKind::System,
            actor_name: None,
            briefing_id: Some(briefing.0.clone()),
            action: "recording.stop".into(),
            details: serde_json::json!({ "recording": room.recording, "reason": reason }),
        };
        if let Err(e) = self
            .store
            .record_audit_at(&entry, i64::try_from(now).unwrap_or(i64::MAX))
        {
            warn!(%briefing, "audit entry not recorded: {e}");
        }
        self.finish_room(room);
        let _ = self.stopped.send(StoppedByServer {
            briefing: briefing.clone(),
            reason,
        });
    }

    /// Closes every file of `room` and queues its archive copy.
    fn finish_room(&mut self, mut room: Room) {
        let now = unix_ms();
        let keys: Vec<(PeerId, bool)> = room.sources.keys().copied().collect();
        for key in keys {
            if let Some(source) = room.sources.get_mut(&key)
                && let Err(e) = source.recorder.finish(now)
            {
                warn!(file = %source.label, "closing a recording file failed: {e}");
            }
            drain(&mut room, key, &self.store, &self.media);
        }
        let stage = room.stage.finish(now);
        if let Some(file) = room.stage_file {
            let (duration, bytes, status) = match stage {
                Ok(Some(summary)) => (summary.duration_ms, summary.bytes, "closed"),
                Ok(None) => (0, 0, "empty"),
                Err(e) => {
                    warn!(
                        recording = room.recording,
                        "closing the stage file failed: {e}"
                    );
                    (0, 0, "empty")
                }
            };
            if let Err(e) = self
                .store
                .close_recording_file(file, duration, bytes, status)
            {
                warn!("cannot record the stage file: {e}");
            }
        }
        info!(recording = room.recording, dir = %room.dir.display(), "recording files closed");
        let _ = self.archives.send(room.recording);
    }

    /// The server stops: what records is closed; the next start makes the archive copies.
    fn finish_all(&mut self) {
        let all: Vec<BriefingId> = self.rooms.keys().cloned().collect();
        for briefing in all {
            if let Some(room) = self.rooms.remove(&briefing) {
                let _ = self
                    .store
                    .end_recording(room.recording, unix_ms(), "server_stopped");
                self.finish_room(room);
            }
        }
    }
}

/// Closes the sources of `room` that sent nothing for [`SOURCE_IDLE`]: their files are
/// finished and their descriptors freed while the recording goes on.
fn close_idle(room: &mut Room, now: u64, store: &Store, media: &MediaHandle) {
    let idle: Vec<(PeerId, bool)> = room
        .sources
        .iter()
        .filter(|(_, s)| s.last_packet.elapsed() >= SOURCE_IDLE)
        .map(|(key, _)| *key)
        .collect();
    for key in idle {
        if let Some(source) = room.sources.get_mut(&key) {
            debug!(point = %source.label, "a recorded source went quiet: its file is closed");
            if let Err(e) = source.recorder.finish(now) {
                warn!(point = %source.label, "closing a recording file failed: {e}");
            }
        }
        drain(room, key, store, media);
        room.sources.remove(&key);
        if room.stage_source == Some(key) {
            room.stage_source = None;
        }
    }
}

/// Points the stage at `source`, asking it for a keyframe when that changed.
fn set_stage(room: &mut Room, source: Option<(PeerId, bool)>, media: &MediaHandle) {
    if room.stage_source == source {
        return;
    }
    room.stage_source = source;
    let ask = room.stage.set_source(source.map(stage_key));
    if ask && let Some((peer, screen)) = source {
        media.request_recording_keyframe(peer, screen);
    }
}

fn stage_key((peer, screen): (PeerId, bool)) -> String {
    format!("{peer}/{}", if screen { "screen" } else { "camera" })
}

/// Handles what a source's recorder has to say.
fn drain(room: &mut Room, key: (PeerId, bool), store: &Store, media: &MediaHandle) {
    let Some(source) = room.sources.get_mut(&key) else {
        return;
    };
    let (peer, screen) = key;
    while let Some(event) = source.recorder.poll_event() {
        match event {
            SourceEvent::FileOpened {
                path,
                started_unix_ms,
                has_video,
                ..
            } => {
                let name = file_name(&path);
                let kind = if screen { "screen" } else { "point" };
                match store.add_recording_file(
                    room.recording,
                    kind,
                    Some(&source.label),
                    &name,
                    started_unix_ms,
                    has_video,
                ) {
                    Ok(id) => {
                        source.files.insert(path, id);
                    }
                    Err(e) => warn!(file = %name, "cannot register a recording file: {e}"),
                }
            }
            SourceEvent::FileClosed {
                path,
                duration_ms,
                bytes,
                ..
            } => {
                if let Some(id) = source.files.remove(&path)
                    && let Err(e) = store.close_recording_file(id, duration_ms, bytes, "closed")
                {
                    warn!("cannot record a closed recording file: {e}");
                }
            }
            SourceEvent::KeyframeWanted => media.request_recording_keyframe(peer, screen),
            SourceEvent::VideoFrame(frame) => {
                if room.stage_source == Some(key)
                    && let Err(e) = room.stage.push(&stage_key(key), &frame)
                {
                    warn!("recording the stage failed: {e}");
                }
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What [`StreamJoin::map`] makes of a video packet.
#[derive(Debug, PartialEq, Eq)]
enum Joined {
    /// Pass it on with this sequence number.
    Packet(u64),
    /// Dropped: a new stream starts on a keyframe; `ask` for one (once per switch).
    WaitKeyframe { ask: bool },
}

/// Joins the RTP streams a point's video comes on — a simulcast layer switch, a sender that
/// started over — into one sequence of numbers, each new stream from a keyframe on.
#[derive(Debug, Default)]
struct StreamJoin {
    ssrc: Option<u32>,
    /// Added to a packet's sequence number.
    offset: i64,
    /// The highest number passed on.
    last: u64,
    asked: bool,
}

impl StreamJoin {
    fn map(&mut self, ssrc: u32, seq: u64, payload: &[u8]) -> Joined {
        match self.ssrc {
            None => {
                self.ssrc = Some(ssrc);
                self.last = seq;
                Joined::Packet(seq)
            }
            Some(current) if current == ssrc => {
                let out = u64::try_from(i64::try_from(seq).unwrap_or(i64::MAX) + self.offset)
                    .unwrap_or(0);
                self.last = self.last.max(out);
                Joined::Packet(out)
            }
            Some(_) if vp8_keyframe_start(payload) => {
                // Leave a gap of a few numbers: the old stream's last packets are not waited for.
                let out = self.last + 16;
                self.offset =
                    i64::try_from(out).unwrap_or(i64::MAX) - i64::try_from(seq).unwrap_or(i64::MAX);
                self.ssrc = Some(ssrc);
                self.last = out;
                self.asked = false;
                Joined::Packet(out)
            }
            Some(_) => {
                let ask = !self.asked;
                self.asked = true;
                Joined::WaitKeyframe { ask }
            }
        }
    }
}

/// Whether a VP8 RTP payload (RFC 7741) starts a keyframe: the start of partition 0, whose
/// frame is a keyframe.
fn vp8_keyframe_start(payload: &[u8]) -> bool {
    parse_vp8_descriptor(payload).is_ok_and(|d| {
        d.start && d.partition == 0 && payload.get(d.len..).is_some_and(vp8_is_keyframe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VP8 payload: descriptor with a 15-bit picture id, then the frame's first byte.
    fn vp8(start: bool, key: bool) -> Vec<u8> {
        vec![
            0x80 | if start { 0x10 } else { 0 },
            0x80,
            0x80,
            0x01,
            if key { 0x10 } else { 0x11 },
            0,
        ]
    }

    #[test]
    fn keyframe_starts_are_recognised_with_every_descriptor() {
        assert!(vp8_keyframe_start(&vp8(true, true)));
        assert!(!vp8_keyframe_start(&vp8(true, false)));
        assert!(!vp8_keyframe_start(&vp8(false, true)));
        assert!(vp8_keyframe_start(&[0x10, 0x10]), "no extension");
        assert!(vp8_keyframe_start(&[0x90, 0x40, 0x05, 0x10]), "TL0PICIDX");
        assert!(vp8_keyframe_start(&[0x90, 0xf0, 0x05, 0x01, 0x20, 0x10]));
        assert!(!vp8_keyframe_start(&[0x11, 0x10]), "partition 1");
        for cut in 0..5 {
            let p = vp8(true, true);
            assert!(!vp8_keyframe_start(&p[..cut]), "cut at {cut}");
        }
    }

    #[test]
    fn a_new_stream_continues_the_numbers_from_its_keyframe() {
        let mut join = StreamJoin::default();
        assert_eq!(
            join.map(1, 65_530, &vp8(true, false)),
            Joined::Packet(65_530)
        );
        assert_eq!(
            join.map(1, 65_540, &vp8(false, false)),
            Joined::Packet(65_540)
        );
        // The high layer begins: its delta frames wait, one keyframe request is made.
        assert_eq!(
            join.map(2, 7, &vp8(true, false)),
            Joined::WaitKeyframe { ask: true }
        );
        assert_eq!(
            join.map(2, 8, &vp8(true, false)),
            Joined::WaitKeyframe { ask: false }
        );
        assert_eq!(join.map(2, 9, &vp8(true, true)), Joined::Packet(65_556));
        assert_eq!(join.map(2, 10, &vp8(false, false)), Joined::Packet(65_557));
        // A late packet of the old stream is not mixed in.
        assert_eq!(
            join.map(1, 65_541, &vp8(false, false)),
            Joined::WaitKeyframe { ask: true }
        );
        assert_eq!(join.map(2, 11, &vp8(false, false)), Joined::Packet(65_558));
    }
}
