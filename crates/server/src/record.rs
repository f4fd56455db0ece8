//! The minutes ("biên bản") of a briefing as the store knows them: assembled for the HTTP API,
//! the official mail and the demo.

use giaoban_minutes::{
    AttendanceLine, AttendanceStatus, CommentLine, ConcernLine, Minutes, PresentationLine,
    RecordingLine, SpeakerLine, TaskLine, TaskStatus,
};
use giaoban_model::Role;
use giaoban_store::{
    self as store, Attendance, AttendanceRow, Briefing, ConcernKind, Store, StoreError,
};

use crate::clock::{rfc3339_ms, unix_ms};

/// Prefixes of a province's People's Committee, whose rest is the place name of the dateline.
const PROVINCE_PREFIXES: &[&str] = &[
    "UBND tỉnh ",
    "UBND thành phố ",
    "Ủy ban nhân dân tỉnh ",
    "Ủy ban nhân dân thành phố ",
];

/// The minutes of `briefing` as the store knows them now.
///
/// The organisation is the host point (its unit's name when it is a unit), under the host
/// unit's parent; the time runs from the first join to the last leave (the scheduled start
/// when nobody joined); attendance comes from the connection sessions, confirmed by the
/// roll-call ([`Attendance`]). The number, chair and secretary are the host's
/// [`giaoban_store::MinutesDetails`]; so is the place, which is otherwise the host point's name.
pub fn assemble(store: &Store, briefing: &Briefing) -> Result<Minutes, StoreError> {
    let id = &briefing.id;
    let details = store.minutes_details(id)?;
    let points = store.points(id)?;
    let host = points.iter().find(|p| p.role == Role::Host);
    let host_name = host.map_or_else(String::new, |p| p.name.clone());
    let host_unit = match host.and_then(|p| p.unit_code.as_ref()) {
        Some(code) => store.unit(code.as_str())?,
        None => None,
    };
    let parent = match host_unit.as_ref().and_then(|u| u.parent_code.as_ref()) {
        Some(code) => store.unit(code.as_str())?,
        None => None,
    };
    let locality = parent.as_ref().and_then(|p| {
        PROVINCE_PREFIXES
            .iter()
            .find_map(|prefix| p.name.strip_prefix(prefix))
            .map(str::to_owned)
    });

    let attendance = store.attendance(id, unix_ms())?;
    let started_at = attendance
        .iter()
        .filter_map(|r| r.first_joined_at.as_deref())
        .min_by_key(|t| store::unix_seconds(t))
        .map_or_else(|| in_vietnam(&briefing.scheduled_start), in_vietnam);
    let still_connected = attendance
        .iter()
        .any(|r| r.sessions.iter().any(|s| s.left_at.is_none()));
    let ended_at = if still_connected {
        String::new()
    } else {
        attendance
            .iter()
            .filter_map(|r| r.last_left_at.as_deref())
            .max_by_key(|t| store::unix_seconds(t))
            .map(in_vietnam)
            .unwrap_or_default()
    };

    let agenda = store
        .agenda(id)?
        .into_iter()
        .map(|item| match item.presenter {
            Some(presenter) if !presenter.trim().is_empty() => {
                format!("{} ({presenter})", item.title)
            }
            _ => item.title,
        })
        .collect();
    let speakers = store
        .floor_log(id)?
        .into_iter()
        .map(|f| SpeakerLine {
            point: f.point_name,
            from: in_vietnam(&f.granted_at),
            to: f.ended_at.as_deref().map(in_vietnam).unwrap_or_default(),
            topic: f.note,
        })
        .collect();
    let presentations = store
        .presentations(id)?
        .into_iter()
        .map(|p| PresentationLine {
            point: p.point_name,
            from: in_vietnam(&p.started_at),
            to: p.ended_at.as_deref().map(in_vietnam).unwrap_or_default(),
        })
        .collect();
    let recordings = store
        .recordings(id)?
        .into_iter()
        .rev()
        .map(|r| RecordingLine {
            from: in_vietnam(&rfc3339_ms(r.started_at_ms)),
            to: r
                .ended_at_ms
                .map(|e| in_vietnam(&rfc3339_ms(e)))
                .unwrap_or_default(),
            interrupted: r.end_reason.as_deref() == Some(store::RECORDING_END_RESTART),
        })
        .collect();
    let comments = store
        .comments(id)?
        .into_iter()
        .map(|c| CommentLine {
            point: c.point_name,
            sent_at: in_vietnam(&crate::clock::rfc3339_ms(c.created_at_ms)),
            text: c.text,
            answer: c.answer,
        })
        .collect();
    let concerns = store
        .concerns(id)?
        .into_iter()
        .map(|c| ConcernLine {
            point: c.point,
            text: match c.kind {
                ConcernKind::Proposal => format!("Kiến nghị: {}", c.text),
                ConcernKind::Concern => c.text,
            },
            answer: c.answer,
        })
        .collect();
    let conclusions = store.conclusions(id)?.into_iter().map(|c| c.text).collect();
    // The briefing's own tasks, then those carried over from earlier briefings of the series,
    // which the follow-up at this briefing reviewed.
    let tasks = store
        .tasks(id)?
        .into_iter()
        .map(|t| TaskLine {
            text: if t.carried_over {
                format!("(Kỳ trước) {}", t.text)
            } else {
                t.text
            },
            owners: t.owners.into_iter().map(|o| o.name).collect(),
            deadline: Some(t.deadline),
            status: match t.status {
                store::TaskStatus::Open => TaskStatus::Open,
                store::TaskStatus::InProgress => TaskStatus::InProgress,
                store::TaskStatus::Done => TaskStatus::Done,
                store::TaskStatus::Overdue => TaskStatus::Overdue,
            },
        })
        .collect();

    Ok(Minutes {
        title: briefing.title.clone(),
        parent_organisation: parent.map(|p| p.name),
        organisation: host_name.clone(),
        number: details.number,
        locality,
        place: details
            .place
            .unwrap_or_else(|| format!("Điểm cầu chủ trì: {host_name}")),
        started_at,
        ended_at,
        host: host_name,
        chair: details.chair,
        secretary: details.secretary,
        attendance: attendance.iter().map(attendance_line).collect(),
        agenda,
        speakers,
        presentations,
        recordings,
        concerns,
        comments,
        conclusions,
        tasks,
    })
}

/// An RFC 3339 time in Vietnam time (UTC+7), in which the minutes are written; text that is
/// not RFC 3339, or whose time in Vietnam falls past the year 9999, is kept as it is.
fn in_vietnam(t: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(time::macros::offset!(+7)))
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_owned())
}

/// How one point took part, as the attendance record derives it.
fn attendance_line(row: &AttendanceRow) -> AttendanceLine {
    let status = match &row.attendance {
        Attendance::Host => AttendanceStatus::Host,
        Attendance::Present => AttendanceStatus::Present { detail: None },
        Attendance::Substitute { substitute } => AttendanceStatus::Substitute {
            detail: substitute.clone(),
        },
        Attendance::NoAnswer => AttendanceStatus::NoAnswer,
        Attendance::Absent { reason } => AttendanceStatus::Absent {
            detail: reason.clone(),
        },
        _ => AttendanceStatus::Absent { detail: None },
    };
    AttendanceLine {
        point: row.point.clone(),
        status,
        joined_at: row.first_joined_at.as_deref().map(in_vietnam),
        left_at: row.last_left_at.as_deref().map(in_vietnam),
        minutes_present: (row.present_seconds > 0)
            .then(|| u32::try_from(row.present_seconds.div_ceil(60)).unwrap_or(u32::MAX)),
    }
}
