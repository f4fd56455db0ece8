//! Tasks given to units at a briefing, their owners and progress reports.

use std::collections::HashSet;

use giaoban_model::{BriefingId, Field, FieldPath, Problem, ProblemCode};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::carry_over::CarryOver;
use super::{MAX_PROGRESS_NOTE_CHARS, MAX_TASK_CHARS, MAX_TASK_OWNERS, parse_column};
use crate::direction::ensure_briefing;
use crate::text::{invalid, no_such, valid_note, valid_text};
use crate::{Point, Store, StoreError, UnitCode, schedule};

/// Where a task stands, as stored and as reported by its owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Open,
    InProgress,
    Done,
}

/// Where a task stands, as shown: [`TaskStatus::Overdue`] is a task not done whose deadline
/// has passed (Vietnam date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Done,
    Overdue,
}

/// A unit that owns a task: the lead unit ("chủ trì"), or one that assists ("phối hợp").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskOwner {
    pub code: String,
    pub name: String,
    /// Whether this is the task's one lead unit.
    pub lead: bool,
}

/// One progress report on a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskProgress {
    pub id: i64,
    /// Name of the point that reported; `None` for the organiser (or a point since deleted).
    pub point: Option<String>,
    /// The unit of the point that reported, when it stands for one.
    pub unit_code: Option<String>,
    /// The state the report set.
    pub status: TaskState,
    pub note: String,
    pub created_at: String,
}

/// A task as seen from one briefing: its own, or carried over from an earlier briefing of its
/// series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: i64,
    /// The briefing that gave the task.
    pub briefing_id: BriefingId,
    pub briefing_title: String,
    /// Whether the task belongs to an earlier briefing than the one it is seen from.
    pub carried_over: bool,
    pub text: String,
    /// The lead unit first, then those that assist in the order given.
    pub owners: Vec<TaskOwner>,
    /// `YYYY-MM-DD`, Vietnam time.
    pub deadline: String,
    pub status: TaskStatus,
    /// When it was set done (RFC 3339, UTC); `None` unless done.
    pub done_at: Option<String>,
    /// The concern the task was made from.
    pub concern_id: Option<i64>,
    /// Oldest first.
    pub progress: Vec<TaskProgress>,
}

/// A task as typed by the host.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// 1 to [`MAX_TASK_CHARS`] characters.
    pub text: String,
    /// Codes of 1 to [`MAX_TASK_OWNERS`] distinct known units.
    pub owners: Vec<String>,
    /// The code of the one lead unit ("chủ trì"), chosen explicitly; the other owners assist
    /// ("phối hợp"). Required when there are several owners; added to them if missing.
    #[serde(default)]
    pub lead: Option<String>,
    /// `YYYY-MM-DD`, not before today (Vietnam time).
    pub deadline: String,
}

/// Changes to a task; `None` keeps a field as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub owners: Option<Vec<String>>,
    /// A new lead unit, one of the owners (the new ones when `owners` is given). New owners
    /// without it keep the lead they include; several new owners without the lead need it.
    #[serde(default)]
    pub lead: Option<String>,
    /// Checked like a new deadline when it differs from the stored one.
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub status: Option<TaskState>,
}

impl TaskState {
    /// The stable lowercase name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::InProgress => "in_progress",
            TaskState::Done => "done",
        }
    }

    pub(super) fn parse(s: &str) -> Option<TaskState> {
        match s {
            "open" => Some(TaskState::Open),
            "in_progress" => Some(TaskState::InProgress),
            "done" => Some(TaskState::Done),
            _ => None,
        }
    }
}

impl TaskStatus {
    /// The status shown on `today` (`YYYY-MM-DD`, Vietnam time) of a task in `state` due on
    /// `deadline`.
    fn on(state: TaskState, deadline: &str, today: &str) -> TaskStatus {
        match state {
            TaskState::Done => TaskStatus::Done,
            // Both are zero-padded `YYYY-MM-DD`, which compare as text.
            _ if deadline < today => TaskStatus::Overdue,
            TaskState::Open => TaskStatus::Open,
            TaskState::InProgress => TaskStatus::InProgress,
        }
    }
}

impl Store {
    /// Gives a new task to units at briefing `briefing`.
    pub fn create_task(&self, briefing: &BriefingId, new: &NewTask) -> Result<Task, StoreError> {
        let text = valid_text(Field::Text, &new.text, MAX_TASK_CHARS)?;
        let deadline = valid_deadline(&new.deadline)?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_briefing(&tx, briefing)?;
        let owners = valid_owners(&tx, &new.owners, new.lead.as_deref())?;
        let id = insert_task(&tx, briefing, None, text, &owners, &deadline)?;
        let task = load_task(&tx, id, briefing, &schedule::today_vietnam())?;
        tx.commit()?;
        task.ok_or_else(|| no_task(id))
    }

    /// The tasks seen at a briefing: its own by id, then those carried over from earlier
    /// briefings of its series by deadline and id. Empty for an unknown briefing.
    pub fn tasks(&self, briefing: &BriefingId) -> Result<Vec<Task>, StoreError> {
        let mut conn = self.conn();
        // One read transaction, so that the list is a consistent snapshot.
        let tx = conn.transaction()?;
        let mut ids = own_task_ids(&tx, briefing)?;
        if let Some(carry) = CarryOver::of(&tx, briefing)? {
            ids.extend(carry.task_ids(&tx)?);
        }
        load_tasks(&tx, &ids, briefing)
    }

    /// Task `id` as seen at `briefing`, if it is its own or carried over to it.
    pub fn visible_task(&self, briefing: &BriefingId, id: i64) -> Result<Option<Task>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if !is_visible(&tx, briefing, id)? {
            return Ok(None);
        }
        load_task(&tx, id, briefing, &schedule::today_vietnam())
    }

    /// Changes a task visible at `briefing`, all or nothing. Setting it done records when;
    /// setting it back clears that.
    pub fn update_task(
        &self,
        briefing: &BriefingId,
        id: i64,
        patch: &TaskPatch,
    ) -> Result<Task, StoreError> {
        let text = patch
            .text
            .as_deref()
            .map(|t| valid_text(Field::Text, t, MAX_TASK_CHARS))
            .transpose()?;
        let deadline = patch
            .deadline
            .as_deref()
            .map(|d| {
                schedule::normalise_date(d).map_err(|p| StoreError::Invalid(p.at(Field::Deadline)))
            })
            .transpose()?;

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !is_visible(&tx, briefing, id)? {
            return Err(no_task(id));
        }
        let owners = match (&patch.owners, patch.lead.as_deref()) {
            (None, None) => None,
            (Some(owners), Some(lead)) => Some(valid_owners(&tx, owners, Some(lead))?),
            (Some(owners), None) => {
                // The lead stays when it is among the new owners.
                let current = current_lead(&tx, id)?;
                let lead = current.filter(|c| owners.iter().any(|o| o.trim() == c.as_str()));
                Some(valid_owners(&tx, owners, lead.as_deref())?)
            }
            (None, Some(lead)) => {
                let current = current_owners(&tx, id)?;
                if !current.iter().any(|c| c == lead.trim()) {
                    return Err(StoreError::Invalid(
                        Problem::new(ProblemCode::NotAnOwner)
                            .at(Field::Lead)
                            .with("value", lead.trim()),
                    ));
                }
                Some(valid_owners(&tx, &current, Some(lead))?)
            }
        };
        if let Some(deadline) = &deadline {
            let stored: String =
                tx.query_row("SELECT deadline FROM tasks WHERE id = ?1", [id], |row| {
                    row.get(0)
                })?;
            // A client that sends the whole task back keeps a passed deadline it did not change.
            if *deadline != stored {
                refuse_past(deadline)?;
            }
        }

        let now = schedule::now_utc();
        if let Some(text) = text {
            tx.execute(
                "UPDATE tasks SET text = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, text, now],
            )?;
        }
        if let Some(deadline) = &deadline {
            tx.execute(
                "UPDATE tasks SET deadline = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, deadline, now],
            )?;
        }
        if let Some(owners) = &owners {
            tx.execute("DELETE FROM task_owners WHERE task_id = ?1", [id])?;
            insert_owners(&tx, id, owners)?;
            tx.execute(
                "UPDATE tasks SET updated_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
        }
        if let Some(state) = patch.status {
            set_state(&tx, id, state, &now)?;
        }
        let task = load_task(&tx, id, briefing, &schedule::today_vietnam())?;
        tx.commit()?;
        task.ok_or_else(|| no_task(id))
    }

    /// Records a progress report on a task visible at `briefing` and sets the task's state.
    ///
    /// `reporter` is the point of `briefing` that reports, or `None` for the organiser. Whether
    /// it may report (an owner unit or the host) is the caller's to decide.
    pub fn report_progress(
        &self,
        briefing: &BriefingId,
        id: i64,
        reporter: Option<&Point>,
        status: TaskState,
        note: &str,
    ) -> Result<Task, StoreError> {
        let note = valid_note(Field::Note, note, MAX_PROGRESS_NOTE_CHARS)?;
        if reporter.is_some_and(|p| p.briefing_id != *briefing) {
            return Err(StoreError::Invalid(Problem::new(
                ProblemCode::ReporterElsewhere,
            )));
        }

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !is_visible(&tx, briefing, id)? {
            return Err(no_task(id));
        }
        let now = schedule::now_utc();
        tx.execute(
            "INSERT INTO task_progress (task_id, point_id, unit_code, status, note, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                reporter.map(|p| &p.id.0),
                reporter.and_then(|p| p.unit_code.as_ref().map(UnitCode::as_str)),
                status.as_str(),
                note,
                now,
            ],
        )?;
        set_state(&tx, id, status, &now)?;
        let task = load_task(&tx, id, briefing, &schedule::today_vietnam())?;
        tx.commit()?;
        task.ok_or_else(|| no_task(id))
    }
}

/// A deadline typed as `YYYY-MM-DD`, not before today in Vietnam.
pub(super) fn valid_deadline(deadline: &str) -> Result<String, StoreError> {
    let deadline = schedule::normalise_date(deadline)
        .map_err(|p| StoreError::Invalid(p.at(Field::Deadline)))?;
    refuse_past(&deadline)?;
    Ok(deadline)
}

/// The owner codes checked: 1 to [`MAX_TASK_OWNERS`], well formed, distinct and known, the
/// lead unit first. One owner is the lead; of several, the lead must be named, and is added
/// to them when missing.
pub(super) fn valid_owners(
    conn: &Connection,
    owners: &[String],
    lead: Option<&str>,
) -> Result<Vec<UnitCode>, StoreError> {
    if owners.is_empty() || owners.len() > MAX_TASK_OWNERS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::OwnerCount)
                .at(Field::Owners)
                .with("max", MAX_TASK_OWNERS)
                .with("count", owners.len()),
        ));
    }
    let mut known = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)")?;
    let mut check = |what: FieldPath, code: &str| -> Result<UnitCode, StoreError> {
        let code = UnitCode::parse(code).map_err(|p| StoreError::Invalid(p.at(what.clone())))?;
        if !known.query_row([code.as_str()], |row| row.get::<_, bool>(0))? {
            return Err(StoreError::Invalid(
                Problem::new(ProblemCode::UnknownUnit)
                    .at(what)
                    .with("value", code.as_str()),
            ));
        }
        Ok(code)
    };
    let mut seen = HashSet::with_capacity(owners.len());
    let mut valid = Vec::with_capacity(owners.len() + 1);
    for (i, code) in owners.iter().enumerate() {
        let what = FieldPath::of(Field::Owners).at(i + 1);
        let code = UnitCode::parse(code).map_err(|p| StoreError::Invalid(p.at(what.clone())))?;
        if !seen.insert(code.as_str().to_owned()) {
            return Err(StoreError::Invalid(
                Problem::new(ProblemCode::Duplicate)
                    .at(what)
                    .with("value", code.as_str()),
            ));
        }
        valid.push(check(what, code.as_str())?);
    }
    match lead {
        Some(lead) => {
            let lead = check(Field::Lead.into(), lead)?;
            match valid.iter().position(|c| *c == lead) {
                Some(i) => {
                    let lead = valid.remove(i);
                    valid.insert(0, lead);
                }
                None if valid.len() < MAX_TASK_OWNERS => valid.insert(0, lead),
                None => {
                    return Err(StoreError::Invalid(
                        Problem::new(ProblemCode::OwnerCount)
                            .at(Field::Owners)
                            .with("max", MAX_TASK_OWNERS)
                            .with("count", valid.len() + 1),
                    ));
                }
            }
        }
        None if valid.len() > 1 => {
            return Err(invalid(ProblemCode::LeadRequired, Field::Lead));
        }
        None => {}
    }
    Ok(valid)
}

/// The codes of a task's owners, the lead first.
fn current_owners(conn: &Connection, task: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT unit_code FROM task_owners WHERE task_id = ?1 ORDER BY position")?;
    let codes = stmt
        .query_map([task], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(codes)
}

/// The code of a task's lead unit.
fn current_lead(conn: &Connection, task: i64) -> Result<Option<String>, StoreError> {
    Ok(current_owners(conn, task)?.into_iter().next())
}

/// Stores a new open task with its owners; returns its id.
pub(super) fn insert_task(
    conn: &Connection,
    briefing: &BriefingId,
    concern: Option<i64>,
    text: &str,
    owners: &[UnitCode],
    deadline: &str,
) -> Result<i64, StoreError> {
    let now = schedule::now_utc();
    conn.execute(
        "INSERT INTO tasks (briefing_id, concern_id, text, deadline, status, created_at,
                            updated_at)
         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?5)",
        params![briefing.0, concern, text, deadline, now],
    )?;
    let id = conn.last_insert_rowid();
    insert_owners(conn, id, owners)?;
    Ok(id)
}

/// Task `id` as seen at `viewer`, without checking that it is visible there.
pub(super) fn load_task(
    conn: &Connection,
    id: i64,
    viewer: &BriefingId,
    today: &str,
) -> Result<Option<Task>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT t.briefing_id, b.title, t.text, t.deadline, t.status, t.done_at, t.concern_id
             FROM tasks t JOIN briefings b ON b.id = t.briefing_id
             WHERE t.id = ?1",
        )?
        .query_row([id], |row| {
            let status: String = row.get(4)?;
            Ok((
                BriefingId(row.get(0)?),
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                parse_column(4, &status, TaskState::parse)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ))
        })
        .optional()?;
    let Some((briefing_id, briefing_title, text, deadline, state, done_at, concern_id)) = row
    else {
        return Ok(None);
    };

    // The owner in the first position is the lead.
    let owners = conn
        .prepare_cached(
            "SELECT o.unit_code, u.name, o.position = (SELECT MIN(position) FROM task_owners
                                                    WHERE task_id = o.task_id)
             FROM task_owners o JOIN units u ON u.code = o.unit_code
             WHERE o.task_id = ?1 ORDER BY o.position",
        )?
        .query_map([id], |row| {
            Ok(TaskOwner {
                code: row.get(0)?,
                name: row.get(1)?,
                lead: row.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let progress = conn
        .prepare_cached(
            "SELECT tp.id, p.name, tp.unit_code, tp.status, tp.note, tp.created_at
             FROM task_progress tp LEFT JOIN points p ON p.id = tp.point_id
             WHERE tp.task_id = ?1 ORDER BY tp.id",
        )?
        .query_map([id], |row| {
            let status: String = row.get(3)?;
            Ok(TaskProgress {
                id: row.get(0)?,
                point: row.get(1)?,
                unit_code: row.get(2)?,
                status: parse_column(3, &status, TaskState::parse)?,
                note: row.get(4)?,
                created_at: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;

    Ok(Some(Task {
        id,
        carried_over: briefing_id != *viewer,
        briefing_id,
        briefing_title,
        text,
        owners,
        status: TaskStatus::on(state, &deadline, today),
        deadline,
        done_at,
        concern_id,
        progress,
    }))
}

/// [`StoreError::NotFound`] for task `id`.
pub(super) fn no_task(id: i64) -> StoreError {
    no_such(Field::Task, id)
}

fn refuse_past(deadline: &str) -> Result<(), StoreError> {
    if *deadline < *schedule::today_vietnam() {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::InThePast)
                .at(Field::Deadline)
                .with("value", deadline),
        ));
    }
    Ok(())
}

fn insert_owners(conn: &Connection, task: i64, owners: &[UnitCode]) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO task_owners (task_id, position, unit_code) VALUES (?1, ?2, ?3)",
    )?;
    for (position, code) in owners.iter().enumerate() {
        let position = i64::try_from(position).expect("at most MAX_TASK_OWNERS positions");
        insert.execute(params![task, position, code.as_str()])?;
    }
    Ok(())
}

/// Sets the state of task `id`; done keeps the first time it was set done.
fn set_state(conn: &Connection, id: i64, state: TaskState, now: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tasks
         SET status = ?2,
             done_at = CASE WHEN ?2 = 'done' THEN COALESCE(done_at, ?3) END,
             updated_at = ?3
         WHERE id = ?1",
        params![id, state.as_str(), now],
    )?;
    Ok(())
}

/// Whether task `id` belongs to `briefing` or is carried over to it.
fn is_visible(conn: &Connection, briefing: &BriefingId, id: i64) -> Result<bool, StoreError> {
    let row: Option<(String, String, Option<String>)> = conn
        .prepare_cached("SELECT briefing_id, status, done_at FROM tasks WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((owner, status, done_at)) = row else {
        return Ok(false);
    };
    if owner == briefing.0 {
        return Ok(true);
    }
    let state = parse_column(1, &status, TaskState::parse)?;
    Ok(CarryOver::of(conn, briefing)?
        .is_some_and(|carry| carry.carries(&owner, state, done_at.as_deref())))
}

fn own_task_ids(conn: &Connection, briefing: &BriefingId) -> Result<Vec<i64>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM tasks WHERE briefing_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([&briefing.0], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn load_tasks(
    conn: &Connection,
    ids: &[i64],
    viewer: &BriefingId,
) -> Result<Vec<Task>, StoreError> {
    let today = schedule::today_vietnam();
    let mut tasks = Vec::with_capacity(ids.len());
    for &id in ids {
        tasks.extend(load_task(conn, id, viewer, &today)?);
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::follow_up::testing::{Fixture, LATER, new_task};
    use crate::test_support::{invalid, is_not_found};

    fn patch() -> TaskPatch {
        TaskPatch::default()
    }

    /// A patch that only sets the state.
    fn to(state: TaskState) -> TaskPatch {
        TaskPatch {
            status: Some(state),
            ..patch()
        }
    }

    #[test]
    fn a_new_task_is_open_with_its_owners_in_order() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");

        let task = fx
            .store
            .create_task(
                &briefing.id,
                &new_task(
                    " Triển khai chữ ký số ",
                    &["UBND-NGHILOC", " UBND-CUALO "],
                    LATER,
                ),
            )
            .unwrap();

        assert_eq!(task.briefing_id, briefing.id);
        assert_eq!(task.briefing_title, briefing.title);
        assert!(!task.carried_over);
        assert_eq!(task.text, "Triển khai chữ ký số");
        assert_eq!(
            task.owners,
            [
                TaskOwner {
                    code: "UBND-NGHILOC".into(),
                    name: "UBND huyện Nghi Lộc".into(),
                    lead: true,
                },
                TaskOwner {
                    code: "UBND-CUALO".into(),
                    name: "UBND thị xã Cửa Lò".into(),
                    lead: false,
                },
            ]
        );
        assert_eq!(task.deadline, LATER);
        assert_eq!(task.status, TaskStatus::Open);
        assert_eq!(task.done_at, None);
        assert_eq!(task.concern_id, None);
        assert!(task.progress.is_empty());
        assert_eq!(
            fx.store.visible_task(&briefing.id, task.id).unwrap(),
            Some(task.clone())
        );
        assert_eq!(fx.store.tasks(&briefing.id).unwrap(), [task]);
    }

    #[test]
    fn a_task_is_checked_naming_the_field() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let create = |text: &str, owners: &[&str], deadline: &str| {
            fx.store
                .create_task(&briefing.id, &new_task(text, owners, deadline))
        };
        let many: Vec<String> = (0..21).map(|i| format!("U{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();

        for (result, expected) in [
            (
                create("Việc", &["UBND-CUALO", "KHONG-CO"], LATER),
                "owner 2: no unit has the code \"KHONG-CO\"",
            ),
            (
                create("Việc", &["UBND-CUALO", "UBND-CUALO"], LATER),
                "owner 2: \"UBND-CUALO\" is given more than once",
            ),
            (
                create("Việc", &[], LATER),
                "owner: give 1 to 20 unit codes, the lead included; got 0",
            ),
            (
                create("Việc", &many, LATER),
                "owner: give 1 to 20 unit codes, the lead included; got 21",
            ),
            (
                create("Việc", &["UBND-CUALO"], "2020-01-01"),
                "deadline: \"2020-01-01\" is in the past",
            ),
            (
                create(" ", &["UBND-CUALO"], LATER),
                "text: must not be empty",
            ),
            (
                create(&"a".repeat(2001), &["UBND-CUALO"], LATER),
                "text: must be at most 2000 characters",
            ),
        ] {
            assert_eq!(invalid(result), expected);
        }
        let bad_date = invalid(create("Việc", &["UBND-CUALO"], "12/31/2026"));
        assert!(
            bad_date.starts_with("deadline: \"12/31/2026\" is not a date"),
            "{bad_date}"
        );
        let bad_code = invalid(create("Việc", &["UBND CUALO"], LATER));
        assert!(
            bad_code.starts_with("owner 1: \"UBND CUALO\""),
            "{bad_code}"
        );
        assert!(fx.store.tasks(&briefing.id).unwrap().is_empty());

        let today = create("Việc", &["UBND-CUALO"], &schedule::today_vietnam()).unwrap();
        assert_eq!(today.status, TaskStatus::Open);
    }

    #[test]
    fn a_task_past_its_deadline_is_overdue_until_done() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);
        fx.deadline_passed(id);
        let status = |fx: &Fixture| fx.store.tasks(&briefing.id).unwrap()[0].status;

        assert_eq!(status(&fx), TaskStatus::Overdue);
        let in_progress = to(TaskState::InProgress);
        fx.store
            .update_task(&briefing.id, id, &in_progress)
            .unwrap();
        assert_eq!(status(&fx), TaskStatus::Overdue);
        let done = to(TaskState::Done);
        fx.store.update_task(&briefing.id, id, &done).unwrap();
        assert_eq!(status(&fx), TaskStatus::Done);
    }

    #[test]
    fn done_records_when_and_leaving_done_clears_it() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);

        let in_progress = fx
            .store
            .update_task(&briefing.id, id, &to(TaskState::InProgress))
            .unwrap();
        assert_eq!(in_progress.status, TaskStatus::InProgress);
        assert_eq!(in_progress.done_at, None);

        let done = fx
            .store
            .update_task(&briefing.id, id, &to(TaskState::Done))
            .unwrap();
        assert_eq!(done.status, TaskStatus::Done);
        let done_at = done.done_at.expect("done_at is set");
        assert!(schedule::unix_of(&done_at).is_some(), "{done_at}");

        fx.done_at(id, "2026-01-02T03:04:05Z");
        let again = fx
            .store
            .update_task(&briefing.id, id, &to(TaskState::Done))
            .unwrap();
        assert_eq!(again.done_at.as_deref(), Some("2026-01-02T03:04:05Z"));

        let reopened = fx
            .store
            .update_task(&briefing.id, id, &to(TaskState::Open))
            .unwrap();
        assert_eq!(reopened.status, TaskStatus::Open);
        assert_eq!(reopened.done_at, None);
    }

    #[test]
    fn a_patch_changes_text_owners_and_deadline_all_or_nothing() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);

        let refused = fx.store.update_task(
            &briefing.id,
            id,
            &TaskPatch {
                text: Some("Việc mới".into()),
                owners: Some(vec!["UBND-VINH".into(), "KHONG-CO".into()]),
                ..patch()
            },
        );
        assert_eq!(
            invalid(refused),
            "owner 2: no unit has the code \"KHONG-CO\""
        );
        assert_eq!(fx.store.tasks(&briefing.id).unwrap()[0].text, "Việc");

        let changed = fx
            .store
            .update_task(
                &briefing.id,
                id,
                &TaskPatch {
                    text: Some("Việc mới".into()),
                    owners: Some(vec!["UBND-VINH".into(), "UBND-CUALO".into()]),
                    lead: Some("UBND-VINH".into()),
                    deadline: Some("2098-01-31".into()),
                    status: None,
                },
            )
            .unwrap();
        assert_eq!(changed.text, "Việc mới");
        let codes: Vec<_> = changed.owners.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["UBND-VINH", "UBND-CUALO"]);
        assert_eq!(changed.deadline, "2098-01-31");
        assert_eq!(
            fx.store.update_task(&briefing.id, id, &patch()).unwrap(),
            changed
        );
    }

    #[test]
    fn a_task_has_exactly_one_lead_unit_chosen_explicitly() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let create = |owners: &[&str], lead: Option<&str>| {
            fx.store.create_task(
                &briefing.id,
                &NewTask {
                    lead: lead.map(Into::into),
                    ..new_task("Số hóa hồ sơ", owners, LATER)
                },
            )
        };
        let leads = |task: &Task| -> Vec<(String, bool)> {
            task.owners
                .iter()
                .map(|o| (o.code.clone(), o.lead))
                .collect()
        };
        let pairs = |p: &[(&str, bool)]| -> Vec<(String, bool)> {
            p.iter().map(|&(c, l)| (c.to_owned(), l)).collect()
        };

        // Several owners need the lead named; one owner is the lead.
        assert_eq!(
            invalid(create(&["UBND-CUALO", "UBND-NGHILOC"], None)),
            "lead: name the lead unit of a task with several owners"
        );
        let alone = create(&["UBND-CUALO"], None).unwrap();
        assert_eq!(leads(&alone), pairs(&[("UBND-CUALO", true)]));
        // The lead is the one named, not the first listed; a lead not listed is added.
        let named = create(&["UBND-CUALO", "UBND-NGHILOC"], Some("UBND-NGHILOC")).unwrap();
        assert_eq!(
            leads(&named),
            pairs(&[("UBND-NGHILOC", true), ("UBND-CUALO", false)])
        );
        let added = create(&["UBND-CUALO"], Some("UBND-VINH")).unwrap();
        assert_eq!(
            leads(&added),
            pairs(&[("UBND-VINH", true), ("UBND-CUALO", false)])
        );
        assert_eq!(
            invalid(create(&["UBND-CUALO"], Some("KHONG-CO"))),
            "lead: no unit has the code \"KHONG-CO\""
        );

        // A patch changes the lead among the owners, and new owners keep the lead they include.
        let lead = |code: &str| TaskPatch {
            lead: Some(code.into()),
            ..patch()
        };
        let moved = fx
            .store
            .update_task(&briefing.id, named.id, &lead("UBND-CUALO"))
            .unwrap();
        assert_eq!(
            leads(&moved),
            pairs(&[("UBND-CUALO", true), ("UBND-NGHILOC", false)])
        );
        assert_eq!(
            invalid(
                fx.store
                    .update_task(&briefing.id, named.id, &lead("UBND-VINH"))
            ),
            "lead: unit \"UBND-VINH\" is not one of the task's owners"
        );
        let owners = |codes: &[&str]| TaskPatch {
            owners: Some(codes.iter().map(|&c| c.into()).collect()),
            ..patch()
        };
        let kept = fx
            .store
            .update_task(
                &briefing.id,
                named.id,
                &owners(&["UBND-VINH", "UBND-CUALO"]),
            )
            .unwrap();
        assert_eq!(
            leads(&kept),
            pairs(&[("UBND-CUALO", true), ("UBND-VINH", false)])
        );
        assert_eq!(
            invalid(fx.store.update_task(
                &briefing.id,
                named.id,
                &owners(&["UBND-VINH", "UBND-NGHILOC"])
            )),
            "lead: name the lead unit of a task with several owners"
        );
    }

    #[test]
    fn a_patched_deadline_must_not_be_past_unless_unchanged() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);
        let deadline = |d: &str| TaskPatch {
            deadline: Some(d.into()),
            ..patch()
        };

        assert_eq!(
            invalid(
                fx.store
                    .update_task(&briefing.id, id, &deadline("2020-01-01"))
            ),
            "deadline: \"2020-01-01\" is in the past"
        );
        fx.deadline_passed(id);
        let kept = fx
            .store
            .update_task(&briefing.id, id, &deadline("2020-01-01"))
            .unwrap();
        assert_eq!(kept.status, TaskStatus::Overdue);
    }

    #[test]
    fn a_task_patch_refuses_unknown_fields() {
        let patch: TaskPatch =
            serde_json::from_str(r#"{"status": "in_progress", "text": null}"#).unwrap();
        assert_eq!(patch.status, Some(TaskState::InProgress));
        assert_eq!(patch.text, None);
        assert!(serde_json::from_str::<TaskPatch>(r#"{"state": "done"}"#).is_err());
        assert!(serde_json::from_str::<TaskPatch>(r#"{"status": "overdue"}"#).is_err());
    }

    #[test]
    fn an_owner_reports_progress_which_sets_the_state() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let [host, _, cualo, _] = fx.points(&briefing.id);
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);

        let working = fx
            .store
            .report_progress(
                &briefing.id,
                id,
                Some(&cualo),
                TaskState::InProgress,
                " Đã khảo sát 5/10 xã ",
            )
            .unwrap();
        let done = fx
            .store
            .report_progress(&briefing.id, id, Some(&host), TaskState::Done, "")
            .unwrap();
        let by_organiser = fx
            .store
            .report_progress(&briefing.id, id, None, TaskState::Open, "Mở lại")
            .unwrap();

        assert_eq!(working.status, TaskStatus::InProgress);
        assert_eq!(working.progress.len(), 1);
        let entry = &working.progress[0];
        assert_eq!(entry.point.as_deref(), Some("UBND thị xã Cửa Lò"));
        assert_eq!(entry.unit_code.as_deref(), Some("UBND-CUALO"));
        assert_eq!(entry.status, TaskState::InProgress);
        assert_eq!(entry.note, "Đã khảo sát 5/10 xã");
        assert_eq!(done.status, TaskStatus::Done);
        assert!(done.done_at.is_some());
        assert_eq!(done.progress[1].unit_code.as_deref(), Some("SO-TTTT"));
        assert_eq!(by_organiser.status, TaskStatus::Open);
        assert_eq!(by_organiser.done_at, None);
        assert_eq!(by_organiser.progress.len(), 3);
        assert_eq!(by_organiser.progress[2].point, None);
        assert_eq!(by_organiser.progress[2].unit_code, None);
        assert_eq!(
            invalid(fx.store.report_progress(
                &briefing.id,
                id,
                Some(&cualo),
                TaskState::Done,
                &"a".repeat(4001)
            )),
            "note: must be at most 4000 characters"
        );
    }

    #[test]
    fn a_task_of_another_briefing_is_not_found() {
        let fx = Fixture::new();
        let briefing = fx.briefing(None, "2026-12-01 08:00");
        let other = fx.briefing(None, "2026-12-02 08:00");
        let [_, _, other_cualo, _] = fx.points(&other.id);
        let id = fx.task(&briefing.id, "Việc", &["UBND-CUALO"]);
        let done = to(TaskState::Done);

        assert_eq!(fx.store.visible_task(&other.id, id).unwrap(), None);
        assert!(is_not_found(&fx.store.update_task(&other.id, id, &done)));
        assert!(is_not_found(&fx.store.report_progress(
            &other.id,
            id,
            Some(&other_cualo),
            TaskState::Done,
            ""
        )));
        assert!(is_not_found(&fx.store.update_task(
            &briefing.id,
            9999,
            &done
        )));
        assert!(fx.store.tasks(&other.id).unwrap().is_empty());
        assert_eq!(
            fx.store.tasks(&briefing.id).unwrap()[0].status,
            TaskStatus::Open
        );
        assert!(is_not_found(&fx.store.create_task(
            &BriefingId("khong-co".into()),
            &new_task("Việc", &["UBND-CUALO"], LATER)
        )));
    }
}
