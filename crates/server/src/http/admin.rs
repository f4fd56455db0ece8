//! The organiser's pages and API: login, the list of briefings, creating them, revoking links.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use giaoban_model::{BriefingId, ErrorCode, Role};
use giaoban_store::NewBriefing;
use serde::{Deserialize, Serialize};

use super::assets;
use super::auth::{ADMIN_COOKIE, AdminAuth};
use super::error::ApiError;
use super::extract::{cookie, json_body};
use crate::clock::unix_now;
use crate::links;
use crate::state::AppState;

/// The admin page, its login and `/api/admin/…`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/login", get(login))
        .route("/api/admin/briefings", get(list).post(create))
        .route("/api/admin/briefings/{id}/revoke", post(revoke))
}

async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match cookie(&headers, ADMIN_COOKIE) {
        Some(s) if state.store.verify_admin_session(s, unix_now()) => assets::page("admin.html"),
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><meta charset=utf-8><title>giaoban</title>\
             <p>Chưa đăng nhập. Mở liên kết đăng nhập quản trị do máy chủ in ra \
             (<code>giaoban admin-url</code>).</p>\
             <p>Not logged in. Open the admin login URL printed by the server \
             (<code>giaoban admin-url</code>).</p>",
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    code: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let code = q.code.unwrap_or_default();
    if code.is_empty() || code.len() > 256 || !state.store.redeem_admin_login_code(&code)? {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_login_code",
            "this login link is invalid, expired or already used; run `giaoban admin-url` for a new one",
        ));
    }
    let session = state.store.admin_session_token(unix_now());
    // Secure keeps the session off plain HTTP; over plain HTTP a browser would drop such a
    // cookie, so it is set only when the browser did connect over HTTPS.
    let secure = if state.transport.is_https(&headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{ADMIN_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        giaoban_store::ADMIN_SESSION_TTL_SECS
    );
    let mut response = Redirect::to("/admin").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
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
