//! Persistent state of giaoban and the tokens that grant access to it.
//!
//! A [`Store`] owns one data directory: the SQLite database `giaoban.sqlite3` with the units of
//! the province, briefings, their invited points, what directing them leaves behind (attendance
//! sessions, roll-call answers, the floor log, screen presentations, the lock), the written
//! comments of the points, what the host writes on the minutes, the log of official mail sent
//! to units, settings, admin accounts, login codes and sessions, the audit log of admin and host
//! actions, and `secret.key`, which signs the invitation tokens of points.
//! Every open store holds `giaoban.lock` shared; [`restore`] takes it exclusively to replace
//! the database with one saved by [`backup`].
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use giaoban_store::{NewBriefing, Store};
//!
//! let store = Store::open(std::path::Path::new("giaoban-data"))?;
//! let briefing = store.create_briefing(&NewBriefing {
//!     title: "Giao ban CNTT 6 tháng".into(),
//!     scheduled_start: Some("2026-12-01 08:00".into()),
//!     host: "Sở TT&TT".into(),
//!     points: vec!["UBND thị xã Cửa Lò".into()],
//!     ..Default::default()
//! })?;
//! for point in store.points(&briefing.id)? {
//!     println!("{}: /j/{}", point.name, store.token_for(&point));
//! }
//! # Ok(())
//! # }
//! ```

mod accounts;
mod admin;
mod agenda;
mod attendance;
mod audit;
mod backup;
mod briefings;
mod comments;
mod direction;
mod documents;
mod error;
mod follow_up;
mod ids;
mod indicator_set;
mod lock;
mod mail_log;
mod mailbox;
mod migrations;
mod minutes_details;
mod presentations;
mod recordings;
mod reports;
mod schedule;
mod secret;
mod settings;
mod signing;
mod statistics;
mod store;
mod text;
mod tokens;
mod units;
mod units_csv;

pub use accounts::{
    AdminAccount, LoginRefusal, MAX_ADMIN_NAME_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS,
};
pub use admin::{ADMIN_CODE_TTL_SECS, ADMIN_SESSION_TTL_SECS, AdminSession};
pub use agenda::{
    AgendaItem, MAX_AGENDA_ITEMS, MAX_AGENDA_TITLE_CHARS, MAX_DURATION_MINUTES,
    MAX_PRESENTER_CHARS, NewAgendaItem,
};
pub use attendance::{
    Attendance, AttendanceRow, AttendanceSession, QualitySummary, attendance_csv,
};
pub use audit::{
    ActorKind, AuditEntry, AuditFilter, AuditRecord, MAX_AUDIT_DETAILS_BYTES,
    MAX_AUDIT_FIELD_CHARS, MAX_AUDIT_ROWS, audit_csv,
};
pub use backup::{BackupReport, RestoreReport, SecretOutcome, backup, restore};
pub use briefings::{Briefing, MAX_NAME_CHARS, MAX_POINTS, MAX_TITLE_CHARS, NewBriefing, Point};
pub use comments::{
    Comment, MAX_COMMENT_ANSWER_CHARS, MAX_COMMENT_CHARS, MAX_COMMENTS_PER_BRIEFING,
};
pub use direction::{
    FLOOR_END_RESTART, FloorRecord, MAX_FLOOR_END_REASON_CHARS, MAX_FLOOR_NOTE_CHARS,
    MAX_REASON_CHARS, RollCallRecord,
};
pub use documents::{
    Document, DocumentQuota, DocumentRejection, MAX_DOCUMENT_BYTES, MAX_FILE_NAME_CHARS,
    NewDocument, check_document,
};
pub use error::{AuthError, StoreError};
pub use follow_up::{
    Concern, ConcernKind, Conclusion, MAX_ANSWER_CHARS, MAX_CONCERN_CHARS, MAX_CONCLUSION_CHARS,
    MAX_PROGRESS_NOTE_CHARS, MAX_TASK_CHARS, MAX_TASK_OWNERS, NewTask, Task, TaskOwner, TaskPatch,
    TaskProgress, TaskState, TaskStatus,
};
pub use indicator_set::{IndicatorDefinition, NewIndicatorDefinition};
pub use lock::LOCK_FILE;
pub use mail_log::{MAX_MAIL_ERROR_CHARS, MailAttempt, MailKind, MailRecord, MailStatus};
pub use minutes_details::{
    MAX_MINUTES_CHAIR_CHARS, MAX_MINUTES_NUMBER_CHARS, MAX_MINUTES_PLACE_CHARS, MinutesDetails,
};
pub use presentations::{MAX_PRESENTATION_END_REASON_CHARS, PresentationRecord};
pub use recordings::{RECORDING_END_RESTART, RECORDING_FILE_KINDS, Recording, RecordingFile};
pub use reports::{
    Aggregate, Dashboard, DashboardIndicator, DashboardPoint, Indicator, MAX_INDICATOR_MAGNITUDE,
    MAX_INDICATOR_NAME_CHARS, MAX_INDICATORS, MAX_MEASURE_CHARS, MAX_NARRATIVE_CHARS, NewIndicator,
    PointIndicator, Report, ReportStatus,
};
pub use schedule::unix_of as unix_seconds;
pub use signing::MAX_TOKEN_LEN;
pub use statistics::{UnitStatistics, statistics_csv};
pub use store::{DB_FILE, Store};
pub use tokens::Invitation;
pub use units::{
    ImportReport, MAX_IMPORT_UNITS, MAX_UNIT_CODE_CHARS, MAX_UNIT_EMAILS, MAX_UNIT_NAME_CHARS,
    Unit, UnitCode,
};

#[cfg(test)]
mod test_support;
