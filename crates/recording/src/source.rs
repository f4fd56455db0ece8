//! One point's camera and microphone (or a shared screen: video only) into WebM files
//! `DIR/{stem}-{n}.webm`.
//!
//! A file opens when the first video keyframe arrives (tracks: Opus if the source has audio,
//! and VP8 at that keyframe's size). If no keyframe arrives within
//! [`NO_KEYFRAME_TIMEOUT_MS`] of the first packet, the file opens with audio only (the audio
//! buffered meanwhile is kept) and a keyframe is asked for every [`KEYFRAME_RETRY_MS`]. A
//! keyframe arriving later, or a keyframe whose size differs from the file's, finishes the file
//! and opens a new one starting on that keyframe.
//!
//! Writes: the header when the file opens, each closed cluster with one `write_all`,
//! `sync_data` at most once per [`SYNC_INTERVAL_MS`], and at finish the tail then the patches
//! in place. When a write fails, the file is left as it is (so that
//! [`crate::recover::recover`] closes it later) and recording goes on in a new file.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::frames::{Codec, Frame, FrameEvent, FrameStream, RtpIn};
use crate::webm::{TrackSpec, WebmWriter};

/// Without a video keyframe this long (ms) after the first packet, the file opens audio-only.
pub const NO_KEYFRAME_TIMEOUT_MS: u64 = 3_000;

/// While a file has no video, a keyframe is asked for this often (ms).
pub const KEYFRAME_RETRY_MS: u64 = 3_000;

/// [`SourceEvent::KeyframeWanted`] is given at most this often (ms).
pub const KEYFRAME_REQUEST_MIN_MS: u64 = 1_000;

/// A cluster open for this long (ms of wall time) is written out by [`SourceRecorder::tick`].
pub const CLUSTER_FLUSH_MS: u64 = 1_500;

/// A file's data is synced at most this often (ms).
pub const SYNC_INTERVAL_MS: u64 = 1_000;

/// The most audio frames buffered while no file is open (10 s of 20 ms frames); beyond it the
/// oldest are dropped.
pub const MAX_PENDING_AUDIO: usize = 500;

/// The most events queued for [`SourceRecorder::poll_event`]; beyond it the oldest video
/// frame events are dropped first.
pub const MAX_EVENTS: usize = 256;

/// After a write error (a full disk), no new file is opened for this long (ms).
pub const OPEN_RETRY_MS: u64 = 5_000;

/// How many file names `{stem}-{n}.webm` are tried when earlier ones already exist.
const MAX_NAME_TRIES: u32 = 10_000;

/// A complete video frame, for the caller (the stage's frames go to [`crate::stage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// Wall-clock time (Unix ms).
    pub wall_ms: u64,
    /// A keyframe.
    pub keyframe: bool,
    /// Width of the last keyframe (0 before any).
    pub width: u16,
    /// Height of the last keyframe (0 before any).
    pub height: u16,
    /// The VP8 frame.
    pub data: Arc<[u8]>,
}

/// What a [`SourceRecorder`] tells its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEvent {
    /// A file was opened.
    FileOpened {
        /// Its path.
        path: PathBuf,
        /// Wall clock of its timestamp 0 (Unix ms).
        started_unix_ms: u64,
        /// Video width (0 when audio-only).
        width: u16,
        /// Video height (0 when audio-only).
        height: u16,
        /// Whether it has a video track.
        has_video: bool,
    },
    /// A file was finished.
    FileClosed {
        /// Its path.
        path: PathBuf,
        /// Wall clock of its timestamp 0 (Unix ms).
        started_unix_ms: u64,
        /// Its duration (ms).
        duration_ms: u64,
        /// Its length in bytes.
        bytes: u64,
    },
    /// Ask the sender for a video keyframe.
    KeyframeWanted,
    /// A complete video frame.
    VideoFrame(VideoFrame),
}

/// A WebM file being written: the writer and the file, with bounded syncing.
#[derive(Debug)]
pub(crate) struct WebmFile {
    file: File,
    path: PathBuf,
    writer: WebmWriter,
    started: u64,
    last_sync: u64,
    unsynced: bool,
}

/// What a finished [`WebmFile`] was.
#[derive(Debug)]
pub(crate) struct Closed {
    pub path: PathBuf,
    pub started: u64,
    pub duration_ms: u64,
    pub bytes: u64,
}

impl WebmFile {
    /// Creates `path` (which must not exist) and writes the header.
    pub(crate) fn create(
        path: PathBuf,
        tracks: &[TrackSpec],
        started: u64,
    ) -> io::Result<WebmFile> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let (writer, header) = WebmWriter::new(tracks, started);
        if let Err(e) = file.write_all(&header) {
            // A file without a whole header holds nothing: do not leave it behind.
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(WebmFile {
            file,
            path,
            writer,
            started,
            last_sync: 0,
            unsynced: true,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a frame at wall time `wall_ms`; writes a cluster that closed.
    pub(crate) fn push(
        &mut self,
        track: usize,
        wall_ms: u64,
        keyframe: bool,
        data: &[u8],
        now: u64,
    ) -> io::Result<()> {
        if wall_ms < self.started {
            // Before the file's start (audio that waited for the first keyframe and mapped
            // earlier): it has no place in the file.
            return Ok(());
        }
        let ts = wall_ms - self.started;
        if let Some(cluster) = self.writer.push(track, ts, keyframe, data) {
            self.append(&cluster, now)?;
        }
        Ok(())
    }

    fn append(&mut self, bytes: &[u8], now: u64) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.unsynced = true;
        self.sync_if_due(now)
    }

    fn sync_if_due(&mut self, now: u64) -> io::Result<()> {
        if self.unsynced && now.saturating_sub(self.last_sync) >= SYNC_INTERVAL_MS {
            self.file.sync_data()?;
            self.unsynced = false;
            self.last_sync = now;
        }
        Ok(())
    }

    /// Writes out a cluster open for [`CLUSTER_FLUSH_MS`] of wall time, and syncs if due.
    pub(crate) fn tick(&mut self, now: u64) -> io::Result<()> {
        if let Some(cts) = self.writer.open_cluster_ms()
            && now.saturating_sub(self.started.saturating_add(cts)) >= CLUSTER_FLUSH_MS
            && let Some(cluster) = self.writer.flush()
        {
            self.file.write_all(&cluster)?;
            self.unsynced = true;
        }
        self.sync_if_due(now)
    }

    /// Ends the file: the tail, a sync, the patches in place, a sync.
    pub(crate) fn finish(mut self) -> io::Result<Closed> {
        let f = self.writer.finish();
        self.file.seek(SeekFrom::Start(f.tail_offset))?;
        self.file.write_all(&f.tail)?;
        self.file.sync_data()?;
        for (offset, bytes) in &f.patches {
            self.file.seek(SeekFrom::Start(*offset))?;
            self.file.write_all(bytes)?;
        }
        self.file.sync_all()?;
        Ok(Closed {
            path: self.path,
            started: self.started,
            duration_ms: f.duration_ms,
            bytes: f.file_len,
        })
    }
}

/// One source's packets into files; see the module documentation.
#[derive(Debug)]
pub struct SourceRecorder {
    dir: PathBuf,
    stem: String,
    has_audio: bool,
    next_index: u32,
    audio: FrameStream,
    video: FrameStream,
    file: Option<WebmFile>,
    /// The open file's video size, if it has video.
    file_video: Option<(u16, u16)>,
    first_packet_ms: Option<u64>,
    pending_audio: VecDeque<Frame>,
    events: VecDeque<SourceEvent>,
    last_keyframe_request: Option<u64>,
    last_keyframe_size: Option<(u16, u16)>,
    /// After a write error, no file opens before this time (Unix ms).
    no_open_until: Option<u64>,
}

impl SourceRecorder {
    /// A recorder writing `dir/{stem}-{n}.webm` (n from 1; existing names are skipped).
    /// `has_audio`: a camera with a microphone (false: a shared screen, video only).
    pub fn new(
        dir: impl Into<PathBuf>,
        stem: impl Into<String>,
        has_audio: bool,
    ) -> SourceRecorder {
        SourceRecorder {
            dir: dir.into(),
            stem: stem.into(),
            has_audio,
            next_index: 1,
            audio: FrameStream::new(Codec::Opus),
            video: FrameStream::new(Codec::Vp8),
            file: None,
            file_video: None,
            first_packet_ms: None,
            pending_audio: VecDeque::new(),
            events: VecDeque::new(),
            last_keyframe_request: None,
            last_keyframe_size: None,
            no_open_until: None,
        }
    }

    /// The file being written, if any.
    pub fn current_file(&self) -> Option<&Path> {
        self.file.as_ref().map(WebmFile::path)
    }

    /// Takes an Opus packet (ignored when the source has no audio).
    pub fn push_audio(&mut self, p: RtpIn<'_>) -> io::Result<()> {
        if !self.has_audio {
            return Ok(());
        }
        let now = p.arrival_unix_ms;
        self.first_packet_ms.get_or_insert(now);
        self.audio.push(p);
        self.process(now, now)
    }

    /// Takes a VP8 packet.
    pub fn push_video(&mut self, p: RtpIn<'_>) -> io::Result<()> {
        let now = p.arrival_unix_ms;
        self.first_packet_ms.get_or_insert(now);
        self.video.push(p);
        self.process(now, now)
    }

    /// Lets time pass: gives up packet gaps, opens an audio-only file after
    /// [`NO_KEYFRAME_TIMEOUT_MS`], asks for keyframes, writes out old clusters, syncs.
    /// Call it at least every 500 ms.
    pub fn tick(&mut self, now_unix_ms: u64) -> io::Result<()> {
        self.process(now_unix_ms, now_unix_ms)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SourceEvent> {
        self.events.pop_front()
    }

    /// Ends recording: releases the frames still held (giving up any gap), then finishes the
    /// open file (tail, patches, fsync) and tells [`SourceEvent::FileClosed`]. The file is
    /// finished even if writing the last frames failed; the first error is returned.
    pub fn finish(&mut self, now_unix_ms: u64) -> io::Result<()> {
        let released = self.process(u64::MAX, now_unix_ms);
        let closed = self.close_file();
        released.and(closed)
    }

    fn process(&mut self, pop_now: u64, now: u64) -> io::Result<()> {
        let mut result = Ok(());
        while let Some(ev) = self.video.pop(pop_now) {
            let r = match ev {
                FrameEvent::Frame(f) => self.on_video(f, now),
                FrameEvent::KeyframeWanted => {
                    self.want_keyframe(now);
                    Ok(())
                }
            };
            result = result.and(r);
        }
        while let Some(ev) = self.audio.pop(pop_now) {
            if let FrameEvent::Frame(f) = ev {
                result = result.and(self.on_audio(f, now));
            }
        }
        result = result.and(self.timeouts(now));
        result
    }

    fn want_keyframe(&mut self, now: u64) {
        let min = if self.file_video.is_some() {
            KEYFRAME_REQUEST_MIN_MS
        } else {
            KEYFRAME_RETRY_MS
        };
        if self
            .last_keyframe_request
            .is_none_or(|t| now.saturating_sub(t) >= min)
        {
            self.last_keyframe_request = Some(now);
            self.push_event(SourceEvent::KeyframeWanted);
        }
    }

    fn push_event(&mut self, e: SourceEvent) {
        if self.events.len() >= MAX_EVENTS {
            let victim = self
                .events
                .iter()
                .position(|e| matches!(e, SourceEvent::VideoFrame(_)))
                .or_else(|| {
                    self.events
                        .iter()
                        .position(|e| matches!(e, SourceEvent::KeyframeWanted))
                })
                .unwrap_or(0);
            self.events.remove(victim);
        }
        self.events.push_back(e);
    }

    fn on_video(&mut self, f: Frame, now: u64) -> io::Result<()> {
        // A keyframe whose size cannot be read is treated as an inter frame.
        let key_size = f.size.filter(|_| f.keyframe);
        if key_size.is_some() {
            self.last_keyframe_size = key_size;
        }
        let (width, height) = self.last_keyframe_size.unwrap_or((0, 0));
        let data: Arc<[u8]> = f.data.into();
        self.push_event(SourceEvent::VideoFrame(VideoFrame {
            wall_ms: f.wall_ms,
            keyframe: f.keyframe,
            width,
            height,
            data: Arc::clone(&data),
        }));
        if let Some(size) = key_size
            && self.file_video != Some(size)
        {
            self.close_file()?;
            self.open_file(Some(size), f.wall_ms, now)?;
        }
        if self.file_video.is_none() {
            // No video in the file yet: frames before its first keyframe are dropped.
            self.want_keyframe(now);
            return Ok(());
        }
        let track = usize::from(self.has_audio);
        self.write(track, f.wall_ms, key_size.is_some(), &data, now)
    }

    fn on_audio(&mut self, f: Frame, now: u64) -> io::Result<()> {
        if self.file.is_some() {
            return self.write(0, f.wall_ms, true, &f.data, now);
        }
        if self.pending_audio.len() >= MAX_PENDING_AUDIO {
            self.pending_audio.pop_front();
        }
        self.pending_audio.push_back(f);
        Ok(())
    }

    fn timeouts(&mut self, now: u64) -> io::Result<()> {
        if self.file.is_none()
            && self.has_audio
            && !self.pending_audio.is_empty()
            && self
                .first_packet_ms
                .is_some_and(|t| now.saturating_sub(t) >= NO_KEYFRAME_TIMEOUT_MS)
        {
            let start = self.pending_audio.front().map_or(now, |f| f.wall_ms);
            self.open_file(None, start, now)?;
        }
        if self.file_video.is_none() && self.first_packet_ms.is_some() {
            self.want_keyframe(now);
        }
        if let Some(file) = &mut self.file
            && let Err(e) = file.tick(now)
        {
            self.abandon(&e, now);
            return Err(e);
        }
        Ok(())
    }

    fn write(
        &mut self,
        track: usize,
        wall_ms: u64,
        keyframe: bool,
        data: &[u8],
        now: u64,
    ) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        if let Err(e) = file.push(track, wall_ms, keyframe, data, now) {
            self.abandon(&e, now);
            return Err(e);
        }
        Ok(())
    }

    /// Leaves the open file as it is after a write error: `recover` closes it later. No new
    /// file opens for [`OPEN_RETRY_MS`].
    fn abandon(&mut self, e: &io::Error, now: u64) {
        if let Some(file) = self.file.take() {
            tracing::warn!(path = %file.path().display(), error = %e, "recording file abandoned after a write error");
        }
        self.file_video = None;
        self.no_open_until = Some(now.saturating_add(OPEN_RETRY_MS));
    }

    fn open_file(&mut self, video: Option<(u16, u16)>, wall_ms: u64, now: u64) -> io::Result<()> {
        if self.no_open_until.is_some_and(|t| now < t) {
            return Ok(());
        }
        let mut tracks = Vec::new();
        if self.has_audio {
            tracks.push(TrackSpec::Opus { channels: 2 });
        }
        if let Some((width, height)) = video {
            tracks.push(TrackSpec::Vp8 { width, height });
        }
        if tracks.is_empty() {
            return Ok(());
        }
        // The audio buffered while no file was open starts the file.
        let started = self
            .pending_audio
            .front()
            .map_or(wall_ms, |f| f.wall_ms.min(wall_ms));
        let mut tries = 0;
        let file = loop {
            let path = self
                .dir
                .join(format!("{}-{}.webm", self.stem, self.next_index));
            self.next_index = self.next_index.saturating_add(1);
            match WebmFile::create(path, &tracks, started) {
                Ok(f) => break f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < MAX_NAME_TRIES => {
                    tries += 1;
                }
                Err(e) => {
                    self.no_open_until = Some(now.saturating_add(OPEN_RETRY_MS));
                    return Err(e);
                }
            }
        };
        let (width, height) = video.unwrap_or((0, 0));
        self.push_event(SourceEvent::FileOpened {
            path: file.path().to_path_buf(),
            started_unix_ms: started,
            width,
            height,
            has_video: video.is_some(),
        });
        self.file = Some(file);
        self.file_video = video;
        let pending = std::mem::take(&mut self.pending_audio);
        for f in pending {
            self.write(0, f.wall_ms, true, &f.data, now)?;
        }
        Ok(())
    }

    fn close_file(&mut self) -> io::Result<()> {
        self.file_video = None;
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let closed = file.finish()?;
        self.push_event(SourceEvent::FileClosed {
            path: closed.path,
            started_unix_ms: closed.started,
            duration_ms: closed.duration_ms,
            bytes: closed.bytes,
        });
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::webm::parse_blocks;

    /// A synthetic VP8 frame: a keyframe header of the given size, or an inter frame.
    pub(crate) fn vp8_frame(key: bool, w: u16, h: u16, fill: u8) -> Vec<u8> {
        let mut f = if key {
            vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]
        } else {
            vec![0x11, 0x02, 0x00]
        };
        if key {
            f.extend_from_slice(&w.to_le_bytes());
            f.extend_from_slice(&h.to_le_bytes());
        }
        f.extend_from_slice(&[fill; 20]);
        f
    }

    /// Feeds RTP to a recorder: VP8 in one packet per frame, Opus 20 ms.
    pub(crate) struct Feeder {
        pub vseq: u64,
        pub aseq: u64,
    }

    impl Feeder {
        pub(crate) fn video(&mut self, r: &mut SourceRecorder, wall: u64, frame: &[u8]) {
            let mut p = vec![0x10];
            p.extend_from_slice(frame);
            let seq = self.vseq;
            self.vseq += 1;
            r.push_video(RtpIn {
                seq,
                timestamp: (wall * 90) as u32,
                marker: true,
                payload: &p,
                arrival_unix_ms: wall,
            })
            .expect("video");
        }

        pub(crate) fn audio(&mut self, r: &mut SourceRecorder, wall: u64) {
            let seq = self.aseq;
            self.aseq += 1;
            r.push_audio(RtpIn {
                seq,
                timestamp: (wall * 48) as u32,
                marker: false,
                payload: &[0xAB; 10],
                arrival_unix_ms: wall,
            })
            .expect("audio");
        }
    }

    fn events(r: &mut SourceRecorder) -> Vec<SourceEvent> {
        std::iter::from_fn(|| r.poll_event()).collect()
    }

    fn files(ev: &[SourceEvent]) -> Vec<(PathBuf, bool, u16)> {
        ev.iter()
            .filter_map(|e| match e {
                SourceEvent::FileOpened {
                    path,
                    has_video,
                    width,
                    ..
                } => Some((path.clone(), *has_video, *width)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn resolution_change_opens_a_new_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", true);
        let mut f = Feeder {
            vseq: 65_500,
            aseq: 7,
        };
        let t0 = 1_700_000_000_000;
        let mut all = Vec::new();
        for i in 0..100u64 {
            let wall = t0 + i * 20;
            f.audio(&mut r, wall);
            if i % 4 == 0 {
                let (w, h) = if i < 50 { (320, 240) } else { (640, 360) };
                let key = i % 40 == 0 || i == 52;
                f.video(&mut r, wall, &vp8_frame(key, w, h, i as u8));
            }
            r.tick(wall).expect("tick");
            all.extend(events(&mut r));
        }
        r.finish(t0 + 3000).expect("finish");
        all.extend(events(&mut r));
        let opened = files(&all);
        assert_eq!(opened.len(), 2, "{opened:?}");
        assert_eq!(opened[0].2, 320);
        assert_eq!(opened[1].2, 640);
        assert!(opened[1].0.ends_with("cam-2.webm"));
        let closed: Vec<_> = all
            .iter()
            .filter(|e| matches!(e, SourceEvent::FileClosed { .. }))
            .collect();
        assert_eq!(closed.len(), 2);
        for (path, ..) in &opened {
            let bytes = std::fs::read(path).expect("read");
            let blocks = parse_blocks(&bytes);
            let video: Vec<_> = blocks.iter().filter(|b| b.track == 2).collect();
            assert!(video[0].keyframe, "each file's video starts on a keyframe");
            assert!(blocks.iter().any(|b| b.track == 1));
            let l = crate::webm::Layout::parse(&bytes).expect("layout");
            assert_eq!(
                l.segment_size,
                Some(bytes.len() as u64 - l.data_start),
                "finished"
            );
        }
        let frames = all
            .iter()
            .filter(|e| matches!(e, SourceEvent::VideoFrame(_)))
            .count();
        assert_eq!(frames, 25, "every complete frame is given to the caller");
    }

    #[test]
    fn no_keyframe_opens_audio_only_then_a_new_file_on_the_first_keyframe() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", true);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        let t0 = 1_000_000;
        let mut all = Vec::new();
        let mut wanted_at = Vec::new();
        for i in 0..400u64 {
            let wall = t0 + i * 20;
            f.audio(&mut r, wall);
            if i % 5 == 0 {
                // Inter frames only until 5.9 s, then a keyframe.
                f.video(&mut r, wall, &vp8_frame(i == 295, 160, 120, 1));
            }
            r.tick(wall).expect("tick");
            for e in events(&mut r) {
                if e == SourceEvent::KeyframeWanted {
                    wanted_at.push(wall - t0);
                }
                all.push(e);
            }
        }
        r.finish(t0 + 8000).expect("finish");
        all.extend(events(&mut r));
        let opened = files(&all);
        assert_eq!(opened.len(), 2, "{opened:?}");
        assert!(!opened[0].1, "the first file is audio-only");
        assert!(opened[1].1);
        // Asked at once, then every 3 s while the file has no video.
        assert_eq!(wanted_at, [0, 3000]);
        let first = parse_blocks(&std::fs::read(&opened[0].0).expect("read"));
        // The audio buffered during the first 3 s is in the file, from its start.
        assert_eq!(first[0].ts_ms, 0);
        assert_eq!(
            first.len(),
            296,
            "audio until the keyframe at 5.9 s, inclusive"
        );
        assert!(first.iter().all(|b| b.track == 1));
        let second = parse_blocks(&std::fs::read(&opened[1].0).expect("read"));
        assert!(second.iter().any(|b| b.track == 2 && b.keyframe));
    }

    #[test]
    fn screen_without_audio_waits_for_a_keyframe() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "screen", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        for i in 0..100u64 {
            f.video(&mut r, 10_000 + i * 100, &vp8_frame(i == 50, 1280, 720, 2));
            r.tick(10_000 + i * 100).expect("tick");
        }
        r.finish(20_000).expect("finish");
        let all = events(&mut r);
        let opened = files(&all);
        assert_eq!(opened.len(), 1);
        let blocks = parse_blocks(&std::fs::read(&opened[0].0).expect("read"));
        assert_eq!(blocks.len(), 50);
        assert_eq!(blocks[0].track, 1);
        assert!(blocks[0].keyframe);
    }

    #[test]
    fn events_are_bounded_dropping_video_frames_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        for i in 0..(MAX_EVENTS as u64 * 3) {
            f.video(&mut r, 5_000 + i * 10, &vp8_frame(i == 0, 64, 64, 3));
            assert!(r.events.len() <= MAX_EVENTS);
        }
        let all = events(&mut r);
        assert_eq!(all.len(), MAX_EVENTS);
        // The file and keyframe events are kept; the oldest video frames were dropped.
        let others: Vec<_> = all
            .iter()
            .filter(|e| !matches!(e, SourceEvent::VideoFrame(_)))
            .collect();
        assert!(matches!(
            others[..],
            [SourceEvent::KeyframeWanted, SourceEvent::FileOpened { .. }]
        ));
        let Some(SourceEvent::VideoFrame(last)) = all.last() else {
            panic!("{:?}", all.last())
        };
        assert!(last.wall_ms >= 5_000 + (MAX_EVENTS as u64 * 3 - 11) * 10);
    }

    #[test]
    fn audio_waiting_for_a_file_is_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", true);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        // A burst: more frames than the bound arrive before the 3 s timeout.
        let n = MAX_PENDING_AUDIO as u64 + 100;
        for i in 0..n {
            f.audio(&mut r, 1_000 + i * 4);
            assert!(r.pending_audio.len() <= MAX_PENDING_AUDIO);
        }
        r.tick(4_000).expect("tick");
        r.finish(4_100).expect("finish");
        let path = dir.path().join("cam-1.webm");
        let blocks = parse_blocks(&std::fs::read(path).expect("read"));
        assert_eq!(blocks.len(), MAX_PENDING_AUDIO, "the oldest were dropped");
    }

    #[test]
    fn keyframe_requests_are_throttled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        f.video(&mut r, 0, &vp8_frame(true, 64, 64, 1));
        // Asked at once: the file has no video yet.
        assert!(events(&mut r).contains(&SourceEvent::KeyframeWanted));
        let mut asked = vec![0];
        for i in 1..300u64 {
            let t = i * 10;
            // Every other frame loses its packet: each loss wants a keyframe.
            if i % 2 == 0 {
                f.video(&mut r, t, &vp8_frame(false, 64, 64, 1));
            } else {
                f.vseq += 1;
            }
            r.tick(t).expect("tick");
            asked.extend(
                events(&mut r)
                    .into_iter()
                    .filter(|e| *e == SourceEvent::KeyframeWanted)
                    .map(|_| t),
            );
        }
        assert!(asked.len() >= 2, "{asked:?}");
        assert!(asked.windows(2).all(|w| w[1] - w[0] >= 1_000), "{asked:?}");
    }

    #[test]
    fn a_failed_open_is_not_retried_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing");
        let mut r = SourceRecorder::new(&missing, "cam", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        f.video(&mut r, 0, &vp8_frame(true, 64, 64, 1));
        assert!(r.tick(100).is_err(), "the directory does not exist");
        std::fs::create_dir(&missing).expect("mkdir");
        f.video(&mut r, 200, &vp8_frame(true, 64, 64, 1));
        assert_eq!(r.current_file(), None, "no retry before OPEN_RETRY_MS");
        f.video(&mut r, 100 + OPEN_RETRY_MS, &vp8_frame(true, 64, 64, 1));
        assert!(r.current_file().is_some());
    }

    #[test]
    fn existing_names_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("cam-1.webm"), b"old").expect("write");
        let mut r = SourceRecorder::new(dir.path(), "cam", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        f.video(&mut r, 1_000, &vp8_frame(true, 64, 64, 3));
        assert_eq!(
            r.current_file(),
            None,
            "the first packets are held a moment"
        );
        r.tick(1_100).expect("tick");
        assert_eq!(
            r.current_file(),
            Some(dir.path().join("cam-2.webm").as_path())
        );
        assert_eq!(
            std::fs::read(dir.path().join("cam-1.webm")).expect("read"),
            b"old"
        );
    }

    #[test]
    fn tick_writes_out_an_old_cluster() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = SourceRecorder::new(dir.path(), "cam", false);
        let mut f = Feeder { vseq: 1, aseq: 1 };
        f.video(&mut r, 1_000, &vp8_frame(true, 64, 64, 3));
        r.tick(1_100).expect("tick");
        let path = r.current_file().expect("open").to_path_buf();
        let header = std::fs::metadata(&path).expect("meta").len();
        r.tick(2_499).expect("tick");
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), header);
        r.tick(2_500).expect("tick");
        let len = std::fs::metadata(&path).expect("meta").len();
        assert!(len > header);
        assert_eq!(parse_blocks(&std::fs::read(&path).expect("read")).len(), 1);
    }
}
