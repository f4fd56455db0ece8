//! Recording a briefing ("ghi hình").
//!
//! While the host records, the media threads hand every point's packets to the recording
//! thread ([`crate::media_io::record_tap`]); it writes them as they arrive, without
//! re-encoding, one WebM per point and stretch of video, and the stage's video as the archive
//! copy's picture ([`worker`]). When the recording stops, the archive copy — that picture with
//! what the room heard, and a chapter per floor grant — is put together by `ffmpeg` on a
//! thread of its own ([`archive`]). A recording the server found running when it started was
//! cut by a crash: its files are recovered up to their last whole cluster and it is listed as
//! interrupted ([`Recordings::recover`]).
//!
//! Files live under the recordings directory, one directory per recording named after the
//! briefing and the start; the store keeps their names, never a path from a request.

mod archive;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use giaoban_model::{BriefingId, Role, ServerMsg};
use giaoban_store::{RECORDING_END_RESTART, Recording, RecordingFile, Store, StoreError};
use tokio::sync::mpsc as tokio_mpsc;
use tracing::{info, warn};

use crate::clock::unix_ms;
use crate::live::direction::Direction;
use crate::live::registry::Registry;
use crate::media_io::media_loop::MediaHandle;

pub use crate::disk::free_mb;
pub use archive::parse_ms;

/// Default of `--recording-min-free-mb`.
pub const DEFAULT_MIN_FREE_MB: u64 = 2048;
/// Default of `--recording-retention-days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// How often the retention cleanup runs.
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);

/// How recording is set up (`giaoban serve` options).
#[derive(Debug, Clone)]
pub struct RecordingConfig {
    pub dir: PathBuf,
    pub min_free_mb: u64,
    /// 0: keep recordings until deleted by hand.
    pub retention_days: u32,
    pub ffmpeg: PathBuf,
}

/// Why a recording could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("only {free_mb} MB of disk are free; recording needs at least {min_mb} MB")]
    DiskLow { free_mb: u64, min_mb: u64 },
    #[error("the briefing is not being recorded")]
    NotRunning,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("recordings directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A recording that stopped on its own (the disk filled up): the briefing's state must say so.
#[derive(Debug, Clone)]
pub struct StoppedByServer {
    pub briefing: BriefingId,
    pub reason: &'static str,
}

/// What the recording thread is told.
enum Control {
    Start {
        recording: i64,
        briefing: BriefingId,
        dir: PathBuf,
        started_ms: u64,
    },
    Stop {
        briefing: BriefingId,
    },
}

/// The recordings of every briefing: starts, stops, the files and the archive copies.
pub struct Recordings {
    config: RecordingConfig,
    store: Arc<Store>,
    control: Mutex<mpsc::Sender<Control>>,
    archives: Mutex<mpsc::Sender<i64>>,
}

impl Recordings {
    /// Starts the recording and archive threads. Recordings a crash left running are
    /// recovered first ([`Recordings::recover`]); `stopped` hears of recordings the server
    /// stops on its own.
    pub fn start(
        config: RecordingConfig,
        store: Arc<Store>,
        media: &MediaHandle,
        stopped: tokio_mpsc::UnboundedSender<StoppedByServer>,
    ) -> anyhow::Result<Arc<Recordings>> {
        std::fs::create_dir_all(&config.dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the recordings directory {}: {e}",
                config.dir.display()
            )
        })?;
        let pending = recover(&store, &config.dir)?;
        let (control_tx, control_rx) = mpsc::channel();
        let (archive_tx, archive_rx) = mpsc::channel();
        let inputs = media
            .recording
            .open()
            .ok_or_else(|| anyhow::anyhow!("the recording thread is already running"))?;
        let this = Arc::new(Recordings {
            config: config.clone(),
            store: store.clone(),
            control: Mutex::new(control_tx),
            archives: Mutex::new(archive_tx.clone()),
        });
        let worker = worker::Worker::new(
            config.clone(),
            store.clone(),
            media.clone(),
            archive_tx,
            stopped,
        );
        std::thread::Builder::new()
            .name("gb-record".into())
            .spawn(move || worker.run(inputs, control_rx))?;
        let archive_store = store.clone();
        let archive_config = config.clone();
        std::thread::Builder::new()
            .name("gb-archive".into())
            .spawn(move || archive::run_queue(&archive_config, &archive_store, archive_rx))?;
        for id in pending {
            this.queue_archive(id);
        }
        if config.retention_days > 0 {
            let recordings = this.clone();
            tokio::spawn(async move {
                loop {
                    let c = recordings.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        cleanup(&c.store, &c.config.dir, c.config.retention_days, unix_ms())
                    })
                    .await;
                    tokio::time::sleep(CLEANUP_EVERY).await;
                }
            });
        }
        info!(dir = %config.dir.display(), min_free_mb = config.min_free_mb,
              retention_days = config.retention_days, "recording available");
        Ok(this)
    }

    /// Starts recording `briefing` (the caller then turns the briefing's state on). Refused
    /// when the free disk space is under the floor or a recording runs.
    pub fn begin(
        &self,
        briefing: &BriefingId,
        started_by: Option<&str>,
    ) -> Result<Recording, RecordingError> {
        let free = free_mb(&self.config.dir)?;
        if free < self.config.min_free_mb {
            return Err(RecordingError::DiskLow {
                free_mb: free,
                min_mb: self.config.min_free_mb,
            });
        }
        let now = unix_ms();
        let name = dir_name(briefing, now);
        let id = self
            .store
            .start_recording(briefing, started_by, now, &name)?;
        let dir = self.config.dir.join(&name);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            let _ = self.store.end_recording(id, now, "failed");
            return Err(e.into());
        }
        self.send(Control::Start {
            recording: id,
            briefing: briefing.clone(),
            dir,
            started_ms: now,
        });
        info!(%briefing, recording = id, "recording started");
        self.store
            .recording(briefing, id)?
            .ok_or(RecordingError::NotRunning)
    }

    /// Stops the recording of `briefing` running now, for `reason`; its files close and the
    /// archive copy is made afterwards.
    pub fn end(&self, briefing: &BriefingId, reason: &str) -> Result<Recording, RecordingError> {
        let running = self
            .store
            .running_recording(briefing)?
            .ok_or(RecordingError::NotRunning)?;
        self.store.end_recording(running.id, unix_ms(), reason)?;
        self.send(Control::Stop {
            briefing: briefing.clone(),
        });
        info!(%briefing, recording = running.id, reason, "recording stopped");
        self.store
            .recording(briefing, running.id)?
            .ok_or(RecordingError::NotRunning)
    }

    /// The path of `file` of `recording`, checked to lie inside the recordings directory.
    pub fn path_of(&self, recording: &Recording, file: &RecordingFile) -> Option<PathBuf> {
        safe_join(&self.config.dir, &recording.dir, &file.name)
    }

    fn send(&self, control: Control) {
        let tx = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        if tx.send(control).is_err() {
            warn!("the recording thread is gone");
        }
    }

    fn queue_archive(&self, recording: i64) {
        let tx = self.archives.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = tx.send(recording);
    }
}

/// Turns the state of a briefing whose recording the server stopped on its own (the disk
/// filled up) to not recording, and tells its host why.
pub fn tell_stops(
    mut stopped: tokio_mpsc::UnboundedReceiver<StoppedByServer>,
    direction: Arc<Direction>,
    registry: Arc<Registry>,
) {
    tokio::spawn(async move {
        while let Some(stop) = stopped.recv().await {
            let told = direction
                .act(&stop.briefing, |core, _| {
                    core.set_recording(None);
                    Ok(())
                })
                .await;
            if let Err(e) = told {
                warn!(briefing = %stop.briefing, "cannot turn the recording state off: {e:?}");
            }
            let code = format!("recording_stopped_{}", stop.reason);
            registry.send_to_role(&stop.briefing, Role::Host, &ServerMsg::Notice { code });
        }
    });
}

/// Deletes the recordings under `root` that ended more than `retention_days` before `now_ms`,
/// files first; returns how many went.
fn cleanup(store: &Store, root: &Path, retention_days: u32, now_ms: u64) -> usize {
    let keep_ms = u64::from(retention_days) * 86_400_000;
    let old = match store.recordings_ended_before(now_ms.saturating_sub(keep_ms)) {
        Ok(old) => old,
        Err(e) => {
            warn!("recording cleanup: {e}");
            return 0;
        }
    };
    let mut deleted = 0;
    for recording in old {
        let Some(dir) = safe_join(root, &recording.dir, "") else {
            continue;
        };
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!(dir = %dir.display(), "recording cleanup: {e}");
                continue;
            }
        }
        match store.delete_recording(recording.id) {
            Ok(()) => {
                deleted += 1;
                info!(recording = recording.id, briefing = %recording.briefing,
                      "recording past its retention deleted");
            }
            Err(e) => warn!("recording cleanup: {e}"),
        }
    }
    deleted
}

/// The directory name of a recording of `briefing` started at `now_ms`.
fn dir_name(briefing: &BriefingId, now_ms: u64) -> String {
    let safe: String = briefing
        .0
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!("{safe}-{now_ms}")
}

/// `root/dir/name`, or `None` when `dir` or `name` is not one plain path component (or empty
/// `name`: the directory itself).
fn safe_join(root: &Path, dir: &str, name: &str) -> Option<PathBuf> {
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']);
    if !plain(dir) || !(name.is_empty() || plain(name)) {
        return None;
    }
    let mut path = root.join(dir);
    if !name.is_empty() {
        path.push(name);
    }
    Some(path)
}

/// Finishes what a crash left: recordings still running are ended as interrupted, their open
/// files recovered up to their last whole cluster. Returns the recordings whose archive copy
/// is to be made.
fn recover(store: &Store, root: &Path) -> anyhow::Result<Vec<i64>> {
    let mut pending = Vec::new();
    for recording in store.unfinished_recordings()? {
        if recording.ended_at_ms.is_none() {
            let mut end = recording.started_at_ms;
            for file in recording.files.iter().filter(|f| f.status == "open") {
                let Some(path) = safe_join(root, &recording.dir, &file.name) else {
                    continue;
                };
                match giaoban_recording::recover::recover(&path) {
                    Ok(kept) => {
                        end = end.max(file.started_at_ms + kept.duration_ms);
                        store.close_recording_file(
                            file.id,
                            kept.duration_ms,
                            kept.bytes_kept,
                            "recovered",
                        )?;
                        info!(file = %path.display(), duration_ms = kept.duration_ms,
                              cut = kept.bytes_cut, "recording file recovered");
                    }
                    Err(e) => {
                        warn!(file = %path.display(), "recording file not recoverable: {e}");
                        store.close_recording_file(file.id, 0, 0, "empty")?;
                    }
                }
            }
            for file in recording.files.iter().filter(|f| f.status != "open") {
                end = end.max(file.started_at_ms + file.duration_ms.unwrap_or(0));
            }
            store.end_recording(recording.id, end, RECORDING_END_RESTART)?;
            store.set_archive_status(recording.id, "pending", None)?;
            info!(recording = recording.id, briefing = %recording.briefing,
                  "recording interrupted by the previous run: its files are closed");
        }
        pending.push(recording.id);
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_requests_never_leave_the_recordings_directory() {
        let root = Path::new("/srv/rec");
        assert_eq!(
            safe_join(root, "b-1", "point-3-1.webm"),
            Some(PathBuf::from("/srv/rec/b-1/point-3-1.webm"))
        );
        for (dir, name) in [
            ("..", "x"),
            ("b-1", ".."),
            ("b-1", "../../etc/passwd"),
            ("b-1/../..", "x"),
            ("", "x"),
            ("b-1", "a\\b"),
            ("b-1", "a\0b"),
        ] {
            assert_eq!(safe_join(root, dir, name), None, "{dir:?} {name:?}");
        }
        assert_eq!(dir_name(&BriefingId("a/../b".into()), 5), "a____b-5");
    }

    #[test]
    fn recordings_past_their_retention_are_deleted_with_their_files() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let briefing = store
            .create_briefing(&giaoban_store::NewBriefing {
                title: "Giao ban tháng 12".into(),
                host: "Sở Khoa học và Công nghệ".into(),
                points: vec!["UBND xã Hưng Nguyên".into()],
                ..Default::default()
            })
            .unwrap()
            .id;
        let root = data.path().join("recordings");
        const DAY: u64 = 86_400_000;
        let t0 = 1_796_000_000_000;
        let mut ids = Vec::new();
        for (n, ended) in [(1, t0), (2, t0 + 20 * DAY)] {
            let dir = format!("r{n}");
            std::fs::create_dir_all(root.join(&dir)).unwrap();
            std::fs::write(root.join(&dir).join("point-1-1.webm"), b"webm").unwrap();
            let id = store
                .start_recording(&briefing, None, ended - 1000, &dir)
                .unwrap();
            store.end_recording(id, ended, "stopped").unwrap();
            ids.push(id);
        }
        // 30 days after the first ended, 10 after the second: a 15-day retention takes one.
        assert_eq!(cleanup(&store, &root, 15, t0 + 30 * DAY), 1);
        assert!(!root.join("r1").exists(), "its files are gone");
        assert!(
            root.join("r2/point-1-1.webm").exists(),
            "the recent one stays"
        );
        let left: Vec<i64> = store
            .recordings(&briefing)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, [ids[1]]);
        // A recording still running is never deleted.
        let running = store.start_recording(&briefing, None, t0, "r3").unwrap();
        assert_eq!(cleanup(&store, &root, 1, t0 + 400 * DAY), 1);
        let left: Vec<i64> = store
            .recordings(&briefing)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, [running]);
    }
}
