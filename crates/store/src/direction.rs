//! What the host's direction of a briefing leaves behind: roll-call answers, the log of who
//! held the floor, and whether the briefing is locked.
//!
//! The live state (hands, spotlight, the floor's countdown) lives in the server; the store keeps
//! only what must survive a restart or goes into the attendance report.

use giaoban_model::{BriefingId, Field, PointId, Problem, ProblemCode};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::schedule::{MAX_UNIX_MS, utc_from_unix_ms};
use crate::text::{check_line, empty, invalid, no_such, valid_note};
use crate::{MAX_NAME_CHARS, Store, StoreError};

/// Longest reason of a roll-call answer, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Longest reason for the end of a floor grant, in characters.
pub const MAX_FLOOR_END_REASON_CHARS: usize = 100;

/// Longest note of what was said during a floor grant, in characters.
pub const MAX_FLOOR_NOTE_CHARS: usize = 4000;

/// A table of spans of time that start and end once, with a reason for the end: floor grants,
/// presentations.
pub(crate) struct Span {
    pub table: &'static str,
    pub start_column: &'static str,
    /// What one row is, for problems: [`Field::FloorGrant`].
    pub what: Field,
    pub max_reason_chars: usize,
}

const FLOOR_GRANTS: Span = Span {
    table: "floor_grants",
    start_column: "granted_at_ms",
    what: Field::FloorGrant,
    max_reason_chars: MAX_FLOOR_END_REASON_CHARS,
};

/// The end reason [`Store::close_open_sessions`] gives floor grants and screen presentations
/// left open by a crash.
pub const FLOOR_END_RESTART: &str = "server_restart";

/// One point's answer to a roll-call ("điểm danh").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCallRecord {
    /// `present`, `substitute` (someone attends instead) or `absent`.
    pub status: String,
    /// Who attends instead; required with `substitute`, refused with the other statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub substitute: Option<String>,
    /// Why, typically for `absent`; allowed with any status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The roll-call statuses, as stored and sent.
pub(crate) const ROLL_CALL_STATUSES: &[&str] = &["present", "substitute", "absent"];

/// One grant of the floor, for the minutes of a briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FloorRecord {
    /// The grant's number, which [`Store::set_floor_note`] takes.
    pub id: i64,
    pub point_name: String,
    /// RFC 3339 in UTC.
    pub granted_at: String,
    /// RFC 3339 in UTC; `None` while the point still holds the floor.
    pub ended_at: Option<String>,
    /// The time limit of the grant in seconds, if it had one.
    pub seconds_limit: Option<u32>,
    /// Why the grant ended, as the server recorded it; `None` while it lasts.
    pub end_reason: Option<String>,
    /// The secretary's note of what the point said; `None` until written.
    pub note: Option<String>,
}

impl Store {
    /// Starts a roll-call of a briefing at `at_ms`: forgets every earlier answer and notes that
    /// a roll-call was held, so that the attendance record tells a point that was connected
    /// but did not answer from one that was present without being asked.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn start_roll_call(&self, briefing: &BriefingId, at_ms: u64) -> Result<(), StoreError> {
        let at = unix_ms(at_ms)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        tx.execute(
            "DELETE FROM roll_call_answers
             WHERE point_id IN (SELECT id FROM points WHERE briefing_id = ?1)",
            [&briefing.0],
        )?;
        tx.execute(
            "UPDATE briefings SET roll_call_started_at_ms = ?2 WHERE id = ?1",
            params![briefing.0, at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a point's roll-call answer, replacing any earlier one.
    ///
    /// Names and reasons are trimmed and blank ones dropped; what is stored is what
    /// [`Store::roll_call`] returns. [`StoreError::Invalid`] for an unknown status, a
    /// `substitute` without the substitute's name, a substitute's name with another status, or
    /// text too long or with control characters; [`StoreError::NotFound`] if the point is not
    /// one of the briefing's.
    pub fn record_roll_call(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        answer: &RollCallRecord,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let answer = validate_answer(answer)?;
        let at = unix_ms(at_ms)?;
        let conn = self.conn();
        let changed = conn.execute(
            "INSERT INTO roll_call_answers (point_id, status, substitute, reason, answered_at_ms)
             SELECT id, ?3, ?4, ?5, ?6 FROM points WHERE id = ?2 AND briefing_id = ?1
             ON CONFLICT (point_id) DO UPDATE SET
                 status = excluded.status,
                 substitute = excluded.substitute,
                 reason = excluded.reason,
                 answered_at_ms = excluded.answered_at_ms",
            params![
                briefing.0,
                point.0,
                answer.status,
                answer.substitute,
                answer.reason,
                at
            ],
        )?;
        if changed == 0 {
            return Err(no_such_point(point));
        }
        Ok(())
    }

    /// The roll-call answers of a briefing, in invitation order (the host first). Points that
    /// have not answered are left out.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn roll_call(
        &self,
        briefing: &BriefingId,
    ) -> Result<Vec<(PointId, RollCallRecord)>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let answers: Vec<_> = {
            let mut stmt = tx.prepare_cached(
                "SELECT p.id, a.status, a.substitute, a.reason
                 FROM roll_call_answers a JOIN points p ON p.id = a.point_id
                 WHERE p.briefing_id = ?1 ORDER BY p.position",
            )?;
            let rows = stmt.query_map([&briefing.0], |row| {
                Ok((PointId(row.get(0)?), roll_call_from_row(row, 1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        tx.commit()?;
        Ok(answers)
    }

    /// Records that `point` was given the floor, with an optional time limit in seconds, and
    /// returns the grant's id for [`Store::record_floor_end`].
    ///
    /// [`StoreError::NotFound`] if the point is not one of the briefing's.
    pub fn record_floor_start(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        at_ms: u64,
        seconds: Option<u32>,
    ) -> Result<i64, StoreError> {
        let at = unix_ms(at_ms)?;
        let conn = self.conn();
        let changed = conn.execute(
            "INSERT INTO floor_grants (point_id, granted_at_ms, seconds_limit)
             SELECT id, ?3, ?4 FROM points WHERE id = ?2 AND briefing_id = ?1",
            params![briefing.0, point.0, at, seconds],
        )?;
        if changed == 0 {
            return Err(no_such_point(point));
        }
        Ok(conn.last_insert_rowid())
    }

    /// Records the end of a floor grant and why (`reason` is the server's word for it, such as
    /// `revoked` or `expired`).
    ///
    /// Idempotent: a grant that already ended keeps its first end. An end before the grant
    /// (clocks are not monotonic across restarts) is recorded as the grant's start.
    /// [`StoreError::NotFound`] for an unknown grant, [`StoreError::Invalid`] for a blank or
    /// overlong reason.
    pub fn record_floor_end(&self, id: i64, at_ms: u64, reason: &str) -> Result<(), StoreError> {
        self.end_span(&FLOOR_GRANTS, id, at_ms, reason)
    }

    /// Ends a logged span (see [`Span`]) once: a later end is ignored, an end before the start
    /// is recorded as the start.
    pub(crate) fn end_span(
        &self,
        span: &Span,
        id: i64,
        at_ms: u64,
        reason: &str,
    ) -> Result<(), StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(empty(Field::Reason));
        }
        check_line(Field::Reason, reason, span.max_reason_chars)?;
        let at = unix_ms(at_ms)?;
        let conn = self.conn();
        let (table, start) = (span.table, span.start_column);
        conn.execute(
            &format!(
                "UPDATE {table} SET ended_at_ms = MAX({start}, ?2), end_reason = ?3
                 WHERE id = ?1 AND ended_at_ms IS NULL"
            ),
            params![id, at, reason],
        )?;
        let exists: bool = conn.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"),
            [id],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(no_such(span.what, id));
        }
        Ok(())
    }

    /// Every grant of the floor in a briefing, the earliest first.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn floor_log(&self, briefing: &BriefingId) -> Result<Vec<FloorRecord>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let log: Vec<_> = {
            let mut stmt = tx.prepare_cached(&format!(
                "{FLOOR_RECORD_SELECT} WHERE p.briefing_id = ?1 ORDER BY f.granted_at_ms, f.id"
            ))?;
            let rows = stmt.query_map([&briefing.0], floor_record)?;
            rows.collect::<Result<_, _>>()?
        };
        tx.commit()?;
        Ok(log)
    }

    /// Writes the secretary's note of what was said during floor grant `id` of a briefing and
    /// returns the grant as stored. The note is trimmed; a blank one clears it. It may span
    /// lines, up to [`MAX_FLOOR_NOTE_CHARS`] characters.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing or a grant of another briefing,
    /// [`StoreError::Invalid`] for an overlong note or one with control characters.
    pub fn set_floor_note(
        &self,
        briefing: &BriefingId,
        id: i64,
        note: &str,
    ) -> Result<FloorRecord, StoreError> {
        let note = valid_note(Field::Note, note, MAX_FLOOR_NOTE_CHARS)?;
        let note = (!note.is_empty()).then_some(note);
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        let changed = tx.execute(
            "UPDATE floor_grants SET note = ?3
             WHERE id = ?2 AND point_id IN (SELECT id FROM points WHERE briefing_id = ?1)",
            params![briefing.0, id, note],
        )?;
        if changed == 0 {
            return Err(no_such(Field::FloorGrant, id));
        }
        let record = tx.query_row(
            &format!("{FLOOR_RECORD_SELECT} WHERE f.id = ?1"),
            [id],
            floor_record,
        )?;
        tx.commit()?;
        Ok(record)
    }

    /// Locks a briefing (no new joins) or unlocks it. The lock lasts across restarts.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn set_locked(&self, briefing: &BriefingId, locked: bool) -> Result<(), StoreError> {
        let changed = self.conn().execute(
            "UPDATE briefings SET locked = ?2 WHERE id = ?1",
            params![briefing.0, locked],
        )?;
        if changed == 0 {
            return Err(no_such_briefing(briefing));
        }
        Ok(())
    }

    /// Whether a briefing is locked. [`StoreError::NotFound`] for an unknown briefing.
    pub fn is_locked(&self, briefing: &BriefingId) -> Result<bool, StoreError> {
        self.conn()
            .query_row(
                "SELECT locked FROM briefings WHERE id = ?1",
                [&briefing.0],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| no_such_briefing(briefing))
    }
}

/// The columns of a [`FloorRecord`], for [`floor_record`]; a `WHERE` follows.
const FLOOR_RECORD_SELECT: &str =
    "SELECT f.id, p.name, f.granted_at_ms, f.ended_at_ms, f.seconds_limit, f.end_reason, f.note
     FROM floor_grants f JOIN points p ON p.id = f.point_id";

fn floor_record(row: &Row<'_>) -> rusqlite::Result<FloorRecord> {
    Ok(FloorRecord {
        id: row.get(0)?,
        point_name: row.get(1)?,
        granted_at: timestamp(row, 2)?,
        ended_at: optional_timestamp(row, 3)?,
        seconds_limit: row.get(4)?,
        end_reason: row.get(5)?,
        note: row.get(6)?,
    })
}

/// `answer` trimmed, with blank texts dropped, if it is acceptable.
fn validate_answer(answer: &RollCallRecord) -> Result<RollCallRecord, StoreError> {
    let status = answer.status.trim();
    if !ROLL_CALL_STATUSES.contains(&status) {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::BadChoice)
                .at(Field::Status)
                .with("value", answer.status.as_str())
                .with("choices", ROLL_CALL_STATUSES.join(", ")),
        ));
    }
    let non_blank = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let substitute = non_blank(&answer.substitute);
    let reason = non_blank(&answer.reason);
    match (status, &substitute) {
        ("substitute", None) => {
            return Err(invalid(ProblemCode::SubstituteName, Field::Substitute));
        }
        ("present" | "absent", Some(_)) => {
            return Err(invalid(ProblemCode::SubstituteOnly, Field::Substitute));
        }
        _ => {}
    }
    if let Some(name) = &substitute {
        check_line(Field::Substitute, name, MAX_NAME_CHARS)?;
    }
    if let Some(reason) = &reason {
        check_line(Field::Reason, reason, MAX_REASON_CHARS)?;
    }
    Ok(RollCallRecord {
        status: status.to_owned(),
        substitute,
        reason,
    })
}

/// Reads `status, substitute, reason` starting at column `first`.
pub(crate) fn roll_call_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<RollCallRecord> {
    Ok(RollCallRecord {
        status: row.get(first)?,
        substitute: row.get(first + 1)?,
        reason: row.get(first + 2)?,
    })
}

/// `at_ms` as stored, if RFC 3339 can express it.
pub(crate) fn unix_ms(at_ms: u64) -> Result<i64, StoreError> {
    if at_ms > MAX_UNIX_MS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::OutOfRange)
                .at(Field::Time)
                .with("value", at_ms)
                .with("min", 0)
                .with("max", MAX_UNIX_MS),
        ));
    }
    Ok(i64::try_from(at_ms).expect("MAX_UNIX_MS fits in an i64"))
}

/// Reads a stored time in Unix milliseconds, checking that it can be shown as RFC 3339.
pub(crate) fn stored_ms(row: &Row<'_>, idx: usize) -> rusqlite::Result<i64> {
    let ms: i64 = row.get(idx)?;
    if utc_from_unix_ms(ms).is_none() {
        return Err(rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Integer,
            format!("time {ms} ms is out of range").into(),
        ));
    }
    Ok(ms)
}

/// Like [`stored_ms`] for a nullable column.
pub(crate) fn stored_optional_ms(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<i64>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => stored_ms(row, idx).map(Some),
    }
}

/// A time that passed [`stored_ms`], as RFC 3339 in UTC.
pub(crate) fn rfc3339(ms: i64) -> String {
    utc_from_unix_ms(ms).expect("stored times are checked when read")
}

fn timestamp(row: &Row<'_>, idx: usize) -> rusqlite::Result<String> {
    stored_ms(row, idx).map(rfc3339)
}

fn optional_timestamp(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<String>> {
    Ok(stored_optional_ms(row, idx)?.map(rfc3339))
}

/// [`StoreError::NotFound`] unless the briefing exists.
pub(crate) fn ensure_briefing(conn: &Connection, briefing: &BriefingId) -> Result<(), StoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM briefings WHERE id = ?1)",
        [&briefing.0],
        |row| row.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(no_such_briefing(briefing))
    }
}

pub(crate) fn no_such_briefing(briefing: &BriefingId) -> StoreError {
    StoreError::NotFound(
        Problem::new(ProblemCode::NoSuchBriefing).with("value", briefing.0.as_str()),
    )
}

pub(crate) fn no_such_point(point: &PointId) -> StoreError {
    StoreError::NotFound(Problem::new(ProblemCode::NoSuchPoint).with("value", point.0.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, answer, briefing_with, invalid, temp_store};

    #[test]
    fn roll_call_answers_are_upserted_in_invitation_order_and_cleared() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["UBND huyện Kỳ Sơn", "UBND thị xã Cửa Lò"]);

        store
            .record_roll_call(&b.id, &p[2].id, &answer("present", None, None), T0)
            .unwrap();
        store
            .record_roll_call(&b.id, &p[1].id, &answer("present", None, None), T0)
            .unwrap();
        store
            .record_roll_call(
                &b.id,
                &p[1].id,
                &answer("substitute", Some(" Phó Chủ tịch Lê Văn Hùng "), Some("  ")),
                T0 + 1,
            )
            .unwrap();

        assert_eq!(
            store.roll_call(&b.id).unwrap(),
            [
                (
                    p[1].id.clone(),
                    answer("substitute", Some("Phó Chủ tịch Lê Văn Hùng"), None)
                ),
                (p[2].id.clone(), answer("present", None, None)),
            ]
        );

        store.start_roll_call(&b.id, T0).unwrap();
        assert!(store.roll_call(&b.id).unwrap().is_empty());
        store
            .record_roll_call(
                &b.id,
                &p[2].id,
                &answer("absent", None, Some("không tham dự")),
                T0 + 2,
            )
            .unwrap();
        assert_eq!(
            store.roll_call(&b.id).unwrap(),
            [(
                p[2].id.clone(),
                answer("absent", None, Some("không tham dự"))
            )]
        );
    }

    #[test]
    fn clearing_a_roll_call_leaves_other_briefings_alone() {
        let (_dir, store) = temp_store();
        let (a, pa) = briefing_with(&store, &["A"]);
        let (b, pb) = briefing_with(&store, &["A"]);
        let present = answer("present", None, None);
        store
            .record_roll_call(&a.id, &pa[1].id, &present, T0)
            .unwrap();
        store
            .record_roll_call(&b.id, &pb[1].id, &present, T0)
            .unwrap();

        store.start_roll_call(&a.id, T0).unwrap();

        assert!(store.roll_call(&a.id).unwrap().is_empty());
        assert_eq!(store.roll_call(&b.id).unwrap().len(), 1);
    }

    #[test]
    fn bad_roll_call_answers_are_invalid_and_not_stored() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["A"]);
        let long_reason = "ă".repeat(MAX_REASON_CHARS + 1);

        for (bad, field) in [
            (answer("late", None, None), "status"),
            (answer("substitute", None, None), "substitute"),
            (answer("substitute", Some(" "), None), "substitute"),
            (answer("present", Some("Ông Nam"), None), "substitute"),
            (answer("absent", None, Some(&long_reason)), "at most"),
            (answer("absent", None, Some("ốm\ncông tác")), "control"),
        ] {
            let message = invalid(store.record_roll_call(&b.id, &p[1].id, &bad, T0));
            assert!(message.contains(field), "{message}");
        }
        assert!(store.roll_call(&b.id).unwrap().is_empty());
    }

    #[test]
    fn roll_call_of_a_point_of_another_briefing_is_not_found() {
        let (_dir, store) = temp_store();
        let (a, _) = briefing_with(&store, &["A"]);
        let (_, pb) = briefing_with(&store, &["A"]);

        let result = store.record_roll_call(&a.id, &pb[1].id, &answer("present", None, None), T0);

        assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
        let unknown = BriefingId("nope".into());
        assert!(matches!(
            store.roll_call(&unknown),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.start_roll_call(&unknown, T0),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn floor_log_is_chronological_and_ends_once() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["UBND huyện Kỳ Sơn", "UBND thị xã Cửa Lò"]);

        // Recorded out of order: the log follows the grant times.
        let later = store
            .record_floor_start(&b.id, &p[2].id, T0 + 300_000, None)
            .unwrap();
        let first = store
            .record_floor_start(&b.id, &p[1].id, T0 + 60_500, Some(120))
            .unwrap();
        store
            .record_floor_end(first, T0 + 180_000, " expired ")
            .unwrap();
        store
            .record_floor_end(first, T0 + 240_000, "revoked")
            .unwrap();

        assert_eq!(
            store.floor_log(&b.id).unwrap(),
            [
                FloorRecord {
                    id: first,
                    point_name: "UBND huyện Kỳ Sơn".into(),
                    granted_at: "2026-12-01T01:01:00Z".into(),
                    ended_at: Some("2026-12-01T01:03:00Z".into()),
                    seconds_limit: Some(120),
                    end_reason: Some("expired".into()),
                    note: None,
                },
                FloorRecord {
                    id: later,
                    point_name: "UBND thị xã Cửa Lò".into(),
                    granted_at: "2026-12-01T01:05:00Z".into(),
                    ended_at: None,
                    seconds_limit: None,
                    end_reason: None,
                    note: None,
                },
            ]
        );

        // An end before the grant is clamped to the grant.
        store.record_floor_end(later, T0, "revoked").unwrap();
        let log = store.floor_log(&b.id).unwrap();
        assert_eq!(log[1].ended_at.as_deref(), Some("2026-12-01T01:05:00Z"));
    }

    #[test]
    fn floor_errors() {
        let (_dir, store) = temp_store();
        let (a, pa) = briefing_with(&store, &["A"]);
        let (_, pb) = briefing_with(&store, &["A"]);
        let grant = store
            .record_floor_start(&a.id, &pa[1].id, T0, None)
            .unwrap();

        assert!(matches!(
            store.record_floor_start(&a.id, &pb[1].id, T0, None),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.record_floor_end(grant + 1000, T0, "revoked"),
            Err(StoreError::NotFound(_))
        ));
        invalid(store.record_floor_end(grant, T0, " "));
        invalid(store.record_floor_end(grant, T0, &"x".repeat(MAX_FLOOR_END_REASON_CHARS + 1)));
        invalid(
            store
                .record_floor_start(&a.id, &pa[1].id, MAX_UNIX_MS + 1, None)
                .map(drop),
        );
        assert_eq!(store.floor_log(&a.id).unwrap()[0].ended_at, None);
    }

    #[test]
    fn a_floor_note_is_kept_trimmed_and_cleared_when_blank() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["UBND xã Hưng Nguyên", "UBND phường Vinh Hưng"]);
        let grant = store.record_floor_start(&b.id, &p[1].id, T0, None).unwrap();
        let other = store
            .record_floor_start(&b.id, &p[2].id, T0 + 1, None)
            .unwrap();

        let set = store
            .set_floor_note(
                &b.id,
                grant,
                "  Báo cáo tiến độ chuyển đổi số.\nĐề nghị hỗ trợ đường truyền.  ",
            )
            .unwrap();

        let expected = "Báo cáo tiến độ chuyển đổi số.\nĐề nghị hỗ trợ đường truyền.";
        assert_eq!((set.id, set.note.as_deref()), (grant, Some(expected)));
        let log = store.floor_log(&b.id).unwrap();
        assert_eq!(log[0].note.as_deref(), Some(expected));
        assert_eq!(log[1].note, None, "the other grant keeps no note");

        store.set_floor_note(&b.id, grant, " \n ").unwrap();
        assert_eq!(store.floor_log(&b.id).unwrap()[0].note, None);
        assert_eq!(store.floor_log(&b.id).unwrap()[1].id, other);
    }

    #[test]
    fn a_bad_floor_note_or_a_grant_of_another_briefing_changes_nothing() {
        let (_dir, store) = temp_store();
        let (a, pa) = briefing_with(&store, &["A"]);
        let (b, _) = briefing_with(&store, &["A"]);
        let grant = store
            .record_floor_start(&a.id, &pa[1].id, T0, None)
            .unwrap();
        store.set_floor_note(&a.id, grant, "Ý kiến").unwrap();
        assert!(
            store
                .set_floor_note(&a.id, grant, &"ử".repeat(MAX_FLOOR_NOTE_CHARS))
                .is_ok()
        );
        store.set_floor_note(&a.id, grant, "Ý kiến").unwrap();

        let long = invalid(
            store
                .set_floor_note(&a.id, grant, &"a".repeat(MAX_FLOOR_NOTE_CHARS + 1))
                .map(drop),
        );
        let control = invalid(store.set_floor_note(&a.id, grant, "Ý\u{7}kiến").map(drop));
        let elsewhere = store.set_floor_note(&b.id, grant, "Ý kiến khác");
        let unknown = store.set_floor_note(&a.id, grant + 99, "Ý kiến khác");
        let no_briefing = store.set_floor_note(&BriefingId("nope".into()), grant, "x");

        assert_eq!(long, "note: must be at most 4000 characters");
        assert_eq!(control, "note: must not contain control characters");
        for result in [elsewhere, unknown, no_briefing] {
            assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
        }
        assert_eq!(
            store.floor_log(&a.id).unwrap()[0].note.as_deref(),
            Some("Ý kiến")
        );
    }

    #[test]
    fn lock_persists_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (a, _) = briefing_with(&store, &["A"]);
        let (b, _) = briefing_with(&store, &["A"]);
        assert!(!store.is_locked(&a.id).unwrap());

        store.set_locked(&a.id, true).unwrap();
        store.set_locked(&a.id, true).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();

        assert!(store.is_locked(&a.id).unwrap());
        assert!(!store.is_locked(&b.id).unwrap());
        store.set_locked(&a.id, false).unwrap();
        assert!(!store.is_locked(&a.id).unwrap());

        let unknown = BriefingId("nope".into());
        assert!(matches!(
            store.is_locked(&unknown),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.set_locked(&unknown, true),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn roll_call_record_json_omits_missing_texts() {
        let json = serde_json::to_value(answer("present", None, None)).unwrap();
        assert_eq!(json, serde_json::json!({"status": "present"}));

        let parsed: RollCallRecord =
            serde_json::from_str(r#"{"status": "substitute", "substitute": "Bà Hoa"}"#).unwrap();
        assert_eq!(parsed, answer("substitute", Some("Bà Hoa"), None));
    }
}
