//! Who calls, and what they may do: every authorisation decision of the HTTP API and every
//! message that refuses one live here.
//!
//! A caller is the organiser (an admin session, by cookie or bearer) or the holder of an
//! invitation link (its bearer token): [`Caller`]. The guards that admit an admin or a host
//! note them for the audit log ([`super::actor`]). The extractors narrow it for a handler:
//! - [`AdminAuth`]: the organiser only;
//! - [`PointAuth`]: any invitation link, of any briefing;
//! - [`Member`]: a link of the briefing in the path;
//! - [`HostOf`]: the host link of the briefing in the path;
//! - [`Access`]: the organiser or a link of the briefing in the path, which then asks for the
//!   role it needs ([`Access::require_host`], [`Access::require_point`]).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use giaoban_model::{BriefingId, ProblemCode, Role};
use giaoban_store::{ActorKind, AdminSession, Briefing, Invitation, Point, Store, Task, UnitCode};

use super::actor::{Actor, note};
use super::error::ApiError;
use super::extract::{bearer, cookie};
use crate::clock::unix_now;
use crate::state::AppState;

/// The cookie of an admin session.
pub(crate) const ADMIN_COOKIE: &str = "giaoban_admin";

/// Who is calling.
pub(crate) enum Caller {
    /// The organiser, by an admin session.
    Admin(AdminSession),
    /// The holder of an invitation link: the host or a point.
    Link(Box<Invitation>),
}

impl Caller {
    /// The organiser by a valid admin session (cookie or bearer), else the invitation link of
    /// the bearer token.
    fn identify(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
        if let SessionCheck::Open(session) = admin_session(parts, state)? {
            return Ok(Caller::Admin(session));
        }
        let token = bearer(&parts.headers).ok_or_else(denied::missing_token)?;
        Ok(Caller::Link(Box::new(state.store.verify_token(token)?)))
    }
}

/// What the admin session of a request is.
pub(crate) enum SessionCheck {
    /// The request carries none.
    Absent,
    /// It carries a cookie or bearer that is no open session.
    Invalid,
    Open(AdminSession),
}

/// The admin session of a request: its cookie, else its bearer token.
pub(crate) fn admin_session(parts: &Parts, state: &AppState) -> Result<SessionCheck, ApiError> {
    session_of_headers(&parts.headers, state)
}

/// [`admin_session`] from the headers alone, for the pages.
pub(crate) fn session_of_headers(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<SessionCheck, ApiError> {
    let now = unix_now();
    let cookie = cookie(headers, ADMIN_COOKIE);
    if let Some(token) = cookie
        && let Some(session) = state.store.admin_session(token, now)?
    {
        return Ok(SessionCheck::Open(session));
    }
    let bearer = bearer(headers);
    if let Some(token) = bearer
        && Store::looks_like_admin_session(token)
        && let Some(session) = state.store.admin_session(token, now)?
    {
        return Ok(SessionCheck::Open(session));
    }
    Ok(match cookie.or(bearer) {
        Some(_) => SessionCheck::Invalid,
        None => SessionCheck::Absent,
    })
}

/// The audit log's name for an admin session.
fn admin_actor(session: &AdminSession) -> Actor {
    Actor {
        kind: ActorKind::Admin,
        name: session.admin.clone(),
        briefing: None,
    }
}

/// The id in the path (`/api/briefings/{id}/…`).
async fn path_briefing(parts: &mut Parts, state: &AppState) -> Result<BriefingId, ApiError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| denied::no_briefing())?;
    params
        .get("id")
        .map(|id| BriefingId(id.clone()))
        .ok_or_else(denied::no_briefing)
}

/// The organiser, authenticated by the session cookie set at login (or the session token as
/// a bearer token), with the session.
pub struct AdminAuth(pub AdminSession);

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match admin_session(parts, state)? {
            SessionCheck::Open(session) => {
                note(parts, admin_actor(&session));
                Ok(AdminAuth(session))
            }
            SessionCheck::Invalid => Err(denied::invalid_session()),
            SessionCheck::Absent => Err(denied::no_session()),
        }
    }
}

/// The holder of an invitation link, of any briefing.
pub struct PointAuth(pub Invitation);

impl FromRequestParts<AppState> for PointAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(denied::missing_token)?;
        Ok(PointAuth(state.store.verify_token(token)?))
    }
}

/// The holder of an invitation link of the briefing in the path (host or point).
pub struct Member(pub Invitation);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let PointAuth(inv) = PointAuth::from_request_parts(parts, state).await?;
        let id = path_briefing(parts, state).await?;
        if inv.briefing.id != id {
            return Err(denied::other_briefing());
        }
        if inv.point.role == Role::Host {
            note(parts, host_actor(&inv));
        }
        Ok(Member(inv))
    }
}

/// The briefing of the path, when the bearer token is its host link: the guard of every
/// live host action.
pub(crate) struct HostOf(pub BriefingId);

impl FromRequestParts<AppState> for HostOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Member(inv) = Member::from_request_parts(parts, state).await?;
        if inv.point.role != Role::Host {
            return Err(denied::host_link_only());
        }
        Ok(HostOf(inv.briefing.id))
    }
}

/// The briefing of the path and who calls it; only built when the caller may see it: the
/// guard of every path under `/api/briefings/{id}/` that the host, the invited points and the
/// organiser share.
pub(crate) struct Access {
    pub briefing: Briefing,
    pub caller: Caller,
}

impl FromRequestParts<AppState> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let id = path_briefing(parts, state).await?;
        match Caller::identify(parts, state)? {
            Caller::Admin(session) => {
                let briefing = state.store.briefing(&id)?.ok_or_else(denied::no_briefing)?;
                note(
                    parts,
                    Actor {
                        briefing: Some(id.0),
                        ..admin_actor(&session)
                    },
                );
                Ok(Access {
                    briefing,
                    caller: Caller::Admin(session),
                })
            }
            Caller::Link(inv) if inv.briefing.id == id => {
                if inv.point.role == Role::Host {
                    note(parts, host_actor(&inv));
                }
                Ok(Access {
                    briefing: inv.briefing.clone(),
                    caller: Caller::Link(inv),
                })
            }
            Caller::Link(_) => Err(denied::other_briefing()),
        }
    }
}

impl Access {
    /// The briefing's id.
    pub fn id(&self) -> &BriefingId {
        &self.briefing.id
    }

    /// The calling point (host or not); `None` for the organiser.
    pub fn point(&self) -> Option<&Point> {
        match &self.caller {
            Caller::Admin(_) => None,
            Caller::Link(inv) => Some(&inv.point),
        }
    }

    /// The unit the calling point stands for, if any.
    pub fn unit_code(&self) -> Option<&UnitCode> {
        self.point().and_then(|p| p.unit_code.as_ref())
    }

    /// Whether the caller directs the briefing: its host or the organiser.
    pub fn is_host(&self) -> bool {
        match &self.caller {
            Caller::Admin(_) => true,
            Caller::Link(inv) => inv.point.role == Role::Host,
        }
    }

    /// Ok for the host or the organiser; 403 for a point.
    pub fn require_host(&self) -> Result<(), ApiError> {
        if self.is_host() {
            Ok(())
        } else {
            Err(denied::host_only())
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
        self.point().ok_or_else(denied::point_only)
    }
}

/// The audit log's name for the host of a briefing.
fn host_actor(inv: &Invitation) -> Actor {
    Actor {
        kind: ActorKind::Host,
        name: Some(inv.point.name.clone()),
        briefing: Some(inv.briefing.id.0.clone()),
    }
}

/// Every refusal of the API's guards, worded once.
mod denied {
    use super::*;

    pub fn no_briefing() -> ApiError {
        ApiError::not_found(ProblemCode::NoSuchBriefing)
    }

    pub fn missing_token() -> ApiError {
        ApiError::unauthorized(ProblemCode::MissingToken)
    }

    pub fn other_briefing() -> ApiError {
        ApiError::forbidden(ProblemCode::OtherBriefing)
    }

    pub fn host_link_only() -> ApiError {
        ApiError::forbidden(ProblemCode::HostOnly)
    }

    pub fn host_only() -> ApiError {
        ApiError::forbidden(ProblemCode::HostOrOrganiserOnly)
    }

    pub fn point_only() -> ApiError {
        ApiError::forbidden(ProblemCode::PointOnly)
    }

    pub fn invalid_session() -> ApiError {
        ApiError::unauthorized(ProblemCode::InvalidAdminSession)
    }

    pub fn no_session() -> ApiError {
        ApiError::unauthorized(ProblemCode::NoAdminSession)
    }
}
