//! Which tasks of the earlier briefings of a series a briefing follows up.
//!
//! A task is carried over to briefing B when it belongs to a briefing of B's series that starts
//! before B, and is either not done or was done at or after the start of the briefing just
//! before B: the follow-up at B sees what is still open and what was finished since the last
//! one. Scheduled starts keep the offset they were typed with, so they are compared as instants,
//! never as text.

use std::collections::HashSet;

use giaoban_model::BriefingId;
use rusqlite::{Connection, OptionalExtension};

use super::TaskState;
use crate::{StoreError, schedule};

/// What one briefing carries over from its series.
pub(super) struct CarryOver {
    /// The briefings of the series that start before this one.
    earlier: HashSet<String>,
    /// Unix seconds of the start of the briefing just before this one: tasks done since then
    /// are still shown.
    since: i64,
}

impl CarryOver {
    /// What briefing `id` carries over; `None` when it is in no series, is unknown, or no
    /// briefing of its series starts before it.
    pub(super) fn of(conn: &Connection, id: &BriefingId) -> Result<Option<CarryOver>, StoreError> {
        let this: Option<(Option<String>, String)> = conn
            .prepare_cached("SELECT series, scheduled_start FROM briefings WHERE id = ?1")?
            .query_row([&id.0], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((Some(series), start)) = this else {
            return Ok(None);
        };
        let Some(start) = schedule::unix_of(&start) else {
            return Ok(None);
        };

        let mut stmt = conn.prepare_cached(
            "SELECT id, scheduled_start FROM briefings WHERE series = ?1 AND id <> ?2",
        )?;
        let rows = stmt.query_map([&series, &id.0], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut earlier = HashSet::new();
        let mut since = None;
        for row in rows {
            let (other, other_start) = row?;
            // Stored starts are normalised RFC 3339; one that is not cannot be placed in time.
            let Some(other_start) = schedule::unix_of(&other_start) else {
                continue;
            };
            if other_start < start {
                earlier.insert(other);
                since = since.max(Some(other_start));
            }
        }
        Ok(since.map(|since| CarryOver { earlier, since }))
    }

    /// Whether a task of briefing `owner` in `state`, done at `done_at`, is carried over.
    pub(super) fn carries(&self, owner: &str, state: TaskState, done_at: Option<&str>) -> bool {
        if !self.earlier.contains(owner) {
            return false;
        }
        match state {
            TaskState::Open | TaskState::InProgress => true,
            TaskState::Done => done_at
                .and_then(schedule::unix_of)
                .is_some_and(|done| done >= self.since),
        }
    }

    /// The ids of the tasks carried over, by deadline and then id.
    pub(super) fn task_ids(&self, conn: &Connection) -> Result<Vec<i64>, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT id, deadline, status, done_at FROM tasks WHERE briefing_id = ?1",
        )?;
        let mut found = Vec::new();
        for briefing in &self.earlier {
            let rows = stmt.query_map([briefing], |row| {
                let status: String = row.get(2)?;
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    super::parse_column(2, &status, TaskState::parse)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            })?;
            for row in rows {
                let (id, deadline, state, done_at) = row?;
                if self.carries(briefing, state, done_at.as_deref()) {
                    found.push((deadline, id));
                }
            }
        }
        found.sort_unstable();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::follow_up::testing::{Fixture, LATER, new_task};
    use crate::follow_up::{Task, TaskPatch, TaskState, TaskStatus};
    use crate::test_support::is_not_found;
    use crate::{Briefing, Store};

    /// Three briefings of one series whose starts were typed with different offsets, so that
    /// their order as text (B2, B1, B3) differs from their order in time (B1, B2, B3).
    struct Series {
        fx: Fixture,
        b1: Briefing,
        b2: Briefing,
        b3: Briefing,
    }

    /// 2026-03-01T23:00:00Z.
    const B1_START: &str = "2026-03-02T06:00:00+07:00";
    /// 2026-03-02T00:30:00Z.
    const B2_START: &str = "2026-03-02T00:30:00Z";
    /// 2026-03-02T01:00:00Z.
    const B3_START: &str = "2026-03-02T10:00:00+09:00";

    fn series() -> Series {
        let fx = Fixture::new();
        let b3 = fx.briefing(Some("giao-ban-thang"), B3_START);
        let b1 = fx.briefing(Some("giao-ban-thang"), B1_START);
        let b2 = fx.briefing(Some("giao-ban-thang"), B2_START);
        assert_eq!(b2.scheduled_start, B2_START);
        Series { fx, b1, b2, b3 }
    }

    fn task_on(store: &Store, briefing: &Briefing, text: &str, deadline: &str) -> i64 {
        store
            .create_task(&briefing.id, &new_task(text, &["UBND-CUALO"], deadline))
            .unwrap()
            .id
    }

    /// `(text, carried_over)` of the tasks seen at a briefing, in order.
    fn seen(store: &Store, briefing: &Briefing) -> Vec<(String, bool)> {
        store
            .tasks(&briefing.id)
            .unwrap()
            .into_iter()
            .map(|t: Task| (t.text, t.carried_over))
            .collect()
    }

    fn own(text: &str) -> (String, bool) {
        (text.into(), false)
    }

    fn carried(text: &str) -> (String, bool) {
        (text.into(), true)
    }

    #[test]
    fn tasks_follow_the_series_until_done_since_the_last_briefing() {
        let Series { fx, b1, b2, b3 } = series();
        let store = &fx.store;
        let open = task_on(store, &b1, "open", "2099-03-01");
        let done_before_b1 = task_on(store, &b1, "done before B1", "2099-01-01");
        let done_before_b2 = task_on(store, &b1, "done before B2", "2099-02-01");
        let done_after_b2 = task_on(store, &b1, "done after B2", "2098-12-01");
        task_on(store, &b2, "of B2", "2097-01-01");
        task_on(store, &b3, "of B3", "2099-01-01");
        fx.done_at(done_before_b1, "2026-03-01T22:59:59Z");
        // After B1's start (23:00Z) although before it as text.
        fx.done_at(done_before_b2, "2026-03-02T00:00:00Z");
        fx.done_at(done_after_b2, "2026-03-02T00:45:00Z");

        assert_eq!(
            seen(store, &b1),
            [
                own("open"),
                own("done before B1"),
                own("done before B2"),
                own("done after B2"),
            ]
        );
        // Own first; carried over by deadline.
        assert_eq!(
            seen(store, &b2),
            [
                own("of B2"),
                carried("done after B2"),
                carried("done before B2"),
                carried("open"),
            ]
        );
        assert_eq!(
            seen(store, &b3),
            [
                own("of B3"),
                carried("of B2"),
                carried("done after B2"),
                carried("open"),
            ]
        );
        let at_b3 = store.visible_task(&b3.id, open).unwrap().unwrap();
        assert!(at_b3.carried_over);
        assert_eq!(at_b3.briefing_id, b1.id);
        assert_eq!(at_b3.briefing_title, b1.title);
        assert_eq!(store.visible_task(&b3.id, done_before_b2).unwrap(), None);
        assert_eq!(store.visible_task(&b2.id, done_before_b1).unwrap(), None);
        assert_eq!(
            store
                .tasks(&b3.id)
                .unwrap()
                .iter()
                .filter(|t| !t.carried_over)
                .count(),
            1
        );
    }

    #[test]
    fn a_task_done_at_the_start_of_the_previous_briefing_is_still_shown() {
        let Series { fx, b1, b3, .. } = series();
        let id = task_on(&fx.store, &b1, "done at B2", LATER);
        fx.done_at(id, "2026-03-02T07:30:00+07:00");

        let task = fx.store.visible_task(&b3.id, id).unwrap().unwrap();

        assert_eq!(task.status, TaskStatus::Done);
        assert!(task.carried_over);
    }

    #[test]
    fn later_briefings_and_other_series_carry_nothing_over() {
        let Series { fx, b1, b2, b3 } = series();
        let store = &fx.store;
        let other = fx.briefing(Some("giao-ban-quy"), "2026-01-05 08:00");
        let alone = fx.briefing(None, "2026-04-01 08:00");
        let of_other = task_on(store, &other, "other series", LATER);
        let of_b2 = task_on(store, &b2, "of B2", LATER);
        let of_b3 = task_on(store, &b3, "of B3", LATER);

        assert!(store.tasks(&b1.id).unwrap().is_empty());
        assert_eq!(seen(store, &b2), [own("of B2")]);
        assert_eq!(store.tasks(&alone.id).unwrap(), []);
        assert_eq!(store.visible_task(&b1.id, of_b2).unwrap(), None);
        assert_eq!(store.visible_task(&b2.id, of_b3).unwrap(), None);
        assert_eq!(store.visible_task(&b3.id, of_other).unwrap(), None);
        assert_eq!(store.visible_task(&alone.id, of_b2).unwrap(), None);
    }

    #[test]
    fn a_carried_task_is_worked_on_from_the_later_briefing() {
        let Series { fx, b1, b3, .. } = series();
        let store = &fx.store;
        let [_, _, cualo_b3, _] = fx.points(&b3.id);
        let id = task_on(store, &b1, "open", LATER);

        let patched = store
            .update_task(
                &b3.id,
                id,
                &TaskPatch {
                    deadline: Some("2099-06-30".into()),
                    ..TaskPatch::default()
                },
            )
            .unwrap();
        let reported = store
            .report_progress(&b3.id, id, Some(&cualo_b3), TaskState::Done, "Xong")
            .unwrap();

        assert!(patched.carried_over);
        assert_eq!(patched.deadline, "2099-06-30");
        assert!(reported.carried_over);
        assert_eq!(reported.status, TaskStatus::Done);
        assert_eq!(
            reported.progress[0].point.as_deref(),
            Some("UBND thị xã Cửa Lò")
        );
        // Done after B2's start, so B3 still shows it.
        assert_eq!(seen(store, &b3), [carried("open")]);
        assert!(is_not_found(&store.update_task(
            &b1.id,
            task_on(store, &b3, "of B3", LATER),
            &TaskPatch::default()
        )));
    }
}
