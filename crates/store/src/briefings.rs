//! Briefings and their invited points.

use std::collections::HashSet;

use giaoban_model::{BriefingId, PointId, Role};
use rusqlite::types::Type;
use rusqlite::{ErrorCode, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::ids::{BRIEFING_ID_LEN, POINT_ID_LEN, random_id};
use crate::text::{self, invalid};
use crate::{Store, StoreError, UnitCode, schedule};
use giaoban_model::{Field, FieldPath, Problem, ProblemCode};

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// Longest point name accepted when typed, in characters. A point that stands for a unit takes
/// the unit's name, which may be up to [`crate::MAX_UNIT_NAME_CHARS`] long.
pub const MAX_NAME_CHARS: usize = 120;

/// Most invited points of one briefing, the host included.
pub const MAX_POINTS: usize = 1000;

/// What an organiser asks for when creating a briefing, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewBriefing {
    /// Shown to every point; trimmed, 1 to [`MAX_TITLE_CHARS`] characters.
    pub title: String,
    /// RFC 3339, or `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM` in Vietnam time. `None`, empty or
    /// blank means now.
    pub scheduled_start: Option<String>,
    /// Name of the host point ("điểm cầu chủ trì"); leave it blank when `host_unit` is given.
    pub host: String,
    /// Code of the unit that hosts; the host point takes the unit's name. `None` or blank
    /// means the host is given by name.
    pub host_unit: Option<String>,
    /// Names of the bridge points, in the order they are listed everywhere.
    pub points: Vec<String>,
    /// Codes of the units invited as bridge points, listed after the named `points`; each point
    /// takes its unit's name.
    pub units: Vec<String>,
    /// The series this briefing belongs to (e.g. `cntt-6-thang`): open tasks of the earlier
    /// briefings of a series appear on the later ones. `None` or blank: no series.
    pub series: Option<String>,
    /// When unit reports are due, in the same forms as `scheduled_start`; must not be in the
    /// past. `None` or blank: reports are due at the start.
    pub report_deadline: Option<String>,
}

/// A stored briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Briefing {
    pub id: BriefingId,
    pub title: String,
    /// RFC 3339.
    pub scheduled_start: String,
    /// RFC 3339 in UTC.
    pub created_at: String,
    /// The series of periodic briefings this one belongs to, if any.
    pub series: Option<String>,
    /// When unit reports are due (RFC 3339); `None` means at `scheduled_start`.
    pub report_deadline: Option<String>,
}

/// One invited point of a briefing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    pub id: PointId,
    pub briefing_id: BriefingId,
    /// Unique within the briefing, stored exactly as given (after trimming).
    pub name: String,
    pub role: Role,
    /// Whether the organiser revoked this point's invitation.
    pub revoked: bool,
    /// The unit this point stands for, when it was invited as a unit.
    pub unit_code: Option<UnitCode>,
}

impl Store {
    /// Validates `new` and stores it as a briefing with its host and points, all or nothing.
    ///
    /// Units are looked up by code; an unknown code is [`StoreError::Invalid`] naming it.
    pub fn create_briefing(&self, new: &NewBriefing) -> Result<Briefing, StoreError> {
        let valid = validate(new)?;
        let briefing = Briefing {
            id: BriefingId(random_id(BRIEFING_ID_LEN)),
            title: valid.title,
            scheduled_start: valid.scheduled_start,
            created_at: schedule::now_utc(),
            series: valid.series.map(str::to_owned),
            report_deadline: valid.report_deadline,
        };

        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let points = resolve_units(&tx, valid.points)?;
        tx.execute(
            "INSERT INTO briefings (id, title, scheduled_start, created_at, series,
                                    report_deadline)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                briefing.id.0,
                briefing.title,
                briefing.scheduled_start,
                briefing.created_at,
                briefing.series,
                briefing.report_deadline,
            ],
        )
        .map_err(|e| {
            conflict_or(e, || {
                Problem::new(ProblemCode::AlreadyExists)
                    .at(Field::Id)
                    .with("value", briefing.id.0.as_str())
            })
        })?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO points (id, briefing_id, name, role, position, unit_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (position, point) in points.iter().enumerate() {
                insert
                    .execute(params![
                        random_id(POINT_ID_LEN),
                        briefing.id.0,
                        point.name,
                        point.role.as_str(),
                        i64::try_from(position).expect("at most MAX_POINTS positions"),
                        point.unit.as_ref().map(UnitCode::as_str),
                    ])
                    .map_err(|e| {
                        conflict_or(e, || {
                            Problem::new(ProblemCode::AlreadyExists)
                                .at(Field::PointName)
                                .with("value", point.name.as_str())
                        })
                    })?;
            }
        }
        tx.commit()?;
        Ok(briefing)
    }

    /// The briefing with this id, if there is one.
    pub fn briefing(&self, id: &BriefingId) -> Result<Option<Briefing>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, title, scheduled_start, created_at, series, report_deadline FROM briefings
             WHERE id = ?1",
        )?;
        Ok(stmt
            .query_row([&id.0], |row| briefing_from_row(row, 0))
            .optional()?)
    }

    /// Every briefing, the most recently created first.
    pub fn list_briefings(&self) -> Result<Vec<Briefing>, StoreError> {
        let conn = self.conn();
        // `created_at` has whole seconds; rowid breaks ties in insertion order.
        let mut stmt = conn.prepare_cached(
            "SELECT id, title, scheduled_start, created_at, series, report_deadline FROM briefings
             ORDER BY created_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([], |row| briefing_from_row(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The invited points of a briefing: the host first, then the others in the order given at
    /// creation. Empty for an unknown briefing.
    pub fn points(&self, id: &BriefingId) -> Result<Vec<Point>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, briefing_id, name, role, revoked_at IS NOT NULL, unit_code FROM points
             WHERE briefing_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([&id.0], point_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The point of a briefing with this name (surrounding whitespace ignored), if any.
    pub fn point_by_name(&self, id: &BriefingId, name: &str) -> Result<Option<Point>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, briefing_id, name, role, revoked_at IS NOT NULL, unit_code FROM points
             WHERE briefing_id = ?1 AND name = ?2",
        )?;
        Ok(stmt
            .query_row(params![id.0, name.trim()], point_from_row)
            .optional()?)
    }

    /// The points of a briefing whose invitation was revoked. Empty for an unknown briefing.
    pub fn revoked_points(&self, id: &BriefingId) -> Result<Vec<PointId>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM points WHERE briefing_id = ?1 AND revoked_at IS NOT NULL",
        )?;
        let rows = stmt.query_map([&id.0], |row| row.get(0).map(PointId))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes the invitation of a briefing's point, so that its token is refused from now on.
    ///
    /// Revoking an already revoked point succeeds and keeps the first revocation time.
    /// [`StoreError::NotFound`] if the briefing or the point does not exist.
    pub fn revoke_point(&self, id: &BriefingId, name: &str) -> Result<(), StoreError> {
        let name = name.trim();
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE points SET revoked_at = ?3
             WHERE briefing_id = ?1 AND name = ?2 AND revoked_at IS NULL",
            params![id.0, name, schedule::now_utc()],
        )?;
        if changed > 0 {
            return Ok(());
        }
        let point_exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM points WHERE briefing_id = ?1 AND name = ?2)",
            params![id.0, name],
            |row| row.get(0),
        )?;
        if point_exists {
            return Ok(());
        }
        let briefing_exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM briefings WHERE id = ?1)",
            [&id.0],
            |row| row.get(0),
        )?;
        Err(StoreError::NotFound(if briefing_exists {
            Problem::new(ProblemCode::NoSuchPoint).with("value", name)
        } else {
            Problem::new(ProblemCode::NoSuchBriefing).with("value", id.0.as_str())
        }))
    }
}

/// A [`NewBriefing`] that passed the checks that need no database, borrowing its trimmed
/// strings.
struct ValidBriefing<'a> {
    title: String,
    scheduled_start: String,
    series: Option<&'a str>,
    report_deadline: Option<String>,
    /// The host first, then the named points in order, then the units in order.
    points: Vec<(Invitee, Role)>,
}

/// Who a point is, as asked for.
enum Invitee {
    /// A point given by name.
    Named(String),
    /// A unit given by code; the point takes the unit's name.
    Unit(UnitCode),
}

/// A point about to be stored.
struct NewPoint {
    name: String,
    role: Role,
    unit: Option<UnitCode>,
}

fn validate(new: &NewBriefing) -> Result<ValidBriefing<'_>, StoreError> {
    let title = text::name(Field::Title, &new.title, MAX_TITLE_CHARS)?;

    let scheduled_start = match new.scheduled_start.as_deref().map(str::trim) {
        None | Some("") => schedule::now_utc(),
        Some(start) => schedule::normalise(start)
            .map_err(|p| StoreError::Invalid(p.at(Field::ScheduledStart)))?,
    };

    // Checked before looking at the names so that a huge list is refused cheaply.
    let count = new
        .points
        .len()
        .saturating_add(new.units.len())
        .saturating_add(1);
    if count > MAX_POINTS {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooMany)
                .at(Field::Points)
                .with("max", MAX_POINTS)
                .with("count", count),
        ));
    }

    let mut points = Vec::with_capacity(count);
    let host = match new.host_unit.as_deref().map(str::trim) {
        None | Some("") => Invitee::Named(validate_name(Field::Host.into(), &new.host)?),
        Some(code) => {
            if !new.host.trim().is_empty() {
                return Err(invalid(ProblemCode::HostTwice, Field::Host));
            }
            Invitee::Unit(
                UnitCode::parse(code).map_err(|p| StoreError::Invalid(p.at(Field::HostUnit)))?,
            )
        }
    };
    points.push((host, Role::Host));
    for (i, name) in new.points.iter().enumerate() {
        let field = FieldPath::of(Field::Points).at(i + 1);
        points.push((Invitee::Named(validate_name(field, name)?), Role::Point));
    }
    for (i, code) in new.units.iter().enumerate() {
        let code = UnitCode::parse(code)
            .map_err(|p| StoreError::Invalid(p.at(FieldPath::of(Field::Units).at(i + 1))))?;
        points.push((Invitee::Unit(code), Role::Point));
    }

    let mut seen = HashSet::with_capacity(points.len());
    for (invitee, _) in &points {
        if let Invitee::Unit(code) = invitee
            && !seen.insert(code)
        {
            let host_too = matches!(&points[0].0, Invitee::Unit(host) if host == code);
            let code_of = if host_too {
                ProblemCode::HostAndPoint
            } else {
                ProblemCode::Duplicate
            };
            return Err(StoreError::Invalid(
                Problem::new(code_of)
                    .at(Field::Units)
                    .with("value", code.as_str()),
            ));
        }
    }

    let series = match new.series.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(series) => Some(validate_series(series)?),
    };
    let report_deadline = match new.report_deadline.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(deadline) => {
            let deadline = schedule::normalise(deadline)
                .map_err(|p| StoreError::Invalid(p.at(Field::ReportDeadline)))?;
            if schedule::is_past(&deadline) {
                return Err(StoreError::Invalid(
                    Problem::new(ProblemCode::InThePast)
                        .at(Field::ReportDeadline)
                        .with("value", deadline),
                ));
            }
            Some(deadline)
        }
    };

    Ok(ValidBriefing {
        title,
        scheduled_start,
        series,
        report_deadline,
        points,
    })
}

/// Looks up the units among `points` and checks that the names, typed or taken from units, are
/// unique within the briefing.
fn resolve_units(
    conn: &rusqlite::Connection,
    points: Vec<(Invitee, Role)>,
) -> Result<Vec<NewPoint>, StoreError> {
    let mut lookup = conn.prepare_cached("SELECT name FROM units WHERE code = ?1")?;
    let mut resolved = Vec::with_capacity(points.len());
    for (invitee, role) in points {
        resolved.push(match invitee {
            Invitee::Named(name) => NewPoint {
                name,
                role,
                unit: None,
            },
            Invitee::Unit(code) => {
                let name: Option<String> = lookup
                    .query_row([code.as_str()], |row| row.get(0))
                    .optional()?;
                let Some(name) = name else {
                    return Err(StoreError::Invalid(
                        Problem::new(ProblemCode::UnknownUnit)
                            .at(Field::Units)
                            .with("value", code.as_str()),
                    ));
                };
                NewPoint {
                    name,
                    role,
                    unit: Some(code),
                }
            }
        });
    }

    // Names that look the same are one name: see `text::look_alike`.
    let mut seen = HashSet::with_capacity(resolved.len());
    for point in &resolved {
        if !seen.insert(text::look_alike(&point.name)) {
            return Err(StoreError::Invalid(
                Problem::new(ProblemCode::Duplicate)
                    .at(Field::PointName)
                    .with("value", point.name.as_str()),
            ));
        }
    }
    Ok(resolved)
}

/// Longest series name accepted, in characters.
pub const MAX_SERIES_CHARS: usize = 80;

fn validate_series(series: &str) -> Result<&str, StoreError> {
    text::check_line(Field::Series, series, MAX_SERIES_CHARS)?;
    Ok(series)
}

fn validate_name(field: FieldPath, name: &str) -> Result<String, StoreError> {
    text::name(field, name, MAX_NAME_CHARS)
}

/// Maps a uniqueness violation to [`StoreError::Conflict`] and passes other errors through.
fn conflict_or(e: rusqlite::Error, problem: impl FnOnce() -> Problem) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(problem()),
        _ => StoreError::Sqlite(e),
    }
}

/// Reads `id, title, scheduled_start, created_at, series, report_deadline` starting at column
/// `first`.
pub(crate) fn briefing_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Briefing> {
    Ok(Briefing {
        id: BriefingId(row.get(first)?),
        title: row.get(first + 1)?,
        scheduled_start: row.get(first + 2)?,
        created_at: row.get(first + 3)?,
        series: row.get(first + 4)?,
        report_deadline: row.get(first + 5)?,
    })
}

/// Reads `id, briefing_id, name, role, revoked, unit_code` starting at column 0.
pub(crate) fn point_from_row(row: &Row<'_>) -> rusqlite::Result<Point> {
    let role: String = row.get(3)?;
    let role = Role::parse(&role).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(3, Type::Text, format!("role {role:?}").into())
    })?;
    Ok(Point {
        id: PointId(row.get(0)?),
        briefing_id: BriefingId(row.get(1)?),
        name: row.get(2)?,
        role,
        revoked: row.get(4)?,
        unit_code: row.get::<_, Option<String>>(5)?.map(UnitCode::from_stored),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{NGHE_AN, invalid, new_briefing, temp_store};
    use giaoban_model::ProblemCode;

    const POINTS: &[&str] = &[
        "UBND thị xã Cửa Lò",
        "UBND huyện Kỳ Sơn",
        "Sở Tài nguyên và Môi trường",
        "Trung tâm Y tế huyện Quỳ Hợp",
    ];

    #[test]
    fn briefing_and_vietnamese_points_read_back_in_order() {
        let (_dir, store) = temp_store();

        let created = store
            .create_briefing(&new_briefing(" Giao ban CNTT 6 tháng ", "Sở TT&TT", POINTS))
            .unwrap();

        assert_eq!(created.id.0.len(), BRIEFING_ID_LEN);
        assert_eq!(created.title, "Giao ban CNTT 6 tháng");
        assert_eq!(created.scheduled_start, "2026-12-01T08:00:00+07:00");
        assert_eq!(store.briefing(&created.id).unwrap(), Some(created.clone()));

        let points = store.points(&created.id).unwrap();
        let names: Vec<_> = points.iter().map(|p| p.name.as_str()).collect();
        let mut expected = vec!["Sở TT&TT"];
        expected.extend_from_slice(POINTS);
        assert_eq!(names, expected);
        assert_eq!(points[0].role, Role::Host);
        assert!(points[1..].iter().all(|p| p.role == Role::Point));
        assert!(
            points
                .iter()
                .all(|p| !p.revoked && p.briefing_id == created.id)
        );
        assert!(points.iter().all(|p| p.id.0.len() == POINT_ID_LEN));
    }

    /// The code and field of the problem `result` is.
    fn refused<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (ProblemCode, String) {
        let problem = crate::test_support::problem(result);
        let field = problem.field().map(ToString::to_string).unwrap_or_default();
        (problem.code(), field)
    }

    #[test]
    fn names_are_stored_in_nfc_without_zero_width_characters() {
        let (_dir, store) = temp_store();
        // "ử" precomposed (NFC) and as "u" + horn + hook above (NFD).
        let nfc = "Cửa Lò";
        let nfd = "Cu\u{31b}\u{309}a Lò";

        let briefing = store
            .create_briefing(&new_briefing(
                "Giao ban\u{200B} qu\u{0079}\u{0301} I",
                "\u{a0} Sở TT&TT\t",
                &[nfd, "\u{FEFF}Nghi\u{200D} Lộc\u{2060}"],
            ))
            .unwrap();

        assert_eq!(briefing.title, "Giao ban qu\u{fd} I");
        let names: Vec<_> = store
            .points(&briefing.id)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Sở TT&TT", nfc, "Nghi Lộc"]);
        assert_eq!(names[1].as_bytes(), nfc.as_bytes());
        let stored = store.briefing(&briefing.id).unwrap().unwrap();
        assert_eq!(stored.title, "Giao ban qu\u{fd} I");
    }

    #[test]
    fn names_that_look_alike_are_one_name() {
        let (_dir, store) = temp_store();
        for points in [
            ["Cửa Lò", "Cu\u{31b}\u{309}a Lò"],
            ["Cửa Lò", "Cửa\u{200B} Lò"],
            ["Cửa Lò", "CỬA LÒ"],
            ["Cửa Lò", " cửa lò\u{FEFF}"],
        ] {
            assert_eq!(
                refused(store.create_briefing(&new_briefing("t", "Sở", &points))),
                (ProblemCode::Duplicate, "point_name".to_owned()),
                "{points:?}"
            );
        }
        // The host too is one of the briefing's names.
        assert_eq!(
            refused(store.create_briefing(&new_briefing("t", "Sở TT", &["sở\u{200C} tt"]))),
            (ProblemCode::Duplicate, "point_name".to_owned())
        );
        assert!(store.list_briefings().unwrap().is_empty());
        // Names that only share letters are different.
        assert!(
            store
                .create_briefing(&new_briefing("t", "Sở", &["Cửa Lò", "Cua Lo", "Cửa Lò 2"]))
                .is_ok()
        );
    }

    #[test]
    fn bidi_controls_and_invisible_names_are_refused() {
        let (_dir, store) = temp_store();
        for (new, expected) in [
            (
                new_briefing("Giao ban \u{202E}III", "Sở", &[]),
                (ProblemCode::BidiControl, "title"),
            ),
            (
                new_briefing("t", "\u{2067}Sở\u{2069}", &[]),
                (ProblemCode::BidiControl, "host"),
            ),
            (
                new_briefing("t", "Sở", &["A", "Cửa\u{200F} Lò"]),
                (ProblemCode::BidiControl, "points.2"),
            ),
            (
                new_briefing("t", "Sở", &["\u{061C}"]),
                (ProblemCode::BidiControl, "points.1"),
            ),
            (
                new_briefing("\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF} \t", "Sở", &[]),
                (ProblemCode::Empty, "title"),
            ),
            (
                new_briefing("t", "Sở", &["\u{200B} \u{FEFF}"]),
                (ProblemCode::Empty, "points.1"),
            ),
        ] {
            assert_eq!(
                refused(store.create_briefing(&new)),
                (expected.0, expected.1.to_owned()),
                "{new:?}"
            );
        }
        assert!(store.list_briefings().unwrap().is_empty());
    }

    #[test]
    fn briefings_are_listed_newest_first() {
        let (_dir, store) = temp_store();
        let first = store
            .create_briefing(&new_briefing("một", "A", &[]))
            .unwrap();
        let second = store
            .create_briefing(&new_briefing("hai", "A", &[]))
            .unwrap();

        let listed = store.list_briefings().unwrap();

        assert_eq!(listed, [second, first]);
    }

    #[test]
    fn missing_start_means_now_and_local_start_means_vietnam_time() {
        let (_dir, store) = temp_store();
        let mut new = new_briefing("t", "A", &[]);

        new.scheduled_start = None;
        let now = store.create_briefing(&new).unwrap();
        new.scheduled_start = Some("2026-12-01 08:00".into());
        let local = store.create_briefing(&new).unwrap();

        assert_eq!(now.scheduled_start, now.created_at);
        assert!(now.scheduled_start.ends_with('Z'));
        assert_eq!(local.scheduled_start, "2026-12-01T08:00:00+07:00");
    }

    #[test]
    fn empty_or_overlong_title_is_invalid() {
        let (_dir, store) = temp_store();

        let empty = invalid(store.create_briefing(&new_briefing(" \t ", "A", &[])));
        let long = invalid(store.create_briefing(&new_briefing(
            &"ă".repeat(MAX_TITLE_CHARS + 1),
            "A",
            &[],
        )));

        assert!(empty.contains("title"), "{empty}");
        assert!(long.contains("title"), "{long}");
        assert!(
            store
                .create_briefing(&new_briefing(&"ă".repeat(MAX_TITLE_CHARS), "A", &[]))
                .is_ok()
        );
    }

    #[test]
    fn duplicate_names_are_invalid_and_named() {
        let (_dir, store) = temp_store();

        let twice = invalid(store.create_briefing(&new_briefing(
            "t",
            "Sở TT&TT",
            &["UBND huyện Kỳ Sơn", " UBND huyện Kỳ Sơn "],
        )));
        let host_again =
            invalid(store.create_briefing(&new_briefing("t", "Sở TT&TT", &["Sở TT&TT"])));

        assert!(twice.contains("\"UBND huyện Kỳ Sơn\""), "{twice}");
        assert!(host_again.contains("\"Sở TT&TT\""), "{host_again}");
        assert!(store.list_briefings().unwrap().is_empty(), "nothing stored");
    }

    #[test]
    fn bad_names_are_invalid() {
        let (_dir, store) = temp_store();
        let long = "x".repeat(MAX_NAME_CHARS + 1);

        for (host, points, field) in [
            ("", &[][..], "host:"),
            ("A", &["B", "  "][..], "point 2:"),
            ("A", &["B\nC"][..], "control"),
            ("A", &["B\u{7f}"][..], "control"),
            ("A", &[long.as_str()][..], "at most"),
        ] {
            let message = invalid(store.create_briefing(&new_briefing("t", host, points)));
            assert!(message.contains(field), "{message}");
        }
    }

    #[test]
    fn at_most_max_points_host_included() {
        let (_dir, store) = temp_store();
        let names: Vec<String> = (1..MAX_POINTS).map(|i| format!("Điểm cầu {i}")).collect();
        let mut new = NewBriefing {
            title: "t".into(),
            scheduled_start: None,
            host: "Sở TT&TT".into(),
            points: names,
            ..NewBriefing::default()
        };

        let full = store.create_briefing(&new).unwrap();
        new.points.push("Một điểm quá nhiều".into());
        let message = invalid(store.create_briefing(&new));

        assert_eq!(store.points(&full.id).unwrap().len(), MAX_POINTS);
        assert!(message.contains(&MAX_POINTS.to_string()), "{message}");
    }

    #[test]
    fn bad_start_is_invalid() {
        let (_dir, store) = temp_store();
        let mut new = new_briefing("t", "A", &[]);
        new.scheduled_start = Some("mùng 1 tháng 12".into());

        let message = invalid(store.create_briefing(&new));

        assert!(message.starts_with("start: \"mùng 1"), "{message}");
    }

    #[test]
    fn point_by_name_finds_only_that_briefings_point() {
        let (_dir, store) = temp_store();
        let a = store
            .create_briefing(&new_briefing("a", "Sở TT&TT", POINTS))
            .unwrap();
        let b = store
            .create_briefing(&new_briefing("b", "Sở TT&TT", &[]))
            .unwrap();

        let found = store
            .point_by_name(&a.id, " UBND huyện Kỳ Sơn")
            .unwrap()
            .unwrap();

        assert_eq!(found.name, "UBND huyện Kỳ Sơn");
        assert_eq!(found.briefing_id, a.id);
        assert_eq!(
            store.point_by_name(&b.id, "UBND huyện Kỳ Sơn").unwrap(),
            None
        );
        assert_eq!(
            store
                .point_by_name(&BriefingId("nope".into()), "Sở TT&TT")
                .unwrap(),
            None
        );
    }

    #[test]
    fn revoked_points_lists_only_the_revoked_of_that_briefing() {
        let (_dir, store) = temp_store();
        let a = store
            .create_briefing(&new_briefing("a", "Sở TT&TT", POINTS))
            .unwrap();
        let b = store
            .create_briefing(&new_briefing("b", "Sở TT&TT", POINTS))
            .unwrap();
        assert!(store.revoked_points(&a.id).unwrap().is_empty());

        store.revoke_point(&a.id, "UBND thị xã Cửa Lò").unwrap();

        let cualo = store
            .point_by_name(&a.id, "UBND thị xã Cửa Lò")
            .unwrap()
            .unwrap();
        assert_eq!(store.revoked_points(&a.id).unwrap(), [cualo.id]);
        assert!(store.revoked_points(&b.id).unwrap().is_empty());
        assert!(
            store
                .revoked_points(&BriefingId("nope".into()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn revoking_marks_the_point_and_is_idempotent() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", POINTS))
            .unwrap();

        store
            .revoke_point(&briefing.id, "UBND thị xã Cửa Lò")
            .unwrap();
        store
            .revoke_point(&briefing.id, "UBND thị xã Cửa Lò")
            .unwrap();

        let revoked: Vec<_> = store
            .points(&briefing.id)
            .unwrap()
            .into_iter()
            .filter(|p| p.revoked)
            .map(|p| p.name)
            .collect();
        assert_eq!(revoked, ["UBND thị xã Cửa Lò"]);
    }

    #[test]
    fn revoking_an_unknown_point_or_briefing_is_not_found() {
        let (_dir, store) = temp_store();
        let briefing = store
            .create_briefing(&new_briefing("t", "Sở TT&TT", &[]))
            .unwrap();

        let unknown_point = store.revoke_point(&briefing.id, "UBND huyện Kỳ Sơn");
        let unknown_briefing = store.revoke_point(&BriefingId("nope".into()), "Sở TT&TT");

        assert!(
            matches!(&unknown_point, Err(StoreError::NotFound(m)) if m.code() == ProblemCode::NoSuchPoint && m.to_string().contains("Kỳ Sơn")),
            "{unknown_point:?}"
        );
        assert!(
            matches!(&unknown_briefing, Err(StoreError::NotFound(m)) if m.code() == ProblemCode::NoSuchBriefing),
            "{unknown_briefing:?}"
        );
    }

    /// A briefing hosted by the Department with Cửa Lò and one of its wards invited as units
    /// and one guest point by name.
    fn by_units() -> NewBriefing {
        NewBriefing {
            title: "Giao ban CNTT 6 tháng".into(),
            scheduled_start: Some("2026-12-01 08:00".into()),
            host: String::new(),
            host_unit: Some(" SO-TTTT ".into()),
            points: vec!["Phòng họp trực tuyến dự phòng".into()],
            units: vec!["UBND-CUALO".into(), "P-NGHITHUY".into()],
            ..NewBriefing::default()
        }
    }

    #[test]
    fn series_and_report_deadline_are_stored_and_checked() {
        let (_dir, store) = temp_store();
        let mut new = new_briefing("Giao ban quý", "Sở TT&TT", &["UBND huyện Kỳ Sơn"]);
        new.series = Some("  cntt-quy  ".into());
        new.report_deadline = Some("2099-01-01 08:00".into());

        let briefing = store.create_briefing(&new).unwrap();

        assert_eq!(briefing.series.as_deref(), Some("cntt-quy"));
        assert_eq!(
            briefing.report_deadline.as_deref(),
            Some("2099-01-01T08:00:00+07:00")
        );
        assert_eq!(store.briefing(&briefing.id).unwrap(), Some(briefing));

        new.report_deadline = Some("2020-01-01 08:00".into());
        let past = store.create_briefing(&new).unwrap_err();
        assert!(
            matches!(&past, StoreError::Invalid(m) if m.to_string().contains("in the past")),
            "{past:?}"
        );
        new.report_deadline = Some("mai".into());
        let garbage = store.create_briefing(&new).unwrap_err();
        assert!(
            matches!(&garbage, StoreError::Invalid(m) if m.to_string().starts_with("report deadline")),
            "{garbage:?}"
        );
    }

    #[test]
    fn units_are_invited_by_code_under_their_names() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();

        let briefing = store.create_briefing(&by_units()).unwrap();

        let points = store.points(&briefing.id).unwrap();
        let listed: Vec<_> = points
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.role,
                    p.unit_code.as_ref().map(UnitCode::as_str),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("Sở Thông tin và Truyền thông", Role::Host, Some("SO-TTTT")),
                ("Phòng họp trực tuyến dự phòng", Role::Point, None),
                ("UBND thị xã Cửa Lò", Role::Point, Some("UBND-CUALO")),
                ("UBND phường Nghi Thủy", Role::Point, Some("P-NGHITHUY")),
            ]
        );
        let ward = &points[3];
        let invitation = store.verify_token(&store.token_for(ward)).unwrap();
        assert_eq!(&invitation.point, ward);
        assert_eq!(
            store
                .point_by_name(&briefing.id, "UBND thị xã Cửa Lò")
                .unwrap()
                .and_then(|p| p.unit_code),
            Some(UnitCode::parse("UBND-CUALO").unwrap())
        );
    }

    #[test]
    fn a_unit_name_may_be_longer_than_a_typed_name() {
        let (_dir, store) = temp_store();
        let long =
            "Ban Quản lý dự án đầu tư xây dựng công trình dân dụng và công nghiệp ".repeat(2);
        let long = long.trim();
        assert!(long.chars().count() > MAX_NAME_CHARS);
        store
            .import_units_csv(&format!("code,name,parent_code,email\nBQLDA,{long},,\n"))
            .unwrap();
        let mut new = new_briefing("t", "Sở TT&TT", &[]);
        new.units = vec!["BQLDA".into()];

        let briefing = store.create_briefing(&new).unwrap();

        assert_eq!(store.points(&briefing.id).unwrap()[1].name, long);
    }

    #[test]
    fn bad_units_are_invalid_and_nothing_is_stored() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();

        for (change, expected) in [
            (
                (|n: &mut NewBriefing| n.units.push("KHONG-CO".into())) as fn(&mut NewBriefing),
                "no unit has the code \"KHONG-CO\"",
            ),
            (
                |n| n.host_unit = Some("KHONG-CO".into()),
                "no unit has the code \"KHONG-CO\"",
            ),
            (|n| n.units.push("SỞ".into()), "unit 3: \"SỞ\""),
            (
                |n| n.units.push("UBND-CUALO".into()),
                "unit: \"UBND-CUALO\" is given more than once",
            ),
            (
                |n| n.units.push("SO-TTTT".into()),
                "unit: unit \"SO-TTTT\" is the host and cannot also be a point",
            ),
            (
                |n| n.host = "Sở TT&TT".into(),
                "either by name or as a unit",
            ),
            (
                |n| n.points.push("UBND thị xã Cửa Lò".into()),
                "point name: \"UBND thị xã Cửa Lò\" is given more than once",
            ),
        ] {
            let mut new = by_units();
            change(&mut new);
            let message = invalid(store.create_briefing(&new));
            assert!(message.contains(expected), "{message}");
        }
        assert!(store.list_briefings().unwrap().is_empty(), "nothing stored");
    }

    #[test]
    fn a_blank_host_unit_means_the_host_is_named() {
        let (_dir, store) = temp_store();
        let mut new = new_briefing("t", "Sở TT&TT", &["UBND huyện Kỳ Sơn"]);
        new.host_unit = Some("  ".into());

        let briefing = store.create_briefing(&new).unwrap();

        let points = store.points(&briefing.id).unwrap();
        assert_eq!(points[0].name, "Sở TT&TT");
        assert!(points.iter().all(|p| p.unit_code.is_none()));
    }

    #[test]
    fn units_count_towards_the_most_points() {
        let (_dir, store) = temp_store();
        store.import_units_csv(NGHE_AN).unwrap();
        let mut new = by_units();
        new.points = (0..MAX_POINTS - 2)
            .map(|i| format!("Điểm cầu {i}"))
            .collect();

        let message = invalid(store.create_briefing(&new));

        assert!(message.contains(&MAX_POINTS.to_string()), "{message}");
    }
}
