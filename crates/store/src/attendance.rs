//! Attendance: when each point was connected, and the report the secretariat files after a
//! briefing, as JSON rows and as a CSV file for Excel.
//!
//! A session runs from a point's join to its leave. A point whose connection drops and comes
//! back within [`RESUME_WINDOW_MS`] continues the same session, and so does a new connection
//! that arrives while the old one is still open (the server often notices a dead network only
//! after the point has reconnected): the session counts its connections and ends when the
//! last one leaves. A point that comes back later starts a new session; sessions that overlap
//! (data from before this rule) are counted once in the report.
//!
//! Each row says how the point took part ([`Attendance`]): attendance comes from the
//! connection sessions, and a roll-call confirms it. The host is present by chairing; a point
//! that answered is present or represented by its substitute; a point that was connected, or
//! held the floor, without answering a roll-call is "connected, no answer" (present when no
//! roll-call was held); only a point that was never connected is absent, with the reason
//! given for it if any. A point that spoke is never absent.

use std::collections::{HashMap, HashSet};

use giaoban_model::{BriefingId, PointId, Role};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::briefings::point_from_row;
use crate::direction::{
    FLOOR_END_RESTART, RollCallRecord, ensure_briefing, no_such_point, rfc3339, roll_call_from_row,
    stored_ms, stored_optional_ms, unix_ms,
};
use crate::{Store, StoreError};

/// How a point's connection fared over one session, measured by the server.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QualitySummary {
    /// Mean round-trip time in milliseconds; finite and not negative.
    pub avg_rtt_ms: f64,
    /// Mean fraction of packets lost on the point's uplink, from 0 to 1.
    pub avg_loss: f64,
}

/// One connection of a point, for the attendance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendanceSession {
    /// RFC 3339 in UTC.
    pub joined_at: String,
    /// RFC 3339 in UTC; `None` while the point is still connected.
    pub left_at: Option<String>,
}

/// How an invited point took part in a briefing. In JSON, tagged by `status`:
/// `{"status": "host"}`, `{"status": "present"}`,
/// `{"status": "substitute", "substitute": "…"}`, `{"status": "no_answer"}` or
/// `{"status": "absent", "reason": "…"}` (`reason` left out when none was given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Attendance {
    /// The host point, present by chairing; it is not asked at a roll-call.
    Host,
    /// Answered the roll-call as present, or was connected when no roll-call was held.
    Present,
    /// Someone attended in the responsible official's place.
    Substitute { substitute: String },
    /// Was connected (or held the floor) but did not answer the roll-call ("có kết nối,
    /// không trả lời").
    NoAnswer,
    /// Never connected.
    Absent {
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Attendance {
    /// How a point took part, from its role, whether it was ever connected, whether it held
    /// the floor, whether a roll-call was held, and its answer to it. See the module
    /// documentation for the rule.
    pub fn derive(
        role: Role,
        connected: bool,
        spoke: bool,
        roll_call_held: bool,
        answer: Option<&RollCallRecord>,
    ) -> Attendance {
        if role == Role::Host {
            return Attendance::Host;
        }
        match answer.map(|a| a.status.as_str()) {
            Some("present") => return Attendance::Present,
            Some("substitute") => {
                return Attendance::Substitute {
                    substitute: answer
                        .and_then(|a| a.substitute.clone())
                        .unwrap_or_default(),
                };
            }
            _ => {}
        }
        if connected || spoke {
            if roll_call_held {
                Attendance::NoAnswer
            } else {
                Attendance::Present
            }
        } else {
            Attendance::Absent {
                reason: answer.and_then(|a| a.reason.clone()),
            }
        }
    }

    /// The Vietnamese label of the report and the minutes, e.g. `Có kết nối, không trả lời`.
    pub fn label(&self) -> &'static str {
        match self {
            Attendance::Host => "Chủ trì",
            Attendance::Present => "Có mặt",
            Attendance::Substitute { .. } => "Dự thay",
            Attendance::NoAnswer => "Có kết nối, không trả lời",
            Attendance::Absent { .. } => "Vắng mặt",
        }
    }
}

/// One invited point's line of the attendance report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRow {
    /// The point's name.
    pub point: String,
    pub role: Role,
    /// The point's connections, the earliest first; empty if it never joined.
    pub sessions: Vec<AttendanceSession>,
    /// RFC 3339 in UTC; `None` if the point never joined.
    pub first_joined_at: Option<String>,
    /// RFC 3339 in UTC; `None` while the point is connected or if it never joined.
    pub last_left_at: Option<String>,
    /// How long the point was connected, overlapping sessions counted once and an open
    /// session counted until the time of the report.
    pub present_seconds: u64,
    /// The point's answer to the latest roll-call, if it gave one.
    pub roll_call: Option<RollCallRecord>,
    /// How the point took part: its connections confirmed by the roll-call.
    pub attendance: Attendance,
    /// Mean round-trip time over the sessions with a quality summary, weighted by duration.
    pub avg_rtt_ms: Option<f64>,
    /// Mean packet loss (a fraction) over the same sessions, weighted the same way.
    pub avg_loss: Option<f64>,
}

/// A point that reconnects within this time after its session ended continues that session.
pub const RESUME_WINDOW_MS: u64 = 30_000;

impl Store {
    /// Records that `point` connected to `briefing` and returns its session's id, for
    /// [`Store::record_leave`]: the point's open session, or the one it left less than
    /// [`RESUME_WINDOW_MS`] ago (reopened), or a new one.
    ///
    /// [`StoreError::NotFound`] if the point is not one of the briefing's.
    pub fn record_join(
        &self,
        briefing: &BriefingId,
        point: &PointId,
        at_ms: u64,
    ) -> Result<i64, StoreError> {
        let at = unix_ms(at_ms)?;
        let resume_from = unix_ms(at_ms.saturating_sub(RESUME_WINDOW_MS))?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM points WHERE id = ?2 AND briefing_id = ?1)",
            params![briefing.0, point.0],
            |row| row.get(0),
        )?;
        if !known {
            return Err(no_such_point(point));
        }
        // The latest session that is open or ended within the window.
        let latest: Option<i64> = tx
            .query_row(
                "SELECT id FROM attendance_sessions
                 WHERE point_id = ?1 AND joined_at_ms <= ?2
                   AND (left_at_ms IS NULL OR left_at_ms > ?3)
                 ORDER BY joined_at_ms DESC, id DESC LIMIT 1",
                params![point.0, at, resume_from],
                |row| row.get(0),
            )
            .optional()?;
        let id = match latest {
            Some(id) => {
                tx.execute(
                    "UPDATE attendance_sessions
                     SET connections = CASE WHEN left_at_ms IS NULL THEN connections + 1 ELSE 1 END,
                         left_at_ms = NULL
                     WHERE id = ?1",
                    [id],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO attendance_sessions (point_id, joined_at_ms) VALUES (?1, ?2)",
                    params![point.0, at],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.commit()?;
        Ok(id)
    }

    /// Records that one connection of a session left, with how it fared if the server measured
    /// it; the session ends when its last connection leaves. Each connection that joined leaves
    /// once.
    ///
    /// A session that is already closed keeps its first leave time and quality. A
    /// leave before the join (clocks are not monotonic across restarts) is recorded as the
    /// join time. A quality that cannot be a measurement (a negative or non-finite value, a
    /// loss outside 0 to 1) is not stored, but the leave is: losing it would count the point
    /// present until the next restart. [`StoreError::NotFound`] for an unknown session.
    pub fn record_leave(
        &self,
        session: i64,
        at_ms: u64,
        quality: Option<QualitySummary>,
    ) -> Result<(), StoreError> {
        let quality = quality.filter(|&q| plausible(q));
        let at = unix_ms(at_ms)?;
        let conn = self.conn();
        // One connection of the session leaves; the session ends with its last one. The
        // quality is the last connection's.
        let changed = conn.execute(
            "UPDATE attendance_sessions
             SET connections = MAX(connections - 1, 0),
                 left_at_ms = CASE WHEN connections <= 1 THEN MAX(joined_at_ms, ?2) END,
                 avg_rtt_ms = ?3, avg_loss = ?4
             WHERE id = ?1 AND left_at_ms IS NULL",
            params![
                session,
                at,
                quality.map(|q| q.avg_rtt_ms),
                quality.map(|q| q.avg_loss)
            ],
        )?;
        if changed > 0 {
            return Ok(());
        }
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM attendance_sessions WHERE id = ?1)",
            [session],
            |row| row.get(0),
        )?;
        if exists {
            Ok(())
        } else {
            Err(crate::text::no_such(giaoban_model::Field::Session, session))
        }
    }

    /// Closes, at `at_ms`, every session of every briefing still open: at server start these
    /// are the sessions of a process that died without recording the leaves. Returns how many
    /// sessions it closed.
    ///
    /// Floor grants and screen presentations left open the same way are ended too, with the
    /// reason [`FLOOR_END_RESTART`]. A session, grant or presentation that started after
    /// `at_ms` is closed at its start.
    pub fn close_open_sessions(&self, at_ms: u64) -> Result<usize, StoreError> {
        let at = unix_ms(at_ms)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let closed = tx.execute(
            "UPDATE attendance_sessions SET left_at_ms = MAX(joined_at_ms, ?1), connections = 0
             WHERE left_at_ms IS NULL",
            [at],
        )?;
        tx.execute(
            "UPDATE floor_grants SET ended_at_ms = MAX(granted_at_ms, ?1), end_reason = ?2
             WHERE ended_at_ms IS NULL",
            params![at, FLOOR_END_RESTART],
        )?;
        tx.execute(
            "UPDATE presentations SET ended_at_ms = MAX(started_at_ms, ?1), end_reason = ?2
             WHERE ended_at_ms IS NULL",
            params![at, FLOOR_END_RESTART],
        )?;
        tx.commit()?;
        Ok(closed)
    }

    /// The attendance report of a briefing as of `now_ms`: one row per invited point, the host
    /// first, then the points in invitation order, revoked points and points that never joined
    /// included.
    ///
    /// [`StoreError::NotFound`] for an unknown briefing.
    pub fn attendance(
        &self,
        briefing: &BriefingId,
        now_ms: u64,
    ) -> Result<Vec<AttendanceRow>, StoreError> {
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        let mut conn = self.conn();
        // One read transaction, so that the report is a consistent snapshot even while another
        // process writes.
        let tx = conn.transaction()?;
        ensure_briefing(&tx, briefing)?;

        let points = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, briefing_id, name, role, revoked_at IS NOT NULL, unit_code FROM points
                 WHERE briefing_id = ?1 ORDER BY position",
            )?;
            let rows = stmt.query_map([&briefing.0], point_from_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };

        let mut sessions: HashMap<String, Vec<Span>> = HashMap::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT s.point_id, s.joined_at_ms, s.left_at_ms, s.avg_rtt_ms, s.avg_loss
                 FROM attendance_sessions s JOIN points p ON p.id = s.point_id
                 WHERE p.briefing_id = ?1 ORDER BY s.joined_at_ms, s.id",
            )?;
            let mut rows = stmt.query([&briefing.0])?;
            while let Some(row) = rows.next()? {
                let rtt: Option<f64> = row.get(3)?;
                let loss: Option<f64> = row.get(4)?;
                sessions.entry(row.get(0)?).or_default().push(Span {
                    joined: stored_ms(row, 1)?,
                    left: stored_optional_ms(row, 2)?,
                    quality: rtt.zip(loss),
                });
            }
        }

        let spoke: HashSet<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT DISTINCT f.point_id FROM floor_grants f JOIN points p ON p.id = f.point_id
                 WHERE p.briefing_id = ?1",
            )?;
            let rows = stmt.query_map([&briefing.0], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let roll_call_started: Option<i64> = tx.query_row(
            "SELECT roll_call_started_at_ms FROM briefings WHERE id = ?1",
            [&briefing.0],
            |row| row.get(0),
        )?;

        let mut answers: HashMap<String, RollCallRecord> = {
            let mut stmt = tx.prepare_cached(
                "SELECT a.point_id, a.status, a.substitute, a.reason
                 FROM roll_call_answers a JOIN points p ON p.id = a.point_id
                 WHERE p.briefing_id = ?1",
            )?;
            let rows = stmt.query_map([&briefing.0], |row| {
                Ok((row.get(0)?, roll_call_from_row(row, 1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        tx.commit()?;
        // A database from before the start of roll-calls was noted holds answers (every point
        // was given one when a roll-call ended) when a roll-call was held.
        let roll_call_held = roll_call_started.is_some() || !answers.is_empty();

        Ok(points
            .into_iter()
            .map(|point| {
                let spans = sessions.remove(&point.id.0).unwrap_or_default();
                let answer = answers.remove(&point.id.0);
                let attendance = Attendance::derive(
                    point.role,
                    !spans.is_empty(),
                    spoke.contains(&point.id.0),
                    roll_call_held,
                    answer.as_ref(),
                );
                row_for(point.name, point.role, &spans, answer, attendance, now)
            })
            .collect())
    }
}

/// One stored session, times in Unix milliseconds.
struct Span {
    joined: i64,
    left: Option<i64>,
    /// Mean RTT and loss.
    quality: Option<(f64, f64)>,
}

impl Span {
    /// Where the session ends for counting: its leave, or `now` while it is open.
    fn end(&self, now: i64) -> i64 {
        self.left.unwrap_or(now).max(self.joined)
    }
}

/// The report row of one point; `spans` are ordered by join time.
fn row_for(
    point: String,
    role: Role,
    spans: &[Span],
    roll_call: Option<RollCallRecord>,
    attendance: Attendance,
    now: i64,
) -> AttendanceRow {
    let still_connected = spans.iter().any(|s| s.left.is_none());
    let (avg_rtt_ms, avg_loss) = match weighted_quality(spans) {
        Some((rtt, loss)) => (Some(rtt), Some(loss)),
        None => (None, None),
    };
    AttendanceRow {
        point,
        role,
        sessions: spans
            .iter()
            .map(|s| AttendanceSession {
                joined_at: rfc3339(s.joined),
                left_at: s.left.map(rfc3339),
            })
            .collect(),
        first_joined_at: spans.first().map(|s| rfc3339(s.joined)),
        last_left_at: if still_connected {
            None
        } else {
            spans.iter().filter_map(|s| s.left).max().map(rfc3339)
        },
        present_seconds: present_ms(spans, now) / 1000,
        roll_call,
        attendance,
        avg_rtt_ms,
        avg_loss,
    }
}

/// Total time covered by `spans` (ordered by join time), overlaps counted once.
fn present_ms(spans: &[Span], now: i64) -> u64 {
    let mut total: u64 = 0;
    let mut current: Option<(i64, i64)> = None;
    for span in spans {
        let (start, end) = (span.joined, span.end(now));
        current = match current {
            Some((cur_start, cur_end)) if start <= cur_end => Some((cur_start, cur_end.max(end))),
            Some((cur_start, cur_end)) => {
                total = total.saturating_add(duration_ms(cur_start, cur_end));
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((start, end)) = current {
        total = total.saturating_add(duration_ms(start, end));
    }
    total
}

fn duration_ms(start: i64, end: i64) -> u64 {
    u64::try_from(end.saturating_sub(start)).unwrap_or(0)
}

/// Mean RTT and loss over the spans with a quality summary, weighted by their duration; a
/// plain mean if all of them lasted no time at all. Only closed sessions carry a summary.
fn weighted_quality(spans: &[Span]) -> Option<(f64, f64)> {
    let measured: Vec<(f64, (f64, f64))> = spans
        .iter()
        .filter_map(|s| {
            let left = s.left?;
            // Milliseconds of one session are far below 2^53; the conversion is exact.
            Some((duration_ms(s.joined, left) as f64, s.quality?))
        })
        .collect();
    if measured.is_empty() {
        return None;
    }
    let total_weight: f64 = measured.iter().map(|(w, _)| w).sum();
    let weight = |w: f64| if total_weight > 0.0 { w } else { 1.0 };
    let sum_weights: f64 = measured.iter().map(|&(w, _)| weight(w)).sum();
    let (rtt, loss) = measured
        .iter()
        .fold((0.0, 0.0), |(rtt, loss), &(w, (r, l))| {
            (rtt + weight(w) * r, loss + weight(w) * l)
        });
    Some((rtt / sum_weights, loss / sum_weights))
}

/// Whether `q` can be a measurement: a finite RTT that is not negative, a loss from 0 to 1.
fn plausible(q: QualitySummary) -> bool {
    q.avg_rtt_ms.is_finite() && q.avg_rtt_ms >= 0.0 && (0.0..=1.0).contains(&q.avg_loss)
}

/// The header of the CSV report, in Vietnamese.
const CSV_HEADER: [&str; 11] = [
    "Điểm cầu",
    "Vai trò",
    "Số lần vào",
    "Vào lần đầu",
    "Rời lần cuối",
    "Thời gian có mặt (phút)",
    "Điểm danh",
    "Người dự thay",
    "Lý do vắng",
    "RTT trung bình (ms)",
    "Tỷ lệ mất gói (%)",
];

/// The attendance report as a CSV file for Excel: UTF-8 with a byte order mark (without it,
/// Excel reads Vietnamese as mojibake), CRLF line ends, RFC 4180 quoting, and a Vietnamese
/// header.
///
/// Point names and roll-call texts are typed by people, so a field that a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`.
/// Minutes have one decimal, RTT is in whole milliseconds, loss is a percentage with two
/// decimals; times are RFC 3339 in UTC as in the JSON report.
pub fn attendance_csv(rows: &[AttendanceRow]) -> String {
    let mut out = String::from("\u{feff}");
    push_record(&mut out, CSV_HEADER.iter().copied());
    for row in rows {
        let role = match row.role {
            Role::Host => "Chủ trì",
            Role::Point => "Điểm cầu",
        };
        let status = row.attendance.label();
        let (substitute, reason) = match &row.attendance {
            Attendance::Substitute { substitute } => (substitute.as_str(), ""),
            Attendance::Absent { reason } => ("", reason.as_deref().unwrap_or("")),
            _ => ("", ""),
        };
        let minutes = minutes_one_decimal(row.present_seconds);
        let rtt = row
            .avg_rtt_ms
            .map(|r| format!("{r:.0}"))
            .unwrap_or_default();
        let loss = row
            .avg_loss
            .map(|l| format!("{:.2}", l * 100.0))
            .unwrap_or_default();
        let count = row.sessions.len().to_string();
        push_record(
            &mut out,
            [
                row.point.as_str(),
                role,
                &count,
                row.first_joined_at.as_deref().unwrap_or(""),
                row.last_left_at.as_deref().unwrap_or(""),
                &minutes,
                status,
                substitute,
                reason,
                &rtt,
                &loss,
            ],
        );
    }
    out
}

/// Seconds as minutes with one decimal, rounded half up in integer arithmetic so that
/// 90 s is exactly `1.5` and 3 s is `0.1`.
fn minutes_one_decimal(seconds: u64) -> String {
    let tenths = (u128::from(seconds) * 10 + 30) / 60;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Appends one CSV line, ended by CRLF.
pub(crate) fn push_record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field);
    }
    out.push_str("\r\n");
}

/// Appends one field, defused against formula injection and quoted per RFC 4180 if needed.
fn push_field(out: &mut String, field: &str) {
    let defuse = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = field.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if defuse {
        out.push('\'');
    }
    if quote {
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{T0, answer, briefing_with, temp_store};

    const SEC: u64 = 1000;

    const POINTS: &[&str] = &[
        "UBND huyện Kỳ Sơn",
        "UBND thị xã Cửa Lò",
        "Trung tâm Y tế huyện Quỳ Hợp",
    ];

    fn quality(avg_rtt_ms: f64, avg_loss: f64) -> Option<QualitySummary> {
        Some(QualitySummary {
            avg_rtt_ms,
            avg_loss,
        })
    }

    fn session(joined_at: &str, left_at: Option<&str>) -> AttendanceSession {
        AttendanceSession {
            joined_at: joined_at.into(),
            left_at: left_at.map(Into::into),
        }
    }

    /// A row as the bare [`AttendanceRow`] of a point that never joined.
    fn absent_row(point: &str, role: Role) -> AttendanceRow {
        AttendanceRow {
            point: point.into(),
            role,
            sessions: vec![],
            first_joined_at: None,
            last_left_at: None,
            present_seconds: 0,
            roll_call: None,
            attendance: if role == Role::Host {
                Attendance::Host
            } else {
                Attendance::Absent { reason: None }
            },
            avg_rtt_ms: None,
            avg_loss: None,
        }
    }

    #[test]
    fn attendance_comes_from_connections_and_the_roll_call_confirms_it() {
        use Attendance as A;
        let present = answer("present", None, None);
        let deputy = answer("substitute", Some("Phó Chủ tịch Lê Văn Hùng"), None);
        let sick = answer("absent", None, Some("Ốm"));
        let derive = A::derive;
        // The host is present by chairing, whatever else is known.
        assert_eq!(derive(Role::Host, false, false, true, None), A::Host);
        assert_eq!(derive(Role::Host, true, false, true, Some(&sick)), A::Host);
        // Answers.
        assert_eq!(
            derive(Role::Point, true, false, true, Some(&present)),
            A::Present
        );
        assert_eq!(
            derive(Role::Point, false, false, true, Some(&deputy)),
            A::Substitute {
                substitute: "Phó Chủ tịch Lê Văn Hùng".into()
            }
        );
        // Connected without answering.
        assert_eq!(derive(Role::Point, true, false, true, None), A::NoAnswer);
        assert_eq!(derive(Role::Point, true, false, false, None), A::Present);
        // A point that spoke is never absent, even recorded so.
        assert_eq!(
            derive(Role::Point, false, true, true, Some(&sick)),
            A::NoAnswer
        );
        assert_eq!(
            derive(Role::Point, true, true, true, Some(&sick)),
            A::NoAnswer
        );
        // Never connected: absent, with the reason given.
        assert_eq!(
            derive(Role::Point, false, false, true, Some(&sick)),
            A::Absent {
                reason: Some("Ốm".into())
            }
        );
        assert_eq!(
            derive(Role::Point, false, false, false, None),
            A::Absent { reason: None }
        );
    }

    #[test]
    fn a_roll_call_sorts_the_points_into_their_groups() {
        let (_dir, store) = temp_store();
        let points = [
            "UBND huyện Kỳ Sơn",
            "UBND thị xã Cửa Lò",
            "UBND thị xã Hoàng Mai",
            "Trung tâm Y tế huyện Quỳ Hợp",
            "UBND huyện Nghi Lộc",
        ];
        let (b, p) = briefing_with(&store, &points);
        // Everyone but Nghi Lộc connects; Hoàng Mai speaks and leaves before the roll-call.
        for (i, point) in p.iter().enumerate().take(5) {
            let s = store
                .record_join(&b.id, &point.id, T0 + i as u64 * SEC)
                .unwrap();
            if i == 3 {
                let grant = store
                    .record_floor_start(&b.id, &point.id, T0 + 60 * SEC, None)
                    .unwrap();
                store
                    .record_floor_end(grant, T0 + 120 * SEC, "revoked")
                    .unwrap();
                store.record_leave(s, T0 + 130 * SEC, None).unwrap();
            }
        }
        store.start_roll_call(&b.id, T0 + 600 * SEC).unwrap();
        store
            .record_roll_call(&b.id, &p[1].id, &answer("present", None, None), T0)
            .unwrap();
        store
            .record_roll_call(
                &b.id,
                &p[2].id,
                &answer("substitute", Some("Phó Chủ tịch"), None),
                T0,
            )
            .unwrap();
        store
            .record_roll_call(&b.id, &p[5].id, &answer("absent", None, Some("Bão")), T0)
            .unwrap();

        let rows = store.attendance(&b.id, T0 + 3600 * SEC).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.point.as_str(), &r.attendance))
            .collect();
        assert_eq!(
            got,
            [
                ("Sở TT&TT", &Attendance::Host),
                ("UBND huyện Kỳ Sơn", &Attendance::Present),
                (
                    "UBND thị xã Cửa Lò",
                    &Attendance::Substitute {
                        substitute: "Phó Chủ tịch".into()
                    }
                ),
                ("UBND thị xã Hoàng Mai", &Attendance::NoAnswer),
                ("Trung tâm Y tế huyện Quỳ Hợp", &Attendance::NoAnswer),
                (
                    "UBND huyện Nghi Lộc",
                    &Attendance::Absent {
                        reason: Some("Bão".into())
                    }
                ),
            ]
        );
        assert_eq!(
            serde_json::to_value(&rows[5].attendance).unwrap(),
            serde_json::json!({"status": "absent", "reason": "Bão"})
        );

        // Without a roll-call, connected points are present.
        let (other, q) = briefing_with(&store, &points);
        store.record_join(&other.id, &q[1].id, T0).unwrap();
        let rows = store.attendance(&other.id, T0 + 60 * SEC).unwrap();
        assert_eq!(rows[1].attendance, Attendance::Present);
        assert_eq!(rows[2].attendance, Attendance::Absent { reason: None });
    }

    #[test]
    fn answers_from_before_the_roll_call_start_was_noted_mean_one_was_held() {
        // A database of an earlier version recorded every point that had not answered as
        // absent: a connected one among them did not answer.
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        store.record_join(&b.id, &p[1].id, T0).unwrap();
        for point in &p {
            store
                .record_roll_call(&b.id, &point.id, &answer("absent", None, None), T0)
                .unwrap();
        }
        let rows = store.attendance(&b.id, T0 + 60 * SEC).unwrap();
        assert_eq!(rows[0].attendance, Attendance::Host);
        assert_eq!(rows[1].attendance, Attendance::NoAnswer);
        assert_eq!(rows[2].attendance, Attendance::Absent { reason: None });
    }

    #[test]
    fn reconnects_add_up_and_quality_is_weighted_by_duration() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);

        let first = store.record_join(&b.id, &p[1].id, T0).unwrap();
        store
            .record_leave(first, T0 + 60 * SEC, quality(10.0, 0.0))
            .unwrap();
        let second = store.record_join(&b.id, &p[1].id, T0 + 120 * SEC).unwrap();
        store
            .record_leave(second, T0 + 300 * SEC, quality(50.0, 0.04))
            .unwrap();

        let rows = store.attendance(&b.id, T0 + 3600 * SEC).unwrap();

        let row = &rows[1];
        assert_eq!(row.point, "UBND huyện Kỳ Sơn");
        assert_eq!(
            row.sessions,
            [
                session("2026-12-01T01:00:00Z", Some("2026-12-01T01:01:00Z")),
                session("2026-12-01T01:02:00Z", Some("2026-12-01T01:05:00Z")),
            ]
        );
        assert_eq!(row.first_joined_at.as_deref(), Some("2026-12-01T01:00:00Z"));
        assert_eq!(row.last_left_at.as_deref(), Some("2026-12-01T01:05:00Z"));
        assert_eq!(row.present_seconds, 60 + 180);
        // (60 s × 10 ms + 180 s × 50 ms) / 240 s
        let rtt = row.avg_rtt_ms.unwrap();
        assert!((rtt - 40.0).abs() < 0.01, "{rtt}");
        let loss = row.avg_loss.unwrap();
        assert!((loss - 0.03).abs() < 0.0001, "{loss}");
    }

    #[test]
    fn connections_that_overlap_share_one_session_until_the_last_leaves() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let point = &p[2].id;

        // A reconnect races the old connection's close: connections [0, 40], [30, 100] and
        // [50, 60] overlap and make one session [0, 100]. Then a separate session [200, 210].
        let a = store.record_join(&b.id, point, T0).unwrap();
        let b2 = store.record_join(&b.id, point, T0 + 30 * SEC).unwrap();
        let c = store.record_join(&b.id, point, T0 + 50 * SEC).unwrap();
        assert_eq!((a, a), (b2, c), "one session");
        store.record_leave(c, T0 + 60 * SEC, None).unwrap();
        store.record_leave(a, T0 + 40 * SEC, None).unwrap();
        let open = store.attendance(&b.id, T0 + 90 * SEC).unwrap().remove(2);
        assert_eq!(open.sessions, [session("2026-12-01T01:00:00Z", None)]);
        store.record_leave(b2, T0 + 100 * SEC, None).unwrap();
        let d = store.record_join(&b.id, point, T0 + 200 * SEC).unwrap();
        store.record_leave(d, T0 + 210 * SEC, None).unwrap();

        let row = store.attendance(&b.id, T0 + 3600 * SEC).unwrap().remove(2);

        assert_eq!(row.present_seconds, 100 + 10);
        assert_eq!(
            row.sessions,
            [
                session("2026-12-01T01:00:00Z", Some("2026-12-01T01:01:40Z")),
                session("2026-12-01T01:03:20Z", Some("2026-12-01T01:03:30Z")),
            ]
        );
        assert_eq!((row.avg_rtt_ms, row.avg_loss), (None, None));
    }

    #[test]
    fn a_short_gap_continues_the_session_and_a_long_one_starts_another() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let point = &p[1].id;

        let first = store.record_join(&b.id, point, T0).unwrap();
        store.record_leave(first, T0 + 60 * SEC, None).unwrap();
        // Back 5 s later: the same session, open again.
        let again = store.record_join(&b.id, point, T0 + 65 * SEC).unwrap();
        assert_eq!(again, first);
        store.record_leave(again, T0 + 120 * SEC, None).unwrap();
        // Back after the window: a new session.
        let later = store
            .record_join(&b.id, point, T0 + 120 * SEC + RESUME_WINDOW_MS + SEC)
            .unwrap();
        assert_ne!(later, first);

        let row = store.attendance(&b.id, T0 + 3600 * SEC).unwrap().remove(1);
        assert_eq!(row.sessions.len(), 2);
        assert_eq!(
            row.sessions[0],
            session("2026-12-01T01:00:00Z", Some("2026-12-01T01:02:00Z"))
        );
    }

    #[test]
    fn an_open_session_counts_until_now() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let closed = store.record_join(&b.id, &p[0].id, T0).unwrap();
        store.record_leave(closed, T0 + 30 * SEC, None).unwrap();
        store.record_join(&b.id, &p[0].id, T0 + 60 * SEC).unwrap();
        // A second connection while the first is open shares its session.
        store.record_join(&b.id, &p[0].id, T0 + 90 * SEC).unwrap();

        let row = store.attendance(&b.id, T0 + 150 * SEC).unwrap().remove(0);

        assert_eq!(row.present_seconds, 30 + 90);
        assert_eq!(row.last_left_at, None, "still connected");
        assert_eq!(
            row.sessions,
            [
                session("2026-12-01T01:00:00Z", Some("2026-12-01T01:00:30Z")),
                session("2026-12-01T01:01:00Z", None),
            ]
        );
        // A report for a moment before an open session began counts nothing for it.
        let early = store.attendance(&b.id, T0 + 45 * SEC).unwrap().remove(0);
        assert_eq!(early.present_seconds, 30);
    }

    #[test]
    fn every_invited_point_has_a_row_in_order_even_if_it_never_joined() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let (other, other_points) = briefing_with(&store, POINTS);
        store
            .record_join(&other.id, &other_points[3].id, T0)
            .unwrap();
        store.revoke_point(&b.id, "UBND thị xã Cửa Lò").unwrap();
        let s = store.record_join(&b.id, &p[0].id, T0).unwrap();
        store.record_leave(s, T0 + 90 * SEC, None).unwrap();

        let rows = store.attendance(&b.id, T0 + 3600 * SEC).unwrap();

        let names: Vec<_> = rows.iter().map(|r| r.point.as_str()).collect();
        assert_eq!(
            names,
            [
                "Sở TT&TT",
                "UBND huyện Kỳ Sơn",
                "UBND thị xã Cửa Lò",
                "Trung tâm Y tế huyện Quỳ Hợp"
            ]
        );
        assert_eq!(rows[0].role, Role::Host);
        assert_eq!(rows[0].present_seconds, 90);
        assert_eq!(rows[1], absent_row("UBND huyện Kỳ Sơn", Role::Point));
        assert_eq!(rows[2], absent_row("UBND thị xã Cửa Lò", Role::Point));
        assert_eq!(
            rows[3],
            absent_row("Trung tâm Y tế huyện Quỳ Hợp", Role::Point),
            "another briefing's session of a point with the same name does not count"
        );
        assert!(matches!(
            store.attendance(&BriefingId("nope".into()), T0),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn roll_call_answers_appear_in_the_report() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let substitute = RollCallRecord {
            status: "substitute".into(),
            substitute: Some("Phó Chủ tịch Lê Văn Hùng".into()),
            reason: Some("Chủ tịch đi công tác".into()),
        };
        store
            .record_roll_call(&b.id, &p[1].id, &substitute, T0)
            .unwrap();

        let rows = store.attendance(&b.id, T0).unwrap();

        assert_eq!(rows[1].roll_call.as_ref(), Some(&substitute));
        assert_eq!(rows[2].roll_call, None);
    }

    #[test]
    fn leaving_is_idempotent_and_keeps_the_first_leave() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let s = store.record_join(&b.id, &p[1].id, T0).unwrap();

        store
            .record_leave(s, T0 + 60 * SEC, quality(20.0, 0.01))
            .unwrap();
        store
            .record_leave(s, T0 + 120 * SEC, quality(90.0, 0.5))
            .unwrap();
        store.record_leave(s, T0 + 180 * SEC, None).unwrap();

        let row = store.attendance(&b.id, T0 + 3600 * SEC).unwrap().remove(1);
        assert_eq!(row.last_left_at.as_deref(), Some("2026-12-01T01:01:00Z"));
        assert_eq!(row.present_seconds, 60);
        assert_eq!((row.avg_rtt_ms, row.avg_loss), (Some(20.0), Some(0.01)));
    }

    #[test]
    fn a_leave_before_the_join_counts_nothing() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let s = store.record_join(&b.id, &p[1].id, T0).unwrap();

        store
            .record_leave(s, T0 - 60 * SEC, quality(30.0, 0.0))
            .unwrap();

        let row = store.attendance(&b.id, T0 + 3600 * SEC).unwrap().remove(1);
        assert_eq!(
            row.sessions,
            [session(
                "2026-12-01T01:00:00Z",
                Some("2026-12-01T01:00:00Z")
            )]
        );
        assert_eq!(row.present_seconds, 0);
        // Zero-length sessions still report their quality (a plain mean).
        assert_eq!(row.avg_rtt_ms, Some(30.0));
    }

    #[test]
    fn bad_joins_and_leaves_are_refused() {
        let (_dir, store) = temp_store();
        let (a, pa) = briefing_with(&store, POINTS);
        let (_, pb) = briefing_with(&store, POINTS);
        let s = store.record_join(&a.id, &pa[1].id, T0).unwrap();

        assert!(matches!(
            store.record_join(&a.id, &pb[1].id, T0),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.record_leave(s + 1000, T0, None),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.record_join(&a.id, &pa[1].id, u64::MAX),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.record_leave(s, u64::MAX, None),
            Err(StoreError::Invalid(_))
        ));
        let row = store.attendance(&a.id, T0 + 10 * SEC).unwrap().remove(1);
        assert_eq!(
            row.sessions,
            [session("2026-12-01T01:00:00Z", None)],
            "still open"
        );
    }

    #[test]
    fn an_implausible_quality_is_dropped_but_the_leave_is_kept() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);

        for (i, bad) in [
            quality(f64::NAN, 0.0),
            quality(-1.0, 0.0),
            quality(f64::INFINITY, 0.0),
            quality(10.0, 1.5),
            quality(10.0, -0.1),
            quality(10.0, f64::NAN),
        ]
        .into_iter()
        .enumerate()
        {
            let start = T0 + i as u64 * 100 * SEC;
            let s = store.record_join(&b.id, &p[1].id, start).unwrap();
            store.record_leave(s, start + 10 * SEC, bad).unwrap();
        }

        let row = store.attendance(&b.id, T0 + 3600 * SEC).unwrap().remove(1);
        assert_eq!(row.sessions.len(), 6);
        assert!(row.sessions.iter().all(|s| s.left_at.is_some()));
        assert_eq!(row.present_seconds, 60);
        assert_eq!((row.avg_rtt_ms, row.avg_loss), (None, None));
    }

    #[test]
    fn sessions_floor_grants_and_presentations_left_open_by_a_crash_are_closed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (b, p) = briefing_with(&store, POINTS);
        let (other, other_points) = briefing_with(&store, POINTS);
        let done = store.record_join(&b.id, &p[1].id, T0).unwrap();
        store.record_leave(done, T0 + 10 * SEC, None).unwrap();
        // Back after more than the resume window: a session of its own.
        store.record_join(&b.id, &p[1].id, T0 + 50 * SEC).unwrap();
        store.record_join(&b.id, &p[2].id, T0 + 30 * SEC).unwrap();
        store
            .record_join(&other.id, &other_points[0].id, T0)
            .unwrap();
        // Joined "after" the restart time: closed at its own start.
        store.record_join(&b.id, &p[3].id, T0 + 900 * SEC).unwrap();
        store
            .record_floor_start(&b.id, &p[2].id, T0 + 40 * SEC, Some(60))
            .unwrap();
        store
            .record_presentation_start(&b.id, &p[2].id, T0 + 45 * SEC)
            .unwrap();
        let stopped = store
            .record_presentation_start(&b.id, &p[1].id, T0 + 50 * SEC)
            .unwrap();
        store
            .record_presentation_end(stopped, T0 + 55 * SEC, "stopped")
            .unwrap();
        // Started "after" the restart time: closed at its own start.
        store
            .record_presentation_start(&b.id, &p[3].id, T0 + 900 * SEC)
            .unwrap();
        drop(store);

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.close_open_sessions(T0 + 600 * SEC).unwrap(), 4);
        assert_eq!(store.close_open_sessions(T0 + 700 * SEC).unwrap(), 0);

        let rows = store.attendance(&b.id, T0 + 3600 * SEC).unwrap();
        assert_eq!(rows[1].present_seconds, 10 + 550);
        assert_eq!(
            rows[1].last_left_at.as_deref(),
            Some("2026-12-01T01:10:00Z")
        );
        assert_eq!(rows[2].present_seconds, 570);
        assert_eq!(rows[3].present_seconds, 0);
        assert_eq!(
            rows[3].last_left_at.as_deref(),
            Some("2026-12-01T01:15:00Z")
        );
        let floor = store.floor_log(&b.id).unwrap();
        assert_eq!(floor[0].ended_at.as_deref(), Some("2026-12-01T01:10:00Z"));
        assert_eq!(floor[0].end_reason.as_deref(), Some(FLOOR_END_RESTART));
        let ends: Vec<_> = store
            .presentations(&b.id)
            .unwrap()
            .into_iter()
            .map(|s| (s.ended_at.unwrap(), s.end_reason.unwrap()))
            .collect();
        assert_eq!(
            ends,
            [
                ("2026-12-01T01:10:00Z".into(), FLOOR_END_RESTART.into()),
                ("2026-12-01T01:00:55Z".into(), "stopped".into()),
                ("2026-12-01T01:15:00Z".into(), FLOOR_END_RESTART.into()),
            ]
        );
    }

    #[test]
    fn json_has_exactly_the_documented_fields() {
        let (_dir, store) = temp_store();
        let (b, p) = briefing_with(&store, POINTS);
        let s = store.record_join(&b.id, &p[1].id, T0).unwrap();
        store
            .record_leave(s, T0 + 60 * SEC, quality(12.5, 0.02))
            .unwrap();
        store.record_join(&b.id, &p[1].id, T0 + 90 * SEC).unwrap();
        store
            .record_roll_call(
                &b.id,
                &p[1].id,
                &RollCallRecord {
                    status: "present".into(),
                    substitute: None,
                    reason: None,
                },
                T0,
            )
            .unwrap();

        let rows = store.attendance(&b.id, T0 + 120 * SEC).unwrap();
        let json = serde_json::to_value(&rows).unwrap();

        let keys = |v: &serde_json::Value| {
            let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&json[1]),
            [
                "attendance",
                "avg_loss",
                "avg_rtt_ms",
                "first_joined_at",
                "last_left_at",
                "point",
                "present_seconds",
                "role",
                "roll_call",
                "sessions",
            ]
        );
        assert_eq!(keys(&json[0]), keys(&json[1]));
        assert_eq!(
            json[1],
            serde_json::json!({
                "point": "UBND huyện Kỳ Sơn",
                "role": "point",
                "sessions": [
                    {"joined_at": "2026-12-01T01:00:00Z", "left_at": "2026-12-01T01:01:00Z"},
                    {"joined_at": "2026-12-01T01:01:30Z", "left_at": null},
                ],
                "first_joined_at": "2026-12-01T01:00:00Z",
                "last_left_at": null,
                "present_seconds": 90,
                "roll_call": {"status": "present"},
                "attendance": {"status": "present"},
                "avg_rtt_ms": 12.5,
                "avg_loss": 0.02,
            })
        );
        assert_eq!(json[0]["role"], "host");
        assert_eq!(json[0]["roll_call"], serde_json::Value::Null);
        assert_eq!(json[0]["attendance"], serde_json::json!({"status": "host"}));
        assert_eq!(json[0]["avg_rtt_ms"], serde_json::Value::Null);
        assert_eq!(json[0]["sessions"], serde_json::json!([]));
    }

    #[test]
    fn minutes_are_rounded_half_up_to_one_decimal() {
        for (seconds, minutes) in [
            (0, "0.0"),
            (2, "0.0"),
            (3, "0.1"),
            (90, "1.5"),
            (7203, "120.1"),
            (u64::MAX, "307445734561825860.3"),
        ] {
            assert_eq!(minutes_one_decimal(seconds), minutes, "{seconds}");
        }
    }

    const HEADER: &str = "Điểm cầu,Vai trò,Số lần vào,Vào lần đầu,Rời lần cuối,\
        Thời gian có mặt (phút),Điểm danh,Người dự thay,Lý do vắng,RTT trung bình (ms),\
        Tỷ lệ mất gói (%)\r\n";

    #[test]
    fn csv_has_bom_header_and_vietnamese_labels() {
        let rows = vec![
            AttendanceRow {
                sessions: vec![
                    session("2026-12-01T01:00:00Z", Some("2026-12-01T01:30:00Z")),
                    session("2026-12-01T01:31:00Z", None),
                ],
                first_joined_at: Some("2026-12-01T01:00:00Z".into()),
                present_seconds: 2 * 3600 + 3,
                roll_call: Some(RollCallRecord {
                    status: "present".into(),
                    substitute: None,
                    reason: None,
                }),
                avg_rtt_ms: Some(23.4),
                avg_loss: Some(0.0125),
                ..absent_row("Sở TT&TT", Role::Host)
            },
            AttendanceRow {
                attendance: Attendance::Substitute {
                    substitute: "Phó Chủ tịch Lê Văn Hùng".into(),
                },
                ..absent_row("UBND huyện Kỳ Sơn", Role::Point)
            },
            AttendanceRow {
                attendance: Attendance::Absent {
                    reason: Some("không tham dự".into()),
                },
                ..absent_row("UBND thị xã Cửa Lò", Role::Point)
            },
            AttendanceRow {
                attendance: Attendance::NoAnswer,
                ..absent_row("UBND thị xã Hoàng Mai", Role::Point)
            },
            absent_row("Trung tâm Y tế huyện Quỳ Hợp", Role::Point),
        ];

        let csv = attendance_csv(&rows);

        assert!(csv.as_bytes().starts_with(b"\xef\xbb\xbf"), "UTF-8 BOM");
        let expected = [
            "\u{feff}",
            HEADER,
            "Sở TT&TT,Chủ trì,2,2026-12-01T01:00:00Z,,120.1,Chủ trì,,,23,1.25\r\n",
            "UBND huyện Kỳ Sơn,Điểm cầu,0,,,0.0,Dự thay,Phó Chủ tịch Lê Văn Hùng,,,\r\n",
            "UBND thị xã Cửa Lò,Điểm cầu,0,,,0.0,Vắng mặt,,không tham dự,,\r\n",
            "UBND thị xã Hoàng Mai,Điểm cầu,0,,,0.0,\"Có kết nối, không trả lời\",,,,\r\n",
            "Trung tâm Y tế huyện Quỳ Hợp,Điểm cầu,0,,,0.0,Vắng mặt,,,,\r\n",
        ]
        .concat();
        assert_eq!(csv.as_bytes(), expected.as_bytes());
        // Byte-exact diacritics: "Điểm cầu" precomposed (NFC), as stored.
        let diem_cau: &[u8] = b"\xc4\x90i\xe1\xbb\x83m c\xe1\xba\xa7u";
        assert!(csv.as_bytes()[3..].starts_with(diem_cau));
    }

    #[test]
    fn csv_quotes_and_defuses_typed_text() {
        let rows = vec![
            absent_row("Sở \"TT\", TT", Role::Host),
            absent_row("=cmd|' /C calc'!A0", Role::Point),
            absent_row("+84 Cửa Lò", Role::Point),
            absent_row("-1", Role::Point),
            absent_row("@SUM(A1)", Role::Point),
            AttendanceRow {
                attendance: Attendance::Absent {
                    reason: Some("=1+1, \"họp\"".into()),
                },
                ..absent_row("UBND huyện Kỳ Sơn", Role::Point)
            },
        ];

        let csv = attendance_csv(&rows);

        let lines: Vec<_> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines.len(), rows.len() + 2, "{csv}");
        assert_eq!(lines.last(), Some(&""), "every line ends with CRLF");
        assert!(
            lines[1].starts_with("\"Sở \"\"TT\"\", TT\",Chủ trì,"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("'=cmd|' /C calc'!A0,"), "{}", lines[2]);
        assert!(lines[3].starts_with("'+84 Cửa Lò,"), "{}", lines[3]);
        assert!(lines[4].starts_with("'-1,"), "{}", lines[4]);
        assert!(lines[5].starts_with("'@SUM(A1),"), "{}", lines[5]);
        assert!(
            lines[6].ends_with(",Vắng mặt,,\"'=1+1, \"\"họp\"\"\",,"),
            "{}",
            lines[6]
        );
        assert_eq!(csv.matches('\n').count(), csv.matches("\r\n").count());
    }

    #[test]
    fn csv_of_a_stored_report_round_trips_the_names() {
        let (_dir, store) = temp_store();
        let (b, _) = briefing_with(&store, &["=HYPERLINK(\"http://x\"), Cửa Lò"]);

        let csv = attendance_csv(&store.attendance(&b.id, T0).unwrap());

        assert!(
            csv.contains(
                "\r\n\"'=HYPERLINK(\"\"http://x\"\"), Cửa Lò\",Điểm cầu,0,,,0.0,Vắng mặt,,,,\r\n"
            ),
            "{csv}"
        );
    }
}
