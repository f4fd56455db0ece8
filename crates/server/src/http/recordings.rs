//! Recordings ("ghi hình"): the host starts and stops them; the host, the invited points and
//! the organiser list them and play or download their files. See docs/http.md ("Recordings").
//!
//! A file is fetched at a short-lived signed address (a ticket), since a `<video>` element
//! sends no bearer token; the list hands the tickets out only to those who may see it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{Problem, ProblemCode};
use giaoban_store::{FloorRecord, Recording, RecordingFile};
use serde::{Deserialize, Serialize};
use tower_http::services::ServeFile;

use super::auth::{Access, HostOf};
use super::error::ApiError;
use crate::clock::{rfc3339_ms, unix_now};
use crate::recording::{RecordingError, Recordings};
use crate::state::AppState;

/// How long a file's address stays valid after the list gave it.
const TICKET_SECS: u64 = 6 * 3600;

/// Routes of recordings.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/recording/start", post(start))
        .route("/api/briefings/{id}/recording/stop", post(stop))
        .route("/api/briefings/{id}/recordings", get(list))
        .route("/api/recording-files/{ticket}", get(file))
}

/// One recording as the API shows it.
#[derive(Debug, Serialize)]
pub struct RecordingView {
    id: i64,
    started_at: String,
    ended_at: Option<String>,
    /// `recording`, `finished` or `interrupted` (a crash cut it; its files were recovered).
    status: &'static str,
    end_reason: Option<String>,
    archive: ArchiveView,
    chapters: Vec<ChapterView>,
    files: Vec<FileView>,
}

#[derive(Debug, Serialize)]
struct ArchiveView {
    status: String,
    file: Option<i64>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChapterView {
    grant_id: i64,
    title: String,
    offset_ms: u64,
}

#[derive(Debug, Serialize)]
struct FileView {
    id: i64,
    kind: String,
    point: Option<String>,
    started_at: String,
    offset_ms: u64,
    duration_ms: Option<u64>,
    bytes: Option<u64>,
    status: String,
    has_video: bool,
    url: String,
}

fn recordings(state: &AppState) -> Result<Arc<Recordings>, ApiError> {
    state.recordings.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::RecordingUnavailable,
        )
    })
}

impl From<RecordingError> for ApiError {
    fn from(e: RecordingError) -> ApiError {
        match e {
            RecordingError::DiskLow { free_mb, min_mb } => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                Problem::new(ProblemCode::DiskLow)
                    .with("free_mb", free_mb)
                    .with("min_mb", min_mb),
            ),
            RecordingError::NotRunning => {
                ApiError::new(StatusCode::CONFLICT, ProblemCode::RecordingNotRunning)
            }
            RecordingError::Store(e) => e.into(),
            RecordingError::Io(e) => {
                tracing::error!("recordings directory: {e}");
                ApiError::internal()
            }
        }
    }
}

/// `POST /api/briefings/{id}/recording/start` (host): starts recording; every point's state
/// says so.
async fn start(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Json<RecordingView>, ApiError> {
    let recordings = recordings(&state)?;
    let briefing = id.clone();
    let recording = tokio::task::spawn_blocking(move || recordings.begin(&briefing, None))
        .await
        .map_err(|_| ApiError::internal())??;
    let since = recording.started_at_ms;
    let told = state
        .live
        .direction
        .act(&id, move |core, _| {
            core.set_recording(Some(since));
            Ok(())
        })
        .await;
    if let Err(e) = told {
        if let Some(r) = &state.recordings {
            let _ = r.end(&id, "failed");
        }
        return Err(e.into());
    }
    Ok(Json(view(&state, recording)?))
}

/// `POST /api/briefings/{id}/recording/stop` (host): stops it; the files close and the
/// archive copy is made.
async fn stop(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Json<RecordingView>, ApiError> {
    let recordings = recordings(&state)?;
    if state.store.running_recording(&id)?.is_none() {
        return Err(RecordingError::NotRunning.into());
    }
    state
        .live
        .direction
        .act(&id, |core, _| {
            core.set_recording(None);
            Ok(())
        })
        .await?;
    let briefing = id.clone();
    let recording = tokio::task::spawn_blocking(move || recordings.end(&briefing, "stopped"))
        .await
        .map_err(|_| ApiError::internal())??;
    Ok(Json(view(&state, recording)?))
}

#[derive(Serialize)]
struct List {
    recordings: Vec<RecordingView>,
}

/// `GET /api/briefings/{id}/recordings` (host, invited points, organiser): newest first.
async fn list(State(state): State<AppState>, access: Access) -> Result<Json<List>, ApiError> {
    let all = state.store.recordings(access.id())?;
    let floor = state.store.floor_log(access.id())?;
    let recordings = all
        .into_iter()
        .map(|r| view_with(&state, r, &floor))
        .collect();
    Ok(Json(List { recordings }))
}

fn view(state: &AppState, recording: Recording) -> Result<RecordingView, ApiError> {
    let floor = state.store.floor_log(&recording.briefing)?;
    Ok(view_with(state, recording, &floor))
}

fn view_with(state: &AppState, r: Recording, floor: &[FloorRecord]) -> RecordingView {
    let start = r.started_at_ms;
    let end = r.ended_at_ms.unwrap_or(u64::MAX);
    let chapters = floor
        .iter()
        .filter_map(|g| {
            let granted = crate::recording::parse_ms(&g.granted_at)?;
            let ended = g.ended_at.as_deref().and_then(crate::recording::parse_ms);
            if granted >= end || ended.is_some_and(|e| e <= start) {
                return None;
            }
            Some(ChapterView {
                grant_id: g.id,
                title: g.point_name.clone(),
                offset_ms: granted.saturating_sub(start),
            })
        })
        .collect();
    let expires = unix_now() + TICKET_SECS;
    let files: Vec<FileView> = r
        .files
        .iter()
        .map(|f| file_view(state, f, start, expires))
        .collect();
    let archive_file = r.files.iter().find(|f| f.kind == "archive").map(|f| f.id);
    let status = match (r.ended_at_ms, r.end_reason.as_deref()) {
        (None, _) => "recording",
        (Some(_), Some(giaoban_store::RECORDING_END_RESTART)) => "interrupted",
        _ => "finished",
    };
    RecordingView {
        id: r.id,
        started_at: rfc3339_ms(start),
        ended_at: r.ended_at_ms.map(rfc3339_ms),
        status,
        end_reason: r.end_reason,
        archive: ArchiveView {
            status: r.archive_status,
            file: archive_file,
            error: r.archive_error,
        },
        chapters,
        files,
    }
}

fn file_view(state: &AppState, f: &RecordingFile, start: u64, expires: u64) -> FileView {
    FileView {
        id: f.id,
        kind: f.kind.clone(),
        point: f.point_name.clone(),
        started_at: rfc3339_ms(f.started_at_ms),
        offset_ms: f.started_at_ms.saturating_sub(start),
        duration_ms: f.duration_ms,
        bytes: f.bytes,
        status: f.status.clone(),
        has_video: f.has_video,
        url: format!(
            "/api/recording-files/{}",
            state.store.recording_ticket(f.id, expires)
        ),
    }
}

#[derive(Deserialize)]
struct FileQuery {
    #[serde(default)]
    download: Option<u8>,
}

/// `GET /api/recording-files/{ticket}[?download=1]`: the file, with byte ranges (a `<video>`
/// seeks with them). 404 for a forged, expired or unknown ticket.
async fn file(
    State(state): State<AppState>,
    Path(ticket): Path<String>,
    Query(query): Query<FileQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(ProblemCode::NoSuchPage);
    let recordings = recordings(&state)?;
    let (recording, file) = state
        .store
        .open_recording_ticket(&ticket, unix_now())?
        .ok_or_else(not_found)?;
    let path = recordings
        .path_of(&recording, &file)
        .ok_or_else(not_found)?;
    let mut response = ServeFile::new_with_mime(&path, &mime_webm())
        .try_call(request)
        .await
        .map_err(|e| {
            tracing::warn!(file = %path.display(), "cannot serve a recording file: {e}");
            ApiError::internal()
        })?
        .map(Body::new);
    if response.status() == StatusCode::NOT_FOUND {
        return Err(not_found());
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if query.download == Some(1) {
        let name = download_name(&recording, &file);
        if let Ok(v) = HeaderValue::from_str(&name) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response.into_response())
}

fn mime_webm() -> mime_guess::Mime {
    "video/webm".parse().expect("a valid MIME type")
}

/// `attachment` with an ASCII name and the UTF-8 one (RFC 6266, RFC 5987).
fn download_name(recording: &Recording, file: &RecordingFile) -> String {
    let who = match file.kind.as_str() {
        "archive" => "ban-ghi-phien-hop".to_owned(),
        "stage" => "san-khau".to_owned(),
        _ => file.point_name.clone().unwrap_or_else(|| file.kind.clone()),
    };
    let base = format!("{who}-{}-{}", recording.id, file.id);
    let ascii: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = format!("{base}.webm")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}.webm\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe_headers_in_both_forms() {
        let recording = Recording {
            id: 3,
            briefing: giaoban_model::BriefingId("b".into()),
            dir: "d".into(),
            started_at_ms: 0,
            started_by: None,
            ended_at_ms: None,
            end_reason: None,
            archive_status: "none".into(),
            archive_error: None,
            files: vec![],
        };
        let file = RecordingFile {
            id: 9,
            recording_id: 3,
            kind: "point".into(),
            point_name: Some("UBND xã \"Hưng\" Nguyên\r\n".into()),
            name: "point-1-1.webm".into(),
            started_at_ms: 0,
            duration_ms: None,
            bytes: None,
            has_video: true,
            status: "closed".into(),
        };
        let name = download_name(&recording, &file);
        assert!(HeaderValue::from_str(&name).is_ok(), "{name}");
        assert!(
            name.starts_with("attachment; filename=\"UBND_x__"),
            "{name}"
        );
        assert!(
            name.contains("filename*=UTF-8''UBND%20x%C3%A3%20%22H%C6%B0ng"),
            "{name}"
        );
    }
}
