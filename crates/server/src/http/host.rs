//! The host's HTTP API: floor mode, floor, spotlight, hands, mute, presentation, roll-call,
//! lock, remove, trial run, attendance. See docs/http.md. Every handler checks that the bearer token is the host
//! link of the briefing in the path.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_briefing::{BriefingError, FloorMode, RollCallAnswer};
use giaoban_model::{BriefingId, Field, Problem, ProblemCode, ServerMsg};
use serde::Deserialize;
use serde_json::json;

use super::auth::{HostOf, Member};
use super::error::ApiError;
use super::extract::{Format, FormatQuery, csv_file, json_body, query};
use crate::clock::unix_ms;
use crate::live::direction::DirectionError;
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
        .route("/api/briefings/{id}/mute", post(mute))
        .route(
            "/api/briefings/{id}/presentation",
            axum::routing::delete(stop_presentation),
        )
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
                ApiError::new(status, briefing_problem(&e))
            }
            DirectionError::Store(e) => e.into(),
            DirectionError::UnknownBriefing => ApiError::not_found(ProblemCode::NoSuchBriefing),
        }
    }
}

/// A refusal of the briefing core as a problem. The free text of `not_allowed` and `invalid`
/// stays an English `detail`, which the client does not show.
fn briefing_problem(e: &BriefingError) -> Problem {
    match e {
        BriefingError::UnknownPoint(point) => {
            Problem::new(ProblemCode::UnknownPoint).with("point", point)
        }
        BriefingError::NotConnected(point) => {
            Problem::new(ProblemCode::NotConnected).with("point", point)
        }
        BriefingError::NotAllowed(detail) => {
            Problem::new(ProblemCode::NotAllowed).with("detail", detail)
        }
        BriefingError::Invalid(detail) => Problem::new(ProblemCode::Invalid).with("detail", detail),
        BriefingError::InvalidDuration(seconds) => Problem::new(ProblemCode::InvalidDuration)
            .with("value", *seconds)
            .with("max", giaoban_briefing::MAX_FLOOR_SECONDS),
        BriefingError::Removed(point) => Problem::new(ProblemCode::Removed).with("point", point),
        BriefingError::Locked => Problem::new(ProblemCode::Locked),
        other => Problem::new(ProblemCode::NotAllowed).with("detail", other.to_string()),
    }
}

async fn state_of(state: &AppState, id: &BriefingId) -> Result<Response, ApiError> {
    Ok(Json(state.live.direction.snapshot(id).await?).into_response())
}

async fn state(State(state): State<AppState>, Member(inv): Member) -> Result<Response, ApiError> {
    state_of(&state, &inv.briefing.id).await
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
    state
        .live
        .direction
        .act(&id, move |core, _| {
            core.set_mode(req.mode);
            Ok(())
        })
        .await?;
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
    state
        .live
        .direction
        .act(&id, move |core, now| {
            core.grant_floor(&req.point, req.seconds, now)
        })
        .await?;
    state_of(&state, &id).await
}

async fn revoke(State(state): State<AppState>, HostOf(id): HostOf) -> Result<Response, ApiError> {
    state
        .live
        .direction
        .act(&id, move |core, now| {
            core.revoke_floor(now);
            Ok(())
        })
        .await?;
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
        .live
        .direction
        .act(&id, move |core, _| core.set_spotlight(req.point.as_deref()))
        .await?;
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
        .live
        .direction
        .act(&id, move |core, _| core.lower_hand(&req.point).map(|_| ()))
        .await?;
    state_of(&state, &id).await
}

async fn ask_unmute(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<PointBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    let point = req.point.clone();
    // Lifts a mute by the host, if any: the point decides whether to switch on.
    let online = state
        .live
        .direction
        .act(&id, move |core, _| {
            if !core.is_invited(&point) {
                return Err(BriefingError::UnknownPoint(point));
            }
            if !core.is_online(&point) {
                return Ok(false);
            }
            core.ask_unmute(&point)?;
            Ok(true)
        })
        .await?;
    if !online
        || !state
            .live
            .registry
            .send_to_name(&id, &req.point, &ServerMsg::UnmuteRequest)
    {
        return Err(BriefingError::NotConnected(req.point).into_api());
    }
    state_of(&state, &id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MuteBody {
    point: String,
    muted: bool,
}

/// `POST /mute`: the host mutes a point (or lifts its mute) in any floor mode. The server stops
/// forwarding its audio; the point's page learns it from the state (`muted_by_host`).
async fn mute(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<MuteBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state
        .live
        .direction
        .act(&id, move |core, _| {
            core.set_muted_by_host(&req.point, req.muted)
        })
        .await?;
    state_of(&state, &id).await
}

/// `DELETE /presentation`: the host stops whoever presents (nothing happens when nobody does).
async fn stop_presentation(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Response, ApiError> {
    state
        .live
        .direction
        .act(&id, move |core, now| {
            core.stop_presentation_by_host(now);
            Ok(())
        })
        .await?;
    state_of(&state, &id).await
}

async fn roll_call_start(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Response, ApiError> {
    state.live.direction.start_roll_call(&id).await?;
    state_of(&state, &id).await
}

async fn roll_call_end(
    State(state): State<AppState>,
    HostOf(id): HostOf,
) -> Result<Response, ApiError> {
    state.live.direction.end_roll_call(&id).await?;
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
            return Err(ApiError::invalid(
                Problem::new(ProblemCode::BadChoice)
                    .at(Field::Status)
                    .with("value", other)
                    .with("choices", "present, substitute, absent"),
            ));
        }
    };
    state
        .live
        .direction
        .act(&id, move |core, now| {
            core.answer_roll_call(&req.point, answer, now)
        })
        .await?;
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
    state.live.direction.set_locked(&id, req.locked).await?;
    state_of(&state, &id).await
}

async fn remove(
    State(state): State<AppState>,
    HostOf(id): HostOf,
    req: Result<Json<PointBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    state.live.direction.remove(&id, &req.point).await?;
    state_of(&state, &id).await
}

async fn trial(State(state): State<AppState>, HostOf(id): HostOf) -> Result<Response, ApiError> {
    let quality = state.live.media.quality().await;
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
