//! Who calls an API of a briefing's substance, and what they may do there.
//!
//! [`Access`] is the guard of every path under `/api/briefings/{id}/` that the host, the
//! invited points and the organiser share: it checks the token against the briefing in the
//! path once, and the handlers then ask it for the role they need.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use giaoban_model::{BriefingId, Role};
use giaoban_store::{Briefing, Invitation, Point, UnitCode};

use crate::api::{ADMIN_COOKIE, bearer, cookie, unix_now};
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

    /// The calling point (the host's link included); 403 for the organiser, who is no unit.
    pub fn require_point(&self) -> Result<&Point, ApiError> {
        self.point().ok_or_else(|| {
            ApiError::forbidden(
                "only an invited point may do this; open the briefing with its invitation link",
            )
        })
    }
}

/// Parses a JSON body, turning every rejection into a 422 with the reason.
pub(crate) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.body_text()))
}
