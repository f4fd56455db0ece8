//! The host's handling of written comments: list, answer, pin, file as a concern or proposal
//! of the dossier, and whether points may write to everybody. See docs/http.md ("Written
//! comments"). Points write comments over the signalling socket (`comment`).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{CommentInfo, Field};
use giaoban_store::{Concern, ConcernKind};
use serde::Deserialize;

use super::auth::HostOf;
use super::error::ApiError;
use super::extract::{item_id, json_body};
use crate::clock::unix_ms;
use crate::live::comments::{info, tell};
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/comments", get(list))
        .route(
            "/api/briefings/{id}/comments/{comment}/answer",
            post(answer),
        )
        .route("/api/briefings/{id}/comments/{comment}/pin", post(pin))
        .route(
            "/api/briefings/{id}/comments/{comment}/concern",
            post(to_concern),
        )
        .route("/api/briefings/{id}/comments-to-all", post(to_all))
}

type CommentPath = Result<Path<(String, String)>, PathRejection>;

/// `GET /comments`: every comment of the briefing, oldest first.
async fn list(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Json<Vec<CommentInfo>>, ApiError> {
    Ok(Json(state.store.comments(&id)?.iter().map(info).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: String,
}

/// `POST /comments/{comment}/answer`: the host's answer (a second one replaces the first).
async fn answer(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    path: CommentPath,
    body: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Json<CommentInfo>, ApiError> {
    let comment = item_id(path, Field::Comment)?;
    let body = json_body(body)?;
    let changed = state
        .store
        .answer_comment(&id, comment, &body.answer, unix_ms())?;
    tell(&state.live.registry, &id, &changed);
    Ok(Json(info(&changed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    pinned: bool,
}

/// `POST /comments/{comment}/pin`: pins the comment to the top of the list, or unpins it.
async fn pin(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    path: CommentPath,
    body: Result<Json<PinBody>, JsonRejection>,
) -> Result<Json<CommentInfo>, ApiError> {
    let comment = item_id(path, Field::Comment)?;
    let body = json_body(body)?;
    let changed = state.store.pin_comment(&id, comment, body.pinned)?;
    tell(&state.live.registry, &id, &changed);
    Ok(Json(info(&changed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcernBody {
    kind: ConcernKind,
}

/// `POST /comments/{comment}/concern`: files the comment as a concern or proposal of the
/// dossier, raised by its point; once per comment (409 after).
async fn to_concern(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    path: CommentPath,
    body: Result<Json<ConcernBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Concern>), ApiError> {
    let comment = item_id(path, Field::Comment)?;
    let body = json_body(body)?;
    let concern = state.store.comment_to_concern(&id, comment, body.kind)?;
    if let Some(changed) = state.store.comment(&id, comment)? {
        tell(&state.live.registry, &id, &changed);
    }
    Ok((StatusCode::CREATED, Json(concern)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToAllBody {
    allowed: bool,
}

/// `POST /comments-to-all`: whether points may write comments to everybody. Answers with the
/// briefing's state.
async fn to_all(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    body: Result<Json<ToAllBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    state
        .live
        .direction
        .act(&id, move |core, _| {
            core.set_comments_to_all(body.allowed);
            Ok(())
        })
        .await?;
    Ok(Json(state.live.direction.snapshot(&id).await?).into_response())
}
