//! Concerns and proposals raised by the points, the host's answers, and the conclusions of
//! the chair.

use giaoban_model::{BriefingId, Field, PointId, Problem, ProblemCode};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::tasks::{self, Task};
use super::{
    MAX_ANSWER_CHARS, MAX_CONCERN_CHARS, MAX_CONCLUSION_CHARS, MAX_TASK_CHARS, parse_column,
};
use crate::agenda::ensure_on_agenda;
use crate::direction::ensure_briefing;
use crate::text::{no_such, valid_text};
use crate::{Point, Store, StoreError, schedule};

/// What a point raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernKind {
    /// A difficulty or question ("kiến nghị", "vướng mắc").
    Concern,
    /// A suggestion ("đề xuất").
    Proposal,
}

/// A concern or proposal of a point, with the host's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concern {
    pub id: i64,
    pub point_id: PointId,
    /// Name of the point that raised it.
    pub point: String,
    /// The unit of that point, when it stands for one.
    pub unit_code: Option<String>,
    pub kind: ConcernKind,
    pub text: String,
    /// The agenda item it is about; `None` also once that item was deleted.
    pub agenda_item_id: Option<i64>,
    pub raised_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    /// The task made from it.
    pub task_id: Option<i64>,
}

/// A conclusion of the chair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conclusion {
    pub id: i64,
    pub text: String,
    pub created_at: String,
}

impl ConcernKind {
    /// The stable lowercase name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ConcernKind::Concern => "concern",
            ConcernKind::Proposal => "proposal",
        }
    }

    fn parse(s: &str) -> Option<ConcernKind> {
        match s {
            "concern" => Some(ConcernKind::Concern),
            "proposal" => Some(ConcernKind::Proposal),
            _ => None,
        }
    }
}

impl Store {
    /// Records a concern or proposal of `point`, about an item of its briefing's agenda if
    /// `agenda_item_id` is given.
    pub fn raise_concern(
        &self,
        point: &Point,
        kind: ConcernKind,
        text: &str,
        agenda_item_id: Option<i64>,
    ) -> Result<Concern, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let concern = insert_concern(
            &tx,
            &point.briefing_id,
            &point.id,
            kind,
            text,
            agenda_item_id,
        )?;
        tx.commit()?;
        Ok(concern)
    }

    /// The concerns and proposals of a briefing, oldest first. Empty for an unknown briefing.
    pub fn concerns(&self, briefing: &BriefingId) -> Result<Vec<Concern>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{CONCERN_SELECT} WHERE c.briefing_id = ?1 ORDER BY c.id"
        ))?;
        let rows = stmt.query_map([&briefing.0], concern_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Answers a concern of the briefing; answering again replaces the answer.
    pub fn answer_concern(
        &self,
        briefing: &BriefingId,
        id: i64,
        answer: &str,
    ) -> Result<Concern, StoreError> {
        let answer = valid_text(Field::Answer, answer, MAX_ANSWER_CHARS)?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE concerns SET answer = ?3, answered_at = ?4 WHERE briefing_id = ?1 AND id = ?2",
            params![briefing.0, id, answer, schedule::now_utc()],
        )?;
        if changed == 0 {
            return Err(no_concern(id));
        }
        let concern = load_concern(&tx, briefing, id)?;
        tx.commit()?;
        concern.ok_or_else(|| no_concern(id))
    }

    /// Makes a task of a concern of the briefing, with the concern's text unless `text` is
    /// given (and not blank). [`StoreError::Conflict`] if the concern already has a task.
    pub fn task_from_concern(
        &self,
        briefing: &BriefingId,
        concern: i64,
        text: Option<&str>,
        owners: &[String],
        lead: Option<&str>,
        deadline: &str,
    ) -> Result<Task, StoreError> {
        let text = text
            .filter(|t| !t.trim().is_empty())
            .map(|t| valid_text(Field::Text, t, MAX_TASK_CHARS))
            .transpose()?;
        let deadline = tasks::valid_deadline(deadline)?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, Option<i64>)> = tx
            .query_row(
                "SELECT c.text, (SELECT MIN(t.id) FROM tasks t WHERE t.concern_id = c.id)
                 FROM concerns c WHERE c.briefing_id = ?1 AND c.id = ?2",
                params![briefing.0, concern],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((concern_text, existing)) = row else {
            return Err(no_concern(concern));
        };
        if let Some(task) = existing {
            return Err(StoreError::Conflict(
                Problem::new(ProblemCode::AlreadyTask)
                    .with("concern", concern)
                    .with("task", task),
            ));
        }
        let owners = tasks::valid_owners(&tx, owners, lead)?;
        let text = match text {
            Some(text) => text,
            // A concern holds at most MAX_CONCERN_CHARS, which a task takes as well.
            None => concern_text.as_str(),
        };
        let id = tasks::insert_task(&tx, briefing, Some(concern), text, &owners, &deadline)?;
        let task = tasks::load_task(&tx, id, briefing, &schedule::today_vietnam())?;
        tx.commit()?;
        task.ok_or_else(|| tasks::no_task(id))
    }

    /// Records a conclusion of the chair.
    pub fn add_conclusion(
        &self,
        briefing: &BriefingId,
        text: &str,
    ) -> Result<Conclusion, StoreError> {
        let text = valid_text(Field::Text, text, MAX_CONCLUSION_CHARS)?;
        let conclusion = Conclusion {
            id: 0,
            text: text.to_owned(),
            created_at: schedule::now_utc(),
        };

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        tx.execute(
            "INSERT INTO conclusions (briefing_id, text, created_at) VALUES (?1, ?2, ?3)",
            params![briefing.0, conclusion.text, conclusion.created_at],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Conclusion { id, ..conclusion })
    }

    /// The conclusions of a briefing in the order they were made. Empty for an unknown
    /// briefing.
    pub fn conclusions(&self, briefing: &BriefingId) -> Result<Vec<Conclusion>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, text, created_at FROM conclusions WHERE briefing_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([&briefing.0], |row| {
            Ok(Conclusion {
                id: row.get(0)?,
                text: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes a conclusion of the briefing.
    pub fn delete_conclusion(&self, briefing: &BriefingId, id: i64) -> Result<(), StoreError> {
        let changed = self.conn().execute(
            "DELETE FROM conclusions WHERE briefing_id = ?1 AND id = ?2",
            params![briefing.0, id],
        )?;
        if changed == 0 {
            return Err(no_such(Field::Conclusion, id));
        }
        Ok(())
    }
}

/// Records a concern of `point` inside the caller's transaction, checking it as
/// [`Store::raise_concern`] does. The point must be one of the briefing's.
pub(crate) fn insert_concern(
    tx: &Connection,
    briefing: &BriefingId,
    point: &PointId,
    kind: ConcernKind,
    text: &str,
    agenda_item_id: Option<i64>,
) -> Result<Concern, StoreError> {
    let text = valid_text(Field::Text, text, MAX_CONCERN_CHARS)?;
    if let Some(item) = agenda_item_id {
        ensure_on_agenda(tx, briefing, item)?;
    }
    tx.execute(
        "INSERT INTO concerns (briefing_id, point_id, agenda_item_id, kind, text, raised_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            briefing.0,
            point.0,
            agenda_item_id,
            kind.as_str(),
            text,
            schedule::now_utc(),
        ],
    )?;
    let id = tx.last_insert_rowid();
    load_concern(tx, briefing, id)?.ok_or_else(|| no_concern(id))
}

/// Selects the columns [`concern_from_row`] reads, from `concerns c`.
const CONCERN_SELECT: &str = "SELECT c.id, c.point_id, p.name, p.unit_code, c.kind, c.text,
           c.agenda_item_id, c.raised_at, c.answer, c.answered_at,
           (SELECT MIN(t.id) FROM tasks t WHERE t.concern_id = c.id)
    FROM concerns c JOIN points p ON p.id = c.point_id";

fn concern_from_row(row: &Row<'_>) -> rusqlite::Result<Concern> {
    let kind: String = row.get(4)?;
    Ok(Concern {
        id: row.get(0)?,
        point_id: PointId(row.get(1)?),
        point: row.get(2)?,
        unit_code: row.get(3)?,
        kind: parse_column(4, &kind, ConcernKind::parse)?,
        text: row.get(5)?,
        agenda_item_id: row.get(6)?,
        raised_at: row.get(7)?,
        answer: row.get(8)?,
        answered_at: row.get(9)?,
        task_id: row.get(10)?,
    })
}

fn load_concern(
    conn: &Connection,
    briefing: &BriefingId,
    id: i64,
) -> Result<Option<Concern>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{CONCERN_SELECT} WHERE c.briefing_id = ?1 AND c.id = ?2"
    ))?;
    Ok(stmt
        .query_row(params![briefing.0, id], concern_from_row)
        .optional()?)
}

fn no_concern(id: i64) -> StoreError {
    no_such(Field::Concern, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::follow_up::TaskStatus;
    use crate::follow_up::testing::{Fixture, LATER};
    use crate::test_support::{agenda_item, invalid, is_not_found};

    #[test]
    fn a_point_without_a_unit_raises_a_proposal() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let [_, named, ..] = fx.points(&briefing.id);

        let concern = fx
            .store
            .raise_concern(
                &named,
                ConcernKind::Proposal,
                "  Nâng cấp đường truyền\n",
                None,
            )
            .unwrap();

        assert_eq!(concern.point_id, named.id);
        assert_eq!(concern.point, "Phòng họp dự phòng");
        assert_eq!(concern.unit_code, None);
        assert_eq!(concern.kind, ConcernKind::Proposal);
        assert_eq!(concern.text, "Nâng cấp đường truyền");
        assert_eq!(concern.agenda_item_id, None);
        assert_eq!(concern.answer, None);
        assert_eq!(concern.task_id, None);
        assert_eq!(fx.store.concerns(&briefing.id).unwrap(), [concern]);
    }

    #[test]
    fn a_concern_may_name_an_item_of_its_own_agenda_only() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");
        let [_, _, cualo, _] = fx.points(&briefing.id);
        let ours = agenda_item(&fx.store, &briefing.id, "Chuyển đổi số");
        let theirs = agenda_item(&fx.store, &other.id, "Chuyển đổi số");

        let concern = fx
            .store
            .raise_concern(&cualo, ConcernKind::Concern, "Thiếu kinh phí", Some(ours))
            .unwrap();
        let foreign =
            fx.store
                .raise_concern(&cualo, ConcernKind::Concern, "Thiếu kinh phí", Some(theirs));
        let unknown =
            fx.store
                .raise_concern(&cualo, ConcernKind::Concern, "Thiếu kinh phí", Some(9999));

        assert_eq!(concern.agenda_item_id, Some(ours));
        assert_eq!(concern.unit_code.as_deref(), Some("UBND-CUALO"));
        assert_eq!(
            invalid(foreign),
            format!("agenda item: {theirs} is not on this briefing's agenda")
        );
        assert_eq!(
            invalid(unknown),
            "agenda item: 9999 is not on this briefing's agenda"
        );
        assert_eq!(fx.store.concerns(&briefing.id).unwrap().len(), 1);
    }

    #[test]
    fn concern_text_has_1_to_2000_characters() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let [_, _, cualo, _] = fx.points(&briefing.id);
        let raise = |text: &str| {
            fx.store
                .raise_concern(&cualo, ConcernKind::Concern, text, None)
        };

        assert_eq!(invalid(raise(" \n ")), "text: must not be empty");
        assert_eq!(
            invalid(raise(&"ử".repeat(2001))),
            "text: must be at most 2000 characters"
        );
        assert!(raise(&"ử".repeat(2000)).is_ok());
    }

    #[test]
    fn concerns_are_listed_oldest_first_per_briefing() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");
        let [host, _, cualo, nghiloc] = fx.points(&briefing.id);
        let [_, _, other_cualo, _] = fx.points(&other.id);
        let kind = ConcernKind::Concern;

        let first = fx.store.raise_concern(&nghiloc, kind, "Một", None).unwrap();
        fx.store
            .raise_concern(&other_cualo, kind, "Khác", None)
            .unwrap();
        let second = fx.store.raise_concern(&cualo, kind, "Hai", None).unwrap();
        let third = fx.store.raise_concern(&host, kind, "Ba", None).unwrap();

        let ids: Vec<_> = fx
            .store
            .concerns(&briefing.id)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, [first.id, second.id, third.id]);
        assert_eq!(third.unit_code.as_deref(), Some("SO-TTTT"));
        assert!(
            fx.store
                .concerns(&BriefingId("khong-co".into()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn answering_again_replaces_the_answer() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");
        let [_, _, cualo, _] = fx.points(&briefing.id);
        let concern = fx
            .store
            .raise_concern(&cualo, ConcernKind::Concern, "Thiếu máy chủ", None)
            .unwrap();

        let first = fx
            .store
            .answer_concern(&briefing.id, concern.id, "Sở sẽ hỗ trợ")
            .unwrap();
        let second = fx
            .store
            .answer_concern(&briefing.id, concern.id, " Đã bố trí kinh phí ")
            .unwrap();

        assert_eq!(first.answer.as_deref(), Some("Sở sẽ hỗ trợ"));
        assert!(first.answered_at.is_some());
        assert_eq!(second.answer.as_deref(), Some("Đã bố trí kinh phí"));
        assert_eq!(fx.store.concerns(&briefing.id).unwrap(), [second]);
        assert_eq!(
            invalid(fx.store.answer_concern(&briefing.id, concern.id, "")),
            "answer: must not be empty"
        );
        assert_eq!(
            invalid(
                fx.store
                    .answer_concern(&briefing.id, concern.id, &"a".repeat(4001))
            ),
            "answer: must be at most 4000 characters"
        );
        assert!(is_not_found(
            &fx.store.answer_concern(&other.id, concern.id, "Không")
        ));
        assert!(is_not_found(&fx.store.answer_concern(
            &briefing.id,
            9999,
            "Không"
        )));
    }

    #[test]
    fn a_concern_becomes_one_task() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");
        let [_, _, cualo, _] = fx.points(&briefing.id);
        let concern = fx
            .store
            .raise_concern(&cualo, ConcernKind::Concern, "Mạng chậm ở xã", None)
            .unwrap();
        let owners = ["UBND-CUALO".to_owned()];

        let foreign = fx
            .store
            .task_from_concern(&other.id, concern.id, None, &owners, None, LATER);
        let task = fx
            .store
            .task_from_concern(&briefing.id, concern.id, Some(" "), &owners, None, LATER)
            .unwrap();
        let again =
            fx.store
                .task_from_concern(&briefing.id, concern.id, Some("Lại"), &owners, None, LATER);

        assert!(is_not_found(&foreign));
        assert_eq!(task.text, "Mạng chậm ở xã");
        assert_eq!(task.concern_id, Some(concern.id));
        assert_eq!(task.briefing_id, briefing.id);
        assert_eq!(task.status, TaskStatus::Open);
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert_eq!(
            fx.store.concerns(&briefing.id).unwrap()[0].task_id,
            Some(task.id)
        );
        assert_eq!(fx.store.tasks(&briefing.id).unwrap(), [task]);
    }

    #[test]
    fn a_task_from_a_concern_may_take_its_own_text_and_is_checked() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let [_, _, cualo, _] = fx.points(&briefing.id);
        let concern = fx
            .store
            .raise_concern(&cualo, ConcernKind::Proposal, "Đề xuất", None)
            .unwrap();
        let make = |owners: &[&str], deadline: &str| {
            let owners: Vec<String> = owners.iter().map(|&o| o.into()).collect();
            fx.store.task_from_concern(
                &briefing.id,
                concern.id,
                Some("Lắp đặt camera"),
                &owners,
                owners.last().map(String::as_str),
                deadline,
            )
        };

        assert_eq!(
            invalid(make(&["KHONG-CO"], LATER)),
            "owner 1: no unit has the code \"KHONG-CO\""
        );
        assert_eq!(
            invalid(make(&["UBND-CUALO"], "2020-01-01")),
            "deadline: \"2020-01-01\" is in the past"
        );
        let task = make(&["UBND-CUALO", "UBND-NGHILOC"], LATER).unwrap();
        assert_eq!(task.text, "Lắp đặt camera");
        let owners: Vec<_> = task
            .owners
            .iter()
            .map(|o| (o.code.as_str(), o.lead))
            .collect();
        assert_eq!(
            owners,
            [("UBND-NGHILOC", true), ("UBND-CUALO", false)],
            "the lead named, not the first listed"
        );
    }

    #[test]
    fn conclusions_are_added_listed_and_deleted() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");

        let first = fx
            .store
            .add_conclusion(&briefing.id, " Hoàn thành trước 31/12 ")
            .unwrap();
        let second = fx
            .store
            .add_conclusion(&briefing.id, "Báo cáo hằng tháng")
            .unwrap();
        fx.store.add_conclusion(&other.id, "Khác").unwrap();

        assert_eq!(first.text, "Hoàn thành trước 31/12");
        assert_eq!(
            fx.store.conclusions(&briefing.id).unwrap(),
            [first.clone(), second.clone()]
        );
        assert!(is_not_found(
            &fx.store.delete_conclusion(&other.id, first.id)
        ));
        fx.store.delete_conclusion(&briefing.id, first.id).unwrap();
        assert_eq!(fx.store.conclusions(&briefing.id).unwrap(), [second]);
        assert!(is_not_found(
            &fx.store.delete_conclusion(&briefing.id, first.id)
        ));
        assert_eq!(
            invalid(fx.store.add_conclusion(&briefing.id, "")),
            "text: must not be empty"
        );
        assert_eq!(
            invalid(fx.store.add_conclusion(&briefing.id, &"a".repeat(4001))),
            "text: must be at most 4000 characters"
        );
        assert!(is_not_found(
            &fx.store
                .add_conclusion(&BriefingId("khong-co".into()), "Kết luận")
        ));
    }
}
