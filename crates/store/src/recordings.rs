//! Recordings of briefings ("ghi hình"): when each started and stopped, the files written, and
//! the state of the archive copy put together afterwards.
//!
//! The files themselves live under the recordings directory, one directory per recording
//! (`dir`, relative to it); the store keeps only their names. A recording still running when
//! the server starts was interrupted by a crash: the server recovers its files and ends it
//! ([`Store::unfinished_recordings`]).

use giaoban_model::{BriefingId, Problem, ProblemCode};
use rusqlite::{OptionalExtension, Row, params};

use crate::direction::{ensure_briefing, unix_ms};
use crate::{Store, StoreError, signing};

/// Keeps download tickets apart from every other signed string.
const TICKET_DOMAIN: &[u8] = b"giaoban recording file v1";

/// The end reason of a recording the server found running when it started.
pub const RECORDING_END_RESTART: &str = "server_restart";

/// What a recording file holds.
pub const RECORDING_FILE_KINDS: &[&str] = &["point", "screen", "stage", "archive"];

/// One recording: from a start to its stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub id: i64,
    pub briefing: BriefingId,
    /// The recording's directory, relative to the recordings directory.
    pub dir: String,
    pub started_at_ms: u64,
    /// The point that started it.
    pub started_by: Option<String>,
    pub ended_at_ms: Option<u64>,
    /// `stopped`, `disk_full`, `briefing_ended`, [`RECORDING_END_RESTART`], ...
    pub end_reason: Option<String>,
    /// `none`, `pending`, `ready` or `failed`.
    pub archive_status: String,
    pub archive_error: Option<String>,
    /// Its files, the earliest first.
    pub files: Vec<RecordingFile>,
}

/// One file of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFile {
    pub id: i64,
    pub recording_id: i64,
    /// One of [`RECORDING_FILE_KINDS`].
    pub kind: String,
    /// The point whose media it holds (`point`, `screen`).
    pub point_name: Option<String>,
    /// The file's name in the recording's directory.
    pub name: String,
    pub started_at_ms: u64,
    pub duration_ms: Option<u64>,
    pub bytes: Option<u64>,
    pub has_video: bool,
    /// `open` while written, then `closed`; `recovered` after a crash; `empty` when nothing
    /// of it could be kept.
    pub status: String,
}

const RECORDING_SELECT: &str =
    "SELECT id, briefing_id, dir, started_at_ms, started_by, ended_at_ms,
     end_reason, archive_status, archive_error FROM recordings";

const FILE_SELECT: &str = "SELECT id, recording_id, kind, point_name, name, started_at_ms,
     duration_ms, bytes, has_video, status FROM recording_files";

fn ms(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(idx)?;
    Ok(u64::try_from(v).unwrap_or(0))
}

fn optional_ms(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    let v: Option<i64> = row.get(idx)?;
    Ok(v.map(|v| u64::try_from(v).unwrap_or(0)))
}

fn recording_row(row: &Row<'_>) -> rusqlite::Result<Recording> {
    Ok(Recording {
        id: row.get(0)?,
        briefing: BriefingId(row.get(1)?),
        dir: row.get(2)?,
        started_at_ms: ms(row, 3)?,
        started_by: row.get(4)?,
        ended_at_ms: optional_ms(row, 5)?,
        end_reason: row.get(6)?,
        archive_status: row.get(7)?,
        archive_error: row.get(8)?,
        files: Vec::new(),
    })
}

fn file_row(row: &Row<'_>) -> rusqlite::Result<RecordingFile> {
    Ok(RecordingFile {
        id: row.get(0)?,
        recording_id: row.get(1)?,
        kind: row.get(2)?,
        point_name: row.get(3)?,
        name: row.get(4)?,
        started_at_ms: ms(row, 5)?,
        duration_ms: optional_ms(row, 6)?,
        bytes: optional_ms(row, 7)?,
        has_video: row.get(8)?,
        status: row.get(9)?,
    })
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Starts a recording of `briefing` at `at_ms`, its files under `dir`, and returns its id.
    ///
    /// [`StoreError::Conflict`] (`recording_already`) while another recording of the briefing
    /// runs; [`StoreError::NotFound`] for an unknown briefing.
    pub fn start_recording(
        &self,
        briefing: &BriefingId,
        started_by: Option<&str>,
        at_ms: u64,
        dir: &str,
    ) -> Result<i64, StoreError> {
        let at = unix_ms(at_ms)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let running: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM recordings WHERE briefing_id = ?1 AND ended_at_ms IS NULL)",
            [&briefing.0],
            |row| row.get(0),
        )?;
        if running {
            return Err(StoreError::Conflict(Problem::new(
                ProblemCode::RecordingAlready,
            )));
        }
        tx.execute(
            "INSERT INTO recordings (briefing_id, dir, started_at_ms, started_by)
             VALUES (?1, ?2, ?3, ?4)",
            params![briefing.0, dir, at, started_by],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Ends recording `id` at `at_ms` (never before its start) for `reason`. Idempotent: a
    /// recording that ended keeps its first end. Returns whether this call ended it.
    pub fn end_recording(&self, id: i64, at_ms: u64, reason: &str) -> Result<bool, StoreError> {
        let at = unix_ms(at_ms)?;
        let changed = self.conn().execute(
            "UPDATE recordings SET ended_at_ms = MAX(started_at_ms, ?2), end_reason = ?3
             WHERE id = ?1 AND ended_at_ms IS NULL",
            params![id, at, reason],
        )?;
        Ok(changed > 0)
    }

    /// The recording of `briefing` running now, if any.
    pub fn running_recording(
        &self,
        briefing: &BriefingId,
    ) -> Result<Option<Recording>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("{RECORDING_SELECT} WHERE briefing_id = ?1 AND ended_at_ms IS NULL"),
                [&briefing.0],
                recording_row,
            )
            .optional()?;
        Ok(found)
    }

    /// Registers a file of recording `id` as it opens, and returns the file's id.
    pub fn add_recording_file(
        &self,
        recording: i64,
        kind: &str,
        point_name: Option<&str>,
        name: &str,
        started_at_ms: u64,
        has_video: bool,
    ) -> Result<i64, StoreError> {
        let at = unix_ms(started_at_ms)?;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO recording_files
                 (recording_id, kind, point_name, name, started_at_ms, has_video)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![recording, kind, point_name, name, at, has_video],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Records what a file came to when it closed (`closed`), was recovered (`recovered`) or
    /// held nothing (`empty`).
    pub fn close_recording_file(
        &self,
        file: i64,
        duration_ms: u64,
        bytes: u64,
        status: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE recording_files SET duration_ms = ?2, bytes = ?3, status = ?4 WHERE id = ?1",
            params![file, clamp_i64(duration_ms), clamp_i64(bytes), status],
        )?;
        Ok(())
    }

    /// Removes a file's row (the archive copy made again replaces the old one).
    pub fn remove_recording_file(&self, file: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM recording_files WHERE id = ?1", [file])?;
        Ok(())
    }

    /// The archive copy's progress: `pending`, `ready` or `failed` (with `error`).
    pub fn set_archive_status(
        &self,
        recording: i64,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE recordings SET archive_status = ?2, archive_error = ?3 WHERE id = ?1",
            params![recording, status, error],
        )?;
        Ok(())
    }

    /// Every recording of `briefing` with its files, the newest first.
    pub fn recordings(&self, briefing: &BriefingId) -> Result<Vec<Recording>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let list = {
            let mut stmt = tx.prepare_cached(&format!(
                "{RECORDING_SELECT} WHERE briefing_id = ?1 ORDER BY started_at_ms DESC, id DESC"
            ))?;
            let rows = stmt.query_map([&briefing.0], recording_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let list = with_files(&tx, list)?;
        tx.commit()?;
        Ok(list)
    }

    /// Recording `id` of `briefing` with its files; `None` when the briefing has no such
    /// recording.
    pub fn recording(
        &self,
        briefing: &BriefingId,
        id: i64,
    ) -> Result<Option<Recording>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("{RECORDING_SELECT} WHERE id = ?1 AND briefing_id = ?2"),
                params![id, briefing.0],
                recording_row,
            )
            .optional()?;
        Ok(with_files(&conn, found.into_iter().collect())?.pop())
    }

    /// A download ticket for recording file `file`, valid until `expires_unix` (seconds): the
    /// file's address for a `<video>` element, which sends no bearer token.
    pub fn recording_ticket(&self, file: i64, expires_unix: u64) -> String {
        signing::seal(
            &self.secret,
            TICKET_DOMAIN,
            format!("{file}|{expires_unix}").as_bytes(),
        )
    }

    /// The recording and file a ticket of [`Store::recording_ticket`] opens at `now_unix`;
    /// `None` for a forged, malformed or expired ticket, or a file deleted since.
    pub fn open_recording_ticket(
        &self,
        ticket: &str,
        now_unix: u64,
    ) -> Result<Option<(Recording, RecordingFile)>, StoreError> {
        let Ok(payload) = signing::unseal(&self.secret, TICKET_DOMAIN, ticket) else {
            return Ok(None);
        };
        let Some((file, expires)) = std::str::from_utf8(&payload)
            .ok()
            .and_then(|p| p.split_once('|'))
            .and_then(|(f, e)| Some((f.parse::<i64>().ok()?, e.parse::<u64>().ok()?)))
        else {
            return Ok(None);
        };
        if now_unix >= expires {
            return Ok(None);
        }
        let recording: Option<i64> = self
            .conn()
            .query_row(
                "SELECT recording_id FROM recording_files WHERE id = ?1",
                [file],
                |row| row.get(0),
            )
            .optional()?;
        let Some(recording) = recording
            .map(|r| self.recording_by_id(r))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        let found = recording.files.iter().find(|f| f.id == file).cloned();
        Ok(found.map(|f| (recording, f)))
    }

    /// Recording `id`, whichever briefing it belongs to (for the server's own jobs).
    pub fn recording_by_id(&self, id: i64) -> Result<Option<Recording>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("{RECORDING_SELECT} WHERE id = ?1"),
                [id],
                recording_row,
            )
            .optional()?;
        Ok(with_files(&conn, found.into_iter().collect())?.pop())
    }

    /// Recordings a restart must finish: still running (a crash interrupted them), or whose
    /// archive copy was being made.
    pub fn unfinished_recordings(&self) -> Result<Vec<Recording>, StoreError> {
        let conn = self.conn();
        let list = {
            let mut stmt = conn.prepare(&format!(
                "{RECORDING_SELECT} WHERE ended_at_ms IS NULL OR archive_status = 'pending'
                 ORDER BY id"
            ))?;
            let rows = stmt.query_map([], recording_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        with_files(&conn, list)
    }

    /// Recordings that ended before `before_ms`, for the retention cleanup.
    pub fn recordings_ended_before(&self, before_ms: u64) -> Result<Vec<Recording>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{RECORDING_SELECT} WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([clamp_i64(before_ms)], recording_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Deletes recording `id` and its files' rows (the caller deletes the files first).
    pub fn delete_recording(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM recordings WHERE id = ?1", [id])?;
        Ok(())
    }
}

fn with_files(
    conn: &rusqlite::Connection,
    mut list: Vec<Recording>,
) -> Result<Vec<Recording>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{FILE_SELECT} WHERE recording_id = ?1 ORDER BY started_at_ms, id"
    ))?;
    for recording in &mut list {
        let rows = stmt.query_map([recording.id], file_row)?;
        recording.files = rows.collect::<Result<_, _>>()?;
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{briefing_with, temp_store};

    const T0: u64 = 1_796_000_000_000;

    #[test]
    fn one_recording_runs_at_a_time_and_ends_once() {
        let (_dir, store) = temp_store();
        let (b, _) = briefing_with(&store, &["UBND xã Hưng Nguyên"]);
        let id = store
            .start_recording(&b.id, Some("Sở KH&CN"), T0, "r1")
            .unwrap();
        let again = store.start_recording(&b.id, None, T0 + 1, "r2");
        match again {
            Err(StoreError::Conflict(p)) => assert_eq!(p.code(), ProblemCode::RecordingAlready),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(store.running_recording(&b.id).unwrap().unwrap().id, id);
        assert!(store.end_recording(id, T0 + 60_000, "stopped").unwrap());
        assert!(!store.end_recording(id, T0 + 90_000, "disk_full").unwrap());
        assert!(store.running_recording(&b.id).unwrap().is_none());
        let list = store.recordings(&b.id).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].ended_at_ms, Some(T0 + 60_000));
        assert_eq!(list[0].end_reason.as_deref(), Some("stopped"));
        // A new one may start after the stop; the newest is listed first.
        let second = store
            .start_recording(&b.id, None, T0 + 120_000, "r2")
            .unwrap();
        let list = store.recordings(&b.id).unwrap();
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [second, id]);
    }

    #[test]
    fn files_are_listed_with_their_recording_and_only_there() {
        let (_dir, store) = temp_store();
        let (b, _) = briefing_with(&store, &["UBND xã Hưng Nguyên"]);
        let (other, _) = briefing_with(&store, &["UBND xã Nam Đàn"]);
        let id = store.start_recording(&b.id, None, T0, "r1").unwrap();
        let f = store
            .add_recording_file(
                id,
                "point",
                Some("UBND xã Hưng Nguyên"),
                "p-1.webm",
                T0 + 5,
                true,
            )
            .unwrap();
        store
            .close_recording_file(f, 12_000, 345_678, "closed")
            .unwrap();
        let found = store.recording(&b.id, id).unwrap().unwrap();
        assert_eq!(found.files.len(), 1);
        assert_eq!(found.files[0].duration_ms, Some(12_000));
        assert_eq!(found.files[0].bytes, Some(345_678));
        assert_eq!(found.files[0].status, "closed");
        assert!(
            store.recording(&other.id, id).unwrap().is_none(),
            "another briefing's"
        );
        let bad_kind = store.add_recording_file(id, "../x", None, "x.webm", T0, true);
        assert!(bad_kind.is_err(), "the kind is checked");
    }

    #[test]
    fn a_restart_finds_what_was_running_and_the_archives_being_made() {
        let (_dir, store) = temp_store();
        let (b, _) = briefing_with(&store, &["UBND xã Hưng Nguyên"]);
        let (c, _) = briefing_with(&store, &["UBND xã Nam Đàn"]);
        let running = store.start_recording(&b.id, None, T0, "r1").unwrap();
        let done = store.start_recording(&c.id, None, T0, "r2").unwrap();
        store.end_recording(done, T0 + 1000, "stopped").unwrap();
        let unfinished: Vec<i64> = store
            .unfinished_recordings()
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(unfinished, [running]);
        store.set_archive_status(done, "pending", None).unwrap();
        let unfinished: Vec<i64> = store
            .unfinished_recordings()
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(unfinished, [running, done]);
        let old: Vec<i64> = store
            .recordings_ended_before(T0 + 2000)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(old, [done]);
        store.delete_recording(done).unwrap();
        assert!(store.recordings(&c.id).unwrap().is_empty());
    }

    #[test]
    fn tickets_open_their_file_until_they_expire_and_cannot_be_forged() {
        let (_dir, store) = temp_store();
        let (b, _) = briefing_with(&store, &["UBND xã Hưng Nguyên"]);
        let id = store.start_recording(&b.id, None, T0, "r1").unwrap();
        let f = store
            .add_recording_file(id, "stage", None, "stage.webm", T0, true)
            .unwrap();
        let ticket = store.recording_ticket(f, 1_000);
        let (rec, file) = store.open_recording_ticket(&ticket, 999).unwrap().unwrap();
        assert_eq!((rec.id, file.id), (id, f));
        assert!(
            store
                .open_recording_ticket(&ticket, 1_000)
                .unwrap()
                .is_none(),
            "expired"
        );
        let other = store.recording_ticket(f + 1, 1_000);
        assert!(
            store.open_recording_ticket(&other, 1).unwrap().is_none(),
            "no such file"
        );
        let mut forged = ticket.clone();
        forged.replace_range(0..1, if ticket.starts_with('A') { "B" } else { "A" });
        assert!(store.open_recording_ticket(&forged, 1).unwrap().is_none());
        assert!(store.open_recording_ticket("garbage", 1).unwrap().is_none());
        store.delete_recording(id).unwrap();
        assert!(
            store.open_recording_ticket(&ticket, 1).unwrap().is_none(),
            "deleted"
        );
    }
}
