//! The archive copy's video track: one video-only WebM file following the stage from source
//! to source.
//!
//! Frames come from the [`crate::source::SourceRecorder`]s' [`VideoFrame`] events. A frame is
//! written only if it comes from the current source and the track has started on a keyframe
//! from that source since the last switch. Timestamps are `wall_ms - started`, strictly
//! increasing. The file declares the first keyframe's size; later keyframes of another size
//! carry their own (VP8 decoders follow them).
//!
//! The file is created when the first frame is written: if none ever is, [`StageRecorder::finish`]
//! leaves no file at all.
//!
//! After a write error the file is left as it is (whole clusters: [`crate::recover::recover`]
//! closes it) and nothing more is written; [`StageRecorder::finish`] then reports the error.

use std::io;
use std::path::PathBuf;

use crate::source::{VideoFrame, WebmFile};
use crate::webm::TrackSpec;

/// While waiting for a keyframe from a new source, [`StageRecorder::tick`] asks again this
/// often (ms).
pub const STAGE_KEYFRAME_RETRY_MS: u64 = 3_000;

/// What a finished stage file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFinished {
    /// Its path.
    pub path: PathBuf,
    /// Its duration (ms).
    pub duration_ms: u64,
    /// Its length in bytes.
    pub bytes: u64,
}

/// The stage's video into one file; see the module documentation.
#[derive(Debug)]
pub struct StageRecorder {
    path: PathBuf,
    started: u64,
    source: Option<String>,
    on_keyframe: bool,
    asked_at: Option<u64>,
    file: Option<WebmFile>,
    last_ts: Option<u64>,
    /// A write failed: the file was left for `recover`.
    failed: bool,
}

impl StageRecorder {
    /// A recorder for `path` (created at the first frame; it must not exist), whose timestamp 0
    /// is `started_unix_ms`.
    pub fn new(path: impl Into<PathBuf>, started_unix_ms: u64) -> StageRecorder {
        StageRecorder {
            path: path.into(),
            started: started_unix_ms,
            source: None,
            on_keyframe: false,
            asked_at: None,
            file: None,
            last_ts: None,
            failed: false,
        }
    }

    /// The source on stage now.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Puts `source` on stage (None: nobody). Returns true when the caller should ask the new
    /// source for a keyframe (frames from it are written from its next keyframe on).
    pub fn set_source(&mut self, source: Option<String>) -> bool {
        if source == self.source {
            return false;
        }
        self.source = source;
        self.on_keyframe = false;
        self.asked_at = None;
        self.source.is_some()
    }

    /// Whether the track waits for a keyframe from the current source.
    pub fn waiting_for_keyframe(&self) -> bool {
        self.source.is_some() && !self.on_keyframe
    }

    /// Takes a frame from `source`; written only if `source` is on stage and the track has
    /// started on one of its keyframes since the switch.
    pub fn push(&mut self, source: &str, frame: &VideoFrame) -> io::Result<()> {
        if self.failed || self.source.as_deref() != Some(source) {
            return Ok(());
        }
        if !self.on_keyframe {
            if !frame.keyframe || frame.width == 0 || frame.height == 0 {
                return Ok(());
            }
            self.on_keyframe = true;
        }
        let mut ts = frame.wall_ms.saturating_sub(self.started);
        if let Some(last) = self.last_ts
            && ts <= last
        {
            ts = last + 1;
        }
        if self.file.is_none() {
            let tracks = [TrackSpec::Vp8 {
                width: frame.width,
                height: frame.height,
            }];
            let file = WebmFile::create(self.path.clone(), &tracks, self.started);
            self.file = Some(self.check(file)?);
        }
        if let Some(file) = &mut self.file {
            let wall = self.started + ts;
            let written = file.push(0, wall, frame.keyframe, &frame.data, frame.wall_ms);
            self.check(written)?;
            self.last_ts = Some(ts);
        }
        Ok(())
    }

    /// Stops writing after an error.
    fn check<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            tracing::warn!(path = %self.path.display(), error = %e, "stage recording stopped after a write error");
            self.failed = true;
            self.file = None;
        }
        r
    }

    /// Lets time pass: writes out an old cluster and syncs. Returns true when the caller should
    /// ask the current source again for a keyframe (every [`STAGE_KEYFRAME_RETRY_MS`] while
    /// waiting for one).
    pub fn tick(&mut self, now_unix_ms: u64) -> io::Result<bool> {
        if let Some(file) = &mut self.file {
            let r = file.tick(now_unix_ms);
            self.check(r)?;
        }
        if !self.waiting_for_keyframe() {
            return Ok(false);
        }
        let asked = *self.asked_at.get_or_insert(now_unix_ms);
        if now_unix_ms.saturating_sub(asked) >= STAGE_KEYFRAME_RETRY_MS {
            self.asked_at = Some(now_unix_ms);
            return Ok(true);
        }
        Ok(false)
    }

    /// Finishes the file. None when no frame was ever written (then there is no file). An
    /// error if a write failed earlier (the file is left for [`crate::recover::recover`]).
    pub fn finish(&mut self, _now_unix_ms: u64) -> io::Result<Option<StageFinished>> {
        if self.failed {
            return Err(io::Error::other(format!(
                "stage recording {} stopped after a write error",
                self.path.display()
            )));
        }
        let Some(file) = self.file.take() else {
            return Ok(None);
        };
        let closed = file.finish()?;
        Ok(Some(StageFinished {
            path: closed.path,
            duration_ms: closed.duration_ms,
            bytes: closed.bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::tests::vp8_frame;
    use crate::webm::{Layout, parse_blocks};

    fn frame(wall_ms: u64, key: bool, w: u16, fill: u8) -> VideoFrame {
        VideoFrame {
            wall_ms,
            keyframe: key,
            width: w,
            height: w / 2,
            data: vp8_frame(key, w, w / 2, fill).into(),
        }
    }

    #[test]
    fn follows_the_stage_from_keyframe_to_keyframe() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stage.webm");
        let mut s = StageRecorder::new(&path, 10_000);
        assert!(s.set_source(Some("a".into())));
        assert!(
            !s.set_source(Some("a".into())),
            "same source: nothing to ask"
        );
        s.push("a", &frame(10_100, false, 320, 1)).expect("push");
        s.push("a", &frame(10_200, true, 320, 2)).expect("push");
        s.push("b", &frame(10_250, true, 640, 3)).expect("push"); // not on stage
        s.push("a", &frame(10_300, false, 320, 4)).expect("push");
        assert!(s.set_source(Some("b".into())));
        s.push("a", &frame(10_400, false, 320, 5)).expect("push"); // left the stage
        s.push("b", &frame(10_450, false, 640, 6)).expect("push"); // not a keyframe yet
        s.push("b", &frame(10_500, true, 640, 7)).expect("push");
        s.push("b", &frame(10_490, false, 640, 8)).expect("push"); // earlier: clamped
        s.push("b", &frame(10_600, false, 640, 9)).expect("push");
        let done = s.finish(11_000).expect("finish").expect("a file");
        assert_eq!(done.path, path);
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes.len() as u64, done.bytes);
        let blocks = parse_blocks(&bytes);
        let fills: Vec<u8> = blocks
            .iter()
            .map(|b| *b.data.last().expect("data"))
            .collect();
        assert_eq!(fills, [2, 4, 7, 8, 9]);
        let ts: Vec<u64> = blocks.iter().map(|b| b.ts_ms).collect();
        assert_eq!(ts, [200, 300, 500, 501, 600]);
        assert_eq!(done.duration_ms, 600);
        let l = Layout::parse(&bytes).expect("layout");
        assert_eq!(l.video_track, Some(1));
        assert_eq!(l.segment_size, Some(bytes.len() as u64 - l.data_start));
    }

    #[test]
    fn a_failed_write_stops_the_stage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("stage.webm");
        let mut s = StageRecorder::new(&path, 0);
        s.set_source(Some("a".into()));
        assert!(s.push("a", &frame(100, true, 320, 1)).is_err());
        assert!(
            s.push("a", &frame(200, true, 320, 1)).is_ok(),
            "nothing more is tried"
        );
        assert!(s.finish(1_000).is_err());
    }

    #[test]
    fn no_frame_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stage.webm");
        let mut s = StageRecorder::new(&path, 0);
        s.set_source(Some("a".into()));
        s.push("a", &frame(100, false, 320, 1)).expect("push");
        assert_eq!(s.finish(1_000).expect("finish"), None);
        assert!(!path.exists());
    }

    #[test]
    fn asks_again_every_three_seconds_while_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = StageRecorder::new(dir.path().join("s.webm"), 0);
        assert!(s.set_source(Some("a".into())));
        let asks: Vec<u64> = (0..100)
            .map(|i| 1_000 + i * 100)
            .filter(|&t| s.tick(t).expect("tick"))
            .collect();
        assert_eq!(asks, [4_000, 7_000, 10_000]);
        s.push("a", &frame(11_000, true, 320, 1)).expect("push");
        assert!(!s.tick(20_000).expect("tick"));
        assert!(!s.set_source(None));
        assert!(!s.tick(30_000).expect("tick"));
    }
}
