//! The minutes ("biên bản") of a briefing: gathered from the store, served as JSON, as a page
//! and as a PDF, and mailed to the invited units; the host fills in the details the briefing
//! does not record (number, place, chair, secretary) and the secretary's note of what each
//! speaker said. See docs/substance.md ("Minutes").

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use giaoban_minutes::Minutes;
use giaoban_model::{Field, ProblemCode};
use giaoban_store::{FloorRecord, MinutesDetails};
use serde::Deserialize;

use super::auth::Access;
use super::error::ApiError;
use super::extract::{item_id, json_body};
use super::mail::mailer;
use crate::record;
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/minutes`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/minutes", get(json))
        .route("/api/briefings/{id}/minutes.html", get(html))
        .route("/api/briefings/{id}/minutes.pdf", get(pdf))
        .route("/api/briefings/{id}/minutes.docx", get(docx))
        .route("/api/briefings/{id}/minutes/mail", post(mail))
        .route(
            "/api/briefings/{id}/minutes/details",
            get(details).put(set_details),
        )
        .route("/api/briefings/{id}/minutes/speeches", get(speeches))
        .route(
            "/api/briefings/{id}/minutes/speeches/{grant}",
            put(set_speech_note),
        )
}

/// The minutes of the briefing the host (or the organiser) asks about.
fn minutes_for(state: &AppState, access: &Access) -> Result<Minutes, ApiError> {
    access.require_host()?;
    Ok(record::assemble(&state.store, &access.briefing)?)
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

/// The minutes as a Word document, for the secretary to edit before signing.
async fn docx(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    let minutes = minutes_for(&state, &access)?;
    let docx = giaoban_minutes::render_docx(&minutes);
    let disposition = format!("attachment; filename=\"bien-ban-{}.docx\"", access.id().0);
    Ok((
        [
            (header::CONTENT_TYPE, DOCX.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        docx,
    )
        .into_response())
}

/// The media type of a Word document (ECMA-376).
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Queues the minutes to every invited unit; answers before anything is sent.
async fn mail(State(state): State<AppState>, access: Access) -> Result<Response, ApiError> {
    access.require_host()?;
    let queued = mailer(&state)?.send_minutes(access.id())?;
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

/// The host's details of the minutes; all `null` until given.
async fn details(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<MinutesDetails>, ApiError> {
    access.require_host()?;
    Ok(Json(state.store.minutes_details(access.id())?))
}

/// Replaces the host's details of the minutes; answers them as stored.
async fn set_details(
    State(state): State<AppState>,
    access: Access,
    body: Result<Json<MinutesDetails>, JsonRejection>,
) -> Result<Json<MinutesDetails>, ApiError> {
    access.require_host()?;
    let body = json_body(body)?;
    let details = state.store.set_minutes_details(access.id(), &body)?;
    tracing::debug!(briefing = %access.id(), "minutes details set");
    Ok(Json(details))
}

/// Every floor grant of the briefing, the earliest first, with the secretary's notes.
async fn speeches(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Vec<FloorRecord>>, ApiError> {
    access.require_host()?;
    Ok(Json(state.store.floor_log(access.id())?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: String,
}

/// Writes the secretary's note of what was said during one floor grant; a blank note clears
/// it. Answers the grant as stored.
async fn set_speech_note(
    State(state): State<AppState>,
    access: Access,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Json<FloorRecord>, ApiError> {
    access.require_host()?;
    let grant = item_id(path, Field::FloorGrant)?;
    let body = json_body(body)?;
    let record = state.store.set_floor_note(access.id(), grant, &body.note)?;
    tracing::debug!(briefing = %access.id(), grant, "speech note set");
    Ok(Json(record))
}

fn internal(reason: &str) -> ApiError {
    tracing::error!("minutes: {reason}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ProblemCode::MinutesFailed,
    )
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use giaoban_store::{self as store, ConcernKind};
    use serde_json::{Value, json};

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

    /// Dates the API refuses, written into the database by hand: every form of the minutes is
    /// made all the same, the dates that cannot be converted printed as stored.
    #[tokio::test]
    async fn the_minutes_render_dates_at_the_edges_of_the_calendar() {
        let app = TestApp::new().await;
        hold_briefing(&app);
        let id = app.briefing_id();
        let other = giaoban_model::BriefingId(app.other_id.clone());
        let overdue = app.task(&other, "Việc kỳ trước", &["UBND-CUALO"]);
        // The first one is past the year 9999 in Vietnam time; the other briefing, whose task
        // this one follows up, is before the year 1.
        app.sql(&format!(
            "DELETE FROM attendance_sessions;
             UPDATE briefings SET scheduled_start = '9999-12-31T23:30:00-05:00' WHERE id = '{}';
             UPDATE briefings SET scheduled_start = '0000-01-01T00:00:00+14:00', series = 'cntt' WHERE id = '{}';
             UPDATE tasks SET deadline = '0000-01-01' WHERE briefing_id = '{}';
             UPDATE tasks SET deadline = '9999-12-31' WHERE id = {overdue};",
            id.0, other.0, id.0,
        ));

        let json = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await;
        assert_eq!(json.status, StatusCode::OK, "{}", json.json());
        assert_eq!(json.json()["started_at"], "9999-12-31T23:30:00-05:00");
        for (path, media_type) in [
            ("/minutes.html", "text/html"),
            ("/minutes.pdf", "application/pdf"),
            ("/minutes.docx", DOCX),
        ] {
            let answer = app
                .send("GET", &app.path(path), Some(&app.host), None)
                .await;

            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert!(
                answer.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(media_type),
                "{path}"
            );
            assert!(!answer.bytes.is_empty(), "{path}");
        }
        let html = app
            .send("GET", &app.path("/minutes.html"), Some(&app.host), None)
            .await;
        let html = String::from_utf8_lossy(&html.bytes).into_owned();
        assert!(
            html.contains("ngày 31 tháng 12 năm 9999"),
            "the start as written"
        );
        assert!(html.contains("01/01/0000"), "the deadline as written");
        assert!(
            html.contains("(Kỳ trước) Việc kỳ trước"),
            "carried over from the year 0"
        );
        assert!(html.contains("31/12/9999"), "its deadline");
    }

    #[tokio::test]
    async fn only_the_host_or_the_organiser_gets_the_minutes() {
        let app = TestApp::new().await;
        for path in [
            "/minutes",
            "/minutes.html",
            "/minutes.pdf",
            "/minutes.docx",
            "/minutes/mail",
        ] {
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
    async fn the_roll_call_confirms_attendance_and_the_minutes_list_each_group() {
        // The host and Cửa Lò are connected, Cửa Lò speaks; nobody else connects.
        let app = TestApp::new().await;
        hold_briefing(&app);
        let roll_call = app.path("/roll-call");
        let answers = app.path("/roll-call/answers");
        let answer = |point: &str, body: Value| {
            let mut body = body;
            body["point"] = json!(point);
            app.send("POST", &answers, Some(&app.host), Some(body))
        };

        let start = app.send("POST", &roll_call, Some(&app.host), None).await;
        let host = answer("Sở Thông tin và Truyền thông", json!({"status": "present"})).await;
        let named = answer(
            "Phòng họp dự phòng",
            json!({"status": "substitute", "substitute": "Bà Lê Thị Cúc"}),
        )
        .await;
        let nghi_loc = answer(
            "UBND huyện Nghi Lộc",
            json!({"status": "absent", "reason": "Mất điện do bão"}),
        )
        .await;
        let end = app.send("DELETE", &roll_call, Some(&app.host), None).await;

        assert_eq!(start.status, StatusCode::OK);
        assert_eq!(host.code(), "not_allowed", "the host is not asked");
        assert_eq!(named.status, StatusCode::OK, "{}", named.json());
        assert_eq!(nghi_loc.status, StatusCode::OK);
        assert_eq!(end.status, StatusCode::OK);
        assert_eq!(
            end.json()["roll_call"]["answers"],
            json!([
                {"point": "Phòng họp dự phòng", "status": "substitute", "substitute": "Bà Lê Thị Cúc"},
                {"point": "UBND thị xã Cửa Lò", "status": "no_answer"},
                {"point": "UBND huyện Nghi Lộc", "status": "absent", "reason": "Mất điện do bão"},
            ]),
            "Cửa Lò was connected: it did not answer, it is not absent"
        );

        let m = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await
            .json();
        let kinds: Vec<_> = m["attendance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["point"].clone(), l["status"].clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    json!("Sở Thông tin và Truyền thông"),
                    json!({"kind": "host"})
                ),
                (
                    json!("Phòng họp dự phòng"),
                    json!({"kind": "substitute", "detail": "Bà Lê Thị Cúc"})
                ),
                (json!("UBND thị xã Cửa Lò"), json!({"kind": "no_answer"})),
                (
                    json!("UBND huyện Nghi Lộc"),
                    json!({"kind": "absent", "detail": "Mất điện do bão"})
                ),
            ]
        );
        let csv = app
            .send(
                "GET",
                &app.path("/attendance?format=csv"),
                Some(&app.host),
                None,
            )
            .await;
        let csv = String::from_utf8(csv.bytes.to_vec()).unwrap();
        assert!(csv.contains("\"Có kết nối, không trả lời\""), "{csv}");

        let pdf = app
            .send("GET", &app.path("/minutes.pdf"), Some(&app.host), None)
            .await;
        let text = pdf_text(&pdf.bytes);
        for expected in [
            "3 trên 4 điểm cầu tham dự (gồm điểm cầu chủ trì; 1 điểm cầu cử người dự thay; \
             1 điểm cầu có kết nối nhưng không trả lời điểm danh), 1 điểm cầu vắng mặt.",
            "Dự thay: Phòng họp dự phòng (Bà Lê Thị Cúc).",
            "Có kết nối, không trả lời điểm danh: UBND thị xã Cửa Lò.",
            "Vắng mặt: UBND huyện Nghi Lộc (Mất điện do bão).",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
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
        let text = pdf_text(&answer.bytes);
        for expected in [
            "Giao ban CNTT 6 tháng đầu năm 2026",
            "UBND thị xã Cửa Lò",
            "UBND huyện Nghi Lộc",
            "Rà soát hệ thống đài truyền thanh cấp xã",
            // The lead's name wraps in its column.
            "Chủ trì: UBND huyện",
            "Phối hợp: UBND thị xã Cửa Lò",
            "Các địa phương hoàn thành chỉ tiêu năm",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }

    #[tokio::test]
    async fn the_docx_is_a_word_document_to_download() {
        let app = TestApp::new().await;
        hold_briefing(&app);

        let answer = app
            .send("GET", &app.path("/minutes.docx"), Some(&app.host), None)
            .await;

        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers[header::CONTENT_TYPE], DOCX);
        assert!(
            answer.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains(&format!("bien-ban-{}.docx", app.id))
        );
        assert!(answer.bytes.starts_with(b"PK\x03\x04"), "a ZIP archive");
        // Stored without compression: the text is in the archive as it is.
        let raw = String::from_utf8_lossy(&answer.bytes);
        for expected in [
            "word/document.xml",
            "Rà soát hệ thống đài truyền thanh cấp xã",
        ] {
            assert!(raw.contains(expected), "{expected:?}");
        }
    }

    /// Extracts the text of a PDF with pdftotext, whitespace collapsed to single spaces, as
    /// pdftotext breaks lines where the layout does.
    fn pdf_text(pdf: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bien-ban.pdf");
        std::fs::write(&file, pdf).unwrap();
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test");
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[tokio::test]
    async fn only_the_host_or_the_organiser_reads_and_sets_the_details() {
        let app = TestApp::new().await;
        let path = app.path("/minutes/details");

        app.assert_roles("GET", &path, None, &["admin", "host"])
            .await;
        app.assert_roles(
            "PUT",
            &path,
            Some(json!({"chair": "Ông Nguyễn Văn An"})),
            &["admin", "host"],
        )
        .await;
    }

    #[tokio::test]
    async fn the_details_read_back_and_a_too_long_chair_is_refused() {
        let app = TestApp::new().await;
        let path = app.path("/minutes/details");

        let empty = app.send("GET", &path, Some(&app.host), None).await;
        let set = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(json!({"number": " Số: 27/BB-STTTT ", "place": "", "chair": "Ông An"})),
            )
            .await;
        let long = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(json!({"chair": "a".repeat(201)})),
            )
            .await;
        let unknown_field = app
            .send(
                "PUT",
                &path,
                Some(&app.host),
                Some(json!({"chairman": "Ông An"})),
            )
            .await;
        let read = app.send("GET", &path, Some(&app.admin), None).await;

        assert_eq!(empty.status, StatusCode::OK);
        assert_eq!(
            empty.json(),
            json!({"number": null, "place": null, "chair": null, "secretary": null})
        );
        assert_eq!(set.status, StatusCode::OK, "{}", set.json());
        let stored = json!({"number": "Số: 27/BB-STTTT", "place": null, "chair": "Ông An", "secretary": null});
        assert_eq!(set.json(), stored);
        assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(long.problem(), ("too_long".to_owned(), "chair".to_owned()));
        assert_eq!(long.json()["error"]["params"]["max"], 200);
        assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(read.json(), stored);
    }

    #[tokio::test]
    async fn the_minutes_carry_the_hosts_details() {
        let app = TestApp::new().await;
        hold_briefing(&app);
        let before = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await
            .json();
        let set = app
            .send(
                "PUT",
                &app.path("/minutes/details"),
                Some(&app.host),
                Some(json!({
                    "number": "Số: 27/BB-STTTT",
                    "place": "Hội trường tầng 3, Sở Thông tin và Truyền thông",
                    "chair": "Ông Nguyễn Văn An, Giám đốc Sở",
                    "secretary": "Bà Trần Thị Bình, Chánh Văn phòng Sở",
                })),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.json());

        let m = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await
            .json();
        let pdf = app
            .send("GET", &app.path("/minutes.pdf"), Some(&app.host), None)
            .await;

        assert_eq!(before["number"], Value::Null);
        assert_eq!(before["chair"], Value::Null);
        assert_eq!(
            before["place"],
            "Điểm cầu chủ trì: Sở Thông tin và Truyền thông"
        );
        assert_eq!(m["number"], "Số: 27/BB-STTTT");
        assert_eq!(
            m["place"],
            "Hội trường tầng 3, Sở Thông tin và Truyền thông"
        );
        assert_eq!(m["chair"], "Ông Nguyễn Văn An, Giám đốc Sở");
        assert_eq!(m["secretary"], "Bà Trần Thị Bình, Chánh Văn phòng Sở");
        assert_eq!(pdf.status, StatusCode::OK);
        let text = pdf_text(&pdf.bytes);
        for expected in [
            "27/BB-STTTT",
            "Ông Nguyễn Văn An",
            "Bà Trần Thị Bình",
            "Hội trường tầng 3",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }

    #[tokio::test]
    async fn only_the_host_or_the_organiser_reads_and_notes_the_speeches() {
        let app = TestApp::new().await;
        hold_briefing(&app);
        let grant = app.store.floor_log(&app.briefing_id()).unwrap()[0].id;

        app.assert_roles(
            "GET",
            &app.path("/minutes/speeches"),
            None,
            &["admin", "host"],
        )
        .await;
        app.assert_roles(
            "PUT",
            &app.path(&format!("/minutes/speeches/{grant}")),
            Some(json!({"note": "Ý kiến"})),
            &["admin", "host"],
        )
        .await;
    }

    #[tokio::test]
    async fn the_secretarys_note_of_a_speech_fills_its_content_in_the_minutes() {
        let app = TestApp::new().await;
        hold_briefing(&app);
        let list = app
            .send("GET", &app.path("/minutes/speeches"), Some(&app.host), None)
            .await;
        let grant = list.json()[0]["id"].as_i64().unwrap();
        let note_path = app.path(&format!("/minutes/speeches/{grant}"));

        let set = app
            .send(
                "PUT",
                &note_path,
                Some(&app.host),
                Some(
                    json!({"note": "  Báo cáo kết quả chuyển đổi số; đề nghị bổ sung \
                                     kinh phí nâng cấp đường truyền.  "}),
                ),
            )
            .await;
        let unknown = app
            .send(
                "PUT",
                &app.path(&format!("/minutes/speeches/{}", grant + 50)),
                Some(&app.host),
                Some(json!({"note": "x"})),
            )
            .await;
        let not_a_number = app
            .send(
                "PUT",
                &app.path("/minutes/speeches/abc"),
                Some(&app.host),
                Some(json!({"note": "x"})),
            )
            .await;
        let too_long = app
            .send(
                "PUT",
                &note_path,
                Some(&app.host),
                Some(json!({"note": "a".repeat(4001)})),
            )
            .await;
        let m = app
            .send("GET", &app.path("/minutes"), Some(&app.host), None)
            .await
            .json();
        let pdf = app
            .send("GET", &app.path("/minutes.pdf"), Some(&app.host), None)
            .await;

        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.json()[0]["point_name"], "UBND thị xã Cửa Lò");
        assert_eq!(list.json()[0]["note"], Value::Null);
        assert_eq!(set.status, StatusCode::OK, "{}", set.json());
        let note = "Báo cáo kết quả chuyển đổi số; đề nghị bổ sung kinh phí nâng cấp đường truyền.";
        assert_eq!(set.json()["note"], note);
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(not_a_number.status, StatusCode::NOT_FOUND);
        assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(m["speakers"][0]["topic"], note);
        let text = pdf_text(&pdf.bytes);
        for expected in ["Báo cáo kết quả chuyển đổi", "nâng cấp đường truyền."]
        {
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
