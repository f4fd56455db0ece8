//! The organiser's API: the list of briefings, creating them, revoking links. Logging in is
//! [`super::login`]'s.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{BriefingId, ErrorCode, Role};
use giaoban_store::NewBriefing;
use serde::{Deserialize, Serialize};

use super::auth::AdminAuth;
use super::error::ApiError;
use super::extract::json_body;
use crate::links;
use crate::state::AppState;

/// `/api/admin/briefings…`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/briefings", get(list).post(create))
        .route("/api/admin/briefings/{id}/revoke", post(revoke))
}

#[derive(Serialize)]
struct AdminBriefing {
    id: String,
    title: String,
    scheduled_start: String,
    links: Vec<AdminLink>,
}

#[derive(Serialize)]
struct AdminLink {
    point: String,
    role: Role,
    url: String,
    revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_code: Option<String>,
}

async fn list(
    _: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Vec<AdminBriefing>>, ApiError> {
    let mut out = Vec::new();
    for b in state.store.list_briefings()? {
        let links = state
            .store
            .points(&b.id)?
            .iter()
            .map(|p| AdminLink {
                point: p.name.clone(),
                role: p.role,
                url: format!("{}/j/{}", state.base_url, state.store.token_for(p)),
                revoked: p.revoked,
                unit_code: p.unit_code.as_ref().map(ToString::to_string),
            })
            .collect();
        out.push(AdminBriefing {
            id: b.id.0,
            title: b.title,
            scheduled_start: b.scheduled_start,
            links,
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    title: String,
    #[serde(default)]
    scheduled_start: Option<String>,
    /// Required unless `host_unit` is given.
    #[serde(default)]
    host: String,
    #[serde(default)]
    host_unit: Option<String>,
    #[serde(default)]
    points: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    series: Option<String>,
    #[serde(default)]
    report_deadline: Option<String>,
}

async fn create(
    _: AdminAuth,
    State(state): State<AppState>,
    body: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body)?;
    let new = NewBriefing {
        title: req.title,
        scheduled_start: req.scheduled_start,
        host: req.host,
        host_unit: req.host_unit,
        points: req.points,
        units: req.units,
        series: req.series,
        report_deadline: req.report_deadline,
    };
    let briefing = state.store.create_briefing(&new)?;
    let links = links::links_of(&state.store, &briefing.id, &state.base_url).map_err(|e| {
        tracing::error!("links of a new briefing: {e:#}");
        ApiError::internal()
    })?;
    let body = links::Created {
        id: briefing.id.0,
        links,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    point: String,
}

async fn revoke(
    _: AdminAuth,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RevokeRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let req = json_body(body)?;
    let id = BriefingId(id);
    state.store.revoke_point(&id, &req.point)?;
    if let Some(point) = state.store.point_by_name(&id, &req.point)? {
        state.live.registry.kick(
            &id,
            &point.id,
            ErrorCode::RevokedToken,
            "this invitation link has been revoked",
        );
    }
    Ok(StatusCode::NO_CONTENT)
}
