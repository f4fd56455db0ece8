//! The host's HTTP API: floor mode, floor, spotlight, hands, roll-call, lock, remove, trial
//! run, attendance. See docs/http.md. Every handler checks that the bearer token is the host
//! link of the briefing in the path.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_briefing::{BriefingError, FloorMode, RollCallAnswer};
use giaoban_model::{BriefingId, Role, ServerMsg};
use giaoban_store::Invitation;
use serde::Deserialize;
use serde_json::json;

use crate::access::{json_body, query};
use crate::api::{Format, FormatQuery, PointAuth, csv_file};
use crate::direction::{DirectionError, unix_ms};
use crate::error::ApiError;
use crate::state::AppState;

/// Routes under `/api/briefings/{id}/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/briefings/{id}/state", get(state))
        .route("/api/briefings/{id}/mode", post(mode))
        .route("/api/briefings/{id}/floor", post(grant).delete(revoke))
        .route("/api/briefings/{id}/spotlight", post(spotlight))
        .route("/api/briefings/{id}/hands/lower", post(lower_hand))
        .route("/api/briefings/{id}/ask-unmute", post(ask_unmute))
        .route(
            "/api/briefings/{id}/roll-call",
            post(roll_call_start).delete(roll_call_end),
        )
        .route(
            "/api/briefings/{id}/roll-call/answers",
            post(roll_call_answer),
        )
        .route("/api/briefings/{id}/lock", post(lock))
        .route("/api/briefings/{id}/remove", post(remove))
        .route("/api/briefings/{id}/trial", post(trial))
        .route("/api/briefings/{id}/attendance", get(attendance))
}

/// The briefing of the path, if the token is a link of it (any role).
fn member_of(inv: &Invitation, id: &str) -> Result<BriefingId, ApiError> {
    if inv.briefing.id.0 != id {
        return Err(ApiError::forbidden(
            "this invitation link is for another briefing",
        ));
    }
    Ok(inv.briefing.id.clone())
}

/// The briefing of the path, if the token is its host link.
fn host_of(inv: &Invitation, id: &str) -> Result<BriefingId, ApiError> {
    let briefing = member_of(inv, id)?;
    if inv.point.role != Role::Host {
        return Err(ApiError::forbidden("only the host may do this"));
    }
    Ok(briefing)
}

/// The briefing of the path, when the bearer token is its host link: the guard of every
/// host action.
pub(crate) struct HostOf(pub BriefingId);

impl FromRequestParts<AppState> for HostOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let PointAuth(inv) = PointAuth::from_request_parts(parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such briefing"))?;
        host_of(&inv, &id).map(HostOf)
    }
}

impl From<DirectionError> for ApiError {
    fn from(e: DirectionError) -> ApiError {
        match e {
            DirectionError::Briefing(e) => {
                let status = match e {
                    BriefingError::UnknownPoint(_) => StatusCode::NOT_FOUND,
                    BriefingError::Invalid(_) | BriefingError::InvalidDuration(_) => {
                        StatusCode::UNPROCESSABLE_ENTITY
                    }
                    _ => StatusCode::CONFLICT,
                };
                ApiError::new(status, e.code(), e.to_string())
            }
            DirectionError::Store(e) => e.into(),
            DirectionError::UnknownBriefing => ApiError::not_found("no such briefing"),
        }
    }
}

async fn state_of(state: &AppState, id: &BriefingId) -> Result<Response, ApiError> {
    Ok(Json(state.direction.state_json(id)?).into_response())
}

async fn state(
    State(state): State<AppState>,
    PointAuth(inv): PointAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = member_of(&inv, &id)?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    mode: FloorMode,
}

async fn mode(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<ModeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state.direction.act(&id, |core, _| {
        core.set_mode(req.mode);
        Ok(())
    })?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    point: String,
    #[serde(default)]
    seconds: Option<i64>,
}

async fn grant(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<GrantBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state.direction.act(&id, |core, now| {
        core.grant_floor(&req.point, req.seconds, now)
    })?;
    state_of(&state, &id).await
}

async fn revoke(State(state): State<AppState>, HostOf(id): HostOf) -> Result<Response, ApiError> {
    state.direction.act(&id, |core, now| {
        core.revoke_floor(now);
        Ok(())
    })?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpotlightBody {
    point: Option<String>,
}

async fn spotlight(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<SpotlightBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state
        .direction
        .act(&id, |core, _| core.set_spotlight(req.point.as_deref()))?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointBody {
    point: String,
}

async fn lower_hand(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<PointBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state
        .direction
        .act(&id, |core, _| core.lower_hand(&req.point).map(|_| ()))?;
    state_of(&state, &id).await
}

async fn ask_unmute(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<PointBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    let online = state.direction.act(&id, |core, _| {
        if !core.is_invited(&req.point) {
            return Err(BriefingError::UnknownPoint(req.point.clone()));
        }
        Ok(core.is_online(&req.point))
    })?;
    if !online
        || !state
            .registry
            .send_to_name(&id, &req.point, &ServerMsg::UnmuteRequest)
    {
        return Err(BriefingError::NotConnected(req.point).into_api());
    }
    state_of(&state, &id).await
}

async fn roll_call_start(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Response, ApiError> {
    state.direction.start_roll_call(&id)?;
    state_of(&state, &id).await
}

async fn roll_call_end(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Response, ApiError> {
    state.direction.end_roll_call(&id)?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    point: String,
    status: String,
    #[serde(default)]
    substitute: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn roll_call_answer(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    let answer = match req.status.as_str() {
        "present" => RollCallAnswer::Present,
        "substitute" => RollCallAnswer::Substitute {
            substitute: req.substitute.unwrap_or_default(),
        },
        "absent" => RollCallAnswer::Absent { reason: req.reason },
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("status must be present, substitute or absent, not {other:?}"),
            ));
        }
    };
    state.direction.act(&id, |core, now| {
        core.answer_roll_call(&req.point, answer, now)
    })?;
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LockBody {
    locked: bool,
}

async fn lock(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<LockBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state.direction.set_locked(&id, req.locked)?;
    state_of(&state, &id).await
}

async fn remove(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<PointBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state.direction.remove(&id, &req.point)?;
    state_of(&state, &id).await
}

async fn trial(State(state): State<AppState>, HostOf(id): HostOf) -> Result<Response, ApiError> {
    let quality = state.media.quality().await;
    let points = state.store.points(&id)?;
    let rows: Vec<serde_json::Value> = points
        .iter()
        .filter(|p| !p.revoked)
        .map(|p| {
            let q = quality.iter().find(|q| q.room == id && q.label == p.name);
            json!({
                "point": p.name,
                "online": q.is_some(),
                "audio_up": q.is_some_and(|q| q.audio_up),
                "video_up": q.is_some_and(|q| q.video_up),
                "audio_down": q.is_some_and(|q| q.audio_down),
                "video_down": q.is_some_and(|q| q.video_down),
                "rtt_ms": q.and_then(|q| q.rtt_ms),
                "loss": q.and_then(|q| q.loss),
            })
        })
        .collect();
    Ok(Json(json!({ "points": rows })).into_response())
}

async fn attendance(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    format: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let format = query(format)?.format()?;
    let rows = state.store.attendance(&id, unix_ms())?;
    Ok(match format {
        Format::Json => Json(rows).into_response(),
        Format::Csv => csv_file(
            &format!("diem-danh-{}.csv", id.0),
            giaoban_store::attendance_csv(&rows),
        ),
    })
}

trait IntoApi {
    fn into_api(self) -> ApiError;
}

impl IntoApi for BriefingError {
    fn into_api(self) -> ApiError {
        DirectionError::Briefing(self).into()
    }
}
