//! The minutes ("biên bản") of a briefing: gathered from the store, served as JSON, as a page
//! and as a PDF, and mailed to the invited units. See docs/substance.md ("Minutes").

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_minutes::{
    AttendanceLine, AttendanceStatus, ConcernLine, Minutes, SpeakerLine, TaskLine, TaskStatus,
};
use giaoban_model::Role;
use giaoban_store::{self as store, AttendanceRow, Briefing, ConcernKind, Store, StoreError};

use crate::access::Access;
use crate::direction::unix_ms;
use crate::error::ApiError;
use crate::mail_api::mailer;
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/minutes`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/minutes", get(json))
        .route("/api/briefings/{id}/minutes.html", get(html))
        .route("/api/briefings/{id}/minutes.pdf", get(pdf))
        .route("/api/briefings/{id}/minutes/mail", post(mail))
}

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
/// when nobody joined); attendance comes from the roll-call when a point answered it and from
/// the attendance log otherwise.
pub(crate) fn assemble(store: &Store, briefing: &Briefing) -> Result<Minutes, StoreError> {
    let id = &briefing.id;
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
            topic: None,
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
        number: None,
        locality,
        place: format!("Điểm cầu chủ trì: {host_name}"),
        started_at,
        ended_at,
        host: host_name,
        chair: None,
        secretary: None,
        attendance: attendance.iter().map(attendance_line).collect(),
        agenda,
        speakers,
        concerns,
        conclusions,
        tasks,
    })
}

/// An RFC 3339 time in Vietnam time (UTC+7), in which the minutes are written; text that is
/// not RFC 3339 is kept as it is.
fn in_vietnam(t: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::macros::offset!(+7)).format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_owned())
}

/// How one point took part: its roll-call answer if it gave one, else whether it joined.
fn attendance_line(row: &AttendanceRow) -> AttendanceLine {
    let status = match row.roll_call.as_ref().map(|r| r.status.as_str()) {
        Some("present") => AttendanceStatus::Present { detail: None },
        Some("substitute") => AttendanceStatus::Substitute {
            detail: row
                .roll_call
                .as_ref()
                .and_then(|r| r.substitute.clone())
                .unwrap_or_default(),
        },
        Some(_) => AttendanceStatus::Absent {
            detail: row.roll_call.as_ref().and_then(|r| r.reason.clone()),
        },
        None if row.sessions.is_empty() => AttendanceStatus::Absent { detail: None },
        None => AttendanceStatus::Present { detail: None },
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

/// The minutes of the briefing the host (or the organiser) asks about.
fn minutes_for(state: &AppState, access: &Access) -> Result<Minutes, ApiError> {
    access.require_host()?;
    Ok(assemble(&state.store, &access.briefing)?)
}

async fn json(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    Ok(Json(minutes_for(&state, &access)?).into_response())
}

async fn html(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    let page = giaoban_minutes::render_html(&minutes_for(&state, &access)?);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        page,
    )
        .into_response())
}

async fn pdf(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    let minutes = minutes_for(&state, &access)?;
    // Laying out a long briefing takes some milliseconds of CPU: off the async threads.
    let pdf = tokio::task::spawn_blocking(move || giaoban_minutes::render_pdf(&minutes))
        .await
        .map_err(|e| internal(&e.to_string()))?
        .map_err(|e| internal(&e.to_string()))?;
    let disposition = format!("attachment; filename=\"bien-ban-{}.pdf\"", access.id().0);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        pdf,
    )
        .into_response())
}

/// Queues the minutes to every invited unit; answers before anything is sent.
async fn mail(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    access.require_host()?;
    let queued = mailer(&state)?.send_minutes(access.id())?;
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

fn internal(reason: &str) -> ApiError {
    tracing::error!("minutes: {reason}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the minutes could not be rendered",
    )
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use giaoban_store::ConcernKind;
    use serde_json::json;

    use super::*;
    use crate::test_app::TestApp;

    /// Fills the test briefing with a meeting: agenda, attendance, a floor grant, a concern
    /// with its answer, a conclusion and a task.
    fn hold_briefing(app: &TestApp) {
        let store = &app.store;
        let id = app.briefing_id();
        let points = store.points(&id).unwrap();
        let (host, cualo, nghiloc) = (&points[0], &points[2], &points[3]);
        store
            .set_agenda(
                &id,
                &[store::NewAgendaItem {
                    title: "Báo cáo kết quả 6 tháng đầu năm".into(),
                    presenter: Some("Giám đốc Sở".into()),
                    ..Default::default()
                }],
            )
            .unwrap();
        let t0 = 1_782_781_200_000; // 2026-06-30T01:00:00Z, 08:00 in Vietnam
        let s = store.record_join(&id, &host.id, t0).unwrap();
        store.record_leave(s, t0 + 7_200_000, None).unwrap();
        let s = store.record_join(&id, &cualo.id, t0 + 60_000).unwrap();
        store.record_leave(s, t0 + 7_000_000, None).unwrap();
        let grant = store
            .record_floor_start(&id, &cualo.id, t0 + 600_000, Some(300))
            .unwrap();
        store
            .record_floor_end(grant, t0 + 840_000, "revoked")
            .unwrap();
        let concern = store
            .raise_concern(
                nghiloc,
                ConcernKind::Proposal,
                "Đề nghị hỗ trợ kinh phí đài truyền thanh cơ sở",
                None,
            )
            .unwrap();
        store
            .answer_concern(&id, concern.id, "Sở tổng hợp, trình UBND tỉnh")
            .unwrap();
        store
            .add_conclusion(&id, "Các địa phương hoàn thành chỉ tiêu năm")
            .unwrap();
        app.task(
            &id,
            "Rà soát hệ thống đài truyền thanh cấp xã",
            &["UBND-NGHILOC", "UBND-CUALO"],
        );
    }

    #[tokio::test]
    async fn only_the_host_or_the_organiser_gets_the_minutes() {
        let app = TestApp::new().await;
        for path in ["/minutes", "/minutes.html", "/minutes.pdf", "/minutes/mail"] {
            let method = if path.ends_with("mail") {
                "POST"
            } else {
                "GET"
            };
            app.assert_roles(method, &app.path(path), None, &["admin", "host"])
                .await;
        }
    }

    #[tokio::test]
    async fn the_minutes_gather_attendance_floor_concerns_conclusions_and_tasks() {
        let app = TestApp::new().await;
        hold_briefing(&app);

        let answer = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await;

        assert_eq!(answer.status, StatusCode::OK);
        let m = answer.json();
        assert_eq!(m["title"], "Giao ban CNTT 6 tháng đầu năm 2026");
        assert_eq!(m["organisation"], "Sở Thông tin và Truyền thông");
        assert_eq!(m["parent_organisation"], "UBND tỉnh Nghệ An");
        assert_eq!(m["locality"], "Nghệ An");
        // Written in Vietnam time, whatever the store keeps.
        assert_eq!(m["started_at"], "2026-06-30T08:00:00+07:00");
        assert_eq!(m["ended_at"], "2026-06-30T10:00:00+07:00");
        assert_eq!(m["speakers"][0]["from"], "2026-06-30T08:10:00+07:00");
        assert_eq!(
            m["agenda"],
            json!(["Báo cáo kết quả 6 tháng đầu năm (Giám đốc Sở)"])
        );
        let attendance = m["attendance"].as_array().unwrap();
        let status_of = |name: &str| {
            attendance.iter().find(|l| l["point"] == name).unwrap()["status"]["kind"].clone()
        };
        assert_eq!(status_of("UBND thị xã Cửa Lò"), "present");
        assert_eq!(status_of("UBND huyện Nghi Lộc"), "absent");
        assert_eq!(m["speakers"][0]["point"], "UBND thị xã Cửa Lò");
        assert_eq!(
            m["concerns"][0]["text"],
            "Kiến nghị: Đề nghị hỗ trợ kinh phí đài truyền thanh cơ sở"
        );
        assert_eq!(m["concerns"][0]["answer"], "Sở tổng hợp, trình UBND tỉnh");
        assert_eq!(
            m["conclusions"],
            json!(["Các địa phương hoàn thành chỉ tiêu năm"])
        );
        assert_eq!(
            m["tasks"][0]["owners"],
            json!(["UBND huyện Nghi Lộc", "UBND thị xã Cửa Lò"])
        );
        assert_eq!(m["tasks"][0]["status"], "open");
    }

    #[tokio::test]
    async fn the_pdf_keeps_vietnamese_text_extractable() {
        let app = TestApp::new().await;
        hold_briefing(&app);

        let answer = app
            .send("GET", &app.path("/minutes.pdf"), Some(&app.admin), None)
            .await;

        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(
            answer.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains(&format!("bien-ban-{}.pdf", app.id))
        );
        assert!(answer.bytes.starts_with(b"%PDF-"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bien-ban.pdf");
        std::fs::write(&file, &answer.bytes).unwrap();
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test");
        assert!(out.status.success(), "{out:?}");
        // pdftotext breaks lines where the layout does; compare with single spaces.
        let text = String::from_utf8(out.stdout).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [
            "Giao ban CNTT 6 tháng đầu năm 2026",
            "UBND thị xã Cửa Lò",
            "UBND huyện Nghi Lộc",
            "Rà soát hệ thống đài truyền thanh cấp xã",
            "Các địa phương hoàn thành chỉ tiêu năm",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }

    #[tokio::test]
    async fn the_page_is_html_and_mail_needs_smtp() {
        let app = TestApp::new().await;
        hold_briefing(&app);

        let page = app
            .send("GET", &app.path("/minutes.html"), Some(&app.host), None)
            .await;
        let mail = app
            .send("POST", &app.path("/minutes/mail"), Some(&app.host), None)
            .await;

        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            page.headers[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let body = String::from_utf8(page.bytes.to_vec()).unwrap();
        assert!(body.contains("Rà soát hệ thống đài truyền thanh cấp xã"));
        assert_eq!(mail.status, StatusCode::CONFLICT);
        assert_eq!(mail.code(), "mail_not_configured");
    }

    #[tokio::test]
    async fn the_minutes_are_queued_to_the_invited_units_like_invitations() {
        // Port 1 on loopback: nothing listens; what is queued does not depend on it.
        let app = TestApp::with_smtp("smtp://127.0.0.1:1").await;
        hold_briefing(&app);

        let mail = app
            .send("POST", &app.path("/minutes/mail"), Some(&app.host), None)
            .await;

        assert_eq!(mail.status, StatusCode::ACCEPTED, "{}", mail.json());
        assert_eq!(
            mail.json(),
            json!({"queued": 2, "skipped": [
                {"point": "Phòng họp dự phòng", "reason": "not_a_unit"},
                {"point": "UBND huyện Nghi Lộc", "reason": "no_email"},
            ]})
        );
    }
}
