//! Fixtures of the follow-up tests.

use giaoban_model::BriefingId;
use tempfile::TempDir;

use super::NewTask;
use crate::test_support::{NGHE_AN, temp_store};
use crate::{Briefing, NewBriefing, Point, Store};

/// A deadline far enough ahead never to pass while the tests are maintained.
pub(super) const LATER: &str = "2099-12-31";

/// A store with the units of Nghệ An and briefings in it.
pub(super) struct Fixture {
    _dir: TempDir,
    pub store: Store,
}

impl Fixture {
    pub fn new() -> Fixture {
        let (dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        Fixture { _dir: dir, store }
    }

    /// A briefing hosted by SO-TTTT with a point by name, then UBND-CUALO and UBND-NGHILOC.
    pub fn briefing(&self, series: Option<&str>, start: &str) -> Briefing {
        self.store
            .create_briefing(&NewBriefing {
                title: format!("Giao ban {start}"),
                scheduled_start: Some(start.into()),
                host_unit: Some("SO-TTTT".into()),
                points: vec!["Phòng họp dự phòng".into()],
                units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                series: series.map(Into::into),
                ..NewBriefing::default()
            })
            .unwrap()
    }

    /// The points of a briefing made by [`Fixture::briefing`]: host, named, Cửa Lò, Nghi Lộc.
    pub fn points(&self, briefing: &BriefingId) -> [Point; 4] {
        self.store
            .points(briefing)
            .unwrap()
            .try_into()
            .expect("four points")
    }

    /// A task owned by `owners`, due [`LATER`].
    pub fn task(&self, briefing: &BriefingId, text: &str, owners: &[&str]) -> i64 {
        self.store
            .create_task(briefing, &new_task(text, owners, LATER))
            .unwrap()
            .id
    }

    /// Moves a task's deadline to 2020-01-01, which task checks refuse for a new deadline.
    pub fn deadline_passed(&self, task: i64) {
        self.store
            .conn()
            .execute(
                "UPDATE tasks SET deadline = '2020-01-01' WHERE id = ?1",
                [task],
            )
            .unwrap();
    }

    /// Sets a task done at `done_at`, as if it had been reported then.
    pub fn done_at(&self, task: i64, done_at: &str) {
        self.store
            .conn()
            .execute(
                "UPDATE tasks SET status = 'done', done_at = ?2 WHERE id = ?1",
                rusqlite::params![task, done_at],
            )
            .unwrap();
    }
}

/// A new task whose lead unit is the first of `owners`.
pub(super) fn new_task(text: &str, owners: &[&str], deadline: &str) -> NewTask {
    NewTask {
        text: text.into(),
        owners: owners.iter().map(|&o| o.into()).collect(),
        lead: owners.first().map(|&o| o.into()),
        deadline: deadline.into(),
    }
}
