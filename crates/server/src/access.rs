//! Who calls an API of a briefing's substance, and what they may do there; and how its
//! handlers read the rest of a request, so that every bad part of one gets the same answer.
//!
//! [`Access`] is the guard of every path under `/api/briefings/{id}/` that the host, the
//! invited points and the organiser share: it checks the token against the briefing in the
//! path once, and the handlers then ask it for the role they need.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use giaoban_model::{BriefingId, Role};
use giaoban_store::{Briefing, Invitation, Point, Task, UnitCode};

use crate::api::{ADMIN_COOKIE, bearer, body_too_large, cookie, unix_now};
use crate::error::ApiError;
use crate::state::AppState;

/// Who is calling.
pub(crate) enum Actor {
    /// The organiser, by the admin session.
    Admin,
    /// The holder of an invitation link of the briefing: the host or a point.
    Link(Box<Invitation>),
}

/// The briefing of the path and who calls it; only built when the caller may see it.
pub(crate) struct Access {
    pub briefing: Briefing,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such briefing"))?;
        let id = params
            .get("id")
            .ok_or_else(|| ApiError::not_found("no such briefing"))?;

        let now = unix_now();
        let admin = cookie(&parts.headers, ADMIN_COOKIE)
            .is_some_and(|session| state.store.verify_admin_session(session, now));
        let token = bearer(&parts.headers);
        if admin || token.is_some_and(|t| state.store.verify_admin_session(t, now)) {
            let briefing = state
                .store
                .briefing(&BriefingId(id.clone()))?
                .ok_or_else(|| ApiError::not_found("no such briefing"))?;
            return Ok(Access {
                briefing,
                actor: Actor::Admin,
            });
        }
        let token = token.ok_or_else(|| {
            ApiError::unauthorized("missing Authorization: Bearer <invitation token>")
        })?;
        let inv = state.store.verify_token(token)?;
        if inv.briefing.id.0 != *id {
            return Err(ApiError::forbidden(
                "this invitation link is for another briefing",
            ));
        }
        Ok(Access {
            briefing: inv.briefing.clone(),
            actor: Actor::Link(Box::new(inv)),
        })
    }
}

impl Access {
    /// The briefing's id.
    pub fn id(&self) -> &BriefingId {
        &self.briefing.id
    }

    /// The calling point (host or not); `None` for the organiser.
    pub fn point(&self) -> Option<&Point> {
        match &self.actor {
            Actor::Admin => None,
            Actor::Link(inv) => Some(&inv.point),
        }
    }

    /// The unit the calling point stands for, if any.
    pub fn unit_code(&self) -> Option<&UnitCode> {
        self.point().and_then(|p| p.unit_code.as_ref())
    }

    /// Whether the caller directs the briefing: its host or the organiser.
    pub fn is_host(&self) -> bool {
        match &self.actor {
            Actor::Admin => true,
            Actor::Link(inv) => inv.point.role == Role::Host,
        }
    }

    /// Ok for the host or the organiser; 403 for a point.
    pub fn require_host(&self) -> Result<(), ApiError> {
        if self.is_host() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only the host or the organiser may do this",
            ))
        }
    }

    /// Whether the caller may work on `task` (report progress, attach documents): the host or
    /// the organiser, or a point whose unit owns it.
    pub fn may_work_on(&self, task: &Task) -> bool {
        self.is_host()
            || self
                .unit_code()
                .is_some_and(|unit| task.owners.iter().any(|o| o.code == unit.as_str()))
    }

    /// The calling point (the host's link included); 403 for the organiser, who is no unit.
    pub fn require_point(&self) -> Result<&Point, ApiError> {
        self.point().ok_or_else(|| {
            ApiError::forbidden(
                "only an invited point may do this; open the briefing with its invitation link",
            )
        })
    }
}

/// Parses a JSON body: a body over the limit is 413, any other rejection 422 with the reason.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            body_too_large()
        } else {
            ApiError::invalid(e.body_text())
        }
    })
}

/// Parses the query string, turning every rejection into a 422 with the reason.
pub(crate) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(v)| v)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// The id of an item of the briefing (a `what`) in a path such as
/// `/api/briefings/{id}/tasks/{task}`; 404 when it is not a number, as no item has such an id.
pub(crate) fn item_id(
    path: Result<Path<(String, String)>, PathRejection>,
    what: &str,
) -> Result<i64, ApiError> {
    path.ok()
        .and_then(|Path((_, item))| item.parse().ok())
        .ok_or_else(|| ApiError::not_found(format!("there is no such {what} in this briefing")))
}

/// 404 for item `id` (a `what`) that the briefing does not have.
pub(crate) fn no_item(what: &str, id: i64) -> ApiError {
    ApiError::not_found(format!("there is no {what} {id} in this briefing"))
}
