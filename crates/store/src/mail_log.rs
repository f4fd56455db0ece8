//! The mail log: every official message sent to a unit's mailbox, one row per message and
//! recipient address, with the outcome of sending it.
//!
//! A row is written as `queued` before anything is sent, so that a message accepted by the API
//! is never lost: a server that stops while sending finds its queued rows again at the next
//! start. The sender then records each attempt; the last one leaves the row `sent` or `failed`.

use std::fmt;

use giaoban_model::{BriefingId, PointId};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::briefings::briefing_from_row;
use crate::{Briefing, Store, StoreError, UnitCode, schedule};

/// Longest error text kept per row, in characters.
pub const MAX_MAIL_ERROR_CHARS: usize = 500;

/// What a message is about.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The invitation ("giấy mời") with the join link and a calendar entry.
    Invitation,
    /// A reminder shortly before the scheduled start; sent once per address and point.
    Reminder,
    /// The minutes ("biên bản") after the briefing.
    Minutes,
}

impl MailKind {
    /// The stable lowercase name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invitation => "invitation",
            MailKind::Reminder => "reminder",
            MailKind::Minutes => "minutes",
        }
    }

    fn parse(s: &str) -> Option<MailKind> {
        match s {
            "invitation" => Some(MailKind::Invitation),
            "reminder" => Some(MailKind::Reminder),
            "minutes" => Some(MailKind::Minutes),
            _ => None,
        }
    }
}

impl fmt::Display for MailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message stands.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Accepted, not yet delivered to the SMTP server (possibly between two attempts).
    Queued,
    /// The SMTP server accepted it.
    Sent,
    /// Every attempt failed, or the SMTP server refused it for good.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<MailStatus> {
        match s {
            "queued" => Some(MailStatus::Queued),
            "sent" => Some(MailStatus::Sent),
            "failed" => Some(MailStatus::Failed),
            _ => None,
        }
    }
}

/// The outcome of one attempt to send a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailAttempt<'a> {
    /// The SMTP server accepted the message.
    Sent,
    /// The attempt failed; another one follows.
    Retrying(&'a str),
    /// The attempt failed and was the last one.
    Failed(&'a str),
}

/// One row of the mail log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailRecord {
    pub id: i64,
    #[serde(skip)]
    pub briefing_id: BriefingId,
    #[serde(skip)]
    pub point_id: PointId,
    /// Name of the point the message is for.
    pub point: String,
    /// The unit the point stands for.
    pub unit_code: Option<UnitCode>,
    /// The recipient's address.
    pub address: String,
    pub kind: MailKind,
    pub status: MailStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// RFC 3339 in UTC.
    pub created_at: String,
    /// RFC 3339 in UTC: the last attempt, or `created_at`.
    pub updated_at: String,
}

impl Store {
    /// Queues a message of `kind` for each `(point, address)` of briefing `briefing`, and
    /// returns the ids of the rows written, in the order given.
    ///
    /// A reminder already queued or sent to that point and address is left alone and gets no
    /// id, so that asking twice sends once.
    pub fn queue_mail(
        &self,
        briefing: &BriefingId,
        kind: MailKind,
        recipients: &[(PointId, String)],
    ) -> Result<Vec<i64>, StoreError> {
        let now = schedule::now_utc();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ids = Vec::with_capacity(recipients.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO mail_log
                     (briefing_id, point_id, address, kind, status, attempts, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?5)
                 ON CONFLICT (point_id, address) WHERE kind = 'reminder' DO NOTHING
                 RETURNING id",
            )?;
            for (point, address) in recipients {
                let id: Option<i64> = insert
                    .query_row(
                        params![briefing.0, point.0, address, kind.as_str(), now],
                        |row| row.get(0),
                    )
                    .optional()?;
                ids.extend(id);
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Records one attempt to send message `id`.
    pub fn record_mail_attempt(&self, id: i64, attempt: MailAttempt<'_>) -> Result<(), StoreError> {
        let (status, error) = match attempt {
            MailAttempt::Sent => (MailStatus::Sent, None),
            MailAttempt::Retrying(e) => (MailStatus::Queued, Some(e)),
            MailAttempt::Failed(e) => (MailStatus::Failed, Some(e)),
        };
        let error = error.map(|e| match e.char_indices().nth(MAX_MAIL_ERROR_CHARS) {
            Some((cut, _)) => format!("{}…", &e[..cut]),
            None => e.to_owned(),
        });
        let changed = self.conn().execute(
            "UPDATE mail_log SET status = ?2, attempts = attempts + 1,
                 last_error = coalesce(?3, last_error), updated_at = ?4
             WHERE id = ?1",
            params![id, status.as_str(), error, schedule::now_utc()],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(
                giaoban_model::Problem::new(giaoban_model::ProblemCode::NoSuchMail)
                    .with("value", id),
            ));
        }
        Ok(())
    }

    /// The message with this id, if there is one.
    pub fn mail(&self, id: i64) -> Result<Option<MailRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT_MAIL} WHERE m.id = ?1"))?;
        Ok(stmt.query_row([id], mail_from_row).optional()?)
    }

    /// The mail log of a briefing, oldest first. Empty for an unknown briefing.
    pub fn mail_log(&self, briefing: &BriefingId) -> Result<Vec<MailRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_MAIL} WHERE m.briefing_id = ?1 ORDER BY m.id"
        ))?;
        let rows = stmt.query_map([&briefing.0], mail_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of every message still queued, oldest first: what a fresh start must send.
    pub fn queued_mail(&self) -> Result<Vec<i64>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT id FROM mail_log WHERE status = 'queued' ORDER BY id")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Briefings to which invitations were sent (or are being sent), the most recently
    /// created first.
    pub fn briefings_with_invitations(&self) -> Result<Vec<Briefing>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, title, scheduled_start, created_at, series, report_deadline FROM briefings b
             WHERE EXISTS (SELECT 1 FROM mail_log m
                           WHERE m.briefing_id = b.id AND m.kind = 'invitation'
                             AND m.status <> 'failed')
             ORDER BY created_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([], |row| briefing_from_row(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

const SELECT_MAIL: &str = "SELECT m.id, m.briefing_id, m.point_id, p.name, p.unit_code, m.address,
        m.kind, m.status, m.attempts, m.last_error, m.created_at, m.updated_at
    FROM mail_log m JOIN points p ON p.id = m.point_id";

fn mail_from_row(row: &Row<'_>) -> rusqlite::Result<MailRecord> {
    let bad = |i: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(i, Type::Text, what.into())
    };
    let kind: String = row.get(6)?;
    let status: String = row.get(7)?;
    Ok(MailRecord {
        id: row.get(0)?,
        briefing_id: BriefingId(row.get(1)?),
        point_id: PointId(row.get(2)?),
        point: row.get(3)?,
        unit_code: row.get::<_, Option<String>>(4)?.map(UnitCode::from_stored),
        address: row.get(5)?,
        kind: MailKind::parse(&kind).ok_or_else(|| bad(6, format!("kind {kind:?}")))?,
        status: MailStatus::parse(&status).ok_or_else(|| bad(7, format!("status {status:?}")))?,
        attempts: row.get(8)?,
        last_error: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewBriefing;
    use crate::test_support::{NGHE_AN, temp_store};

    fn briefing_with_units(store: &Store) -> (Briefing, Vec<crate::Point>) {
        store.import_units_csv(NGHE_AN).unwrap();
        let briefing = store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT 6 tháng đầu năm 2026".into(),
                scheduled_start: Some("2026-12-01 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                units: vec!["UBND-CUALO".into(), "UBND-NGHILOC".into()],
                ..NewBriefing::default()
            })
            .unwrap();
        let points = store.points(&briefing.id).unwrap();
        (briefing, points)
    }

    #[test]
    fn queued_mail_records_attempts_until_sent_or_failed() {
        let (_dir, store) = temp_store();
        let (briefing, points) = briefing_with_units(&store);
        let cua_lo = points[1].id.clone();
        let nghi_loc = points[2].id.clone();

        let ids = store
            .queue_mail(
                &briefing.id,
                MailKind::Invitation,
                &[
                    (cua_lo.clone(), "ubnd@cualo.nghean.gov.vn".into()),
                    (nghi_loc, "ubnd.nghiloc@nghean.gov.vn".into()),
                ],
            )
            .unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(store.queued_mail().unwrap(), ids);
        store
            .record_mail_attempt(ids[0], MailAttempt::Retrying("connection refused"))
            .unwrap();
        store
            .record_mail_attempt(ids[0], MailAttempt::Sent)
            .unwrap();
        for _ in 0..2 {
            store
                .record_mail_attempt(ids[1], MailAttempt::Retrying("timed out"))
                .unwrap();
        }
        store
            .record_mail_attempt(ids[1], MailAttempt::Failed("connection refused"))
            .unwrap();

        let log = store.mail_log(&briefing.id).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].point, "UBND thị xã Cửa Lò");
        assert_eq!(log[0].unit_code.as_ref().unwrap().as_str(), "UBND-CUALO");
        assert_eq!(log[0].kind, MailKind::Invitation);
        assert_eq!(
            (log[0].status, log[0].attempts),
            (MailStatus::Sent, 2),
            "{log:?}"
        );
        assert_eq!(
            (log[1].status, log[1].attempts, log[1].last_error.as_deref()),
            (MailStatus::Failed, 3, Some("connection refused"))
        );
        assert!(store.queued_mail().unwrap().is_empty());
        assert_eq!(store.mail(ids[0]).unwrap().unwrap(), log[0]);
        assert_eq!(store.briefings_with_invitations().unwrap(), [briefing]);
        assert!(store.record_mail_attempt(9999, MailAttempt::Sent).is_err());
    }

    #[test]
    fn a_reminder_is_queued_once_per_point_and_address_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (briefing, points) = briefing_with_units(&store);
        let to = [(points[1].id.clone(), "ubnd@cualo.nghean.gov.vn".to_string())];
        let first = store
            .queue_mail(&briefing.id, MailKind::Reminder, &to)
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();

        let again = store
            .queue_mail(&briefing.id, MailKind::Reminder, &to)
            .unwrap();
        let invitation = store
            .queue_mail(&briefing.id, MailKind::Invitation, &to)
            .unwrap();

        assert_eq!(first.len(), 1);
        assert!(again.is_empty());
        assert_eq!(invitation.len(), 1);
        assert_eq!(store.mail_log(&briefing.id).unwrap().len(), 2);
    }

    #[test]
    fn long_errors_are_cut_and_briefings_without_invitations_are_not_listed() {
        let (_dir, store) = temp_store();
        let (briefing, points) = briefing_with_units(&store);
        let ids = store
            .queue_mail(
                &briefing.id,
                MailKind::Reminder,
                &[(points[1].id.clone(), "ubnd@cualo.nghean.gov.vn".into())],
            )
            .unwrap();

        store
            .record_mail_attempt(ids[0], MailAttempt::Failed(&"ử".repeat(2000)))
            .unwrap();

        let error = store.mail(ids[0]).unwrap().unwrap().last_error.unwrap();
        assert_eq!(error.chars().count(), MAX_MAIL_ERROR_CHARS + 1);
        assert!(store.briefings_with_invitations().unwrap().is_empty());
    }
}
