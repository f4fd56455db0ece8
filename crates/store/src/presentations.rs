//! The log of screen presentations: a point presents its screen during its floor, and the
//! minutes say who presented and when.
//!
//! Kept like the floor log (see `direction.rs`): the server records each start and end, and
//! [`Store::close_open_sessions`] ends the presentations a crash left open.

use giaoban_model::{BriefingId, Field, PointId};
use rusqlite::{Row, params};
use serde::Serialize;

use crate::direction::{
    Span, ensure_briefing, no_such_point, rfc3339, stored_ms, stored_optional_ms, unix_ms,
};
use crate::{Store, StoreError};

/// Longest reason for the end of a presentation, in characters.
pub const MAX_PRESENTATION_END_REASON_CHARS: usize = 100;

const PRESENTATIONS: Span = Span {
    table: "presentations",
    start_column: "started_at_ms",
    what: Field::Presentation,
    max_reason_chars: MAX_PRESENTATION_END_REASON_CHARS,
};

/// One screen presentation, for the minutes of a briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresentationRecord {
    /// The point that presented.
    pub point_name: String,
    /// RFC 3339 in UTC.
    pub started_at: String,
    /// RFC 3339 in UTC; `None` while the point still presents.
    pub ended_at: Option<String>,
    /// Why the presentation ended, as the server recorded it (such as `stopped`,
    /// `stopped_by_host`, `left` or `floor_ended`); `None` while it lasts.
    pub end_reason: Option<String>,
}

impl Store {
    /// Records that `point` started presenting its screen at `at_ms` and returns the
    /// presentation's id, for [`Store::record_presentation_end`].
    ///
    /// [`StoreError::NotFound`] if the point is not one of the briefing's.
    pub fn record_presentation_start(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        at_ms: u64,
    ) -> Result<i64, StoreError> {
        let at = unix_ms(at_ms)?;
        let conn = self.conn();
        let changed = conn.execute(
            "INSERT INTO presentations (briefing_id, point_id, started_at_ms)
             SELECT briefing_id, id, ?3 FROM points WHERE id = ?2 AND briefing_id = ?1",
            params![briefing.0, point.0, at],
        )?;
        if changed == 0 {
            return Err(no_such_point(point));
        }
        Ok(conn.last_insert_rowid())
    }

    /// Records the end of a presentation and why (`reason` is the server's word for it).
    ///
    /// Idempotent: a presentation that already ended keeps its first end. An end before the
    /// start (clocks are not monotonic across restarts) is recorded as the start.
    /// [`StoreError::NotFound`] for an unknown presentation, [`StoreError::Invalid`] for a
    /// blank or overlong reason.
    pub fn record_presentation_end(
        &self,
        id: i64,
        at_ms: u64,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.end_span(&PRESENTATIONS, id, at_ms, reason)
    }

    /// Every screen presentation of a briefing, the earliest first.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn presentations(
        &self,
        briefing: &BriefingId,
    ) -> Result<Vec<PresentationRecord>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;
        let log: Vec<_> = {
            let mut stmt = tx.prepare_cached(
                "SELECT p.name, s.started_at_ms, s.ended_at_ms, s.end_reason
                 FROM presentations s JOIN points p ON p.id = s.point_id
                 WHERE s.briefing_id = ?1 ORDER BY s.started_at_ms, s.id",
            )?;
            let rows = stmt.query_map([&briefing.0], presentation_from_row)?;
            rows.collect::<Result<_, _>>()?
        };
        tx.commit()?;
        Ok(log)
    }
}

fn presentation_from_row(row: &Row<'_>) -> rusqlite::Result<PresentationRecord> {
    Ok(PresentationRecord {
        point_name: row.get(0)?,
        started_at: rfc3339(stored_ms(row, 1)?),
        ended_at: stored_optional_ms(row, 2)?.map(rfc3339),
        end_reason: row.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::MAX_UNIX_MS;
    use crate::test_support::{T0, briefing_with, invalid, is_not_found, temp_store};

    #[test]
    fn presentations_are_chronological_and_end_once() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, &["UBND huyện Kỳ Sơn", "UBND thị xã Cửa Lò"]);
        let (other, op) = briefing_with(&store, &["UBND huyện Kỳ Sơn"]);

        // Recorded out of order: the log follows the start times.
        let later = store
            .record_presentation_start(&b.id, &p[2].id, T0 + 900_000)
            .unwrap();
        let first = store
            .record_presentation_start(&b.id, &p[1].id, T0 + 60_000)
            .unwrap();
        store
            .record_presentation_start(&other.id, &op[1].id, T0)
            .unwrap();
        store
            .record_presentation_end(first, T0 + 780_000, " stopped ")
            .unwrap();
        store
            .record_presentation_end(first, T0 + 840_000, "floor_ended")
            .unwrap();

        assert_eq!(
            store.presentations(&b.id).unwrap(),
            [
                PresentationRecord {
                    point_name: "UBND huyện Kỳ Sơn".into(),
                    started_at: "2026-12-01T01:01:00Z".into(),
                    ended_at: Some("2026-12-01T01:13:00Z".into()),
                    end_reason: Some("stopped".into()),
                },
                PresentationRecord {
                    point_name: "UBND thị xã Cửa Lò".into(),
                    started_at: "2026-12-01T01:15:00Z".into(),
                    ended_at: None,
                    end_reason: None,
                },
            ]
        );

        // An end before the start is clamped to the start.
        store
            .record_presentation_end(later, T0, "stopped_by_host")
            .unwrap();
        let log = store.presentations(&b.id).unwrap();
        assert_eq!(log[1].ended_at.as_deref(), Some("2026-12-01T01:15:00Z"));
        assert_eq!(log[1].end_reason.as_deref(), Some("stopped_by_host"));
        assert_eq!(store.presentations(&other.id).unwrap().len(), 1);
    }

    #[test]
    fn presentation_errors() {
        let (_dir, store) = temp_store();
        let (a, pa) = briefing_with(&store, &["A"]);
        let (_, pb) = briefing_with(&store, &["A"]);
        let shown = store
            .record_presentation_start(&a.id, &pa[1].id, T0)
            .unwrap();

        assert!(is_not_found(
            &store.record_presentation_start(&a.id, &pb[1].id, T0)
        ));
        assert!(is_not_found(&store.record_presentation_end(
            shown + 1000,
            T0,
            "stopped"
        )));
        assert!(is_not_found(
            &store.presentations(&BriefingId("khong-co".into()))
        ));
        assert_eq!(
            invalid(store.record_presentation_end(shown, T0, " ")),
            "reason: must not be empty"
        );
        invalid(store.record_presentation_end(
            shown,
            T0,
            &"x".repeat(MAX_PRESENTATION_END_REASON_CHARS + 1),
        ));
        invalid(store.record_presentation_end(shown, T0, "left\nearly"));
        invalid(store.record_presentation_start(&a.id, &pa[1].id, MAX_UNIX_MS + 1));
        invalid(store.record_presentation_end(shown, MAX_UNIX_MS + 1, "stopped"));
        assert_eq!(store.presentations(&a.id).unwrap()[0].ended_at, None);
    }
}
