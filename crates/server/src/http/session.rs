//! Who a link is: `GET /api/session` and the briefing it opens.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use giaoban_model::Role;
use serde::Serialize;
use serde_json::json;

use super::auth::{Member, PointAuth};
use super::error::ApiError;
use crate::state::AppState;

/// `GET /api/session` and `GET /api/briefings/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(session))
        .route("/api/briefings/{id}", get(briefing))
}

#[derive(Serialize)]
struct SessionInfo {
    briefing: BriefingView,
    point: SessionPoint,
}

#[derive(Serialize)]
struct BriefingView {
    id: String,
    title: String,
    scheduled_start: String,
    series: Option<String>,
    report_deadline: Option<String>,
}

#[derive(Serialize)]
struct SessionPoint {
    id: String,
    name: String,
    role: Role,
    unit_code: Option<String>,
}

#[derive(Serialize)]
struct PointView {
    name: String,
    role: Role,
}

async fn session(PointAuth(inv): PointAuth) -> Json<SessionInfo> {
    Json(SessionInfo {
        briefing: BriefingView {
            id: inv.briefing.id.0,
            title: inv.briefing.title,
            scheduled_start: inv.briefing.scheduled_start,
            series: inv.briefing.series,
            report_deadline: inv.briefing.report_deadline,
        },
        point: SessionPoint {
            id: inv.point.id.0,
            name: inv.point.name,
            role: inv.point.role,
            unit_code: inv.point.unit_code.map(|c| c.as_str().to_owned()),
        },
    })
}

async fn briefing(
    State(state): State<AppState>,
    Member(inv): Member,
) -> Result<Json<serde_json::Value>, ApiError> {
    let points: Vec<PointView> = state
        .store
        .points(&inv.briefing.id)?
        .into_iter()
        .filter(|p| !p.revoked)
        .map(|p| PointView {
            name: p.name,
            role: p.role,
        })
        .collect();
    Ok(Json(json!({
        "id": inv.briefing.id.0,
        "title": inv.briefing.title,
        "scheduled_start": inv.briefing.scheduled_start,
        "points": points,
    })))
}
