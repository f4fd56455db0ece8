//! Documents of a briefing: list, upload, download, delete. See docs/substance.md, section
//! Documents.
//!
//! An upload is the file's bytes as the body, up to [`MAX_DOCUMENT_BYTES`]; these routes are
//! outside the 256 KiB limit of the JSON API and carry their own. Before any of the body is
//! read, an upload takes a place among those being received ([`crate::uploads`]), and is
//! refused when the disk is short of space or the uploader's or the briefing's quota is used
//! up; the body is then read into one buffer, which the store writes into the database.

use giaoban_model::{Field, Problem, ProblemCode};
use std::fmt::Write as _;

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use giaoban_store::{Document, DocumentRejection, MAX_DOCUMENT_BYTES, NewDocument, check_document};
use serde::Deserialize;

use super::auth::Access;
use super::error::ApiError;
use super::extract::{item_id, no_item, query};
use crate::state::AppState;

/// Routes of this part of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/documents", get(list).post(upload))
        .route(
            "/api/briefings/{id}/documents/{doc}",
            get(download).delete(delete),
        )
        // The upload reads its body itself, with its own limit ([`read_body`]).
        .layer(DefaultBodyLimit::disable())
}

/// The query of an upload: `?name=FILE[&agenda_item_id=N][&task_id=N]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    name: Option<String>,
    agenda_item_id: Option<i64>,
    task_id: Option<i64>,
}

/// The documents of the briefing, oldest first.
async fn list(
    access: Access,
    State(state): State<AppState>,
) -> Result<Json<Vec<Document>>, ApiError> {
    Ok(Json(state.store.documents(access.id())?))
}

/// Stores the body as a document; the uploader is the calling point, or nobody for the
/// organiser.
async fn upload(
    access: Access,
    State(state): State<AppState>,
    upload_query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    let query = query(upload_query)?;
    let name = query
        .name
        .ok_or_else(|| ApiError::invalid(Problem::new(ProblemCode::Empty).at(Field::FileName)))?;
    if let Some(task) = query.task_id {
        may_attach_to(&access, &state, task)?;
    }
    let declared = declared_length(&headers)?;
    let briefing = access.id().clone();
    let uploader = access.point().map(|p| p.id.clone());

    // Everything that can refuse the upload without its body, before reading it.
    let _permit = state.uploads.start(uploader.as_ref())?;
    state.uploads.check_disk()?;
    let quota = state.uploads.config().quota;
    state.store.check_document_quota(
        &briefing,
        uploader.as_ref(),
        declared.unwrap_or(1),
        &quota,
    )?;

    let content = read_body(body, declared).await?;
    // The store checks the file again but refuses it as 422, where this answers 413 and 415.
    check_document(&name, &content).map_err(rejected)?;
    let document = state
        .blocking(move |store| {
            store.add_document_within(
                &briefing,
                &NewDocument {
                    file_name: &name,
                    content: &content,
                    agenda_item_id: query.agenda_item_id,
                    task_id: query.task_id,
                    uploaded_by: uploader.as_ref(),
                },
                &quota,
            )
        })
        .await?;
    tracing::info!(
        briefing = %access.id(),
        document = document.id,
        size = document.size,
        "document uploaded"
    );
    Ok((StatusCode::CREATED, Json(document)))
}

/// The `Content-Length` of the request, if it has one; 413 when it is over
/// [`MAX_DOCUMENT_BYTES`], so that such a body is refused before any of it is read.
fn declared_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    let length: u64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::BadRequest))?;
    if length > MAX_DOCUMENT_BYTES as u64 {
        return Err(too_large());
    }
    Ok(Some(length))
}

/// The body, read into one buffer of at most [`MAX_DOCUMENT_BYTES`]: sized up front from the
/// declared length, so that it is not copied as it grows, and refused with 413 as soon as it
/// passes the limit.
async fn read_body(mut body: Body, declared: Option<u64>) -> Result<Vec<u8>, ApiError> {
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(MAX_DOCUMENT_BYTES));
    let mut content = Vec::with_capacity(capacity.min(MAX_DOCUMENT_BYTES));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            tracing::debug!("request body not read: {e}");
            ApiError::new(StatusCode::BAD_REQUEST, ProblemCode::UnreadableBody)
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if content.len() + data.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        content.extend_from_slice(&data);
    }
    Ok(content)
}

/// Bytes of a document read from the database and sent at a time: the database is held for
/// one piece, and a download holds one piece in memory.
pub const DOWNLOAD_CHUNK: usize = 256 * 1024;

/// The content of a document, as an attachment under its own name, sent in pieces of
/// [`DOWNLOAD_CHUNK`] within the limits on downloads at once ([`crate::uploads`]).
async fn download(
    access: Access,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = item_id(path, Field::Document)?;
    let briefing = access.id().clone();
    let document = state
        .blocking(move |store| store.document(&briefing, id))
        .await?
        .ok_or_else(|| no_item(Field::Document, id))?;
    let permit = state
        .uploads
        .download(access.point().map(|p| &p.id))
        .await?;
    let content_type = HeaderValue::from_str(&document.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(&document.file_name))
        .expect("the disposition is printable ASCII");
    let size = document.size;
    // The permit goes with the body: the place is given back when the last piece is sent or
    // the connection is gone. A document deleted meanwhile ends the body early, which the
    // client sees as a download cut short (the length was announced).
    let pieces = futures_util::stream::try_unfold(
        (state, 0u64, permit),
        move |(state, offset, permit)| async move {
            if offset >= size {
                return Ok(None);
            }
            let len = (size - offset).min(DOWNLOAD_CHUNK as u64) as usize;
            let piece = state
                .blocking(move |store| store.document_chunk(id, offset, len))
                .await
                .map_err(|e| std::io::Error::other(e.problem.to_string()))?;
            Ok::<_, std::io::Error>(Some((
                axum::body::Bytes::from(piece),
                (state, offset + len as u64, permit),
            )))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(size)),
            // Documents are for the invited points only: no shared cache may keep them.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        Body::from_stream(pieces),
    )
        .into_response())
}

/// Deletes a document: the host, or the point that uploaded it.
async fn delete(
    access: Access,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = item_id(path, Field::Document)?;
    let document = state
        .store
        .document(access.id(), id)?
        .ok_or_else(|| no_item(Field::Document, id))?;
    let uploader = access
        .point()
        .is_some_and(|p| document.uploaded_by_point.as_ref() == Some(&p.id));
    if !access.is_host() && !uploader {
        return Err(ApiError::forbidden(ProblemCode::DocumentDeleters));
    }
    state.store.delete_document(access.id(), id)?;
    tracing::info!(briefing = %access.id(), document = id, "document deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Ok if the caller may attach a document to task `task`: the host or the organiser, or a
/// point whose unit owns it. 404 if the task is not visible in this briefing.
fn may_attach_to(access: &Access, state: &AppState, task: i64) -> Result<(), ApiError> {
    let task = state
        .store
        .visible_task(access.id(), task)?
        .ok_or_else(|| no_item(Field::Task, task))?;
    if access.may_work_on(&task) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            Problem::new(ProblemCode::TaskDocumentsOwnersOnly).with("task", task.id),
        ))
    }
}

/// `Content-Disposition` of a download (RFC 6266 §4): a plain ASCII `filename` for old
/// clients, and the exact name as UTF-8 in `filename*` (RFC 8187), which clients that know it
/// prefer (RFC 6266 §4.3).
fn content_disposition(file_name: &str) -> String {
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(file_name),
        percent_encode(file_name)
    )
}

/// `name` in printable ASCII for a quoted-string: Vietnamese letters lose their diacritics,
/// combining marks are dropped, anything else outside ASCII becomes `_`, and so do `"` and
/// `\`, which would need escaping, and `%`, which some clients decode (RFC 6266 Appendix D).
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            ' '..='~' => c,
            '–' | '—' => '-',
            _ => VIETNAMESE
                .iter()
                .find(|(_, accented)| accented.contains(c))
                .map_or('_', |(base, _)| *base),
        })
        .collect()
}

/// Vietnamese letters with diacritics, by the ASCII letter they are written on.
const VIETNAMESE: &[(char, &str)] = &[
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('A', "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ"),
    ('d', "đ"),
    ('D', "Đ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('E', "ÈÉẺẼẸÊỀẾỂỄỆ"),
    ('i', "ìíỉĩị"),
    ('I', "ÌÍỈĨỊ"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('O', "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"),
    ('u', "ùúủũụưừứửữự"),
    ('U', "ÙÚỦŨỤƯỪỨỬỮỰ"),
    ('y', "ỳýỷỹỵ"),
    ('Y', "ỲÝỶỸỴ"),
];

/// `s` as UTF-8 with every byte outside RFC 8187's `attr-char` (§3.2.1) percent-encoded.
fn percent_encode(s: &str) -> String {
    let mut encoded = String::with_capacity(s.len() * 3);
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            write!(encoded, "%{byte:02X}").expect("writing to a String cannot fail");
        }
    }
    encoded
}

fn too_large() -> ApiError {
    ApiError::too_large(
        Problem::new(ProblemCode::FileTooLarge).with("max", MAX_DOCUMENT_BYTES / (1024 * 1024)),
    )
}

fn rejected(rejection: DocumentRejection) -> ApiError {
    match rejection {
        DocumentRejection::TooLarge => too_large(),
        DocumentRejection::UnsupportedType(problem) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, problem)
        }
        DocumentRejection::Invalid(problem) => ApiError::invalid(problem),
        other => {
            ApiError::invalid(Problem::new(ProblemCode::Invalid).with("detail", other.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;
    use giaoban_model::BriefingId;
    use giaoban_store::NewBriefing;
    use serde_json::{Value, json};

    use super::*;
    use crate::state::AppState;
    use crate::test_app::{Answer, TestApp};
    use crate::uploads::{UploadConfig, Uploads};
    use axum::body::Bytes;

    /// The start of a PDF 1.7 file: header, then a binary comment (ISO 32000-1 §7.5.2).
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    /// A ZIP local file header for `[Content_Types].xml`, as a DOCX or XLSX starts.
    const ZIP: &[u8] = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml";

    const ALL: &[&str] = &["admin", "host", "point", "named"];

    /// Uploads `content` as `name` (percent-encoded here) with `token`, plus `extra` query.
    async fn upload(app: &TestApp, token: &str, name: &str, extra: &str, content: &[u8]) -> Answer {
        let path = app.path(&format!("/documents?name={}{extra}", percent_encode(name)));
        app.send_bytes(
            "POST",
            &path,
            Some(token),
            "application/octet-stream",
            Some(content.to_vec()),
        )
        .await
    }

    async fn uploaded(app: &TestApp, token: &str, name: &str) -> i64 {
        let answer = upload(app, token, name, "", PDF).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
        answer.json()["id"].as_i64().unwrap()
    }

    fn percent_decode(s: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut rest = s.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'%' {
                let hex = std::str::from_utf8(&tail[..2]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                rest = &tail[2..];
            } else {
                bytes.push(b);
                rest = tail;
            }
        }
        bytes
    }

    #[tokio::test]
    async fn every_member_lists_uploads_and_downloads_documents() {
        let app = TestApp::new().await;
        let id = uploaded(&app, &app.host, "Giấy mời.pdf").await;

        app.assert_roles("GET", &app.path("/documents"), None, ALL)
            .await;
        app.assert_roles("GET", &app.path(&format!("/documents/{id}")), None, ALL)
            .await;
        // The JSON body of the matrix is no PDF: the roles allowed get 415, not 401 or 403.
        app.assert_roles(
            "POST",
            &app.path("/documents?name=a.pdf"),
            Some(json!({})),
            ALL,
        )
        .await;
        for token in [&app.admin, &app.host, &app.cualo, &app.named] {
            let answer = upload(&app, token, "Báo cáo.pdf", "", PDF).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
        }
        app.store
            .revoke_point(&app.briefing_id(), "UBND huyện Nghi Lộc")
            .unwrap();
        let revoked = upload(&app, &app.nghiloc, "Báo cáo.pdf", "", PDF).await;
        assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
        assert_eq!(revoked.code(), "revoked_token");
    }

    #[tokio::test]
    async fn uploads_record_who_uploaded_them_and_list_oldest_first() {
        let app = TestApp::new().await;

        let by_cualo = upload(&app, &app.cualo, "Báo cáo Cửa Lò.pdf", "", PDF).await;
        upload(&app, &app.admin, "Kế hoạch.docx", "", ZIP).await;
        upload(&app, &app.host, "Số liệu.xlsx", "", ZIP).await;
        let listed = app
            .send("GET", &app.path("/documents"), Some(&app.named), None)
            .await
            .json();

        assert_eq!(by_cualo.status, StatusCode::CREATED);
        let created = by_cualo.json();
        assert_eq!(listed[0], created);
        assert_eq!(
            created,
            json!({
                "id": created["id"],
                "file_name": "Báo cáo Cửa Lò.pdf",
                "content_type": "application/pdf",
                "size": PDF.len(),
                "sha256": created["sha256"],
                "agenda_item_id": null,
                "task_id": null,
                "uploaded_by": "UBND thị xã Cửa Lò",
                "created_at": created["created_at"],
            })
        );
        assert_eq!(created["sha256"].as_str().unwrap().len(), 64);
        let shown: Vec<(&str, &str, &Value)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["file_name"].as_str().unwrap(),
                    d["content_type"].as_str().unwrap(),
                    &d["uploaded_by"],
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "Báo cáo Cửa Lò.pdf",
                    "application/pdf",
                    &json!("UBND thị xã Cửa Lò")
                ),
                (
                    "Kế hoạch.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    &Value::Null
                ),
                (
                    "Số liệu.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &json!("Sở Thông tin và Truyền thông")
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_download_is_an_attachment_under_its_vietnamese_name() {
        let app = TestApp::new().await;
        let name = "Báo cáo 6 tháng – Cửa Lò \"bản cuối\".pdf";
        let id = uploaded(&app, &app.cualo, name).await;

        let answer = app
            .send(
                "GET",
                &app.path(&format!("/documents/{id}")),
                Some(&app.nghiloc),
                None,
            )
            .await;

        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.bytes, PDF);
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(answer.headers[header::CACHE_CONTROL], "private, no-store");
        let disposition = answer.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap();
        assert_eq!(
            disposition,
            "attachment; filename=\"Bao cao 6 thang - Cua Lo _ban cuoi_.pdf\"; \
             filename*=UTF-8''B%C3%A1o%20c%C3%A1o%206%20th%C3%A1ng%20%E2%80%93%20C%E1%BB%ADa\
             %20L%C3%B2%20%22b%E1%BA%A3n%20cu%E1%BB%91i%22.pdf"
        );
        let encoded = disposition.split_once("filename*=UTF-8''").unwrap().1;
        assert_eq!(String::from_utf8(percent_decode(encoded)).unwrap(), name);
        let listed = app
            .send("GET", &app.path("/documents"), Some(&app.host), None)
            .await;
        assert_eq!(listed.json()[0]["file_name"], name);
    }

    #[test]
    fn the_ascii_fallback_drops_diacritics_even_when_decomposed() {
        assert_eq!(ascii_fallback("Đề án ĐỔI MỚI.docx"), "De an DOI MOI.docx");
        assert_eq!(
            ascii_fallback("Tie\u{302}\u{301}n đo\u{323}\u{302}.pdf"),
            "Tien do.pdf"
        );
        assert_eq!(ascii_fallback("100% 数据 a\\b.xlsx"), "100_ __ a_b.xlsx");
        assert_eq!(percent_encode("a b;c'd.pdf"), "a%20b%3Bc%27d.pdf");
    }

    #[tokio::test]
    async fn another_briefings_link_cannot_reach_a_document() {
        let app = TestApp::new().await;
        let id = uploaded(&app, &app.cualo, "Báo cáo.pdf").await;
        let here = app.path(&format!("/documents/{id}"));
        let there = format!("/api/briefings/{}/documents/{id}", app.other_id);

        // The same unit, invited to the other briefing too.
        let read = app.send("GET", &here, Some(&app.other_cualo), None).await;
        let delete = app.send("DELETE", &here, Some(&app.other_host), None).await;
        let list = app
            .send("GET", &app.path("/documents"), Some(&app.other_cualo), None)
            .await;
        let through_other = app.send("GET", &there, Some(&app.other_cualo), None).await;
        let delete_through_other = app.send("DELETE", &there, Some(&app.admin), None).await;

        assert_eq!(read.status, StatusCode::FORBIDDEN);
        assert_eq!(read.code(), "other_briefing");
        assert_eq!(delete.status, StatusCode::FORBIDDEN);
        assert_eq!(list.status, StatusCode::FORBIDDEN);
        assert_eq!(through_other.status, StatusCode::NOT_FOUND);
        assert_eq!(delete_through_other.status, StatusCode::NOT_FOUND);
        let still = app.send("GET", &here, Some(&app.cualo), None).await;
        assert_eq!(still.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn the_host_and_the_uploader_delete_a_document_and_nobody_else() {
        let app = TestApp::new().await;
        let by_host = uploaded(&app, &app.host, "Giấy mời.pdf").await;
        let by_cualo = uploaded(&app, &app.cualo, "Báo cáo Cửa Lò.pdf").await;
        let by_admin = uploaded(&app, &app.admin, "Kế hoạch.pdf").await;
        let by_named = uploaded(&app, &app.named, "Ghi chú.pdf").await;
        let path = |id: i64| app.path(&format!("/documents/{id}"));

        for (token, id, expected) in [
            (None, by_cualo, StatusCode::UNAUTHORIZED),
            (Some("x.y"), by_cualo, StatusCode::UNAUTHORIZED),
            (Some(&app.other_host), by_cualo, StatusCode::FORBIDDEN),
            (Some(&app.nghiloc), by_cualo, StatusCode::FORBIDDEN),
            (Some(&app.named), by_cualo, StatusCode::FORBIDDEN),
            (Some(&app.cualo), by_host, StatusCode::FORBIDDEN),
            (Some(&app.cualo), by_admin, StatusCode::FORBIDDEN),
            (Some(&app.cualo), by_cualo, StatusCode::NO_CONTENT),
            (Some(&app.cualo), by_cualo, StatusCode::NOT_FOUND),
            (Some(&app.host), by_admin, StatusCode::NO_CONTENT),
            (Some(&app.admin), by_host, StatusCode::NO_CONTENT),
            (Some(&app.named), by_named, StatusCode::NO_CONTENT),
            (Some(&app.host), 999_999, StatusCode::NOT_FOUND),
        ] {
            let answer = app.send("DELETE", &path(id), token, None).await;
            assert_eq!(answer.status, expected, "{token:?} {id}: {}", answer.json());
            if expected == StatusCode::FORBIDDEN && token == Some(&app.cualo) {
                assert!(
                    answer.message().contains("point that uploaded"),
                    "{}",
                    answer.json()
                );
            }
        }
        let bad_id = app
            .send("DELETE", &app.path("/documents/abc"), Some(&app.host), None)
            .await;
        assert_eq!(bad_id.status, StatusCode::NOT_FOUND);
        let left = app
            .send("GET", &app.path("/documents"), Some(&app.host), None)
            .await;
        assert_eq!(left.json(), json!([]));
    }

    #[tokio::test]
    async fn bad_uploads_are_refused_with_their_code_and_store_nothing() {
        let app = TestApp::new().await;
        let item = app
            .send(
                "PUT",
                &format!("/api/briefings/{}/agenda", app.other_id),
                Some(&app.other_host),
                Some(json!({"items": [{"title": "Khai mạc"}]})),
            )
            .await
            .json()[0]["id"]
            .clone();

        for (name, extra, content, status, code, expected) in [
            (
                "a.pdf",
                "",
                b"".as_slice(),
                422,
                "empty_file",
                "the file \"a.pdf\" is empty",
            ),
            (
                "a/b.pdf",
                "",
                PDF,
                422,
                "bad_file_name",
                "file name: \"a/b.pdf\"",
            ),
            ("", "", PDF, 422, "empty", "file name: must not be empty"),
            (
                "Báo cáo.pdf",
                "",
                ZIP,
                415,
                "bad_file_content",
                "\"Báo cáo.pdf\" does not hold what its name says (\"PDF\")",
            ),
            (
                "setup.exe",
                "",
                b"MZ\x90\x00".as_slice(),
                415,
                "bad_file_type",
                "\"setup.exe\" is not an accepted document",
            ),
            (
                "Báo cáo.docx",
                "",
                PDF,
                415,
                "bad_file_content",
                "\"Báo cáo.docx\" does not hold",
            ),
            (
                "a.pdf",
                &format!("&agenda_item_id={item}"),
                PDF,
                422,
                "not_on_agenda",
                "agenda item:",
            ),
            (
                "a.pdf",
                "&agenda_item_id=abc",
                PDF,
                422,
                "bad_query",
                "the query string is not what this route takes: agenda_item_id: invalid digit",
            ),
            (
                "a.pdf",
                "&folder=x",
                PDF,
                422,
                "bad_query",
                "the query string is not what this route takes: folder: unknown field `folder`",
            ),
            (
                "a.pdf",
                "&task_id=999999",
                PDF,
                404,
                "no_such_item",
                "task: this briefing has none with the id 999999",
            ),
        ] {
            let answer = upload(&app, &app.host, name, extra, content).await;
            assert_eq!(
                answer.status.as_u16(),
                status,
                "{name} {extra}: {}",
                answer.json()
            );
            assert_eq!(answer.code(), code, "{name} {extra}");
            assert!(
                answer.message().starts_with(expected),
                "{name} {extra}: {}",
                answer.json()
            );
        }
        let no_name = app
            .send_bytes(
                "POST",
                &app.path("/documents"),
                Some(&app.host),
                "application/pdf",
                Some(PDF.to_vec()),
            )
            .await;
        assert_eq!(no_name.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            no_name.problem(),
            ("empty".to_owned(), "file_name".to_owned())
        );
        let listed = app
            .send("GET", &app.path("/documents"), Some(&app.host), None)
            .await;
        assert_eq!(listed.json(), json!([]));
    }

    #[tokio::test]
    async fn twenty_mib_is_accepted_and_one_byte_more_is_413_with_our_error() {
        let app = TestApp::new().await;
        let mut content = PDF.to_vec();
        content.resize(MAX_DOCUMENT_BYTES, b' ');
        let largest = upload(&app, &app.cualo, "Phụ lục.pdf", "", &content).await;
        content.push(b' ');
        let declared = Request::post(app.path("/documents?name=a.pdf"))
            .header(header::AUTHORIZATION, format!("Bearer {}", app.cualo))
            .header(header::CONTENT_LENGTH, content.len())
            .body(Body::from(content.clone()))
            .unwrap();

        let declared = app.send_request(declared).await;
        let streamed = upload(&app, &app.cualo, "a.pdf", "", &content).await;

        assert_eq!(largest.status, StatusCode::CREATED, "{}", largest.json());
        assert_eq!(largest.json()["size"], MAX_DOCUMENT_BYTES);
        assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = serde_json::from_slice(&declared.bytes).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "file_too_large", "params": {"max": 20},
                             "message": "a file is at most 20 MiB"}})
        );
        assert_eq!(streamed.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(streamed.code(), "file_too_large");
        let listed = app
            .send("GET", &app.path("/documents"), Some(&app.host), None)
            .await;
        assert_eq!(listed.json().as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn only_the_host_and_owner_units_attach_documents_to_a_task() {
        let app = TestApp::new().await;
        let task = app.task(
            &app.briefing_id(),
            "Triển khai chữ ký số cho cán bộ",
            &["UBND-CUALO"],
        );
        let earlier = app
            .store
            .create_briefing(&NewBriefing {
                title: "Giao ban CNTT quý I".into(),
                scheduled_start: Some("2099-03-31 08:00".into()),
                host_unit: Some("SO-TTTT".into()),
                units: vec!["UBND-NGHILOC".into()],
                series: Some("cntt".into()),
                ..NewBriefing::default()
            })
            .unwrap();
        let carried = app.task(&earlier.id, "Báo cáo số hoá hồ sơ", &["UBND-NGHILOC"]);
        let elsewhere = app.task(
            &BriefingId(app.other_id.clone()),
            "Việc của Sở Nội vụ",
            &["UBND-CUALO"],
        );
        let on = |task: i64| format!("&task_id={task}");

        for (token, task, status) in [
            (&app.cualo, task, StatusCode::CREATED),
            (&app.host, task, StatusCode::CREATED),
            (&app.admin, task, StatusCode::CREATED),
            (&app.nghiloc, task, StatusCode::FORBIDDEN),
            (&app.named, task, StatusCode::FORBIDDEN),
            (&app.nghiloc, carried, StatusCode::CREATED),
            (&app.cualo, carried, StatusCode::FORBIDDEN),
            (&app.cualo, elsewhere, StatusCode::NOT_FOUND),
            (&app.host, elsewhere, StatusCode::NOT_FOUND),
        ] {
            let answer = upload(&app, token, "Tiến độ.pdf", &on(task), PDF).await;
            assert_eq!(answer.status, status, "task {task}: {}", answer.json());
            if status == StatusCode::CREATED {
                assert_eq!(answer.json()["task_id"], task);
            }
            if status == StatusCode::FORBIDDEN {
                assert!(answer.message().contains("owns task"), "{}", answer.json());
            }
        }
        assert_eq!(app.store.documents_of_task(task).unwrap().len(), 3);
        assert_eq!(app.store.documents_of_task(carried).unwrap().len(), 1);
        assert!(app.store.documents_of_task(elsewhere).unwrap().is_empty());
    }

    /// The application's router with its upload limits changed by `change`.
    fn with_uploads(app: &TestApp, change: impl FnOnce(&mut UploadConfig)) -> (Router, AppState) {
        let mut state = app.state.clone();
        let mut config = state.uploads.config().clone();
        change(&mut config);
        state.uploads = Uploads::new(config);
        (crate::http::router(state.clone()), state)
    }

    /// An upload of `name` by `token` whose body is what is sent on the returned channel,
    /// declared `length` bytes long if given.
    fn slow_upload(
        app: &TestApp,
        token: &str,
        name: &str,
        length: Option<usize>,
    ) -> (
        Request<Body>,
        tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        });
        let mut request = Request::post(app.path(&format!("/documents?name={name}")))
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        (request.body(Body::from_stream(stream)).unwrap(), tx)
    }

    /// Sends `request` through `router`, giving up after five seconds: a refusal must not wait
    /// for a body that never comes.
    async fn answer(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tower::ServiceExt::oneshot(router.clone(), request),
        )
        .await
        .expect("an answer without waiting for the body")
        .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn pdf_upload(app: &TestApp, token: &str, content: &[u8]) -> Request<Body> {
        Request::post(app.path("/documents?name=a.pdf"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(content.to_vec()))
            .unwrap()
    }

    #[tokio::test]
    async fn a_point_over_its_quota_is_refused_before_its_body_is_read() {
        let app = TestApp::new().await;
        let (router, _) = with_uploads(&app, |c| {
            c.quota.point_documents = 2;
            c.quota.point_bytes = 3 * 1024 * 1024;
        });
        for _ in 0..2 {
            let (status, body) = answer(&router, pdf_upload(&app, &app.cualo, PDF)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }

        // A body that never comes: the refusal cannot have waited for it.
        let (request, _body) = slow_upload(&app, &app.cualo, "a.pdf", Some(PDF.len()));
        let (third, refused) = answer(&router, request).await;
        let (other_point, _) = answer(&router, pdf_upload(&app, &app.nghiloc, PDF)).await;
        let mut big = PDF.to_vec();
        big.resize(3 * 1024 * 1024, b' ');
        let (too_big, over_bytes) = answer(&router, pdf_upload(&app, &app.nghiloc, &big)).await;

        assert_eq!(third, StatusCode::CONFLICT);
        assert_eq!(
            refused["error"],
            json!({
                "code": "quota_point",
                "params": {"max_documents": 2, "max_mb": 3, "used_documents": 2,
                           "used_mb": 1, "size_mb": 1},
                "message": "a point may upload at most 2 documents and 3 MiB to a briefing; it \
                            has uploaded 2 documents, 1 MiB: delete some to upload this one \
                            (1 MiB)",
            })
        );
        assert_eq!(other_point, StatusCode::CREATED);
        assert_eq!(too_big, StatusCode::CONFLICT);
        assert_eq!(over_bytes["error"]["code"], "quota_point");
        assert_eq!(over_bytes["error"]["params"]["used_documents"], 1);
        assert_eq!(app.store.documents(&app.briefing_id()).unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_full_briefing_refuses_every_uploader_until_a_document_is_deleted() {
        let app = TestApp::new().await;
        let (router, _) = with_uploads(&app, |c| {
            c.quota.briefing_documents = 3;
            c.quota.briefing_bytes = 1024 * 1024;
        });
        let mut ids = Vec::new();
        for token in [&app.cualo, &app.host, &app.admin] {
            let (status, body) = answer(&router, pdf_upload(&app, token, PDF)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.push(body["id"].as_i64().unwrap());
        }

        let (by_point, full) = answer(&router, pdf_upload(&app, &app.nghiloc, PDF)).await;
        let (by_organiser, _) = answer(&router, pdf_upload(&app, &app.admin, PDF)).await;
        let (elsewhere, _) = answer(
            &router,
            Request::post(format!(
                "/api/briefings/{}/documents?name=a.pdf",
                app.other_id
            ))
            .header(header::AUTHORIZATION, format!("Bearer {}", app.other_cualo))
            .body(Body::from(PDF.to_vec()))
            .unwrap(),
        )
        .await;
        let deleted = app
            .send(
                "DELETE",
                &app.path(&format!("/documents/{}", ids[0])),
                Some(&app.host),
                None,
            )
            .await;
        let (after_delete, _) = answer(&router, pdf_upload(&app, &app.nghiloc, PDF)).await;
        // 1 MiB in bytes: a declared length over what is left is refused as well.
        let (request, _body) = slow_upload(&app, &app.cualo, "a.pdf", Some(1024 * 1024 - 100));
        let (over_bytes, bytes_problem) = answer(&router, request).await;

        assert_eq!(by_point, StatusCode::CONFLICT);
        assert_eq!(full["error"]["code"], "quota_briefing");
        assert_eq!(full["error"]["params"]["max_documents"], 3);
        assert_eq!(full["error"]["params"]["used_documents"], 3);
        assert!(
            full["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("a briefing holds at most 3 documents and 1 MiB"),
            "{full}"
        );
        assert_eq!(by_organiser, StatusCode::CONFLICT);
        assert_eq!(elsewhere, StatusCode::CREATED);
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(after_delete, StatusCode::CREATED);
        assert_eq!(over_bytes, StatusCode::CONFLICT);
        assert_eq!(bytes_problem["error"]["code"], "quota_briefing");
        assert_eq!(app.store.documents(&app.briefing_id()).unwrap().len(), 3);
    }

    #[tokio::test]
    async fn uploads_past_the_limits_at_once_are_refused_at_once() {
        let app = TestApp::new().await;
        let (router, state) = with_uploads(&app, |c| {
            c.max_uploads = 2;
            c.max_uploads_per_point = 1;
        });
        let started = |n: usize| {
            let uploads = state.uploads.clone();
            async move {
                while uploads.in_flight() < n {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        let (request, cualo_body) = slow_upload(&app, &app.cualo, "Báo%20cáo.pdf", None);
        let first = tokio::spawn({
            let router = router.clone();
            async move { answer(&router, request).await }
        });
        cualo_body
            .send(Ok(Bytes::from_static(&PDF[..10])))
            .await
            .unwrap();
        started(1).await;

        let (same_point, busy_point) = answer(&router, pdf_upload(&app, &app.cualo, PDF)).await;
        let (request, nghiloc_body) = slow_upload(&app, &app.nghiloc, "a.pdf", None);
        let second = tokio::spawn({
            let router = router.clone();
            async move { answer(&router, request).await }
        });
        started(2).await;
        let (third_point, busy_server) = answer(&router, pdf_upload(&app, &app.host, PDF)).await;
        cualo_body
            .send(Ok(Bytes::from_static(&PDF[10..])))
            .await
            .unwrap();
        drop(cualo_body);
        let (first, stored) = first.await.unwrap();
        let (after, _) = answer(&router, pdf_upload(&app, &app.host, PDF)).await;
        // A body that breaks off gives its place back too.
        nghiloc_body
            .send(Err(std::io::Error::other("connection reset")))
            .await
            .unwrap();
        let (second, _) = second.await.unwrap();

        assert_eq!(same_point, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(busy_point["error"]["code"], "upload_in_progress");
        assert_eq!(busy_point["error"]["params"], json!({"max": 1}));
        assert_eq!(third_point, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy_server["error"]["code"], "uploads_busy");
        assert_eq!(busy_server["error"]["params"], json!({"max": 2}));
        assert_eq!(first, StatusCode::CREATED, "{stored}");
        assert_eq!(stored["file_name"], "Báo cáo.pdf");
        assert_eq!(stored["size"], PDF.len());
        assert_eq!(after, StatusCode::CREATED);
        assert_eq!(second, StatusCode::BAD_REQUEST);
        assert_eq!(state.uploads.in_flight(), 0);
        assert_eq!(app.store.documents(&app.briefing_id()).unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_download_comes_in_pieces_and_open_downloads_count_against_the_point() {
        let app = TestApp::new().await;
        let (router, state) = with_uploads(&app, |c| {
            c.max_downloads_per_point = 2;
            c.download_wait = std::time::Duration::from_millis(100);
        });
        let mut content = PDF.to_vec();
        content.extend((0..3 * DOWNLOAD_CHUNK as u32 / 2).map(|i| (i % 253) as u8));
        let (status, stored) = answer(&router, pdf_upload(&app, &app.host, &content)).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        let path = app.path(&format!("/documents/{}", stored["id"]));
        let get = |token: &str| {
            Request::get(&path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let open = |token: String| {
            let router = router.clone();
            let request = get(&token);
            async move { tower::ServiceExt::oneshot(router, request).await.unwrap() }
        };

        // Two downloads begun and not yet read hold the point's two places.
        let first = open(app.cualo.clone()).await;
        let second = open(app.cualo.clone()).await;
        let (third, refused) = answer(&router, get(&app.cualo)).await;
        let (other_point, _) = answer(&router, get(&app.nghiloc)).await;
        let length = first.headers()[header::CONTENT_LENGTH].clone();
        let read = axum::body::to_bytes(first.into_body(), usize::MAX)
            .await
            .unwrap();
        let (after_one, _) = answer(&router, get(&app.cualo)).await;
        // A download given up half-way gives its place back too.
        drop(second);
        let (after_both, _) = answer(&router, get(&app.cualo)).await;
        // A document deleted while it is sent cuts the download short instead of sending
        // something else.
        let cut = open(app.cualo.clone()).await;
        app.store
            .delete_document(&app.briefing_id(), stored["id"].as_i64().unwrap())
            .unwrap();
        let cut_body = axum::body::to_bytes(cut.into_body(), usize::MAX).await;

        assert_eq!(length, content.len().to_string().as_str());
        assert!(read == content, "the download differs from the upload");
        assert_eq!(third, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused["error"]["code"], "download_in_progress");
        assert_eq!(refused["error"]["params"], json!({"max": 2}));
        assert_eq!(other_point, StatusCode::OK);
        assert_eq!(after_one, StatusCode::OK);
        assert_eq!(after_both, StatusCode::OK);
        assert!(
            cut_body.is_err(),
            "a deleted document's download ended as if whole"
        );
        assert_eq!(state.uploads.downloads_in_flight(), 0);
    }

    #[tokio::test]
    async fn a_disk_under_the_floor_refuses_uploads_with_507() {
        let app = TestApp::new().await;
        let (router, state) = with_uploads(&app, |c| c.min_free_mb = u64::MAX);

        let (request, _body) = slow_upload(&app, &app.cualo, "a.pdf", Some(PDF.len()));
        let (status, refused) = answer(&router, request).await;

        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(refused["error"]["code"], "documents_disk_low");
        let params = &refused["error"]["params"];
        assert_eq!(params["min_mb"], i64::MAX);
        assert!(params["free_mb"].as_i64().unwrap() > 0, "{refused}");
        assert_eq!(state.uploads.in_flight(), 0);
        assert!(app.store.documents(&app.briefing_id()).unwrap().is_empty());
        // The default floor of the tests (none) lets the same upload in.
        let (status, _) = answer(&app.router, pdf_upload(&app, &app.cualo, PDF)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
}
