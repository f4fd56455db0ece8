//! The archive copy ("bản ghi phiên họp") of a stopped recording, made one at a time on a
//! thread of its own: the stage's video, what the room heard, a chapter per floor grant.
//!
//! What the room heard: the host and every point that held the floor during the recording.
//! Their files hold only what was forwarded (a point without the right to speak is not
//! recorded), so each is mixed in whole.

use std::collections::HashSet;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use giaoban_model::Role;
use giaoban_recording::archive::{self as job, ArchiveJob, AudioInput, Chapter, VideoInput};
use giaoban_store::{Recording, Store, StoreError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::{info, warn};

use super::{RecordingConfig, safe_join};

/// The archive copy's file name in its recording's directory.
pub const ARCHIVE_FILE: &str = "archive.webm";
/// Longest error kept for the host to read.
const MAX_ERROR_CHARS: usize = 500;
/// Most audio files mixed into one archive copy.
const MAX_AUDIO_INPUTS: usize = 64;

/// Makes the archive copy of each recording id received, until the sender is gone.
pub fn run_queue(config: &RecordingConfig, store: &Store, queue: Receiver<i64>) {
    for id in queue {
        if let Err(e) = make(config, store, id) {
            warn!(recording = id, "archive copy: {e}");
        }
    }
}

fn make(config: &RecordingConfig, store: &Store, id: i64) -> Result<(), StoreError> {
    let Some(recording) = store.recording_by_id(id)? else {
        return Ok(());
    };
    let Some(end) = recording.ended_at_ms else {
        return Ok(());
    };
    store.set_archive_status(id, "pending", None)?;
    let Some(out) = safe_join(&config.dir, &recording.dir, ARCHIVE_FILE) else {
        store.set_archive_status(id, "failed", Some("bad recording directory"))?;
        return Ok(());
    };
    for old in recording.files.iter().filter(|f| f.kind == "archive") {
        store.remove_recording_file(old.id)?;
    }
    let mut job = ArchiveJob::new(recording.started_at_ms, end, out);
    job.ffmpeg.clone_from(&config.ffmpeg);
    job.timeout = Duration::from_secs(600).max(Duration::from_millis(
        end.saturating_sub(recording.started_at_ms) * 2,
    ));
    let (heard, chapters) = floor_during(store, &recording)?;
    job.chapters = chapters;
    for file in &recording.files {
        let Some(path) = safe_join(&config.dir, &recording.dir, &file.name) else {
            continue;
        };
        let usable = matches!(file.status.as_str(), "closed" | "recovered");
        match file.kind.as_str() {
            "stage" if usable && job.stage_video.is_none() => {
                job.stage_video = Some(VideoInput {
                    path,
                    started_unix_ms: file.started_at_ms,
                });
            }
            "point"
                if usable
                    && job.audio.len() < MAX_AUDIO_INPUTS
                    && file.point_name.as_ref().is_some_and(|n| heard.contains(n)) =>
            {
                job.audio.push(AudioInput {
                    path,
                    started_unix_ms: file.started_at_ms,
                    heard: None,
                });
            }
            _ => {}
        }
    }
    match job::run(&job) {
        Ok(summary) => {
            let file = store.add_recording_file(
                id,
                "archive",
                None,
                ARCHIVE_FILE,
                recording.started_at_ms,
                summary.video,
            )?;
            store.close_recording_file(file, summary.duration_ms, summary.bytes, "closed")?;
            store.set_archive_status(id, "ready", None)?;
            info!(
                recording = id,
                duration_ms = summary.duration_ms,
                bytes = summary.bytes,
                chapters = summary.chapters,
                audio = summary.audio_inputs,
                "archive copy made"
            );
        }
        Err(e) => {
            let text: String = e.to_string().chars().take(MAX_ERROR_CHARS).collect();
            warn!(recording = id, "archive copy failed: {text}");
            store.set_archive_status(id, "failed", Some(&text))?;
        }
    }
    Ok(())
}

/// The names heard during `recording` (the host and the floor's holders) and a chapter per
/// floor grant in it.
pub fn floor_during(
    store: &Store,
    recording: &Recording,
) -> Result<(HashSet<String>, Vec<Chapter>), StoreError> {
    let start = recording.started_at_ms;
    let end = recording.ended_at_ms.unwrap_or(u64::MAX);
    let mut heard: HashSet<String> = store
        .points(&recording.briefing)?
        .into_iter()
        .filter(|p| p.role == Role::Host)
        .map(|p| p.name)
        .collect();
    let mut chapters = Vec::new();
    for grant in store.floor_log(&recording.briefing)? {
        let Some(granted) = parse_ms(&grant.granted_at) else {
            continue;
        };
        let ended = grant.ended_at.as_deref().and_then(parse_ms);
        if granted >= end || ended.is_some_and(|e| e <= start) {
            continue;
        }
        heard.insert(grant.point_name.clone());
        chapters.push(Chapter {
            start_unix_ms: granted.max(start),
            end_unix_ms: ended.map(|e| e.min(end)),
            title: grant.point_name,
        });
    }
    Ok((heard, chapters))
}

/// An RFC 3339 time as Unix milliseconds.
pub fn parse_ms(text: &str) -> Option<u64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}
