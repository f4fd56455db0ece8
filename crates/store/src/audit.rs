//! The audit log ("nhật ký thao tác"): who did what, when — the admins' actions, the hosts'
//! actions in their briefings, logins and failed logins. Entries are only ever added.
//!
//! Each entry is bounded: its action code, actor name and details have a maximum size, so a
//! request cannot make one huge row.

use rusqlite::{ToSql, params_from_iter};
use serde::Serialize;
use serde_json::Value;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, Time};

use crate::attendance::push_record;
use crate::schedule::utc_from_unix_ms;
use crate::{Store, StoreError};

/// Largest `details` kept, in bytes of JSON; larger ones are replaced by a truncated preview.
pub const MAX_AUDIT_DETAILS_BYTES: usize = 4096;
/// Longest action code and actor name kept, in characters; longer ones are cut.
pub const MAX_AUDIT_FIELD_CHARS: usize = 200;
/// Most entries one read returns.
pub const MAX_AUDIT_ROWS: usize = 10_000;

/// Who acted.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// An organiser by an admin session; a session opened with a login code has no name.
    Admin,
    /// The host of a briefing by its host link; the name is the host point's.
    Host,
    /// The server itself.
    System,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            ActorKind::Admin => "admin",
            ActorKind::Host => "host",
            ActorKind::System => "system",
        }
    }

    fn parse(s: &str) -> ActorKind {
        match s {
            "admin" => ActorKind::Admin,
            "host" => ActorKind::Host,
            _ => ActorKind::System,
        }
    }
}

/// An entry to add.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor_kind: ActorKind,
    pub actor_name: Option<String>,
    pub briefing_id: Option<String>,
    /// A stable code such as `briefing.create` or `floor.grant`.
    pub action: String,
    /// What the action was about, as a JSON value (an object usually).
    pub details: Value,
}

/// An entry as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    /// When, RFC 3339 in UTC.
    pub at: String,
    pub at_ms: i64,
    pub actor_kind: ActorKind,
    pub actor_name: Option<String>,
    pub briefing_id: Option<String>,
    pub action: String,
    pub details: Value,
}

/// Which entries to read; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub briefing_id: Option<String>,
    /// Part of the actor's name, ASCII case ignored.
    pub actor: Option<String>,
    /// The first day, `YYYY-MM-DD` in Vietnam time.
    pub from_date: Option<String>,
    /// The last day, `YYYY-MM-DD` in Vietnam time, included.
    pub to_date: Option<String>,
    /// Most entries, newest first; at most [`MAX_AUDIT_ROWS`].
    pub limit: usize,
}

impl Store {
    /// Adds `entry` at `at_ms` (Unix milliseconds), with its fields bounded.
    pub fn record_audit_at(&self, entry: &AuditEntry, at_ms: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit_log (at_ms, actor_kind, actor_name, briefing_id, action, details)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                at_ms,
                entry.actor_kind.as_str(),
                entry.actor_name.as_deref().map(cut),
                entry.briefing_id.as_deref().map(cut),
                cut(&entry.action),
                bounded_details(&entry.details),
            ],
        )?;
        Ok(())
    }

    /// The entries that pass `filter`, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT id, at_ms, actor_kind, actor_name, briefing_id, action, details
             FROM audit_log WHERE 1 = 1",
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(briefing) = filter.briefing_id.as_deref().map(str::trim)
            && !briefing.is_empty()
        {
            sql.push_str(" AND briefing_id = ?");
            args.push(Box::new(briefing.to_owned()));
        }
        if let Some(actor) = filter.actor.as_deref().map(str::trim)
            && !actor.is_empty()
        {
            sql.push_str(" AND instr(lower(actor_name), lower(?)) > 0");
            args.push(Box::new(actor.to_owned()));
        }
        if let Some(from) = filter.from_date.as_deref().filter(|d| !d.is_empty()) {
            sql.push_str(" AND at_ms >= ?");
            args.push(Box::new(day_start_ms(from)?));
        }
        if let Some(to) = filter.to_date.as_deref().filter(|d| !d.is_empty()) {
            sql.push_str(" AND at_ms < ?");
            args.push(Box::new(day_start_ms(to)?.saturating_add(24 * 3_600_000)));
        }
        sql.push_str(" ORDER BY at_ms DESC, id DESC LIMIT ?");
        let limit = filter.limit.clamp(1, MAX_AUDIT_ROWS);
        args.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));

        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
            let at_ms: i64 = row.get(1)?;
            let kind: String = row.get(2)?;
            let details: String = row.get(6)?;
            Ok(AuditRecord {
                id: row.get(0)?,
                at: utc_from_unix_ms(at_ms).unwrap_or_default(),
                at_ms,
                actor_kind: ActorKind::parse(&kind),
                actor_name: row.get(3)?,
                briefing_id: row.get(4)?,
                action: row.get(5)?,
                details: serde_json::from_str(&details).unwrap_or(Value::String(details)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Entries as a CSV file (UTF-8 with a byte order mark, for spreadsheets), time in Vietnam.
pub fn audit_csv(records: &[AuditRecord]) -> String {
    let mut out = String::from("\u{feff}");
    push_record(
        &mut out,
        [
            "Thời điểm (giờ Việt Nam)",
            "Loại",
            "Người thực hiện",
            "Cuộc giao ban",
            "Thao tác",
            "Chi tiết",
        ],
    );
    for record in records {
        let kind = match record.actor_kind {
            ActorKind::Admin => "Quản trị",
            ActorKind::Host => "Chủ trì",
            ActorKind::System => "Hệ thống",
        };
        let details = match &record.details {
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        };
        push_record(
            &mut out,
            [
                vietnam_time(record.at_ms).as_str(),
                kind,
                record.actor_name.as_deref().unwrap_or(""),
                record.briefing_id.as_deref().unwrap_or(""),
                record.action.as_str(),
                details.as_str(),
            ],
        );
    }
    out
}

/// `at_ms` as `YYYY-MM-DD HH:MM:SS` in Vietnam time.
fn vietnam_time(at_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.checked_to_offset(offset!(+7)))
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Unix milliseconds of 00:00 in Vietnam on `date` (`YYYY-MM-DD`).
fn day_start_ms(date: &str) -> Result<i64, StoreError> {
    let day =
        Date::parse(date.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
            StoreError::Invalid(
                giaoban_model::Problem::new(giaoban_model::ProblemCode::NotADay)
                    .with("value", date.trim()),
            )
        })?;
    let start = day.with_time(Time::MIDNIGHT).assume_offset(offset!(+7));
    Ok(start.unix_timestamp().saturating_mul(1000))
}

/// `details` as JSON text of at most [`MAX_AUDIT_DETAILS_BYTES`]: itself when it fits, else
/// an object saying so with the start of its text.
fn bounded_details(details: &Value) -> String {
    let text = details.to_string();
    if text.len() <= MAX_AUDIT_DETAILS_BYTES {
        return text;
    }
    let mut end = MAX_AUDIT_DETAILS_BYTES / 2;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    serde_json::json!({"truncated": true, "bytes": text.len(), "preview": &text[..end]}).to_string()
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(MAX_AUDIT_FIELD_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::{invalid, temp_store};

    /// 2026-12-01 08:00 in Vietnam.
    const T0: i64 = 1_796_086_800_000;
    const DAY: i64 = 24 * 3_600_000;

    fn entry(kind: ActorKind, name: &str, briefing: Option<&str>, action: &str) -> AuditEntry {
        AuditEntry {
            actor_kind: kind,
            actor_name: Some(name.into()),
            briefing_id: briefing.map(Into::into),
            action: action.into(),
            details: json!({"point": "UBND thị xã Cửa Lò"}),
        }
    }

    fn all() -> AuditFilter {
        AuditFilter {
            limit: MAX_AUDIT_ROWS,
            ..AuditFilter::default()
        }
    }

    #[test]
    fn entries_come_back_newest_first_with_their_details() {
        let (_dir, store) = temp_store();
        let login = entry(ActorKind::Admin, "an", None, "login");
        let grant = entry(ActorKind::Host, "Sở TT&TT", Some("b1"), "floor.grant");
        store.record_audit_at(&login, T0).unwrap();
        store.record_audit_at(&grant, T0 + 1000).unwrap();

        let log = store.audit_log(&all()).unwrap();

        assert_eq!(log.len(), 2);
        assert_eq!(log[0].action, "floor.grant");
        assert_eq!(log[0].actor_kind, ActorKind::Host);
        assert_eq!(log[0].actor_name.as_deref(), Some("Sở TT&TT"));
        assert_eq!(log[0].briefing_id.as_deref(), Some("b1"));
        assert_eq!(log[0].details["point"], "UBND thị xã Cửa Lò");
        assert_eq!(log[1].at, "2026-12-01T01:00:00Z");
    }

    #[test]
    fn filters_by_briefing_actor_and_vietnam_days() {
        let (_dir, store) = temp_store();
        store
            .record_audit_at(
                &entry(ActorKind::Admin, "Nguyễn An", None, "login"),
                T0 - 9 * 3_600_000,
            )
            .unwrap();
        store
            .record_audit_at(&entry(ActorKind::Host, "Sở TT&TT", Some("b1"), "mute"), T0)
            .unwrap();
        store
            .record_audit_at(&entry(ActorKind::Admin, "Bình", Some("b2"), "x"), T0 + DAY)
            .unwrap();
        let actions = |filter: AuditFilter| -> Vec<String> {
            let filter = AuditFilter {
                limit: 100,
                ..filter
            };
            store
                .audit_log(&filter)
                .unwrap()
                .into_iter()
                .map(|r| r.action)
                .collect()
        };

        let b1 = actions(AuditFilter {
            briefing_id: Some("b1".into()),
            ..all()
        });
        let an = actions(AuditFilter {
            actor: Some("an".into()),
            ..all()
        });
        let first_day = actions(AuditFilter {
            from_date: Some("2026-12-01".into()),
            to_date: Some("2026-12-01".into()),
            ..all()
        });
        let day_before = actions(AuditFilter {
            to_date: Some("2026-11-30".into()),
            ..all()
        });

        assert_eq!(b1, ["mute"]);
        assert_eq!(an, ["login"]);
        assert_eq!(first_day, ["mute"]);
        assert_eq!(day_before, ["login"], "23:00 in Vietnam the day before");
        assert!(
            invalid(store.audit_log(&AuditFilter {
                from_date: Some("hôm qua".into()),
                ..all()
            }))
            .contains("is not a date such as 31/12/2026")
        );
    }

    #[test]
    fn details_and_names_are_bounded() {
        let (_dir, store) = temp_store();
        let mut big = entry(
            ActorKind::Admin,
            &"n".repeat(10_000),
            None,
            &"a".repeat(10_000),
        );
        big.details = json!({"text": "ý".repeat(100_000)});

        store.record_audit_at(&big, T0).unwrap();

        let stored: (String, String, String) = store
            .conn()
            .query_row(
                "SELECT actor_name, action, details FROM audit_log",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(stored.0.chars().count(), MAX_AUDIT_FIELD_CHARS);
        assert_eq!(stored.1.chars().count(), MAX_AUDIT_FIELD_CHARS);
        assert!(
            stored.2.len() <= MAX_AUDIT_DETAILS_BYTES + 200,
            "{}",
            stored.2.len()
        );
        let record = &store.audit_log(&all()).unwrap()[0];
        assert_eq!(record.details["truncated"], true);
        assert!(
            record.details["preview"]
                .as_str()
                .unwrap()
                .starts_with("{\"text\":\"ý")
        );
    }

    #[test]
    fn the_csv_has_a_header_vietnam_time_and_defused_fields() {
        let (_dir, store) = temp_store();
        let mut e = entry(ActorKind::Host, "=cmd", Some("b1"), "floor.grant");
        e.details = json!({});
        store.record_audit_at(&e, T0).unwrap();

        let csv = audit_csv(&store.audit_log(&all()).unwrap());

        let lines: Vec<_> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(
            lines[0],
            "Thời điểm (giờ Việt Nam),Loại,Người thực hiện,Cuộc giao ban,Thao tác,Chi tiết"
        );
        assert_eq!(
            lines[1],
            "2026-12-01 08:00:00,Chủ trì,'=cmd,b1,floor.grant,"
        );
    }
}
