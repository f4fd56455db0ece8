//! The audit log at the HTTP edge: the middleware that records every successful change made by
//! an admin or a host, [`record`] for the actions that handlers record themselves (logins,
//! accounts), and `GET /api/admin/audit` to read it, as JSON or CSV.
//!
//! The middleware names an action by the route it took ([`action_of`]); its details are the
//! route's parameters and, for a small JSON body, the body. Routes whose bodies hold secrets
//! are recorded by their handlers instead, without them.

use std::collections::BTreeMap;

use axum::body::{Body, HttpBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use giaoban_store::{AuditEntry, AuditFilter, MAX_AUDIT_ROWS, audit_csv};
use serde::Deserialize;
use serde_json::{Value, json};

use super::actor::{Actor, ActorSlot};
use super::auth::AdminAuth;
use super::error::ApiError;
use super::extract::{Format, FormatQuery, csv_file, query};
use crate::clock::unix_ms;
use crate::state::AppState;

/// Largest JSON body copied into an entry's details, in bytes; larger ones are recorded by
/// their size only.
const MAX_BODY_IN_DETAILS: usize = 16 * 1024;

/// Entries a page of the log shows unless it asks for fewer.
const DEFAULT_PAGE: usize = 200;

/// `GET /api/admin/audit`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/admin/audit", get(read))
}

/// Adds an entry; a failure is logged, never the caller's problem: the action it records has
/// happened.
pub(crate) fn record(state: &AppState, actor: Actor, action: &str, details: Value) {
    let entry = AuditEntry {
        actor_kind: actor.kind,
        actor_name: actor.name,
        briefing_id: actor.briefing,
        action: action.to_owned(),
        details,
    };
    if let Err(e) = state
        .store
        .record_audit_at(&entry, i64::try_from(unix_ms()).unwrap_or(i64::MAX))
    {
        tracing::error!(action, "audit entry not recorded: {e}");
    }
}

/// Middleware: records a successful state-changing request of an admin or a host.
pub(crate) async fn middleware(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let action = path
        .as_deref()
        .and_then(|path| action_of(request.method(), path));
    let (Some(path), Some(action)) = (path, action) else {
        return next.run(request).await;
    };
    let slot = ActorSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut details = serde_json::Map::new();
    let params = params_of(&path, request.uri().path());
    if !params.is_empty() {
        details.insert("params".into(), json!(params));
    }
    let (request, body) = copy_small_json(request).await;
    if let Some(body) = body {
        details.insert("body".into(), body);
    }

    let response = next.run(request).await;

    if response.status().is_success()
        && let Some(mut actor) = slot.take()
    {
        if actor.briefing.is_none() {
            actor.briefing = params.get("id").cloned();
        }
        record(&state, actor, action, Value::Object(details));
    }
    response
}

/// The action code of a state-changing route; `None` for reads, and for the routes whose
/// handlers record themselves (logins, accounts) or that no admin or host uses.
pub(crate) fn action_of(method: &Method, path: &str) -> Option<&'static str> {
    let action = match (method.as_str(), path) {
        ("POST", "/api/admin/briefings") => "briefing.create",
        ("POST", "/api/admin/briefings/{id}/revoke") => "link.revoke",
        ("POST", "/api/admin/units/import") => "units.import",
        ("PUT", "/api/briefings/{id}/agenda") => "agenda.set",
        ("POST", "/api/briefings/{id}/comments/{comment}/answer") => "comment.answer",
        ("POST", "/api/briefings/{id}/comments/{comment}/pin") => "comment.pin",
        ("POST", "/api/briefings/{id}/comments/{comment}/concern") => "comment.to_concern",
        ("POST", "/api/briefings/{id}/comments-to-all") => "comments.to_all",
        ("POST", "/api/briefings/{id}/documents") => "document.upload",
        ("DELETE", "/api/briefings/{id}/documents/{doc}") => "document.delete",
        ("POST", "/api/briefings/{id}/concerns") => "concern.raise",
        ("POST", "/api/briefings/{id}/concerns/{concern}/answer") => "concern.answer",
        ("POST", "/api/briefings/{id}/concerns/{concern}/task") => "concern.to_task",
        ("POST", "/api/briefings/{id}/conclusions") => "conclusion.add",
        ("DELETE", "/api/briefings/{id}/conclusions/{conclusion}") => "conclusion.delete",
        ("POST", "/api/briefings/{id}/tasks") => "task.create",
        ("PATCH", "/api/briefings/{id}/tasks/{task}") => "task.update",
        ("POST", "/api/briefings/{id}/tasks/{task}/progress") => "task.progress",
        ("POST", "/api/briefings/{id}/mode") => "floor.mode",
        ("POST", "/api/briefings/{id}/floor") => "floor.grant",
        ("DELETE", "/api/briefings/{id}/floor") => "floor.revoke",
        ("POST", "/api/briefings/{id}/spotlight") => "spotlight",
        ("POST", "/api/briefings/{id}/hands/lower") => "hand.lower",
        ("POST", "/api/briefings/{id}/ask-unmute") => "unmute.ask",
        ("POST", "/api/briefings/{id}/mute") => "mute",
        ("DELETE", "/api/briefings/{id}/presentation") => "presentation.stop",
        ("POST", "/api/briefings/{id}/roll-call") => "roll_call.start",
        ("DELETE", "/api/briefings/{id}/roll-call") => "roll_call.end",
        ("POST", "/api/briefings/{id}/roll-call/answers") => "roll_call.answer",
        ("POST", "/api/briefings/{id}/lock") => "briefing.lock",
        ("POST", "/api/briefings/{id}/remove") => "point.remove",
        ("POST", "/api/briefings/{id}/trial") => "briefing.trial",
        ("POST", "/api/briefings/{id}/recording/start") => "recording.start",
        ("POST", "/api/briefings/{id}/recording/stop") => "recording.stop",
        ("POST", "/api/briefings/{id}/invitations") => "mail.invitations",
        ("POST", "/api/briefings/{id}/minutes/mail") => "mail.minutes",
        ("PUT", "/api/briefings/{id}/minutes/details") => "minutes.details",
        ("PUT", "/api/briefings/{id}/reports/{point_id}") => "report.submit",
        ("PUT", "/api/briefings/{id}/indicators") => "indicators.set",
        _ => return None,
    };
    Some(action)
}

/// The parameters of `template` (`/api/briefings/{id}/…`) in `path`.
fn params_of(template: &str, path: &str) -> BTreeMap<String, String> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, p)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.trim_start_matches('*').to_owned(), p.to_owned()))
        })
        .collect()
}

/// The request again, and its body as JSON when it is declared JSON of a known, small length.
/// Anything else is passed on untouched, for the handler's own limits to judge.
async fn copy_small_json(request: Request) -> (Request, Option<Value>) {
    let headers = request.headers();
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let length = request
        .body()
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .or_else(|| content_length(headers));
    match length {
        Some(n) if json && (1..=MAX_BODY_IN_DETAILS).contains(&n) => {}
        Some(0) | None => return (request, None),
        Some(n) => return (request, Some(json!({"bytes": n}))),
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_IN_DETAILS).await {
        Ok(bytes) => {
            let value = serde_json::from_slice(&bytes).ok();
            (Request::from_parts(parts, Body::from(bytes)), value)
        }
        // Longer than it said: the handler sees an empty body and refuses it.
        Err(_) => (Request::from_parts(parts, Body::empty()), None),
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    briefing: Option<String>,
    actor: Option<String>,
    /// First day, `YYYY-MM-DD` (Vietnam).
    from: Option<String>,
    /// Last day, included.
    to: Option<String>,
    limit: Option<usize>,
    format: Option<String>,
}

async fn read(
    _: AdminAuth,
    State(state): State<AppState>,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let format = FormatQuery::new(q.format).format()?;
    let limit = match format {
        Format::Csv => MAX_AUDIT_ROWS,
        Format::Json => q.limit.unwrap_or(DEFAULT_PAGE),
    };
    let filter = AuditFilter {
        briefing_id: q.briefing,
        actor: q.actor,
        from_date: q.from,
        to_date: q.to,
        limit,
    };
    let records = state
        .blocking(move |store| store.audit_log(&filter))
        .await?;
    Ok(match format {
        Format::Json => Json(json!({ "entries": records })).into_response(),
        Format::Csv => csv_file("nhat-ky-thao-tac.csv", audit_csv(&records)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_read_from_the_matched_template() {
        let params = params_of(
            "/api/briefings/{id}/tasks/{task}",
            "/api/briefings/abc/tasks/7",
        );

        assert_eq!(params["id"], "abc");
        assert_eq!(params["task"], "7");
        assert_eq!(params.len(), 2);
    }
}
