//! Admin accounts through the API: list, create (the first one too, from a session opened
//! with a login code), disable or enable, set a password. Every change is in the audit log,
//! never the password.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use giaoban_model::ProblemCode;
use giaoban_store::{ActorKind, AdminAccount, AdminSession};
use serde::Deserialize;
use serde_json::json;

use super::actor::Actor;
use super::audit::record;
use super::auth::AdminAuth;
use super::error::ApiError;
use super::extract::json_body;
use crate::state::AppState;

/// `/api/admin/accounts…`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/accounts", get(list).post(create))
        .route("/api/admin/accounts/{name}/disabled", post(set_disabled))
        .route("/api/admin/accounts/{name}/password", put(set_password))
}

async fn list(
    _: AdminAuth,
    State(state): State<AppState>,
) -> Result<Json<Vec<AdminAccount>>, ApiError> {
    Ok(Json(state.store.admins()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    password: String,
}

async fn create(
    AdminAuth(session): AdminAuth,
    State(state): State<AppState>,
    body: Result<Json<NewAccount>, JsonRejection>,
) -> Result<Response, ApiError> {
    let NewAccount { name, password } = json_body(body)?;
    let account = state
        .blocking(move |store| store.create_admin(&name, &password))
        .await?;
    record(
        &state,
        actor(&session),
        "account.create",
        json!({ "account": account.name }),
    );
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Disabled {
    disabled: bool,
}

async fn set_disabled(
    AdminAuth(session): AdminAuth,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Disabled>, JsonRejection>,
) -> Result<Json<AdminAccount>, ApiError> {
    let name = account_name(path)?;
    let Disabled { disabled } = json_body(body)?;
    let account = state.store.set_admin_disabled(&name, disabled)?;
    let action = if disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    record(
        &state,
        actor(&session),
        action,
        json!({ "account": account.name }),
    );
    Ok(Json(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
}

async fn set_password(
    AdminAuth(session): AdminAuth,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<NewPassword>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let name = account_name(path)?;
    let NewPassword { password } = json_body(body)?;
    let account = name.clone();
    state
        .blocking(move |store| store.set_admin_password(&account, &password))
        .await?;
    record(
        &state,
        actor(&session),
        "account.password",
        json!({ "account": name }),
    );
    Ok(StatusCode::NO_CONTENT)
}

fn account_name(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(name)| name)
        .map_err(|_| ApiError::not_found(ProblemCode::NoSuchPage))
}

fn actor(session: &AdminSession) -> Actor {
    Actor {
        kind: ActorKind::Admin,
        name: session.admin.clone(),
        briefing: None,
    }
}
